/* The world's runtime state, shared by the files of sim/runtime. */
#pragma once

#include "netsim/ctx.h"
#include "netsim/host.h"
#include "netsim/link.h"
#include "netsim/socket.h"
#include "netsim/world.h"

typedef struct NsWorld NsWorld;

typedef struct {
    NsWorld *w;
    uint32_t idx;
    NsHost *host;
    GArray *program; /* uint32 step indices: the host's socket verbs, file order */
    guint pc;
    bool blocked;
    NsEventId timer;
    NsSocketWatchFn watch_fn;
    uint32_t ping_ids;
} HostRt;

typedef struct {
    NsSocket *sock; /* NULL before `socket`, after `close`, or after a crash */
    int last_err;
    uint64_t received;
} SockRt;

typedef struct {
    uint32_t index; /* service in the scenario */
    int app;
    NsSocket *sock;
} ServiceRt;

typedef struct {
    NsWorld *w;
    uint32_t step, host;
    uint16_t id;
    uint32_t sent, received, errors;
    GArray *sent_at; /* NsTime per seq */
    NsEventId timer;
    bool done;
} PingRt;

typedef struct {
    NsWorld *w;
    uint32_t host;
    NsSocket *sock;
    NsEventId timer;
} UdpSendRt;

typedef struct {
    uint32_t index; /* fault in the scenario */
    uint32_t seen;
    bool fired;
    char *why;
} FaultRt;

typedef struct {
    uint8_t proto;
    uint32_t a, b; /* a:pa is the side that sent first */
    uint16_t pa, pb;
    uint64_t pkts[2], bytes[2], drops;
} Flow;

struct NsWorld {
    const NsScenario *scn;
    NsWorldOpts opts;
    NsCtx ctx;
    NsSegment **segs;
    uint32_t n_segs;
    HostRt *hosts;
    uint32_t n_hosts;
    GPtrArray *host_list; /* NsHost*, declaration order */
    SockRt *socks;        /* per scenario socket */
    GArray *services;     /* ServiceRt */
    GPtrArray *pings;     /* PingRt* */
    GPtrArray *udp_sends; /* UdpSendRt* */
    GArray *faults;       /* FaultRt */
    GArray *flows;        /* Flow, first-seen order */
    GHashTable *flow_idx; /* key string -> index + 1 */
    uint32_t expect_failed, expect_count;
    uint8_t *pattern;
    uint64_t pattern_len;
    NsSimResult result;
};

char *ns_world_payload_text(const NsScnPayload *p);
