/* Test fixture for the network layers: an engine, a packet pool and a
 * tracer whose capture sink keeps every event, so tests can assert on what
 * the layers reported. */
#pragma once

#include "netsim-private/ctx.h"
#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/link.h"
#include "netsim/socket.h"

typedef struct {
    NsTraceKind kind;
    NsTime time;
    char *host, *where, *what, *text;
    /* The typed reason (fx_why()): a DROP's NsDropReason, a TCP event's
     * NsTraceCause, whether a SOCK bind chose an ephemeral port. */
    int why;
    uint8_t proto, icmp_type, icmp_code, ttl;
    uint32_t src, dst;
    uint16_t sport, dport;
    int err;
} CapturedEvent;

typedef struct {
    NsCtx ctx;
    GArray *events; /* CapturedEvent */
    GPtrArray *hosts;
    GPtrArray *segs;
} NetFixture;

extern NetFixture fx;

void fx_setup(uint64_t seed);
void fx_teardown(void);

/* Build helpers: a segment, a host with IP and sockets, an interface. */
NsSegment *fx_network(const char *name, NsTime delay);
NsSegment *fx_segment(const char *name, bool network, const NsLinkOpts *opts);
NsHost *fx_host(const char *name, bool router, NsProfile profile);
void fx_addr(NsHost *h, const char *addr, uint8_t prefix, NsSegment *seg);
void fx_routes(void);

uint32_t fx_ip(const char *dotted);
/* Events of a kind, optionally with a given cause (substring). */
/* Events of `kind` with the typed reason `why` (FX_ANY: all of them). */
#define FX_ANY (-1)
/* An NDP event's reason is its NsNdpEvent; a state change's, this. */
#define FX_NDP_STATE(to) (100 + (int)(to))
uint32_t fx_count(NsTraceKind kind, int why);
const CapturedEvent *fx_find(NsTraceKind kind, int why);
void fx_run(NsTime until);
