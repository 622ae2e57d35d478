/* Segment construction and the send policy: what to send when (RFC 9293
 * 3.8.6 windows, RFC 896/1122 4.2.3.4 Nagle, RFC 1122 4.2.3.3 receiver
 * SWS avoidance), options per profile (RFC 7323, RFC 2018 SACK blocks),
 * resets (RFC 9293 3.10.7.1). Segments are built in pool packets and
 * appended to the connection's output queue; nothing is sent from here. */
#include "netsim/wire/checksum.h"
#include "netsim/wire/ipv4.h"
#include "tcp-private.h"

#include <string.h>

#include "netsim/pattern.h"
#include "netsim/sim.h"

uint32_t tcp_ts_now(const NsTcpConn *c, NsTime now)
{
    /* RFC 7323 5.4: a 1 ms clock with a random per-connection offset. */
    return (uint32_t)(now / NS_MS(1)) + c->ts_offset;
}

/* The window to advertise, as the raw header field, and the right edge it
 * promises (rcv_adv). Never shrinks the window (RFC 9293 3.8.6.2.2,
 * MUST-? "SHLD-14"), and only moves the right edge by at least
 * min(RCV.BUFF/2, MSS) (receiver SWS avoidance, RFC 1122 4.2.3.3). Linux
 * rounds the scaled window up to the scale unit, as its captures show
 * (64240 -> 63 << 10). */
void tcp_dsack_note(NsTcpConn *c, uint32_t start, uint32_t end)
{
    /* Linux tcp_dsack_set: the last duplicate is the one reported. */
    if (!c->env->cfg->dsack || !c->sack_ok || start == end)
        return;
    c->dsack_start = start;
    c->dsack_end = end;
    c->ack_now = true; /* a duplicate is answered at once (RFC 5681 4.2) */
}

uint32_t tcp_rcv_window_free(const NsTcpConn *c)
{
    const NsTcpCfg *cfg = c->env->cfg;
    int64_t space = (int64_t)tcp_rcvbuf(c) - c->rx_len - tcp_ooo_bytes(c);
    if (cfg->rcv_ssthresh && space > c->rcv_ssthresh)
        space = c->rcv_ssthresh;
    return space < 0 ? 0 : (uint32_t)space;
}

uint32_t tcp_rcv_window_raw(NsTcpConn *c)
{
    int64_t space = tcp_rcv_window_free(c);
    if (seq_lt(c->rcv_adv, c->rcv_nxt))
        c->rcv_adv = c->rcv_nxt;
    uint32_t right = c->rcv_nxt + (uint32_t)space;
    uint32_t thresh = c->rcv_mss < tcp_rcvbuf(c) / 2 ? c->rcv_mss : tcp_rcvbuf(c) / 2;
    if (seq_lt(right, c->rcv_adv + thresh))
        right = c->rcv_adv;
    uint32_t wnd = right - c->rcv_nxt;
    uint32_t ws = c->rcv_wscale;
    uint32_t raw = ws ? (wnd + (1u << ws) - 1) >> ws : wnd;
    if (raw > 65535)
        raw = 65535;
    c->rcv_adv = c->rcv_nxt + (raw << ws);
    return raw;
}

/* SACK blocks from the out-of-order queue: the block holding the most
 * recently received segment first (RFC 2018 4), then the others in
 * sequence order. */
static void add_sack_blocks(const NsTcpConn *c, NsTcpRepr *r, unsigned max)
{
    const NsTcpRangeSet *b = &c->ooo->blocks;
    if (c->env->cfg->sack_recent) {
        for (uint8_t i = 0; i < c->ooo->n_recent && r->n_sack < max; i++) {
            const NsTcpRange *x = tcp_ranges_find(b, c->ooo->recent[i]);
            if (x)
                r->sack[r->n_sack++] = (NsTcpSackBlock){x->start, x->end};
        }
        return;
    }
    const NsTcpRange *first = tcp_ranges_find(b, c->ooo->last);
    if (first)
        r->sack[r->n_sack++] = (NsTcpSackBlock){first->start, first->end};
    for (uint32_t i = 0; i < b->n && r->n_sack < max; i++)
        if (&b->r[i] != first)
            r->sack[r->n_sack++] = (NsTcpSackBlock){b->r[i].start, b->r[i].end};
}

/* For the SEND trace line (only when a sink wants it): the segment's
 * numbers relative to the ISNs (a RST with sequence 0 shows 0), the scale
 * the peer applies to its window (none on a SYN), and why it was sent. */
static void note_segment(const NsTcpConn *c, NsPacket *p, const NsTcpRepr *r, NsSendWhy why)
{
    if (!ns_tracer_wants(c->env->ctx->tracer, NS_TRACE_SEND))
        return;
    p->flags |= NS_PACKET_NOTED;
    p->note = (NsPacketNote){
        .sock_id = c->pcb.id,
        .parent_id = c->pcb.parent_id,
        .seq = (r->flags & NS_TCP_RST) && r->seq == 0 ? 0 : r->seq - c->iss,
        .ack = (r->flags & NS_TCP_ACK) ? r->ack - c->irs : 0,
        .why = (uint8_t)why,
        .win_shift = (r->flags & NS_TCP_SYN) ? 0 : c->rcv_wscale,
        .has_seq = true,
    };
}

void tcp_send_segment(NsTcpConn *c, uint32_t seq, uint32_t len, uint8_t flags, NsSendWhy why,
                      NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    NsTcpRepr r;
    memset(&r, 0, sizeof r);
    r.src_port = c->pcb.lport;
    r.dst_port = c->pcb.rport;
    r.seq = seq;
    r.flags = flags;
    if (flags & NS_TCP_ACK)
        r.ack = c->rcv_nxt;
    if (flags & NS_TCP_SYN) {
        /* RFC 9293 3.7.1: MSS on every SYN; RFC 7323/2018: the others are
         * offered in a SYN and answered in a SYN-ACK only if offered. */
        uint32_t w = c->passive ? tcp_synack_wnd(c) : tcp_syn_wnd(c);
        r.window = (uint16_t)(w > 65535 ? 65535 : w);
        r.has_mss = true;
        r.mss = c->adv_mss;
        r.sack_permitted = cfg->sack && (!c->passive || c->sack_ok);
        r.has_ts = cfg->ts && (!c->passive || c->ts_ok);
        r.has_wscale = cfg->wscale && (!c->passive || c->ws_ok);
        r.wscale = tcp_offer_wscale(c);
        if (r.has_ts) {
            r.ts_val = tcp_ts_now(c, now);
            r.ts_ecr = c->passive ? c->ts_recent : 0;
        }
        if (flags & NS_TCP_ACK)
            c->last_ack_sent = c->rcv_nxt;
    } else {
        r.window = (uint16_t)tcp_rcv_window_raw(c);
        if (c->ts_ok) {
            r.has_ts = true;
            r.ts_val = tcp_ts_now(c, now);
            r.ts_ecr = c->ts_recent;
        }
        if (c->sack_ok && (flags & NS_TCP_ACK) && c->dsack_start != c->dsack_end) {
            /* RFC 2883 4: the duplicate first, once */
            r.sack[r.n_sack++] = (NsTcpSackBlock){c->dsack_start, c->dsack_end};
            c->dsack_start = c->dsack_end = 0;
        }
        if (c->sack_ok && c->ooo && (flags & NS_TCP_ACK))
            add_sack_blocks(c, &r, c->ts_ok ? 3 : 4);
        if (flags & NS_TCP_ACK) {
            /* Linux tcp_dec_quickack_mode: a quick ACK is used up by an
             * ACK of new data. */
            if (cfg->ack_one_frame && c->quickack && seq_gt(c->rcv_nxt, c->last_ack_sent))
                c->quickack--;
            c->last_ack_sent = c->rcv_nxt;
            c->ack_now = false;
            tcp_timer_stop(c, NS_TCP_T_DELACK, true); /* the ACK went out */
        }
    }
    NsTcpOptLayout layout = cfg->linux_options ? NS_TCP_OPTS_LINUX : NS_TCP_OPTS_MINIMAL;
    ns_tcp_opts_layout(&r, layout);
    size_t hlen = ns_tcp_header_len(&r);
    /* SACK blocks must not push a full segment over the path MTU: drop
     * blocks until header and payload fit in MSS + 20 (Linux shrinks the
     * payload instead; a data segment needs its blocks less than an ACK). */
    uint32_t max_seg = NS_TCP_HLEN + c->mss + (c->ts_ok ? 12u : 0u);
    while (r.n_sack && hlen + len > max_seg) {
        r.n_sack--;
        ns_tcp_opts_layout(&r, layout);
        hlen = ns_tcp_header_len(&r);
    }
    g_assert(hlen >= NS_TCP_HLEN);
    /* Room for IP's and the link's headers, no more: a frame of pattern
     * payload or a pure ACK then takes the pool's smallest buffer. */
    size_t room = c->pcb.v6 ? NS_PACKET_ROOM_IPV6 : NS_PACKET_ROOM_IPV4;
    NsPacket *p;
    uint32_t payload_sum = 0, phase, front;
    if (tcp_sb_pattern(c, seq, len, &front, &phase)) {
        /* Pattern bytes (all, or behind `front` written ones such as a
         * response's head): their sum from the table; over IPv4 with no
         * trace reading them they are not even made (the frame carries
         * the pattern's phase and length), else made, and marked when
         * they are all the payload, so that the receiver need not
         * compare them either way. */
        uint32_t tail = len - front;
        if (!c->pcb.v6 && ns_packet_lazy_ok(c->env->ctx->tracer)) {
            p = ns_packet_new_lazy(c->env->ctx->pool, room, hlen + front, tail, phase);
        } else {
            p = ns_packet_new(c->env->ctx->pool, room, hlen + len);
            ns_pattern_fill(phase, p->data + hlen + front, tail);
            if (!front)
                ns_packet_mark_pattern(p, p->data + hlen, len, phase);
        }
        payload_sum = front ? tcp_sb_copy(c, p->data + hlen, seq, front) : 0;
        payload_sum = ns_csum_add_at(payload_sum, ns_pattern_sum(phase, tail), front);
    } else {
        p = ns_packet_new(c->env->ctx->pool, room, hlen + len);
        payload_sum = len ? tcp_sb_copy(c, p->data + hlen, seq, len) : 0;
    }
    size_t w = ns_tcp_emit_pseudo_summed(
        &r, ns_pcb_pseudo(&c->pcb, NS_IPPROTO_TCP, (uint32_t)p->len), p->data, p->len,
        payload_sum);
    g_assert(w == hlen);
    p->meta = why; /* for whoever drains outq (tests read it) */
    note_segment(c, p, &r, why);
    ns_packet_queue_push(&c->outq, p);
    if (c->outq.count > TCP_DRAIN_AT && c->env->drain)
        c->env->drain(c);
    c->segs_sent++;
    if (len)
        tcp_rack_sent(c, seq, len, now);
    if (len && c->scoreboard && c->ca_state == NS_TCP_CA_RECOVERY)
        c->scoreboard->prr_out += len; /* RFC 6937 prr_out */
    if (len) {
        if (seq_lt(seq, c->snd_max))
            c->retransmits++;
        else
            c->bytes_sent += len;
    }
}

/* A pure ACK carries SND.MAX, not SND.NXT (BSD): after a timeout rewinds
 * SND.NXT, a lower number would fall left of the peer's window and its ACK
 * field be ignored, and the peer would answer with an ACK of its own. */
void tcp_send_ack(NsTcpConn *c, NsTime now, NsSendWhy why)
{
    tcp_send_segment(c, c->snd_max, 0, NS_TCP_ACK, why, now);
}

void tcp_send_syn(NsTcpConn *c, NsTime now, NsSendWhy why)
{
    uint8_t fl = NS_TCP_SYN;
    if (c->state == NS_TCP_STATE_SYN_RECEIVED)
        fl |= NS_TCP_ACK;
    tcp_send_segment(c, c->iss, 0, fl, why, now);
    if (seq_lt(c->snd_nxt, c->iss + 1))
        c->snd_nxt = c->iss + 1;
    if (seq_lt(c->snd_max, c->snd_nxt))
        c->snd_max = c->snd_nxt;
}

/* A reset for an unacceptable segment of a connection (RFC 9293 3.10.7.3
 * and 3.10.7.4): <SEQ=SEG.ACK><CTL=RST> if the segment has ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
void tcp_send_rst_for(NsTcpConn *c, const NsTcpSeg *seg, NsTime now)
{
    if (seg->h.flags & NS_TCP_RST)
        return; /* never answer a reset with a reset */
    NsTcpRepr r;
    memset(&r, 0, sizeof r);
    r.src_port = c->pcb.lport;
    r.dst_port = c->pcb.rport;
    if (seg->h.flags & NS_TCP_ACK) {
        r.seq = seg->h.ack;
        r.flags = NS_TCP_RST;
    } else {
        uint32_t l = seg->len + !!(seg->h.flags & NS_TCP_SYN) + !!(seg->h.flags & NS_TCP_FIN);
        r.seq = 0;
        r.ack = seg->h.seq + l;
        r.flags = NS_TCP_RST | NS_TCP_ACK;
    }
    ns_tcp_opts_layout(&r, NS_TCP_OPTS_MINIMAL);
    NsPacket *p = ns_packet_new(c->env->ctx->pool, NS_PACKET_HEADROOM, NS_TCP_HLEN);
    ns_tcp_emit_pseudo(&r, ns_pcb_pseudo(&c->pcb, NS_IPPROTO_TCP, (uint32_t)p->len), p->data,
                       p->len);
    p->meta = NS_SEND_NORMAL;
    note_segment(c, p, &r, NS_SEND_NORMAL);
    ns_packet_queue_push(&c->outq, p);
    c->segs_sent++;
    (void)now;
}

/* Data bytes in the send buffer from `seq` on (0 if seq lies past it). */
static uint32_t data_from(const NsTcpConn *c, uint32_t seq)
{
    if (seq_lt(seq, c->sb_seq))
        return c->sb_len;
    uint32_t off = seq - c->sb_seq;
    return off >= c->sb_len ? 0 : c->sb_len - off;
}

/* Resend the first unacknowledged segment (fast retransmit, NewReno
 * partial ACK) without moving SND.NXT. */
void tcp_retransmit_first(NsTcpConn *c, NsTime now, NsSendWhy why)
{
    uint32_t avail = data_from(c, c->snd_una);
    uint32_t len = avail < c->mss ? avail : c->mss;
    uint32_t in_flight = c->snd_max - c->snd_una;
    if (len > in_flight)
        len = in_flight;
    uint8_t fl = NS_TCP_ACK;
    uint32_t fin_seq = c->sb_seq + c->sb_len;
    if (len && len == avail)
        fl |= NS_TCP_PSH;
    if (c->fin_queued && c->snd_una + len == fin_seq && seq_gt(c->snd_max, fin_seq))
        fl |= NS_TCP_FIN;
    if (len == 0 && !(fl & NS_TCP_FIN))
        return;
    tcp_send_segment(c, c->snd_una, len, fl, why, now);
    if (c->rtt_start >= 0 && seq_leq(c->rtt_seq, c->snd_una + len))
        c->rtt_start = -1; /* Karn: never time a retransmitted segment */
}

NsTime tcp_rexmt_duration(const NsTcpConn *c)
{
    NsTime d = c->rto << c->rxt_shift;
    NsTime max = c->env->cfg->rto_max;
    return d > max || d <= 0 ? max : d;
}

bool tcp_cwnd_limited(const NsTcpConn *c)
{
    if (!c->env->cfg->cwnd_limited || c->is_cwnd_limited)
        return true;
    /* In slow start, the window may grow to twice what was sent at once. */
    if (c->cwnd < c->ssthresh)
        return c->cwnd < 2u * c->max_packets_out * (c->mss ? c->mss : 1u);
    return false;
}

/* Linux tcp_cwnd_validate after tcp_write_xmit: the window is
 * cwnd-limited when the segments in flight fill it; that is remembered
 * for the window of data just sent (up to SND.MAX), and otherwise the
 * most segments in flight in it. A TSO packet that waited for cwnd
 * (tso_defer) counts as cwnd-limited, as in Linux tcp_write_xmit. */
static void cwnd_validate(NsTcpConn *c, uint32_t pipe, bool use_pipe, bool sent, bool deferred)
{
    uint32_t mss = c->mss ? c->mss : 1u;
    uint32_t flight = c->snd_max - c->snd_una;
    if (use_pipe)
        flight = pipe;
    else if (c->scoreboard)
        flight -= tcp_ranges_covered(&c->scoreboard->sacked, c->snd_una, c->snd_max);
    uint32_t packets = (flight + mss - 1) / mss, cwnd = c->cwnd / mss;
    bool limited = packets >= cwnd || deferred;
    if (!sent && !limited)
        return;
    if (!seq_lt(c->snd_una, c->cwnd_usage_seq) || limited ||
        (!c->is_cwnd_limited && packets > c->max_packets_out)) {
        c->is_cwnd_limited = limited;
        c->max_packets_out = packets;
        c->cwnd_usage_seq = c->snd_max;
    }
}

/* Linux tcp_tso_segs (tcp_tso_autosize over tcp_update_pacing_rate's
 * rate): the segments of new data one TSO packet holds (NsTcpCfg
 * tso_min_segs). SRTT stands for Linux's windowed minimum RTT in the
 * short-path term (netsim's links do not jitter). */
static uint32_t tso_segs(const NsTcpConn *c)
{
    const NsTcpCfg *cfg = c->env->cfg;
    uint32_t mss = c->mss ? c->mss : 1u;
    uint64_t bytes = cfg->gso_max_size;
    uint64_t srtt_us = (uint64_t)(c->srtt / NS_US(1));
    if (srtt_us > 0) {
        uint64_t cwnd = c->cwnd / mss, out = (tcp_flight(c) + mss - 1) / mss;
        uint64_t ssthresh = c->ssthresh / mss;
        uint32_t ratio = cwnd < ssthresh / 2 ? cfg->pacing_ss_ratio : cfg->pacing_ca_ratio;
        uint64_t rate = (uint64_t)mss * 10000u * ratio * (cwnd > out ? cwnd : out) / srtt_us;
        bytes = rate >> 10; /* sk_pacing_shift: about a millisecond's worth */
        uint64_t r = srtt_us >> cfg->tso_rtt_log;
        if (r < 32)
            bytes += cfg->gso_max_size >> r;
        if (bytes > cfg->gso_max_size)
            bytes = cfg->gso_max_size;
    }
    uint64_t n = bytes / mss;
    return n > cfg->tso_min_segs ? (uint32_t)n : cfg->tso_min_segs;
}

/* Linux tcp_tso_should_defer (NsTcpCfg tso_win_divisor): whether new
 * data that spans more than a segment waits for the next ACK to go as a
 * larger TSO packet; *cwnd_lim when cwnd is what holds it. */
static bool tso_defer(const NsTcpConn *c, uint32_t tso, uint32_t avail, uint32_t send_win,
                      uint32_t cong_win, bool *cwnd_lim, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    NsTime oldest, newest;
    if (!cfg->tso_win_divisor || c->ca_state == NS_TCP_CA_RECOVERY ||
        c->ca_state == NS_TCP_CA_LOSS || avail <= c->mss ||
        !tcp_rack_sent_times(c, &oldest, &newest))
        return false;
    if (now - newest > NS_MS(1))
        return false; /* only right after a send, so as not to burst */
    uint32_t limit = send_win < cong_win ? send_win : cong_win;
    if (limit >= tso * c->mss)
        return false; /* a full-sized packet can go */
    uint32_t wnd = c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
    if (limit >= wnd / cfg->tso_win_divisor)
        return false;
    if (now - oldest < c->srtt / 2)
        return false; /* the next ACK is likely to come too late */
    if (cong_win < send_win) {
        if (cong_win <= avail) {
            *cwnd_lim = true;
            return true;
        }
    } else if (send_win <= avail) {
        return true;
    }
    return !c->fin_queued; /* the application may add to it */
}

/* PSH on a segment already built, its checksum mended (RFC 1624): the
 * last of a TSO packet that ended before its planned size. */
static void set_psh(NsPacket *p)
{
    uint8_t *h = p->data;
    if (h[13] & NS_TCP_PSH)
        return;
    uint32_t before = (uint32_t)h[12] << 8 | h[13];
    h[13] |= NS_TCP_PSH;
    uint32_t after = (uint32_t)h[12] << 8 | h[13];
    uint32_t sum = (~((uint32_t)h[16] << 8 | h[17]) & 0xffffu) + (~before & 0xffffu) + after;
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    uint16_t ck = (uint16_t)~sum;
    h[16] = (uint8_t)(ck >> 8);
    h[17] = (uint8_t)ck;
}

/* The send policy: data as window, cwnd and Nagle allow, then the FIN,
 * then an ACK if one is owed and nothing carried it. */
void tcp_conn_output(NsTcpConn *c, NsTime now)
{
    bool data_ok = false, cork_held = false;
    switch (c->state) {
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
        data_ok = true;
        break;
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_TIME_WAIT:
    case NS_TCP_STATE_SYN_RECEIVED:
        break;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
        return;
    }
    /* With a SACK scoreboard in Disorder and Recovery, cwnd limits the
     * pipe (RFC 6675 SetPipe) rather than all data outstanding; recovery
     * first resends the holes deemed lost (NextSeg rule 1), then sends new
     * data (rule 2), then other holes below the highest SACK (rule 3). */
    NsTcpScoreboard *sb = c->scoreboard;
    bool recovery = data_ok && sb && c->ca_state == NS_TCP_CA_RECOVERY;
    bool use_pipe = sb && (recovery || c->ca_state == NS_TCP_CA_DISORDER);
    uint32_t pipe = use_pipe ? tcp_sack_pipe(c) : 0, nxt0 = c->snd_nxt, max0 = c->snd_max;
    if (recovery)
        pipe += tcp_sack_retransmit(c, now, c->cwnd > pipe ? c->cwnd - pipe : 0, false);
    /* New data leaves in TSO packets of up to `tso` segments (tso_min_segs):
     * chunk_left of the current one still to send, chunk_n sent. */
    uint32_t tso = data_ok && c->env->cfg->tso_min_segs ? tso_segs(c) : 0;
    uint32_t chunk_left = 0, chunk_n = 0;
    bool deferred = false; /* cwnd held a packet back (tso_defer) */
    while (data_ok) {
        uint32_t fin_seq = c->sb_seq + c->sb_len;
        if (seq_gt(c->snd_nxt, fin_seq))
            break; /* everything, FIN included, is out */
        uint32_t hole = UINT32_MAX;
        if (sb && seq_lt(c->snd_nxt, c->snd_max)) {
            /* Going back after a timeout: skip what the peer SACKed. */
            const NsTcpRange *r = tcp_ranges_find(&sb->sacked, c->snd_nxt);
            if (r) {
                nxt0 += r->end - c->snd_nxt;
                c->snd_nxt = r->end;
                continue;
            }
            uint32_t covered_to = c->snd_nxt;
            for (uint32_t i = 0; i < sb->sacked.n; i++)
                if (seq_gt(sb->sacked.r[i].start, covered_to)) {
                    hole = sb->sacked.r[i].start - covered_to;
                    break;
                }
        }
        uint32_t avail = fin_seq - c->snd_nxt;
        uint32_t in_flight = c->snd_nxt - c->snd_una;
        uint32_t rwnd_room = c->snd_wnd > in_flight ? c->snd_wnd - in_flight : 0;
        uint32_t pipe_now = in_flight;
        if (use_pipe)
            pipe_now = pipe + (c->snd_nxt - nxt0);
        else if (sb) /* Loss: SACKed bytes below SND.NXT are not in flight */
            pipe_now -= tcp_ranges_covered(&sb->sacked, c->snd_una, c->snd_nxt);
        uint32_t cwnd_room = c->cwnd > pipe_now ? c->cwnd - pipe_now : 0;
        uint32_t usable = rwnd_room < cwnd_room ? rwnd_room : cwnd_room;
        uint32_t len = avail < c->mss ? avail : c->mss;
        if (len > hole)
            len = hole;
        bool probe = false, override = false;
        if (len > usable) {
            if (c->force_probe && usable == 0 && avail > 0) {
                len = 1; /* RFC 9293 3.8.6.1: probe a zero window */
                probe = true;
            } else {
                len = usable;
                /* RFC 9293 3.8.6.2.1: when the override timeout expires,
                 * send what a small window allows after all. */
                override = c->force_probe && usable > 0;
            }
        }
        bool fin = c->fin_queued && len == avail;
        bool rexmit = seq_lt(c->snd_nxt, c->snd_max);
        if (len == 0 && !fin)
            break;
        if (len > 0 && len < c->mss && !rexmit && !probe && !fin && !c->force_probe &&
            tcp_corked(c)) {
            /* TCP_CORK (Linux): a partial segment waits for more data, the
             * cork's removal, a close, or the probe timer below */
            cork_held = true;
            break;
        }
        if (len > 0 && len < c->mss && !rexmit && !probe && !override) {
            /* Nagle (RFC 1122 4.2.3.4): a small segment only when it
             * is the last of the buffer and nothing is outstanding (or
             * TCP_NODELAY), or it is at least half the peer's largest
             * window (the BSD sender-SWS rule). Minshall's variant holds
             * it only while an earlier small segment is unacknowledged. */
            bool last = len == avail;
            bool idle = in_flight == 0;
            if (c->env->cfg->nagle_minshall)
                idle = !(seq_gt(c->snd_sml, c->snd_una) && seq_leq(c->snd_sml, c->snd_nxt));
            bool ok = (last && (c->nodelay || idle || fin)) ||
                      (c->max_sndwnd && len >= c->max_sndwnd / 2);
            if (!ok) {
                /* Traced when a hold begins (the rest is SWS avoidance:
                 * the window, not Nagle, keeps a partial segment). */
                if (last && !c->nagle_held)
                    tcp_trace_nagle(c, len, in_flight);
                c->nagle_held = last;
                break;
            }
        }
        c->nagle_held = false;
        uint8_t fl = NS_TCP_ACK;
        if (len && len == avail)
            fl |= NS_TCP_PSH;
        if (fin)
            fl |= NS_TCP_FIN;
        if (tso && len && !rexmit && !probe) {
            if (chunk_left == 0 && tso_defer(c, tso, avail, rwnd_room, cwnd_room, &deferred, now))
                break;
            if (chunk_left == 0) {
                /* Linux tcp_write_xmit: a packet as large as tso, cwnd
                 * and the peer's window allow now */
                uint32_t quota = usable / c->mss;
                chunk_left = quota == 0 ? 1 : quota < tso ? quota : tso;
                chunk_n = 0;
            }
            chunk_n++;
            if (--chunk_left == 0 && chunk_n > 1)
                fl |= NS_TCP_PSH;
        } else if (chunk_left) {
            if (chunk_n > 1) /* the packet ends early */
                set_psh(c->outq.tail);
            chunk_left = 0;
        }
        NsSendWhy why = probe ? NS_SEND_PROBE
                             : rexmit ? NS_SEND_RTO : NS_SEND_NORMAL;
        tcp_send_segment(c, c->snd_nxt, len, fl, why, now);
        if (len < c->mss)
            c->snd_sml = c->snd_nxt + len; /* Linux tcp_minshall_update */
        if (!rexmit && c->rtt_start < 0 && !probe) {
            c->rtt_start = now;
            c->rtt_seq = c->snd_nxt;
        }
        if (!rexmit && !probe)
            c->snd_last = c->snd_nxt;
        c->snd_nxt += len + (fin ? 1 : 0);
        if (seq_gt(c->snd_nxt, c->snd_max))
            c->snd_max = c->snd_nxt;
        if (probe)
            break;
        if (c->timer[NS_TCP_T_REXMT] == NS_TIME_NEVER)
            tcp_timer_arm(c, NS_TCP_T_REXMT, now, tcp_rexmt_duration(c), true);
        c->timer[NS_TCP_T_PERSIST] = NS_TIME_NEVER;
        if (fin || override)
            break;
    }
    if (chunk_left && chunk_n > 1)
        set_psh(c->outq.tail); /* the last TSO packet ended early */
    if (recovery) {
        uint32_t p = pipe + (c->snd_nxt - nxt0);
        if (c->cwnd > p)
            tcp_sack_retransmit(c, now, c->cwnd - p, true);
    }
    if (data_ok && c->env->cfg->cwnd_limited)
        cwnd_validate(c, use_pipe ? pipe + (c->snd_nxt - nxt0) : 0, use_pipe,
                      c->snd_max != max0 || c->snd_nxt != nxt0, deferred);
    if (data_ok) {
        /* Data waiting, nothing in flight, and a window too small for it:
         * a zero window (RFC 9293 3.8.6.1, probing) or one the sender's
         * SWS avoidance will not fill (3.8.6.2.1, the override timeout).
         * The persist timer serves both, as in BSD. */
        uint32_t waiting = data_from(c, c->snd_nxt);
        uint32_t want = waiting < c->mss ? waiting : c->mss;
        /* A corked partial segment with nothing in flight: Linux's probe
         * timer (tcp_check_probe_timer) sends it after an RTO; that is the
         * cork's "200 ms ceiling". */
        if (waiting && (c->snd_wnd < want || cork_held) &&
            c->timer[NS_TCP_T_REXMT] == NS_TIME_NEVER &&
            c->timer[NS_TCP_T_PERSIST] == NS_TIME_NEVER) {
            NsTime d = c->rto << c->rxt_shift;
            if (d > NS_S(60) || d <= 0)
                d = NS_S(60);
            tcp_timer_arm(c, NS_TCP_T_PERSIST, now, d, true);
        }
    }
    if (seq_gt(c->snd_max, max0))
        tcp_tlp_arm(c, now); /* RFC 8985 7.2: new data went out */
    if (c->ack_now)
        tcp_send_ack(c, now, NS_SEND_NORMAL);
}

void tcp_conn_path_mss(NsTcpConn *c, uint32_t path_mss, uint32_t seq, NsTraceCause cause, NsTime now)
{
    switch (c->state) {
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
        break;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_TIME_WAIT:
        return;
    }
    /* an error about something not in flight is stale or forged (Linux
     * counts it as OutOfWindowIcmps and ignores it) */
    if (seq_lt(seq, c->snd_una) || seq_geq(seq, c->snd_max))
        return;
    /* Linux tcp_mtu_to_mss: room for the options every segment carries */
    uint32_t opt = c->ts_ok ? 12 : 0;
    if (path_mss <= opt + 64 || path_mss - opt >= c->mss)
        return; /* no smaller than before, or absurdly small: ignored */
    uint32_t old = c->mss, mss = path_mss - opt;
    /* Linux counts cwnd and ssthresh in segments: as many, smaller */
    c->cwnd = c->cwnd / old * mss;
    if (c->ssthresh < UINT32_MAX / 2)
        c->ssthresh = c->ssthresh / old * mss;
    c->mss = (uint16_t)mss;
    if (c->rcv_mss > c->mss)
        c->rcv_mss = c->mss;
    /* Linux tcp_simple_retransmit: what was sent larger than the new size
     * is lost. Linux marks whole buffers of its send queue, each holding
     * what one write gave it (several segments), so in practice all the
     * data in flight: send it again at once in the new size, in the Loss
     * state so that SACKs of what did fit start no fast retransmit, with
     * cwnd and ssthresh as they are (the network did not signal
     * congestion). tests/drill/icmp-frag-needed.pkt checks it against the
     * kernel. */
    uint32_t data_end = c->sb_seq + c->sb_len;
    if (seq_gt(data_end, c->snd_max))
        data_end = c->snd_max;
    if (!seq_gt(data_end, c->snd_una))
        return;
    uint32_t lost = data_end - c->snd_una;
    if (c->ca_state != NS_TCP_CA_LOSS) {
        c->recover = c->snd_max;
        c->dupacks = 0;
        tcp_set_ca_state(c, NS_TCP_CA_LOSS, cause);
    }
    c->rtt_start = -1; /* Karn: never time a segment sent again */
    for (uint32_t off = 0; off < lost; off += c->mss) {
        uint32_t len = lost - off < c->mss ? lost - off : c->mss;
        /* PSH on the one that ends what the application wrote */
        bool last = off + len == lost && c->snd_una + lost == c->sb_seq + c->sb_len;
        tcp_send_segment(c, c->snd_una + off, len, NS_TCP_ACK | (last ? NS_TCP_PSH : 0),
                         NS_SEND_PMTU, now);
    }
}
