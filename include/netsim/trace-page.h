/* The step-through page (`netsim run --html FILE`): one self-contained HTML
 * file with the run's events, the raw bytes of its packets and frames, the
 * topology and the sequence diagram, and the page's own scripts and styles
 * (built from sim/trace/page/). It opens from disk in any browser. */
#pragma once

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "netsim/trace-explain.h"
#include "netsim/trace.h"

/* Kinds the page reads: everything (frames give the Ethernet layer and the
 * link a packet crosses). */
#define NS_PAGE_SINK_MASK NS_TRACE_MASK_ALL

/* A packet's or frame's bytes are kept up to this length: the headers and
 * the start of the payload (what a student reads); the page says when a
 * packet was longer. */
#define NS_PAGE_BYTES_MAX 512

/* The page writes each distinct string of its events (an address, a flag
 * set, an explanation) once and then refers to it, until the strings it
 * remembers hold this many bytes; later new strings are written in full
 * each time they occur. */
#define NS_PAGE_STRINGS_MAX (4u << 20)

typedef struct NsPageSink NsPageSink;

/* (transfer full) a sink writing the page to `path` when the tracer closes
 * it, atomically (a sink freed without closing leaves no file). With an
 * explainer (transfer full, may be NULL) the page shows its sentences.
 * NULL and an error when the file cannot be created or json-glib cannot
 * be loaded (netsim/json-lib.h). */
NsPageSink *ns_page_sink_new(const char *path, NsExplainer *explainer, GError **error);

/* (transfer full of `meta`) what the page knows besides the events: title,
 * topology, final socket tables, questions (see sim/trace/page/model.js).
 * Set it before the tracer closes the sink. */
void ns_page_sink_set_meta(NsPageSink *sink, JsonNode *meta);

/* Socket tables for the page: `fn` appends to `out` a JSON array of every
 * host's sockets at this moment (the caller's format, read by the page's
 * model.js). The sink asks before each event and writes a "tables" record
 * whenever the answer changed, so the page shows each step's real tables.
 * `data` is borrowed. */
typedef void (*NsPageTablesFn)(void *data, GString *out);
void ns_page_sink_set_tables(NsPageSink *sink, NsPageTablesFn fn, void *data);

/* Hand the sink to `tracer` (which then owns it). */
void ns_page_sink_attach(NsPageSink *sink, NsTracer *tracer);
