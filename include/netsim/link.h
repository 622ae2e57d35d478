/* Link layer: segments that carry Ethernet frames between ports.
 *
 * A segment is either a switched `network` (any number of ports; frames go
 * to the port owning the destination MAC, broadcasts to every other port)
 * or a point-to-point `link` (two ports). Each port has its own drop-tail
 * transmit queue and serializes frames at the segment's rate; after the
 * propagation delay (plus jitter) the frame reaches the receiving port,
 * unless the loss model takes it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/ctx.h"
#include "netsim/packet.h"
#include "netsim/sim.h"
#include "netsim/trace.h"

typedef struct {
    NsTime delay;        /* propagation delay */
    uint64_t rate_bps;   /* 0 = unlimited (no serialization time, no queue) */
    uint32_t loss_ppm;   /* per frame and receiver, parts per million */
    NsTime jitter;       /* extra delay, uniform in [0, jitter]; order kept */
    uint32_t dup_ppm;    /* a frame is delivered twice */
    uint32_t reorder_ppm; /* a frame is held back so later ones overtake it */
    uint32_t queue;      /* packets a port may hold, including the one on the wire */
    uint32_t mtu;        /* largest IP datagram, bytes */
} NsLinkOpts;

/* Defaults of the scenario language: delay 0, unlimited rate, no loss,
 * queue 100 packets, MTU 1500. */
void ns_link_opts_init(NsLinkOpts *opts);

/* Time to put `bytes` on a wire of `rate_bps` (rounded up to 1 ns). */
NsTime ns_link_tx_time(uint64_t rate_bps, uint32_t bytes);

typedef struct NsSegment NsSegment;

/* Called when a frame arrives at a port (transfer full: the callee owns
 * it), except that a frame flooded to many ports is only lent to all but
 * the last (NS_PACKET_LENT, netsim-private/packet.h): the callee reads it,
 * takes it with ns_packet_keep() to keep or change it, and in any case ends
 * with ns_packet_release(), which frees only what it was given. */
typedef void (*NsPortDeliverFn)(void *owner, uint32_t port, NsPacket *frame);

/* (transfer full) a segment. `index` picks its random stream. */
NsSegment *ns_segment_new(NsCtx *ctx, const char *name, bool is_network, const NsLinkOpts *opts,
                          uint32_t index);
void ns_segment_free(NsSegment *seg);

const char *ns_segment_name(const NsSegment *seg);
bool ns_segment_is_network(const NsSegment *seg);
const NsLinkOpts *ns_segment_opts(const NsSegment *seg);
uint32_t ns_segment_port_count(const NsSegment *seg);
/* The name of the host owning a port (as given at attach time). */
const char *ns_segment_port_host(const NsSegment *seg, uint32_t port);

/* Attach a port owned by `owner` (a host interface). Returns the port number.
 * `host_name` is borrowed, not copied: it must stay valid while the segment
 * runs (a host's own name does). */
uint32_t ns_segment_attach(NsSegment *seg, const uint8_t mac[6], NsPortDeliverFn deliver,
                           void *owner, const char *host_name, uint32_t ifindex);

/* Queue a frame for transmission from `port` (transfer full). Dropped, and
 * traced, when the segment is down or the port's queue is full. */
void ns_segment_send(NsSegment *seg, uint32_t port, NsPacket *frame);

/* Bring the whole segment down (queued and in-flight frames are lost) or up. */
void ns_segment_set_up(NsSegment *seg, bool up);

/* A hook on every frame a port has put on the wire, before it reaches
 * anyone (targeted faults of a scenario act here, between the hosts, so
 * the sender's capture shows the frame leave). True drops the frame, and
 * *rule and *loc then say which fault did it. */
typedef bool (*NsSegmentFaultFn)(void *data, const NsSegment *seg, uint32_t from_port,
                                 const NsPacket *frame, const char **rule, NsTraceLoc *loc);
void ns_segment_set_fault_hook(NsSegment *seg, NsSegmentFaultFn fn, void *data);
bool ns_segment_is_up(const NsSegment *seg);

/* Make a network (before any port is attached) a switch you can see: it
 * learns which MAC is behind which port from the frames' sources (IEEE
 * 802.1D), sends a unicast frame only to the port its MAC was learnt on,
 * and floods a frame for a MAC it does not know (yet) to every other
 * port, where the hosts' NICs drop what is not theirs. Learning and
 * flooding are LINK trace events. An entry is forgotten after
 * NS_SWITCH_AGEING without a frame from it (Linux bridges' 300 s). */
#define NS_SWITCH_AGEING NS_S(300)
void ns_segment_set_learning(NsSegment *seg);
bool ns_segment_is_learning(const NsSegment *seg);

/* One entry of a switch's table, as `bridge fdb` lists it. */
typedef struct {
    uint8_t mac[6];
    uint32_t port;    /* from 0; printed from 1 */
    const char *host; /* the host on that port */
    NsTime age;       /* since a frame from it was last seen */
} NsFdbRow;
typedef void (*NsFdbRowFn)(const NsFdbRow *row, void *data);
/* The entries alive now, by port then MAC (none unless learning). */
void ns_segment_fdb_foreach(const NsSegment *seg, NsFdbRowFn fn, void *data);

/* Change options mid-run; frames already in flight keep their timing. */
void ns_segment_set_opts(NsSegment *seg, const NsLinkOpts *opts);

/* Frames carried and dropped so far (for summaries). */
uint64_t ns_segment_frames(const NsSegment *seg);
uint64_t ns_segment_drops(const NsSegment *seg);

/* Fill the packet fields of a trace event (proto, addresses, ports, ICMP,
 * lengths, summary of ARP) from an Ethernet frame or a bare IPv4 datagram.
 * `summary_buf` receives a short text when one is needed. */
void ns_trace_describe_frame(NsTraceEvent *ev, const uint8_t *frame, size_t len, char *summary_buf,
                             size_t summary_len);
void ns_trace_describe_ip(NsTraceEvent *ev, const uint8_t *ip, size_t len);
