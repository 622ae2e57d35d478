/* `expect delivered all`: every byte a program handed to TCP must be read,
 * once and in order, by the program at the other end. The bytes written
 * are kept per direction of each connection and compared as they are
 * read. */
#include <inttypes.h>
#include <string.h>

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
    g_hash_table_insert(w->streams, key, st);
    g_ptr_array_add(w->stream_keys, key);
    return st;
}

void ns_world_stream_wrote(NsWorld *w, NsSocket *sock, const uint8_t *data, size_t n)
{
    uint32_t la, ra;
    uint16_t lp, rp;
    ns_socket_local(sock, &la, &lp);
    ns_socket_peer(sock, &ra, &rp);
    Stream *st = stream_get(w, stream_key(la, lp, ra, rp));
    st->sent_len += n;
    if (st->truncated)
        return;
    if (w->stream_bytes + n > NS_WORLD_STREAM_LIMIT) {
        st->truncated = true;
        return;
    }
    g_byte_array_append(st->sent, data, (guint)n);
    w->stream_bytes += n;
}

void ns_world_stream_read(NsWorld *w, NsSocket *sock, const uint8_t *data, size_t n)
{
    uint32_t la, ra;
    uint16_t lp, rp;
    ns_socket_local(sock, &la, &lp);
    ns_socket_peer(sock, &ra, &rp);
    Stream *st = stream_get(w, stream_key(ra, rp, la, lp));
    uint64_t off = st->read_len;
    st->read_len += n;
    if (st->truncated || st->mismatch)
        return;
    if (off + n > st->sent->len || memcmp(st->sent->data + off, data, n) != 0)
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
