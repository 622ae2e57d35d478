/* Engine benchmarks (sim/core/sim.c), reported, never failed on speed:
 *   bench-sim hold PENDING OPS   the hold model: PENDING events in the queue,
 *       each one run schedules its successor at now + U[0, 1 s); OPS events.
 *   bench-sim rearm FLOWS OPS    FLOWS flows whose every ACK cancels and
 *       re-arms a 200 ms retransmission timer (TCP's pattern); OPS ACKs. */
#include "netsim/rng.h"
#include "netsim/sim.h"
#include "sim-private.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident set size now, from /proc/self/statm (pages). */
static size_t rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Peak resident set size of this program so far: VmHWM from
 * /proc/self/status. (getrusage()'s ru_maxrss would do, but Linux carries it
 * over from the parent across fork and exec, and meson's is bigger.) */
static size_t peak_rss_bytes(void)
{
    char line[256];
    size_t kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %zu kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

/* ---- Hold model ---------------------------------------------------------- */

static void hold(NsSim *sim, void *obj, void *arg)
{
    NsRng *rng = obj;
    (void)arg;
    ns_sim_schedule(sim, (NsTime)ns_rng_below(rng, NS_S(1)), hold, rng, NULL);
}

static void bench_hold(uint64_t pending, uint64_t ops)
{
    NsRng rng;
    ns_rng_init(&rng, 1, "bench-hold", 0);
    const size_t rss0 = rss_bytes(), peak0 = peak_rss_bytes();

    NsSim *sim = ns_sim_new();
    for (uint64_t i = 0; i < pending; i++)
        ns_sim_schedule(sim, (NsTime)ns_rng_below(&rng, NS_S(1)), hold, &rng, NULL);
    const size_t rss_filled = rss_bytes();

    const double t0 = wall_seconds();
    ns_sim_run(sim, NS_TIME_NEVER, ops);
    const double dt = wall_seconds() - t0;

    const size_t rss1 = rss_bytes(), peak1 = peak_rss_bytes();
    const size_t engine = ns_sim_mem_bytes(sim);
    g_assert(ns_sim_pending(sim) == pending && ns_sim_events_run(sim) == ops);

    const double rate = (double)ops / dt;
    const double per_rss = (double)(MAX(rss1, rss_filled) - rss0) / (double)pending;
    const double per_peak = (double)(peak1 - MIN(peak0, peak1)) / (double)pending;
    const double per_engine = (double)engine / (double)pending;
    /* The headline figure is the largest of the three measures. */
    const double per_event = MAX(per_rss, MAX(per_peak, per_engine));
    printf("sim-hold: %" PRIu64 " pending, %" PRIu64 " events in %.3f s, simulated %.3f s\n",
           pending, ops, dt, (double)ns_sim_now(sim) * 1e-9);
    printf("sim-hold: memory per pending event: RSS delta %.1f B, peak RSS delta %.1f B, "
           "engine capacity %.1f B\n",
           per_rss, per_peak, per_engine);
    printf("sim-hold: %.0f events/s, %.1f bytes/pending event "
           "(target >= 10000000 events/s, < 64 B)\n",
           rate, per_event);
    ns_sim_free(sim);
}

/* ---- Re-armed timers ----------------------------------------------------- */

typedef struct {
    NsRng *rng;
    NsEventId rto;
    uint64_t fired;
} Flow;

static void rto_expired(NsSim *sim, void *obj, void *arg)
{
    Flow *f = obj;
    (void)sim, (void)arg;
    f->fired++;
    f->rto = NS_EVENT_NONE;
}

/* One ACK every 100 us on average per flow, each re-arming the 200 ms
 * timer: the timer practically never fires, every arm ends in a cancel. */
static void ack_arrives(NsSim *sim, void *obj, void *arg)
{
    Flow *f = obj;
    (void)arg;
    ns_sim_cancel(sim, &f->rto);
    f->rto = ns_sim_schedule(sim, NS_MS(200), rto_expired, f, NULL);
    ns_sim_schedule(sim, 1 + (NsTime)ns_rng_below(f->rng, NS_US(200)), ack_arrives, f, NULL);
}

static void bench_rearm(uint64_t nflows, uint64_t ops)
{
    NsRng rng;
    ns_rng_init(&rng, 1, "bench-rearm", 0);
    Flow *flows = g_new0(Flow, nflows);
    NsSim *sim = ns_sim_new();
    for (uint64_t i = 0; i < nflows; i++) {
        flows[i].rng = &rng;
        ns_sim_schedule(sim, (NsTime)ns_rng_below(&rng, NS_US(200)), ack_arrives, &flows[i],
                        NULL);
    }
    ns_sim_run(sim, NS_TIME_NEVER, nflows); /* every flow has its timer */

    const double t0 = wall_seconds();
    ns_sim_run(sim, NS_TIME_NEVER, ops);
    const double dt = wall_seconds() - t0;

    uint64_t fired = 0;
    for (uint64_t i = 0; i < nflows; i++)
        fired += flows[i].fired;
    printf("sim-rearm: %" PRIu64 " flows, %" PRIu64 " ACKs in %.3f s: %.0f ACKs/s "
           "(each: 1 cancel + 2 schedules + 1 run), %zu pending (expect %" PRIu64
           "), %" PRIu64 " timeouts, engine %.1f B/pending\n",
           nflows, ops, dt, (double)ops / dt, ns_sim_pending(sim), 2 * nflows, fired,
           (double)ns_sim_mem_bytes(sim) / (double)ns_sim_pending(sim));
    ns_sim_free(sim);
    g_free(flows);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s hold PENDING OPS | rearm FLOWS OPS\n", argv[0]);
        return 2;
    }
    const uint64_t n = strtoull(argv[2], NULL, 10), ops = strtoull(argv[3], NULL, 10);
    if (n == 0 || ops == 0) {
        fprintf(stderr, "PENDING/FLOWS and OPS must be positive\n");
        return 2;
    }
    if (strcmp(argv[1], "hold") == 0)
        bench_hold(n, ops);
    else if (strcmp(argv[1], "rearm") == 0)
        bench_rearm(n, ops);
    else
        return 2;
    return 0;
}
