/* The text trace sink: one aligned line per event, as traces.md shows. */
#pragma once

#include <stdio.h>

#include "netsim/trace.h"

typedef struct NsTextSink NsTextSink;

/* Kinds the text trace shows (everything but raw frames). */
#define NS_TEXT_SINK_MASK (NS_TRACE_MASK_ALL & ~NS_TRACE_MASK(NS_TRACE_FRAME))

/* (transfer none of `out`: the caller closes it) a sink writing to `out`,
 * with the host column `host_width` characters wide. Add it to a tracer
 * with ns_text_sink_attach(), which hands ownership to the tracer. */
NsTextSink *ns_text_sink_new(FILE *out, int host_width);
void ns_text_sink_attach(NsTextSink *sink, NsTracer *tracer);

/* Format the time as the trace shows it: "   1.500000000". */
void ns_trace_format_time(NsTime t, char out[32]);

/* Render one event as the text line (without the newline) into `s`. */
void ns_text_format_event(GString *s, const NsTraceEvent *ev, int host_width);
