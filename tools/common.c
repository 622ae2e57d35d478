/* Helpers shared by the sub-commands: usage errors, atomic output files. */
#include "common.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <inttypes.h>

#include "netsim-config.h"
#include "netsim/trace-text.h"

int ns_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("netsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'netsim --help'.\n", stderr);
    return NS_EXIT_USAGE;
}

bool ns_atomic_open(NsAtomicOut *o, const char *path, GError **error)
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

bool ns_atomic_commit(NsAtomicOut *o, GError **error)
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

void ns_atomic_abort(NsAtomicOut *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp)
        g_unlink(o->tmp);
    g_clear_pointer(&o->tmp, g_free);
    g_clear_pointer(&o->path, g_free);
    o->f = NULL;
}

int ns_host_column_width(const NsScenario *scn)
{
    int w = 4;
    for (guint i = 0; i < scn->hosts->len; i++) {
        int n = (int)strlen(ns_scn_host(scn, i)->name);
        if (n > w)
            w = n;
    }
    return w > 24 ? 24 : w;
}


int ns_run_scenario(const NsScenario *scn, const NsRunOpts *ro, FILE *out, NsRunResult *res,
                    GError **error)
{
    *res = (NsRunResult){0};
    g_autoptr(NsTracer) tracer = ns_tracer_new();
    if (!ro->quiet)
        ns_text_sink_attach(ns_text_sink_new(out, ns_host_column_width(scn)), tracer);
    NsWorldOpts wo = ro->world;
    wo.summary = !ro->quiet;
    g_autoptr(NsWorld) world = ns_world_new(scn, &wo, tracer, error);
    if (!world)
        return NS_EXIT_USAGE;
    if (!ro->quiet) {
        fprintf(out, "# netsim %s", NETSIM_VERSION);
        if (scn->title)
            fprintf(out, " \xc2\xb7 \"%s\"", scn->title);
        fprintf(out, " \xc2\xb7 seed %" PRIu64 "\n", wo.seed);
    }
    NsSimResult sr = ns_world_run(world);
    res->events = ns_world_events(world);
    res->end = ns_world_now(world);
    if (sr == NS_SIM_LIMIT) {
        g_set_error(error, NS_WORLD_ERROR, 0,
                    "netsim: %s: resource limit: %" PRIu64 " events run by simulated time "
                    "%" PRId64 ".%09" PRId64 " s (--max-events); no output written",
                    scn->filename, wo.max_events, res->end / 1000000000, res->end % 1000000000);
        return NS_EXIT_LIMIT;
    }
    if (!ro->quiet) {
        g_autofree char *summary = ns_world_summary(world);
        fputs(summary, out);
    }
    if (!ns_tracer_close(tracer, error))
        return NS_EXIT_USAGE;
    res->expect_failed = ns_world_expect_failed(world);
    res->expect_count = ns_world_expect_count(world);
    return res->expect_failed ? NS_EXIT_EXPECT : NS_EXIT_OK;
}
