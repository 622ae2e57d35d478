/* Tests of UDP (RFC 768) on the datagrams of cases 3 and 4 of the Linux
 * reference captures, including the pseudo-header checksum. */
#include "netsim/wire/udp.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "wire-tests.h"

#define QUERY (ns_vec_udp_query + NS_TEST_L4_OFF)
#define QUERY_LEN 15 /* 8 + "query 1" */
#define CLOSED (ns_vec_udp_closed + NS_TEST_L4_OFF)
#define CLOSED_LEN 24 /* 8 + "ping-unconnected" */

/* ---- parse ---- */

static void test_udp_parse_real_query(void)
{
    NsUdpRepr u;
    CU_ASSERT_EQUAL_FATAL(ns_udp_parse(QUERY, QUERY_LEN, NS_TEST_CLI, NS_TEST_SRV, &u), NS_WIRE_OK);
    CU_ASSERT_EQUAL(u.src_port, 39062);
    CU_ASSERT_EQUAL(u.dst_port, 5353);
    CU_ASSERT_EQUAL(u.length, QUERY_LEN);
    CU_ASSERT_EQUAL(memcmp(QUERY + NS_UDP_HLEN, "query 1", 7), 0);
}

static void test_udp_parse_real_to_closed_port(void)
{
    NsUdpRepr u;
    CU_ASSERT_EQUAL_FATAL(ns_udp_parse(CLOSED, CLOSED_LEN, NS_TEST_CLI, NS_TEST_SRV, &u),
                          NS_WIRE_OK);
    CU_ASSERT_EQUAL(u.src_port, 55232);
    CU_ASSERT_EQUAL(u.dst_port, 9999);
    CU_ASSERT_EQUAL(u.length, CLOSED_LEN);
}

static void test_udp_parse_truncated_every_prefix(void)
{
    for (size_t n = 0; n < QUERY_LEN; n++) {
        g_autofree uint8_t *b = ns_test_dup(QUERY, n);
        NsUdpRepr u;
        CU_ASSERT_EQUAL(ns_udp_parse(b, n, NS_TEST_CLI, NS_TEST_SRV, &u), NS_WIRE_TRUNCATED);
    }
}

static void test_udp_parse_length_below_header_malformed(void)
{
    uint8_t b[QUERY_LEN];
    memcpy(b, QUERY, sizeof(b));
    ns_write_be16(b + 4, 7);
    NsUdpRepr u;
    CU_ASSERT_EQUAL(ns_udp_parse(b, sizeof(b), NS_TEST_CLI, NS_TEST_SRV, &u), NS_WIRE_MALFORMED);
}

static void test_udp_parse_trailing_bytes_ignored(void)
{
    /* An IP payload longer than the UDP length: Linux trims the excess. */
    uint8_t b[QUERY_LEN + 5] = {0};
    memcpy(b, QUERY, QUERY_LEN);
    NsUdpRepr u;
    CU_ASSERT_EQUAL_FATAL(ns_udp_parse(b, sizeof(b), NS_TEST_CLI, NS_TEST_SRV, &u), NS_WIRE_OK);
    CU_ASSERT_EQUAL(u.length, QUERY_LEN);
}

static void test_udp_parse_bad_checksum(void)
{
    uint8_t b[QUERY_LEN];
    memcpy(b, QUERY, sizeof(b));
    b[QUERY_LEN - 1] ^= 0x20; /* "query 1" -> "query \x11" */
    NsUdpRepr u;
    CU_ASSERT_EQUAL(ns_udp_parse(b, sizeof(b), NS_TEST_CLI, NS_TEST_SRV, &u), NS_WIRE_BAD_CHECKSUM);
}

static void test_udp_parse_wrong_pseudo_header_bad_checksum(void)
{
    NsUdpRepr u;
    CU_ASSERT_EQUAL(ns_udp_parse(QUERY, QUERY_LEN, NS_TEST_CLI, 0x0a000003u, &u),
                    NS_WIRE_BAD_CHECKSUM);
}

static void test_udp_parse_zero_checksum_not_verified(void)
{
    uint8_t b[QUERY_LEN];
    memcpy(b, QUERY, sizeof(b));
    ns_write_be16(b + 6, 0);
    b[QUERY_LEN - 1] ^= 0x20;
    NsUdpRepr u;
    CU_ASSERT_EQUAL(ns_udp_parse(b, sizeof(b), NS_TEST_CLI, NS_TEST_SRV, &u), NS_WIRE_OK);
}

/* ---- emit ---- */

/* Emit the UDP header of `dgram` over a copy whose header is wiped; compare. */
static void check_emit_round_trip(const uint8_t *dgram, size_t len, uint32_t src, uint32_t dst)
{
    NsUdpRepr u;
    uint8_t b[64];
    CU_ASSERT_FATAL(len <= sizeof(b));
    CU_ASSERT_EQUAL_FATAL(ns_udp_parse(dgram, len, src, dst, &u), NS_WIRE_OK);
    memcpy(b, dgram, len);
    memset(b, 0, NS_UDP_HLEN);
    CU_ASSERT_EQUAL_FATAL(ns_udp_emit(&u, src, dst, b, len), len);
    CU_ASSERT_EQUAL(memcmp(b, dgram, len), 0);
}

static void test_udp_emit_round_trip_real_query(void)
{
    check_emit_round_trip(QUERY, QUERY_LEN, NS_TEST_CLI, NS_TEST_SRV);
}

static void test_udp_emit_round_trip_real_answer(void)
{
    check_emit_round_trip(ns_vec_udp_answer + NS_TEST_L4_OFF, QUERY_LEN, NS_TEST_SRV, NS_TEST_CLI);
}

static void test_udp_emit_round_trip_real_closed_port(void)
{
    check_emit_round_trip(CLOSED, CLOSED_LEN, NS_TEST_CLI, NS_TEST_SRV);
}

static void test_udp_emit_zero_sum_sent_as_ffff(void)
{
    /* First emit with a zero payload word gives checksum C = ~S; a payload
     * word equal to C makes the sum all ones, so the computed checksum is 0. */
    uint8_t b[NS_UDP_HLEN + 2] = {0};
    NsUdpRepr u = {.src_port = 1000, .dst_port = 2000, .length = sizeof(b)};
    CU_ASSERT_EQUAL_FATAL(ns_udp_emit(&u, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), sizeof(b));
    memcpy(b + NS_UDP_HLEN, b + 6, 2);
    CU_ASSERT_EQUAL_FATAL(ns_udp_emit(&u, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), sizeof(b));
    CU_ASSERT_EQUAL(ns_read_be16(b + 6), 0xffff);
    NsUdpRepr back;
    CU_ASSERT_EQUAL(ns_udp_parse(b, sizeof(b), NS_TEST_CLI, NS_TEST_SRV, &back), NS_WIRE_OK);
}

static void test_udp_emit_short_buffer_writes_nothing(void)
{
    uint8_t b[QUERY_LEN];
    memset(b, 0xaa, sizeof(b));
    NsUdpRepr u = {.src_port = 1, .dst_port = 2, .length = QUERY_LEN};
    CU_ASSERT_EQUAL(ns_udp_emit(&u, NS_TEST_CLI, NS_TEST_SRV, b, QUERY_LEN - 1), 0);
    CU_ASSERT_EQUAL(b[0], 0xaa);
}

static void test_udp_emit_length_below_header_writes_nothing(void)
{
    uint8_t b[NS_UDP_HLEN];
    NsUdpRepr u = {.src_port = 1, .dst_port = 2, .length = 7};
    CU_ASSERT_EQUAL(ns_udp_emit(&u, NS_TEST_CLI, NS_TEST_SRV, b, sizeof(b)), 0);
}

CU_TestInfo ns_wire_udp_tests[] = {
    {"udp_parse_real_query", test_udp_parse_real_query},
    {"udp_parse_real_to_closed_port", test_udp_parse_real_to_closed_port},
    {"udp_parse_truncated_every_prefix", test_udp_parse_truncated_every_prefix},
    {"udp_parse_length_below_header_malformed", test_udp_parse_length_below_header_malformed},
    {"udp_parse_trailing_bytes_ignored", test_udp_parse_trailing_bytes_ignored},
    {"udp_parse_bad_checksum", test_udp_parse_bad_checksum},
    {"udp_parse_wrong_pseudo_header_bad_checksum", test_udp_parse_wrong_pseudo_header_bad_checksum},
    {"udp_parse_zero_checksum_not_verified", test_udp_parse_zero_checksum_not_verified},
    {"udp_emit_round_trip_real_query", test_udp_emit_round_trip_real_query},
    {"udp_emit_round_trip_real_answer", test_udp_emit_round_trip_real_answer},
    {"udp_emit_round_trip_real_closed_port", test_udp_emit_round_trip_real_closed_port},
    {"udp_emit_zero_sum_sent_as_ffff", test_udp_emit_zero_sum_sent_as_ffff},
    {"udp_emit_short_buffer_writes_nothing", test_udp_emit_short_buffer_writes_nothing},
    {"udp_emit_length_below_header_writes_nothing",
     test_udp_emit_length_below_header_writes_nothing},
    CU_TEST_INFO_NULL,
};
