/* The TCP connection core: state transitions (RFC 9293 3.3.2),
 * the two profiles, ISNs (RFC 6528 section 3), RTT estimation (RFC 6298),
 * and the user calls OPEN/SEND/RECEIVE/CLOSE/ABORT (RFC 9293 3.10.1-3.10.5)
 * as they act on one TCB. No I/O: segments go to c->outq. */
#include "tcp-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "netsim/pattern.h"
#include "netsim/sim.h"
#include "netsim/wire/checksum.h"

/* minimal: RFC 9293 with the RFC 1122/5681/6298 numbers a textbook uses:
 * MSS option only, window 65535, IW per RFC 5681 3.1 (3 segments at MSS
 * 1460; one segment after a lost SYN), RTO min 1 s (RFC 6298 2.4) and 3 s
 * once data flows after a lost SYN (5.7), MSL 30 s as BSD (TIME-WAIT 60 s),
 * delayed ACK 200 ms (RFC 1122 4.2.3.2 allows up to 500 ms), SYN RTO
 * doubling from 1 s with 7 retries: the last at 127 s, ETIMEDOUT at 247 s
 * (RFC 1122 4.2.3.5: a SYN is retried for at least 3 minutes). */
static const NsTcpCfg cfg_minimal = {
    .profile = NS_PROFILE_MINIMAL,
    .cc = &ns_tcp_cc_newreno,
    .syn_wnd = 65535,
    .synack_wnd = 65535,
    .rcvbuf = 65535,
    .sndbuf = 256 * 1024,
    .iw = 0,
    .beta_1024 = 512,
    .rto_init = NS_S(1),
    .rto_min = NS_S(1),
    .rto_max = NS_S(120),
    .time_wait = NS_S(60),
    .fin_wait_2 = NS_S(60),
    .delack = NS_MS(200),
    .syn_linear = 0,
    .syn_retries = 7,
    .synack_retries = 5,
    .retries2 = 15,
    .iw_after_syn_loss = 1,
    .rto_after_syn_loss = NS_S(3),
    .keepalive_time = NS_S(7200), /* RFC 1122 4.2.3.6: no less than two hours */
    .keepalive_intvl = NS_S(75),
    .keepalive_probes = 9,
    .rcvbuf_report = 2 * 65535, /* as Linux would report this buffer */
    .sndbuf_report = 2 * 256 * 1024,
};

/* linux: the facts of the Linux 6.18 reference captures (default sysctls).
 * Receive-buffer autotuning from tcp_rmem[1] (tcp_rcvspace.c; rcvbuf is
 * not used while it is on); the window grows through rcv_ssthresh. CUBIC
 * with HyStart; SACK loss recovery with PRR, RACK (tcp_recovery=1) and
 * the tail loss probe (tcp_early_retrans=3; case 5b): PTO 2*SRTT
 * + 200 ms with one segment in flight, + 2 jiffies (8 ms at HZ=250) with
 * more, 1 s before an RTT sample, never past the RTO. SYN timeouts: five
 * of 1 s (tcp_syn_linear_timeouts=4), then doubling, 10 retransmissions
 * (tcp_syn_retries=6 turned into a time limit by the kernel). Timers run
 * on jiffies at HZ=250 through the timer wheel, so the SYN timer fires
 * at 1.024 s and ETIMEDOUT comes at 133.3 s as on the real host. */
static const NsTcpCfg cfg_linux = {
    .profile = NS_PROFILE_LINUX,
    .cc = &ns_tcp_cc_cubic, /* net.ipv4.tcp_congestion_control = cubic */
    .ts = true,
    .sack = true,
    .wscale = true,
    .rfc5961 = true,
    .quickack = true,
    .delay_fin_ack = true,
    .ato_from_first_data = true, /* tcp_event_data_recv, tcp_send_delayed_ack */
    .id_zero_synack_rst = true,
    .backlog_plus_one = true,
    .rst_ack = true,
    .linux_options = true,
    .rto_min_on_var = true,  /* tcp_rto_min_us */
    .rcv_ssthresh = true,    /* tcp_grow_window */
    .nagle_minshall = true,  /* tcp_minshall_check */
    .rack = true,            /* tcp_recovery = 1 */
    .ack_one_frame = true,   /* __tcp_ack_snd_check */
    .sack_recent = true,     /* tcp_sack_new_ofo_skb, TCP_NUM_SACKS 4 */
    .dsack = true,           /* tcp_dsack = 1 */
    .rcv_mss_estimate = true, /* tcp_measure_rcv_mss */
    .rcv_autotune = true,    /* tcp_moderate_rcvbuf */
    .cwnd_limited = true,    /* tcp_is_cwnd_limited */
    .ss_per_segment = true,  /* tcp_slow_start */
    .tso_min_segs = 2,       /* tcp_min_tso_segs */
    .tso_rtt_log = 9,        /* tcp_tso_rtt_log */
    .pacing_ss_ratio = 200,  /* tcp_pacing_ss_ratio */
    .pacing_ca_ratio = 120,  /* tcp_pacing_ca_ratio */
    .gso_max_size = 65536,   /* GSO_LEGACY_MAX_SIZE of a veth */
    .tso_win_divisor = 3,    /* tcp_tso_win_divisor */
    /* A 1448-byte segment in a 2304-byte buffer (a 1514-byte frame in 2 KiB
     * plus the skb): the capture's windows of 80896 with one segment
     * waiting to be read, 131072 * 160 / 256 = 81920 with none. */
    .win_ratio = 160,
    .rmem_init = 131072,     /* tcp_rmem[1] */
    .rmem_max = 33554432,    /* tcp_rmem[2] */
    .jiffy = NS_MS(4),       /* CONFIG_HZ=250 */
    /* The phase of the timer wheel at time 0 (it matters modulo 4096
     * jiffies): the one that reproduces the SYN schedule of the reference
     * host (1.024 s x5, 2.016, 4.096, 8.192, 16.128, 32.256 s). */
    .jiffies_at_zero = 456,
    .rcv_wscale = 10,
    .syn_wnd = 64240,
    .synack_wnd = 65160,
    .synack_wnd_mss_multiple = true, /* tcp_select_initial_window */
    .rcvbuf = 6 * 1024 * 1024,
    .sndbuf = 4 * 1024 * 1024,
    .iw = 10,
    .beta_1024 = 717,
    .rto_init = NS_S(1),
    .rto_min = NS_MS(200),
    .rto_max = NS_S(120),
    .time_wait = NS_S(60),
    .fin_wait_2 = NS_S(60),
    .delack = NS_MS(40),
    .syn_linear = 5,
    .syn_retries = 10,
    .synack_retries = 5,
    .retries2 = 15,
    .tlp = true,
    .pto_one_seg = NS_MS(200),
    .pto_slack = NS_MS(8),
    .pto_no_rtt = NS_S(1),
    .keepalive_time = NS_S(7200), /* tcp_keepalive_time */
    .keepalive_intvl = NS_S(75),  /* tcp_keepalive_intvl */
    .keepalive_probes = 9,        /* tcp_keepalive_probes */
    .rcvbuf_report = 131072,      /* tcp_rmem[1] */
    .sndbuf_report = 16384,       /* tcp_wmem[1] */
};

NsTime tcp_jiffies_round(const NsTcpCfg *cfg, NsTime dur)
{
    if (!cfg->jiffy || dur <= 0)
        return dur;
    return (dur + cfg->jiffy - 1) / cfg->jiffy * cfg->jiffy;
}

/* Linux: a timeout becomes whole jiffies (usecs_to_jiffies rounds up),
 * counted from the current jiffy; the timer wheel keeps timers in levels
 * of 64 buckets, each level 8 times coarser (1 jiffy below 63 jiffies
 * ahead, 8 below 504, 64 below 4032, ...), and rounds the expiry up to the
 * next bucket of its level so that a timer never fires early: a 250-jiffy
 * SYN timer fires after 251 to 258 jiffies (1.004-1.032 s). */
NsTime tcp_timer_deadline(const NsTcpCfg *cfg, NsTime now, NsTime dur)
{
    if (!cfg->jiffy)
        return now + dur;
    if (dur < 0)
        dur = 0;
    uint64_t j = cfg->jiffies_at_zero + (uint64_t)(now / cfg->jiffy);
    uint64_t d = (uint64_t)((dur + cfg->jiffy - 1) / cfg->jiffy);
    uint64_t expires = j + d;
    unsigned lvl = 0;
    while (lvl < 8 && d >= (UINT64_C(63) << (3 * lvl)))
        lvl++;
    uint64_t bucket = ((expires >> (3 * lvl)) + 1) << (3 * lvl);
    return (NsTime)(bucket - cfg->jiffies_at_zero) * cfg->jiffy;
}

const NsTcpCfg *ns_tcp_cfg(NsProfile profile)
{
    switch (profile) {
    case NS_PROFILE_LINUX:
        return &cfg_linux;
    case NS_PROFILE_MINIMAL:
        break;
    }
    return &cfg_minimal;
}

NsTime ns_tcp_time_wait(NsProfile profile)
{
    return ns_tcp_cfg(profile)->time_wait;
}

void ns_tcp_env_init(NsTcpEnv *env, NsCtx *ctx, const char *host_name, NsProfile profile,
                     uint64_t isn_secret, uint64_t rng_seed, uint64_t rng_index)
{
    memset(env, 0, sizeof *env);
    env->ctx = ctx;
    env->host_name = host_name;
    env->cfg = ns_tcp_cfg(profile);
    env->isn_secret = isn_secret;
    ns_rng_init(&env->rng, rng_seed, "tcp", rng_index);
}

void tcp_conn_init(NsTcpConn *c, NsTcpEnv *env)
{
    memset(c, 0, sizeof *c);
    c->env = env;
    c->state = NS_TCP_STATE_CLOSED;
    c->adv_mss = 536;
    c->mss = 536;
    c->rcv_mss = 536;
    c->rto = env->cfg->rto_init;
    c->rtt_start = -1; /* a segment sent at time 0 can be timed too */
    for (int t = 0; t < NS_TCP_T_COUNT; t++)
        c->timer[t] = NS_TIME_NEVER;
    tcp_rack_stop(c);
}

void tcp_conn_release(NsTcpConn *c)
{
    tcp_sb_free(c);
    tcp_rcvq_clear(c);
    tcp_ooo_free(c);
    tcp_sack_free(c);
    tcp_rack_free(c);
    tcp_rcvspace_free(c);
    tcp_opts_free(c);
    if (tcp_cc(c)->release)
        tcp_cc(c)->release(c);
    ns_packet_queue_clear(&c->outq);
}

void tcp_conn_trace_ids(const NsTcpConn *c, NsTraceEvent *ev)
{
    ev->time = ns_sim_now(c->env->ctx->sim);
    ev->host = c->env->host_name;
    ev->sock_id = c->pcb.id;
    ev->parent_id = c->pcb.parent_id;
    ev->proto = 6;
    ns_pcb_trace_ends(&c->pcb, ev);
}

void tcp_conn_set_state(NsTcpConn *c, NsTcpState to, NsTraceCause why)
{
    NsTcpState from = c->state;
    c->state = to;
    c->notify = true;
    NsTracer *tr = c->env->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_TCP))
        return;
    NsTraceEvent ev = {.kind = NS_TRACE_TCP, .tcp_ev = NS_TCP_EV_STATE, .tcp_from = from,
                       .tcp_to = to, .cause = why};
    tcp_conn_trace_ids(c, &ev);
    ns_trace_emit(tr, &ev);
}

/* The timer as a trace names it: one deadline serves both the FIN-WAIT-2
 * timeout of an orphan and 2MSL in TIME-WAIT. */
static NsTimerKind timer_kind(const NsTcpConn *c, NsTcpTimer t)
{
    switch (t) {
    case NS_TCP_T_REXMT:
        return NS_TIMER_RTO;
    case NS_TCP_T_PERSIST:
        return NS_TIMER_PERSIST;
    case NS_TCP_T_KEEPALIVE:
        return NS_TIMER_KEEPALIVE;
    case NS_TCP_T_TIME_WAIT:
        return c->state == NS_TCP_STATE_FIN_WAIT_2 ? NS_TIMER_FIN_WAIT_2 : NS_TIMER_TIME_WAIT;
    case NS_TCP_T_DELACK:
        return NS_TIMER_DELACK;
    case NS_TCP_T_RACK:
        return NS_TIMER_RACK;
    case NS_TCP_T_TLP:
    case NS_TCP_T_COUNT:
        break;
    }
    return NS_TIMER_TLP;
}

void tcp_trace_timer(NsTcpConn *c, NsTcpTimer t, NsTimerOp op, NsTime dur)
{
    NsTracer *tr = c->env->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_TIMER))
        return;
    NsTraceEvent ev = {.kind = NS_TRACE_TIMER, .timer_op = op, .timer = timer_kind(c, t),
                       .duration = dur};
    tcp_conn_trace_ids(c, &ev);
    ns_trace_emit(tr, &ev);
}

void tcp_trace_nagle(NsTcpConn *c, uint32_t held, uint32_t unacked)
{
    NsTracer *tr = c->env->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_TCP))
        return;
    NsTraceEvent ev = {.kind = NS_TRACE_TCP, .tcp_ev = NS_TCP_EV_NAGLE, .payload_len = held,
                       .in_flight = unacked, .mss = c->mss};
    tcp_conn_trace_ids(c, &ev);
    ns_trace_emit(tr, &ev);
}

void tcp_trace_cc(NsTcpConn *c, NsTraceCause why)
{
    NsTracer *tr = c->env->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_TCP))
        return;
    NsTraceEvent ev = {.kind = NS_TRACE_TCP, .tcp_ev = NS_TCP_EV_CWND, .cwnd = c->cwnd,
                       .ssthresh = c->ssthresh, .mss = c->mss, .cause = why};
    tcp_conn_trace_ids(c, &ev);
    ns_trace_emit(tr, &ev);
}

void tcp_timer_arm(NsTcpConn *c, NsTcpTimer t, NsTime now, NsTime dur, bool trace)
{
    bool was = c->timer[t] != NS_TIME_NEVER;
    c->timer[t] = tcp_timer_deadline(c->env->cfg, now, dur);
    if (trace && !was)
        tcp_trace_timer(c, t, NS_TIMER_ARMED, dur);
}

void tcp_timer_stop(NsTcpConn *c, NsTcpTimer t, bool trace)
{
    if (c->timer[t] == NS_TIME_NEVER)
        return;
    c->timer[t] = NS_TIME_NEVER;
    if (trace)
        tcp_trace_timer(c, t, NS_TIMER_CANCELLED, -1);
}

void tcp_timer_stop_all(NsTcpConn *c)
{
    for (int t = 0; t < NS_TCP_T_COUNT; t++)
        c->timer[t] = NS_TIME_NEVER;
}

NsTime tcp_conn_next_timer(const NsTcpConn *c)
{
    NsTime m = NS_TIME_NEVER;
    for (int t = 0; t < NS_TCP_T_COUNT; t++)
        if (c->timer[t] < m)
            m = c->timer[t];
    NsTime r = tcp_rack_deadline(c);
    return r < m ? r : m;
}

/* RFC 6298 2.2 (first sample) and 2.3 (later ones), with alpha 1/8 and
 * beta 1/4; RTO = SRTT + max(G, 4*RTTVAR) clamped to [rto_min, rto_max]
 * (2.4, 2.5). On linux the floor applies to the variance term instead
 * (Linux: RTO = SRTT + max(rttvar, rto_min)), giving RTT + 200 ms as
 * ss shows in the captures. */
void tcp_rtt_sample(NsTcpConn *c, NsTime rtt)
{
    const NsTcpCfg *cfg = c->env->cfg;
    if (rtt < 1)
        rtt = 1;
    if (c->srtt == 0) {
        c->srtt = rtt;
        c->rttvar = rtt / 2;
    } else {
        NsTime d = c->srtt > rtt ? c->srtt - rtt : rtt - c->srtt;
        c->rttvar = (3 * c->rttvar + d) / 4;
        c->srtt = (7 * c->srtt + rtt) / 8;
    }
    if (tcp_cc(c)->on_rtt)
        tcp_cc(c)->on_rtt(c, rtt);
    NsTime var = 4 * c->rttvar;
    NsTime rto;
    if (cfg->rto_min_on_var)
        rto = c->srtt + (var > cfg->rto_min ? var : cfg->rto_min);
    else
        rto = c->srtt + (var > NS_MS(1) ? var : NS_MS(1));
    if (rto < cfg->rto_min)
        rto = cfg->rto_min;
    if (rto > cfg->rto_max)
        rto = cfg->rto_max;
    c->rto = tcp_jiffies_round(cfg, rto); /* Linux: __tcp_set_rto in jiffies */
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4 us clock (here: simulated time). */
uint32_t tcp_conn_isn(const NsTcpConn *c, NsTime now)
{
    if (c->env->fixed_iss)
        return c->env->iss;
    uint64_t t = (uint64_t)c->pcb.laddr << 32 | c->pcb.raddr;
    if (c->pcb.v6)
        t ^= (uint64_t)ns_ipv6_addr_key_hash(&c->pcb.laddr6) << 32 ^
             ns_ipv6_addr_key_hash(&c->pcb.raddr6);
    uint64_t p = (uint64_t)c->pcb.lport << 16 | c->pcb.rport;
    uint64_t f = mix64(mix64(t ^ c->env->isn_secret) ^ p);
    return (uint32_t)(now / 4000) + (uint32_t)f;
}

static void set_mss(NsTcpConn *c, bool has_peer_mss, uint16_t peer_mss)
{
    /* RFC 9293 3.7.1 (MUST-15): without the option assume 536. */
    uint32_t peer = has_peer_mss ? peer_mss : 536;
    uint32_t m = peer < c->adv_mss ? peer : c->adv_mss;
    uint32_t opt = c->ts_ok ? 12 : 0; /* NOP,NOP,TS on every segment */
    /* A floor against a peer announcing a tiny MSS, but never above what
     * our own MTU lets out (adv_mss): on a network with an MTU of 68 to 103
     * a larger segment could not be sent at all. */
    if (m < 64 + opt)
        m = 64 + opt < c->adv_mss ? 64 + opt : c->adv_mss;
    if (m <= opt)
        m = opt + 1;
    c->mss = (uint16_t)(m - opt);
    c->rcv_mss = (uint16_t)(c->adv_mss - opt);
    if (c->rcv_mss > c->mss)
        c->rcv_mss = c->mss;
    /* Linux tcp_initialize_rcv_mss: a guess of at most TCP_MSS_DEFAULT
     * until segments show the real size. */
    if (c->env->cfg->rcv_mss_estimate && c->rcv_mss > 536)
        c->rcv_mss = 536;
}

/* Negotiate the options of a SYN (RFC 7323 2.2, 3.2; RFC 2018 2). */
static void take_syn_options(NsTcpConn *c, const NsTcpSeg *seg)
{
    const NsTcpCfg *cfg = c->env->cfg;
    c->ws_ok = cfg->wscale && seg->h.has_wscale;
    c->snd_wscale = c->ws_ok ? (seg->h.wscale > 14 ? 14 : seg->h.wscale) : 0;
    c->rcv_wscale = c->ws_ok ? tcp_offer_wscale(c) : 0;
    c->ts_ok = cfg->ts && seg->h.has_ts;
    if (c->ts_ok)
        c->ts_recent = seg->h.ts_val;
    c->sack_ok = cfg->sack && seg->h.sack_permitted;
    set_mss(c, seg->h.has_mss, seg->h.mss);
}

static void start_quickack(NsTcpConn *c)
{
    if (!c->env->cfg->quickack)
        return;
    /* Linux tcp_incr_quickack(): rcv_wnd / (2 * rcv_mss), at most 16. */
    uint32_t q = (c->rcv_adv - c->rcv_nxt) / (2u * c->rcv_mss);
    c->quickack = (uint8_t)(q > 16 ? 16 : q < 2 ? 2 : q);
}

void tcp_conn_connect(NsTcpConn *c, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    c->iss = tcp_conn_isn(c, now);
    c->snd_una = c->iss;
    c->snd_nxt = c->snd_max = c->recover = c->snd_sml = c->iss;
    c->sb_seq = c->iss + 1;
    c->passive = false;
    c->rto = cfg->rto_init;
    if (cfg->ts && !c->env->fixed_iss)
        c->ts_offset = (uint32_t)ns_rng_next(&c->env->rng);
    tcp_conn_set_state(c, NS_TCP_STATE_SYN_SENT, NS_CAUSE_APP_CONNECT);
    tcp_send_syn(c, now, NS_SEND_NORMAL);
    c->rtt_start = now;
    c->rtt_seq = c->iss;
    tcp_timer_arm(c, NS_TCP_T_REXMT, now, cfg->rto_init, true);
}

/* RFC 9293 3.10.7.2, third check: a SYN for a listener. */
uint32_t tcp_synack_wnd(const NsTcpConn *c)
{
    const NsTcpCfg *cfg = c->env->cfg;
    uint32_t space = tcp_rcvbuf(c);
    if (!cfg->synack_wnd_mss_multiple || c->adv_mss == 0)
        return cfg->synack_wnd < space ? cfg->synack_wnd : space;
    /* Linux tcp_select_initial_window: the buffer's space (at most 16
     * bits here) rounded down to a multiple of the segment size */
    uint32_t mss = c->adv_mss - (c->ts_ok ? 12u : 0u);
    if (space > 65535u)
        space = 65535u;
    return space > mss ? space / mss * mss : space;
}

uint32_t tcp_syn_wnd(const NsTcpConn *c)
{
    const NsTcpCfg *cfg = c->env->cfg;
    uint32_t w = cfg->syn_wnd, space = tcp_rcvbuf(c);
    if (cfg->synack_wnd_mss_multiple && c->adv_mss) {
        /* Linux tcp_connect_init: tcp_select_initial_window as for the
         * SYN-ACK, with the whole MSS (no timestamp seen yet): 44 x 1460
         * = 64240 over IPv4, 45 x 1440 = 64800 over IPv6 */
        if (space > 65535u)
            space = 65535u;
        return space > c->adv_mss ? space / c->adv_mss * c->adv_mss : space;
    }
    if (space >= w)
        return w;
    /* (as the SYN-ACK's: a buffer the application made smaller) */
    return space > c->adv_mss ? space / c->adv_mss * c->adv_mss : space;
}

void tcp_conn_accept_syn(NsTcpConn *c, const NsTcpSeg *seg, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    c->passive = true;
    c->irs = seg->h.seq;
    c->rcv_nxt = c->irs + 1;
    take_syn_options(c, seg);
    /* RFC 7323 2.2: the window of a SYN is never scaled. */
    c->snd_wnd = seg->h.window;
    c->max_sndwnd = c->snd_wnd;
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = 0;
    c->iss = tcp_conn_isn(c, now);
    c->snd_una = c->iss;
    c->snd_nxt = c->snd_max = c->recover = c->snd_sml = c->iss;
    c->sb_seq = c->iss + 1;
    c->rcv_ssthresh = tcp_synack_wnd(c);
    c->rcv_adv = c->rcv_nxt + c->rcv_ssthresh;
    c->last_ack_sent = c->rcv_nxt;
    if (c->ts_ok && !c->env->fixed_iss)
        c->ts_offset = (uint32_t)ns_rng_next(&c->env->rng);
    tcp_conn_set_state(c, NS_TCP_STATE_SYN_RECEIVED, NS_CAUSE_RCV_SYN_LISTENER);
    tcp_send_syn(c, now, NS_SEND_NORMAL);
    c->rtt_start = now;
    c->rtt_seq = c->iss;
    tcp_timer_arm(c, NS_TCP_T_REXMT, now, cfg->rto_init, false);
}

/* The SYN-ACK (or a crossing SYN) in SYN-SENT: learn the peer. */
void tcp_conn_take_syn(NsTcpConn *c, const NsTcpSeg *seg)
{
    c->irs = seg->h.seq;
    c->rcv_nxt = c->irs + 1;
    take_syn_options(c, seg);
    c->snd_wnd = seg->h.window;
    c->max_sndwnd = c->snd_wnd;
    c->snd_wl1 = seg->h.seq;
    c->snd_wl2 = seg->h.ack;
    c->rcv_ssthresh = tcp_syn_wnd(c);
    c->rcv_adv = c->rcv_nxt + c->rcv_ssthresh;
    c->last_ack_sent = c->rcv_nxt;
}

/* Called on entering ESTABLISHED (from SYN-SENT or SYN-RECEIVED). */
void tcp_conn_established(NsTcpConn *c, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    c->was_connected = true;
    c->est_ms = (uint32_t)((now + NS_MS(1) - 1) / NS_MS(1));
    tcp_cc(c)->init(c);
    if (c->syn_lost) {
        /* RFC 5681 3.1: after a lost SYN or SYN-ACK the initial window
         * MUST be one segment; RFC 6298 5.7: an RTO below 3 s MUST be
         * re-initialized to 3 s when data transmission begins. */
        if (cfg->iw_after_syn_loss)
            c->cwnd = cfg->iw_after_syn_loss * c->mss;
        if (cfg->rto_after_syn_loss && c->rto < cfg->rto_after_syn_loss)
            c->rto = cfg->rto_after_syn_loss;
    }
    /* Linux: a SYN timeout left the socket in Loss. */
    tcp_set_ca_state(c, NS_TCP_CA_OPEN, NS_CAUSE_CONNECTED);
    start_quickack(c);
    tcp_keepalive_arm(c, now);
}

/* ---- SEND (RFC 9293 3.10.2): the send buffer ring ---- */

uint32_t tcp_conn_send_space(const NsTcpConn *c)
{
    uint32_t max = tcp_sndbuf(c);
    return c->sb_len >= max ? 0 : max - c->sb_len;
}

bool tcp_conn_writeable(const NsTcpConn *c)
{
    uint32_t room = tcp_conn_send_space(c);
    return room > 0 && room >= c->sb_len / 2;
}

/* Linux tcp_check_space / sk_stream_write_space: a writer is woken only if
 * a write found the buffer full (SOCK_NOSPACE), and only once a third of
 * the buffer is free, so a bulk sender writes in large pieces instead of
 * on every ACK. */
bool tcp_conn_write_space(NsTcpConn *c)
{
    if (!c->nospace || !tcp_conn_writeable(c))
        return false;
    c->nospace = false;
    c->notify = true;
    return true;
}

/* The send buffer. Written bytes go to a ring (a power-of-two capacity,
 * grown by doubling, at the end of this struct). Pattern bytes are kept as
 * (pattern offset, length) runs and made by tcp_sb_copy() when a segment is
 * built: a bulk sender's buffer costs a few words, not megabytes. While
 * nothing but written bytes is queued, runs is NULL and the ring alone
 * describes the buffer. */
typedef struct {
    uint32_t len;
    bool pattern;
    uint64_t off; /* pattern offset of the run's first byte */
} SbRun;

struct NsTcpSndBuf {
    uint32_t cap, head, ring_len; /* ring capacity, first byte, bytes held */
    uint32_t n_runs, runs_cap, runs_head;
    SbRun *runs; /* a ring of runs in order; NULL: all ring bytes */
    uint8_t ring[];
};

static NsTcpSndBuf *sb_reserve(NsTcpConn *c, uint32_t more)
{
    NsTcpSndBuf *b = c->sb;
    uint32_t need = (b ? b->ring_len : 0) + more;
    if (b && need <= b->cap)
        return b;
    /* From 256 bytes: a request or a response head is a few hundred
     * bytes, and a connection waiting for its ACK keeps no more. */
    uint32_t cap = b && b->cap ? b->cap : (more ? 256 : 0);
    while (cap < need)
        cap *= 2;
    NsTcpSndBuf *nb = g_malloc(sizeof *nb + cap);
    *nb = b ? *b : (NsTcpSndBuf){0};
    nb->cap = cap;
    nb->head = 0;
    if (b && b->ring_len) { /* unwrap the ring into the new one */
        uint32_t first = b->cap - b->head;
        if (first > b->ring_len)
            first = b->ring_len;
        memcpy(nb->ring, b->ring + b->head, first);
        memcpy(nb->ring + first, b->ring, b->ring_len - first);
    }
    g_free(b);
    c->sb = nb;
    return nb;
}

static SbRun *run_at(const NsTcpSndBuf *b, uint32_t i)
{
    return &b->runs[(b->runs_head + i) & (b->runs_cap - 1)];
}

static void run_append(NsTcpSndBuf *b, bool pattern, uint64_t off, uint32_t len)
{
    if (b->n_runs) {
        SbRun *last = run_at(b, b->n_runs - 1);
        if (last->pattern == pattern && (!pattern || last->off + last->len == off)) {
            last->len += len;
            return;
        }
    }
    if (b->n_runs == b->runs_cap) {
        uint32_t cap = b->runs_cap ? b->runs_cap * 2 : 4;
        SbRun *nr = g_new(SbRun, cap);
        for (uint32_t i = 0; i < b->n_runs; i++)
            nr[i] = *run_at(b, i);
        g_free(b->runs);
        b->runs = nr;
        b->runs_cap = cap;
        b->runs_head = 0;
    }
    *run_at(b, b->n_runs++) = (SbRun){len, pattern, off};
}

uint32_t tcp_sb_ring_cap(const NsTcpConn *c)
{
    return c->sb ? c->sb->cap : 0;
}

void tcp_sb_free(NsTcpConn *c)
{
    if (c->sb)
        g_free(c->sb->runs);
    g_free(c->sb);
    c->sb = NULL;
    c->sb_len = 0;
}

void tcp_sb_drop(NsTcpConn *c, uint32_t n)
{
    NsTcpSndBuf *b = c->sb;
    if (n > c->sb_len)
        n = c->sb_len;
    c->sb_len -= n;
    c->sb_seq += n;
    if (!b)
        return;
    if (c->sb_len == 0) {
        uint32_t seq = c->sb_seq;
        tcp_sb_free(c);
        c->sb_seq = seq;
        return;
    }
    uint32_t ring = n;
    if (b->runs) {
        ring = 0;
        while (n) {
            SbRun *r = run_at(b, 0);
            uint32_t k = n < r->len ? n : r->len;
            if (!r->pattern)
                ring += k;
            r->off += k;
            r->len -= k;
            n -= k;
            if (r->len == 0) {
                b->runs_head = (b->runs_head + 1) & (b->runs_cap - 1);
                b->n_runs--;
            }
        }
    }
    b->head = b->cap ? (b->head + ring) & (b->cap - 1) : 0;
    b->ring_len -= ring;
}

/* Copy k bytes at ring offset roff (from the ring's first byte). */
static uint32_t ring_copy(const NsTcpSndBuf *b, uint8_t *dst, uint32_t roff, uint32_t k)
{
    uint32_t pos = (b->head + roff) & (b->cap - 1);
    uint32_t first = b->cap - pos;
    if (first > k)
        first = k;
    uint32_t sum = ns_csum_copy(0, dst, b->ring + pos, first);
    if (k > first)
        sum = ns_csum_add_at(sum, ns_csum_copy(0, dst + first, b->ring, k - first), first);
    return sum;
}

/* Pattern bytes are copied; their sum comes from the pattern's table. */
static uint32_t pattern_copy(uint8_t *dst, uint64_t off, uint32_t k)
{
    ns_pattern_fill(off, dst, k);
    return ns_pattern_sum(off, k);
}

uint32_t tcp_sb_copy(const NsTcpConn *c, uint8_t *dst, uint32_t seq, uint32_t len)
{
    const NsTcpSndBuf *b = c->sb;
    uint32_t off = seq - c->sb_seq;
    g_assert(b && off + len <= c->sb_len);
    if (!b->runs)
        return ring_copy(b, dst, off, len);
    uint32_t sum = 0, done = 0, pos = 0, roff = 0;
    for (uint32_t i = 0; i < b->n_runs && done < len; i++) {
        const SbRun *r = run_at(b, i);
        if (off + done >= pos + r->len) {
            pos += r->len;
            if (!r->pattern)
                roff += r->len;
            continue;
        }
        uint32_t in = off + done - pos; /* where in this run */
        uint32_t k = r->len - in < len - done ? r->len - in : len - done;
        uint32_t part = r->pattern ? pattern_copy(dst + done, r->off + in, k)
                                   : ring_copy(b, dst + done, roff + in, k);
        sum = ns_csum_add_at(sum, part, done);
        done += k;
        pos += r->len;
        if (!r->pattern)
            roff += r->len;
    }
    return sum;
}

bool tcp_sb_pattern(const NsTcpConn *c, uint32_t seq, uint32_t len, uint32_t *front,
                    uint32_t *phase)
{
    const NsTcpSndBuf *b = c->sb;
    uint32_t off = seq - c->sb_seq, last = off + len - 1, pos = 0;
    if (!b || !b->runs || len == 0)
        return false;
    for (uint32_t i = 0; i < b->n_runs; i++) {
        const SbRun *r = run_at(b, i);
        if (last < pos + r->len) { /* the run of the last byte */
            if (!r->pattern)
                return false;
            uint32_t first = off > pos ? off : pos;
            *front = first - off;
            *phase = (uint32_t)((r->off + (first - pos)) % NS_PATTERN_PERIOD);
            return true;
        }
        pos += r->len;
    }
    return false;
}

static void sb_put(NsTcpConn *c, const uint8_t *data, uint32_t len)
{
    NsTcpSndBuf *b = sb_reserve(c, len);
    uint32_t tail = (b->head + b->ring_len) & (b->cap - 1);
    uint32_t first = b->cap - tail;
    if (first > len)
        first = len;
    if (data) {
        memcpy(b->ring + tail, data, first);
        memcpy(b->ring, data + first, len - first);
    } else {
        memset(b->ring + tail, 0, first);
        memset(b->ring, 0, len - first);
    }
    b->ring_len += len;
    if (b->runs)
        run_append(b, false, 0, len);
    c->sb_len += len;
}

uint32_t tcp_conn_write(NsTcpConn *c, const uint8_t *data, uint32_t len, NsTime now)
{
    uint32_t room = tcp_conn_send_space(c);
    if (len > room) {
        len = room;
        c->nospace = true;
    }
    if (len == 0)
        return 0;
    sb_put(c, data, len);
    tcp_conn_output(c, now);
    return len;
}

uint32_t tcp_conn_write_pattern(NsTcpConn *c, const uint8_t *head, uint32_t head_len,
                                uint64_t off, uint32_t len, NsTime now)
{
    uint32_t room = tcp_conn_send_space(c);
    if ((uint64_t)head_len + len > room)
        c->nospace = true;
    if (head_len > room)
        head_len = room;
    if (len > room - head_len)
        len = room - head_len;
    if (head_len + len == 0)
        return 0;
    if (head_len)
        sb_put(c, head, head_len);
    if (len) {
        NsTcpSndBuf *b = sb_reserve(c, 0);
        if (!b->runs && b->ring_len)
            run_append(b, false, 0, b->ring_len); /* what was written before */
        run_append(b, true, off, len);
        c->sb_len += len;
    }
    tcp_conn_output(c, now);
    return head_len + len;
}

/* ---- RECEIVE (RFC 9293 3.10.3) ---- */

uint32_t tcp_conn_read(NsTcpConn *c, uint8_t *buf, uint32_t cap, NsTime now)
{
    uint32_t n = tcp_rcvq_read(c, buf, cap);
    if (n == 0)
        return 0;
    tcp_rcvspace_read(c, now);
    /* Window update (RFC 9293 3.8.6.2.2, RFC 1122 4.2.3.3): tell the
     * sender once the window has opened by a useful amount. */
    switch (c->state) {
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2: {
        if (c->fin_rcvd)
            break;
        const NsTcpCfg *cfg = c->env->cfg;
        if (cfg->ack_one_frame && c->timer[NS_TCP_T_DELACK] != NS_TIME_NEVER &&
            c->rcv_nxt - c->last_ack_sent > c->rcv_mss) {
            /* Linux tcp_cleanup_rbuf: the once-per-two-segments ACK the
             * input held back (the window would have shrunk) goes when the
             * application has read. */
            tcp_send_ack(c, now, NS_SEND_NORMAL);
            break;
        }
        int64_t space = (int64_t)tcp_rcvbuf(c) - c->rx_len - tcp_ooo_bytes(c);
        if (cfg->rcv_ssthresh && space > c->rcv_ssthresh)
            space = c->rcv_ssthresh;
        uint32_t right = c->rcv_nxt + (uint32_t)(space > 0 ? space : 0);
        uint32_t thresh = 2u * c->rcv_mss;
        if (thresh > tcp_rcvbuf(c) / 2)
            thresh = tcp_rcvbuf(c) / 2;
        if (seq_geq(right, c->rcv_adv + thresh) || (c->rcv_adv == c->rcv_nxt && space > 0))
            tcp_send_ack(c, now, NS_SEND_WINDOW_UPDATE);
        break;
    }
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        break;
    }
    return n;
}

/* ---- CLOSE (RFC 9293 3.10.4) ---- */

void tcp_conn_shutdown_write(NsTcpConn *c, NsTime now, NsTraceCause why)
{
    if (c->fin_queued)
        return;
    switch (c->state) {
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
        c->fin_queued = true;
        tcp_conn_set_state(c, NS_TCP_STATE_FIN_WAIT_1, why);
        break;
    case NS_TCP_STATE_CLOSE_WAIT:
        c->fin_queued = true;
        tcp_conn_set_state(c, NS_TCP_STATE_LAST_ACK, why);
        break;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        return;
    }
    /* In SYN-RECEIVED the FIN waits until our SYN is acknowledged. */
    if (c->state != NS_TCP_STATE_FIN_WAIT_1 || seq_gt(c->snd_una, c->iss))
        tcp_conn_output(c, now);
}

/* Enter CLOSED: stop timers, drop what can no longer be sent. Received
 * data stays readable. */
void tcp_conn_enter_closed(NsTcpConn *c, int err, NsTraceCause why)
{
    if (err)
        c->error = err;
    tcp_timer_stop_all(c);
    tcp_sb_free(c);
    tcp_ooo_free(c);
    tcp_sack_free(c);
    tcp_rack_free(c);
    if (tcp_cc(c)->release)
        tcp_cc(c)->release(c);
    tcp_conn_set_state(c, NS_TCP_STATE_CLOSED, why);
}

/* ABORT (RFC 9293 3.10.5), and CLOSE with unread data (3.10.4, RFC 2525
 * 2.17): <SEQ=SND.NXT><CTL=RST> in the synchronized states. */
void tcp_conn_reset(NsTcpConn *c, NsTime now, NsTraceCause why)
{
    switch (c->state) {
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT: {
        uint8_t fl = NS_TCP_RST;
        if (c->env->cfg->rst_ack)
            fl |= NS_TCP_ACK; /* Linux's active reset is R. */
        tcp_send_segment(c, c->snd_max, 0, fl, NS_SEND_NORMAL, now);
        break;
    }
    case NS_TCP_STATE_CLOSED:
        return;
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        break;
    }
    tcp_conn_enter_closed(c, 0, why);
}
