/* Suite "catalogue": every bad/NAME.scn must fail to load with exactly the
 * text of bad/NAME.err (all lines, no trailing newline needed). The files
 * are opened by the relative path "bad/NAME.scn" from the directory named
 * by NS_SCENARIO_TEST_DIR, so the messages are stable wherever the build
 * lives; `netsim check` is tested against the same files. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scn-test.h"

#define MIN_CATALOGUE 25

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_bad_file(void)
{
    const char *dir = g_getenv("NS_SCENARIO_TEST_DIR");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autofree char *cwd = g_get_current_dir();
    CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);

    g_autoptr(GDir) d = g_dir_open("bad", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    while ((entry = g_dir_read_name(d)))
        if (g_str_has_suffix(entry, ".scn"))
            g_ptr_array_add(names, g_strdup(entry));
    g_ptr_array_sort(names, cmp_str);
    CU_ASSERT(names->len >= MIN_CATALOGUE);

    for (unsigned k = 0; k < names->len; k++) {
        g_autofree char *path = g_build_filename("bad", names->pdata[k], NULL);
        g_autofree char *stem = g_strndup(path, strlen(path) - 4);
        g_autofree char *err_path = g_strconcat(stem, ".err", NULL);
        g_autofree char *want = NULL;
        bool have = g_file_get_contents(err_path, &want, NULL, NULL);
        if (!have)
            fprintf(stderr, "\n%s: missing\n", err_path);
        CU_ASSERT_TRUE(have);
        if (!have)
            continue;
        size_t n = strlen(want);
        if (n && want[n - 1] == '\n')
            want[n - 1] = '\0';
        GError *error = NULL;
        NsScenario *scn = ns_scenario_load(path, &error);
        CU_ASSERT_PTR_NULL(scn);
        ns_scenario_free(scn);
        const char *got = error ? error->message : "(loaded without error)";
        if (strcmp(got, want) != 0)
            fprintf(stderr, "\n%s:\n  expected:\n%s\n  got:\n%s\n", path, want, got);
        CU_ASSERT_STRING_EQUAL(got, want);
        g_clear_error(&error);
    }
    CU_ASSERT_EQUAL(chdir(cwd), 0);
}

CU_TestInfo ns_catalogue_tests[] = {
    {"every_bad_file", test_every_bad_file},
    CU_TEST_INFO_NULL,
};
