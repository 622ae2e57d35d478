/* The packet's fields: its buffer, its queue link and the scratch notes
 * layers leave for each other. Private to the simulator's layers. */
#pragma once

#include "netsim/packet.h"
#include "netsim/trace.h"

/* The receiving interface vouches for the transport checksum (receive
 * checksum offload, as real NICs and Linux's veth do): set on frames that
 * crossed a simulated link, whose bytes no model ever alters. */
#define NS_PACKET_RX_CSUM_OK 0x01
/* `note` is filled in (see NsPacketNote). */
#define NS_PACKET_NOTED 0x02
/* The packet's tail (its last pat_len bytes, the marked pattern bytes) is
 * not in buf: the sender kept it as (phase, length) and a reader that
 * needs the bytes makes them with ns_packet_bytes(). See ns_packet_new_lazy. */
#define NS_PACKET_LAZY 0x04
/* The receiver is lent the packet for the length of one call, not given
 * it: a flooded frame shown to each port of a network in turn. It may read
 * it (and make its bytes whole: that changes how they are stored, not what
 * they are); to keep or change it, it takes its own with ns_packet_keep(),
 * and when done it calls ns_packet_release(), never ns_packet_free(). */
#define NS_PACKET_LENT 0x08

/* What the transport that built (or accepted) a datagram knows of it and
 * its bytes do not say, for IP's SEND/RECV trace event: the socket, why it
 * was sent, and for TCP the sequence numbers relative to the connection's
 * ISNs and the scale of its window. Written only when a sink wants the
 * event (NS_PACKET_NOTED then set); IP clears the flag on arrival. */
typedef struct {
    uint32_t sock_id, parent_id; /* 0: none */
    uint32_t seq, ack;           /* relative, when has_seq */
    uint8_t why;                 /* NsSendWhy of a sent segment */
    uint8_t win_shift;           /* window as the receiver reads it: raw << win_shift */
    bool has_seq;
} NsPacketNote;

struct NsPacket {
    NsPacket *next;     /* link for whichever queue holds the packet now */
    NsPacketPool *pool; /* where the buffer returns on free */
    uint8_t *data;      /* first byte of the current header */
    uint8_t *buf;       /* the bytes: room, or the room of another block lent
                         * to the packet (made whole, or moved for more room
                         * in front) */
    uint64_t id;        /* unique per pool, in allocation order (for traces) */
    uint32_t len;       /* bytes from data to the end of the packet */
    uint32_t cap;       /* size of buf */
    uint32_t meta;      /* owner-defined (e.g. ingress interface index) */
    uint32_t peer_addr; /* a receive queue's note of the sender */
    /* The sender's word that bytes pat_at.. of buf (pat_len of them, 0:
     * none) are the payload pattern from phase pat_phase (netsim/pattern.h),
     * so that a receiver need not compare them; see ns_packet_pattern. */
    uint32_t pat_at, pat_len;
    NsPacketNote note;  /* valid when flags has NS_PACKET_NOTED */
    uint16_t peer_port;
    uint8_t flags;      /* NS_PACKET_* */
    uint8_t cls;        /* size class */
    uint8_t pat_phase;
    uint8_t room[];     /* 96 bytes in: a header's block is 192 */
};

/* (transfer full) a packet of hlen + pat_len bytes whose last pat_len bytes
 * are the payload pattern from `phase`, marked so (ns_packet_pattern) and
 * not stored: its buffer holds only its headroom and the hlen bytes in
 * front of them, so a frame of pattern payload in a link queue or on the
 * wire costs its headers. Only its first hlen bytes (and the headers pushed
 * in front of them) may be read or written through p->data; a reader of
 * the rest calls ns_packet_bytes() first. Pushing, pulling (in front of
 * the tail) and trimming work as on any packet. */
NsPacket *ns_packet_new_lazy(NsPacketPool *pool, size_t headroom, size_t hlen, uint32_t pat_len,
                             uint32_t phase);

/* Whether p's tail is still unmade (NS_PACKET_LAZY). */
static inline bool ns_packet_is_lazy(const NsPacket *p)
{
    return (p->flags & NS_PACKET_LAZY) != 0;
}

/* Whether p is only lent to the caller (NS_PACKET_LENT). */
static inline bool ns_packet_is_lent(const NsPacket *p)
{
    return (p->flags & NS_PACKET_LENT) != 0;
}

/* (transfer full) the packet a receiver keeps or changes: p itself when it
 * was given, a copy when it is only lent (copy on keep: the receivers that
 * only read a flooded frame make none). */
static inline NsPacket *ns_packet_keep(NsPacket *p)
{
    return ns_packet_is_lent(p) ? ns_packet_copy(p) : p;
}

/* A receiver is done with p: freed when it was given, left to the lender
 * when it was lent. */
static inline void ns_packet_release(NsPacket *p)
{
    if (!ns_packet_is_lent(p))
        ns_packet_free(p);
}

/* Make p whole (a lazy packet's tail is made from the pattern into a
 * buffer of its full size; the bytes in front are copied; offsets into buf
 * keep their meaning, pointers into it do not) and return p->data. Any
 * packet may be passed: a whole one is returned as it is. */
uint8_t *ns_packet_bytes(NsPacket *p);

/* Kinds of trace event whose sinks may read a packet's bytes: while a
 * sink that reads payloads (not only headers, as the text trace does)
 * wants one of them, senders build whole packets (that sink reads each). */
#define NS_PACKET_BYTE_KINDS                                                                   \
    (NS_TRACE_MASK(NS_TRACE_SEND) | NS_TRACE_MASK(NS_TRACE_RECV) | NS_TRACE_MASK(NS_TRACE_FWD) | \
     NS_TRACE_MASK(NS_TRACE_DROP) | NS_TRACE_MASK(NS_TRACE_ICMP) | NS_TRACE_MASK(NS_TRACE_FRAME) | \
     NS_TRACE_MASK(NS_TRACE_NAT) | NS_TRACE_MASK(NS_TRACE_ARP) | NS_TRACE_MASK(NS_TRACE_NDP))

/* Whether a sender may build lazy packets under `tracer` (NULL: yes). */
static inline bool ns_packet_lazy_ok(const NsTracer *tracer)
{
    return (ns_tracer_payload_kinds(tracer) & NS_PACKET_BYTE_KINDS) == 0;
}

/* Mark the len bytes at `data` (inside p) as the payload pattern from
 * `phase`: a new packet, a copy included, carries no mark. */
void ns_packet_mark_pattern(NsPacket *p, const uint8_t *data, uint32_t len, uint32_t phase);
/* Whether the len bytes at `data` (inside p) lie in p's marked pattern
 * bytes, and then their phase. Only a frame that crossed a simulated link
 * (NS_PACKET_RX_CSUM_OK: its bytes are the sender's) is taken at its word. */
bool ns_packet_pattern(const NsPacket *p, const uint8_t *data, uint32_t len, uint32_t *phase);
