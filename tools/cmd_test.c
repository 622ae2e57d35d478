/* `netsim test`: scenarios as regression tests. A scenario passes when its
 * expect lines hold and its golden trace (NAME.trace beside NAME.scn), if
 * any, matches the run byte for byte. Failures print a unified line diff
 * (Myers, "An O(ND) Difference Algorithm", 1986) or the failed expectation;
 * runs go in parallel with the report printed in order; JUnit XML for CI.
 * User guide: docs/testing.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "common.h"
#include "netsim/drill.h"
#include "netsim/scenario.h"
#include "netsim/units.h"
#include "netsim/trace-text.h"
#include "netsim/world.h"

/* Same event budget as `netsim run`. */
#define DEFAULT_MAX_EVENTS UINT64_C(2000000000)
#define DIFF_CONTEXT 3         /* lines of context around a change */
#define DIFF_MAX_LINES 200     /* diff lines shown per failure */
#define DIFF_MAX_D 1000        /* edit distance beyond which Myers gives up */
#define MAX_SEEDS UINT64_C(1000000)

typedef struct {
    bool update, quiet;
    bool has_seeds;
    uint64_t seed_lo, seed_hi;
    uint64_t max_events;
    unsigned jobs;
    unsigned shard_k, shard_n; /* 1-based K of N; 1/1 = everything */
    const char *junit;
    const char *self;          /* this netsim, run once per scenario */
    gint64 timeout_us;         /* per run; 0 = none */
    const char *timeout_text;  /* as given */
} TestOpts;

typedef enum { V_PASS, V_FAIL, V_SKIP, V_BAD } Verdict;

typedef struct {
    char *path;   /* normalised; also the name the scenario runs under */
    char *golden; /* NAME.trace beside it */
    guint first_unit, n_units;
} Case;

/* One run of one scenario with one seed, and what came of it. */
typedef struct {
    const Case *c;
    const TestOpts *o;
    bool has_seed; /* else the file's own seed */
    uint64_t seed;
    /* results, written by the worker before `done` */
    Verdict verdict;
    uint64_t ran_seed;
    gint64 usec;
    char *message; /* one line: why it failed or was skipped */
    char *detail;  /* the failure text, unindented, '\n'-terminated lines */
    char *updated; /* "updated X (+a -b lines)" or NULL */
    bool done;
} Unit;

static void unit_clear(Unit *u)
{
    g_free(u->message);
    g_free(u->detail);
    g_free(u->updated);
}

/* ---- lines and the line diff ---- */

typedef struct {
    const char *s;
    size_t len;   /* without the '\n' */
    bool nl;      /* ends with '\n' (only the last line may not) */
    uint32_t hash;
} Line;

static GArray *split_lines(const char *buf, size_t len)
{
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(Line));
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
        Line l = {.s = buf + i, .len = n, .nl = nl != NULL, .hash = 5381};
        for (size_t k = 0; k < n; k++)
            l.hash = l.hash * 33u + (uint8_t)buf[i + k];
        g_array_append_val(lines, l);
        i += n + (nl ? 1 : 0);
    }
    return lines;
}

static bool line_eq(const Line *a, const Line *b)
{
    return a->hash == b->hash && a->len == b->len && a->nl == b->nl &&
           memcmp(a->s, b->s, a->len) == 0;
}

typedef enum { OP_EQ, OP_DEL, OP_INS } OpKind;

/* An edit step. `a` and `b` are the positions in the old and new lines
 * before the step: the line deleted is old[a], the line inserted new[b]. */
typedef struct {
    OpKind kind;
    uint32_t a, b;
} Op;

static void push_op(GArray *ops, OpKind kind, size_t a, size_t b)
{
    Op op = {kind, (uint32_t)a, (uint32_t)b};
    g_array_append_val(ops, op);
}

/* Myers' V vectors, all kept for the backtrack: V of step d holds, for
 * each diagonal k in -d..d, the furthest x reached; (D+1)^2 entries in all. */
static inline size_t vix(int64_t d, int64_t k)
{
    return (size_t)(d * d + d + k);
}

/* Whether the furthest d-path on diagonal k came down from diagonal k+1
 * (an insertion) rather than right from k-1 (a deletion). */
static inline bool came_down(const int64_t *v, int64_t d, int64_t k)
{
    return k == -d || (k != d && v[vix(d - 1, k - 1)] < v[vix(d - 1, k + 1)]);
}

/* Myers' greedy forward search on old[0..n) and new[0..m). Appends the
 * edit script, reversed, with positions offset by `off`; false (nothing
 * appended) when the distance exceeds DIFF_MAX_D. */
static bool myers(const Line *a, size_t n, const Line *b, size_t m, size_t off, GArray *rev)
{
    int64_t max_d = (int64_t)MIN(n + m, (size_t)DIFF_MAX_D), found = -1;
    g_autoptr(GArray) vs = g_array_new(FALSE, TRUE, sizeof(int64_t));
    for (int64_t d = 0; d <= max_d && found < 0; d++) {
        g_array_set_size(vs, (guint)vix(d + 1, -(d + 1)));
        int64_t *v = (int64_t *)(void *)vs->data;
        for (int64_t k = -d; k <= d; k += 2) {
            int64_t x = d == 0                ? 0
                        : came_down(v, d, k) ? v[vix(d - 1, k + 1)]
                                             : v[vix(d - 1, k - 1)] + 1;
            int64_t y = x - k;
            while (x < (int64_t)n && y < (int64_t)m && line_eq(&a[x], &b[y])) {
                x++;
                y++;
            }
            v[vix(d, k)] = x;
            if (x >= (int64_t)n && y >= (int64_t)m) {
                found = d;
                break;
            }
        }
    }
    if (found < 0)
        return false;
    const int64_t *v = (const int64_t *)(const void *)vs->data;
    int64_t x = (int64_t)n, y = (int64_t)m;
    for (int64_t d = found; d > 0; d--) {
        int64_t k = x - y;
        bool down = came_down(v, d, k);
        int64_t pk = down ? k + 1 : k - 1;
        int64_t px = v[vix(d - 1, pk)], py = px - pk;
        int64_t mx = down ? px : px + 1; /* where the snake to (x, y) starts */
        while (x > mx) {
            x--;
            y--;
            push_op(rev, OP_EQ, off + (size_t)x, off + (size_t)y);
        }
        push_op(rev, down ? OP_INS : OP_DEL, off + (size_t)px, off + (size_t)py);
        x = px;
        y = py;
    }
    while (x > 0) {
        x--;
        y--;
        push_op(rev, OP_EQ, off + (size_t)x, off + (size_t)y);
    }
    return true;
}

/* The edit script from old to new, in order. The common head and tail are
 * matched first, so a local change in a long trace costs little. */
static GArray *diff_lines(GArray *old, GArray *new)
{
    const Line *a = (const Line *)(const void *)old->data;
    const Line *b = (const Line *)(const void *)new->data;
    size_t n = old->len, m = new->len, head = 0, tail = 0;
    while (head < n && head < m && line_eq(&a[head], &b[head]))
        head++;
    while (tail < n - head && tail < m - head && line_eq(&a[n - 1 - tail], &b[m - 1 - tail]))
        tail++;
    GArray *ops = g_array_new(FALSE, FALSE, sizeof(Op));
    for (size_t i = 0; i < head; i++)
        push_op(ops, OP_EQ, i, i);
    size_t mn = n - head - tail, mm = m - head - tail;
    g_autoptr(GArray) rev = g_array_new(FALSE, FALSE, sizeof(Op));
    if (myers(a + head, mn, b + head, mm, head, rev)) {
        /* positions in `rev` are offset by head on both sides */
        for (guint i = rev->len; i-- > 0;)
            g_array_append_val(ops, g_array_index(rev, Op, i));
    } else {
        /* Too different to align: all old lines out, all new lines in. */
        for (size_t i = 0; i < mn; i++)
            push_op(ops, OP_DEL, head + i, head);
        for (size_t j = 0; j < mm; j++)
            push_op(ops, OP_INS, head + mn, head + j);
    }
    for (size_t i = 0; i < tail; i++)
        push_op(ops, OP_EQ, n - tail + i, m - tail + i);
    return ops;
}

static void append_diff_line(GString *out, char mark, const Line *l)
{
    g_string_append_c(out, mark);
    g_string_append_len(out, l->s, (gssize)l->len);
    g_string_append_c(out, '\n');
    if (!l->nl)
        g_string_append(out, "\\ No newline at end of file\n");
}

/* "@@ -START,COUNT" as diff(1) writes it: COUNT 1 is left out, and an empty
 * range starts at the line before it. */
static void append_range(GString *out, char sign, uint32_t start, uint32_t count)
{
    if (count == 1)
        g_string_append_printf(out, "%c%u", sign, start + 1);
    else
        g_string_append_printf(out, "%c%u,%u", sign, count ? start + 1 : start, count);
}

/* Unified diff hunks of `ops` with DIFF_CONTEXT lines of context, at most
 * `max_lines` lines; returns the number of lines left out. Within a change,
 * deletions come before insertions, as diff(1) prints them. */
static size_t append_hunks(GString *out, GArray *old, GArray *new, GArray *ops, size_t max_lines)
{
    const Op *op = (const Op *)(const void *)ops->data;
    const Line *a = (const Line *)(const void *)old->data;
    const Line *b = (const Line *)(const void *)new->data;
    size_t shown = 0, hidden = 0, i = 0, nops = ops->len;
    while (i < nops) {
        size_t c = i;
        while (c < nops && op[c].kind == OP_EQ)
            c++;
        if (c == nops)
            break;
        size_t start = c > i + DIFF_CONTEXT ? c - DIFF_CONTEXT : i;
        /* Extend over changes separated by at most 2 * DIFF_CONTEXT equal lines. */
        size_t last = c, j = c;
        for (;;) {
            while (j < nops && op[j].kind != OP_EQ)
                last = j++;
            size_t eq = j;
            while (eq < nops && op[eq].kind == OP_EQ)
                eq++;
            if (eq < nops && eq - j <= 2 * DIFF_CONTEXT)
                j = eq;
            else
                break;
        }
        size_t end = MIN(nops, last + 1 + DIFF_CONTEXT);
        uint32_t na = 0, nb = 0;
        for (size_t k = start; k < end; k++) {
            na += op[k].kind != OP_INS;
            nb += op[k].kind != OP_DEL;
        }
        GString *h = g_string_new("@@ ");
        append_range(h, '-', op[start].a, na);
        g_string_append_c(h, ' ');
        append_range(h, '+', op[start].b, nb);
        g_string_append(h, " @@\n");
        for (size_t k = start; k < end;) {
            if (op[k].kind == OP_EQ) {
                append_diff_line(h, ' ', &a[op[k].a]);
                k++;
                continue;
            }
            size_t r = k;
            while (r < end && op[r].kind != OP_EQ)
                r++;
            for (size_t q = k; q < r; q++)
                if (op[q].kind == OP_DEL)
                    append_diff_line(h, '-', &a[op[q].a]);
            for (size_t q = k; q < r; q++)
                if (op[q].kind == OP_INS)
                    append_diff_line(h, '+', &b[op[q].b]);
            k = r;
        }
        /* Show or count the hunk's lines, cutting at max_lines. */
        const char *p = h->str;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t len = (size_t)(e - p) + 1;
            if (shown < max_lines) {
                g_string_append_len(out, p, (gssize)len);
                shown++;
            } else {
                hidden++;
            }
            p += len;
        }
        g_string_free(h, TRUE);
        i = end;
    }
    return hidden;
}

/* The simulated time in the first column of a trace line ("   0.003000000
 * pc ..."), copied into buf; false for header and summary lines. */
static bool line_time(const Line *l, char *buf, size_t size)
{
    size_t i = 0;
    while (i < l->len && l->s[i] == ' ')
        i++;
    size_t s = i;
    bool dot = false;
    while (i < l->len && (g_ascii_isdigit(l->s[i]) || (l->s[i] == '.' && !dot))) {
        dot |= l->s[i] == '.';
        i++;
    }
    if (!dot || i == s || i - s >= size || (i < l->len && l->s[i] != ' '))
        return false;
    memcpy(buf, l->s + s, i - s);
    buf[i - s] = '\0';
    return true;
}

/* Describe where `old` and `new` first differ, from the first change of the
 * edit script: "at simulated time T s (golden line A, this run line B)". */
static char *describe_first_difference(GArray *old, GArray *new, GArray *ops)
{
    const Op *op = (const Op *)(const void *)ops->data;
    guint c = 0;
    while (c < ops->len && op[c].kind == OP_EQ)
        c++;
    if (c == ops->len)
        return g_strdup("nowhere");
    char t[64];
    const char *where = NULL;
    /* The first changed line on either side that carries a time. */
    for (guint k = c; k < ops->len && op[k].kind != OP_EQ && !where; k++) {
        const Line *l = op[k].kind == OP_DEL ? &g_array_index(old, Line, op[k].a)
                                             : &g_array_index(new, Line, op[k].b);
        if (line_time(l, t, sizeof t))
            where = t;
    }
    uint32_t la = op[c].a + 1, lb = op[c].b + 1;
    if (where)
        return g_strdup_printf("at simulated time %s s (golden line %u, this run line %u)",
                               where, la, lb);
    const char *part = op[c].a == 0 && op[c].b == 0 ? "in the header line" : "in the summary";
    return g_strdup_printf("%s (golden line %u, this run line %u)", part, la, lb);
}

/* ---- running one unit ---- */

/* `# netsim-test: skip REASON` on a comment line marks a scenario skipped. */
static bool skip_directive(const char *text, char **reason)
{
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        g_autofree char *line = g_strndup(p, len);
        g_strstrip(line);
        if (line[0] == '#') {
            char *q = line + 1;
            while (*q == ' ' || *q == '\t')
                q++;
            if (g_str_has_prefix(q, "netsim-test:")) {
                q += strlen("netsim-test:");
                while (*q == ' ' || *q == '\t')
                    q++;
                if (g_str_has_prefix(q, "skip") && (q[4] == '\0' || q[4] == ' ' || q[4] == '\t')) {
                    q = g_strstrip(q + 4);
                    *reason = g_strdup(*q ? q : "marked skip");
                    return true;
                }
            }
        }
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Line `n` (1-based) of `text`, stripped; "" when there is none. */
static char *source_line(const char *text, uint32_t n)
{
    const char *p = text;
    for (uint32_t i = 1; p && i < n; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || n == 0)
        return g_strdup("");
    const char *e = strchr(p, '\n');
    char *s = e ? g_strndup(p, (size_t)(e - p)) : g_strdup(p);
    return g_strstrip(s);
}

/* The trace line (1-based) that ends `offset` bytes into the trace. */
static uint32_t line_at(const char *trace, size_t len, long offset)
{
    uint32_t n = 0;
    for (size_t i = 0; i < len && (long)i < offset; i++)
        n += trace[i] == '\n';
    return n;
}

/* Explain each failed expectation of a run, from the verdicts the run
 * reported: the expect line of the file, and where in the trace it was
 * evaluated with what was seen. Returns a one-line summary (transfer
 * full). */
static char *explain_expectations(GString *out, const char *path, const char *src,
                                  const char *trace, size_t len, const NsRunResult *rr)
{
    char *first = NULL;
    for (guint i = 0; i < rr->expects->len; i++) {
        const NsExpectResult *r = &g_array_index(rr->expects, NsExpectResult, i);
        if (r->ok)
            continue;
        char t[32];
        ns_trace_format_time(r->time, t);
        const char *time = g_strstrip(t);
        const char *text = r->text ? r->text : "";
        g_autofree char *line = source_line(src, r->line);
        g_string_append_printf(out, "expectation failed: %s:%u: %s\n", path, r->line, line);
        g_string_append_printf(out, "  evaluated at simulated time %s s (trace line %u): %s\n",
                               time, line_at(trace, len, r->out_offset), text);
        if (!first)
            first = g_strdup_printf("%s:%u: %s: at %s s: %s (%u of %u expectations failed)",
                                    path, r->line, line, time, text, rr->expect_failed,
                                    rr->expect_count);
    }
    return first ? first
                 : g_strdup_printf("%u of %u expectations failed", rr->expect_failed,
                                   rr->expect_count);
}

/* ---- one run in a child process ---- */

/* The child's report on stderr, after its trace on stdout: one line per
 * verdict and a last line of counts, each starting with RS (0x1e):
 *   RS expect OK TIME LINE OFFSET TEXT      (TEXT with \\ and \n escaped)
 *   RS counts FAILED COUNT
 * Anything else on stderr is a message for the report. */
#define REPORT_MARK '\x1e'

static void put_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* `netsim test --child PATH SEED MAX-EVENTS`: run one scenario as a unit of
 * `netsim test` would, write its trace to stdout and its report to stderr.
 * Exit status as `netsim run`. */
static int child_main(const char *path, uint64_t seed, uint64_t max_events)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(NsScenario) scn = ns_scenario_load(path, &err);
    if (!scn) {
        fprintf(stderr, "%s\n", err->message);
        return NS_EXIT_USAGE;
    }
    NsRunOpts ro = {.world = {.seed = seed, .max_events = max_events, .summary = true,
                              .max_memory = ns_default_max_memory()}};
    /* In memory first: the verdicts give their offsets in the trace. */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        g_error("open_memstream: %s", g_strerror(errno));
    NsRunResult rr;
    int status = ns_run_scenario(scn, &ro, mem, &rr, &err);
    fclose(mem);
    fwrite(buf, 1, len, stdout);
    free(buf);
    if (status == NS_EXIT_USAGE || status == NS_EXIT_LIMIT) {
        ns_run_result_clear(&rr);
        fprintf(stderr, "%s\n", err->message);
        return status;
    }
    for (guint i = 0; i < rr.expects->len; i++) {
        const NsExpectResult *r = &g_array_index(rr.expects, NsExpectResult, i);
        fprintf(stderr, "%cexpect %d %" PRId64 " %u %ld ", REPORT_MARK, r->ok ? 1 : 0, r->time,
                r->line, r->out_offset);
        put_escaped(stderr, r->text);
        fputc('\n', stderr);
    }
    fprintf(stderr, "%ccounts %u %u\n", REPORT_MARK, rr.expect_failed, rr.expect_count);
    ns_run_result_clear(&rr);
    return status;
}

/* Reads a child's report into `rr` (its expects array made here); the
 * other lines go to `*rest`. False when the report is missing. */
static bool parse_child_report(const char *err, NsRunResult *rr, char **rest)
{
    rr->expects = g_array_new(FALSE, TRUE, sizeof(NsExpectResult));
    g_array_set_clear_func(rr->expects, ns_expect_result_clear);
    GString *other = g_string_new(NULL);
    bool counts = false;
    g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l != REPORT_MARK) {
            if (**l)
                g_string_append_printf(other, "%s\n", *l);
            continue;
        }
        int ok, n = 0;
        NsExpectResult r = {0};
        if (sscanf(*l + 1, "expect %d %" SCNd64 " %u %ld %n", &ok, &r.time, &r.line,
                   &r.out_offset, &n) == 4 && n > 0) {
            GString *t = g_string_new(NULL);
            for (const char *c = *l + 1 + n; *c; c++) {
                if (*c == '\\' && c[1] == 'n') {
                    g_string_append_c(t, '\n');
                    c++;
                } else if (*c == '\\' && c[1] == '\\') {
                    g_string_append_c(t, '\\');
                    c++;
                } else {
                    g_string_append_c(t, *c);
                }
            }
            r.ok = ok != 0;
            r.text = g_string_free(t, FALSE);
            g_array_append_val(rr->expects, r);
        } else if (sscanf(*l + 1, "counts %u %u", &rr->expect_failed, &rr->expect_count) == 2) {
            counts = true;
        }
    }
    *rest = g_string_free(other, FALSE);
    return counts;
}

typedef struct {
    GString *out, *err; /* everything it wrote */
    int status;         /* exit status, when it exited */
    int signal;         /* the signal that ended it, or 0 */
    bool timed_out;     /* killed after o->timeout */
} Child;

static void run_child(Child *ch, const char *path, uint64_t seed, const TestOpts *o)
{
    *ch = (Child){.out = g_string_new(NULL), .err = g_string_new(NULL)};
    char seed_s[24], max_s[24];
    g_snprintf(seed_s, sizeof seed_s, "%" PRIu64, seed);
    g_snprintf(max_s, sizeof max_s, "%" PRIu64, o->max_events);
    const char *argv[] = {o->self, "test", "--child", path, seed_s, max_s, NULL};
    GPid pid;
    int fds[2];
    g_autoptr(GError) err = NULL;
    if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES, NULL, NULL,
                                  &pid, NULL, &fds[0], &fds[1], &err)) {
        g_string_append_printf(ch->err, "cannot start %s: %s\n", o->self, err->message);
        ch->status = 100;
        return;
    }
    GString *into[2] = {ch->out, ch->err};
    gint64 deadline = o->timeout_us ? g_get_monotonic_time() + o->timeout_us : 0;
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        struct pollfd pf[2];
        nfds_t n = 0;
        int which[2];
        for (int k = 0; k < 2; k++) {
            if (fds[k] >= 0) {
                pf[n] = (struct pollfd){.fd = fds[k], .events = POLLIN};
                which[n++] = k;
            }
        }
        int wait_ms = -1;
        if (deadline) {
            gint64 left = deadline - g_get_monotonic_time();
            if (left <= 0) {
                ch->timed_out = true;
                break;
            }
            wait_ms = (int)MIN(left / 1000 + 1, 60000);
        }
        int r = poll(pf, n, wait_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        for (nfds_t i = 0; i < n; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int k = which[i];
            ssize_t got = read(fds[k], buf, sizeof buf);
            if (got > 0) {
                g_string_append_len(into[k], buf, got);
            } else if (got == 0 || errno != EINTR) {
                close(fds[k]);
                fds[k] = -1;
                open_fds--;
            }
        }
    }
    if (ch->timed_out)
        kill(pid, SIGKILL);
    for (int k = 0; k < 2; k++)
        if (fds[k] >= 0)
            close(fds[k]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    g_spawn_close_pid(pid);
    if (ch->timed_out)
        return;
    if (WIFSIGNALED(wstatus))
        ch->signal = WTERMSIG(wstatus);
    else
        ch->status = WEXITSTATUS(wstatus);
}

static void set_result(Unit *u, Verdict v, char *message, GString *detail)
{
    u->verdict = v;
    u->message = message;
    u->detail = detail ? g_string_free(detail, FALSE) : NULL;
}

/* A packetdrill script among the scenarios: run by `netsim drill`'s
 * runner on the linux profile (the stack such scripts test); it has no
 * golden trace and no seed (a script's run is the same on every seed). */
static void run_pkt_unit(Unit *u, const char *path, gint64 t0)
{
    u->ran_seed = u->has_seed ? u->seed : 0;
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    g_autoptr(NsPkt) pkt = NULL;
    if (g_file_get_contents(path, &text, &len, &err))
        pkt = ns_pkt_parse(path, text, len, &err);
    if (!pkt) {
        GString *d = g_string_new(err->message);
        g_string_append_c(d, '\n');
        set_result(u, V_BAD, g_strdup("bad packetdrill script"), d);
    } else {
        NsDrillOpts opts = {.profile = NS_PROFILE_LINUX, .tolerance_us = -1,
                            .max_events = u->o->max_events};
        NsDrillResult res;
        ns_drill_run(pkt, &opts, &res);
        if (res.pass) {
            set_result(u, V_PASS, NULL, NULL);
        } else {
            GString *d = g_string_new(NULL);
            g_string_append_printf(d, "%s:%u: %s\n", path, res.line, res.message);
            set_result(u, V_FAIL, g_strdup_printf("%s:%u: %s", path, res.line, res.message), d);
        }
        g_free(res.message);
    }
    u->usec = g_get_monotonic_time() - t0;
}

static void run_unit(Unit *u)
{
    const TestOpts *o = u->o;
    const char *path = u->c->path;
    gint64 t0 = g_get_monotonic_time();
    if (g_str_has_suffix(path, ".pkt")) {
        run_pkt_unit(u, path, t0);
        return;
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(NsScenario) scn = ns_scenario_load(path, &err);
    if (!scn) {
        GString *d = g_string_new(err->message);
        g_string_append_c(d, '\n');
        set_result(u, V_BAD, g_strdup("bad scenario file"), d);
        u->usec = g_get_monotonic_time() - t0;
        return;
    }
    g_autofree char *src = NULL;
    if (!g_file_get_contents(path, &src, NULL, NULL))
        src = g_strdup("");
    g_autofree char *reason = NULL;
    if (skip_directive(src, &reason)) {
        set_result(u, V_SKIP, g_steal_pointer(&reason), NULL);
        u->usec = g_get_monotonic_time() - t0;
        return;
    }

    u->ran_seed = u->has_seed ? u->seed : scn->seed;
    /* The run itself goes on in a child process (this netsim, `test
     * --child`), so that a crash, a hang or a resource limit is this
     * scenario's failure and the others still run. */
    Child ch;
    run_child(&ch, path, u->ran_seed, o);
    size_t len = ch.out->len;
    g_autofree char *trace = g_string_free(ch.out, FALSE);
    g_autofree char *child_err = g_string_free(ch.err, FALSE);
    NsRunResult rr = {0};
    int status = ch.signal || ch.timed_out ? -1 : ch.status;
    if (status == NS_EXIT_OK || status == NS_EXIT_EXPECT) {
        g_autofree char *rest = NULL;
        if (!parse_child_report(child_err, &rr, &rest))
            status = -1;
        g_free(child_err);
        child_err = g_steal_pointer(&rest);
    }
    if (status == NS_EXIT_USAGE) {
        set_result(u, V_BAD, g_strdup("bad scenario file"), g_string_new(child_err));
        u->usec = g_get_monotonic_time() - t0;
        return;
    }
    if (status < 0 || status > NS_EXIT_EXPECT) {
        ns_run_result_clear(&rr);
        char *why = ch.timed_out ? g_strdup_printf("no result after %s (--timeout): killed",
                                                   o->timeout_text)
                    : ch.signal  ? g_strdup_printf("the run crashed (signal %d, %s)", ch.signal,
                                                   g_strsignal(ch.signal))
                    : status == NS_EXIT_LIMIT
                        ? g_strdup("resource limit hit")
                        : g_strdup_printf("the run ended with exit status %d", ch.status);
        GString *d = g_string_new(child_err);
        if (d->len && d->str[d->len - 1] != '\n')
            g_string_append_c(d, '\n');
        if (ch.signal || ch.timed_out || status != NS_EXIT_LIMIT)
            g_string_append_printf(d, "%s\n", why);
        set_result(u, V_FAIL, why, d);
        u->usec = g_get_monotonic_time() - t0;
        return;
    }

    GString *detail = g_string_new(NULL);
    g_autofree char *message = NULL;
    g_autoptr(GArray) lines = split_lines(trace, len);
    if (rr.expect_failed)
        message = explain_expectations(detail, path, src, trace, len, &rr);
    ns_run_result_clear(&rr);

    /* The golden trace is the trace of the file's own seed. */
    g_autofree char *want = NULL;
    size_t want_len = 0;
    g_autoptr(GError) rerr = NULL;
    bool golden = u->ran_seed == scn->seed && g_file_test(u->c->golden, G_FILE_TEST_EXISTS);
    if (golden && !g_file_get_contents(u->c->golden, &want, &want_len, &rerr)) {
        g_string_append_printf(detail, "cannot read the golden trace: %s\n", rerr->message);
        if (!message)
            message = g_strdup("cannot read the golden trace");
    } else if (golden && (want_len != len || memcmp(want, trace, len) != 0)) {
        g_autoptr(GArray) old = split_lines(want, want_len);
        g_autoptr(GArray) ops = diff_lines(old, lines);
        if (o->update) {
            uint32_t plus = 0, minus = 0;
            for (guint i = 0; i < ops->len; i++) {
                plus += g_array_index(ops, Op, i).kind == OP_INS;
                minus += g_array_index(ops, Op, i).kind == OP_DEL;
            }
            NsAtomicFile out = {0};
            g_autoptr(GError) werr = NULL;
            GStatBuf st;
            /* The new file keeps the old one's mode (mkstemp makes it 0600). */
            if (!ns_atomic_file_open(&out, u->c->golden, &werr) ||
                (g_stat(u->c->golden, &st) == 0 && fchmod(fileno(out.f), st.st_mode & 07777)) ||
                fwrite(trace, 1, len, out.f) != len || !ns_atomic_file_commit(&out, false, &werr)) {
                ns_atomic_file_abort(&out);
                g_string_append_printf(detail, "cannot update %s: %s\n", u->c->golden,
                                       werr ? werr->message : g_strerror(errno));
                if (!message)
                    message = g_strdup("cannot update the golden trace");
            } else {
                u->updated = g_strdup_printf("updated %s (+%u -%u lines)", u->c->golden, plus,
                                             minus);
            }
        } else {
            g_autofree char *first = describe_first_difference(old, lines, ops);
            g_string_append_printf(detail, "trace differs from %s, first difference %s\n",
                                   u->c->golden, first);
            g_string_append_printf(detail, "--- %s\n+++ netsim run %s\n", u->c->golden, path);
            size_t hidden = append_hunks(detail, old, lines, ops, DIFF_MAX_LINES);
            if (hidden)
                g_string_append_printf(detail, "... %zu more diff lines not shown\n", hidden);
            if (!message)
                message = g_strdup_printf("trace differs from %s, first difference %s",
                                          u->c->golden, first);
        }
    }
    if (message) {
        set_result(u, V_FAIL, g_steal_pointer(&message), detail);
    } else {
        g_string_free(detail, TRUE);
        set_result(u, V_PASS, NULL, NULL);
    }
    u->usec = g_get_monotonic_time() - t0;
}

/* ---- finding the scenarios ---- */

/* `arg` as a path relative to the current directory `cwd` when it lies
 * below it, else absolute; no "./", "//" or "..". */
static char *normalise_path(const char *arg, const char *cwd)
{
    g_autofree char *abs = g_canonicalize_filename(arg, cwd);
    size_t n = strlen(cwd);
    if (strcmp(abs, cwd) == 0)
        return g_strdup(".");
    if (strcmp(cwd, "/") == 0)
        return g_strdup(abs + 1);
    if (strncmp(abs, cwd, n) == 0 && abs[n] == '/')
        return g_strdup(abs + n + 1);
    return g_steal_pointer(&abs);
}

/* Every *.scn (and *.pkt: packetdrill scripts) below `dir`, recursively; hidden entries and symbolic links
 * to directories are left out. */
static bool collect_dir(const char *dir, GPtrArray *found, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    if (!d)
        return false;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (name[0] == '.')
            continue;
        char *child = strcmp(dir, ".") == 0 ? g_strdup(name) : g_build_filename(dir, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR)) {
            if (!g_file_test(child, G_FILE_TEST_IS_SYMLINK) && !collect_dir(child, found, error)) {
                g_free(child);
                return false;
            }
            g_free(child);
        } else if (g_str_has_suffix(name, ".scn") || g_str_has_suffix(name, ".pkt")) {
            g_ptr_array_add(found, child);
        } else {
            g_free(child);
        }
    }
    return true;
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- options ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!g_ascii_isdigit(s[0]))
        return false;
    guint64 x = g_ascii_strtoull(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *v = x;
    return true;
}

static bool parse_seeds(const char *s, TestOpts *o)
{
    const char *dots = strstr(s, "..");
    if (!dots)
        return false;
    g_autofree char *lo = g_strndup(s, (size_t)(dots - s));
    return parse_u64(lo, &o->seed_lo) && parse_u64(dots + 2, &o->seed_hi) &&
           o->seed_lo <= o->seed_hi;
}

static bool parse_shard(const char *s, TestOpts *o)
{
    const char *slash = strchr(s, '/');
    if (!slash)
        return false;
    g_autofree char *k = g_strndup(s, (size_t)(slash - s));
    uint64_t kk, nn;
    if (!parse_u64(k, &kk) || !parse_u64(slash + 1, &nn) || nn == 0 || kk == 0 || kk > nn ||
        nn > G_MAXUINT)
        return false;
    o->shard_k = (unsigned)kk;
    o->shard_n = (unsigned)nn;
    return true;
}

/* ---- the report ---- */

static void append_indented(GString *out, const char *text, const char *indent)
{
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        g_string_append(out, indent);
        g_string_append_len(out, p, (gssize)len);
        g_string_append_c(out, '\n');
        p = e ? e + 1 : NULL;
    }
}

typedef struct {
    unsigned passed, failed, bad, skipped, updated;
    gint64 usec;
} Totals;

/* The report of one scenario, from all its units. */
static void case_report(GString *out, const Case *c, Unit *units, const TestOpts *o, Totals *t)
{
    gint64 usec = 0;
    const Unit *bad = NULL, *fail = NULL;
    unsigned n_fail = 0;
    for (guint i = 0; i < c->n_units; i++) {
        const Unit *u = &units[i];
        usec += u->usec;
        if (u->verdict == V_BAD && !bad)
            bad = u;
        if (u->verdict == V_FAIL && n_fail++ == 0)
            fail = u;
    }
    t->usec += usec;
    long ms = (long)(usec / 1000);
    if (bad) {
        t->failed++;
        t->bad++;
        g_string_append_printf(out, "FAIL %s: bad scenario file (%ld ms)\n", c->path, ms);
        g_string_append(out, bad->detail);
    } else if (units[0].verdict == V_SKIP) {
        t->skipped++;
        if (!o->quiet)
            g_string_append_printf(out, "skip %s (%s)\n", c->path, units[0].message);
    } else if (fail) {
        t->failed++;
        if (o->has_seeds)
            g_string_append_printf(out,
                                   "FAIL %s: seed %" PRIu64 " failed first, %u of seeds %" PRIu64
                                   "..%" PRIu64 " failed (%ld ms)\n",
                                   c->path, fail->ran_seed, n_fail, o->seed_lo, o->seed_hi, ms);
        else
            g_string_append_printf(out, "FAIL %s (%ld ms)\n", c->path, ms);
        append_indented(out, fail->detail, "    ");
    } else {
        t->passed++;
        if (!o->quiet) {
            if (o->has_seeds)
                g_string_append_printf(out, "ok   %s: seeds %" PRIu64 "..%" PRIu64 " (%ld ms)\n",
                                       c->path, o->seed_lo, o->seed_hi, ms);
            else
                g_string_append_printf(out, "ok   %s (%ld ms)\n", c->path, ms);
        }
    }
    for (guint i = 0; i < c->n_units; i++) {
        if (units[i].updated) {
            t->updated++;
            g_string_append_printf(out, "    %s\n", units[i].updated);
        }
    }
}

/* ---- JUnit XML ---- */

/* `s` as XML character data; in an attribute (`attr`) also tabs and newlines
 * as references, or parsers would normalise them to spaces. */
static void xml_escape(GString *out, const char *s, bool attr)
{
    g_autofree char *valid = g_utf8_make_valid(s, -1);
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar ch = g_utf8_get_char(p);
        switch (ch) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        case '\'': g_string_append(out, "&apos;"); break;
        case '\n': case '\t': case '\r':
            if (attr)
                g_string_append_printf(out, "&#%u;", ch);
            else
                g_string_append_unichar(out, ch);
            break;
        default:
            /* XML 1.0 allows no other control character, even escaped. */
            if (ch < 0x20 || ch == 0xfffe || ch == 0xffff)
                g_string_append_unichar(out, 0xfffd);
            else
                g_string_append_unichar(out, ch);
        }
    }
}

static void junit_case(GString *x, const Case *c, const Unit *u, bool with_seed, Verdict v)
{
    g_autofree char *dir = g_path_get_dirname(c->path);
    g_autofree char *base = g_path_get_basename(c->path);
    g_strdelimit(dir, "/", '.');
    g_autofree char *name = with_seed ? g_strdup_printf("%s seed %" PRIu64, base, u->ran_seed)
                                      : g_strdup(base);
    g_string_append(x, "    <testcase classname=\"");
    xml_escape(x, dir, true);
    g_string_append(x, "\" name=\"");
    xml_escape(x, name, true);
    g_string_append(x, "\" file=\"");
    xml_escape(x, c->path, true);
    g_string_append_printf(x, "\" time=\"%.3f\"", (double)u->usec / 1e6);
    if (v == V_PASS) {
        g_string_append(x, "/>\n");
        return;
    }
    const char *tag = v == V_BAD ? "error" : v == V_SKIP ? "skipped" : "failure";
    g_string_append_printf(x, ">\n      <%s message=\"", tag);
    xml_escape(x, u->message ? u->message : "", true);
    if (u->detail && *u->detail) {
        g_string_append(x, "\">");
        xml_escape(x, u->detail, false);
        g_string_append_printf(x, "</%s>\n", tag);
    } else {
        g_string_append(x, "\"/>\n");
    }
    g_string_append(x, "    </testcase>\n");
}

static bool write_junit(const char *path, GArray *cases, Unit *units, const TestOpts *o,
                        const Totals *t, GError **error)
{
    g_autoptr(GString) body = g_string_new(NULL);
    unsigned tests = 0, failures = 0, errors = 0, skipped = 0;
    for (guint i = 0; i < cases->len; i++) {
        const Case *c = &g_array_index(cases, Case, i);
        Unit *cu = &units[c->first_unit];
        const Unit *bad = NULL;
        for (guint k = 0; k < c->n_units && !bad; k++)
            if (cu[k].verdict == V_BAD)
                bad = &cu[k];
        /* A bad or skipped file is one test case whatever the seeds. */
        if (bad || cu[0].verdict == V_SKIP) {
            const Unit *u = bad ? bad : &cu[0];
            junit_case(body, c, u, false, u->verdict);
            tests++;
            errors += bad != NULL;
            skipped += bad == NULL;
            continue;
        }
        for (guint k = 0; k < c->n_units; k++) {
            junit_case(body, c, &cu[k], o->has_seeds, cu[k].verdict);
            tests++;
            failures += cu[k].verdict == V_FAIL;
        }
    }
    NsAtomicFile out = {0};
    if (!ns_atomic_file_open(&out, path, error))
        return false;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out.f);
    g_autofree char *counts = g_strdup_printf(
        "tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\"", tests,
        failures, errors, skipped, (double)t->usec / 1e6);
    fprintf(out.f, "<testsuites name=\"netsim test\" %s>\n", counts);
    fprintf(out.f, "  <testsuite name=\"netsim\" %s>\n", counts);
    fputs(body->str, out.f);
    fputs("  </testsuite>\n</testsuites>\n", out.f);
    return ns_atomic_file_commit(&out, false, error);
}

/* ---- the command ---- */

typedef struct {
    GMutex lock;
    GCond cond;
} Sync;

static void worker(gpointer data, gpointer user)
{
    Unit *u = data;
    Sync *sync = user;
    run_unit(u);
    g_mutex_lock(&sync->lock);
    u->done = true;
    g_cond_broadcast(&sync->cond);
    g_mutex_unlock(&sync->lock);
}

static void case_clear(Case *c)
{
    g_free(c->path);
    g_free(c->golden);
}

int ns_cmd_test(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--child") == 0) {
        uint64_t seed, max;
        if (!parse_u64(argv[3], &seed) || !parse_u64(argv[4], &max))
            return ns_usage_error("test: --child PATH SEED MAX-EVENTS");
        return child_main(argv[2], seed, max);
    }
    g_autofree char *seeds_s = NULL, *jobs_s = NULL, *shard_s = NULL, *junit = NULL;
    g_autofree char *max_events_s = NULL, *timeout_s = NULL;
    gboolean update = FALSE, quiet = FALSE;
    g_auto(GStrv) paths = NULL;
    GOptionEntry entries[] = {
        {"update", 0, 0, G_OPTION_ARG_NONE, &update,
         "Rewrite the golden traces that exist from this run", NULL},
        {"seeds", 0, 0, G_OPTION_ARG_STRING, &seeds_s, "Run each scenario with seeds A to B",
         "A..B"},
        {"jobs", 'j', 0, G_OPTION_ARG_STRING, &jobs_s,
         "Run N scenarios at once (default: number of cores)", "N"},
        {"shard", 0, 0, G_OPTION_ARG_STRING, &shard_s,
         "Run only the K-th of N slices of the scenarios", "K/N"},
        {"junit", 0, 0, G_OPTION_ARG_FILENAME, &junit, "Write a JUnit XML report", "FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only failures and the summary",
         NULL},
        {"max-events", 0, 0, G_OPTION_ARG_STRING, &max_events_s,
         "Fail a scenario that runs more than N events (default 2000000000)", "N"},
        {"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_s,
         "Fail (and stop) a scenario still running after T of real time, e.g. 10m (default "
         "30m; 0 for none)", "T"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx =
        g_option_context_new("PATH... - run scenarios as tests (expect lines, golden traces)");
    g_option_context_add_main_entries(octx, entries, NULL);
    /* Accept -jN as make and ninja do: GOption wants "-j N". */
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    for (int i = 0; i < argc; i++) {
        if (i > 0 && g_str_has_prefix(argv[i], "-j") && argv[i][2]) {
            g_ptr_array_add(args, "-j");
            g_ptr_array_add(args, argv[i] + 2);
        } else {
            g_ptr_array_add(args, argv[i]);
        }
        if (strcmp(argv[i], "--") == 0) {
            for (i++; i < argc; i++)
                g_ptr_array_add(args, argv[i]);
        }
    }
    int nargs = (int)args->len;
    g_ptr_array_add(args, NULL);
    char **av = (char **)args->pdata;
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &nargs, &av, &err))
        return ns_usage_error("test: %s", err->message);
    if (!paths || !paths[0])
        return ns_usage_error("test: no scenario file or directory given");

    TestOpts o = {.update = update, .quiet = quiet, .max_events = DEFAULT_MAX_EVENTS,
                  .jobs = (unsigned)g_get_num_processors(), .shard_k = 1, .shard_n = 1,
                  .junit = junit};
    if (seeds_s) {
        if (!parse_seeds(seeds_s, &o))
            return ns_usage_error("test: --seeds needs A..B with 0 <= A <= B, not '%s'", seeds_s);
        if (o.seed_hi - o.seed_lo >= MAX_SEEDS)
            return ns_usage_error("test: --seeds %s: at most %" PRIu64 " seeds", seeds_s,
                                  MAX_SEEDS);
        o.has_seeds = true;
    }
    if (jobs_s) {
        uint64_t j;
        if (!parse_u64(jobs_s, &j) || j == 0 || j > 1024)
            return ns_usage_error("test: -j needs a number of workers from 1 to 1024, not '%s'",
                                  jobs_s);
        o.jobs = (unsigned)j;
    }
    if (shard_s && !parse_shard(shard_s, &o))
        return ns_usage_error("test: --shard needs K/N with 1 <= K <= N, not '%s'", shard_s);
    if (max_events_s && (!parse_u64(max_events_s, &o.max_events) || o.max_events == 0))
        return ns_usage_error("test: --max-events needs a positive integer, not '%s'",
                              max_events_s);
    o.timeout_text = timeout_s ? timeout_s : "30m";
    {
        NsTime t;
        g_autofree char *msg = NULL;
        if (!ns_parse_time(o.timeout_text, &t, &msg))
            return ns_usage_error("test: --timeout: %s", msg);
        o.timeout_us = t / 1000;
        if (t > 0 && o.timeout_us == 0)
            o.timeout_us = 1;
    }
    /* Each scenario runs in a child: this very program. */
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    if (!self)
        self = g_strdup(argv[0]);
    o.self = self;

    /* The scenarios, by normalised path in byte order, each once. */
    g_autofree char *cwd = g_get_current_dir();
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; paths[i]; i++) {
        g_autofree char *p = normalise_path(paths[i], cwd);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            if (!collect_dir(p, found, &err))
                return ns_usage_error("test: %s", err->message);
        } else if (g_file_test(p, G_FILE_TEST_EXISTS)) {
            g_ptr_array_add(found, g_steal_pointer(&p));
        } else {
            return ns_usage_error("test: %s: no such file or directory", paths[i]);
        }
    }
    if (found->len == 0)
        return ns_usage_error("test: no *.scn or *.pkt file found");
    g_ptr_array_sort(found, cmp_str);

    g_autoptr(GArray) cases = g_array_new(FALSE, TRUE, sizeof(Case));
    g_array_set_clear_func(cases, (GDestroyNotify)case_clear);
    uint64_t per_case = o.has_seeds ? o.seed_hi - o.seed_lo + 1 : 1;
    guint index = 0;
    for (guint i = 0; i < found->len; i++) {
        const char *p = g_ptr_array_index(found, i);
        if (i > 0 && strcmp(p, g_ptr_array_index(found, i - 1)) == 0)
            continue;
        if (index++ % o.shard_n != o.shard_k - 1)
            continue;
        Case c = {.path = g_strdup(p), .n_units = (guint)per_case};
        c.golden = g_str_has_suffix(p, ".scn")
                       ? g_strdup_printf("%.*s.trace", (int)(strlen(p) - 4), p)
                       : g_strdup_printf("%s.trace", p);
        c.first_unit = cases->len * (guint)per_case;
        g_array_append_val(cases, c);
    }
    if ((uint64_t)cases->len * per_case > G_MAXUINT / 2)
        return ns_usage_error("test: %u scenarios times %" PRIu64 " seeds is too many runs",
                              cases->len, per_case);

    guint n_units = cases->len * (guint)per_case;
    Unit *units = g_new0(Unit, n_units ? n_units : 1);
    for (guint i = 0; i < cases->len; i++) {
        const Case *c = &g_array_index(cases, Case, i);
        for (guint k = 0; k < c->n_units; k++) {
            Unit *u = &units[c->first_unit + k];
            *u = (Unit){.c = c, .o = &o, .has_seed = o.has_seeds, .seed = o.seed_lo + k};
        }
    }

    /* G_DEFINE_QUARK caches its quark in a static variable on first use:
     * harmless, but a race between workers all the same. Fill the caches
     * the workers use before they start, and GError's lazily made lock
     * (which ThreadSanitizer cannot see made safely inside GLib). */
    (void)ns_scenario_error_quark();
    (void)ns_world_error_quark();
    g_error_free(g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_FAILED, ""));

    Sync sync;
    g_mutex_init(&sync.lock);
    g_cond_init(&sync.cond);
    GThreadPool *pool = NULL;
    if (o.jobs > 1 && n_units > 1) {
        pool = g_thread_pool_new(worker, &sync, (gint)MIN(o.jobs, n_units), FALSE, &err);
        if (!pool)
            g_error("cannot start worker threads: %s", err->message);
        for (guint i = 0; i < n_units; i++)
            g_thread_pool_push(pool, &units[i], NULL);
    }

    Totals t = {0};
    for (guint i = 0; i < cases->len; i++) {
        const Case *c = &g_array_index(cases, Case, i);
        Unit *cu = &units[c->first_unit];
        for (guint k = 0; k < c->n_units; k++) {
            if (!pool) {
                run_unit(&cu[k]);
                continue;
            }
            g_mutex_lock(&sync.lock);
            while (!cu[k].done)
                g_cond_wait(&sync.cond, &sync.lock);
            g_mutex_unlock(&sync.lock);
        }
        g_autoptr(GString) rep = g_string_new(NULL);
        case_report(rep, c, cu, &o, &t);
        fputs(rep->str, stdout);
        fflush(stdout);
    }
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
    g_mutex_clear(&sync.lock);
    g_cond_clear(&sync.cond);

    int status = t.bad ? NS_EXIT_USAGE : t.failed ? NS_EXIT_EXPECT : NS_EXIT_OK;
    if (o.junit && !write_junit(o.junit, cases, units, &o, &t, &err)) {
        fprintf(stderr, "netsim: test: cannot write the JUnit report: %s\n", err->message);
        status = NS_EXIT_USAGE;
    }
    for (guint i = 0; i < n_units; i++)
        unit_clear(&units[i]);
    g_free(units);

    if (o.update)
        printf("%u golden trace%s updated\n", t.updated, t.updated == 1 ? "" : "s");
    printf("%u passed, %u failed", t.passed, t.failed);
    if (t.skipped)
        printf(", %u skipped", t.skipped);
    putchar('\n');
    if (fflush(stdout) != 0) {
        fprintf(stderr, "netsim: test: writing the report failed: %s\n", g_strerror(errno));
        return NS_EXIT_USAGE;
    }
    return status;
}
