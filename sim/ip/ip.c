/* IPv4 input, output and forwarding (RFC 791; host rules of RFC 1122 3.3;
 * router rules of RFC 1812 5.2-5.3) and ICMP (RFC 792; when to send errors:
 * RFC 1122 3.2.2). A datagram over the MTU is fragmented when its sender
 * allows it (DF clear) and refused with EMSGSIZE or, on a router, answered
 * with "fragmentation needed" when not; fragments addressed to the host
 * are reassembled (frag.c). */
#include "netsim/ip.h"
#include "netsim/ip6.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netsim/pattern.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"
#include "netsim/wire/udp.h"
#include "frag-private.h"
#include "ip-private.h"
#include "netfilter-private.h"
#include "netsim-private/host.h"
#include "netsim-private/packet.h"

/* 24 bytes: a router has one per prefix it reaches. */
typedef struct {
    NsIface *iface;
    uint32_t net;
    uint32_t gateway;
    uint32_t hops;
    uint8_t prefix_len;
    uint8_t origin; /* NsRouteOrigin */
} Route;

typedef struct {
    const NsIpProtoOps *ops;
    void *data;
    uint8_t proto;
} Proto;

/* Transports a host registers: ICMP's is built in, so TCP and UDP (and a
 * test's own): an array of exactly their number (48 bytes for two), not
 * one slot for each of 256 numbers (4 KiB a host). */
#define MAX_PROTOS 8

/* The output filter of targeted faults (ns_ip_set_output_filter): few
 * hosts have one, so it is not two words of every host's NsIp. */
typedef struct {
    NsIpOutputFilterFn fn;
    void *data;
} OutputFilter;

/* 176 bytes (a host's engine is reached through the host: ip_ctx()). */
struct NsIp {
    NsHost *host;
    Route *routes;             /* n_routes, in the order added (room for cap_routes) */
    uint32_t n_routes, cap_routes;
    GHashTable *route_index;   /* (length, network) -> index + 1; NULL while small */
    uint64_t route_lens;       /* bit L: some route has prefix length L */
    Proto *protos; /* n_protos of them */
    NsIcmpEchoFn echo_fn;
    void *echo_data;
    OutputFilter *filter; /* NULL: none */
    NsNetfilter *nf; /* NULL unless the host has filter rules or NAT */
    GArray *taps;    /* Tap, in the order added; NULL until one is */
    NsIpStats stats;
    NsIp6 *ip6;      /* the host's IPv6 layer; NULL until first needed (ip6_of) */
    NsIcmp6EchoFn echo6_fn; /* for the IPv6 layer, when it is made */
    void *echo6_data;
    NsIpReasm *reasm; /* NULL until a fragment arrives */
    uint16_t next_id;
    uint8_t n_protos;
};

static NsCtx *ip_ctx(const NsIp *ip)
{
    return ns_host_ctx(ip->host);
}

static void ip_input(void *l3, NsIface *iface, NsPacket *pkt);
static void ip_unreach(void *l3, NsIface *iface, NsPacket *pkt);

/* The host's IPv6 layer, made now if it was not (it then takes the host's
 * IPv6 frames itself). Making it draws nothing from the host's random
 * stream and schedules nothing, so when it is made changes no run. */
static NsIp6 *ip6_of(NsIp *ip)
{
    if (!ip->ip6) {
        ip->ip6 = ns_ip6_new(ip->host, &ip->stats);
        if (ip->echo6_fn)
            ns_ip6_set_echo_handler(ip->ip6, ip->echo6_fn, ip->echo6_data);
    }
    return ip->ip6;
}

/* The host's first IPv6 frame, before its IPv6 layer exists. */
static void ip6_input_first(void *l3, NsIface *iface, NsPacket *pkt)
{
    ns_ip6_input(ip6_of(l3), iface, pkt);
}

NsIp *ns_ip_new(NsHost *host)
{
    NsIp *ip = ns_ctx_alloc0(ns_host_ctx(host), sizeof(NsIp));
    ip->host = host;
    /* Linux starts IP IDs at a random value; draw it from the host's stream. */
    ip->next_id = (uint16_t)ns_rng_below(ns_host_rng(host), 65536);
    ns_host_set_l3(host, ip_input, ip_unreach, ip);
    ns_host_set_slot(host, NS_HOST_SLOT_IP, ip);
    ns_host_set_l3_v6(host, ip6_input_first, ip);
    return ip;
}

void ns_ip_free(NsIp *ip)
{
    if (!ip)
        return;
    g_free(ip->routes);
    if (ip->route_index)
        g_hash_table_destroy(ip->route_index);
    ns_netfilter_free(ip->nf);
    if (ip->taps)
        g_array_free(ip->taps, TRUE);
    ns_ip6_free(ip->ip6);
    ns_ip_reasm_free(ip->reasm);
    g_free(ip->protos);
    g_free(ip->filter);
    ns_ctx_release(ip_ctx(ip), ip);
}

NsIp *ns_ip_of(const NsHost *host)
{
    return ns_host_slot(host, NS_HOST_SLOT_IP);
}

bool ns_ip_has_ip6(const NsIp *ip)
{
    return ip->ip6 != NULL;
}

NsIp6 *ns_ip6_of(const NsHost *host)
{
    NsIp *ip = ns_ip_of(host);
    return ip ? ip6_of(ip) : NULL;
}

NsHost *ns_ip_host(const NsIp *ip)
{
    return ip->host;
}

const NsIpStats *ns_ip_stats(const NsIp *ip)
{
    return &ip->stats;
}

static const Proto *proto_of(const NsIp *ip, uint8_t proto)
{
    static const Proto none;
    for (uint8_t i = 0; i < ip->n_protos; i++)
        if (ip->protos[i].proto == proto)
            return &ip->protos[i];
    return &none;
}

const NsIpProtoOps *ns_ip_proto(const NsIp *ip, uint8_t proto, void **data)
{
    const Proto *pr = proto_of(ip, proto);
    *data = pr->data;
    return pr->ops;
}

void ns_ip_register_proto(NsIp *ip, uint8_t proto, const NsIpProtoOps *ops, void *data)
{
    uint8_t i = 0;
    while (i < ip->n_protos && ip->protos[i].proto != proto)
        i++;
    g_return_if_fail(i < MAX_PROTOS);
    if (i == ip->n_protos)
        ip->protos = g_renew(Proto, ip->protos, ++ip->n_protos);
    ip->protos[i] = (Proto){ops, data, proto};
}

void ns_ip_set_output_filter(NsIp *ip, NsIpOutputFilterFn fn, void *data)
{
    if (!fn) {
        g_clear_pointer(&ip->filter, g_free);
        return;
    }
    if (!ip->filter)
        ip->filter = g_new(OutputFilter, 1);
    *ip->filter = (OutputFilter){fn, data};
}

typedef struct {
    NsIpTapFn fn;
    void *data;
} Tap;

void ns_ip_add_tap(NsIp *ip, NsIpTapFn fn, void *data)
{
    if (!ip->taps)
        ip->taps = g_array_new(FALSE, FALSE, sizeof(Tap));
    Tap t = {fn, data};
    g_array_append_val(ip->taps, t);
}

void ns_ip_remove_tap(NsIp *ip, NsIpTapFn fn, void *data)
{
    for (guint i = 0; ip->taps && i < ip->taps->len; i++) {
        const Tap *t = &g_array_index(ip->taps, Tap, i);
        if (t->fn == fn && t->data == data) {
            g_array_remove_index(ip->taps, i);
            return;
        }
    }
}

/* Whether a tap takes the datagram (its IP header first). */
static bool tapped(NsIp *ip, const NsIpv4Repr *h, const NsPacket *pkt)
{
    for (guint i = 0; i < ip->taps->len; i++) {
        Tap t = g_array_index(ip->taps, Tap, i);
        if (t.fn(t.data, h, pkt->data, pkt->len))
            return true;
    }
    return false;
}

NsNetfilter *ns_netfilter_peek(const NsIp *ip)
{
    return ip->nf;
}

void ns_ip_attach_netfilter(NsIp *ip, NsNetfilter *nf)
{
    ip->nf = nf;
}

void ns_ip_set_echo_handler(NsIp *ip, NsIcmpEchoFn fn, void *data)
{
    ip->echo_fn = fn;
    ip->echo_data = data;
}

void ns_ip_set_echo6_handler(NsIp *ip, NsIcmp6EchoFn fn, void *data)
{
    ip->echo6_fn = fn;
    ip->echo6_data = data;
    if (ip->ip6)
        ns_ip6_set_echo_handler(ip->ip6, fn, data);
}

/* ---- routing table ----
 *
 * Longest-prefix match over one hash table keyed by (length, network),
 * probed from the longest length present down: a lookup costs one probe per
 * distinct prefix length in the table (a host has two or three, a router a
 * handful), whatever the number of routes. Small tables are scanned. */

enum { ROUTE_SCAN_MAX = 8 };

static gpointer route_key(uint8_t len, uint32_t net)
{
    /* Never NULL: the length is at least one above zero in the high bits. */
    return GSIZE_TO_POINTER(((gsize)(len + 1u) << 32) | net);
}

static guint route_key_hash(gconstpointer k)
{
    guint64 v = GPOINTER_TO_SIZE(k);
    v *= UINT64_C(0x9e3779b97f4a7c15);
    return (guint)(v >> 32);
}

static void route_append(NsIp *ip, const Route *rp)
{
    Route r = *rp;
    if (ip->n_routes == ip->cap_routes) {
        ip->cap_routes = ip->cap_routes ? ip->cap_routes * 2 : 2;
        ip->routes = g_renew(Route, ip->routes, ip->cap_routes);
    }
    ip->routes[ip->n_routes++] = r;
    ip->route_lens |= UINT64_C(1) << r.prefix_len;
    if (ip->n_routes > ROUTE_SCAN_MAX && !ip->route_index) {
        ip->route_index = g_hash_table_new(route_key_hash, g_direct_equal);
        for (guint i = 0; i < ip->n_routes; i++) {
            const Route *e = &ip->routes[i];
            g_hash_table_insert(ip->route_index, route_key(e->prefix_len, e->net),
                                GUINT_TO_POINTER(i + 1));
        }
    } else if (ip->route_index) {
        g_hash_table_insert(ip->route_index, route_key(r.prefix_len, r.net),
                            GUINT_TO_POINTER(ip->n_routes));
    }
}

bool ns_ip_add_route(NsIp *ip, uint32_t net, uint8_t prefix_len, NsIface *iface, uint32_t gateway,
                     uint32_t hops)
{
    g_return_val_if_fail(prefix_len <= 32, false);
    Route r = {.net = net & ns_ipv4_mask(prefix_len), .prefix_len = prefix_len, .hops = hops,
               .iface = iface, .gateway = gateway,
               .origin = gateway ? NS_ROUTE_AUTO : NS_ROUTE_CONNECTED};
    if (ns_ip_route_exact(ip, r.net, prefix_len))
        return false; /* the first route for a prefix stays */
    route_append(ip, &r);
    return true;
}

/* The index of the route for exactly this prefix, or -1. */
static int route_find(const NsIp *ip, uint32_t net, uint8_t prefix_len)
{
    for (guint i = 0; i < ip->n_routes; i++) {
        const Route *e = &ip->routes[i];
        if (e->prefix_len == prefix_len && e->net == net)
            return (int)i;
    }
    return -1;
}

/* After a removal: the length set and the index from the array (rare: a
 * scenario's timeline removes routes a few times per run). */
static void route_reindex(NsIp *ip)
{
    ip->route_lens = 0;
    if (ip->route_index)
        g_hash_table_remove_all(ip->route_index);
    for (guint i = 0; i < ip->n_routes; i++) {
        const Route *e = &ip->routes[i];
        ip->route_lens |= UINT64_C(1) << e->prefix_len;
        if (ip->route_index)
            g_hash_table_insert(ip->route_index, route_key(e->prefix_len, e->net),
                                GUINT_TO_POINTER(i + 1));
    }
}

bool ns_ip_remove_route(NsIp *ip, uint32_t net, uint8_t prefix_len)
{
    g_return_val_if_fail(prefix_len <= 32, false);
    int i = route_find(ip, net & ns_ipv4_mask(prefix_len), prefix_len);
    if (i < 0)
        return false;
    memmove(&ip->routes[i], &ip->routes[i + 1], (ip->n_routes - (uint32_t)i - 1) * sizeof(Route));
    ip->n_routes--;
    route_reindex(ip);
    return true;
}

void ns_ip_set_static_route(NsIp *ip, uint32_t net, uint8_t prefix_len, NsIface *iface,
                            uint32_t gateway)
{
    g_return_if_fail(prefix_len <= 32 && iface);
    ns_ip_remove_route(ip, net, prefix_len);
    Route r = {.net = net & ns_ipv4_mask(prefix_len), .prefix_len = prefix_len,
               .hops = gateway ? 2 : 1, .iface = iface, .gateway = gateway,
               .origin = NS_ROUTE_STATIC};
    route_append(ip, &r);
}

void ns_ip_routes_fit(NsIp *ip)
{
    if (ip->cap_routes == ip->n_routes)
        return;
    ip->cap_routes = ip->n_routes;
    if (ip->n_routes)
        ip->routes = g_renew(Route, ip->routes, ip->n_routes);
    else
        g_clear_pointer(&ip->routes, g_free);
}

uint32_t ns_ip_route_count(const NsIp *ip)
{
    return ip->n_routes;
}

bool ns_ip_route_exact(const NsIp *ip, uint32_t net, uint8_t prefix_len)
{
    if (!(ip->route_lens & (UINT64_C(1) << prefix_len)))
        return false;
    if (ip->route_index)
        return g_hash_table_contains(ip->route_index, route_key(prefix_len, net));
    for (guint i = 0; i < ip->n_routes; i++) {
        const Route *e = &ip->routes[i];
        if (e->prefix_len == prefix_len && e->net == net)
            return true;
    }
    return false;
}

/* ns_ipv4_mask() for a length known to be at most 32 (a route's), without
 * its check or its branch for /0: a 64-bit shift by 32 is defined. */
static inline uint32_t prefix_mask(uint8_t prefix_len)
{
    return (uint32_t)(UINT64_C(0xffffffff) << (32 - prefix_len));
}

static const Route *route_lookup(const NsIp *ip, uint32_t dst)
{
    if (!ip->route_index) {
        const Route *best = NULL;
        for (guint i = 0; i < ip->n_routes; i++) {
            const Route *r = &ip->routes[i];
            if ((dst & prefix_mask(r->prefix_len)) == r->net &&
                (!best || r->prefix_len > best->prefix_len))
                best = r;
        }
        return best;
    }
    for (uint64_t lens = ip->route_lens; lens;) {
        int len = 63 - __builtin_clzll(lens);
        lens &= ~(UINT64_C(1) << len);
        gpointer v = g_hash_table_lookup(ip->route_index,
                                         route_key((uint8_t)len, dst & prefix_mask((uint8_t)len)));
        if (v)
            return &ip->routes[GPOINTER_TO_UINT(v) - 1];
    }
    return NULL;
}

bool ns_ip_route(const NsIp *ip, uint32_t dst, NsIface **iface, uint32_t *next_hop)
{
    const Route *r = route_lookup(ip, dst);
    if (!r)
        return false;
    *iface = r->iface;
    *next_hop = r->gateway ? r->gateway : dst;
    return true;
}

/* As `ip route` lists the main table: by network, a shorter prefix of
 * the same network first. */
static int route_cmp(gconstpointer a, gconstpointer b)
{
    const Route *x = *(const Route *const *)a, *y = *(const Route *const *)b;
    if (x->net != y->net)
        return x->net < y->net ? -1 : 1;
    return (int)x->prefix_len - (int)y->prefix_len;
}

void ns_ip_routes_foreach(const NsIp *ip, NsRouteRowFn fn, void *data)
{
    g_autofree const Route **sorted = g_new(const Route *, ip->n_routes + 1);
    for (guint i = 0; i < ip->n_routes; i++)
        sorted[i] = &ip->routes[i];
    qsort(sorted, ip->n_routes, sizeof *sorted, route_cmp);
    for (guint i = 0; i < ip->n_routes; i++) {
        const Route *r = sorted[i];
        NsRouteRow row = {.net = r->net, .prefix_len = r->prefix_len, .gateway = r->gateway,
                          .ifindex = ns_iface_index(r->iface), .src = ns_iface_addr(r->iface),
                          .metric = r->hops, .origin = (NsRouteOrigin)r->origin};
        fn(&row, data);
    }
}

const char *ns_route_origin_name(NsRouteOrigin origin)
{
    switch (origin) {
    case NS_ROUTE_CONNECTED:
        return "kernel";
    case NS_ROUTE_AUTO:
        return "auto";
    case NS_ROUTE_STATIC:
        return "static";
    }
    return "?";
}

char *ns_route_row_format(const NsRouteRow *r)
{
    GString *s = g_string_new(NULL);
    char n[NS_IPV4_STRLEN], g[NS_IPV4_STRLEN];
    ns_ipv4_format(r->net, n);
    if (r->prefix_len == 0)
        g_string_append(s, "default");
    else if (r->prefix_len == 32)
        g_string_append(s, n);
    else
        g_string_append_printf(s, "%s/%u", n, r->prefix_len);
    if (r->gateway) {
        ns_ipv4_format(r->gateway, g);
        g_string_append_printf(s, " via %s", g);
    }
    g_string_append_printf(s, " dev eth%u proto %s", r->ifindex, ns_route_origin_name(r->origin));
    switch (r->origin) {
    case NS_ROUTE_CONNECTED:
        ns_ipv4_format(r->src, g);
        g_string_append_printf(s, " scope link src %s", g);
        break;
    case NS_ROUTE_AUTO:
        g_string_append_printf(s, " metric %u", r->metric);
        break;
    case NS_ROUTE_STATIC:
        break;
    }
    return g_string_free(s, FALSE);
}

static void route_line(const NsRouteRow *row, void *data)
{
    g_autofree char *l = ns_route_row_format(row);
    g_string_append_printf(data, "%s\n", l);
}

char *ns_ip_routes_format(const NsIp *ip)
{
    GString *s = g_string_new(NULL);
    ns_ip_routes_foreach(ip, route_line, s);
    return g_string_free(s, FALSE);
}

bool ns_ip_is_local(const NsIp *ip, uint32_t addr)
{
    return (addr >> 24) == 127 || ns_host_has_addr(ip->host, addr);
}

uint32_t ns_ip_source_for(const NsIp *ip, uint32_t dst)
{
    if (ns_ip_is_local(ip, dst))
        return dst;
    const Route *r = route_lookup(ip, dst);
    return r ? ns_iface_addr(r->iface) : 0;
}

/* ---- tracing ---- */

/* What the transport noted on its datagram (NsPacketNote): the socket, why
 * it was sent and, for TCP, the relative numbers with the window and the
 * options as the header gives them; and the payload, decoded. The strings
 * go to the caller's buffers. IPv4 or IPv6 (ip6.c uses it too). */
void ns_ip_note_apply(NsCtx *ctx, NsTraceEvent *ev, const NsPacket *pkt, const uint8_t *start,
                      size_t len, NsNoteText *txt)
{
    if (!(pkt->flags & NS_PACKET_NOTED))
        return;
    const NsPacketNote *n = &pkt->note;
    if (ev->kind == NS_TRACE_SEND && ev->send_why == NS_SEND_NORMAL)
        ev->send_why = (NsSendWhy)n->why;
    ev->sock_id = n->sock_id;
    ev->parent_id = n->parent_id;
    const uint8_t *l4;
    size_t l4len;
    uint8_t proto;
    if (len >= 1 && start[0] >> 4 == 6) {
        NsIpv6Repr h6;
        if (ns_ipv6_parse(start, len, &h6) != NS_WIRE_OK)
            return;
        l4 = start + NS_IPV6_HLEN;
        l4len = h6.payload_len;
        proto = h6.next_header;
    } else {
        /* The header as ns_trace_describe_ip read it into ev (every caller
         * describes the datagram first): not parsed and summed again. */
        size_t header_len = (size_t)(start[0] & 0x0fu) * 4u;
        if (!ev->ip_len || ev->ip_len > len || ev->ip_len < header_len || ev->frag)
            return; /* unreadable, or a fragment: its socket only */
        l4 = start + header_len;
        l4len = (size_t)ev->ip_len - header_len;
        proto = ev->proto;
    }
    size_t hlen;
    if (proto == NS_IPPROTO_TCP && l4len >= NS_TCP_HLEN && l4[12] >> 4 == 5) {
        /* No options (most segments): the window is all there is to read. */
        hlen = NS_TCP_HLEN;
        if (n->has_seq) {
            ev->has_seq = true;
            ev->seq = n->seq;
            ev->ack = n->ack;
            ev->win = (uint32_t)ns_read_be16(l4 + 14) << n->win_shift;
            txt->opts[0] = '\0';
            ev->options = txt->opts;
        }
        if (l4len <= hlen)
            return;
    } else if (proto == NS_IPPROTO_TCP) {
        NsTcpRepr r;
        if (ns_tcp_parse_verified(l4, l4len, &r) != NS_WIRE_OK)
            return;
        hlen = r.header_len;
        if (n->has_seq) {
            ev->has_seq = true;
            ev->seq = n->seq;
            ev->ack = n->ack;
            ev->win = (uint32_t)r.window << n->win_shift;
            /* SACK blocks are in the acknowledgment's sequence space: shown
             * relative to the same initial number as `ack`, as tcpdump does. */
            if (r.flags & NS_TCP_ACK) {
                uint32_t base = r.ack - n->ack;
                for (uint8_t b = 0; b < r.n_sack && b < NS_TCP_MAX_SACK; b++) {
                    r.sack[b].left -= base;
                    r.sack[b].right -= base;
                }
            }
            ns_tcp_opts_format(&r, txt->opts, sizeof txt->opts);
            ev->options = txt->opts;
        }
        if (l4len <= hlen)
            return;
    } else if (proto == NS_IPPROTO_UDP && l4len >= NS_UDP_HLEN) {
        hlen = NS_UDP_HLEN;
    } else {
        return;
    }
    const uint8_t *payload = l4 + hlen;
    size_t plen = l4len - hlen;
    g_autofree uint8_t *made = NULL;
    uint8_t local[2048];
    if (ns_packet_is_lazy(pkt)) {
        /* A payload whose tail of the pattern was left unmade (no sink
         * reads its bytes): the decoder reads the pattern's own constant
         * run, or a copy made for it, on the stack for a segment of an
         * Ethernet MTU, of the bytes held in front of the tail (a response's
         * head) or past the run's 8 KiB (a jumbo MTU). */
        const uint8_t *tail = pkt->buf + pkt->pat_at;
        size_t front = payload < tail ? (size_t)(tail - payload) : 0; /* bytes held */
        uint64_t phase = pkt->pat_phase + (front ? 0 : (uint64_t)(payload - tail));
        size_t avail = 0;
        if (!front)
            payload = ns_pattern_at(phase, &avail);
        if (plen > avail) {
            uint8_t *copy = plen <= sizeof local ? local : (made = g_malloc(plen));
            memcpy(copy, l4 + hlen, MIN(front, plen));
            if (plen > front)
                ns_pattern_fill(phase, copy + front, plen - front);
            payload = copy;
        }
    }
    const char *summary = ns_ctx_decode(ctx, proto, ns_read_be16(l4), ns_read_be16(l4 + 2),
                                        payload, plen, txt->summary, sizeof txt->summary);
    if (summary)
        ev->summary = summary;
}

static void apply_fault(NsTraceEvent *ev, const NsIpFault *fault)
{
    if (!fault)
        return;
    if (ev->kind == NS_TRACE_SEND)
        ev->send_why = NS_SEND_FAULT;
    ev->fault = fault->action;
    ev->fault_rule = fault->rule;
    ev->loc = fault->loc;
}

/* The body of trace_packet_info(), for a kind some sink wants. */
static void trace_packet_emit(NsIp *ip, NsTracer *tr, NsTraceKind kind, const NsPacket *pkt,
                              NsDropReason drop, const NsIpFault *fault, const char *summary)
{
    NsTraceEvent ev = {
        .time = ns_sim_now(ip_ctx(ip)->sim),
        .kind = kind,
        .host = ns_host_name(ip->host),
        .drop = drop,
        .bytes = pkt->data,
        .bytes_len = pkt->len,
    };
    ns_trace_describe_ip(&ev, pkt->data, pkt->len);
    apply_fault(&ev, fault);
    ev.summary = summary;
    NsNoteText txt;
    if (kind == NS_TRACE_SEND || kind == NS_TRACE_RECV)
        ns_ip_note_apply(ip_ctx(ip), &ev, pkt, pkt->data, pkt->len, &txt);
    ns_trace_emit(tr, &ev);
}

/* A datagram's trace line: what its bytes say, a fault that hit it, IP's
 * own summary (an ICMP error's quote; may be NULL) and, on SEND and RECV,
 * the transport's note. Inline, so that every datagram sent without a
 * sink costs a test, not a call. */
static inline void trace_packet_info(NsIp *ip, NsTraceKind kind, const NsPacket *pkt,
                                     NsDropReason drop, const NsIpFault *fault,
                                     const char *summary)
{
    NsTracer *tr = ip_ctx(ip)->tracer;
    if (ns_tracer_wants(tr, kind))
        trace_packet_emit(ip, tr, kind, pkt, drop, fault, summary);
}

static void trace_packet(NsIp *ip, NsTraceKind kind, const NsPacket *pkt, NsDropReason drop)
{
    trace_packet_info(ip, kind, pkt, drop, NULL, NULL);
}

static void drop(NsIp *ip, NsPacket *pkt, NsDropReason why)
{
    ip->stats.dropped++;
    trace_packet(ip, NS_TRACE_DROP, pkt, why);
    ns_packet_free(pkt);
}

/* ---- netfilter ---- */

/* `reject with tcp-reset`: the RST a closed port would send (RFC 9293
 * 3.10.7.1), from the address the segment was sent to. */
static void send_reset(NsIp *ip, const uint8_t *d, size_t len)
{
    NsIpv4Repr h;
    if (ns_ipv4_parse_header(d, len, &h) != NS_WIRE_OK || h.proto != NS_IPPROTO_TCP ||
        len < h.header_len + (size_t)NS_TCP_HLEN || h.total_len > len)
        return;
    const uint8_t *t = d + h.header_len;
    uint8_t flags = t[13];
    if (flags & NS_TCP_RST)
        return;
    uint32_t seg_len = h.total_len - h.header_len - (uint32_t)((t[12] >> 4) * 4);
    NsTcpRepr r = {.src_port = ns_read_be16(t + 2), .dst_port = ns_read_be16(t)};
    if (flags & NS_TCP_ACK) {
        r.seq = ns_read_be32(t + 8);
        r.flags = NS_TCP_RST;
    } else {
        r.ack = ns_read_be32(t + 4) + seg_len + ((flags & NS_TCP_SYN) ? 1 : 0) +
                ((flags & NS_TCP_FIN) ? 1 : 0);
        r.flags = NS_TCP_RST | NS_TCP_ACK;
    }
    NsPacket *p = ns_packet_new(ip_ctx(ip)->pool, NS_PACKET_HEADROOM, NS_TCP_HLEN);
    ns_tcp_emit(&r, h.dst, h.src, p->data, NS_TCP_HLEN);
    NsIpTxOpts o = {.id_zero = true};
    ns_ip_output(ip, p, h.dst, h.src, NS_IPPROTO_TCP, &o);
}

/* Run `chain` on a datagram (its IP header first). False when a rule took
 * it (dropped, and answered for reject); the datagram is then consumed. */
static bool nf_pass(NsIp *ip, NsNfChain chain, NsPacket *pkt, NfInfo *info)
{
    const NsNfRule *r = nf_filter(ip->nf, chain, pkt, info);
    if (!r || r->action == NS_NF_ACCEPT)
        return true;
    ip->stats.dropped++;
    NsTracer *tr = ip_ctx(ip)->tracer;
    if (ns_tracer_wants(tr, NS_TRACE_DROP)) {
        NsTraceEvent ev = {.time = ns_sim_now(ip_ctx(ip)->sim), .kind = NS_TRACE_DROP,
                           .host = ns_host_name(ip->host), .drop = NS_DROP_FILTER,
                           .rule_name = r->name, .loc = {r->file, r->line},
                           .bytes = pkt->data, .bytes_len = pkt->len};
        ns_trace_describe_ip(&ev, pkt->data, pkt->len);
        ns_trace_emit(tr, &ev);
    }
    nf_conntrack_unconfirm(ip->nf, info);
    switch (r->action) {
    case NS_NF_ACCEPT:
    case NS_NF_DROP:
        break;
    case NS_NF_REJECT:
        ns_ip_send_icmp_error(ip, NS_ICMP_DEST_UNREACH, NS_ICMP_UNREACH_PORT, 0, pkt->data,
                              pkt->len);
        break;
    case NS_NF_REJECT_RST:
        send_reset(ip, pkt->data, pkt->len);
        break;
    case NS_NF_REJECT_ADMIN:
        ns_ip_send_icmp_error(ip, NS_ICMP_DEST_UNREACH, NS_ICMP_UNREACH_ADMIN_PROHIBITED, 0,
                              pkt->data, pkt->len);
        break;
    }
    ns_packet_free(pkt);
    return false;
}

/* ---- output ---- */

static void loopback_deliver(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    ip_input(obj, NULL, arg);
}

/* A datagram a targeted fault holds back (rare: one allocation is fine).
 * It is traced once, when it leaves; its transport's note travels with it,
 * IP's own summary is copied. */
typedef struct {
    NsIp *ip;
    NsIface *iface;
    uint32_t next_hop;
    bool local;
    NsIpFault fault;
    char *summary;
} HeldDatagram;

static void release_held(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    HeldDatagram *hd = obj;
    NsPacket *seg = arg;
    trace_packet_info(hd->ip, NS_TRACE_SEND, seg, NS_DROP_NONE, &hd->fault, hd->summary);
    g_free(hd->summary);
    if (!ns_host_is_up(hd->ip->host))
        ns_packet_free(seg);
    else if (hd->local)
        ip_input(hd->ip, NULL, seg);
    else
        ns_iface_output(hd->iface, seg, hd->next_hop);
    g_free(hd);
}

/* Where a datagram (or each of its fragments) leaves: an interface and
 * next hop, or this host; the transport's note for the SEND lines. */
typedef struct {
    NsIp *ip;
    NsIface *iface;
    uint32_t next_hop;
    bool local;
    const char *summary; /* IP's own, for the first packet only */
    NsPacketNote note;
    uint8_t noted;
} Leave;

/* A datagram's last steps out: the targeted faults, its SEND line, the
 * link (or the loopback). */
static void leave(Leave *lv, NsPacket *seg)
{
    NsIp *ip = lv->ip;
    NsIpFilterVerdict verdict = NS_IP_FILTER_PASS;
    NsTime delay = 0;
    NsIpFault fault = {0};
    if (ip->filter)
        verdict = ip->filter->fn(ip->filter->data, seg, &delay, &fault);
    if (verdict != NS_IP_FILTER_DELAY)
        trace_packet_info(ip, NS_TRACE_SEND, seg, NS_DROP_NONE, NULL, lv->summary);
    if (ip->filter) {
        switch (verdict) {
        case NS_IP_FILTER_PASS:
            break;
        case NS_IP_FILTER_DROP:
            ip->stats.dropped++;
            trace_packet_info(ip, NS_TRACE_DROP, seg, NS_DROP_FAULT, &fault, NULL);
            ns_packet_free(seg);
            return;
        case NS_IP_FILTER_DELAY: {
            HeldDatagram *hd = g_new0(HeldDatagram, 1);
            *hd = (HeldDatagram){ip, lv->iface, lv->next_hop, lv->local, fault,
                                 g_strdup(lv->summary)};
            ns_sim_schedule(ip_ctx(ip)->sim, delay, release_held, hd, seg);
            return;
        }
        case NS_IP_FILTER_DUPLICATE:
            trace_packet_info(ip, NS_TRACE_SEND, seg, NS_DROP_NONE, &fault, lv->summary);
            if (lv->local)
                ns_sim_schedule(ip_ctx(ip)->sim, 0, loopback_deliver, ip, ns_packet_copy(seg));
            else
                ns_iface_output(lv->iface, ns_packet_copy(seg), lv->next_hop);
            break;
        }
    }
    if (lv->local)
        ns_sim_schedule(ip_ctx(ip)->sim, 0, loopback_deliver, ip, seg);
    else
        ns_iface_output(lv->iface, seg, lv->next_hop);
}

static void leave_fragment(void *data, NsPacket *frag)
{
    Leave *lv = data;
    frag->note = lv->note;
    frag->flags |= lv->noted;
    leave(lv, frag);
    lv->summary = NULL;
}

/* ns_ip_output() with IP's own summary for the trace line (may be NULL). */
static int ip_output(NsIp *ip, NsPacket *seg, uint32_t src, uint32_t dst, uint8_t proto,
                     const NsIpTxOpts *opts, const char *summary)
{
    static const NsIpTxOpts defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!ns_host_is_up(ip->host)) {
        ns_packet_free(seg);
        return ENETDOWN;
    }
    NsIface *iface = NULL;
    uint32_t next_hop = dst;
    bool local = ns_ip_is_local(ip, dst);
    if (!local && !ns_ip_route(ip, dst, &iface, &next_hop)) {
        if (!src)
            src = ns_host_iface_count(ip->host) ? ns_iface_addr(ns_host_iface(ip->host, 0)) : 0;
        ip->stats.dropped++;
        NsTracer *tr = ip_ctx(ip)->tracer;
        if (ns_tracer_wants(tr, NS_TRACE_DROP)) {
            /* Described from the datagram it would have been, so that the
             * line says what was dropped (a zeroed ICMP header would read
             * as an echo reply). */
            size_t total = seg->len + NS_IPV4_HLEN;
            NsIpv4Repr h = {.total_len = (uint16_t)(total > 65535 ? 65535 : total),
                            .ttl = opts->ttl ? opts->ttl : NS_IP_DEFAULT_TTL,
                            .proto = proto, .src = src, .dst = dst};
            uint8_t *hdr = ns_packet_push(seg, NS_IPV4_HLEN);
            ns_ipv4_emit(&h, hdr, NS_IPV4_HLEN);
            NsTraceEvent ev = {.time = ns_sim_now(ip_ctx(ip)->sim), .kind = NS_TRACE_DROP,
                               .host = ns_host_name(ip->host), .drop = NS_DROP_NO_ROUTE,
                               .proto = proto, .src = src, .dst = dst};
            ns_trace_describe_ip(&ev, seg->data, seg->len);
            ns_trace_emit(tr, &ev);
        }
        ns_packet_free(seg);
        return ENETUNREACH;
    }
    if (!src)
        src = local ? dst : ns_iface_addr(iface);
    uint32_t mtu = local ? 65535 : ns_iface_mtu(iface);
    size_t total = seg->len + NS_IPV4_HLEN;
    /* Over the MTU: fragmented here if the sender allows it (Linux's
     * IP_PMTUDISC_WANT: DF only on datagrams that fit), else EMSGSIZE. */
    bool fragment = total > mtu;
    if (total > 65535 || (fragment && !opts->frag_ok)) {
        ns_packet_free(seg);
        return EMSGSIZE;
    }
    NsIpv4Repr h = {
        .tos = opts->tos,
        .total_len = (uint16_t)total,
        .id = opts->id_zero ? 0 : ip->next_id++,
        .df = opts->df && !fragment,
        .ttl = opts->ttl ? opts->ttl : NS_IP_DEFAULT_TTL,
        .proto = proto,
        .src = src,
        .dst = dst,
    };
    uint8_t *hdr = ns_packet_push(seg, NS_IPV4_HLEN);
    ns_ipv4_emit(&h, hdr, NS_IPV4_HLEN);
    /* A payload left unmade (netsim-private/packet.h) goes out so past
     * nothing but routing; filters, faults and fragmentation get bytes. */
    if (ns_packet_is_lazy(seg) && (ip->nf || ip->filter || fragment))
        ns_packet_bytes(seg);
    if (ip->nf) {
        NfInfo nfi;
        nf_conntrack(ip->nf, seg, &nfi);
        /* A rule of the output chain that takes the datagram fails the
         * call that sent it with EPERM, as Linux's OUTPUT DROP or REJECT
         * does for sendto (TCP ignores it and retransmits, as Linux's
         * does). */
        if (!nf_pass(ip, NS_NF_CHAIN_OUT, seg, &nfi))
            return EPERM;
        if (!local)
            nf_nat_post(ip->nf, seg, &nfi, ns_iface_addr(iface));
    }
    ip->stats.sent++;
    Leave lv = {ip, iface, next_hop, local, summary, seg->note, seg->flags & NS_PACKET_NOTED};
    if (!fragment) {
        leave(&lv, seg);
        return 0;
    }
    /* As Linux, the filters saw the whole datagram; its fragments leave
     * one by one, each on its own line, the socket's note on each. */
    ns_ipv4_fragment(seg, mtu, NS_PACKET_HEADROOM, leave_fragment, &lv);
    return 0;
}

int ns_ip_output(NsIp *ip, NsPacket *seg, uint32_t src, uint32_t dst, uint8_t proto,
                 const NsIpTxOpts *opts)
{
    return ip_output(ip, seg, src, dst, proto, opts, NULL);
}

/* ---- ICMP ---- */

static int icmp_errno(uint8_t type, uint8_t code)
{
    if (type == NS_ICMP_TIME_EXCEEDED)
        return EHOSTUNREACH;
    switch (code) {
    case NS_ICMP_UNREACH_NET:
        return ENETUNREACH;
    case NS_ICMP_UNREACH_PROTOCOL:
        return ENOPROTOOPT;
    case NS_ICMP_UNREACH_PORT:
        return ECONNREFUSED;
    case NS_ICMP_UNREACH_FRAG_NEEDED:
        return EMSGSIZE;
    default:
        return EHOSTUNREACH;
    }
}

/* "about 10.0.0.1:5000 > 10.0.0.2:9999 UDP": what an ICMP error quotes. */
static void quote_summary(const uint8_t *orig, size_t len, char *buf, size_t n)
{
    NsTraceEvent q = {0};
    ns_trace_describe_ip(&q, orig, len);
    char a[NS_IPV4_STRLEN], b[NS_IPV4_STRLEN];
    ns_ipv4_format(q.src, a);
    ns_ipv4_format(q.dst, b);
    const char *pn = q.proto == NS_IPPROTO_UDP ? "UDP" : q.proto == NS_IPPROTO_TCP ? "TCP" : "ICMP";
    if (q.proto == NS_IPPROTO_UDP || q.proto == NS_IPPROTO_TCP)
        snprintf(buf, n, "about %s:%u > %s:%u %s", a, q.sport, b, q.dport, pn);
    else
        snprintf(buf, n, "about %s > %s %s", a, b, pn);
}

void ns_ip_send_icmp_error(NsIp *ip, uint8_t type, uint8_t code, uint16_t mtu,
                           const uint8_t *orig, size_t orig_len)
{
    NsIpv4Repr oh;
    if (ns_ipv4_parse_header(orig, orig_len, &oh) != NS_WIRE_OK)
        return;
    /* RFC 1122 3.2.2: never about an ICMP error, a broadcast or multicast,
     * a non-initial fragment, or a datagram without a unicast source. */
    if (oh.frag_offset != 0 || oh.src == 0 || (oh.src >> 28) >= 14 || oh.dst == 0xffffffffu ||
        (oh.dst >> 28) == 14)
        return;
    if (oh.proto == NS_IPPROTO_ICMP && orig_len > oh.header_len) {
        uint8_t t = orig[oh.header_len];
        if (t != NS_ICMP_ECHO_REQUEST && t != NS_ICMP_ECHO_REPLY)
            return;
    }
    size_t avail = oh.total_len < orig_len ? oh.total_len : orig_len;
    size_t quote = ns_icmp_error_quote_len(avail, 576);
    if (quote == 0)
        return;
    NsPacket *p = ns_packet_new(ip_ctx(ip)->pool, NS_PACKET_HEADROOM, NS_ICMP_HLEN + quote);
    NsIcmpRepr r = {.type = type, .code = code, .mtu = mtu};
    if (ns_icmp_emit(&r, orig, quote, p->data, p->len) == 0) {
        ns_packet_free(p);
        return;
    }
    /* Answer from the address the datagram was sent to when it was ours,
     * else (a router) from the interface facing the sender. */
    uint32_t src = ns_ip_is_local(ip, oh.dst) ? oh.dst : ns_ip_source_for(ip, oh.src);
    char summary[96] = "";
    if (ns_tracer_wants(ip_ctx(ip)->tracer, NS_TRACE_SEND))
        quote_summary(orig, avail, summary, sizeof summary);
    ip->stats.icmp_sent++;
    NsIpTxOpts o = {0}; /* Linux sends ICMP errors without DF */
    ip_output(ip, p, src, oh.src, NS_IPPROTO_ICMP, &o, summary[0] ? summary : NULL);
}

int ns_ip_send_echo(NsIp *ip, uint32_t dst, uint16_t id, uint16_t seq, size_t payload_len)
{
    return ns_ip_send_echo_ttl(ip, dst, id, seq, payload_len, 0);
}

int ns_ip_send_echo_ttl(NsIp *ip, uint32_t dst, uint16_t id, uint16_t seq, size_t payload_len,
                        uint8_t ttl)
{
    if (payload_len > 65507)
        return EMSGSIZE;
    NsPacket *p = ns_packet_new(ip_ctx(ip)->pool, NS_PACKET_HEADROOM, NS_ICMP_HLEN + payload_len);
    /* The payload pattern of iputils ping after its timestamp: 0x10, 0x11, ... */
    for (size_t i = 0; i < payload_len; i++)
        p->data[NS_ICMP_HLEN + i] = (uint8_t)(0x10 + i);
    NsIcmpRepr r = {.type = NS_ICMP_ECHO_REQUEST, .id = id, .seq = seq};
    ns_icmp_emit(&r, p->data + NS_ICMP_HLEN, payload_len, p->data, p->len);
    /* iputils ping leaves the socket's IP_PMTUDISC_WANT: DF set on
     * what fits the MTU, larger ones fragmented (ping -s 3000). */
    NsIpTxOpts o = {.df = true, .frag_ok = true, .ttl = ttl};
    ip->stats.icmp_sent++;
    return ns_ip_output(ip, p, 0, dst, NS_IPPROTO_ICMP, &o);
}

static void trace_icmp(NsIp *ip, NsIcmpEvent what, int err)
{
    NsTracer *tr = ip_ctx(ip)->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_ICMP))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(ip_ctx(ip)->sim), .kind = NS_TRACE_ICMP,
                       .host = ns_host_name(ip->host), .icmp_ev = what, .err = err};
    ns_trace_emit(tr, &ev);
}

/* An error about one of our echo requests goes to the ping handler. */
static void echo_error(NsIp *ip, uint32_t from, const uint8_t *l4, size_t len, int err)
{
    if (len >= NS_ICMP_HLEN && l4[0] == NS_ICMP_ECHO_REQUEST && ip->echo_fn)
        ip->echo_fn(ip->echo_data, from, ns_read_be16(l4 + 4), ns_read_be16(l4 + 6), 0, 0, err);
}

static void icmp_input(NsIp *ip, const NsIpv4Repr *hdr, NsPacket *pkt)
{
    NsIcmpRepr r;
    NsWireResult res = ns_icmp_parse(pkt->data, pkt->len, &r);
    if (res != NS_WIRE_OK) {
        ns_packet_push(pkt, hdr->header_len);
        drop(ip, pkt, res == NS_WIRE_BAD_CHECKSUM ? NS_DROP_CHECKSUM : NS_DROP_MALFORMED);
        return;
    }
    ip->stats.icmp_received++;
    switch (r.type) {
    case NS_ICMP_ECHO_REQUEST: {
        /* Reply in place: same id, seq and data, addresses swapped. */
        NsIcmpRepr rep = {.type = NS_ICMP_ECHO_REPLY, .id = r.id, .seq = r.seq};
        ns_icmp_emit(&rep, pkt->data + NS_ICMP_HLEN, pkt->len - NS_ICMP_HLEN, pkt->data,
                     pkt->len);
        /* Without DF, fragmented if it does not fit: Linux answers from
         * its ICMP socket, whose path MTU discovery is off
         * (IP_PMTUDISC_DONT), whatever the request's DF. */
        NsIpTxOpts o = {.frag_ok = true};
        ip->stats.icmp_sent++;
        ns_ip_output(ip, pkt, hdr->dst, hdr->src, NS_IPPROTO_ICMP, &o);
        return;
    }
    case NS_ICMP_ECHO_REPLY:
        if (ip->echo_fn)
            ip->echo_fn(ip->echo_data, hdr->src, r.id, r.seq, hdr->ttl, pkt->len - NS_ICMP_HLEN,
                        0);
        ns_packet_free(pkt);
        return;
    case NS_ICMP_DEST_UNREACH:
    case NS_ICMP_TIME_EXCEEDED: {
        NsIpv4Repr orig;
        size_t off;
        const uint8_t *quote = pkt->data + NS_ICMP_HLEN;
        size_t qlen = pkt->len - NS_ICMP_HLEN;
        if (ns_icmp_quote_parse(quote, qlen, &orig, &off) != NS_WIRE_OK ||
            !ns_ip_is_local(ip, orig.src)) {
            ns_packet_free(pkt);
            return;
        }
        const Proto *pr = proto_of(ip, orig.proto);
        int err = icmp_errno(r.type, r.code);
        if (orig.proto == NS_IPPROTO_ICMP) {
            echo_error(ip, hdr->src, quote + off, qlen - off, err);
            ns_packet_free(pkt);
            return;
        }
        if (pr->ops && pr->ops->frag_needed && r.type == NS_ICMP_DEST_UNREACH &&
            r.code == NS_ICMP_UNREACH_FRAG_NEEDED)
            pr->ops->frag_needed(pr->data, r.mtu, &orig, quote + off, qlen - off);
        else if (pr->ops && pr->ops->error)
            pr->ops->error(pr->data, err, &orig, quote + off, qlen - off);
        else
            trace_icmp(ip, NS_ICMP_EV_IGNORED_NO_TRANSPORT, err);
        ns_packet_free(pkt);
        return;
    }
    }
    ns_packet_free(pkt);
}

/* ---- input and forwarding ---- */

static void forward_fragment(void *data, NsPacket *frag)
{
    Leave *lv = data;
    trace_packet(lv->ip, NS_TRACE_FWD, frag, NS_DROP_NONE);
    ns_iface_output(lv->iface, frag, lv->next_hop);
}

/* Reassembly's reports: a fragment given up, and a datagram that timed
 * out with its first fragment in hand. */
static void reasm_drop(void *data, const NsPacket *frag, NsDropReason why)
{
    NsIp *ip = data;
    ip->stats.dropped++;
    trace_packet(ip, NS_TRACE_DROP, frag, why);
}

static bool is_for_us(const NsIp *ip, uint32_t dst);

static void reasm_expired(void *data, const NsPacket *head)
{
    NsIp *ip = data;
    NsIpv4Repr h;
    /* Only the destination says so (Linux's ip_expire: not a router that
     * reassembled for its connection tracking), and only while up. */
    if (ns_host_is_up(ip->host) && ns_ipv4_parse_header(head->data, head->len, &h) == NS_WIRE_OK &&
        is_for_us(ip, h.dst))
        ns_ip_send_icmp_error(ip, NS_ICMP_TIME_EXCEEDED, NS_ICMP_EXC_FRAGTIME, 0, head->data,
                              head->len);
}

static const NsIpReasmOps reasm_ops = {reasm_drop, reasm_expired};

/* A fragment for this host: its RECV line, then reassembly. Returns the
 * whole datagram once this fragment completes it (transfer full), else
 * NULL. */
static NsPacket *reassemble(NsIp *ip, NsPacket *frag, const NsIpv4Repr *h)
{
    trace_packet(ip, NS_TRACE_RECV, frag, NS_DROP_NONE);
    if (!ip->reasm)
        ip->reasm = ns_ip_reasm_new(ip_ctx(ip)->sim, ip_ctx(ip)->pool, &reasm_ops, ip);
    return ns_ip_reasm_input(ip->reasm, frag, h);
}

static void forward(NsIp *ip, const NsIpv4Repr *h, NsPacket *pkt, NfInfo *nfi)
{
    /* As Linux: the route is looked up first (a datagram nobody can route
     * is unreachable whatever its TTL), then the TTL is checked. */
    NsIface *out;
    uint32_t next_hop;
    if (!ns_ip_route(ip, h->dst, &out, &next_hop)) {
        ip->stats.dropped++;
        trace_packet(ip, NS_TRACE_DROP, pkt, NS_DROP_NO_ROUTE);
        ns_ip_send_icmp_error(ip, NS_ICMP_DEST_UNREACH, NS_ICMP_UNREACH_NET, 0, pkt->data,
                              pkt->len);
        ns_packet_free(pkt);
        return;
    }
    if (h->ttl <= 1) {
        /* RFC 1812 5.3.1: the TTL ran out here. */
        ip->stats.dropped++;
        trace_packet(ip, NS_TRACE_DROP, pkt, NS_DROP_TTL_EXCEEDED);
        ns_ip_send_icmp_error(ip, NS_ICMP_TIME_EXCEEDED, NS_ICMP_EXC_TTL, 0, pkt->data, pkt->len);
        ns_packet_free(pkt);
        return;
    }
    uint32_t mtu = ns_iface_mtu(out);
    if (pkt->len > mtu && h->df) {
        ip->stats.dropped++;
        trace_packet(ip, NS_TRACE_DROP, pkt, NS_DROP_TOO_BIG);
        ns_ip_send_icmp_error(ip, NS_ICMP_DEST_UNREACH, NS_ICMP_UNREACH_FRAG_NEEDED,
                              (uint16_t)mtu, pkt->data, pkt->len);
        ns_packet_free(pkt);
        return;
    }
    if (ip->nf) {
        if (!nf_pass(ip, NS_NF_CHAIN_FORWARD, pkt, nfi))
            return;
        nf_nat_post(ip->nf, pkt, nfi, ns_iface_addr(out));
    }
    /* Decrement the TTL and patch the header checksum (RFC 1624 would do it
     * incrementally; recomputing 20 bytes is as cheap here). */
    pkt->data[8] = (uint8_t)(h->ttl - 1);
    pkt->data[10] = pkt->data[11] = 0;
    uint16_t c = ns_inet_checksum(pkt->data, h->header_len);
    ns_write_be16(pkt->data + 10, c);
    ip->stats.forwarded++;
    if (pkt->len > mtu) {
        /* DF clear: fragmented for the next link (RFC 1812 5.2.6), each
         * fragment forwarded on its own line. */
        Leave lv = {.ip = ip, .iface = out, .next_hop = next_hop};
        ns_ipv4_fragment(pkt, mtu, NS_PACKET_HEADROOM, forward_fragment, &lv);
        return;
    }
    trace_packet(ip, NS_TRACE_FWD, pkt, NS_DROP_NONE);
    ns_iface_output(out, pkt, next_hop);
}

static bool is_for_us(const NsIp *ip, uint32_t dst)
{
    /* Limited broadcast, our own address, or the directed broadcast of an
     * attached subnet. */
    return dst == 0xffffffffu || ns_ip_is_local(ip, dst) ||
           ns_host_is_directed_broadcast(ip->host, dst);
}

/* Whether a datagram whose payload pattern is unmade (a lazy packet,
 * netsim-private/packet.h) may stay so: it is whole, for this host
 * (`for_us`), taken by a transport that makes what it reads, and no filter
 * or tap here looks at it. */
static bool lazy_path(const NsIp *ip, const NsIpv4Repr *h, bool for_us)
{
    if (ip->nf || (ip->taps && ip->taps->len) || h->mf || h->frag_offset || !for_us)
        return false;
    const Proto *pr = proto_of(ip, h->proto);
    return pr->ops && pr->ops->takes_lazy;
}

static void ip_input(void *l3, NsIface *iface, NsPacket *pkt)
{
    (void)iface;
    NsIp *ip = l3;
    NsIpv4Repr h;
    NsWireResult res = ns_ipv4_parse(pkt->data, pkt->len, &h);
    if (res != NS_WIRE_OK) {
        drop(ip, pkt, res == NS_WIRE_BAD_CHECKSUM ? NS_DROP_CHECKSUM : NS_DROP_MALFORMED_IP);
        return;
    }
    ns_packet_trim(pkt, h.total_len); /* Ethernet padding */
    pkt->flags &= (uint8_t)~NS_PACKET_NOTED; /* the sender's note, not ours */
    /* Asked once: reassembly keeps the destination, only NAT changes it. */
    bool for_us = is_for_us(ip, h.dst);
    if (ns_packet_is_lazy(pkt) && !lazy_path(ip, &h, for_us))
        ns_packet_bytes(pkt);
    /* Fragments are put together before anything else looks at them: at
     * their destination, and on a router with connection tracking (as
     * Linux's nf_defrag_ipv4 does before conntrack). */
    if ((h.mf || h.frag_offset) && (for_us || (ip->nf && ns_host_is_router(ip->host)))) {
        pkt = reassemble(ip, pkt, &h);
        if (!pkt)
            return;
        ns_ipv4_parse(pkt->data, pkt->len, &h);
    }
    NfInfo nfi = {0};
    if (ip->nf) {
        nf_conntrack(ip->nf, pkt, &nfi);
        nf_nat_pre(ip->nf, pkt, &nfi);
        ns_ipv4_parse_header(pkt->data, pkt->len, &h); /* NAT may have changed it */
        for_us = is_for_us(ip, h.dst);
    }
    if (!for_us) {
        if (ns_host_is_router(ip->host))
            forward(ip, &h, pkt, &nfi);
        else
            drop(ip, pkt, NS_DROP_NOT_FOR_HOST);
        return;
    }
    if (ip->nf && !nf_pass(ip, NS_NF_CHAIN_IN, pkt, &nfi))
        return;
    ip->stats.received++;
    if (ip->taps && ip->taps->len && tapped(ip, &h, pkt)) {
        char summary[96] = "";
        if (h.proto == NS_IPPROTO_ICMP && ns_tracer_wants(ip_ctx(ip)->tracer, NS_TRACE_RECV) &&
            pkt->len > h.header_len + 8u && pkt->data[h.header_len] != NS_ICMP_ECHO_REPLY)
            quote_summary(pkt->data + h.header_len + 8, pkt->len - h.header_len - 8u, summary,
                          sizeof summary);
        trace_packet_info(ip, NS_TRACE_RECV, pkt, NS_DROP_NONE, NULL, summary[0] ? summary : NULL);
        ns_packet_free(pkt);
        return;
    }
    if (h.proto == NS_IPPROTO_ICMP) {
        char summary[96] = "";
        /* Errors quote the datagram they are about: show which. */
        if (ns_tracer_wants(ip_ctx(ip)->tracer, NS_TRACE_RECV) && pkt->len > h.header_len + 8u &&
            pkt->data[h.header_len] != NS_ICMP_ECHO_REQUEST &&
            pkt->data[h.header_len] != NS_ICMP_ECHO_REPLY)
            quote_summary(pkt->data + h.header_len + 8, pkt->len - h.header_len - 8u, summary,
                          sizeof summary);
        trace_packet_info(ip, NS_TRACE_RECV, pkt, NS_DROP_NONE, NULL, summary[0] ? summary : NULL);
        ns_packet_pull(pkt, h.header_len);
        icmp_input(ip, &h, pkt);
        return;
    }
    const Proto *pr = proto_of(ip, h.proto);
    if (!pr->ops) {
        trace_packet(ip, NS_TRACE_RECV, pkt, NS_DROP_NONE);
        ns_ip_send_icmp_error(ip, NS_ICMP_DEST_UNREACH, NS_ICMP_UNREACH_PROTOCOL, 0, pkt->data,
                              pkt->len);
        drop(ip, pkt, NS_DROP_NO_PROTOCOL);
        return;
    }
    /* The transport traces its own RECV line, with what it decoded. */
    ns_packet_pull(pkt, h.header_len);
    pr->ops->input(pr->data, &h, pkt);
}

/* A datagram whose next hop never answered ARP. */
static void ip_unreach(void *l3, NsIface *iface, NsPacket *pkt)
{
    (void)iface;
    NsIp *ip = l3;
    NsIpv4Repr h;
    ns_packet_bytes(pkt); /* quoted below */
    if (ns_ipv4_parse_header(pkt->data, pkt->len, &h) != NS_WIRE_OK) {
        ns_packet_free(pkt);
        return;
    }
    ip->stats.dropped++;
    trace_packet(ip, NS_TRACE_DROP, pkt, NS_DROP_ARP_FAILED);
    if (ns_ip_is_local(ip, h.src)) {
        /* Our own datagram: tell the transport, as Linux reports
         * EHOSTUNREACH to the socket. */
        const Proto *pr = proto_of(ip, h.proto);
        if (h.proto == NS_IPPROTO_ICMP)
            echo_error(ip, h.src, pkt->data + h.header_len, pkt->len - h.header_len,
                       EHOSTUNREACH);
        else if (pr->ops && pr->ops->error && pkt->len >= (size_t)h.header_len + 8)
            pr->ops->error(pr->data, EHOSTUNREACH, &h, pkt->data + h.header_len,
                           pkt->len - h.header_len);
    } else {
        ns_ip_send_icmp_error(ip, NS_ICMP_DEST_UNREACH, NS_ICMP_UNREACH_HOST, 0, pkt->data,
                              pkt->len);
    }
    ns_packet_free(pkt);
}

void ns_ip_trace_recv(NsIp *ip, const NsIpv4Repr *hdr, const NsPacket *seg)
{
    NsTracer *tr = ip_ctx(ip)->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_RECV))
        return;
    /* The IP header is still in the buffer in front of the transport data. */
    const uint8_t *start = seg->data - hdr->header_len;
    NsTraceEvent ev = {.time = ns_sim_now(ip_ctx(ip)->sim), .kind = NS_TRACE_RECV,
                       .host = ns_host_name(ip->host),
                       .bytes = start, .bytes_len = seg->len + hdr->header_len};
    ns_trace_describe_ip(&ev, start, ev.bytes_len);
    NsNoteText txt;
    ns_ip_note_apply(ip_ctx(ip), &ev, seg, start, ev.bytes_len, &txt);
    ns_trace_emit(tr, &ev);
}
