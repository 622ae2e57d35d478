/* The builder API of netsim/net.h: building a network from code, running
 * it in steps, reading it back, routing by hand, and refusing misuse. */
#include <errno.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/net.h"
#include "netsim/socket.h"
#include "runner.h"

#define ADDR(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

/* A sink that counts the events of each kind. */
typedef struct {
    uint32_t n[NS_TRACE_KIND_COUNT];
} Count;

static void count_write(void *self, const NsTraceEvent *ev)
{
    ((Count *)self)->n[ev->kind]++;
}

/* Two hosts on one LAN with 1 ms of delay, started. */
static NsNet *lan_pair(uint64_t seed, NsTracer *tracer, NsHost **a, NsHost **b)
{
    NsNet *net = ns_net_new(seed, tracer);
    NsLinkOpts opts;
    ns_link_opts_init(&opts);
    opts.delay = NS_MS(1);
    NsSegment *lan = ns_net_add_network(net, "lan", &opts);
    *a = ns_net_add_host(net, "a", NS_PROFILE_LINUX, false);
    *b = ns_net_add_host(net, "b", NS_PROFILE_MINIMAL, false);
    ns_net_attach(net, *a, lan, ADDR(10, 0, 0, 1), 24);
    ns_net_attach(net, *b, lan, ADDR(10, 0, 0, 2), 24);
    ns_net_start(net);
    return net;
}

static void test_net_reads_back_what_was_built_in_order(void)
{
    g_autoptr(NsNet) net = ns_net_new(1, NULL);
    NsSegment *lan = ns_net_add_network(net, "lan", NULL);
    NsHost *a = ns_net_add_host(net, "a", NS_PROFILE_LINUX, false);
    NsHost *r = ns_net_add_host(net, "r", NS_PROFILE_LINUX, true);
    NsHost *b = ns_net_add_host(net, "b", NS_PROFILE_MINIMAL, false);
    ns_net_attach(net, a, lan, ADDR(10, 0, 0, 1), 24);
    ns_net_attach(net, r, lan, ADDR(10, 0, 0, 254), 24);
    NsSegment *p2p = ns_net_add_link(net, r, ADDR(10, 9, 0, 1), b, ADDR(10, 9, 0, 2), NULL);
    CU_ASSERT_EQUAL(ns_net_host_count(net), 3);
    CU_ASSERT_PTR_EQUAL(ns_net_host(net, 0), a);
    CU_ASSERT_PTR_EQUAL(ns_net_host(net, 1), r);
    CU_ASSERT_PTR_EQUAL(ns_net_host(net, 2), b);
    CU_ASSERT_PTR_EQUAL(ns_net_host_by_name(net, "b"), b);
    CU_ASSERT_PTR_NULL(ns_net_host_by_name(net, "nobody"));
    CU_ASSERT_EQUAL(ns_net_segment_count(net), 2);
    CU_ASSERT_PTR_EQUAL(ns_net_segment(net, 0), lan);
    CU_ASSERT_PTR_EQUAL(ns_net_segment(net, 1), p2p);
    CU_ASSERT_STRING_EQUAL(ns_segment_name(p2p), "r-b");
    CU_ASSERT_TRUE(ns_segment_is_network(lan));
    CU_ASSERT_FALSE(ns_segment_is_network(p2p));
    CU_ASSERT_TRUE(ns_host_is_router(r));
    CU_ASSERT_FALSE(ns_host_is_router(a));
    CU_ASSERT_EQUAL(ns_host_profile(b), NS_PROFILE_MINIMAL);
    CU_ASSERT_TRUE(ns_host_has_addr(b, ADDR(10, 9, 0, 2)));
    CU_ASSERT_EQUAL(ns_host_iface_count(r), 2);
}

/* a on a LAN with the router r, b on a link from r; started, with routes
 * computed or (manual) only each host's own. */
static NsNet *routed(bool manual, NsHost **a, NsHost **b)
{
    NsNet *net = ns_net_new(1, NULL);
    NsSegment *lan = ns_net_add_network(net, "lan", NULL);
    *a = ns_net_add_host(net, "a", NS_PROFILE_LINUX, false);
    NsHost *r = ns_net_add_host(net, "r", NS_PROFILE_LINUX, true);
    *b = ns_net_add_host(net, "b", NS_PROFILE_LINUX, false);
    ns_net_attach(net, *a, lan, ADDR(10, 0, 0, 1), 24);
    ns_net_attach(net, r, lan, ADDR(10, 0, 0, 254), 24);
    ns_net_add_link(net, r, ADDR(10, 9, 0, 1), *b, ADDR(10, 9, 0, 2), NULL);
    if (manual)
        ns_net_set_manual_routing(net);
    ns_net_start(net);
    return net;
}

/* ns_net_start() computes routes: a reaches b behind the router r. */
static void test_net_start_computes_routes_through_a_router(void)
{
    NsHost *a, *b;
    g_autoptr(NsNet) net = routed(false, &a, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    NsIface *out = NULL;
    uint32_t hop = 0;
    CU_ASSERT_TRUE(ns_ip_route(ns_ip_of(a), ADDR(10, 9, 0, 2), &out, &hop));
    CU_ASSERT_EQUAL(hop, ADDR(10, 0, 0, 254));
    CU_ASSERT_TRUE(ns_ip_route(ns_ip_of(b), ADDR(10, 0, 0, 1), &out, &hop));
    CU_ASSERT_EQUAL(hop, ADDR(10, 9, 0, 1));
}

/* Manual routing: each host knows only its own networks and links. */
static void test_net_manual_routing_keeps_only_own_networks(void)
{
    NsHost *a, *b;
    g_autoptr(NsNet) net = routed(true, &a, &b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    NsIface *out = NULL;
    uint32_t hop = 0;
    CU_ASSERT_TRUE(ns_ip_route(ns_ip_of(a), ADDR(10, 0, 0, 254), &out, &hop));
    CU_ASSERT_FALSE(ns_ip_route(ns_ip_of(a), ADDR(10, 9, 0, 2), &out, &hop));
    ns_ip_set_static_route(ns_ip_of(a), 0, 0, ns_host_iface(a, 0), ADDR(10, 0, 0, 254));
    CU_ASSERT_TRUE(ns_ip_route(ns_ip_of(a), ADDR(10, 9, 0, 2), &out, &hop));
    CU_ASSERT_EQUAL(hop, ADDR(10, 0, 0, 254));
}

/* A datagram between two hosts, through the sockets of a started network,
 * traced to the network's tracer. */
static void test_net_carries_a_datagram_and_traces_it(void)
{
    g_autoptr(NsTracer) tracer = ns_tracer_new();
    Count *c = g_new0(Count, 1);
    ns_tracer_add_sink(tracer, &(NsTraceSinkOps){"count", count_write, NULL, g_free}, c,
                       NS_TRACE_MASK_ALL);
    NsHost *a, *b;
    g_autoptr(NsNet) net = lan_pair(1, tracer, &a, &b);
    int err = 0;
    NsSocket *rx = ns_socket_new(b, NS_SOCK_UDP, &err);
    CU_ASSERT_EQUAL(ns_socket_bind(rx, 0, 7000), 0);
    NsSocket *tx = ns_socket_new(a, NS_SOCK_UDP, &err);
    CU_ASSERT_EQUAL(ns_socket_sendto(tx, (const uint8_t *)"hello", 5, ADDR(10, 0, 0, 2), 7000),
                    0);
    CU_ASSERT_EQUAL(ns_net_run_until(net, NS_S(1), 0), NS_SIM_EMPTY);
    uint8_t buf[16];
    uint32_t from = 0;
    uint16_t port = 0;
    CU_ASSERT_EQUAL(ns_socket_recvfrom(rx, buf, sizeof buf, &from, &port), 5);
    CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
    CU_ASSERT_EQUAL(from, ADDR(10, 0, 0, 1));
    CU_ASSERT_EQUAL(ns_ip_stats(ns_ip_of(a))->sent, 1);
    CU_ASSERT_EQUAL(ns_ip_stats(ns_ip_of(b))->received, 1);
    CU_ASSERT_EQUAL(ns_segment_frames(ns_net_segment(net, 0)), 3); /* ARP, reply, datagram */
    CU_ASSERT_EQUAL(c->n[NS_TRACE_SEND], 1);
    CU_ASSERT_EQUAL(c->n[NS_TRACE_RECV], 1);
    CU_ASSERT_TRUE(c->n[NS_TRACE_ARP] > 0);
}

/* Running in steps: a stop time, an event budget, then to the end. */
static void test_net_runs_in_steps(void)
{
    NsHost *a, *b;
    g_autoptr(NsNet) net = lan_pair(1, NULL, &a, &b);
    int err = 0;
    NsSocket *l = ns_socket_new(b, NS_SOCK_TCP, &err);
    ns_socket_bind(l, 0, 80);
    ns_socket_listen(l, 8);
    NsSocket *s = ns_socket_new(a, NS_SOCK_TCP, &err);
    ns_socket_connect(s, ADDR(10, 0, 0, 2), 80);
    CU_ASSERT_EQUAL(ns_net_run_until(net, NS_US(10), 0), NS_SIM_TIME);
    CU_ASSERT_EQUAL(ns_net_now(net), NS_US(10));
    CU_ASSERT_EQUAL(ns_socket_state(s), NS_TCP_STATE_SYN_SENT);
    uint64_t before = ns_net_events(net);
    CU_ASSERT_EQUAL(ns_net_run_until(net, NS_TIME_NEVER, 1), NS_SIM_LIMIT);
    CU_ASSERT_EQUAL(ns_net_events(net), before + 1);
    ns_net_run_until(net, NS_S(1), 0);
    CU_ASSERT_EQUAL(ns_socket_state(s), NS_TCP_STATE_ESTABLISHED);
    NsSocket *acc = ns_socket_accept(l, &err);
    CU_ASSERT_PTR_NOT_NULL(acc);
    CU_ASSERT_EQUAL(err, 0);
}

/* The same calls with the same seed give the same run; another seed
 * another (the ISNs and ephemeral ports come from it). */
static void test_net_is_deterministic_per_seed(void)
{
    uint32_t iss[3];
    uint64_t events[3];
    const uint64_t seeds[3] = {7, 7, 8};
    for (int i = 0; i < 3; i++) {
        NsHost *a, *b;
        g_autoptr(NsNet) net = lan_pair(seeds[i], NULL, &a, &b);
        int err = 0;
        NsSocket *l = ns_socket_new(b, NS_SOCK_TCP, &err);
        ns_socket_bind(l, 0, 80);
        ns_socket_listen(l, 8);
        NsSocket *s = ns_socket_new(a, NS_SOCK_TCP, &err);
        ns_socket_connect(s, ADDR(10, 0, 0, 2), 80);
        ns_net_run_until(net, NS_S(1), 0);
        uint32_t irs = 0;
        CU_ASSERT_TRUE(ns_socket_isns(s, &iss[i], &irs));
        events[i] = ns_net_events(net);
    }
    CU_ASSERT_EQUAL(iss[0], iss[1]);
    CU_ASSERT_EQUAL(events[0], events[1]);
    CU_ASSERT_NOT_EQUAL(iss[0], iss[2]);
}

/* Misuse is refused with a critical warning and no effect. */
static guint criticals;
static void on_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)domain;
    (void)msg;
    (void)data;
    if (level & G_LOG_LEVEL_CRITICAL)
        criticals++;
}

static void test_net_refuses_building_after_start(void)
{
    NsHost *a, *b;
    g_autoptr(NsNet) net = lan_pair(1, NULL, &a, &b);
    guint h = g_log_set_handler(NULL, G_LOG_LEVEL_CRITICAL, on_log, NULL);
    guint hn = g_log_set_handler("netsim", G_LOG_LEVEL_CRITICAL, on_log, NULL);
    criticals = 0;
    CU_ASSERT_PTR_NULL(ns_net_add_host(net, "late", NS_PROFILE_LINUX, false));
    CU_ASSERT_PTR_NULL(ns_net_add_network(net, "late", NULL));
    CU_ASSERT_PTR_NULL(ns_net_add_host(NULL, "x", NS_PROFILE_LINUX, false));
    g_log_remove_handler(NULL, h);
    g_log_remove_handler("netsim", hn);
    CU_ASSERT_EQUAL(criticals, 3);
    CU_ASSERT_EQUAL(ns_net_host_count(net), 2);
    CU_ASSERT_EQUAL(ns_net_segment_count(net), 1);
}

static CU_TestInfo net_tests[] = {
    {"reads_back_what_was_built_in_order", test_net_reads_back_what_was_built_in_order},
    {"start_computes_routes_through_a_router", test_net_start_computes_routes_through_a_router},
    {"manual_routing_keeps_only_own_networks", test_net_manual_routing_keeps_only_own_networks},
    {"carries_a_datagram_and_traces_it", test_net_carries_a_datagram_and_traces_it},
    {"runs_in_steps", test_net_runs_in_steps},
    {"is_deterministic_per_seed", test_net_is_deterministic_per_seed},
    {"refuses_building_after_start", test_net_refuses_building_after_start},
    CU_TEST_INFO_NULL,
};

extern CU_TestInfo ns_flows_tests[];

CU_SuiteInfo ns_test_suites[] = {
    {"net", NULL, NULL, NULL, NULL, net_tests},
    {"flows", NULL, NULL, NULL, NULL, ns_flows_tests},
    CU_SUITE_INFO_NULL,
};
