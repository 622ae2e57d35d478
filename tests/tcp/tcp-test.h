/* Test support for the TCP suites: a connection core put into any state
 * (conn_in_state), segment templates with designated initializers, and
 * checks on what the core queued (smoltcp style). Also a two-host network
 * for the layer, fidelity and property suites. */
#pragma once

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>

#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/link.h"
#include "netsim/tcp.h"
#include "tcp-private.h"

#define LOCAL_ADDR 0x0a000001u  /* 10.0.0.1 */
#define REMOTE_ADDR 0x0a000002u /* 10.0.0.2 */
#define LOCAL_PORT 49152
#define REMOTE_PORT 80
#define LOCAL_SEQ 10000u
#define REMOTE_SEQ 50000u

#define SYN NS_TCP_SYN
#define ACK NS_TCP_ACK
#define FIN NS_TCP_FIN
#define RST NS_TCP_RST
#define PSH NS_TCP_PSH

#define UNSET (-1)

/* A segment template. seq/ack/win left UNSET take the direction's
 * defaults: from the peer seq REMOTE_SEQ+1, ack LOCAL_SEQ+1, window 65535;
 * expected from us seq LOCAL_SEQ+1, ack REMOTE_SEQ+1, window not checked. */
typedef struct {
    uint8_t flags;
    int64_t seq, ack, win;
    uint32_t len;          /* payload bytes (pattern), or strlen(data) */
    const char *data;
    int mss;               /* MSS option (peer: 0 = none) */
    bool ts;               /* peer sends TS val/ecr */
    uint32_t ts_val, ts_ecr;
    int wscale;            /* peer: -1 none */
    bool sack_perm;
    NsTcpSackBlock sack[4]; /* peer: SACK blocks (empty ones ignored) */
    NsSendWhy why;         /* expected: why it was sent (NS_SEND_NORMAL = none checked) */
} TSeg;

#define SEG(...)                                                                              \
    ((TSeg){.flags = ACK, .seq = UNSET, .ack = UNSET, .win = UNSET, .wscale = -1, __VA_ARGS__})

typedef struct {
    NsSim *sim;
    NsPacketPool *pool;
    NsCtx ctx;
    NsTcpEnv env;
    NsTcpCfg cfg; /* the profile's, with exact timers (jiffy 0) unless a
                     test restores the jiffies clock */
    NsTcpConn c;
    NsTime now;
    NsTracer *tracer; /* h_record(): the TCP and timer events, in `events` */
    GArray *events;   /* of NsTraceEvent (strings not kept) */
} Harness;

/* The harness of the running test (set up by h_setup, checked and freed by
 * h_teardown, which asserts the pool has no packet left: lwIP style). */
extern Harness *H;

void h_setup(NsProfile profile);
void h_teardown(void);
/* Record the connection's TCP and TIMER events from now on into H->events. */
void h_record(void);
/* The recorded events of `kind` (TIMER: of timer kind `timer` too), and
 * the i-th of them (NULL when fewer). */
uint32_t h_count(NsTraceKind kind, int timer);
const NsTraceEvent *h_event(NsTraceKind kind, int timer, uint32_t i);
/* Put H->c into `state` through the real arcs; nothing left queued. */
void conn_in_state(NsTcpState state);
void conn_in_state_linux(NsTcpState state);

void peer_sends(TSeg seg);
/* Move the clock and run due timers. */
void advance(NsTime dt);
/* Pop and check the next queued segment. */
bool expect_sent(TSeg want, const char *file, int line);
#define EXPECT_SENT(seg) CU_ASSERT(expect_sent((seg), __FILE__, __LINE__))
#define EXPECT_NOTHING_SENT() CU_ASSERT_EQUAL(H->c.outq.count, 0)
/* Parse the next queued segment without checking (returns false if none). */
bool pop_sent(NsTcpRepr *out, uint32_t *len);
void drain_sent(void);
/* Application calls on the core. */
uint32_t app_write(uint32_t len);
#define EXPECT_STATE(s) CU_ASSERT_EQUAL(H->c.state, (s))

/* ---- a small network: hosts joined by one link ---- */
typedef struct {
    NsSim *sim;
    NsPacketPool *pool;
    NsTracer *tracer;
    NsCtx ctx;
    NsSegment *link;
    NsHost *host[2];
    NsTcp *tcp[2];
    GPtrArray *hosts;
} Net;

Net *net_new(uint64_t seed, NsProfile p0, NsProfile p1, const NsLinkOpts *opts);
void net_free(Net *n);
/* Run until no event is left or `until`. */
void net_run(Net *n, NsTime until);

extern CU_TestInfo conn_tests[];
extern CU_TestInfo layer_tests[];
extern CU_TestInfo fidelity_tests[];
extern CU_TestInfo property_tests[];
extern CU_TestInfo sack_tests[];
extern CU_TestInfo tlp_tests[];
extern CU_TestInfo cubic_tests[];
extern CU_TestInfo rack_tests[];
extern CU_TestInfo opts_tests[];
extern CU_TestInfo rcvq_tests[];
