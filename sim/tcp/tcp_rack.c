/* RACK loss detection (RFC 8985 section 6), linux profile: a segment is
 * deemed lost when a segment sent after it has been delivered (ACKed or
 * SACKed) and more than RACK.rtt + RACK.reo_wnd has passed since it was
 * sent; the reordering timer waits out the rest of that time. Time, not a
 * count of duplicate ACKs, decides: one or two SACKs can start recovery. */
#include "tcp-private.h"

#include <string.h>

/* Segments a run may hold (cnt's 12 bits). */
#define MAX_CNT 4095u

/* One segment sent and not yet cumulatively acknowledged, or a run of
 * delivered ones: 16 bytes, as a sender with a hole at its head keeps
 * every segment sent after it (W2's hundred flows keep 12,000 at once
 * after their losses, nearly all SACKed). A run is cnt segments of len
 * bytes each, back to back, sharing what RACK still needs of them: either
 * nothing (settled: each was taken into account when SACKed, and taking
 * it again when cumulatively ACKed changes nothing), or one send time
 * (sent again together). A settled run keeps its first segment's send
 * time, as Linux keeps the first skb's when it merges SACKed ones
 * (tcp_shift_skb_data). */
typedef struct {
    NsTime xmit;        /* when it was (last) sent */
    uint32_t start;     /* its first sequence number */
    uint16_t len;       /* bytes of each segment (one fits in an IP datagram) */
    unsigned cnt : 12;  /* segments: 1 unless delivered */
    unsigned retrans : 1;   /* sent more than once */
    unsigned delivered : 1; /* SACKed (RACK has taken it into account) */
    unsigned lost : 1;      /* RACK deemed it lost */
    unsigned settled : 1;   /* delivered, and counted by update() then */
} Seg;
G_STATIC_ASSERT(sizeof(Seg) == 16);

static uint32_t seg_end(const Seg *s)
{
    return s->start + (uint32_t)s->len * s->cnt;
}

struct NsTcpRack {
    Seg *seg;         /* a ring in sequence order, of cap places, kept at
                       * between a quarter of its size and full */
    uint32_t head, n, cap;
    uint32_t live;    /* every segment before this index is delivered or deemed
                       * lost (and not sent again since): detection starts here */
    NsTime xmit_ts;   /* RACK.xmit_ts: the newest delivered segment's send time */
    uint32_t end_seq; /* RACK.end_seq */
    NsTime rtt;       /* RACK.rtt */
    NsTime min_rtt;   /* of segments sent once, 0 none */
    uint32_t lost_edge; /* above every segment deemed lost */
    NsTime reo_deadline; /* the reordering timer, NS_TIME_NEVER off */
};

static Seg *at(const NsTcpRack *r, uint32_t i)
{
    uint32_t k = r->head + i; /* below 2 * cap */
    return &r->seg[k >= r->cap ? k - r->cap : k];
}

/* Move the ring into `cap` places (at least n), its head first. */
static void resize(NsTcpRack *r, uint32_t cap)
{
    Seg *s = g_new(Seg, cap);
    for (uint32_t i = 0; i < r->n; i++)
        s[i] = *at(r, i);
    g_free(r->seg);
    r->seg = s;
    r->cap = cap;
    r->head = 0;
}

static NsTcpRack *rack(NsTcpConn *c)
{
    if (!c->rack) {
        c->rack = g_new0(NsTcpRack, 1);
        c->rack->lost_edge = c->snd_una;
        c->rack->reo_deadline = NS_TIME_NEVER;
    }
    return c->rack;
}

void tcp_rack_free(NsTcpConn *c)
{
    if (!c->rack)
        return;
    g_free(c->rack->seg);
    g_free(c->rack);
    c->rack = NULL;
}

static void grow(NsTcpRack *r)
{
    /* Grown by a quarter (not doubled): the rings of many flows at their
     * peak together are most of a bulk run's memory. */
    if (r->n == r->cap)
        resize(r, r->cap ? r->cap + r->cap / 4 : 16);
}

static void push(NsTcpRack *r, uint32_t start, uint32_t end, NsTime now)
{
    grow(r);
    g_assert(end - start <= UINT16_MAX);
    *at(r, r->n++) = (Seg){.xmit = now, .start = start, .len = (uint16_t)(end - start), .cnt = 1};
}

/* Remove entry i, moving the shorter side of the ring over it. */
static void remove_at(NsTcpRack *r, uint32_t i)
{
    if (i < r->n / 2) {
        for (uint32_t k = i; k > 0; k--)
            *at(r, k) = *at(r, k - 1);
        r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
    } else {
        for (uint32_t k = i; k + 1 < r->n; k++)
            *at(r, k) = *at(r, k + 1);
    }
    r->n--;
    if (r->live > i)
        r->live--;
}

/* Make room for an entry at i (those from i on move up one). */
static void insert_at(NsTcpRack *r, uint32_t i, Seg s)
{
    grow(r);
    r->n++;
    for (uint32_t k = r->n - 1; k > i; k--)
        *at(r, k) = *at(r, k - 1);
    *at(r, i) = s;
    if (r->live > i)
        r->live++;
}

/* Whether b can join the run a (a settled run just before it). The last
 * entry never joins: its send time is the newest (tcp_rack_sent_times). */
static bool joins(const NsTcpRack *r, const Seg *a, const Seg *b, uint32_t b_index)
{
    return b_index + 1 < r->n && a->settled && b->settled && a->len == b->len &&
           seg_end(a) == b->start && a->cnt + b->cnt <= MAX_CNT;
}

/* Merge entry i with its settled neighbours; returns the index after the
 * entry that now holds its segments. */
static uint32_t merge_around(NsTcpRack *r, uint32_t i)
{
    if (i + 1 < r->n && joins(r, at(r, i), at(r, i + 1), i + 1)) {
        at(r, i)->cnt += at(r, i + 1)->cnt;
        remove_at(r, i + 1);
    }
    if (i > 0 && joins(r, at(r, i - 1), at(r, i), i)) {
        at(r, i - 1)->cnt += at(r, i)->cnt;
        remove_at(r, i);
        i--;
    }
    return i + 1;
}

/* Split the run at i so that its segments from `a` to `b` (counted from
 * 0) are one entry; returns that entry's index. */
static uint32_t split(NsTcpRack *r, uint32_t i, uint32_t a, uint32_t b)
{
    Seg s = *at(r, i);
    if (b + 1 < s.cnt) {
        Seg tail = s;
        tail.start = s.start + (uint32_t)s.len * (b + 1);
        tail.cnt = s.cnt - (b + 1);
        at(r, i)->cnt = b + 1;
        insert_at(r, i + 1, tail);
    }
    if (a > 0) {
        Seg mid = *at(r, i);
        mid.start = s.start + (uint32_t)s.len * a;
        mid.cnt = b + 1 - a;
        at(r, i)->cnt = a;
        insert_at(r, i + 1, mid);
        i++;
    }
    return i;
}

/* The first entry (index) that ends after `seq`: a binary search. */
static uint32_t first_ending_after(NsTcpRack *r, uint32_t seq)
{
    uint32_t lo = 0, hi = r->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (seq_leq(seg_end(at(r, mid)), seq))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tcp_rack_sent(NsTcpConn *c, uint32_t seq, uint32_t len, NsTime now)
{
    if (!c->env->cfg->rack || !c->sack_ok || !len)
        return;
    NsTcpRack *r = rack(c);
    uint32_t end = seq + len;
    if (r->n == 0 || seq_geq(seq, seg_end(at(r, r->n - 1)))) {
        push(r, seq, end, now); /* new data */
        if (r->n >= 2)
            merge_around(r, r->n - 2); /* no longer the last */
        return;
    }
    /* A retransmission: every segment it overlaps was sent again now (the
     * ones of a run it overlaps become an entry of their own). */
    for (uint32_t i = first_ending_after(r, seq); i < r->n; i++) {
        Seg *s = at(r, i);
        if (seq_geq(s->start, end))
            break;
        if (s->cnt > 1) {
            uint32_t from = seq_gt(seq, s->start) ? seq - s->start : 0;
            uint32_t to = seq_lt(end, seg_end(s)) ? end - s->start : (uint32_t)s->len * s->cnt;
            i = split(r, i, from / s->len, (to - 1) / s->len);
            s = at(r, i);
        }
        s->xmit = now;
        s->retrans = true;
        s->lost = false;
        s->settled = false;
        if (i < r->live)
            r->live = i;
    }
    uint32_t last = seg_end(at(r, r->n - 1));
    if (seq_gt(end, last))
        push(r, last, end, now);
}

/* RFC 8985 6.2 step 2: the newest delivered segment, by send time, sets
 * RACK.xmit_ts and RACK.rtt; a retransmitted one whose RTT is shorter
 * than the minimum may have been delivered by its first copy: skipped
 * (returns false). The segments of an entry share its send time: taking
 * them in order is taking the entry with its end. */
static bool update(NsTcpRack *r, const Seg *s, NsTime now)
{
    NsTime rtt = now - s->xmit;
    if (s->retrans && r->min_rtt && rtt < r->min_rtt)
        return false;
    if (!s->retrans && (!r->min_rtt || rtt < r->min_rtt))
        r->min_rtt = rtt;
    if (s->xmit > r->xmit_ts || (s->xmit == r->xmit_ts && seq_gt(seg_end(s), r->end_seq))) {
        r->xmit_ts = s->xmit;
        r->end_seq = seg_end(s);
        r->rtt = rtt;
    }
    return true;
}

void tcp_rack_on_ack(NsTcpConn *c, const NsTcpRepr *h, uint32_t ack, NsTime now)
{
    NsTcpRack *r = c->rack;
    if (!r)
        return;
    /* A settled entry was counted when SACKed; counting it again would
     * change nothing (its RTT is longer now, its send time no newer). */
    while (r->n) {
        Seg *s = at(r, 0);
        if (seq_leq(seg_end(s), ack)) {
            if (!s->settled)
                update(r, s, now);
            r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
            r->n--;
            if (r->live)
                r->live--;
            continue;
        }
        /* The segments of a run below the ACK go; the rest stays. */
        uint32_t k = seq_gt(ack, s->start) ? (ack - s->start) / s->len : 0;
        if (k > 0) {
            Seg gone = *s;
            gone.cnt = k;
            if (!s->settled)
                update(r, &gone, now);
            s->start += (uint32_t)s->len * k;
            s->cnt -= k;
        }
        break;
    }
    if (r->cap > 16 && r->n < r->cap / 4)
        resize(r, r->cap / 2);
    /* Segments inside this ACK's SACK blocks are delivered. */
    for (unsigned b = 0; b < h->n_sack; b++) {
        uint32_t left = h->sack[b].left, right = h->sack[b].right;
        if (!seq_lt(left, right))
            continue;
        for (uint32_t i = first_ending_after(r, left); i < r->n;) {
            Seg *s = at(r, i);
            if (seq_geq(s->start, right))
                break;
            if (!s->delivered && seq_geq(s->start, left) && seq_leq(seg_end(s), right)) {
                s->delivered = true;
                s->settled = update(r, s, now);
                i = merge_around(r, i);
                continue;
            }
            i++;
        }
    }
}

/* RFC 8985 6.2 step 4: no reordering window while recovering or once
 * DupThresh segments are SACKed (as Linux when it has seen no
 * reordering); otherwise a quarter of the minimum RTT, at most SRTT. */
static NsTime reo_wnd(const NsTcpConn *c, const NsTcpRack *r)
{
    if (c->ca_state >= NS_TCP_CA_RECOVERY)
        return 0;
    if (tcp_sacked_bytes(c) >= NS_TCP_DUPTHRESH * c->mss)
        return 0;
    NsTime w = r->min_rtt / 4;
    return c->srtt && w > c->srtt ? c->srtt : w;
}

bool tcp_rack_detect(NsTcpConn *c, NsTime now)
{
    NsTcpRack *r = c->rack;
    if (!r || !r->xmit_ts) {
        if (r)
            r->reo_deadline = NS_TIME_NEVER;
        return false;
    }
    NsTime wnd = reo_wnd(c, r), wait = 0;
    bool found = false;
    while (r->live < r->n && (at(r, r->live)->delivered || at(r, r->live)->lost))
        r->live++; /* the loop below would only skip them */
    for (uint32_t i = r->live; i < r->n; i++) {
        Seg *s = at(r, i);
        if (s->delivered || s->lost)
            continue;
        /* Sent before the newest delivered segment (step 5). Segments
         * sent once go out in sequence order, so past the first of them
         * that is newer, only retransmissions can still qualify. */
        if (s->xmit > r->xmit_ts || (s->xmit == r->xmit_ts && seq_geq(seg_end(s), r->end_seq))) {
            if (!s->retrans)
                break;
            continue;
        }
        NsTime remaining = s->xmit + r->rtt + wnd - now;
        if (remaining <= 0) {
            s->lost = true;
            found = true;
            if (seq_gt(seg_end(s), r->lost_edge))
                r->lost_edge = seg_end(s);
        } else if (remaining > wait) {
            wait = remaining;
        }
    }
    if (seq_lt(r->lost_edge, c->snd_una))
        r->lost_edge = c->snd_una;
    /* The reordering timer (6.3): wake up when the rest may be lost. */
    if (wait > 0) {
        if (r->reo_deadline == NS_TIME_NEVER)
            tcp_trace_timer(c, NS_TCP_T_RACK, NS_TIMER_ARMED, wait);
        r->reo_deadline = tcp_timer_deadline(c->env->cfg, now, wait);
    } else {
        r->reo_deadline = NS_TIME_NEVER;
    }
    return found;
}

uint32_t tcp_rack_lost_edge(const NsTcpConn *c)
{
    return c->rack ? c->rack->lost_edge : c->snd_una;
}

/* RFC 8985 6.3: the reordering timer expired; what RACK now deems lost
 * starts fast recovery (or is resent in the one under way). */
void tcp_rack_stop(NsTcpConn *c)
{
    if (c->rack)
        c->rack->reo_deadline = NS_TIME_NEVER;
}

NsTime tcp_rack_deadline(const NsTcpConn *c)
{
    return c->rack ? c->rack->reo_deadline : NS_TIME_NEVER;
}

void tcp_rack_timer(NsTcpConn *c, NsTime now)
{
    if (!c->rack || c->rack->reo_deadline > now || c->state == NS_TCP_STATE_CLOSED)
        return;
    c->rack->reo_deadline = NS_TIME_NEVER;
    tcp_trace_timer(c, NS_TCP_T_RACK, NS_TIMER_FIRED, -1);
    if (!tcp_rack_detect(c, now))
        return;
    switch ((NsTcpCaState)c->ca_state) {
    case NS_TCP_CA_OPEN:
    case NS_TCP_CA_DISORDER:
        if (c->scoreboard && tcp_sack_first_lost(c) && c->snd_max != c->snd_una) {
            tcp_set_ca_state(c, NS_TCP_CA_DISORDER, NS_CAUSE_SACK);
            tcp_sack_enter_recovery(c, now);
            tcp_sack_prr_ack(c, 0);
            tcp_trace_cc(c, NS_CAUSE_RACK_TIMEOUT);
        }
        break;
    case NS_TCP_CA_RECOVERY:
    case NS_TCP_CA_LOSS:
        break;
    }
    tcp_conn_output(c, now);
}

bool tcp_rack_sent_times(const NsTcpConn *c, NsTime *oldest, NsTime *newest)
{
    const NsTcpRack *r = c->rack;
    if (!r || r->n == 0)
        return false;
    *oldest = at(r, 0)->xmit;
    *newest = at(r, r->n - 1)->xmit;
    return true;
}

uint32_t tcp_rack_entries(const NsTcpConn *c)
{
    return c->rack ? c->rack->n : 0;
}
