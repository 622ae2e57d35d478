/* UDP (RFC 768; host requirements of RFC 1122 4.1): input demultiplexing,
 * port unreachable for closed ports (RFC 1122 4.1.3.1), output with the
 * pseudo-header checksum, and ICMP errors to connected sockets; over IPv4
 * and IPv6 (RFC 8200 8.1: the checksum mandatory). */
#include "netsim/udp.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/udp.h"
#include "netsim-private/ctx.h"
#include "netsim-private/host.h"
#include "netsim-private/packet.h"
#include "netsim-private/pcb.h"

struct NsUdp {
    NsHost *host;
    NsIp *ip;
    NsCtx *ctx;
    NsPcbTable *pcbs;
};

struct NsUdpSock {
    NsPcb pcb; /* first: sock_of_pcb() finds the socket from it */
    NsUdp *udp;
    NsPacketQueue rx;
    size_t rx_bytes;
    int error;
    NsUdpNotifyFn notify;
    void *owner;
};

/* The socket a pcb of this layer is embedded in (its first member). */
static inline NsUdpSock *sock_of_pcb(NsPcb *pcb)
{
    return (NsUdpSock *)(void *)((char *)pcb - offsetof(NsUdpSock, pcb));
}

static void udp_input(void *data, const NsIpv4Repr *hdr, NsPacket *seg);
static void udp_error(void *data, int err, const NsIpv4Repr *orig, const uint8_t *l4,
                      size_t l4_len);
static void udp_input6(void *data, const NsIpv6Repr *hdr, NsPacket *seg);
static void udp_error6(void *data, int err, uint32_t mtu, const NsIpv6Repr *orig,
                       const uint8_t *l4, size_t l4_len);

static const NsIpProtoOps udp_ops = {.name = "udp", .input = udp_input, .error = udp_error,
                                     .input6 = udp_input6, .error6 = udp_error6};

/* A queued datagram from an IPv6 sender: its address is in the IPv6
 * header still in the buffer in front of the UDP header. */
#define PEER6 0x80

NsUdp *ns_udp_new(NsHost *host)
{
    NsUdp *u = g_new0(NsUdp, 1);
    u->host = host;
    u->ip = ns_ip_of(host);
    u->ctx = ns_host_ctx(host);
    u->pcbs = ns_pcb_table_new(host, NS_IPPROTO_UDP);
    ns_ip_register_proto(u->ip, NS_IPPROTO_UDP, &udp_ops, u);
    ns_host_set_slot(host, NS_HOST_SLOT_UDP, u);
    return u;
}

void ns_udp_free(NsUdp *udp)
{
    if (!udp)
        return;
    ns_pcb_table_free(udp->pcbs);
    g_free(udp);
}

NsUdp *ns_udp_of(const NsHost *host)
{
    return ns_host_slot(host, NS_HOST_SLOT_UDP);
}

NsUdpSock *ns_udp_sock_new(NsUdp *udp, NsUdpNotifyFn notify, void *owner)
{
    NsUdpSock *s = g_new0(NsUdpSock, 1);
    s->udp = udp;
    s->pcb.id = ns_ctx_sock_id(udp->ctx);
    s->notify = notify;
    s->owner = owner;
    return s;
}

void ns_udp_sock_free(NsUdpSock *s)
{
    if (!s)
        return;
    ns_pcb_remove(s->udp->pcbs, &s->pcb);
    ns_packet_queue_clear(&s->rx);
    g_free(s);
}

const NsPcb *ns_udp_sock_pcb(const NsUdpSock *s)
{
    return &s->pcb;
}

int ns_udp_bind(NsUdpSock *s, uint32_t addr, uint16_t port)
{
    int err = ns_pcb_bind(s->udp->pcbs, &s->pcb, addr, port, NS_PCB_EPHEMERAL_BIND);
    if (!err)
        ns_pcb_trace(s->udp->pcbs, &s->pcb, NS_SOCK_OP_BOUND, port == 0);
    return err;
}

int ns_udp_bind6(NsUdpSock *s, const NsIpv6Addr *addr, uint16_t port)
{
    int err = ns_pcb_bind6(s->udp->pcbs, &s->pcb, addr, port, NS_PCB_EPHEMERAL_BIND);
    if (!err)
        ns_pcb_trace(s->udp->pcbs, &s->pcb, NS_SOCK_OP_BOUND, port == 0);
    return err;
}

static int connect_to(NsUdpSock *s, uint32_t addr, const NsIpv6Addr *addr6, uint16_t port)
{
    bool was_bound = s->pcb.lport != 0;
    int err = addr6 ? ns_pcb_connect6(s->udp->pcbs, &s->pcb, addr6, port, NS_PCB_EPHEMERAL_BIND)
                    : ns_pcb_connect(s->udp->pcbs, &s->pcb, addr, port, NS_PCB_EPHEMERAL_BIND);
    if (err)
        return err;
    s->error = 0;
    if (!was_bound)
        ns_pcb_trace(s->udp->pcbs, &s->pcb, NS_SOCK_OP_BOUND, true);
    ns_pcb_trace(s->udp->pcbs, &s->pcb, NS_SOCK_OP_CONNECTED, false);
    return 0;
}

int ns_udp_connect(NsUdpSock *s, uint32_t addr, uint16_t port)
{
    return connect_to(s, addr, NULL, port);
}

int ns_udp_connect6(NsUdpSock *s, const NsIpv6Addr *addr, uint16_t port)
{
    return connect_to(s, 0, addr, port);
}

int ns_udp_take_error(NsUdpSock *s)
{
    int e = s->error;
    s->error = 0;
    return e;
}

static bool connected(const NsUdpSock *s)
{
    return s->pcb.v6 ? s->pcb.rport != 0 : s->pcb.raddr != 0;
}

/* ::ffff:a.b.c.d: its IPv4 address */
/* One datagram over IPv6 from an af6 socket (bound to :: or an IPv6
 * address, or not yet bound). */
static int sendto6(NsUdpSock *s, const uint8_t *data, size_t len, const NsIpv6Addr *addr,
                   uint16_t port)
{
    if (s->pcb.lport && !s->pcb.v6)
        return s->pcb.af6 ? ENETUNREACH : EAFNOSUPPORT; /* bound to IPv4 */
    if (port == 0)
        return EINVAL;
    if (len > 65527)
        return EMSGSIZE;
    if (s->pcb.lport == 0) {
        static const NsIpv6Addr any6;
        int err = ns_udp_bind6(s, &any6, 0);
        if (err)
            return err;
    }
    NsIp6 *ip6 = ns_ip6_of(s->udp->host);
    NsIpv6Addr src = s->pcb.laddr6;
    if (ns_ipv6_is_unspecified(&src) && !ns_ip6_source_for(ip6, addr, &src))
        return ENETUNREACH;
    NsPacket *p = ns_packet_new(s->udp->ctx->pool, NS_PACKET_HEADROOM, NS_UDP_HLEN + len);
    if (len)
        memcpy(p->data + NS_UDP_HLEN, data, len);
    NsUdpRepr r = {.src_port = s->pcb.lport, .dst_port = port,
                   .length = (uint16_t)(NS_UDP_HLEN + len)};
    ns_udp_emit6(&r, &src, addr, p->data, p->len);
    if (ns_tracer_wants(s->udp->ctx->tracer, NS_TRACE_SEND)) {
        p->note = (NsPacketNote){.sock_id = s->pcb.id};
        p->flags |= NS_PACKET_NOTED;
    }
    return ns_ip6_output(ip6, p, &src, addr, NS_IPPROTO_UDP, 0);
}

int ns_udp_sendto6(NsUdpSock *s, const uint8_t *data, size_t len, const NsIpv6Addr *addr,
                   uint16_t port)
{
    uint32_t v4;
    if (s->pcb.lport && !s->pcb.af6)
        return EAFNOSUPPORT;
    s->pcb.af6 = true;
    if (ns_ipv6_v4_mapped(addr, &v4))
        return ns_udp_sendto(s, data, len, v4, port);
    return sendto6(s, data, len, addr, port);
}

int ns_udp_sendto(NsUdpSock *s, const uint8_t *data, size_t len, uint32_t addr, uint16_t port)
{
    if (addr == 0 && port == 0) {
        if (!connected(s))
            return EDESTADDRREQ;
        if (s->error)
            return ns_udp_take_error(s);
        if (s->pcb.v6)
            return sendto6(s, data, len, &s->pcb.raddr6, s->pcb.rport);
        addr = s->pcb.raddr;
        port = s->pcb.rport;
    }
    if (s->pcb.v6 && !ns_ipv6_is_unspecified(&s->pcb.laddr6))
        return ENETUNREACH; /* bound to an IPv6 address */
    if (port == 0)
        return EINVAL;
    if (len > 65507)
        return EMSGSIZE;
    if (s->pcb.lport == 0) {
        int err = ns_udp_bind(s, 0, 0);
        if (err)
            return err;
    }
    uint32_t src = s->pcb.laddr;
    if (src == 0) {
        src = ns_ip_source_for(s->udp->ip, addr);
        if (src == 0)
            return ENETUNREACH;
    }
    NsPacket *p = ns_packet_new(s->udp->ctx->pool, NS_PACKET_HEADROOM, NS_UDP_HLEN + len);
    if (len)
        memcpy(p->data + NS_UDP_HLEN, data, len);
    NsUdpRepr r = {.src_port = s->pcb.lport, .dst_port = port,
                   .length = (uint16_t)(NS_UDP_HLEN + len)};
    ns_udp_emit(&r, src, addr, p->data, p->len);
    /* Linux's UDP sockets default to path MTU discovery's "want" mode:
     * DF on datagrams that fit the MTU, larger ones fragmented. */
    NsIpTxOpts o = {.df = true, .frag_ok = true};
    if (ns_tracer_wants(s->udp->ctx->tracer, NS_TRACE_SEND)) {
        p->note = (NsPacketNote){.sock_id = s->pcb.id};
        p->flags |= NS_PACKET_NOTED;
    }
    return ns_ip_output(s->udp->ip, p, src, addr, NS_IPPROTO_UDP, &o);
}

long ns_udp_recvfrom(NsUdpSock *s, uint8_t *buf, size_t cap, uint32_t *addr, uint16_t *port)
{
    NsPacket *p = ns_packet_queue_pop(&s->rx);
    if (!p) {
        if (s->error)
            return -ns_udp_take_error(s);
        return -EAGAIN;
    }
    s->rx_bytes -= p->len;
    size_t n = p->len < cap ? p->len : cap;
    if (n && buf)
        memcpy(buf, p->data, n);
    if (addr)
        *addr = (p->flags & PEER6) ? 0 : p->peer_addr;
    if (port)
        *port = p->peer_port;
    long len = p->len;
    ns_packet_free(p);
    return len;
}

long ns_udp_recvfrom6(NsUdpSock *s, uint8_t *buf, size_t cap, NsIpv6Addr *addr, uint16_t *port)
{
    NsPacket *p = s->rx.head;
    if (p && addr) {
        if (p->flags & PEER6) {
            memcpy(addr->b, p->data - NS_UDP_HLEN - NS_IPV6_HLEN + 8, 16);
        } else {
            static const NsIpv6Addr map = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}};
            *addr = map;
            addr->b[12] = (uint8_t)(p->peer_addr >> 24);
            addr->b[13] = (uint8_t)(p->peer_addr >> 16);
            addr->b[14] = (uint8_t)(p->peer_addr >> 8);
            addr->b[15] = (uint8_t)p->peer_addr;
        }
    }
    return ns_udp_recvfrom(s, buf, cap, NULL, port);
}

uint32_t ns_udp_queued(const NsUdpSock *s, size_t *bytes)
{
    if (bytes)
        *bytes = s->rx_bytes;
    return s->rx.count;
}

static void trace_drop(NsUdp *u, const NsIpEnds *hdr, const NsPacket *seg, NsDropReason why)
{
    NsTracer *tr = u->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_DROP))
        return;
    const uint8_t *start = seg->data - hdr->header_len;
    NsTraceEvent ev = {.time = ns_sim_now(u->ctx->sim), .kind = NS_TRACE_DROP,
                       .host = ns_host_name(u->host), .drop = why};
    ns_trace_describe_ip(&ev, start, seg->len + hdr->header_len);
    ns_trace_emit(tr, &ev);
}

static void input(NsUdp *u, const NsIpEnds *hdr, NsPacket *seg)
{
    NsUdpRepr r;
    NsWireResult res = hdr->v6 ? ns_udp_parse6(seg->data, seg->len, &hdr->src6, &hdr->dst6, &r)
                               : ns_udp_parse(seg->data, seg->len, hdr->src, hdr->dst, &r);
    if (res != NS_WIRE_OK) {
        trace_drop(u, hdr, seg, res == NS_WIRE_BAD_CHECKSUM ? NS_DROP_CHECKSUM : NS_DROP_MALFORMED);
        ns_packet_free(seg);
        return;
    }
    NsPcb *pcb = ns_pcb_lookup_ends(u->pcbs, hdr, r.dst_port, r.src_port);
    if (ns_tracer_wants(u->ctx->tracer, NS_TRACE_RECV)) {
        seg->note = (NsPacketNote){.sock_id = pcb ? pcb->id : 0};
        seg->flags |= NS_PACKET_NOTED;
        ns_ip_ends_trace_recv(u->pcbs, hdr, seg);
    }
    if (!pcb) {
        trace_drop(u, hdr, seg, NS_DROP_NO_SOCKET);
        /* RFC 1122 4.1.3.1, RFC 4443 3.1: say so with port unreachable
         * (not for broadcasts or multicast). */
        ns_packet_push(seg, hdr->header_len);
        if (hdr->v6) {
            if (!ns_ipv6_is_multicast(&hdr->dst6))
                ns_ip6_send_icmp_error(ns_ip6_of(u->host), NS_ICMP6_DEST_UNREACH,
                                       NS_ICMP6_UNREACH_PORT, 0, seg->data, seg->len);
        } else if (hdr->dst != 0xffffffffu)
            ns_ip_send_icmp_error(u->ip, NS_ICMP_DEST_UNREACH, NS_ICMP_UNREACH_PORT, 0, seg->data,
                                  seg->len);
        ns_packet_free(seg);
        return;
    }
    NsUdpSock *s = sock_of_pcb(pcb);
    size_t len = r.length - NS_UDP_HLEN;
    if (s->rx_bytes + len > NS_UDP_RCVBUF) {
        trace_drop(u, hdr, seg, NS_DROP_RCVBUF_FULL);
        ns_packet_free(seg);
        return;
    }
    ns_packet_pull(seg, NS_UDP_HLEN);
    ns_packet_trim(seg, len);
    seg->peer_addr = hdr->src;
    seg->peer_port = r.src_port;
    if (hdr->v6)
        seg->flags |= PEER6;
    ns_packet_queue_push(&s->rx, seg);
    s->rx_bytes += len;
    if (s->notify)
        s->notify(s->owner);
}

static void udp_input(void *data, const NsIpv4Repr *hdr, NsPacket *seg)
{
    NsIpEnds e = ns_ip_ends4(hdr);
    input(data, &e, seg);
}

static void udp_input6(void *data, const NsIpv6Repr *hdr, NsPacket *seg)
{
    NsIpEnds e = ns_ip_ends6(hdr);
    input(data, &e, seg);
}

static void trace_icmp(NsUdp *u, const NsPcb *pcb, NsIcmpEvent what, int err)
{
    NsTracer *tr = u->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_ICMP))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(u->ctx->sim), .kind = NS_TRACE_ICMP,
                       .host = ns_host_name(u->host), .icmp_ev = what, .err = err,
                       .sock_id = pcb->id, .proto = NS_IPPROTO_UDP};
    ns_pcb_trace_ends(pcb, &ev);
    ns_trace_emit(tr, &ev);
}

/* An ICMP error about one of our datagrams: a connected socket's pending
 * error; an unconnected one ignores it (Linux without IP_RECVERR). */
static void pcb_error(NsUdp *u, NsPcb *pcb, int err)
{
    NsUdpSock *s = sock_of_pcb(pcb);
    if (!connected(s)) {
        trace_icmp(u, pcb, NS_ICMP_EV_IGNORED_UNCONNECTED, err);
        return;
    }
    s->error = err;
    trace_icmp(u, pcb, NS_ICMP_EV_QUEUED, err);
    if (s->notify)
        s->notify(s->owner);
}

static void udp_error(void *data, int err, const NsIpv4Repr *orig, const uint8_t *l4,
                      size_t l4_len)
{
    NsUdp *u = data;
    if (l4_len < 4)
        return;
    uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);
    uint16_t dport = (uint16_t)(l4[2] << 8 | l4[3]);
    NsPcb *pcb = ns_pcb_lookup(u->pcbs, orig->src, sport, orig->dst, dport);
    if (pcb)
        pcb_error(u, pcb, err);
}

static void udp_error6(void *data, int err, uint32_t mtu, const NsIpv6Repr *orig,
                       const uint8_t *l4, size_t l4_len)
{
    (void)mtu; /* UDP leaves the datagram's size to the application */
    NsUdp *u = data;
    if (l4_len < 4)
        return;
    uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);
    uint16_t dport = (uint16_t)(l4[2] << 8 | l4[3]);
    NsPcb *pcb = ns_pcb_lookup6(u->pcbs, &orig->src, sport, &orig->dst, dport);
    if (pcb && pcb->v6)
        pcb_error(u, pcb, err);
}
