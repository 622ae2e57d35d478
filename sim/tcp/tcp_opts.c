/* Socket options of a TCP endpoint (setsockopt/getsockopt with Linux's
 * meanings): receive and send buffers (SO_RCVBUF, SO_SNDBUF), the segment
 * size (TCP_MAXSEG), SO_LINGER, TCP_NODELAY, keepalive (SO_KEEPALIVE with
 * TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT: RFC 1122 4.2.3.6) and
 * TCP_USER_TIMEOUT (RFC 5482). The values live in an NsTcpOpts allocated
 * with the first option set. */
#include "tcp-private.h"

#include <errno.h>

/* Linux's bounds (net/core/sock.c, include/net/sock.h): a buffer asked
 * for is doubled for bookkeeping, after a cap at rmem_max / wmem_max, and
 * never less than SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF. */
#define RMEM_MAX 212992u
#define WMEM_MAX 212992u
#define MIN_RCVBUF 2304u
#define MIN_SNDBUF 4608u
/* TCP_MAXSEG: Linux refuses below TCP_MIN_MSS (88) and above 65535 - 40. */
#define MIN_USER_MSS 88
#define MAX_USER_MSS (65535 - 40)
/* TCP_KEEPIDLE/KEEPINTVL at most MAX_TCP_KEEPIDLE s, TCP_KEEPCNT MAX_TCP_KEEPCNT. */
#define MAX_KEEP_SECS 32767
#define MAX_KEEPCNT 127

static NsTcpOpts *opts(NsTcpConn *c, NsTime now)
{
    if (!c->opts) {
        c->opts = g_new0(NsTcpOpts, 1);
        c->opts->linger = -1;
        c->opts->last_rcv = now;
    }
    return c->opts;
}

void tcp_opts_free(NsTcpConn *c)
{
    g_free(c->opts);
    c->opts = NULL;
}

uint32_t tcp_rcvbuf(const NsTcpConn *c)
{
    const NsTcpCfg *cfg = c->env->cfg;
    if (c->opts && c->opts->rcvbuf)
        return c->opts->rcvbuf / 2; /* SO_RCVBUF locks the buffer: no autotuning */
    if (!cfg->rcv_autotune)
        return cfg->rcvbuf;
    /* Linux tcp_win_from_space(): the window the buffer's memory allows. */
    const NsTcpRcvSpace *r = c->rcvspace;
    uint64_t mem = r ? r->rcvbuf : cfg->rmem_init;
    return (uint32_t)(mem * (r ? r->ratio : 128u) >> 8);
}

uint32_t tcp_sndbuf(const NsTcpConn *c)
{
    return c->opts && c->opts->sndbuf ? c->opts->sndbuf / 2 : c->env->cfg->sndbuf;
}

uint8_t tcp_offer_wscale(const NsTcpConn *c)
{
    uint8_t ws = c->env->cfg->rcv_wscale;
    if (!c->opts || !c->opts->rcvbuf)
        return ws;
    /* Linux tcp_connect_init / tcp_openreq_init_rwin: a receive buffer the
     * user locked clamps the window, and the scale covers the clamp only:
     * ilog2(space) - 15. */
    uint32_t space = tcp_rcvbuf(c);
    uint8_t log = 0;
    while (space > 1) {
        space >>= 1;
        log++;
    }
    uint8_t want = log <= 15 ? 0 : (uint8_t)(log - 15);
    return want < ws ? want : ws;
}

static NsTime keepidle(const NsTcpConn *c)
{
    return c->opts && c->opts->keepidle ? c->opts->keepidle : c->env->cfg->keepalive_time;
}

static NsTime keepintvl(const NsTcpConn *c)
{
    return c->opts && c->opts->keepintvl ? c->opts->keepintvl : c->env->cfg->keepalive_intvl;
}

static uint32_t keepcnt(const NsTcpConn *c)
{
    return c->opts && c->opts->keepcnt ? c->opts->keepcnt : c->env->cfg->keepalive_probes;
}

void tcp_opts_heard(NsTcpConn *c, NsTime now)
{
    if (!c->opts)
        return;
    c->opts->last_rcv = now;
    c->opts->keepalive_sent = 0;
}

static bool keepalive_state(NsTcpState s)
{
    switch (s) {
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
        return true;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_TIME_WAIT:
        return false;
    }
    return false;
}

/* Linux inet_csk_reset_keepalive_timer(keepalive_time - idle so far). */
static void keepalive_rearm(NsTcpConn *c, NsTime now)
{
    NsTime idle = now - c->opts->last_rcv;
    NsTime left = keepidle(c) > idle ? keepidle(c) - idle : 0;
    tcp_timer_stop(c, NS_TCP_T_KEEPALIVE, false);
    tcp_timer_arm(c, NS_TCP_T_KEEPALIVE, now, left, true);
}

void tcp_keepalive_arm(NsTcpConn *c, NsTime now)
{
    if (!c->opts || !c->opts->keepalive || !keepalive_state(c->state))
        return;
    c->opts->last_rcv = now;
    tcp_timer_stop(c, NS_TCP_T_KEEPALIVE, false);
    tcp_timer_arm(c, NS_TCP_T_KEEPALIVE, now, keepidle(c), true);
}

/* Linux tcp_keepalive_timer: while data is outstanding the retransmission
 * timer watches the peer; once the connection has been idle for
 * keepidle, a probe (an ACK one byte below SND.UNA, which the peer must
 * answer) every keepintvl; after keepcnt unanswered probes (or, with a
 * user timeout, once it has passed), RST and ETIMEDOUT. */
void tcp_keepalive_fired(NsTcpConn *c, NsTime now)
{
    NsTcpOpts *o = c->opts;
    if (!o || !o->keepalive || !keepalive_state(c->state))
        return;
    tcp_trace_timer(c, NS_TCP_T_KEEPALIVE, NS_TIMER_FIRED, -1);
    NsTime next = keepidle(c);
    if (c->snd_una == c->snd_max && c->sb_len == 0) {
        NsTime idle = now - o->last_rcv;
        if (idle >= keepidle(c)) {
            bool give_up = o->user_timeout ? idle >= o->user_timeout && o->keepalive_sent > 0
                                           : o->keepalive_sent >= keepcnt(c);
            if (give_up) {
                uint8_t fl = NS_TCP_RST;
                if (c->env->cfg->rst_ack)
                    fl |= NS_TCP_ACK;
                tcp_send_segment(c, c->snd_max, 0, fl, NS_SEND_NORMAL, now);
                tcp_conn_enter_closed(c, ETIMEDOUT, NS_CAUSE_KEEPALIVE_TIMEOUT);
                return;
            }
            tcp_send_segment(c, c->snd_una - 1, 0, NS_TCP_ACK, NS_SEND_KEEPALIVE, now);
            if (o->keepalive_sent < UINT8_MAX)
                o->keepalive_sent++;
            next = keepintvl(c);
        } else {
            next = keepidle(c) - idle;
        }
    }
    tcp_timer_arm(c, NS_TCP_T_KEEPALIVE, now, next, true);
}

bool tcp_user_timeout_expired(NsTcpConn *c, NsTime now)
{
    if (!c->opts || !c->opts->user_timeout)
        return false;
    if (c->rxt_shift == 0) {
        /* Linux counts from the first retransmission (retrans_stamp) */
        c->opts->rtx_start = now;
        return false;
    }
    return now - c->opts->rtx_start >= c->opts->user_timeout;
}

void tcp_user_timeout_clamp(NsTcpConn *c, NsTime now)
{
    if (!c->opts || !c->opts->user_timeout || c->timer[NS_TCP_T_REXMT] == NS_TIME_NEVER)
        return;
    NsTime left = c->opts->rtx_start + c->opts->user_timeout - now;
    if (left < c->env->cfg->jiffy)
        left = c->env->cfg->jiffy ? c->env->cfg->jiffy : 1;
    NsTime at = tcp_timer_deadline(c->env->cfg, now, left);
    if (at < c->timer[NS_TCP_T_REXMT])
        c->timer[NS_TCP_T_REXMT] = at;
}

/* ---- the API ---- */

int tcp_conn_setopt(NsTcpConn *c, NsSockOpt opt, int64_t v, NsTime now)
{
    switch (opt) {
    case NS_SO_RCVBUF:
    case NS_SO_SNDBUF: {
        bool rcv = opt == NS_SO_RCVBUF;
        uint64_t val = v < 0 ? 0 : (uint64_t)v;
        uint32_t max = rcv ? RMEM_MAX : WMEM_MAX, min = rcv ? MIN_RCVBUF : MIN_SNDBUF;
        if (val > max)
            val = max;
        uint32_t kept = (uint32_t)val * 2 < min ? min : (uint32_t)val * 2;
        if (rcv)
            opts(c, now)->rcvbuf = kept;
        else
            opts(c, now)->sndbuf = kept;
        if (!rcv)
            tcp_conn_write_space(c); /* Linux: sk_write_space on SO_SNDBUF */
        return 0;
    }
    case NS_SO_KEEPALIVE:
        if (v && !(c->opts && c->opts->keepalive)) {
            opts(c, now)->keepalive = true;
            tcp_keepalive_arm(c, now);
        } else if (!v && c->opts && c->opts->keepalive) {
            c->opts->keepalive = false;
            tcp_timer_stop(c, NS_TCP_T_KEEPALIVE, true);
        }
        return 0;
    case NS_SO_LINGER:
        opts(c, now)->linger = v < 0 ? -1 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
        return 0;
    case NS_SO_TCP_NODELAY:
        c->nodelay = v != 0; /* (the caller sends what Nagle held) */
        return 0;
    case NS_SO_TCP_CORK:
        /* (uncorked, the caller sends what the cork held, as Linux's
         * tcp_push_pending_frames: Nagle still applies) */
        if (v || c->opts)
            opts(c, now)->cork = v != 0;
        return 0;
    case NS_SO_TCP_MAXSEG:
        if (v < MIN_USER_MSS || v > MAX_USER_MSS)
            return -EINVAL;
        opts(c, now)->user_mss = (uint16_t)v;
        return 0;
    case NS_SO_TCP_KEEPIDLE:
    case NS_SO_TCP_KEEPINTVL:
        if (v < 1 || v > MAX_KEEP_SECS)
            return -EINVAL;
        if (opt == NS_SO_TCP_KEEPIDLE) {
            opts(c, now)->keepidle = NS_S(v);
            if (c->opts->keepalive && keepalive_state(c->state))
                keepalive_rearm(c, now);
        } else {
            opts(c, now)->keepintvl = NS_S(v);
        }
        return 0;
    case NS_SO_TCP_KEEPCNT:
        if (v < 1 || v > MAX_KEEPCNT)
            return -EINVAL;
        opts(c, now)->keepcnt = (uint32_t)v;
        return 0;
    case NS_SO_TCP_USER_TIMEOUT:
        if (v < 0 || v > INT32_MAX)
            return -EINVAL;
        opts(c, now)->user_timeout = NS_MS(v);
        return 0;
    }
    return -ENOPROTOOPT;
}

int tcp_conn_getopt(const NsTcpConn *c, NsSockOpt opt, int64_t *v)
{
    const NsTcpOpts *o = c->opts;
    const NsTcpCfg *cfg = c->env->cfg;
    switch (opt) {
    case NS_SO_RCVBUF:
        *v = o && o->rcvbuf ? o->rcvbuf : cfg->rcvbuf_report;
        return 0;
    case NS_SO_SNDBUF:
        *v = o && o->sndbuf ? o->sndbuf : cfg->sndbuf_report;
        return 0;
    case NS_SO_KEEPALIVE:
        *v = o && o->keepalive;
        return 0;
    case NS_SO_LINGER:
        *v = o ? o->linger : -1;
        return 0;
    case NS_SO_TCP_NODELAY:
        *v = c->nodelay;
        return 0;
    case NS_SO_TCP_CORK:
        *v = tcp_corked(c);
        return 0;
    case NS_SO_TCP_MAXSEG:
        /* Linux: the sending MSS once connected, else what was set, else
         * TCP_MSS_DEFAULT */
        *v = tcp_state_synchronized(c->state) ? c->mss : o && o->user_mss ? o->user_mss : 536;
        return 0;
    case NS_SO_TCP_KEEPIDLE:
        *v = keepidle(c) / NS_S(1);
        return 0;
    case NS_SO_TCP_KEEPINTVL:
        *v = keepintvl(c) / NS_S(1);
        return 0;
    case NS_SO_TCP_KEEPCNT:
        *v = keepcnt(c);
        return 0;
    case NS_SO_TCP_USER_TIMEOUT:
        *v = o ? o->user_timeout / NS_MS(1) : 0;
        return 0;
    }
    return -ENOPROTOOPT;
}

/* A listener's child takes the listener's options, as Linux's clone does. */
void tcp_opts_inherit(NsTcpConn *child, const NsTcpConn *listener, NsTime now)
{
    if (!listener->opts)
        return;
    child->opts = g_memdup2(listener->opts, sizeof *listener->opts);
    child->opts->keepalive_sent = 0;
    child->opts->last_rcv = now;
}
