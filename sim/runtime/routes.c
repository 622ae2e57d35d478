/* The scenario's static routes: `route` lines given to the hosts at the
 * start (after automatic routing, or alone with `routing manual`), and
 * `at T route` / `at T unroute` steps changing them during the run; and
 * the hosts' tables as text (routes, neighbours, filter rules, flows). */
#include "world-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/ip6.h"

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

/* An IPv6 route's interface: the one holding `dev ADDR`, else the one
 * whose IPv6 network holds the next hop. */
static NsIface *route6_iface(NsHost *host, const NsScnRoute *r)
{
    NsIpv6Addr via, dev;
    memcpy(via.b, r->via6, 16);
    memcpy(dev.b, r->dev6, 16);
    for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
        NsIface *ifc = ns_host_iface(host, i);
        if (r->has_dev) {
            if (ns_iface_owns_addr6(ifc, &dev))
                return ifc;
            continue;
        }
        for (uint32_t k = 0; k < ns_iface_addr6_count(ifc); k++) {
            uint8_t pl;
            const NsIpv6Addr *a = ns_iface_addr6(ifc, k, &pl);
            if (ns_ipv6_in_prefix(&via, a, pl))
                return ifc;
        }
    }
    return NULL;
}

static bool add_route(NsWorld *w, uint32_t index)
{
    const NsScnRoute *r = ns_scn_route(w->scn, index);
    NsHost *host = w->hosts[r->host].host;
    if (r->v6) {
        NsIface *ifc = route6_iface(host, r);
        if (!ifc)
            return false; /* the parser checked the next hop is on a network */
        NsIpv6Addr via, net;
        memcpy(via.b, r->via6, 16);
        memcpy(net.b, r->net6, 16);
        ns_ip6_set_static_route(ns_ip6_of(host), &net, (uint8_t)r->prefix, ifc, &via);
        return true;
    }
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
        ev.route_net6 = r->v6 ? r->net6 : NULL;
        ev.route_via6 = r->v6 ? r->via6 : NULL;
        ev.loc = (NsTraceLoc){ns_world_file_name(r->loc.file), r->loc.line};
    } else {
        ev.host_ev = NS_HOST_EV_ROUTE_REMOVED;
        ev.route_net = st->u.route.net;
        ev.route_prefix = (uint8_t)st->u.route.prefix;
        if (st->u.route.v6) {
            NsIpv6Addr net;
            memcpy(net.b, st->u.route.net6, 16);
            ev.route_net6 = st->u.route.net6;
            ev.route_missing =
                !ns_ip6_remove_route(ns_ip6_of(host), &net, (uint8_t)st->u.route.prefix);
        } else {
            ev.route_missing = !ns_ip_remove_route(ns_ip_of(host), st->u.route.net,
                                                   (uint8_t)st->u.route.prefix);
        }
    }
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_HOST))
        return;
    ev.time = ns_sim_now(w->ctx->sim);
    ns_trace_emit(w->ctx->tracer, &ev);
}

/* ---- the hosts' tables (--tables-at, and the summary with it) ---- */

typedef struct {
    GString *s;
    const char *indent;
} TableText;

static void route_text(const NsRouteRow *row, void *data)
{
    TableText *t = data;
    g_autofree char *l = ns_route_row_format(row);
    g_string_append_printf(t->s, "%s    %s\n", t->indent, l);
}

static void neigh_text(const NsNeighRow *row, void *data)
{
    TableText *t = data;
    g_autofree char *l = ns_neigh_row_format(row);
    g_string_append_printf(t->s, "%s    %s\n", t->indent, l);
}

static void neigh6_text(const NsNeigh6Row *row, void *data)
{
    TableText *t = data;
    g_autofree char *l = ns_neigh6_row_format(row);
    g_string_append_printf(t->s, "%s    %s\n", t->indent, l);
}

static void count_neigh6(const NsNeigh6Row *row, void *data)
{
    (void)row;
    (*(uint32_t *)data)++;
}

static void count_route(const NsRouteRow *row, void *data)
{
    (void)row;
    (*(uint32_t *)data)++;
}

static void count_neigh(const NsNeighRow *row, void *data)
{
    (void)row;
    (*(uint32_t *)data)++;
}

static void fdb_text(const NsFdbRow *r, void *data)
{
    TableText *t = data;
    g_string_append_printf(t->s, "%s    %02x:%02x:%02x:%02x:%02x:%02x port %u (%s) age %" PRId64
                                 ".%03" PRId64 " s\n",
                           t->indent, r->mac[0], r->mac[1], r->mac[2], r->mac[3], r->mac[4],
                           r->mac[5], r->port + 1, r->host, r->age / NS_S(1),
                           (r->age / NS_MS(1)) % 1000);
}

char *ns_world_host_tables(const NsWorld *w, const char *indent, bool with_netfilter)
{
    GString *s = g_string_new(NULL);
    TableText t = {s, indent};
    for (uint32_t i = 0; i < w->n_hosts; i++) {
        NsHost *h = w->hosts[i].host;
        const char *name = ns_host_name(h);
        g_string_append_printf(s, "%s%s%s\n", indent, name, ns_host_is_up(h) ? "" : " (down)");
        uint32_t nr = 0; /* none on an IPv6-only host */
        ns_ip_routes_foreach(ns_ip_of(h), count_route, &nr);
        g_string_append_printf(s, "%s  ip route%s\n", indent, nr ? "" : " (empty)");
        ns_ip_routes_foreach(ns_ip_of(h), route_text, &t);
        uint32_t nn = 0;
        ns_host_neigh_foreach(h, count_neigh, &nn);
        g_string_append_printf(s, "%s  ip neigh%s\n", indent, nn ? "" : " (empty)");
        ns_host_neigh_foreach(h, neigh_text, &t);
        /* IPv6: shown for hosts that have an IPv6 address */
        NsIpv6Addr any;
        if (!ns_host_first_addr6(h, &any))
            continue;
        NsIp6 *ip6 = ns_ip6_of(h);
        g_autofree char *r6 = ns_ip6_routes_format(ip6);
        g_string_append_printf(s, "%s  ip -6 route\n", indent);
        for (char *line = r6, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            g_string_append_printf(s, "%s    %.*s\n", indent, (int)(nl - line), line);
        }
        uint32_t n6 = 0;
        ns_ip6_neigh_foreach(ip6, count_neigh6, &n6);
        g_string_append_printf(s, "%s  ip -6 neigh%s\n", indent, n6 ? "" : " (empty)");
        ns_ip6_neigh_foreach(ip6, neigh6_text, &t);
    }
    for (uint32_t i = 0; i < w->n_segs; i++) {
        if (!ns_segment_is_learning(w->segs[i]))
            continue;
        g_string_append_printf(s, "%s%s: switch table (bridge fdb)\n", indent,
                               ns_segment_name(w->segs[i]));
        ns_segment_fdb_foreach(w->segs[i], fdb_text, &t);
    }
    if (with_netfilter && !w->opts.student) {
        g_autofree char *nf = ns_world_netfilter_tables(w, indent);
        g_string_append(s, nf);
    }
    return g_string_free(s, FALSE);
}

NsHost *ns_world_host(const NsWorld *w, size_t i)
{
    g_return_val_if_fail(i < w->n_hosts, NULL);
    return w->hosts[i].host;
}

NsSegment *ns_world_segment(const NsWorld *w, size_t i)
{
    g_return_val_if_fail(i < w->n_segs, NULL);
    return w->segs[i];
}
