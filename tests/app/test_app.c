/* Tests of the applications over a real little network built with the
 * lower layers: one LAN (1 ms delay) with a client, a DNS server, a web
 * server and a mail server. DNS runs over UDP; HTTP and SMTP over TCP.
 * Targeted losses come from an IP output filter on the client. */
#include "netsim/app.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>

#include "../net/fixture.h"
#include "netsim/netfilter.h"
#include "netsim/tcp.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/dns.h"
#include "netsim/wire/ipv4.h"
#include "netsim-private/packet.h"

#define CLI_ADDR 0x0a000001u  /* 10.0.0.1 */
#define NS_ADDR 0x0a000035u   /* 10.0.0.53 */
#define WWW_ADDR 0x0a000050u  /* 10.0.0.80 */
#define MAIL_ADDR 0x0a000019u /* 10.0.0.25 */

static const NsDnsEntry entries[] = {
    {.name = "www.example.com", .addr = WWW_ADDR},
    {.name = "mail.example.com", .addr = MAIL_ADDR},
};
static const NsDnsTable names = {entries, G_N_ELEMENTS(entries)};
static const NsHttpPage pages[] = {{"/index.html", 1200}, {"/big.bin", 1000000}};

static NsHost *cli, *ns, *www, *mail;

/* What the callbacks saw. */
static struct {
    int calls;
    NsResolveResult resolve;
    NsFetchResult fetch;
    NsMailResult mail;
} seen;

/* The client drops the first `drop_dns` DNS queries it sends. */
static uint32_t drop_dns;

static NsIpFilterVerdict drop_queries(void *data, const NsPacket *p, NsTime *delay,
                                      NsIpFault *fault)
{
    (void)data;
    (void)delay;
    size_t ihl = (size_t)(p->data[0] & 0xf) * 4;
    if (drop_dns && p->data[9] == NS_IPPROTO_UDP && p->len >= ihl + 8 &&
        ns_read_be16(p->data + ihl + 2) == NS_DNS_PORT) {
        drop_dns--;
        *fault = (NsIpFault){.action = NS_FAULT_DROP, .rule = "test drops the query"};
        return NS_IP_FILTER_DROP;
    }
    return NS_IP_FILTER_PASS;
}

/* www.example.com with an IPv6 address too, for a dual-stack cli. */
static const NsDnsEntry entries6[] = {
    {.name = "www.example.com", .addr = WWW_ADDR, .has6 = true,
     .addr6 = {{0x20, 0x01, 0x0d, 0xb8, [15] = 0x80}}},
};
static const NsDnsTable names6 = {entries6, G_N_ELEMENTS(entries6)};

static void add_addr6(NsHost *h, const char *addr)
{
    NsIpv6Addr a;
    CU_ASSERT_FATAL(ns_ipv6_parse_addr(addr, &a));
    ns_iface_add_addr6(ns_host_iface(h, 0), &a, 64);
}

/* The LAN; with `dual`, cli and www have IPv6 addresses too (2001:db8::1,
 * 2001:db8::80). */
static void build_lan(bool dual)
{
    fx_setup(7);
    NsSegment *lan = fx_network("lan", NS_MS(1));
    cli = fx_host("cli", false, NS_PROFILE_MINIMAL);
    ns = fx_host("ns", false, NS_PROFILE_MINIMAL);
    www = fx_host("www", false, NS_PROFILE_MINIMAL);
    mail = fx_host("mail", false, NS_PROFILE_MINIMAL);
    fx_addr(cli, "10.0.0.1", 24, lan);
    fx_addr(ns, "10.0.0.53", 24, lan);
    fx_addr(www, "10.0.0.80", 24, lan);
    fx_addr(mail, "10.0.0.25", 24, lan);
    if (dual) {
        add_addr6(cli, "2001:db8::1");
        add_addr6(www, "2001:db8::80");
    }
    fx_routes();
    fx.ctx.decoder = ns_app_decode;
    memset(&seen, 0, sizeof seen);
    drop_dns = 0;
    ns_ip_set_output_filter(ns_ip_of(cli), drop_queries, NULL);
}

static void build(void)
{
    build_lan(false);
}

static void on_resolve(void *data, const NsResolveResult *res)
{
    (void)data;
    seen.calls++;
    seen.resolve = *res;
}

static void on_fetch(void *data, const NsFetchResult *res)
{
    (void)data;
    seen.calls++;
    seen.fetch = *res;
}

static void on_mail(void *data, const NsMailResult *res)
{
    (void)data;
    seen.calls++;
    seen.mail = *res;
}

/* True when some app event's text contains `needle`. */
static bool app_said(const char *needle)
{
    for (guint i = 0; i < fx.events->len; i++) {
        const CapturedEvent *c = &g_array_index(fx.events, CapturedEvent, i);
        if (c->kind == NS_TRACE_APP && c->text && strstr(c->text, needle))
            return true;
    }
    return false;
}

/* ---- payload decoder ---- */

static void test_decode_dns_either_side(void)
{
    static const uint8_t q[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                                3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    char s[128];
    CU_ASSERT_TRUE(ns_app_decode(NULL, NS_IPPROTO_UDP, 40000, 53, q, sizeof q, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "DNS A? www.example.com");
    CU_ASSERT_TRUE(ns_app_decode(NULL, NS_IPPROTO_UDP, 53, 40000, q, sizeof q, s, sizeof s));
    CU_ASSERT_FALSE(ns_app_decode(NULL, NS_IPPROTO_UDP, 40000, 5353, q, sizeof q, s, sizeof s));
    CU_ASSERT_TRUE(ns_app_decode(NULL, NS_IPPROTO_UDP, 40000, 53, (const uint8_t *)"?", 1, s,
                                 sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "DNS (truncated)");
}

static void test_decode_http_any_port_smtp_on_25(void)
{
    char s[128];
    static const char get[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    CU_ASSERT_TRUE(ns_app_decode(NULL, NS_IPPROTO_TCP, 49152, 8080, (const uint8_t *)get,
                                 strlen(get), s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "HTTP GET /index.html");
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n";
    CU_ASSERT_TRUE(ns_app_decode(NULL, NS_IPPROTO_TCP, 80, 49152, (const uint8_t *)ok,
                                 strlen(ok), s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "HTTP 200 OK (1200B)");
    CU_ASSERT_TRUE(ns_app_decode(NULL, NS_IPPROTO_TCP, 49152, 25, (const uint8_t *)"EHLO pc\r\n",
                                 9, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "SMTP EHLO pc");
    CU_ASSERT_TRUE(ns_app_decode(NULL, NS_IPPROTO_TCP, 49152, 25, (const uint8_t *)"Hi\r\n", 4,
                                 s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "SMTP message text (4B)");
    CU_ASSERT_FALSE(ns_app_decode(NULL, NS_IPPROTO_TCP, 49152, 80, (const uint8_t *)"abcdef", 6,
                                  s, sizeof s));
    CU_ASSERT_FALSE(ns_app_decode(NULL, NS_IPPROTO_ICMP, 0, 0, (const uint8_t *)"GET ", 4, s,
                                  sizeof s));
}

/* ---- DNS ---- */

static void test_dns_resolve_answered(void)
{
    build();
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names);
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "WWW.example.com", NULL, on_resolve, NULL);
    CU_ASSERT_EQUAL(seen.calls, 0); /* never synchronously */
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_OK);
    CU_ASSERT_EQUAL(seen.resolve.addr, WWW_ADDR);
    CU_ASSERT_EQUAL(seen.resolve.tries, 1);
    CU_ASSERT_FALSE(seen.resolve.from_table);
    CU_ASSERT_EQUAL(ns_dns_server_answered(srv), 1);
    CU_ASSERT_TRUE(app_said("WWW.example.com: 10.0.0.80 from 10.0.0.53"));
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

static void test_dns_resolve_unknown_name_nxdomain(void)
{
    build();
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names);
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "nowhere.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_NXDOMAIN);
    CU_ASSERT_EQUAL(seen.resolve.rcode, NS_DNS_RCODE_NXDOMAIN);
    CU_ASSERT_TRUE(app_said("no such name (NXDOMAIN from 10.0.0.53)"));
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

static void test_dns_resolve_lost_query_retried(void)
{
    build();
    drop_dns = 1;
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names);
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "www.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_OK);
    CU_ASSERT_EQUAL(seen.resolve.tries, 2);
    CU_ASSERT_TRUE(seen.resolve.elapsed >= NS_DNS_TIMEOUT);
    CU_ASSERT_TRUE(seen.resolve.elapsed < NS_DNS_TIMEOUT + NS_MS(100));
    CU_ASSERT_TRUE(app_said("asking again (try 2 of 2)"));
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

static void test_dns_resolve_every_query_lost_times_out(void)
{
    build();
    drop_dns = 100;
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names);
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "www.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(60));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_TIMEOUT);
    CU_ASSERT_EQUAL(seen.resolve.err, ETIMEDOUT);
    CU_ASSERT_EQUAL(seen.resolve.tries, NS_DNS_ATTEMPTS);
    CU_ASSERT_EQUAL(seen.resolve.elapsed, NS_DNS_ATTEMPTS * NS_DNS_TIMEOUT);
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

static void test_dns_resolve_no_server_refused(void)
{
    build();
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "www.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_ERROR);
    CU_ASSERT_EQUAL(seen.resolve.err, ECONNREFUSED);
    ns_resolve_free(r);
    fx_teardown();
}

static void test_dns_resolve_from_table_sends_nothing(void)
{
    build();
    NsResolve *r = ns_dns_resolve(cli, 0, "mail.example.com", &names, on_resolve, NULL);
    CU_ASSERT_EQUAL(seen.calls, 0);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_OK);
    CU_ASSERT_EQUAL(seen.resolve.addr, MAIL_ADDR);
    CU_ASSERT_TRUE(seen.resolve.from_table);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, FX_ANY), 0);
    CU_ASSERT_TRUE(app_said("no DNS server in this network"));
    ns_resolve_free(r);
    fx_teardown();
}

static void test_dns_resolve_from_table_unknown_nxdomain(void)
{
    build();
    NsResolve *r = ns_dns_resolve(cli, 0, "nowhere", &names, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_NXDOMAIN);
    CU_ASSERT_TRUE(seen.resolve.from_table);
    ns_resolve_free(r);
    fx_teardown();
}

static void test_dns_resolve_address_literal(void)
{
    build();
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "10.0.0.80", NULL, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.addr, WWW_ADDR);
    CU_ASSERT_EQUAL(seen.resolve.tries, 0);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, FX_ANY), 0);
    ns_resolve_free(r);
    fx_teardown();
}

/* A raw UDP client sends `q` to the server and keeps the answer. */
static uint8_t raw_answer[512];
static long raw_answer_len;

static void raw_readable(void *data, NsSocket *sock)
{
    (void)data;
    raw_answer_len = ns_socket_recvfrom(sock, raw_answer, sizeof raw_answer, NULL, NULL);
}

static void test_dns_server_formerr_for_two_questions(void)
{
    build();
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names);
    uint8_t q[12] = {0xab, 0xcd, 1, 0, 0, 2}; /* two questions announced, none present */
    int err;
    NsSocket *s = ns_socket_new(cli, NS_SOCK_UDP, &err);
    ns_socket_set_watch(s, raw_readable, NULL);
    raw_answer_len = 0;
    CU_ASSERT_EQUAL(ns_socket_sendto(s, q, sizeof q, NS_ADDR, 53), 0);
    fx_run(NS_S(1));
    CU_ASSERT_EQUAL_FATAL(raw_answer_len, NS_DNS_HLEN);
    NsDnsHeader h;
    CU_ASSERT_EQUAL_FATAL(ns_dns_header_parse(raw_answer, (size_t)raw_answer_len, &h), NS_WIRE_OK);
    CU_ASSERT_EQUAL(h.id, 0xabcd);
    CU_ASSERT_TRUE(h.qr);
    CU_ASSERT_EQUAL(h.rcode, NS_DNS_RCODE_FORMERR);
    ns_socket_close(s);
    ns_dns_server_free(srv);
    fx_teardown();
}

static void test_dns_server_port_taken_null(void)
{
    build();
    NsDnsServer *a = ns_dns_server_start(ns, 53, &names);
    NsDnsServer *b = ns_dns_server_start(ns, 53, &names);
    CU_ASSERT_PTR_NOT_NULL(a);
    CU_ASSERT_PTR_NULL(b);
    CU_ASSERT_TRUE(app_said("dns on udp port 53 failed to start"));
    ns_dns_server_free(a);
    fx_teardown();
}

static void test_dns_crash_forgets_sockets(void)
{
    build();
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names);
    drop_dns = 1;
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "www.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(1));
    ns_socket_layer_crash(cli);
    ns_resolve_crash(r);
    ns_socket_layer_crash(ns);
    ns_dns_server_crash(srv);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL(seen.calls, 0); /* the retry timer went with the crash */
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

/* ---- HTTP (needs TCP) ---- */

static NsFetchSpec spec_for(const char *host, const char *path)
{
    NsFetchSpec s = {.host = host, .path = path, .dns_server = {.addr = NS_ADDR}, .names = &names};
    return s;
}

static void test_http_fetch_by_name_200(void)
{
    build();
    NsDnsServer *dns = ns_dns_server_start(ns, 53, &names);
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = spec_for("www.example.com", "/index.html");
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.status, 200);
    CU_ASSERT_EQUAL(seen.fetch.bytes, 1200);
    CU_ASSERT_EQUAL(seen.fetch.responses, 1);
    CU_ASSERT_PTR_NOT_NULL(ns_fetch_result(f));
    CU_ASSERT_EQUAL(ns_http_server_requests(srv), 1);
    CU_ASSERT_EQUAL(ns_http_server_connections(srv), 0); /* closed after the client's FIN */
    CU_ASSERT_TRUE(app_said("http://www.example.com/index.html: 200 OK, 1200B in"));
    ns_fetch_free(f);
    ns_http_server_free(srv);
    ns_dns_server_free(dns);
    fx_teardown();
}

static void test_http_fetch_missing_404(void)
{
    build();
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = spec_for("10.0.0.80", "/nope.html");
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.status, 404);
    CU_ASSERT_TRUE(seen.fetch.bytes > 0);
    ns_fetch_free(f);
    ns_http_server_free(srv);
    fx_teardown();
}

static void test_http_fetch_keep_alive_one_connection(void)
{
    build();
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = spec_for("10.0.0.80", "/index.html");
    sp.requests = 3;
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.responses, 3);
    CU_ASSERT_EQUAL(seen.fetch.bytes, 3600);
    CU_ASSERT_EQUAL(ns_http_server_requests(srv), 3);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_TCP, NS_CAUSE_RCV_SYN_LISTENER) + fx_count(NS_TRACE_TCP, NS_CAUSE_RCV_SYN_ACK), 2); /* one handshake: server, client */
    ns_fetch_free(f);
    ns_http_server_free(srv);
    fx_teardown();
}

static void test_http_fetch_parallel_connections(void)
{
    build();
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = spec_for("10.0.0.80", "/index.html");
    sp.parallel = 3;
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.responses, 3);
    CU_ASSERT_EQUAL(seen.fetch.bytes, 3600);
    CU_ASSERT_EQUAL(ns_http_server_requests(srv), 3);
    ns_fetch_free(f);
    ns_http_server_free(srv);
    fx_teardown();
}

static void test_http_fetch_big_page(void)
{
    build();
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = spec_for("10.0.0.80", "/big.bin");
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(120));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.bytes, 1000000);
    ns_fetch_free(f);
    ns_http_server_free(srv);
    fx_teardown();
}

static void test_http_fetch_no_server_refused(void)
{
    build();
    NsFetchSpec sp = spec_for("10.0.0.80", "/");
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_FALSE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.err, ECONNREFUSED);
    CU_ASSERT_EQUAL(seen.fetch.responses, 0);
    ns_fetch_free(f);
    fx_teardown();
}

static void test_http_fetch_unknown_name_fails(void)
{
    build();
    NsDnsServer *dns = ns_dns_server_start(ns, 53, &names);
    NsFetchSpec sp = spec_for("nowhere.example.com", "/");
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_FALSE(seen.fetch.ok);
    CU_ASSERT_STRING_EQUAL(seen.fetch.why, "could not resolve the name");
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_TCP, FX_ANY), 0);
    ns_fetch_free(f);
    ns_dns_server_free(dns);
    fx_teardown();
}

/* A raw TCP client: sends `req` once connected, keeps what it reads. */
static struct {
    const char *req;
    bool sent, eof;
    GString *got;
} raw;

static void raw_tcp_ready(void *data, NsSocket *sock)
{
    (void)data;
    if (!raw.sent && ns_socket_state(sock) == NS_TCP_STATE_ESTABLISHED) {
        raw.sent = true;
        ns_socket_write(sock, (const uint8_t *)raw.req, strlen(raw.req));
    }
    uint8_t buf[4096];
    long n;
    while ((n = ns_socket_recvfrom(sock, buf, sizeof buf, NULL, NULL)) > 0)
        g_string_append_len(raw.got, (const char *)buf, n);
    if (n == 0)
        raw.eof = true;
}

static void test_http_server_honours_connection_close(void)
{
    build();
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    raw.req = "GET /index.html HTTP/1.1\r\nHost: www\r\nConnection: close\r\n\r\n";
    raw.sent = raw.eof = false;
    raw.got = g_string_new(NULL);
    int err;
    NsSocket *s = ns_socket_new(cli, NS_SOCK_TCP, &err);
    ns_socket_set_watch(s, raw_tcp_ready, NULL);
    CU_ASSERT_EQUAL(ns_socket_connect(s, WWW_ADDR, 80), 0);
    fx_run(NS_S(10));
    CU_ASSERT_TRUE(raw.eof); /* the server closed first */
    CU_ASSERT_TRUE(g_str_has_prefix(raw.got->str, "HTTP/1.1 200 OK\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(raw.got->str, "Connection: close\r\n"));
    CU_ASSERT_EQUAL(ns_http_server_connections(srv), 0);
    ns_socket_close(s);
    g_string_free(raw.got, TRUE);
    ns_http_server_free(srv);
    fx_teardown();
}

/* The server crashes right after its first response of a keep-alive
 * fetch and restarts: the client's second request, retransmitted to the
 * restarted host, meets a RST. (A client that is only waiting for data
 * sends nothing and would wait forever, as on a real host.) */
static void test_http_server_crash_between_requests_reset(void)
{
    build();
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = spec_for("10.0.0.80", "/index.html");
    sp.requests = 2;
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    NsTime t = 0;
    while (ns_http_server_requests(srv) == 0 && t < NS_S(1))
        fx_run(t += NS_US(100));
    ns_socket_layer_crash(www);
    ns_http_server_crash(srv);
    ns_http_server_free(srv);
    ns_host_set_up(www, false);
    fx_run(NS_MS(500));
    ns_host_set_up(www, true);
    srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    fx_run(NS_S(120));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_FALSE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.err, ECONNRESET);
    CU_ASSERT_EQUAL(seen.fetch.responses, 1);
    ns_fetch_free(f);
    ns_http_server_free(srv);
    fx_teardown();
}

/* ---- SMTP (needs TCP) ---- */

static void test_smtp_mail_accepted(void)
{
    build();
    NsDnsServer *dns = ns_dns_server_start(ns, 53, &names);
    NsSmtpServer *srv = ns_smtp_server_start(mail, 25);
    static const char msg[] = "Subject: hi\r\n\r\n.hello\r\n";
    NsMailSpec sp = {.server = "mail.example.com", .message = (const uint8_t *)msg,
                     .len = strlen(msg), .dns_server = {.addr = NS_ADDR}, .names = &names};
    NsMail *m = ns_mail_start(cli, &sp, on_mail, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.mail.ok);
    CU_ASSERT_EQUAL(seen.mail.code, 221);
    CU_ASSERT_EQUAL(ns_smtp_server_messages(srv), 1);
    CU_ASSERT_TRUE(app_said("message from <cli@cli> to <postmaster@mail.example.com>: 23B"));
    ns_mail_free(m);
    ns_smtp_server_free(srv);
    ns_dns_server_free(dns);
    fx_teardown();
}

/* A message given as a size (the payload pattern) is made piece by piece
 * as the socket takes it: 1 MB goes through, dot-stuffed, and arrives
 * whole: its 27,027 bare LFs become CRLFs, and the CRLF that ends the
 * text goes after the last line ("a"). */
static void test_smtp_mail_pattern_message(void)
{
    build();
    NsSmtpServer *srv = ns_smtp_server_start(mail, 25);
    NsMailSpec sp = {.addr = MAIL_ADDR, .message = NULL, .len = 1000000};
    NsMail *m = ns_mail_start(cli, &sp, on_mail, NULL);
    fx_run(NS_S(60));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.mail.ok);
    CU_ASSERT_EQUAL(ns_smtp_server_messages(srv), 1);
    CU_ASSERT_TRUE(app_said(": 1027029B accepted"));
    ns_mail_free(m);
    ns_smtp_server_free(srv);
    fx_teardown();
}

static void test_smtp_mail_no_server_refused(void)
{
    build();
    NsMailSpec sp = {.addr = MAIL_ADDR, .message = (const uint8_t *)"x", .len = 1};
    NsMail *m = ns_mail_start(cli, &sp, on_mail, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_FALSE(seen.mail.ok);
    CU_ASSERT_EQUAL(seen.mail.err, ECONNREFUSED);
    ns_mail_free(m);
    fx_teardown();
}

static void test_smtp_server_bad_sequence_503(void)
{
    build();
    NsSmtpServer *srv = ns_smtp_server_start(mail, 25);
    raw.req = "DATA\r\nQUIT\r\n";
    raw.sent = raw.eof = false;
    raw.got = g_string_new(NULL);
    int err;
    NsSocket *s = ns_socket_new(cli, NS_SOCK_TCP, &err);
    ns_socket_set_watch(s, raw_tcp_ready, NULL);
    ns_socket_connect(s, MAIL_ADDR, 25);
    fx_run(NS_S(10));
    CU_ASSERT_TRUE(g_str_has_prefix(raw.got->str, "220 mail ESMTP netsim\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(raw.got->str, "503 Need RCPT first\r\n221 Bye\r\n"));
    CU_ASSERT_TRUE(raw.eof);
    CU_ASSERT_EQUAL(ns_smtp_server_messages(srv), 0);
    ns_socket_close(s);
    g_string_free(raw.got, TRUE);
    ns_smtp_server_free(srv);
    fx_teardown();
}

/* ---- traceroute ---- */

static NsTracerouteProbe probe(const char *from, NsTime rtt)
{
    return (NsTracerouteProbe){.answered = true, .from = fx_ip(from), .rtt = rtt};
}

static const char *names_of(void *data, uint32_t addr)
{
    (void)data;
    return addr == fx_ip("10.0.1.254") ? "gw" : NULL;
}

static void test_traceroute_hop_names_the_router_once(void)
{
    NsTracerouteProbe p[3] = {probe("10.0.1.254", 2003000), probe("10.0.1.254", 2001000),
                              probe("10.0.1.254", 2002000)};
    g_autofree char *l = ns_traceroute_format_hop(1, p, 3, names_of, NULL);
    CU_ASSERT_STRING_EQUAL(l, " 1  gw (10.0.1.254)  2.003 ms  2.001 ms  2.002 ms");
}

static void test_traceroute_hop_without_answers_is_stars(void)
{
    NsTracerouteProbe p[3] = {{0}};
    g_autofree char *l = ns_traceroute_format_hop(12, p, 3, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(l, "12  * * *");
}

/* A name that does not resolve is the address twice; a probe answered by
 * another router names it; a star between keeps the last address. */
static void test_traceroute_hop_names_each_new_address(void)
{
    NsTracerouteProbe p[4] = {probe("10.0.2.1", 4000000), {0}, probe("10.0.2.1", 4000400),
                              probe("10.0.3.1", 5123456)};
    g_autofree char *l = ns_traceroute_format_hop(2, p, 4, names_of, NULL);
    CU_ASSERT_STRING_EQUAL(l, " 2  10.0.2.1 (10.0.2.1)  4.000 ms *  4.000 ms "
                              "10.0.3.1 (10.0.3.1)  5.123 ms");
}

/* Round to the microsecond as %.3f does; an unreachable is annotated. */
static void test_traceroute_hop_rounds_and_annotates(void)
{
    NsTracerouteProbe p = probe("10.0.2.1", 999500);
    snprintf(p.annot, sizeof p.annot, "!H");
    g_autofree char *l = ns_traceroute_format_hop(3, &p, 1, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(l, " 3  10.0.2.1 (10.0.2.1)  1.000 ms !H");
}

/* pc -- r1 -- r2 -- srv, 1 ms per network. */
static NsHost *tr_pc, *tr_r2, *tr_srv;

static void routed(void)
{
    fx_setup(3);
    NsSegment *a = fx_network("a", NS_MS(1)), *b = fx_network("b", NS_MS(1)),
              *c = fx_network("c", NS_MS(1));
    tr_pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    NsHost *r1 = fx_host("r1", true, NS_PROFILE_MINIMAL);
    NsHost *r2 = tr_r2 = fx_host("r2", true, NS_PROFILE_MINIMAL);
    tr_srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    fx_addr(tr_pc, "10.0.1.10", 24, a);
    fx_addr(r1, "10.0.1.254", 24, a);
    fx_addr(r1, "10.0.2.1", 24, b);
    fx_addr(r2, "10.0.2.2", 24, b);
    fx_addr(r2, "10.0.3.1", 24, c);
    fx_addr(tr_srv, "10.0.3.20", 24, c);
    fx_routes();
}

/* The app lines of a run, joined by newlines. */
static char *app_lines(void)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < fx.events->len; i++) {
        const CapturedEvent *c = &g_array_index(fx.events, CapturedEvent, i);
        if (c->kind == NS_TRACE_APP)
            g_string_append_printf(s, "%s\n", c->text);
    }
    return g_string_free(s, FALSE);
}

static void test_traceroute_udp_finds_both_routers_then_the_target(void)
{
    routed();
    NsTracerouteSpec spec = {.dst = fx_ip("10.0.3.20"), .name_of = names_of};
    NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(ns_traceroute_done(t));
    CU_ASSERT_TRUE(ns_traceroute_reached(t));
    CU_ASSERT_EQUAL(ns_traceroute_hops(t), 3);
    g_autofree char *lines = app_lines();
    /* ARP takes 2 ms on the first hop of each network. */
    CU_ASSERT_STRING_EQUAL(lines,
                           "to 10.0.3.20 (10.0.3.20), 30 hops max, 60 byte packets\n"
                           " 1  gw (10.0.1.254)  4.000 ms  4.000 ms  4.000 ms\n"
                           " 2  10.0.2.2 (10.0.2.2)  6.000 ms  6.000 ms  6.000 ms\n"
                           " 3  10.0.3.20 (10.0.3.20)  8.000 ms  8.000 ms  8.000 ms\n");
    /* Three probes per hop, the last three to ports 33440..33442. */
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_TTL_EXCEEDED), 6);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_NO_SOCKET), 3);
    ns_traceroute_free(t);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

static void test_traceroute_icmp_ends_with_the_echo_reply(void)
{
    routed();
    NsTracerouteSpec spec = {.dst = fx_ip("10.0.3.20"), .method = NS_TRACEROUTE_ICMP,
                             .queries = 1};
    NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(ns_traceroute_reached(t));
    CU_ASSERT_EQUAL(ns_traceroute_hops(t), 3);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 2); /* TTL exceeded at r1, then r2 */
    ns_traceroute_free(t);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

static void test_traceroute_tcp_ends_with_the_targets_answer(void)
{
    routed();
    NsTracerouteSpec spec = {.dst = fx_ip("10.0.3.20"), .method = NS_TRACEROUTE_TCP,
                             .port = 80, .queries = 2};
    NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(ns_traceroute_reached(t)); /* a RST from the closed port */
    CU_ASSERT_EQUAL(ns_traceroute_hops(t), 3);
    ns_traceroute_free(t);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

/* An unreachable ends it, annotated as traceroute does (!N). */
static void test_traceroute_unreachable_ends_with_its_annotation(void)
{
    routed();
    NsTracerouteSpec spec = {.dst = fx_ip("10.9.9.9"), .max_hops = 2, .queries = 1};
    NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(ns_traceroute_done(t));
    CU_ASSERT_FALSE(ns_traceroute_reached(t));
    g_autofree char *lines = app_lines();
    /* r1 has no route for 10.9.9.9: net unreachable for the first probe,
     * before its TTL is looked at (as Linux routes first). */
    CU_ASSERT_STRING_EQUAL(lines,
                           "to 10.9.9.9 (10.9.9.9), 2 hops max, 60 byte packets\n"
                           " 1  10.0.1.254 (10.0.1.254)  4.000 ms !N\n");
    ns_traceroute_free(t);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

/* A hop that never answers waits 5 s per probe; max-hops ends it. */
static void test_traceroute_silent_hops_are_stars_until_max_hops(void)
{
    routed();
    NsNfRule r = {.id = 1, .chain = NS_NF_CHAIN_OUT, .action = NS_NF_DROP,
                  .proto = NS_IPPROTO_ICMP, .file = "t.scn", .line = 1};
    ns_nf_rule_add(ns_netfilter_of(ns_ip_of(tr_r2)), &r);
    NsTracerouteSpec spec = {.dst = fx_ip("10.0.3.20"), .max_hops = 2, .queries = 2};
    NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(ns_traceroute_done(t));
    CU_ASSERT_FALSE(ns_traceroute_reached(t));
    g_autofree char *lines = app_lines();
    CU_ASSERT_STRING_EQUAL(lines,
                           "to 10.0.3.20 (10.0.3.20), 2 hops max, 60 byte packets\n"
                           " 1  10.0.1.254 (10.0.1.254)  4.000 ms  4.000 ms\n"
                           " 2  * *\n");
    CU_ASSERT_EQUAL(ns_sim_now(fx.ctx.sim), NS_MS(4) + NS_S(5));
    ns_traceroute_free(t);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

static CU_TestInfo decode_tests[] = {
    {"dns_either_side", test_decode_dns_either_side},
    {"http_any_port_smtp_on_25", test_decode_http_any_port_smtp_on_25},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo dns_tests[] = {
    {"resolve_answered", test_dns_resolve_answered},
    {"resolve_unknown_name_nxdomain", test_dns_resolve_unknown_name_nxdomain},
    {"resolve_lost_query_retried", test_dns_resolve_lost_query_retried},
    {"resolve_every_query_lost_times_out", test_dns_resolve_every_query_lost_times_out},
    {"resolve_no_server_refused", test_dns_resolve_no_server_refused},
    {"resolve_from_table_sends_nothing", test_dns_resolve_from_table_sends_nothing},
    {"resolve_from_table_unknown_nxdomain", test_dns_resolve_from_table_unknown_nxdomain},
    {"resolve_address_literal", test_dns_resolve_address_literal},
    {"server_formerr_for_two_questions", test_dns_server_formerr_for_two_questions},
    {"server_port_taken_null", test_dns_server_port_taken_null},
    {"crash_forgets_sockets", test_dns_crash_forgets_sockets},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo http_tests[] = {
    {"fetch_by_name_200", test_http_fetch_by_name_200},
    {"fetch_missing_404", test_http_fetch_missing_404},
    {"fetch_keep_alive_one_connection", test_http_fetch_keep_alive_one_connection},
    {"fetch_parallel_connections", test_http_fetch_parallel_connections},
    {"fetch_big_page", test_http_fetch_big_page},
    {"fetch_no_server_refused", test_http_fetch_no_server_refused},
    {"fetch_unknown_name_fails", test_http_fetch_unknown_name_fails},
    {"server_honours_connection_close", test_http_server_honours_connection_close},
    {"server_crash_between_requests_reset", test_http_server_crash_between_requests_reset},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo smtp_tests[] = {
    {"mail_accepted", test_smtp_mail_accepted},
    {"mail_pattern_message", test_smtp_mail_pattern_message},
    {"mail_no_server_refused", test_smtp_mail_no_server_refused},
    {"server_bad_sequence_503", test_smtp_server_bad_sequence_503},
    CU_TEST_INFO_NULL,
};

/* The same path over IPv6 only: pc 2001:db8:1::10, r1, r2, srv
 * 2001:db8:3::20; routers found by their link-local addresses. */
static void routed6(void)
{
    fx_setup(3);
    NsSegment *a = fx_network("a", NS_MS(1)), *b = fx_network("b", NS_MS(1)),
              *c = fx_network("c", NS_MS(1));
    tr_pc = fx_host("pc", false, NS_PROFILE_MINIMAL);
    NsHost *r1 = fx_host("r1", true, NS_PROFILE_MINIMAL);
    NsHost *r2 = tr_r2 = fx_host("r2", true, NS_PROFILE_MINIMAL);
    tr_srv = fx_host("srv", false, NS_PROFILE_MINIMAL);
    struct {
        NsHost *h;
        const char *addr;
        NsSegment *seg;
    } v6[] = {{tr_pc, "2001:db8:1::10", a}, {r1, "2001:db8:1::1", a}, {r1, "2001:db8:2::1", b},
              {r2, "2001:db8:2::2", b},     {r2, "2001:db8:3::1", c}, {tr_srv, "2001:db8:3::20", c}};
    for (size_t i = 0; i < G_N_ELEMENTS(v6); i++) {
        fx_addr(v6[i].h, "0.0.0.0", 0, v6[i].seg);
        NsIpv6Addr x;
        CU_ASSERT_FATAL(ns_ipv6_parse_addr(v6[i].addr, &x));
        ns_iface_add_addr6(ns_host_iface(v6[i].h, ns_host_iface_count(v6[i].h) - 1), &x, 64);
    }
    fx_routes();
}

static const char *names6_of(void *data, const NsIpv6Addr *addr)
{
    (void)data;
    NsIpv6Addr r1;
    ns_ipv6_parse_addr("2001:db8:1::1", &r1);
    return ns_ipv6_addr_equal(addr, &r1) ? "r1" : NULL;
}

/* UDP probes with hop limit 1, 2, 3: time exceeded from each router (the
 * address of its interface towards pc), port unreachable from srv; 80
 * byte packets (IPv6's header is 40 bytes). */
static void test_traceroute6_udp_finds_both_routers_then_the_target(void)
{
    routed6();
    NsTracerouteSpec spec = {.v6 = true, .name6_of = names6_of};
    ns_ipv6_parse_addr("2001:db8:3::20", &spec.dst6);
    NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_TRUE(ns_traceroute_reached(t));
    CU_ASSERT_EQUAL(ns_traceroute_hops(t), 3);
    g_autofree char *lines = app_lines();
    /* Neighbor Discovery takes 2 ms on the first hop of each network, and
     * 2 ms more at srv: r2 asked for it from 2001:db8:3::1, but srv's
     * default route is r2's link-local address, which it must resolve
     * before it can answer (as a Linux host would). */
    CU_ASSERT_STRING_EQUAL(lines,
                           "to 2001:db8:3::20 (2001:db8:3::20), 30 hops max, 80 byte packets\n"
                           " 1  r1 (2001:db8:1::1)  4.000 ms  4.000 ms  4.000 ms\n"
                           " 2  2001:db8:2::2 (2001:db8:2::2)  6.000 ms  6.000 ms  6.000 ms\n"
                           " 3  2001:db8:3::20 (2001:db8:3::20)  10.000 ms  10.000 ms  10.000 ms\n");
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_TTL_EXCEEDED), 6);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_NO_SOCKET), 3);
    ns_traceroute_free(t);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

static void test_traceroute6_icmp_and_tcp_reach_the_target(void)
{
    for (int m = 0; m < 2; m++) {
        routed6();
        NsTracerouteSpec spec = {.v6 = true, .queries = 1,
                                 .method = m ? NS_TRACEROUTE_TCP : NS_TRACEROUTE_ICMP};
        ns_ipv6_parse_addr("2001:db8:3::20", &spec.dst6);
        NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
        fx_run(NS_TIME_NEVER);
        CU_ASSERT_TRUE(ns_traceroute_reached(t)); /* an echo reply; a RST */
        CU_ASSERT_EQUAL(ns_traceroute_hops(t), 3);
        CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, NS_DROP_TTL_EXCEEDED), 2);
        ns_traceroute_free(t);
        CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
        fx_teardown();
    }
}

/* No route at r2: ICMPv6 no route, marked !N, ends it. */
static void test_traceroute6_no_route_is_marked_N(void)
{
    routed6();
    NsTracerouteSpec spec = {.v6 = true, .queries = 1, .max_hops = 4, .name6_of = names6_of};
    ns_ipv6_parse_addr("2001:db8:9::9", &spec.dst6);
    NsTraceroute *t = ns_traceroute_start(tr_pc, &spec);
    fx_run(NS_TIME_NEVER);
    CU_ASSERT_FALSE(ns_traceroute_reached(t));
    g_autofree char *lines = app_lines();
    CU_ASSERT_STRING_EQUAL(lines,
                           "to 2001:db8:9::9 (2001:db8:9::9), 4 hops max, 80 byte packets\n"
                           " 1  r1 (2001:db8:1::1)  4.000 ms !N\n");
    ns_traceroute_free(t);
    fx_teardown();
}

/* http://[2001:db8:3::20]/index.html: no lookup (no DNS server exists
 * here), one connection over IPv6 to the address in the URL, with the
 * bracketed address as the Host (RFC 3986 3.2.2). */
static void test_fetch_ipv6_literal_url(void)
{
    routed6();
    NsHttpServer *srv = ns_http_server_start(tr_srv, 80, pages, G_N_ELEMENTS(pages));
    NsIpv6Addr a;
    ns_ipv6_parse_addr("2001:db8:3::20", &a);
    NsFetchSpec sp = {.host = "[2001:db8:3::20]", .addr6 = &a, .path = "/index.html"};
    memset(&seen, 0, sizeof seen);
    NsFetch *f = ns_fetch_start(tr_pc, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.status, 200);
    CU_ASSERT_EQUAL(seen.fetch.bytes, 1200);
    CU_ASSERT_EQUAL(ns_http_server_requests(srv), 1);
    CU_ASSERT_TRUE(app_said("http://[2001:db8:3::20]/index.html: 200 OK, 1200B in"));
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_DROP, FX_ANY), 0);
    ns_fetch_free(f);
    ns_http_server_free(srv);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
    fx_teardown();
}

/* mail [2001:db8:3::20]:25: over IPv6, to postmaster@[IPv6:2001:db8:3::20]
 * (RFC 5321 4.1.3's address literal). */
static void test_mail_ipv6_literal(void)
{
    routed6();
    NsSmtpServer *srv = ns_smtp_server_start(tr_srv, 25);
    NsIpv6Addr a;
    ns_ipv6_parse_addr("2001:db8:3::20", &a);
    static const char msg[] = "Subject: hi\r\n\r\nhello\r\n";
    NsMailSpec sp = {.addr6 = &a, .message = (const uint8_t *)msg, .len = strlen(msg)};
    memset(&seen, 0, sizeof seen);
    NsMail *m = ns_mail_start(tr_pc, &sp, on_mail, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.mail.ok);
    CU_ASSERT_EQUAL(ns_smtp_server_messages(srv), 1);
    CU_ASSERT_TRUE(app_said("[2001:db8:3::20]:25: 22B message from <pc@pc> to "
                            "<postmaster@[IPv6:2001:db8:3::20]>"));
    ns_mail_free(m);
    ns_smtp_server_free(srv);
    fx_teardown();
}

/* TCP segments h sent over IPv4 (to or from an IPv4 address), or over IPv6. */
static uint32_t tcp_sent_over(NsHost *h, bool v6)
{
    uint32_t n = 0;
    for (guint i = 0; i < fx.events->len; i++) {
        const CapturedEvent *c = &g_array_index(fx.events, CapturedEvent, i);
        if (c->kind == NS_TRACE_SEND && c->proto == NS_IPPROTO_TCP &&
            strcmp(c->host, ns_host_name(h)) == 0 && (c->dst == 0) == v6)
            n++;
    }
    return n;
}

static uint32_t tcp_sent_over_ipv4(NsHost *h)
{
    return tcp_sent_over(h, false);
}

static uint32_t tcp_sent_over_ipv6(NsHost *h)
{
    return tcp_sent_over(h, true);
}

/* cli (dual-stack) fetches www.example.com's page, the first `drop` DNS
 * queries lost, and gets it whole; everything is freed, the trace kept. */
static void dual_stack_fetch(uint32_t drop)
{
    build_lan(true);
    drop_dns = drop;
    NsDnsServer *dns = ns_dns_server_start(ns, 53, &names6);
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = spec_for("www.example.com", "/index.html");
    sp.names = &names6;
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.bytes, 1200);
    CU_ASSERT_EQUAL(drop_dns, 0);
    ns_fetch_free(f);
    ns_http_server_free(srv);
    ns_dns_server_free(dns);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(fx.ctx.pool), 0);
}

/* Asks AAAA then A and connects over IPv6 first. */
static void test_fetch_dual_stack_prefers_ipv6(void)
{
    dual_stack_fetch(0);
    CU_ASSERT_FALSE(app_said("Happy Eyeballs"));
    CU_ASSERT_EQUAL(tcp_sent_over_ipv4(cli), 0);
    CU_ASSERT_TRUE(tcp_sent_over_ipv6(cli) > 0);
    fx_teardown();
}

/* The AAAA query is lost: the A answer waits 50 ms (RFC 8305's resolution
 * delay), then the fetch goes over IPv4 instead of waiting 5 s for the
 * AAAA query to be sent again. */
static void test_fetch_lost_aaaa_waits_the_resolution_delay(void)
{
    dual_stack_fetch(1); /* the first query: AAAA */
    CU_ASSERT_TRUE(app_said("http://www.example.com/index.html: no AAAA answer 50.0 ms after "
                            "the A answer: connecting over IPv4"));
    CU_ASSERT_TRUE(seen.fetch.elapsed > NS_MS(50) && seen.fetch.elapsed < NS_MS(100));
    CU_ASSERT_EQUAL(tcp_sent_over_ipv6(cli), 0);
    CU_ASSERT_TRUE(tcp_sent_over_ipv4(cli) > 0);
    fx_teardown();
}

/* ---- IPv6-only hosts ---- */

/* six.example.com has an IPv6 address only (2001:db8::66); www has both. */
static const NsDnsEntry entries_v6only[] = {
    {.name = "www.example.com", .addr = WWW_ADDR, .has6 = true,
     .addr6 = {{0x20, 0x01, 0x0d, 0xb8, [15] = 0x80}}},
    {.name = "six.example.com", .has6 = true, .addr6 = {{0x20, 0x01, 0x0d, 0xb8, [15] = 0x66}}},
};
static const NsDnsTable names_v6only = {entries_v6only, G_N_ELEMENTS(entries_v6only)};

/* The LAN with cli IPv6-only (2001:db8::1, no IPv4 address), ns and www
 * dual-stack (2001:db8::53, 2001:db8::80), mail IPv4-only. */
static void build_v6only(void)
{
    fx_setup(7);
    NsSegment *lan = fx_network("lan", NS_MS(1));
    cli = fx_host("cli", false, NS_PROFILE_MINIMAL);
    ns = fx_host("ns", false, NS_PROFILE_MINIMAL);
    www = fx_host("www", false, NS_PROFILE_MINIMAL);
    mail = fx_host("mail", false, NS_PROFILE_MINIMAL);
    fx_addr(cli, "0.0.0.0", 0, lan);
    fx_addr(ns, "10.0.0.53", 24, lan);
    fx_addr(www, "10.0.0.80", 24, lan);
    fx_addr(mail, "10.0.0.25", 24, lan);
    add_addr6(cli, "2001:db8::1");
    add_addr6(ns, "2001:db8::53");
    add_addr6(www, "2001:db8::80");
    fx_routes();
    fx.ctx.decoder = ns_app_decode;
    memset(&seen, 0, sizeof seen);
}

static NsDnsServerAddr ns_over_ipv6(void)
{
    NsDnsServerAddr s = {.v6 = true};
    CU_ASSERT_FATAL(ns_ipv6_parse_addr("2001:db8::53", &s.addr6));
    return s;
}

/* UDP datagrams h sent to port 53, over IPv4 or over IPv6. */
static uint32_t dns_sent_over(NsHost *h, bool v6)
{
    uint32_t n = 0;
    for (guint i = 0; i < fx.events->len; i++) {
        const CapturedEvent *c = &g_array_index(fx.events, CapturedEvent, i);
        if (c->kind == NS_TRACE_SEND && c->proto == NS_IPPROTO_UDP && c->dport == NS_DNS_PORT &&
            strcmp(c->host, ns_host_name(h)) == 0 && (c->dst == 0) == v6)
            n++;
    }
    return n;
}

/* An A query for a name with an IPv6 address only: NOERROR without an
 * answer (NODATA, RFC 2308 2.2), which the resolver reports as no IPv4
 * address. */
static void test_a_query_for_ipv6_only_name_is_nodata(void)
{
    build();
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names_v6only);
    NsResolve *r = ns_dns_resolve(cli, NS_ADDR, "six.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_NO_ADDRESS);
    CU_ASSERT_EQUAL(seen.resolve.rcode, NS_DNS_RCODE_NOERROR);
    CU_ASSERT_EQUAL(seen.resolve.tries, 1);
    CU_ASSERT_TRUE(app_said("six.example.com: the name has no IPv4 address"));
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

/* Without a DNS server, the name table gives the same answer. */
static void test_table_has_no_ipv4_address_for_ipv6_only_name(void)
{
    build();
    NsResolve *r = ns_dns_resolve(cli, 0, "six.example.com", &names_v6only, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_NO_ADDRESS);
    CU_ASSERT_TRUE(seen.resolve.from_table);
    CU_ASSERT_EQUAL(fx_count(NS_TRACE_SEND, FX_ANY), 0);
    ns_resolve_free(r);
    fx_teardown();
}

/* An IPv6-only host asks the server at its IPv6 address: the query and the
 * answer go over IPv6, nothing over IPv4. */
static void test_resolver_asks_over_ipv6(void)
{
    build_v6only();
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names_v6only);
    NsDnsServerAddr at = ns_over_ipv6();
    NsResolve *r = ns_dns_resolve_via(cli, &at, true, "six.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_OK);
    CU_ASSERT_EQUAL(seen.resolve.addr6.b[15], 0x66);
    CU_ASSERT_EQUAL(dns_sent_over(cli, true), 1);
    CU_ASSERT_EQUAL(dns_sent_over(cli, false), 0);
    CU_ASSERT_TRUE(app_said("six.example.com: 2001:db8::66 from 2001:db8::53"));
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

/* The server on a dual-stack host listens on [::] and still answers an
 * IPv4 client, over IPv4 (from 10.0.0.53, as the client connected to). */
static void test_dual_stack_server_answers_ipv4_client(void)
{
    build_v6only();
    NsDnsServer *srv = ns_dns_server_start(ns, 53, &names_v6only);
    NsResolve *r = ns_dns_resolve(mail, NS_ADDR, "www.example.com", NULL, on_resolve, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_EQUAL(seen.resolve.status, NS_RESOLVE_OK);
    CU_ASSERT_EQUAL(seen.resolve.addr, WWW_ADDR);
    CU_ASSERT_EQUAL(ns_dns_server_answered(srv), 1);
    ns_resolve_free(r);
    ns_dns_server_free(srv);
    fx_teardown();
}

/* A fetch on an IPv6-only host asks for AAAA alone (no A query: an IPv4
 * address would be of no use to it) and connects over IPv6. */
static void test_fetch_on_ipv6_only_host_asks_aaaa_alone(void)
{
    build_v6only();
    NsDnsServer *dns = ns_dns_server_start(ns, 53, &names_v6only);
    NsHttpServer *srv = ns_http_server_start(www, 80, pages, G_N_ELEMENTS(pages));
    NsFetchSpec sp = {.host = "www.example.com", .path = "/index.html",
                      .dns_server = ns_over_ipv6(), .names = &names_v6only};
    NsFetch *f = ns_fetch_start(cli, &sp, on_fetch, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.fetch.ok);
    CU_ASSERT_EQUAL(seen.fetch.bytes, 1200);
    CU_ASSERT_EQUAL(ns_dns_server_answered(dns), 1);
    CU_ASSERT_EQUAL(dns_sent_over(cli, true), 1);
    CU_ASSERT_TRUE(tcp_sent_over_ipv6(cli) > 0);
    CU_ASSERT_EQUAL(tcp_sent_over_ipv4(cli), 0);
    ns_fetch_free(f);
    ns_http_server_free(srv);
    ns_dns_server_free(dns);
    fx_teardown();
}

/* mail on an IPv6-only host looks the server's IPv6 address up (AAAA) and
 * delivers over IPv6. */
static void test_mail_on_ipv6_only_host_goes_over_ipv6(void)
{
    build_v6only();
    NsDnsServer *dns = ns_dns_server_start(ns, 53, &names_v6only);
    NsSmtpServer *srv = ns_smtp_server_start(www, 25);
    static const char msg[] = "Subject: hi\r\n\r\nhello\r\n";
    NsMailSpec sp = {.server = "www.example.com", .message = (const uint8_t *)msg,
                     .len = strlen(msg), .dns_server = ns_over_ipv6(), .names = &names_v6only};
    NsMail *m = ns_mail_start(cli, &sp, on_mail, NULL);
    fx_run(NS_S(30));
    CU_ASSERT_EQUAL_FATAL(seen.calls, 1);
    CU_ASSERT_TRUE(seen.mail.ok);
    CU_ASSERT_EQUAL(ns_smtp_server_messages(srv), 1);
    CU_ASSERT_TRUE(tcp_sent_over_ipv6(cli) > 0);
    CU_ASSERT_EQUAL(tcp_sent_over_ipv4(cli), 0);
    ns_mail_free(m);
    ns_smtp_server_free(srv);
    ns_dns_server_free(dns);
    fx_teardown();
}

static CU_TestInfo ipv6_only_tests[] = {
    {"a_query_for_ipv6_only_name_is_nodata", test_a_query_for_ipv6_only_name_is_nodata},
    {"table_has_no_ipv4_address_for_ipv6_only_name",
     test_table_has_no_ipv4_address_for_ipv6_only_name},
    {"resolver_asks_over_ipv6", test_resolver_asks_over_ipv6},
    {"dual_stack_server_answers_ipv4_client", test_dual_stack_server_answers_ipv4_client},
    {"fetch_on_ipv6_only_host_asks_aaaa_alone", test_fetch_on_ipv6_only_host_asks_aaaa_alone},
    {"mail_on_ipv6_only_host_goes_over_ipv6", test_mail_on_ipv6_only_host_goes_over_ipv6},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo happy_eyeballs_tests[] = {
    {"fetch_dual_stack_prefers_ipv6", test_fetch_dual_stack_prefers_ipv6},
    {"fetch_lost_aaaa_waits_the_resolution_delay",
     test_fetch_lost_aaaa_waits_the_resolution_delay},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo ipv6_literal_tests[] = {
    {"fetch_ipv6_literal_url", test_fetch_ipv6_literal_url},
    {"mail_ipv6_literal", test_mail_ipv6_literal},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo traceroute_tests[] = {
    {"ipv6_udp_finds_both_routers_then_the_target",
     test_traceroute6_udp_finds_both_routers_then_the_target},
    {"ipv6_icmp_and_tcp_reach_the_target", test_traceroute6_icmp_and_tcp_reach_the_target},
    {"ipv6_no_route_is_marked_N", test_traceroute6_no_route_is_marked_N},
    {"hop_names_the_router_once", test_traceroute_hop_names_the_router_once},
    {"hop_without_answers_is_stars", test_traceroute_hop_without_answers_is_stars},
    {"hop_names_each_new_address", test_traceroute_hop_names_each_new_address},
    {"hop_rounds_and_annotates", test_traceroute_hop_rounds_and_annotates},
    {"udp_finds_both_routers_then_the_target",
     test_traceroute_udp_finds_both_routers_then_the_target},
    {"icmp_ends_with_the_echo_reply", test_traceroute_icmp_ends_with_the_echo_reply},
    {"tcp_ends_with_the_targets_answer", test_traceroute_tcp_ends_with_the_targets_answer},
    {"unreachable_ends_with_its_annotation", test_traceroute_unreachable_ends_with_its_annotation},
    {"silent_hops_are_stars_until_max_hops", test_traceroute_silent_hops_are_stars_until_max_hops},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ns_test_suites[] = {
    {"traceroute", NULL, NULL, NULL, NULL, traceroute_tests},
    {"decode", NULL, NULL, NULL, NULL, decode_tests},
    {"dns", NULL, NULL, NULL, NULL, dns_tests},
    {"http", NULL, NULL, NULL, NULL, http_tests},
    {"smtp", NULL, NULL, NULL, NULL, smtp_tests},
    {"ipv6-literals", NULL, NULL, NULL, NULL, ipv6_literal_tests},
    {"happy-eyeballs", NULL, NULL, NULL, NULL, happy_eyeballs_tests},
    {"ipv6-only", NULL, NULL, NULL, NULL, ipv6_only_tests},
    CU_SUITE_INFO_NULL,
};
