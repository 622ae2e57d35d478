/* Flow statistics (flows.c): its own type, fed by the trace stream. */
#pragma once

#include <glib.h>

#include "netsim/trace.h"
#include "netsim/world.h"

typedef struct NsFlows NsFlows;

/* (transfer full) empty counters; subscribed to `tracer`'s SEND, DROP and
 * NAT events when tracer is not NULL. They must outlive the tracer's
 * delivery of events. */
NsFlows *ns_flows_new(NsTracer *tracer);
void ns_flows_free(NsFlows *f);

/* Every flow, first-seen order; *n is set to the count. */
const NsWorldFlow *ns_flows_get(const NsFlows *f, size_t *n);
/* The summary's flow lines (nothing when no flow was seen). */
void ns_flows_summary(const NsFlows *f, GString *s);
