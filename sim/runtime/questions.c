/* The scenario's questions (`question` lines, for `netsim lab`): each is
 * the expectation its words make, with '?' for the value; the run looks at
 * what that expectation would look at (expect.c), at the same moment, and
 * keeps what it found as the answer. Nothing is traced. */
#include "world-private.h"

#include <inttypes.h>

#include "netsim/tcp.h"

static char *answer_now(NsWorld *w, const NsScnQuestion *q)
{
    const NsScnExpect *e = &q->subject;
    uint32_t host = (uint32_t)e->host;
    switch (q->ask) {
    case NS_SCN_ASK_STATE: {
        int st = ns_world_sock_tcp_state(w, host, ns_programs_sock(w->progs, e->u.state.sock));
        return g_strdup(st < 0 ? "not a TCP socket" : ns_tcp_state_name((NsTcpState)st));
    }
    case NS_SCN_ASK_ERROR: {
        int err = ns_programs_sock(w->progs, e->u.error.sock)->last_err;
        const char *n = ns_errno_name(err);
        return g_strdup(err == 0 ? "none" : n ? n : "?");
    }
    case NS_SCN_ASK_RECEIVED:
        return g_strdup_printf("%" PRIu64, ns_programs_sock(w->progs, e->u.received.sock)->received);
    case NS_SCN_ASK_PORT:
        return g_strdup_printf("%u", ns_world_sock_port(ns_programs_sock(w->progs, e->u.port.sock)));
    case NS_SCN_ASK_SOCKETS: {
        int counts[NS_SCN_TCP_N_STATES], udp;
        ns_world_count_sockets(w, host, counts, &udp);
        return g_strdup_printf("%d", q->state < 0 ? udp : counts[q->state]);
    }
    }
    return g_strdup("?");
}

/* When the question looks: at its time, or 0 for the end of the run. */
static NsTime question_time(const NsScnQuestion *q)
{
    if (q->ask == NS_SCN_ASK_SOCKETS)
        return q->subject.u.sockets.at;
    if (q->ask == NS_SCN_ASK_STATE && q->subject.u.state.has_at)
        return q->subject.u.state.at;
    return 0;
}

static void answer_at(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsWorld *w = obj;
    uint32_t i = GPOINTER_TO_UINT(arg);
    w->answers[i] = answer_now(w, ns_scn_question(w->scn, i));
}

void ns_world_questions_start(NsWorld *w)
{
    guint n = w->scn->questions->len;
    w->answers = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++) {
        NsTime at = question_time(ns_scn_question(w->scn, i));
        if (at)
            ns_sim_schedule_at(w->ctx->sim, at, answer_at, w, GUINT_TO_POINTER(i));
    }
}

void ns_world_questions_end(NsWorld *w)
{
    for (guint i = 0; i < w->scn->questions->len; i++) {
        const NsScnQuestion *q = ns_scn_question(w->scn, i);
        if (!question_time(q) && !w->answers[i])
            w->answers[i] = answer_now(w, q);
    }
}

void ns_world_questions_free(NsWorld *w)
{
    if (!w->answers)
        return;
    for (guint i = 0; i < w->scn->questions->len; i++)
        g_free(w->answers[i]);
    g_free(w->answers);
}

const char *ns_world_answer(const NsWorld *w, uint32_t i)
{
    g_return_val_if_fail(i < w->scn->questions->len, NULL);
    return w->answers[i];
}
