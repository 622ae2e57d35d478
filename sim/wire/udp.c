/* UDP header parse/emit (RFC 768) with the pseudo-header checksum; a zero
 * checksum field means none was computed (RFC 768, RFC 1122 4.1.3.4), which
 * IPv6 does not allow (RFC 8200 section 8.1). */
#include "netsim/wire/udp.h"

#include <glib.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"

/* The pseudo header's sum: IPv4's, or IPv6's when src6 is given. */
static uint32_t pseudo(uint32_t src, uint32_t dst, const NsIpv6Addr *src6,
                       const NsIpv6Addr *dst6, uint16_t length)
{
    return src6 ? ns_csum_pseudo6(src6, dst6, NS_IPPROTO_UDP, length)
                : ns_csum_pseudo(src, dst, NS_IPPROTO_UDP, length);
}

static NsWireResult parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                          const NsIpv6Addr *src6, const NsIpv6Addr *dst6, NsUdpRepr *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    if (buf == NULL || len < NS_UDP_HLEN)
        return NS_WIRE_TRUNCATED;
    uint16_t length = ns_read_be16(buf + 4);
    if (length < NS_UDP_HLEN)
        return NS_WIRE_MALFORMED;
    if (len < length)
        return NS_WIRE_TRUNCATED;
    if (ns_read_be16(buf + 6) != 0) {
        uint32_t sum = pseudo(src, dst, src6, dst6, length);
        if (ns_csum_fold(ns_csum_partial(sum, buf, length)) != 0)
            return NS_WIRE_BAD_CHECKSUM;
    } else if (src6) {
        return NS_WIRE_BAD_CHECKSUM; /* IPv6 requires one */
    }
    out->src_port = ns_read_be16(buf);
    out->dst_port = ns_read_be16(buf + 2);
    out->length = length;
    return NS_WIRE_OK;
}

NsWireResult ns_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                          NsUdpRepr *out)
{
    return parse(buf, len, src, dst, NULL, NULL, out);
}

NsWireResult ns_udp_parse6(const uint8_t *buf, size_t len, const NsIpv6Addr *src,
                           const NsIpv6Addr *dst, NsUdpRepr *out)
{
    return parse(buf, len, 0, 0, src, dst, out);
}

static size_t emit(const NsUdpRepr *repr, uint32_t src, uint32_t dst, const NsIpv6Addr *src6,
                   const NsIpv6Addr *dst6, uint8_t *buf, size_t len)
{
    g_return_val_if_fail(repr != NULL, 0);
    if (buf == NULL || repr->length < NS_UDP_HLEN || len < repr->length)
        return 0;
    ns_write_be16(buf, repr->src_port);
    ns_write_be16(buf + 2, repr->dst_port);
    ns_write_be16(buf + 4, repr->length);
    ns_write_be16(buf + 6, 0);
    uint32_t sum = pseudo(src, dst, src6, dst6, repr->length);
    uint16_t csum = ns_csum_fold(ns_csum_partial(sum, buf, repr->length));
    /* 0 on the wire would mean "no checksum"; 0xFFFF is the same value in
     * one's complement. */
    ns_write_be16(buf + 6, csum == 0 ? 0xffff : csum);
    return repr->length;
}

size_t ns_udp_emit(const NsUdpRepr *repr, uint32_t src, uint32_t dst, uint8_t *buf, size_t len)
{
    return emit(repr, src, dst, NULL, NULL, buf, len);
}

size_t ns_udp_emit6(const NsUdpRepr *repr, const NsIpv6Addr *src, const NsIpv6Addr *dst,
                    uint8_t *buf, size_t len)
{
    return emit(repr, 0, 0, src, dst, buf, len);
}
