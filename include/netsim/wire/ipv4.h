/* IPv4 header (RFC 791 section 3.1), its header checksum (RFC 1071), and
 * address text helpers (dotted quad, CIDR prefixes per RFC 4632).
 *
 * Addresses are uint32_t in host order: 10.0.0.1 is 0x0a000001. Options
 * are accepted and skipped on input; netsim itself never sends any. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/result.h"

#define NS_IPV4_HLEN 20     /* header without options */
#define NS_IPV4_MAX_HLEN 60 /* IHL is 4 bits of 32-bit words */

#define NS_IPPROTO_ICMP 1
#define NS_IPPROTO_TCP 6
#define NS_IPPROTO_UDP 17

/* Length of the text ns_ipv4_format() writes, NUL included. */
#define NS_IPV4_STRLEN 16

typedef struct {
    uint8_t tos;        /* DSCP and ECN bits as one byte */
    uint16_t total_len; /* header + payload, bytes */
    uint16_t id;
    bool df, mf;
    uint16_t frag_offset; /* in bytes (the wire field times 8) */
    uint8_t ttl;
    uint8_t proto;
    uint32_t src, dst;
    uint8_t header_len; /* bytes, 20..60; set by parse, ignored by emit */
} NsIpv4Repr;

/* Parse the IPv4 header at buf[0..len) into `out`. The payload is
 * buf[header_len..total_len): bytes beyond total_len (Ethernet padding) are
 * ignored. TRUNCATED when len is below 20, the IHL, or total_len;
 * MALFORMED for a version other than 4, IHL < 5, or total_len < IHL;
 * BAD_CHECKSUM if the header checksum does not verify. The reserved flag
 * bit and the options' contents are not checked (Linux does not either). */
NsWireResult ns_ipv4_parse(const uint8_t *buf, size_t len, NsIpv4Repr *out);

/* As ns_ipv4_parse(), but only the header must lie within buf[0..len):
 * total_len may run past `len` (still MALFORMED if below the IHL). For a
 * header quoted in an ICMP error, which carries only the datagram's start. */
NsWireResult ns_ipv4_parse_header(const uint8_t *buf, size_t len, NsIpv4Repr *out);

/* Write a 20-byte header (no options) for `repr` at buf[0..20), header
 * checksum included; repr->header_len is ignored. Returns NS_IPV4_HLEN, or 0
 * (nothing written) if len < 20, total_len < 20, or frag_offset is not a
 * multiple of 8 below 65536. */
size_t ns_ipv4_emit(const NsIpv4Repr *repr, uint8_t *buf, size_t len);

/* Write `addr` as a dotted quad ("10.0.0.1") into out[0..16), NUL ended. */
void ns_ipv4_format(uint32_t addr, char out[NS_IPV4_STRLEN]);

/* Parse a strict dotted quad: exactly four decimal parts 0..255 separated by
 * dots, no sign, no spaces, no leading zero ("010" is rejected because
 * inet_aton() would read it as octal). On success stores the host-order
 * address in `*out` and returns true; leaves `*out` alone otherwise. */
bool ns_ipv4_parse_addr(const char *s, uint32_t *out);

/* Parse "A.B.C.D/N" (N decimal 0..32, no leading zero) into `*addr` and
 * `*prefix_len`. The address is kept as written, host bits included, so
 * "10.0.0.1/24" can configure an interface; mask it with ns_ipv4_mask() for
 * the network. Returns false and stores nothing if `s` is not that form. */
bool ns_ipv4_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix_len);

/* Netmask of a prefix length, host order: 24 gives 0xffffff00, 0 gives 0.
 * prefix_len must be <= 32. */
uint32_t ns_ipv4_mask(uint8_t prefix_len);

/* True if `addr` lies in net/prefix_len (host bits of `net` are ignored). */
bool ns_ipv4_in_subnet(uint32_t addr, uint32_t net, uint8_t prefix_len);
