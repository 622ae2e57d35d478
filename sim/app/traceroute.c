/* traceroute, as Linux's traceroute(8) does it: probes with TTL 1, 2, ...
 * towards a target; a router where a probe's TTL runs out answers ICMP
 * time exceeded (RFC 792, RFC 1812 5.3.1), the target answers port
 * unreachable (UDP probes to port 33434 upwards, one port per probe), an
 * echo reply (ICMP probes) or a SYN-ACK or RST (TCP probes); each hop is
 * printed as traceroute prints it. The probes are sent from the IP layer
 * as a raw socket would; their answers are taken with an IP tap. */
#include "netsim/app.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app-private.h"
#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"
#include "netsim/wire/udp.h"
#include "netsim-private/ctx.h"
#include "netsim-private/packet.h"

/* Linux traceroute's default probe: 60 bytes with the IP header; UDP and
 * ICMP carry 32 bytes of data, 0x40, 0x41, ... */
enum { PROBE_DATA = 32 };

typedef struct {
    NsTime sent;
    NsTracerouteProbe res;
} Probe;

struct NsTraceroute {
    NsHost *host;
    NsIp *ip;
    NsTracerouteSpec spec;
    char *target;
    NsSocket *sock;  /* holds the source port (UDP and TCP probes) */
    uint16_t sport;  /* UDP/TCP source port; ICMP echo id */
    uint32_t src;
    NsIp6 *ip6;      /* over IPv6 (spec.v6): the layer and our source */
    NsIpv6Addr src6;
    uint32_t ttl;    /* the hop being probed */
    uint32_t sent;   /* probes sent so far, every hop (the next probe's number) */
    uint32_t first;  /* the number of the current hop's first probe */
    Probe *probes;   /* spec.queries of them: the current hop */
    uint32_t answered;
    NsEventId timer;
    bool done, reached;
    uint32_t hops;   /* hop lines printed */
};

const char *ns_traceroute_method_name(NsTracerouteMethod m)
{
    switch (m) {
    case NS_TRACEROUTE_UDP:
        return "udp";
    case NS_TRACEROUTE_ICMP:
        return "icmp";
    case NS_TRACEROUTE_TCP:
        return "tcp";
    }
    return "?";
}

/* ---- the hop line ---- */

static void append_addr(GString *s, uint32_t addr, NsTracerouteNameFn name_of, void *data)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(addr, a);
    const char *name = name_of ? name_of(data, addr) : NULL;
    g_string_append_printf(s, " %s (%s)", name ? name : a, a);
}

char *ns_traceroute_format_hop(uint32_t ttl, const NsTracerouteProbe *p, size_t n,
                               NsTracerouteNameFn name_of, void *data)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%2u ", ttl);
    const NsTracerouteProbe *last = NULL; /* the last probe answered */
    for (size_t i = 0; i < n; i++) {
        if (!p[i].answered) {
            g_string_append(s, " *");
            continue;
        }
        /* The address once per run of probes answered from it. */
        if (p[i].from_v6) {
            if (!last || !last->from_v6 || !ns_ipv6_addr_equal(&last->from6, &p[i].from6)) {
                char a[NS_IPV6_STRLEN];
                ns_ipv6_format(&p[i].from6, a);
                g_string_append_printf(s, " %s (%s)", p[i].name6 ? p[i].name6 : a, a);
            }
        } else if (!last || last->from_v6 || last->from != p[i].from) {
            append_addr(s, p[i].from, name_of, data);
        }
        last = &p[i];
        /* Microseconds, rounded as printf's %.3f of milliseconds does. */
        uint64_t us = (uint64_t)(p[i].rtt + 500) / 1000;
        g_string_append_printf(s, "  %" PRIu64 ".%03" PRIu64 " ms", us / 1000, us % 1000);
        if (p[i].annot[0])
            g_string_append_printf(s, " %s", p[i].annot);
    }
    return g_string_free(s, FALSE);
}

/* What Linux traceroute writes after a probe answered by an ICMP
 * destination unreachable of `code` (a port unreachable: nothing, the
 * target was reached). */
static void unreach_annot(uint8_t code, uint16_t mtu, char out[12])
{
    switch (code) {
    case NS_ICMP_UNREACH_NET:
    case 6:  /* destination network unknown */
    case 9:  /* network administratively prohibited */
    case 11: /* network unreachable for TOS */
        snprintf(out, 12, "!N");
        return;
    case NS_ICMP_UNREACH_HOST:
    case 7:  /* destination host unknown */
    case 10: /* host administratively prohibited */
    case 12: /* host unreachable for TOS */
        snprintf(out, 12, "!H");
        return;
    case NS_ICMP_UNREACH_PROTOCOL:
        snprintf(out, 12, "!P");
        return;
    case NS_ICMP_UNREACH_PORT:
        out[0] = '\0';
        return;
    case NS_ICMP_UNREACH_FRAG_NEEDED:
        snprintf(out, 12, "!F-%u", mtu);
        return;
    case NS_ICMP_UNREACH_SRC_ROUTE_FAILED:
        snprintf(out, 12, "!S");
        return;
    case 13: /* communication administratively prohibited */
        snprintf(out, 12, "!X");
        return;
    default:
        snprintf(out, 12, "!<%u>", code);
        return;
    }
}

/* Linux traceroute's marks for ICMPv6 destination unreachable codes (a
 * port unreachable: nothing, the target was reached). */
static void unreach6_annot(uint8_t code, char out[12])
{
    switch (code) {
    case NS_ICMP6_UNREACH_NO_ROUTE:
        snprintf(out, 12, "!N");
        return;
    case NS_ICMP6_UNREACH_ADMIN:
        snprintf(out, 12, "!X");
        return;
    case NS_ICMP6_UNREACH_BEYOND_SCOPE:
        snprintf(out, 12, "!S");
        return;
    case NS_ICMP6_UNREACH_ADDRESS:
        snprintf(out, 12, "!H");
        return;
    case NS_ICMP6_UNREACH_PORT:
        out[0] = '\0';
        return;
    default:
        snprintf(out, 12, "!<%u>", code);
        return;
    }
}

/* ---- probes ---- */

static void hop_start(NsTraceroute *t);
static bool tap(void *data, const NsIpv4Repr *h, const uint8_t *d, size_t len);
static bool tap6(void *data, const NsIpv6Repr *h, const uint8_t *d, size_t len);

static void probe_payload(uint8_t *p)
{
    for (size_t i = 0; i < PROBE_DATA; i++)
        p[i] = (uint8_t)(0x40 + (i & 0x3f));
}

/* Send probe number `k` (from 0) with the current TTL (IPv4) or hop limit
 * (IPv6): the same probes for both families, the checksums over the
 * family's pseudo-header. */
static int probe_send(NsTraceroute *t, uint32_t k)
{
    NsCtx *ctx = ns_host_ctx(t->host);
    bool v6 = t->spec.v6;
    /* IPv4's checksums are summed as the headers are written; IPv6's
     * afterwards, over its own pseudo-header (ICMPv6's emit does that). */
    uint32_t src = v6 ? 0 : t->src, dst = v6 ? 0 : t->spec.dst;
    NsPacket *p;
    uint8_t proto;
    size_t csum_at = 0; /* where the transport's checksum is, for IPv6 */
    switch (t->spec.method) {
    case NS_TRACEROUTE_UDP: {
        p = ns_packet_new(ctx->pool, NS_PACKET_HEADROOM, NS_UDP_HLEN + PROBE_DATA);
        probe_payload(p->data + NS_UDP_HLEN);
        NsUdpRepr r = {.src_port = t->sport, .dst_port = (uint16_t)(t->spec.port + k),
                       .length = NS_UDP_HLEN + PROBE_DATA};
        ns_udp_emit(&r, src, dst, p->data, p->len);
        proto = NS_IPPROTO_UDP;
        csum_at = 6;
        break;
    }
    case NS_TRACEROUTE_ICMP: {
        size_t hl = v6 ? NS_ICMP6_HLEN : NS_ICMP_HLEN;
        p = ns_packet_new(ctx->pool, NS_PACKET_HEADROOM, hl + PROBE_DATA);
        probe_payload(p->data + hl);
        if (v6) {
            NsIcmp6Repr r = {.type = NS_ICMP6_ECHO_REQUEST, .id = t->sport,
                             .seq = (uint16_t)(k + 1)};
            ns_icmp6_emit(&r, &t->src6, &t->spec.dst6, p->data + hl, PROBE_DATA, p->data,
                          p->len);
        } else {
            NsIcmpRepr r = {.type = NS_ICMP_ECHO_REQUEST, .id = t->sport, .seq = (uint16_t)(k + 1)};
            ns_icmp_emit(&r, p->data + hl, PROBE_DATA, p->data, p->len);
        }
        proto = v6 ? NS_IPPROTO_ICMPV6 : NS_IPPROTO_ICMP;
        break;
    }
    case NS_TRACEROUTE_TCP: {
        /* A SYN with Linux's options (MSS, SACK permitted, timestamps,
         * window scale): 40 bytes of header, 60 with IPv4's. The probe's
         * number is its sequence number; the window is the most whole
         * segments under 64 KiB, as Linux offers (64240 for an MSS of
         * 1460, 64800 for IPv6's 1440). */
        uint16_t mss = v6 ? 1440 : 1460;
        NsTcpRepr r = {.src_port = t->sport, .dst_port = t->spec.port, .seq = k + 1,
                       .flags = NS_TCP_SYN, .window = (uint16_t)(65535 / mss * mss),
                       .has_mss = true, .mss = mss, .sack_permitted = true, .has_ts = true,
                       .ts_val = (uint32_t)(ns_sim_now(ctx->sim) / NS_MS(1)),
                       .has_wscale = true, .wscale = 7};
        size_t hlen = ns_tcp_header_len(&r);
        p = ns_packet_new(ctx->pool, NS_PACKET_HEADROOM, hlen);
        ns_tcp_emit(&r, src, dst, p->data, hlen);
        proto = NS_IPPROTO_TCP;
        csum_at = 16;
        break;
    }
    default:
        return EINVAL;
    }
    if (!v6) {
        NsIpTxOpts o = {.ttl = (uint8_t)t->ttl}; /* no DF, as traceroute without -F */
        return ns_ip_output(t->ip, p, t->src, t->spec.dst, proto, &o);
    }
    if (csum_at)
        ns_ipv6_l4_checksum(p->data, p->len, csum_at, &t->src6, &t->spec.dst6, proto);
    return ns_ip6_output(t->ip6, p, &t->src6, &t->spec.dst6, proto, (uint8_t)t->ttl);
}

/* The program ends: no more answers taken, its port free again. */
static void finish(NsTraceroute *t)
{
    ns_sim_cancel(ns_host_ctx(t->host)->sim, &t->timer);
    ns_ip_remove_tap(t->ip, tap, t);
    if (t->ip6)
        ns_ip6_remove_tap(t->ip6, tap6, t);
    t->done = true;
    if (t->sock) {
        ns_socket_close(t->sock);
        t->sock = NULL;
    }
}

static void hop_end(NsTraceroute *t)
{
    ns_sim_cancel(ns_host_ctx(t->host)->sim, &t->timer);
    NsTracerouteProbe *res = g_new(NsTracerouteProbe, t->spec.queries);
    bool final = false, reached = false;
    for (uint32_t i = 0; i < t->spec.queries; i++) {
        res[i] = t->probes[i].res;
        final = final || res[i].final;
        reached = reached ||
                  (res[i].final && (t->spec.v6 ? res[i].from_v6 &&
                                                     ns_ipv6_addr_equal(&res[i].from6,
                                                                        &t->spec.dst6)
                                               : res[i].from == t->spec.dst));
    }
    g_autofree char *line = ns_traceroute_format_hop(t->ttl, res, t->spec.queries,
                                                     t->spec.name_of, t->spec.name_data);
    g_free(res);
    t->hops++;
    ns_app_trace(t->host, "traceroute", 0, "%s", line);
    if (final || t->ttl >= t->spec.max_hops) {
        t->reached = reached;
        finish(t);
        return;
    }
    t->ttl++;
    hop_start(t);
}

static void hop_timeout(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsTraceroute *t = obj;
    t->timer = NS_EVENT_NONE;
    hop_end(t);
}

static void hop_start(NsTraceroute *t)
{
    memset(t->probes, 0, sizeof(Probe) * t->spec.queries);
    t->answered = 0;
    t->first = t->sent;
    NsTime now = ns_app_now(t->host);
    for (uint32_t i = 0; i < t->spec.queries; i++) {
        t->probes[i].sent = now;
        int err = probe_send(t, t->sent++);
        if (err) {
            /* As traceroute: the hop line says why (e.g. !N for no route). */
            t->probes[i].res.answered = false;
            ns_app_trace(t->host, "traceroute", err, "probe %u (ttl %u) not sent:", t->sent,
                         t->ttl);
        }
    }
    t->timer = ns_sim_schedule(ns_host_ctx(t->host)->sim, t->spec.wait, hop_timeout, t, NULL);
}

/* Record the answer to probe number k from `from`. */
static void answered(NsTraceroute *t, uint32_t k, uint32_t from, bool final, const char *annot)
{
    if (k < t->first || k >= t->first + t->spec.queries)
        return; /* a probe of a hop already printed: too late */
    Probe *p = &t->probes[k - t->first];
    if (p->res.answered)
        return;
    p->res.answered = true;
    p->res.from = from;
    p->res.rtt = ns_app_now(t->host) - p->sent;
    p->res.final = final;
    snprintf(p->res.annot, sizeof p->res.annot, "%s", annot);
    if (++t->answered == t->spec.queries) {
        /* Every probe of the hop is in: print it now, in an event of its
         * own (the datagram is still being delivered). */
        ns_sim_cancel(ns_host_ctx(t->host)->sim, &t->timer);
        t->timer = ns_sim_schedule(ns_host_ctx(t->host)->sim, 0, hop_timeout, t, NULL);
    }
}

/* Record the answer to probe number k from the IPv6 address `from`. */
static void answered6(NsTraceroute *t, uint32_t k, const NsIpv6Addr *from, bool final,
                      const char *annot)
{
    if (k < t->first || k >= t->first + t->spec.queries ||
        t->probes[k - t->first].res.answered)
        return;
    answered(t, k, 0, final, annot);
    NsTracerouteProbe *r = &t->probes[k - t->first].res;
    r->from_v6 = true;
    r->from6 = *from;
    r->name6 = t->spec.name6_of ? t->spec.name6_of(t->spec.name_data, from) : NULL;
}

/* Which probe the transport header `l4` (at least 8 bytes) of one of our
 * datagrams to the target is: true and its number. */
static bool probe_of(const NsTraceroute *t, uint8_t proto, const uint8_t *l4, uint32_t *k)
{
    switch (t->spec.method) {
    case NS_TRACEROUTE_UDP: {
        uint16_t sp = ns_read_be16(l4), dp = ns_read_be16(l4 + 2);
        if (proto != NS_IPPROTO_UDP || sp != t->sport || dp < t->spec.port)
            return false;
        *k = (uint32_t)(dp - t->spec.port);
        return true;
    }
    case NS_TRACEROUTE_ICMP:
        if (t->spec.v6 ? proto != NS_IPPROTO_ICMPV6 || l4[0] != NS_ICMP6_ECHO_REQUEST
                       : proto != NS_IPPROTO_ICMP || l4[0] != NS_ICMP_ECHO_REQUEST)
            return false;
        if (ns_read_be16(l4 + 4) != t->sport)
            return false;
        *k = (uint32_t)ns_read_be16(l4 + 6) - 1;
        return true;
    case NS_TRACEROUTE_TCP:
        if (proto != NS_IPPROTO_TCP || ns_read_be16(l4) != t->sport ||
            ns_read_be16(l4 + 2) != t->spec.port)
            return false;
        *k = ns_read_be32(l4 + 4) - 1;
        return true;
    }
    return false;
}

/* The IP tap: ICMP errors about our probes, and the target's own answers. */
static bool tap(void *data, const NsIpv4Repr *h, const uint8_t *d, size_t len)
{
    NsTraceroute *t = data;
    if (t->done || len < (size_t)h->header_len + 8)
        return false;
    const uint8_t *l4 = d + h->header_len;
    size_t l4len = len - h->header_len;
    uint32_t k;
    if (h->proto == NS_IPPROTO_ICMP) {
        NsIcmpRepr r;
        if (ns_icmp_parse(l4, l4len, &r) != NS_WIRE_OK)
            return false;
        if (r.type == NS_ICMP_ECHO_REPLY) {
            if (t->spec.method != NS_TRACEROUTE_ICMP || r.id != t->sport ||
                h->src != t->spec.dst)
                return false;
            answered(t, (uint32_t)r.seq - 1, h->src, true, "");
            return true;
        }
        if (r.type != NS_ICMP_TIME_EXCEEDED && r.type != NS_ICMP_DEST_UNREACH)
            return false;
        NsIpv4Repr orig;
        size_t off;
        if (ns_icmp_quote_parse(l4 + NS_ICMP_HLEN, l4len - NS_ICMP_HLEN, &orig, &off) !=
                NS_WIRE_OK ||
            orig.src != t->src || orig.dst != t->spec.dst ||
            !probe_of(t, orig.proto, l4 + NS_ICMP_HLEN + off, &k))
            return false;
        char annot[12] = "";
        if (r.type == NS_ICMP_DEST_UNREACH)
            unreach_annot(r.code, r.mtu, annot);
        answered(t, k, h->src, r.type == NS_ICMP_DEST_UNREACH, annot);
        return true;
    }
    if (h->proto == NS_IPPROTO_TCP && t->spec.method == NS_TRACEROUTE_TCP &&
        h->src == t->spec.dst && l4len >= NS_TCP_HLEN && ns_read_be16(l4) == t->spec.port &&
        ns_read_be16(l4 + 2) == t->sport) {
        uint8_t fl = l4[13];
        if (!(fl & NS_TCP_RST) && (fl & (NS_TCP_SYN | NS_TCP_ACK)) != (NS_TCP_SYN | NS_TCP_ACK))
            return false;
        answered(t, ns_read_be32(l4 + 8) - 2, h->src, true, ""); /* ack = seq + 1 */
        /* Seen, not taken: the host's TCP answers the SYN-ACK with a RST,
         * as Linux's does to the answers to traceroute's raw SYNs. */
        return false;
    }
    return false;
}

/* The IPv6 tap: ICMPv6 errors about our probes, and the target's answers. */
static bool tap6(void *data, const NsIpv6Repr *h, const uint8_t *d, size_t len)
{
    NsTraceroute *t = data;
    if (t->done || len < NS_IPV6_HLEN + 8)
        return false;
    const uint8_t *l4 = d + NS_IPV6_HLEN;
    size_t l4len = len - NS_IPV6_HLEN;
    bool from_target = ns_ipv6_addr_equal(&h->src, &t->spec.dst6);
    if (h->next_header == NS_IPPROTO_ICMPV6) {
        NsIcmp6Repr r;
        if (ns_icmp6_parse(l4, l4len, &h->src, &h->dst, &r) != NS_WIRE_OK)
            return false;
        if (r.type == NS_ICMP6_ECHO_REPLY) {
            if (t->spec.method != NS_TRACEROUTE_ICMP || r.id != t->sport || !from_target)
                return false;
            answered6(t, (uint32_t)r.seq - 1, &h->src, true, "");
            return true;
        }
        if (r.type != NS_ICMP6_TIME_EXCEEDED && r.type != NS_ICMP6_DEST_UNREACH &&
            r.type != NS_ICMP6_PACKET_TOO_BIG)
            return false;
        /* The quote: our probe's IPv6 header and at least 8 bytes after it. */
        const uint8_t *q = l4 + NS_ICMP6_HLEN;
        size_t qlen = l4len - NS_ICMP6_HLEN;
        if (qlen < NS_IPV6_HLEN + 8 || q[0] >> 4 != 6 ||
            memcmp(q + 8, t->src6.b, 16) != 0 || memcmp(q + 24, t->spec.dst6.b, 16) != 0)
            return false;
        uint32_t k;
        if (!probe_of(t, q[6], q + NS_IPV6_HLEN, &k))
            return false;
        char annot[12] = "";
        if (r.type == NS_ICMP6_DEST_UNREACH)
            unreach6_annot(r.code, annot);
        else if (r.type == NS_ICMP6_PACKET_TOO_BIG)
            snprintf(annot, sizeof annot, "!F-%u", r.mtu);
        answered6(t, k, &h->src, r.type != NS_ICMP6_TIME_EXCEEDED, annot);
        return true;
    }
    if (h->next_header == NS_IPPROTO_TCP && t->spec.method == NS_TRACEROUTE_TCP && from_target &&
        l4len >= NS_TCP_HLEN && ns_read_be16(l4) == t->spec.port &&
        ns_read_be16(l4 + 2) == t->sport) {
        uint8_t fl = l4[13];
        if (!(fl & NS_TCP_RST) && (fl & (NS_TCP_SYN | NS_TCP_ACK)) != (NS_TCP_SYN | NS_TCP_ACK))
            return false;
        answered6(t, ns_read_be32(l4 + 8) - 2, &h->src, true, "");
        return true; /* no IPv6 socket holds the port: nothing else wants it */
    }
    return false;
}

/* traceroute -6: no socket holds the port (none can be bound over IPv6
 * yet); the probes leave from the host's source for the target. */
static void start6(NsTraceroute *t)
{
    NsHost *h = t->host;
    t->ip6 = ns_ip6_of(h);
    char a[NS_IPV6_STRLEN];
    ns_ipv6_format(&t->spec.dst6, a);
    size_t size = NS_IPV6_HLEN + (t->spec.method == NS_TRACEROUTE_TCP ? 40u : 8u + PROBE_DATA);
    ns_app_trace(h, "traceroute", 0, "to %s (%s), %u hops max, %zu byte packets",
                 t->target ? t->target : a, a, t->spec.max_hops, size);
    if (!ns_ip6_source_for(t->ip6, &t->spec.dst6, &t->src6)) {
        ns_app_trace(h, "traceroute", ENETUNREACH, "%s:", a);
        t->done = true;
        return;
    }
    /* Linux's traceroute6 uses its process id; netsim a port from the
     * host's ephemeral range, as the IPv4 probes' bound socket gets. */
    t->sport = t->spec.method == NS_TRACEROUTE_ICMP ? (t->spec.ident ? t->spec.ident : 1)
                                                     : (uint16_t)(49152 + (t->spec.ident % 16384));
    ns_ip6_add_tap(t->ip6, tap6, t);
    t->ttl = 1;
    hop_start(t);
}

NsTraceroute *ns_traceroute_start(NsHost *h, const NsTracerouteSpec *spec)
{
    NsTraceroute *t = g_new0(NsTraceroute, 1);
    t->host = h;
    t->ip = ns_ip_of(h);
    t->spec = *spec;
    t->target = g_strdup(spec->target);
    t->spec.target = t->target;
    if (!t->spec.port)
        t->spec.port = spec->method == NS_TRACEROUTE_TCP ? 80 : NS_TRACEROUTE_UDP_PORT;
    if (!t->spec.max_hops)
        t->spec.max_hops = 30;
    if (!t->spec.queries)
        t->spec.queries = 3;
    if (!t->spec.wait)
        t->spec.wait = NS_TRACEROUTE_WAIT;
    t->probes = g_new0(Probe, t->spec.queries);
    if (t->spec.v6) {
        start6(t);
        return t;
    }
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(spec->dst, a);
    size_t size = 20 + (spec->method == NS_TRACEROUTE_TCP ? 40u : 8u + PROBE_DATA);
    ns_app_trace(h, "traceroute", 0, "to %s (%s), %u hops max, %zu byte packets",
                 t->target ? t->target : a, a, t->spec.max_hops, size);
    t->src = ns_ip_source_for(t->ip, spec->dst);
    int err = t->src ? 0 : ENETUNREACH;
    if (!err && spec->method != NS_TRACEROUTE_ICMP) {
        /* The source port is held by a socket of its kind, as traceroute
         * binds one, so that no other program gets it meanwhile. */
        t->sock = ns_socket_new(h, spec->method == NS_TRACEROUTE_TCP ? NS_SOCK_TCP : NS_SOCK_UDP,
                                &err);
        if (t->sock)
            err = ns_socket_bind(t->sock, t->src, 0);
        err = -err; /* the trace's errno */
        if (!err) {
            uint32_t la;
            ns_socket_local(t->sock, &la, &t->sport);
        }
    } else if (!err) {
        t->sport = spec->ident ? spec->ident : 1; /* ICMP probes: the echo id */
    }
    if (err) {
        ns_app_trace(h, "traceroute", err, "%s:", a);
        t->done = true;
        return t;
    }
    ns_ip_add_tap(t->ip, tap, t);
    t->ttl = 1;
    hop_start(t);
    return t;
}

bool ns_traceroute_done(const NsTraceroute *t)
{
    return t->done;
}

bool ns_traceroute_reached(const NsTraceroute *t)
{
    return t->reached;
}

uint32_t ns_traceroute_hops(const NsTraceroute *t)
{
    return t->hops;
}

void ns_traceroute_crash(NsTraceroute *t)
{
    if (!t)
        return;
    t->sock = NULL; /* freed with the host's sockets */
    finish(t);
}

void ns_traceroute_free(NsTraceroute *t)
{
    if (!t)
        return;
    finish(t);
    g_free(t->probes);
    g_free(t->target);
    g_free(t);
}
