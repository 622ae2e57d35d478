/* The trace-event stream: every layer reports what happens as NsTraceEvent
 * values, and every output (text, JSON Lines, pcap, diagrams) is a sink that
 * reads the same stream. Producers guard event construction with
 * ns_tracer_wants(), so a run without sinks formats nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/tcp-state.h"
#include "netsim/time.h"

typedef enum {
    NS_TRACE_APP,    /* an application or socket-verb step starts or ends */
    NS_TRACE_SOCK,   /* a socket is created, bound, connected, closed */
    NS_TRACE_TCP,    /* a TCP state transition */
    NS_TRACE_SEND,   /* a packet leaves a host's IP layer */
    NS_TRACE_RECV,   /* a packet reaches a host's IP layer */
    NS_TRACE_FWD,    /* a router forwards a packet */
    NS_TRACE_DROP,   /* a packet is lost, with the reason */
    NS_TRACE_TIMER,  /* a timer is armed, fires or is cancelled */
    NS_TRACE_ICMP,   /* an ICMP message is generated or acted on */
    NS_TRACE_ARP,    /* ARP resolution: request, reply, cache changes */
    NS_TRACE_LINK,   /* a link or network changes (up/down, options) */
    NS_TRACE_HOST,   /* a host crashes or restarts */
    NS_TRACE_EXPECT, /* an expectation's verdict */
    NS_TRACE_FRAME,  /* an Ethernet frame crosses a link (for captures) */
    NS_TRACE_CC,     /* a TCP congestion sample (cwnd, ssthresh, SRTT, RTO, in flight) */
    NS_TRACE_NAT,    /* NAT rewrote a datagram's addresses or ports */
    NS_TRACE_NDP,    /* IPv6 Neighbor Discovery: solicitations, advertisements, cache states */
    NS_TRACE_KIND_COUNT
} NsTraceKind;

#define NS_TRACE_MASK(k) (UINT32_C(1) << (k))
#define NS_TRACE_MASK_ALL ((UINT32_C(1) << NS_TRACE_KIND_COUNT) - 1)

/* Short lower-case name of a kind ("send", "drop", ...). */
const char *ns_trace_kind_name(NsTraceKind kind);

/* Which side of a frame a FRAME event reports. */
typedef enum { NS_TRACE_DIR_NONE, NS_TRACE_DIR_OUT, NS_TRACE_DIR_IN } NsTraceDir;

/* The facts an event reports travel as these values; only the sinks turn
 * them into words. Each enum's first value means "none" or "not given". */

/* SOCK: what happened to the socket. */
typedef enum {
    NS_SOCK_OP_NONE,
    NS_SOCK_OP_BOUND,     /* it holds a local port (ephemeral: chosen by the host) */
    NS_SOCK_OP_CONNECTED, /* UDP: a peer is recorded, nothing is sent */
    NS_SOCK_OP_CLOSED,    /* UDP: closed, its port free again */
} NsSockOp;

/* TCP: which of the connection's values changed. */
typedef enum {
    NS_TCP_EV_STATE,      /* tcp_from -> tcp_to */
    NS_TCP_EV_CWND,       /* cwnd and ssthresh were set */
    NS_TCP_EV_CONGESTION, /* ca_from -> ca_to */
    /* Nagle's algorithm (RFC 1122 4.2.3.4) holds a small segment back:
     * payload_len bytes wait while in_flight bytes are unacknowledged */
    NS_TCP_EV_NAGLE,
} NsTcpEvent;

/* Why a TCP connection changed state, window or congestion state. */
typedef enum {
    NS_CAUSE_NONE,
    /* the application */
    NS_CAUSE_APP_CONNECT,
    NS_CAUSE_APP_LISTEN,
    NS_CAUSE_APP_CLOSE,
    NS_CAUSE_APP_CLOSE_UNREAD, /* close with unread data: RST (RFC 2525 2.17) */
    NS_CAUSE_APP_SHUTDOWN,
    NS_CAUSE_APP_ABORT,
    NS_CAUSE_LISTENER_CLOSED, /* a pending connection of a listener that closed */
    NS_CAUSE_HOST_CRASH,
    NS_CAUSE_ICMP_ERROR,
    /* a segment arrived */
    NS_CAUSE_RCV_SYN_LISTENER, /* a SYN for a listener: a new socket (parent_id) */
    NS_CAUSE_RCV_SYN_ACK,
    NS_CAUSE_RCV_SYN_SIMULTANEOUS,
    NS_CAUSE_RCV_ACK_OF_SYN,
    NS_CAUSE_RCV_ACK_OF_FIN,
    NS_CAUSE_RCV_FIN,
    NS_CAUSE_RCV_FIN_SIMULTANEOUS,
    NS_CAUSE_RCV_RST,
    NS_CAUSE_RCV_SYN,           /* a SYN that ends the connection */
    NS_CAUSE_RCV_SYN_IN_WINDOW, /* RFC 9293 3.10.7.4 fourth check */
    /* a timer */
    NS_CAUSE_SYN_RETRIES,
    NS_CAUSE_SYN_ACK_RETRIES,
    NS_CAUSE_RETRANSMISSIONS,  /* retransmissions exhausted */
    NS_CAUSE_TIME_WAIT_DONE,   /* 2MSL ran out */
    NS_CAUSE_FIN_WAIT_2_TIMEOUT,
    NS_CAUSE_KEEPALIVE_TIMEOUT, /* keepalive probes unanswered */
    NS_CAUSE_USER_TIMEOUT,      /* TCP_USER_TIMEOUT passed (RFC 5482) */
    /* congestion control */
    NS_CAUSE_CONNECTED,
    NS_CAUSE_ACK,
    NS_CAUSE_DUP_ACK,
    NS_CAUSE_DUP_ACKS,            /* the third duplicate ACK */
    NS_CAUSE_DUP_ACKS_FAST_RETRANSMIT,
    NS_CAUSE_SACK,
    NS_CAUSE_SACK_BEYOND_LOSS,
    NS_CAUSE_SACK_BEYOND_LOSS_FAST_RETRANSMIT,
    NS_CAUSE_RECOVERY_DONE,
    NS_CAUSE_LOSS_REPAIRED,
    NS_CAUSE_SYN_TIMEOUT,
    NS_CAUSE_RTO,
    NS_CAUSE_TLP_REPAIRED, /* a tail loss probe repaired a loss (RFC 8985 7.4) */
    NS_CAUSE_HYSTART_ACK_TRAIN, /* HyStart ends slow start: ACK train */
    NS_CAUSE_HYSTART_DELAY,     /* HyStart ends slow start: RTT increase */
    NS_CAUSE_RACK_TIMEOUT,      /* RACK's reordering timer found a loss */
    NS_CAUSE_PACKET_TOO_BIG,    /* segments over the path's MTU (RFC 8201) */
} NsTraceCause;

/* Why a packet was sent (SEND): a TCP segment's reason, or a targeted
 * fault acting on the datagram (`fault` then says which). */
typedef enum {
    NS_SEND_NORMAL,          /* new data, an ACK, a handshake segment */
    NS_SEND_RTO,             /* retransmission after the RTO (RFC 6298) */
    NS_SEND_FAST_RETRANSMIT, /* after three duplicate ACKs (RFC 5681 3.2) */
    NS_SEND_SACK_RETRANSMIT, /* a hole the SACK scoreboard deems lost (RFC 6675) */
    NS_SEND_TLP,             /* tail loss probe (RFC 8985 7) */
    NS_SEND_PROBE,           /* zero-window probe (RFC 9293 3.8.6.1) */
    NS_SEND_WINDOW_UPDATE,
    NS_SEND_DELAYED_ACK,     /* the delayed-ACK timer ran out (RFC 1122 4.2.3.2) */
    NS_SEND_CHALLENGE_ACK,   /* RFC 5961 */
    NS_SEND_KEEPALIVE,       /* keepalive probe (RFC 1122 4.2.3.6) */
    NS_SEND_PMTU,            /* sent again smaller after a packet too big (RFC 8201) */
    NS_SEND_FAULT,           /* released or copied by a targeted fault */
} NsSendWhy;

/* Why a packet was lost (DROP). */
typedef enum {
    NS_DROP_NONE,
    NS_DROP_NO_SOCKET,      /* no socket for the port */
    NS_DROP_LISTEN_QUEUE_FULL,
    NS_DROP_ACCEPT_QUEUE_FULL,
    NS_DROP_RCVBUF_FULL,    /* UDP receive buffer full */
    NS_DROP_CHECKSUM,
    NS_DROP_MALFORMED,      /* transport header does not parse (proto says which) */
    NS_DROP_MALFORMED_IP,   /* IPv4 header does not parse */
    NS_DROP_NO_ROUTE,
    NS_DROP_NOT_FOR_HOST,   /* hosts do not forward */
    NS_DROP_FRAG_TIMEOUT,   /* reassembly gave up (Linux ipfrag_time) */
    NS_DROP_FRAG_DUPLICATE, /* a fragment whose bytes were all held already */
    NS_DROP_FRAG_OVERLAP,   /* overlapping fragments: the datagram is discarded */
    NS_DROP_FRAG_INVALID,   /* fragments disagree on the end, or over 65535 bytes */
    NS_DROP_FRAG_MEMORY,    /* reassembly memory full (Linux ipfrag_high_thresh) */
    NS_DROP_NO_PROTOCOL,
    NS_DROP_TTL_EXCEEDED,
    NS_DROP_TOO_BIG,        /* larger than the next link's MTU (DF set) */
    NS_DROP_ARP_FAILED,     /* the next hop did not answer ARP */
    NS_DROP_ARP_QUEUE_FULL,
    NS_DROP_HOST_DOWN,
    NS_DROP_LINK_DOWN,
    NS_DROP_LINK_LOSS,
    NS_DROP_QUEUE_FULL,     /* a link's transmit queue */
    NS_DROP_FAULT,          /* a targeted fault of the scenario */
    NS_DROP_FILTER,         /* a filter rule (rule_name, loc say which) */
} NsDropReason;

/* TIMER: what happened, and to which timer. */
typedef enum { NS_TIMER_ARMED, NS_TIMER_FIRED, NS_TIMER_CANCELLED } NsTimerOp;

typedef enum {
    NS_TIMER_RTO,        /* retransmission */
    NS_TIMER_PERSIST,    /* zero-window probes */
    NS_TIMER_KEEPALIVE,
    NS_TIMER_TIME_WAIT,  /* 2MSL in TIME-WAIT */
    NS_TIMER_FIN_WAIT_2, /* an orphan's FIN-WAIT-2 timeout (Linux tcp_fin_timeout) */
    NS_TIMER_DELACK,     /* delayed ACK */
    NS_TIMER_TLP,        /* tail loss probe */
    NS_TIMER_RACK,       /* RACK reordering timer (RFC 8985 6.3) */
} NsTimerKind;

/* ARP: what the resolver did. src is the address asked about; dst the
 * asker (request) or the one answered (reply). */
typedef enum {
    NS_ARP_EV_REQUEST,  /* `unicast` when confirming a stale entry */
    NS_ARP_EV_REPLY,    /* mac: ours */
    NS_ARP_EV_RESOLVED, /* mac learnt; count: datagrams released */
    NS_ARP_EV_EXPIRED,  /* a confirmed neighbour stopped answering */
    NS_ARP_EV_FAILED,   /* count: requests sent without an answer */
} NsArpEvent;

/* The states of a neighbour cache entry (RFC 4861 section 7.3.2), as
 * `ip neigh` names them. ARP entries use INCOMPLETE, REACHABLE, STALE and
 * PROBE; Neighbor Discovery all five. */
typedef enum {
    NS_NEIGH_INCOMPLETE,
    NS_NEIGH_REACHABLE,
    NS_NEIGH_STALE,
    NS_NEIGH_DELAY,
    NS_NEIGH_PROBE,
} NsNeighState;

/* NDP: what Neighbor Discovery did. target6 is the address resolved (or
 * answered for), dst6 the other end (the solicitation's sender, or the
 * address a solicitation went to). */
typedef enum {
    NS_NDP_EV_SOLICIT,  /* a neighbour solicitation sent (`unicast` when probing) */
    NS_NDP_EV_ADVERT,   /* a neighbour advertisement sent; mac: ours */
    NS_NDP_EV_RESOLVED, /* INCOMPLETE -> REACHABLE, mac learnt; count: datagrams released */
    NS_NDP_EV_STATE,    /* the entry went from neigh_from to neigh_to (cause in count: 0) */
    NS_NDP_EV_FAILED,   /* count: solicitations sent without an answer */
} NsNdpEvent;

/* ICMP: what a host did with an ICMP error (err: the errno it maps to). */
typedef enum {
    NS_ICMP_EV_IGNORED_NO_TRANSPORT, /* nothing to tell it to */
    NS_ICMP_EV_IGNORED_UNCONNECTED,  /* UDP socket not connected: no call can report it */
    NS_ICMP_EV_QUEUED,               /* connected socket: its next call fails with it */
} NsIcmpEvent;

/* LINK and HOST changes. */
typedef enum {
    NS_LINK_EV_UP,
    NS_LINK_EV_DOWN,
    NS_LINK_EV_SET,
    NS_LINK_EV_LEARNED, /* a switch learnt mac behind port ifindex (host on it: text) */
    NS_LINK_EV_FLOODED, /* a switch flooded a frame for unknown mac to count ports */
} NsLinkEvent;
typedef enum {
    NS_HOST_EV_CRASH,
    NS_HOST_EV_RESTART,
    NS_HOST_EV_FILTER_ADDED,   /* a filter rule (rule_name, loc) */
    NS_HOST_EV_FILTER_REMOVED,
    NS_HOST_EV_ROUTE_ADDED,    /* a static route (route_*, loc) */
    NS_HOST_EV_ROUTE_REMOVED,  /* a route went (route_net, route_prefix; route_missing) */
} NsHostEvent;

/* NAT: what a translation was. */
typedef enum {
    NS_NAT_EV_MAPPED,         /* a datagram of a known mapping, either way */
    NS_NAT_EV_NEW_MASQUERADE, /* the first datagram: a new source mapping */
    NS_NAT_EV_NEW_FORWARD,    /* the first datagram: a new port forward */
    NS_NAT_EV_ICMP_ERROR,     /* an ICMP error about a mapping, quote included */
} NsNatEvent;

/* APP: which step, where a sink says more about some (most are plain
 * steps: `what` names the verb). */
typedef enum {
    NS_APP_EV_STEP,
    NS_APP_EV_SOCKET,     /* a socket is created */
    NS_APP_EV_PING_START, /* ping starts: dst is the target */
} NsAppEvent;

/* What a targeted fault of the scenario did. */
typedef enum { NS_FAULT_NONE, NS_FAULT_DROP, NS_FAULT_DELAY, NS_FAULT_DUPLICATE } NsFaultAction;

/* EXPECT: the verdict. */
typedef enum { NS_VERDICT_PASS, NS_VERDICT_FAIL } NsVerdict;

/* A place in a scenario file. */
typedef struct {
    const char *file; /* NULL: none */
    uint32_t line;
} NsTraceLoc;

/* One event. Strings and byte views are borrowed (transfer none): a sink
 * copies what it keeps. Fields a kind does not use stay zero/NULL. */
typedef struct {
    NsTime time;
    NsTraceKind kind;
    const char *host;  /* the node where it happens, or NULL */
    /* link or network name (FRAME, DROP on a link, LINK, ARP); for APP, the
     * named program a socket step runs in */
    const char *where;
    /* APP: the step's verb and the rest of its line; LINK set: the options;
     * EXPECT: what was checked. Other kinds carry their facts below. */
    const char *what;
    const char *text;
    const char *summary; /* decoded payload: "DNS A? www.example.com" */
    int err;             /* errno value, 0 for none */

    /* The socket the event is about: ids number the sockets of a run from
     * 1 in creation order (0: none); parent_id is the listener an accepted
     * socket came from. Set on SOCK, TCP, TIMER and socket ICMP events. */
    uint32_t sock_id, parent_id;

    /* Packet or socket identity (host byte order). proto is an IP protocol
     * number, 0 when the event concerns no packet or socket. */
    uint8_t proto;
    uint32_t src, dst;
    uint16_t sport, dport;

    /* Packet details for SEND/RECV/FWD/DROP. */
    uint8_t ttl;
    uint32_t ip_len;      /* IP datagram length */
    uint32_t payload_len; /* transport payload bytes (a fragment: its data bytes) */
    /* A fragment (IPv4: MF set or a non-zero offset; IPv6: a Fragment
     * header): its datagram's ID, where its data starts in the datagram
     * (bytes), and whether more fragments follow. Its transport fields
     * (proto: the datagram's) are set only on the first fragment. */
    bool frag, frag_mf;
    uint16_t frag_off;
    uint32_t ip_id;
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;

    /* TCP segment fields. tcp_flags is always set for a TCP packet;
     * seq/ack (relative to the ISNs), win and options only when has_seq,
     * i.e. when the TCP layer itself reported the segment. */
    uint8_t tcp_flags;
    bool has_seq;
    uint32_t seq, ack, win;
    const char *options;

    /* The typed facts, by kind. */
    NsAppEvent app_ev;      /* APP */
    NsSockOp sock_op;       /* SOCK */
    bool ephemeral;         /* SOCK bound: the host chose the port */
    NsTcpEvent tcp_ev;      /* TCP */
    NsTcpState tcp_from, tcp_to;  /* TCP state */
    NsTcpCaState ca_from, ca_to;  /* TCP congestion */
    uint32_t cwnd, ssthresh, mss; /* TCP cwnd, CC (bytes) */
    uint32_t in_flight;     /* CC: bytes sent and not yet acknowledged */
    NsTime srtt, rto;       /* CC: smoothed RTT (0: no sample yet), retransmission timeout */
    NsTraceCause cause;     /* TCP */
    NsSendWhy send_why;     /* SEND */
    NsDropReason drop;      /* DROP */
    NsFaultAction fault;    /* DROP/SEND by a targeted fault: the action, */
    const char *fault_rule; /* the rule as written ("tcp syn#1"), */
    NsTraceLoc loc;         /* and where (also EXPECT: the expectation) */
    NsTimerOp timer_op;     /* TIMER */
    NsTimerKind timer;
    NsTime duration;        /* TIMER armed: how long */
    NsArpEvent arp_ev;      /* ARP */
    bool unicast;
    uint8_t mac[6];
    uint32_t count;         /* ARP: datagrams released, requests sent; HOST crash: sockets lost */
    NsIcmpEvent icmp_ev;    /* ICMP */
    NsLinkEvent link_ev;    /* LINK */
    NsHostEvent host_ev;    /* HOST */
    NsVerdict verdict;      /* EXPECT */
    const char *rule_name;  /* DROP by a filter, HOST filter: the rule's name or NULL (with loc) */
    uint32_t route_net, route_via; /* HOST route: the prefix and next hop (0: none) */
    uint8_t route_prefix;
    bool route_missing;     /* HOST route removed: there was no such route */
    /* HOST route of IPv6 (borrowed, 16 bytes): the prefix, and the next
     * hop or NULL; route_net6 NULL for an IPv4 route */
    const uint8_t *route_net6, *route_via6;
    NsNatEvent nat_ev;      /* NAT: what it was, and the tuple after translation */
    uint32_t nat_src, nat_dst; /* (the tuple before: src, dst, sport, dport; */
    uint16_t nat_sport, nat_dport; /* ICMP echo ids as ports) */

    /* IPv6: the packet's or socket's addresses (16 bytes each, network
     * order, borrowed), given instead of src and dst; NDP: target6 too. */
    const uint8_t *src6, *dst6, *target6;
    NsNdpEvent ndp_ev;      /* NDP */
    NsNeighState neigh_from, neigh_to; /* NDP state */

    /* Raw bytes: the Ethernet frame for FRAME, else the IP datagram. */
    const uint8_t *bytes;
    size_t bytes_len;
    NsTraceDir dir;
    uint32_t ifindex; /* FRAME: interface number on `host` */
} NsTraceEvent;

typedef struct NsTracer NsTracer;

/* A sink: write each event; flush/close at the end of the run. close may
 * fail (e.g. a full disk) and report it. Sinks own `self`. */
typedef struct {
    const char *name;
    void (*write)(void *self, const NsTraceEvent *ev);
    bool (*close)(void *self, GError **error);
    void (*free)(void *self);
} NsTraceSinkOps;

NsTracer *ns_tracer_new(void);
/* Frees the tracer and its sinks (without closing them). */
void ns_tracer_free(NsTracer *tracer);

/* Subscribe a sink to the kinds in `mask`. The tracer takes ownership. */
void ns_tracer_add_sink(NsTracer *tracer, const NsTraceSinkOps *ops, void *self, uint32_t mask);
/* The same for a sink that reads a packet's headers (its event's fields,
 * and ev->bytes only up to the transport header's end) and never its
 * payload bytes, as the text trace: while only such sinks want the
 * packet kinds, senders may leave a payload of the known pattern unmade
 * (see ns_tracer_payload_kinds). */
void ns_tracer_add_header_sink(NsTracer *tracer, const NsTraceSinkOps *ops, void *self,
                               uint32_t mask);

/* The kinds a tracer delivers at all, whatever its sinks ask for: every
 * kind but the congestion samples unless asked (they are many). */
#define NS_TRACE_DEFAULT_KINDS (NS_TRACE_MASK_ALL & ~NS_TRACE_MASK(NS_TRACE_CC))
void ns_tracer_set_kinds(NsTracer *tracer, uint32_t enabled);

/* Close every sink in order; the first failure is reported, all are closed. */
bool ns_tracer_close(NsTracer *tracer, GError **error);

/* Deliver an event to every sink subscribed to its kind. */
void ns_trace_emit(NsTracer *tracer, const NsTraceEvent *ev);

/* True when some sink wants `kind`: check before building an event. */
static inline bool ns_tracer_wants(const NsTracer *tracer, NsTraceKind kind);

struct NsTracerPublic {
    uint32_t mask;
    uint32_t payload_mask; /* the kinds some sink reads payload bytes of */
};

static inline bool ns_tracer_wants(const NsTracer *tracer, NsTraceKind kind)
{
    return tracer && (((const struct NsTracerPublic *)(const void *)tracer)->mask &
                      NS_TRACE_MASK(kind)) != 0;
}

/* The kinds some sink wants (NULL: none). */
static inline uint32_t ns_tracer_kinds(const NsTracer *tracer)
{
    return tracer ? ((const struct NsTracerPublic *)(const void *)tracer)->mask : 0;
}

/* The kinds of event whose packets' payload bytes some sink reads (a
 * capture, the page): NULL reads none. */
static inline uint32_t ns_tracer_payload_kinds(const NsTracer *tracer)
{
    return tracer ? ((const struct NsTracerPublic *)(const void *)tracer)->payload_mask : 0;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsTracer, ns_tracer_free)

/* The symbolic name of an errno value ("ECONNREFUSED"), or NULL. */
const char *ns_errno_name(int err);
/* A neighbour cache state as `ip neigh` writes it ("REACHABLE"). */
const char *ns_neigh_state_name(NsNeighState state);
/* The value of an errno name, or 0. */
int ns_errno_from_name(const char *name);
