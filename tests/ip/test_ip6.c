/* IPv6 in the host: Neighbor Discovery's cache states (RFC 4861 7.3.2),
 * in the style of the ARP tests, and forwarding with the hop limit and
 * the ICMPv6 errors of routers (RFC 4443), on small networks built by
 * the fixture. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>

#include "../net/fixture.h"
#include "../runner.h"
#include "netsim/ip6.h"
#include "netsim/netfilter.h"
#include "netsim/socket.h"
#include "netsim-private/pcb.h"
#include "../../sim/ip/ip-private.h"

static int noop(void)
{
    return 0;
}

static void end(void)
{
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

static NsIpv6Addr a6(const char *text)
{
    NsIpv6Addr a;
    CU_ASSERT_FATAL(ns_ipv6_parse_addr(text, &a));
    return a;
}

/* An interface with no IPv4 address and `addr`/64 on seg. */
static void fx_addr6(NsHost *h, const char *addr, NsSegment *seg)
{
    fx_addr(h, "0.0.0.0", 0, seg);
    NsIpv6Addr a = a6(addr);
    CU_ASSERT(ns_iface_add_addr6(ns_host_iface(h, ns_host_iface_count(h) - 1), &a, 64));
}

/* pc (2001:db8:1::10) -- left -- gw -- right -- srv (2001:db8:2::20) */
static NsHost *pc, *srv, *gw;

static void routed_net6(uint32_t right_mtu)
{
    fx_setup(1);
    NsSegment *left = fx_network("left", NS_MS(1));
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    if (right_mtu)
        o.mtu = right_mtu;
    NsSegment *right = fx_segment("right", true, &o);
    pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    gw = fx_host("gw", true, NS_PROFILE_MINIMAL);
    fx_addr6(pc, "2001:db8:1::10", left);
    fx_addr6(srv, "2001:db8:2::20", right);
    fx_addr6(gw, "2001:db8:1::1", left);
    fx_addr6(gw, "2001:db8:2::1", right);
    fx_routes();
}

/* ---- echo capture ---- */
static struct {
    uint32_t replies, errors;
    int last_err;
    uint8_t hops;
    NsIpv6Addr from;
} echo;

static void on_echo(void *data, const NsIpv6Addr *from, uint16_t id, uint16_t seq, uint8_t hops,
                    size_t len, int err)
{
    (void)data;
    (void)id;
    (void)seq;
    (void)len;
    echo.from = *from;
    if (err) {
        echo.errors++;
        echo.last_err = err;
    } else {
        echo.replies++;
        echo.hops = hops;
    }
}

static void ping6(NsHost *h, const char *dst, size_t len)
{
    memset(&echo, 0, sizeof echo);
    ns_ip6_set_echo_handler(ns_ip6_of(h), on_echo, NULL);
    NsIpv6Addr d = a6(dst);
    CU_ASSERT_EQUAL(ns_ip6_send_echo(ns_ip6_of(h), &d, 1, 1, len, 0), 0);
}

static NsNeighState state_of(NsHost *h, const char *addr)
{
    NsIpv6Addr a = a6(addr);
    NsNeighState st = NS_NEIGH_INCOMPLETE;
    CU_ASSERT_FATAL(ns_ip6_neigh_state(ns_ip6_of(h), ns_host_iface(h, 0), &a, &st));
    return st;
}

/* NDP events of one host with the reason `why` (FX_ANY: all). */
static uint32_t ndp_at(const char *host, int why)
{
    uint32_t n = 0;
    for (guint i = 0; i < fx.events->len; i++) {
        const CapturedEvent *e = &g_array_index(fx.events, CapturedEvent, i);
        if (e->kind == NS_TRACE_NDP && strcmp(e->host, host) == 0 && (why == FX_ANY || e->why == why))
            n++;
    }
    return n;
}

static bool has_entry(NsHost *h, const char *addr)
{
    NsIpv6Addr a = a6(addr);
    NsNeighState st;
    return ns_ip6_neigh_state(ns_ip6_of(h), ns_host_iface(h, 0), &a, &st);
}

/* ---- Neighbor Discovery ---- */

static void nothing(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)obj;
    (void)arg;
}

/* The clock stops at the last event: an idle event at `t` lets fx_run()
 * take it there. */
static void idle_until(NsTime t)
{
    ns_sim_schedule(fx.ctx.sim, t - ns_sim_now(fx.ctx.sim), nothing, NULL, NULL);
}

/* ---- the IPv6 layer, made when first needed ---- */

/* Two IPv4 hosts on one network: pinging over IPv4 makes neither an IPv6
 * layer (96 bytes a host); asking for one makes it. */
static void test_ipv4_host_has_no_ipv6_layer_until_asked(void)
{
    fx_setup(1);
    NsSegment *lan = fx_network("lan", NS_MS(1));
    pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    fx_addr(pc, "10.0.1.10", 24, lan);
    fx_addr(srv, "10.0.1.20", 24, lan);
    fx_routes();
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.1.20"), 1, 1, 56), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_FALSE(ns_ip_has_ip6(ns_ip_of(pc)));
    CU_ASSERT_FALSE(ns_ip_has_ip6(ns_ip_of(srv)));
    CU_ASSERT_PTR_NOT_NULL(ns_ip6_of(pc));
    CU_ASSERT_TRUE(ns_ip_has_ip6(ns_ip_of(pc)));
    end();
}

/* The echo handler given to the IP layer before the IPv6 layer is made is
 * the one the reply reaches. */
static void test_echo6_handler_set_before_the_layer_hears_the_reply(void)
{
    routed_net6(0);
    memset(&echo, 0, sizeof echo);
    ns_ip_set_echo6_handler(ns_ip_of(pc), on_echo, NULL);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_ip6_send_echo(ns_ip6_of(pc), &d, 1, 1, 56, 0), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(echo.hops, 63);
    end();
}

/* An IPv6 frame reaching a host without an IPv6 layer makes it, which
 * takes the frame: an IPv4-only host beside pc and gw hears pc's
 * solicitation to the solicited-node group (flooded on the network). */
static void test_first_ipv6_frame_makes_the_layer_and_is_taken(void)
{
    routed_net6(0);
    NsHost *v4 = fx_host("v4", false, NS_PROFILE_MINIMAL);
    fx_addr(v4, "10.0.1.30", 24, ns_iface_segment(ns_host_iface(pc, 0)));
    bool before = ns_ip_has_ip6(ns_ip_of(v4));
    ping6(pc, "2001:db8:1::1", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_FALSE(before);
    CU_ASSERT_TRUE(ns_ip_has_ip6(ns_ip_of(v4)));
    CU_ASSERT_EQUAL(echo.replies, 1);
    end();
}

static void test_link_local_address_is_modified_eui64_of_the_mac(void)
{
    routed_net6(0);
    char t[NS_IPV6_STRLEN];
    /* pc is host #1, interface #1: MAC 02:00:00:00:01:01 */
    ns_ipv6_format(ns_iface_link_local(ns_host_iface(pc, 0)), t);
    CU_ASSERT_STRING_EQUAL(t, "fe80::ff:fe00:101");
    end();
}

/* The first datagram waits for one solicitation to the solicited-node
 * group and its advertisement; the asker's entry is REACHABLE. The
 * answerer learnt the asker from the solicitation's option as STALE
 * (nothing confirmed that path, RFC 4861 7.2.3), so its echo reply puts
 * the entry in DELAY: the one state change traced. */
static void test_first_datagram_waits_for_nd_then_is_released(void)
{
    routed_net6(0);
    ping6(pc, "2001:db8:1::1", 56);
    fx_run(NS_MS(3));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NDP, NS_NDP_EV_SOLICIT), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NDP, NS_NDP_EV_ADVERT), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NDP, NS_NDP_EV_RESOLVED), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NDP, FX_NDP_STATE(NS_NEIGH_DELAY)), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NDP, FX_ANY), 4);
    CU_ASSERT_EQUAL(state_of(pc, "2001:db8:1::1"), NS_NEIGH_REACHABLE);
    CU_ASSERT_EQUAL(state_of(gw, "2001:db8:1::10"), NS_NEIGH_DELAY);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(echo.hops, 64);
    end();
}

static void test_cached_neighbour_needs_no_solicitation(void)
{
    routed_net6(0);
    ping6(pc, "2001:db8:1::1", 56);
    fx_run(NS_TIME_NEVER);
    uint32_t before = fx_count(NS_TRACE_NDP, FX_ANY);
    ping6(pc, "2001:db8:1::1", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NDP, FX_ANY), before);
    end();
}

/* REACHABLE lasts ReachableTime (30 s); then STALE until a datagram uses
 * the entry: DELAY, and 5 s later, unconfirmed, PROBE with a unicast
 * solicitation, whose answer makes it REACHABLE again. */
static void test_stale_entry_goes_through_delay_and_probe(void)
{
    routed_net6(0);
    ping6(pc, "2001:db8:1::1", 56);
    idle_until(NS_S(60));
    fx_run(NS_S(29));
    CU_ASSERT_EQUAL(state_of(pc, "2001:db8:1::1"), NS_NEIGH_REACHABLE);
    fx_run(NS_S(31));
    CU_ASSERT_EQUAL(state_of(pc, "2001:db8:1::1"), NS_NEIGH_STALE);
    ping6(pc, "2001:db8:1::1", 56);
    CU_ASSERT_EQUAL(state_of(pc, "2001:db8:1::1"), NS_NEIGH_DELAY);
    CU_ASSERT_EQUAL(ndp_at("pc", FX_NDP_STATE(NS_NEIGH_DELAY)), 1);
    fx_run(NS_S(36) + NS_MS(1) / 2);
    CU_ASSERT_EQUAL(echo.replies, 1); /* the stale entry was used at once */
    CU_ASSERT_EQUAL(state_of(pc, "2001:db8:1::1"), NS_NEIGH_PROBE);
    CU_ASSERT_EQUAL(ndp_at("pc", NS_NDP_EV_SOLICIT), 2);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(state_of(pc, "2001:db8:1::1"), NS_NEIGH_REACHABLE);
    CU_ASSERT_EQUAL(ndp_at("pc", FX_NDP_STATE(NS_NEIGH_PROBE)), 1);
    CU_ASSERT_EQUAL(ndp_at("pc", FX_NDP_STATE(NS_NEIGH_REACHABLE)), 1);
    end();
}

/* Three solicitations 1 s apart, then the entry goes and the sender
 * learns the address is unreachable. */
static void test_unanswered_solicitations_give_host_unreachable(void)
{
    routed_net6(0);
    ping6(pc, "2001:db8:1::77", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 0);
    CU_ASSERT_EQUAL(echo.errors, 1);
    CU_ASSERT_EQUAL(echo.last_err, EHOSTUNREACH);
    CU_ASSERT_EQUAL(ndp_at("pc", NS_NDP_EV_SOLICIT), 3);
    CU_ASSERT_EQUAL(ndp_at("pc", NS_NDP_EV_FAILED), 1);
    CU_ASSERT_EQUAL(ns_sim_now(fx.ctx.sim), NS_S(3));
    CU_ASSERT_FALSE(has_entry(pc, "2001:db8:1::77"));
    end();
}

/* A probed neighbour that never answers is removed after three unicast
 * solicitations. */
static void test_probe_without_answer_removes_the_entry(void)
{
    routed_net6(0);
    ping6(pc, "2001:db8:1::1", 56);
    idle_until(NS_S(31));
    fx_run(NS_S(31));
    ns_host_set_up(gw, false);
    ping6(pc, "2001:db8:1::1", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(ndp_at("pc", FX_NDP_STATE(NS_NEIGH_PROBE)), 1);
    CU_ASSERT_EQUAL(ndp_at("pc", NS_NDP_EV_SOLICIT), 1 + 3);
    CU_ASSERT_EQUAL(ndp_at("pc", NS_NDP_EV_FAILED), 1);
    CU_ASSERT_FALSE(has_entry(pc, "2001:db8:1::1"));
    /* DELAY 5 s, then three probes 1 s apart */
    CU_ASSERT_EQUAL(fx_find(NS_TRACE_NDP, NS_NDP_EV_FAILED)->time, NS_S(31) + NS_S(5) + NS_S(3));
    end();
}

/* ---- forwarding and ICMPv6 ---- */

static void test_router_forwards_with_hop_limit_via_link_local(void)
{
    routed_net6(0);
    g_autofree char *table = ns_ip6_routes_format(ns_ip6_of(pc));
    CU_ASSERT_STRING_EQUAL(table,
                           "default via fe80::ff:fe00:301 dev eth0 proto auto metric 1\n"
                           "2001:db8:1::/64 dev eth0 proto kernel\n"
                           "fe80::/64 dev eth0 proto kernel\n");
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(echo.hops, 63);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_FWD, FX_ANY), 2);
    end();
}

/* A static route replaces the automatic one for the same prefix
 * (`ip -6 route replace`) and is what forwarding uses. */
static void test_static_route_replaces_the_automatic_one(void)
{
    routed_net6(0);
    NsIpv6Addr any = a6("::"), gw_global = a6("2001:db8:1::1");
    ns_ip6_set_static_route(ns_ip6_of(pc), &any, 0, ns_host_iface(pc, 0), &gw_global);
    g_autofree char *table = ns_ip6_routes_format(ns_ip6_of(pc));
    CU_ASSERT_STRING_EQUAL(table, "default via 2001:db8:1::1 dev eth0 proto static\n"
                                  "2001:db8:1::/64 dev eth0 proto kernel\n"
                                  "fe80::/64 dev eth0 proto kernel\n");
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_TRUE(has_entry(pc, "2001:db8:1::1"));
    CU_ASSERT_FALSE(has_entry(pc, "fe80::ff:fe00:301"));
    end();
}

/* Removing a route (`ip -6 route del`) takes exactly that prefix; the
 * host then has no route and the ping fails at once with ENETUNREACH. */
static void test_removed_default_route_leaves_no_route(void)
{
    routed_net6(0);
    NsIpv6Addr any = a6("::"), lan = a6("2001:db8:1::");
    CU_ASSERT_FALSE(ns_ip6_remove_route(ns_ip6_of(pc), &lan, 48));
    CU_ASSERT_TRUE(ns_ip6_remove_route(ns_ip6_of(pc), &any, 0));
    CU_ASSERT_FALSE(ns_ip6_remove_route(ns_ip6_of(pc), &any, 0));
    CU_ASSERT_EQUAL(ns_ip6_route_count(ns_ip6_of(pc)), 2);
    memset(&echo, 0, sizeof echo);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_ip6_send_echo(ns_ip6_of(pc), &d, 1, 1, 8, 0), ENETUNREACH);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, FX_ANY), 0);
    end();
}

/* pc (2001:db8:1::10 only) -- lan (10.0.1.0/24 and 2001:db8:1::/64) -- gw
 * (10.0.1.1, 2001:db8:1::1): an IPv6-only host on a dual-stack network. */
static void v6only_on_dual_stack(void)
{
    fx_setup(1);
    NsSegment *lan = fx_network("lan", NS_MS(1));
    NsSegment *dc = fx_network("dc", NS_MS(1));
    pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    gw = fx_host("gw", true, NS_PROFILE_MINIMAL);
    srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    fx_addr6(pc, "2001:db8:1::10", lan);
    fx_addr(gw, "10.0.1.1", 24, lan);
    NsIpv6Addr g = a6("2001:db8:1::1");
    CU_ASSERT(ns_iface_add_addr6(ns_host_iface(gw, 0), &g, 64));
    fx_addr(gw, "10.0.2.1", 24, dc);
    fx_addr(srv, "10.0.2.20", 24, dc);
    fx_routes();
}

static void count_route(const NsRouteRow *row, void *data)
{
    (void)row;
    (*(uint32_t *)data)++;
}

/* Routing skips an interface without an IPv4 address: the IPv6-only host
 * gets neither a connected IPv4 route for the network nor a default route
 * via the router there (Linux has no IPv4 route without an address); its
 * IPv6 routes are those of any host. */
static void test_ipv6_only_host_has_no_ipv4_route(void)
{
    v6only_on_dual_stack();
    uint32_t n = 0;
    ns_ip_routes_foreach(ns_ip_of(pc), count_route, &n);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(ns_ip6_route_count(ns_ip6_of(pc)), 3); /* default, /64, fe80::/64 */
    end();
}

/* IPv4 output from it fails at once with ENETUNREACH, as Linux's "Network
 * is unreachable": a "no route" drop, no ARP request, nothing on the wire. */
static void test_ipv6_only_host_ipv4_output_is_network_unreachable(void)
{
    v6only_on_dual_stack();
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.1.1"), 1, 1, 8), ENETUNREACH);
    CU_ASSERT_EQUAL(ns_ip_send_echo(ns_ip_of(pc), fx_ip("10.0.2.20"), 1, 2, 8), ENETUNREACH);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_NO_ROUTE), 2);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 2);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_ARP, FX_ANY), 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, FX_ANY), 0);
    end();
}

static void test_hop_limit_one_at_router_gives_time_exceeded(void)
{
    routed_net6(0);
    memset(&echo, 0, sizeof echo);
    ns_ip6_set_echo_handler(ns_ip6_of(pc), on_echo, NULL);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_ip6_send_echo(ns_ip6_of(pc), &d, 1, 1, 8, 1), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.errors, 1);
    CU_ASSERT_EQUAL(echo.last_err, EHOSTUNREACH);
    NsIpv6Addr g = a6("2001:db8:1::1");
    CU_ASSERT(ns_ipv6_addr_equal(&echo.from, &g));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_TTL_EXCEEDED), 1);
    end();
}

/* Routers do not fragment IPv6: a datagram over the next link's MTU is
 * answered with packet too big (RFC 8200 5, RFC 4443 3.2). */
static void test_too_big_for_next_link_gives_packet_too_big(void)
{
    routed_net6(1280);
    ping6(pc, "2001:db8:2::20", 1400);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 0);
    CU_ASSERT_EQUAL(echo.errors, 1);
    CU_ASSERT_EQUAL(echo.last_err, EMSGSIZE);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_TOO_BIG), 1);
    end();
}

static void test_router_without_route_answers_no_route(void)
{
    routed_net6(0);
    ping6(pc, "2001:db8:99::1", 8);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.errors, 1);
    CU_ASSERT_EQUAL(echo.last_err, ENETUNREACH);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_NO_ROUTE), 1);
    end();
}

/* A point-to-point link with /128 link addresses between two routers:
 * each end reaches the other directly, the routers route the link
 * addresses and the networks behind them. pc -- gw == isp -- srv. */
static void test_link_addresses_are_reached_directly_and_routed(void)
{
    fx_setup(1);
    NsSegment *left = fx_network("left", NS_MS(1)), *right = fx_network("right", NS_MS(1));
    NsLinkOpts lo;
    ns_link_opts_init(&lo);
    lo.delay = NS_MS(1);
    NsSegment *wan = fx_segment("gw-isp", false, &lo);
    pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    gw = fx_host("gw", true, NS_PROFILE_MINIMAL);
    NsHost *isp = fx_host("isp", true, NS_PROFILE_MINIMAL);
    srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    fx_addr6(pc, "2001:db8:1::10", left);
    fx_addr6(gw, "2001:db8:1::1", left);
    fx_addr6(isp, "2001:db8:2::1", right);
    fx_addr6(srv, "2001:db8:2::20", right);
    fx_addr(gw, "0.0.0.0", 0, wan);
    fx_addr(isp, "0.0.0.0", 0, wan);
    NsIpv6Addr g = a6("2001:db8:ff::1"), i = a6("2001:db8:ff::2");
    ns_iface_add_addr6(ns_host_iface(gw, 1), &g, 128);
    ns_iface_add_addr6(ns_host_iface(isp, 1), &i, 128);
    fx_routes();
    g_autofree char *table = ns_ip6_routes_format(ns_ip6_of(gw));
    CU_ASSERT_STRING_EQUAL(table,
                           "2001:db8:1::/64 dev eth0 proto kernel\n"
                           "2001:db8:2::/64 via fe80::ff:fe00:302 dev eth1 proto auto metric 2\n"
                           "2001:db8:ff::1/128 dev eth1 proto kernel\n"
                           "2001:db8:ff::2/128 dev eth1 proto kernel\n"
                           "fe80::/64 dev eth0 proto kernel\n"
                           "fe80::/64 dev eth1 proto kernel\n");
    ping6(pc, "2001:db8:ff::2", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(echo.hops, 62);
    end();
}

/* ---- TCP and UDP over IPv6 ---- */

/* pc and srv on one network, each with an IPv4 and an IPv6 address. */
static void dual_net(void)
{
    fx_setup(1);
    NsSegment *lan = fx_network("lan", NS_MS(1));
    pc = fx_host("pc", false, NS_PROFILE_LINUX);
    srv = fx_host("srv", false, NS_PROFILE_LINUX);
    fx_addr(pc, "10.0.0.1", 24, lan);
    fx_addr(srv, "10.0.0.2", 24, lan);
    NsIpv6Addr a = a6("2001:db8:1::1"), b = a6("2001:db8:1::2");
    CU_ASSERT(ns_iface_add_addr6(ns_host_iface(pc, 0), &a, 64));
    CU_ASSERT(ns_iface_add_addr6(ns_host_iface(srv, 0), &b, 64));
    fx_routes();
}

static NsSocket *sock_of(NsHost *h, NsSockType type)
{
    int err;
    NsSocket *s = ns_socket_new(h, type, &err);
    CU_ASSERT_FATAL(s != NULL);
    return s;
}

/* RFC 3493 3.7 with Linux's bindv6only=0: :: takes IPv4 too, so it
 * clashes with 0.0.0.0 on the same port; a specific IPv6 address does not. */
static void test_bind_any6_clashes_with_any4_not_with_an_ipv6_address(void)
{
    dual_net();
    NsPcbTable *t = ns_pcb_table_new(srv, 6);
    NsPcb any4 = {0}, any6 = {0}, one6 = {0};
    NsIpv6Addr u = a6("::"), b = a6("2001:db8:1::2");
    CU_ASSERT_EQUAL(ns_pcb_bind(t, &any4, 0, 80, NS_PCB_EPHEMERAL_BIND), 0);
    CU_ASSERT_EQUAL(ns_pcb_bind6(t, &any6, &u, 80, NS_PCB_EPHEMERAL_BIND), EADDRINUSE);
    CU_ASSERT_EQUAL(ns_pcb_bind6(t, &one6, &b, 80, NS_PCB_EPHEMERAL_BIND), 0);
    CU_ASSERT(one6.v6 && one6.af6);
    ns_pcb_remove(t, &any4);
    ns_pcb_remove(t, &one6);
    ns_pcb_table_free(t);
    end();
}

/* An IPv4 datagram goes to an IPv4 listener before a dual-stack one; an
 * IPv6 datagram never to an IPv4 listener. */
static void test_lookup_takes_ipv4_first_then_dual_stack(void)
{
    dual_net();
    NsPcbTable *t = ns_pcb_table_new(srv, 6);
    NsPcb any6 = {0}, one4 = {0};
    NsIpv6Addr u = a6("::"), b = a6("2001:db8:1::2"), a = a6("2001:db8:1::1");
    CU_ASSERT_EQUAL(ns_pcb_bind6(t, &any6, &u, 80, NS_PCB_EPHEMERAL_BIND), 0);
    uint32_t srv4 = fx_ip("10.0.0.2"), pc4 = fx_ip("10.0.0.1");
    CU_ASSERT_PTR_EQUAL(ns_pcb_lookup(t, srv4, 80, pc4, 1000), &any6);
    CU_ASSERT_PTR_EQUAL(ns_pcb_lookup6(t, &b, 80, &a, 1000), &any6);
    CU_ASSERT_EQUAL(ns_pcb_bind(t, &one4, srv4, 81, NS_PCB_EPHEMERAL_BIND), 0);
    NsIpv6Addr m = a6("::ffff:10.0.0.2");
    CU_ASSERT_PTR_NULL(ns_pcb_lookup6(t, &m, 81, &a, 1000));
    CU_ASSERT_PTR_EQUAL(ns_pcb_lookup(t, srv4, 81, pc4, 1000), &one4);
    ns_pcb_remove(t, &any6);
    ns_pcb_remove(t, &one4);
    ns_pcb_table_free(t);
    end();
}

static NsSocket *listener6(NsHost *h, const char *addr, uint16_t port)
{
    NsSocket *l = sock_of(h, NS_SOCK_TCP);
    NsIpv6Addr a = a6(addr);
    CU_ASSERT_EQUAL(ns_socket_bind6(l, &a, port), 0);
    CU_ASSERT_EQUAL(ns_socket_listen(l, 4), 0);
    return l;
}

/* The linux profile offers an MSS of 1440 over IPv6 on a 1500-byte MTU
 * (1500 - 40 - 20), and the handshake completes with the IPv6 pseudo
 * header's checksums. */
static void test_tcp_connects_over_ipv6_with_mss_1440(void)
{
    dual_net();
    NsSocket *l = listener6(srv, "::", 80);
    NsSocket *c = sock_of(pc, NS_SOCK_TCP);
    NsIpv6Addr d = a6("2001:db8:1::2");
    CU_ASSERT_EQUAL(ns_socket_connect6(c, &d, 80), 0);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(ns_socket_state(c), NS_TCP_STATE_ESTABLISHED);
    NsTcpInfo info;
    CU_ASSERT_EQUAL(ns_socket_tcp_info(c, &info), 0);
    CU_ASSERT_EQUAL(info.adv_mss, 1440);
    int err;
    NsSocket *a = ns_socket_accept(l, &err);
    CU_ASSERT_FATAL(a != NULL);
    NsIpv6Addr peer, want = a6("2001:db8:1::1");
    uint16_t port;
    ns_socket_peer6(a, &peer, &port);
    CU_ASSERT(ns_ipv6_addr_equal(&peer, &want));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    end();
}

/* No listener: the host's TCP answers the SYN with a reset over IPv6
 * (RFC 9293 3.10.7.1), and connect fails with ECONNREFUSED. */
static void test_tcp_connect6_to_closed_port_is_refused(void)
{
    dual_net();
    NsSocket *c = sock_of(pc, NS_SOCK_TCP);
    NsIpv6Addr d = a6("2001:db8:1::2");
    CU_ASSERT_EQUAL(ns_socket_connect6(c, &d, 81), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(ns_socket_take_error(c), ECONNREFUSED);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_NO_SOCKET), 1);
    end();
}

/* A listener on [::]:80 accepts an IPv4 client, seen as ::ffff:10.0.0.1. */
static void test_dual_stack_listener_sees_ipv4_client_mapped(void)
{
    dual_net();
    NsSocket *l = listener6(srv, "::", 80);
    NsSocket *c = sock_of(pc, NS_SOCK_TCP);
    CU_ASSERT_EQUAL(ns_socket_connect(c, fx_ip("10.0.0.2"), 80), 0);
    fx_run(NS_S(1));
    int err;
    NsSocket *a = ns_socket_accept(l, &err);
    CU_ASSERT_FATAL(a != NULL);
    CU_ASSERT(ns_socket_is_v6(a));
    NsIpv6Addr peer, want = a6("::ffff:10.0.0.1");
    uint16_t port;
    ns_socket_peer6(a, &peer, &port);
    CU_ASSERT(ns_ipv6_addr_equal(&peer, &want));
    NsTcpInfo info;
    CU_ASSERT_EQUAL(ns_socket_tcp_info(a, &info), 0);
    CU_ASSERT_EQUAL(info.adv_mss, 1460); /* IPv4 on the wire */
    end();
}

/* An IPv4 socket asked for its ends as IPv6 addresses gets them mapped,
 * as the header promises; an end it does not have yet is ::. */
static void test_ipv4_socket_ends_read_as_mapped(void)
{
    dual_net();
    listener6(srv, "::", 80);
    NsSocket *c = sock_of(pc, NS_SOCK_TCP);
    NsIpv6Addr a, any = a6("::");
    uint16_t port;
    ns_socket_peer6(c, &a, &port);
    CU_ASSERT(ns_ipv6_addr_equal(&a, &any));
    CU_ASSERT_EQUAL(port, 0);
    CU_ASSERT_EQUAL(ns_socket_connect(c, fx_ip("10.0.0.2"), 80), 0);
    fx_run(NS_S(1));
    CU_ASSERT_FALSE(ns_socket_is_v6(c));
    NsIpv6Addr want_local = a6("::ffff:10.0.0.1"), want_peer = a6("::ffff:10.0.0.2");
    ns_socket_local6(c, &a, &port);
    CU_ASSERT(ns_ipv6_addr_equal(&a, &want_local));
    CU_ASSERT(port >= 32768);
    ns_socket_peer6(c, &a, &port);
    CU_ASSERT(ns_ipv6_addr_equal(&a, &want_peer));
    CU_ASSERT_EQUAL(port, 80);
    end();
}

/* UDP to a closed port over IPv6: ICMPv6 port unreachable, which a
 * connected socket reads as ECONNREFUSED. */
static void test_udp_to_closed_port_over_ipv6_is_refused(void)
{
    dual_net();
    NsSocket *u = sock_of(pc, NS_SOCK_UDP);
    NsIpv6Addr d = a6("2001:db8:1::2");
    CU_ASSERT_EQUAL(ns_socket_connect6(u, &d, 9), 0);
    CU_ASSERT_EQUAL(ns_socket_send(u, (const uint8_t *)"x", 1), 0);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_NO_SOCKET), 1);
    CU_ASSERT_EQUAL(ns_socket_take_error(u), ECONNREFUSED);
    end();
}

/* UDP over IPv6 to a bound socket: the datagram and its IPv6 sender. */
static void test_udp_datagram_over_ipv6_carries_its_sender(void)
{
    dual_net();
    NsSocket *r = sock_of(srv, NS_SOCK_UDP);
    NsIpv6Addr u = a6("::"), d = a6("2001:db8:1::2");
    CU_ASSERT_EQUAL(ns_socket_bind6(r, &u, 53), 0);
    NsSocket *s = sock_of(pc, NS_SOCK_UDP);
    CU_ASSERT_EQUAL(ns_socket_sendto6(s, (const uint8_t *)"hi", 2, &d, 53), 0);
    fx_run(NS_S(1));
    uint8_t buf[8];
    NsIpv6Addr from, want = a6("2001:db8:1::1");
    uint16_t port;
    CU_ASSERT_EQUAL(ns_socket_recvfrom6(r, buf, sizeof buf, &from, &port), 2);
    CU_ASSERT(ns_ipv6_addr_equal(&from, &want));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    end();
}

/* A packet too big from the router lowers the connection's MSS to what
 * the 1280-byte link carries (1280 - 60) and the data goes again at once,
 * in the new size (RFC 8201 section 4); nothing is fragmented. */
static void test_packet_too_big_lowers_tcp_mss_and_resends(void)
{
    /* pc -- left -- gw -- mid (mtu 1280) -- gw2 -- right -- srv */
    fx_setup(1);
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    NsSegment *left = fx_segment("left", true, &o), *right = fx_segment("right", true, &o);
    o.mtu = 1280;
    NsSegment *mid = fx_segment("mid", true, &o);
    pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    gw = fx_host("gw", true, NS_PROFILE_MINIMAL);
    NsHost *gw2 = fx_host("gw2", true, NS_PROFILE_MINIMAL);
    fx_addr6(pc, "2001:db8:1::10", left);
    fx_addr6(gw, "2001:db8:1::1", left);
    fx_addr6(gw, "2001:db8:3::1", mid);
    fx_addr6(gw2, "2001:db8:3::2", mid);
    fx_addr6(gw2, "2001:db8:2::1", right);
    fx_addr6(srv, "2001:db8:2::20", right);
    fx_routes();
    NsSocket *l = listener6(srv, "::", 80);
    NsSocket *c = sock_of(pc, NS_SOCK_TCP);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_socket_connect6(c, &d, 80), 0);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL(ns_socket_state(c), NS_TCP_STATE_ESTABLISHED);
    static uint8_t data[3000];
    CU_ASSERT_EQUAL(ns_socket_send(c, data, sizeof data), 0);
    fx_run(NS_S(2));
    NsTcpInfo info;
    CU_ASSERT_EQUAL(ns_socket_tcp_info(c, &info), 0);
    CU_ASSERT_EQUAL(info.mss, 1220);
    int err;
    NsSocket *a = ns_socket_accept(l, &err);
    CU_ASSERT_FATAL(a != NULL);
    static uint8_t got[4000];
    CU_ASSERT_EQUAL(ns_socket_recvfrom(a, got, sizeof got, NULL, NULL), 3000);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT(fx_count(NS_TRACE_SEND, NS_SEND_PMTU) >= 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, NS_SEND_RTO), 0);
    CU_ASSERT(fx_count(NS_TRACE_DROP, NS_DROP_TOO_BIG) >= 1);
    end();
}

/* ---- filter rules on IPv6 ---- */

/* A rule on host h's chain: `to` an IPv6 prefix when given (family 6),
 * else any address (family as given). */
static void add_rule6(NsHost *h, NsNfChain chain, NsNfAction action, uint8_t proto,
                      const char *to, uint8_t prefix, uint8_t family, NsNfStateMatch state)
{
    NsNfRule r = {.id = 1, .chain = chain, .action = action, .proto = proto, .family = family,
                  .state = state, .file = "t.scn", .line = 1};
    if (to) {
        NsIpv6Addr a = a6(to);
        r.to = (NsNfAddrMatch){.set = true, .prefix = prefix, .v6 = true};
        memcpy(r.to.net6, a.b, 16);
    }
    ns_nf_rule_add(ns_netfilter_of(ns_ip_of(h)), &r);
}

static void test_forward_reject_admin_answers_administratively_prohibited(void)
{
    routed_net6(0);
    add_rule6(gw, NS_NF_CHAIN_FORWARD, NS_NF_REJECT_ADMIN, NS_IPPROTO_ICMP, "2001:db8:2::",
              64, 6, NS_NF_MATCH_ANY_STATE);
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 0);
    CU_ASSERT_EQUAL(echo.errors, 1);
    CU_ASSERT_EQUAL(echo.last_err, EACCES);
    NsIpv6Addr g = a6("2001:db8:1::1");
    CU_ASSERT(ns_ipv6_addr_equal(&echo.from, &g));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_FWD, FX_ANY), 0);
    end();
}

/* `in drop icmp` takes the echo request but not Neighbor Discovery, which
 * still resolves srv for gw. */
static void test_in_drop_takes_echo_but_not_neighbor_discovery(void)
{
    routed_net6(0);
    add_rule6(srv, NS_NF_CHAIN_IN, NS_NF_DROP, NS_IPPROTO_ICMP, NULL, 0, 0,
              NS_NF_MATCH_ANY_STATE);
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies + echo.errors, 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_NDP, NS_NDP_EV_RESOLVED), 2); /* pc's gw, gw's srv */
    end();
}

/* An IPv4 rule leaves IPv6 alone. */
static void test_ipv4_rule_does_not_match_ipv6(void)
{
    routed_net6(0);
    add_rule6(srv, NS_NF_CHAIN_IN, NS_NF_DROP, 0, NULL, 0, 4, NS_NF_MATCH_ANY_STATE);
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    end();
}

/* A state rule naming no address is for both families (an nftables inet
 * table's 'ct state new drop'): the IPv6 echo request opens a new flow and
 * is dropped. */
static void test_state_rule_without_address_matches_ipv6(void)
{
    routed_net6(0);
    add_rule6(srv, NS_NF_CHAIN_IN, NS_NF_DROP, 0, NULL, 0, 0, NS_NF_MATCH_NEW);
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies + echo.errors, 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 1);
    end();
}

/* gw as a stateful firewall for pc's network: 'forward accept state
 * established', then 'forward drop to 2001:db8:1::/64'. */
static void stateful_gw(void)
{
    routed_net6(0);
    add_rule6(gw, NS_NF_CHAIN_FORWARD, NS_NF_ACCEPT, 0, NULL, 0, 0, NS_NF_MATCH_ESTABLISHED);
    add_rule6(gw, NS_NF_CHAIN_FORWARD, NS_NF_DROP, 0, "2001:db8:1::", 64, 6,
              NS_NF_MATCH_ANY_STATE);
}

/* pc's echo request opens the flow; srv's reply belongs to it and passes. */
static void test_reply_of_a_tracked_flow_is_established(void)
{
    stateful_gw();
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies, 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_FWD, FX_ANY), 2);
    end();
}

/* A flow srv opens towards pc's network is new: dropped at gw. */
static void test_new_flow_inwards_is_dropped(void)
{
    stateful_gw();
    ping6(srv, "2001:db8:1::10", 56);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(echo.replies + echo.errors, 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_FWD, FX_ANY), 0);
    end();
}

/* An ICMPv6 error about a tracked flow is related to it (iptables'
 * RELATED, counted as established here): srv's port unreachable for pc's
 * UDP datagram passes gw, and pc's connected socket reads ECONNREFUSED. */
static void test_icmpv6_error_about_a_flow_is_established(void)
{
    stateful_gw();
    int err = 0;
    NsSocket *u = ns_socket_new(pc, NS_SOCK_UDP, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_socket_connect6(u, &d, 9999), 0);
    CU_ASSERT_EQUAL(ns_socket_send(u, (const uint8_t *)"x", 1), 0);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(ns_socket_take_error(u), ECONNREFUSED);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_FWD, FX_ANY), 2);
    ns_socket_close(u);
    end();
}

static void ct_rows(const NsCtRow *row, void *data)
{
    g_ptr_array_add(data, ns_ct_row_format(row));
}

/* The flow as `conntrack -L -f ipv6` shows it: ICMPv6 echo with its id,
 * both directions; Neighbor Discovery left untracked (one flow only). */
static void test_ipv6_flow_in_the_conntrack_table(void)
{
    stateful_gw();
    ping6(pc, "2001:db8:2::20", 56);
    fx_run(NS_MS(100));
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
    ns_nf_conntrack_foreach(ns_netfilter_of(ns_ip_of(gw)), ns_sim_now(fx.ctx.sim), ct_rows,
                            rows);
    CU_ASSERT_EQUAL_FATAL(rows->len, 1);
    CU_ASSERT_STRING_EQUAL(g_ptr_array_index(rows, 0),
                           "icmpv6 58 29 src=2001:db8:1::10 dst=2001:db8:2::20 id=1 "
                           "src=2001:db8:2::20 dst=2001:db8:1::10 id=1");
    fx_run(NS_TIME_NEVER);
    end();
}

static void test_out_drop_fails_the_send_with_eperm(void)
{
    routed_net6(0);
    add_rule6(pc, NS_NF_CHAIN_OUT, NS_NF_DROP, 0, "2001:db8:2::20", 128, 6,
              NS_NF_MATCH_ANY_STATE);
    NsIpv6Addr d = a6("2001:db8:2::20");
    CU_ASSERT_EQUAL(ns_ip6_send_echo(ns_ip6_of(pc), &d, 1, 1, 8, 0), EPERM);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, FX_ANY), 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_FILTER), 1);
    end();
}

static CU_TestInfo filter6_tests[] = {
    {"forward_reject_admin_answers_administratively_prohibited",
     test_forward_reject_admin_answers_administratively_prohibited},
    {"in_drop_takes_echo_but_not_neighbor_discovery",
     test_in_drop_takes_echo_but_not_neighbor_discovery},
    {"ipv4_rule_does_not_match_ipv6", test_ipv4_rule_does_not_match_ipv6},
    {"state_rule_without_address_matches_ipv6", test_state_rule_without_address_matches_ipv6},
    {"reply_of_a_tracked_flow_is_established", test_reply_of_a_tracked_flow_is_established},
    {"new_flow_inwards_is_dropped", test_new_flow_inwards_is_dropped},
    {"icmpv6_error_about_a_flow_is_established",
     test_icmpv6_error_about_a_flow_is_established},
    {"ipv6_flow_in_the_conntrack_table", test_ipv6_flow_in_the_conntrack_table},
    {"out_drop_fails_the_send_with_eperm", test_out_drop_fails_the_send_with_eperm},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo transport6_tests[] = {
    {"bind_any6_clashes_with_any4_not_with_an_ipv6_address",
     test_bind_any6_clashes_with_any4_not_with_an_ipv6_address},
    {"lookup_takes_ipv4_first_then_dual_stack", test_lookup_takes_ipv4_first_then_dual_stack},
    {"tcp_connects_over_ipv6_with_mss_1440", test_tcp_connects_over_ipv6_with_mss_1440},
    {"tcp_connect6_to_closed_port_is_refused", test_tcp_connect6_to_closed_port_is_refused},
    {"dual_stack_listener_sees_ipv4_client_mapped",
     test_dual_stack_listener_sees_ipv4_client_mapped},
    {"ipv4_socket_ends_read_as_mapped", test_ipv4_socket_ends_read_as_mapped},
    {"udp_to_closed_port_over_ipv6_is_refused", test_udp_to_closed_port_over_ipv6_is_refused},
    {"udp_datagram_over_ipv6_carries_its_sender", test_udp_datagram_over_ipv6_carries_its_sender},
    {"packet_too_big_lowers_tcp_mss_and_resends", test_packet_too_big_lowers_tcp_mss_and_resends},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo ndp_tests[] = {
    {"ipv4_host_has_no_ipv6_layer_until_asked", test_ipv4_host_has_no_ipv6_layer_until_asked},
    {"echo6_handler_set_before_the_layer_hears_the_reply",
     test_echo6_handler_set_before_the_layer_hears_the_reply},
    {"first_ipv6_frame_makes_the_layer_and_is_taken",
     test_first_ipv6_frame_makes_the_layer_and_is_taken},
    {"link_local_address_is_modified_eui64_of_the_mac",
     test_link_local_address_is_modified_eui64_of_the_mac},
    {"first_datagram_waits_for_nd_then_is_released",
     test_first_datagram_waits_for_nd_then_is_released},
    {"cached_neighbour_needs_no_solicitation", test_cached_neighbour_needs_no_solicitation},
    {"stale_entry_goes_through_delay_and_probe", test_stale_entry_goes_through_delay_and_probe},
    {"unanswered_solicitations_give_host_unreachable",
     test_unanswered_solicitations_give_host_unreachable},
    {"probe_without_answer_removes_the_entry", test_probe_without_answer_removes_the_entry},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo ip6_tests[] = {
    {"static_route_replaces_the_automatic_one", test_static_route_replaces_the_automatic_one},
    {"removed_default_route_leaves_no_route", test_removed_default_route_leaves_no_route},
    {"ipv6_only_host_has_no_ipv4_route", test_ipv6_only_host_has_no_ipv4_route},
    {"ipv6_only_host_ipv4_output_is_network_unreachable",
     test_ipv6_only_host_ipv4_output_is_network_unreachable},
    {"router_forwards_with_hop_limit_via_link_local",
     test_router_forwards_with_hop_limit_via_link_local},
    {"hop_limit_one_at_router_gives_time_exceeded",
     test_hop_limit_one_at_router_gives_time_exceeded},
    {"too_big_for_next_link_gives_packet_too_big", test_too_big_for_next_link_gives_packet_too_big},
    {"router_without_route_answers_no_route", test_router_without_route_answers_no_route},
    {"link_addresses_are_reached_directly_and_routed",
     test_link_addresses_are_reached_directly_and_routed},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ns_test_suites[] = {
    {"ndp", noop, NULL, NULL, NULL, ndp_tests},
    {"ip6", noop, NULL, NULL, NULL, ip6_tests},
    {"transport6", noop, NULL, NULL, NULL, transport6_tests},
    {"filter6", noop, NULL, NULL, NULL, filter6_tests},
    CU_SUITE_INFO_NULL,
};
