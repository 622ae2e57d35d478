/* The packet's fields: its buffer, its queue link and the scratch notes
 * layers leave for each other. Private to the simulator's layers. */
#pragma once

#include "netsim/packet.h"

/* The receiving interface vouches for the transport checksum (receive
 * checksum offload, as real NICs and Linux's veth do): set on frames that
 * crossed a simulated link, whose bytes no model ever alters. */
#define NS_PACKET_RX_CSUM_OK 0x01
/* `note` is filled in (see NsPacketNote). */
#define NS_PACKET_NOTED 0x02

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
    uint32_t len;       /* bytes from data to the end of the packet */
    uint32_t cap;       /* size of buf */
    uint64_t id;        /* unique per pool, in allocation order (for traces) */
    uint32_t meta;      /* owner-defined (e.g. ingress interface index) */
    uint32_t peer_addr; /* a receive queue's note of the sender */
    uint16_t peer_port;
    uint8_t flags;      /* NS_PACKET_* */
    uint8_t cls;        /* size class */
    NsPacketNote note;  /* valid when flags has NS_PACKET_NOTED */
    /* The sender's word that bytes pat_at.. of buf (pat_len of them, 0:
     * none) are the payload pattern from phase pat_phase (netsim/pattern.h),
     * so that a receiver need not compare them; see ns_packet_pattern. */
    uint32_t pat_at, pat_len;
    uint8_t pat_phase;
    uint8_t buf[];
};

/* Mark the len bytes at `data` (inside p) as the payload pattern from
 * `phase`: a new packet, a copy included, carries no mark. */
void ns_packet_mark_pattern(NsPacket *p, const uint8_t *data, uint32_t len, uint32_t phase);
/* Whether the len bytes at `data` (inside p) lie in p's marked pattern
 * bytes, and then their phase. Only a frame that crossed a simulated link
 * (NS_PACKET_RX_CSUM_OK: its bytes are the sender's) is taken at its word. */
bool ns_packet_pattern(const NsPacket *p, const uint8_t *data, uint32_t len, uint32_t *phase);
