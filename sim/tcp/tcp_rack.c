/* RACK loss detection (RFC 8985 section 6), linux profile: a segment is
 * deemed lost when a segment sent after it has been delivered (ACKed or
 * SACKed) and more than RACK.rtt + RACK.reo_wnd has passed since it was
 * sent; the reordering timer waits out the rest of that time. Time, not a
 * count of duplicate ACKs, decides: one or two SACKs can start recovery. */
#include "tcp-private.h"

#include <string.h>

/* Hops of a delivered segment's `hop` are at most this long. */
#define MAX_HOP 8191u

/* One segment sent and not yet cumulatively acknowledged: 16 bytes, as a
 * sender with a hole at its head keeps every segment sent after it (W2's
 * hundred flows keep 12,000 at once after their losses). */
typedef struct {
    NsTime xmit;         /* when it was (last) sent */
    uint32_t start;      /* its first sequence number */
    uint16_t len;        /* its bytes (a segment fits in an IP datagram) */
    unsigned hop : 13;   /* when delivered: how many places further on a
                          * segment lies with none undelivered between (a
                          * path kept short as in a union-find, at most
                          * MAX_HOP), so that walks over SACKed data step
                          * over what they have seen before */
    unsigned retrans : 1;   /* sent more than once */
    unsigned delivered : 1; /* SACKed (RACK has taken it into account) */
    unsigned lost : 1;      /* RACK deemed it lost */
} Seg;
G_STATIC_ASSERT(sizeof(Seg) == 16);

static uint32_t seg_end(const Seg *s)
{
    return s->start + s->len;
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

static void push(NsTcpRack *r, uint32_t start, uint32_t end, NsTime now)
{
    /* Grown by a quarter (not doubled): the rings of many flows at their
     * peak together are most of a bulk run's memory. */
    if (r->n == r->cap)
        resize(r, r->cap ? r->cap + r->cap / 4 : 16);
    g_assert(end - start <= UINT16_MAX);
    *at(r, r->n++) = (Seg){.xmit = now, .start = start, .len = (uint16_t)(end - start)};
}

/* The first undelivered segment (index) at or after i, which is delivered;
 * the hops walked are pointed straight at it (or MAX_HOP towards it). */
static uint32_t skip_delivered(NsTcpRack *r, uint32_t i)
{
    uint32_t j = i;
    while (j < r->n && at(r, j)->delivered)
        j += at(r, j)->hop;
    while (i < j) {
        Seg *s = at(r, i);
        uint32_t next = i + s->hop;
        s->hop = j - i < MAX_HOP ? j - i : MAX_HOP;
        i = next;
    }
    return j;
}

static void set_delivered(NsTcpRack *r, uint32_t i)
{
    Seg *s = at(r, i);
    s->delivered = true;
    s->hop = 1;
}

/* The first segment (index) that ends after `seq`: a binary search. */
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
        return;
    }
    /* A retransmission: every segment it overlaps was sent again now. */
    for (uint32_t i = first_ending_after(r, seq); i < r->n; i++) {
        Seg *s = at(r, i);
        if (seq_geq(s->start, end))
            break;
        s->xmit = now;
        s->retrans = true;
        s->lost = false;
        if (i < r->live)
            r->live = i;
    }
    uint32_t last = seg_end(at(r, r->n - 1));
    if (seq_gt(end, last))
        push(r, last, end, now);
}

/* RFC 8985 6.2 step 2: the newest delivered segment, by send time, sets
 * RACK.xmit_ts and RACK.rtt; a retransmitted one whose RTT is shorter
 * than the minimum may have been delivered by its first copy: skipped. */
static void update(NsTcpRack *r, const Seg *s, NsTime now)
{
    NsTime rtt = now - s->xmit;
    if (s->retrans && r->min_rtt && rtt < r->min_rtt)
        return;
    if (!s->retrans && (!r->min_rtt || rtt < r->min_rtt))
        r->min_rtt = rtt;
    if (s->xmit > r->xmit_ts || (s->xmit == r->xmit_ts && seq_gt(seg_end(s), r->end_seq))) {
        r->xmit_ts = s->xmit;
        r->end_seq = seg_end(s);
        r->rtt = rtt;
    }
}

void tcp_rack_on_ack(NsTcpConn *c, const NsTcpRepr *h, uint32_t ack, NsTime now)
{
    NsTcpRack *r = c->rack;
    if (!r)
        return;
    while (r->n && seq_leq(seg_end(at(r, 0)), ack)) {
        update(r, at(r, 0), now);
        r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
        r->n--;
        if (r->live)
            r->live--;
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
            if (s->delivered) {
                i = skip_delivered(r, i);
                continue;
            }
            if (seq_geq(s->start, left) && seq_leq(seg_end(s), right)) {
                set_delivered(r, i);
                update(r, s, now);
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
        if (s->delivered) {
            i = skip_delivered(r, i) - 1;
            continue;
        }
        if (s->lost)
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
