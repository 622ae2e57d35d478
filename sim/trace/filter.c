/* Trace filters (--only, --hide, --host): a sink on the run's tracer that
 * forwards the events it keeps to a tracer of the filtered sinks. */
#include "netsim/trace-filter.h"

#include <string.h>

typedef struct {
    NsTraceFilterOpts opts;
    NsTracer *sinks;
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

static void filter_write(void *self, const NsTraceEvent *ev)
{
    Filter *f = self;
    if (f->opts.for_diagram && ev->kind == NS_TRACE_RECV) {
        ns_trace_emit(f->sinks, ev);
        return;
    }
    if (!(f->opts.kinds & NS_TRACE_MASK(ev->kind)) || !keeps_host(&f->opts, ev))
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
    ns_tracer_add_sink(tracer, &filter_ops, f, mask);
}
