/* Helpers shared by the scenario test suites: parse a text that must load
 * (or must fail) and hand back the scenario or the exact error message. */
#pragma once

#include <CUnit/CUnit.h>

#include "netsim/scenario.h"

/* Parses `text` as "t.scn"; fails the test (printing the errors) and
 * returns NULL if it does not load. */
NsScenario *scn_ok(const char *text);

/* Parses `text` as "t.scn", which must fail; returns the GError message
 * (transfer full), or NULL (and fails the test) if it loaded. */
char *scn_err(const char *text);

/* Asserts that `text` fails with exactly `expected` as the whole message. */
#define SCN_EXPECT_ERR(text, expected)                                                    \
    do {                                                                                  \
        char *got_ = scn_err(text);                                                       \
        if (got_ && strcmp(got_, (expected)) != 0)                                        \
            fprintf(stderr, "\n  expected: %s\n  got:      %s\n", (expected), got_);       \
        CU_ASSERT_STRING_EQUAL(got_ ? got_ : "(loaded)", (expected));                     \
        g_free(got_);                                                                     \
    } while (0)

extern CU_TestInfo ns_units_tests[];
extern CU_TestInfo ns_lexer_tests[];
extern CU_TestInfo ns_expr_tests[];
extern CU_TestInfo ns_parser_tests[];
extern CU_TestInfo ns_repeat_tests[];
extern CU_TestInfo ns_validate_tests[];
extern CU_TestInfo ns_catalogue_tests[];
