/* Explanations for learners (`--explain`): under the steps a learner would
 * ask about, one plain-English sentence written for the situation, with
 * its real addresses and ports. The explainer reads only trace events (and
 * the hosts' profiles, given at creation); it keeps a little memory of the
 * run (the last destination a socket sent to, the ports a host handed out)
 * so its sentences can refer back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/trace.h"

/* What the explainer knows of a host beyond the events. */
typedef struct {
    const char *name;
    bool linux_profile;      /* random (and even, for connect) ephemeral ports */
    uint16_t eph_lo, eph_hi; /* the profile's ephemeral port range */
    NsTime time_wait;        /* how long the profile waits in TIME-WAIT (2MSL) */
} NsExplainHost;

typedef struct NsExplainer NsExplainer;

/* (transfer full) an explainer; `hosts` is copied (names included). */
NsExplainer *ns_explainer_new(const NsExplainHost *hosts, size_t n_hosts);
void ns_explainer_free(NsExplainer *ex);

/* Student mode: explain how things work, never why a connection failed
 * (a call's error, a connection ended by a RST, a timeout or an ICMP
 * error): that is what the student is asked. */
void ns_explainer_set_student(NsExplainer *ex, bool student);

/* Append the explanation of `ev` to `out` (one sentence, no newline) and
 * return true, or return false when the event needs none. Feed it every
 * event of the run in order: it learns from those it does not explain. */
bool ns_explainer_explain(NsExplainer *ex, const NsTraceEvent *ev, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsExplainer, ns_explainer_free)
