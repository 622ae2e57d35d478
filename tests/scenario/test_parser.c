/* Suite "parser": each statement form yields the right AST fields, and a
 * scenario using every kind of statement loads. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "scn-test.h"

#define NET "network lan 10.0.0.0/24\nhost a 10.0.0.1\nhost b 10.0.0.2 name b.example.com\n"

static const char rich[] =
    "scenario \"A browser fetches a page from port 80\"   # title\n"
    "seed 42\n"
    "stop 60s\n"
    "network lan 10.0.0.0/24 delay 1ms rate 10Mbps loss 0.5% jitter 100us duplicate 1% "
    "reorder 2% queue 50 mtu 1400\n"
    "network wan 10.1.0.0/16\n"
    "host browser 10.0.0.1\n"
    "host www 10.0.0.80 name www.example.com web.example.com tcp linux\n"
    "host ns 10.0.0.53 name ns.example.com\n"
    "host mailer 10.0.0.25 name mail.example.com resolver 10.0.0.53\n"
    "router r1 10.0.0.254 10.1.0.1\n"
    "host far 192.168.5.5\n"
    "link far r1 delay 20ms\n"
    "service www  http    80  page /index.html 1200B  page /big.bin 1MB\n"
    "service ns   dns     53\n"
    "service www  echo    7\n"
    "service www  echo    7 udp\n"
    "service www  discard 9\n"
    "service mailer smtp  25\n"
    "at 0s browser fetch http://www.example.com/index.html\n"
    "at 0s browser fetch http://10.0.0.80:8080 keep-alive 3 parallel 2\n"
    "at 0s browser resolve nowhere.example.com\n"
    "at 0s browser ping 10.0.0.80 count 3 interval 10ms size 100B\n"
    "at 0s browser udp-send 10.0.0.80:9 \"hi\\x00\\n\"\n"
    "at 0s browser mail mail.example.com:25 \"Subject: hi\\r\\n\\r\\nhello\"\n"
    "at 0s   www socket tcp as L\n"
    "at 0s   www bind L :8080\n"
    "at 0s   www listen L backlog 4\n"
    "at 0s   www accept L as A\n"
    "at 0s   www recv A 5B\n"
    "at 0s   www send A \"world\"\n"
    "at 0s   www close A\n"
    "at 10ms browser socket tcp as S\n"
    "at 10ms browser connect S www:8080\n"
    "at 10ms browser send S 1MB\n"
    "at 10ms browser recv S\n"
    "at 20ms browser shutdown S write\n"
    "at 30ms browser close S\n"
    "at 0s   browser socket udp as U\n"
    "at 0s   browser sendto U 10.0.0.53:53 \"?\"\n"
    "at 0s   browser recvfrom U 512B\n"
    "at 5s link far r1 down\n"
    "at 6s link r1 far up\n"
    "at 7s link far r1 delay 5ms loss 1%\n"
    "at 5s network lan loss 5%\n"
    "at 6s network wan down\n"
    "at 3s host www crash\n"
    "at 4s host www restart\n"
    "drop browser > www tcp data#2\n"
    "drop www > browser tcp syn-ack#1\n"
    "delay browser > www tcp fin#1 300ms\n"
    "duplicate www > browser tcp data#3\n"
    "drop browser > ns udp any#1\n"
    "expect browser fetch http://www.example.com/index.html status 200 bytes 1200\n"
    "expect browser S state ESTABLISHED at 15ms\n"
    "expect browser S error ECONNREFUSED\n"
    "expect browser U error none\n"
    "expect www sockets at 1s listen 1 Established 3\n"
    "expect delivered all\n"
    "expect browser mail mail.example.com:25 ok\n"
    "expect browser ping 10.0.0.80 received 3\n"
    "expect www A received 5B\n";

static void test_rich_scenario_loads(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    if (!scn)
        return;
    CU_ASSERT_STRING_EQUAL(scn->title, "A browser fetches a page from port 80");
    CU_ASSERT_EQUAL(scn->seed, 42);
    CU_ASSERT_TRUE(scn->has_stop);
    CU_ASSERT_EQUAL(scn->stop, NS_S(60));
    CU_ASSERT_EQUAL(scn->networks->len, 2);
    CU_ASSERT_EQUAL(scn->hosts->len, 6);
    CU_ASSERT_EQUAL(scn->links->len, 1);
    CU_ASSERT_EQUAL(scn->services->len, 6);
    CU_ASSERT_EQUAL(scn->steps->len, 29);
    CU_ASSERT_EQUAL(scn->sockets->len, 4);
    CU_ASSERT_EQUAL(scn->faults->len, 5);
    CU_ASSERT_EQUAL(scn->expects->len, 9);
    CU_ASSERT_STRING_EQUAL(scn->filename, "t.scn");
}

static void test_header_defaults(void)
{
    g_autoptr(NsScenario) scn = scn_ok(NET);
    CU_ASSERT_PTR_NULL(scn->title);
    CU_ASSERT_EQUAL(scn->seed, 1);
    CU_ASSERT_FALSE(scn->has_seed);
    CU_ASSERT_FALSE(scn->has_stop);
}

static void test_network_options(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnNetwork *n = ns_scn_network(scn, 0);
    CU_ASSERT_STRING_EQUAL(n->name, "lan");
    CU_ASSERT_EQUAL(n->net, 0x0a000000);
    CU_ASSERT_EQUAL(n->prefix, 24);
    CU_ASSERT_EQUAL(n->loc.line, 4);
    CU_ASSERT_EQUAL(n->loc.col, 1);
    CU_ASSERT_TRUE(n->opts.has_delay && n->opts.has_rate && n->opts.has_loss &&
                   n->opts.has_jitter && n->opts.has_duplicate && n->opts.has_reorder &&
                   n->opts.has_queue && n->opts.has_mtu);
    CU_ASSERT_EQUAL(n->opts.delay, NS_MS(1));
    CU_ASSERT_EQUAL(n->opts.rate, 10000000);
    CU_ASSERT_EQUAL(n->opts.loss_ppm, 5000);
    CU_ASSERT_EQUAL(n->opts.jitter, NS_US(100));
    CU_ASSERT_EQUAL(n->opts.duplicate_ppm, 10000);
    CU_ASSERT_EQUAL(n->opts.reorder_ppm, 20000);
    CU_ASSERT_EQUAL(n->opts.queue, 50);
    CU_ASSERT_EQUAL(n->opts.mtu, 1400);
    const NsScnNetwork *w = ns_scn_network(scn, 1);
    CU_ASSERT_FALSE(w->opts.has_delay || w->opts.has_mtu || w->opts.has_queue);
}

/* IPv6: a dual-stack network and an IPv6-only one, a host with both
 * families on one network (one interface) and one on each, and a ping to
 * an IPv6 address. */
static void test_ipv6_networks_hosts_and_ping(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.0.0.0/24 2001:db8:1::/64 delay 1ms\n"
                                       "network lan6 2001:DB8:2:0::/64\n"
                                       "host a 10.0.0.1 2001:db8:1::1\n"
                                       "host b 10.0.0.2 2001:db8:2::b\n"
                                       "host c 10.9.0.3 2001:db8:ff::c\n"
                                       "link a c\n"
                                       "at 1s a ping 2001:db8:2:0:0::B count 2\n"
                                       "expect a ping 2001:db8:2:0:0::B received 2\n");
    const NsScnNetwork *lan = ns_scn_network(scn, 0), *lan6 = ns_scn_network(scn, 1);
    CU_ASSERT_TRUE(lan->has_v4 && lan->has_v6);
    CU_ASSERT_EQUAL(lan->prefix6, 64);
    CU_ASSERT_EQUAL(lan->net6[0], 0x20);
    CU_ASSERT_EQUAL(lan->net6[5], 0x01);
    CU_ASSERT_TRUE(lan->opts.has_delay);
    CU_ASSERT_TRUE(lan6->has_v6 && !lan6->has_v4);
    CU_ASSERT_EQUAL(lan6->net6[5], 0x02);
    const NsScnHost *a = ns_scn_host(scn, 0), *b = ns_scn_host(scn, 1);
    CU_ASSERT_EQUAL(a->n_addrs, 1);
    CU_ASSERT_EQUAL(a->n_addrs6, 1);
    CU_ASSERT_EQUAL(a->addrs6[0].network, 0);
    CU_ASSERT_EQUAL(a->addrs6[0].col, 17);
    CU_ASSERT_EQUAL(a->addrs6[0].addr[15], 1);
    CU_ASSERT_EQUAL(b->addrs[0].network, 0);
    CU_ASSERT_EQUAL(b->addrs6[0].network, 1);
    CU_ASSERT_EQUAL(ns_scn_host(scn, 2)->addrs6[0].network, -1); /* a link address */
    const NsScnStep *st = ns_scn_step(scn, 0);
    CU_ASSERT_TRUE(st->u.ping.target.is_v6);
    CU_ASSERT_EQUAL(st->u.ping.target.host, 1); /* b owns it, however it is written */
    CU_ASSERT_EQUAL(st->u.ping.target.addr6[15], 0x0b);
    CU_ASSERT_EQUAL(st->u.ping.target.addr, 0);
}

/* An IPv6-only host: no IPv4 address, its IPv6 address on its network;
 * its name stands for that address; in its own steps a dual-stack host's
 * name stands for the dual-stack host's IPv6 address, in others' steps for
 * its IPv4 one. */
static void test_ipv6_only_host(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.0.0.0/24 2001:db8:1::/64\n"
                                       "host pc 2001:db8:1::10\n"
                                       "host old 10.0.0.20 2001:db8:1::20\n"
                                       "at 0s old ping pc\n"
                                       "at 0s pc ping old\n"
                                       "at 0s old ping pc\n"
                                       "at 0s old ping old\n");
    const NsScnHost *pc = ns_scn_host(scn, 0);
    CU_ASSERT_EQUAL(pc->n_addrs, 0);
    CU_ASSERT_EQUAL(pc->n_addrs6, 1);
    CU_ASSERT_EQUAL(pc->addrs6[0].network, 0);
    const NsScnEndpoint *to_pc = &ns_scn_step(scn, 0)->u.ping.target;
    CU_ASSERT_TRUE(to_pc->is_v6);
    CU_ASSERT_EQUAL(to_pc->addr6[15], 0x10);
    const NsScnEndpoint *to_old = &ns_scn_step(scn, 1)->u.ping.target;
    CU_ASSERT_TRUE(to_old->is_v6);
    CU_ASSERT_EQUAL(to_old->addr6[15], 0x20);
    const NsScnEndpoint *own = &ns_scn_step(scn, 3)->u.ping.target;
    CU_ASSERT_FALSE(own->is_v6);
    CU_ASSERT_EQUAL(own->addr, 0x0a000014);
}

/* An IPv6-only host may be on a link and on a switch, and may run the dns
 * service (the catalogue has what it may not: bad/ipv6-only.scn). */
static void test_ipv6_only_links_switches_dns(void)
{
    g_autoptr(NsScenario) scn = scn_ok("switch sw\n"
                                       "host a 2001:db8:9::1\n"
                                       "host b 2001:db8:9::2\n"
                                       "host c 2001:db8:8::3\n"
                                       "link a b\n"
                                       "link b sw\n"
                                       "link c sw\n"
                                       "service a dns 53\n");
    CU_ASSERT_EQUAL(scn->links->len, 1);
    CU_ASSERT_EQUAL(scn->switch_ports->len, 2);
    CU_ASSERT_EQUAL(scn->services->len, 1);
}

/* IPv6 endpoints of the socket verbs: [ADDR]:PORT with its owner, [::]:PORT
 * for bind (any address, IPv6 socket); `resolve NAME aaaa`. */
static void test_ipv6_endpoints_and_resolve_aaaa(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.0.0.0/24 2001:db8:1::/64\n"
                                       "host a 10.0.0.1 2001:db8:1::1 name a.example.com\n"
                                       "host b 10.0.0.2 2001:db8:1::2\n"
                                       "at 0s b socket tcp as L\n"
                                       "at 0s b bind L [::]:80\n"
                                       "at 0s a socket udp as U\n"
                                       "at 0s a connect U [2001:db8:1::2]:53\n"
                                       "at 0s a resolve a.example.com aaaa\n"
                                       "at 0s a resolve a.example.com a\n");
    const NsScnEndpoint *any = &ns_scn_step(scn, 1)->u.addr.ep;
    CU_ASSERT_EQUAL(any->kind, NS_SCN_TARGET_ANY);
    CU_ASSERT_TRUE(any->is_v6);
    CU_ASSERT_EQUAL(any->port, 80);
    const NsScnEndpoint *to = &ns_scn_step(scn, 3)->u.addr.ep;
    CU_ASSERT_EQUAL(to->kind, NS_SCN_TARGET_ADDR);
    CU_ASSERT_TRUE(to->is_v6);
    CU_ASSERT_EQUAL(to->host, 1);
    CU_ASSERT_EQUAL(to->port, 53);
    CU_ASSERT_TRUE(ns_scn_step(scn, 4)->u.resolve.aaaa);
    CU_ASSERT_FALSE(ns_scn_step(scn, 5)->u.resolve.aaaa);
}

/* A URL's host as an IPv6 address in brackets, with or without a port;
 * mail to [ADDR]:PORT. */
static void test_ipv6_url_and_mail(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.0.0.0/24 2001:db8:1::/64\n"
                                       "host a 10.0.0.1 2001:db8:1::1\n"
                                       "host b 10.0.0.2 2001:db8:1::2\n"
                                       "at 0s a fetch http://[2001:db8:1::2]/x.html\n"
                                       "at 0s a fetch http://[2001:db8:1:0::2]:8080\n"
                                       "at 0s a mail [2001:db8:1::2]:25 \"hi\"\n"
                                       "expect a mail [2001:db8:1::2]:25 ok\n");
    const NsScnEndpoint *s1 = &ns_scn_step(scn, 0)->u.fetch.url.server;
    CU_ASSERT_EQUAL(s1->kind, NS_SCN_TARGET_ADDR);
    CU_ASSERT_TRUE(s1->is_v6);
    CU_ASSERT_EQUAL(s1->host, 1);
    CU_ASSERT_EQUAL(s1->port, 80);
    CU_ASSERT_EQUAL(s1->addr6[15], 2);
    CU_ASSERT_STRING_EQUAL(ns_scn_step(scn, 0)->u.fetch.url.path, "/x.html");
    const NsScnEndpoint *s2 = &ns_scn_step(scn, 1)->u.fetch.url.server;
    CU_ASSERT_TRUE(s2->is_v6);
    CU_ASSERT_EQUAL(s2->host, 1);
    CU_ASSERT_EQUAL(s2->port, 8080);
    CU_ASSERT_STRING_EQUAL(ns_scn_step(scn, 1)->u.fetch.url.path, "/");
    const NsScnEndpoint *m = &ns_scn_step(scn, 2)->u.send_to.to;
    CU_ASSERT_TRUE(m->is_v6);
    CU_ASSERT_EQUAL(m->host, 1);
    CU_ASSERT_EQUAL(m->port, 25);
}

static void test_hosts(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnHost *www = ns_scn_host(scn, 1);
    CU_ASSERT_STRING_EQUAL(www->name, "www");
    CU_ASSERT_FALSE(www->is_router);
    CU_ASSERT_EQUAL(www->n_addrs, 1);
    CU_ASSERT_EQUAL(www->addrs[0].addr, 0x0a000050);
    CU_ASSERT_EQUAL(www->addrs[0].network, 0);
    CU_ASSERT_EQUAL(www->n_dns_names, 2);
    CU_ASSERT_STRING_EQUAL(www->dns_names[1], "web.example.com");
    CU_ASSERT_EQUAL(www->tcp, NS_SCN_TCP_LINUX);
    CU_ASSERT_EQUAL(ns_scn_host(scn, 0)->tcp, NS_SCN_TCP_MINIMAL);
    const NsScnHost *mailer = ns_scn_host(scn, 3);
    CU_ASSERT_TRUE(mailer->has_resolver);
    CU_ASSERT_EQUAL(mailer->resolver, 0x0a000035);
    CU_ASSERT_EQUAL(mailer->resolver_host, 2);
    const NsScnHost *r1 = ns_scn_host(scn, 4);
    CU_ASSERT_TRUE(r1->is_router);
    CU_ASSERT_EQUAL(r1->n_addrs, 2);
    CU_ASSERT_EQUAL(r1->addrs[1].network, 1);
    const NsScnHost *far = ns_scn_host(scn, 5);
    CU_ASSERT_EQUAL(far->addrs[0].network, -1);
    CU_ASSERT_EQUAL(ns_scn_link(scn, 0)->a, 5);
    CU_ASSERT_EQUAL(ns_scn_link(scn, 0)->b, 4);
    CU_ASSERT_EQUAL(ns_scn_link(scn, 0)->opts.delay, NS_MS(20));
}

/* The hosts' IPv4 addresses are kept in one block, in host order: each
 * host's are its own, after the one before's (an IPv6-only host has none). */
static void test_host_addresses_follow_each_other_in_host_order(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.0.0.0/24\n"
                                       "network dc 10.9.0.0/24\n"
                                       "network six 2001:db8::/64\n"
                                       "router r 10.0.0.1 10.9.0.1\n"
                                       "host v6 2001:db8::5\n"
                                       "host b 10.0.0.2\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(scn);
    const NsScnHost *r = ns_scn_host(scn, 0), *v6 = ns_scn_host(scn, 1), *b = ns_scn_host(scn, 2);
    CU_ASSERT_EQUAL(r->n_addrs, 2);
    CU_ASSERT_EQUAL(r->addrs[1].addr, 0x0a090001);
    CU_ASSERT_EQUAL(v6->n_addrs, 0);
    CU_ASSERT_PTR_NULL(v6->addrs);
    CU_ASSERT_PTR_EQUAL(b->addrs, r->addrs + 2);
    CU_ASSERT_EQUAL(b->addrs[0].addr, 0x0a000002);
}

static void test_services(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnService *http = ns_scn_service(scn, 0);
    CU_ASSERT_EQUAL(http->app, NS_SCN_APP_HTTP);
    CU_ASSERT_EQUAL(http->host, 1);
    CU_ASSERT_EQUAL(http->port, 80);
    CU_ASSERT_EQUAL(http->proto, NS_SCN_PROTO_TCP);
    CU_ASSERT_EQUAL(http->n_pages, 2);
    CU_ASSERT_STRING_EQUAL(http->pages[0].path, "/index.html");
    CU_ASSERT_EQUAL(http->pages[0].size, 1200);
    CU_ASSERT_EQUAL(http->pages[1].size, 1000000);
    CU_ASSERT_EQUAL(ns_scn_service(scn, 1)->app, NS_SCN_APP_DNS);
    CU_ASSERT_EQUAL(ns_scn_service(scn, 1)->proto, NS_SCN_PROTO_UDP);
    CU_ASSERT_EQUAL(ns_scn_service(scn, 2)->proto, NS_SCN_PROTO_TCP);
    CU_ASSERT_EQUAL(ns_scn_service(scn, 3)->proto, NS_SCN_PROTO_UDP);
    CU_ASSERT_EQUAL(ns_scn_service(scn, 4)->app, NS_SCN_APP_DISCARD);
    CU_ASSERT_EQUAL(ns_scn_service(scn, 5)->app, NS_SCN_APP_SMTP);
}

static void test_application_steps(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnStep *f = ns_scn_step(scn, 0);
    CU_ASSERT_EQUAL(f->kind, NS_SCN_STEP_APP);
    CU_ASSERT_EQUAL(f->verb.app, NS_SCN_APP_VERB_FETCH);
    CU_ASSERT_EQUAL(f->host, 0);
    CU_ASSERT_EQUAL(f->loc.line, 19);
    CU_ASSERT_EQUAL(f->u.fetch.url.server.kind, NS_SCN_TARGET_NAME);
    CU_ASSERT_STRING_EQUAL(f->u.fetch.url.server.name, "www.example.com");
    CU_ASSERT_EQUAL(f->u.fetch.url.server.host, 1);
    CU_ASSERT_EQUAL(f->u.fetch.url.server.port, 80);
    CU_ASSERT_STRING_EQUAL(f->u.fetch.url.path, "/index.html");
    CU_ASSERT_EQUAL(f->u.fetch.requests, 1);
    CU_ASSERT_FALSE(f->u.fetch.keep_alive);
    CU_ASSERT_EQUAL(f->u.fetch.parallel, 1);
    const NsScnStep *f2 = ns_scn_step(scn, 1);
    CU_ASSERT_EQUAL(f2->u.fetch.url.server.kind, NS_SCN_TARGET_ADDR);
    CU_ASSERT_EQUAL(f2->u.fetch.url.server.port, 8080);
    CU_ASSERT_STRING_EQUAL(f2->u.fetch.url.path, "/");
    CU_ASSERT_TRUE(f2->u.fetch.keep_alive);
    CU_ASSERT_EQUAL(f2->u.fetch.requests, 3);
    CU_ASSERT_EQUAL(f2->u.fetch.parallel, 2);
    CU_ASSERT_STRING_EQUAL(ns_scn_step(scn, 2)->u.resolve.name, "nowhere.example.com");
    const NsScnStep *ping = ns_scn_step(scn, 3);
    CU_ASSERT_EQUAL(ping->u.ping.target.addr, 0x0a000050);
    CU_ASSERT_EQUAL(ping->u.ping.target.host, 1);
    CU_ASSERT_EQUAL(ping->u.ping.count, 3);
    CU_ASSERT_EQUAL(ping->u.ping.interval, NS_MS(10));
    CU_ASSERT_EQUAL(ping->u.ping.size, 100);
    const NsScnStep *us = ns_scn_step(scn, 4);
    CU_ASSERT_EQUAL(us->u.send_to.to.port, 9);
    CU_ASSERT_EQUAL(us->u.send_to.payload.len, 4);
    CU_ASSERT_EQUAL(memcmp(us->u.send_to.payload.data, "hi\0\n", 4), 0);
    const NsScnStep *mail = ns_scn_step(scn, 5);
    CU_ASSERT_EQUAL(mail->kind, NS_SCN_STEP_APP);
    CU_ASSERT_EQUAL(mail->verb.app, NS_SCN_APP_VERB_MAIL);
    CU_ASSERT_EQUAL(mail->u.send_to.to.host, 3);
    CU_ASSERT_EQUAL(mail->u.send_to.to.port, 25);
}

static void test_ping_defaults(void)
{
    g_autoptr(NsScenario) scn = scn_ok(NET "at 1s a ping b\n");
    const NsScnStep *s = ns_scn_step(scn, 0);
    CU_ASSERT_EQUAL(s->at, NS_S(1));
    CU_ASSERT_EQUAL(s->u.ping.target.kind, NS_SCN_TARGET_NAME);
    CU_ASSERT_EQUAL(s->u.ping.target.addr, 0x0a000002);
    CU_ASSERT_EQUAL(s->u.ping.count, 1);
    CU_ASSERT_EQUAL(s->u.ping.interval, NS_S(1));
    CU_ASSERT_EQUAL(s->u.ping.size, 56);
    CU_ASSERT_EQUAL(s->u.ping.ttl, 0); /* the default TTL */
}

static void test_ping_ttl(void)
{
    g_autoptr(NsScenario) scn = scn_ok(NET "at 1s a ping b ttl 1\n");
    CU_ASSERT_EQUAL(ns_scn_step(scn, 0)->u.ping.ttl, 1);
}

#define ROUTED "network lan 10.0.0.0/24\nnetwork wan 10.1.0.0/24\nhost a 10.0.0.1\n" \
               "router r 10.0.0.254 10.1.0.1\n"

static void test_routing_manual_and_routes(void)
{
    g_autoptr(NsScenario) scn = scn_ok("routing manual\n" ROUTED
                                       "route a default via 10.0.0.254\n"
                                       "route r 10.9.0.0/16 via 10.1.0.7 dev 10.1.0.1\n");
    CU_ASSERT_TRUE(scn->routing_manual);
    CU_ASSERT_EQUAL_FATAL(scn->routes->len, 2);
    const NsScnRoute *d = ns_scn_route(scn, 0), *r = ns_scn_route(scn, 1);
    CU_ASSERT_EQUAL(d->host, 0);
    CU_ASSERT_EQUAL(d->net, 0);
    CU_ASSERT_EQUAL(d->prefix, 0);
    CU_ASSERT_EQUAL(d->via, 0x0a0000fe);
    CU_ASSERT_FALSE(d->has_dev || d->on_timeline);
    CU_ASSERT_EQUAL(r->net, 0x0a090000);
    CU_ASSERT_EQUAL(r->prefix, 16);
    CU_ASSERT_TRUE(r->has_dev);
    CU_ASSERT_EQUAL(r->dev, 0x0a010001);
}

static void test_routing_is_automatic_by_default(void)
{
    g_autoptr(NsScenario) scn = scn_ok(ROUTED);
    CU_ASSERT_FALSE(scn->routing_manual);
    CU_ASSERT_EQUAL(scn->routes->len, 0);
}

static void test_route_and_unroute_steps(void)
{
    g_autoptr(NsScenario) scn = scn_ok(ROUTED "at 5s route a 10.1.0.0/24 via 10.0.0.254\n"
                                              "at 6s unroute a 10.1.0.0/24\n");
    const NsScnStep *add = ns_scn_step(scn, 0), *del = ns_scn_step(scn, 1);
    CU_ASSERT_EQUAL(add->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(add->verb.fault, NS_SCN_FAULT_VERB_ROUTE);
    CU_ASSERT_EQUAL(add->host, 0);
    CU_ASSERT_EQUAL(add->u.route.route, 0);
    CU_ASSERT_TRUE(ns_scn_route(scn, 0)->on_timeline);
    CU_ASSERT_EQUAL(del->verb.fault, NS_SCN_FAULT_VERB_UNROUTE);
    CU_ASSERT_EQUAL(del->u.route.net, 0x0a010000);
    CU_ASSERT_EQUAL(del->u.route.prefix, 24);
    CU_ASSERT_STRING_EQUAL(ns_scn_step_verb_name(del), "unroute");
}

static void test_route_next_hop_must_be_on_link(void)
{
    SCN_EXPECT_ERR(ROUTED "route a default via 10.1.0.1\n",
            "t.scn:5:21: error: 'a' cannot reach 10.1.0.1 directly: a next hop must be on one "
            "of its networks or at the other end of one of its links");
}

#define ROUTED6 "network lan 10.0.0.0/24 2001:db8:1::/64\nnetwork wan 10.1.0.0/24 2001:db8:2::/64\n" \
                "host a 10.0.0.1 2001:db8:1::1\n" \
                "router r 10.0.0.254 10.1.0.1 2001:db8:1::fe 2001:db8:2::1\n"

static void test_ipv6_routes(void)
{
    g_autoptr(NsScenario) scn = scn_ok(ROUTED6 "route a default via 2001:db8:1::fe\n"
                                       "route r 2001:db8:9::/48 via fe80::1 dev 2001:db8:2::1\n");
    CU_ASSERT_EQUAL_FATAL(scn->routes->len, 2);
    const NsScnRoute *d = ns_scn_route(scn, 0), *r = ns_scn_route(scn, 1);
    static const uint8_t zero[16], fe[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0xfe},
                                   n9[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 9},
                                   ll[16] = {0xfe, 0x80, [15] = 1},
                                   dev[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1};
    CU_ASSERT_TRUE(d->v6);
    CU_ASSERT_EQUAL(d->prefix, 0);
    CU_ASSERT_EQUAL(memcmp(d->net6, zero, 16), 0);
    CU_ASSERT_EQUAL(memcmp(d->via6, fe, 16), 0);
    CU_ASSERT_FALSE(d->has_dev);
    CU_ASSERT_TRUE(r->v6 && r->has_dev);
    CU_ASSERT_EQUAL(r->host, 1);
    CU_ASSERT_EQUAL(r->prefix, 48);
    CU_ASSERT_EQUAL(memcmp(r->net6, n9, 16), 0);
    CU_ASSERT_EQUAL(memcmp(r->via6, ll, 16), 0);
    CU_ASSERT_EQUAL(memcmp(r->dev6, dev, 16), 0);
}

static void test_ipv6_route_steps_and_expect(void)
{
    g_autoptr(NsScenario) scn = scn_ok(ROUTED6 "at 5s route a ::/0 via 2001:db8:1::fe\n"
                                       "at 6s unroute a ::/0\n"
                                       "at 7s unroute a 2001:db8:2::/64\n"
                                       "expect a route 2001:db8:2::1 via 2001:db8:1::fe\n");
    const NsScnStep *add = ns_scn_step(scn, 0), *del = ns_scn_step(scn, 1),
                    *del2 = ns_scn_step(scn, 2);
    CU_ASSERT_EQUAL(add->verb.fault, NS_SCN_FAULT_VERB_ROUTE);
    CU_ASSERT_TRUE(ns_scn_route(scn, add->u.route.route)->v6);
    CU_ASSERT_EQUAL(ns_scn_route(scn, add->u.route.route)->prefix, 0);
    CU_ASSERT_EQUAL(del->verb.fault, NS_SCN_FAULT_VERB_UNROUTE);
    CU_ASSERT_TRUE(del->u.route.v6);
    CU_ASSERT_EQUAL(del->u.route.prefix, 0);
    CU_ASSERT_TRUE(del2->u.route.v6);
    CU_ASSERT_EQUAL(del2->u.route.prefix, 64);
    CU_ASSERT_EQUAL(del2->u.route.net6[5], 2);
    const NsScnExpect *e = ns_scn_expect(scn, 0);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_ROUTE);
    CU_ASSERT_TRUE(e->u.route.target.is_v6);
    CU_ASSERT_EQUAL(e->u.route.via6[15], 0xfe);
}

static void test_ipv6_link_local_next_hop_needs_dev(void)
{
    SCN_EXPECT_ERR(ROUTED6 "route a default via fe80::1\n",
                   "t.scn:5:21: error: a link-local next hop (fe80::1) needs 'dev ADDR': every "
                   "link has fe80:: addresses, dev says which link");
}

static void test_ipv6_filter_rules(void)
{
    g_autoptr(NsScenario) scn =
        scn_ok(ROUTED6 "filter a in reject with admin-prohibited tcp to [2001:db8:1::1]:80\n"
                       "filter r forward drop from 2001:db8:2::/64\n"
                       "filter a in drop tcp to :22\n"
                       "filter a in drop from 10.1.0.0/24\n");
    CU_ASSERT_EQUAL_FATAL(scn->filters->len, 4);
    const NsScnFilter *f = ns_scn_filter(scn, 0), *g = ns_scn_filter(scn, 1),
                      *any = ns_scn_filter(scn, 2), *v4 = ns_scn_filter(scn, 3);
    CU_ASSERT_EQUAL(f->action, NS_SCN_FILTER_REJECT_ADMIN);
    CU_ASSERT_EQUAL(f->family, 6);
    CU_ASSERT_TRUE(f->to.set && f->to.v6);
    CU_ASSERT_EQUAL(f->to.prefix, 128);
    CU_ASSERT_EQUAL(f->to.port, 80);
    CU_ASSERT_EQUAL(f->to.net6[15], 1);
    CU_ASSERT_FALSE(f->from.set);
    CU_ASSERT_EQUAL(g->family, 6);
    CU_ASSERT_EQUAL(g->from.prefix, 64);
    CU_ASSERT_EQUAL(g->from.net6[5], 2);
    CU_ASSERT_EQUAL(any->family, 0); /* a port alone: both families */
    CU_ASSERT_EQUAL(v4->family, 4);
}

/* `state` on an IPv6 rule: IPv6 flows are tracked, so it is accepted. */
static void test_ipv6_filter_rule_with_state(void)
{
    g_autoptr(NsScenario) scn =
        scn_ok(ROUTED6 "filter a in drop from 2001:db8:2::/64 state new\n");
    const NsScnFilter *f = ns_scn_filter(scn, 0);
    CU_ASSERT_EQUAL(f->family, 6);
    CU_ASSERT_EQUAL(f->state, NS_SCN_STATE_NEW);
}

static void test_traceroute_defaults_and_options(void)
{
    g_autoptr(NsScenario) scn = scn_ok(NET "at 1s a traceroute b\n"
                                           "at 2s a traceroute 10.0.0.2 tcp 443 max-hops 5 "
                                           "queries 1\n"
                                           "at 3s a traceroute b icmp\n");
    const NsScnStep *d = ns_scn_step(scn, 0), *t = ns_scn_step(scn, 1);
    CU_ASSERT_EQUAL(d->kind, NS_SCN_STEP_APP);
    CU_ASSERT_EQUAL(d->verb.app, NS_SCN_APP_VERB_TRACEROUTE);
    CU_ASSERT_EQUAL(d->u.traceroute.method, NS_SCN_TRACE_UDP);
    CU_ASSERT_EQUAL(d->u.traceroute.max_hops, 30);
    CU_ASSERT_EQUAL(d->u.traceroute.queries, 3);
    CU_ASSERT_EQUAL(d->u.traceroute.target.addr, 0x0a000002);
    CU_ASSERT_EQUAL(t->u.traceroute.method, NS_SCN_TRACE_TCP);
    CU_ASSERT_EQUAL(t->u.traceroute.port, 443);
    CU_ASSERT_EQUAL(t->u.traceroute.max_hops, 5);
    CU_ASSERT_EQUAL(t->u.traceroute.queries, 1);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 2)->u.traceroute.method, NS_SCN_TRACE_ICMP);
}

static void test_traceroute_tcp_needs_a_port(void)
{
    SCN_EXPECT_ERR(NET "at 1s a traceroute b tcp\n",
                   "t.scn:4:26: error: expected the port the SYNs go to, like 80 after 'tcp'");
}

static void test_switch_and_its_ports(void)
{
    g_autoptr(NsScenario) scn = scn_ok("switch sw delay 2ms\nhost a 10.9.0.1\nhost b 10.9.0.2\n"
                                       "link a sw\nlink sw b\n");
    CU_ASSERT_EQUAL_FATAL(scn->switches->len, 1);
    CU_ASSERT_STRING_EQUAL(ns_scn_switch(scn, 0)->name, "sw");
    CU_ASSERT_TRUE(ns_scn_switch(scn, 0)->opts.has_delay);
    CU_ASSERT_EQUAL(scn->links->len, 0);
    CU_ASSERT_EQUAL_FATAL(scn->switch_ports->len, 2);
    CU_ASSERT_EQUAL(ns_scn_switch_port(scn, 0)->host, 0);
    CU_ASSERT_EQUAL(ns_scn_switch_port(scn, 1)->host, 1);
    CU_ASSERT_EQUAL(ns_scn_switch_port(scn, 1)->sw, 0);
}

static void test_socket_steps(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnStep *s = ns_scn_step(scn, 6);
    CU_ASSERT_EQUAL(s->kind, NS_SCN_STEP_SOCKET);
    CU_ASSERT_EQUAL(s->verb.sock, NS_SCN_SOCK_VERB_SOCKET);
    CU_ASSERT_EQUAL(s->u.socket.proto, NS_SCN_PROTO_TCP);
    CU_ASSERT_EQUAL(s->u.socket.sock, 0);
    CU_ASSERT_STRING_EQUAL(ns_scn_socket(scn, 0)->name, "L");
    CU_ASSERT_EQUAL(ns_scn_socket(scn, 0)->host, 1);
    CU_ASSERT_EQUAL(ns_scn_socket(scn, 0)->step, 6);
    const NsScnStep *bind = ns_scn_step(scn, 7);
    CU_ASSERT_EQUAL(bind->u.addr.ep.kind, NS_SCN_TARGET_ANY);
    CU_ASSERT_EQUAL(bind->u.addr.ep.port, 8080);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 8)->u.listen.backlog, 4);
    const NsScnStep *acc = ns_scn_step(scn, 9);
    CU_ASSERT_EQUAL(acc->u.accept.sock, 0);
    CU_ASSERT_EQUAL(acc->u.accept.new_sock, 1);
    CU_ASSERT_EQUAL(ns_scn_socket(scn, 1)->proto, NS_SCN_PROTO_TCP);
    CU_ASSERT_TRUE(ns_scn_step(scn, 10)->u.recv.has_size);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 10)->u.recv.size, 5);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 11)->u.send.payload.len, 5);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 12)->kind, NS_SCN_STEP_SOCKET);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 12)->verb.sock, NS_SCN_SOCK_VERB_CLOSE);
    const NsScnStep *conn = ns_scn_step(scn, 14);
    CU_ASSERT_EQUAL(conn->kind, NS_SCN_STEP_SOCKET);
    CU_ASSERT_EQUAL(conn->verb.sock, NS_SCN_SOCK_VERB_CONNECT);
    CU_ASSERT_EQUAL(conn->u.addr.ep.host, 1);
    CU_ASSERT_EQUAL(conn->u.addr.ep.addr, 0x0a000050);
    const NsScnStep *send = ns_scn_step(scn, 15);
    CU_ASSERT_PTR_NULL(send->u.send.payload.data);
    CU_ASSERT_EQUAL(send->u.send.payload.len, 1000000);
    CU_ASSERT_FALSE(ns_scn_step(scn, 16)->u.recv.has_size);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 17)->u.shutdown.how, NS_SCN_SHUT_WRITE);
    const NsScnStep *sendto = ns_scn_step(scn, 20);
    CU_ASSERT_EQUAL(sendto->kind, NS_SCN_STEP_SOCKET);
    CU_ASSERT_EQUAL(sendto->verb.sock, NS_SCN_SOCK_VERB_SENDTO);
    CU_ASSERT_EQUAL(sendto->u.send.to.port, 53);
    CU_ASSERT_EQUAL(sendto->u.send.to.host, 2);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 21)->u.recv.size, 512);
    CU_ASSERT_EQUAL(sendto->kind, NS_SCN_STEP_SOCKET);
}

/* Extension: the on/off options, setsockopt S nodelay|cork [on|off]. */
static void test_setsockopt_on_off(void)
{
    static const struct {
        const char *name;
        NsScnSockOpt opt;
    } cases[] = {{"nodelay", NS_SCN_SOCKOPT_NODELAY}, {"cork", NS_SCN_SOCKOPT_CORK}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strdup_printf("host a 10.0.0.1\nhost b 10.0.0.2\nlink a b\n"
                                                "at 0s a socket tcp as S\n"
                                                "at 0s a setsockopt S %s\n"
                                                "at 0s a setsockopt S %s off\n",
                                                cases[i].name, cases[i].name);
        g_autoptr(NsScenario) scn = scn_ok(text);
        const NsScnStep *on = ns_scn_step(scn, 1), *off = ns_scn_step(scn, 2);
        CU_ASSERT_EQUAL(on->kind, NS_SCN_STEP_SOCKET);
        CU_ASSERT_EQUAL(on->verb.sock, NS_SCN_SOCK_VERB_SETSOCKOPT);
        CU_ASSERT_EQUAL(on->u.sockopt.opt, cases[i].opt);
        CU_ASSERT_EQUAL(on->u.sockopt.value, 1);
        CU_ASSERT_EQUAL(off->u.sockopt.opt, cases[i].opt);
        CU_ASSERT_EQUAL(off->u.sockopt.value, 0);
        CU_ASSERT_EQUAL(ns_scn_step_socket(off), 0);
    }
    SCN_EXPECT_ERR("host a 10.0.0.1\nhost b 10.0.0.2\nlink a b\n"
                   "at 0s a socket tcp as S\nat 0s a setsockopt S cork maybe\n",
                   "t.scn:5:27: error: expected on or off, not 'maybe'");
}

static void test_setsockopt_unknown_option(void)
{
    SCN_EXPECT_ERR("host a 10.0.0.1\nhost b 10.0.0.2\nlink a b\n"
                   "at 0s a socket tcp as S\nat 0s a setsockopt S corked\n",
                   "t.scn:5:22: error: unknown socket option 'corked' (the options: nodelay, "
                   "rcvbuf, sndbuf, keepalive, keepidle, keepintvl, keepcnt, maxseg, linger, "
                   "user_timeout, cork)");
}

/* Extension: the other options, each with its value in the scenario's
 * units (durations in ns, linger off as -1). */
static void test_setsockopt_values(void)
{
    g_autoptr(NsScenario) scn = scn_ok("host a 10.0.0.1\nhost b 10.0.0.2\nlink a b\n"
                                       "at 0s a socket tcp as S\n"
                                       "at 0s a setsockopt S rcvbuf 4KiB\n"
                                       "at 0s a setsockopt S sndbuf 9000\n"
                                       "at 0s a setsockopt S keepalive\n"
                                       "at 0s a setsockopt S keepidle 10s\n"
                                       "at 0s a setsockopt S keepintvl 2s\n"
                                       "at 0s a setsockopt S keepcnt 3\n"
                                       "at 0s a setsockopt S maxseg 1000\n"
                                       "at 0s a setsockopt S linger 0s\n"
                                       "at 0s a setsockopt S linger off\n"
                                       "at 0s a setsockopt S user_timeout 1500ms\n");
    static const struct {
        NsScnSockOpt opt;
        int64_t value;
    } want[] = {
        {NS_SCN_SOCKOPT_RCVBUF, 4096},          {NS_SCN_SOCKOPT_SNDBUF, 9000},
        {NS_SCN_SOCKOPT_KEEPALIVE, 1},          {NS_SCN_SOCKOPT_KEEPIDLE, NS_S(10)},
        {NS_SCN_SOCKOPT_KEEPINTVL, NS_S(2)},    {NS_SCN_SOCKOPT_KEEPCNT, 3},
        {NS_SCN_SOCKOPT_MAXSEG, 1000},          {NS_SCN_SOCKOPT_LINGER, 0},
        {NS_SCN_SOCKOPT_LINGER, -1},            {NS_SCN_SOCKOPT_USER_TIMEOUT, NS_MS(1500)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        const NsScnStep *s = ns_scn_step(scn, (uint32_t)i + 1);
        CU_ASSERT_EQUAL(s->verb.sock, NS_SCN_SOCK_VERB_SETSOCKOPT);
        CU_ASSERT_EQUAL(s->u.sockopt.opt, want[i].opt);
        CU_ASSERT_EQUAL(s->u.sockopt.value, want[i].value);
    }
}

static void test_setsockopt_bad_values(void)
{
    const char *head = "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b\nat 0s a socket tcp as S\n";
    g_autofree char *a = g_strconcat(head, "at 0s a setsockopt S keepidle 1500ms\n", NULL);
    SCN_EXPECT_ERR(a, "t.scn:5:31: error: expected whole seconds from 1 to 32767, not '1500ms'");
    g_autofree char *b = g_strconcat(head, "at 0s a setsockopt S keepcnt 0\n", NULL);
    SCN_EXPECT_ERR(b, "t.scn:5:30: error: keepcnt must be a whole number from 1 to 127, not "
                      "'0'");
    g_autofree char *c = g_strconcat(head, "at 0s a setsockopt S maxseg\n", NULL);
    SCN_EXPECT_ERR(c, "t.scn:5:29: error: expected a segment size in bytes after 'setsockopt S "
                      "maxseg'");
    g_autofree char *d = g_strconcat(head, "at 0s a setsockopt S keepalive on 3\n", NULL);
    SCN_EXPECT_ERR(d, "t.scn:5:35: error: unexpected '3' after 'setsockopt S keepalive on'");
}

/* ---- programs ---- */

#define PROG_NET "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b\n"

static void test_program_steps(void)
{
    g_autoptr(NsScenario) scn = scn_ok(PROG_NET "program p on a\nprogram q on a\n"
                                       "at 0s a.p socket tcp as S\nat 0s a.q send S \"x\"\n"
                                       "at 0s a close S\n");
    CU_ASSERT_EQUAL(scn->programs->len, 2);
    CU_ASSERT_STRING_EQUAL(ns_scn_program(scn, 1)->name, "q");
    CU_ASSERT_EQUAL(ns_scn_program(scn, 1)->host, 0);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 0)->program, 0);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 1)->program, 1);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 1)->host, 0);
    /* A program's sockets are the host's: q sends on p's socket. */
    CU_ASSERT_EQUAL(ns_scn_step_socket(ns_scn_step(scn, 1)), 0);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 2)->program, -1);
}

static void test_program_unknown(void)
{
    SCN_EXPECT_ERR(PROG_NET "at 0s a.p socket tcp as S\n",
                   "t.scn:4:7: error: host 'a' has no program 'p' (declare it: 'program p on a')");
}

static void test_program_app_verb(void)
{
    SCN_EXPECT_ERR(PROG_NET "program p on a\nat 0s a.p ping 10.0.0.2\n",
                   "t.scn:5:11: error: 'ping' is not a socket call: it runs at its time on the "
                   "host, outside programs (write 'at T a ping ...')");
}

static void test_program_twice(void)
{
    SCN_EXPECT_ERR(PROG_NET "program p on a\nprogram p on a\n",
                   "t.scn:5:9: error: program 'p' already declared on host 'a' (line 4)");
}

static void test_program_dotted_name(void)
{
    SCN_EXPECT_ERR(PROG_NET "program p.q on a\n",
                   "t.scn:4:9: error: 'p.q': a program name has no '.' (steps name it as HOST.p.q)");
}

static void test_program_needs_on(void)
{
    SCN_EXPECT_ERR(PROG_NET "program p a\n",
                   "t.scn:4:11: error: expected 'on HOST' after 'program p', not 'a'");
}

/* A dotted host name is a host, even when a program could be meant. */
static void test_program_dotted_host_wins(void)
{
    g_autoptr(NsScenario) scn = scn_ok("host a 10.0.0.1\nhost a.p 10.0.0.2\nlink a a.p\n"
                                       "at 0s a.p socket tcp as S\n");
    CU_ASSERT_EQUAL(ns_scn_step(scn, 0)->host, 1);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 0)->program, -1);
}

static void test_program_host_name_clash(void)
{
    SCN_EXPECT_ERR("host a 10.0.0.1\nhost a.p 10.0.0.2\nlink a a.p\nprogram p on a\n",
                   "t.scn:4:9: error: 'a.p' is already the name of a host: name the program "
                   "otherwise");
}

static void test_fault_steps(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnStep *s = ns_scn_step(scn, 22);
    CU_ASSERT_EQUAL(s->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(s->verb.fault, NS_SCN_FAULT_VERB_LINK_DOWN);
    CU_ASSERT_EQUAL(s->host, -1);
    CU_ASSERT_EQUAL(s->u.link.link, 0);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 23)->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 23)->verb.fault, NS_SCN_FAULT_VERB_LINK_UP);
    const NsScnStep *set = ns_scn_step(scn, 24);
    CU_ASSERT_EQUAL(set->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(set->verb.fault, NS_SCN_FAULT_VERB_LINK_SET);
    CU_ASSERT_TRUE(set->u.link.opts.has_delay && set->u.link.opts.has_loss);
    CU_ASSERT_FALSE(set->u.link.opts.has_rate);
    CU_ASSERT_EQUAL(set->u.link.opts.loss_ppm, 10000);
    const NsScnStep *net = ns_scn_step(scn, 25);
    CU_ASSERT_EQUAL(net->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(net->verb.fault, NS_SCN_FAULT_VERB_NETWORK_SET);
    CU_ASSERT_EQUAL(net->u.network.network, 0);
    CU_ASSERT_EQUAL(net->u.network.opts.loss_ppm, 50000);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 26)->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 26)->verb.fault, NS_SCN_FAULT_VERB_NETWORK_DOWN);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 26)->u.network.network, 1);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 27)->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 27)->verb.fault, NS_SCN_FAULT_VERB_HOST_CRASH);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 27)->host, 1);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 28)->kind, NS_SCN_STEP_FAULT);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 28)->verb.fault, NS_SCN_FAULT_VERB_HOST_RESTART);
    CU_ASSERT_STRING_EQUAL(ns_scn_app_verb_name(NS_SCN_APP_VERB_UDP_SEND), "udp-send");
    CU_ASSERT_STRING_EQUAL(ns_scn_fault_verb_name(NS_SCN_FAULT_VERB_LINK_DOWN), "link down");
}

static void test_targeted_faults(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnFault *f = ns_scn_fault(scn, 0);
    CU_ASSERT_EQUAL(f->action, NS_SCN_FAULT_DROP);
    CU_ASSERT_EQUAL(f->from, 0);
    CU_ASSERT_EQUAL(f->to, 1);
    CU_ASSERT_EQUAL(f->proto, NS_SCN_PROTO_TCP);
    CU_ASSERT_EQUAL(f->kind, NS_SCN_PKT_DATA);
    CU_ASSERT_EQUAL(f->nth, 2);
    CU_ASSERT_EQUAL(ns_scn_fault(scn, 1)->kind, NS_SCN_PKT_SYN_ACK);
    const NsScnFault *d = ns_scn_fault(scn, 2);
    CU_ASSERT_EQUAL(d->action, NS_SCN_FAULT_DELAY);
    CU_ASSERT_EQUAL(d->kind, NS_SCN_PKT_FIN);
    CU_ASSERT_EQUAL(d->delay, NS_MS(300));
    CU_ASSERT_EQUAL(ns_scn_fault(scn, 3)->action, NS_SCN_FAULT_DUPLICATE);
    CU_ASSERT_EQUAL(ns_scn_fault(scn, 4)->proto, NS_SCN_PROTO_UDP);
    CU_ASSERT_EQUAL(ns_scn_fault(scn, 4)->kind, NS_SCN_PKT_ANY);
}

static void test_expectations(void)
{
    g_autoptr(NsScenario) scn = scn_ok(rich);
    const NsScnExpect *e = ns_scn_expect(scn, 0);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_FETCH);
    CU_ASSERT_EQUAL(e->u.fetch.step, 0);
    CU_ASSERT_TRUE(e->u.fetch.has_status && e->u.fetch.has_bytes);
    CU_ASSERT_EQUAL(e->u.fetch.status, 200);
    CU_ASSERT_EQUAL(e->u.fetch.bytes, 1200);
    e = ns_scn_expect(scn, 1);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_STATE);
    CU_ASSERT_EQUAL(e->u.state.sock, 2);
    CU_ASSERT_EQUAL(e->u.state.state, NS_SCN_TCP_ESTABLISHED);
    CU_ASSERT_TRUE(e->u.state.has_at);
    CU_ASSERT_EQUAL(e->u.state.at, NS_MS(15));
    e = ns_scn_expect(scn, 2);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_ERROR);
    CU_ASSERT_STRING_EQUAL(e->u.error.errno_name, "ECONNREFUSED");
    CU_ASSERT_EQUAL(e->u.error.errnum, ECONNREFUSED);
    e = ns_scn_expect(scn, 3);
    CU_ASSERT_PTR_NULL(e->u.error.errno_name);
    CU_ASSERT_EQUAL(e->u.error.errnum, 0);
    CU_ASSERT_EQUAL(e->u.error.sock, 3);
    e = ns_scn_expect(scn, 4);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_SOCKETS);
    CU_ASSERT_EQUAL(e->u.sockets.at, NS_S(1));
    CU_ASSERT_EQUAL(e->u.sockets.count[NS_SCN_TCP_LISTEN], 1);
    CU_ASSERT_EQUAL(e->u.sockets.count[NS_SCN_TCP_ESTABLISHED], 3);
    CU_ASSERT_EQUAL(e->u.sockets.count[NS_SCN_TCP_TIME_WAIT], -1);
    CU_ASSERT_EQUAL(e->u.sockets.udp, -1);
    e = ns_scn_expect(scn, 5);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_DELIVERED_ALL);
    CU_ASSERT_EQUAL(e->host, -1);
    e = ns_scn_expect(scn, 6);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_MAIL);
    CU_ASSERT_EQUAL(e->u.mail.step, 5);
    e = ns_scn_expect(scn, 7);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_PING);
    CU_ASSERT_EQUAL(e->u.ping.step, 3);
    CU_ASSERT_EQUAL(e->u.ping.received, 3);
    e = ns_scn_expect(scn, 8);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_RECEIVED);
    CU_ASSERT_EQUAL(e->u.received.sock, 1);
    CU_ASSERT_EQUAL(e->u.received.bytes, 5);
    CU_ASSERT_STRING_EQUAL(ns_scn_tcp_state_name(NS_SCN_TCP_SYN_RECEIVED), "SYN-RECEIVED");
}

static void test_socket_name_reused_after_close(void)
{
    g_autoptr(NsScenario) scn = scn_ok(NET
                                       "at 0s a socket udp as S\n"
                                       "at 1s a close S\n"
                                       "at 2s a socket tcp as S\n"
                                       "at 3s a connect S b:80\n"
                                       "expect a S state closed\n");
    CU_ASSERT_EQUAL(scn->sockets->len, 2);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 1)->u.close.sock, 0);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 3)->u.addr.sock, 1);
    CU_ASSERT_EQUAL(ns_scn_expect(scn, 0)->u.state.sock, 1);
    CU_ASSERT_FALSE(ns_scn_expect(scn, 0)->u.state.has_at);
}

static void test_declarations_in_any_order(void)
{
    g_autoptr(NsScenario) scn = scn_ok("expect a ping b received 1\n"
                                       "at 1s a ping b\n"
                                       "link a b\n"
                                       "host b 10.9.0.2\n"
                                       "host a 10.9.0.1\n");
    CU_ASSERT_EQUAL(ns_scn_link(scn, 0)->a, 1);
    CU_ASSERT_EQUAL(ns_scn_expect(scn, 0)->u.ping.step, 0);
}

static void test_crlf_and_blank_lines(void)
{
    g_autoptr(NsScenario) scn = scn_ok("\r\n  \r\nnetwork lan 10.0.0.0/24\r\nhost a 10.0.0.1\r\n");
    CU_ASSERT_EQUAL(ns_scn_host(scn, 0)->loc.line, 4);
}

static void test_expect_sockets_udp(void)
{
    g_autoptr(NsScenario) scn = scn_ok(NET "expect a sockets at 1s UDP 2 listen 0\n");
    const NsScnExpect *e = ns_scn_expect(scn, 0);
    CU_ASSERT_EQUAL(e->u.sockets.udp, 2);
    CU_ASSERT_EQUAL(e->u.sockets.count[NS_SCN_TCP_LISTEN], 0);
    CU_ASSERT_EQUAL(e->u.sockets.count[NS_SCN_TCP_ESTABLISHED], -1);
}

static void test_expect_sockets_udp_twice(void)
{
    SCN_EXPECT_ERR(NET "expect a sockets at 1s udp 1 udp 2\n",
                   "t.scn:4:30: error: count 'udp' given twice");
}

static void test_endpoint_forms(void)
{
    g_autoptr(NsScenario) scn = scn_ok(NET
                                       "at 0s a socket udp as U\n"
                                       "at 0s a bind U 10.0.0.1:0\n"
                                       "at 0s a sendto U b.example.com:7 \"x\"\n"
                                       "at 0s a sendto U 10.0.0.9:7 \"x\"\n");
    const NsScnStep *bind = ns_scn_step(scn, 1);
    CU_ASSERT_EQUAL(bind->u.addr.ep.kind, NS_SCN_TARGET_ADDR);
    CU_ASSERT_EQUAL(bind->u.addr.ep.port, 0);
    CU_ASSERT_EQUAL(bind->u.addr.ep.host, 0);
    const NsScnStep *s1 = ns_scn_step(scn, 2);
    CU_ASSERT_EQUAL(s1->u.send.to.kind, NS_SCN_TARGET_NAME);
    CU_ASSERT_STRING_EQUAL(s1->u.send.to.name, "b.example.com");
    CU_ASSERT_EQUAL(s1->u.send.to.host, 1);
    CU_ASSERT_EQUAL(ns_scn_step(scn, 3)->u.send.to.host, -1);
}


/* ---- question (netsim lab) ---- */

#define Q_NET NET "at 0s a socket tcp as S\nat 0s a connect S b:80\n"

static void test_question_forms(void)
{
    g_autoptr(NsScenario) scn = scn_ok(Q_NET
                                       "question \"Which port?\" a S port ?\n"
                                       "question \"State at 1s?\" a S state ? at 1s\n"
                                       "question \"Error?\" a S error ?\n"
                                       "question \"Bytes?\" a S received ?\n"
                                       "question \"Listening?\" b sockets at 2s listen ?\n"
                                       "question \"UDP?\" b sockets at 2s udp ?\n");
    CU_ASSERT_EQUAL(scn->questions->len, 6);
    CU_ASSERT_EQUAL(scn->expects->len, 0);
    const NsScnQuestion *q = ns_scn_question(scn, 0);
    CU_ASSERT_STRING_EQUAL(q->text, "Which port?");
    CU_ASSERT_EQUAL(q->ask, NS_SCN_ASK_PORT);
    CU_ASSERT_EQUAL(q->subject.kind, NS_SCN_EXPECT_PORT);
    CU_ASSERT_EQUAL(q->subject.host, 0);
    CU_ASSERT_EQUAL(q->loc.line, 6);
    q = ns_scn_question(scn, 1);
    CU_ASSERT_EQUAL(q->ask, NS_SCN_ASK_STATE);
    CU_ASSERT_TRUE(q->subject.u.state.has_at);
    CU_ASSERT_EQUAL(q->subject.u.state.at, NS_S(1));
    CU_ASSERT_EQUAL(ns_scn_question(scn, 2)->ask, NS_SCN_ASK_ERROR);
    CU_ASSERT_EQUAL(ns_scn_question(scn, 3)->ask, NS_SCN_ASK_RECEIVED);
    q = ns_scn_question(scn, 4);
    CU_ASSERT_EQUAL(q->ask, NS_SCN_ASK_SOCKETS);
    CU_ASSERT_EQUAL(q->state, NS_SCN_TCP_LISTEN);
    CU_ASSERT_EQUAL(q->subject.u.sockets.at, NS_S(2));
    CU_ASSERT_EQUAL(ns_scn_question(scn, 5)->state, -1);
}

static void test_question_needs_quoted_text(void)
{
    SCN_EXPECT_ERR(Q_NET "question which a S port ?\n",
                   "t.scn:6:10: error: expected the question in double quotes, not 'which' (as in: "
                   "question \"Which port did cli use?\" cli S port ?)");
}

static void test_question_needs_mark(void)
{
    SCN_EXPECT_ERR(Q_NET "question \"Which port?\" a S port\n",
                   "t.scn:6:28: error: a question needs '?' where its answer goes (as in: "
                   "question \"Which port did cli use?\" cli S port ?)");
}

static void test_question_one_mark(void)
{
    SCN_EXPECT_ERR(Q_NET "question \"Which?\" a S state ? at ?\n",
                   "t.scn:6:34: error: a question asks one thing: one '?' only");
}

static void test_question_mark_in_place(void)
{
    SCN_EXPECT_ERR(Q_NET "question \"Which?\" a ? state closed\n",
                   "t.scn:6:21: error: '?' stands for the answer: after a socket's state, error, "
                   "received or port, or after a state of 'sockets at T' (as in: question "
                   "\"Which port did cli use?\" cli S port ?)");
}

static void test_question_one_state(void)
{
    SCN_EXPECT_ERR(Q_NET "question \"How many?\" b sockets at 1s listen 1 established ?\n",
                   "t.scn:6:38: error: a question about sockets counts one state: HOST sockets "
                   "at T STATE ?");
}

static void test_question_checks_like_expect(void)
{
    SCN_EXPECT_ERR(Q_NET "question \"Which?\" a T port ?\n",
                   "t.scn:6:21: error: unknown socket 'T' on host 'a' (did you mean 'S'?)");
}

static void test_expect_port(void)
{
    g_autoptr(NsScenario) scn = scn_ok(Q_NET "expect a S port 49152\n");
    const NsScnExpect *e = ns_scn_expect(scn, 0);
    CU_ASSERT_EQUAL(e->kind, NS_SCN_EXPECT_PORT);
    CU_ASSERT_EQUAL(e->u.port.sock, 0);
    CU_ASSERT_EQUAL(e->u.port.port, 49152);
}

/* `unfilter` names a rule by its name, its line, or the FILE:LINE or
 * FILE-LINE a drop line prints; another file's line is not this one's. */
static void test_unfilter_by_name_line_or_file_line(void)
{
    static const char *const ok[] = {"as web", "4", "t.scn:4", "t.scn-4"};
    for (guint i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *text = g_strdup_printf(
            "network lan 10.0.0.0/24\nhost a 10.0.0.1\nhost b 10.0.0.2\n"
            "filter b in drop tcp to :80%s\nat 1s unfilter %s\n",
            i == 0 ? " as web" : "", i == 0 ? "web" : ok[i]);
        NsScenario *scn = scn_ok(text);
        CU_ASSERT_PTR_NOT_NULL_FATAL(scn);
        CU_ASSERT_EQUAL(scn->steps->len, 1);
        ns_scenario_free(scn);
    }
    SCN_EXPECT_ERR("network lan 10.0.0.0/24\nhost a 10.0.0.1\nhost b 10.0.0.2\n"
                   "filter b in drop tcp to :80\nat 1s unfilter other.scn-4\n",
                   "t.scn:5:16: error: no filter rule named 'other.scn-4' above this line (give "
                   "a rule 'as NAME', or its line number)");
}

CU_TestInfo ns_parser_tests[] = {
    {"unfilter_by_name_line_or_file_line", test_unfilter_by_name_line_or_file_line},
    {"rich_scenario_loads", test_rich_scenario_loads},
    {"header_defaults", test_header_defaults},
    {"host_addresses_follow_each_other_in_host_order",
     test_host_addresses_follow_each_other_in_host_order},
    {"network_options", test_network_options},
    {"ipv6_endpoints_and_resolve_aaaa", test_ipv6_endpoints_and_resolve_aaaa},
    {"ipv6_networks_hosts_and_ping", test_ipv6_networks_hosts_and_ping},
    {"ipv6_only_host", test_ipv6_only_host},
    {"ipv6_only_links_switches_dns", test_ipv6_only_links_switches_dns},
    {"ipv6_url_and_mail", test_ipv6_url_and_mail},
    {"ipv6_routes", test_ipv6_routes},
    {"ipv6_filter_rules", test_ipv6_filter_rules},
    {"ipv6_filter_rule_with_state", test_ipv6_filter_rule_with_state},
    {"ipv6_route_steps_and_expect", test_ipv6_route_steps_and_expect},
    {"ipv6_link_local_next_hop_needs_dev", test_ipv6_link_local_next_hop_needs_dev},
    {"hosts", test_hosts},
    {"services", test_services},
    {"application_steps", test_application_steps},
    {"ping_defaults", test_ping_defaults},
    {"ping_ttl", test_ping_ttl},
    {"routing_manual_and_routes", test_routing_manual_and_routes},
    {"switch_and_its_ports", test_switch_and_its_ports},
    {"traceroute_defaults_and_options", test_traceroute_defaults_and_options},
    {"traceroute_tcp_needs_a_port", test_traceroute_tcp_needs_a_port},
    {"routing_is_automatic_by_default", test_routing_is_automatic_by_default},
    {"route_and_unroute_steps", test_route_and_unroute_steps},
    {"route_next_hop_must_be_on_link", test_route_next_hop_must_be_on_link},
    {"socket_steps", test_socket_steps},
    {"fault_steps", test_fault_steps},
    {"setsockopt_on_off", test_setsockopt_on_off},
    {"setsockopt_values", test_setsockopt_values},
    {"setsockopt_bad_values", test_setsockopt_bad_values},
    {"setsockopt_unknown_option", test_setsockopt_unknown_option},
    {"program_steps", test_program_steps},
    {"program_unknown", test_program_unknown},
    {"program_app_verb", test_program_app_verb},
    {"program_twice", test_program_twice},
    {"program_dotted_name", test_program_dotted_name},
    {"program_needs_on", test_program_needs_on},
    {"program_dotted_host_wins", test_program_dotted_host_wins},
    {"program_host_name_clash", test_program_host_name_clash},
    {"targeted_faults", test_targeted_faults},
    {"expectations", test_expectations},
    {"socket_name_reused_after_close", test_socket_name_reused_after_close},
    {"declarations_in_any_order", test_declarations_in_any_order},
    {"crlf_and_blank_lines", test_crlf_and_blank_lines},
    {"endpoint_forms", test_endpoint_forms},
    {"expect_sockets_udp", test_expect_sockets_udp},
    {"expect_sockets_udp_twice", test_expect_sockets_udp_twice},
    {"question_forms", test_question_forms},
    {"question_needs_quoted_text", test_question_needs_quoted_text},
    {"question_needs_mark", test_question_needs_mark},
    {"question_one_mark", test_question_one_mark},
    {"question_mark_in_place", test_question_mark_in_place},
    {"question_one_state", test_question_one_state},
    {"question_checks_like_expect", test_question_checks_like_expect},
    {"expect_port", test_expect_port},
    CU_TEST_INFO_NULL,
};
