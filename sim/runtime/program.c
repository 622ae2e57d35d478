/* The socket-program interpreter: each host's socket verbs run one after
 * another in file order, each at its time or when the one before it ends;
 * a blocking verb (connect, accept, send, recv) waits on its socket's watch
 * and is retried when something changes. */
#include "world-private.h"

#include <errno.h>
#include <inttypes.h>

#include "netsim/tcp.h"

void ns_world_program_next(HostRt *h);

static void step_end(HostRt *h, uint32_t sock, int err)
{
    /* `expect S error E` asks whether a call on S failed with E: keep the
     * latest failure, so a later close does not hide it. */
    if (sock != UINT32_MAX && err)
        h->w->socks[sock].last_err = err;
    h->blocked = false;
    h->pc++;
    ns_world_program_next(h);
}

/* What a socket step does, as its `app` line shows it before it runs. */
static char *step_text(NsWorld *w, const NsScnStep *st)
{
    char ep[32];
    switch (st->verb.sock) {
    case NS_SCN_SOCK_VERB_SOCKET:
        return g_strdup_printf("%s as %s", st->u.socket.proto == NS_SCN_PROTO_UDP ? "udp" : "tcp",
                               ns_world_sock_name(w, st->u.socket.sock));
    case NS_SCN_SOCK_VERB_BIND:
    case NS_SCN_SOCK_VERB_CONNECT:
        if (st->u.addr.ep.kind == NS_SCN_TARGET_ANY)
            g_snprintf(ep, sizeof ep, ":%u", st->u.addr.ep.port);
        else
            ns_world_fmt_ep(ep, sizeof ep, st->u.addr.ep.addr, st->u.addr.ep.port);
        return g_strdup_printf("%s %s", ns_world_sock_name(w, st->u.addr.sock), ep);
    case NS_SCN_SOCK_VERB_SEND:
    case NS_SCN_SOCK_VERB_SENDTO: {
        g_autofree char *txt = ns_world_payload_text(&st->u.send.payload);
        if (st->verb.sock == NS_SCN_SOCK_VERB_SEND)
            return g_strdup_printf("%s %s", ns_world_sock_name(w, st->u.send.sock), txt);
        ns_world_fmt_ep(ep, sizeof ep, st->u.send.to.addr, st->u.send.to.port);
        return g_strdup_printf("%s %s %s", ns_world_sock_name(w, st->u.send.sock), ep, txt);
    }
    case NS_SCN_SOCK_VERB_RECV:
    case NS_SCN_SOCK_VERB_RECVFROM:
        if (st->u.recv.has_size)
            return g_strdup_printf("%s %" PRIu64 "B", ns_world_sock_name(w, st->u.recv.sock),
                                   st->u.recv.size);
        return g_strdup(ns_world_sock_name(w, st->u.recv.sock));
    case NS_SCN_SOCK_VERB_SHUTDOWN: {
        static const char *const how[] = {"read", "write", "both"};
        return g_strdup_printf("%s %s", ns_world_sock_name(w, st->u.shutdown.sock),
                               how[st->u.shutdown.how]);
    }
    case NS_SCN_SOCK_VERB_CLOSE:
        return g_strdup(ns_world_sock_name(w, st->u.close.sock));
    case NS_SCN_SOCK_VERB_SETSOCKOPT:
        return g_strdup_printf("%s nodelay %s", ns_world_sock_name(w, st->u.sockopt.sock),
                               st->u.sockopt.nodelay ? "on" : "off");
    case NS_SCN_SOCK_VERB_LISTEN:
        return g_strdup_printf("%s backlog %u", ns_world_sock_name(w, st->u.listen.sock),
                               st->u.listen.backlog);
    case NS_SCN_SOCK_VERB_ACCEPT:
        return g_strdup_printf("%s as %s", ns_world_sock_name(w, st->u.accept.sock),
                               ns_world_sock_name(w, st->u.accept.new_sock));
    }
    return g_strdup("");
}

/* Remember a socket's 4-tuple (for `expect ... state` after close). */
static void note_tuple(SockRt *s)
{
    if (!s->sock)
        return;
    ns_socket_local(s->sock, &s->laddr, &s->lport);
    ns_socket_peer(s->sock, &s->raddr, &s->rport);
    s->was_tcp = ns_socket_type(s->sock) == NS_SOCK_TCP;
}

/* UDP receive: one datagram. Returns false while nothing is there. */
static bool try_recv_udp(HostRt *h, const NsScnStep *st, SockRt *s, const char *verb, int *err)
{
    NsWorld *w = h->w;
    uint8_t buf[64];
    uint32_t from;
    uint16_t port;
    long n = ns_socket_recvfrom(s->sock, buf, sizeof buf, &from, &port);
    if (n == -EAGAIN)
        return false;
    if (n < 0) {
        *err = (int)-n;
        return true;
    }
    uint64_t want = st->u.recv.has_size ? st->u.recv.size : (uint64_t)n;
    uint64_t got = (uint64_t)n < want ? (uint64_t)n : want;
    s->received += got;
    NsScnPayload pl = {buf, got < sizeof buf ? got : sizeof buf};
    g_autofree char *txt = ns_world_payload_text(&pl);
    char ep[32];
    ns_world_fmt_ep(ep, sizeof ep, from, port);
    ns_world_trace_appf(w, h->idx, verb, 0, "%s got %" PRIu64 "B from %s %s%s",
               ns_world_sock_name(w, st->u.recv.sock), got, ep, txt,
               got < (uint64_t)n ? " (the rest of the datagram is discarded)" : "");
    return true;
}

/* TCP receive: the requested number of bytes, or up to the end of the
 * stream. Returns false while more must arrive. */
static bool try_recv_tcp(HostRt *h, const NsScnStep *st, SockRt *s, const char *verb, int *err)
{
    NsWorld *w = h->w;
    uint8_t *buf = w->scratch;
    const size_t cap = sizeof w->scratch;
    bool eof = false;
    for (;;) {
        uint64_t want = st->u.recv.has_size ? st->u.recv.size - h->progress : cap;
        if (want == 0)
            break;
        long n = ns_socket_recvfrom(s->sock, buf, want < cap ? want : cap, NULL, NULL);
        if (n == -EAGAIN)
            return false;
        if (n < 0) {
            *err = (int)-n;
            return true;
        }
        if (n == 0) {
            eof = true;
            break;
        }
        ns_world_stream_read(w, s->sock, buf, (size_t)n);
        if (h->progress == 0) {
            NsScnPayload pl = {buf, (uint64_t)n < 32 ? (uint64_t)n : 32};
            g_free(h->first_bytes);
            h->first_bytes = ns_world_payload_text(&pl);
        }
        h->progress += (uint64_t)n;
        s->received += (uint64_t)n;
    }
    ns_world_trace_appf(w, h->idx, verb, 0, "%s got %" PRIu64 "B%s%s%s", ns_world_sock_name(w, st->u.recv.sock),
               h->progress, h->first_bytes ? " " : "", h->first_bytes ? h->first_bytes : "",
               eof ? " (end of stream)" : "");
    g_clear_pointer(&h->first_bytes, g_free);
    return true;
}

/* TCP connect: returns false while the handshake is under way. */
static bool try_connect_tcp(HostRt *h, const NsScnStep *st, SockRt *s, int *err)
{
    NsWorld *w = h->w;
    if (!h->connecting) {
        uint32_t addr = st->u.addr.ep.addr;
        *err = ns_socket_connect(s->sock, addr, st->u.addr.ep.port);
        if (*err)
            return true;
        h->connecting = true;
        note_tuple(s);
    }
    int e = ns_socket_take_error(s->sock);
    int state = ns_socket_state(s->sock);
    if (e || state == NS_TCP_STATE_CLOSED) {
        *err = e ? e : ECONNREFUSED;
        h->connecting = false;
        return true;
    }
    if (state == NS_TCP_STATE_SYN_SENT || state == NS_TCP_STATE_SYN_RECEIVED)
        return false;
    h->connecting = false;
    note_tuple(s);
    char a[32], b[32];
    ns_world_fmt_ep(a, sizeof a, s->laddr, s->lport);
    ns_world_fmt_ep(b, sizeof b, s->raddr, s->rport);
    ns_world_trace_appf(w, h->idx, "connect", 0, "%s connected: %s-%s", ns_world_sock_name(w, st->u.addr.sock), a,
               b);
    return true;
}

/* TCP send: everything, as a blocking write does; false while the send
 * buffer is full. */
static bool try_send_tcp(HostRt *h, const NsScnStep *st, SockRt *s, int *err)
{
    NsWorld *w = h->w;
    const NsScnPayload *pl = &st->u.send.payload;
    const uint8_t *bytes = ns_world_payload_bytes(w, pl);
    while (h->progress < pl->len) {
        long n = ns_socket_write(s->sock, bytes + h->progress, pl->len - h->progress);
        if (n == -EAGAIN)
            return false;
        if (n < 0) {
            *err = (int)-n;
            return true;
        }
        ns_world_stream_wrote(w, s->sock, bytes + h->progress, (size_t)n);
        h->progress += (uint64_t)n;
    }
    return true;
}

/* TCP accept: false until a connection is ready. */
static bool try_accept(HostRt *h, const NsScnStep *st, SockRt *s, int *err)
{
    NsWorld *w = h->w;
    NsSocket *a = ns_socket_accept(s->sock, err);
    if (!a) {
        if (*err == EAGAIN) {
            *err = 0;
            return false;
        }
        return true;
    }
    SockRt *n = &w->socks[st->u.accept.new_sock];
    n->sock = a;
    n->received = 0;
    n->last_err = 0;
    note_tuple(n);
    char l[32], r[32];
    ns_world_fmt_ep(l, sizeof l, n->laddr, n->lport);
    ns_world_fmt_ep(r, sizeof r, n->raddr, n->rport);
    ns_world_trace_appf(w, h->idx, "accept", 0, "%s gave %s: %s-%s (fd %u; %s still listens)",
               ns_world_sock_name(w, st->u.accept.sock), ns_world_sock_name(w, st->u.accept.new_sock), l, r,
               ns_socket_fd(a), ns_world_sock_name(w, st->u.accept.sock));
    return true;
}

/* Run (or retry) the current step; returns false when it must wait for its
 * socket. Each step shows its `app` line first, then what it causes. */
static bool step_try(HostRt *h)
{
    NsWorld *w = h->w;
    const NsScnStep *st = ns_scn_step(w->scn, g_array_index(h->program, uint32_t, h->pc));
    const char *verb = ns_scn_step_verb_name(st);
    uint32_t si = ns_scn_step_socket(st);
    SockRt *s = &w->socks[si];
    int err = 0;
    bool is_tcp = s->sock && ns_socket_type(s->sock) == NS_SOCK_TCP;
    if (!h->blocked && ns_tracer_wants(w->ctx.tracer, NS_TRACE_APP)) {
        g_autofree char *text = step_text(w, st);
        ns_world_trace_app(w, h->idx, verb, text, 0);
    }
    if (st->verb.sock != NS_SCN_SOCK_VERB_SOCKET && !s->sock) {
        err = EBADF;
    } else {
        switch (st->verb.sock) {
        case NS_SCN_SOCK_VERB_SOCKET:
            s->sock = ns_socket_new(h->host,
                                    st->u.socket.proto == NS_SCN_PROTO_TCP ? NS_SOCK_TCP
                                                                           : NS_SOCK_UDP,
                                    &err);
            s->received = 0;
            s->last_err = 0;
            break;
        case NS_SCN_SOCK_VERB_BIND:
        case NS_SCN_SOCK_VERB_CONNECT: {
            uint32_t addr = st->u.addr.ep.kind == NS_SCN_TARGET_ANY ? 0 : st->u.addr.ep.addr;
            if (st->verb.sock == NS_SCN_SOCK_VERB_CONNECT && is_tcp) {
                if (!try_connect_tcp(h, st, s, &err))
                    goto wait;
                break;
            }
            err = st->verb.sock == NS_SCN_SOCK_VERB_BIND
                      ? ns_socket_bind(s->sock, addr, st->u.addr.ep.port)
                      : ns_socket_connect(s->sock, addr, st->u.addr.ep.port);
            note_tuple(s);
            break;
        }
        case NS_SCN_SOCK_VERB_LISTEN:
            err = ns_socket_listen(s->sock, st->u.listen.backlog);
            note_tuple(s);
            break;
        case NS_SCN_SOCK_VERB_ACCEPT:
            if (!try_accept(h, st, s, &err))
                goto wait;
            break;
        case NS_SCN_SOCK_VERB_SEND:
        case NS_SCN_SOCK_VERB_SENDTO: {
            if (is_tcp) {
                if (!try_send_tcp(h, st, s, &err))
                    goto wait;
                break;
            }
            const NsScnPayload *pl = &st->u.send.payload;
            const uint8_t *bytes = ns_world_payload_bytes(w, pl);
            err = st->verb.sock == NS_SCN_SOCK_VERB_SEND
                      ? ns_socket_send(s->sock, bytes, pl->len, NULL)
                      : ns_socket_sendto(s->sock, bytes, pl->len, st->u.send.to.addr,
                                         st->u.send.to.port, NULL);
            break;
        }
        case NS_SCN_SOCK_VERB_RECV:
        case NS_SCN_SOCK_VERB_RECVFROM:
            if (!(is_tcp ? try_recv_tcp : try_recv_udp)(h, st, s, verb, &err))
                goto wait;
            break;
        case NS_SCN_SOCK_VERB_SHUTDOWN: {
            static const NsShutHow how[] = {NS_SHUT_RD, NS_SHUT_WR, NS_SHUT_RDWR};
            err = ns_socket_shutdown(s->sock, how[st->u.shutdown.how]);
            break;
        }
        case NS_SCN_SOCK_VERB_CLOSE:
            note_tuple(s);
            err = ns_socket_close(s->sock);
            s->sock = NULL;
            break;
        case NS_SCN_SOCK_VERB_SETSOCKOPT:
            err = ns_socket_set_nodelay(s->sock, st->u.sockopt.nodelay);
            break;
        }
    }
    if (err)
        ns_world_trace_appf(w, h->idx, verb, err, "%s failed:", ns_world_sock_name(w, si));
    h->progress = 0;
    step_end(h, si, err);
    return true;
wait:
    /* Blocked: the socket's watch retries the step when something changes. */
    h->blocked = true;
    ns_socket_set_watch(s->sock, h->watch_fn, h);
    return false;
}

void ns_world_program_wake(void *data, NsSocket *sock)
{
    (void)sock;
    HostRt *h = data;
    if (h->blocked && h->pc < h->program->len)
        step_try(h);
}

static void program_run(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    HostRt *h = obj;
    if (h->pc >= h->program->len)
        return;
    if (!ns_host_is_up(h->host)) {
        const NsScnStep *st = ns_scn_step(h->w->scn, g_array_index(h->program, uint32_t, h->pc));
        ns_world_trace_appf(h->w, h->idx, ns_scn_step_verb_name(st), 0, "skipped: the host is down");
        h->pc++;
        ns_world_program_next(h);
        return;
    }
    step_try(h);
}

/* Start the next step at its own time or now, whichever is later. */
void ns_world_program_next(HostRt *h)
{
    if (h->pc >= h->program->len)
        return;
    NsWorld *w = h->w;
    const NsScnStep *st = ns_scn_step(w->scn, g_array_index(h->program, uint32_t, h->pc));
    NsTime now = ns_sim_now(w->ctx.sim);
    NsTime at = st->at > now ? st->at : now;
    ns_sim_schedule_at(w->ctx.sim, at, program_run, h, NULL);
}
