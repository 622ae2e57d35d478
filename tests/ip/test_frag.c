/* IPv4 fragmentation and reassembly: the fragments' bytes (sizes, offsets,
 * flags, checksums), the reassembler's answers to fragments in and out of
 * order, duplicates, overlaps, inconsistent ends, its timer and memory
 * limit; then the same through hosts: ping -s 3000 across a router with a
 * smaller MTU, a large UDP datagram, a lost fragment answered with ICMP
 * time exceeded, TCP's DF. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>

#include "../../sim/ip/frag-private.h"
#include "../net/fixture.h"
#include "../runner.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "netsim/ip6.h"
#include "netsim/netfilter.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/udp.h"

static int noop(void)
{
    return 0;
}

/* ---- fragments made by hand ---- */

static NsSim *sim;
static NsPacketPool *pool;

static void bare_setup(void)
{
    sim = ns_sim_new();
    pool = ns_packet_pool_new();
}

static void nothing(NsSim *s, void *obj, void *arg)
{
    (void)s;
    (void)obj;
    (void)arg;
}

/* Run the clock to t (an event there, so that it gets there). */
static void advance(NsTime t)
{
    ns_sim_schedule_at(sim, t, nothing, NULL, NULL);
    ns_sim_run(sim, t, 0);
}

static void bare_end(void)
{
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(pool), 0);
    ns_sim_free(sim);
    ns_packet_pool_free(pool);
}

/* A datagram of `payload` bytes (byte i is i*7 mod 251), ID 0x1234. */
static NsPacket *datagram(uint32_t payload, bool mf, uint16_t offset)
{
    NsPacket *p = ns_packet_new(pool, NS_PACKET_HEADROOM, NS_IPV4_HLEN + payload);
    NsIpv4Repr h = {.total_len = (uint16_t)(NS_IPV4_HLEN + payload), .id = 0x1234, .mf = mf,
                    .frag_offset = offset, .ttl = 64, .proto = NS_IPPROTO_UDP,
                    .src = 0x0a000001, .dst = 0x0a000002};
    ns_ipv4_emit(&h, p->data, NS_IPV4_HLEN);
    for (uint32_t i = 0; i < payload; i++)
        p->data[NS_IPV4_HLEN + i] = (uint8_t)((offset + i) * 7 % 251);
    return p;
}

#define MAX_FRAGS 16
static NsPacket *frags[MAX_FRAGS];
static uint32_t n_frags;

static void collect(void *data, NsPacket *f)
{
    (void)data;
    g_assert(n_frags < MAX_FRAGS);
    frags[n_frags++] = f;
}

static uint32_t cut(NsPacket *d, uint32_t mtu)
{
    n_frags = 0;
    return ns_ipv4_fragment(d, mtu, NS_PACKET_HEADROOM, collect, NULL);
}

static NsIpv4Repr hdr(const NsPacket *p)
{
    NsIpv4Repr h = {0};
    CU_ASSERT_EQUAL(ns_ipv4_parse(p->data, p->len, &h), NS_WIRE_OK); /* checksum too */
    return h;
}

static void free_frags(void)
{
    for (uint32_t i = 0; i < n_frags; i++)
        if (frags[i])
            ns_packet_free(frags[i]);
    n_frags = 0;
}

/* ping -s 3000: 3008 bytes of ICMP on a 1500-byte link leave as 1480 +
 * 1480 + 48 bytes at offsets 0, 1480, 2960, MF on all but the last. */
static void test_fragments_of_1480_bytes_on_a_1500_mtu(void)
{
    bare_setup();
    CU_ASSERT_EQUAL(cut(datagram(3008, false, 0), 1500), 3);
    static const uint16_t len[] = {1500, 1500, 68}, off[] = {0, 1480, 2960};
    for (uint32_t i = 0; i < 3; i++) {
        NsIpv4Repr h = hdr(frags[i]);
        CU_ASSERT_EQUAL(frags[i]->len, len[i]);
        CU_ASSERT_EQUAL(h.total_len, len[i]);
        CU_ASSERT_EQUAL(h.frag_offset, off[i]);
        CU_ASSERT_EQUAL(h.mf, i < 2);
        CU_ASSERT_FALSE(h.df);
        CU_ASSERT_EQUAL(h.id, 0x1234);
        CU_ASSERT_EQUAL(h.ttl, 64);
        CU_ASSERT_EQUAL(h.proto, NS_IPPROTO_UDP);
        CU_ASSERT_EQUAL(frags[i]->data[NS_IPV4_HLEN], (uint8_t)(off[i] * 7 % 251));
    }
    free_frags();
    bare_end();
}

/* An odd MTU: the data of each fragment but the last is rounded down to
 * 8 bytes ((1001 - 20) & ~7 = 976). */
static void test_fragment_data_is_a_multiple_of_8(void)
{
    bare_setup();
    CU_ASSERT_EQUAL(cut(datagram(2000, false, 0), 1001), 3);
    CU_ASSERT_EQUAL(frags[0]->len, 996);
    CU_ASSERT_EQUAL(frags[1]->len, 996);
    CU_ASSERT_EQUAL(frags[2]->len, 20 + 2000 - 2 * 976);
    CU_ASSERT_EQUAL(hdr(frags[1]).frag_offset, 976);
    free_frags();
    bare_end();
}

/* A router cutting a fragment again keeps its place and its MF. */
static void test_fragment_of_a_fragment_keeps_offset_and_mf(void)
{
    bare_setup();
    CU_ASSERT_EQUAL(cut(datagram(1480, true, 1480), 1000), 2);
    CU_ASSERT_EQUAL(hdr(frags[0]).frag_offset, 1480);
    CU_ASSERT_EQUAL(hdr(frags[1]).frag_offset, 1480 + 976);
    CU_ASSERT(hdr(frags[0]).mf);
    CU_ASSERT(hdr(frags[1]).mf);
    free_frags();
    bare_end();
}

static void test_mtu_without_8_bytes_of_data_is_refused(void)
{
    bare_setup();
    NsPacket *d = datagram(100, false, 0);
    CU_ASSERT_EQUAL(cut(d, 27), 0);
    CU_ASSERT_EQUAL(n_frags, 0);
    ns_packet_free(d); /* still the caller's */
    bare_end();
}

/* ---- reassembly by hand ---- */

static struct {
    uint32_t drops[NS_DROP_FRAG_MEMORY + 1];
    uint32_t expired;
    uint16_t expired_off;
    NsTime expired_at;
} seen;

static void on_drop(void *data, const NsPacket *frag, NsDropReason why)
{
    (void)data;
    (void)frag;
    seen.drops[why]++;
}

static void on_expired(void *data, const NsPacket *head)
{
    (void)data;
    seen.expired++;
    seen.expired_off = hdr(head).frag_offset;
    seen.expired_at = ns_sim_now(sim);
}

static const NsIpReasmOps ops = {on_drop, on_expired};
static NsIpReasm *ra;

static void reasm_setup(void)
{
    bare_setup();
    memset(&seen, 0, sizeof seen);
    ra = ns_ip_reasm_new(sim, pool, &ops, NULL);
}

static void reasm_end(void)
{
    ns_ip_reasm_free(ra);
    bare_end();
}

static uint32_t drops(void)
{
    uint32_t n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(seen.drops); i++)
        n += seen.drops[i];
    return n;
}

/* Feed frags[i] (taken from the array). */
static NsPacket *feed(uint32_t i)
{
    NsPacket *f = frags[i];
    frags[i] = NULL;
    NsIpv4Repr h = hdr(f);
    return ns_ip_reasm_input(ra, f, &h);
}

/* The reassembled datagram is the original, byte for byte, with a valid
 * header: MF and offset clear, the whole length. */
static void check_whole(NsPacket *d, uint32_t payload)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    NsPacket *orig = datagram(payload, false, 0);
    CU_ASSERT_EQUAL(d->len, orig->len);
    CU_ASSERT_EQUAL(memcmp(d->data, orig->data, orig->len), 0);
    NsIpv4Repr h = hdr(d);
    CU_ASSERT_FALSE(h.mf);
    CU_ASSERT_EQUAL(h.frag_offset, 0);
    ns_packet_free(orig);
    ns_packet_free(d);
}

static void test_reassembly_in_order(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    CU_ASSERT_PTR_NULL(feed(0));
    CU_ASSERT_PTR_NULL(feed(1));
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 1);
    check_whole(feed(2), 3008);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    CU_ASSERT_EQUAL(ns_ip_reasm_mem(ra), 0);
    CU_ASSERT_EQUAL(drops(), 0);
    reasm_end();
}

static void test_reassembly_out_of_order(void)
{
    reasm_setup();
    cut(datagram(4000, false, 0), 1000);
    CU_ASSERT_EQUAL(n_frags, 5);
    CU_ASSERT_PTR_NULL(feed(4)); /* the last first: the end is known */
    CU_ASSERT_PTR_NULL(feed(2));
    CU_ASSERT_PTR_NULL(feed(0));
    CU_ASSERT_PTR_NULL(feed(3));
    check_whole(feed(1), 4000);
    CU_ASSERT_EQUAL(drops(), 0);
    reasm_end();
}

/* A copy of a fragment held is dropped alone; the datagram completes. */
static void test_duplicate_is_dropped_and_datagram_completes(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    NsPacket *copy = ns_packet_copy(frags[1]);
    CU_ASSERT_PTR_NULL(feed(1));
    NsIpv4Repr h = hdr(copy);
    CU_ASSERT_PTR_NULL(ns_ip_reasm_input(ra, copy, &h));
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_DUPLICATE], 1);
    CU_ASSERT_PTR_NULL(feed(0));
    check_whole(feed(2), 3008);
    CU_ASSERT_EQUAL(drops(), 1);
    reasm_end();
}

/* Bytes that lie inside two adjacent held fragments are a duplicate too. */
static void test_duplicate_across_two_held_fragments(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    CU_ASSERT_PTR_NULL(feed(0));
    CU_ASSERT_PTR_NULL(feed(1));
    NsPacket *mid = datagram(16, true, 1472); /* 1472..1488: across both */
    NsIpv4Repr h = hdr(mid);
    CU_ASSERT_PTR_NULL(ns_ip_reasm_input(ra, mid, &h));
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_DUPLICATE], 1);
    check_whole(feed(2), 3008);
    reasm_end();
}

/* A fragment that covers held bytes and new ones: the whole datagram is
 * discarded (Linux, RFC 5722's rule applied to IPv4), each fragment
 * traced; the rest arriving later starts afresh. */
static void test_overlap_discards_the_datagram(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    CU_ASSERT_PTR_NULL(feed(0));
    NsPacket *over = datagram(1480, true, 1400); /* 1400..2880 overlaps 0..1480 */
    NsIpv4Repr h = hdr(over);
    CU_ASSERT_PTR_NULL(ns_ip_reasm_input(ra, over, &h));
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_OVERLAP], 2);
    CU_ASSERT_EQUAL(drops(), 2);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    CU_ASSERT_EQUAL(ns_ip_reasm_mem(ra), 0);
    CU_ASSERT_PTR_NULL(feed(1));
    CU_ASSERT_PTR_NULL(feed(2));
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 1);
    reasm_end();
}

/* Two last fragments with different ends: a corrupt datagram. */
static void test_second_end_discards_the_datagram(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    CU_ASSERT_PTR_NULL(feed(2)); /* ends at 3008 */
    NsPacket *other = datagram(8, false, 3200);
    NsIpv4Repr h = hdr(other);
    CU_ASSERT_PTR_NULL(ns_ip_reasm_input(ra, other, &h));
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_INVALID], 2);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    free_frags();
    reasm_end();
}

/* Fragments that add up to more than 65535 bytes are discarded when the
 * last piece comes ("Oversized IP packet" in Linux). */
static void test_oversized_datagram_is_discarded(void)
{
    reasm_setup();
    NsPacket *a = datagram(65504, true, 0), *b = datagram(200, false, 65504);
    NsIpv4Repr ha = hdr(a), hb = hdr(b);
    CU_ASSERT_PTR_NULL(ns_ip_reasm_input(ra, b, &hb));
    CU_ASSERT_PTR_NULL(ns_ip_reasm_input(ra, a, &ha));
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_INVALID], 2);
    CU_ASSERT_EQUAL(drops(), 2);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    reasm_end();
}

/* ipfrag_time: 30 s after the first fragment to arrive, every fragment is
 * dropped and, the offset-0 one being held, the sender is told. */
static void test_timeout_after_30s_reports_with_the_first_fragment(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    advance(NS_S(5));
    CU_ASSERT_PTR_NULL(feed(0));
    advance(NS_S(10));
    CU_ASSERT_PTR_NULL(feed(2));
    advance(NS_S(35) - 1);
    CU_ASSERT_EQUAL(drops(), 0);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_TIMEOUT], 2);
    CU_ASSERT_EQUAL(seen.expired, 1);
    CU_ASSERT_EQUAL(seen.expired_off, 0);
    CU_ASSERT_EQUAL(seen.expired_at, NS_S(35));
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    free_frags();
    reasm_end();
}

/* Without the first fragment there is nothing to quote: no report. */
static void test_timeout_without_first_fragment_is_silent(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    CU_ASSERT_PTR_NULL(feed(1));
    CU_ASSERT_PTR_NULL(feed(2));
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_TIMEOUT], 2);
    CU_ASSERT_EQUAL(seen.expired, 0);
    free_frags();
    reasm_end();
}

/* Over ipfrag_high_thresh every fragment is refused, until the timer
 * frees the held ones. */
static void test_memory_limit_refuses_fragments(void)
{
    reasm_setup();
    ns_ip_reasm_set_limits(ra, NS_IPFRAG_TIME, 1000);
    cut(datagram(3008, false, 0), 1500);
    CU_ASSERT_PTR_NULL(feed(0)); /* 1500 held: over 1000 */
    CU_ASSERT_EQUAL(ns_ip_reasm_mem(ra), 1500);
    CU_ASSERT_PTR_NULL(feed(1));
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_MEMORY], 1);
    CU_ASSERT_EQUAL(ns_ip_reasm_mem(ra), 1500);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(ns_ip_reasm_mem(ra), 0);
    CU_ASSERT_PTR_NULL(feed(2)); /* room again: held */
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 1);
    reasm_end();
}

/* Datagrams are told apart by their ID. */
static void test_different_ids_are_different_datagrams(void)
{
    reasm_setup();
    cut(datagram(3008, false, 0), 1500);
    NsPacket *f0 = frags[0];
    frags[0] = NULL;
    f0->data[5] ^= 1; /* ID 0x1235 */
    ns_write_be16(f0->data + 10, 0);
    ns_write_be16(f0->data + 10, ns_inet_checksum(f0->data, NS_IPV4_HLEN));
    NsIpv4Repr h = hdr(f0);
    CU_ASSERT_PTR_NULL(ns_ip_reasm_input(ra, f0, &h));
    CU_ASSERT_PTR_NULL(feed(1));
    CU_ASSERT_PTR_NULL(feed(2));
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 2);
    reasm_end();
}

/* Random fragments (a fixed seed): a few IDs, offsets and lengths that
 * collide often, MF either way, time passing. Whatever comes out is a
 * valid datagram, and once the timers have run nothing is held, nothing
 * leaks. */
static void test_random_fragments_leave_nothing_behind(void)
{
    reasm_setup();
    uint32_t x = 12345, whole = 0;
    for (int i = 0; i < 4000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t r = x >> 8;
        uint16_t off = (uint16_t)((r % 24) * 8);
        uint32_t len = 1 + (r >> 5) % 64;
        bool mf = (r >> 11) & 1;
        NsPacket *f = datagram(len, mf, off);
        f->data[5] = (uint8_t)((r >> 13) % 3); /* ID 0x1200 .. 0x1202 */
        ns_write_be16(f->data + 10, 0);
        ns_write_be16(f->data + 10, ns_inet_checksum(f->data, NS_IPV4_HLEN));
        NsIpv4Repr h = hdr(f);
        NsPacket *d = ns_ip_reasm_input(ra, f, &h);
        if (d) {
            NsIpv4Repr dh = hdr(d);
            CU_ASSERT_EQUAL(dh.total_len, d->len);
            CU_ASSERT_FALSE(dh.mf);
            whole++;
            ns_packet_free(d);
        }
        if (i % 100 == 99)
            advance(ns_sim_now(sim) + NS_S(7));
    }
    CU_ASSERT(whole > 0);
    CU_ASSERT(drops() > 0);
    ns_sim_run(sim, NS_TIME_NEVER, 0);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    CU_ASSERT_EQUAL(ns_ip_reasm_mem(ra), 0);
    reasm_end();
}

/* ---- through hosts ---- */

/* pc (10.0.1.10) -- lan (1500) -- gw -- wan (mtu 1000) -- srv (10.0.2.20) */
static NsHost *pc, *srv, *gw;

/* What the trace said of each fragment. */
typedef struct {
    NsTraceKind kind;
    NsTime time;
    const char *host;
    uint16_t ip_len, off;
    uint32_t id;
    bool mf;
    uint8_t icmp_type, icmp_code;
} FragSeen;
static GArray *fseen;

static void frag_write(void *self, const NsTraceEvent *ev)
{
    (void)self;
    if (!ev->proto)
        return;
    FragSeen f = {ev->kind, ev->time, ev->host, (uint16_t)ev->ip_len, ev->frag_off, ev->ip_id,
                  ev->frag_mf, ev->icmp_type, ev->icmp_code};
    if (!ev->frag)
        f.off = 0xffff; /* a whole datagram */
    g_array_append_val(fseen, f);
}

static const NsTraceSinkOps frag_sink = {"frags", frag_write, NULL, NULL};

static void sink_setup(void)
{
    fx_setup(1);
    fseen = g_array_new(FALSE, TRUE, sizeof(FragSeen));
    ns_tracer_add_sink(fx.ctx.tracer, &frag_sink, NULL,
                       NS_TRACE_MASK(NS_TRACE_SEND) | NS_TRACE_MASK(NS_TRACE_RECV) |
                           NS_TRACE_MASK(NS_TRACE_FWD) | NS_TRACE_MASK(NS_TRACE_DROP));
}

static void net_setup(uint32_t wan_mtu)
{
    sink_setup();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    NsSegment *lan = fx_segment("lan", true, &o);
    o.mtu = wan_mtu;
    NsSegment *wan = fx_segment("wan", true, &o);
    pc = fx_host("pc", false, NS_PROFILE_LINUX);
    srv = fx_host("srv", false, NS_PROFILE_LINUX);
    gw = fx_host("gw", true, NS_PROFILE_LINUX);
    fx_addr(pc, "10.0.1.10", 24, lan);
    fx_addr(srv, "10.0.2.20", 24, wan);
    fx_addr(gw, "10.0.1.254", 24, lan);
    fx_addr(gw, "10.0.2.254", 24, wan);
    fx_routes();
}

static void net_end(void)
{
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
    g_array_free(fseen, TRUE);
}

/* Events of `kind` on `host` that are fragments (whole: whole datagrams). */
static uint32_t count(NsTraceKind kind, const char *host, bool whole)
{
    uint32_t n = 0;
    for (guint i = 0; i < fseen->len; i++) {
        const FragSeen *f = &g_array_index(fseen, FragSeen, i);
        if (f->kind == kind && !strcmp(f->host, host) && (f->off == 0xffff) == whole)
            n++;
    }
    return n;
}

static const FragSeen *nth(NsTraceKind kind, const char *host, uint32_t k)
{
    for (guint i = 0; i < fseen->len; i++) {
        const FragSeen *f = &g_array_index(fseen, FragSeen, i);
        if (f->kind == kind && !strcmp(f->host, host) && k-- == 0)
            return f;
    }
    return NULL;
}

static struct {
    uint32_t replies, errors;
    int err;
    size_t len;
} echo;

static void on_echo(void *data, uint32_t from, uint16_t id, uint16_t seq, uint8_t ttl, size_t len,
                    int err)
{
    (void)data;
    (void)from;
    (void)id;
    (void)seq;
    (void)ttl;
    if (err) {
        echo.errors++;
        echo.err = err;
    } else {
        echo.replies++;
        echo.len = len;
    }
}

/* ARP answered first, so that no fragment waits in ARP's queue. */
static void warm_arp(void)
{
    ns_ip_set_echo_handler(ns_ip_of(pc), on_echo, NULL);
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.2.20"), 1, 1, 56), 0);
    fx_run(NS_S(1));
    memset(&echo, 0, sizeof echo);
    g_array_set_size(fseen, 0);
}

/* ping -s 3000 across a router whose far side carries 1000 bytes: pc
 * sends three fragments, gw cuts the two large ones again, srv puts five
 * together and answers with a reply fragmented for its own link. */
static void test_ping_3000_across_a_router(void)
{
    net_setup(1000);
    warm_arp();
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.2.20"), 1, 2, 3000), 0);
    fx_run(NS_S(2));
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(echo.len, 3000);
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", false), 3);
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", true), 0);
    CU_ASSERT_EQUAL(count(NS_TRACE_FWD, "gw", false), 5 + 4);
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", false), 5);
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", true), 1); /* the request, whole */
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "srv", false), 4); /* 976 * 3 + 80 */
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "pc", true), 1);
    const FragSeen *g1 = nth(NS_TRACE_FWD, "gw", 1);
    CU_ASSERT_EQUAL(g1->off, 976);
    CU_ASSERT_EQUAL(g1->ip_len, 20 + 504);
    CU_ASSERT(g1->mf);
    CU_ASSERT_EQUAL(g1->id, nth(NS_TRACE_SEND, "pc", 0)->id);
    CU_ASSERT_EQUAL(count(NS_TRACE_DROP, "gw", false) + count(NS_TRACE_DROP, "srv", false), 0);
    net_end();
}

/* A datagram that fits leaves whole with DF (Linux's IP_PMTUDISC_WANT). */
static void test_small_ping_keeps_df(void)
{
    net_setup(1000);
    warm_arp();
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.2.20"), 1, 2, 1472), 0);
    fx_run(NS_S(2));
    /* 1500 bytes leave pc whole with DF; gw cannot pass them on a 1000
     * byte link and says so. */
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", true), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_TOO_BIG), 1);
    CU_ASSERT_EQUAL(echo.errors, 1);
    CU_ASSERT_EQUAL(echo.err, EMSGSIZE);
    net_end();
}

static NsSocket *udp_sock(NsHost *h, uint16_t port)
{
    int err = -1;
    NsSocket *s = ns_socket_new(h, NS_SOCK_UDP, &err);
    CU_ASSERT_EQUAL(err, 0);
    if (port)
        CU_ASSERT_EQUAL(ns_socket_bind(s, 0, port), 0);
    return s;
}

/* A 4000-byte UDP datagram reaches the socket whole, its checksum checked
 * over the reassembled bytes. */
static void test_large_udp_datagram_arrives_whole(void)
{
    net_setup(1000);
    warm_arp();
    NsSocket *s = udp_sock(srv, 9), *c = udp_sock(pc, 0);
    static uint8_t data[4000], got[5000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13);
    CU_ASSERT_EQUAL(ns_socket_sendto(c, data, sizeof data, fx_ip("10.0.2.20"), 9), 0);
    fx_run(NS_S(2));
    CU_ASSERT_EQUAL(ns_socket_recvfrom(s, got, sizeof got, NULL, NULL), 4000);
    CU_ASSERT_EQUAL(memcmp(got, data, sizeof data), 0);
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", false), 3);
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", false), 6);
    net_end();
}

/* The largest UDP datagram over IPv4 (65507 bytes) goes, one more does
 * not. */
static void test_udp_up_to_65507_bytes(void)
{
    net_setup(1500);
    warm_arp();
    NsSocket *s = udp_sock(srv, 9), *c = udp_sock(pc, 0);
    static uint8_t data[65508];
    CU_ASSERT_EQUAL(ns_socket_sendto(c, data, 65508, fx_ip("10.0.2.20"), 9), -EMSGSIZE);
    CU_ASSERT_EQUAL(ns_socket_sendto(c, data, 65507, fx_ip("10.0.2.20"), 9), 0);
    fx_run(NS_S(2));
    CU_ASSERT_EQUAL(ns_socket_recvfrom(s, NULL, 0, NULL, NULL), 65507);
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", false), 45); /* 65535 - 20 = 44 * 1480 + 395 */
    net_end();
}

/* Drop pc's second fragment: srv holds the other two for 30 s, then
 * drops them and tells pc (time exceeded, fragment reassembly). */
static NsIpFilterVerdict drop_second(void *data, const NsPacket *d, NsTime *delay, NsIpFault *f)
{
    (void)delay;
    (void)f;
    uint32_t *n = data;
    NsIpv4Repr h;
    ns_ipv4_parse_header(d->data, d->len, &h);
    return h.frag_offset && h.mf && (*n)++ == 0 ? NS_IP_FILTER_DROP : NS_IP_FILTER_PASS;
}

static void test_lost_fragment_times_out_with_icmp(void)
{
    net_setup(1500);
    warm_arp();
    uint32_t n = 0;
    ns_ip_set_output_filter(ns_ip_of(pc), drop_second, &n);
    NsSocket *s = udp_sock(srv, 9), *c = udp_sock(pc, 0);
    static uint8_t data[4000];
    CU_ASSERT_EQUAL(ns_socket_sendto(c, data, sizeof data, fx_ip("10.0.2.20"), 9), 0);
    fx_run(NS_S(32));
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", false), 2);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FRAG_TIMEOUT), 2);
    const FragSeen *first = nth(NS_TRACE_RECV, "srv", 0);
    CU_ASSERT_EQUAL(fx_find(NS_TRACE_DROP, NS_DROP_FRAG_TIMEOUT)->time, first->time + NS_S(30));
    CU_ASSERT_EQUAL(ns_socket_recvfrom(s, NULL, 0, NULL, NULL), -EAGAIN);
    const FragSeen *icmp = nth(NS_TRACE_RECV, "pc", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(icmp);
    CU_ASSERT_EQUAL(icmp->icmp_type, NS_ICMP_TIME_EXCEEDED);
    CU_ASSERT_EQUAL(icmp->icmp_code, NS_ICMP_EXC_FRAGTIME);
    net_end();
}

/* TCP sets DF and never asks for fragments: over the MTU is EMSGSIZE. */
static void test_df_without_frag_ok_is_emsgsize(void)
{
    net_setup(1500);
    NsPacket *p = ns_packet_new(fx.ctx.pool, NS_PACKET_HEADROOM, 1600);
    memset(p->data, 0, p->len);
    NsIpTxOpts o = {.df = true};
    CU_ASSERT_EQUAL(ns_ip_output(ns_ip_of(pc), p, 0, fx_ip("10.0.2.20"), 253, &o), EMSGSIZE);
    CU_ASSERT_EQUAL(fseen->len, 0);
    net_end();
}

/* ---- IPv6 (RFC 8200 4.5) ---- */

static const NsIpv6Addr src6 = {{0x20, 0x01, 0x0d, 0xb8, 1, [15] = 0x10}};
static const NsIpv6Addr dst6 = {{0x20, 0x01, 0x0d, 0xb8, 2, [15] = 0x20}};

/* An IPv6 datagram of `payload` bytes of UDP (byte i is i*7 mod 251). */
static NsPacket *datagram6(uint32_t payload)
{
    NsPacket *p = ns_packet_new(pool, NS_PACKET_HEADROOM, NS_IPV6_HLEN + payload);
    NsIpv6Repr h = {.payload_len = (uint16_t)payload, .next_header = NS_IPPROTO_UDP,
                    .hop_limit = 64, .src = src6, .dst = dst6};
    ns_ipv6_emit(&h, p->data, NS_IPV6_HLEN);
    for (uint32_t i = 0; i < payload; i++)
        p->data[NS_IPV6_HLEN + i] = (uint8_t)(i * 7 % 251);
    return p;
}

static uint32_t cut6(NsPacket *d, uint32_t mtu)
{
    n_frags = 0;
    return ns_ipv6_fragment(d, mtu, 0xabcd0001, NS_PACKET_HEADROOM, collect, NULL);
}

/* ping -6 -s 3000 on a 1500-byte link: 1448 + 1448 + 112 bytes of data,
 * each behind the 40-byte header and an 8-byte Fragment header. */
static void test_ipv6_fragments_of_1448_bytes(void)
{
    bare_setup();
    CU_ASSERT_EQUAL(cut6(datagram6(3008), 1500), 3);
    static const uint16_t len[] = {1496, 1496, 160}, off[] = {0, 1448, 2896};
    for (uint32_t i = 0; i < 3; i++) {
        NsIpv6Repr h;
        NsIpv6FragRepr f;
        CU_ASSERT_EQUAL(ns_ipv6_parse(frags[i]->data, frags[i]->len, &h), NS_WIRE_OK);
        CU_ASSERT_EQUAL(frags[i]->len, len[i]);
        CU_ASSERT_EQUAL(h.payload_len, len[i] - NS_IPV6_HLEN);
        CU_ASSERT_EQUAL(h.next_header, NS_IPPROTO_FRAGMENT);
        CU_ASSERT_EQUAL(ns_ipv6_frag_parse(frags[i]->data + NS_IPV6_HLEN, 8, &f), NS_WIRE_OK);
        CU_ASSERT_EQUAL(f.next_header, NS_IPPROTO_UDP);
        CU_ASSERT_EQUAL(f.offset, off[i]);
        CU_ASSERT_EQUAL(f.m, i < 2);
        CU_ASSERT_EQUAL(f.id, 0xabcd0001);
        CU_ASSERT_EQUAL(frags[i]->data[48], (uint8_t)(off[i] * 7 % 251));
    }
    free_frags();
    bare_end();
}

static NsPacket *feed6(uint32_t i)
{
    NsPacket *f = frags[i];
    frags[i] = NULL;
    NsIpv6Repr h;
    NsIpv6FragRepr fh;
    CU_ASSERT_EQUAL(ns_ipv6_parse(f->data, f->len, &h), NS_WIRE_OK);
    CU_ASSERT_EQUAL(ns_ipv6_frag_parse(f->data + NS_IPV6_HLEN, 8, &fh), NS_WIRE_OK);
    return ns_ip6_reasm_input(ra, f, &h, &fh, NULL);
}

/* Put back together out of order: the original datagram, byte for byte
 * (the Fragment header gone, Next Header and payload length restored). */
static void test_ipv6_reassembly_out_of_order(void)
{
    reasm_setup();
    cut6(datagram6(3008), 1500);
    CU_ASSERT_PTR_NULL(feed6(2));
    CU_ASSERT_PTR_NULL(feed6(0));
    NsPacket *d = feed6(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    NsPacket *orig = datagram6(3008);
    CU_ASSERT_EQUAL(d->len, orig->len);
    CU_ASSERT_EQUAL(memcmp(d->data, orig->data, orig->len), 0);
    ns_packet_free(orig);
    ns_packet_free(d);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    reasm_end();
}

/* An overlap discards the whole datagram (RFC 5722). */
static void test_ipv6_overlap_discards_the_datagram(void)
{
    reasm_setup();
    cut6(datagram6(3008), 1500);
    CU_ASSERT_PTR_NULL(feed6(0));
    NsPacket *f = frags[1];
    NsIpv6FragRepr fh;
    ns_ipv6_frag_parse(f->data + NS_IPV6_HLEN, 8, &fh);
    fh.offset = 1440; /* 8 bytes into the first */
    ns_ipv6_frag_emit(&fh, f->data + NS_IPV6_HLEN, 8);
    CU_ASSERT_PTR_NULL(feed6(1));
    CU_ASSERT_EQUAL(seen.drops[NS_DROP_FRAG_OVERLAP], 2);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    free_frags();
    reasm_end();
}

/* Fragments of two datagrams (two IDs) interleaved are kept apart. */
static void test_ipv6_datagrams_told_apart_by_id(void)
{
    reasm_setup();
    cut6(datagram6(3008), 1500);
    NsPacket *a[3];
    memcpy(a, frags, sizeof a);
    n_frags = 0;
    ns_ipv6_fragment(datagram6(3008), 1500, 0xabcd0002, NS_PACKET_HEADROOM, collect, NULL);
    NsPacket *b[3];
    memcpy(b, frags, sizeof b);
    NsPacket *got[2] = {NULL, NULL};
    for (uint32_t i = 0; i < 3; i++) {
        NsPacket *d;
        frags[0] = a[i];
        if ((d = feed6(0)))
            got[0] = d;
        frags[0] = b[2 - i];
        if ((d = feed6(0)))
            got[1] = d;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(got[0]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got[1]);
    CU_ASSERT_EQUAL(got[0]->len, NS_IPV6_HLEN + 3008);
    CU_ASSERT_EQUAL(got[1]->len, NS_IPV6_HLEN + 3008);
    ns_packet_free(got[0]);
    ns_packet_free(got[1]);
    CU_ASSERT_EQUAL(ns_ip_reasm_pending(ra), 0);
    n_frags = 0;
    reasm_end();
}

/* ---- IPv6 through hosts ---- */

static NsIpv6Addr a6(const char *text)
{
    NsIpv6Addr a;
    CU_ASSERT_FATAL(ns_ipv6_parse_addr(text, &a));
    return a;
}

static void addr6(NsHost *h, const char *addr, NsSegment *seg)
{
    fx_addr(h, "0.0.0.0", 0, seg);
    NsIpv6Addr a = a6(addr);
    CU_ASSERT(ns_iface_add_addr6(ns_host_iface(h, ns_host_iface_count(h) - 1), &a, 64));
}

/* Frames of IPv6 fragments to drop on lan, counted from 1 (0: none). */
static struct {
    uint32_t seen, drop;
} wire6;

static bool drop_fragment6(void *data, const NsSegment *seg, uint32_t from_port,
                           const NsPacket *frame, const char **rule, NsTraceLoc *loc)
{
    (void)data;
    (void)seg;
    (void)from_port;
    const uint8_t *ip = frame->data + 14;
    if (frame->len < 14 + NS_IPV6_HLEN || ns_read_be16(frame->data + 12) != 0x86dd ||
        ip[6] != NS_IPPROTO_FRAGMENT)
        return false;
    *rule = "test";
    *loc = (NsTraceLoc){"t", 1};
    return ++wire6.seen == wire6.drop;
}

/* pc (2001:db8:1::10) -- lan (1500) -- gw -- wan (wan_mtu) -- srv
 * (2001:db8:2::20) */
static void net6_setup(uint32_t wan_mtu)
{
    sink_setup();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    NsSegment *lan = fx_segment("lan", true, &o);
    o.mtu = wan_mtu;
    NsSegment *wan = fx_segment("wan", true, &o);
    pc = fx_host("pc", false, NS_PROFILE_LINUX);
    srv = fx_host("srv", false, NS_PROFILE_LINUX);
    gw = fx_host("gw", true, NS_PROFILE_LINUX);
    addr6(pc, "2001:db8:1::10", lan);
    addr6(srv, "2001:db8:2::20", wan);
    addr6(gw, "2001:db8:1::1", lan);
    addr6(gw, "2001:db8:2::1", wan);
    fx_routes();
    memset(&wire6, 0, sizeof wire6);
    ns_segment_set_fault_hook(lan, drop_fragment6, NULL);
}

static struct {
    uint32_t replies, errors;
    int err;
    size_t len;
    NsIpv6Addr from;
} echo6;

static void on_echo6(void *data, const NsIpv6Addr *from, uint16_t id, uint16_t seq, uint8_t hops,
                     size_t len, int err)
{
    (void)data;
    (void)id;
    (void)seq;
    (void)hops;
    echo6.from = *from;
    if (err) {
        echo6.errors++;
        echo6.err = err;
    } else {
        echo6.replies++;
        echo6.len = len;
    }
}

static void ping6(NsHost *h, const char *dst, size_t len)
{
    ns_ip6_set_echo_handler(ns_ip6_of(h), on_echo6, NULL);
    NsIpv6Addr d = a6(dst);
    CU_ASSERT_EQUAL(ns_ip6_send_echo(ns_ip6_of(h), &d, 1, 1, len, 0), 0);
}

/* ping -6 -s 3000 to a neighbour: three fragments out (1448, 1448, 112
 * bytes of data), three back, the reply whole at ping. */
static void test_ipv6_ping_3000(void)
{
    net6_setup(1500);
    memset(&echo6, 0, sizeof echo6);
    ping6(pc, "2001:db8:2::20", 3000);
    fx_run(NS_S(2));
    CU_ASSERT_EQUAL(echo6.replies, 1);
    CU_ASSERT_EQUAL(echo6.errors, 0);
    CU_ASSERT_EQUAL(echo6.len, 3000);
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", false), 3);
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", true), 0);
    CU_ASSERT_EQUAL(count(NS_TRACE_FWD, "gw", false), 6);
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", false), 3);
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", true), 1);
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "srv", false), 3);
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "pc", true), 1);
    static const uint16_t len[] = {1496, 1496, 160}, off[] = {0, 1448, 2896};
    for (uint32_t i = 0; i < 3; i++) {
        const FragSeen *f = nth(NS_TRACE_SEND, "pc", i);
        CU_ASSERT_EQUAL(f->ip_len, len[i]);
        CU_ASSERT_EQUAL(f->off, off[i]);
        CU_ASSERT_EQUAL(f->mf, i < 2);
        CU_ASSERT_EQUAL(f->id, nth(NS_TRACE_SEND, "pc", 0)->id);
    }
    /* the reply is a datagram of its own: another ID */
    CU_ASSERT_NOT_EQUAL(nth(NS_TRACE_SEND, "srv", 0)->id, nth(NS_TRACE_SEND, "pc", 0)->id);
    net_end();
}

/* Each datagram gets a new random ID, never 0 (Linux 6.x's
 * ipv6_select_ident), the same for the same seed. */
static uint32_t ids_of_two_pings(uint32_t *second)
{
    net6_setup(1500);
    memset(&echo6, 0, sizeof echo6);
    ping6(pc, "2001:db8:2::20", 2000);
    fx_run(NS_S(1));
    ping6(pc, "2001:db8:2::20", 2000);
    fx_run(NS_S(2));
    CU_ASSERT_EQUAL(echo6.replies, 2);
    uint32_t first = nth(NS_TRACE_SEND, "pc", 0)->id;
    *second = nth(NS_TRACE_SEND, "pc", 2)->id;
    CU_ASSERT_EQUAL(nth(NS_TRACE_SEND, "pc", 1)->id, first);
    net_end();
    return first;
}

static void test_ipv6_ids_random_per_datagram(void)
{
    uint32_t b1, b2;
    uint32_t a1 = ids_of_two_pings(&b1), a2 = ids_of_two_pings(&b2);
    CU_ASSERT_NOT_EQUAL(a1, 0);
    CU_ASSERT_NOT_EQUAL(b1, 0);
    CU_ASSERT_NOT_EQUAL(b1, a1 + 1);
    CU_ASSERT_NOT_EQUAL(b1, a1);
    CU_ASSERT_EQUAL(a1, a2);
    CU_ASSERT_EQUAL(b1, b2);
}

/* Routers never fragment: the 1500-byte fragments are answered with
 * packet too big (one per fragment); ping hears of the first fragment's
 * only (a later fragment holds no ICMPv6 header), pc's path MTU to srv
 * becomes 1280 and the next ping leaves in fragments of 1232 bytes of
 * data, and gets its reply. */
static void test_ipv6_packet_too_big_teaches_the_path_mtu(void)
{
    net6_setup(1280);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_ip6_path_mtu(ns_ip6_of(pc), &d), 1500);
    memset(&echo6, 0, sizeof echo6);
    ping6(pc, "2001:db8:2::20", 3000);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(echo6.replies, 0);
    CU_ASSERT_EQUAL(echo6.errors, 1);
    CU_ASSERT_EQUAL(echo6.err, EMSGSIZE);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_TOO_BIG), 2);
    CU_ASSERT_EQUAL(ns_ip6_path_mtu(ns_ip6_of(pc), &d), 1280);
    guint before = fseen->len;
    ping6(pc, "2001:db8:2::20", 3000);
    fx_run(NS_S(2));
    CU_ASSERT_EQUAL(echo6.replies, 1);
    CU_ASSERT_EQUAL(echo6.len, 3000);
    static const uint16_t len[] = {1280, 1280, 592}, off[] = {0, 1232, 2464};
    uint32_t k = 0;
    for (guint i = before; i < fseen->len; i++) {
        const FragSeen *f = &g_array_index(fseen, FragSeen, i);
        if (f->kind != NS_TRACE_SEND || strcmp(f->host, "pc"))
            continue;
        CU_ASSERT_FATAL(k < 3);
        CU_ASSERT_EQUAL(f->ip_len, len[k]);
        CU_ASSERT_EQUAL(f->off, off[k]);
        k++;
    }
    CU_ASSERT_EQUAL(k, 3);
    /* srv held the first ping's last fragment alone: dropped after 60 s,
     * without an ICMPv6 error (the first fragment never came). */
    fx_run(NS_S(70));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FRAG_TIMEOUT), 1);
    CU_ASSERT_EQUAL(echo6.errors, 1);
    net_end();
}

/* A packet too big naming less than 1280 counts as 1280 (RFC 8200 5, as
 * Linux); the learned MTU is forgotten after 600 s. */
static void test_ipv6_path_mtu_floor_and_expiry(void)
{
    net6_setup(1000);
    NsIpv6Addr d = a6("2001:db8:2::20");
    memset(&echo6, 0, sizeof echo6);
    ping6(pc, "2001:db8:2::20", 1400);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(echo6.err, EMSGSIZE);
    CU_ASSERT_EQUAL(ns_ip6_path_mtu(ns_ip6_of(pc), &d), 1280);
    ns_sim_schedule_at(fx.ctx.sim, NS_S(600), nothing, NULL, NULL);
    fx_run(NS_S(600));
    CU_ASSERT_EQUAL(ns_ip6_path_mtu(ns_ip6_of(pc), &d), 1280);
    ns_sim_schedule_at(fx.ctx.sim, NS_S(601), nothing, NULL, NULL);
    fx_run(NS_S(601));
    CU_ASSERT_EQUAL(ns_ip6_path_mtu(ns_ip6_of(pc), &d), 1500);
    net_end();
}

static NsSocket *udp6_sock(NsHost *h, uint16_t port)
{
    int err = -1;
    NsSocket *s = ns_socket_new(h, NS_SOCK_UDP, &err);
    CU_ASSERT_EQUAL(err, 0);
    NsIpv6Addr any = {{0}};
    if (port)
        CU_ASSERT_EQUAL(ns_socket_bind6(s, &any, port), 0);
    return s;
}

/* A UDP datagram of `size` bytes sent over IPv6 on 1500-byte links leaves
 * pc in `frags` fragments (1448 bytes of its 8-byte header and data each)
 * and arrives whole at the socket. */
static void udp6_arrives_whole(size_t size, unsigned frags)
{
    net6_setup(1500);
    NsSocket *s = udp6_sock(srv, 9), *c = udp6_sock(pc, 0);
    static uint8_t data[65527], got[65600];
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i * 13);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_socket_sendto6(c, data, size, &d, 9), 0);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "pc", false), frags);
    CU_ASSERT_EQUAL(ns_socket_recvfrom6(s, got, sizeof got, NULL, NULL), (long)size);
    CU_ASSERT_EQUAL(memcmp(got, data, size), 0);
    net_end();
}

/* 4000 bytes: 1448 + 1448 + 1112. */
static void test_ipv6_large_udp_datagram_arrives_whole(void)
{
    udp6_arrives_whole(4000, 3);
}

/* The largest UDP datagram over IPv6, 65527 bytes (a payload length of
 * 65535): 45 fragments of 1448 and one of 375. */
static void test_ipv6_udp_of_65527_bytes(void)
{
    udp6_arrives_whole(65527, 46);
}

/* The second fragment lost: srv holds the rest 60 s (ip6frag_time), drops
 * them and, holding the first, sends ICMPv6 time exceeded code 1 quoting
 * it (RFC 8200 4.5). */
static void test_ipv6_lost_fragment_times_out_with_icmp6(void)
{
    net6_setup(1500);
    wire6.drop = 2;
    NsSocket *s = udp6_sock(srv, 9), *c = udp6_sock(pc, 0);
    static uint8_t data[4000];
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_socket_sendto6(c, data, sizeof data, &d, 9), 0);
    fx_run(NS_S(62));
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", false), 2);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FRAG_TIMEOUT), 2);
    const FragSeen *first = nth(NS_TRACE_RECV, "srv", 0);
    CU_ASSERT_EQUAL(fx_find(NS_TRACE_DROP, NS_DROP_FRAG_TIMEOUT)->time, first->time + NS_S(60));
    CU_ASSERT_EQUAL(ns_socket_recvfrom6(s, NULL, 0, NULL, NULL), -EAGAIN);
    const FragSeen *icmp = nth(NS_TRACE_RECV, "pc", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(icmp);
    CU_ASSERT_EQUAL(icmp->icmp_type, NS_ICMP6_TIME_EXCEEDED);
    CU_ASSERT_EQUAL(icmp->icmp_code, 1);
    CU_ASSERT_EQUAL(icmp->ip_len, 1280); /* the quote fills IPv6's minimum MTU */
    CU_ASSERT_PTR_NULL(nth(NS_TRACE_RECV, "pc", 1));
    net_end();
}

/* Without the first fragment the timeout is silent. */
static void test_ipv6_timeout_without_first_fragment_is_silent(void)
{
    net6_setup(1500);
    wire6.drop = 1;
    udp6_sock(srv, 9);
    NsSocket *c = udp6_sock(pc, 0);
    static uint8_t data[4000];
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_socket_sendto6(c, data, sizeof data, &d, 9), 0);
    fx_run(NS_S(62));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FRAG_TIMEOUT), 2);
    CU_ASSERT_PTR_NULL(nth(NS_TRACE_RECV, "pc", 0));
    CU_ASSERT_EQUAL(count(NS_TRACE_SEND, "srv", false) + count(NS_TRACE_SEND, "srv", true), 0);
    net_end();
}

/* pc sends a Fragment header and 'payload' by hand (next header 44). */
static void send_fragment6(const NsIpv6FragRepr *fh, const uint8_t *payload, size_t len)
{
    NsPacket *p = ns_packet_new(fx.ctx.pool, NS_PACKET_HEADROOM, NS_IPV6_FRAG_HLEN + len);
    ns_ipv6_frag_emit(fh, p->data, NS_IPV6_FRAG_HLEN);
    memcpy(p->data + NS_IPV6_FRAG_HLEN, payload, len);
    NsIpv6Addr s = a6("2001:db8:1::10"), d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_ip6_output(ns_ip6_of(pc), p, &s, &d, NS_IPPROTO_FRAGMENT, 0), 0);
}

/* An atomic fragment (offset 0, M clear; RFC 6946) is the whole datagram:
 * the socket has it at once, nothing is held. */
static void test_ipv6_atomic_fragment_processed_at_once(void)
{
    net6_setup(1500);
    NsSocket *s = udp6_sock(srv, 9);
    uint8_t udp[12] = {0xc0, 0x00, 0, 9, 0, 12, 0, 0, 'a', 't', 'o', 'm'};
    NsIpv6Addr a = a6("2001:db8:1::10"), d = a6("2001:db8:2::20");
    ns_ipv6_l4_checksum(udp, sizeof udp, 6, &a, &d, NS_IPPROTO_UDP);
    send_fragment6(&(NsIpv6FragRepr){.next_header = NS_IPPROTO_UDP, .id = 7}, udp, sizeof udp);
    fx_run(NS_S(1));
    uint8_t got[16];
    CU_ASSERT_EQUAL(ns_socket_recvfrom6(s, got, sizeof got, NULL, NULL), 4);
    CU_ASSERT_EQUAL(memcmp(got, "atom", 4), 0);
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "srv", false), 1); /* the fragment's own line */
    fx_run(NS_S(70));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    net_end();
}

/* A fragment with more to come whose length is not a multiple of 8 is
 * answered with parameter problem code 0 pointing at the payload length
 * (RFC 8200 4.5). */
static void test_ipv6_odd_fragment_gets_parameter_problem(void)
{
    net6_setup(1500);
    uint8_t data[13] = {0};
    send_fragment6(&(NsIpv6FragRepr){.next_header = NS_IPPROTO_UDP, .m = true, .id = 9}, data,
                   sizeof data);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FRAG_INVALID), 1);
    const FragSeen *e = nth(NS_TRACE_RECV, "pc", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->icmp_type, NS_ICMP6_PARAM_PROBLEM);
    CU_ASSERT_EQUAL(e->icmp_code, 0);
    net_end();
}

/* A forward rule on gw (UDP to port `port`, `action`), for IPv6. */
static void gw_rule6(NsNfAction action, uint16_t port)
{
    NsNfRule r = {.id = 1, .chain = NS_NF_CHAIN_FORWARD, .action = action,
                  .proto = NS_IPPROTO_UDP, .family = 6, .file = "t.scn", .line = 1};
    r.to = (NsNfAddrMatch){.set = true, .v6 = true, .prefix = 0, .port = port};
    ns_nf_rule_add(ns_netfilter_of(ns_ip_of(gw)), &r);
}

/* A router with filter rules puts the fragments together for its rules,
 * which see the ports (nf_defrag_ipv6): a rule dropping UDP to port 9
 * drops the whole datagram, not fragments that would slip past it. */
static void test_ipv6_router_rules_see_the_whole_datagram(void)
{
    net6_setup(1500);
    gw_rule6(NS_NF_DROP, 9);
    NsSocket *s = udp6_sock(srv, 9), *c = udp6_sock(pc, 0);
    static uint8_t data[4000];
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_socket_sendto6(c, data, sizeof data, &d, 9), 0);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(count(NS_TRACE_RECV, "gw", false), 3);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    CU_ASSERT_EQUAL(count(NS_TRACE_FWD, "gw", false) + count(NS_TRACE_FWD, "gw", true), 0);
    CU_ASSERT_EQUAL(ns_socket_recvfrom6(s, NULL, 0, NULL, NULL), -EAGAIN);
    net_end();
}

/* A datagram the rules let pass is cut again no larger than its largest
 * fragment (Linux's frag_max_size), with a new identification. */
static void test_ipv6_router_with_rules_cuts_again(void)
{
    net6_setup(1500);
    gw_rule6(NS_NF_DROP, 7); /* another port: the datagram passes */
    NsSocket *s = udp6_sock(srv, 9), *c = udp6_sock(pc, 0);
    static uint8_t data[4000], got[4100];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 5);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_socket_sendto6(c, data, sizeof data, &d, 9), 0);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL_FATAL(count(NS_TRACE_FWD, "gw", false), 3);
    for (uint32_t i = 0; i < 3; i++) {
        const FragSeen *in = nth(NS_TRACE_SEND, "pc", i), *out = nth(NS_TRACE_FWD, "gw", i);
        CU_ASSERT_EQUAL(out->ip_len, in->ip_len);
        CU_ASSERT_EQUAL(out->off, in->off);
        CU_ASSERT_EQUAL(out->mf, in->mf);
        CU_ASSERT_NOT_EQUAL(out->id, in->id);
        CU_ASSERT_EQUAL(out->id, nth(NS_TRACE_FWD, "gw", 0)->id);
    }
    CU_ASSERT_EQUAL(ns_socket_recvfrom6(s, got, sizeof got, NULL, NULL), 4000);
    CU_ASSERT_EQUAL(memcmp(got, data, sizeof data), 0);
    net_end();
}

/* TCP never asks for fragments: a segment over the MTU is EMSGSIZE. */
static void test_ipv6_tcp_over_the_mtu_is_emsgsize(void)
{
    net6_setup(1500);
    NsPacket *p = ns_packet_new(fx.ctx.pool, NS_PACKET_HEADROOM, 1500);
    memset(p->data, 0, p->len);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_ip6_output(ns_ip6_of(pc), p, NULL, &d, NS_IPPROTO_TCP, 0), EMSGSIZE);
    CU_ASSERT_EQUAL(fseen->len, 0);
    net_end();
}

static CU_TestInfo frag_tests[] = {
    {"fragments_of_1480_bytes_on_a_1500_mtu", test_fragments_of_1480_bytes_on_a_1500_mtu},
    {"fragment_data_is_a_multiple_of_8", test_fragment_data_is_a_multiple_of_8},
    {"fragment_of_a_fragment_keeps_offset_and_mf", test_fragment_of_a_fragment_keeps_offset_and_mf},
    {"mtu_without_8_bytes_of_data_is_refused", test_mtu_without_8_bytes_of_data_is_refused},
    {"reassembly_in_order", test_reassembly_in_order},
    {"reassembly_out_of_order", test_reassembly_out_of_order},
    {"duplicate_is_dropped_and_datagram_completes",
     test_duplicate_is_dropped_and_datagram_completes},
    {"duplicate_across_two_held_fragments", test_duplicate_across_two_held_fragments},
    {"overlap_discards_the_datagram", test_overlap_discards_the_datagram},
    {"second_end_discards_the_datagram", test_second_end_discards_the_datagram},
    {"oversized_datagram_is_discarded", test_oversized_datagram_is_discarded},
    {"timeout_after_30s_reports_with_the_first_fragment",
     test_timeout_after_30s_reports_with_the_first_fragment},
    {"timeout_without_first_fragment_is_silent", test_timeout_without_first_fragment_is_silent},
    {"memory_limit_refuses_fragments", test_memory_limit_refuses_fragments},
    {"different_ids_are_different_datagrams", test_different_ids_are_different_datagrams},
    {"random_fragments_leave_nothing_behind", test_random_fragments_leave_nothing_behind},
    {"ping_3000_across_a_router", test_ping_3000_across_a_router},
    {"small_ping_keeps_df", test_small_ping_keeps_df},
    {"large_udp_datagram_arrives_whole", test_large_udp_datagram_arrives_whole},
    {"udp_up_to_65507_bytes", test_udp_up_to_65507_bytes},
    {"lost_fragment_times_out_with_icmp", test_lost_fragment_times_out_with_icmp},
    {"df_without_frag_ok_is_emsgsize", test_df_without_frag_ok_is_emsgsize},
    {"ipv6_fragments_of_1448_bytes", test_ipv6_fragments_of_1448_bytes},
    {"ipv6_reassembly_out_of_order", test_ipv6_reassembly_out_of_order},
    {"ipv6_overlap_discards_the_datagram", test_ipv6_overlap_discards_the_datagram},
    {"ipv6_datagrams_told_apart_by_id", test_ipv6_datagrams_told_apart_by_id},
    {"ipv6_ping_3000", test_ipv6_ping_3000},
    {"ipv6_ids_random_per_datagram", test_ipv6_ids_random_per_datagram},
    {"ipv6_packet_too_big_teaches_the_path_mtu", test_ipv6_packet_too_big_teaches_the_path_mtu},
    {"ipv6_path_mtu_floor_and_expiry", test_ipv6_path_mtu_floor_and_expiry},
    {"ipv6_large_udp_datagram_arrives_whole", test_ipv6_large_udp_datagram_arrives_whole},
    {"ipv6_udp_of_65527_bytes", test_ipv6_udp_of_65527_bytes},
    {"ipv6_lost_fragment_times_out_with_icmp6", test_ipv6_lost_fragment_times_out_with_icmp6},
    {"ipv6_timeout_without_first_fragment_is_silent",
     test_ipv6_timeout_without_first_fragment_is_silent},
    {"ipv6_atomic_fragment_processed_at_once", test_ipv6_atomic_fragment_processed_at_once},
    {"ipv6_odd_fragment_gets_parameter_problem", test_ipv6_odd_fragment_gets_parameter_problem},
    {"ipv6_router_rules_see_the_whole_datagram", test_ipv6_router_rules_see_the_whole_datagram},
    {"ipv6_router_with_rules_cuts_again", test_ipv6_router_with_rules_cuts_again},
    {"ipv6_tcp_over_the_mtu_is_emsgsize", test_ipv6_tcp_over_the_mtu_is_emsgsize},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ns_test_suites[] = {
    {"frag", noop, NULL, NULL, NULL, frag_tests},
    CU_SUITE_INFO_NULL,
};
