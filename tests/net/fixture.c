/* The network-layer test fixture; see fixture.h. */
#include "fixture.h"

#include <string.h>

#include "netsim/wire/ipv4.h"

NetFixture fx;

static int fx_why(const NsTraceEvent *ev)
{
    if (ev->kind == NS_TRACE_DROP)
        return (int)ev->drop;
    if (ev->kind == NS_TRACE_TCP)
        return (int)ev->cause;
    if (ev->kind == NS_TRACE_SOCK)
        return ev->ephemeral;
    if (ev->kind == NS_TRACE_SEND)
        return (int)ev->send_why;
    if (ev->kind == NS_TRACE_NAT)
        return (int)ev->nat_ev;
    if (ev->kind == NS_TRACE_NDP) /* the event, and for a state change the new state */
        return ev->ndp_ev == NS_NDP_EV_STATE ? FX_NDP_STATE(ev->neigh_to) : (int)ev->ndp_ev;
    return 0;
}

static void capture_write(void *self, const NsTraceEvent *ev)
{
    (void)self;
    CapturedEvent c = {
        .kind = ev->kind, .time = ev->time, .host = g_strdup(ev->host),
        .where = g_strdup(ev->where), .what = g_strdup(ev->what), .why = fx_why(ev),
        .text = g_strdup(ev->text), .proto = ev->proto, .icmp_type = ev->icmp_type,
        .icmp_code = ev->icmp_code, .ttl = ev->ttl, .src = ev->src, .dst = ev->dst,
        .sport = ev->sport, .dport = ev->dport, .err = ev->err,
    };
    g_array_append_val(fx.events, c);
}

static const NsTraceSinkOps capture_ops = {"capture", capture_write, NULL, NULL};

void fx_setup(uint64_t seed)
{
    memset(&fx, 0, sizeof fx);
    fx.ctx.sim = ns_sim_new();
    fx.ctx.pool = ns_packet_pool_new();
    fx.ctx.tracer = ns_tracer_new();
    fx.ctx.seed = seed;
    ns_tracer_add_sink(fx.ctx.tracer, &capture_ops, NULL, NS_TRACE_MASK_ALL);
    fx.events = g_array_new(FALSE, TRUE, sizeof(CapturedEvent));
    fx.hosts = g_ptr_array_new();
    fx.segs = g_ptr_array_new();
}

void fx_teardown(void)
{
    for (guint i = 0; i < fx.hosts->len; i++) {
        NsHost *h = g_ptr_array_index(fx.hosts, i);
        ns_socket_layer_free(h);
        ns_ip_free(ns_ip_of(h));
        ns_host_free(h);
    }
    for (guint i = 0; i < fx.segs->len; i++)
        ns_segment_free(g_ptr_array_index(fx.segs, i));
    ns_sim_free(fx.ctx.sim);
    ns_packet_pool_free(fx.ctx.pool);
    ns_tracer_free(fx.ctx.tracer);
    for (guint i = 0; i < fx.events->len; i++) {
        CapturedEvent *c = &g_array_index(fx.events, CapturedEvent, i);
        g_free(c->host);
        g_free(c->where);
        g_free(c->what);
        g_free(c->text);
    }
    g_array_free(fx.events, TRUE);
    g_ptr_array_free(fx.hosts, TRUE);
    g_ptr_array_free(fx.segs, TRUE);
}

NsSegment *fx_segment(const char *name, bool network, const NsLinkOpts *opts)
{
    NsSegment *s = ns_segment_new(&fx.ctx, name, network, opts, fx.segs->len);
    g_ptr_array_add(fx.segs, s);
    return s;
}

NsSegment *fx_network(const char *name, NsTime delay)
{
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = delay;
    return fx_segment(name, true, &o);
}

NsHost *fx_host(const char *name, bool router, NsProfile profile)
{
    NsHost *h = ns_host_new(&fx.ctx, name, fx.hosts->len, router, profile);
    ns_ip_new(h);
    g_ptr_array_add(fx.hosts, h);
    return h;
}

uint32_t fx_ip(const char *dotted)
{
    uint32_t a = 0;
    g_assert(ns_ipv4_parse_addr(dotted, &a));
    return a;
}

void fx_addr(NsHost *h, const char *addr, uint8_t prefix, NsSegment *seg)
{
    ns_host_add_iface(h, fx_ip(addr), prefix, seg);
}

void fx_routes(void)
{
    for (guint i = 0; i < fx.hosts->len; i++)
        ns_socket_layer_init(g_ptr_array_index(fx.hosts, i));
    ns_routing_compute(fx.hosts);
}

uint32_t fx_count(NsTraceKind kind, int why)
{
    uint32_t n = 0;
    for (guint i = 0; i < fx.events->len; i++) {
        CapturedEvent *c = &g_array_index(fx.events, CapturedEvent, i);
        if (c->kind == kind && (why == FX_ANY || c->why == why))
            n++;
    }
    return n;
}

const CapturedEvent *fx_find(NsTraceKind kind, int why)
{
    for (guint i = 0; i < fx.events->len; i++) {
        CapturedEvent *c = &g_array_index(fx.events, CapturedEvent, i);
        if (c->kind == kind && (why == FX_ANY || c->why == why))
            return c;
    }
    return NULL;
}

void fx_run(NsTime until)
{
    ns_sim_run(fx.ctx.sim, until, 0);
}
