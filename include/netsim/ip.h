/* IPv4 (RFC 791, RFC 1122 host rules, RFC 1812 forwarding) and ICMP
 * (RFC 792): per-host routing table, input demultiplexing to registered
 * transports, output with source address selection, forwarding with TTL on
 * routers, and the ICMP errors a real stack generates. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/host.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"

typedef struct NsIp NsIp;

/* A transport protocol registered with IP (upper layers register; IP never
 * calls them by name). */
typedef struct {
    const char *name;
    /* A datagram for this host: `seg` starts at the transport header and
     * holds hdr->total_len - header_len bytes (transfer full). */
    void (*input)(void *proto, const NsIpv4Repr *hdr, NsPacket *seg);
    /* `input` takes a datagram whose payload pattern is still unmade (a
     * lazy packet, netsim-private/packet.h) and makes what it reads; for
     * any other transport IP makes the bytes before calling it. */
    bool takes_lazy;
    /* An ICMP error about a datagram this host sent: `orig` is the quoted IP
     * header, `l4` the quoted transport bytes (at least 8), `err` the errno
     * it means (ECONNREFUSED, EHOSTUNREACH, ...). */
    void (*error)(void *proto, int err, const NsIpv4Repr *orig, const uint8_t *l4, size_t l4_len);
    /* "Fragmentation needed" (RFC 1191) with the next-hop MTU `mtu` about a
     * datagram this host sent (NULL: it goes to `error` as EMSGSIZE). */
    void (*frag_needed)(void *proto, uint16_t mtu, const NsIpv4Repr *orig, const uint8_t *l4,
                        size_t l4_len);
    /* The same over IPv6 (NULL: the protocol does not run over IPv6, and
     * the host answers as for a closed port): `seg` starts at the
     * transport header, the 40-byte header in front of it; `mtu` is the
     * MTU of a packet too big (err EMSGSIZE), else 0. */
    void (*input6)(void *proto, const NsIpv6Repr *hdr, NsPacket *seg);
    void (*error6)(void *proto, int err, uint32_t mtu, const NsIpv6Repr *orig, const uint8_t *l4,
                   size_t l4_len);
} NsIpProtoOps;

/* Options of one outgoing datagram. */
typedef struct {
    uint8_t ttl;  /* 0: the default, 64 */
    bool df;      /* don't fragment */
    /* Over the route's MTU, fragment it (DF cleared) instead of failing
     * with EMSGSIZE: Linux's IP_PMTUDISC_WANT, a UDP, ping or raw socket's
     * default (net.ipv4.ip_no_pmtu_disc=0); TCP never needs it. */
    bool frag_ok;
    bool id_zero; /* IP ID 0 (Linux sends SYN-ACK and RST so) */
    uint8_t tos;
} NsIpTxOpts;

#define NS_IP_DEFAULT_TTL 64

/* (transfer full) the IP layer of `host`; registers as the host's L3 and
 * keeps itself with the host. Freed with ns_ip_free(). */
NsIp *ns_ip_new(NsHost *host);
void ns_ip_free(NsIp *ip);
NsIp *ns_ip_of(const NsHost *host);
NsHost *ns_ip_host(const NsIp *ip);

/* The ephemeral port range of a profile, shared by TCP and UDP: minimal
 * 49152-65535 (IANA, RFC 6335), linux 32768-60999
 * (net.ipv4.ip_local_port_range). */
void ns_ip_ephemeral_range(NsProfile profile, uint16_t *lo, uint16_t *hi);

void ns_ip_register_proto(NsIp *ip, uint8_t proto, const NsIpProtoOps *ops, void *data);
/* The transport registered for `proto` (NULL: none), and its data. */
const NsIpProtoOps *ns_ip_proto(const NsIp *ip, uint8_t proto, void **data);

/* Routing table: longest prefix wins; a lookup costs one hash probe per
 * distinct prefix length in the table. gateway 0 means directly attached.
 * A prefix has one route: adding a second for the same network and length
 * changes nothing and returns false. */
bool ns_ip_add_route(NsIp *ip, uint32_t net, uint8_t prefix_len, NsIface *iface, uint32_t gateway,
                     uint32_t hops);
uint32_t ns_ip_route_count(const NsIp *ip);

/* Where a route comes from, as `ip route` says it with `proto`: a network
 * the host is on ("kernel"), netsim's automatic routing ("auto", its metric
 * the hop count), a `route` line of the scenario ("static"). */
typedef enum {
    NS_ROUTE_CONNECTED,
    NS_ROUTE_AUTO,
    NS_ROUTE_STATIC,
} NsRouteOrigin;
const char *ns_route_origin_name(NsRouteOrigin origin);

/* A static route (`ip route replace`): it replaces any route for exactly
 * this prefix. gateway 0: the prefix is reached directly on iface. */
void ns_ip_set_static_route(NsIp *ip, uint32_t net, uint8_t prefix_len, NsIface *iface,
                            uint32_t gateway);
/* Remove the route for exactly this prefix (`ip route del`); false if
 * there is none. */
bool ns_ip_remove_route(NsIp *ip, uint32_t net, uint8_t prefix_len);

/* One row of the routing table, for tables and tests. */
typedef struct {
    uint32_t net;
    uint8_t prefix_len;
    uint32_t gateway; /* 0: directly attached */
    uint32_t ifindex; /* interface number from 0 (named eth0, eth1, ...) */
    uint32_t src;     /* the interface's address */
    uint32_t metric;  /* hops */
    NsRouteOrigin origin;
} NsRouteRow;
typedef void (*NsRouteRowFn)(const NsRouteRow *row, void *data);
/* Every route in the order `ip route` lists them: by network, a shorter
 * prefix of the same network first. */
void ns_ip_routes_foreach(const NsIp *ip, NsRouteRowFn fn, void *data);
/* A row as `ip route` prints it: "default via 10.0.1.254 dev eth0 proto
 * static", "10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.10",
 * "10.0.3.0/24 via 10.0.2.2 dev eth1 proto auto metric 2". (transfer full) */
char *ns_route_row_format(const NsRouteRow *row);
/* Whether the table holds a route for exactly this network and length. */
bool ns_ip_route_exact(const NsIp *ip, uint32_t net, uint8_t prefix_len);
/* The route for dst: outgoing interface and next hop; false if none. */
bool ns_ip_route(const NsIp *ip, uint32_t dst, NsIface **iface, uint32_t *next_hop);
/* The routing table as `ip route` prints it, one row a line. */
char *ns_ip_routes_format(const NsIp *ip);

/* The source address for talking to dst (the outgoing interface's); 0 if
 * dst is unreachable. A local destination gives dst itself. */
uint32_t ns_ip_source_for(const NsIp *ip, uint32_t dst);

/* True if addr is one of this host's addresses (or 127.0.0.0/8). */
bool ns_ip_is_local(const NsIp *ip, uint32_t addr);

/* Send a transport segment (transfer full; it needs NS_IPV4_HLEN + 14 bytes
 * of headroom). src 0 picks the source address. The trace line reads the
 * transport's note on the packet (NsPacketNote), if any. A datagram over
 * the MTU leaves in fragments if opts->frag_ok. Returns 0 or the errno a real host gives
 * synchronously: EHOSTUNREACH/ENETUNREACH (no route), EMSGSIZE (over the
 * MTU without frag_ok, or over 65535 bytes), EPERM (a rule of the host's output chain took it). ARP failure later yields an ICMP-like error to the
 * transport. */
int ns_ip_output(NsIp *ip, NsPacket *seg, uint32_t src, uint32_t dst, uint8_t proto,
                 const NsIpTxOpts *opts);

/* Echo replies (ping) are handed to one handler per host, like a ping
 * socket: id/seq, the sender, TTL and payload length; or, with err != 0,
 * an ICMP error (or failed ARP) about one of our echo requests, `from`
 * being the host that reported it. */
typedef void (*NsIcmpEchoFn)(void *data, uint32_t from, uint16_t id, uint16_t seq, uint8_t ttl,
                             size_t payload_len, int err);
void ns_ip_set_echo_handler(NsIp *ip, NsIcmpEchoFn fn, void *data);
/* Send an echo request with payload_len bytes of pattern. Returns 0 or errno. */
int ns_ip_send_echo(NsIp *ip, uint32_t dst, uint16_t id, uint16_t seq, size_t payload_len);
/* The same with the given TTL (0: the default, 64), as `ping -t TTL`. */
int ns_ip_send_echo_ttl(NsIp *ip, uint32_t dst, uint16_t id, uint16_t seq, size_t payload_len,
                        uint8_t ttl);

/* A tap sees every datagram delivered to this host (after the input
 * filter; `dgram` is the whole datagram, IP header first; transfer none)
 * before its protocol does, as a raw socket would; returning true takes it
 * from the protocol (traceroute takes the answers to its probes; the RECV
 * line is still traced). Taps are asked in the order they were added. */
typedef bool (*NsIpTapFn)(void *data, const NsIpv4Repr *hdr, const uint8_t *dgram, size_t len);
void ns_ip_add_tap(NsIp *ip, NsIpTapFn fn, void *data);
void ns_ip_remove_tap(NsIp *ip, NsIpTapFn fn, void *data);

/* Send an ICMP error about the offending datagram `orig` (its IP header
 * first; transfer none), as RFC 1122 3.2.2 allows: never about an ICMP
 * error, a broadcast, or a non-initial fragment. */
void ns_ip_send_icmp_error(NsIp *ip, uint8_t type, uint8_t code, uint16_t mtu,
                           const uint8_t *orig, size_t orig_len);

/* Trace the RECV line of a datagram a transport accepted: `seg` starts at
 * the transport header with the IP header still in front of it, and carries
 * the transport's note (its socket, relative sequence numbers). The
 * transport calls this once it has found the socket. */
void ns_ip_trace_recv(NsIp *ip, const NsIpv4Repr *hdr, const NsPacket *seg);

/* A hook on every datagram this host originates, after its IP header is
 * written (targeted faults). It returns the verdict and may change *delay;
 * for a verdict other than PASS it describes the fault for the trace. */
typedef enum { NS_IP_FILTER_PASS, NS_IP_FILTER_DROP, NS_IP_FILTER_DELAY,
               NS_IP_FILTER_DUPLICATE } NsIpFilterVerdict;
typedef struct {
    NsFaultAction action;
    const char *rule; /* as the scenario wrote it: "tcp syn#1" (borrowed) */
    NsTraceLoc loc;
} NsIpFault;
typedef NsIpFilterVerdict (*NsIpOutputFilterFn)(void *data, const NsPacket *datagram,
                                                NsTime *delay, NsIpFault *fault);
void ns_ip_set_output_filter(NsIp *ip, NsIpOutputFilterFn fn, void *data);

/* Counters for summaries. */
typedef struct {
    uint64_t sent, received, forwarded, dropped;
    uint64_t icmp_sent, icmp_received;
} NsIpStats;
const NsIpStats *ns_ip_stats(const NsIp *ip);

/* Compute every host's routes (shortest path: fewest hops, then least
 * delay, ties by declaration order; only routers forward). `hosts` holds
 * NsHost* in declaration order, each with its IP layer created. A host
 * with one router next door gets a default route via it; routers get a
 * route per prefix; a host with several routers next door, a default route
 * via the one serving most destinations and specific routes for the rest.
 * Returns the number of elementary steps taken (options weighed, heap
 * operations, routes added): linear in the topology for stub hosts, trees
 * and stars, which tests check by counting, not timing. */
uint64_t ns_routing_compute(GPtrArray *hosts);
/* Routing by hand (`routing manual`): every host gets only the routes of
 * the networks and links it is on; the rest is left to static routes. */
void ns_routing_direct(GPtrArray *hosts);
