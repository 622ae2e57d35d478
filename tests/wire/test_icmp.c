/* Tests of ICMPv4 (RFC 792, RFC 1191 section 4, RFC 1122 section 3.2.2):
 * the real port unreachable of case 3, hand-built echo request/reply. */
#include "netsim/wire/icmp.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "wire-tests.h"

#define UNREACH_MSG (ns_vec_icmp_unreach + NS_TEST_L4_OFF)
#define UNREACH_LEN 52 /* 8 + the 44-byte UDP datagram it quotes */
#define ECHO_MSG (ns_vec_echo_request + NS_TEST_L4_OFF)
#define ECHO_LEN 24 /* 8 + 16 payload bytes */

/* A 28-byte quote: a valid IPv4 header and 8 bytes (of case 3's UDP). */
static const uint8_t *quote28(void)
{
    return UNREACH_MSG + NS_ICMP_HLEN;
}

/* ---- parse ---- */

static void test_icmp_parse_real_port_unreachable(void)
{
    NsIcmpRepr m;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_parse(UNREACH_MSG, UNREACH_LEN, &m), NS_WIRE_OK);
    CU_ASSERT_EQUAL(m.type, NS_ICMP_DEST_UNREACH);
    CU_ASSERT_EQUAL(m.code, NS_ICMP_UNREACH_PORT);
    CU_ASSERT_EQUAL(m.mtu, 0);
    CU_ASSERT_EQUAL(m.id, 0);
    CU_ASSERT_EQUAL(m.seq, 0);
}

static void test_icmp_parse_echo_request_fields(void)
{
    NsIcmpRepr m;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_parse(ECHO_MSG, ECHO_LEN, &m), NS_WIRE_OK);
    CU_ASSERT_EQUAL(m.type, NS_ICMP_ECHO_REQUEST);
    CU_ASSERT_EQUAL(m.code, 0);
    CU_ASSERT_EQUAL(m.id, 0x1234);
    CU_ASSERT_EQUAL(m.seq, 1);
}

static void test_icmp_parse_echo_reply_type(void)
{
    NsIcmpRepr m;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_parse(ns_vec_echo_reply + NS_TEST_L4_OFF, ECHO_LEN, &m),
                          NS_WIRE_OK);
    CU_ASSERT_EQUAL(m.type, NS_ICMP_ECHO_REPLY);
    CU_ASSERT_EQUAL(m.id, 0x1234);
}

static void test_icmp_parse_truncated_every_prefix(void)
{
    for (size_t n = 0; n < UNREACH_LEN; n++) {
        g_autofree uint8_t *b = ns_test_dup(UNREACH_MSG, n);
        NsIcmpRepr m;
        CU_ASSERT_NOT_EQUAL(ns_icmp_parse(b, n, &m), NS_WIRE_OK);
    }
    for (size_t n = 0; n < NS_ICMP_HLEN; n++) {
        g_autofree uint8_t *b = ns_test_dup(ECHO_MSG, n);
        NsIcmpRepr m;
        CU_ASSERT_EQUAL(ns_icmp_parse(b, n, &m), NS_WIRE_TRUNCATED);
    }
}

static void test_icmp_parse_bad_checksum(void)
{
    uint8_t b[ECHO_LEN];
    memcpy(b, ECHO_MSG, sizeof(b));
    b[ECHO_LEN - 1] ^= 0x01; /* the checksum covers the payload too */
    NsIcmpRepr m;
    CU_ASSERT_EQUAL(ns_icmp_parse(b, sizeof(b), &m), NS_WIRE_BAD_CHECKSUM);
}

static void test_icmp_parse_timestamp_type_unsupported(void)
{
    uint8_t b[ECHO_LEN];
    memcpy(b, ECHO_MSG, sizeof(b));
    b[0] = 13;
    ns_test_fix_icmp_csum(b, sizeof(b));
    NsIcmpRepr m;
    CU_ASSERT_EQUAL(ns_icmp_parse(b, sizeof(b), &m), NS_WIRE_UNSUPPORTED);
    CU_ASSERT_EQUAL(m.type, 13); /* still reported, for traces */
}

static void test_icmp_parse_unreach_code_16_unsupported(void)
{
    uint8_t b[UNREACH_LEN];
    memcpy(b, UNREACH_MSG, sizeof(b));
    b[1] = 16;
    ns_test_fix_icmp_csum(b, sizeof(b));
    NsIcmpRepr m;
    CU_ASSERT_EQUAL(ns_icmp_parse(b, sizeof(b), &m), NS_WIRE_UNSUPPORTED);
}

static void test_icmp_parse_echo_nonzero_code_malformed(void)
{
    uint8_t b[ECHO_LEN];
    memcpy(b, ECHO_MSG, sizeof(b));
    b[1] = 1;
    ns_test_fix_icmp_csum(b, sizeof(b));
    NsIcmpRepr m;
    CU_ASSERT_EQUAL(ns_icmp_parse(b, sizeof(b), &m), NS_WIRE_MALFORMED);
}

static void test_icmp_parse_error_short_quote_malformed(void)
{
    /* An unreachable quoting 27 bytes: one short of header + 64 bits. */
    uint8_t b[NS_ICMP_HLEN + 27];
    memcpy(b, UNREACH_MSG, sizeof(b));
    ns_test_fix_icmp_csum(b, sizeof(b));
    NsIcmpRepr m;
    CU_ASSERT_EQUAL(ns_icmp_parse(b, sizeof(b), &m), NS_WIRE_MALFORMED);
}

static void test_icmp_parse_unused_field_ignored_unless_frag_needed(void)
{
    uint8_t b[UNREACH_LEN];
    memcpy(b, UNREACH_MSG, sizeof(b));
    ns_write_be16(b + 6, 1400);
    ns_test_fix_icmp_csum(b, sizeof(b));
    NsIcmpRepr m;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_parse(b, sizeof(b), &m), NS_WIRE_OK);
    CU_ASSERT_EQUAL(m.mtu, 0);
}

/* ---- emit ---- */

static void test_icmp_emit_round_trip_real_unreach(void)
{
    NsIcmpRepr m;
    uint8_t out[UNREACH_LEN];
    CU_ASSERT_EQUAL_FATAL(ns_icmp_parse(UNREACH_MSG, UNREACH_LEN, &m), NS_WIRE_OK);
    CU_ASSERT_EQUAL_FATAL(ns_icmp_emit(&m, UNREACH_MSG + 8, 44, out, sizeof(out)), UNREACH_LEN);
    CU_ASSERT_EQUAL(memcmp(out, UNREACH_MSG, UNREACH_LEN), 0);
}

static void test_icmp_emit_echo_from_fields(void)
{
    NsIcmpRepr m = {.type = NS_ICMP_ECHO_REQUEST, .id = 0x1234, .seq = 1};
    uint8_t out[ECHO_LEN];
    CU_ASSERT_EQUAL_FATAL(ns_icmp_emit(&m, ECHO_MSG + 8, 16, out, sizeof(out)), ECHO_LEN);
    CU_ASSERT_EQUAL(memcmp(out, ECHO_MSG, ECHO_LEN), 0);
}

static void test_icmp_emit_payload_already_in_place(void)
{
    NsIcmpRepr m = {.type = NS_ICMP_ECHO_REPLY, .id = 0x1234, .seq = 1};
    uint8_t b[ECHO_LEN] = {0};
    memcpy(b + 8, ECHO_MSG + 8, 16);
    CU_ASSERT_EQUAL_FATAL(ns_icmp_emit(&m, b + 8, 16, b, sizeof(b)), ECHO_LEN);
    CU_ASSERT_EQUAL(memcmp(b, ns_vec_echo_reply + NS_TEST_L4_OFF, ECHO_LEN), 0);
}

static void test_icmp_emit_frag_needed_carries_mtu(void)
{
    NsIcmpRepr m = {.type = NS_ICMP_DEST_UNREACH, .code = NS_ICMP_UNREACH_FRAG_NEEDED, .mtu = 1400};
    uint8_t b[NS_ICMP_HLEN + 28];
    NsIcmpRepr back;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_emit(&m, quote28(), 28, b, sizeof(b)), sizeof(b));
    CU_ASSERT_EQUAL(ns_read_be16(b + 4), 0);
    CU_ASSERT_EQUAL(ns_read_be16(b + 6), 1400);
    CU_ASSERT_EQUAL_FATAL(ns_icmp_parse(b, sizeof(b), &back), NS_WIRE_OK);
    CU_ASSERT_EQUAL(back.mtu, 1400);
}

static void test_icmp_emit_port_unreach_ignores_mtu(void)
{
    NsIcmpRepr m = {.type = NS_ICMP_DEST_UNREACH, .code = NS_ICMP_UNREACH_PORT, .mtu = 1400};
    uint8_t b[NS_ICMP_HLEN + 28];
    CU_ASSERT_EQUAL_FATAL(ns_icmp_emit(&m, quote28(), 28, b, sizeof(b)), sizeof(b));
    CU_ASSERT_EQUAL(ns_read_be32(b + 4), 0);
}

static void test_icmp_emit_time_exceeded_round_trip(void)
{
    NsIcmpRepr m = {.type = NS_ICMP_TIME_EXCEEDED, .code = NS_ICMP_EXC_TTL};
    uint8_t b[NS_ICMP_HLEN + 28];
    NsIcmpRepr back;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_emit(&m, quote28(), 28, b, sizeof(b)), sizeof(b));
    CU_ASSERT_EQUAL_FATAL(ns_icmp_parse(b, sizeof(b), &back), NS_WIRE_OK);
    CU_ASSERT_EQUAL(back.type, NS_ICMP_TIME_EXCEEDED);
    CU_ASSERT_EQUAL(back.code, NS_ICMP_EXC_TTL);
}

static void test_icmp_emit_rejects_unknown_type(void)
{
    NsIcmpRepr m = {.type = (NsIcmpType)13};
    uint8_t b[64];
    CU_ASSERT_EQUAL(ns_icmp_emit(&m, NULL, 0, b, sizeof(b)), 0);
}

static void test_icmp_emit_rejects_error_with_short_quote(void)
{
    NsIcmpRepr m = {.type = NS_ICMP_DEST_UNREACH, .code = NS_ICMP_UNREACH_PORT};
    uint8_t b[64];
    CU_ASSERT_EQUAL(ns_icmp_emit(&m, quote28(), 27, b, sizeof(b)), 0);
}

static void test_icmp_emit_short_buffer_writes_nothing(void)
{
    NsIcmpRepr m = {.type = NS_ICMP_ECHO_REQUEST};
    uint8_t b[ECHO_LEN];
    memset(b, 0xaa, sizeof(b));
    CU_ASSERT_EQUAL(ns_icmp_emit(&m, ECHO_MSG + 8, 16, b, ECHO_LEN - 1), 0);
    CU_ASSERT_EQUAL(b[0], 0xaa);
}

/* ---- quoting ---- */

static void test_icmp_quote_len_whole_small_datagram(void)
{
    /* Case 3: the 44-byte datagram is quoted whole (ICMP total 72). */
    CU_ASSERT_EQUAL(ns_icmp_error_quote_len(44, 1500), 44);
}

static void test_icmp_quote_len_capped_at_576(void)
{
    CU_ASSERT_EQUAL(ns_icmp_error_quote_len(1500, 1500), 576 - 20 - 8);
    CU_ASSERT_EQUAL(ns_icmp_error_quote_len(1500, 576), 548);
}

static void test_icmp_quote_len_small_mtu(void)
{
    CU_ASSERT_EQUAL(ns_icmp_error_quote_len(1500, 100), 72);
    CU_ASSERT_EQUAL(ns_icmp_error_quote_len(1500, 28), 0);
    CU_ASSERT_EQUAL(ns_icmp_error_quote_len(1500, 20), 0);
}

static void test_icmp_quote_parse_real(void)
{
    NsIpv4Repr ip;
    size_t off = 0;
    const uint8_t *q = UNREACH_MSG + NS_ICMP_HLEN;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_quote_parse(q, 44, &ip, &off), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ip.src, NS_TEST_CLI);
    CU_ASSERT_EQUAL(ip.dst, NS_TEST_SRV);
    CU_ASSERT_EQUAL(ip.proto, NS_IPPROTO_UDP);
    CU_ASSERT_EQUAL(ip.total_len, 44);
    CU_ASSERT_EQUAL_FATAL(off, 20);
    CU_ASSERT_EQUAL(ns_read_be16(q + off), 55232);
    CU_ASSERT_EQUAL(ns_read_be16(q + off + 2), 9999);
}

static void test_icmp_quote_parse_cut_short_keeps_total_len(void)
{
    NsIpv4Repr ip;
    size_t off = 0;
    CU_ASSERT_EQUAL_FATAL(ns_icmp_quote_parse(quote28(), 28, &ip, &off), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ip.total_len, 44);
}

static void test_icmp_quote_parse_truncated_every_prefix(void)
{
    for (size_t n = 0; n < 28; n++) {
        g_autofree uint8_t *b = ns_test_dup(quote28(), n);
        NsIpv4Repr ip;
        size_t off;
        CU_ASSERT_EQUAL(ns_icmp_quote_parse(b, n, &ip, &off), NS_WIRE_TRUNCATED);
    }
}

static void test_icmp_quote_parse_bad_checksum(void)
{
    uint8_t q[28];
    memcpy(q, quote28(), sizeof(q));
    q[8] ^= 0xff; /* TTL */
    NsIpv4Repr ip;
    size_t off;
    CU_ASSERT_EQUAL(ns_icmp_quote_parse(q, sizeof(q), &ip, &off), NS_WIRE_BAD_CHECKSUM);
}

CU_TestInfo ns_wire_icmp_tests[] = {
    {"icmp_parse_real_port_unreachable", test_icmp_parse_real_port_unreachable},
    {"icmp_parse_echo_request_fields", test_icmp_parse_echo_request_fields},
    {"icmp_parse_echo_reply_type", test_icmp_parse_echo_reply_type},
    {"icmp_parse_truncated_every_prefix", test_icmp_parse_truncated_every_prefix},
    {"icmp_parse_bad_checksum", test_icmp_parse_bad_checksum},
    {"icmp_parse_timestamp_type_unsupported", test_icmp_parse_timestamp_type_unsupported},
    {"icmp_parse_unreach_code_16_unsupported", test_icmp_parse_unreach_code_16_unsupported},
    {"icmp_parse_echo_nonzero_code_malformed", test_icmp_parse_echo_nonzero_code_malformed},
    {"icmp_parse_error_short_quote_malformed", test_icmp_parse_error_short_quote_malformed},
    {"icmp_parse_unused_field_ignored_unless_frag_needed",
     test_icmp_parse_unused_field_ignored_unless_frag_needed},
    {"icmp_emit_round_trip_real_unreach", test_icmp_emit_round_trip_real_unreach},
    {"icmp_emit_echo_from_fields", test_icmp_emit_echo_from_fields},
    {"icmp_emit_payload_already_in_place", test_icmp_emit_payload_already_in_place},
    {"icmp_emit_frag_needed_carries_mtu", test_icmp_emit_frag_needed_carries_mtu},
    {"icmp_emit_port_unreach_ignores_mtu", test_icmp_emit_port_unreach_ignores_mtu},
    {"icmp_emit_time_exceeded_round_trip", test_icmp_emit_time_exceeded_round_trip},
    {"icmp_emit_rejects_unknown_type", test_icmp_emit_rejects_unknown_type},
    {"icmp_emit_rejects_error_with_short_quote", test_icmp_emit_rejects_error_with_short_quote},
    {"icmp_emit_short_buffer_writes_nothing", test_icmp_emit_short_buffer_writes_nothing},
    {"icmp_quote_len_whole_small_datagram", test_icmp_quote_len_whole_small_datagram},
    {"icmp_quote_len_capped_at_576", test_icmp_quote_len_capped_at_576},
    {"icmp_quote_len_small_mtu", test_icmp_quote_len_small_mtu},
    {"icmp_quote_parse_real", test_icmp_quote_parse_real},
    {"icmp_quote_parse_cut_short_keeps_total_len", test_icmp_quote_parse_cut_short_keeps_total_len},
    {"icmp_quote_parse_truncated_every_prefix", test_icmp_quote_parse_truncated_every_prefix},
    {"icmp_quote_parse_bad_checksum", test_icmp_quote_parse_bad_checksum},
    CU_TEST_INFO_NULL,
};
