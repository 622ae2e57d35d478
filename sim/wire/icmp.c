/* ICMPv4 messages (RFC 792): echo, destination unreachable (next-hop MTU
 * per RFC 1191 section 4), time exceeded; quoting per RFC 1122 section
 * 3.2.2 and Linux icmp_send(). */
#include "netsim/wire/icmp.h"

#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"

/* Destination unreachable codes run to 15 since RFC 1812 section 5.2.7.1. */
#define UNREACH_CODE_MAX 15
/* An error quotes the IP header and at least 64 bits of its data. */
#define ERROR_QUOTE_MIN (NS_IPV4_HLEN + NS_ICMP_QUOTE_MIN_DATA)

/* Whether `type`/`code` is a message netsim models; sets *is_error for the
 * ones that quote a datagram. */
static NsWireResult check_type(uint8_t type, uint8_t code, bool *is_error)
{
    switch (type) {
    case NS_ICMP_ECHO_REPLY:
    case NS_ICMP_ECHO_REQUEST:
        *is_error = false;
        /* RFC 792 gives echo only code 0. */
        return code == 0 ? NS_WIRE_OK : NS_WIRE_MALFORMED;
    case NS_ICMP_DEST_UNREACH:
        *is_error = true;
        return code <= UNREACH_CODE_MAX ? NS_WIRE_OK : NS_WIRE_UNSUPPORTED;
    case NS_ICMP_TIME_EXCEEDED:
        *is_error = true;
        return code <= NS_ICMP_EXC_FRAGTIME ? NS_WIRE_OK : NS_WIRE_UNSUPPORTED;
    default:
        *is_error = false;
        return NS_WIRE_UNSUPPORTED;
    }
}

NsWireResult ns_icmp_parse(const uint8_t *buf, size_t len, NsIcmpRepr *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    if (buf == NULL || len < NS_ICMP_HLEN)
        return NS_WIRE_TRUNCATED;
    if (ns_inet_checksum(buf, len) != 0)
        return NS_WIRE_BAD_CHECKSUM;

    out->type = (NsIcmpType)buf[0];
    out->code = buf[1];
    out->id = 0;
    out->seq = 0;
    out->mtu = 0;
    bool is_error;
    NsWireResult r = check_type(buf[0], buf[1], &is_error);
    if (r != NS_WIRE_OK)
        return r;
    if (is_error) {
        if (len < NS_ICMP_HLEN + ERROR_QUOTE_MIN)
            return NS_WIRE_MALFORMED;
        /* Bytes 4-5 are unused; 6-7 carry the MTU only for frag-needed. */
        if (out->type == NS_ICMP_DEST_UNREACH && out->code == NS_ICMP_UNREACH_FRAG_NEEDED)
            out->mtu = ns_read_be16(buf + 6);
    } else {
        out->id = ns_read_be16(buf + 4);
        out->seq = ns_read_be16(buf + 6);
    }
    return NS_WIRE_OK;
}

size_t ns_icmp_emit(const NsIcmpRepr *repr, const uint8_t *payload, size_t payload_len,
                    uint8_t *buf, size_t len)
{
    g_return_val_if_fail(repr != NULL, 0);
    g_return_val_if_fail(payload != NULL || payload_len == 0, 0);
    if ((unsigned)repr->type > 0xff)
        return 0;
    bool is_error;
    if (check_type((uint8_t)repr->type, repr->code, &is_error) != NS_WIRE_OK)
        return 0;
    if (is_error && payload_len < ERROR_QUOTE_MIN)
        return 0;
    size_t total = NS_ICMP_HLEN + payload_len;
    if (buf == NULL || payload_len > UINT16_MAX - NS_ICMP_HLEN || len < total)
        return 0;

    /* Payload first: it may already sit at (or overlap) buf + 8. */
    if (payload_len > 0)
        memmove(buf + NS_ICMP_HLEN, payload, payload_len);
    buf[0] = (uint8_t)repr->type;
    buf[1] = repr->code;
    ns_write_be16(buf + 2, 0);
    if (is_error) {
        ns_write_be16(buf + 4, 0);
        ns_write_be16(buf + 6, repr->code == NS_ICMP_UNREACH_FRAG_NEEDED &&
                                       repr->type == NS_ICMP_DEST_UNREACH
                                   ? repr->mtu
                                   : 0);
    } else {
        ns_write_be16(buf + 4, repr->id);
        ns_write_be16(buf + 6, repr->seq);
    }
    ns_write_be16(buf + 2, ns_inet_checksum(buf, total));
    return total;
}

size_t ns_icmp_error_quote_len(size_t orig_len, size_t mtu)
{
    size_t room = mtu < NS_ICMP_ERROR_MAX_LEN ? mtu : NS_ICMP_ERROR_MAX_LEN;
    if (room < NS_IPV4_HLEN + NS_ICMP_HLEN)
        return 0;
    room -= NS_IPV4_HLEN + NS_ICMP_HLEN;
    return orig_len < room ? orig_len : room;
}

NsWireResult ns_icmp_quote_parse(const uint8_t *quote, size_t len, NsIpv4Repr *ip,
                                 size_t *l4_offset)
{
    g_return_val_if_fail(ip != NULL && l4_offset != NULL, NS_WIRE_MALFORMED);
    NsIpv4Repr hdr;
    NsWireResult r = ns_ipv4_parse_header(quote, len, &hdr);
    if (r != NS_WIRE_OK)
        return r;
    /* The ports (and TCP's sequence number) identify the sender's socket. */
    if (len < (size_t)hdr.header_len + NS_ICMP_QUOTE_MIN_DATA)
        return NS_WIRE_TRUNCATED;
    if (hdr.total_len < hdr.header_len + NS_ICMP_QUOTE_MIN_DATA)
        return NS_WIRE_MALFORMED;
    *ip = hdr;
    *l4_offset = hdr.header_len;
    return NS_WIRE_OK;
}
