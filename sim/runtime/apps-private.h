/* The scenario's applications (apps.c): its own type, the servers'
 * name table and resolver, and the fetch, resolve, mail and traceroute
 * steps with their outcomes for expectations. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/scenario.h"

typedef struct NsWorld NsWorld;
typedef struct NsApps NsApps;

/* (transfer full) the names and the resolver the scenario declares. */
NsApps *ns_apps_new(NsWorld *w);
/* Stop the steps' applications still running (closing their sockets: call
 * it before the socket layers go), then forget everything. */
void ns_apps_stop(NsApps *apps);
void ns_apps_free(NsApps *apps);

/* The application server of the scenario's service number `service`,
 * started on its host (transfer full), or dropped (after a crash its
 * sockets are already gone). */
void *ns_apps_server_start(NsApps *apps, uint32_t service);
void ns_apps_server_stop(NsScnApp app, void *server, bool crashed);

/* Start a fetch, resolve, mail or traceroute step. */
void ns_apps_step(NsApps *apps, uint32_t step);
/* The host crashed: its applications die with it. */
void ns_apps_host_crashed(NsApps *apps, uint32_t host);

/* `expect H fetch ...` / `expect H mail ...`: "" when it holds, else what
 * was seen (transfer full). */
char *ns_apps_check_fetch(const NsApps *apps, const NsScnExpect *e);
char *ns_apps_check_mail(const NsApps *apps, const NsScnExpect *e);
