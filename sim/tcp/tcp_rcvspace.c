/* Receive-buffer autotuning as Linux does it (the linux profile's
 * rcv_autotune; Linux "dynamic right-sizing", tcp_moderate_rcvbuf): the
 * receiver measures its round-trip time from the timestamps it gets back
 * (tcp_rcv_rtt_measure_ts), counts what the application read in each
 * round trip (tcp_rcv_space_adjust) and, when that grew, makes the buffer
 * big enough for twice as much, more while the sender is in slow start
 * (tcp_rcvbuf_grow). The window follows through rcv_ssthresh, which grows
 * by two segments per full-sized in-order segment while the buffer has
 * room (tcp_grow_window). Buffer memory is counted as Linux counts it:
 * the window a buffer allows is its size times scaling_ratio / 256. */
#include "tcp-private.h"

#include <glib.h>

/* Linux TCP_DEFAULT_SCALING_RATIO: half, before any full segment arrived. */
#define DEFAULT_RATIO 128u

static uint32_t payload_mss(const NsTcpConn *c)
{
    return c->adv_mss - (c->ts_ok ? 12u : 0u); /* Linux tp->advmss */
}

static uint32_t bytes_read(const NsTcpConn *c)
{
    return (uint32_t)c->bytes_received - c->rx_len; /* copied_seq, relative */
}

static NsTcpRcvSpace *rcvspace(NsTcpConn *c)
{
    if (c->rcvspace)
        return c->rcvspace;
    /* Linux tcp_init_buffer_space(), done here lazily (an idle connection
     * pays nothing): the first measure starts when the connection was
     * established, with room for the initial window's worth. */
    NsTcpRcvSpace *r = g_new0(NsTcpRcvSpace, 1);
    r->rcvbuf = c->env->cfg->rmem_init;
    r->ratio = DEFAULT_RATIO;
    uint32_t space = c->rcv_ssthresh, iw = 10u * payload_mss(c); /* TCP_INIT_CWND */
    if (space > c->rcv_adv - c->rcv_nxt && c->rcv_adv != c->rcv_nxt)
        space = c->rcv_adv - c->rcv_nxt;
    r->space = space < iw ? space : iw;
    r->space_seq = bytes_read(c);
    r->time = (NsTime)c->est_ms * NS_MS(1);
    c->rcvspace = r;
    return r;
}

void tcp_rcvspace_free(NsTcpConn *c)
{
    g_free(c->rcvspace);
    c->rcvspace = NULL;
}

/* Linux tcp_rcv_rtt_update() with a timestamp sample (win_dep 0): a
 * smaller sample is taken at once, a larger one smoothed by 1/8, and only
 * while the application has read everything. */
static void rtt_update(NsTcpConn *c, NsTcpRcvSpace *r, uint32_t sample_us)
{
    uint32_t m = sample_us << 3;
    if (r->rtt_us8 == 0 || m < r->rtt_us8)
        r->rtt_us8 = m;
    else if (c->rx_len == 0)
        r->rtt_us8 = r->rtt_us8 - (r->rtt_us8 >> 3) + sample_us;
}

void tcp_rcvspace_data(NsTcpConn *c, uint32_t len, const NsTcpRepr *h, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    if (!cfg->rcv_autotune)
        return;
    NsTcpRcvSpace *r = rcvspace(c);
    /* tcp_rcv_rtt_measure_ts: a full-sized segment echoing a timestamp
     * not seen before measures the receive RTT (1 ms ticks). */
    if (c->ts_ok && h->has_ts && h->ts_ecr != r->last_tsecr) {
        r->last_tsecr = h->ts_ecr;
        int32_t delta = (int32_t)(tcp_ts_now(c, now) - h->ts_ecr);
        if (len >= c->rcv_mss && delta > 0 && delta < 100000)
            rtt_update(c, r, (uint32_t)delta * 1000u);
    }
    /* tcp_measure_rcv_mss: a segment of a new full size sets the ratio of
     * payload to buffer memory (here the profile's for a full frame), and
     * the window clamp follows it. */
    if (len >= c->rcv_mss && len != c->rcv_mss && r->ratio != cfg->win_ratio) {
        r->ratio = cfg->win_ratio;
        uint32_t clamp = tcp_rcvbuf(c);
        if (c->rcv_ssthresh > clamp)
            c->rcv_ssthresh = clamp;
    }
}

bool tcp_rcvspace_grow_window(NsTcpConn *c, uint32_t len)
{
    /* tcp_grow_window: the room is what the buffer still allows (its
     * window less what waits to be read) above rcv_ssthresh. */
    int64_t free_space = (int64_t)tcp_rcvbuf(c) - c->rx_len - tcp_ooo_bytes(c);
    int64_t room = free_space - c->rcv_ssthresh;
    if (room <= 0)
        return false;
    uint32_t incr = 2u * payload_mss(c);
    if (incr < 2u * len)
        incr = 2u * len;
    c->rcv_ssthresh += room < incr ? (uint32_t)room : incr;
    return true;
}

void tcp_rcvspace_read(NsTcpConn *c, NsTime now)
{
    const NsTcpCfg *cfg = c->env->cfg;
    NsTcpRcvSpace *r = c->rcvspace;
    if (!cfg->rcv_autotune || !r || r->rtt_us8 == 0)
        return;
    if (now - r->time < (NsTime)(r->rtt_us8 >> 3) * NS_US(1))
        return;
    /* Bytes read in the last round trip, less what still waits to be read. */
    uint32_t copied = bytes_read(c) - r->space_seq - c->rx_len;
    if (copied > r->space) {
        /* tcp_rcvbuf_grow: twice what was read (the measure is one round
         * trip late), plus twice its growth (slow start doubles the rate),
         * plus the span of the out-of-order queue. */
        uint32_t old = r->space;
        r->space = copied;
        if (!(c->opts && c->opts->rcvbuf)) {
            uint64_t rcvwin = (uint64_t)copied << 1;
            rcvwin += (rcvwin * (copied - old) / old) << 1;
            if (c->ooo && c->ooo->blocks.n)
                rcvwin += c->ooo->blocks.r[c->ooo->blocks.n - 1].end - c->rcv_nxt;
            uint64_t mem = (rcvwin << 8) / r->ratio; /* tcp_space_from_win */
            if (mem > cfg->rmem_max)
                mem = cfg->rmem_max;
            if (mem > r->rcvbuf)
                r->rcvbuf = (uint32_t)mem;
        }
    }
    r->space_seq = bytes_read(c);
    r->time = now;
}
