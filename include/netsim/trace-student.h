/* Student mode (--student): the trace a class works from. Every sink of a
 * student run reads the student's view of each event: the packets, sockets
 * and state changes stay, what would give an exercise's answer away goes
 * (why a packet was dropped, targeted faults and filter rules, why a
 * segment was sent again, what congestion control reacted to, the
 * timeline's faults, the expectations' verdicts). */
#pragma once

#include <stdbool.h>

#include "netsim/trace.h"

/* Turn `ev` into the student's view of it, in place. False when the
 * student sees nothing of the event at all. */
bool ns_trace_student_view(NsTraceEvent *ev);

/* Forward the student's view of every event of `tracer` to `sinks` (which
 * `tracer` then owns: closed and freed with it). */
void ns_trace_student_attach(NsTracer *tracer, NsTracer *sinks);
