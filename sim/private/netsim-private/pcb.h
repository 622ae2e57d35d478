/* Protocol control block tables (BSD in_pcb): which local address and port
 * each transport endpoint holds, the 4-tuple of connected ones, ephemeral
 * port allocation per host profile, and the demultiplexing of arriving
 * datagrams to an endpoint, for UDP and TCP. Private to the simulator's
 * layers: a program using the library sees sockets, not their pcbs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/trace.h"
#include "netsim/wire/ipv6.h"

typedef struct NsPcbTable NsPcbTable;

/* Embedded in a transport's endpoint, which finds itself from the pcb by
 * its offset (no back pointer: 8 bytes less per connection); the table
 * never allocates it. */
typedef struct NsPcb {
    uint32_t laddr; /* 0 = any local address */
    uint32_t raddr; /* 0 = not connected */
    uint16_t lport; /* 0 = not bound */
    uint16_t rport;
    /* IPv6 (RFC 3493 section 3.7): `v6` when the endpoint speaks IPv6 on
     * the wire (its addresses in laddr6/raddr6, laddr/raddr 0); `af6` for a
     * socket of the IPv6 family, which shows its ends as IPv6 addresses:
     * an IPv4 peer as ::ffff:a.b.c.d, kept in laddr6/raddr6 beside the
     * IPv4 fields the wire uses. A v6 pcb bound to :: also takes IPv4
     * (Linux's bindv6only=0): a dual-stack listener. */
    bool v6, af6;
    NsIpv6Addr laddr6, raddr6;
    bool in_port_table;  /* holds lport (bind, ephemeral) */
    bool in_tuple_table; /* reachable by its 4-tuple */
    /* The socket's id for traces (ns_ctx_sock_id()), and the id of the
     * listener an accepted connection came from (0: none). */
    uint32_t id, parent_id;
    /* The table's: the next pcb holding the same local port (bind order).
     * A list through the pcbs costs nothing per port beyond a hash slot. */
    struct NsPcb *port_next;
} NsPcb;

/* Which kind of ephemeral port to pick (Linux: even ports for connect(),
 * any port for UDP's implicit bind). */
typedef enum { NS_PCB_EPHEMERAL_BIND, NS_PCB_EPHEMERAL_CONNECT } NsPcbEphemeral;

/* (transfer full) the table of one protocol on one host. */
NsPcbTable *ns_pcb_table_new(NsHost *host, uint8_t proto);
void ns_pcb_table_free(NsPcbTable *t);

/* Bind pcb to (laddr, lport). lport 0 picks an ephemeral port. Returns 0,
 * EADDRINUSE (taken: same port with the same or a wildcard address),
 * EADDRNOTAVAIL (laddr not ours), EAGAIN (no ephemeral port left) or EINVAL
 * (already bound). `reuse` allows sharing a port with listeners' children. */
int ns_pcb_bind(NsPcbTable *t, NsPcb *pcb, uint32_t laddr, uint16_t lport, NsPcbEphemeral kind);

/* Set the remote end and enter the 4-tuple table (binding an ephemeral
 * port and choosing the source address first when needed). Returns 0 or an
 * errno (ENETUNREACH when no route gives a source address, EADDRINUSE when
 * the 4-tuple exists). */
int ns_pcb_connect(NsPcbTable *t, NsPcb *pcb, uint32_t raddr, uint16_t rport, NsPcbEphemeral kind);

/* The same with an IPv6 socket address (the pcb becomes af6): an
 * IPv4-mapped address (::ffff:a.b.c.d) binds or connects over IPv4, any
 * other over IPv6; :: binds both families. connect6 returns EAFNOSUPPORT
 * for an IPv6 peer of a socket bound to an IPv4 address. */
int ns_pcb_bind6(NsPcbTable *t, NsPcb *pcb, const NsIpv6Addr *laddr, uint16_t lport,
                 NsPcbEphemeral kind);
int ns_pcb_connect6(NsPcbTable *t, NsPcb *pcb, const NsIpv6Addr *raddr, uint16_t rport,
                    NsPcbEphemeral kind);

/* The addresses of an arriving datagram, either family, as a transport
 * sees them: the IP header (header_len bytes) is still in front of the
 * transport bytes. */
typedef struct {
    bool v6;
    uint8_t header_len;
    uint32_t src, dst;     /* IPv4 */
    NsIpv6Addr src6, dst6; /* IPv6 */
} NsIpEnds;
NsIpEnds ns_ip_ends4(const NsIpv4Repr *h);
NsIpEnds ns_ip_ends6(const NsIpv6Repr *h);

/* Give an accepted pcb the ends of the datagram that made it (local: its
 * destination), in the family of its listener (af6: IPv4 ends mapped). */
void ns_pcb_set_ends(NsPcb *pcb, const NsIpEnds *e, bool af6);

/* Send a transport segment from pcb to its peer over its family
 * (transfer full): ns_ip_output() or ns_ip6_output() with the pcb's
 * addresses (opts' TTL as the hop limit). Returns 0 or an errno. */
int ns_pcb_output(NsPcbTable *t, const NsPcb *pcb, NsPacket *seg, const NsIpTxOpts *opts);
/* The same from e->dst to e->src: an answer to the datagram e. */
int ns_pcb_reply(NsPcbTable *t, const NsIpEnds *e, NsPacket *seg, const NsIpTxOpts *opts);

/* The pseudo-header sum of a segment of `len` bytes from the pcb's local
 * address to its remote one (RFC 9293 3.1 / RFC 8200 8.1), and from
 * e->dst to e->src. */
uint32_t ns_pcb_pseudo(const NsPcb *pcb, uint8_t proto, uint32_t len);
uint32_t ns_ip_ends_pseudo_reply(const NsIpEnds *e, uint8_t proto, uint32_t len);
/* Whether bytes[0..len) (the transport header and payload of e, its
 * checksum field included) sum to the checksum's expected value. */
bool ns_ip_ends_checksum_ok(const NsIpEnds *e, uint8_t proto, const uint8_t *bytes, size_t len);

/* The pcb's ends in a trace event: src/dst or, for an af6 socket,
 * src6/dst6 pointing into the pcb (dst6 only once connected). */
void ns_pcb_trace_ends(const NsPcb *pcb, NsTraceEvent *ev);

/* The largest segment a path to the pcb's peer (or to e->src) carries:
 * the route's MTU less the IP and TCP headers (IPv4 40, IPv6 60 bytes),
 * 65535 less them for a local peer. */
uint32_t ns_pcb_path_mss(NsPcbTable *t, const NsPcb *pcb);
uint32_t ns_ip_ends_path_mss(NsPcbTable *t, const NsIpEnds *e);

/* Trace the RECV line of an accepted datagram of either family (the
 * transport's note on seg; see ns_ip_trace_recv). */
void ns_ip_ends_trace_recv(NsPcbTable *t, const NsIpEnds *e, const NsPacket *seg);

/* Enter a pcb with a full 4-tuple that shares its listener's port (TCP's
 * accepted connections). Returns 0 or EADDRINUSE. */
int ns_pcb_insert_child(NsPcbTable *t, NsPcb *pcb);

/* Leave both tables (no-op for parts not entered). */
void ns_pcb_remove(NsPcbTable *t, NsPcb *pcb);
/* `to` (a copy of `from`, in another endpoint) takes from's place in both
 * tables, in the same position (TCP's TIME-WAIT minisocks). */
void ns_pcb_move(NsPcbTable *t, NsPcb *from, NsPcb *to);

/* The endpoint an arriving datagram belongs to: an exact 4-tuple first,
 * then a pcb bound to (laddr, lport) and not connected, then one bound to
 * (any, lport). NULL when none. The table remembers the last exact match,
 * so a run of segments of one flow skips the hash. */
NsPcb *ns_pcb_lookup(NsPcbTable *t, uint32_t laddr, uint16_t lport, uint32_t raddr,
                     uint16_t rport);
/* The same for an IPv6 datagram: an exact match, a pcb bound to laddr,
 * then one bound to ::. */
NsPcb *ns_pcb_lookup6(NsPcbTable *t, const NsIpv6Addr *laddr, uint16_t lport,
                      const NsIpv6Addr *raddr, uint16_t rport);
/* The endpoint for datagram e (its destination is local). */
NsPcb *ns_pcb_lookup_ends(NsPcbTable *t, const NsIpEnds *e, uint16_t lport, uint16_t rport);

/* Every pcb in the table (for socket tables), in no particular order. */
void ns_pcb_foreach(const NsPcbTable *t, void (*fn)(NsPcb *pcb, void *data), void *data);
uint32_t ns_pcb_count(const NsPcbTable *t);

/* Emit a SOCK trace event for pcb (ephemeral: the host chose its port). */
void ns_pcb_trace(const NsPcbTable *t, const NsPcb *pcb, NsSockOp op, bool ephemeral);

/* The pcb inside a transport's endpoint (sim/tcp, sim/udp). */
typedef struct NsTcpSock NsTcpSock;
typedef struct NsUdpSock NsUdpSock;
const NsPcb *ns_tcp_sock_pcb(const NsTcpSock *s);
const NsPcb *ns_udp_sock_pcb(const NsUdpSock *s);
