/* The discrete-event engine: one clock and one queue of pending events.
 *
 * Events are ordered by (time, insertion sequence), so events scheduled for
 * the same instant run in the order they were scheduled (ns-3's EventKey).
 * Event records come from an internal pool: scheduling does not malloc once
 * the pool has grown to the run's high-water mark. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/time.h"

typedef struct NsSim NsSim;

/* An event's action. `obj` and `arg` are the two pointers given at
 * scheduling time; the engine never looks at them. */
typedef void (*NsEventFn)(NsSim *sim, void *obj, void *arg);

/* A handle on a scheduled event. The zero value ({0}) names no event.
 * Handles carry a generation: a handle whose event already ran or was
 * cancelled is stale and cancels nothing. (The generation is the low 32 bits
 * of the event's insertion sequence; a handle also goes stale while its
 * event runs.) */
typedef struct {
    uint32_t slot; /* pool slot + 1; 0 = none */
    uint32_t gen;
} NsEventId;

#define NS_EVENT_NONE ((NsEventId){0, 0})

typedef enum {
    NS_SIM_EMPTY,   /* no event left */
    NS_SIM_STOPPED, /* ns_sim_stop() was called */
    NS_SIM_TIME,    /* the time limit was reached */
    NS_SIM_LIMIT,   /* the event limit was reached */
    NS_SIM_HORIZON, /* an event was due past NS_TIME_HORIZON: not run, run ended */
    NS_SIM_MEMORY,  /* never from ns_sim_run: a caller's memory limit was passed */
} NsSimResult;

/* (transfer full) a new engine at time 0 with no events. */
NsSim *ns_sim_new(void);
void ns_sim_free(NsSim *sim);

NsTime ns_sim_now(const NsSim *sim);

/* Schedule fn(sim, obj, arg) at now + delay (delay >= 0). A negative delay,
 * a time in the past or at NS_TIME_NEVER is a programming error: a critical
 * is logged and NS_EVENT_NONE returned. An event due past NS_TIME_HORIZON
 * is not scheduled (NS_EVENT_NONE); the run then ends with NS_SIM_HORIZON,
 * so that no event is ever dropped silently. Events may be scheduled, cancelled
 * and the engine stopped from inside a running event. */
NsEventId ns_sim_schedule(NsSim *sim, NsTime delay, NsEventFn fn, void *obj, void *arg);
/* Schedule at an absolute time, which must not be in the past. */
NsEventId ns_sim_schedule_at(NsSim *sim, NsTime at, NsEventFn fn, void *obj, void *arg);

/* Remove a pending event. Returns true if it was pending; *id is reset to
 * NS_EVENT_NONE in every case. Cancelling a stale or zero handle is a no-op. */
bool ns_sim_cancel(NsSim *sim, NsEventId *id);

/* True while the event is still waiting to run. */
bool ns_sim_is_pending(const NsSim *sim, NsEventId id);

/* The time at which a pending event will run (NS_TIME_NEVER if stale). */
NsTime ns_sim_event_time(const NsSim *sim, NsEventId id);

/* Run events in order until none is left, ns_sim_stop() is called, the next
 * event lies after `until` (the clock then advances to `until`; pass
 * NS_TIME_NEVER for no limit), or `max_events` events have run in this call
 * (0 = no limit). On NS_SIM_EMPTY the clock stays at the last event run.
 * `until` before now, or a call from inside an event, is a programming
 * error. */
NsSimResult ns_sim_run(NsSim *sim, NsTime until, uint64_t max_events);

/* Make ns_sim_run() return after the current event. Each ns_sim_run()
 * starts unstopped, so a stop requested outside a run is forgotten (ns-3). */
void ns_sim_stop(NsSim *sim);

/* Number of events waiting, and number run since creation. */
size_t ns_sim_pending(const NsSim *sim);
uint64_t ns_sim_events_run(const NsSim *sim);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsSim, ns_sim_free)
