/* `netsim lab` (tools/lab.c, tools/lab-questions.c): a scenario turned
 * into an exercise sheet, its answer key and a page to check answers. */
#pragma once

#include <glib.h>

#include "common.h"

/* One question of a lab. */
typedef struct {
    char *text;          /* Markdown (code in backquotes) */
    GPtrArray *choices;  /* char *: a multiple choice (answers a, b, ...), or empty */
    char *answer;        /* as the key gives it */
    GPtrArray *accepted; /* char *: the answers the page takes (compared normalised) */
    char *why;           /* the key's explanation, Markdown */
} NsLabQuestion;

void ns_lab_question_free(NsLabQuestion *q);

/* The facts of a run's events the questions need, from a sink. */
typedef struct NsLabRun NsLabRun;
NsLabRun *ns_lab_run_new(void);
void ns_lab_run_free(NsLabRun *run);
void ns_lab_run_attach(NsLabRun *run, NsTracer *tracer);

/* (transfer full) the lab's questions (NsLabQuestion *), after the run of
 * `w`: those the run suggests, then the scenario's `question` lines.
 * NULL with `error` set when a question could not be answered. */
GPtrArray *ns_lab_questions(const NsLabRun *run, const NsScenario *scn, NsWorld *w,
                            GError **error);

/* An answer as the page compares it: ASCII letters lower-cased, digits,
 * nothing else ("#6" -> "6", "SYN-RECEIVED" -> "synreceived"). */
char *ns_lab_normalise(const char *answer);
/* The page keeps, per accepted answer, FNV-1a (32 bits) of
 * "netsim-lab/QUESTION/NORMALISED" in hex, not the answer itself. */
uint32_t ns_lab_hash(uint32_t question, const char *normalised);
