/* Automatic routing: every host reaches every prefix over the shortest
 * path (fewest hops, then least total delay, ties by declaration order),
 * where only routers forward. One Dijkstra run over the routers per
 * destination prefix; hosts then pick the best router on their segments. */
#include "netsim/ip.h"

#include <string.h>

typedef struct {
    uint32_t hops;
    NsTime delay;
} Cost;

static bool cost_lt(Cost a, Cost b)
{
    return a.hops < b.hops || (a.hops == b.hops && a.delay < b.delay);
}

typedef struct {
    NsSegment *seg;
    GPtrArray *ifaces; /* NsIface* attached, in host declaration order */
} Seg;

typedef struct {
    uint32_t net;
    uint8_t prefix_len;
    guint seg; /* index into segs */
} Prefix;

typedef struct {
    Cost cost;
    bool reached, done;
} RouterState;

static guint seg_index(GArray *segs, GHashTable *map, NsSegment *s)
{
    gpointer v;
    if (g_hash_table_lookup_extended(map, s, NULL, &v))
        return GPOINTER_TO_UINT(v);
    Seg e = {s, g_ptr_array_new()};
    g_array_append_val(segs, e);
    g_hash_table_insert(map, s, GUINT_TO_POINTER(segs->len - 1));
    return segs->len - 1;
}

static Cost seg_cost(const Seg *s)
{
    return (Cost){1, ns_segment_opts(s->seg)->delay};
}

static Cost cost_add(Cost a, Cost b)
{
    return (Cost){a.hops + b.hops, a.delay + b.delay};
}

void ns_routing_compute(GPtrArray *hosts)
{
    g_autoptr(GArray) segs = g_array_new(FALSE, TRUE, sizeof(Seg));
    g_autoptr(GHashTable) seg_map = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GArray) prefixes = g_array_new(FALSE, TRUE, sizeof(Prefix));
    g_autoptr(GHashTable) prefix_seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    /* Keys live in this array; it is complete before the set points into it. */
    GArray *keys = g_array_new(FALSE, FALSE, sizeof(gint64));

    /* Segments, and the prefixes that live on each. */
    for (guint h = 0; h < hosts->len; h++) {
        NsHost *host = g_ptr_array_index(hosts, h);
        for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
            NsIface *ifc = ns_host_iface(host, i);
            guint si = seg_index(segs, seg_map, ns_iface_segment(ifc));
            g_ptr_array_add(g_array_index(segs, Seg, si).ifaces, ifc);
            uint8_t pl = ns_iface_prefix_len(ifc);
            uint32_t net = ns_iface_addr(ifc) & ns_ipv4_mask(pl);
            gint64 key = ((gint64)si << 40) | ((gint64)pl << 32) | net;
            g_array_append_val(keys, key);
        }
    }
    for (guint k = 0; k < keys->len; k++) {
        gint64 *key = &g_array_index(keys, gint64, k);
        if (g_hash_table_contains(prefix_seen, key))
            continue;
        g_hash_table_add(prefix_seen, key);
        Prefix p = {(uint32_t)(*key & 0xffffffff), (uint8_t)((*key >> 32) & 0xff),
                    (guint)(*key >> 40)};
        g_array_append_val(prefixes, p);
    }

    /* Routers in declaration order, and their index by host. */
    g_autoptr(GPtrArray) routers = g_ptr_array_new();
    g_autoptr(GHashTable) router_idx = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint h = 0; h < hosts->len; h++) {
        NsHost *host = g_ptr_array_index(hosts, h);
        if (ns_host_is_router(host)) {
            g_hash_table_insert(router_idx, host, GUINT_TO_POINTER(routers->len));
            g_ptr_array_add(routers, host);
        }
    }
    guint nr = routers->len;
    g_autofree RouterState *st = g_new0(RouterState, nr ? nr : 1);

    for (guint pi = 0; pi < prefixes->len; pi++) {
        const Prefix *p = &g_array_index(prefixes, Prefix, pi);
        const Seg *dest = &g_array_index(segs, Seg, p->seg);
        memset(st, 0, sizeof(RouterState) * nr);
        /* Routers on the destination segment deliver directly. */
        for (guint i = 0; i < dest->ifaces->len; i++) {
            NsHost *host = ns_iface_host(g_ptr_array_index(dest->ifaces, i));
            gpointer v;
            if (g_hash_table_lookup_extended(router_idx, host, NULL, &v)) {
                RouterState *r = &st[GPOINTER_TO_UINT(v)];
                r->cost = seg_cost(dest);
                r->reached = true;
            }
        }
        /* Dijkstra over routers; O(R^2) selection keeps ties in declaration
         * order, and router counts in scenarios are small. */
        for (;;) {
            guint best = nr;
            for (guint r = 0; r < nr; r++)
                if (st[r].reached && !st[r].done &&
                    (best == nr || cost_lt(st[r].cost, st[best].cost)))
                    best = r;
            if (best == nr)
                break;
            st[best].done = true;
            NsHost *u = g_ptr_array_index(routers, best);
            for (uint32_t i = 0; i < ns_host_iface_count(u); i++) {
                const Seg *s = &g_array_index(
                    segs, Seg, GPOINTER_TO_UINT(g_hash_table_lookup(
                                   seg_map, ns_iface_segment(ns_host_iface(u, i)))));
                Cost c = cost_add(st[best].cost, seg_cost(s));
                for (guint j = 0; j < s->ifaces->len; j++) {
                    NsHost *v = ns_iface_host(g_ptr_array_index(s->ifaces, j));
                    gpointer vi;
                    if (v == u || !g_hash_table_lookup_extended(router_idx, v, NULL, &vi))
                        continue;
                    RouterState *rv = &st[GPOINTER_TO_UINT(vi)];
                    if (!rv->done && (!rv->reached || cost_lt(c, rv->cost))) {
                        rv->cost = c;
                        rv->reached = true;
                    }
                }
            }
        }
        /* Each host: direct if attached, else the best router next door. */
        for (guint h = 0; h < hosts->len; h++) {
            NsHost *host = g_ptr_array_index(hosts, h);
            NsIp *ip = ns_ip_of(host);
            NsIface *direct = NULL;
            for (uint32_t i = 0; i < ns_host_iface_count(host) && !direct; i++) {
                NsIface *ifc = ns_host_iface(host, i);
                if (ns_iface_segment(ifc) == dest->seg)
                    direct = ifc;
            }
            if (direct) {
                ns_ip_add_route(ip, p->net, p->prefix_len, direct, 0, 1);
                continue;
            }
            bool found = false;
            Cost best = {0, 0};
            NsIface *best_if = NULL;
            uint32_t best_gw = 0;
            for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
                NsIface *ifc = ns_host_iface(host, i);
                const Seg *s = &g_array_index(
                    segs, Seg,
                    GPOINTER_TO_UINT(g_hash_table_lookup(seg_map, ns_iface_segment(ifc))));
                for (guint j = 0; j < s->ifaces->len; j++) {
                    NsIface *rif = g_ptr_array_index(s->ifaces, j);
                    NsHost *r = ns_iface_host(rif);
                    gpointer ri;
                    if (r == host || !g_hash_table_lookup_extended(router_idx, r, NULL, &ri))
                        continue;
                    RouterState *rs = &st[GPOINTER_TO_UINT(ri)];
                    if (!rs->reached)
                        continue;
                    Cost c = cost_add(seg_cost(s), rs->cost);
                    if (!found || cost_lt(c, best)) {
                        found = true;
                        best = c;
                        best_if = ifc;
                        best_gw = ns_iface_addr(rif);
                    }
                }
            }
            if (found)
                ns_ip_add_route(ip, p->net, p->prefix_len, best_if, best_gw, best.hops);
        }
    }
    for (guint i = 0; i < segs->len; i++)
        g_ptr_array_free(g_array_index(segs, Seg, i).ifaces, TRUE);
    g_array_free(keys, TRUE);
}
