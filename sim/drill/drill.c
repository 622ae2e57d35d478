/* The packetdrill runner: plays a parsed script against one simulated host
 * (192.168.0.1, the stack under test) joined by one link without delay to
 * a scripted peer (192.0.2.1). The peer has no TCP of its own: its IP layer
 * hands every TCP and UDP datagram that reaches it to the runner, which
 * matches it against the script's outbound lines; inbound lines are built
 * with sim/wire and sent from the peer. System calls go to the host's
 * socket layer; a call that would block waits, as packetdrill's blocking
 * calls do, while the script's next packets are played. Over IPv6
 * (--ip_version=ipv6) the two hosts are packetdrill's fd3d:fa7b:d17d::1
 * and 2001:db8::1 instead, and the peer's packets IPv6 ones. */
#include "drill-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/net.h"
#include "netsim/socket.h"
#include "netsim/tcp.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/udp.h"
#include "netsim-private/ctx.h"
#include "netsim-private/packet.h"

#define STACK_ADDR 0xc0a80001u /* 192.168.0.1 */
#define PEER_ADDR 0xc0000201u  /* 192.0.2.1 */
/* IPv6 (--ip_version=ipv6): packetdrill's prefixes, its local one a ULA
 * (RFC 4193) and the remote one the documentation prefix (RFC 3849). */
#define STACK_ADDR6 "fd3d:fa7b:d17d::1"
#define STACK_PREFIX6 48
#define PEER_ADDR6 "2001:db8::1"
#define PEER_PREFIX6 32
/* Linux's AF_INET6, a socket() domain */
#define LX_AF_INET6 10
#define SERVER_PORT 8080       /* packetdrill's bind and connect port */
#define PEER_PORT 48000        /* the peer's port for connections it opens */
#define FIRST_FD 3
/* Linux's values of the fcntl flags scripts write. */
#define LX_O_RDWR 02
#define LX_O_NONBLOCK 04000

typedef struct {
    NsTime t;
    uint8_t proto;
    NsTcpRepr tcp;
    uint32_t len; /* payload bytes */
    uint16_t sport, dport;
} Seen;

typedef struct {
    int fd;
    NsSocket *sock;
    bool nonblock, listening;
    bool v6; /* made with AF_INET6: its addresses are IPv6 ones */
} Fd;

/* A socket address of a script: IPv4, or IPv6 (IPv4-mapped ones too). */
typedef struct {
    bool v6;
    uint32_t v4;
    NsIpv6Addr a6;
    uint16_t port;
} Addr;

typedef struct Run Run;

/* A call that blocks: retried whenever its socket changes. */
typedef struct {
    const PktEvent *ev;
    Fd *fd;
    NsTime start, lo, hi; /* when it may return */
    bool done;
    int64_t ret;
    int err;
    NsTime at;
    size_t written; /* write: bytes taken so far */
    bool timed_out; /* poll: its timeout passed */
} Pending;

struct Run {
    const NsPkt *pkt;
    NsNet *net;
    NsHost *stack, *peer;
    bool v6;      /* IPv6 on the wire (--ip_version=ipv6) */
    bool sock6;   /* sockets are AF_INET6 (ipv6 and ipv4-mapped-ipv6) */
    uint32_t stack4, peer4; /* the addresses over IPv4 */
    NsIpv6Addr stack6, peer6;
    NsTime tol;
    GQueue seen; /* Seen*, in arrival order */
    GHashTable *fds; /* int fd -> Fd* */
    uint16_t lport, rport; /* the connection the script's packets belong to */
    bool have_iss;
    uint32_t iss;
    GHashTable *ts_map; /* script TS val -> actual */
    uint32_t last_ts;
    bool have_ts;
    Pending pending;
    Fd *sut; /* the socket under test: the last opened or accepted */
    NsTime last_out; /* when the last outbound packet the script matched was sent */
    bool blocked;
    bool drained; /* the last run_to ran every event up to its time */
    uint64_t max_events;
    const PktEvent *cur; /* the event being played */
    /* verdict */
    bool failed;
    uint32_t fail_line;
    GString *msg;
};

static bool fail(Run *r, const PktEvent *ev, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static bool fail(Run *r, const PktEvent *ev, const char *fmt, ...)
{
    if (r->failed)
        return false;
    r->failed = true;
    r->fail_line = ev ? ev->line : r->cur ? r->cur->line : 0;
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(r->msg, fmt, ap);
    va_end(ap);
    return false;
}

static void fmt_time(GString *s, NsTime t)
{
    g_string_append_printf(s, "%" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT, t / NS_S(1),
                           (t % NS_S(1)) / 1000);
}

static char *time_text(NsTime t)
{
    GString *s = g_string_new(NULL);
    fmt_time(s, t);
    return g_string_free(s, FALSE);
}

/* ---------------- packet text, packetdrill style ---------------- */

static void flags_text(GString *s, uint8_t f)
{
    static const struct {
        uint8_t bit;
        char c;
    } order[] = {{NS_TCP_FIN, 'F'}, {NS_TCP_SYN, 'S'}, {NS_TCP_RST, 'R'}, {NS_TCP_PSH, 'P'},
                 {NS_TCP_ACK, '.'}, {NS_TCP_URG, 'U'}, {NS_TCP_ECE, 'E'}, {NS_TCP_CWR, 'W'}};
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
        if (f & order[i].bit)
            g_string_append_c(s, order[i].c);
}

void pkt_opt_text(GString *s, const PktOpt *o)
{
    switch ((NsTcpOptKind)o->kind) {
    case NS_TCP_OPT_EOL:
        g_string_append(s, "eol");
        break;
    case NS_TCP_OPT_NOP:
        g_string_append(s, "nop");
        break;
    case NS_TCP_OPT_MSS:
        g_string_append_printf(s, "mss %u", o->a);
        break;
    case NS_TCP_OPT_WSCALE:
        g_string_append_printf(s, "wscale %u", o->a);
        break;
    case NS_TCP_OPT_SACK_PERM:
        g_string_append(s, "sackOK");
        break;
    case NS_TCP_OPT_SACK:
        g_string_append(s, "sack");
        for (uint8_t i = 0; i < o->n_sack; i++)
            g_string_append_printf(s, " %u:%u", o->sack[i].left, o->sack[i].right);
        break;
    case NS_TCP_OPT_TS:
        g_string_append_printf(s, "TS val %u ecr %u", o->a, o->b);
        break;
    }
}

uint8_t pkt_opts_of(const NsTcpRepr *t, PktOpt out[NS_TCP_MAX_OPTS])
{
    uint8_t n = 0;
    for (uint8_t i = 0; i < t->n_opts; i++) {
        PktOpt o = {.kind = t->opt_order[i]};
        switch ((NsTcpOptKind)t->opt_order[i]) {
        case NS_TCP_OPT_MSS:
            o.a = t->mss;
            break;
        case NS_TCP_OPT_WSCALE:
            o.a = t->wscale;
            break;
        case NS_TCP_OPT_TS:
            o.a = t->ts_val;
            o.b = t->ts_ecr;
            break;
        case NS_TCP_OPT_SACK:
            o.n_sack = t->n_sack;
            memcpy(o.sack, t->sack, sizeof o.sack);
            break;
        case NS_TCP_OPT_EOL:
        case NS_TCP_OPT_NOP:
        case NS_TCP_OPT_SACK_PERM:
            break;
        }
        out[n++] = o;
    }
    return n;
}

static void seen_text(Run *r, GString *s, const Seen *p)
{
    if (p->proto == 17) {
        g_string_append_printf(s, "> udp (%u)", p->len);
        return;
    }
    const NsTcpRepr *t = &p->tcp;
    g_string_append(s, "> ");
    flags_text(s, t->flags);
    uint32_t seq = r->have_iss ? t->seq - r->iss : t->seq;
    g_string_append_printf(s, " %u:%u(%u)", seq, seq + p->len, p->len);
    if (t->flags & NS_TCP_ACK)
        g_string_append_printf(s, " ack %u", t->ack);
    g_string_append_printf(s, " win %u", t->window);
    if (t->n_opts) {
        PktOpt o[NS_TCP_MAX_OPTS];
        uint8_t n = pkt_opts_of(t, o);
        g_string_append(s, " <");
        for (uint8_t i = 0; i < n; i++) {
            if (i)
                g_string_append_c(s, ',');
            pkt_opt_text(s, &o[i]);
        }
        g_string_append_c(s, '>');
    }
}

static void script_packet_text(GString *s, const PktEvent *ev)
{
    g_string_append(s, ev->outbound ? "> " : "< ");
    if (ev->proto == 17) {
        g_string_append_printf(s, "udp (%u)", ev->len);
        return;
    }
    if (ev->proto == 1) {
        g_string_append_printf(s, "icmp %s", ev->icmp_text);
        return;
    }
    flags_text(s, ev->flags);
    g_string_append_printf(s, " %u:%u(%u)", ev->seq, ev->seq + ev->len, ev->len);
    if (ev->has_ack)
        g_string_append_printf(s, " ack %u", ev->ack);
    if (ev->has_win)
        g_string_append_printf(s, " win %u", ev->win);
    if (ev->any_opts)
        g_string_append(s, " <...>");
    if (ev->has_opts) {
        g_string_append(s, " <");
        for (uint8_t i = 0; i < ev->n_opts; i++) {
            if (i)
                g_string_append_c(s, ',');
            pkt_opt_text(s, &ev->opts[i]);
        }
        g_string_append_c(s, '>');
    }
}

/* ---------------- the peer ---------------- */

/* A segment the stack sent; `sum_ok`: its checksum over the pseudo-header
 * of its family holds. */
static void peer_tcp_seen(Run *r, NsPacket *seg, bool sum_ok)
{
    Seen *p = g_new0(Seen, 1);
    p->t = ns_net_now(r->net);
    p->proto = 6;
    if (!sum_ok || ns_tcp_parse_verified(seg->data, seg->len, &p->tcp) != NS_WIRE_OK) {
        g_free(p);
        ns_packet_free(seg);
        fail(r, NULL, "netsim sent a malformed TCP segment");
        return;
    }
    p->len = seg->len - p->tcp.header_len;
    p->sport = p->tcp.src_port;
    p->dport = p->tcp.dst_port;
    ns_packet_free(seg);
    if (p->tcp.has_ts) {
        r->last_ts = p->tcp.ts_val;
        r->have_ts = true;
    }
    g_queue_push_tail(&r->seen, p);
    ns_sim_stop(ns_net_sim(r->net));
}

static void peer_tcp_input(void *data, const NsIpv4Repr *hdr, NsPacket *seg)
{
    uint32_t sum = ns_csum_partial(ns_csum_pseudo(hdr->src, hdr->dst, 6, (uint16_t)seg->len),
                                   seg->data, seg->len);
    peer_tcp_seen(data, seg, ns_csum_fold(sum) == 0);
}

/* RFC 8200 8.1: TCP's checksum over IPv6 covers its pseudo-header. */
static void peer_tcp_input6(void *data, const NsIpv6Repr *hdr, NsPacket *seg)
{
    uint32_t sum = ns_csum_partial(ns_csum_pseudo6(&hdr->src, &hdr->dst, 6, (uint32_t)seg->len),
                                   seg->data, seg->len);
    peer_tcp_seen(data, seg, ns_csum_fold(sum) == 0);
}

static void peer_udp_seen(Run *r, NsPacket *seg)
{
    Seen *p = g_new0(Seen, 1);
    p->t = ns_net_now(r->net);
    p->proto = 17;
    p->len = seg->len >= 8 ? seg->len - 8 : 0;
    if (seg->len >= 4) {
        p->sport = ns_read_be16(seg->data);
        p->dport = ns_read_be16(seg->data + 2);
    }
    ns_packet_free(seg);
    g_queue_push_tail(&r->seen, p);
    ns_sim_stop(ns_net_sim(r->net));
}

static void peer_udp_input(void *data, const NsIpv4Repr *hdr, NsPacket *seg)
{
    (void)hdr;
    peer_udp_seen(data, seg);
}

static void peer_udp_input6(void *data, const NsIpv6Repr *hdr, NsPacket *seg)
{
    NsUdpRepr u;
    if (ns_udp_parse6(seg->data, seg->len, &hdr->src, &hdr->dst, &u) != NS_WIRE_OK) {
        ns_packet_free(seg);
        fail(data, NULL, "netsim sent a malformed UDP datagram");
        return;
    }
    peer_udp_seen(data, seg);
}

static void peer_error(void *data, int err, const NsIpv4Repr *orig, const uint8_t *l4,
                       size_t l4_len)
{
    (void)data, (void)err, (void)orig, (void)l4, (void)l4_len;
}

static void peer_error6(void *data, int err, uint32_t mtu, const NsIpv6Repr *orig,
                        const uint8_t *l4, size_t l4_len)
{
    (void)data, (void)err, (void)mtu, (void)orig, (void)l4, (void)l4_len;
}

static const NsIpProtoOps peer_tcp_ops = {.name = "drill-tcp", .input = peer_tcp_input,
                                          .error = peer_error, .input6 = peer_tcp_input6,
                                          .error6 = peer_error6};
static const NsIpProtoOps peer_udp_ops = {.name = "drill-udp", .input = peer_udp_input,
                                          .error = peer_error, .input6 = peer_udp_input6,
                                          .error6 = peer_error6};

static void noop_event(NsSim *sim, void *obj, void *arg)
{
    (void)sim, (void)obj, (void)arg;
}

/* Whether an event may still be due at or before `t`: the last run was
 * stopped early (by a packet or a call's return), not by the time. */
static bool next_due_by(Run *r, NsTime t)
{
    return !r->drained && ns_net_now(r->net) <= t;
}

/* Run the host's events up to and including time `t`; it stops early
 * after an event that sent something or completed a waiting call. */
static void run_to(Run *r, NsTime t)
{
    NsSim *sim = ns_net_sim(r->net);
    if (t < ns_sim_now(sim))
        t = ns_sim_now(sim); /* (a late event: what is due now still runs) */
    if (t > ns_sim_now(sim))
        ns_sim_schedule_at(sim, t, noop_event, NULL, NULL);
    uint64_t ran = ns_net_events(r->net);
    if (ran >= r->max_events) {
        fail(r, NULL, "the run reached its limit of %" G_GUINT64_FORMAT " events", r->max_events);
        r->drained = true;
        return;
    }
    NsSimResult res = ns_net_run_until(r->net, t, r->max_events - ran);
    r->drained = res == NS_SIM_TIME || res == NS_SIM_EMPTY;
    if (res == NS_SIM_LIMIT || res == NS_SIM_HORIZON) {
        fail(r, NULL, "the run reached its limit of %" G_GUINT64_FORMAT " events", r->max_events);
        r->drained = true;
    }
}

/* Run until `t`, its own events included. What the stack sends meanwhile
 * waits in the queue: as in packetdrill, it is judged by the script's next
 * outbound line (a packet the script does not expect then fails there). */
static bool quiet_until(Run *r, const PktEvent *ev, NsTime t)
{
    (void)ev;
    r->drained = false;
    while (!r->failed && (ns_net_now(r->net) < t || next_due_by(r, t)))
        run_to(r, t);
    return !r->failed;
}

/* ---------------- inbound ---------------- */

static uint32_t map_ecr(Run *r, uint32_t script_ecr)
{
    gpointer v;
    if (g_hash_table_lookup_extended(r->ts_map, GUINT_TO_POINTER(script_ecr), NULL, &v))
        return GPOINTER_TO_UINT(v);
    return r->have_ts ? r->last_ts : script_ecr;
}

/* The UDP socket the script's datagrams belong to: the socket under test
 * when it is a UDP one. Its port and, when connected, its peer's (else
 * packetdrill's 8080). */
static bool udp_ports(Run *r, const PktEvent *ev, uint16_t *lport, uint16_t *rport)
{
    if (!r->sut || ns_socket_type(r->sut->sock) != NS_SOCK_UDP)
        return fail(r, ev, "a UDP datagram needs a UDP socket under test (the last one the "
                           "script opened)");
    uint32_t a;
    ns_socket_local(r->sut->sock, &a, lport);
    ns_socket_peer(r->sut->sock, &a, rport);
    if (!*lport)
        return fail(r, ev, "a UDP datagram for a socket that has no port yet (bind it first)");
    if (!*rport)
        *rport = SERVER_PORT;
    return true;
}

static bool send_from_peer(Run *r, const PktEvent *ev, NsPacket *p, uint8_t proto)
{
    NsIpTxOpts o = {.ttl = 64};
    int e = r->v6 ? ns_ip6_output(ns_ip6_of(r->peer), p, &r->peer6, &r->stack6,
                                  proto == 1 ? NS_IPPROTO_ICMPV6 : proto, 64)
                  : ns_ip_output(ns_ip_of(r->peer), p, r->peer4, r->stack4, proto, &o);
    if (e)
        return fail(r, ev, "the peer could not send the packet: %s", g_strerror(e));
    return true;
}

/* `< udp (LEN)`: a datagram of LEN bytes from the peer. */
static bool inject_udp(Run *r, const PktEvent *ev)
{
    uint16_t lport, rport;
    if (!udp_ports(r, ev, &lport, &rport))
        return false;
    NsCtx *ctx = ns_net_ctx(r->net);
    NsPacket *p = ns_packet_new(ctx->pool, NS_PACKET_HEADROOM, NS_UDP_HLEN + ev->len);
    memset(p->data + NS_UDP_HLEN, 'a', ev->len);
    NsUdpRepr u = {.src_port = rport, .dst_port = lport,
                   .length = (uint16_t)(NS_UDP_HLEN + ev->len)};
    if (r->v6)
        ns_udp_emit6(&u, &r->peer6, &r->stack6, p->data, p->len);
    else
        ns_udp_emit(&u, r->peer4, r->stack4, p->data, p->len);
    return send_from_peer(r, ev, p, 17);
}

/* `< icmp ...`: an ICMP message from the peer; an error quotes the IP
 * header and first 8 bytes of a datagram the stack sent: a TCP segment of
 * the script's connection (its sequence number relative to the stack's
 * ISN, as packetdrill maps it) or a datagram of its UDP socket. */
/* The same over IPv6 (RFC 4443): unreachable, packet too big (with its
 * MTU) and time exceeded, quoting the IPv6 header and the first 8 bytes
 * of the transport header. */
static bool inject_icmp6(Run *r, const PktEvent *ev)
{
    uint8_t quote[NS_IPV6_HLEN + 8];
    memset(quote, 0, sizeof quote);
    NsIpv6Repr q = {.next_header = ev->echoed_proto, .hop_limit = 64, .src = r->stack6,
                    .dst = r->peer6};
    if (ev->icmp_type != NS_ICMP6_DEST_UNREACH && ev->icmp_type != NS_ICMP6_PACKET_TOO_BIG &&
        ev->icmp_type != NS_ICMP6_TIME_EXCEEDED)
        return fail(r, ev, "ICMPv6 %s is not modelled by netsim (unreachable, packet_too_big "
                           "and time_exceeded errors are)",
                    ev->icmp_text);
    if (ev->echoed_proto == 17) {
        uint16_t lport, rport;
        if (!udp_ports(r, ev, &lport, &rport))
            return false;
        q.payload_len = (uint16_t)(NS_UDP_HLEN + ev->len);
        ns_write_be16(quote + NS_IPV6_HLEN, lport);
        ns_write_be16(quote + NS_IPV6_HLEN + 2, rport);
        ns_write_be16(quote + NS_IPV6_HLEN + 4, (uint16_t)(NS_UDP_HLEN + ev->len));
    } else {
        if (!r->lport)
            return fail(r, ev, "an ICMPv6 error about a TCP segment before any socket listens or "
                               "connects: there is no connection it can be about");
        q.payload_len = (uint16_t)(NS_TCP_HLEN + ev->len);
        ns_write_be16(quote + NS_IPV6_HLEN, r->lport);
        ns_write_be16(quote + NS_IPV6_HLEN + 2, r->rport);
        ns_write_be32(quote + NS_IPV6_HLEN + 4, (r->have_iss ? r->iss : 0) + ev->seq);
    }
    ns_ipv6_emit(&q, quote, NS_IPV6_HLEN);
    NsIcmp6Repr ic = {.type = (NsIcmp6Type)ev->icmp_type, .code = ev->icmp_code,
                      .mtu = ev->icmp_mtu};
    NsCtx *ctx = ns_net_ctx(r->net);
    NsPacket *p = ns_packet_new(ctx->pool, NS_PACKET_HEADROOM, NS_ICMP6_HLEN + sizeof quote);
    if (ns_icmp6_emit(&ic, &r->peer6, &r->stack6, quote, sizeof quote, p->data, p->len) == 0) {
        ns_packet_free(p);
        return fail(r, ev, "ICMPv6 %s could not be written", ev->icmp_text);
    }
    return send_from_peer(r, ev, p, 1);
}

static bool inject_icmp(Run *r, const PktEvent *ev)
{
    if (r->v6)
        return inject_icmp6(r, ev);
    uint8_t quote[NS_IPV4_HLEN + 8];
    memset(quote, 0, sizeof quote);
    NsIpv4Repr q = {.ttl = 64, .df = true, .proto = ev->echoed_proto, .src = r->stack4,
                    .dst = r->peer4};
    if (ev->echoed_proto == 17) {
        uint16_t lport, rport;
        if (!udp_ports(r, ev, &lport, &rport))
            return false;
        q.df = false;
        q.total_len = (uint16_t)(NS_IPV4_HLEN + NS_UDP_HLEN + ev->len);
        ns_write_be16(quote + NS_IPV4_HLEN, lport);
        ns_write_be16(quote + NS_IPV4_HLEN + 2, rport);
        ns_write_be16(quote + NS_IPV4_HLEN + 4, (uint16_t)(NS_UDP_HLEN + ev->len));
    } else {
        if (!r->lport)
            return fail(r, ev, "an ICMP error about a TCP segment before any socket listens or "
                               "connects: there is no connection it can be about");
        q.total_len = (uint16_t)(NS_IPV4_HLEN + NS_TCP_HLEN + ev->len);
        ns_write_be16(quote + NS_IPV4_HLEN, r->lport);
        ns_write_be16(quote + NS_IPV4_HLEN + 2, r->rport);
        ns_write_be32(quote + NS_IPV4_HLEN + 4, (r->have_iss ? r->iss : 0) + ev->seq);
    }
    ns_ipv4_emit(&q, quote, NS_IPV4_HLEN);
    NsIcmpRepr ic = {.type = (NsIcmpType)ev->icmp_type, .code = ev->icmp_code,
                     .mtu = (uint16_t)ev->icmp_mtu};
    NsCtx *ctx = ns_net_ctx(r->net);
    NsPacket *p = ns_packet_new(ctx->pool, NS_PACKET_HEADROOM, NS_ICMP_HLEN + sizeof quote);
    if (ns_icmp_emit(&ic, quote, sizeof quote, p->data, p->len) == 0) {
        ns_packet_free(p);
        return fail(r, ev, "ICMP %s is not modelled by netsim (unreachable and time_exceeded "
                           "errors are)",
                    ev->icmp_text);
    }
    return send_from_peer(r, ev, p, 1);
}

static bool inject(Run *r, const PktEvent *ev)
{
    if (ev->proto == 17)
        return inject_udp(r, ev);
    if (ev->proto == 1)
        return inject_icmp(r, ev);
    if (!r->lport)
        return fail(r, ev, "an inbound packet before any socket listens or connects: there is "
                           "no port to send it to");
    NsTcpRepr t;
    memset(&t, 0, sizeof t);
    t.src_port = r->rport;
    t.dst_port = r->lport;
    t.seq = ev->seq;
    t.flags = ev->flags;
    t.ack = ev->has_ack ? (r->have_iss ? r->iss + ev->ack : ev->ack) : 0;
    t.window = (uint16_t)ev->win;
    for (uint8_t i = 0; i < ev->n_opts; i++) {
        const PktOpt *o = &ev->opts[i];
        t.opt_order[t.n_opts++] = o->kind;
        switch ((NsTcpOptKind)o->kind) {
        case NS_TCP_OPT_MSS:
            t.has_mss = true;
            t.mss = (uint16_t)o->a;
            break;
        case NS_TCP_OPT_WSCALE:
            t.has_wscale = true;
            t.wscale = (uint8_t)o->a;
            break;
        case NS_TCP_OPT_SACK_PERM:
            t.sack_permitted = true;
            break;
        case NS_TCP_OPT_TS:
            t.has_ts = true;
            t.ts_val = o->a;
            t.ts_ecr = o->b ? map_ecr(r, o->b) : 0;
            break;
        case NS_TCP_OPT_SACK:
            if (t.n_sack)
                return fail(r, ev, "two SACK options in one packet");
            t.n_sack = o->n_sack;
            for (uint8_t k = 0; k < o->n_sack; k++) {
                /* our (the stack's) sequence space: relative to its ISN */
                t.sack[k].left = r->iss + o->sack[k].left;
                t.sack[k].right = r->iss + o->sack[k].right;
            }
            break;
        case NS_TCP_OPT_NOP:
        case NS_TCP_OPT_EOL:
            break;
        }
    }
    size_t hlen = ns_tcp_header_len(&t);
    if (hlen == 0)
        return fail(r, ev, "these TCP options do not fit in a header (at most 40 bytes)");
    NsCtx *ctx = ns_net_ctx(r->net);
    NsPacket *p = ns_packet_new(ctx->pool, NS_PACKET_HEADROOM, hlen + ev->len);
    for (uint32_t i = 0; i < ev->len; i++)
        p->data[hlen + i] = (uint8_t)('a' + (ev->seq + i) % 26);
    if (r->v6)
        ns_tcp_emit_pseudo(&t, ns_csum_pseudo6(&r->peer6, &r->stack6, 6, (uint32_t)(hlen + ev->len)),
                           p->data, hlen + ev->len);
    else
        ns_tcp_emit(&t, r->peer4, r->stack4, p->data, hlen + ev->len);
    return send_from_peer(r, ev, p, 6);
}

/* ---------------- outbound ---------------- */

static bool opts_match(Run *r, const PktEvent *ev, const Seen *p, GString *why)
{
    (void)r;
    if (ev->any_opts)
        return true;
    PktOpt a[NS_TCP_MAX_OPTS];
    uint8_t n = pkt_opts_of(&p->tcp, a);
    if (n != ev->n_opts) {
        g_string_append_printf(why, "%u TCP options expected, %u sent", ev->n_opts, n);
        return false;
    }
    for (uint8_t i = 0; i < n; i++) {
        const PktOpt *w = &ev->opts[i], *g = &a[i];
        bool ok = w->kind == g->kind;
        if (ok && (w->kind == NS_TCP_OPT_MSS || w->kind == NS_TCP_OPT_WSCALE))
            ok = w->a == g->a;
        if (ok && w->kind == NS_TCP_OPT_SACK) {
            ok = w->n_sack == g->n_sack;
            for (uint8_t k = 0; ok && k < w->n_sack; k++)
                /* the blocks of the stack's SACKs cover the peer's data:
                 * its numbers are the script's own */
                ok = w->sack[k].left == g->sack[k].left && w->sack[k].right == g->sack[k].right;
        }
        if (!ok) {
            g_string_append_printf(why, "TCP option %u differs: expected ", i + 1);
            pkt_opt_text(why, w);
            g_string_append(why, ", sent ");
            pkt_opt_text(why, g);
            return false;
        }
    }
    return true;
}

static bool tcp_match(Run *r, const PktEvent *ev, const Seen *p, GString *why)
{
    const NsTcpRepr *t = &p->tcp;
    if (p->proto != 6) {
        g_string_append(why, "a UDP datagram, not a TCP segment");
        return false;
    }
    if (t->flags != ev->flags) {
        g_autoptr(GString) a = g_string_new(NULL), b = g_string_new(NULL);
        flags_text(a, ev->flags);
        flags_text(b, t->flags);
        g_string_append_printf(why, "flags %s expected, %s sent", a->str, b->str);
        return false;
    }
    uint32_t seq = t->seq - (r->have_iss ? r->iss : t->seq - ev->seq);
    if (seq != ev->seq) {
        g_string_append_printf(why, "sequence number %u expected, %u sent", ev->seq, seq);
        return false;
    }
    if (p->len != ev->len) {
        g_string_append_printf(why, "%u payload bytes expected, %u sent", ev->len, p->len);
        return false;
    }
    uint32_t want_ack = ev->has_ack ? ev->ack : 0;
    if (t->ack != want_ack) {
        g_string_append_printf(why, "ack %u expected, %u sent", want_ack, t->ack);
        return false;
    }
    if (ev->has_win && t->window != ev->win) {
        g_string_append_printf(why, "window %u expected, %u sent", ev->win, t->window);
        return false;
    }
    return opts_match(r, ev, p, why);
}

static bool expect_packet(Run *r, const PktEvent *ev, NsTime lo, NsTime hi, bool any)
{
    if (ev->proto == 1)
        return fail(r, ev, "outbound ICMP is not captured by netsim's drill (only TCP and UDP)");
    NsTime deadline = any ? ns_net_now(r->net) + NS_S(600) : hi + r->tol;
    /* (at least once: what the last call or packet caused is due now) */
    r->drained = false;
    while (!r->seen.length && !r->failed &&
           (ns_net_now(r->net) < deadline || next_due_by(r, deadline)))
        run_to(r, deadline);
    if (r->failed)
        return false;
    g_autoptr(GString) want = g_string_new(NULL);
    script_packet_text(want, ev);
    if (!r->seen.length) {
        g_autofree char *at = time_text(any ? lo : hi);
        g_autofree char *now = time_text(ns_net_now(r->net));
        return fail(r, ev, "expected %s at %s; netsim sent nothing until %s", want->str, at,
                    now);
    }
    Seen *p = g_queue_pop_head(&r->seen);
    g_autoptr(GString) got = g_string_new(NULL);
    g_autoptr(GString) why = g_string_new(NULL);
    /* The first segment the stack sends with SYN names its ISN. */
    if (ev->proto == 6 && p->proto == 6 && !r->have_iss && (p->tcp.flags & NS_TCP_SYN)) {
        r->iss = p->tcp.seq - ev->seq;
        r->have_iss = true;
        if (!r->rport || !r->lport) {
            r->lport = p->tcp.src_port;
            r->rport = p->tcp.dst_port;
        }
    }
    /* Several segments sent at once may match one large (TSO) line: take
     * the ones that continue it, sent at the same instant, up to the end
     * of the TSO packet they left in (its PSH, which GSO keeps on the
     * packet's last segment), as packetdrill sees Linux's packets. */
    if (ev->proto == 6 && p->proto == 6 && p->len > 0 && ev->len > p->len) {
        uint32_t total = p->len;
        uint8_t flags = p->tcp.flags;
        while (total < ev->len && !(flags & NS_TCP_PSH)) {
            while (!r->seen.length && !r->failed && next_due_by(r, p->t))
                run_to(r, p->t);
            Seen *q = g_queue_peek_head(&r->seen);
            if (!q || q->proto != 6 || q->t != p->t || q->tcp.seq != p->tcp.seq + total ||
                q->tcp.ack != p->tcp.ack || total + q->len > ev->len)
                break;
            g_queue_pop_head(&r->seen);
            total += q->len;
            flags |= q->tcp.flags;
            g_free(q);
        }
        p->len = total;
        p->tcp.flags = flags;
    }
    seen_text(r, got, p);
    g_autofree char *at = time_text(p->t);
    bool ok = ev->proto == 6 ? tcp_match(r, ev, p, why)
                             : (p->proto == ev->proto && p->len == ev->len);
    if (!ok && !why->len)
        g_string_append(why, "a different packet");
    if (ok && !any && (p->t < lo - r->tol || p->t > hi + r->tol)) {
        g_autofree char *w = time_text(lo);
        g_string_append_printf(why, "sent at %s, expected at %s (tolerance %" G_GINT64_FORMAT
                                    " us)",
                               at, w, r->tol / 1000);
        ok = false;
    }
    if (ok && p->tcp.has_ts) {
        for (uint8_t i = 0; i < ev->n_opts; i++)
            if (ev->opts[i].kind == NS_TCP_OPT_TS)
                g_hash_table_insert(r->ts_map, GUINT_TO_POINTER(ev->opts[i].a),
                                    GUINT_TO_POINTER(p->tcp.ts_val));
    }
    r->last_out = p->t;
    g_free(p);
    if (!ok)
        return fail(r, ev, "expected %s; netsim sent %s at %s: %s", want->str, got->str, at,
                    why->str);
    return true;
}

/* ---------------- system calls ---------------- */

static const PktExpr *arg(const PktEvent *ev, guint i)
{
    return ev->args && i < ev->args->len ? g_ptr_array_index(ev->args, i) : NULL;
}

/* Names scripts use for constants (Linux's values). */
static const struct {
    const char *name;
    int64_t value;
} constants[] = {
    {"AF_INET", 2}, {"AF_INET6", 10}, {"PF_INET", 2}, {"SOCK_STREAM", 1}, {"SOCK_DGRAM", 2},
    {"SOCK_NONBLOCK", LX_O_NONBLOCK}, {"IPPROTO_TCP", 6}, {"IPPROTO_UDP", 17}, {"IPPROTO_IP", 0},
    {"SOL_SOCKET", 1}, {"SOL_TCP", 6}, {"SO_REUSEADDR", 2}, {"SO_ERROR", 4}, {"SO_SNDBUF", 7},
    {"SO_RCVBUF", 8}, {"SO_KEEPALIVE", 9}, {"SO_LINGER", 13}, {"SO_REUSEPORT", 15},
    {"TCP_NODELAY", 1}, {"TCP_MAXSEG", 2}, {"TCP_CORK", 3}, {"TCP_KEEPIDLE", 4},
    {"TCP_KEEPINTVL", 5}, {"TCP_KEEPCNT", 6}, {"TCP_INFO", 11}, {"TCP_QUICKACK", 12},
    {"TCP_CONGESTION", 13}, {"TCP_USER_TIMEOUT", 18},
    {"F_GETFL", 3}, {"F_SETFL", 4}, {"O_RDWR", LX_O_RDWR}, {"O_NONBLOCK", LX_O_NONBLOCK},
    {"SHUT_RD", 0}, {"SHUT_WR", 1}, {"SHUT_RDWR", 2}, {"MSG_PEEK", 2}, {"MSG_DONTWAIT", 0x40},
    {"MSG_NOSIGNAL", 0x4000}, {"MSG_MORE", 0x8000},
    {"POLLIN", NS_POLLIN}, {"POLLPRI", NS_POLLPRI}, {"POLLOUT", NS_POLLOUT},
    {"POLLERR", NS_POLLERR}, {"POLLHUP", NS_POLLHUP}, {"POLLNVAL", NS_POLLNVAL},
    {"POLLRDNORM", NS_POLLRDNORM}, {"POLLWRNORM", NS_POLLWRNORM}, {"POLLRDHUP", NS_POLLRDHUP},
};

/* An integer argument: a number, a known name, [x], a|b, htons(x). */
static bool eval_int(Run *r, const PktEvent *ev, const PktExpr *e, int64_t *out)
{
    if (!e)
        return fail(r, ev, "%s: an argument is missing", ev->name);
    switch (e->kind) {
    case PKT_E_NUM:
        *out = e->num;
        return true;
    case PKT_E_IDENT:
        for (size_t i = 0; i < G_N_ELEMENTS(constants); i++)
            if (strcmp(constants[i].name, e->str) == 0) {
                *out = constants[i].value;
                return true;
            }
        return fail(r, ev, "%s: the constant %s is not known to netsim", ev->name, e->str);
    case PKT_E_LIST:
        if (e->sub->len == 1)
            return eval_int(r, ev, g_ptr_array_index(e->sub, 0), out);
        break;
    case PKT_E_OR: {
        int64_t a, b;
        if (!eval_int(r, ev, g_ptr_array_index(e->sub, 0), &a) ||
            !eval_int(r, ev, g_ptr_array_index(e->sub, 1), &b))
            return false;
        *out = a | b;
        return true;
    }
    case PKT_E_CALL:
        if ((strcmp(e->str, "htons") == 0 || strcmp(e->str, "htonl") == 0) && e->sub->len == 1)
            return eval_int(r, ev, g_ptr_array_index(e->sub, 0), out);
        break;
    case PKT_E_ELLIPSIS:
    case PKT_E_STRING:
    case PKT_E_STRUCT:
    case PKT_E_FIELD:
        break;
    }
    return fail(r, ev, "%s: %s where a number is expected", ev->name, pkt_expr_kind_name(e->kind));
}

static Fd *fd_of(Run *r, const PktEvent *ev, guint i)
{
    int64_t v;
    if (!eval_int(r, ev, arg(ev, i), &v))
        return NULL;
    /* (not open: the caller answers EBADF, as the kernel does) */
    return v < 0 || v > INT32_MAX ? NULL : g_hash_table_lookup(r->fds, GINT_TO_POINTER((int)v));
}

static int new_fd(Run *r)
{
    int fd = FIRST_FD;
    while (g_hash_table_contains(r->fds, GINT_TO_POINTER(fd)))
        fd++;
    return fd;
}

static Fd *add_fd(Run *r, NsSocket *s, int64_t want);
static bool sockaddr_of(Run *r, const PktEvent *ev, const PktExpr *e, Addr *out);
static Addr peer_addr(const Run *r, const Fd *f, uint16_t port);

/* packetdrill fills a `...` address with the script's own family: an
 * AF_INET socket of an IPv6 script gets an IPv6 address, which Linux
 * refuses with EAFNOSUPPORT (inet_bind, tcp_v4_connect). */
static bool wrong_family(const Run *r, const Fd *f, const PktExpr *e)
{
    return r->v6 && !f->v6 && (!e || e->kind == PKT_E_ELLIPSIS);
}

static void on_watch(void *data, NsSocket *sock);
static const PktExpr *field(const PktExpr *e, const char *a, const char *b);

/* readv/writev: the total length of an iovec list [{..., N}, ...] (each
 * structure's iov_len=N, or its last number). */
static bool iov_total(Run *r, const PktEvent *ev, int64_t *out)
{
    const PktExpr *l = arg(ev, 1);
    *out = 0;
    if (!l || l->kind != PKT_E_LIST)
        return fail(r, ev, "%s: expected an iovec list [{..., N}, ...]", ev->name);
    for (guint i = 0; i < l->sub->len; i++) {
        const PktExpr *s = g_ptr_array_index(l->sub, i), *len = NULL;
        for (guint k = 0; s->kind == PKT_E_STRUCT && k < s->sub->len; k++) {
            const PktExpr *it = g_ptr_array_index(s->sub, k);
            if (it->kind == PKT_E_FIELD && strcmp(it->str, "iov_len") == 0)
                len = g_ptr_array_index(it->sub, 0);
            else if (it->kind == PKT_E_NUM)
                len = it;
        }
        int64_t n;
        if (!len)
            return fail(r, ev, "%s: an iovec without a length", ev->name);
        if (!eval_int(r, ev, len, &n))
            return false;
        if (n < 0 || n > (1 << 26))
            return fail(r, ev, "%s: length %" G_GINT64_FORMAT " out of range", ev->name, n);
        *out += n;
    }
    return true;
}

static void poll_text(GString *s, int64_t mask)
{
    static const struct {
        int64_t bit;
        const char *name;
    } bits[] = {{NS_POLLIN, "POLLIN"},       {NS_POLLPRI, "POLLPRI"},     {NS_POLLOUT, "POLLOUT"},
                {NS_POLLERR, "POLLERR"},     {NS_POLLHUP, "POLLHUP"},     {NS_POLLNVAL, "POLLNVAL"},
                {NS_POLLRDNORM, "POLLRDNORM"}, {NS_POLLWRNORM, "POLLWRNORM"},
                {NS_POLLRDHUP, "POLLRDHUP"}};
    size_t len = s->len;
    for (size_t i = 0; i < G_N_ELEMENTS(bits); i++)
        if (mask & bits[i].bit)
            g_string_append_printf(s, "%s%s", s->len > len ? "|" : "", bits[i].name);
    if (s->len == len)
        g_string_append_c(s, '0');
}

/* poll([{fd=N, events=E, revents=R}, ...], n, timeout): complete when an
 * fd has an event (or the timeout passed), then each revents given must
 * be what netsim reports. */
static bool try_poll(Run *r, Pending *c)
{
    const PktEvent *ev = c->ev;
    const PktExpr *l = arg(ev, 0);
    if (!l || l->kind != PKT_E_LIST) {
        fail(r, ev, "poll: expected [{fd=N, events=E, revents=R}, ...]");
        return true;
    }
    int64_t ready = 0;
    GString *why = g_string_new(NULL);
    for (guint i = 0; i < l->sub->len && !r->failed; i++) {
        const PktExpr *s = g_ptr_array_index(l->sub, i);
        const PktExpr *fd_e = field(s, "fd", "fd"), *ev_e = field(s, "events", "events"),
                      *rev_e = field(s, "revents", "revents");
        int64_t fd, events = 0, want;
        if (!fd_e || !eval_int(r, ev, fd_e, &fd) || (ev_e && !eval_int(r, ev, ev_e, &events))) {
            if (!r->failed)
                fail(r, ev, "poll: each entry needs fd=N");
            break;
        }
        Fd *f = fd >= 0 && fd <= INT32_MAX ? g_hash_table_lookup(r->fds, GINT_TO_POINTER((int)fd))
                                           : NULL;
        int64_t got = f ? (int64_t)ns_socket_poll(f->sock) & (events | NS_POLLERR | NS_POLLHUP)
                        : NS_POLLNVAL;
        ready += got != 0;
        if (rev_e && rev_e->kind != PKT_E_ELLIPSIS) {
            if (!eval_int(r, ev, rev_e, &want))
                break;
            if (want != got && !why->len) {
                g_string_append_printf(why, "poll gave fd %" G_GINT64_FORMAT " revents=", fd);
                poll_text(why, got);
                g_string_append(why, ", expected ");
                poll_text(why, want);
            }
        }
    }
    int64_t timeout = 0;
    if (!r->failed && !eval_int(r, ev, arg(ev, 2), &timeout)) {
        g_string_free(why, TRUE);
        return true;
    }
    if (r->failed || ready || timeout == 0 || c->timed_out) {
        if (!r->failed && why->len)
            fail(r, ev, "%s", why->str);
        c->ret = ready;
        g_string_free(why, TRUE);
        return true;
    }
    g_string_free(why, TRUE);
    return false;
}

static void poll_timeout(NsSim *sim, void *obj, void *arg)
{
    (void)sim, (void)arg;
    Run *r = obj;
    r->pending.timed_out = true;
    on_watch(r, NULL);
}

/* One try of a call. Returns false when it would block (on a blocking
 * socket); else the result is in ret/err. */
static bool try_call(Run *r, Pending *c)
{
    const PktEvent *ev = c->ev;
    Fd *f = c->fd;
    const char *n = ev->name;
    c->err = 0;
    c->ret = 0;
    if (strcmp(n, "accept") == 0) {
        int e = 0;
        NsSocket *s = ns_socket_accept(f->sock, &e);
        e = -e; /* the socket API's -errno; a syscall's errno */
        if (!s) {
            if (e == EAGAIN && !f->nonblock)
                return false;
            c->ret = -1;
            c->err = e;
            return true;
        }
        Fd *nf = add_fd(r, s, c->ev->ret);
        nf->v6 = f->v6;
        c->ret = nf->fd;
        r->sut = nf;
        uint32_t a;
        ns_socket_peer(s, &a, &r->rport);
        ns_socket_local(s, &a, &r->lport);
        return true;
    }
    if (strcmp(n, "connect") == 0) {
        int st = ns_socket_state(f->sock);
        if (st == NS_TCP_STATE_ESTABLISHED || st == NS_TCP_STATE_CLOSE_WAIT) {
            c->ret = 0;
            return true;
        }
        int e = ns_socket_take_error(f->sock);
        if (e) {
            c->ret = -1;
            c->err = e;
            return true;
        }
        return false;
    }
    if (strcmp(n, "poll") == 0)
        return try_poll(r, c);
    if (strcmp(n, "read") == 0 || strcmp(n, "recv") == 0 || strcmp(n, "recvfrom") == 0 ||
        strcmp(n, "readv") == 0) {
        int64_t len, flags = 0;
        bool vec = n[4] == 'v';
        if (vec ? !iov_total(r, ev, &len) : !eval_int(r, ev, arg(ev, 2), &len))
            return true;
        if (strcmp(n, "read") != 0 && !vec && arg(ev, 3) && !eval_int(r, ev, arg(ev, 3), &flags))
            return true;
        if (len < 0 || len > (1 << 26)) {
            fail(r, ev, "%s: length %" G_GINT64_FORMAT " out of range", n, len);
            return true;
        }
        g_autofree uint8_t *buf = g_malloc((size_t)len + 1);
        bool udp = ns_socket_type(f->sock) == NS_SOCK_UDP;
        if (udp && (flags & 2))
            return fail(r, ev, "%s: MSG_PEEK on a UDP socket is not modelled", n), true;
        long got = flags & 2 /* MSG_PEEK */ ? ns_socket_peek(f->sock, buf, (size_t)len)
                                            : ns_socket_recvfrom(f->sock, buf, (size_t)len, NULL, NULL);
        if (got == -EAGAIN && !f->nonblock && !(flags & 0x40 /* MSG_DONTWAIT */))
            return false;
        if (udp && got > len)
            got = (long)len; /* the rest of the datagram is discarded */
        c->ret = got < 0 ? -1 : got;
        c->err = got < 0 ? (int)-got : 0;
        return true;
    }
    if (strcmp(n, "write") == 0 || strcmp(n, "send") == 0 || strcmp(n, "writev") == 0 ||
        strcmp(n, "sendto") == 0) {
        int64_t len;
        if (strcmp(n, "writev") == 0 ? !iov_total(r, ev, &len) : !eval_int(r, ev, arg(ev, 2), &len))
            return true;
        if (len < 0 || len > (1 << 30)) {
            fail(r, ev, "%s: length %" G_GINT64_FORMAT " out of range", n, len);
            return true;
        }
        if (ns_socket_type(f->sock) == NS_SOCK_UDP) {
            /* one datagram, all of it or an error (a pending one first) */
            if (len > 65507) {
                c->ret = -1;
                c->err = EMSGSIZE;
                return true;
            }
            /* sendto on an unconnected socket: to the address given, or
             * packetdrill's 192.0.2.1:8080 for `...` */
            Addr a = peer_addr(r, f, SERVER_PORT);
            uint32_t pa;
            uint16_t pp;
            ns_socket_peer(f->sock, &pa, &pp);
            bool to = strcmp(n, "sendto") == 0 && !pp;
            if (to && wrong_family(r, f, arg(ev, 4))) {
                c->ret = -1;
                c->err = EAFNOSUPPORT;
                return true;
            }
            if (to && !sockaddr_of(r, ev, arg(ev, 4), &a))
                return true;
            g_autofree uint8_t *buf = g_malloc0((size_t)len + 1);
            int e = !to   ? ns_socket_send(f->sock, buf, (size_t)len)
                    : a.v6 ? ns_socket_sendto6(f->sock, buf, (size_t)len, &a.a6, a.port)
                           : ns_socket_sendto(f->sock, buf, (size_t)len, a.v4, a.port);
            c->ret = e ? -1 : len;
            c->err = e ? -e : 0;
            return true;
        }
        long put = len == 0 ? 0
                            : ns_socket_write_pattern(f->sock, NULL, 0, c->written,
                                                      (size_t)len - c->written);
        if (put >= 0)
            c->written += (size_t)put;
        if (put == -EAGAIN || (put >= 0 && c->written < (size_t)len)) {
            if (!f->nonblock)
                return false;
            if (c->written == 0) {
                c->ret = -1;
                c->err = EAGAIN;
                return true;
            }
        } else if (put < 0) {
            c->ret = -1;
            c->err = (int)-put;
            return true;
        }
        c->ret = (int64_t)c->written;
        return true;
    }
    fail(r, ev, "%s: cannot wait", n);
    return true;
}

/* As packetdrill, the script's descriptor numbers are its own: a new
 * socket takes the number the script expects when it is free. */
static Fd *add_fd(Run *r, NsSocket *s, int64_t want)
{
    Fd *f = g_new0(Fd, 1);
    f->fd = want >= 0 && want < INT32_MAX && !g_hash_table_contains(r->fds, GINT_TO_POINTER((int)want))
                ? (int)want
                : new_fd(r);
    f->sock = s;
    ns_socket_set_watch(s, on_watch, r);
    g_hash_table_insert(r->fds, GINT_TO_POINTER(f->fd), f);
    return f;
}

static void on_watch(void *data, NsSocket *sock)
{
    Run *r = data;
    (void)sock;
    if (!r->blocked || r->pending.done || r->failed)
        return;
    if (try_call(r, &r->pending)) {
        r->pending.done = true;
        r->pending.at = ns_net_now(r->net);
        ns_sim_stop(ns_net_sim(r->net));
    }
}

static bool check_result(Run *r, const PktEvent *ev, int64_t ret, int err)
{
    if (r->failed)
        return false;
    if (ret == ev->ret && (ret != -1 || err == ev->err))
        return true;
    g_autoptr(GString) got = g_string_new(NULL);
    if (ret == -1)
        g_string_append_printf(got, "-1 %s (%s)", ns_errno_name(err) ? ns_errno_name(err) : "?",
                               g_strerror(err));
    else
        g_string_append_printf(got, "%" G_GINT64_FORMAT, ret);
    if (ev->ret == -1)
        return fail(r, ev, "%s returned %s, expected -1 %s", ev->name, got->str, ev->err_name);
    return fail(r, ev, "%s returned %s, expected %" G_GINT64_FORMAT, ev->name, got->str, ev->ret);
}

/* address and port of a sockaddr argument, or the defaults for `...`
 * (left in *out): {sa_family=AF_INET, sin_port=htons(N),
 * sin_addr=inet_addr("A.B.C.D")} or, as packetdrill writes an IPv6 one,
 * {sa_family=AF_INET6, sin_port=htons(N), sin_addr=inet_addr("2001:db8::1")}
 * (sin6_port, sin6_addr and inet6_addr are taken too). */
static bool sockaddr_of(Run *r, const PktEvent *ev, const PktExpr *e, Addr *out)
{
    if (!e || e->kind == PKT_E_ELLIPSIS)
        return true;
    if (e->kind != PKT_E_STRUCT)
        return fail(r, ev, "%s: expected ... or {sa_family=..., sin_port=htons(N), "
                           "sin_addr=inet_addr(\"ADDRESS\")}",
                    ev->name);
    for (guint i = 0; i < e->sub->len; i++) {
        const PktExpr *f = g_ptr_array_index(e->sub, i);
        if (f->kind != PKT_E_FIELD)
            continue;
        const PktExpr *v = g_ptr_array_index(f->sub, 0);
        if (strcmp(f->str, "sin_port") == 0 || strcmp(f->str, "sin6_port") == 0) {
            int64_t p;
            if (!eval_int(r, ev, v, &p))
                return false;
            out->port = (uint16_t)p;
        } else if (strcmp(f->str, "sin_addr") == 0 || strcmp(f->str, "sin6_addr") == 0) {
            const PktExpr *s = v->kind == PKT_E_CALL && v->sub->len == 1
                                   ? g_ptr_array_index(v->sub, 0)
                                   : NULL;
            uint32_t a[4];
            char extra;
            if (s && s->kind == PKT_E_STRING && strchr(s->str, ':')) {
                if (!ns_ipv6_parse_addr(s->str, &out->a6))
                    return fail(r, ev, "%s: \"%s\" is no IPv6 address", ev->name, s->str);
                out->v6 = true;
                continue;
            }
            if (!s || s->kind != PKT_E_STRING ||
                sscanf(s->str, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &extra) != 4 ||
                a[0] > 255 || a[1] > 255 || a[2] > 255 || a[3] > 255)
                return fail(r, ev, "%s: sin_addr=inet_addr(\"A.B.C.D\") or an IPv6 address "
                                   "expected",
                            ev->name);
            out->v6 = false;
            out->v4 = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
        }
    }
    return true;
}

/* The default address of the peer: packetdrill's remote address, as an
 * IPv4-mapped one on an AF_INET6 socket of an ipv4-mapped-ipv6 script. */
static Addr peer_addr(const Run *r, const Fd *f, uint16_t port)
{
    Addr a = {.v6 = f->v6, .v4 = r->peer4, .port = port};
    if (f->v6 && r->v6) {
        a.a6 = r->peer6;
    } else if (f->v6) {
        a.a6.b[10] = a.a6.b[11] = 0xff;
        ns_write_be32(a.a6.b + 12, r->peer4);
    }
    return a;
}

/* The option a (level, name) pair of Linux's numbers names. */
static bool sockopt_of(int64_t level, int64_t name, NsSockOpt *out)
{
    static const struct {
        int64_t level, name;
        NsSockOpt opt;
    } map[] = {
        {1, 7, NS_SO_SNDBUF},        {1, 8, NS_SO_RCVBUF},          {1, 9, NS_SO_KEEPALIVE},
        {1, 13, NS_SO_LINGER},       {6, 1, NS_SO_TCP_NODELAY},     {6, 2, NS_SO_TCP_MAXSEG},
        {6, 4, NS_SO_TCP_KEEPIDLE},  {6, 5, NS_SO_TCP_KEEPINTVL},   {6, 6, NS_SO_TCP_KEEPCNT},
        {6, 18, NS_SO_TCP_USER_TIMEOUT}, {6, 3, NS_SO_TCP_CORK},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (map[i].level == level && map[i].name == name) {
            *out = map[i].opt;
            return true;
        }
    return false;
}

static const char *sockopt_name(const PktEvent *ev)
{
    const PktExpr *o = arg(ev, 2);
    return o && o->kind == PKT_E_IDENT ? o->str : "(this option)";
}

/* A {name=value, ...} structure's field (either of two names), or NULL. */
static const PktExpr *field(const PktExpr *e, const char *a, const char *b)
{
    if (!e || e->kind != PKT_E_STRUCT)
        return NULL;
    for (guint i = 0; i < e->sub->len; i++) {
        const PktExpr *f = g_ptr_array_index(e->sub, i);
        if (f->kind == PKT_E_FIELD && (strcmp(f->str, a) == 0 || strcmp(f->str, b) == 0))
            return g_ptr_array_index(f->sub, 0);
    }
    return NULL;
}

static bool do_setsockopt(Run *r, const PktEvent *ev, Fd *f, int64_t *ret, int *err)
{
    int64_t level, name, val = 0;
    if (!eval_int(r, ev, arg(ev, 1), &level) || !eval_int(r, ev, arg(ev, 2), &name))
        return false;
    const PktExpr *v = arg(ev, 3);
    *ret = 0;
    *err = 0;
    if (level == 1 && (name == 2 || name == 15))
        return true; /* SO_REUSEADDR / SO_REUSEPORT: one socket per port here anyway */
    if (level == 6 && name == 13) {
        /* TCP_CONGESTION: the host's own is taken (a script run on a kernel
         * whose default is another names it); others are not modelled. */
        const char *cc = ns_tcp_congestion_control(ns_tcp_of(r->stack));
        if (!v || v->kind != PKT_E_STRING)
            return fail(r, ev, "setsockopt TCP_CONGESTION: expected a name in quotes");
        if (strcmp(v->str, cc) != 0)
            return fail(r, ev, "setsockopt TCP_CONGESTION \"%s\": netsim's profile runs %s only",
                        v->str, cc);
        return true;
    }
    NsSockOpt opt;
    if (!sockopt_of(level, name, &opt))
        return fail(r, ev, "setsockopt %s is not modelled by netsim yet", sockopt_name(ev));
    if (opt == NS_SO_LINGER) {
        /* struct linger {l_onoff, l_linger} */
        int64_t on = 0, secs = 0;
        const PktExpr *a = field(v, "onoff", "l_onoff"), *b = field(v, "linger", "l_linger");
        if (!a || !b)
            return fail(r, ev, "setsockopt SO_LINGER: expected {onoff=N, linger=N}");
        if (!eval_int(r, ev, a, &on) || !eval_int(r, ev, b, &secs))
            return false;
        val = on ? (secs < 0 ? 0 : secs) : -1;
    } else if (v && !eval_int(r, ev, v, &val)) {
        return false;
    }
    int e = -ns_socket_setopt(f->sock, opt, val);
    if (e) {
        *ret = -1;
        *err = e;
    }
    return true;
}

static bool do_getsockopt(Run *r, const PktEvent *ev, Fd *f, int64_t *ret, int *err)
{
    int64_t level, name;
    if (!eval_int(r, ev, arg(ev, 1), &level) || !eval_int(r, ev, arg(ev, 2), &name))
        return false;
    *ret = 0;
    *err = 0;
    const PktExpr *v = arg(ev, 3);
    bool check = v && v->kind != PKT_E_ELLIPSIS;
    if (level == 1 && name == 4) {
        int e = ns_socket_take_error(f->sock);
        int64_t want;
        if (check) {
            if (!eval_int(r, ev, v, &want))
                return false;
            if (want != e)
                return fail(r, ev, "getsockopt SO_ERROR gave [%d] (%s), expected [%" G_GINT64_FORMAT
                                   "]",
                            e, e ? ns_errno_name(e) : "no error", want);
        }
        return true;
    }
    if (level == 6 && name == 11) {
        /* TCP_INFO: the fields the script names, in Linux's units */
        NsTcpInfo info;
        int e = -ns_socket_tcp_info(f->sock, &info);
        if (e) {
            *ret = -1;
            *err = e;
            return true;
        }
        if (check && v->kind != PKT_E_STRUCT)
            return fail(r, ev, "getsockopt TCP_INFO: expected ... or {tcpi_NAME=VALUE, ...}");
        for (guint i = 0; check && i < v->sub->len; i++) {
            const PktExpr *fe = g_ptr_array_index(v->sub, i);
            int64_t want;
            double got;
            if (fe->kind != PKT_E_FIELD)
                continue;
            if (!pkt_tcpi_value(&info, fe->str, &got))
                return fail(r, ev, "getsockopt TCP_INFO: %s is not modelled by netsim", fe->str);
            if (!eval_int(r, ev, g_ptr_array_index(fe->sub, 0), &want))
                return false;
            if ((double)want != got)
                return fail(r, ev, "getsockopt TCP_INFO gave %s=%.15g, expected %" G_GINT64_FORMAT,
                            fe->str, got, want);
        }
        return true;
    }
    NsSockOpt opt;
    if (!sockopt_of(level, name, &opt))
        return fail(r, ev, "getsockopt %s is not modelled by netsim yet", sockopt_name(ev));
    int64_t got;
    int e = -ns_socket_getopt(f->sock, opt, &got);
    if (e) {
        *ret = -1;
        *err = e;
        return true;
    }
    if (opt == NS_SO_LINGER) {
        const PktExpr *a = field(v, "onoff", "l_onoff"), *b = field(v, "linger", "l_linger");
        int64_t on, secs;
        if (a && (!eval_int(r, ev, a, &on)))
            return false;
        if (b && (!eval_int(r, ev, b, &secs)))
            return false;
        if ((a && on != (got >= 0)) || (b && secs != (got >= 0 ? got : 0)))
            return fail(r, ev, "getsockopt SO_LINGER gave {onoff=%d, linger=%" G_GINT64_FORMAT
                               "}",
                        got >= 0, got >= 0 ? got : 0);
        return true;
    }
    int64_t want;
    if (check) {
        if (!eval_int(r, ev, v, &want))
            return false;
        if (want != got)
            return fail(r, ev, "getsockopt %s gave [%" G_GINT64_FORMAT "], expected [%" G_GINT64_FORMAT
                               "]",
                        sockopt_name(ev), got, want);
    }
    return true;
}

/* Run a call at `start`: at once, or (blocking) until it returns. */
static bool syscall_start(Run *r, const PktEvent *ev, NsTime start, NsTime end)
{
    const char *n = ev->name;
    int64_t ret = 0;
    int err = 0;
    if (strcmp(n, "socket") == 0) {
        int64_t type;
        /* the domain: `...` is the script's (AF_INET6 but in IPv4
         * scripts, as packetdrill's socket_domain) */
        int64_t domain = r->sock6 ? LX_AF_INET6 : 2;
        const PktExpr *d = arg(ev, 0);
        if (d && d->kind != PKT_E_ELLIPSIS && !eval_int(r, ev, d, &domain))
            return false;
        if (domain != 2 && domain != LX_AF_INET6)
            return fail(r, ev, "socket: only AF_INET and AF_INET6 are modelled");
        if (domain == LX_AF_INET6 && !r->sock6)
            return fail(r, ev, "socket: AF_INET6 in an IPv4 script: netsim runs it as packetdrill "
                               "does, with --ip_version=ipv6 or ipv4-mapped-ipv6");
        if (!eval_int(r, ev, arg(ev, 1), &type))
            return false;
        int e = 0;
        bool stream = (type & 0xf) == 1;
        if ((type & 0xf) != 1 && (type & 0xf) != 2)
            return fail(r, ev, "socket: only SOCK_STREAM and SOCK_DGRAM are modelled");
        NsSocket *s = ns_socket_new(r->stack, stream ? NS_SOCK_TCP : NS_SOCK_UDP, &e);
        if (!s)
            return check_result(r, ev, -1, -e);
        Fd *f = add_fd(r, s, ev->ret);
        f->nonblock = (type & LX_O_NONBLOCK) != 0;
        f->v6 = domain == LX_AF_INET6;
        r->sut = f;
        return check_result(r, ev, f->fd, 0);
    }
    if (strcmp(n, "poll") == 0) {
        r->pending = (Pending){.ev = ev, .start = start};
        if (try_call(r, &r->pending))
            return !r->failed && check_result(r, ev, r->pending.ret, 0);
        int64_t timeout;
        if (!eval_int(r, ev, arg(ev, 2), &timeout))
            return false;
        if (timeout > 0)
            ns_sim_schedule_at(ns_net_sim(r->net), start + NS_MS(timeout), poll_timeout, r, NULL);
        goto block;
    }
    Fd *f = fd_of(r, ev, 0);
    if (!f)
        return !r->failed && check_result(r, ev, -1, EBADF);
    if (strcmp(n, "bind") == 0) {
        /* `...`: port 8080 on every address (:: on an AF_INET6 socket,
         * which takes IPv4 too, as Linux's with bindv6only 0) */
        Addr a = {.v6 = f->v6, .port = SERVER_PORT};
        if (wrong_family(r, f, arg(ev, 1)))
            return check_result(r, ev, -1, EAFNOSUPPORT);
        if (!sockaddr_of(r, ev, arg(ev, 1), &a))
            return false;
        int e;
        if (a.v6) {
            uint32_t v4;
            bool own = ns_ipv6_addr_equal(&a.a6, &r->stack6) ||
                       (ns_ipv6_v4_mapped(&a.a6, &v4) && v4 == r->stack4);
            NsIpv6Addr any = {{0}};
            e = -ns_socket_bind6(f->sock, own ? &a.a6 : &any, a.port);
        } else {
            e = -ns_socket_bind(f->sock, a.v4 == r->stack4 ? a.v4 : 0, a.port);
        }
        return check_result(r, ev, e ? -1 : 0, e);
    }
    if (strcmp(n, "listen") == 0) {
        int64_t backlog;
        if (!eval_int(r, ev, arg(ev, 1), &backlog))
            return false;
        int e = -ns_socket_listen(f->sock, backlog < 0 ? 0 : (uint32_t)backlog);
        if (!e) {
            f->listening = true;
            uint32_t a;
            ns_socket_local(f->sock, &a, &r->lport);
            r->rport = PEER_PORT;
        }
        return check_result(r, ev, e ? -1 : 0, e);
    }
    if (strcmp(n, "connect") == 0) {
        Addr a = peer_addr(r, f, SERVER_PORT);
        if (wrong_family(r, f, arg(ev, 1)))
            return check_result(r, ev, -1, EAFNOSUPPORT);
        if (!sockaddr_of(r, ev, arg(ev, 1), &a))
            return false;
        int st = ns_socket_state(f->sock);
        int e;
        if (st == NS_TCP_STATE_SYN_SENT) {
            e = EALREADY;
        } else {
            e = a.v6 ? -ns_socket_connect6(f->sock, &a.a6, a.port)
                     : -ns_socket_connect(f->sock, a.v4, a.port);
            if (!e && ns_socket_type(f->sock) == NS_SOCK_TCP) {
                uint32_t la;
                ns_socket_local(f->sock, &la, &r->lport);
                r->rport = a.port;
                e = EINPROGRESS;
            }
        }
        if (e == EINPROGRESS && !f->nonblock) {
            r->pending = (Pending){.ev = ev, .fd = f, .start = start};
            goto block;
        }
        return check_result(r, ev, e ? -1 : 0, e);
    }
    if (strcmp(n, "close") == 0) {
        g_hash_table_steal(r->fds, GINT_TO_POINTER(f->fd));
        if (r->sut == f)
            r->sut = NULL;
        int e = -ns_socket_close(f->sock);
        g_free(f);
        return check_result(r, ev, e ? -1 : 0, e);
    }
    if (strcmp(n, "shutdown") == 0) {
        int64_t how;
        if (!eval_int(r, ev, arg(ev, 1), &how))
            return false;
        if (how < 0 || how > 2)
            return check_result(r, ev, -1, EINVAL);
        int e = -ns_socket_shutdown(f->sock, (NsShutHow)(how + 1));
        return check_result(r, ev, e ? -1 : 0, e);
    }
    if (strcmp(n, "fcntl") == 0) {
        int64_t cmd, val = 0;
        if (!eval_int(r, ev, arg(ev, 1), &cmd))
            return false;
        if (cmd == 3)
            return check_result(r, ev, LX_O_RDWR | (f->nonblock ? LX_O_NONBLOCK : 0), 0);
        if (cmd != 4)
            return fail(r, ev, "fcntl: only F_GETFL and F_SETFL are modelled");
        if (!eval_int(r, ev, arg(ev, 2), &val))
            return false;
        f->nonblock = (val & LX_O_NONBLOCK) != 0;
        return check_result(r, ev, 0, 0);
    }
    if (strcmp(n, "setsockopt") == 0)
        return do_setsockopt(r, ev, f, &ret, &err) && check_result(r, ev, ret, err);
    if (strcmp(n, "getsockopt") == 0)
        return do_getsockopt(r, ev, f, &ret, &err) && check_result(r, ev, ret, err);
    if (strcmp(n, "recv") == 0 || strcmp(n, "send") == 0) {
        int64_t flags = 0;
        if (arg(ev, 3) && !eval_int(r, ev, arg(ev, 3), &flags))
            return false;
        if (flags & ~(int64_t)(0x40 | 0x4000 | (n[0] == 'r' ? 2 : 0)))
            return fail(r, ev, "%s: flags other than MSG_DONTWAIT, MSG_NOSIGNAL and (recv) "
                               "MSG_PEEK are not modelled yet",
                        n);
    }
    if (strcmp(n, "sendto") == 0) {
        int64_t flags = 0;
        if (arg(ev, 3) && !eval_int(r, ev, arg(ev, 3), &flags))
            return false;
        if (flags & ~(int64_t)(0x40 | 0x4000))
            return fail(r, ev, "sendto: flags other than MSG_DONTWAIT and MSG_NOSIGNAL are not "
                               "modelled yet");
    }
    if (strcmp(n, "accept") == 0 || strcmp(n, "read") == 0 || strcmp(n, "recv") == 0 ||
        strcmp(n, "recvfrom") == 0 || strcmp(n, "write") == 0 || strcmp(n, "send") == 0 ||
        strcmp(n, "readv") == 0 || strcmp(n, "writev") == 0 || strcmp(n, "sendto") == 0) {
        r->pending = (Pending){.ev = ev, .fd = f, .start = start};
        if (try_call(r, &r->pending)) {
            if (ev->blocking && end > start + r->tol) {
                g_autofree char *a = time_text(start), *w = time_text(end);
                return fail(r, ev, "%s returned at %s, expected at %s (tolerance %" G_GINT64_FORMAT
                                   " us)",
                            n, a, w, r->tol / 1000);
            }
            return check_result(r, ev, r->pending.ret, r->pending.err);
        }
        goto block;
    }
    return fail(r, ev, "the system call %s is not modelled by netsim yet", n);

block:
    r->pending.lo = end;
    r->pending.hi = end;
    r->blocked = true;
    return true;
}

/* Wait for the blocked call to return (at the latest when the script says
 * it must, plus the tolerance). */
static bool finish_blocked(Run *r)
{
    Pending *c = &r->pending;
    NsTime deadline = c->hi + r->tol;
    r->drained = false;
    while (!c->done && !r->failed &&
           (ns_net_now(r->net) < deadline || next_due_by(r, deadline))) {
        run_to(r, deadline);
    }
    r->blocked = false;
    if (r->failed)
        return false;
    if (!c->done) {
        g_autofree char *w = time_text(c->hi);
        return fail(r, c->ev, "%s was expected to return at %s; it was still waiting", c->ev->name,
                    w);
    }
    if (c->at < c->lo - r->tol) {
        g_autofree char *w = time_text(c->lo), *a = time_text(c->at);
        return fail(r, c->ev, "%s returned at %s, expected at %s (tolerance %" G_GINT64_FORMAT
                              " us)",
                    c->ev->name, a, w, r->tol / 1000);
    }
    return check_result(r, c->ev, c->ret, c->err);
}

/* ---------------- shell lines and code blocks ---------------- */

/* One shell command: a sysctl the profile models is applied to the host's
 * TCP; the defaults script of a suite is skipped (the profile is the
 * defaults); anything else fails the script, naming it. */
static bool run_command(Run *r, const PktEvent *ev, const char *cmd)
{
    g_auto(GStrv) argv = NULL;
    if (!g_shell_parse_argv(cmd, NULL, &argv, NULL))
        return fail(r, ev, "shell command `%s` is not run: netsim runs only sysctl settings", cmd);
    if (g_str_has_suffix(argv[0], "defaults.sh") && !argv[1]) {
        /* The defaults script of Google's packetdrill suite: the settings
         * it makes that netsim models (the others, such as ECN off and no
         * Fast Open, are what netsim does anyway). */
        static const char *const defaults[][2] = {
            {"net.ipv4.tcp_rmem", "4096 540000 15728640"},
            {"net.ipv4.tcp_wmem", "4096 262144 4194304"},
            {"net.ipv4.tcp_timestamps", "1"},
            {"net.ipv4.tcp_sack", "1"},
            {"net.ipv4.tcp_syn_retries", "5"},
            {"net.ipv4.tcp_synack_retries", "5"},
            {"net.ipv4.tcp_early_retrans", "4"},
            {"net.ipv4.tcp_recovery", "1"},
        };
        for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++)
            ns_tcp_set_sysctl(ns_tcp_of(r->stack), defaults[i][0], defaults[i][1]);
        return true;
    }
    if (strcmp(argv[0], "sysctl") != 0)
        return fail(r, ev, "shell command `%s` is not run: netsim runs only sysctl settings", cmd);
    bool any = false;
    for (int i = 1; argv[i]; i++) {
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "-w") == 0 || strcmp(argv[i], "-e") == 0)
            continue;
        const char *eq = strchr(argv[i], '=');
        if (!eq)
            return fail(r, ev, "shell command `%s`: netsim applies sysctl NAME=VALUE only", cmd);
        g_autofree char *name = g_strndup(argv[i], (gsize)(eq - argv[i]));
        g_strdelimit(name, "/", '.');
        int e = ns_tcp_set_sysctl(ns_tcp_of(r->stack), name, eq + 1);
        if (e == ENOENT)
            return fail(r, ev, "sysctl %s is not modelled by netsim", name);
        if (e)
            return fail(r, ev, "sysctl %s: netsim cannot take the value '%s'", name, eq + 1);
        any = true;
    }
    if (!any)
        return fail(r, ev, "shell command `%s`: no setting given", cmd);
    return true;
}

static bool run_shell(Run *r, const PktEvent *ev)
{
    g_autofree char *text = g_strdup(ev->text);
    /* commands separated by newlines, ';' or '&&'; a backslash before a
     * newline continues the line, as in the shell */
    for (char *p = text; *p; p++)
        if (p[0] == '\\' && p[1] == '\n')
            p[0] = p[1] = ' ';
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == ';' || (p[0] == '&' && p[1] == '&'))
            *p = '\x1f';
    g_strdelimit(text, "&", '\x1f');
    g_auto(GStrv) cmds = g_strsplit(text, "\x1f", -1);
    for (int i = 0; cmds[i]; i++) {
        g_strstrip(cmds[i]);
        if (*cmds[i] && !run_command(r, ev, cmds[i]))
            return false;
    }
    return true;
}

/* packetdrill reads TCP_INFO of the socket under test (the last one the
 * script opened or accepted) when the block is reached. */
static bool run_code(Run *r, const PktEvent *ev)
{
    NsTcpInfo info;
    bool tcp = r->sut && ns_socket_tcp_info(r->sut->sock, &info) == 0;
    uint32_t line = 0;
    g_autoptr(GString) why = g_string_new(NULL);
    if (pkt_code_eval(ev->text, tcp ? &info : NULL, &line, why))
        return true;
    fail(r, ev, "%s", why->str);
    r->fail_line = ev->line + line;
    return false;
}

/* ---------------- the run ---------------- */

/* --trace: the script's line, before what netsim does for it. An inbound
 * packet or a call is written at its time, once what came before it has
 * run; an outbound line when the runner starts waiting for it, so that
 * what the stack sends meanwhile is printed under it. */
static void echo_line(Run *r, FILE *out, const PktEvent *ev)
{
    const char *text = "";
    guint n = r->pkt->lines ? g_strv_length(r->pkt->lines) : 0;
    if (ev->line >= 1 && ev->line <= n)
        text = r->pkt->lines[ev->line - 1];
    g_autofree char *t = g_strstrip(g_strdup(text));
    fprintf(out, "# %s:%u: %s\n", r->pkt->name, ev->line, t);
}

static void fd_free(gpointer p)
{
    g_free(p);
}

static void seen_free(gpointer p)
{
    g_free(p);
}

void ns_drill_run(const NsPkt *pkt, const NsDrillOpts *opts, NsDrillResult *res)
{
    memset(res, 0, sizeof *res);
    Run r = {.pkt = pkt, .msg = g_string_new(NULL)};
    int64_t tol_us = opts->tolerance_us >= 0   ? opts->tolerance_us
                     : pkt->tolerance_us >= 0 ? pkt->tolerance_us
                                              : 4000;
    r.tol = tol_us * 1000;
    r.max_events = opts->max_events ? opts->max_events : NS_DRILL_MAX_EVENTS;
    g_queue_init(&r.seen);
    r.fds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, fd_free);
    r.ts_map = g_hash_table_new(g_direct_hash, g_direct_equal);
    r.v6 = pkt->ip_version == PKT_IPV6;
    r.sock6 = pkt->ip_version != PKT_IPV4;
    r.stack4 = STACK_ADDR;
    r.peer4 = PEER_ADDR;
    ns_ipv6_parse_addr(STACK_ADDR6, &r.stack6);
    ns_ipv6_parse_addr(PEER_ADDR6, &r.peer6);
    /* --local_ip and --remote_ip: of the script's family on the wire */
    const PktAddr *given[2] = {&pkt->local_ip, &pkt->remote_ip};
    for (int i = 0; i < 2; i++) {
        const PktAddr *a = given[i];
        if (!a->given)
            continue;
        if (a->v6 != r.v6) {
            fail(&r, NULL, "--%s is an IPv%c address, and the script runs over IPv%c (%s)",
                 i ? "remote_ip" : "local_ip", a->v6 ? '6' : '4', r.v6 ? '6' : '4',
                 r.v6 ? "--ip_version=ipv6" : "give --ip_version=ipv6 for IPv6");
            r.fail_line = a->line;
            break;
        }
        if (a->v6)
            *(i ? &r.peer6 : &r.stack6) = a->a6;
        else
            *(i ? &r.peer4 : &r.stack4) = a->v4;
    }
    if (!r.failed && (r.v6 ? ns_ipv6_addr_equal(&r.stack6, &r.peer6) : r.stack4 == r.peer4)) {
        fail(&r, NULL, "--local_ip and --remote_ip are the same address");
        r.fail_line = pkt->remote_ip.line ? pkt->remote_ip.line : pkt->local_ip.line;
    }
    if (r.failed) {
        /* (said above) */
    } else if (pkt->flag_unsupported) {
        fail(&r, NULL, "the flag --%s is not supported", pkt->flag_unsupported);
        r.fail_line = pkt->flag_line;
    }
    r.net = ns_net_new(1, opts->tracer);
    r.stack = ns_net_add_host(r.net, "stack", opts->profile, false);
    r.peer = ns_net_add_host(r.net, "peer", NS_PROFILE_MINIMAL, false);
    ns_net_add_link(r.net, r.stack, r.stack4, r.peer, r.peer4, NULL);
    NsIface *stack_if = ns_host_iface(r.stack, 0), *peer_if = ns_host_iface(r.peer, 0);
    if (r.v6) {
        ns_iface_add_addr6(stack_if, &r.stack6, STACK_PREFIX6);
        ns_iface_add_addr6(peer_if, &r.peer6, PEER_PREFIX6);
    }
    ns_net_start(r.net);
    if (r.v6) {
        /* each end reaches the other on the link (packetdrill's tun
         * device is a point-to-point link too) */
        ns_ip6_set_static_route(ns_ip6_of(r.stack), &r.peer6, 128, stack_if, NULL);
        ns_ip6_set_static_route(ns_ip6_of(r.peer), &r.stack6, 128, peer_if, NULL);
    }
    ns_ip_register_proto(ns_ip_of(r.peer), 6, &peer_tcp_ops, &r);
    ns_ip_register_proto(ns_ip_of(r.peer), 17, &peer_udp_ops, &r);

    NsTime prev = 0;
    for (guint i = 0; i < pkt->events->len && !r.failed; i++) {
        const PktEvent *ev = g_ptr_array_index(pkt->events, i);
        r.cur = ev;
        bool any = ev->tkind == PKT_T_ANY;
        NsTime start = ev->tkind == PKT_T_ABS   ? ev->t_us * 1000
                       : ev->tkind == PKT_T_REL ? prev + ev->t_us * 1000
                                                : ns_net_now(r.net);
        NsTime end = start;
        if (ev->range || ev->blocking)
            /* packetdrill: a relative event's end moves with its start
             * (both from the previous event), whatever its own '+' */
            end = ev->tkind == PKT_T_REL ? prev + ev->end_us * 1000 : ev->end_us * 1000;
        if (start > NS_S(1000000000) || end > NS_S(1000000000)) {
            fail(&r, ev, "the script runs past 1000000000 s");
            break;
        }
        if (end < start) {
            fail(&r, ev, "the end of the time range comes before its start");
            break;
        }
        if (ev->kind == PKT_EV_PACKET && ev->outbound) {
            if (opts->echo)
                echo_line(&r, opts->echo, ev);
            if (!expect_packet(&r, ev, start, end, any))
                break;
            /* packetdrill: what follows an outbound packet is timed from
             * when it was actually sent (within the tolerance), so that
             * lateness does not add up over the script */
            prev = r.last_out;
            continue;
        }
        /* Everything else happens at its time; a blocked call must have
         * returned before the next call. */
        if (r.blocked && ev->kind == PKT_EV_SYSCALL && !finish_blocked(&r))
            break;
        if (start < ns_net_now(r.net) - r.tol && !r.blocked) {
            g_autofree char *a = time_text(start), *b = time_text(ns_net_now(r.net));
            fail(&r, ev, "this event is due at %s, but the script is already at %s", a, b);
            break;
        }
        /* (while a call waits, too: its return does not stop the clock
         * short of this event's time) */
        if (!quiet_until(&r, ev, start))
            break;
        if (opts->echo)
            echo_line(&r, opts->echo, ev);
        switch (ev->kind) {
        case PKT_EV_PACKET:
            inject(&r, ev);
            break;
        case PKT_EV_SYSCALL:
            syscall_start(&r, ev, start, end);
            break;
        case PKT_EV_SHELL:
            run_shell(&r, ev);
            break;
        case PKT_EV_CODE:
            run_code(&r, ev);
            break;
        }
        prev = start;
    }
    if (!r.failed && r.blocked)
        finish_blocked(&r);
    /* As packetdrill, the script ends with its last event: what the stack
     * sends after it (a delayed ACK, say) is not judged. */
    res->events = ns_net_events(r.net);
    res->pass = !r.failed;
    res->line = r.fail_line;
    res->message = r.failed ? g_string_free(g_steal_pointer(&r.msg), FALSE) : NULL;
    if (r.msg)
        g_string_free(r.msg, TRUE);
    /* The sockets the script left open close with the host. */
    g_hash_table_destroy(r.fds);
    ns_net_free(r.net);
    g_queue_clear_full(&r.seen, seen_free);
    g_hash_table_destroy(r.ts_map);
}
