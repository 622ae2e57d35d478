/* Trace filters (sim/trace/filter.c): kinds by name, one host's story, and
 * what a diagram needs, checked with a recording sink behind the filter. */
#include <string.h>

#include "netsim/trace-filter.h"
#include "trace-tests.h"

typedef struct {
    GPtrArray *seen; /* host of each event, in order ("-" for none) */
    GArray *kinds;   /* NsTraceKind of each event */
} Rec;

static void rec_write(void *self, const NsTraceEvent *ev)
{
    Rec *r = self;
    g_ptr_array_add(r->seen, (gpointer)(ev->host ? ev->host : "-"));
    g_array_append_val(r->kinds, ev->kind);
}

static const NsTraceSinkOps rec_ops = {"rec", rec_write, NULL, NULL};

static const uint32_t srv_addrs[] = {SRV};

/* A tracer with a recording sink (wanting every kind but frames) behind a
 * filter with `opts`. */
static NsTracer *filtered(const NsTraceFilterOpts *opts, Rec *r)
{
    r->seen = g_ptr_array_new();
    r->kinds = g_array_new(FALSE, FALSE, sizeof(NsTraceKind));
    NsTracer *t = ns_tracer_new(), *sub = ns_tracer_new();
    ns_tracer_add_sink(sub, &rec_ops, r, NS_TRACE_MASK_ALL & ~NS_TRACE_MASK(NS_TRACE_FRAME));
    ns_trace_filter_attach(t, opts, sub);
    return t;
}

static void rec_clear(Rec *r)
{
    g_ptr_array_free(r->seen, TRUE);
    g_array_free(r->kinds, TRUE);
}

static void test_kinds_parse(void)
{
    uint32_t m = 0;
    char *bad = NULL;
    CU_ASSERT_TRUE(ns_trace_kinds_parse("arp,Timer, tcp", &m, &bad));
    CU_ASSERT_EQUAL(m, NS_TRACE_MASK(NS_TRACE_ARP) | NS_TRACE_MASK(NS_TRACE_TIMER) |
                           NS_TRACE_MASK(NS_TRACE_TCP));
    CU_ASSERT_PTR_NULL(bad);
}

static void test_kinds_parse_unknown(void)
{
    uint32_t m = 0;
    char *bad = NULL;
    CU_ASSERT_FALSE(ns_trace_kinds_parse("arp,segment", &m, &bad));
    CU_ASSERT_STRING_EQUAL(bad, "segment");
    g_free(bad);
}

static void test_kinds_parse_no_frames(void)
{
    uint32_t m = 0;
    char *bad = NULL;
    CU_ASSERT_FALSE(ns_trace_kinds_parse("frame", &m, &bad));
    CU_ASSERT_STRING_EQUAL(bad, "frame");
    g_free(bad);
    CU_ASSERT_PTR_NULL(strstr(ns_trace_kind_list(), "frame"));
    CU_ASSERT_PTR_NOT_NULL(strstr(ns_trace_kind_list(), "app, sock, tcp"));
}

static void test_only_kinds(void)
{
    Rec r;
    NsTraceFilterOpts o = {.kinds = NS_TRACE_MASK(NS_TRACE_ARP)};
    g_autoptr(NsTracer) t = filtered(&o, &r);
    CU_ASSERT_TRUE(ns_tracer_wants(t, NS_TRACE_ARP));
    CU_ASSERT_FALSE(ns_tracer_wants(t, NS_TRACE_SEND)); /* producers build nothing else */
    ns_trace_emit(t, &SEG());
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_ARP, .host = "cli"});
    CU_ASSERT_EQUAL(r.kinds->len, 1);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 0), NS_TRACE_ARP);
    rec_clear(&r);
}

static void test_host_story(void)
{
    Rec r;
    NsTraceFilterOpts o = {.kinds = NS_TRACE_MASK_ALL, .host = "srv", .addrs = srv_addrs,
                           .n_addrs = 1};
    g_autoptr(NsTracer) t = filtered(&o, &r);
    ns_trace_emit(t, &SEG());                                   /* at cli: not kept */
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_RECV, .host = "srv")); /* at srv */
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_DROP, .host = NULL, .where = "lan")); /* to srv */
    ns_trace_emit(t, &DGRAM(.kind = NS_TRACE_DROP, .host = NULL, .dst = CLI)); /* not srv's */
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_LINK, .where = "lan"}); /* run-wide */
    CU_ASSERT_EQUAL(r.kinds->len, 3);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 0), NS_TRACE_RECV);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 1), NS_TRACE_DROP);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 2), NS_TRACE_LINK);
    rec_clear(&r);
}

static void test_diagram_keeps_arrows_to_the_host(void)
{
    Rec r;
    NsTraceFilterOpts o = {.kinds = NS_TRACE_MASK(NS_TRACE_SEND), .host = "srv",
                           .addrs = srv_addrs, .n_addrs = 1, .for_diagram = true};
    g_autoptr(NsTracer) t = filtered(&o, &r);
    ns_trace_emit(t, &SEG());                               /* cli -> srv: an arrow to srv */
    ns_trace_emit(t, &DGRAM(.dst = ADDR(10, 0, 0, 9)));     /* cli -> elsewhere */
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_RECV, .host = "cli")); /* every recv matches */
    CU_ASSERT_EQUAL(r.kinds->len, 2);
    CU_ASSERT_STRING_EQUAL(g_ptr_array_index(r.seen, 0), "cli");
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 1), NS_TRACE_RECV);
    rec_clear(&r);
}

static void test_sock_story(void)
{
    Rec r;
    NsTraceFilterOpts o = {.kinds = NS_TRACE_MASK_ALL, .sock = 5};
    g_autoptr(NsTracer) t = filtered(&o, &r);
    /* Socket #5 of srv, accepted from listener #1: its creation first. */
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_TCP, .host = "srv", .proto = 6,
                                     .src = SRV, .sport = 80, .dst = CLI, .dport = 49153,
                                     .sock_id = 5, .parent_id = 1,
                                     .cause = NS_CAUSE_RCV_SYN_LISTENER});
    ns_trace_emit(t, &SEG(.host = "srv", .src = SRV, .sport = 80, .dst = CLI, .dport = 49153,
                          .tcp_flags = 0x12)); /* its SYN,ACK */
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_RECV, .host = "srv", .tcp_flags = 0x10)); /* its ACK */
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_RECV, .host = "srv", .sport = 49154)); /* another */
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_RECV, .host = "cli", .tcp_flags = 0x10)); /* not at srv */
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_TIMER, .host = "srv", .sock_id = 6});
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_ARP, .host = "srv"});
    CU_ASSERT_EQUAL(r.kinds->len, 3);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 0), NS_TRACE_TCP);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 1), NS_TRACE_SEND);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 2), NS_TRACE_RECV);
    rec_clear(&r);
}

static void test_sock_listener_story(void)
{
    Rec r;
    NsTraceFilterOpts o = {.kinds = NS_TRACE_MASK_ALL, .sock = 1};
    g_autoptr(NsTracer) t = filtered(&o, &r);
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_SOCK, .host = "srv", .proto = 6,
                                     .sport = 80, .sock_id = 1, .sock_op = NS_SOCK_OP_BOUND});
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_RECV, .host = "srv")); /* a SYN for it */
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_TCP, .host = "srv", .proto = 6,
                                     .src = SRV, .sport = 80, .dst = CLI, .dport = 49153,
                                     .sock_id = 5, .parent_id = 1,
                                     .cause = NS_CAUSE_RCV_SYN_LISTENER}); /* it creates #5 */
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_TCP, .host = "srv", .proto = 6,
                                     .src = SRV, .sport = 80, .dst = CLI, .dport = 49153,
                                     .sock_id = 5, .parent_id = 1,
                                     .cause = NS_CAUSE_RCV_ACK_OF_SYN}); /* #5's own story */
    ns_trace_emit(t, &SEG(.kind = NS_TRACE_RECV, .host = "srv", .tcp_flags = 0x10)); /* #5's */
    CU_ASSERT_EQUAL(r.kinds->len, 3);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 0), NS_TRACE_SOCK);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 1), NS_TRACE_RECV);
    CU_ASSERT_EQUAL(g_array_index(r.kinds, NsTraceKind, 2), NS_TRACE_TCP);
    rec_clear(&r);
}

CU_TestInfo ns_filter_tests[] = {
    {"sock_story", test_sock_story},
    {"sock_listener_story", test_sock_listener_story},
    {"kinds_parse", test_kinds_parse},
    {"kinds_parse_unknown", test_kinds_parse_unknown},
    {"kinds_parse_no_frames", test_kinds_parse_no_frames},
    {"only_kinds", test_only_kinds},
    {"host_story", test_host_story},
    {"diagram_keeps_arrows_to_the_host", test_diagram_keeps_arrows_to_the_host},
    CU_TEST_INFO_NULL,
};
