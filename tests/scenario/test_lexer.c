/* Suite "lexer": words, quoted strings and their escapes, comments and the
 * columns tokens report, straight from ns_scn_lex_line(). */
#include <glib.h>
#include <string.h>

#include "scenario-private.h"
#include "scn-test.h"

typedef struct {
    GArray *toks;
    GStringChunk *store;
    uint32_t err_col;
    char *err;
    bool ok;
} Lexed;

static Lexed lex(const char *line)
{
    Lexed l = {.toks = g_array_new(FALSE, FALSE, sizeof(NsScnTok)),
               .store = g_string_chunk_new(256)};
    l.ok = ns_scn_lex_line(line, strlen(line), l.toks, l.store, &l.err_col, &l.err);
    return l;
}

static void lexed_free(Lexed *l)
{
    g_array_unref(l->toks);
    g_string_chunk_free(l->store);
    g_free(l->err);
}

static const NsScnTok *tok(const Lexed *l, unsigned i)
{
    return &g_array_index(l->toks, NsScnTok, i);
}

static void test_words_and_columns(void)
{
    Lexed l = lex("at 10ms  cli\tconnect S 10.0.0.2:8080");
    CU_ASSERT_TRUE(l.ok);
    CU_ASSERT_EQUAL(l.toks->len, 6);
    CU_ASSERT_STRING_EQUAL(tok(&l, 0)->text, "at");
    CU_ASSERT_EQUAL(tok(&l, 0)->col, 1);
    CU_ASSERT_EQUAL(tok(&l, 1)->col, 4);
    CU_ASSERT_EQUAL(tok(&l, 2)->col, 10);
    CU_ASSERT_EQUAL(tok(&l, 3)->col, 14);
    CU_ASSERT_STRING_EQUAL(tok(&l, 5)->text, "10.0.0.2:8080");
    CU_ASSERT_EQUAL(tok(&l, 5)->len, 13);
    CU_ASSERT_FALSE(tok(&l, 5)->quoted);
    lexed_free(&l);
}

static void test_comment_at_word_start_only(void)
{
    Lexed l = lex("drop a > b tcp data#2   # the second data segment");
    CU_ASSERT_TRUE(l.ok);
    CU_ASSERT_EQUAL(l.toks->len, 6);
    CU_ASSERT_STRING_EQUAL(tok(&l, 5)->text, "data#2");
    lexed_free(&l);
    l = lex("   # only a comment");
    CU_ASSERT_TRUE(l.ok);
    CU_ASSERT_EQUAL(l.toks->len, 0);
    lexed_free(&l);
}

static void test_string_escapes_decoded(void)
{
    Lexed l = lex("send S \"GET / HTTP/1.0\\r\\n\\t\\\\\\\"\\x41\\0z\"");
    CU_ASSERT_TRUE(l.ok);
    CU_ASSERT_EQUAL(l.toks->len, 3);
    const NsScnTok *t = tok(&l, 2);
    CU_ASSERT_TRUE(t->quoted);
    CU_ASSERT_EQUAL(t->col, 8);
    CU_ASSERT_EQUAL(t->len, 22);
    CU_ASSERT_EQUAL(memcmp(t->text, "GET / HTTP/1.0\r\n\t\\\"A\0z", 22), 0);
    lexed_free(&l);
}

static void test_string_keeps_hash_and_blanks(void)
{
    Lexed l = lex("x \"a # b\" # comment");
    CU_ASSERT_TRUE(l.ok);
    CU_ASSERT_EQUAL(l.toks->len, 2);
    CU_ASSERT_STRING_EQUAL(tok(&l, 1)->text, "a # b");
    lexed_free(&l);
}

static void test_empty_string(void)
{
    Lexed l = lex("send S \"\"");
    CU_ASSERT_TRUE(l.ok);
    CU_ASSERT_EQUAL(tok(&l, 2)->len, 0);
    CU_ASSERT_TRUE(tok(&l, 2)->quoted);
    lexed_free(&l);
}

static void test_substitution_may_hold_blanks(void)
{
    Lexed l = lex("host c{i} 10.1.{i / 250}.{i % 250 + 1} x");
    CU_ASSERT_TRUE(l.ok);
    CU_ASSERT_EQUAL(l.toks->len, 4);
    CU_ASSERT_STRING_EQUAL(tok(&l, 2)->text, "10.1.{i / 250}.{i % 250 + 1}");
    CU_ASSERT_EQUAL(tok(&l, 3)->col, 40);
    lexed_free(&l);
}

static void expect_lex_error(const char *line, uint32_t col, const char *msg)
{
    Lexed l = lex(line);
    CU_ASSERT_FALSE(l.ok);
    CU_ASSERT_EQUAL(l.err_col, col);
    CU_ASSERT_STRING_EQUAL(l.err ? l.err : "", msg);
    lexed_free(&l);
}

static void test_errors(void)
{
    expect_lex_error("send S \"abc", 8, "unterminated string (missing closing '\"')");
    expect_lex_error("send S \"abc\\\"", 8, "unterminated string (missing closing '\"')");
    expect_lex_error("send S \"a\\qb\"", 10,
                     "unknown escape '\\q' in a string (use \\r \\n \\t \\0 \\\\ \\\" \\xHH)");
    expect_lex_error("send S \"\\x4\"", 9, "'\\x' needs two hex digits, as in \\x0a");
    expect_lex_error("send S \"ab\"cd", 12,
                     "unexpected text right after a string (separate words with blanks)");
    expect_lex_error("send S ab\"cd\"", 10,
                     "unexpected '\"' inside a word (put a blank before a string)");
    expect_lex_error("host c{i 1", 7, "unclosed '{' (a substitution looks like {i + 1})");
    expect_lex_error("host c{i{j}}", 7, "unclosed '{' (a substitution looks like {i + 1})");
    expect_lex_error("host ci}", 8, "'}' without a matching '{'");
}

static void test_string_limit(void)
{
    GString *s = g_string_new("send S \"");
    for (unsigned k = 0; k <= NS_SCN_MAX_STRING; k++)
        g_string_append_c(s, 'a');
    g_string_append_c(s, '"');
    expect_lex_error(s->str, 8, "string longer than the limit of 32768 bytes");
    g_string_free(s, TRUE);
}

static void test_diagnostic_columns_in_files(void)
{
    /* Columns count bytes: a tab is one column. */
    SCN_EXPECT_ERR("network lan 10.0.0.0/24\nhost a 10.0.0.1\n\tat 1s a send S \"x\\y\"\n",
                   "t.scn:3:19: error: unknown escape '\\y' in a string (use \\r \\n \\t \\0 "
                   "\\\\ \\\" \\xHH)");
}

CU_TestInfo ns_lexer_tests[] = {
    {"words_and_columns", test_words_and_columns},
    {"comment_at_word_start_only", test_comment_at_word_start_only},
    {"string_escapes_decoded", test_string_escapes_decoded},
    {"string_keeps_hash_and_blanks", test_string_keeps_hash_and_blanks},
    {"empty_string", test_empty_string},
    {"substitution_may_hold_blanks", test_substitution_may_hold_blanks},
    {"errors", test_errors},
    {"string_limit", test_string_limit},
    {"diagnostic_columns_in_files", test_diagnostic_columns_in_files},
    CU_TEST_INFO_NULL,
};
