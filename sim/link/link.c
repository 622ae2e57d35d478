/* Segments (switched networks and point-to-point links): per-port drop-tail
 * queues, serialization at the link rate, propagation delay with jitter,
 * and the random loss, duplication and reordering models. */
#include "netsim/link.h"

#include <string.h>

#include "netsim/rng.h"
#include "netsim-private/ctx.h"
#include "netsim-private/packet.h"

/* 72 bytes: widest fields first, so the narrow ones share the last word. */
typedef struct {
    NsPacketQueue queue; /* waiting frames; head is on the wire when busy */
    NsPortDeliverFn deliver;
    void *owner;
    const char *host; /* borrowed: the host's own name */
    NsTime last_arrival; /* keeps jittered frames in order per sender */
    uint32_t ifindex;
    uint8_t mac[6];
    bool busy;
} Port;

/* A switch's forwarding table entry (`bridge fdb`): where a MAC was last
 * seen as a source, and when. */
typedef struct {
    uint32_t port;
    NsTime seen;
} FdbEntry;

struct NsSegment {
    NsCtx *ctx;
    GHashTable *fdb;      /* learning: MAC (as uint64) -> FdbEntry* */
    NsLinkOpts opts;
    /* The loss, jitter, duplication and reordering draws: seeded from
     * (seed, "link", index) when the first is made, which gives the stream
     * seeding at creation would (nothing else draws from it), so the many
     * links that never draw carry a pointer, not 32 bytes of state. */
    NsRng *rng;
    uint32_t index;
    /* n_ports of them, room for cap_ports. A link's two are in the
     * segment's own allocation, after its name (a link per client host:
     * one allocation and its malloc header fewer each); a network's grow
     * by doubling. */
    Port *ports;
    GHashTable *mac_port; /* a network's: MAC (as uint64) -> port + 1; a link has none */
    uint64_t frames, drops;
    NsSegmentFaultFn fault_fn;
    void *fault_data;
    uint32_t n_ports, cap_ports;
    bool is_network;
    bool learning; /* a switch you can see: learns source MACs, floods unknown ones */
    bool up;
    uint8_t epoch; /* bumped when the segment goes down: in-flight frames die */
    char name[];   /* in the same allocation */
};

/* Where a link's two ports start: after the name, aligned for a Port. */
static size_t link_ports_offset(size_t name_len)
{
    size_t end = offsetof(NsSegment, name) + name_len + 1;
    return (end + _Alignof(Port) - 1) / _Alignof(Port) * _Alignof(Port);
}

static bool ports_inline(const NsSegment *seg)
{
    return !seg->is_network && seg->ports == (Port *)(void *)((char *)seg +
                                                              link_ports_offset(strlen(seg->name)));
}

/* The packet's meta field carries (epoch << 24 | receiving port) while the
 * frame is in flight, so delivery needs no allocation. */
#define META(epoch, port) (((uint32_t)(epoch) << 24) | ((port) & 0xffffffu))
#define META_PORT(m) ((m) & 0xffffffu)
#define META_EPOCH(m) ((uint8_t)((m) >> 24))

void ns_link_opts_init(NsLinkOpts *opts)
{
    *opts = (NsLinkOpts){.queue = 100, .mtu = 1500};
}

NsTime ns_link_tx_time(uint64_t rate_bps, uint32_t bytes)
{
    if (rate_bps == 0)
        return 0;
    /* bytes * 8e9 stays far below 2^63 for any frame size. */
    uint64_t bits_ns = (uint64_t)bytes * 8u * UINT64_C(1000000000);
    return (NsTime)((bits_ns + rate_bps - 1) / rate_bps);
}

static uint64_t mac_key(const uint8_t mac[6])
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++)
        k = (k << 8) | mac[i];
    return k;
}

static bool mac_is_broadcast(const uint8_t mac[6])
{
    return (mac[0] & 1) != 0; /* group bit: broadcast and multicast */
}

NsSegment *ns_segment_new(NsCtx *ctx, const char *name, bool is_network, const NsLinkOpts *opts,
                          uint32_t index)
{
    size_t len = strlen(name);
    size_t size = is_network ? offsetof(NsSegment, name) + len + 1
                             : link_ports_offset(len) + 2 * sizeof(Port);
    NsSegment *seg = ns_ctx_alloc0(ctx, MAX(size, sizeof(NsSegment)));
    memcpy(seg->name, name, len + 1);
    if (!is_network) {
        seg->ports = (Port *)(void *)((char *)seg + link_ports_offset(len));
        seg->cap_ports = 2;
    }
    seg->ctx = ctx;
    seg->is_network = is_network;
    seg->up = true;
    seg->opts = *opts;
    seg->index = index;
    if (is_network)
        seg->mac_port = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    return seg;
}

void ns_segment_free(NsSegment *seg)
{
    if (!seg)
        return;
    for (uint32_t i = 0; i < seg->n_ports; i++) {
        Port *p = &seg->ports[i];
        ns_packet_queue_clear(&p->queue);
    }
    if (!ports_inline(seg))
        g_free(seg->ports);
    g_free(seg->rng);
    if (seg->mac_port)
        g_hash_table_destroy(seg->mac_port);
    if (seg->fdb)
        g_hash_table_destroy(seg->fdb);
    ns_ctx_release(seg->ctx, seg);
}

const char *ns_segment_name(const NsSegment *seg)
{
    return seg->name;
}

bool ns_segment_is_network(const NsSegment *seg)
{
    return seg->is_network;
}

const NsLinkOpts *ns_segment_opts(const NsSegment *seg)
{
    return &seg->opts;
}

uint32_t ns_segment_port_count(const NsSegment *seg)
{
    return seg->n_ports;
}

const char *ns_segment_port_host(const NsSegment *seg, uint32_t port)
{
    return seg->ports[port].host;
}

uint64_t ns_segment_frames(const NsSegment *seg)
{
    return seg->frames;
}

uint64_t ns_segment_drops(const NsSegment *seg)
{
    return seg->drops;
}

uint32_t ns_segment_attach(NsSegment *seg, const uint8_t mac[6], NsPortDeliverFn deliver,
                           void *owner, const char *host_name, uint32_t ifindex)
{
    Port p = {.deliver = deliver, .owner = owner, .host = host_name, .ifindex = ifindex};
    memcpy(p.mac, mac, 6);
    if (seg->n_ports == seg->cap_ports) {
        uint32_t cap = seg->cap_ports ? seg->cap_ports * 2 : 2;
        if (ports_inline(seg))
            seg->ports = g_memdup2(seg->ports, seg->n_ports * sizeof(Port));
        seg->ports = g_renew(Port, seg->ports, cap);
        seg->cap_ports = cap;
    }
    uint32_t port = seg->n_ports++;
    seg->ports[port] = p;
    if (seg->mac_port) {
        int64_t *key = g_new(int64_t, 1);
        *key = (int64_t)mac_key(mac);
        g_hash_table_insert(seg->mac_port, key, GUINT_TO_POINTER(port + 1));
    }
    return port;
}

static Port *port_at(NsSegment *seg, uint32_t port)
{
    return &seg->ports[port];
}

void ns_segment_set_learning(NsSegment *seg)
{
    g_return_if_fail(seg->is_network && seg->n_ports == 0);
    seg->learning = true;
    seg->fdb = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
}

bool ns_segment_is_learning(const NsSegment *seg)
{
    return seg->learning;
}

static void trace_switch(NsSegment *seg, NsLinkEvent what, const uint8_t mac[6], uint32_t port,
                         uint32_t count)
{
    NsTracer *tr = seg->ctx->tracer;
    if (!ns_tracer_wants(tr, NS_TRACE_LINK))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(seg->ctx->sim), .kind = NS_TRACE_LINK,
                       .where = seg->name, .link_ev = what, .ifindex = port + 1,
                       .count = count, .text = port_at(seg, port)->host};
    memcpy(ev.mac, mac, 6);
    ns_trace_emit(tr, &ev);
}

static bool fdb_alive(const NsSegment *seg, const FdbEntry *e)
{
    return ns_sim_now(seg->ctx->sim) - e->seen < NS_SWITCH_AGEING;
}

/* IEEE 802.1D learning: the source MAC is behind the port it came in on. */
static void learn(NsSegment *seg, uint32_t from, const uint8_t *src)
{
    if (mac_is_broadcast(src))
        return;
    int64_t key = (int64_t)mac_key(src);
    FdbEntry *e = g_hash_table_lookup(seg->fdb, &key);
    bool known = e && e->port == from && fdb_alive(seg, e);
    if (!e) {
        int64_t *k = g_new(int64_t, 1);
        *k = key;
        e = g_new0(FdbEntry, 1);
        g_hash_table_insert(seg->fdb, k, e);
    }
    e->port = from;
    e->seen = ns_sim_now(seg->ctx->sim);
    if (!known)
        trace_switch(seg, NS_LINK_EV_LEARNED, src, from, 0);
}

/* The port a switch sends a unicast frame to: index + 1, 0 when it does
 * not know the MAC (or forgot it: entries age out). */
static uint32_t fdb_port(NsSegment *seg, const uint8_t *dst)
{
    int64_t key = (int64_t)mac_key(dst);
    const FdbEntry *e = g_hash_table_lookup(seg->fdb, &key);
    return e && fdb_alive(seg, e) ? e->port + 1 : 0;
}

static gint fdb_cmp(gconstpointer a, gconstpointer b)
{
    const NsFdbRow *x = a, *y = b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return memcmp(x->mac, y->mac, 6);
}

void ns_segment_fdb_foreach(const NsSegment *seg, NsFdbRowFn fn, void *data)
{
    if (!seg->fdb)
        return;
    g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(NsFdbRow));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, seg->fdb);
    NsTime now = ns_sim_now(seg->ctx->sim);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const FdbEntry *e = v;
        if (!fdb_alive(seg, e))
            continue;
        NsFdbRow r = {.port = e->port, .age = now - e->seen,
                      .host = seg->ports[e->port].host};
        uint64_t m = (uint64_t)*(const int64_t *)k;
        for (int i = 5; i >= 0; i--, m >>= 8)
            r.mac[i] = (uint8_t)m;
        g_array_append_val(rows, r);
    }
    g_array_sort(rows, fdb_cmp);
    for (guint i = 0; i < rows->len; i++)
        fn(&g_array_index(rows, NsFdbRow, i), data);
}

static void trace_frame_emit(NsTracer *tr, NsSegment *seg, uint32_t port, NsPacket *frame,
                             NsTraceDir dir)
{
    ns_packet_bytes(frame); /* a capture reads them all */
    Port *p = port_at(seg, port);
    NsTraceEvent ev = {
        .time = ns_sim_now(seg->ctx->sim),
        .kind = NS_TRACE_FRAME,
        .host = p->host,
        .where = seg->name,
        .bytes = frame->data,
        .bytes_len = frame->len,
        .dir = dir,
        .ifindex = p->ifindex,
    };
    ns_trace_emit(tr, &ev);
}

/* The test in line: a frame no sink wants (every port of a flood, in a
 * quiet run) costs no call. */
static inline void trace_frame(NsSegment *seg, uint32_t port, NsPacket *frame, NsTraceDir dir)
{
    NsTracer *tr = seg->ctx->tracer;
    if (ns_tracer_wants(tr, NS_TRACE_FRAME))
        trace_frame_emit(tr, seg, port, frame, dir);
}

/* Report and free a frame the segment lost. `port` is the sender's; `ev`
 * holds the drop reason (and, for a targeted fault, the rule and its place). */
static void drop_frame_as(NsSegment *seg, uint32_t port, NsPacket *frame, NsTraceEvent ev)
{
    seg->drops++;
    NsTracer *tr = seg->ctx->tracer;
    if (ns_tracer_wants(tr, NS_TRACE_DROP)) {
        char summary[96];
        ev.time = ns_sim_now(seg->ctx->sim);
        ev.kind = NS_TRACE_DROP;
        ev.host = port_at(seg, port)->host;
        ev.where = seg->name;
        ns_packet_bytes(frame);
        ns_trace_describe_frame(&ev, frame->data, frame->len, summary, sizeof summary);
        ns_trace_emit(tr, &ev);
    }
    ns_packet_release(frame); /* a flood's lent frame is freed after its last port */
}

static void drop_frame(NsSegment *seg, uint32_t port, NsPacket *frame, NsDropReason why)
{
    drop_frame_as(seg, port, frame, (NsTraceEvent){.drop = why});
}

/* A frame a targeted fault takes off the wire. */
static void drop_frame_fault(NsSegment *seg, uint32_t port, NsPacket *frame, const char *rule,
                             NsTraceLoc loc)
{
    drop_frame_as(seg, port, frame,
                  (NsTraceEvent){.drop = NS_DROP_FAULT, .fault = NS_FAULT_DROP,
                                 .fault_rule = rule, .loc = loc});
}

void ns_segment_set_fault_hook(NsSegment *seg, NsSegmentFaultFn fn, void *data)
{
    seg->fault_fn = fn;
    seg->fault_data = data;
}

static void arrive(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsSegment *seg = obj;
    NsPacket *frame = arg;
    uint32_t to = META_PORT(frame->meta);
    if (!seg->up || META_EPOCH(frame->meta) != seg->epoch) {
        /* The segment went down while the frame was on the wire. Report it
         * at the receiving end: that is where it never arrived. */
        drop_frame(seg, to, frame, NS_DROP_LINK_DOWN);
        return;
    }
    Port *p = port_at(seg, to);
    trace_frame(seg, to, frame, NS_TRACE_DIR_IN);
    frame->meta = 0;
    p->deliver(p->owner, to, frame);
}

/* Send one copy of a frame that finished serializing on `from` towards `to`,
 * applying the loss, jitter, duplication and reordering models. */
static NsRng *seg_rng(NsSegment *seg)
{
    if (!seg->rng) {
        seg->rng = g_new(NsRng, 1);
        ns_rng_init(seg->rng, seg->ctx->seed, "link", seg->index);
    }
    return seg->rng;
}

static void propagate(NsSegment *seg, uint32_t from, uint32_t to, NsPacket *frame)
{
    const NsLinkOpts *o = &seg->opts;
    if (o->loss_ppm && ns_rng_chance_ppm(seg_rng(seg), o->loss_ppm)) {
        drop_frame(seg, from, frame, NS_DROP_LINK_LOSS);
        return;
    }
    Port *src = port_at(seg, from);
    NsTime now = ns_sim_now(seg->ctx->sim);
    NsTime at = now + o->delay;
    if (o->jitter)
        at += ns_rng_range(seg_rng(seg), 0, o->jitter);
    bool reorder = o->reorder_ppm && ns_rng_chance_ppm(seg_rng(seg), o->reorder_ppm);
    if (reorder) {
        /* Held back by one more propagation delay (at least 1 ms), without
         * holding back the frames behind it: they overtake it. */
        at += o->delay > NS_MS(1) ? o->delay : NS_MS(1);
    } else {
        if (at < src->last_arrival)
            at = src->last_arrival;
        src->last_arrival = at;
    }
    bool dup = o->dup_ppm && ns_rng_chance_ppm(seg_rng(seg), o->dup_ppm);
    frame->meta = META(seg->epoch, to);
    if (dup) {
        NsPacket *copy = ns_packet_copy(frame);
        ns_sim_schedule_at(seg->ctx->sim, at, arrive, seg, frame);
        ns_sim_schedule_at(seg->ctx->sim, at, arrive, seg, copy);
    } else {
        ns_sim_schedule_at(seg->ctx->sim, at, arrive, seg, frame);
    }
}

/* A flooded frame reaching every port but its sender's, as one event: one
 * frame in flight instead of a copy per port. Every port but the last is
 * lent the frame itself (NS_PACKET_LENT) and the last is given it, so a
 * receiver that only reads it (an ARP request for another host, a unicast
 * for another NIC) costs no copy; one that keeps it takes its own copy
 * then (ns_packet_keep), the bytes every port had before. The ports see it
 * in the order they would have seen one arrival event each. */
static void arrive_flood(NsSim *sim, void *obj, void *arg)
{
    NsSegment *seg = obj;
    NsPacket *frame = arg;
    uint32_t from = META_PORT(frame->meta);
    uint8_t epoch = META_EPOCH(frame->meta);
    uint32_t n = seg->n_ports, last = from == n - 1 ? n - 2 : n - 1;
    frame->flags |= NS_PACKET_LENT;
    for (uint32_t i = 0; i < n; i++) {
        if (i == from)
            continue;
        if (i == last)
            frame->flags &= (uint8_t)~NS_PACKET_LENT;
        frame->meta = META(epoch, i);
        arrive(sim, seg, frame);
    }
}

/* Flood a frame from `from` to every other port. Without per-frame
 * models (loss, jitter, reordering, duplication) every port receives it
 * at the same moment: one event carries it to all of them. */
static void flood(NsSegment *seg, uint32_t from, NsPacket *frame)
{
    uint32_t n = seg->n_ports;
    const NsLinkOpts *o = &seg->opts;
    if (n > 2 && !o->loss_ppm && !o->jitter && !o->reorder_ppm && !o->dup_ppm) {
        Port *src = port_at(seg, from);
        NsTime at = ns_sim_now(seg->ctx->sim) + o->delay;
        if (at < src->last_arrival)
            at = src->last_arrival;
        src->last_arrival = at;
        frame->meta = META(seg->epoch, from);
        ns_sim_schedule_at(seg->ctx->sim, at, arrive_flood, seg, frame);
        return;
    }
    uint32_t last = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++)
        if (i != from)
            last = i;
    for (uint32_t i = 0; i < n; i++) {
        if (i == from)
            continue;
        propagate(seg, from, i, i == last ? frame : ns_packet_copy(frame));
    }
    if (last == UINT32_MAX)
        ns_packet_free(frame);
}

/* A frame has been fully put on the wire by port `from`. */
static void transmitted(NsSegment *seg, uint32_t from, NsPacket *frame)
{
    seg->frames++;
    const char *rule = NULL;
    NsTraceLoc loc = {0};
    if (seg->fault_fn)
        ns_packet_bytes(frame); /* a fault's rule may look at them */
    if (seg->fault_fn && seg->fault_fn(seg->fault_data, seg, from, frame, &rule, &loc)) {
        drop_frame_fault(seg, from, frame, rule, loc);
        return;
    }
    uint32_t n = seg->n_ports;
    if (!seg->is_network) {
        if (n == 2)
            propagate(seg, from, 1 - from, frame);
        else
            ns_packet_free(frame);
        return;
    }
    const uint8_t *dst = frame->data;
    if (seg->learning) {
        learn(seg, from, frame->data + 6);
        if (!mac_is_broadcast(dst)) {
            uint32_t to = fdb_port(seg, dst);
            if (to != 0 && to - 1 != from) {
                propagate(seg, from, to - 1, frame);
                return;
            }
            if (to != 0) { /* behind the port it came from: filtered */
                ns_packet_free(frame);
                return;
            }
            trace_switch(seg, NS_LINK_EV_FLOODED, dst, from, n - 1);
        }
    } else if (!mac_is_broadcast(dst)) {
        int64_t key = (int64_t)mac_key(dst);
        uint32_t to = GPOINTER_TO_UINT(g_hash_table_lookup(seg->mac_port, &key));
        if (to != 0 && to - 1 != from) {
            propagate(seg, from, to - 1, frame);
            return;
        }
        if (to != 0) { /* addressed to itself: nothing to carry */
            ns_packet_free(frame);
            return;
        }
    }
    /* Broadcast, or a unicast a switch does not know yet: flooded. */
    flood(seg, from, frame);
}

static void start_tx(NsSegment *seg, uint32_t port);

static void tx_done(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsSegment *seg = obj;
    uint32_t port = GPOINTER_TO_UINT(arg);
    Port *p = port_at(seg, port);
    NsPacket *frame = ns_packet_queue_pop(&p->queue);
    p->busy = false;
    if (frame && !seg->up)
        drop_frame(seg, port, frame, NS_DROP_LINK_DOWN);
    else if (frame)
        transmitted(seg, port, frame);
    start_tx(seg, port);
}

static void start_tx(NsSegment *seg, uint32_t port)
{
    Port *p = port_at(seg, port);
    if (p->busy || !p->queue.head)
        return;
    p->busy = true;
    NsTime t = ns_link_tx_time(seg->opts.rate_bps, p->queue.head->len);
    ns_sim_schedule(seg->ctx->sim, t, tx_done, seg, GUINT_TO_POINTER(port));
}

void ns_segment_send(NsSegment *seg, uint32_t port, NsPacket *frame)
{
    g_return_if_fail(port < seg->n_ports);
    if (!seg->up) {
        drop_frame(seg, port, frame, NS_DROP_LINK_DOWN);
        return;
    }
    if (seg->opts.rate_bps == 0) {
        trace_frame(seg, port, frame, NS_TRACE_DIR_OUT);
        transmitted(seg, port, frame);
        return;
    }
    Port *p = port_at(seg, port);
    if (p->queue.count >= seg->opts.queue) {
        /* Never left the host: a capture on its interface would not see it. */
        drop_frame(seg, port, frame, NS_DROP_QUEUE_FULL);
        return;
    }
    trace_frame(seg, port, frame, NS_TRACE_DIR_OUT);
    ns_packet_queue_push(&p->queue, frame);
    start_tx(seg, port);
}

void ns_segment_set_up(NsSegment *seg, bool up)
{
    if (seg->up == up)
        return;
    seg->up = up;
    if (up)
        return;
    seg->epoch++;
    /* Frames waiting in the queues are lost with the link. The one being
     * serialized stays queued until its tx_done event, then goes nowhere. */
    for (uint32_t i = 0; i < seg->n_ports; i++) {
        Port *p = port_at(seg, i);
        NsPacket *onwire = p->busy ? ns_packet_queue_pop(&p->queue) : NULL;
        NsPacket *f;
        while ((f = ns_packet_queue_pop(&p->queue)))
            drop_frame(seg, i, f, NS_DROP_LINK_DOWN);
        if (onwire)
            ns_packet_queue_push(&p->queue, onwire);
    }
}

bool ns_segment_is_up(const NsSegment *seg)
{
    return seg->up;
}

void ns_segment_set_opts(NsSegment *seg, const NsLinkOpts *opts)
{
    seg->opts = *opts;
}
