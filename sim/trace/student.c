/* Student mode: a sink on the run's tracer that hands the sinks of a
 * student run a copy of each event with the answers taken out. */
#include "netsim/trace-student.h"

#include "netsim/trace-filter.h"

/* A retransmission's reason is what "why was this segment sent again?"
 * asks; the other reasons are how TCP always works. */
static bool resend_reason(NsSendWhy why)
{
    switch (why) {
    case NS_SEND_RTO:
    case NS_SEND_FAST_RETRANSMIT:
    case NS_SEND_SACK_RETRANSMIT:
    case NS_SEND_TLP:
    case NS_SEND_FAULT:
    case NS_SEND_PMTU:
        return true;
    case NS_SEND_NORMAL:
    case NS_SEND_PROBE:
    case NS_SEND_WINDOW_UPDATE:
    case NS_SEND_DELAYED_ACK:
    case NS_SEND_CHALLENGE_ACK:
    case NS_SEND_KEEPALIVE:
        return false;
    }
    return false;
}

/* The timers whose firing says why a segment is sent again. */
static bool loss_timer(NsTimerKind timer)
{
    switch (timer) {
    case NS_TIMER_RTO:
    case NS_TIMER_TLP:
    case NS_TIMER_RACK:
        return true;
    case NS_TIMER_PERSIST:
    case NS_TIMER_KEEPALIVE:
    case NS_TIMER_TIME_WAIT:
    case NS_TIMER_FIN_WAIT_2:
    case NS_TIMER_DELACK:
        return false;
    }
    return false;
}

bool ns_trace_student_view(NsTraceEvent *ev)
{
    /* No event of any kind names a fault or a filter rule. */
    ev->fault = NS_FAULT_NONE;
    ev->fault_rule = NULL;
    ev->rule_name = NULL;
    switch (ev->kind) {
    case NS_TRACE_DROP:
        /* The packet is seen lost, at the host where it was; not why, nor
         * on which link. */
        ev->drop = NS_DROP_NONE;
        ev->where = NULL;
        ev->loc = (NsTraceLoc){0};
        return true;
    case NS_TRACE_SEND:
        if (resend_reason(ev->send_why))
            ev->send_why = NS_SEND_NORMAL;
        ev->loc = (NsTraceLoc){0};
        return true;
    case NS_TRACE_TCP:
        /* A state change keeps its cause (a segment that arrived, a call):
         * the packets show it anyway. A window change hides what it
         * reacted to. */
        if (ev->tcp_ev != NS_TCP_EV_STATE)
            ev->cause = NS_CAUSE_NONE;
        return true;
    case NS_TRACE_TIMER:
        return !loss_timer(ev->timer);
    case NS_TRACE_LINK:
        /* A switch learning and flooding is the lesson; a link going down
         * or changing on the timeline is the teacher's fault. */
        switch (ev->link_ev) {
        case NS_LINK_EV_LEARNED:
        case NS_LINK_EV_FLOODED:
            return true;
        case NS_LINK_EV_UP:
        case NS_LINK_EV_DOWN:
        case NS_LINK_EV_SET:
            return false;
        }
        return false;
    case NS_TRACE_HOST: /* host crashes, filter rules */
    case NS_TRACE_EXPECT: /* the teacher's checks */
        return false;
    case NS_TRACE_APP:
    case NS_TRACE_SOCK:
    case NS_TRACE_RECV:
    case NS_TRACE_FWD:
    case NS_TRACE_ICMP:
    case NS_TRACE_ARP:
    case NS_TRACE_NDP:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_NAT:
    case NS_TRACE_KIND_COUNT:
        return true;
    }
    return true;
}

static void student_write(void *self, const NsTraceEvent *ev)
{
    NsTraceEvent view = *ev;
    if (ns_trace_student_view(&view))
        ns_trace_emit(self, &view);
}

static bool student_close(void *self, GError **error)
{
    return ns_tracer_close(self, error);
}

static void student_free(void *self)
{
    ns_tracer_free(self);
}

static const NsTraceSinkOps student_ops = {"student", student_write, student_close, student_free};

void ns_trace_student_attach(NsTracer *tracer, NsTracer *sinks)
{
    uint32_t hidden = NS_TRACE_MASK(NS_TRACE_HOST) | NS_TRACE_MASK(NS_TRACE_EXPECT);
    ns_tracer_add_sink(tracer, &student_ops, sinks, ns_tracer_mask(sinks) & ~hidden);
}
