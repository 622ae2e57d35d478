/* The application steps that run at their time, outside any program
 * (fetch, resolve and mail are started through apps.c): `ping` (ICMP echo requests at an interval, replies matched by id and
 * sequence) and `udp-send` (a throwaway connected UDP socket that waits a
 * second for an answer). */
#include "steps-private.h"
#include "world-private.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"

void ns_world_target_format(const NsScnEndpoint *t, char out[NS_IPV6_STRLEN])
{
    if (t->is_v6) {
        NsIpv6Addr a;
        memcpy(a.b, t->addr6, 16);
        ns_ipv6_format(&a, out);
    } else {
        ns_ipv4_format(t->addr, out);
    }
}

typedef struct {
    NsSteps *steps;
    uint32_t step, host;
    uint16_t id;
    gint64 id_key; /* host << 16 | id: its key in by_id */
    uint32_t sent, received, errors;
    GArray *sent_at; /* NsTime per seq */
    NsEventId timer;
    bool done;
} PingRt;

typedef struct {
    NsSteps *steps;
    uint32_t host;
    NsSocket *sock;
    NsEventId timer;
} UdpSendRt;

struct NsSteps {
    NsWorld *w;           /* the hosts, the trace helpers */
    GPtrArray *pings;     /* PingRt* */
    GHashTable *by_step;  /* step -> PingRt*, for expectations */
    GHashTable *by_id;    /* &PingRt.id_key -> PingRt*, for replies */
    uint32_t *ping_ids;   /* per host: ids given out so far */
    GPtrArray *udp_sends; /* UdpSendRt* */
};

NsSteps *ns_steps_new(NsWorld *w, uint32_t n_hosts)
{
    NsSteps *s = g_new0(NsSteps, 1);
    s->w = w;
    s->pings = g_ptr_array_new();
    s->by_step = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
    s->ping_ids = g_new0(uint32_t, n_hosts ? n_hosts : 1);
    s->udp_sends = g_ptr_array_new();
    return s;
}

void ns_steps_free(NsSteps *s)
{
    if (!s)
        return;
    for (guint i = 0; i < s->pings->len; i++) {
        PingRt *p = g_ptr_array_index(s->pings, i);
        g_array_free(p->sent_at, TRUE);
        g_free(p);
    }
    g_ptr_array_free(s->pings, TRUE);
    g_hash_table_destroy(s->by_step);
    g_hash_table_destroy(s->by_id);
    g_free(s->ping_ids);
    for (guint i = 0; i < s->udp_sends->len; i++)
        g_free(g_ptr_array_index(s->udp_sends, i));
    g_ptr_array_free(s->udp_sends, TRUE);
    g_free(s);
}

bool ns_steps_ping_received(const NsSteps *s, uint32_t step, uint32_t *received)
{
    const PingRt *p = g_hash_table_lookup(s->by_step, GUINT_TO_POINTER(step));
    *received = p ? p->received : 0;
    return p != NULL;
}

uint16_t ns_steps_icmp_id(NsSteps *s, uint32_t host)
{
    return (uint16_t)++s->ping_ids[host];
}

void ns_steps_host_crashed(NsSteps *s, uint32_t host)
{
    for (guint i = 0; i < s->udp_sends->len; i++) {
        UdpSendRt *u = g_ptr_array_index(s->udp_sends, i);
        if (u->host == host)
            u->sock = NULL;
    }
}

static void ping_finish(PingRt *p)
{
    NsWorld *w = p->steps->w;
    if (p->done)
        return;
    p->done = true;
    ns_sim_cancel(w->ctx->sim, &p->timer);
    const NsScnStep *st = ns_scn_step(w->scn, p->step);
    char a[NS_IPV6_STRLEN];
    ns_world_target_format(&st->u.ping.target, a);
    uint32_t loss = p->sent ? (uint32_t)(100u * (p->sent - p->received) / p->sent) : 0;
    ns_world_trace_appf(w, p->host, "ping", 0, "%s done: %u sent, %u received, %u%% loss", a, p->sent,
               p->received, loss);
}

static void ping_tick(NsSim *sim, void *obj, void *arg);

/* A reply or error for ping `id` of host h from `a` (its text). */
static void ping_echo(HostRt *h, const char *a, bool v6, uint16_t id, uint16_t seq, uint8_t ttl,
                      size_t len, int err)
{
    NsWorld *w = h->w;
    gint64 key = (gint64)h->idx << 16 | id;
    PingRt *p = g_hash_table_lookup(w->steps->by_id, &key);
    if (!p || p->done || seq == 0 || seq > p->sent ||
        ns_scn_step(w->scn, p->step)->u.ping.target.is_v6 != v6)
        return;
    if (err) {
        ns_world_trace_appf(w, h->idx, "ping", err, "seq %u: error reported by %s:", seq, a);
        p->errors++;
    } else {
        p->received++;
        NsTime rtt = ns_sim_now(w->ctx->sim) - g_array_index(p->sent_at, NsTime, seq - 1);
        ns_world_trace_appf(w, h->idx, "ping", 0,
                            "reply from %s seq %u: %zuB ttl %u time %" PRId64 ".%03" PRId64
                            " ms", a, seq, len, ttl, rtt / 1000000, (rtt / 1000) % 1000);
    }
    const NsScnStep *st = ns_scn_step(w->scn, p->step);
    if (p->sent == st->u.ping.count && p->received + p->errors >= p->sent)
        ping_finish(p);
}

void ns_steps_ping_echo(void *data, uint32_t from, uint16_t id, uint16_t seq, uint8_t ttl,
                        size_t len, int err)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(from, a);
    ping_echo(data, a, false, id, seq, ttl, len, err);
}

void ns_steps_ping_echo6(void *data, const NsIpv6Addr *from, uint16_t id, uint16_t seq,
                         uint8_t hops, size_t len, int err)
{
    char a[NS_IPV6_STRLEN];
    ns_ipv6_format(from, a);
    ping_echo(data, a, true, id, seq, hops, len, err);
}

static void ping_tick(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    PingRt *p = obj;
    NsWorld *w = p->steps->w;
    p->timer = NS_EVENT_NONE;
    if (p->done)
        return;
    const NsScnStep *st = ns_scn_step(w->scn, p->step);
    if (p->sent >= st->u.ping.count) {
        ping_finish(p); /* the last wait is over */
        return;
    }
    HostRt *h = &w->hosts[p->host];
    p->sent++;
    NsTime now = ns_sim_now(w->ctx->sim);
    g_array_append_val(p->sent_at, now);
    int err;
    if (!ns_host_is_up(h->host)) {
        err = ENETDOWN;
    } else if (st->u.ping.target.is_v6) {
        NsIpv6Addr dst;
        memcpy(dst.b, st->u.ping.target.addr6, 16);
        err = ns_ip6_send_echo(ns_ip6_of(h->host), &dst, p->id, (uint16_t)p->sent,
                               st->u.ping.size, st->u.ping.ttl);
    } else {
        err = ns_ip_send_echo_ttl(ns_ip_of(h->host), st->u.ping.target.addr, p->id,
                                  (uint16_t)p->sent, st->u.ping.size, st->u.ping.ttl);
    }
    if (err) {
        ns_world_trace_appf(w, p->host, "ping", err, "seq %u: send failed:", p->sent);
        p->errors++;
    }
    /* Next request after the interval; after the last, wait as long for
     * replies (at least a second, like ping's own deadline). */
    NsTime wait = st->u.ping.interval;
    if (p->sent >= st->u.ping.count && wait < NS_S(1))
        wait = NS_S(1);
    if (p->sent >= st->u.ping.count && p->received + p->errors >= p->sent)
        ping_finish(p);
    else
        p->timer = ns_sim_schedule(w->ctx->sim, wait, ping_tick, p, NULL);
}

/* Whether the host has a route (or the address) to ping's target. */
static bool ping_routable(NsHost *host, const NsScnEndpoint *t)
{
    if (t->is_v6) {
        NsIpv6Addr dst, src;
        memcpy(dst.b, t->addr6, 16);
        return ns_ip6_is_local(ns_ip6_of(host), &dst) ||
               ns_ip6_source_for(ns_ip6_of(host), &dst, &src);
    }
    NsIface *iface;
    uint32_t next_hop;
    return ns_host_has_addr(host, t->addr) ||
           ns_ip_route(ns_ip_of(host), t->addr, &iface, &next_hop);
}

static void ping_start(NsSteps *s, uint32_t step)
{
    NsWorld *w = s->w;
    const NsScnStep *st = ns_scn_step(w->scn, step);
    PingRt *p = g_new0(PingRt, 1);
    p->steps = s;
    p->step = step;
    p->host = (uint32_t)st->host;
    p->id = ns_steps_icmp_id(s, p->host);
    p->sent_at = g_array_new(FALSE, FALSE, sizeof(NsTime));
    g_ptr_array_add(s->pings, p);
    g_hash_table_insert(s->by_step, GUINT_TO_POINTER(step), p);
    /* Ids count up per host: a later ping with a wrapped id replaces the
     * earlier one as the owner of that id, as it would on a real host. */
    p->id_key = (gint64)p->host << 16 | p->id;
    g_hash_table_insert(s->by_id, &p->id_key, p);
    char a[NS_IPV6_STRLEN];
    ns_world_target_format(&st->u.ping.target, a);
    if (ns_tracer_wants(w->ctx->tracer, NS_TRACE_APP)) {
        g_autofree char *text = g_strdup_printf("%s count %u size %" PRIu64 "B (ICMP%s id %u)", a,
                                                st->u.ping.count, st->u.ping.size,
                                                st->u.ping.target.is_v6 ? "v6" : "", p->id);
        ns_world_trace_app_ev(w, p->host, NS_APP_EV_PING_START, st->u.ping.target.addr, "ping",
                              text, 0);
    }
    /* iputils ping connect()s a probe socket first to learn its source
     * address: without a route it says "connect: Network is unreachable"
     * and sends nothing. */
    HostRt *h = &w->hosts[p->host];
    if (ns_host_is_up(h->host) && !ping_routable(h->host, &st->u.ping.target)) {
        ns_world_trace_appf(w, p->host, "ping", ENETUNREACH, "%s: connect:", a);
        p->done = true;
        return;
    }
    ping_tick(w->ctx->sim, p, NULL);
}

/* ---- udp-send: a throwaway socket that waits a second for an answer ---- */

static void udp_send_done(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    UdpSendRt *u = obj;
    u->timer = NS_EVENT_NONE;
    if (u->sock) {
        ns_socket_close(u->sock);
        u->sock = NULL;
    }
}

static void udp_send_readable(void *data, NsSocket *sock)
{
    UdpSendRt *u = data;
    NsWorld *w = u->steps->w;
    uint8_t buf[64];
    uint32_t from;
    uint16_t port;
    long n;
    while ((n = ns_socket_recvfrom(sock, buf, sizeof buf, &from, &port)) != -EAGAIN) {
        char ep[32];
        ns_world_fmt_ep(ep, sizeof ep, from, port);
        if (n < 0) {
            ns_world_trace_app(w, u->host, "udp-send", "answer:", (int)-n);
            continue;
        }
        NsScnPayload pl = {buf, (uint64_t)n < sizeof buf ? (uint64_t)n : sizeof buf};
        g_autofree char *txt = ns_world_payload_text(&pl);
        ns_world_trace_appf(w, u->host, "udp-send", 0, "answer from %s: %ldB %s", ep, n, txt);
    }
}

static void udp_send_start(NsSteps *steps, uint32_t step)
{
    NsWorld *w = steps->w;
    const NsScnStep *st = ns_scn_step(w->scn, step);
    HostRt *h = &w->hosts[st->host];
    char ep[64];
    ns_world_fmt_scn_ep(ep, sizeof ep, &st->u.send_to.to);
    g_autofree char *txt = ns_world_payload_text(&st->u.send_to.payload);
    int err;
    NsSocket *s = ns_socket_new(h->host, NS_SOCK_UDP, &err);
    /* Connected, as `nc -u` does: an ICMP error then reaches the program.
     * (The socket API's errors are -errno; traces take errno.) */
    if (s)
        err = ns_world_sock_connect(s, &st->u.send_to.to);
    if (!err)
        err = ns_socket_send(s, ns_world_payload_bytes(w, &st->u.send_to.payload),
                             st->u.send_to.payload.len);
    err = -err;
    ns_world_trace_appf(w, (uint32_t)st->host, "udp-send", err, "%s %s%s", ep, txt, err ? " failed:" : "");
    if (err) {
        if (s)
            ns_socket_close(s);
        return;
    }
    UdpSendRt *u = g_new0(UdpSendRt, 1);
    u->steps = steps;
    u->host = (uint32_t)st->host;
    u->sock = s;
    ns_socket_set_watch(s, udp_send_readable, u);
    u->timer = ns_sim_schedule(w->ctx->sim, NS_S(1), udp_send_done, u, NULL);
    g_ptr_array_add(steps->udp_sends, u);
}

void ns_world_app_run(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsWorld *w = obj;
    uint32_t step = GPOINTER_TO_UINT(arg);
    const NsScnStep *st = ns_scn_step(w->scn, step);
    g_assert(st->kind == NS_SCN_STEP_APP);
    switch (st->verb.app) {
    case NS_SCN_APP_VERB_PING:
        ping_start(w->steps, step);
        return;
    case NS_SCN_APP_VERB_UDP_SEND:
        udp_send_start(w->steps, step);
        return;
    case NS_SCN_APP_VERB_FETCH:
    case NS_SCN_APP_VERB_RESOLVE:
    case NS_SCN_APP_VERB_MAIL:
    case NS_SCN_APP_VERB_TRACEROUTE:
        if (ns_host_is_up(w->hosts[st->host].host))
            ns_apps_step(w->apps, step);
        return;
    }
}
