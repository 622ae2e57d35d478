/* RACK loss detection (RFC 8985 6) on the linux profile: time, not a count
 * of duplicate ACKs, decides that a segment is lost. A flight of 10
 * segments goes out at t0; SACKs come back 20 ms later. */
#include <string.h>

#include "tcp-test.h"

#define MSS 1448u
#define S(k) (LOCAL_SEQ + 1 + (uint32_t)(k) * MSS)
#define BLK(a, b) ((NsTcpSackBlock){S(a), S(b)})
#define DUP_ACK(...) peer_sends(SEG(.ack = S(0), .sack = {__VA_ARGS__}))

static NsTime t0;

static void setup(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_TRUE(H->env.cfg->rack);
    H->c.srtt = NS_MS(20);
    t0 = H->now;
    app_write(10 * MSS);
    drain_sent();
    H->now += NS_MS(20);
}

/* Segments SACKed back to back are kept as one run, all but the last
 * sent (whose send time is the newest): 10 entries become 3. */
static void test_rack_sacked_segments_kept_as_one_run(void)
{
    setup();
    CU_ASSERT_EQUAL(tcp_rack_entries(&H->c), 10);
    DUP_ACK(BLK(1, 3));
    DUP_ACK(BLK(1, 9));
    CU_ASSERT_EQUAL(tcp_rack_entries(&H->c), 3);
    DUP_ACK(BLK(1, 10));
    CU_ASSERT_EQUAL(tcp_rack_entries(&H->c), 3);
    h_teardown();
}

/* An ACK inside a run takes the segments below it from the run. */
static void test_rack_ack_inside_run_shortens_it(void)
{
    setup();
    DUP_ACK(BLK(1, 9));
    peer_sends(SEG(.ack = S(4), .sack = {BLK(4, 9)}));
    CU_ASSERT_EQUAL(tcp_rack_entries(&H->c), 2);
    drain_sent();
    h_teardown();
}

/* Two timeouts make the sender forget the SACKs (the receiver may have
 * reneged), and the ACK of S(1) lets it send two SACKed segments again:
 * those become entries of their own, the rest of the run stays one. */
static void test_rack_resent_part_of_run_splits_it(void)
{
    setup();
    DUP_ACK(BLK(1, 9));
    advance(NS_S(3));
    drain_sent();
    peer_sends(SEG(.ack = S(1)));
    uint32_t resent = 0;
    NsTcpRepr r;
    uint32_t len;
    while (pop_sent(&r, &len))
        resent += len != 0;
    /* S(1) and S(2) again: [1] [2] [3..8] [9] */
    CU_ASSERT_EQUAL(resent, 2);
    CU_ASSERT_EQUAL(tcp_rack_entries(&H->c), 4);
    h_teardown();
}

/* One SACK: the first segment was sent before a delivered one, but the
 * reordering window (a quarter of the minimum RTT, 5 ms) has not passed:
 * Disorder, nothing resent, the reordering timer armed. */
static void test_rack_one_sack_waits_reordering_window(void)
{
    setup();
    DUP_ACK(BLK(1, 2));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_DISORDER);
    EXPECT_NOTHING_SENT();
    CU_ASSERT_EQUAL(tcp_rack_deadline(&H->c), t0 + NS_MS(25));
    h_teardown();
}

/* ... and when the timer expires (RTT + 5 ms after it was sent) the first
 * segment is lost: fast recovery after a single duplicate ACK. */
static void test_rack_timer_resends_after_one_dup_ack(void)
{
    setup();
    DUP_ACK(BLK(1, 2));
    advance(NS_MS(4));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(1));
    CU_ASSERT_EQUAL(H->now, t0 + NS_MS(25));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    EXPECT_SENT(SEG(.seq = S(0), .len = MSS));
    h_teardown();
}

/* Two duplicate ACKs (RFC 6675 alone would wait for a third): the same. */
static void test_rack_two_dup_acks_then_timer(void)
{
    setup();
    DUP_ACK(BLK(1, 2));
    DUP_ACK(BLK(1, 3));
    EXPECT_NOTHING_SENT();
    advance(NS_MS(5));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    EXPECT_SENT(SEG(.seq = S(0), .len = MSS));
    h_teardown();
}

/* Reordering, not loss: the first segment arrives within the window.
 * Nothing is resent and the timer is stopped. */
static void test_rack_reordering_within_window_no_retransmit(void)
{
    setup();
    DUP_ACK(BLK(1, 2));
    H->now += NS_MS(3);
    peer_sends(SEG(.ack = S(2)));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    CU_ASSERT_EQUAL(tcp_rack_deadline(&H->c), NS_TIME_NEVER);
    advance(NS_MS(10));
    /* (new data may follow the ACK; nothing below S(2) is resent) */
    NsTcpRepr r;
    while (H->c.outq.count) {
        pop_sent(&r, NULL);
        CU_ASSERT_TRUE(seq_geq(r.seq, S(10)));
    }
    h_teardown();
}

/* Three SACKed segments: no reordering window any more (as Linux when it
 * has seen no reordering), so the loss is declared at once. */
static void test_rack_three_sacked_no_window(void)
{
    setup();
    DUP_ACK(BLK(1, 4));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    EXPECT_SENT(SEG(.seq = S(0), .len = MSS));
    h_teardown();
}

#define T(f) {#f, f}
CU_TestInfo rack_tests[] = {
    T(test_rack_sacked_segments_kept_as_one_run),
    T(test_rack_ack_inside_run_shortens_it),
    T(test_rack_resent_part_of_run_splits_it),
    T(test_rack_one_sack_waits_reordering_window),
    T(test_rack_timer_resends_after_one_dup_ack),
    T(test_rack_two_dup_acks_then_timer),
    T(test_rack_reordering_within_window_no_retransmit),
    T(test_rack_three_sacked_no_window),
    CU_TEST_INFO_NULL,
};
