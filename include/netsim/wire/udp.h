/* UDP header (RFC 768) with its checksum over the IPv4 pseudo header
 * (RFC 768 "Fields", RFC 1122 section 4.1.3.4). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/ipv6.h"
#include "netsim/wire/result.h"

#define NS_UDP_HLEN 8

typedef struct {
    uint16_t src_port, dst_port;
    uint16_t length; /* header + payload, bytes */
} NsUdpRepr;

/* Parse the UDP datagram buf[0..len) (the IP payload) sent from `src` to
 * `dst` (host order, for the pseudo header) into `out`. The payload is
 * buf[8..length); bytes past `length` are ignored, as Linux trims them.
 * TRUNCATED when len < 8 or len < length; MALFORMED when length < 8;
 * BAD_CHECKSUM unless the checksum is 0 (none sent) or verifies. */
NsWireResult ns_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                          NsUdpRepr *out);

/* Write the 8-byte header of `repr` at buf[0..8) and its checksum over the
 * pseudo header, the header and the payload, which must already be in place
 * at buf[8..repr->length). A computed 0 is sent as 0xFFFF, since 0 means "no
 * checksum". Returns repr->length, or 0 (nothing written) if len is smaller
 * or length < 8. */
size_t ns_udp_emit(const NsUdpRepr *repr, uint32_t src, uint32_t dst, uint8_t *buf, size_t len);

/* The same over IPv6, with its pseudo header (RFC 8200 section 8.1),
 * where the checksum is mandatory: a zero one is BAD_CHECKSUM. */
NsWireResult ns_udp_parse6(const uint8_t *buf, size_t len, const NsIpv6Addr *src,
                           const NsIpv6Addr *dst, NsUdpRepr *out);
size_t ns_udp_emit6(const NsUdpRepr *repr, const NsIpv6Addr *src, const NsIpv6Addr *dst,
                    uint8_t *buf, size_t len);
