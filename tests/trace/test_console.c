/* The console sink: plain output equals the text sink's line, colour adds
 * ANSI escapes only when asked, explanations are indented and wrapped. */
#include <stdlib.h>
#include <string.h>

#include "netsim/trace-console.h"
#include "netsim/trace-text.h"
#include "trace-tests.h"

static void test_console_plain_is_the_text_line(void)
{
    NsTraceEvent ev = DGRAM(.time = 30000000);
    g_autoptr(GString) want = g_string_new(NULL);
    ns_text_format_event(want, &ev, 4);
    NsConsoleSink *c = ns_console_sink_new(stdout, 4, false, NULL);
    g_autoptr(GString) got = g_string_new(NULL);
    ns_console_format(c, &ev, got);
    CU_ASSERT_STRING_EQUAL(got->str, want->str);
    NsTracer *tr = ns_tracer_new();
    ns_console_sink_attach(c, tr); /* the tracer frees it */
    ns_tracer_free(tr);
}

static void test_console_colour_adds_escapes(void)
{
    NsTraceEvent ev = DGRAM(.kind = NS_TRACE_DROP, .drop = NS_DROP_LINK_LOSS);
    NsConsoleSink *c = ns_console_sink_new(stdout, 4, true, NULL);
    g_autoptr(GString) got = g_string_new(NULL);
    ns_console_format(c, &ev, got);
    CU_ASSERT_PTR_NOT_NULL(strstr(got->str, "\033[1;31mdrop"));
    CU_ASSERT_TRUE(g_str_has_suffix(got->str, "\033[0m"));
    NsTracer *tr = ns_tracer_new();
    ns_console_sink_attach(c, tr);
    ns_tracer_free(tr);
}

static void test_console_explanation_is_indented_and_wrapped(void)
{
    NsExplainHost h = {.name = "cli", .eph_lo = 49152, .eph_hi = 65535};
    NsTraceEvent ev = {.kind = NS_TRACE_SOCK, .host = "cli", .proto = 17, .sport = 49152,
                       .sock_op = NS_SOCK_OP_BOUND, .ephemeral = true};
    NsConsoleSink *c = ns_console_sink_new(stdout, 4, false, ns_explainer_new(&h, 1));
    g_autoptr(GString) got = g_string_new(NULL);
    ns_console_format(c, &ev, got);
    g_auto(GStrv) lines = g_strsplit(got->str, "\n", -1);
    CU_ASSERT_TRUE_FATAL(g_strv_length(lines) >= 3);
    const char *indent = "                             "; /* 27 + 2 columns */
    for (int i = 1; lines[i]; i++) {
        CU_ASSERT_TRUE(g_str_has_prefix(lines[i], indent));
        CU_ASSERT_NOT_EQUAL(lines[i][strlen(indent)], ' ');
        CU_ASSERT_TRUE(strlen(lines[i]) <= NS_CONSOLE_WIDTH);
    }
    NsTracer *tr = ns_tracer_new();
    ns_console_sink_attach(c, tr);
    ns_tracer_free(tr);
}

static void test_console_no_colour_for_files_or_with_no_color(void)
{
    FILE *f = tmpfile();
    CU_ASSERT_FALSE(ns_console_wants_colour(f));
    fclose(f);
    setenv("NO_COLOR", "1", 1);
    CU_ASSERT_FALSE(ns_console_wants_colour(stdout));
    unsetenv("NO_COLOR");
}

CU_TestInfo ns_console_tests[] = {
    {"plain_is_the_text_line", test_console_plain_is_the_text_line},
    {"colour_adds_escapes", test_console_colour_adds_escapes},
    {"explanation_is_indented_and_wrapped", test_console_explanation_is_indented_and_wrapped},
    {"no_colour_for_files_or_with_no_color", test_console_no_colour_for_files_or_with_no_color},
    CU_TEST_INFO_NULL,
};
