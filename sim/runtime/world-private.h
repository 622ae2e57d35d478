/* The world's runtime state, shared by the files of sim/runtime. */
#pragma once

#include "netsim/wire/ipv6.h"

#include "netsim/app.h"
#include "netsim-private/ctx.h"
#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/link.h"
#include "netsim/net.h"
#include "netsim/socket.h"
#include "netsim/world.h"
#include "apps-private.h"
#include "flows-private.h"
#include "programs-private.h"
#include "services-private.h"
#include "steps-private.h"
#include "streams-private.h"
#include "targeted-private.h"

#include <string.h>

/* The name a trace gives the scenario file of a line: its last path
 * component, so that a trace does not depend on the directory it was run
 * from (golden traces compare byte for byte). */
static inline const char *ns_world_file_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

typedef struct NsWorld NsWorld;

/* The expectations' verdicts so far (expect.c). */
typedef struct {
    uint32_t checked, failed;
} NsExpectTally;
typedef struct NsQuestions NsQuestions;

typedef struct {
    NsWorld *w;
    uint32_t idx;
    NsHost *host;
} HostRt;

struct NsWorld {
    const NsScenario *scn;
    NsWorldOpts opts;
    NsNet *net;  /* the network, built through the public builder */
    NsCtx *ctx;  /* the network's */
    NsSegment **segs;
    uint32_t n_segs;
    HostRt *hosts;
    uint32_t n_hosts;
    NsPrograms *progs;    /* the socket programs and their sockets */
    NsServices *services; /* the scenario's services' servers */
    NsApps *apps;         /* the applications: servers' names, steps */
    NsStreams *streams;   /* NULL unless some `expect delivered all` */
    NsSteps *steps;       /* the ping and udp-send steps */
    NsTargeted *targeted; /* the scenario's targeted faults; NULL if none */
    NsFlows *flows;       /* the summary's flow counters */
    NsExpectTally expects; /* expect.c's verdicts so far */
    NsQuestions *questions; /* the `question` lines' answers */
    uint8_t *pattern;
    uint64_t pattern_len;
    NsSimResult result;
    uint64_t memory_seen; /* resident bytes when NS_SIM_MEMORY ended the run */
};

/* world.c: helpers the modules share. */
char *ns_world_payload_text(const NsScnPayload *p);
void ns_world_trace_app(NsWorld *w, uint32_t host, const char *what, const char *text, int err);
/* The same, for a step a sink says more about (socket creation, a ping). */
void ns_world_trace_app_ev(NsWorld *w, uint32_t host, NsAppEvent ae, uint32_t dst,
                           const char *what, const char *text, int err);
void ns_world_trace_appf(NsWorld *w, uint32_t host, const char *what, int err, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
void ns_world_fmt_ep(char *buf, size_t n, uint32_t addr, uint16_t port);
/* A scenario's endpoint as written back: "10.0.0.2:80", "[2001:db8::2]:80",
 * ":80" (any address), "[::]:80" (any address, IPv6 socket). */
void ns_world_fmt_scn_ep(char *buf, size_t n, const NsScnEndpoint *ep);
/* Bind, connect or send to a scenario's endpoint: the IPv6 calls for an
 * address written in brackets. Return 0 or -errno, as the socket API. */
int ns_world_sock_bind(NsSocket *sock, const NsScnEndpoint *ep);
int ns_world_sock_connect(NsSocket *sock, const NsScnEndpoint *ep);
int ns_world_sock_sendto(NsSocket *sock, const uint8_t *data, size_t len,
                         const NsScnEndpoint *ep);
const char *ns_world_sock_name(const NsWorld *w, uint32_t sock);

/* netfilter.c: the scenario's filter rules and NAT on the hosts. */
void ns_world_netfilter_setup(NsWorld *w);
void ns_world_filter_step(NsWorld *w, const NsScnStep *st);
/* `expect H route ...` and `expect H nat mappings N`: the verdict, and its
 * text in *text (transfer full). */
bool ns_world_check_tables(NsWorld *w, const NsScnExpect *e, char **text);
/* Filter rules (with hits) and conntrack flows of every host that has
 * any, one line each after `indent` (transfer full; "" if none). */
char *ns_world_netfilter_tables(const NsWorld *w, const char *indent);

/* routes.c: the scenario's static routes, at the start and on the timeline. */
void ns_world_routes_setup(NsWorld *w);
void ns_world_route_step(NsWorld *w, const NsScnStep *st);

const uint8_t *ns_world_payload_bytes(NsWorld *w, const NsScnPayload *p);

/* services.c: the scenario's services, through apps.c. */

/* topology.c: segments, hosts, addresses, IP and socket layers, routes. */
void ns_world_link_opts(NsLinkOpts *o, const NsScnLinkOpts *s);
void ns_world_build_topology(NsWorld *w);

/* steps.c: an application step (an event: arg is the step index). */
void ns_world_app_run(NsSim *sim, void *obj, void *arg);
/* A target's address as text: dotted IPv4 or RFC 5952 IPv6. */
void ns_world_target_format(const NsScnEndpoint *t, char out[NS_IPV6_STRLEN]);

/* faults.c: a fault step (an event: arg is the step index). */
void ns_world_fault_run(NsSim *sim, void *obj, void *arg);

/* expect.c: expectations at their time (an event: arg is the expectation
 * index) and at the end of the run. */
void ns_world_expect_at(NsSim *sim, void *obj, void *arg);
void ns_world_expect_end(NsWorld *w, const NsScnExpect *e);
/* What expectations and questions look at: a scenario socket's TCP state
 * (-1: not TCP), its local port (0: none), a host's sockets by state. */
int ns_world_sock_tcp_state(NsWorld *w, uint32_t host, const SockRt *s);
uint16_t ns_world_sock_port(const SockRt *s);
void ns_world_count_sockets(NsWorld *w, uint32_t host, int counts[NS_SCN_TCP_N_STATES], int *udp);

/* questions.c: the `question` lines, answered at their time (scheduled by
 * ns_questions_new) or at the end; its own type. */
typedef struct NsQuestions NsQuestions;
NsQuestions *ns_questions_new(NsWorld *w);
void ns_questions_end(NsQuestions *qs);
void ns_questions_free(NsQuestions *qs);
const char *ns_questions_answer(const NsQuestions *qs, uint32_t i);
