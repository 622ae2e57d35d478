/* Unit tests of SACK-based loss recovery on the linux profile (RFC 6675
 * scoreboard, IsLost, pipe, NextSeg; RFC 6937 PRR), the congestion states
 * (Open/Disorder/Recovery/Loss) on both profiles, the receiver's SACK
 * blocks (RFC 2018) and the range sets underneath. */
#include <string.h>

#include "tcp-test.h"

#define MSS 1448u /* 1460 less NOP,NOP,TS */
/* Sequence number of the k-th full segment of the first write. */
#define S(k) (LOCAL_SEQ + 1 + (uint32_t)(k) * MSS)
/* A SACK block covering segments [a, b). */
#define BLK(a, b) ((NsTcpSackBlock){S(a), S(b)})

static void setup_linux_sending(uint32_t segments)
{
    h_setup(NS_PROFILE_LINUX);
    H->cfg.rack = false; /* RFC 6675 alone here; RACK has its own suite */
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_TRUE(H->c.sack_ok);
    CU_ASSERT_EQUAL(H->c.mss, MSS);
    app_write(segments * MSS);
    drain_sent();
}

/* The peer's duplicate ACK (of S(0)) with the given blocks. */
#define DUP_ACK(...) peer_sends(SEG(.ack = S(0), .sack = {__VA_ARGS__}))

/* ---------------- range sets ---------------- */

static void test_ranges_add_disjoint_keeps_order(void)
{
    NsTcpRangeSet s = {0};
    CU_ASSERT_EQUAL(tcp_ranges_add(&s, 300, 400), 100);
    CU_ASSERT_EQUAL(tcp_ranges_add(&s, 100, 200), 100);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[0].start, 100);
    CU_ASSERT_EQUAL(s.r[1].start, 300);
    CU_ASSERT_EQUAL(s.bytes, 200);
    tcp_ranges_clear(&s);
}

static void test_ranges_add_overlapping_and_touching_merge(void)
{
    NsTcpRangeSet s = {0};
    tcp_ranges_add(&s, 100, 200);
    tcp_ranges_add(&s, 300, 400);
    CU_ASSERT_EQUAL(tcp_ranges_add(&s, 200, 300), 100); /* touches both */
    CU_ASSERT_EQUAL(s.n, 1);
    CU_ASSERT_EQUAL(tcp_ranges_add(&s, 150, 450), 50); /* only the tail is new */
    CU_ASSERT_EQUAL(s.r[0].start, 100);
    CU_ASSERT_EQUAL(s.r[0].end, 450);
    CU_ASSERT_EQUAL(s.bytes, 350);
    tcp_ranges_clear(&s);
}

static void test_ranges_trim_cuts_and_frees(void)
{
    NsTcpRangeSet s = {0};
    tcp_ranges_add(&s, 100, 200);
    tcp_ranges_add(&s, 300, 400);
    tcp_ranges_trim(&s, 350);
    CU_ASSERT_EQUAL(s.n, 1);
    CU_ASSERT_EQUAL(s.r[0].start, 350);
    CU_ASSERT_EQUAL(s.bytes, 50);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 0, 1000), 50);
    tcp_ranges_trim(&s, 400);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT_PTR_NULL(s.r);
}

static void test_ranges_wrap_around_sequence_space(void)
{
    NsTcpRangeSet s = {0};
    tcp_ranges_add(&s, 0xffffff00u, 0x100);
    tcp_ranges_add(&s, 0x200, 0x300);
    CU_ASSERT_PTR_NOT_NULL(tcp_ranges_find(&s, 0x10));
    CU_ASSERT_PTR_NULL(tcp_ranges_find(&s, 0x150));
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 0xffffff80u, 0x280), 0x180 + 0x80);
    tcp_ranges_clear(&s);
}

/* Bytes covered between two sequence numbers: whole ranges inside, the
 * parts of ranges crossing either end, nothing of ranges outside. */
static void test_ranges_covered_clips_both_ends(void)
{
    NsTcpRangeSet s = {0};
    tcp_ranges_add(&s, 100, 200);
    tcp_ranges_add(&s, 300, 400);
    tcp_ranges_add(&s, 500, 600);
    tcp_ranges_add(&s, 700, 800);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 0, 1000), 400);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 350, 550), 50 + 50);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 200, 700), 200);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 520, 580), 60);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 400, 500), 0);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 150, 150), 0);
    CU_ASSERT_EQUAL(tcp_ranges_covered(&s, 900, 1000), 0);
    tcp_ranges_clear(&s);
}

/* ---------------- ESTABLISHED, Open: the scoreboard ---------------- */

static void test_established_first_sack_disorder(void)
{
    setup_linux_sending(10);
    DUP_ACK(BLK(1, 2));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_DISORDER);
    CU_ASSERT_EQUAL(tcp_sacked_bytes(&H->c), MSS);
    CU_ASSERT_EQUAL(H->c.dupacks, 1);
    EXPECT_NOTHING_SENT(); /* nothing new to send, nothing lost yet */
    h_teardown();
}

static void test_established_sack_frees_pipe_for_new_data(void)
{
    /* RFC 6675 SetPipe: a SACKed segment left the network, so cwnd lets
     * one more new segment go (what limited transmit did, RFC 3042). */
    setup_linux_sending(12);
    DUP_ACK(BLK(1, 2));
    EXPECT_SENT(SEG(.seq = S(10), .len = MSS));
    EXPECT_NOTHING_SENT();
    h_teardown();
}

static void test_established_cumulative_ack_past_sacks_back_to_open(void)
{
    setup_linux_sending(10);
    DUP_ACK(BLK(1, 2));
    peer_sends(SEG(.ack = S(2)));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    CU_ASSERT_PTR_NULL(H->c.scoreboard);
    drain_sent();
    h_teardown();
}

static void test_established_dsack_below_una_ignored(void)
{
    setup_linux_sending(10);
    peer_sends(SEG(.ack = S(2)));
    peer_sends(SEG(.ack = S(2), .sack = {BLK(0, 1)}));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    CU_ASSERT_EQUAL(H->c.dupacks, 0);
    drain_sent();
    h_teardown();
}

/* ---------------- IsLost and pipe ---------------- */

static void test_islost_needs_more_than_two_segments_sacked_above(void)
{
    setup_linux_sending(10);
    DUP_ACK(BLK(1, 3));
    CU_ASSERT_FALSE(tcp_sack_first_lost(&H->c)); /* 2 * SMSS: not more */
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_DISORDER);
    DUP_ACK(BLK(1, 4));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    drain_sent();
    h_teardown();
}

static void test_islost_three_discontiguous_ranges(void)
{
    setup_linux_sending(10);
    H->c.mss = 4 * MSS; /* so the byte rule cannot fire first */
    DUP_ACK(BLK(2, 3), BLK(4, 5));
    CU_ASSERT_FALSE(tcp_sack_first_lost(&H->c));
    DUP_ACK(BLK(6, 7), BLK(2, 3), BLK(4, 5));
    CU_ASSERT_EQUAL(tcp_sack_lost_edge(&H->c), S(2)); /* holes 0-1 lost, 3 and 5 not */
    H->c.mss = MSS;
    drain_sent();
    h_teardown();
}

static void test_pipe_counts_unsacked_not_lost_plus_retransmitted(void)
{
    setup_linux_sending(10);
    DUP_ACK(BLK(5, 6));
    DUP_ACK(BLK(5, 7));
    /* Segments 0-4 and 7-9 unSACKed; nothing lost yet. */
    CU_ASSERT_EQUAL(tcp_sack_pipe(&H->c), 8 * MSS);
    drain_sent();
    DUP_ACK(BLK(5, 8));
    /* Now 0-4 are lost: pipe = 8, 9 (not lost) + the resent ones: segment
     * 0, then 1 and 2 as PRR-SSRB allows (2 MSS below ssthresh). */
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    CU_ASSERT_EQUAL(H->c.scoreboard->high_rxt, S(3));
    CU_ASSERT_EQUAL(tcp_sack_pipe(&H->c), 5 * MSS);
    drain_sent();
    h_teardown();
}

/* ---------------- Disorder -> Recovery ---------------- */

static void test_disorder_third_dup_ack_recovery_fast_retransmit(void)
{
    setup_linux_sending(10);
    DUP_ACK(BLK(1, 2));
    DUP_ACK(BLK(1, 3));
    EXPECT_NOTHING_SENT();
    DUP_ACK(BLK(1, 4));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    EXPECT_SENT(SEG(.seq = S(0), .len = MSS, .why = NS_SEND_FAST_RETRANSMIT));
    /* CUBIC's beta 0.7 of cwnd, 10 segments, in whole segments. */
    CU_ASSERT_EQUAL(H->c.ssthresh, 7 * MSS);
    CU_ASSERT_EQUAL(H->c.recover, S(10));
    drain_sent();
    h_teardown();
}

static void test_recovery_prr_sends_one_per_two_delivered_while_pipe_above_ssthresh(void)
{
    /* RFC 6937: sndcnt = ceil(prr_delivered * ssthresh / RecoverFS) -
     * prr_out. ssthresh is 0.7 of cwnd (CUBIC: 14 of 20 segments) and
     * RecoverFS the 22 segments in flight, so about 6 segments go out for
     * every 10 delivered. */
    setup_linux_sending(40);
    H->c.cwnd = 20 * MSS;
    tcp_conn_output(&H->c, H->now);
    drain_sent(); /* 20 in flight */
    DUP_ACK(BLK(1, 2));
    DUP_ACK(BLK(1, 3));
    DUP_ACK(BLK(1, 4));
    drain_sent();
    uint64_t before = H->c.segs_sent;
    for (uint32_t k = 4; k < 14; k++)
        DUP_ACK(BLK(1, k + 1));
    uint64_t sent = H->c.segs_sent - before;
    CU_ASSERT_EQUAL(H->c.ssthresh, 14 * MSS);
    CU_ASSERT_TRUE(sent >= 5 && sent <= 7);
    drain_sent();
    h_teardown();
}

/* ---------------- Recovery with two holes ---------------- */

static void test_recovery_nextseg_resends_both_lost_holes(void)
{
    /* Segments 0 and 3 lost; the receiver SACKs 1-2 and 4-9. */
    setup_linux_sending(10);
    DUP_ACK(BLK(1, 2));
    DUP_ACK(BLK(1, 3));
    DUP_ACK(BLK(4, 5), BLK(1, 3));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    EXPECT_SENT(SEG(.seq = S(0), .len = MSS, .why = NS_SEND_FAST_RETRANSMIT));
    EXPECT_NOTHING_SENT(); /* hole 3 is not lost yet: only 1 range above */
    DUP_ACK(BLK(4, 6), BLK(1, 3));
    DUP_ACK(BLK(4, 7), BLK(1, 3));
    /* More than 2 SMSS SACKed above 3: NextSeg rule 1 resends it. */
    EXPECT_SENT(SEG(.seq = S(3), .len = MSS, .why = NS_SEND_FAST_RETRANSMIT));
    drain_sent();
    h_teardown();
}

static void test_recovery_two_holes_repaired_in_one_episode(void)
{
    setup_linux_sending(10);
    DUP_ACK(BLK(1, 2));
    DUP_ACK(BLK(1, 3));
    DUP_ACK(BLK(4, 5), BLK(1, 3));
    DUP_ACK(BLK(4, 8), BLK(1, 3));
    drain_sent();
    uint32_t ssthresh = H->c.ssthresh;
    /* The first retransmission arrives: a partial ACK up to hole 3. */
    peer_sends(SEG(.ack = S(3), .sack = {BLK(4, 8)}));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    drain_sent();
    /* The second one: everything up to RecoveryPoint. */
    peer_sends(SEG(.ack = S(10)));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    CU_ASSERT_EQUAL(H->c.ssthresh, ssthresh); /* one reduction for both */
    CU_ASSERT_EQUAL(H->c.cwnd, ssthresh);
    CU_ASSERT_PTR_NULL(H->c.scoreboard);
    CU_ASSERT_EQUAL(H->c.retransmits, 2);
    drain_sent();
    h_teardown();
}

static void test_recovery_rule3_resends_hole_not_yet_lost(void)
{
    /* Recovery by 3 dup ACKs that SACK small pieces: nothing is deemed
     * lost above SND.UNA's segment, yet cwnd has room: rule 3 resends the
     * next hole below the highest SACK. */
    setup_linux_sending(10);
    DUP_ACK(BLK(1, 2));
    DUP_ACK(BLK(3, 4), BLK(1, 2));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_DISORDER);
    drain_sent();
    DUP_ACK(BLK(5, 6), BLK(3, 4), BLK(1, 2));
    /* Three ranges above segment 0 and above... only 2 above hole 2. */
    EXPECT_SENT(SEG(.seq = S(0), .len = MSS, .why = NS_SEND_FAST_RETRANSMIT));
    peer_sends(SEG(.ack = S(2), .sack = {BLK(3, 4), BLK(5, 6)}));
    EXPECT_SENT(SEG(.seq = S(2), .len = MSS, .why = NS_SEND_FAST_RETRANSMIT));
    drain_sent();
    h_teardown();
}

/* ---------------- Loss ---------------- */

static void test_rto_loss_state_skips_sacked_data(void)
{
    setup_linux_sending(6);
    DUP_ACK(BLK(1, 3));
    drain_sent();
    advance(H->c.rto); /* one RTO */
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_LOSS);
    EXPECT_SENT(SEG(.seq = S(0), .len = MSS, .why = NS_SEND_RTO));
    EXPECT_NOTHING_SENT(); /* cwnd 1 MSS */
    peer_sends(SEG(.ack = S(1), .sack = {BLK(1, 3)}));
    /* 1 and 2 were SACKed: going back N resends 3 and 4 only. */
    EXPECT_SENT(SEG(.seq = S(3), .len = MSS, .why = NS_SEND_RTO));
    EXPECT_SENT(SEG(.seq = S(4), .len = MSS, .why = NS_SEND_RTO));
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.ack = S(6)));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    drain_sent();
    h_teardown();
}

/* ---------------- minimal: NewReno states ---------------- */

static void test_minimal_newreno_states_open_disorder_recovery_open(void)
{
    h_setup(NS_PROFILE_MINIMAL);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_FALSE(H->c.sack_ok);
    H->c.cwnd = 10 * 1460;
    app_write(10 * 1460);
    drain_sent();
    peer_sends(SEG(.ack = LOCAL_SEQ + 1));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_DISORDER);
    peer_sends(SEG(.ack = LOCAL_SEQ + 1));
    peer_sends(SEG(.ack = LOCAL_SEQ + 1));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_RECOVERY);
    CU_ASSERT_PTR_NULL(H->c.scoreboard);
    peer_sends(SEG(.ack = LOCAL_SEQ + 1 + 14600));
    CU_ASSERT_EQUAL(H->c.ca_state, NS_TCP_CA_OPEN);
    drain_sent();
    h_teardown();
}

/* ---------------- traces ---------------- */

static GPtrArray *trace_lines;

static void line_write(void *self, const NsTraceEvent *ev)
{
    (void)self;
    if (ev->kind == NS_TRACE_TCP && ev->tcp_ev == NS_TCP_EV_CONGESTION)
        g_ptr_array_add(trace_lines, g_strdup_printf("congestion %s -> %s (cause %d)",
                                                     ns_tcp_ca_name(ev->ca_from),
                                                     ns_tcp_ca_name(ev->ca_to), (int)ev->cause));
}

static void line_free(void *self)
{
    (void)self;
}

static const NsTraceSinkOps line_ops = {"lines", line_write, NULL, line_free};

static void test_trace_congestion_states_as_linux_names_them(void)
{
    setup_linux_sending(10);
    NsTracer *tr = ns_tracer_new();
    trace_lines = g_ptr_array_new_with_free_func(g_free);
    ns_tracer_add_sink(tr, &line_ops, NULL, NS_TRACE_MASK(NS_TRACE_TCP));
    H->ctx.tracer = tr;
    DUP_ACK(BLK(1, 2));
    DUP_ACK(BLK(1, 3));
    DUP_ACK(BLK(1, 4));
    peer_sends(SEG(.ack = S(10)));
    CU_ASSERT_EQUAL_FATAL(trace_lines->len, 3);
    g_autofree char *l0 = g_strdup_printf("congestion Open -> Disorder (cause %d)", NS_CAUSE_SACK);
    g_autofree char *l1 =
        g_strdup_printf("congestion Disorder -> Recovery (cause %d)", NS_CAUSE_DUP_ACKS);
    g_autofree char *l2 =
        g_strdup_printf("congestion Recovery -> Open (cause %d)", NS_CAUSE_RECOVERY_DONE);
    CU_ASSERT_STRING_EQUAL(trace_lines->pdata[0], l0);
    CU_ASSERT_STRING_EQUAL(trace_lines->pdata[1], l1);
    CU_ASSERT_STRING_EQUAL(trace_lines->pdata[2], l2);
    H->ctx.tracer = NULL;
    ns_tracer_free(tr);
    g_ptr_array_free(trace_lines, TRUE);
    drain_sent();
    h_teardown();
}

/* ---------------- the receiver's SACK blocks ---------------- */

static void test_established_rcv_two_holes_sack_blocks_latest_first(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    uint32_t r0 = REMOTE_SEQ + 1;
    peer_sends(SEG(.seq = r0 + 1000, .len = 500));
    drain_sent();
    peer_sends(SEG(.seq = r0 + 3000, .len = 500));
    NsTcpRepr r;
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, NULL));
    CU_ASSERT_EQUAL(r.ack, r0);
    CU_ASSERT_EQUAL_FATAL(r.n_sack, 2);
    CU_ASSERT_EQUAL(r.sack[0].left, r0 + 3000); /* the newest first (RFC 2018 4) */
    CU_ASSERT_EQUAL(r.sack[1].left, r0 + 1000);
    CU_ASSERT_EQUAL(r.sack[1].right, r0 + 1500);
    h_teardown();
}

/* The SACK blocks one ACK carries, left edges relative to r0. */
static unsigned sack_lefts(uint32_t r0, uint32_t *left)
{
    NsTcpRepr r;
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, NULL));
    CU_ASSERT_EQUAL(r.ack, r0);
    for (unsigned i = 0; i < r.n_sack; i++)
        left[i] = r.sack[i].left - r0;
    drain_sent();
    return r.n_sack;
}

/* Linux's order (tcp_sack_new_ofo_skb): the block that grew last first,
 * then the others in the order they last grew, not by sequence; a block
 * that grows again moves to the front. */
static void test_established_rcv_sack_blocks_in_order_of_growth(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    uint32_t r0 = REMOTE_SEQ + 1, l[4];
    peer_sends(SEG(.seq = r0 + 1000, .len = 500));
    drain_sent();
    peer_sends(SEG(.seq = r0 + 2000, .len = 500));
    drain_sent();
    peer_sends(SEG(.seq = r0 + 3000, .len = 500));
    CU_ASSERT_EQUAL_FATAL(sack_lefts(r0, l), 3);
    CU_ASSERT(l[0] == 3000 && l[1] == 2000 && l[2] == 1000);
    peer_sends(SEG(.seq = r0 + 1500, .len = 100)); /* the first block grows */
    CU_ASSERT_EQUAL_FATAL(sack_lefts(r0, l), 3);
    CU_ASSERT(l[0] == 1000 && l[1] == 3000 && l[2] == 2000);
    h_teardown();
}

/* Linux keeps four blocks: a fifth forgets the one that grew longest ago,
 * and the option (with timestamps) carries the three most recent. A block
 * the cumulative ACK passed leaves the list. */
static void test_established_rcv_sack_blocks_four_kept(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    uint32_t r0 = REMOTE_SEQ + 1, l[4];
    for (uint32_t k = 1; k <= 5; k++) {
        peer_sends(SEG(.seq = r0 + 1000 * k, .len = 500));
        drain_sent();
    }
    CU_ASSERT_EQUAL(H->c.ooo->n_recent, 4);
    peer_sends(SEG(.seq = r0 + 1500, .len = 500)); /* joins blocks 1 and 2 */
    CU_ASSERT_EQUAL_FATAL(sack_lefts(r0, l), 3);
    /* Block 1 had been forgotten; the joined block is reported whole
     * (Linux would report only its cached part, from 1500: not modelled). */
    CU_ASSERT(l[0] == 1000 && l[1] == 5000 && l[2] == 4000);
    peer_sends(SEG(.seq = r0, .len = 1000)); /* fills the first hole */
    CU_ASSERT_EQUAL_FATAL(sack_lefts(r0 + 2500, l), 3);
    CU_ASSERT(l[0] == 2500 && l[1] == 1500 && l[2] == 500); /* 5000, 4000, 3000 */
    CU_ASSERT_EQUAL(H->c.ooo->n_recent, 3);
    h_teardown();
}

/* D-SACK (RFC 2883 4): a segment that arrived before is acknowledged at
 * once with a first SACK block naming it, below the ACK number. */
static void test_established_rcv_old_duplicate_dsack(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    uint32_t r0 = REMOTE_SEQ + 1;
    peer_sends(SEG(.seq = r0, .len = 500));
    drain_sent();
    peer_sends(SEG(.seq = r0, .len = 500)); /* again */
    NsTcpRepr r;
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, NULL));
    CU_ASSERT_EQUAL(r.ack, r0 + 500);
    CU_ASSERT_EQUAL_FATAL(r.n_sack, 1);
    CU_ASSERT(r.sack[0].left == r0 && r.sack[0].right == r0 + 500);
    EXPECT_NOTHING_SENT();
    /* Reported once: the next ACK has no block. */
    peer_sends(SEG(.seq = r0 + 500, .len = 100));
    advance(NS_MS(200));
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, NULL));
    CU_ASSERT_EQUAL(r.ack, r0 + 600);
    CU_ASSERT_EQUAL(r.n_sack, 0);
    h_teardown();
}

/* A duplicate of out-of-order data: the D-SACK block, then the SACK
 * block holding it (RFC 2883 4.1.2); a segment partly new reports its
 * old part. */
static void test_established_rcv_out_of_order_and_partial_duplicates_dsack(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    uint32_t r0 = REMOTE_SEQ + 1;
    peer_sends(SEG(.seq = r0 + 1000, .len = 500));
    drain_sent();
    peer_sends(SEG(.seq = r0 + 1000, .len = 500));
    NsTcpRepr r;
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, NULL));
    CU_ASSERT_EQUAL(r.ack, r0);
    CU_ASSERT_EQUAL_FATAL(r.n_sack, 2);
    CU_ASSERT(r.sack[0].left == r0 + 1000 && r.sack[0].right == r0 + 1500);
    CU_ASSERT(r.sack[1].left == r0 + 1000 && r.sack[1].right == r0 + 1500);
    EXPECT_NOTHING_SENT();
    peer_sends(SEG(.seq = r0, .len = 1000)); /* fills the hole */
    drain_sent();
    peer_sends(SEG(.seq = r0 + 1400, .len = 200)); /* 100 old bytes, 100 new */
    advance(NS_MS(200));
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, NULL));
    CU_ASSERT_EQUAL(r.ack, r0 + 1600);
    CU_ASSERT_EQUAL_FATAL(r.n_sack, 1);
    CU_ASSERT(r.sack[0].left == r0 + 1400 && r.sack[0].right == r0 + 1500);
    h_teardown();
}

/* Without dsack (net.ipv4.tcp_dsack=0) a duplicate is acknowledged with
 * no block. */
static void test_established_rcv_old_duplicate_no_dsack_when_off(void)
{
    h_setup(NS_PROFILE_LINUX);
    H->cfg.dsack = false;
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    uint32_t r0 = REMOTE_SEQ + 1;
    peer_sends(SEG(.seq = r0, .len = 500));
    drain_sent();
    peer_sends(SEG(.seq = r0, .len = 500));
    NsTcpRepr r;
    CU_ASSERT_TRUE_FATAL(pop_sent(&r, NULL));
    CU_ASSERT_EQUAL(r.ack, r0 + 500);
    CU_ASSERT_EQUAL(r.n_sack, 0);
    h_teardown();
}

static void test_established_rcv_hole_filled_frees_ooo_queue(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    uint32_t r0 = REMOTE_SEQ + 1;
    peer_sends(SEG(.seq = r0 + 500, .len = 500));
    peer_sends(SEG(.seq = r0 + 1000, .len = 500)); /* appended at the tail */
    CU_ASSERT_EQUAL(H->c.ooo->blocks.n, 1);
    CU_ASSERT_EQUAL(H->c.ooo->blocks.bytes, 1000);
    peer_sends(SEG(.seq = r0, .len = 500));
    CU_ASSERT_PTR_NULL(H->c.ooo);
    CU_ASSERT_EQUAL(H->c.rcv_nxt, r0 + 1500);
    CU_ASSERT_EQUAL(H->c.rx_len, 1500);
    drain_sent();
    h_teardown();
}

#define T(f) {#f, f}
CU_TestInfo sack_tests[] = {
    T(test_ranges_add_disjoint_keeps_order),
    T(test_ranges_add_overlapping_and_touching_merge),
    T(test_ranges_trim_cuts_and_frees),
    T(test_ranges_wrap_around_sequence_space),
    T(test_ranges_covered_clips_both_ends),
    T(test_established_first_sack_disorder),
    T(test_established_sack_frees_pipe_for_new_data),
    T(test_established_cumulative_ack_past_sacks_back_to_open),
    T(test_established_dsack_below_una_ignored),
    T(test_islost_needs_more_than_two_segments_sacked_above),
    T(test_islost_three_discontiguous_ranges),
    T(test_pipe_counts_unsacked_not_lost_plus_retransmitted),
    T(test_disorder_third_dup_ack_recovery_fast_retransmit),
    T(test_recovery_prr_sends_one_per_two_delivered_while_pipe_above_ssthresh),
    T(test_recovery_nextseg_resends_both_lost_holes),
    T(test_recovery_two_holes_repaired_in_one_episode),
    T(test_recovery_rule3_resends_hole_not_yet_lost),
    T(test_rto_loss_state_skips_sacked_data),
    T(test_minimal_newreno_states_open_disorder_recovery_open),
    T(test_trace_congestion_states_as_linux_names_them),
    T(test_established_rcv_two_holes_sack_blocks_latest_first),
    T(test_established_rcv_hole_filled_frees_ooo_queue),
    T(test_established_rcv_sack_blocks_in_order_of_growth),
    T(test_established_rcv_sack_blocks_four_kept),
    T(test_established_rcv_old_duplicate_dsack),
    T(test_established_rcv_out_of_order_and_partial_duplicates_dsack),
    T(test_established_rcv_old_duplicate_no_dsack_when_off),
    CU_TEST_INFO_NULL,
};
