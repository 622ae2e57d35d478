/* Unit tests of the sans-IO connection core, one per arc of the RFC 9293
 * state diagram, per RST rule and per timer, on the minimal profile
 * (names test_<state>_<event>_<outcome>). */
#include <errno.h>

#include "netsim/pattern.h"
#include "netsim/wire/checksum.h"
#include "tcp-test.h"

#define SETUP() h_setup(NS_PROFILE_MINIMAL)

/* ---------------- CLOSED ---------------- */

static void test_closed_connect_sends_syn(void)
{
    SETUP();
    tcp_conn_connect(&H->c, H->now);
    EXPECT_STATE(NS_TCP_STATE_SYN_SENT);
    EXPECT_SENT(SEG(.flags = SYN, .seq = LOCAL_SEQ, .win = 65535, .mss = 1460));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_closed_minimal_syn_has_only_mss(void)
{
    SETUP();
    tcp_conn_connect(&H->c, H->now);
    NsTcpRepr r;
    CU_ASSERT_TRUE(pop_sent(&r, NULL));
    CU_ASSERT_TRUE(r.has_mss);
    CU_ASSERT_FALSE(r.has_ts || r.has_wscale || r.sack_permitted);
    CU_ASSERT_EQUAL(r.header_len, 24);
    h_teardown();
}

/* ---------------- LISTEN (the child's view) ---------------- */

static void test_listen_rcv_syn_sends_syn_ack(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_LISTEN);
    NsTcpSeg seg = {.h = {.src_port = REMOTE_PORT, .dst_port = LOCAL_PORT, .seq = REMOTE_SEQ,
                          .flags = SYN, .window = 65535, .has_mss = true, .mss = 1000}};
    tcp_conn_accept_syn(&H->c, &seg, H->now);
    EXPECT_STATE(NS_TCP_STATE_SYN_RECEIVED);
    EXPECT_SENT(SEG(.flags = SYN | ACK, .seq = LOCAL_SEQ, .win = 65535, .mss = 1460));
    CU_ASSERT_EQUAL(H->c.mss, 1000); /* min(peer MSS, ours) */
    h_teardown();
}

/* linux (tcp_select_initial_window): the SYN-ACK offers the largest
 * multiple of the segment size in 16 bits: 44 x 1460 without timestamps,
 * 45 x 1448 with them. */
static void test_listen_linux_synack_window_is_mss_multiple(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_LISTEN);
    H->c.adv_mss = 1460;
    NsTcpSeg seg = {.h = {.src_port = REMOTE_PORT, .dst_port = LOCAL_PORT, .seq = REMOTE_SEQ,
                          .flags = SYN, .window = 65535, .has_mss = true, .mss = 1000}};
    tcp_conn_accept_syn(&H->c, &seg, H->now);
    NsTcpRepr r;
    uint32_t len;
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, &len));
    CU_ASSERT_EQUAL(r.window, 64240);
    EXPECT_NOTHING_SENT();
    h_teardown();
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_LISTEN);
    H->c.adv_mss = 1460;
    seg.h.has_ts = true;
    seg.h.ts_val = 5;
    tcp_conn_accept_syn(&H->c, &seg, H->now);
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, &len));
    CU_ASSERT_EQUAL(r.window, 65160);
    h_teardown();
}

/* ---------------- SYN-SENT ---------------- */

static void test_syn_sent_rcv_syn_ack_established(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ, .mss = 1460));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    EXPECT_SENT(SEG(.flags = ACK));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_REXMT], NS_TIME_NEVER);
    h_teardown();
}

/* A SYN sent at time 0 is timed like any other (0 is a time, not "not
 * timing"): its SYN,ACK gives the first RTT sample. */
static void test_syn_sent_at_time_zero_gives_rtt_sample(void)
{
    SETUP();
    H->now = 0;
    tcp_conn_connect(&H->c, H->now);
    drain_sent();
    advance(NS_MS(20));
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ, .mss = 1460));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(H->c.srtt, NS_MS(20));
    h_teardown();
}

static void test_syn_sent_rcv_syn_ack_without_mss_uses_536(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ));
    CU_ASSERT_EQUAL(H->c.mss, 536);
    drain_sent();
    h_teardown();
}

static void test_syn_sent_rcv_rst_ack_refused(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    peer_sends(SEG(.flags = RST | ACK, .seq = 0, .ack = LOCAL_SEQ + 1));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, ECONNREFUSED);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_syn_sent_rcv_rst_without_ack_ignored(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    peer_sends(SEG(.flags = RST, .seq = 0));
    EXPECT_STATE(NS_TCP_STATE_SYN_SENT);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_syn_sent_rcv_rst_bad_ack_ignored(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    peer_sends(SEG(.flags = RST | ACK, .seq = 0, .ack = LOCAL_SEQ + 7));
    EXPECT_STATE(NS_TCP_STATE_SYN_SENT);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_syn_sent_rcv_bad_ack_sends_rst(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ, .ack = LOCAL_SEQ + 99));
    EXPECT_STATE(NS_TCP_STATE_SYN_SENT);
    EXPECT_SENT(SEG(.flags = RST, .seq = LOCAL_SEQ + 99));
    h_teardown();
}

static void test_syn_sent_rcv_syn_simultaneous_open(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    peer_sends(SEG(.flags = SYN, .seq = REMOTE_SEQ, .mss = 1460));
    EXPECT_STATE(NS_TCP_STATE_SYN_RECEIVED);
    EXPECT_SENT(SEG(.flags = SYN | ACK, .seq = LOCAL_SEQ, .mss = 1460));
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ));
    /* Their SYN-ACK acknowledges our SYN: ESTABLISHED, and an ACK for
     * their (duplicate) SYN (RFC 9293 figure 7). */
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    EXPECT_SENT(SEG(.flags = ACK));
    h_teardown();
}

static void test_syn_sent_rto_retransmits_syn_with_backoff(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    advance(NS_MS(999));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.flags = SYN, .seq = LOCAL_SEQ, .why = NS_SEND_RTO));
    advance(NS_MS(1999));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.flags = SYN, .seq = LOCAL_SEQ));
    h_teardown();
}

static void test_syn_sent_retries_exhausted_etimedout(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    /* RFC 1122 4.2.3.5: retried for at least 3 minutes: SYNs again at
     * 1, 3, 7, 15, 31, 63 and 127 s, and the give-up 120 s (rto_max)
     * after the last. */
    advance(NS_S(246));
    EXPECT_STATE(NS_TCP_STATE_SYN_SENT);
    CU_ASSERT_EQUAL(H->c.outq.count, 7);
    drain_sent();
    advance(NS_S(1));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, ETIMEDOUT);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_syn_sent_syn_ack_rtt_sample(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_SENT);
    H->now += NS_MS(20);
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ, .mss = 1460));
    CU_ASSERT_EQUAL(H->c.srtt, NS_MS(20));
    CU_ASSERT_EQUAL(H->c.rto, NS_S(1)); /* RFC 6298 2.4: at least 1 s */
    drain_sent();
    h_teardown();
}

/* ---------------- SYN-RECEIVED ---------------- */

static void test_syn_received_rcv_ack_established(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_RECEIVED);
    peer_sends(SEG(.flags = ACK));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_syn_received_rcv_bad_ack_sends_rst(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_RECEIVED);
    peer_sends(SEG(.flags = ACK, .ack = LOCAL_SEQ + 500));
    EXPECT_STATE(NS_TCP_STATE_SYN_RECEIVED);
    EXPECT_SENT(SEG(.flags = RST, .seq = LOCAL_SEQ + 500));
    h_teardown();
}

static void test_syn_received_rcv_rst_returns_to_listen(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_RECEIVED);
    peer_sends(SEG(.flags = RST));
    /* The passive child goes away without an error for anyone. */
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, 0);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_syn_received_rto_resends_syn_ack(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_RECEIVED);
    advance(NS_S(1));
    EXPECT_SENT(SEG(.flags = SYN | ACK, .seq = LOCAL_SEQ, .why = NS_SEND_RTO));
    advance(NS_S(2));
    EXPECT_SENT(SEG(.flags = SYN | ACK, .seq = LOCAL_SEQ));
    h_teardown();
}

static void test_syn_received_synack_retries_exhausted_vanishes(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_RECEIVED);
    advance(NS_S(62));
    CU_ASSERT_EQUAL(H->c.outq.count, 5); /* 1, 3, 7, 15, 31 s */
    drain_sent();
    EXPECT_STATE(NS_TCP_STATE_SYN_RECEIVED);
    advance(NS_S(1));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, 0);
    h_teardown();
}

static void test_syn_received_rcv_dup_syn_resends_syn_ack(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_RECEIVED);
    peer_sends(SEG(.flags = SYN, .seq = REMOTE_SEQ, .mss = 1460));
    EXPECT_STATE(NS_TCP_STATE_SYN_RECEIVED);
    EXPECT_SENT(SEG(.flags = SYN | ACK, .seq = LOCAL_SEQ));
    h_teardown();
}

static void test_syn_received_app_close_fin_wait_1(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_SYN_RECEIVED);
    tcp_conn_shutdown_write(&H->c, H->now, NS_CAUSE_APP_CLOSE);
    EXPECT_STATE(NS_TCP_STATE_FIN_WAIT_1);
    EXPECT_NOTHING_SENT(); /* the FIN waits for the ACK of our SYN */
    peer_sends(SEG(.flags = ACK));
    EXPECT_STATE(NS_TCP_STATE_FIN_WAIT_1);
    EXPECT_SENT(SEG(.flags = FIN | ACK));
    h_teardown();
}

/* ---------------- ESTABLISHED ---------------- */

static void test_established_rcv_data_delays_ack(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = ACK | PSH, .data = "hello"));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(H->c.rx_len, 5);
    advance(NS_MS(199));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 6));
    h_teardown();
}

static void test_established_rcv_two_full_segments_acks_now(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.len = 1460));
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.seq = REMOTE_SEQ + 1 + 1460, .len = 1460));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1 + 2920));
    h_teardown();
}

static void test_established_rcv_out_of_order_dup_ack(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.seq = REMOTE_SEQ + 1 + 100, .len = 100));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1));
    CU_ASSERT_EQUAL(H->c.rx_len, 0);
    peer_sends(SEG(.len = 100));
    /* The hole is filled: one ACK for everything, at once. */
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 201));
    CU_ASSERT_EQUAL(H->c.rx_len, 200);
    h_teardown();
}

static void test_established_rcv_old_duplicate_acks(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.data = "abc"));
    drain_sent();
    advance(NS_MS(200));
    drain_sent();
    peer_sends(SEG(.data = "abc"));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 4));
    CU_ASSERT_EQUAL(H->c.rx_len, 3);
    h_teardown();
}

static void test_established_send_data(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(app_write(100), 100);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100));
    CU_ASSERT_NOT_EQUAL(H->c.timer[NS_TCP_T_REXMT], NS_TIME_NEVER);
    peer_sends(SEG(.ack = LOCAL_SEQ + 101));
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_REXMT], NS_TIME_NEVER);
    CU_ASSERT_EQUAL(H->c.sb_len, 0);
    h_teardown();
}

static void test_established_send_segments_by_mss_and_iw(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    app_write(10000);
    /* IW = min(4*1460, max(2*1460, 4380)) = 4380 = 3 segments. */
    EXPECT_SENT(SEG(.len = 1460));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 1461, .len = 1460));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2921, .len = 1460));
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1461));
    /* Slow start: +1 MSS per ACK, so two more. */
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 4381, .len = 1460));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 5841, .len = 1460));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* env->drain as the layer does it: everything queued but the last. */
static uint32_t drained_seq[32], n_drained, drain_calls;

static void drain_hook(NsTcpConn *c)
{
    CU_ASSERT_EQUAL(c->outq.count, TCP_DRAIN_AT + 1);
    drain_calls++;
    while (c->outq.count > 1) {
        NsPacket *p = ns_packet_queue_pop(&c->outq);
        NsTcpRepr r;
        ns_tcp_parse(p->data, p->len, LOCAL_ADDR, REMOTE_ADDR, &r);
        if (n_drained < G_N_ELEMENTS(drained_seq))
            drained_seq[n_drained++] = r.seq;
        ns_packet_free(p);
    }
}

static void test_established_burst_handed_to_drain_in_order(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->env.drain = drain_hook;
    n_drained = drain_calls = 0;
    H->c.cwnd = 20 * 1460;
    app_write(20 * 1460);
    /* Two bursts of 8 handed over at 9 queued; the last 4 stay queued. */
    CU_ASSERT_EQUAL(drain_calls, 2);
    CU_ASSERT_EQUAL(n_drained, 16);
    for (uint32_t i = 0; i < n_drained; i++)
        CU_ASSERT_EQUAL(drained_seq[i], LOCAL_SEQ + 1 + i * 1460);
    for (uint32_t i = 16; i < 20; i++)
        EXPECT_SENT(SEG(.flags = i == 19 ? ACK | PSH : ACK, .seq = LOCAL_SEQ + 1 + i * 1460,
                        .len = 1460));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_established_nagle_holds_small_segment(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    app_write(10);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 10));
    app_write(10);
    EXPECT_NOTHING_SENT(); /* data outstanding: wait for its ACK */
    peer_sends(SEG(.ack = LOCAL_SEQ + 11));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 11, .len = 10));
    h_teardown();
}

/* Minshall's variant (linux, tcp_minshall_check): the small tail of a
 * write leaves at once behind full segments in flight; a second small
 * segment waits while the first is unacknowledged. */
static void test_established_minshall_nagle_sends_tail_at_once(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(H->c.mss, 1448);
    app_write(1448 + 104);
    EXPECT_SENT(SEG(.flags = ACK, .len = 1448));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 1 + 1448, .len = 104));
    EXPECT_NOTHING_SENT();
    app_write(10);
    EXPECT_NOTHING_SENT(); /* the 104-byte segment is unacknowledged */
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 1448 + 104, .ts = true, .ts_val = 600));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 1 + 1448 + 104, .len = 10));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* linux (tso_min_segs): new data leaves in TSO packets, PSH on the last
 * segment of each. At an SRTT of 20 ms and a cwnd of 10 a packet holds
 * the minimum of two segments (tcp_tso_autosize): PSH on every second. */
static void test_established_linux_psh_ends_each_tso_packet(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.srtt = NS_MS(20);
    CU_ASSERT_EQUAL(H->c.cwnd, 10 * 1448);
    app_write(20 * 1448);
    for (uint32_t i = 0; i < 10; i++)
        EXPECT_SENT(SEG(.flags = i % 2 ? ACK | PSH : ACK, .seq = LOCAL_SEQ + 1 + i * 1448,
                        .len = 1448));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* At an SRTT of 2 ms the pacing rate allows 15 segments a packet (about
 * a millisecond's worth, plus the short-path term): the whole window of
 * 10 is one packet, PSH on its last segment only. */
static void test_established_linux_tso_packet_grows_on_short_path(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.srtt = NS_MS(2);
    app_write(20 * 1448);
    for (uint32_t i = 0; i < 10; i++)
        EXPECT_SENT(SEG(.flags = i == 9 ? ACK | PSH : ACK, .seq = LOCAL_SEQ + 1 + i * 1448,
                        .len = 1448));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* A TSO packet that ends before its planned size ends with PSH all the
 * same (and a checksum mended for it): Minshall's Nagle holds the small
 * tail while an earlier small segment is unacknowledged, so the packet
 * is the three full segments. */
static void test_established_linux_tso_packet_ended_by_nagle_has_psh(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.srtt = NS_MS(2);
    app_write(10);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 10));
    app_write(3 * 1448 + 100);
    for (uint32_t i = 0; i < 3; i++)
        EXPECT_SENT(SEG(.flags = i == 2 ? ACK | PSH : ACK, .seq = LOCAL_SEQ + 11 + i * 1448,
                        .len = 1448));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* linux (tso_win_divisor, Linux tcp_tso_should_defer): right after a
 * send, one segment's room in cwnd does not make a packet of two; it
 * waits for the next ACK, and then both go as one packet. */
static void test_established_linux_small_tso_packet_waits_for_next_ack(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.srtt = NS_MS(20);
    H->c.ssthresh = 10 * 1448; /* congestion avoidance: ACKs free, not grow */
    app_write(30 * 1448);
    drain_sent();
    advance(NS_MS(20));
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 2 * 1448, .ts = true, .ts_val = 600));
    CU_ASSERT_EQUAL(H->c.cwnd, 10 * 1448);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 1 + 10 * 1448, .len = 1448));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 1 + 11 * 1448, .len = 1448));
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 3 * 1448, .ts = true, .ts_val = 600));
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 4 * 1448, .ts = true, .ts_val = 600));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 1 + 12 * 1448, .len = 1448));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 1 + 13 * 1448, .len = 1448));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* The same single segment's room goes at once when nothing was sent in
 * the last millisecond (Linux defers only right after a send). */
static void test_established_linux_tso_no_wait_after_quiet_millisecond(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.srtt = NS_MS(20);
    H->c.ssthresh = 10 * 1448;
    app_write(30 * 1448);
    drain_sent();
    advance(NS_MS(20));
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 1448, .ts = true, .ts_val = 600));
    CU_ASSERT_EQUAL(H->c.cwnd, 10 * 1448);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 1 + 10 * 1448, .len = 1448));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* minimal, classic RFC 896: the same tail waits for the full segment's
 * ACK. */
static void test_established_classic_nagle_holds_tail(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    app_write(1460 + 104);
    EXPECT_SENT(SEG(.flags = ACK, .len = 1460));
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 1460));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 1 + 1460, .len = 104));
    h_teardown();
}

/* linux: before any data arrived the delayed-ACK timeout is 0 (Linux's
 * icsk_ack.ato), so a FIN is acknowledged at once; after data it waits. */
static void test_established_linux_fin_before_data_acked_at_once(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = FIN | ACK, .ts = true, .ts_val = 600));
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 2));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_established_linux_fin_after_data_acked_late(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = ACK | PSH, .data = "hi", .ts = true, .ts_val = 600));
    drain_sent();
    peer_sends(SEG(.flags = FIN | ACK, .seq = REMOTE_SEQ + 3, .ts = true, .ts_val = 601));
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    EXPECT_NOTHING_SENT();
    advance(NS_MS(40));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 4, .why = NS_SEND_DELAYED_ACK));
    h_teardown();
}

/* linux receive-buffer autotuning (rcv_autotune): `n` full segments
 * (1448 bytes with timestamps) from the peer at the harness's time, each
 * echoing the timestamp we sent when the connection was established
 * (at est_time). */
static NsTime est_time;

static void peer_sends_full(uint32_t first, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        peer_sends(SEG(.flags = ACK, .seq = REMOTE_SEQ + 1 + (first + i) * 1448u, .len = 1448,
                       .ts = true, .ts_val = 600 + first + i, .ts_ecr = tcp_ts_now(&H->c, est_time)));
}

/* Linux tcp_grow_window: rcv_ssthresh (64240 after the SYN) grows by two
 * segments per full-sized segment, and the window follows it, rounded up
 * to the 1024-byte scale unit: 67584 after one segment, 70656 after two,
 * as the client of the reference capture (case 1). */
static void test_established_linux_window_grows_two_segments_per_segment(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(H->c.rcv_ssthresh, 64240);
    est_time = H->now;
    advance(NS_MS(20));
    peer_sends_full(0, 1);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1 + 1448, .win = 67584 >> 10));
    peer_sends_full(1, 1);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1 + 2 * 1448, .win = 70656 >> 10));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(H->c.rcv_ssthresh, 64240 + 2 * 2896);
    h_teardown();
}

/* The growth stops where the buffer has no more room: tcp_rmem[1] =
 * 131072 bytes allow a window of 131072 * 160 / 256 = 81920 bytes once a
 * full segment arrived, less what waits to be read. Four segments take
 * rcv_ssthresh to 64240 + 4 * 2896 = 75824; unread, the fifth finds
 * 81920 - 5 * 1448 = 74680 below it: no growth. */
static void test_established_linux_window_growth_stops_at_buffer(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    est_time = H->now;
    advance(NS_MS(20));
    peer_sends_full(0, 4);
    CU_ASSERT_EQUAL(tcp_rcvbuf(&H->c), 81920);
    CU_ASSERT_EQUAL(H->c.rcv_ssthresh, 75824);
    peer_sends_full(4, 2);
    CU_ASSERT_EQUAL(H->c.rcv_ssthresh, 75824);
    drain_sent();
    h_teardown();
}

/* Linux tcp_rcv_space_adjust / tcp_rcvbuf_grow: at the first read once a
 * receive round trip (20 ms, from the timestamp echo) has passed, what the
 * application read since the last measure is compared with it (at first
 * 14480 bytes, ten segments). 10 segments read: no growth. 20 more read at
 * once a round trip later: the buffer's window becomes 2 * 28960 plus
 * twice that times the growth (28960 - 14480) / 14480, 173760 bytes
 * (278016 bytes of memory at 160/256). */
static void test_established_linux_autotuning_grows_buffer_per_round_trip(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    est_time = H->now;
    advance(NS_MS(20));
    peer_sends_full(0, 10);
    CU_ASSERT_EQUAL(tcp_conn_read(&H->c, NULL, 1u << 20, H->now), 14480);
    CU_ASSERT_EQUAL(tcp_rcvbuf(&H->c), 81920);
    drain_sent();
    advance(NS_MS(20));
    peer_sends_full(10, 20);
    CU_ASSERT_EQUAL(tcp_rcvbuf(&H->c), 81920);
    CU_ASSERT_EQUAL(tcp_conn_read(&H->c, NULL, 1u << 20, H->now), 28960);
    CU_ASSERT_EQUAL(H->c.rcvspace->rcvbuf, 278016);
    CU_ASSERT_EQUAL(tcp_rcvbuf(&H->c), 173760);
    drain_sent();
    h_teardown();
}

/* The delayed-ACK timer is traced as the other timers: armed when data
 * arrives with nothing to send back, fired when the ACK goes alone. */
static void test_established_delack_timer_armed_then_fired(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    h_record();
    peer_sends(SEG(.flags = ACK | PSH, .data = "hello"));
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TIMER, NS_TIMER_DELACK), 1);
    const NsTraceEvent *armed = h_event(NS_TRACE_TIMER, NS_TIMER_DELACK, 0);
    CU_ASSERT_EQUAL(armed->timer_op, NS_TIMER_ARMED);
    CU_ASSERT_EQUAL(armed->duration, NS_MS(200));
    advance(NS_MS(200));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 6, .why = NS_SEND_DELAYED_ACK));
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TIMER, NS_TIMER_DELACK), 2);
    CU_ASSERT_EQUAL(h_event(NS_TRACE_TIMER, NS_TIMER_DELACK, 1)->timer_op, NS_TIMER_FIRED);
    h_teardown();
}

/* An ACK that leaves for another reason (here on the application's data)
 * cancels the pending delayed ACK, and the trace says so. */
static void test_established_delack_cancelled_by_data(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    h_record();
    peer_sends(SEG(.flags = ACK | PSH, .data = "hello"));
    app_write(10);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .ack = REMOTE_SEQ + 6, .len = 10));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TIMER, NS_TIMER_DELACK), 2);
    CU_ASSERT_EQUAL(h_event(NS_TRACE_TIMER, NS_TIMER_DELACK, 1)->timer_op, NS_TIMER_CANCELLED);
    advance(NS_MS(300));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TIMER, NS_TIMER_DELACK), 2);
    h_teardown();
}

/* A write held back by Nagle is one typed event when the hold begins,
 * carrying the bytes held and the bytes unacknowledged; later writes
 * joining the same hold add none. */
static void test_established_nagle_hold_traced_once(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    h_record();
    app_write(10);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 10));
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TCP, 0), 0);
    app_write(4);
    app_write(6);
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TCP, 0), 1);
    const NsTraceEvent *ev = h_event(NS_TRACE_TCP, 0, 0);
    CU_ASSERT_EQUAL(ev->tcp_ev, NS_TCP_EV_NAGLE);
    CU_ASSERT_EQUAL(ev->payload_len, 4);
    CU_ASSERT_EQUAL(ev->in_flight, 10);
    peer_sends(SEG(.ack = LOCAL_SEQ + 11));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 11, .len = 10));
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TCP, 0), 1);
    h_teardown();
}

/* With TCP_NODELAY nothing is held, so nothing is traced. */
static void test_established_nodelay_no_nagle_event(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.nodelay = true;
    h_record();
    app_write(10);
    app_write(10);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 10));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 11, .len = 10));
    CU_ASSERT_EQUAL(h_count(NS_TRACE_TCP, 0), 0);
    h_teardown();
}

/* RFC 5681 3.1 and RFC 6298 5.7 (minimal): after a lost SYN the initial
 * window is one segment and the RTO 3 s once data flows. */
static void test_syn_sent_lost_syn_iw_one_rto_3s(void)
{
    SETUP();
    tcp_conn_connect(&H->c, H->now);
    drain_sent();
    advance(NS_S(1));
    CU_ASSERT_EQUAL(H->c.outq.count, 1); /* the SYN again */
    drain_sent();
    H->now += NS_MS(20);
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ, .mss = 1460));
    drain_sent();
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(H->c.srtt, 0); /* Karn: no sample from a retransmitted SYN */
    CU_ASSERT_EQUAL(H->c.cwnd, 1460);
    CU_ASSERT_EQUAL(H->c.rto, NS_S(3));
    app_write(3 * 1460);
    EXPECT_SENT(SEG(.flags = ACK, .len = 1460));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_REXMT], H->now + NS_S(3));
    h_teardown();
}

/* Without a lost SYN: the RFC 5681 initial window, 3 segments. */
static void test_syn_sent_no_loss_iw_three(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    app_write(4 * 1460);
    EXPECT_SENT(SEG(.flags = ACK, .len = 1460));
    EXPECT_SENT(SEG(.flags = ACK, .seq = LOCAL_SEQ + 1 + 1460, .len = 1460));
    EXPECT_SENT(SEG(.flags = ACK, .seq = LOCAL_SEQ + 1 + 2 * 1460, .len = 1460));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_established_nodelay_sends_small_segments(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.nodelay = true;
    app_write(10);
    app_write(10);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 10));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .seq = LOCAL_SEQ + 11, .len = 10));
    h_teardown();
}

static void test_established_rcv_fin_close_wait(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = FIN | ACK));
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 2));
    CU_ASSERT_TRUE(H->c.fin_rcvd);
    h_teardown();
}

static void test_established_rcv_fin_with_data_close_wait(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = FIN | ACK | PSH, .data = "bye"));
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 5));
    CU_ASSERT_EQUAL(H->c.rx_len, 3);
    h_teardown();
}

static void test_established_rcv_out_of_order_fin_waits(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = FIN | ACK, .seq = REMOTE_SEQ + 4, .data = "def"));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1));
    peer_sends(SEG(.data = "abc"));
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 8));
    CU_ASSERT_EQUAL(H->c.rx_len, 6);
    h_teardown();
}

/* A FIN alone beyond a hole is kept with the data after the hole, and
 * taken when the hole is filled (not dropped for the peer to send again
 * after its RTO). */
static void test_established_rcv_bare_fin_after_gap_kept(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.seq = REMOTE_SEQ + 4, .data = "def"));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1));
    peer_sends(SEG(.flags = FIN | ACK, .seq = REMOTE_SEQ + 7));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1)); /* a duplicate ACK, at once */
    peer_sends(SEG(.data = "abc"));
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 8));
    CU_ASSERT_EQUAL(H->c.rx_len, 6);
    h_teardown();
}

/* The FIN is kept while only part of the hole before it is filled. */
static void test_established_rcv_bare_fin_waits_for_whole_hole(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = FIN | ACK, .seq = REMOTE_SEQ + 7));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1));
    peer_sends(SEG(.data = "abc"));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 4));
    peer_sends(SEG(.seq = REMOTE_SEQ + 4, .data = "def"));
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 8));
    CU_ASSERT_EQUAL(H->c.rx_len, 6);
    h_teardown();
}

static void test_established_app_close_fin_wait_1(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    tcp_conn_shutdown_write(&H->c, H->now, NS_CAUSE_APP_CLOSE);
    EXPECT_STATE(NS_TCP_STATE_FIN_WAIT_1);
    EXPECT_SENT(SEG(.flags = FIN | ACK));
    h_teardown();
}

static void test_established_app_close_fin_after_data(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    app_write(100);
    tcp_conn_shutdown_write(&H->c, H->now, NS_CAUSE_APP_CLOSE);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100));
    EXPECT_SENT(SEG(.flags = FIN | ACK, .seq = LOCAL_SEQ + 101));
    h_teardown();
}

static void test_established_rcv_rst_reset(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = RST, .seq = REMOTE_SEQ + 1));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, ECONNRESET);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_established_rcv_rst_in_window_minimal_resets(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = RST, .seq = REMOTE_SEQ + 1000));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    h_teardown();
}

static void test_established_rcv_rst_out_of_window_ignored(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = RST, .seq = REMOTE_SEQ + 1 + 100000));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_established_rcv_syn_minimal_resets(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = SYN, .seq = REMOTE_SEQ + 10));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    EXPECT_SENT(SEG(.flags = RST));
    CU_ASSERT_EQUAL(H->c.error, ECONNRESET);
    h_teardown();
}

static void test_established_rcv_unacceptable_seq_acks(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.seq = REMOTE_SEQ + 1 + 70000, .data = "x"));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1));
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    h_teardown();
}

static void test_established_rcv_ack_of_unsent_acks(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.ack = LOCAL_SEQ + 500));
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1));
    CU_ASSERT_EQUAL(H->c.snd_una, LOCAL_SEQ + 1);
    h_teardown();
}

static void test_established_rcv_no_ack_flag_dropped(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.flags = PSH, .data = "x"));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(H->c.rx_len, 0);
    h_teardown();
}

static void test_established_rto_retransmits_with_backoff(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    NsTime srtt = H->c.srtt;
    app_write(100);
    drain_sent();
    advance(NS_S(1));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100, .why = NS_SEND_RTO));
    CU_ASSERT_EQUAL(H->c.cwnd, 1460);
    advance(NS_MS(1999));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100));
    advance(NS_S(4));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100));
    peer_sends(SEG(.ack = LOCAL_SEQ + 101));
    CU_ASSERT_EQUAL(H->c.rxt_shift, 0);
    CU_ASSERT_EQUAL(H->c.srtt, srtt); /* Karn: no sample from a retransmission */
    h_teardown();
}

static void test_established_retries_exhausted_etimedout(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    app_write(100);
    advance(NS_S(2000));
    drain_sent();
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, ETIMEDOUT);
    CU_ASSERT_EQUAL(H->c.retransmits, 15);
    h_teardown();
}

static void test_established_3_dupacks_fast_retransmit(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.cwnd = 10 * 1460;
    app_write(10 * 1460);
    drain_sent();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1));
    peer_sends(SEG(.ack = LOCAL_SEQ + 1));
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1));
    EXPECT_SENT(SEG(.len = 1460, .why = NS_SEND_FAST_RETRANSMIT));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    CU_ASSERT_EQUAL(H->c.ssthresh, 5 * 1460);
    CU_ASSERT_EQUAL(H->c.cwnd, 8 * 1460);
    h_teardown();
}

static void test_established_partial_ack_retransmits_next_hole(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.cwnd = 10 * 1460;
    app_write(10 * 1460);
    drain_sent();
    for (int i = 0; i < 3; i++)
        peer_sends(SEG(.ack = LOCAL_SEQ + 1));
    drain_sent();
    /* RFC 6582: a partial ACK means the next segment is lost too. */
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 2920));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 1 + 2920, .len = 1460, .why = NS_SEND_FAST_RETRANSMIT));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    drain_sent();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 14600));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    CU_ASSERT_EQUAL(H->c.cwnd, 1460); /* min(ssthresh, flight + MSS) */
    drain_sent();
    h_teardown();
}

static void test_established_zero_window_persist_probe(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.win = 0));
    app_write(100);
    EXPECT_NOTHING_SENT();
    CU_ASSERT_NOT_EQUAL(H->c.timer[NS_TCP_T_PERSIST], NS_TIME_NEVER);
    advance(NS_S(1));
    EXPECT_SENT(SEG(.flags = ACK, .len = 1, .why = NS_SEND_PROBE));
    advance(NS_S(2));
    EXPECT_SENT(SEG(.flags = ACK, .len = 1, .why = NS_SEND_PROBE));
    peer_sends(SEG(.win = 1000));
    EXPECT_SENT(SEG(.flags = ACK | PSH, .len = 100));
    CU_ASSERT_EQUAL(H->c.timer[NS_TCP_T_PERSIST], NS_TIME_NEVER);
    h_teardown();
}

/* RFC 9293 3.8.6.2.1: a window smaller than a segment is not filled at
 * once (sender SWS avoidance) but is when the override timeout expires. */
static void test_established_small_window_override_timeout_sends_it(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_sends(SEG(.win = 500));
    app_write(4000);
    EXPECT_NOTHING_SENT();
    CU_ASSERT_NOT_EQUAL(H->c.timer[NS_TCP_T_PERSIST], NS_TIME_NEVER);
    advance(NS_S(1));
    EXPECT_SENT(SEG(.flags = ACK, .len = 500));
    EXPECT_NOTHING_SENT();
    CU_ASSERT_NOT_EQUAL(H->c.timer[NS_TCP_T_REXMT], NS_TIME_NEVER);
    h_teardown();
}

static void test_established_rcv_fills_window_then_update_after_read(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    for (uint32_t off = 0; off < 65535; off += 1460) {
        uint32_t l = 65535 - off < 1460 ? 65535 - off : 1460;
        peer_sends(SEG(.seq = REMOTE_SEQ + 1 + off, .len = l));
    }
    advance(NS_MS(200));
    NsTcpRepr r;
    while (pop_sent(&r, NULL)) {
    }
    CU_ASSERT_EQUAL(r.window, 0);
    uint8_t buf[4096];
    tcp_conn_read(&H->c, buf, sizeof buf, H->now);
    EXPECT_SENT(SEG(.ack = REMOTE_SEQ + 1 + 65535, .win = 4096, .why = NS_SEND_WINDOW_UPDATE));
    h_teardown();
}

static void test_established_rtt_sample_sets_rto(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.srtt = 0;
    app_write(100);
    drain_sent();
    H->now += NS_MS(300);
    peer_sends(SEG(.ack = LOCAL_SEQ + 101));
    CU_ASSERT_EQUAL(H->c.srtt, NS_MS(300));
    CU_ASSERT_EQUAL(H->c.rttvar, NS_MS(150));
    CU_ASSERT_EQUAL(H->c.rto, NS_S(1)); /* 300 + 600 ms, floored at 1 s */
    h_teardown();
}

static void test_established_abort_sends_rst(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    tcp_conn_reset(&H->c, H->now, NS_CAUSE_APP_ABORT);
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    EXPECT_SENT(SEG(.flags = RST));
    h_teardown();
}

/* ---------------- FIN-WAIT-1 ---------------- */

static void test_fin_wait_1_rcv_ack_of_fin_fin_wait_2(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
    peer_sends(SEG(.ack = LOCAL_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_FIN_WAIT_2);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_fin_wait_1_rcv_fin_closing(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
    peer_sends(SEG(.flags = FIN | ACK, .ack = LOCAL_SEQ + 1));
    EXPECT_STATE(NS_TCP_STATE_CLOSING);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2, .ack = REMOTE_SEQ + 2));
    h_teardown();
}

static void test_fin_wait_1_rcv_fin_ack_time_wait(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
    peer_sends(SEG(.flags = FIN | ACK, .ack = LOCAL_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_TIME_WAIT);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2, .ack = REMOTE_SEQ + 2));
    h_teardown();
}

static void test_fin_wait_1_rto_retransmits_fin(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
    advance(NS_S(1));
    EXPECT_SENT(SEG(.flags = FIN | ACK, .why = NS_SEND_RTO));
    h_teardown();
}

static void test_fin_wait_1_rcv_data_acked(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
    peer_sends(SEG(.len = 1460));
    peer_sends(SEG(.seq = REMOTE_SEQ + 1461, .len = 1460));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2, .ack = REMOTE_SEQ + 2921));
    CU_ASSERT_EQUAL(H->c.rx_len, 2920);
    h_teardown();
}

/* ---------------- FIN-WAIT-2 ---------------- */

static void test_fin_wait_2_rcv_fin_time_wait(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_2);
    peer_sends(SEG(.flags = FIN | ACK, .ack = LOCAL_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_TIME_WAIT);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2, .ack = REMOTE_SEQ + 2));
    h_teardown();
}

static void test_fin_wait_2_rcv_data_half_close(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_2);
    peer_sends(SEG(.ack = LOCAL_SEQ + 2, .data = "more"));
    CU_ASSERT_EQUAL(H->c.rx_len, 4);
    advance(NS_MS(200));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2, .ack = REMOTE_SEQ + 5));
    h_teardown();
}

static void test_fin_wait_2_orphan_timer_closes(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
    H->c.orphan = true;
    peer_sends(SEG(.ack = LOCAL_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_FIN_WAIT_2);
    advance(NS_S(60));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

/* ---------------- CLOSE-WAIT ---------------- */

static void test_close_wait_app_close_last_ack(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_CLOSE_WAIT);
    tcp_conn_shutdown_write(&H->c, H->now, NS_CAUSE_APP_CLOSE);
    EXPECT_STATE(NS_TCP_STATE_LAST_ACK);
    EXPECT_SENT(SEG(.flags = FIN | ACK, .ack = REMOTE_SEQ + 2));
    h_teardown();
}

static void test_close_wait_send_data_half_close(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_CLOSE_WAIT);
    CU_ASSERT_EQUAL(app_write(5), 5);
    EXPECT_SENT(SEG(.flags = ACK | PSH, .ack = REMOTE_SEQ + 2, .len = 5));
    h_teardown();
}

static void test_close_wait_rcv_rst_reset(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_CLOSE_WAIT);
    peer_sends(SEG(.flags = RST, .seq = REMOTE_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, ECONNRESET);
    h_teardown();
}

/* ---------------- CLOSING ---------------- */

static void test_closing_rcv_ack_of_fin_time_wait(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_CLOSING);
    peer_sends(SEG(.seq = REMOTE_SEQ + 2, .ack = LOCAL_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_TIME_WAIT);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_closing_rto_retransmits_fin(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_CLOSING);
    advance(NS_S(1));
    EXPECT_SENT(SEG(.flags = FIN | ACK, .ack = REMOTE_SEQ + 2, .why = NS_SEND_RTO));
    h_teardown();
}

/* ---------------- LAST-ACK ---------------- */

static void test_last_ack_rcv_ack_of_fin_closed(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_LAST_ACK);
    peer_sends(SEG(.seq = REMOTE_SEQ + 2, .ack = LOCAL_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, 0);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_last_ack_rto_retransmits_fin(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_LAST_ACK);
    advance(NS_S(1));
    EXPECT_SENT(SEG(.flags = FIN | ACK, .ack = REMOTE_SEQ + 2, .why = NS_SEND_RTO));
    h_teardown();
}

static void test_last_ack_rcv_rst_closed_without_error(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_LAST_ACK);
    peer_sends(SEG(.flags = RST, .seq = REMOTE_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, 0);
    h_teardown();
}

/* ---------------- TIME-WAIT ---------------- */

static void test_time_wait_2msl_closes(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_TIME_WAIT);
    advance(NS_S(60) - 1);
    EXPECT_STATE(NS_TCP_STATE_TIME_WAIT);
    advance(1);
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_time_wait_rcv_fin_again_acks_and_restarts(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_TIME_WAIT);
    advance(NS_S(30));
    peer_sends(SEG(.flags = FIN | ACK, .ack = LOCAL_SEQ + 2));
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2, .ack = REMOTE_SEQ + 2));
    advance(NS_S(59));
    EXPECT_STATE(NS_TCP_STATE_TIME_WAIT);
    advance(NS_S(1));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    h_teardown();
}

static void test_time_wait_rcv_rst_closes(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_TIME_WAIT);
    peer_sends(SEG(.flags = RST, .seq = REMOTE_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_CLOSED);
    CU_ASSERT_EQUAL(H->c.error, 0);
    h_teardown();
}

static void test_time_wait_rcv_syn_acks(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_TIME_WAIT);
    peer_sends(SEG(.flags = SYN, .seq = REMOTE_SEQ + 2));
    EXPECT_STATE(NS_TCP_STATE_TIME_WAIT);
    EXPECT_SENT(SEG(.seq = LOCAL_SEQ + 2, .ack = REMOTE_SEQ + 2));
    h_teardown();
}

#define T(f) {#f, f}
/* ---- send buffer: written bytes in a ring, pattern bytes as runs ---- */

/* The send buffer holds "HELLO", 3,000 pattern bytes from pattern offset
 * 100, "xyz": nothing is sent (zero window), and copies of any range give
 * those bytes with their checksum. */
static void sb_mixed(uint8_t *want)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.snd_wnd = 0;
    CU_ASSERT_EQUAL(tcp_conn_write(&H->c, (const uint8_t *)"HELLO", 5, H->now), 5);
    CU_ASSERT_EQUAL(tcp_conn_write_pattern(&H->c, NULL, 0, 100, 3000, H->now), 3000);
    CU_ASSERT_EQUAL(tcp_conn_write(&H->c, (const uint8_t *)"xyz", 3, H->now), 3);
    memcpy(want, "HELLO", 5);
    ns_pattern_fill(100, want + 5, 3000);
    memcpy(want + 3005, "xyz", 3);
}

static void test_send_buffer_mixes_written_and_pattern_bytes(void)
{
    uint8_t want[3008], got[3008];
    sb_mixed(want);
    drain_sent();
    CU_ASSERT_EQUAL(H->c.sb_len, 3008);
    CU_ASSERT_EQUAL(tcp_sb_ring_cap(&H->c), 256); /* the 8 written bytes' ring, at its least */
    /* Every range, at even and odd offsets, across the runs' edges. */
    static const uint32_t ranges[][2] = {{0, 3008}, {3, 1000}, {4, 3004}, {2999, 9}, {3005, 3}};
    for (size_t i = 0; i < G_N_ELEMENTS(ranges); i++) {
        uint32_t off = ranges[i][0], len = ranges[i][1];
        memset(got, 0, sizeof got);
        uint32_t sum = tcp_sb_copy(&H->c, got, H->c.sb_seq + off, len);
        CU_ASSERT_EQUAL(memcmp(got, want + off, len), 0);
        CU_ASSERT_EQUAL(ns_csum_fold(sum), ns_csum_fold(ns_csum_partial(0, want + off, len)));
    }
    h_teardown();
}

static void test_send_buffer_drops_acked_bytes_across_runs(void)
{
    uint8_t want[3008], got[3008];
    sb_mixed(want);
    drain_sent();
    uint32_t seq = H->c.sb_seq;
    tcp_sb_drop(&H->c, 7); /* "HELLO" and two pattern bytes */
    CU_ASSERT_EQUAL(H->c.sb_seq, seq + 7);
    CU_ASSERT_EQUAL(H->c.sb_len, 3001);
    tcp_sb_copy(&H->c, got, H->c.sb_seq, 3001);
    CU_ASSERT_EQUAL(memcmp(got, want + 7, 3001), 0);
    tcp_sb_drop(&H->c, 3000);
    tcp_sb_copy(&H->c, got, H->c.sb_seq, 1);
    CU_ASSERT_EQUAL(got[0], 'z');
    tcp_sb_drop(&H->c, 1);
    CU_ASSERT_PTR_NULL(H->c.sb); /* empty: freed */
    CU_ASSERT_EQUAL(H->c.sb_seq, seq + 3008);
    h_teardown();
}

/* Pattern bytes are copied and their sum taken from the pattern's table:
 * it equals the sum of the bytes at every phase, every length up to three
 * pairs of periods, and a full-sized segment, also far into a stream. */
static void test_pattern_sum_matches_its_bytes(void)
{
    static uint8_t buf[1448];
    const uint64_t bases[] = {0, 37ull * 1000000007ull};
    for (size_t b = 0; b < G_N_ELEMENTS(bases); b++)
        for (uint64_t phase = 0; phase < NS_PATTERN_PERIOD; phase++) {
            uint64_t off = bases[b] + phase;
            ns_pattern_fill(off, buf, sizeof buf);
            for (size_t len = 0; len <= 6 * NS_PATTERN_PERIOD; len++)
                CU_ASSERT_EQUAL_FATAL(ns_pattern_sum(off, len), ns_csum_partial(0, buf, len));
            CU_ASSERT_EQUAL_FATAL(ns_pattern_sum(off, sizeof buf),
                                  ns_csum_partial(0, buf, sizeof buf));
        }
}

/* A megabyte of pattern costs no ring at all. */
static void test_pattern_write_stores_no_bytes(void)
{
    SETUP();
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->c.snd_wnd = 0;
    uint32_t room = tcp_conn_send_space(&H->c);
    CU_ASSERT_EQUAL(tcp_conn_write_pattern(&H->c, NULL, 0, 0, room + 1, H->now), room);
    CU_ASSERT_EQUAL(H->c.sb_len, room);
    CU_ASSERT_EQUAL(tcp_sb_ring_cap(&H->c), 0);
    CU_ASSERT_EQUAL(tcp_conn_write_pattern(&H->c, NULL, 0, room, 1, H->now), 0); /* full */
    drain_sent();
    h_teardown();
}

CU_TestInfo conn_tests[] = {
    T(test_established_linux_psh_ends_each_tso_packet),
    T(test_established_linux_tso_packet_grows_on_short_path),
    T(test_established_linux_tso_packet_ended_by_nagle_has_psh),
    T(test_established_linux_small_tso_packet_waits_for_next_ack),
    T(test_established_linux_tso_no_wait_after_quiet_millisecond),
    T(test_send_buffer_mixes_written_and_pattern_bytes),
    T(test_send_buffer_drops_acked_bytes_across_runs),
    T(test_pattern_write_stores_no_bytes),
    T(test_pattern_sum_matches_its_bytes),
    T(test_closed_connect_sends_syn),
    T(test_closed_minimal_syn_has_only_mss),
    T(test_listen_rcv_syn_sends_syn_ack),
    T(test_syn_sent_rcv_syn_ack_established),
    T(test_syn_sent_at_time_zero_gives_rtt_sample),
    T(test_syn_sent_rcv_syn_ack_without_mss_uses_536),
    T(test_syn_sent_rcv_rst_ack_refused),
    T(test_syn_sent_rcv_rst_without_ack_ignored),
    T(test_syn_sent_rcv_rst_bad_ack_ignored),
    T(test_syn_sent_rcv_bad_ack_sends_rst),
    T(test_syn_sent_rcv_syn_simultaneous_open),
    T(test_syn_sent_rto_retransmits_syn_with_backoff),
    T(test_syn_sent_retries_exhausted_etimedout),
    T(test_syn_sent_syn_ack_rtt_sample),
    T(test_syn_received_rcv_ack_established),
    T(test_syn_received_rcv_bad_ack_sends_rst),
    T(test_syn_received_rcv_rst_returns_to_listen),
    T(test_syn_received_rto_resends_syn_ack),
    T(test_syn_received_synack_retries_exhausted_vanishes),
    T(test_syn_received_rcv_dup_syn_resends_syn_ack),
    T(test_syn_received_app_close_fin_wait_1),
    T(test_established_rcv_data_delays_ack),
    T(test_established_rcv_two_full_segments_acks_now),
    T(test_established_rcv_out_of_order_dup_ack),
    T(test_established_rcv_old_duplicate_acks),
    T(test_established_send_data),
    T(test_established_send_segments_by_mss_and_iw),
    T(test_established_burst_handed_to_drain_in_order),
    T(test_established_nagle_holds_small_segment),
    T(test_established_minshall_nagle_sends_tail_at_once),
    T(test_established_classic_nagle_holds_tail),
    T(test_established_delack_timer_armed_then_fired),
    T(test_established_linux_fin_before_data_acked_at_once),
    T(test_established_linux_fin_after_data_acked_late),
    T(test_established_linux_window_grows_two_segments_per_segment),
    T(test_established_linux_window_growth_stops_at_buffer),
    T(test_established_linux_autotuning_grows_buffer_per_round_trip),
    T(test_listen_linux_synack_window_is_mss_multiple),
    T(test_established_delack_cancelled_by_data),
    T(test_established_nagle_hold_traced_once),
    T(test_established_nodelay_no_nagle_event),
    T(test_syn_sent_lost_syn_iw_one_rto_3s),
    T(test_syn_sent_no_loss_iw_three),
    T(test_established_nodelay_sends_small_segments),
    T(test_established_rcv_fin_close_wait),
    T(test_established_rcv_fin_with_data_close_wait),
    T(test_established_rcv_out_of_order_fin_waits),
    T(test_established_rcv_bare_fin_after_gap_kept),
    T(test_established_rcv_bare_fin_waits_for_whole_hole),
    T(test_established_app_close_fin_wait_1),
    T(test_established_app_close_fin_after_data),
    T(test_established_rcv_rst_reset),
    T(test_established_rcv_rst_in_window_minimal_resets),
    T(test_established_rcv_rst_out_of_window_ignored),
    T(test_established_rcv_syn_minimal_resets),
    T(test_established_rcv_unacceptable_seq_acks),
    T(test_established_rcv_ack_of_unsent_acks),
    T(test_established_rcv_no_ack_flag_dropped),
    T(test_established_rto_retransmits_with_backoff),
    T(test_established_retries_exhausted_etimedout),
    T(test_established_3_dupacks_fast_retransmit),
    T(test_established_partial_ack_retransmits_next_hole),
    T(test_established_zero_window_persist_probe),
    T(test_established_small_window_override_timeout_sends_it),
    T(test_established_rcv_fills_window_then_update_after_read),
    T(test_established_rtt_sample_sets_rto),
    T(test_established_abort_sends_rst),
    T(test_fin_wait_1_rcv_ack_of_fin_fin_wait_2),
    T(test_fin_wait_1_rcv_fin_closing),
    T(test_fin_wait_1_rcv_fin_ack_time_wait),
    T(test_fin_wait_1_rto_retransmits_fin),
    T(test_fin_wait_1_rcv_data_acked),
    T(test_fin_wait_2_rcv_fin_time_wait),
    T(test_fin_wait_2_rcv_data_half_close),
    T(test_fin_wait_2_orphan_timer_closes),
    T(test_close_wait_app_close_last_ack),
    T(test_close_wait_send_data_half_close),
    T(test_close_wait_rcv_rst_reset),
    T(test_closing_rcv_ack_of_fin_time_wait),
    T(test_closing_rto_retransmits_fin),
    T(test_last_ack_rcv_ack_of_fin_closed),
    T(test_last_ack_rto_retransmits_fin),
    T(test_last_ack_rcv_rst_closed_without_error),
    T(test_time_wait_2msl_closes),
    T(test_time_wait_rcv_fin_again_acks_and_restarts),
    T(test_time_wait_rcv_rst_closes),
    T(test_time_wait_rcv_syn_acks),
    CU_TEST_INFO_NULL,
};
