/* The explainer behind `--explain`: one sentence per event a learner would
 * ask about, built from the event's own fields (addresses, ports, states,
 * causes) and a small memory of earlier events. Sentences follow what
 * RFC 768/792/826/1122 and RFC 9293 say a stack does, in words. */
#include "netsim/trace-explain.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "netsim/wire/eth.h"
#include "netsim/trace-text.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"
#include "netsim/wire/ipv6.h"
#include "trace-private.h"

typedef struct {
    NsExplainHost info;
    uint32_t eph_count;  /* ephemeral ports handed out so far */
    uint16_t last_eph;
    uint32_t last_dst;   /* destination of the last datagram sent or forwarded */
    NsTraceEvent refused; /* the last datagram refused for want of a socket (no strings) */
    bool known;          /* listed at creation (profile known) */
    uint8_t refused_by;  /* how the last ECONNREFUSED reached a socket: TCP (a RST answered
                          * its SYN) or UDP (an ICMP port unreachable), 0 for none */
    bool refused_by_filter; /* that RST came from a `reject with tcp-reset` rule */
    /* The persist timer of this socket just fired: its next segment says
     * what it did (a zero-window probe, or the silly-window override). */
    bool persist_fired;
    uint32_t persist_addr;
    uint16_t persist_port;
} HostState;

struct NsExplainer {
    GHashTable *hosts;   /* name -> HostState* */
    GHashTable *last_to; /* "host|proto|port" -> "ADDR:PORT" the socket last sent to */
    GHashTable *once;    /* keys of sentences already said */
    GHashTable *said;    /* an explanation's shape -> when it was first given (NsTime*) */
    /* "ADDR:PORT>ADDR:PORT" of SYNs a filter rule took: a RST that then
     * refuses that connection came from the rule, not from a closed port. */
    GHashTable *filtered_syns;
    bool student;        /* ns_explainer_set_student() */
};

void ns_explainer_set_student(NsExplainer *ex, bool student)
{
    ex->student = student;
}

/* Does `ev` tell why a connection or a call failed? */
static bool tells_failure(const NsTraceEvent *ev)
{
    if (ev->err)
        return true;
    if (ev->kind != NS_TRACE_TCP || ev->tcp_ev != NS_TCP_EV_STATE)
        return false;
    switch (ev->cause) {
    case NS_CAUSE_RCV_RST:
    case NS_CAUSE_SYN_RETRIES:
    case NS_CAUSE_SYN_ACK_RETRIES:
    case NS_CAUSE_RETRANSMISSIONS:
    case NS_CAUSE_KEEPALIVE_TIMEOUT:
    case NS_CAUSE_USER_TIMEOUT:
    case NS_CAUSE_ICMP_ERROR:
    case NS_CAUSE_HOST_CRASH:
    case NS_CAUSE_RCV_SYN:
    case NS_CAUSE_RCV_SYN_IN_WINDOW:
        return true;
    case NS_CAUSE_NONE:
    case NS_CAUSE_APP_CONNECT:
    case NS_CAUSE_APP_LISTEN:
    case NS_CAUSE_APP_CLOSE:
    case NS_CAUSE_APP_CLOSE_UNREAD:
    case NS_CAUSE_APP_SHUTDOWN:
    case NS_CAUSE_APP_ABORT:
    case NS_CAUSE_LISTENER_CLOSED:
    case NS_CAUSE_RCV_SYN_LISTENER:
    case NS_CAUSE_RCV_SYN_ACK:
    case NS_CAUSE_RCV_SYN_SIMULTANEOUS:
    case NS_CAUSE_RCV_ACK_OF_SYN:
    case NS_CAUSE_RCV_ACK_OF_FIN:
    case NS_CAUSE_RCV_FIN:
    case NS_CAUSE_RCV_FIN_SIMULTANEOUS:
    case NS_CAUSE_TIME_WAIT_DONE:
    case NS_CAUSE_FIN_WAIT_2_TIMEOUT:
    case NS_CAUSE_CONNECTED:
    case NS_CAUSE_ACK:
    case NS_CAUSE_DUP_ACK:
    case NS_CAUSE_DUP_ACKS:
    case NS_CAUSE_DUP_ACKS_FAST_RETRANSMIT:
    case NS_CAUSE_SACK:
    case NS_CAUSE_SACK_BEYOND_LOSS:
    case NS_CAUSE_SACK_BEYOND_LOSS_FAST_RETRANSMIT:
    case NS_CAUSE_RECOVERY_DONE:
    case NS_CAUSE_LOSS_REPAIRED:
    case NS_CAUSE_SYN_TIMEOUT:
    case NS_CAUSE_RTO:
    case NS_CAUSE_TLP_REPAIRED:
    case NS_CAUSE_HYSTART_ACK_TRAIN:
    case NS_CAUSE_HYSTART_DELAY:
    case NS_CAUSE_RACK_TIMEOUT:
    case NS_CAUSE_PACKET_TOO_BIG:
        return false;
    }
    return false;
}

NsExplainer *ns_explainer_new(const NsExplainHost *hosts, size_t n_hosts)
{
    NsExplainer *ex = g_new0(NsExplainer, 1);
    ex->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    ex->last_to = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ex->once = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    ex->said = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ex->filtered_syns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (size_t i = 0; i < n_hosts; i++) {
        HostState *h = g_new0(HostState, 1);
        h->info = hosts[i];
        h->info.name = g_intern_string(hosts[i].name);
        h->known = true;
        g_hash_table_replace(ex->hosts, (gpointer)h->info.name, h);
    }
    return ex;
}

void ns_explainer_free(NsExplainer *ex)
{
    if (!ex)
        return;
    g_hash_table_destroy(ex->hosts);
    g_hash_table_destroy(ex->last_to);
    g_hash_table_destroy(ex->once);
    g_hash_table_destroy(ex->said);
    g_hash_table_destroy(ex->filtered_syns);
    g_free(ex);
}

static HostState *host_of(NsExplainer *ex, const char *name)
{
    if (!name)
        name = "?";
    HostState *h = g_hash_table_lookup(ex->hosts, name);
    if (!h) {
        h = g_new0(HostState, 1);
        h->info.name = g_intern_string(name);
        h->info.eph_lo = 49152;
        h->info.eph_hi = 65535;
        g_hash_table_replace(ex->hosts, (gpointer)h->info.name, h);
    }
    return h;
}

/* True the first time `key` is seen: for sentences worth saying once. */
static bool first_time(NsExplainer *ex, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool first_time(NsExplainer *ex, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *key = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (g_hash_table_contains(ex->once, key)) {
        g_free(key);
        return false;
    }
    g_hash_table_add(ex->once, key);
    return true;
}

/* Small formatted pieces, valid until the next call with the same buffer. */
typedef struct {
    char s[64]; /* "[ffff:...:255.255.255.255]:65535" fits */
} Ep;

static const char *ep(Ep *b, uint32_t addr, uint16_t port)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(addr, a);
    g_snprintf(b->s, sizeof b->s, "%s:%u", a, port);
    return b->s;
}

static const char *ip(Ep *b, uint32_t addr)
{
    ns_ipv4_format(addr, b->s);
    return b->s;
}

/* An event's source or destination, as its packet gives it: the IPv6
 * address when it has one. */
static const char *ip_of(Ep *b, const NsTraceEvent *ev, bool remote)
{
    const uint8_t *a6 = remote ? ev->dst6 : ev->src6;
    if (!a6)
        return ip(b, remote ? ev->dst : ev->src);
    char t[NS_IPV6_STRLEN];
    ns_ipv6_format((const NsIpv6Addr *)(const void *)a6, t);
    g_snprintf(b->s, sizeof b->s, "%s", t);
    return b->s;
}

static const char *ep_of(Ep *b, const NsTraceEvent *ev, bool remote)
{
    const uint8_t *a6 = remote ? ev->dst6 : ev->src6;
    if (!a6)
        return ep(b, remote ? ev->dst : ev->src, remote ? ev->dport : ev->sport);
    char t[NS_IPV6_STRLEN];
    ns_ipv6_format((const NsIpv6Addr *)(const void *)a6, t);
    g_snprintf(b->s, sizeof b->s, "[%s]:%u", t, remote ? ev->dport : ev->sport);
    return b->s;
}

static const char *upper_proto(uint8_t proto)
{
    return proto == NS_IPPROTO_TCP ? "TCP" : proto == NS_IPPROTO_UDP ? "UDP" : "IP";
}

static char *last_to_key(const NsTraceEvent *ev, uint16_t port)
{
    return g_strdup_printf("%s|%u|%u", ev->host ? ev->host : "?", ev->proto, port);
}

/* ---- learning from packets ---- */

static void learn(NsExplainer *ex, const NsTraceEvent *ev)
{
    if (ev->kind == NS_TRACE_DROP && ev->drop == NS_DROP_NO_SOCKET) {
        NsTraceEvent *r = &host_of(ex, ev->host)->refused;
        *r = (NsTraceEvent){.proto = ev->proto, .src = ev->src, .sport = ev->sport,
                            .dst = ev->dst, .dport = ev->dport};
    }
    if ((ev->kind == NS_TRACE_SEND || ev->kind == NS_TRACE_FWD) && ev->dst)
        host_of(ex, ev->host)->last_dst = ev->dst;
    if (ev->kind == NS_TRACE_SEND && trace_has_ports(ev->proto)) {
        Ep b;
        g_hash_table_replace(ex->last_to, last_to_key(ev, ev->sport),
                             g_strdup(ep_of(&b, ev, true)));
    }
}

/* ---- socket events ---- */

static bool explain_ephemeral(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    HostState *h = host_of(ex, ev->host);
    uint32_t n = h->eph_count++;
    uint16_t prev = h->last_eph;
    h->last_eph = ev->sport;
    bool connecting = ev->dst || ev->dport;
    const char *why = ev->proto == NS_IPPROTO_TCP ? "A socket needs a local port to connect"
                      : connecting ? "The socket had no port when connect gave it a peer"
                                   : "The socket had no port when it first sent";
    size_t start = out->len;
    g_string_append_printf(out, "%s, so %s gave it an ephemeral (temporary) port: ", why,
                           h->info.name);
    out->str[start] = g_ascii_toupper(out->str[start]); /* a sentence starts with a capital */
    if (h->info.linux_profile && (ev->proto == NS_IPPROTO_TCP || connecting))
        g_string_append_printf(out,
                               "Linux starts at a random point of its range %u-%u and prefers "
                               "even ports for connect, leaving odd ones to bind; here %u.",
                               h->info.eph_lo, h->info.eph_hi, ev->sport);
    else if (h->info.linux_profile)
        g_string_append_printf(out,
                               "Linux takes a random free one from its range %u-%u, hard for an "
                               "attacker to guess; here %u.",
                               h->info.eph_lo, h->info.eph_hi, ev->sport);
    else if (n == 0)
        g_string_append_printf(out,
                               "the minimal profile hands them out in order from the range "
                               "%u-%u, and %u is the first free one.",
                               h->info.eph_lo, h->info.eph_hi, ev->sport);
    else
        g_string_append_printf(out,
                               "the minimal profile hands them out in order, so after %u comes "
                               "%u, and no two sockets of %s share one.",
                               prev, ev->sport, h->info.name);
    return true;
}

static bool explain_sock(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    Ep a, r;
    const char *P = upper_proto(ev->proto);
    switch (ev->sock_op) {
    case NS_SOCK_OP_BOUND:
        if (ev->ephemeral)
            return explain_ephemeral(ex, ev, out);
        if (ev->src == 0)
            g_string_append_printf(out,
                                   "%s now owns %s port %u on every one of its addresses (0.0.0.0, "
                                   "shown *:%u in the socket table): that port number is how %s "
                                   "finds this socket among all others.",
                                   ev->host, P, ev->sport, ev->sport,
                                   ev->proto == NS_IPPROTO_TCP ? "a connection request"
                                                               : "an arriving datagram");
        else
            g_string_append_printf(out,
                                   "The socket is bound to %s only: %s packets for port %u reach "
                                   "it when they are addressed to %s.",
                                   ep_of(&a, ev, false), P, ev->sport, ip_of(&r, ev, false));
        return true;
    case NS_SOCK_OP_CONNECTED:
        if (ev->proto != NS_IPPROTO_UDP)
            return false;
        g_string_append_printf(out,
                               "connect on a UDP socket sends nothing: it only records %s as the "
                               "one peer, so the socket now accepts datagrams from there alone and "
                               "can be told about errors such as an ICMP port unreachable.",
                               ep_of(&r, ev, true));
        return true;
    case NS_SOCK_OP_CLOSED:
        if (ev->proto != NS_IPPROTO_UDP)
            return false;
        g_string_append_printf(out,
                               "Closing a UDP socket sends nothing (there is no connection to "
                               "end); port %u on %s is free for the next socket at once.",
                               ev->sport, ev->host);
        return true;
    case NS_SOCK_OP_NONE:
        break;
    }
    return false;
}

/* ---- packets ---- */

static char *syn_key(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    Ep s, d;
    return g_strdup_printf("%s>%s", ep(&s, src, sport), ep(&d, dst, dport));
}

static bool explain_drop(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    Ep s, d;
    const char *P = upper_proto(ev->proto);
    switch (ev->drop) {
    case NS_DROP_FRAG_TIMEOUT:
        if (!first_time(ex, "frag-timeout|%s|%u|%u", ev->host, ev->src, ev->ip_id))
            return false;
        /* IPv6 waits twice as long, and answers with ICMPv6's message. */
        g_string_append_printf(out,
                               "%s has held the fragments of this datagram (%s %u) for %s "
                               "and the missing ones never came, so it gives up every fragment "
                               "it holds. If the first one is among them, it tells %s with "
                               "%s; the data is lost unless the application sends it again.",
                               ev->host, ev->src6 ? "identification" : "IP ID", ev->ip_id,
                               ev->src6 ? "60 s (Linux's ip6frag_time)"
                                        : "30 s (Linux's ipfrag_time)",
                               ip_of(&s, ev, false),
                               ev->src6 ? "ICMPv6 time exceeded (reassembly time exceeded)"
                                        : "ICMP time exceeded");
        return true;
    case NS_DROP_FRAG_DUPLICATE:
        g_string_append_printf(out,
                               "%s already holds every byte of this fragment, so the copy is "
                               "dropped; the datagram is still put together.",
                               ev->host);
        return true;
    case NS_DROP_FRAG_OVERLAP:
    case NS_DROP_FRAG_INVALID:
        if (!first_time(ex, "frag-bad|%s|%u|%u", ev->host, ev->src, ev->ip_id))
            return false;
        g_string_append_printf(out,
                               "The fragments of this datagram (IP ID %u) %s, so %s cannot "
                               "trust any of them and drops the whole datagram, as Linux does.",
                               ev->ip_id,
                               ev->drop == NS_DROP_FRAG_OVERLAP ? "overlap"
                                                                : "disagree on where it ends",
                               ev->host);
        return true;
    case NS_DROP_FRAG_MEMORY:
        g_string_append_printf(out,
                               "%s already holds 4 MiB of fragments waiting for the rest "
                               "(Linux's ipfrag_high_thresh), so it takes no more until its "
                               "timers give some up.",
                               ev->host);
        return true;
    case NS_DROP_NO_SOCKET:
        if (ev->proto == NS_IPPROTO_UDP) {
        g_string_append_printf(out,
                               "No socket on %s is bound to UDP port %u, so the datagram from %s "
                               "has nowhere to go: %s discards it and tells the sender with an "
                               "ICMP port unreachable.",
                               ev->host, ev->dport, ep_of(&s, ev, false), ev->host);
            return true;
        }
        if (ev->proto != NS_IPPROTO_TCP)
            return false;
        g_string_append_printf(out,
                               "No socket on %s, listening or connected, matches %s, so the "
                               "segment is refused: %s answers with RST and the sender's "
                               "connect fails with ECONNREFUSED.",
                               ev->host, ep_of(&d, ev, true), ev->host);
        return true;
    case NS_DROP_FAULT: {
        g_autoptr(GString) f = g_string_new(NULL);
        trace_append_fault(f, ev);
        g_string_append_printf(out,
                               "The scenario itself removes this %s (%s), to show what its loss "
                               "does: the sender is not told.",
                               ev->proto == NS_IPPROTO_TCP ? "segment" : "datagram", f->str);
        return true;
    }
    case NS_DROP_HOST_DOWN:
        g_string_append_printf(out,
                               "%s is down, so nothing takes the frame in: it is lost as if the "
                               "cable were cut.",
                               ev->host);
        return true;
    case NS_DROP_LINK_LOSS:
        g_string_append_printf(out,
                               "%s lost this frame at random, as its loss setting asks; nobody "
                               "is told, %s",
                               ev->where ? ev->where : "The link",
                               ev->proto == NS_IPPROTO_TCP
                                   ? "so only the missing acknowledgement will make TCP send it "
                                     "again."
                                   : "and UDP never sends anything twice: the application must "
                                     "notice the loss on its own.");
        return true;
    case NS_DROP_FILTER:
        if (ev->proto == NS_IPPROTO_TCP && (ev->tcp_flags & NS_TCP_SYN) &&
            !(ev->tcp_flags & NS_TCP_ACK))
            g_hash_table_add(ex->filtered_syns,
                             syn_key(ev->src, ev->sport, ev->dst, ev->dport));
        g_string_append_printf(out,
                               "A filter rule of %s matches this %s and drops it. A plain drop "
                               "tells the sender nothing, so it waits and retries; a reject "
                               "answers at once (ICMP port unreachable, or a TCP RST).",
                               ev->host, ev->proto == NS_IPPROTO_TCP ? "segment" : "datagram");
        return true;
    case NS_DROP_QUEUE_FULL:
        g_string_append_printf(out,
                               "The transmit queue of %s on %s is full (the link sends slower than "
                               "packets arrive), so this one is dropped at the tail; TCP reads "
                               "such losses as congestion and slows down.",
                               ev->host, ev->where ? ev->where : "the link");
        return true;
    case NS_DROP_NO_ROUTE:
        g_string_append_printf(out,
                               "%s has no route to %s: none of its networks contains that address "
                               "and no route or default gateway covers it, so the datagram "
                               "cannot leave.",
                               ev->host, ip_of(&d, ev, true));
        return true;
    case NS_DROP_TTL_EXCEEDED:
        g_string_append_printf(out,
                               "The datagram from %s has used up its %s, so %s may not forward "
                               "it: it is discarded and the sender gets %s time exceeded (the "
                               "message traceroute relies on).",
                               ip_of(&s, ev, false), ev->src6 ? "hop limit" : "TTL", ev->host,
                               ev->src6 ? "ICMPv6" : "ICMP");
        return true;
    case NS_DROP_LINK_DOWN:
        g_string_append_printf(out,
                               "%s is down, so the frame is lost; nothing tells the sender.",
                               ev->where ? ev->where : "The link");
        return true;
    case NS_DROP_CHECKSUM:
        g_string_append_printf(out,
                               "The %s checksum does not match the bytes, so the packet was "
                               "damaged on the way and %s discards it without a word.",
                               P, ev->host);
        return true;
    case NS_DROP_ARP_FAILED:
        g_string_append_printf(out,
                               "Nobody answered %s's ARP requests for the next hop towards %s, "
                               "so the datagram that waited for the answer is thrown away.",
                               ev->host, ip_of(&d, ev, true));
        return true;
    case NS_DROP_RCVBUF_FULL:
        g_string_append_printf(out,
                               "The receive buffer of the socket on port %u is full (its "
                               "application is not reading fast enough), so %s discards the "
                               "datagram.",
                               ev->dport, ev->host);
        return true;
    case NS_DROP_NONE:
    case NS_DROP_LISTEN_QUEUE_FULL:
    case NS_DROP_ACCEPT_QUEUE_FULL:
    case NS_DROP_MALFORMED:
    case NS_DROP_MALFORMED_IP:
    case NS_DROP_NOT_FOR_HOST:
    case NS_DROP_NO_PROTOCOL:
    case NS_DROP_TOO_BIG:
    case NS_DROP_ARP_QUEUE_FULL:
        break;
    }
    return false;
}

static bool explain_send(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    Ep s, d;
    if (ev->frag && ev->frag_off == 0 && ev->src6 &&
        first_time(ex, "frag6-send|%s", ev->host)) {
        /* IPv6: only the source fragments, with a Fragment header. */
        g_string_append_printf(out,
                               "The datagram is larger than the path MTU towards %s, so the "
                               "IPv6 layer of %s sends it in fragments of %" PRIu32 " bytes "
                               "(the MTU less the 40-byte IPv6 header and the 8-byte Fragment "
                               "header, a multiple of 8). Each carries a Fragment header with "
                               "the same identification (%u), where its bytes go (off) and M "
                               "(more fragments) on all but the last; only this first one "
                               "holds the %s header. Routers never cut IPv6 packets: one too "
                               "big for a link gets ICMPv6 packet too big back, and only %s "
                               "puts the fragments together.",
                               ip_of(&d, ev, true), ev->host, ev->payload_len, ev->ip_id,
                               ev->proto == NS_IPPROTO_ICMPV6 ? "ICMPv6" : upper_proto(ev->proto),
                               ip_of(&d, ev, true));
        return true;
    }
    if (ev->frag && ev->frag_off == 0 && !ev->src6 &&
        first_time(ex, "frag-send|%s", ev->host)) {
        g_string_append_printf(out,
                               "The datagram is larger than the MTU of the network it leaves "
                               "by, so the IP layer of %s sends it in fragments of %" PRIu32
                               " bytes (the MTU less the 20-byte header, a multiple of 8), all "
                               "with IP ID %u. Only this first one holds the %s header; each "
                               "other says where its bytes go (off), and MF (more fragments) "
                               "marks all but the last. Fragments leave without DF, so a "
                               "router may cut them again; %s puts them back together.",
                               ev->host, ev->payload_len, ev->ip_id,
                               ev->proto == NS_IPPROTO_ICMP ? "ICMP" : upper_proto(ev->proto),
                               ip_of(&d, ev, true));
        return true;
    }
    if (ev->proto == NS_IPPROTO_ICMP && ev->icmp_type == NS_ICMP_DEST_UNREACH &&
        ev->icmp_code == NS_ICMP_UNREACH_PORT) {
        const NsTraceEvent *r = &host_of(ex, ev->host)->refused;
        if (!r->proto || r->src != ev->dst || !first_time(ex, "unreach-send|%s", ev->host))
            return false;
        g_string_append_printf(out,
                               "%s tells %s that %s port %u is closed; the message quotes the "
                               "first bytes of the refused datagram, so %s can tell which of its "
                               "sockets sent it (port %u).",
                               ev->host, ip_of(&d, ev, true), upper_proto(r->proto), r->dport,
                               ip(&s, r->src), r->sport);
        return true;
    }
    if (ev->proto == NS_IPPROTO_ICMP && ev->icmp_type == NS_ICMP_ECHO_REPLY) {
        if (!first_time(ex, "echo-reply|%s", ev->host))
            return false;
        g_string_append_printf(out,
                               "No application is involved: the IP layer of %s answers the echo "
                               "request itself, with the same id %u and seq %u and the addresses "
                               "swapped.",
                               ev->host, ev->icmp_id, ev->icmp_seq);
        return true;
    }
    if (ev->proto == NS_IPPROTO_ICMP && ev->icmp_type == NS_ICMP_TIME_EXCEEDED) {
        g_string_append_printf(out,
                               "%s reports the discarded datagram to its sender %s, quoting its "
                               "headers.",
                               ev->host, ip_of(&d, ev, true));
        return true;
    }
    HostState *h = host_of(ex, ev->host);
    if (ev->proto == NS_IPPROTO_TCP && h && h->persist_fired && h->persist_addr == ev->src &&
        h->persist_port == ev->sport && ev->payload_len) {
        h->persist_fired = false;
        if (ev->send_why == NS_SEND_PROBE)
            g_string_append_printf(out,
                                   "A zero-window probe: the peer's window is zero, so %s sends "
                                   "one byte beyond it; the peer's answer carries its current "
                                   "window. While it stays zero the probes go on, each wait "
                                   "twice as long as the last.",
                                   ep_of(&s, ev, false));
        else
            g_string_append_printf(out,
                                   "Not a probe: the peer's window was open, but smaller than a "
                                   "full segment, and the sender held the data back to avoid "
                                   "sending tiny segments (silly window syndrome avoidance). "
                                   "When the timer fires it sends what fits anyway (RFC 1122 "
                                   "4.2.3.4): %" PRIu32 " bytes.",
                                   ev->payload_len);
        return true;
    }
    if (ev->proto == NS_IPPROTO_TCP &&
        (ev->send_why == NS_SEND_RTO || ev->send_why == NS_SEND_FAST_RETRANSMIT ||
         ev->send_why == NS_SEND_SACK_RETRANSMIT)) {
        if (ev->send_why != NS_SEND_RTO)
            g_string_append_printf(out,
                                   "Three duplicate ACKs from %s say that the segment at seq %" PRIu32
                                   " is missing while later ones arrived, so %s resends it now "
                                   "instead of waiting for the timeout (fast retransmit).",
                                   ep_of(&d, ev, true), ev->seq, ep_of(&s, ev, false));
        else
            g_string_append_printf(out,
                                   "No acknowledgement for seq %" PRIu32 " came back from %s before "
                                   "the retransmission timeout, so %s sends the segment again and "
                                   "doubles the timeout.",
                                   ev->seq, ep_of(&d, ev, true), ep_of(&s, ev, false));
        return true;
    }
    if (ev->proto == NS_IPPROTO_TCP && (ev->tcp_flags & NS_TCP_RST) &&
        first_time(ex, "rst|%s", ev->host)) {
        g_string_append_printf(out,
                               "RST tells %s to forget the connection at once: no handshake, no "
                               "acknowledgement, no TIME-WAIT.",
                               ep_of(&d, ev, true));
        return true;
    }
    return false;
}

static bool explain_recv(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    Ep s;
    if (ev->ttl && ev->ttl < 64 &&
        first_time(ex, "ttl|%s|%u|%u", ev->host, ev->src, ev->ttl)) {
        unsigned routers = 64u - ev->ttl;
        if (routers == 1)
            g_string_append_printf(out,
                                   "It arrives with TTL %u: it left %s with 64, and the one "
                                   "router on the way took 1 off.",
                                   ev->ttl, ip_of(&s, ev, false));
        else
            g_string_append_printf(out,
                                   "It arrives with TTL %u: it left %s with 64, and each of the "
                                   "%u routers on the way took 1 off.",
                                   ev->ttl, ip_of(&s, ev, false), routers);
        return true;
    }
    return false;
}

static bool explain_fwd(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    Ep d;
    ip_of(&d, ev, true);
    if (!first_time(ex, "fwd|%s|%s", ev->host, d.s))
        return false;
    g_string_append_printf(out,
                           "%s is not one of %s's addresses, so %s, a router, passes the datagram "
                           "on by its routing table and lowers the %s from %u to %u, so that a "
                           "datagram caught in a routing loop dies instead of circling forever.",
                           d.s, ev->host, ev->host, ev->src6 ? "hop limit" : "TTL", ev->ttl + 1u,
                           ev->ttl);
    return true;
}

/* ---- ICMP errors acted on by a socket ---- */

static bool explain_icmp(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    Ep l, r;
    char eb[24];
    const char *err = ev->err ? trace_errno_text(ev->err, eb) : "the error";
    if (ev->icmp_ev == NS_ICMP_EV_IGNORED_UNCONNECTED ||
        ev->icmp_ev == NS_ICMP_EV_IGNORED_NO_TRANSPORT) {
        g_autofree char *key = last_to_key(ev, ev->sport);
        const char *to = g_hash_table_lookup(ex->last_to, key);
        g_string_append_printf(out,
                               "Socket *:%u never called connect: its sendto%s%s returned at "
                               "once, and an unconnected socket may send anywhere, so the error "
                               "cannot be tied to one of its calls; like Linux, netsim drops %s.",
                               ev->sport, to ? " to " : "", to ? to : "", err);
        return true;
    }
    if (ev->icmp_ev == NS_ICMP_EV_QUEUED) {
        HostState *h = host_of(ex, ev->host);
        if (h && ev->err == ns_errno_from_name("ECONNREFUSED"))
            h->refused_by = NS_IPPROTO_UDP;
        g_string_append_printf(out,
                               "The socket %s is connected to %s, so the port unreachable clearly "
                               "concerns it: %s waits on the socket and its next send or recv "
                               "fails with it.",
                               ep_of(&l, ev, false), ep_of(&r, ev, true), err);
        return true;
    }
    return false;
}

/* ---- ARP ---- */

/* "network lan", or "link pc-gw" for a point-to-point link (named after
 * its two hosts, so with a dash). */
static const char *segment_name(const char *where, char *buf, size_t n)
{
    if (!where)
        return "the network";
    g_snprintf(buf, n, "%s %s", strchr(where, '-') ? "link" : "network", where);
    return buf;
}

static bool explain_arp(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    Ep a, b, d;
    char mac[NS_MAC_STRLEN], seg[64];
    HostState *h = host_of(ex, ev->host);
    ns_mac_format(ev->mac, mac);
    switch (ev->arp_ev) {
    case NS_ARP_EV_REQUEST:
        if (ev->unicast) {
            g_string_append_printf(out,
                                   "%s's cache entry for %s is old: it checks it with a request "
                                   "sent to that address alone before trusting it again.",
                                   ev->host, ip_of(&a, ev, false));
            return true;
        }
        if (h->last_dst && h->last_dst != ev->src)
            g_string_append_printf(out,
                                   "%s is not on %s's %s, so the packet goes to the router "
                                   "%s; %s broadcasts an ARP request for the router's Ethernet "
                                   "address (ARP never crosses a router).",
                                   ip(&d, h->last_dst), ev->host,
                                   segment_name(ev->where, seg, sizeof seg), ip_of(&a, ev, false),
                                   ev->host);
        else
            g_string_append_printf(out,
                                   "%s must learn the Ethernet (MAC) address of %s before the "
                                   "packet can leave: it broadcasts the question to every host "
                                   "on %s and keeps the packet waiting.",
                                   ev->host, ip_of(&a, ev, false),
                                   segment_name(ev->where, seg, sizeof seg));
        return true;
    case NS_ARP_EV_REPLY:
        ip_of(&b, ev, true);
        g_string_append_printf(out,
                               "%s owns %s, so it answers %s alone with its MAC address %s (and "
                               "caches %s's address, taken from the request).",
                               ev->host, ip_of(&a, ev, false), b.s, mac, b.s);
        return true;
    case NS_ARP_EV_RESOLVED:
        ip_of(&a, ev, false);
        g_string_append_printf(out,
                               "%s stores %s -> %s in its ARP cache and sends what was waiting; "
                               "the next datagrams to %s leave without asking again.",
                               ev->host, a.s, mac, a.s);
        return true;
    case NS_ARP_EV_FAILED:
        g_string_append_printf(out,
                               "Nobody on %s answered: the address is not in use there (or its "
                               "host is down), so the waiting datagrams are dropped.",
                               ev->where ? ev->where : "the network");
        return true;
    case NS_ARP_EV_EXPIRED:
        break;
    }
    return false;
}

/* ---- TCP state changes ---- */

/* " srv's profile waits 60 s, so it assumes an MSL of 30 s.", or "". */
static const char *msl_text(const HostState *h, char *buf, size_t n)
{
    NsTime tw = h ? h->info.time_wait : 0;
    if (tw <= 0) {
        g_strlcpy(buf, "", n);
        return buf;
    }
    g_snprintf(buf, n, " %s's profile waits %" PRId64 " s, so it assumes an MSL of %" PRId64 " s.",
               h->info.name, tw / NS_S(1), tw / NS_S(2));
    return buf;
}

static bool explain_tcp(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    (void)ex;
    Ep l, r;
    if (ev->tcp_ev == NS_TCP_EV_NAGLE) {
        g_string_append_printf(out,
                               "The application wrote %" PRIu32 " byte%s, less than a full "
                               "segment, while %" PRIu32 " byte%s sent earlier %s not yet "
                               "acknowledged: Nagle's algorithm keeps small writes back until the "
                               "ACK comes, and then sends them together in one segment. If the "
                               "peer delays its ACK, the data waits as long (an application can "
                               "turn this off with TCP_NODELAY).",
                               ev->payload_len, ev->payload_len == 1 ? "" : "s", ev->in_flight,
                               ev->in_flight == 1 ? "" : "s", ev->in_flight == 1 ? "is" : "are");
        return true;
    }
    if (ev->tcp_ev != NS_TCP_EV_STATE)
        return false;
    const char *me = ep_of(&l, ev, false);
    const char *peer = ep_of(&r, ev, true);
    NsTcpState from = ev->tcp_from, to = ev->tcp_to;
    HostState *h = host_of(ex, ev->host);
    char msl[96];
#define is(state, want) ((state) == NS_TCP_STATE_##want)
    if (h && is(from, SYN_SENT) && is(to, CLOSED) && ev->cause == NS_CAUSE_RCV_RST) {
        h->refused_by = NS_IPPROTO_TCP; /* connect will fail with ECONNREFUSED */
        g_autofree char *key = syn_key(ev->src, ev->sport, ev->dst, ev->dport);
        h->refused_by_filter = g_hash_table_contains(ex->filtered_syns, key);
    }
    if (ev->cause == NS_CAUSE_RCV_SYN_LISTENER)
        g_string_append_printf(out,
                               "The SYN from %s creates a new socket %s-%s; the listener stays in "
                               "LISTEN for further clients, and the new socket answers with "
                               "SYN,ACK.",
                               peer, me, peer);
    else if (is(from, CLOSED) && is(to, SYN_SENT))
        g_string_append_printf(out,
                               "connect starts the three-way handshake: %s sends a SYN carrying "
                               "its initial sequence number to %s and waits for SYN,ACK.",
                               me, peer);
    else if (is(from, CLOSED) && is(to, LISTEN))
        g_string_append_printf(out,
                               "listen makes port %u a door for connection requests; the "
                               "listening socket itself will never exchange data.",
                               ev->sport);
    else if (is(from, SYN_SENT) && is(to, ESTABLISHED))
        g_string_append_printf(out,
                               "%s accepted: its SYN,ACK acknowledges the SYN of %s, which "
                               "acknowledges it in turn, and data may flow both ways.",
                               peer, me);
    else if (is(from, SYN_RECEIVED) && is(to, ESTABLISHED))
        g_string_append_printf(out,
                               "The ACK of its SYN,ACK completes the handshake with %s; the "
                               "connection waits in the listener's queue until accept takes it.",
                               peer);
    else if (is(from, SYN_SENT) && is(to, SYN_RECEIVED))
        g_string_append_printf(out,
                               "Both sides sent a SYN at the same time (simultaneous open): %s "
                               "answers %s's SYN with SYN,ACK.",
                               me, peer);
    else if (is(to, CLOSED) && ev->cause == NS_CAUSE_APP_CLOSE_UNREAD)
        g_string_append_printf(out,
                               "The application closed %s while received data was still unread, "
                               "so the data can never be delivered: instead of FIN, TCP sends RST "
                               "and drops the connection at once (RFC 1122 4.2.2.13).",
                               me);
    else if (is(to, CLOSED) && ev->cause == NS_CAUSE_RCV_RST)
        g_string_append_printf(out,
                               "%s reset the connection: %s forgets it at once, and the "
                               "application's next call fails (%s).",
                               peer, me,
                               is(from, SYN_SENT) ? "ECONNREFUSED: nothing listens there"
                                                    : "ECONNRESET");
    else if (is(from, ESTABLISHED) && is(to, FIN_WAIT_1))
        g_string_append_printf(out,
                               "%s has nothing more to send: it sends FIN to %s but can still "
                               "receive until the peer closes too.",
                               me, peer);
    else if (is(from, ESTABLISHED) && is(to, CLOSE_WAIT))
        g_string_append_printf(out,
                               "%s has finished sending (FIN): %s acknowledges it; reads now "
                               "return end-of-file, but it may still send until its application "
                               "closes.",
                               peer, me);
    else if (is(from, FIN_WAIT_1) && is(to, FIN_WAIT_2))
        g_string_append_printf(out,
                               "%s acknowledged our FIN; %s now waits for the peer's own FIN.",
                               peer, me);
    else if (is(from, FIN_WAIT_1) && is(to, CLOSING))
        g_string_append_printf(out,
                               "Both sides closed at the same time: %s's FIN crossed ours, so "
                               "%s waits for the ACK of its own FIN.",
                               peer, me);
    else if (is(to, TIME_WAIT))
        g_string_append_printf(out,
                               "%s closed first, so it waits twice the maximum segment lifetime "
                               "(2MSL) in TIME-WAIT: long enough to resend the last ACK if %s "
                               "repeats its FIN, and for stray old segments to die before the "
                               "same 4-tuple is used again.%s",
                               me, peer, msl_text(h, msl, sizeof msl));
    else if (is(from, CLOSE_WAIT) && is(to, LAST_ACK))
        g_string_append_printf(out,
                               "The application closed too: %s sends its own FIN to %s and waits "
                               "for the last ACK.",
                               me, peer);
    else if (is(from, LAST_ACK) && is(to, CLOSED))
        g_string_append_printf(out,
                               "Our FIN is acknowledged: the connection is gone; %s skips "
                               "TIME-WAIT because %s closed first.",
                               me, peer);
    else if (is(from, TIME_WAIT) && is(to, CLOSED))
        g_string_append_printf(out,
                               "TIME-WAIT is over: the 4-tuple %s-%s may now be used by a new "
                               "connection.",
                               me, peer);
    else if (is(to, CLOSED) && (ev->cause == NS_CAUSE_SYN_RETRIES || ev->cause == NS_CAUSE_RETRANSMISSIONS))
        g_string_append_printf(out,
                               "%s gave up: %s never answered despite repeated retransmissions, "
                               "so the application's call fails with ETIMEDOUT.",
                               me, peer);
    else if (trace_cause_text(ev->cause))
        g_string_append_printf(out, "%s moves from %s to %s because of %s.", me,
                               ns_tcp_state_name(from), ns_tcp_state_name(to),
                               trace_cause_text(ev->cause));
    else
        g_string_append_printf(out, "%s moves from %s to %s because of its own timer.", me,
                               ns_tcp_state_name(from), ns_tcp_state_name(to));
#undef is
    return true;
}

static bool explain_timer(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    if (ev->timer_op != NS_TIMER_FIRED)
        return false;
    HostState *h = host_of(ex, ev->host);
    char msl[96];
    switch (ev->timer) {
    case NS_TIMER_RTO:
        g_string_append(out, "The retransmission timer ran out before an acknowledgement came "
                             "back: the oldest unacknowledged segment goes out again and the "
                             "timeout doubles (exponential backoff).");
        return true;
    case NS_TIMER_TIME_WAIT:
        g_string_append_printf(out, "Twice the maximum segment lifetime has passed: no old "
                                    "segment of this connection can still be on the way.%s",
                               msl_text(h, msl, sizeof msl));
        return true;
    case NS_TIMER_FIN_WAIT_2:
        g_string_append(out, "The application closed this connection and the peer never sent "
                             "its FIN: rather than wait forever in FIN-WAIT-2, the host gives up "
                             "after its FIN-WAIT-2 timeout (Linux's tcp_fin_timeout).");
        return true;
    case NS_TIMER_DELACK:
        g_string_append(out, "Data arrived and the receiver did not acknowledge it at once: it "
                             "waited, hoping to send the ACK along with data of its own. No "
                             "data went back in time, so the delayed-ACK timer ran out and the "
                             "ACK goes out on its own.");
        return true;
    case NS_TIMER_PERSIST:
        /* What it makes the sender do is told with the segment it sends. */
        if (h) {
            h->persist_fired = true;
            h->persist_addr = ev->src;
            h->persist_port = ev->sport;
        }
        g_string_append(out, "The persist timer ran out: data is waiting that the peer's window "
                             "did not let out, and TCP now sends something anyway, so that a "
                             "lost window update cannot stall the connection for ever.");
        return true;
    case NS_TIMER_KEEPALIVE:
        g_string_append(out, "The connection has been idle for long: a keepalive probe checks "
                             "that the peer is still there.");
        return true;
    case NS_TIMER_TLP:
    case NS_TIMER_RACK:
        break;
    }
    return false;
}

static bool explain_app(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    char eb[24];
    Ep t;
    if (ev->app_ev == NS_APP_EV_SOCKET && first_time(ex, "socket|%s", ev->host)) {
        g_string_append(out, "A new socket has no address and no port yet: it gets them from "
                             "bind, connect, or its first send.");
        return true;
    }
    if (ev->app_ev == NS_APP_EV_PING_START && first_time(ex, "ping|%s", ev->host)) {
        ip_of(&t, ev, true);
        g_string_append_printf(out,
                               "ping sends ICMP echo requests to %s: ICMP has no ports, and no "
                               "application answers them there; the IP layer of %s replies by "
                               "itself.",
                               t.s, t.s);
        return true;
    }
    if (ev->err && ev->err == ns_errno_from_name("ECONNREFUSED")) {
        /* Refused by a RST (TCP) or by an ICMP port unreachable (UDP): the
         * same error from two different messages. */
        HostState *h = host_of(ex, ev->host);
        uint8_t by = h ? h->refused_by : 0;
        bool filter = h && h->refused_by_filter;
        if (h)
            h->refused_by = 0, h->refused_by_filter = false;
        if (by == NS_IPPROTO_TCP && filter)
            g_string_append_printf(out,
                                   "The RST that answered the SYN reaches the application as "
                                   "%s, but no closed port sent it: a filter rule of the server "
                                   "rejected the SYN with a reset (reject with tcp-reset), so "
                                   "the client cannot tell it from a port nobody listens on.",
                                   trace_errno_text(ev->err, eb));
        else if (by == NS_IPPROTO_TCP)
            g_string_append_printf(out,
                                   "The RST that answered the SYN reaches the application as "
                                   "%s: the host was there, but no socket listened on that "
                                   "port.",
                                   trace_errno_text(ev->err, eb));
        else if (by == NS_IPPROTO_UDP)
            g_string_append_printf(out,
                                   "The call returns the error an earlier ICMP port unreachable "
                                   "left on the socket: %s, although UDP never set up a "
                                   "connection to refuse.",
                                   trace_errno_text(ev->err, eb));
        else
            return false;
        return true;
    }
    return false;
}

static bool explain_change(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    (void)ex;
    if (ev->kind == NS_TRACE_LINK && ev->link_ev == NS_LINK_EV_DOWN) {
        g_string_append_printf(out, "Every frame put on %s or already on its way is lost until "
                                    "it comes back up; the hosts are not told.",
                               ev->where ? ev->where : "the link");
        return true;
    }
    if (ev->kind == NS_TRACE_HOST && ev->host_ev == NS_HOST_EV_CRASH) {
        g_string_append_printf(out, "%s stops at once: its sockets vanish without sending "
                                    "anything, so its peers learn of it only when they next hear "
                                    "from it.",
                               ev->host);
        return true;
    }
    return false;
}

/* The shape of an explanation: its words, with every word holding a digit
 * (addresses, ports, numbers) and every host name blanked, so that the
 * same explanation about another host or connection has the same shape. */
static char *shape_of(NsExplainer *ex, const char *text)
{
    GString *s = g_string_new(NULL);
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    for (char **w = words; *w; w++) {
        bool digit = false;
        for (const char *c = *w; *c && !digit; c++)
            digit = g_ascii_isdigit(*c);
        g_autofree char *bare = g_strdup(*w);
        g_strstrip(g_strdelimit(bare, ".,:;()'", ' '));
        if (digit)
            g_string_append(s, "# ");
        else if (g_hash_table_contains(ex->hosts, bare))
            g_string_append(s, "@ ");
        else
            g_string_append_printf(s, "%s ", *w);
    }
    return g_string_free(s, FALSE);
}

/* Say a concept in full the first time; after that, its first clause and
 * where the full explanation is, so a run with three clients does not
 * repeat the same paragraph three times. */
static void refer_back(NsExplainer *ex, const NsTraceEvent *ev, GString *out, gsize start)
{
    char *shape = shape_of(ex, out->str + start);
    const NsTime *first = g_hash_table_lookup(ex->said, shape);
    if (!first) {
        NsTime *t = g_new(NsTime, 1);
        *t = ev->time;
        g_hash_table_insert(ex->said, shape, t);
        return;
    }
    g_free(shape);
    const char *text = out->str + start;
    size_t cut = strlen(text);
    for (const char *p = text; *p; p++)
        if ((*p == ':' || *p == ';' || *p == '.') && (p[1] == ' ' || !p[1])) {
            cut = (size_t)(p - text);
            break;
        }
    char t[32];
    ns_trace_format_time(*first, t);
    g_string_truncate(out, start + cut);
    g_string_append_printf(out, " (explained at %s s).", g_strstrip(t));
}

/* Neighbor Discovery, told as ARP's IPv6 counterpart. */
static bool explain_ndp(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    (void)ex;
    char a[NS_IPV6_STRLEN];
    if (ev->target6)
        ns_ipv6_format((const NsIpv6Addr *)(const void *)ev->target6, a);
    else
        g_strlcpy(a, "?", sizeof a);
    switch (ev->ndp_ev) {
    case NS_NDP_EV_SOLICIT:
        if (ev->unicast)
            g_string_append_printf(out,
                                   "%s checks that %s still answers: a solicitation sent to that "
                                   "address alone (IPv6's counterpart of ARP's unicast request).",
                                   ev->host, a);
        else
            g_string_append_printf(out,
                                   "IPv6 has no ARP and no broadcast: %s asks for %s's Ethernet "
                                   "address with a neighbour solicitation sent to %s's "
                                   "solicited-node multicast group, which only hosts whose "
                                   "address ends the same way listen to.",
                                   ev->host, a, a);
        return true;
    case NS_NDP_EV_ADVERT:
        g_string_append_printf(out,
                               "%s owns %s and answers the solicitation with a neighbour "
                               "advertisement sent straight to the asker.",
                               ev->host, a);
        return true;
    case NS_NDP_EV_RESOLVED:
        g_string_append_printf(out,
                               "%s now knows %s's Ethernet address; the datagrams that waited "
                               "for it leave.",
                               ev->host, a);
        return true;
    case NS_NDP_EV_STATE:
        if (ev->neigh_to == NS_NEIGH_DELAY)
            g_string_append_printf(out,
                                   "The entry for %s is stale: %s uses it anyway and gives the "
                                   "upper layers 5 s to confirm the neighbour before it asks "
                                   "itself (RFC 4861 7.3.3).",
                                   a, ev->host);
        else if (ev->neigh_to == NS_NEIGH_PROBE)
            g_string_append_printf(out,
                                   "Nothing confirmed %s within 5 s: %s now asks it directly.",
                                   a, ev->host);
        else
            return false;
        return true;
    case NS_NDP_EV_FAILED:
        g_string_append_printf(out,
                               "No host answered for %s: the datagrams waiting for it are "
                               "dropped and their senders told the address is unreachable.",
                               a);
        return true;
    }
    return false;
}

bool ns_explainer_explain(NsExplainer *ex, const NsTraceEvent *ev, GString *out)
{
    bool said = false;
    gsize start = out->len;
    if (ex->student && tells_failure(ev)) {
        learn(ex, ev);
        return false;
    }
    switch (ev->kind) {
    case NS_TRACE_SOCK:
        said = explain_sock(ex, ev, out);
        break;
    case NS_TRACE_TCP:
        said = explain_tcp(ex, ev, out);
        break;
    case NS_TRACE_SEND:
        said = explain_send(ex, ev, out);
        break;
    case NS_TRACE_RECV:
        said = explain_recv(ex, ev, out);
        break;
    case NS_TRACE_FWD:
        said = explain_fwd(ex, ev, out);
        break;
    case NS_TRACE_DROP:
        said = explain_drop(ex, ev, out);
        break;
    case NS_TRACE_ICMP:
        said = explain_icmp(ex, ev, out);
        break;
    case NS_TRACE_NAT:
    case NS_TRACE_ARP:
        said = explain_arp(ex, ev, out);
        break;
    case NS_TRACE_TIMER:
        said = explain_timer(ex, ev, out);
        break;
    case NS_TRACE_APP:
        said = explain_app(ex, ev, out);
        break;
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
        said = explain_change(ex, ev, out);
        break;
    case NS_TRACE_NDP:
        said = explain_ndp(ex, ev, out);
        break;
    case NS_TRACE_EXPECT:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_KIND_COUNT:
        break;
    }
    if (said)
        refer_back(ex, ev, out, start);
    learn(ex, ev);
    return said;
}
