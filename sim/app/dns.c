/* DNS over UDP (RFC 1035 4.2.1): an authoritative server answering A and
 * AAAA (RFC 3596) queries from a name table, and a stub resolver with glibc's timeout and
 * retry (resolv.conf(5): timeout 5 s, attempts 2) that can also answer
 * from the table directly when the network has no DNS server. */
#include "app-private.h"

#include <errno.h>
#include <string.h>

#include "netsim/wire/dns.h"
#include "netsim/ip6.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim-private/ctx.h"

/* ---- server ---- */

struct NsDnsServer {
    NsHost *host;
    NsSocket *sock; /* NULL after a crash */
    const NsDnsTable *table;
    uint64_t answered;
    bool v6; /* bound to [::]: queries of both families */
};

/* Build the reply to query q (already parsed into m, or not: parsed false)
 * into out; returns its length, 0 for nothing to send. */
static size_t answer_query(const NsDnsServer *s, const uint8_t *q, size_t qlen, uint8_t *out,
                           size_t cap)
{
    NsDnsHeader h;
    if (ns_dns_header_parse(q, qlen, &h) != NS_WIRE_OK || h.qr)
        return 0; /* too short to answer, or a response: never reply to those */
    NsDnsMessage m;
    NsDnsMessage r = {.hdr = {.id = h.id, .qr = true, .opcode = h.opcode, .aa = true,
                              .rd = h.rd}};
    NsWireResult res = ns_dns_parse(q, qlen, &m);
    if (h.opcode != 0) {
        r.hdr.rcode = NS_DNS_RCODE_NOTIMP;
    } else if (res != NS_WIRE_OK || h.qdcount != 1) {
        r.hdr.rcode = NS_DNS_RCODE_FORMERR;
    } else {
        r.has_question = true;
        r.question = m.question;
        const NsDnsEntry *e = m.question.klass == NS_DNS_CLASS_IN
                                  ? ns_dns_table_find(s->table, m.question.name)
                                  : NULL;
        bool a = (m.question.type == NS_DNS_TYPE_A || m.question.type == NS_DNS_TYPE_ANY) &&
                 e && e->addr;
        bool aaaa = m.question.type == NS_DNS_TYPE_AAAA ||
                    (m.question.type == NS_DNS_TYPE_ANY && e && e->has6);
        if (!e) {
            r.hdr.rcode = NS_DNS_RCODE_NXDOMAIN;
        } else if (a || (aaaa && e->has6)) {
            for (int v6 = 0; v6 < 2; v6++) {
                if (!(v6 ? aaaa && e->has6 : a))
                    continue;
                NsDnsRr *rr = &r.answers[r.n_answers++];
                g_strlcpy(rr->name, m.question.name, sizeof rr->name);
                rr->type = v6 ? NS_DNS_TYPE_AAAA : NS_DNS_TYPE_A;
                rr->klass = NS_DNS_CLASS_IN;
                rr->ttl = NS_DNS_TTL;
                rr->rdlength = v6 ? 16 : 4;
                rr->addr = v6 ? 0 : e->addr;
                if (v6)
                    memcpy(rr->addr6, e->addr6.b, 16);
            }
        } /* else NOERROR, no answer: the name exists, not with that type */
    }
    return ns_dns_emit(&r, out, cap);
}

static void server_readable(void *data, NsSocket *sock)
{
    NsDnsServer *s = data;
    uint8_t q[NS_DNS_UDP_MAX], reply[NS_DNS_UDP_MAX];
    for (;;) {
        uint32_t from = 0;
        NsIpv6Addr from6;
        uint16_t port;
        long n = s->v6 ? ns_socket_recvfrom6(sock, q, sizeof q, &from6, &port)
                       : ns_socket_recvfrom(sock, q, sizeof q, &from, &port);
        if (n == -EAGAIN)
            return;
        if (n < 0)
            continue; /* a pending error of the socket: nothing to answer */
        size_t len = (size_t)n < sizeof q ? (size_t)n : sizeof q;
        size_t rlen = answer_query(s, q, len, reply, sizeof reply);
        /* to an IPv4 client's mapped address (::ffff:a.b.c.d), the reply
         * goes over IPv4 */
        if (rlen && (s->v6 ? ns_socket_sendto6(sock, reply, rlen, &from6, port)
                           : ns_socket_sendto(sock, reply, rlen, from, port)) == 0)
            s->answered++;
    }
}

NsDnsServer *ns_dns_server_start(NsHost *h, uint16_t port, const NsDnsTable *t)
{
    g_return_val_if_fail(h != NULL, NULL);
    int err;
    NsIpv6Addr mine;
    static const NsIpv6Addr any6;
    /* A server with an IPv6 address listens on [::], which takes IPv4 too,
     * so that IPv6-only hosts can ask it. */
    bool v6 = ns_host_first_addr6(h, &mine);
    NsSocket *sock = ns_socket_new(h, NS_SOCK_UDP, &err);
    if (sock)
        err = v6 ? ns_socket_bind6(sock, &any6, port) : ns_socket_bind(sock, 0, port);
    if (err) {
        ns_app_trace(h, "service", -err, "dns on udp port %u failed to start:", port);
        if (sock)
            ns_socket_close(sock);
        return NULL;
    }
    NsDnsServer *s = g_new0(NsDnsServer, 1);
    s->host = h;
    s->sock = sock;
    s->table = t;
    s->v6 = v6;
    ns_socket_set_watch(sock, server_readable, s);
    ns_app_trace(h, "service", 0, "dns listening on udp port %u (%zu name%s)", port,
                 t ? t->n : 0, t && t->n == 1 ? "" : "s");
    return s;
}

void ns_dns_server_crash(NsDnsServer *s)
{
    if (s)
        s->sock = NULL;
}

void ns_dns_server_free(NsDnsServer *s)
{
    if (!s)
        return;
    if (s->sock)
        ns_socket_close(s->sock);
    g_free(s);
}

uint64_t ns_dns_server_answered(const NsDnsServer *s)
{
    return s ? s->answered : 0;
}

/* ---- resolver ---- */

struct NsResolve {
    NsHost *host;
    char *name;
    NsDnsServerAddr server;
    const NsDnsTable *table;
    NsResolveDone cb;
    void *data;
    uint16_t qtype; /* A or AAAA */
    NsSocket *sock;
    uint16_t id;
    uint8_t query[NS_DNS_UDP_MAX];
    size_t query_len;
    NsResolveResult res;
    NsTime started;
    NsEventId timer; /* retry timeout, or the deferred completion */
    bool done;
};

static void server_text(const NsDnsServerAddr *s, char out[NS_IPV6_STRLEN])
{
    if (s->v6)
        ns_ipv6_format(&s->addr6, out);
    else
        ns_ipv4_format(s->addr, out);
}

static void resolve_finish(NsResolve *r)
{
    r->done = true;
    ns_sim_cancel(ns_host_ctx(r->host)->sim, &r->timer);
    if (r->sock) {
        ns_socket_close(r->sock);
        r->sock = NULL;
    }
    r->res.elapsed = ns_app_now(r->host) - r->started;
    char a[NS_IPV6_STRLEN], d[32], srv[NS_IPV6_STRLEN];
    if (r->res.v6)
        ns_ipv6_format(&r->res.addr6, a);
    else
        ns_ipv4_format(r->res.addr, a);
    server_text(&r->server, srv);
    ns_app_duration(r->res.elapsed, d, sizeof d);
    const char *n = r->name;
    switch (r->res.status) {
    case NS_RESOLVE_OK:
        if (r->res.from_table)
            ns_app_trace(r->host, "resolve", 0,
                         "%s: %s (from the scenario's name declarations: no DNS server in this "
                         "network)", n, a);
        else if (r->res.tries == 0)
            ns_app_trace(r->host, "resolve", 0, "%s: an address already, nothing to look up", n);
        else
            ns_app_trace(r->host, "resolve", 0, "%s: %s from %s in %s", n, a, srv, d);
        break;
    case NS_RESOLVE_NXDOMAIN:
        if (r->res.from_table)
            ns_app_trace(r->host, "resolve", 0,
                         "%s: no such name (not in the scenario's name declarations; no DNS "
                         "server in this network)", n);
        else
            ns_app_trace(r->host, "resolve", 0, "%s: no such name (NXDOMAIN from %s)", n, srv);
        break;
    case NS_RESOLVE_NO_ADDRESS:
        ns_app_trace(r->host, "resolve", 0, "%s: the name has no IPv%c address", n,
                     r->qtype == NS_DNS_TYPE_AAAA ? '6' : '4');
        break;
    case NS_RESOLVE_TIMEOUT:
        ns_app_trace(r->host, "resolve", r->res.err, "%s: no answer from %s after %u tries:", n,
                     srv, r->res.tries);
        break;
    case NS_RESOLVE_ERROR:
        if (r->res.err)
            ns_app_trace(r->host, "resolve", r->res.err, "%s: failed:", n);
        else
            ns_app_trace(r->host, "resolve", 0, "%s: failed: %s from %s", n,
                         ns_dns_rcode_name(r->res.rcode) ? ns_dns_rcode_name(r->res.rcode)
                                                         : "error",
                         srv);
        break;
    }
    NsResolveResult res = r->res;
    if (r->cb)
        r->cb(r->data, &res); /* last: the callback may free r */
}

static void resolve_fail(NsResolve *r, NsResolveStatus st, int err)
{
    r->res.status = st;
    r->res.err = err;
    resolve_finish(r);
}

static void resolve_deferred(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsResolve *r = obj;
    r->timer = NS_EVENT_NONE;
    resolve_finish(r);
}

static bool send_query(NsResolve *r)
{
    int err = ns_socket_send(r->sock, r->query, r->query_len);
    if (err) {
        resolve_fail(r, NS_RESOLVE_ERROR, -err);
        return false;
    }
    r->res.tries++;
    return true;
}

static void resolve_timeout(NsSim *sim, void *obj, void *arg)
{
    (void)arg;
    NsResolve *r = obj;
    r->timer = NS_EVENT_NONE;
    if (r->res.tries >= NS_DNS_ATTEMPTS) {
        resolve_fail(r, NS_RESOLVE_TIMEOUT, ETIMEDOUT);
        return;
    }
    ns_app_trace(r->host, "resolve", 0, "%s: no answer after %u s, asking again (try %u of %u)",
                 r->name, (unsigned)(NS_DNS_TIMEOUT / NS_S(1)), r->res.tries + 1,
                 NS_DNS_ATTEMPTS);
    if (send_query(r))
        r->timer = ns_sim_schedule(sim, NS_DNS_TIMEOUT, resolve_timeout, r, NULL);
}

/* True when reply m answers our query (RFC 5452 9.1: ID and question). */
static bool is_our_answer(const NsResolve *r, const NsDnsMessage *m)
{
    return m->hdr.qr && m->hdr.id == r->id && m->has_question &&
           ns_dns_name_equal(m->question.name, r->name) && m->question.type == r->qtype;
}

static void resolve_readable(void *data, NsSocket *sock)
{
    NsResolve *r = data;
    uint8_t buf[NS_DNS_UDP_MAX];
    for (;;) {
        long n = ns_socket_recvfrom(sock, buf, sizeof buf, NULL, NULL);
        if (n == -EAGAIN)
            return;
        if (n < 0) { /* ICMP port unreachable: ECONNREFUSED, as glibc sees it */
            resolve_fail(r, NS_RESOLVE_ERROR, (int)-n);
            return;
        }
        NsDnsMessage m;
        size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf;
        if (ns_dns_parse(buf, len, &m) != NS_WIRE_OK || !is_our_answer(r, &m))
            continue; /* not ours: keep waiting, as a stub resolver does */
        r->res.rcode = m.hdr.rcode;
        if (m.hdr.rcode == NS_DNS_RCODE_NXDOMAIN) {
            resolve_fail(r, NS_RESOLVE_NXDOMAIN, 0);
            return;
        }
        if (m.hdr.rcode != NS_DNS_RCODE_NOERROR) {
            resolve_fail(r, NS_RESOLVE_ERROR, 0);
            return;
        }
        for (uint16_t i = 0; i < m.n_answers; i++) {
            if (m.answers[i].type == r->qtype && m.answers[i].klass == NS_DNS_CLASS_IN) {
                r->res.status = NS_RESOLVE_OK;
                r->res.addr = m.answers[i].addr;
                memcpy(r->res.addr6.b, m.answers[i].addr6, 16);
                resolve_finish(r);
                return;
            }
        }
        resolve_fail(r, NS_RESOLVE_NO_ADDRESS, 0);
        return;
    }
}

/* Ask the server: a connected UDP socket (so that an ICMP error reaches
 * us, as glibc connects its socket), one query with a random ID. */
static void resolve_ask(NsResolve *r)
{
    char srv[NS_IPV6_STRLEN];
    server_text(&r->server, srv);
    ns_app_trace(r->host, "resolve", 0, "%s: asking the DNS server %s%s", r->name, srv,
                 r->qtype == NS_DNS_TYPE_AAAA ? " for its IPv6 address (AAAA)" : "");
    NsDnsMessage q = {.hdr = {.rd = true}, .has_question = true,
                      .question = {.type = r->qtype, .klass = NS_DNS_CLASS_IN}};
    r->id = (uint16_t)ns_rng_below(ns_host_rng(r->host), 65536);
    q.hdr.id = r->id;
    g_strlcpy(q.question.name, r->name, sizeof q.question.name);
    r->query_len = ns_dns_emit(&q, r->query, sizeof r->query);
    int err = 0;
    r->sock = ns_socket_new(r->host, NS_SOCK_UDP, &err);
    if (r->sock)
        err = r->server.v6 ? ns_socket_connect6(r->sock, &r->server.addr6, NS_DNS_PORT)
                           : ns_socket_connect(r->sock, r->server.addr, NS_DNS_PORT);
    if (err) {
        resolve_fail(r, NS_RESOLVE_ERROR, -err);
        return;
    }
    ns_socket_set_watch(r->sock, resolve_readable, r);
    if (send_query(r))
        r->timer = ns_sim_schedule(ns_host_ctx(r->host)->sim, NS_DNS_TIMEOUT, resolve_timeout,
                                   r, NULL);
}

static void resolve_ask_event(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsResolve *r = obj;
    r->timer = NS_EVENT_NONE;
    resolve_ask(r);
}

static NsResolve *resolve_start(NsHost *h, const NsDnsServerAddr *server, const char *name,
                                const NsDnsTable *t, uint16_t qtype, NsResolveDone cb,
                                void *data)
{
    g_return_val_if_fail(h != NULL && name != NULL, NULL);
    NsResolve *r = g_new0(NsResolve, 1);
    r->host = h;
    r->qtype = qtype;
    r->res.v6 = qtype == NS_DNS_TYPE_AAAA;
    r->name = g_strdup(name);
    r->server = *server;
    r->table = t;
    r->cb = cb;
    r->data = data;
    r->started = ns_app_now(h);
    NsSim *sim = ns_host_ctx(h)->sim;
    uint32_t addr;
    if (!r->res.v6 && ns_ipv4_parse_addr(name, &addr)) {
        r->res.status = NS_RESOLVE_OK;
        r->res.addr = addr;
    } else if (r->res.v6 && ns_ipv6_parse_addr(name, &r->res.addr6)) {
        r->res.status = NS_RESOLVE_OK;
    } else if (r->res.v6 && ns_ipv4_parse_addr(name, &addr)) {
        r->res.status = NS_RESOLVE_NO_ADDRESS; /* an IPv4 address has no IPv6 one */
    } else if (!ns_dns_name_valid(name)) {
        r->res.status = NS_RESOLVE_ERROR;
        r->res.err = EINVAL;
    } else if (server->addr == 0 && !server->v6) {
        r->res.from_table = true;
        const NsDnsEntry *e = ns_dns_table_find(t, name);
        r->res.status = !e                                  ? NS_RESOLVE_NXDOMAIN
                        : r->res.v6 ? (e->has6 ? NS_RESOLVE_OK : NS_RESOLVE_NO_ADDRESS)
                                    : (e->addr ? NS_RESOLVE_OK : NS_RESOLVE_NO_ADDRESS);
        if (e && r->res.v6 && e->has6)
            r->res.addr6 = e->addr6;
        else if (e && !r->res.v6)
            r->res.addr = e->addr;
    } else {
        /* In an event of its own, so the caller's trace line comes first
         * and no callback can run inside this call. */
        r->timer = ns_sim_schedule(sim, 0, resolve_ask_event, r, NULL);
        return r;
    }
    r->timer = ns_sim_schedule(sim, 0, resolve_deferred, r, NULL);
    return r;
}

NsResolve *ns_dns_resolve(NsHost *h, uint32_t server, const char *name, const NsDnsTable *t,
                          NsResolveDone cb, void *data)
{
    NsDnsServerAddr s = {.addr = server};
    return resolve_start(h, &s, name, t, NS_DNS_TYPE_A, cb, data);
}

NsResolve *ns_dns_resolve6(NsHost *h, uint32_t server, const char *name, const NsDnsTable *t,
                           NsResolveDone cb, void *data)
{
    NsDnsServerAddr s = {.addr = server};
    return resolve_start(h, &s, name, t, NS_DNS_TYPE_AAAA, cb, data);
}

NsResolve *ns_dns_resolve_via(NsHost *h, const NsDnsServerAddr *server, bool aaaa,
                              const char *name, const NsDnsTable *t, NsResolveDone cb,
                              void *data)
{
    g_return_val_if_fail(server != NULL, NULL);
    return resolve_start(h, server, name, t, aaaa ? NS_DNS_TYPE_AAAA : NS_DNS_TYPE_A, cb, data);
}

void ns_resolve_crash(NsResolve *r)
{
    if (!r)
        return;
    r->sock = NULL;
    ns_sim_cancel(ns_host_ctx(r->host)->sim, &r->timer);
    r->done = true;
}

void ns_resolve_free(NsResolve *r)
{
    if (!r)
        return;
    ns_sim_cancel(ns_host_ctx(r->host)->sim, &r->timer);
    if (r->sock)
        ns_socket_close(r->sock);
    g_free(r->name);
    g_free(r);
}
