/* IPv6 (RFC 8200): the fixed header, addresses as text (RFC 4291 2.2 in,
 * RFC 5952 out), the upper-layer pseudo-header (RFC 8200 8.1), modified
 * EUI-64 (RFC 4291 appendix A), solicited-node multicast (RFC 4291 2.7.1,
 * RFC 2464 7); ICMPv6 (RFC 4443) echo and errors, and Neighbor Discovery
 * solicitations and advertisements (RFC 4861 4.3, 4.4, 4.6.1). */
#include "netsim/wire/ipv6.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"

/* ---- addresses ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A dotted IPv4 address at s (to the end): its 4 bytes. */
static bool parse_dotted(const char *s, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned v = 0;
        int digits = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
            if (digits == 3 || (digits == 1 && v == 0)) /* at most 3, no leading zero */
                return false;
            v = v * 10 + (unsigned)(*s - '0');
        }
        if (v > 255)
            return false;
        out[i] = (uint8_t)v;
        if (i < 3 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}

bool ns_ipv6_parse_addr(const char *text, NsIpv6Addr *out)
{
    uint16_t groups[8];
    int n = 0, gap = -1; /* groups written; where "::" stands, in groups */
    const char *s = text;
    if (s[0] == ':') {
        if (s[1] != ':')
            return false;
        gap = 0;
        s += 2;
        if (*s == '\0')
            goto done;
    }
    for (;;) {
        /* A dotted IPv4 tail takes the last two groups. */
        const char *end = s + strcspn(s, ":");
        if (*end == '\0' && memchr(s, '.', (size_t)(end - s))) {
            uint8_t v4[4];
            if (n > 6 || !parse_dotted(s, v4))
                return false;
            groups[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
            groups[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
            break;
        }
        int digits = 0;
        unsigned v = 0;
        for (; hexval(*s) >= 0; s++, digits++) {
            if (digits == 4)
                return false;
            v = v << 4 | (unsigned)hexval(*s);
        }
        if (digits == 0 || n == 8)
            return false;
        groups[n++] = (uint16_t)v;
        if (*s == '\0')
            break;
        if (*s != ':')
            return false;
        s++;
        if (*s == ':') {
            if (gap >= 0)
                return false; /* one "::" only */
            gap = n;
            s++;
            if (*s == '\0')
                break;
        }
    }
done:
    if (gap < 0 ? n != 8 : n > 7)
        return false;
    memset(out, 0, sizeof *out);
    int tail = gap < 0 ? 0 : n - gap; /* groups after the gap */
    for (int i = 0; i < n - tail; i++)
        ns_write_be16(out->b + 2 * i, groups[i]);
    for (int i = 0; i < tail; i++)
        ns_write_be16(out->b + 16 - 2 * (tail - i), groups[n - tail + i]);
    return true;
}

char *ns_ipv6_format(const NsIpv6Addr *a, char out[NS_IPV6_STRLEN])
{
    uint16_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = ns_read_be16(a->b + 2 * i);
    /* IPv4-mapped (RFC 5952 section 5). */
    if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff) {
        snprintf(out, NS_IPV6_STRLEN, "::ffff:%u.%u.%u.%u", a->b[12], a->b[13], a->b[14],
                 a->b[15]);
        return out;
    }
    /* The longest run of at least two zero groups, the first of equals
     * (RFC 5952 section 4.2). */
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        if (g[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !g[j])
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    char *p = out;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            if (i == 0)
                *p++ = ':';
            i += best_len - 1;
            continue;
        }
        p += sprintf(p, "%x", g[i]);
        if (i < 7)
            *p++ = ':';
    }
    *p = '\0';
    return out;
}

bool ns_ipv6_addr_equal(const NsIpv6Addr *a, const NsIpv6Addr *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

bool ns_ipv6_in_prefix(const NsIpv6Addr *a, const NsIpv6Addr *net, uint8_t prefix_len)
{
    g_return_val_if_fail(prefix_len <= 128, false);
    size_t whole = prefix_len / 8u;
    if (memcmp(a->b, net->b, whole) != 0)
        return false;
    unsigned rest = prefix_len % 8u;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a->b[whole] & mask) == (net->b[whole] & mask);
}

bool ns_ipv6_is_multicast(const NsIpv6Addr *a)
{
    return a->b[0] == 0xff;
}

bool ns_ipv6_is_link_local(const NsIpv6Addr *a)
{
    return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

bool ns_ipv6_is_unspecified(const NsIpv6Addr *a)
{
    static const NsIpv6Addr zero;
    return ns_ipv6_addr_equal(a, &zero);
}

bool ns_ipv6_v4_mapped(const NsIpv6Addr *a, uint32_t *v4)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a->b, prefix, sizeof prefix) != 0)
        return false;
    *v4 = ns_read_be32(a->b + 12);
    return true;
}

NsIpv6Addr ns_ipv6_map_v4(uint32_t v4)
{
    NsIpv6Addr a;
    memset(&a, 0, sizeof a);
    a.b[10] = a.b[11] = 0xff;
    ns_write_be32(a.b + 12, v4);
    return a;
}

void ns_ipv6_link_local_from_mac(const uint8_t mac[6], NsIpv6Addr *out)
{
    memset(out, 0, sizeof *out);
    out->b[0] = 0xfe;
    out->b[1] = 0x80;
    out->b[8] = mac[0] ^ 0x02; /* the universal/local bit, inverted */
    out->b[9] = mac[1];
    out->b[10] = mac[2];
    out->b[11] = 0xff;
    out->b[12] = 0xfe;
    out->b[13] = mac[3];
    out->b[14] = mac[4];
    out->b[15] = mac[5];
}

void ns_ipv6_solicited_node(const NsIpv6Addr *a, NsIpv6Addr *out)
{
    memset(out, 0, sizeof *out);
    out->b[0] = 0xff;
    out->b[1] = 0x02;
    out->b[11] = 0x01;
    out->b[12] = 0xff;
    memcpy(out->b + 13, a->b + 13, 3);
}

void ns_ipv6_multicast_mac(const NsIpv6Addr *a, uint8_t mac[6])
{
    mac[0] = mac[1] = 0x33;
    memcpy(mac + 2, a->b + 12, 4);
}

/* ---- header ---- */

NsWireResult ns_ipv6_parse(const uint8_t *buf, size_t len, NsIpv6Repr *out)
{
    if (len < NS_IPV6_HLEN)
        return NS_WIRE_TRUNCATED;
    if (buf[0] >> 4 != 6)
        return NS_WIRE_MALFORMED;
    uint32_t w = ns_read_be32(buf);
    out->traffic_class = (uint8_t)(w >> 20);
    out->flow_label = w & 0xfffff;
    out->payload_len = ns_read_be16(buf + 4);
    out->next_header = buf[6];
    out->hop_limit = buf[7];
    memcpy(out->src.b, buf + 8, 16);
    memcpy(out->dst.b, buf + 24, 16);
    if (len < (size_t)NS_IPV6_HLEN + out->payload_len)
        return NS_WIRE_TRUNCATED;
    return NS_WIRE_OK;
}

size_t ns_ipv6_emit(const NsIpv6Repr *repr, uint8_t *buf, size_t len)
{
    if (len < NS_IPV6_HLEN || repr->flow_label > 0xfffff)
        return 0;
    ns_write_be32(buf, UINT32_C(6) << 28 | (uint32_t)repr->traffic_class << 20 |
                           repr->flow_label);
    ns_write_be16(buf + 4, repr->payload_len);
    buf[6] = repr->next_header;
    buf[7] = repr->hop_limit;
    memcpy(buf + 8, repr->src.b, 16);
    memcpy(buf + 24, repr->dst.b, 16);
    return NS_IPV6_HLEN;
}

NsWireResult ns_ipv6_frag_parse(const uint8_t *buf, size_t len, NsIpv6FragRepr *out)
{
    if (len < NS_IPV6_FRAG_HLEN)
        return NS_WIRE_TRUNCATED;
    uint16_t w = ns_read_be16(buf + 2);
    out->next_header = buf[0];
    out->offset = (uint16_t)(w & 0xfff8);
    out->m = (w & 1) != 0;
    out->id = ns_read_be32(buf + 4);
    return NS_WIRE_OK;
}

size_t ns_ipv6_frag_emit(const NsIpv6FragRepr *repr, uint8_t *buf, size_t len)
{
    if (len < NS_IPV6_FRAG_HLEN || (repr->offset & 7) != 0)
        return 0;
    buf[0] = repr->next_header;
    buf[1] = 0;
    ns_write_be16(buf + 2, (uint16_t)(repr->offset | (repr->m ? 1 : 0)));
    ns_write_be32(buf + 4, repr->id);
    return NS_IPV6_FRAG_HLEN;
}

uint32_t ns_csum_pseudo6(const NsIpv6Addr *src, const NsIpv6Addr *dst, uint8_t next_header,
                         uint32_t len)
{
    uint8_t tail[8];
    ns_write_be32(tail, len);
    tail[4] = tail[5] = tail[6] = 0;
    tail[7] = next_header;
    uint32_t sum = ns_csum_partial(0, src->b, 16);
    sum = ns_csum_partial(sum, dst->b, 16);
    return ns_csum_partial(sum, tail, sizeof tail);
}

void ns_ipv6_l4_checksum(uint8_t *l4, size_t len, size_t csum_at, const NsIpv6Addr *src,
                         const NsIpv6Addr *dst, uint8_t next_header)
{
    if (csum_at + 2 > len)
        return;
    l4[csum_at] = l4[csum_at + 1] = 0;
    uint32_t sum = ns_csum_pseudo6(src, dst, next_header, (uint32_t)len);
    uint16_t c = ns_csum_fold(ns_csum_partial(sum, l4, len));
    if (c == 0 && next_header == 17)
        c = 0xffff; /* UDP: 0 would mean "no checksum", which IPv6 forbids */
    ns_write_be16(l4 + csum_at, c);
}

/* ---- ICMPv6 ---- */

static void put_checksum(uint8_t *buf, size_t n, const NsIpv6Addr *src, const NsIpv6Addr *dst)
{
    buf[2] = buf[3] = 0;
    uint32_t sum = ns_csum_pseudo6(src, dst, NS_IPPROTO_ICMPV6, (uint32_t)n);
    sum = ns_csum_partial(sum, buf, n);
    ns_write_be16(buf + 2, ns_csum_fold(sum));
}

size_t ns_icmp6_emit(const NsIcmp6Repr *repr, const NsIpv6Addr *src, const NsIpv6Addr *dst,
                     const uint8_t *payload, size_t payload_len, uint8_t *buf, size_t len)
{
    size_t n;
    switch (repr->type) {
    case NS_ICMP6_ECHO_REQUEST:
    case NS_ICMP6_ECHO_REPLY:
    case NS_ICMP6_DEST_UNREACH:
    case NS_ICMP6_PACKET_TOO_BIG:
    case NS_ICMP6_TIME_EXCEEDED:
    case NS_ICMP6_PARAM_PROBLEM:
        n = NS_ICMP6_HLEN + payload_len;
        if (len < n || n > 65535)
            return 0;
        memmove(buf + NS_ICMP6_HLEN, payload, payload_len);
        if (repr->type == NS_ICMP6_ECHO_REQUEST || repr->type == NS_ICMP6_ECHO_REPLY) {
            ns_write_be16(buf + 4, repr->id);
            ns_write_be16(buf + 6, repr->seq);
        } else {
            ns_write_be32(buf + 4, repr->type == NS_ICMP6_PACKET_TOO_BIG ? repr->mtu : 0);
        }
        break;
    case NS_ICMP6_NEIGHBOR_SOLICIT:
    case NS_ICMP6_NEIGHBOR_ADVERT:
        n = NS_ND_NS_LEN + (repr->has_lladdr ? 8u : 0u);
        if (len < n)
            return 0;
        ns_write_be32(buf + 4, repr->type == NS_ICMP6_NEIGHBOR_ADVERT
                                   ? (uint32_t)repr->router << 31 |
                                         (uint32_t)repr->solicited << 30 |
                                         (uint32_t)repr->override << 29
                                   : 0);
        memcpy(buf + 8, repr->target.b, 16);
        if (repr->has_lladdr) {
            buf[24] = repr->type == NS_ICMP6_NEIGHBOR_SOLICIT ? NS_ND_OPT_SOURCE_LLADDR
                                                              : NS_ND_OPT_TARGET_LLADDR;
            buf[25] = 1; /* in units of 8 bytes */
            memcpy(buf + 26, repr->lladdr, 6);
        }
        break;
    case NS_ICMP6_ROUTER_SOLICIT:
    case NS_ICMP6_ROUTER_ADVERT:
    default:
        return 0;
    }
    buf[0] = (uint8_t)repr->type;
    buf[1] = repr->code;
    put_checksum(buf, n, src, dst);
    return n;
}

NsWireResult ns_icmp6_parse(const uint8_t *buf, size_t len, const NsIpv6Addr *src,
                            const NsIpv6Addr *dst, NsIcmp6Repr *out)
{
    memset(out, 0, sizeof *out);
    if (len < NS_ICMP6_HLEN)
        return NS_WIRE_TRUNCATED;
    out->type = (NsIcmp6Type)buf[0];
    out->code = buf[1];
    uint32_t sum = ns_csum_pseudo6(src, dst, NS_IPPROTO_ICMPV6, (uint32_t)len);
    if (ns_csum_fold(ns_csum_partial(sum, buf, len)) != 0)
        return NS_WIRE_BAD_CHECKSUM;
    switch (buf[0]) {
    case NS_ICMP6_ECHO_REQUEST:
    case NS_ICMP6_ECHO_REPLY:
        out->id = ns_read_be16(buf + 4);
        out->seq = ns_read_be16(buf + 6);
        return out->code == 0 ? NS_WIRE_OK : NS_WIRE_MALFORMED;
    case NS_ICMP6_PACKET_TOO_BIG:
        out->mtu = ns_read_be32(buf + 4);
        return NS_WIRE_OK;
    case NS_ICMP6_DEST_UNREACH:
    case NS_ICMP6_TIME_EXCEEDED:
    case NS_ICMP6_PARAM_PROBLEM:
        return NS_WIRE_OK;
    case NS_ICMP6_NEIGHBOR_SOLICIT:
    case NS_ICMP6_NEIGHBOR_ADVERT: {
        if (len < NS_ND_NS_LEN)
            return NS_WIRE_TRUNCATED;
        if (out->code != 0)
            return NS_WIRE_MALFORMED; /* RFC 4861 7.1.1 / 7.1.2 */
        uint32_t flags = ns_read_be32(buf + 4);
        out->router = flags >> 31;
        out->solicited = (flags >> 30) & 1;
        out->override = (flags >> 29) & 1;
        memcpy(out->target.b, buf + 8, 16);
        if (ns_ipv6_is_multicast(&out->target))
            return NS_WIRE_MALFORMED;
        uint8_t want = buf[0] == NS_ICMP6_NEIGHBOR_SOLICIT ? NS_ND_OPT_SOURCE_LLADDR
                                                           : NS_ND_OPT_TARGET_LLADDR;
        for (size_t off = NS_ND_NS_LEN; off < len;) {
            if (len - off < 2)
                return NS_WIRE_TRUNCATED;
            size_t olen = (size_t)buf[off + 1] * 8;
            if (olen == 0)
                return NS_WIRE_MALFORMED; /* RFC 4861 4.6: a length of 0 is invalid */
            if (olen > len - off)
                return NS_WIRE_TRUNCATED;
            if (buf[off] == want && olen == 8) {
                out->has_lladdr = true;
                memcpy(out->lladdr, buf + off + 2, 6);
            }
            off += olen;
        }
        return NS_WIRE_OK;
    }
    default:
        return NS_WIRE_UNSUPPORTED;
    }
}

unsigned ns_ipv6_addr_key_hash(const void *key)
{
    return ns_bytes_hash(key, 16);
}

int ns_ipv6_addr_key_equal(const void *a, const void *b)
{
    return memcmp(a, b, 16) == 0;
}
