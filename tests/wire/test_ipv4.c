/* Tests of the IPv4 header (RFC 791 section 3.1) and the address text
 * helpers, on datagrams from the Linux reference captures. */
#include "netsim/wire/ipv4.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "wire-tests.h"

/* A mutable copy of the SYN's IP datagram (60 bytes). */
typedef struct {
    uint8_t b[60];
} Dgram;

static Dgram syn_dgram(void)
{
    Dgram d;
    memcpy(d.b, ns_vec_syn + NS_TEST_IP_OFF, sizeof(d.b));
    return d;
}

static NsWireResult parse_dgram(const Dgram *d, NsIpv4Repr *ip)
{
    return ns_ipv4_parse(d->b, sizeof(d->b), ip);
}

/* ---- parse ---- */

static void test_ipv4_parse_real_syn_fields(void)
{
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL_FATAL(ns_ipv4_parse(ns_vec_syn + NS_TEST_IP_OFF, 60, &ip), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ip.tos, 0);
    CU_ASSERT_EQUAL(ip.total_len, 60);
    CU_ASSERT_EQUAL(ip.id, 0x5cc2);
    CU_ASSERT_TRUE(ip.df);
    CU_ASSERT_FALSE(ip.mf);
    CU_ASSERT_EQUAL(ip.frag_offset, 0);
    CU_ASSERT_EQUAL(ip.ttl, 64);
    CU_ASSERT_EQUAL(ip.proto, NS_IPPROTO_TCP);
    CU_ASSERT_EQUAL(ip.src, NS_TEST_CLI);
    CU_ASSERT_EQUAL(ip.dst, NS_TEST_SRV);
    CU_ASSERT_EQUAL(ip.header_len, 20);
}

static void test_ipv4_parse_real_icmp_error_tos_no_df(void)
{
    /* Linux sends ICMP errors with TOS 0xc0 (internetwork control), no DF. */
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL_FATAL(ns_ipv4_parse(ns_vec_icmp_unreach + NS_TEST_IP_OFF, 72, &ip), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ip.tos, 0xc0);
    CU_ASSERT_FALSE(ip.df);
    CU_ASSERT_EQUAL(ip.id, 0x43ae);
    CU_ASSERT_EQUAL(ip.proto, NS_IPPROTO_ICMP);
    CU_ASSERT_EQUAL(ip.total_len, 72);
    CU_ASSERT_EQUAL(ip.src, NS_TEST_SRV);
}

static void test_ipv4_parse_ignores_trailing_padding(void)
{
    uint8_t b[66] = {0};
    memcpy(b, ns_vec_syn + NS_TEST_IP_OFF, 60);
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(ns_ipv4_parse(b, sizeof(b), &ip), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ip.total_len, 60);
}

static void test_ipv4_parse_truncated_every_prefix(void)
{
    for (size_t n = 0; n < 60; n++) {
        g_autofree uint8_t *b = ns_test_dup(ns_vec_syn + NS_TEST_IP_OFF, n);
        NsIpv4Repr ip;
        CU_ASSERT_EQUAL(ns_ipv4_parse(b, n, &ip), NS_WIRE_TRUNCATED);
    }
}

static void test_ipv4_parse_version_6_malformed(void)
{
    Dgram d = syn_dgram();
    d.b[0] = 0x65;
    ns_test_fix_ipv4_csum(d.b, 20);
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(parse_dgram(&d, &ip), NS_WIRE_MALFORMED);
}

static void test_ipv4_parse_ihl_below_5_malformed(void)
{
    Dgram d = syn_dgram();
    d.b[0] = 0x44;
    ns_test_fix_ipv4_csum(d.b, 20);
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(parse_dgram(&d, &ip), NS_WIRE_MALFORMED);
}

static void test_ipv4_parse_ihl_past_buffer_truncated(void)
{
    Dgram d = syn_dgram();
    d.b[0] = 0x4f; /* 60-byte header */
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(ns_ipv4_parse(d.b, 40, &ip), NS_WIRE_TRUNCATED);
}

static void test_ipv4_parse_total_len_below_ihl_malformed(void)
{
    Dgram d = syn_dgram();
    ns_write_be16(d.b + 2, 19);
    ns_test_fix_ipv4_csum(d.b, 20);
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(parse_dgram(&d, &ip), NS_WIRE_MALFORMED);
}

static void test_ipv4_parse_total_len_past_buffer_truncated(void)
{
    Dgram d = syn_dgram();
    ns_write_be16(d.b + 2, 61);
    ns_test_fix_ipv4_csum(d.b, 20);
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(parse_dgram(&d, &ip), NS_WIRE_TRUNCATED);
}

static void test_ipv4_parse_bad_checksum(void)
{
    Dgram d = syn_dgram();
    d.b[8] = 63; /* TTL changed, checksum not updated */
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(parse_dgram(&d, &ip), NS_WIRE_BAD_CHECKSUM);
}

static void test_ipv4_parse_options_skipped(void)
{
    /* IHL 6: one word of options (NOP, NOP, NOP, EOL) before the TCP header. */
    uint8_t b[64];
    memcpy(b, ns_vec_syn + NS_TEST_IP_OFF, 20);
    memcpy(b + 20, (const uint8_t[]){1, 1, 1, 0}, 4);
    memcpy(b + 24, ns_vec_syn + NS_TEST_L4_OFF, 40);
    b[0] = 0x46;
    ns_write_be16(b + 2, 64);
    ns_test_fix_ipv4_csum(b, 24);
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL_FATAL(ns_ipv4_parse(b, sizeof(b), &ip), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ip.header_len, 24);
    CU_ASSERT_EQUAL(ip.total_len, 64);
}

static void test_ipv4_parse_fragment_fields(void)
{
    Dgram d = syn_dgram();
    ns_write_be16(d.b + 6, 0x2000 | 185); /* MF, offset 185 * 8 = 1480 */
    ns_test_fix_ipv4_csum(d.b, 20);
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL_FATAL(parse_dgram(&d, &ip), NS_WIRE_OK);
    CU_ASSERT_TRUE(ip.mf);
    CU_ASSERT_FALSE(ip.df);
    CU_ASSERT_EQUAL(ip.frag_offset, 1480);
}

static void test_ipv4_parse_header_allows_short_datagram(void)
{
    NsIpv4Repr ip;
    CU_ASSERT_EQUAL(ns_ipv4_parse_header(ns_vec_syn + NS_TEST_IP_OFF, 28, &ip), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ip.total_len, 60);
    CU_ASSERT_EQUAL(ns_ipv4_parse_header(ns_vec_syn + NS_TEST_IP_OFF, 19, &ip), NS_WIRE_TRUNCATED);
}

/* ---- emit ---- */

/* Parse the IP header of `frame`, emit it again, compare the 20 bytes. */
static void check_emit_round_trip(const uint8_t *frame, size_t frame_len)
{
    NsIpv4Repr ip;
    uint8_t out[NS_IPV4_HLEN];
    CU_ASSERT_EQUAL_FATAL(ns_ipv4_parse(frame + NS_TEST_IP_OFF, frame_len - NS_TEST_IP_OFF, &ip),
                          NS_WIRE_OK);
    CU_ASSERT_EQUAL_FATAL(ns_ipv4_emit(&ip, out, sizeof(out)), NS_IPV4_HLEN);
    CU_ASSERT_EQUAL(memcmp(out, frame + NS_TEST_IP_OFF, NS_IPV4_HLEN), 0);
}

static void test_ipv4_emit_round_trip_real_syn(void)
{
    check_emit_round_trip(ns_vec_syn, ns_vec_syn_len);
}

static void test_ipv4_emit_round_trip_real_synack_id_zero(void)
{
    check_emit_round_trip(ns_vec_synack, ns_vec_synack_len);
}

static void test_ipv4_emit_round_trip_real_icmp_tos(void)
{
    check_emit_round_trip(ns_vec_icmp_unreach, ns_vec_icmp_unreach_len);
}

static void test_ipv4_emit_fragment_fields(void)
{
    NsIpv4Repr in = {.total_len = 100,
                     .mf = true,
                     .frag_offset = 1480,
                     .ttl = 64,
                     .proto = NS_IPPROTO_UDP,
                     .src = NS_TEST_CLI,
                     .dst = NS_TEST_SRV};
    uint8_t b[100] = {0};
    NsIpv4Repr out;
    CU_ASSERT_EQUAL_FATAL(ns_ipv4_emit(&in, b, sizeof(b)), NS_IPV4_HLEN);
    CU_ASSERT_EQUAL(ns_read_be16(b + 6), 0x2000 | 185);
    CU_ASSERT_EQUAL_FATAL(ns_ipv4_parse(b, sizeof(b), &out), NS_WIRE_OK);
    CU_ASSERT_EQUAL(out.frag_offset, 1480);
}

/* The checksum emit computes from the fields is the one the bytes give:
 * the header verifies, whatever the fields (a pseudo-random walk over them,
 * sums with many carries included). */
static void test_ipv4_emit_checksum_verifies_over_the_bytes(void)
{
    uint32_t x = 7;
    for (int i = 0; i < 2000; i++) {
        uint32_t r[4];
        for (int k = 0; k < 4; k++)
            r[k] = x = x * 1103515245u + 12345u;
        NsIpv4Repr in = {.tos = (uint8_t)r[0],
                         .total_len = (uint16_t)(20 + (r[0] >> 16) % 65516),
                         .id = (uint16_t)r[1],
                         .df = r[1] & 0x10000,
                         .mf = r[1] & 0x20000,
                         .frag_offset = (uint16_t)((r[1] >> 18) % 8192 * 8),
                         .ttl = (uint8_t)(r[0] >> 8),
                         .proto = (uint8_t)(r[1] >> 8),
                         .src = i % 3 ? r[2] : 0xffffffffu,
                         .dst = i % 5 ? r[3] : 0xffffffffu};
        uint8_t b[NS_IPV4_HLEN];
        CU_ASSERT_EQUAL_FATAL(ns_ipv4_emit(&in, b, sizeof(b)), NS_IPV4_HLEN);
        CU_ASSERT_EQUAL_FATAL(ns_inet_checksum(b, NS_IPV4_HLEN), 0);
    }
}

static void test_ipv4_emit_unaligned_frag_offset_writes_nothing(void)
{
    NsIpv4Repr in = {.total_len = 40, .frag_offset = 100};
    uint8_t b[NS_IPV4_HLEN];
    CU_ASSERT_EQUAL(ns_ipv4_emit(&in, b, sizeof(b)), 0);
}

static void test_ipv4_emit_total_len_below_header_writes_nothing(void)
{
    NsIpv4Repr in = {.total_len = 19};
    uint8_t b[NS_IPV4_HLEN];
    CU_ASSERT_EQUAL(ns_ipv4_emit(&in, b, sizeof(b)), 0);
}

static void test_ipv4_emit_short_buffer_writes_nothing(void)
{
    NsIpv4Repr in = {.total_len = 40};
    uint8_t b[NS_IPV4_HLEN];
    memset(b, 0xaa, sizeof(b));
    CU_ASSERT_EQUAL(ns_ipv4_emit(&in, b, NS_IPV4_HLEN - 1), 0);
    CU_ASSERT_EQUAL(b[0], 0xaa);
}

/* ---- address text ---- */

static void test_ipv4_format_addresses(void)
{
    char s[NS_IPV4_STRLEN];
    ns_ipv4_format(NS_TEST_CLI, s);
    CU_ASSERT_STRING_EQUAL(s, "10.0.0.1");
    ns_ipv4_format(0xffffffffu, s);
    CU_ASSERT_STRING_EQUAL(s, "255.255.255.255");
    ns_ipv4_format(0, s);
    CU_ASSERT_STRING_EQUAL(s, "0.0.0.0");
}

static void test_ipv4_parse_addr_valid(void)
{
    uint32_t a = 0;
    CU_ASSERT_TRUE(ns_ipv4_parse_addr("10.0.0.2", &a));
    CU_ASSERT_EQUAL(a, NS_TEST_SRV);
    CU_ASSERT_TRUE(ns_ipv4_parse_addr("255.255.255.255", &a));
    CU_ASSERT_EQUAL(a, 0xffffffffu);
    CU_ASSERT_TRUE(ns_ipv4_parse_addr("0.0.0.0", &a));
    CU_ASSERT_EQUAL(a, 0);
    CU_ASSERT_TRUE(ns_ipv4_parse_addr("192.168.100.7", &a));
    CU_ASSERT_EQUAL(a, 0xc0a86407u);
}

static void test_ipv4_parse_addr_rejects_non_dotted_quads(void)
{
    static const char *const bad[] = {
        "",           "10.0.0",     "10.0.0.1.", "10.0.0.256", "010.0.0.1", "10.0.0.-1",
        " 10.0.0.1",  "10.0.0.1 ",  "10..0.1",   "1.2.3.4.5",  "+1.2.3.4",  "1000.0.0.1",
        "0x0a.0.0.1", "10.0.0.1/8", "a.b.c.d",   ".1.2.3",     "10.0.0.00",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint32_t a = 0x12345678;
        CU_ASSERT_FALSE(ns_ipv4_parse_addr(bad[i], &a));
        CU_ASSERT_EQUAL(a, 0x12345678);
    }
}

static void test_ipv4_parse_cidr_network(void)
{
    uint32_t a = 0;
    uint8_t p = 0;
    CU_ASSERT_TRUE(ns_ipv4_parse_cidr("10.0.0.0/24", &a, &p));
    CU_ASSERT_EQUAL(a, 0x0a000000u);
    CU_ASSERT_EQUAL(p, 24);
}

static void test_ipv4_parse_cidr_keeps_host_bits(void)
{
    uint32_t a = 0;
    uint8_t p = 0;
    CU_ASSERT_TRUE(ns_ipv4_parse_cidr("10.0.0.1/24", &a, &p));
    CU_ASSERT_EQUAL(a, NS_TEST_CLI);
    CU_ASSERT_EQUAL(a & ns_ipv4_mask(p), 0x0a000000u);
}

static void test_ipv4_parse_cidr_extremes(void)
{
    uint32_t a = 1;
    uint8_t p = 1;
    CU_ASSERT_TRUE(ns_ipv4_parse_cidr("0.0.0.0/0", &a, &p));
    CU_ASSERT_EQUAL(a, 0);
    CU_ASSERT_EQUAL(p, 0);
    CU_ASSERT_TRUE(ns_ipv4_parse_cidr("1.2.3.4/32", &a, &p));
    CU_ASSERT_EQUAL(p, 32);
}

static void test_ipv4_parse_cidr_rejects(void)
{
    static const char *const bad[] = {
        "10.0.0.0",    "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/024", "10.0.0.0/24x",
        "10.0.0.0/-1", "/24",       "10.0.0/24",   "10.0.0.0//24", "10.0.0.0/ 24",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint32_t a = 7;
        uint8_t p = 7;
        CU_ASSERT_FALSE(ns_ipv4_parse_cidr(bad[i], &a, &p));
        CU_ASSERT_EQUAL(a, 7);
        CU_ASSERT_EQUAL(p, 7);
    }
}

static void test_ipv4_mask_values(void)
{
    CU_ASSERT_EQUAL(ns_ipv4_mask(0), 0);
    CU_ASSERT_EQUAL(ns_ipv4_mask(1), 0x80000000u);
    CU_ASSERT_EQUAL(ns_ipv4_mask(8), 0xff000000u);
    CU_ASSERT_EQUAL(ns_ipv4_mask(24), 0xffffff00u);
    CU_ASSERT_EQUAL(ns_ipv4_mask(31), 0xfffffffeu);
    CU_ASSERT_EQUAL(ns_ipv4_mask(32), 0xffffffffu);
}

static void test_ipv4_in_subnet(void)
{
    CU_ASSERT_TRUE(ns_ipv4_in_subnet(NS_TEST_SRV, 0x0a000000u, 24));
    CU_ASSERT_TRUE(ns_ipv4_in_subnet(NS_TEST_SRV, NS_TEST_CLI, 24)); /* host bits ignored */
    CU_ASSERT_FALSE(ns_ipv4_in_subnet(0x0a000102u, 0x0a000000u, 24));
    CU_ASSERT_TRUE(ns_ipv4_in_subnet(0xc0a80001u, 0, 0));
    CU_ASSERT_FALSE(ns_ipv4_in_subnet(NS_TEST_SRV, NS_TEST_CLI, 32));
}

CU_TestInfo ns_wire_ipv4_tests[] = {
    {"ipv4_parse_real_syn_fields", test_ipv4_parse_real_syn_fields},
    {"ipv4_parse_real_icmp_error_tos_no_df", test_ipv4_parse_real_icmp_error_tos_no_df},
    {"ipv4_parse_ignores_trailing_padding", test_ipv4_parse_ignores_trailing_padding},
    {"ipv4_parse_truncated_every_prefix", test_ipv4_parse_truncated_every_prefix},
    {"ipv4_parse_version_6_malformed", test_ipv4_parse_version_6_malformed},
    {"ipv4_parse_ihl_below_5_malformed", test_ipv4_parse_ihl_below_5_malformed},
    {"ipv4_parse_ihl_past_buffer_truncated", test_ipv4_parse_ihl_past_buffer_truncated},
    {"ipv4_parse_total_len_below_ihl_malformed", test_ipv4_parse_total_len_below_ihl_malformed},
    {"ipv4_parse_total_len_past_buffer_truncated", test_ipv4_parse_total_len_past_buffer_truncated},
    {"ipv4_parse_bad_checksum", test_ipv4_parse_bad_checksum},
    {"ipv4_parse_options_skipped", test_ipv4_parse_options_skipped},
    {"ipv4_parse_fragment_fields", test_ipv4_parse_fragment_fields},
    {"ipv4_parse_header_allows_short_datagram", test_ipv4_parse_header_allows_short_datagram},
    {"ipv4_emit_round_trip_real_syn", test_ipv4_emit_round_trip_real_syn},
    {"ipv4_emit_round_trip_real_synack_id_zero", test_ipv4_emit_round_trip_real_synack_id_zero},
    {"ipv4_emit_round_trip_real_icmp_tos", test_ipv4_emit_round_trip_real_icmp_tos},
    {"ipv4_emit_fragment_fields", test_ipv4_emit_fragment_fields},
    {"ipv4_emit_checksum_verifies_over_the_bytes", test_ipv4_emit_checksum_verifies_over_the_bytes},
    {"ipv4_emit_unaligned_frag_offset_writes_nothing",
     test_ipv4_emit_unaligned_frag_offset_writes_nothing},
    {"ipv4_emit_total_len_below_header_writes_nothing",
     test_ipv4_emit_total_len_below_header_writes_nothing},
    {"ipv4_emit_short_buffer_writes_nothing", test_ipv4_emit_short_buffer_writes_nothing},
    {"ipv4_format_addresses", test_ipv4_format_addresses},
    {"ipv4_parse_addr_valid", test_ipv4_parse_addr_valid},
    {"ipv4_parse_addr_rejects_non_dotted_quads", test_ipv4_parse_addr_rejects_non_dotted_quads},
    {"ipv4_parse_cidr_network", test_ipv4_parse_cidr_network},
    {"ipv4_parse_cidr_keeps_host_bits", test_ipv4_parse_cidr_keeps_host_bits},
    {"ipv4_parse_cidr_extremes", test_ipv4_parse_cidr_extremes},
    {"ipv4_parse_cidr_rejects", test_ipv4_parse_cidr_rejects},
    {"ipv4_mask_values", test_ipv4_mask_values},
    {"ipv4_in_subnet", test_ipv4_in_subnet},
    CU_TEST_INFO_NULL,
};
