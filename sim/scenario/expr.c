/* The integer expressions of repeat substitutions, `{i % 250 + 1}`:
 * + - * / % with C precedence and truncating division, unary minus,
 * parentheses, decimal literals and loop variables, in int64 with every
 * overflow and division by zero reported at the operator that causes it. */
#include "scenario-private.h"

#include <string.h>

typedef struct {
    const char *s;
    size_t len, i;
    const NsScnVar *vars;
    size_t n_vars;
    unsigned depth; /* parentheses and unary signs open around the current primary */
    size_t err_off;
    char *err;
} Expr;

static bool expr_sum(Expr *e, int64_t *out);

static bool efail(Expr *e, size_t off, char *msg)
{
    if (!e->err) {
        e->err_off = off;
        e->err = msg;
    } else {
        g_free(msg);
    }
    return false;
}

static void skip_blanks(Expr *e)
{
    while (e->i < e->len && (e->s[e->i] == ' ' || e->s[e->i] == '\t'))
        e->i++;
}

static bool is_name_start(char c)
{
    return g_ascii_isalpha(c) || c == '_';
}

static bool expr_primary(Expr *e, int64_t *out)
{
    skip_blanks(e);
    if (e->i >= e->len)
        return efail(e, e->i, g_strdup("expected a number, a variable or '(' at the end of "
                                       "the expression"));
    char c = e->s[e->i];
    size_t start = e->i;
    if ((c == '(' || c == '-' || c == '+') && e->depth >= NS_SCN_MAX_EXPR_DEPTH)
        return efail(e, start, g_strdup_printf("expression nested deeper than the limit of %u "
                                               "parentheses and signs",
                                               NS_SCN_MAX_EXPR_DEPTH));
    if (c == '(') {
        e->i++;
        e->depth++;
        bool ok = expr_sum(e, out);
        e->depth--;
        if (!ok)
            return false;
        skip_blanks(e);
        if (e->i >= e->len || e->s[e->i] != ')')
            return efail(e, start, g_strdup("'(' without a matching ')'"));
        e->i++;
        return true;
    }
    if (c == '-' || c == '+') {
        e->i++;
        int64_t v;
        e->depth++;
        bool ok = expr_primary(e, &v);
        e->depth--;
        if (!ok)
            return false;
        if (c == '-' && __builtin_sub_overflow((int64_t)0, v, out))
            return efail(e, start, g_strdup("integer overflow"));
        if (c == '+')
            *out = v;
        return true;
    }
    if (g_ascii_isdigit(c)) {
        int64_t v = 0;
        while (e->i < e->len && g_ascii_isdigit(e->s[e->i])) {
            if (__builtin_mul_overflow(v, (int64_t)10, &v) ||
                __builtin_add_overflow(v, (int64_t)(e->s[e->i] - '0'), &v))
                return efail(e, start, g_strdup("number too large"));
            e->i++;
        }
        if (e->i < e->len && (g_ascii_isalpha(e->s[e->i]) || e->s[e->i] == '_'))
            return efail(e, start,
                         g_strdup_printf("'%.*s' is neither a number nor a variable",
                                         (int)(e->len - start), e->s + start));
        *out = v;
        return true;
    }
    if (is_name_start(c)) {
        while (e->i < e->len && (g_ascii_isalnum(e->s[e->i]) || e->s[e->i] == '_'))
            e->i++;
        size_t n = e->i - start;
        /* Innermost first, though names cannot repeat: the parser forbids
         * reusing an enclosing block's variable. */
        for (size_t k = e->n_vars; k-- > 0;) {
            if (strlen(e->vars[k].name) == n && memcmp(e->vars[k].name, e->s + start, n) == 0) {
                *out = e->vars[k].value;
                return true;
            }
        }
        g_autofree char *name = g_strndup(e->s + start, n);
        if (e->n_vars == 0)
            return efail(e, start,
                         g_strdup_printf("unknown variable '%s' (substitutions use the "
                                         "variables of enclosing repeat blocks)",
                                         name));
        NsScnSuggest sg;
        ns_scn_suggest_init(&sg, name);
        for (size_t k = 0; k < e->n_vars; k++)
            ns_scn_suggest_add(&sg, e->vars[k].name);
        char hint[300];
        return efail(e, start, g_strdup_printf("unknown variable '%s'%s", name,
                                               ns_scn_suggest_hint(&sg, hint, sizeof hint)));
    }
    return efail(e, start, g_strdup_printf("unexpected '%c' in an expression (use numbers, "
                                           "variables, + - * / %% and parentheses)",
                                           g_ascii_isprint(c) ? c : '?'));
}

static bool expr_product(Expr *e, int64_t *out)
{
    int64_t v;
    if (!expr_primary(e, &v))
        return false;
    for (;;) {
        skip_blanks(e);
        if (e->i >= e->len)
            break;
        char op = e->s[e->i];
        if (op != '*' && op != '/' && op != '%')
            break;
        size_t at = e->i++;
        int64_t r;
        if (!expr_primary(e, &r))
            return false;
        if (op == '*') {
            if (__builtin_mul_overflow(v, r, &v))
                return efail(e, at, g_strdup("integer overflow"));
        } else if (r == 0) {
            return efail(e, at, g_strdup_printf("division by zero ('%c' by 0)", op));
        } else if (v == INT64_MIN && r == -1) {
            return efail(e, at, g_strdup("integer overflow"));
        } else {
            v = op == '/' ? v / r : v % r;
        }
    }
    *out = v;
    return true;
}

static bool expr_sum(Expr *e, int64_t *out)
{
    int64_t v;
    if (!expr_product(e, &v))
        return false;
    for (;;) {
        skip_blanks(e);
        if (e->i >= e->len)
            break;
        char op = e->s[e->i];
        if (op != '+' && op != '-')
            break;
        size_t at = e->i++;
        int64_t r;
        if (!expr_product(e, &r))
            return false;
        bool ovf = op == '+' ? __builtin_add_overflow(v, r, &v) : __builtin_sub_overflow(v, r, &v);
        if (ovf)
            return efail(e, at, g_strdup("integer overflow"));
    }
    *out = v;
    return true;
}

bool ns_scn_expr_eval(const char *expr, size_t len, const NsScnVar *vars, size_t n_vars,
                      int64_t *out, size_t *err_off, char **err)
{
    Expr e = {.s = expr, .len = len, .vars = vars, .n_vars = n_vars};
    int64_t v;
    bool ok = expr_sum(&e, &v);
    if (ok) {
        skip_blanks(&e);
        if (e.i < e.len) {
            ok = efail(&e, e.i, e.s[e.i] == ')'
                                    ? g_strdup("')' without a matching '('")
                                    : g_strdup_printf("unexpected '%c' in an expression",
                                                      g_ascii_isprint(e.s[e.i]) ? e.s[e.i]
                                                                                : '?'));
        }
    }
    if (!ok) {
        *err_off = e.err_off;
        *err = e.err;
        return false;
    }
    *out = v;
    return true;
}

char *ns_scn_substitute(const char *word, const NsScnVar *vars, size_t n_vars, size_t *err_off,
                        char **err)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *p = word;
    for (;;) {
        const char *open = strchr(p, '{');
        if (!open) {
            g_string_append(out, p);
            return g_string_free(g_steal_pointer(&out), FALSE);
        }
        g_string_append_len(out, p, open - p);
        const char *close = strchr(open, '}');
        if (!close) { /* the lexer rejects this; kept for direct callers */
            *err_off = (size_t)(open - word);
            *err = g_strdup("unclosed '{'");
            return NULL;
        }
        size_t inner = (size_t)(close - open - 1);
        bool empty = true;
        for (size_t k = 0; k < inner; k++)
            if (open[1 + k] != ' ' && open[1 + k] != '\t')
                empty = false;
        if (empty) {
            *err_off = (size_t)(open - word);
            *err = g_strdup("empty substitution '{}'");
            return NULL;
        }
        int64_t v;
        size_t off;
        if (!ns_scn_expr_eval(open + 1, inner, vars, n_vars, &v, &off, err)) {
            *err_off = (size_t)(open + 1 - word) + off;
            return NULL;
        }
        g_string_append_printf(out, "%" G_GINT64_FORMAT, v);
        p = close + 1;
    }
}
