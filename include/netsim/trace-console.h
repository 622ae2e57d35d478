/* The trace as a person reads it on a terminal: the text sink's lines,
 * optionally coloured (only for a terminal, never for files or pipes) and
 * optionally followed by `--explain` sentences; and a progress line on
 * stderr for long runs. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "netsim/trace-explain.h"
#include "netsim/trace.h"

typedef struct NsConsoleSink NsConsoleSink;

/* Explanations are wrapped to this many columns. */
#define NS_CONSOLE_WIDTH 100

/* True when `f` is a terminal and NO_COLOR is unset or empty
 * (https://no-color.org). */
bool ns_console_wants_colour(FILE *f);

/* (transfer none of `out`; transfer full of `explainer`, may be NULL) a sink
 * writing the text trace's lines to `out`, coloured with ANSI escapes when
 * `colour`, each explained event followed by its explanation indented under
 * the event's description. With neither it writes what the text sink
 * writes. ns_console_sink_attach() hands ownership to the tracer. */
NsConsoleSink *ns_console_sink_new(FILE *out, int host_width, bool colour,
                                   NsExplainer *explainer);
void ns_console_sink_attach(NsConsoleSink *sink, NsTracer *tracer);

/* Render one event as the console shows it (lines joined by '\n', no final
 * newline), for tests and for callers without a tracer. */
void ns_console_format(NsConsoleSink *sink, const NsTraceEvent *ev, GString *out);

/* A progress line on `err` ("simulated 1.5 s, 120000 events") shown once a
 * run has taken more than a second of wall time, refreshed a few times a
 * second and erased when the tracer closes or frees the sink. Attach it
 * only when `err` is a terminal. */
void ns_progress_attach(FILE *err, NsTracer *tracer);
