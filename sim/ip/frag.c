/* IP fragmentation and reassembly (RFC 791 2.3, 3.2; RFC 8200 4.5; RFC
 * 815's holes kept as a sorted list of the pieces held). A datagram is
 * told apart by (source, destination, protocol, ID) over IPv4 and by
 * (source, destination, identification) over IPv6; its first fragment
 * starts the family's timer (Linux's ipfrag_time, 30 s, or ip6frag_time,
 * 60 s); overlaps, duplicates and the memory limit are handled as Linux's
 * ip_frag_queue, ip6_frag_queue and inet_frag_queue_insert do, for both
 * families alike. */
#include "frag-private.h"

#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"

/* ---- fragmentation ---- */

uint32_t ns_ipv4_fragment(NsPacket *dgram, uint32_t mtu, size_t headroom, NsFragOutFn out,
                          void *data)
{
    NsIpv4Repr h;
    if (ns_ipv4_parse_header(dgram->data, dgram->len, &h) != NS_WIRE_OK ||
        h.total_len > dgram->len || mtu < NS_IPV4_HLEN + 8u)
        return 0;
    /* Every fragment but the last carries a multiple of 8 bytes (the
     * offset field counts 8-byte units). */
    uint32_t step = (mtu - NS_IPV4_HLEN) & ~7u;
    const uint8_t *payload = dgram->data + h.header_len;
    uint32_t left = (uint32_t)h.total_len - h.header_len;
    uint32_t done = 0, n = 0;
    while (left > 0) {
        uint32_t take = left > step ? step : left;
        bool last = take == left;
        NsPacket *f = ns_packet_new(dgram->pool, headroom, NS_IPV4_HLEN + take);
        NsIpv4Repr fh = h;
        fh.total_len = (uint16_t)(NS_IPV4_HLEN + take);
        fh.df = false;
        fh.mf = !last || h.mf;
        fh.frag_offset = (uint16_t)(h.frag_offset + done);
        ns_ipv4_emit(&fh, f->data, NS_IPV4_HLEN);
        memcpy(f->data + NS_IPV4_HLEN, payload + done, take);
        done += take;
        left -= take;
        n++;
        out(data, f);
    }
    ns_packet_free(dgram);
    return n;
}

uint32_t ns_ipv6_fragment(NsPacket *dgram, uint32_t mtu, uint32_t id, size_t headroom,
                          NsFragOutFn out, void *data)
{
    NsIpv6Repr h;
    const size_t per = NS_IPV6_HLEN + NS_IPV6_FRAG_HLEN;
    if (ns_ipv6_parse(dgram->data, dgram->len, &h) != NS_WIRE_OK || mtu < per + 8)
        return 0;
    uint32_t step = (uint32_t)(mtu - per) & ~7u;
    const uint8_t *payload = dgram->data + NS_IPV6_HLEN;
    uint32_t left = h.payload_len, done = 0, n = 0;
    while (left > 0) {
        uint32_t take = left > step ? step : left;
        NsPacket *f = ns_packet_new(dgram->pool, headroom, per + take);
        NsIpv6Repr fh6 = h;
        fh6.payload_len = (uint16_t)(NS_IPV6_FRAG_HLEN + take);
        fh6.next_header = NS_IPPROTO_FRAGMENT;
        ns_ipv6_emit(&fh6, f->data, NS_IPV6_HLEN);
        NsIpv6FragRepr fr = {.next_header = h.next_header, .offset = (uint16_t)done,
                             .m = take < left, .id = id};
        ns_ipv6_frag_emit(&fr, f->data + NS_IPV6_HLEN, NS_IPV6_FRAG_HLEN);
        memcpy(f->data + per, payload + done, take);
        done += take;
        left -= take;
        n++;
        out(data, f);
    }
    ns_packet_free(dgram);
    return n;
}

/* ---- reassembly ---- */

typedef struct {
    uint32_t off, end; /* the datagram's payload bytes [off, end) it holds */
    NsPacket *pkt;     /* the fragment as it arrived, IP header first */
    uint32_t data_at;  /* where in pkt its data starts */
} Piece;

/* IPv4 keys on (src, dst, protocol, ID); IPv6 on (src, dst, ID) (RFC
 * 8200 4.5). Compared as bytes: built zeroed. */
typedef struct {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t proto;
    uint8_t v6;
    uint8_t pad[2];
} Key;

/* One fragment as both families give it. */
typedef struct {
    uint32_t off, len; /* its data's place in the datagram, and size */
    uint32_t data_at;  /* where in the fragment its data starts */
    bool mf;
    uint8_t next_header; /* IPv6: the fragmentable part's */
} Frag;

typedef struct {
    Key key; /* first: the hash table's key points here */
    NsIpReasm *r;
    uint8_t next_header; /* IPv6: from the first fragment */
    GArray *pieces;   /* Piece, by offset, never overlapping */
    uint32_t len;     /* the payload's end: known once the last fragment came */
    uint32_t meat;    /* payload bytes held */
    size_t mem;       /* bytes of the fragments held */
    uint32_t max_frag; /* the largest fragment held, bytes */
    bool first_in, last_in;
    NsEventId timer;
} Queue;

struct NsIpReasm {
    NsSim *sim;
    NsPacketPool *pool;
    const NsIpReasmOps *ops;
    void *data;
    GHashTable *queues; /* Key -> Queue */
    size_t mem;
    NsTime timeout;
    size_t high_thresh;
};

static guint key_hash(gconstpointer p)
{
    return ns_bytes_hash(p, sizeof(Key));
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(Key)) == 0;
}

/* Free a queue's fragments (traced as `why` unless NS_DROP_NONE) and the
 * queue; it must be out of the table already. */
static void queue_free(Queue *q, NsDropReason why)
{
    NsIpReasm *r = q->r;
    ns_sim_cancel(r->sim, &q->timer);
    for (guint i = 0; i < q->pieces->len; i++) {
        Piece *p = &g_array_index(q->pieces, Piece, i);
        if (why != NS_DROP_NONE)
            r->ops->drop(r->data, p->pkt, why);
        ns_packet_free(p->pkt);
    }
    r->mem -= q->mem;
    g_array_free(q->pieces, TRUE);
    g_free(q);
}

static void queue_kill(Queue *q, NsDropReason why)
{
    g_hash_table_remove(q->r->queues, &q->key);
    queue_free(q, why);
}

/* ipfrag_time ran out: every fragment is given up and, if the first one
 * came, its sender hears of it (RFC 792: time exceeded, code 1). */
static void expire(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    Queue *q = obj;
    NsIpReasm *r = q->r;
    q->timer = NS_EVENT_NONE;
    g_hash_table_remove(r->queues, &q->key);
    for (guint i = 0; i < q->pieces->len; i++)
        r->ops->drop(r->data, g_array_index(q->pieces, Piece, i).pkt, NS_DROP_FRAG_TIMEOUT);
    if (q->first_in)
        r->ops->expired(r->data, g_array_index(q->pieces, Piece, 0).pkt);
    queue_free(q, NS_DROP_NONE);
}

NsIpReasm *ns_ip_reasm_new(NsSim *sim, NsPacketPool *pool, const NsIpReasmOps *ops, void *data)
{
    NsIpReasm *r = g_new0(NsIpReasm, 1);
    *r = (NsIpReasm){.sim = sim, .pool = pool, .ops = ops, .data = data,
                     .queues = g_hash_table_new(key_hash, key_equal),
                     .timeout = NS_IPFRAG_TIME, .high_thresh = NS_IPFRAG_HIGH_THRESH};
    return r;
}

static gboolean clear_one(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    (void)data;
    queue_free(value, NS_DROP_NONE);
    return TRUE;
}

void ns_ip_reasm_clear(NsIpReasm *r)
{
    g_hash_table_foreach_remove(r->queues, clear_one, NULL);
}

void ns_ip_reasm_free(NsIpReasm *r)
{
    if (!r)
        return;
    ns_ip_reasm_clear(r);
    g_hash_table_destroy(r->queues);
    g_free(r);
}

void ns_ip_reasm_set_limits(NsIpReasm *r, NsTime timeout, size_t high_thresh)
{
    r->timeout = timeout;
    r->high_thresh = high_thresh;
}

size_t ns_ip_reasm_mem(const NsIpReasm *r)
{
    return r->mem;
}

uint32_t ns_ip_reasm_pending(const NsIpReasm *r)
{
    return g_hash_table_size(r->queues);
}

typedef enum { INSERTED, DUPLICATE, OVERLAP } Insert;

/* Place [off, end) among the pieces: a fragment whose bytes all lie in a
 * contiguous stretch already held is a duplicate (dropped, the datagram
 * kept); one that covers held bytes and new ones overlaps (Linux's
 * inet_frag_queue_insert). */
static Insert insert(Queue *q, uint32_t off, uint32_t end, NsPacket *pkt, uint32_t data_at)
{
    GArray *a = q->pieces;
    guint i = 0;
    while (i < a->len && g_array_index(a, Piece, i).end <= off)
        i++;
    /* i: the first piece ending after off. */
    if (i < a->len && g_array_index(a, Piece, i).off < end) {
        const Piece *p = &g_array_index(a, Piece, i);
        if (p->off > off)
            return OVERLAP;
        uint32_t reach = p->end;
        for (guint j = i + 1; j < a->len && reach < end; j++) {
            if (g_array_index(a, Piece, j).off != reach)
                break;
            reach = g_array_index(a, Piece, j).end;
        }
        return reach >= end ? DUPLICATE : OVERLAP;
    }
    Piece p = {off, end, pkt, data_at};
    g_array_insert_val(a, i, p);
    return INSERTED;
}

/* The header in front of the data: IPv4's with its options, IPv6's 40
 * bytes (the Fragment header is dropped). */
static size_t hdr_len(const Queue *q, const Piece *first)
{
    return q->key.v6 ? NS_IPV6_HLEN : (size_t)(first->pkt->data[0] & 0x0f) * 4;
}

/* The whole datagram from a complete queue: the first fragment's header,
 * then each piece's bytes at its place. */
static NsPacket *assemble(Queue *q)
{
    const Piece *first = &g_array_index(q->pieces, Piece, 0);
    size_t hlen = hdr_len(q, first);
    /* The largest buffer holds 65536 bytes behind the usual headroom; an
     * IPv6 datagram may be 40 + 65535 bytes: it takes some of the
     * headroom (a reassembled datagram is delivered, never sent on). */
    size_t total = hlen + q->len;
    size_t room = NS_PACKET_HEADROOM - (total > 65536 ? total - 65536 : 0);
    NsPacket *d = ns_packet_new(q->r->pool, room, total);
    memcpy(d->data, first->pkt->data, hlen);
    for (guint i = 0; i < q->pieces->len; i++) {
        const Piece *p = &g_array_index(q->pieces, Piece, i);
        memcpy(d->data + hlen + p->off, p->pkt->data + p->data_at, p->end - p->off);
    }
    if (q->key.v6) {
        ns_write_be16(d->data + 4, (uint16_t)q->len);
        d->data[6] = q->next_header;
        return d;
    }
    ns_write_be16(d->data + 2, (uint16_t)(hlen + q->len));
    /* MF and the offset cleared; DF and the reserved bit as they came. */
    ns_write_be16(d->data + 6, (uint16_t)(ns_read_be16(d->data + 6) & 0xc000));
    ns_write_be16(d->data + 10, 0);
    ns_write_be16(d->data + 10, ns_inet_checksum(d->data, hlen));
    return d;
}

/* Drop one fragment that changes nothing held. */
static NsPacket *refuse(NsIpReasm *r, NsPacket *frag, NsDropReason why)
{
    r->ops->drop(r->data, frag, why);
    ns_packet_free(frag);
    return NULL;
}

/* Give up the whole datagram: the fragment that showed it bad first, then
 * those held. */
static NsPacket *discard(Queue *q, NsPacket *frag, NsDropReason why)
{
    refuse(q->r, frag, why);
    queue_kill(q, why);
    return NULL;
}

static NsPacket *reasm_input(NsIpReasm *r, NsPacket *frag, const Key *k, const Frag *f,
                             uint32_t *max_frag)
{
    /* Linux refuses every fragment while the held ones are over
     * ipfrag_high_thresh (inet_frag_find), until timers free some. */
    if (r->mem > r->high_thresh)
        return refuse(r, frag, NS_DROP_FRAG_MEMORY);
    Queue *q = g_hash_table_lookup(r->queues, k);
    if (!q) {
        q = g_new0(Queue, 1);
        q->key = *k;
        q->r = r;
        q->pieces = g_array_new(FALSE, FALSE, sizeof(Piece));
        q->timer = ns_sim_schedule(r->sim, r->timeout, expire, q, NULL);
        g_hash_table_insert(r->queues, &q->key, q);
    }
    uint32_t off = f->off;
    uint32_t end = off + f->len;
    if (!f->mf) {
        /* The last fragment fixes the end: data already beyond it, or a
         * second last fragment with another end, is a corrupt datagram. */
        if (end < q->len || (q->last_in && end != q->len))
            return discard(q, frag, NS_DROP_FRAG_INVALID);
        q->last_in = true;
        q->len = end;
    } else {
        end &= ~7u; /* a fragment with more to come ends on 8 bytes */
        if (end > q->len) {
            if (q->last_in)
                return discard(q, frag, NS_DROP_FRAG_INVALID);
            q->len = end;
        }
    }
    if (end == off)
        return discard(q, frag, NS_DROP_FRAG_INVALID);
    switch (insert(q, off, end, frag, f->data_at)) {
    case INSERTED:
        break;
    case DUPLICATE:
        return refuse(r, frag, NS_DROP_FRAG_DUPLICATE);
    case OVERLAP:
        return discard(q, frag, NS_DROP_FRAG_OVERLAP);
    }
    if (off == 0) {
        q->first_in = true;
        q->next_header = f->next_header;
    }
    q->meat += end - off;
    if (frag->len > q->max_frag)
        q->max_frag = (uint32_t)frag->len;
    q->mem += frag->len;
    r->mem += frag->len;
    if (!q->first_in || !q->last_in || q->meat != q->len)
        return NULL;
    g_hash_table_remove(r->queues, &q->key);
    if ((q->key.v6 ? 0 : hdr_len(q, &g_array_index(q->pieces, Piece, 0))) + q->len > 65535) {
        /* Linux's ip_frag_reasm, ip6_frag_reasm: "Oversized" */
        queue_free(q, NS_DROP_FRAG_INVALID);
        return NULL;
    }
    NsPacket *d = assemble(q);
    if (max_frag)
        *max_frag = q->max_frag;
    queue_free(q, NS_DROP_NONE);
    return d;
}

NsPacket *ns_ip_reasm_input(NsIpReasm *r, NsPacket *frag, const NsIpv4Repr *h)
{
    Key k = {0};
    ns_write_be32(k.src, h->src);
    ns_write_be32(k.dst, h->dst);
    k.id = h->id;
    k.proto = h->proto;
    Frag f = {.off = h->frag_offset, .len = (uint32_t)(h->total_len - h->header_len),
              .data_at = h->header_len, .mf = h->mf};
    return reasm_input(r, frag, &k, &f, NULL);
}

NsPacket *ns_ip6_reasm_input(NsIpReasm *r, NsPacket *frag, const NsIpv6Repr *h,
                             const NsIpv6FragRepr *fh, uint32_t *max_frag)
{
    Key k = {.id = fh->id, .v6 = 1};
    memcpy(k.src, h->src.b, 16);
    memcpy(k.dst, h->dst.b, 16);
    Frag f = {.off = fh->offset, .len = (uint32_t)(h->payload_len - NS_IPV6_FRAG_HLEN),
              .data_at = NS_IPV6_HLEN + NS_IPV6_FRAG_HLEN, .mf = fh->m,
              .next_header = fh->next_header};
    return reasm_input(r, frag, &k, &f, max_frag);
}
