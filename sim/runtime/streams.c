/* `expect delivered all`: every byte an application handed to TCP must be
 * read, once and in order, by the application at the other end, whichever
 * application it is (a socket program, echo, HTTP, SMTP, a fetch).
 *
 * The socket layer tells us of each write and read. A direction of a
 * connection is one Stream: the writer's socket makes it, and the first
 * read on the other end claims it. Both ends agree on the connection's two
 * ISNs whatever NAT did to addresses and ports, so a reader finds its
 * writer by (its IRS, its ISS) = (the writer's ISS, the writer's IRS). A
 * writer may write before the peer's SYN arrives (its IRS is then unknown);
 * such a stream is matched on the ISS alone.
 *
 * Bytes are compared as they are read and forgotten at once: a stream
 * keeps only what was written and not yet read (at most what the two
 * sockets' buffers hold), and pattern bytes as (offset, length), so a
 * transfer of any size is checked in full. */
#include "streams-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/pattern.h"
#include "netsim/socket.h"
#include "netsim/wire/ipv4.h"

/* Written and not yet read: a run of bytes, or of the pattern from
 * pattern offset `off`. */
typedef struct {
    uint64_t len;
    uint64_t off;   /* pattern chunks */
    uint8_t *bytes; /* NULL: a pattern chunk */
} Chunk;

typedef struct {
    uint32_t writer_id, reader_id; /* socket ids; reader 0 until claimed */
    uint32_t iss, irs;             /* the writer's */
    bool irs_known;
    uint32_t laddr, raddr; /* the writer's view, for messages */
    uint16_t lport, rport;
    uint64_t sent, read;
    uint64_t bad_at; /* the first byte read that differs; UINT64_MAX: none */
    GQueue unread;   /* Chunk*, oldest first */
    uint64_t head_used; /* bytes of the oldest chunk already read */
} Stream;

struct NsStreams {
    GPtrArray *all;        /* Stream*, creation order, owned */
    GHashTable *by_writer; /* writer socket id -> Stream */
    GHashTable *by_reader; /* reader socket id -> Stream */
    GHashTable *unclaimed; /* writer ISS -> GQueue of Streams with no reader yet */
    NsStreamObserver obs;
};

static void chunk_free(gpointer p)
{
    Chunk *c = p;
    g_free(c->bytes);
    g_free(c);
}

static void stream_free(gpointer p)
{
    Stream *s = p;
    g_queue_clear_full(&s->unread, chunk_free);
    g_free(s);
}

static void queue_free(gpointer p)
{
    g_queue_free(p);
}

static void unclaim_remove(NsStreams *st, Stream *s)
{
    GQueue *q = g_hash_table_lookup(st->unclaimed, GUINT_TO_POINTER(s->iss));
    if (!q)
        return;
    g_queue_remove(q, s);
    if (g_queue_is_empty(q))
        g_hash_table_remove(st->unclaimed, GUINT_TO_POINTER(s->iss));
}

static Stream *writer_stream(NsStreams *st, NsSocket *sock)
{
    uint32_t id = ns_socket_id(sock);
    Stream *s = g_hash_table_lookup(st->by_writer, GUINT_TO_POINTER(id));
    if (!s) {
        s = g_new0(Stream, 1);
        s->writer_id = id;
        s->bad_at = UINT64_MAX;
        g_queue_init(&s->unread);
        ns_socket_local(sock, &s->laddr, &s->lport);
        ns_socket_peer(sock, &s->raddr, &s->rport);
        g_ptr_array_add(st->all, s);
        g_hash_table_insert(st->by_writer, GUINT_TO_POINTER(id), s);
        uint32_t irs = 0;
        s->irs_known = ns_socket_isns(sock, &s->iss, &irs);
        s->irs = irs;
        GQueue *q = g_hash_table_lookup(st->unclaimed, GUINT_TO_POINTER(s->iss));
        if (!q) {
            q = g_queue_new();
            g_hash_table_insert(st->unclaimed, GUINT_TO_POINTER(s->iss), q);
        }
        g_queue_push_tail(q, s);
    } else if (!s->irs_known) {
        uint32_t iss, irs = 0;
        s->irs_known = ns_socket_isns(sock, &iss, &irs);
        s->irs = irs;
    }
    return s;
}

static void wrote(void *data, NsSocket *sock, const uint8_t *bytes, size_t n)
{
    Stream *s = writer_stream(data, sock);
    Chunk *c = g_new(Chunk, 1);
    c->len = n;
    c->off = 0;
    c->bytes = g_memdup2(bytes, n);
    g_queue_push_tail(&s->unread, c);
    s->sent += n;
}

static void wrote_pattern(void *data, NsSocket *sock, uint64_t off, size_t n)
{
    Stream *s = writer_stream(data, sock);
    s->sent += n;
    Chunk *last = g_queue_peek_tail(&s->unread);
    if (last && !last->bytes && last->off + last->len == off) {
        last->len += n; /* the pattern goes on where it stopped */
        return;
    }
    Chunk *c = g_new0(Chunk, 1);
    c->len = n;
    c->off = off;
    g_queue_push_tail(&s->unread, c);
}

/* The stream a reader's bytes come from: its own once claimed, else the
 * oldest unclaimed one whose ISNs are this connection's. */
static Stream *reader_stream(NsStreams *st, NsSocket *sock)
{
    uint32_t id = ns_socket_id(sock);
    Stream *s = g_hash_table_lookup(st->by_reader, GUINT_TO_POINTER(id));
    if (s)
        return s;
    uint32_t iss = 0, irs = 0;
    ns_socket_isns(sock, &iss, &irs); /* a reader has its peer's SYN */
    GQueue *q = g_hash_table_lookup(st->unclaimed, GUINT_TO_POINTER(irs));
    for (GList *l = q ? q->head : NULL; l; l = l->next) {
        Stream *c = l->data;
        if (!c->irs_known || c->irs == iss) {
            s = c;
            break;
        }
    }
    if (!s) { /* bytes nobody wrote through a socket */
        s = g_new0(Stream, 1);
        s->writer_id = 0;
        s->iss = irs;
        s->bad_at = UINT64_MAX;
        g_queue_init(&s->unread);
        ns_socket_peer(sock, &s->laddr, &s->lport);
        ns_socket_local(sock, &s->raddr, &s->rport);
        g_ptr_array_add(st->all, s);
    } else {
        unclaim_remove(st, s);
    }
    s->reader_id = id;
    g_hash_table_insert(st->by_reader, GUINT_TO_POINTER(id), s);
    return s;
}

static void read_bytes(void *data, NsSocket *sock, const uint8_t *bytes, size_t n)
{
    Stream *s = reader_stream(data, sock);
    uint64_t at = s->read;
    s->read += n;
    if (s->bad_at != UINT64_MAX)
        return;
    uint8_t gen[4096];
    while (n > 0) {
        Chunk *c = g_queue_peek_head(&s->unread);
        if (!c) { /* more read than was written */
            s->bad_at = at;
            return;
        }
        uint64_t k = c->len - s->head_used;
        if (k > n)
            k = n;
        bool same;
        if (c->bytes) {
            same = memcmp(c->bytes + s->head_used, bytes, k) == 0;
        } else {
            if (k > sizeof gen)
                k = sizeof gen;
            ns_pattern_fill(c->off + s->head_used, gen, (size_t)k);
            same = memcmp(gen, bytes, k) == 0;
        }
        if (!same) {
            s->bad_at = at;
            return;
        }
        bytes += k;
        n -= k;
        at += k;
        s->head_used += k;
        if (s->head_used == c->len) {
            chunk_free(g_queue_pop_head(&s->unread));
            s->head_used = 0;
        }
    }
}

NsStreams *ns_streams_new(void)
{
    NsStreams *st = g_new0(NsStreams, 1);
    st->all = g_ptr_array_new_with_free_func(stream_free);
    st->by_writer = g_hash_table_new(NULL, NULL);
    st->by_reader = g_hash_table_new(NULL, NULL);
    st->unclaimed = g_hash_table_new_full(NULL, NULL, NULL, queue_free);
    st->obs = (NsStreamObserver){wrote, wrote_pattern, read_bytes};
    return st;
}

void ns_streams_free(NsStreams *st)
{
    if (!st)
        return;
    g_hash_table_destroy(st->unclaimed);
    g_hash_table_destroy(st->by_reader);
    g_hash_table_destroy(st->by_writer);
    g_ptr_array_free(st->all, TRUE);
    g_free(st);
}

void ns_streams_watch(NsStreams *st, NsHost *h)
{
    ns_socket_set_stream_observer(h, &st->obs, st);
}

uint32_t ns_streams_count(const NsStreams *st)
{
    return st ? st->all->len : 0;
}

bool ns_streams_check(const NsStreams *st, GString *why)
{
    bool ok = true;
    for (guint i = 0; st && i < st->all->len; i++) {
        const Stream *s = g_ptr_array_index(st->all, i);
        char a[NS_IPV4_STRLEN], b[NS_IPV4_STRLEN];
        ns_ipv4_format(s->laddr, a);
        ns_ipv4_format(s->raddr, b);
        if (s->writer_id == 0) {
            g_string_append_printf(why, "; %s:%u > %s:%u: %" PRIu64 " bytes read that no program wrote",
                                   a, s->lport, b, s->rport, s->read);
            ok = false;
        } else if (s->bad_at != UINT64_MAX) {
            g_string_append_printf(why,
                                   "; %s:%u > %s:%u: bytes read differ from bytes written from byte %" PRIu64,
                                   a, s->lport, b, s->rport, s->bad_at);
            ok = false;
        } else if (s->read != s->sent) {
            g_string_append_printf(why, "; %s:%u > %s:%u: %" PRIu64 " of %" PRIu64 " bytes read", a,
                                   s->lport, b, s->rport, s->read, s->sent);
            ok = false;
        }
    }
    return ok;
}
