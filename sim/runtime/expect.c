/* Expectations: each checked at its time or at the end of the run, and
 * traced as a verdict with the line of the file that asked for it. */
#include "world-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/tcp.h"
#include "netsim/wire/ipv4.h"

static void verdict(NsWorld *w, const NsScnExpect *e, bool ok, const char *text)
{
    w->expects.checked++;
    if (!ok)
        w->expects.failed++;
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_EXPECT))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(w->ctx->sim), .kind = NS_TRACE_EXPECT,
                       .host = e->host >= 0 ? ns_host_name(w->hosts[e->host].host) : NULL,
                       .verdict = ok ? NS_VERDICT_PASS : NS_VERDICT_FAIL, .text = text,
                       .loc = {ns_world_file_name(e->loc.file), e->loc.line}};
    ns_trace_emit(w->ctx->tracer, &ev);
}

static const char *errno_or_none(int err)
{
    const char *n = ns_errno_name(err);
    return err == 0 ? "none" : n ? n : "?";
}

/* Count the TCP states of a host's endpoints (those its programs closed
 * that are still finishing included, as `ss` shows them) and its UDP
 * sockets. A failure lists every state found, asked about or not. */
void ns_world_count_sockets(NsWorld *w, uint32_t host, int counts[NS_SCN_TCP_N_STATES], int *udp)
{
    memset(counts, 0, NS_SCN_TCP_N_STATES * sizeof *counts);
    *udp = 0;
    g_autoptr(GArray) rows = ns_socket_table(w->hosts[host].host);
    for (guint r = 0; r < rows->len; r++) {
        const NsSocketRow *row = &g_array_index(rows, NsSocketRow, r);
        if (row->tcp_state >= 0 && row->tcp_state < NS_SCN_TCP_N_STATES)
            counts[row->tcp_state]++;
        else if (row->tcp_state < 0)
            (*udp)++;
    }
}

static void check_sockets(NsWorld *w, const NsScnExpect *e)
{
    GString *want = g_string_new(NULL), *got = g_string_new(NULL);
    bool ok = true;
    int counts[NS_SCN_TCP_N_STATES], udp;
    ns_world_count_sockets(w, (uint32_t)e->host, counts, &udp);
    for (int s = 0; s < NS_SCN_TCP_N_STATES; s++) {
        bool asked = e->u.sockets.count[s] >= 0;
        const char *name = ns_scn_tcp_state_name((NsScnTcpState)s);
        if (asked)
            g_string_append_printf(want, " %s %d", name, e->u.sockets.count[s]);
        if (asked || counts[s] > 0)
            g_string_append_printf(got, " %s %d", name, counts[s]);
        if (asked && counts[s] != e->u.sockets.count[s])
            ok = false;
    }
    if (e->u.sockets.udp >= 0)
        g_string_append_printf(want, " UDP %d", e->u.sockets.udp);
    if (e->u.sockets.udp >= 0 || udp > 0)
        g_string_append_printf(got, " UDP %d", udp);
    if (e->u.sockets.udp >= 0 && udp != e->u.sockets.udp)
        ok = false;
    g_autofree char *text = ok ? g_strdup_printf("sockets:%s", want->str)
                               : g_strdup_printf("sockets:%s (found:%s)", want->str,
                                                 got->len ? got->str : " none");
    verdict(w, e, ok, text);
    g_string_free(want, TRUE);
    g_string_free(got, TRUE);
}

/* The TCP state of a scenario socket: its own while the program holds it,
 * else that of the connection with its last 4-tuple (still finishing, or
 * CLOSED when gone). */
int ns_world_sock_tcp_state(NsWorld *w, uint32_t host, const SockRt *s)
{
    if (s->sock)
        return ns_socket_state(s->sock);
    if (!s->was_tcp)
        return -1;
    g_autoptr(GArray) rows = ns_socket_table(w->hosts[host].host);
    for (guint r = 0; r < rows->len; r++) {
        const NsSocketRow *row = &g_array_index(rows, NsSocketRow, r);
        if (row->tcp_state >= 0 && row->orphan && row->laddr == s->laddr &&
            row->lport == s->lport && row->raddr == s->raddr && row->rport == s->rport &&
            row->af6 == s->v6 &&
            (!s->v6 || (ns_ipv6_addr_equal(&row->laddr6, &s->laddr6) &&
                        ns_ipv6_addr_equal(&row->raddr6, &s->raddr6))))
            return row->tcp_state;
    }
    return NS_TCP_STATE_CLOSED;
}

static void check_state(NsWorld *w, const NsScnExpect *e)
{
    const SockRt *s = ns_programs_sock(w->progs, e->u.state.sock);
    int have = ns_world_sock_tcp_state(w, (uint32_t)e->host, s);
    const char *want = ns_scn_tcp_state_name(e->u.state.state);
    const char *got = have < 0 ? "not a TCP socket" : ns_tcp_state_name((NsTcpState)have);
    bool ok = have == (int)e->u.state.state;
    g_autofree char *t = ok ? g_strdup_printf("%s state %s", ns_world_sock_name(w, e->u.state.sock), want)
                            : g_strdup_printf("%s state %s (it is %s)",
                                              ns_world_sock_name(w, e->u.state.sock), want, got);
    verdict(w, e, ok, t);
}

uint16_t ns_world_sock_port(const SockRt *s)
{
    uint32_t addr;
    uint16_t port;
    if (!s->sock)
        return s->lport;
    ns_socket_local(s->sock, &addr, &port);
    return port;
}

void ns_world_expect_at(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsWorld *w = obj;
    const NsScnExpect *e = ns_scn_expect(w->scn, GPOINTER_TO_UINT(arg));
    if (e->kind == NS_SCN_EXPECT_STATE)
        check_state(w, e);
    else
        check_sockets(w, e);
}

/* An expectation due at a time the run never reached (it stopped first,
 * e.g. with --stop) is a failure that says so, never a silent omission. */
static void not_evaluated(NsWorld *w, const NsScnExpect *e, NsTime at, const char *what)
{
    NsTime now = ns_sim_now(w->ctx->sim);
    g_autofree char *t = g_strdup_printf(
        "%s at %" PRId64 ".%09" PRId64 " s: not evaluated, the run stopped at %" PRId64
        ".%09" PRId64 " s",
        what, at / NS_S(1), at % NS_S(1), now / NS_S(1), now % NS_S(1));
    verdict(w, e, false, t);
}

void ns_world_expect_end(NsWorld *w, const NsScnExpect *e)
{
    NsTime now = ns_sim_now(w->ctx->sim);
    switch (e->kind) {
    case NS_SCN_EXPECT_ERROR: {
        const SockRt *s = ns_programs_sock(w->progs, e->u.error.sock);
        bool ok = s->last_err == e->u.error.errnum;
        g_autofree char *t = g_strdup_printf(
            "%s error %s%s%s%s", ns_world_sock_name(w, e->u.error.sock), errno_or_none(e->u.error.errnum),
            ok ? "" : " (last failure on it: ", ok ? "" : errno_or_none(s->last_err), ok ? "" : ")");
        verdict(w, e, ok, t);
        return;
    }
    case NS_SCN_EXPECT_PORT: {
        uint16_t got = ns_world_sock_port(ns_programs_sock(w->progs, e->u.port.sock));
        bool ok = got == e->u.port.port;
        g_autofree char *t =
            ok ? g_strdup_printf("%s port %u", ns_world_sock_name(w, e->u.port.sock), got)
               : g_strdup_printf("%s port %u (it is %u)", ns_world_sock_name(w, e->u.port.sock),
                                 e->u.port.port, got);
        verdict(w, e, ok, t);
        return;
    }
    case NS_SCN_EXPECT_RECEIVED: {
        const SockRt *s = ns_programs_sock(w->progs, e->u.received.sock);
        bool ok = s->received == e->u.received.bytes;
        g_autofree char *t = g_strdup_printf("%s received %" PRIu64 "B%s", ns_world_sock_name(w, e->u.received.sock),
                                             e->u.received.bytes, ok ? "" : " (got ");
        g_autofree char *full = ok ? g_strdup(t) : g_strdup_printf("%s%" PRIu64 "B)", t, s->received);
        verdict(w, e, ok, full);
        return;
    }
    case NS_SCN_EXPECT_PING: {
        uint32_t got;
        ns_steps_ping_received(w->steps, e->u.ping.step, &got);
        char a[NS_IPV6_STRLEN];
        ns_world_target_format(&e->u.ping.target, a);
        bool ok = got == e->u.ping.received;
        g_autofree char *t = ok ? g_strdup_printf("ping %s received %u", a, got)
                                : g_strdup_printf("ping %s received %u (got %u)", a,
                                                  e->u.ping.received, got);
        verdict(w, e, ok, t);
        return;
    }
    case NS_SCN_EXPECT_DELIVERED_ALL: {
        g_autoptr(GString) why = g_string_new(NULL);
        bool ok = ns_streams_check(w->streams, why);
        uint32_t n = ns_streams_count(w->streams);
        g_autofree char *t = g_strdup_printf("delivered all (%u TCP stream%s)%s", n,
                                             n == 1 ? "" : "s", why->str);
        verdict(w, e, ok, t);
        return;
    }
    case NS_SCN_EXPECT_SOCKETS:
        if (!e->u.sockets.at)
            check_sockets(w, e);
        else if (e->u.sockets.at > now)
            not_evaluated(w, e, e->u.sockets.at, "sockets");
        return;
    case NS_SCN_EXPECT_STATE:
        if (!e->u.state.has_at) {
            check_state(w, e);
        } else if (e->u.state.at > now) {
            g_autofree char *what =
                g_strdup_printf("%s state %s", ns_world_sock_name(w, e->u.state.sock),
                                ns_scn_tcp_state_name(e->u.state.state));
            not_evaluated(w, e, e->u.state.at, what);
        }
        return;
    case NS_SCN_EXPECT_FETCH: {
        g_autofree char *seen = ns_apps_check_fetch(w->apps, e);
        GString *t = g_string_new("fetch ");
        g_string_append(t, e->u.fetch.url);
        if (e->u.fetch.has_status)
            g_string_append_printf(t, " status %u", e->u.fetch.status);
        if (e->u.fetch.has_bytes)
            g_string_append_printf(t, " bytes %" PRIu64, e->u.fetch.bytes);
        if (seen[0])
            g_string_append_printf(t, " (got %s)", seen);
        verdict(w, e, seen[0] == 0, t->str);
        g_string_free(t, TRUE);
        return;
    }
    case NS_SCN_EXPECT_ROUTE:
    case NS_SCN_EXPECT_NAT_MAPPINGS: {
        g_autofree char *t = NULL;
        bool ok = ns_world_check_tables(w, e, &t);
        verdict(w, e, ok, t);
        return;
    }
    case NS_SCN_EXPECT_MAIL: {
        g_autofree char *seen = ns_apps_check_mail(w->apps, e);
        char ep[NS_IPV6_STRLEN + 8];
        ns_world_fmt_scn_ep(ep, sizeof ep, &e->u.mail.to);
        g_autofree char *t = seen[0] ? g_strdup_printf("mail %s ok (got %s)", ep, seen)
                                     : g_strdup_printf("mail %s ok", ep);
        verdict(w, e, seen[0] == 0, t);
        return;
    }
    }
}
