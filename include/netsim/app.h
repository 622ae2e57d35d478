/* The applications: DNS server and stub resolver, HTTP/1.1 server and the
 * `fetch` client, SMTP server and the `mail` client, and the payload
 * decoder that names their bytes in traces. Each is an object driven by
 * socket watch callbacks, over the socket layer only, reporting progress
 * as NS_TRACE_APP events on its host.
 *
 * Lifetimes, the same for every object here:
 * - `_start()` returns an object the caller owns (transfer full); it never
 *   calls back synchronously: completions run in events of their own.
 * - A client's completion callback runs once; the object is inert after it
 *   (its sockets closed) and may be freed from inside the callback.
 * - `_crash()`: the host crashed and the socket layer freed every socket
 *   (ns_socket_layer_crash): the object drops its socket pointers without
 *   touching them, cancels its timers and goes inert without calling back.
 *   Call it right after the host's crash; then `_free()` it. A server is
 *   started again on restart with a fresh `_start()`.
 * - `_free()` closes what is still open (a client still running is
 *   abandoned without a callback) and frees the object. NULL is a no-op. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/host.h"
#include "netsim/socket.h"
#include "netsim/time.h"
#include "netsim/wire/ipv6.h"

/* ---- trace summaries ---- */

/* An NsPayloadDecoder (netsim/ctx.h; `data` unused): DNS on UDP or TCP
 * port 53 (either side), SMTP on TCP port 25 (either side), HTTP requests
 * and responses on any TCP port by their first bytes ("GET ", "HTTP/1.1
 * "). Install it as ctx->decoder. */
bool ns_app_decode(void *data, uint8_t proto, uint16_t sport, uint16_t dport,
                   const uint8_t *payload, size_t len, char *buf, size_t buflen);

/* ---- names ---- */

typedef struct {
    const char *name; /* "www.example.com" (compared case-insensitively) */
    uint32_t addr;    /* host byte order; 0: no IPv4 address (no A record) */
    bool has6;        /* an IPv6 address too (AAAA, RFC 3596): addr6 */
    NsIpv6Addr addr6;
} NsDnsEntry;

/* A table of names: what a DNS server answers, and what hosts use directly
 * in a network without one. Borrowed by every object given it: it must
 * outlive them (the runtime builds it once from the scenario). */
typedef struct {
    const NsDnsEntry *entries;
    size_t n;
} NsDnsTable;

/* The address of `name` (first match), or false. */
bool ns_dns_table_lookup(const NsDnsTable *t, const char *name, uint32_t *addr);
/* The entry of `name` (first match), or NULL. */
const NsDnsEntry *ns_dns_table_find(const NsDnsTable *t, const char *name);

/* ---- DNS server (RFC 1035 over UDP) ---- */

#define NS_DNS_TTL 300 /* seconds, in every answer */

typedef struct NsDnsServer NsDnsServer;

/* Bind UDP `port` (53), on [::] (both families) when the host has an IPv6
 * address, and answer: A queries for names in `t` with one
 * authoritative answer, AAAA queries likewise for names with an IPv6
 * address; NXDOMAIN for unknown names; NOERROR without answers for other
 * types of known names; FORMERR for a query that does
 * not parse; NOTIMP for opcodes other than QUERY. Traces "dns listening
 * on udp port 53 (N names)", or the errno when the port is taken
 * (returns NULL then). */
NsDnsServer *ns_dns_server_start(NsHost *h, uint16_t port, const NsDnsTable *t);
void ns_dns_server_crash(NsDnsServer *s);
void ns_dns_server_free(NsDnsServer *s);
/* Queries answered so far (for tests and summaries). */
uint64_t ns_dns_server_answered(const NsDnsServer *s);

/* ---- stub resolver ---- */

/* glibc's defaults (resolv.conf `options timeout:5 attempts:2`): a query
 * unanswered for 5 s is sent once more, same ID, same socket, then the
 * lookup fails. */
#define NS_DNS_TIMEOUT NS_S(5)
#define NS_DNS_ATTEMPTS 2

typedef enum {
    NS_RESOLVE_OK,         /* addr is set */
    NS_RESOLVE_NXDOMAIN,   /* no such name (or not in the name table) */
    NS_RESOLVE_NO_ADDRESS, /* the name exists but has no A (AAAA) record */
    NS_RESOLVE_TIMEOUT,    /* no answer after every attempt (err ETIMEDOUT) */
    NS_RESOLVE_ERROR,      /* err says why (ECONNREFUSED, ENETUNREACH...), or rcode */
} NsResolveStatus;

typedef struct {
    NsResolveStatus status;
    uint32_t addr;
    bool v6;          /* an AAAA lookup: the address is addr6 */
    NsIpv6Addr addr6;
    int err;
    uint8_t rcode;   /* the server's RCODE, for ERROR */
    uint32_t tries;  /* queries sent (0 from the table) */
    bool from_table; /* answered from the name table, no packet sent */
    NsTime elapsed;
} NsResolveResult;

typedef void (*NsResolveDone)(void *data, const NsResolveResult *res);

/* The DNS server a resolver asks, over IPv4 (addr) or IPv6 (v6: addr6);
 * addr 0 and not v6: none, answer from the name table. */
typedef struct {
    uint32_t addr;
    bool v6;
    NsIpv6Addr addr6;
} NsDnsServerAddr;

typedef struct NsResolve NsResolve;

/* Look `name` up: a dotted address is its own answer; with server != 0,
 * ask that DNS server (port 53) from an ephemeral UDP port with a random
 * ID, NS_DNS_ATTEMPTS times NS_DNS_TIMEOUT; with server == 0, answer from
 * table `t` directly (the trace says so: no DNS server in this network).
 * `name` is copied. */
NsResolve *ns_dns_resolve(NsHost *h, uint32_t server, const char *name, const NsDnsTable *t,
                          NsResolveDone cb, void *data);
/* The same for the name's IPv6 address (an AAAA query, RFC 3596; an IPv6
 * address written as such is its own answer). */
NsResolve *ns_dns_resolve6(NsHost *h, uint32_t server, const char *name, const NsDnsTable *t,
                           NsResolveDone cb, void *data);
/* Either of the two (aaaa: the AAAA lookup) asking `server`, which may be
 * an IPv6 address: the query goes over IPv6 then (an IPv6-only host's
 * resolver). */
NsResolve *ns_dns_resolve_via(NsHost *h, const NsDnsServerAddr *server, bool aaaa,
                              const char *name, const NsDnsTable *t, NsResolveDone cb,
                              void *data);
void ns_resolve_crash(NsResolve *r);
void ns_resolve_free(NsResolve *r);

/* ---- echo (RFC 862) and discard (RFC 863) servers ---- */

typedef struct NsEchoServer NsEchoServer;

/* Listen on `port` over TCP (backlog 128) or UDP and send back every byte
 * (echo) or drop it (discard, `echo` false). Traces "echo listening on tcp
 * port 7"; returns NULL (and traces the errno) when the port cannot be
 * had. */
NsEchoServer *ns_echo_server_start(NsHost *h, uint16_t port, bool tcp, bool echo);
void ns_echo_server_crash(NsEchoServer *s);
void ns_echo_server_free(NsEchoServer *s);

/* ---- HTTP/1.1 server ---- */

/* Same layout as the scenario's NsScnPage, so the runtime may pass
 * service->pages as is. */
typedef struct {
    const char *path; /* starts with '/' */
    uint64_t size;    /* body bytes */
} NsHttpPage;

typedef struct NsHttpServer NsHttpServer;

/* Listen on TCP `port` (backlog 128) and serve GET/HEAD: 200 with
 * Content-Length and `size` bytes of a repeating pattern for a known
 * path, 404 with a short HTML body otherwise, 400 (and close) for a
 * request that does not parse, 501 for other methods. Connections are
 * kept open between requests (HTTP/1.1 persistence) unless the request
 * says `Connection: close` or is HTTP/1.0 without keep-alive; then the
 * server closes after the response. Pages are copied. Returns NULL (and
 * traces the errno) when the port cannot be bound. */
NsHttpServer *ns_http_server_start(NsHost *h, uint16_t port, const NsHttpPage *pages,
                                   size_t n);
void ns_http_server_crash(NsHttpServer *s);
void ns_http_server_free(NsHttpServer *s);
/* Requests answered so far and connections open now. */
uint64_t ns_http_server_requests(const NsHttpServer *s);
uint32_t ns_http_server_connections(const NsHttpServer *s);

/* ---- fetch: the HTTP client ---- */

typedef struct {
    const char *url;    /* as written, for the trace (copied) */
    const char *host;   /* name or dotted address: the Host field (copied); an
                         * IPv6 address in brackets, as in the URL */
    uint32_t addr;      /* the server if known; 0: resolve `host` first */
    const NsIpv6Addr *addr6; /* the server's IPv6 address when the URL gives one
                              * (http://[ADDR]/): no lookup, IPv6 only */
    uint16_t port;      /* 0 means 80 */
    const char *path;   /* NULL means "/" */
    uint32_t requests;  /* GETs per connection, one after the other (keep-alive N); 0 = 1 */
    uint32_t parallel;  /* connections opened at once (parallel N); 0 = 1 */
    NsDnsServerAddr dns_server; /* resolver's server; none: use `names` directly */
    const NsDnsTable *names; /* borrowed */
} NsFetchSpec;

typedef struct {
    bool ok;            /* every request got a whole response (any status) */
    uint16_t status;    /* of the last response, 0 if none */
    uint64_t bytes;     /* body bytes over every response */
    uint32_t responses;
    int err;            /* errno of the first failure, 0 if none or not an errno */
    const char *why;    /* static text for a failure, NULL when ok */
    NsTime elapsed;     /* start to completion */
} NsFetchResult;

typedef void (*NsFetchDone)(void *data, const NsFetchResult *res);

typedef struct NsFetch NsFetch;

/* Resolve, open `parallel` TCP connections, send `requests` GETs on each
 * (the next once the previous response is whole), read every response
 * (Content-Length), then close. Traces "fetch URL" at the start and, at
 * the end, e.g. "fetch URL: 200 OK, 1200B in 42.1 ms". `cb` may be NULL. */
NsFetch *ns_fetch_start(NsHost *h, const NsFetchSpec *spec, NsFetchDone cb, void *data);
/* The outcome once finished, else NULL (also after a crash). */
const NsFetchResult *ns_fetch_result(const NsFetch *f);
void ns_fetch_crash(NsFetch *f);
void ns_fetch_free(NsFetch *f);

/* ---- SMTP server (RFC 5321 subset) ---- */

typedef struct NsSmtpServer NsSmtpServer;

/* Listen on TCP `port` (25): greeting 220, then HELO/EHLO, MAIL FROM,
 * RCPT TO, DATA ... ".", QUIT (also RSET, NOOP, VRFY); one message per
 * connection. Each accepted message is traced ("smtp message from <a> to
 * <b>: 42B accepted"). Returns NULL (and traces the errno) on failure. */
NsSmtpServer *ns_smtp_server_start(NsHost *h, uint16_t port);
void ns_smtp_server_crash(NsSmtpServer *s);
void ns_smtp_server_free(NsSmtpServer *s);
uint64_t ns_smtp_server_messages(const NsSmtpServer *s);

/* ---- mail: the SMTP client ---- */

typedef struct {
    const char *server;      /* name or dotted address, for the trace (copied) */
    uint32_t addr;           /* 0: resolve `server` */
    const NsIpv6Addr *addr6; /* the server's IPv6 address, if given so: no lookup */
    uint16_t port;           /* 0 means 25 */
    const uint8_t *message;  /* the message text, headers first (copied); NULL: len
                              * bytes of the payload pattern, made as they are sent */
    size_t len;
    const char *from, *to;   /* NULL: "<host>@<host>" and "postmaster@<server>" */
    NsDnsServerAddr dns_server;
    const NsDnsTable *names; /* borrowed */
} NsMailSpec;

typedef struct {
    bool ok;          /* the server accepted the message (250 after the data) */
    uint16_t code;    /* the last reply code, 0 if none */
    int err;
    const char *why;  /* static text for a failure, NULL when ok */
    NsTime elapsed;
} NsMailResult;

typedef void (*NsMailDone)(void *data, const NsMailResult *res);

typedef struct NsMail NsMail;

/* Resolve, connect, wait for 220, EHLO, MAIL FROM, RCPT TO, DATA, the
 * message (dot-stuffed, ended by CRLF.CRLF), QUIT, close. Any reply other
 * than the expected one ends the dialogue with QUIT and a failure. */
NsMail *ns_mail_start(NsHost *h, const NsMailSpec *spec, NsMailDone cb, void *data);
const NsMailResult *ns_mail_result(const NsMail *m);
void ns_mail_crash(NsMail *m);
void ns_mail_free(NsMail *m);

/* ---- traceroute ---- */

#define NS_TRACEROUTE_UDP_PORT 33434 /* the first UDP probe's port */
#define NS_TRACEROUTE_WAIT NS_S(5)   /* how long a probe is waited for (-w 5) */

typedef enum {
    NS_TRACEROUTE_UDP,  /* UDP to port 33434, +1 per probe (the default) */
    NS_TRACEROUTE_ICMP, /* echo requests (traceroute -I) */
    NS_TRACEROUTE_TCP,  /* SYNs to one port (traceroute -T -p PORT) */
} NsTracerouteMethod;
const char *ns_traceroute_method_name(NsTracerouteMethod m);

/* The name to print for an address (NULL: the address itself). */
typedef const char *(*NsTracerouteNameFn)(void *data, uint32_t addr);
typedef const char *(*NsTracerouteName6Fn)(void *data, const NsIpv6Addr *addr);

typedef struct {
    uint32_t dst;
    bool v6;                   /* to dst6 over IPv6 (traceroute -6) */
    NsIpv6Addr dst6;
    const char *target;        /* as written, for the first line (copied); NULL: dst */
    NsTracerouteMethod method;
    uint16_t port;             /* UDP: the first port (0: 33434); TCP: the port (0: 80) */
    uint32_t max_hops;         /* 0: 30 */
    uint32_t queries;          /* probes per hop; 0: 3 */
    NsTime wait;               /* 0: NS_TRACEROUTE_WAIT */
    uint16_t ident;            /* ICMP probes' echo id (0: 1) */
    NsTracerouteNameFn name_of; /* may be NULL */
    NsTracerouteName6Fn name6_of; /* IPv6 addresses' (may be NULL) */
    void *name_data;
} NsTracerouteSpec;

/* One probe's outcome, for a hop line. */
typedef struct {
    bool answered;
    bool final;     /* the target, or an unreachable: the last hop */
    uint32_t from;  /* who answered */
    bool from_v6;   /* over IPv6: from6 and its name (NULL: none) */
    NsIpv6Addr from6;
    const char *name6;
    NsTime rtt;
    char annot[12]; /* "!H", "!N", "!X", "!F-1400" or "" */
} NsTracerouteProbe;

/* A hop as Linux traceroute prints it: " 1  gw (10.0.1.254)  2.003 ms
 * 2.001 ms  2.002 ms", " 3  * * *", the address again where it changes
 * between probes. (transfer full) */
char *ns_traceroute_format_hop(uint32_t ttl, const NsTracerouteProbe *probes, size_t n,
                               NsTracerouteNameFn name_of, void *data);

typedef struct NsTraceroute NsTraceroute;

/* Trace "traceroute to TARGET (ADDR), 30 hops max, 60 byte packets", then
 * probe one hop at a time: the hop's probes leave together with TTL 1, 2,
 * ...; its line is traced once each has an answer or has waited `wait`;
 * it stops after the hop where the target (or an unreachable) answered,
 * or at max_hops. UDP and TCP probes come from a port held by a bound
 * socket of that kind. */
NsTraceroute *ns_traceroute_start(NsHost *h, const NsTracerouteSpec *spec);
bool ns_traceroute_done(const NsTraceroute *t);
bool ns_traceroute_reached(const NsTraceroute *t); /* the target itself answered */
uint32_t ns_traceroute_hops(const NsTraceroute *t); /* hop lines traced */
void ns_traceroute_crash(NsTraceroute *t);
void ns_traceroute_free(NsTraceroute *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsTraceroute, ns_traceroute_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsDnsServer, ns_dns_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsResolve, ns_resolve_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsHttpServer, ns_http_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsFetch, ns_fetch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsSmtpServer, ns_smtp_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsMail, ns_mail_free)
