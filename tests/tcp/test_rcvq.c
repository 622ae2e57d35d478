/* The receiver's storage (tcp_rcvq.c): in-order and out-of-order bytes
 * kept in their packets, or as (phase, length) when they are the payload
 * pattern; the application reads the same bytes either way. */
#include "tcp-test.h"
#include "netsim-private/packet.h"
#include "netsim/pattern.h"

#include <string.h>

#define R0 (REMOTE_SEQ + 1)

/* The peer sends len bytes at seq (relative to R0), in a packet of their
 * own as the layer hands them over: pattern bytes from pattern offset
 * `off`, or `text` when it is not NULL. */
static void peer_data(uint32_t rel, const char *text, uint64_t off, uint32_t len, uint8_t flags)
{
    NsTcpSeg seg;
    memset(&seg, 0, sizeof seg);
    seg.h.src_port = REMOTE_PORT;
    seg.h.dst_port = LOCAL_PORT;
    seg.h.seq = R0 + rel;
    seg.h.ack = LOCAL_SEQ + 1;
    seg.h.flags = flags;
    seg.h.window = 65535;
    if (text)
        len = (uint32_t)strlen(text);
    seg.pkt = ns_packet_new(H->pool, 60, len);
    if (text)
        memcpy(seg.pkt->data, text, len);
    else
        ns_pattern_fill(off, seg.pkt->data, len);
    seg.data = seg.pkt->data;
    seg.len = len;
    tcp_conn_input(&H->c, &seg, H->now);
    ns_packet_free(seg.pkt); /* NULL when the core took it */
    drain_sent();
}

/* Packets the pool has lent out (the connection's, once drain_sent ran). */
static size_t held(void)
{
    return ns_packet_pool_in_use(H->pool);
}

/* Read everything and check it is `want` (len bytes). */
static void read_all_equals(const uint8_t *want, uint32_t len)
{
    uint8_t *got = g_malloc(len + 1);
    CU_ASSERT_EQUAL(H->c.rx_len, len);
    CU_ASSERT_EQUAL(tcp_conn_read(&H->c, got, len + 1, H->now), len);
    CU_ASSERT_EQUAL(memcmp(got, want, len), 0);
    CU_ASSERT_EQUAL(H->c.rx_len, 0);
    CU_ASSERT_EQUAL(H->c.rxq.count, 0);
    drain_sent();
    g_free(got);
}

static void test_pattern_match_names_the_phase(void)
{
    uint8_t buf[200];
    for (uint32_t off = 0; off < 2 * NS_PATTERN_PERIOD; off++) {
        ns_pattern_fill(off, buf, sizeof buf);
        uint32_t phase = 99;
        CU_ASSERT_TRUE(ns_pattern_match(buf, sizeof buf, &phase));
        CU_ASSERT_EQUAL(phase, off % NS_PATTERN_PERIOD);
    }
    ns_pattern_fill(5, buf, sizeof buf);
    buf[sizeof buf - 1] ^= 1; /* the last byte differs */
    uint32_t phase = 99;
    CU_ASSERT_FALSE(ns_pattern_match(buf, sizeof buf, &phase));
    CU_ASSERT_FALSE(ns_pattern_match((const uint8_t *)"HTTP/1.1", 8, &phase));
    CU_ASSERT_FALSE(ns_pattern_match(buf, 0, &phase));
    CU_ASSERT_EQUAL(phase, 99);
}

static void test_in_order_pattern_kept_without_packets(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    for (uint32_t i = 0; i < 4; i++)
        peer_data(i * 1000, NULL, 7 + i * 1000, 1000, ACK);
    CU_ASSERT_EQUAL(held(), 0);
    CU_ASSERT_EQUAL(H->c.rxq.count, 1); /* one run of 4000 pattern bytes */
    CU_ASSERT_EQUAL(H->c.bytes_received, 4000);
    uint8_t want[4000];
    ns_pattern_fill(7, want, sizeof want);
    read_all_equals(want, sizeof want);
    h_teardown();
}

static void test_bytes_and_pattern_read_in_order_in_pieces(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_data(0, "HTTP head\r\n\r\n", 0, 0, ACK);
    peer_data(13, NULL, 0, 500, ACK);
    peer_data(513, "tail", 0, 0, ACK);
    CU_ASSERT_EQUAL(H->c.rxq.count, 3);
    CU_ASSERT_EQUAL(held(), 2); /* the two packets of bytes */
    uint8_t want[517], got[517] = {0};
    memcpy(want, "HTTP head\r\n\r\n", 13);
    ns_pattern_fill(0, want + 13, 500);
    memcpy(want + 513, "tail", 4);
    CU_ASSERT_EQUAL(tcp_rcvq_peek(&H->c, got, sizeof got), 517);
    CU_ASSERT_EQUAL(memcmp(got, want, 517), 0);
    /* Reads of 10, 100 and the rest cut across the pieces. */
    uint32_t done = 0;
    for (uint32_t step = 10; done < 517; step *= 10) {
        uint32_t n = tcp_conn_read(&H->c, got + done, step, H->now);
        CU_ASSERT_EQUAL_FATAL(n, 517 - done < step ? 517 - done : step);
        done += n;
    }
    CU_ASSERT_EQUAL(memcmp(got, want, 517), 0);
    CU_ASSERT_EQUAL(H->c.rxq.count, 0);
    CU_ASSERT_EQUAL(held(), 0);
    drain_sent();
    h_teardown();
}

static void test_read_without_buffer_drops_bytes(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_data(0, "abc-not-pattern", 0, 0, ACK);
    peer_data(15, NULL, 3, 100, ACK);
    CU_ASSERT_EQUAL(tcp_conn_read(&H->c, NULL, 20, H->now), 20);
    uint8_t want[95];
    ns_pattern_fill(3 + 5, want, sizeof want);
    read_all_equals(want, sizeof want);
    h_teardown();
}

static void test_out_of_order_pattern_held_as_one_range(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    for (uint32_t i = 1; i < 5; i++)
        peer_data(i * 1000, NULL, 11 + i * 1000, 1000, ACK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(H->c.ooo);
    CU_ASSERT_PTR_NULL(H->c.ooo->head); /* no packet */
    CU_ASSERT_EQUAL(H->c.ooo->pat.n, 1);
    CU_ASSERT_EQUAL(H->c.ooo->blocks.bytes, 4000);
    CU_ASSERT_EQUAL(held(), 0);
    peer_data(0, NULL, 11, 1000, ACK); /* the hole */
    CU_ASSERT_PTR_NULL(H->c.ooo);
    CU_ASSERT_EQUAL(H->c.rcv_nxt, R0 + 5000);
    CU_ASSERT_EQUAL(H->c.rxq.count, 1);
    uint8_t want[5000];
    ns_pattern_fill(11, want, sizeof want);
    read_all_equals(want, sizeof want);
    h_teardown();
}

static void test_out_of_order_other_phase_kept_as_bytes(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_data(100, NULL, 0, 100, ACK);
    peer_data(300, NULL, 1, 100, ACK); /* pattern, but not the same run's */
    CU_ASSERT_EQUAL(H->c.ooo->pat.n, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(H->c.ooo->head);
    CU_ASSERT_EQUAL(H->c.ooo->head->meta, R0 + 300);
    CU_ASSERT_EQUAL(held(), 1);
    CU_ASSERT_EQUAL(H->c.ooo->blocks.n, 2);
    peer_data(0, "x", 0, 0, ACK);
    CU_ASSERT_PTR_NOT_NULL(H->c.ooo); /* [101, 200) and [300, 400) still wait */
    peer_data(1, NULL, 500, 99, ACK);
    peer_data(200, NULL, 0, 100, ACK);
    CU_ASSERT_PTR_NULL(H->c.ooo);
    uint8_t want[400];
    want[0] = 'x';
    ns_pattern_fill(500, want + 1, 99);
    ns_pattern_fill(0, want + 100, 100);
    ns_pattern_fill(0, want + 200, 100);
    ns_pattern_fill(1, want + 300, 100);
    read_all_equals(want, sizeof want);
    h_teardown();
}

static void test_out_of_order_overlap_counted_once(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_data(100, "ABCDEFGHIJ", 0, 0, ACK);
    peer_data(105, "FGHIJKLMNO", 0, 0, ACK);
    peer_data(102, "CDE", 0, 0, ACK); /* inside what is held: not kept */
    CU_ASSERT_EQUAL(H->c.ooo->blocks.bytes, 15);
    CU_ASSERT_EQUAL(tcp_ooo_bytes(&H->c), 15);
    CU_ASSERT_EQUAL(held(), 2);
    uint8_t want[115];
    ns_pattern_fill(0, want, 100);
    memcpy(want + 100, "ABCDEFGHIJKLMNO", 15);
    peer_data(0, NULL, 0, 100, ACK);
    CU_ASSERT_PTR_NULL(H->c.ooo);
    read_all_equals(want, sizeof want);
    h_teardown();
}

static void test_out_of_order_fin_after_pattern_closes_when_filled(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_data(1000, NULL, 1000, 1000, ACK);
    peer_data(2000, NULL, 2000, 500, ACK | FIN);
    EXPECT_STATE(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(held(), 0);
    peer_data(0, NULL, 0, 1000, ACK);
    EXPECT_STATE(NS_TCP_STATE_CLOSE_WAIT);
    CU_ASSERT_EQUAL(H->c.rcv_nxt, R0 + 2501); /* the FIN counted */
    uint8_t want[2500];
    ns_pattern_fill(0, want, sizeof want);
    read_all_equals(want, sizeof want);
    h_teardown();
}

/* A segment in a packet the sender marked as pattern from `phase`, with
 * `text` as its bytes; `crossed` when it came over a link. */
/* The peer's ACK segment at R0 + rel carrying pkt's bytes, given to TCP,
 * which may keep the packet (it then clears seg.pkt); freed otherwise. */
static void peer_packet(uint32_t rel, NsPacket *pkt, uint32_t len)
{
    NsTcpSeg seg;
    memset(&seg, 0, sizeof seg);
    seg.h.src_port = REMOTE_PORT;
    seg.h.dst_port = LOCAL_PORT;
    seg.h.seq = R0 + rel;
    seg.h.ack = LOCAL_SEQ + 1;
    seg.h.flags = ACK;
    seg.h.window = 65535;
    seg.pkt = pkt;
    seg.data = pkt->data;
    seg.len = len;
    tcp_conn_input(&H->c, &seg, H->now);
    ns_packet_free(seg.pkt);
    drain_sent();
}

static void peer_marked(uint32_t rel, const char *text, uint32_t phase, bool crossed)
{
    uint32_t len = (uint32_t)strlen(text);
    NsPacket *p = ns_packet_new(H->pool, 60, len);
    memcpy(p->data, text, len);
    ns_packet_mark_pattern(p, p->data, len, phase);
    if (crossed)
        p->flags |= NS_PACKET_RX_CSUM_OK;
    peer_packet(rel, p, len);
}

static void test_packet_mark_names_the_phase_of_a_slice(void)
{
    NsPacketPool *pool = ns_packet_pool_new();
    NsPacket *p = ns_packet_new(pool, 100, 1000);
    uint32_t phase = 99;
    CU_ASSERT_FALSE(ns_packet_pattern(p, p->data, 10, &phase)); /* no mark */
    ns_packet_mark_pattern(p, p->data + 40, 960, 30);
    CU_ASSERT_FALSE(ns_packet_pattern(p, p->data + 40, 960, &phase)); /* not off a link */
    p->flags |= NS_PACKET_RX_CSUM_OK;
    CU_ASSERT_TRUE(ns_packet_pattern(p, p->data + 40, 960, &phase));
    CU_ASSERT_EQUAL(phase, 30);
    CU_ASSERT_TRUE(ns_packet_pattern(p, p->data + 50, 950, &phase));
    CU_ASSERT_EQUAL(phase, 3); /* (30 + 10) % 37 */
    CU_ASSERT_FALSE(ns_packet_pattern(p, p->data + 39, 10, &phase)); /* starts before */
    CU_ASSERT_FALSE(ns_packet_pattern(p, p->data + 41, 960, &phase)); /* ends after */
    NsPacket *q = ns_packet_copy(p);
    q->flags |= NS_PACKET_RX_CSUM_OK;
    CU_ASSERT_FALSE(ns_packet_pattern(q, q->data + 40, 960, &phase)); /* a copy has no mark */
    ns_packet_free(q);
    ns_packet_free(p);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
    ns_packet_pool_free(pool);
}

static void test_sender_marks_pattern_segments_only(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    CU_ASSERT_EQUAL(tcp_conn_write_pattern(&H->c, (const uint8_t *)"head", 4, 40, 1000, H->now),
                    1004);
    NsPacket *p = ns_packet_queue_pop(&H->c.outq);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    /* "head" and pattern bytes: "head" is in the buffer, the pattern
     * behind it left unmade, and the checksum covers them all. */
    CU_ASSERT_TRUE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->pat_len, 1000);
    CU_ASSERT_EQUAL(p->pat_phase, 40 % NS_PATTERN_PERIOD);
    NsTcpRepr head;
    CU_ASSERT_EQUAL(ns_tcp_parse(ns_packet_bytes(p), p->len, LOCAL_ADDR, REMOTE_ADDR, &head),
                    NS_WIRE_OK);
    CU_ASSERT_EQUAL(p->len - head.header_len, 1004);
    CU_ASSERT_EQUAL(memcmp(p->data + head.header_len, "head", 4), 0);
    CU_ASSERT_TRUE(ns_pattern_equal(40, p->data + head.header_len + 4, 1000));
    ns_packet_free(p);
    drain_sent();
    uint32_t phase = 99, front = 99;
    CU_ASSERT_TRUE(tcp_sb_pattern(&H->c, H->c.sb_seq + 4, 1000, &front, &phase));
    CU_ASSERT_EQUAL(front, 0);
    CU_ASSERT_EQUAL(phase, 40 % NS_PATTERN_PERIOD);
    CU_ASSERT_TRUE(tcp_sb_pattern(&H->c, H->c.sb_seq + 14, 500, &front, &phase));
    CU_ASSERT_EQUAL(front, 0);
    CU_ASSERT_EQUAL(phase, 50 % NS_PATTERN_PERIOD);
    CU_ASSERT_TRUE(tcp_sb_pattern(&H->c, H->c.sb_seq + 1, 10, &front, &phase));
    CU_ASSERT_EQUAL(front, 3); /* "ead" in front */
    CU_ASSERT_EQUAL(phase, 40 % NS_PATTERN_PERIOD);
    CU_ASSERT_FALSE(tcp_sb_pattern(&H->c, H->c.sb_seq + 0, 3, &front, &phase));
    /* A retransmission of the pattern bytes alone is marked. */
    tcp_send_segment(&H->c, H->c.sb_seq + 4, 1000, ACK, NS_SEND_NORMAL, H->now);
    p = ns_packet_queue_pop(&H->c.outq);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(p->pat_len, 1000);
    CU_ASSERT_EQUAL(p->pat_phase, 40 % NS_PATTERN_PERIOD);
    /* Over IPv4 with no trace reading bytes, they are left unmade: the
     * buffer holds the header alone, and the checksum covers the bytes
     * ns_packet_bytes() makes. */
    CU_ASSERT_TRUE(ns_packet_is_lazy(p));
    CU_ASSERT_TRUE(p->cap < p->pat_at + 1000);
    NsTcpRepr r;
    CU_ASSERT_EQUAL(ns_tcp_parse(ns_packet_bytes(p), p->len, LOCAL_ADDR, REMOTE_ADDR, &r),
                    NS_WIRE_OK);
    CU_ASSERT_EQUAL(p->len - r.header_len, 1000);
    CU_ASSERT_TRUE(ns_pattern_equal(40, p->buf + p->pat_at, 1000));
    ns_packet_free(p);
    drain_sent();
    h_teardown();
}

static void test_receiver_takes_the_mark_only_off_a_link(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    /* Bytes that are not the pattern, marked as if they were: taken at
     * the mark's word only when the frame crossed a link (whose bytes are
     * the sender's); otherwise compared, and kept as they are. */
    peer_marked(0, "ABCD", 0, false);
    CU_ASSERT_EQUAL(held(), 1);
    peer_marked(4, "EFGH", 0, true);
    CU_ASSERT_EQUAL(held(), 1);
    uint8_t want[8];
    memcpy(want, "ABCD", 4);
    ns_pattern_fill(0, want + 4, 4);
    read_all_equals(want, sizeof want);
    h_teardown();
}

/* The peer's segment as a link delivers a lazy frame: len pattern bytes
 * from `phase` left unmade behind a 60-byte front, vouched for. */
static void peer_lazy(uint32_t rel, uint32_t phase, uint32_t len)
{
    NsPacket *p = ns_packet_new_lazy(H->pool, 60, 0, len, phase);
    p->flags |= NS_PACKET_RX_CSUM_OK;
    peer_packet(rel, p, len);
}

static void test_lazy_segments_taken_as_runs_and_kept_bytes_made(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    peer_lazy(100, 0, 100);
    peer_lazy(300, 1, 100); /* another run's phase: kept in its packet, made */
    CU_ASSERT_PTR_NOT_NULL_FATAL(H->c.ooo->head);
    CU_ASSERT_FALSE(ns_packet_is_lazy(H->c.ooo->head));
    CU_ASSERT_TRUE(ns_pattern_equal(1, H->c.ooo->head->data, 100));
    CU_ASSERT_EQUAL(held(), 1);
    peer_lazy(0, 0, 100);
    peer_lazy(200, 0, 100);
    CU_ASSERT_PTR_NULL(H->c.ooo);
    uint8_t want[400]; /* each segment's bytes from its own phase */
    ns_pattern_fill(0, want, 100);
    ns_pattern_fill(0, want + 100, 100);
    ns_pattern_fill(0, want + 200, 100);
    ns_pattern_fill(1, want + 300, 100);
    read_all_equals(want, sizeof want);
    h_teardown();
}

static void nop_write(void *self, const NsTraceEvent *ev)
{
    (void)self, (void)ev;
}

static void nop_free(void *self)
{
    (void)self;
}

static const NsTraceSinkOps nop_ops = {.name = "nop", .write = nop_write, .free = nop_free};

static void test_sender_makes_bytes_a_trace_reads(void)
{
    h_setup(NS_PROFILE_LINUX);
    conn_in_state(NS_TCP_STATE_ESTABLISHED);
    H->tracer = ns_tracer_new();
    ns_tracer_add_sink(H->tracer, &nop_ops, NULL, NS_TRACE_MASK(NS_TRACE_FRAME));
    H->ctx.tracer = H->tracer; /* a capture: it reads every frame's bytes */
    CU_ASSERT_EQUAL(tcp_conn_write_pattern(&H->c, NULL, 0, 40, 1000, H->now), 1000);
    NsPacket *p = ns_packet_queue_pop(&H->c.outq);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_FALSE(ns_packet_is_lazy(p));
    CU_ASSERT_EQUAL(p->pat_len, 1000); /* marked all the same */
    CU_ASSERT_TRUE(ns_pattern_equal(40, p->buf + p->pat_at, 1000));
    ns_packet_free(p);
    CU_ASSERT_PTR_NULL(ns_packet_queue_pop(&H->c.outq));
    h_teardown();
}

#define T(f) {#f, f}
CU_TestInfo rcvq_tests[] = {
    T(test_pattern_match_names_the_phase),
    T(test_packet_mark_names_the_phase_of_a_slice),
    T(test_sender_marks_pattern_segments_only),
    T(test_receiver_takes_the_mark_only_off_a_link),
    T(test_in_order_pattern_kept_without_packets),
    T(test_bytes_and_pattern_read_in_order_in_pieces),
    T(test_read_without_buffer_drops_bytes),
    T(test_out_of_order_pattern_held_as_one_range),
    T(test_out_of_order_other_phase_kept_as_bytes),
    T(test_out_of_order_overlap_counted_once),
    T(test_out_of_order_fin_after_pattern_closes_when_filled),
    T(test_lazy_segments_taken_as_runs_and_kept_bytes_made),
    T(test_sender_makes_bytes_a_trace_reads),
    CU_TEST_INFO_NULL,
};
