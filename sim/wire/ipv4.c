/* IPv4 header parse/emit (RFC 791 section 3.1, checksum per RFC 1071) and
 * address text: dotted quad and CIDR prefixes (RFC 4632 section 3.1). */
#include "netsim/wire/ipv4.h"

#include <glib.h>
#include <stdio.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"

#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_MASK 0x1fff

/* Shared by both parsers; `whole` asks for total_len bytes to be present. */
static NsWireResult parse(const uint8_t *buf, size_t len, bool whole, NsIpv4Repr *out)
{
    if (buf == NULL || len < NS_IPV4_HLEN)
        return NS_WIRE_TRUNCATED;
    if (buf[0] >> 4 != 4)
        return NS_WIRE_MALFORMED;
    size_t hlen = (size_t)(buf[0] & 0x0f) * 4;
    if (hlen < NS_IPV4_HLEN)
        return NS_WIRE_MALFORMED;
    if (len < hlen)
        return NS_WIRE_TRUNCATED;
    uint16_t total = ns_read_be16(buf + 2);
    if (total < hlen)
        return NS_WIRE_MALFORMED;
    if (whole && len < total)
        return NS_WIRE_TRUNCATED;
    /* The sum over a header that includes its checksum is all ones. */
    if (ns_inet_checksum(buf, hlen) != 0)
        return NS_WIRE_BAD_CHECKSUM;

    uint16_t frag = ns_read_be16(buf + 6);
    out->tos = buf[1];
    out->total_len = total;
    out->id = ns_read_be16(buf + 4);
    out->df = (frag & IPV4_FLAG_DF) != 0;
    out->mf = (frag & IPV4_FLAG_MF) != 0;
    out->frag_offset = (uint16_t)((frag & IPV4_FRAG_MASK) << 3);
    out->ttl = buf[8];
    out->proto = buf[9];
    out->src = ns_read_be32(buf + 12);
    out->dst = ns_read_be32(buf + 16);
    out->header_len = (uint8_t)hlen;
    return NS_WIRE_OK;
}

NsWireResult ns_ipv4_parse(const uint8_t *buf, size_t len, NsIpv4Repr *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    return parse(buf, len, true, out);
}

NsWireResult ns_ipv4_parse_header(const uint8_t *buf, size_t len, NsIpv4Repr *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    return parse(buf, len, false, out);
}

size_t ns_ipv4_emit(const NsIpv4Repr *repr, uint8_t *buf, size_t len)
{
    g_return_val_if_fail(repr != NULL, 0);
    if (buf == NULL || len < NS_IPV4_HLEN || repr->total_len < NS_IPV4_HLEN ||
        (repr->frag_offset & 7) != 0)
        return 0;
    uint16_t frag = (uint16_t)(repr->frag_offset >> 3);
    if (repr->df)
        frag |= IPV4_FLAG_DF;
    if (repr->mf)
        frag |= IPV4_FLAG_MF;
    uint16_t ver_tos = (uint16_t)(0x4500 | repr->tos); /* version 4, IHL 5: no options */
    uint16_t ttl_proto = (uint16_t)(repr->ttl << 8 | repr->proto);
    /* The header checksum from the fields' values, not read back from the
     * buffer: the one's complement sum of the header's ten 16-bit words,
     * the checksum field counting as 0 (RFC 791 section 3.1). */
    uint32_t sum = (uint32_t)ver_tos + repr->total_len + repr->id + frag + ttl_proto +
                   (repr->src >> 16) + (repr->src & 0xffff) + (repr->dst >> 16) +
                   (repr->dst & 0xffff);
    ns_write_be16(buf, ver_tos);
    ns_write_be16(buf + 2, repr->total_len);
    ns_write_be16(buf + 4, repr->id);
    ns_write_be16(buf + 6, frag);
    ns_write_be16(buf + 8, ttl_proto);
    ns_write_be16(buf + 10, ns_csum_fold(sum));
    ns_write_be32(buf + 12, repr->src);
    ns_write_be32(buf + 16, repr->dst);
    return NS_IPV4_HLEN;
}

void ns_ipv4_format(uint32_t addr, char out[NS_IPV4_STRLEN])
{
    /* As "%u.%u.%u.%u", without printf: traces and tables write many. */
    size_t k = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned v = (addr >> shift) & 0xffu;
        if (v >= 100)
            out[k++] = (char)('0' + v / 100);
        if (v >= 10)
            out[k++] = (char)('0' + v / 10 % 10);
        out[k++] = (char)('0' + v % 10);
        out[k++] = '.';
    }
    out[k - 1] = '\0';
}

/* Read a decimal in [0, max] at *s with 1..3 digits and no leading zero,
 * advancing *s past it. strtoul() would accept signs, spaces and overflow. */
static bool parse_dec(const char **s, unsigned max, unsigned *out)
{
    const char *p = *s;
    unsigned v = 0;
    int n = 0;
    while (*p >= '0' && *p <= '9' && n < 4) {
        v = v * 10 + (unsigned)(*p - '0');
        p++;
        n++;
    }
    if (n == 0 || n > 3 || v > max || (n > 1 && **s == '0'))
        return false;
    *s = p;
    *out = v;
    return true;
}

/* Parse the dotted quad at the start of *s, advancing *s past it. */
static bool parse_quad(const char **s, uint32_t *out)
{
    uint32_t addr = 0;
    for (int i = 0; i < 4; i++) {
        unsigned part;
        if (i > 0) {
            if (**s != '.')
                return false;
            (*s)++;
        }
        if (!parse_dec(s, 255, &part))
            return false;
        addr = addr << 8 | part;
    }
    *out = addr;
    return true;
}

bool ns_ipv4_parse_addr(const char *s, uint32_t *out)
{
    g_return_val_if_fail(s != NULL && out != NULL, false);
    uint32_t addr;
    if (!parse_quad(&s, &addr) || *s != '\0')
        return false;
    *out = addr;
    return true;
}

bool ns_ipv4_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix_len)
{
    g_return_val_if_fail(s != NULL && addr != NULL && prefix_len != NULL, false);
    uint32_t a;
    unsigned plen;
    if (!parse_quad(&s, &a) || *s != '/')
        return false;
    s++;
    if (!parse_dec(&s, 32, &plen) || *s != '\0')
        return false;
    *addr = a;
    *prefix_len = (uint8_t)plen;
    return true;
}

uint32_t ns_ipv4_mask(uint8_t prefix_len)
{
    g_return_val_if_fail(prefix_len <= 32, 0xffffffffu);
    /* A shift by 32 is undefined in C, so /0 is its own case. */
    return prefix_len == 0 ? 0 : 0xffffffffu << (32 - prefix_len);
}

bool ns_ipv4_in_subnet(uint32_t addr, uint32_t net, uint8_t prefix_len)
{
    uint32_t mask = ns_ipv4_mask(prefix_len);
    return (addr & mask) == (net & mask);
}
