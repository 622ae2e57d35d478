/* CUBIC (RFC 9438) and HyStart on the linux profile, driven through the
 * congestion-control operations of an established connection: slow start
 * by bytes, the cut to 0.7 with fast convergence, the cubic curve back to
 * W_max after K, and HyStart's exit on an ACK train. */
#include <stdio.h>
#include <string.h>

#include "tcp-test.h"

#define MSS 1448u

static void setup(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(H->c.mss, MSS);
    CU_ASSERT_PTR_EQUAL(H->env.cfg->cc, &ns_tcp_cc_cubic);
    /* The window's tests drive the operations directly, as if the sender
     * had filled the window (Linux tcp_is_cwnd_limited). */
    H->c.is_cwnd_limited = true;
}

/* Slow start counts every acknowledged segment: a stretch ACK of two
 * segments opens the window by two (Linux tcp_slow_start), up to
 * ssthresh. */
static void test_cubic_slow_start_counts_every_segment(void)
{
    setup();
    CU_ASSERT_EQUAL(H->c.cwnd, 10 * MSS);
    ns_tcp_cc_cubic.on_ack(&H->c, 2 * MSS, H->now);
    CU_ASSERT_EQUAL(H->c.cwnd, 12 * MSS);
    H->c.ssthresh = 13 * MSS;
    ns_tcp_cc_cubic.on_ack(&H->c, 3 * MSS, H->now);
    CU_ASSERT_TRUE(H->c.cwnd >= 13 * MSS && H->c.cwnd <= 14 * MSS);
    h_teardown();
}

/* Linux counts packets in slow start: an ACK of a partial segment (the
 * tail of a write) opens the window by a whole one. */
static void test_cubic_slow_start_counts_partial_segment_whole(void)
{
    setup();
    ns_tcp_cc_cubic.on_ack(&H->c, 1000, H->now);
    CU_ASSERT_EQUAL(H->c.cwnd, 11 * MSS);
    h_teardown();
}

/* Linux tcp_is_cwnd_limited: a sender that did not fill its window does
 * not grow it, except in slow start up to twice the most it had out. */
static void test_cubic_grows_only_when_cwnd_limited(void)
{
    setup();
    H->c.is_cwnd_limited = false;
    H->c.max_packets_out = 5;
    ns_tcp_cc_cubic.on_ack(&H->c, MSS, H->now);
    CU_ASSERT_EQUAL(H->c.cwnd, 10 * MSS); /* 10 >= 2 * 5: no growth */
    H->c.max_packets_out = 6;
    ns_tcp_cc_cubic.on_ack(&H->c, MSS, H->now);
    CU_ASSERT_EQUAL(H->c.cwnd, 11 * MSS); /* 10 < 2 * 6 */
    h_teardown();
}

/* What the sender marks (tcp_cwnd_validate): one segment out of a window
 * of ten is not cwnd-limited; ten of ten are. */
static void test_cubic_sender_marks_cwnd_limited(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    app_write(MSS);
    CU_ASSERT_FALSE(H->c.is_cwnd_limited);
    CU_ASSERT_EQUAL(H->c.max_packets_out, 1);
    app_write(20 * MSS);
    CU_ASSERT_TRUE(H->c.is_cwnd_limited);
    CU_ASSERT_EQUAL(H->c.max_packets_out, 10);
    drain_sent();
    h_teardown();
}

/* RFC 9438 4.6/4.7: ssthresh = 0.7 cwnd; a second loss below the first
 * W_max remembers a lower W_max (fast convergence). */
static void test_cubic_cut_beta_and_fast_convergence(void)
{
    setup();
    H->c.cwnd = 100 * MSS;
    ns_tcp_cc_cubic.on_cong_signal(&H->c);
    CU_ASSERT_EQUAL(H->c.ssthresh, 70 * MSS); /* 100 * 717 / 1024 */
    H->c.cwnd = H->c.ssthresh;
    ns_tcp_cc_cubic.on_cong_signal(&H->c);
    /* 70 < W_max 100: W_max = 70 * (1 + 0.7) / 2 = 59; ssthresh 49. */
    CU_ASSERT_EQUAL(H->c.ssthresh, 49 * MSS);
    h_teardown();
}

/* Congestion avoidance after a cut from 100 segments, one window of ACKs
 * per round; returns cwnd (segments) 1 s, 4.2 s and 6 s after the cut. */
static void run_after_cut(NsTime rtt, uint32_t out[3])
{
    H->c.cwnd = 100 * MSS;
    ns_tcp_cc_cubic.on_rtt(&H->c, rtt);
    ns_tcp_cc_cubic.on_cong_signal(&H->c);
    H->c.cwnd = H->c.ssthresh; /* 70 */
    NsTime t0 = H->now;
    static const NsTime at[3] = {NS_S(1), NS_MS(4200), NS_S(6)};
    unsigned k = 0;
    for (NsTime t = t0; k < 3; t += rtt) {
        uint32_t n = H->c.cwnd / MSS;
        for (uint32_t i = 0; i < n; i++)
            ns_tcp_cc_cubic.on_ack(&H->c, MSS, t);
        while (k < 3 && t + rtt > t0 + at[k])
            out[k++] = H->c.cwnd / MSS;
    }
}

/* A long path (RTT 200 ms): the cubic curve rules. The window climbs
 * back towards W_max = 100, concave, reaching it K = cbrt(100 * 0.3 /
 * 0.4) = 4.2 s after the cut, then grows beyond it (convex). The curve is
 * followed one RTT ahead: W_cubic(1.2 s) = 0.4 (1.2 - 4.22)^3 + 100 = 89,
 * W_cubic(6.2 s) = 103. */
static void test_cubic_curve_returns_to_w_max_after_k(void)
{
    setup();
    uint32_t w[3];
    run_after_cut(NS_MS(200), w);
    bool ok = w[0] >= 87 && w[0] <= 91 && w[1] >= 99 && w[1] <= 102 && w[2] >= 102 &&
              w[2] <= 106;
    if (!ok)
        fprintf(stderr, "cubic 200 ms: %u %u %u\n", w[0], w[1], w[2]);
    CU_ASSERT_TRUE(ok);
    h_teardown();
}

/* A short path (RTT 20 ms): Reno would grow faster than the curve, and
 * CUBIC follows W_est instead (RFC 9438 4.3): alpha = 3 (1 - 0.7) / (1 +
 * 0.7) = 0.53 segments per RTT, 70 + 0.53 * 50 = 96 after 1 s, where the
 * curve is at 87. */
static void test_cubic_reno_friendly_region_on_short_rtt(void)
{
    setup();
    uint32_t w[3];
    run_after_cut(NS_MS(20), w);
    bool ok = w[0] >= 94 && w[0] <= 98;
    if (!ok)
        fprintf(stderr, "cubic 20 ms: %u %u %u\n", w[0], w[1], w[2]);
    CU_ASSERT_TRUE(ok);
    h_teardown();
}

/* HyStart: ACKs of one round arriving closely spaced for longer than half
 * the minimum RTT mean the pipe is full: slow start ends (ssthresh =
 * cwnd) before any loss. */
static void test_cubic_hystart_ack_train_ends_slow_start(void)
{
    setup();
    H->c.cwnd = 20 * MSS;
    ns_tcp_cc_cubic.on_rtt(&H->c, NS_MS(20));
    H->c.snd_max = H->c.snd_una + 40 * MSS; /* a round of 40 segments */
    ns_tcp_cc_cubic.on_ack(&H->c, MSS, H->now); /* starts the round */
    CU_ASSERT_EQUAL(H->c.ssthresh, 0x7fffffff);
    NsTime t = H->now;
    for (int i = 0; i < 12 && H->c.ssthresh == 0x7fffffff; i++) {
        t += NS_MS(1);
        ns_tcp_cc_cubic.on_ack(&H->c, MSS, t);
    }
    /* The train passed (20 + 2) / 2 = 11 ms. */
    CU_ASSERT_EQUAL(t - H->now, NS_MS(12));
    CU_ASSERT_EQUAL(H->c.ssthresh, H->c.cwnd);
    h_teardown();
}

/* ACKs spread over the round (a path with room): no exit. */
static void test_cubic_hystart_spread_acks_keep_slow_start(void)
{
    setup();
    H->c.cwnd = 20 * MSS;
    ns_tcp_cc_cubic.on_rtt(&H->c, NS_MS(20));
    H->c.snd_max = H->c.snd_una + 40 * MSS;
    ns_tcp_cc_cubic.on_ack(&H->c, MSS, H->now);
    for (int i = 1; i <= 6; i++)
        ns_tcp_cc_cubic.on_ack(&H->c, MSS, H->now + i * NS_MS(3));
    CU_ASSERT_EQUAL(H->c.ssthresh, 0x7fffffff);
    h_teardown();
}

#define T(f) {#f, f}
CU_TestInfo cubic_tests[] = {
    T(test_cubic_slow_start_counts_every_segment),
    T(test_cubic_slow_start_counts_partial_segment_whole),
    T(test_cubic_grows_only_when_cwnd_limited),
    T(test_cubic_sender_marks_cwnd_limited),
    T(test_cubic_cut_beta_and_fast_convergence),
    T(test_cubic_curve_returns_to_w_max_after_k),
    T(test_cubic_reno_friendly_region_on_short_rtt),
    T(test_cubic_hystart_ack_train_ends_slow_start),
    T(test_cubic_hystart_spread_acks_keep_slow_start),
    CU_TEST_INFO_NULL,
};
