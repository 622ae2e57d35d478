/* Tests of the Ethernet II header and MAC text (eth.h), on frames from the
 * Linux reference captures. */
#include "netsim/wire/eth.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "wire-tests.h"

static const uint8_t mac_cli[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_srv[6] = {0x02, 0, 0, 0, 0, 0x02};

/* ---- parse ---- */

static void test_eth_parse_real_syn(void)
{
    NsEthRepr e;
    CU_ASSERT_EQUAL_FATAL(ns_eth_parse(ns_vec_syn, ns_vec_syn_len, &e), NS_WIRE_OK);
    CU_ASSERT_EQUAL(memcmp(e.dst, mac_srv, 6), 0);
    CU_ASSERT_EQUAL(memcmp(e.src, mac_cli, 6), 0);
    CU_ASSERT_EQUAL(e.ethertype, NS_ETHERTYPE_IPV4);
}

static void test_eth_parse_arp_broadcast(void)
{
    NsEthRepr e;
    CU_ASSERT_EQUAL_FATAL(ns_eth_parse(ns_vec_arp_request, ns_vec_arp_request_len, &e), NS_WIRE_OK);
    CU_ASSERT_TRUE(ns_mac_is_broadcast(e.dst));
    CU_ASSERT_EQUAL(e.ethertype, NS_ETHERTYPE_ARP);
}

static void test_eth_parse_header_only_is_ok(void)
{
    NsEthRepr e;
    CU_ASSERT_EQUAL(ns_eth_parse(ns_vec_syn, NS_ETH_HLEN, &e), NS_WIRE_OK);
}

static void test_eth_parse_truncated_every_prefix(void)
{
    for (size_t n = 0; n < NS_ETH_HLEN; n++) {
        g_autofree uint8_t *b = ns_test_dup(ns_vec_syn, n);
        NsEthRepr e;
        CU_ASSERT_EQUAL(ns_eth_parse(b, n, &e), NS_WIRE_TRUNCATED);
    }
}

static void test_eth_parse_8023_length_is_unsupported(void)
{
    uint8_t f[NS_ETH_HLEN];
    memcpy(f, ns_vec_syn, sizeof(f));
    f[12] = 0x05; /* 0x05dc = 1500: an 802.3 length, not an EtherType */
    f[13] = 0xdc;
    NsEthRepr e;
    CU_ASSERT_EQUAL(ns_eth_parse(f, sizeof(f), &e), NS_WIRE_UNSUPPORTED);
}

static void test_eth_parse_lowest_ethertype_is_ok(void)
{
    uint8_t f[NS_ETH_HLEN];
    memcpy(f, ns_vec_syn, sizeof(f));
    f[12] = 0x06;
    f[13] = 0x00;
    NsEthRepr e;
    CU_ASSERT_EQUAL(ns_eth_parse(f, sizeof(f), &e), NS_WIRE_OK);
    CU_ASSERT_EQUAL(e.ethertype, 0x0600);
}

/* ---- emit ---- */

static void test_eth_emit_round_trip_real(void)
{
    NsEthRepr e;
    uint8_t out[NS_ETH_HLEN];
    CU_ASSERT_EQUAL_FATAL(ns_eth_parse(ns_vec_synack, ns_vec_synack_len, &e), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ns_eth_emit(&e, out, sizeof(out)), NS_ETH_HLEN);
    CU_ASSERT_EQUAL(memcmp(out, ns_vec_synack, NS_ETH_HLEN), 0);
}

static void test_eth_emit_short_buffer_writes_nothing(void)
{
    NsEthRepr e = {.ethertype = NS_ETHERTYPE_ARP};
    uint8_t out[NS_ETH_HLEN];
    memset(out, 0xaa, sizeof(out));
    CU_ASSERT_EQUAL(ns_eth_emit(&e, out, NS_ETH_HLEN - 1), 0);
    CU_ASSERT_EQUAL(out[0], 0xaa);
}

/* ---- MAC text ---- */

static void test_eth_mac_format_lowercase_colons(void)
{
    static const uint8_t mac[6] = {0x0a, 0xbc, 0xde, 0xf0, 0x01, 0x9f};
    char s[NS_MAC_STRLEN];
    ns_mac_format(mac, s);
    CU_ASSERT_STRING_EQUAL(s, "0a:bc:de:f0:01:9f");
}

static void test_eth_mac_format_broadcast(void)
{
    char s[NS_MAC_STRLEN];
    ns_mac_format(ns_eth_broadcast, s);
    CU_ASSERT_STRING_EQUAL(s, "ff:ff:ff:ff:ff:ff");
}

static void test_eth_mac_is_broadcast_only_all_ones(void)
{
    CU_ASSERT_TRUE(ns_mac_is_broadcast(ns_eth_broadcast));
    CU_ASSERT_FALSE(ns_mac_is_broadcast(mac_cli));
}

CU_TestInfo ns_wire_eth_tests[] = {
    {"eth_parse_real_syn", test_eth_parse_real_syn},
    {"eth_parse_arp_broadcast", test_eth_parse_arp_broadcast},
    {"eth_parse_header_only_is_ok", test_eth_parse_header_only_is_ok},
    {"eth_parse_truncated_every_prefix", test_eth_parse_truncated_every_prefix},
    {"eth_parse_8023_length_is_unsupported", test_eth_parse_8023_length_is_unsupported},
    {"eth_parse_lowest_ethertype_is_ok", test_eth_parse_lowest_ethertype_is_ok},
    {"eth_emit_round_trip_real", test_eth_emit_round_trip_real},
    {"eth_emit_short_buffer_writes_nothing", test_eth_emit_short_buffer_writes_nothing},
    {"eth_mac_format_lowercase_colons", test_eth_mac_format_lowercase_colons},
    {"eth_mac_format_broadcast", test_eth_mac_format_broadcast},
    {"eth_mac_is_broadcast_only_all_ones", test_eth_mac_is_broadcast_only_all_ones},
    CU_TEST_INFO_NULL,
};
