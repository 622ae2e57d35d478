/* netsim drill: run packetdrill scripts against netsim's TCP, one line per
 * script ("ok" / "FAIL FILE:LINE: ..."), then "N passed, N failed". Exit
 * 0 all passed, 1 one failed, 2 bad usage or a script that does not parse.
 * The dialect: docs/packetdrill.md. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "common.h"
#include "netsim/atomic-file.h"
#include "netsim/drill.h"
#include "netsim/trace-pcap.h"
#include "netsim/trace-text.h"

typedef struct {
    const char *path;
    bool parsed;
    char *parse_error;
    char *io_error; /* the script could not be read (or the pcap written) */
    char *trace;    /* --trace: the run's trace with the script's lines */
    NsDrillResult res;
} Outcome;

/* What every run shares: the options and the command's flags. */
typedef struct {
    NsDrillOpts opts;
    bool trace;
    const char *pcap;
} Job;

static void junit_escape(GString *x, const char *s)
{
    g_autofree char *e = g_markup_escape_text(s, -1);
    g_string_append(x, e);
}

static bool write_junit(const char *path, const Outcome *o, guint n, GError **error)
{
    g_autoptr(GString) x = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    guint failures = 0, errors = 0;
    for (guint i = 0; i < n; i++) {
        errors += !o[i].parsed;
        failures += o[i].parsed && !o[i].res.pass;
    }
    g_string_append_printf(x,
                           "<testsuites>\n  <testsuite name=\"netsim drill\" tests=\"%u\" "
                           "failures=\"%u\" errors=\"%u\">\n",
                           n, failures, errors);
    for (guint i = 0; i < n; i++) {
        g_autofree char *base = g_path_get_basename(o[i].path);
        g_string_append(x, "    <testcase classname=\"drill\" name=\"");
        junit_escape(x, base);
        g_string_append(x, "\" file=\"");
        junit_escape(x, o[i].path);
        g_string_append(x, "\"");
        if (o[i].parsed && o[i].res.pass) {
            g_string_append(x, "/>\n");
            continue;
        }
        const char *tag = o[i].parsed ? "failure" : "error";
        g_autofree char *msg =
            o[i].parsed ? g_strdup_printf("%s:%u: %s", o[i].path, o[i].res.line, o[i].res.message)
                        : g_strdup(o[i].parse_error);
        g_string_append_printf(x, ">\n      <%s message=\"", tag);
        junit_escape(x, msg);
        g_string_append_printf(x, "\"/>\n    </testcase>\n");
    }
    g_string_append(x, "  </testsuite>\n</testsuites>\n");
    return ns_atomic_file_set_contents(path, x->str, x->len, error);
}

static bool run_script(Outcome *o, const NsDrillOpts *base, FILE *out, const char *pcap,
                       GError **error);

static bool run_one(Outcome *o, const NsDrillOpts *base, bool trace, const char *pcap,
                    GError **error)
{
    /* --trace goes to a buffer of its own, printed with the verdict: the
     * same bytes whatever -j is */
    char *buf = NULL;
    size_t buf_len = 0;
    FILE *out = NULL;
    if (trace && !(out = open_memstream(&buf, &buf_len))) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s", g_strerror(errno));
        return false;
    }
    bool ok = run_script(o, base, out, pcap, error);
    if (out) {
        fclose(out);
        o->trace = buf;
    }
    return ok;
}

static bool run_script(Outcome *o, const NsDrillOpts *base, FILE *out, const char *pcap,
                       GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(o->path, &text, &len, error))
        return false;
    g_autoptr(GError) perr = NULL;
    g_autoptr(NsPkt) pkt = ns_pkt_parse_ip(o->path, text, len, base->ip_version, &perr);
    if (!pkt) {
        o->parse_error = g_strdup(perr->message);
        return true;
    }
    o->parsed = true;
    NsDrillOpts opts = *base;
    g_autoptr(NsTracer) tracer = NULL;
    if (out || pcap) {
        tracer = ns_tracer_new();
        if (out) {
            ns_text_sink_attach(ns_text_sink_new(out, 5), tracer);
            opts.echo = out;
        }
        if (pcap) {
            NsPcapSink *ps = ns_pcap_sink_new(pcap, NS_PCAP_AT_ALL, NULL, error);
            if (!ps)
                return false;
            ns_pcap_sink_attach(ps, tracer);
        }
        opts.tracer = tracer;
    }
    ns_drill_run(pkt, &opts, &o->res);
    if (tracer && !ns_tracer_close(tracer, error))
        return false;
    return true;
}

static void run_job(gpointer item, gpointer data)
{
    Outcome *o = item;
    const Job *job = data;
    g_autoptr(GError) e = NULL;
    if (!run_one(o, &job->opts, job->trace, job->pcap, &e))
        o->io_error = g_strdup(e->message);
}

int ns_cmd_drill(int argc, char **argv)
{
    g_autofree char *profile = NULL, *tol_s = NULL, *junit = NULL, *pcap = NULL, *jobs = NULL,
                    *ipv = NULL;
    gboolean trace = FALSE;
    g_auto(GStrv) files = NULL;
    GOptionEntry entries[] = {
        {"profile", 0, 0, G_OPTION_ARG_STRING, &profile,
         "The stack under test: linux (default) or minimal", "NAME"},
        {"tolerance-usecs", 0, 0, G_OPTION_ARG_STRING, &tol_s,
         "Timing tolerance in microseconds (default: the script's, else 4000)", "N"},
        {"ip-version", 0, 0, G_OPTION_ARG_STRING, &ipv,
         "ipv4 (default), ipv6 or ipv4-mapped-ipv6, for scripts that do not say", "FLAVOUR"},
        {"trace", 0, 0, G_OPTION_ARG_NONE, &trace, "Print netsim's own trace of each run", NULL},
        {"pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap,
         "Write the frames of the run to a pcap file (one script only)", "FILE"},
        {"junit", 0, 0, G_OPTION_ARG_FILENAME, &junit, "Write a JUnit XML report", "FILE"},
        {"jobs", 'j', 0, G_OPTION_ARG_STRING, &jobs,
         "Scripts run at once (default 1; the output is the same)", "N"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE.pkt"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("- run packetdrill scripts");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &err))
        return ns_usage_error("drill: %s", err->message);
    if (!files || !files[0])
        return ns_usage_error("drill: no script given (netsim drill FILE.pkt...)");
    NsDrillOpts opts = {.profile = NS_PROFILE_LINUX, .tolerance_us = -1};
    if (profile && strcmp(profile, "minimal") == 0)
        opts.profile = NS_PROFILE_MINIMAL;
    else if (profile && strcmp(profile, "linux") != 0)
        return ns_usage_error("drill: --profile must be linux or minimal, not '%s'", profile);
    if (ipv && strcmp(ipv, "ipv6") == 0)
        opts.ip_version = NS_DRILL_IPV6;
    else if (ipv && strcmp(ipv, "ipv4-mapped-ipv6") == 0)
        opts.ip_version = NS_DRILL_IPV4_MAPPED_IPV6;
    else if (ipv && strcmp(ipv, "ipv4") != 0)
        return ns_usage_error("drill: --ip-version must be ipv4, ipv6 or ipv4-mapped-ipv6, not "
                              "'%s'",
                              ipv);
    if (tol_s) {
        char *end;
        gint64 v = g_ascii_strtoll(tol_s, &end, 10);
        if (!*tol_s || *end || v < 0 || v > 1000000000)
            return ns_usage_error("drill: --tolerance-usecs takes 0..1000000000, not '%s'", tol_s);
        opts.tolerance_us = v;
    }
    gint64 n_jobs = 1;
    if (jobs) {
        char *end;
        n_jobs = g_ascii_strtoll(jobs, &end, 10);
        if (!*jobs || *end || n_jobs < 1 || n_jobs > 1024)
            return ns_usage_error("drill: -j takes 1..1024, not '%s'", jobs);
    }
    guint n = g_strv_length(files);
    if (pcap && n > 1)
        return ns_usage_error("drill: --pcap captures one script's run; %u scripts given", n);
    g_autofree Outcome *out = g_new0(Outcome, n);
    Job job = {.opts = opts, .trace = trace, .pcap = pcap};
    for (guint i = 0; i < n; i++)
        out[i].path = files[i];
    if (n_jobs > 1 && n > 1) {
        /* each run has its own simulation: they share nothing */
        GThreadPool *pool = g_thread_pool_new(run_job, &job, (gint)MIN((guint)n_jobs, n), TRUE,
                                              NULL);
        for (guint i = 0; i < n; i++)
            g_thread_pool_push(pool, &out[i], NULL);
        g_thread_pool_free(pool, FALSE, TRUE);
    }
    guint passed = 0, failed = 0, bad = 0;
    for (guint i = 0; i < n; i++) {
        if (n_jobs <= 1 || n <= 1)
            run_job(&out[i], &job);
        if (out[i].trace)
            fputs(out[i].trace, stdout);
        if (out[i].io_error) {
            fprintf(stderr, "netsim: drill: %s\n", out[i].io_error);
            out[i].parse_error = g_strdup(out[i].io_error);
            bad++;
        } else if (!out[i].parsed) {
            fprintf(stderr, "%s\n", out[i].parse_error);
            printf("BAD  %s\n", files[i]);
            bad++;
        } else if (out[i].res.pass) {
            printf("ok   %s\n", files[i]);
            passed++;
        } else {
            printf("FAIL %s:%u: %s\n", files[i], out[i].res.line, out[i].res.message);
            failed++;
        }
        fflush(stdout);
    }
    if (bad)
        printf("%u passed, %u failed, %u not run\n", passed, failed, bad);
    else
        printf("%u passed, %u failed\n", passed, failed);
    int status = bad ? NS_EXIT_USAGE : failed ? NS_EXIT_EXPECT : NS_EXIT_OK;
    if (junit && !write_junit(junit, out, n, &err)) {
        fprintf(stderr, "netsim: drill: --junit %s: %s\n", junit, err->message);
        status = NS_EXIT_USAGE;
    }
    for (guint i = 0; i < n; i++) {
        g_free(out[i].parse_error);
        g_free(out[i].io_error);
        free(out[i].trace); /* (open_memstream's buffer) */
        g_free(out[i].res.message);
    }
    return status;
}
