/* The lexer of scenario files: one line into words and quoted strings.
 * Blanks separate words, except inside a {EXPR} substitution; `#` starts a
 * comment only where a word could start (so `data#2` is one word); strings
 * take C escapes \r \n \t \0 \\ \" \xHH and are decoded to bytes here. */
#include "scenario-private.h"

#include <string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool lex_fail(uint32_t *err_col, char **err, size_t at, char *msg)
{
    *err_col = (uint32_t)at + 1;
    *err = msg;
    return false;
}

/* Decodes the string starting at the quote s[start]; sets *end past the
 * closing quote. */
static bool lex_string(const char *s, size_t len, size_t start, size_t *end, GString *out,
                       uint32_t *err_col, char **err)
{
    size_t i = start + 1;
    while (i < len && s[i] != '"') {
        char c = s[i];
        if (c != '\\') {
            g_string_append_c(out, c);
            i++;
        } else if (i + 1 >= len) {
            i = len; /* a backslash ends the line: unterminated, reported below */
            break;
        } else {
            char e = s[i + 1];
            switch (e) {
            case 'r': g_string_append_c(out, '\r'); i += 2; break;
            case 'n': g_string_append_c(out, '\n'); i += 2; break;
            case 't': g_string_append_c(out, '\t'); i += 2; break;
            case '0': g_string_append_c(out, '\0'); i += 2; break;
            case '\\': g_string_append_c(out, '\\'); i += 2; break;
            case '"': g_string_append_c(out, '"'); i += 2; break;
            case 'x': {
                int hi = i + 2 < len ? hex_value(s[i + 2]) : -1;
                int lo = i + 3 < len ? hex_value(s[i + 3]) : -1;
                if (hi < 0 || lo < 0)
                    return lex_fail(err_col, err, i,
                                    g_strdup("'\\x' needs two hex digits, as in \\x0a"));
                g_string_append_c(out, (char)(hi * 16 + lo));
                i += 4;
                break;
            }
            default:
                return lex_fail(err_col, err, i,
                                g_strdup_printf("unknown escape '\\%c' in a string "
                                                "(use \\r \\n \\t \\0 \\\\ \\\" \\xHH)",
                                                g_ascii_isprint(e) ? e : '?'));
            }
        }
        if (out->len > NS_SCN_MAX_STRING)
            return lex_fail(err_col, err, start,
                            g_strdup_printf("string longer than the limit of %u bytes",
                                            NS_SCN_MAX_STRING));
    }
    if (i >= len)
        return lex_fail(err_col, err, start,
                        g_strdup("unterminated string (missing closing '\"')"));
    *end = i + 1;
    return true;
}

bool ns_scn_lex_line(const char *s, size_t len, GArray *toks, GStringChunk *store,
                     uint32_t *err_col, char **err)
{
    g_autoptr(GString) buf = g_string_new(NULL);
    size_t i = 0;
    for (;;) {
        while (i < len && is_blank(s[i]))
            i++;
        if (i >= len || s[i] == '#')
            return true;
        NsScnTok tok = {.col = (uint32_t)i + 1};
        size_t end;
        if (s[i] == '"') {
            g_string_truncate(buf, 0);
            if (!lex_string(s, len, i, &end, buf, err_col, err))
                return false;
            tok.quoted = true;
            tok.text = g_string_chunk_insert_len(store, buf->str, (gssize)buf->len);
            tok.len = (uint32_t)buf->len;
        } else {
            end = i;
            while (end < len && !is_blank(s[end])) {
                if (s[end] == '"')
                    return lex_fail(err_col, err, end,
                                    g_strdup("unexpected '\"' inside a word "
                                             "(put a blank before a string)"));
                if (s[end] == '{') {
                    /* A substitution may hold blanks: {i % 250 + 1}. */
                    size_t close = end + 1;
                    while (close < len && s[close] != '}' && s[close] != '{')
                        close++;
                    if (close >= len || s[close] != '}')
                        return lex_fail(err_col, err, end,
                                        g_strdup("unclosed '{' (a substitution looks like "
                                                 "{i + 1})"));
                    end = close;
                } else if (s[end] == '}') {
                    return lex_fail(err_col, err, end,
                                    g_strdup("'}' without a matching '{'"));
                }
                end++;
            }
            tok.text = g_string_chunk_insert_len(store, s + i, (gssize)(end - i));
            tok.len = (uint32_t)(end - i);
        }
        tok.raw_len = (uint32_t)(end - i);
        if (tok.quoted && end < len && !is_blank(s[end]) && s[end] != '#')
            return lex_fail(err_col, err, end,
                            g_strdup("unexpected text right after a string "
                                     "(separate words with blanks)"));
        g_array_append_val(toks, tok);
        i = end;
    }
}
