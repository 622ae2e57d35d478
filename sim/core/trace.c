/* The trace-event dispatcher: a list of sinks, each with a kind mask. */
#include "netsim/trace.h"

typedef struct {
    const NsTraceSinkOps *ops;
    void *self;
    uint32_t mask;
    bool payload; /* reads packets' payload bytes */
} Sink;

struct NsTracer {
    struct NsTracerPublic pub; /* first: ns_tracer_wants() reads it */
    GArray *sinks;
    uint32_t enabled; /* kinds delivered at all */
};

static const char *const kind_names[NS_TRACE_KIND_COUNT] = {
    [NS_TRACE_APP] = "app",     [NS_TRACE_SOCK] = "sock",   [NS_TRACE_TCP] = "tcp",
    [NS_TRACE_SEND] = "send",   [NS_TRACE_RECV] = "recv",   [NS_TRACE_FWD] = "fwd",
    [NS_TRACE_DROP] = "drop",   [NS_TRACE_TIMER] = "timer", [NS_TRACE_ICMP] = "icmp",
    [NS_TRACE_ARP] = "arp",     [NS_TRACE_LINK] = "link",   [NS_TRACE_HOST] = "host",
    [NS_TRACE_EXPECT] = "expect", [NS_TRACE_FRAME] = "frame",
    [NS_TRACE_CC] = "cc",
    [NS_TRACE_NAT] = "nat",     [NS_TRACE_NDP] = "ndp",
};

const char *ns_trace_kind_name(NsTraceKind kind)
{
    return (unsigned)kind < NS_TRACE_KIND_COUNT ? kind_names[kind] : "?";
}

NsTracer *ns_tracer_new(void)
{
    NsTracer *t = g_new0(NsTracer, 1);
    t->sinks = g_array_new(FALSE, TRUE, sizeof(Sink));
    t->enabled = NS_TRACE_DEFAULT_KINDS;
    return t;
}

void ns_tracer_free(NsTracer *tracer)
{
    if (!tracer)
        return;
    for (guint i = 0; i < tracer->sinks->len; i++) {
        Sink *s = &g_array_index(tracer->sinks, Sink, i);
        if (s->ops->free)
            s->ops->free(s->self);
    }
    g_array_free(tracer->sinks, TRUE);
    g_free(tracer);
}

static void add_sink(NsTracer *tracer, const NsTraceSinkOps *ops, void *self, uint32_t mask,
                     bool payload)
{
    Sink s = {ops, self, mask, payload};
    g_array_append_val(tracer->sinks, s);
    tracer->pub.mask |= mask & tracer->enabled;
    if (payload)
        tracer->pub.payload_mask |= mask & tracer->enabled;
}

void ns_tracer_add_sink(NsTracer *tracer, const NsTraceSinkOps *ops, void *self, uint32_t mask)
{
    add_sink(tracer, ops, self, mask, true);
}

void ns_tracer_add_header_sink(NsTracer *tracer, const NsTraceSinkOps *ops, void *self,
                               uint32_t mask)
{
    add_sink(tracer, ops, self, mask, false);
}

void ns_tracer_set_kinds(NsTracer *tracer, uint32_t enabled)
{
    tracer->enabled = enabled;
    tracer->pub.mask = 0;
    tracer->pub.payload_mask = 0;
    for (guint i = 0; i < tracer->sinks->len; i++) {
        const Sink *s = &g_array_index(tracer->sinks, Sink, i);
        tracer->pub.mask |= s->mask & enabled;
        if (s->payload)
            tracer->pub.payload_mask |= s->mask & enabled;
    }
}

bool ns_tracer_close(NsTracer *tracer, GError **error)
{
    bool ok = true;
    for (guint i = 0; i < tracer->sinks->len; i++) {
        Sink *s = &g_array_index(tracer->sinks, Sink, i);
        if (!s->ops->close)
            continue;
        g_autoptr(GError) err = NULL;
        if (!s->ops->close(s->self, &err) && ok) {
            ok = false;
            g_propagate_error(error, g_steal_pointer(&err));
        }
    }
    return ok;
}

void ns_trace_emit(NsTracer *tracer, const NsTraceEvent *ev)
{
    if (!tracer)
        return;
    uint32_t bit = NS_TRACE_MASK(ev->kind);
    if (!(tracer->enabled & bit))
        return;
    for (guint i = 0; i < tracer->sinks->len; i++) {
        Sink *s = &g_array_index(tracer->sinks, Sink, i);
        if (s->mask & bit)
            s->ops->write(s->self, ev);
    }
}

#include <errno.h>
#include <string.h>

static const struct {
    int value;
    const char *name;
} errno_names[] = {
    {EACCES, "EACCES"},
    {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EAGAIN, "EAGAIN"},
    {EALREADY, "EALREADY"},
    {EBADF, "EBADF"},
    {ECONNABORTED, "ECONNABORTED"},
    {ECONNREFUSED, "ECONNREFUSED"},
    {ECONNRESET, "ECONNRESET"},
    {EDESTADDRREQ, "EDESTADDRREQ"},
    {EHOSTUNREACH, "EHOSTUNREACH"},
    {EINPROGRESS, "EINPROGRESS"},
    {EINVAL, "EINVAL"},
    {EISCONN, "EISCONN"},
    {EMSGSIZE, "EMSGSIZE"},
    {ENETDOWN, "ENETDOWN"},
    {ENETUNREACH, "ENETUNREACH"},
    {ENOBUFS, "ENOBUFS"},
    {ENOPROTOOPT, "ENOPROTOOPT"},
    {ENOTCONN, "ENOTCONN"},
    {EOPNOTSUPP, "EOPNOTSUPP"},
    {EPERM, "EPERM"},
    {EPIPE, "EPIPE"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
    {ETIMEDOUT, "ETIMEDOUT"},
};

const char *ns_neigh_state_name(NsNeighState state)
{
    switch (state) {
    case NS_NEIGH_INCOMPLETE:
        return "INCOMPLETE";
    case NS_NEIGH_REACHABLE:
        return "REACHABLE";
    case NS_NEIGH_STALE:
        return "STALE";
    case NS_NEIGH_DELAY:
        return "DELAY";
    case NS_NEIGH_PROBE:
        return "PROBE";
    }
    return "?";
}

const char *ns_errno_name(int err)
{
    for (size_t i = 0; i < G_N_ELEMENTS(errno_names); i++)
        if (errno_names[i].value == err)
            return errno_names[i].name;
    return NULL;
}

int ns_errno_from_name(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(errno_names); i++)
        if (strcmp(errno_names[i].name, name) == 0)
            return errno_names[i].value;
    return 0;
}
