/* `netsim lab FILE.scn [-o DIR]`: run a scenario once and write, in DIR,
 * NAME.md (the exercise sheet), NAME-key.md (the answer key, from the
 * run's real values) and NAME.html (the student-mode page, where each
 * answer can be checked). All three appear together or not at all. */
#include "lab.h"

#include <errno.h>
#include <string.h>

#include "netsim-config.h"
#include "netsim/world.h"

char *ns_lab_normalise(const char *answer)
{
    GString *s = g_string_new(NULL);
    for (const char *p = answer; *p; p++)
        if (g_ascii_isalnum(*p))
            g_string_append_c(s, g_ascii_tolower(*p));
    return g_string_free(s, FALSE);
}

uint32_t ns_lab_hash(uint32_t question, const char *normalised)
{
    g_autofree char *s = g_strdup_printf("netsim-lab/%u/%s", question, normalised);
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

typedef struct {
    const NsScenario *scn;
    NsLabRun *run;
    GPtrArray *questions;
} Lab;

static void lab_attach(NsTracer *tracer, void *data)
{
    Lab *lab = data;
    ns_lab_run_attach(lab->run, tracer);
}

/* The page's "questions": text, choices, hashes of the accepted answers. */
static void add_page_questions(JsonObject *meta, const GPtrArray *qs)
{
    JsonArray *arr = json_array_new();
    for (guint i = 0; i < qs->len; i++) {
        const NsLabQuestion *q = g_ptr_array_index(qs, i);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "text", q->text);
        JsonArray *choices = json_array_new();
        for (guint k = 0; k < q->choices->len; k++)
            json_array_add_string_element(choices, g_ptr_array_index(q->choices, k));
        json_object_set_array_member(o, "choices", choices);
        JsonArray *hashes = json_array_new();
        for (guint k = 0; k < q->accepted->len; k++) {
            g_autofree char *n = ns_lab_normalise(g_ptr_array_index(q->accepted, k));
            g_autofree char *h = g_strdup_printf("%08x", ns_lab_hash(i, n));
            json_array_add_string_element(hashes, h);
        }
        json_object_set_array_member(o, "hashes", hashes);
        json_array_add_object_element(arr, o);
    }
    json_object_set_array_member(meta, "questions", arr);
}

static bool lab_finish(NsWorld *world, JsonObject *page_meta, void *data, GError **error)
{
    Lab *lab = data;
    lab->questions = ns_lab_questions(lab->run, lab->scn, world, error);
    if (!lab->questions)
        return false;
    if (page_meta)
        add_page_questions(page_meta, lab->questions);
    return true;
}

static const char *title_of(const NsScenario *scn)
{
    return scn->title ? scn->title : "a netsim scenario";
}

static void write_sheet(FILE *f, const NsScenario *scn, const char *name, const GPtrArray *qs)
{
    fprintf(f, "# Lab: %s\n\n", title_of(scn));
    fprintf(f, "Open `%s.html` in a browser (it needs no network). It replays one run of a "
               "small network step by step: every packet, layer by layer, every socket and "
               "TCP state change, and each host's socket table at each step, but not why a "
               "packet was lost or sent again: that is for you to find out. Times are "
               "simulated seconds, as the page's time column shows them. Answer each question "
               "below in the page's Questions panel, and check it there.\n\n", name);
    fprintf(f, "## Questions\n");
    for (guint i = 0; i < qs->len; i++) {
        const NsLabQuestion *q = g_ptr_array_index(qs, i);
        fprintf(f, "\n%u. %s\n", i + 1, q->text);
        if (q->choices->len)
            fputc('\n', f);
        for (guint k = 0; k < q->choices->len; k++)
            fprintf(f, "   - %c. %s\n", 'a' + k, (const char *)g_ptr_array_index(q->choices, k));
    }
}

static void write_key(FILE *f, const NsScenario *scn, const char *file, uint64_t seed,
                      const GPtrArray *qs)
{
    fprintf(f, "# Answer key: %s\n\n", title_of(scn));
    fprintf(f, "From a run of `%s` with seed %" G_GUINT64_FORMAT " (netsim %s): every value "
               "below is the run's own. Keep this file, and the scenario (it says what "
               "happens), from the students. To give them the run as text instead of the page: "
               "`netsim run %s --student`.\n", file, seed, NETSIM_VERSION, file);
    for (guint i = 0; i < qs->len; i++) {
        const NsLabQuestion *q = g_ptr_array_index(qs, i);
        bool stop = g_str_has_suffix(q->answer, ".");
        fprintf(f, "\n%u. %s\n\n   **%s**%s %s\n", i + 1, q->text, q->answer, stop ? "" : ".",
                q->why);
    }
}

/* Write one Markdown output with `fn`. */
static bool write_md(const char *path, GError **error,
                     void (*fn)(FILE *, const Lab *, const char *, const char *, uint64_t),
                     const Lab *lab, const char *file, const char *name, uint64_t seed)
{
    NsAtomicFile out = {0};
    if (!ns_atomic_file_open(&out, path, error))
        return false;
    fn(out.f, lab, file, name, seed);
    return ns_atomic_file_commit(&out, false, error);
}

static void sheet_fn(FILE *f, const Lab *lab, const char *file, const char *name, uint64_t seed)
{
    (void)file;
    (void)seed;
    write_sheet(f, lab->scn, name, lab->questions);
}

static void key_fn(FILE *f, const Lab *lab, const char *file, const char *name, uint64_t seed)
{
    (void)name;
    write_key(f, lab->scn, file, seed, lab->questions);
}

int ns_cmd_lab(int argc, char **argv)
{
    g_autofree char *dir = NULL, *seed_s = NULL;
    g_auto(GStrv) files = NULL;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &dir,
         "Write NAME.md, NAME-key.md and NAME.html in DIR (default: the current directory)",
         "DIR"},
        {"seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Random seed (overrides the file's)", "N"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("- an exercise sheet from a scenario");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &err))
        return ns_usage_error("lab: %s", err->message);
    if (!files || !files[0])
        return ns_usage_error("lab: no scenario file given");
    if (files[1])
        return ns_usage_error("lab: one scenario file at a time ('%s' is extra)", files[1]);
    NsWorldOpts wo = {.max_events = UINT64_C(2000000000), .max_memory = ns_default_max_memory()};
    if (seed_s) {
        char *end;
        errno = 0;
        guint64 v = g_ascii_strtoull(seed_s, &end, 10);
        if (errno || end == seed_s || *end || seed_s[0] == '-')
            return ns_usage_error("lab: --seed needs a non-negative integer, not '%s'", seed_s);
        wo.seed = v;
    }
    if (!dir)
        dir = g_strdup(".");
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        return ns_usage_error("lab: -o %s: no such directory", dir);
    /* The student page needs json-glib. */
    if (!ns_json_glib_ready("lab"))
        return NS_EXIT_USAGE;
    g_autoptr(NsScenario) scn = ns_scenario_load(files[0], &err);
    if (!scn) {
        fprintf(stderr, "%s\n", err->message);
        return NS_EXIT_USAGE;
    }
    if (!seed_s)
        wo.seed = scn->seed;
    g_autofree char *base = g_path_get_basename(files[0]);
    g_autofree char *name = g_str_has_suffix(base, ".scn")
                                ? g_strndup(base, strlen(base) - strlen(".scn"))
                                : g_strdup(base);
    g_autofree char *sheet = g_strdup_printf("%s/%s.md", dir, name);
    g_autofree char *key = g_strdup_printf("%s/%s-key.md", dir, name);
    g_autofree char *html = g_strdup_printf("%s/%s.html", dir, name);

    Lab lab = {.scn = scn, .run = ns_lab_run_new()};
    NsRunHooks hooks = {.attach = lab_attach, .finish = lab_finish, .data = &lab};
    NsRunOpts ro = {.world = wo, .quiet = true, .html = html, .student = true, .hooks = &hooks};
    ns_atomic_files_hold();
    NsRunResult rr;
    int status = ns_run_scenario(scn, &ro, stdout, &rr, &err);
    ns_run_result_clear(&rr);
    bool ok = status == NS_EXIT_OK || status == NS_EXIT_EXPECT;
    if (ok && (!write_md(sheet, &err, sheet_fn, &lab, base, name, wo.seed) ||
               !write_md(key, &err, key_fn, &lab, base, name, wo.seed))) {
        g_prefix_error(&err, "netsim: cannot write ");
        status = NS_EXIT_USAGE;
        ok = false;
    }
    if (lab.questions)
        g_ptr_array_unref(lab.questions);
    ns_lab_run_free(lab.run);
    if (!ok) {
        fprintf(stderr, "%s\n", err ? err->message : "netsim: lab failed");
        ns_atomic_files_release(false, NULL);
        return status;
    }
    if (!ns_atomic_files_release(true, &err)) {
        fprintf(stderr, "netsim: cannot write %s\n", err->message);
        return NS_EXIT_USAGE;
    }
    if (status == NS_EXIT_EXPECT)
        fprintf(stderr, "netsim: %s: %u of %u expectations failed (the lab is written)\n",
                files[0], rr.expect_failed, rr.expect_count);
    printf("%s\n%s\n%s\n", sheet, key, html);
    return status;
}
