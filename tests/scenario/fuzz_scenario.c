/* Fuzzing the scenario front end and the runtime behind it: the libFuzzer
 * entry point parses the input as a scenario file and, when it parses and
 * can run, runs it under a small event and time budget. Nothing may crash,
 * hang, leak or trip a sanitizer, whatever the bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "netsim/scenario.h"
#include "netsim/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(NsScenario) scn = ns_scenario_parse("fuzz.scn", (const char *)data, size, &err);
    if (!scn)
        return 0;
    NsWorldOpts opts = {.seed = scn->seed, .has_stop = true, .stop = NS_S(30),
                        .max_events = 20000};
    g_autoptr(NsTracer) tracer = ns_tracer_new();
    g_autoptr(GError) werr = NULL;
    g_autoptr(NsWorld) w = ns_world_new(scn, &opts, tracer, &werr);
    if (w)
        ns_world_run(w);
    return 0;
}
