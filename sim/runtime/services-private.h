/* The scenario's services (services.c): its own type. Each service's
 * application server (sim/app, started through apps.c) runs from time 0,
 * dies with its host and starts again when the host restarts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/scenario.h"
#include "netsim/sim.h"
#include "apps-private.h"

typedef struct NsServices NsServices;

/* (transfer full) the scenario's services, none running yet. */
NsServices *ns_services_new(const NsScenario *scn, NsApps *apps);
/* Start every service (an event, scheduled at time 0 before any step). */
void ns_services_start_all(NsSim *sim, void *services, void *arg);
/* The host restarted: its services start again. */
void ns_services_start_host(NsServices *s, uint32_t host);
/* The host crashed: its servers are dropped (their sockets are gone). */
void ns_services_host_crashed(NsServices *s, uint32_t host);
/* Stop every server, closing its sockets: before the socket layers go. */
void ns_services_stop(NsServices *s);
void ns_services_free(NsServices *s);
