/* Targeted faults: the Nth packet of a kind from one host to another
 * dropped on the wire between them, or delayed or duplicated at the
 * sender's IP output. Packets are classified with sim/wire. The module
 * keeps its own state (which fault has seen how many packets, which
 * fired) and needs of the run only its scenario, hosts and segments. */
#include "targeted-private.h"

#include <string.h>

#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/tcp.h"
#include "world-private.h"
#include "netsim-private/packet.h"

typedef struct {
    uint32_t index; /* fault in the scenario */
    uint32_t seen;
    bool fired;
    char *rule; /* "tcp syn#1", for traces */
} Fault;

typedef struct NsTargeted NsTargeted;

/* A sending host's output filter: which host it is. */
typedef struct {
    NsTargeted *t;
    uint32_t idx;
} Sender;

struct NsTargeted {
    const NsScenario *scn;
    NsHost **hosts;  /* per scenario host (borrowed) */
    GArray *faults;  /* Fault, file order */
    Sender *senders; /* per scenario host */
};

/* What a targeted fault looks at in a datagram, read with sim/wire. */
typedef struct {
    uint8_t proto; /* IPv6: ICMPv6 counts as ICMP */
    bool v6;
    uint32_t dst;
    NsIpv6Addr dst6, src6;
    uint8_t tcp_flags;
    size_t payload_len; /* transport payload bytes */
} Classified;

/* An IPv6 datagram: its upper layer past a Fragment header (a fragment
 * counts as a packet of its datagram's protocol). */
static bool classify6(const NsPacket *dgram, Classified *c, const uint8_t **l4, size_t *l4_len)
{
    NsIpv6Repr ip;
    if (ns_ipv6_parse(dgram->data, dgram->len, &ip) != NS_WIRE_OK)
        return false;
    *c = (Classified){.proto = ip.next_header, .v6 = true, .dst6 = ip.dst, .src6 = ip.src};
    *l4 = dgram->data + NS_IPV6_HLEN;
    *l4_len = ip.payload_len;
    NsIpv6FragRepr fh;
    if (ip.next_header == NS_IPPROTO_FRAGMENT &&
        ns_ipv6_frag_parse(*l4, *l4_len, &fh) == NS_WIRE_OK) {
        c->proto = fh.next_header;
        *l4 += NS_IPV6_FRAG_HLEN;
        *l4_len -= NS_IPV6_FRAG_HLEN;
    }
    if (c->proto == NS_IPPROTO_ICMPV6)
        c->proto = NS_IPPROTO_ICMP;
    return true;
}

static bool classify(const NsPacket *dgram, Classified *c)
{
    const uint8_t *l4;
    size_t l4_len;
    NsIpv4Repr ip;
    if (dgram->len >= 1 && dgram->data[0] >> 4 == 6) {
        if (!classify6(dgram, c, &l4, &l4_len))
            return false;
    } else {
        if (ns_ipv4_parse_header(dgram->data, dgram->len, &ip) != NS_WIRE_OK)
            return false;
        size_t total = ip.total_len < dgram->len ? ip.total_len : dgram->len;
        l4 = dgram->data + ip.header_len;
        l4_len = total > ip.header_len ? total - ip.header_len : 0;
        *c = (Classified){.proto = ip.proto, .dst = ip.dst};
    }
    if (c->proto == NS_IPPROTO_TCP) {
        NsTcpRepr t;
        if (ns_tcp_parse_verified(l4, l4_len, &t) != NS_WIRE_OK)
            return false;
        c->tcp_flags = t.flags;
        c->payload_len = l4_len - t.header_len;
    } else {
        c->payload_len = l4_len >= 8 ? l4_len - 8 : 0; /* UDP and ICMP headers: 8 bytes */
    }
    return true;
}

/* Does a packet match a targeted fault's kind? For UDP and ICMP only
 * `any` exists; TCP segments are told apart by their flags and payload. */
static bool segment_is(const Classified *d, NsScnPktKind kind)
{
    uint8_t f = d->tcp_flags;
    switch (kind) {
    case NS_SCN_PKT_ANY:
        return true;
    case NS_SCN_PKT_SYN:
        return (f & NS_TCP_SYN) && !(f & NS_TCP_ACK);
    case NS_SCN_PKT_SYN_ACK:
        return (f & NS_TCP_SYN) && (f & NS_TCP_ACK);
    case NS_SCN_PKT_ACK:
        return (f & NS_TCP_ACK) && !(f & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST)) &&
               d->payload_len == 0;
    case NS_SCN_PKT_DATA:
        return d->payload_len > 0;
    case NS_SCN_PKT_FIN:
        return (f & NS_TCP_FIN) != 0;
    case NS_SCN_PKT_RST:
        return (f & NS_TCP_RST) != 0;
    }
    return false;
}

/* Count a packet of `sender` (its IP source *src, unless NULL) against every fault of
 * the given place (drops act on the wire, the rest at the sender's IP
 * output) and return the one that fires on it, or NULL. Every fault counts
 * every packet of its kind, even one another fault acts on: `syn#2` is
 * the second SYN whatever became of the first. The first fault in file
 * order that fires decides. */
/* Is the datagram's source (when `src` is set) and destination on these hosts? */
static bool ends_match(const NsTargeted *t, const Classified *d, uint32_t sender, uint32_t to,
                       const uint32_t *src)
{
    if (d->v6)
        return (!src || ns_ip6_is_local(ns_ip6_of(t->hosts[sender]), &d->src6)) &&
               ns_ip6_is_local(ns_ip6_of(t->hosts[to]), &d->dst6);
    return (!src || ns_host_has_addr(t->hosts[sender], *src)) &&
           ns_host_has_addr(t->hosts[to], d->dst);
}

static const Fault *fire(NsTargeted *t, const Classified *d, bool on_wire, uint32_t sender,
                         const uint32_t *src)
{
    const Fault *act = NULL;
    for (guint i = 0; i < t->faults->len; i++) {
        Fault *f = &g_array_index(t->faults, Fault, i);
        const NsScnFault *sf = ns_scn_fault(t->scn, f->index);
        if (f->fired || sf->from != sender || (sf->action == NS_SCN_FAULT_DROP) != on_wire)
            continue;
        uint8_t proto = sf->proto == NS_SCN_PROTO_UDP   ? NS_IPPROTO_UDP
                        : sf->proto == NS_SCN_PROTO_TCP ? NS_IPPROTO_TCP
                                                        : NS_IPPROTO_ICMP;
        if (d->proto != proto || !ends_match(t, d, sender, sf->to, src) ||
            !segment_is(d, sf->kind))
            continue;
        if (++f->seen != sf->nth)
            continue;
        f->fired = true;
        if (!act)
            act = f;
    }
    return act;
}

static NsTraceLoc loc_of(const NsTargeted *t, const Fault *f)
{
    const NsScnFault *sf = ns_scn_fault(t->scn, f->index);
    return (NsTraceLoc){ns_world_file_name(sf->loc.file), sf->loc.line};
}

/* Delays and duplicates: at the sender's IP output. */
static NsIpFilterVerdict output_fault(void *data, const NsPacket *dgram, NsTime *delay,
                                      NsIpFault *fault)
{
    const Sender *h = data;
    Classified d;
    const Fault *act = classify(dgram, &d) ? fire(h->t, &d, false, h->idx, NULL) : NULL;
    if (!act)
        return NS_IP_FILTER_PASS;
    const NsScnFault *sf = ns_scn_fault(h->t->scn, act->index);
    fault->rule = act->rule;
    fault->loc = loc_of(h->t, act);
    switch (sf->action) {
    case NS_SCN_FAULT_DROP:
        fault->action = NS_FAULT_DROP;
        return NS_IP_FILTER_DROP;
    case NS_SCN_FAULT_DELAY:
        fault->action = NS_FAULT_DELAY;
        *delay = sf->delay;
        return NS_IP_FILTER_DELAY;
    case NS_SCN_FAULT_DUPLICATE:
        fault->action = NS_FAULT_DUPLICATE;
        return NS_IP_FILTER_DUPLICATE;
    }
    return NS_IP_FILTER_PASS;
}

/* Targeted drops: count the frames of one kind that a host puts on the
 * wire towards another host (datagrams it originates), and take the Nth
 * off the wire. The sender's capture shows it leave; nobody receives it. */
static bool wire_fault(void *data, const NsSegment *seg, uint32_t from_port,
                       const NsPacket *frame, const char **rule, NsTraceLoc *loc)
{
    NsTargeted *t = data;
    NsEthRepr eth;
    if (ns_eth_parse(frame->data, frame->len, &eth) != NS_WIRE_OK ||
        (eth.ethertype != NS_ETHERTYPE_IPV4 && eth.ethertype != NS_ETHERTYPE_IPV6))
        return false;
    NsPacket ip = *frame;
    ip.data += NS_ETH_HLEN;
    ip.len -= NS_ETH_HLEN;
    Classified d;
    NsIpv4Repr hdr = {0};
    const char *sender = ns_segment_port_host(seg, from_port);
    if (!sender || !classify(&ip, &d) ||
        (!d.v6 && ns_ipv4_parse_header(ip.data, ip.len, &hdr) != NS_WIRE_OK))
        return false;
    /* The port's host, among the scenario's hosts that have wire drops. */
    const Fault *act = NULL;
    for (guint i = 0; i < t->faults->len && !act; i++) {
        const NsScnFault *sf = ns_scn_fault(t->scn, g_array_index(t->faults, Fault, i).index);
        if (sf->action == NS_SCN_FAULT_DROP &&
            strcmp(sender, ns_host_name(t->hosts[sf->from])) == 0) {
            act = fire(t, &d, true, sf->from, &hdr.src);
            break;
        }
    }
    if (!act)
        return false;
    *rule = act->rule;
    *loc = loc_of(t, act);
    return true;
}

NsTargeted *ns_targeted_new(const NsScenario *scn, NsHost *const *hosts, uint32_t n_hosts,
                            NsSegment *const *segs, uint32_t n_segs)
{
    if (scn->faults->len == 0)
        return NULL;
    NsTargeted *t = g_new0(NsTargeted, 1);
    t->scn = scn;
    t->hosts = g_memdup2(hosts, n_hosts * sizeof *hosts);
    t->senders = g_new0(Sender, n_hosts);
    t->faults = g_array_new(FALSE, TRUE, sizeof(Fault));
    static const char *const kinds[] = {"syn", "syn-ack", "ack", "data", "fin", "rst", "any"};
    static const char *const protos[] = {"tcp", "udp", "icmp"};
    for (guint i = 0; i < scn->faults->len; i++) {
        const NsScnFault *f = ns_scn_fault(scn, i);
        Fault fr = {.index = i,
                    .rule = g_strdup_printf("%s %s#%u", protos[f->proto], kinds[f->kind], f->nth)};
        g_array_append_val(t->faults, fr);
        Sender *s = &t->senders[f->from];
        *s = (Sender){t, f->from};
        ns_ip_set_output_filter(ns_ip_of(hosts[f->from]), output_fault, s);
    }
    /* A targeted drop acts on the wire between the two hosts: the frame
     * leaves the sender (after ARP) and never arrives. */
    for (uint32_t i = 0; i < n_segs; i++)
        ns_segment_set_fault_hook(segs[i], wire_fault, t);
    return t;
}

void ns_targeted_free(NsTargeted *t)
{
    if (!t)
        return;
    for (guint i = 0; i < t->faults->len; i++)
        g_free(g_array_index(t->faults, Fault, i).rule);
    g_array_free(t->faults, TRUE);
    g_free(t->senders);
    g_free(t->hosts);
    g_free(t);
}
