/* The timeline's changes to the network: links and networks down, up or
 * reconfigured; hosts crashing and restarting; filter rules and routes
 * added and removed. (Targeted faults are targeted.c's.) */
#include "world-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/tcp.h"
#include "netsim/trace-text.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"

static void trace_link(NsWorld *w, const char *where, NsLinkEvent what, const char *text)
{
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_LINK))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(w->ctx->sim), .kind = NS_TRACE_LINK, .where = where,
                       .link_ev = what, .text = text};
    ns_trace_emit(w->ctx->tracer, &ev);
}

static void trace_host(NsWorld *w, const char *host, NsHostEvent what, uint32_t count)
{
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_HOST))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(w->ctx->sim), .kind = NS_TRACE_HOST, .host = host,
                       .host_ev = what, .count = count};
    ns_trace_emit(w->ctx->tracer, &ev);
}

static char *opts_text(const NsScnLinkOpts *o)
{
    GString *s = g_string_new(NULL);
    char t[32];
    if (o->has_delay) {
        ns_trace_format_time(o->delay, t);
        g_string_append_printf(s, " delay %ss", g_strstrip(t));
    }
    if (o->has_rate)
        g_string_append_printf(s, " rate %" PRIu64 "bps", o->rate);
    if (o->has_loss)
        g_string_append_printf(s, " loss %u.%04u%%", o->loss_ppm / 10000, o->loss_ppm % 10000);
    if (o->has_jitter) {
        ns_trace_format_time(o->jitter, t);
        g_string_append_printf(s, " jitter %ss", g_strstrip(t));
    }
    if (o->has_duplicate)
        g_string_append_printf(s, " duplicate %u.%04u%%", o->duplicate_ppm / 10000,
                               o->duplicate_ppm % 10000);
    if (o->has_reorder)
        g_string_append_printf(s, " reorder %u.%04u%%", o->reorder_ppm / 10000,
                               o->reorder_ppm % 10000);
    if (o->has_queue)
        g_string_append_printf(s, " queue %u", o->queue);
    if (o->has_mtu)
        g_string_append_printf(s, " mtu %u", o->mtu);
    return g_string_free(s, FALSE);
}

static void host_crash(NsWorld *w, HostRt *h)
{
    ns_services_host_crashed(w->services, h->idx);
    ns_steps_host_crashed(w->steps, h->idx);
    ns_programs_host_crashed(w->progs, h->idx);
    uint32_t n = ns_socket_count(h->host);
    ns_apps_host_crashed(w->apps, h->idx);
    ns_socket_layer_crash(h->host);
    ns_host_set_up(h->host, false);
    ns_ip6_flush_neighbours(ns_ip6_of(h->host)); /* its neighbour cache is lost with ARP's */
    trace_host(w, ns_host_name(h->host), NS_HOST_EV_CRASH, n);
}

void ns_world_fault_run(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsWorld *w = obj;
    const NsScnStep *st = ns_scn_step(w->scn, GPOINTER_TO_UINT(arg));
    uint32_t nn = w->scn->networks->len;
    g_assert(st->kind == NS_SCN_STEP_FAULT);
    switch (st->verb.fault) {
    case NS_SCN_FAULT_VERB_LINK_DOWN:
    case NS_SCN_FAULT_VERB_LINK_UP:
    case NS_SCN_FAULT_VERB_NETWORK_DOWN:
    case NS_SCN_FAULT_VERB_NETWORK_UP: {
        NsScnFaultVerb v = st->verb.fault;
        bool link = v == NS_SCN_FAULT_VERB_LINK_DOWN || v == NS_SCN_FAULT_VERB_LINK_UP;
        bool up = v == NS_SCN_FAULT_VERB_LINK_UP || v == NS_SCN_FAULT_VERB_NETWORK_UP;
        NsSegment *seg = w->segs[link ? nn + st->u.link.link : st->u.network.network];
        ns_segment_set_up(seg, up);
        trace_link(w, ns_segment_name(seg), up ? NS_LINK_EV_UP : NS_LINK_EV_DOWN, NULL);
        return;
    }
    case NS_SCN_FAULT_VERB_LINK_SET:
    case NS_SCN_FAULT_VERB_NETWORK_SET: {
        bool link = st->verb.fault == NS_SCN_FAULT_VERB_LINK_SET;
        NsSegment *seg = w->segs[link ? nn + st->u.link.link : st->u.network.network];
        const NsScnLinkOpts *so = link ? &st->u.link.opts : &st->u.network.opts;
        NsLinkOpts o = *ns_segment_opts(seg);
        ns_world_link_opts(&o, so);
        ns_segment_set_opts(seg, &o);
        g_autofree char *text = opts_text(so);
        trace_link(w, ns_segment_name(seg), NS_LINK_EV_SET, text + 1);
        return;
    }
    case NS_SCN_FAULT_VERB_HOST_CRASH: {
        HostRt *h = &w->hosts[st->host];
        if (ns_host_is_up(h->host))
            host_crash(w, h);
        return;
    }
    case NS_SCN_FAULT_VERB_HOST_RESTART: {
        HostRt *h = &w->hosts[st->host];
        if (ns_host_is_up(h->host))
            return;
        ns_host_set_up(h->host, true);
        trace_host(w, ns_host_name(h->host), NS_HOST_EV_RESTART, 0);
        ns_services_start_host(w->services, h->idx);
        return;
    }
    case NS_SCN_FAULT_VERB_FILTER:
    case NS_SCN_FAULT_VERB_UNFILTER:
        ns_world_filter_step(w, st);
        return;
    case NS_SCN_FAULT_VERB_ROUTE:
    case NS_SCN_FAULT_VERB_UNROUTE:
        ns_world_route_step(w, st);
        return;
    }
}
