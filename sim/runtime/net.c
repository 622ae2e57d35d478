/* A network built from code (netsim/net.h): owns the engine, the packet
 * pool, the segments and the hosts with their IP and socket layers. The
 * scenario runtime is one client of it; embedding programs are others. */
#include "netsim/net.h"

#include "netsim/app.h"
#include "netsim/ip.h"
#include "netsim/socket.h"
#include "netsim-private/ctx.h"

struct NsNet {
    NsCtx ctx;
    GPtrArray *segs;  /* NsSegment*, creation order */
    GPtrArray *hosts; /* NsHost*, creation order */
    bool started;
    bool manual_routing;
};

NsNet *ns_net_new(uint64_t seed, NsTracer *tracer)
{
    NsNet *net = g_new0(NsNet, 1);
    net->ctx.sim = ns_sim_new();
    net->ctx.tracer = tracer;
    net->ctx.pool = ns_packet_pool_new();
    net->ctx.seed = seed;
    net->ctx.decoder = ns_app_decode;
    net->ctx.arena = g_new0(NsArena, 1);
    net->segs = g_ptr_array_new();
    net->hosts = g_ptr_array_new();
    return net;
}

void ns_net_free(NsNet *net)
{
    if (!net)
        return;
    /* Tearing down is not part of the run: nothing more is traced. */
    net->ctx.tracer = NULL;
    for (guint i = 0; i < net->hosts->len; i++) {
        NsHost *h = g_ptr_array_index(net->hosts, i);
        if (net->started)
            ns_socket_layer_free(h);
        ns_ip_free(ns_ip_of(h));
    }
    /* Hosts cancel their own timers, so they go before the engine; packets
     * still held by pending events return with the pool. */
    for (guint i = 0; i < net->hosts->len; i++)
        ns_host_free(g_ptr_array_index(net->hosts, i));
    for (guint i = 0; i < net->segs->len; i++)
        ns_segment_free(g_ptr_array_index(net->segs, i));
    ns_sim_free(net->ctx.sim);
    g_ptr_array_free(net->hosts, TRUE);
    g_ptr_array_free(net->segs, TRUE);
    ns_packet_pool_free(net->ctx.pool);
    ns_arena_free(net->ctx.arena);
    g_free(net);
}

static NsSegment *add_segment(NsNet *net, const char *name, bool is_network,
                              const NsLinkOpts *opts)
{
    NsLinkOpts o;
    if (opts)
        o = *opts;
    else
        ns_link_opts_init(&o);
    NsSegment *seg = ns_segment_new(&net->ctx, name, is_network, &o, net->segs->len);
    g_ptr_array_add(net->segs, seg);
    return seg;
}

NsSegment *ns_net_add_network(NsNet *net, const char *name, const NsLinkOpts *opts)
{
    g_return_val_if_fail(net && name && !net->started, NULL);
    return add_segment(net, name, true, opts);
}

NsSegment *ns_net_add_switch(NsNet *net, const char *name, const NsLinkOpts *opts)
{
    g_return_val_if_fail(net && name && !net->started, NULL);
    NsSegment *seg = add_segment(net, name, true, opts);
    ns_segment_set_learning(seg);
    return seg;
}

NsHost *ns_net_add_host(NsNet *net, const char *name, NsProfile profile, bool is_router)
{
    g_return_val_if_fail(net && name && !net->started, NULL);
    NsHost *h = ns_host_new(&net->ctx, name, net->hosts->len, is_router, profile);
    ns_ip_new(h);
    g_ptr_array_add(net->hosts, h);
    return h;
}

NsIface *ns_net_attach(NsNet *net, NsHost *host, NsSegment *network, uint32_t addr,
                       uint8_t prefix_len)
{
    g_return_val_if_fail(net && host && network && !net->started && prefix_len <= 32, NULL);
    return ns_host_add_iface(host, addr, prefix_len, network);
}

NsSegment *ns_net_add_link(NsNet *net, NsHost *a, uint32_t addr_a, NsHost *b, uint32_t addr_b,
                           const NsLinkOpts *opts)
{
    g_return_val_if_fail(net && a && b && a != b && !net->started, NULL);
    g_autofree char *name = g_strdup_printf("%s-%s", ns_host_name(a), ns_host_name(b));
    NsSegment *seg = add_segment(net, name, false, opts);
    ns_host_add_iface(a, addr_a, 32, seg);
    ns_host_add_iface(b, addr_b, 32, seg);
    return seg;
}

void ns_net_set_manual_routing(NsNet *net)
{
    g_return_if_fail(net && !net->started);
    net->manual_routing = true;
}

void ns_net_start(NsNet *net)
{
    g_return_if_fail(net && !net->started);
    net->started = true;
    for (guint i = 0; i < net->hosts->len; i++)
        ns_socket_layer_init(g_ptr_array_index(net->hosts, i));
    if (net->manual_routing)
        ns_routing_direct(net->hosts);
    else
        ns_routing_compute(net->hosts);
}

NsSimResult ns_net_run_until(NsNet *net, NsTime stop, uint64_t max_events)
{
    g_return_val_if_fail(net && net->started, NS_SIM_EMPTY);
    return ns_sim_run(net->ctx.sim, stop, max_events);
}

NsTime ns_net_now(const NsNet *net) { return ns_sim_now(net->ctx.sim); }
uint64_t ns_net_events(const NsNet *net) { return ns_sim_events_run(net->ctx.sim); }
NsSim *ns_net_sim(NsNet *net) { return net->ctx.sim; }
NsCtx *ns_net_ctx(NsNet *net) { return &net->ctx; }
uint32_t ns_net_host_count(const NsNet *net) { return net->hosts->len; }
uint32_t ns_net_segment_count(const NsNet *net) { return net->segs->len; }

NsHost *ns_net_host(const NsNet *net, uint32_t i)
{
    g_return_val_if_fail(i < net->hosts->len, NULL);
    return g_ptr_array_index(net->hosts, i);
}

NsHost *ns_net_host_by_name(const NsNet *net, const char *name)
{
    for (guint i = 0; i < net->hosts->len; i++) {
        NsHost *h = g_ptr_array_index(net->hosts, i);
        if (g_strcmp0(ns_host_name(h), name) == 0)
            return h;
    }
    return NULL;
}

NsSegment *ns_net_segment(const NsNet *net, uint32_t i)
{
    g_return_val_if_fail(i < net->segs->len, NULL);
    return g_ptr_array_index(net->segs, i);
}
