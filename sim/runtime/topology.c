/* The network a scenario describes, built: its networks and links as
 * segments, its hosts with their addresses on them, each host's IP and
 * socket layers, and the routes between them. */
#include "world-private.h"

#include <string.h>

#include "netsim/net.h"

void ns_world_link_opts(NsLinkOpts *o, const NsScnLinkOpts *s)
{
    if (s->has_delay) o->delay = s->delay;
    if (s->has_rate) o->rate_bps = s->rate;
    if (s->has_loss) o->loss_ppm = s->loss_ppm;
    if (s->has_jitter) o->jitter = s->jitter;
    if (s->has_duplicate) o->dup_ppm = s->duplicate_ppm;
    if (s->has_reorder) o->reorder_ppm = s->reorder_ppm;
    if (s->has_queue) o->queue = s->queue;
    if (s->has_mtu) o->mtu = s->mtu;
}

/* The link address of a host for its next link, in link declaration
 * order: the first of its addresses outside every network not yet taken.
 * `*next` is the first address not yet looked at (a cursor, so any number
 * of addresses works, in linear time). */
static uint32_t take_link_addr(const NsScnHost *h, uint32_t *next)
{
    for (uint32_t i = *next; i < h->n_addrs; i++) {
        if (h->addrs[i].network < 0) {
            *next = i + 1;
            return h->addrs[i].addr;
        }
    }
    *next = h->n_addrs;
    /* More links than link addresses: the interface reuses an address
     * (like an unnumbered point-to-point interface). */
    for (uint32_t i = 0; i < h->n_addrs; i++)
        if (h->addrs[i].network < 0)
            return h->addrs[i].addr;
    /* an IPv6-only host's end: no IPv4 address (0) */
    return h->n_addrs ? h->addrs[0].addr : 0;
}

/* The host's next IPv6 link address (network -1), in declaration order,
 * given to `ifc` as a /128; none left: the interface has only its
 * link-local address. */
static void take_link_addr6(const NsScnHost *h, uint32_t *next, NsIface *ifc)
{
    for (uint32_t i = *next; i < h->n_addrs6; i++) {
        if (h->addrs6[i].network < 0) {
            *next = i + 1;
            NsIpv6Addr v6;
            memcpy(v6.b, h->addrs6[i].addr, 16);
            ns_iface_add_addr6(ifc, &v6, 128);
            return;
        }
    }
    *next = h->n_addrs6;
}

static NsIface *last_iface(NsHost *h)
{
    return ns_host_iface(h, ns_host_iface_count(h) - 1);
}

/* Through the builder (netsim/net.h): networks, then hosts with their
 * network addresses, then links, in file order. */
void ns_world_build_topology(NsWorld *w)
{
    const NsScenario *scn = w->scn;
    uint32_t nn = scn->networks->len, nl = scn->links->len, nsw = scn->switches->len;
    w->n_segs = nn + nl + nsw;
    w->segs = g_new0(NsSegment *, w->n_segs ? w->n_segs : 1);
    for (uint32_t i = 0; i < nn; i++) {
        const NsScnNetwork *n = ns_scn_network(scn, i);
        NsLinkOpts o;
        ns_link_opts_init(&o);
        ns_world_link_opts(&o, &n->opts);
        w->segs[i] = ns_net_add_network(w->net, n->name, &o);
    }
    w->n_hosts = scn->hosts->len;
    w->hosts = g_new0(HostRt, w->n_hosts ? w->n_hosts : 1);
    for (uint32_t i = 0; i < w->n_hosts; i++) {
        const NsScnHost *sh = ns_scn_host(scn, i);
        HostRt *h = &w->hosts[i];
        h->w = w;
        h->idx = i;
        h->host = ns_net_add_host(w->net, sh->name,
                                  sh->tcp == NS_SCN_TCP_LINUX ? NS_PROFILE_LINUX
                                                              : NS_PROFILE_MINIMAL,
                                  sh->is_router);
        for (uint32_t a = 0; a < sh->n_addrs; a++) {
            int32_t net = sh->addrs[a].network;
            if (net >= 0)
                ns_net_attach(w->net, h->host, w->segs[net], sh->addrs[a].addr,
                              (uint8_t)ns_scn_network(scn, net)->prefix);
        }
        /* IPv6 addresses join the host's interface on their network (one
         * interface for both families on a dual-stack network), or a new
         * interface without IPv4 on an IPv6-only one. */
        for (uint32_t a = 0; a < sh->n_addrs6; a++) {
            const NsScnHostAddr6 *ha = &sh->addrs6[a];
            if (ha->network < 0)
                continue; /* a link address: its link takes it below */
            NsSegment *seg = w->segs[ha->network];
            NsIface *ifc = NULL;
            for (uint32_t k = 0; k < ns_host_iface_count(h->host) && !ifc; k++)
                if (ns_iface_segment(ns_host_iface(h->host, k)) == seg)
                    ifc = ns_host_iface(h->host, k);
            if (!ifc)
                ifc = ns_net_attach(w->net, h->host, seg, 0, 0);
            NsIpv6Addr v6;
            memcpy(v6.b, ha->addr, 16);
            ns_iface_add_addr6(ifc, &v6, (uint8_t)ns_scn_network(scn, ha->network)->prefix6);
        }
    }
    g_autofree uint32_t *next_addr = g_new0(uint32_t, w->n_hosts ? w->n_hosts : 1);
    g_autofree uint32_t *next_addr6 = g_new0(uint32_t, w->n_hosts ? w->n_hosts : 1);
    for (uint32_t i = 0; i < nl; i++) {
        const NsScnLink *l = ns_scn_link(scn, i);
        NsLinkOpts o;
        ns_link_opts_init(&o);
        ns_world_link_opts(&o, &l->opts);
        uint32_t addr_a = take_link_addr(ns_scn_host(scn, l->a), &next_addr[l->a]);
        uint32_t addr_b = take_link_addr(ns_scn_host(scn, l->b), &next_addr[l->b]);
        w->segs[nn + i] = ns_net_add_link(w->net, w->hosts[l->a].host, addr_a,
                                          w->hosts[l->b].host, addr_b, &o);
        take_link_addr6(ns_scn_host(scn, l->a), &next_addr6[l->a], last_iface(w->hosts[l->a].host));
        take_link_addr6(ns_scn_host(scn, l->b), &next_addr6[l->b], last_iface(w->hosts[l->b].host));
    }
    /* Switches, then their ports in file order: each host's port takes its
     * next link address, as a /32 (the hosts on a switch reach each other
     * directly, as on a network). */
    for (uint32_t i = 0; i < nsw; i++) {
        const NsScnSwitch *sw = ns_scn_switch(scn, i);
        NsLinkOpts o;
        ns_link_opts_init(&o);
        ns_world_link_opts(&o, &sw->opts);
        w->segs[nn + nl + i] = ns_net_add_switch(w->net, sw->name, &o);
    }
    for (guint i = 0; i < scn->switch_ports->len; i++) {
        const NsScnSwitchPort *sp = ns_scn_switch_port(scn, i);
        uint32_t addr = take_link_addr(ns_scn_host(scn, sp->host), &next_addr[sp->host]);
        NsIface *ifc = ns_net_attach(w->net, w->hosts[sp->host].host, w->segs[nn + nl + sp->sw],
                                     addr, 32);
        take_link_addr6(ns_scn_host(scn, sp->host), &next_addr6[sp->host], ifc);
    }
    if (scn->routing_manual)
        ns_net_set_manual_routing(w->net);
    ns_net_start(w->net);
}
