/* TCP layer internals shared by sim/tcp and its tests: the sans-IO
 * connection core (NsTcpConn, RFC 9293 3.3.1 variable names), profiles,
 * timers (BSD-style indexed array with a names table), congestion control
 * ops (FreeBSD cc_algo shape) and sequence arithmetic (RFC 9293 3.4). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim-private/ctx.h"
#include "netsim/host.h"
#include "netsim/packet.h"
#include "netsim-private/packet.h"
#include "netsim-private/pcb.h"
#include "netsim/rng.h"
#include "netsim/tcp.h"
#include "netsim/wire/tcp.h"

/* ---- sequence space (RFC 9293 3.4: arithmetic modulo 2^32) ---- */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/* ---- state predicates (switches, not ranges) ---- */
static inline bool tcp_state_synchronized(NsTcpState s)
{
    switch (s) {
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        return true;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
        return false;
    }
    return false;
}

/* States in which the application may still queue data (RFC 9293 3.10.2). */
static inline bool tcp_state_can_send(NsTcpState s)
{
    switch (s) {
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_CLOSE_WAIT:
        return true;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        return false;
    }
    return false;
}

/* ---- profiles ---- */

typedef struct NsTcpCcOps NsTcpCcOps;

/* Everything that differs between `minimal` and `linux`: each a named
 * parameter (the TCP code never asks which profile it runs), with the
 * Linux sysctl or constant it stands for where there is one. */
typedef struct {
    NsProfile profile;
    const NsTcpCcOps *cc;    /* congestion control (net.ipv4.tcp_congestion_control) */
    bool ts, sack, wscale;   /* RFC 7323 / RFC 2018 options offered (tcp_timestamps,
                                tcp_sack, tcp_window_scaling) */
    bool rfc5961;            /* challenge ACKs (RST/SYN/ACK checks) */
    bool quickack;           /* Linux quickack mode at connection start */
    bool delay_fin_ack;      /* ACK of a FIN in ESTABLISHED waits (pingpong) */
    bool ato_from_first_data; /* Linux icsk_ack.ato: 0 until the first data
                                 arrives (then TCP_ATO_MIN), so an ACK
                                 "delayed" before any data leaves at once */
    bool id_zero_synack_rst; /* IP ID 0 on SYN-ACK and RST */
    bool backlog_plus_one;   /* accept queue full only above backlog */
    bool rst_ack;            /* an active reset (abort) carries ACK: R. as Linux */
    bool linux_options;      /* option layout of Linux (MSS,SACK_PERM,TS,NOP,WS) */
    bool rto_min_on_var;     /* RTO = SRTT + max(4*RTTVAR, rto_min) (Linux
                                tcp_rto_min_us) instead of a floor on the sum */
    bool rcv_ssthresh;       /* the advertised window is bounded by rcv_ssthresh,
                                which grows with full in-order segments (Linux
                                tcp_grow_window) */
    bool ack_one_frame;      /* Linux __tcp_ack_snd_check: ACK at once when more
                                than one full frame (rcv_mss) is unacknowledged
                                and the window would not shrink; quickack ACKs
                                counted per ACK sent (tcp_dec_quickack_mode) */
    bool dsack;              /* D-SACK (RFC 2883): a duplicate segment is
                                reported by a first SACK block of its own
                                (net.ipv4.tcp_dsack, tcp_dsack_set) */
    bool sack_recent;        /* Linux tcp_sack_new_ofo_skb: SACK blocks in the
                                order they last grew, most recent first, from
                                a cache of the 4 most recent (an older block
                                is no longer reported); else the most recent
                                first and the others in sequence order (both
                                RFC 2018 4). net.ipv4.tcp_sack's receiver */
    bool rcv_mss_estimate;   /* Linux tcp_measure_rcv_mss: the peer's segment
                                size learnt from what arrives, from 536 */
    /* Receive-buffer autotuning (Linux net.ipv4.tcp_moderate_rcvbuf = 1,
     * tcp_rcv_space_adjust, tcp_rcvbuf_grow): the buffer starts at
     * rmem_init bytes of memory (net.ipv4.tcp_rmem[1]) and, once per
     * receive round trip, grows to hold twice what the application read
     * in the last one (more while that is growing), up to rmem_max
     * (tcp_rmem[2]). The window a buffer allows is its size times
     * win_ratio / 256 (Linux tp->scaling_ratio: a full-sized segment's
     * payload over the memory its frame takes; 128 until the first
     * full-sized segment arrives). rcv_ssthresh then grows by two segments
     * per full-sized in-order segment while that window has room
     * (tcp_grow_window), and each growth asks for an immediate ACK
     * (icsk_ack.quick |= 1). Off: rcvbuf, and rcv_ssthresh (if on) grows
     * up to it. */
    bool rcv_autotune;
    /* Linux tcp_is_cwnd_limited (RFC 7661's idea): the congestion window
     * grows only while it limits the sender (it was full in the last
     * window of data, or in slow start is below twice the most sent at
     * once), so an application that sends little does not inflate it. */
    bool cwnd_limited;
    /* Linux tcp_slow_start counts packets: an ACK of a partial segment
     * grows the window by a whole one. Off: by the bytes acknowledged. */
    bool ss_per_segment;
    uint8_t win_ratio;
    uint32_t rmem_init, rmem_max;
    bool rack;               /* RACK loss detection, RFC 8985 6 (Linux
                                tcp_recovery=1) */
    bool nagle_minshall;     /* Minshall's Nagle (Linux tcp_minshall_check): a
                                small segment waits only while an earlier small
                                one is unacknowledged */
    /* Linux sends new data in TSO/GSO packets of several segments and
     * sets PSH on every packet of more than one (__tcp_transmit_skb; GSO
     * leaves it on the packet's last segment, which is what the wire
     * shows). A packet holds tcp_tso_autosize's count: the pacing rate
     * (tcp_update_pacing_rate: pacing_ss_ratio percent of cwnd * MSS /
     * SRTT in slow start below ssthresh / 2, else pacing_ca_ratio) over
     * 2^10 (sk_pacing_shift: about 1 ms of data), plus gso_max_size >>
     * (min RTT in us >> tso_rtt_log) on short paths, at most
     * gso_max_size, at least tso_min_segs (net.ipv4.tcp_min_tso_segs),
     * and no more than cwnd and the peer's window allow when it starts.
     * 0 = no such packets: PSH only where the written data ends. */
    uint8_t tso_min_segs;
    uint8_t tso_rtt_log;          /* net.ipv4.tcp_tso_rtt_log */
    uint16_t pacing_ss_ratio;     /* net.ipv4.tcp_pacing_ss_ratio, percent */
    uint16_t pacing_ca_ratio;     /* net.ipv4.tcp_pacing_ca_ratio, percent */
    uint32_t gso_max_size;        /* the device's GSO limit (GSO_LEGACY_MAX_SIZE) */
    /* Linux tcp_tso_should_defer: a TSO packet smaller than tso_segs'
     * count waits for the next ACK when less than 1/tso_win_divisor of
     * the window (net.ipv4.tcp_tso_win_divisor) could go, the last send
     * was within a millisecond, the oldest segment in flight was sent at
     * least SRTT/2 ago and more data is waiting than may go now (or may
     * be written: no FIN queued). Not in Recovery or Loss. 0 = never. */
    uint8_t tso_win_divisor;
    /* Timers on a jiffies clock with a timer wheel (Linux CONFIG_HZ and
     * kernel/time/timer.c): every timeout is a whole number of jiffies
     * and fires at its wheel bucket, never early. 0 = exact times. */
    NsTime jiffy;
    uint32_t jiffies_at_zero; /* the jiffies counter at simulated time 0 */
    /* RFC 5681 3.1 and RFC 6298 5.7 after a SYN was retransmitted: the
     * initial window in segments (0: unchanged) and the RTO once the
     * connection is established (0: unchanged). */
    uint32_t iw_after_syn_loss;
    NsTime rto_after_syn_loss;
    uint8_t rcv_wscale;
    uint32_t syn_wnd, synack_wnd; /* window of the SYN / SYN-ACK */
    /* Linux tcp_select_initial_window(): the SYN-ACK's window is the
     * largest multiple of the segment size (our MSS less the timestamp
     * option when it is on) that fits in 16 bits, not synack_wnd. */
    bool synack_wnd_mss_multiple;
    uint32_t rcvbuf, sndbuf;      /* bytes */
    uint32_t iw;                  /* initial window, segments */
    uint32_t beta_1024;           /* ssthresh = flight * beta / 1024 */
    NsTime rto_init, rto_min, rto_max;
    NsTime time_wait;             /* 2*MSL */
    NsTime fin_wait_2;            /* orphaned FIN-WAIT-2 lifetime */
    NsTime delack;
    uint32_t syn_linear;          /* SYN timeouts of rto_init before doubling */
    uint32_t syn_retries;         /* SYN retransmissions before ETIMEDOUT */
    uint32_t synack_retries;
    uint32_t retries2;            /* data retransmissions before ETIMEDOUT */
    /* Tail loss probe (RFC 8985 7), linux: the probe timeout is 2*SRTT
     * plus pto_one_seg (the worst-case delayed ACK) when one segment is in
     * flight, else plus pto_slack; pto_no_rtt before any RTT sample. */
    bool tlp;
    NsTime pto_one_seg, pto_slack, pto_no_rtt;
    /* SO_KEEPALIVE's defaults (RFC 1122 4.2.3.6: idle at least two hours;
     * Linux tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes) */
    NsTime keepalive_time, keepalive_intvl;
    uint32_t keepalive_probes;
    /* What getsockopt SO_RCVBUF / SO_SNDBUF report while the application
     * set none (Linux tcp_rmem[1], tcp_wmem[1]). */
    uint32_t rcvbuf_report, sndbuf_report;
} NsTcpCfg;

/* The socket options an application set (setsockopt), allocated with the
 * first one: connections that set none pay 8 bytes for them. */
typedef struct {
    /* SO_RCVBUF / SO_SNDBUF as Linux keeps them (twice the value asked,
     * for its bookkeeping): half of it is the usable buffer. 0: not set. */
    uint32_t rcvbuf, sndbuf;
    uint16_t user_mss;            /* TCP_MAXSEG, 0: not set */
    bool keepalive;               /* SO_KEEPALIVE */
    bool cork;                    /* TCP_CORK */
    uint8_t keepalive_sent;       /* probes sent since the peer last spoke */
    uint32_t keepcnt;             /* TCP_KEEPCNT, 0: the profile's */
    NsTime keepidle, keepintvl;   /* TCP_KEEPIDLE, TCP_KEEPINTVL, 0: the profile's */
    NsTime user_timeout;          /* TCP_USER_TIMEOUT, 0: off */
    int32_t linger;               /* SO_LINGER seconds, -1: off */
    NsTime last_rcv;              /* when a segment last arrived */
    NsTime rtx_start;             /* when the first retransmission went (user timeout) */
} NsTcpOpts;

/* The configuration of a profile (static storage). */
const NsTcpCfg *ns_tcp_cfg(NsProfile profile);

/* When a timer of `dur` armed at `now` fires: now + dur, or on a jiffies
 * clock the wheel bucket (see NsTcpCfg.jiffy). */
NsTime tcp_timer_deadline(const NsTcpCfg *cfg, NsTime now, NsTime dur);
/* A duration rounded up to whole jiffies (itself without a jiffies clock). */
NsTime tcp_jiffies_round(const NsTcpCfg *cfg, NsTime dur);

typedef struct NsTcpConn NsTcpConn;

/* What a connection core needs from its surroundings: no I/O, only the
 * packet pool (to build segments), the tracer (state changes, timers) and
 * random numbers. Tests build one without a host. */
typedef struct {
    NsCtx *ctx;
    const char *host_name;
    const NsTcpCfg *cfg;
    NsRng rng;           /* per-connection randomness: TS offsets */
    uint64_t isn_secret; /* RFC 6528 F() key */
    bool fixed_iss;      /* tests: every ISS is `iss` (and TS offset 0) */
    uint32_t iss;
    /* Hands the layer below every segment queued but the last (which TSO
     * may still mark PSH) while a burst is being built, so that a burst
     * the link's queue mostly drops does not hold hundreds of frames at
     * once; it may decline (a trace would then order its lines
     * differently). NULL: the queue waits for the caller, as tests read it. */
    void (*drain)(NsTcpConn *c);
} NsTcpEnv;

/* Queued segments past which tcp_send_segment calls env->drain. */
#define TCP_DRAIN_AT 8

/* ---- timers ---- */
typedef enum {
    NS_TCP_T_REXMT,     /* retransmission (SYN, SYN-ACK, data, FIN) */
    NS_TCP_T_PERSIST,   /* zero-window probes */
    NS_TCP_T_KEEPALIVE, /* not armed: keepalive is off by default */
    NS_TCP_T_TIME_WAIT, /* 2*MSL, or an orphan's FIN-WAIT-2 lifetime */
    NS_TCP_T_DELACK,    /* delayed ACK */
    NS_TCP_T_TLP,       /* tail loss probe (RFC 8985 7.2 PTO), linux */
    NS_TCP_T_COUNT,
    /* RACK's reordering timer (RFC 8985 6.3), linux: its deadline lives in
     * the RACK record (allocated once data flows), not in timer[]. */
    NS_TCP_T_RACK
} NsTcpTimer;


/* ---- input verdicts (the BSD goto labels as values) ---- */
typedef enum {
    NS_TCP_CONTINUE,
    NS_TCP_DROP,
    NS_TCP_DROP_AFTER_ACK,
    NS_TCP_DROP_WITH_RESET,
} NsTcpVerdict;

/* Why a segment was sent: an NsSendWhy, stored in NsPacket.meta of queued
 * segments. */

/* A parsed arriving segment: header and options, payload view. */
typedef struct {
    NsTcpRepr h;
    const uint8_t *data;
    uint32_t len;
    /* The packet holding `data`, or NULL. The core may take it (and set
     * this to NULL) to queue the payload without a copy; the caller frees
     * it otherwise. */
    NsPacket *pkt;
} NsTcpSeg;

typedef struct NsTcpSndBuf NsTcpSndBuf;

/* ---- sets of sequence ranges (tcp_sack.c) ---- */

/* [start, end) in sequence space. */
typedef struct {
    uint32_t start, end;
} NsTcpRange;

/* Disjoint ranges that do not touch, in sequence order; the array exists
 * only while the set is not empty. `bytes` is the total they cover. */
typedef struct {
    NsTcpRange *r;
    uint32_t n, cap, bytes;
} NsTcpRangeSet;

/* Add [start, end), merging what it overlaps or touches; returns the
 * number of bytes it newly covers. */
uint32_t tcp_ranges_add(NsTcpRangeSet *set, uint32_t start, uint32_t end);
/* Forget everything below `seq` (cutting a range that straddles it). */
void tcp_ranges_trim(NsTcpRangeSet *set, uint32_t seq);
void tcp_ranges_clear(NsTcpRangeSet *set);
/* The range holding `seq`, or NULL. */
const NsTcpRange *tcp_ranges_find(const NsTcpRangeSet *set, uint32_t seq);
/* Bytes of [start, end) the set covers. */
uint32_t tcp_ranges_covered(const NsTcpRangeSet *set, uint32_t start, uint32_t end);

/* The receiver's out-of-order queue, allocated while it holds anything
 * (RFC 9293 3.10.7.4 seventh: segments beyond RCV.NXT may be held), in
 * tcp_rcvq.c: packets of bytes sorted by sequence (seq in meta), ranges of
 * pattern bytes (netsim/pattern.h: the phase of pat_seq given, the rest
 * following from it), and the blocks they form together, for SACK options
 * (RFC 2018 4) and the window (blocks.bytes are held). */
typedef struct {
    NsPacket *head, *tail;
    NsPacket *hint; /* the one last inserted before the tail: a search for
                     * the place of the next starts there (retransmissions
                     * fill the holes in order) */
    uint32_t last;  /* seq of the segment that arrived last */
    /* sack_recent: a sequence number in each of the blocks that grew last,
     * most recent first (recent[0] == last), each block once */
    uint32_t recent[4];
    uint8_t n_recent;
    NsTcpRangeSet blocks;
    NsTcpRangeSet pat;
    uint32_t pat_seq;
    uint8_t pat_phase;
    bool fin;        /* a FIN came after the byte before fin_end */
    uint32_t fin_end;
} NsTcpOoo;

/* A piece of the receive queue: `len` bytes, held in a packet (from
 * pkt->data) or, pkt NULL, the payload pattern from `phase`. */
typedef struct {
    NsPacket *pkt;
    uint32_t len;
    uint32_t phase;
} NsTcpRxPiece;

/* The receive queue: a ring of `count` pieces from `first` (cap a power of
 * two), allocated with the first piece and kept until the connection ends. */
typedef struct {
    NsTcpRxPiece *ring;
    uint32_t first, count, cap;
} NsTcpRxq;

/* The sender's SACK scoreboard and loss recovery state (RFC 6675 with
 * RFC 6937 PRR), allocated when SACK blocks first arrive or recovery
 * starts, freed when the connection is back to Open. */
typedef struct {
    NsTcpRangeSet sacked; /* SACKed ranges above SND.UNA */
    uint32_t high_rxt;    /* RFC 6675 HighRxt: end of the last retransmission */
    uint32_t recover_fs;  /* RFC 6937 RecoverFS: flight at the start */
    uint32_t prr_delivered, prr_out;
} NsTcpScoreboard;

/* Receive-buffer autotuning state (Linux rcvq_space, rcv_rtt_est,
 * sk_rcvbuf, scaling_ratio), allocated with the first in-order data on a
 * profile with rcv_autotune (tcp_rcvspace.c). */
typedef struct {
    uint32_t rcvbuf;     /* sk_rcvbuf: bytes of memory */
    uint32_t space;      /* rcvq_space.space: bytes read in the last measured round trip */
    uint32_t space_seq;  /* rcvq_space.seq: bytes read when this measure began */
    uint32_t rtt_us8;    /* rcv_rtt_est.rtt_us: 8 x the receive RTT in us, 0: none yet */
    uint32_t last_tsecr; /* rcv_rtt_last_tsecr */
    uint8_t ratio;       /* scaling_ratio (/256) */
    NsTime time;         /* rcvq_space.time: when this measure began */
} NsTcpRcvSpace;

/* Congestion states: NsTcpCaState (netsim/tcp-state.h). */

/* RFC 6675 DupThresh. */
#define NS_TCP_DUPTHRESH 3u

/* Congestion control (FreeBSD cc_algo, ns-3 TcpCongestionOps). */
struct NsTcpCcOps {
    const char *name;
    void (*init)(NsTcpConn *c);
    void (*on_ack)(NsTcpConn *c, uint32_t acked, NsTime now);
    void (*on_rtt)(NsTcpConn *c, NsTime rtt); /* an RTT sample (may be NULL) */
    void (*on_dup_ack)(NsTcpConn *c);
    void (*on_cong_signal)(NsTcpConn *c);
    void (*on_rto)(NsTcpConn *c);
    void (*post_recovery)(NsTcpConn *c);
    void (*release)(NsTcpConn *c); /* free c->cc_state (may be NULL) */
};
extern const NsTcpCcOps ns_tcp_cc_newreno;
extern const NsTcpCcOps ns_tcp_cc_cubic; /* RFC 9438 with HyStart (linux) */

/* The connection core: one endpoint's TCB (RFC 9293 3.3.1). */
struct NsTcpConn {
    NsTcpEnv *env; /* env->cfg: the profile, and its congestion control */
    NsPcb pcb; /* addresses and ports; the socket holds the connection first */
    NsTcpState state;

    /* send sequence space */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t max_sndwnd; /* largest window the peer offered */
    uint32_t recover;    /* RFC 6582 recover / RFC 6675 RecoveryPoint */
    /* receive sequence space */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
    uint32_t last_ack_sent;
    uint32_t rcv_ssthresh; /* linux: window growth limit */

    uint16_t adv_mss; /* our MSS option */
    uint16_t mss;     /* payload bytes per full segment we send */
    uint16_t rcv_mss; /* payload bytes per full segment we expect */
    uint8_t snd_wscale, rcv_wscale;
    uint8_t rxt_shift; /* consecutive timeouts (backoff exponent) */
    uint8_t dupacks;
    uint8_t quickack;  /* segments still ACKed at once (linux) */
    uint8_t ca_state;  /* NsTcpCaState */

    bool ts_ok : 1, sack_ok : 1, ws_ok : 1, passive : 1;
    bool fin_queued : 1; /* the application asked for a FIN (close/shutdown) */
    bool fin_rcvd : 1;   /* the peer's FIN is in rcv_nxt */
    bool rd_shut : 1, nodelay : 1, ack_now : 1;
    bool orphan : 1;     /* the application let go */
    bool notify : 1;     /* something the owner should hear about */
    bool was_connected : 1, force_probe : 1, rst_sent_or_rcvd : 1;
    bool tlp_active : 1, tlp_is_retrans : 1; /* RFC 8985 7, see snd_last below */
    bool syn_lost : 1; /* our SYN or SYN-ACK was retransmitted */
    bool nagle_held : 1; /* Nagle holds data back; traced once per hold */
    bool is_cwnd_limited : 1; /* cwnd_limited: cwnd was full in this window */
    bool nospace : 1; /* a write found the send buffer full (SOCK_NOSPACE) */

    uint32_t ts_offset, ts_recent;
    uint32_t bytes_acked_ca; /* RFC 5681 3.1 byte counting in CA */
    uint32_t cwnd, ssthresh;

    /* RFC 8985 7: the tail loss probe episode. snd_last is where the
     * newest segment of new data began (the one a probe resends);
     * tlp_end_seq is SND.MAX when the probe went out, tlp_ts its TSval. */
    uint32_t snd_last, tlp_end_seq, tlp_ts;
    uint32_t snd_sml; /* end of the last small segment sent (Minshall) */
    /* dsack: the duplicate the next ACK reports first (none when equal) */
    uint32_t dsack_start, dsack_end;

    int error; /* pending asynchronous error (SO_ERROR) */
    uint32_t cwnd_usage_seq; /* cwnd_limited: end of the window measured */

    /* The fields from here on are ordered so that the 4-byte ones pair up
     * between the 8-byte ones: an idle connection must stay small (the
     * issue's budget is 1 KiB for both ends, allocator overhead included). */
    NsTime srtt, rttvar, rto;
    NsTime rtt_start; /* when rtt_seq was sent; -1 = not timing (Karn) */
    uint32_t rtt_seq;
    uint32_t max_packets_out; /* cwnd_limited: most segments out in that window */

    /* send buffer: sb_len bytes, the first with sequence number sb_seq;
     * allocated on first write and freed when empty (tcp_conn.c). Bytes an
     * application wrote are kept in a ring; pattern bytes only as runs. */
    NsTcpSndBuf *sb;
    uint32_t sb_len, sb_seq;

    /* receive: in-order bytes (rx_off of the first piece read), and those
     * beyond a hole (tcp_rcvq.c) */
    uint32_t rx_off;
    uint32_t est_ms;     /* when the connection was established, ms rounded up
                            (rcv_autotune's first measure starts there) */
    NsTcpRxq rxq;
    uint32_t rx_len;
    uint32_t retransmits;
    NsTcpOoo *ooo;

    NsTcpScoreboard *scoreboard; /* SACK scoreboard, while not Open */
    void *cc_state;              /* the congestion control's, once data flows */
    struct NsTcpRack *rack;      /* RACK's record of segments sent (tcp_rack.c) */
    NsTcpRcvSpace *rcvspace;     /* receive-buffer autotuning, once data arrives */
    NsTcpOpts *opts;             /* socket options set, or NULL (tcp_opts.c) */

    NsTime timer[NS_TCP_T_COUNT]; /* deadline, NS_TIME_NEVER = off */

    NsPacketQueue outq; /* segments to send, for the layer above to drain */

    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint32_t segs_sent, segs_received;
};

/* ---- core API (tcp_conn.c, tcp_input.c, tcp_output.c, tcp_timer.c) ---- */

void ns_tcp_env_init(NsTcpEnv *env, NsCtx *ctx, const char *host_name, NsProfile profile,
                     uint64_t isn_secret, uint64_t rng_seed, uint64_t rng_index);

/* A CLOSED connection core with local/remote addressing still unset. */
void tcp_conn_init(NsTcpConn *c, NsTcpEnv *env);
/* Free buffers and queued segments (the struct itself is the caller's). */
void tcp_conn_release(NsTcpConn *c);

/* Every transition goes through here: it emits the NS_TRACE_TCP event. */
void tcp_conn_set_state(NsTcpConn *c, NsTcpState to, NsTraceCause why);

/* RFC 6528 ISN for the connection's 4-tuple at time now. */
uint32_t tcp_conn_isn(const NsTcpConn *c, NsTime now);

/* Active open (RFC 9293 3.10.1): pcb addresses set, adv_mss set by the
 * caller. Sends the SYN and enters SYN-SENT. */
void tcp_conn_connect(NsTcpConn *c, NsTime now);
/* A listener's child (state LISTEN, addresses set) takes an arriving SYN
 * (RFC 9293 3.10.7.2): SYN-ACK sent, SYN-RECEIVED. */
void tcp_conn_accept_syn(NsTcpConn *c, const NsTcpSeg *seg, NsTime now);
/* Segment arrives on a connection that is not LISTEN or CLOSED
 * (RFC 9293 3.10.7.3 and 3.10.7.4). Replies go to c->outq. */
NsTcpVerdict tcp_conn_input(NsTcpConn *c, NsTcpSeg *seg, NsTime now);
/* Application calls on the core. */
uint32_t tcp_conn_write(NsTcpConn *c, const uint8_t *data, uint32_t len, NsTime now);
/* Queue head_len written bytes, then len bytes of the payload pattern from
 * pattern offset `off` (netsim/pattern.h), kept without storing them; as
 * much as fits, in that order, sent as one write. Returns the bytes taken. */
uint32_t tcp_conn_write_pattern(NsTcpConn *c, const uint8_t *head, uint32_t head_len,
                                uint64_t off, uint32_t len, NsTime now);
/* The send buffer: drop its first n bytes (acknowledged); copy len bytes
 * from sequence number seq into dst and return their ns_csum_partial();
 * free it all. */
void tcp_sb_drop(NsTcpConn *c, uint32_t n);
uint32_t tcp_sb_copy(const NsTcpConn *c, uint8_t *dst, uint32_t seq, uint32_t len);
void tcp_sb_free(NsTcpConn *c);
/* Whether the len bytes from seq end in pattern bytes (netsim/pattern.h):
 * then how many bytes come before them (*front; 0: all are) and the phase
 * of the first of them. */
bool tcp_sb_pattern(const NsTcpConn *c, uint32_t seq, uint32_t len, uint32_t *front,
                    uint32_t *phase);
/* Bytes allocated for the send buffer's ring (0: none), for tests. */
uint32_t tcp_sb_ring_cap(const NsTcpConn *c);
uint32_t tcp_conn_read(NsTcpConn *c, uint8_t *buf, uint32_t cap, NsTime now);

/* ---- receive storage (tcp_rcvq.c) ---- */
/* In-order bytes (data, len > 0, in seg's packet or not) join the receive
 * queue, unless reading is shut; the packet may be taken from seg. */
void tcp_rcvq_append(NsTcpConn *c, NsTcpSeg *seg, const uint8_t *data, uint32_t len);
/* Take up to cap bytes from the receive queue into buf (NULL: drop them);
 * peek copies without taking. Both return the count. */
uint32_t tcp_rcvq_read(NsTcpConn *c, uint8_t *buf, uint32_t cap);
uint32_t tcp_rcvq_peek(const NsTcpConn *c, uint8_t *buf, uint32_t cap);
/* Drop the receive queue and free its storage. */
void tcp_rcvq_clear(NsTcpConn *c);
/* Hold bytes beyond RCV.NXT (a FIN after them when fin); bytes held
 * already are not held twice. */
/* A duplicate segment's bytes [start, end): with dsack, the next ACK
 * (sent at once) reports them in a first SACK block (RFC 2883). */
void tcp_dsack_note(NsTcpConn *c, uint32_t start, uint32_t end);
void tcp_ooo_insert(NsTcpConn *c, NsTcpSeg *seg, uint32_t seq, const uint8_t *data,
                    uint32_t len, bool fin);
/* Move what RCV.NXT now reaches to the receive queue, advancing RCV.NXT;
 * true when a held FIN is now in order. */
bool tcp_ooo_drain(NsTcpConn *c);
void tcp_ooo_free(NsTcpConn *c);
void tcp_conn_shutdown_write(NsTcpConn *c, NsTime now, NsTraceCause why);
/* Close with unread data, abort: RST if synchronized, CLOSED. */
void tcp_conn_reset(NsTcpConn *c, NsTime now, NsTraceCause why);
/* Run the timers whose deadline is <= now. */
void tcp_conn_timers(NsTcpConn *c, NsTime now);
/* Earliest timer deadline, NS_TIME_NEVER if none. */
NsTime tcp_conn_next_timer(const NsTcpConn *c);
/* The window a SYN-ACK offers (synack_wnd, or Linux's MSS multiple). */
uint32_t tcp_synack_wnd(const NsTcpConn *c);
/* The window of our SYN (syn_wnd, within a receive buffer the application set). */
uint32_t tcp_syn_wnd(const NsTcpConn *c);

/* ---- TIME-WAIT minisocks (tcp.c) ---- */
/* n (<= 64) 32-bit words packed: bit i of *present says word i is not
 * zero; each such word is written as a varint of its difference from 0 or
 * from one of the 4 words before it (zigzag, whichever is shortest, with 3
 * bits naming which): at most 5 bytes a word. Returns the bytes written.
 * Unpack reads them back. */
size_t tcp_tw_pack(const uint32_t *w, size_t n, uint64_t *present, uint8_t *out);
void tcp_tw_unpack(const uint8_t *in, uint64_t present, uint32_t *w, size_t n);

/* ---- socket options (tcp_opts.c) ---- */
/* The usable receive and send buffers: the profile's, or half of what
 * SO_RCVBUF / SO_SNDBUF keep. */
uint32_t tcp_rcvbuf(const NsTcpConn *c);
/* Whether the congestion window may grow (NsTcpCfg.cwnd_limited). */
bool tcp_cwnd_limited(const NsTcpConn *c);

/* ---- receive-buffer autotuning (tcp_rcvspace.c), rcv_autotune ---- */
/* An in-order segment of `len` bytes arrives (before it is queued):
 * the receive RTT from its timestamp echo, the window ratio. */
void tcp_rcvspace_data(NsTcpConn *c, uint32_t len, const NsTcpRepr *h, NsTime now);
/* rcv_ssthresh's growth for a full-sized in-order segment of `len` bytes
 * (queued already); true if it grew. */
bool tcp_rcvspace_grow_window(NsTcpConn *c, uint32_t len);
/* The application read: once per receive round trip, the buffer grows. */
void tcp_rcvspace_read(NsTcpConn *c, NsTime now);
void tcp_rcvspace_free(NsTcpConn *c);
uint32_t tcp_sndbuf(const NsTcpConn *c);
/* The window scale to offer: the profile's, or (receive buffer set, as
 * Linux's window clamp) enough for that buffer only. */
uint8_t tcp_offer_wscale(const NsTcpConn *c);
/* TCP_CORK is on: partial segments wait. */
static inline bool tcp_corked(const NsTcpConn *c) { return c->opts && c->opts->cork; }
/* A segment arrived: the keepalive's idle time starts again. */
void tcp_opts_heard(NsTcpConn *c, NsTime now);
/* Arm the keepalive timer if SO_KEEPALIVE is on and the connection is
 * synchronized. */
void tcp_keepalive_arm(NsTcpConn *c, NsTime now);
void tcp_keepalive_fired(NsTcpConn *c, NsTime now);
/* TCP_USER_TIMEOUT: true when the retransmissions have gone on for longer
 * than it allows (the retransmission timer then gives up). */
bool tcp_user_timeout_expired(NsTcpConn *c, NsTime now);
/* ... and the next timeout comes no later than the user timeout's end
 * (Linux tcp_clamp_rto_to_user_timeout). */
void tcp_user_timeout_clamp(NsTcpConn *c, NsTime now);
void tcp_opts_free(NsTcpConn *c);
void tcp_opts_inherit(NsTcpConn *child, const NsTcpConn *listener, NsTime now);
/* setsockopt / getsockopt on the core: 0 or -errno. */
int tcp_conn_setopt(NsTcpConn *c, NsSockOpt opt, int64_t value, NsTime now);
int tcp_conn_getopt(const NsTcpConn *c, NsSockOpt opt, int64_t *value);


/* Send what window, Nagle and the ACK policy allow. */
void tcp_conn_output(NsTcpConn *c, NsTime now);
uint32_t tcp_conn_send_space(const NsTcpConn *c);
/* Whether a writer may write (POLLOUT): free room of at least half of
 * what is queued (Linux sk_stream_is_writeable). */
bool tcp_conn_writeable(const NsTcpConn *c);
/* Freed send-buffer space: wakes (c->notify) a writer that found the
 * buffer full once it is writeable again; true if it did. */
bool tcp_conn_write_space(NsTcpConn *c);

/* Internals shared between the core's files. */
void tcp_conn_take_syn(NsTcpConn *c, const NsTcpSeg *seg);
void tcp_conn_established(NsTcpConn *c, NsTime now);
void tcp_conn_enter_closed(NsTcpConn *c, int err, NsTraceCause why);

/* tcp_output.c internals shared with input and timers. */
void tcp_send_segment(NsTcpConn *c, uint32_t seq, uint32_t len, uint8_t flags, NsSendWhy why,
                      NsTime now);
void tcp_send_ack(NsTcpConn *c, NsTime now, NsSendWhy why);
void tcp_send_rst_for(NsTcpConn *c, const NsTcpSeg *seg, NsTime now);
void tcp_send_syn(NsTcpConn *c, NsTime now, NsSendWhy why);
void tcp_retransmit_first(NsTcpConn *c, NsTime now, NsSendWhy why);
/* Path MTU discovery, both families (RFC 1191, RFC 8201; Linux's
 * tcp_v4/v6_mtu_reduced and tcp_simple_retransmit): an ICMP error about the
 * segment starting at `seq` says the path carries at most `path_mss`
 * payload bytes behind our IP and TCP headers (options not deducted). */
void tcp_conn_path_mss(NsTcpConn *c, uint32_t path_mss, uint32_t seq, NsTraceCause cause, NsTime now);
/* The retransmission timeout with the current backoff, at most rto_max. */
NsTime tcp_rexmt_duration(const NsTcpConn *c);
uint32_t tcp_rcv_window_raw(NsTcpConn *c);
/* The window the receiver could offer now (free buffer space, bounded by
 * rcv_ssthresh where the profile has it), before any rounding. */
uint32_t tcp_rcv_window_free(const NsTcpConn *c);
uint32_t tcp_ts_now(const NsTcpConn *c, NsTime now);
static inline const NsTcpCcOps *tcp_cc(const NsTcpConn *c) { return c->env->cfg->cc; }
/* Flight size: bytes sent and not yet acknowledged. */
static inline uint32_t tcp_flight(const NsTcpConn *c) { return c->snd_max - c->snd_una; }

/* Timer helpers: arm (trace "armed" only if it was not running and
 * `trace` is set), stop (trace "cancelled" if it was running and `trace`). */
void tcp_timer_arm(NsTcpConn *c, NsTcpTimer t, NsTime now, NsTime dur, bool trace);
void tcp_timer_stop(NsTcpConn *c, NsTcpTimer t, bool trace);
void tcp_timer_stop_all(NsTcpConn *c);
/* RTT sample (RFC 6298 2.2/2.3) and the resulting RTO. */
void tcp_rtt_sample(NsTcpConn *c, NsTime rtt);
/* Trace a congestion event (cwnd/ssthresh) as an NS_TRACE_TCP event with
 * no states: what "cwnd". */
/* Nagle's algorithm holds `held` bytes while `unacked` are in flight. */
void tcp_trace_nagle(NsTcpConn *c, uint32_t held, uint32_t unacked);
void tcp_trace_cc(NsTcpConn *c, NsTraceCause why);
void tcp_trace_timer(NsTcpConn *c, NsTcpTimer t, NsTimerOp op, NsTime dur);

/* ---- SACK loss recovery (tcp_sack.c, RFC 6675 / RFC 6937) ---- */

/* Enter a congestion state; traced when it changes. */
void tcp_set_ca_state(NsTcpConn *c, NsTcpCaState to, NsTraceCause why);
static inline uint32_t tcp_ooo_bytes(const NsTcpConn *c) { return c->ooo ? c->ooo->blocks.bytes : 0; }
/* Take the SACK blocks of an arriving ACK into the scoreboard; returns the
 * bytes newly SACKed. */
uint32_t tcp_sack_update(NsTcpConn *c, const NsTcpRepr *h);
/* Cumulative ACK moved SND.UNA: forget what lies below it. */
void tcp_sack_acked(NsTcpConn *c);
/* RFC 6675 IsLost(SND.UNA): is the first unacknowledged segment lost? */
bool tcp_sack_first_lost(const NsTcpConn *c);
/* The sequence number below which every unSACKed byte is deemed lost
 * (RFC 6675 IsLost() is monotone: true below it, false above). */
uint32_t tcp_sack_lost_edge(const NsTcpConn *c);
/* RFC 6675 SetPipe(): bytes thought to be in the network. */
uint32_t tcp_sack_pipe(const NsTcpConn *c);
/* Bytes SACKed so far (0 without a scoreboard). */
static inline uint32_t tcp_sacked_bytes(const NsTcpConn *c)
{
    return c->scoreboard ? c->scoreboard->sacked.bytes : 0;
}
void tcp_sack_free(NsTcpConn *c);
/* Enter fast recovery (RFC 6675 5 steps 4.1-4.3), ACK processing inside
 * it (RFC 6937 PRR), and the end of it. */
void tcp_sack_enter_recovery(NsTcpConn *c, NsTime now);
void tcp_sack_prr_ack(NsTcpConn *c, uint32_t delivered);
/* Retransmissions in recovery: NextSeg() rules 1 (lost holes) or 3 (any
 * hole below HighSACK); returns bytes sent. */
uint32_t tcp_sack_retransmit(NsTcpConn *c, NsTime now, uint32_t budget, bool rule3);

/* ---- RACK (tcp_rack.c, RFC 8985 6; linux profile) ---- */

typedef struct NsTcpRack NsTcpRack;
/* A data segment [seq, seq+len) went out now (new or again). */
void tcp_rack_sent(NsTcpConn *c, uint32_t seq, uint32_t len, NsTime now);
/* An ACK arrived (after the scoreboard took its SACK blocks, before
 * SND.UNA moves to `ack`): delivered segments update RACK's state. */
void tcp_rack_on_ack(NsTcpConn *c, const NsTcpRepr *h, uint32_t ack, NsTime now);
/* Mark what RACK deems lost; arms or stops the reordering timer. Returns
 * true if something new was deemed lost. */
bool tcp_rack_detect(NsTcpConn *c, NsTime now);
/* Everything unSACKed below it is deemed lost by RACK. */
uint32_t tcp_rack_lost_edge(const NsTcpConn *c);
void tcp_rack_free(NsTcpConn *c);
/* The reordering timer's deadline (NS_TIME_NEVER when off), and running
 * it when it is due: detect, and start recovery if needed. */
NsTime tcp_rack_deadline(const NsTcpConn *c);
void tcp_rack_stop(NsTcpConn *c);
void tcp_rack_timer(NsTcpConn *c, NsTime now);
/* When the oldest segment not yet acknowledged and the newest were (last)
 * sent; false with none recorded (nothing in flight, or RACK off). */
bool tcp_rack_sent_times(const NsTcpConn *c, NsTime *oldest, NsTime *newest);
/* Entries RACK keeps: a segment each, but one for a run of delivered ones. */
uint32_t tcp_rack_entries(const NsTcpConn *c);

/* ---- tail loss probe (tcp_tlp.c, RFC 8985 7; linux profile) ---- */

/* The probe timeout from now (RFC 8985 7.2, with Linux's constants). */
NsTime tcp_tlp_timeout(const NsTcpConn *c, NsTime now);
/* Arm (or re-arm) the PTO after new data went out or an ACK acknowledged
 * some, if a probe may be sent; otherwise stop it. */
void tcp_tlp_arm(NsTcpConn *c, NsTime now);
/* An acceptable ACK was processed (SND.UNA was `una_before`): end the
 * probe episode if the ACK covers the probe (RFC 8985 7.4), and re-arm or
 * stop the PTO. */
void tcp_tlp_on_ack(NsTcpConn *c, const NsTcpRepr *h, uint32_t una_before, NsTime now);
/* The PTO expired: send the probe (RFC 8985 7.3). */
void tcp_tlp_fired(NsTcpConn *c, NsTime now);
/* The RTO fired: timer-driven recovery takes over from the probe. */
void tcp_tlp_cancel(NsTcpConn *c);

/* Fill a trace event's identity fields from the connection. */
void tcp_conn_trace_ids(const NsTcpConn *c, NsTraceEvent *ev);
