/* Unit tests of the socket options on the connection core (tcp_opts.c):
 * buffers kept doubled within Linux's bounds and what they do to the SYN's
 * window and scale, TCP_MAXSEG's range, keepalive probes and their end,
 * TCP_USER_TIMEOUT. */
#include <errno.h>

#include "tcp-test.h"

static int64_t get(NsSockOpt opt)
{
    int64_t v = -12345;
    CU_ASSERT_EQUAL(tcp_conn_getopt(&H->c, opt, &v), 0);
    return v;
}

static void test_opts_buffers_doubled_within_linux_bounds(void)
{
    h_setup(NS_PROFILE_LINUX);
    CU_ASSERT_EQUAL(get(NS_SO_RCVBUF), 131072); /* tcp_rmem[1] before any is set */
    CU_ASSERT_EQUAL(get(NS_SO_SNDBUF), 16384);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_RCVBUF, 4096, H->now), 0);
    CU_ASSERT_EQUAL(get(NS_SO_RCVBUF), 8192);
    CU_ASSERT_EQUAL(tcp_rcvbuf(&H->c), 4096);
    tcp_conn_setopt(&H->c, NS_SO_RCVBUF, 100, H->now);
    CU_ASSERT_EQUAL(get(NS_SO_RCVBUF), 2304);
    tcp_conn_setopt(&H->c, NS_SO_RCVBUF, 1 << 30, H->now);
    CU_ASSERT_EQUAL(get(NS_SO_RCVBUF), 2 * 212992);
    tcp_conn_setopt(&H->c, NS_SO_SNDBUF, -5, H->now);
    CU_ASSERT_EQUAL(get(NS_SO_SNDBUF), 4608);
    CU_ASSERT_EQUAL(tcp_sndbuf(&H->c), 2304);
    h_teardown();
}

/* Linux tcp_select_initial_window with a locked receive buffer: the SYN's
 * window is the buffer rounded down to whole segments, and the scale
 * covers that buffer only. */
static void test_opts_small_rcvbuf_shrinks_syn_window_and_scale(void)
{
    h_setup(NS_PROFILE_LINUX);
    tcp_conn_setopt(&H->c, NS_SO_RCVBUF, 4096, H->now);
    tcp_conn_connect(&H->c, H->now);
    NsTcpRepr r;
    uint32_t len;
    CU_ASSERT_TRUE(pop_sent(&r, &len));
    CU_ASSERT_EQUAL(r.flags, SYN);
    CU_ASSERT_EQUAL(r.window, 2920);
    CU_ASSERT_TRUE(r.has_wscale);
    CU_ASSERT_EQUAL(r.wscale, 0);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_opts_large_rcvbuf_scale_limited_by_profile(void)
{
    h_setup(NS_PROFILE_LINUX);
    tcp_conn_setopt(&H->c, NS_SO_RCVBUF, 200000, H->now); /* 400000 kept, 200000 usable */
    CU_ASSERT_EQUAL(tcp_offer_wscale(&H->c), 2);          /* ilog2(200000) - 15 */
    h_teardown();
}

static void test_opts_maxseg_range_and_reading(void)
{
    h_setup(NS_PROFILE_LINUX);
    CU_ASSERT_EQUAL(get(NS_SO_TCP_MAXSEG), 536); /* TCP_MSS_DEFAULT before connect */
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_TCP_MAXSEG, 87, H->now), -EINVAL);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_TCP_MAXSEG, 65536, H->now), -EINVAL);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_TCP_MAXSEG, 1000, H->now), 0);
    CU_ASSERT_EQUAL(get(NS_SO_TCP_MAXSEG), 1000);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(get(NS_SO_TCP_MAXSEG), H->c.mss); /* the sending MSS once connected */
    h_teardown();
}

static void keepalive_setup(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_TCP_KEEPIDLE, 10, H->now), 0);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_TCP_KEEPINTVL, 5, H->now), 0);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_TCP_KEEPCNT, 2, H->now), 0);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_KEEPALIVE, 1, H->now), 0);
}

/* Idle for TCP_KEEPIDLE: a probe one byte below SND.UNA, one every
 * TCP_KEEPINTVL, and after TCP_KEEPCNT unanswered ones a reset and
 * ETIMEDOUT. */
static void test_opts_keepalive_probes_then_reset(void)
{
    keepalive_setup();
    advance(NS_S(10) - 1);
    EXPECT_NOTHING_SENT();
    advance(1);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ, .why = NS_SEND_KEEPALIVE));
    EXPECT_NOTHING_SENT();
    advance(NS_S(5));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ, .why = NS_SEND_KEEPALIVE));
    EXPECT_NOTHING_SENT();
    advance(NS_S(5));
    EXPECT_SENT(SEG(.flags = RST | ACK));
    EXPECT_NOTHING_SENT();
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, ETIMEDOUT);
    h_teardown();
}

/* An answer to a probe starts the idle time again, and the count. */
static void test_opts_keepalive_answer_restarts_idle(void)
{
    keepalive_setup();
    advance(NS_S(10));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ, .why = NS_SEND_KEEPALIVE));
    advance(NS_S(1));
    peer_sends(SEG());
    advance(NS_S(10) - 1);
    EXPECT_NOTHING_SENT();
    advance(1);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ, .why = NS_SEND_KEEPALIVE));
    advance(NS_S(5));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ, .why = NS_SEND_KEEPALIVE));
    EXPECT_NOTHING_SENT();
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    h_teardown();
}

/* While data is unacknowledged the retransmission timer watches the
 * peer: no probe. */
static void test_opts_keepalive_silent_while_data_outstanding(void)
{
    keepalive_setup();
    H->cfg.retries2 = 100;
    H->cfg.tlp = false;
    app_write(100);
    drain_sent();
    advance(NS_S(12));
    NsTcpRepr r;
    uint32_t len;
    while (pop_sent(&r, &len))
        CU_ASSERT_EQUAL(len, 100); /* retransmissions only */
    h_teardown();
}

static void test_opts_keepalive_off_by_default(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_KEEPALIVE], NS_TIME_NEVER);
    CU_ASSERT_EQUAL(get(NS_SO_KEEPALIVE), 0);
    CU_ASSERT_EQUAL(get(NS_SO_TCP_KEEPIDLE), 7200);
    CU_ASSERT_EQUAL(get(NS_SO_TCP_KEEPINTVL), 75);
    CU_ASSERT_EQUAL(get(NS_SO_TCP_KEEPCNT), 9);
    CU_ASSERT_EQUAL(tcp_conn_setopt(&H->c, NS_SO_TCP_KEEPCNT, 0, H->now), -EINVAL);
    h_teardown();
}

/* TCP_USER_TIMEOUT 1 s, counted from the first retransmission (Linux's
 * retrans_stamp); the timeout after it is cut short to end there. */
static void test_opts_user_timeout_ends_retransmissions(void)
{
    h_setup(NS_PROFILE_LINUX);
    H->cfg.tlp = false;
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    tcp_conn_setopt(&H->c, NS_SO_TCP_USER_TIMEOUT, 1000, H->now);
    CU_ASSERT_EQUAL(get(NS_SO_TCP_USER_TIMEOUT), 1000);
    NsTime rto = H->c.rto;
    app_write(100);
    drain_sent();
    advance(rto);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100, .why = NS_SEND_RTO));
    NsTime first = H->now;
    advance(2 * rto);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100, .why = NS_SEND_RTO));
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_REXMT], first + NS_S(1));
    advance(first + NS_S(1) - H->now);
    EXPECT_NOTHING_SENT();
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, ETIMEDOUT);
    h_teardown();
}

#define T(f) {#f, f}
CU_TestInfo opts_tests[] = {
    T(test_opts_buffers_doubled_within_linux_bounds),
    T(test_opts_small_rcvbuf_shrinks_syn_window_and_scale),
    T(test_opts_large_rcvbuf_scale_limited_by_profile),
    T(test_opts_maxseg_range_and_reading),
    T(test_opts_keepalive_probes_then_reset),
    T(test_opts_keepalive_answer_restarts_idle),
    T(test_opts_keepalive_silent_while_data_outstanding),
    T(test_opts_keepalive_off_by_default),
    T(test_opts_user_timeout_ends_retransmissions),
    CU_TEST_INFO_NULL,
};
