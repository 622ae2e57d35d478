/* Fuzzing the scenario front end and the runtime behind it: the libFuzzer
 * entry point parses the input as a scenario file and, when it parses, runs
 * it as `netsim run` would, under limits a user could meet: the file's own
 * stop time (no shorter one imposed, so that slow links and long timers are
 * reached), NS_FUZZ_MAX_EVENTS events, and the clock's horizon; every
 * event is rendered as trace text. Nothing may
 * crash, hang, leak or trip a sanitizer, whatever the bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "netsim/scenario.h"
#include "netsim/trace-text.h"
#include "netsim/world.h"

#ifndef NS_FUZZ_MAX_EVENTS
#define NS_FUZZ_MAX_EVENTS 200000
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(NsScenario) scn = ns_scenario_parse("fuzz.scn", (const char *)data, size, &err);
    if (!scn)
        return 0;
    NsWorldOpts opts = {.seed = scn->seed, .max_events = NS_FUZZ_MAX_EVENTS, .summary = true};
    /* Every event rendered, as a trace would be, into nowhere: the
     * describing and formatting code is fuzzed too. */
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    g_autoptr(NsTracer) tracer = ns_tracer_new();
    if (sink)
        ns_text_sink_attach(ns_text_sink_new(sink, 8), tracer);
    g_autoptr(GError) werr = NULL;
    g_autoptr(NsWorld) w = ns_world_new(scn, &opts, tracer, &werr);
    if (w) {
        ns_world_run(w);
        g_free(ns_world_summary(w));
    }
    return 0;
}
