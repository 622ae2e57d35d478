/* Tail loss probe (RFC 8985 section 7), linux profile only. When the last
 * segments of a flight are lost, no later segment draws a duplicate ACK or
 * a SACK that could report it, and only the RTO is left. A probe timer
 * (PTO) shorter than the RTO resends the tail (or sends new data) to draw
 * an ACK that starts SACK recovery, or repairs a lone loss outright.
 * Timing as Linux 6.x (shared/refs/linux case 5b); no RACK. */
#include "tcp-private.h"

/* RFC 8985 7.2: TLP needs SACK (the probe's ACK reports what it found),
 * and only data states send data. */
static bool tlp_allowed(const NsTcpConn *c)
{
    if (!c->env->cfg->tlp || !c->sack_ok)
        return false;
    switch (c->state) {
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
        return true;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_TIME_WAIT:
        return false;
    }
    return false;
}

/* RFC 8985 7.2: PTO = 2*SRTT, plus the worst-case delayed ACK when a
 * single segment is in flight (its ACK may be delayed); Linux adds two
 * jiffies otherwise, and uses 1 s before any RTT sample. The probe never
 * goes later than the RTO would. */
NsTime tcp_tlp_timeout(const NsTcpConn *c, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    NsTime pto = cfg->pto_no_rtt;
    if (c->srtt)
        pto = 2 * c->srtt + (tcp_flight(c) <= c->mss ? cfg->pto_one_seg : cfg->pto_slack);
    NsTime rto_left = c->timer[NS_TCP_T_REXMT] - now;
    if (c->timer[NS_TCP_T_REXMT] != NS_TIME_NEVER && rto_left < pto)
        pto = rto_left;
    return pto;
}

/* RFC 8985 7.2: arm when new data was sent or an ACK acknowledged some,
 * unless the sender is in fast recovery or RTO recovery or has SACKed data
 * (Linux: the congestion state is not Open), or a probe of this tail is
 * still outstanding (7.3: one probe at a time). A zero window belongs to
 * the persist timer. */
void tcp_tlp_arm(NsTcpConn *c, NsTime now)
{
    if (!c->env->cfg->tlp)
        return;
    bool ok = tlp_allowed(c) && c->ca_state == NS_TCP_CA_OPEN && !c->tlp_active &&
              tcp_flight(c) > 0 && c->timer[NS_TCP_T_REXMT] != NS_TIME_NEVER &&
              c->timer[NS_TCP_T_PERSIST] == NS_TIME_NEVER;
    NsTime pto = ok ? tcp_tlp_timeout(c, now) : 0;
    if (pto <= 0) {
        tcp_timer_stop(c, NS_TCP_T_TLP, false);
        return;
    }
    tcp_timer_arm(c, NS_TCP_T_TLP, now, pto, true);
    /* Linux keeps the probe and the RTO in one timer: a probe capped at
     * the RTO's expiry never lands in a later wheel bucket than the RTO. */
    if (c->timer[NS_TCP_T_TLP] > c->timer[NS_TCP_T_REXMT])
        c->timer[NS_TCP_T_TLP] = c->timer[NS_TCP_T_REXMT];
}

/* RFC 8985 7.4: the episode ends once the cumulative ACK covers the probe.
 * If the probe was new data there is nothing more to learn (RACK would).
 * If it resent the tail, the ACK tells whether the probe repaired a loss
 * or merely duplicated a segment that had arrived. Linux tells by DSACK;
 * netsim's sender does not read D-SACK blocks (its linux receiver sends
 * them), so the timestamp decides, as in Eifel
 * detection (RFC 3522): a duplicate does not update TS.Recent (RFC 7323
 * 4.3), so an ACK echoing a TSval older than the probe's was drawn by
 * the original. A repaired loss is a congestion signal: the window is cut
 * as Linux does for it (CWR, ending at once: ssthresh = cwnd * beta). */
static void tlp_episode(NsTcpConn *c, const NsTcpRepr *h)
{
    if (seq_lt(c->snd_una, c->tlp_end_seq))
        return;
    c->tlp_active = false;
    if (!c->tlp_is_retrans)
        return;
    if (c->ts_ok && h->has_ts && seq_lt(h->ts_ecr, c->tlp_ts))
        return; /* the original arrived: the probe was spurious */
    uint64_t s = (uint64_t)c->cwnd * c->env->cfg->beta_1024 / 1024;
    uint32_t floor = 2u * c->mss;
    c->ssthresh = s < floor ? floor : (uint32_t)s;
    c->cwnd = c->ssthresh;
    c->bytes_acked_ca = 0;
    tcp_trace_cc(c, NS_CAUSE_TLP_REPAIRED);
}

void tcp_tlp_on_ack(NsTcpConn *c, const NsTcpRepr *h, uint32_t una_before, NsTime now)
{
    if (!c->env->cfg->tlp)
        return;
    if (c->tlp_active)
        tlp_episode(c, h);
    if (seq_gt(c->snd_una, una_before))
        tcp_tlp_arm(c, now); /* the RTO restarted: so does the PTO */
    else if (c->ca_state != NS_TCP_CA_OPEN || tcp_flight(c) == 0)
        tcp_timer_stop(c, NS_TCP_T_TLP, false);
}

void tcp_tlp_cancel(NsTcpConn *c)
{
    c->timer[NS_TCP_T_TLP] = NS_TIME_NEVER;
    c->tlp_active = false;
}

/* RFC 8985 7.3: a previously unsent segment if there is one and the
 * receive window takes it (cwnd does not apply: the probe replaces an ACK
 * that did not come), else the most recently sent segment again. */
static bool probe_new_data(NsTcpConn *c, NsTime now)
{
    uint32_t fin_seq = c->sb_seq + c->sb_len;
    if (c->snd_nxt != c->snd_max || !seq_lt(c->snd_nxt, fin_seq))
        return false;
    uint32_t avail = fin_seq - c->snd_nxt;
    uint32_t len = avail < c->mss ? avail : c->mss;
    uint32_t in_flight = c->snd_nxt - c->snd_una;
    if (c->snd_wnd < in_flight + len)
        return false;
    uint8_t fl = NS_TCP_ACK;
    if (len == avail)
        fl |= NS_TCP_PSH | (c->fin_queued ? NS_TCP_FIN : 0);
    tcp_send_segment(c, c->snd_nxt, len, fl, NS_SEND_TLP, now);
    if (c->rtt_start < 0) {
        c->rtt_start = now;
        c->rtt_seq = c->snd_nxt;
    }
    c->snd_last = c->snd_nxt;
    c->snd_nxt += len + ((fl & NS_TCP_FIN) ? 1 : 0);
    c->snd_max = c->snd_nxt;
    return true;
}

static void probe_last_segment(NsTcpConn *c, NsTime now)
{
    uint32_t fin_seq = c->sb_seq + c->sb_len;
    bool fin = c->fin_queued && seq_gt(c->snd_max, fin_seq);
    uint32_t end = fin ? fin_seq : c->snd_max;
    uint32_t start = c->snd_last;
    if (!(seq_geq(start, c->snd_una) && seq_leq(start, end)))
        start = seq_lt(c->snd_una, end) ? c->snd_una : end;
    if (end - start > c->mss)
        start = end - c->mss;
    uint32_t len = end - start;
    uint8_t fl = NS_TCP_ACK;
    if (len && end == fin_seq)
        fl |= NS_TCP_PSH;
    if (fin)
        fl |= NS_TCP_FIN;
    tcp_send_segment(c, start, len, fl, NS_SEND_TLP, now);
    if (c->rtt_start >= 0 && seq_geq(c->rtt_seq, start))
        c->rtt_start = -1; /* Karn: never time a retransmitted segment */
}

void tcp_tlp_fired(NsTcpConn *c, NsTime now)
{
    if (!tlp_allowed(c) || c->ca_state != NS_TCP_CA_OPEN || c->tlp_active ||
        tcp_flight(c) == 0)
        return;
    tcp_trace_timer(c, NS_TCP_T_TLP, NS_TIMER_FIRED, -1);
    c->tlp_is_retrans = !probe_new_data(c, now);
    if (c->tlp_is_retrans)
        probe_last_segment(c, now);
    c->tlp_active = true;
    c->tlp_end_seq = c->snd_max;
    c->tlp_ts = tcp_ts_now(c, now);
    /* 7.3: after the probe the RTO is re-armed, not the PTO, so that the
     * RTO stays the last resort if the probe fails. */
    tcp_timer_arm(c, NS_TCP_T_REXMT, now, tcp_rexmt_duration(c), false);
}
