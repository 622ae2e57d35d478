/* The scenario's services: each started on its host at time 0 (and again
 * when its host restarts) through the applications of sim/app (apps.c),
 * dropped when its host crashes. */
#include "services-private.h"

typedef struct {
    NsScnApp app;
    uint32_t host;
    void *server; /* sim/app's server; NULL when not running */
} Service;

struct NsServices {
    const NsScenario *scn;
    NsApps *apps;
    Service *svc; /* one per scenario service, in file order */
    uint32_t n;
};

NsServices *ns_services_new(const NsScenario *scn, NsApps *apps)
{
    NsServices *s = g_new0(NsServices, 1);
    s->scn = scn;
    s->apps = apps;
    s->n = scn->services->len;
    s->svc = g_new0(Service, s->n);
    for (uint32_t i = 0; i < s->n; i++) {
        const NsScnService *d = ns_scn_service(scn, i);
        s->svc[i] = (Service){.app = d->app, .host = d->host};
    }
    return s;
}

static void start(NsServices *s, uint32_t i)
{
    s->svc[i].server = ns_apps_server_start(s->apps, i);
}

static void stop(NsServices *s, uint32_t i, bool crashed)
{
    if (s->svc[i].server)
        ns_apps_server_stop(s->svc[i].app, s->svc[i].server, crashed);
    s->svc[i].server = NULL;
}

void ns_services_start_all(NsSim *sim, void *services, void *arg)
{
    (void)sim;
    (void)arg;
    NsServices *s = services;
    for (uint32_t i = 0; i < s->n; i++)
        start(s, i);
}

void ns_services_start_host(NsServices *s, uint32_t host)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (s->svc[i].host == host)
            start(s, i);
}

void ns_services_host_crashed(NsServices *s, uint32_t host)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (s->svc[i].host == host)
            stop(s, i, true);
}

void ns_services_stop(NsServices *s)
{
    for (uint32_t i = 0; s && i < s->n; i++)
        stop(s, i, false);
}

void ns_services_free(NsServices *s)
{
    if (!s)
        return;
    ns_services_stop(s);
    g_free(s->svc);
    g_free(s);
}
