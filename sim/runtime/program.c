/* The socket-program interpreter: each program's socket verbs (a host's
 * own program, and each `program NAME on HOST`) run one after another in
 * file order, each at its time or when the one before it ends; a blocking
 * verb (connect, accept, send, recv) waits on its socket's watch and is
 * retried when something changes. A host's programs run concurrently and
 * share its sockets. */
#include "world-private.h"

/* One program: socket steps run in order, the current one retried while it
 * blocks. A host's programs run concurrently and share its sockets. */
typedef struct {
    NsWorld *w;
    NsPrograms *ps;
    HostRt *h;
    uint32_t host;
    const char *name;  /* NULL for the host's own program */
    GArray *steps;     /* uint32 step indices, file order */
    guint pc;
    bool blocked;
    bool connecting;   /* a TCP connect step has sent its SYN */
    uint64_t progress; /* bytes written or read so far by the current step */
    NsTime started;    /* when the current step was first tried */
    char *first_bytes; /* the start of what a TCP recv got, for its trace line */
} ProgramRt;

struct NsPrograms {
    NsWorld *w;
    uint32_t n_hosts;
    /* ProgramRt* per host: its own first, then its named ones; NULL for a
     * host without socket steps (most hosts of a large scenario). */
    GPtrArray **by_host;
    GPtrArray *named;    /* ProgramRt* of the scenario's named programs, file order */
    SockRt *socks;       /* per scenario socket */
    NsWorldSockCallFn on_call; /* ns_world_watch_calls, or NULL */
    void *on_call_data;
    /* Where programs' recv calls read into: a real program's buffer size
     * (one read per 64 KiB means one window update per read). */
    uint8_t scratch[65536];
};

#include <errno.h>
#include <inttypes.h>

#include "netsim/tcp.h"

static void program_next(ProgramRt *pg);
static void host_wake(void *data, NsSocket *sock);

/* A program's `app` line: a named program's name comes with it. */
static void prog_trace_ev(ProgramRt *pg, NsAppEvent ae, const char *what, const char *text,
                          int err)
{
    NsWorld *w = pg->w;
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_APP))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(w->ctx->sim), .kind = NS_TRACE_APP,
                       .host = ns_host_name(pg->h->host), .where = pg->name, .app_ev = ae,
                       .what = what, .text = text, .err = err};
    ns_trace_emit(w->ctx->tracer, &ev);
}

static void prog_trace(ProgramRt *pg, const char *what, const char *text, int err)
{
    prog_trace_ev(pg, NS_APP_EV_STEP, what, text, err);
}

static void prog_tracef(ProgramRt *pg, const char *what, int err, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void prog_tracef(ProgramRt *pg, const char *what, int err, const char *fmt, ...)
{
    if (!ns_tracer_wants(pg->w->ctx->tracer, NS_TRACE_APP))
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    prog_trace(pg, what, text, err);
}

/* A call is tried, or returns (or a waiting recv got bytes): tell the
 * watcher (ns_world_watch_calls). */
static void report_call(ProgramRt *pg, NsWorldCallPhase phase, uint64_t bytes, bool eof, int err,
                        NsSocket *accepted)
{
    if (!pg->ps->on_call)
        return;
    uint32_t step = g_array_index(pg->steps, uint32_t, pg->pc);
    const NsScnStep *st = ns_scn_step(pg->w->scn, step);
    NsWorldSockCall c = {.phase = phase, .retry = pg->blocked, .step = step,
                         .start = pg->started, .err = err, .bytes = bytes, .eof = eof,
                         .sock = pg->ps->socks[ns_scn_step_socket(st)].sock,
                         .accepted = accepted};
    pg->ps->on_call(&c, pg->ps->on_call_data);
}

static void step_end(ProgramRt *pg, uint32_t sock, int err)
{
    /* `expect S error E` asks whether a call on S failed with E: keep the
     * latest failure, so a later close does not hide it. */
    if (sock != UINT32_MAX && err)
        pg->ps->socks[sock].last_err = err;
    pg->blocked = false;
    pg->pc++;
    program_next(pg);
}


/* setsockopt: the socket layer's option and its value in Linux's units
 * (seconds, milliseconds) from the scenario's (durations in ns). */
static NsSockOpt sockopt_of(NsScnSockOpt o)
{
    switch (o) {
    case NS_SCN_SOCKOPT_NODELAY:
        return NS_SO_TCP_NODELAY;
    case NS_SCN_SOCKOPT_RCVBUF:
        return NS_SO_RCVBUF;
    case NS_SCN_SOCKOPT_SNDBUF:
        return NS_SO_SNDBUF;
    case NS_SCN_SOCKOPT_KEEPALIVE:
        return NS_SO_KEEPALIVE;
    case NS_SCN_SOCKOPT_KEEPIDLE:
        return NS_SO_TCP_KEEPIDLE;
    case NS_SCN_SOCKOPT_KEEPINTVL:
        return NS_SO_TCP_KEEPINTVL;
    case NS_SCN_SOCKOPT_KEEPCNT:
        return NS_SO_TCP_KEEPCNT;
    case NS_SCN_SOCKOPT_MAXSEG:
        return NS_SO_TCP_MAXSEG;
    case NS_SCN_SOCKOPT_LINGER:
        return NS_SO_LINGER;
    case NS_SCN_SOCKOPT_USER_TIMEOUT:
        return NS_SO_TCP_USER_TIMEOUT;
    case NS_SCN_SOCKOPT_CORK:
        return NS_SO_TCP_CORK;
    }
    return NS_SO_TCP_NODELAY;
}

static int64_t sockopt_arg(NsScnSockOpt o, int64_t v)
{
    switch (o) {
    case NS_SCN_SOCKOPT_KEEPIDLE:
    case NS_SCN_SOCKOPT_KEEPINTVL:
        return v / NS_S(1);
    case NS_SCN_SOCKOPT_LINGER:
        return v < 0 ? -1 : v / NS_S(1);
    case NS_SCN_SOCKOPT_USER_TIMEOUT:
        return v / NS_MS(1);
    case NS_SCN_SOCKOPT_NODELAY:
    case NS_SCN_SOCKOPT_RCVBUF:
    case NS_SCN_SOCKOPT_SNDBUF:
    case NS_SCN_SOCKOPT_KEEPALIVE:
    case NS_SCN_SOCKOPT_KEEPCNT:
    case NS_SCN_SOCKOPT_MAXSEG:
    case NS_SCN_SOCKOPT_CORK:
        break;
    }
    return v;
}

/* The step as the trace shows it: "S keepidle 10s", "S nodelay on". */
static char *sockopt_text(const char *sock, const NsScnStep *st)
{
    static const char *const names[] = {"nodelay",   "rcvbuf",  "sndbuf", "keepalive",
                                        "keepidle",  "keepintvl", "keepcnt", "maxseg",
                                        "linger",    "user_timeout", "cork"};
    const char *name = names[st->u.sockopt.opt];
    int64_t v = st->u.sockopt.value;
    switch (st->u.sockopt.opt) {
    case NS_SCN_SOCKOPT_NODELAY:
    case NS_SCN_SOCKOPT_KEEPALIVE:
    case NS_SCN_SOCKOPT_CORK:
        return g_strdup_printf("%s %s %s", sock, name, v ? "on" : "off");
    case NS_SCN_SOCKOPT_KEEPIDLE:
    case NS_SCN_SOCKOPT_KEEPINTVL:
        return g_strdup_printf("%s %s %" G_GINT64_FORMAT "s", sock, name, v / NS_S(1));
    case NS_SCN_SOCKOPT_LINGER:
        if (v < 0)
            return g_strdup_printf("%s %s off", sock, name);
        return g_strdup_printf("%s %s %" G_GINT64_FORMAT "s", sock, name, v / NS_S(1));
    case NS_SCN_SOCKOPT_USER_TIMEOUT:
        return g_strdup_printf("%s %s %" G_GINT64_FORMAT "ms", sock, name, v / NS_MS(1));
    case NS_SCN_SOCKOPT_RCVBUF:
    case NS_SCN_SOCKOPT_SNDBUF:
    case NS_SCN_SOCKOPT_KEEPCNT:
    case NS_SCN_SOCKOPT_MAXSEG:
        break;
    }
    return g_strdup_printf("%s %s %" G_GINT64_FORMAT, sock, name, v);
}

/* What a socket step does, as its `app` line shows it before it runs. */
static char *step_text(NsWorld *w, const NsScnStep *st)
{
    char ep[64];
    switch (st->verb.sock) {
    case NS_SCN_SOCK_VERB_SOCKET:
        return g_strdup_printf("%s as %s", st->u.socket.proto == NS_SCN_PROTO_UDP ? "udp" : "tcp",
                               ns_world_sock_name(w, st->u.socket.sock));
    case NS_SCN_SOCK_VERB_BIND:
    case NS_SCN_SOCK_VERB_CONNECT:
        ns_world_fmt_scn_ep(ep, sizeof ep, &st->u.addr.ep);
        return g_strdup_printf("%s %s", ns_world_sock_name(w, st->u.addr.sock), ep);
    case NS_SCN_SOCK_VERB_SEND:
    case NS_SCN_SOCK_VERB_SENDTO: {
        g_autofree char *txt = ns_world_payload_text(&st->u.send.payload);
        if (st->verb.sock == NS_SCN_SOCK_VERB_SEND)
            return g_strdup_printf("%s %s", ns_world_sock_name(w, st->u.send.sock), txt);
        ns_world_fmt_scn_ep(ep, sizeof ep, &st->u.send.to);
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
        return sockopt_text(ns_world_sock_name(w, st->u.sockopt.sock), st);
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
    s->v6 = ns_socket_is_v6(s->sock);
    ns_socket_local6(s->sock, &s->laddr6, &s->lport);
    ns_socket_peer6(s->sock, &s->raddr6, &s->rport);
    s->was_tcp = ns_socket_type(s->sock) == NS_SOCK_TCP;
}

/* A socket's end as a trace shows it: "10.0.0.1:49152", "[2001:db8::1]:80". */
static void fmt_end(char *buf, size_t n, const SockRt *s, bool remote)
{
    char a[NS_IPV6_STRLEN];
    if (s->v6)
        g_snprintf(buf, n, "[%s]:%u", ns_ipv6_format(remote ? &s->raddr6 : &s->laddr6, a),
                   remote ? s->rport : s->lport);
    else
        ns_world_fmt_ep(buf, n, remote ? s->raddr : s->laddr, remote ? s->rport : s->lport);
}

/* UDP receive: one datagram. Returns false while nothing is there. */
static bool try_recv_udp(ProgramRt *pg, const NsScnStep *st, SockRt *s, const char *verb, int *err)
{
    NsWorld *w = pg->w;
    uint8_t buf[64];
    uint32_t from = 0;
    NsIpv6Addr from6;
    uint16_t port;
    long n = ns_socket_is_v6(s->sock) ? ns_socket_recvfrom6(s->sock, buf, sizeof buf, &from6, &port)
                                      : ns_socket_recvfrom(s->sock, buf, sizeof buf, &from, &port);
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
    char ep[64];
    if (ns_socket_is_v6(s->sock)) {
        char a[NS_IPV6_STRLEN];
        g_snprintf(ep, sizeof ep, "[%s]:%u", ns_ipv6_format(&from6, a), port);
    } else {
        ns_world_fmt_ep(ep, sizeof ep, from, port);
    }
    prog_tracef(pg, verb, 0, "%s got %" PRIu64 "B from %s %s%s",
               ns_world_sock_name(w, st->u.recv.sock), got, ep, txt,
               got < (uint64_t)n ? " (the rest of the datagram is discarded)" : "");
    return true;
}

/* TCP receive: the requested number of bytes, or up to the end of the
 * stream. Returns false while more must arrive. */
static bool try_recv_tcp(ProgramRt *pg, const NsScnStep *st, SockRt *s, const char *verb, int *err)
{
    NsWorld *w = pg->w;
    uint8_t *buf = pg->ps->scratch;
    const size_t cap = sizeof pg->ps->scratch;
    bool eof = false;
    uint64_t before = pg->progress;
    for (;;) {
        uint64_t want = st->u.recv.has_size ? st->u.recv.size - pg->progress : cap;
        if (want == 0)
            break;
        long n = ns_socket_recvfrom(s->sock, buf, want < cap ? want : cap, NULL, NULL);
        if (n == -EAGAIN) {
            if (pg->progress > before)
                report_call(pg, NS_WORLD_CALL_DONE, pg->progress - before, false, 0, NULL);
            return false;
        }
        if (n < 0) {
            *err = (int)-n;
            return true;
        }
        if (n == 0) {
            eof = true;
            break;
        }
        if (pg->progress == 0) {
            NsScnPayload pl = {buf, (uint64_t)n < 32 ? (uint64_t)n : 32};
            g_free(pg->first_bytes);
            pg->first_bytes = ns_world_payload_text(&pl);
        }
        pg->progress += (uint64_t)n;
        s->received += (uint64_t)n;
    }
    report_call(pg, NS_WORLD_CALL_DONE, pg->progress - before, eof, 0, NULL);
    prog_tracef(pg, verb, 0, "%s got %" PRIu64 "B%s%s%s", ns_world_sock_name(w, st->u.recv.sock),
               pg->progress, pg->first_bytes ? " " : "", pg->first_bytes ? pg->first_bytes : "",
               eof ? " (end of stream)" : "");
    g_clear_pointer(&pg->first_bytes, g_free);
    return true;
}

/* TCP connect: returns false while the handshake is under way. */
static bool try_connect_tcp(ProgramRt *pg, const NsScnStep *st, SockRt *s, int *err)
{
    NsWorld *w = pg->w;
    if (!pg->connecting) {
        *err = -ns_world_sock_connect(s->sock, &st->u.addr.ep);
        if (*err)
            return true;
        pg->connecting = true;
        note_tuple(s);
    }
    int e = ns_socket_take_error(s->sock);
    int state = ns_socket_state(s->sock);
    if (e || state == NS_TCP_STATE_CLOSED) {
        *err = e ? e : ECONNREFUSED;
        pg->connecting = false;
        return true;
    }
    if (state == NS_TCP_STATE_SYN_SENT || state == NS_TCP_STATE_SYN_RECEIVED)
        return false;
    pg->connecting = false;
    note_tuple(s);
    char a[64], b[64];
    fmt_end(a, sizeof a, s, false);
    fmt_end(b, sizeof b, s, true);
    prog_tracef(pg, "connect", 0, "%s connected: %s-%s", ns_world_sock_name(w, st->u.addr.sock), a,
               b);
    return true;
}

/* TCP send: everything, as a blocking write does; false while the send
 * buffer is full. */
static bool try_send_tcp(ProgramRt *pg, const NsScnStep *st, SockRt *s, int *err)
{
    const NsScnPayload *pl = &st->u.send.payload;
    /* A generated payload goes in as the pattern: nothing the size of the
     * payload is ever allocated, however large (`send S 1000GB`). */
    while (pg->progress < pl->len) {
        size_t want = pl->len - pg->progress;
        long n = pl->data ? ns_socket_write(s->sock, pl->data + pg->progress, want)
                          : ns_socket_write_pattern(s->sock, NULL, 0, pg->progress, want);
        if (n == -EAGAIN)
            return false;
        if (n < 0) {
            *err = (int)-n;
            return true;
        }
        pg->progress += (uint64_t)n;
    }
    return true;
}

/* TCP accept: false until a connection is ready. */
static bool try_accept(ProgramRt *pg, const NsScnStep *st, SockRt *s, int *err)
{
    NsWorld *w = pg->w;
    NsSocket *a = ns_socket_accept(s->sock, err);
    *err = -*err;
    if (!a) {
        if (*err == EAGAIN) {
            *err = 0;
            return false;
        }
        return true;
    }
    SockRt *n = &pg->ps->socks[st->u.accept.new_sock];
    n->sock = a;
    n->received = 0;
    n->last_err = 0;
    note_tuple(n);
    char l[64], r[64];
    fmt_end(l, sizeof l, n, false);
    fmt_end(r, sizeof r, n, true);
    prog_tracef(pg, "accept", 0, "%s gave %s: %s-%s (fd %u; %s still listens)",
               ns_world_sock_name(w, st->u.accept.sock), ns_world_sock_name(w, st->u.accept.new_sock), l, r,
               ns_socket_fd(a), ns_world_sock_name(w, st->u.accept.sock));
    return true;
}

/* Run (or retry) the current step; returns false when it must wait for its
 * socket. Each step shows its `app` line first, then what it causes. */
static bool step_try(ProgramRt *pg)
{
    NsWorld *w = pg->w;
    const NsScnStep *st = ns_scn_step(w->scn, g_array_index(pg->steps, uint32_t, pg->pc));
    const char *verb = ns_scn_step_verb_name(st);
    uint32_t si = ns_scn_step_socket(st);
    SockRt *s = &pg->ps->socks[si];
    int err = 0;
    bool is_tcp = s->sock && ns_socket_type(s->sock) == NS_SOCK_TCP;
    if (!pg->blocked)
        pg->started = ns_sim_now(w->ctx->sim);
    report_call(pg, NS_WORLD_CALL_TRY, 0, false, 0, NULL);
    if (!pg->blocked && ns_tracer_wants(w->ctx->tracer, NS_TRACE_APP)) {
        g_autofree char *text = step_text(w, st);
        prog_trace_ev(pg, st->verb.sock == NS_SCN_SOCK_VERB_SOCKET ? NS_APP_EV_SOCKET
                                                                   : NS_APP_EV_STEP,
                      verb, text, 0);
    }
    if (st->verb.sock != NS_SCN_SOCK_VERB_SOCKET && !s->sock) {
        err = EBADF;
    } else {
        switch (st->verb.sock) {
        case NS_SCN_SOCK_VERB_SOCKET:
            s->sock = ns_socket_new(pg->h->host,
                                    st->u.socket.proto == NS_SCN_PROTO_TCP ? NS_SOCK_TCP
                                                                           : NS_SOCK_UDP,
                                    &err);
            err = -err;
            s->received = 0;
            s->last_err = 0;
            break;
        case NS_SCN_SOCK_VERB_BIND:
        case NS_SCN_SOCK_VERB_CONNECT: {
            if (st->verb.sock == NS_SCN_SOCK_VERB_CONNECT && is_tcp) {
                if (!try_connect_tcp(pg, st, s, &err))
                    goto wait;
                break;
            }
            err = -(st->verb.sock == NS_SCN_SOCK_VERB_BIND
                        ? ns_world_sock_bind(s->sock, &st->u.addr.ep)
                        : ns_world_sock_connect(s->sock, &st->u.addr.ep));
            note_tuple(s);
            break;
        }
        case NS_SCN_SOCK_VERB_LISTEN:
            err = -ns_socket_listen(s->sock, st->u.listen.backlog);
            note_tuple(s);
            break;
        case NS_SCN_SOCK_VERB_ACCEPT:
            if (!try_accept(pg, st, s, &err))
                goto wait;
            break;
        case NS_SCN_SOCK_VERB_SEND:
        case NS_SCN_SOCK_VERB_SENDTO: {
            if (is_tcp) {
                if (!try_send_tcp(pg, st, s, &err))
                    goto wait;
                break;
            }
            const NsScnPayload *pl = &st->u.send.payload;
            const uint8_t *bytes = ns_world_payload_bytes(w, pl);
            err = -(st->verb.sock == NS_SCN_SOCK_VERB_SEND
                        ? ns_socket_send(s->sock, bytes, pl->len)
                        : ns_world_sock_sendto(s->sock, bytes, pl->len, &st->u.send.to));
            break;
        }
        case NS_SCN_SOCK_VERB_RECV:
        case NS_SCN_SOCK_VERB_RECVFROM:
            if (!(is_tcp ? try_recv_tcp : try_recv_udp)(pg, st, s, verb, &err))
                goto wait;
            break;
        case NS_SCN_SOCK_VERB_SHUTDOWN: {
            static const NsShutHow how[] = {NS_SHUT_RD, NS_SHUT_WR, NS_SHUT_RDWR};
            err = -ns_socket_shutdown(s->sock, how[st->u.shutdown.how]);
            break;
        }
        case NS_SCN_SOCK_VERB_CLOSE:
            note_tuple(s);
            err = -ns_socket_close(s->sock);
            s->sock = NULL;
            break;
        case NS_SCN_SOCK_VERB_SETSOCKOPT:
            err = -ns_socket_setopt(s->sock, sockopt_of(st->u.sockopt.opt),
                                    sockopt_arg(st->u.sockopt.opt, st->u.sockopt.value));
            break;
        }
    }
    if (err)
        prog_tracef(pg, verb, err, "%s failed:", ns_world_sock_name(w, si));
    if (err || !(is_tcp && st->verb.sock == NS_SCN_SOCK_VERB_RECV))
        report_call(pg, NS_WORLD_CALL_DONE, pg->progress, false, err,
                    st->verb.sock == NS_SCN_SOCK_VERB_ACCEPT && !err
                        ? pg->ps->socks[st->u.accept.new_sock].sock
                        : NULL);
    pg->progress = 0;
    step_end(pg, si, err);
    return true;
wait:
    /* Blocked: the socket's watch retries the host's blocked programs when
     * something changes. */
    pg->blocked = true;
    ns_socket_set_watch(s->sock, host_wake, pg);
    return false;
}

/* A socket of the host changed: retry every blocked program of the host,
 * in order (a program blocked on a socket it no longer has keeps waiting,
 * as a call blocked on a descriptor another thread closed does). */
static void host_wake(void *data, NsSocket *sock)
{
    (void)sock;
    const ProgramRt *waker = data;
    GPtrArray *progs = waker->ps->by_host[waker->host];
    for (guint i = 0; progs && i < progs->len; i++) {
        ProgramRt *pg = g_ptr_array_index(progs, i);
        if (!pg->blocked || pg->pc >= pg->steps->len)
            continue;
        const NsScnStep *st = ns_scn_step(pg->w->scn, g_array_index(pg->steps, uint32_t, pg->pc));
        if (pg->ps->socks[ns_scn_step_socket(st)].sock)
            step_try(pg);
    }
}

static void program_run(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    ProgramRt *pg = obj;
    if (pg->pc >= pg->steps->len)
        return;
    if (!ns_host_is_up(pg->h->host)) {
        const NsScnStep *st = ns_scn_step(pg->w->scn, g_array_index(pg->steps, uint32_t, pg->pc));
        prog_tracef(pg, ns_scn_step_verb_name(st), 0, "skipped: the host is down");
        pg->pc++;
        program_next(pg);
        return;
    }
    step_try(pg);
}

/* Start the next step at its own time or now, whichever is later. */
static void program_next(ProgramRt *pg)
{
    if (pg->pc >= pg->steps->len)
        return;
    NsWorld *w = pg->w;
    const NsScnStep *st = ns_scn_step(w->scn, g_array_index(pg->steps, uint32_t, pg->pc));
    NsTime now = ns_sim_now(w->ctx->sim);
    NsTime at = st->at > now ? st->at : now;
    ns_sim_schedule_at(w->ctx->sim, at, program_run, pg, NULL);
}

static void program_free(ProgramRt *pg)
{
    g_array_free(pg->steps, TRUE);
    g_free(pg->first_bytes);
    g_free(pg);
}

static ProgramRt *program_new(NsPrograms *ps, uint32_t host, const char *name)
{
    ProgramRt *pg = g_new0(ProgramRt, 1);
    pg->w = ps->w;
    pg->ps = ps;
    pg->host = host;
    pg->h = &ps->w->hosts[host];
    pg->name = name;
    pg->steps = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (!ps->by_host[host])
        ps->by_host[host] = g_ptr_array_new_with_free_func((GDestroyNotify)program_free);
    if (name)
        g_ptr_array_add(ps->by_host[host], pg);
    else
        g_ptr_array_insert(ps->by_host[host], 0, pg);
    return pg;
}

/* The host's own program (its socket steps outside `program` blocks),
 * made for the first such step. */
static ProgramRt *host_program(NsPrograms *ps, uint32_t host)
{
    GPtrArray *progs = ps->by_host[host];
    if (progs && progs->len && !((ProgramRt *)g_ptr_array_index(progs, 0))->name)
        return g_ptr_array_index(progs, 0);
    return program_new(ps, host, NULL);
}

NsPrograms *ns_programs_new(NsWorld *w, uint32_t n_hosts)
{
    const NsScenario *scn = w->scn;
    NsPrograms *ps = g_new0(NsPrograms, 1);
    ps->w = w;
    ps->n_hosts = n_hosts;
    ps->socks = g_new0(SockRt, scn->sockets->len ? scn->sockets->len : 1);
    ps->by_host = g_new0(GPtrArray *, n_hosts ? n_hosts : 1);
    ps->named = g_ptr_array_new();
    for (guint i = 0; i < scn->programs->len; i++) {
        const NsScnProgram *sp = ns_scn_program(scn, i);
        g_ptr_array_add(ps->named, program_new(ps, sp->host, sp->name));
    }
    for (guint i = 0; i < scn->steps->len; i++) {
        const NsScnStep *st = ns_scn_step(scn, i);
        if (st->kind != NS_SCN_STEP_SOCKET)
            continue;
        ProgramRt *pg = st->program < 0 ? host_program(ps, st->host)
                                        : g_ptr_array_index(ps->named, (guint)st->program);
        g_array_append_val(pg->steps, i);
    }
    return ps;
}

void ns_programs_start(NsPrograms *ps)
{
    for (uint32_t i = 0; i < ps->n_hosts; i++) {
        GPtrArray *progs = ps->by_host[i];
        for (guint k = 0; progs && k < progs->len; k++)
            program_next(g_ptr_array_index(progs, k));
    }
}

void ns_programs_host_crashed(NsPrograms *ps, uint32_t host)
{
    /* Every socket vanishes with the host: forget our handles first. */
    const NsScenario *scn = ps->w->scn;
    for (guint i = 0; i < scn->sockets->len; i++)
        if (ns_scn_socket(scn, i)->host == host)
            ps->socks[i].sock = NULL;
    GPtrArray *progs = ps->by_host[host];
    for (guint k = 0; progs && k < progs->len; k++) {
        ProgramRt *pg = g_ptr_array_index(progs, k);
        if (!pg->blocked)
            continue;
        /* The program dies with the host; its remaining steps are skipped
         * while the host is down. */
        pg->blocked = false;
        pg->connecting = false;
        pg->progress = 0;
        pg->pc++;
        program_next(pg);
    }
}

void ns_programs_report(NsPrograms *ps)
{
    for (uint32_t i = 0; i < ps->n_hosts; i++) {
        GPtrArray *progs = ps->by_host[i];
        for (guint k = 0; progs && k < progs->len; k++) {
            ProgramRt *pg = g_ptr_array_index(progs, k);
            if (!pg->blocked)
                continue;
            const NsScnStep *st =
                ns_scn_step(ps->w->scn, g_array_index(pg->steps, uint32_t, pg->pc));
            prog_tracef(pg, ns_scn_step_verb_name(st), 0, "still waiting at the end of the run");
        }
    }
}

void ns_programs_watch_calls(NsPrograms *ps, NsWorldSockCallFn fn, void *data)
{
    ps->on_call = fn;
    ps->on_call_data = data;
}

const SockRt *ns_programs_sock(const NsPrograms *ps, uint32_t i)
{
    return &ps->socks[i];
}

void ns_programs_free(NsPrograms *ps)
{
    if (!ps)
        return;
    for (uint32_t i = 0; i < ps->n_hosts; i++)
        if (ps->by_host[i])
            g_ptr_array_free(ps->by_host[i], TRUE);
    g_free(ps->by_host);
    g_ptr_array_free(ps->named, TRUE);
    g_free(ps->socks);
    g_free(ps);
}
