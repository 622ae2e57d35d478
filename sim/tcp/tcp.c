/* The TCP layer of a host: endpoints over the shared PCB table, listeners
 * with SYN and accept queues (RFC 9293 3.10.7.2), resets for segments to
 * no socket (3.10.7.1), the user calls (3.10.1-3.10.6) around the sans-IO
 * core, one timer event per endpoint, and the drain of each core's output
 * queue into IP with its trace decoration. */
#include "netsim/tcp.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/sim.h"
#include "netsim/wire/ipv4.h"
#include "tcp-private.h"
#include "netsim-private/host.h"

typedef struct NsTcpTw NsTcpTw;

struct NsTcp {
    NsHost *host;
    NsIp *ip;
    NsCtx *ctx;
    NsPcbTable *pcbs;
    NsTcpEnv env;
    NsTcpSock *head, *tail; /* every full endpoint, creation order */
    NsTcpTw *tw_head, *tw_tail; /* TIME-WAIT minisocks, creation order */
    uint32_t count;      /* endpoints, minisocks included */
    GHashTable *cc_last; /* socket id -> CcSample, only while CC samples are traced */
    NsTcpCfg *own_cfg;   /* the profile changed by sysctls (ns_tcp_set_sysctl), or NULL */
};

/* The values a congestion sample (NS_TRACE_CC) reports. */
typedef struct {
    uint32_t cwnd, ssthresh, in_flight;
    NsTime srtt, rto;
} CcSample;

typedef struct {
    uint32_t backlog;
    uint32_t syn_len; /* children in SYN-RECEIVED */
    uint32_t acc_len; /* children waiting for accept() */
    NsTcpSock *acc_head, *acc_tail;
} ListenQ;

struct NsTcpSock {
    NsTcpConn c; /* first; c.env is &tcp->env of its layer (see sock_tcp) */
    NsTcpSock *prev, *next;
    NsTcpNotifyFn notify;
    void *owner;
    NsEventId tev; /* the one timer event (earliest deadline, or earlier) */
    NsTcpSock *parent;   /* listener, while not yet accepted */
    NsTcpSock *acc_next; /* accept queue link */
    ListenQ *lq;         /* listeners only */
    bool app_holds : 1, in_syn_q : 1, in_acc_q : 1;
};

/* A connection in TIME-WAIT that nobody holds any more, reduced to what
 * TIME-WAIT needs (as Linux's tcp_timewait_sock): its addresses, the
 * sequence and timestamp state that answers a retransmitted FIN, the
 * counters socket tables show, and its 2*MSL deadline; no buffers, queues,
 * congestion or RACK state. It starts like a connection (env, pcb, then a
 * tag where a connection has its state), so that a pcb found in the table
 * tells which of the two it belongs to. A segment or the timer is handled
 * by the ordinary code on a full endpoint rebuilt on the stack from it,
 * whose changes are copied back. */
#define TW_TAG (-1)

/* The connection's scalar fields from iss to max_packets_out, copied as one
 * block. */
#define TW_CORE_FIRST offsetof(NsTcpConn, iss)
#define TW_CORE_SIZE (offsetof(NsTcpConn, sb) - TW_CORE_FIRST)

/* What a minisock keeps of its connection besides its addresses and
 * deadline: the counters socket tables show, the send and receive offsets,
 * and the core block, as 32-bit words packed by tcp_tw_pack: the words
 * that are zero left out (in TIME-WAIT no retransmission, recovery, loss
 * probe or error is under way), each other one as its difference from 0 or
 * from one of the few words before it (the sequence numbers lie near each
 * other) in as few bytes as it takes. Every field of the block is kept all
 * the same: a field added to it needs no word in tw_save or tw_load. */
typedef struct {
    uint32_t sb_seq, rx_off, retransmits, segs_sent, segs_received;
    uint64_t bytes_sent, bytes_acked, bytes_received;
    unsigned char core[TW_CORE_SIZE];
} TwState;
#define TW_WORDS ((sizeof(TwState) + 3) / 4)
#define TW_PACKED_MAX (TW_WORDS * 5) /* 35 bits in 5 bytes of 7 */
#define TW_REFS 4 /* a word may be stored as its difference from one of the 4 before it */

struct NsTcpTw {
    NsTcpEnv *env;
    NsPcb pcb;
    int32_t tag;   /* TW_TAG */
    uint16_t cap;  /* packed[]'s room in bytes */
    uint16_t len;  /* bytes of the packed state */
    NsTcpTw *prev, *next;
    NsEventId tev;
    NsTime deadline; /* the TIME-WAIT timer */
    uint64_t present; /* bit i: word i of the state is not zero (tcp_tw_pack) */
    uint8_t *more;    /* the packed state when longer than cap (seldom: it grew), or NULL */
    uint8_t packed[];
};
_Static_assert(TW_PACKED_MAX <= UINT16_MAX && TW_WORDS <= 64,
               "a packed state's length fits len, and a bit of present is there for each word");
/* The layer of an endpoint: its core's environment is embedded in it, so
 * the endpoint need not store a pointer of its own (8 bytes for each of
 * 100,000 connections). */
/* The endpoint a pcb of this layer is embedded in. */
static inline NsTcpSock *sock_of_pcb(NsPcb *pcb)
{
    return (NsTcpSock *)(void *)((char *)pcb - offsetof(NsTcpSock, c) - offsetof(NsTcpConn, pcb));
}

static inline NsTcp *sock_tcp(const NsTcpSock *s)
{
    return (NsTcp *)(void *)((char *)s->c.env - offsetof(NsTcp, env));
}

static void tcp_ip_input(void *data, const NsIpv4Repr *hdr, NsPacket *seg);
static void tcp_ip6_input(void *data, const NsIpv6Repr *hdr, NsPacket *seg);

/* TCP_MAXSEG: the MSS we offer is at most what the application set. */
static uint16_t user_mss(const NsTcpConn *c, uint16_t mss)
{
    return c->opts && c->opts->user_mss && c->opts->user_mss < mss ? c->opts->user_mss : mss;
}
static void tcp_ip_error(void *data, int err, const NsIpv4Repr *orig, const uint8_t *l4,
                         size_t l4_len);
static void tcp_ip_frag_needed(void *data, uint16_t mtu, const NsIpv4Repr *orig,
                               const uint8_t *l4, size_t l4_len);
static void tcp_ip6_error(void *data, int err, uint32_t mtu, const NsIpv6Repr *orig,
                          const uint8_t *l4, size_t l4_len);
static const NsIpProtoOps tcp_ops = {.name = "tcp", .input = tcp_ip_input, .takes_lazy = true,
                                     .error = tcp_ip_error, .frag_needed = tcp_ip_frag_needed,
                                     .input6 = tcp_ip6_input, .error6 = tcp_ip6_error};

static void drain_early(NsTcpConn *c);

NsTcp *ns_tcp_new(NsHost *host)
{
    NsTcp *t = g_new0(NsTcp, 1);
    t->host = host;
    t->ip = ns_ip_of(host);
    g_return_val_if_fail(t->ip != NULL, NULL);
    t->ctx = ns_host_ctx(host);
    t->pcbs = ns_pcb_table_new(host, NS_IPPROTO_TCP);
    /* RFC 6528: the ISN secret comes from the host's seeded stream. */
    uint64_t secret = ns_rng_next(ns_host_rng(host));
    ns_tcp_env_init(&t->env, t->ctx, ns_host_name(host), ns_host_profile(host), secret,
                    t->ctx->seed, ns_host_index(host));
    t->env.drain = drain_early;
    ns_ip_register_proto(t->ip, NS_IPPROTO_TCP, &tcp_ops, t);
    ns_host_set_slot(host, NS_HOST_SLOT_TCP, t);
    return t;
}

NsTcp *ns_tcp_of(const NsHost *host)
{
    return ns_host_slot(host, NS_HOST_SLOT_TCP);
}

/* ---- endpoint list, lifetime ---- */

/* The layer's two lists, of full endpoints and of TIME-WAIT minisocks,
 * are doubly linked through prev and next, from head to tail, each in
 * socket id order: one way to link into them and out of them. */
#define LIST_UNLINK(head, tail, node)                                                         \
    do {                                                                                      \
        if ((node)->prev)                                                                     \
            (node)->prev->next = (node)->next;                                                \
        else                                                                                  \
            (head) = (node)->next;                                                            \
        if ((node)->next)                                                                     \
            (node)->next->prev = (node)->prev;                                                \
        else                                                                                  \
            (tail) = (node)->prev;                                                            \
        (node)->prev = (node)->next = NULL;                                                   \
    } while (0)
/* node after the last of the list whose id (ID(x)) is not larger: at the
 * tail when it is the newest, as is most often the case. */
#define LIST_INSERT_BY_ID(T, head, tail, node, ID)                                            \
    do {                                                                                      \
        T *after_ = (tail);                                                                   \
        while (after_ && ID(after_) > ID(node))                                               \
            after_ = after_->prev;                                                            \
        (node)->prev = after_;                                                                \
        (node)->next = after_ ? after_->next : (head);                                        \
        if ((node)->next)                                                                     \
            (node)->next->prev = (node);                                                      \
        else                                                                                  \
            (tail) = (node);                                                                  \
        if (after_)                                                                           \
            after_->next = (node);                                                            \
        else                                                                                  \
            (head) = (node);                                                                  \
    } while (0)
#define SOCK_ID(s) ((s)->c.pcb.id)
#define TW_ID(tw) ((tw)->pcb.id)

static NsTcpSock *sock_alloc(NsTcp *tcp)
{
    NsTcpSock *s = g_new0(NsTcpSock, 1);
    tcp_conn_init(&s->c, &tcp->env);
    s->c.pcb.id = ns_ctx_sock_id(tcp->ctx);
    LIST_INSERT_BY_ID(NsTcpSock, tcp->head, tcp->tail, s, SOCK_ID); /* the newest: the tail */
    tcp->count++;
    return s;
}

static void acc_remove(NsTcpSock *l, NsTcpSock *s)
{
    ListenQ *q = l->lq;
    NsTcpSock **pp = &q->acc_head, *prev = NULL;
    while (*pp && *pp != s) {
        prev = *pp;
        pp = &(*pp)->acc_next;
    }
    if (!*pp)
        return;
    *pp = s->acc_next;
    if (q->acc_tail == s)
        q->acc_tail = prev;
    s->acc_next = NULL;
    s->in_acc_q = false;
    q->acc_len--;
}

static void detach_parent(NsTcpSock *s)
{
    NsTcpSock *l = s->parent;
    if (!l)
        return;
    if (s->in_syn_q) {
        l->lq->syn_len--;
        s->in_syn_q = false;
    }
    if (s->in_acc_q)
        acc_remove(l, s);
    s->parent = NULL;
}

static void unlink_sock(NsTcp *tcp, NsTcpSock *s)
{
    LIST_UNLINK(tcp->head, tcp->tail, s);
}

static void destroy(NsTcpSock *s)
{
    NsTcp *tcp = sock_tcp(s);
    ns_sim_cancel(tcp->ctx->sim, &s->tev);
    detach_parent(s);
    ns_pcb_remove(tcp->pcbs, &s->c.pcb);
    if (tcp->cc_last)
        g_hash_table_remove(tcp->cc_last, GUINT_TO_POINTER(s->c.pcb.id));
    tcp_conn_release(&s->c);
    g_free(s->lq);
    unlink_sock(tcp, s);
    tcp->count--;
    g_free(s);
}

static void tw_destroy(NsTcp *tcp, NsTcpTw *tw);

/* Linux's rule for the window scale it offers (tcp_select_initial_window):
 * enough to cover the largest receive buffer, ilog2(space) - 15. */
static uint8_t wscale_for(uint64_t space)
{
    int log = 0;
    while (space > 1) {
        space >>= 1;
        log++;
    }
    return (uint8_t)(log <= 15 ? 0 : log - 15 > 14 ? 14 : log - 15);
}

/* "N" or "A B C" (tcp_rmem/tcp_wmem: the last is the maximum). */
static bool sysctl_values(const char *value, uint64_t *v, int *n)
{
    *n = 0;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (*n == 3 || !g_ascii_isdigit(*p))
            return false;
        char *end;
        guint64 x = g_ascii_strtoull(p, &end, 10);
        if (x > UINT32_MAX)
            return false;
        v[(*n)++] = x;
        p = end;
        if (*p && *p != ' ' && *p != '\t')
            return false;
    }
    return *n > 0;
}

/* The sysctls the profile models, in one table for both directions:
 * ns_tcp_set_sysctl takes them from a drill script, ns_tcp_foreach_sysctl
 * writes them into exported scripts. Ranges are Linux's (proc_dointvec
 * bounds), except where a note says netsim's. */
typedef enum {
    SYSCTL_BOOL,           /* 0 or 1 */
    SYSCTL_U8,
    SYSCTL_U16,
    SYSCTL_U32,
    SYSCTL_SECONDS,        /* an NsTime field, written in whole seconds */
    SYSCTL_RECOVERY,       /* tcp_recovery: bit 0 is RACK loss detection */
    SYSCTL_EARLY_RETRANS,  /* tcp_early_retrans: 3 and 4 enable TLP */
} SysctlKind;

typedef struct {
    const char *name;
    SysctlKind kind;
    uint16_t offset; /* in NsTcpCfg */
    uint32_t min, max;
    bool tso;        /* a TSO setting: exported only where the profile sends TSO packets */
} Sysctl;

#define SYSCTL(key, kind, field, min, max, tso)                                               \
    {"net.ipv4." key, SYSCTL_##kind, offsetof(NsTcpCfg, field), min, max, tso}
static const Sysctl sysctls[] = {
    SYSCTL("tcp_timestamps", BOOL, ts, 0, 1, false),
    SYSCTL("tcp_sack", BOOL, sack, 0, 1, false),
    SYSCTL("tcp_dsack", BOOL, dsack, 0, 1, false),
    SYSCTL("tcp_window_scaling", BOOL, wscale, 0, 1, false),
    SYSCTL("tcp_syn_retries", U32, syn_retries, 0, 127, false),
    SYSCTL("tcp_synack_retries", U32, synack_retries, 0, 255, false),
    SYSCTL("tcp_retries2", U32, retries2, 0, 255, false),
    SYSCTL("tcp_recovery", RECOVERY, rack, 0, UINT32_MAX, false),
    SYSCTL("tcp_early_retrans", EARLY_RETRANS, tlp, 0, 4, false),
    SYSCTL("tcp_keepalive_probes", U32, keepalive_probes, 0, 127, false),
    SYSCTL("tcp_keepalive_time", SECONDS, keepalive_time, 1, 32767, false),
    SYSCTL("tcp_keepalive_intvl", SECONDS, keepalive_intvl, 1, 32767, false),
    SYSCTL("tcp_fin_timeout", SECONDS, fin_wait_2, 0, 3600, false),
    /* TSO packet sizes (tcp_tso_autosize, tcp_tso_should_defer). Linux
     * takes tcp_tso_rtt_log up to 255, but a shift of 32 or more of its
     * 32-bit RTT is undefined; netsim takes 0-31. */
    SYSCTL("tcp_min_tso_segs", U8, tso_min_segs, 1, 255, true),
    SYSCTL("tcp_tso_rtt_log", U8, tso_rtt_log, 0, 31, true),
    SYSCTL("tcp_pacing_ss_ratio", U16, pacing_ss_ratio, 0, 1000, true),
    SYSCTL("tcp_pacing_ca_ratio", U16, pacing_ca_ratio, 0, 1000, true),
    SYSCTL("tcp_tso_win_divisor", U8, tso_win_divisor, 0, 255, true),
};
#undef SYSCTL

static void sysctl_store(NsTcpCfg *c, const Sysctl *k, uint32_t v)
{
    char *f = (char *)c + k->offset;
    switch (k->kind) {
    case SYSCTL_BOOL:
    case SYSCTL_RECOVERY:
    case SYSCTL_EARLY_RETRANS: {
        bool b = k->kind == SYSCTL_BOOL            ? v != 0
                 : k->kind == SYSCTL_RECOVERY      ? (v & 1) != 0
                                                   : v >= 3;
        memcpy(f, &b, sizeof b);
        break;
    }
    case SYSCTL_U8: {
        uint8_t x = (uint8_t)v;
        memcpy(f, &x, sizeof x);
        break;
    }
    case SYSCTL_U16: {
        uint16_t x = (uint16_t)v;
        memcpy(f, &x, sizeof x);
        break;
    }
    case SYSCTL_U32:
        memcpy(f, &v, sizeof v);
        break;
    case SYSCTL_SECONDS: {
        NsTime t = NS_S((int64_t)v);
        memcpy(f, &t, sizeof t);
        break;
    }
    }
}

static uint64_t sysctl_load(const NsTcpCfg *c, const Sysctl *k)
{
    const char *f = (const char *)c + k->offset;
    switch (k->kind) {
    case SYSCTL_BOOL:
    case SYSCTL_RECOVERY:
    case SYSCTL_EARLY_RETRANS: {
        bool b;
        memcpy(&b, f, sizeof b);
        return k->kind == SYSCTL_EARLY_RETRANS ? (b ? 3 : 0) : b;
    }
    case SYSCTL_U8: {
        uint8_t x;
        memcpy(&x, f, sizeof x);
        return x;
    }
    case SYSCTL_U16: {
        uint16_t x;
        memcpy(&x, f, sizeof x);
        return x;
    }
    case SYSCTL_U32: {
        uint32_t x;
        memcpy(&x, f, sizeof x);
        return x;
    }
    case SYSCTL_SECONDS: {
        NsTime t;
        memcpy(&t, f, sizeof t);
        return (uint64_t)(t / NS_S(1));
    }
    }
    g_assert_not_reached();
}

int ns_tcp_set_sysctl(NsTcp *tcp, const char *name, const char *value)
{
    g_return_val_if_fail(tcp && name && value, EINVAL);
    uint64_t v[3];
    int n;
    if (!sysctl_values(value, v, &n))
        return EINVAL;
    const Sysctl *k = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(sysctls) && !k; i++)
        if (strcmp(name, sysctls[i].name) == 0)
            k = &sysctls[i];
    bool rmem = strcmp(name, "net.ipv4.tcp_rmem") == 0;
    bool wmem = strcmp(name, "net.ipv4.tcp_wmem") == 0;
    if (!k && !rmem && !wmem)
        return ENOENT;
    if (k ? n != 1 || v[0] < k->min || v[0] > k->max : n != 3 || v[2] < v[1] || v[1] < v[0])
        return EINVAL;
    if (!tcp->own_cfg) {
        tcp->own_cfg = g_memdup2(tcp->env.cfg, sizeof *tcp->own_cfg);
        tcp->env.cfg = tcp->own_cfg;
    }
    NsTcpCfg *c = tcp->own_cfg;
    if (k) {
        sysctl_store(c, k, (uint32_t)v[0]);
    } else if (rmem) {
        c->rcvbuf = (uint32_t)v[2];
        c->rmem_init = (uint32_t)v[1]; /* autotuning starts here and stops at v[2] */
        c->rmem_max = (uint32_t)v[2];
        /* the scale covers the larger of tcp_rmem[2] and rmem_max (212992) */
        c->rcv_wscale = wscale_for(v[2] > 212992 ? v[2] : 212992);
    } else {
        c->sndbuf = (uint32_t)v[2];
    }
    return 0;
}

const char *ns_tcp_congestion_control(const NsTcp *tcp)
{
    g_return_val_if_fail(tcp, NULL);
    /* Linux's "reno" is NewReno: its fast recovery keeps partial ACKs. */
    return tcp->env.cfg->cc == &ns_tcp_cc_cubic ? "cubic" : "reno";
}

void ns_tcp_foreach_sysctl(const NsTcp *tcp,
                           void (*fn)(const char *name, const char *value, void *data),
                           void *data)
{
    const NsTcpCfg *c = tcp->env.cfg;
    for (size_t i = 0; i < G_N_ELEMENTS(sysctls); i++) {
        const Sysctl *k = &sysctls[i];
        if (k->tso && !c->tso_min_segs) /* 0: the profile sends no TSO packets */
            continue;
        char v[24];
        g_snprintf(v, sizeof v, "%" G_GUINT64_FORMAT, (guint64)sysctl_load(c, k));
        fn(k->name, v, data);
    }
}

void ns_tcp_free(NsTcp *tcp)
{
    if (!tcp)
        return;
    while (tcp->tw_head)
        tw_destroy(tcp, tcp->tw_head);
    /* Children first would not matter: destroy() detaches either way. */
    while (tcp->head) {
        NsTcpSock *s = tcp->head;
        for (NsTcpSock *o = s->next; o; o = o->next)
            if (o->parent == s)
                detach_parent(o);
        destroy(s);
    }
    ns_pcb_table_free(tcp->pcbs);
    if (tcp->cc_last)
        g_hash_table_destroy(tcp->cc_last);
    if (ns_host_slot(tcp->host, NS_HOST_SLOT_TCP) == tcp)
        ns_host_set_slot(tcp->host, NS_HOST_SLOT_TCP, NULL);
    g_free(tcp->own_cfg);
    g_free(tcp);
}

void ns_tcp_crash(NsTcp *tcp)
{
    while (tcp->tw_head) /* orphans: they vanish without a word */
        tw_destroy(tcp, tcp->tw_head);
    NsTcpSock *s = tcp->head;
    while (s) {
        NsTcpSock *next = s->next;
        detach_parent(s);
        ns_sim_cancel(tcp->ctx->sim, &s->tev);
        ns_pcb_remove(tcp->pcbs, &s->c.pcb);
        tcp_conn_release(&s->c);
        tcp_timer_stop_all(&s->c);
        if (s->lq) {
            s->lq->acc_head = s->lq->acc_tail = NULL;
            s->lq->acc_len = s->lq->syn_len = 0;
        }
        if (s->app_holds) {
            if (s->c.state != NS_TCP_STATE_CLOSED)
                tcp_conn_set_state(&s->c, NS_TCP_STATE_CLOSED, NS_CAUSE_HOST_CRASH);
            s->c.notify = false;
            s->c.fin_rcvd = true; /* nothing more will ever arrive */
        } else {
            destroy(s);
        }
        s = next;
    }
}

/* ---- output: drain a core's queue into IP ---- */

/* Send the first n segments of s's queue (SIZE_MAX: all of them). */
static void flush_n(NsTcpSock *s, size_t n)
{
    NsTcp *tcp = sock_tcp(s);
    NsTcpConn *c = &s->c;
    const NsTcpCfg *cfg = tcp->env.cfg;
    NsPacket *p;
    for (; n && (p = ns_packet_queue_pop(&c->outq)); n--) {
        p->next = NULL;
        uint8_t fl = p->data[13];
        NsIpTxOpts o = {.df = true};
        if (cfg->id_zero_synack_rst &&
            ((fl & (NS_TCP_SYN | NS_TCP_ACK)) == (NS_TCP_SYN | NS_TCP_ACK) || (fl & NS_TCP_RST)))
            o.id_zero = true;
        ns_pcb_output(tcp->pcbs, &c->pcb, p, &o);
    }
}

static void flush(NsTcpSock *s)
{
    flush_n(s, SIZE_MAX);
}

/* env->drain: the core is building a burst. Sending part of it before the
 * core returns changes nothing the run does (the core schedules no event,
 * and IP and the link read nothing of it), only the order of trace lines:
 * the core's own (a timer armed at the end of the burst) would come after
 * IP's lines of the segments sent early. So only while no sink but the
 * expectations' listens. */
static void drain_early(NsTcpConn *c)
{
    NsTcpSock *s = (NsTcpSock *)(void *)c; /* c is first, also in a minisock's */
    if (ns_tracer_kinds(sock_tcp(s)->ctx->tracer) & ~NS_TRACE_MASK(NS_TRACE_EXPECT))
        return;
    flush_n(s, c->outq.count - 1);
}

/* ---- TIME-WAIT minisocks ---- */

static bool pcb_is_tw(const NsPcb *pcb)
{
    int32_t tag;
    memcpy(&tag, (const char *)pcb + (offsetof(NsTcpConn, state) - offsetof(NsTcpConn, pcb)),
           sizeof tag);
    return tag == TW_TAG;
}

static inline NsTcpTw *tw_of_pcb(NsPcb *pcb)
{
    return (NsTcpTw *)(void *)((char *)pcb - offsetof(NsTcpTw, pcb));
}

/* Whether s holds nothing but what a minisock keeps: an orphan in
 * TIME-WAIT with empty buffers and queues, no socket options, and no timer
 * but TIME-WAIT's. */
static bool tw_may_reduce(const NsTcpSock *s)
{
    const NsTcpConn *c = &s->c;
    if (c->state != NS_TCP_STATE_TIME_WAIT || s->app_holds || s->parent || s->lq || c->sb ||
        c->sb_len || c->rx_len || c->rxq.count || c->ooo || c->scoreboard || c->opts ||
        c->outq.head || tcp_rack_deadline(c) != NS_TIME_NEVER)
        return false;
    for (int t = 0; t < NS_TCP_T_COUNT; t++)
        if (t != NS_TCP_T_TIME_WAIT && c->timer[t] != NS_TIME_NEVER)
            return false;
    return c->timer[NS_TCP_T_TIME_WAIT] != NS_TIME_NEVER;
}

/* The bytes of a varint of v (7 bits a byte). */
static size_t varint_len(uint64_t v)
{
    return v ? (size_t)(64 - __builtin_clzll(v) + 6) / 7 : 1;
}

size_t tcp_tw_pack(const uint32_t *w, size_t n, uint64_t *present, uint8_t *out)
{
    g_assert(n <= 64);
    size_t k = 0;
    *present = 0;
    for (size_t i = 0; i < n; i++) {
        if (!w[i])
            continue;
        *present |= UINT64_C(1) << i;
        /* From 0 or from one of the TW_REFS words before it, whichever
         * difference is smallest (sequence numbers lie near each other). */
        uint64_t best = 0;
        size_t best_len = SIZE_MAX;
        for (size_t r = 0; r <= TW_REFS && r <= i; r++) {
            uint32_t d = w[i] - (r ? w[i - r] : 0); /* modulo 2^32 */
            uint64_t z = (uint64_t)(d << 1 ^ (uint32_t)-(d >> 31)) << 3 | r; /* zigzag, ref */
            size_t len = varint_len(z);
            if (len < best_len) {
                best = z;
                best_len = len;
            }
        }
        while (best >= 0x80) {
            out[k++] = (uint8_t)(best | 0x80);
            best >>= 7;
        }
        out[k++] = (uint8_t)best;
    }
    return k;
}

void tcp_tw_unpack(const uint8_t *in, uint64_t present, uint32_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!(present >> i & 1)) {
            w[i] = 0;
            continue;
        }
        uint64_t z = 0;
        for (int shift = 0;; shift += 7) {
            uint8_t b = *in++;
            z |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
        }
        size_t r = (size_t)(z & 7);
        uint32_t zz = (uint32_t)(z >> 3);
        w[i] = (r ? w[i - r] : 0) + (zz >> 1 ^ (uint32_t)-(zz & 1));
    }
}

/* st packed into out (TW_PACKED_MAX bytes); its length. */
static size_t tw_pack_state(const NsTcpConn *c, uint64_t *present, uint8_t *out)
{
    TwState st;
    memset(&st, 0, sizeof st);
    st.sb_seq = c->sb_seq;
    st.rx_off = c->rx_off;
    st.retransmits = c->retransmits;
    st.segs_sent = c->segs_sent;
    st.segs_received = c->segs_received;
    st.bytes_sent = c->bytes_sent;
    st.bytes_acked = c->bytes_acked;
    st.bytes_received = c->bytes_received;
    memcpy(st.core, (const char *)c + TW_CORE_FIRST, TW_CORE_SIZE);
    uint32_t w[TW_WORDS] = {0};
    memcpy(w, &st, sizeof st);
    return tcp_tw_pack(w, TW_WORDS, present, out);
}

static void tw_save(NsTcpTw *tw, const NsTcpConn *c)
{
    uint8_t buf[TW_PACKED_MAX];
    size_t n = tw_pack_state(c, &tw->present, buf);
    g_clear_pointer(&tw->more, g_free);
    if (n > tw->cap)
        tw->more = g_malloc(n);
    memcpy(tw->more ? tw->more : tw->packed, buf, n);
    tw->len = (uint16_t)n;
    tw->deadline = c->timer[NS_TCP_T_TIME_WAIT];
}

/* A full endpoint (on the caller's stack) rebuilt from tw: what the
 * minisock did not keep is as in a new connection (no buffers, no
 * congestion or RACK record: they are made again if needed). */
static void tw_load(const NsTcpTw *tw, NsTcpSock *s)
{
    uint32_t w[TW_WORDS];
    tcp_tw_unpack(tw->more ? tw->more : tw->packed, tw->present, w, TW_WORDS);
    TwState st;
    memcpy(&st, w, sizeof st);
    memset(s, 0, sizeof *s);
    tcp_conn_init(&s->c, tw->env);
    s->c.pcb = tw->pcb;
    s->c.state = NS_TCP_STATE_TIME_WAIT;
    memcpy((char *)&s->c + TW_CORE_FIRST, st.core, TW_CORE_SIZE);
    s->c.timer[NS_TCP_T_TIME_WAIT] = tw->deadline;
    s->c.sb_seq = st.sb_seq;
    s->c.rx_off = st.rx_off;
    s->c.retransmits = st.retransmits;
    s->c.segs_sent = st.segs_sent;
    s->c.segs_received = st.segs_received;
    s->c.bytes_sent = st.bytes_sent;
    s->c.bytes_acked = st.bytes_acked;
    s->c.bytes_received = st.bytes_received;
    s->tev = NS_EVENT_NONE;
}

/* The layer's minisocks are kept in socket id order (the order of the
 * full endpoints' list), so that socket tables list both as before. */
static void tw_link(NsTcp *tcp, NsTcpTw *tw)
{
    LIST_INSERT_BY_ID(NsTcpTw, tcp->tw_head, tcp->tw_tail, tw, TW_ID);
}

static void tw_unlink(NsTcp *tcp, NsTcpTw *tw)
{
    LIST_UNLINK(tcp->tw_head, tcp->tw_tail, tw);
}

/* A full endpoint into the list at its id's place (a promoted minisock). */
static void link_sock_sorted(NsTcp *tcp, NsTcpSock *s)
{
    LIST_INSERT_BY_ID(NsTcpSock, tcp->head, tcp->tail, s, SOCK_ID);
}

static void tw_destroy(NsTcp *tcp, NsTcpTw *tw)
{
    ns_sim_cancel(tcp->ctx->sim, &tw->tev);
    ns_pcb_remove(tcp->pcbs, &tw->pcb);
    if (tcp->cc_last)
        g_hash_table_remove(tcp->cc_last, GUINT_TO_POINTER(tw->pcb.id));
    tw_unlink(tcp, tw);
    tcp->count--;
    g_free(tw->more);
    g_free(tw);
}

static void tw_timer_cb(NsSim *sim, void *obj, void *arg);

static void tw_schedule(NsTcp *tcp, NsTcpTw *tw)
{
    NsSim *sim = tcp->ctx->sim;
    if (ns_sim_event_time(sim, tw->tev) <= tw->deadline)
        return; /* fires earlier and re-syncs (as sync_timer) */
    ns_sim_cancel(sim, &tw->tev);
    NsTime now = ns_sim_now(sim);
    tw->tev = ns_sim_schedule_at(sim, tw->deadline < now ? now : tw->deadline, tw_timer_cb, tw,
                                 NULL);
}

/* s (tw_may_reduce) becomes a minisock; s is freed. */
static void tw_reduce(NsTcpSock *s)
{
    NsTcp *tcp = sock_tcp(s);
    uint8_t buf[TW_PACKED_MAX];
    uint64_t present;
    size_t n = tw_pack_state(&s->c, &present, buf);
    NsTcpTw *tw = g_malloc(sizeof *tw + n);
    tw->cap = (uint16_t)n;
    tw->more = NULL;
    tw->env = s->c.env;
    tw->pcb = s->c.pcb;
    tw->tag = TW_TAG;
    tw->tev = NS_EVENT_NONE;
    tw_save(tw, &s->c);
    ns_pcb_move(tcp->pcbs, &s->c.pcb, &tw->pcb);
    /* The endpoint's event, when due before the deadline (an earlier
     * timer's, e.g. an orphan's FIN-WAIT-2 lifetime), fires at its time
     * for the minisock and re-syncs, as it would have for the endpoint:
     * the same events in the same number. */
    NsSim *sim = tcp->ctx->sim;
    NsTime at = ns_sim_event_time(sim, s->tev); /* NS_TIME_NEVER: none */
    ns_sim_cancel(sim, &s->tev);
    if (at != NS_TIME_NEVER && at <= tw->deadline)
        tw->tev = ns_sim_schedule_at(sim, at, tw_timer_cb, tw, NULL);
    else
        tw_schedule(tcp, tw);
    tw_link(tcp, tw);
    tcp_conn_release(&s->c);
    unlink_sock(tcp, s);
    g_free(s);
}

static void flush(NsTcpSock *s);
static void cc_sample(NsTcpSock *s);
static void sync_timer(NsTcpSock *s);

/* After a segment or the timer was handled on s, rebuilt from tw on the
 * stack (what after() does for a full endpoint): s's output sent, then tw
 * gone (CLOSED), updated, or (when s now holds more than a minisock keeps)
 * replaced by a full endpoint. */
static void tw_after(NsTcpTw *tw, NsTcpSock *s)
{
    NsTcp *tcp = sock_tcp(s);
    flush(s);
    cc_sample(s);
    s->c.notify = false; /* an orphan: nobody to tell */
    if (s->c.state == NS_TCP_STATE_CLOSED) {
        tcp_conn_release(&s->c);
        tw_destroy(tcp, tw);
        return;
    }
    if (s->c.state == NS_TCP_STATE_TIME_WAIT && !s->c.sb && !s->c.sb_len && !s->c.rx_len &&
        !s->c.rxq.count && !s->c.ooo && !s->c.scoreboard && !s->c.opts && !s->c.outq.head &&
        tcp_rack_deadline(&s->c) == NS_TIME_NEVER) {
        bool only_tw = s->c.timer[NS_TCP_T_TIME_WAIT] != NS_TIME_NEVER;
        for (int t = 0; t < NS_TCP_T_COUNT; t++)
            if (t != NS_TCP_T_TIME_WAIT && s->c.timer[t] != NS_TIME_NEVER)
                only_tw = false;
        if (only_tw) {
            tw_save(tw, &s->c);
            tcp_conn_release(&s->c);
            tw_schedule(tcp, tw);
            return;
        }
    }
    NsTcpSock *h = g_new(NsTcpSock, 1);
    *h = *s;
    ns_pcb_move(tcp->pcbs, &tw->pcb, &h->c.pcb);
    ns_sim_cancel(tcp->ctx->sim, &tw->tev);
    tw_unlink(tcp, tw);
    g_free(tw->more);
    g_free(tw);
    link_sock_sorted(tcp, h);
    sync_timer(h);
}

static void tw_timer_cb(NsSim *sim, void *obj, void *arg)
{
    (void)arg;
    NsTcpTw *tw = obj;
    tw->tev = NS_EVENT_NONE;
    NsTcpSock s;
    tw_load(tw, &s);
    tcp_conn_timers(&s.c, ns_sim_now(sim));
    tw_after(tw, &s);
}

/* ---- timers: one event per endpoint at (or before) its earliest deadline ---- */

static void after(NsTcpSock *s, bool may_notify);

static void timer_cb(NsSim *sim, void *obj, void *arg)
{
    (void)arg;
    NsTcpSock *s = obj;
    s->tev = NS_EVENT_NONE;
    tcp_conn_timers(&s->c, ns_sim_now(sim));
    after(s, true);
}

static void sync_timer(NsTcpSock *s)
{
    NsSim *sim = sock_tcp(s)->ctx->sim;
    NsTime next = tcp_conn_next_timer(&s->c);
    if (next == NS_TIME_NEVER) {
        /* No timer left. An event due soon (a delayed ACK's, while data
         * flows) may fire empty: cheaper than removing it and scheduling
         * the next one anew. One due later (the SYN's RTO, just after the
         * handshake) is removed, so that idle connections hold no slot in
         * the event queue. */
        NsTime at = ns_sim_event_time(sim, s->tev); /* NS_TIME_NEVER: none */
        if (at != NS_TIME_NEVER && at - ns_sim_now(sim) > s->c.env->cfg->delack) {
            ns_sim_cancel(sim, &s->tev);
        }
        return;
    }
    if (ns_sim_event_time(sim, s->tev) <= next)
        return; /* fires earlier and re-syncs: re-arming per ACK costs nothing */
    ns_sim_cancel(sim, &s->tev);
    NsTime now = ns_sim_now(sim);
    s->tev = ns_sim_schedule_at(sim, next < now ? now : next, timer_cb, s, NULL);
}

static uint32_t acc_limit_reached(const NsTcpSock *l)
{
    const ListenQ *q = l->lq;
    uint32_t b = q->backlog ? q->backlog : 1;
    return sock_tcp(l)->env.cfg->backlog_plus_one ? q->acc_len > b : q->acc_len >= b;
}

/* After any processing: send what the core queued, move a child that got
 * established to the accept queue, free what is finished, re-arm the
 * timer event, and tell the owner. */
/* A congestion sample when cwnd, ssthresh, SRTT, RTO or the bytes in
 * flight changed since the last one of this connection. Only when a sink
 * wants them (--cc-samples): the last values live outside the connection. */
static void cc_sample(NsTcpSock *s)
{
    NsTcp *tcp = sock_tcp(s);
    NsTracer *tr = tcp->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_CC))
        return;
    const NsTcpConn *c = &s->c;
    if (!tcp_state_synchronized(c->state)) /* no window before the handshake */
        return;
    CcSample now = {c->cwnd, c->ssthresh, c->snd_max - c->snd_una, c->srtt, c->rto};
    if (!tcp->cc_last)
        tcp->cc_last = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    CcSample *last = g_hash_table_lookup(tcp->cc_last, GUINT_TO_POINTER(c->pcb.id));
    if (last && last->cwnd == now.cwnd && last->ssthresh == now.ssthresh &&
        last->in_flight == now.in_flight && last->srtt == now.srtt && last->rto == now.rto)
        return;
    if (!last) {
        last = g_new(CcSample, 1);
        g_hash_table_insert(tcp->cc_last, GUINT_TO_POINTER(c->pcb.id), last);
    }
    *last = now;
    NsTraceEvent ev = {.kind = NS_TRACE_CC, .cwnd = now.cwnd, .ssthresh = now.ssthresh,
                       .mss = c->mss, .in_flight = now.in_flight, .srtt = now.srtt,
                       .rto = now.rto};
    tcp_conn_trace_ids(c, &ev);
    ns_trace_emit(tr, &ev);
}

static void after(NsTcpSock *s, bool may_notify)
{
    NsTcpConn *c = &s->c;
    flush(s);
    cc_sample(s);
    NsTcpSock *l = s->parent;
    bool tell_listener = false;
    if (l && s->in_syn_q && tcp_state_synchronized(c->state)) {
        s->in_syn_q = false;
        l->lq->syn_len--;
        s->in_acc_q = true;
        s->acc_next = NULL;
        if (l->lq->acc_tail)
            l->lq->acc_tail->acc_next = s;
        else
            l->lq->acc_head = s;
        l->lq->acc_tail = s;
        l->lq->acc_len++;
        tell_listener = true;
    }
    if (c->state == NS_TCP_STATE_CLOSED) {
        ns_sim_cancel(sock_tcp(s)->ctx->sim, &s->tev);
        ns_pcb_remove(sock_tcp(s)->pcbs, &c->pcb);
        if (!s->app_holds) {
            destroy(s);
            s = NULL;
        }
    } else if (tw_may_reduce(s)) {
        c->notify = false; /* an orphan: nobody to tell */
        tw_reduce(s);
        s = NULL;
    } else {
        sync_timer(s);
    }
    if (may_notify && tell_listener && l->app_holds && l->notify)
        l->notify(l->owner);
    if (!s)
        return;
    if (c->notify) {
        c->notify = false;
        if (may_notify && s->app_holds && s->notify)
            s->notify(s->owner);
    }
}

/* ---- input ---- */

static void trace_drop(NsTcp *tcp, const NsIpEnds *hdr, const NsPacket *seg, NsDropReason why)
{
    NsTracer *tr = tcp->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_DROP))
        return;
    const uint8_t *start = seg->data - hdr->header_len;
    NsTraceEvent ev = {.time = ns_sim_now(tcp->ctx->sim), .kind = NS_TRACE_DROP,
                       .host = ns_host_name(tcp->host), .drop = why};
    ns_trace_describe_ip(&ev, start, seg->len + hdr->header_len);
    ns_trace_emit(tr, &ev);
}

/* The RECV line, with the segment's numbers relative to the ISNs as the
 * receiving socket knows them (none for a non-SYN nobody knows) and the
 * window as it reads it. */
static void trace_recv(NsTcp *tcp, const NsIpEnds *hdr, NsPacket *pkt, const NsTcpSeg *seg,
                       const NsTcpConn *c)
{
    if (!ns_tracer_wants(tcp->ctx->tracer, NS_TRACE_RECV))
        return;
    NsPacketNote n = {.sock_id = c ? c->pcb.id : 0, .parent_id = c ? c->pcb.parent_id : 0,
                      .has_seq = true};
    const NsTcpRepr *h = &seg->h;
    bool known = c && (c->state != NS_TCP_STATE_SYN_SENT || (h->flags & NS_TCP_SYN));
    if (c && c->state == NS_TCP_STATE_SYN_SENT && (h->flags & NS_TCP_SYN)) {
        n.seq = 0;
        n.ack = h->ack - c->iss;
    } else if (known && c->state != NS_TCP_STATE_LISTEN) {
        n.seq = h->seq - c->irs;
        n.ack = h->ack - c->iss;
    } else if (h->flags & NS_TCP_SYN) {
        n.seq = 0; /* the SYN carries the sender's ISN */
        n.ack = h->ack;
    } else {
        n.has_seq = false;
    }
    n.win_shift = (c && !(h->flags & NS_TCP_SYN)) ? c->snd_wscale : 0;
    pkt->note = n;
    pkt->flags |= NS_PACKET_NOTED;
    ns_ip_ends_trace_recv(tcp->pcbs, hdr, pkt);
}

/* RFC 9293 3.10.7.1 (CLOSED): an arriving segment without RST gets one.
 * The reply has no options and window 0; Linux sends it with IP ID 0
 * (case 2: R. seq 0 ack ISN+1). */
static void reset_no_socket(NsTcp *tcp, const NsIpEnds *hdr, const NsTcpSeg *seg)
{
    if (seg->h.flags & NS_TCP_RST)
        return;
    NsTcpRepr r;
    memset(&r, 0, sizeof r);
    r.src_port = seg->h.dst_port;
    r.dst_port = seg->h.src_port;
    uint32_t rel_ack = 0;
    bool rel = false;
    if (seg->h.flags & NS_TCP_ACK) {
        r.seq = seg->h.ack;
        r.flags = NS_TCP_RST;
    } else {
        uint32_t l = seg->len + !!(seg->h.flags & NS_TCP_SYN) + !!(seg->h.flags & NS_TCP_FIN);
        r.seq = 0;
        r.ack = seg->h.seq + l;
        r.flags = NS_TCP_RST | NS_TCP_ACK;
        if (seg->h.flags & NS_TCP_SYN) {
            rel = true;
            rel_ack = l;
        }
    }
    ns_tcp_opts_layout(&r, NS_TCP_OPTS_MINIMAL);
    NsPacket *p = ns_packet_new(tcp->ctx->pool, NS_PACKET_HEADROOM, NS_TCP_HLEN);
    ns_tcp_emit_pseudo(&r, ns_ip_ends_pseudo_reply(hdr, NS_IPPROTO_TCP, (uint32_t)p->len), p->data,
                       p->len);
    NsIpTxOpts o = {.df = true, .id_zero = tcp->env.cfg->id_zero_synack_rst};
    if (ns_tracer_wants(tcp->ctx->tracer, NS_TRACE_SEND)) {
        p->note = (NsPacketNote){.ack = rel_ack, .has_seq = rel};
        p->flags |= NS_PACKET_NOTED;
    }
    ns_pcb_reply(tcp->pcbs, hdr, p, &o);
}


/* RFC 9293 3.10.7.2: a segment for a listener. */
static void listen_input(NsTcpSock *l, const NsIpEnds *hdr, NsTcpSeg *seg)
{
    NsTcp *tcp = sock_tcp(l);
    uint8_t fl = seg->h.flags;
    if (fl & NS_TCP_RST)
        return; /* first: an RST is ignored */
    if (fl & NS_TCP_ACK) {
        reset_no_socket(tcp, hdr, seg); /* second: <SEQ=SEG.ACK><CTL=RST> */
        return;
    }
    if (!(fl & NS_TCP_SYN))
        return;
    ListenQ *q = l->lq;
    uint32_t b = q->backlog ? q->backlog : 1;
    bool full = tcp->env.cfg->backlog_plus_one ? acc_limit_reached(l) || q->syn_len >= 4096
                                               : q->syn_len + q->acc_len >= b;
    if (full) {
        /* Both Linux and BSD drop the SYN silently: the client retries. */
        trace_drop(tcp, hdr, seg->pkt, NS_DROP_LISTEN_QUEUE_FULL);
        return;
    }
    NsTcpSock *s = sock_alloc(tcp);
    ns_pcb_set_ends(&s->c.pcb, hdr, l->c.pcb.af6);
    s->c.pcb.lport = l->c.pcb.lport;
    s->c.pcb.rport = seg->h.src_port;
    if (ns_pcb_insert_child(tcp->pcbs, &s->c.pcb) != 0) {
        destroy(s);
        return;
    }
    s->c.pcb.parent_id = l->c.pcb.id;
    s->parent = l;
    s->in_syn_q = true;
    q->syn_len++;
    s->c.nodelay = l->c.nodelay;
    tcp_opts_inherit(&s->c, &l->c, ns_sim_now(tcp->ctx->sim));
    s->c.adv_mss = user_mss(&s->c, (uint16_t)ns_ip_ends_path_mss(tcp->pcbs, hdr));
    tcp_conn_accept_syn(&s->c, seg, ns_sim_now(tcp->ctx->sim));
    after(s, true);
}

/* A segment of either family for this host (hdr: its IP ends). */
static void tcp_input(NsTcp *tcp, const NsIpEnds *hdr, NsPacket *pkt)
{
    NsTcpSeg seg;
    /* A payload left unmade is taken as pattern runs, unread, when the
     * link vouched for its checksum; else it is made to be summed. */
    if (!(pkt->flags & NS_PACKET_RX_CSUM_OK))
        ns_packet_bytes(pkt);
    NsWireResult res = ns_tcp_parse_verified(pkt->data, pkt->len, &seg.h);
    if (res == NS_WIRE_OK && !(pkt->flags & NS_PACKET_RX_CSUM_OK) &&
        !ns_ip_ends_checksum_ok(hdr, NS_IPPROTO_TCP, pkt->data, pkt->len))
        res = NS_WIRE_BAD_CHECKSUM;
    if (res != NS_WIRE_OK) {
        trace_drop(tcp, hdr, pkt, res == NS_WIRE_BAD_CHECKSUM ? NS_DROP_CHECKSUM : NS_DROP_MALFORMED);
        ns_packet_free(pkt);
        return;
    }
    /* A tail left unmade behind bytes that are not the pattern (a
     * response's head and the start of its body) is made here: the
     * receive queue takes a payload unread only when all of it is the
     * pattern. */
    if (ns_packet_is_lazy(pkt) && pkt->pat_at != (size_t)(pkt->data - pkt->buf) + seg.h.header_len)
        ns_packet_bytes(pkt);
    seg.data = pkt->data + seg.h.header_len;
    seg.len = pkt->len - seg.h.header_len;
    seg.pkt = pkt;
    NsPcb *pcb = ns_pcb_lookup_ends(tcp->pcbs, hdr, seg.h.dst_port, seg.h.src_port);
    if (pcb && pcb_is_tw(pcb)) {
        NsTcpTw *tw = tw_of_pcb(pcb);
        NsTcpSock full;
        tw_load(tw, &full);
        trace_recv(tcp, hdr, pkt, &seg, &full.c);
        tcp_conn_input(&full.c, &seg, ns_sim_now(tcp->ctx->sim));
        tw_after(tw, &full);
        if (seg.pkt)
            ns_packet_free(seg.pkt);
        return;
    }
    NsTcpSock *s = pcb ? sock_of_pcb(pcb) : NULL;
    if (s && s->c.state == NS_TCP_STATE_CLOSED)
        s = NULL;
    if (!s) {
        trace_recv(tcp, hdr, pkt, &seg, NULL);
        trace_drop(tcp, hdr, pkt, NS_DROP_NO_SOCKET);
        reset_no_socket(tcp, hdr, &seg);
    } else if (s->c.state == NS_TCP_STATE_LISTEN) {
        trace_recv(tcp, hdr, pkt, &seg, &s->c);
        listen_input(s, hdr, &seg);
    } else {
        trace_recv(tcp, hdr, pkt, &seg, &s->c);
        if (s->parent && s->c.state == NS_TCP_STATE_SYN_RECEIVED &&
            (seg.h.flags & NS_TCP_ACK) && !(seg.h.flags & (NS_TCP_RST | NS_TCP_SYN)) &&
            acc_limit_reached(s->parent)) {
            /* Linux: the handshake's last ACK is dropped while the accept
             * queue is full (tcp_abort_on_overflow=0); the SYN-ACK timer
             * retries later. */
            trace_drop(tcp, hdr, pkt, NS_DROP_ACCEPT_QUEUE_FULL);
        } else {
            tcp_conn_input(&s->c, &seg, ns_sim_now(tcp->ctx->sim));
            after(s, true);
        }
    }
    if (seg.pkt)
        ns_packet_free(seg.pkt);
}

static void tcp_ip_input(void *data, const NsIpv4Repr *hdr, NsPacket *pkt)
{
    NsIpEnds e = ns_ip_ends4(hdr);
    tcp_input(data, &e, pkt);
}

static void tcp_ip6_input(void *data, const NsIpv6Repr *hdr, NsPacket *pkt)
{
    NsIpEnds e = ns_ip_ends6(hdr);
    tcp_input(data, &e, pkt);
}

/* An ICMP error about one of our segments (RFC 9293 3.9.4, RFC 5461):
 * soft errors only, except during the handshake where a port or host
 * unreachable makes connect fail, as Linux does. */
static void tcp_ip_error(void *data, int err, const NsIpv4Repr *orig, const uint8_t *l4,
                         size_t l4_len)
{
    NsTcp *tcp = data;
    if (l4_len < 8)
        return;
    uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);
    uint16_t dport = (uint16_t)(l4[2] << 8 | l4[3]);
    NsPcb *pcb = ns_pcb_lookup(tcp->pcbs, orig->src, sport, orig->dst, dport);
    if (!pcb || pcb_is_tw(pcb))
        return;
    NsTcpSock *s = sock_of_pcb(pcb);
    if (s->c.state != NS_TCP_STATE_SYN_SENT)
        return;
    tcp_conn_enter_closed(&s->c, err, NS_CAUSE_ICMP_ERROR);
    after(s, true);
}

/* The same over IPv6; a packet too big lowers the connection's MSS to
 * what the path carries (RFC 8201 section 4). */
static void tcp_ip6_error(void *data, int err, uint32_t mtu, const NsIpv6Repr *orig,
                          const uint8_t *l4, size_t l4_len)
{
    NsTcp *tcp = data;
    if (l4_len < 8)
        return;
    uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);
    uint16_t dport = (uint16_t)(l4[2] << 8 | l4[3]);
    NsPcb *pcb = ns_pcb_lookup6(tcp->pcbs, &orig->src, sport, &orig->dst, dport);
    if (!pcb || !pcb->v6)
        return;
    NsTcpSock *s = sock_of_pcb(pcb);
    if (err == EMSGSIZE) {
        uint32_t seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
        if (mtu >= NS_IP6_MIN_MTU)
            tcp_conn_path_mss(&s->c, mtu - NS_IPV6_HLEN - NS_TCP_HLEN, seq,
                              NS_CAUSE_PACKET_TOO_BIG, ns_sim_now(tcp->ctx->sim));
        after(s, true);
        return;
    }
    if (s->c.state != NS_TCP_STATE_SYN_SENT)
        return;
    tcp_conn_enter_closed(&s->c, err, NS_CAUSE_ICMP_ERROR);
    after(s, true);
}

/* ---- user calls ---- */

static NsTime now_of(const NsTcpSock *s)
{
    return ns_sim_now(sock_tcp(s)->ctx->sim);
}

/* Linux's ip_rt_min_pmtu: a smaller MTU in "fragmentation needed" is
 * taken as this. */
#define TCP_MIN_PMTU 552

/* RFC 1191 (path MTU discovery), as Linux's tcp_v4_err and
 * tcp_v4_mtu_reduced: "fragmentation needed" about a segment in flight
 * lowers the segment size and resends at once what no longer fits. */
static void tcp_ip_frag_needed(void *data, uint16_t mtu, const NsIpv4Repr *orig,
                               const uint8_t *l4, size_t l4_len)
{
    NsTcp *tcp = data;
    if (l4_len < 8)
        return;
    uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);
    uint16_t dport = (uint16_t)(l4[2] << 8 | l4[3]);
    uint32_t seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
    NsPcb *pcb = ns_pcb_lookup(tcp->pcbs, orig->src, sport, orig->dst, dport);
    if (!pcb)
        return;
    NsTcpSock *s = sock_of_pcb(pcb);
    if (mtu < TCP_MIN_PMTU)
        mtu = TCP_MIN_PMTU;
    tcp_conn_path_mss(&s->c, (uint32_t)mtu - NS_IPV4_HLEN - NS_TCP_HLEN, seq, NS_CAUSE_ICMP_ERROR,
                      now_of(s));
    after(s, true);
}

NsTcpSock *ns_tcp_sock_new(NsTcp *tcp, NsTcpNotifyFn notify, void *owner)
{
    NsTcpSock *s = sock_alloc(tcp);
    s->notify = notify;
    s->owner = owner;
    s->app_holds = true;
    return s;
}

void ns_tcp_sock_set_notify(NsTcpSock *s, NsTcpNotifyFn notify, void *owner)
{
    s->notify = notify;
    s->owner = owner;
}

int ns_tcp_bind(NsTcpSock *s, uint32_t addr, uint16_t port)
{
    if (s->c.pcb.lport || s->c.state != NS_TCP_STATE_CLOSED)
        return EINVAL;
    int err = ns_pcb_bind(sock_tcp(s)->pcbs, &s->c.pcb, addr, port, NS_PCB_EPHEMERAL_BIND);
    if (!err)
        ns_pcb_trace(sock_tcp(s)->pcbs, &s->c.pcb, NS_SOCK_OP_BOUND, port == 0);
    return err;
}

int ns_tcp_bind6(NsTcpSock *s, const NsIpv6Addr *addr, uint16_t port)
{
    if (s->c.pcb.lport || s->c.state != NS_TCP_STATE_CLOSED)
        return EINVAL;
    int err = ns_pcb_bind6(sock_tcp(s)->pcbs, &s->c.pcb, addr, port, NS_PCB_EPHEMERAL_BIND);
    if (!err)
        ns_pcb_trace(sock_tcp(s)->pcbs, &s->c.pcb, NS_SOCK_OP_BOUND, port == 0);
    return err;
}

int ns_tcp_listen(NsTcpSock *s, uint32_t backlog)
{
    if (s->c.state == NS_TCP_STATE_LISTEN) {
        s->lq->backlog = backlog;
        return 0;
    }
    if (s->c.state != NS_TCP_STATE_CLOSED || s->c.was_connected)
        return EINVAL;
    if (!s->c.pcb.lport) {
        int err = ns_tcp_bind(s, 0, 0);
        if (err)
            return err;
    }
    if (!s->lq)
        s->lq = g_new0(ListenQ, 1);
    s->lq->backlog = backlog;
    tcp_conn_set_state(&s->c, NS_TCP_STATE_LISTEN, NS_CAUSE_APP_LISTEN);
    s->c.notify = false;
    return 0;
}

NsTcpSock *ns_tcp_accept(NsTcpSock *l, int *err)
{
    int e = 0;
    if (!err)
        err = &e;
    if (l->c.state != NS_TCP_STATE_LISTEN || !l->lq) {
        *err = EINVAL;
        return NULL;
    }
    NsTcpSock *s = l->lq->acc_head;
    if (!s) {
        *err = EAGAIN;
        return NULL;
    }
    acc_remove(l, s);
    s->parent = NULL;
    s->app_holds = true;
    s->notify = NULL;
    s->owner = NULL;
    *err = 0;
    return s;
}

/* addr6 NULL: connect to the IPv4 addr; else to the IPv6 socket address
 * addr6 (an IPv4-mapped one over IPv4). */
static int connect_to(NsTcpSock *s, uint32_t addr, const NsIpv6Addr *addr6, uint16_t port)
{
    NsTcpConn *c = &s->c;
    switch (c->state) {
    case NS_TCP_STATE_CLOSED:
        break;
    case NS_TCP_STATE_SYN_SENT:
        return EALREADY;
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        return EISCONN;
    }
    if (port == 0)
        return EINVAL;
    NsTcp *tcp = sock_tcp(s);
    if (!addr6 && ns_ip_source_for(tcp->ip, addr) == 0)
        return ENETUNREACH;
    bool was_bound = c->pcb.in_port_table;
    if (c->pcb.lport && !c->pcb.in_port_table) {
        /* A socket whose earlier connection ended: bind afresh. */
        c->pcb.lport = 0;
        c->pcb.laddr = 0;
        c->pcb.v6 = false;
        memset(&c->pcb.laddr6, 0, sizeof c->pcb.laddr6);
    }
    int err = addr6 ? ns_pcb_connect6(tcp->pcbs, &c->pcb, addr6, port, NS_PCB_EPHEMERAL_CONNECT)
                    : ns_pcb_connect(tcp->pcbs, &c->pcb, addr, port, NS_PCB_EPHEMERAL_CONNECT);
    if (err)
        return err;
    if (!was_bound)
        ns_pcb_trace(tcp->pcbs, &c->pcb, NS_SOCK_OP_BOUND, true);
    /* A fresh TCB for a socket reused after a failed attempt. */
    NsPcb pcb = c->pcb;
    bool nodelay = c->nodelay;
    NsTcpOpts *opts = c->opts; /* the options survive the TCB */
    c->opts = NULL;
    tcp_conn_release(c);
    tcp_conn_init(c, &tcp->env);
    c->pcb = pcb;
    c->nodelay = nodelay;
    c->opts = opts;
    c->adv_mss = user_mss(c, (uint16_t)ns_pcb_path_mss(tcp->pcbs, &c->pcb));
    tcp_conn_connect(c, now_of(s));
    after(s, false);
    return 0;
}

int ns_tcp_connect(NsTcpSock *s, uint32_t addr, uint16_t port)
{
    return connect_to(s, addr, NULL, port);
}

int ns_tcp_connect6(NsTcpSock *s, const NsIpv6Addr *addr, uint16_t port)
{
    return connect_to(s, 0, addr, port);
}

/* 0 if the connection takes data now, else the -errno ns_tcp_send gives. */
static long send_check(NsTcpSock *s)
{
    NsTcpConn *c = &s->c;
    if (c->error) {
        int e = c->error;
        c->error = 0;
        return -e;
    }
    switch (c->state) {
    case NS_TCP_STATE_CLOSED:
        return c->was_connected || c->rst_sent_or_rcvd ? -EPIPE : -ENOTCONN;
    case NS_TCP_STATE_LISTEN:
        return -ENOTCONN;
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_CLOSE_WAIT:
        break;
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        return -EPIPE;
    }
    if (c->fin_queued)
        return -EPIPE;
    return 0;
}

long ns_tcp_send(NsTcpSock *s, const uint8_t *data, size_t len)
{
    NsTcpConn *c = &s->c;
    long e = send_check(s);
    if (e)
        return e;
    if (len == 0)
        return 0;
    if (len > UINT32_MAX / 2)
        len = UINT32_MAX / 2;
    uint32_t n = tcp_conn_write(c, data, (uint32_t)len, now_of(s));
    if (n == 0)
        return -EAGAIN;
    after(s, false);
    return (long)n;
}

long ns_tcp_send_pattern(NsTcpSock *s, const uint8_t *head, size_t head_len, uint64_t off,
                         size_t len)
{
    NsTcpConn *c = &s->c;
    long e = send_check(s);
    if (e)
        return e;
    if (head_len + len == 0)
        return 0;
    if (head_len > UINT32_MAX / 4)
        head_len = UINT32_MAX / 4;
    if (len > UINT32_MAX / 4)
        len = UINT32_MAX / 4;
    uint32_t n = tcp_conn_write_pattern(c, head, (uint32_t)head_len, off, (uint32_t)len, now_of(s));
    if (n == 0)
        return -EAGAIN;
    after(s, false);
    return (long)n;
}

long ns_tcp_recv(NsTcpSock *s, uint8_t *buf, size_t cap)
{
    NsTcpConn *c = &s->c;
    if (c->rx_len && !c->rd_shut) {
        uint32_t n = tcp_conn_read(c, buf, cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap,
                                   now_of(s));
        after(s, false);
        return (long)n;
    }
    if (c->rd_shut)
        return 0;
    if (c->error) {
        int e = c->error;
        c->error = 0;
        return -e;
    }
    if (c->fin_rcvd)
        return 0;
    switch (c->state) {
    case NS_TCP_STATE_CLOSED:
        return c->was_connected ? 0 : -ENOTCONN;
    case NS_TCP_STATE_LISTEN:
        return -ENOTCONN;
    case NS_TCP_STATE_SYN_SENT:
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        break;
    }
    return -EAGAIN;
}

int ns_tcp_shutdown(NsTcpSock *s, bool rd, bool wr)
{
    NsTcpConn *c = &s->c;
    switch (c->state) {
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
        return ENOTCONN;
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        break;
    }
    if (rd) {
        c->rd_shut = true;
        tcp_rcvq_clear(c);
    }
    if (wr)
        tcp_conn_shutdown_write(c, now_of(s), NS_CAUSE_APP_SHUTDOWN);
    after(s, false);
    return 0;
}

static void release(NsTcpSock *s)
{
    s->app_holds = false;
    s->c.orphan = true;
    s->notify = NULL;
    s->owner = NULL;
    if (s->c.state == NS_TCP_STATE_FIN_WAIT_2 &&
        s->c.timer[NS_TCP_T_TIME_WAIT] == NS_TIME_NEVER)
        tcp_timer_arm(&s->c, NS_TCP_T_TIME_WAIT, now_of(s), s->c.env->cfg->fin_wait_2, true);
    after(s, false);
}

static void close_listener(NsTcpSock *l)
{
    NsTcp *tcp = sock_tcp(l);
    NsTime now = now_of(l);
    for (NsTcpSock *o = tcp->head, *next; o; o = next) {
        next = o->next;
        if (o->parent != l)
            continue;
        detach_parent(o);
        /* Linux: established children nobody accepted get a reset;
         * half-open ones vanish. */
        if (tcp_state_synchronized(o->c.state))
            tcp_conn_reset(&o->c, now, NS_CAUSE_LISTENER_CLOSED);
        else
            tcp_conn_enter_closed(&o->c, 0, NS_CAUSE_LISTENER_CLOSED);
        after(o, false);
    }
    tcp_conn_set_state(&l->c, NS_TCP_STATE_CLOSED, NS_CAUSE_APP_CLOSE);
}

int ns_tcp_close(NsTcpSock *s)
{
    NsTcpConn *c = &s->c;
    NsTime now = now_of(s);
    if (c->opts && c->opts->linger == 0) {
        /* SO_LINGER with a zero timeout: an abortive close (RST) */
        ns_tcp_abort(s);
        return 0;
    }
    switch (c->state) {
    case NS_TCP_STATE_LISTEN:
        close_listener(s);
        break;
    case NS_TCP_STATE_SYN_SENT:
        tcp_conn_enter_closed(c, 0, NS_CAUSE_APP_CLOSE);
        break;
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
        if (c->rx_len) {
            /* RFC 9293 3.10.4 / RFC 2525 2.17: data the application will
             * never read: reset rather than pretend a graceful close. */
            tcp_conn_reset(c, now, NS_CAUSE_APP_CLOSE_UNREAD);
        } else {
            tcp_conn_shutdown_write(c, now, NS_CAUSE_APP_CLOSE);
        }
        break;
    case NS_TCP_STATE_CLOSED:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        break;
    }
    release(s);
    return 0;
}

void ns_tcp_abort(NsTcpSock *s)
{
    if (s->c.state == NS_TCP_STATE_LISTEN)
        close_listener(s);
    else
        tcp_conn_reset(&s->c, now_of(s), NS_CAUSE_APP_ABORT);
    release(s);
}

int ns_tcp_take_error(NsTcpSock *s)
{
    int e = s->c.error;
    s->c.error = 0;
    return e;
}

NsTcpState ns_tcp_state(const NsTcpSock *s)
{
    return s->c.state;
}

bool ns_tcp_isns(const NsTcpSock *s, uint32_t *iss, uint32_t *irs)
{
    *iss = s->c.iss;
    switch (s->c.state) {
    case NS_TCP_STATE_CLOSED:
        if (!s->c.was_connected)
            return false;
        break;
    case NS_TCP_STATE_LISTEN:
    case NS_TCP_STATE_SYN_SENT:
        return false;
    case NS_TCP_STATE_SYN_RECEIVED:
    case NS_TCP_STATE_ESTABLISHED:
    case NS_TCP_STATE_FIN_WAIT_1:
    case NS_TCP_STATE_FIN_WAIT_2:
    case NS_TCP_STATE_CLOSE_WAIT:
    case NS_TCP_STATE_CLOSING:
    case NS_TCP_STATE_LAST_ACK:
    case NS_TCP_STATE_TIME_WAIT:
        break;
    }
    *irs = s->c.irs;
    return true;
}

const NsPcb *ns_tcp_sock_pcb(const NsTcpSock *s)
{
    return &s->c.pcb;
}

void ns_tcp_set_nodelay(NsTcpSock *s, bool on)
{
    s->c.nodelay = on;
    if (on) {
        tcp_conn_output(&s->c, now_of(s));
        after(s, false);
    }
}

long ns_tcp_peek(NsTcpSock *s, uint8_t *buf, size_t cap)
{
    const NsTcpConn *c = &s->c;
    if (!c->rx_len || c->rd_shut)
        return ns_tcp_recv(s, buf, 0); /* EOF, error or EAGAIN: nothing is taken */
    return (long)tcp_rcvq_peek(c, buf, cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap);
}

uint32_t ns_tcp_poll(NsTcpSock *s)
{
    NsTcpConn *c = &s->c;
    if (c->state == NS_TCP_STATE_LISTEN)
        return s->lq && s->lq->acc_len ? NS_POLLIN | NS_POLLRDNORM : 0;
    /* Linux tcp_done shuts both ways: a connection that has ended, or an
     * attempt that failed; a socket never connected is only "closed". */
    bool done = c->state == NS_TCP_STATE_CLOSED && (c->was_connected || c->snd_max != c->iss);
    bool rcv_shut = done || c->fin_rcvd || c->rd_shut;
    bool snd_shut = done || c->fin_queued;
    uint32_t mask = 0;
    if ((rcv_shut && snd_shut) || c->state == NS_TCP_STATE_CLOSED)
        mask |= NS_POLLHUP;
    if (rcv_shut)
        mask |= NS_POLLIN | NS_POLLRDNORM | NS_POLLRDHUP;
    if (c->state != NS_TCP_STATE_SYN_SENT && c->state != NS_TCP_STATE_SYN_RECEIVED) {
        if (c->rx_len)
            mask |= NS_POLLIN | NS_POLLRDNORM;
        if (snd_shut || tcp_conn_writeable(c))
            mask |= NS_POLLOUT | NS_POLLWRNORM;
        else
            c->nospace = true; /* Linux tcp_poll: wake the poller when room comes */
    }
    if (c->error)
        mask |= NS_POLLERR;
    return mask;
}

int ns_tcp_setsockopt(NsTcpSock *s, NsSockOpt opt, int64_t value)
{
    int e = tcp_conn_setopt(&s->c, opt, value, now_of(s));
    if (e == 0 && ((opt == NS_SO_TCP_NODELAY && value) || (opt == NS_SO_TCP_CORK && !value)))
        tcp_conn_output(&s->c, now_of(s));
    after(s, false); /* (timers may have changed: keepalive) */
    return e;
}

int ns_tcp_getsockopt(const NsTcpSock *s, NsSockOpt opt, int64_t *value)
{
    return tcp_conn_getopt(&s->c, opt, value);
}

size_t ns_tcp_readable(const NsTcpSock *s)
{
    return s->c.rd_shut ? 0 : s->c.rx_len;
}

bool ns_tcp_at_eof(const NsTcpSock *s)
{
    const NsTcpConn *c = &s->c;
    if (c->rd_shut)
        return true;
    return c->rx_len == 0 && (c->fin_rcvd || (c->state == NS_TCP_STATE_CLOSED &&
                                              c->was_connected && !c->error));
}

bool ns_tcp_has_error(const NsTcpSock *s)
{
    return s->c.error != 0;
}

size_t ns_tcp_send_space(const NsTcpSock *s)
{
    if (!tcp_state_can_send(s->c.state) || s->c.fin_queued)
        return 0;
    return tcp_conn_send_space(&s->c);
}

uint32_t ns_tcp_accept_pending(const NsTcpSock *l)
{
    return l->lq ? l->lq->acc_len : 0;
}

void ns_tcp_info(const NsTcpSock *s, NsTcpInfo *out)
{
    const NsTcpConn *c = &s->c;
    memset(out, 0, sizeof *out);
    out->bytes_sent = c->bytes_sent;
    out->bytes_acked = c->bytes_acked;
    out->bytes_received = c->bytes_received;
    out->segs_sent = c->segs_sent;
    out->segs_received = c->segs_received;
    out->retransmits = c->retransmits;
    out->srtt = c->srtt;
    out->cwnd = c->cwnd;
    out->ssthresh = c->ssthresh;
    out->mss = c->mss;
    out->state = c->state;
    out->ca_state = (NsTcpCaState)c->ca_state;
    out->rto = tcp_jiffies_round(c->env->cfg, tcp_rexmt_duration(c)); /* icsk_rto, in jiffies */
    out->rttvar = c->rttvar;
    uint32_t mss = c->mss ? c->mss : 536;
    out->unacked = (tcp_flight(c) + mss - 1) / mss;
    out->sacked = c->scoreboard ? (c->scoreboard->sacked.bytes + mss - 1) / mss : 0;
    out->backoff = c->rxt_shift;
    out->opt_ts = c->ts_ok;
    out->opt_sack = c->sack_ok;
    out->opt_wscale = c->ws_ok;
    out->snd_wscale = c->ws_ok ? c->snd_wscale : 0;
    out->rcv_wscale = c->ws_ok ? c->rcv_wscale : 0;
    out->rcv_mss = c->rcv_mss;
    out->adv_mss = c->adv_mss;
    out->snd_wnd = c->snd_wnd;
    out->rcv_wnd = c->rcv_adv - c->rcv_nxt;
    out->rcv_ssthresh = c->rcv_ssthresh;
    out->notsent = c->sb_len > tcp_flight(c) ? c->sb_len - tcp_flight(c) : 0;
    out->ssthresh_initial = c->ssthresh >= 0x7fffffff;
    out->syn_acked = c->snd_una != c->iss;
    if (c->state == NS_TCP_STATE_LISTEN && s->lq) {
        out->unacked = s->lq->acc_len;
        out->recv_q = s->lq->acc_len; /* as ss shows for listeners */
        out->send_q = s->lq->backlog;
    } else {
        out->recv_q = c->rx_len;
        out->send_q = c->sb_len + (tcp_flight(c) > c->sb_len ? 0 : 0);
    }
}

void ns_tcp_foreach(const NsTcp *tcp, void (*fn)(const NsTcpSock *s, bool orphan, void *data),
                    void *data)
{
    /* Both lists are in socket id order: merged, the endpoints come in the
     * order they were made, a minisock as the full endpoint it stands for. */
    const NsTcpSock *s = tcp->head;
    const NsTcpTw *tw = tcp->tw_head;
    while (s || tw) {
        if (tw && (!s || tw->pcb.id < s->c.pcb.id)) {
            NsTcpSock full;
            tw_load(tw, &full);
            fn(&full, true, data);
            tw = tw->next;
        } else {
            fn(s, s->c.orphan, data);
            s = s->next;
        }
    }
}

uint32_t ns_tcp_count(const NsTcp *tcp)
{
    return tcp->count;
}
