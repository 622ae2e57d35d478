/* TCP timers (RFC 9293 3.8.1 retransmission, 3.8.6.1 persist, 3.3.2
 * TIME-WAIT; RFC 6298 5 backoff; RFC 1122 4.2.3.2 delayed ACK; the RFC
 * 8985 7 probe timer, whose handler is in tcp_tlp.c): deadlines
 * in the connection, run by tcp_conn_timers() when they are due. */
#include "tcp-private.h"

#include <errno.h>

/* Timeout after the n-th SYN (n from 0): `syn_linear` timeouts of
 * rto_init, then doubling (linux: 1,1,1,1,1,2,4,...; minimal 1,2,4,...). */
static NsTime syn_timeout(const NsTcpCfg *cfg, uint32_t n)
{
    if (n < cfg->syn_linear)
        return cfg->rto_init;
    uint32_t shift = n - cfg->syn_linear + (cfg->syn_linear ? 1 : 0);
    if (shift > 20)
        return cfg->rto_max;
    NsTime d = cfg->rto_init << shift;
    return d > cfg->rto_max ? cfg->rto_max : d;
}

static void rexmt_fired(NsTcpConn *c, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    switch (c->state) {
    case NS_TCP_STATE_SYN_SENT:
        tcp_trace_timer(c, NS_TCP_T_REXMT, NS_TIMER_FIRED, -1);
        if (c->rxt_shift >= cfg->syn_retries) {
            tcp_conn_enter_closed(c, ETIMEDOUT, NS_CAUSE_SYN_RETRIES);
            return;
        }
        c->rxt_shift++;
        c->rtt_start = -1;
        c->syn_lost = true;
        tcp_set_ca_state(c, NS_TCP_CA_LOSS, NS_CAUSE_SYN_TIMEOUT); /* as Linux (case 8) */
        tcp_send_syn(c, now, NS_SEND_RTO);
        tcp_timer_arm(c, NS_TCP_T_REXMT, now, syn_timeout(cfg, c->rxt_shift), true);
        return;
    case NS_TCP_STATE_SYN_RECEIVED:
        tcp_trace_timer(c, NS_TCP_T_REXMT, NS_TIMER_FIRED, -1);
        if (c->rxt_shift >= cfg->synack_retries) {
            tcp_conn_enter_closed(c, c->passive ? 0 : ETIMEDOUT, NS_CAUSE_SYN_ACK_RETRIES);
            return;
        }
        c->rxt_shift++;
        c->rtt_start = -1;
        c->syn_lost = true;
        tcp_send_syn(c, now, NS_SEND_RTO);
        tcp_timer_arm(c, NS_TCP_T_REXMT, now, cfg->rto_init << c->rxt_shift, true);
        return;
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
        break;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_TIME_WAIT:
        return;
    }
    if (c->snd_una == c->snd_max)
        return;
    tcp_tlp_cancel(c);
    tcp_trace_timer(c, NS_TCP_T_REXMT, NS_TIMER_FIRED, -1);
    if (c->rxt_shift >= cfg->retries2) {
        tcp_conn_enter_closed(c, ETIMEDOUT, NS_CAUSE_RETRANSMISSIONS);
        return;
    }
    if (tcp_user_timeout_expired(c, now)) {
        tcp_conn_enter_closed(c, ETIMEDOUT, NS_CAUSE_USER_TIMEOUT);
        return;
    }
    c->rxt_shift++;
    /* RFC 6298 5.5-5.7 and RFC 5681 3.1: back off, collapse cwnd, go back
     * to SND.UNA; RFC 6582 4.2: recover = highest sent. Karn: the next
     * sample must come from new data. */
    tcp_cc(c)->on_rto(c);
    c->dupacks = 0;
    c->recover = c->snd_max;
    c->rtt_start = -1;
    c->snd_nxt = c->snd_una;
    /* RFC 6675 5.1: recovery ends; the scoreboard stays (Linux keeps
     * SACKed data it need not resend), unless the timer fires again: then
     * the receiver may have reneged (RFC 2018 8), so forget it. */
    if (c->scoreboard) {
        if (c->rxt_shift > 1)
            tcp_ranges_clear(&c->scoreboard->sacked);
        c->scoreboard->high_rxt = c->snd_una;
    }
    tcp_set_ca_state(c, NS_TCP_CA_LOSS, NS_CAUSE_RTO);
    tcp_trace_cc(c, NS_CAUSE_RTO);
    tcp_conn_output(c, now);
    if (c->timer[NS_TCP_T_REXMT] == NS_TIME_NEVER) {
        /* Nothing left the window (zero window, say): resend anyway. */
        tcp_retransmit_first(c, now, NS_SEND_RTO);
        NsTime d = c->rto << c->rxt_shift;
        if (d > cfg->rto_max || d <= 0)
            d = cfg->rto_max;
        tcp_timer_arm(c, NS_TCP_T_REXMT, now, d, true);
    }
    tcp_user_timeout_clamp(c, now);
}

static void persist_fired(NsTcpConn *c, NsTime now)
{
    tcp_trace_timer(c, NS_TCP_T_PERSIST, NS_TIMER_FIRED, -1);
    if (c->snd_wnd != 0) {
        /* A small window, not a zero one: the override timeout sends what
         * it allows (RFC 9293 3.8.6.2.1); the retransmission timer takes
         * over from there. */
        c->force_probe = true;
        tcp_conn_output(c, now);
        c->force_probe = false;
        return;
    }
    c->snd_nxt = c->snd_una; /* the probe byte is the first unacked one */
    /* Back off first, so that the output policy re-arms the timer with
     * the next, longer interval (and the trace says so). */
    if (c->rxt_shift < 16)
        c->rxt_shift++;
    c->force_probe = true;
    tcp_conn_output(c, now);
    c->force_probe = false;
    if (c->timer[NS_TCP_T_PERSIST] == NS_TIME_NEVER && c->snd_wnd == 0) {
        NsTime d = c->rto << c->rxt_shift;
        if (d > NS_S(60) || d <= 0)
            d = NS_S(60);
        tcp_timer_arm(c, NS_TCP_T_PERSIST, now, d, true);
    }
}

void tcp_conn_timers(NsTcpConn *c, NsTime now)
{
    /* The probe timer first: its deadline never passes the RTO's, and when
     * both fall due together the probe goes out and re-arms the RTO (Linux
     * keeps the two in one timer, so only one of them can be pending). */
    if (c->timer[NS_TCP_T_TLP] <= now && c->state != NS_TCP_STATE_CLOSED) {
        c->timer[NS_TCP_T_TLP] = NS_TIME_NEVER;
        tcp_tlp_fired(c, now);
    }
    tcp_rack_timer(c, now);
    for (int t = 0; t < NS_TCP_T_COUNT; t++) {
        if (c->state == NS_TCP_STATE_CLOSED)
            return;
        if (c->timer[t] > now)
            continue;
        c->timer[t] = NS_TIME_NEVER;
        switch ((NsTcpTimer)t) {
        case NS_TCP_T_REXMT:
            rexmt_fired(c, now);
            break;
        case NS_TCP_T_PERSIST:
            persist_fired(c, now);
            break;
        case NS_TCP_T_KEEPALIVE:
            tcp_keepalive_fired(c, now);
            break;
        case NS_TCP_T_TIME_WAIT:
            tcp_trace_timer(c, NS_TCP_T_TIME_WAIT, NS_TIMER_FIRED, -1);
            tcp_conn_enter_closed(c, 0,
                                  c->state == NS_TCP_STATE_TIME_WAIT ? NS_CAUSE_TIME_WAIT_DONE
                                                                     : NS_CAUSE_FIN_WAIT_2_TIMEOUT);
            break;
        case NS_TCP_T_DELACK:
            tcp_trace_timer(c, NS_TCP_T_DELACK, NS_TIMER_FIRED, -1);
            tcp_send_ack(c, now, NS_SEND_DELAYED_ACK);
            break;
        case NS_TCP_T_TLP:
            tcp_tlp_fired(c, now);
            break;
        case NS_TCP_T_COUNT:
        case NS_TCP_T_RACK:
            break;
        }
    }
}
