/* CUBIC congestion control (RFC 9438), the linux profile's: the window
 * grows as a cubic function of the time since the last reduction, centred
 * on the window where it happened (W_max), with fast convergence (4.7), a
 * multiplicative decrease of beta = 0.7 (4.6) and the Reno-friendly region
 * (4.3); slow start counts every acknowledged segment (Linux tcp_slow_start,
 * no RFC 3465 limit per ACK) and ends early by HyStart (ACK trains and RTT
 * increase, as Linux's hystart_detect=3). Arithmetic is integer, with time
 * in 1/1024 s as Linux's BICTCP_HZ, so runs stay bit-identical. */
#include "tcp-private.h"

#include <glib.h>

#define BETA_1024 717u        /* RFC 9438 4.6: beta_cubic = 0.7 */
#define C_SCALED 410u         /* RFC 9438 5: C = 0.4, times 1024 */
#define HZ_SHIFT 10           /* time in 1/1024 s */
#define HYSTART_LOW_WINDOW 16u /* segments: HyStart only above this */
#define HYSTART_MIN_SAMPLES 8u
#define HYSTART_ACK_DELTA NS_MS(2) /* ACKs closer than this form a train */

/* Per-connection state, allocated on first use (an idle connection has
 * none). Windows in segments. */
typedef struct {
    uint32_t w_max;        /* W_max: the window before the last reduction */
    uint32_t origin;       /* the plateau of the current curve */
    uint32_t k;            /* K, in 1/1024 s */
    uint32_t ack_cnt;      /* segments ACKed since the epoch (Reno-friendly) */
    uint32_t w_est;        /* W_est: the Reno-friendly window */
    uint32_t cnt;          /* ACKed segments per +1 segment of cwnd */
    uint32_t cwnd_cnt;     /* ACKed segments towards the next +1 */
    NsTime epoch;          /* start of the current curve, -1 none */
    NsTime delay_min;      /* smallest RTT seen, 0 none */
    /* HyStart */
    bool found;
    uint32_t end_seq, sample_cnt;
    NsTime round_start, last_ack, curr_rtt;
} Cubic;

static Cubic *state(NsTcpConn *c)
{
    if (!c->cc_state) {
        Cubic *s = g_new0(Cubic, 1);
        s->epoch = -1;
        s->round_start = -1;
        c->cc_state = s;
    }
    return c->cc_state;
}

/* The integer cube root (floor). */
static uint32_t cbrt64(uint64_t a)
{
    uint64_t lo = 0, hi = 2097152; /* 2^21: its cube passes 2^63 */
    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        if (mid * mid * mid <= a)
            lo = mid;
        else
            hi = mid - 1;
    }
    return (uint32_t)lo;
}

static uint32_t segs(const NsTcpConn *c, uint32_t bytes)
{
    return c->mss ? bytes / c->mss : bytes;
}

static void epoch_reset(Cubic *s)
{
    s->epoch = -1;
    s->ack_cnt = 0;
    s->cwnd_cnt = 0;
}

static void hystart_reset(NsTcpConn *c, Cubic *s, NsTime now)
{
    s->round_start = s->last_ack = now;
    s->end_seq = c->snd_max;
    s->curr_rtt = 0;
    s->sample_cnt = 0;
}

static void cubic_init(NsTcpConn *c)
{
    const NsTcpCfg *cfg = c->env->cfg;
    c->cwnd = (cfg->iw ? cfg->iw : 3) * c->mss; /* RFC 6928 */
    c->ssthresh = 0x7fffffff;
    c->bytes_acked_ca = 0;
    if (c->cc_state) {
        g_free(c->cc_state);
        c->cc_state = NULL;
    }
}

/* HyStart (Ha and Rhee): leave slow start when the ACKs of one round
 * arrive as a train longer than half the minimum RTT (the pipe is full:
 * checked on every ACK), or when the round's RTT rose by an eighth of the
 * minimum, 4 to 16 ms (checked on every RTT sample). */
static void hystart_found(NsTcpConn *c, Cubic *s, NsTraceCause why)
{
    s->found = true;
    c->ssthresh = c->cwnd;
    tcp_trace_cc(c, why);
}

static bool hystart_on(const NsTcpConn *c, const Cubic *s)
{
    return !s->found && segs(c, c->cwnd) >= HYSTART_LOW_WINDOW && s->round_start >= 0 &&
           s->delay_min > 0;
}

static void hystart_ack_train(NsTcpConn *c, Cubic *s, NsTime now)
{
    if (!hystart_on(c, s) || now - s->last_ack > HYSTART_ACK_DELTA)
        return;
    s->last_ack = now;
    if (now - s->round_start > (s->delay_min + HYSTART_ACK_DELTA) / 2)
        hystart_found(c, s, NS_CAUSE_HYSTART_ACK_TRAIN);
}

static void cubic_on_rtt(NsTcpConn *c, NsTime rtt)
{
    Cubic *s = state(c);
    if (!s->delay_min || rtt < s->delay_min)
        s->delay_min = rtt;
    if (c->cwnd >= c->ssthresh || !hystart_on(c, s))
        return;
    if (s->sample_cnt < HYSTART_MIN_SAMPLES) {
        if (!s->curr_rtt || rtt < s->curr_rtt)
            s->curr_rtt = rtt;
        s->sample_cnt++;
        return;
    }
    NsTime eta = s->delay_min / 8;
    eta = eta < NS_MS(4) ? NS_MS(4) : eta > NS_MS(16) ? NS_MS(16) : eta;
    if (s->curr_rtt > s->delay_min + eta)
        hystart_found(c, s, NS_CAUSE_HYSTART_DELAY);
}

/* RFC 9438 4.2-4.3: the segments to ACK per +1 segment of cwnd so that
 * cwnd reaches W_cubic(t + RTT) in one RTT, or follows W_est when that is
 * larger (the Reno-friendly region). */
static void cubic_update(Cubic *s, uint32_t cwnd, uint32_t acked, NsTime now)
{
    s->ack_cnt += acked;
    if (s->epoch < 0) {
        s->epoch = now;
        s->ack_cnt = acked;
        s->w_est = cwnd;
        if (s->w_max <= cwnd) {
            s->k = 0;
            s->origin = cwnd;
        } else {
            /* K = cbrt(W_max * (1 - beta) / C), with W_max - cwnd standing
             * for W_max * (1 - beta) right after the cut. */
            uint64_t cube_factor = (UINT64_C(1) << (HZ_SHIFT + 3 * HZ_SHIFT)) / C_SCALED;
            s->k = cbrt64(cube_factor * (s->w_max - cwnd));
            s->origin = s->w_max;
        }
    }
    /* t in 1/1024 s, one minimum RTT ahead (RFC 9438 4.2: W_cubic(t+RTT)). */
    NsTime dt = now - s->epoch + s->delay_min;
    uint64_t t = (uint64_t)dt * 1024 / NS_S(1);
    uint64_t offs = t < s->k ? s->k - t : t - s->k;
    if (offs > (UINT64_C(1) << 21))
        offs = UINT64_C(1) << 21; /* keeps offs^3 * C inside 64 bits */
    uint64_t delta = (C_SCALED * offs * offs * offs) >> (HZ_SHIFT + 3 * HZ_SHIFT);
    uint64_t target = t < s->k ? (s->origin > delta ? s->origin - delta : 0) : s->origin + delta;
    if (target > cwnd)
        s->cnt = (uint32_t)(cwnd / (target - cwnd));
    else
        s->cnt = 100 * cwnd; /* hardly grow at the plateau */
    if (s->w_max == 0 && s->cnt > 20)
        s->cnt = 20; /* no loss yet: at least 5 % a round (Linux) */
    /* 4.3: W_est grows by alpha_cubic = 3 (1 - beta) / (1 + beta) segments
     * per window of ACKs: one segment every cwnd / alpha ACKed. */
    uint32_t per = (cwnd * (1024 + BETA_1024)) / (3 * (1024 - BETA_1024));
    if (per == 0)
        per = 1;
    while (s->ack_cnt > per) {
        s->ack_cnt -= per;
        s->w_est++;
    }
    if (s->w_est > cwnd) {
        uint32_t max_cnt = cwnd / (s->w_est - cwnd);
        if (s->cnt > max_cnt)
            s->cnt = max_cnt;
    }
    if (s->cnt < 2)
        s->cnt = 2;
}

static void cubic_on_ack(NsTcpConn *c, uint32_t acked, NsTime now)
{
    Cubic *s = state(c);
    if (c->cwnd < c->ssthresh) {
        if (s->round_start < 0 || seq_geq(c->snd_una, s->end_seq))
            hystart_reset(c, s, now); /* a new round */
        else
            hystart_ack_train(c, s, now);
    }
    if (!tcp_cwnd_limited(c))
        return; /* Linux cubictcp_cong_avoid: the window was not used */
    if (c->cwnd < c->ssthresh) {
        /* Slow start: every acknowledged byte, or segment (Linux counts
         * packets, so a partial one counts whole), up to ssthresh. */
        if (c->env->cfg->ss_per_segment && c->mss)
            acked = (acked + c->mss - 1) / c->mss * c->mss;
        uint32_t room = c->ssthresh - c->cwnd;
        uint32_t grow = acked < room ? acked : room;
        c->cwnd += grow;
        acked -= grow;
        if (!acked)
            return;
    }
    uint32_t mss = c->mss ? c->mss : 1;
    uint32_t cwnd = segs(c, c->cwnd);
    if (cwnd == 0)
        cwnd = 1;
    /* Byte counting: whole segments of ACKed data drive the curve. */
    c->bytes_acked_ca += acked;
    uint32_t n = c->bytes_acked_ca / mss;
    if (!n)
        return;
    c->bytes_acked_ca -= n * mss;
    cubic_update(s, cwnd, n, now);
    /* Credits gathered while cnt was larger (at the plateau) count for
     * one segment, not many (Linux tcp_cong_avoid_ai). */
    if (s->cwnd_cnt >= s->cnt) {
        s->cwnd_cnt = 0;
        cwnd++;
        c->cwnd = cwnd * mss;
    }
    s->cwnd_cnt += n;
    if (s->cwnd_cnt >= s->cnt) {
        uint32_t inc = s->cwnd_cnt / s->cnt;
        s->cwnd_cnt -= inc * s->cnt;
        c->cwnd = (cwnd + inc) * mss;
    }
}

/* RFC 9438 4.6 and 4.7: ssthresh = cwnd * beta (at least 2 segments);
 * W_max remembers the window, lowered further when it is below the last
 * one (fast convergence: a new flow is taking its share). */
static void cubic_on_cong_signal(NsTcpConn *c)
{
    Cubic *s = state(c);
    uint32_t cwnd = segs(c, c->cwnd);
    epoch_reset(s);
    if (cwnd < s->w_max)
        s->w_max = cwnd * (1024 + BETA_1024) / (2 * 1024);
    else
        s->w_max = cwnd;
    uint32_t ss = cwnd * BETA_1024 / 1024;
    c->ssthresh = (ss < 2 ? 2 : ss) * c->mss;
    c->bytes_acked_ca = 0;
}

static void cubic_on_dup_ack(NsTcpConn *c)
{
    (void)c; /* SACK recovery sets cwnd by PRR; nothing inflates */
}

/* RFC 9438 4.8 / RFC 5681 3.1: a timeout; the first of an episode cuts
 * ssthresh, the window restarts from one segment and the curve and
 * HyStart start over. */
static void cubic_on_rto(NsTcpConn *c)
{
    Cubic *s = state(c);
    if (c->rxt_shift <= 1)
        cubic_on_cong_signal(c);
    epoch_reset(s);
    s->found = false;
    s->round_start = -1;
    c->cwnd = c->mss;
    c->bytes_acked_ca = 0;
}

static void cubic_post_recovery(NsTcpConn *c)
{
    c->cwnd = c->ssthresh;
}

static void cubic_release(NsTcpConn *c)
{
    g_free(c->cc_state);
    c->cc_state = NULL;
}

const NsTcpCcOps ns_tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .on_rtt = cubic_on_rtt,
    .on_dup_ack = cubic_on_dup_ack,
    .on_cong_signal = cubic_on_cong_signal,
    .on_rto = cubic_on_rto,
    .post_recovery = cubic_post_recovery,
    .release = cubic_release,
};
