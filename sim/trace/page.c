/* The --html sink: streams every event into the page as it happens (one
 * JSON object each, as the JSON trace writes it, plus the packet's bytes in
 * base64), then closes the data block with the run's description and the
 * sequence diagram. The page around the data is the template the build
 * makes from sim/trace/page/ (page-template.c). */
#include "netsim/trace-page.h"

#include <string.h>

#include "netsim/atomic-file.h"
#include "netsim/trace-diagram.h"
#include "netsim/trace-json.h"

extern const unsigned char ns_page_head[];
extern const size_t ns_page_head_len;
extern const unsigned char ns_page_tail[];
extern const size_t ns_page_tail_len;

struct NsPageSink {
    NsAtomicFile file;
    NsExplainer *explainer;
    NsDiagram *diagram;
    JsonNode *meta;
    JsonGenerator *gen;
    GString *why, *buf;
    uint64_t n_events;
    NsPageTablesFn tables_fn;
    void *tables_data;
    GString *tables, *tables_new; /* the last tables written, and now */
    NsTime last_time;
};

/* Write `s` so that it can sit inside a <script> element: JSON strings may
 * hold "</script>" (an HTTP body could); every '<' becomes \u003c, which
 * JSON.parse reads back as '<'. '<' only ever occurs inside strings. */
static void write_script_safe(FILE *out, const GString *s)
{
    const char *p = s->str, *end = s->str + s->len;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        size_t n = lt ? (size_t)(lt - p) : (size_t)(end - p);
        fwrite(p, 1, n, out);
        if (!lt)
            break;
        fputs("\\u003c", out);
        p = lt + 1;
    }
}

static void put_separator(NsPageSink *sink)
{
    if (sink->n_events++)
        fputs(",\n", sink->file.f);
}

/* After each event, a "tables" record when the hosts' sockets changed
 * since the last one: the tables as they are when the event is reported
 * (a state change is traced once made, a new socket once it exists). */
static void check_tables(NsPageSink *sink)
{
    if (!sink->tables_fn)
        return;
    g_string_truncate(sink->tables_new, 0);
    sink->tables_fn(sink->tables_data, sink->tables_new);
    if (g_string_equal(sink->tables, sink->tables_new))
        return;
    put_separator(sink);
    fprintf(sink->file.f, "{\"t_ns\":%" G_GINT64_FORMAT ",\"kind\":\"tables\",\"rows\":",
            (gint64)sink->last_time);
    write_script_safe(sink->file.f, sink->tables_new);
    fputc('}', sink->file.f);
    GString *t = sink->tables;
    sink->tables = sink->tables_new;
    sink->tables_new = t;
}

static void page_write(void *self, const NsTraceEvent *ev)
{
    NsPageSink *sink = self;
    sink->last_time = ev->time;
    /* A frame is kept as it leaves its sender: the page pairs it with the
     * send, fwd or arp step it carries. Arrivals repeat the same bytes. */
    if (ev->kind == NS_TRACE_FRAME && ev->dir != NS_TRACE_DIR_OUT)
        return;
    if (ev->kind != NS_TRACE_FRAME)
        ns_diagram_add(sink->diagram, ev);
    const char *why = NULL;
    if (sink->explainer && ev->kind != NS_TRACE_FRAME) {
        g_string_truncate(sink->why, 0);
        if (ns_explainer_explain(sink->explainer, ev, sink->why))
            why = sink->why->str;
    }
    g_autoptr(JsonNode) node = ns_json_event_node(ev, why);
    if (ev->bytes && ev->bytes_len) {
        size_t n = MIN(ev->bytes_len, (size_t)NS_PAGE_BYTES_MAX);
        g_autofree char *b64 = g_base64_encode(ev->bytes, n);
        JsonObject *o = json_node_get_object(node);
        json_object_set_string_member(o, "bytes", b64);
        json_object_set_int_member(o, "bytes_len", (int64_t)ev->bytes_len);
    }
    json_generator_set_root(sink->gen, node);
    g_string_truncate(sink->buf, 0);
    json_generator_to_gstring(sink->gen, sink->buf);
    put_separator(sink);
    write_script_safe(sink->file.f, sink->buf);
    check_tables(sink);
}

static bool page_close(void *self, GError **error)
{
    NsPageSink *sink = self;
    FILE *f = sink->file.f;
    check_tables(sink); /* sockets freed after the last event */
    fputs("]</script>\n<script type=\"application/json\" id=\"ns-meta\">", f);
    JsonNode *meta = sink->meta ? sink->meta : json_node_init_object(json_node_alloc(),
                                                                     json_object_new());
    sink->meta = meta;
    JsonObject *o = json_node_get_object(meta);
    g_autofree char *svg = ns_diagram_render(sink->diagram, NS_DIAGRAM_SVG);
    json_object_set_string_member(o, "diagram", svg);
    json_generator_set_root(sink->gen, meta);
    g_string_truncate(sink->buf, 0);
    json_generator_to_gstring(sink->gen, sink->buf);
    write_script_safe(f, sink->buf);
    fputs("</script>\n", f);
    fwrite(ns_page_tail, 1, ns_page_tail_len, f);
    return ns_atomic_file_commit(&sink->file, false, error);
}

static void page_free(void *self)
{
    NsPageSink *sink = self;
    ns_atomic_file_abort(&sink->file);
    ns_explainer_free(sink->explainer);
    ns_diagram_free(sink->diagram);
    if (sink->meta)
        json_node_unref(sink->meta);
    g_object_unref(sink->gen);
    g_string_free(sink->why, TRUE);
    g_string_free(sink->buf, TRUE);
    g_string_free(sink->tables, TRUE);
    g_string_free(sink->tables_new, TRUE);
    g_free(sink);
}

static const NsTraceSinkOps page_ops = {"html", page_write, page_close, page_free};

NsPageSink *ns_page_sink_new(const char *path, NsExplainer *explainer, GError **error)
{
    NsPageSink *sink = g_new0(NsPageSink, 1);
    sink->explainer = explainer;
    if (!ns_atomic_file_open(&sink->file, path, error)) {
        ns_explainer_free(explainer);
        g_free(sink);
        return NULL;
    }
    sink->diagram = ns_diagram_new(NULL);
    sink->gen = json_generator_new();
    sink->why = g_string_new(NULL);
    sink->buf = g_string_sized_new(512);
    sink->tables = g_string_new("[]");
    sink->tables_new = g_string_new(NULL);
    fwrite(ns_page_head, 1, ns_page_head_len, sink->file.f);
    fputs("<script type=\"application/json\" id=\"ns-events\">[", sink->file.f);
    return sink;
}

void ns_page_sink_set_meta(NsPageSink *sink, JsonNode *meta)
{
    if (sink->meta)
        json_node_unref(sink->meta);
    sink->meta = meta;
}

void ns_page_sink_set_tables(NsPageSink *sink, NsPageTablesFn fn, void *data)
{
    sink->tables_fn = fn;
    sink->tables_data = data;
}

void ns_page_sink_attach(NsPageSink *sink, NsTracer *tracer)
{
    ns_tracer_add_sink(tracer, &page_ops, sink, NS_PAGE_SINK_MASK);
}
