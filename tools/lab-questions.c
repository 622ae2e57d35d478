/* The questions of a lab (`netsim lab`), from one run: a sink keeps the
 * facts of the run's events (the full view, whatever the student sees),
 * and after the run each kind of question looks for the moment it is
 * about: the port a client used, which socket took a segment, a server
 * socket's state at a time, how many sockets listened on a port, why a
 * segment was sent again, why a connect failed; then the scenario's own
 * `question` lines, answered by the run (sim/runtime/questions.c). */
#include "lab.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/tcp-state.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"

/* The facts of one event the questions read. */
typedef struct {
    NsTime t;
    NsTraceKind kind;
    const char *host; /* interned */
    uint32_t sock_id, parent_id;
    uint8_t proto, flags;
    uint32_t src, dst;
    uint16_t sport, dport;
    bool has_seq;
    uint32_t seq, len;
    NsTcpEvent tcp_ev;
    NsTcpState from, to;
    NsTraceCause cause;
    NsSendWhy why;
    NsDropReason drop;
    NsSockOp sock_op;
    bool ephemeral;
    int err;
} Ev;

struct NsLabRun {
    GArray *evs; /* Ev, in run order */
};

static void lab_write(void *self, const NsTraceEvent *ev)
{
    NsLabRun *run = self;
    Ev e = {.t = ev->time, .kind = ev->kind, .host = g_intern_string(ev->host),
            .sock_id = ev->sock_id, .parent_id = ev->parent_id, .proto = ev->proto,
            .flags = ev->tcp_flags, .src = ev->src, .dst = ev->dst, .sport = ev->sport,
            .dport = ev->dport, .has_seq = ev->has_seq, .seq = ev->seq,
            .len = ev->payload_len, .tcp_ev = ev->tcp_ev, .from = ev->tcp_from,
            .to = ev->tcp_to, .cause = ev->cause, .why = ev->send_why, .drop = ev->drop,
            .sock_op = ev->sock_op, .ephemeral = ev->ephemeral, .err = ev->err};
    g_array_append_val(run->evs, e);
}

static const NsTraceSinkOps lab_ops = {"lab", lab_write, NULL, NULL};

NsLabRun *ns_lab_run_new(void)
{
    NsLabRun *run = g_new0(NsLabRun, 1);
    run->evs = g_array_new(FALSE, FALSE, sizeof(Ev));
    return run;
}

void ns_lab_run_free(NsLabRun *run)
{
    if (!run)
        return;
    g_array_free(run->evs, TRUE);
    g_free(run);
}

void ns_lab_run_attach(NsLabRun *run, NsTracer *tracer)
{
    uint32_t kinds = NS_TRACE_MASK(NS_TRACE_APP) | NS_TRACE_MASK(NS_TRACE_SOCK) |
                     NS_TRACE_MASK(NS_TRACE_TCP) | NS_TRACE_MASK(NS_TRACE_SEND) |
                     NS_TRACE_MASK(NS_TRACE_RECV) | NS_TRACE_MASK(NS_TRACE_DROP);
    ns_tracer_add_sink(tracer, &lab_ops, run, kinds);
}

void ns_lab_question_free(NsLabQuestion *q)
{
    g_free(q->text);
    g_free(q->answer);
    g_free(q->why);
    g_ptr_array_unref(q->choices);
    g_ptr_array_unref(q->accepted);
    g_free(q);
}

static NsLabQuestion *question_new(void)
{
    NsLabQuestion *q = g_new0(NsLabQuestion, 1);
    q->choices = g_ptr_array_new_with_free_func(g_free);
    q->accepted = g_ptr_array_new_with_free_func(g_free);
    return q;
}

static void accept(NsLabQuestion *q, const char *answer)
{
    g_ptr_array_add(q->accepted, g_strdup(answer));
}

/* ---- words ---- */

/* "0.004 s", "1.500 s", "30 s": simulated seconds, milliseconds shown. */
static char *secs(NsTime t)
{
    int64_t s = t / NS_S(1), ns = t % NS_S(1);
    g_autofree char *frac = g_strdup_printf("%09" PRId64, ns);
    size_t n = 9;
    while (n > 3 && frac[n - 1] == '0')
        n--;
    frac[n] = '\0';
    if (ns == 0 && s > 0)
        return g_strdup_printf("%" PRId64 " s", s);
    return g_strdup_printf("%" PRId64 ".%s s", s, frac);
}

static char *ep(uint32_t addr, uint16_t port)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(addr, a);
    return g_strdup_printf("%s:%u", a, port);
}

/* "`10.0.0.1:49153 > 10.0.0.80:80 TCP [S] seq 0 len 0`", as the trace. */
static char *seg_text(const Ev *e)
{
    char f[NS_TCP_FLAGS_STRLEN];
    ns_tcp_flags_format(e->flags, f);
    g_autofree char *s = ep(e->src, e->sport), *d = ep(e->dst, e->dport);
    if (e->has_seq)
        return g_strdup_printf("`%s > %s TCP [%s] seq %" PRIu32 " len %" PRIu32 "`", s, d, f,
                               e->seq, e->len);
    return g_strdup_printf("`%s > %s TCP [%s] len %" PRIu32 "`", s, d, f, e->len);
}

static bool is_state(const Ev *e)
{
    return e->kind == NS_TRACE_TCP && e->tcp_ev == NS_TCP_EV_STATE;
}

static bool is_tcp_packet(const Ev *e, NsTraceKind kind)
{
    return e->kind == kind && e->proto == NS_IPPROTO_TCP;
}

static bool pure_syn(const Ev *e)
{
    return (e->flags & NS_TCP_SYN) && !(e->flags & NS_TCP_ACK);
}

/* A time strictly between a and b, as round as possible, near the middle. */
static NsTime round_between(NsTime a, NsTime b)
{
    static const NsTime units[] = {NS_S(10), NS_S(1), NS_MS(100), NS_MS(10), NS_MS(1),
                                   NS_US(100), NS_US(10), NS_US(1), 100, 10, 1};
    NsTime mid = a + (b - a) / 2;
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
        NsTime u = units[i];
        NsTime t = (mid + u / 2) / u * u; /* the multiple nearest the middle */
        if (t > a && t < b)
            return t;
    }
    return mid;
}

/* ---- 1. which port did the client use ---- */

/* The first connect of the run: a TCP socket bound to an ephemeral port
 * that then sends its SYN. */
static const Ev *first_client_bind(const GArray *evs)
{
    for (guint i = 0; i < evs->len; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        if (e->kind == NS_TRACE_SOCK && e->sock_op == NS_SOCK_OP_BOUND && e->ephemeral &&
            e->proto == NS_IPPROTO_TCP && e->dport)
            return e;
    }
    return NULL;
}

static NsLabQuestion *ask_client_port(const GArray *evs)
{
    const Ev *b = first_client_bind(evs);
    if (!b)
        return NULL;
    NsLabQuestion *q = question_new();
    g_autofree char *t = secs(b->t), *peer = ep(b->dst, b->dport), *me = ep(b->src, b->sport);
    q->text = g_strdup_printf("At %s, %s opens a TCP connection to %s. Which local port does "
                              "its socket use?", t, b->host, peer);
    q->answer = g_strdup_printf("%u", b->sport);
    accept(q, q->answer);
    q->why = g_strdup_printf(
        "Its socket #%" PRIu32 " had no port yet: when connect needed one, %s gave it a "
        "free ephemeral port, %u (the trace's `sock #%" PRIu32 " tcp %s-%s bound (ephemeral "
        "port)` at %s). The server's port, %u, says which service; the client's port tells "
        "this connection apart from the others of the same host.",
        b->sock_id, b->host, b->sport, b->sock_id, me, peer, t, b->dport);
    return q;
}

/* ---- 2, 3. which socket received a segment ---- */

/* The first socket a listener created: the TCP event of its birth. */
static const Ev *first_accepted(const GArray *evs)
{
    for (guint i = 0; i < evs->len; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        if (is_state(e) && e->cause == NS_CAUSE_RCV_SYN_LISTENER)
            return e;
    }
    return NULL;
}

/* The first TCP segment `host` received from remote to local matching
 * `want_data` (payload) or a pure SYN, at or after `from`. */
static const Ev *first_recv(const GArray *evs, const Ev *sock, bool want_data)
{
    for (guint i = 0; i < evs->len; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        if (!is_tcp_packet(e, NS_TRACE_RECV) || e->host != sock->host || e->src != sock->dst ||
            e->sport != sock->dport || e->dst != sock->src || e->dport != sock->sport)
            continue;
        if (want_data ? e->len > 0 : pure_syn(e))
            return e;
    }
    return NULL;
}

static NsLabQuestion *ask_syn_socket(const GArray *evs, const Ev *acc)
{
    const Ev *syn = first_recv(evs, acc, false);
    if (!syn)
        return NULL;
    NsLabQuestion *q = question_new();
    g_autofree char *t = secs(syn->t), *seg = seg_text(syn);
    g_autofree char *me = ep(acc->src, acc->sport), *peer = ep(acc->dst, acc->dport);
    q->text = g_strdup_printf("At %s, %s receives %s. Which of its sockets takes this segment? "
                              "Give its number as the trace shows it (#N).",
                              t, syn->host, seg);
    q->answer = g_strdup_printf("#%" PRIu32 ", the listening socket *:%u", acc->parent_id,
                                acc->sport);
    g_autofree char *id = g_strdup_printf("#%" PRIu32, acc->parent_id);
    g_autofree char *any = g_strdup_printf("*:%u", acc->sport);
    g_autofree char *zero = g_strdup_printf("0.0.0.0:%u", acc->sport);
    accept(q, id);
    accept(q, any);
    accept(q, zero);
    q->why = g_strdup_printf(
        "No socket of %s is connected to %s yet, so the SYN goes to the socket listening on "
        "port %u, #%" PRIu32 ". The listener does not take the connection itself: it creates "
        "a new socket, #%" PRIu32 " (%s-%s), which answers with SYN,ACK while #%" PRIu32
        " goes on listening.",
        syn->host, peer, acc->sport, acc->parent_id, acc->sock_id, me, peer, acc->parent_id);
    return q;
}

static NsLabQuestion *ask_data_socket(const GArray *evs, const Ev *acc)
{
    const Ev *data = first_recv(evs, acc, true);
    if (!data)
        return NULL;
    NsLabQuestion *q = question_new();
    g_autofree char *t = secs(data->t), *seg = seg_text(data);
    g_autofree char *me = ep(acc->src, acc->sport), *peer = ep(acc->dst, acc->dport);
    q->text = g_strdup_printf("At %s, %s receives %s. Which of its sockets takes this segment? "
                              "Give its number (#N), or its local and remote address:port.",
                              t, data->host, seg);
    q->answer = g_strdup_printf("#%" PRIu32 ", the connected socket %s-%s", acc->sock_id, me,
                                peer);
    g_autofree char *id = g_strdup_printf("#%" PRIu32, acc->sock_id);
    g_autofree char *tuple = g_strdup_printf("%s-%s", me, peer);
    accept(q, id);
    accept(q, tuple);
    q->why = g_strdup_printf(
        "A segment goes to the socket whose four values all match: local %s and remote %s. "
        "That is #%" PRIu32 ", which the listener #%" PRIu32 " created for this connection, "
        "not the listener itself, although both have local port %u.",
        me, peer, acc->sock_id, acc->parent_id, acc->sport);
    return q;
}

/* ---- 4. a server socket's state at T ---- */

static NsLabQuestion *ask_state_at(const GArray *evs, const Ev *acc, NsTime end)
{
    /* The socket's states and when each began; the longest one is asked. */
    NsTime best_a = 0, best_b = 0, a = 0;
    NsTcpState state = NS_TCP_STATE_CLOSED, best = NS_TCP_STATE_CLOSED;
    NsTraceCause cause = NS_CAUSE_NONE, best_cause = NS_CAUSE_NONE;
    bool have = false;
    for (guint i = 0; i <= evs->len; i++) {
        const Ev *e = i < evs->len ? &g_array_index(evs, Ev, i) : NULL;
        if (e && !(is_state(e) && e->sock_id == acc->sock_id && e->host == acc->host))
            continue;
        NsTime now = e ? e->t : end;
        if (have && state != NS_TCP_STATE_CLOSED && now - a > best_b - best_a) {
            best_a = a;
            best_b = now;
            best = state;
            best_cause = cause;
        }
        if (!e)
            break;
        have = true;
        a = e->t;
        state = e->to;
        cause = e->cause;
    }
    if (best_b <= best_a + 1)
        return NULL;
    (void)best_cause;
    NsTime at = round_between(best_a, best_b);
    NsLabQuestion *q = question_new();
    g_autofree char *t = secs(at), *ta = secs(best_a), *tb = secs(best_b);
    g_autofree char *me = ep(acc->src, acc->sport), *peer = ep(acc->dst, acc->dport);
    q->text = g_strdup_printf("What state is %s's socket %s-%s (#%" PRIu32 ") in at %s?",
                              acc->host, me, peer, acc->sock_id, t);
    q->answer = g_strdup(ns_tcp_state_name(best));
    accept(q, q->answer);
    if (best_b == end)
        q->why = g_strdup_printf("It entered %s at %s and was still in it when the run ended "
                                 "at %s.",
                                 q->answer, ta, tb);
    else
        q->why = g_strdup_printf("It entered %s at %s and left it at %s.", q->answer, ta, tb);
    return q;
}

/* ---- 5. how many sockets listened on a port at T ---- */

typedef struct {
    uint32_t id;
    NsTcpState state;
    uint32_t raddr;
    uint16_t rport;
} PortSock;

static int count_open(const GArray *socks, NsTcpState only, bool filter)
{
    int n = 0;
    for (guint i = 0; i < socks->len; i++) {
        const PortSock *s = &g_array_index(socks, PortSock, i);
        if (s->state != NS_TCP_STATE_CLOSED && (!filter || s->state == only))
            n++;
    }
    return n;
}

static void port_sock_set(GArray *socks, const Ev *e)
{
    for (guint i = 0; i < socks->len; i++) {
        PortSock *s = &g_array_index(socks, PortSock, i);
        if (s->id == e->sock_id) {
            s->state = e->to;
            return;
        }
    }
    PortSock s = {e->sock_id, e->to, e->dst, e->dport};
    g_array_append_val(socks, s);
}

static NsLabQuestion *ask_listening(const GArray *evs, const Ev *acc, NsTime end)
{
    g_autoptr(GArray) socks = g_array_new(FALSE, FALSE, sizeof(PortSock));
    g_autoptr(GArray) at_best = NULL;
    int best = 0;
    NsTime best_a = 0, best_b = 0;
    bool open = false; /* the best interval is still open */
    for (guint i = 0; i <= evs->len; i++) {
        const Ev *e = i < evs->len ? &g_array_index(evs, Ev, i) : NULL;
        if (e && !(is_state(e) && e->host == acc->host && e->sport == acc->sport))
            continue;
        NsTime now = e ? e->t : end;
        if (open && now > best_a) {
            best_b = now;
            open = false;
        }
        if (!e)
            break;
        /* Equal times: the count after the last event of that time. */
        port_sock_set(socks, e);
        const Ev *next = NULL;
        for (guint k = i + 1; k < evs->len && !next; k++) {
            const Ev *n = &g_array_index(evs, Ev, k);
            if (is_state(n) && n->host == acc->host && n->sport == acc->sport)
                next = n;
        }
        if (next && next->t == e->t)
            continue;
        int n = count_open(socks, NS_TCP_STATE_CLOSED, false);
        if (n > best) {
            best = n;
            best_a = e->t;
            open = true;
            if (at_best)
                g_array_free(at_best, TRUE);
            at_best = g_array_copy(socks);
        }
    }
    if (!at_best || best_b <= best_a + 1)
        return NULL;
    NsTime at = round_between(best_a, best_b);
    int listening = count_open(at_best, NS_TCP_STATE_LISTEN, true);
    NsLabQuestion *q = question_new();
    g_autofree char *t = secs(at);
    q->text = g_strdup_printf("At %s, how many sockets of %s are listening (state LISTEN) on "
                              "port %u?", t, acc->host, acc->sport);
    q->answer = g_strdup_printf("%d", listening);
    accept(q, q->answer);
    GString *why = g_string_new(NULL);
    g_string_append_printf(why, "%d listening socket%s", listening, listening == 1 ? "" : "s");
    GString *others = g_string_new(NULL);
    int n_others = 0;
    for (guint i = 0; i < at_best->len; i++) {
        const PortSock *s = &g_array_index(at_best, PortSock, i);
        if (s->state == NS_TCP_STATE_CLOSED)
            continue;
        if (s->state == NS_TCP_STATE_LISTEN) {
            g_string_append_printf(why, " (#%" PRIu32 ")", s->id);
            continue;
        }
        g_autofree char *peer = ep(s->raddr, s->rport);
        g_string_append_printf(others, "%s#%" PRIu32 " %s with %s", n_others ? ", " : "", s->id,
                               ns_tcp_state_name(s->state), peer);
        n_others++;
    }
    if (n_others)
        g_string_append_printf(why, "; %d other socket%s of %s also %s local port %u then: %s. "
                               "They belong to connections, each told apart by its remote "
                               "address and port; none of them listens.",
                               n_others, n_others == 1 ? "" : "s", acc->host,
                               n_others == 1 ? "has" : "have", acc->sport, others->str);
    else
        g_string_append(why, ".");
    g_string_free(others, TRUE);
    q->why = g_string_free(why, FALSE);
    return q;
}

/* ---- 6. why was a segment sent again ---- */

static const char *const resend_choices[] = {
    "Its retransmission timer (RTO) ran out before an ACK for it came back.",
    "Three duplicate ACKs said it was missing while later segments arrived (fast retransmit).",
    "The receiver's SACK blocks showed it was lost.",
    "A tail loss probe: the last segment was sent again to get an ACK sooner.",
    "The application wrote the same bytes twice.",
};

static int resend_letter(NsSendWhy why)
{
    switch (why) {
    case NS_SEND_RTO:
        return 0;
    case NS_SEND_FAST_RETRANSMIT:
        return 1;
    case NS_SEND_SACK_RETRANSMIT:
        return 2;
    case NS_SEND_TLP:
        return 3;
    case NS_SEND_NORMAL:
    case NS_SEND_PROBE:
    case NS_SEND_WINDOW_UPDATE:
    case NS_SEND_DELAYED_ACK:
    case NS_SEND_CHALLENGE_ACK:
    case NS_SEND_KEEPALIVE:
    case NS_SEND_FAULT:
    case NS_SEND_PMTU:
        return -1;
    }
    return -1;
}

/* What became of a packet, as the key says it. */
static const char *fate(NsDropReason drop)
{
    switch (drop) {
    case NS_DROP_LINK_LOSS:
        return "lost on the link (its random loss)";
    case NS_DROP_QUEUE_FULL:
        return "dropped by a full link queue";
    case NS_DROP_FAULT:
        return "dropped by the scenario's targeted fault";
    case NS_DROP_FILTER:
        return "dropped by a filter rule";
    case NS_DROP_LINK_DOWN:
        return "lost on a link that was down";
    case NS_DROP_HOST_DOWN:
        return "lost: its host was down";
    case NS_DROP_NO_SOCKET:
        return "dropped: no socket for its port";
    case NS_DROP_NONE:
    case NS_DROP_LISTEN_QUEUE_FULL:
    case NS_DROP_ACCEPT_QUEUE_FULL:
    case NS_DROP_RCVBUF_FULL:
    case NS_DROP_CHECKSUM:
    case NS_DROP_MALFORMED:
    case NS_DROP_MALFORMED_IP:
    case NS_DROP_NO_ROUTE:
    case NS_DROP_NOT_FOR_HOST:
    case NS_DROP_FRAG_TIMEOUT:
    case NS_DROP_FRAG_DUPLICATE:
    case NS_DROP_FRAG_OVERLAP:
    case NS_DROP_FRAG_INVALID:
    case NS_DROP_FRAG_MEMORY:
    case NS_DROP_NO_PROTOCOL:
    case NS_DROP_TTL_EXCEEDED:
    case NS_DROP_TOO_BIG:
    case NS_DROP_ARP_FAILED:
    case NS_DROP_ARP_QUEUE_FULL:
        break;
    }
    return "lost";
}

static bool same_segment(const Ev *a, const Ev *b)
{
    return a->src == b->src && a->sport == b->sport && a->dst == b->dst &&
           a->dport == b->dport && a->seq == b->seq && a->len == b->len &&
           (a->flags & NS_TCP_SYN) == (b->flags & NS_TCP_SYN);
}

/* The first segment sent again for a reason other than `not`'s (-1: any). */
static NsLabQuestion *ask_resent(const GArray *evs, int not, int *asked)
{
    const Ev *re = NULL;
    int letter = -1;
    guint at = 0;
    for (guint i = 0; i < evs->len && !re; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        if (is_tcp_packet(e, NS_TRACE_SEND) && e->has_seq && resend_letter(e->why) >= 0 &&
            resend_letter(e->why) != not) {
            re = e;
            letter = resend_letter(e->why);
            at = i;
        }
    }
    if (!re)
        return NULL;
    *asked = letter;
    const Ev *first = NULL, *lost = NULL;
    for (guint i = 0; i < at; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        if (!first && is_tcp_packet(e, NS_TRACE_SEND) && e->host == re->host &&
            same_segment(e, re))
            first = e;
        else if (first && !lost && is_tcp_packet(e, NS_TRACE_DROP) && e->src == re->src &&
                 e->sport == re->sport && e->dst == re->dst && e->dport == re->dport &&
                 e->len == re->len && (!e->has_seq || e->seq == re->seq))
            lost = e;
    }
    NsLabQuestion *q = question_new();
    g_autofree char *t = secs(re->t), *seg = seg_text(re);
    q->text = g_strdup_printf("At %s, %s sends %s again. Why?", t, re->host, seg);
    for (size_t i = 0; i < G_N_ELEMENTS(resend_choices); i++)
        g_ptr_array_add(q->choices, g_strdup(resend_choices[i]));
    q->answer = g_strdup_printf("%c. %s", 'a' + letter, resend_choices[letter]);
    char l[2] = {(char)('a' + letter), 0};
    accept(q, l);
    accept(q, resend_choices[letter]);
    GString *why = g_string_new(NULL);
    if (first) {
        g_autofree char *t1 = secs(first->t);
        g_string_append_printf(why, "It first went out at %s", t1);
        if (lost) {
            g_autofree char *t2 = secs(lost->t);
            g_string_append_printf(why, " and was %s at %s (on %s)", fate(lost->drop), t2,
                                   lost->host);
        }
        g_string_append(why, ". ");
    }
    switch (letter) {
    case 0:
        g_string_append(why, "No acknowledgement of it came back before the retransmission "
                             "timeout, so the timer fired and the sender sent it again (and "
                             "doubled the timeout).");
        break;
    case 1:
        g_string_append(why, "The segments after it arrived, and each made the receiver repeat "
                             "its last ACK; the third duplicate ACK told the sender this one "
                             "was missing, before any timer ran out.");
        break;
    case 2:
        g_string_append(why, "The receiver's SACK blocks acknowledged data beyond it, which "
                             "marked it lost.");
        break;
    default:
        g_string_append(why, "No ACK came for the last segment sent, so after about two round "
                             "trips the sender probed with it again.");
        break;
    }
    q->why = g_string_free(why, FALSE);
    return q;
}

/* ---- 7. why did a connect fail ---- */

static const char *const fail_choices[] = {
    "Nothing listened on that port: the server's TCP answered the SYN with a RST.",
    "A filter rule rejected the SYN and answered with a RST.",
    "A filter rule rejected the SYN and answered with an ICMP error.",
    "A filter rule dropped the SYN without an answer; connect gave up after its retries.",
    "The SYN or its answer was lost on the way; connect gave up after its retries.",
};

static const char *const fail_why[] = {
    "Its SYN reached %s, whose TCP found no socket for port %u and answered with a RST: the "
    "host is there, the port is closed.",
    "Its SYN was stopped on %s by a filter rule that rejects with a TCP reset: the RST looks "
    "like a closed port's, but the SYN never reached TCP (no `recv` line for it).",
    "Its SYN was stopped on %s by a filter rule that rejects with an ICMP error: the ICMP "
    "message makes connect fail at once, with ECONNREFUSED.",
    "Its SYNs were dropped by a filter rule on %s with no answer at all, so the client sent "
    "them again and again, each time waiting twice as long, until it gave up.",
    "Its SYNs got no answer (the first was lost on %s), so the client sent them again, each "
    "time waiting twice as long, until it gave up.",
};

static NsLabQuestion *ask_failed(const GArray *evs, guint i_closed)
{
    const Ev *c = &g_array_index(evs, Ev, i_closed);
    const Ev *drop = NULL;
    int err = 0;
    for (guint i = 0; i < evs->len; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        if (!drop && i < i_closed && is_tcp_packet(e, NS_TRACE_DROP) && pure_syn(e) &&
            e->src == c->src && e->sport == c->sport && e->dst == c->dst && e->dport == c->dport)
            drop = e;
        if (!err && e->kind == NS_TRACE_APP && e->host == c->host && e->t == c->t && e->err)
            err = e->err;
    }
    int k;
    if (c->cause == NS_CAUSE_RCV_RST && drop && drop->drop == NS_DROP_NO_SOCKET)
        k = 0;
    else if (c->cause == NS_CAUSE_RCV_RST && drop && drop->drop == NS_DROP_FILTER)
        k = 1;
    else if (c->cause == NS_CAUSE_ICMP_ERROR && drop && drop->drop == NS_DROP_FILTER)
        k = 2;
    else if (c->cause == NS_CAUSE_SYN_RETRIES && drop && drop->drop == NS_DROP_FILTER)
        k = 3;
    else if (c->cause == NS_CAUSE_SYN_RETRIES && drop)
        k = 4;
    else
        return NULL;
    NsLabQuestion *q = question_new();
    g_autofree char *t = secs(c->t), *peer = ep(c->dst, c->dport);
    const char *en = err ? ns_errno_name(err) : NULL;
    q->text = en ? g_strdup_printf("At %s, the connect of %s's socket #%" PRIu32 " to %s fails "
                                   "with %s. Why?",
                                   t, c->host, c->sock_id, peer, en)
                 : g_strdup_printf("At %s, the connect of %s's socket #%" PRIu32 " to %s fails. "
                                   "Why?",
                                   t, c->host, c->sock_id, peer);
    for (size_t i = 0; i < G_N_ELEMENTS(fail_choices); i++)
        g_ptr_array_add(q->choices, g_strdup(fail_choices[i]));
    q->answer = g_strdup_printf("%c. %s", 'a' + k, fail_choices[k]);
    char l[2] = {(char)('a' + k), 0};
    accept(q, l);
    accept(q, fail_choices[k]);
    q->why = k == 0 ? g_strdup_printf(fail_why[0], drop->host, c->dport)
                    : g_strdup_printf(fail_why[k], drop->host);
    return q;
}

/* ---- the scenario's own questions ---- */

static NsLabQuestion *ask_scenario(const NsScenario *scn, NsWorld *w, uint32_t i, GError **error)
{
    const NsScnQuestion *sq = ns_scn_question(scn, i);
    const char *answer = ns_world_answer(w, i);
    g_autofree char *file = g_path_get_basename(sq->loc.file);
    if (!answer) {
        g_autofree char *now = secs(ns_world_now(w));
        g_set_error(error, NS_WORLD_ERROR, 0,
                    "%s:%" PRIu32 ":%" PRIu32 ": error: the question looks at a time the run "
                    "never reached (it stopped at %s)",
                    sq->loc.file, sq->loc.line, sq->loc.col, now);
        return NULL;
    }
    NsLabQuestion *q = question_new();
    q->text = g_strdup(sq->text);
    q->answer = g_strdup(answer);
    accept(q, answer);
    if (sq->ask == NS_SCN_ASK_RECEIVED) {
        g_autofree char *b = g_strdup_printf("%sB", answer);
        g_free(q->answer);
        q->answer = g_strdup_printf("%s bytes", answer);
        accept(q, b);
        accept(q, q->answer);
    }
    q->why = g_strdup_printf("The run's own value, found as an expectation with the same words "
                             "would find it (`question` at %s:%" PRIu32 ").",
                             file, sq->loc.line);
    return q;
}

GPtrArray *ns_lab_questions(const NsLabRun *run, const NsScenario *scn, NsWorld *w,
                            GError **error)
{
    GPtrArray *qs = g_ptr_array_new_with_free_func((GDestroyNotify)ns_lab_question_free);
    const GArray *evs = run->evs;
    NsTime end = ns_world_now(w);
    NsLabQuestion *q;
    if ((q = ask_client_port(evs)))
        g_ptr_array_add(qs, q);
    const Ev *acc = first_accepted(evs);
    if (acc) {
        if ((q = ask_syn_socket(evs, acc)))
            g_ptr_array_add(qs, q);
        if ((q = ask_data_socket(evs, acc)))
            g_ptr_array_add(qs, q);
        if ((q = ask_state_at(evs, acc, end)))
            g_ptr_array_add(qs, q);
        if ((q = ask_listening(evs, acc, end)))
            g_ptr_array_add(qs, q);
    }
    /* Why segments were sent again: the first, and the first for another
     * reason. */
    int why = -1, why2 = -1;
    if ((q = ask_resent(evs, -1, &why)))
        g_ptr_array_add(qs, q);
    if (why >= 0 && (q = ask_resent(evs, why, &why2)))
        g_ptr_array_add(qs, q);
    for (guint i = 0, n = 0; i < evs->len && n < 4; i++) {
        const Ev *e = &g_array_index(evs, Ev, i);
        if (is_state(e) && e->from == NS_TCP_STATE_SYN_SENT && e->to == NS_TCP_STATE_CLOSED &&
            (q = ask_failed(evs, i))) {
            g_ptr_array_add(qs, q);
            n++;
        }
    }
    for (uint32_t i = 0; i < scn->questions->len; i++) {
        if (!(q = ask_scenario(scn, w, i, error))) {
            g_ptr_array_unref(qs);
            return NULL;
        }
        g_ptr_array_add(qs, q);
    }
    return qs;
}
