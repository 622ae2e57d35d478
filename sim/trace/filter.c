/* Trace filters (--only, --hide, --host): a sink on the run's tracer that
 * forwards the events it keeps to a tracer of the filtered sinks. */
#include "netsim/trace-filter.h"

#include <string.h>

typedef struct {
    NsTraceFilterOpts opts;
    NsTracer *sinks;
    /* --sock: the socket's endpoints, learnt from its own events. */
    bool known;
    const char *host; /* interned */
    uint8_t proto;
    uint32_t laddr, raddr;
    uint16_t lport, rport;
} Filter;

uint32_t ns_tracer_mask(const NsTracer *tracer)
{
    return ((const struct NsTracerPublic *)(const void *)tracer)->mask;
}

bool ns_trace_kinds_parse(const char *list, uint32_t *mask, char **bad)
{
    *mask = 0;
    g_auto(GStrv) names = g_strsplit(list, ",", -1);
    for (char **n = names; *n; n++) {
        g_autofree char *name = g_ascii_strdown(g_strstrip(*n), -1);
        int k = 0;
        while (k < NS_TRACE_KIND_COUNT && strcmp(ns_trace_kind_name((NsTraceKind)k), name) != 0)
            k++;
        if (k == NS_TRACE_KIND_COUNT || k == NS_TRACE_FRAME) {
            *bad = g_strdup(*n);
            return false;
        }
        *mask |= NS_TRACE_MASK(k);
    }
    return true;
}

const char *ns_trace_kind_list(void)
{
    static char list[128];
    if (!list[0]) {
        for (int k = 0; k < NS_TRACE_KIND_COUNT; k++) {
            if (k == NS_TRACE_FRAME) /* frames go to captures, not to traces */
                continue;
            if (list[0])
                g_strlcat(list, ", ", sizeof list);
            g_strlcat(list, ns_trace_kind_name((NsTraceKind)k), sizeof list);
        }
    }
    return list;
}

static bool is_host_addr(const NsTraceFilterOpts *o, uint32_t addr)
{
    for (uint32_t i = 0; i < o->n_addrs; i++)
        if (o->addrs[i] == addr)
            return true;
    return false;
}

/* One host's story: what happens at the host; on a link, its own packets;
 * and what belongs to no host (link changes, a run-wide expectation). */
static bool keeps_host(const NsTraceFilterOpts *o, const NsTraceEvent *ev)
{
    if (!o->host)
        return true;
    if (o->for_diagram && ev->kind == NS_TRACE_SEND)
        return is_host_addr(o, ev->src) || is_host_addr(o, ev->dst);
    if (ev->host)
        return strcmp(ev->host, o->host) == 0;
    if (ev->proto || ev->src || ev->dst)
        return is_host_addr(o, ev->src) || is_host_addr(o, ev->dst);
    return true;
}

/* Does the packet of `ev` belong to the socket: sent by it, or received
 * for it (a listener: only the SYNs that ask for a new connection)? */
static bool is_sock_packet(const Filter *f, const NsTraceEvent *ev)
{
    if (!f->known || ev->proto != f->proto)
        return false;
    bool out = ev->kind == NS_TRACE_SEND ||
               (ev->kind == NS_TRACE_DROP && ev->host && g_intern_string(ev->host) == f->host &&
                ev->src == f->laddr);
    uint32_t la = out ? ev->src : ev->dst, ra = out ? ev->dst : ev->src;
    uint16_t lp = out ? ev->sport : ev->dport, rp = out ? ev->dport : ev->sport;
    if (ev->host && g_intern_string(ev->host) != f->host && ev->kind != NS_TRACE_DROP)
        return false;
    if (lp != f->lport || (f->laddr && la != f->laddr))
        return false;
    if (f->raddr)
        return ra == f->raddr && rp == f->rport;
    /* No peer: a UDP socket takes every datagram to its port; a listener
     * only the SYNs (the rest goes to the sockets it accepted). */
    return f->proto != 6 || ((ev->tcp_flags & 0x02) && !(ev->tcp_flags & 0x10) && !out);
}

/* One socket's story: the events about it (and about the sockets a
 * listener accepts, as they are created), and its packets. */
static bool keeps_sock(Filter *f, const NsTraceEvent *ev)
{
    if (!f->opts.sock)
        return true;
    if (ev->sock_id == f->opts.sock) {
        f->known = true;
        f->host = ev->host ? g_intern_string(ev->host) : NULL;
        f->proto = ev->proto ? ev->proto : f->proto;
        f->laddr = ev->src ? ev->src : f->laddr;
        f->lport = ev->sport ? ev->sport : f->lport;
        if (ev->dst) {
            f->raddr = ev->dst;
            f->rport = ev->dport;
        }
        return true;
    }
    if (ev->parent_id == f->opts.sock && ev->cause == NS_CAUSE_RCV_SYN_LISTENER)
        return true; /* a listener's story: the sockets it creates */
    switch (ev->kind) {
    case NS_TRACE_SEND:
    case NS_TRACE_RECV:
    case NS_TRACE_DROP:
        return is_sock_packet(f, ev);
    case NS_TRACE_APP:
    case NS_TRACE_SOCK:
    case NS_TRACE_TCP:
    case NS_TRACE_FWD:
    case NS_TRACE_TIMER:
    case NS_TRACE_ICMP:
    case NS_TRACE_ARP:
    case NS_TRACE_NDP:
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
    case NS_TRACE_EXPECT:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_NAT:
    case NS_TRACE_KIND_COUNT:
        break;
    }
    return false;
}

static void filter_write(void *self, const NsTraceEvent *ev)
{
    Filter *f = self;
    bool sock = keeps_sock(f, ev); /* learns the socket's endpoints from every event */
    if (f->opts.for_diagram && ev->kind == NS_TRACE_RECV) {
        ns_trace_emit(f->sinks, ev);
        return;
    }
    if (!(f->opts.kinds & NS_TRACE_MASK(ev->kind)) || !keeps_host(&f->opts, ev) || !sock)
        return;
    ns_trace_emit(f->sinks, ev);
}

static bool filter_close(void *self, GError **error)
{
    Filter *f = self;
    return ns_tracer_close(f->sinks, error);
}

static void filter_free(void *self)
{
    Filter *f = self;
    ns_tracer_free(f->sinks);
    g_free(f);
}

static const NsTraceSinkOps filter_ops = {"filter", filter_write, filter_close, filter_free};

void ns_trace_filter_attach(NsTracer *tracer, const NsTraceFilterOpts *opts, NsTracer *sinks)
{
    Filter *f = g_new0(Filter, 1);
    f->opts = *opts;
    f->sinks = sinks;
    uint32_t want = ns_tracer_mask(sinks);
    uint32_t mask = want & opts->kinds;
    if (opts->for_diagram)
        mask |= want & NS_TRACE_MASK(NS_TRACE_RECV);
    if (opts->sock) /* its own events tell the socket's endpoints, shown or not */
        mask |= NS_TRACE_MASK(NS_TRACE_SOCK) | NS_TRACE_MASK(NS_TRACE_TCP);
    ns_tracer_add_sink(tracer, &filter_ops, f, mask);
}
