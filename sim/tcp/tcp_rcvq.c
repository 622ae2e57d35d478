/* The receiver's storage: the receive queue (in-order bytes the
 * application has not read) and the out-of-order queue (RFC 9293 3.10.7.4
 * seventh: segments beyond RCV.NXT may be held). Bytes are kept in the
 * packets they arrived in; bytes that are the payload pattern
 * (netsim/pattern.h) are kept as (phase, length) only, and made again when
 * the application reads them, so a bulk transfer of pattern bytes holds no
 * packet once a segment has been looked at. Which form holds the bytes is
 * never seen: the application reads the same bytes, and the windows and
 * SACK blocks count sequence ranges, not storage. */
#include "tcp-private.h"

#include <string.h>

#include "netsim/pattern.h"

/* Whether the len bytes at data (in seg's packet or not) are pattern bytes:
 * the sender's mark says so, or a comparison. */
static bool is_pattern(const NsTcpSeg *seg, const uint8_t *data, uint32_t len, uint32_t *phase)
{
    return ns_packet_pattern(seg->pkt, data, len, phase) || ns_pattern_match(data, len, phase);
}

/* ---- the receive queue: a ring of pieces ---- */

static NsTcpRxPiece *rxq_at(const NsTcpRxq *q, uint32_t i)
{
    return &q->ring[(q->first + i) & (q->cap - 1)];
}

static NsTcpRxPiece *rxq_push(NsTcpRxq *q)
{
    if (q->count == q->cap) {
        /* Grow by doubling (from 4), unrolling the ring at the start. */
        uint32_t cap = q->cap ? q->cap * 2 : 4;
        NsTcpRxPiece *ring = g_new(NsTcpRxPiece, cap);
        for (uint32_t i = 0; i < q->count; i++)
            ring[i] = *rxq_at(q, i);
        g_free(q->ring);
        q->ring = ring;
        q->first = 0;
        q->cap = cap;
    }
    return rxq_at(q, q->count++);
}

static void rxq_pop(NsTcpRxq *q)
{
    NsTcpRxPiece *p = rxq_at(q, 0);
    ns_packet_free(p->pkt);
    q->first = (q->first + 1) & (q->cap - 1);
    q->count--;
}

/* Append len pattern bytes from phase, joining the last piece when they
 * continue it. */
static void rxq_push_pattern(NsTcpRxq *q, uint32_t phase, uint32_t len)
{
    if (q->count) {
        NsTcpRxPiece *last = rxq_at(q, q->count - 1);
        if (!last->pkt && (last->phase + last->len) % NS_PATTERN_PERIOD == phase) {
            last->len += len;
            return;
        }
    }
    *rxq_push(q) = (NsTcpRxPiece){NULL, len, phase};
}

static bool rx_takes(NsTcpConn *c, uint32_t len)
{
    if (c->rd_shut || len == 0)
        return false;
    c->rx_len += len;
    c->bytes_received += len;
    c->notify = true;
    return true;
}

/* In-order bytes held in packet p (its payload: p->data, p->len), taken. */
static void rx_append_packet(NsTcpConn *c, NsPacket *p)
{
    uint32_t phase;
    if (!rx_takes(c, p->len)) {
        ns_packet_free(p);
    } else if (ns_pattern_match(p->data, p->len, &phase)) {
        rxq_push_pattern(&c->rxq, phase, p->len);
        ns_packet_free(p);
    } else {
        *rxq_push(&c->rxq) = (NsTcpRxPiece){p, p->len, 0};
    }
}

/* A packet holding exactly `len` bytes from `data`: the segment's own
 * (taken from seg, cut to the payload) when data lies in it, else a copy. */
static NsPacket *take_payload(NsTcpConn *c, NsTcpSeg *seg, const uint8_t *data, uint32_t len)
{
    NsPacket *p = seg->pkt;
    if (p && data >= p->data && data + len <= p->data + p->len) {
        seg->pkt = NULL;
        ns_packet_pull(p, (size_t)(data - p->data));
        ns_packet_trim(p, len);
        ns_packet_bytes(p); /* kept bytes are made (a lazy tail of another phase) */
        return p;
    }
    p = ns_packet_new(c->env->ctx->pool, 0, len);
    memcpy(p->data, data, len);
    return p;
}

void tcp_rcvq_append(NsTcpConn *c, NsTcpSeg *seg, const uint8_t *data, uint32_t len)
{
    uint32_t phase;
    if (len && !c->rd_shut && is_pattern(seg, data, len, &phase)) {
        rx_takes(c, len);
        rxq_push_pattern(&c->rxq, phase, len); /* the packet stays the caller's */
        return;
    }
    if (!rx_takes(c, len))
        return;
    *rxq_push(&c->rxq) = (NsTcpRxPiece){take_payload(c, seg, data, len), len, 0};
}

/* Copy (buf NULL: count) up to cap bytes from the front of the queue. */
static uint32_t rxq_copy(const NsTcpConn *c, uint8_t *buf, uint32_t cap)
{
    const NsTcpRxq *q = &c->rxq;
    uint32_t n = 0, off = c->rx_off;
    for (uint32_t i = 0; i < q->count && n < cap; i++, off = 0) {
        const NsTcpRxPiece *p = rxq_at(q, i);
        uint32_t k = p->len - off < cap - n ? p->len - off : cap - n;
        if (buf && p->pkt)
            memcpy(buf + n, p->pkt->data + off, k);
        else if (buf)
            ns_pattern_fill((uint64_t)p->phase + off, buf + n, k);
        n += k;
    }
    return n;
}

uint32_t tcp_rcvq_read(NsTcpConn *c, uint8_t *buf, uint32_t cap)
{
    uint32_t n = rxq_copy(c, buf, cap);
    uint32_t left = n;
    NsTcpRxq *q = &c->rxq;
    while (left) {
        NsTcpRxPiece *p = rxq_at(q, 0);
        uint32_t avail = p->len - c->rx_off;
        if (left < avail) {
            c->rx_off += left;
            break;
        }
        left -= avail;
        c->rx_off = 0;
        rxq_pop(q);
    }
    c->rx_len -= n;
    return n;
}

uint32_t tcp_rcvq_peek(const NsTcpConn *c, uint8_t *buf, uint32_t cap)
{
    return rxq_copy(c, buf, cap);
}

void tcp_rcvq_clear(NsTcpConn *c)
{
    NsTcpRxq *q = &c->rxq;
    while (q->count)
        rxq_pop(q);
    g_free(q->ring);
    memset(q, 0, sizeof *q);
    c->rx_len = c->rx_off = 0;
}

/* ---- the out-of-order queue ---- */

/* The pattern phase of sequence number seq in o's pattern ranges (all
 * within 2^31 of pat_seq). */
static uint32_t ooo_phase(const NsTcpOoo *o, uint32_t seq)
{
    int64_t d = (int32_t)(seq - o->pat_seq);
    int64_t ph = ((int64_t)o->pat_phase + d) % (int64_t)NS_PATTERN_PERIOD;
    return (uint32_t)(ph < 0 ? ph + NS_PATTERN_PERIOD : ph);
}

/* Keep a packet, sorted by sequence number (seq in meta). Most arrive above
 * everything held (the rest of a window behind a hole): those go straight
 * to the tail; retransmissions fill the holes in order, so the search for
 * the place of one starts at the one inserted before. */
static void ooo_keep_packet(NsTcpOoo *o, NsPacket *p, uint32_t seq)
{
    NsPacket **pp = &o->head;
    bool at_tail = o->tail && seq_lt(o->tail->meta, seq);
    if (at_tail) {
        pp = &o->tail->next;
    } else {
        if (o->hint && seq_lt(o->hint->meta, seq))
            pp = &o->hint->next; /* the list is sorted: everything before is smaller */
        while (*pp && seq_lt((*pp)->meta, seq))
            pp = &(*pp)->next;
    }
    p->meta = seq;
    p->next = *pp;
    *pp = p;
    if (!at_tail)
        o->hint = p;
    if (!p->next)
        o->tail = p;
}

/* Keep the blocks that grew last, most recent first (Linux's
 * selective_acks cache): seq's block moves to the front, a block merged
 * into it or gone below RCV.NXT leaves, the fifth is forgotten. */
static void ooo_recent(NsTcpOoo *o, uint32_t seq)
{
    uint32_t keep[G_N_ELEMENTS(o->recent)];
    const NsTcpRange *taken[G_N_ELEMENTS(o->recent)];
    uint8_t n = 0;
    const NsTcpRange *b = tcp_ranges_find(&o->blocks, seq);
    if (b) {
        keep[n] = seq;
        taken[n++] = b;
    }
    for (uint8_t i = 0; i < o->n_recent && n < G_N_ELEMENTS(keep); i++) {
        const NsTcpRange *r = tcp_ranges_find(&o->blocks, o->recent[i]);
        bool dup = false;
        for (uint8_t j = 0; j < n; j++)
            dup |= taken[j] == r;
        if (r && !dup) {
            keep[n] = o->recent[i];
            taken[n++] = r;
        }
    }
    memcpy(o->recent, keep, n * sizeof keep[0]);
    o->n_recent = n;
}

void tcp_ooo_insert(NsTcpConn *c, NsTcpSeg *seg, uint32_t seq, const uint8_t *data,
                    uint32_t len, bool fin)
{
    NsTcpOoo *o = c->ooo;
    if (!o)
        o = c->ooo = g_new0(NsTcpOoo, 1);
    if (fin) {
        o->fin = true;
        o->fin_end = seq + len;
    }
    if (len == 0)
        return; /* a FIN alone: no block of its own */
    o->last = seq;
    if (tcp_ranges_covered(&o->blocks, seq, seq + len) == len) {
        tcp_dsack_note(c, seq, seq + len);
        return; /* every byte is held already */
    }
    uint32_t phase;
    if (is_pattern(seg, data, len, &phase) &&
        (o->pat.n == 0 || ooo_phase(o, seq) == phase)) {
        if (o->pat.n == 0) {
            o->pat_seq = seq;
            o->pat_phase = (uint8_t)phase;
        }
        tcp_ranges_add(&o->pat, seq, seq + len);
    } else {
        ooo_keep_packet(o, take_payload(c, seg, data, len), seq);
    }
    tcp_ranges_add(&o->blocks, seq, seq + len);
    if (c->env->cfg->sack_recent)
        ooo_recent(o, seq);
}

bool tcp_ooo_drain(NsTcpConn *c)
{
    NsTcpOoo *o = c->ooo;
    if (!o)
        return false;
    for (bool moved = true; moved;) {
        moved = false;
        while (o->head && seq_leq(o->head->meta, c->rcv_nxt)) {
            NsPacket *p = o->head;
            o->head = p->next;
            p->next = NULL;
            if (o->hint == p)
                o->hint = NULL;
            if (o->tail == p)
                o->tail = NULL;
            uint32_t end = p->meta + p->len;
            if (seq_gt(end, c->rcv_nxt)) {
                ns_packet_pull(p, c->rcv_nxt - p->meta);
                c->rcv_nxt = end;
                rx_append_packet(c, p);
            } else {
                ns_packet_free(p);
            }
            moved = true;
        }
        if (o->pat.n && seq_leq(o->pat.r[0].start, c->rcv_nxt)) {
            uint32_t end = o->pat.r[0].end;
            if (seq_gt(end, c->rcv_nxt)) {
                uint32_t len = end - c->rcv_nxt, phase = ooo_phase(o, c->rcv_nxt);
                c->rcv_nxt = end;
                if (rx_takes(c, len))
                    rxq_push_pattern(&c->rxq, phase, len);
            }
            tcp_ranges_trim(&o->pat, c->rcv_nxt);
            moved = true;
        }
    }
    bool fin_in_order = o->fin && o->fin_end == c->rcv_nxt;
    if (!o->head && !o->pat.n && (!o->fin || fin_in_order)) {
        tcp_ooo_free(c); /* (a FIN still beyond a hole stays) */
    } else {
        tcp_ranges_trim(&o->blocks, c->rcv_nxt);
        if (c->env->cfg->sack_recent && o->n_recent)
            ooo_recent(o, o->recent[0]); /* the blocks below RCV.NXT leave */
    }
    return fin_in_order;
}

void tcp_ooo_free(NsTcpConn *c)
{
    NsTcpOoo *o = c->ooo;
    if (!o)
        return;
    while (o->head) {
        NsPacket *p = o->head;
        o->head = p->next;
        ns_packet_free(p);
    }
    tcp_ranges_clear(&o->blocks);
    tcp_ranges_clear(&o->pat);
    g_free(o);
    c->ooo = NULL;
}
