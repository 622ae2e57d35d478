/* The explainer: sentences name the real addresses and ports and follow
 * the situation (first or next ephemeral port, profile, connected or not). */
#include <errno.h>
#include <string.h>

#include "netsim/trace-explain.h"
#include "trace-tests.h"

static const NsExplainHost HOSTS[] = {
    {.name = "cli", .eph_lo = 49152, .eph_hi = 65535, .time_wait = NS_S(60)},
    {.name = "lx", .linux_profile = true, .eph_lo = 32768, .eph_hi = 60999},
};

/* Feed `evs` in order; the explanation of the last one (transfer full), or
 * NULL when it has none. */
static char *explain_last(const NsTraceEvent *evs, size_t n)
{
    g_autoptr(NsExplainer) ex = ns_explainer_new(HOSTS, G_N_ELEMENTS(HOSTS));
    g_autoptr(GString) s = g_string_new(NULL);
    bool said = false;
    for (size_t i = 0; i < n; i++) {
        g_string_truncate(s, 0);
        said = ns_explainer_explain(ex, &evs[i], s);
    }
    return said ? g_strdup(s->str) : NULL;
}

#define BOUND(...)                                                                            \
    ((NsTraceEvent){.kind = NS_TRACE_SOCK, .host = "cli", .proto = 17, .sport = 49152,         \
                    .sock_op = NS_SOCK_OP_BOUND, .ephemeral = true, __VA_ARGS__})

static void test_explain_first_ephemeral_port_names_range_and_port(void)
{
    NsTraceEvent evs[] = {BOUND()};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "49152-65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "49152 is the first free one"));
    CU_ASSERT_TRUE(g_ascii_isupper(s[0]));
}

static void test_explain_next_ephemeral_port_refers_to_the_previous(void)
{
    NsTraceEvent evs[] = {BOUND(), BOUND(.sport = 49153, .src = CLI, .dst = SRV, .dport = 9999)};
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "after 49152 comes 49153"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "connect"));
}

static void test_explain_linux_connect_port_is_random_and_even(void)
{
    NsTraceEvent evs[] = {BOUND(.host = "lx", .proto = 6, .sport = 40312, .dst = SRV, .dport = 80)};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "32768-60999"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "even"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "40312"));
}

static void test_explain_no_socket_drop_names_port_and_sender(void)
{
    NsTraceEvent evs[] = {DGRAM(.kind = NS_TRACE_DROP, .host = "srv", .dport = 9999,
                                .drop = NS_DROP_NO_SOCKET)};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "No socket on srv is bound to UDP port 9999"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "10.0.0.1:49152"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "port unreachable"));
}

static void test_explain_unconnected_socket_ignores_icmp_error(void)
{
    NsTraceEvent evs[] = {
        DGRAM(.dport = 9999),
        {.kind = NS_TRACE_ICMP, .host = "cli", .proto = 17, .sport = 49152,
         .icmp_ev = NS_ICMP_EV_IGNORED_UNCONNECTED,
         .err = ns_errno_from_name("ECONNREFUSED")},
    };
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "*:49152 never called connect"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "sendto to 10.0.0.80:9999"));
}

static void test_explain_connected_socket_queues_econnrefused(void)
{
    NsTraceEvent evs[] = {{.kind = NS_TRACE_ICMP, .host = "cli", .proto = 17, .src = CLI,
                           .sport = 49153, .dst = SRV, .dport = 9999,
                           .icmp_ev = NS_ICMP_EV_QUEUED,
                           .err = ns_errno_from_name("ECONNREFUSED")}};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "10.0.0.1:49153 is connected to 10.0.0.80:9999"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "ECONNREFUSED"));
}

static void test_explain_router_decrements_ttl(void)
{
    NsTraceEvent evs[] = {DGRAM(.kind = NS_TRACE_FWD, .host = "gw", .ttl = 63)};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "from 64 to 63"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "10.0.0.80 is not one of gw's addresses"));
}

/* A first IPv4 fragment: the IP layer cut it, without DF, routers may cut again. */
static void test_explain_ipv4_fragments_say_routers_may_cut_again(void)
{
    NsTraceEvent evs[] = {DGRAM(.frag = true, .frag_mf = true, .ip_id = 7, .payload_len = 1480)};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "fragments of 1480 bytes (the MTU less the 20-byte header"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "router may cut them again"));
    CU_ASSERT_PTR_NULL(strstr(s, "Fragment header"));
}

/* A first IPv6 fragment: the source alone fragments, with a Fragment header;
 * routers never do (they answer packet too big), and there is no DF. */
static void test_explain_ipv6_fragments_say_only_the_source_cuts(void)
{
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    NsTraceEvent evs[] = {DGRAM(.proto = 58, .src = 0, .dst = 0, .src6 = a6, .dst6 = b6,
                                .frag = true, .frag_mf = true, .ip_id = 7, .payload_len = 1448)};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "path MTU towards 2001:db8::2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "less the 40-byte IPv6 header and the 8-byte Fragment header"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "holds the ICMPv6 header"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Routers never cut IPv6 packets"));
    CU_ASSERT_PTR_NULL(strstr(s, "DF"));
    CU_ASSERT_PTR_NULL(strstr(s, "20-byte"));
}

/* IPv6 gives up reassembly after 60 s (IPv4 after 30) and says so in ICMPv6. */
static void test_explain_ipv6_reassembly_timeout_is_60s(void)
{
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    NsTraceEvent evs[] = {DGRAM(.kind = NS_TRACE_DROP, .host = "srv", .src = 0, .dst = 0,
                                .src6 = a6, .dst6 = b6, .frag = true, .ip_id = 7,
                                .drop = NS_DROP_FRAG_TIMEOUT)};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "(identification 7) for 60 s (Linux's ip6frag_time)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "tells 2001:db8::1 with ICMPv6 time exceeded"));
    NsTraceEvent v4[] = {DGRAM(.kind = NS_TRACE_DROP, .host = "srv", .frag = true, .ip_id = 7,
                               .drop = NS_DROP_FRAG_TIMEOUT)};
    g_autofree char *t = explain_last(v4, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "(IP ID 7) for 30 s (Linux's ipfrag_time)"));
}

static void test_explain_arp_via_router_names_the_gateway(void)
{
    NsTraceEvent evs[] = {
        DGRAM(.dst = ADDR(10, 0, 2, 20)),
        {.kind = NS_TRACE_ARP, .host = "cli", .where = "left", .arp_ev = NS_ARP_EV_REQUEST,
         .src = ADDR(10, 0, 0, 254), .dst = ADDR(10, 0, 0, 1)},
    };
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "10.0.2.20 is not on cli's network left"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "router 10.0.0.254"));
}

static void test_explain_time_wait_says_what_it_is_for(void)
{
    NsTraceEvent evs[] = {{.kind = NS_TRACE_TCP, .host = "cli", .proto = 6, .src = CLI,
                           .sport = 49153, .dst = SRV, .dport = 80,
                           .tcp_from = NS_TCP_STATE_FIN_WAIT_2, .tcp_to = NS_TCP_STATE_TIME_WAIT,
                           .cause = NS_CAUSE_RCV_FIN}};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "10.0.0.1:49153 closed first"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "2MSL"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "last ACK"));
}

static void test_explain_listener_spawns_new_socket(void)
{
    NsTraceEvent evs[] = {{.kind = NS_TRACE_TCP, .host = "www", .proto = 6, .src = SRV,
                           .sport = 80, .dst = CLI, .dport = 49153, .sock_id = 4,
                           .parent_id = 2, .tcp_from = NS_TCP_STATE_CLOSED,
                           .tcp_to = NS_TCP_STATE_SYN_RECEIVED,
                           .cause = NS_CAUSE_RCV_SYN_LISTENER}};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "new socket 10.0.0.80:80-10.0.0.1:49153"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "listener stays in LISTEN"));
}

static void test_explain_retransmission_names_seq_and_peer(void)
{
    NsTraceEvent evs[] = {SEG(.tcp_flags = 0x18, .seq = 1001, .ack = 1, .payload_len = 500,
                              .send_why = NS_SEND_RTO)};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "seq 1001"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "10.0.0.80:80"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "doubles"));
}

static void test_explain_plain_send_needs_no_sentence(void)
{
    NsTraceEvent evs[] = {DGRAM()};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NULL(s);
}

#define RST_CLOSES                                                                            \
    ((NsTraceEvent){.kind = NS_TRACE_TCP, .host = "cli", .proto = 6, .src = CLI, .sport = 49153, \
                    .dst = SRV, .dport = 81, .tcp_from = NS_TCP_STATE_SYN_SENT, .tcp_to = NS_TCP_STATE_CLOSED,               \
                    .cause = NS_CAUSE_RCV_RST})
#define CONNECT_REFUSED                                                                       \
    ((NsTraceEvent){.kind = NS_TRACE_APP, .host = "cli", .what = "connect", .err = ECONNREFUSED})

static void test_explain_refused_by_rst_is_told_as_tcp(void)
{
    NsTraceEvent evs[] = {RST_CLOSES, CONNECT_REFUSED};
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "The RST that answered the SYN"));
    CU_ASSERT_PTR_NULL(strstr(s, "UDP"));
    CU_ASSERT_PTR_NULL(strstr(s, "ICMP"));
}

/* A SYN a filter rule took, then the RST: the rule's reset, not a port
 * nobody listens on. */
static void test_explain_refused_by_filter_reset_names_the_rule(void)
{
    NsTraceEvent evs[] = {SEG(.kind = NS_TRACE_DROP, .host = "srv", .dport = 81,
                              .drop = NS_DROP_FILTER),
                          RST_CLOSES, CONNECT_REFUSED};
    g_autofree char *s = explain_last(evs, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "a filter rule of the server rejected the SYN"));
    CU_ASSERT_PTR_NULL(strstr(s, "no socket listened"));
}

static void test_explain_refused_by_icmp_is_told_as_udp(void)
{
    NsTraceEvent evs[] = {{.kind = NS_TRACE_ICMP, .host = "cli", .proto = 17, .src = CLI,
                           .sport = 49153, .dst = SRV, .dport = 9999, .icmp_ev = NS_ICMP_EV_QUEUED,
                           .err = ECONNREFUSED},
                          CONNECT_REFUSED};
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "ICMP port unreachable"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "although UDP never set up a connection"));
}

#define PERSIST_FIRES                                                                         \
    ((NsTraceEvent){.kind = NS_TRACE_TIMER, .host = "cli", .proto = 6, .src = CLI,              \
                    .sport = 49153, .dst = SRV, .dport = 80, .timer_op = NS_TIMER_FIRED, .timer = NS_TIMER_PERSIST})

static void test_explain_persist_override_is_not_a_probe(void)
{
    NsTraceEvent evs[] = {PERSIST_FIRES, SEG(.tcp_flags = 0x10, .seq = 64241, .payload_len = 1295)};
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Not a probe"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "silly window"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "1295 bytes"));
    CU_ASSERT_PTR_NULL(strstr(s, "one byte"));
}

static void test_explain_persist_probe_is_one_byte(void)
{
    NsTraceEvent evs[] = {PERSIST_FIRES, SEG(.tcp_flags = 0x10, .seq = 65536, .payload_len = 1,
                                             .send_why = NS_SEND_PROBE)};
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "A zero-window probe"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "one byte"));
}

static void test_explain_persist_timer_does_not_promise_a_probe(void)
{
    NsTraceEvent evs[] = {PERSIST_FIRES};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NULL(strstr(s, "one-byte"));
    CU_ASSERT_PTR_NULL(strstr(s, "probe"));
}

static void test_explain_time_wait_names_the_profiles_msl(void)
{
    NsTraceEvent evs[] = {{.kind = NS_TRACE_TCP, .host = "cli", .proto = 6, .src = CLI,
                           .sport = 49153, .dst = SRV, .dport = 80, .tcp_from = NS_TCP_STATE_FIN_WAIT_2,
                           .tcp_to = NS_TCP_STATE_TIME_WAIT, .cause = NS_CAUSE_RCV_FIN}};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "cli's profile waits 60 s, so it assumes an MSL of 30 s."));
}

static void test_explain_a_concept_is_told_once_then_referred_to(void)
{
    NsTraceEvent spawn = {.time = NS_MS(3), .kind = NS_TRACE_TCP, .host = "www", .proto = 6,
                          .src = SRV, .sport = 80, .dst = CLI, .dport = 49153, .tcp_from = NS_TCP_STATE_LISTEN,
                          .tcp_to = NS_TCP_STATE_SYN_RECEIVED, .cause = NS_CAUSE_RCV_SYN_LISTENER};
    NsTraceEvent again = spawn;
    again.time = NS_MS(4);
    again.dst = ADDR(10, 0, 0, 2);
    NsTraceEvent evs[] = {spawn, again};
    g_autofree char *s = explain_last(evs, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "The SYN from 10.0.0.2:49153 creates a new socket "
                              "10.0.0.80:80-10.0.0.2:49153 (explained at 0.003000000 s).");
}

static void test_explain_nagle_hold_names_bytes_and_nodelay(void)
{
    NsTraceEvent evs[] = {{.kind = NS_TRACE_TCP, .host = "cli", .proto = 6, .src = CLI,
                           .sport = 49153, .dst = SRV, .dport = 9, .tcp_ev = NS_TCP_EV_NAGLE,
                           .payload_len = 1, .in_flight = 1}};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "wrote 1 byte,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "1 byte sent earlier is not yet acknowledged"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Nagle's algorithm"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "TCP_NODELAY"));
}

static void test_explain_delayed_ack_fired(void)
{
    NsTraceEvent evs[] = {{.kind = NS_TRACE_TIMER, .host = "cli", .proto = 6, .src = CLI,
                           .sport = 49153, .dst = SRV, .dport = 9, .timer_op = NS_TIMER_FIRED,
                           .timer = NS_TIMER_DELACK}};
    g_autofree char *s = explain_last(evs, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "delayed-ACK timer ran out"));
}

CU_TestInfo ns_explain_tests[] = {
    {"nagle_hold_names_bytes_and_nodelay", test_explain_nagle_hold_names_bytes_and_nodelay},
    {"delayed_ack_fired", test_explain_delayed_ack_fired},
    {"refused_by_rst_is_told_as_tcp", test_explain_refused_by_rst_is_told_as_tcp},
    {"refused_by_icmp_is_told_as_udp", test_explain_refused_by_icmp_is_told_as_udp},
    {"refused_by_filter_reset_names_the_rule",
     test_explain_refused_by_filter_reset_names_the_rule},
    {"persist_override_is_not_a_probe", test_explain_persist_override_is_not_a_probe},
    {"persist_probe_is_one_byte", test_explain_persist_probe_is_one_byte},
    {"persist_timer_does_not_promise_a_probe", test_explain_persist_timer_does_not_promise_a_probe},
    {"time_wait_names_the_profiles_msl", test_explain_time_wait_names_the_profiles_msl},
    {"a_concept_is_told_once_then_referred_to", test_explain_a_concept_is_told_once_then_referred_to},
    {"first_ephemeral_port_names_range_and_port",
     test_explain_first_ephemeral_port_names_range_and_port},
    {"next_ephemeral_port_refers_to_the_previous",
     test_explain_next_ephemeral_port_refers_to_the_previous},
    {"linux_connect_port_is_random_and_even", test_explain_linux_connect_port_is_random_and_even},
    {"no_socket_drop_names_port_and_sender", test_explain_no_socket_drop_names_port_and_sender},
    {"unconnected_socket_ignores_icmp_error", test_explain_unconnected_socket_ignores_icmp_error},
    {"connected_socket_queues_econnrefused", test_explain_connected_socket_queues_econnrefused},
    {"router_decrements_ttl", test_explain_router_decrements_ttl},
    {"ipv4_fragments_say_routers_may_cut_again", test_explain_ipv4_fragments_say_routers_may_cut_again},
    {"ipv6_fragments_say_only_the_source_cuts", test_explain_ipv6_fragments_say_only_the_source_cuts},
    {"ipv6_reassembly_timeout_is_60s", test_explain_ipv6_reassembly_timeout_is_60s},
    {"arp_via_router_names_the_gateway", test_explain_arp_via_router_names_the_gateway},
    {"time_wait_says_what_it_is_for", test_explain_time_wait_says_what_it_is_for},
    {"listener_spawns_new_socket", test_explain_listener_spawns_new_socket},
    {"retransmission_names_seq_and_peer", test_explain_retransmission_names_seq_and_peer},
    {"plain_send_needs_no_sentence", test_explain_plain_send_needs_no_sentence},
    CU_TEST_INFO_NULL,
};
