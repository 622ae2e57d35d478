/* Suite "repeat": block expansion, nesting, substitution inside words and
 * the "(in repeat ...)" context of errors. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "scenario-private.h"
#include "scn-test.h"

static void test_expands_once_per_value(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.1.0.0/16\n"
                                       "repeat 1000 as i\n"
                                       "  host client{i} 10.1.{i / 250}.{i % 250 + 1}\n"
                                       "  at {i}ms client{i} ping 10.1.0.1\n"
                                       "end\n");
    CU_ASSERT_EQUAL(scn->hosts->len, 1000);
    CU_ASSERT_EQUAL(scn->steps->len, 1000);
    const NsScnHost *h = ns_scn_host(scn, 250);
    CU_ASSERT_STRING_EQUAL(h->name, "client251");
    CU_ASSERT_EQUAL(h->addrs[0].addr, 0x0a010102); /* 10.1.1.2 */
    CU_ASSERT_STRING_EQUAL(h->loc.ctx, "in repeat i=251");
    CU_ASSERT_EQUAL(h->loc.line, 3);
    const NsScnStep *s = ns_scn_step(scn, 999);
    CU_ASSERT_EQUAL(s->at, NS_MS(1000));
    CU_ASSERT_EQUAL(s->host, 999);
}

static void test_nesting_and_order(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.0.0.0/16\n"
                                       "repeat 2 as i\n"
                                       "  repeat 3 as j\n"
                                       "    host h{i}x{j} 10.0.{i}.{j}\n"
                                       "  end\n"
                                       "  host r{i} 10.0.{i}.100\n"
                                       "end\n");
    CU_ASSERT_EQUAL(scn->hosts->len, 8);
    static const char *const order[] = {"h1x1", "h1x2", "h1x3", "r1",
                                        "h2x1", "h2x2", "h2x3", "r2"};
    for (unsigned k = 0; k < 8; k++)
        CU_ASSERT_STRING_EQUAL(ns_scn_host(scn, k)->name, order[k]);
    CU_ASSERT_STRING_EQUAL(ns_scn_host(scn, 5)->loc.ctx, "in repeat i=2, j=2");
    CU_ASSERT_STRING_EQUAL(ns_scn_host(scn, 7)->loc.ctx, "in repeat i=2");
    CU_ASSERT_PTR_NULL(ns_scn_network(scn, 0)->loc.ctx);
}

static void test_count_from_outer_variable(void)
{
    g_autoptr(NsScenario) scn = scn_ok("network lan 10.0.0.0/16\n"
                                       "repeat 3 as i\n"
                                       "  repeat {i} as j\n"
                                       "    host h{i}_{j} 10.0.{i}.{j}\n"
                                       "  end\n"
                                       "end\n"
                                       "repeat 0 as k\n"
                                       "  host never 10.0.9.9\n"
                                       "end\n");
    CU_ASSERT_EQUAL(scn->hosts->len, 6);
}

static void test_error_context_names_every_variable(void)
{
    SCN_EXPECT_ERR("network lan 10.0.0.0/16\n"
                   "repeat 3 as i\n"
                   "  repeat 3 as j\n"
                   "    host h{i}{j} 10.0.{i}.{j + (i - 1) / (i - 2)}\n"
                   "  end\n"
                   "end\n",
                   "t.scn:4:40: error: division by zero ('/' by 0) (in repeat i=2, j=1)");
}

static void test_same_error_once(void)
{
    /* One mistake in a block of 1000 is reported once, for the first value. */
    SCN_EXPECT_ERR("network lan 10.0.0.0/24\n"
                   "host a 10.0.0.1\n"
                   "link a a\n"
                   "repeat 1000 as i\n"
                   "  at {i}ms a pign 10.0.0.1\n"
                   "end\n",
                   "t.scn:3:8: error: a link joins two different hosts, not 'a' to itself\n"
                   "t.scn:5:14: error: unknown verb 'pign' (did you mean 'ping'?) "
                   "(in repeat i=1)");
}

static void test_distinct_errors_each_reported(void)
{
    SCN_EXPECT_ERR("network lan 10.0.0.0/24\n"
                   "repeat 3 as i\n"
                   "  host h{i % 2} 10.0.0.{i}\n"
                   "end\n",
                   "t.scn:3:8: error: host 'h1' already declared on line 3 (in repeat i=3)");
}

static void test_structure_errors(void)
{
    SCN_EXPECT_ERR("end\n"
                   "repeat x as j\n"
                   "end\n"
                   "repeat 2 i\n"
                   "end\n"
                   "repeat 2 as i\n"
                   "  repeat 2 as i\n"
                   "  end\n"
                   "end extra\n"
                   "repeat 2 as k\n",
                   "t.scn:1:1: error: 'end' without a matching 'repeat'\n"
                   "t.scn:2:8: error: repeat count 'x' must be a whole number from 0 to 2000000\n"
                   "t.scn:4:10: error: expected 'as VARIABLE' after 'repeat 2'\n"
                   "t.scn:7:15: error: variable 'i' is already used by the repeat on line 6\n"
                   "t.scn:9:5: error: unexpected 'extra' after 'end'\n"
                   "t.scn:10:1: error: 'repeat' without a matching 'end'");
}

static void test_depth_limit(void)
{
    GString *s = g_string_new(NULL);
    for (unsigned k = 0; k <= NS_SCN_MAX_DEPTH; k++)
        g_string_append_printf(s, "repeat 1 as v%u\n", k);
    for (unsigned k = 0; k <= NS_SCN_MAX_DEPTH; k++)
        g_string_append(s, "end\n");
    GError *error = NULL;
    NsScenario *scn = ns_scenario_parse("t.scn", s->str, s->len, &error);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT_TRUE(g_error_matches(error, NS_SCENARIO_ERROR, NS_SCENARIO_ERROR_LIMIT));
    CU_ASSERT_STRING_EQUAL(error->message,
                           "t.scn:9:1: error: repeat blocks nested deeper than the limit of 8");
    g_error_free(error);
    g_string_free(s, TRUE);
}

static void test_statement_limit(void)
{
    const char *text = "repeat 2000 as i\n"
                       "  repeat 1001 as j\n"
                       "    expect delivered all\n"
                       "  end\n"
                       "end\n";
    GError *error = NULL;
    NsScenario *scn = ns_scenario_parse("t.scn", text, strlen(text), &error);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT_TRUE(g_error_matches(error, NS_SCENARIO_ERROR, NS_SCENARIO_ERROR_LIMIT));
    if (strcmp(error->message, "t.scn:1:1: error: more than 2000000 statements after "
                               "expanding repeat blocks (limit)") != 0)
        fprintf(stderr, "\n%s\n", error->message);
    CU_ASSERT_STRING_EQUAL(error->message,
                           "t.scn:1:1: error: more than 2000000 statements after expanding "
                           "repeat blocks (limit)");
    g_error_free(error);
}

static void test_substitution_outside_repeat(void)
{
    g_autoptr(NsScenario) scn = scn_ok("host a{2 * 21} 10.0.0.1\nlink a42 b\nhost b 10.0.0.2\n");
    CU_ASSERT_STRING_EQUAL(ns_scn_host(scn, 0)->name, "a42");
    SCN_EXPECT_ERR("host a{i} 10.0.0.1\n",
                   "t.scn:1:8: error: unknown variable 'i' (substitutions use the variables of "
                   "enclosing repeat blocks)");
}

CU_TestInfo ns_repeat_tests[] = {
    {"expands_once_per_value", test_expands_once_per_value},
    {"nesting_and_order", test_nesting_and_order},
    {"count_from_outer_variable", test_count_from_outer_variable},
    {"error_context_names_every_variable", test_error_context_names_every_variable},
    {"same_error_once", test_same_error_once},
    {"distinct_errors_each_reported", test_distinct_errors_each_reported},
    {"structure_errors", test_structure_errors},
    {"depth_limit", test_depth_limit},
    {"statement_limit", test_statement_limit},
    {"substitution_outside_repeat", test_substitution_outside_repeat},
    CU_TEST_INFO_NULL,
};
