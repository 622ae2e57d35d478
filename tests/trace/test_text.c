/* The text sink's rendering of the typed facts: every value of every enum
 * an event carries has its words, and the socket ids show where a learner
 * needs them (a socket's lines, a connection accepted from a listener). */
#include <string.h>

#include <glib.h>

#include "netsim/trace-text.h"
#include "trace-tests.h"

/* The line of one event, without time, host and kind columns. */
static char *line_of(const NsTraceEvent *ev)
{
    g_autoptr(GString) s = g_string_new(NULL);
    ns_text_format_event(s, ev, 4);
    const char *p = s->str;
    for (int col = 0; col < 3; col++) { /* skip time, host, kind */
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ')
        p++;
    return g_strdup(p);
}

#define TCP_EV(...)                                                                           \
    ((NsTraceEvent){.kind = NS_TRACE_TCP, .host = "cli", .proto = 6, .src = CLI, .sport = 49153, \
                    .dst = SRV, .dport = 80, .sock_id = 3, __VA_ARGS__})

static void test_text_every_tcp_cause_has_its_words(void)
{
    static const struct {
        NsTraceCause cause;
        const char *words;
    } want[] = {
        {NS_CAUSE_APP_CONNECT, "(app connect)"},
        {NS_CAUSE_APP_LISTEN, "(app listen)"},
        {NS_CAUSE_APP_CLOSE, "(app close)"},
        {NS_CAUSE_APP_CLOSE_UNREAD, "(app close with unread data)"},
        {NS_CAUSE_APP_SHUTDOWN, "(app shutdown)"},
        {NS_CAUSE_APP_ABORT, "(app abort)"},
        {NS_CAUSE_LISTENER_CLOSED, "(listener closed)"},
        {NS_CAUSE_HOST_CRASH, "(host crash)"},
        {NS_CAUSE_ICMP_ERROR, "(ICMP error)"},
        {NS_CAUSE_RCV_SYN_ACK, "(rcv SYN,ACK)"},
        {NS_CAUSE_RCV_SYN_SIMULTANEOUS, "(rcv SYN (simultaneous open))"},
        {NS_CAUSE_RCV_ACK_OF_SYN, "(rcv ACK of SYN)"},
        {NS_CAUSE_RCV_ACK_OF_FIN, "(rcv ACK of FIN)"},
        {NS_CAUSE_RCV_FIN, "(rcv FIN)"},
        {NS_CAUSE_RCV_FIN_SIMULTANEOUS, "(rcv FIN (simultaneous close))"},
        {NS_CAUSE_RCV_RST, "(rcv RST)"},
        {NS_CAUSE_RCV_SYN, "(rcv SYN)"},
        {NS_CAUSE_RCV_SYN_IN_WINDOW, "(rcv SYN in window)"},
        {NS_CAUSE_SYN_RETRIES, "(SYN retries exhausted)"},
        {NS_CAUSE_SYN_ACK_RETRIES, "(SYN-ACK retries exhausted)"},
        {NS_CAUSE_RETRANSMISSIONS, "(retransmissions exhausted)"},
        {NS_CAUSE_TIME_WAIT_DONE, "(2MSL timer)"},
        {NS_CAUSE_FIN_WAIT_2_TIMEOUT, "(FIN-WAIT-2 timeout)"},
        {NS_CAUSE_CONNECTED, "(connected)"},
        {NS_CAUSE_ACK, "(ACK)"},
        {NS_CAUSE_DUP_ACK, "(dup ACK)"},
        {NS_CAUSE_DUP_ACKS, "(3 dup ACKs)"},
        {NS_CAUSE_DUP_ACKS_FAST_RETRANSMIT, "(3 dup ACKs: fast retransmit)"},
        {NS_CAUSE_SACK, "(SACK)"},
        {NS_CAUSE_SACK_BEYOND_LOSS, "(SACKed beyond a loss)"},
        {NS_CAUSE_SACK_BEYOND_LOSS_FAST_RETRANSMIT, "(SACKed beyond a loss: fast retransmit)"},
        {NS_CAUSE_RECOVERY_DONE, "(recovery done)"},
        {NS_CAUSE_LOSS_REPAIRED, "(loss repaired)"},
        {NS_CAUSE_SYN_TIMEOUT, "(SYN timeout)"},
        {NS_CAUSE_RTO, "(RTO)"},
        {NS_CAUSE_TLP_REPAIRED, "(tail loss probe repaired a loss)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        NsTraceEvent ev = TCP_EV(.tcp_from = NS_TCP_STATE_ESTABLISHED,
                                 .tcp_to = NS_TCP_STATE_CLOSED, .cause = want[i].cause);
        g_autofree char *l = line_of(&ev);
        g_autofree char *expect = g_strdup_printf("10.0.0.1:49153-10.0.0.80:80 ESTABLISHED -> "
                                                  "CLOSED %s", want[i].words);
        if (strcmp(l, expect) != 0)
            fprintf(stderr, "cause %d: got '%s', want '%s'\n", (int)want[i].cause, l, expect);
        CU_ASSERT_STRING_EQUAL(l, expect);
    }
    NsTraceEvent none = TCP_EV(.tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_LISTEN);
    g_autofree char *l = line_of(&none);
    CU_ASSERT_STRING_EQUAL(l, "10.0.0.1:49153-10.0.0.80:80 CLOSED -> LISTEN");
}

static void test_text_accepted_socket_is_new_not_a_listener(void)
{
    NsTraceEvent ev = TCP_EV(.host = "srv", .src = SRV, .sport = 80, .dst = CLI, .dport = 49153,
                             .sock_id = 6, .parent_id = 2, .tcp_from = NS_TCP_STATE_CLOSED,
                             .tcp_to = NS_TCP_STATE_SYN_RECEIVED,
                             .cause = NS_CAUSE_RCV_SYN_LISTENER);
    g_autofree char *l = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(l, "10.0.0.80:80-10.0.0.1:49153 SYN-RECEIVED (rcv SYN: new socket #6 "
                              "from listener #2)");
}

static void test_text_congestion_and_window_changes(void)
{
    NsTraceEvent ca = TCP_EV(.tcp_ev = NS_TCP_EV_CONGESTION, .ca_from = NS_TCP_CA_DISORDER,
                             .ca_to = NS_TCP_CA_RECOVERY, .cause = NS_CAUSE_DUP_ACKS);
    g_autofree char *l1 = line_of(&ca);
    CU_ASSERT_STRING_EQUAL(l1, "10.0.0.1:49153-10.0.0.80:80 congestion Disorder -> Recovery "
                               "(3 dup ACKs)");
    NsTraceEvent cw = TCP_EV(.tcp_ev = NS_TCP_EV_CWND, .cwnd = 14600, .ssthresh = 7300,
                             .mss = 1460, .cause = NS_CAUSE_RTO);
    g_autofree char *l2 = line_of(&cw);
    CU_ASSERT_STRING_EQUAL(l2, "10.0.0.1:49153-10.0.0.80:80 cwnd 14600 ssthresh 7300 (10/5 "
                               "segments) (RTO)");
}

static void test_text_nagle_hold(void)
{
    NsTraceEvent ev = TCP_EV(.tcp_ev = NS_TCP_EV_NAGLE, .payload_len = 3, .in_flight = 1);
    g_autofree char *l = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(l, "10.0.0.1:49153-10.0.0.80:80 Nagle holds 3 bytes until an ACK "
                              "(1 byte unacknowledged)");
}

static void test_text_sock_lines_name_the_socket(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_SOCK, .host = "cli", .proto = 17, .sport = 49152,
                       .sock_id = 4, .sock_op = NS_SOCK_OP_BOUND, .ephemeral = true};
    g_autofree char *l1 = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(l1, "#4 udp 0.0.0.0:49152 bound (ephemeral port)");
    ev.sock_op = NS_SOCK_OP_CONNECTED;
    ev.dst = SRV;
    ev.dport = 53;
    g_autofree char *l2 = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(l2, "#4 udp 0.0.0.0:49152-10.0.0.80:53 connected (peer fixed; no "
                               "packet sent)");
    ev.sock_op = NS_SOCK_OP_CLOSED;
    g_autofree char *l3 = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(l3, "#4 udp 0.0.0.0:49152-10.0.0.80:53 closed (port free again)");
}

static void test_text_every_send_reason_has_its_words(void)
{
    static const struct {
        NsSendWhy why;
        const char *words;
    } want[] = {
        {NS_SEND_RTO, " (retransmission)"},
        {NS_SEND_FAST_RETRANSMIT, " (fast retransmit)"},
        {NS_SEND_SACK_RETRANSMIT, " (SACK retransmission)"},
        {NS_SEND_TLP, " (tail loss probe)"},
        {NS_SEND_PROBE, " (persist probe)"},
        {NS_SEND_WINDOW_UPDATE, " (window update)"},
        {NS_SEND_DELAYED_ACK, " (delayed ACK)"},
        {NS_SEND_CHALLENGE_ACK, " (challenge ACK)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        NsTraceEvent ev = SEG(.send_why = want[i].why, .options = NULL);
        g_autofree char *l = line_of(&ev);
        CU_ASSERT_TRUE(g_str_has_suffix(l, want[i].words));
    }
    NsTraceEvent plain = SEG(.options = NULL);
    g_autofree char *l = line_of(&plain);
    CU_ASSERT_STRING_EQUAL(l, "10.0.0.1:49153 > 10.0.0.80:80 TCP [S] seq 0 win 65535 len 0");
}

static void test_text_every_drop_reason_has_its_words(void)
{
    static const struct {
        NsDropReason drop;
        const char *words;
    } want[] = {
        {NS_DROP_NO_SOCKET, "(no socket)"},
        {NS_DROP_LISTEN_QUEUE_FULL, "(listen queue full)"},
        {NS_DROP_ACCEPT_QUEUE_FULL, "(accept queue full)"},
        {NS_DROP_RCVBUF_FULL, "(receive buffer full)"},
        {NS_DROP_CHECKSUM, "(checksum)"},
        {NS_DROP_MALFORMED, "(malformed UDP)"},
        {NS_DROP_MALFORMED_IP, "(malformed IPv4)"},
        {NS_DROP_NO_ROUTE, "(no route)"},
        {NS_DROP_NOT_FOR_HOST, "(not for this host (hosts do not forward))"},
        {NS_DROP_FRAG_TIMEOUT, "(reassembly timed out)"},
        {NS_DROP_FRAG_DUPLICATE, "(duplicate fragment)"},
        {NS_DROP_FRAG_OVERLAP, "(overlapping fragments: datagram discarded)"},
        {NS_DROP_FRAG_INVALID, "(inconsistent fragments: datagram discarded)"},
        {NS_DROP_FRAG_MEMORY, "(reassembly memory full)"},
        {NS_DROP_NO_PROTOCOL, "(no such protocol)"},
        {NS_DROP_TTL_EXCEEDED, "(TTL exceeded)"},
        {NS_DROP_TOO_BIG, "(larger than the next link's MTU)"},
        {NS_DROP_ARP_FAILED, "(next hop did not answer ARP)"},
        {NS_DROP_ARP_QUEUE_FULL, "(ARP queue full)"},
        {NS_DROP_HOST_DOWN, "(host down)"},
        {NS_DROP_LINK_DOWN, "(link down)"},
        {NS_DROP_LINK_LOSS, "(link loss)"},
        {NS_DROP_QUEUE_FULL, "(queue full)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        NsTraceEvent ev = DGRAM(.kind = NS_TRACE_DROP, .drop = want[i].drop);
        g_autofree char *l = line_of(&ev);
        g_autofree char *expect =
            g_strdup_printf("10.0.0.1:49152 > 10.0.0.80:53 UDP 33B %s", want[i].words);
        CU_ASSERT_STRING_EQUAL(l, expect);
    }
    /* IPv6 calls the TTL the hop limit (RFC 8200 3). */
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
                         b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    NsTraceEvent hop = DGRAM(.kind = NS_TRACE_DROP, .drop = NS_DROP_TTL_EXCEEDED, .src6 = a6,
                             .dst6 = b6);
    g_autofree char *lh = line_of(&hop);
    CU_ASSERT_TRUE(g_str_has_suffix(lh, " (hop limit exceeded)"));
    /* and resolves next hops with Neighbor Discovery, not ARP (RFC 4861 7.2) */
    NsTraceEvent nd = DGRAM(.kind = NS_TRACE_DROP, .drop = NS_DROP_ARP_QUEUE_FULL, .src6 = a6,
                            .dst6 = b6);
    g_autofree char *lq = line_of(&nd);
    CU_ASSERT_TRUE(g_str_has_suffix(lq, " (neighbor queue full)"));
    nd.drop = NS_DROP_ARP_FAILED;
    g_autofree char *lf = line_of(&nd);
    CU_ASSERT_TRUE(g_str_has_suffix(lf, " (next hop did not answer neighbor solicitation)"));
    NsTraceEvent on_link = DGRAM(.kind = NS_TRACE_DROP, .drop = NS_DROP_LINK_LOSS,
                                 .where = "cli-srv");
    g_autofree char *l = line_of(&on_link);
    CU_ASSERT_TRUE(g_str_has_suffix(l, " (link loss on cli-srv)"));
}

static void test_text_targeted_fault_names_its_rule_and_place(void)
{
    NsTraceEvent ev = SEG(.kind = NS_TRACE_DROP, .options = NULL, .drop = NS_DROP_FAULT,
                          .fault = NS_FAULT_DROP, .fault_rule = "tcp syn#1",
                          .loc = {"f.scn", 7});
    g_autofree char *l1 = line_of(&ev);
    CU_ASSERT_TRUE(g_str_has_suffix(l1, " (targeted fault at f.scn:7: drop tcp syn#1)"));
    NsTraceEvent held = SEG(.options = NULL, .send_why = NS_SEND_FAULT, .fault = NS_FAULT_DELAY,
                            .fault_rule = "tcp fin#1", .loc = {"f.scn", 8});
    g_autofree char *l2 = line_of(&held);
    CU_ASSERT_TRUE(g_str_has_suffix(l2, " seq 0 win 65535 len 0 (targeted fault at f.scn:8: "
                                        "delay tcp fin#1)"));
}

static void test_text_every_timer_has_its_words(void)
{
    static const struct {
        NsTimerKind timer;
        const char *words;
    } want[] = {
        {NS_TIMER_RTO, "armed RTO 1.500s"},
        {NS_TIMER_PERSIST, "armed persist 1.500s"},
        {NS_TIMER_KEEPALIVE, "armed keepalive 1.500s"},
        {NS_TIMER_TIME_WAIT, "armed TIME-WAIT 1.500s"},
        {NS_TIMER_FIN_WAIT_2, "armed FIN-WAIT-2 timeout 1.500s"},
        {NS_TIMER_DELACK, "armed delayed ACK 1.500s"},
        {NS_TIMER_TLP, "armed TLP 1.500s"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        NsTraceEvent ev = TCP_EV(.kind = NS_TRACE_TIMER, .timer = want[i].timer,
                                 .timer_op = NS_TIMER_ARMED, .duration = NS_MS(1500));
        g_autofree char *l = line_of(&ev);
        g_autofree char *expect = g_strdup_printf("10.0.0.1:49153-10.0.0.80:80 %s", want[i].words);
        CU_ASSERT_STRING_EQUAL(l, expect);
    }
    NsTraceEvent fired = TCP_EV(.kind = NS_TRACE_TIMER, .timer = NS_TIMER_RTO,
                                .timer_op = NS_TIMER_FIRED);
    g_autofree char *l1 = line_of(&fired);
    CU_ASSERT_STRING_EQUAL(l1, "10.0.0.1:49153-10.0.0.80:80 fired RTO");
    fired.timer_op = NS_TIMER_CANCELLED;
    g_autofree char *l2 = line_of(&fired);
    CU_ASSERT_STRING_EQUAL(l2, "10.0.0.1:49153-10.0.0.80:80 cancelled RTO");
}

static void test_text_arp_icmp_link_host_expect(void)
{
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x50};
    NsTraceEvent arp = {.kind = NS_TRACE_ARP, .host = "cli", .arp_ev = NS_ARP_EV_RESOLVED,
                        .src = SRV, .count = 2};
    memcpy(arp.mac, mac, 6);
    g_autofree char *a = line_of(&arp);
    CU_ASSERT_STRING_EQUAL(a, "resolved 10.0.0.80 is-at 02:00:00:00:00:50 (2 datagrams released)");
    arp.arp_ev = NS_ARP_EV_REQUEST;
    arp.dst = CLI;
    arp.unicast = true;
    g_autofree char *r = line_of(&arp);
    CU_ASSERT_STRING_EQUAL(r, "request who-has 10.0.0.80 tell 10.0.0.1 (unicast: confirming a "
                              "stale entry)");
    NsTraceEvent icmp = {.kind = NS_TRACE_ICMP, .host = "cli", .proto = 17, .sport = 49152,
                         .sock_id = 1, .icmp_ev = NS_ICMP_EV_QUEUED, .err = 111};
    g_autofree char *i = line_of(&icmp);
    CU_ASSERT_STRING_EQUAL(i, "#1 udp 0.0.0.0:49152: ECONNREFUSED queued (connected socket: its "
                              "next call fails with it)");
    NsTraceEvent down = {.kind = NS_TRACE_LINK, .where = "cli-srv", .link_ev = NS_LINK_EV_DOWN};
    g_autofree char *d = line_of(&down);
    CU_ASSERT_STRING_EQUAL(d, "cli-srv down (frames on it are lost)");
    NsTraceEvent crash = {.kind = NS_TRACE_HOST, .host = "srv", .host_ev = NS_HOST_EV_CRASH,
                          .count = 1};
    g_autofree char *c = line_of(&crash);
    CU_ASSERT_STRING_EQUAL(c, "crash 1 socket vanished without a packet; ARP cache lost");
    NsTraceEvent fail = {.kind = NS_TRACE_EXPECT, .host = "cli", .verdict = NS_VERDICT_FAIL,
                         .text = "S state CLOSED", .loc = {"s.scn", 12}};
    g_autofree char *e = line_of(&fail);
    CU_ASSERT_STRING_EQUAL(e, "FAIL S state CLOSED (s.scn:12)");
}

/* Route changes name the prefix, the next hop and the line; a removal of
 * a route that was not there says so. */
static void test_text_route_changes(void)
{
    NsTraceEvent add = {.kind = NS_TRACE_HOST, .host = "r1", .host_ev = NS_HOST_EV_ROUTE_ADDED,
                        .route_net = 0x0a000300, .route_prefix = 24, .route_via = 0x0a000902,
                        .loc = {"loop.scn", 14}};
    g_autofree char *a = line_of(&add);
    CU_ASSERT_STRING_EQUAL(a, "route added 10.0.3.0/24 via 10.0.9.2 (route at loop.scn:14)");
    NsTraceEvent del = {.kind = NS_TRACE_HOST, .host = "r1",
                        .host_ev = NS_HOST_EV_ROUTE_REMOVED, .route_missing = true};
    g_autofree char *d = line_of(&del);
    CU_ASSERT_STRING_EQUAL(d, "route removed default (there was no such route)");
}

/* A datagram sent with a TTL other than 64 shows it (traceroute's probes);
 * one with the default does not. */
static void test_text_send_shows_a_chosen_ttl(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_SEND, .host = "cli", .proto = 17, .src = CLI,
                       .sport = 49152, .dst = SRV, .dport = 33434, .payload_len = 32, .ttl = 2};
    g_autofree char *a = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(a, "10.0.0.1:49152 > 10.0.0.80:33434 UDP 32B ttl 2");
    ev.ttl = 64;
    g_autofree char *b = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(b, "10.0.0.1:49152 > 10.0.0.80:33434 UDP 32B");
}

static void test_text_congestion_sample(void)
{
    NsTraceEvent ev = TCP_EV(.kind = NS_TRACE_CC, .cwnd = 14480, .ssthresh = 0x7fffffff,
                             .in_flight = 2896, .srtt = NS_MS(21), .rto = NS_MS(221));
    g_autofree char *l = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(l, "10.0.0.1:49153-10.0.0.80:80 cwnd 14480 ssthresh 2147483647 in "
                              "flight 2896 srtt 0.021s rto 0.221s");
}

static void test_text_congestion_samples_only_when_asked(void)
{
    g_autoptr(NsTracer) tr = ns_tracer_new();
    ns_text_sink_attach(ns_text_sink_new(stdout, 4), tr);
    CU_ASSERT_TRUE(ns_tracer_wants(tr, NS_TRACE_TCP));
    CU_ASSERT_FALSE(ns_tracer_wants(tr, NS_TRACE_CC));
    ns_tracer_set_kinds(tr, NS_TRACE_MASK_ALL);
    CU_ASSERT_TRUE(ns_tracer_wants(tr, NS_TRACE_CC));
    CU_ASSERT_FALSE(ns_tracer_wants(tr, NS_TRACE_FRAME)); /* no sink asked for frames */
}

CU_TestInfo ns_text_tests[] = {
    {"congestion_samples_only_when_asked", test_text_congestion_samples_only_when_asked},
    {"every_tcp_cause_has_its_words", test_text_every_tcp_cause_has_its_words},
    {"accepted_socket_is_new_not_a_listener", test_text_accepted_socket_is_new_not_a_listener},
    {"congestion_and_window_changes", test_text_congestion_and_window_changes},
    {"nagle_hold", test_text_nagle_hold},
    {"sock_lines_name_the_socket", test_text_sock_lines_name_the_socket},
    {"every_send_reason_has_its_words", test_text_every_send_reason_has_its_words},
    {"every_drop_reason_has_its_words", test_text_every_drop_reason_has_its_words},
    {"targeted_fault_names_its_rule_and_place", test_text_targeted_fault_names_its_rule_and_place},
    {"every_timer_has_its_words", test_text_every_timer_has_its_words},
    {"arp_icmp_link_host_expect", test_text_arp_icmp_link_host_expect},
    {"route_changes", test_text_route_changes},
    {"send_shows_a_chosen_ttl", test_text_send_shows_a_chosen_ttl},
    {"congestion_sample", test_text_congestion_sample},
    CU_TEST_INFO_NULL,
};
