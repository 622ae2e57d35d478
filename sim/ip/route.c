/* Automatic routing: every host reaches every prefix over the shortest
 * path (fewest hops, then least total delay, ties by declaration order),
 * where only routers forward.
 *
 * The cost is linear in the topology for the common cases and one
 * shortest-path run over the routers per segment in general:
 *  - a host with one router next door (a stub: a LAN host, a client on its
 *    own link) gets direct routes for its own segments and a default route
 *    via that router, with no per-destination work, as a real host does;
 *  - routers get a route to every prefix (as an IGP would give them), from
 *    one Dijkstra run over the routers per destination segment, with a heap;
 *  - a host with several routers next door gets a default route via the
 *    router that serves most destinations, and specific routes only where
 *    another router is better; hosts with the same routers next door share
 *    the work. */
#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "ip-private.h"

#include <string.h>

typedef struct {
    uint32_t hops;
    NsTime delay;
} Cost;

static bool cost_lt(Cost a, Cost b)
{
    return a.hops < b.hops || (a.hops == b.hops && a.delay < b.delay);
}

static Cost cost_add(Cost a, Cost b)
{
    return (Cost){a.hops + b.hops, a.delay + b.delay};
}

typedef struct {
    uint32_t net;
    uint8_t prefix_len;
} Prefix;

typedef struct {
    NsSegment *seg;
    Cost cost;
    GArray *prefixes; /* Prefix, first appearance order, distinct */
    GPtrArray *rifs;  /* NsIface* of routers attached, host declaration order */
} Seg;

/* A way out of a host: its interface on a segment and a router's interface
 * on the same segment. */
typedef struct {
    NsIface *ifc, *rif;
    guint seg, router;
} Option;

typedef struct {
    Cost cost;
    bool reached, done;
} RouterState;

/* Binary min-heap of routers keyed by (cost, router index): pops in the
 * order an O(R^2) selection in declaration order would pick. */
typedef struct {
    guint *v;
    guint n;
    const RouterState *st;
} Heap;

static bool heap_lt(const Heap *h, guint a, guint b)
{
    if (cost_lt(h->st[a].cost, h->st[b].cost))
        return true;
    if (cost_lt(h->st[b].cost, h->st[a].cost))
        return false;
    return a < b;
}

static void heap_push(Heap *h, guint r)
{
    guint i = h->n++;
    h->v[i] = r;
    while (i > 0 && heap_lt(h, h->v[i], h->v[(i - 1) / 2])) {
        guint p = (i - 1) / 2, t = h->v[p];
        h->v[p] = h->v[i];
        h->v[i] = t;
        i = p;
    }
}

static guint heap_pop(Heap *h)
{
    guint top = h->v[0];
    h->v[0] = h->v[--h->n];
    for (guint i = 0;;) {
        guint l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_lt(h, h->v[l], h->v[m]))
            m = l;
        if (r < h->n && heap_lt(h, h->v[r], h->v[m]))
            m = r;
        if (m == i)
            break;
        guint t = h->v[m];
        h->v[m] = h->v[i];
        h->v[i] = t;
        i = m;
    }
    return top;
}

/* Hosts that share their list of routers next door share their choices. */
typedef struct {
    GArray *options;   /* Option of the first host of the group */
    GArray *hosts;     /* guint host indexes */
    GArray *choice;    /* Choice per segment */
} Group;

typedef struct {
    guint option; /* index + 1; 0: no router next door reaches the segment */
    uint32_t hops;
} Choice;

typedef struct {
    GPtrArray *hosts;
    GArray *segs;        /* Seg */
    GHashTable *seg_map; /* NsSegment* -> index + 1 */
    GPtrArray *routers;  /* NsHost* */
    GHashTable *router_idx; /* NsHost* -> index + 1 */
    GArray **router_opts;   /* per router: Option to the other routers */
    RouterState *st;
    Heap heap;
    uint64_t work; /* elementary steps, for the scaling test */
} Ctx;

static guint seg_of(Ctx *c, NsSegment *s)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(c->seg_map, s)) - 1;
}

static int router_of(Ctx *c, NsHost *h)
{
    return (int)GPOINTER_TO_UINT(g_hash_table_lookup(c->router_idx, h)) - 1;
}

/* Every (interface, router interface) pair of host h, in interface order
 * and then router declaration order; routers other than h itself. */
static GArray *options_of(Ctx *c, NsHost *h)
{
    GArray *o = g_array_new(FALSE, FALSE, sizeof(Option));
    for (uint32_t i = 0; i < ns_host_iface_count(h); i++) {
        NsIface *ifc = ns_host_iface(h, i);
        /* An interface without an IPv4 address (an IPv6-only host's on a
         * dual-stack network) is no way out for IPv4. */
        if (!ns_iface_has_ipv4(ifc))
            continue;
        guint si = seg_of(c, ns_iface_segment(ifc));
        const Seg *s = &g_array_index(c->segs, Seg, si);
        for (guint j = 0; j < s->rifs->len; j++) {
            NsIface *rif = g_ptr_array_index(s->rifs, j);
            c->work++;
            if (ns_iface_host(rif) == h)
                continue;
            Option op = {ifc, rif, si, (guint)router_of(c, ns_iface_host(rif))};
            g_array_append_val(o, op);
        }
    }
    return o;
}

static void collect(Ctx *c)
{
    for (guint h = 0; h < c->hosts->len; h++) {
        NsHost *host = g_ptr_array_index(c->hosts, h);
        if (ns_host_is_router(host)) {
            g_ptr_array_add(c->routers, host);
            g_hash_table_insert(c->router_idx, host, GUINT_TO_POINTER(c->routers->len));
        }
    }
    for (guint h = 0; h < c->hosts->len; h++) {
        NsHost *host = g_ptr_array_index(c->hosts, h);
        for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
            NsIface *ifc = ns_host_iface(host, i);
            NsSegment *sg = ns_iface_segment(ifc);
            c->work++;
            guint si = GPOINTER_TO_UINT(g_hash_table_lookup(c->seg_map, sg));
            if (!si) {
                Seg e = {sg, {1, ns_segment_opts(sg)->delay},
                         g_array_new(FALSE, FALSE, sizeof(Prefix)), g_ptr_array_new()};
                g_array_append_val(c->segs, e);
                si = c->segs->len;
                g_hash_table_insert(c->seg_map, sg, GUINT_TO_POINTER(si));
            }
            Seg *s = &g_array_index(c->segs, Seg, si - 1);
            /* An interface on an IPv6-only network gives IPv4 no prefix
             * and no way through. */
            if (!ns_iface_has_ipv4(ifc))
                continue;
            uint8_t pl = ns_iface_prefix_len(ifc);
            Prefix p = {ns_iface_addr(ifc) & ns_ipv4_mask(pl), pl};
            /* A network's prefix is the same for every host on it, so this
             * scan is short; on a link it sees the two ends. */
            bool seen = false;
            for (guint k = 0; k < s->prefixes->len && !seen; k++) {
                const Prefix *q = &g_array_index(s->prefixes, Prefix, k);
                seen = q->net == p.net && q->prefix_len == p.prefix_len;
            }
            if (!seen)
                g_array_append_val(s->prefixes, p);
            if (ns_host_is_router(host))
                g_ptr_array_add(s->rifs, ifc);
        }
    }
    guint nr = c->routers->len;
    c->router_opts = g_new0(GArray *, nr + 1);
    gsize pushes = nr + 1; /* each router once at the start, once per improvement */
    for (guint r = 0; r < nr; r++) {
        c->router_opts[r] = options_of(c, g_ptr_array_index(c->routers, r));
        pushes += c->router_opts[r]->len;
    }
    c->st = g_new0(RouterState, nr + 1);
    c->heap = (Heap){g_new(guint, pushes), 0, c->st};
}

/* Dijkstra over the routers towards segment d: st[r].cost is the cost from
 * router r to d. */
static void shortest_paths(Ctx *c, guint d)
{
    const Seg *dest = &g_array_index(c->segs, Seg, d);
    guint nr = c->routers->len;
    memset(c->st, 0, sizeof(RouterState) * nr);
    c->heap.n = 0;
    for (guint i = 0; i < dest->rifs->len; i++) {
        guint r = (guint)router_of(c, ns_iface_host(g_ptr_array_index(dest->rifs, i)));
        if (c->st[r].reached)
            continue;
        c->st[r] = (RouterState){dest->cost, true, false};
        heap_push(&c->heap, r);
    }
    while (c->heap.n) {
        guint u = heap_pop(&c->heap);
        c->work++;
        if (c->st[u].done)
            continue;
        c->st[u].done = true;
        const GArray *opts = c->router_opts[u];
        for (guint i = 0; i < opts->len; i++) {
            const Option *o = &g_array_index(opts, Option, i);
            RouterState *rv = &c->st[o->router];
            c->work++;
            Cost cst = cost_add(c->st[u].cost, g_array_index(c->segs, Seg, o->seg).cost);
            if (!rv->done && (!rv->reached || cost_lt(cst, rv->cost))) {
                rv->cost = cst;
                rv->reached = true;
                heap_push(&c->heap, o->router);
            }
        }
    }
}

/* The best of `opts` towards the segment of the last shortest_paths():
 * index + 1, or 0 if no router next door reaches it. */
static guint best_option(Ctx *c, const GArray *opts, Cost *best)
{
    guint found = 0;
    for (guint i = 0; i < opts->len; i++) {
        const Option *o = &g_array_index(opts, Option, i);
        const RouterState *rs = &c->st[o->router];
        c->work++;
        if (!rs->reached)
            continue;
        Cost cst = cost_add(g_array_index(c->segs, Seg, o->seg).cost, rs->cost);
        if (!found || cost_lt(cst, *best)) {
            found = i + 1;
            *best = cst;
        }
    }
    return found;
}

static void add_prefix_routes(Ctx *c, NsIp *ip, const Seg *s, NsIface *ifc, uint32_t gw,
                              uint32_t hops)
{
    for (guint k = 0; k < s->prefixes->len; k++) {
        c->work++;
        const Prefix *p = &g_array_index(s->prefixes, Prefix, k);
        ns_ip_add_route(ip, p->net, p->prefix_len, ifc, gw, hops);
    }
}

static void add_direct_routes(Ctx *c, NsHost *host)
{
    NsIp *ip = ns_ip_of(host);
    for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
        NsIface *ifc = ns_host_iface(host, i);
        if (!ns_iface_has_ipv4(ifc))
            continue; /* no IPv4 address: no connected IPv4 route (as Linux) */
        add_prefix_routes(c, ip, &g_array_index(c->segs, Seg, seg_of(c, ns_iface_segment(ifc))), ifc,
                          0, 1);
    }
}

static bool attached(NsHost *host, NsSegment *seg)
{
    for (uint32_t i = 0; i < ns_host_iface_count(host); i++)
        if (ns_iface_segment(ns_host_iface(host, i)) == seg)
            return true;
    return false;
}

/* The key of a host's options: its router interfaces in order. */
static GString *options_key(const GArray *opts)
{
    GString *k = g_string_sized_new(opts->len * sizeof(void *));
    for (guint i = 0; i < opts->len; i++) {
        const Option *o = &g_array_index(opts, Option, i);
        g_string_append_len(k, (const char *)&o->ifc, sizeof o->ifc);
        g_string_append_len(k, (const char *)&o->rif, sizeof o->rif);
    }
    return k;
}

static void ctx_free(Ctx *c)
{
    for (guint r = 0; r < c->routers->len; r++)
        g_array_free(c->router_opts[r], TRUE);
    g_free(c->router_opts);
    for (guint i = 0; i < c->segs->len; i++) {
        g_array_free(g_array_index(c->segs, Seg, i).prefixes, TRUE);
        g_ptr_array_free(g_array_index(c->segs, Seg, i).rifs, TRUE);
    }
    g_array_free(c->segs, TRUE);
    g_hash_table_destroy(c->seg_map);
    g_ptr_array_free(c->routers, TRUE);
    g_hash_table_destroy(c->router_idx);
    g_free(c->st);
    g_free(c->heap.v);
}

uint64_t ns_routing_compute(GPtrArray *hosts)
{
    Ctx c = {.hosts = hosts,
             .segs = g_array_new(FALSE, TRUE, sizeof(Seg)),
             .seg_map = g_hash_table_new(g_direct_hash, g_direct_equal),
             .routers = g_ptr_array_new(),
             .router_idx = g_hash_table_new(g_direct_hash, g_direct_equal)};
    collect(&c);
    guint nr = c.routers->len, ns = c.segs->len;

    /* Hosts: direct routes; a stub gets its default route now, hosts with
     * several routers next door are grouped for the pass below. */
    g_autoptr(GPtrArray) groups = g_ptr_array_new();
    g_autoptr(GHashTable) group_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint h = 0; h < hosts->len; h++) {
        NsHost *host = g_ptr_array_index(hosts, h);
        add_direct_routes(&c, host);
        if (ns_host_is_router(host))
            continue;
        GArray *opts = options_of(&c, host);
        if (opts->len == 1) {
            const Option *o = &g_array_index(opts, Option, 0);
            ns_ip_add_route(ns_ip_of(host), 0, 0, o->ifc, ns_iface_addr(o->rif), 2);
        }
        if (opts->len <= 1) {
            g_array_free(opts, TRUE);
            continue;
        }
        GString *key = options_key(opts);
        Group *g = g_hash_table_lookup(group_of, key->str);
        if (!g) {
            g = g_new0(Group, 1);
            g->options = opts;
            g->hosts = g_array_new(FALSE, FALSE, sizeof(guint));
            g->choice = g_array_sized_new(FALSE, TRUE, sizeof(Choice), ns);
            g_array_set_size(g->choice, ns);
            g_ptr_array_add(groups, g);
            g_hash_table_insert(group_of, g_string_free(key, FALSE), g);
        } else {
            g_string_free(key, TRUE);
            g_array_free(opts, TRUE);
        }
        g_array_append_val(g->hosts, h);
    }

    /* One shortest-path run per destination segment, if any router or
     * group needs it: routers take their routes, groups their choices. */
    for (guint d = 0; d < ns && (nr || groups->len); d++) {
        const Seg *dest = &g_array_index(c.segs, Seg, d);
        shortest_paths(&c, d);
        for (guint r = 0; r < nr; r++) {
            NsHost *rh = g_ptr_array_index(c.routers, r);
            if (c.st[r].reached && c.st[r].cost.hops == 1)
                continue; /* attached to it (only that costs one hop): direct routes are in */
            Cost best = {0, 0};
            guint o = best_option(&c, c.router_opts[r], &best);
            if (!o)
                continue;
            const Option *op = &g_array_index(c.router_opts[r], Option, o - 1);
            add_prefix_routes(&c, ns_ip_of(rh), dest, op->ifc, ns_iface_addr(op->rif), best.hops);
        }
        for (guint gi = 0; gi < groups->len; gi++) {
            Group *g = g_ptr_array_index(groups, gi);
            Cost best = {0, 0};
            guint o = best_option(&c, g->options, &best);
            g_array_index(g->choice, Choice, d) = (Choice){o, best.hops};
        }
    }

    /* Each group: a default route via its most used choice, specific routes
     * where another router is better (ties: the earlier option). */
    for (guint gi = 0; gi < groups->len; gi++) {
        Group *g = g_ptr_array_index(groups, gi);
        g_autofree guint *votes = g_new0(guint, g->options->len + 1);
        for (guint d = 0; d < ns; d++)
            votes[g_array_index(g->choice, Choice, d).option]++;
        c.work += ns;
        guint dflt = 0;
        for (guint o = 1; o <= g->options->len; o++)
            if (votes[o] > (dflt ? votes[dflt] : 0))
                dflt = o;
        for (guint k = 0; k < g->hosts->len; k++) {
            NsHost *host = g_ptr_array_index(hosts, g_array_index(g->hosts, guint, k));
            NsIp *ip = ns_ip_of(host);
            c.work += ns;
            for (guint d = 0; d < ns; d++) {
                const Choice *ch = &g_array_index(g->choice, Choice, d);
                const Seg *s = &g_array_index(c.segs, Seg, d);
                if (!ch->option || ch->option == dflt || attached(host, s->seg))
                    continue;
                const Option *op = &g_array_index(g->options, Option, ch->option - 1);
                add_prefix_routes(&c, ip, s, op->ifc, ns_iface_addr(op->rif), ch->hops);
            }
            if (dflt) {
                const Option *op = &g_array_index(g->options, Option, dflt - 1);
                ns_ip_add_route(ip, 0, 0, op->ifc, ns_iface_addr(op->rif), 2);
            }
        }
        g_array_free(g->options, TRUE);
        g_array_free(g->hosts, TRUE);
        g_array_free(g->choice, TRUE);
        g_free(g);
    }

    for (guint h = 0; h < hosts->len; h++)
        ns_ip_routes_fit(ns_ip_of(g_ptr_array_index(hosts, h)));
    ctx_free(&c);
    ns_routing6_compute(hosts, true);
    return c.work;
}

void ns_routing_direct(GPtrArray *hosts)
{
    Ctx c = {.hosts = hosts,
             .segs = g_array_new(FALSE, TRUE, sizeof(Seg)),
             .seg_map = g_hash_table_new(g_direct_hash, g_direct_equal),
             .routers = g_ptr_array_new(),
             .router_idx = g_hash_table_new(g_direct_hash, g_direct_equal)};
    collect(&c);
    for (guint h = 0; h < hosts->len; h++)
        add_direct_routes(&c, g_ptr_array_index(hosts, h));
    for (guint h = 0; h < hosts->len; h++)
        ns_ip_routes_fit(ns_ip_of(g_ptr_array_index(hosts, h)));
    ctx_free(&c);
    ns_routing6_compute(hosts, false);
}
