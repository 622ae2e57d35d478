/* Internals of the scenario front end, shared by its files and its tests:
 * tokens, the repeat-expression evaluator, the parser state that carries
 * name tables and diagnostics through the passes, and did-you-mean hints. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/scenario.h"

/* ---- Lexer ----------------------------------------------------------------- */

/* A word or a quoted string of one line. Word text is raw (substitutions
 * not yet done); string text is decoded and may hold NUL (use len). */
typedef struct {
    const char *text; /* NUL-terminated */
    uint32_t len;
    uint32_t col;     /* 1-based column of its first byte (the quote for strings) */
    uint32_t raw_len; /* bytes it spans in the line */
    bool quoted;
} NsScnTok;

/* Splits one line (without its newline) into tokens appended to `toks`,
 * storing their text in `store`. On a lexical error returns false with
 * `*err_col` and `*err` (transfer full) set; `toks` then holds garbage to
 * be truncated by the caller. */
bool ns_scn_lex_line(const char *line, size_t len, GArray *toks, GStringChunk *store,
                     uint32_t *err_col, char **err);

/* ---- Expressions -------------------------------------------------------------- */

typedef struct {
    const char *name;
    int64_t value;
} NsScnVar;

/* Evaluates integer arithmetic (+ - * / %, unary minus, parentheses) over
 * the variables. On error returns false with `*err_off` the byte offset in
 * `expr` of the culprit and `*err` (transfer full) the message. */
bool ns_scn_expr_eval(const char *expr, size_t len, const NsScnVar *vars, size_t n_vars,
                      int64_t *out, size_t *err_off, char **err);

/* Replaces every {EXPR} of `word` by its decimal value. Returns a new string
 * (transfer full) or NULL with `*err_off` (offset in `word`) and `*err` set. */
char *ns_scn_substitute(const char *word, const NsScnVar *vars, size_t n_vars, size_t *err_off,
                        char **err);

/* ---- Did you mean ---------------------------------------------------------------- */

typedef struct {
    const char *word;
    size_t wlen;
    size_t max_dist;
    const char *best;
    size_t best_dist;
} NsScnSuggest;

void ns_scn_suggest_init(NsScnSuggest *s, const char *word);
void ns_scn_suggest_add(NsScnSuggest *s, const char *candidate);
/* " (did you mean 'x'?)" or "" (static or interned: do not free). */
const char *ns_scn_suggest_hint(NsScnSuggest *s, char buf[], size_t size);
/* Damerau (optimal string alignment) distance, stopping early above `max`. */
size_t ns_scn_edit_distance(const char *a, size_t alen, const char *b, size_t blen, size_t max);

/* ---- Parser state -------------------------------------------------------------- */

typedef enum {
    NS_SCN_LINE_STMT,
    NS_SCN_LINE_REPEAT,
    NS_SCN_LINE_END,
    NS_SCN_LINE_SKIP, /* lexical error, or a repeat too deep or malformed */
} NsScnLineKind;

typedef struct {
    uint32_t line;
    NsScnLineKind kind;
    uint32_t first_tok, n_toks; /* into NsScnParser.toks */
    uint32_t match;             /* REPEAT: index of its `end` line (or n_lines) */
    bool bad;                   /* REPEAT: malformed or too deep, body skipped */
    uint32_t passes;            /* REPEAT: bit 1 << pass for each pass its body has a statement of */
    uint64_t stopped_at;        /* REPEAT: the iteration an error stopped it at (0: none) */
} NsScnLine;

/* One expanded statement being parsed: tokens after substitution. */
typedef struct {
    uint32_t line;
    const char *ctx;
    NsScnTok *t;
    uint32_t n;
} NsScnStmt;

typedef struct {
    uint32_t line, col;
    uint64_t seq;
    char *ctx;
    char *message;
} NsScnPDiag;

/* Statement passes: declarations first, so any line may name what any
 * other line declares; `at` lines in file order, so socket names follow
 * the order of the steps that create them; expectations last. */
enum {
    NS_SCN_PASS_HEADER = 1, /* scenario, seed, stop, network */
    NS_SCN_PASS_HOSTS,      /* host, router */
    NS_SCN_PASS_WIRING,     /* link, service, drop, delay, duplicate, program */
    NS_SCN_PASS_STEPS,      /* at */
    NS_SCN_PASS_EXPECTS,    /* expect */
    NS_SCN_N_PASSES = NS_SCN_PASS_EXPECTS,
};

typedef struct NsScnParser {
    NsScenario *scn;
    const char *file;
    /* the file, lexed once */
    GArray *lines;          /* NsScnLine */
    GArray *toks;           /* NsScnTok */
    GStringChunk *tmpl;     /* token text */
    GStringChunk *scratch;  /* substituted words of the current statement */
    /* the scenario's strings interned so far (one copy of each in
     * scn->strings; the table itself goes with the parser, not the run) */
    GHashTable *interned;
    GArray *stmt_toks;      /* NsScnTok of the current statement */
    /* diagnostics */
    GArray *diags;          /* NsScnPDiag */
    GHashTable *diag_seen;  /* "line:col:message" */
    uint64_t n_errors;      /* reported, kept or not (a repeat stops at its first) */
    bool limit_hit;
    bool abort_passes;
    /* expansion */
    int pass;
    NsScnVar vars[NS_SCN_MAX_DEPTH];
    uint32_t var_lines[NS_SCN_MAX_DEPTH];
    uint32_t n_vars;
    const char *ctx;
    bool ctx_valid;
    uint64_t n_stmts;
    bool host_limit_reported;
    /* header */
    uint32_t scenario_line, seed_line, stop_line, routing_line;
    /* name tables: values are index + 1 */
    GHashTable *host_by_name;  /* host names */
    GHashTable *dns_by_name;   /* dns names */
    GHashTable *net_by_name;
    GHashTable *sw_by_name;    /* switch names -> index + 1 */
    GHashTable *addr_owner;    /* address -> host */
    GHashTable *addr6_owner;   /* IPv6 address (16 bytes, owned) -> host + 1 */
    GHashTable *link_by_pair;  /* "a/b" with a < b -> link */
    GHashTable *service_key;   /* "host/port/proto" -> service */
    GHashTable *sock_by_name;  /* "host/name" -> the latest socket of that name */
    GHashTable *prog_by_name;  /* "host/name" -> program */
    GHashTable *step_key;      /* "verb\nhost\ntext" -> the first such step */
    GHashTable *net_by_prefix[33]; /* per prefix length: network address -> network */
    GArray *net_cidr_col;      /* uint32 per network */
    GArray *host_resolver_col; /* uint32 per host */
    GArray *sock_closed;       /* bool per socket: closed by an earlier step */
} NsScnParser;

/* Records a diagnostic at line:col (of the statement being parsed, with the
 * current repeat context). Identical ones from other repeat values are
 * dropped: one mistake in a block of 1000 is one error, not 1000. */
void ns_scn_error(NsScnParser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
void ns_scn_verror(NsScnParser *p, bool limit, uint32_t line, uint32_t col, const char *fmt,
                   va_list ap) G_GNUC_PRINTF(5, 0);
/* The same, flagged as a limit (NS_SCENARIO_ERROR_LIMIT). */
void ns_scn_limit_error(NsScnParser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
/* "in repeat i=2, j=3" for the current values, or NULL outside repeat. */
const char *ns_scn_context(NsScnParser *p);

/* Parses one expanded statement of the current pass (parser.c). */
void ns_scn_parse_stmt(NsScnParser *p, NsScnStmt *st);
/* NsScnList: append one element of `size` bytes (doubling while parsing);
 * free the list and its elements. */
void ns_scn_list_append(NsScnList *l, const void *elt, size_t size);
void ns_scn_list_free(NsScnList *l);
/* The pass that handles a statement keyword, or 0 if it is none. */
int ns_scn_stmt_pass(const char *keyword);
/* Reports an unknown statement keyword (once, in the first pass). */
void ns_scn_unknown_stmt(NsScnParser *p, NsScnStmt *st);

/* Checks that need a whole pass done (validate.c). */
void ns_scn_check_networks(NsScnParser *p);   /* after HEADER: overlaps */
void ns_scn_check_resolvers(NsScnParser *p);  /* after HOSTS */
void ns_scn_check_reachable(NsScnParser *p);  /* after WIRING: linkless addresses */

/* Host lookups shared by the parser files: by name, then by dns name. */
int32_t ns_scn_find_host(NsScnParser *p, const char *name);
/* " (did you mean 'x'?)" over host names (and dns names if `dns`). */
const char *ns_scn_host_hint(NsScnParser *p, const char *name, bool dns, char buf[],
                             size_t size);

/* Parses a dotted quad; false if it is not one. */
bool ns_scn_parse_addr(const char *s, uint32_t *out);
