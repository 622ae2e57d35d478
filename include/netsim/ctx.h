/* What every layer of one run shares: the engine, the trace stream, the
 * packet pool and the scenario seed (for deriving random streams). Its
 * contents are private to the simulator; the builder API (net.h) hands it
 * out by pointer only. */
#pragma once

typedef struct NsCtx NsCtx;
