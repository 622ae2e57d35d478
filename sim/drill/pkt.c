/* The packetdrill script language (.pkt): a hand-written recursive-descent
 * parser. One statement per line (a system call's arguments may run over
 * several); comments are // to the end of the line and block comments;
 * `--flag=value` lines; `TIME EVENT` lines whose event is an inbound (<)
 * or outbound (>) packet, a system call, a backquoted shell command or a
 * %{ }% code block. Errors name FILE:LINE:COL. */
#include "drill-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(ns-pkt-error-quark, ns_pkt_error)

typedef struct {
    const char *name;
    const char *s;
    size_t n, pos;
    uint32_t line, col;
    uint32_t depth;
    GError **error;
    bool failed;
    bool v6; /* after --ip_version=ipv6: ICMP lines are ICMPv6 */
} Cur;

static int peekc(const Cur *c)
{
    return c->pos < c->n ? (unsigned char)c->s[c->pos] : -1;
}

static int peek_at(const Cur *c, size_t k)
{
    return c->pos + k < c->n ? (unsigned char)c->s[c->pos + k] : -1;
}

static void adv(Cur *c)
{
    if (c->pos >= c->n)
        return;
    if (c->s[c->pos] == '\n') {
        c->line++;
        c->col = 1;
    } else {
        c->col++;
    }
    c->pos++;
}

static bool fail_at(Cur *c, uint32_t line, uint32_t col, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static bool fail_at(Cur *c, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (c->failed)
        return false;
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(c->error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX, "%s:%u:%u: error: %s", c->name, line,
                col, msg);
    return false;
}

#define FAIL(c, ...) fail_at((c), (c)->line, (c)->col, __VA_ARGS__)

static bool starts(const Cur *c, const char *w)
{
    size_t k = strlen(w);
    return c->pos + k <= c->n && memcmp(c->s + c->pos, w, k) == 0;
}

/* Blanks and comments; newlines too when `nl`. */
static bool skip_ws(Cur *c, bool nl)
{
    for (;;) {
        int ch = peekc(c);
        if (ch == ' ' || ch == '\t' || ch == '\r' || (nl && ch == '\n')) {
            adv(c);
        } else if (ch == '/' && peek_at(c, 1) == '/') {
            while (peekc(c) != -1 && peekc(c) != '\n')
                adv(c);
        } else if (ch == '/' && peek_at(c, 1) == '*') {
            uint32_t l = c->line, col = c->col;
            adv(c);
            adv(c);
            while (peekc(c) != -1 && !(peekc(c) == '*' && peek_at(c, 1) == '/'))
                adv(c);
            if (peekc(c) == -1)
                return fail_at(c, l, col, "comment not closed (missing */)");
            adv(c);
            adv(c);
        } else {
            return true;
        }
    }
}

static bool at_eol(Cur *c)
{
    return peekc(c) == '\n' || peekc(c) == -1;
}

static bool expect_eol(Cur *c)
{
    if (!skip_ws(c, false))
        return false;
    if (peekc(c) == ';')
        adv(c);
    if (!skip_ws(c, false))
        return false;
    if (!at_eol(c))
        return FAIL(c, "unexpected '%c' at the end of the statement", peekc(c));
    return true;
}

static bool is_ident_start(int ch)
{
    return g_ascii_isalpha(ch) || ch == '_';
}

static bool is_ident_char(int ch)
{
    return g_ascii_isalnum(ch) || ch == '_';
}

static char *read_ident(Cur *c)
{
    size_t start = c->pos;
    while (is_ident_char(peekc(c)))
        adv(c);
    return g_strndup(c->s + start, c->pos - start);
}

/* An unsigned decimal or 0x hex integer up to `max`. */
static bool read_uint(Cur *c, uint64_t max, uint64_t *out, const char *what)
{
    if (!g_ascii_isdigit(peekc(c)))
        return FAIL(c, "expected %s (a number)", what);
    uint32_t l = c->line, col = c->col;
    uint64_t v = 0;
    int base = 10;
    if (peekc(c) == '0' && (peek_at(c, 1) == 'x' || peek_at(c, 1) == 'X')) {
        base = 16;
        adv(c);
        adv(c);
        if (!g_ascii_isxdigit(peekc(c)))
            return FAIL(c, "expected hex digits after 0x");
    }
    while (base == 16 ? g_ascii_isxdigit(peekc(c)) : g_ascii_isdigit(peekc(c))) {
        int d = g_ascii_xdigit_value((char)peekc(c));
        if (v > (max - (uint64_t)d) / (uint64_t)base)
            return fail_at(c, l, col, "%s is too large (at most %" G_GUINT64_FORMAT ")", what, max);
        v = v * (uint64_t)base + (uint64_t)d;
        adv(c);
    }
    *out = v;
    return true;
}

/* Seconds as written ("1", "0.100", ".5") to microseconds. */
static bool read_seconds(Cur *c, int64_t *us)
{
    uint64_t whole = 0, frac = 0;
    int digits = 0;
    if (g_ascii_isdigit(peekc(c))) {
        if (!read_uint(c, 1000000000u, &whole, "a time"))
            return false;
    } else if (peekc(c) != '.' || !g_ascii_isdigit(peek_at(c, 1))) {
        return FAIL(c, "expected a time in seconds");
    }
    if (peekc(c) == '.' && peek_at(c, 1) != '.') {
        adv(c);
        while (g_ascii_isdigit(peekc(c))) {
            if (digits < 6) {
                frac = frac * 10 + (uint64_t)(peekc(c) - '0');
                digits++;
            } else if (digits == 6 && peekc(c) != '0') {
                return FAIL(c, "times are kept to the microsecond");
            }
            adv(c);
        }
    }
    while (digits++ < 6)
        frac *= 10;
    *us = (int64_t)whole * 1000000 + (int64_t)frac;
    return true;
}

/* [+]SECONDS: relative when it starts with '+'. */
static bool read_time(Cur *c, bool *rel, int64_t *us)
{
    *rel = false;
    if (peekc(c) == '+') {
        *rel = true;
        adv(c);
    } else if (peekc(c) == '-') {
        return FAIL(c, "a time cannot be negative");
    }
    return read_seconds(c, us);
}

/* ---------------- expressions ---------------- */

static void expr_free(gpointer p)
{
    PktExpr *e = p;
    if (!e)
        return;
    g_free(e->str);
    if (e->sub)
        g_ptr_array_free(e->sub, TRUE);
    g_free(e);
}

static PktExpr *expr_new(PktExprKind k)
{
    PktExpr *e = g_new0(PktExpr, 1);
    e->kind = k;
    return e;
}

static PktExpr *parse_expr(Cur *c);

/* items up to `close`, separated by commas; newlines allowed inside. */
static bool parse_items(Cur *c, PktExpr *into, int close)
{
    into->sub = g_ptr_array_new_with_free_func(expr_free);
    if (!skip_ws(c, true))
        return false;
    if (peekc(c) == close) {
        adv(c);
        return true;
    }
    for (;;) {
        PktExpr *e = parse_expr(c);
        if (!e)
            return false;
        g_ptr_array_add(into->sub, e);
        if (!skip_ws(c, true))
            return false;
        if (peekc(c) == ',') {
            adv(c);
            continue;
        }
        if (peekc(c) == close) {
            adv(c);
            return true;
        }
        if (peekc(c) == -1)
            return FAIL(c, "missing '%c' before the end of the file", close);
        return FAIL(c, "expected ',' or '%c', found '%c'", close, peekc(c));
    }
}

static PktExpr *parse_primary(Cur *c)
{
    if (!skip_ws(c, true))
        return NULL;
    int ch = peekc(c);
    if (starts(c, "...")) {
        adv(c);
        adv(c);
        adv(c);
        return expr_new(PKT_E_ELLIPSIS);
    }
    if (ch == '-' || g_ascii_isdigit(ch)) {
        bool neg = ch == '-';
        if (neg)
            adv(c);
        uint64_t v;
        if (!read_uint(c, INT64_MAX, &v, "a number"))
            return NULL;
        PktExpr *e = expr_new(PKT_E_NUM);
        e->num = neg ? -(int64_t)v : (int64_t)v;
        return e;
    }
    if (ch == '"') {
        uint32_t l = c->line, col = c->col;
        adv(c);
        GString *s = g_string_new(NULL);
        while (peekc(c) != '"') {
            if (peekc(c) == -1 || peekc(c) == '\n') {
                g_string_free(s, TRUE);
                fail_at(c, l, col, "string not closed (missing \")");
                return NULL;
            }
            if (peekc(c) == '\\' && peek_at(c, 1) != -1 && peek_at(c, 1) != '\n') {
                adv(c);
                int e = peekc(c);
                g_string_append_c(s, e == 'n' ? '\n' : e == 't' ? '\t' : e == '0' ? '\0' : (char)e);
                adv(c);
                continue;
            }
            g_string_append_c(s, (char)peekc(c));
            adv(c);
        }
        adv(c);
        PktExpr *e = expr_new(PKT_E_STRING);
        e->num = (int64_t)s->len;
        e->str = g_string_free(s, FALSE);
        return e;
    }
    if (ch == '[' || ch == '{') {
        if (++c->depth > NS_PKT_MAX_NESTING) {
            FAIL(c, "expressions nest deeper than %u", NS_PKT_MAX_NESTING);
            return NULL;
        }
        adv(c);
        PktExpr *e = expr_new(ch == '[' ? PKT_E_LIST : PKT_E_STRUCT);
        if (!parse_items(c, e, ch == '[' ? ']' : '}')) {
            expr_free(e);
            return NULL;
        }
        c->depth--;
        return e;
    }
    if (is_ident_start(ch)) {
        char *id = read_ident(c);
        if (!skip_ws(c, false)) {
            g_free(id);
            return NULL;
        }
        if (peekc(c) == '(') {
            if (++c->depth > NS_PKT_MAX_NESTING) {
                g_free(id);
                FAIL(c, "expressions nest deeper than %u", NS_PKT_MAX_NESTING);
                return NULL;
            }
            adv(c);
            PktExpr *e = expr_new(PKT_E_CALL);
            e->str = id;
            if (!parse_items(c, e, ')')) {
                expr_free(e);
                return NULL;
            }
            c->depth--;
            return e;
        }
        if (peekc(c) == '=' && peek_at(c, 1) != '=') {
            adv(c);
            PktExpr *v = parse_expr(c);
            if (!v) {
                g_free(id);
                return NULL;
            }
            PktExpr *e = expr_new(PKT_E_FIELD);
            e->str = id;
            e->sub = g_ptr_array_new_with_free_func(expr_free);
            g_ptr_array_add(e->sub, v);
            return e;
        }
        PktExpr *e = expr_new(PKT_E_IDENT);
        e->str = id;
        return e;
    }
    if (ch == -1)
        FAIL(c, "expected a value before the end of the file");
    else
        FAIL(c, "expected a value, found '%c'", ch);
    return NULL;
}

static PktExpr *parse_expr(Cur *c)
{
    PktExpr *a = parse_primary(c);
    while (a) {
        if (!skip_ws(c, true)) {
            expr_free(a);
            return NULL;
        }
        if (peekc(c) != '|')
            return a;
        adv(c);
        PktExpr *b = parse_primary(c);
        if (!b) {
            expr_free(a);
            return NULL;
        }
        PktExpr *e = expr_new(PKT_E_OR);
        e->sub = g_ptr_array_new_with_free_func(expr_free);
        g_ptr_array_add(e->sub, a);
        g_ptr_array_add(e->sub, b);
        a = e;
    }
    return NULL;
}

const char *pkt_expr_kind_name(PktExprKind k)
{
    switch (k) {
    case PKT_E_NUM:
        return "a number";
    case PKT_E_IDENT:
        return "a name";
    case PKT_E_ELLIPSIS:
        return "...";
    case PKT_E_STRING:
        return "a string";
    case PKT_E_LIST:
        return "a list";
    case PKT_E_STRUCT:
        return "a structure";
    case PKT_E_FIELD:
        return "a field";
    case PKT_E_CALL:
        return "a call";
    case PKT_E_OR:
        return "an expression";
    }
    return "?";
}

/* ---------------- packets ---------------- */

static bool parse_flags(Cur *c, PktEvent *ev)
{
    uint32_t l = c->line, col = c->col;
    bool any = false;
    for (;;) {
        uint8_t f;
        switch (peekc(c)) {
        case 'F': f = NS_TCP_FIN; break;
        case 'S': f = NS_TCP_SYN; break;
        case 'R': f = NS_TCP_RST; break;
        case 'P': f = NS_TCP_PSH; break;
        case '.': f = NS_TCP_ACK; break;
        case 'U': f = NS_TCP_URG; break;
        case 'E': f = NS_TCP_ECE; break;
        case 'W': f = NS_TCP_CWR; break;
        default:
            if (!any)
                return fail_at(c, l, col, "expected TCP flags (S, S., ., P., F., R, R., ...)");
            if (!(peekc(c) == ' ' || peekc(c) == '\t'))
                return FAIL(c, "'%c' is not a TCP flag (flags are F S R P . U E W)", peekc(c));
            return true;
        }
        if (ev->flags & f)
            return FAIL(c, "flag '%c' given twice", peekc(c));
        ev->flags |= f;
        any = true;
        adv(c);
    }
}

static bool word_is(Cur *c, const char *w)
{
    size_t k = strlen(w);
    return starts(c, w) && !is_ident_char(peek_at(c, k));
}

static bool take_word(Cur *c, const char *w)
{
    if (!word_is(c, w))
        return false;
    for (size_t i = 0; i < strlen(w); i++)
        adv(c);
    return true;
}

static bool read_u32(Cur *c, uint32_t *v, const char *what)
{
    uint64_t x;
    if (!skip_ws(c, false) || !read_uint(c, UINT32_MAX, &x, what))
        return false;
    *v = (uint32_t)x;
    return true;
}

static bool parse_option(Cur *c, PktEvent *ev)
{
    if (ev->n_opts >= NS_TCP_MAX_OPTS)
        return FAIL(c, "too many TCP options (at most %d)", NS_TCP_MAX_OPTS);
    PktOpt *o = &ev->opts[ev->n_opts];
    memset(o, 0, sizeof *o);
    uint32_t l = c->line, col = c->col;
    if (take_word(c, "nop")) {
        o->kind = NS_TCP_OPT_NOP;
    } else if (take_word(c, "eol")) {
        o->kind = NS_TCP_OPT_EOL;
    } else if (take_word(c, "sackOK")) {
        o->kind = NS_TCP_OPT_SACK_PERM;
    } else if (take_word(c, "mss")) {
        o->kind = NS_TCP_OPT_MSS;
        if (!read_u32(c, &o->a, "the MSS"))
            return false;
        if (o->a > 65535)
            return fail_at(c, l, col, "an MSS fits in 16 bits (at most 65535)");
    } else if (take_word(c, "wscale")) {
        o->kind = NS_TCP_OPT_WSCALE;
        if (!read_u32(c, &o->a, "the window scale"))
            return false;
        if (o->a > 255)
            return fail_at(c, l, col, "a window scale fits in 8 bits");
    } else if (take_word(c, "TS")) {
        o->kind = NS_TCP_OPT_TS;
        if (!skip_ws(c, false))
            return false;
        if (!take_word(c, "val"))
            return FAIL(c, "expected 'val' after TS (TS val N ecr M)");
        if (!read_u32(c, &o->a, "the TS value") || !skip_ws(c, false))
            return false;
        if (!take_word(c, "ecr"))
            return FAIL(c, "expected 'ecr' after the TS value");
        if (!read_u32(c, &o->b, "the TS echo reply"))
            return false;
    } else if (take_word(c, "sack")) {
        o->kind = NS_TCP_OPT_SACK;
        for (;;) {
            if (!skip_ws(c, false))
                return false;
            if (!g_ascii_isdigit(peekc(c)))
                break;
            if (o->n_sack >= NS_TCP_MAX_SACK)
                return FAIL(c, "at most %d SACK blocks", NS_TCP_MAX_SACK);
            NsTcpSackBlock *b = &o->sack[o->n_sack++];
            if (!read_u32(c, &b->left, "a SACK block start"))
                return false;
            if (peekc(c) != ':')
                return FAIL(c, "expected ':' in a SACK block (START:END)");
            adv(c);
            if (!read_u32(c, &b->right, "a SACK block end"))
                return false;
        }
        if (o->n_sack == 0)
            return fail_at(c, l, col, "'sack' needs at least one block START:END");
    } else if (is_ident_start(peekc(c))) {
        g_autofree char *w = read_ident(c);
        return fail_at(c, l, col,
                       "TCP option '%s' is not supported (supported: mss, sackOK, TS val ecr, nop, "
                       "wscale, sack, eol)",
                       w);
    } else {
        return FAIL(c, "expected a TCP option");
    }
    ev->n_opts++;
    return true;
}

static bool parse_options(Cur *c, PktEvent *ev)
{
    adv(c); /* < */
    if (!skip_ws(c, false))
        return false;
    if (starts(c, "...")) {
        adv(c);
        adv(c);
        adv(c);
        if (!skip_ws(c, false))
            return false;
        if (peekc(c) != '>')
            return FAIL(c, "expected '>' after '<...'");
        adv(c);
        ev->any_opts = true;
        return true;
    }
    ev->has_opts = true;
    if (peekc(c) == '>') {
        adv(c);
        return true;
    }
    for (;;) {
        if (!skip_ws(c, false) || !parse_option(c, ev) || !skip_ws(c, false))
            return false;
        if (peekc(c) == ',') {
            adv(c);
            continue;
        }
        if (peekc(c) == '>') {
            adv(c);
            return true;
        }
        return FAIL(c, "expected ',' or '>' in the option list");
    }
}

static bool parse_tcp(Cur *c, PktEvent *ev)
{
    ev->proto = 6;
    if (!parse_flags(c, ev) || !skip_ws(c, false))
        return false;
    /* seq:end(len) */
    uint32_t l = c->line, col = c->col, end;
    if (!read_u32(c, &ev->seq, "the sequence number (START:END(LEN))"))
        return false;
    if (peekc(c) != ':')
        return FAIL(c, "expected ':' after the sequence number (START:END(LEN))");
    adv(c);
    if (!read_u32(c, &end, "the end sequence number"))
        return false;
    if (peekc(c) != '(')
        return FAIL(c, "expected '(LEN)' after START:END");
    adv(c);
    if (!read_u32(c, &ev->len, "the payload length"))
        return false;
    if (peekc(c) != ')')
        return FAIL(c, "expected ')' after the length");
    adv(c);
    if (end - ev->seq != ev->len)
        return fail_at(c, l, col, "%u:%u is %u bytes, not %u", ev->seq, end, end - ev->seq,
                       ev->len);
    if (ev->len > 65535 - 60)
        return fail_at(c, l, col, "a segment holds at most %u bytes", 65535 - 60);
    for (;;) {
        if (!skip_ws(c, false))
            return false;
        if (at_eol(c) || peekc(c) == ';')
            return true;
        if (take_word(c, "ack")) {
            if (ev->has_ack)
                return FAIL(c, "'ack' given twice");
            ev->has_ack = true;
            if (!read_u32(c, &ev->ack, "the acknowledgment number"))
                return false;
        } else if (take_word(c, "win")) {
            if (ev->has_win)
                return FAIL(c, "'win' given twice");
            ev->has_win = true;
            if (!read_u32(c, &ev->win, "the window"))
                return false;
            if (ev->win > 65535)
                return FAIL(c, "the window field holds 16 bits (at most 65535)");
        } else if (peekc(c) == '<') {
            if (ev->has_opts || ev->any_opts)
                return FAIL(c, "options given twice");
            if (!parse_options(c, ev))
                return false;
        } else if (is_ident_start(peekc(c))) {
            uint32_t wl = c->line, wc = c->col;
            g_autofree char *w = read_ident(c);
            return fail_at(c, wl, wc, "unexpected '%s' in a TCP packet (ack, win or <options>)",
                           w);
        } else {
            return FAIL(c, "unexpected '%c' in a TCP packet", peekc(c));
        }
    }
}

/* ICMP types and their codes as packetdrill names them: ICMPv4's (RFC 792,
 * RFC 1812 5.2.7.1: the codes of "unreachable") and, in an IPv6 script,
 * ICMPv6's (RFC 4443: the codes of "unreachable", "time_exceeded" and
 * "parameter_problem"). Several names may give one code ("net_unreachable"
 * is ICMPv6's "no_route", 0): the first is the one written back. */
typedef struct {
    const char *name;
    uint8_t code;
} IcmpCode;
typedef struct {
    const char *name;
    uint8_t type;
    const IcmpCode *codes;
    size_t n_codes;
} IcmpType;

static const IcmpCode unreach_codes[] = {
    {"net_unreachable", 0},         {"host_unreachable", 1},
    {"protocol_unreachable", 2},    {"port_unreachable", 3},
    {"frag_needed", 4},             {"source_route_failed", 5},
    {"net_unknown", 6},             {"host_unknown", 7},
    {"source_host_isolated", 8},    {"net_prohibited", 9},
    {"host_prohibited", 10},        {"net_unreachable_for_tos", 11},
    {"host_unreachable_for_tos", 12}, {"packet_filtered", 13},
    {"precedence_violation", 14},   {"precedence_cutoff", 15},
};
static const IcmpType icmp_types[] = {
    {"echo_reply", 0, NULL, 0},
    {"unreachable", 3, unreach_codes, G_N_ELEMENTS(unreach_codes)},
    {"source_quench", 4, NULL, 0},
    {"redirect", 5, NULL, 0},
    {"echo_request", 8, NULL, 0},
    {"time_exceeded", 11, NULL, 0},
    {"parameter_problem", 12, NULL, 0},
};
static const IcmpCode unreach6_codes[] = {
    {"no_route", 0},         {"net_unreachable", 0},     {"admin_prohibited", 1},
    {"not_neighbour", 2},    {"address_unreachable", 3}, {"port_unreachable", 4},
};
static const IcmpCode exceed6_codes[] = {{"exceeded_hop_limit", 0}, {"exceeded_frag_time", 1}};
static const IcmpCode param6_codes[] = {
    {"header_field", 0}, {"unknown_next_header", 1}, {"unknown_option", 2}};
static const IcmpType icmp6_types[] = {
    {"unreachable", 1, unreach6_codes, G_N_ELEMENTS(unreach6_codes)},
    {"packet_too_big", 2, NULL, 0},
    {"time_exceeded", 3, exceed6_codes, G_N_ELEMENTS(exceed6_codes)},
    {"parameter_problem", 4, param6_codes, G_N_ELEMENTS(param6_codes)},
    {"echo_request", 128, NULL, 0},
    {"echo_reply", 129, NULL, 0},
};

static const IcmpType *icmp_type_of(bool v6, uint8_t type)
{
    const IcmpType *t = v6 ? icmp6_types : icmp_types;
    size_t n = v6 ? G_N_ELEMENTS(icmp6_types) : G_N_ELEMENTS(icmp_types);
    for (size_t i = 0; i < n; i++)
        if (t[i].type == type)
            return &t[i];
    return NULL;
}

const char *pkt_icmp_type_name(bool v6, uint8_t type)
{
    const IcmpType *t = icmp_type_of(v6, type);
    return t ? t->name : NULL;
}

const char *pkt_icmp_code_name(bool v6, uint8_t type, uint8_t code)
{
    const IcmpType *t = icmp_type_of(v6, type);
    for (size_t i = 0; t && i < t->n_codes; i++)
        if (t->codes[i].code == code)
            return t->codes[i].name;
    return NULL;
}

static bool read_word(Cur *c, char *buf, size_t n)
{
    size_t k = 0;
    while (is_ident_char(peekc(c)) && k + 1 < n) {
        buf[k++] = (char)peekc(c);
        adv(c);
    }
    buf[k] = 0;
    return k > 0;
}

/* icmp TYPE [CODE] [mtu N] [[SEQ:END(LEN)] | [udp (LEN)]] (packetdrill's
 * order; `type_N` and `code_N` name any number). */
static bool parse_icmp(Cur *c, PktEvent *ev)
{
    char w[32];
    if (!skip_ws(c, false))
        return false;
    uint32_t l = c->line, col = c->col;
    if (!read_word(c, w, sizeof w))
        return FAIL(c, "expected the ICMP type (unreachable, time_exceeded, ...)");
    bool found = false;
    unsigned v;
    char extra;
    const IcmpType *types = c->v6 ? icmp6_types : icmp_types;
    size_t n_types = c->v6 ? G_N_ELEMENTS(icmp6_types) : G_N_ELEMENTS(icmp_types);
    for (size_t i = 0; i < n_types && !found; i++)
        if (strcmp(w, types[i].name) == 0) {
            ev->icmp_type = types[i].type;
            found = true;
        }
    if (!found && sscanf(w, "type_%u%c", &v, &extra) == 1 && v <= 255) {
        ev->icmp_type = (uint8_t)v;
        found = true;
    }
    if (!found)
        return fail_at(c, l, col, c->v6 ? "'%s' is no ICMPv6 type netsim knows (unreachable, "
                                          "packet_too_big, time_exceeded, ..., type_N)"
                                        : "'%s' is no ICMP type netsim knows (unreachable, "
                                          "time_exceeded, echo_request, ..., type_N)",
                       w);
    const IcmpType *type = icmp_type_of(c->v6, ev->icmp_type);
    ev->echoed_proto = 6;
    if (!skip_ws(c, false))
        return false;
    l = c->line, col = c->col;
    if (is_ident_char(peekc(c)) && !word_is(c, "mtu")) {
        read_word(c, w, sizeof w);
        found = false;
        for (size_t i = 0; type && i < type->n_codes && !found; i++)
            if (strcmp(w, type->codes[i].name) == 0) {
                ev->icmp_code = type->codes[i].code;
                found = true;
            }
        if (!found && sscanf(w, "code_%u%c", &v, &extra) == 1 && v <= 255) {
            ev->icmp_code = (uint8_t)v;
            found = true;
        }
        if (!found)
            return fail_at(c, l, col, "'%s' is no code of ICMP%s %s", w, c->v6 ? "v6" : "",
                           type && type->n_codes ? type->name : "messages of this type");
        if (!skip_ws(c, false))
            return false;
    }
    if (take_word(c, "mtu")) {
        uint32_t mtu;
        if (!skip_ws(c, false))
            return false;
        l = c->line, col = c->col;
        if (!read_u32(c, &mtu, "the MTU"))
            return false;
        if (c->v6) {
            /* (packetdrill: the MTU of packet too big, 32 bits) */
            if (ev->icmp_type != 2 || ev->icmp_code != 0)
                return fail_at(c, l, col, "an MTU is only for packet_too_big");
        } else {
            if (ev->icmp_type != 3 || ev->icmp_code != 4)
                return fail_at(c, l, col, "an MTU is only for unreachable frag_needed");
            if (mtu < 68 || mtu > 65535)
                return fail_at(c, l, col, "the MTU must be 68 to 65535, not %u", mtu);
        }
        ev->icmp_mtu = mtu;
        if (!skip_ws(c, false))
            return false;
    }
    if (peekc(c) == '[') {
        adv(c);
        if (!skip_ws(c, false))
            return false;
        if (take_word(c, "udp")) {
            ev->echoed_proto = 17;
            if (!skip_ws(c, false))
                return false;
            if (peekc(c) != '(')
                return FAIL(c, "expected '(LEN)' after udp");
            adv(c);
            if (!read_u32(c, &ev->len, "the UDP payload length"))
                return false;
            if (ev->len > 65507)
                return FAIL(c, "a UDP datagram holds at most 65507 bytes");
            if (peekc(c) != ')')
                return FAIL(c, "expected ')' after the length");
            adv(c);
        } else {
            uint32_t end;
            l = c->line, col = c->col;
            if (!read_u32(c, &ev->seq, "the quoted segment's START:END(LEN)"))
                return false;
            if (peekc(c) != ':')
                return FAIL(c, "expected ':' after the sequence number (START:END(LEN))");
            adv(c);
            if (!read_u32(c, &end, "the end sequence number"))
                return false;
            if (peekc(c) != '(')
                return FAIL(c, "expected '(LEN)' after START:END");
            adv(c);
            if (!read_u32(c, &ev->len, "the payload length"))
                return false;
            if (peekc(c) != ')')
                return FAIL(c, "expected ')' after the length");
            adv(c);
            if (end - ev->seq != ev->len)
                return fail_at(c, l, col, "%u:%u is %u bytes, not %u", ev->seq, end,
                               end - ev->seq, ev->len);
            if (ev->len > 65535 - 60)
                return fail_at(c, l, col, "a segment holds at most 65475 bytes");
        }
        if (!skip_ws(c, false))
            return false;
        if (peekc(c) != ']')
            return FAIL(c, "expected ']' after the quoted datagram");
        adv(c);
    }
    return true;
}

static bool parse_packet(Cur *c, PktEvent *ev)
{
    ev->kind = PKT_EV_PACKET;
    ev->outbound = peekc(c) == '>';
    adv(c);
    if (!skip_ws(c, false))
        return false;
    if (take_word(c, "udp")) {
        ev->proto = 17;
        if (!skip_ws(c, false))
            return false;
        if (peekc(c) != '(')
            return FAIL(c, "expected '(LEN)' after udp");
        adv(c);
        if (!read_u32(c, &ev->len, "the UDP payload length"))
            return false;
        if (ev->len > 65507)
            return FAIL(c, "a UDP datagram holds at most 65507 bytes");
        if (peekc(c) != ')')
            return FAIL(c, "expected ')' after the length");
        adv(c);
        return true;
    }
    if (take_word(c, "icmp")) {
        ev->proto = 1;
        size_t start = c->pos;
        if (!parse_icmp(c, ev))
            return false;
        ev->icmp_text = g_strndup(c->s + start, c->pos - start);
        char *comment = strstr(ev->icmp_text, "//");
        if (comment)
            *comment = 0;
        g_strstrip(ev->icmp_text);
        return true;
    }
    uint32_t l = c->line, col = c->col;
    if (!parse_tcp(c, ev))
        return false;
    if (!ev->outbound && !ev->has_win)
        return fail_at(c, l, col, "an inbound TCP packet needs its window (win N)");
    if (!ev->outbound && ev->any_opts)
        return fail_at(c, l, col, "<...> (any options) is for outbound packets only");
    return true;
}

/* ---------------- system calls ---------------- */

static bool parse_syscall(Cur *c, PktEvent *ev)
{
    ev->kind = PKT_EV_SYSCALL;
    ev->name = read_ident(c);
    if (!skip_ws(c, false))
        return false;
    if (peekc(c) != '(')
        return FAIL(c, "expected '(' after the system call name '%s'", ev->name);
    adv(c);
    PktExpr holder = {0};
    if (!parse_items(c, &holder, ')')) {
        if (holder.sub)
            g_ptr_array_free(holder.sub, TRUE);
        return false;
    }
    ev->args = holder.sub;
    if (!skip_ws(c, false))
        return false;
    if (peekc(c) != '=')
        return FAIL(c, "expected '= RESULT' after the call");
    adv(c);
    if (!skip_ws(c, false))
        return false;
    bool neg = false;
    if (peekc(c) == '-') {
        neg = true;
        adv(c);
    }
    uint64_t v;
    if (!read_uint(c, INT32_MAX, &v, "the result"))
        return false;
    ev->ret = neg ? -(int64_t)v : (int64_t)v;
    if (!skip_ws(c, false))
        return false;
    if (is_ident_start(peekc(c))) {
        uint32_t l = c->line, col = c->col;
        ev->err_name = read_ident(c);
        ev->err = ns_errno_from_name(ev->err_name);
        if (!ev->err)
            return fail_at(c, l, col, "unknown errno name '%s'", ev->err_name);
        if (ev->ret != -1)
            return fail_at(c, l, col, "an errno goes with the result -1");
        if (!skip_ws(c, false))
            return false;
        if (peekc(c) == '(') {
            /* (the error's text, as strerror gives it: not checked) */
            while (!at_eol(c) && peekc(c) != ')')
                adv(c);
            if (peekc(c) != ')')
                return FAIL(c, "missing ')' after the error text");
            adv(c);
        }
    } else if (ev->ret == -1) {
        return FAIL(c, "a result of -1 needs its errno (= -1 ENAME (text))");
    }
    return true;
}

/* ---------------- statements ---------------- */

static void event_free(gpointer p)
{
    PktEvent *ev = p;
    g_free(ev->icmp_text);
    g_free(ev->name);
    if (ev->args)
        g_ptr_array_free(ev->args, TRUE);
    g_free(ev->err_name);
    g_free(ev->text);
    g_free(ev);
}

void ns_pkt_free(NsPkt *pkt)
{
    if (!pkt)
        return;
    g_ptr_array_free(pkt->events, TRUE);
    g_free(pkt->name);
    g_free(pkt->flag_unsupported);
    g_strfreev(pkt->lines);
    g_free(pkt);
}

uint32_t ns_pkt_event_count(const NsPkt *pkt)
{
    return pkt->events->len;
}

/* --name=value lines (packetdrill's command-line options, in the script). */
static bool parse_flag_line(Cur *c, NsPkt *pkt)
{
    uint32_t l = c->line, col = c->col;
    adv(c);
    adv(c);
    size_t start = c->pos;
    while (is_ident_char(peekc(c)) || peekc(c) == '-')
        adv(c);
    g_autofree char *name = g_strndup(c->s + start, c->pos - start);
    g_autofree char *value = NULL;
    if (peekc(c) == '=') {
        adv(c);
        size_t vs = c->pos;
        while (!at_eol(c) && peekc(c) != ' ' && peekc(c) != '\t')
            adv(c);
        value = g_strndup(c->s + vs, c->pos - vs);
    }
    if (!*name)
        return fail_at(c, l, col, "expected a flag name after '--'");
    if (strcmp(name, "tolerance_usecs") == 0) {
        char *end;
        gint64 v = value ? g_ascii_strtoll(value, &end, 10) : -1;
        if (!value || *end || v < 0 || v > 1000000000)
            return fail_at(c, l, col, "--tolerance_usecs takes microseconds (0..1000000000)");
        pkt->tolerance_us = v;
    } else if (strcmp(name, "ip_version") == 0) {
        if (!value || (strcmp(value, "ipv4") != 0 && strcmp(value, "ipv6") != 0 &&
                       strcmp(value, "ipv4-mapped-ipv6") != 0))
            return fail_at(c, l, col, "--ip_version is ipv4, ipv6 or ipv4-mapped-ipv6");
        pkt->ip_version = strcmp(value, "ipv6") == 0   ? PKT_IPV6
                          : strcmp(value, "ipv4") == 0 ? PKT_IPV4
                                                       : PKT_IPV4_MAPPED;
        c->v6 = pkt->ip_version == PKT_IPV6;
    } else if (strcmp(name, "mss") == 0) {
        char *end;
        gint64 v = value ? g_ascii_strtoll(value, &end, 10) : -1;
        if (!value || *end || v < 64 || v > 65495)
            return fail_at(c, l, col, "--mss takes a segment size (64..65495)");
        pkt->mss = (int)v;
    } else if (strcmp(name, "local_ip") == 0 || strcmp(name, "remote_ip") == 0) {
        /* an address (packetdrill's remote one may carry its /prefix) */
        PktAddr *a = name[0] == 'l' ? &pkt->local_ip : &pkt->remote_ip;
        g_autofree char *text = g_strdup(value ? value : "");
        char *slash = strchr(text, '/');
        if (slash && name[0] == 'r')
            *slash = 0;
        unsigned b[4];
        char extra;
        *a = (PktAddr){.given = true, .line = l};
        if (strchr(text, ':')) {
            a->v6 = ns_ipv6_parse_addr(text, &a->a6);
            if (a->v6 && (ns_ipv6_is_unspecified(&a->a6) || ns_ipv6_is_multicast(&a->a6) ||
                          ns_ipv6_is_link_local(&a->a6) || ns_ipv6_v4_mapped(&a->a6, &a->v4)))
                return fail_at(c, l, col, "--%s takes a unicast address, not %s", name, text);
            if (!a->v6)
                return fail_at(c, l, col, "--%s: '%s' is no IPv6 address", name, text);
        } else if (sscanf(text, "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &extra) == 4 &&
                   b[0] <= 255 && b[1] <= 255 && b[2] <= 255 && b[3] <= 255 && b[0] != 0 &&
                   b[0] < 224 && b[0] != 127) {
            a->v4 = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        } else {
            return fail_at(c, l, col, "--%s takes an IPv4 or IPv6 unicast address, not '%s'",
                           name, text);
        }
    } else if (!pkt->flag_unsupported) {
        pkt->flag_line = l;
        pkt->flag_unsupported = g_strdup(name);
    }
    return expect_eol(c);
}

/* Text up to `close` (` or }%), possibly over several lines. */
static bool parse_block(Cur *c, PktEvent *ev, PktEvKind kind, const char *close)
{
    uint32_t l = c->line, col = c->col;
    ev->kind = kind;
    size_t skip = kind == PKT_EV_SHELL ? 1 : 2;
    for (size_t i = 0; i < skip; i++)
        adv(c);
    size_t start = c->pos;
    while (peekc(c) != -1 && !starts(c, close))
        adv(c);
    if (peekc(c) == -1)
        return fail_at(c, l, col, "%s not closed (missing %s)",
                       kind == PKT_EV_SHELL ? "shell command" : "code block", close);
    ev->text = g_strndup(c->s + start, c->pos - start);
    for (size_t i = 0; i < strlen(close); i++)
        adv(c);
    return true;
}

static bool parse_event(Cur *c, NsPkt *pkt)
{
    PktEvent *ev = g_new0(PktEvent, 1);
    g_ptr_array_add(pkt->events, ev);
    if (pkt->events->len > NS_PKT_MAX_EVENTS) {
        c->failed = true;
        g_set_error(c->error, NS_PKT_ERROR, NS_PKT_ERROR_LIMIT,
                    "%s:%u:%u: error: more than %u events in one script", c->name, c->line,
                    c->col, NS_PKT_MAX_EVENTS);
        return false;
    }
    ev->line = c->line;
    ev->col = c->col;
    if (peekc(c) == '`') {
        /* a command with no time, as scripts start: at +0 */
        ev->tkind = PKT_T_REL;
    } else if (peekc(c) == '*') {
        adv(c);
        ev->tkind = PKT_T_ANY;
    } else {
        bool rel;
        if (!read_time(c, &rel, &ev->t_us))
            return false;
        ev->tkind = rel ? PKT_T_REL : PKT_T_ABS;
        /* (blanks around ~ and ... are allowed, as packetdrill's lexer
         * does: "+.002 ... 0.004") */
        Cur at = *c;
        while (peekc(c) == ' ' || peekc(c) == '\t')
            adv(c);
        if (peekc(c) != '~' && !starts(c, "..."))
            *c = at;
        if (peekc(c) == '~' || starts(c, "...")) {
            ev->range = peekc(c) == '~';
            ev->blocking = !ev->range;
            for (int i = ev->range ? 1 : 3; i > 0; i--)
                adv(c);
            while (peekc(c) == ' ' || peekc(c) == '\t')
                adv(c);
            bool rel2;
            if (!read_time(c, &rel2, &ev->end_us))
                return false;
            ev->end_rel = rel2;
            if (!rel2 && !rel && ev->end_us < ev->t_us)
                return FAIL(c, "the end of a time range comes before its start");
        }
    }
    if (!skip_ws(c, false))
        return false;
    int ch = peekc(c);
    bool ok;
    if (ch == '<' || ch == '>')
        ok = parse_packet(c, ev);
    else if (ch == '`')
        ok = parse_block(c, ev, PKT_EV_SHELL, "`");
    else if (ch == '%' && peek_at(c, 1) == '{')
        ok = parse_block(c, ev, PKT_EV_CODE, "}%");
    else if (is_ident_start(ch))
        ok = parse_syscall(c, ev);
    else if (at_eol(c))
        return FAIL(c, "expected an event after the time (a packet, a system call, `command` "
                       "or %%{ code }%%)");
    else
        return FAIL(c, "unexpected '%c': expected a packet (< or >), a system call, `command` "
                       "or %%{ code }%%",
                    ch);
    if (!ok)
        return false;
    if (ev->blocking && ev->kind != PKT_EV_SYSCALL)
        return fail_at(c, ev->line, ev->col, "only a system call can block (t1...t2)");
    return expect_eol(c);
}

NsPkt *ns_pkt_parse(const char *name, const char *text, size_t len, GError **error)
{
    return ns_pkt_parse_ip(name, text, len, NS_DRILL_IPV4, error);
}

NsPkt *ns_pkt_parse_ip(const char *name, const char *text, size_t len, NsDrillIpVersion ip,
                       GError **error)
{
    g_return_val_if_fail(name && (text || len == 0), NULL);
    if (len > NS_PKT_MAX_BYTES) {
        g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_LIMIT,
                    "%s: error: the script is larger than %u bytes", name, NS_PKT_MAX_BYTES);
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        g_set_error(error, NS_PKT_ERROR, NS_PKT_ERROR_SYNTAX,
                    "%s: error: the script holds a NUL byte (not a text file)", name);
        return NULL;
    }
    g_autoptr(NsPkt) pkt = g_new0(NsPkt, 1);
    pkt->name = g_strdup(name);
    g_autofree char *copy = g_strndup(text, len);
    pkt->lines = g_strsplit(copy, "\n", -1);
    pkt->events = g_ptr_array_new_with_free_func(event_free);
    pkt->tolerance_us = -1;
    pkt->ip_version = ip;
    Cur c = {.name = name, .s = text, .n = len, .line = 1, .col = 1, .error = error,
             .v6 = ip == NS_DRILL_IPV6};
    for (;;) {
        if (!skip_ws(&c, true))
            return NULL;
        if (peekc(&c) == -1)
            break;
        if (starts(&c, "--")) {
            if (!parse_flag_line(&c, pkt))
                return NULL;
        } else if (!parse_event(&c, pkt)) {
            return NULL;
        }
    }
    return g_steal_pointer(&pkt);
}
