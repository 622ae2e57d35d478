/* The trace plumbing every layer of one run shares (the engine, the trace
 * stream, the packet pool, the seed, the payload decoder and the socket-id
 * counter), seen only by the simulator's layers. A program using the library
 * holds an NsCtx by pointer (ns_net_ctx) and never looks inside. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/ctx.h"
#include "netsim/packet.h"
#include "netsim/sim.h"
#include "netsim/trace.h"

/* Decodes a transport payload into a short summary for traces ("DNS A?
 * www.example.com", "HTTP GET /"), writing it into buf; returns false when
 * it does not recognise the payload. Installed by the layer that knows the
 * applications, called by transports only when a sink wants the event. */
typedef bool (*NsPayloadDecoder)(void *data, uint8_t proto, uint16_t sport, uint16_t dport,
                                 const uint8_t *payload, size_t len, char *buf, size_t buflen);

/* Memory for the objects a network keeps from its building to its end
 * (hosts with their first interface, a router's other interfaces,
 * segments, IP layers, socket layers, transport tables): carved in order
 * from blocks (4 KiB, doubling to 64 KiB) the network frees together at
 * its end, without the malloc header and rounding each would cost on its
 * own (8 to 16 bytes apiece; a client host of W3 holds eight such
 * objects). Nothing in it is
 * freed earlier. A context without an arena (the layers' test fixtures)
 * gives each object its own allocation, as g_malloc0. */
typedef struct NsArenaBlock {
    struct NsArenaBlock *prev;
} NsArenaBlock;

typedef struct {
    NsArenaBlock *last; /* the block being carved; prev: the full ones */
    char *next, *end;   /* its free part */
    size_t block;       /* the last block's size: 4 KiB, doubling to 64 KiB */
} NsArena;

#define NS_ARENA_BLOCK (64u * 1024u)

struct NsCtx {
    NsSim *sim;
    NsTracer *tracer; /* may have no sinks: check ns_tracer_wants() */
    NsPacketPool *pool;
    uint64_t seed;
    NsPayloadDecoder decoder; /* may be NULL */
    void *decoder_data;
    uint32_t sock_ids; /* socket ids given out so far */
    NsArena *arena;    /* NULL: each object its own allocation */
};

/* `size` zeroed bytes (8-byte aligned) that live as long as ctx's network:
 * release them with ns_ctx_release(), which frees them only when they are
 * not in the arena. */
static inline void *ns_ctx_alloc0(NsCtx *ctx, size_t size)
{
    NsArena *a = ctx->arena;
    if (!a)
        return g_malloc0(size);
    size = (size + 7) & ~(size_t)7;
    if ((size_t)(a->end - a->next) < size) {
        /* A new block (zeroed: its objects need no memset of their own);
         * the old one's tail, smaller than this object, stays unused. */
        size_t hdr = (sizeof(NsArenaBlock) + 7) & ~(size_t)7;
        /* Small first (two hosts need a page, not 64 KiB of zeroed
         * memory), doubling up to NS_ARENA_BLOCK. */
        size_t want = a->block ? MIN(a->block * 2, NS_ARENA_BLOCK) : 4096;
        size_t bytes = hdr + size > want ? hdr + size : want;
        a->block = want;
        NsArenaBlock *b = g_malloc0(bytes);
        b->prev = a->last;
        a->last = b;
        a->next = (char *)b + hdr;
        a->end = (char *)b + bytes;
    }
    void *p = a->next;
    a->next += size;
    return p;
}

static inline void ns_ctx_release(NsCtx *ctx, void *p)
{
    if (!ctx->arena)
        g_free(p);
}

/* Make room for one more pointer in an array that starts as one slot
 * inside its owner (ARR == &ONE: most owners never hold a second) and
 * grows by doubling on the heap once it has N == CAP entries. The owner
 * frees ARR when it is not &ONE. */
#define NS_ONE_SLOT_RESERVE(arr, one, n, cap)                                                 \
    do {                                                                                      \
        if ((n) == (cap)) {                                                                   \
            (cap) *= 2;                                                                       \
            if ((arr) == &(one)) {                                                            \
                (arr) = g_new(__typeof__(one), (cap));                                        \
                (arr)[0] = (one);                                                             \
            } else {                                                                          \
                (arr) = g_renew(__typeof__(one), (arr), (cap));                               \
            }                                                                                 \
        }                                                                                     \
    } while (0)

/* Free every block of an arena (and the arena). */
static inline void ns_arena_free(NsArena *a)
{
    if (!a)
        return;
    while (a->last) {
        NsArenaBlock *b = a->last;
        a->last = b->prev;
        g_free(b);
    }
    g_free(a);
}

/* The id of a new socket: 1, 2, ... in creation order for the run. */
static inline uint32_t ns_ctx_sock_id(NsCtx *ctx)
{
    return ++ctx->sock_ids;
}

/* Run ctx's decoder if any; buf[0] is 0 when nothing was recognised. */
static inline const char *ns_ctx_decode(const NsCtx *ctx, uint8_t proto, uint16_t sport,
                                        uint16_t dport, const uint8_t *payload, size_t len,
                                        char *buf, size_t buflen)
{
    buf[0] = 0;
    if (!ctx->decoder || !ctx->decoder(ctx->decoder_data, proto, sport, dport, payload, len, buf,
                                       buflen))
        return NULL;
    return buf;
}
