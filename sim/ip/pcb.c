/* PCB tables: a port index for bound endpoints and a 4-tuple index for
 * connected ones. The tuple hash reads the pcb itself and the pcbs of one
 * port are linked through the pcbs, so entering either table allocates
 * nothing beyond a hash slot. While a table holds at most PCB_FEW ports
 * and PCB_FEW connected pcbs, both indexes are short arrays inside it,
 * scanned: a client with one connection (or a router with none) keeps no
 * hash tables (about 190 bytes each, empty). Nothing iterates the tables
 * in an order that reaches a trace. */
#include "netsim-private/pcb.h"

#include <errno.h>

#include <string.h>

#include "netsim/ip.h"
#include "netsim-private/ctx.h"
#include "netsim/ip6.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/tcp.h"
#include "netsim-private/host.h"

#define PCB_FEW 2

struct NsPcbTable {
    NsHost *host;
    uint8_t proto;
    uint8_t n_ports, n_tuples; /* used entries of the short arrays below */
    uint16_t ports[PCB_FEW];   /* while by_port is NULL: lport -> heads[] */
    NsPcb *heads[PCB_FEW];
    NsPcb *tuples[PCB_FEW]; /* while by_tuple is NULL: the connected pcbs */
    GHashTable *by_port;    /* lport -> first NsPcb* holding it (list: port_next) */
    GHashTable *by_tuple;   /* NsPcb* (hashed by 4-tuple) -> same */
    NsPcb *last;            /* the last exact 4-tuple match (a bulk flow's pcb) */
};

static guint tuple_hash(gconstpointer p)
{
    const NsPcb *c = p;
    uint64_t h = ((uint64_t)c->laddr << 32 | c->raddr) * UINT64_C(0x9e3779b97f4a7c15);
    h ^= ((uint64_t)c->lport << 16 | c->rport) * UINT64_C(0xc2b2ae3d27d4eb4f);
    if (c->v6)
        h ^= (uint64_t)ns_ipv6_addr_key_hash(&c->laddr6) << 32 ^
             ns_ipv6_addr_key_hash(&c->raddr6);
    return (guint)(h ^ (h >> 32));
}

static gboolean tuple_equal(gconstpointer a, gconstpointer b)
{
    const NsPcb *x = a, *y = b;
    return x->laddr == y->laddr && x->raddr == y->raddr && x->lport == y->lport &&
           x->rport == y->rport && x->v6 == y->v6 &&
           (!x->v6 || (ns_ipv6_addr_equal(&x->laddr6, &y->laddr6) &&
                       ns_ipv6_addr_equal(&x->raddr6, &y->raddr6)));
}

/* ::ffff:a.b.c.d (RFC 4291 2.5.5.2) */
/* An af6 pcb over IPv4 shows its IPv4 ends mapped; 0.0.0.0 as ::. */
static void sync_mapped(NsPcb *pcb)
{
    if (!pcb->af6 || pcb->v6)
        return;
    memset(&pcb->laddr6, 0, sizeof pcb->laddr6);
    memset(&pcb->raddr6, 0, sizeof pcb->raddr6);
    if (pcb->laddr)
        pcb->laddr6 = ns_ipv6_map_v4(pcb->laddr);
    if (pcb->raddr)
        pcb->raddr6 = ns_ipv6_map_v4(pcb->raddr);
}

NsPcbTable *ns_pcb_table_new(NsHost *host, uint8_t proto)
{
    NsPcbTable *t = ns_ctx_alloc0(ns_host_ctx(host), sizeof(NsPcbTable));
    t->host = host;
    t->proto = proto;
    return t;
}

/* ---- the two indexes: short arrays, then hash tables ---- */

static NsPcb *port_list(const NsPcbTable *t, uint16_t port)
{
    if (t->by_port)
        return g_hash_table_lookup(t->by_port, GUINT_TO_POINTER(port));
    for (uint8_t i = 0; i < t->n_ports; i++)
        if (t->ports[i] == port)
            return t->heads[i];
    return NULL;
}

/* Make `head` the first pcb of `port` (NULL: the port is free). */
static void port_set(NsPcbTable *t, uint16_t port, NsPcb *head)
{
    if (t->by_port) {
        if (head)
            g_hash_table_insert(t->by_port, GUINT_TO_POINTER(port), head);
        else
            g_hash_table_remove(t->by_port, GUINT_TO_POINTER(port));
        return;
    }
    for (uint8_t i = 0; i < t->n_ports; i++) {
        if (t->ports[i] != port)
            continue;
        if (head) {
            t->heads[i] = head;
        } else {
            t->n_ports--;
            t->ports[i] = t->ports[t->n_ports];
            t->heads[i] = t->heads[t->n_ports];
        }
        return;
    }
    if (!head)
        return;
    if (t->n_ports < PCB_FEW) {
        t->ports[t->n_ports] = port;
        t->heads[t->n_ports++] = head;
        return;
    }
    t->by_port = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (uint8_t i = 0; i < t->n_ports; i++)
        g_hash_table_insert(t->by_port, GUINT_TO_POINTER(t->ports[i]), t->heads[i]);
    t->n_ports = 0;
    g_hash_table_insert(t->by_port, GUINT_TO_POINTER(port), head);
}

static NsPcb *tuple_find(const NsPcbTable *t, const NsPcb *probe)
{
    if (t->by_tuple)
        return g_hash_table_lookup(t->by_tuple, probe);
    for (uint8_t i = 0; i < t->n_tuples; i++)
        if (tuple_equal(t->tuples[i], probe))
            return t->tuples[i];
    return NULL;
}

/* Enter pcb by its 4-tuple; a pcb with an equal one is replaced. */
static void tuple_add(NsPcbTable *t, NsPcb *pcb)
{
    if (t->by_tuple) {
        g_hash_table_add(t->by_tuple, pcb);
        return;
    }
    for (uint8_t i = 0; i < t->n_tuples; i++)
        if (tuple_equal(t->tuples[i], pcb)) {
            t->tuples[i] = pcb;
            return;
        }
    if (t->n_tuples < PCB_FEW) {
        t->tuples[t->n_tuples++] = pcb;
        return;
    }
    t->by_tuple = g_hash_table_new(tuple_hash, tuple_equal);
    for (uint8_t i = 0; i < t->n_tuples; i++)
        g_hash_table_add(t->by_tuple, t->tuples[i]);
    t->n_tuples = 0;
    g_hash_table_add(t->by_tuple, pcb);
}

static void tuple_remove(NsPcbTable *t, const NsPcb *pcb)
{
    if (t->by_tuple) {
        g_hash_table_remove(t->by_tuple, pcb);
        return;
    }
    for (uint8_t i = 0; i < t->n_tuples; i++)
        if (tuple_equal(t->tuples[i], pcb)) {
            t->tuples[i] = t->tuples[--t->n_tuples];
            return;
        }
}

void ns_pcb_table_free(NsPcbTable *t)
{
    if (!t)
        return;
    if (t->by_port)
        g_hash_table_destroy(t->by_port);
    if (t->by_tuple)
        g_hash_table_destroy(t->by_tuple);
    ns_ctx_release(ns_host_ctx(t->host), t);
}

void ns_ip_ephemeral_range(NsProfile profile, uint16_t *lo, uint16_t *hi)
{
    switch (profile) {
    case NS_PROFILE_LINUX:
        *lo = 32768;
        *hi = 60999;
        return;
    case NS_PROFILE_MINIMAL:
        break;
    }
    *lo = 49152;
    *hi = 65535;
}

/* Would a binding of (v6 ? laddr6 : laddr) clash with o's? Within a
 * family, a wildcard clashes with everything; across families only ::
 * clashes, since it takes IPv4 too (bindv6only=0). */
static bool clash(const NsPcb *o, bool v6, uint32_t laddr, const NsIpv6Addr *laddr6)
{
    if (o->v6 != v6) {
        const NsIpv6Addr *a6 = o->v6 ? &o->laddr6 : laddr6;
        return ns_ipv6_is_unspecified(a6);
    }
    if (v6)
        return ns_ipv6_is_unspecified(&o->laddr6) || ns_ipv6_is_unspecified(laddr6) ||
               ns_ipv6_addr_equal(&o->laddr6, laddr6);
    return o->laddr == 0 || laddr == 0 || o->laddr == laddr;
}

static bool port_taken(const NsPcbTable *t, bool v6, uint32_t laddr, const NsIpv6Addr *laddr6,
                       uint16_t port)
{
    for (const NsPcb *o = port_list(t, port); o; o = o->port_next)
        if (clash(o, v6, laddr, laddr6))
            return true;
    return false;
}

static bool port_in_use(const NsPcbTable *t, uint16_t port)
{
    return port_list(t, port) != NULL;
}

/* Pick a free ephemeral port. minimal: the next one in order (49152,
 * 49153, ...), as simple stacks and the traces in textbooks do. linux:
 * connect() walks up by small random even steps from a random start,
 * UDP's implicit bind takes a random port of any parity (what the captures
 * in shared/refs/linux show). */
static uint16_t pick_ephemeral(NsPcbTable *t, NsPcbEphemeral kind)
{
    uint16_t lo, hi;
    NsProfile prof = ns_host_profile(t->host);
    ns_ip_ephemeral_range(prof, &lo, &hi);
    uint32_t span = (uint32_t)hi - lo + 1;
    uint32_t *cursor = ns_host_ephemeral_cursor(t->host);
    NsRng *rng = ns_host_rng(t->host);
    if (prof == NS_PROFILE_LINUX && kind == NS_PCB_EPHEMERAL_BIND) {
        for (int tries = 0; tries < 64; tries++) {
            uint16_t p = (uint16_t)(lo + ns_rng_below(rng, span));
            if (!port_in_use(t, p))
                return p;
        }
    }
    if (*cursor < lo || *cursor > hi) {
        *cursor = prof == NS_PROFILE_LINUX ? (uint32_t)(lo + (ns_rng_below(rng, span) & ~1u))
                                           : (uint32_t)lo - 1;
    }
    uint32_t step_even = prof == NS_PROFILE_LINUX && kind == NS_PCB_EPHEMERAL_CONNECT;
    uint32_t c = *cursor;
    if (step_even) {
        /* Even ports first, as Linux; odd ones only once the evens are gone. */
        c += 2 * (1 + (uint32_t)ns_rng_below(rng, 8));
        for (uint32_t i = 0; i < span; i++, c += 2) {
            if (c > hi)
                c = lo + ((c - lo) % span);
            c &= ~1u;
            if (c < lo)
                c += 2;
            if (!port_in_use(t, (uint16_t)c)) {
                *cursor = c;
                return (uint16_t)c;
            }
        }
    }
    for (uint32_t i = 0; i < span; i++) {
        c = c >= hi ? lo : c + 1;
        if (!port_in_use(t, (uint16_t)c)) {
            *cursor = c;
            return (uint16_t)c;
        }
    }
    return 0;
}

static void port_add(NsPcbTable *t, NsPcb *pcb)
{
    pcb->port_next = NULL;
    NsPcb *o = port_list(t, pcb->lport);
    if (!o) {
        port_set(t, pcb->lport, pcb);
    } else {
        while (o->port_next)
            o = o->port_next;
        o->port_next = pcb;
    }
    pcb->in_port_table = true;
}

static int bind_family(NsPcbTable *t, NsPcb *pcb, bool v6, uint32_t laddr,
                       const NsIpv6Addr *laddr6, uint16_t lport, NsPcbEphemeral kind)
{
    static const NsIpv6Addr any6;
    if (!laddr6)
        laddr6 = &any6;
    if (pcb->lport != 0)
        return EINVAL;
    if (!v6 && laddr != 0 && !ns_ip_is_local(ns_ip_of(t->host), laddr))
        return EADDRNOTAVAIL;
    if (v6 && !ns_ipv6_is_unspecified(laddr6) && !ns_ip6_is_local(ns_ip6_of(t->host), laddr6))
        return EADDRNOTAVAIL;
    if (lport == 0) {
        lport = pick_ephemeral(t, kind);
        if (lport == 0)
            return EAGAIN;
    } else if (port_taken(t, v6, laddr, laddr6, lport)) {
        return EADDRINUSE;
    }
    pcb->v6 = v6;
    pcb->laddr = v6 ? 0 : laddr;
    if (v6)
        pcb->laddr6 = *laddr6;
    pcb->lport = lport;
    sync_mapped(pcb);
    port_add(t, pcb);
    return 0;
}

int ns_pcb_bind(NsPcbTable *t, NsPcb *pcb, uint32_t laddr, uint16_t lport, NsPcbEphemeral kind)
{
    return bind_family(t, pcb, false, laddr, NULL, lport, kind);
}

int ns_pcb_bind6(NsPcbTable *t, NsPcb *pcb, const NsIpv6Addr *laddr, uint16_t lport,
                 NsPcbEphemeral kind)
{
    if (pcb->lport != 0)
        return EINVAL;
    pcb->af6 = true;
    uint32_t v4;
    if (ns_ipv6_v4_mapped(laddr, &v4))
        return bind_family(t, pcb, false, v4, NULL, lport, kind);
    return bind_family(t, pcb, true, 0, laddr, lport, kind);
}

int ns_pcb_connect(NsPcbTable *t, NsPcb *pcb, uint32_t raddr, uint16_t rport, NsPcbEphemeral kind)
{
    if (pcb->in_tuple_table) {
        tuple_remove(t, pcb);
        pcb->in_tuple_table = false;
        if (t->last == pcb)
            t->last = NULL;
    }
    uint32_t laddr = pcb->laddr;
    if (laddr == 0) {
        laddr = ns_ip_source_for(ns_ip_of(t->host), raddr);
        if (laddr == 0)
            return ENETUNREACH;
    }
    if (pcb->lport == 0) {
        int err = ns_pcb_bind(t, pcb, 0, 0, kind);
        if (err)
            return err;
    }
    NsPcb probe = {.laddr = laddr, .lport = pcb->lport, .raddr = raddr, .rport = rport};
    if (tuple_find(t, &probe))
        return EADDRINUSE;
    pcb->v6 = false; /* a dual-stack socket bound to :: talks IPv4 now */
    pcb->laddr = laddr;
    pcb->raddr = raddr;
    pcb->rport = rport;
    sync_mapped(pcb);
    tuple_add(t, pcb);
    pcb->in_tuple_table = true;
    return 0;
}

int ns_pcb_connect6(NsPcbTable *t, NsPcb *pcb, const NsIpv6Addr *raddr, uint16_t rport,
                    NsPcbEphemeral kind)
{
    uint32_t v4;
    bool bound_v4 = pcb->lport && !pcb->v6 && pcb->laddr;
    if (pcb->lport && !pcb->af6)
        return EAFNOSUPPORT; /* an IPv4 socket */
    pcb->af6 = true;
    if (ns_ipv6_v4_mapped(raddr, &v4)) {
        if (pcb->lport && pcb->v6 && !ns_ipv6_is_unspecified(&pcb->laddr6))
            return ENETUNREACH; /* bound to an IPv6 address */
        return ns_pcb_connect(t, pcb, v4, rport, kind);
    }
    if (bound_v4)
        return EAFNOSUPPORT;
    if (pcb->in_tuple_table) {
        tuple_remove(t, pcb);
        pcb->in_tuple_table = false;
        if (t->last == pcb)
            t->last = NULL;
    }
    NsIpv6Addr laddr = pcb->laddr6;
    if (!pcb->lport || ns_ipv6_is_unspecified(&laddr)) {
        if (!ns_ip6_source_for(ns_ip6_of(t->host), raddr, &laddr))
            return ENETUNREACH;
    }
    if (pcb->lport == 0) {
        static const NsIpv6Addr any6;
        int err = bind_family(t, pcb, true, 0, &any6, 0, kind);
        if (err)
            return err;
    }
    NsPcb probe = {.v6 = true, .laddr6 = laddr, .lport = pcb->lport, .raddr6 = *raddr,
                   .rport = rport};
    if (tuple_find(t, &probe))
        return EADDRINUSE;
    pcb->v6 = true;
    pcb->laddr = pcb->raddr = 0;
    pcb->laddr6 = laddr;
    pcb->raddr6 = *raddr;
    pcb->rport = rport;
    tuple_add(t, pcb);
    pcb->in_tuple_table = true;
    return 0;
}

int ns_pcb_insert_child(NsPcbTable *t, NsPcb *pcb)
{
    if (tuple_find(t, pcb))
        return EADDRINUSE;
    tuple_add(t, pcb);
    pcb->in_tuple_table = true;
    return 0;
}

void ns_pcb_remove(NsPcbTable *t, NsPcb *pcb)
{
    if (t->last == pcb)
        t->last = NULL;
    if (pcb->in_tuple_table) {
        tuple_remove(t, pcb);
        pcb->in_tuple_table = false;
    }
    if (pcb->in_port_table) {
        NsPcb *head = port_list(t, pcb->lport);
        if (head == pcb) {
            port_set(t, pcb->lport, pcb->port_next);
        } else {
            for (NsPcb *o = head; o; o = o->port_next)
                if (o->port_next == pcb) {
                    o->port_next = pcb->port_next;
                    break;
                }
        }
        pcb->port_next = NULL;
        pcb->in_port_table = false;
    }
}

void ns_pcb_move(NsPcbTable *t, NsPcb *from, NsPcb *to)
{
    if (t->last == from)
        t->last = to;
    if (from->in_tuple_table)
        tuple_add(t, to); /* an equal key: replaced in its slot */
    if (from->in_port_table) {
        NsPcb *head = port_list(t, from->lport);
        if (head == from) {
            port_set(t, from->lport, to);
        } else {
            for (NsPcb *o = head; o; o = o->port_next)
                if (o->port_next == from) {
                    o->port_next = to;
                    break;
                }
        }
    }
}

NsPcb *ns_pcb_lookup(NsPcbTable *t, uint32_t laddr, uint16_t lport, uint32_t raddr,
                     uint16_t rport)
{
    NsPcb *c = t->last;
    if (c && c->lport == lport && c->rport == rport && c->laddr == laddr && c->raddr == raddr &&
        !c->v6)
        return c;
    NsPcb probe = {.laddr = laddr, .lport = lport, .raddr = raddr, .rport = rport};
    c = tuple_find(t, &probe);
    if (c) {
        t->last = c;
        return c;
    }
    NsPcb *wild = NULL, *dual = NULL;
    for (NsPcb *o = port_list(t, lport); o; o = o->port_next) {
        if (o->in_tuple_table)
            continue; /* connected elsewhere: only its exact tuple matches */
        if (o->v6) {
            /* an IPv6 socket on :: takes IPv4 too, after IPv4's own */
            if (!dual && ns_ipv6_is_unspecified(&o->laddr6))
                dual = o;
            continue;
        }
        if (o->laddr == laddr)
            return o;
        if (o->laddr == 0 && !wild)
            wild = o;
    }
    return wild ? wild : dual;
}

NsPcb *ns_pcb_lookup6(NsPcbTable *t, const NsIpv6Addr *laddr, uint16_t lport,
                      const NsIpv6Addr *raddr, uint16_t rport)
{
    NsPcb *c = t->last;
    if (c && c->v6 && c->lport == lport && c->rport == rport &&
        ns_ipv6_addr_equal(&c->laddr6, laddr) && ns_ipv6_addr_equal(&c->raddr6, raddr))
        return c;
    NsPcb probe = {.v6 = true, .laddr6 = *laddr, .lport = lport, .raddr6 = *raddr,
                   .rport = rport};
    c = tuple_find(t, &probe);
    if (c) {
        t->last = c;
        return c;
    }
    NsPcb *wild = NULL;
    for (NsPcb *o = port_list(t, lport); o; o = o->port_next) {
        if (o->in_tuple_table || !o->v6)
            continue;
        if (ns_ipv6_addr_equal(&o->laddr6, laddr))
            return o;
        if (!wild && ns_ipv6_is_unspecified(&o->laddr6))
            wild = o;
    }
    return wild;
}

NsPcb *ns_pcb_lookup_ends(NsPcbTable *t, const NsIpEnds *e, uint16_t lport, uint16_t rport)
{
    if (e->v6)
        return ns_pcb_lookup6(t, &e->dst6, lport, &e->src6, rport);
    return ns_pcb_lookup(t, e->dst, lport, e->src, rport);
}

NsIpEnds ns_ip_ends4(const NsIpv4Repr *h)
{
    NsIpEnds e = {.header_len = h->header_len, .src = h->src, .dst = h->dst};
    return e;
}

NsIpEnds ns_ip_ends6(const NsIpv6Repr *h)
{
    NsIpEnds e = {.v6 = true, .header_len = NS_IPV6_HLEN, .src6 = h->src, .dst6 = h->dst};
    return e;
}

void ns_pcb_set_ends(NsPcb *pcb, const NsIpEnds *e, bool af6)
{
    pcb->v6 = e->v6;
    pcb->af6 = af6 || e->v6;
    pcb->laddr = e->dst;
    pcb->raddr = e->src;
    if (e->v6) {
        pcb->laddr6 = e->dst6;
        pcb->raddr6 = e->src6;
    }
    sync_mapped(pcb);
}

int ns_pcb_output(NsPcbTable *t, const NsPcb *pcb, NsPacket *seg, const NsIpTxOpts *opts)
{
    if (pcb->v6)
        return ns_ip6_output(ns_ip6_of(t->host), seg, &pcb->laddr6, &pcb->raddr6, t->proto,
                             opts ? opts->ttl : 0);
    return ns_ip_output(ns_ip_of(t->host), seg, pcb->laddr, pcb->raddr, t->proto, opts);
}

int ns_pcb_reply(NsPcbTable *t, const NsIpEnds *e, NsPacket *seg, const NsIpTxOpts *opts)
{
    if (e->v6)
        return ns_ip6_output(ns_ip6_of(t->host), seg, &e->dst6, &e->src6, t->proto,
                             opts ? opts->ttl : 0);
    return ns_ip_output(ns_ip_of(t->host), seg, e->dst, e->src, t->proto, opts);
}

uint32_t ns_pcb_pseudo(const NsPcb *pcb, uint8_t proto, uint32_t len)
{
    if (pcb->v6)
        return ns_csum_pseudo6(&pcb->laddr6, &pcb->raddr6, proto, len);
    return ns_csum_pseudo(pcb->laddr, pcb->raddr, proto, (uint16_t)len);
}

uint32_t ns_ip_ends_pseudo_reply(const NsIpEnds *e, uint8_t proto, uint32_t len)
{
    if (e->v6)
        return ns_csum_pseudo6(&e->dst6, &e->src6, proto, len);
    return ns_csum_pseudo(e->dst, e->src, proto, (uint16_t)len);
}

bool ns_ip_ends_checksum_ok(const NsIpEnds *e, uint8_t proto, const uint8_t *bytes, size_t len)
{
    uint32_t sum = e->v6 ? ns_csum_pseudo6(&e->src6, &e->dst6, proto, (uint32_t)len)
                         : ns_csum_pseudo(e->src, e->dst, proto, (uint16_t)len);
    return ns_csum_fold(ns_csum_partial(sum, bytes, len)) == 0;
}

void ns_pcb_trace_ends(const NsPcb *pcb, NsTraceEvent *ev)
{
    ev->sport = pcb->lport;
    ev->dport = pcb->rport;
    if (!pcb->af6) {
        ev->src = pcb->laddr;
        ev->dst = pcb->raddr;
        return;
    }
    ev->src6 = pcb->laddr6.b;
    ev->dst6 = pcb->rport ? pcb->raddr6.b : NULL;
}

static uint32_t mss_of_mtu(uint32_t mtu, uint32_t ip_hlen)
{
    uint32_t m = mtu - ip_hlen - NS_TCP_HLEN;
    return m > 65535 - ip_hlen - NS_TCP_HLEN ? 65535 - ip_hlen - NS_TCP_HLEN : m;
}

static uint32_t path_mss(NsPcbTable *t, bool v6, uint32_t dst, const NsIpv6Addr *dst6)
{
    NsIface *ifc = NULL;
    uint32_t mtu = 1500;
    if (v6) {
        NsIp6 *ip6 = ns_ip6_of(t->host);
        NsIpv6Addr nh;
        if (ns_ip6_is_local(ip6, dst6))
            mtu = 65535;
        else if (ns_ip6_route(ip6, dst6, &ifc, &nh) && ifc)
            mtu = ns_iface_mtu(ifc);
        return mss_of_mtu(mtu, NS_IPV6_HLEN);
    }
    NsIp *ip = ns_ip_of(t->host);
    uint32_t nh;
    if (ns_ip_is_local(ip, dst))
        mtu = 65535;
    else if (ns_ip_route(ip, dst, &ifc, &nh) && ifc)
        mtu = ns_iface_mtu(ifc);
    return mss_of_mtu(mtu, NS_IPV4_HLEN);
}

uint32_t ns_pcb_path_mss(NsPcbTable *t, const NsPcb *pcb)
{
    return path_mss(t, pcb->v6, pcb->raddr, &pcb->raddr6);
}

uint32_t ns_ip_ends_path_mss(NsPcbTable *t, const NsIpEnds *e)
{
    return path_mss(t, e->v6, e->src, &e->src6);
}

void ns_ip_ends_trace_recv(NsPcbTable *t, const NsIpEnds *e, const NsPacket *seg)
{
    if (e->v6) {
        ns_ip6_trace_recv(ns_ip6_of(t->host), seg);
        return;
    }
    NsIpv4Repr h = {.header_len = e->header_len, .src = e->src, .dst = e->dst};
    ns_ip_trace_recv(ns_ip_of(t->host), &h, seg);
}

typedef struct {
    void (*fn)(NsPcb *, void *);
    void *data;
    GHashTable *seen;
} Walk;

static void walk_tuple(gpointer key, gpointer value, gpointer data)
{
    (void)value;
    Walk *w = data;
    g_hash_table_add(w->seen, key);
    w->fn(key, w->data);
}

static void walk_port(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    Walk *w = data;
    for (NsPcb *p = value; p; p = p->port_next)
        if (!g_hash_table_contains(w->seen, p))
            w->fn(p, w->data);
}

void ns_pcb_foreach(const NsPcbTable *t, void (*fn)(NsPcb *pcb, void *data), void *data)
{
    Walk w = {fn, data, g_hash_table_new(g_direct_hash, g_direct_equal)};
    if (t->by_tuple)
        g_hash_table_foreach(t->by_tuple, walk_tuple, &w);
    for (uint8_t i = 0; i < t->n_tuples; i++)
        walk_tuple(t->tuples[i], NULL, &w);
    if (t->by_port)
        g_hash_table_foreach(t->by_port, walk_port, &w);
    for (uint8_t i = 0; i < t->n_ports; i++)
        walk_port(NULL, t->heads[i], &w);
    g_hash_table_destroy(w.seen);
}

uint32_t ns_pcb_count(const NsPcbTable *t)
{
    uint32_t n = t->by_tuple ? g_hash_table_size(t->by_tuple) : t->n_tuples;
    if (!t->by_port) {
        for (uint8_t i = 0; i < t->n_ports; i++)
            for (const NsPcb *p = t->heads[i]; p; p = p->port_next)
                if (!p->in_tuple_table)
                    n++;
        return n;
    }
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, t->by_port);
    while (g_hash_table_iter_next(&it, NULL, &v))
        for (const NsPcb *p = v; p; p = p->port_next)
            if (!p->in_tuple_table)
                n++;
    return n;
}

void ns_pcb_trace(const NsPcbTable *t, const NsPcb *pcb, NsSockOp op, bool ephemeral)
{
    NsCtx *ctx = ns_host_ctx(t->host);
    if (!ns_tracer_wants(ctx->tracer, NS_TRACE_SOCK))
        return;
    NsTraceEvent ev = {
        .time = ns_sim_now(ctx->sim),
        .kind = NS_TRACE_SOCK,
        .host = ns_host_name(t->host),
        .sock_op = op,
        .ephemeral = ephemeral,
        .sock_id = pcb->id,
        .parent_id = pcb->parent_id,
        .proto = t->proto,
    };
    ns_pcb_trace_ends(pcb, &ev);
    ns_trace_emit(ctx->tracer, &ev);
}
