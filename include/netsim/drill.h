/* packetdrill scripts (.pkt) against netsim's TCP: the parser of the
 * language (ns_pkt_parse) and the runner (ns_drill_run), which plays a
 * script against one simulated host, 192.168.0.1, with the script as the
 * peer, 192.0.2.1, one link away: inbound packets are injected, outbound
 * ones are captured and matched, system calls go to the host's sockets.
 * docs/packetdrill.md describes the dialect. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "netsim/host.h"
#include "netsim/time.h"
#include "netsim/scenario.h"
#include "netsim/trace.h"
#include "netsim/world.h"

#define NS_PKT_ERROR (ns_pkt_error_quark())
GQuark ns_pkt_error_quark(void);
typedef enum { NS_PKT_ERROR_SYNTAX, NS_PKT_ERROR_LIMIT } NsPktError;

/* Limits of the front end (docs/packetdrill.md): script size and events. */
#define NS_PKT_MAX_BYTES (4u << 20)
#define NS_PKT_MAX_EVENTS 100000u
#define NS_PKT_MAX_NESTING 32u

typedef struct NsPkt NsPkt;

/* (transfer full) The script `text` (len bytes, need not end in NUL) read
 * from `name`, or NULL with a "NAME:LINE:COL: error: ..." message in
 * *error (NS_PKT_ERROR_SYNTAX; NS_PKT_ERROR_LIMIT past a limit above). */
NsPkt *ns_pkt_parse(const char *name, const char *text, size_t len, GError **error);
/* packetdrill's three flavours (--ip_version): IPv4; IPv6; AF_INET6
 * sockets with IPv4-mapped addresses and IPv4 on the wire. */
typedef enum { NS_DRILL_IPV4, NS_DRILL_IPV6, NS_DRILL_IPV4_MAPPED_IPV6 } NsDrillIpVersion;
/* As ns_pkt_parse(), for a script run in flavour `ip` unless a line of its
 * own says otherwise, as packetdrill's --ip_version on its command line. */
NsPkt *ns_pkt_parse_ip(const char *name, const char *text, size_t len, NsDrillIpVersion ip,
                       GError **error);
void ns_pkt_free(NsPkt *pkt);
uint32_t ns_pkt_event_count(const NsPkt *pkt);

typedef struct {
    NsProfile profile;   /* the stack under test (NS_PROFILE_LINUX for Linux's scripts) */
    int64_t tolerance_us; /* < 0: the script's --tolerance_usecs, else 4000 */
    NsTracer *tracer;    /* borrowed, may be NULL: netsim's own trace of the run */
    uint64_t max_events; /* 0: the default, NS_DRILL_MAX_EVENTS; past it the script fails */
    /* borrowed, may be NULL: each script line is written there as it is
     * played ("# NAME:LINE: TEXT"), so that a text trace sent to the same
     * stream shows what netsim did under the line that caused it */
    FILE *echo;
    /* (for callers that parse the scripts they run: the flavour they give
     * ns_pkt_parse_ip; ns_drill_run takes the parsed script's) */
    NsDrillIpVersion ip_version;
} NsDrillOpts;

#define NS_DRILL_MAX_EVENTS UINT64_C(100000000)

typedef struct {
    bool pass;
    uint32_t line;   /* the script line of the first mismatch (0: none) */
    char *message;   /* (owned) what was expected and what netsim did, or NULL */
    uint64_t events; /* simulated events run */
} NsDrillResult;

/* Run `pkt`; the verdict in *res (free res->message with g_free). */
void ns_drill_run(const NsPkt *pkt, const NsDrillOpts *opts, NsDrillResult *res);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsPkt, ns_pkt_free)

/* netsim run --export-pkt HOST:SOCKET OUT.pkt: what one TCP socket of a
 * scenario's run did, as a packetdrill script from its host's side (its
 * calls, and its listener's for an accepted socket; the peer's segments
 * injected, its own expected; the profile's sysctls first). */
typedef struct NsPktExport NsPktExport;

/* The scenario's socket named by "HOST:NAME" (the first socket of that
 * name on that host), or false with a message (NS_PKT_ERROR_SYNTAX): no
 * such host or socket, or a UDP socket. */
bool ns_pkt_export_find(const NsScenario *scn, const char *spec, uint32_t *sock, GError **error);
/* (transfer full) Watch socket `sock` of `world` (borrowed, as are scn and
 * tracer, which must outlive the export's use): call before the run. */
NsPktExport *ns_pkt_export_new(NsWorld *world, const NsScenario *scn, uint32_t sock,
                               NsTracer *tracer);
/* After the run: (transfer full) the script, its comment naming the
 * scenario file; NULL with a message when the socket had no connection or
 * the run was too long to export (NS_PKT_ERROR_LIMIT). */
char *ns_pkt_export_script(NsPktExport *x, const char *scenario, GError **error);
void ns_pkt_export_free(NsPktExport *x);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsPktExport, ns_pkt_export_free)
