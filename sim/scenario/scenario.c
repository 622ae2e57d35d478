/* Loading a scenario: the file is lexed once, repeat blocks are matched,
 * then the expansion is walked once per statement pass (declarations before
 * uses), and every diagnostic is collected, de-duplicated across repeat
 * values and listed in line order. Any diagnostic means no scenario. */
#include "netsim/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netsim/wire/ipv6.h"
#include "scenario-private.h"

G_DEFINE_QUARK(ns-scenario-error-quark, ns_scenario_error)

/* Past this many distinct diagnostics the rest are not even collected. */
#define COLLECT_LIMIT 10000u

/* ---- Names of enum values ---- */

const char *ns_scn_app_verb_name(NsScnAppVerb verb)
{
    static const char *const names[] = {
        [NS_SCN_APP_VERB_FETCH] = "fetch",       [NS_SCN_APP_VERB_RESOLVE] = "resolve",
        [NS_SCN_APP_VERB_PING] = "ping",         [NS_SCN_APP_VERB_UDP_SEND] = "udp-send",
        [NS_SCN_APP_VERB_MAIL] = "mail",
        [NS_SCN_APP_VERB_TRACEROUTE] = "traceroute",
    };
    g_return_val_if_fail((size_t)verb < G_N_ELEMENTS(names), "?");
    return names[verb];
}

const char *ns_scn_sock_verb_name(NsScnSockVerb verb)
{
    static const char *const names[] = {
        [NS_SCN_SOCK_VERB_SOCKET] = "socket",     [NS_SCN_SOCK_VERB_BIND] = "bind",
        [NS_SCN_SOCK_VERB_LISTEN] = "listen",     [NS_SCN_SOCK_VERB_ACCEPT] = "accept",
        [NS_SCN_SOCK_VERB_CONNECT] = "connect",   [NS_SCN_SOCK_VERB_SEND] = "send",
        [NS_SCN_SOCK_VERB_RECV] = "recv",         [NS_SCN_SOCK_VERB_SENDTO] = "sendto",
        [NS_SCN_SOCK_VERB_RECVFROM] = "recvfrom", [NS_SCN_SOCK_VERB_SHUTDOWN] = "shutdown",
        [NS_SCN_SOCK_VERB_CLOSE] = "close",       [NS_SCN_SOCK_VERB_SETSOCKOPT] = "setsockopt",
    };
    g_return_val_if_fail((size_t)verb < G_N_ELEMENTS(names), "?");
    return names[verb];
}

const char *ns_scn_fault_verb_name(NsScnFaultVerb verb)
{
    static const char *const names[] = {
        [NS_SCN_FAULT_VERB_LINK_DOWN] = "link down",
        [NS_SCN_FAULT_VERB_LINK_UP] = "link up",
        [NS_SCN_FAULT_VERB_LINK_SET] = "link",
        [NS_SCN_FAULT_VERB_NETWORK_DOWN] = "network down",
        [NS_SCN_FAULT_VERB_NETWORK_UP] = "network up",
        [NS_SCN_FAULT_VERB_NETWORK_SET] = "network",
        [NS_SCN_FAULT_VERB_HOST_CRASH] = "host crash",
        [NS_SCN_FAULT_VERB_HOST_RESTART] = "host restart",
        [NS_SCN_FAULT_VERB_FILTER] = "filter",
        [NS_SCN_FAULT_VERB_UNFILTER] = "unfilter",
        [NS_SCN_FAULT_VERB_ROUTE] = "route",
        [NS_SCN_FAULT_VERB_UNROUTE] = "unroute",
    };
    g_return_val_if_fail((size_t)verb < G_N_ELEMENTS(names), "?");
    return names[verb];
}

const char *ns_scn_step_verb_name(const NsScnStep *st)
{
    switch (st->kind) {
    case NS_SCN_STEP_APP:
        return ns_scn_app_verb_name(st->verb.app);
    case NS_SCN_STEP_SOCKET:
        return ns_scn_sock_verb_name(st->verb.sock);
    case NS_SCN_STEP_FAULT:
        return ns_scn_fault_verb_name(st->verb.fault);
    }
    return "?";
}

/* The socket a step acts on (the one it creates, for `socket`). */
uint32_t ns_scn_step_socket(const NsScnStep *st)
{
    if (st->kind != NS_SCN_STEP_SOCKET)
        return UINT32_MAX;
    switch (st->verb.sock) {
    case NS_SCN_SOCK_VERB_SOCKET:
        return st->u.socket.sock;
    case NS_SCN_SOCK_VERB_BIND:
    case NS_SCN_SOCK_VERB_CONNECT:
        return st->u.addr.sock;
    case NS_SCN_SOCK_VERB_SEND:
    case NS_SCN_SOCK_VERB_SENDTO:
        return st->u.send.sock;
    case NS_SCN_SOCK_VERB_RECV:
    case NS_SCN_SOCK_VERB_RECVFROM:
        return st->u.recv.sock;
    case NS_SCN_SOCK_VERB_SHUTDOWN:
        return st->u.shutdown.sock;
    case NS_SCN_SOCK_VERB_CLOSE:
        return st->u.close.sock;
    case NS_SCN_SOCK_VERB_SETSOCKOPT:
        return st->u.sockopt.sock;
    case NS_SCN_SOCK_VERB_LISTEN:
        return st->u.listen.sock;
    case NS_SCN_SOCK_VERB_ACCEPT:
        return st->u.accept.sock;
    }
    return UINT32_MAX;
}

const char *ns_scn_tcp_state_name(NsScnTcpState state)
{
    static const char *const names[NS_SCN_TCP_N_STATES] = {
        "CLOSED",     "LISTEN",     "SYN-SENT",   "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",    "LAST-ACK",     "TIME-WAIT",
    };
    g_return_val_if_fail((unsigned)state < NS_SCN_TCP_N_STATES, "?");
    return names[state];
}

/* ---- Diagnostics ---- */

void ns_scn_diag_free(NsScnDiag *diag)
{
    if (!diag)
        return;
    g_free(diag->file);
    g_free(diag->ctx);
    g_free(diag->message);
    g_free(diag->text);
    g_free(diag);
}

const char *ns_scn_context(NsScnParser *p)
{
    if (p->ctx_valid)
        return p->ctx;
    p->ctx_valid = true;
    p->ctx = NULL;
    if (p->n_vars == 0)
        return NULL;
    g_autoptr(GString) s = g_string_new("in repeat ");
    for (uint32_t k = 0; k < p->n_vars; k++)
        g_string_append_printf(s, "%s%s=%" G_GINT64_FORMAT, k ? ", " : "", p->vars[k].name,
                               p->vars[k].value);
    /* Each pass expands the repeat blocks again: one copy for all of them
     * (W3 kept four of each iteration's text, one per pass). */
    p->ctx = g_hash_table_lookup(p->interned, s->str);
    if (!p->ctx) {
        p->ctx = g_string_chunk_insert_len(p->scn->strings, s->str, (gssize)s->len);
        g_hash_table_add(p->interned, (char *)p->ctx);
    }
    return p->ctx;
}

void ns_scn_verror(NsScnParser *p, bool limit, uint32_t line, uint32_t col, const char *fmt,
                   va_list ap)
{
    if (limit)
        p->limit_hit = true;
    p->n_errors++;
    if (p->diags->len >= COLLECT_LIMIT)
        return;
    char *message = g_strdup_vprintf(fmt, ap);
    char *key = g_strdup_printf("%u:%u:%s", line, col, message);
    if (!g_hash_table_add(p->diag_seen, key)) {
        g_free(message);
        return;
    }
    NsScnPDiag d = {
        .line = line,
        .col = col,
        .seq = p->diags->len,
        .ctx = g_strdup(ns_scn_context(p)),
        .message = message,
    };
    g_array_append_val(p->diags, d);
}

void ns_scn_error(NsScnParser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ns_scn_verror(p, false, line, col, fmt, ap);
    va_end(ap);
}

void ns_scn_limit_error(NsScnParser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ns_scn_verror(p, true, line, col, fmt, ap);
    va_end(ap);
}

static int cmp_diag(gconstpointer a, gconstpointer b)
{
    const NsScnPDiag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    /* Within a line, the order found: in a repeat block that is the order
     * of the loop values, which reads better than by column. */
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static NsScnDiag *diag_new(const char *file, uint32_t line, uint32_t col, const char *ctx,
                           const char *message)
{
    NsScnDiag *d = g_new0(NsScnDiag, 1);
    d->file = g_strdup(file);
    d->line = line;
    d->col = col;
    d->ctx = g_strdup(ctx);
    d->message = g_strdup(message);
    if (line)
        d->text = g_strdup_printf("%s:%u:%u: error: %s%s%s%s", file, line, col, message,
                                  ctx ? " (" : "", ctx ? ctx : "", ctx ? ")" : "");
    else
        d->text = g_strdup_printf("%s: error: %s", file, message);
    return d;
}

/* Sorts, truncates and hands the diagnostics over; sets `error` if any. */
static bool report(NsScnParser *p, GPtrArray **diags_out, GError **error)
{
    g_array_sort(p->diags, cmp_diag);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)ns_scn_diag_free);
    for (unsigned k = 0; k < p->diags->len; k++) {
        const NsScnPDiag *d = &g_array_index(p->diags, NsScnPDiag, k);
        if (k == NS_SCN_MAX_DIAGS) {
            g_autofree char *msg = g_strdup_printf("too many errors (limit %u); stopping here",
                                                   NS_SCN_MAX_DIAGS);
            g_ptr_array_add(out, diag_new(p->file, d->line, d->col, NULL, msg));
            break;
        }
        g_ptr_array_add(out, diag_new(p->file, d->line, d->col, d->ctx, d->message));
    }
    bool ok = out->len == 0;
    if (!ok) {
        g_autoptr(GString) all = g_string_new(NULL);
        for (unsigned k = 0; k < out->len; k++) {
            if (k)
                g_string_append_c(all, '\n');
            g_string_append(all, ((NsScnDiag *)out->pdata[k])->text);
        }
        g_set_error_literal(error, NS_SCENARIO_ERROR,
                            p->limit_hit ? NS_SCENARIO_ERROR_LIMIT : NS_SCENARIO_ERROR_INVALID,
                            all->str);
    }
    if (diags_out)
        *diags_out = g_steal_pointer(&out);
    return ok;
}

/* ---- Lexing and block structure ---- */

static bool valid_var(const char *s)
{
    if (!(g_ascii_isalpha(s[0]) || s[0] == '_'))
        return false;
    for (const char *c = s + 1; *c; c++)
        if (!(g_ascii_isalnum(*c) || *c == '_'))
            return false;
    return true;
}

static const NsScnTok *line_tok(NsScnParser *p, const NsScnLine *l, uint32_t k)
{
    return &g_array_index(p->toks, NsScnTok, l->first_tok + k);
}

/* Checks `repeat N as VAR` (N is evaluated later, per expansion). */
static bool check_repeat(NsScnParser *p, NsScnLine *l, const GArray *stack)
{
    const NsScnTok *t = line_tok(p, l, 0);
    uint32_t end_col = t[l->n_toks - 1].col + t[l->n_toks - 1].raw_len + 1;
    if (l->n_toks < 2) {
        ns_scn_error(p, l->line, end_col, "expected a count after 'repeat'");
        return false;
    }
    if (t[1].quoted) {
        ns_scn_error(p, l->line, t[1].col, "expected a count after 'repeat', not a string");
        return false;
    }
    if (l->n_toks < 3 || t[2].quoted || strcmp(t[2].text, "as") != 0) {
        ns_scn_error(p, l->line, l->n_toks < 3 ? end_col : t[2].col,
                     "expected 'as VARIABLE' after 'repeat %s'", t[1].text);
        return false;
    }
    if (l->n_toks < 4) {
        ns_scn_error(p, l->line, end_col, "expected a variable name after 'repeat %s as'",
                     t[1].text);
        return false;
    }
    if (t[3].quoted || !valid_var(t[3].text) || t[3].len > NS_SCN_MAX_NAME) {
        ns_scn_error(p, l->line, t[3].col, "'%s' is not a valid variable name (letters, digits "
                     "and '_', not starting with a digit)", t[3].quoted ? "a string" : t[3].text);
        return false;
    }
    if (l->n_toks > 4) {
        ns_scn_error(p, l->line, t[4].col, "unexpected '%s' after 'repeat %s as %s'",
                     t[4].quoted ? "a string" : t[4].text, t[1].text, t[3].text);
        return false;
    }
    for (unsigned k = 0; k < stack->len; k++) {
        const NsScnLine *outer =
            &g_array_index(p->lines, NsScnLine, g_array_index(stack, uint32_t, k));
        if (!outer->bad && strcmp(line_tok(p, outer, 3)->text, t[3].text) == 0) {
            ns_scn_error(p, l->line, t[3].col,
                         "variable '%s' is already used by the repeat on line %u", t[3].text,
                         outer->line);
            return false;
        }
    }
    return true;
}

/* Which passes each repeat block's body has statements for, so that a pass
 * skips a block with nothing for it instead of counting through its
 * iterations (two million of them cost seconds under a sanitizer). */
static void mark_repeat_passes(NsScnParser *p, GArray *stack)
{
    g_array_set_size(stack, 0);
    for (uint32_t i = 0; i < p->lines->len; i++) {
        while (stack->len &&
               g_array_index(p->lines, NsScnLine, g_array_index(stack, uint32_t, stack->len - 1))
                       .match <= i)
            g_array_set_size(stack, stack->len - 1);
        NsScnLine *l = &g_array_index(p->lines, NsScnLine, i);
        if (l->kind == NS_SCN_LINE_REPEAT) {
            l->passes = 0;
            g_array_append_val(stack, i);
        } else if (l->kind == NS_SCN_LINE_STMT) {
            const NsScnTok *raw = line_tok(p, l, 0);
            uint32_t bit = 1u << (raw->quoted ? 0 : ns_scn_stmt_pass(raw->text));
            for (unsigned k = 0; k < stack->len; k++)
                g_array_index(p->lines, NsScnLine, g_array_index(stack, uint32_t, k)).passes |=
                    bit;
        }
    }
}

static void lex_file(NsScnParser *p, const char *text, size_t len)
{
    g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    uint32_t lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        lineno++;
        if (n > 0 && s[n - 1] == '\r')
            n--; /* CRLF files read the same */
        if (n > NS_SCN_MAX_LINE) {
            ns_scn_limit_error(p, lineno, 1, "line longer than the limit of %u bytes",
                               NS_SCN_MAX_LINE);
            continue;
        }
        const char *nul = memchr(s, '\0', n);
        if (nul) {
            ns_scn_error(p, lineno, (uint32_t)(nul - s) + 1,
                         "NUL byte in the file (write \\0 inside a string)");
            continue;
        }
        unsigned before = p->toks->len;
        uint32_t err_col;
        char *err = NULL;
        if (!ns_scn_lex_line(s, n, p->toks, p->tmpl, &err_col, &err)) {
            g_array_set_size(p->toks, before);
            bool limit = g_str_has_prefix(err, "string longer than the limit");
            (limit ? ns_scn_limit_error : ns_scn_error)(p, lineno, err_col, "%s", err);
            g_free(err);
            continue;
        }
        if (p->toks->len == before)
            continue;
        NsScnLine l = {.line = lineno, .first_tok = before, .n_toks = p->toks->len - before};
        const NsScnTok *t0 = line_tok(p, &l, 0);
        uint32_t idx = p->lines->len;
        if (!t0->quoted && strcmp(t0->text, "repeat") == 0) {
            l.kind = NS_SCN_LINE_REPEAT;
            l.bad = !check_repeat(p, &l, stack);
            if (!l.bad && stack->len >= NS_SCN_MAX_DEPTH) {
                ns_scn_limit_error(p, lineno, t0->col,
                                   "repeat blocks nested deeper than the limit of %u",
                                   NS_SCN_MAX_DEPTH);
                l.bad = true;
            }
            g_array_append_val(p->lines, l);
            g_array_append_val(stack, idx);
        } else if (!t0->quoted && strcmp(t0->text, "end") == 0) {
            l.kind = NS_SCN_LINE_END;
            if (l.n_toks > 1) {
                const NsScnTok *t1 = line_tok(p, &l, 1);
                ns_scn_error(p, lineno, t1->col, "unexpected '%s' after 'end'",
                             t1->quoted ? "a string" : t1->text);
            }
            if (stack->len == 0) {
                ns_scn_error(p, lineno, t0->col, "'end' without a matching 'repeat'");
                continue;
            }
            g_array_append_val(p->lines, l);
            uint32_t open = g_array_index(stack, uint32_t, stack->len - 1);
            g_array_set_size(stack, stack->len - 1);
            g_array_index(p->lines, NsScnLine, open).match = idx;
        } else {
            l.kind = NS_SCN_LINE_STMT;
            g_array_append_val(p->lines, l);
        }
    }
    /* An unclosed block runs to the end of the file, so its lines are still
     * checked; the missing `end` is reported where the block opens. */
    for (unsigned k = 0; k < stack->len; k++) {
        NsScnLine *l = &g_array_index(p->lines, NsScnLine, g_array_index(stack, uint32_t, k));
        l->match = p->lines->len;
        ns_scn_error(p, l->line, line_tok(p, l, 0)->col, "'repeat' without a matching 'end'");
    }
    mark_repeat_passes(p, stack);
}

/* ---- Expansion ---- */

/* Counts one unit of expansion work against NS_SCN_MAX_STMTS (in the first
 * pass, which bounds the later ones): a statement, or an iteration of a
 * repeat block that expanded to no statement, so that empty or `repeat 0`
 * bodies cannot spin unbounded. False once the limit is passed. */
static bool count_work(NsScnParser *p, uint32_t line, uint32_t top_line, bool empty)
{
    if (p->pass != NS_SCN_PASS_HEADER || ++p->n_stmts <= NS_SCN_MAX_STMTS)
        return true;
    /* Reported at the outermost block, which is what to shrink; the values
     * reached so far would not help. */
    p->ctx = NULL;
    p->ctx_valid = true;
    ns_scn_limit_error(p, top_line ? top_line : line, 1,
                       "more than %u statements%s after expanding repeat blocks (limit)",
                       NS_SCN_MAX_STMTS, empty ? " and empty repeat iterations" : "");
    p->abort_passes = true;
    return false;
}

static void run_stmt(NsScnParser *p, const NsScnLine *l, uint32_t top_line)
{
    if (!count_work(p, l->line, top_line, false))
        return;
    const NsScnTok *raw = line_tok(p, l, 0);
    int pass = raw->quoted ? 0 : ns_scn_stmt_pass(raw->text);
    if (pass == 0 && p->pass == NS_SCN_PASS_HEADER) {
        NsScnStmt st = {.line = l->line, .t = (NsScnTok *)raw, .n = l->n_toks};
        ns_scn_unknown_stmt(p, &st);
    }
    if (pass != p->pass)
        return;
    g_string_chunk_clear(p->scratch);
    g_array_set_size(p->stmt_toks, l->n_toks);
    NsScnTok *t = (NsScnTok *)(void *)p->stmt_toks->data;
    for (uint32_t k = 0; k < l->n_toks; k++) {
        t[k] = raw[k];
        if (raw[k].quoted || !strchr(raw[k].text, '{'))
            continue;
        size_t off;
        char *err = NULL;
        char *sub = ns_scn_substitute(raw[k].text, p->vars, p->n_vars, &off, &err);
        if (!sub) {
            ns_scn_error(p, l->line, raw[k].col + (uint32_t)off, "%s", err);
            g_free(err);
            return;
        }
        t[k].text = g_string_chunk_insert(p->scratch, sub);
        t[k].len = (uint32_t)strlen(sub);
        g_free(sub);
    }
    NsScnStmt st = {.line = l->line, .ctx = ns_scn_context(p), .t = t, .n = l->n_toks};
    ns_scn_parse_stmt(p, &st);
}

/* Walks lines [from, to) with the current variables; `top_line` is the
 * outermost enclosing repeat, where an expansion limit is reported. */
static void expand(NsScnParser *p, uint32_t from, uint32_t to, uint32_t top_line)
{
    for (uint32_t i = from; i < to && !p->abort_passes; i++) {
        NsScnLine *l = &g_array_index(p->lines, NsScnLine, i);
        if (l->kind == NS_SCN_LINE_STMT) {
            run_stmt(p, l, top_line);
            continue;
        }
        if (l->kind != NS_SCN_LINE_REPEAT)
            continue;
        uint32_t match = l->match;
        if (l->bad || (p->pass != NS_SCN_PASS_HEADER && !(l->passes & (1u << p->pass)))) {
            i = match;
            continue;
        }
        const NsScnTok *t = line_tok(p, l, 0);
        size_t off;
        char *err = NULL;
        char *count_text = ns_scn_substitute(t[1].text, p->vars, p->n_vars, &off, &err);
        uint64_t count = 0;
        if (!count_text) {
            ns_scn_error(p, l->line, t[1].col + (uint32_t)off, "%s", err);
            g_free(err);
            i = match;
            continue;
        }
        bool ok = g_ascii_isdigit(count_text[0]);
        for (const char *c = count_text; ok && *c; c++)
            ok = g_ascii_isdigit(*c) && g_uint64_checked_mul(&count, count, 10) &&
                 g_uint64_checked_add(&count, count, (uint64_t)(*c - '0'));
        if (!ok || count > NS_SCN_MAX_STMTS) {
            ns_scn_error(p, l->line, t[1].col,
                         "repeat count '%s' must be a whole number from 0 to %u", count_text,
                         NS_SCN_MAX_STMTS);
            g_free(count_text);
            i = match;
            continue;
        }
        g_free(count_text);
        uint32_t depth = p->n_vars++;
        p->vars[depth].name = t[3].text;
        /* One iteration's errors say what to fix: the block stops there, in
         * this pass and the later ones, rather than repeat them (an unknown
         * word two million times) or run the rest unchecked by the first
         * pass's expansion limit. */
        if (l->stopped_at && count > l->stopped_at)
            count = l->stopped_at;
        for (uint64_t v = 1; v <= count && !p->abort_passes; v++) {
            p->vars[depth].value = (int64_t)v;
            p->ctx_valid = false;
            uint64_t before = p->n_stmts, errors = p->n_errors;
            expand(p, i + 1, match, top_line ? top_line : l->line);
            if (p->n_errors != errors) {
                l = &g_array_index(p->lines, NsScnLine, i);
                l->stopped_at = v;
                break;
            }
            if (p->n_stmts == before && !count_work(p, l->line, top_line, true))
                break;
        }
        p->n_vars--;
        p->ctx_valid = false;
        i = match;
    }
}

/* ---- Parser lifetime ---- */

static NsScenario *scenario_new(const char *filename)
{
    NsScenario *scn = g_new0(NsScenario, 1);
    scn->strings = g_string_chunk_new(4096);
    scn->filename = g_string_chunk_insert(scn->strings, filename);
    scn->seed = 1;
    scn->networks = g_array_new(FALSE, TRUE, sizeof(NsScnNetwork));
    scn->hosts = g_new0(NsScnList, 1);
    scn->links = g_new0(NsScnList, 1);
    scn->switches = g_array_new(FALSE, TRUE, sizeof(NsScnSwitch));
    scn->switch_ports = g_array_new(FALSE, TRUE, sizeof(NsScnSwitchPort));
    scn->services = g_array_new(FALSE, TRUE, sizeof(NsScnService));
    scn->sockets = g_array_new(FALSE, TRUE, sizeof(NsScnSocket));
    scn->programs = g_array_new(FALSE, TRUE, sizeof(NsScnProgram));
    scn->steps = g_new0(NsScnList, 1);
    scn->faults = g_array_new(FALSE, TRUE, sizeof(NsScnFault));
    scn->filters = g_array_new(FALSE, TRUE, sizeof(NsScnFilter));
    scn->nats = g_array_new(FALSE, TRUE, sizeof(NsScnNat));
    scn->routes = g_array_new(FALSE, TRUE, sizeof(NsScnRoute));
    scn->expects = g_new0(NsScnList, 1);
    scn->questions = g_array_new(FALSE, TRUE, sizeof(NsScnQuestion));
    return scn;
}

void ns_scenario_free(NsScenario *scn)
{
    if (!scn)
        return;
    for (unsigned k = 0; k < scn->hosts->len; k++) {
        NsScnHost *h = &((NsScnHost *)scn->hosts->data)[k];
        if (!scn->host_addrs)
            g_free(h->addrs);
        g_free(h->addrs6);
        g_free(h->dns_names);
    }
    for (unsigned k = 0; k < scn->services->len; k++)
        g_free(g_array_index(scn->services, NsScnService, k).pages);
    g_array_unref(scn->networks);
    ns_scn_list_free(scn->hosts);
    ns_scn_list_free(scn->links);
    g_array_unref(scn->switches);
    g_array_unref(scn->switch_ports);
    g_array_unref(scn->services);
    g_array_unref(scn->sockets);
    g_array_unref(scn->programs);
    ns_scn_list_free(scn->steps);
    g_array_unref(scn->faults);
    g_array_unref(scn->filters);
    g_array_unref(scn->nats);
    g_array_unref(scn->routes);
    ns_scn_list_free(scn->expects);
    g_array_unref(scn->questions);
    g_string_chunk_free(scn->strings);
    g_free(scn->host_addrs);
    g_free(scn);
}

static void parser_init(NsScnParser *p, NsScenario *scn)
{
    *p = (NsScnParser){.scn = scn, .file = scn->filename};
    p->lines = g_array_new(FALSE, FALSE, sizeof(NsScnLine));
    p->toks = g_array_new(FALSE, FALSE, sizeof(NsScnTok));
    p->tmpl = g_string_chunk_new(4096);
    p->scratch = g_string_chunk_new(1024);
    p->interned = g_hash_table_new(g_str_hash, g_str_equal);
    p->stmt_toks = g_array_new(FALSE, FALSE, sizeof(NsScnTok));
    p->diags = g_array_new(FALSE, FALSE, sizeof(NsScnPDiag));
    p->diag_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->host_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->dns_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->net_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->sw_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->addr_owner = g_hash_table_new(g_direct_hash, g_direct_equal);
    p->addr6_owner = g_hash_table_new_full(ns_ipv6_addr_key_hash, ns_ipv6_addr_key_equal, g_free, NULL);
    p->link_by_pair = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->service_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->sock_by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->prog_by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->step_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->net_cidr_col = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    p->host_resolver_col = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    p->sock_closed = g_array_new(FALSE, FALSE, sizeof(bool));
}

static void parser_clear(NsScnParser *p)
{
    for (unsigned k = 0; k < p->diags->len; k++) {
        NsScnPDiag *d = &g_array_index(p->diags, NsScnPDiag, k);
        g_free(d->ctx);
        g_free(d->message);
    }
    g_array_unref(p->diags);
    g_hash_table_unref(p->diag_seen);
    g_array_unref(p->lines);
    g_array_unref(p->toks);
    g_string_chunk_free(p->tmpl);
    g_string_chunk_free(p->scratch);
    g_hash_table_unref(p->interned);
    g_array_unref(p->stmt_toks);
    g_hash_table_unref(p->host_by_name);
    g_hash_table_unref(p->dns_by_name);
    g_hash_table_unref(p->net_by_name);
    g_hash_table_unref(p->sw_by_name);
    g_hash_table_unref(p->addr_owner);
    g_hash_table_unref(p->addr6_owner);
    g_hash_table_unref(p->link_by_pair);
    g_hash_table_unref(p->service_key);
    g_hash_table_unref(p->sock_by_name);
    g_hash_table_unref(p->prog_by_name);
    g_hash_table_unref(p->step_key);
    for (size_t k = 0; k < G_N_ELEMENTS(p->net_by_prefix); k++)
        if (p->net_by_prefix[k])
            g_hash_table_unref(p->net_by_prefix[k]);
    g_array_unref(p->net_cidr_col);
    g_array_unref(p->host_resolver_col);
    g_array_unref(p->sock_closed);
}

/* ---- Entry points ---- */

void ns_scn_list_append(NsScnList *l, const void *elt, size_t size)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->data = g_realloc_n(l->data, l->cap, size);
    }
    memcpy((char *)l->data + (size_t)l->len * size, elt, size);
    l->len++;
}

/* Once the file has parsed, the list is cut to its size for the whole run
 * (a shrinking realloc gives the rest back without a copy beside it; W1's
 * 10,000 `at` and 10,000 `expect` lines kept 1.6 MB of slack). Nothing
 * points into it: steps and expectations are named by index. */
static void scn_list_trim(NsScnList *l, size_t size)
{
    if (l->len == l->cap)
        return;
    if (l->len == 0)
        g_clear_pointer(&l->data, g_free);
    else
        l->data = g_realloc_n(l->data, l->len, size);
    l->cap = l->len;
}

void ns_scn_list_free(NsScnList *l)
{
    if (!l)
        return;
    g_free(l->data);
    g_free(l);
}

/* Every host's IPv4 addresses in one block, in host order: one host
 * line's one address had an allocation of its own (12 bytes, 32 with
 * malloc's header and rounding; W3 has a host line per client). */
static void host_addrs_pack(NsScenario *scn)
{
    size_t n = 0;
    for (unsigned k = 0; k < scn->hosts->len; k++)
        n += ((NsScnHost *)scn->hosts->data)[k].n_addrs;
    if (n == 0)
        return;
    NsScnHostAddr *block = g_new(NsScnHostAddr, n), *at = block;
    for (unsigned k = 0; k < scn->hosts->len; k++) {
        NsScnHost *h = &((NsScnHost *)scn->hosts->data)[k];
        if (h->n_addrs)
            memcpy(at, h->addrs, h->n_addrs * sizeof *at);
        g_free(h->addrs);
        h->addrs = h->n_addrs ? at : NULL;
        at += h->n_addrs;
    }
    scn->host_addrs = block;
}

static NsScenario *fail_whole_file(const char *filename, NsScenarioError code,
                                   const char *message, GPtrArray **diags, GError **error)
{
    NsScnDiag *d = diag_new(filename, code == NS_SCENARIO_ERROR_IO ? 0 : 1, 1, NULL, message);
    g_set_error_literal(error, NS_SCENARIO_ERROR, code, d->text);
    if (diags) {
        *diags = g_ptr_array_new_with_free_func((GDestroyNotify)ns_scn_diag_free);
        g_ptr_array_add(*diags, d);
    } else {
        ns_scn_diag_free(d);
    }
    return NULL;
}

NsScenario *ns_scenario_parse_full(const char *filename, const char *text, size_t len,
                                   GPtrArray **diags, GError **error)
{
    g_return_val_if_fail(filename != NULL, NULL);
    g_return_val_if_fail(text != NULL || len == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (len > NS_SCN_MAX_FILE_SIZE) {
        g_autofree char *msg = g_strdup_printf("file larger than the limit of %u bytes",
                                               NS_SCN_MAX_FILE_SIZE);
        return fail_whole_file(filename, NS_SCENARIO_ERROR_LIMIT, msg, diags, error);
    }
    g_autoptr(NsScenario) scn = scenario_new(filename);
    NsScnParser p;
    parser_init(&p, scn);
    lex_file(&p, text, len);
    for (p.pass = NS_SCN_PASS_HEADER; p.pass <= NS_SCN_N_PASSES && !p.abort_passes; p.pass++) {
        expand(&p, 0, p.lines->len, 0);
        if (p.abort_passes)
            break;
        if (p.pass == NS_SCN_PASS_HEADER)
            ns_scn_check_networks(&p);
        else if (p.pass == NS_SCN_PASS_HOSTS)
            ns_scn_check_resolvers(&p);
        else if (p.pass == NS_SCN_PASS_WIRING)
            ns_scn_check_reachable(&p);
    }
    bool ok = report(&p, diags, error);
    parser_clear(&p);
    if (!ok)
        return NULL;
    scn_list_trim(scn->hosts, sizeof(NsScnHost));
    scn_list_trim(scn->links, sizeof(NsScnLink));
    scn_list_trim(scn->steps, sizeof(NsScnStep));
    scn_list_trim(scn->expects, sizeof(NsScnExpect));
    host_addrs_pack(scn);
    return g_steal_pointer(&scn);
}

NsScenario *ns_scenario_parse(const char *filename, const char *text, size_t len,
                              GError **error)
{
    return ns_scenario_parse_full(filename, text, len, NULL, error);
}

NsScenario *ns_scenario_load(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    /* Read with a size check first: a huge file is refused before it is
     * read into memory. */
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
     * below, as is anything but a regular file). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        g_autofree char *msg = g_strdup_printf("cannot open: %s", g_strerror(errno));
        return fail_whole_file(path, NS_SCENARIO_ERROR_IO, msg, NULL, error);
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        g_autofree char *msg = g_strdup_printf("cannot read: %s", g_strerror(e));
        return fail_whole_file(path, NS_SCENARIO_ERROR_IO, msg, NULL, error);
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        const char *what = S_ISDIR(sb.st_mode)    ? "is a directory"
                           : S_ISFIFO(sb.st_mode) ? "is a FIFO, not a regular file"
                           : S_ISCHR(sb.st_mode)  ? "is a character device, not a regular file"
                           : S_ISBLK(sb.st_mode)  ? "is a block device, not a regular file"
                           : S_ISSOCK(sb.st_mode) ? "is a socket, not a regular file"
                                                  : "is not a regular file";
        g_autofree char *msg = g_strdup_printf("cannot read: %s", what);
        return fail_whole_file(path, NS_SCENARIO_ERROR_IO, msg, NULL, error);
    }
    /* A regular file never blocks; reads go on as usual. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if ((uint64_t)sb.st_size > NS_SCN_MAX_FILE_SIZE) {
        close(fd);
        g_autofree char *msg = g_strdup_printf("file larger than the limit of %u bytes",
                                               NS_SCN_MAX_FILE_SIZE);
        return fail_whole_file(path, NS_SCENARIO_ERROR_LIMIT, msg, NULL, error);
    }
    g_autofree char *buf = g_malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            g_autofree char *msg = g_strdup_printf("cannot read: %s", g_strerror(e));
            return fail_whole_file(path, NS_SCENARIO_ERROR_IO, msg, NULL, error);
        }
        if (r == 0 || (got += (size_t)r) == (size_t)sb.st_size)
            break;
    }
    close(fd);
    return ns_scenario_parse_full(path, buf, got, NULL, error);
}
