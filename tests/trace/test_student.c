/* Student mode (sim/trace/student.c): the student's view of each kind of
 * event keeps the packet and loses the answer; the tracer hands sinks that
 * view and nothing of the hidden kinds. */
#include "netsim/trace-student.h"
#include "trace-tests.h"

static void test_drop_keeps_packet_loses_reason(void)
{
    NsTraceEvent ev = SEG(.kind = NS_TRACE_DROP, .drop = NS_DROP_FILTER, .rule_name = "ssh",
                          .loc = {"lab.scn", 12}, .where = "lan");
    CU_ASSERT_TRUE(ns_trace_student_view(&ev));
    CU_ASSERT_EQUAL(ev.drop, NS_DROP_NONE);
    CU_ASSERT_PTR_NULL(ev.rule_name);
    CU_ASSERT_PTR_NULL(ev.loc.file);
    CU_ASSERT_PTR_NULL(ev.where);
    CU_ASSERT_EQUAL(ev.src, CLI);
    CU_ASSERT_EQUAL(ev.dport, 80);
    CU_ASSERT_EQUAL(ev.tcp_flags, 0x02);
}

static void test_drop_by_fault_loses_rule(void)
{
    NsTraceEvent ev = SEG(.kind = NS_TRACE_DROP, .drop = NS_DROP_FAULT, .fault = NS_FAULT_DROP,
                          .fault_rule = "tcp syn#1", .loc = {"lab.scn", 9});
    CU_ASSERT_TRUE(ns_trace_student_view(&ev));
    CU_ASSERT_EQUAL(ev.fault, NS_FAULT_NONE);
    CU_ASSERT_PTR_NULL(ev.fault_rule);
    CU_ASSERT_PTR_NULL(ev.loc.file);
}

static void test_retransmission_is_plain_send(void)
{
    NsTraceEvent ev = SEG(.send_why = NS_SEND_FAST_RETRANSMIT, .seq = 1461);
    CU_ASSERT_TRUE(ns_trace_student_view(&ev));
    CU_ASSERT_EQUAL(ev.send_why, NS_SEND_NORMAL);
    CU_ASSERT_EQUAL(ev.seq, 1461);
}

static void test_window_update_keeps_reason(void)
{
    NsTraceEvent ev = SEG(.send_why = NS_SEND_WINDOW_UPDATE);
    CU_ASSERT_TRUE(ns_trace_student_view(&ev));
    CU_ASSERT_EQUAL(ev.send_why, NS_SEND_WINDOW_UPDATE);
}

static void test_state_change_keeps_cause(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_TCP, .tcp_ev = NS_TCP_EV_STATE,
                       .tcp_from = NS_TCP_STATE_SYN_SENT, .tcp_to = NS_TCP_STATE_CLOSED,
                       .cause = NS_CAUSE_RCV_RST};
    CU_ASSERT_TRUE(ns_trace_student_view(&ev));
    CU_ASSERT_EQUAL(ev.cause, NS_CAUSE_RCV_RST);
}

static void test_cwnd_change_loses_cause(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_TCP, .tcp_ev = NS_TCP_EV_CWND, .cwnd = 2920,
                       .cause = NS_CAUSE_DUP_ACKS};
    CU_ASSERT_TRUE(ns_trace_student_view(&ev));
    CU_ASSERT_EQUAL(ev.cause, NS_CAUSE_NONE);
    CU_ASSERT_EQUAL(ev.cwnd, 2920);
}

static void test_loss_timers_hidden_others_kept(void)
{
    NsTraceEvent rto = {.kind = NS_TRACE_TIMER, .timer = NS_TIMER_RTO};
    NsTraceEvent tw = {.kind = NS_TRACE_TIMER, .timer = NS_TIMER_TIME_WAIT};
    CU_ASSERT_FALSE(ns_trace_student_view(&rto));
    CU_ASSERT_TRUE(ns_trace_student_view(&tw));
}

static void test_faults_and_verdicts_hidden(void)
{
    NsTraceEvent link = {.kind = NS_TRACE_LINK, .link_ev = NS_LINK_EV_DOWN};
    NsTraceEvent host = {.kind = NS_TRACE_HOST, .host_ev = NS_HOST_EV_FILTER_ADDED};
    NsTraceEvent expect = {.kind = NS_TRACE_EXPECT, .verdict = NS_VERDICT_PASS};
    CU_ASSERT_FALSE(ns_trace_student_view(&link));
    CU_ASSERT_FALSE(ns_trace_student_view(&host));
    CU_ASSERT_FALSE(ns_trace_student_view(&expect));
}

/* What a switch does is what the student should watch. */
static void test_switch_learning_and_flooding_kept(void)
{
    NsTraceEvent learned = {.kind = NS_TRACE_LINK, .link_ev = NS_LINK_EV_LEARNED};
    NsTraceEvent flooded = {.kind = NS_TRACE_LINK, .link_ev = NS_LINK_EV_FLOODED};
    NsTraceEvent set = {.kind = NS_TRACE_LINK, .link_ev = NS_LINK_EV_SET};
    CU_ASSERT_TRUE(ns_trace_student_view(&learned));
    CU_ASSERT_TRUE(ns_trace_student_view(&flooded));
    CU_ASSERT_FALSE(ns_trace_student_view(&set));
}

typedef struct {
    int n;
    NsTraceEvent last;
} Rec;

static void rec_write(void *self, const NsTraceEvent *ev)
{
    Rec *r = self;
    r->n++;
    r->last = *ev;
}

static const NsTraceSinkOps rec_ops = {"rec", rec_write, NULL, NULL};

static void test_tracer_forwards_the_view(void)
{
    Rec r = {0};
    NsTracer *t = ns_tracer_new(), *sinks = ns_tracer_new();
    ns_tracer_add_sink(sinks, &rec_ops, &r, NS_TRACE_MASK_ALL);
    ns_trace_student_attach(t, sinks);
    CU_ASSERT_FALSE(ns_tracer_wants(t, NS_TRACE_EXPECT));
    CU_ASSERT_TRUE(ns_tracer_wants(t, NS_TRACE_DROP));
    NsTraceEvent drop = SEG(.kind = NS_TRACE_DROP, .drop = NS_DROP_LINK_LOSS);
    ns_trace_emit(t, &drop);
    ns_trace_emit(t, &(NsTraceEvent){.kind = NS_TRACE_TIMER, .timer = NS_TIMER_RTO});
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_EQUAL(r.last.kind, NS_TRACE_DROP);
    CU_ASSERT_EQUAL(r.last.drop, NS_DROP_NONE);
    CU_ASSERT_EQUAL(drop.drop, NS_DROP_LINK_LOSS); /* the run's own event is untouched */
    ns_tracer_free(t);
}

CU_TestInfo ns_student_tests[] = {
    {"switch_learning_and_flooding_kept", test_switch_learning_and_flooding_kept},
    {"drop_keeps_packet_loses_reason", test_drop_keeps_packet_loses_reason},
    {"drop_by_fault_loses_rule", test_drop_by_fault_loses_rule},
    {"retransmission_is_plain_send", test_retransmission_is_plain_send},
    {"window_update_keeps_reason", test_window_update_keeps_reason},
    {"state_change_keeps_cause", test_state_change_keeps_cause},
    {"cwnd_change_loses_cause", test_cwnd_change_loses_cause},
    {"loss_timers_hidden_others_kept", test_loss_timers_hidden_others_kept},
    {"faults_and_verdicts_hidden", test_faults_and_verdicts_hidden},
    {"tracer_forwards_the_view", test_tracer_forwards_the_view},
    CU_TEST_INFO_NULL,
};
