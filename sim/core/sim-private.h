/* Engine internals shared with the core's tests and benchmark only: memory
 * and pool accounting, the full invariant checker, and a hook to move the
 * insertion counter (to test tie-breaking across its 32-bit boundary). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/sim.h"

/* Bytes the engine holds from the allocator: the NsSim itself, the event
 * pool, the bucket chunks and directories, and the near-future heap (the
 * capacity, not just the part in use). */
size_t ns_sim_mem_bytes(const NsSim *sim);

/* Number of pending events in the near-future heap (the rest are in the
 * radix buckets). */
size_t ns_sim_heap_size(const NsSim *sim);

/* Number of event records the pool can hold without growing. */
size_t ns_sim_pool_capacity(const NsSim *sim);

/* Walks every structure and checks every invariant (O(pending)); logs the
 * first violation with g_warning() and returns false. For tests and
 * g_assert() only. */
bool ns_sim_check(const NsSim *sim);

/* Sets the insertion counter that breaks ties between equal times. Only for
 * tests: the counter must never go back while events are pending. */
void ns_sim_set_next_seq(NsSim *sim, uint64_t seq);
