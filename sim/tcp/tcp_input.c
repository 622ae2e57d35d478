/* SEGMENT ARRIVES (RFC 9293 3.10.7): SYN-SENT in its own function
 * (3.10.7.3), then the synchronized states step by step in the RFC's order
 * (3.10.7.4: sequence number, RST, SYN, ACK, URG, text, FIN), each step a
 * small function returning a verdict. RFC 5961 challenge ACKs on the
 * linux profile; RFC 5681/6582 loss recovery in the ACK step. */
#include "tcp-private.h"

#include <errno.h>
#include <string.h>


/* The segment as the steps see it, trimmed to the window. */
typedef struct {
    NsTcpSeg *seg;
    NsTime now;
    uint32_t seq, len; /* payload after trimming */
    const uint8_t *data;
    uint8_t flags;
    NsSendWhy ack_why; /* for DROP_AFTER_ACK */
    bool fin_in_order;
} In;

static uint32_t seg_len(const In *in)
{
    return in->len + !!(in->flags & NS_TCP_SYN) + !!(in->flags & NS_TCP_FIN);
}

/* ---- SYN-SENT (3.10.7.3) ---- */

static NsTcpVerdict input_syn_sent(NsTcpConn *c, In *in)
{
    const NsTcpRepr *h = &in->seg->h;
    bool ack_ok = false;
    /* First, the ACK: it must acknowledge our SYN and nothing more. */
    if (in->flags & NS_TCP_ACK) {
        if (seq_leq(h->ack, c->iss) || seq_gt(h->ack, c->snd_max))
            return (in->flags & NS_TCP_RST) ? NS_TCP_DROP : NS_TCP_DROP_WITH_RESET;
        ack_ok = seq_leq(c->snd_una, h->ack) && seq_leq(h->ack, c->snd_max);
    }
    /* Second, RST: only one that acknowledges our SYN counts
     * (RFC 5961 3.2 keeps this for SYN-SENT). */
    if (in->flags & NS_TCP_RST) {
        if (!ack_ok)
            return NS_TCP_DROP;
        c->rst_sent_or_rcvd = true;
        tcp_conn_enter_closed(c, ECONNREFUSED, NS_CAUSE_RCV_RST);
        return NS_TCP_DROP;
    }
    /* Fourth, SYN. */
    if (!(in->flags & NS_TCP_SYN))
        return NS_TCP_DROP;
    tcp_conn_take_syn(c, in->seg);
    if (ack_ok) {
        c->snd_una = h->ack;
        if (c->rtt_start >= 0 && c->rxt_shift == 0)
            tcp_rtt_sample(c, in->now - c->rtt_start);
        c->rtt_start = -1;
        c->rxt_shift = 0;
        tcp_timer_stop(c, NS_TCP_T_REXMT, false);
    }
    if (seq_gt(c->snd_una, c->iss)) {
        /* RFC 7323 2.2: the SYN-ACK's window is not scaled either. */
        tcp_conn_set_state(c, NS_TCP_STATE_ESTABLISHED, NS_CAUSE_RCV_SYN_ACK);
        tcp_conn_established(c, in->now);
        /* The bare third ACK; queued data follows in its own segment,
         * as Linux does. */
        tcp_send_ack(c, in->now, NS_SEND_NORMAL);
        tcp_conn_output(c, in->now);
        return NS_TCP_DROP;
    }
    /* Simultaneous open: SYN-RECEIVED, send SYN,ACK with our ISS. */
    tcp_conn_set_state(c, NS_TCP_STATE_SYN_RECEIVED, NS_CAUSE_RCV_SYN_SIMULTANEOUS);
    tcp_send_syn(c, in->now, NS_SEND_NORMAL);
    return NS_TCP_DROP;
}

/* ---- synchronized states (3.10.7.4) ---- */

/* First: sequence number acceptability (the four cases of the table),
 * then trimming to the window. */
static NsTcpVerdict step_seq(NsTcpConn *c, In *in)
{
    uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    /* An old SYN (a retransmitted SYN-ACK, or the peer's SYN-ACK in a
     * simultaneous open) is trimmed first, as BSD does; what is left is
     * judged on its own and, being a duplicate, answered at once. */
    if ((in->flags & NS_TCP_SYN) && seq_lt(in->seq, c->rcv_nxt)) {
        in->flags &= (uint8_t)~NS_TCP_SYN;
        in->seq++;
        if (in->len == 0 && !(in->flags & NS_TCP_FIN) && in->seq == c->rcv_nxt)
            c->ack_now = true;
    }
    uint32_t l = seg_len(in);
    bool ok;
    if (l == 0)
        ok = wnd == 0 ? in->seq == c->rcv_nxt
                      : seq_leq(c->rcv_nxt, in->seq) && seq_lt(in->seq, c->rcv_nxt + wnd);
    else if (wnd == 0)
        ok = false;
    else
        ok = (seq_leq(c->rcv_nxt, in->seq) && seq_lt(in->seq, c->rcv_nxt + wnd)) ||
             (seq_leq(c->rcv_nxt, in->seq + l - 1) && seq_lt(in->seq + l - 1, c->rcv_nxt + wnd));
    /* A zero window still takes a segment that carries only what lies at
     * RCV.NXT without data (an ACK or RST), per the table above. */
    if (!ok) {
        if (in->flags & NS_TCP_RST)
            return NS_TCP_DROP;
        if (in->len && seq_leq(in->seq + in->len, c->rcv_nxt))
            tcp_dsack_note(c, in->seq, in->seq + in->len); /* all seen already */
        if (c->state == NS_TCP_STATE_TIME_WAIT && (in->flags & NS_TCP_FIN))
            tcp_timer_arm(c, NS_TCP_T_TIME_WAIT, in->now, c->env->cfg->time_wait, false);
        /* Still learn from its ACK when only the data is outside the
         * window (a zero-window probe): RFC 9293 3.10.7.4 lets the ACK
         * field be processed; we keep it simple and just answer. */
        return NS_TCP_DROP_AFTER_ACK;
    }
    /* Trim the front: what lies before RCV.NXT was seen already. */
    if (seq_lt(in->seq, c->rcv_nxt)) {
        uint32_t d = c->rcv_nxt - in->seq;
        if (in->len && !(in->flags & NS_TCP_SYN))
            tcp_dsack_note(c, in->seq, c->rcv_nxt < in->seq + in->len ? c->rcv_nxt
                                                                      : in->seq + in->len);
        if (in->flags & NS_TCP_SYN) {
            in->flags &= (uint8_t)~NS_TCP_SYN;
            d--;
            in->seq++;
        }
        if (d > in->len)
            d = in->len;
        in->data += d;
        in->len -= d;
        in->seq += d;
    }
    /* Trim the tail beyond the window (a FIN there is dropped with it). */
    if (seq_gt(in->seq + in->len, c->rcv_nxt + wnd)) {
        uint32_t keep = c->rcv_nxt + wnd - in->seq;
        in->len = keep;
        in->flags &= (uint8_t)~NS_TCP_FIN;
    }
    /* RFC 7323 4.3: TS.Recent from the segment that covers Last.ACK.sent. */
    if (c->ts_ok && in->seg->h.has_ts && seq_leq(in->seq, c->last_ack_sent))
        c->ts_recent = in->seg->h.ts_val;
    return NS_TCP_CONTINUE;
}

/* Second: RST. RFC 5961 3.2 on linux: only an exact RCV.NXT match resets,
 * other in-window resets get a challenge ACK. minimal: any in-window RST
 * resets (RFC 793, kept by RFC 9293 as the base rule). */
static NsTcpVerdict step_rst(NsTcpConn *c, In *in)
{
    if (!(in->flags & NS_TCP_RST))
        return NS_TCP_CONTINUE;
    if (c->env->cfg->rfc5961 && in->seg->h.seq != c->rcv_nxt) {
        in->ack_why = NS_SEND_CHALLENGE_ACK;
        return NS_TCP_DROP_AFTER_ACK;
    }
    c->rst_sent_or_rcvd = true;
    switch (c->state) {
    case NS_TCP_STATE_SYN_RECEIVED:
        /* Passive: back to LISTEN, i.e. the child goes away; active
         * (simultaneous open): connection refused. */
        tcp_conn_enter_closed(c, c->passive ? 0 : ECONNREFUSED, NS_CAUSE_RCV_RST);
        return NS_TCP_DROP;
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
        tcp_conn_enter_closed(c, ECONNRESET, NS_CAUSE_RCV_RST);
        return NS_TCP_DROP;
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        tcp_conn_enter_closed(c, 0, NS_CAUSE_RCV_RST);
        return NS_TCP_DROP;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
        break;
    }
    return NS_TCP_DROP;
}

/* Fourth: SYN in a synchronized state. RFC 5961 4 (linux): challenge ACK.
 * minimal (RFC 793): reset the connection. A passive child in
 * SYN-RECEIVED that sees a new SYN goes back to LISTEN (vanishes). */
static NsTcpVerdict step_syn(NsTcpConn *c, In *in)
{
    if (!(in->flags & NS_TCP_SYN))
        return NS_TCP_CONTINUE;
    if (c->state == NS_TCP_STATE_SYN_RECEIVED && c->passive) {
        tcp_conn_enter_closed(c, 0, NS_CAUSE_RCV_SYN);
        return NS_TCP_DROP;
    }
    if (c->env->cfg->rfc5961 || c->state == NS_TCP_STATE_TIME_WAIT) {
        in->ack_why = NS_SEND_CHALLENGE_ACK;
        return NS_TCP_DROP_AFTER_ACK;
    }
    tcp_send_segment(c, c->snd_max, 0, NS_TCP_RST, NS_SEND_NORMAL, in->now);
    c->rst_sent_or_rcvd = true;
    tcp_conn_enter_closed(c, ECONNRESET, NS_CAUSE_RCV_SYN_IN_WINDOW);
    return NS_TCP_DROP;
}

static void update_window(NsTcpConn *c, In *in)
{
    const NsTcpRepr *h = &in->seg->h;
    /* RFC 9293 3.10.7.4 ACK step: SND.WL1/WL2 guard against old segments. */
    if (seq_lt(c->snd_wl1, in->seq) ||
        (c->snd_wl1 == in->seq && seq_leq(c->snd_wl2, h->ack))) {
        uint32_t w = (uint32_t)h->window << c->snd_wscale;
        bool opened = c->snd_wnd == 0 && w > 0;
        c->snd_wnd = w;
        c->snd_wl1 = in->seq;
        c->snd_wl2 = h->ack;
        if (w > c->max_sndwnd)
            c->max_sndwnd = w;
        if (opened && c->timer[NS_TCP_T_PERSIST] != NS_TIME_NEVER) {
            tcp_timer_stop(c, NS_TCP_T_PERSIST, true);
            c->rxt_shift = 0;
            /* The probe byte (if any) is resent by the normal path. */
            c->snd_nxt = c->snd_una;
        }
    }
}

/* New data acknowledged (common to both recoveries): RTT sample, send
 * buffer, SND.UNA, retransmission timer (RFC 6298 5.2/5.3). Returns the
 * bytes acknowledged. */
static uint32_t take_ack(NsTcpConn *c, In *in, uint32_t ack)
{
    uint32_t acked = ack - c->snd_una;
    if (c->rtt_start >= 0 && seq_gt(ack, c->rtt_seq)) {
        tcp_rtt_sample(c, in->now - c->rtt_start);
        c->rtt_start = -1;
    }
    c->rxt_shift = 0;
    /* Drop acknowledged bytes from the send buffer (the FIN is not in it). */
    if (seq_gt(ack, c->sb_seq)) {
        uint32_t n = ack - c->sb_seq;
        if (n > c->sb_len)
            n = c->sb_len;
        tcp_sb_drop(c, n);
        c->bytes_acked += n;
        if (n)
            tcp_conn_write_space(c);
    }
    c->snd_una = ack;
    if (seq_lt(c->snd_nxt, c->snd_una))
        c->snd_nxt = c->snd_una;
    tcp_sack_acked(c);
    c->dupacks = 0;
    if (c->snd_una == c->snd_max)
        tcp_timer_stop(c, NS_TCP_T_REXMT, true);
    else
        c->timer[NS_TCP_T_REXMT] = tcp_timer_deadline(c->env->cfg, in->now, c->rto);
    return acked;
}

/* ---- NewReno (RFC 5681 3.2, RFC 6582): without SACK ---- */

/* New data acknowledged: NewReno recovery (RFC 6582 3.2 steps 3 and 4)
 * or window growth. */
static void newreno_ack(NsTcpConn *c, In *in, uint32_t ack)
{
    uint32_t acked = take_ack(c, in, ack);
    switch ((NsTcpCaState)c->ca_state) {
    case NS_TCP_CA_RECOVERY:
        if (seq_geq(ack, c->recover)) {
            tcp_cc(c)->post_recovery(c);
            tcp_set_ca_state(c, NS_TCP_CA_OPEN, NS_CAUSE_RECOVERY_DONE);
            tcp_trace_cc(c, NS_CAUSE_RECOVERY_DONE);
        } else {
            /* Partial ACK: the next hole is lost too; deflate by the amount
             * acknowledged, add back one MSS. */
            tcp_retransmit_first(c, in->now, NS_SEND_FAST_RETRANSMIT);
            c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->mss;
            if (acked >= c->mss)
                c->cwnd += c->mss;
        }
        break;
    case NS_TCP_CA_LOSS:
        tcp_cc(c)->on_ack(c, acked, in->now);
        if (seq_geq(ack, c->recover))
            tcp_set_ca_state(c, NS_TCP_CA_OPEN, NS_CAUSE_LOSS_REPAIRED);
        break;
    case NS_TCP_CA_OPEN:
    case NS_TCP_CA_DISORDER:
        tcp_cc(c)->on_ack(c, acked, in->now);
        tcp_set_ca_state(c, NS_TCP_CA_OPEN, NS_CAUSE_ACK);
        break;
    }
}

/* RFC 5681 2: a duplicate ACK acknowledges nothing new, carries no data,
 * no SYN/FIN, the same window, while data is outstanding. */
static void newreno_dup_ack(NsTcpConn *c, In *in)
{
    c->dupacks++;
    switch ((NsTcpCaState)c->ca_state) {
    case NS_TCP_CA_RECOVERY:
        tcp_cc(c)->on_dup_ack(c);
        return;
    case NS_TCP_CA_LOSS:
        return;
    case NS_TCP_CA_OPEN:
        tcp_set_ca_state(c, NS_TCP_CA_DISORDER, NS_CAUSE_DUP_ACK);
        break;
    case NS_TCP_CA_DISORDER:
        break;
    }
    if (c->dupacks != NS_TCP_DUPTHRESH)
        return;
    /* RFC 6582 4.1: no new recovery for ACKs below `recover`. */
    if (seq_lt(c->snd_una, c->recover))
        return;
    tcp_cc(c)->on_cong_signal(c);
    c->recover = c->snd_max;
    tcp_set_ca_state(c, NS_TCP_CA_RECOVERY, NS_CAUSE_DUP_ACKS);
    c->rtt_start = -1;
    tcp_retransmit_first(c, in->now, NS_SEND_FAST_RETRANSMIT);
    c->cwnd = c->ssthresh + 3u * c->mss;
    tcp_trace_cc(c, NS_CAUSE_DUP_ACKS_FAST_RETRANSMIT);
}

/* ---- SACK (RFC 6675 with RFC 6937 PRR, as Linux) ---- */

/* Open, or Disorder while SACKed data is still above SND.UNA. */
static void sack_settle(NsTcpConn *c, NsTraceCause why)
{
    if (tcp_sacked_bytes(c))
        tcp_set_ca_state(c, NS_TCP_CA_DISORDER, why);
    else
        tcp_set_ca_state(c, NS_TCP_CA_OPEN, why);
}

/* Every acceptable ACK of a SACK connection: the scoreboard first
 * (RFC 6675 Update()), then the cumulative ACK, then the state machine.
 * A duplicate ACK is one that SACKs new data (RFC 6675 2). */
static void sack_ack(NsTcpConn *c, In *in, uint32_t ack)
{
    uint32_t before = tcp_sacked_bytes(c);
    uint32_t newly = tcp_sack_update(c, &in->seg->h);
    uint32_t acked = 0;
    if (c->env->cfg->rack)
        tcp_rack_on_ack(c, &in->seg->h, seq_gt(ack, c->snd_una) ? ack : c->snd_una, in->now);
    if (seq_gt(ack, c->snd_una))
        acked = take_ack(c, in, ack);
    else if (newly && ack == c->snd_una && c->snd_max != c->snd_una)
        c->dupacks++;
    if (c->env->cfg->rack)
        tcp_rack_detect(c, in->now); /* RFC 8985 6.2 step 5 */
    /* RFC 6937 DeliveredData: change in SND.UNA plus change in SACKed
     * bytes (which falls when SACKed bytes become cumulatively ACKed). */
    int64_t d = (int64_t)acked + tcp_sacked_bytes(c) - before;
    uint32_t delivered = d > 0 ? (uint32_t)d : 0;
    switch ((NsTcpCaState)c->ca_state) {
    case NS_TCP_CA_RECOVERY:
        if (seq_geq(c->snd_una, c->recover) && c->scoreboard &&
            seq_gt(c->scoreboard->high_rxt, c->snd_una)) {
            /* The recovery point is ACKed, but holes above it (data sent
             * during this recovery and lost too) were already resent in
             * it: the episode goes on to the new highest sequence, so that
             * those holes are neither resent nor cut for twice (as Linux,
             * which repairs every hole of a window in one episode). */
            c->recover = c->snd_max;
            tcp_sack_prr_ack(c, delivered);
            return;
        }
        if (seq_geq(c->snd_una, c->recover)) {
            c->cwnd = c->ssthresh; /* RFC 6937: end of recovery */
            tcp_trace_cc(c, NS_CAUSE_RECOVERY_DONE);
            sack_settle(c, NS_CAUSE_RECOVERY_DONE);
        } else {
            tcp_sack_prr_ack(c, delivered);
        }
        return;
    case NS_TCP_CA_LOSS:
        if (acked)
            tcp_cc(c)->on_ack(c, acked, in->now);
        if (seq_geq(c->snd_una, c->recover))
            sack_settle(c, NS_CAUSE_LOSS_REPAIRED);
        return;
    case NS_TCP_CA_OPEN:
    case NS_TCP_CA_DISORDER:
        break;
    }
    if (acked)
        tcp_cc(c)->on_ack(c, acked, in->now);
    if (c->snd_max != c->snd_una &&
        (c->dupacks >= NS_TCP_DUPTHRESH || tcp_sack_first_lost(c))) {
        if (c->ca_state == NS_TCP_CA_OPEN)
            tcp_set_ca_state(c, NS_TCP_CA_DISORDER, NS_CAUSE_SACK);
        bool by_dupacks = c->dupacks >= NS_TCP_DUPTHRESH;
        tcp_sack_enter_recovery(c, in->now);
        tcp_sack_prr_ack(c, delivered);
        tcp_trace_cc(c, by_dupacks ? NS_CAUSE_DUP_ACKS_FAST_RETRANSMIT
                                   : NS_CAUSE_SACK_BEYOND_LOSS_FAST_RETRANSMIT);
        return;
    }
    sack_settle(c, newly ? NS_CAUSE_SACK : NS_CAUSE_ACK);
}

/* Fifth: ACK. */
static NsTcpVerdict step_ack(NsTcpConn *c, In *in)
{
    const NsTcpRepr *h = &in->seg->h;
    if (!(in->flags & NS_TCP_ACK))
        return NS_TCP_DROP;
    uint32_t ack = h->ack;
    if (c->state == NS_TCP_STATE_SYN_RECEIVED) {
        if (!(seq_lt(c->snd_una, ack) && seq_leq(ack, c->snd_max)))
            return NS_TCP_DROP_WITH_RESET;
        if (c->rtt_start >= 0 && c->rxt_shift == 0)
            tcp_rtt_sample(c, in->now - c->rtt_start);
        c->rtt_start = -1;
        c->rxt_shift = 0;
        c->snd_una = ack;
        c->snd_wnd = (uint32_t)h->window << c->snd_wscale;
        c->max_sndwnd = c->snd_wnd;
        c->snd_wl1 = in->seq;
        c->snd_wl2 = ack;
        tcp_timer_stop(c, NS_TCP_T_REXMT, false);
        tcp_conn_established(c, in->now);
        if (c->fin_queued) {
            /* close() while in SYN-RECEIVED: FIN-WAIT-1 already. */
            tcp_conn_set_state(c, NS_TCP_STATE_FIN_WAIT_1, NS_CAUSE_RCV_ACK_OF_SYN);
        } else {
            tcp_conn_set_state(c, NS_TCP_STATE_ESTABLISHED, NS_CAUSE_RCV_ACK_OF_SYN);
        }
        tcp_conn_output(c, in->now);
    }
    /* RFC 5961 5.2 (linux): an ACK outside [SND.UNA - MAX.SND.WND,
     * SND.NXT] gets a challenge ACK. RFC 9293: an ACK of something not
     * yet sent gets an ACK. */
    if (seq_gt(ack, c->snd_max)) {
        in->ack_why = c->env->cfg->rfc5961 ? NS_SEND_CHALLENGE_ACK : NS_SEND_NORMAL;
        return NS_TCP_DROP_AFTER_ACK;
    }
    if (c->env->cfg->rfc5961 && seq_lt(ack, c->snd_una - c->max_sndwnd)) {
        in->ack_why = NS_SEND_CHALLENGE_ACK;
        return NS_TCP_DROP_AFTER_ACK;
    }
    uint32_t old_wnd = c->snd_wnd, una_before = c->snd_una;
    if (c->sack_ok) {
        sack_ack(c, in, ack);
    } else if (seq_gt(ack, c->snd_una)) {
        newreno_ack(c, in, ack);
    } else if (ack == c->snd_una && in->len == 0 && !(in->flags & (NS_TCP_SYN | NS_TCP_FIN)) &&
               ((uint32_t)h->window << c->snd_wscale) == old_wnd && h->window != 0 &&
               c->snd_max != c->snd_una) {
        newreno_dup_ack(c, in);
    }
    if (seq_leq(c->snd_una, ack))
        update_window(c, in);
    tcp_tlp_on_ack(c, h, una_before, in->now);
    bool fin_acked = c->fin_queued && seq_gt(c->snd_una, c->sb_seq + c->sb_len);
    switch (c->state) {
    case NS_TCP_STATE_FIN_WAIT_1:
        if (fin_acked) {
            tcp_conn_set_state(c, NS_TCP_STATE_FIN_WAIT_2, NS_CAUSE_RCV_ACK_OF_FIN);
            if (c->orphan)
                tcp_timer_arm(c, NS_TCP_T_TIME_WAIT, in->now, c->env->cfg->fin_wait_2, true);
        }
        break;
    case NS_TCP_STATE_CLOSING:
        if (fin_acked) {
            tcp_conn_set_state(c, NS_TCP_STATE_TIME_WAIT, NS_CAUSE_RCV_ACK_OF_FIN);
            tcp_timer_stop_all(c);
            tcp_timer_arm(c, NS_TCP_T_TIME_WAIT, in->now, c->env->cfg->time_wait, true);
            return NS_TCP_DROP;
        }
        break;
    case NS_TCP_STATE_LAST_ACK:
        if (fin_acked) {
            tcp_conn_enter_closed(c, 0, NS_CAUSE_RCV_ACK_OF_FIN);
            return NS_TCP_DROP;
        }
        break;
    case NS_TCP_STATE_TIME_WAIT:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
        break;
    }
    return NS_TCP_CONTINUE;
}

/* Sixth: URG. netsim never sends urgent data and, as RFC 6093 advises
 * for new applications, delivers it inline: nothing to do. */
static NsTcpVerdict step_urg(NsTcpConn *c, In *in)
{
    (void)c;
    (void)in;
    return NS_TCP_CONTINUE;
}

static bool state_takes_text(NsTcpState s)
{
    switch (s) {
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
        return true;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        return false;
    }
    return false;
}

/* The ACK policy for data (RFC 1122 4.2.3.2, RFC 5681 4.2; quickack). */
static void ack_policy(NsTcpConn *c, In *in, bool in_order, bool filled_hole)
{
    const NsTcpCfg *cfg = c->env->cfg;
    if (!in_order || filled_hole || c->ooo) {
        c->ack_now = true; /* RFC 5681 4.2: immediate dup ACK / hole filled */
        return;
    }
    if (c->quickack) {
        if (!cfg->ack_one_frame)
            c->quickack--;
        c->ack_now = true;
        return;
    }
    uint32_t unacked = c->rcv_nxt - c->last_ack_sent;
    if (cfg->ack_one_frame) {
        /* Linux: more than one full frame unacknowledged, and the window
         * offered now is no smaller than the one last advertised (else the
         * application's reads will send the ACK with a larger window). */
        if (unacked > c->rcv_mss && tcp_rcv_window_free(c) >= c->rcv_adv - c->last_ack_sent) {
            c->ack_now = true;
            return;
        }
    } else if (unacked >= 2u * c->rcv_mss) {
        /* RFC 1122 4.2.3.2 (MUST-58 SHOULD): ACK at least every second
         * full-sized segment; otherwise within the delayed-ACK time. */
        c->ack_now = true;
        return;
    }
    if (c->timer[NS_TCP_T_DELACK] == NS_TIME_NEVER)
        tcp_timer_arm(c, NS_TCP_T_DELACK, in->now, cfg->delack, true);
}

/* Seventh: segment text. */
static NsTcpVerdict step_text(NsTcpConn *c, In *in)
{
    if (in->len == 0) {
        if (!(in->flags & NS_TCP_FIN))
            return NS_TCP_CONTINUE;
        if (in->seq == c->rcv_nxt) {
            in->fin_in_order = true;
        } else if (seq_gt(in->seq, c->rcv_nxt) && state_takes_text(c->state)) {
            /* A FIN beyond a hole is kept with the out-of-order data, as a
             * FIN on a data segment is (Linux queues it out of order,
             * tcp_data_queue_ofo), and taken when the hole is filled; the
             * duplicate ACK goes at once (RFC 5681 4.2). */
            tcp_ooo_insert(c, in->seg, in->seq, NULL, 0, true);
            ack_policy(c, in, false, false);
        }
        return NS_TCP_CONTINUE;
    }
    if (!state_takes_text(c->state))
        return NS_TCP_CONTINUE; /* after the peer's FIN: ignore */
    if (in->seq == c->rcv_nxt) {
        bool had_ooo = c->ooo != NULL;
        c->rcv_nxt += in->len;
        uint32_t full = c->adv_mss - (c->ts_ok ? 12u : 0u);
        const NsTcpCfg *cfg = c->env->cfg;
        tcp_rcvspace_data(c, in->len, &in->seg->h, in->now);
        if (cfg->rcv_mss_estimate && in->len >= c->rcv_mss) {
            /* Linux tcp_measure_rcv_mss: the largest segment seen, at most
             * what our MSS option allows. */
            c->rcv_mss = (uint16_t)(in->len < full ? in->len : full);
        }
        bool full_sized = in->len >= c->rcv_mss && in->len >= full;
        tcp_rcvq_append(c, in->seg, in->data, in->len);
        if (cfg->rcv_ssthresh && full_sized && cfg->rcv_autotune) {
            /* Linux tcp_grow_window(), see tcp_rcvspace.c; a growth is
             * announced at once (icsk_ack.quick |= 1). */
            if (tcp_rcvspace_grow_window(c, in->len) && cfg->quickack)
                c->quickack |= 1;
        } else if (cfg->rcv_ssthresh && full_sized && c->rcv_ssthresh < tcp_rcvbuf(c)) {
            /* Linux tcp_grow_window() without autotuning: +2 MSS per
             * full-sized in-order segment (a smaller one costs too much
             * buffer memory for the payload it brings to open the window). */
            c->rcv_ssthresh += 2u * c->rcv_mss;
        }
        if (in->flags & NS_TCP_FIN)
            in->fin_in_order = true;
        if (tcp_ooo_drain(c))
            in->fin_in_order = true;
        ack_policy(c, in, true, had_ooo);
    } else {
        tcp_ooo_insert(c, in->seg, in->seq, in->data, in->len, (in->flags & NS_TCP_FIN) != 0);
        ack_policy(c, in, false, false);
    }
    return NS_TCP_CONTINUE;
}

/* Eighth: FIN (only once everything before it has arrived). */
static NsTcpVerdict step_fin(NsTcpConn *c, In *in)
{
    if (!in->fin_in_order)
        return NS_TCP_CONTINUE;
    const NsTcpCfg *cfg = c->env->cfg;
    if (!c->fin_rcvd) {
        c->rcv_nxt++;
        c->fin_rcvd = true;
        c->notify = true;
    }
    switch (c->state) {
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
        tcp_conn_set_state(c, NS_TCP_STATE_CLOSE_WAIT, NS_CAUSE_RCV_FIN);
        /* Linux: the FIN's ACK waits (pingpong), so an application that
         * closes at once sends one F. that acknowledges it (case 1). */
        if (cfg->delay_fin_ack && cfg->ato_from_first_data && c->bytes_received == 0)
            c->ack_now = true; /* no data yet: the delayed-ACK timeout is 0 */
        else if (cfg->delay_fin_ack)
            tcp_timer_arm(c, NS_TCP_T_DELACK, in->now, cfg->delack, true);
        else
            c->ack_now = true;
        break;
    case NS_TCP_STATE_FIN_WAIT_1:
        /* Our FIN not yet acknowledged (else step_ack moved us on). */
        tcp_conn_set_state(c, NS_TCP_STATE_CLOSING, NS_CAUSE_RCV_FIN_SIMULTANEOUS);
        c->ack_now = true;
        break;
    case NS_TCP_STATE_FIN_WAIT_2:
        tcp_conn_set_state(c, NS_TCP_STATE_TIME_WAIT, NS_CAUSE_RCV_FIN);
        tcp_timer_stop_all(c);
        tcp_timer_arm(c, NS_TCP_T_TIME_WAIT, in->now, cfg->time_wait, true);
        c->ack_now = true;
        break;
    case NS_TCP_STATE_TIME_WAIT:
        /* A retransmitted FIN: ACK it and restart the 2 MSL wait. */
        tcp_timer_arm(c, NS_TCP_T_TIME_WAIT, in->now, cfg->time_wait, false);
        c->ack_now = true;
        break;
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
        c->ack_now = true;
        break;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
        break;
    }
    return NS_TCP_CONTINUE;
}

typedef NsTcpVerdict (*Step)(NsTcpConn *c, In *in);
static const Step steps[] = {step_seq, step_rst, step_syn, step_ack, step_urg, step_text, step_fin};

NsTcpVerdict tcp_conn_input(NsTcpConn *c, NsTcpSeg *seg, NsTime now)
{
    In in = {.seg = seg, .now = now, .seq = seg->h.seq, .len = seg->len, .data = seg->data,
             .flags = seg->h.flags};
    c->segs_received++;
    tcp_opts_heard(c, now);
    NsTcpVerdict v = NS_TCP_DROP;
    switch (c->state) {
    case NS_TCP_STATE_SYN_SENT:
        v = input_syn_sent(c, &in);
        break;
    case NS_TCP_STATE_SYN_RECEIVED:
        if ((in.flags & (NS_TCP_SYN | NS_TCP_ACK | NS_TCP_RST)) == NS_TCP_SYN &&
            in.seq == c->irs) {
            /* The peer did not get our SYN-ACK: send it again (what a
             * listener does for a retransmitted SYN). */
            tcp_send_syn(c, now, NS_SEND_RTO);
            return NS_TCP_DROP;
        }
        /* fall through */
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        v = NS_TCP_CONTINUE;
        for (size_t i = 0; i < sizeof steps / sizeof steps[0] && v == NS_TCP_CONTINUE; i++) {
            v = steps[i](c, &in);
            if (c->state == NS_TCP_STATE_CLOSED)
                break;
        }
        break;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
        return NS_TCP_DROP; /* the layer above handles these */
    }
    switch (v) {
    case NS_TCP_DROP_AFTER_ACK:
        if (!(in.flags & NS_TCP_RST) || in.ack_why == NS_SEND_CHALLENGE_ACK)
            tcp_send_ack(c, now, in.ack_why);
        break;
    case NS_TCP_DROP_WITH_RESET:
        tcp_send_rst_for(c, seg, now);
        break;
    case NS_TCP_CONTINUE:
    case NS_TCP_DROP:
        break;
    }
    if (c->state != NS_TCP_STATE_CLOSED)
        tcp_conn_output(c, now);
    return v;
}
