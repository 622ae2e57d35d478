/* NAT as Linux's nf_nat does it, on top of connection tracking: a flow's
 * translation is decided at its first datagram (port forwards at
 * PREROUTING, masquerade at POSTROUTING) and stored as its reply tuple;
 * every later datagram of the flow, either way, is rewritten so that it
 * leaves as the inverse of the other direction's tuple. Checksums are
 * patched incrementally (RFC 1624); an ICMP error about a translated flow
 * gets its outer destination and its quoted header translated back
 * (RFC 5508 section 4). */
#include "netfilter-private.h"

#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim-private/packet.h"

/* ---- configuration ---- */

void ns_nf_masquerade(NsNetfilter *nf, uint32_t addr)
{
    g_array_append_val(nf->masq, addr);
}

void ns_nf_forward(NsNetfilter *nf, uint8_t proto, uint32_t addr, uint16_t port,
                   uint32_t to_addr, uint16_t to_port)
{
    NfForward f = {proto, addr, to_addr, port, to_port};
    g_array_append_val(nf->forwards, f);
}

/* ---- rewriting ---- */

/* RFC 1624 equation 3: HC' = ~(~HC + ~m + m'). */
static void csum_replace16(uint8_t *field, uint16_t old, uint16_t new)
{
    uint32_t sum = (uint16_t)~ns_read_be16(field);
    sum += (uint16_t)~old;
    sum += new;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ns_write_be16(field, (uint16_t)~sum);
}

static void csum_replace32(uint8_t *field, uint32_t old, uint32_t new)
{
    csum_replace16(field, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
    csum_replace16(field, (uint16_t)old, (uint16_t)new);
}

/* Replace the source (src_side) or destination address and port of the
 * datagram at d[0..len), patching the IP header checksum and the
 * transport's (when it lies within len: a quoted datagram may be cut).
 * For ICMP echo the "port" is the id. */
static void rewrite(uint8_t *d, size_t len, bool src_side, uint32_t addr, uint16_t port)
{
    uint8_t hl = (uint8_t)((d[0] & 0x0f) * 4);
    uint8_t proto = d[9];
    uint8_t *a = d + (src_side ? 12 : 16);
    uint32_t old_addr = ns_read_be32(a);
    ns_write_be32(a, addr);
    csum_replace32(d + 10, old_addr, addr);
    uint8_t *l4 = d + hl;
    size_t l4len = len > hl ? len - hl : 0;
    switch (proto) {
    case NS_IPPROTO_TCP:
    case NS_IPPROTO_UDP: {
        if (l4len < 4)
            return;
        uint8_t *p = l4 + (src_side ? 0 : 2);
        uint16_t old_port = ns_read_be16(p);
        ns_write_be16(p, port);
        size_t off = proto == NS_IPPROTO_TCP ? 16 : 6;
        if (l4len < off + 2)
            return;
        uint8_t *c = l4 + off;
        if (proto == NS_IPPROTO_UDP && ns_read_be16(c) == 0)
            return; /* no checksum: stays none */
        csum_replace32(c, old_addr, addr); /* the pseudo header */
        csum_replace16(c, old_port, port);
        if (proto == NS_IPPROTO_UDP && ns_read_be16(c) == 0)
            ns_write_be16(c, 0xffff); /* RFC 768: a computed 0 is sent as all ones */
        return;
    }
    case NS_IPPROTO_ICMP:
        if (l4len < 8 || (l4[0] != NS_ICMP_ECHO_REQUEST && l4[0] != NS_ICMP_ECHO_REPLY))
            return;
        {
            uint16_t old_id = ns_read_be16(l4 + 4);
            ns_write_be16(l4 + 4, port);
            csum_replace16(l4 + 2, old_id, port);
        }
        return;
    default:
        return;
    }
}

static void trace_nat(NsNetfilter *nf, const NfTuple *before, const NfTuple *after,
                      NsNatEvent what)
{
    NsTracer *tr = nf->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_NAT))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(nf->ctx->sim), .kind = NS_TRACE_NAT,
                       .host = ns_host_name(ns_ip_host(nf->ip)), .nat_ev = what,
                       .proto = before->proto, .src = before->src, .dst = before->dst,
                       .sport = before->sport, .dport = before->dport,
                       .nat_src = after->src, .nat_dst = after->dst,
                       .nat_sport = after->sport, .nat_dport = after->dport};
    ns_trace_emit(tr, &ev);
}

/* Rewrite one side of a tracked datagram to what `target` says. */
static void apply(NsNetfilter *nf, NsPacket *pkt, const NfTuple *cur, const NfTuple *target,
                  bool src_side, NsNatEvent what)
{
    bool icmp = cur->proto == NS_IPPROTO_ICMP;
    uint32_t addr = src_side ? target->src : target->dst;
    uint16_t port = src_side ? target->sport : target->dport;
    if (addr == (src_side ? cur->src : cur->dst) && port == (src_side ? cur->sport : cur->dport))
        return;
    rewrite(pkt->data, pkt->len, src_side, addr, port);
    NfTuple after = *cur;
    if (src_side) {
        after.src = addr;
        after.sport = port;
    } else {
        after.dst = addr;
        after.dport = port;
    }
    if (icmp)
        after.sport = after.dport = port;
    trace_nat(nf, cur, &after, what);
}

/* ---- ICMP errors about a translated flow ---- */

static void translate_error(NsNetfilter *nf, NsPacket *pkt, NfInfo *info)
{
    const NfConn *c = info->conn;
    const NfTuple *orig = &c->t[!info->dir]; /* the quoted datagram before translation */
    uint8_t hl = (uint8_t)((pkt->data[0] & 0x0f) * 4);
    uint8_t *icmp = pkt->data + hl;
    size_t icmp_len = pkt->len - hl;
    uint8_t *quote = icmp + NS_ICMP_HLEN;
    size_t qlen = icmp_len - NS_ICMP_HLEN;
    NfTuple q;
    if (!nf_tuple_of(quote, qlen, &q))
        return;
    if (q.src == orig->src && q.sport == orig->sport && q.dst == orig->dst &&
        q.dport == orig->dport)
        return; /* not translated */
    NfTuple outer = {.src = ns_read_be32(pkt->data + 12), .dst = ns_read_be32(pkt->data + 16),
                     .proto = NS_IPPROTO_ICMP};
    NfTuple outer_after = outer;
    rewrite(quote, qlen, true, orig->src, orig->sport);
    rewrite(quote, qlen, false, orig->dst, orig->dport);
    if (outer.dst == q.src)
        outer_after.dst = orig->src;
    if (outer.src == q.dst)
        outer_after.src = orig->dst;
    if (outer_after.dst != outer.dst)
        rewrite(pkt->data, pkt->len, false, outer_after.dst, 0);
    if (outer_after.src != outer.src)
        rewrite(pkt->data, pkt->len, true, outer_after.src, 0);
    /* The ICMP checksum covers the quote: sum it again. */
    icmp[2] = icmp[3] = 0;
    ns_write_be16(icmp + 2, ns_inet_checksum(icmp, icmp_len));
    trace_nat(nf, &outer, &outer_after, NS_NAT_EV_ICMP_ERROR);
}

/* ---- the hooks ---- */

void nf_nat_pre(NsNetfilter *nf, NsPacket *pkt, NfInfo *info)
{
    NfConn *c = info->conn;
    if (!c)
        return;
    if (info->related) {
        translate_error(nf, pkt, info);
        return;
    }
    const NfTuple *cur = &c->t[info->dir];
    bool fresh_dnat = false;
    if (info->fresh) {
        for (guint i = 0; i < nf->forwards->len; i++) {
            const NfForward *f = &g_array_index(nf->forwards, NfForward, i);
            if (f->proto == cur->proto && f->addr == cur->dst && f->port == cur->dport) {
                NfTuple r = c->t[NF_REPLY];
                r.src = f->to_addr;
                r.sport = f->to_port;
                nf_conn_rehash_reply(nf, c, &r);
                fresh_dnat = true;
                break;
            }
        }
    }
    NfTuple target = nf_tuple_invert(&c->t[!info->dir]);
    apply(nf, pkt, cur, &target, false, fresh_dnat ? NS_NAT_EV_NEW_FORWARD : NS_NAT_EV_MAPPED);
}

static bool port_taken(NsNetfilter *nf, const NfTuple *reply)
{
    uint8_t dir;
    return nf_conn_find(nf, reply, &dir) != NULL;
}

/* The reply tuple of a masqueraded flow: its source port kept if no other
 * flow uses it towards the same peer, else the next free one in its range
 * (below 1024, or from 1024; ICMP ids over the whole range). */
static bool masquerade(NsNetfilter *nf, NfConn *c, uint32_t addr)
{
    NfTuple r = c->t[NF_REPLY];
    r.dst = addr;
    bool icmp = r.proto == NS_IPPROTO_ICMP;
    bool ports = icmp || r.proto == NS_IPPROTO_TCP || r.proto == NS_IPPROTO_UDP;
    uint16_t want = c->t[NF_ORIG].sport;
    uint32_t lo = icmp ? 0 : want < 1024 ? 1 : 1024;
    uint32_t size = (icmp ? 65536u : want < 1024 ? 1023u : 64512u);
    for (uint32_t k = 0; k < (ports ? size : 1); k++) {
        uint16_t p = ports ? (uint16_t)(lo + ((uint32_t)want - lo + k) % size) : 0;
        if (ports) {
            r.dport = p;
            if (icmp)
                r.sport = p;
        }
        if (!port_taken(nf, &r)) {
            nf_conn_rehash_reply(nf, c, &r);
            return true;
        }
    }
    return false; /* every port in use: the flow leaves untranslated */
}

void nf_nat_post(NsNetfilter *nf, NsPacket *pkt, NfInfo *info, uint32_t out_addr)
{
    NfConn *c = info->conn;
    if (!c || info->related)
        return;
    const NfTuple *cur = &c->t[info->dir];
    bool fresh_snat = false;
    if (info->fresh && info->dir == NF_ORIG && cur->src != out_addr) {
        for (guint i = 0; i < nf->masq->len; i++) {
            if (g_array_index(nf->masq, uint32_t, i) == out_addr) {
                fresh_snat = masquerade(nf, c, out_addr);
                break;
            }
        }
    }
    /* As the datagram is now (a port forward may have changed its
     * destination at PREROUTING). */
    NfTuple now;
    if (!nf_tuple_of(pkt->data, pkt->len, &now))
        return;
    NfTuple target = nf_tuple_invert(&c->t[!info->dir]);
    apply(nf, pkt, &now, &target, true, fresh_snat ? NS_NAT_EV_NEW_MASQUERADE : NS_NAT_EV_MAPPED);
}
