/* Packet buffers: one contiguous buffer per frame with headroom, so each
 * layer prepends its header in place (BSD mbuf / lwIP pbuf, simplified).
 * Buffers come from a pool with free lists: the packet path does not malloc
 * once the pool has reached the run's high-water mark. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* Room reserved in front of a transport payload: Ethernet (14) + IPv4 with
 * options (60) + TCP with options (60), rounded up. */
#define NS_PACKET_HEADROOM 160

/* Room a transport that knows its datagram's family leaves in front of its
 * header: Ethernet (14) and an IPv4 (20) or IPv6 (40) header without
 * options, all that IP and the link push in front of what it built, so
 * that a frame's buffer is no bigger than its headers. A push past the
 * room moves the packet to a bigger buffer: a size, not a limit. */
#define NS_PACKET_ROOM_IPV4 34
#define NS_PACKET_ROOM_IPV6 54

typedef struct NsPacketPool NsPacketPool;
/* A frame in flight; its fields are the simulator's own. */
typedef struct NsPacket NsPacket;

/* (transfer full) an empty pool. Freeing it frees every packet it made,
 * including those still in flight when a run stops early. */
NsPacketPool *ns_packet_pool_new(void);
void ns_packet_pool_free(NsPacketPool *pool);

/* (transfer full) a packet of `len` bytes (contents unspecified) starting
 * `headroom` bytes into its buffer. Aborts only on out-of-memory, as GLib. */
NsPacket *ns_packet_new(NsPacketPool *pool, size_t headroom, size_t len);

/* (transfer full) a copy of p with the same headroom and a new id. */
NsPacket *ns_packet_copy(const NsPacket *p);

/* Return p to its pool. NULL is ignored. */
void ns_packet_free(NsPacket *p);

/* Grow the packet at the front by n bytes (for a header); returns the new
 * start. Without n bytes of headroom left, the packet's bytes are first
 * moved to a buffer with NS_PACKET_HEADROOM more (pointers into the old
 * one no longer hold). */
uint8_t *ns_packet_push(NsPacket *p, size_t n);

/* Remove n bytes from the front (n <= len). */
void ns_packet_pull(NsPacket *p, size_t n);

/* Cut the packet to len bytes (len <= p->len), e.g. to drop link padding. */
void ns_packet_trim(NsPacket *p, size_t len);

/* Bytes in front of data still free for headers. */
size_t ns_packet_headroom(const NsPacket *p);

/* Packets currently allocated (for leak checks in tests and at exit). */
size_t ns_packet_pool_in_use(const NsPacketPool *pool);
/* Packets made so far, copies included (a test's count of copies). */
uint64_t ns_packet_pool_made(const NsPacketPool *pool);

/* A FIFO of packets linked through `next`. */
typedef struct {
    NsPacket *head, *tail;
    uint32_t count;
} NsPacketQueue;

void ns_packet_queue_push(NsPacketQueue *q, NsPacket *p);
NsPacket *ns_packet_queue_pop(NsPacketQueue *q);
/* Free every packet in the queue. */
void ns_packet_queue_clear(NsPacketQueue *q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsPacketPool, ns_packet_pool_free)
