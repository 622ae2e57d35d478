/* The trace-event stream: every layer reports what happens as NsTraceEvent
 * values, and every output (text, JSON Lines, pcap, diagrams) is a sink that
 * reads the same stream. Producers guard event construction with
 * ns_tracer_wants(), so a run without sinks formats nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

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
    NS_TRACE_KIND_COUNT
} NsTraceKind;

#define NS_TRACE_MASK(k) (UINT32_C(1) << (k))
#define NS_TRACE_MASK_ALL ((UINT32_C(1) << NS_TRACE_KIND_COUNT) - 1)

/* Short lower-case name of a kind ("send", "drop", ...). */
const char *ns_trace_kind_name(NsTraceKind kind);

/* Which side of a frame a FRAME event reports. */
typedef enum { NS_TRACE_DIR_NONE, NS_TRACE_DIR_OUT, NS_TRACE_DIR_IN } NsTraceDir;

/* One event. Strings and byte views are borrowed (transfer none): a sink
 * copies what it keeps. Fields a kind does not use stay zero/NULL. */
typedef struct {
    NsTime time;
    NsTraceKind kind;
    const char *host;  /* the node where it happens, or NULL */
    const char *where; /* link or network name (FRAME, DROP on a link, LINK); for
                        * APP, the named program a socket step runs in */
    const char *what;  /* the action: "fetch", "bound", "down", "request", ... */
    const char *text;  /* the rest of the line as people read it */
    const char *cause; /* why: "app connect", "link loss", "RTO", ... */
    const char *summary; /* decoded payload: "DNS A? www.example.com" */
    int err;           /* errno value, 0 for none */
    bool ok;           /* EXPECT: verdict */

    /* Packet or socket identity (host byte order). proto is an IP protocol
     * number, 0 when the event concerns no packet or socket. */
    uint8_t proto;
    uint32_t src, dst;
    uint16_t sport, dport;

    /* Packet details for SEND/RECV/FWD/DROP. */
    uint8_t ttl;
    uint32_t ip_len;      /* IP datagram length */
    uint32_t payload_len; /* transport payload bytes */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;

    /* TCP: states, and segment fields. tcp_flags is always set for a TCP
     * packet; seq/ack (relative to the ISNs), win and options only when
     * has_seq, i.e. when the TCP layer itself reported the segment. */
    const char *from, *to;
    uint8_t tcp_flags;
    bool has_seq;
    uint32_t seq, ack, win;
    const char *options;

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

/* Close every sink in order; the first failure is reported, all are closed. */
bool ns_tracer_close(NsTracer *tracer, GError **error);

/* Deliver an event to every sink subscribed to its kind. */
void ns_trace_emit(NsTracer *tracer, const NsTraceEvent *ev);

/* True when some sink wants `kind`: check before building an event. */
static inline bool ns_tracer_wants(const NsTracer *tracer, NsTraceKind kind);

struct NsTracerPublic {
    uint32_t mask;
};

static inline bool ns_tracer_wants(const NsTracer *tracer, NsTraceKind kind)
{
    return tracer && (((const struct NsTracerPublic *)(const void *)tracer)->mask &
                      NS_TRACE_MASK(kind)) != 0;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsTracer, ns_tracer_free)

/* The symbolic name of an errno value ("ECONNREFUSED"), or NULL. */
const char *ns_errno_name(int err);
/* The value of an errno name, or 0. */
int ns_errno_from_name(const char *name);
