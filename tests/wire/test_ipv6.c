/* Tests of IPv6 (RFC 8200), its addresses (RFC 4291 2.2 and appendix A,
 * RFC 5952), and ICMPv6 (RFC 4443) echo and Neighbor Discovery (RFC 4861)
 * messages. The two message vectors were checked by tshark ("Checksum
 * Status: Good") from a capture of exactly these bytes. */
#include "netsim/wire/ipv6.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "wire-tests.h"

static NsIpv6Addr A(const char *text)
{
    NsIpv6Addr a;
    CU_ASSERT_TRUE_FATAL(ns_ipv6_parse_addr(text, &a));
    return a;
}

/* text in, RFC 5952 text out */
static void canon(const char *in, const char *want)
{
    NsIpv6Addr a = A(in);
    char buf[NS_IPV6_STRLEN];
    CU_ASSERT_STRING_EQUAL(ns_ipv6_format(&a, buf), want);
}

/* ---- addresses ---- */

/* RFC 5952 4.1 to 4.3: no leading zeros, "::" for the longest run of two
 * or more zero groups (the first of equal runs), never for one, lower case. */
static void test_ipv6_format_is_rfc5952_canonical(void)
{
    canon("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1");
    canon("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    canon("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    canon("2001:db8:0:0:0:1:0:0", "2001:db8::1:0:0");
    canon("2001:DB8::AbCd", "2001:db8::abcd");
    canon("::", "::");
    canon("::1", "::1");
    canon("1::", "1::");
    canon("fe80::ff:fe00:101", "fe80::ff:fe00:101");
}

/* RFC 5952 5: an IPv4-mapped address shows its IPv4 part dotted. */
static void test_ipv6_format_ipv4_mapped_dotted(void)
{
    canon("::ffff:c000:201", "::ffff:192.0.2.1");
    canon("::ffff:10.0.0.1", "::ffff:10.0.0.1");
}

/* ::ffff:a.b.c.d gives its IPv4 address; ::a.b.c.d (the old compatible
 * form) and an ordinary address do not. */
static void test_ipv6_v4_mapped_gives_the_ipv4_address(void)
{
    NsIpv6Addr a;
    uint32_t v4 = 7;
    CU_ASSERT_TRUE_FATAL(ns_ipv6_parse_addr("::ffff:10.0.3.80", &a));
    CU_ASSERT_TRUE(ns_ipv6_v4_mapped(&a, &v4));
    CU_ASSERT_EQUAL(v4, 0x0a000350u);
    v4 = 7;
    CU_ASSERT_TRUE_FATAL(ns_ipv6_parse_addr("::10.0.3.80", &a));
    CU_ASSERT_FALSE(ns_ipv6_v4_mapped(&a, &v4));
    CU_ASSERT_TRUE_FATAL(ns_ipv6_parse_addr("2001:db8::ffff:a00:350", &a));
    CU_ASSERT_FALSE(ns_ipv6_v4_mapped(&a, &v4));
    CU_ASSERT_EQUAL(v4, 7u); /* untouched when false */
}

static void test_ipv6_parse_refuses_bad_text(void)
{
    static const char *const bad[] = {
        "",          ":",          ":::",        "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::",
        "1:2:3:4:5:6:7", "g::",    "::1.2.3",    "::256.1.1.1", "::01.2.3.4", "1:2:3:4:5:6:7::8",
        "[::1]",     "::1/64",     "1:",         ":1",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        NsIpv6Addr a;
        if (ns_ipv6_parse_addr(bad[i], &a))
            CU_FAIL(bad[i]);
    }
}

/* RFC 4291 appendix A: MAC 34-56-78-9A-BC-DE gives 3656:78ff:fe9a:bcde. */
static void test_ipv6_link_local_is_modified_eui64(void)
{
    static const uint8_t mac[6] = {0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde};
    NsIpv6Addr ll;
    ns_ipv6_link_local_from_mac(mac, &ll);
    char buf[NS_IPV6_STRLEN];
    CU_ASSERT_STRING_EQUAL(ns_ipv6_format(&ll, buf), "fe80::3656:78ff:fe9a:bcde");
    CU_ASSERT_TRUE(ns_ipv6_is_link_local(&ll));
}

/* RFC 4291 2.7.1: 4037::01:800:200E:8C6C -> FF02::1:FF0E:8C6C, and its
 * Ethernet address 33:33:ff:0e:8c:6c (RFC 2464 7). */
static void test_ipv6_solicited_node_and_its_mac(void)
{
    NsIpv6Addr a = A("4037::01:800:200E:8C6C"), sn;
    ns_ipv6_solicited_node(&a, &sn);
    char buf[NS_IPV6_STRLEN];
    CU_ASSERT_STRING_EQUAL(ns_ipv6_format(&sn, buf), "ff02::1:ff0e:8c6c");
    CU_ASSERT_TRUE(ns_ipv6_is_multicast(&sn));
    uint8_t mac[6];
    ns_ipv6_multicast_mac(&sn, mac);
    static const uint8_t want[6] = {0x33, 0x33, 0xff, 0x0e, 0x8c, 0x6c};
    CU_ASSERT_EQUAL(memcmp(mac, want, 6), 0);
}

static void test_ipv6_prefix_match(void)
{
    NsIpv6Addr net = A("2001:db8:1::"), in = A("2001:db8:1::1"), out = A("2001:db8:2::1");
    CU_ASSERT_TRUE(ns_ipv6_in_prefix(&in, &net, 64));
    CU_ASSERT_FALSE(ns_ipv6_in_prefix(&out, &net, 64));
    CU_ASSERT_TRUE(ns_ipv6_in_prefix(&out, &net, 46)); /* 2001:db8:0000 | 00xx */
    CU_ASSERT_FALSE(ns_ipv6_in_prefix(&out, &net, 47));
    CU_ASSERT_TRUE(ns_ipv6_in_prefix(&out, &net, 0));
}

/* ---- header ---- */

static void test_ipv6_header_round_trip(void)
{
    NsIpv6Repr h = {.traffic_class = 0xb8, .flow_label = 0xabcde, .payload_len = 8,
                    .next_header = NS_IPPROTO_ICMPV6, .hop_limit = 64,
                    .src = A("2001:db8:1::1"), .dst = A("2001:db8:2::2")};
    uint8_t buf[NS_IPV6_HLEN + 8] = {0};
    CU_ASSERT_EQUAL(ns_ipv6_emit(&h, buf, sizeof buf), NS_IPV6_HLEN);
    CU_ASSERT_EQUAL(buf[0], 0x6b); /* version 6, traffic class high nibble */
    CU_ASSERT_EQUAL(ns_read_be32(buf) & 0xfffff, 0xabcde);
    NsIpv6Repr back;
    CU_ASSERT_EQUAL_FATAL(ns_ipv6_parse(buf, sizeof buf, &back), NS_WIRE_OK);
    CU_ASSERT_EQUAL(back.traffic_class, 0xb8);
    CU_ASSERT_EQUAL(back.flow_label, 0xabcde);
    CU_ASSERT_EQUAL(back.payload_len, 8);
    CU_ASSERT_EQUAL(back.hop_limit, 64);
    CU_ASSERT_TRUE(ns_ipv6_addr_equal(&back.dst, &h.dst));
}

static void test_ipv6_parse_refuses_short_and_other_versions(void)
{
    uint8_t buf[NS_IPV6_HLEN] = {0x60};
    NsIpv6Repr h;
    CU_ASSERT_EQUAL(ns_ipv6_parse(buf, NS_IPV6_HLEN - 1, &h), NS_WIRE_TRUNCATED);
    buf[5] = 1; /* a payload byte that is not there */
    CU_ASSERT_EQUAL(ns_ipv6_parse(buf, NS_IPV6_HLEN, &h), NS_WIRE_TRUNCATED);
    buf[5] = 0;
    buf[0] = 0x45;
    CU_ASSERT_EQUAL(ns_ipv6_parse(buf, NS_IPV6_HLEN, &h), NS_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(ns_ipv6_emit(&(NsIpv6Repr){.flow_label = 0x100000}, buf, sizeof buf), 0);
}

/* The Fragment header of RFC 8200 4.5: offset 1448 (181 units of 8, M
 * set) as bytes 2-3 0x05a9. */
static void test_ipv6_fragment_header_bytes(void)
{
    NsIpv6FragRepr f = {.next_header = NS_IPPROTO_UDP, .offset = 1448, .m = true,
                        .id = 0xdeadbeef};
    uint8_t buf[NS_IPV6_FRAG_HLEN];
    CU_ASSERT_EQUAL(ns_ipv6_frag_emit(&f, buf, sizeof buf), NS_IPV6_FRAG_HLEN);
    static const uint8_t want[] = {17, 0, 0x05, 0xa9, 0xde, 0xad, 0xbe, 0xef};
    CU_ASSERT_EQUAL(memcmp(buf, want, sizeof want), 0);
    NsIpv6FragRepr back;
    CU_ASSERT_EQUAL_FATAL(ns_ipv6_frag_parse(buf, sizeof buf, &back), NS_WIRE_OK);
    CU_ASSERT_EQUAL(back.next_header, NS_IPPROTO_UDP);
    CU_ASSERT_EQUAL(back.offset, 1448);
    CU_ASSERT_TRUE(back.m);
    CU_ASSERT_EQUAL(back.id, 0xdeadbeef);
    CU_ASSERT_EQUAL(ns_ipv6_frag_parse(buf, 7, &back), NS_WIRE_TRUNCATED);
    f.offset = 1449;
    CU_ASSERT_EQUAL(ns_ipv6_frag_emit(&f, buf, sizeof buf), 0);
}

/* ---- ICMPv6 ---- */

/* fe80::ff:fe00:101 -> fe80::ff:fe00:201, echo request id 0x1234 seq 1 "abcde" */
static const uint8_t echo_vec[] = {0x80, 0x00, 0x45, 0xb8, 0x12, 0x34, 0x00, 0x01,
                                   'a',  'b',  'c',  'd',  'e'};
/* the same source's solicitation for fe80::ff:fe00:201, to its
 * solicited-node address, with its link-layer address 02:00:00:00:01:01 */
static const uint8_t ns_vec[] = {
    0x87, 0x00, 0x76, 0x99, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x02, 0x01, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01};

static void test_icmp6_echo_matches_the_checked_bytes(void)
{
    NsIpv6Addr s = A("fe80::ff:fe00:101"), d = A("fe80::ff:fe00:201");
    uint8_t buf[64];
    NsIcmp6Repr r = {.type = NS_ICMP6_ECHO_REQUEST, .id = 0x1234, .seq = 1};
    size_t n = ns_icmp6_emit(&r, &s, &d, (const uint8_t *)"abcde", 5, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(n, sizeof echo_vec);
    CU_ASSERT_EQUAL(memcmp(buf, echo_vec, n), 0);
    NsIcmp6Repr back;
    CU_ASSERT_EQUAL(ns_icmp6_parse(echo_vec, sizeof echo_vec, &s, &d, &back), NS_WIRE_OK);
    CU_ASSERT_EQUAL(back.id, 0x1234);
    CU_ASSERT_EQUAL(back.seq, 1);
    /* The pseudo-header counts: the same bytes from another host fail. */
    NsIpv6Addr other = A("fe80::2:3"); /* (fe80::1 happens to have the same sum) */
    CU_ASSERT_EQUAL(ns_icmp6_parse(echo_vec, sizeof echo_vec, &other, &d, &back),
                    NS_WIRE_BAD_CHECKSUM);
}

static void test_icmp6_neighbor_solicitation_matches_the_checked_bytes(void)
{
    NsIpv6Addr s = A("fe80::ff:fe00:101"), t = A("fe80::ff:fe00:201"), sn;
    ns_ipv6_solicited_node(&t, &sn);
    NsIcmp6Repr r = {.type = NS_ICMP6_NEIGHBOR_SOLICIT, .target = t, .has_lladdr = true,
                     .lladdr = {2, 0, 0, 0, 1, 1}};
    uint8_t buf[64];
    size_t n = ns_icmp6_emit(&r, &s, &sn, NULL, 0, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(n, sizeof ns_vec);
    CU_ASSERT_EQUAL(memcmp(buf, ns_vec, n), 0);
    NsIcmp6Repr back;
    CU_ASSERT_EQUAL_FATAL(ns_icmp6_parse(ns_vec, sizeof ns_vec, &s, &sn, &back), NS_WIRE_OK);
    CU_ASSERT_TRUE(ns_ipv6_addr_equal(&back.target, &t));
    CU_ASSERT_TRUE(back.has_lladdr);
    CU_ASSERT_EQUAL(back.lladdr[5], 1);
}

static void test_icmp6_advertisement_flags_round_trip(void)
{
    NsIpv6Addr s = A("fe80::ff:fe00:201"), d = A("fe80::ff:fe00:101");
    NsIcmp6Repr r = {.type = NS_ICMP6_NEIGHBOR_ADVERT, .target = s, .solicited = true,
                     .override = true, .has_lladdr = true, .lladdr = {2, 0, 0, 0, 2, 1}};
    uint8_t buf[64];
    size_t n = ns_icmp6_emit(&r, &s, &d, NULL, 0, buf, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(n, 32);
    CU_ASSERT_EQUAL(buf[4], 0x60); /* S and O, not R */
    CU_ASSERT_EQUAL(buf[24], NS_ND_OPT_TARGET_LLADDR);
    NsIcmp6Repr back;
    CU_ASSERT_EQUAL_FATAL(ns_icmp6_parse(buf, n, &s, &d, &back), NS_WIRE_OK);
    CU_ASSERT_TRUE(back.solicited && back.override && !back.router);
}

/* RFC 4861 4.6: an option of length 0 is invalid; a multicast target too. */
static void test_icmp6_nd_refuses_zero_length_option_and_multicast_target(void)
{
    NsIpv6Addr s = A("fe80::ff:fe00:101"), t = A("fe80::ff:fe00:201"), sn;
    ns_ipv6_solicited_node(&t, &sn);
    uint8_t buf[64];
    NsIcmp6Repr r = {.type = NS_ICMP6_NEIGHBOR_SOLICIT, .target = t, .has_lladdr = true};
    size_t n = ns_icmp6_emit(&r, &s, &sn, NULL, 0, buf, sizeof buf);
    buf[25] = 0;
    buf[2] = buf[3] = 0; /* a checksum that verifies, over the changed bytes */
    uint32_t sum = ns_csum_pseudo6(&s, &sn, NS_IPPROTO_ICMPV6, (uint32_t)n);
    ns_write_be16(buf + 2, ns_csum_fold(ns_csum_partial(sum, buf, n)));
    NsIcmp6Repr back;
    CU_ASSERT_EQUAL(ns_icmp6_parse(buf, n, &s, &sn, &back), NS_WIRE_MALFORMED);
    r.target = sn;
    n = ns_icmp6_emit(&r, &s, &sn, NULL, 0, buf, sizeof buf);
    CU_ASSERT_EQUAL(ns_icmp6_parse(buf, n, &s, &sn, &back), NS_WIRE_MALFORMED);
}

/* Checksums at every length: an echo of 0..300 payload bytes parses. */
static void test_icmp6_checksum_at_every_length(void)
{
    NsIpv6Addr s = A("2001:db8::1"), d = A("2001:db8::2");
    uint8_t payload[300], buf[400];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    int bad = 0;
    for (size_t len = 0; len <= sizeof payload; len++) {
        NsIcmp6Repr r = {.type = NS_ICMP6_ECHO_REPLY, .id = 7, .seq = (uint16_t)len}, back;
        size_t n = ns_icmp6_emit(&r, &s, &d, payload, len, buf, sizeof buf);
        if (n != 8 + len || ns_icmp6_parse(buf, n, &s, &d, &back) != NS_WIRE_OK)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
}

CU_TestInfo ns_wire_ipv6_tests[] = {
    {"format_is_rfc5952_canonical", test_ipv6_format_is_rfc5952_canonical},
    {"format_ipv4_mapped_dotted", test_ipv6_format_ipv4_mapped_dotted},
    {"v4_mapped_gives_the_ipv4_address", test_ipv6_v4_mapped_gives_the_ipv4_address},
    {"parse_refuses_bad_text", test_ipv6_parse_refuses_bad_text},
    {"link_local_is_modified_eui64", test_ipv6_link_local_is_modified_eui64},
    {"solicited_node_and_its_mac", test_ipv6_solicited_node_and_its_mac},
    {"prefix_match", test_ipv6_prefix_match},
    {"header_round_trip", test_ipv6_header_round_trip},
    {"parse_refuses_short_and_other_versions", test_ipv6_parse_refuses_short_and_other_versions},
    {"fragment_header_bytes", test_ipv6_fragment_header_bytes},
    {"icmp6_echo_matches_the_checked_bytes", test_icmp6_echo_matches_the_checked_bytes},
    {"icmp6_neighbor_solicitation_matches_the_checked_bytes",
     test_icmp6_neighbor_solicitation_matches_the_checked_bytes},
    {"icmp6_advertisement_flags_round_trip", test_icmp6_advertisement_flags_round_trip},
    {"icmp6_nd_refuses_zero_length_option_and_multicast_target",
     test_icmp6_nd_refuses_zero_length_option_and_multicast_target},
    {"icmp6_checksum_at_every_length", test_icmp6_checksum_at_every_length},
    CU_TEST_INFO_NULL,
};
