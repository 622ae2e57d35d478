/* libFuzzer entry point for sim/wire. Each input goes to every parser as
 * is, then again with lengths and checksums repaired so that mutations reach
 * the field and option checks; an input that parses must re-emit and parse
 * back to the same repr. Also read as an Ethernet frame, layer by layer.
 * Failures abort(), which both libFuzzer and the smoke driver report. */
#include "wire-tests.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netsim/wire/arp.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/dns.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/http.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/result.h"
#include "netsim/wire/smtp.h"
#include "netsim/wire/tcp.h"
#include "netsim/wire/udp.h"

/* Repaired copies are made of inputs up to this size; longer ones are only
 * parsed raw (the parsers themselves have no size limit). */
#define MAX_COPY 4096

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Scratch buffers: static so that no allocation hides an overread. */
static uint8_t copy_buf[MAX_COPY];
static uint8_t out_buf[MAX_COPY + NS_TCP_MAX_HLEN];

static bool valid_result(NsWireResult r)
{
    return strcmp(ns_wire_result_name(r), "invalid") != 0;
}

/* ---- Ethernet and ARP ---- */

static void fuzz_eth(const uint8_t *d, size_t n)
{
    NsEthRepr e;
    NsWireResult r = ns_eth_parse(d, n, &e);
    FUZZ_CHECK(valid_result(r));
    if (r != NS_WIRE_OK)
        return;
    FUZZ_CHECK(ns_eth_emit(&e, out_buf, sizeof(out_buf)) == NS_ETH_HLEN);
    FUZZ_CHECK(memcmp(out_buf, d, NS_ETH_HLEN) == 0);
}

static void fuzz_arp(const uint8_t *d, size_t n)
{
    NsArpRepr a;
    NsWireResult r = ns_arp_parse(d, n, &a);
    FUZZ_CHECK(valid_result(r));
    if (r != NS_WIRE_OK)
        return;
    FUZZ_CHECK(ns_arp_emit(&a, out_buf, sizeof(out_buf)) == NS_ARP_LEN);
    FUZZ_CHECK(memcmp(out_buf, d, NS_ARP_LEN) == 0);
}

/* ---- IPv4 ---- */

/* Emit `ip` (payload d[header_len..total_len)) again and parse it back. */
static void ipv4_round_trip(const uint8_t *d, const NsIpv4Repr *ip)
{
    size_t plen = (size_t)ip->total_len - ip->header_len;
    NsIpv4Repr again = *ip, back;
    again.total_len = (uint16_t)(NS_IPV4_HLEN + plen);
    if (NS_IPV4_HLEN + plen > sizeof(out_buf) || NS_IPV4_HLEN + plen > UINT16_MAX)
        return;
    FUZZ_CHECK(ns_ipv4_emit(&again, out_buf, sizeof(out_buf)) == NS_IPV4_HLEN);
    memcpy(out_buf + NS_IPV4_HLEN, d + ip->header_len, plen);
    FUZZ_CHECK(ns_ipv4_parse(out_buf, NS_IPV4_HLEN + plen, &back) == NS_WIRE_OK);
    FUZZ_CHECK(back.tos == ip->tos && back.id == ip->id && back.df == ip->df && back.mf == ip->mf &&
               back.frag_offset == ip->frag_offset && back.ttl == ip->ttl &&
               back.proto == ip->proto && back.src == ip->src && back.dst == ip->dst &&
               back.header_len == NS_IPV4_HLEN && back.total_len == again.total_len);
}

static NsWireResult fuzz_ipv4(const uint8_t *d, size_t n, NsIpv4Repr *ip)
{
    NsIpv4Repr hdr;
    FUZZ_CHECK(valid_result(ns_ipv4_parse_header(d, n, &hdr)));
    NsWireResult r = ns_ipv4_parse(d, n, ip);
    FUZZ_CHECK(valid_result(r));
    if (r != NS_WIRE_OK)
        return r;
    FUZZ_CHECK(ip->header_len >= NS_IPV4_HLEN && ip->header_len <= ip->total_len &&
               ip->total_len <= n);
    ipv4_round_trip(d, ip);
    return r;
}

/* The datagram d[0..n) with IHL/length/checksum repaired, in copy_buf. */
static size_t repair_ipv4(const uint8_t *d, size_t n)
{
    if (n < NS_IPV4_HLEN || n > MAX_COPY)
        return 0;
    memcpy(copy_buf, d, n);
    copy_buf[0] = (uint8_t)(0x40 | (copy_buf[0] & 0x0f));
    size_t hlen = (size_t)(copy_buf[0] & 0x0f) * 4;
    if (hlen < NS_IPV4_HLEN || hlen > n) {
        copy_buf[0] = 0x45;
        hlen = NS_IPV4_HLEN;
    }
    ns_write_be16(copy_buf + 2, (uint16_t)(n > UINT16_MAX ? UINT16_MAX : n));
    ns_test_fix_ipv4_csum(copy_buf, hlen);
    return n;
}

/* ---- ICMP ---- */

static void fuzz_icmp(const uint8_t *d, size_t n)
{
    NsIcmpRepr m, back;
    NsWireResult r = ns_icmp_parse(d, n, &m);
    FUZZ_CHECK(valid_result(r));
    NsIpv4Repr qip;
    size_t l4 = 0;
    if (n >= NS_ICMP_HLEN) {
        r = ns_icmp_quote_parse(d + NS_ICMP_HLEN, n - NS_ICMP_HLEN, &qip, &l4);
        FUZZ_CHECK(valid_result(r));
        if (r == NS_WIRE_OK)
            FUZZ_CHECK(l4 >= NS_IPV4_HLEN && l4 + 8 <= n - NS_ICMP_HLEN);
    }
    if (n > MAX_COPY || n < NS_ICMP_HLEN)
        return;
    memcpy(copy_buf, d, n);
    ns_test_fix_icmp_csum(copy_buf, n);
    if (ns_icmp_parse(copy_buf, n, &m) != NS_WIRE_OK)
        return;
    size_t len =
        ns_icmp_emit(&m, copy_buf + NS_ICMP_HLEN, n - NS_ICMP_HLEN, out_buf, sizeof(out_buf));
    FUZZ_CHECK(len == n);
    FUZZ_CHECK(ns_icmp_parse(out_buf, n, &back) == NS_WIRE_OK);
    FUZZ_CHECK(back.type == m.type && back.code == m.code && back.id == m.id && back.seq == m.seq &&
               back.mtu == m.mtu);
}

/* ---- UDP ---- */

static void fuzz_udp(const uint8_t *d, size_t n, uint32_t src, uint32_t dst)
{
    NsUdpRepr u, back;
    FUZZ_CHECK(valid_result(ns_udp_parse(d, n, src, dst, &u)));
    if (n > MAX_COPY || n < NS_UDP_HLEN)
        return;
    /* Repaired: the length field made to fit, then the checksum. */
    memcpy(copy_buf, d, n);
    if (ns_read_be16(copy_buf + 4) > n || ns_read_be16(copy_buf + 4) < NS_UDP_HLEN)
        ns_write_be16(copy_buf + 4, (uint16_t)n);
    size_t ulen = ns_read_be16(copy_buf + 4);
    ns_test_fix_udp_csum(copy_buf, ulen, src, dst);
    FUZZ_CHECK(ns_udp_parse(copy_buf, n, src, dst, &u) == NS_WIRE_OK);
    memcpy(out_buf, copy_buf, ulen);
    memset(out_buf, 0, NS_UDP_HLEN);
    FUZZ_CHECK(ns_udp_emit(&u, src, dst, out_buf, sizeof(out_buf)) == ulen);
    FUZZ_CHECK(memcmp(out_buf, copy_buf, ulen) == 0);
    FUZZ_CHECK(ns_udp_parse(out_buf, ulen, src, dst, &back) == NS_WIRE_OK);
}

/* ---- TCP ---- */

static bool tcp_same(const NsTcpRepr *a, const NsTcpRepr *b)
{
    if (a->src_port != b->src_port || a->dst_port != b->dst_port || a->seq != b->seq ||
        a->ack != b->ack || a->flags != b->flags || a->window != b->window ||
        a->urgent != b->urgent)
        return false;
    if (a->has_mss != b->has_mss || a->mss != b->mss || a->has_wscale != b->has_wscale ||
        a->wscale != b->wscale || a->sack_permitted != b->sack_permitted ||
        a->has_ts != b->has_ts || a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)
        return false;
    if (a->n_sack != b->n_sack || a->n_opts != b->n_opts)
        return false;
    for (int i = 0; i < a->n_sack; i++)
        if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
            return false;
    return memcmp(a->opt_order, b->opt_order, a->n_opts) == 0;
}

static void tcp_text(const NsTcpRepr *t)
{
    char flags[NS_TCP_FLAGS_STRLEN], names[NS_TCP_FLAGS_LONG_STRLEN], opts[256], tiny[5];
    ns_tcp_flags_format(t->flags, flags);
    ns_tcp_flags_format_long(t->flags, names);
    size_t need = ns_tcp_opts_format(t, opts, sizeof(opts));
    FUZZ_CHECK(need < sizeof(opts) && strlen(opts) == need);
    FUZZ_CHECK(ns_tcp_opts_format(t, tiny, sizeof(tiny)) == need);
    FUZZ_CHECK(strlen(tiny) == (need < sizeof(tiny) ? need : sizeof(tiny) - 1));
}

static void tcp_round_trip(const uint8_t *seg, size_t n, const NsTcpRepr *t, uint32_t src,
                           uint32_t dst)
{
    size_t hlen = ns_tcp_header_len(t);
    if (hlen == 0)
        return; /* unknown kinds, or duplicates grown past 40 bytes */
    size_t plen = n - t->header_len;
    if (hlen + plen > sizeof(out_buf) || hlen + plen > UINT16_MAX)
        return;
    memcpy(out_buf + hlen, seg + t->header_len, plen);
    FUZZ_CHECK(ns_tcp_emit(t, src, dst, out_buf, hlen + plen) == hlen);
    NsTcpRepr back;
    FUZZ_CHECK(ns_tcp_parse(out_buf, hlen + plen, src, dst, &back) == NS_WIRE_OK);
    FUZZ_CHECK(back.header_len == hlen && tcp_same(t, &back));

    /* Re-laid out the Linux way, what still fits 40 bytes must emit. */
    NsTcpRepr lin = *t;
    ns_tcp_opts_layout(&lin, NS_TCP_OPTS_LINUX);
    hlen = ns_tcp_header_len(&lin);
    if (hlen != 0 && hlen + plen <= sizeof(out_buf))
        FUZZ_CHECK(ns_tcp_emit(&lin, src, dst, out_buf, hlen + plen) == hlen);
}

static void fuzz_tcp(const uint8_t *d, size_t n, uint32_t src, uint32_t dst)
{
    NsTcpRepr t;
    NsWireResult r = ns_tcp_parse(d, n, src, dst, &t);
    FUZZ_CHECK(valid_result(r));
    if (r == NS_WIRE_OK)
        tcp_text(&t);
    if (n > MAX_COPY || n < NS_TCP_HLEN)
        return;
    /* Repaired: a data offset that fits, then the checksum. */
    memcpy(copy_buf, d, n);
    if ((size_t)(copy_buf[12] >> 4) * 4 > n || copy_buf[12] >> 4 < 5)
        copy_buf[12] = (uint8_t)(0x50 | (copy_buf[12] & 0x0f));
    ns_test_fix_tcp_csum(copy_buf, n, src, dst);
    r = ns_tcp_parse(copy_buf, n, src, dst, &t);
    FUZZ_CHECK(r == NS_WIRE_OK || r == NS_WIRE_MALFORMED);
    if (r != NS_WIRE_OK)
        return;
    FUZZ_CHECK(t.header_len >= NS_TCP_HLEN && t.header_len <= n && t.n_sack <= NS_TCP_MAX_SACK);
    tcp_text(&t);
    tcp_round_trip(copy_buf, n, &t, src, dst);
}

/* ---- text ---- */

static void fuzz_text(const uint8_t *d, size_t n)
{
    char s[64];
    size_t len = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
    memcpy(s, d, len);
    s[len] = '\0';
    uint32_t addr;
    uint8_t plen;
    char text[NS_IPV4_STRLEN + 4];
    if (ns_ipv4_parse_addr(s, &addr)) {
        uint32_t again;
        ns_ipv4_format(addr, text);
        FUZZ_CHECK(strcmp(text, s) == 0 && ns_ipv4_parse_addr(text, &again) && again == addr);
    }
    if (ns_ipv4_parse_cidr(s, &addr, &plen)) {
        FUZZ_CHECK(plen <= 32);
        FUZZ_CHECK(ns_ipv4_in_subnet(addr, addr & ns_ipv4_mask(plen), plen));
    }
}

/* ---- whole frames ---- */

/* Layer by layer, as a host would: Ethernet, then ARP or IPv4 and its
 * transport, each stage on a repaired copy so inner layers get exercised. */
static void fuzz_frame(const uint8_t *d, size_t n)
{
    NsEthRepr e;
    if (ns_eth_parse(d, n, &e) != NS_WIRE_OK)
        return;
    const uint8_t *p = d + NS_ETH_HLEN;
    size_t plen = n - NS_ETH_HLEN;
    if (e.ethertype == NS_ETHERTYPE_ARP) {
        fuzz_arp(p, plen);
        return;
    }
    if (e.ethertype != NS_ETHERTYPE_IPV4)
        return;
    NsIpv4Repr ip;
    static uint8_t dgram[MAX_COPY];
    size_t dlen = repair_ipv4(p, plen);
    if (dlen == 0)
        return;
    memcpy(dgram, copy_buf, dlen);
    if (fuzz_ipv4(dgram, dlen, &ip) != NS_WIRE_OK)
        return;
    const uint8_t *l4 = dgram + ip.header_len;
    size_t l4len = (size_t)ip.total_len - ip.header_len;
    switch (ip.proto) {
    case NS_IPPROTO_ICMP:
        fuzz_icmp(l4, l4len);
        break;
    case NS_IPPROTO_UDP:
        fuzz_udp(l4, l4len, ip.src, ip.dst);
        break;
    case NS_IPPROTO_TCP:
        fuzz_tcp(l4, l4len, ip.src, ip.dst);
        break;
    default:
        break;
    }
}

/* ---- application payloads: DNS, HTTP, SMTP ---- */

/* The application parsers and the trace decoders behind them: any bytes
 * give a result code, never a crash or an overread; the incremental HTTP
 * response reader, fed at once and in small pieces, never claims to have
 * used more than it was given. */
static void fuzz_apps(const uint8_t *d, size_t n)
{
    char text[160];
    NsDnsMessage m;
    FUZZ_CHECK(valid_result(ns_dns_parse(d, n, &m)));
    ns_dns_summary(d, n, text, sizeof text);
    NsHttpRequest req;
    NsHttpResponse resp;
    FUZZ_CHECK(valid_result(ns_http_request_parse(d, n, &req)));
    FUZZ_CHECK(valid_result(ns_http_response_parse(d, n, &resp)));
    ns_http_summary(d, n, text, sizeof text);
    NsSmtpCommand cmd;
    NsSmtpReply rep;
    FUZZ_CHECK(valid_result(ns_smtp_command_parse(d, n, &cmd)));
    FUZZ_CHECK(valid_result(ns_smtp_reply_parse(d, n, &rep)));
    ns_smtp_summary(d, n, text, sizeof text);

    static NsHttpReader whole, pieces;
    ns_http_reader_init(&whole);
    ns_http_reader_init(&pieces);
    size_t used, at = 0;
    ns_http_reader_feed(&whole, d, n, &used);
    FUZZ_CHECK(used <= n);
    size_t step = n % 7 + 1;
    while (at < n) {
        size_t chunk = n - at < step ? n - at : step;
        ns_http_reader_feed(&pieces, d + at, chunk, &used);
        FUZZ_CHECK(used <= chunk);
        if (used == 0)
            break;
        at += used;
    }
    ns_http_reader_clear(&whole);
    ns_http_reader_clear(&pieces);
}

/* ---- IPv6 and ICMPv6 ---- */

static void fuzz_ipv6(const uint8_t *d, size_t n)
{
    NsIpv6Repr h, back;
    NsWireResult r = ns_ipv6_parse(d, n, &h);
    FUZZ_CHECK(valid_result(r));
    if (r == NS_WIRE_OK) {
        FUZZ_CHECK(ns_ipv6_emit(&h, out_buf, sizeof(out_buf)) == NS_IPV6_HLEN);
        FUZZ_CHECK(memcmp(out_buf, d, NS_IPV6_HLEN) == 0);
        FUZZ_CHECK(ns_ipv6_parse(out_buf, NS_IPV6_HLEN, &back) == NS_WIRE_OK ||
                   h.payload_len > 0);
    }
    /* The first 16 bytes as an address: format, then parse the text back. */
    if (n >= 16) {
        NsIpv6Addr a, again;
        memcpy(a.b, d, 16);
        char text[NS_IPV6_STRLEN];
        ns_ipv6_format(&a, text);
        FUZZ_CHECK(ns_ipv6_parse_addr(text, &again) && ns_ipv6_addr_equal(&a, &again));
    }
    /* The input as text, NUL-terminated: parse must not read past it. */
    if (n < 64) {
        char t[64];
        memcpy(t, d, n);
        t[n] = '\0';
        NsIpv6Addr a;
        (void)ns_ipv6_parse_addr(t, &a);
    }
    /* As an ICMPv6 message between two link-local addresses, raw and with
     * its checksum repaired so that the type checks are reached. */
    NsIpv6Addr src, dst;
    ns_ipv6_parse_addr("fe80::1", &src);
    ns_ipv6_parse_addr("fe80::2", &dst);
    NsIcmp6Repr m;
    FUZZ_CHECK(valid_result(ns_icmp6_parse(d, n, &src, &dst, &m)));
    if (n >= NS_ICMP6_HLEN && n <= MAX_COPY) {
        memcpy(copy_buf, d, n);
        copy_buf[2] = copy_buf[3] = 0;
        uint32_t sum = ns_csum_pseudo6(&src, &dst, NS_IPPROTO_ICMPV6, (uint32_t)n);
        ns_write_be16(copy_buf + 2, ns_csum_fold(ns_csum_partial(sum, copy_buf, n)));
        r = ns_icmp6_parse(copy_buf, n, &src, &dst, &m);
        FUZZ_CHECK(valid_result(r) && r != NS_WIRE_BAD_CHECKSUM);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ipv6(data, size);
    NsIpv4Repr ip;
    fuzz_eth(data, size);
    fuzz_arp(data, size);
    fuzz_ipv4(data, size, &ip);
    fuzz_icmp(data, size);
    fuzz_udp(data, size, NS_TEST_CLI, NS_TEST_SRV);
    fuzz_tcp(data, size, NS_TEST_CLI, NS_TEST_SRV);
    fuzz_text(data, size);
    fuzz_frame(data, size);
    fuzz_apps(data, size);
    return 0;
}
