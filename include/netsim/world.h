/* A scenario brought to life: the network it describes, its services and
 * its timeline, run on one engine with one trace stream. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/scenario.h"
#include "netsim/sim.h"
#include "netsim/socket.h"
#include "netsim/trace.h"

typedef struct NsWorld NsWorld;

#define NS_WORLD_ERROR (ns_world_error_quark())
GQuark ns_world_error_quark(void);

typedef enum {
    NS_WORLD_ERROR_LIMIT, /* a resource limit was hit (see ns_run_scenario) */
} NsWorldError;

typedef struct {
    uint64_t seed;        /* the seed to use (the file's, or --seed) */
    bool has_stop;        /* overrides the scenario's stop time */
    NsTime stop;
    uint64_t max_events;  /* 0 = no limit; reaching it is a resource limit */
    uint64_t max_memory;  /* resident bytes, checked every NS_WORLD_MEMORY_CHECK
                           * events; 0 = no limit; passing it is a resource
                           * limit (NS_SIM_MEMORY) */
    bool summary;         /* collect per-flow counters for ns_world_summary() */
    bool student;         /* the summary leaves out the answers (--student): filter
                           * rules and their hits, the expectations' counts */
    bool tables;          /* the summary lists every host's routes and ARP cache
                           * (netsim run --tables-at) */
} NsWorldOpts;

#define NS_WORLD_MEMORY_CHECK 65536u

/* The memory the process holds now (resident set), in bytes; 0 when the
 * system does not say. */
uint64_t ns_world_resident_bytes(void);
/* The resident bytes seen when NS_SIM_MEMORY ended the run. */
uint64_t ns_world_memory_seen(const NsWorld *w);

/* (transfer full) the world of `scn` (borrowed: it must outlive the world),
 * tracing into `tracer` (borrowed). Every valid scenario can be built;
 * `error` is kept for failures at build time (none today). */
NsWorld *ns_world_new(const NsScenario *scn, const NsWorldOpts *opts, NsTracer *tracer,
                      GError **error);
void ns_world_free(NsWorld *w);

/* A socket call of a scenario program (netsim run --export-pkt writes
 * them as a packetdrill script's calls): reported when it is tried (first
 * made, or tried again after it waited), then when it returns. A TCP recv
 * that waits for more also reports each time a try got bytes or the end of
 * the stream. */
typedef enum {
    NS_WORLD_CALL_TRY,  /* the call is made (or tried again: retry) */
    NS_WORLD_CALL_DONE, /* it returned (a recv: this try got bytes or the end) */
} NsWorldCallPhase;

typedef struct {
    NsWorldCallPhase phase;
    bool retry;         /* TRY: tried again after it waited */
    uint32_t step;      /* the scenario's step (ns_scn_step): verb and arguments */
    NsTime start;       /* when the call was first made */
    int err;            /* DONE: 0, or the errno it failed with */
    uint64_t bytes;     /* DONE: send: bytes written; recv: bytes this try got */
    bool eof;           /* DONE: recv: this try found the end of the stream */
    NsSocket *sock;     /* the step's socket (NULL once closed) */
    NsSocket *accepted; /* DONE: accept: the new connection */
} NsWorldSockCall;
typedef void (*NsWorldSockCallFn)(const NsWorldSockCall *call, void *data);
/* Call fn for every socket call the programs make from now on (one
 * watcher; NULL stops). */
void ns_world_watch_calls(NsWorld *w, NsWorldSockCallFn fn, void *data);

/* Run to the end (no event left, the stop time, or the event limit), then
 * evaluate the expectations. Returns how the engine stopped. */
NsSimResult ns_world_run(NsWorld *w);

NsTime ns_world_now(const NsWorld *w);
uint64_t ns_world_events(const NsWorld *w);
/* Expectations that failed / were checked. */
uint32_t ns_world_expect_failed(const NsWorld *w);
uint32_t ns_world_expect_count(const NsWorld *w);

/* The answer the run found to the scenario's question i (`question`
 * lines, in file order): a TCP state by its RFC name, an errno name or
 * "none", a number of bytes, a port, a count. NULL when the run stopped
 * before the question's time. Valid until the world is freed. */
const char *ns_world_answer(const NsWorld *w, uint32_t i);

/* The end-of-run summary: flows, hosts' socket tables, links; each line
 * starts with '#'. (transfer full) */
char *ns_world_summary(const NsWorld *w);

/* The summary as data. A flow is one per unordered pair of UDP or TCP
 * endpoints: packets and payload bytes each way (index 0: from a:pa, the
 * side that sent first), datagrams dropped, segments retransmitted. Valid
 * until the world runs again or is freed; *n is set to the count. */
typedef struct {
    uint8_t proto;
    uint32_t a, b;
    uint16_t pa, pb;
    uint64_t pkts[2], bytes[2], drops, retrans;
    bool v6; /* over IPv6: the ends are a6 and b6 (a, b 0) */
    NsIpv6Addr a6, b6;
} NsWorldFlow;
/* A flow's end as the summary writes it: "10.0.0.1:49152",
 * "[2001:db8::1]:49152". */
void ns_world_flow_end(const NsWorldFlow *f, bool b_side, char *buf, size_t n);
const NsWorldFlow *ns_world_flows(const NsWorld *w, size_t *n);

/* A host's IP counters (datagrams sent, received, forwarded, dropped). */
typedef struct {
    const char *name;
    bool up;
    uint64_t sent, received, forwarded, dropped;
} NsWorldHostStats;
/* A link's or network's counters (frames carried, dropped). */
typedef struct {
    const char *name;
    bool up;
    uint64_t frames, drops;
} NsWorldLinkStats;
/* Host i and link i in declaration order, i < the count. */
size_t ns_world_host_count(const NsWorld *w);
NsWorldHostStats ns_world_host_stats(const NsWorld *w, size_t i);
size_t ns_world_link_count(const NsWorld *w);
NsWorldLinkStats ns_world_link_stats(const NsWorld *w, size_t i);

/* Every socket of every host at the current time, host by host in
 * declaration order, in the order of ns_socket_table(). */
void ns_world_foreach_socket(const NsWorld *w,
                             void (*fn)(const char *host, bool host_up, const NsSocketRow *row,
                                        void *data),
                             void *data);

/* Socket tables of every host with sockets, like `ss -tuan`, at the current
 * time. (transfer full) */
char *ns_world_socket_tables(const NsWorld *w, const char *indent);

/* Every host's routing table (as `ip route`) and ARP cache (as `ip
 * neigh`) at the current time; with_netfilter adds the filter rules with
 * their hits and the tracked flows of the hosts that have any (not in
 * student mode). (transfer full) */
char *ns_world_host_tables(const NsWorld *w, const char *indent, bool with_netfilter);
/* Host i in declaration order, for tools that read its layers. */
NsHost *ns_world_host(const NsWorld *w, size_t i);
/* Network, link or switch i (networks, links, then switches, each in
 * declaration order; i < ns_world_link_count()). */
NsSegment *ns_world_segment(const NsWorld *w, size_t i);

/* A call at a simulated time, for tools (`netsim run --sockets-at T`).
 * The caller owns it and keeps it alive until the world is freed. */
typedef struct {
    void (*fn)(NsWorld *w, void *data);
    void *data;
} NsWorldCall;

/* Call call->fn(w, call->data) at simulated time `t` (now if earlier), after
 * the events already scheduled for that time. A pending call keeps the run
 * going until `t` (within the stop time). */
void ns_world_at(NsWorld *w, NsTime t, NsWorldCall *call);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsWorld, ns_world_free)
