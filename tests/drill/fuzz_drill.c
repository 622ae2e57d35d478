/* Fuzzing the packetdrill front end and the runner behind it: the libFuzzer
 * entry point parses the input as a .pkt script and, when it parses, runs
 * it on the linux profile with every event rendered as trace text, under
 * an event budget. Nothing may crash, hang, leak or trip a sanitizer,
 * whatever the bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "netsim/drill.h"
#include "netsim/trace-text.h"

#ifndef NS_FUZZ_MAX_EVENTS
#define NS_FUZZ_MAX_EVENTS 200000
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(NsPkt) pkt = ns_pkt_parse("fuzz.pkt", (const char *)data, size, &err);
    if (!pkt)
        return 0;
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    g_autoptr(NsTracer) tracer = ns_tracer_new();
    if (sink)
        ns_text_sink_attach(ns_text_sink_new(sink, 5), tracer);
    NsDrillOpts opts = {.profile = NS_PROFILE_LINUX, .tolerance_us = -1, .tracer = tracer,
                        .max_events = NS_FUZZ_MAX_EVENTS};
    NsDrillResult res;
    ns_drill_run(pkt, &opts, &res);
    g_free(res.message);
    return 0;
}
