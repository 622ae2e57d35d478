/* Flow statistics for the end-of-run summary: a trace sink on the SEND and
 * DROP events that counts packets and payload bytes each way per pair of
 * endpoints, retransmissions and drops. */
#include "flows-private.h"
#include "world-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/wire/ipv4.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/decimal.h"

/* One flow per unordered pair of endpoints: the key puts the lower
 * endpoint first. Compared as bytes, so it has no padding. */
typedef struct {
    uint32_t a, b;
    uint16_t pa, pb;
    uint32_t proto; /* and 0x100 over IPv6: a6, b6 hold the ends */
    uint8_t a6[16], b6[16];
} FlowKey;

/* The index: an open-addressed table (linear probing, at most three
 * quarters full) of 8-byte slots, a key's hash and what it names: a flow,
 * whose own key is made again from its two ends when a probe with the same
 * hash compares it, or the second key a NAT gave a flow, kept in nat_keys
 * (it was the 48-byte key in each slot: 1.8 MB for W1's 10,000 flows). */
typedef struct {
    uint32_t hash;
    uint32_t ref; /* 0: empty; a flow's index + 1; or NAT_REF | an index into nat_keys */
} FlowSlot;
#define NAT_REF 0x80000000u

typedef struct {
    FlowKey key;   /* the flow as the far side of a NAT sees it */
    uint32_t flow; /* index + 1 */
} NatKey;

struct NsFlows {
    GArray *flows;   /* NsWorldFlow, first-seen order */
    FlowSlot *slots; /* n_slots, a power of two */
    uint32_t n_slots, n_keys;
    GArray *nat_keys; /* NatKey */
    /* IPv4 fragments after the first carry no ports: a fragmented
     * datagram's (src, dst, ID, proto) -> its flow's index + 1, times 2,
     * plus its direction. NULL until a datagram is fragmented. */
    GHashTable *frags;
    /* The flow (index + 1) of each socket's last segment, by socket id: a
     * socket's next segment is most often of the same flow, which is then
     * checked by its ends instead of looked up (the table is larger than
     * the processor's caches when there are many flows). */
    uint32_t *by_sock;
    uint32_t n_by_sock;
};

typedef struct {
    uint32_t src, dst;
    uint32_t id;
    uint32_t proto;
    uint8_t src6[16], dst6[16]; /* IPv6: the addresses, src and dst 0 */
} FragKey;

static guint frag_hash(gconstpointer p)
{
    return ns_bytes_hash(p, sizeof(FragKey)); /* the key has no padding */
}

static gboolean frag_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(FragKey)) == 0;
}

static FlowKey flow_key(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    bool fwd = src < dst || (src == dst && sport <= dport);
    return (FlowKey){.a = fwd ? src : dst, .b = fwd ? dst : src, .pa = fwd ? sport : dport,
                     .pb = fwd ? dport : sport, .proto = proto};
}

static FlowKey flow_key6(uint8_t proto, const uint8_t *src, uint16_t sport, const uint8_t *dst,
                         uint16_t dport)
{
    int c = memcmp(src, dst, 16);
    bool fwd = c < 0 || (c == 0 && sport <= dport);
    FlowKey k = {.pa = fwd ? sport : dport, .pb = fwd ? dport : sport, .proto = proto | 0x100u};
    memcpy(k.a6, fwd ? src : dst, 16);
    memcpy(k.b6, fwd ? dst : src, 16);
    return k;
}

static uint32_t flow_key_hash(const FlowKey *k)
{
    uint64_t h = ((uint64_t)k->a << 32 | k->b) * 0x9E3779B97F4A7C15u;
    if (k->proto & 0x100u)
        h ^= (uint64_t)ns_ipv6_addr_key_hash(k->a6) << 32 ^ ns_ipv6_addr_key_hash(k->b6);
    h ^= ((uint64_t)k->pa << 32 | (uint64_t)k->pb << 16 | k->proto) * 0xC2B2AE3D27D4EB4Fu;
    return (uint32_t)(h ^ h >> 32);
}

/* Does slot sl name key k? */
static bool slot_is(const NsFlows *fl, const FlowSlot *sl, const FlowKey *k)
{
    if (sl->ref & NAT_REF) {
        const NatKey *nk = &g_array_index(fl->nat_keys, NatKey, sl->ref & ~NAT_REF);
        return memcmp(&nk->key, k, sizeof *k) == 0;
    }
    const NsWorldFlow *f = &g_array_index(fl->flows, NsWorldFlow, sl->ref - 1);
    FlowKey own = f->v6 ? flow_key6(f->proto, f->a6.b, f->pa, f->b6.b, f->pb)
                        : flow_key(f->proto, f->a, f->pa, f->b, f->pb);
    return memcmp(&own, k, sizeof *k) == 0;
}

/* The flow (index + 1) of key k, or 0. */
static guint flow_find(const NsFlows *fl, const FlowKey *k)
{
    uint32_t hash = flow_key_hash(k), mask = fl->n_slots - 1;
    for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
        const FlowSlot *sl = &fl->slots[i];
        if (!sl->ref)
            return 0;
        if (sl->hash == hash && slot_is(fl, sl, k))
            return sl->ref & NAT_REF ? g_array_index(fl->nat_keys, NatKey, sl->ref & ~NAT_REF).flow
                                     : sl->ref;
    }
}

/* The first empty slot from hash on. */
static FlowSlot *empty_slot(FlowSlot *slots, uint32_t n_slots, uint32_t hash)
{
    uint32_t mask = n_slots - 1;
    uint32_t i = hash & mask;
    while (slots[i].ref)
        i = (i + 1) & mask;
    return &slots[i];
}

/* Index k, not in the index yet, as naming `ref`. */
static void flow_index(NsFlows *f, const FlowKey *k, uint32_t ref)
{
    if (4 * (uint64_t)(f->n_keys + 1) > 3 * (uint64_t)f->n_slots) {
        uint32_t n = f->n_slots * 2;
        FlowSlot *slots = g_new0(FlowSlot, n);
        for (uint32_t i = 0; i < f->n_slots; i++)
            if (f->slots[i].ref)
                *empty_slot(slots, n, f->slots[i].hash) = f->slots[i];
        g_free(f->slots);
        f->slots = slots;
        f->n_slots = n;
    }
    uint32_t hash = flow_key_hash(k);
    *empty_slot(f->slots, f->n_slots, hash) = (FlowSlot){.hash = hash, .ref = ref};
    f->n_keys++;
}

static void flow_count(NsFlows *fl, const NsTraceEvent *ev, guint idx, int dir, uint32_t l4_hdr);
static void flow_count_first(NsFlows *fl, const NsTraceEvent *ev, guint idx, bool v6,
                             const FragKey *fk);

/* Is `ev` a datagram between the two ends of flow idx (either way)? */
static bool flow_has(const NsFlows *fl, guint idx, const NsTraceEvent *ev, bool v6)
{
    const NsWorldFlow *f = &g_array_index(fl->flows, NsWorldFlow, idx - 1);
    if (f->proto != ev->proto || f->v6 != v6)
        return false;
    if (v6)
        return (ev->sport == f->pa && ev->dport == f->pb && memcmp(ev->src6, f->a6.b, 16) == 0 &&
                memcmp(ev->dst6, f->b6.b, 16) == 0) ||
               (ev->sport == f->pb && ev->dport == f->pa && memcmp(ev->src6, f->b6.b, 16) == 0 &&
                memcmp(ev->dst6, f->a6.b, 16) == 0);
    return (ev->src == f->a && ev->sport == f->pa && ev->dst == f->b && ev->dport == f->pb) ||
           (ev->src == f->b && ev->sport == f->pb && ev->dst == f->a && ev->dport == f->pa);
}

/* The flow of the last segment of socket `id` (0: none known). */
static guint sock_flow(const NsFlows *fl, uint32_t id)
{
    return id < fl->n_by_sock ? fl->by_sock[id] : 0;
}

static void sock_flow_set(NsFlows *fl, uint32_t id, guint idx)
{
    if (id >= fl->n_by_sock) {
        uint32_t n = MAX(fl->n_by_sock * 2, 256u);
        while (n <= id)
            n *= 2;
        fl->by_sock = g_renew(uint32_t, fl->by_sock, n);
        memset(fl->by_sock + fl->n_by_sock, 0, (n - fl->n_by_sock) * sizeof *fl->by_sock);
        fl->n_by_sock = n;
    }
    fl->by_sock[id] = idx;
}

static void flow_write(void *self, const NsTraceEvent *ev)
{
    NsFlows *fl = self;
    /* TCP and UDP, over IPv4 or IPv6 */
    if (ev->proto != NS_IPPROTO_TCP && ev->proto != NS_IPPROTO_UDP)
        return;
    bool v6 = ev->src6 && ev->dst6;
    FragKey fk = {ev->src, ev->dst, ev->ip_id, ev->proto, {0}, {0}};
    if (v6) {
        memcpy(fk.src6, ev->src6, 16);
        memcpy(fk.dst6, ev->dst6, 16);
    }
    if (ev->frag && ev->frag_off) {
        /* Counted with its datagram's flow, if its first fragment was. */
        guint v = fl->frags ? GPOINTER_TO_UINT(g_hash_table_lookup(fl->frags, &fk)) : 0;
        if (v)
            flow_count(fl, ev, v / 2, (int)(v & 1), 0);
        return;
    }
    guint idx = ev->kind != NS_TRACE_NAT ? sock_flow(fl, ev->sock_id) : 0;
    if (idx && flow_has(fl, idx, ev, v6)) {
        flow_count_first(fl, ev, idx, v6, &fk);
        return;
    }
    FlowKey key = v6 ? flow_key6(ev->proto, ev->src6, ev->sport, ev->dst6, ev->dport)
                     : flow_key(ev->proto, ev->src, ev->sport, ev->dst, ev->dport);
    idx = flow_find(fl, &key);
    if (ev->kind == NS_TRACE_NAT) {
        /* The far side of a NAT sees the flow under its translated tuple:
         * the same flow. */
        FlowKey after = flow_key(ev->proto, ev->nat_src, ev->nat_sport, ev->nat_dst, ev->nat_dport);
        if (idx && !flow_find(fl, &after)) {
            NatKey nk = {.key = after, .flow = idx};
            g_array_append_val(fl->nat_keys, nk);
            flow_index(fl, &after, NAT_REF | (fl->nat_keys->len - 1));
        }
        return;
    }
    if (!idx) {
        NsWorldFlow f = {.proto = ev->proto, .a = ev->src, .pa = ev->sport, .b = ev->dst,
                         .pb = ev->dport, .v6 = v6};
        if (v6) {
            memcpy(f.a6.b, ev->src6, 16);
            memcpy(f.b6.b, ev->dst6, 16);
        }
        g_array_append_val(fl->flows, f);
        idx = fl->flows->len;
        flow_index(fl, &key, idx);
    }
    if (ev->sock_id)
        sock_flow_set(fl, ev->sock_id, idx);
    flow_count_first(fl, ev, idx, v6, &fk);
}

/* Count a datagram (not a later fragment) of flow idx, in its direction. */
static void flow_count_first(NsFlows *fl, const NsTraceEvent *ev, guint idx, bool v6,
                             const FragKey *fk)
{
    NsWorldFlow *f = &g_array_index(fl->flows, NsWorldFlow, idx - 1);
    int dir = (v6 ? memcmp(ev->src6, f->a6.b, 16) == 0 : ev->src == f->a) && ev->sport == f->pa
                  ? 0
                  : 1;
    uint32_t l4_hdr = 0;
    if (ev->frag) { /* the first fragment: its transport header is not payload */
        if (!fl->frags)
            fl->frags = g_hash_table_new_full(frag_hash, frag_equal, g_free, NULL);
        g_hash_table_insert(fl->frags, g_memdup2(fk, sizeof *fk), GUINT_TO_POINTER(idx * 2 + (guint)dir));
        l4_hdr = ev->proto == NS_IPPROTO_UDP ? 8 : 20;
    }
    flow_count(fl, ev, idx, dir, l4_hdr);
}

/* Count a packet (or a drop) of flow idx (index + 1) in direction dir;
 * l4_hdr bytes of it are not payload. */
static void flow_count(NsFlows *fl, const NsTraceEvent *ev, guint idx, int dir, uint32_t l4_hdr)
{
    NsWorldFlow *f = &g_array_index(fl->flows, NsWorldFlow, idx - 1);
    if (ev->kind == NS_TRACE_DROP) {
        f->drops++;
    } else {
        /* A delayed datagram is traced once, when it leaves; a duplicated
         * one really is sent twice. */
        f->pkts[dir]++;
        f->bytes[dir] += ev->payload_len > l4_hdr ? ev->payload_len - l4_hdr : 0;
        if (ev->send_why == NS_SEND_RTO || ev->send_why == NS_SEND_FAST_RETRANSMIT ||
            ev->send_why == NS_SEND_SACK_RETRANSMIT || ev->send_why == NS_SEND_PMTU)
            f->retrans++;
    }
}

static const NsTraceSinkOps flow_ops = {"flows", flow_write, NULL, NULL};

NsFlows *ns_flows_new(NsTracer *tracer)
{
    NsFlows *f = g_new0(NsFlows, 1);
    f->flows = g_array_new(FALSE, TRUE, sizeof(NsWorldFlow));
    f->n_slots = 64;
    f->slots = g_new0(FlowSlot, f->n_slots);
    f->nat_keys = g_array_new(FALSE, FALSE, sizeof(NatKey));
    if (tracer)
        ns_tracer_add_header_sink(tracer, &flow_ops, f,
                                  NS_TRACE_MASK(NS_TRACE_SEND) | NS_TRACE_MASK(NS_TRACE_DROP) |
                                      NS_TRACE_MASK(NS_TRACE_NAT));
    return f;
}

const NsWorldFlow *ns_flows_get(const NsFlows *f, size_t *n)
{
    *n = f->flows->len;
    return (const NsWorldFlow *)(const void *)f->flows->data;
}

static void append_u64(GString *s, uint64_t v)
{
    char d[NS_DECIMAL_U64_LEN];
    g_string_append_len(s, d, (gssize)ns_decimal_u64(d, v));
}

void ns_flows_summary(const NsFlows *fl, GString *s)
{
    if (!fl->flows->len)
        return;
    g_string_append(s, "# flows (packets/payload bytes each way)\n");
    for (guint i = 0; i < fl->flows->len; i++) {
        const NsWorldFlow *f = &g_array_index(fl->flows, NsWorldFlow, i);
        char a[64], b[64];
        ns_world_flow_end(f, false, a, sizeof a);
        ns_world_flow_end(f, true, b, sizeof b);
        /* "#   tcp A -> B  N pkts NB,  back N pkts NB[,  N retransmitted][,
         * N dropped]": one line per flow, appended without printf. */
        g_string_append(s, f->proto == NS_IPPROTO_UDP ? "#   udp " : "#   tcp ");
        g_string_append(s, a);
        g_string_append(s, " -> ");
        g_string_append(s, b);
        g_string_append(s, "  ");
        append_u64(s, f->pkts[0]);
        g_string_append(s, " pkts ");
        append_u64(s, f->bytes[0]);
        g_string_append(s, "B,  back ");
        append_u64(s, f->pkts[1]);
        g_string_append(s, " pkts ");
        append_u64(s, f->bytes[1]);
        g_string_append_c(s, 'B');
        if (f->retrans) {
            g_string_append(s, ",  ");
            append_u64(s, f->retrans);
            g_string_append(s, " retransmitted");
        }
        if (f->drops) {
            g_string_append(s, ",  ");
            append_u64(s, f->drops);
            g_string_append(s, " dropped");
        }
        g_string_append_c(s, '\n');
    }
}

void ns_world_flow_end(const NsWorldFlow *f, bool b_side, char *buf, size_t n)
{
    uint16_t port = b_side ? f->pb : f->pa;
    if (!f->v6) {
        ns_world_fmt_ep(buf, n, b_side ? f->b : f->a, port);
        return;
    }
    char a[NS_IPV6_STRLEN];
    g_snprintf(buf, n, "[%s]:%u", ns_ipv6_format(b_side ? &f->b6 : &f->a6, a), port);
}

void ns_flows_free(NsFlows *f)
{
    if (!f)
        return;
    g_array_free(f->flows, TRUE);
    g_free(f->slots);
    g_array_free(f->nat_keys, TRUE);
    g_free(f->by_sock);
    if (f->frags)
        g_hash_table_destroy(f->frags);
    g_free(f);
}
