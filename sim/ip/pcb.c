/* PCB tables: a port index for bound endpoints and a 4-tuple index for
 * connected ones. The tuple hash reads the pcb itself and the pcbs of one
 * port are linked through the pcbs, so entering either table allocates
 * nothing beyond a hash slot. */
#include "netsim-private/pcb.h"

#include <errno.h>

#include "netsim/ip.h"
#include "netsim-private/ctx.h"
#include "netsim-private/host.h"

struct NsPcbTable {
    NsHost *host;
    uint8_t proto;
    GHashTable *by_port;  /* lport -> first NsPcb* holding it (list: port_next) */
    GHashTable *by_tuple; /* NsPcb* (hashed by 4-tuple) -> same */
    NsPcb *last;          /* the last exact 4-tuple match (a bulk flow's pcb) */
};

static guint tuple_hash(gconstpointer p)
{
    const NsPcb *c = p;
    uint64_t h = ((uint64_t)c->laddr << 32 | c->raddr) * UINT64_C(0x9e3779b97f4a7c15);
    h ^= ((uint64_t)c->lport << 16 | c->rport) * UINT64_C(0xc2b2ae3d27d4eb4f);
    return (guint)(h ^ (h >> 32));
}

static gboolean tuple_equal(gconstpointer a, gconstpointer b)
{
    const NsPcb *x = a, *y = b;
    return x->laddr == y->laddr && x->raddr == y->raddr && x->lport == y->lport &&
           x->rport == y->rport;
}

NsPcbTable *ns_pcb_table_new(NsHost *host, uint8_t proto)
{
    NsPcbTable *t = g_new0(NsPcbTable, 1);
    t->host = host;
    t->proto = proto;
    t->by_port = g_hash_table_new(g_direct_hash, g_direct_equal);
    t->by_tuple = g_hash_table_new(tuple_hash, tuple_equal);
    return t;
}

void ns_pcb_table_free(NsPcbTable *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->by_port);
    g_hash_table_destroy(t->by_tuple);
    g_free(t);
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

static NsPcb *port_list(const NsPcbTable *t, uint16_t port)
{
    return g_hash_table_lookup(t->by_port, GUINT_TO_POINTER(port));
}

/* Would (laddr, port) clash with an existing binding? */
static bool port_taken(const NsPcbTable *t, uint32_t laddr, uint16_t port)
{
    for (const NsPcb *o = port_list(t, port); o; o = o->port_next)
        if (o->laddr == 0 || laddr == 0 || o->laddr == laddr)
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
        g_hash_table_insert(t->by_port, GUINT_TO_POINTER(pcb->lport), pcb);
    } else {
        while (o->port_next)
            o = o->port_next;
        o->port_next = pcb;
    }
    pcb->in_port_table = true;
}

int ns_pcb_bind(NsPcbTable *t, NsPcb *pcb, uint32_t laddr, uint16_t lport, NsPcbEphemeral kind)
{
    if (pcb->lport != 0)
        return EINVAL;
    if (laddr != 0 && !ns_ip_is_local(ns_ip_of(t->host), laddr))
        return EADDRNOTAVAIL;
    if (lport == 0) {
        lport = pick_ephemeral(t, kind);
        if (lport == 0)
            return EAGAIN;
    } else if (port_taken(t, laddr, lport)) {
        return EADDRINUSE;
    }
    pcb->laddr = laddr;
    pcb->lport = lport;
    port_add(t, pcb);
    return 0;
}

int ns_pcb_connect(NsPcbTable *t, NsPcb *pcb, uint32_t raddr, uint16_t rport, NsPcbEphemeral kind)
{
    if (pcb->in_tuple_table) {
        g_hash_table_remove(t->by_tuple, pcb);
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
    if (g_hash_table_contains(t->by_tuple, &probe))
        return EADDRINUSE;
    pcb->laddr = laddr;
    pcb->raddr = raddr;
    pcb->rport = rport;
    g_hash_table_add(t->by_tuple, pcb);
    pcb->in_tuple_table = true;
    return 0;
}

int ns_pcb_insert_child(NsPcbTable *t, NsPcb *pcb)
{
    if (g_hash_table_contains(t->by_tuple, pcb))
        return EADDRINUSE;
    g_hash_table_add(t->by_tuple, pcb);
    pcb->in_tuple_table = true;
    return 0;
}

void ns_pcb_remove(NsPcbTable *t, NsPcb *pcb)
{
    if (t->last == pcb)
        t->last = NULL;
    if (pcb->in_tuple_table) {
        g_hash_table_remove(t->by_tuple, pcb);
        pcb->in_tuple_table = false;
    }
    if (pcb->in_port_table) {
        NsPcb *head = port_list(t, pcb->lport);
        if (head == pcb) {
            if (pcb->port_next)
                g_hash_table_insert(t->by_port, GUINT_TO_POINTER(pcb->lport), pcb->port_next);
            else
                g_hash_table_remove(t->by_port, GUINT_TO_POINTER(pcb->lport));
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
        g_hash_table_add(t->by_tuple, to); /* an equal key: replaced in its slot */
    if (from->in_port_table) {
        NsPcb *head = port_list(t, from->lport);
        if (head == from) {
            g_hash_table_insert(t->by_port, GUINT_TO_POINTER(from->lport), to);
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
    if (c && c->lport == lport && c->rport == rport && c->laddr == laddr && c->raddr == raddr)
        return c;
    NsPcb probe = {.laddr = laddr, .lport = lport, .raddr = raddr, .rport = rport};
    c = g_hash_table_lookup(t->by_tuple, &probe);
    if (c) {
        t->last = c;
        return c;
    }
    NsPcb *wild = NULL;
    for (NsPcb *o = port_list(t, lport); o; o = o->port_next) {
        if (o->in_tuple_table)
            continue; /* connected elsewhere: only its exact tuple matches */
        if (o->laddr == laddr)
            return o;
        if (o->laddr == 0 && !wild)
            wild = o;
    }
    return wild;
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
    g_hash_table_foreach(t->by_tuple, walk_tuple, &w);
    g_hash_table_foreach(t->by_port, walk_port, &w);
    g_hash_table_destroy(w.seen);
}

uint32_t ns_pcb_count(const NsPcbTable *t)
{
    uint32_t n = g_hash_table_size(t->by_tuple);
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
        .src = pcb->laddr,
        .sport = pcb->lport,
        .dst = pcb->raddr,
        .dport = pcb->rport,
    };
    ns_trace_emit(ctx->tracer, &ev);
}
