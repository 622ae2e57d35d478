/* The --html sink: packs every event into the page as it happens, the
 * packets' bytes one after another, and at the end the run's description
 * and the sequence diagram. Each of the four is compressed (zlib, RFC
 * 1950) and written in base64, in its own script element: a run's trace
 * repeats itself so much that 100,000 steps take about 3.5 MB, which a
 * browser reads in a moment and inflates with its own DecompressionStream.
 *
 * The events are not written as JSON text, which a browser takes seconds
 * to parse for 100,000 steps, but in a binary form of the same objects
 * (the members the JSON trace writes, plus where a packet's bytes are):
 * each event gives the number of its shape (its members' names and types,
 * defined once, the first time it is seen), then its values: integers as
 * LEB128 varints (zigzag), strings by their number in a table that grows
 * as new ones come. The page rebuilds each event as an object from it
 * (sim/trace/page/model.js reads it, so does tests/e2e/pagedata.py). The
 * page around the data is the template the build makes from
 * sim/trace/page/ (page-template.c). */
#include "netsim/trace-page.h"

#include <string.h>

#include "netsim/atomic-file.h"
#include "netsim/json-lib.h"
#include "netsim/trace-diagram.h"
#include "netsim/trace-json.h"
#include "trace-private.h"

extern const unsigned char ns_page_head[];
extern const size_t ns_page_head_len;
extern const unsigned char ns_page_tail[];
extern const size_t ns_page_tail_len;

/* Bytes compressed as they come and written in base64 to a file or kept
 * in memory (exactly one of f and mem). */
typedef struct {
    GConverter *z;
    FILE *f;
    GString *mem;
    int b64_state, b64_save;
    uint64_t in; /* bytes taken */
} Packer;

/* The last PAGE_SHARED datagrams' kept bytes, by their first
 * PAGE_SHARED_KEY bytes (all a frame of NS_PAGE_BYTES_MAX bytes carries of
 * its datagram): a packet received, or the frame that carried it, points
 * at the bytes already written for it instead of writing them again. */
#define PAGE_ETH_HEADER 14
#define PAGE_SHARED 4096
#define PAGE_SHARED_KEY (NS_PAGE_BYTES_MAX - PAGE_ETH_HEADER)

typedef struct {
    GBytes *whole;   /* the datagram's kept bytes */
    uint64_t at;     /* where they are in the bytes element */
    uint64_t serial; /* the how-manieth datagram kept */
} Shared;

typedef struct {
    GBytes *key;
    uint64_t serial;
} SharedAge;

struct NsPageSink {
    NsAtomicFile file;
    Packer events, bytes; /* the events go straight to the file */
    GHashTable *shared;   /* GBytes key -> Shared */
    GQueue shared_order;  /* SharedAge, oldest first */
    uint64_t shared_serial;
    NsExplainer *explainer;
    NsDiagram *diagram;
    JsonNode *meta;
    JsonGenerator *gen;
    NsPageEncoder *enc;
    GString *why, *buf;
    NsPageTablesFn tables_fn;
    void *tables_data;
    GString *tables, *tables_new; /* the last tables written, and now */
    NsTime last_time;
};

static void packer_init(Packer *p, FILE *f)
{
    p->z = (GConverter *)g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, -1);
    p->f = f;
    p->mem = f ? NULL : g_string_new(NULL);
    p->b64_state = p->b64_save = 0;
    p->in = 0;
}

#define PACK_CHUNK 4096

static void packer_out(Packer *p, const char *data, size_t len)
{
    char b64[(PACK_CHUNK / 3 + 2) * 4]; /* what g_base64_encode_step asks */
    while (len) {
        size_t n = MIN(len, (size_t)PACK_CHUNK);
        size_t m = g_base64_encode_step((const guchar *)data, n, FALSE, b64, &p->b64_state,
                                        &p->b64_save);
        if (p->f)
            fwrite(b64, 1, m, p->f);
        else
            g_string_append_len(p->mem, b64, (gssize)m);
        data += n;
        len -= n;
    }
}

/* Compress `len` bytes of `data`; at_end: and finish the stream. */
static void packer_put(Packer *p, const void *data, size_t len, bool at_end)
{
    if (!len && !at_end)
        return;
    char out[4 * PACK_CHUNK];
    const char *in = data;
    p->in += len;
    for (;;) {
        gsize read = 0, written = 0;
        GError *error = NULL; /* json-glib's GLib made it: ns_json_lib_error_free */
        GConverterResult r = g_converter_convert(p->z, in, len, out, sizeof out,
                                                 at_end ? G_CONVERTER_INPUT_AT_END
                                                        : G_CONVERTER_NO_FLAGS,
                                                 &read, &written, &error);
        if (r == G_CONVERTER_ERROR) {
            /* deflate wants more input once it has taken all and filled
             * `out` exactly; it fails for nothing else but memory. */
            bool partial = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
            ns_json_lib_error_free(error);
            g_assert(partial && !len);
            break;
        }
        packer_out(p, out, written);
        in += read;
        len -= read;
        if (r == G_CONVERTER_FINISHED || (!at_end && !len && written < sizeof out))
            break;
    }
    if (at_end) {
        char tail[8];
        size_t m = g_base64_encode_close(FALSE, tail, &p->b64_state, &p->b64_save);
        if (p->f)
            fwrite(tail, 1, m, p->f);
        else
            g_string_append_len(p->mem, tail, (gssize)m);
    }
}

static void packer_clear(Packer *p)
{
    g_clear_object(&p->z);
    if (p->mem)
        g_string_free(p->mem, TRUE);
    p->mem = NULL;
}

static void shared_free(gpointer p)
{
    Shared *sh = p;
    g_bytes_unref(sh->whole);
    g_free(sh);
}

/* The offset of an earlier datagram with these bytes, or -1. */
static int64_t shared_find(NsPageSink *sink, const uint8_t *b, size_t n)
{
    g_autoptr(GBytes) key = g_bytes_new_static(b, MIN(n, (size_t)PAGE_SHARED_KEY));
    const Shared *sh = g_hash_table_lookup(sink->shared, key);
    if (!sh)
        return -1;
    size_t len = 0;
    const uint8_t *w = g_bytes_get_data(sh->whole, &len);
    /* A frame's part of the datagram may be shorter than the datagram. */
    if (n > len || memcmp(w, b, n) != 0)
        return -1;
    return (int64_t)sh->at;
}

static void shared_age_free(gpointer p)
{
    SharedAge *age = p;
    g_bytes_unref(age->key);
    g_free(age);
}

static void shared_add(NsPageSink *sink, const uint8_t *b, size_t n, uint64_t at)
{
    Shared *sh = g_new(Shared, 1);
    sh->whole = g_bytes_new(b, n);
    sh->at = at;
    sh->serial = sink->shared_serial++;
    SharedAge *age = g_new(SharedAge, 1);
    age->key = g_bytes_new_from_bytes(sh->whole, 0, MIN(n, (size_t)PAGE_SHARED_KEY));
    age->serial = sh->serial;
    g_hash_table_replace(sink->shared, g_bytes_ref(age->key), sh);
    g_queue_push_tail(&sink->shared_order, age);
    if (sink->shared_order.length > PAGE_SHARED) {
        SharedAge *old = g_queue_pop_head(&sink->shared_order);
        /* Unless a later datagram with the same key took its place. */
        const Shared *o = g_hash_table_lookup(sink->shared, old->key);
        if (o && o->serial == old->serial)
            g_hash_table_remove(sink->shared, old->key);
        shared_age_free(old);
    }
}

/* Where the event's kept bytes are: a datagram seen before points at its
 * bytes; a frame whose datagram was seen writes only its Ethernet header
 * and points at the rest (bytes_rest_at). */
static void put_bytes(NsPageSink *sink, const NsTraceEvent *ev, JsonObject *o)
{
    size_t n = MIN(ev->bytes_len, (size_t)NS_PAGE_BYTES_MAX);
    int64_t at = -1, rest = -1;
    if (ev->kind != NS_TRACE_FRAME)
        at = shared_find(sink, ev->bytes, n);
    else if (n > PAGE_ETH_HEADER)
        rest = shared_find(sink, ev->bytes + PAGE_ETH_HEADER, n - PAGE_ETH_HEADER);
    if (at < 0) {
        at = (int64_t)sink->bytes.in;
        size_t w = rest >= 0 ? PAGE_ETH_HEADER : n;
        packer_put(&sink->bytes, ev->bytes, w, false);
        if (ev->kind != NS_TRACE_FRAME)
            shared_add(sink, ev->bytes, n, (uint64_t)at);
    }
    json_object_set_int_member(o, "bytes_at", at);
    if (rest >= 0)
        json_object_set_int_member(o, "bytes_rest_at", rest);
    json_object_set_int_member(o, "bytes_kept", (int64_t)n);
    json_object_set_int_member(o, "bytes_len", (int64_t)ev->bytes_len);
}

/* The event given to the encoder since ns_page_encoder_begin, packed. */
static void put_event(NsPageSink *sink)
{
    g_string_truncate(sink->buf, 0);
    ns_page_encoder_end(sink->enc, sink->buf);
    packer_put(&sink->events, sink->buf->str, sink->buf->len, false);
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
    ns_page_encoder_begin(sink->enc);
    ns_page_encoder_int(sink->enc, NULL, "t_ns", sink->last_time);
    ns_page_encoder_string(sink->enc, NULL, "kind", "tables");
    ns_page_encoder_json(sink->enc, NULL, "rows", sink->tables_new->str, sink->tables_new->len);
    put_event(sink);
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
    JsonNode *node = ns_json_event_node(ev, why);
    if (ev->bytes && ev->bytes_len)
        put_bytes(sink, ev, json_node_get_object(node));
    ns_page_encoder_begin(sink->enc);
    ns_page_encoder_object(sink->enc, json_node_get_object(node));
    json_node_unref(node);
    put_event(sink);
    check_tables(sink);
}

static bool page_close(void *self, GError **error)
{
    NsPageSink *sink = self;
    FILE *f = sink->file.f;
    check_tables(sink); /* sockets freed after the last event */
    packer_put(&sink->events, NULL, 0, true);
    fputs("</script>\n<script type=\"application/octet-stream\" data-encoding=\"zlib base64\" "
          "id=\"ns-bytes\">",
          f);
    packer_put(&sink->bytes, NULL, 0, true);
    fwrite(sink->bytes.mem->str, 1, sink->bytes.mem->len, f);
    fputs("</script>\n<script type=\"application/octet-stream\" data-encoding=\"zlib base64\" "
          "id=\"ns-meta\">",
          f);
    JsonNode *meta = sink->meta ? sink->meta : json_node_init_object(json_node_alloc(),
                                                                     json_object_new());
    sink->meta = meta;
    json_generator_set_root(sink->gen, meta);
    g_string_truncate(sink->buf, 0);
    ns_json_lib_generate(sink->gen, sink->buf);
    Packer mp;
    packer_init(&mp, f);
    packer_put(&mp, sink->buf->str, sink->buf->len, true);
    packer_clear(&mp);
    /* The diagram apart: the page reads it once it shows the run. */
    fputs("</script>\n<script type=\"application/octet-stream\" data-encoding=\"zlib base64\" "
          "id=\"ns-diagram\">",
          f);
    g_autofree char *svg = ns_diagram_render(sink->diagram, NS_DIAGRAM_SVG);
    packer_init(&mp, f);
    packer_put(&mp, svg, strlen(svg), true);
    packer_clear(&mp);
    fputs("</script>\n", f);
    fwrite(ns_page_tail, 1, ns_page_tail_len, f);
    return ns_atomic_file_commit(&sink->file, false, error);
}

static void page_free(void *self)
{
    NsPageSink *sink = self;
    ns_atomic_file_abort(&sink->file);
    packer_clear(&sink->events);
    packer_clear(&sink->bytes);
    g_hash_table_destroy(sink->shared);
    g_queue_clear_full(&sink->shared_order, shared_age_free);
    ns_explainer_free(sink->explainer);
    ns_diagram_free(sink->diagram);
    ns_page_encoder_free(sink->enc);
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
    if (!ns_json_lib_load(error)) {
        ns_explainer_free(explainer);
        return NULL;
    }
    NsPageSink *sink = g_new0(NsPageSink, 1);
    sink->explainer = explainer;
    if (!ns_atomic_file_open(&sink->file, path, error)) {
        ns_explainer_free(explainer);
        g_free(sink);
        return NULL;
    }
    sink->diagram = ns_diagram_new(NULL);
    sink->gen = json_generator_new();
    sink->enc = ns_page_encoder_new();
    sink->why = g_string_new(NULL);
    sink->buf = g_string_sized_new(512);
    sink->tables = g_string_new("[]");
    sink->tables_new = g_string_new(NULL);
    fwrite(ns_page_head, 1, ns_page_head_len, sink->file.f);
    fputs("<script type=\"application/octet-stream\" data-encoding=\"zlib base64\" "
          "id=\"ns-events\">",
          sink->file.f);
    packer_init(&sink->events, sink->file.f);
    packer_init(&sink->bytes, NULL);
    sink->shared = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                         (GDestroyNotify)g_bytes_unref, shared_free);
    g_queue_init(&sink->shared_order);
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
