/* IPv6 (RFC 8200) beside IPv4 in every host: input, output with source
 * address selection, forwarding with the hop limit on routers, ICMPv6
 * (RFC 4443: echo, destination unreachable, packet too big, time exceeded)
 * and Neighbor Discovery (RFC 4861: solicitations to the solicited-node
 * group, advertisements, and the neighbour cache with its five states).
 * Routers never fragment (RFC 8200 section 5): a datagram over the next
 * link's MTU is answered with "packet too big". Extension headers are not
 * modelled. TCP and UDP run over IPv6 through NsIpProtoOps' input6 and
 * error6; a transport without them is answered as a closed port. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/wire/ipv6.h"

typedef struct NsIp6 NsIp6;

/* Neighbor Discovery timing: RFC 4861 section 10's constants, as Linux
 * uses them (its reachable time is drawn from 15 to 45 s; netsim keeps the
 * base 30 s, so runs do not depend on the draw). */
#define NS_ND_MAX_MULTICAST_SOLICIT 3
#define NS_ND_MAX_UNICAST_SOLICIT 3
#define NS_ND_RETRANS_TIMER NS_S(1)
#define NS_ND_REACHABLE_TIME NS_S(30)
#define NS_ND_DELAY_FIRST_PROBE NS_S(5)
/* Datagrams held per unresolved neighbour: as ARP's, by profile
 * (NS_ARP_QUEUE_LEN datagrams, or NS_ARP_QUEUE_BYTES_LINUX bytes on linux;
 * see ns_host_neigh_queue_full), the oldest dropped first. */

#define NS_IP6_DEFAULT_HOP_LIMIT 64
/* The smallest MTU every IPv6 link has (RFC 8200 section 5). */
#define NS_IP6_MIN_MTU 1280

/* (transfer full) the IPv6 layer of `host`: it counts its datagrams in
 * the host's `stats` (summaries show both). The IP layer makes it when it
 * is first needed (ns_ip6_of(), or an IPv6 frame arriving): most hosts of
 * a large IPv4 network never need one (96 bytes a host). */
NsIp6 *ns_ip6_new(NsHost *host, NsIpStats *stats);
void ns_ip6_free(NsIp6 *ip6);
/* The IPv6 layer of a host with an IP layer, made now if not yet; NULL
 * for a host without one. */
NsIp6 *ns_ip6_of(const NsHost *host);
/* Is there an IPv6 address (not link-local) on one of the host's
 * interfaces? The first, in interface order, goes to *out. Asks nothing
 * of the IPv6 layer, so a host that has none is not given one. */
bool ns_host_first_addr6(const NsHost *host, NsIpv6Addr *out);

/* Routing table: longest prefix wins (a scan: IPv6 tables are small here).
 * gateway NULL: the prefix is on the link. One route per prefix. */
bool ns_ip6_add_route(NsIp6 *ip6, const NsIpv6Addr *net, uint8_t prefix_len, NsIface *iface,
                      const NsIpv6Addr *gateway, uint32_t metric, NsRouteOrigin origin);
uint32_t ns_ip6_route_count(const NsIp6 *ip6);
/* A static route (`ip -6 route replace`): it replaces any route for
 * exactly this prefix; the next hop is reached on iface. */
void ns_ip6_set_static_route(NsIp6 *ip6, const NsIpv6Addr *net, uint8_t prefix_len,
                             NsIface *iface, const NsIpv6Addr *gateway);
/* Removes the route for exactly this prefix (`ip -6 route del`), whatever
 * made it; false when there is none. */
bool ns_ip6_remove_route(NsIp6 *ip6, const NsIpv6Addr *net, uint8_t prefix_len);
bool ns_ip6_route(const NsIp6 *ip6, const NsIpv6Addr *dst, NsIface **iface,
                  NsIpv6Addr *next_hop);
/* One row of the IPv6 routing table. */
typedef struct {
    NsIpv6Addr net;
    uint8_t prefix_len;
    bool has_gateway;
    NsIpv6Addr gateway;
    uint32_t ifindex; /* eth0, eth1, ... */
    uint32_t metric;
    NsRouteOrigin origin;
} NsRoute6Row;
typedef void (*NsRoute6RowFn)(const NsRoute6Row *row, void *data);
/* Every route in the order `ip -6 route` lists them: by network, a
 * shorter prefix first, then by interface. */
void ns_ip6_routes_foreach(const NsIp6 *ip6, NsRoute6RowFn fn, void *data);
/* "2001:db8:1::/64 dev eth0 proto kernel", "default via fe80::ff:fe00:301
 * dev eth0 proto auto metric 1" (transfer full) */
char *ns_route6_row_format(const NsRoute6Row *row);
/* The routing table as `ip -6 route` prints it, one row a line. */
char *ns_ip6_routes_format(const NsIp6 *ip6);

/* Whether addr is one of this host's addresses (any interface's, link-local
 * ones included, or ::1). */
bool ns_ip6_is_local(const NsIp6 *ip6, const NsIpv6Addr *addr);
/* The source address for talking to dst (RFC 6724, simplified: the
 * outgoing interface's address sharing the longest prefix with dst; its
 * link-local address for a link-local dst). False when dst has no route. */
bool ns_ip6_source_for(const NsIp6 *ip6, const NsIpv6Addr *dst, NsIpv6Addr *src);
/* The host's first global IPv6 address, if any. */
bool ns_ip6_first_addr(const NsIp6 *ip6, NsIpv6Addr *out);

/* Send an upper-layer packet (transfer full; NS_IPV6_HLEN + 14 bytes of
 * headroom needed). src NULL picks the source; hop_limit 0 means 64. A
 * datagram over the path MTU leaves in fragments (RFC 8200 4.5), TCP's
 * aside. Returns 0 or the errno a host gives at once: ENETUNREACH (no
 * route), EMSGSIZE (over 65535 bytes of payload, or a TCP segment over the
 * interface's MTU). */
int ns_ip6_output(NsIp6 *ip6, NsPacket *seg, const NsIpv6Addr *src, const NsIpv6Addr *dst,
                  uint8_t next_header, uint8_t hop_limit);

/* The path MTU towards dst: the MTU of the interface its route leaves by,
 * or less when an ICMPv6 packet too big taught it (RFC 8201; at least
 * 1280, forgotten after 600 s as Linux's net.ipv6.route.mtu_expires). 0
 * without a route. */
uint32_t ns_ip6_path_mtu(NsIp6 *ip6, const NsIpv6Addr *dst);

/* Echo replies (ping to an IPv6 address) go to one handler per host: id,
 * seq, the sender, hop limit and payload length; or, with err != 0, an
 * ICMPv6 error or failed Neighbor Discovery about one of our requests,
 * `from` being who reported it. */
typedef void (*NsIcmp6EchoFn)(void *data, const NsIpv6Addr *from, uint16_t id, uint16_t seq,
                              uint8_t hop_limit, size_t payload_len, int err);
void ns_ip6_set_echo_handler(NsIp6 *ip6, NsIcmp6EchoFn fn, void *data);
/* The same for the host of `ip`, kept by the IP layer until its IPv6
 * layer is made (setting it does not make one). */
void ns_ip_set_echo6_handler(NsIp *ip, NsIcmp6EchoFn fn, void *data);
int ns_ip6_send_echo(NsIp6 *ip6, const NsIpv6Addr *dst, uint16_t id, uint16_t seq,
                     size_t payload_len, uint8_t hop_limit);

/* A tap sees every IPv6 datagram for this host but Neighbor Discovery's
 * (whole datagram, header first; transfer none) before its protocol does,
 * as a raw socket would; returning true takes it (the RECV line is still
 * traced). Asked in the order added. */
typedef bool (*NsIp6TapFn)(void *data, const NsIpv6Repr *hdr, const uint8_t *dgram, size_t len);
void ns_ip6_add_tap(NsIp6 *ip6, NsIp6TapFn fn, void *data);
void ns_ip6_remove_tap(NsIp6 *ip6, NsIp6TapFn fn, void *data);

/* Trace the RECV line of a datagram a transport accepted: `seg` starts at
 * the transport header with the IPv6 header in front of it, and carries
 * the transport's note (as ns_ip_trace_recv). */
void ns_ip6_trace_recv(NsIp6 *ip6, const NsPacket *seg);

/* Send an ICMPv6 error about `orig` (its IPv6 header first; transfer
 * none), as RFC 4443 2.4 allows: never about an ICMPv6 error, a multicast
 * destination, or a datagram from the unspecified address. `param` is the
 * MTU of packet too big. The quote is cut to keep within 1280 bytes. */
void ns_ip6_send_icmp_error(NsIp6 *ip6, uint8_t type, uint8_t code, uint32_t param,
                            const uint8_t *orig, size_t orig_len);

/* The neighbour cache as `ip -6 neigh` shows it. */
typedef struct {
    NsIpv6Addr addr;
    uint8_t mac[6];   /* zero while INCOMPLETE */
    uint32_t ifindex; /* from 0: eth0, eth1, ... */
    NsNeighState state;
    bool router;      /* the neighbour said it is a router (R flag) */
} NsNeigh6Row;
typedef void (*NsNeigh6RowFn)(const NsNeigh6Row *row, void *data);
/* Every entry, interface by interface, by address. */
void ns_ip6_neigh_foreach(const NsIp6 *ip6, NsNeigh6RowFn fn, void *data);
/* "2001:db8:1::2 dev eth0 lladdr 02:00:00:00:02:01 REACHABLE" (transfer full) */
char *ns_neigh6_row_format(const NsNeigh6Row *row);
/* The state of the entry for addr on iface; false when there is none. */
bool ns_ip6_neigh_state(const NsIp6 *ip6, const NsIface *iface, const NsIpv6Addr *addr,
                        NsNeighState *state);

/* A crashed host loses its neighbour caches. */
void ns_ip6_flush_neighbours(NsIp6 *ip6);

/* Neighbor Discovery's counters (datagrams count in the host's NsIpStats). */
typedef struct {
    uint64_t nd_solicits, nd_adverts;
} NsIp6Stats;
const NsIp6Stats *ns_ip6_stats(const NsIp6 *ip6);

/* Routes for IPv6 (called by ns_routing_compute and ns_routing_direct),
 * when some host has an IPv6 address (else none at all): every
 * interface's prefixes and fe80::/64 on the link, the /128 link addresses
 * of the other hosts on a link or switch; with `automatic`,
 * routers route every IPv6 prefix by fewest router hops (ties by
 * declaration order) via the next router's link-local address, and hosts
 * get a default route via the first router (in declaration order) on one
 * of their IPv6 networks, as a router advertisement would give them. */
void ns_routing6_compute(GPtrArray *hosts, bool automatic);
