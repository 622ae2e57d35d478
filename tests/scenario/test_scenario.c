/* The scenario front end's test binary: the suite table and the helpers
 * declared in scn-test.h. */
#include "scn-test.h"

#include <stdio.h>
#include <string.h>

#include "runner.h"

NsScenario *scn_ok(const char *text)
{
    GError *error = NULL;
    NsScenario *scn = ns_scenario_parse("t.scn", text, strlen(text), &error);
    if (!scn) {
        fprintf(stderr, "\n%s\n", error->message);
        g_error_free(error);
    }
    CU_ASSERT_PTR_NOT_NULL(scn);
    return scn;
}

char *scn_err(const char *text)
{
    GError *error = NULL;
    NsScenario *scn = ns_scenario_parse("t.scn", text, strlen(text), &error);
    CU_ASSERT_PTR_NULL(scn);
    if (scn) {
        ns_scenario_free(scn);
        return NULL;
    }
    CU_ASSERT_TRUE(g_error_matches(error, NS_SCENARIO_ERROR, NS_SCENARIO_ERROR_INVALID) ||
                   g_error_matches(error, NS_SCENARIO_ERROR, NS_SCENARIO_ERROR_LIMIT));
    char *msg = g_strdup(error->message);
    g_error_free(error);
    return msg;
}

CU_SuiteInfo ns_test_suites[] = {
    {.pName = "units", .pTests = ns_units_tests},
    {.pName = "lexer", .pTests = ns_lexer_tests},
    {.pName = "expr", .pTests = ns_expr_tests},
    {.pName = "parser", .pTests = ns_parser_tests},
    {.pName = "repeat", .pTests = ns_repeat_tests},
    {.pName = "validate", .pTests = ns_validate_tests},
    {.pName = "catalogue", .pTests = ns_catalogue_tests},
    CU_SUITE_INFO_NULL,
};
