/* Shared by the netsim command's sub-commands (tools/). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

#include "netsim/atomic-file.h"
#include "netsim/json-lib.h"
#include "netsim/scenario.h"
#include "netsim/world.h"

enum { NS_EXIT_OK = 0, NS_EXIT_EXPECT = 1, NS_EXIT_USAGE = 2, NS_EXIT_LIMIT = 3 };

/* Print "netsim: MESSAGE" and a hint to stderr; returns NS_EXIT_USAGE. */
int ns_usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* The command line as main() was given it, for ns_json_glib_ready(). */
extern char **ns_command_argv;

/* Can this process use json-glib, which WHAT (an option, for messages)
 * needs? The fully static netsim command cannot (tools/meson.build): it
 * runs the whole command line again as netsim-shared, the same command
 * linked with shared libraries, and returns only if that fails, with false
 * and the reason on stderr. Call it before the command has read or written
 * anything. The other builds load json-glib themselves: true. */
bool ns_json_glib_ready(const char *what);



/* Width of the trace's host column for a scenario. */
int ns_host_column_width(const NsScenario *scn);

/* What a command adds to a run (netsim lab, run --export-pkt): a sink on
 * the run's own events (the full view, even in student mode), a look at
 * the world once it is built, and one when the run is over, before the
 * outputs are written; `page_meta` is the --html page's description to
 * add to, or NULL. */
typedef struct {
    void (*attach)(NsTracer *tracer, void *data);
    bool (*finish)(NsWorld *world, JsonObject *page_meta, void *data, GError **error);
    void *data;
    /* the world is built, not yet run (NULL: nothing to do) */
    void (*ready)(NsWorld *world, NsTracer *tracer, void *data);
} NsRunHooks;

/* How to run a scenario and what to write. */
typedef struct {
    NsWorldOpts world;
    bool quiet; /* no trace, no summary */
    /* Outputs of `netsim run` beyond the plain text trace; zero = off. */
    bool json;            /* JSON Lines (docs/json-trace.md) instead of text */
    bool explain;         /* a plain-English sentence under the steps */
    bool cc_samples;      /* trace congestion samples (kind cc) too */
    bool colour;          /* ANSI colour in the text trace (a terminal only) */
    bool progress;        /* a progress line on stderr (a terminal only) */
    const char *pcap;     /* capture file, or NULL */
    const char *pcap_at;  /* capture at this host or network only, or NULL */
    const char *diagram;  /* sequence diagram, .mmd or .svg, or NULL */
    const char *html;     /* the step-through page, or NULL */
    bool student;         /* hide what gives the answer away (--student) */
    const NsTime *sockets_at; /* print the socket tables at these times */
    size_t n_sockets_at;
    const NsTime *tables_at; /* print every host's tables at these times */
    size_t n_tables_at;
    /* Filters of the trace, the explanations and the diagram (not of the
     * capture, nor of the summary): kinds kept (0: all), one host's story. */
    uint32_t only_kinds;
    const char *only_host;
    uint32_t only_sock; /* socket #N's story, 0: all */
    const NsRunHooks *hooks; /* or NULL */
} NsRunOpts;

/* One expectation's verdict, as the run reported it. */
typedef struct {
    NsTime time;      /* when it was evaluated */
    bool ok;
    char *file;       /* where the scenario says it */
    uint32_t line;
    char *text;       /* what was checked and seen */
    long out_offset;  /* bytes written to `out` once its trace line was (-1: none) */
} NsExpectResult;

/* Frees what one NsExpectResult owns: the clear function of an array of them. */
void ns_expect_result_clear(void *result);

typedef struct {
    uint32_t expect_failed, expect_count;
    uint64_t events;
    NsTime end;
    GArray *expects; /* NsExpectResult, in evaluation order; ns_run_result_clear() */
} NsRunResult;

void ns_run_result_clear(NsRunResult *res);

/* Run `scn` and write its trace (header line, events, summary) to `out`,
 * exactly as `netsim run` prints it, and collect the expectations' verdicts
 * in res->expects (clear it with ns_run_result_clear()). Returns NS_EXIT_OK, NS_EXIT_EXPECT
 * (some expectation failed), or NS_EXIT_USAGE / NS_EXIT_LIMIT with *error
 * set to the message to print (the output is then incomplete). */
int ns_run_scenario(const NsScenario *scn, const NsRunOpts *ro, FILE *out, NsRunResult *res,
                    GError **error);

/* Every host's sockets at the current time as a JSON array of `ss` rows
 * (docs/json-trace.md). */
void ns_add_socket_rows(JsonBuilder *b, NsWorld *w);
/* Every host's tables as objects: {"host", "routes", "neigh"[, "filter",
 * "conntrack", "nat_mappings"]} (filter rules left out for students). */
void ns_add_host_tables(JsonBuilder *b, NsWorld *w, bool student);
/* Every switch's table: {"switch", "fdb": [{"mac", "port", "host", "age_ns"}]}. */
void ns_add_switch_tables(JsonBuilder *b, NsWorld *w);

/* (transfer full) the page's description of the run (tools/page-meta.c). */
JsonNode *ns_page_meta(const NsScenario *scn, uint64_t seed, bool student, NsWorld *world);

/* The page's socket tables now: [[host, proto, state, local, remote], ...]
 * (host names are scenario names: no character JSON must escape).
 * `world` is an NsWorld. */
void ns_page_tables(void *world, GString *out);

/* The sub-commands: each takes argv with argv[0] = its own name. */
int ns_cmd_run(int argc, char **argv);
int ns_cmd_check(int argc, char **argv);
int ns_cmd_test(int argc, char **argv);
int ns_cmd_drill(int argc, char **argv);
int ns_cmd_lab(int argc, char **argv);

/* The default of --max-memory: three quarters of the machine's physical
 * memory (0, no limit, when the system does not say). */
uint64_t ns_default_max_memory(void);
