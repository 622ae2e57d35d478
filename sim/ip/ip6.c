/* IPv6 input, output and forwarding (RFC 8200), ICMPv6 (RFC 4443) and
 * Neighbor Discovery's address resolution and neighbour unreachability
 * detection (RFC 4861 sections 7.2 and 7.3). */
#include "netsim/ip6.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"
#include "netsim-private/ctx.h"
#include "frag-private.h"
#include "ip-private.h"
#include "netfilter-private.h"
#include "netsim-private/packet.h"

typedef struct {
    NsIpv6Addr net;
    uint8_t prefix_len;
    bool has_gateway;
    NsIpv6Addr gateway;
    NsIface *iface;
    uint32_t metric;
    NsRouteOrigin origin;
} Route6;

typedef struct {
    NsIface *iface;
    NsIpv6Addr addr;
    uint8_t mac[6];
    NsNeighState state;
    bool router;
    NsTime confirmed; /* when reachability was last confirmed */
    uint32_t tries;   /* solicitations sent in this state */
    NsEventId timer;
    NsPacketQueue pending;
    uint32_t pending_bytes;
    NsIp6 *ip6;
} Neigh;

struct NsIp6 {
    NsHost *host;
    NsCtx *ctx;
    /* NULL until used (a host of an IPv4-only network costs a few words) */
    GArray *routes;     /* Route6 */
    GPtrArray *neigh;   /* per interface: GHashTable NsIpv6Addr* -> Neigh* (NULL until used) */
    NsIcmp6EchoFn echo_fn;
    void *echo_data;
    NsIp6Stats stats;
    NsIpStats *ipstats; /* the host's IP counters, shared with IPv4 */
    GArray *taps;       /* Tap6, in the order added; NULL until one is */
    NsIpReasm *reasm;   /* NULL until a fragment arrives */
    struct Frag6 *frag; /* NULL until a datagram is fragmented or a path MTU learned */
};

/* A path MTU learned from ICMPv6 packet too big (RFC 8201), for one
 * destination: Linux keeps it as a route exception that expires after
 * net.ipv6.route.mtu_expires (600 s). */
#define NS_IP6_MTU_EXPIRES NS_S(600)

typedef struct {
    NsIpv6Addr dst;
    uint32_t mtu;
    NsTime expires;
} Pmtu6;

/* What fragmenting needs, only on hosts that do it. */
typedef struct Frag6 {
    /* Fragment header IDs: Linux 6.x draws a random non-zero 32-bit ID for
     * each datagram (ipv6_select_ident); here from the host's own stream
     * "ip6frag", so fragmenting shifts no other draw. */
    NsRng ids;
    GArray *pmtu; /* Pmtu6 */
} Frag6;

typedef struct {
    NsIp6TapFn fn;
    void *data;
} Tap6;

void ns_ip6_add_tap(NsIp6 *ip6, NsIp6TapFn fn, void *data)
{
    if (!ip6->taps)
        ip6->taps = g_array_new(FALSE, FALSE, sizeof(Tap6));
    Tap6 t = {fn, data};
    g_array_append_val(ip6->taps, t);
}

void ns_ip6_remove_tap(NsIp6 *ip6, NsIp6TapFn fn, void *data)
{
    if (!ip6->taps)
        return;
    for (guint i = 0; i < ip6->taps->len; i++) {
        const Tap6 *t = &g_array_index(ip6->taps, Tap6, i);
        if (t->fn == fn && t->data == data) {
            g_array_remove_index(ip6->taps, i);
            return;
        }
    }
}

static bool tapped6(NsIp6 *ip6, const NsIpv6Repr *h, const NsPacket *pkt)
{
    if (!ip6->taps)
        return false;
    for (guint i = 0; i < ip6->taps->len; i++) {
        const Tap6 *t = &g_array_index(ip6->taps, Tap6, i);
        if (t->fn(t->data, h, pkt->data, pkt->len))
            return true;
    }
    return false;
}

static void ip6_input(void *l3, NsIface *iface, NsPacket *pkt);

static void neigh_free(gpointer p)
{
    Neigh *n = p;
    ns_sim_cancel(n->ip6->ctx->sim, &n->timer);
    ns_packet_queue_clear(&n->pending);
    g_free(n);
}

NsIp6 *ns_ip6_new(NsHost *host, NsIpStats *stats)
{
    NsIp6 *ip6 = ns_ctx_alloc0(ns_host_ctx(host), sizeof(NsIp6));
    ip6->ipstats = stats;
    ip6->host = host;
    ip6->ctx = ns_host_ctx(host);
    ns_host_set_l3_v6(host, ip6_input, ip6);
    return ip6;
}

void ns_ip6_free(NsIp6 *ip6)
{
    if (!ip6)
        return;
    if (ip6->routes)
        g_array_free(ip6->routes, TRUE);
    if (ip6->taps)
        g_array_free(ip6->taps, TRUE);
    for (guint i = 0; ip6->neigh && i < ip6->neigh->len; i++)
        if (g_ptr_array_index(ip6->neigh, i))
            g_hash_table_destroy(g_ptr_array_index(ip6->neigh, i));
    if (ip6->neigh)
        g_ptr_array_free(ip6->neigh, TRUE);
    ns_ip_reasm_free(ip6->reasm);
    if (ip6->frag) {
        if (ip6->frag->pmtu)
            g_array_free(ip6->frag->pmtu, TRUE);
        g_free(ip6->frag);
    }
    ns_ctx_release(ip6->ctx, ip6);
}

const NsIp6Stats *ns_ip6_stats(const NsIp6 *ip6) { return &ip6->stats; }

void ns_ip6_set_echo_handler(NsIp6 *ip6, NsIcmp6EchoFn fn, void *data)
{
    ip6->echo_fn = fn;
    ip6->echo_data = data;
}

static NsTime now6(const NsIp6 *ip6)
{
    return ns_sim_now(ip6->ctx->sim);
}

/* ---- addresses and routes ---- */

static bool is_loopback(const NsIpv6Addr *a)
{
    static const NsIpv6Addr lo = {.b = {[15] = 1}};
    return ns_ipv6_addr_equal(a, &lo);
}

bool ns_ip6_is_local(const NsIp6 *ip6, const NsIpv6Addr *addr)
{
    if (is_loopback(addr))
        return true;
    for (uint32_t i = 0; i < ns_host_iface_count(ip6->host); i++)
        if (ns_iface_owns_addr6(ns_host_iface(ip6->host, i), addr))
            return true;
    return false;
}

bool ns_host_first_addr6(const NsHost *host, NsIpv6Addr *out)
{
    for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
        NsIface *ifc = ns_host_iface(host, i);
        if (ns_iface_addr6_count(ifc)) {
            *out = *ns_iface_addr6(ifc, 0, NULL);
            return true;
        }
    }
    return false;
}

bool ns_ip6_first_addr(const NsIp6 *ip6, NsIpv6Addr *out)
{
    return ns_host_first_addr6(ip6->host, out);
}

bool ns_ip6_add_route(NsIp6 *ip6, const NsIpv6Addr *net, uint8_t prefix_len, NsIface *iface,
                      const NsIpv6Addr *gateway, uint32_t metric, NsRouteOrigin origin)
{
    /* fe80::/64 is on every interface: one route each (the next hop's
     * interface, not a lookup, says which link a link-local address is on). */
    bool per_iface = ns_ipv6_is_link_local(net);
    if (!ip6->routes)
        ip6->routes = g_array_new(FALSE, TRUE, sizeof(Route6));
    for (guint i = 0; i < ip6->routes->len; i++) {
        const Route6 *r = &g_array_index(ip6->routes, Route6, i);
        if (r->prefix_len == prefix_len && ns_ipv6_addr_equal(&r->net, net) &&
            (!per_iface || r->iface == iface))
            return false;
    }
    Route6 r = {.net = *net, .prefix_len = prefix_len, .iface = iface, .metric = metric,
                .origin = origin};
    if (gateway) {
        r.has_gateway = true;
        r.gateway = *gateway;
    }
    g_array_append_val(ip6->routes, r);
    return true;
}

uint32_t ns_ip6_route_count(const NsIp6 *ip6) { return ip6->routes ? ip6->routes->len : 0; }

bool ns_ip6_remove_route(NsIp6 *ip6, const NsIpv6Addr *net, uint8_t prefix_len)
{
    for (guint i = 0; ip6->routes && i < ip6->routes->len; i++) {
        const Route6 *r = &g_array_index(ip6->routes, Route6, i);
        if (r->prefix_len == prefix_len && ns_ipv6_addr_equal(&r->net, net)) {
            g_array_remove_index(ip6->routes, i);
            return true;
        }
    }
    return false;
}

void ns_ip6_set_static_route(NsIp6 *ip6, const NsIpv6Addr *net, uint8_t prefix_len,
                             NsIface *iface, const NsIpv6Addr *gateway)
{
    g_return_if_fail(prefix_len <= 128 && iface && !ns_ipv6_is_link_local(net));
    ns_ip6_remove_route(ip6, net, prefix_len);
    ns_ip6_add_route(ip6, net, prefix_len, iface, gateway, 0, NS_ROUTE_STATIC);
}

static const Route6 *route6_lookup(const NsIp6 *ip6, const NsIpv6Addr *dst)
{
    const Route6 *best = NULL;
    for (guint i = 0; ip6->routes && i < ip6->routes->len; i++) {
        const Route6 *r = &g_array_index(ip6->routes, Route6, i);
        if (ns_ipv6_in_prefix(dst, &r->net, r->prefix_len) &&
            (!best || r->prefix_len > best->prefix_len))
            best = r;
    }
    return best;
}

bool ns_ip6_route(const NsIp6 *ip6, const NsIpv6Addr *dst, NsIface **iface,
                  NsIpv6Addr *next_hop)
{
    const Route6 *r = route6_lookup(ip6, dst);
    if (!r)
        return false;
    *iface = r->iface;
    *next_hop = r->has_gateway ? r->gateway : *dst;
    return true;
}

static uint32_t common_bits(const NsIpv6Addr *a, const NsIpv6Addr *b)
{
    uint32_t n = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t x = a->b[i] ^ b->b[i];
        if (!x) {
            n += 8;
            continue;
        }
        while (!(x & 0x80)) {
            n++;
            x = (uint8_t)(x << 1);
        }
        break;
    }
    return n;
}

/* The source for dst on iface: the link-local address for a link-local or
 * multicast link-scope dst, else the global address with the longest
 * common prefix (RFC 6724 rules 2 and 8, in short), else the link-local. */
static NsIpv6Addr source_on(const NsIface *iface, const NsIpv6Addr *dst)
{
    bool link_scope = ns_ipv6_is_link_local(dst) ||
                      (ns_ipv6_is_multicast(dst) && (dst->b[1] & 0x0f) == 2);
    uint32_t n = ns_iface_addr6_count(iface);
    if (link_scope || n == 0)
        return *ns_iface_link_local(iface);
    const NsIpv6Addr *best = ns_iface_addr6(iface, 0, NULL);
    uint32_t best_bits = common_bits(best, dst);
    for (uint32_t i = 1; i < n; i++) {
        const NsIpv6Addr *a = ns_iface_addr6(iface, i, NULL);
        uint32_t c = common_bits(a, dst);
        if (c > best_bits) {
            best = a;
            best_bits = c;
        }
    }
    return *best;
}

bool ns_ip6_source_for(const NsIp6 *ip6, const NsIpv6Addr *dst, NsIpv6Addr *src)
{
    if (ns_ip6_is_local(ip6, dst)) {
        *src = *dst;
        return true;
    }
    NsIface *iface;
    NsIpv6Addr nh;
    if (!ns_ip6_route(ip6, dst, &iface, &nh))
        return false;
    *src = source_on(iface, dst);
    return true;
}

static gint route6_cmp(gconstpointer a, gconstpointer b)
{
    const Route6 *x = *(const Route6 *const *)a, *y = *(const Route6 *const *)b;
    int c = memcmp(x->net.b, y->net.b, 16);
    if (c)
        return c;
    if (x->prefix_len != y->prefix_len)
        return (int)x->prefix_len - (int)y->prefix_len;
    return (int)ns_iface_index(x->iface) - (int)ns_iface_index(y->iface);
}

void ns_ip6_routes_foreach(const NsIp6 *ip6, NsRoute6RowFn fn, void *data)
{
    g_autoptr(GPtrArray) v = g_ptr_array_new();
    for (guint i = 0; ip6->routes && i < ip6->routes->len; i++)
        g_ptr_array_add(v, &g_array_index(ip6->routes, Route6, i));
    g_ptr_array_sort(v, route6_cmp);
    for (guint i = 0; i < v->len; i++) {
        const Route6 *r = g_ptr_array_index(v, i);
        NsRoute6Row row = {.net = r->net, .prefix_len = r->prefix_len,
                           .has_gateway = r->has_gateway, .gateway = r->gateway,
                           .ifindex = ns_iface_index(r->iface), .metric = r->metric,
                           .origin = r->origin};
        fn(&row, data);
    }
}

char *ns_route6_row_format(const NsRoute6Row *r)
{
    GString *s = g_string_new(NULL);
    char n[NS_IPV6_STRLEN], g[NS_IPV6_STRLEN];
    if (r->prefix_len == 0)
        g_string_append(s, "default");
    else
        g_string_append_printf(s, "%s/%u", ns_ipv6_format(&r->net, n), r->prefix_len);
    if (r->has_gateway)
        g_string_append_printf(s, " via %s", ns_ipv6_format(&r->gateway, g));
    g_string_append_printf(s, " dev eth%u proto %s", r->ifindex, ns_route_origin_name(r->origin));
    if (r->origin == NS_ROUTE_AUTO)
        g_string_append_printf(s, " metric %u", r->metric);
    return g_string_free(s, FALSE);
}

static void route6_line(const NsRoute6Row *row, void *data)
{
    g_autofree char *l = ns_route6_row_format(row);
    g_string_append_printf(data, "%s\n", l);
}

char *ns_ip6_routes_format(const NsIp6 *ip6)
{
    GString *s = g_string_new(NULL);
    ns_ip6_routes_foreach(ip6, route6_line, s);
    return g_string_free(s, FALSE);
}

/* ---- tracing ---- */

static void trace_packet(NsIp6 *ip6, NsTraceKind kind, const NsPacket *pkt, NsDropReason why,
                         const char *summary)
{
    NsTracer *tr = ip6->ctx->tracer;
    if (!ns_tracer_wants(tr, kind))
        return;
    NsTraceEvent ev = {
        .time = now6(ip6),
        .kind = kind,
        .host = ns_host_name(ip6->host),
        .drop = why,
        .bytes = pkt->data,
        .bytes_len = pkt->len,
        .summary = summary,
    };
    ns_trace_describe_ip(&ev, pkt->data, pkt->len);
    NsNoteText txt;
    if (kind == NS_TRACE_SEND || kind == NS_TRACE_RECV)
        ns_ip_note_apply(ip6->ctx, &ev, pkt, pkt->data, pkt->len, &txt);
    ns_trace_emit(tr, &ev);
}

void ns_ip6_trace_recv(NsIp6 *ip6, const NsPacket *seg)
{
    NsTracer *tr = ip6->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_RECV))
        return;
    /* The IPv6 header is still in the buffer in front of the transport's. */
    const uint8_t *start = seg->data - NS_IPV6_HLEN;
    NsTraceEvent ev = {.time = now6(ip6), .kind = NS_TRACE_RECV, .host = ns_host_name(ip6->host),
                       .bytes = start, .bytes_len = seg->len + NS_IPV6_HLEN};
    ns_trace_describe_ip(&ev, start, ev.bytes_len);
    NsNoteText txt;
    ns_ip_note_apply(ip6->ctx, &ev, seg, start, ev.bytes_len, &txt);
    ns_trace_emit(tr, &ev);
}

/* The transport running `proto` over IPv6 on this host, or NULL. */
static const NsIpProtoOps *transport6(const NsIp6 *ip6, uint8_t proto, void **data)
{
    const NsIpProtoOps *ops = ns_ip_proto(ns_ip_of(ip6->host), proto, data);
    return ops && ops->input6 ? ops : NULL;
}

/* Where the upper layer of a datagram we sent (header first, perhaps a
 * quote cut short) starts: past a Fragment header when it is the first
 * fragment. False for a later fragment, which holds no upper-layer header:
 * as Linux's ipv6_skip_exthdr stops there, no protocol hears of an error
 * about it. */
static bool quote_upper6(const uint8_t *dgram, size_t len, uint8_t *nh, size_t *off)
{
    if (len < NS_IPV6_HLEN)
        return false;
    *nh = dgram[6];
    *off = NS_IPV6_HLEN;
    if (*nh != NS_IPPROTO_FRAGMENT)
        return true;
    NsIpv6FragRepr fh;
    if (ns_ipv6_frag_parse(dgram + NS_IPV6_HLEN, len - NS_IPV6_HLEN, &fh) != NS_WIRE_OK ||
        fh.offset != 0)
        return false;
    *nh = fh.next_header;
    *off += NS_IPV6_FRAG_HLEN;
    return true;
}

/* Tell the transport of our datagram dgram (IPv6 header first) that it
 * failed: err, and the MTU of a packet too big. */
static void transport_error6(NsIp6 *ip6, int err, uint32_t mtu, const uint8_t *dgram, size_t len)
{
    uint8_t nh;
    size_t off;
    if (!quote_upper6(dgram, len, &nh, &off) || len < off + 8u)
        return;
    /* A quote may be cut short (RFC 4443 2.4 (c)): read its header alone. */
    uint8_t head[NS_IPV6_HLEN];
    memcpy(head, dgram, NS_IPV6_HLEN);
    head[4] = head[5] = 0;
    head[6] = nh;
    NsIpv6Repr oh;
    if (ns_ipv6_parse(head, NS_IPV6_HLEN, &oh) != NS_WIRE_OK)
        return;
    if (!ns_ip6_is_local(ip6, &oh.src))
        return;
    void *data;
    const NsIpProtoOps *ops = transport6(ip6, oh.next_header, &data);
    if (ops && ops->error6)
        ops->error6(data, err, mtu, &oh, dgram + off, len - off);
}

static void drop6(NsIp6 *ip6, NsPacket *pkt, NsDropReason why)
{
    ip6->ipstats->dropped++;
    trace_packet(ip6, NS_TRACE_DROP, pkt, why, NULL);
    ns_packet_free(pkt);
}

static void trace_ndp(NsIp6 *ip6, NsIface *iface, NsNdpEvent what, const NsIpv6Addr *target,
                      const NsIpv6Addr *peer, const uint8_t *mac, uint32_t count, bool unicast,
                      NsNeighState from, NsNeighState to)
{
    NsTracer *tr = ip6->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_NDP))
        return;
    NsTraceEvent ev = {
        .time = now6(ip6),
        .kind = NS_TRACE_NDP,
        .host = ns_host_name(ip6->host),
        .where = ns_segment_name(ns_iface_segment(iface)),
        .ndp_ev = what,
        .target6 = target->b,
        .dst6 = peer ? peer->b : NULL,
        .count = count,
        .unicast = unicast,
        .neigh_from = from,
        .neigh_to = to,
    };
    if (mac)
        memcpy(ev.mac, mac, 6);
    ns_trace_emit(tr, &ev);
}

/* ---- Neighbor Discovery ---- */

static GHashTable *neigh_table(NsIp6 *ip6, const NsIface *iface, bool create)
{
    uint32_t i = ns_iface_index(iface);
    if (!ip6->neigh) {
        if (!create)
            return NULL;
        ip6->neigh = g_ptr_array_new();
    }
    while (ip6->neigh->len <= i) {
        if (!create)
            return NULL;
        g_ptr_array_add(ip6->neigh, NULL);
    }
    GHashTable *t = g_ptr_array_index(ip6->neigh, i);
    if (!t && create) {
        t = g_hash_table_new_full(ns_ipv6_addr_key_hash, ns_ipv6_addr_key_equal, NULL, neigh_free);
        g_ptr_array_index(ip6->neigh, i) = t;
    }
    return t;
}

static Neigh *neigh_find(NsIp6 *ip6, const NsIface *iface, const NsIpv6Addr *addr)
{
    GHashTable *t = neigh_table(ip6, iface, false);
    return t ? g_hash_table_lookup(t, addr) : NULL;
}

/* The state the entry is in now: REACHABLE turns STALE by itself once
 * ReachableTime has passed without a confirmation (RFC 4861 7.3.3). */
static NsNeighState neigh_state(const NsIp6 *ip6, const Neigh *n)
{
    if (n->state == NS_NEIGH_REACHABLE && now6(ip6) - n->confirmed >= NS_ND_REACHABLE_TIME)
        return NS_NEIGH_STALE;
    return n->state;
}

static void set_state(NsIp6 *ip6, Neigh *n, NsNeighState to, bool trace)
{
    NsNeighState from = neigh_state(ip6, n);
    n->state = to;
    if (trace && from != to)
        trace_ndp(ip6, n->iface, NS_NDP_EV_STATE, &n->addr, NULL, NULL, 0, false, from, to);
}

/* Write the IPv6 header in front of an ICMPv6 message and frame it. */
static void send_icmp6_frame(NsIface *iface, NsPacket *p, const NsIpv6Addr *src,
                             const NsIpv6Addr *dst, const uint8_t mac[6])
{
    NsIpv6Repr h = {.payload_len = (uint16_t)p->len, .next_header = NS_IPPROTO_ICMPV6,
                    .hop_limit = 255, .src = *src, .dst = *dst};
    uint8_t *hdr = ns_packet_push(p, NS_IPV6_HLEN);
    ns_ipv6_emit(&h, hdr, NS_IPV6_HLEN);
    ns_iface_send_frame(iface, p, mac, NS_ETHERTYPE_IPV6);
}

/* A neighbour solicitation for n: to its solicited-node group while
 * resolving, to the neighbour itself while probing (RFC 4861 7.2.2). */
static void send_solicit(NsIp6 *ip6, Neigh *n, bool unicast)
{
    NsIface *iface = n->iface;
    NsIpv6Addr dst;
    uint8_t mac[6];
    if (unicast) {
        dst = n->addr;
        memcpy(mac, n->mac, 6);
    } else {
        ns_ipv6_solicited_node(&n->addr, &dst);
        ns_ipv6_multicast_mac(&dst, mac);
    }
    /* The source: as Linux's ndisc_solicit(), that of the datagram
     * waiting when it is one of the interface's addresses (the neighbour
     * then learns the address it is about to answer), else the address
     * the interface would use for the target. */
    NsIpv6Addr src = source_on(iface, &n->addr);
    if (n->pending.head && n->pending.head->len >= NS_IPV6_HLEN) {
        NsIpv6Addr ps;
        memcpy(ps.b, n->pending.head->data + 8, 16);
        if (ns_iface_owns_addr6(iface, &ps))
            src = ps;
    }
    NsIcmp6Repr r = {.type = NS_ICMP6_NEIGHBOR_SOLICIT, .target = n->addr, .has_lladdr = true};
    memcpy(r.lladdr, ns_iface_mac(iface), 6);
    NsPacket *p = ns_packet_new(ip6->ctx->pool, NS_PACKET_HEADROOM, NS_ND_NS_LEN + 8);
    size_t len = ns_icmp6_emit(&r, &src, &dst, NULL, 0, p->data, p->len);
    ns_packet_trim(p, len);
    ip6->stats.nd_solicits++;
    trace_ndp(ip6, iface, NS_NDP_EV_SOLICIT, &n->addr, &dst, NULL, 0, unicast, NS_NEIGH_INCOMPLETE,
              NS_NEIGH_INCOMPLETE);
    send_icmp6_frame(iface, p, &src, &dst, mac);
}

static void nd_timeout(NsSim *sim, void *obj, void *arg);

static void arm(NsIp6 *ip6, Neigh *n, NsTime after)
{
    ns_sim_cancel(ip6->ctx->sim, &n->timer);
    n->timer = ns_sim_schedule(ip6->ctx->sim, after, nd_timeout, ip6, n);
}

static void frame_out(Neigh *n, NsPacket *p)
{
    ns_iface_send_frame(n->iface, p, n->mac, NS_ETHERTYPE_IPV6);
}

static void echo_error6(NsIp6 *ip6, const NsIpv6Addr *from, const uint8_t *dgram, size_t len,
                        int err);

/* No answer to the last solicitation allowed: the entry goes, and with it
 * the datagrams it held (their senders are told: address unreachable). */
static void neigh_fail(NsIp6 *ip6, Neigh *n, uint32_t tries)
{
    trace_ndp(ip6, n->iface, NS_NDP_EV_FAILED, &n->addr, NULL, NULL, tries, false,
              NS_NEIGH_INCOMPLETE, NS_NEIGH_INCOMPLETE);
    NsPacketQueue q = n->pending;
    n->pending = (NsPacketQueue){0};
    n->pending_bytes = 0;
    NsIface *iface = n->iface;
    NsIpv6Addr addr = n->addr;
    g_hash_table_remove(neigh_table(ip6, iface, false), &addr);
    NsPacket *p;
    while ((p = ns_packet_queue_pop(&q))) {
        NsIpv6Repr h;
        if (ns_ipv6_parse(p->data, p->len, &h) == NS_WIRE_OK && ns_ip6_is_local(ip6, &h.src)) {
            /* Ours: the sender's call learns it (ping: "address unreachable"). */
            if (h.next_header == NS_IPPROTO_ICMPV6)
                echo_error6(ip6, &h.src, p->data, p->len, EHOSTUNREACH);
            else
                transport_error6(ip6, EHOSTUNREACH, 0, p->data, p->len);
            drop6(ip6, p, NS_DROP_ARP_FAILED);
        } else {
            ns_ip6_send_icmp_error(ip6, NS_ICMP6_DEST_UNREACH, NS_ICMP6_UNREACH_ADDRESS, 0,
                                   p->data, p->len);
            drop6(ip6, p, NS_DROP_ARP_FAILED);
        }
    }
}

static void nd_timeout(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsIp6 *ip6 = obj;
    Neigh *n = arg;
    n->timer = NS_EVENT_NONE;
    switch (n->state) {
    case NS_NEIGH_INCOMPLETE:
        if (n->tries < NS_ND_MAX_MULTICAST_SOLICIT) {
            n->tries++;
            send_solicit(ip6, n, false);
            arm(ip6, n, NS_ND_RETRANS_TIMER);
            return;
        }
        neigh_fail(ip6, n, n->tries);
        return;
    case NS_NEIGH_DELAY:
        /* Nothing confirmed the neighbour meanwhile: ask it (7.3.3). */
        set_state(ip6, n, NS_NEIGH_PROBE, true);
        n->tries = 1;
        send_solicit(ip6, n, true);
        arm(ip6, n, NS_ND_RETRANS_TIMER);
        return;
    case NS_NEIGH_PROBE:
        if (n->tries < NS_ND_MAX_UNICAST_SOLICIT) {
            n->tries++;
            send_solicit(ip6, n, true);
            arm(ip6, n, NS_ND_RETRANS_TIMER);
            return;
        }
        neigh_fail(ip6, n, n->tries);
        return;
    case NS_NEIGH_REACHABLE:
    case NS_NEIGH_STALE:
        return;
    }
}

/* Send `pkt` (an IPv6 datagram, transfer full) to the neighbour next_hop
 * on iface, resolving it first (RFC 4861 7.2.2, 7.3.3). */
static void nd_output(NsIp6 *ip6, NsIface *iface, NsPacket *pkt, const NsIpv6Addr *next_hop)
{
    if (ns_ipv6_is_multicast(next_hop)) {
        uint8_t mac[6];
        ns_ipv6_multicast_mac(next_hop, mac);
        ns_iface_send_frame(iface, pkt, mac, NS_ETHERTYPE_IPV6);
        return;
    }
    Neigh *n = neigh_find(ip6, iface, next_hop);
    if (!n) {
        n = g_new0(Neigh, 1);
        n->ip6 = ip6;
        n->iface = iface;
        n->addr = *next_hop;
        n->state = NS_NEIGH_INCOMPLETE;
        g_hash_table_insert(neigh_table(ip6, iface, true), &n->addr, n);
        ns_packet_queue_push(&n->pending, pkt);
        n->pending_bytes = (uint32_t)pkt->len;
        n->tries = 1;
        send_solicit(ip6, n, false);
        arm(ip6, n, NS_ND_RETRANS_TIMER);
        return;
    }
    switch (neigh_state(ip6, n)) {
    case NS_NEIGH_INCOMPLETE:
        /* The oldest make room (the profile's limit, shared with ARP). */
        while (ns_host_neigh_queue_full(ip6->host, n->pending.count, n->pending_bytes,
                                        (uint32_t)pkt->len)) {
            NsPacket *old = ns_packet_queue_pop(&n->pending);
            n->pending_bytes -= (uint32_t)old->len;
            drop6(ip6, old, NS_DROP_ARP_QUEUE_FULL);
        }
        ns_packet_queue_push(&n->pending, pkt);
        n->pending_bytes += (uint32_t)pkt->len;
        return;
    case NS_NEIGH_STALE:
        /* A stale entry is used at once; the neighbour has
         * DELAY_FIRST_PROBE_TIME to be confirmed before it is asked. */
        set_state(ip6, n, NS_NEIGH_DELAY, true);
        n->tries = 0;
        arm(ip6, n, NS_ND_DELAY_FIRST_PROBE);
        frame_out(n, pkt);
        return;
    case NS_NEIGH_REACHABLE:
    case NS_NEIGH_DELAY:
    case NS_NEIGH_PROBE:
        frame_out(n, pkt);
        return;
    }
}

/* What the cache learns from a solicitation's source link-layer address
 * option (7.2.3) or an advertisement (7.2.5). */
static void nd_learn(NsIp6 *ip6, NsIface *iface, const NsIpv6Addr *addr, const uint8_t mac[6],
                     bool advert, bool solicited, bool override, bool router)
{
    Neigh *n = neigh_find(ip6, iface, addr);
    if (!n) {
        if (advert)
            return; /* an unsolicited advertisement creates no entry */
        n = g_new0(Neigh, 1);
        n->ip6 = ip6;
        n->iface = iface;
        n->addr = *addr;
        memcpy(n->mac, mac, 6);
        n->state = NS_NEIGH_STALE;
        g_hash_table_insert(neigh_table(ip6, iface, true), &n->addr, n);
        return;
    }
    NsNeighState st = neigh_state(ip6, n);
    bool same = memcmp(n->mac, mac, 6) == 0;
    if (advert)
        n->router = router;
    if (st == NS_NEIGH_INCOMPLETE) {
        memcpy(n->mac, mac, 6);
        ns_sim_cancel(ip6->ctx->sim, &n->timer);
        n->tries = 0;
        n->state = advert && solicited ? NS_NEIGH_REACHABLE : NS_NEIGH_STALE;
        n->confirmed = now6(ip6);
        if (n->pending.count)
            trace_ndp(ip6, iface, NS_NDP_EV_RESOLVED, addr, NULL, mac, n->pending.count, false,
                      NS_NEIGH_INCOMPLETE, n->state);
        NsPacket *p;
        n->pending_bytes = 0;
        while ((p = ns_packet_queue_pop(&n->pending)))
            frame_out(n, p);
        return;
    }
    if (!advert) {
        if (!same) {
            memcpy(n->mac, mac, 6);
            set_state(ip6, n, NS_NEIGH_STALE, true);
        }
        return;
    }
    if (!override && !same) {
        /* Another address without the override flag: a REACHABLE entry
         * only goes STALE, nothing else changes. */
        if (st == NS_NEIGH_REACHABLE)
            set_state(ip6, n, NS_NEIGH_STALE, true);
        return;
    }
    memcpy(n->mac, mac, 6);
    if (solicited) {
        ns_sim_cancel(ip6->ctx->sim, &n->timer);
        n->tries = 0;
        set_state(ip6, n, NS_NEIGH_REACHABLE, st != NS_NEIGH_REACHABLE);
        n->confirmed = now6(ip6);
    } else if (!same) {
        set_state(ip6, n, NS_NEIGH_STALE, true);
    }
}

static bool iface_in_group(const NsIface *iface, const NsIpv6Addr *group)
{
    static const NsIpv6Addr all_nodes = {.b = {0xff, 0x02, [15] = 1}};
    if (ns_ipv6_addr_equal(group, &all_nodes))
        return true;
    NsIpv6Addr sn;
    ns_ipv6_solicited_node(ns_iface_link_local(iface), &sn);
    if (ns_ipv6_addr_equal(group, &sn))
        return true;
    for (uint32_t i = 0; i < ns_iface_addr6_count(iface); i++) {
        ns_ipv6_solicited_node(ns_iface_addr6(iface, i, NULL), &sn);
        if (ns_ipv6_addr_equal(group, &sn))
            return true;
    }
    return false;
}

static void nd_input(NsIp6 *ip6, NsIface *iface, const NsIpv6Repr *h, const NsIcmp6Repr *m)
{
    /* RFC 4861 7.1.1 and 7.1.2: a hop limit of 255 proves the message
     * was not forwarded. */
    if (h->hop_limit != 255)
        return;
    if (m->type == NS_ICMP6_NEIGHBOR_SOLICIT) {
        if (!ns_iface_owns_addr6(iface, &m->target))
            return;
        bool dad = ns_ipv6_is_unspecified(&h->src);
        if (!dad && m->has_lladdr)
            nd_learn(ip6, iface, &h->src, m->lladdr, false, false, false, false);
        if (!dad && !m->has_lladdr && ns_ipv6_is_multicast(&h->dst))
            return; /* 7.1.1: a multicast solicitation must carry the option */
        static const NsIpv6Addr all_nodes = {.b = {0xff, 0x02, [15] = 1}};
        NsIpv6Addr dst = dad ? all_nodes : h->src;
        uint8_t mac[6];
        if (dad) {
            ns_ipv6_multicast_mac(&dst, mac);
        } else if (m->has_lladdr) {
            memcpy(mac, m->lladdr, 6);
        } else {
            Neigh *n = neigh_find(ip6, iface, &h->src);
            if (!n || n->state == NS_NEIGH_INCOMPLETE)
                return;
            memcpy(mac, n->mac, 6);
        }
        NsIcmp6Repr a = {.type = NS_ICMP6_NEIGHBOR_ADVERT, .target = m->target,
                         .router = ns_host_is_router(ip6->host), .solicited = !dad,
                         .override = true, .has_lladdr = true};
        memcpy(a.lladdr, ns_iface_mac(iface), 6);
        NsPacket *p = ns_packet_new(ip6->ctx->pool, NS_PACKET_HEADROOM, NS_ND_NS_LEN + 8);
        size_t len = ns_icmp6_emit(&a, &m->target, &dst, NULL, 0, p->data, p->len);
        ns_packet_trim(p, len);
        ip6->stats.nd_adverts++;
        trace_ndp(ip6, iface, NS_NDP_EV_ADVERT, &m->target, &dst, ns_iface_mac(iface), 0, false,
                  NS_NEIGH_INCOMPLETE, NS_NEIGH_INCOMPLETE);
        send_icmp6_frame(iface, p, &m->target, &dst, mac);
        return;
    }
    /* An advertisement: solicited ones must not go to a multicast group
     * (7.1.2); without the option it can only confirm what we know. */
    if (m->solicited && ns_ipv6_is_multicast(&h->dst))
        return;
    Neigh *n = neigh_find(ip6, iface, &m->target);
    if (!n)
        return;
    if (!m->has_lladdr) {
        if (n->state == NS_NEIGH_INCOMPLETE)
            return;
        nd_learn(ip6, iface, &m->target, n->mac, true, m->solicited, m->override, m->router);
        return;
    }
    nd_learn(ip6, iface, &m->target, m->lladdr, true, m->solicited, m->override, m->router);
}

static gint neigh_cmp(gconstpointer a, gconstpointer b)
{
    const Neigh *x = *(const Neigh *const *)a, *y = *(const Neigh *const *)b;
    return memcmp(x->addr.b, y->addr.b, 16);
}

void ns_ip6_neigh_foreach(const NsIp6 *ip6, NsNeigh6RowFn fn, void *data)
{
    for (guint i = 0; ip6->neigh && i < ip6->neigh->len; i++) {
        GHashTable *t = g_ptr_array_index(ip6->neigh, i);
        if (!t)
            continue;
        g_autoptr(GPtrArray) v = g_ptr_array_new();
        GHashTableIter it;
        gpointer k, e;
        g_hash_table_iter_init(&it, t);
        while (g_hash_table_iter_next(&it, &k, &e))
            g_ptr_array_add(v, e);
        g_ptr_array_sort(v, neigh_cmp);
        for (guint j = 0; j < v->len; j++) {
            const Neigh *n = g_ptr_array_index(v, j);
            NsNeigh6Row row = {.addr = n->addr, .ifindex = i, .state = neigh_state(ip6, n),
                               .router = n->router};
            if (row.state != NS_NEIGH_INCOMPLETE)
                memcpy(row.mac, n->mac, 6);
            fn(&row, data);
        }
    }
}

char *ns_neigh6_row_format(const NsNeigh6Row *r)
{
    char a[NS_IPV6_STRLEN];
    ns_ipv6_format(&r->addr, a);
    if (r->state == NS_NEIGH_INCOMPLETE)
        return g_strdup_printf("%s dev eth%u INCOMPLETE", a, r->ifindex);
    return g_strdup_printf("%s dev eth%u lladdr %02x:%02x:%02x:%02x:%02x:%02x%s %s", a,
                           r->ifindex, r->mac[0], r->mac[1], r->mac[2], r->mac[3], r->mac[4],
                           r->mac[5], r->router ? " router" : "",
                           ns_neigh_state_name(r->state));
}

bool ns_ip6_neigh_state(const NsIp6 *ip6, const NsIface *iface, const NsIpv6Addr *addr,
                        NsNeighState *state)
{
    Neigh *n = neigh_find((NsIp6 *)ip6, iface, addr);
    if (!n)
        return false;
    *state = neigh_state(ip6, n);
    return true;
}

void ns_ip6_flush_neighbours(NsIp6 *ip6)
{
    for (guint i = 0; ip6->neigh && i < ip6->neigh->len; i++) {
        GHashTable *t = g_ptr_array_index(ip6->neigh, i);
        if (t)
            g_hash_table_remove_all(t);
    }
}

/* ---- output ---- */

/* ns_ip6_output() with IPv6's own summary for the SEND line (may be NULL). */
static bool nf_pass6(NsIp6 *ip6, NsNfChain chain, NsPacket *pkt, NfInfo *info);

/* Connection tracking of a datagram (header first) on a host with filter
 * rules or NAT (PREROUTING and LOCAL_OUT, as for IPv4): its flow in *info,
 * which stays empty otherwise. */
static void track6(NsIp6 *ip6, const NsPacket *pkt, NfInfo *info)
{
    *info = (NfInfo){0};
    NsNetfilter *nf = ns_netfilter_peek(ns_ip_of(ip6->host));
    if (nf)
        nf_conntrack(nf, pkt, info);
}

/* ---- fragmentation and path MTU ---- */

static Frag6 *frag6(NsIp6 *ip6)
{
    if (!ip6->frag) {
        ip6->frag = g_new0(Frag6, 1);
        ns_rng_init(&ip6->frag->ids, ip6->ctx->seed, "ip6frag", ns_host_index(ip6->host));
    }
    return ip6->frag;
}

/* The learned path MTU towards dst, or NULL; an expired one is forgotten. */
static Pmtu6 *pmtu_find(NsIp6 *ip6, const NsIpv6Addr *dst)
{
    GArray *a = ip6->frag ? ip6->frag->pmtu : NULL;
    for (guint i = 0; a && i < a->len; i++) {
        Pmtu6 *e = &g_array_index(a, Pmtu6, i);
        if (memcmp(&e->dst, dst, sizeof *dst) != 0)
            continue;
        if (now6(ip6) < e->expires)
            return e;
        g_array_remove_index(a, i);
        return NULL;
    }
    return NULL;
}

/* The path MTU towards dst: the interface's, or less if learned. */
static uint32_t path_mtu6(NsIp6 *ip6, const NsIface *iface, const NsIpv6Addr *dst)
{
    uint32_t mtu = ns_iface_mtu(iface);
    const Pmtu6 *e = pmtu_find(ip6, dst);
    return e && e->mtu < mtu ? e->mtu : mtu;
}

/* A packet too big about our datagram to dst (Linux's
 * __ip6_rt_update_pmtu): an MTU below IPv6's minimum counts as 1280 (RFC
 * 8200 no longer allows atomic fragments for it), and the path MTU only
 * ever goes down until it expires. */
static void learn_pmtu6(NsIp6 *ip6, const NsIpv6Addr *dst, uint32_t mtu)
{
    NsIface *iface;
    NsIpv6Addr nh;
    if (!ns_ip6_route(ip6, dst, &iface, &nh))
        return;
    if (mtu < NS_IP6_MIN_MTU)
        mtu = NS_IP6_MIN_MTU;
    if (mtu >= path_mtu6(ip6, iface, dst))
        return;
    Frag6 *f = frag6(ip6);
    Pmtu6 *e = pmtu_find(ip6, dst);
    if (!e) {
        if (!f->pmtu)
            f->pmtu = g_array_new(FALSE, FALSE, sizeof(Pmtu6));
        g_array_append_val(f->pmtu, ((Pmtu6){.dst = *dst}));
        e = &g_array_index(f->pmtu, Pmtu6, f->pmtu->len - 1);
    }
    e->mtu = mtu;
    e->expires = now6(ip6) + NS_IP6_MTU_EXPIRES;
}

uint32_t ns_ip6_path_mtu(NsIp6 *ip6, const NsIpv6Addr *dst)
{
    NsIface *iface;
    NsIpv6Addr nh;
    if (!ns_ip6_route(ip6, dst, &iface, &nh))
        return 0;
    return path_mtu6(ip6, iface, dst);
}

/* Where the fragments of one datagram go, with its socket's note. */
typedef struct {
    NsIp6 *ip6;
    NsIface *iface;
    NsIpv6Addr next_hop;
    NsPacketNote note;
    uint8_t noted;
} Out6;

static void out6_fragment(void *data, NsPacket *frag)
{
    Out6 *o = data;
    frag->note = o->note;
    frag->flags |= o->noted;
    trace_packet(o->ip6, NS_TRACE_SEND, frag, NS_DROP_NONE, NULL);
    nd_output(o->ip6, o->iface, frag, &o->next_hop);
}

static int output6(NsIp6 *ip6, NsPacket *seg, const NsIpv6Addr *src, const NsIpv6Addr *dst,
                   uint8_t next_header, uint8_t hop_limit, const char *summary)
{
    if (!ns_host_is_up(ip6->host)) {
        ns_packet_free(seg);
        return ENETDOWN;
    }
    NsIface *iface = NULL;
    NsIpv6Addr next_hop = *dst;
    bool local = ns_ip6_is_local(ip6, dst);
    if (!local && !ns_ip6_route(ip6, dst, &iface, &next_hop)) {
        ip6->ipstats->dropped++;
        ns_packet_free(seg);
        return ENETUNREACH;
    }
    if (local) {
        ns_packet_free(seg); /* loopback over IPv6 is not modelled */
        return ENETUNREACH;
    }
    /* Over the path MTU, UDP, ICMPv6 and raw datagrams leave in fragments
     * made here at the source (RFC 8200 4.5, as Linux's ip6_fragment);
     * TCP sizes its segments to the path itself (its MSS and its own path
     * MTU discovery) and never needs it. Routers never fragment. */
    uint32_t mtu = next_header == NS_IPPROTO_TCP ? ns_iface_mtu(iface)
                                                 : path_mtu6(ip6, iface, dst);
    bool fragment = seg->len + NS_IPV6_HLEN > mtu;
    if (seg->len > 65535 || (fragment && next_header == NS_IPPROTO_TCP)) {
        ns_packet_free(seg);
        return EMSGSIZE;
    }
    NsIpv6Repr h = {.payload_len = (uint16_t)seg->len, .next_header = next_header,
                    .hop_limit = hop_limit ? hop_limit : NS_IP6_DEFAULT_HOP_LIMIT,
                    .dst = *dst};
    h.src = src ? *src : source_on(iface, dst);
    uint8_t *hdr = ns_packet_push(seg, NS_IPV6_HLEN);
    ns_ipv6_emit(&h, hdr, NS_IPV6_HLEN);
    /* A rule of the output chain that takes it fails the call with EPERM,
     * as over IPv4. */
    NfInfo nfi;
    track6(ip6, seg, &nfi);
    if (!nf_pass6(ip6, NS_NF_CHAIN_OUT, seg, &nfi))
        return EPERM;
    ip6->ipstats->sent++;
    if (fragment) {
        /* As Linux, the filters saw the whole datagram; its fragments
         * leave with one new ID, never 0. */
        uint32_t id = (uint32_t)ns_rng_below(&frag6(ip6)->ids, UINT32_MAX) + 1;
        Out6 o = {ip6, iface, next_hop, seg->note, seg->flags & NS_PACKET_NOTED};
        ns_ipv6_fragment(seg, mtu, id, NS_PACKET_HEADROOM, out6_fragment, &o);
        return 0;
    }
    trace_packet(ip6, NS_TRACE_SEND, seg, NS_DROP_NONE, summary);
    nd_output(ip6, iface, seg, &next_hop);
    return 0;
}

int ns_ip6_output(NsIp6 *ip6, NsPacket *seg, const NsIpv6Addr *src, const NsIpv6Addr *dst,
                  uint8_t next_header, uint8_t hop_limit)
{
    return output6(ip6, seg, src, dst, next_header, hop_limit, NULL);
}

int ns_ip6_send_echo(NsIp6 *ip6, const NsIpv6Addr *dst, uint16_t id, uint16_t seq,
                     size_t payload_len, uint8_t hop_limit)
{
    if (payload_len > 65535 - NS_ICMP6_HLEN)
        return EMSGSIZE;
    NsIpv6Addr src;
    if (!ns_ip6_source_for(ip6, dst, &src))
        return ENETUNREACH;
    NsPacket *p = ns_packet_new(ip6->ctx->pool, NS_PACKET_HEADROOM, NS_ICMP6_HLEN + payload_len);
    for (size_t i = 0; i < payload_len; i++)
        p->data[NS_ICMP6_HLEN + i] = (uint8_t)(0x10 + i);
    NsIcmp6Repr r = {.type = NS_ICMP6_ECHO_REQUEST, .id = id, .seq = seq};
    ns_icmp6_emit(&r, &src, dst, p->data + NS_ICMP6_HLEN, payload_len, p->data, p->len);
    return ns_ip6_output(ip6, p, &src, dst, NS_IPPROTO_ICMPV6, hop_limit);
}

/* "about 2001:db8:1::10 > 2001:db8:2::20 ICMPv6" (with "mtu 1280, " in
 * front for packet too big): what an ICMPv6 error quotes. */
static void quote_summary6(const uint8_t *orig, size_t len, uint32_t mtu, char *buf, size_t n)
{
    /* A received quote is often cut short (RFC 4443 2.4 (c)): describe its
     * header and the transport's first bytes, which say all the line shows. */
    uint8_t head[NS_IPV6_HLEN + 20];
    size_t k = len < sizeof head ? len : sizeof head;
    if (k < NS_IPV6_HLEN)
        return;
    memcpy(head, orig, k);
    ns_write_be16(head + 4, (uint16_t)(k - NS_IPV6_HLEN));
    NsTraceEvent q = {0};
    ns_trace_describe_ip(&q, head, k);
    if (!q.src6)
        return;
    char a[NS_IPV6_STRLEN], b[NS_IPV6_STRLEN], m[24] = "";
    ns_ipv6_format((const NsIpv6Addr *)(const void *)q.src6, a);
    ns_ipv6_format((const NsIpv6Addr *)(const void *)q.dst6, b);
    if (mtu)
        snprintf(m, sizeof m, "mtu %u, ", mtu);
    const char *pn = q.proto == NS_IPPROTO_UDP   ? "UDP"
                     : q.proto == NS_IPPROTO_TCP ? "TCP"
                                                 : "ICMPv6";
    if (q.proto == NS_IPPROTO_UDP || q.proto == NS_IPPROTO_TCP)
        snprintf(buf, n, "%sabout [%s]:%u > [%s]:%u %s", m, a, q.sport, b, q.dport, pn);
    else
        snprintf(buf, n, "%sabout %s > %s %s", m, a, b, pn);
}

void ns_ip6_send_icmp_error(NsIp6 *ip6, uint8_t type, uint8_t code, uint32_t param,
                            const uint8_t *orig, size_t orig_len)
{
    NsIpv6Repr oh;
    if (ns_ipv6_parse(orig, orig_len, &oh) != NS_WIRE_OK)
        return;
    /* RFC 4443 2.4 (e): not about a multicast destination (packet too big
     * aside), an unspecified or multicast source, or an ICMPv6 error. */
    if (ns_ipv6_is_unspecified(&oh.src) || ns_ipv6_is_multicast(&oh.src) ||
        (ns_ipv6_is_multicast(&oh.dst) && type != NS_ICMP6_PACKET_TOO_BIG))
        return;
    if (oh.next_header == NS_IPPROTO_ICMPV6 && orig_len > NS_IPV6_HLEN &&
        orig[NS_IPV6_HLEN] < 128)
        return;
    size_t avail = NS_IPV6_HLEN + (size_t)oh.payload_len;
    if (avail > orig_len)
        avail = orig_len;
    size_t room = NS_IP6_MIN_MTU - NS_IPV6_HLEN - NS_ICMP6_HLEN;
    size_t quote = avail < room ? avail : room;
    NsIpv6Addr src;
    if (ns_ip6_is_local(ip6, &oh.dst))
        src = oh.dst;
    else if (!ns_ip6_source_for(ip6, &oh.src, &src))
        return;
    NsPacket *p = ns_packet_new(ip6->ctx->pool, NS_PACKET_HEADROOM, NS_ICMP6_HLEN + quote);
    NsIcmp6Repr r = {.type = (NsIcmp6Type)type, .code = code, .mtu = param};
    if (ns_icmp6_emit(&r, &src, &oh.src, orig, quote, p->data, p->len) == 0) {
        ns_packet_free(p);
        return;
    }
    char summary[160] = "";
    if (ns_tracer_wants(ip6->ctx->tracer, NS_TRACE_SEND))
        quote_summary6(orig, avail, type == NS_ICMP6_PACKET_TOO_BIG ? param : 0, summary,
                       sizeof summary);
    output6(ip6, p, &src, &oh.src, NS_IPPROTO_ICMPV6, 0, summary[0] ? summary : NULL);
}

/* ---- input ---- */

static int icmp6_errno(uint8_t type, uint8_t code)
{
    switch (type) {
    case NS_ICMP6_PACKET_TOO_BIG:
        return EMSGSIZE;
    case NS_ICMP6_TIME_EXCEEDED:
        return EHOSTUNREACH;
    case NS_ICMP6_DEST_UNREACH:
        switch (code) {
        case NS_ICMP6_UNREACH_NO_ROUTE:
            return ENETUNREACH;
        case NS_ICMP6_UNREACH_ADMIN:
            return EACCES;
        case NS_ICMP6_UNREACH_PORT:
            return ECONNREFUSED;
        default:
            return EHOSTUNREACH;
        }
    default:
        return EPROTO;
    }
}

/* An error about one of our echo requests (dgram: the quoted datagram, or
 * ours when Neighbor Discovery failed) goes to the ping handler. */
static void echo_error6(NsIp6 *ip6, const NsIpv6Addr *from, const uint8_t *dgram, size_t len,
                        int err)
{
    uint8_t nh;
    size_t off;
    if (!ip6->echo_fn || !quote_upper6(dgram, len, &nh, &off) || len < off + NS_ICMP6_HLEN)
        return;
    const uint8_t *m = dgram + off;
    if (nh != NS_IPPROTO_ICMPV6 || m[0] != NS_ICMP6_ECHO_REQUEST)
        return;
    ip6->echo_fn(ip6->echo_data, from, ns_read_be16(m + 4), ns_read_be16(m + 6), 0, 0, err);
}

/* The "about ..." of a received ICMPv6 error (l4: its message, len bytes),
 * when receptions are traced; empty for anything else. */
static void recv_quote6(const NsIp6 *ip6, const NsIcmp6Repr *m, const uint8_t *l4, size_t len,
                        char *buf, size_t n)
{
    bool error = m->type == NS_ICMP6_DEST_UNREACH || m->type == NS_ICMP6_PACKET_TOO_BIG ||
                 m->type == NS_ICMP6_TIME_EXCEEDED || m->type == NS_ICMP6_PARAM_PROBLEM;
    if (error && len > NS_ICMP6_HLEN && ns_tracer_wants(ip6->ctx->tracer, NS_TRACE_RECV))
        quote_summary6(l4 + NS_ICMP6_HLEN, len - NS_ICMP6_HLEN,
                       m->type == NS_ICMP6_PACKET_TOO_BIG ? m->mtu : 0, buf, n);
}

/* A packet too big about a datagram we sent (the quote): the path to its
 * destination carries `mtu` (Linux updates the route from the error
 * handlers of ICMPv6, UDP, raw and TCP alike, so whatever the datagram
 * was; not for a later fragment, which reaches none of them). */
static void pmtu_heard6(NsIp6 *ip6, const uint8_t *quote, size_t len, uint32_t mtu)
{
    uint8_t nh;
    size_t off;
    NsIpv6Addr src, dst;
    if (!quote_upper6(quote, len, &nh, &off))
        return;
    memcpy(src.b, quote + 8, 16);
    memcpy(dst.b, quote + 24, 16);
    if (ns_ip6_is_local(ip6, &src))
        learn_pmtu6(ip6, &dst, mtu);
}

static void icmp6_input(NsIp6 *ip6, NsIface *iface, const NsIpv6Repr *h, NsPacket *pkt)
{
    const uint8_t *l4 = pkt->data + NS_IPV6_HLEN;
    size_t len = h->payload_len;
    NsIcmp6Repr m;
    NsWireResult res = ns_icmp6_parse(l4, len, &h->src, &h->dst, &m);
    if (res != NS_WIRE_OK && res != NS_WIRE_UNSUPPORTED) {
        drop6(ip6, pkt, res == NS_WIRE_BAD_CHECKSUM ? NS_DROP_CHECKSUM : NS_DROP_MALFORMED);
        return;
    }
    switch (m.type) {
    case NS_ICMP6_NEIGHBOR_SOLICIT:
    case NS_ICMP6_NEIGHBOR_ADVERT:
        /* Neighbor Discovery is traced by its own lines, like ARP. */
        nd_input(ip6, iface, h, &m);
        ns_packet_free(pkt);
        return;
    case NS_ICMP6_ECHO_REQUEST: {
        ip6->ipstats->received++;
        trace_packet(ip6, NS_TRACE_RECV, pkt, NS_DROP_NONE, NULL);
        if (ns_ipv6_is_multicast(&h->dst)) {
            ns_packet_free(pkt); /* answering a group is not modelled */
            return;
        }
        size_t plen = len - NS_ICMP6_HLEN;
        NsPacket *p = ns_packet_new(ip6->ctx->pool, NS_PACKET_HEADROOM, len);
        NsIcmp6Repr r = {.type = NS_ICMP6_ECHO_REPLY, .id = m.id, .seq = m.seq};
        ns_icmp6_emit(&r, &h->dst, &h->src, l4 + NS_ICMP6_HLEN, plen, p->data, p->len);
        ns_packet_free(pkt);
        ns_ip6_output(ip6, p, &h->dst, &h->src, NS_IPPROTO_ICMPV6, 0);
        return;
    }
    case NS_ICMP6_ECHO_REPLY:
        ip6->ipstats->received++;
        trace_packet(ip6, NS_TRACE_RECV, pkt, NS_DROP_NONE, NULL);
        if (ip6->echo_fn)
            ip6->echo_fn(ip6->echo_data, &h->src, m.id, m.seq, h->hop_limit,
                         len - NS_ICMP6_HLEN, 0);
        ns_packet_free(pkt);
        return;
    case NS_ICMP6_DEST_UNREACH:
    case NS_ICMP6_PACKET_TOO_BIG:
    case NS_ICMP6_TIME_EXCEEDED:
    case NS_ICMP6_PARAM_PROBLEM: {
        ip6->ipstats->received++;
        /* Errors quote the datagram they are about: show which, as the
         * line of the one who sent it does. */
        char summary[160] = "";
        recv_quote6(ip6, &m, l4, len, summary, sizeof summary);
        trace_packet(ip6, NS_TRACE_RECV, pkt, NS_DROP_NONE, summary[0] ? summary : NULL);
        if (m.type == NS_ICMP6_PACKET_TOO_BIG)
            pmtu_heard6(ip6, l4 + NS_ICMP6_HLEN, len - NS_ICMP6_HLEN, m.mtu);
        echo_error6(ip6, &h->src, l4 + NS_ICMP6_HLEN, len - NS_ICMP6_HLEN,
                    icmp6_errno(m.type, m.code));
        transport_error6(ip6, icmp6_errno(m.type, m.code),
                         m.type == NS_ICMP6_PACKET_TOO_BIG ? m.mtu : 0, l4 + NS_ICMP6_HLEN,
                         len - NS_ICMP6_HLEN);
        ns_packet_free(pkt);
        return;
    }
    case NS_ICMP6_ROUTER_SOLICIT:
    case NS_ICMP6_ROUTER_ADVERT:
        break;
    }
    ip6->ipstats->received++;
    trace_packet(ip6, NS_TRACE_RECV, pkt, NS_DROP_NONE, NULL);
    ns_packet_free(pkt);
}

static void fwd6_fragment(void *data, NsPacket *frag)
{
    Out6 *o = data;
    trace_packet(o->ip6, NS_TRACE_FWD, frag, NS_DROP_NONE, NULL);
    nd_output(o->ip6, o->iface, frag, &o->next_hop);
}

/* A router passes the datagram on (RFC 8200 section 3; RFC 4443 for the
 * errors): the route first, then the hop limit, then the next link's MTU
 * (routers do not fragment IPv6). Link-local sources and destinations
 * never leave their link. A datagram the router put together for its
 * rules (frag_max: its largest fragment) is cut again into fragments no
 * larger than those it came in, with a new identification, as Linux's
 * ip6_fragment does with frag_max_size; one whose fragments were too big
 * for the next link gets packet too big. */
static void forward6(NsIp6 *ip6, const NsIpv6Repr *h, NsPacket *pkt, NfInfo *nfi,
                     uint32_t frag_max)
{
    if (ns_ipv6_is_link_local(&h->dst) || ns_ipv6_is_link_local(&h->src) ||
        ns_ipv6_is_multicast(&h->dst)) {
        drop6(ip6, pkt, NS_DROP_NOT_FOR_HOST);
        return;
    }
    NsIface *out;
    NsIpv6Addr nh;
    if (!ns_ip6_route(ip6, &h->dst, &out, &nh)) {
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_DEST_UNREACH, NS_ICMP6_UNREACH_NO_ROUTE, 0,
                               pkt->data, pkt->len);
        drop6(ip6, pkt, NS_DROP_NO_ROUTE);
        return;
    }
    if (h->hop_limit <= 1) {
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_TIME_EXCEEDED, 0, 0, pkt->data, pkt->len);
        drop6(ip6, pkt, NS_DROP_TTL_EXCEEDED);
        return;
    }
    if ((frag_max ? frag_max : pkt->len) > ns_iface_mtu(out)) {
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_PACKET_TOO_BIG, 0, ns_iface_mtu(out), pkt->data,
                               pkt->len);
        drop6(ip6, pkt, NS_DROP_TOO_BIG);
        return;
    }
    if (!nf_pass6(ip6, NS_NF_CHAIN_FORWARD, pkt, nfi))
        return;
    pkt->data[7] = (uint8_t)(h->hop_limit - 1);
    ip6->ipstats->forwarded++;
    if (frag_max && pkt->len > frag_max) {
        uint32_t mtu = frag_max < NS_IP6_MIN_MTU ? NS_IP6_MIN_MTU : frag_max;
        uint32_t id = (uint32_t)ns_rng_below(&frag6(ip6)->ids, UINT32_MAX) + 1;
        Out6 o = {.ip6 = ip6, .iface = out, .next_hop = nh};
        ns_ipv6_fragment(pkt, mtu, id, NS_PACKET_HEADROOM, fwd6_fragment, &o);
        return;
    }
    trace_packet(ip6, NS_TRACE_FWD, pkt, NS_DROP_NONE, NULL);
    nd_output(ip6, out, pkt, &nh);
}

static void send_reset6(NsIp6 *ip6, const NsIpv6Repr *h, const NsPacket *pkt);

/* A datagram for a closed port: UDP gets port unreachable (RFC 4443
 * 3.1), TCP a reset. */
static void closed_port6(NsIp6 *ip6, const NsIpv6Repr *h, NsPacket *pkt)
{
    if (h->next_header == NS_IPPROTO_UDP) {
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_DEST_UNREACH, NS_ICMP6_UNREACH_PORT, 0, pkt->data,
                               pkt->len);
        drop6(ip6, pkt, NS_DROP_NO_SOCKET);
        return;
    }
    send_reset6(ip6, h, pkt);
    drop6(ip6, pkt, NS_DROP_NO_SOCKET);
}

/* The RST a closed TCP port answers a segment with (RFC 9293 3.10.7.1:
 * <SEQ=SEG.ACK><CTL=RST> for an ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>); never for a RST. */
static void send_reset6(NsIp6 *ip6, const NsIpv6Repr *h, const NsPacket *pkt)
{
    const uint8_t *l4 = pkt->data + NS_IPV6_HLEN;
    size_t len = h->payload_len;
    if (h->next_header == NS_IPPROTO_TCP && len >= NS_TCP_HLEN && !(l4[13] & NS_TCP_RST) &&
        !ns_ipv6_is_multicast(&h->dst)) {
        uint8_t flags = l4[13];
        size_t hl = (size_t)(l4[12] >> 4) * 4u;
        uint32_t seg_len = (uint32_t)(len > hl ? len - hl : 0) + ((flags & NS_TCP_SYN) ? 1u : 0u) +
                           ((flags & NS_TCP_FIN) ? 1u : 0u);
        NsPacket *r = ns_packet_new(ip6->ctx->pool, NS_PACKET_HEADROOM, NS_TCP_HLEN);
        memset(r->data, 0, NS_TCP_HLEN);
        memcpy(r->data, l4 + 2, 2); /* the ports swapped */
        memcpy(r->data + 2, l4, 2);
        if (flags & NS_TCP_ACK) {
            memcpy(r->data + 4, l4 + 8, 4);
            r->data[13] = NS_TCP_RST;
        } else {
            ns_write_be32(r->data + 8, ns_read_be32(l4 + 4) + seg_len);
            r->data[13] = NS_TCP_RST | NS_TCP_ACK;
        }
        r->data[12] = 5 << 4;
        ns_ipv6_l4_checksum(r->data, NS_TCP_HLEN, 16, &h->dst, &h->src, NS_IPPROTO_TCP);
        output6(ip6, r, &h->dst, &h->src, NS_IPPROTO_TCP, 0, NULL);
    }
}

/* Run the host's filter rules of `chain` on an IPv6 datagram (header
 * first). False when a rule took it: dropped (traced with the rule) and,
 * for reject, answered; the datagram is then consumed. */
static bool nf_pass6(NsIp6 *ip6, NsNfChain chain, NsPacket *pkt, NfInfo *info)
{
    NsNetfilter *nf = ns_netfilter_peek(ns_ip_of(ip6->host));
    const NsNfRule *r = nf ? nf_filter6(nf, chain, pkt, info) : NULL;
    if (!r || r->action == NS_NF_ACCEPT)
        return true;
    nf_conntrack_unconfirm(nf, info);
    ip6->ipstats->dropped++;
    NsTracer *tr = ip6->ctx->tracer;
    if (ns_tracer_wants(tr, NS_TRACE_DROP)) {
        NsTraceEvent ev = {.time = now6(ip6), .kind = NS_TRACE_DROP,
                           .host = ns_host_name(ip6->host), .drop = NS_DROP_FILTER,
                           .rule_name = r->name, .loc = {r->file, r->line},
                           .bytes = pkt->data, .bytes_len = pkt->len};
        ns_trace_describe_ip(&ev, pkt->data, pkt->len);
        ns_trace_emit(tr, &ev);
    }
    NsIpv6Repr h;
    bool parsed = ns_ipv6_parse(pkt->data, pkt->len, &h) == NS_WIRE_OK;
    switch (r->action) {
    case NS_NF_ACCEPT:
    case NS_NF_DROP:
        break;
    case NS_NF_REJECT:
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_DEST_UNREACH, NS_ICMP6_UNREACH_PORT, 0, pkt->data,
                               pkt->len);
        break;
    case NS_NF_REJECT_ADMIN:
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_DEST_UNREACH, NS_ICMP6_UNREACH_ADMIN, 0, pkt->data,
                               pkt->len);
        break;
    case NS_NF_REJECT_RST:
        if (parsed)
            send_reset6(ip6, &h, pkt);
        break;
    }
    ns_packet_free(pkt);
    return false;
}

/* Reassembly's reports (frag.c): a fragment given up; a datagram that
 * timed out with its first fragment: ICMPv6 time exceeded, code 1 (RFC
 * 8200 4.5). */
static void reasm6_drop(void *data, const NsPacket *frag, NsDropReason why)
{
    NsIp6 *ip6 = data;
    ip6->ipstats->dropped++;
    trace_packet(ip6, NS_TRACE_DROP, frag, why, NULL);
}

static void reasm6_expired(void *data, const NsPacket *head)
{
    NsIp6 *ip6 = data;
    if (ns_host_is_up(ip6->host))
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_TIME_EXCEEDED, 1, 0, head->data, head->len);
}

static const NsIpReasmOps reasm6_ops = {reasm6_drop, reasm6_expired};

/* A fragment for this host: its RECV line, its checks (RFC 8200 4.5: a
 * fragment with more to come and a length not a multiple of 8, or one
 * reaching past 65535 bytes, is answered with a parameter problem), then
 * reassembly. An atomic fragment (offset 0, no more to come: RFC 6946) is
 * the whole datagram at once, whatever is held under its ID (on a router
 * that reassembles only for its rules, it passes untouched). Returns the
 * whole datagram, its header first and no Fragment header (transfer full;
 * *max_frag the length of its largest fragment, 0 for an atomic one), or
 * NULL. */
static NsPacket *reassemble6(NsIp6 *ip6, NsPacket *frag, const NsIpv6Repr *h, bool local,
                             uint32_t *max_frag)
{
    *max_frag = 0;
    trace_packet(ip6, NS_TRACE_RECV, frag, NS_DROP_NONE, NULL);
    NsIpv6FragRepr fh;
    if (ns_ipv6_frag_parse(frag->data + NS_IPV6_HLEN, h->payload_len, &fh) != NS_WIRE_OK) {
        drop6(ip6, frag, NS_DROP_MALFORMED_IP);
        return NULL;
    }
    uint32_t len = h->payload_len - NS_IPV6_FRAG_HLEN;
    if (fh.offset == 0 && !fh.m && !local)
        return frag;
    if (fh.offset == 0 && !fh.m) {
        /* Linux's ipv6_frag_rcv: the Fragment header is skipped. */
        uint8_t hdr[NS_IPV6_HLEN];
        memcpy(hdr, frag->data, NS_IPV6_HLEN);
        ns_packet_pull(frag, NS_IPV6_FRAG_HLEN);
        memcpy(frag->data, hdr, NS_IPV6_HLEN);
        ns_write_be16(frag->data + 4, (uint16_t)len);
        frag->data[6] = fh.next_header;
        return frag;
    }
    if ((fh.m && len % 8) || fh.offset + len > 65535) {
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_PARAM_PROBLEM, 0, fh.m && len % 8 ? 4 : 42,
                               frag->data, frag->len);
        drop6(ip6, frag, NS_DROP_FRAG_INVALID);
        return NULL;
    }
    if (!ip6->reasm) {
        ip6->reasm = ns_ip_reasm_new(ip6->ctx->sim, ip6->ctx->pool, &reasm6_ops, ip6);
        ns_ip_reasm_set_limits(ip6->reasm, NS_IP6FRAG_TIME, NS_IPFRAG_HIGH_THRESH);
    }
    return ns_ip6_reasm_input(ip6->reasm, frag, h, &fh, max_frag);
}

void ns_ip6_input(NsIp6 *ip6, NsIface *iface, NsPacket *pkt)
{
    ip6_input(ip6, iface, pkt);
}

static void ip6_input(void *l3, NsIface *iface, NsPacket *pkt)
{
    NsIp6 *ip6 = l3;
    NsIpv6Repr h;
    if (ns_ipv6_parse(pkt->data, pkt->len, &h) != NS_WIRE_OK) {
        drop6(ip6, pkt, NS_DROP_MALFORMED_IP);
        return;
    }
    ns_packet_trim(pkt, NS_IPV6_HLEN + (size_t)h.payload_len);
    bool for_us = ns_ipv6_is_multicast(&h.dst) ? iface_in_group(iface, &h.dst)
                                               : ns_ip6_is_local(ip6, &h.dst);
    /* Fragments are put together before anything else looks at them: at
     * their destination, and on a router with filter rules or NAT (as
     * Linux's nf_defrag_ipv6 does before connection tracking; it cuts the
     * datagram again when it forwards it). */
    uint32_t frag_max = 0;
    if (h.next_header == NS_IPPROTO_FRAGMENT &&
        (for_us || (!ns_ipv6_is_multicast(&h.dst) && ns_host_is_router(ip6->host) &&
                    ns_netfilter_peek(ns_ip_of(ip6->host))))) {
        pkt = reassemble6(ip6, pkt, &h, for_us, &frag_max);
        if (!pkt)
            return;
        ns_ipv6_parse(pkt->data, pkt->len, &h);
    }
    NfInfo nfi = {0};
    if (for_us || !ns_ipv6_is_multicast(&h.dst))
        track6(ip6, pkt, &nfi);
    if (!for_us) {
        if (ns_ipv6_is_multicast(&h.dst)) {
            ns_packet_free(pkt); /* a group this interface did not join */
            return;
        }
        if (ns_host_is_router(ip6->host)) {
            forward6(ip6, &h, pkt, &nfi, frag_max);
            return;
        }
        drop6(ip6, pkt, NS_DROP_NOT_FOR_HOST);
        return;
    }
    bool nd = h.next_header == NS_IPPROTO_ICMPV6 && h.payload_len >= 1 &&
              (pkt->data[NS_IPV6_HLEN] == NS_ICMP6_NEIGHBOR_SOLICIT ||
               pkt->data[NS_IPV6_HLEN] == NS_ICMP6_NEIGHBOR_ADVERT);
    /* Neighbor Discovery is never filtered (what every IPv6 firewall
     * allows first: without it nothing on the link is reachable). */
    if (!nd && !nf_pass6(ip6, NS_NF_CHAIN_IN, pkt, &nfi))
        return;
    if (!nd && tapped6(ip6, &h, pkt)) {
        /* A raw socket (traceroute) took it: still received here. */
        ip6->ipstats->received++;
        char summary[160] = "";
        NsIcmp6Repr m;
        if (h.next_header == NS_IPPROTO_ICMPV6 &&
            ns_icmp6_parse(pkt->data + NS_IPV6_HLEN, h.payload_len, &h.src, &h.dst, &m) ==
                NS_WIRE_OK)
            recv_quote6(ip6, &m, pkt->data + NS_IPV6_HLEN, h.payload_len, summary,
                        sizeof summary);
        trace_packet(ip6, NS_TRACE_RECV, pkt, NS_DROP_NONE, summary[0] ? summary : NULL);
        ns_packet_free(pkt);
        return;
    }
    switch (h.next_header) {
    case NS_IPPROTO_ICMPV6:
        icmp6_input(ip6, iface, &h, pkt);
        return;
    case NS_IPPROTO_UDP:
    case NS_IPPROTO_TCP: {
        ip6->ipstats->received++;
        void *data;
        const NsIpProtoOps *ops = transport6(ip6, h.next_header, &data);
        if (ops) {
            /* The transport traces its own RECV line, with what it decoded. */
            ns_packet_pull(pkt, NS_IPV6_HLEN);
            ops->input6(data, &h, pkt);
            return;
        }
        /* A transport not run over IPv6: the host answers as Linux does
         * for a closed port. */
        trace_packet(ip6, NS_TRACE_RECV, pkt, NS_DROP_NONE, NULL);
        closed_port6(ip6, &h, pkt);
        return;
    }
    default:
        /* A transport this host does not run: parameter problem, code 1,
         * pointing at the Next Header field (RFC 4443 3.4). */
        ip6->ipstats->received++;
        trace_packet(ip6, NS_TRACE_RECV, pkt, NS_DROP_NONE, NULL);
        ns_ip6_send_icmp_error(ip6, NS_ICMP6_PARAM_PROBLEM, 1, 6, pkt->data, pkt->len);
        drop6(ip6, pkt, NS_DROP_NO_PROTOCOL);
        return;
    }
}

/* ---- routing ---- */

static void add_connected(NsHost *h)
{
    NsIp6 *ip6 = ns_ip6_of(h);
    static const NsIpv6Addr fe80 = {.b = {0xfe, 0x80}};
    for (uint32_t i = 0; i < ns_host_iface_count(h); i++) {
        NsIface *ifc = ns_host_iface(h, i);
        for (uint32_t a = 0; a < ns_iface_addr6_count(ifc); a++) {
            uint8_t pl;
            const NsIpv6Addr *addr = ns_iface_addr6(ifc, a, &pl);
            NsIpv6Addr net = *addr;
            for (int b = pl; b < 128; b++)
                net.b[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
            ns_ip6_add_route(ip6, &net, pl, ifc, NULL, 0, NS_ROUTE_CONNECTED);
        }
    }
    for (uint32_t i = 0; i < ns_host_iface_count(h); i++)
        ns_ip6_add_route(ip6, &fe80, 64, ns_host_iface(h, i), NULL, 0, NS_ROUTE_CONNECTED);
}

static bool has_v6(NsHost *h)
{
    for (uint32_t i = 0; i < ns_host_iface_count(h); i++)
        if (ns_iface_addr6_count(ns_host_iface(h, i)))
            return true;
    return false;
}

/* The interface of `h` on segment seg, or NULL. */
static NsIface *iface_on(NsHost *h, NsSegment *seg)
{
    for (uint32_t i = 0; i < ns_host_iface_count(h); i++)
        if (ns_iface_segment(ns_host_iface(h, i)) == seg)
            return ns_host_iface(h, i);
    return NULL;
}

/* Addresses of /128 (link addresses: on links and switches) are reached
 * directly by the other hosts on their segment, as IPv4's /32 are. */
static void add_link_peers(GPtrArray *hosts)
{
    GHashTable *by_seg = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GPtrArray) lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < hosts->len; i++) {
        NsHost *h = g_ptr_array_index(hosts, i);
        for (uint32_t k = 0; k < ns_host_iface_count(h); k++) {
            NsIface *ifc = ns_host_iface(h, k);
            GPtrArray *l = g_hash_table_lookup(by_seg, ns_iface_segment(ifc));
            if (!l) {
                l = g_ptr_array_new();
                g_ptr_array_add(lists, l);
                g_hash_table_insert(by_seg, ns_iface_segment(ifc), l);
            }
            g_ptr_array_add(l, ifc);
        }
    }
    for (guint s = 0; s < lists->len; s++) {
        GPtrArray *l = g_ptr_array_index(lists, s);
        for (guint x = 0; x < l->len; x++) {
            NsIface *peer = g_ptr_array_index(l, x);
            for (uint32_t a = 0; a < ns_iface_addr6_count(peer); a++) {
                uint8_t pl;
                const NsIpv6Addr *addr = ns_iface_addr6(peer, a, &pl);
                if (pl != 128)
                    continue;
                for (guint y = 0; y < l->len; y++) {
                    NsIface *ifc = g_ptr_array_index(l, y);
                    if (ifc != peer)
                        ns_ip6_add_route(ns_ip6_of(ns_iface_host(ifc)), addr, 128, ifc, NULL, 0,
                                         NS_ROUTE_CONNECTED);
                }
            }
        }
    }
    g_hash_table_destroy(by_seg);
}

void ns_routing6_compute(GPtrArray *hosts, bool automatic)
{
    /* A network without IPv6 addresses gets no IPv6 routes at all (not
     * even fe80::/64): nothing there would use them, and a large IPv4
     * network keeps its memory. */
    bool any = false;
    for (guint i = 0; i < hosts->len && !any; i++)
        any = has_v6(g_ptr_array_index(hosts, i));
    if (!any)
        return;
    for (guint i = 0; i < hosts->len; i++)
        add_connected(g_ptr_array_index(hosts, i));
    add_link_peers(hosts);
    if (!automatic)
        return;
    /* Routers: every IPv6 prefix of the network, by a breadth-first search
     * over routers that share a segment, from the routers on the prefix. */
    guint n = hosts->len;
    g_autofree int32_t *dist = g_new(int32_t, n);
    g_autofree uint32_t *queue = g_new(uint32_t, n);
    for (guint hi = 0; hi < n; hi++) {
        NsHost *owner = g_ptr_array_index(hosts, hi);
        for (uint32_t ii = 0; ii < ns_host_iface_count(owner); ii++) {
            NsIface *pifc = ns_host_iface(owner, ii);
            for (uint32_t a = 0; a < ns_iface_addr6_count(pifc); a++) {
                uint8_t pl;
                NsIpv6Addr net = *ns_iface_addr6(pifc, a, &pl);
                for (int b = pl; b < 128; b++)
                    net.b[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
                NsSegment *pseg = ns_iface_segment(pifc);
                uint32_t qh = 0, qt = 0;
                for (guint r = 0; r < n; r++) {
                    NsHost *rh = g_ptr_array_index(hosts, r);
                    dist[r] = -1;
                    if (ns_host_is_router(rh) && iface_on(rh, pseg)) {
                        dist[r] = 0;
                        queue[qt++] = r;
                    }
                }
                while (qh < qt) {
                    uint32_t r = queue[qh++];
                    NsHost *rh = g_ptr_array_index(hosts, r);
                    for (uint32_t k = 0; k < ns_host_iface_count(rh); k++) {
                        NsIface *rif = ns_host_iface(rh, k);
                        NsSegment *seg = ns_iface_segment(rif);
                        for (guint o = 0; o < n; o++) {
                            NsHost *oh = g_ptr_array_index(hosts, o);
                            if (dist[o] >= 0 || !ns_host_is_router(oh))
                                continue;
                            NsIface *oif = iface_on(oh, seg);
                            if (!oif)
                                continue;
                            dist[o] = dist[r] + 1;
                            queue[qt++] = o;
                            ns_ip6_add_route(ns_ip6_of(oh), &net, pl, oif,
                                             ns_iface_link_local(rif), (uint32_t)dist[o] + 1,
                                             NS_ROUTE_AUTO);
                        }
                    }
                }
            }
        }
    }
    /* Hosts: a default route via the first router on one of their IPv6
     * networks (its link-local address, as router advertisements give). */
    static const NsIpv6Addr any6;
    for (guint hi = 0; hi < n; hi++) {
        NsHost *h = g_ptr_array_index(hosts, hi);
        if (ns_host_is_router(h) || !has_v6(h))
            continue;
        for (uint32_t k = 0; k < ns_host_iface_count(h); k++) {
            NsIface *ifc = ns_host_iface(h, k);
            if (!ns_iface_addr6_count(ifc))
                continue;
            NsIface *rif = NULL;
            for (guint r = 0; r < n && !rif; r++) {
                NsHost *rh = g_ptr_array_index(hosts, r);
                if (ns_host_is_router(rh) && has_v6(rh))
                    rif = iface_on(rh, ns_iface_segment(ifc));
            }
            if (rif) {
                ns_ip6_add_route(ns_ip6_of(h), &any6, 0, ifc, ns_iface_link_local(rif), 1,
                                 NS_ROUTE_AUTO);
                break;
            }
        }
    }
}
