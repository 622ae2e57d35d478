/* The scenario's static routes: `route` lines given to the hosts at the
 * start (after automatic routing, or alone with `routing manual`), and
 * `at T route` / `at T unroute` steps changing them during the run. */
#include "world-private.h"

#include "netsim/ip.h"

/* The interface a route's next hop is reached through: the one holding
 * `dev ADDR`, else the one the host reaches `via` on directly. */
static NsIface *route_iface(NsHost *host, const NsScnRoute *r)
{
    if (r->has_dev)
        return ns_host_iface_by_addr(host, r->dev);
    for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
        NsIface *ifc = ns_host_iface(host, i);
        uint8_t pl = ns_iface_prefix_len(ifc);
        if (pl < 32 && ns_ipv4_in_subnet(r->via, ns_iface_addr(ifc), pl))
            return ifc;
    }
    /* A link's far end: what the host's own table says reaches it. */
    NsIface *ifc = NULL;
    uint32_t hop;
    if (ns_ip_route(ns_ip_of(host), r->via, &ifc, &hop) && hop == r->via)
        return ifc;
    return NULL;
}

static bool add_route(NsWorld *w, uint32_t index)
{
    const NsScnRoute *r = ns_scn_route(w->scn, index);
    NsHost *host = w->hosts[r->host].host;
    NsIface *ifc = route_iface(host, r);
    if (!ifc)
        return false; /* the parser checked the next hop is on a network or link */
    ns_ip_set_static_route(ns_ip_of(host), r->net, (uint8_t)r->prefix, ifc, r->via);
    return true;
}

void ns_world_routes_setup(NsWorld *w)
{
    for (guint i = 0; i < w->scn->routes->len; i++)
        if (!ns_scn_route(w->scn, i)->on_timeline)
            add_route(w, i);
}

void ns_world_route_step(NsWorld *w, const NsScnStep *st)
{
    NsHost *host = w->hosts[st->host].host;
    bool add = st->verb.fault == NS_SCN_FAULT_VERB_ROUTE;
    NsTraceEvent ev = {.kind = NS_TRACE_HOST, .host = ns_host_name(host)};
    if (add) {
        const NsScnRoute *r = ns_scn_route(w->scn, st->u.route.route);
        if (!add_route(w, st->u.route.route))
            return;
        ev.host_ev = NS_HOST_EV_ROUTE_ADDED;
        ev.route_net = r->net;
        ev.route_prefix = (uint8_t)r->prefix;
        ev.route_via = r->via;
        ev.loc = (NsTraceLoc){ns_world_file_name(r->loc.file), r->loc.line};
    } else {
        ev.host_ev = NS_HOST_EV_ROUTE_REMOVED;
        ev.route_net = st->u.route.net;
        ev.route_prefix = (uint8_t)st->u.route.prefix;
        ev.route_missing =
            !ns_ip_remove_route(ns_ip_of(host), st->u.route.net, (uint8_t)st->u.route.prefix);
    }
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_HOST))
        return;
    ev.time = ns_sim_now(w->ctx->sim);
    ns_trace_emit(w->ctx->tracer, &ev);
}
