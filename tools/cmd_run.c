/* `netsim run`: simulate one scenario and write its trace and summary;
 * `netsim check`: parse and validate scenario files. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "common.h"
#include "netsim-config.h"
#include "netsim/drill.h"
#include "netsim/scenario.h"
#include "netsim/trace-console.h"
#include "netsim/trace-diagram.h"
#include "netsim/trace-filter.h"
#include "netsim/trace-text.h"
#include "netsim/units.h"
#include "netsim/world.h"

/* Default event budget: far above any teaching scenario, low enough that a
 * runaway scenario ends with a message instead of running for hours. */
#define DEFAULT_MAX_EVENTS UINT64_C(2000000000)

/* --export-pkt HOST:SOCKET OUT.pkt: the script is made when the run is
 * over and written with the run's other files. */
typedef struct {
    const char *spec, *path, *scenario;
    const NsScenario *scn;
    uint32_t sock;
    NsPktExport *x;
} ExportPkt;

static void export_ready(NsWorld *world, NsTracer *tracer, void *data)
{
    ExportPkt *e = data;
    e->x = ns_pkt_export_new(world, e->scn, e->sock, tracer);
}

static bool export_finish(NsWorld *world, JsonObject *page_meta, void *data, GError **error)
{
    (void)world;
    (void)page_meta;
    ExportPkt *e = data;
    g_autofree char *script = ns_pkt_export_script(e->x, e->scenario, error);
    if (!script) {
        g_prefix_error(error, "netsim: ");
        return false;
    }
    NsAtomicFile f = {0};
    if (!ns_atomic_file_open(&f, e->path, error)) {
        g_prefix_error(error, "netsim: cannot write: ");
        return false;
    }
    fputs(script, f.f);
    if (!ns_atomic_file_commit(&f, false, error)) {
        g_prefix_error(error, "netsim: cannot write: ");
        return false;
    }
    return true;
}

/* GOption takes one value an option: pull `--export-pkt A B` (or
 * `--export-pkt=A B`) out of argv first. False with a message. */
static bool take_export_pkt(int *argc, char **argv, ExportPkt *e, char **msg)
{
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return true;
        int used;
        const char *spec;
        if (strcmp(a, "--export-pkt") == 0) {
            used = 3;
            spec = i + 1 < *argc ? argv[i + 1] : NULL;
        } else if (g_str_has_prefix(a, "--export-pkt=")) {
            used = 2;
            spec = a + strlen("--export-pkt=");
        } else {
            continue;
        }
        if (i + used > *argc) {
            *msg = g_strdup("run: --export-pkt takes HOST:SOCKET OUT.pkt");
            return false;
        }
        if (e->spec) {
            *msg = g_strdup("run: --export-pkt exports one socket a run (given twice)");
            return false;
        }
        e->spec = spec;
        e->path = argv[i + used - 1];
        if (e->path[0] == '-' && e->path[1]) {
            *msg = g_strdup_printf("run: --export-pkt takes HOST:SOCKET OUT.pkt, not '%s' as "
                                   "the file",
                                   e->path);
            return false;
        }
        memmove(&argv[i], &argv[i + used], sizeof *argv * (size_t)(*argc - i - used + 1));
        *argc -= used;
        i--;
    }
    return true;
}

int ns_cmd_run(int argc, char **argv)
{
    g_autofree char *seed_s = NULL, *stop_s = NULL, *out_path = NULL, *format = NULL;
    g_autofree char *pcap = NULL, *diagram = NULL, *max_events_s = NULL, *pcap_at = NULL;
    g_autofree char *max_memory_s = NULL;
    g_autofree char *color = NULL, *only = NULL, *hide = NULL, *host = NULL, *sock_s = NULL;
    g_autofree char *html = NULL;
    gboolean export_help = FALSE; /* (--export-pkt is taken out of argv first) */
    gboolean quiet = FALSE, explain = FALSE, stats = FALSE, cc_samples = FALSE, student = FALSE;
    g_auto(GStrv) files = NULL, sockets_at_s = NULL, tables_at_s = NULL;
    GOptionEntry entries[] = {
        {"seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Random seed (overrides the file's)", "N"},
        {"stop", 0, 0, G_OPTION_ARG_STRING, &stop_s, "Simulated-time limit, e.g. 10s", "T"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "Write the trace to FILE", "FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print no trace, only failures", NULL},
        {"stats", 0, 0, G_OPTION_ARG_NONE, &stats,
         "After the run, print the events run and the simulated time to stderr", NULL},
        {"max-events", 0, 0, G_OPTION_ARG_STRING, &max_events_s,
         "Stop with exit 3 after N events (default 2000000000)", "N"},
        {"max-memory", 0, 0, G_OPTION_ARG_STRING, &max_memory_s,
         "Stop with exit 3 when the run holds more memory, e.g. 4GiB (default: 3/4 of the "
         "machine's memory; 0 for none)", "SIZE"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format,
         "Trace format: text (default) or json (JSON Lines, see docs/json-trace.md)", "FORMAT"},
        {"explain", 0, 0, G_OPTION_ARG_NONE, &explain,
         "Explain steps in plain English under the trace lines", NULL},
        {"cc-samples", 0, 0, G_OPTION_ARG_NONE, &cc_samples,
         "Trace a congestion sample (cwnd, ssthresh, in flight, SRTT, RTO) whenever one changes",
         NULL},
        {"pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap,
         "Write the frames the links carry to a pcap file (for Wireshark, tshark)", "FILE"},
        {"pcap-at", 0, 0, G_OPTION_ARG_STRING, &pcap_at,
         "Capture only at this host (both directions) or on this network or link", "NAME"},
        {"diagram", 0, 0, G_OPTION_ARG_FILENAME, &diagram,
         "Write a sequence diagram: FILE.mmd (Mermaid) or FILE.svg", "FILE"},
        {"html", 0, 0, G_OPTION_ARG_FILENAME, &html,
         "Write a self-contained page to step through the run in a browser", "FILE"},
        {"student", 0, 0, G_OPTION_ARG_NONE, &student,
         "Student mode: show the packets but not why one was dropped or sent again, nor the "
         "faults, filter rules and expectations that give an exercise's answer away", NULL},
        {"sockets-at", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sockets_at_s,
         "Print every host's socket table at simulated time T (repeatable)", "T"},
        {"tables-at", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tables_at_s,
         "Print every host's routing table, ARP cache, filter rules and NAT mappings at "
         "simulated time T (repeatable); the summary lists them too", "T"},
        {"only", 0, 0, G_OPTION_ARG_STRING, &only,
         "Show only these kinds of trace line (the third column: send,recv,tcp,...)", "KIND,..."},
        {"hide", 0, 0, G_OPTION_ARG_STRING, &hide, "Hide these kinds of trace line", "KIND,..."},
        {"host", 0, 0, G_OPTION_ARG_STRING, &host,
         "Show one host's story: what happens at it, and its packets on the wire", "NAME"},
        {"sock", 0, 0, G_OPTION_ARG_STRING, &sock_s,
         "Show one socket's story: socket #ID's events and packets", "ID"},
        {"export-pkt", 0, 0, G_OPTION_ARG_NONE, &export_help,
         "Write what TCP socket SOCKET of HOST did as a packetdrill script (see "
         "docs/packetdrill.md)", "HOST:SOCKET OUT.pkt"},
        {"color", 0, 0, G_OPTION_ARG_STRING, &color,
         "Colour the text trace: auto (a terminal, NO_COLOR unset), always, never", "WHEN"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    ExportPkt exp = {0};
    {
        g_autofree char *msg = NULL;
        if (!take_export_pkt(&argc, argv, &exp, &msg))
            return ns_usage_error("%s", msg);
    }
    g_autoptr(GOptionContext) octx = g_option_context_new("- simulate a scenario");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_option_context_set_help_enabled(octx, TRUE);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &err))
        return ns_usage_error("run: %s", err->message);
    if (!files || !files[0])
        return ns_usage_error("run: no scenario file given");
    if (files[1])
        return ns_usage_error("run: one scenario file at a time ('%s' is extra)", files[1]);
    if (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return ns_usage_error("run: --format must be text or json, not '%s'", format);
    bool json = format && strcmp(format, "json") == 0;
    NsDiagramFormat dfmt;
    if (diagram && !ns_diagram_format_from_path(diagram, &dfmt))
        return ns_usage_error("run: --diagram %s: the name must end in .mmd (Mermaid) or .svg",
                              diagram);
    if (pcap_at && !pcap)
        return ns_usage_error("run: --pcap-at needs --pcap FILE");
    if (color && strcmp(color, "auto") != 0 && strcmp(color, "always") != 0 &&
        strcmp(color, "never") != 0)
        return ns_usage_error("run: --color must be auto, always or never, not '%s'", color);
    uint32_t kinds = 0;
    if (only || hide) {
        g_autofree char *bad = NULL;
        uint32_t m;
        kinds = NS_TRACE_MASK_ALL & ~NS_TRACE_MASK(NS_TRACE_FRAME);
        if (only && !ns_trace_kinds_parse(only, &m, &bad))
            return ns_usage_error("run: --only: '%s' is no kind of trace line (kinds: %s)", bad,
                                  ns_trace_kind_list());
        if (only)
            kinds = m;
        if (hide && !ns_trace_kinds_parse(hide, &m, &bad))
            return ns_usage_error("run: --hide: '%s' is no kind of trace line (kinds: %s)", bad,
                                  ns_trace_kind_list());
        if (hide)
            kinds &= ~m;
    }
    uint32_t sock = 0;
    if (sock_s) {
        char *end;
        errno = 0;
        guint64 v = g_ascii_strtoull(sock_s[0] == '#' ? sock_s + 1 : sock_s, &end, 10);
        if (errno || !*sock_s || *end || v == 0 || v > UINT32_MAX || sock_s[0] == '-')
            return ns_usage_error("run: --sock needs a socket id as the trace shows it (#3 or 3), "
                                  "not '%s'", sock_s);
        sock = (uint32_t)v;
    }
    g_autoptr(GArray) sockets_at = g_array_new(FALSE, FALSE, sizeof(NsTime));
    for (char **t = sockets_at_s; t && *t; t++) {
        g_autofree char *msg = NULL;
        NsTime v;
        if (!ns_parse_time(*t, &v, &msg))
            return ns_usage_error("run: --sockets-at: %s", msg);
        g_array_append_val(sockets_at, v);
    }

    g_autoptr(GArray) tables_at = g_array_new(FALSE, FALSE, sizeof(NsTime));
    for (char **t = tables_at_s; t && *t; t++) {
        g_autofree char *msg = NULL;
        NsTime v;
        if (!ns_parse_time(*t, &v, &msg))
            return ns_usage_error("run: --tables-at: %s", msg);
        g_array_append_val(tables_at, v);
    }

    NsWorldOpts wo = {.max_events = DEFAULT_MAX_EVENTS, .summary = !quiet,
                      .max_memory = ns_default_max_memory(), .tables = tables_at->len > 0};
    if (max_memory_s) {
        g_autofree char *msg = NULL;
        if (strcmp(max_memory_s, "0") != 0 && !ns_parse_size(max_memory_s, &wo.max_memory, &msg))
            return ns_usage_error("run: --max-memory: %s", msg);
        if (strcmp(max_memory_s, "0") == 0)
            wo.max_memory = 0;
    }
    if (seed_s) {
        char *end;
        errno = 0;
        guint64 v = g_ascii_strtoull(seed_s, &end, 10);
        if (errno || end == seed_s || *end || seed_s[0] == '-')
            return ns_usage_error("run: --seed needs a non-negative integer, not '%s'", seed_s);
        wo.seed = v;
    }
    if (stop_s) {
        g_autofree char *msg = NULL;
        if (!ns_parse_time(stop_s, &wo.stop, &msg))
            return ns_usage_error("run: --stop: %s", msg);
        wo.has_stop = true;
    }
    if (max_events_s) {
        char *end;
        errno = 0;
        guint64 v = g_ascii_strtoull(max_events_s, &end, 10);
        if (errno || end == max_events_s || *end || v == 0 || max_events_s[0] == '-')
            return ns_usage_error("run: --max-events needs a positive integer, not '%s'",
                               max_events_s);
        wo.max_events = v;
    }

    /* Before the scenario is read (a pipe such as /dev/stdin is read once). */
    if ((json || html) && !ns_json_glib_ready(json ? "--format json" : "--html"))
        return NS_EXIT_USAGE;

    g_autoptr(NsScenario) scn = ns_scenario_load(files[0], &err);
    if (!scn) {
        fprintf(stderr, "%s\n", err->message);
        return NS_EXIT_USAGE;
    }
    if (!seed_s)
        wo.seed = scn->seed;
    if (exp.spec && !ns_pkt_export_find(scn, exp.spec, &exp.sock, &err))
        return ns_usage_error("run: %s", err->message);
    exp.scn = scn;
    exp.scenario = files[0];
    NsRunHooks hooks = {.finish = export_finish, .data = &exp, .ready = export_ready};

    /* Two outputs in one file would lose one of them. */
    const char *outs[][2] = {{"-o", out_path},
                             {"--pcap", pcap},
                             {"--diagram", diagram},
                             {"--export-pkt", exp.path}};
    for (size_t i = 0; i < G_N_ELEMENTS(outs); i++)
        for (size_t j = i + 1; j < G_N_ELEMENTS(outs); j++)
            if (outs[i][1] && outs[j][1] && ns_atomic_file_same(outs[i][1], outs[j][1]))
                return ns_usage_error("run: %s and %s name the same file (%s)", outs[i][0],
                                      outs[j][0], outs[j][1]);
    /* --quiet silences standard output; a trace asked for with -o is still
     * written to its file. */
    if (out_path)
        quiet = FALSE;

    NsRunOpts ro = {.world = wo, .quiet = quiet, .json = json, .explain = explain,
                    .cc_samples = cc_samples,
                    .pcap = pcap, .pcap_at = pcap_at, .diagram = diagram,
                    .html = html, .student = student,
                    .sockets_at = (const NsTime *)(const void *)sockets_at->data,
                    .n_sockets_at = sockets_at->len,
                    .tables_at = (const NsTime *)(const void *)tables_at->data,
                    .n_tables_at = tables_at->len, .only_kinds = kinds, .only_host = host,
                    .only_sock = sock, .hooks = exp.spec ? &hooks : NULL};
    bool to_stdout = !out_path;
    ro.colour = !json && to_stdout &&
                (color && strcmp(color, "always") == 0
                     ? true
                     : !(color && strcmp(color, "never") == 0) && ns_console_wants_colour(stdout));
    ro.progress = isatty(fileno(stderr));
    /* Every output file of the run appears at the end, together, or none
     * does (a failed or interrupted run leaves the old ones as they were). */
    ns_atomic_files_hold();
    NsAtomicFile out = {0};
    FILE *f = stdout;
    if (out_path) {
        if (!ns_atomic_file_open(&out, out_path, &err)) {
            fprintf(stderr, "netsim: cannot write %s\n", err ? err->message : out_path);
            return NS_EXIT_USAGE;
        }
        f = out.f;
    }
    NsRunResult rr;
    int status = ns_run_scenario(scn, &ro, f, &rr, &err);
    ns_pkt_export_free(exp.x);
    ns_run_result_clear(&rr); /* the counts are enough here */
    if (status == NS_EXIT_USAGE || status == NS_EXIT_LIMIT) {
        fprintf(stderr, "%s\n", err->message);
        ns_atomic_file_abort(&out);
        ns_atomic_files_release(false, NULL);
        return status;
    }
    if (out.f && !ns_atomic_file_commit(&out, false, &err)) {
        fprintf(stderr, "netsim: cannot write %s\n", err->message);
        ns_atomic_files_release(false, NULL);
        return NS_EXIT_USAGE;
    }
    if (f == stdout && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "netsim: writing the trace to standard output failed: %s\n",
                g_strerror(errno ? errno : EIO));
        ns_atomic_files_release(false, NULL);
        return NS_EXIT_USAGE;
    }
    if (!ns_atomic_files_release(true, &err)) {
        fprintf(stderr, "netsim: cannot write %s\n", err->message);
        return NS_EXIT_USAGE;
    }
    if (stats)
        fprintf(stderr, "netsim: stats: %" PRIu64 " events, %" PRId64 ".%09" PRId64
                        " s simulated, %u expectations\n",
                rr.events, rr.end / 1000000000, rr.end % 1000000000, rr.expect_count);
    if (rr.expect_failed) {
        fprintf(stderr, "netsim: %s: %u of %u expectations failed\n", files[0], rr.expect_failed,
                rr.expect_count);
        return NS_EXIT_EXPECT;
    }
    return 0;
}

int ns_cmd_check(int argc, char **argv)
{
    g_auto(GStrv) files = NULL;
    GOptionEntry entries[] = {
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE..."},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("- validate scenarios");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &err))
        return ns_usage_error("check: %s", err->message);
    if (!files || !files[0])
        return ns_usage_error("check: no scenario file given");
    int status = 0;
    for (int i = 0; files[i]; i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(NsScenario) scn = ns_scenario_load(files[i], &e);
        if (!scn) {
            fprintf(stderr, "%s\n", e->message);
            status = NS_EXIT_USAGE;
            continue;
        }
        printf("%s: ok (%u hosts, %u steps, %u expectations)\n", files[i], scn->hosts->len,
               scn->steps->len, scn->expects->len);
    }
    return status;
}

