/* netsim run --export-pkt: what one TCP socket of a scenario did, written
 * as a packetdrill script from its host's side. The socket's calls (and,
 * for an accepted connection, its listener's) come from the programs'
 * call watcher; the connection's segments from the trace (the datagrams
 * the host sent and received). The peer's segments become inbound lines,
 * the host's own outbound ones, with sequence numbers relative to each
 * side's initial sequence number, as packetdrill writes them. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "drill-private.h"

#include "netsim/drill.h"
#include "netsim/host.h"
#include "netsim/socket.h"
#include "netsim/tcp.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/tcp.h"

typedef enum { ENT_CALL, ENT_SEG, ENT_ICMP } EntKind;

typedef struct {
    EntKind kind;
    NsTime t;     /* when it happened (a call: when it returned) */
    /* a call */
    NsTime start; /* when it was made */
    uint32_t step;
    int err;
    uint64_t bytes;
    bool eof, done; /* done: returned (a blocking call waits with done false) */
    /* a segment */
    bool out;
    NsIpv6Addr src, dst; /* IPv4 ones mapped (::ffff:a.b.c.d) */
    NsTcpRepr h;
    uint32_t len; /* payload bytes */
    bool held;    /* sent late: a targeted fault held it back */
    /* an ICMP error about a segment (src, dst, h: the quoted segment's
     * addresses, ports and sequence number; len: its payload, as far as
     * the quote tells) */
    uint8_t icmp_type, icmp_code;
    uint32_t icmp_mtu;
    bool icmp6; /* an ICMPv6 message */
} Ent;

struct NsPktExport {
    const NsScenario *scn;
    NsWorld *world;
    uint32_t sock;     /* the scenario socket exported */
    uint32_t listener; /* its listener when accepted, else UINT32_MAX */
    uint32_t host;
    const char *host_name;
    GArray *ents;      /* Ent, in the order they happened */
    /* the connection's 4-tuple, once connect or accept gave it */
    bool have_tuple;
    NsIpv6Addr laddr, raddr; /* IPv4 ones mapped */
    uint16_t lport, rport;
    uint64_t segs_seen; /* segments of the host kept (bounded) */
    bool too_many;
    bool v6; /* the connection runs over IPv6 (its peer is no IPv4-mapped address) */
};

/* Segments kept at most: past it the export fails with a message. */
#define EXPORT_MAX_ENTS 1000000u

/* An ICMP error the host received about one of its TCP segments. */
static void icmp_received(NsPktExport *x, const NsTraceEvent *ev, const NsIpv4Repr *ip)
{
    const uint8_t *m = ev->bytes + ip->header_len;
    size_t n = (size_t)ip->total_len - ip->header_len;
    NsIcmpRepr ic;
    NsIpv4Repr q;
    size_t off;
    if (ns_icmp_parse(m, n, &ic) != NS_WIRE_OK ||
        (ic.type != NS_ICMP_DEST_UNREACH && ic.type != NS_ICMP_TIME_EXCEEDED) ||
        ns_icmp_quote_parse(m + NS_ICMP_HLEN, n - NS_ICMP_HLEN, &q, &off) != NS_WIRE_OK ||
        q.proto != NS_IPPROTO_TCP)
        return;
    const uint8_t *l4 = m + NS_ICMP_HLEN + off;
    size_t l4_len = n - NS_ICMP_HLEN - off;
    Ent e = {.kind = ENT_ICMP, .t = ev->time, .src = ns_ipv6_map_v4(q.src), .dst = ns_ipv6_map_v4(q.dst),
             .icmp_type = (uint8_t)ic.type, .icmp_code = ic.code, .icmp_mtu = ic.mtu};
    e.h.src_port = ns_read_be16(l4);
    e.h.dst_port = ns_read_be16(l4 + 2);
    e.h.seq = ns_read_be32(l4 + 4);
    /* the payload's length, when the quote reaches the data offset */
    if (l4_len > 12) {
        uint32_t thl = (uint32_t)(l4[12] >> 4) * 4;
        uint32_t room = (uint32_t)q.total_len - q.header_len;
        e.len = room > thl ? room - thl : 0;
    }
    e.out = true; /* (the quoted segment went out: ours() reads it so) */
    g_array_append_val(x->ents, e);
}

/* An ICMPv6 error (RFC 4443: unreachable, packet too big, time exceeded)
 * the host received about one of its TCP segments: the quote is the
 * IPv6 header and as much of the segment as fitted. */
static void icmp6_received(NsPktExport *x, const NsTraceEvent *ev, const NsIpv6Repr *ip)
{
    const uint8_t *m = ev->bytes + NS_IPV6_HLEN;
    size_t n = ip->payload_len;
    NsIcmp6Repr ic;
    if (ns_icmp6_parse(m, n, &ip->src, &ip->dst, &ic) != NS_WIRE_OK ||
        (ic.type != NS_ICMP6_DEST_UNREACH && ic.type != NS_ICMP6_PACKET_TOO_BIG &&
         ic.type != NS_ICMP6_TIME_EXCEEDED) ||
        n < NS_ICMP6_HLEN + NS_IPV6_HLEN + 8)
        return;
    const uint8_t *q = m + NS_ICMP6_HLEN;
    if (q[0] >> 4 != 6 || q[6] != NS_IPPROTO_TCP)
        return; /* (extension headers are not modelled) */
    const uint8_t *l4 = q + NS_IPV6_HLEN;
    size_t l4_len = n - NS_ICMP6_HLEN - NS_IPV6_HLEN;
    Ent e = {.kind = ENT_ICMP, .t = ev->time, .icmp_type = (uint8_t)ic.type,
             .icmp_code = ic.code, .icmp_mtu = ic.mtu, .icmp6 = true, .out = true};
    memcpy(e.src.b, q + 8, 16);
    memcpy(e.dst.b, q + 24, 16);
    e.h.src_port = ns_read_be16(l4);
    e.h.dst_port = ns_read_be16(l4 + 2);
    e.h.seq = ns_read_be32(l4 + 4);
    if (l4_len > 12) {
        uint32_t thl = (uint32_t)(l4[12] >> 4) * 4;
        uint32_t room = ns_read_be16(q + 4);
        e.len = room > thl ? room - thl : 0;
    }
    g_array_append_val(x->ents, e);
}

/* A datagram over IPv6: its TCP segment, or an ICMPv6 error about one. */
static void sink_write6(NsPktExport *x, const NsTraceEvent *ev)
{
    NsIpv6Repr ip;
    if (ns_ipv6_parse(ev->bytes, ev->bytes_len, &ip) != NS_WIRE_OK)
        return;
    if (ip.next_header == NS_IPPROTO_ICMPV6) {
        if (ev->kind == NS_TRACE_RECV && x->ents->len < EXPORT_MAX_ENTS)
            icmp6_received(x, ev, &ip);
        return;
    }
    if (ip.next_header != NS_IPPROTO_TCP ||
        (ev->kind == NS_TRACE_SEND && ev->fault == NS_FAULT_DUPLICATE))
        return;
    Ent e = {.kind = ENT_SEG, .t = ev->time, .out = ev->kind == NS_TRACE_SEND, .src = ip.src,
             .dst = ip.dst, .held = ev->kind == NS_TRACE_SEND && ev->fault == NS_FAULT_DELAY};
    if (ns_tcp_parse_verified(ev->bytes + NS_IPV6_HLEN, ip.payload_len, &e.h) != NS_WIRE_OK)
        return;
    e.len = (uint32_t)(ip.payload_len - e.h.header_len);
    if (x->ents->len >= EXPORT_MAX_ENTS) {
        x->too_many = true;
        return;
    }
    g_array_append_val(x->ents, e);
}

static void sink_write(void *self, const NsTraceEvent *ev)
{
    NsPktExport *x = self;
    if (!ev->host || strcmp(ev->host, x->host_name) != 0 || !ev->bytes ||
        (ev->proto != NS_IPPROTO_TCP && ev->proto != NS_IPPROTO_ICMP &&
         ev->proto != NS_IPPROTO_ICMPV6))
        return;
    if (ev->bytes_len >= 1 && ev->bytes[0] >> 4 == 6) {
        sink_write6(x, ev);
        return;
    }
    NsIpv4Repr ip;
    if (ns_ipv4_parse_header(ev->bytes, ev->bytes_len, &ip) != NS_WIRE_OK ||
        ip.total_len > ev->bytes_len || ip.total_len < ip.header_len || ip.frag_offset || ip.mf)
        return;
    if (ip.proto == NS_IPPROTO_ICMP) {
        if (ev->kind == NS_TRACE_RECV && x->ents->len < EXPORT_MAX_ENTS)
            icmp_received(x, ev, &ip);
        return;
    }
    /* a targeted fault's copy is the network's doing, not the stack's; a
     * datagram it held back is traced when released, not when the stack
     * sent it (the script cannot be exact: said when it is written) */
    if (ev->kind == NS_TRACE_SEND && ev->fault == NS_FAULT_DUPLICATE)
        return;
    Ent e = {.kind = ENT_SEG, .t = ev->time, .out = ev->kind == NS_TRACE_SEND,
             .src = ns_ipv6_map_v4(ip.src), .dst = ns_ipv6_map_v4(ip.dst),
             .held = ev->kind == NS_TRACE_SEND && ev->fault == NS_FAULT_DELAY};
    if (ns_tcp_parse_verified(ev->bytes + ip.header_len, (size_t)ip.total_len - ip.header_len,
                              &e.h) != NS_WIRE_OK)
        return;
    e.len = (uint32_t)(ip.total_len - ip.header_len - e.h.header_len);
    if (x->ents->len >= EXPORT_MAX_ENTS) {
        x->too_many = true;
        return;
    }
    g_array_append_val(x->ents, e);
}

static const NsTraceSinkOps export_sink_ops = {.name = "export-pkt", .write = sink_write};

static void note_tuple(NsPktExport *x, NsSocket *s)
{
    if (!s || x->have_tuple)
        return;
    uint32_t v4;
    ns_socket_local6(s, &x->laddr, &x->lport);
    ns_socket_peer6(s, &x->raddr, &x->rport);
    x->v6 = ns_socket_is_v6(s) && !ns_ipv6_v4_mapped(&x->raddr, &v4);
    x->have_tuple = x->rport != 0;
}

/* A call's line goes where it was tried, before the segments it caused:
 * its entry is put down when it is tried and filled in when it returns. A
 * recv's every try gets one (the tries that got bytes become reads); the
 * other calls only their first (a blocking call is one line). */
static void on_call(const NsWorldSockCall *c, void *data)
{
    NsPktExport *x = data;
    const NsScnStep *st = ns_scn_step(x->scn, c->step);
    uint32_t s = ns_scn_step_socket(st);
    if (s != x->sock && s != x->listener)
        return;
    if (st->verb.sock == NS_SCN_SOCK_VERB_ACCEPT && st->u.accept.new_sock != x->sock)
        return; /* another connection of the listener */
    NsTime now = ns_world_now(x->world);
    bool recv = st->verb.sock == NS_SCN_SOCK_VERB_RECV;
    if (c->phase == NS_WORLD_CALL_TRY) {
        if (c->retry && !recv)
            return;
        if (x->ents->len >= EXPORT_MAX_ENTS) {
            x->too_many = true;
            return;
        }
        Ent e = {.kind = ENT_CALL, .t = now, .start = c->start, .step = c->step};
        g_array_append_val(x->ents, e);
        return;
    }
    if (st->verb.sock == NS_SCN_SOCK_VERB_CONNECT && c->sock)
        note_tuple(x, c->sock);
    if (st->verb.sock == NS_SCN_SOCK_VERB_ACCEPT && c->accepted)
        note_tuple(x, c->accepted);
    for (guint i = x->ents->len; i-- > 0;) {
        Ent *e = &g_array_index(x->ents, Ent, i);
        if (e->kind == ENT_CALL && !e->done && e->step == c->step) {
            *e = (Ent){.kind = ENT_CALL, .t = now, .start = recv ? e->t : c->start,
                       .step = c->step, .err = c->err, .bytes = c->bytes, .eof = c->eof,
                       .done = true};
            return;
        }
    }
}

bool ns_pkt_export_find(const NsScenario *scn, const char *spec, uint32_t *sock, GError **error)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX,
                    "--export-pkt takes HOST:SOCKET (a socket as the scenario names it, "
                    "e.g. cli:S), not '%s'",
                    spec);
        return false;
    }
    g_autofree char *host = g_strndup(spec, (gsize)(colon - spec));
    bool host_found = false;
    for (guint i = 0; i < scn->sockets->len; i++) {
        const NsScnSocket *s = ns_scn_socket(scn, i);
        if (strcmp(ns_scn_host(scn, s->host)->name, host) != 0)
            continue;
        host_found = true;
        if (strcmp(s->name, colon + 1) != 0)
            continue;
        if (s->proto != NS_SCN_PROTO_TCP) {
            g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX,
                        "--export-pkt %s: a UDP socket; only a TCP connection is exported", spec);
            return false;
        }
        *sock = i;
        return true;
    }
    bool is_host = host_found;
    for (guint i = 0; !is_host && i < scn->hosts->len; i++)
        is_host = strcmp(ns_scn_host(scn, i)->name, host) == 0;
    g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX,
                is_host ? "--export-pkt %s: host %s creates no socket named %s"
                        : "--export-pkt %s: no host is named %s%.0s",
                spec, host, colon + 1);
    return false;
}

NsPktExport *ns_pkt_export_new(NsWorld *world, const NsScenario *scn, uint32_t sock,
                               NsTracer *tracer)
{
    NsPktExport *x = g_new0(NsPktExport, 1);
    x->scn = scn;
    x->world = world;
    x->sock = sock;
    x->listener = UINT32_MAX;
    const NsScnSocket *s = ns_scn_socket(scn, sock);
    x->host = s->host;
    x->host_name = ns_scn_host(scn, s->host)->name;
    const NsScnStep *made = ns_scn_step(scn, s->step);
    if (made->kind == NS_SCN_STEP_SOCKET && made->verb.sock == NS_SCN_SOCK_VERB_ACCEPT)
        x->listener = made->u.accept.sock;
    x->ents = g_array_new(FALSE, FALSE, sizeof(Ent));
    /* the tracer owns the sink's entry, not x: its free does nothing */
    ns_tracer_add_sink(tracer, &export_sink_ops, x,
                       NS_TRACE_MASK(NS_TRACE_SEND) | NS_TRACE_MASK(NS_TRACE_RECV));
    ns_world_watch_calls(world, on_call, x);
    return x;
}

void ns_pkt_export_free(NsPktExport *x)
{
    if (!x)
        return;
    g_array_free(x->ents, TRUE);
    g_free(x);
}

/* ---------------- writing the script ---------------- */

/* packetdrill's times are microseconds: "+0.040000", "0.040000" */
static void time_text(GString *s, const char *sign, NsTime t)
{
    int64_t us = t / 1000;
    g_string_append_printf(s, "%s%" PRId64 ".%06" PRId64, sign, us / 1000000, us % 1000000);
}

static void flags_text(GString *s, uint8_t f)
{
    if (f & NS_TCP_SYN)
        g_string_append_c(s, 'S');
    if (f & NS_TCP_FIN)
        g_string_append_c(s, 'F');
    if (f & NS_TCP_RST)
        g_string_append_c(s, 'R');
    if (f & NS_TCP_PSH)
        g_string_append_c(s, 'P');
    if (f & NS_TCP_URG)
        g_string_append_c(s, 'U');
    if (f & NS_TCP_ECE)
        g_string_append_c(s, 'E');
    if (f & NS_TCP_CWR)
        g_string_append_c(s, 'W');
    if (f & NS_TCP_ACK)
        g_string_append_c(s, '.');
}

/* The options in wire order; SACK blocks relative to the ISN of the side
 * whose data they cover (sack_base). */
static void opts_text(GString *s, const NsTcpRepr *h, uint32_t sack_base)
{
    if (!h->n_opts)
        return;
    PktOpt o[NS_TCP_MAX_OPTS];
    uint8_t n = pkt_opts_of(h, o);
    g_string_append(s, " <");
    for (uint8_t i = 0; i < n; i++) {
        if (i)
            g_string_append_c(s, ',');
        for (uint8_t k = 0; k < o[i].n_sack; k++) {
            o[i].sack[k].left -= sack_base;
            o[i].sack[k].right -= sack_base;
        }
        pkt_opt_text(s, &o[i]);
    }
    g_string_append_c(s, '>');
}

/* Times are written relative to the previous line's (`+0.010000`), as
 * packetdrill's scripts do: on a real kernel, the time the sysctls take
 * and small delays do not add up. A blocking call is written
 * `+START...END`, both from the previous line; the line after it is
 * timed from its start. */
typedef struct {
    NsPktExport *x;
    GString *s;
    int fd_listener, fd_sock;
    int next_fd;
    NsTime prev;
} Writer;

static void when(Writer *wr, NsTime t)
{
    time_text(wr->s, "+", t - wr->prev);
    wr->prev = t;
}

static int fd_of(Writer *wr, uint32_t sock)
{
    return sock == wr->x->sock ? wr->fd_sock : wr->fd_listener;
}

static void result_text(GString *s, int err, int64_t ret)
{
    if (!err) {
        g_string_append_printf(s, " = %" PRId64 "\n", ret);
        return;
    }
    const char *name = ns_errno_name(err);
    g_string_append_printf(s, " = -1 %s (%s)\n", name ? name : "EIO", g_strerror(err));
}

static void sockopt_text(GString *s, int fd, const NsScnStep *st)
{
    int64_t v = st->u.sockopt.value;
    const char *level = "SOL_TCP", *name = "TCP_NODELAY";
    switch (st->u.sockopt.opt) {
    case NS_SCN_SOCKOPT_NODELAY:
        break;
    case NS_SCN_SOCKOPT_RCVBUF:
        level = "SOL_SOCKET", name = "SO_RCVBUF";
        break;
    case NS_SCN_SOCKOPT_SNDBUF:
        level = "SOL_SOCKET", name = "SO_SNDBUF";
        break;
    case NS_SCN_SOCKOPT_KEEPALIVE:
        level = "SOL_SOCKET", name = "SO_KEEPALIVE";
        break;
    case NS_SCN_SOCKOPT_KEEPIDLE:
        name = "TCP_KEEPIDLE", v /= NS_S(1);
        break;
    case NS_SCN_SOCKOPT_KEEPINTVL:
        name = "TCP_KEEPINTVL", v /= NS_S(1);
        break;
    case NS_SCN_SOCKOPT_KEEPCNT:
        name = "TCP_KEEPCNT";
        break;
    case NS_SCN_SOCKOPT_MAXSEG:
        name = "TCP_MAXSEG";
        break;
    case NS_SCN_SOCKOPT_USER_TIMEOUT:
        name = "TCP_USER_TIMEOUT", v /= NS_MS(1);
        break;
    case NS_SCN_SOCKOPT_CORK:
        name = "TCP_CORK";
        break;
    case NS_SCN_SOCKOPT_LINGER:
        g_string_append_printf(s, "setsockopt(%d, SOL_SOCKET, SO_LINGER, {onoff=%d, linger=%" PRId64
                                  "}, 8)",
                               fd, v >= 0, v >= 0 ? v / NS_S(1) : 0);
        return;
    }
    g_string_append_printf(s, "setsockopt(%d, %s, %s, [%" PRId64 "], 4)", fd, level, name, v);
}

static void write_call(Writer *wr, const Ent *e)
{
    NsPktExport *x = wr->x;
    const NsScnStep *st = ns_scn_step(x->scn, e->step);
    GString *s = wr->s;
    uint32_t sock = ns_scn_step_socket(st);
    if (st->verb.sock == NS_SCN_SOCK_VERB_RECV) {
        /* each read as it returned with bytes; then the end of the stream */
        if (!e->err && e->bytes) {
            when(wr, e->t);
            g_string_append_printf(s, " read(%d, ..., %" PRIu64 ") = %" PRIu64 "\n",
                                   fd_of(wr, sock), e->bytes, e->bytes);
        }
        if (e->err || e->eof) {
            when(wr, e->t);
            g_string_append_printf(s, " read(%d, ..., 1000)", fd_of(wr, sock));
            result_text(s, e->err, 0);
        }
        return;
    }
    NsTime from = wr->prev;
    when(wr, e->start);
    if (e->t > e->start) {
        g_string_append(s, "...");
        time_text(s, "", e->t - from);
    }
    g_string_append_c(s, ' ');
    int fd = fd_of(wr, sock);
    int64_t ret = 0;
    switch (st->verb.sock) {
    case NS_SCN_SOCK_VERB_SOCKET:
        fd = wr->next_fd++;
        if (sock == x->sock)
            wr->fd_sock = fd;
        else
            wr->fd_listener = fd;
        g_string_append(s, "socket(..., SOCK_STREAM, IPPROTO_TCP)");
        ret = fd;
        break;
    case NS_SCN_SOCK_VERB_BIND:
        g_string_append_printf(s, "bind(%d, ..., ...)", fd);
        break;
    case NS_SCN_SOCK_VERB_LISTEN:
        g_string_append_printf(s, "listen(%d, %u)", fd, st->u.listen.backlog);
        break;
    case NS_SCN_SOCK_VERB_ACCEPT:
        wr->fd_sock = wr->next_fd++;
        g_string_append_printf(s, "accept(%d, ..., ...)", fd);
        ret = wr->fd_sock;
        break;
    case NS_SCN_SOCK_VERB_CONNECT:
        g_string_append_printf(s, "connect(%d, ..., ...)", fd);
        break;
    case NS_SCN_SOCK_VERB_SEND:
        g_string_append_printf(s, "write(%d, ..., %" PRIu64 ")", fd, st->u.send.payload.len);
        ret = (int64_t)e->bytes;
        break;
    case NS_SCN_SOCK_VERB_SHUTDOWN: {
        static const char *const how[] = {"SHUT_RD", "SHUT_WR", "SHUT_RDWR"};
        g_string_append_printf(s, "shutdown(%d, %s)", fd, how[st->u.shutdown.how]);
        break;
    }
    case NS_SCN_SOCK_VERB_CLOSE:
        g_string_append_printf(s, "close(%d)", fd);
        break;
    case NS_SCN_SOCK_VERB_SETSOCKOPT:
        sockopt_text(s, fd, st);
        break;
    case NS_SCN_SOCK_VERB_RECV:
    case NS_SCN_SOCK_VERB_SENDTO:
    case NS_SCN_SOCK_VERB_RECVFROM:
        g_string_append(s, "// (a UDP call)");
        break;
    }
    result_text(s, e->err, e->err ? -1 : ret);
}

static bool ours(const NsPktExport *x, const Ent *e)
{
    if (e->out)
        return ns_ipv6_addr_equal(&e->src, &x->laddr) && e->h.src_port == x->lport &&
               ns_ipv6_addr_equal(&e->dst, &x->raddr) && e->h.dst_port == x->rport;
    return ns_ipv6_addr_equal(&e->src, &x->raddr) && e->h.src_port == x->rport &&
           ns_ipv6_addr_equal(&e->dst, &x->laddr) && e->h.dst_port == x->lport;
}

static void profile_sysctl(const char *name, const char *value, void *data)
{
    g_string_append_printf(data, " \\\n    %s=%s", name, value);
}

char *ns_pkt_export_script(NsPktExport *x, const char *scenario, GError **error)
{
    const NsScnSocket *so = ns_scn_socket(x->scn, x->sock);
    if (x->too_many) {
        g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_LIMIT,
                    "--export-pkt %s:%s: more than %u segments and calls; a script that long "
                    "is not exported",
                    x->host_name, so->name, EXPORT_MAX_ENTS);
        return NULL;
    }
    if (!x->have_tuple) {
        for (guint i = 0; i < x->scn->steps->len; i++) {
            const NsScnStep *st = ns_scn_step(x->scn, i);
            if (st->kind == NS_SCN_STEP_SOCKET && st->verb.sock == NS_SCN_SOCK_VERB_ACCEPT &&
                st->u.accept.sock == x->sock) {
                g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX,
                            "--export-pkt %s:%s: a listening socket; export a connection it "
                            "accepts (%s:%s)",
                            x->host_name, so->name, x->host_name,
                            ns_scn_socket(x->scn, st->u.accept.new_sock)->name);
                return NULL;
            }
        }
        g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX,
                    "--export-pkt %s:%s: the socket never had a connection (it never connected "
                    "nor was accepted) in this run",
                    x->host_name, so->name);
        return NULL;
    }
    /* the ISNs: from each side's SYN */
    uint32_t iss = 0, irs = 0;
    bool have_iss = false, have_irs = false;
    NsTime t0 = -1;
    for (guint i = 0; i < x->ents->len; i++) {
        const Ent *e = &g_array_index(x->ents, Ent, i);
        if (e->kind == ENT_CALL && t0 < 0)
            t0 = e->start;
        if (e->kind != ENT_SEG || !ours(x, e))
            continue;
        if (e->held) {
            g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX,
                        "--export-pkt %s:%s: a targeted fault held back one of its segments "
                        "(at %" PRId64 ".%06" PRId64 " s), and the trace has only when it "
                        "left: the script would not say when the stack sent it",
                        x->host_name, so->name, e->t / NS_S(1), e->t % NS_S(1) / 1000);
            return NULL;
        }
        if (e->out && !have_iss && (e->h.flags & NS_TCP_SYN))
            iss = e->h.seq, have_iss = true;
        if (!e->out && !have_irs && (e->h.flags & NS_TCP_SYN))
            irs = e->h.seq, have_irs = true;
        if (!e->out && !have_irs && (e->h.flags & NS_TCP_RST))
            irs = e->h.seq, have_irs = true; /* a refusal: its own seq is the peer's 0 */
    }
    if (t0 < 0)
        t0 = 0;
    NsHost *host = ns_world_host(x->world, x->host);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s,
                           "// Exported by netsim from %s (netsim run --export-pkt %s:%s): what\n"
                           "// socket %s of host %s did, from %s's side: its calls, the peer's\n"
                           "// segments injected (<) and its own expected (>). Times from its\n"
                           "// first call; sequence numbers relative to each side's ISN.\n"
                           "// Run it with: netsim drill --profile %s FILE.pkt\n"
                           "// (and packetdrill FILE.pkt on Linux, for the linux profile).\n",
                           scenario, x->host_name, so->name, so->name, x->host_name,
                           x->host_name, ns_profile_name(ns_host_profile(host)));
    if (x->v6)
        g_string_append(s, "\n// The connection runs over IPv6, between packetdrill's addresses.\n"
                           "--ip_version=ipv6\n");
    g_string_append(s, "\n// The profile's settings, as Linux's sysctls.\n");
    g_string_append(s, "0 `sysctl -q");
    ns_tcp_foreach_sysctl(ns_tcp_of(host), profile_sysctl, s);
    g_string_append(s, "`\n\n");
    Writer wr = {.x = x, .s = s, .fd_listener = -1, .fd_sock = -1, .next_fd = 3, .prev = t0};
    for (guint i = 0; i < x->ents->len; i++) {
        const Ent *e = &g_array_index(x->ents, Ent, i);
        if (e->kind == ENT_CALL) {
            if (e->done)
                write_call(&wr, e);
            continue;
        }
        if (!ours(x, e) || e->t < t0)
            continue;
        if (e->kind == ENT_ICMP) {
            const char *type = pkt_icmp_type_name(e->icmp6, e->icmp_type);
            const char *code = pkt_icmp_code_name(e->icmp6, e->icmp_type, e->icmp_code);
            uint32_t rel = e->h.seq - iss;
            when(&wr, e->t);
            g_string_append(s, " < icmp ");
            if (type)
                g_string_append(s, type);
            else
                g_string_append_printf(s, "type_%u", e->icmp_type);
            if (code)
                g_string_append_printf(s, " %s", code);
            else if (e->icmp_code)
                g_string_append_printf(s, " code_%u", e->icmp_code);
            if (e->icmp_mtu &&
                (e->icmp6 ? e->icmp_type == NS_ICMP6_PACKET_TOO_BIG && e->icmp_code == 0
                          : e->icmp_type == NS_ICMP_DEST_UNREACH &&
                                e->icmp_code == NS_ICMP_UNREACH_FRAG_NEEDED))
                g_string_append_printf(s, " mtu %u", e->icmp_mtu);
            g_string_append_printf(s, " [%u:%u(%u)]\n", rel, rel + e->len, e->len);
            continue;
        }
        const NsTcpRepr *h = &e->h;
        uint32_t own = e->out ? iss : irs, other = e->out ? irs : iss;
        uint32_t rel = h->seq - own;
        when(&wr, e->t);
        g_string_append(s, e->out ? " > " : " < ");
        flags_text(s, h->flags);
        g_string_append_printf(s, " %u:%u(%u)", rel, rel + e->len, e->len);
        if (h->flags & NS_TCP_ACK)
            g_string_append_printf(s, " ack %u", h->ack - other);
        g_string_append_printf(s, " win %u", h->window);
        opts_text(s, h, other);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}
