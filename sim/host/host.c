/* Hosts, interfaces and the ARP neighbour cache (RFC 826; timing after
 * Linux: 3 broadcast requests 1 s apart, entries confirmed again by a
 * unicast request once they are 30 s old). */
#include "netsim/host.h"

#include <string.h>

#include "netsim/wire/arp.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim-private/ctx.h"
#include "netsim-private/host.h"
#include "netsim-private/packet.h"

/* Up to this many interfaces, a host finds one by a scan. */
#define NS_HOST_SCAN_IFACES 8
/* Up to this many neighbours, an interface finds one by a scan (a
 * point-to-point link has one: a hash table would be 200 bytes). */
#define NS_HOST_SCAN_NEIGHS 8

typedef enum { ARP_INCOMPLETE, ARP_REACHABLE } ArpState;

/* 72 bytes: widest fields first, no padding inside. */
typedef struct {
    NsIface *iface;
    NsTime confirmed; /* when a reply last confirmed it */
    NsEventId timer;
    NsPacketQueue pending;
    uint32_t pending_bytes;
    uint32_t addr;
    uint32_t slot; /* its place in the interface's array */
    uint32_t tries;
    uint8_t mac[6];
    uint8_t state;  /* ArpState */
    bool probing;   /* a unicast confirmation is outstanding */
} ArpEntry;

/* The unresolved-neighbour queue limit of a profile: a count of datagrams
 * (0: none) and a count of bytes (0: none). */
typedef struct {
    uint32_t packets, bytes;
} ArpQueueLimit;

static ArpQueueLimit arp_queue_limit(NsProfile profile)
{
    switch (profile) {
    case NS_PROFILE_LINUX:
        return (ArpQueueLimit){0, NS_ARP_QUEUE_BYTES_LINUX}; /* unres_qlen_bytes */
    case NS_PROFILE_MINIMAL:
        break;
    }
    return (ArpQueueLimit){NS_ARP_QUEUE_LEN, 0};
}

bool ns_host_neigh_queue_full(const NsHost *host, uint32_t count, uint32_t bytes,
                              uint32_t adding)
{
    ArpQueueLimit l = arp_queue_limit(ns_host_profile(host));
    if (!count)
        return false;
    return (l.packets && count >= l.packets) || (l.bytes && bytes + adding > l.bytes);
}

static bool arp_queue_full(const NsHost *h, const ArpEntry *e, uint32_t adding)
{
    return ns_host_neigh_queue_full(h, e->pending.count, e->pending_bytes, adding);
}

typedef struct {
    NsIpv6Addr addr;
    uint8_t prefix_len;
} Addr6;

/* 168 bytes: the first neighbour's entry, then pointers, then the 32-bit
 * fields, the bytes last. */
struct NsIface {
    /* Where the interface's first neighbour's entry lives (in use while its
     * iface is set): a point-to-point link has one neighbour, whose entry
     * then costs no allocation and no malloc header of its own. */
    ArpEntry arp_own;
    NsHost *host;
    NsSegment *seg;
    /* The neighbour cache: its entries in an array sized by doubling from
     * one (that one slot in the interface itself: a point-to-point link's
     * only neighbour costs no allocation of its own), and an index
     * (addr -> ArpEntry*) once they are more than NS_HOST_SCAN_NEIGHS. */
    ArpEntry **arp; /* &arp_one until a second neighbour comes */
    ArpEntry *arp_one;
    GHashTable *arp_index;
    Addr6 *addr6; /* n_addr6 of them (at most NS_IFACE_MAX_ADDR6); NULL without */
    /* IPv6: the link-local address (fe80::/64 + modified EUI-64 of the MAC,
     * every interface has one) and the addresses the scenario gives. */
    NsIpv6Addr ll6;
    uint32_t n_addr6;
    uint32_t n_arp, cap_arp;
    uint32_t index;
    uint32_t addr;
    uint32_t port;
    uint8_t prefix_len;
    uint8_t mac[6];
};

struct NsHost {
    NsCtx *ctx;
    NsRng rng;
    /* The interfaces: an array sized by doubling from one, that one slot
     * in the host itself (&iface_one), as the first interface is: it lives
     * in the host's allocation, after the name, so a client host with one
     * link costs one allocation where it cost three. */
    NsIface **ifaces;
    NsIface *iface_one;
    /* Indexes of the interfaces for hosts with many (a router with a link
     * per client): address -> first NsIface holding it, and the directed
     * broadcast addresses of attached subnets (a set). NULL while the host
     * has few interfaces; then a scan is cheaper. */
    GHashTable *by_addr, *bcasts;
    void *slots[NS_HOST_SLOT_COUNT];
    NsL3InputFn l3_input;
    NsL3UnreachFn l3_unreach;
    void *l3;
    NsL3InputFn l3_input6; /* IPv6 datagrams (ethertype 0x86dd) */
    void *l3v6;
    uint32_t index;
    NsProfile profile;
    uint32_t n_ifaces, cap_ifaces;
    uint32_t ephemeral_cursor;
    bool is_router;
    bool up;
    char name[]; /* in the same allocation, and then the first interface */
};

/* Where a host's first interface starts: after its name, aligned. */
static size_t first_iface_offset(size_t name_len)
{
    size_t end = offsetof(NsHost, name) + name_len + 1;
    return (end + _Alignof(NsIface) - 1) / _Alignof(NsIface) * _Alignof(NsIface);
}

static NsIface *first_iface(NsHost *host)
{
    return (NsIface *)(void *)((char *)host + first_iface_offset(strlen(host->name)));
}

const char *ns_profile_name(NsProfile profile)
{
    switch (profile) {
    case NS_PROFILE_MINIMAL:
        return "minimal";
    case NS_PROFILE_LINUX:
        return "linux";
    }
    return "?";
}

/* A zeroed entry for a new neighbour of ifc. */
static ArpEntry *arp_entry_new(NsIface *ifc)
{
    ArpEntry *e = ifc->arp_own.iface ? g_new0(ArpEntry, 1) : &ifc->arp_own;
    e->iface = ifc;
    return e;
}

static void arp_entry_free(ArpEntry *e)
{
    NsIface *ifc = e->iface;
    ns_sim_cancel(ns_host_ctx(ifc->host)->sim, &e->timer);
    ns_packet_queue_clear(&e->pending);
    if (e == &ifc->arp_own)
        *e = (ArpEntry){0};
    else
        g_free(e);
}

static ArpEntry *arp_find(const NsIface *ifc, uint32_t addr)
{
    if (ifc->arp_index)
        return g_hash_table_lookup(ifc->arp_index, GUINT_TO_POINTER(addr));
    for (uint32_t i = 0; i < ifc->n_arp; i++)
        if (ifc->arp[i]->addr == addr)
            return ifc->arp[i];
    return NULL;
}

static void arp_insert(NsIface *ifc, ArpEntry *e)
{
    NS_ONE_SLOT_RESERVE(ifc->arp, ifc->arp_one, ifc->n_arp, ifc->cap_arp);
    e->slot = ifc->n_arp;
    ifc->arp[ifc->n_arp++] = e;
    if (!ifc->arp_index && ifc->n_arp > NS_HOST_SCAN_NEIGHS) {
        ifc->arp_index = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (uint32_t i = 0; i + 1 < ifc->n_arp; i++)
            g_hash_table_insert(ifc->arp_index, GUINT_TO_POINTER(ifc->arp[i]->addr), ifc->arp[i]);
    }
    if (ifc->arp_index)
        g_hash_table_insert(ifc->arp_index, GUINT_TO_POINTER(e->addr), e);
}

/* Forget a neighbour: its timer, its waiting datagrams and its entry. */
static void arp_remove(NsIface *ifc, ArpEntry *e)
{
    if (ifc->arp_index)
        g_hash_table_remove(ifc->arp_index, GUINT_TO_POINTER(e->addr));
    ArpEntry *last = ifc->arp[--ifc->n_arp];
    ifc->arp[e->slot] = last;
    last->slot = e->slot;
    arp_entry_free(e);
}

static void arp_clear(NsIface *ifc)
{
    while (ifc->n_arp)
        arp_remove(ifc, ifc->arp[ifc->n_arp - 1]);
}

NsHost *ns_host_new(NsCtx *ctx, const char *name, uint32_t index, bool is_router,
                    NsProfile profile)
{
    size_t len = strlen(name);
    NsHost *h = ns_ctx_alloc0(ctx, first_iface_offset(len) + sizeof(NsIface));
    memcpy(h->name, name, len + 1);
    h->ifaces = &h->iface_one;
    h->cap_ifaces = 1;
    h->ctx = ctx;
    h->index = index;
    h->is_router = is_router;
    h->up = true;
    h->profile = profile;
    ns_rng_init(&h->rng, ctx->seed, "host", index);
    return h;
}

void ns_host_free(NsHost *host)
{
    if (!host)
        return;
    for (uint32_t i = 0; i < host->n_ifaces; i++) {
        NsIface *ifc = host->ifaces[i];
        arp_clear(ifc);
        if (ifc->arp != &ifc->arp_one)
            g_free(ifc->arp);
        g_free(ifc->addr6);
        if (ifc->arp_index)
            g_hash_table_destroy(ifc->arp_index);
        if (i > 0)
            ns_ctx_release(host->ctx, ifc);
    }
    if (host->ifaces != &host->iface_one)
        g_free(host->ifaces);
    if (host->by_addr) {
        g_hash_table_destroy(host->by_addr);
        g_hash_table_destroy(host->bcasts);
    }
    ns_ctx_release(host->ctx, host);
}

const char *ns_host_name(const NsHost *host) { return host->name; }
uint32_t ns_host_index(const NsHost *host) { return host->index; }
bool ns_host_is_router(const NsHost *host) { return host->is_router; }
NsProfile ns_host_profile(const NsHost *host) { return host->profile; }
NsCtx *ns_host_ctx(const NsHost *host) { return host->ctx; }
NsRng *ns_host_rng(NsHost *host) { return &host->rng; }
bool ns_host_is_up(const NsHost *host) { return host->up; }
uint32_t *ns_host_ephemeral_cursor(NsHost *host) { return &host->ephemeral_cursor; }

void *ns_host_slot(const NsHost *host, NsHostSlot slot)
{
    return host->slots[slot];
}

void ns_host_set_slot(NsHost *host, NsHostSlot slot, void *data)
{
    host->slots[slot] = data;
}

void ns_host_set_l3(NsHost *host, NsL3InputFn input, NsL3UnreachFn unreach, void *l3)
{
    host->l3_input = input;
    host->l3_unreach = unreach;
    host->l3 = l3;
}

void ns_host_set_l3_v6(NsHost *host, NsL3InputFn input, void *l3)
{
    host->l3_input6 = input;
    host->l3v6 = l3;
}

uint32_t ns_host_iface_count(const NsHost *host) { return host->n_ifaces; }

NsIface *ns_host_iface(const NsHost *host, uint32_t i)
{
    return host->ifaces[i];
}

NsIface *ns_host_iface_by_addr(const NsHost *host, uint32_t addr)
{
    if (host->by_addr)
        return g_hash_table_lookup(host->by_addr, GUINT_TO_POINTER(addr));
    if (!addr)
        return NULL; /* an interface without IPv4 has address 0 */
    for (uint32_t i = 0; i < host->n_ifaces; i++) {
        NsIface *ifc = host->ifaces[i];
        if (ifc->addr == addr)
            return ifc;
    }
    return NULL;
}

bool ns_host_has_addr(const NsHost *host, uint32_t addr)
{
    return ns_host_iface_by_addr(host, addr) != NULL;
}

/* The directed broadcast address of an interface's subnet, or 0 when the
 * subnet has none (/31 and /32: RFC 3021). */
static uint32_t iface_bcast(const NsIface *ifc)
{
    if (ifc->prefix_len >= 31 || !ifc->addr)
        return 0;
    return ifc->addr | ~ns_ipv4_mask(ifc->prefix_len);
}

bool ns_host_is_directed_broadcast(const NsHost *host, uint32_t addr)
{
    if (host->bcasts)
        return g_hash_table_contains(host->bcasts, GUINT_TO_POINTER(addr));
    for (uint32_t i = 0; i < host->n_ifaces; i++) {
        uint32_t b = iface_bcast(host->ifaces[i]);
        if (b && b == addr)
            return true;
    }
    return false;
}

static void index_iface(NsHost *host, NsIface *ifc)
{
    if (ifc->addr && !g_hash_table_contains(host->by_addr, GUINT_TO_POINTER(ifc->addr)))
        g_hash_table_insert(host->by_addr, GUINT_TO_POINTER(ifc->addr), ifc);
    uint32_t b = iface_bcast(ifc);
    if (b)
        g_hash_table_add(host->bcasts, GUINT_TO_POINTER(b));
}

NsHost *ns_iface_host(const NsIface *iface) { return iface->host; }
uint32_t ns_iface_index(const NsIface *iface) { return iface->index; }
uint32_t ns_iface_addr(const NsIface *iface) { return iface->addr; }
uint8_t ns_iface_prefix_len(const NsIface *iface) { return iface->prefix_len; }
const uint8_t *ns_iface_mac(const NsIface *iface) { return iface->mac; }
NsSegment *ns_iface_segment(const NsIface *iface) { return iface->seg; }
uint32_t ns_iface_mtu(const NsIface *iface) { return ns_segment_opts(iface->seg)->mtu; }
bool ns_iface_has_ipv4(const NsIface *iface) { return iface->addr != 0; }
const NsIpv6Addr *ns_iface_link_local(const NsIface *iface) { return &iface->ll6; }
uint32_t ns_iface_addr6_count(const NsIface *iface) { return iface->n_addr6; }

const NsIpv6Addr *ns_iface_addr6(const NsIface *iface, uint32_t i, uint8_t *prefix_len)
{
    if (prefix_len)
        *prefix_len = iface->addr6[i].prefix_len;
    return &iface->addr6[i].addr;
}

bool ns_iface_add_addr6(NsIface *iface, const NsIpv6Addr *addr, uint8_t prefix_len)
{
    if (iface->n_addr6 >= NS_IFACE_MAX_ADDR6 || prefix_len > 128)
        return false;
    iface->addr6 = g_renew(Addr6, iface->addr6, iface->n_addr6 + 1);
    iface->addr6[iface->n_addr6] = (Addr6){*addr, prefix_len};
    iface->n_addr6++;
    return true;
}

bool ns_iface_owns_addr6(const NsIface *iface, const NsIpv6Addr *addr)
{
    if (ns_ipv6_addr_equal(addr, &iface->ll6))
        return true;
    for (uint32_t i = 0; i < iface->n_addr6; i++)
        if (ns_ipv6_addr_equal(addr, &iface->addr6[i].addr))
            return true;
    return false;
}

void ns_iface_send_frame(NsIface *iface, NsPacket *datagram, const uint8_t dst_mac[6],
                         uint16_t ethertype)
{
    if (!iface->host->up) {
        ns_packet_free(datagram);
        return;
    }
    NsEthRepr eth = {.ethertype = ethertype};
    memcpy(eth.dst, dst_mac, 6);
    memcpy(eth.src, iface->mac, 6);
    uint8_t *h = ns_packet_push(datagram, NS_ETH_HLEN);
    ns_eth_emit(&eth, h, NS_ETH_HLEN);
    ns_segment_send(iface->seg, iface->port, datagram);
}

static NsTime now_of(const NsIface *iface)
{
    return ns_sim_now(iface->host->ctx->sim);
}

/* An ARP event: `who` is the address being resolved or answered for,
 * `peer` the other party (0 for none). */
/* An ARP event: `who` is the address asked about or answered for, `peer`
 * the other end (asker, or the one answered); `mac` the answer. */
static void trace_arp(NsIface *iface, NsArpEvent what, uint32_t who, uint32_t peer,
                      const uint8_t *mac, uint32_t count, bool unicast)
{
    NsTracer *tr = iface->host->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_ARP))
        return;
    NsTraceEvent ev = {
        .time = now_of(iface),
        .kind = NS_TRACE_ARP,
        .host = iface->host->name,
        .where = ns_segment_name(iface->seg),
        .arp_ev = what,
        .src = who,
        .dst = peer,
        .count = count,
        .unicast = unicast,
    };
    if (mac)
        memcpy(ev.mac, mac, 6);
    ns_trace_emit(tr, &ev);
}

/* Frame an ARP packet and put it on the segment. */
static void arp_send(NsIface *iface, NsArpOp op, const uint8_t *dst_mac, const uint8_t *tha,
                     uint32_t tpa)
{
    NsPacket *f = ns_packet_new(iface->host->ctx->pool, 0, NS_ETH_HLEN + NS_ARP_LEN);
    NsEthRepr eth = {.ethertype = NS_ETHERTYPE_ARP};
    memcpy(eth.dst, dst_mac, 6);
    memcpy(eth.src, iface->mac, 6);
    ns_eth_emit(&eth, f->data, f->len);
    NsArpRepr arp = {.op = op, .spa = iface->addr, .tpa = tpa};
    memcpy(arp.sha, iface->mac, 6);
    memcpy(arp.tha, tha, 6);
    ns_arp_emit(&arp, f->data + NS_ETH_HLEN, NS_ARP_LEN);
    ns_segment_send(iface->seg, iface->port, f);
}

static void send_request(NsIface *iface, ArpEntry *e, const uint8_t *dst_mac)
{
    static const uint8_t zero[6];
    trace_arp(iface, NS_ARP_EV_REQUEST, e->addr, iface->addr, NULL, 0,
              dst_mac != ns_eth_broadcast);
    arp_send(iface, NS_ARP_OP_REQUEST, dst_mac, zero, e->addr);
}

static void frame_and_send(NsIface *iface, NsPacket *datagram, const uint8_t *dst_mac)
{
    NsEthRepr eth = {.ethertype = NS_ETHERTYPE_IPV4};
    memcpy(eth.dst, dst_mac, 6);
    memcpy(eth.src, iface->mac, 6);
    uint8_t *h = ns_packet_push(datagram, NS_ETH_HLEN);
    ns_eth_emit(&eth, h, NS_ETH_HLEN);
    ns_segment_send(iface->seg, iface->port, datagram);
}

static void arp_timeout(NsSim *sim, void *obj, void *arg);

/* An entry has at most one timer: arming cancels the one pending, so that
 * no second timer can fire on an entry the first one has freed. */
static void arm_retry(NsIface *iface, ArpEntry *e)
{
    ns_sim_cancel(iface->host->ctx->sim, &e->timer);
    e->timer = ns_sim_schedule(iface->host->ctx->sim, NS_ARP_RETRY_INTERVAL, arp_timeout, iface,
                               e);
}

static void arp_timeout(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsIface *iface = obj;
    ArpEntry *e = arg;
    e->timer = NS_EVENT_NONE;
    if (e->state == ARP_REACHABLE) {
        /* A unicast confirmation went unanswered: ask again (still probing,
         * so that datagrams sent meanwhile start no second probe), then
         * forget the neighbour; the next datagram starts over with a
         * broadcast. */
        if (e->tries < NS_ARP_RETRIES) {
            e->tries++;
            send_request(iface, e, e->mac);
            arm_retry(iface, e);
            return;
        }
        trace_arp(iface, NS_ARP_EV_EXPIRED, e->addr, 0, NULL, 0, false);
        arp_remove(iface, e);
        return;
    }
    if (e->tries < NS_ARP_RETRIES) {
        e->tries++;
        send_request(iface, e, ns_eth_broadcast);
        arm_retry(iface, e);
        return;
    }
    trace_arp(iface, NS_ARP_EV_FAILED, e->addr, 0, NULL, NS_ARP_RETRIES, false);
    /* Hand the waiting datagrams back to IP, which reports them unreachable. */
    NsPacketQueue q = e->pending;
    e->pending = (NsPacketQueue){0};
    e->pending_bytes = 0;
    arp_remove(iface, e);
    NsPacket *p;
    NsHost *h = iface->host;
    while ((p = ns_packet_queue_pop(&q))) {
        if (h->l3_unreach)
            h->l3_unreach(h->l3, iface, p);
        else
            ns_packet_free(p);
    }
}

void ns_iface_output(NsIface *iface, NsPacket *datagram, uint32_t next_hop)
{
    NsHost *h = iface->host;
    if (!h->up) {
        ns_packet_free(datagram);
        return;
    }
    ArpEntry *e = arp_find(iface, next_hop);
    if (e && e->state == ARP_REACHABLE) {
        if (!e->probing && now_of(iface) - e->confirmed >= NS_ARP_REACHABLE_TIME) {
            e->probing = true;
            e->tries = 1;
            send_request(iface, e, e->mac);
            arm_retry(iface, e);
        }
        frame_and_send(iface, datagram, e->mac);
        return;
    }
    if (!e) {
        e = arp_entry_new(iface);
        e->addr = next_hop;
        e->state = ARP_INCOMPLETE;
        arp_insert(iface, e);
        ns_packet_queue_push(&e->pending, datagram);
        e->pending_bytes = (uint32_t)datagram->len;
        e->tries = 1;
        send_request(iface, e, ns_eth_broadcast);
        arm_retry(iface, e);
        return;
    }
    while (arp_queue_full(h, e, (uint32_t)datagram->len)) {
        NsPacket *old = ns_packet_queue_pop(&e->pending);
        e->pending_bytes -= (uint32_t)old->len;
        NsTracer *tr = h->ctx->tracer;
        if (ns_tracer_wants(tr, NS_TRACE_DROP)) {
            NsTraceEvent ev = {.time = now_of(iface), .kind = NS_TRACE_DROP, .host = h->name,
                               .drop = NS_DROP_ARP_QUEUE_FULL};
            ns_trace_describe_ip(&ev, ns_packet_bytes(old), old->len);
            ns_trace_emit(tr, &ev);
        }
        ns_packet_free(old);
    }
    ns_packet_queue_push(&e->pending, datagram);
    e->pending_bytes += (uint32_t)datagram->len;
}

/* Create or refresh the entry for (addr, mac) and release waiting datagrams. */
static void arp_learn(NsIface *iface, uint32_t addr, const uint8_t mac[6], bool create)
{
    ArpEntry *e = arp_find(iface, addr);
    if (!e) {
        if (!create)
            return;
        e = arp_entry_new(iface);
        e->addr = addr;
        arp_insert(iface, e);
    }
    bool was_incomplete = e->state == ARP_INCOMPLETE;
    memcpy(e->mac, mac, 6);
    e->state = ARP_REACHABLE;
    e->confirmed = now_of(iface);
    e->probing = false;
    e->tries = 0;
    ns_sim_cancel(iface->host->ctx->sim, &e->timer);
    if (was_incomplete && e->pending.count)
        trace_arp(iface, NS_ARP_EV_RESOLVED, addr, 0, mac, e->pending.count, false);
    NsPacket *p;
    e->pending_bytes = 0;
    while ((p = ns_packet_queue_pop(&e->pending)))
        frame_and_send(iface, p, e->mac);
}

static void arp_input(NsIface *iface, const uint8_t *buf, size_t len)
{
    NsArpRepr arp;
    if (ns_arp_parse(buf, len, &arp) != NS_WIRE_OK)
        return;
    bool for_me = iface->addr && arp.tpa == iface->addr;
    /* RFC 826: update an existing entry for the sender; add one only when
     * the request was for us (we are about to talk to it anyway). */
    arp_learn(iface, arp.spa, arp.sha, for_me && arp.op == NS_ARP_OP_REQUEST);
    if (for_me && arp.op == NS_ARP_OP_REQUEST) {
        trace_arp(iface, NS_ARP_EV_REPLY, iface->addr, arp.spa, iface->mac, 0, false);
        arp_send(iface, NS_ARP_OP_REPLY, arp.sha, arp.sha, arp.spa);
    }
}

static void drop_host_down(NsHost *h, NsPacket *frame)
{
    NsTracer *tr = h->ctx->tracer;
    if (ns_tracer_wants(tr, NS_TRACE_DROP)) {
        char summary[96];
        NsTraceEvent ev = {.time = ns_sim_now(h->ctx->sim), .kind = NS_TRACE_DROP,
                           .host = h->name, .drop = NS_DROP_HOST_DOWN};
        ns_trace_describe_frame(&ev, ns_packet_bytes(frame), frame->len, summary, sizeof summary);
        ns_trace_emit(tr, &ev);
    }
    ns_packet_release(frame);
}

/* A frame from the segment, perhaps only lent (a flood): every path that
 * only reads it ends in ns_packet_release(), and IP, which pulls headers
 * and may queue it, gets one it owns (ns_packet_keep). */
static void iface_deliver(void *owner, uint32_t port, NsPacket *frame)
{
    (void)port;
    NsIface *iface = owner;
    NsHost *h = iface->host;
    if (!h->up) {
        drop_host_down(h, frame);
        return;
    }
    NsEthRepr eth;
    /* IPv6 multicast (33:33:...) is let through: the IPv6 layer keeps
     * what is for a group the interface joined (all-nodes, its
     * solicited-node groups), as a NIC's multicast filter would. */
    if (ns_eth_parse(frame->data, frame->len, &eth) != NS_WIRE_OK ||
        (!ns_mac_is_broadcast(eth.dst) && memcmp(eth.dst, iface->mac, 6) != 0 &&
         !(eth.dst[0] == 0x33 && eth.dst[1] == 0x33 && eth.ethertype == NS_ETHERTYPE_IPV6))) {
        ns_packet_release(frame); /* not for this NIC: filtered in hardware */
        return;
    }
    switch (eth.ethertype) {
    case NS_ETHERTYPE_ARP:
        /* Read, never kept: a reply is built from the parsed fields. */
        arp_input(iface, frame->data + NS_ETH_HLEN, frame->len - NS_ETH_HLEN);
        break;
    case NS_ETHERTYPE_IPV4:
        if (!h->l3_input)
            break;
        frame = ns_packet_keep(frame);
        ns_packet_pull(frame, NS_ETH_HLEN);
        /* Simulated links deliver the bytes that were sent, and every
         * sender computed its checksums: the NIC's offload vouches. */
        frame->flags |= NS_PACKET_RX_CSUM_OK;
        h->l3_input(h->l3, iface, frame);
        return;
    case NS_ETHERTYPE_IPV6:
        if (!h->l3_input6)
            break;
        frame = ns_packet_keep(frame);
        ns_packet_pull(frame, NS_ETH_HLEN);
        frame->flags |= NS_PACKET_RX_CSUM_OK;
        h->l3_input6(h->l3v6, iface, frame);
        return;
    default:
        break;
    }
    ns_packet_release(frame);
}

NsIface *ns_host_add_iface(NsHost *host, uint32_t addr, uint8_t prefix_len, NsSegment *seg)
{
    NsIface *ifc =
        host->n_ifaces ? ns_ctx_alloc0(host->ctx, sizeof(NsIface)) : first_iface(host);
    ifc->host = host;
    ifc->index = host->n_ifaces;
    ifc->addr = addr;
    ifc->prefix_len = prefix_len;
    uint32_t hn = host->index + 1;
    uint8_t mac[6] = {0x02, 0x00, (uint8_t)(hn >> 16), (uint8_t)(hn >> 8), (uint8_t)hn,
                      (uint8_t)(ifc->index + 1)};
    memcpy(ifc->mac, mac, 6);
    ns_ipv6_link_local_from_mac(mac, &ifc->ll6);
    ifc->seg = seg;
    ifc->arp = &ifc->arp_one;
    ifc->cap_arp = 1;
    ifc->port = ns_segment_attach(seg, mac, iface_deliver, ifc, host->name, ifc->index);
    NS_ONE_SLOT_RESERVE(host->ifaces, host->iface_one, host->n_ifaces, host->cap_ifaces);
    host->ifaces[host->n_ifaces++] = ifc;
    if (!host->by_addr && host->n_ifaces > NS_HOST_SCAN_IFACES) {
        host->by_addr = g_hash_table_new(g_direct_hash, g_direct_equal);
        host->bcasts = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (uint32_t i = 0; i + 1 < host->n_ifaces; i++)
            index_iface(host, host->ifaces[i]);
    }
    if (host->by_addr)
        index_iface(host, ifc);
    return ifc;
}

void ns_host_set_up(NsHost *host, bool up)
{
    host->up = up;
    if (!up) {
        for (uint32_t i = 0; i < host->n_ifaces; i++) {
            NsIface *ifc = host->ifaces[i];
            arp_clear(ifc);
        }
    }
}

static gint addr_cmp(gconstpointer a, gconstpointer b)
{
    uint32_t x = (*(const ArpEntry *const *)a)->addr, y = (*(const ArpEntry *const *)b)->addr;
    return x < y ? -1 : x > y;
}

void ns_host_neigh_foreach(const NsHost *host, NsNeighRowFn fn, void *data)
{
    NsTime now = ns_sim_now(host->ctx->sim);
    for (uint32_t i = 0; i < ns_host_iface_count(host); i++) {
        NsIface *ifc = ns_host_iface(host, i);
        g_autoptr(GPtrArray) v = g_ptr_array_sized_new(ifc->n_arp);
        for (uint32_t j = 0; j < ifc->n_arp; j++)
            g_ptr_array_add(v, ifc->arp[j]);
        g_ptr_array_sort(v, addr_cmp);
        for (guint j = 0; j < v->len; j++) {
            const ArpEntry *e = g_ptr_array_index(v, j);
            NsNeighRow row = {.addr = e->addr, .ifindex = i};
            if (e->state == ARP_INCOMPLETE) {
                row.state = NS_NEIGH_INCOMPLETE;
            } else {
                memcpy(row.mac, e->mac, 6);
                row.state = e->probing ? NS_NEIGH_PROBE
                            : now - e->confirmed < NS_ARP_REACHABLE_TIME ? NS_NEIGH_REACHABLE
                                                                          : NS_NEIGH_STALE;
            }
            fn(&row, data);
        }
    }
}

char *ns_neigh_row_format(const NsNeighRow *r)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(r->addr, a);
    if (r->state == NS_NEIGH_INCOMPLETE)
        return g_strdup_printf("%s dev eth%u INCOMPLETE", a, r->ifindex);
    return g_strdup_printf("%s dev eth%u lladdr %02x:%02x:%02x:%02x:%02x:%02x %s", a, r->ifindex,
                           r->mac[0], r->mac[1], r->mac[2], r->mac[3], r->mac[4], r->mac[5],
                           ns_neigh_state_name(r->state));
}

uint32_t ns_iface_arp_entries(const NsIface *iface)
{
    return iface->n_arp;
}

bool ns_iface_arp_lookup(const NsIface *iface, uint32_t addr, uint8_t mac_out[6])
{
    const ArpEntry *e = arp_find(iface, addr);
    if (!e || e->state != ARP_REACHABLE)
        return false;
    memcpy(mac_out, e->mac, 6);
    return true;
}
