/* Sequence diagrams (`--diagram FILE.mmd` Mermaid text, `FILE.svg` a
 * self-contained SVG): one lifeline per socket, grouped by host: a
 * listener and each socket accepted from it side by side, the accepted ones
 * starting where their SYN arrived; a lifeline for the host itself for what
 * no socket sends or receives (ICMP, the RST for a closed port, a router's
 * forwarding step with the TTL); an arrow per packet labelled
 * with protocol, flags, seq/ack and summary (crossed when the packet never
 * arrived); state changes and socket events as notes; long runs of data
 * segments between two endpoints folded into one "... N segments ..." note. */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "netsim/trace.h"

typedef enum { NS_DIAGRAM_MERMAID, NS_DIAGRAM_SVG } NsDiagramFormat;

/* Kinds a diagram reads. */
#define NS_DIAGRAM_MASK                                                                       \
    (NS_TRACE_MASK(NS_TRACE_SEND) | NS_TRACE_MASK(NS_TRACE_RECV) | NS_TRACE_MASK(NS_TRACE_TCP) | \
     NS_TRACE_MASK(NS_TRACE_SOCK) | NS_TRACE_MASK(NS_TRACE_ICMP) | NS_TRACE_MASK(NS_TRACE_FWD) | \
     NS_TRACE_MASK(NS_TRACE_DROP) | NS_TRACE_MASK(NS_TRACE_APP))

/* Runs of more than this many similar messages are folded. */
#define NS_DIAGRAM_FOLD_AFTER 8

/* The format a file name asks for: ".mmd" or ".svg" (any case); false for
 * anything else. */
bool ns_diagram_format_from_path(const char *path, NsDiagramFormat *format);

/* The collector: feed it events, render at the end. */
typedef struct NsDiagram NsDiagram;
NsDiagram *ns_diagram_new(const char *title);
void ns_diagram_free(NsDiagram *d);
void ns_diagram_add(NsDiagram *d, const NsTraceEvent *ev);
/* (transfer full) the diagram as Mermaid text or SVG. */
char *ns_diagram_render(NsDiagram *d, NsDiagramFormat format);
/* Lifelines drawn so far (not a guess that an arrival corrected). */
guint ns_diagram_lifelines(const NsDiagram *d);
/* Lifelines so far on `host`. */
guint ns_diagram_lifelines_of(const NsDiagram *d, const char *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsDiagram, ns_diagram_free)

/* (transfer full) a sink writing the diagram of the run to `path` when the
 * tracer closes it (atomically: a temporary file renamed over `path`; a
 * sink freed without closing leaves no file). NULL and an error when the
 * file cannot be created. */
typedef struct NsDiagramSink NsDiagramSink;
NsDiagramSink *ns_diagram_sink_new(const char *path, NsDiagramFormat format, const char *title,
                                   GError **error);
void ns_diagram_sink_attach(NsDiagramSink *sink, NsTracer *tracer);
