/* Protocol control block tables (BSD in_pcb): which local address and port
 * each transport endpoint holds, the 4-tuple of connected ones, ephemeral
 * port allocation per host profile, and the demultiplexing of arriving
 * datagrams to an endpoint, for UDP and TCP. Private to the simulator's
 * layers: a program using the library sees sockets, not their pcbs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/host.h"

typedef struct NsPcbTable NsPcbTable;

/* Embedded in a transport's endpoint, which finds itself from the pcb by
 * its offset (no back pointer: 8 bytes less per connection); the table
 * never allocates it. */
typedef struct NsPcb {
    uint32_t laddr; /* 0 = any local address */
    uint32_t raddr; /* 0 = not connected */
    uint16_t lport; /* 0 = not bound */
    uint16_t rport;
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
