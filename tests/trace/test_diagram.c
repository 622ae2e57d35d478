/* Sequence diagrams: lifelines per endpoint grouped by host, labelled
 * arrows, lost packets, notes for state changes, folding of long runs,
 * Mermaid escaping and well-formed SVG. */
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

/* A handshake, a state note, one lost segment. */
static NsDiagram *tiny(void)
{
    NsDiagram *d = ns_diagram_new("A tiny exchange");
    NsTraceEvent tcp = {.kind = NS_TRACE_TCP, .host = "cli", .proto = 6, .src = CLI,
                        .sport = 49153, .dst = SRV, .dport = 80,
                        .tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_SYN_SENT,
                        .cause = NS_CAUSE_APP_CONNECT};
    ns_diagram_add(d, &tcp);
    exchange(d, SEG(.time = 0), "www", false);
    exchange(d, reply(SEG(.time = 20000000, .tcp_flags = 0x12, .ack = 1)), "cli", false);
    exchange(d, SEG(.time = 40000000, .tcp_flags = 0x18, .seq = 1, .ack = 1, .options = NULL,
                    .payload_len = 100, .summary = "HTTP GET /a;b#c"),
             "www", true);
    return d;
}

static void test_diagram_one_lifeline_per_endpoint(void)
{
    g_autoptr(NsDiagram) d = tiny();
    CU_ASSERT_EQUAL(ns_diagram_lifelines(d), 2);
}

static void test_diagram_mermaid_groups_lifelines_by_host(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_TRUE(g_str_has_prefix(m, "sequenceDiagram\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    box rgb(245,245,250) cli\n"
                                     "    participant p0 as 10.0.0.1:49153\n    end\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    box rgb(245,245,250) www\n"
                                     "    participant p1 as 10.0.0.80:80\n    end\n"));
}

static void test_diagram_mermaid_arrows_carry_flags_seq_ack(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p0->>p1: TCP [S] seq 0 win 65535 #60;mss 1460#62;\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p1->>p0: TCP [S.] seq 0 ack 1 win 65535"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    Note over p0: CLOSED -#62; SYN-SENT (app connect)\n"));
}

static void test_diagram_mermaid_lost_packet_is_crossed_and_escaped(void)
{
    g_autoptr(NsDiagram) d = tiny();
    g_autofree char *m = ns_diagram_render(d, NS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "    p0-xp1: TCP [P.] seq 1 ack 1 win 65535 len 100 "
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

static void test_diagram_svg_is_well_formed_with_one_lifeline_per_endpoint(void)
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
    CU_ASSERT_EQUAL(n.lifelines, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "&lt;mss 1460&gt;"));
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
    {"one_lifeline_per_endpoint", test_diagram_one_lifeline_per_endpoint},
    {"mermaid_groups_lifelines_by_host", test_diagram_mermaid_groups_lifelines_by_host},
    {"mermaid_arrows_carry_flags_seq_ack", test_diagram_mermaid_arrows_carry_flags_seq_ack},
    {"mermaid_lost_packet_is_crossed_and_escaped",
     test_diagram_mermaid_lost_packet_is_crossed_and_escaped},
    {"long_run_is_folded", test_diagram_long_run_is_folded},
    {"lost_segment_breaks_a_run", test_diagram_lost_segment_breaks_a_run},
    {"svg_is_well_formed_with_one_lifeline_per_endpoint",
     test_diagram_svg_is_well_formed_with_one_lifeline_per_endpoint},
    {"format_from_extension", test_diagram_format_from_extension},
    CU_TEST_INFO_NULL,
};
