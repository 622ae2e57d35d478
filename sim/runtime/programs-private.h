/* The scenario's socket programs (program.c): their own type, the
 * programs of each host and the scenario's sockets they hold. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/socket.h"
#include "netsim/world.h"

typedef struct NsWorld NsWorld;
typedef struct NsPrograms NsPrograms;

typedef struct {
    NsSocket *sock; /* NULL before `socket`, after `close`, or after a crash */
    int last_err; /* errno of the latest call on it that failed, 0 if none */
    uint64_t received;
    /* The 4-tuple it last had, to find a closed TCP socket's connection
     * still finishing (FIN-WAIT, TIME-WAIT) for `expect ... state`. */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    bool was_tcp;
    bool v6; /* of the IPv6 family: its ends in laddr6/raddr6 */
    NsIpv6Addr laddr6, raddr6;
} SockRt;

/* (transfer full) every host's own program, then the named ones, each
 * with its socket steps in file order; not started. */
NsPrograms *ns_programs_new(NsWorld *w, uint32_t n_hosts);
void ns_programs_free(NsPrograms *ps);
/* Each program's first step, host by host, the host's own program first. */
void ns_programs_start(NsPrograms *ps);
/* The host crashed: its sockets are gone, its blocked programs die. */
void ns_programs_host_crashed(NsPrograms *ps, uint32_t host);
/* At the end: trace the programs still waiting. */
void ns_programs_report(NsPrograms *ps);
/* Report every call from now on to fn (ns_world_watch_calls). */
void ns_programs_watch_calls(NsPrograms *ps, NsWorldSockCallFn fn, void *data);
/* The scenario's socket i, as the programs left it. */
const SockRt *ns_programs_sock(const NsPrograms *ps, uint32_t i);
