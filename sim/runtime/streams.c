/* `expect delivered all`: every byte a program handed to TCP must be read,
 * once and in order, by the program at the other end. The bytes written
 * are kept per direction of each connection and compared as they are
 * read; a direction that carried only the payload pattern keeps no bytes.
 * Nothing is recorded in a run without that expectation. */
#include <inttypes.h>
#include <string.h>

#include "netsim/pattern.h"
#include "netsim/wire/ipv4.h"
#include "world-private.h"

static char *stream_key(uint32_t a, uint16_t pa, uint32_t b, uint16_t pb)
{
    char x[NS_IPV4_STRLEN], y[NS_IPV4_STRLEN];
    ns_ipv4_format(a, x);
    ns_ipv4_format(b, y);
    return g_strdup_printf("%s:%u > %s:%u", x, pa, y, pb);
}

static Stream *stream_get(NsWorld *w, char *key)
{
    Stream *st = g_hash_table_lookup(w->streams, key);
    if (st) {
        g_free(key);
        return st;
    }
    st = g_new0(Stream, 1);
    st->sent = g_byte_array_new();
    st->pattern = true;
    g_hash_table_insert(w->streams, key, st);
    g_ptr_array_add(w->stream_keys, key);
    return st;
}

static Stream *stream_of(NsWorld *w, NsSocket *sock, bool sender)
{
    uint32_t la, ra;
    uint16_t lp, rp;
    ns_socket_local(sock, &la, &lp);
    ns_socket_peer(sock, &ra, &rp);
    return stream_get(w, sender ? stream_key(la, lp, ra, rp) : stream_key(ra, rp, la, lp));
}

/* Keep n more bytes (generated from the pattern when data is NULL). */
static void stream_keep(NsWorld *w, Stream *st, const uint8_t *data, uint64_t off, uint64_t n)
{
    if (st->truncated || n == 0) /* an empty array's data is NULL */
        return;
    if (w->stream_bytes + n > NS_WORLD_STREAM_LIMIT) {
        st->truncated = true;
        return;
    }
    guint at = st->sent->len;
    g_byte_array_set_size(st->sent, at + (guint)n);
    if (data)
        memcpy(st->sent->data + at, data, n);
    else
        ns_pattern_fill(off, st->sent->data + at, n);
    w->stream_bytes += n;
}

void ns_world_stream_wrote(NsWorld *w, NsSocket *sock, const uint8_t *data, size_t n)
{
    if (!w->track_streams)
        return;
    Stream *st = stream_of(w, sock, true);
    if (st->pattern) { /* from now on bytes: make those the pattern stood for */
        st->pattern = false;
        stream_keep(w, st, NULL, 0, st->sent_len);
    }
    st->sent_len += n;
    stream_keep(w, st, data, 0, n);
}

void ns_world_stream_wrote_pattern(NsWorld *w, NsSocket *sock, uint64_t off, size_t n)
{
    if (!w->track_streams)
        return;
    Stream *st = stream_of(w, sock, true);
    if (st->pattern && off == st->sent_len) {
        st->sent_len += n;
        return;
    }
    if (st->pattern) {
        st->pattern = false;
        stream_keep(w, st, NULL, 0, st->sent_len);
    }
    st->sent_len += n;
    stream_keep(w, st, NULL, off, n);
}

void ns_world_stream_read(NsWorld *w, NsSocket *sock, const uint8_t *data, size_t n)
{
    if (!w->track_streams)
        return;
    Stream *st = stream_of(w, sock, false);
    uint64_t off = st->read_len;
    st->read_len += n;
    if (st->truncated || st->mismatch)
        return;
    bool same = st->pattern ? off + n <= st->sent_len && ns_pattern_equal(off, data, n)
                            : off + n <= st->sent->len && memcmp(st->sent->data + off, data, n) == 0;
    if (!same)
        st->mismatch = true;
}

bool ns_world_streams_check(NsWorld *w, GString *why)
{
    bool ok = true;
    for (guint i = 0; i < w->stream_keys->len; i++) {
        const char *key = g_ptr_array_index(w->stream_keys, i);
        const Stream *st = g_hash_table_lookup(w->streams, key);
        if (st->truncated) {
            g_string_append_printf(why, "; %s: more than %" PRIu64 " MiB, not all checked", key,
                                   NS_WORLD_STREAM_LIMIT >> 20);
            ok = false;
        } else if (st->mismatch) {
            g_string_append_printf(why, "; %s: bytes read differ from bytes written", key);
            ok = false;
        } else if (st->read_len != st->sent_len) {
            g_string_append_printf(why, "; %s: %" PRIu64 " of %" PRIu64 " bytes read", key,
                                   st->read_len, st->sent_len);
            ok = false;
        }
    }
    return ok;
}

void ns_world_streams_free(NsWorld *w)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, w->streams);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Stream *st = v;
        g_byte_array_free(st->sent, TRUE);
        g_free(st);
    }
    g_hash_table_destroy(w->streams);
    g_ptr_array_free(w->stream_keys, TRUE);
}
