/* Link layer: serialization and propagation timing, drop-tail queues,
 * loss/duplication/reordering models, up/down, and switching. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "../net/fixture.h"
#include "../runner.h"
#include "netsim-private/packet.h"
#include "netsim/pattern.h"

typedef struct {
    uint32_t port;
    NsTime at[64];
    uint64_t ids[64];
    uint32_t n;
} Rx;

static Rx rx[4];
static const uint8_t mac[4][6] = {
    {2, 0, 0, 0, 1, 1}, {2, 0, 0, 0, 2, 1}, {2, 0, 0, 0, 3, 1}, {2, 0, 0, 0, 4, 1}};

static void deliver(void *owner, uint32_t port, NsPacket *frame)
{
    Rx *r = owner;
    (void)port;
    if (r->n < 64) {
        r->at[r->n] = ns_sim_now(fx.ctx.sim);
        r->ids[r->n] = frame->data[14]; /* our sequence byte */
        r->n++;
    }
    ns_packet_release(frame); /* a flooded frame is only lent */
}

static NsSegment *make_seg(bool network, NsLinkOpts o, uint32_t ports)
{
    NsSegment *s = fx_segment("l", network, &o);
    for (uint32_t i = 0; i < ports; i++) {
        memset(&rx[i], 0, sizeof rx[i]);
        ns_segment_attach(s, mac[i], deliver, &rx[i], "h", i);
    }
    return s;
}

/* The bytes of a frame of `len` bytes from port `from` to the MAC of port
 * `to` (or broadcast when to < 0), tagged with `seq` in its first payload
 * byte. */
static void fill_frame(uint8_t *d, size_t len, uint32_t from, int to, uint8_t seq)
{
    memset(d, 0, len);
    if (to < 0)
        memset(d, 0xff, 6);
    else
        memcpy(d, mac[to], 6);
    memcpy(d + 6, mac[from], 6);
    d[12] = 0x88; /* an EtherType nobody decodes */
    d[13] = 0xb5;
    d[14] = seq;
}

static void send_frame(NsSegment *s, uint32_t from, int to, size_t len, uint8_t seq)
{
    NsPacket *p = ns_packet_new(fx.ctx.pool, 0, len);
    fill_frame(p->data, len, from, to, seq);
    ns_segment_send(s, from, p);
}

static int setup(void)
{
    return 0;
}

static void begin(void)
{
    fx_setup(1);
}

static void end(void)
{
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

static void test_tx_time_1500_bytes_at_10mbps_is_1200us(void)
{
    begin();
    CU_ASSERT_EQUAL(ns_link_tx_time(10000000, 1500), NS_US(1200));
    CU_ASSERT_EQUAL(ns_link_tx_time(0, 1500), 0);
    CU_ASSERT_EQUAL(ns_link_tx_time(3, 1), 2666666667); /* rounds up */
    end();
}

static void test_frame_arrives_after_serialization_plus_delay(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.rate_bps = 10000000;
    o.delay = NS_MS(5);
    NsSegment *s = make_seg(false, o, 2);
    send_frame(s, 0, 1, 1500, 1);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 1);
    CU_ASSERT_EQUAL(rx[1].at[0], NS_US(6200));
    end();
}

static void test_back_to_back_frames_queue_behind_each_other(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.rate_bps = 10000000;
    o.delay = NS_MS(5);
    NsSegment *s = make_seg(false, o, 2);
    for (uint8_t i = 0; i < 3; i++)
        send_frame(s, 0, 1, 1500, i);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 3);
    CU_ASSERT_EQUAL(rx[1].at[0], NS_US(6200));
    CU_ASSERT_EQUAL(rx[1].at[1], NS_US(7400));
    CU_ASSERT_EQUAL(rx[1].at[2], NS_US(8600));
    end();
}

static void test_unlimited_rate_takes_only_the_delay(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(3);
    NsSegment *s = make_seg(false, o, 2);
    send_frame(s, 1, 0, 9000, 1);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[0].n, 1);
    CU_ASSERT_EQUAL(rx[0].at[0], NS_MS(3));
    end();
}

static void test_full_queue_drops_the_tail(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.rate_bps = 1000000;
    o.queue = 2;
    NsSegment *s = make_seg(false, o, 2);
    for (uint8_t i = 0; i < 5; i++)
        send_frame(s, 0, 1, 1000, i);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 2);
    CU_ASSERT_EQUAL(rx[1].ids[0], 0);
    CU_ASSERT_EQUAL(rx[1].ids[1], 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_QUEUE_FULL), 3);
    CU_ASSERT_EQUAL(ns_segment_drops(s), 3);
    end();
}

static void test_total_loss_drops_every_frame_with_reason(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.loss_ppm = 1000000;
    NsSegment *s = make_seg(false, o, 2);
    for (uint8_t i = 0; i < 10; i++)
        send_frame(s, 0, 1, 100, i);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_LINK_LOSS), 10);
    end();
}

static void test_partial_loss_is_deterministic_per_seed(void)
{
    uint32_t got[2];
    for (int run = 0; run < 2; run++) {
        begin();
        NsLinkOpts o;
        ns_link_opts_init(&o);
        o.loss_ppm = 300000;
        NsSegment *s = make_seg(false, o, 2);
        for (uint8_t i = 0; i < 50; i++)
            send_frame(s, 0, 1, 100, i);
        fx_run(NS_TIME_NEVER);
        got[run] = rx[1].n;
        end();
    }
    CU_ASSERT_EQUAL(got[0], got[1]);
    CU_ASSERT(got[0] > 20 && got[0] < 50);
}

static void test_duplicate_delivers_twice(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.dup_ppm = 1000000;
    o.delay = NS_MS(1);
    NsSegment *s = make_seg(false, o, 2);
    send_frame(s, 0, 1, 100, 7);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 2);
    CU_ASSERT_EQUAL(rx[1].ids[0], 7);
    CU_ASSERT_EQUAL(rx[1].ids[1], 7);
    end();
}

static void test_jitter_never_reorders(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    o.jitter = NS_MS(5);
    NsSegment *s = make_seg(false, o, 2);
    for (uint8_t i = 0; i < 30; i++) {
        send_frame(s, 0, 1, 100, i);
        fx_run(ns_sim_now(fx.ctx.sim) + NS_US(100));
    }
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 30);
    bool varied = false;
    for (uint32_t i = 0; i < rx[1].n; i++) {
        CU_ASSERT_EQUAL(rx[1].ids[i], i);
        if (i && rx[1].at[i] - rx[1].at[i - 1] != NS_US(100))
            varied = true;
    }
    CU_ASSERT(varied);
    end();
}

static void test_reorder_lets_later_frames_overtake(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    o.reorder_ppm = 300000;
    NsSegment *s = make_seg(false, o, 2);
    for (uint8_t i = 0; i < 30; i++) {
        send_frame(s, 0, 1, 100, i);
        fx_run(ns_sim_now(fx.ctx.sim) + NS_US(100));
    }
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 30);
    uint32_t inversions = 0;
    for (uint32_t i = 1; i < rx[1].n; i++)
        if (rx[1].ids[i] < rx[1].ids[i - 1])
            inversions++;
    CU_ASSERT(inversions > 0);
    end();
}

static void test_down_segment_drops_new_and_inflight_frames(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(10);
    NsSegment *s = make_seg(false, o, 2);
    send_frame(s, 0, 1, 100, 1);
    fx_run(NS_MS(5));
    ns_segment_set_up(s, false);
    send_frame(s, 0, 1, 100, 2);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_LINK_DOWN), 2);
    ns_segment_set_up(s, true);
    send_frame(s, 0, 1, 100, 3);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 1);
    end();
}

static void test_switch_sends_unicast_to_one_port_only(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    NsSegment *s = make_seg(true, o, 4);
    send_frame(s, 0, 2, 100, 1);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[0].n, 0);
    CU_ASSERT_EQUAL(rx[1].n, 0);
    CU_ASSERT_EQUAL(rx[2].n, 1);
    CU_ASSERT_EQUAL(rx[3].n, 0);
    end();
}

static void test_switch_floods_broadcast_to_every_other_port(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    NsSegment *s = make_seg(true, o, 4);
    send_frame(s, 1, -1, 100, 1);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[0].n, 1);
    CU_ASSERT_EQUAL(rx[1].n, 0);
    CU_ASSERT_EQUAL(rx[2].n, 1);
    CU_ASSERT_EQUAL(rx[3].n, 1);
    end();
}

/* A broadcast on a network is one frame in flight, not a copy per port;
 * each port is shown that frame as it arrives, at the same moment, in port
 * order: the pool holds the one frame at every delivery. */
static uint32_t order[8], n_order;
static size_t pool_at_delivery[8];

static void deliver_noting(void *owner, uint32_t port, NsPacket *frame)
{
    if (n_order < 8) {
        pool_at_delivery[n_order] = ns_packet_pool_in_use(fx.ctx.pool);
        order[n_order++] = port;
    }
    deliver(owner, port, frame);
}

static void test_broadcast_is_one_frame_in_flight(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    NsSegment *s = fx_segment("l", true, &o);
    n_order = 0;
    for (uint32_t i = 0; i < 4; i++) {
        memset(&rx[i], 0, sizeof rx[i]);
        ns_segment_attach(s, mac[i], deliver_noting, &rx[i], "h", i);
    }
    send_frame(s, 1, -1, 100, 7);
    fx_run(NS_US(500));
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 1); /* on the wire: one frame */
    CU_ASSERT_EQUAL(n_order, 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL_FATAL(n_order, 3);
    static const uint32_t want[3] = {0, 2, 3};
    for (uint32_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(order[i], want[i]);
        CU_ASSERT_EQUAL(rx[want[i]].n, 1);
        CU_ASSERT_EQUAL(rx[want[i]].at[0], NS_MS(1));
        CU_ASSERT_EQUAL(rx[want[i]].ids[0], 7);
    }
    CU_ASSERT_EQUAL(rx[1].n, 0);
    for (uint32_t i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(pool_at_delivery[i], 1);
    end();
}

/* ---- a flooded frame lent to each port: copied only for a port that keeps it ---- */

typedef enum { RX_READS, RX_KEEPS, RX_CHANGES } RxMode;

static RxMode rx_mode[4];
static NsPacket *kept[4];
static uint8_t seen[4][100]; /* what each port read on arrival */
static uint8_t sent[100];    /* the broadcast port 1 sends */

/* A receiver that reads the frame, and per its mode releases it, keeps it,
 * or keeps it and overwrites every byte of its own. */
static void deliver_mode(void *owner, uint32_t port, NsPacket *frame)
{
    (void)owner;
    memcpy(seen[port], frame->data, MIN(frame->len, sizeof seen[port]));
    if (rx_mode[port] == RX_READS) {
        ns_packet_release(frame);
        return;
    }
    NsPacket *own = ns_packet_keep(frame);
    if (rx_mode[port] == RX_CHANGES)
        memset(own->data, 0xee, own->len);
    kept[port] = own;
}

/* Ports 0, 2 and 3 receiving as told (3 is the last: it is given the
 * frame itself), then a 100-byte broadcast from port 1, run to the end. */
static void broadcast_to(RxMode m0, RxMode m2, RxMode m3)
{
    NsLinkOpts o;
    ns_link_opts_init(&o);
    NsSegment *s = fx_segment("l", true, &o);
    const RxMode modes[4] = {m0, RX_READS, m2, m3};
    for (uint32_t i = 0; i < 4; i++) {
        rx_mode[i] = modes[i];
        kept[i] = NULL;
        memset(seen[i], 0, sizeof seen[i]);
        ns_segment_attach(s, mac[i], deliver_mode, NULL, "h", i);
    }
    fill_frame(sent, sizeof sent, 1, -1, 7);
    send_frame(s, 1, -1, sizeof sent, 7);
    fx_run(NS_TIME_NEVER);
}

static void free_kept(void)
{
    for (uint32_t i = 0; i < 4; i++)
        ns_packet_free(kept[i]);
}

static void test_broadcast_read_by_every_port_makes_no_copy(void)
{
    begin();
    broadcast_to(RX_READS, RX_READS, RX_READS);
    CU_ASSERT_EQUAL(ns_packet_pool_made(fx.ctx.pool), 1); /* the frame sent, no copy */
    end();
}

static void test_broadcast_is_copied_only_for_a_lent_port_that_keeps_it(void)
{
    begin();
    broadcast_to(RX_KEEPS, RX_READS, RX_KEEPS);
    CU_ASSERT_EQUAL(ns_packet_pool_made(fx.ctx.pool), 2); /* the frame, port 0's copy */
    CU_ASSERT_PTR_NOT_NULL(kept[0]);
    CU_ASSERT_PTR_NOT_NULL(kept[3]);
    CU_ASSERT_PTR_NOT_EQUAL(kept[0], kept[3]);
    free_kept();
    end();
}

static void test_kept_broadcast_is_unchanged_by_the_ports_after_it(void)
{
    begin();
    broadcast_to(RX_KEEPS, RX_CHANGES, RX_CHANGES);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kept[0]);
    CU_ASSERT_EQUAL(kept[0]->len, sizeof sent);
    CU_ASSERT_EQUAL(memcmp(kept[0]->data, sent, sizeof sent), 0);
    free_kept();
    end();
}

static void test_changed_broadcast_copy_is_unseen_by_the_next_ports(void)
{
    begin();
    broadcast_to(RX_CHANGES, RX_READS, RX_READS);
    CU_ASSERT_EQUAL(memcmp(seen[2], sent, sizeof sent), 0);
    CU_ASSERT_EQUAL(memcmp(seen[3], sent, sizeof sent), 0);
    free_kept();
    end();
}

/* ARP on a network of hosts: a request is read by every host and kept by
 * none (the target builds its reply from the parsed fields), so one ping
 * makes as many packets with twenty bystanders as with one. */
static uint64_t packets_made_by_one_ping(uint32_t bystanders)
{
    begin();
    NsSegment *lan = fx_network("lan", NS_MS(1));
    NsHost *a = fx_host("a", false, NS_PROFILE_MINIMAL);
    fx_addr(a, "10.0.0.1", 24, lan);
    fx_addr(fx_host("b", false, NS_PROFILE_MINIMAL), "10.0.0.2", 24, lan);
    for (uint32_t i = 0; i < bystanders; i++) {
        char name[16], addr[16];
        g_snprintf(name, sizeof name, "x%u", i);
        g_snprintf(addr, sizeof addr, "10.0.0.%u", 10 + i);
        fx_addr(fx_host(name, false, NS_PROFILE_MINIMAL), addr, 24, lan);
    }
    fx_routes();
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(a), fx_ip("10.0.0.2"), 1, 1, 56), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_ARP, FX_ANY), 3); /* request, reply, resolved */
    uint64_t made = ns_packet_pool_made(fx.ctx.pool);
    end();
    return made;
}

static void test_arp_request_is_copied_by_no_host_on_the_network(void)
{
    CU_ASSERT_EQUAL(packets_made_by_one_ping(20), packets_made_by_one_ping(1));
}

static void test_options_change_mid_run(void)
{
    begin();
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    NsSegment *s = make_seg(false, o, 2);
    send_frame(s, 0, 1, 100, 1);
    fx_run(NS_TIME_NEVER);
    o.delay = NS_MS(7);
    ns_segment_set_opts(s, &o);
    NsTime t0 = ns_sim_now(fx.ctx.sim);
    send_frame(s, 0, 1, 100, 2);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 2);
    CU_ASSERT_EQUAL(rx[1].at[1] - t0, NS_MS(7));
    end();
}

/* ---- a learning switch ---- */

static NsSegment *make_switch(uint32_t ports)
{
    NsLinkOpts o;
    ns_link_opts_init(&o);
    NsSegment *s = fx_segment("sw", true, &o);
    ns_segment_set_learning(s);
    for (uint32_t i = 0; i < ports; i++) {
        memset(&rx[i], 0, sizeof rx[i]);
        ns_segment_attach(s, mac[i], deliver, &rx[i], "h", i);
    }
    return s;
}

static void fdb_count(const NsFdbRow *row, void *data)
{
    (void)row;
    (*(uint32_t *)data)++;
}

/* Nothing learnt yet: a unicast frame goes out of every other port. */
static void test_learning_switch_floods_an_unknown_mac(void)
{
    begin();
    NsSegment *s = make_switch(3);
    send_frame(s, 0, 1, 60, 1);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 1);
    CU_ASSERT_EQUAL(rx[2].n, 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_LINK, FX_ANY), 2); /* learned port 1, flooded */
    end();
}

/* Once port 1's MAC was seen as a source, frames for it go there only. */
static void test_learning_switch_sends_a_learnt_mac_to_its_port_only(void)
{
    begin();
    NsSegment *s = make_switch(3);
    send_frame(s, 1, -1, 60, 1); /* a broadcast from port 1 teaches its MAC */
    fx_run(NS_TIME_NEVER);
    send_frame(s, 0, 1, 60, 2);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[1].n, 1);
    CU_ASSERT_EQUAL(rx[1].ids[0], 2);
    CU_ASSERT_EQUAL(rx[2].n, 1); /* the broadcast only */
    uint32_t n = 0;
    ns_segment_fdb_foreach(s, fdb_count, &n);
    CU_ASSERT_EQUAL(n, 2);
    end();
}

static void tick(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)obj;
    (void)arg;
}

/* An entry not refreshed for 300 s is forgotten: flooding again. */
static void test_learning_switch_forgets_after_ageing(void)
{
    begin();
    NsSegment *s = make_switch(3);
    send_frame(s, 1, -1, 60, 1);
    fx_run(NS_TIME_NEVER);
    ns_sim_schedule(fx.ctx.sim, NS_SWITCH_AGEING + NS_S(1), tick, NULL, NULL); /* time passes */
    fx_run(NS_TIME_NEVER);
    uint32_t n = 0;
    ns_segment_fdb_foreach(s, fdb_count, &n);
    CU_ASSERT_EQUAL(n, 0);
    send_frame(s, 0, 1, 60, 2);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(rx[2].n, 2); /* the broadcast, then the flooded frame */
    end();
}

/* ---- frames whose payload pattern is left unmade (lazy packets) ---- */

static int lazy_seen, whole_seen; /* frames delivered so, their bytes right */

/* Receives a frame as a transport would: notes whether it came lazy, then
 * makes its bytes and checks them (pattern from phase 3 after 15 bytes). */
static void deliver_lazy(void *owner, uint32_t port, NsPacket *frame)
{
    (void)owner, (void)port;
    if (ns_packet_is_lazy(frame))
        lazy_seen++;
    const uint8_t *d = ns_packet_bytes(frame);
    if (frame->len == 1015 && d[14] == 9 && ns_pattern_equal(3, d + 15, 1000))
        whole_seen++;
    ns_packet_free(frame);
}

/* A 15-byte front for port 1 (seq byte 9), then 1000 pattern bytes. */
static void send_lazy(NsSegment *s)
{
    NsPacket *p = ns_packet_new_lazy(fx.ctx.pool, 0, 15, 1000, 3);
    memset(p->data, 0, 15);
    memcpy(p->data, mac[1], 6);
    memcpy(p->data + 6, mac[0], 6);
    p->data[12] = 0x88;
    p->data[13] = 0xb5;
    p->data[14] = 9;
    ns_segment_send(s, 0, p);
}

static NsSegment *lazy_link(void)
{
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.rate_bps = 10000000;
    o.delay = NS_MS(1);
    NsSegment *s = fx_segment("l", false, &o);
    ns_segment_attach(s, mac[0], deliver_lazy, NULL, "a", 0);
    ns_segment_attach(s, mac[1], deliver_lazy, NULL, "b", 1);
    lazy_seen = whole_seen = 0;
    return s;
}

static void test_lazy_frame_crosses_unmade_at_its_whole_length(void)
{
    begin();
    ns_tracer_set_kinds(fx.ctx.tracer, 0); /* nothing reads frames */
    NsSegment *s = lazy_link();
    send_lazy(s);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(lazy_seen, 1);
    CU_ASSERT_EQUAL(whole_seen, 1);
    /* serialized as 1015 bytes: 812 us at 10 Mbps, then 1 ms */
    CU_ASSERT_EQUAL(ns_sim_now(fx.ctx.sim), ns_link_tx_time(10000000, 1015) + NS_MS(1));
    end();
}

static int frames_read_whole;

static void frame_write(void *self, const NsTraceEvent *ev)
{
    (void)self;
    if (ev->kind == NS_TRACE_FRAME && ev->bytes_len == 1015 &&
        ns_pattern_equal(3, ev->bytes + 15, 1000))
        frames_read_whole++;
}

static const NsTraceSinkOps frame_ops = {"frames", frame_write, NULL, NULL};

static void test_capture_reads_a_lazy_frame_whole(void)
{
    begin();
    ns_tracer_add_sink(fx.ctx.tracer, &frame_ops, NULL, NS_TRACE_MASK(NS_TRACE_FRAME));
    frames_read_whole = 0;
    NsSegment *s = lazy_link();
    send_lazy(s);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(frames_read_whole, 2); /* out of port 0, into port 1 */
    CU_ASSERT_EQUAL(lazy_seen, 0);         /* made for the capture: it stays so */
    CU_ASSERT_EQUAL(whole_seen, 1);
    end();
}

static int faults_read_whole;

static bool fault_reads(void *data, const NsSegment *seg, uint32_t from, const NsPacket *frame,
                        const char **rule, NsTraceLoc *loc)
{
    (void)data, (void)seg, (void)from, (void)rule, (void)loc;
    if (!ns_packet_is_lazy(frame) && ns_pattern_equal(3, frame->data + 15, 1000))
        faults_read_whole++;
    return false;
}

static void test_fault_rule_reads_a_lazy_frame_whole(void)
{
    begin();
    ns_tracer_set_kinds(fx.ctx.tracer, 0);
    NsSegment *s = lazy_link();
    faults_read_whole = 0;
    ns_segment_set_fault_hook(s, fault_reads, NULL);
    send_lazy(s);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(faults_read_whole, 1);
    CU_ASSERT_EQUAL(whole_seen, 1);
    end();
}

static void test_duplicate_of_a_lazy_frame_is_whole(void)
{
    begin();
    ns_tracer_set_kinds(fx.ctx.tracer, 0);
    NsSegment *s = lazy_link();
    NsLinkOpts o = *ns_segment_opts(s);
    o.dup_ppm = 1000000;
    ns_segment_set_opts(s, &o);
    send_lazy(s);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(lazy_seen, 1); /* the frame itself; its copy came whole */
    CU_ASSERT_EQUAL(whole_seen, 2);
    end();
}

static CU_TestInfo link_tests[] = {
    {"tx_time_1500_bytes_at_10mbps_is_1200us", test_tx_time_1500_bytes_at_10mbps_is_1200us},
    {"frame_arrives_after_serialization_plus_delay",
     test_frame_arrives_after_serialization_plus_delay},
    {"back_to_back_frames_queue_behind_each_other",
     test_back_to_back_frames_queue_behind_each_other},
    {"unlimited_rate_takes_only_the_delay", test_unlimited_rate_takes_only_the_delay},
    {"full_queue_drops_the_tail", test_full_queue_drops_the_tail},
    {"total_loss_drops_every_frame_with_reason", test_total_loss_drops_every_frame_with_reason},
    {"partial_loss_is_deterministic_per_seed", test_partial_loss_is_deterministic_per_seed},
    {"duplicate_delivers_twice", test_duplicate_delivers_twice},
    {"jitter_never_reorders", test_jitter_never_reorders},
    {"reorder_lets_later_frames_overtake", test_reorder_lets_later_frames_overtake},
    {"down_segment_drops_new_and_inflight_frames",
     test_down_segment_drops_new_and_inflight_frames},
    {"switch_sends_unicast_to_one_port_only", test_switch_sends_unicast_to_one_port_only},
    {"switch_floods_broadcast_to_every_other_port",
     test_switch_floods_broadcast_to_every_other_port},
    {"broadcast_is_one_frame_in_flight", test_broadcast_is_one_frame_in_flight},
    {"broadcast_read_by_every_port_makes_no_copy",
     test_broadcast_read_by_every_port_makes_no_copy},
    {"broadcast_is_copied_only_for_a_lent_port_that_keeps_it",
     test_broadcast_is_copied_only_for_a_lent_port_that_keeps_it},
    {"kept_broadcast_is_unchanged_by_the_ports_after_it",
     test_kept_broadcast_is_unchanged_by_the_ports_after_it},
    {"changed_broadcast_copy_is_unseen_by_the_next_ports",
     test_changed_broadcast_copy_is_unseen_by_the_next_ports},
    {"arp_request_is_copied_by_no_host_on_the_network",
     test_arp_request_is_copied_by_no_host_on_the_network},
    {"options_change_mid_run", test_options_change_mid_run},
    {"learning_switch_floods_an_unknown_mac", test_learning_switch_floods_an_unknown_mac},
    {"learning_switch_sends_a_learnt_mac_to_its_port_only",
     test_learning_switch_sends_a_learnt_mac_to_its_port_only},
    {"learning_switch_forgets_after_ageing", test_learning_switch_forgets_after_ageing},
    {"lazy_frame_crosses_unmade_at_its_whole_length",
     test_lazy_frame_crosses_unmade_at_its_whole_length},
    {"capture_reads_a_lazy_frame_whole", test_capture_reads_a_lazy_frame_whole},
    {"fault_rule_reads_a_lazy_frame_whole", test_fault_rule_reads_a_lazy_frame_whole},
    {"duplicate_of_a_lazy_frame_is_whole", test_duplicate_of_a_lazy_frame_is_whole},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ns_test_suites[] = {
    {"link", setup, NULL, NULL, NULL, link_tests},
    CU_SUITE_INFO_NULL,
};
