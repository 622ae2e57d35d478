/* UDP (RFC 768; host requirements of RFC 1122 4.1): input demultiplexing,
 * port unreachable for closed ports (RFC 1122 4.1.3.1), output with the
 * pseudo-header checksum, and ICMP errors to connected sockets. */
#include "netsim/udp.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "netsim/ip.h"
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

static const NsIpProtoOps udp_ops = {.name = "udp", .input = udp_input, .error = udp_error};

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

int ns_udp_connect(NsUdpSock *s, uint32_t addr, uint16_t port)
{
    bool was_bound = s->pcb.lport != 0;
    int err = ns_pcb_connect(s->udp->pcbs, &s->pcb, addr, port, NS_PCB_EPHEMERAL_BIND);
    if (err)
        return err;
    s->error = 0;
    if (!was_bound)
        ns_pcb_trace(s->udp->pcbs, &s->pcb, NS_SOCK_OP_BOUND, true);
    ns_pcb_trace(s->udp->pcbs, &s->pcb, NS_SOCK_OP_CONNECTED, false);
    return 0;
}

int ns_udp_take_error(NsUdpSock *s)
{
    int e = s->error;
    s->error = 0;
    return e;
}

int ns_udp_sendto(NsUdpSock *s, const uint8_t *data, size_t len, uint32_t addr, uint16_t port)
{
    if (addr == 0 && port == 0) {
        if (s->pcb.raddr == 0)
            return EDESTADDRREQ;
        if (s->error)
            return ns_udp_take_error(s);
        addr = s->pcb.raddr;
        port = s->pcb.rport;
    }
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
    /* Linux sets DF on UDP (path MTU discovery "want" mode). */
    NsIpTxOpts o = {.df = true};
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
        *addr = p->peer_addr;
    if (port)
        *port = p->peer_port;
    long len = p->len;
    ns_packet_free(p);
    return len;
}

uint32_t ns_udp_queued(const NsUdpSock *s, size_t *bytes)
{
    if (bytes)
        *bytes = s->rx_bytes;
    return s->rx.count;
}

static void trace_drop(NsUdp *u, const NsIpv4Repr *hdr, const NsPacket *seg, NsDropReason why)
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

static void udp_input(void *data, const NsIpv4Repr *hdr, NsPacket *seg)
{
    NsUdp *u = data;
    NsUdpRepr r;
    NsWireResult res = ns_udp_parse(seg->data, seg->len, hdr->src, hdr->dst, &r);
    if (res != NS_WIRE_OK) {
        trace_drop(u, hdr, seg, res == NS_WIRE_BAD_CHECKSUM ? NS_DROP_CHECKSUM : NS_DROP_MALFORMED);
        ns_packet_free(seg);
        return;
    }
    NsPcb *pcb = ns_pcb_lookup(u->pcbs, hdr->dst, r.dst_port, hdr->src, r.src_port);
    if (ns_tracer_wants(u->ctx->tracer, NS_TRACE_RECV)) {
        seg->note = (NsPacketNote){.sock_id = pcb ? pcb->id : 0};
        seg->flags |= NS_PACKET_NOTED;
        ns_ip_trace_recv(u->ip, hdr, seg);
    }
    if (!pcb) {
        trace_drop(u, hdr, seg, NS_DROP_NO_SOCKET);
        /* RFC 1122 4.1.3.1: say so with port unreachable (not for broadcasts). */
        ns_packet_push(seg, hdr->header_len);
        if (hdr->dst != 0xffffffffu)
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
    ns_packet_queue_push(&s->rx, seg);
    s->rx_bytes += len;
    if (s->notify)
        s->notify(s->owner);
}

static void trace_icmp(NsUdp *u, const NsPcb *pcb, NsIcmpEvent what, int err)
{
    NsTracer *tr = u->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_ICMP))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(u->ctx->sim), .kind = NS_TRACE_ICMP,
                       .host = ns_host_name(u->host), .icmp_ev = what, .err = err,
                       .sock_id = pcb->id, .proto = NS_IPPROTO_UDP, .src = pcb->laddr, .sport = pcb->lport,
                       .dst = pcb->raddr, .dport = pcb->rport};
    ns_trace_emit(tr, &ev);
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
    if (!pcb)
        return;
    NsUdpSock *s = sock_of_pcb(pcb);
    if (s->pcb.raddr == 0) {
        trace_icmp(u, pcb, NS_ICMP_EV_IGNORED_UNCONNECTED, err);
        return;
    }
    s->error = err;
    trace_icmp(u, pcb, NS_ICMP_EV_QUEUED, err);
    if (s->notify)
        s->notify(s->owner);
}
