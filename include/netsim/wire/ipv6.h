/* IPv6 header (RFC 8200 section 3), addresses as text (RFC 4291 section
 * 2.2 on input, RFC 5952's canonical form on output), the upper-layer
 * pseudo-header checksum (RFC 8200 section 8.1), interface identifiers
 * from a MAC address (modified EUI-64, RFC 4291 appendix A), solicited-node
 * multicast addresses (RFC 4291 section 2.7.1) and their Ethernet
 * addresses (RFC 2464 section 7), and ICMPv6 (RFC 4443) echo and Neighbor
 * Discovery (RFC 4861 sections 4.3 and 4.4) messages.
 *
 * Addresses are 16 bytes in network order. Extension headers are not
 * modelled: parse reports the Next Header field as it is. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/result.h"

#define NS_IPV6_HLEN 40
#define NS_ETHERTYPE_IPV6 0x86dd
#define NS_IPPROTO_ICMPV6 58

/* Length of the longest text ns_ipv6_format() writes, NUL included
 * ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"). */
#define NS_IPV6_STRLEN 46

typedef struct {
    uint8_t b[16];
} NsIpv6Addr;

/* Parse an address written as RFC 4291 section 2.2 allows: eight groups
 * of 1 to 4 hex digits, one "::" for a run of zero groups, a dotted IPv4
 * address as the last 32 bits. No brackets, no prefix, no zone. */
bool ns_ipv6_parse_addr(const char *text, NsIpv6Addr *out);

/* Write `a` in RFC 5952's canonical form into out (NS_IPV6_STRLEN bytes):
 * lower-case hex without leading zeros; the longest run of two or more
 * zero groups (the first of equal runs) as "::"; an IPv4-mapped address
 * (::ffff:0:0/96) with its IPv4 part dotted. Returns out. */
char *ns_ipv6_format(const NsIpv6Addr *a, char out[NS_IPV6_STRLEN]);

bool ns_ipv6_addr_equal(const NsIpv6Addr *a, const NsIpv6Addr *b);
/* Whether the first prefix_len bits of a and b agree (0..128). */
bool ns_ipv6_in_prefix(const NsIpv6Addr *a, const NsIpv6Addr *net, uint8_t prefix_len);
/* GHashTable functions for keys that are NsIpv6Addr (16 bytes, FNV-1a). */
unsigned ns_ipv6_addr_key_hash(const void *key);
int ns_ipv6_addr_key_equal(const void *a, const void *b);

bool ns_ipv6_is_multicast(const NsIpv6Addr *a);  /* ff00::/8 */
bool ns_ipv6_is_link_local(const NsIpv6Addr *a); /* fe80::/10 */
bool ns_ipv6_is_unspecified(const NsIpv6Addr *a); /* :: */
/* An IPv4-mapped address (::ffff:a.b.c.d, RFC 4291 2.5.5.2): true, with the
 * IPv4 address in host byte order in *v4. */
bool ns_ipv6_v4_mapped(const NsIpv6Addr *a, uint32_t *v4);
/* The IPv4-mapped address of v4 (host byte order). */
NsIpv6Addr ns_ipv6_map_v4(uint32_t v4);

/* fe80::/64 with the modified EUI-64 interface identifier of `mac`: the
 * MAC split by ff:fe, its universal/local bit inverted (RFC 4291
 * appendix A). 02:00:00:00:01:01 gives fe80::ff:fe00:101. */
void ns_ipv6_link_local_from_mac(const uint8_t mac[6], NsIpv6Addr *out);
/* ff02::1:ffXX:XXXX: the solicited-node multicast address of `a`. */
void ns_ipv6_solicited_node(const NsIpv6Addr *a, NsIpv6Addr *out);
/* 33:33 and the last 32 bits of the multicast address `a` (RFC 2464 7). */
void ns_ipv6_multicast_mac(const NsIpv6Addr *a, uint8_t mac[6]);

typedef struct {
    uint8_t traffic_class;
    uint32_t flow_label;  /* 20 bits */
    uint16_t payload_len; /* bytes after the 40-byte header */
    uint8_t next_header;
    uint8_t hop_limit;
    NsIpv6Addr src, dst;
} NsIpv6Repr;

/* Parse the header at buf[0..len). The payload is buf[40..40 +
 * payload_len); bytes past it (Ethernet padding) are ignored. TRUNCATED
 * below 40 bytes or when the payload is cut short; MALFORMED for a
 * version other than 6. (IPv6 has no header checksum.) */
NsWireResult ns_ipv6_parse(const uint8_t *buf, size_t len, NsIpv6Repr *out);

/* Write the 40-byte header at buf[0..40). Returns 40, or 0 if len < 40 or
 * the flow label does not fit in 20 bits. */
size_t ns_ipv6_emit(const NsIpv6Repr *repr, uint8_t *buf, size_t len);

/* The Fragment header (RFC 8200 4.5): 8 bytes after the header (netsim
 * sends no other extension header), Next Header 44. */
#define NS_IPPROTO_FRAGMENT 44
#define NS_IPV6_FRAG_HLEN 8

typedef struct {
    uint8_t next_header; /* of the fragmentable part */
    uint16_t offset;     /* bytes (the wire field times 8) */
    bool m;              /* more fragments */
    uint32_t id;
} NsIpv6FragRepr;

/* Parse the 8 bytes at buf[0..len): TRUNCATED below 8. The reserved
 * fields are not checked (Linux ignores them). */
NsWireResult ns_ipv6_frag_parse(const uint8_t *buf, size_t len, NsIpv6FragRepr *out);
/* Write the 8 bytes at buf[0..8): 8, or 0 if len < 8 or the offset is not
 * a multiple of 8. */
size_t ns_ipv6_frag_emit(const NsIpv6FragRepr *repr, uint8_t *buf, size_t len);

/* Sum of the IPv6 pseudo-header (source, destination, upper-layer length
 * as 32 bits, three zero bytes, next header; RFC 8200 section 8.1), to add
 * to the sum of the upper-layer packet. Returns a sum <= 0xFFFF. */
uint32_t ns_csum_pseudo6(const NsIpv6Addr *src, const NsIpv6Addr *dst, uint8_t next_header,
                         uint32_t len);

/* Fill in the checksum of the upper-layer packet l4[0..len), whose
 * checksum field is at byte csum_at (UDP 6, TCP 16), over the IPv6
 * pseudo-header; a UDP checksum that comes out 0 is sent as 0xffff
 * (RFC 8200 section 8.1). */
void ns_ipv6_l4_checksum(uint8_t *l4, size_t len, size_t csum_at, const NsIpv6Addr *src,
                         const NsIpv6Addr *dst, uint8_t next_header);

/* ---- ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861) ---- */

typedef enum {
    NS_ICMP6_DEST_UNREACH = 1,
    NS_ICMP6_PACKET_TOO_BIG = 2,
    NS_ICMP6_TIME_EXCEEDED = 3,
    NS_ICMP6_PARAM_PROBLEM = 4,
    NS_ICMP6_ECHO_REQUEST = 128,
    NS_ICMP6_ECHO_REPLY = 129,
    NS_ICMP6_ROUTER_SOLICIT = 133,
    NS_ICMP6_ROUTER_ADVERT = 134,
    NS_ICMP6_NEIGHBOR_SOLICIT = 135,
    NS_ICMP6_NEIGHBOR_ADVERT = 136,
} NsIcmp6Type;

/* Codes of NS_ICMP6_DEST_UNREACH (RFC 4443 section 3.1). */
typedef enum {
    NS_ICMP6_UNREACH_NO_ROUTE = 0,
    NS_ICMP6_UNREACH_ADMIN = 1,
    NS_ICMP6_UNREACH_BEYOND_SCOPE = 2,
    NS_ICMP6_UNREACH_ADDRESS = 3,
    NS_ICMP6_UNREACH_PORT = 4,
} NsIcmp6UnreachCode;

#define NS_ICMP6_HLEN 8
#define NS_ND_NS_LEN 24 /* solicitation without options */
#define NS_ND_OPT_SOURCE_LLADDR 1
#define NS_ND_OPT_TARGET_LLADDR 2

typedef struct {
    NsIcmp6Type type;
    uint8_t code;
    uint16_t id, seq;  /* echo */
    uint32_t mtu;      /* packet too big */
    /* Neighbor solicitation and advertisement: */
    NsIpv6Addr target;
    bool router, solicited, override; /* advertisement flags (R, S, O) */
    bool has_lladdr;   /* a source (NS) or target (NA) link-layer address option */
    uint8_t lladdr[6];
} NsIcmp6Repr;

/* Write the message of `repr` at buf[0..len): for echo, its header then
 * `payload` (payload_len bytes, which may already be in place at buf + 8);
 * for NS and NA, the target and the link-layer address option (if
 * has_lladdr); for the errors, the header then `payload` (the quoted
 * datagram) and, for packet too big, the MTU. The checksum covers the
 * pseudo-header of src and dst. Returns the length written, or 0 (nothing
 * written) if len is too small or the type is not one of those. */
size_t ns_icmp6_emit(const NsIcmp6Repr *repr, const NsIpv6Addr *src, const NsIpv6Addr *dst,
                     const uint8_t *payload, size_t payload_len, uint8_t *buf, size_t len);

/* Parse the ICMPv6 message buf[0..len) sent from src to dst. TRUNCATED
 * below 8 bytes (24 for NS and NA); BAD_CHECKSUM; MALFORMED for an NS or
 * NA with a code other than 0, a multicast target, or an option of length
 * 0; UNSUPPORTED for other types (type and code are still set). */
NsWireResult ns_icmp6_parse(const uint8_t *buf, size_t len, const NsIpv6Addr *src,
                            const NsIpv6Addr *dst, NsIcmp6Repr *out);
