/* The trace plumbing every layer of one run shares (the engine, the trace
 * stream, the packet pool, the seed, the payload decoder and the socket-id
 * counter), seen only by the simulator's layers. A program using the library
 * holds an NsCtx by pointer (ns_net_ctx) and never looks inside. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct NsCtx {
    NsSim *sim;
    NsTracer *tracer; /* may have no sinks: check ns_tracer_wants() */
    NsPacketPool *pool;
    uint64_t seed;
    NsPayloadDecoder decoder; /* may be NULL */
    void *decoder_data;
    uint32_t sock_ids; /* socket ids given out so far */
};

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
