/* Unit tests of the tail loss probe (RFC 8985 section 7) on the linux
 * profile: the probe timeout (PTO) with one and with several segments in
 * flight and before any RTT sample, what the probe sends (the last
 * segment again, or new data), one probe per tail, the ACK that cancels
 * it or ends the episode, its traces, and its absence on minimal. */
#include <inttypes.h>
#include <string.h>

#include "tcp-test.h"

#define MSS 1448u        /* 1460 less NOP,NOP,TS */
#define D0 (LOCAL_SEQ + 101) /* first byte after the exchange of the fixture */

/* ESTABLISHED on `profile` after one exchange timed at 20 ms: SRTT 20 ms
 * and (linux) RTO 220 ms, the numbers of case 5b. Nothing in flight. */
static void setup_rtt20(NsProfile profile)
{
    h_setup(profile);
    H->cfg.rack = false; /* the probe alone; RACK has its own suite */
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.srtt = 0; /* the handshake's sample took no time at all */
    app_write(100);
    drain_sent();
    H->now += NS_MS(20);
    peer_sends(SEG(.ack = LOCAL_SEQ + 101));
    drain_sent();
    CU_ASSERT_EQUAL(H->c.srtt, NS_MS(20));
}

/* ---------------- ESTABLISHED, one segment in flight ---------------- */

/* PTO = 2*SRTT + 200 ms = 240 ms, capped by the RTO due in 220 ms. */
static void test_established_pto_resends_lone_segment_in_open(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    CU_ASSERT_EQUAL(H->c.rto, NS_MS(220));
    app_write(742);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = D0, .len = 742));
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], H->now + NS_MS(220));
    advance(NS_MS(219));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = D0, .len = 742, .why = NS_SEND_TLP));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_REXMT], H->now + NS_MS(220)); /* re-armed */
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], NS_TIME_NEVER);
    h_teardown();
}

/* The probe lost too: the RTO follows one RTO after the probe, then
 * backs off (case 5b: TLP, RTO, RTO x2). */
static void test_established_probe_lost_rto_then_backoff(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(742);
    advance(NS_MS(220));
    drain_sent();
    advance(NS_MS(219));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = D0, .len = 742, .why = NS_SEND_RTO));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_LOSS);
    advance(NS_MS(439));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = D0, .len = 742, .why = NS_SEND_RTO));
    peer_sends(SEG(.ack = D0 + 742));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], NS_TIME_NEVER);
    h_teardown();
}

static void test_established_ack_before_pto_cancels_it(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(742);
    drain_sent();
    advance(NS_MS(20));
    peer_sends(SEG(.ack = D0 + 742));
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], NS_TIME_NEVER);
    advance(NS_S(2));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* Without an RTT sample the PTO is 1 s (here below the RTO). */
static void test_established_pto_without_rtt_sample_is_1s(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    H->c.srtt = 0;
    H->c.rto = NS_S(3);
    app_write(742);
    drain_sent();
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], H->now + NS_S(1));
    h_teardown();
}

/* ---------------- ESTABLISHED, several segments in flight ---------------- */

/* PTO = 2*SRTT + 2 jiffies (8 ms at HZ=250); the probe is the last
 * segment sent, not the first unacknowledged one. */
static void test_established_two_segments_pto_2srtt_plus_2_jiffies(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(2 * MSS);
    drain_sent();
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], H->now + NS_MS(48));
    advance(NS_MS(47));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = D0 + MSS, .len = MSS, .why = NS_SEND_TLP));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* An ACK of new data restarts the PTO from the new RTO. */
static void test_established_ack_of_some_data_rearms_pto(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(3 * MSS);
    drain_sent();
    advance(NS_MS(30));
    peer_sends(SEG(.ack = D0 + MSS));
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], H->now + 2 * H->c.srtt + NS_MS(8));
    h_teardown();
}

/* cwnd holds data back: the probe is the next new segment (RFC 8985 7.3). */
static void test_established_probe_sends_new_data_when_window_allows(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    H->c.cwnd = MSS;
    app_write(2 * MSS);
    EXPECT_SENT(SEG(.flags = ACK, .seq = D0, .len = MSS));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(220));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = D0 + MSS, .len = MSS, .why = NS_SEND_TLP));
    CU_ASSERT_EQUAL(H->c.snd_max, D0 + 2 * MSS);
    CU_ASSERT_FALSE(H->c.tlp_is_retrans);
    h_teardown();
}

/* One probe per tail: an ACK below the probe's end does not re-arm it. */
static void test_established_one_probe_per_tail(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(2 * MSS);
    drain_sent();
    advance(NS_MS(48));
    drain_sent();
    peer_sends(SEG(.ack = D0 + MSS));
    CU_ASSERT_TRUE(H->c.tlp_active);
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], NS_TIME_NEVER);
    CU_ASSERT_NOT_EQUAL(H->c.timer[NS_TCP_T_REXMT], NS_TIME_NEVER);
    h_teardown();
}

/* The probe's own ACK (it echoes the probe's TSval) shows that the probe
 * repaired a loss: cwnd is cut by beta, state stays Open. */
static void test_established_probe_repairs_loss_cuts_cwnd(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(742);
    drain_sent();
    advance(NS_MS(220));
    drain_sent();
    uint32_t cwnd = H->c.cwnd;
    uint32_t probe_ts = H->c.tlp_ts;
    advance(NS_MS(20));
    peer_sends(SEG(.ack = D0 + 742, .ts = true, .ts_val = 900, .ts_ecr = probe_ts));
    CU_ASSERT_FALSE(H->c.tlp_active);
    CU_ASSERT_TRUE(H->c.cwnd < cwnd);
    CU_ASSERT_EQUAL(H->c.ssthresh, H->c.cwnd);
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    h_teardown();
}

/* An ACK echoing the original's TSval: the original had arrived and the
 * probe was spurious, so cwnd stays (Eifel detection, RFC 3522). */
static void test_established_spurious_probe_keeps_cwnd(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(742);
    drain_sent();
    uint32_t orig_ts = tcp_ts_now(&H->c, H->now);
    advance(NS_MS(220));
    drain_sent();
    uint32_t cwnd = H->c.cwnd, ssthresh = H->c.ssthresh;
    advance(NS_MS(5));
    peer_sends(SEG(.ack = D0 + 742, .ts = true, .ts_val = 900, .ts_ecr = orig_ts));
    CU_ASSERT_FALSE(H->c.tlp_active);
    CU_ASSERT_TRUE(H->c.cwnd >= cwnd);
    CU_ASSERT_EQUAL(H->c.ssthresh, ssthresh);
    h_teardown();
}

/* SACKed data: Disorder, no probe (RFC 8985 7.2: not with SACKed data). */
static void test_disorder_no_probe(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    app_write(3 * MSS);
    drain_sent();
    peer_sends(SEG(.ack = D0, .sack = {{D0 + MSS, D0 + 2 * MSS}}));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_DISORDER);
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], NS_TIME_NEVER);
    h_teardown();
}

/* A FIN alone at the tail: the probe resends the FIN. */
static void test_fin_wait_1_probe_resends_fin(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    tcp_conn_shutdown_write(&H->c, H->now, NS_CAUSE_APP_CLOSE);
    EXPECT_SENT(SEG(.flags = FIN | ACK, .seq = D0));
    advance(NS_MS(220));
    EXPECT_SENT(SEG(.flags = FIN | ACK, .seq = D0, .why = NS_SEND_TLP));
    h_teardown();
}

/* ---------------- minimal: no probe ---------------- */

static void test_minimal_no_probe_only_rto(void)
{
    setup_rtt20(NS_PROFILE_MINIMAL);
    app_write(100);
    drain_sent();
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_TLP], NS_TIME_NEVER);
    advance(H->c.rto - 1);
    EXPECT_NOTHING_SENT();
    advance(1);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = D0, .len = 100, .why = NS_SEND_RTO));
    h_teardown();
}

/* ---------------- traces ---------------- */

static GPtrArray *timer_lines;

static void timer_write(void *self, const NsTraceEvent *ev)
{
    (void)self;
    if (ev->kind != NS_TRACE_TIMER || ev->timer != NS_TIMER_TLP)
        return;
    if (ev->timer_op == NS_TIMER_ARMED)
        g_ptr_array_add(timer_lines, g_strdup_printf("armed TLP %" PRId64 " ms",
                                                     ev->duration / NS_MS(1)));
    else
        g_ptr_array_add(timer_lines, g_strdup_printf("%s TLP", ev->timer_op == NS_TIMER_FIRED
                                                                   ? "fired"
                                                                   : "cancelled"));
}

static void timer_free(void *self)
{
    (void)self;
}

static const NsTraceSinkOps timer_ops = {"timers", timer_write, NULL, timer_free};

static void test_trace_tlp_armed_and_fired(void)
{
    setup_rtt20(NS_PROFILE_LINUX);
    NsTracer *tr = ns_tracer_new();
    timer_lines = g_ptr_array_new_with_free_func(g_free);
    ns_tracer_add_sink(tr, &timer_ops, NULL, NS_TRACE_MASK(NS_TRACE_TIMER));
    H->ctx.tracer = tr;
    app_write(742);
    advance(NS_MS(220));
    CU_ASSERT_EQUAL_FATAL(timer_lines->len, 2);
    CU_ASSERT_STRING_EQUAL(timer_lines->pdata[0], "armed TLP 220 ms");
    CU_ASSERT_STRING_EQUAL(timer_lines->pdata[1], "fired TLP");
    H->ctx.tracer = NULL;
    ns_tracer_free(tr);
    g_ptr_array_free(timer_lines, TRUE);
    drain_sent();
    h_teardown();
}

#define T(f) {#f, f}
CU_TestInfo tlp_tests[] = {
    T(test_established_pto_resends_lone_segment_in_open),
    T(test_established_probe_lost_rto_then_backoff),
    T(test_established_ack_before_pto_cancels_it),
    T(test_established_pto_without_rtt_sample_is_1s),
    T(test_established_two_segments_pto_2srtt_plus_2_jiffies),
    T(test_established_ack_of_some_data_rearms_pto),
    T(test_established_probe_sends_new_data_when_window_allows),
    T(test_established_one_probe_per_tail),
    T(test_established_probe_repairs_loss_cuts_cwnd),
    T(test_established_spurious_probe_keeps_cwnd),
    T(test_disorder_no_probe),
    T(test_fin_wait_1_probe_resends_fin),
    T(test_minimal_no_probe_only_rto),
    T(test_trace_tlp_armed_and_fired),
    CU_TEST_INFO_NULL,
};
