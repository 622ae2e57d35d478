/* HTTP/1.1 over TCP (RFC 9112; persistence 9.3, closing 9.6): a server of
 * generated pages and the `fetch` client, with keep-alive (several GETs
 * on one connection, one after the other) and parallel connections. */
#include "app-private.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "netsim/ip6.h"
#include "netsim/tcp.h"
#include "netsim/wire/http.h"
#include "netsim/wire/ipv4.h"
#include "netsim-private/ctx.h"

#define IO_CHUNK 16384
/* Received bytes a server connection holds before it stops reading (the
 * rest waits in TCP's receive buffer: back-pressure on a flooding client). */
#define SERVER_IN_MAX 65536

/* ======== server ======== */

typedef struct HttpConn HttpConn;

struct NsHttpServer {
    NsHost *host;
    AppServer *srv; /* the listener and the connections */
    uint16_t port;
    NsHttpPage *pages; /* paths owned */
    size_t n_pages;
    uint64_t requests;
};

struct HttpConn {
    AppConn base;      /* first: the skeleton's part */
    NsHttpServer *srv;
    GByteArray *in;  /* received, not yet parsed */
    uint64_t skip;   /* request body bytes still to discard */
    bool eof;        /* the client has finished sending */
    /* the response being written */
    bool responding;
    uint8_t head[512];
    size_t head_len, head_off;
    char small[256]; /* the body of an error response */
    bool pattern;    /* body from the page pattern, else from `small` */
    uint64_t body_len, body_off;
    bool close_after;
};

static void conn_close(HttpConn *c)
{
    ns_app_conn_close(&c->base);
}

static void conn_opened(AppConn *base)
{
    HttpConn *c = (HttpConn *)base;
    c->srv = ns_app_server_app(base->srv);
    c->in = g_byte_array_new();
}

static void conn_closed(AppConn *base)
{
    g_byte_array_free(((HttpConn *)base)->in, TRUE);
}

static const NsHttpPage *find_page(const NsHttpServer *s, const char *path, size_t len)
{
    for (size_t i = 0; i < s->n_pages; i++)
        if (strlen(s->pages[i].path) == len && memcmp(s->pages[i].path, path, len) == 0)
            return &s->pages[i];
    return NULL;
}

/* Prepare the response head (and which body) for one request. */
static void respond(HttpConn *c, uint16_t status, uint64_t page_size, bool is_head,
                    const char *target, size_t target_len, NsHttpConnection conn_opt)
{
    c->responding = true;
    c->head_off = c->body_off = 0;
    c->pattern = status == 200;
    if (c->pattern) {
        c->body_len = page_size;
    } else {
        g_snprintf(c->small, sizeof c->small,
                   "<html><body><h1>%u %s</h1><p>%.*s</p></body></html>\n", status,
                   ns_http_reason(status), (int)(target_len > 100 ? 100 : target_len),
                   target ? target : "");
        c->body_len = strlen(c->small);
    }
    const char *reason = ns_http_reason(status);
    NsHttpResponse r = {.version_minor = 1, .status = status, .reason = {reason, strlen(reason)},
                        .connection = conn_opt, .has_content_length = true,
                        .content_length = c->body_len};
    c->head_len = ns_http_response_emit(&r, "Content-Type: text/html\r\nServer: netsim\r\n",
                                        c->head, sizeof c->head);
    g_assert(c->head_len > 0);
    if (is_head)
        c->body_len = 0;
}

/* Parse the next request in c->in and start its response; false when no
 * whole request head is there yet. */
static bool next_request(HttpConn *c)
{
    if (c->skip) {
        guint n = (guint)MIN(c->skip, (uint64_t)c->in->len);
        g_byte_array_remove_range(c->in, 0, n);
        c->skip -= n;
        if (c->skip)
            return false;
    }
    if (c->in->len == 0)
        return false;
    NsHttpRequest rq;
    NsWireResult r = ns_http_request_parse(c->in->data, c->in->len, &rq);
    if (r == NS_WIRE_TRUNCATED)
        return false;
    if (r != NS_WIRE_OK) {
        /* RFC 9112 2.2: answer 400 and close; the rest cannot be framed. */
        c->close_after = true;
        respond(c, r == NS_WIRE_UNSUPPORTED ? 501 : 400, 0, false, NULL, 0, NS_HTTP_CONN_CLOSE);
        g_byte_array_set_size(c->in, 0);
        return true;
    }
    bool keep = rq.version_minor == 1 ? rq.connection != NS_HTTP_CONN_CLOSE
                                      : rq.connection == NS_HTTP_CONN_KEEP_ALIVE;
    c->close_after = !keep;
    NsHttpConnection opt = !keep ? NS_HTTP_CONN_CLOSE
                           : rq.version_minor == 0 ? NS_HTTP_CONN_KEEP_ALIVE
                                                   : NS_HTTP_CONN_DEFAULT;
    bool get = rq.method.len == 3 && memcmp(rq.method.ptr, "GET", 3) == 0;
    bool head = rq.method.len == 4 && memcmp(rq.method.ptr, "HEAD", 4) == 0;
    size_t plen = 0;
    while (plen < rq.target.len && rq.target.ptr[plen] != '?' && rq.target.ptr[plen] != '#')
        plen++;
    const NsHttpPage *page = find_page(c->srv, rq.target.ptr, plen);
    if (!get && !head)
        respond(c, 501, 0, false, rq.target.ptr, rq.target.len, opt);
    else if (!page)
        respond(c, 404, 0, head, rq.target.ptr, rq.target.len, opt);
    else
        respond(c, 200, page->size, head, NULL, 0, opt);
    c->skip = rq.has_content_length ? rq.content_length : 0;
    g_byte_array_remove_range(c->in, 0, (guint)rq.head_len);
    return true;
}

typedef enum { WRITE_DONE, WRITE_AGAIN, WRITE_FAILED } WriteStatus;

/* Head and body go out in the same writes (as with writev or TCP_CORK):
 * a separate small head would wait under Nagle's algorithm for the
 * client's delayed ACK before the body could follow. */
static WriteStatus write_response(HttpConn *c)
{
    uint8_t buf[IO_CHUNK];
    /* A page body is the pattern: the socket keeps (offset, length), so
     * nothing is generated here and nothing is made twice. */
    while (c->pattern && (c->head_off < c->head_len || c->body_off < c->body_len)) {
        size_t h = c->head_len - c->head_off;
        long n = ns_socket_write_pattern(c->base.sock, c->head + c->head_off, h, c->body_off,
                                         c->body_len - c->body_off);
        if (n == -EAGAIN)
            return WRITE_AGAIN;
        if (n < 0)
            return WRITE_FAILED;
        size_t from_head = MIN((size_t)n, h);
        c->head_off += from_head;
        c->body_off += (uint64_t)n - from_head;
    }
    while (c->head_off < c->head_len || c->body_off < c->body_len) {
        size_t h = c->head_len - c->head_off;
        memcpy(buf, c->head + c->head_off, h);
        size_t k = (size_t)MIN((uint64_t)(sizeof buf - h), c->body_len - c->body_off);
        memcpy(buf + h, c->small + c->body_off, k);
        long n = ns_socket_write(c->base.sock, buf, h + k);
        if (n == -EAGAIN)
            return WRITE_AGAIN;
        if (n < 0)
            return WRITE_FAILED;
        size_t from_head = MIN((size_t)n, h);
        c->head_off += from_head;
        c->body_off += (uint64_t)n - from_head;
    }
    return WRITE_DONE;
}

/* Read what is there into c->in; false when the connection failed. */
static bool read_requests(HttpConn *c)
{
    uint8_t buf[IO_CHUNK];
    while (!c->eof && c->in->len < SERVER_IN_MAX) {
        long n = ns_socket_recvfrom(c->base.sock, buf, sizeof buf, NULL, NULL);
        if (n == -EAGAIN)
            return true;
        if (n < 0)
            return false;
        if (n == 0)
            c->eof = true;
        else
            g_byte_array_append(c->in, buf, (guint)n);
    }
    return true;
}

static void conn_ready(AppConn *base)
{
    HttpConn *c = (HttpConn *)base;
    for (;;) {
        if (c->responding) {
            switch (write_response(c)) {
            case WRITE_AGAIN:
                return; /* the watch fires again when there is room */
            case WRITE_FAILED:
                conn_close(c);
                return;
            case WRITE_DONE:
                break;
            }
            c->responding = false;
            c->srv->requests++;
            if (c->close_after) {
                conn_close(c); /* FIN after the response, RFC 9112 9.6 */
                return;
            }
        }
        if (!read_requests(c)) {
            conn_close(c); /* reset or timed out */
            return;
        }
        if (next_request(c))
            continue;
        if (c->eof) {
            conn_close(c);
            return;
        }
        return;
    }
}

static const AppServerOps http_ops = {sizeof(HttpConn), conn_opened, conn_ready, conn_closed};

NsHttpServer *ns_http_server_start(NsHost *h, uint16_t port, const NsHttpPage *pages, size_t n)
{
    g_return_val_if_fail(h != NULL, NULL);
    NsHttpServer *s = g_new0(NsHttpServer, 1);
    int err;
    s->srv = ns_app_server_listen(h, port, &http_ops, s, &err);
    if (!s->srv) {
        ns_app_trace(h, "service", err, "http on tcp port %u failed to start:", port);
        g_free(s);
        return NULL;
    }
    s->host = h;
    s->port = port;
    s->n_pages = n;
    s->pages = g_new0(NsHttpPage, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        s->pages[i] = (NsHttpPage){g_strdup(pages[i].path), pages[i].size};
    ns_app_trace(h, "service", 0, "http listening on tcp port %u (%zu page%s)", port, n,
                 n == 1 ? "" : "s");
    return s;
}

void ns_http_server_crash(NsHttpServer *s)
{
    if (s)
        ns_app_server_crash(s->srv);
}

void ns_http_server_free(NsHttpServer *s)
{
    if (!s)
        return;
    ns_app_server_free(s->srv);
    for (size_t i = 0; i < s->n_pages; i++)
        g_free((char *)s->pages[i].path);
    g_free(s->pages);
    g_free(s);
}

uint64_t ns_http_server_requests(const NsHttpServer *s)
{
    return s ? s->requests : 0;
}

uint32_t ns_http_server_connections(const NsHttpServer *s)
{
    return s ? ns_app_server_conns(s->srv) : 0;
}

/* ======== fetch ======== */

typedef enum { FC_IDLE, FC_CONNECTING, FC_SENDING, FC_READING, FC_DONE } FetchConnState;

typedef struct {
    NsFetch *f;
    NsSocket *sock;
    NsSocket *alt;  /* Happy Eyeballs: the IPv4 attempt beside the IPv6 one in sock */
    bool tried4;    /* the IPv4 attempt has been started */
    FetchConnState st;
    uint32_t responses;
    uint8_t *req; /* the request while it is being sent, of its size */
    size_t req_len, req_off;
    NsHttpReader reader;
    bool ok;
    int err;
    const char *why;
} FetchConn;

struct NsFetch {
    NsHost *host;
    char *url, *hostname, *host_field, *path;
    uint32_t addr;
    /* IPv6 (RFC 6724's default order prefers it): the name's AAAA answer,
     * and whether an A answer came too (Happy Eyeballs, RFC 8305) */
    bool has6, has4;
    NsIpv6Addr addr6;
    NsResolve *resolve6;
    uint32_t lookups; /* answers still awaited */
    NsEventId he_timer;
    NsEventId rd_timer; /* RFC 8305 3's resolution delay, after an A answer alone */
    bool fell_back;
    uint16_t port;
    uint32_t requests, parallel;
    NsDnsServerAddr dns_server;
    const NsDnsTable *names;
    NsFetchDone cb;
    void *data;
    NsResolve *resolve;
    FetchConn *conns;
    NsFetchResult res;
    NsTime started;
    NsEventId ev;
    bool finished; /* result valid */
    bool inert;    /* finished or crashed: nothing more happens */
};

static void fetch_finish(NsFetch *f)
{
    f->inert = f->finished = true;
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->he_timer);
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->rd_timer);
    NsFetchResult *res = &f->res;
    res->ok = true;
    for (uint32_t i = 0; i < f->parallel; i++) {
        FetchConn *c = &f->conns[i];
        if (!c->ok && res->ok) {
            res->ok = false;
            res->err = c->err;
            res->why = c->why;
        }
    }
    res->elapsed = ns_app_now(f->host) - f->started;
    char d[32];
    ns_app_duration(res->elapsed, d, sizeof d);
    g_autofree char *over = f->parallel > 1
                                ? g_strdup_printf(" over %u connections", f->parallel)
                                : g_strdup("");
    if (res->ok && res->responses == 1)
        ns_app_trace(f->host, "fetch", 0, "%s: %u %s, %" PRIu64 "B in %s", f->url, res->status,
                     ns_http_reason(res->status), res->bytes, d);
    else if (res->ok)
        ns_app_trace(f->host, "fetch", 0,
                     "%s: %u responses (last %u %s), %" PRIu64 "B%s in %s", f->url,
                     res->responses, res->status, ns_http_reason(res->status), res->bytes,
                     over, d);
    else if (res->responses == 0 && res->bytes == 0)
        /* nothing came back: no count of nothing to read past */
        ns_app_trace(f->host, "fetch", res->err, "%s: %s in %s%s", f->url, res->why, d,
                     res->err ? ":" : "");
    else
        ns_app_trace(f->host, "fetch", res->err, "%s: %s after %u response%s (%" PRIu64
                     "B) in %s%s", f->url, res->why, res->responses,
                     res->responses == 1 ? "" : "s", res->bytes, d, res->err ? ":" : "");
    /* Every connection is done and its socket closed: its request buffer
     * and response reader go now, not at the end of the run (a run of
     * 100,000 fetches keeps only their results). */
    for (uint32_t i = 0; i < f->parallel; i++) {
        ns_http_reader_clear(&f->conns[i].reader);
        g_clear_pointer(&f->conns[i].req, g_free);
    }
    g_clear_pointer(&f->conns, g_free);
    NsFetchResult copy = *res;
    if (f->cb)
        f->cb(f->data, &copy); /* last: the callback may free f */
}

/* Call as the last thing of an event: finishes the fetch (and runs the
 * callback, which may free it) once every connection is done. */
static void fetch_check(NsFetch *f)
{
    if (f->inert)
        return;
    for (uint32_t i = 0; i < f->parallel; i++)
        if (f->conns[i].st != FC_DONE)
            return;
    fetch_finish(f);
}

/* Fail the whole fetch before any connection (resolution failed). */
static void fetch_fail_early(NsFetch *f, int err, const char *why)
{
    for (uint32_t i = 0; i < f->parallel; i++) {
        f->conns[i].st = FC_DONE;
        f->conns[i].err = err;
        f->conns[i].why = why;
    }
    fetch_check(f);
}

static void fconn_end(FetchConn *c, bool ok, int err, const char *why)
{
    if (c->sock)
        ns_socket_close(c->sock);
    c->sock = NULL;
    if (c->alt)
        ns_socket_close(c->alt);
    c->alt = NULL;
    c->st = FC_DONE;
    c->ok = ok;
    c->err = err;
    c->why = why;
}

static void fconn_prepare(FetchConn *c)
{
    NsFetch *f = c->f;
    NsHttpRequest rq = {.method = {"GET", 3}, .target = {f->path, strlen(f->path)},
                        .version_minor = 1, .host = {f->host_field, strlen(f->host_field)}};
    uint8_t req[1024];
    c->req_len = ns_http_request_emit(&rq, "User-Agent: netsim/" "0.1\r\nAccept: */*\r\n",
                                      req, sizeof req);
    g_free(c->req);
    c->req = c->req_len ? g_memdup2(req, c->req_len) : NULL;
    c->req_off = 0;
    ns_http_reader_clear(&c->reader);
    c->st = c->req_len ? FC_SENDING : FC_DONE;
    if (!c->req_len)
        fconn_end(c, false, 0, "URL too long for a request");
}

/* One whole response arrived: the next request, or close. */
static void fconn_response_done(FetchConn *c)
{
    NsFetch *f = c->f;
    const NsHttpResponse *r = &c->reader.resp;
    c->responses++;
    f->res.responses++;
    f->res.status = r->status;
    f->res.bytes += c->reader.body_read;
    if (c->responses == f->requests) {
        fconn_end(c, true, 0, NULL); /* the browser closes: FIN from our side */
        return;
    }
    if (r->connection == NS_HTTP_CONN_CLOSE) {
        fconn_end(c, false, 0, "the server closed the connection (Connection: close)");
        return;
    }
    fconn_prepare(c);
}

static void fconn_read(FetchConn *c)
{
    uint8_t buf[IO_CHUNK];
    while (c->st == FC_READING) {
        /* The body is counted, not kept: a read that is all body (at
         * least a whole chunk of it left) takes its bytes without a copy;
         * the reads are the same size either way. */
        bool skip = ns_http_reader_body_left(&c->reader) >= sizeof buf;
        long n = skip ? ns_socket_skip(c->sock, sizeof buf)
                      : ns_socket_recvfrom(c->sock, buf, sizeof buf, NULL, NULL);
        if (n > 0 && skip) {
            if (ns_http_reader_skip(&c->reader, (uint64_t)n) == NS_HTTP_READ_DONE)
                fconn_response_done(c);
            continue;
        }
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            fconn_end(c, false, (int)-n, "connection lost while reading the response");
            return;
        }
        if (n == 0) {
            if (ns_http_reader_eof(&c->reader) == NS_HTTP_READ_DONE)
                fconn_response_done(c);
            if (c->st != FC_DONE)
                fconn_end(c, false, 0, "the server closed the connection before the response "
                                       "ended");
            return;
        }
        size_t off = 0;
        while (off < (size_t)n && c->st == FC_READING) {
            size_t used;
            NsHttpReadStatus st = ns_http_reader_feed(&c->reader, buf + off, (size_t)n - off,
                                                      &used);
            off += used;
            switch (st) {
            case NS_HTTP_READ_MORE:
                break;
            case NS_HTTP_READ_DONE:
                fconn_response_done(c);
                break;
            case NS_HTTP_READ_ERROR:
                fconn_end(c, false, 0, "the response does not parse");
                return;
            }
        }
    }
}

/* A connection attempt's outcome: 0 while it goes on, 1 connected, or
 * -errno. */
static int attempt_state(NsSocket *s)
{
    int err = ns_socket_take_error(s);
    if (err)
        return -err;
    int st = ns_socket_state(s);
    if (st == NS_TCP_STATE_SYN_SENT || st == NS_TCP_STATE_SYN_RECEIVED)
        return 0;
    return st == NS_TCP_STATE_CLOSED ? -ECONNREFUSED : 1;
}

static void fconn_ready(void *data, NsSocket *sock);
static void fconn_try4(FetchConn *c, const char *why, int err);

static void fconn_step(FetchConn *c)
{
    NsFetch *f = c->f;
    if (c->st == FC_CONNECTING) {
        int a = c->alt ? attempt_state(c->alt) : 0;
        int p = attempt_state(c->sock);
        if (p < 0 && f->has4 && !c->tried4 && ns_socket_is_v6(c->sock)) {
            /* RFC 8305 5: a failed attempt starts the next one at once. */
            ns_socket_close(c->sock);
            c->sock = NULL;
            fconn_try4(c, "failed", -p);
            if (c->st != FC_CONNECTING)
                return;
            c->sock = c->alt;
            c->alt = NULL;
            p = attempt_state(c->sock);
            a = 0;
        } else if (p < 0 && c->alt) {
            ns_socket_close(c->sock);
            c->sock = c->alt; /* the IPv4 attempt goes on alone */
            c->alt = NULL;
            p = a;
            a = 0;
        }
        if (a < 0) {
            ns_socket_close(c->alt);
            c->alt = NULL;
        }
        if (p == 0 && a > 0) {
            /* IPv4 won the race: the IPv6 attempt is abandoned. */
            char e[64];
            NsIpv6Addr pa;
            uint16_t pp;
            ns_socket_peer6(c->sock, &pa, &pp);
            ns_app_trace(f->host, "fetch", 0, "%s: connected over IPv4 first; the attempt to "
                         "[%s]:%u is abandoned", f->url, ns_ipv6_format(&pa, e), pp);
            ns_socket_close(c->sock);
            c->sock = c->alt;
            c->alt = NULL;
            p = 1;
        }
        if (p < 0) {
            fconn_end(c, false, -p, "could not connect");
            return;
        }
        if (p == 0)
            return;
        if (c->alt) { /* IPv6 won: the IPv4 attempt goes */
            ns_socket_close(c->alt);
            c->alt = NULL;
        }
        fconn_prepare(c);
    }
    for (;;) {
        while (c->st == FC_SENDING) {
            long n = ns_socket_write(c->sock, c->req + c->req_off, c->req_len - c->req_off);
            if (n == -EAGAIN)
                return;
            if (n < 0) {
                fconn_end(c, false, (int)-n, "connection lost while sending the request");
                return;
            }
            c->req_off += (size_t)n;
            if (c->req_off == c->req_len) {
                c->st = FC_READING;
                g_clear_pointer(&c->req, g_free); /* sent */
            }
        }
        if (c->st != FC_READING)
            return;
        fconn_read(c); /* may prepare the next request */
        if (c->st != FC_SENDING)
            return;
    }
}

static void fconn_ready(void *data, NsSocket *sock)
{
    (void)sock;
    FetchConn *c = data;
    fconn_step(c);
    fetch_check(c->f);
}

/* RFC 8305 section 5's Connection Attempt Delay (its recommended value):
 * how long the IPv6 attempt has alone before IPv4 is tried beside it. */
#define HAPPY_EYEBALLS_DELAY NS_MS(250)

/* Start the IPv4 attempt of c in c->alt (c->sock may still be trying
 * IPv6). `why`: "failed" (err set) or "no answer". */
static void fconn_try4(FetchConn *c, const char *why, int err)
{
    NsFetch *f = c->f;
    c->tried4 = true;
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(f->addr, a);
    if (!f->fell_back) {
        char d[32], e6[NS_IPV6_STRLEN];
        ns_app_duration(HAPPY_EYEBALLS_DELAY, d, sizeof d);
        ns_ipv6_format(&f->addr6, e6);
        if (err)
            ns_app_trace(f->host, "fetch", err, "%s: IPv6 attempt to [%s]:%u failed, trying "
                         "%s:%u at once (Happy Eyeballs, RFC 8305):", f->url, e6, f->port, a,
                         f->port);
        else
            ns_app_trace(f->host, "fetch", 0, "%s: %s from [%s]:%u in %s: trying %s:%u as "
                         "well (Happy Eyeballs, RFC 8305: IPv6 first, IPv4 after a short "
                         "delay)", f->url, why, e6, f->port, d, a, f->port);
        f->fell_back = true;
    }
    int e = 0;
    c->alt = ns_socket_new(f->host, NS_SOCK_TCP, &e);
    if (c->alt)
        e = ns_socket_connect(c->alt, f->addr, f->port);
    if (e) {
        if (c->alt)
            ns_socket_close(c->alt);
        c->alt = NULL;
        if (!c->sock)
            fconn_end(c, false, -e, "could not connect");
        return;
    }
    ns_socket_set_watch(c->alt, fconn_ready, c);
}

static void he_timeout(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsFetch *f = obj;
    f->he_timer = NS_EVENT_NONE;
    for (uint32_t i = 0; i < f->parallel; i++) {
        FetchConn *c = &f->conns[i];
        if (c->st == FC_CONNECTING && !c->tried4)
            fconn_try4(c, "no answer", 0);
    }
    fetch_check(f);
}

static void fetch_connect(NsFetch *f)
{
    bool v6 = f->has6;
    for (uint32_t i = 0; i < f->parallel; i++) {
        FetchConn *c = &f->conns[i];
        int err = 0;
        c->sock = ns_socket_new(f->host, NS_SOCK_TCP, &err);
        if (c->sock)
            err = v6 ? ns_socket_connect6(c->sock, &f->addr6, f->port)
                     : ns_socket_connect(c->sock, f->addr, f->port);
        if (err && v6 && f->has4) {
            ns_socket_close(c->sock);
            c->sock = NULL;
            c->st = FC_CONNECTING;
            fconn_try4(c, "failed", -err);
            if (c->st == FC_CONNECTING) {
                c->sock = c->alt;
                c->alt = NULL;
            }
            continue;
        }
        if (err) {
            fconn_end(c, false, -err, "could not connect");
            continue;
        }
        c->st = FC_CONNECTING;
        ns_socket_set_watch(c->sock, fconn_ready, c);
    }
    if (v6 && f->has4)
        f->he_timer = ns_sim_schedule(ns_host_ctx(f->host)->sim, HAPPY_EYEBALLS_DELAY,
                                      he_timeout, f, NULL);
    fetch_check(f);
}

/* RFC 8305 section 3's Resolution Delay (its recommended value): how long
 * an A answer that came alone waits for the AAAA answer. */
#define RESOLUTION_DELAY NS_MS(50)

static void resolution_delay_over(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsFetch *f = obj;
    f->rd_timer = NS_EVENT_NONE;
    char d[32];
    ns_app_duration(RESOLUTION_DELAY, d, sizeof d);
    ns_app_trace(f->host, "fetch", 0, "%s: no AAAA answer %s after the A answer: connecting "
                 "over IPv4 (Happy Eyeballs, RFC 8305: the resolution delay)", f->url, d);
    /* The AAAA query is given up: this fetch will not use a late answer. */
    ns_resolve_free(f->resolve6);
    f->resolve6 = NULL;
    f->lookups--;
    fetch_connect(f);
}

static void fetch_resolved(void *data, const NsResolveResult *res)
{
    NsFetch *f = data;
    NsResolve *r = res->v6 ? f->resolve6 : f->resolve;
    if (res->v6)
        f->resolve6 = NULL;
    else
        f->resolve = NULL;
    ns_resolve_free(r); /* it touches nothing after this callback */
    f->lookups--;
    if (res->status == NS_RESOLVE_OK && res->v6) {
        f->has6 = true;
        f->addr6 = res->addr6;
    } else if (res->status == NS_RESOLVE_OK) {
        f->has4 = true;
        f->addr = res->addr;
    }
    /* Both queries left together, AAAA first. An A answer that comes
     * alone waits RFC 8305 3's resolution delay for the AAAA one; an AAAA
     * answer waits for the A one (which the same server sends next). */
    if (f->lookups > 0) {
        if (!res->v6 && f->has4 && f->resolve6)
            f->rd_timer = ns_sim_schedule(ns_host_ctx(f->host)->sim, RESOLUTION_DELAY,
                                          resolution_delay_over, f, NULL);
        return;
    }
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->rd_timer);
    if (f->has6 || f->has4) {
        fetch_connect(f);
        return;
    }
    switch (res->status) {
    case NS_RESOLVE_OK:
    case NS_RESOLVE_NXDOMAIN:
    case NS_RESOLVE_NO_ADDRESS:
        fetch_fail_early(f, 0, "could not resolve the name");
        return;
    case NS_RESOLVE_TIMEOUT:
    case NS_RESOLVE_ERROR:
        fetch_fail_early(f, res->err, "name lookup failed");
        return;
    }
}

static void fetch_begin(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsFetch *f = obj;
    f->ev = NS_EVENT_NONE;
    fetch_connect(f);
}

NsFetch *ns_fetch_start(NsHost *h, const NsFetchSpec *spec, NsFetchDone cb, void *data)
{
    g_return_val_if_fail(h != NULL && spec != NULL && spec->host != NULL, NULL);
    NsFetch *f = g_new0(NsFetch, 1);
    f->host = h;
    f->port = spec->port ? spec->port : 80;
    f->hostname = g_strdup(spec->host);
    f->host_field = f->port == 80 ? g_strdup(spec->host)
                                  : g_strdup_printf("%s:%u", spec->host, f->port);
    f->path = g_strdup(spec->path ? spec->path : "/");
    f->url = spec->url ? g_strdup(spec->url)
                       : g_strdup_printf("http://%s%s", f->host_field, f->path);
    f->addr = spec->addr;
    f->requests = spec->requests ? spec->requests : 1;
    f->parallel = spec->parallel ? spec->parallel : 1;
    f->dns_server = spec->dns_server;
    f->names = spec->names;
    f->cb = cb;
    f->data = data;
    f->started = ns_app_now(h);
    f->conns = g_new0(FetchConn, f->parallel);
    for (uint32_t i = 0; i < f->parallel; i++) {
        f->conns[i].f = f;
        ns_http_reader_init(&f->conns[i].reader);
    }
    g_autofree char *ka = f->requests > 1 ? g_strdup_printf(" keep-alive %u", f->requests)
                                          : g_strdup("");
    g_autofree char *par = f->parallel > 1 ? g_strdup_printf(" parallel %u", f->parallel)
                                           : g_strdup("");
    ns_app_trace(h, "fetch", 0, "%s%s%s", f->url, ka, par);
    NsIpv6Addr mine;
    if (spec->addr6) {
        f->has6 = true;
        f->addr6 = *spec->addr6;
        f->ev = ns_sim_schedule(ns_host_ctx(h)->sim, 0, fetch_begin, f, NULL);
    } else if (f->addr == 0 && !ns_ipv4_parse_addr(f->hostname, &f->addr)) {
        /* A host with an IPv6 address asks for AAAA too, first (RFC 8305 3);
         * one with no IPv4 address asks for AAAA alone (as getaddrinfo's
         * AI_ADDRCONFIG does): it goes straight to IPv6. */
        if (ns_host_first_addr6(h, &mine)) {
            f->lookups++;
            f->resolve6 = ns_dns_resolve_via(h, &f->dns_server, true, f->hostname, f->names,
                                             fetch_resolved, f);
        }
        if (ns_app_host_has_ipv4(h) || !f->resolve6) {
            f->lookups++;
            f->resolve = ns_dns_resolve_via(h, &f->dns_server, false, f->hostname, f->names,
                                            fetch_resolved, f);
        }
    } else {
        f->has4 = true;
        f->ev = ns_sim_schedule(ns_host_ctx(h)->sim, 0, fetch_begin, f, NULL);
    }
    return f;
}

const NsFetchResult *ns_fetch_result(const NsFetch *f)
{
    return f && f->finished ? &f->res : NULL;
}

void ns_fetch_crash(NsFetch *f)
{
    if (!f)
        return;
    ns_resolve_crash(f->resolve);
    ns_resolve_crash(f->resolve6);
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->ev);
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->he_timer);
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->rd_timer);
    for (uint32_t i = 0; f->conns && i < f->parallel; i++)
        f->conns[i].sock = f->conns[i].alt = NULL;
    f->inert = true;
}

void ns_fetch_free(NsFetch *f)
{
    if (!f)
        return;
    ns_resolve_free(f->resolve);
    ns_resolve_free(f->resolve6);
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->ev);
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->he_timer);
    ns_sim_cancel(ns_host_ctx(f->host)->sim, &f->rd_timer);
    for (uint32_t i = 0; f->conns && i < f->parallel; i++) {
        if (f->conns[i].sock)
            ns_socket_close(f->conns[i].sock);
        if (f->conns[i].alt)
            ns_socket_close(f->conns[i].alt);
        ns_http_reader_clear(&f->conns[i].reader);
        g_free(f->conns[i].req);
    }
    g_free(f->conns);
    g_free(f->url);
    g_free(f->hostname);
    g_free(f->host_field);
    g_free(f->path);
    g_free(f);
}
