/* The netsim command: `run` a scenario and print its trace, `check`
 * scenario files without running them. Exit status: 0 success, 1 an
 * expectation failed, 2 bad usage or a bad scenario file, 3 a resource
 * limit was hit. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "netsim-config.h"
#include "netsim/scenario.h"
#include "netsim/trace-text.h"
#include "netsim/units.h"
#include "netsim/world.h"

enum { EXIT_EXPECT = 1, EXIT_USAGE = 2, EXIT_LIMIT = 3 };

/* Default event budget: far above any teaching scenario, low enough that a
 * runaway scenario ends with a message instead of running for hours. */
#define DEFAULT_MAX_EVENTS UINT64_C(2000000000)

static const char usage_text[] =
    "Usage:\n"
    "  netsim run FILE [--seed N] [--stop T] [-o FILE] [--quiet] [--max-events N]\n"
    "  netsim check FILE...\n"
    "  netsim --help | --version\n"
    "\n"
    "Commands:\n"
    "  run     simulate a scenario and print its trace (text) and a summary\n"
    "  check   parse and validate scenario files without running them\n"
    "\n"
    "Exit status: 0 success, 1 an expectation failed, 2 bad usage or bad\n"
    "scenario file, 3 a resource limit was hit.\n"
    "Scenario language: scenarios/README.md\n";

static int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("netsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'netsim --help'.\n", stderr);
    return EXIT_USAGE;
}

/* An output file written in full or not at all: a temporary file beside
 * the target, renamed over it only when the run completed. */
typedef struct {
    char *path, *tmp;
    FILE *f;
} AtomicOut;

static bool atomic_open(AtomicOut *o, const char *path, GError **error)
{
    o->path = g_strdup(path);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    o->tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    int fd = g_mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        g_clear_pointer(&o->tmp, g_free);
        return false;
    }
    o->f = fdopen(fd, "w");
    return o->f != NULL;
}

static bool atomic_commit(AtomicOut *o, GError **error)
{
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    int e = errno;
    if (fclose(o->f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    o->f = NULL;
    if (ok && g_rename(o->tmp, o->path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", o->path,
                    g_strerror(e));
        g_unlink(o->tmp);
    }
    g_clear_pointer(&o->tmp, g_free);
    g_clear_pointer(&o->path, g_free);
    return ok;
}

static void atomic_abort(AtomicOut *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp)
        g_unlink(o->tmp);
    g_clear_pointer(&o->tmp, g_free);
    g_clear_pointer(&o->path, g_free);
    o->f = NULL;
}

static int host_column_width(const NsScenario *scn)
{
    int w = 4;
    for (guint i = 0; i < scn->hosts->len; i++) {
        int n = (int)strlen(ns_scn_host(scn, i)->name);
        if (n > w)
            w = n;
    }
    return w > 24 ? 24 : w;
}

static int cmd_run(int argc, char **argv)
{
    g_autofree char *seed_s = NULL, *stop_s = NULL, *out_path = NULL, *format = NULL;
    g_autofree char *pcap = NULL, *diagram = NULL, *max_events_s = NULL;
    gboolean quiet = FALSE, explain = FALSE;
    g_auto(GStrv) files = NULL;
    GOptionEntry entries[] = {
        {"seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Random seed (overrides the file's)", "N"},
        {"stop", 0, 0, G_OPTION_ARG_STRING, &stop_s, "Simulated-time limit, e.g. 10s", "T"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "Write the trace to FILE", "FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print no trace, only failures", NULL},
        {"max-events", 0, 0, G_OPTION_ARG_STRING, &max_events_s,
         "Stop with exit 3 after N events (default 2000000000)", "N"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format, "Trace format: text", "FORMAT"},
        {"explain", 0, 0, G_OPTION_ARG_NONE, &explain, "Explain steps in plain English", NULL},
        {"pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap, "Write a packet capture", "FILE"},
        {"diagram", 0, 0, G_OPTION_ARG_FILENAME, &diagram, "Write a sequence diagram", "FILE"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("FILE - simulate a scenario");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_option_context_set_help_enabled(octx, TRUE);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &err))
        return usage_error("run: %s", err->message);
    if (!files || !files[0])
        return usage_error("run: no scenario file given");
    if (files[1])
        return usage_error("run: one scenario file at a time ('%s' is extra)", files[1]);
    if (format && strcmp(format, "text") != 0)
        return usage_error("run: --format %s is not available yet (this version writes text)",
                           format);
    if (explain || pcap || diagram)
        return usage_error("run: --%s is not available yet in this version",
                           explain ? "explain" : pcap ? "pcap" : "diagram");

    NsWorldOpts wo = {.max_events = DEFAULT_MAX_EVENTS, .summary = !quiet};
    if (seed_s) {
        char *end;
        errno = 0;
        guint64 v = g_ascii_strtoull(seed_s, &end, 10);
        if (errno || end == seed_s || *end || seed_s[0] == '-')
            return usage_error("run: --seed needs a non-negative integer, not '%s'", seed_s);
        wo.seed = v;
    }
    if (stop_s) {
        g_autofree char *msg = NULL;
        if (!ns_parse_time(stop_s, &wo.stop, &msg))
            return usage_error("run: --stop: %s", msg);
        wo.has_stop = true;
    }
    if (max_events_s) {
        char *end;
        errno = 0;
        guint64 v = g_ascii_strtoull(max_events_s, &end, 10);
        if (errno || end == max_events_s || *end || v == 0 || max_events_s[0] == '-')
            return usage_error("run: --max-events needs a positive integer, not '%s'",
                               max_events_s);
        wo.max_events = v;
    }

    g_autoptr(NsScenario) scn = ns_scenario_load(files[0], &err);
    if (!scn) {
        fprintf(stderr, "%s\n", err->message);
        return EXIT_USAGE;
    }
    if (!seed_s)
        wo.seed = scn->seed;

    g_autoptr(NsTracer) tracer = ns_tracer_new();
    AtomicOut out = {0};
    FILE *f = stdout;
    if (out_path && !quiet) {
        if (!atomic_open(&out, out_path, &err)) {
            fprintf(stderr, "netsim: cannot write %s\n", err ? err->message : out_path);
            return EXIT_USAGE;
        }
        f = out.f;
    }
    if (!quiet)
        ns_text_sink_attach(ns_text_sink_new(f, host_column_width(scn)), tracer);

    g_autoptr(NsWorld) world = ns_world_new(scn, &wo, tracer, &err);
    if (!world) {
        fprintf(stderr, "%s\n", err->message);
        atomic_abort(&out);
        return EXIT_USAGE;
    }
    if (!quiet) {
        fprintf(f, "# netsim %s", NETSIM_VERSION);
        if (scn->title)
            fprintf(f, " \xc2\xb7 \"%s\"", scn->title);
        fprintf(f, " \xc2\xb7 seed %" PRIu64 "\n", wo.seed);
    }
    NsSimResult res = ns_world_run(world);
    if (res == NS_SIM_LIMIT) {
        atomic_abort(&out);
        fprintf(stderr,
                "netsim: %s: resource limit: %" PRIu64 " events run by simulated time %.9f s "
                "(--max-events); no output written\n",
                files[0], wo.max_events, (double)ns_world_now(world) / 1e9);
        return EXIT_LIMIT;
    }
    if (!quiet) {
        g_autofree char *summary = ns_world_summary(world);
        fputs(summary, f);
    }
    if (!ns_tracer_close(tracer, &err)) {
        fprintf(stderr, "netsim: %s\n", err->message);
        atomic_abort(&out);
        return EXIT_USAGE;
    }
    if (out.f && !atomic_commit(&out, &err)) {
        fprintf(stderr, "netsim: cannot write %s\n", err->message);
        return EXIT_USAGE;
    }
    if (f == stdout && fflush(stdout) != 0) {
        fprintf(stderr, "netsim: writing the trace failed: %s\n", g_strerror(errno));
        return EXIT_USAGE;
    }
    uint32_t failed = ns_world_expect_failed(world);
    if (failed) {
        fprintf(stderr, "netsim: %s: %u of %u expectations failed\n", files[0], failed,
                ns_world_expect_count(world));
        return EXIT_EXPECT;
    }
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    g_auto(GStrv) files = NULL;
    GOptionEntry entries[] = {
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE..."},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("FILE... - validate scenarios");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &err))
        return usage_error("check: %s", err->message);
    if (!files || !files[0])
        return usage_error("check: no scenario file given");
    int status = 0;
    for (int i = 0; files[i]; i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(NsScenario) scn = ns_scenario_load(files[i], &e);
        if (!scn) {
            fprintf(stderr, "%s\n", e->message);
            status = EXIT_USAGE;
            continue;
        }
        printf("%s: ok (%u hosts, %u steps, %u expectations)\n", files[i], scn->hosts->len,
               scn->steps->len, scn->expects->len);
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("netsim %s\n", NETSIM_VERSION);
        return 0;
    }
    /* Each command parses its own options; argv[1] becomes its name. */
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    return usage_error("unknown command '%s' (commands: run, check)", cmd);
}
