/* Suite "expr": the integer arithmetic of {EXPR} substitutions. */
#include <glib.h>
#include <string.h>

#include "scenario-private.h"
#include "scn-test.h"

static const NsScnVar vars[] = {{"i", 251}, {"j", 3}};

static int64_t eval(const char *e)
{
    int64_t v = -12345;
    size_t off = 0;
    char *err = NULL;
    bool ok = ns_scn_expr_eval(e, strlen(e), vars, 2, &v, &off, &err);
    CU_ASSERT_TRUE(ok);
    if (!ok)
        fprintf(stderr, "\n'%s': %s\n", e, err);
    g_free(err);
    return v;
}

static void eval_fails(const char *e, size_t at, const char *msg)
{
    int64_t v;
    size_t off = 999;
    char *err = NULL;
    CU_ASSERT_FALSE(ns_scn_expr_eval(e, strlen(e), vars, 2, &v, &off, &err));
    CU_ASSERT_EQUAL(off, at);
    CU_ASSERT_STRING_EQUAL(err ? err : "", msg);
    g_free(err);
}

static void test_precedence(void)
{
    CU_ASSERT_EQUAL(eval("1 + 2 * 3"), 7);
    CU_ASSERT_EQUAL(eval("10 - 4 - 3"), 3);
    CU_ASSERT_EQUAL(eval("100 / 10 / 5"), 2);
    CU_ASSERT_EQUAL(eval("2 * 3 % 4"), 2);
    CU_ASSERT_EQUAL(eval("i % 250 + 1"), 2);
    CU_ASSERT_EQUAL(eval("i / 250"), 1);
}

static void test_parentheses_and_unary(void)
{
    CU_ASSERT_EQUAL(eval("(1 + 2) * 3"), 9);
    CU_ASSERT_EQUAL(eval("((j))"), 3);
    CU_ASSERT_EQUAL(eval("-j + 10"), 7);
    CU_ASSERT_EQUAL(eval("-(i - 1)"), -250);
    CU_ASSERT_EQUAL(eval("  j*j  "), 9);
}

static void test_division_truncates_like_c(void)
{
    CU_ASSERT_EQUAL(eval("-7 / 2"), -3);
    CU_ASSERT_EQUAL(eval("-7 % 2"), -1);
    CU_ASSERT_EQUAL(eval("7 % -2"), 1);
}

static void test_division_by_zero(void)
{
    eval_fails("i / (j - 3)", 2, "division by zero ('/' by 0)");
    eval_fails("1 + i % 0", 6, "division by zero ('%' by 0)");
}

static void test_errors(void)
{
    eval_fails("k + 1", 0, "unknown variable 'k' (did you mean 'i'?)");
    eval_fails("i +", 3, "expected a number, a variable or '(' at the end of the expression");
    eval_fails("(i + 1", 0, "'(' without a matching ')'");
    eval_fails("i + 1)", 5, "')' without a matching '('");
    eval_fails("2i", 0, "'2i' is neither a number nor a variable");
    eval_fails("i $ 2", 2, "unexpected '$' in an expression");
    eval_fails("9223372036854775807 + 1", 20, "integer overflow");
    eval_fails("99999999999999999999", 0, "number too large");
}

static void test_substitute_words(void)
{
    size_t off;
    char *err = NULL;
    char *s = ns_scn_substitute("10.1.{i / 250}.{i % 250 + 1}", vars, 2, &off, &err);
    CU_ASSERT_STRING_EQUAL(s, "10.1.1.2");
    g_free(s);
    s = ns_scn_substitute("client{i}-{j}x", vars, 2, &off, &err);
    CU_ASSERT_STRING_EQUAL(s, "client251-3x");
    g_free(s);
    s = ns_scn_substitute("a{ }b", vars, 2, &off, &err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(off, 1);
    CU_ASSERT_STRING_EQUAL(err, "empty substitution '{}'");
    g_free(err);
    s = ns_scn_substitute("h{i/0}", vars, 2, &off, &err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(off, 3);
    g_free(err);
}

static void test_no_variables_outside_repeat(void)
{
    int64_t v;
    size_t off;
    char *err = NULL;
    CU_ASSERT_TRUE(ns_scn_expr_eval("6 * 7", 5, NULL, 0, &v, &off, &err));
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_FALSE(ns_scn_expr_eval("i", 1, NULL, 0, &v, &off, &err));
    CU_ASSERT_STRING_EQUAL(err, "unknown variable 'i' (substitutions use the variables of "
                                "enclosing repeat blocks)");
    g_free(err);
}

CU_TestInfo ns_expr_tests[] = {
    {"precedence", test_precedence},
    {"parentheses_and_unary", test_parentheses_and_unary},
    {"division_truncates_like_c", test_division_truncates_like_c},
    {"division_by_zero", test_division_by_zero},
    {"errors", test_errors},
    {"substitute_words", test_substitute_words},
    {"no_variables_outside_repeat", test_no_variables_outside_repeat},
    CU_TEST_INFO_NULL,
};
