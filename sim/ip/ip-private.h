/* Shared within sim/ip: fitting a route table once routing is done
 * (route.c), and the trace line's reading of a transport's note on its
 * datagram, for either family (ip.c and ip6.c). */
#pragma once

#include "netsim/ctx.h"
#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/trace.h"
#include "netsim-private/packet.h"

/* An IPv6 datagram (transfer full) for a host's IPv6 layer: what the host
 * calls once the layer exists; the IP layer calls it for the frame that
 * made it (ip.c). */
void ns_ip6_input(NsIp6 *ip6, NsIface *iface, NsPacket *pkt);

/* Has the host's IPv6 layer been made (tests: an IPv4 host has none)? */
bool ns_ip_has_ip6(const NsIp *ip);

/* Give back the room the route table grew into (doubling) beyond its
 * routes: routing calls it once every host's routes are in. */
void ns_ip_routes_fit(NsIp *ip);

/* The strings a note's trace line points to (the caller's buffers). */
typedef struct {
    char opts[160], summary[128];
} NsNoteText;

/* Fill ev from pkt's NsPacketNote, if it has one: socket ids, why it was
 * sent and, for TCP, the relative numbers, window and options; the
 * payload decoded. start[0..len) is the datagram, IPv4 or IPv6 header
 * first, which ns_trace_describe_ip(ev, start, len) has described. */
void ns_ip_note_apply(NsCtx *ctx, NsTraceEvent *ev, const NsPacket *pkt, const uint8_t *start,
                      size_t len, NsNoteText *txt);
