/* The summary's flow counters (sim/runtime/flows.c) fed with SEND events
 * directly: a socket's segments find their flow by the socket's last one,
 * checked against the flow's ends. */
#include <string.h>

#include "flows-private.h"
#include "runner.h"

#define ADDR(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))
#define A ADDR(10, 0, 0, 1)
#define B ADDR(10, 0, 0, 2)
#define C ADDR(10, 0, 0, 3)

static void send_udp(NsTracer *tr, uint32_t sock, uint32_t src, uint16_t sport, uint32_t dst,
                     uint16_t dport, uint32_t len)
{
    NsTraceEvent ev = {.kind = NS_TRACE_SEND, .host = "h", .proto = 17, .src = src,
                       .sport = sport, .dst = dst, .dport = dport, .payload_len = len,
                       .sock_id = sock};
    ns_trace_emit(tr, &ev);
}

/* One UDP socket sending to two servers in turn, and one server's answer:
 * two flows, each packet counted with its own. */
static void test_flows_a_socket_sending_to_two_peers_counts_each_flow(void)
{
    NsTracer *tr = ns_tracer_new();
    NsFlows *fl = ns_flows_new(tr);
    send_udp(tr, 5, A, 1000, B, 53, 10);
    send_udp(tr, 5, A, 1000, C, 53, 20);
    send_udp(tr, 5, A, 1000, B, 53, 30);
    send_udp(tr, 7, B, 53, A, 1000, 40);
    send_udp(tr, 5, A, 1000, C, 53, 50);
    size_t n;
    const NsWorldFlow *f = ns_flows_get(fl, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(f[0].b, B);
    CU_ASSERT_EQUAL(f[0].pkts[0], 2);
    CU_ASSERT_EQUAL(f[0].bytes[0], 40);
    CU_ASSERT_EQUAL(f[0].pkts[1], 1);
    CU_ASSERT_EQUAL(f[0].bytes[1], 40);
    CU_ASSERT_EQUAL(f[1].b, C);
    CU_ASSERT_EQUAL(f[1].pkts[0], 2);
    CU_ASSERT_EQUAL(f[1].bytes[0], 70);
    CU_ASSERT_EQUAL(f[1].pkts[1], 0);
    ns_tracer_free(tr);
    ns_flows_free(fl);
}

/* Socket ids far apart and a segment without one: each still counted. */
static void test_flows_sockets_far_apart_and_none(void)
{
    NsTracer *tr = ns_tracer_new();
    NsFlows *fl = ns_flows_new(tr);
    send_udp(tr, 100000, A, 1000, B, 53, 1);
    send_udp(tr, 0, B, 53, A, 1000, 2);
    send_udp(tr, 3, A, 1001, B, 53, 4);
    send_udp(tr, 100000, A, 1000, B, 53, 8);
    size_t n;
    const NsWorldFlow *f = ns_flows_get(fl, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(f[0].pa, 1000);
    CU_ASSERT_EQUAL(f[0].bytes[0], 9);
    CU_ASSERT_EQUAL(f[0].bytes[1], 2);
    CU_ASSERT_EQUAL(f[1].pa, 1001);
    CU_ASSERT_EQUAL(f[1].bytes[0], 4);
    ns_tracer_free(tr);
    ns_flows_free(fl);
}

CU_TestInfo ns_flows_tests[] = {
    {"a_socket_sending_to_two_peers_counts_each_flow",
     test_flows_a_socket_sending_to_two_peers_counts_each_flow},
    {"sockets_far_apart_and_none", test_flows_sockets_far_apart_and_none},
    CU_TEST_INFO_NULL,
};
