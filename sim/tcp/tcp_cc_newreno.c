/* NewReno congestion control: slow start and congestion avoidance with
 * byte counting (RFC 5681 3.1, 2*SMSS-free variant), fast recovery window
 * inflation (RFC 5681 3.2) and exit (RFC 6582 3.2 step 4, option 1).
 * The ssthresh factor is the profile's (1/2; linux 0.7 as cubic's beta). */
#include "tcp-private.h"

static uint32_t reduced(const NsTcpConn *c)
{
    uint64_t s = (uint64_t)tcp_flight(c) * c->env->cfg->beta_1024 / 1024;
    uint32_t floor = 2u * c->mss;
    return s < floor ? floor : (uint32_t)s;
}

static void nr_init(NsTcpConn *c)
{
    const NsTcpCfg *cfg = c->env->cfg;
    uint32_t m = c->mss;
    if (cfg->iw) {
        c->cwnd = cfg->iw * m; /* RFC 6928 */
    } else {
        /* RFC 5681 3.1: IW = min(4*SMSS, max(2*SMSS, 4380 bytes)). */
        uint32_t hi = 2 * m > 4380 ? 2 * m : 4380;
        c->cwnd = 4 * m < hi ? 4 * m : hi;
    }
    c->ssthresh = 0x7fffffff; /* "arbitrarily high" (RFC 5681 3.1) */
    c->bytes_acked_ca = 0;
}

static void nr_on_ack(NsTcpConn *c, uint32_t acked, NsTime now)
{
    (void)now;
    if (c->cwnd < c->ssthresh) {
        c->cwnd += acked < c->mss ? acked : c->mss; /* slow start, eq. 2 */
        return;
    }
    c->bytes_acked_ca += acked; /* congestion avoidance: +1 SMSS per cwnd */
    if (c->bytes_acked_ca >= c->cwnd) {
        c->bytes_acked_ca -= c->cwnd;
        c->cwnd += c->mss;
    }
}

static void nr_on_dup_ack(NsTcpConn *c)
{
    c->cwnd += c->mss; /* RFC 5681 3.2 step 4: inflate */
}

static void nr_on_cong_signal(NsTcpConn *c)
{
    c->ssthresh = reduced(c); /* RFC 5681 eq. 4 */
    c->bytes_acked_ca = 0;
}

static void nr_on_rto(NsTcpConn *c)
{
    /* RFC 5681 3.1: on the first timeout of a loss episode only (later
     * backoffs must not shrink ssthresh further); cwnd = 1 SMSS (LW). */
    if (c->rxt_shift <= 1)
        c->ssthresh = reduced(c);
    c->cwnd = c->mss;
    c->bytes_acked_ca = 0;
}

static void nr_post_recovery(NsTcpConn *c)
{
    uint32_t f = tcp_flight(c) + c->mss;
    c->cwnd = f < c->ssthresh ? f : c->ssthresh;
}

const NsTcpCcOps ns_tcp_cc_newreno = {
    .name = "newreno",
    .init = nr_init,
    .on_ack = nr_on_ack,
    .on_dup_ack = nr_on_dup_ack,
    .on_cong_signal = nr_on_cong_signal,
    .on_rto = nr_on_rto,
    .post_recovery = nr_post_recovery,
};
