/* Tests of ARP for IPv4 over Ethernet (RFC 826), on hand-built frames (the
 * reference captures use static neighbours and hold no ARP). */
#include "netsim/wire/arp.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "wire-tests.h"

static const uint8_t mac_cli[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_srv[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_zero[6] = {0};

/* The ARP packet of a vector frame, copied so tests can alter it. */
static void arp_copy(const uint8_t *frame, uint8_t out[NS_ARP_LEN])
{
    memcpy(out, frame + NS_ETH_HLEN, NS_ARP_LEN);
}

/* ---- parse ---- */

static void test_arp_parse_request_fields(void)
{
    NsArpRepr a;
    CU_ASSERT_EQUAL_FATAL(ns_arp_parse(ns_vec_arp_request + NS_ETH_HLEN, NS_ARP_LEN, &a),
                          NS_WIRE_OK);
    CU_ASSERT_EQUAL(a.op, NS_ARP_OP_REQUEST);
    CU_ASSERT_EQUAL(memcmp(a.sha, mac_cli, 6), 0);
    CU_ASSERT_EQUAL(a.spa, NS_TEST_CLI);
    CU_ASSERT_EQUAL(memcmp(a.tha, mac_zero, 6), 0);
    CU_ASSERT_EQUAL(a.tpa, NS_TEST_SRV);
}

static void test_arp_parse_reply_fields(void)
{
    NsArpRepr a;
    CU_ASSERT_EQUAL_FATAL(ns_arp_parse(ns_vec_arp_reply + NS_ETH_HLEN, NS_ARP_LEN, &a), NS_WIRE_OK);
    CU_ASSERT_EQUAL(a.op, NS_ARP_OP_REPLY);
    CU_ASSERT_EQUAL(memcmp(a.sha, mac_srv, 6), 0);
    CU_ASSERT_EQUAL(a.spa, NS_TEST_SRV);
    CU_ASSERT_EQUAL(memcmp(a.tha, mac_cli, 6), 0);
    CU_ASSERT_EQUAL(a.tpa, NS_TEST_CLI);
}

static void test_arp_parse_ignores_ethernet_padding(void)
{
    uint8_t p[NS_ETH_ZLEN - NS_ETH_HLEN] = {0};
    arp_copy(ns_vec_arp_request, p);
    NsArpRepr a;
    CU_ASSERT_EQUAL(ns_arp_parse(p, sizeof(p), &a), NS_WIRE_OK);
}

static void test_arp_parse_truncated_every_prefix(void)
{
    for (size_t n = 0; n < NS_ARP_LEN; n++) {
        g_autofree uint8_t *b = ns_test_dup(ns_vec_arp_request + NS_ETH_HLEN, n);
        NsArpRepr a;
        CU_ASSERT_EQUAL(ns_arp_parse(b, n, &a), NS_WIRE_TRUNCATED);
    }
}

/* Parse the request with the 16-bit field at `off` set to `v`. */
static NsWireResult parse_with_be16(size_t off, uint16_t v)
{
    uint8_t p[NS_ARP_LEN];
    arp_copy(ns_vec_arp_request, p);
    ns_write_be16(p + off, v);
    NsArpRepr a;
    return ns_arp_parse(p, sizeof(p), &a);
}

static void test_arp_parse_non_ethernet_htype_unsupported(void)
{
    CU_ASSERT_EQUAL(parse_with_be16(0, 6), NS_WIRE_UNSUPPORTED); /* IEEE 802 */
}

static void test_arp_parse_non_ipv4_ptype_unsupported(void)
{
    CU_ASSERT_EQUAL(parse_with_be16(2, 0x86dd), NS_WIRE_UNSUPPORTED);
}

static void test_arp_parse_wrong_address_lengths_unsupported(void)
{
    CU_ASSERT_EQUAL(parse_with_be16(4, 0x0804), NS_WIRE_UNSUPPORTED); /* hlen 8 */
    CU_ASSERT_EQUAL(parse_with_be16(4, 0x0610), NS_WIRE_UNSUPPORTED); /* plen 16 */
}

static void test_arp_parse_rarp_op_unsupported(void)
{
    CU_ASSERT_EQUAL(parse_with_be16(6, 3), NS_WIRE_UNSUPPORTED);
    CU_ASSERT_EQUAL(parse_with_be16(6, 0), NS_WIRE_UNSUPPORTED);
}

/* ---- emit ---- */

static void test_arp_emit_request_round_trip(void)
{
    NsArpRepr a;
    uint8_t out[NS_ARP_LEN];
    CU_ASSERT_EQUAL_FATAL(ns_arp_parse(ns_vec_arp_request + NS_ETH_HLEN, NS_ARP_LEN, &a),
                          NS_WIRE_OK);
    CU_ASSERT_EQUAL(ns_arp_emit(&a, out, sizeof(out)), NS_ARP_LEN);
    CU_ASSERT_EQUAL(memcmp(out, ns_vec_arp_request + NS_ETH_HLEN, NS_ARP_LEN), 0);
}

static void test_arp_emit_reply_from_fields(void)
{
    NsArpRepr a = {.op = NS_ARP_OP_REPLY, .spa = NS_TEST_SRV, .tpa = NS_TEST_CLI};
    memcpy(a.sha, mac_srv, 6);
    memcpy(a.tha, mac_cli, 6);
    uint8_t out[NS_ARP_LEN];
    CU_ASSERT_EQUAL(ns_arp_emit(&a, out, sizeof(out)), NS_ARP_LEN);
    CU_ASSERT_EQUAL(memcmp(out, ns_vec_arp_reply + NS_ETH_HLEN, NS_ARP_LEN), 0);
}

static void test_arp_emit_short_buffer_writes_nothing(void)
{
    NsArpRepr a = {.op = NS_ARP_OP_REQUEST};
    uint8_t out[NS_ARP_LEN];
    memset(out, 0xaa, sizeof(out));
    CU_ASSERT_EQUAL(ns_arp_emit(&a, out, NS_ARP_LEN - 1), 0);
    CU_ASSERT_EQUAL(out[0], 0xaa);
}

static void test_arp_emit_unknown_op_writes_nothing(void)
{
    NsArpRepr a = {.op = (NsArpOp)3};
    uint8_t out[NS_ARP_LEN];
    CU_ASSERT_EQUAL(ns_arp_emit(&a, out, sizeof(out)), 0);
}

CU_TestInfo ns_wire_arp_tests[] = {
    {"arp_parse_request_fields", test_arp_parse_request_fields},
    {"arp_parse_reply_fields", test_arp_parse_reply_fields},
    {"arp_parse_ignores_ethernet_padding", test_arp_parse_ignores_ethernet_padding},
    {"arp_parse_truncated_every_prefix", test_arp_parse_truncated_every_prefix},
    {"arp_parse_non_ethernet_htype_unsupported", test_arp_parse_non_ethernet_htype_unsupported},
    {"arp_parse_non_ipv4_ptype_unsupported", test_arp_parse_non_ipv4_ptype_unsupported},
    {"arp_parse_wrong_address_lengths_unsupported",
     test_arp_parse_wrong_address_lengths_unsupported},
    {"arp_parse_rarp_op_unsupported", test_arp_parse_rarp_op_unsupported},
    {"arp_emit_request_round_trip", test_arp_emit_request_round_trip},
    {"arp_emit_reply_from_fields", test_arp_emit_reply_from_fields},
    {"arp_emit_short_buffer_writes_nothing", test_arp_emit_short_buffer_writes_nothing},
    {"arp_emit_unknown_op_writes_nothing", test_arp_emit_unknown_op_writes_nothing},
    CU_TEST_INFO_NULL,
};
