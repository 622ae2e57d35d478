/* What every layer of one run shares: the engine, the trace stream, the
 * packet pool and the scenario seed (for deriving random streams). */
#pragma once

#include <stdint.h>

#include "netsim/packet.h"
#include "netsim/sim.h"
#include "netsim/trace.h"

typedef struct {
    NsSim *sim;
    NsTracer *tracer; /* may have no sinks: check ns_tracer_wants() */
    NsPacketPool *pool;
    uint64_t seed;
} NsCtx;
