/* Filters for people: the part of a run's trace one wants to read. A
 * filter keeps some kinds (--only, --hide), one host's story (--host) or
 * one socket's (--sock: the events with its id, the creation of the
 * sockets a listener accepts, and the packets it sends and receives). It sits between the tracer and the sinks it
 * filters: they subscribe to a tracer of their own, and the filter
 * forwards to it the events it keeps. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/trace.h"

typedef struct {
    uint32_t kinds;         /* NS_TRACE_MASK() of the kinds kept */
    const char *host;       /* keep this host's events, or NULL for all */
    const uint32_t *addrs;  /* the host's addresses (host byte order) */
    uint32_t n_addrs;
    uint32_t sock;          /* keep socket #sock's story (its events, its packets), or 0 */
    /* For a diagram: every RECV is forwarded (arrows are matched with them)
     * and --host keeps the packets sent to the host as well as its own. */
    bool for_diagram;
} NsTraceFilterOpts;

/* Parse "arp,timer,tcp" (kind names as the text trace's third column
 * shows them) into a mask. False, with *bad set to the first unknown name
 * (transfer full), when a name is no kind. */
bool ns_trace_kinds_parse(const char *list, uint32_t *mask, char **bad);

/* The kind names, comma separated, for messages: "app, sock, tcp, ...". */
const char *ns_trace_kind_list(void);

/* Forward to `sinks` (which the filter then owns: closed and freed with
 * `tracer`) the events of `tracer` that `opts` keeps. `opts` is copied;
 * its strings and addresses must outlive the tracer. */
void ns_trace_filter_attach(NsTracer *tracer, const NsTraceFilterOpts *opts, NsTracer *sinks);

/* The mask of kinds `sinks` subscribed to (to know what a filter must ask for). */
uint32_t ns_tracer_mask(const NsTracer *tracer);

