/* Sequence diagrams from the trace: SEND events become arrows (matched with
 * their RECV to tell delivered from lost), TCP/SOCK/ICMP socket events become
 * notes. Everything is collected during the run and laid out at the end:
 * lifelines are known only then, and so are the long runs to fold. */
#include "netsim/trace-diagram.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/trace-text.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"
#include "netsim/wire/ipv6.h"
#include "trace-private.h"

/* A lifeline is one socket (a listener, each socket accepted from it, a
 * client's connected socket, a UDP socket), or a host itself for what no
 * socket sends or receives (ICMP, the RST for a closed port, forwarding). */
typedef struct {
    char *name;       /* "10.0.0.80:80", "10.0.0.80:80-10.0.0.1:49152", "10.0.0.2" */
    const char *host; /* interned; NULL until known */
    uint8_t proto;    /* 0: the host itself */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    int parent;       /* the listener it was accepted from, or -1 */
    uint32_t sock_id; /* the run's socket id (#N), 0 when not known */
    bool listener;    /* a TCP socket that listened */
    bool closed;      /* its connection reached CLOSED: the line ends there */
    guint first_item; /* the first item drawn on it */
    NsTime created;   /* when the diagram first heard of it */
    GString *addrs;   /* host lifeline: its addresses seen, "a, b" */
} Lifeline;

typedef enum { ITEM_MSG, ITEM_NOTE } ItemKind;

typedef struct {
    ItemKind kind;
    NsTime time; /* a delivered message's: when it arrived */
    /* Where it stands in the drawing: a note, or a message never
     * delivered, where it happened; a delivered message where it arrived,
     * after everything before the arrival and before what the arrival
     * caused (a SYN queued behind ARP is drawn when it reached the
     * server, not at 0). Sorted by (seq, sub). */
    uint64_t seq, sub;
    char *label;
    /* MSG: lifeline from/to; NOTE: `from` is the lifeline it is on. */
    guint from, to;
    bool lost;
    bool foldable;
    uint8_t proto;
    uint32_t bytes;
    /* MSG: the datagram's endpoints (to find its receiver at the end when
     * its host was unknown when it was sent). */
    uint32_t src, dst;
    uint16_t sport, dport;
    bool has_dst6; /* an IPv6 datagram: its destination */
    uint8_t dst6[16];
} Item;

struct NsDiagram {
    char *title;
    GPtrArray *lifelines;  /* Lifeline*, in creation order */
    GPtrArray *hosts;      /* interned names, first-seen order */
    GHashTable *addr_host; /* address -> interned host name */
    GHashTable *addr6_host; /* IPv6 address (16 bytes, owned) -> interned host name */
    GArray *items;         /* Item */
    GHashTable *in_flight; /* packet key -> GQueue of item indices */
    uint64_t arrivals;     /* messages delivered so far (Item.sub) */
    NsTime now;            /* the time of the event being added */
};

static void lifeline_free(gpointer p)
{
    Lifeline *l = p;
    g_free(l->name);
    if (l->addrs)
        g_string_free(l->addrs, TRUE);
    g_free(l);
}

static void queue_free(gpointer p)
{
    g_queue_free(p);
}

NsDiagram *ns_diagram_new(const char *title)
{
    NsDiagram *d = g_new0(NsDiagram, 1);
    d->title = g_strdup(title);
    d->lifelines = g_ptr_array_new_with_free_func(lifeline_free);
    d->hosts = g_ptr_array_new();
    d->addr_host = g_hash_table_new(g_direct_hash, g_direct_equal);
    d->addr6_host = g_hash_table_new_full(ns_ipv6_addr_key_hash, ns_ipv6_addr_key_equal, g_free, NULL);
    d->items = g_array_new(FALSE, TRUE, sizeof(Item));
    d->in_flight = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, queue_free);
    return d;
}

void ns_diagram_free(NsDiagram *d)
{
    if (!d)
        return;
    for (guint i = 0; i < d->items->len; i++)
        g_free(g_array_index(d->items, Item, i).label);
    g_array_free(d->items, TRUE);
    g_ptr_array_free(d->lifelines, TRUE);
    g_ptr_array_free(d->hosts, TRUE);
    g_hash_table_destroy(d->addr_host);
    g_hash_table_destroy(d->addr6_host);
    g_hash_table_destroy(d->in_flight);
    g_free(d->title);
    g_free(d);
}

/* Is lifeline `i` drawn: does some item stand on it? (A guess that an
 * arrival corrected is not.) */
static bool lifeline_used(const NsDiagram *d, guint i)
{
    for (guint k = 0; k < d->items->len; k++) {
        const Item *it = &g_array_index(d->items, Item, k);
        if (it->from == i || it->to == i)
            return true;
    }
    return false;
}

guint ns_diagram_lifelines(const NsDiagram *d)
{
    guint n = 0;
    for (guint i = 0; i < d->lifelines->len; i++)
        n += lifeline_used(d, i);
    return n;
}

guint ns_diagram_lifelines_of(const NsDiagram *d, const char *host)
{
    guint n = 0;
    for (guint i = 0; i < d->lifelines->len; i++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, i);
        if (l->host && host && strcmp(l->host, host) == 0)
            n += lifeline_used(d, i);
    }
    return n;
}

static const char *see_host(NsDiagram *d, const char *host)
{
    if (!host)
        return NULL;
    host = g_intern_string(host);
    for (guint i = 0; i < d->hosts->len; i++)
        if (g_ptr_array_index(d->hosts, i) == host)
            return host;
    g_ptr_array_add(d->hosts, (gpointer)host);
    return host;
}

/* Remember that `addr` belongs to `host` (a host the diagram never sees
 * from its own side is found through it). */
static void see_addr(NsDiagram *d, uint32_t addr, const char *host)
{
    if (addr && host && !g_hash_table_contains(d->addr_host, GUINT_TO_POINTER(addr)))
        g_hash_table_insert(d->addr_host, GUINT_TO_POINTER(addr), (gpointer)host);
}

static void see_addr6(NsDiagram *d, const uint8_t *a6, const char *host)
{
    if (a6 && host && !g_hash_table_contains(d->addr6_host, a6))
        g_hash_table_insert(d->addr6_host, g_memdup2(a6, 16), (gpointer)host);
}

static const char *host_of_addr6(const NsDiagram *d, const uint8_t *a6)
{
    return g_hash_table_lookup(d->addr6_host, a6);
}

static guint add_lifeline(NsDiagram *d, Lifeline *l)
{
    l->first_item = d->items->len;
    l->created = d->now;
    g_ptr_array_add(d->lifelines, l);
    return d->lifelines->len - 1;
}

/* The socket of `host` that a packet from local (laddr, lport) to remote
 * (raddr, rport) belongs to, as the host's demultiplexer finds it: the
 * connected socket with exactly that pair, else a socket bound to that
 * port (on that address or on any) with no remote; -1 for none. */
static int find_socket_before(const NsDiagram *d, NsTime before, const char *host, uint8_t proto,
                              uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    int wild = -1;
    for (guint i = d->lifelines->len; i-- > 0;) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, i);
        if (l->host != host || l->proto != proto || !proto || l->lport != lport ||
            l->created > before)
            continue;
        if (l->raddr && l->raddr == raddr && l->rport == rport &&
            (l->laddr == laddr || !l->laddr))
            return (int)i;
        if (!l->raddr && (!l->laddr || l->laddr == laddr) && wild < 0)
            wild = (int)i;
    }
    return wild;
}

/* The same, for a packet now (sockets created so far). */
static int find_socket(const NsDiagram *d, const char *host, uint8_t proto, uint32_t laddr,
                       uint16_t lport, uint32_t raddr, uint16_t rport)
{
    return find_socket_before(d, INT64_MAX, host, proto, laddr, lport, raddr, rport);
}

/* The lifeline of the host itself (created on first use), named by its
 * addresses as packets show them: `addr`, or the IPv6 address a6 (16
 * bytes) when it is not NULL. */
static guint host_lifeline6(NsDiagram *d, const char *host, uint32_t addr, const uint8_t *a6)
{
    g_autoptr(GString) a = g_string_new(NULL);
    if (a6) {
        char t[NS_IPV6_STRLEN];
        ns_ipv6_format((const NsIpv6Addr *)(const void *)a6, t);
        g_string_append(a, t);
    } else {
        trace_append_endpoint(a, addr, 0, false);
    }
    bool has = addr || a6;
    for (guint i = 0; i < d->lifelines->len; i++) {
        Lifeline *l = g_ptr_array_index(d->lifelines, i);
        if (l->proto || l->host != host || (!host && (a6 || l->laddr != addr)))
            continue;
        /* A host with several addresses (a router) is one lifeline. */
        bool seen = false;
        g_auto(GStrv) parts = g_strsplit(l->addrs->str, ", ", -1);
        for (char **p = parts; *p && !seen; p++)
            seen = strcmp(*p, a->str) == 0;
        if (!seen && has) {
            g_string_append_printf(l->addrs, "%s%s", l->addrs->len ? ", " : "", a->str);
            g_free(l->name);
            l->name = g_strdup(l->addrs->str);
        }
        return i;
    }
    Lifeline *l = g_new0(Lifeline, 1);
    l->host = host;
    l->laddr = addr;
    l->parent = -1;
    l->addrs = g_string_new(NULL);
    if (has)
        g_string_append(l->addrs, a->str);
    /* Named by its addresses; a router first seen forwarding, by its name. */
    l->name = g_strdup(l->addrs->len ? l->addrs->str : host ? host : "router");
    return add_lifeline(d, l);
}

static guint host_lifeline(NsDiagram *d, const char *host, uint32_t addr)
{
    return host_lifeline6(d, host, addr, NULL);
}

/* A new socket lifeline for an event about a socket of `host`. */
static guint socket_lifeline(NsDiagram *d, const char *host, const NsTraceEvent *ev, int parent)
{
    Lifeline *l = g_new0(Lifeline, 1);
    l->host = host;
    l->proto = ev->proto;
    l->laddr = ev->src;
    l->lport = ev->sport;
    l->raddr = ev->dst;
    l->rport = ev->dport;
    l->parent = parent;
    l->sock_id = ev->sock_id;
    GString *n = g_string_new(NULL);
    if (ev->sock_id)
        g_string_append_printf(n, "#%u ", ev->sock_id);
    trace_append_end(n, ev, false, true);
    if (parent >= 0) {
        /* Accepted sockets share their local endpoint: the pair tells them apart. */
        g_string_append_c(n, '-');
        trace_append_end(n, ev, true, true);
    }
    l->name = g_string_free(n, FALSE);
    return add_lifeline(d, l);
}

/* The host an address belongs to, as far as the diagram has seen. */
static const char *host_of_addr(const NsDiagram *d, uint32_t addr)
{
    return g_hash_table_lookup(d->addr_host, GUINT_TO_POINTER(addr));
}

/* The lifeline at `host` for a packet it receives (or would receive):
 * its socket, else the host itself. */
static guint receiver(NsDiagram *d, const char *host, const NsTraceEvent *ev)
{
    int l = trace_has_ports(ev->proto)
                ? find_socket(d, host, ev->proto, ev->dst, ev->dport, ev->src, ev->sport)
                : -1;
    return l >= 0 ? (guint)l : host_lifeline6(d, host, ev->dst, ev->dst6);
}

/* What identifies one datagram between its SEND and its RECV: addresses,
 * ports and sizes, and the IPv4 identification field when the event carries
 * the datagram's bytes (so a lost datagram is not confused with the next,
 * identical one). Datagrams that still look alike are matched in order. */
static char *packet_key(const NsTraceEvent *ev)
{
    /* A fragmented datagram: its first fragment, whatever size a router
     * cut it to on the way. */
    if (ev->frag && ev->src6 && ev->dst6) {
        char a[NS_IPV6_STRLEN], b[NS_IPV6_STRLEN];
        ns_ipv6_format((const NsIpv6Addr *)(const void *)ev->src6, a);
        ns_ipv6_format((const NsIpv6Addr *)(const void *)ev->dst6, b);
        return g_strdup_printf("F|%u|%s|%s|%u", ev->proto, a, b, ev->ip_id);
    }
    if (ev->frag)
        return g_strdup_printf("F|%u|%08x|%08x|%u", ev->proto, ev->src, ev->dst, ev->ip_id);
    unsigned ip_id = ev->bytes && ev->bytes_len >= 20 ? (unsigned)(ev->bytes[4] << 8 | ev->bytes[5])
                                                       : 0;
    if (ev->src6 && ev->dst6) {
        char a[NS_IPV6_STRLEN], b[NS_IPV6_STRLEN];
        ns_ipv6_format((const NsIpv6Addr *)(const void *)ev->src6, a);
        ns_ipv6_format((const NsIpv6Addr *)(const void *)ev->dst6, b);
        return g_strdup_printf("%u|[%s]:%u|[%s]:%u|%u|%u|%u|%u", ev->proto, a, ev->sport, b,
                               ev->dport, ev->ip_len, ev->icmp_type, ev->icmp_seq, ev->tcp_flags);
    }
    return g_strdup_printf("%u|%08x:%u|%08x:%u|%u|%u|%u|%u|%u", ev->proto, ev->src, ev->sport,
                           ev->dst, ev->dport, ev->ip_len, ev->icmp_type, ev->icmp_seq,
                           ev->tcp_flags, ip_id);
}

/* Why a segment was sent, as an arrow says it; NULL for plain sending. */
static const char *send_why(NsSendWhy why)
{
    switch (why) {
    case NS_SEND_RTO:
        return "retransmission: RTO expired";
    case NS_SEND_FAST_RETRANSMIT:
        return "fast retransmit: 3 duplicate ACKs";
    case NS_SEND_SACK_RETRANSMIT:
        return "retransmission: SACK shows it lost";
    case NS_SEND_TLP:
        return "tail loss probe";
    case NS_SEND_NORMAL:
    case NS_SEND_FAULT:
    case NS_SEND_PROBE:
    case NS_SEND_WINDOW_UPDATE:
    case NS_SEND_DELAYED_ACK:
    case NS_SEND_CHALLENGE_ACK:
    case NS_SEND_KEEPALIVE:
    case NS_SEND_PMTU:
        break;
    }
    return trace_send_why_text(why);
}

static char *message_label(const NsTraceEvent *ev)
{
    GString *s = g_string_new(NULL);
    switch (ev->proto) {
    case NS_IPPROTO_TCP:
        g_string_append(s, "TCP");
        trace_append_tcp(s, ev);
        if (ev->payload_len && !ev->frag)
            g_string_append_printf(s, " len %" PRIu32, ev->payload_len);
        break;
    case NS_IPPROTO_UDP:
        if (ev->frag)
            g_string_append(s, "UDP");
        else
            g_string_append_printf(s, "UDP %" PRIu32 "B", ev->payload_len);
        break;
    case NS_IPPROTO_ICMP:
        g_string_append_printf(s, "ICMP %s", trace_icmp_name(ev->icmp_type, ev->icmp_code));
        if (ev->icmp_type == NS_ICMP_ECHO_REQUEST || ev->icmp_type == NS_ICMP_ECHO_REPLY)
            g_string_append_printf(s, " seq %u", ev->icmp_seq);
        break;
    case NS_IPPROTO_ICMPV6:
        g_string_append_printf(s, "ICMPv6 %s", trace_icmp6_name(ev->icmp_type, ev->icmp_code));
        if (ev->icmp_type == NS_ICMP6_ECHO_REQUEST || ev->icmp_type == NS_ICMP6_ECHO_REPLY)
            g_string_append_printf(s, " seq %u", ev->icmp_seq);
        break;
    default:
        g_string_append_printf(s, "IP proto %u", ev->proto);
        break;
    }
    if (ev->frag)
        g_string_append(s, " in fragments");
    if (ev->summary)
        g_string_append_printf(s, " \xc2\xb7 %s", ev->summary);
    /* Why it was sent when that is not plain new data: a retransmission
     * and its reason, a probe, a window update. */
    const char *why = ev->kind == NS_TRACE_SEND ? send_why(ev->send_why) : NULL;
    if (why)
        g_string_append_printf(s, " (%s)", why);
    if (ev->kind == NS_TRACE_FWD)
        g_string_append_printf(s, " ttl %u", ev->ttl);
    return g_string_free(s, FALSE);
}

static void push_in_flight(NsDiagram *d, const NsTraceEvent *ev, guint item)
{
    char *key = packet_key(ev);
    GQueue *q = g_hash_table_lookup(d->in_flight, key);
    if (!q) {
        q = g_queue_new();
        g_hash_table_insert(d->in_flight, key, q);
    } else {
        g_free(key);
    }
    g_queue_push_tail(q, GUINT_TO_POINTER(item));
}

/* The item of the datagram `ev` reports at its next stop, or NULL. */
static Item *pop_in_flight(NsDiagram *d, const NsTraceEvent *ev)
{
    g_autofree char *key = packet_key(ev);
    GQueue *q = g_hash_table_lookup(d->in_flight, key);
    if (!q || g_queue_is_empty(q))
        return NULL;
    return &g_array_index(d->items, Item, GPOINTER_TO_UINT(g_queue_pop_head(q)));
}

/* An arrow from `from`: to the socket that will receive it if the diagram
 * knows it (a RECV or FWD event corrects it), else to the host. */
static void add_arrow(NsDiagram *d, const NsTraceEvent *ev, guint from)
{
    Item it = {.kind = ITEM_MSG, .time = ev->time, .seq = 2 * (uint64_t)d->items->len,
               .lost = true, .proto = ev->proto,
               .bytes = ev->payload_len, .from = from, .src = ev->src, .dst = ev->dst,
               .sport = ev->sport, .dport = ev->dport};
    if (ev->dst6) {
        it.has_dst6 = true;
        memcpy(it.dst6, ev->dst6, 16);
    }
    const char *to_host = ev->dst6 ? host_of_addr6(d, ev->dst6) : host_of_addr(d, ev->dst);
    it.to = receiver(d, to_host, ev);
    it.label = message_label(ev);
    switch (ev->proto) {
    case NS_IPPROTO_TCP:
        it.foldable = !(ev->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST)) &&
                      ev->send_why == NS_SEND_NORMAL;
        break;
    case NS_IPPROTO_UDP:
        it.foldable = true;
        break;
    case NS_IPPROTO_ICMP:
        it.foldable = ev->icmp_type == NS_ICMP_ECHO_REQUEST || ev->icmp_type == NS_ICMP_ECHO_REPLY;
        break;
    case NS_IPPROTO_ICMPV6:
        it.foldable = ev->icmp_type == NS_ICMP6_ECHO_REQUEST || ev->icmp_type == NS_ICMP6_ECHO_REPLY;
        break;
    default:
        break;
    }
    g_array_append_val(d->items, it);
    push_in_flight(d, ev, d->items->len - 1);
}

static void add_send(NsDiagram *d, const NsTraceEvent *ev)
{
    const char *host = see_host(d, ev->host);
    see_addr(d, ev->src, host);
    see_addr6(d, ev->src6, host);
    int from = trace_has_ports(ev->proto)
                   ? find_socket(d, host, ev->proto, ev->src, ev->sport, ev->dst, ev->dport)
                   : -1;
    add_arrow(d, ev, from >= 0 ? (guint)from : host_lifeline6(d, host, ev->src, ev->src6));
}

/* A message reached its next stop at ev->time: it is drawn there. */
static void arrived(NsDiagram *d, Item *it, const NsTraceEvent *ev)
{
    it->lost = false;
    it->time = ev->time;
    it->seq = 2 * (uint64_t)d->items->len - 1;
    it->sub = ++d->arrivals;
}

static void add_recv(NsDiagram *d, const NsTraceEvent *ev)
{
    const char *host = see_host(d, ev->host);
    see_addr(d, ev->dst, host);
    see_addr6(d, ev->dst6, host);
    Item *it = pop_in_flight(d, ev);
    if (!it)
        return;
    arrived(d, it, ev);
    it->to = receiver(d, host, ev);
}

/* A router forwards: the arrow ends at the router, and a new one (with
 * the TTL it now has) leaves it. */
static void add_fwd(NsDiagram *d, const NsTraceEvent *ev)
{
    const char *host = see_host(d, ev->host);
    Item *it = pop_in_flight(d, ev);
    guint router = host_lifeline(d, host, 0);
    if (it) {
        arrived(d, it, ev);
        it->to = router;
    }
    add_arrow(d, ev, router);
}

/* The lifeline a socket event is about, created when it is a socket the
 * diagram has not seen: a socket accepted from a listener of that port
 * when the listener exists, else a socket of its own. */
/* The lifeline of socket #id on `host`, or -1. */
static int by_id(const NsDiagram *d, const char *host, uint32_t id)
{
    for (guint i = 0; id && i < d->lifelines->len; i++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, i);
        if (l->host == host && l->sock_id == id)
            return (int)i;
    }
    return -1;
}

static guint event_socket(NsDiagram *d, const char *host, const NsTraceEvent *ev)
{
    int known = by_id(d, host, ev->sock_id);
    if (known >= 0) {
        /* The same socket, maybe bound to an address or connected since. */
        Lifeline *k = g_ptr_array_index(d->lifelines, known);
        k->laddr = ev->src ? ev->src : k->laddr;
        if (ev->dst) {
            k->raddr = ev->dst;
            k->rport = ev->dport;
        }
        return (guint)known;
    }
    if (ev->parent_id) {
        int p = by_id(d, host, ev->parent_id);
        if (p >= 0)
            return socket_lifeline(d, host, ev, p);
    }
    int l = find_socket(d, host, ev->proto, ev->src, ev->sport, ev->dst, ev->dport);
    if (l >= 0) {
        const Lifeline *f = g_ptr_array_index(d->lifelines, l);
        if (f->raddr == ev->dst && f->rport == ev->dport)
            return (guint)l; /* that very socket */
    }
    int parent = -1;
    if (l >= 0 && ev->dst && ev->proto == NS_IPPROTO_TCP &&
        ((const Lifeline *)g_ptr_array_index(d->lifelines, l))->listener)
        parent = l;
    return socket_lifeline(d, host, ev, parent);
}

static void note_on(NsDiagram *d, const NsTraceEvent *ev, guint on, char *label)
{
    Item it = {.kind = ITEM_NOTE, .time = ev->time, .seq = 2 * (uint64_t)d->items->len,
               .label = label, .from = on, .to = on, .proto = ev->proto};
    g_array_append_val(d->items, it);
}

static void add_note(NsDiagram *d, const NsTraceEvent *ev)
{
    const char *host = see_host(d, ev->host);
    see_addr(d, ev->src, host);
    see_addr6(d, ev->src6, host);
    guint on = trace_has_ports(ev->proto) ? event_socket(d, host, ev)
                                          : host_lifeline6(d, host, ev->src, ev->src6);
    Lifeline *l = g_ptr_array_index(d->lifelines, on);
    GString *s = g_string_new(NULL);
    char eb[24];
    const char *cause = NULL;
    switch (ev->kind) {
    case NS_TRACE_TCP:
        if (ev->tcp_ev == NS_TCP_EV_STATE && ev->cause == NS_CAUSE_RCV_SYN_LISTENER &&
            l->parent >= 0) {
            /* Its first state: it never was the listener, it came from it. */
            const Lifeline *p = g_ptr_array_index(d->lifelines, l->parent);
            g_string_append_printf(s, "new socket #%u from listener %s: %s", ev->sock_id, p->name,
                                   ns_tcp_state_name(ev->tcp_to));
            note_on(d, ev, on, g_string_free(s, FALSE));
            return;
        }
        switch (ev->tcp_ev) {
        case NS_TCP_EV_STATE:
            g_string_append_printf(s, "%s -> %s", ns_tcp_state_name(ev->tcp_from),
                                   ns_tcp_state_name(ev->tcp_to));
            if (ev->tcp_to == NS_TCP_STATE_LISTEN)
                l->listener = true;
            if (ev->tcp_to == NS_TCP_STATE_CLOSED)
                l->closed = true;
            break;
        case NS_TCP_EV_CWND:
            g_string_append_printf(s, "cwnd %" PRIu32 " ssthresh %" PRIu32, ev->cwnd,
                                   ev->ssthresh);
            break;
        case NS_TCP_EV_CONGESTION:
            g_string_append_printf(s, "congestion %s -> %s", ns_tcp_ca_name(ev->ca_from),
                                   ns_tcp_ca_name(ev->ca_to));
            break;
        case NS_TCP_EV_NAGLE:
            g_string_append_printf(s, "Nagle holds %" PRIu32 " B", ev->payload_len);
            break;
        }
        cause = trace_cause_text(ev->cause);
        break;
    case NS_TRACE_ICMP:
        if (ev->err)
            g_string_append_printf(s, "%s ", trace_errno_text(ev->err, eb));
        g_string_append(s, trace_icmp_ev_text(ev->icmp_ev));
        break;
    case NS_TRACE_SOCK:
        g_string_append_printf(s, "%s %s", trace_proto_name(ev->proto) ? trace_proto_name(ev->proto)
                                                                         : "ip",
                               trace_sock_op_text(ev->sock_op) ? trace_sock_op_text(ev->sock_op)
                                                               : "socket");
        cause = trace_sock_why_text(ev);
        break;
    case NS_TRACE_APP:
    case NS_TRACE_SEND:
    case NS_TRACE_RECV:
    case NS_TRACE_FWD:
    case NS_TRACE_DROP:
    case NS_TRACE_TIMER:
    case NS_TRACE_ARP:
    case NS_TRACE_NDP:
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
    case NS_TRACE_EXPECT:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_NAT:
    case NS_TRACE_KIND_COUNT:
        break;
    }
    if (cause)
        g_string_append_printf(s, " (%s)", cause);
    note_on(d, ev, on, g_string_free(s, FALSE));
}


/* A datagram a host received and threw away (no socket for its port, a
 * full queue): a note where it arrived. Losses on the way are crossed
 * arrows already. */
static void add_drop(NsDiagram *d, const NsTraceEvent *ev)
{
    const char *host = ev->host ? see_host(d, ev->host) : NULL;
    if (!host || ev->where || host_of_addr(d, ev->dst) != host)
        return;
    const char *why = trace_drop_text(ev);
    if (!why && ev->drop == NS_DROP_FAULT)
        why = "by a targeted fault";
    if (!why && ev->drop == NS_DROP_FILTER)
        why = "by a filter rule";
    note_on(d, ev, receiver(d, host, ev),
            why ? g_strdup_printf("dropped: %s", why) : g_strdup("dropped"));
}

/* A call that failed: a note on the socket the host last wrote about at
 * that moment (a connect refused: on the socket the RST closed). */
static void add_app_error(NsDiagram *d, const NsTraceEvent *ev)
{
    const char *host = ev->host ? see_host(d, ev->host) : NULL;
    if (!host || !ev->err || !ev->what)
        return;
    for (guint i = d->items->len; i-- > 0;) {
        const Item *it = &g_array_index(d->items, Item, i);
        if (it->time != ev->time)
            break;
        const Lifeline *l = g_ptr_array_index(d->lifelines, it->from);
        if (it->kind != ITEM_NOTE || l->host != host || !l->proto)
            continue;
        char eb[24];
        note_on(d, ev, it->from,
                g_strdup_printf("%s fails: %s", ev->what, trace_errno_text(ev->err, eb)));
        return;
    }
}

void ns_diagram_add(NsDiagram *d, const NsTraceEvent *ev)
{
    d->now = ev->time;
    /* A datagram in fragments is one arrow, its first fragment's; the
     * others add nothing a reader follows (the text trace has them). */
    if (ev->frag && ev->frag_off)
        return;
    switch (ev->kind) {
    case NS_TRACE_SEND:
        if (ev->proto)
            add_send(d, ev);
        break;
    case NS_TRACE_RECV:
        if (ev->proto)
            add_recv(d, ev);
        break;
    case NS_TRACE_FWD:
        if (ev->proto)
            add_fwd(d, ev);
        break;
    case NS_TRACE_TCP:
    case NS_TRACE_SOCK:
        add_note(d, ev);
        break;
    case NS_TRACE_ICMP:
        if (ev->proto)
            add_note(d, ev);
        break;
    case NS_TRACE_DROP:
        if (ev->proto)
            add_drop(d, ev);
        break;
    case NS_TRACE_APP:
        add_app_error(d, ev);
        break;
    case NS_TRACE_TIMER:
    case NS_TRACE_ARP:
    case NS_TRACE_NDP:
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
    case NS_TRACE_EXPECT:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_NAT:
    case NS_TRACE_KIND_COUNT:
        break;
    }
}

/* Packets lost before the diagram knew their destination's host: now that
 * the run is over, the host may be known; draw them to the socket that
 * existed there when they were sent (else to the host). */
static void resolve_late(NsDiagram *d)
{
    for (guint k = 0; k < d->items->len; k++) {
        Item *it = &g_array_index(d->items, Item, k);
        const Lifeline *to = g_ptr_array_index(d->lifelines, it->to);
        if (it->kind != ITEM_MSG || to->host)
            continue;
        const char *host = it->has_dst6 ? host_of_addr6(d, it->dst6) : host_of_addr(d, it->dst);
        if (!host)
            continue;
        int l = trace_has_ports(it->proto) ? find_socket_before(d, it->time, host, it->proto, it->dst,
                                                                it->dport, it->src, it->sport)
                                           : -1;
        it = &g_array_index(d->items, Item, k); /* host_lifeline may grow nothing here */
        it->to = l >= 0                ? (guint)l
                 : it->has_dst6 ? host_lifeline6(d, host, 0, it->dst6)
                                : host_lifeline(d, host, it->dst);
    }
}

/* ---- layout: the order of lifelines, runs folded ---- */

typedef struct {
    guint n;        /* lifelines */
    guint *column;  /* lifeline index -> column */
    guint *at;      /* column -> lifeline index */
    GPtrArray *groups; /* host name per column group, in order */
    guint *group_of;   /* column -> group */
    /* Rows (after place_heads()): a column's head is at the top, or at the
     * ROW_HEAD row where its socket first appears; its line ends at `last`. */
    bool *top;
    guint *last;
} Layout;

/* The lifeline that orders `i` among its host's: its listener's for an
 * accepted socket, so that they stand side by side. */
static guint root_of(const NsDiagram *d, guint i)
{
    const Lifeline *l = g_ptr_array_index(d->lifelines, i);
    return l->parent >= 0 ? (guint)l->parent : i;
}

/* Columns: grouped by host in the order hosts were first seen; within a
 * host, the host itself first, then sockets in creation order, each
 * listener followed by the sockets accepted from it. */
static void layout_init(const NsDiagram *d, Layout *lay)
{
    lay->n = d->lifelines->len;
    lay->column = g_new0(guint, lay->n + 1);
    lay->at = g_new0(guint, lay->n + 1);
    lay->group_of = g_new0(guint, lay->n + 1);
    lay->top = g_new0(bool, lay->n + 1);
    lay->last = g_new0(guint, lay->n + 1);
    lay->groups = g_ptr_array_new();
    /* A lifeline no item is drawn on (a guess an arrival corrected) is
     * left out: no lifeline for a socket that never existed. */
    g_autofree bool *used = g_new0(bool, lay->n + 1);
    for (guint k = 0; k < d->items->len; k++) {
        const Item *it = &g_array_index(d->items, Item, k);
        used[it->from] = used[it->to] = true;
    }
    g_autoptr(GPtrArray) hosts = g_ptr_array_copy(d->hosts, NULL, NULL);
    g_ptr_array_add(hosts, NULL); /* lifelines of no known host last */
    guint col = 0;
    for (guint h = 0; h < hosts->len; h++) {
        const char *host = g_ptr_array_index(hosts, h);
        bool any = false;
        for (int pass = 0; pass < 2; pass++) {
            for (guint r = 0; r < lay->n; r++) {
                const Lifeline *root = g_ptr_array_index(d->lifelines, r);
                if (root->host != host || root->parent >= 0 || (pass == 0) != (root->proto == 0))
                    continue;
                for (guint i = r; i < lay->n; i++) {
                    const Lifeline *l = g_ptr_array_index(d->lifelines, i);
                    if (root_of(d, i) != r || l->host != host || !used[i])
                        continue;
                    if (!any)
                        g_ptr_array_add(lay->groups, (gpointer)(host ? host : "elsewhere"));
                    any = true;
                    lay->column[i] = col;
                    lay->at[col] = i;
                    lay->group_of[col] = lay->groups->len - 1;
                    col++;
                }
            }
        }
    }
    lay->n = col;
}

static void layout_clear(Layout *lay)
{
    g_free(lay->column);
    g_free(lay->at);
    g_free(lay->group_of);
    g_free(lay->top);
    g_free(lay->last);
    g_ptr_array_free(lay->groups, TRUE);
}

/* A row of the finished diagram. */
typedef enum { ROW_MSG, ROW_NOTE, ROW_FOLD, ROW_HEAD } RowKind;

typedef struct {
    RowKind kind;
    NsTime time;
    const char *label; /* borrowed from the item, or owned by `owned` */
    char *owned;
    guint a, b; /* columns: MSG from/to; NOTE/FOLD span */
    bool lost;
} Row;

static bool same_run(const Item *x, const Item *y)
{
    guint xa = MIN(x->from, x->to), xb = MAX(x->from, x->to);
    guint ya = MIN(y->from, y->to), yb = MAX(y->from, y->to);
    return y->kind == ITEM_MSG && y->foldable && !y->lost && y->proto == x->proto && xa == ya &&
           xb == yb;
}

static gint item_order(gconstpointer a, gconstpointer b)
{
    const Item *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->sub < y->sub ? -1 : x->sub > y->sub;
}

static GArray *build_rows(const NsDiagram *d, const Layout *lay)
{
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(Row));
    /* The items in drawing order (labels stay owned by d->items). */
    g_autoptr(GArray) sorted = g_array_copy(d->items);
    g_array_sort(sorted, item_order);
    const Item *items = (const Item *)(const void *)sorted->data;
    guint n = sorted->len;
    for (guint i = 0; i < n;) {
        const Item *it = &items[i];
        if (it->kind == ITEM_NOTE) {
            Row r = {.kind = ROW_NOTE, .time = it->time, .label = it->label,
                     .a = lay->column[it->from], .b = lay->column[it->from]};
            g_array_append_val(rows, r);
            i++;
            continue;
        }
        guint j = i + 1;
        if (it->foldable && !it->lost)
            while (j < n && same_run(it, &items[j]))
                j++;
        guint len = j - i;
        for (guint k = i; k < j; k++) {
            if (len > NS_DIAGRAM_FOLD_AFTER && k == i + 3) {
                uint64_t bytes = 0;
                for (guint m = i + 3; m < j - 2; m++)
                    bytes += items[m].bytes;
                const char *what = it->proto == NS_IPPROTO_TCP   ? "segments"
                                   : it->proto == NS_IPPROTO_UDP ? "datagrams"
                                                                 : "messages";
                Row r = {.kind = ROW_FOLD, .time = items[k].time,
                         .owned = g_strdup_printf("... %u %s, %" PRIu64 " bytes of data ...",
                                                  len - 5, what, bytes),
                         .a = MIN(lay->column[it->from], lay->column[it->to]),
                         .b = MAX(lay->column[it->from], lay->column[it->to])};
                r.label = r.owned;
                g_array_append_val(rows, r);
                k = j - 3; /* the loop's k++ lands on the last two */
                continue;
            }
            const Item *m = &items[k];
            Row r = {.kind = ROW_MSG, .time = m->time, .label = m->label,
                     .a = lay->column[m->from], .b = lay->column[m->to], .lost = m->lost};
            g_array_append_val(rows, r);
        }
        i = j;
    }
    return rows;
}

/* A socket that appears after the start of the run gets its head where it
 * first appears (a ROW_HEAD row before that row): an accepted socket
 * starts where the SYN arrived. Those there from the first moment have
 * theirs at the top. Also sets each column's last row: a socket whose
 * connection closed ends at its last item, any other (a listener still
 * listening, a host) runs to the end. */
static GArray *place_heads(const NsDiagram *d, GArray *rows, Layout *lay)
{
    GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(Row), rows->len + lay->n);
    g_autofree bool *seen = g_new0(bool, lay->n + 1);
    NsTime start = rows->len ? g_array_index(rows, Row, 0).time : 0;
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        guint cols[2] = {r->a, r->b};
        for (int k = 0; k < 2; k++) {
            guint c = cols[k];
            if (seen[c])
                continue;
            seen[c] = true;
            if (r->time == start) {
                lay->top[c] = true;
                continue;
            }
            Row h = {.kind = ROW_HEAD, .time = r->time, .a = c, .b = c};
            g_array_append_val(out, h);
            lay->last[c] = out->len - 1;
        }
        g_array_append_val(out, *r);
        lay->last[r->a] = lay->last[r->b] = out->len - 1;
    }
    for (guint c = 0; c < lay->n && out->len; c++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, lay->at[c]);
        if (!l->closed)
            lay->last[c] = out->len - 1;
    }
    g_array_free(rows, TRUE);
    return out;
}

static void rows_free(GArray *rows)
{
    for (guint i = 0; i < rows->len; i++)
        g_free(g_array_index(rows, Row, i).owned);
    g_array_free(rows, TRUE);
}

/* ---- Mermaid ---- */

/* Mermaid reads '#', ';', '<' and '>' specially in text: write them as its
 * numeric entity codes. */
static void mmd_text(GString *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '#':
        case ';':
        case '<':
        case '>':
        case '"':
            g_string_append_printf(s, "#%d;", (unsigned char)*p);
            break;
        case '\n':
        case '\r':
            g_string_append_c(s, ' ');
            break;
        default:
            g_string_append_c(s, *p);
        }
    }
}

static char *render_mermaid(const NsDiagram *d, const Layout *lay, GArray *rows)
{
    GString *s = g_string_new("sequenceDiagram\n");
    if (d->title) {
        g_string_append(s, "    title ");
        mmd_text(s, d->title);
        g_string_append_c(s, '\n');
    }
    if (lay->n == 0)
        g_string_append(s, "    %% no packet crossed the network\n");
    for (guint c = 0; c < lay->n; c++) {
        if (c == 0 || lay->group_of[c] != lay->group_of[c - 1]) {
            g_string_append(s, "    box rgb(245,245,250) ");
            mmd_text(s, g_ptr_array_index(lay->groups, lay->group_of[c]));
            g_string_append_c(s, '\n');
        }
        const Lifeline *l = g_ptr_array_index(d->lifelines, lay->at[c]);
        g_string_append_printf(s, "    participant p%u as ", c);
        mmd_text(s, l->name);
        g_string_append_c(s, '\n');
        if (c + 1 == lay->n || lay->group_of[c + 1] != lay->group_of[c])
            g_string_append(s, "    end\n");
    }
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        switch (r->kind) {
        case ROW_MSG:
            g_string_append_printf(s, "    p%u%sp%u: ", r->a, r->lost ? "-x" : "->>", r->b);
            mmd_text(s, r->label);
            if (r->lost)
                g_string_append(s, " (lost)");
            break;
        case ROW_HEAD: /* Mermaid declares every participant at the top */
            continue;
        case ROW_NOTE:
        case ROW_FOLD:
            if (r->a == r->b)
                g_string_append_printf(s, "    Note over p%u: ", r->a);
            else
                g_string_append_printf(s, "    Note over p%u,p%u: ", r->a, r->b);
            mmd_text(s, r->label);
            break;
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* ---- SVG ---- */

#define SVG_LEFT 96  /* time column */
#define SVG_COL 190  /* narrowest column of a lifeline */
#define SVG_CHAR 7   /* width of a character at font-size 11, monospace */
#define SVG_TOP 78   /* first row */
#define SVG_ROW 34

static void xml_text(GString *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&':
            g_string_append(s, "&amp;");
            break;
        case '<':
            g_string_append(s, "&lt;");
            break;
        case '>':
            g_string_append(s, "&gt;");
            break;
        case '"':
            g_string_append(s, "&quot;");
            break;
        case '\'':
            g_string_append(s, "&apos;");
            break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n')
                g_string_append_c(s, ' ');
            else
                g_string_append_c(s, *p);
        }
    }
}

static unsigned col_x(unsigned cw, guint c)
{
    return SVG_LEFT + c * cw + cw / 2;
}

/* Columns wide enough for the longest note (notes sit on one lifeline) and
 * the longest lifeline name, so that no text runs out of its box. */
static unsigned column_width(const NsDiagram *d, const Layout *lay, GArray *rows)
{
    size_t longest = 0;
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        if (r->kind == ROW_MSG && r->label) {
            /* An arrow's label sits between its two ends (" (lost)" too). */
            guint span = r->a > r->b ? r->a - r->b : r->b - r->a;
            size_t n = (g_utf8_strlen(r->label, -1) + (r->lost ? 7 : 0)) / (span ? span : 1);
            longest = n > longest ? n : longest;
        } else if (r->label) {
            size_t n = g_utf8_strlen(r->label, -1) / (r->b - r->a + 1);
            longest = n > longest ? n : longest;
        }
    }
    for (guint c = 0; c < lay->n; c++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, lay->at[c]);
        size_t n = strlen(l->name);
        longest = n > longest ? n : longest;
    }
    unsigned cw = (unsigned)longest * SVG_CHAR + 28;
    return cw < SVG_COL ? SVG_COL : cw;
}

/* What a lifeline is, for the reader of the SVG's DOM. */
static const char *lifeline_role(const Lifeline *l)
{
    if (!l->proto)
        return "host";
    if (l->parent >= 0)
        return "accepted";
    return l->listener ? "listener" : "socket";
}

/* A lifeline's head box at `top` and its dashed line down to `bottom`. */
static void svg_head(GString *s, const NsDiagram *d, const Layout *lay, guint c, unsigned cw,
                     unsigned top, unsigned bottom)
{
    const Lifeline *l = g_ptr_array_index(d->lifelines, lay->at[c]);
    unsigned x = col_x(cw, c);
    g_string_append(s, "<g class=\"lifeline\" data-host=\"");
    xml_text(s, g_ptr_array_index(lay->groups, lay->group_of[c]));
    g_string_append_printf(s, "\" data-role=\"%s\"", lifeline_role(l));
    if (l->parent >= 0) {
        const Lifeline *p = g_ptr_array_index(d->lifelines, l->parent);
        g_string_append(s, " data-parent=\"");
        xml_text(s, p->name);
        g_string_append_c(s, '"');
    }
    g_string_append_printf(s,
                           "><line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
                           "stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
                           "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"26\" rx=\"3\" "
                           "fill=\"%s\" stroke=\"#6b7794\"/>"
                           "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">",
                           x, top + 26, x, bottom, x - cw / 2 + 12, top, cw - 24,
                           l->parent >= 0 ? "#e6f2e0" : "#e3e8f5", x, top + 17);
    xml_text(s, l->name);
    g_string_append(s, "</text></g>\n");
}

static char *render_svg(const NsDiagram *d, const Layout *lay, GArray *rows)
{
    const unsigned cw = column_width(d, lay, rows);
    unsigned width = SVG_LEFT + (lay->n ? lay->n : 1) * cw + 16;
    unsigned height = SVG_TOP + rows->len * SVG_ROW + 30;
    GString *s = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append_printf(s,
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
                           "viewBox=\"0 0 %u %u\" font-family=\"monospace\" font-size=\"11\">\n",
                           width, height, width, height);
    if (d->title) {
        g_string_append(s, "<title>");
        xml_text(s, d->title);
        g_string_append(s, "</title>\n");
    }
    g_string_append(s,
                    "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
                    "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
                    "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#222\"/></marker></defs>\n"
                    "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    /* Host boxes, then lifelines and their heads. */
    for (guint c = 0; c < lay->n;) {
        guint e = c;
        while (e + 1 < lay->n && lay->group_of[e + 1] == lay->group_of[c])
            e++;
        unsigned x = SVG_LEFT + c * cw + 4, w = (e - c + 1) * cw - 8;
        const char *group = g_ptr_array_index(lay->groups, lay->group_of[c]);
        g_string_append(s, "<g class=\"host\" data-host=\"");
        xml_text(s, group);
        g_string_append_printf(s,
                               "\"><rect x=\"%u\" y=\"6\" width=\"%u\" height=\"%u\" "
                               "rx=\"6\" fill=\"#f3f4f8\" stroke=\"#b8bccc\"/>"
                               "<text x=\"%u\" y=\"20\" text-anchor=\"middle\" "
                               "font-weight=\"bold\">",
                               x, w, height - 12, x + w / 2);
        xml_text(s, group);
        g_string_append(s, "</text></g>\n");
        c = e + 1;
    }
    for (guint c = 0; c < lay->n; c++)
        if (lay->top[c])
            svg_head(s, d, lay, c, cw, 30, SVG_TOP + lay->last[c] * SVG_ROW + 30);
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        unsigned y = SVG_TOP + i * SVG_ROW + 20;
        if (r->kind == ROW_HEAD) {
            svg_head(s, d, lay, r->a, cw, y - 16, SVG_TOP + lay->last[r->a] * SVG_ROW + 30);
            continue;
        }
        char t[32];
        ns_trace_format_time(r->time, t);
        g_string_append_printf(s, "<text x=\"6\" y=\"%u\" fill=\"#777\">%s</text>\n", y,
                               g_strstrip(t));
        switch (r->kind) {
        case ROW_MSG: {
            unsigned x1 = col_x(cw, r->a), x2 = col_x(cw, r->b);
            const char *colour = r->lost ? "#c0392b" : "#222";
            if (r->a == r->b) {
                g_string_append_printf(s,
                                       "<path class=\"msg\" d=\"M %u %u h 30 v 10 h -30\" "
                                       "fill=\"none\" stroke=\"%s\" marker-end=\"url(#arrow)\"/>\n",
                                       x1, y - 6, colour);
                x2 = x1 + 60;
            } else if (r->lost) {
                /* Crossed out three quarters of the way: it never arrived. */
                int xe = (int)x1 + ((int)x2 - (int)x1) * 3 / 4;
                g_string_append_printf(s,
                                       "<line class=\"msg lost\" x1=\"%u\" y1=\"%u\" x2=\"%d\" "
                                       "y2=\"%u\" stroke=\"%s\" stroke-dasharray=\"6 3\"/>"
                                       "<text x=\"%d\" y=\"%u\" fill=\"%s\" text-anchor=\"middle\" "
                                       "font-size=\"14\">\xc3\x97</text>\n",
                                       x1, y, xe, y, colour, xe, y + 5, colour);
            } else {
                g_string_append_printf(s,
                                       "<line class=\"msg\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
                                       "stroke=\"%s\" marker-end=\"url(#arrow)\"/>\n",
                                       x1, y, x2, y, colour);
            }
            g_string_append_printf(s,
                                   "<text class=\"label\" x=\"%u\" y=\"%u\" "
                                   "text-anchor=\"middle\" fill=\"%s\">",
                                   (x1 + x2) / 2, y - 5, colour);
            xml_text(s, r->label);
            if (r->lost)
                g_string_append(s, " (lost)");
            g_string_append(s, "</text>\n");
            break;
        }
        case ROW_HEAD:
            break;
        case ROW_NOTE:
        case ROW_FOLD: {
            unsigned xa = col_x(cw, r->a) - cw / 2 + 8, xb = col_x(cw, r->b) + cw / 2 - 8;
            g_string_append_printf(s,
                                   "<g class=\"%s\"><rect x=\"%u\" y=\"%u\" width=\"%u\" "
                                   "height=\"22\" fill=\"%s\" stroke=\"#c9b458\"/>"
                                   "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\"%s>",
                                   r->kind == ROW_NOTE ? "note" : "fold", xa, y - 15, xb - xa,
                                   r->kind == ROW_NOTE ? "#fff8c4" : "#eeeeee", (xa + xb) / 2, y,
                                   r->kind == ROW_FOLD ? " font-style=\"italic\"" : "");
            xml_text(s, r->label);
            g_string_append(s, "</text></g>\n");
            break;
        }
        }
    }
    g_string_append(s, "</svg>\n");
    return g_string_free(s, FALSE);
}

char *ns_diagram_render(NsDiagram *d, NsDiagramFormat format)
{
    Layout lay = {0};
    resolve_late(d);
    layout_init(d, &lay);
    GArray *rows = place_heads(d, build_rows(d, &lay), &lay);
    char *out = NULL;
    switch (format) {
    case NS_DIAGRAM_MERMAID:
        out = render_mermaid(d, &lay, rows);
        break;
    case NS_DIAGRAM_SVG:
        out = render_svg(d, &lay, rows);
        break;
    }
    rows_free(rows);
    layout_clear(&lay);
    return out;
}

bool ns_diagram_format_from_path(const char *path, NsDiagramFormat *format)
{
    g_autofree char *lower = g_ascii_strdown(path, -1);
    if (g_str_has_suffix(lower, ".mmd")) {
        *format = NS_DIAGRAM_MERMAID;
        return true;
    }
    if (g_str_has_suffix(lower, ".svg")) {
        *format = NS_DIAGRAM_SVG;
        return true;
    }
    return false;
}

/* ---- the sink ---- */

struct NsDiagramSink {
    NsDiagram *diagram;
    NsDiagramFormat format;
    NsAtomicFile file;
};

static void diagram_write(void *self, const NsTraceEvent *ev)
{
    NsDiagramSink *sink = self;
    ns_diagram_add(sink->diagram, ev);
}

static bool diagram_close(void *self, GError **error)
{
    NsDiagramSink *sink = self;
    if (!sink->file.f)
        return true;
    g_autofree char *text = ns_diagram_render(sink->diagram, sink->format);
    fputs(text, sink->file.f);
    return ns_atomic_file_commit(&sink->file, false, error);
}

static void diagram_free(void *self)
{
    NsDiagramSink *sink = self;
    ns_atomic_file_abort(&sink->file);
    ns_diagram_free(sink->diagram);
    g_free(sink);
}

static const NsTraceSinkOps diagram_ops = {"diagram", diagram_write, diagram_close, diagram_free};

NsDiagramSink *ns_diagram_sink_new(const char *path, NsDiagramFormat format, const char *title,
                                   GError **error)
{
    NsDiagramSink *sink = g_new0(NsDiagramSink, 1);
    if (!ns_atomic_file_open(&sink->file, path, error)) {
        g_free(sink);
        return NULL;
    }
    sink->format = format;
    sink->diagram = ns_diagram_new(title);
    return sink;
}

void ns_diagram_sink_attach(NsDiagramSink *sink, NsTracer *tracer)
{
    ns_tracer_add_sink(tracer, &diagram_ops, sink, NS_DIAGRAM_MASK);
}
