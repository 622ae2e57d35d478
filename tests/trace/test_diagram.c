/* Sequence diagrams: lifelines per socket grouped by host, labelled
 * arrows, lost packets, notes for state changes, folding of long runs,
 * Mermaid escaping and well-formed SVG. */
#include <stdlib.h>
#include <string.h>

#include "netsim/trace-diagram.h"
#include "trace-tests.h"

/* Send `ev` from its host and, unless lost, receive it at `to_host`. */
static void exchange(NsDiagram *d, NsTraceEvent ev, const char *to_host, bool lost)
{
    ns_diagram_add(d, &ev);
    if (lost)
        return;
    ev.kind = NS_TRACE_RECV;
    ev.host = to_host;
    ev.time += 10000000;
    ns_diagram_add(d, &ev);
}

static NsTraceEvent reply(NsTraceEvent ev)
{
    NsTraceEvent r = ev;
    r.src = ev.dst;
    r.sport = ev.dport;
    r.dst = ev.src;
    r.dport = ev.sport;
    r.host = "www";
    return r;
}

/* www listens on port 80 (a bound socket that listens). */
static void listen_80(NsDiagram *d)
{
    ns_diagram_add(d, &(NsTraceEvent){.kind = NS_TRACE_SOCK, .host = "www", .proto = 6,
                                      .sport = 80, .sock_op = NS_SOCK_OP_BOUND, .sock_id = 1});
    ns_diagram_add(d, &(NsTraceEvent){.kind = NS_TRACE_TCP, .host = "www", .proto = 6,
                                      .sport = 80, .tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_LISTEN,
                                      .cause = NS_CAUSE_APP_LISTEN});
}

/* The socket www accepts for a SYN from `cli_addr`:49153. */
static void accept_from(NsDiagram *d, NsTime t, uint32_t cli_addr)
{
    ns_diagram_add(d, &(NsTraceEvent){.time = t, .kind = NS_TRACE_TCP, .host = "www", .proto = 6,
                                      .src = SRV, .sport = 80, .dst = cli_addr, .dport = 49153,
                                      .tcp_from = NS_TCP_STATE_LISTEN, .tcp_to = NS_TCP_STATE_SYN_RECEIVED,
                                      .cause = NS_CAUSE_RCV_SYN_LISTENER,
                                      .sock_id = 10 + (cli_addr & 0xff), .parent_id = 1});
}

/* A handshake, a state note, one lost segment. */
static NsDiagram *tiny(void)
{
    NsDiagram *d = ns_diagram_new("A tiny exchange");
    listen_80(d);
    NsTraceEvent tcp = {.kind = NS_TRACE_TCP, .host = "cli", .proto = 6, .src = CLI,
                        .sport = 49153, .dst = SRV, .dport = 80,
                        .tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_SYN_SENT,
                        .cause = NS_CAUSE_APP_CONNECT};
    ns_diagram_add(d, &tcp);
    exchange(d, SEG(.time = 0), "www", false);
    accept_from(d, 10000000, CLI);
    exchange(d, reply(SEG(.time = 20000000, .tcp_flags = 0x12, .ack = 1)), "cli", false);
    exchange(d, SEG(.time = 40000000, .tcp_flags = 0x18, .seq = 1, .ack = 1, .options = NULL,
                    .payload_len = 100, .summary = "HTTP GET /a;b#c"),
             "www", true);
    return d;
}

static void test_diagram_one_lifeline_per_socket(void)
{
    g_autoptr(NsDiagram) d = tiny();
    CU_ASSERT_EQUAL(ns_diagram_lifelines(d), 3); /* client, listener, accepted */
    CU_ASSERT_EQUAL(ns_diagram_lifelines_of(d, "www"), 2);
}

static void test_diagram_mermaid_groups_lifelines_by_host(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_TRUE(g_str_has_prefix(m, "sequenceDiagram\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    box rgb(245,245,250) www\n"
                                     "    participant p0 as #35;1 0.0.0.0:80\n"
                                     "    participant p1 as #35;11 10.0.0.80:80-10.0.0.1:49153\n"
                                     "    end\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    box rgb(245,245,250) cli\n"
                                     "    participant p2 as 10.0.0.1:49153\n    end\n"));
}

static void test_diagram_syn_to_listener_then_accepted_socket_answers(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    const char *syn = strstr(m, "    p2->>p0: TCP [S] ");
    const char *created = strstr(m, "    Note over p1: new socket #35;11 from listener #35;1 0.0.0.0:80: "
                                    "SYN-RECEIVED\n");
    const char *synack = strstr(m, "    p1->>p2: TCP [S.] ");
    CU_ASSERT_TRUE(syn && created && synack && syn < created && created < synack);
    CU_ASSERT_PTR_NULL(strstr(m, "LISTEN -#62; SYN-RECEIVED")); /* it never listened */
}

static void test_diagram_three_clients_four_lifelines_on_the_server(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    listen_80(d);
    for (uint32_t i = 1; i <= 3; i++) {
        ns_diagram_add(d, &(NsTraceEvent){.time = i, .kind = NS_TRACE_TCP, .host = "b",
                                          .proto = 6, .src = ADDR(10, 0, 0, i), .sport = 49153,
                                          .dst = SRV, .dport = 80, .tcp_from = NS_TCP_STATE_CLOSED,
                                          .tcp_to = NS_TCP_STATE_SYN_SENT});
        exchange(d, SEG(.time = i, .host = "b", .src = ADDR(10, 0, 0, i)), "www", false);
        accept_from(d, 10000000 + i, ADDR(10, 0, 0, i));
        exchange(d, reply(SEG(.time = 20000000 + i, .tcp_flags = 0x12, .ack = 1,
                              .src = ADDR(10, 0, 0, i))),
                 "b", false);
    }
    CU_ASSERT_EQUAL(ns_diagram_lifelines_of(d, "www"), 4);
    CU_ASSERT_EQUAL(ns_diagram_lifelines_of(d, "b"), 3);
    g_autofree char *svg = ns_diagram_render(d, NS_DIAGRAM_SVG);
    guint accepted = 0;
    for (const char *p = svg; (p = strstr(p, "data-role=\"accepted\" data-parent=\"#1 0.0.0.0:80\""));
         p++)
        accepted++;
    CU_ASSERT_EQUAL(accepted, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "data-host=\"www\" data-role=\"listener\""));
}

static void test_diagram_syn_to_a_closed_port_goes_to_the_host(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    ns_diagram_add(d, &(NsTraceEvent){.kind = NS_TRACE_TCP, .host = "cli", .proto = 6,
                                      .src = CLI, .sport = 49153, .dst = SRV, .dport = 81,
                                      .tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_SYN_SENT});
    exchange(d, SEG(.time = 0, .dport = 81), "www", false);
    ns_diagram_add(d, &SEG(.time = 10000000, .kind = NS_TRACE_DROP, .host = "www", .dport = 81,
                           .drop = NS_DROP_NO_SOCKET));
    exchange(d, reply(SEG(.time = 10000000, .dport = 81, .tcp_flags = 0x14)), "cli", false);
    ns_diagram_add(d, &(NsTraceEvent){.time = 20000000, .kind = NS_TRACE_TCP, .host = "cli",
                                      .proto = 6, .src = CLI, .sport = 49153, .dst = SRV,
                                      .dport = 81, .tcp_from = NS_TCP_STATE_SYN_SENT, .tcp_to = NS_TCP_STATE_CLOSED,
                                      .cause = NS_CAUSE_RCV_RST});
    ns_diagram_add(d, &(NsTraceEvent){.time = 20000000, .kind = NS_TRACE_APP, .host = "cli",
                                      .what = "connect", .err = 111 /* ECONNREFUSED */});
    CU_ASSERT_EQUAL(ns_diagram_lifelines_of(d, "www"), 1);
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    participant p1 as 10.0.0.80\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p0->>p1: TCP [S] "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    Note over p1: dropped: no socket\n"
                                     "    p1->>p0: TCP [R.] "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    Note over p0: connect fails: ECONNREFUSED\n"));
}

static void test_diagram_router_is_a_forwarding_step_with_the_ttl(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    NsTraceEvent ping = {.kind = NS_TRACE_SEND, .host = "pc", .proto = 1, .src = CLI,
                         .dst = ADDR(10, 0, 2, 20), .ttl = 64, .ip_len = 84, .icmp_type = 8,
                         .icmp_seq = 1};
    ns_diagram_add(d, &ping);
    NsTraceEvent fwd = ping;
    fwd.kind = NS_TRACE_FWD;
    fwd.host = "gw";
    fwd.ttl = 63;
    fwd.time = 1000;
    ns_diagram_add(d, &fwd);
    NsTraceEvent recv = fwd;
    recv.kind = NS_TRACE_RECV;
    recv.host = "srv";
    recv.time = 2000;
    ns_diagram_add(d, &recv);
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    participant p1 as gw\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p0->>p1: ICMP echo request seq 1\n"
                                     "    p1->>p2: ICMP echo request seq 1 ttl 63\n"));
}

static void test_diagram_no_lifeline_for_a_guess_an_arrival_corrected(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    /* Sent before the diagram knew anything of www: guessed at 10.0.0.80... */
    ns_diagram_add(d, &SEG(.time = 0));
    /* ...then www listens and receives it. */
    listen_80(d);
    ns_diagram_add(d, &SEG(.time = 10, .kind = NS_TRACE_RECV, .host = "www"));
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NULL(strstr(m, "as 10.0.0.80\n"));
    CU_ASSERT_PTR_NULL(strstr(m, "elsewhere"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p0->>p1: TCP [S] "));
}

static void test_diagram_lost_syn_is_drawn_to_the_listener_known_later(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    listen_80(d);
    ns_diagram_add(d, &(NsTraceEvent){.kind = NS_TRACE_TCP, .host = "cli", .proto = 6,
                                      .src = CLI, .sport = 49153, .dst = SRV, .dport = 80,
                                      .tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_SYN_SENT});
    /* Two datagrams told apart by their IPv4 identification. */
    static const uint8_t ip1[20] = {0x45, 0, 0, 44, 0, 1}, ip2[20] = {0x45, 0, 0, 44, 0, 2};
    exchange(d, SEG(.time = 0, .bytes = ip1, .bytes_len = 20), "www", true); /* lost */
    exchange(d, SEG(.time = 1000, .send_why = NS_SEND_RTO, .bytes = ip2, .bytes_len = 20),
             "www", false);
    accept_from(d, 2000, CLI);
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p2-xp0: TCP [S] seq 0 win 65535 #60;mss 1460#62; "
                                     "(lost)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p2->>p0: TCP [S] seq 0 win 65535 #60;mss 1460#62; "
                                     "(retransmission: RTO expired)\n"));
}

static void test_diagram_mermaid_arrows_carry_flags_seq_ack(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p2->>p0: TCP [S] seq 0 win 65535 #60;mss 1460#62;\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p1->>p2: TCP [S.] seq 0 ack 1 win 65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    Note over p2: CLOSED -#62; SYN-SENT (app connect)\n"));
}

static void test_diagram_mermaid_lost_packet_is_crossed_and_escaped(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p2-xp1: TCP [P.] seq 1 ack 1 win 65535 len 100 "
                                     "\xc2\xb7 HTTP GET /a#59;b#35;c (lost)\n"));
}

static void test_diagram_long_run_is_folded(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    for (uint32_t i = 0; i < 60; i++) {
        exchange(d, SEG(.time = i * 1000, .tcp_flags = 0x10, .seq = 1 + i * 1000, .ack = 1,
                        .options = NULL, .payload_len = 1000),
                 "www", false);
        if (i % 2)
            exchange(d, reply(SEG(.time = i * 1000 + 1, .tcp_flags = 0x10, .seq = 1,
                                  .ack = 1 + i * 1000, .options = NULL)),
                     "cli", false);
    }
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    Note over p0,p1: ... 85 segments, 57000 bytes of data ...\n"));
    int arrows = 0;
    for (const char *p = m; (p = strstr(p, "->>")); p++)
        arrows++;
    CU_ASSERT_EQUAL(arrows, 5);
}

static void test_diagram_lost_segment_breaks_a_run(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    uint8_t ip[20][20] = {{0}};
    for (uint32_t i = 0; i < 20; i++) {
        ip[i][0] = 0x45;
        ip[i][5] = (uint8_t)i; /* the identification field tells the datagrams apart */
        exchange(d, DGRAM(.time = i, .bytes = ip[i], .bytes_len = 20), "www", i == 10);
    }
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "-xp1: UDP 33B (lost)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "... 5 datagrams"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "... 4 datagrams"));
}

typedef struct {
    int lifelines, depth;
} SvgCount;

static void svg_start(GMarkupParseContext *c, const char *name, const char **an, const char **av,
                      gpointer data, GError **error)
{
    (void)c;
    (void)name;
    (void)error;
    SvgCount *n = data;
    n->depth++;
    for (int i = 0; an[i]; i++)
        if (strcmp(an[i], "class") == 0 && strcmp(av[i], "lifeline") == 0)
            n->lifelines++;
}

static void test_diagram_svg_is_well_formed_with_one_lifeline_per_socket(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *svg = ns_diagram_render(d, NS_DIAGRAM_SVG);
    GMarkupParser p = {.start_element = svg_start};
    SvgCount n = {0};
    g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(&p, 0, &n, NULL);
    g_autoptr(GError) err = NULL;
    const char *body = strstr(svg, "<svg"); /* GMarkup does not read the XML declaration */
    CU_ASSERT_TRUE(g_markup_parse_context_parse(ctx, body, -1, &err) &&
                   g_markup_parse_context_end_parse(ctx, &err));
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_EQUAL(n.lifelines, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "&lt;mss 1460&gt;"));
}

/* A SYN that waited 2 ms for ARP is drawn where it reached the server:
 * after what happened meanwhile, with the arrival's time. */
static void test_diagram_message_is_drawn_where_it_arrived(void)
{
    g_autoptr(NsDiagram) d = ns_diagram_new(NULL);
    listen_80(d);
    ns_diagram_add(d, &(NsTraceEvent){.kind = NS_TRACE_TCP, .host = "cli", .proto = 6,
                                      .src = CLI, .sport = 49153, .dst = SRV, .dport = 80,
                                      .tcp_from = NS_TCP_STATE_CLOSED,
                                      .tcp_to = NS_TCP_STATE_SYN_SENT, .cause = NS_CAUSE_APP_CONNECT});
    ns_diagram_add(d, &SEG(.time = 0));
    ns_diagram_add(d, &(NsTraceEvent){.time = 1000000, .kind = NS_TRACE_TCP, .host = "cli",
                                      .proto = 6, .src = CLI, .sport = 49153, .dst = SRV,
                                      .dport = 80, .tcp_ev = NS_TCP_EV_CWND, .cwnd = 14600,
                                      .ssthresh = 65535});
    ns_diagram_add(d, &SEG(.time = 2000000, .kind = NS_TRACE_RECV, .host = "www"));
    accept_from(d, 2000000, CLI);
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    const char *meanwhile = strstr(m, "Note over p2: cwnd 14600 ssthresh 65535");
    const char *syn = strstr(m, "    p2->>p0: TCP [S] ");
    const char *created = strstr(m, "Note over p1: new socket #35;11 from listener");
    CU_ASSERT_TRUE(meanwhile && syn && created && meanwhile < syn && syn < created);
    g_autofree char *svg = ns_diagram_render(d, NS_DIAGRAM_SVG);
    const char *arrow = strstr(svg, "<line class=\"msg\"");
    const char *label = g_strrstr_len(svg, arrow ? arrow - svg : 0, "fill=\"#777\">");
    CU_ASSERT_TRUE(label && g_str_has_prefix(label, "fill=\"#777\">0.002000000<"));
}

/* y2 of the dashed line of the lifeline whose head reads `name`. */
static unsigned line_end(const char *svg, const char *name)
{
    g_autofree char *head = g_strdup_printf(">%s</text></g>", name);
    const char *h = strstr(svg, head);
    const char *g = h ? g_strrstr_len(svg, h - svg, "<g class=\"lifeline\"") : NULL;
    const char *y2 = g ? strstr(g, " y2=\"") : NULL;
    return y2 && y2 < h ? (unsigned)strtoul(y2 + 5, NULL, 10) : 0;
}

/* A listener listens to the end of the run, though nothing happens on it
 * after the last SYN; a client socket whose connection closed ends there. */
static void test_diagram_lifeline_ends_only_when_its_socket_closes(void)
{
    g_autoptr(NsDiagram) d = tiny();
    ns_diagram_add(d, &(NsTraceEvent){.time = 50000000, .kind = NS_TRACE_TCP, .host = "cli",
                                      .proto = 6, .src = CLI, .sport = 49153, .dst = SRV,
                                      .dport = 80, .tcp_from = NS_TCP_STATE_SYN_SENT,
                                      .tcp_to = NS_TCP_STATE_CLOSED, .cause = NS_CAUSE_APP_CLOSE});
    ns_diagram_add(d, &(NsTraceEvent){.time = 60000000, .kind = NS_TRACE_TCP, .host = "www",
                                      .proto = 6, .src = SRV, .sport = 80, .dst = CLI,
                                      .dport = 49153, .tcp_ev = NS_TCP_EV_CWND, .cwnd = 2920,
                                      .ssthresh = 65535, .sock_id = 11, .parent_id = 1});
    g_autofree char *svg = ns_diagram_render(d, NS_DIAGRAM_SVG);
    unsigned listener = line_end(svg, "#1 0.0.0.0:80");
    unsigned accepted = line_end(svg, "#11 10.0.0.80:80-10.0.0.1:49153");
    unsigned client = line_end(svg, "10.0.0.1:49153");
    CU_ASSERT_TRUE(listener > 0 && client > 0);
    CU_ASSERT_EQUAL(listener, accepted); /* both to the last row */
    CU_ASSERT_TRUE(client < listener);
}

static void test_diagram_format_from_extension(void)
{
    NsDiagramFormat f;
    CU_ASSERT_TRUE(ns_diagram_format_from_path("x/run.mmd", &f) && f == NS_DIAGRAM_MERMAID);
    CU_ASSERT_TRUE(ns_diagram_format_from_path("RUN.SVG", &f) && f == NS_DIAGRAM_SVG);
    CU_ASSERT_FALSE(ns_diagram_format_from_path("run.png", &f));
    CU_ASSERT_FALSE(ns_diagram_format_from_path("svg", &f));
}

CU_TestInfo ns_diagram_tests[] = {
    {"one_lifeline_per_socket", test_diagram_one_lifeline_per_socket},
    {"syn_to_listener_then_accepted_socket_answers",
     test_diagram_syn_to_listener_then_accepted_socket_answers},
    {"three_clients_four_lifelines_on_the_server",
     test_diagram_three_clients_four_lifelines_on_the_server},
    {"syn_to_a_closed_port_goes_to_the_host", test_diagram_syn_to_a_closed_port_goes_to_the_host},
    {"router_is_a_forwarding_step_with_the_ttl",
     test_diagram_router_is_a_forwarding_step_with_the_ttl},
    {"no_lifeline_for_a_guess_an_arrival_corrected",
     test_diagram_no_lifeline_for_a_guess_an_arrival_corrected},
    {"lost_syn_is_drawn_to_the_listener_known_later",
     test_diagram_lost_syn_is_drawn_to_the_listener_known_later},
    {"mermaid_groups_lifelines_by_host", test_diagram_mermaid_groups_lifelines_by_host},
    {"mermaid_arrows_carry_flags_seq_ack", test_diagram_mermaid_arrows_carry_flags_seq_ack},
    {"mermaid_lost_packet_is_crossed_and_escaped",
     test_diagram_mermaid_lost_packet_is_crossed_and_escaped},
    {"long_run_is_folded", test_diagram_long_run_is_folded},
    {"lost_segment_breaks_a_run", test_diagram_lost_segment_breaks_a_run},
    {"svg_is_well_formed_with_one_lifeline_per_socket",
     test_diagram_svg_is_well_formed_with_one_lifeline_per_socket},
    {"message_is_drawn_where_it_arrived", test_diagram_message_is_drawn_where_it_arrived},
    {"lifeline_ends_only_when_its_socket_closes",
     test_diagram_lifeline_ends_only_when_its_socket_closes},
    {"format_from_extension", test_diagram_format_from_extension},
    CU_TEST_INFO_NULL,
};
