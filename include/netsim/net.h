/* A network built from code: netsim as a library.
 *
 * Create a network with a seed and (optionally) a tracer, add switched
 * networks, hosts and routers, give hosts addresses on networks, join two
 * hosts with point-to-point links, then start it (routes are computed).
 * From then on, open sockets on its hosts (netsim/socket.h), start the
 * applications of netsim/app.h, schedule your own events on its engine,
 * run it until a time, and read the results: each host's IP counters
 * (ns_ip_stats), each segment's frame counters, each host's socket table.
 *
 * The scenario runtime (netsim/world.h) builds every scenario through this
 * interface. A minimal program:
 *
 *     g_autoptr(NsNet) net = ns_net_new(1, NULL);
 *     NsSegment *lan = ns_net_add_network(net, "lan", NULL);
 *     NsHost *a = ns_net_add_host(net, "a", NS_PROFILE_MINIMAL, false);
 *     NsHost *b = ns_net_add_host(net, "b", NS_PROFILE_MINIMAL, false);
 *     ns_net_attach(net, a, lan, addr_a, 24);
 *     ns_net_attach(net, b, lan, addr_b, 24);
 *     ns_net_start(net);
 *     ... sockets on a and b ...
 *     ns_net_run_until(net, NS_S(10), 0);
 *
 * Programming errors (NULL arguments, building after ns_net_start, using
 * sockets before it) are reported with g_return_val_if_fail and do
 * nothing. Everything is deterministic: the same calls with the same seed
 * give the same run, event for event. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/ctx.h"
#include "netsim/host.h"
#include "netsim/link.h"
#include "netsim/sim.h"
#include "netsim/trace.h"

typedef struct NsNet NsNet;

/* (transfer full) An empty network. Every random choice of the run (loss,
 * jitter, initial sequence numbers, ephemeral ports) derives from `seed`.
 * `tracer` (borrowed, may be NULL) receives the run's events; it must
 * outlive the network. */
NsNet *ns_net_new(uint64_t seed, NsTracer *tracer);

/* Frees the hosts (closing their sockets without a packet), the segments
 * and the engine. Nothing is traced while tearing down. Applications of
 * netsim/app.h must be freed first. */
void ns_net_free(NsNet *net);

/* ---- building (before ns_net_start) ---- */

/* A switched network (any number of hosts) named `name` (copied). `opts`:
 * NULL for the defaults of ns_link_opts_init(). (transfer none) */
NsSegment *ns_net_add_network(NsNet *net, const char *name, const NsLinkOpts *opts);

/* A switch you can see (ns_segment_set_learning): hosts join it with
 * ns_net_attach(), each with an address as a /32. (transfer none) */
NsSegment *ns_net_add_switch(NsNet *net, const char *name, const NsLinkOpts *opts);

/* A host, or a router (forwards datagrams between its interfaces), with
 * the TCP profile `profile`. Its IP layer comes with it. (transfer none) */
NsHost *ns_net_add_host(NsNet *net, const char *name, NsProfile profile, bool is_router);

/* Gives `host` the address `addr` (host byte order) with a /`prefix_len`
 * prefix on `network`. (transfer none) */
NsIface *ns_net_attach(NsNet *net, NsHost *host, NsSegment *network, uint32_t addr,
                       uint8_t prefix_len);

/* A point-to-point link named "A-B" between hosts a and b, each end with
 * its address as a /32. `opts`: NULL for the defaults. (transfer none) */
NsSegment *ns_net_add_link(NsNet *net, NsHost *a, uint32_t addr_a, NsHost *b, uint32_t addr_b,
                           const NsLinkOpts *opts);

/* Routing by hand: ns_net_start() gives each host only the routes of its
 * own networks and links; add the rest with ns_ip_set_static_route(). */
void ns_net_set_manual_routing(NsNet *net);

/* Ends building: every host gets its socket layer, routes are computed.
 * Call it once, before opening sockets or running. */
void ns_net_start(NsNet *net);

/* ---- running ---- */

/* Runs events until `stop` (NS_TIME_NEVER: until none is left) or, with
 * max_events != 0, until that many have run in this call (NS_SIM_LIMIT).
 * May be called again to go on. */
NsSimResult ns_net_run_until(NsNet *net, NsTime stop, uint64_t max_events);

NsTime ns_net_now(const NsNet *net);
uint64_t ns_net_events(const NsNet *net);

/* The engine, to schedule your own events (ns_sim_schedule), and the
 * context every layer of this network shares, to pass to a layer's
 * constructor (ns_host_new, ns_segment_new); its contents are private.
 * (transfer none) */
NsSim *ns_net_sim(NsNet *net);
NsCtx *ns_net_ctx(NsNet *net);

/* ---- reading ---- */

/* Hosts and segments in the order they were added. (transfer none) */
uint32_t ns_net_host_count(const NsNet *net);
NsHost *ns_net_host(const NsNet *net, uint32_t i);
NsHost *ns_net_host_by_name(const NsNet *net, const char *name); /* NULL if none */
uint32_t ns_net_segment_count(const NsNet *net);
NsSegment *ns_net_segment(const NsNet *net, uint32_t i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsNet, ns_net_free)
