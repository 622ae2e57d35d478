/* Targeted faults of a scenario (`drop`, `delay`, `duplicate` of the Nth
 * packet of a kind from one host to another), with their own state. */
#pragma once

#include "netsim/host.h"
#include "netsim/link.h"
#include "netsim/scenario.h"

typedef struct NsTargeted NsTargeted;

/* Install the scenario's targeted faults on its hosts (one per scenario
 * host, in order) and segments; NULL when the scenario has none. The
 * hosts and segments must outlive it. */
NsTargeted *ns_targeted_new(const NsScenario *scn, NsHost *const *hosts, uint32_t n_hosts,
                            NsSegment *const *segs, uint32_t n_segs);
void ns_targeted_free(NsTargeted *t);
