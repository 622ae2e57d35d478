/* The JSON Lines trace sink (`--format json`): one object per event, one
 * per line, field names as docs/json-trace.md documents them. */
#pragma once

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "netsim/trace-explain.h"
#include "netsim/trace.h"

typedef struct NsJsonSink NsJsonSink;

/* Kinds the JSON trace carries: the same as the text trace. */
#define NS_JSON_SINK_MASK (NS_TRACE_MASK_ALL & ~NS_TRACE_MASK(NS_TRACE_FRAME))

/* (transfer none of `out`) a sink writing to `out`. With an explainer
 * (transfer full, may be NULL) each explained event gets an "explain"
 * field. Add it to a tracer with ns_json_sink_attach(), which hands
 * ownership to the tracer. NULL and an error when json-glib cannot be
 * loaded (netsim/json-lib.h). */
NsJsonSink *ns_json_sink_new(FILE *out, NsExplainer *explainer, GError **error);
void ns_json_sink_attach(NsJsonSink *sink, NsTracer *tracer);

/* (transfer full) the object of one event, fields in the documented order;
 * `explain` (may be NULL) becomes the "explain" field. This and
 * ns_json_write_line() need json-glib loaded (ns_json_lib_load(), or a
 * JSON or page sink made). */
JsonNode *ns_json_event_node(const NsTraceEvent *ev, const char *explain);

/* Write `node` as one compact line (with its newline) to `out`. */
void ns_json_write_line(FILE *out, JsonNode *node);
