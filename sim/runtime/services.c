/* The scenario's services: each started on its host at time 0 (and again
 * when its host restarts) through the applications of sim/app (apps.c),
 * dropped when its host crashes. */
#include "world-private.h"

void ns_world_service_start(NsWorld *w, ServiceRt *svc)
{
    svc->w = w;
    svc->app = ns_scn_service(w->scn, svc->index)->app;
    ns_apps_service_start(w->apps, svc);
}

void ns_world_service_forget(ServiceRt *svc)
{
    if (svc->w)
        ns_apps_service_stop(svc, true);
}

void ns_world_service_free(ServiceRt *svc)
{
    if (svc->w)
        ns_apps_service_stop(svc, false);
    g_free(svc);
}

void ns_world_services_start_host(NsWorld *w, uint32_t host)
{
    for (guint i = 0; i < w->services->len; i++) {
        ServiceRt *svc = g_ptr_array_index(w->services, i);
        if (ns_scn_service(w->scn, svc->index)->host == host)
            ns_world_service_start(w, svc);
    }
}

void ns_world_services_start_all(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsWorld *w = obj;
    for (guint i = 0; i < w->services->len; i++)
        ns_world_service_start(w, g_ptr_array_index(w->services, i));
}
