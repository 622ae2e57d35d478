/* Netfilter: filter rules (matching, first match, reject answers, state,
 * counters, removal), connection tracking (expiry) and NAT (masquerade,
 * port choice, the way back, port forwarding, ICMP errors translated
 * back, checksums after rewriting), on pc -- left -- gw -- right -- srv. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>

#include "../net/fixture.h"
#include "../runner.h"
#include "netsim/netfilter.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/udp.h"

static int noop(void)
{
    return 0;
}

static void end(void)
{
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

/* pc (10.0.1.10), pc2 (10.0.1.11) -- left -- gw -- right -- srv (10.0.2.20) */
static NsHost *pc, *pc2, *srv, *gw;

static void net(void)
{
    fx_setup(1);
    NsSegment *left = fx_network("left", NS_MS(1)), *right = fx_network("right", NS_MS(1));
    pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    pc2 = fx_host("pc2", false, NS_PROFILE_MINIMAL);
    srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    gw = fx_host("gw", true, NS_PROFILE_MINIMAL);
    fx_addr(pc, "10.0.1.10", 24, left);
    fx_addr(pc2, "10.0.1.11", 24, left);
    fx_addr(srv, "10.0.2.20", 24, right);
    fx_addr(gw, "10.0.1.254", 24, left);
    fx_addr(gw, "10.0.2.254", 24, right);
    fx_routes();
}

static NsNetfilter *nf_of(NsHost *h)
{
    return ns_netfilter_of(ns_ip_of(h));
}

static NsSocket *udp_bound(NsHost *h, uint16_t port)
{
    int err = -1;
    NsSocket *s = ns_socket_new(h, NS_SOCK_UDP, &err);
    CU_ASSERT_EQUAL(err, 0);
    CU_ASSERT_EQUAL(ns_socket_bind(s, 0, port), 0);
    return s;
}

static void send_udp(NsSocket *s, const char *dst, uint16_t port)
{
    CU_ASSERT_EQUAL(ns_socket_sendto(s, (const uint8_t *)"hi", 2, fx_ip(dst), port), 0);
}

/* What a socket received first: sender and port; false if nothing. */
static bool got_from(NsSocket *s, uint32_t *from, uint16_t *port)
{
    uint8_t buf[16];
    return ns_socket_recvfrom(s, buf, sizeof buf, from, port) > 0;
}

static NsNfRule rule(NsNfChain chain, NsNfAction action, uint8_t proto, uint16_t dport)
{
    return (NsNfRule){.id = 1, .chain = chain, .action = action, .proto = proto,
                      .to = {.set = dport != 0, .port = dport}, .file = "t.scn", .line = 1};
}

/* ---- filter ---- */

static void test_drop_rule_drops_and_names_itself(void)
{
    net();
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 0);
    NsNfRule r = rule(NS_NF_CHAIN_IN, NS_NF_DROP, NS_IPPROTO_UDP, 7);
    ns_nf_rule_add(nf_of(srv), &r);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    uint32_t from;
    uint16_t port;
    CU_ASSERT_FALSE(got_from(s, &from, &port));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_ICMP, FX_ANY), 0); /* a drop says nothing */
    end();
}

/* Linux's OUTPUT DROP fails sendto with EPERM; nothing leaves the host. */
static void test_out_drop_fails_sendto_with_eperm(void)
{
    net();
    NsSocket *c = udp_bound(pc, 0);
    NsNfRule r = rule(NS_NF_CHAIN_OUT, NS_NF_DROP, NS_IPPROTO_UDP, 7);
    ns_nf_rule_add(nf_of(pc), &r);
    CU_ASSERT_EQUAL(ns_socket_sendto(c, (const uint8_t *)"hi", 2, fx_ip("10.0.2.20"), 7), -EPERM);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, FX_ANY), 0);
    end();
}

/* REJECT in the output chain is a drop for the caller too (its target
 * answers NF_DROP after sending the ICMP error). */
static void test_out_reject_fails_sendto_with_eperm(void)
{
    net();
    NsSocket *c = udp_bound(pc, 0);
    NsNfRule r = rule(NS_NF_CHAIN_OUT, NS_NF_REJECT, NS_IPPROTO_UDP, 7);
    ns_nf_rule_add(nf_of(pc), &r);
    CU_ASSERT_EQUAL(ns_socket_sendto(c, (const uint8_t *)"hi", 2, fx_ip("10.0.2.20"), 7), -EPERM);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    end();
}

static void test_rule_for_another_port_does_not_match(void)
{
    net();
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 0);
    NsNfRule r = rule(NS_NF_CHAIN_IN, NS_NF_DROP, NS_IPPROTO_UDP, 8);
    ns_nf_rule_add(nf_of(srv), &r);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    uint32_t from;
    uint16_t port;
    CU_ASSERT_TRUE(got_from(s, &from, &port));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    end();
}

static void test_first_match_wins(void)
{
    net();
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 0);
    NsNfRule a = rule(NS_NF_CHAIN_IN, NS_NF_ACCEPT, NS_IPPROTO_UDP, 7);
    NsNfRule d = rule(NS_NF_CHAIN_IN, NS_NF_DROP, 0, 0);
    ns_nf_rule_add(nf_of(srv), &a);
    ns_nf_rule_add(nf_of(srv), &d);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    uint32_t from;
    uint16_t port;
    CU_ASSERT_TRUE(got_from(s, &from, &port));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    end();
}

static void test_reject_answers_port_unreachable(void)
{
    net();
    udp_bound(srv, 7);
    int err = -1;
    NsSocket *c = ns_socket_new(pc, NS_SOCK_UDP, &err);
    CU_ASSERT_EQUAL(ns_socket_connect(c, fx_ip("10.0.2.20"), 7), 0);
    NsNfRule r = rule(NS_NF_CHAIN_IN, NS_NF_REJECT, NS_IPPROTO_UDP, 7);
    ns_nf_rule_add(nf_of(srv), &r);
    CU_ASSERT_EQUAL(ns_socket_send(c, (const uint8_t *)"x", 1), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(ns_socket_recvfrom(c, NULL, 0, NULL, NULL), -ECONNREFUSED);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    end();
}

static void test_forward_rule_on_router(void)
{
    net();
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 0);
    NsNfRule r = rule(NS_NF_CHAIN_FORWARD, NS_NF_DROP, NS_IPPROTO_UDP, 0);
    ns_nf_rule_add(nf_of(gw), &r);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    uint32_t from;
    uint16_t port;
    CU_ASSERT_FALSE(got_from(s, &from, &port));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_FWD, FX_ANY), 0);
    const CapturedEvent *e = fx_find(NS_TRACE_DROP, NS_DROP_FILTER);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->host, "gw");
    end();
}

/* srv accepts replies to what it sent and drops everything else. */
static void test_state_established_lets_replies_in_only(void)
{
    net();
    NsSocket *s = udp_bound(srv, 5000), *p = udp_bound(pc, 7);
    NsNfRule est = rule(NS_NF_CHAIN_IN, NS_NF_ACCEPT, 0, 0);
    est.state = NS_NF_MATCH_ESTABLISHED;
    NsNfRule rest = rule(NS_NF_CHAIN_IN, NS_NF_DROP, 0, 0);
    ns_nf_rule_add(nf_of(srv), &est);
    ns_nf_rule_add(nf_of(srv), &rest);
    send_udp(p, "10.0.2.20", 5000); /* unsolicited: dropped */
    fx_run(NS_MS(100));
    uint32_t from;
    uint16_t port;
    CU_ASSERT_FALSE(got_from(s, &from, &port));
    send_udp(s, "10.0.1.10", 7); /* srv asks ... */
    fx_run(NS_MS(200));
    CU_ASSERT_TRUE(got_from(p, &from, &port));
    send_udp(p, "10.0.2.20", 5000); /* ... and the answer comes in */
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(got_from(s, &from, &port));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    end();
}

static void count_hits(const NsNfRuleRow *row, void *data)
{
    *(uint64_t *)data += row->pkts;
}

static void test_rules_count_hits_and_can_be_removed(void)
{
    net();
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 0);
    NsNfRule r = rule(NS_NF_CHAIN_IN, NS_NF_DROP, NS_IPPROTO_UDP, 7);
    ns_nf_rule_add(nf_of(srv), &r);
    send_udp(c, "10.0.2.20", 7);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_MS(100));
    uint64_t hits = 0;
    ns_nf_rules_foreach(nf_of(srv), count_hits, &hits);
    CU_ASSERT_EQUAL(hits, 2);
    CU_ASSERT_TRUE(ns_nf_rule_remove(nf_of(srv), 1));
    CU_ASSERT_FALSE(ns_nf_rule_remove(nf_of(srv), 1));
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    uint32_t from;
    uint16_t port;
    CU_ASSERT_TRUE(got_from(s, &from, &port));
    end();
}

/* ---- NAT ---- */

static void test_masquerade_rewrites_source_keeping_the_port(void)
{
    net();
    ns_nf_masquerade(nf_of(gw), fx_ip("10.0.2.254"));
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 40000);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    uint32_t from;
    uint16_t port;
    CU_ASSERT_TRUE_FATAL(got_from(s, &from, &port));
    CU_ASSERT_EQUAL(from, fx_ip("10.0.2.254"));
    CU_ASSERT_EQUAL(port, 40000);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NAT, NS_NAT_EV_NEW_MASQUERADE), 1);
    CU_ASSERT_EQUAL(ns_nf_mapping_count(nf_of(gw), ns_sim_now(fx.ctx.sim)), 1);
    end();
}

static void test_masquerade_takes_the_next_port_when_taken(void)
{
    net();
    ns_nf_masquerade(nf_of(gw), fx_ip("10.0.2.254"));
    NsSocket *s = udp_bound(srv, 7);
    NsSocket *a = udp_bound(pc, 40000), *b = udp_bound(pc2, 40000);
    send_udp(a, "10.0.2.20", 7);
    fx_run(NS_MS(50));
    send_udp(b, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    uint32_t from;
    uint16_t p1, p2;
    CU_ASSERT_TRUE(got_from(s, &from, &p1));
    CU_ASSERT_TRUE(got_from(s, &from, &p2));
    CU_ASSERT_EQUAL(p1, 40000);
    CU_ASSERT_EQUAL(p2, 40001);
    CU_ASSERT_EQUAL(ns_nf_mapping_count(nf_of(gw), ns_sim_now(fx.ctx.sim)), 2);
    end();
}

static void test_replies_are_translated_back(void)
{
    net();
    ns_nf_masquerade(nf_of(gw), fx_ip("10.0.2.254"));
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 40000);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_MS(100));
    uint32_t from;
    uint16_t port;
    CU_ASSERT_TRUE_FATAL(got_from(s, &from, &port));
    CU_ASSERT_EQUAL(ns_socket_sendto(s, (const uint8_t *)"re", 2, from, port), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(got_from(c, &from, &port));
    CU_ASSERT_EQUAL(from, fx_ip("10.0.2.20"));
    CU_ASSERT_EQUAL(port, 7);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NAT, FX_ANY), 2);
    end();
}

static void test_unanswered_udp_mapping_expires_after_30s(void)
{
    net();
    ns_nf_masquerade(nf_of(gw), fx_ip("10.0.2.254"));
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc, 40000);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_TIME_NEVER);
    ns_socket_close(s);
    NsTime sent = fx_find(NS_TRACE_NAT, FX_ANY)->time;
    CU_ASSERT_EQUAL(ns_nf_mapping_count(nf_of(gw), sent + NS_CT_UDP_TIMEOUT - 1), 1);
    CU_ASSERT_EQUAL(ns_nf_mapping_count(nf_of(gw), sent + NS_CT_UDP_TIMEOUT), 0);
    end();
}

static void test_port_forward_reaches_the_inside_server(void)
{
    net();
    ns_nf_forward(nf_of(gw), NS_IPPROTO_UDP, fx_ip("10.0.2.254"), 8080, fx_ip("10.0.1.10"), 7);
    NsSocket *inside = udp_bound(pc, 7), *outside = udp_bound(srv, 5000);
    send_udp(outside, "10.0.2.254", 8080);
    fx_run(NS_MS(100));
    uint32_t from;
    uint16_t port;
    CU_ASSERT_TRUE_FATAL(got_from(inside, &from, &port));
    CU_ASSERT_EQUAL(from, fx_ip("10.0.2.20"));
    CU_ASSERT_EQUAL(ns_socket_sendto(inside, (const uint8_t *)"re", 2, from, port), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(got_from(outside, &from, &port));
    CU_ASSERT_EQUAL(from, fx_ip("10.0.2.254")); /* the reply comes from the forwarded port */
    CU_ASSERT_EQUAL(port, 8080);
    end();
}

static void test_icmp_error_is_translated_back_to_the_inside_host(void)
{
    net();
    ns_nf_masquerade(nf_of(gw), fx_ip("10.0.2.254"));
    int err = -1;
    NsSocket *c = ns_socket_new(pc, NS_SOCK_UDP, &err);
    CU_ASSERT_EQUAL(ns_socket_connect(c, fx_ip("10.0.2.20"), 9999), 0);
    CU_ASSERT_EQUAL(ns_socket_send(c, (const uint8_t *)"x", 1), 0);
    fx_run(NS_TIME_NEVER);
    /* srv answered 10.0.2.254; the error reached pc quoting pc's own datagram. */
    CU_ASSERT_EQUAL(ns_socket_recvfrom(c, NULL, 0, NULL, NULL), -ECONNREFUSED);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NAT, NS_NAT_EV_ICMP_ERROR), 1);
    end();
}

static void test_echo_id_is_translated_both_ways(void)
{
    net();
    ns_nf_masquerade(nf_of(gw), fx_ip("10.0.2.254"));
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.2.20"), 77, 1, 8), 0);
    fx_run(NS_TIME_NEVER);
    const CapturedEvent *rcv = NULL;
    for (guint i = 0; i < fx.events->len; i++) {
        const CapturedEvent *e = &g_array_index(fx.events, CapturedEvent, i);
        if (e->kind == NS_TRACE_RECV && !strcmp(e->host, "pc") && e->proto == NS_IPPROTO_ICMP)
            rcv = e;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(rcv);
    CU_ASSERT_EQUAL(rcv->icmp_type, NS_ICMP_ECHO_REPLY);
    CU_ASSERT_EQUAL(rcv->src, fx_ip("10.0.2.20"));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NAT, FX_ANY), 2);
    end();
}

/* Every datagram gw forwards after translating it checks out. */
static uint32_t bad_sums, checked;

static void check_write(void *self, const NsTraceEvent *ev)
{
    (void)self;
    if (ev->kind != NS_TRACE_FWD || !ev->bytes)
        return;
    NsIpv4Repr h;
    checked++;
    if (ns_ipv4_parse(ev->bytes, ev->bytes_len, &h) != NS_WIRE_OK) {
        bad_sums++;
        return;
    }
    const uint8_t *l4 = ev->bytes + h.header_len;
    size_t n = h.total_len - h.header_len;
    NsUdpRepr u;
    NsIcmpRepr ic;
    /* The TTL byte changes after the FWD event: the transport sums do not. */
    if ((h.proto == NS_IPPROTO_UDP && ns_udp_parse(l4, n, h.src, h.dst, &u) != NS_WIRE_OK) ||
        (h.proto == NS_IPPROTO_ICMP && ns_icmp_parse(l4, n, &ic) != NS_WIRE_OK))
        bad_sums++;
}

static const NsTraceSinkOps check_ops = {"check", check_write, NULL, NULL};

static void test_translated_datagrams_have_good_checksums(void)
{
    net();
    bad_sums = checked = 0;
    ns_tracer_add_sink(fx.ctx.tracer, &check_ops, NULL, NS_TRACE_MASK(NS_TRACE_FWD));
    ns_nf_masquerade(nf_of(gw), fx_ip("10.0.2.254"));
    NsSocket *s = udp_bound(srv, 7), *c = udp_bound(pc2, 60000);
    NsSocket *other = udp_bound(pc, 60000);
    send_udp(c, "10.0.2.20", 7);
    fx_run(NS_MS(100));
    uint32_t from;
    uint16_t port;
    CU_ASSERT_TRUE(got_from(s, &from, &port));
    ns_socket_sendto(s, (const uint8_t *)"re", 2, from, port);
    ns_socket_sendto(s, (const uint8_t *)"no", 2, from, 9); /* no mapping: not translated */
    ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.2.20"), 5, 1, 8);
    int err = -1;
    NsSocket *e = ns_socket_new(pc, NS_SOCK_UDP, &err);
    ns_socket_connect(e, fx_ip("10.0.2.20"), 9999);
    ns_socket_send(e, (const uint8_t *)"x", 1); /* an ICMP error comes back */
    fx_run(NS_TIME_NEVER);
    CU_ASSERT(checked >= 6);
    CU_ASSERT_EQUAL(bad_sums, 0);
    ns_socket_close(c);
    ns_socket_close(other);
    end();
}

static CU_TestInfo filter_tests[] = {
    {"drop_rule_drops_and_names_itself", test_drop_rule_drops_and_names_itself},
    {"out_drop_fails_sendto_with_eperm", test_out_drop_fails_sendto_with_eperm},
    {"out_reject_fails_sendto_with_eperm", test_out_reject_fails_sendto_with_eperm},
    {"rule_for_another_port_does_not_match", test_rule_for_another_port_does_not_match},
    {"first_match_wins", test_first_match_wins},
    {"reject_answers_port_unreachable", test_reject_answers_port_unreachable},
    {"forward_rule_on_router", test_forward_rule_on_router},
    {"state_established_lets_replies_in_only", test_state_established_lets_replies_in_only},
    {"rules_count_hits_and_can_be_removed", test_rules_count_hits_and_can_be_removed},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo nat_tests[] = {
    {"masquerade_rewrites_source_keeping_the_port",
     test_masquerade_rewrites_source_keeping_the_port},
    {"masquerade_takes_the_next_port_when_taken", test_masquerade_takes_the_next_port_when_taken},
    {"replies_are_translated_back", test_replies_are_translated_back},
    {"unanswered_udp_mapping_expires_after_30s", test_unanswered_udp_mapping_expires_after_30s},
    {"port_forward_reaches_the_inside_server", test_port_forward_reaches_the_inside_server},
    {"icmp_error_is_translated_back_to_the_inside_host",
     test_icmp_error_is_translated_back_to_the_inside_host},
    {"echo_id_is_translated_both_ways", test_echo_id_is_translated_both_ways},
    {"translated_datagrams_have_good_checksums", test_translated_datagrams_have_good_checksums},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ns_test_suites[] = {
    {"filter", noop, NULL, NULL, NULL, filter_tests},
    {"nat", noop, NULL, NULL, NULL, nat_tests},
    CU_SUITE_INFO_NULL,
};
