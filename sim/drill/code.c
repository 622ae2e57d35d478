/* %{ }% code blocks: the small part of Python that packetdrill scripts
 * write in them, evaluated against a snapshot of the connection's
 * TCP_INFO taken when the block is reached. Statements: `assert EXPR` (with
 * an optional `, MESSAGE`), `NAME = EXPR`, `print(...)` (ignored) and `pass`;
 * expressions: numbers, True/False, names (tcpi_* fields in Linux's units,
 * the TCP_* state, TCP_CA_* and TCPI_OPT_* constants, earlier variables),
 * arithmetic, bitwise operators, chained comparisons, not/and/or and
 * parentheses. Anything else fails the script, naming what it met. */
#include "drill-private.h"

#include <math.h>
#include <string.h>

/* Linux's numbers (include/net/tcp_states.h, tcp_ca_state). */
static int64_t linux_state(NsTcpState s)
{
    switch (s) {
    case NS_TCP_STATE_ESTABLISHED:
        return 1;
    case NS_TCP_STATE_SYN_SENT:
        return 2;
    case NS_TCP_STATE_SYN_RECEIVED:
        return 3;
    case NS_TCP_STATE_FIN_WAIT_1:
        return 4;
    case NS_TCP_STATE_FIN_WAIT_2:
        return 5;
    case NS_TCP_STATE_TIME_WAIT:
        return 6;
    case NS_TCP_STATE_CLOSED:
        return 7;
    case NS_TCP_STATE_CLOSE_WAIT:
        return 8;
    case NS_TCP_STATE_LAST_ACK:
        return 9;
    case NS_TCP_STATE_LISTEN:
        return 10;
    case NS_TCP_STATE_CLOSING:
        return 11;
    }
    return 0;
}

static int64_t linux_ca_state(NsTcpCaState s)
{
    switch (s) {
    case NS_TCP_CA_OPEN:
        return 0;
    case NS_TCP_CA_DISORDER:
        return 1;
    case NS_TCP_CA_RECOVERY:
        return 3;
    case NS_TCP_CA_LOSS:
        return 4;
    }
    return 0;
}

static const struct {
    const char *name;
    int64_t value;
} code_constants[] = {
    {"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2},  {"TCP_SYN_RECV", 3},  {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5},   {"TCP_TIME_WAIT", 6}, {"TCP_CLOSE", 7},     {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9},    {"TCP_LISTEN", 10},   {"TCP_CLOSING", 11},  {"TCP_CA_Open", 0},
    {"TCP_CA_Disorder", 1}, {"TCP_CA_CWR", 2},    {"TCP_CA_Recovery", 3}, {"TCP_CA_Loss", 4},
    {"TCPI_OPT_TIMESTAMPS", 1}, {"TCPI_OPT_SACK", 2}, {"TCPI_OPT_WSCALE", 4},
    {"TCPI_OPT_ECN", 8},    {"TCPI_OPT_ECN_SEEN", 16}, {"TCPI_OPT_SYN_DATA", 32},
    {"True", 1},            {"False", 0},
};

/* A tcpi_* field of the snapshot in Linux's units; false if netsim does
 * not model it. */
bool pkt_tcpi_value(const NsTcpInfo *i, const char *name, double *out)
{
    uint32_t mss = i->mss ? i->mss : 1;
    struct {
        const char *name;
        double v;
    } f[] = {
        {"tcpi_state", (double)linux_state(i->state)},
        {"tcpi_ca_state", (double)linux_ca_state(i->ca_state)},
        {"tcpi_retransmits", i->backoff},
        {"tcpi_backoff", i->backoff},
        {"tcpi_options", (i->opt_ts ? 1 : 0) | (i->opt_sack ? 2 : 0) | (i->opt_wscale ? 4 : 0)},
        {"tcpi_snd_wscale", i->snd_wscale},
        {"tcpi_rcv_wscale", i->rcv_wscale},
        {"tcpi_rto", (double)(i->rto / 1000)},
        {"tcpi_snd_mss", i->mss},
        {"tcpi_rcv_mss", i->rcv_mss},
        {"tcpi_advmss", i->adv_mss - (i->opt_ts ? 12 : 0)}, /* less the TS option, as Linux */
        {"tcpi_unacked", i->unacked},
        {"tcpi_sacked", i->sacked},
        {"tcpi_rtt", (double)(i->srtt / 1000)},
        {"tcpi_rttvar", (double)(i->rttvar / 1000)},
        {"tcpi_snd_ssthresh", i->ssthresh_initial ? 0x7fffffff : (double)(i->ssthresh / mss)},
        {"tcpi_snd_cwnd", (double)(i->cwnd / mss)},
        {"tcpi_rcv_ssthresh", i->rcv_ssthresh},
        {"tcpi_total_retrans", (double)i->retransmits},
        {"tcpi_bytes_acked", (double)i->bytes_acked + (i->syn_acked ? 1 : 0)}, /* the SYN too */
        {"tcpi_bytes_received", (double)i->bytes_received},
        {"tcpi_segs_out", (double)i->segs_sent},
        {"tcpi_segs_in", (double)i->segs_received},
        {"tcpi_notsent_bytes", i->notsent},
        {"tcpi_snd_wnd", i->snd_wnd},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(f); k++)
        if (strcmp(f[k].name, name) == 0) {
            *out = f[k].v;
            return true;
        }
    return false;
}

/* ---------------- tokens ---------------- */

typedef enum { T_END, T_NUM, T_NAME, T_STR, T_OP } TokKind;

typedef struct {
    const char *s, *p;     /* the statement, the cursor */
    TokKind kind;
    const char *start;     /* of the token */
    size_t len;
    double num;
    /* evaluation */
    const NsTcpInfo *info;
    GHashTable *vars; /* char* -> double* */
    GString *err;     /* set: evaluation stops */
    GString *used;    /* "tcpi_x is 3, ..." for a failed assertion */
} Ev;

static bool is_name_char(char c, bool first)
{
    return c == '_' || g_ascii_isalpha(c) || (!first && g_ascii_isdigit(c));
}

static void next(Ev *e)
{
    while (*e->p == ' ' || *e->p == '\t' || *e->p == '\r')
        e->p++;
    e->start = e->p;
    if (!*e->p || *e->p == '#') {
        e->kind = T_END;
        e->len = 0;
        return;
    }
    if (g_ascii_isdigit(*e->p) || (*e->p == '.' && g_ascii_isdigit(e->p[1]))) {
        char *end;
        if (e->p[0] == '0' && (e->p[1] == 'x' || e->p[1] == 'X'))
            e->num = (double)g_ascii_strtoull(e->p, &end, 16);
        else
            e->num = g_ascii_strtod(e->p, &end);
        e->p = end;
        e->kind = T_NUM;
        e->len = (size_t)(e->p - e->start);
        return;
    }
    if (is_name_char(*e->p, true)) {
        while (is_name_char(*e->p, false))
            e->p++;
        e->kind = T_NAME;
        e->len = (size_t)(e->p - e->start);
        return;
    }
    if (*e->p == '"' || *e->p == '\'') {
        char q = *e->p++;
        while (*e->p && *e->p != q)
            e->p++;
        if (*e->p)
            e->p++;
        e->kind = T_STR;
        e->len = (size_t)(e->p - e->start);
        return;
    }
    static const char *const ops[] = {"**", "//", "==", "!=", "<=", ">=", "<<", ">>", "<",
                                       ">",  "+",  "-",  "*",  "/",  "%",  "&",  "|",  "^",
                                       "~",  "(",  ")",  ",",  "="};
    for (size_t i = 0; i < G_N_ELEMENTS(ops); i++) {
        size_t n = strlen(ops[i]);
        if (strncmp(e->p, ops[i], n) == 0) {
            e->p += n;
            e->kind = T_OP;
            e->len = n;
            return;
        }
    }
    e->kind = T_OP;
    e->len = 1;
    e->p++;
}

static bool is(const Ev *e, const char *text)
{
    return (e->kind == T_OP || e->kind == T_NAME) && e->len == strlen(text) &&
           strncmp(e->start, text, e->len) == 0;
}

static bool err(Ev *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool err(Ev *e, const char *fmt, ...)
{
    if (e->err->len)
        return false;
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(e->err, fmt, ap);
    va_end(ap);
    return false;
}

/* ---------------- expressions (Python's precedence) ---------------- */

static double expr(Ev *e);

static double name_value(Ev *e)
{
    g_autofree char *n = g_strndup(e->start, e->len);
    double v;
    double *var = g_hash_table_lookup(e->vars, n);
    if (var)
        return *var;
    for (size_t i = 0; i < G_N_ELEMENTS(code_constants); i++)
        if (strcmp(code_constants[i].name, n) == 0)
            return (double)code_constants[i].value;
    if (g_str_has_prefix(n, "tcpi_")) {
        if (!e->info) {
            err(e, "%s: no TCP socket to read TCP_INFO from", n);
            return 0;
        }
        if (!pkt_tcpi_value(e->info, n, &v)) {
            err(e, "%s is not modelled by netsim", n);
            return 0;
        }
        if (!strstr(e->used->str, n))
            g_string_append_printf(e->used, "%s%s is %.15g", e->used->len ? ", " : "", n, v);
        return v;
    }
    err(e, "the name %s is not known to netsim's %%{ }%% evaluator", n);
    return 0;
}

static double atom(Ev *e)
{
    if (e->err->len)
        return 0;
    if (e->kind == T_NUM) {
        double v = e->num;
        next(e);
        return v;
    }
    if (e->kind == T_NAME && !is(e, "not") && !is(e, "and") && !is(e, "or")) {
        double v = name_value(e);
        next(e);
        if (is(e, "("))
            err(e, "function calls are not evaluated by netsim");
        return v;
    }
    if (is(e, "(")) {
        next(e);
        double v = expr(e);
        if (!is(e, ")"))
            err(e, "')' expected");
        next(e);
        return v;
    }
    if (e->kind == T_END)
        err(e, "an expression expected");
    else
        err(e, "'%.*s' is not evaluated by netsim", (int)e->len, e->start);
    return 0;
}

/* x ** y for an integer y, by repeated squaring (exact for the integers
 * scripts raise). A fractional exponent is not evaluated: it is the one
 * use netsim would have for the maths library, which costs every run the
 * pages the loader maps of it (README, "How netsim is linked"). */
static double int_power(Ev *e, double x, double y)
{
    if (!(y >= -1e9 && y <= 1e9) || y != (double)(int64_t)y) {
        err(e, "'**' with an exponent that is not an integer is not evaluated by netsim");
        return 0;
    }
    int64_t n = (int64_t)y;
    uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;
    double r = 1, b = x;
    for (; u; u >>= 1, b *= b)
        if (u & 1)
            r *= b;
    return n < 0 ? 1 / r : r;
}

static double unary(Ev *e);

/* Python's power: an atom, then `**` and a unary expression (2 ** -1). */
static double power(Ev *e)
{
    double v = atom(e);
    if (is(e, "**")) {
        next(e);
        return int_power(e, v, unary(e));
    }
    return v;
}

static double unary(Ev *e)
{
    if (is(e, "-")) {
        next(e);
        return -unary(e);
    }
    if (is(e, "+")) {
        next(e);
        return unary(e);
    }
    if (is(e, "~")) {
        next(e);
        return (double)~(int64_t)unary(e);
    }
    return power(e);
}

static double term(Ev *e)
{
    double v = unary(e);
    for (;;) {
        const char *op = is(e, "*") ? "*" : is(e, "//") ? "//" : is(e, "/") ? "/" : is(e, "%") ? "%"
                                                                                               : NULL;
        if (!op)
            return v;
        next(e);
        double w = unary(e);
        if (op[0] != '*' && w == 0) {
            err(e, "division by zero");
            return 0;
        }
        v = op[0] == '*'  ? v * w
            : op[1] == '/' ? floor(v / w)
            : op[0] == '/' ? v / w
                           : v - w * floor(v / w);
    }
}

static double sum(Ev *e)
{
    double v = term(e);
    while (is(e, "+") || is(e, "-")) {
        bool plus = is(e, "+");
        next(e);
        double w = term(e);
        v = plus ? v + w : v - w;
    }
    return v;
}

static double shift(Ev *e)
{
    double v = sum(e);
    while (is(e, "<<") || is(e, ">>")) {
        bool left = is(e, "<<");
        next(e);
        int64_t w = (int64_t)sum(e);
        if (w < 0 || w > 62)
            return err(e, "shift count out of range"), 0;
        v = left ? (double)((int64_t)v << w) : (double)((int64_t)v >> w);
    }
    return v;
}

static double band(Ev *e)
{
    double v = shift(e);
    while (is(e, "&")) {
        next(e);
        v = (double)((int64_t)v & (int64_t)shift(e));
    }
    return v;
}

static double bxor(Ev *e)
{
    double v = band(e);
    while (is(e, "^")) {
        next(e);
        v = (double)((int64_t)v ^ (int64_t)band(e));
    }
    return v;
}

static double bor(Ev *e)
{
    double v = bxor(e);
    while (is(e, "|")) {
        next(e);
        v = (double)((int64_t)v | (int64_t)bxor(e));
    }
    return v;
}

/* a < b <= c: every link must hold (Python's chained comparisons) */
static double comparison(Ev *e)
{
    double v = bor(e);
    bool all = true, any = false;
    for (;;) {
        static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
        int k = -1;
        for (int i = 0; i < 6 && k < 0; i++)
            if (is(e, ops[i]))
                k = i;
        if (k < 0)
            break;
        next(e);
        double w = bor(e);
        bool ok = k == 0 ? v == w : k == 1 ? v != w : k == 2 ? v <= w : k == 3 ? v >= w
                                                      : k == 4 ? v < w
                                                               : v > w;
        all = all && ok;
        any = true;
        v = w;
    }
    return any ? (all ? 1 : 0) : v;
}

static double negation(Ev *e)
{
    if (is(e, "not")) {
        next(e);
        return negation(e) == 0;
    }
    return comparison(e);
}

static double conjunction(Ev *e)
{
    double v = negation(e);
    while (is(e, "and")) {
        next(e);
        double w = negation(e);
        v = v != 0 ? w : v;
    }
    return v;
}

static double expr(Ev *e)
{
    double v = conjunction(e);
    while (is(e, "or")) {
        next(e);
        double w = conjunction(e);
        v = v != 0 ? v : w;
    }
    return v;
}

/* ---------------- statements ---------------- */

static void var_free(gpointer p)
{
    g_free(p);
}

bool pkt_code_eval(const char *text, const NsTcpInfo *info, uint32_t *line_out, GString *msg)
{
    g_autoptr(GHashTable) vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, var_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (uint32_t ln = 0; lines[ln]; ln++) {
        g_auto(GStrv) stmts = g_strsplit(lines[ln], ";", -1);
        for (guint k = 0; stmts[k]; k++) {
            g_autoptr(GString) error = g_string_new(NULL), used = g_string_new(NULL);
            Ev e = {.s = stmts[k], .p = stmts[k], .info = info, .vars = vars, .err = error,
                    .used = used};
            next(&e);
            if (e.kind == T_END || is(&e, "pass"))
                continue;
            g_autofree char *stmt = g_strstrip(g_strdup(stmts[k]));
            *line_out = ln;
            if (is(&e, "print"))
                continue; /* output only: nothing to check */
            if (is(&e, "assert")) {
                next(&e);
                double v = expr(&e);
                if (!error->len && e.kind != T_END && !is(&e, ","))
                    err(&e, "'%.*s' is not evaluated by netsim", (int)e.len, e.start);
                if (error->len) {
                    g_string_append_printf(msg, "%%{ }%%: %s: %s", stmt, error->str);
                    return false;
                }
                if (v == 0) {
                    /* the condition ends where the message starts */
                    g_autofree char *cond =
                        is(&e, ",") ? g_strstrip(g_strndup(stmts[k], (gsize)(e.start - stmts[k])))
                                    : g_strdup(stmt);
                    g_string_append_printf(msg, "%%{ }%% assertion failed: %s", cond);
                    if (used->len)
                        g_string_append_printf(msg, " (netsim: %s)", used->str);
                    return false;
                }
                continue;
            }
            if (e.kind == T_NAME) {
                const char *name = e.start;
                size_t nlen = e.len;
                next(&e);
                if (is(&e, "=")) {
                    next(&e);
                    double v = expr(&e);
                    if (!error->len && e.kind != T_END)
                        err(&e, "'%.*s' is not evaluated by netsim", (int)e.len, e.start);
                    if (error->len) {
                        g_string_append_printf(msg, "%%{ }%%: %s: %s", stmt, error->str);
                        return false;
                    }
                    g_hash_table_insert(vars, g_strndup(name, nlen), g_memdup2(&v, sizeof v));
                    continue;
                }
            }
            g_string_append_printf(msg,
                                   "%%{ }%%: %s: netsim evaluates only assert, NAME = EXPR, "
                                   "print and pass statements",
                                   stmt);
            return false;
        }
    }
    return true;
}
