/* Tests for the event engine (sim/core/sim.c): ordering by (time, insertion),
 * cancellation and stale handles, run limits, stop, pool reuse, and a
 * lockstep differential test against a sorted-array reference model.
 * Also defines the binary's suite table (runner.h). */
#include "netsim/sim.h"
#include "netsim/rng.h"
#include "runner.h"
#include "sim-private.h"

#include <CUnit/CUnit.h>
#include <glib.h>

/* ---- Fixture: one engine per test, and a trail of the events that ran --- */

#define TRAIL_MAX 4096

typedef struct {
    int n;
    int id[TRAIL_MAX];
    NsTime at[TRAIL_MAX];
} Trail;

static NsSim *sim;
static Trail trail;

static void setup(void)
{
    sim = ns_sim_new();
    trail.n = 0;
}

static void teardown(void)
{
    /* Every test leaves the engine consistent, whatever it did to it. */
    CU_ASSERT_TRUE(ns_sim_check(sim));
    ns_sim_free(sim);
    sim = NULL;
}

static void trail_add(NsSim *s, int id)
{
    g_assert(trail.n < TRAIL_MAX);
    trail.id[trail.n] = id;
    trail.at[trail.n++] = ns_sim_now(s);
}

static void record(NsSim *s, void *obj, void *arg)
{
    (void)obj;
    trail_add(s, GPOINTER_TO_INT(arg));
}

static NsEventId at(NsTime t, int id)
{
    return ns_sim_schedule_at(sim, t, record, NULL, GINT_TO_POINTER(id));
}

static bool trail_is(const int *ids, int n)
{
    if (trail.n != n)
        return false;
    for (int i = 0; i < n; i++)
        if (trail.id[i] != ids[i])
            return false;
    return true;
}

#define TRAIL_IS(...) \
    trail_is((const int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)))

/* An event that records its id, then acts on the engine from inside. */
typedef struct {
    int id;
    NsEventId *cancel; /* cancelled when the event runs */
    bool cancelled;    /* what ns_sim_cancel() returned */
    int spawn_id;      /* if non-zero, scheduled at now + spawn_delay */
    NsTime spawn_delay;
    bool stop;
    bool was_pending; /* ns_sim_is_pending() on its own handle, inside */
    NsEventId self;
} Action;

static void act(NsSim *s, void *obj, void *arg)
{
    Action *a = obj;
    (void)arg;
    trail_add(s, a->id);
    a->was_pending = ns_sim_is_pending(s, a->self);
    if (a->cancel)
        a->cancelled = ns_sim_cancel(s, a->cancel);
    if (a->spawn_id)
        ns_sim_schedule(s, a->spawn_delay, record, NULL, GINT_TO_POINTER(a->spawn_id));
    if (a->stop)
        ns_sim_stop(s);
}

static NsEventId act_at(NsTime t, Action *a)
{
    a->self = ns_sim_schedule_at(sim, t, act, a, NULL);
    return a->self;
}

/* Counts the g_return_if_fail() criticals of the core's log domain. */
static int criticals;

static void count_critical(const char *domain, GLogLevelFlags level, const char *msg, void *data)
{
    (void)domain, (void)level, (void)msg, (void)data;
    criticals++;
}

static unsigned expect_criticals(void)
{
    criticals = 0;
    return g_log_set_handler("netsim", G_LOG_LEVEL_CRITICAL, count_critical, NULL);
}

/* ==== Order ============================================================== */

static void test_run_orders_by_time(void)
{
    at(30, 3);
    at(10, 1);
    at(20, 2);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2, 3));
}

static void test_run_sets_clock_to_event_time(void)
{
    at(NS_US(7), 1);
    at(NS_MS(3), 2);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(trail.at[0], NS_US(7));
    CU_ASSERT_EQUAL(trail.at[1], NS_MS(3));
    CU_ASSERT_EQUAL(ns_sim_now(sim), NS_MS(3));
}

static void test_equal_times_run_fifo(void)
{
    for (int id = 1; id <= 5; id++)
        at(100, id);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2, 3, 4, 5));
}

static void test_equal_times_fifo_interleaved_with_other_times(void)
{
    const NsTime times[] = {300, 100, 200, 100, 300, 200, 100, 300, 200};
    for (int i = 0; i < 9; i++)
        at(times[i], i + 1);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(2, 4, 7, 3, 6, 9, 1, 5, 8));
}

static void test_equal_times_at_zero_run_fifo(void)
{
    for (int id = 1; id <= 300; id++)
        at(0, id);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(trail.n, 300);
    for (int i = 0; i < trail.n; i++)
        CU_ASSERT_EQUAL(trail.id[i], i + 1);
}

/* Cancelling neighbours reorders entries inside a far-future bucket; the
 * events sharing one time must still run in scheduling order. */
static void test_equal_times_fifo_survive_cancels_in_same_bucket(void)
{
    NsEventId fill[200];
    int n = 0;
    for (int i = 0; i < 200; i++) {
        fill[i] = at(NS_S(2) + i * 37, 1000 + i);
        if (i % 4 == 1)
            at(NS_S(2) + 50, ++n);
    }
    for (int i = 0; i < 200; i += 3)
        ns_sim_cancel(sim, &fill[i]);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    int seen = 0;
    for (int i = 0; i < trail.n; i++)
        if (trail.id[i] < 1000)
            CU_ASSERT_EQUAL(trail.id[i], ++seen);
    CU_ASSERT_EQUAL(seen, n);
}

static void hold(NsSim *s, void *obj, void *arg)
{
    NsRng *rng = obj;
    (void)arg;
    ns_sim_schedule(s, 1 + (NsTime)ns_rng_below(rng, NS_MS(1)), hold, rng, NULL);
}

static void test_equal_times_fifo_after_heavy_churn(void)
{
    NsRng rng;
    ns_rng_init(&rng, 7, "churn", 0);
    for (int i = 0; i < 2000; i++)
        ns_sim_schedule(sim, (NsTime)ns_rng_below(&rng, NS_MS(1)), hold, &rng, NULL);
    ns_sim_run(sim, NS_TIME_NEVER, 100000);
    const NsTime t = ns_sim_now(sim) + NS_US(500);
    for (int id = 1; id <= 100; id++)
        at(t, id);
    ns_sim_run(sim, t, 0);
    CU_ASSERT_EQUAL(trail.n, 100);
    for (int i = 0; i < trail.n; i++)
        CU_ASSERT_EQUAL(trail.id[i], i + 1);
}

/* Ties are broken by a 48-bit sequence whose low half lives in the bucket
 * entry: the order must hold where the low half wraps. */
static void test_equal_times_fifo_across_sequence_low_word_wrap(void)
{
    ns_sim_set_next_seq(sim, (UINT64_C(1) << 32) - 3);
    for (int id = 1; id <= 6; id++)
        at(NS_S(5), id);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2, 3, 4, 5, 6));
}

static void test_zero_delay_from_event_runs_after_peers_at_same_time(void)
{
    Action a = {.id = 1, .spawn_id = 9, .spawn_delay = 0};
    act_at(50, &a);
    at(50, 2);
    at(51, 3);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2, 9, 3));
    CU_ASSERT_EQUAL(trail.at[2], 50);
}

/* Zero-delay events go to the engine's ring of events at the current
 * time: they must keep (time, insertion) order with the heap's. */
static NsEventId ring_ids[200];

static void spawn_now(NsSim *s, void *obj, void *arg)
{
    (void)obj;
    int id = GPOINTER_TO_INT(arg);
    trail_add(s, id);
    if (id == 1) { /* 100..199 at now, every third cancelled, and a check */
        for (int k = 100; k < 200; k++)
            ring_ids[k] = ns_sim_schedule(s, 0, spawn_now, NULL, GINT_TO_POINTER(k));
        for (int k = 100; k < 200; k += 3)
            CU_ASSERT_TRUE(ns_sim_cancel(s, &ring_ids[k]));
        CU_ASSERT_EQUAL(ns_sim_event_time(s, ring_ids[101]), ns_sim_now(s));
        CU_ASSERT_TRUE(ns_sim_check(s));
    } else if (id == 101) {
        ns_sim_schedule(s, 0, spawn_now, NULL, GINT_TO_POINTER(300));
    }
}

static void test_zero_delay_events_keep_order_through_ring_growth_and_cancels(void)
{
    ns_sim_schedule_at(sim, 50, spawn_now, NULL, GINT_TO_POINTER(1));
    at(50, 2);
    at(51, 3);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    int want[80], n = 0;
    want[n++] = 1;
    want[n++] = 2;
    for (int k = 100; k < 200; k++)
        if ((k - 100) % 3 != 0)
            want[n++] = k;
    want[n++] = 300;
    want[n++] = 3;
    CU_ASSERT_TRUE(trail_is(want, n));
    CU_ASSERT_EQUAL(trail.at[n - 2], 50);
}

static void test_zero_delay_event_left_by_stop_runs_before_later_schedules(void)
{
    Action a = {.id = 1, .spawn_id = 9, .spawn_delay = 0, .stop = true};
    act_at(10, &a);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1));
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 1);
    at(10, 2); /* outside a run, at the same time: after 9 */
    CU_ASSERT_TRUE(ns_sim_check(sim));
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 9, 2));
}

/* ==== Scheduling from inside events ====================================== */

static void test_event_schedules_chain(void)
{
    Action a = {.id = 1, .spawn_id = 2, .spawn_delay = NS_MS(5)};
    act_at(NS_MS(1), &a);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
    CU_ASSERT_EQUAL(trail.at[1], NS_MS(6));
}

static void test_event_schedules_before_pending_event(void)
{
    Action a = {.id = 1, .spawn_id = 2, .spawn_delay = 5};
    act_at(10, &a);
    at(20, 3);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2, 3));
}

static void test_schedule_delay_is_relative_to_now(void)
{
    at(NS_MS(2), 1);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    NsEventId id = ns_sim_schedule(sim, NS_MS(3), record, NULL, GINT_TO_POINTER(2));
    CU_ASSERT_EQUAL(ns_sim_event_time(sim, id), NS_MS(5));
}

static void test_schedule_in_past_is_rejected(void)
{
    at(100, 1);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    unsigned h = expect_criticals();
    NsEventId id = at(99, 2);
    g_log_remove_handler("netsim", h);
    CU_ASSERT_EQUAL(criticals, 1);
    CU_ASSERT_EQUAL(id.slot, 0);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 0);
}

static void test_schedule_negative_delay_is_rejected(void)
{
    unsigned h = expect_criticals();
    NsEventId id = ns_sim_schedule(sim, -1, record, NULL, NULL);
    g_log_remove_handler("netsim", h);
    CU_ASSERT_EQUAL(criticals, 1);
    CU_ASSERT_EQUAL(id.slot, 0);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 0);
}

static void test_schedule_at_never_is_rejected(void)
{
    unsigned h = expect_criticals();
    NsEventId id = at(NS_TIME_NEVER, 1);
    g_log_remove_handler("netsim", h);
    CU_ASSERT_EQUAL(criticals, 1);
    CU_ASSERT_EQUAL(id.slot, 0);
}

static void test_schedule_at_horizon_runs(void)
{
    at(NS_TIME_HORIZON, 2);
    at(0, 1);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
    CU_ASSERT_EQUAL(ns_sim_now(sim), NS_TIME_HORIZON);
}

/* An event due past the horizon is not scheduled, and the run says so
 * instead of going on without it. */
static void test_schedule_past_horizon_ends_the_run(void)
{
    NsEventId id = at(NS_TIME_HORIZON + 1, 2);
    CU_ASSERT_EQUAL(id.slot, 0);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 0);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_HORIZON);
    CU_ASSERT_EQUAL(trail.n, 0);
}

static void test_schedule_delay_past_horizon_ends_the_run(void)
{
    at(10, 1);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    NsEventId id = ns_sim_schedule(sim, NS_TIME_HORIZON - 9, record, NULL, NULL);
    CU_ASSERT_EQUAL(id.slot, 0);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_HORIZON);
}

/* ==== Handles ============================================================ */

static void test_handle_of_scheduled_event_is_pending(void)
{
    NsEventId id = at(10, 1);
    CU_ASSERT_NOT_EQUAL(id.slot, 0);
    CU_ASSERT_TRUE(ns_sim_is_pending(sim, id));
    CU_ASSERT_EQUAL(ns_sim_event_time(sim, id), 10);
}

static void test_handle_is_stale_after_event_ran(void)
{
    NsEventId id = at(10, 1);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_FALSE(ns_sim_is_pending(sim, id));
    CU_ASSERT_EQUAL(ns_sim_event_time(sim, id), NS_TIME_NEVER);
}

static void test_zero_handle_names_no_event(void)
{
    NsEventId id = NS_EVENT_NONE;
    at(10, 1);
    CU_ASSERT_FALSE(ns_sim_is_pending(sim, id));
    CU_ASSERT_FALSE(ns_sim_cancel(sim, &id));
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 1);
}

static void test_handle_out_of_pool_range_is_stale(void)
{
    NsEventId id = {.slot = 1000, .gen = 0};
    at(10, 1);
    CU_ASSERT_FALSE(ns_sim_is_pending(sim, id));
    CU_ASSERT_FALSE(ns_sim_cancel(sim, &id));
}

static void test_running_event_sees_own_handle_stale(void)
{
    Action a = {.id = 1};
    act_at(10, &a);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_FALSE(a.was_pending);
}

/* ==== Cancellation ======================================================= */

static void test_cancel_earliest_event(void)
{
    NsEventId first = at(10, 1);
    at(20, 2);
    at(30, 3);
    CU_ASSERT_TRUE(ns_sim_cancel(sim, &first));
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(2, 3));
}

static void test_cancel_middle_event(void)
{
    at(10, 1);
    NsEventId mid = at(20, 2);
    at(30, 3);
    CU_ASSERT_TRUE(ns_sim_cancel(sim, &mid));
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 3));
}

static void test_cancel_latest_event(void)
{
    at(10, 1);
    at(20, 2);
    NsEventId last = at(NS_S(100), 3);
    CU_ASSERT_TRUE(ns_sim_cancel(sim, &last));
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
}

static void test_cancel_one_of_equal_times_keeps_fifo(void)
{
    at(10, 1);
    NsEventId two = at(10, 2);
    at(10, 3);
    at(10, 4);
    ns_sim_cancel(sim, &two);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 3, 4));
}

static void test_cancel_resets_handle(void)
{
    NsEventId id = at(10, 1);
    ns_sim_cancel(sim, &id);
    CU_ASSERT_EQUAL(id.slot, 0);
    CU_ASSERT_EQUAL(id.gen, 0);
}

static void test_cancel_twice_second_is_noop(void)
{
    NsEventId id = at(10, 1);
    NsEventId copy = id;
    CU_ASSERT_TRUE(ns_sim_cancel(sim, &id));
    CU_ASSERT_FALSE(ns_sim_cancel(sim, &copy));
    CU_ASSERT_EQUAL(copy.slot, 0);
}

/* The pool reuses the record of a finished event at once, so a stale handle
 * names a live slot; its generation must keep it from matching. */
static void test_stale_handle_does_not_cancel_event_reusing_slot(void)
{
    NsEventId old = at(10, 1);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    NsEventId fresh = at(20, 2);
    CU_ASSERT_EQUAL(fresh.slot, old.slot);
    CU_ASSERT_FALSE(ns_sim_cancel(sim, &old));
    CU_ASSERT_TRUE(ns_sim_is_pending(sim, fresh));
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
}

static void test_stale_handle_after_cancel_does_not_cancel_reused_slot(void)
{
    NsEventId old = at(10, 1);
    NsEventId copy = old;
    ns_sim_cancel(sim, &old);
    NsEventId fresh = at(10, 2);
    CU_ASSERT_EQUAL(fresh.slot, copy.slot);
    CU_ASSERT_FALSE(ns_sim_cancel(sim, &copy));
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 1);
}

static void test_event_cancels_peer_at_same_time(void)
{
    NsEventId peer;
    Action a = {.id = 1, .cancel = &peer};
    act_at(10, &a);
    peer = at(10, 2);
    at(10, 3);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(a.cancelled);
    CU_ASSERT_TRUE(TRAIL_IS(1, 3));
}

static void test_event_cancels_later_event(void)
{
    NsEventId later;
    Action a = {.id = 1, .cancel = &later};
    act_at(10, &a);
    later = at(NS_S(3), 2);
    at(NS_S(4), 3);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(a.cancelled);
    CU_ASSERT_TRUE(TRAIL_IS(1, 3));
}

static void test_event_cancelling_itself_is_noop(void)
{
    Action a = {.id = 1, .cancel = &a.self};
    act_at(10, &a);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_FALSE(a.cancelled);
    CU_ASSERT_TRUE(TRAIL_IS(1));
}

static void test_cancel_every_event_leaves_queue_empty(void)
{
    NsEventId ids[100];
    for (int i = 0; i < 100; i++)
        ids[i] = at((i * 7919) % 1000 * NS_US(1), i);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_TRUE(ns_sim_cancel(sim, &ids[(i * 37) % 100]));
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 0);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    CU_ASSERT_EQUAL(trail.n, 0);
}

/* ==== Run: limits, stop ================================================== */

static void test_free_null_is_noop(void)
{
    ns_sim_free(NULL);
    CU_PASS("ns_sim_free(NULL) returned");
}

static void test_run_with_no_event_returns_empty(void)
{
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    CU_ASSERT_EQUAL(ns_sim_now(sim), 0);
}

static void test_run_until_moves_clock_to_until(void)
{
    at(10, 1);
    at(50, 2);
    CU_ASSERT_EQUAL(ns_sim_run(sim, 30, 0), NS_SIM_TIME);
    CU_ASSERT_EQUAL(ns_sim_now(sim), 30);
    CU_ASSERT_TRUE(TRAIL_IS(1));
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 1);
}

static void test_run_until_leaves_later_events_for_next_run(void)
{
    at(10, 1);
    at(50, 2);
    ns_sim_run(sim, 30, 0);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
    CU_ASSERT_EQUAL(ns_sim_now(sim), 50);
}

static void test_run_until_runs_events_at_until(void)
{
    at(30, 1);
    at(30, 2);
    at(31, 3);
    CU_ASSERT_EQUAL(ns_sim_run(sim, 30, 0), NS_SIM_TIME);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
}

/* After a time-limited run has looked at a far event, an event scheduled
 * between the new clock and that event must still come first. */
static void test_run_until_then_earlier_event_runs_first(void)
{
    at(NS_S(10), 2);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_S(1), 0), NS_SIM_TIME);
    at(NS_S(1) + NS_MS(1), 1);
    at(NS_S(10), 3);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2, 3));
}

/* The near-future heap takes every event below its window's end; looking at
 * a far event must not stretch that window out to it. */
static void test_run_until_leaves_far_event_out_of_heap(void)
{
    at(NS_S(10), 1);
    ns_sim_run(sim, NS_S(1), 0);
    for (int i = 0; i < 1000; i++)
        at(NS_S(1) + i * NS_MS(8), 2);
    CU_ASSERT_EQUAL(ns_sim_heap_size(sim), 0);
}

static void test_sparse_far_events_do_not_widen_heap_window(void)
{
    for (int i = 0; i < 10; i++)
        at(NS_S(5) + i * NS_MS(400), 1);
    ns_sim_run(sim, NS_TIME_NEVER, 1);
    for (int i = 0; i < 1000; i++)
        ns_sim_schedule(sim, NS_MS(1) + i * NS_MS(3), record, NULL, GINT_TO_POINTER(2));
    CU_ASSERT_TRUE(ns_sim_heap_size(sim) < 20);
}

static void test_run_until_empty_queue_keeps_clock(void)
{
    at(10, 1);
    CU_ASSERT_EQUAL(ns_sim_run(sim, 100, 0), NS_SIM_EMPTY);
    CU_ASSERT_EQUAL(ns_sim_now(sim), 10);
}

static void test_run_until_before_now_is_rejected(void)
{
    at(10, 1);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    unsigned h = expect_criticals();
    ns_sim_run(sim, 5, 0);
    g_log_remove_handler("netsim", h);
    CU_ASSERT_EQUAL(criticals, 1);
    CU_ASSERT_EQUAL(ns_sim_now(sim), 10);
}

static void test_event_limit_stops_after_n_events(void)
{
    for (int id = 1; id <= 5; id++)
        at(id, id);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 2), NS_SIM_LIMIT);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 3);
    CU_ASSERT_EQUAL(ns_sim_now(sim), 2);
}

static void test_event_limit_counts_per_call(void)
{
    for (int id = 1; id <= 5; id++)
        at(id, id);
    ns_sim_run(sim, NS_TIME_NEVER, 2);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 2), NS_SIM_LIMIT);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2, 3, 4));
}

static void test_stop_returns_after_current_event(void)
{
    Action b = {.id = 2, .stop = true};
    at(1, 1);
    act_at(2, &b);
    at(2, 3);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_STOPPED);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 1);
}

static void test_run_after_stop_continues(void)
{
    Action a = {.id = 1, .stop = true};
    act_at(1, &a);
    at(2, 2);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    CU_ASSERT_TRUE(TRAIL_IS(1, 2));
}

static void test_stop_outside_run_does_not_affect_next_run(void)
{
    at(1, 1);
    ns_sim_stop(sim);
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    CU_ASSERT_TRUE(TRAIL_IS(1));
}

static void nested_run(NsSim *s, void *obj, void *arg)
{
    (void)arg;
    *(NsSimResult *)obj = ns_sim_run(s, NS_TIME_NEVER, 0);
}

static void test_run_from_inside_event_is_rejected(void)
{
    NsSimResult inner = NS_SIM_EMPTY;
    ns_sim_schedule_at(sim, 1, nested_run, &inner, NULL);
    at(2, 2);
    unsigned h = expect_criticals();
    CU_ASSERT_EQUAL(ns_sim_run(sim, NS_TIME_NEVER, 0), NS_SIM_EMPTY);
    g_log_remove_handler("netsim", h);
    CU_ASSERT_EQUAL(criticals, 1);
    CU_ASSERT_EQUAL(inner, NS_SIM_STOPPED);
    CU_ASSERT_TRUE(TRAIL_IS(2));
}

/* ==== Counters =========================================================== */

static void test_pending_counts_schedule_and_cancel(void)
{
    at(1, 1);
    NsEventId b = at(2, 2);
    at(3, 3);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 3);
    ns_sim_cancel(sim, &b);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 2);
}

static void test_events_run_counts_across_runs(void)
{
    for (int id = 1; id <= 4; id++)
        at(id * 10, id);
    ns_sim_run(sim, 20, 0);
    CU_ASSERT_EQUAL(ns_sim_events_run(sim), 2);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(ns_sim_events_run(sim), 4);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 0);
}

static void test_cancelled_events_are_not_counted_as_run(void)
{
    NsEventId a = at(1, 1);
    at(2, 2);
    ns_sim_cancel(sim, &a);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(ns_sim_events_run(sim), 1);
}

/* ==== Memory: pool reuse ================================================= */

/* Besides the pool, the engine only allocates a small chunk directory for a
 * bucket it uses for the first time (at most 2048 buckets, 16 bytes each);
 * as the clock moves on, new buckets keep coming into use for a while. */
#define FIRST_USE_BYTES (2048 * 16)

static void test_pool_does_not_grow_in_steady_state(void)
{
    NsRng rng;
    ns_rng_init(&rng, 1, "pool", 0);
    for (int i = 0; i < 5000; i++)
        ns_sim_schedule(sim, (NsTime)ns_rng_below(&rng, NS_MS(1)), hold, &rng, NULL);
    ns_sim_run(sim, NS_TIME_NEVER, 200000);
    const size_t cap = ns_sim_pool_capacity(sim);
    const size_t bytes = ns_sim_mem_bytes(sim);
    ns_sim_run(sim, NS_TIME_NEVER, 500000);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 5000);
    CU_ASSERT_EQUAL(ns_sim_pool_capacity(sim), cap);
    CU_ASSERT_TRUE(ns_sim_mem_bytes(sim) < bytes + FIRST_USE_BYTES);
    CU_ASSERT_TRUE(cap < 2 * 5000);
}

/* 300,000 events in one bucket, five per time: the pool passes 8 MiB (and
 * grows by huge-page blocks), the bucket's chunk directory passes the size
 * kept for reuse, and order still holds. */
typedef struct {
    NsTime time;
    int id;
    int disorder;
    int ran;
} OrderCheck;

static void check_order(NsSim *s, void *obj, void *arg)
{
    OrderCheck *c = obj;
    const int id = GPOINTER_TO_INT(arg);
    const NsTime t = ns_sim_now(s);
    if (c->ran > 0 && !(t > c->time || (t == c->time && id > c->id)))
        c->disorder++;
    c->time = t;
    c->id = id;
    c->ran++;
}

static void test_large_bucket_keeps_order_and_releases_memory(void)
{
    enum { N = 300000 };
    OrderCheck c = {0};
    for (int i = 0; i < N; i++)
        ns_sim_schedule_at(sim, NS_S(1) + (NsTime)i * 7919 % (N / 5), check_order, &c,
                           GINT_TO_POINTER(i));
    CU_ASSERT_TRUE(ns_sim_mem_bytes(sim) > (size_t)N * 48);
    CU_ASSERT_TRUE(ns_sim_check(sim));
    ns_sim_run(sim, NS_TIME_NEVER, N / 2);
    CU_ASSERT_TRUE(ns_sim_check(sim));
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(c.ran, N);
    CU_ASSERT_EQUAL(c.disorder, 0);
}

/* TCP re-arms its retransmission timer on every ACK: cancellation must free
 * the record and the queue entry at once, not leave a tombstone behind. */
typedef struct {
    NsRng rng;
    NsEventId rto;
} Flow;

static void rto_expired(NsSim *s, void *obj, void *arg)
{
    (void)s, (void)obj, (void)arg;
    CU_FAIL("retransmission timer fired");
}

static void ack_arrives(NsSim *s, void *obj, void *arg)
{
    Flow *f = obj;
    (void)arg;
    ns_sim_cancel(s, &f->rto);
    f->rto = ns_sim_schedule(s, NS_MS(200), rto_expired, f, NULL);
    ns_sim_schedule(s, 1 + (NsTime)ns_rng_below(&f->rng, NS_US(100)), ack_arrives, f, NULL);
}

static void test_rearmed_timers_keep_queue_and_pool_constant(void)
{
    Flow flows[50];
    for (int i = 0; i < 50; i++) {
        ns_rng_init(&flows[i].rng, 3, "flow", (uint64_t)i);
        flows[i].rto = NS_EVENT_NONE;
        ns_sim_schedule(sim, i, ack_arrives, &flows[i], NULL);
    }
    ns_sim_run(sim, NS_TIME_NEVER, 10000);
    const size_t cap = ns_sim_pool_capacity(sim);
    const size_t bytes = ns_sim_mem_bytes(sim);
    ns_sim_run(sim, NS_TIME_NEVER, 200000);
    CU_ASSERT_EQUAL(ns_sim_pending(sim), 100);
    CU_ASSERT_EQUAL(ns_sim_pool_capacity(sim), cap);
    CU_ASSERT_TRUE(ns_sim_mem_bytes(sim) < bytes + FIRST_USE_BYTES);
}

/* ==== Differential test against a reference model ========================
 *
 * The model keeps pending events in an array and pops the least
 * (time, order of scheduling) by linear scan. Every event checks, when it
 * runs, that it is the model's minimum, then schedules and cancels at random
 * through the same helpers the driver uses between runs. */

typedef struct {
    NsTime time;
    uint64_t order;
    int id;
    NsEventId handle;
} RefEvent;

typedef struct {
    GArray *pending; /* RefEvent */
    GArray *stale;   /* NsEventId of events gone */
    uint64_t order;
    int next_id;
    NsRng rng;
    uint64_t ran;
    uint64_t mismatches;
} Model;

static void model_event(NsSim *s, void *obj, void *arg);

static NsTime model_delay(Model *m)
{
    NsRng *r = &m->rng;
    switch (ns_rng_below(r, 8)) {
    case 0:
        return 0;
    case 1:
        return (NsTime)ns_rng_below(r, 256);
    case 2:
        return (NsTime)ns_rng_below(r, 1 << 16);
    case 3:
        return (NsTime)ns_rng_below(r, UINT64_C(1) << 32);
    case 4:
        return (NsTime)ns_rng_below(r, UINT64_C(1) << 44);
    case 5: /* the time of a pending event: a tie */
        if (m->pending->len > 0) {
            const RefEvent *e =
                &g_array_index(m->pending, RefEvent, ns_rng_below(r, m->pending->len));
            return e->time - ns_sim_now(sim);
        }
        return 1;
    default:
        return (NsTime)ns_rng_below(r, 1 << 12);
    }
}

static void model_schedule(Model *m)
{
    RefEvent e = {.time = ns_sim_now(sim) + model_delay(m), .order = m->order++};
    e.id = m->next_id++;
    e.handle = ns_sim_schedule_at(sim, e.time, model_event, m, GINT_TO_POINTER(e.id));
    g_array_append_val(m->pending, e);
}

static void model_cancel(Model *m)
{
    if (m->pending->len == 0)
        return;
    const unsigned i = (unsigned)ns_rng_below(&m->rng, m->pending->len);
    RefEvent e = g_array_index(m->pending, RefEvent, i);
    NsEventId h = e.handle;
    if (!ns_sim_cancel(sim, &h))
        m->mismatches++;
    g_array_remove_index_fast(m->pending, i);
    g_array_append_val(m->stale, e.handle);
}

static void model_cancel_stale(Model *m)
{
    if (m->stale->len == 0)
        return;
    NsEventId h = g_array_index(m->stale, NsEventId, ns_rng_below(&m->rng, m->stale->len));
    const size_t before = ns_sim_pending(sim);
    if (ns_sim_cancel(sim, &h) || ns_sim_pending(sim) != before)
        m->mismatches++;
}

static void model_check_handle(Model *m)
{
    if (m->pending->len == 0)
        return;
    const RefEvent *e =
        &g_array_index(m->pending, RefEvent, ns_rng_below(&m->rng, m->pending->len));
    if (!ns_sim_is_pending(sim, e->handle) || ns_sim_event_time(sim, e->handle) != e->time)
        m->mismatches++;
}

static void model_random_ops(Model *m, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        const uint64_t what = ns_rng_below(&m->rng, 10);
        if (what < 5)
            model_schedule(m);
        else if (what < 8)
            model_cancel(m);
        else if (what < 9)
            model_cancel_stale(m);
        else
            model_check_handle(m);
    }
}

static int model_min(const Model *m)
{
    int best = -1;
    for (unsigned i = 0; i < m->pending->len; i++) {
        const RefEvent *e = &g_array_index(m->pending, RefEvent, i);
        const RefEvent *b = best < 0 ? NULL : &g_array_index(m->pending, RefEvent, best);
        if (!b || e->time < b->time || (e->time == b->time && e->order < b->order))
            best = (int)i;
    }
    return best;
}

static void model_event(NsSim *s, void *obj, void *arg)
{
    Model *m = obj;
    const int best = model_min(m);
    const RefEvent e = best < 0 ? (RefEvent){0} : g_array_index(m->pending, RefEvent, best);
    if (best < 0 || e.id != GPOINTER_TO_INT(arg) || e.time != ns_sim_now(s)) {
        m->mismatches++;
        return;
    }
    g_array_remove_index_fast(m->pending, (unsigned)best);
    g_array_append_val(m->stale, e.handle);
    m->ran++;
    model_random_ops(m, (unsigned)ns_rng_below(&m->rng, 4));
}

static void run_differential(uint64_t seed, uint64_t first_seq)
{
    Model m = {.pending = g_array_new(false, false, sizeof(RefEvent)),
               .stale = g_array_new(false, false, sizeof(NsEventId))};
    ns_rng_init(&m.rng, seed, "differential", 0);
    ns_sim_set_next_seq(sim, first_seq);
    for (int round = 0; round < 400 && m.mismatches == 0; round++) {
        model_random_ops(&m, 1 + (unsigned)ns_rng_below(&m.rng, 40));
        const NsTime horizon = (NsTime)ns_rng_below(&m.rng, UINT64_C(1) << 34);
        const NsTime until =
            ns_rng_below(&m.rng, 4) == 0 ? NS_TIME_NEVER : ns_sim_now(sim) + horizon;
        const uint64_t limit = ns_rng_below(&m.rng, 50);
        const uint64_t ran_before = m.ran;
        const NsSimResult r = ns_sim_run(sim, until, limit);
        const int next = model_min(&m);
        switch (r) {
        case NS_SIM_EMPTY:
            CU_ASSERT_EQUAL(next, -1);
            break;
        case NS_SIM_TIME:
            CU_ASSERT_EQUAL(ns_sim_now(sim), until);
            CU_ASSERT_TRUE(next >= 0 && g_array_index(m.pending, RefEvent, next).time > until);
            break;
        case NS_SIM_LIMIT:
            CU_ASSERT_EQUAL(m.ran - ran_before, limit);
            break;
        case NS_SIM_STOPPED:
            CU_FAIL("no event stops");
            break;
        case NS_SIM_HORIZON:
            CU_FAIL("no event is due past the horizon");
            break;
        case NS_SIM_MEMORY:
            CU_FAIL("the engine watches no memory");
            break;
        }
        CU_ASSERT_EQUAL(ns_sim_pending(sim), m.pending->len);
        CU_ASSERT_EQUAL(ns_sim_events_run(sim), m.ran);
        if (round % 50 == 0)
            CU_ASSERT_TRUE(ns_sim_check(sim));
    }
    CU_ASSERT_EQUAL(m.mismatches, 0);
    CU_ASSERT_TRUE(m.ran > 1000);
    g_array_free(m.pending, true);
    g_array_free(m.stale, true);
}

static void test_matches_reference_model_seed_1(void)
{
    run_differential(1, 0);
}

static void test_matches_reference_model_seed_2(void)
{
    run_differential(2, 0);
}

static void test_matches_reference_model_seed_3(void)
{
    run_differential(3, 0);
}

static void test_matches_reference_model_seed_4_across_sequence_wrap(void)
{
    run_differential(4, (UINT64_C(1) << 32) - 2000);
}

static void test_matches_reference_model_seed_5(void)
{
    run_differential(5, 12345);
}

/* ==== Suite table ======================================================== */

static CU_TestInfo sim_tests[] = {
    {"run_orders_by_time", test_run_orders_by_time},
    {"run_sets_clock_to_event_time", test_run_sets_clock_to_event_time},
    {"equal_times_run_fifo", test_equal_times_run_fifo},
    {"equal_times_fifo_interleaved_with_other_times",
     test_equal_times_fifo_interleaved_with_other_times},
    {"equal_times_at_zero_run_fifo", test_equal_times_at_zero_run_fifo},
    {"equal_times_fifo_survive_cancels_in_same_bucket",
     test_equal_times_fifo_survive_cancels_in_same_bucket},
    {"equal_times_fifo_after_heavy_churn", test_equal_times_fifo_after_heavy_churn},
    {"equal_times_fifo_across_sequence_low_word_wrap",
     test_equal_times_fifo_across_sequence_low_word_wrap},
    {"zero_delay_from_event_runs_after_peers_at_same_time",
     test_zero_delay_from_event_runs_after_peers_at_same_time},
    {"zero_delay_events_keep_order_through_ring_growth_and_cancels",
     test_zero_delay_events_keep_order_through_ring_growth_and_cancels},
    {"zero_delay_event_left_by_stop_runs_before_later_schedules",
     test_zero_delay_event_left_by_stop_runs_before_later_schedules},
    {"event_schedules_chain", test_event_schedules_chain},
    {"event_schedules_before_pending_event", test_event_schedules_before_pending_event},
    {"schedule_delay_is_relative_to_now", test_schedule_delay_is_relative_to_now},
    {"schedule_in_past_is_rejected", test_schedule_in_past_is_rejected},
    {"schedule_negative_delay_is_rejected", test_schedule_negative_delay_is_rejected},
    {"schedule_at_never_is_rejected", test_schedule_at_never_is_rejected},
    {"schedule_at_horizon_runs", test_schedule_at_horizon_runs},
    {"schedule_past_horizon_ends_the_run", test_schedule_past_horizon_ends_the_run},
    {"schedule_delay_past_horizon_ends_the_run", test_schedule_delay_past_horizon_ends_the_run},
    {"handle_of_scheduled_event_is_pending", test_handle_of_scheduled_event_is_pending},
    {"handle_is_stale_after_event_ran", test_handle_is_stale_after_event_ran},
    {"zero_handle_names_no_event", test_zero_handle_names_no_event},
    {"handle_out_of_pool_range_is_stale", test_handle_out_of_pool_range_is_stale},
    {"running_event_sees_own_handle_stale", test_running_event_sees_own_handle_stale},
    {"cancel_earliest_event", test_cancel_earliest_event},
    {"cancel_middle_event", test_cancel_middle_event},
    {"cancel_latest_event", test_cancel_latest_event},
    {"cancel_one_of_equal_times_keeps_fifo", test_cancel_one_of_equal_times_keeps_fifo},
    {"cancel_resets_handle", test_cancel_resets_handle},
    {"cancel_twice_second_is_noop", test_cancel_twice_second_is_noop},
    {"stale_handle_does_not_cancel_event_reusing_slot",
     test_stale_handle_does_not_cancel_event_reusing_slot},
    {"stale_handle_after_cancel_does_not_cancel_reused_slot",
     test_stale_handle_after_cancel_does_not_cancel_reused_slot},
    {"event_cancels_peer_at_same_time", test_event_cancels_peer_at_same_time},
    {"event_cancels_later_event", test_event_cancels_later_event},
    {"event_cancelling_itself_is_noop", test_event_cancelling_itself_is_noop},
    {"cancel_every_event_leaves_queue_empty", test_cancel_every_event_leaves_queue_empty},
    {"free_null_is_noop", test_free_null_is_noop},
    {"run_with_no_event_returns_empty", test_run_with_no_event_returns_empty},
    {"run_until_moves_clock_to_until", test_run_until_moves_clock_to_until},
    {"run_until_leaves_later_events_for_next_run",
     test_run_until_leaves_later_events_for_next_run},
    {"run_until_runs_events_at_until", test_run_until_runs_events_at_until},
    {"run_until_then_earlier_event_runs_first", test_run_until_then_earlier_event_runs_first},
    {"run_until_leaves_far_event_out_of_heap", test_run_until_leaves_far_event_out_of_heap},
    {"sparse_far_events_do_not_widen_heap_window",
     test_sparse_far_events_do_not_widen_heap_window},
    {"run_until_empty_queue_keeps_clock", test_run_until_empty_queue_keeps_clock},
    {"run_until_before_now_is_rejected", test_run_until_before_now_is_rejected},
    {"event_limit_stops_after_n_events", test_event_limit_stops_after_n_events},
    {"event_limit_counts_per_call", test_event_limit_counts_per_call},
    {"stop_returns_after_current_event", test_stop_returns_after_current_event},
    {"run_after_stop_continues", test_run_after_stop_continues},
    {"stop_outside_run_does_not_affect_next_run", test_stop_outside_run_does_not_affect_next_run},
    {"run_from_inside_event_is_rejected", test_run_from_inside_event_is_rejected},
    {"pending_counts_schedule_and_cancel", test_pending_counts_schedule_and_cancel},
    {"events_run_counts_across_runs", test_events_run_counts_across_runs},
    {"cancelled_events_are_not_counted_as_run", test_cancelled_events_are_not_counted_as_run},
    {"pool_does_not_grow_in_steady_state", test_pool_does_not_grow_in_steady_state},
    {"large_bucket_keeps_order_and_releases_memory",
     test_large_bucket_keeps_order_and_releases_memory},
    {"rearmed_timers_keep_queue_and_pool_constant",
     test_rearmed_timers_keep_queue_and_pool_constant},
    {"matches_reference_model_seed_1", test_matches_reference_model_seed_1},
    {"matches_reference_model_seed_2", test_matches_reference_model_seed_2},
    {"matches_reference_model_seed_3", test_matches_reference_model_seed_3},
    {"matches_reference_model_seed_4_across_sequence_wrap",
     test_matches_reference_model_seed_4_across_sequence_wrap},
    {"matches_reference_model_seed_5", test_matches_reference_model_seed_5},
    CU_TEST_INFO_NULL,
};

/* Defined in test_rng.c. */
extern CU_TestInfo ns_rng_tests[];
extern CU_TestInfo ns_packet_tests[];
int ns_packet_suite_init(void);
int ns_packet_suite_clean(void);

CU_SuiteInfo ns_test_suites[] = {
    {"sim", NULL, NULL, setup, teardown, sim_tests},
    {"rng", NULL, NULL, NULL, NULL, ns_rng_tests},
    {"packet", ns_packet_suite_init, ns_packet_suite_clean, NULL, NULL, ns_packet_tests},
    CU_SUITE_INFO_NULL,
};
