/* Tests of the TCP header and options (RFC 9293 3.1-3.2, RFC 7323, RFC 2018)
 * on segments of the Linux reference captures: every field, byte-identical
 * re-emission (option layout and checksum), and rejection of bad input. */
#include "netsim/wire/tcp.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/decimal.h"
#include "wire-tests.h"

/* A mutable copy of a vector's TCP segment with its pseudo-header addresses. */
typedef struct {
    uint8_t b[NS_TCP_MAX_HLEN + 128];
    size_t len;
    uint32_t src, dst;
} Seg;

static Seg seg_of(const uint8_t *frame, size_t frame_len)
{
    Seg s = {.len = frame_len - NS_TEST_L4_OFF};
    g_assert(s.len <= sizeof(s.b));
    memcpy(s.b, frame + NS_TEST_L4_OFF, s.len);
    s.src = ns_read_be32(frame + NS_TEST_IP_OFF + 12);
    s.dst = ns_read_be32(frame + NS_TEST_IP_OFF + 16);
    return s;
}

#define SEG(v) seg_of(v, v##_len)

static NsWireResult seg_parse(const Seg *s, NsTcpRepr *t)
{
    return ns_tcp_parse(s->b, s->len, s->src, s->dst, t);
}

/* Set byte `off` of a SYN copy to `v`, fix the checksum, parse. */
static NsWireResult parse_syn_with(size_t off, uint8_t v, NsTcpRepr *t)
{
    Seg s = SEG(ns_vec_syn);
    s.b[off] = v;
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    return seg_parse(&s, t);
}

static const uint8_t syn_order[] = {NS_TCP_OPT_MSS, NS_TCP_OPT_SACK_PERM, NS_TCP_OPT_TS,
                                    NS_TCP_OPT_NOP, NS_TCP_OPT_WSCALE};
static const uint8_t ts_order[] = {NS_TCP_OPT_NOP, NS_TCP_OPT_NOP, NS_TCP_OPT_TS};
static const uint8_t sack_order[] = {NS_TCP_OPT_NOP, NS_TCP_OPT_NOP, NS_TCP_OPT_TS,
                                     NS_TCP_OPT_NOP, NS_TCP_OPT_NOP, NS_TCP_OPT_SACK};

#define ASSERT_ORDER(t, expect)                                                                    \
    do {                                                                                           \
        CU_ASSERT_EQUAL_FATAL((t).n_opts, sizeof(expect));                                         \
        CU_ASSERT_EQUAL(memcmp((t).opt_order, (expect), sizeof(expect)), 0);                       \
    } while (0)

/* ---- parse: real segments ---- */

static void test_tcp_parse_syn_header_fields(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_syn);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_EQUAL(t.src_port, 45504);
    CU_ASSERT_EQUAL(t.dst_port, 80);
    CU_ASSERT_EQUAL(t.seq, 122668014u);
    CU_ASSERT_EQUAL(t.ack, 0);
    CU_ASSERT_EQUAL(t.flags, NS_TCP_SYN);
    CU_ASSERT_EQUAL(t.window, 64240);
    CU_ASSERT_EQUAL(t.urgent, 0);
    CU_ASSERT_EQUAL(t.header_len, 40);
}

static void test_tcp_parse_syn_options(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_syn);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_TRUE(t.has_mss);
    CU_ASSERT_EQUAL(t.mss, 1460);
    CU_ASSERT_TRUE(t.sack_permitted);
    CU_ASSERT_TRUE(t.has_ts);
    CU_ASSERT_EQUAL(t.ts_val, 4049989287u);
    CU_ASSERT_EQUAL(t.ts_ecr, 0);
    CU_ASSERT_TRUE(t.has_wscale);
    CU_ASSERT_EQUAL(t.wscale, 10);
    CU_ASSERT_EQUAL(t.n_sack, 0);
}

static void test_tcp_parse_syn_option_order(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_syn);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    ASSERT_ORDER(t, syn_order);
}

static void test_tcp_parse_synack_fields(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_synack);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_EQUAL(t.flags, NS_TCP_SYN | NS_TCP_ACK);
    CU_ASSERT_EQUAL(t.seq, 2787727699u);
    CU_ASSERT_EQUAL(t.ack, 122668015u);
    CU_ASSERT_EQUAL(t.window, 65160);
    CU_ASSERT_EQUAL(t.ts_val, 1802033340u);
    CU_ASSERT_EQUAL(t.ts_ecr, 4049989287u);
    ASSERT_ORDER(t, syn_order);
}

static void test_tcp_parse_third_ack_nop_nop_ts(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_ack);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_EQUAL(t.flags, NS_TCP_ACK);
    CU_ASSERT_EQUAL(t.window, 63);
    CU_ASSERT_EQUAL(t.header_len, 32);
    CU_ASSERT_FALSE(t.has_mss);
    CU_ASSERT_EQUAL(t.ts_val, 4049989307u);
    CU_ASSERT_EQUAL(t.ts_ecr, 1802033340u);
    ASSERT_ORDER(t, ts_order);
}

static void test_tcp_parse_data_segment_payload(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_data);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_EQUAL(t.flags, NS_TCP_PSH | NS_TCP_ACK);
    CU_ASSERT_EQUAL(s.len - t.header_len, 82);
    CU_ASSERT_EQUAL(memcmp(s.b + t.header_len, "GET /small.html", 15), 0);
    ASSERT_ORDER(t, ts_order);
}

static void test_tcp_parse_rst_ack_no_options(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_rst);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_EQUAL(t.flags, NS_TCP_RST | NS_TCP_ACK);
    CU_ASSERT_EQUAL(t.src_port, 81);
    CU_ASSERT_EQUAL(t.seq, 0);
    CU_ASSERT_EQUAL(t.ack, 2371031885u);
    CU_ASSERT_EQUAL(t.window, 0);
    CU_ASSERT_EQUAL(t.header_len, 20);
    CU_ASSERT_EQUAL(t.n_opts, 0);
    CU_ASSERT_FALSE(t.has_ts);
}

static void test_tcp_parse_sack_block(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_sack);
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_EQUAL_FATAL(t.n_sack, 1);
    CU_ASSERT_EQUAL(t.sack[0].left, 2371040001u);
    CU_ASSERT_EQUAL(t.sack[0].right, 2371041449u);
    CU_ASSERT_EQUAL(t.header_len, 44);
    ASSERT_ORDER(t, sack_order);
}

/* ---- parse: rejection ---- */

static void test_tcp_parse_truncated_every_prefix(void)
{
    /* The SYN is all header: every prefix is shorter than its data offset. */
    Seg s = SEG(ns_vec_syn);
    for (size_t n = 0; n < s.len; n++) {
        g_autofree uint8_t *b = ns_test_dup(s.b, n);
        NsTcpRepr t;
        CU_ASSERT_EQUAL(ns_tcp_parse(b, n, s.src, s.dst, &t), NS_WIRE_TRUNCATED);
    }
}

static void test_tcp_parse_cut_payload_every_prefix_rejected(void)
{
    /* Past the header the checksum, which covers the payload, catches it. */
    Seg s = SEG(ns_vec_data);
    for (size_t n = 0; n < s.len; n++) {
        g_autofree uint8_t *b = ns_test_dup(s.b, n);
        NsTcpRepr t;
        CU_ASSERT_NOT_EQUAL(ns_tcp_parse(b, n, s.src, s.dst, &t), NS_WIRE_OK);
    }
}

static void test_tcp_parse_bad_checksum(void)
{
    Seg s = SEG(ns_vec_data);
    s.b[s.len - 1] ^= 0x01;
    NsTcpRepr t;
    CU_ASSERT_EQUAL(seg_parse(&s, &t), NS_WIRE_BAD_CHECKSUM);
}

static void test_tcp_parse_wrong_pseudo_header_bad_checksum(void)
{
    Seg s = SEG(ns_vec_syn);
    s.dst = 0x0a000003u;
    NsTcpRepr t;
    CU_ASSERT_EQUAL(seg_parse(&s, &t), NS_WIRE_BAD_CHECKSUM);
}

static void test_tcp_parse_data_offset_below_5_malformed(void)
{
    NsTcpRepr t;
    CU_ASSERT_EQUAL(parse_syn_with(12, 0x40, &t), NS_WIRE_MALFORMED);
}

static void test_tcp_parse_data_offset_past_segment_truncated(void)
{
    Seg s = SEG(ns_vec_rst);
    s.b[12] = 0x60; /* 24-byte header in a 20-byte segment */
    NsTcpRepr t;
    CU_ASSERT_EQUAL(seg_parse(&s, &t), NS_WIRE_TRUNCATED);
}

static void test_tcp_parse_zero_length_option_malformed(void)
{
    NsTcpRepr t;
    CU_ASSERT_EQUAL(parse_syn_with(38, 0, &t), NS_WIRE_MALFORMED); /* WS length 0 */
}

static void test_tcp_parse_length_one_option_malformed(void)
{
    NsTcpRepr t;
    CU_ASSERT_EQUAL(parse_syn_with(38, 1, &t), NS_WIRE_MALFORMED);
}

static void test_tcp_parse_option_past_header_malformed(void)
{
    NsTcpRepr t;
    CU_ASSERT_EQUAL(parse_syn_with(27, 40, &t), NS_WIRE_MALFORMED); /* TS claims 40 */
    CU_ASSERT_EQUAL(parse_syn_with(38, 4, &t), NS_WIRE_MALFORMED);  /* WS, last option */
}

/* The third ACK (no payload) with its 12 option bytes replaced by nine NOPs
 * and a 3-byte option of `kind` whose length byte claims 4: one byte past
 * the header, which here is also the end of the (exact-size) buffer. */
static NsWireResult parse_option_one_byte_over(uint8_t kind)
{
    Seg s = SEG(ns_vec_ack);
    memset(s.b + 20, NS_TCP_OPT_NOP, 9);
    memcpy(s.b + 29, (const uint8_t[]){kind, 4, 0x05}, 3);
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    g_autofree uint8_t *b = ns_test_dup(s.b, s.len);
    NsTcpRepr t;
    return ns_tcp_parse(b, s.len, s.src, s.dst, &t);
}

static void test_tcp_parse_mss_one_byte_past_header_malformed(void)
{
    CU_ASSERT_EQUAL(parse_option_one_byte_over(NS_TCP_OPT_MSS), NS_WIRE_MALFORMED);
}

static void test_tcp_parse_unknown_option_one_byte_past_header_malformed(void)
{
    CU_ASSERT_EQUAL(parse_option_one_byte_over(30), NS_WIRE_MALFORMED);
}

static void test_tcp_parse_option_missing_length_byte_malformed(void)
{
    Seg s = SEG(ns_vec_ack);
    memset(s.b + 20, NS_TCP_OPT_NOP, 11);
    s.b[31] = NS_TCP_OPT_MSS; /* the header ends before its length byte */
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    NsTcpRepr t;
    CU_ASSERT_EQUAL(seg_parse(&s, &t), NS_WIRE_MALFORMED);
}

static void test_tcp_parse_mss_wrong_length_malformed(void)
{
    NsTcpRepr t;
    CU_ASSERT_EQUAL(parse_syn_with(21, 3, &t), NS_WIRE_MALFORMED);
}

static void test_tcp_parse_ts_wrong_length_malformed(void)
{
    NsTcpRepr t;
    CU_ASSERT_EQUAL(parse_syn_with(27, 8, &t), NS_WIRE_MALFORMED);
}

/* NOP, NOP, TS with a timestamp length of 9: not the aligned word the
 * shortcut takes, so the general walk sees the bad length. */
static void test_tcp_parse_nop_nop_ts_wrong_length_malformed(void)
{
    Seg s = SEG(ns_vec_ack);
    s.b[23] = 9;
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    NsTcpRepr t;
    CU_ASSERT_EQUAL(seg_parse(&s, &t), NS_WIRE_MALFORMED);
}

/* The same 12 option bytes in another order (TS, NOP, NOP) are parsed by
 * the general walk, which lists them as they are. */
static void test_tcp_parse_ts_before_nops_keeps_its_order(void)
{
    static const uint8_t order[] = {NS_TCP_OPT_TS, NS_TCP_OPT_NOP, NS_TCP_OPT_NOP};
    Seg s = SEG(ns_vec_ack);
    memmove(s.b + 20, s.b + 22, 10);
    s.b[30] = s.b[31] = NS_TCP_OPT_NOP;
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    NsTcpRepr t;
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_EQUAL(t.ts_val, 4049989307u);
    CU_ASSERT_EQUAL(t.ts_ecr, 1802033340u);
    ASSERT_ORDER(t, order);
}

static void test_tcp_parse_sack_partial_block_malformed(void)
{
    Seg s = SEG(ns_vec_sack);
    s.b[35] = 9;
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    NsTcpRepr t;
    CU_ASSERT_EQUAL(seg_parse(&s, &t), NS_WIRE_MALFORMED);
}

static void test_tcp_parse_sack_without_blocks_malformed(void)
{
    Seg s = SEG(ns_vec_sack);
    s.b[35] = 2;
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    NsTcpRepr t;
    CU_ASSERT_EQUAL(seg_parse(&s, &t), NS_WIRE_MALFORMED);
}

/* ---- parse: tolerated options ---- */

static void test_tcp_parse_unknown_option_skipped_and_listed(void)
{
    Seg s = SEG(ns_vec_syn);
    memcpy(s.b + 36, (const uint8_t[]){30, 4, 0x12, 0x34}, 4); /* MPTCP in place of NOP,WS */
    ns_test_fix_tcp_csum(s.b, s.len, s.src, s.dst);
    NsTcpRepr t;
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    CU_ASSERT_FALSE(t.has_wscale);
    CU_ASSERT_TRUE(t.has_ts);
    CU_ASSERT_EQUAL_FATAL(t.n_opts, 4);
    CU_ASSERT_EQUAL(t.opt_order[3], 30);
}

static void test_tcp_parse_eol_ends_options(void)
{
    NsTcpRepr t;
    /* EOL where the NOP was: the WS bytes after it are padding. */
    CU_ASSERT_EQUAL_FATAL(parse_syn_with(36, NS_TCP_OPT_EOL, &t), NS_WIRE_OK);
    CU_ASSERT_FALSE(t.has_wscale);
    CU_ASSERT_EQUAL_FATAL(t.n_opts, 4);
    CU_ASSERT_EQUAL(t.opt_order[3], NS_TCP_OPT_EOL);
}

/* ---- emit ---- */

/* Parse the segment of `frame`, wipe its header in a copy, emit it again
 * from the repr (following opt_order, or the default layout when
 * `default_layout`) and compare every byte, checksum included. */
static void check_emit_round_trip(const uint8_t *frame, size_t frame_len, bool default_layout)
{
    Seg s = seg_of(frame, frame_len);
    Seg out = s;
    NsTcpRepr t;
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    if (default_layout)
        t.n_opts = 0;
    memset(out.b, 0, t.header_len);
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), t.header_len);
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit(&t, s.src, s.dst, out.b, s.len), t.header_len);
    CU_ASSERT_EQUAL(memcmp(out.b, s.b, s.len), 0);
}

/* ns_tcp_emit_summed() with the payload's sum gives ns_tcp_emit()'s bytes. */
static void test_tcp_emit_summed_matches_emit_on_data(void)
{
    Seg s = seg_of(ns_vec_data, ns_vec_data_len);
    Seg out = s;
    NsTcpRepr t;
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    memset(out.b, 0, t.header_len);
    uint32_t psum = ns_csum_partial(0, s.b + t.header_len, s.len - t.header_len);
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit_summed(&t, s.src, s.dst, out.b, s.len, psum),
                          t.header_len);
    CU_ASSERT_EQUAL(memcmp(out.b, s.b, s.len), 0);
}

/* A segment vouched for by the NIC parses whatever its checksum field says;
 * ns_tcp_parse() still refuses it. */
static void test_tcp_parse_verified_skips_only_the_checksum(void)
{
    Seg s = seg_of(ns_vec_data, ns_vec_data_len);
    s.b[16] ^= 0xff;
    NsTcpRepr t;
    CU_ASSERT_EQUAL(ns_tcp_parse(s.b, s.len, s.src, s.dst, &t), NS_WIRE_BAD_CHECKSUM);
    CU_ASSERT_EQUAL(ns_tcp_parse_verified(s.b, s.len, &t), NS_WIRE_OK);
    s.b[12] = 0x40; /* data offset 16 bytes: still malformed */
    CU_ASSERT_EQUAL(ns_tcp_parse_verified(s.b, s.len, &t), NS_WIRE_MALFORMED);
}

static void test_tcp_emit_round_trip_syn(void)
{
    check_emit_round_trip(ns_vec_syn, ns_vec_syn_len, false);
}

static void test_tcp_emit_round_trip_synack(void)
{
    check_emit_round_trip(ns_vec_synack, ns_vec_synack_len, false);
}

static void test_tcp_emit_round_trip_third_ack(void)
{
    check_emit_round_trip(ns_vec_ack, ns_vec_ack_len, false);
}

static void test_tcp_emit_round_trip_data(void)
{
    check_emit_round_trip(ns_vec_data, ns_vec_data_len, false);
}

static void test_tcp_emit_round_trip_rst(void)
{
    check_emit_round_trip(ns_vec_rst, ns_vec_rst_len, false);
}

static void test_tcp_emit_round_trip_sack(void)
{
    check_emit_round_trip(ns_vec_sack, ns_vec_sack_len, false);
}

static void test_tcp_emit_default_layout_is_linux_syn(void)
{
    check_emit_round_trip(ns_vec_syn, ns_vec_syn_len, true);
    check_emit_round_trip(ns_vec_synack, ns_vec_synack_len, true);
}

static void test_tcp_emit_default_layout_is_linux_data(void)
{
    check_emit_round_trip(ns_vec_data, ns_vec_data_len, true);
}

static void test_tcp_emit_default_layout_is_linux_sack(void)
{
    check_emit_round_trip(ns_vec_sack, ns_vec_sack_len, true);
}

/* A Linux-like SYN built from fields only. */
static NsTcpRepr syn_repr(void)
{
    return (NsTcpRepr){.src_port = 45504,
                       .dst_port = 80,
                       .seq = 1,
                       .flags = NS_TCP_SYN,
                       .window = 64240,
                       .has_mss = true,
                       .mss = 1460,
                       .sack_permitted = true,
                       .has_ts = true,
                       .ts_val = 0x01020304,
                       .has_wscale = true,
                       .wscale = 10};
}

static void test_tcp_emit_linux_syn_option_bytes(void)
{
    static const uint8_t expect[20] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x01, 0x02,
                                       0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};
    NsTcpRepr t = syn_repr();
    uint8_t b[40];
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 40);
    CU_ASSERT_EQUAL(b[12], 0xa0);
    CU_ASSERT_EQUAL(memcmp(b + 20, expect, sizeof(expect)), 0);
}

static void test_tcp_emit_follows_custom_order(void)
{
    static const uint8_t expect[20] = {0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x0a, 0x04, 0x02,
                                       0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00};
    NsTcpRepr t = syn_repr();
    t.n_opts = 5;
    memcpy(t.opt_order,
           (const uint8_t[]){NS_TCP_OPT_MSS, NS_TCP_OPT_NOP, NS_TCP_OPT_WSCALE,
                             NS_TCP_OPT_SACK_PERM, NS_TCP_OPT_TS},
           5);
    uint8_t b[40];
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 40);
    CU_ASSERT_EQUAL(memcmp(b + 20, expect, sizeof(expect)), 0);
}

static void test_tcp_emit_pads_with_zeros(void)
{
    NsTcpRepr t = {.flags = NS_TCP_SYN,
                   .has_mss = true,
                   .mss = 536,
                   .has_wscale = true,
                   .wscale = 7,
                   .n_opts = 2,
                   .opt_order = {NS_TCP_OPT_MSS, NS_TCP_OPT_WSCALE}};
    uint8_t b[28];
    memset(b, 0xaa, sizeof(b));
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 28);
    CU_ASSERT_EQUAL(b[27], 0);
}

static void test_tcp_emit_checksum_verifies(void)
{
    NsTcpRepr t = syn_repr(), back;
    uint8_t b[45];
    memcpy(b + 40, "hello", 5);
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 40);
    CU_ASSERT_EQUAL(ns_tcp_parse(b, sizeof(b), NS_TEST_CLI, NS_TEST_SRV, &back), NS_WIRE_OK);
}

static void test_tcp_emit_rejects_order_naming_absent_option(void)
{
    NsTcpRepr t = syn_repr();
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_LINUX);
    t.has_ts = false;
    uint8_t b[60];
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 0);
}

static void test_tcp_emit_rejects_present_option_missing_from_order(void)
{
    NsTcpRepr t = syn_repr();
    t.n_opts = 1;
    t.opt_order[0] = NS_TCP_OPT_MSS;
    uint8_t b[60];
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
}

static void test_tcp_emit_rejects_unknown_kind(void)
{
    NsTcpRepr t = {.n_opts = 1, .opt_order = {30}};
    uint8_t b[60];
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
}

static void test_tcp_emit_rejects_eol_before_end(void)
{
    NsTcpRepr t = {.n_opts = 2, .opt_order = {NS_TCP_OPT_EOL, NS_TCP_OPT_NOP}};
    uint8_t b[60];
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
}

static void test_tcp_emit_rejects_options_over_40_bytes(void)
{
    /* NOP,NOP,TS (12) + NOP,NOP,SACK with 4 blocks (36) = 48. */
    NsTcpRepr t = {.flags = NS_TCP_ACK, .has_ts = true, .n_sack = 4};
    uint8_t b[80];
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
    t.n_sack = 3; /* 40: exactly fits */
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 60);
}

static void test_tcp_emit_rejects_more_than_4_sack_blocks(void)
{
    NsTcpRepr t = {.flags = NS_TCP_ACK, .n_sack = 5};
    uint8_t b[80];
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
}

/* NOP, NOP, TS: three words, the first 01 01 08 0a, and a data offset of 8. */
static void test_tcp_emit_nop_nop_ts_words(void)
{
    static const uint8_t expect[12] = {0x01, 0x01, 0x08, 0x0a, 0x01, 0x02,
                                       0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d};
    NsTcpRepr t = {.flags = NS_TCP_ACK, .has_ts = true, .ts_val = 0x01020304, .ts_ecr = 0x0a0b0c0d};
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_LINUX);
    uint8_t b[32];
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 32);
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 32);
    CU_ASSERT_EQUAL(b[12], 0x80);
    CU_ASSERT_EQUAL(memcmp(b + 20, expect, sizeof(expect)), 0);
}

/* The order NOP, NOP, TS left over after SACK blocks were added is a stale
 * layout, refused like any other. */
static void test_tcp_emit_rejects_nop_nop_ts_order_with_sack_present(void)
{
    NsTcpRepr t = {.flags = NS_TCP_ACK, .has_ts = true};
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_LINUX);
    t.sack[t.n_sack++] = (NsTcpSackBlock){100, 200};
    uint8_t b[60];
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 0);
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
}

static void test_tcp_emit_seg_len_below_header_writes_nothing(void)
{
    NsTcpRepr t = syn_repr();
    uint8_t b[40];
    memset(b, 0xaa, sizeof(b));
    CU_ASSERT_EQUAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, 39), 0);
    CU_ASSERT_EQUAL(b[0], 0xaa);
}

/* ---- layouts ---- */

static void test_tcp_layout_linux_syn(void)
{
    NsTcpRepr t = syn_repr();
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_LINUX);
    ASSERT_ORDER(t, syn_order);
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 40);
}

static void test_tcp_layout_linux_data_segment(void)
{
    NsTcpRepr t = {.flags = NS_TCP_ACK, .has_ts = true};
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_LINUX);
    ASSERT_ORDER(t, ts_order);
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 32);
}

static void test_tcp_layout_linux_sack(void)
{
    NsTcpRepr t = {.flags = NS_TCP_ACK, .has_ts = true, .n_sack = 2};
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_LINUX);
    ASSERT_ORDER(t, sack_order);
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 52);
}

static void test_tcp_layout_linux_sack_perm_without_ts(void)
{
    static const uint8_t expect[] = {NS_TCP_OPT_MSS,       NS_TCP_OPT_NOP, NS_TCP_OPT_NOP,
                                     NS_TCP_OPT_SACK_PERM, NS_TCP_OPT_NOP, NS_TCP_OPT_WSCALE};
    NsTcpRepr t = syn_repr();
    t.has_ts = false;
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_LINUX);
    ASSERT_ORDER(t, expect);
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 32);
}

static void test_tcp_layout_minimal_syn_mss_only(void)
{
    static const uint8_t expect[4] = {0x02, 0x04, 0x05, 0xb4};
    NsTcpRepr t = syn_repr();
    uint8_t b[24];
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_MINIMAL);
    CU_ASSERT_FALSE(t.has_ts);
    CU_ASSERT_FALSE(t.sack_permitted);
    CU_ASSERT_FALSE(t.has_wscale);
    CU_ASSERT_EQUAL_FATAL(ns_tcp_emit(&t, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 24);
    CU_ASSERT_EQUAL(memcmp(b + 20, expect, 4), 0);
}

static void test_tcp_layout_minimal_ack_has_no_options(void)
{
    NsTcpRepr t = {.flags = NS_TCP_ACK, .has_mss = true, .mss = 1460, .has_ts = true};
    ns_tcp_opts_layout(&t, NS_TCP_OPTS_MINIMAL);
    CU_ASSERT_FALSE(t.has_mss);
    CU_ASSERT_EQUAL(t.n_opts, 0);
    CU_ASSERT_EQUAL(ns_tcp_header_len(&t), 20);
}

/* ---- text ---- */

static void test_tcp_flags_format_tcpdump_letters(void)
{
    char s[NS_TCP_FLAGS_STRLEN];
    ns_tcp_flags_format(NS_TCP_SYN, s);
    CU_ASSERT_STRING_EQUAL(s, "S");
    ns_tcp_flags_format(NS_TCP_SYN | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "S.");
    ns_tcp_flags_format(NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, ".");
    ns_tcp_flags_format(NS_TCP_PSH | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "P.");
    ns_tcp_flags_format(NS_TCP_FIN | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "F.");
    ns_tcp_flags_format(NS_TCP_RST | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "R.");
    ns_tcp_flags_format(NS_TCP_FIN | NS_TCP_PSH | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "FP.");
}

static void test_tcp_flags_format_none_and_all(void)
{
    char s[NS_TCP_FLAGS_STRLEN];
    ns_tcp_flags_format(0, s);
    CU_ASSERT_STRING_EQUAL(s, "none");
    ns_tcp_flags_format(0xff, s);
    CU_ASSERT_STRING_EQUAL(s, "FSRP.UEW");
}

static void test_tcp_flags_format_long_names(void)
{
    char s[NS_TCP_FLAGS_LONG_STRLEN];
    ns_tcp_flags_format_long(NS_TCP_SYN, s);
    CU_ASSERT_STRING_EQUAL(s, "[SYN]");
    ns_tcp_flags_format_long(NS_TCP_SYN | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "[SYN,ACK]");
    ns_tcp_flags_format_long(NS_TCP_FIN | NS_TCP_PSH | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "[FIN,PSH,ACK]");
    ns_tcp_flags_format_long(NS_TCP_RST | NS_TCP_ACK, s);
    CU_ASSERT_STRING_EQUAL(s, "[RST,ACK]");
}

static void test_tcp_flags_format_long_none_and_all(void)
{
    char s[NS_TCP_FLAGS_LONG_STRLEN];
    ns_tcp_flags_format_long(0, s);
    CU_ASSERT_STRING_EQUAL(s, "[none]");
    ns_tcp_flags_format_long(0xff, s);
    CU_ASSERT_STRING_EQUAL(s, "[FIN,SYN,RST,PSH,ACK,URG,ECE,CWR]");
}

static void test_tcp_opts_format_syn_as_reference_trace(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_syn);
    char out[128];
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    ns_tcp_opts_format(&t, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "mss 1460,sackOK,TS val 4049989287 ecr 0,nop,wscale 10");
}

static void test_tcp_opts_format_ack_as_reference_trace(void)
{
    NsTcpRepr t;
    Seg s = SEG(ns_vec_ack);
    char out[128];
    CU_ASSERT_EQUAL_FATAL(seg_parse(&s, &t), NS_WIRE_OK);
    ns_tcp_opts_format(&t, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "nop,nop,TS val 4049989307 ecr 1802033340");
}

static void test_tcp_opts_format_sack_and_unknown(void)
{
    NsTcpRepr t = {.n_sack = 2,
                   .sack = {{1, 2}, {5, 9}},
                   .n_opts = 4,
                   .opt_order = {NS_TCP_OPT_NOP, NS_TCP_OPT_SACK, 30, NS_TCP_OPT_EOL}};
    char out[128];
    ns_tcp_opts_format(&t, out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "nop,sack 2 {1:2}{5:9},opt-30,eol");
}

static void test_tcp_opts_format_truncates_and_returns_full_length(void)
{
    NsTcpRepr t = {.n_opts = 3, .opt_order = {NS_TCP_OPT_NOP, NS_TCP_OPT_NOP, NS_TCP_OPT_NOP}};
    char out[6];
    CU_ASSERT_EQUAL(ns_tcp_opts_format(&t, out, sizeof(out)), 11); /* "nop,nop,nop" */
    CU_ASSERT_STRING_EQUAL(out, "nop,n");
    CU_ASSERT_EQUAL(ns_tcp_opts_format(&t, NULL, 0), 11);
}

/* Decimal text without printf: zero, one digit, a power of ten and the
 * largest value, each exactly its digits with nothing written past them. */
static void test_decimal_u64_writes_exactly_the_digits(void)
{
    static const struct {
        uint64_t v;
        const char *text;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {1000000, "1000000"},
        {4294967295u, "4294967295"},
        {UINT64_MAX, "18446744073709551615"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char out[NS_DECIMAL_U64_LEN + 1];
        memset(out, '#', sizeof out);
        size_t n = ns_decimal_u64(out, cases[i].v);
        CU_ASSERT_EQUAL(n, strlen(cases[i].text));
        CU_ASSERT_EQUAL(memcmp(out, cases[i].text, n), 0);
        CU_ASSERT_EQUAL(out[n], '#');
    }
}

/* The options as text (Linux's order: two NOPs align the timestamps):
 * the largest timestamp is written whole, and a
 * buffer too small is cut with its NUL inside while the length returned
 * is that of the whole text (snprintf's contract). */
static void test_tcp_opts_format_large_values_and_cutting(void)
{
    NsTcpRepr r = {0};
    r.has_ts = true;
    r.ts_val = 4294967295u;
    r.ts_ecr = 0;
    char out[64];
    size_t n = ns_tcp_opts_format(&r, out, sizeof out);
    CU_ASSERT_STRING_EQUAL(out, "nop,nop,TS val 4294967295 ecr 0");
    CU_ASSERT_EQUAL(n, strlen("nop,nop,TS val 4294967295 ecr 0"));
    char small[18];
    memset(small, '#', sizeof small);
    CU_ASSERT_EQUAL(ns_tcp_opts_format(&r, small, sizeof small), n);
    CU_ASSERT_STRING_EQUAL(small, "nop,nop,TS val 42");
}

CU_TestInfo ns_wire_tcp_tests[] = {
    {"decimal_u64_writes_exactly_the_digits", test_decimal_u64_writes_exactly_the_digits},
    {"tcp_opts_format_large_values_and_cutting", test_tcp_opts_format_large_values_and_cutting},
    {"tcp_emit_summed_matches_emit_on_data", test_tcp_emit_summed_matches_emit_on_data},
    {"tcp_parse_verified_skips_only_the_checksum",
     test_tcp_parse_verified_skips_only_the_checksum},
    {"tcp_parse_syn_header_fields", test_tcp_parse_syn_header_fields},
    {"tcp_parse_syn_options", test_tcp_parse_syn_options},
    {"tcp_parse_syn_option_order", test_tcp_parse_syn_option_order},
    {"tcp_parse_synack_fields", test_tcp_parse_synack_fields},
    {"tcp_parse_third_ack_nop_nop_ts", test_tcp_parse_third_ack_nop_nop_ts},
    {"tcp_parse_data_segment_payload", test_tcp_parse_data_segment_payload},
    {"tcp_parse_rst_ack_no_options", test_tcp_parse_rst_ack_no_options},
    {"tcp_parse_sack_block", test_tcp_parse_sack_block},
    {"tcp_parse_truncated_every_prefix", test_tcp_parse_truncated_every_prefix},
    {"tcp_parse_cut_payload_every_prefix_rejected",
     test_tcp_parse_cut_payload_every_prefix_rejected},
    {"tcp_parse_bad_checksum", test_tcp_parse_bad_checksum},
    {"tcp_parse_wrong_pseudo_header_bad_checksum", test_tcp_parse_wrong_pseudo_header_bad_checksum},
    {"tcp_parse_data_offset_below_5_malformed", test_tcp_parse_data_offset_below_5_malformed},
    {"tcp_parse_data_offset_past_segment_truncated",
     test_tcp_parse_data_offset_past_segment_truncated},
    {"tcp_parse_zero_length_option_malformed", test_tcp_parse_zero_length_option_malformed},
    {"tcp_parse_length_one_option_malformed", test_tcp_parse_length_one_option_malformed},
    {"tcp_parse_option_past_header_malformed", test_tcp_parse_option_past_header_malformed},
    {"tcp_parse_mss_one_byte_past_header_malformed",
     test_tcp_parse_mss_one_byte_past_header_malformed},
    {"tcp_parse_unknown_option_one_byte_past_header_malformed",
     test_tcp_parse_unknown_option_one_byte_past_header_malformed},
    {"tcp_parse_option_missing_length_byte_malformed",
     test_tcp_parse_option_missing_length_byte_malformed},
    {"tcp_parse_mss_wrong_length_malformed", test_tcp_parse_mss_wrong_length_malformed},
    {"tcp_parse_ts_wrong_length_malformed", test_tcp_parse_ts_wrong_length_malformed},
    {"tcp_parse_nop_nop_ts_wrong_length_malformed",
     test_tcp_parse_nop_nop_ts_wrong_length_malformed},
    {"tcp_parse_ts_before_nops_keeps_its_order", test_tcp_parse_ts_before_nops_keeps_its_order},
    {"tcp_parse_sack_partial_block_malformed", test_tcp_parse_sack_partial_block_malformed},
    {"tcp_parse_sack_without_blocks_malformed", test_tcp_parse_sack_without_blocks_malformed},
    {"tcp_parse_unknown_option_skipped_and_listed",
     test_tcp_parse_unknown_option_skipped_and_listed},
    {"tcp_parse_eol_ends_options", test_tcp_parse_eol_ends_options},
    {"tcp_emit_round_trip_syn", test_tcp_emit_round_trip_syn},
    {"tcp_emit_round_trip_synack", test_tcp_emit_round_trip_synack},
    {"tcp_emit_round_trip_third_ack", test_tcp_emit_round_trip_third_ack},
    {"tcp_emit_round_trip_data", test_tcp_emit_round_trip_data},
    {"tcp_emit_round_trip_rst", test_tcp_emit_round_trip_rst},
    {"tcp_emit_round_trip_sack", test_tcp_emit_round_trip_sack},
    {"tcp_emit_default_layout_is_linux_syn", test_tcp_emit_default_layout_is_linux_syn},
    {"tcp_emit_default_layout_is_linux_data", test_tcp_emit_default_layout_is_linux_data},
    {"tcp_emit_default_layout_is_linux_sack", test_tcp_emit_default_layout_is_linux_sack},
    {"tcp_emit_linux_syn_option_bytes", test_tcp_emit_linux_syn_option_bytes},
    {"tcp_emit_follows_custom_order", test_tcp_emit_follows_custom_order},
    {"tcp_emit_pads_with_zeros", test_tcp_emit_pads_with_zeros},
    {"tcp_emit_checksum_verifies", test_tcp_emit_checksum_verifies},
    {"tcp_emit_rejects_order_naming_absent_option",
     test_tcp_emit_rejects_order_naming_absent_option},
    {"tcp_emit_rejects_present_option_missing_from_order",
     test_tcp_emit_rejects_present_option_missing_from_order},
    {"tcp_emit_rejects_unknown_kind", test_tcp_emit_rejects_unknown_kind},
    {"tcp_emit_rejects_eol_before_end", test_tcp_emit_rejects_eol_before_end},
    {"tcp_emit_rejects_options_over_40_bytes", test_tcp_emit_rejects_options_over_40_bytes},
    {"tcp_emit_rejects_more_than_4_sack_blocks", test_tcp_emit_rejects_more_than_4_sack_blocks},
    {"tcp_emit_nop_nop_ts_words", test_tcp_emit_nop_nop_ts_words},
    {"tcp_emit_rejects_nop_nop_ts_order_with_sack_present",
     test_tcp_emit_rejects_nop_nop_ts_order_with_sack_present},
    {"tcp_emit_seg_len_below_header_writes_nothing",
     test_tcp_emit_seg_len_below_header_writes_nothing},
    {"tcp_layout_linux_syn", test_tcp_layout_linux_syn},
    {"tcp_layout_linux_data_segment", test_tcp_layout_linux_data_segment},
    {"tcp_layout_linux_sack", test_tcp_layout_linux_sack},
    {"tcp_layout_linux_sack_perm_without_ts", test_tcp_layout_linux_sack_perm_without_ts},
    {"tcp_layout_minimal_syn_mss_only", test_tcp_layout_minimal_syn_mss_only},
    {"tcp_layout_minimal_ack_has_no_options", test_tcp_layout_minimal_ack_has_no_options},
    {"tcp_flags_format_tcpdump_letters", test_tcp_flags_format_tcpdump_letters},
    {"tcp_flags_format_none_and_all", test_tcp_flags_format_none_and_all},
    {"tcp_flags_format_long_names", test_tcp_flags_format_long_names},
    {"tcp_flags_format_long_none_and_all", test_tcp_flags_format_long_none_and_all},
    {"tcp_opts_format_syn_as_reference_trace", test_tcp_opts_format_syn_as_reference_trace},
    {"tcp_opts_format_ack_as_reference_trace", test_tcp_opts_format_ack_as_reference_trace},
    {"tcp_opts_format_sack_and_unknown", test_tcp_opts_format_sack_and_unknown},
    {"tcp_opts_format_truncates_and_returns_full_length",
     test_tcp_opts_format_truncates_and_returns_full_length},
    CU_TEST_INFO_NULL,
};
