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

struct NsQuestions {
    NsWorld *w;     /* what the answers are read from */
    uint32_t n;
    char **answers; /* per question, NULL until found */
};

static void answer_at(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    NsQuestions *qs = obj;
    uint32_t i = GPOINTER_TO_UINT(arg);
    qs->answers[i] = answer_now(qs->w, ns_scn_question(qs->w->scn, i));
}

NsQuestions *ns_questions_new(NsWorld *w)
{
    NsQuestions *qs = g_new0(NsQuestions, 1);
    qs->w = w;
    qs->n = w->scn->questions->len;
    qs->answers = g_new0(char *, qs->n + 1);
    for (guint i = 0; i < qs->n; i++) {
        NsTime at = question_time(ns_scn_question(w->scn, i));
        if (at)
            ns_sim_schedule_at(w->ctx->sim, at, answer_at, qs, GUINT_TO_POINTER(i));
    }
    return qs;
}

void ns_questions_end(NsQuestions *qs)
{
    for (guint i = 0; i < qs->n; i++) {
        const NsScnQuestion *q = ns_scn_question(qs->w->scn, i);
        if (!question_time(q) && !qs->answers[i])
            qs->answers[i] = answer_now(qs->w, q);
    }
}

void ns_questions_free(NsQuestions *qs)
{
    if (!qs)
        return;
    for (guint i = 0; i < qs->n; i++)
        g_free(qs->answers[i]);
    g_free(qs->answers);
    g_free(qs);
}

const char *ns_questions_answer(const NsQuestions *qs, uint32_t i)
{
    g_return_val_if_fail(i < qs->n, NULL);
    return qs->answers[i];
}
