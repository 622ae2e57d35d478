/* The timeline's changes to the network (links and networks down, up or
 * reconfigured; hosts crashing and restarting), and targeted faults: the Nth packet of a kind
 * from one host to another dropped, delayed or duplicated at the sender's
 * IP output. */
#include "world-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/tcp.h"
#include "netsim/trace-text.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"

static void trace_link(NsWorld *w, const char *where, NsLinkEvent what, const char *text)
{
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_LINK))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(w->ctx->sim), .kind = NS_TRACE_LINK, .where = where,
                       .link_ev = what, .text = text};
    ns_trace_emit(w->ctx->tracer, &ev);
}

static void trace_host(NsWorld *w, const char *host, NsHostEvent what, uint32_t count)
{
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_HOST))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(w->ctx->sim), .kind = NS_TRACE_HOST, .host = host,
                       .host_ev = what, .count = count};
    ns_trace_emit(w->ctx->tracer, &ev);
}

static char *opts_text(const NsScnLinkOpts *o)
{
    GString *s = g_string_new(NULL);
    char t[32];
    if (o->has_delay) {
        ns_trace_format_time(o->delay, t);
        g_string_append_printf(s, " delay %ss", g_strstrip(t));
    }
    if (o->has_rate)
        g_string_append_printf(s, " rate %" PRIu64 "bps", o->rate);
    if (o->has_loss)
        g_string_append_printf(s, " loss %u.%04u%%", o->loss_ppm / 10000, o->loss_ppm % 10000);
    if (o->has_jitter) {
        ns_trace_format_time(o->jitter, t);
        g_string_append_printf(s, " jitter %ss", g_strstrip(t));
    }
    if (o->has_duplicate)
        g_string_append_printf(s, " duplicate %u.%04u%%", o->duplicate_ppm / 10000,
                               o->duplicate_ppm % 10000);
    if (o->has_reorder)
        g_string_append_printf(s, " reorder %u.%04u%%", o->reorder_ppm / 10000,
                               o->reorder_ppm % 10000);
    if (o->has_queue)
        g_string_append_printf(s, " queue %u", o->queue);
    if (o->has_mtu)
        g_string_append_printf(s, " mtu %u", o->mtu);
    return g_string_free(s, FALSE);
}

static void host_crash(NsWorld *w, HostRt *h)
{
    /* Every socket vanishes with the host: forget our handles first. */
    for (guint i = 0; i < w->scn->sockets->len; i++)
        if (ns_scn_socket(w->scn, i)->host == h->idx)
            w->socks[i].sock = NULL;
    for (guint i = 0; i < w->services->len; i++) {
        ServiceRt *svc = g_ptr_array_index(w->services, i);
        if (ns_scn_service(w->scn, svc->index)->host == h->idx)
            ns_world_service_forget(svc);
    }
    for (guint i = 0; i < w->udp_sends->len; i++) {
        UdpSendRt *u = g_ptr_array_index(w->udp_sends, i);
        if (u->host == h->idx)
            u->sock = NULL;
    }
    ns_world_programs_crash(h);
    uint32_t n = ns_socket_count(h->host);
    ns_world_apps_crash(w, h->idx);
    ns_socket_layer_crash(h->host);
    ns_host_set_up(h->host, false);
    trace_host(w, ns_host_name(h->host), NS_HOST_EV_CRASH, n);
}

void ns_world_fault_run(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsWorld *w = obj;
    const NsScnStep *st = ns_scn_step(w->scn, GPOINTER_TO_UINT(arg));
    uint32_t nn = w->scn->networks->len;
    g_assert(st->kind == NS_SCN_STEP_FAULT);
    switch (st->verb.fault) {
    case NS_SCN_FAULT_VERB_LINK_DOWN:
    case NS_SCN_FAULT_VERB_LINK_UP:
    case NS_SCN_FAULT_VERB_NETWORK_DOWN:
    case NS_SCN_FAULT_VERB_NETWORK_UP: {
        NsScnFaultVerb v = st->verb.fault;
        bool link = v == NS_SCN_FAULT_VERB_LINK_DOWN || v == NS_SCN_FAULT_VERB_LINK_UP;
        bool up = v == NS_SCN_FAULT_VERB_LINK_UP || v == NS_SCN_FAULT_VERB_NETWORK_UP;
        NsSegment *seg = w->segs[link ? nn + st->u.link.link : st->u.network.network];
        ns_segment_set_up(seg, up);
        trace_link(w, ns_segment_name(seg), up ? NS_LINK_EV_UP : NS_LINK_EV_DOWN, NULL);
        return;
    }
    case NS_SCN_FAULT_VERB_LINK_SET:
    case NS_SCN_FAULT_VERB_NETWORK_SET: {
        bool link = st->verb.fault == NS_SCN_FAULT_VERB_LINK_SET;
        NsSegment *seg = w->segs[link ? nn + st->u.link.link : st->u.network.network];
        const NsScnLinkOpts *so = link ? &st->u.link.opts : &st->u.network.opts;
        NsLinkOpts o = *ns_segment_opts(seg);
        ns_world_link_opts(&o, so);
        ns_segment_set_opts(seg, &o);
        g_autofree char *text = opts_text(so);
        trace_link(w, ns_segment_name(seg), NS_LINK_EV_SET, text + 1);
        return;
    }
    case NS_SCN_FAULT_VERB_HOST_CRASH: {
        HostRt *h = &w->hosts[st->host];
        if (ns_host_is_up(h->host))
            host_crash(w, h);
        return;
    }
    case NS_SCN_FAULT_VERB_HOST_RESTART: {
        HostRt *h = &w->hosts[st->host];
        if (ns_host_is_up(h->host))
            return;
        ns_host_set_up(h->host, true);
        trace_host(w, ns_host_name(h->host), NS_HOST_EV_RESTART, 0);
        ns_world_services_start_host(w, h->idx);
        return;
    }
    case NS_SCN_FAULT_VERB_FILTER:
    case NS_SCN_FAULT_VERB_UNFILTER:
        ns_world_filter_step(w, st);
        return;
    case NS_SCN_FAULT_VERB_ROUTE:
    case NS_SCN_FAULT_VERB_UNROUTE:
        ns_world_route_step(w, st);
        return;
    }
}

/* What a targeted fault looks at in a datagram, read with sim/wire. */
typedef struct {
    uint8_t proto;
    uint32_t dst;
    uint8_t tcp_flags;
    size_t payload_len; /* transport payload bytes */
} Classified;

static bool classify(const NsPacket *dgram, Classified *c)
{
    NsIpv4Repr ip;
    if (ns_ipv4_parse_header(dgram->data, dgram->len, &ip) != NS_WIRE_OK)
        return false;
    size_t total = ip.total_len < dgram->len ? ip.total_len : dgram->len;
    const uint8_t *l4 = dgram->data + ip.header_len;
    size_t l4_len = total > ip.header_len ? total - ip.header_len : 0;
    *c = (Classified){.proto = ip.proto, .dst = ip.dst};
    if (ip.proto == NS_IPPROTO_TCP) {
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

/* Targeted faults: count the packets of one kind from one host to another
 * at the sender's IP output, and act on the Nth. */
NsIpFilterVerdict ns_world_fault_filter(void *data, const NsPacket *dgram, NsTime *delay,
                                        NsIpFault *fault)
{
    HostRt *h = data;
    NsWorld *w = h->w;
    Classified d;
    if (!classify(dgram, &d))
        return NS_IP_FILTER_PASS;
    /* Every fault counts every packet of its kind, even one another fault
     * acts on: `syn#2` is the second SYN whatever became of the first. The
     * first fault in file order that fires decides. */
    const FaultRt *act = NULL;
    for (guint i = 0; i < w->faults->len; i++) {
        FaultRt *f = &g_array_index(w->faults, FaultRt, i);
        const NsScnFault *sf = ns_scn_fault(w->scn, f->index);
        /* Drops act on the wire (ns_world_wire_fault), the rest here. */
        if (sf->from != h->idx || f->fired || sf->action == NS_SCN_FAULT_DROP)
            continue;
        uint8_t proto = sf->proto == NS_SCN_PROTO_UDP   ? NS_IPPROTO_UDP
                        : sf->proto == NS_SCN_PROTO_TCP ? NS_IPPROTO_TCP
                                                        : NS_IPPROTO_ICMP;
        if (d.proto != proto || !ns_host_has_addr(w->hosts[sf->to].host, d.dst) ||
            !segment_is(&d, sf->kind))
            continue;
        if (++f->seen != sf->nth)
            continue;
        f->fired = true;
        if (!act)
            act = f;
    }
    if (!act)
        return NS_IP_FILTER_PASS;
    const NsScnFault *sf = ns_scn_fault(w->scn, act->index);
    fault->rule = act->rule;
    fault->loc = (NsTraceLoc){ns_world_file_name(sf->loc.file), sf->loc.line};
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
bool ns_world_wire_fault(void *data, const NsSegment *seg, uint32_t from_port,
                         const NsPacket *frame, const char **rule, NsTraceLoc *loc)
{
    NsWorld *w = data;
    NsEthRepr eth;
    if (ns_eth_parse(frame->data, frame->len, &eth) != NS_WIRE_OK ||
        eth.ethertype != NS_ETHERTYPE_IPV4)
        return false;
    NsPacket ip = *frame;
    ip.data += NS_ETH_HLEN;
    ip.len -= NS_ETH_HLEN;
    Classified d;
    NsIpv4Repr hdr;
    if (!classify(&ip, &d) || ns_ipv4_parse_header(ip.data, ip.len, &hdr) != NS_WIRE_OK)
        return false;
    const char *sender = ns_segment_port_host(seg, from_port);
    const FaultRt *act = NULL;
    for (guint i = 0; i < w->faults->len; i++) {
        FaultRt *f = &g_array_index(w->faults, FaultRt, i);
        const NsScnFault *sf = ns_scn_fault(w->scn, f->index);
        if (f->fired || sf->action != NS_SCN_FAULT_DROP)
            continue;
        NsHost *from = w->hosts[sf->from].host;
        uint8_t proto = sf->proto == NS_SCN_PROTO_UDP   ? NS_IPPROTO_UDP
                        : sf->proto == NS_SCN_PROTO_TCP ? NS_IPPROTO_TCP
                                                        : NS_IPPROTO_ICMP;
        if (!sender || strcmp(sender, ns_host_name(from)) != 0 || d.proto != proto ||
            !ns_host_has_addr(from, hdr.src) || !ns_host_has_addr(w->hosts[sf->to].host, d.dst) ||
            !segment_is(&d, sf->kind))
            continue;
        if (++f->seen != sf->nth)
            continue;
        f->fired = true;
        if (!act)
            act = f;
    }
    if (!act)
        return false;
    const NsScnFault *sf = ns_scn_fault(w->scn, act->index);
    *rule = act->rule;
    *loc = (NsTraceLoc){ns_world_file_name(sf->loc.file), sf->loc.line};
    return true;
}
