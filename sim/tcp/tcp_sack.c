/* SACK-based loss recovery for the sender (RFC 6675: the scoreboard,
 * IsLost(), SetPipe(), NextSeg() rules 1 and 3; RFC 6937 PRR for cwnd
 * during recovery, as Linux does), the congestion states Linux traces
 * (Open/Disorder/Recovery/Loss), and the sets of sequence ranges that hold
 * both the sender's scoreboard and the receiver's SACK blocks (RFC 2018). */
#include "tcp-private.h"

#include <stdio.h>
#include <string.h>

#include "netsim/sim.h"

/* ---- range sets ---- */

static void ranges_reserve(NsTcpRangeSet *set, uint32_t n)
{
    if (n <= set->cap)
        return;
    uint32_t cap = set->cap ? set->cap * 2 : 4;
    while (cap < n)
        cap *= 2;
    set->r = g_renew(NsTcpRange, set->r, cap);
    set->cap = cap;
}

uint32_t tcp_ranges_add(NsTcpRangeSet *set, uint32_t start, uint32_t end)
{
    if (!seq_lt(start, end))
        return 0;
    /* i: the first range that ends at or after `start` (it touches or
     * follows the new one); searched from the top, where new data lands. */
    uint32_t i = set->n;
    while (i > 0 && seq_geq(set->r[i - 1].end, start))
        i--;
    /* j: one past the last range that starts at or before `end`. */
    uint32_t j = i, old = 0;
    while (j < set->n && seq_leq(set->r[j].start, end)) {
        old += set->r[j].end - set->r[j].start;
        j++;
    }
    if (j == i) {
        ranges_reserve(set, set->n + 1);
        memmove(&set->r[i + 1], &set->r[i], (set->n - i) * sizeof set->r[0]);
        set->r[i] = (NsTcpRange){start, end};
        set->n++;
        set->bytes += end - start;
        return end - start;
    }
    NsTcpRange m = {seq_lt(set->r[i].start, start) ? set->r[i].start : start,
                    seq_gt(set->r[j - 1].end, end) ? set->r[j - 1].end : end};
    set->r[i] = m;
    memmove(&set->r[i + 1], &set->r[j], (set->n - j) * sizeof set->r[0]);
    set->n -= j - i - 1;
    uint32_t added = (m.end - m.start) - old;
    set->bytes += added;
    return added;
}

void tcp_ranges_clear(NsTcpRangeSet *set)
{
    g_free(set->r);
    memset(set, 0, sizeof *set);
}

void tcp_ranges_trim(NsTcpRangeSet *set, uint32_t seq)
{
    uint32_t k = 0;
    while (k < set->n && seq_leq(set->r[k].end, seq)) {
        set->bytes -= set->r[k].end - set->r[k].start;
        k++;
    }
    if (k == set->n) {
        tcp_ranges_clear(set);
        return;
    }
    if (k) {
        memmove(&set->r[0], &set->r[k], (set->n - k) * sizeof set->r[0]);
        set->n -= k;
    }
    if (seq_lt(set->r[0].start, seq)) {
        set->bytes -= seq - set->r[0].start;
        set->r[0].start = seq;
    }
}

const NsTcpRange *tcp_ranges_find(const NsTcpRangeSet *set, uint32_t seq)
{
    for (uint32_t i = set->n; i-- > 0;) {
        if (seq_leq(set->r[i].start, seq))
            return seq_lt(seq, set->r[i].end) ? &set->r[i] : NULL;
    }
    return NULL;
}

/* The first range that starts after `seq`, or NULL. */
static const NsTcpRange *ranges_next(const NsTcpRangeSet *set, uint32_t seq)
{
    for (uint32_t i = 0; i < set->n; i++)
        if (seq_gt(set->r[i].start, seq))
            return &set->r[i];
    return NULL;
}

uint32_t tcp_ranges_covered(const NsTcpRangeSet *set, uint32_t start, uint32_t end)
{
    if (!set->n || !seq_lt(start, end))
        return 0;
    /* Everything, less the ranges wholly outside and the parts of the two
     * that cross an end: only the ranges outside are looked at (the
     * scoreboard's callers ask about nearly all of it, on every ACK). */
    uint32_t lo = 0, hi = set->n, sum = set->bytes;
    while (lo < hi && seq_leq(set->r[lo].end, start)) {
        sum -= set->r[lo].end - set->r[lo].start;
        lo++;
    }
    while (hi > lo && seq_geq(set->r[hi - 1].start, end)) {
        sum -= set->r[hi - 1].end - set->r[hi - 1].start;
        hi--;
    }
    if (lo == hi)
        return 0;
    if (seq_lt(set->r[lo].start, start))
        sum -= start - set->r[lo].start;
    if (seq_gt(set->r[hi - 1].end, end))
        sum -= set->r[hi - 1].end - end;
    return sum;
}

/* ---- congestion states ---- */


void tcp_set_ca_state(NsTcpConn *c, NsTcpCaState to, NsTraceCause why)
{
    NsTcpCaState from = (NsTcpCaState)c->ca_state;
    if (to == NS_TCP_CA_OPEN)
        tcp_sack_free(c);
    if (from == to)
        return;
    c->ca_state = (uint8_t)to;
    NsTracer *tr = c->env->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_TCP))
        return;
    NsTraceEvent ev = {.kind = NS_TRACE_TCP, .tcp_ev = NS_TCP_EV_CONGESTION, .ca_from = from,
                       .ca_to = to, .cause = why};
    tcp_conn_trace_ids(c, &ev);
    ns_trace_emit(tr, &ev);
}

/* ---- the scoreboard ---- */

static NsTcpScoreboard *scoreboard(NsTcpConn *c)
{
    if (!c->scoreboard) {
        c->scoreboard = g_new0(NsTcpScoreboard, 1);
        c->scoreboard->high_rxt = c->snd_una;
    }
    return c->scoreboard;
}

void tcp_sack_free(NsTcpConn *c)
{
    if (!c->scoreboard)
        return;
    tcp_ranges_clear(&c->scoreboard->sacked);
    g_free(c->scoreboard);
    c->scoreboard = NULL;
}

/* RFC 6675 Update(): blocks that lie (partly) between SND.UNA and SND.MAX
 * mark their bytes SACKed. A D-SACK block (RFC 2883, below the cumulative
 * ACK) or a block beyond what was sent is ignored. */
uint32_t tcp_sack_update(NsTcpConn *c, const NsTcpRepr *h)
{
    uint32_t got = 0;
    for (unsigned i = 0; i < h->n_sack; i++) {
        uint32_t l = h->sack[i].left, r = h->sack[i].right;
        uint32_t una = seq_gt(h->ack, c->snd_una) && seq_leq(h->ack, c->snd_max) ? h->ack
                                                                                : c->snd_una;
        if (!seq_lt(l, r) || seq_leq(r, una) || seq_gt(r, c->snd_max))
            continue;
        if (seq_lt(l, una))
            l = una;
        got += tcp_ranges_add(&scoreboard(c)->sacked, l, r);
    }
    return got;
}

void tcp_sack_acked(NsTcpConn *c)
{
    NsTcpScoreboard *sb = c->scoreboard;
    if (!sb)
        return;
    tcp_ranges_trim(&sb->sacked, c->snd_una);
    if (seq_lt(sb->high_rxt, c->snd_una))
        sb->high_rxt = c->snd_una;
}

/* IsLost(seq) holds when DupThresh SACKed ranges, or more than
 * (DupThresh - 1) * SMSS SACKed bytes, lie above seq. For a seq in the hole
 * just below range k that is a property of ranges k..n-1, so walking down
 * from the top finds the highest range below which everything is lost. */
static uint32_t lost_edge_6675(const NsTcpConn *c);

/* RFC 6675's IsLost() edge, or RACK's if that is higher (Linux runs both
 * unless tcp_recovery says otherwise). */
uint32_t tcp_sack_lost_edge(const NsTcpConn *c)
{
    uint32_t e = lost_edge_6675(c);
    if (c->env->cfg->rack && c->scoreboard) {
        uint32_t r = tcp_rack_lost_edge(c);
        if (seq_gt(r, e) && seq_leq(r, c->snd_max))
            e = r;
    }
    return e;
}

static uint32_t lost_edge_6675(const NsTcpConn *c)
{
    const NsTcpScoreboard *sb = c->scoreboard;
    if (!sb)
        return c->snd_una;
    const NsTcpRangeSet *s = &sb->sacked;
    uint32_t bytes = 0;
    for (uint32_t i = s->n; i-- > 0;) {
        bytes += s->r[i].end - s->r[i].start;
        if (s->n - i >= NS_TCP_DUPTHRESH || bytes > (NS_TCP_DUPTHRESH - 1) * c->mss)
            return s->r[i].start;
    }
    return c->snd_una;
}

bool tcp_sack_first_lost(const NsTcpConn *c)
{
    return seq_gt(tcp_sack_lost_edge(c), c->snd_una);
}

/* SetPipe(): each unSACKed byte counts once if not lost and once more if
 * retransmitted. Retransmissions go in sequence order, so the retransmitted
 * bytes are the unSACKed ones below HighRxt. */
uint32_t tcp_sack_pipe(const NsTcpConn *c)
{
    const NsTcpScoreboard *sb = c->scoreboard;
    if (!sb)
        return tcp_flight(c);
    uint32_t edge = tcp_sack_lost_edge(c);
    uint32_t pipe = (c->snd_max - edge) - tcp_ranges_covered(&sb->sacked, edge, c->snd_max);
    if (seq_gt(sb->high_rxt, c->snd_una))
        pipe += (sb->high_rxt - c->snd_una) -
                tcp_ranges_covered(&sb->sacked, c->snd_una, sb->high_rxt);
    return pipe;
}

/* ---- recovery ---- */

/* Send up to one MSS of the hole at `seq`, stopping at the next SACKed
 * range and at the end of the data. */
static uint32_t send_hole(NsTcpConn *c, uint32_t seq, uint32_t hole_end, uint32_t budget,
                          NsTime now)
{
    NsTcpScoreboard *sb = c->scoreboard;
    uint32_t data_end = c->sb_seq + c->sb_len;
    if (seq_lt(data_end, hole_end))
        hole_end = data_end;
    if (!seq_lt(seq, hole_end))
        return 0;
    uint32_t len = hole_end - seq;
    if (len > c->mss)
        len = c->mss;
    if (len > budget)
        return 0;
    uint8_t fl = NS_TCP_ACK;
    if (seq + len == data_end)
        fl |= NS_TCP_PSH;
    tcp_send_segment(c, seq, len, fl, NS_SEND_FAST_RETRANSMIT, now);
    if (seq_gt(seq + len, sb->high_rxt))
        sb->high_rxt = seq + len;
    if (c->rtt_start >= 0 && seq_leq(seq, c->rtt_seq) && seq_lt(c->rtt_seq, seq + len))
        c->rtt_start = -1; /* Karn */
    return len;
}

/* RFC 6675 5, steps 4.1-4.3: RecoveryPoint = HighData, ssthresh from the
 * congestion control, retransmit the first segment; PRR (RFC 6937) sets
 * cwnd from here on. */
void tcp_sack_enter_recovery(NsTcpConn *c, NsTime now)
{
    NsTcpScoreboard *sb = scoreboard(c);
    c->recover = c->snd_max;
    tcp_cc(c)->on_cong_signal(c);
    sb->recover_fs = tcp_flight(c) ? tcp_flight(c) : 1;
    sb->prr_delivered = sb->prr_out = 0;
    sb->high_rxt = c->snd_una;
    c->rtt_start = -1;
    tcp_set_ca_state(c, NS_TCP_CA_RECOVERY,
                     c->dupacks >= NS_TCP_DUPTHRESH ? NS_CAUSE_DUP_ACKS : NS_CAUSE_SACK_BEYOND_LOSS);
    const NsTcpRange *next = ranges_next(&sb->sacked, c->snd_una);
    send_hole(c, c->snd_una, next ? next->start : c->snd_max, UINT32_MAX, now);
}

/* RFC 6937 3: on each ACK in recovery, cwnd = pipe + sndcnt, sndcnt from
 * the proportional part while pipe > ssthresh, else the slow-start
 * reduction bound (PRR-SSRB). */
void tcp_sack_prr_ack(NsTcpConn *c, uint32_t delivered)
{
    NsTcpScoreboard *sb = scoreboard(c);
    sb->prr_delivered += delivered;
    uint32_t pipe = tcp_sack_pipe(c);
    int64_t sndcnt;
    if (pipe > c->ssthresh) {
        uint64_t want = ((uint64_t)sb->prr_delivered * c->ssthresh + sb->recover_fs - 1) /
                        sb->recover_fs;
        sndcnt = (int64_t)want - sb->prr_out;
    } else {
        int64_t d = (int64_t)sb->prr_delivered - sb->prr_out;
        int64_t limit = (d > delivered ? d : delivered) + c->mss;
        int64_t room = (int64_t)c->ssthresh - pipe;
        sndcnt = room < limit ? room : limit;
    }
    if (sndcnt < 0)
        sndcnt = 0;
    c->cwnd = pipe + (uint32_t)sndcnt;
}

/* NextSeg() rule 1 (rule3 false): unSACKed bytes above HighRxt that
 * IsLost() says are lost; rule 3 (rule3 true): any unSACKed bytes above
 * HighRxt below HighSACK. Sends while `budget` allows a segment. */
uint32_t tcp_sack_retransmit(NsTcpConn *c, NsTime now, uint32_t budget, bool rule3)
{
    NsTcpScoreboard *sb = c->scoreboard;
    if (!sb || sb->sacked.n == 0)
        return 0;
    const NsTcpRangeSet *s = &sb->sacked;
    uint32_t limit = rule3 ? s->r[s->n - 1].end : tcp_sack_lost_edge(c);
    uint32_t seq = seq_gt(sb->high_rxt, c->snd_una) ? sb->high_rxt : c->snd_una;
    uint32_t sent = 0;
    while (seq_lt(seq, limit)) {
        const NsTcpRange *in = tcp_ranges_find(s, seq);
        if (in) {
            seq = in->end;
            continue;
        }
        const NsTcpRange *next = ranges_next(s, seq);
        uint32_t n = send_hole(c, seq, next ? next->start : limit, budget, now);
        if (n == 0)
            break;
        seq += n;
        sent += n;
        budget -= n;
    }
    return sent;
}
