/* ICMPv4 (RFC 792): echo request/reply, destination unreachable (with the
 * next-hop MTU of "fragmentation needed", RFC 1191 section 4) and time
 * exceeded, plus the quoted datagram inside error messages (RFC 1122
 * section 3.2.2) and how much of it Linux quotes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/ipv4.h"
#include "netsim/wire/result.h"

#define NS_ICMP_HLEN 8

/* Linux (icmp_send()) keeps an error datagram within 576 bytes, the
 * minimum every host must accept (RFC 1122 section 3.3.2). */
#define NS_ICMP_ERROR_MAX_LEN 576
/* An error quotes at least the IP header and 8 bytes after it (RFC 792). */
#define NS_ICMP_QUOTE_MIN_DATA 8

typedef enum {
    NS_ICMP_ECHO_REPLY = 0,
    NS_ICMP_DEST_UNREACH = 3,
    NS_ICMP_ECHO_REQUEST = 8,
    NS_ICMP_TIME_EXCEEDED = 11,
} NsIcmpType;

/* Codes of NS_ICMP_DEST_UNREACH (RFC 792, RFC 1812 section 5.2.7.1 for
 * 6..15, which parse accepts; netsim sends 13 only, for a filter rule's
 * `reject with admin-prohibited`). */
typedef enum {
    NS_ICMP_UNREACH_NET = 0,
    NS_ICMP_UNREACH_HOST = 1,
    NS_ICMP_UNREACH_PROTOCOL = 2,
    NS_ICMP_UNREACH_PORT = 3,
    NS_ICMP_UNREACH_FRAG_NEEDED = 4,
    NS_ICMP_UNREACH_SRC_ROUTE_FAILED = 5,
    NS_ICMP_UNREACH_ADMIN_PROHIBITED = 13, /* communication administratively prohibited */
} NsIcmpUnreachCode;

/* Codes of NS_ICMP_TIME_EXCEEDED. */
typedef enum {
    NS_ICMP_EXC_TTL = 0,
    NS_ICMP_EXC_FRAGTIME = 1,
} NsIcmpExcCode;

typedef struct {
    NsIcmpType type;
    uint8_t code;
    uint16_t id, seq; /* echo request/reply only, else 0 */
    uint16_t mtu;     /* next-hop MTU of unreachable/frag-needed, else 0 */
} NsIcmpRepr;

/* Parse the ICMP message buf[0..len) (the whole IP payload: the checksum
 * covers all of it) into `out`; the data is buf[8..len): the echo payload or
 * the quoted datagram. TRUNCATED below 8 bytes; BAD_CHECKSUM; UNSUPPORTED
 * for other types (out->type and out->code are still set) or codes;
 * MALFORMED for an echo with a code other than 0, or an error quoting less
 * than a 20-byte header plus 8 bytes. */
NsWireResult ns_icmp_parse(const uint8_t *buf, size_t len, NsIcmpRepr *out);

/* Write the 8-byte header of `repr` at buf[0..8), copy `payload`
 * (payload_len bytes; it may already sit at buf + 8 or overlap it) after it
 * and compute the checksum over the whole message. Returns
 * 8 + payload_len, or 0 (nothing written) if `len` is smaller, the total
 * exceeds 65535, or the message is one ns_icmp_parse() would reject (a
 * type or code it does not know, an error quoting fewer than 28 bytes). */
size_t ns_icmp_emit(const NsIcmpRepr *repr, const uint8_t *payload, size_t payload_len,
                    uint8_t *buf, size_t len);

/* How many bytes of an offending datagram of `orig_len` bytes an ICMP error
 * should quote, as Linux: all of it, up to what keeps the error within
 * min(mtu, 576) bytes with a 20-byte IP header and the 8-byte ICMP header.
 * 0 if even that does not fit. */
size_t ns_icmp_error_quote_len(size_t orig_len, size_t mtu);

/* Parse the datagram quoted in an ICMP error (the data after the 8-byte
 * header) into `ip` and `*l4_offset`, the offset of the transport header
 * within `quote`. Unlike ns_ipv4_parse(), total_len may exceed `len` (the
 * quote is cut short), but the header checksum must verify and at least 8
 * transport bytes (ports, and TCP's sequence number) must be present:
 * TRUNCATED otherwise. */
NsWireResult ns_icmp_quote_parse(const uint8_t *quote, size_t len, NsIpv4Repr *ip,
                                 size_t *l4_offset);
