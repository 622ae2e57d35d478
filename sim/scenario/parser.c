/* The statements of the scenario language: one expanded line (tokens after
 * {EXPR} substitution) into AST nodes, with the checks that a line can make
 * against the declarations already collected. The first error of a line
 * ends it: the rest of a bad line would only yield follow-on noise. */
#include "scenario-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "netsim/units.h"
#include "netsim/wire/ipv6.h"

#define HINT_SIZE 320

/* ---- Reporting ---- */

static uint32_t tok_col(const NsScnStmt *st, uint32_t i)
{
    if (i < st->n)
        return st->t[i].col;
    const NsScnTok *last = &st->t[st->n - 1];
    return last->col + last->raw_len + 1;
}

/* Reports at token i (or just past the line's end) and returns false. */
static bool serr(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static bool serr(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ns_scn_verror(p, false, st->line, tok_col(st, i), fmt, ap);
    va_end(ap);
    return false;
}

/* Words from..to-1 as written (strings shown quoted, shortened), for
 * "after 'connect S'". */
static char *phrase(const NsScnStmt *st, uint32_t from, uint32_t to)
{
    GString *s = g_string_new(NULL);
    for (uint32_t k = from; k < to && k < st->n; k++) {
        if (s->len)
            g_string_append_c(s, ' ');
        if (st->t[k].quoted)
            g_string_append(s, "\"...\"");
        else
            g_string_append(s, st->t[k].text);
    }
    return g_string_free(s, FALSE);
}

/* The token's text for messages: strings are shown as such. */
static const char *shown(const NsScnTok *t)
{
    return t->quoted ? "a quoted string" : t->text;
}

static bool need(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t from, const char *what)
{
    if (i < st->n)
        return true;
    g_autofree char *after = phrase(st, from, i);
    return serr(p, st, i, "expected %s after '%s'", what, after);
}

static bool no_more(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t from)
{
    if (i >= st->n)
        return true;
    g_autofree char *after = phrase(st, from, i);
    if (st->t[i].quoted)
        return serr(p, st, i, "unexpected string after '%s'", after);
    return serr(p, st, i, "unexpected '%s' after '%s'", st->t[i].text, after);
}

static bool is_word(const NsScnStmt *st, uint32_t i, const char *kw)
{
    return i < st->n && !st->t[i].quoted && strcmp(st->t[i].text, kw) == 0;
}

/* One copy of `s` in the scenario's strings (a URL written on an `at` line
 * and its `expect` line share it). Not g_string_chunk_insert_const: its
 * table would stay with the scenario for the whole run (0.5 MB for W1's
 * 10,000 URLs); this one is freed with the parser. */
static const char *intern(NsScnParser *p, const char *s)
{
    const char *got = g_hash_table_lookup(p->interned, s);
    if (!got) {
        got = g_string_chunk_insert(p->scn->strings, s);
        g_hash_table_add(p->interned, (char *)got);
    }
    return got;
}

static NsScnLoc stmt_loc(NsScnParser *p, const NsScnStmt *st)
{
    return (NsScnLoc){p->file, st->line, st->t[0].col, st->ctx};
}

static uint32_t idx_of(gpointer v)
{
    return GPOINTER_TO_UINT(v) - 1;
}

/* Picks `word` in a NULL-terminated list; -1 if absent. */
static int pick(const char *word, const char *const *list)
{
    for (int k = 0; list[k]; k++)
        if (strcmp(word, list[k]) == 0)
            return k;
    return -1;
}

static const char *list_hint(const char *word, const char *const *list, char buf[], size_t size)
{
    NsScnSuggest sg;
    ns_scn_suggest_init(&sg, word);
    for (int k = 0; list[k]; k++)
        ns_scn_suggest_add(&sg, list[k]);
    return ns_scn_suggest_hint(&sg, buf, size);
}

/* ---- Words ---- */

static bool valid_name(const char *s)
{
    if (!(g_ascii_isalpha(s[0]) || s[0] == '_'))
        return false;
    for (const char *c = s + 1; *c; c++)
        if (!(g_ascii_isalnum(*c) || *c == '_' || *c == '.' || *c == '-'))
            return false;
    return true;
}

static bool check_name(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *what)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted)
        return serr(p, st, i, "expected a %s name, not a quoted string", what);
    if (t->len > NS_SCN_MAX_NAME)
        return serr(p, st, i, "%s name longer than the limit of %u bytes", what, NS_SCN_MAX_NAME);
    if (!valid_name(t->text))
        return serr(p, st, i,
                    "'%s' is not a valid %s name (a name starts with a letter or '_' and "
                    "goes on with letters, digits, '_', '.' or '-')",
                    t->text, what);
    return true;
}

/* Labels of letters, digits and '-' joined by dots, as DNS wants them. */
static bool valid_dns_name(const char *s)
{
    size_t label = 0, total = strlen(s);
    if (total == 0 || total > NS_SCN_MAX_NAME)
        return false;
    for (const char *c = s;; c++) {
        if (*c == '.' || *c == '\0') {
            if (label == 0 || label > 63 || c[-1] == '-')
                return false;
            if (*c == '\0')
                return true;
            label = 0;
        } else if (g_ascii_isalnum(*c) || (*c == '-' && label > 0) || *c == '_') {
            label++;
        } else {
            return false;
        }
    }
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!g_ascii_isdigit(*s))
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s) || !g_uint64_checked_mul(&v, v, 10) ||
            !g_uint64_checked_add(&v, v, (uint64_t)(*s - '0')))
            return false;
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* A whole number in lo..hi after `what`, e.g. "count". */
static bool parse_count(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *what,
                        uint64_t lo, uint64_t hi, uint64_t *out)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted || !parse_u64(t->text, hi, out) || *out < lo)
        return serr(p, st, i, "%s must be a whole number from %" G_GUINT64_FORMAT
                    " to %" G_GUINT64_FORMAT ", not '%s'", what, lo, hi, shown(t));
    return true;
}

static bool tok_unit(NsScnParser *p, const NsScnStmt *st, uint32_t i,
                     bool (*fn)(const char *, void *, char **), void *out)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted)
        return serr(p, st, i, "expected a number with a unit, not a quoted string");
    g_autofree char *err = NULL;
    if (!fn(t->text, out, &err))
        return serr(p, st, i, "%s", err);
    return true;
}

static bool time_fn(const char *s, void *out, char **err)
{
    return ns_parse_time(s, out, err);
}
static bool rate_fn(const char *s, void *out, char **err)
{
    return ns_parse_rate(s, out, err);
}
static bool size_fn(const char *s, void *out, char **err)
{
    return ns_parse_size(s, out, err);
}
static bool ratio_fn(const char *s, void *out, char **err)
{
    return ns_parse_ratio(s, out, err);
}

static bool tok_time(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsTime *out)
{
    return tok_unit(p, st, i, time_fn, out);
}
static bool tok_size(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint64_t *out)
{
    return tok_unit(p, st, i, size_fn, out);
}

/* "bytes 1200" reads naturally without a unit: bytes is the unit. */
static bool tok_bytes(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint64_t *out)
{
    if (!st->t[i].quoted && parse_u64(st->t[i].text, UINT64_MAX, out))
        return true;
    return tok_size(p, st, i, out);
}

/* An address that may name a host: not 0.0.0.0, loopback, multicast or
 * broadcast, which a host cannot own. */
static bool tok_host_addr(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t *out)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted)
        return serr(p, st, i, "expected an IPv4 address, not a quoted string");
    if (!ns_scn_parse_addr(t->text, out)) {
        if (strchr(t->text, '/'))
            return serr(p, st, i,
                        "'%s': a host address takes no prefix (the network line gives it)",
                        t->text);
        if (strchr(t->text, ':'))
            return serr(p, st, i, "'%s' is an IPv6 address: an IPv4 address is needed here",
                        t->text);
        return serr(p, st, i, "'%s' is not an IPv4 address", t->text);
    }
    uint32_t a = *out;
    const char *why = a == 0                    ? "unspecified"
                      : (a >> 24) == 127        ? "loopback"
                      : (a >> 28) == 14         ? "multicast"
                      : a == 0xffffffffu        ? "broadcast"
                      : (a >> 28) == 15         ? "reserved"
                      : (a >> 24) == 0          ? "reserved"
                                                : NULL;
    if (why)
        return serr(p, st, i, "%s cannot be a host address (%s)", t->text, why);
    return true;
}

/* ---- Names ---- */

/* A host by its own name (topology, `at`, expect): DNS names are not
 * accepted here, so a line always names hosts the same way. */
static bool tok_host(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t *out)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted)
        return serr(p, st, i, "expected a host name, not a quoted string");
    gpointer v = g_hash_table_lookup(p->host_by_name, t->text);
    if (v) {
        *out = idx_of(v);
        return true;
    }
    char hint[HINT_SIZE];
    return serr(p, st, i, "unknown host '%s'%s", t->text,
                ns_scn_host_hint(p, t->text, false, hint, sizeof hint));
}

static bool tok_network(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t *out)
{
    const NsScnTok *t = &st->t[i];
    gpointer v = t->quoted ? NULL : g_hash_table_lookup(p->net_by_name, t->text);
    if (v) {
        *out = idx_of(v);
        return true;
    }
    NsScnSuggest sg;
    ns_scn_suggest_init(&sg, t->text);
    for (unsigned k = 0; k < p->scn->networks->len; k++)
        ns_scn_suggest_add(&sg, g_array_index(p->scn->networks, NsScnNetwork, k).name);
    char hint[HINT_SIZE];
    return serr(p, st, i, "unknown network '%s'%s", shown(t),
                ns_scn_suggest_hint(&sg, hint, sizeof hint));
}

static char *sock_key(uint32_t host, const char *name)
{
    return g_strdup_printf("%u/%s", host, name);
}

static bool tok_sock(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t host,
                     uint32_t *out)
{
    const NsScnTok *t = &st->t[i];
    const NsScnHost *h = ns_scn_host(p->scn, host);
    if (t->quoted)
        return serr(p, st, i, "expected a socket name, not a quoted string");
    g_autofree char *key = sock_key(host, t->text);
    gpointer v = g_hash_table_lookup(p->sock_by_name, key);
    if (v) {
        *out = idx_of(v);
        return true;
    }
    NsScnSuggest sg;
    ns_scn_suggest_init(&sg, t->text);
    for (unsigned k = 0; k < p->scn->sockets->len; k++) {
        const NsScnSocket *s = ns_scn_socket(p->scn, k);
        if (s->host == host)
            ns_scn_suggest_add(&sg, s->name);
    }
    char hint[HINT_SIZE];
    const char *hs = ns_scn_suggest_hint(&sg, hint, sizeof hint);
    if (*hs)
        return serr(p, st, i, "unknown socket '%s' on host '%s'%s", t->text, h->name, hs);
    return serr(p, st, i,
                "unknown socket '%s' on host '%s' (an earlier line must create it: "
                "'at T %s socket tcp as %s')",
                t->text, h->name, h->name, t->text);
}

static const char *const sock_reserved[] = {"fetch", "sockets", "mail", "ping", NULL};

/* `socket ... as NAME` / `accept ... as NAME`: a new socket of `host`. */
static bool new_sock(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t host,
                     NsScnProto proto, uint32_t *out)
{
    if (!check_name(p, st, i, "socket"))
        return false;
    const char *name = st->t[i].text;
    if (pick(name, sock_reserved) >= 0)
        return serr(p, st, i, "'%s' cannot name a socket (it is a keyword of 'expect')", name);
    g_autofree char *key = sock_key(host, name);
    gpointer v = g_hash_table_lookup(p->sock_by_name, key);
    if (v && !g_array_index(p->sock_closed, bool, idx_of(v))) {
        const NsScnSocket *old = ns_scn_socket(p->scn, idx_of(v));
        return serr(p, st, i, "socket '%s' already exists on host '%s' (line %u; close it "
                    "before reusing the name)", name, ns_scn_host(p->scn, host)->name,
                    old->loc.line);
    }
    NsScnSocket s = {
        .loc = stmt_loc(p, st),
        .host = host,
        .name = intern(p, name),
        .proto = proto,
        .step = p->scn->steps->len,
    };
    g_array_append_val(p->scn->sockets, s);
    bool closed = false;
    g_array_append_val(p->sock_closed, closed);
    *out = p->scn->sockets->len - 1;
    g_hash_table_replace(p->sock_by_name, g_steal_pointer(&key), GUINT_TO_POINTER(*out + 1));
    return true;
}

/* ---- Endpoints, URLs, payloads ---- */

/* The host part of an endpoint, URL or ping target: an address or a name. */
static bool resolve_target(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *s,
                           NsScnEndpoint *ep)
{
    if (strchr(s, ':')) {
        NsIpv6Addr a;
        if (!ns_ipv6_parse_addr(s, &a))
            return serr(p, st, i, "'%s' is not an IPv6 address", s);
        ep->kind = NS_SCN_TARGET_ADDR;
        ep->is_v6 = true;
        memcpy(ep->addr6, a.b, 16);
        gpointer v = g_hash_table_lookup(p->addr6_owner, &a);
        ep->host = v ? (int32_t)idx_of(v) : -1;
        return true;
    }
    if (g_ascii_isdigit(s[0])) {
        if (!ns_scn_parse_addr(s, &ep->addr))
            return serr(p, st, i, "'%s' is not an IPv4 address", s);
        ep->kind = NS_SCN_TARGET_ADDR;
        gpointer v = g_hash_table_lookup(p->addr_owner, GUINT_TO_POINTER(ep->addr));
        ep->host = v ? (int32_t)idx_of(v) : -1;
        return true;
    }
    int32_t h = ns_scn_find_host(p, s);
    if (h < 0) {
        char hint[HINT_SIZE];
        return serr(p, st, i, "unknown host '%s'%s", s,
                    ns_scn_host_hint(p, s, true, hint, sizeof hint));
    }
    ep->kind = NS_SCN_TARGET_NAME;
    ep->name = intern(p, s);
    ep->host = h;
    /* A host whose own line had errors may have no address: that line was
     * reported already and the file will not run. */
    const NsScnHost *hp = ns_scn_host(p->scn, (uint32_t)h);
    ep->addr = hp->n_addrs ? hp->addrs[0].addr : 0;
    /* The name of an IPv6-only host stands for its first IPv6 address; so
     * does any host's name in a step or expectation of an IPv6-only host,
     * which could not reach an IPv4 address (getaddrinfo's AI_ADDRCONFIG
     * gives such a host IPv6 addresses only). */
    uint32_t who = is_word(st, 0, "at") ? 2 : is_word(st, 0, "expect") ? 1 : 0;
    gpointer actor = who && st->n > who && !st->t[who].quoted
                         ? g_hash_table_lookup(p->host_by_name, st->t[who].text)
                         : NULL;
    bool actor_v6only = actor && ns_scn_host(p->scn, idx_of(actor))->n_addrs == 0 &&
                        ns_scn_host(p->scn, idx_of(actor))->n_addrs6 > 0;
    if (hp->n_addrs6 && (hp->n_addrs == 0 || actor_v6only)) {
        ep->is_v6 = true;
        memcpy(ep->addr6, hp->addrs6[0].addr, 16);
    }
    return true;
}

static bool parse_port(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *s,
                       bool allow_zero, uint16_t *out)
{
    uint64_t v;
    if (!parse_u64(s, 65535, &v) || (v == 0 && !allow_zero))
        return serr(p, st, i, "port '%s' is out of range (%s..65535)", s,
                    allow_zero ? "0" : "1");
    *out = (uint16_t)v;
    return true;
}

/* ADDR:PORT, NAME:PORT, or (bind only) :PORT and port 0; where v6 names
 * what takes one, [IPV6-ADDR]:PORT too ([::]:PORT: any address, bind only). */
static bool tok_endpoint6(NsScnParser *p, const NsScnStmt *st, uint32_t i, bool is_bind,
                          NsScnEndpoint *ep, const char *v6)
{
    const NsScnTok *t = &st->t[i];
    *ep = (NsScnEndpoint){.host = -1};
    if (!t->quoted && t->text[0] == '[') {
        /* [ADDR]:PORT, as RFC 3986 and RFC 5952 section 6 write IPv6 ends */
        const char *close = strchr(t->text, ']');
        if (!close || close[1] != ':')
            return serr(p, st, i, "'%s' is not an endpoint (write [ADDR]:PORT, e.g. "
                        "[2001:db8:1::2]:80)", t->text);
        g_autofree char *a = g_strndup(t->text + 1, (gsize)(close - t->text - 1));
        NsIpv6Addr a6;
        if (!ns_ipv6_parse_addr(a, &a6))
            return serr(p, st, i, "'%s' is not an IPv6 address", a);
        if (!v6)
            return serr(p, st, i, "'%s': this statement takes no IPv6 endpoint (the socket "
                        "verbs, udp-send and mail do)", t->text);
        if (!parse_port(p, st, i, close + 2, is_bind, &ep->port))
            return false;
        ep->is_v6 = true;
        memcpy(ep->addr6, a6.b, 16);
        if (ns_ipv6_is_unspecified(&a6)) {
            if (!is_bind)
                return serr(p, st, i, "'%s' gives no address; only 'bind' takes [::]:PORT",
                            t->text);
            ep->kind = NS_SCN_TARGET_ANY;
            return true;
        }
        ep->kind = NS_SCN_TARGET_ADDR;
        gpointer o = g_hash_table_lookup(p->addr6_owner, &a6);
        ep->host = o ? (int32_t)idx_of(o) : -1;
        return true;
    }
    const char *colon = t->quoted ? NULL : strrchr(t->text, ':');
    if (colon && memchr(t->text, ':', (size_t)(colon - t->text)))
        return serr(p, st, i, "'%s': write an IPv6 endpoint in brackets, [ADDR]:PORT",
                    t->text);
    if (!colon)
        return serr(p, st, i, "'%s' is not an endpoint (write ADDR:PORT or HOST:PORT, "
                    "e.g. 10.0.0.2:80)", shown(t));
    if (!parse_port(p, st, i, colon + 1, is_bind, &ep->port))
        return false;
    if (colon == t->text) {
        if (!is_bind)
            return serr(p, st, i, "'%s' gives no address; only 'bind' takes :PORT alone",
                        t->text);
        ep->kind = NS_SCN_TARGET_ANY;
        return true;
    }
    g_autofree char *hostpart = g_strndup(t->text, (gsize)(colon - t->text));
    return resolve_target(p, st, i, hostpart, ep);
}

static bool tok_endpoint(NsScnParser *p, const NsScnStmt *st, uint32_t i, bool is_bind,
                         NsScnEndpoint *ep)
{
    return tok_endpoint6(p, st, i, is_bind, ep, NULL);
}

/* An address (IPv4 or IPv6) or a host name. */
static bool tok_target(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnEndpoint *ep)
{
    const NsScnTok *t = &st->t[i];
    *ep = (NsScnEndpoint){.host = -1};
    if (t->quoted)
        return serr(p, st, i, "expected an address or a host name, not a quoted string");
    return resolve_target(p, st, i, t->text, ep);
}

static bool tok_url(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnUrl *url)
{
    const NsScnTok *t = &st->t[i];
    *url = (NsScnUrl){.server = {.host = -1}};
    if (t->quoted || !g_str_has_prefix(t->text, "http://"))
        return serr(p, st, i, "'%s' is not an http:// URL (netsim speaks plain HTTP only)",
                    shown(t));
    const char *hp = t->text + 7;
    const char *slash = strchr(hp, '/');
    g_autofree char *hostport = slash ? g_strndup(hp, (gsize)(slash - hp)) : g_strdup(hp);
    if (!*hostport)
        return serr(p, st, i, "URL '%s' names no host", t->text);
    url->server.port = 80;
    if (hostport[0] == '[') {
        /* http://[2001:db8::80]:8080/: an IPv6 address in brackets (RFC 3986 3.2.2) */
        char *close = strchr(hostport, ']');
        if (!close || (close[1] && close[1] != ':'))
            return serr(p, st, i, "URL '%s': write an IPv6 address in brackets, as in "
                        "http://[2001:db8::80]/ or http://[2001:db8::80]:8080/", t->text);
        if (close[1] && !parse_port(p, st, i, close + 2, false, &url->server.port))
            return false;
        *close = '\0';
        NsIpv6Addr a6;
        if (!ns_ipv6_parse_addr(hostport + 1, &a6))
            return serr(p, st, i, "URL '%s': '%s' is not an IPv6 address", t->text,
                        hostport + 1);
        if (ns_ipv6_is_unspecified(&a6))
            return serr(p, st, i, "URL '%s' names no server ([::] is no address)", t->text);
        url->server.kind = NS_SCN_TARGET_ADDR;
        url->server.is_v6 = true;
        memcpy(url->server.addr6, a6.b, 16);
        gpointer o = g_hash_table_lookup(p->addr6_owner, &a6);
        url->server.host = o ? (int32_t)idx_of(o) : -1;
    } else {
        char *colon = strchr(hostport, ':');
        if (colon) {
            *colon = '\0';
            if (!parse_port(p, st, i, colon + 1, false, &url->server.port))
                return false;
        }
        if (!resolve_target(p, st, i, hostport, &url->server))
            return false;
    }
    url->text = intern(p, t->text);
    url->path = intern(p, slash ? slash : "/");
    return true;
}

/* The most a UDP datagram to `to` can carry: IPv6's limit when the target
 * is IPv6 (an address written so, or a host with IPv6 addresses only),
 * else IPv4's, as a name is sent to over IPv4; for a connected socket (`to`
 * NULL), whose family shows only at run time, IPv6's, and a send over IPv4
 * then fails with EMSGSIZE, as send(2) does. */
static uint32_t datagram_max(const NsScnEndpoint *to)
{
    return !to || to->is_v6 ? NS_SCN_MAX_DATAGRAM6 : NS_SCN_MAX_DATAGRAM;
}

/* A payload: of one UDP datagram to `to` when `datagram` (at most
 * datagram_max(to) bytes; `to` NULL for a connected socket, whose family
 * is known at run time), else of a byte stream (at most NS_SCN_MAX_PAYLOAD). */
static bool tok_payload(NsScnParser *p, const NsScnStmt *st, uint32_t i, bool datagram,
                        const NsScnEndpoint *to, NsScnPayload *out)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted) {
        out->data = (const uint8_t *)g_string_chunk_insert_len(p->scn->strings, t->text,
                                                               (gssize)t->len);
        out->len = t->len;
    } else {
        if (!g_ascii_isdigit(t->text[0]) && t->text[0] != '-')
            return serr(p, st, i, "'%s' is not a payload: write text in quotes (\"%s\") or a "
                        "size (1MB)", t->text, t->text);
        out->data = NULL;
        if (!tok_size(p, st, i, &out->len))
            return false;
    }
    uint32_t max = datagram_max(to);
    if (datagram && out->len > max)
        return serr(p, st, i, "a UDP datagram carries at most %u bytes %s, not %" PRIu64, max,
                    !to ? "(over IPv6; 65507 over IPv4)" : to->is_v6 ? "over IPv6" : "over IPv4",
                    out->len);
    if (out->len > NS_SCN_MAX_PAYLOAD)
        return serr(p, st, i, "payload of %" PRIu64 " bytes is over the limit of %" PRIu64
                    " bytes (1 PiB)", out->len, (uint64_t)NS_SCN_MAX_PAYLOAD);
    return true;
}

/* ---- Link options ---- */

static const char *const link_opt_names[] = {
    "delay", "rate", "loss", "jitter", "duplicate", "reorder", "queue", "mtu", NULL,
};

static bool parse_link_opts(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnLinkOpts *o)
{
    *o = (NsScnLinkOpts){0};
    while (i < st->n) {
        const NsScnTok *t = &st->t[i];
        int k = t->quoted ? -1 : pick(t->text, link_opt_names);
        if (k < 0) {
            char hint[HINT_SIZE];
            const char *h = t->quoted ? "" : list_hint(t->text, link_opt_names, hint, sizeof hint);
            if (*h)
                return serr(p, st, i, "unknown link option '%s'%s", shown(t), h);
            return serr(p, st, i, "unknown link option '%s' (options: delay, rate, loss, "
                        "jitter, duplicate, reorder, queue, mtu)", shown(t));
        }
        bool *has[] = {&o->has_delay, &o->has_rate, &o->has_loss, &o->has_jitter,
                       &o->has_duplicate, &o->has_reorder, &o->has_queue, &o->has_mtu};
        static const char *const value_of[] = {
            "a time", "a rate", "a ratio", "a time", "a ratio", "a ratio",
            "a number of packets", "a number of bytes",
        };
        if (*has[k])
            return serr(p, st, i, "link option '%s' given twice", t->text);
        if (!need(p, st, i + 1, i, value_of[k]))
            return false;
        uint32_t v = i + 1;
        uint64_t n;
        bool ok;
        switch (k) {
        case 0: ok = tok_time(p, st, v, &o->delay); break;
        case 1: ok = tok_unit(p, st, v, rate_fn, &o->rate); break;
        case 2: ok = tok_unit(p, st, v, ratio_fn, &o->loss_ppm); break;
        case 3: ok = tok_time(p, st, v, &o->jitter); break;
        case 4: ok = tok_unit(p, st, v, ratio_fn, &o->duplicate_ppm); break;
        case 5: ok = tok_unit(p, st, v, ratio_fn, &o->reorder_ppm); break;
        case 6:
            ok = parse_count(p, st, v, "queue", 1, 1000000000, &n);
            o->queue = (uint32_t)n;
            break;
        default:
            /* mtu: a plain number of bytes, or a size. */
            ok = tok_bytes(p, st, v, &n);
            if (ok && (n < NS_SCN_MIN_MTU || n > NS_SCN_MAX_MTU))
                ok = serr(p, st, v, "mtu %s is out of range (%u..%u bytes)", st->t[v].text,
                          NS_SCN_MIN_MTU, NS_SCN_MAX_MTU);
            o->mtu = (uint32_t)n;
            break;
        }
        if (!ok)
            return false;
        *has[k] = true;
        i += 2;
    }
    return true;
}

/* ---- Header and networks ---- */

static bool once(NsScnParser *p, const NsScnStmt *st, uint32_t *first_line)
{
    if (*first_line)
        return serr(p, st, 0, "'%s' given twice (first on line %u)", st->t[0].text,
                    *first_line);
    *first_line = st->line;
    return true;
}

static void stmt_scenario(NsScnParser *p, NsScnStmt *st)
{
    if (!need(p, st, 1, 0, "a quoted title"))
        return;
    if (!st->t[1].quoted) {
        serr(p, st, 1, "the title must be quoted: scenario \"%s ...\"", st->t[1].text);
        return;
    }
    if (!no_more(p, st, 2, 0) || !once(p, st, &p->scenario_line))
        return;
    /* A title is a line of text for headers (text, JSON, diagrams): UTF-8
     * with no control character (a NUL would cut it short). */
    const NsScnTok *t = &st->t[1];
    for (uint32_t k = 0; k < t->len; k++) {
        if ((unsigned char)t->text[k] < 0x20 || t->text[k] == 0x7f) {
            serr(p, st, 1, "the title cannot hold control characters (byte 0x%02x at %u)",
                 (unsigned char)t->text[k], k + 1);
            return;
        }
    }
    if (!g_utf8_validate(t->text, (gssize)t->len, NULL)) {
        serr(p, st, 1, "the title must be UTF-8 text");
        return;
    }
    p->scn->title = g_string_chunk_insert_len(p->scn->strings, st->t[1].text,
                                              (gssize)st->t[1].len);
}

static void stmt_seed(NsScnParser *p, NsScnStmt *st)
{
    uint64_t v;
    if (!need(p, st, 1, 0, "a number"))
        return;
    if (st->t[1].quoted || !parse_u64(st->t[1].text, UINT64_MAX, &v)) {
        serr(p, st, 1, "seed must be a whole number from 0 to %" G_GUINT64_FORMAT ", not '%s'",
             UINT64_MAX, shown(&st->t[1]));
        return;
    }
    if (!no_more(p, st, 2, 0) || !once(p, st, &p->seed_line))
        return;
    p->scn->seed = v;
    p->scn->has_seed = true;
}

static void stmt_stop(NsScnParser *p, NsScnStmt *st)
{
    NsTime v;
    if (!need(p, st, 1, 0, "a time") || !tok_time(p, st, 1, &v) || !no_more(p, st, 2, 0) ||
        !once(p, st, &p->stop_line))
        return;
    p->scn->stop = v;
    p->scn->has_stop = true;
}

/* Whether token i is written as an IPv6 address or prefix (it has a ':'). */
static bool looks_v6(const NsScnStmt *st, uint32_t i)
{
    return i < st->n && !st->t[i].quoted && strchr(st->t[i].text, ':') != NULL;
}

/* An IPv6 prefix "2001:db8:1::/64" (RFC 4291 2.3), host bits zero. */
static bool parse_cidr6(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint8_t net[16],
                        uint32_t *prefix)
{
    const NsScnTok *t = &st->t[i];
    const char *slash = strchr(t->text, '/');
    uint64_t pl;
    g_autofree char *a = slash ? g_strndup(t->text, (gsize)(slash - t->text)) : NULL;
    NsIpv6Addr n;
    if (!slash || !ns_ipv6_parse_addr(a, &n) || !parse_u64(slash + 1, 128, &pl) || pl == 0)
        return serr(p, st, i, "'%s' is not an IPv6 network like 2001:db8:1::/64", t->text);
    NsIpv6Addr masked = n;
    for (uint64_t b = pl; b < 128; b++)
        masked.b[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
    if (!ns_ipv6_addr_equal(&n, &masked)) {
        char b[NS_IPV6_STRLEN];
        return serr(p, st, i, "'%s' has host bits set (did you mean %s/%u?)", t->text,
                    ns_ipv6_format(&masked, b), (unsigned)pl);
    }
    if (ns_ipv6_is_link_local(&n) || ns_ipv6_is_multicast(&n))
        return serr(p, st, i, "'%s' is a %s prefix: every interface has its fe80:: address "
                    "already; give a global or unique local prefix", t->text,
                    ns_ipv6_is_multicast(&n) ? "multicast" : "link-local");
    memcpy(net, n.b, 16);
    *prefix = (uint32_t)pl;
    return true;
}

static bool parse_cidr(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t *net,
                       uint32_t *prefix)
{
    const NsScnTok *t = &st->t[i];
    const char *slash = t->quoted ? NULL : strchr(t->text, '/');
    uint64_t pl;
    g_autofree char *a = slash ? g_strndup(t->text, (gsize)(slash - t->text)) : NULL;
    if (!slash || !ns_scn_parse_addr(a, net) || !parse_u64(slash + 1, 32, &pl))
        return serr(p, st, i, "'%s' is not a network like 10.0.0.0/24", shown(t));
    *prefix = (uint32_t)pl;
    uint32_t mask = pl == 0 ? 0 : 0xffffffffu << (32 - pl);
    if (*net & ~mask) {
        char b[16];
        return serr(p, st, i, "'%s' has host bits set (did you mean %s/%u?)", t->text,
                    ns_scn_addr_format(*net & mask, b), *prefix);
    }
    return true;
}

static void stmt_network(NsScnParser *p, NsScnStmt *st)
{
    if (!need(p, st, 1, 0, "a network name") || !check_name(p, st, 1, "network"))
        return;
    const char *name = st->t[1].text;
    gpointer old = g_hash_table_lookup(p->net_by_name, name);
    if (old) {
        serr(p, st, 1, "network '%s' already declared on line %u", name,
             ns_scn_network(p->scn, idx_of(old))->loc.line);
        return;
    }
    NsScnNetwork n = {.loc = stmt_loc(p, st), .name = intern(p, name)};
    if (!need(p, st, 2, 0, "a network like 10.0.0.0/24 or 2001:db8:1::/64"))
        return;
    /* An IPv4 prefix, an IPv6 prefix, or the two (one segment, dual stack). */
    uint32_t next = 3;
    if (looks_v6(st, 2)) {
        if (!parse_cidr6(p, st, 2, n.net6, &n.prefix6))
            return;
        n.has_v6 = true;
    } else {
        if (!parse_cidr(p, st, 2, &n.net, &n.prefix))
            return;
        n.has_v4 = true;
        if (looks_v6(st, 3)) {
            if (!parse_cidr6(p, st, 3, n.net6, &n.prefix6))
                return;
            n.has_v6 = true;
            next = 4;
        }
    }
    /* Registered before its options are checked: a typo in an option
     * should not make every later use of the network an error too. */
    bool ok = parse_link_opts(p, st, next, &n.opts);
    g_array_append_val(p->scn->networks, n);
    uint32_t idx = p->scn->networks->len;
    g_hash_table_insert(p->net_by_name, (gpointer)n.name, GUINT_TO_POINTER(idx));
    uint32_t col = st->t[2].col;
    g_array_append_val(p->net_cidr_col, col);
    if (n.has_v6) {
        /* IPv6 prefixes may not overlap either (checked here: few networks
         * carry them). */
        for (uint32_t k = 0; k + 1 < idx; k++) {
            const NsScnNetwork *o = ns_scn_network(p->scn, k);
            if (!o->has_v6)
                continue;
            uint32_t pl = o->prefix6 < n.prefix6 ? o->prefix6 : n.prefix6;
            NsIpv6Addr x, y;
            memcpy(x.b, n.net6, 16);
            memcpy(y.b, o->net6, 16);
            if (ns_ipv6_in_prefix(&x, &y, (uint8_t)pl)) {
                char b[NS_IPV6_STRLEN];
                serr(p, st, next - 1, "network '%s' overlaps network '%s' (%s/%u, line %u)",
                     n.name, o->name, ns_ipv6_format(&y, b), o->prefix6, o->loc.line);
                break;
            }
        }
    }
    if (n.has_v4) {
        if (!p->net_by_prefix[n.prefix])
            p->net_by_prefix[n.prefix] = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(p->net_by_prefix[n.prefix], GUINT_TO_POINTER(n.net),
                            GUINT_TO_POINTER(idx));
    }
    (void)ok;
}

/* switch NAME [LINK-OPTIONS] */
static void stmt_switch(NsScnParser *p, NsScnStmt *st)
{
    if (!need(p, st, 1, 0, "a switch name") || !check_name(p, st, 1, "switch"))
        return;
    const char *name = st->t[1].text;
    gpointer old = g_hash_table_lookup(p->sw_by_name, name);
    if (old || g_hash_table_lookup(p->net_by_name, name)) {
        serr(p, st, 1, "'%s' already names a %s (line %u)", name, old ? "switch" : "network",
             old ? ns_scn_switch(p->scn, idx_of(old))->loc.line
                 : ns_scn_network(p->scn, idx_of(g_hash_table_lookup(p->net_by_name, name)))
                       ->loc.line);
        return;
    }
    NsScnSwitch sw = {.loc = stmt_loc(p, st), .name = intern(p, name)};
    bool ok = parse_link_opts(p, st, 2, &sw.opts);
    g_array_append_val(p->scn->switches, sw);
    g_hash_table_insert(p->sw_by_name, (gpointer)sw.name,
                        GUINT_TO_POINTER(p->scn->switches->len));
    (void)ok;
}

/* `link HOST SWITCH` (either order): a port of the switch for the host. */
static bool link_to_switch(NsScnParser *p, NsScnStmt *st)
{
    gpointer s1 = st->t[1].quoted ? NULL : g_hash_table_lookup(p->sw_by_name, st->t[1].text);
    gpointer s2 = st->t[2].quoted ? NULL : g_hash_table_lookup(p->sw_by_name, st->t[2].text);
    if (!s1 && !s2)
        return false;
    if (s1 && s2) {
        serr(p, st, 2, "a link joins a host to a switch, not two switches");
        return true;
    }
    uint32_t hi = s1 ? 2 : 1;
    NsScnSwitchPort sp = {.loc = stmt_loc(p, st), .sw = idx_of(s1 ? s1 : s2)};
    if (!tok_host(p, st, hi, &sp.host))
        return true;
    if (st->n > 3) {
        serr(p, st, 3, "link options of a switch's ports are given on its 'switch' line");
        return true;
    }
    for (guint j = 0; j < p->scn->switch_ports->len; j++) {
        const NsScnSwitchPort *o = ns_scn_switch_port(p->scn, j);
        if (o->host == sp.host && o->sw == sp.sw) {
            serr(p, st, 0, "'%s' is already linked to switch '%s' (line %u)", st->t[hi].text,
                 ns_scn_switch(p->scn, sp.sw)->name, o->loc.line);
            return true;
        }
    }
    g_array_append_val(p->scn->switch_ports, sp);
    return true;
}

/* ---- Hosts ---- */

static const char *const host_reserved[] = {"link", "network", "host", "delivered",
                                            "filter", "unfilter", NULL};
static const char *const host_opts[] = {"name", "tcp", "resolver", NULL};
static const char *const tcp_profiles[] = {"minimal", "linux", NULL};

static int32_t network_of(NsScnParser *p, uint32_t addr)
{
    for (int pl = 32; pl >= 0; pl--) {
        if (!p->net_by_prefix[pl])
            continue;
        uint32_t mask = pl == 0 ? 0 : 0xffffffffu << (32 - pl);
        gpointer v = g_hash_table_lookup(p->net_by_prefix[pl], GUINT_TO_POINTER(addr & mask));
        if (v)
            return (int32_t)idx_of(v);
    }
    return -1;
}

static bool host_address(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t host,
                         GArray *addrs)
{
    uint32_t a;
    if (!tok_host_addr(p, st, i, &a))
        return false;
    gpointer owner = g_hash_table_lookup(p->addr_owner, GUINT_TO_POINTER(a));
    if (owner) {
        uint32_t o = idx_of(owner);
        if (o == host)
            return serr(p, st, i, "address %s given twice", st->t[i].text);
        const NsScnHost *oh = ns_scn_host(p->scn, o);
        return serr(p, st, i, "address %s already belongs to host '%s' (line %u)",
                    st->t[i].text, oh->name, oh->loc.line);
    }
    NsScnHostAddr ha = {.addr = a, .network = network_of(p, a), .col = st->t[i].col};
    if (ha.network >= 0) {
        const NsScnNetwork *n = ns_scn_network(p->scn, (uint32_t)ha.network);
        uint64_t last = (uint64_t)n->net + ((uint64_t)1 << (32 - n->prefix)) - 1;
        /* /31 and /32 have no network or broadcast address (RFC 3021). */
        if (n->prefix <= 30 && (a == n->net || a == last)) {
            char b[16];
            return serr(p, st, i, "%s is the %s address of network '%s' (%s/%u)",
                        st->t[i].text, a == n->net ? "network" : "broadcast", n->name,
                        ns_scn_addr_format(n->net, b), n->prefix);
        }
    }
    g_hash_table_insert(p->addr_owner, GUINT_TO_POINTER(a), GUINT_TO_POINTER(host + 1));
    g_array_append_val(addrs, ha);
    return true;
}

/* The network whose IPv6 prefix holds addr, or -1. */
static int32_t network6_of(NsScnParser *p, const NsIpv6Addr *addr)
{
    for (unsigned k = 0; k < p->scn->networks->len; k++) {
        const NsScnNetwork *n = ns_scn_network(p->scn, k);
        NsIpv6Addr net;
        memcpy(net.b, n->net6, 16);
        if (n->has_v6 && ns_ipv6_in_prefix(addr, &net, (uint8_t)n->prefix6))
            return (int32_t)k;
    }
    return -1;
}

/* An IPv6 address of a host: unicast, global or unique local, on one of
 * the IPv6 networks, owned by nobody else. */
static bool host_address6(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t host,
                          GArray *addrs6)
{
    const NsScnTok *t = &st->t[i];
    NsIpv6Addr a;
    if (strchr(t->text, '/'))
        return serr(p, st, i, "'%s': a host address takes no prefix (the network line gives it)",
                    t->text);
    if (!ns_ipv6_parse_addr(t->text, &a))
        return serr(p, st, i, "'%s' is not an IPv6 address", t->text);
    static const NsIpv6Addr loopback = {.b = {[15] = 1}};
    const char *why = ns_ipv6_is_unspecified(&a)           ? "unspecified"
                      : ns_ipv6_addr_equal(&a, &loopback)  ? "loopback"
                      : ns_ipv6_is_multicast(&a)           ? "multicast"
                      : ns_ipv6_is_link_local(&a)          ? "link-local: every interface has "
                                                             "its own already"
                                                           : NULL;
    if (why)
        return serr(p, st, i, "%s cannot be a host address (%s)", t->text, why);
    gpointer owner = g_hash_table_lookup(p->addr6_owner, &a);
    if (owner) {
        uint32_t o = idx_of(owner);
        if (o == host)
            return serr(p, st, i, "address %s given twice", t->text);
        const NsScnHost *oh = ns_scn_host(p->scn, o);
        return serr(p, st, i, "address %s already belongs to host '%s' (line %u)", t->text,
                    oh->name, oh->loc.line);
    }
    int32_t net = network6_of(p, &a); /* -1: a link address */
    for (guint k = 0; k < addrs6->len && net >= 0; k++)
        if (g_array_index(addrs6, NsScnHostAddr6, k).network == net)
            return serr(p, st, i, "%s: the host has an address on network '%s' already "
                        "(one IPv6 address per network)", t->text,
                        ns_scn_network(p->scn, (uint32_t)net)->name);
    NsScnHostAddr6 ha = {.network = net, .col = t->col};
    memcpy(ha.addr, a.b, 16);
    g_hash_table_insert(p->addr6_owner, g_memdup2(a.b, 16), GUINT_TO_POINTER(host + 1));
    g_array_append_val(addrs6, ha);
    return true;
}

static bool host_dns_name(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t host,
                          GPtrArray *names)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted || !valid_dns_name(t->text))
        return serr(p, st, i, "'%s' is not a valid DNS name", shown(t));
    gpointer v = g_hash_table_lookup(p->dns_by_name, t->text);
    if (v) {
        const NsScnHost *o = ns_scn_host(p->scn, idx_of(v));
        return serr(p, st, i, "DNS name '%s' already belongs to host '%s' (line %u)", t->text,
                    o->name, o->loc.line);
    }
    v = g_hash_table_lookup(p->host_by_name, t->text);
    if (v && idx_of(v) != host)
        return serr(p, st, i, "DNS name '%s' is the name of host '%s'", t->text,
                    ns_scn_host(p->scn, idx_of(v))->name);
    const char *name = intern(p, t->text);
    g_hash_table_insert(p->dns_by_name, (gpointer)name, GUINT_TO_POINTER(host + 1));
    g_ptr_array_add(names, (gpointer)name);
    return true;
}

/* host NAME ADDR... [name DNS...] [tcp PROFILE] [resolver ADDR]; router alike. */
static void stmt_host(NsScnParser *p, NsScnStmt *st)
{
    bool router = strcmp(st->t[0].text, "router") == 0;
    if (!need(p, st, 1, 0, router ? "a router name" : "a host name") ||
        !check_name(p, st, 1, router ? "router" : "host"))
        return;
    const char *name = st->t[1].text;
    if (pick(name, host_reserved) >= 0) {
        serr(p, st, 1, "'%s' is a keyword and cannot name a host", name);
        return;
    }
    gpointer old = g_hash_table_lookup(p->host_by_name, name);
    if (old) {
        serr(p, st, 1, "host '%s' already declared on line %u", name,
             ns_scn_host(p->scn, idx_of(old))->loc.line);
        return;
    }
    old = g_hash_table_lookup(p->sw_by_name, name);
    if (old) {
        serr(p, st, 1, "'%s' already names a switch (line %u)", name,
             ns_scn_switch(p->scn, idx_of(old))->loc.line);
        return;
    }
    old = g_hash_table_lookup(p->dns_by_name, name);
    if (old) {
        serr(p, st, 1, "'%s' is already a DNS name of host '%s'", name,
             ns_scn_host(p->scn, idx_of(old))->name);
        return;
    }
    if (p->scn->hosts->len >= NS_SCN_MAX_HOSTS) {
        if (!p->host_limit_reported)
            ns_scn_limit_error(p, st->line, st->t[0].col, "too many hosts (limit %u)",
                               NS_SCN_MAX_HOSTS);
        p->host_limit_reported = true;
        return;
    }
    /* The host exists from here on, even if the rest of its line is bad, so
     * that lines naming it do not add errors of their own. */
    uint32_t idx = p->scn->hosts->len;
    NsScnHost h = {.loc = stmt_loc(p, st), .name = intern(p, name), .is_router = router,
                   .resolver_host = -1};
    ns_scn_list_append(p->scn->hosts, &h, sizeof h);
    uint32_t zero = 0;
    g_array_append_val(p->host_resolver_col, zero);
    g_hash_table_insert(p->host_by_name, (gpointer)h.name, GUINT_TO_POINTER(idx + 1));

    g_autoptr(GArray) addrs = g_array_new(FALSE, FALSE, sizeof(NsScnHostAddr));
    g_autoptr(GArray) addrs6 = g_array_new(FALSE, FALSE, sizeof(NsScnHostAddr6));
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    NsScnTcpProfile tcp = NS_SCN_TCP_MINIMAL;
    bool has_tcp = false, has_resolver = false, ok = true;
    uint32_t resolver = 0, resolver_col = 0, resolver_tok = 0;
    uint32_t i = 2;
    while (ok && i < st->n && (st->t[i].quoted || pick(st->t[i].text, host_opts) < 0)) {
        const NsScnTok *t = &st->t[i];
        if (looks_v6(st, i)) {
            ok = host_address6(p, st, i++, idx, addrs6);
            continue;
        }
        if (addrs->len + addrs6->len > 0 && !t->quoted && !g_ascii_isdigit(t->text[0])) {
            char hint[HINT_SIZE];
            ok = serr(p, st, i, "unknown host option '%s'%s", t->text,
                      list_hint(t->text, host_opts, hint, sizeof hint));
            break;
        }
        ok = host_address(p, st, i++, idx, addrs);
    }
    if (ok && router && addrs->len == 0 && addrs6->len > 0)
        ok = serr(p, st, 1, "router '%s' needs an IPv4 address too (IPv6-only routers are not "
                  "supported yet; IPv6-only hosts are)", name);
    if (ok && addrs->len == 0 && addrs6->len == 0) {
        if (i >= st->n)
            ok = need(p, st, i, 0, "an address");
        else
            ok = serr(p, st, i, "expected an address before '%s'", st->t[i].text);
    }
    while (ok && i < st->n) {
        const NsScnTok *t = &st->t[i];
        int k = t->quoted ? -1 : pick(t->text, host_opts);
        if (k < 0) {
            char hint[HINT_SIZE];
            ok = serr(p, st, i, "unknown host option '%s'%s", shown(t),
                      t->quoted ? "" : list_hint(t->text, host_opts, hint, sizeof hint));
        } else if (k == 0) {
            if (!need(p, st, i + 1, i, "a DNS name")) {
                ok = false;
                break;
            }
            i++;
            do {
                ok = host_dns_name(p, st, i++, idx, names);
            } while (ok && i < st->n && (st->t[i].quoted || pick(st->t[i].text, host_opts) < 0));
        } else if (k == 1) {
            if (has_tcp) {
                ok = serr(p, st, i, "'tcp' given twice");
            } else if (need(p, st, i + 1, i, "a TCP profile (minimal or linux)")) {
                const NsScnTok *v = &st->t[i + 1];
                int pr = v->quoted ? -1 : pick(v->text, tcp_profiles);
                char hint[HINT_SIZE];
                if (pr < 0)
                    ok = serr(p, st, i + 1, "unknown TCP profile '%s'%s (profiles: minimal, "
                              "linux)", shown(v),
                              v->quoted ? "" : list_hint(v->text, tcp_profiles, hint, sizeof hint));
                tcp = pr == 1 ? NS_SCN_TCP_LINUX : NS_SCN_TCP_MINIMAL;
                has_tcp = true;
                i += 2;
            } else {
                ok = false;
            }
        } else {
            if (has_resolver)
                ok = serr(p, st, i, "'resolver' given twice");
            else if (!need(p, st, i + 1, i, "the resolver's address") ||
                     !tok_host_addr(p, st, i + 1, &resolver))
                ok = false;
            resolver_col = i + 1 < st->n ? st->t[i + 1].col : 0;
            resolver_tok = i;
            has_resolver = true;
            i += 2;
        }
    }
    if (ok && has_resolver && addrs->len == 0 && addrs6->len > 0)
        ok = serr(p, st, resolver_tok, "'resolver' is an IPv4 address and '%s' has "
                  "none (an IPv6-only host asks the dns service at its IPv6 address)", name);
    if (ok && router && addrs->len + addrs6->len < 2)
        serr(p, st, 1, "router '%s' needs at least two addresses (it forwards between "
             "networks)", name);

    NsScnHost *hp = &((NsScnHost *)p->scn->hosts->data)[idx];
    hp->n_addrs = addrs->len;
    hp->addrs = (NsScnHostAddr *)(void *)g_array_free(g_steal_pointer(&addrs), FALSE);
    hp->n_addrs6 = addrs6->len;
    hp->addrs6 = addrs6->len
                     ? (NsScnHostAddr6 *)(void *)g_array_free(g_steal_pointer(&addrs6), FALSE)
                     : NULL;
    hp->n_dns_names = names->len;
    hp->dns_names = names->len ? (const char **)g_ptr_array_free(g_steal_pointer(&names), FALSE)
                               : NULL;
    hp->tcp = tcp;
    hp->has_resolver = has_resolver && ok;
    hp->resolver = resolver;
    g_array_index(p->host_resolver_col, uint32_t, idx) = resolver_col;
}

/* ---- Links, services, targeted faults ---- */

static char *pair_key(uint32_t a, uint32_t b)
{
    return g_strdup_printf("%u/%u", MIN(a, b), MAX(a, b));
}

static void stmt_link(NsScnParser *p, NsScnStmt *st)
{
    NsScnLink l = {.loc = stmt_loc(p, st)};
    if (!need(p, st, 1, 0, "two host names"))
        return;
    if (st->n > 2 && link_to_switch(p, st))
        return;
    if (!tok_host(p, st, 1, &l.a) ||
        !need(p, st, 2, 0, "a second host name") || !tok_host(p, st, 2, &l.b))
        return;
    if (l.a == l.b) {
        serr(p, st, 2, "a link joins two different hosts, not '%s' to itself", st->t[2].text);
        return;
    }
    g_autofree char *key = pair_key(l.a, l.b);
    gpointer old = g_hash_table_lookup(p->link_by_pair, key);
    if (old) {
        serr(p, st, 0, "hosts '%s' and '%s' are already linked (line %u)", st->t[1].text,
             st->t[2].text, ns_scn_link(p->scn, idx_of(old))->loc.line);
        return;
    }
    if (!parse_link_opts(p, st, 3, &l.opts))
        return;
    ns_scn_list_append(p->scn->links, &l, sizeof l);
    g_hash_table_insert(p->link_by_pair, g_steal_pointer(&key),
                        GUINT_TO_POINTER(p->scn->links->len));
}

static const char *const app_names[] = {"http", "dns", "echo", "discard", "smtp", NULL};
static const NsScnApp app_values[] = {NS_SCN_APP_HTTP, NS_SCN_APP_DNS, NS_SCN_APP_ECHO,
                                      NS_SCN_APP_DISCARD, NS_SCN_APP_SMTP};

static void stmt_service(NsScnParser *p, NsScnStmt *st)
{
    NsScnService s = {.loc = stmt_loc(p, st)};
    if (!need(p, st, 1, 0, "a host name") || !tok_host(p, st, 1, &s.host) ||
        !need(p, st, 2, 0, "an application (http, dns, echo, discard, smtp)"))
        return;
    const NsScnTok *at = &st->t[2];
    int app = at->quoted ? -1 : pick(at->text, app_names);
    if (app < 0) {
        char hint[HINT_SIZE];
        const char *h = at->quoted ? "" : list_hint(at->text, app_names, hint, sizeof hint);
        serr(p, st, 2, "unknown application '%s'%s", shown(at),
             *h ? h : " (applications: http, dns, echo, discard, smtp)");
        return;
    }
    s.app = app_values[app];
    if (!need(p, st, 3, 0, "a port") ||
        (st->t[3].quoted ? !serr(p, st, 3, "expected a port, not a quoted string")
                         : !parse_port(p, st, 3, st->t[3].text, false, &s.port)))
        return;
    s.proto = s.app == NS_SCN_APP_DNS ? NS_SCN_PROTO_UDP : NS_SCN_PROTO_TCP;
    uint32_t i = 4;
    if (is_word(st, i, "tcp") || is_word(st, i, "udp")) {
        s.proto = is_word(st, i, "tcp") ? NS_SCN_PROTO_TCP : NS_SCN_PROTO_UDP;
        if (s.proto == NS_SCN_PROTO_UDP &&
            (s.app == NS_SCN_APP_HTTP || s.app == NS_SCN_APP_SMTP)) {
            serr(p, st, i, "%s runs over tcp only", app_names[app]);
            return;
        }
        i++;
    }
    g_autoptr(GArray) pages = g_array_new(FALSE, FALSE, sizeof(NsScnPage));
    while (i < st->n) {
        if (!is_word(st, i, "page")) {
            g_autofree char *after = phrase(st, 0, i);
            if (s.app == NS_SCN_APP_HTTP)
                serr(p, st, i, "unexpected '%s' after '%s' (http takes 'page PATH SIZE')",
                     shown(&st->t[i]), after);
            else
                no_more(p, st, i, 0);
            return;
        }
        if (s.app != NS_SCN_APP_HTTP) {
            serr(p, st, i, "only http services have pages");
            return;
        }
        NsScnPage pg;
        if (!need(p, st, i + 1, i, "a path like /index.html"))
            return;
        const NsScnTok *pt = &st->t[i + 1];
        if (pt->quoted || pt->text[0] != '/') {
            serr(p, st, i + 1, "a page path starts with '/', as in /index.html, not '%s'",
                 shown(pt));
            return;
        }
        for (unsigned k = 0; k < pages->len; k++) {
            if (strcmp(g_array_index(pages, NsScnPage, k).path, pt->text) == 0) {
                serr(p, st, i + 1, "page %s given twice", pt->text);
                return;
            }
        }
        if (!need(p, st, i + 2, i, "the page size (e.g. 1200B)") ||
            !tok_size(p, st, i + 2, &pg.size))
            return;
        if (pg.size > NS_SCN_MAX_PAYLOAD) {
            serr(p, st, i + 2, "page of %" PRIu64 " bytes is over the limit of %" PRIu64
                 " bytes (1 PiB)", pg.size, (uint64_t)NS_SCN_MAX_PAYLOAD);
            return;
        }
        pg.path = intern(p, pt->text);
        g_array_append_val(pages, pg);
        i += 3;
    }
    const char *proto = s.proto == NS_SCN_PROTO_TCP ? "tcp" : "udp";
    g_autofree char *key = g_strdup_printf("%u/%u/%s", s.host, s.port, proto);
    gpointer old = g_hash_table_lookup(p->service_key, key);
    if (old) {
        serr(p, st, 3, "host '%s' already has a service on %u/%s (line %u)", st->t[1].text,
             s.port, proto, ns_scn_service(p->scn, idx_of(old))->loc.line);
        return;
    }
    s.n_pages = pages->len;
    s.pages = pages->len ? (NsScnPage *)(void *)g_array_free(g_steal_pointer(&pages), FALSE)
                         : NULL;
    g_array_append_val(p->scn->services, s);
    g_hash_table_insert(p->service_key, g_steal_pointer(&key),
                        GUINT_TO_POINTER(p->scn->services->len));
}

static const char *const proto_names[] = {"tcp", "udp", "icmp", NULL};
static const NsScnProto proto_values[] = {NS_SCN_PROTO_TCP, NS_SCN_PROTO_UDP, NS_SCN_PROTO_ICMP};
static const char *const kind_names[] = {"syn", "syn-ack", "ack", "data", "fin", "rst", "any",
                                         NULL};
static const NsScnPktKind kind_values[] = {NS_SCN_PKT_SYN,  NS_SCN_PKT_SYN_ACK, NS_SCN_PKT_ACK,
                                           NS_SCN_PKT_DATA, NS_SCN_PKT_FIN,     NS_SCN_PKT_RST,
                                           NS_SCN_PKT_ANY};

/* drop|delay|duplicate A > B PROTO KIND#N [TIME] */
static void stmt_fault(NsScnParser *p, NsScnStmt *st)
{
    const char *verb = st->t[0].text;
    NsScnFault f = {.loc = stmt_loc(p, st)};
    f.action = strcmp(verb, "drop") == 0    ? NS_SCN_FAULT_DROP
               : strcmp(verb, "delay") == 0 ? NS_SCN_FAULT_DELAY
                                            : NS_SCN_FAULT_DUPLICATE;
    if (!need(p, st, 1, 0, "the sending host") || !tok_host(p, st, 1, &f.from))
        return;
    if (!is_word(st, 2, ">")) {
        if (st->n <= 2)
            need(p, st, 2, 0, "'>' and the receiving host");
        else
            serr(p, st, 2, "expected '>' between the two hosts, as in '%s a > b tcp data#1'",
                 verb);
        return;
    }
    if (!need(p, st, 3, 0, "the receiving host") || !tok_host(p, st, 3, &f.to))
        return;
    if (f.from == f.to) {
        serr(p, st, 3, "a targeted fault needs two different hosts");
        return;
    }
    if (!need(p, st, 4, 0, "a protocol (tcp, udp, icmp)"))
        return;
    int pr = st->t[4].quoted ? -1 : pick(st->t[4].text, proto_names);
    if (pr < 0) {
        char hint[HINT_SIZE];
        serr(p, st, 4, "unknown protocol '%s'%s (protocols: tcp, udp, icmp)",
             shown(&st->t[4]),
             st->t[4].quoted ? "" : list_hint(st->t[4].text, proto_names, hint, sizeof hint));
        return;
    }
    f.proto = proto_values[pr];
    if (!need(p, st, 5, 0, "a packet like data#2"))
        return;
    const NsScnTok *kt = &st->t[5];
    const char *hash = kt->quoted ? NULL : strchr(kt->text, '#');
    if (!hash) {
        serr(p, st, 5, "expected KIND#N, as in data#2, not '%s'", shown(kt));
        return;
    }
    g_autofree char *kind = g_strndup(kt->text, (gsize)(hash - kt->text));
    int k = pick(kind, kind_names);
    if (k < 0) {
        char hint[HINT_SIZE];
        const char *h = list_hint(kind, kind_names, hint, sizeof hint);
        serr(p, st, 5, "unknown packet kind '%s'%s", kind,
             *h ? h : " (kinds: syn, syn-ack, ack, data, fin, rst, any)");
        return;
    }
    if (f.proto != NS_SCN_PROTO_TCP && kind_values[k] != NS_SCN_PKT_ANY) {
        serr(p, st, 5, "%s packets are counted with 'any' (%s is a tcp kind)",
             proto_names[pr], kind);
        return;
    }
    f.kind = kind_values[k];
    uint64_t nth;
    if (!parse_u64(hash + 1, UINT32_MAX, &nth) || nth == 0) {
        serr(p, st, 5, "the count after '#' must be a whole number from 1, as in %s#1", kind);
        return;
    }
    f.nth = (uint32_t)nth;
    uint32_t i = 6;
    if (f.action == NS_SCN_FAULT_DELAY) {
        if (!need(p, st, 6, 0, "how long to hold the packet (e.g. 300ms)") ||
            !tok_time(p, st, 6, &f.delay))
            return;
        i = 7;
    }
    if (!no_more(p, st, i, 0))
        return;
    g_array_append_val(p->scn->faults, f);
}

/* ---- Programs ---- */

static char *prog_key(uint32_t host, const char *name)
{
    return g_strdup_printf("%u/%s", host, name);
}

/* `program NAME on HOST` */
static void stmt_program(NsScnParser *p, NsScnStmt *st)
{
    uint32_t h;
    if (!need(p, st, 1, 0, "a program name") || !check_name(p, st, 1, "program"))
        return;
    const char *name = st->t[1].text;
    if (strchr(name, '.')) {
        serr(p, st, 1, "'%s': a program name has no '.' (steps name it as HOST.%s)", name,
             name);
        return;
    }
    if (!need(p, st, 2, 0, "'on HOST'"))
        return;
    if (!is_word(st, 2, "on")) {
        serr(p, st, 2, "expected 'on HOST' after 'program %s', not '%s'", name, shown(&st->t[2]));
        return;
    }
    if (!need(p, st, 3, 0, "a host name") || !tok_host(p, st, 3, &h) || !no_more(p, st, 4, 0))
        return;
    const char *host = ns_scn_host(p->scn, h)->name;
    g_autofree char *key = prog_key(h, name);
    gpointer old = g_hash_table_lookup(p->prog_by_name, key);
    if (old) {
        serr(p, st, 1, "program '%s' already declared on host '%s' (line %u)", name, host,
             ns_scn_program(p->scn, idx_of(old))->loc.line);
        return;
    }
    g_autofree char *full = g_strdup_printf("%s.%s", host, name);
    if (g_hash_table_contains(p->host_by_name, full)) {
        serr(p, st, 1, "'%s' is already the name of a host: name the program otherwise", full);
        return;
    }
    NsScnProgram pr = {.loc = stmt_loc(p, st), .host = h, .name = intern(p, name)};
    g_array_append_val(p->scn->programs, pr);
    g_hash_table_insert(p->prog_by_name, g_steal_pointer(&key),
                        GUINT_TO_POINTER(p->scn->programs->len));
}

/* The actor of an `at` line: a host, or HOST.PROGRAM for a declared
 * program (a host's own name wins: host names may hold dots). */
static bool tok_actor(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t *host,
                      int32_t *program)
{
    const NsScnTok *t = &st->t[i];
    *program = -1;
    const char *dot = t->quoted ? NULL : strrchr(t->text, '.');
    if (dot && !g_hash_table_contains(p->host_by_name, t->text)) {
        g_autofree char *hname = g_strndup(t->text, (gsize)(dot - t->text));
        gpointer hv = g_hash_table_lookup(p->host_by_name, hname);
        if (hv) {
            *host = idx_of(hv);
            g_autofree char *key = prog_key(*host, dot + 1);
            gpointer pv = g_hash_table_lookup(p->prog_by_name, key);
            if (!pv)
                return serr(p, st, i, "host '%s' has no program '%s' (declare it: "
                            "'program %s on %s')", hname, dot + 1, dot + 1, hname);
            *program = (int32_t)idx_of(pv);
            return true;
        }
    }
    return tok_host(p, st, i, host);
}

/* ---- Filters and NAT ---- */

static const char *const chain_names[] = {"in", "out", "forward", NULL};
static const char *const action_names[] = {"accept", "drop", "reject", NULL};
static const char *const filter_opts[] = {"tcp", "udp", "icmp", "from", "to", "state", "as", NULL};

/* CIDR|ADDR|HOST[:PORT] or :PORT for `from`/`to`. */
/* An IPv6 `from`/`to`: a network (2001:db8:1::/64), an address, or
 * [ADDR]:PORT. */
static bool tok_addr_match6(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnAddrMatch *m)
{
    const char *text = st->t[i].text;
    m->v6 = true;
    m->prefix = 128;
    g_autofree char *addr = NULL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] && close[1] != ':'))
            return serr(p, st, i, "'%s': write an IPv6 address with a port as [ADDR]:PORT",
                        text);
        if (close[1] == ':' && !parse_port(p, st, i, close + 2, false, &m->port))
            return false;
        addr = g_strndup(text + 1, (gsize)(close - text - 1));
    } else if (strchr(text, '/')) {
        if (!parse_cidr6(p, st, i, m->net6, &m->prefix))
            return false;
        return true;
    } else {
        addr = g_strdup(text);
    }
    NsIpv6Addr a;
    if (!ns_ipv6_parse_addr(addr, &a))
        return serr(p, st, i, "'%s' is not an IPv6 address", addr);
    memcpy(m->net6, a.b, 16);
    return true;
}

static bool tok_addr_match(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnAddrMatch *m)
{
    const NsScnTok *t = &st->t[i];
    if (t->quoted)
        return serr(p, st, i, "expected a network, an address or ADDR:PORT, not a quoted string");
    *m = (NsScnAddrMatch){.set = true, .prefix = 32};
    if (t->text[0] == '[' || (strchr(t->text, ':') != strrchr(t->text, ':')))
        return tok_addr_match6(p, st, i, m);
    const char *colon = strrchr(t->text, ':');
    g_autofree char *hostpart = colon ? g_strndup(t->text, (gsize)(colon - t->text))
                                      : g_strdup(t->text);
    if (colon && !parse_port(p, st, i, colon + 1, false, &m->port))
        return false;
    if (!*hostpart) {
        if (!colon)
            return serr(p, st, i, "expected a network, an address or ADDR:PORT");
        m->prefix = 0; /* :PORT: any address */
        return true;
    }
    const char *slash = strchr(hostpart, '/');
    if (slash) {
        g_autofree char *a = g_strndup(hostpart, (gsize)(slash - hostpart));
        uint64_t pl;
        if (!ns_scn_parse_addr(a, &m->net) || !parse_u64(slash + 1, 32, &pl))
            return serr(p, st, i, "'%s' is not a network like 10.0.0.0/24", hostpart);
        m->prefix = (uint32_t)pl;
        uint32_t mask = pl == 0 ? 0 : 0xffffffffu << (32 - pl);
        if (m->net & ~mask) {
            char b[16];
            return serr(p, st, i, "'%s' has host bits set (did you mean %s/%u?)", hostpart,
                        ns_scn_addr_format(m->net & mask, b), m->prefix);
        }
        return true;
    }
    NsScnEndpoint ep;
    if (!resolve_target(p, st, i, hostpart, &ep))
        return false;
    m->net = ep.addr;
    return true;
}

/* The rule after `filter` (or `at T filter`): HOST at token h. */
static bool parse_filter(NsScnParser *p, const NsScnStmt *st, uint32_t h, NsScnFilter *f)
{
    uint32_t kw = h - 1;
    if (!need(p, st, h, kw, "a host name") || !tok_host(p, st, h, &f->host) ||
        !need(p, st, h + 1, kw, "in, out or forward"))
        return false;
    int c = st->t[h + 1].quoted ? -1 : pick(st->t[h + 1].text, chain_names);
    if (c < 0) {
        char hint[HINT_SIZE];
        const char *hs = st->t[h + 1].quoted
                             ? "" : list_hint(st->t[h + 1].text, chain_names, hint, sizeof hint);
        return serr(p, st, h + 1, "expected in, out or forward, not '%s'%s",
                    shown(&st->t[h + 1]), hs);
    }
    f->chain = (NsScnChain)c;
    if (f->chain == NS_SCN_CHAIN_FORWARD && !ns_scn_host(p->scn, f->host)->is_router)
        return serr(p, st, h + 1, "'%s' is a host, and hosts do not forward: a 'forward' rule "
                    "needs a router", st->t[h].text);
    if (!need(p, st, h + 2, kw, "accept, drop or reject"))
        return false;
    int a = st->t[h + 2].quoted ? -1 : pick(st->t[h + 2].text, action_names);
    if (a < 0) {
        char hint[HINT_SIZE];
        const char *hs = st->t[h + 2].quoted
                             ? "" : list_hint(st->t[h + 2].text, action_names, hint, sizeof hint);
        return serr(p, st, h + 2, "expected accept, drop or reject, not '%s'%s",
                    shown(&st->t[h + 2]), hs);
    }
    f->action = (NsScnFilterAction)a;
    uint32_t i = h + 3;
    uint32_t rst_at = 0;
    if (f->action == NS_SCN_FILTER_REJECT && is_word(st, i, "with")) {
        if (!need(p, st, i + 1, kw, "tcp-reset or admin-prohibited"))
            return false;
        if (is_word(st, i + 1, "admin-prohibited")) {
            f->action = NS_SCN_FILTER_REJECT_ADMIN;
        } else if (is_word(st, i + 1, "tcp-reset")) {
            f->action = NS_SCN_FILTER_REJECT_RST;
            rst_at = i;
        } else {
            return serr(p, st, i + 1, "expected 'with tcp-reset' or 'with admin-prohibited', "
                        "not 'with %s'", shown(&st->t[i + 1]));
        }
        i += 2;
    }
    uint32_t addr_at[2] = {0, 0};
    bool seen[7] = {false};
    uint32_t port_at = 0;
    while (i < st->n) {
        int k = st->t[i].quoted ? -1 : pick(st->t[i].text, filter_opts);
        if (k < 0) {
            char hint[HINT_SIZE];
            const char *hs = st->t[i].quoted
                                 ? "" : list_hint(st->t[i].text, filter_opts, hint, sizeof hint);
            return serr(p, st, i, "unexpected '%s' in a filter rule%s", shown(&st->t[i]),
                        *hs ? hs : " (then: tcp|udp|icmp, from X, to X, state S, as NAME)");
        }
        int slot = k <= 2 ? 0 : k - 2;
        if (seen[slot])
            return serr(p, st, i, "%s given twice", k <= 2 ? "a protocol" : filter_opts[k]);
        seen[slot] = true;
        if (k <= 2) {
            f->has_proto = true;
            f->proto = proto_values[k];
            i++;
            continue;
        }
        if (!need(p, st, i + 1, kw, k == 3 || k == 4 ? "a network, an address or ADDR:PORT"
                                    : k == 5 ? "new or established" : "a name"))
            return false;
        if (k == 3 || k == 4) {
            NsScnAddrMatch *m = k == 3 ? &f->from : &f->to;
            if (!tok_addr_match(p, st, i + 1, m))
                return false;
            addr_at[k - 3] = i + 1;
            if (m->port && !port_at)
                port_at = i + 1;
        } else if (k == 5) {
            if (is_word(st, i + 1, "new"))
                f->state = NS_SCN_STATE_NEW;
            else if (is_word(st, i + 1, "established"))
                f->state = NS_SCN_STATE_ESTABLISHED;
            else
                return serr(p, st, i + 1, "expected new or established, not '%s'",
                            shown(&st->t[i + 1]));
        } else {
            if (!check_name(p, st, i + 1, "rule"))
                return false;
            const char *name = st->t[i + 1].text;
            for (guint j = 0; j < p->scn->filters->len; j++) {
                const NsScnFilter *o = ns_scn_filter(p->scn, j);
                if (o->name && strcmp(o->name, name) == 0)
                    return serr(p, st, i + 1, "a filter rule named '%s' exists already (line %u)",
                                name, o->loc.line);
            }
            f->name = intern(p, name);
        }
        i += 2;
    }
    bool tcp_udp = f->has_proto && (f->proto == NS_SCN_PROTO_TCP || f->proto == NS_SCN_PROTO_UDP);
    if (port_at && !tcp_udp)
        return serr(p, st, port_at, "a port needs the protocol: write tcp or udp before "
                    "'from'/'to' (as iptables needs -p)");
    if (rst_at && !(f->has_proto && f->proto == NS_SCN_PROTO_TCP))
        return serr(p, st, rst_at, "'reject with tcp-reset' answers TCP only: add 'tcp' to "
                    "the rule");
    /* The family: the addresses say it, and must agree. */
    const NsScnAddrMatch *ms[2] = {&f->from, &f->to};
    for (int k = 0; k < 2; k++) {
        if (!ms[k]->set || (ms[k]->prefix == 0 && !ms[k]->v6))
            continue; /* any address (`:PORT`) */
        uint8_t fam = ms[k]->v6 ? 6 : 4;
        if (f->family && f->family != fam)
            return serr(p, st, addr_at[k], "the rule mixes IPv4 and IPv6 addresses: a rule is for one "
                        "family (or, with no address, for both)");
        f->family = fam;
    }
    return true;
}

static void stmt_filter(NsScnParser *p, NsScnStmt *st)
{
    NsScnFilter f = {.loc = stmt_loc(p, st)};
    if (parse_filter(p, st, 1, &f))
        g_array_append_val(p->scn->filters, f);
}

/* An address that must be one of the router's own. */
static bool tok_own_addr(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *s,
                         uint32_t host, uint32_t *out)
{
    if (!ns_scn_parse_addr(s, out))
        return serr(p, st, i, "'%s' is not an IPv4 address", s);
    const NsScnHost *h = ns_scn_host(p->scn, host);
    for (uint32_t k = 0; k < h->n_addrs; k++)
        if (h->addrs[k].addr == *out)
            return true;
    return serr(p, st, i, "%s is not an address of '%s' (NAT works on the router's own "
                "addresses)", s, h->name);
}

/* nat ROUTER masquerade ADDR | nat ROUTER forward tcp|udp ADDR:PORT TO-ADDR:PORT */
static void stmt_nat(NsScnParser *p, NsScnStmt *st)
{
    NsScnNat n = {.loc = stmt_loc(p, st)};
    if (!need(p, st, 1, 0, "a router name") || !tok_host(p, st, 1, &n.host))
        return;
    if (!ns_scn_host(p->scn, n.host)->is_router) {
        serr(p, st, 1, "'%s' is a host: NAT runs on a router (declare it with 'router')",
             st->t[1].text);
        return;
    }
    if (!need(p, st, 2, 0, "masquerade or forward"))
        return;
    if (is_word(st, 2, "masquerade")) {
        n.kind = NS_SCN_NAT_MASQUERADE;
        if (!need(p, st, 3, 0, "the address of the outside interface") ||
            (st->t[3].quoted ? !serr(p, st, 3, "expected an address, not a quoted string")
                             : !tok_own_addr(p, st, 3, st->t[3].text, n.host, &n.addr)) ||
            !no_more(p, st, 4, 0))
            return;
        for (guint j = 0; j < p->scn->nats->len; j++) {
            const NsScnNat *o = ns_scn_nat(p->scn, j);
            if (o->kind == NS_SCN_NAT_MASQUERADE && o->host == n.host && o->addr == n.addr) {
                serr(p, st, 3, "masquerade on %s is declared already (line %u)",
                     st->t[3].text, o->loc.line);
                return;
            }
        }
        g_array_append_val(p->scn->nats, n);
        return;
    }
    if (!is_word(st, 2, "forward")) {
        serr(p, st, 2, "expected masquerade or forward, not '%s'", shown(&st->t[2]));
        return;
    }
    n.kind = NS_SCN_NAT_FORWARD;
    if (!need(p, st, 3, 0, "tcp or udp"))
        return;
    if (is_word(st, 3, "tcp"))
        n.proto = NS_SCN_PROTO_TCP;
    else if (is_word(st, 3, "udp"))
        n.proto = NS_SCN_PROTO_UDP;
    else {
        serr(p, st, 3, "port forwarding takes tcp or udp, not '%s'", shown(&st->t[3]));
        return;
    }
    if (!need(p, st, 4, 0, "the router's ADDR:PORT that is forwarded"))
        return;
    const NsScnTok *t = &st->t[4];
    const char *colon = t->quoted ? NULL : strrchr(t->text, ':');
    if (!colon || colon == t->text) {
        serr(p, st, 4, "'%s' is not ADDR:PORT (e.g. 203.0.113.1:8080)", shown(t));
        return;
    }
    g_autofree char *a = g_strndup(t->text, (gsize)(colon - t->text));
    if (!parse_port(p, st, 4, colon + 1, false, &n.port) ||
        !tok_own_addr(p, st, 4, a, n.host, &n.addr) ||
        !need(p, st, 5, 0, "where it goes: TO-ADDR:PORT"))
        return;
    NsScnEndpoint to;
    if (!tok_endpoint(p, st, 5, false, &to) || !no_more(p, st, 6, 0))
        return;
    n.to_addr = to.addr;
    n.to_port = to.port;
    for (guint j = 0; j < p->scn->nats->len; j++) {
        const NsScnNat *o = ns_scn_nat(p->scn, j);
        if (o->kind == NS_SCN_NAT_FORWARD && o->host == n.host && o->addr == n.addr &&
            o->port == n.port && o->proto == n.proto) {
            serr(p, st, 4, "%s is forwarded already (line %u)", t->text, o->loc.line);
            return;
        }
    }
    g_array_append_val(p->scn->nats, n);
}

/* ---- Routing by hand ---- */

/* routing manual */
static void stmt_routing(NsScnParser *p, NsScnStmt *st)
{
    if (!need(p, st, 1, 0, "manual"))
        return;
    if (!is_word(st, 1, "manual")) {
        serr(p, st, 1, "expected 'routing manual', not 'routing %s' (routing is automatic "
             "unless the file says manual)", shown(&st->t[1]));
        return;
    }
    if (!no_more(p, st, 2, 0) || !once(p, st, &p->routing_line))
        return;
    p->scn->routing_manual = true;
}

/* CIDR or `default` (0.0.0.0/0). */
static bool tok_prefix(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint32_t *net,
                       uint32_t *prefix)
{
    if (is_word(st, i, "default")) {
        *net = *prefix = 0;
        return true;
    }
    if (!st->t[i].quoted && !strchr(st->t[i].text, '/'))
        return serr(p, st, i, "'%s' is not a network like 10.0.2.0/24 or 'default' (a single "
                    "address is written ADDR/32)", st->t[i].text);
    return parse_cidr(p, st, i, net, prefix);
}

/* Whether `host` reaches `addr` directly: on one of its networks, or as
 * the address of a host at the other end of one of its links; with
 * has_dev, through the interface holding `dev`. */
static bool on_link(NsScnParser *p, uint32_t host, uint32_t addr, bool has_dev, uint32_t dev)
{
    const NsScnHost *h = ns_scn_host(p->scn, host);
    bool dev_on_link = false;
    for (uint32_t k = 0; k < h->n_addrs; k++) {
        const NsScnHostAddr *a = &h->addrs[k];
        if (has_dev && a->addr != dev)
            continue;
        if (a->network < 0) {
            dev_on_link = true;
            continue;
        }
        const NsScnNetwork *n = ns_scn_network(p->scn, (uint32_t)a->network);
        uint32_t mask = n->prefix == 0 ? 0 : 0xffffffffu << (32 - n->prefix);
        if ((addr & mask) == n->net)
            return true;
    }
    if (has_dev && !dev_on_link)
        return false;
    for (guint j = 0; j < p->scn->links->len; j++) {
        const NsScnLink *l = ns_scn_link(p->scn, j);
        if (l->a != host && l->b != host)
            continue;
        const NsScnHost *peer = ns_scn_host(p->scn, l->a == host ? l->b : l->a);
        for (uint32_t k = 0; k < peer->n_addrs; k++)
            if (peer->addrs[k].network < 0 && peer->addrs[k].addr == addr)
                return true;
    }
    /* A host on the same switch. */
    for (guint j = 0; j < p->scn->switch_ports->len; j++) {
        const NsScnSwitchPort *mine = ns_scn_switch_port(p->scn, j);
        if (mine->host != host)
            continue;
        for (guint q = 0; q < p->scn->switch_ports->len; q++) {
            const NsScnSwitchPort *o = ns_scn_switch_port(p->scn, q);
            if (o->sw != mine->sw || o->host == host)
                continue;
            const NsScnHost *peer = ns_scn_host(p->scn, o->host);
            for (uint32_t k = 0; k < peer->n_addrs; k++)
                if (peer->addrs[k].network < 0 && peer->addrs[k].addr == addr)
                    return true;
        }
    }
    return false;
}

/* A route's IPv6 prefix: as a network's, or ::/0 (the default route). */
static bool route_prefix6(NsScnParser *p, const NsScnStmt *st, uint32_t i, uint8_t net[16],
                          uint32_t *prefix)
{
    if (strcmp(st->t[i].text, "::/0") == 0) {
        memset(net, 0, 16);
        *prefix = 0;
        return true;
    }
    if (!strchr(st->t[i].text, '/'))
        return serr(p, st, i, "'%s' is not an IPv6 network like 2001:db8:1::/64 or 'default' "
                    "(a single address is written ADDR/128)", st->t[i].text);
    return parse_cidr6(p, st, i, net, prefix);
}

/* An IPv6 route: `route HOST PREFIX|default via ADDR [dev ADDR]` (token
 * i + 1 the prefix, i + 3 the next hop). The next hop is a neighbour on
 * one of the host's IPv6 networks, or a link-local fe80:: address; `dev`
 * names the interface by the host's own IPv6 address on it, and a
 * link-local next hop needs it (the same fe80:: address may be on every
 * link), as Linux's `ip -6 route` does. */
static bool parse_route6(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnRoute *r)
{
    r->v6 = true;
    if (!is_word(st, i + 1, "default") && !route_prefix6(p, st, i + 1, r->net6, &r->prefix))
        return false;
    NsIpv6Addr via;
    if (st->t[i + 3].quoted || !ns_ipv6_parse_addr(st->t[i + 3].text, &via))
        return serr(p, st, i + 3, "'%s' is not an IPv6 address (the next hop of an IPv6 "
                    "route)", shown(&st->t[i + 3]));
    if (ns_ipv6_is_multicast(&via) || ns_ipv6_is_unspecified(&via))
        return serr(p, st, i + 3, "%s is not a neighbour's address (the next hop is one "
                    "host's unicast address)", st->t[i + 3].text);
    memcpy(r->via6, via.b, 16);
    const NsScnHost *h = ns_scn_host(p->scn, r->host);
    for (uint32_t k = 0; k < h->n_addrs6; k++)
        if (memcmp(h->addrs6[k].addr, via.b, 16) == 0)
            return serr(p, st, i + 3, "%s is an address of '%s' itself: the next hop is a "
                        "neighbour's address", st->t[i + 3].text, h->name);
    int32_t dev_net = -1;
    if (i + 4 < st->n) {
        if (!is_word(st, i + 4, "dev"))
            return serr(p, st, i + 4, "expected 'dev ADDR' or the end of the line, not '%s'",
                        shown(&st->t[i + 4]));
        if (!need(p, st, i + 5, 0, "the host's IPv6 address on the interface to use"))
            return false;
        NsIpv6Addr dev;
        if (st->t[i + 5].quoted || !ns_ipv6_parse_addr(st->t[i + 5].text, &dev))
            return serr(p, st, i + 5, "'%s' is not an IPv6 address (an IPv6 route's dev is "
                        "the host's IPv6 address on the interface)", shown(&st->t[i + 5]));
        for (uint32_t k = 0; k < h->n_addrs6 && !r->has_dev; k++) {
            if (memcmp(h->addrs6[k].addr, dev.b, 16) == 0) {
                r->has_dev = true;
                dev_net = h->addrs6[k].network;
            }
        }
        if (!r->has_dev)
            return serr(p, st, i + 5, "%s is not an IPv6 address of '%s' (dev names an "
                        "interface by the host's own address on it)", st->t[i + 5].text,
                        h->name);
        memcpy(r->dev6, dev.b, 16);
        if (!no_more(p, st, i + 6, 0))
            return false;
    }
    if (ns_ipv6_is_link_local(&via)) {
        if (!r->has_dev)
            return serr(p, st, i + 3, "a link-local next hop (%s) needs 'dev ADDR': every "
                        "link has fe80:: addresses, dev says which link", st->t[i + 3].text);
        return true;
    }
    bool on_net = false;
    for (uint32_t k = 0; k < h->n_addrs6; k++) {
        int32_t n = h->addrs6[k].network;
        if (n < 0 || (r->has_dev && n != dev_net))
            continue;
        const NsScnNetwork *net = ns_scn_network(p->scn, (uint32_t)n);
        NsIpv6Addr pfx;
        memcpy(pfx.b, net->net6, 16);
        on_net = on_net || ns_ipv6_in_prefix(&via, &pfx, (uint8_t)net->prefix6);
    }
    if (!on_net)
        return serr(p, st, i + 3, "'%s' cannot reach %s directly%s: an IPv6 next hop must be "
                    "on one of its IPv6 networks, or a link-local address", h->name,
                    st->t[i + 3].text, r->has_dev ? " through that interface" : "");
    return true;
}

/* HOST CIDR|default via ADDR [dev ADDR], from token i. */
static bool parse_route(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnRoute *r)
{
    if (!need(p, st, i, 0, "a host name") || !tok_host(p, st, i, &r->host) ||
        !need(p, st, i + 1, 0, "a network like 10.0.2.0/24, or default"))
        return false;
    bool v6 = looks_v6(st, i + 1) || (is_word(st, i + 1, "default") && looks_v6(st, i + 3));
    if (!v6 && !tok_prefix(p, st, i + 1, &r->net, &r->prefix))
        return false;
    if (!need(p, st, i + 2, 0, "via ADDR"))
        return false;
    if (!is_word(st, i + 2, "via"))
        return serr(p, st, i + 2, "expected 'via ADDR' (the next hop), not '%s'",
                    shown(&st->t[i + 2]));
    const NsScnHost *h = ns_scn_host(p->scn, r->host);
    if (!need(p, st, i + 3, 0, "the next hop's address"))
        return false;
    if (v6)
        return parse_route6(p, st, i, r);
    if (st->t[i + 3].quoted || !ns_scn_parse_addr(st->t[i + 3].text, &r->via))
        return serr(p, st, i + 3, "'%s' is not an IPv4 address", shown(&st->t[i + 3]));
    if (h->n_addrs == 0)
        return serr(p, st, i + 1, "'%s' has no IPv4 address, so no IPv4 routes (an IPv6 route "
                    "is written 'route %s ::/0 via ADDR6')", h->name, h->name);
    for (uint32_t k = 0; k < h->n_addrs; k++)
        if (h->addrs[k].addr == r->via)
            return serr(p, st, i + 3, "%s is an address of '%s' itself: the next hop is a "
                        "neighbour's address", st->t[i + 3].text, h->name);
    if (i + 4 < st->n) {
        if (!is_word(st, i + 4, "dev"))
            return serr(p, st, i + 4, "expected 'dev ADDR' or the end of the line, not '%s'",
                        shown(&st->t[i + 4]));
        if (!need(p, st, i + 5, 0, "the address of the interface to use"))
            return false;
        if (st->t[i + 5].quoted || !ns_scn_parse_addr(st->t[i + 5].text, &r->dev))
            return serr(p, st, i + 5, "'%s' is not an IPv4 address", shown(&st->t[i + 5]));
        bool own = false;
        for (uint32_t k = 0; k < h->n_addrs && !own; k++)
            own = h->addrs[k].addr == r->dev;
        if (!own)
            return serr(p, st, i + 5, "%s is not an address of '%s' (dev names an interface "
                        "by the host's own address on it)", st->t[i + 5].text, h->name);
        r->has_dev = true;
        if (!no_more(p, st, i + 6, 0))
            return false;
    }
    if (!on_link(p, r->host, r->via, r->has_dev, r->dev))
        return serr(p, st, i + 3, "'%s' cannot reach %s directly%s: a next hop must be on one "
                    "of its networks or at the other end of one of its links", h->name,
                    st->t[i + 3].text, r->has_dev ? " through that interface" : "");
    return true;
}

/* route HOST CIDR|default via ADDR [dev ADDR] */
static void stmt_route(NsScnParser *p, NsScnStmt *st)
{
    NsScnRoute r = {.loc = stmt_loc(p, st)};
    if (parse_route(p, st, 1, &r))
        g_array_append_val(p->scn->routes, r);
}

/* at T unfilter NAME|LINE|FILE:LINE|FILE-LINE: the rule of that name, or
 * declared on that line of this file (FILE, when given, must be this
 * file's name, as a drop line prints it). */
static bool step_unfilter(NsScnParser *p, NsScnStmt *st, NsScnStep *s)
{
    if (!need(p, st, 3, 2, "the rule's name (as NAME) or its line"))
        return false;
    const NsScnTok *t = &st->t[3];
    const char *word = t->quoted ? "" : t->text;
    const char *sep = strrchr(word, ':');
    uint64_t line = 0;
    if (!sep && (sep = strrchr(word, '-')) && !parse_u64(sep + 1, UINT32_MAX, &line))
        sep = NULL;
    bool by_line = parse_u64(sep ? sep + 1 : word, UINT32_MAX, &line);
    if (by_line && sep) {
        const char *base = strrchr(p->file, '/');
        base = base ? base + 1 : p->file;
        by_line = strlen(base) == (size_t)(sep - word) && strncmp(base, word, sep - word) == 0;
    }
    for (guint j = 0; j < p->scn->filters->len; j++) {
        const NsScnFilter *f = ns_scn_filter(p->scn, j);
        if ((f->name && strcmp(f->name, word) == 0) ||
            (by_line && f->loc.line == line && !f->loc.ctx)) {
            s->host = (int32_t)f->host;
            s->u.filter.filter = j;
            return no_more(p, st, 4, 2);
        }
    }
    return serr(p, st, 3, "no filter rule named '%s' above this line (give a rule 'as NAME', or "
                "its line number)", shown(t));
}

/* ---- Timeline ---- */

/* The verbs a host runs, in the order of NsScnAppVerb and NsScnSockVerb,
 * and all of them for hints. */
static const char *const app_verb_names[] = {
    "fetch", "resolve", "ping", "udp-send", "mail", "traceroute", NULL,
};
static const char *const sock_verb_names[] = {
    "socket", "bind", "listen",   "accept",   "connect", "send",       "recv",
    "sendto", "recvfrom", "shutdown", "close", "setsockopt", NULL,
};
static const char *const verb_names[] = {
    "fetch", "resolve", "ping",   "udp-send", "mail",  "traceroute", "socket",   "bind", "listen",
    "accept", "connect", "send",  "recv",     "sendto",   "recvfrom", "shutdown", "close",
    "setsockopt", NULL,
};

static char *step_key(const char *verb, uint32_t host, const char *text)
{
    return g_strdup_printf("%s\n%u\n%s", verb, host, text);
}

static void remember_step(NsScnParser *p, const char *verb, uint32_t host, const char *text)
{
    char *key = step_key(verb, host, text);
    if (g_hash_table_contains(p->step_key, key))
        g_free(key);
    else
        g_hash_table_insert(p->step_key, key, GUINT_TO_POINTER(p->scn->steps->len + 1));
}

/* Options of the form `word VALUE` in any order, each at most once. */
static bool step_fetch(NsScnParser *p, NsScnStmt *st, uint32_t v, NsScnStep *s)
{
    uint32_t h = (uint32_t)s->host;
    if (!need(p, st, v + 1, v, "a URL like http://10.0.0.80/index.html") ||
        !tok_url(p, st, v + 1, &s->u.fetch.url))
        return false;
    s->u.fetch.requests = 1;
    s->u.fetch.parallel = 1;
    bool seen_par = false;
    for (uint32_t i = v + 2; i < st->n; i += 2) {
        uint64_t n;
        if (is_word(st, i, "keep-alive") && !s->u.fetch.keep_alive) {
            if (!need(p, st, i + 1, i, "a number of requests") ||
                !parse_count(p, st, i + 1, "keep-alive", 1, 1000000, &n))
                return false;
            s->u.fetch.keep_alive = true;
            s->u.fetch.requests = (uint32_t)n;
        } else if (is_word(st, i, "parallel") && !seen_par) {
            if (!need(p, st, i + 1, i, "a number of connections") ||
                !parse_count(p, st, i + 1, "parallel", 1, 10000, &n))
                return false;
            seen_par = true;
            s->u.fetch.parallel = (uint32_t)n;
        } else if (is_word(st, i, "keep-alive") || is_word(st, i, "parallel")) {
            return serr(p, st, i, "'%s' given twice", st->t[i].text);
        } else {
            static const char *const opts[] = {"keep-alive", "parallel", NULL};
            char hint[HINT_SIZE];
            const char *hs = st->t[i].quoted ? ""
                                             : list_hint(st->t[i].text, opts, hint, sizeof hint);
            return serr(p, st, i, "unknown fetch option '%s'%s", shown(&st->t[i]),
                        *hs ? hs : " (options: keep-alive N, parallel N)");
        }
    }
    remember_step(p, "fetch", h, s->u.fetch.url.text);
    return true;
}

static bool step_ping(NsScnParser *p, NsScnStmt *st, uint32_t v, NsScnStep *s)
{
    if (!need(p, st, v + 1, v, "an address or a host name") ||
        !tok_target(p, st, v + 1, &s->u.ping.target))
        return false;
    s->u.ping.count = 1;
    s->u.ping.interval = NS_S(1);
    s->u.ping.size = 56;
    bool seen[4] = {false, false, false, false};
    static const char *const opts[] = {"count", "interval", "size", "ttl", NULL};
    for (uint32_t i = v + 2; i < st->n; i += 2) {
        int k = st->t[i].quoted ? -1 : pick(st->t[i].text, opts);
        if (k < 0) {
            char hint[HINT_SIZE];
            const char *hs = st->t[i].quoted ? ""
                                             : list_hint(st->t[i].text, opts, hint, sizeof hint);
            return serr(p, st, i, "unknown ping option '%s'%s", shown(&st->t[i]),
                        *hs ? hs : " (options: count N, interval T, size B, ttl N)");
        }
        if (seen[k])
            return serr(p, st, i, "'%s' given twice", opts[k]);
        seen[k] = true;
        static const char *const what[] = {"a number", "a time", "a size", "a TTL (1 to 255)"};
        if (!need(p, st, i + 1, i, what[k]))
            return false;
        uint64_t n;
        if (k == 0) {
            if (!parse_count(p, st, i + 1, "count", 1, 1000000, &n))
                return false;
            s->u.ping.count = (uint32_t)n;
        } else if (k == 3) {
            if (!parse_count(p, st, i + 1, "ttl", 1, 255, &n))
                return false;
            s->u.ping.ttl = (uint8_t)n;
        } else if (k == 1) {
            if (!tok_time(p, st, i + 1, &s->u.ping.interval))
                return false;
            if (s->u.ping.interval == 0)
                return serr(p, st, i + 1, "interval must be more than 0");
        } else {
            if (!tok_size(p, st, i + 1, &s->u.ping.size))
                return false;
            /* An echo carries at most 65535 - 20 - 8 bytes of data over
             * IPv4, 65535 - 8 over IPv6 (as a UDP datagram does). */
            uint32_t max = datagram_max(&s->u.ping.target);
            if (s->u.ping.size > max)
                return serr(p, st, i + 1, "ping size %s is over the %u bytes an %s echo can "
                            "carry", st->t[i + 1].text, max,
                            max == NS_SCN_MAX_DATAGRAM ? "IPv4" : "IPv6");
        }
    }
    remember_step(p, "ping", (uint32_t)s->host, st->t[v + 1].text);
    return true;
}

/* traceroute TARGET [udp|icmp|tcp PORT] [max-hops N] [queries N] */
static bool step_traceroute(NsScnParser *p, NsScnStmt *st, uint32_t v, NsScnStep *s)
{
    if (!need(p, st, v + 1, v, "an address or a host name") ||
        !tok_target(p, st, v + 1, &s->u.traceroute.target))
        return false;
    s->u.traceroute.method = NS_SCN_TRACE_UDP;
    s->u.traceroute.max_hops = 30;
    s->u.traceroute.queries = 3;
    static const char *const opts[] = {"udp", "icmp", "tcp", "max-hops", "queries", NULL};
    bool seen_method = false, seen_hops = false, seen_queries = false;
    for (uint32_t i = v + 2; i < st->n;) {
        int k = st->t[i].quoted ? -1 : pick(st->t[i].text, opts);
        if (k < 0) {
            char hint[HINT_SIZE];
            const char *hs = st->t[i].quoted ? ""
                                             : list_hint(st->t[i].text, opts, hint, sizeof hint);
            return serr(p, st, i, "unknown traceroute option '%s'%s", shown(&st->t[i]),
                        *hs ? hs : " (options: udp, icmp or tcp PORT; max-hops N; queries N)");
        }
        uint64_t n;
        if (k <= 2) {
            if (seen_method)
                return serr(p, st, i, "one probe kind only: udp, icmp or tcp PORT");
            seen_method = true;
            s->u.traceroute.method = k == 0 ? NS_SCN_TRACE_UDP
                                     : k == 1 ? NS_SCN_TRACE_ICMP : NS_SCN_TRACE_TCP;
            if (k < 2) {
                i++;
                continue;
            }
            if (!need(p, st, i + 1, i, "the port the SYNs go to, like 80") ||
                !parse_port(p, st, i + 1, st->t[i + 1].text, false, &s->u.traceroute.port))
                return false;
            i += 2;
            continue;
        }
        bool *seen = k == 3 ? &seen_hops : &seen_queries;
        if (*seen)
            return serr(p, st, i, "'%s' given twice", opts[k]);
        *seen = true;
        if (!need(p, st, i + 1, i, k == 3 ? "a number of hops (1 to 255)"
                                          : "a number of probes per hop (1 to 10)") ||
            !parse_count(p, st, i + 1, opts[k], 1, k == 3 ? 255 : 10, &n))
            return false;
        if (k == 3)
            s->u.traceroute.max_hops = (uint32_t)n;
        else
            s->u.traceroute.queries = (uint32_t)n;
        i += 2;
    }
    return true;
}

/* The socket verbs; v is the verb's token index, v + 1 the socket. */
#define SOCKOPT_NAMES                                                                         \
    "nodelay, rcvbuf, sndbuf, keepalive, keepidle, keepintvl, keepcnt, maxseg, linger, "      \
    "user_timeout, cork"

/* A duration in whole `unit`s from lo to hi units (setsockopt). */
static bool sockopt_time(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsTime unit,
                         const char *unit_name, int64_t lo, int64_t hi, int64_t *out)
{
    NsTime t;
    if (!tok_time(p, st, i, &t))
        return false;
    if (t % unit != 0 || t / unit < lo || t / unit > hi)
        return serr(p, st, i, "expected whole %s from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                    ", not '%s'", unit_name, lo, hi, shown(&st->t[i]));
    *out = t;
    return true;
}

/* setsockopt S OPTION [VALUE]: the option and its value (on when an
 * on/off option has none). */
static bool sockopt_value(NsScnParser *p, NsScnStmt *st, uint32_t a, uint32_t v, NsScnStep *s)
{
    static const char *const names[] = {"nodelay", "rcvbuf", "sndbuf", "keepalive", "keepidle",
                                        "keepintvl", "keepcnt", "maxseg", "linger",
                                        "user_timeout", "cork", NULL};
    static const NsScnSockOpt opts[] = {
        NS_SCN_SOCKOPT_NODELAY,  NS_SCN_SOCKOPT_RCVBUF,    NS_SCN_SOCKOPT_SNDBUF,
        NS_SCN_SOCKOPT_KEEPALIVE, NS_SCN_SOCKOPT_KEEPIDLE, NS_SCN_SOCKOPT_KEEPINTVL,
        NS_SCN_SOCKOPT_KEEPCNT,  NS_SCN_SOCKOPT_MAXSEG,    NS_SCN_SOCKOPT_LINGER,
        NS_SCN_SOCKOPT_USER_TIMEOUT, NS_SCN_SOCKOPT_CORK};
    static const char *const onoff[] = {"on", "off", NULL};
    if (!need(p, st, a, v, "an option: " SOCKOPT_NAMES))
        return false;
    int k = st->t[a].quoted ? -1 : pick(st->t[a].text, names);
    if (k < 0)
        return serr(p, st, a, "unknown socket option '%s' (the options: " SOCKOPT_NAMES ")",
                    shown(&st->t[a]));
    NsScnSockOpt opt = opts[k];
    s->u.sockopt.opt = opt;
    s->u.sockopt.value = 1;
    uint32_t i = a + 1;
    switch (opt) {
    case NS_SCN_SOCKOPT_NODELAY:
    case NS_SCN_SOCKOPT_KEEPALIVE:
    case NS_SCN_SOCKOPT_CORK: {
        if (i >= st->n)
            return true;
        int o = st->t[i].quoted ? -1 : pick(st->t[i].text, onoff);
        if (o < 0)
            return serr(p, st, i, "expected on or off, not '%s'", shown(&st->t[i]));
        s->u.sockopt.value = o == 0;
        break;
    }
    case NS_SCN_SOCKOPT_RCVBUF:
    case NS_SCN_SOCKOPT_SNDBUF: {
        uint64_t b;
        if (!need(p, st, i, v, "a size in bytes"))
            return false;
        if (!tok_bytes(p, st, i, &b))
            return false;
        if (b > INT32_MAX)
            return serr(p, st, i, "a buffer of at most 2147483647 bytes, not '%s'",
                        shown(&st->t[i]));
        s->u.sockopt.value = (int64_t)b;
        break;
    }
    case NS_SCN_SOCKOPT_KEEPIDLE:
    case NS_SCN_SOCKOPT_KEEPINTVL:
        if (!need(p, st, i, v, "a duration in whole seconds") ||
            !sockopt_time(p, st, i, NS_S(1), "seconds", 1, 32767, &s->u.sockopt.value))
            return false;
        break;
    case NS_SCN_SOCKOPT_KEEPCNT:
    case NS_SCN_SOCKOPT_MAXSEG: {
        uint64_t n;
        bool cnt = opt == NS_SCN_SOCKOPT_KEEPCNT;
        if (!need(p, st, i, v, cnt ? "a number of probes" : "a segment size in bytes") ||
            !parse_count(p, st, i, cnt ? "keepcnt" : "maxseg", cnt ? 1 : 88, cnt ? 127 : 65495,
                         &n))
            return false;
        s->u.sockopt.value = (int64_t)n;
        break;
    }
    case NS_SCN_SOCKOPT_LINGER:
        if (!need(p, st, i, v, "off or a duration in whole seconds"))
            return false;
        if (is_word(st, i, "off"))
            s->u.sockopt.value = -1;
        else if (!sockopt_time(p, st, i, NS_S(1), "seconds", 0, INT32_MAX, &s->u.sockopt.value))
            return false;
        break;
    case NS_SCN_SOCKOPT_USER_TIMEOUT:
        if (!need(p, st, i, v, "a duration in whole milliseconds") ||
            !sockopt_time(p, st, i, NS_MS(1), "milliseconds", 0, INT32_MAX, &s->u.sockopt.value))
            return false;
        break;
    }
    return no_more(p, st, i + 1, v);
}

static bool step_socket_verb(NsScnParser *p, NsScnStmt *st, uint32_t v, NsScnStep *s)
{
    uint32_t h = (uint32_t)s->host;
    uint32_t sock;

    if (s->verb.sock == NS_SCN_SOCK_VERB_SOCKET) {
        if (!need(p, st, v + 1, v, "tcp or udp"))
            return false;
        bool tcp = is_word(st, v + 1, "tcp");
        if (!tcp && !is_word(st, v + 1, "udp"))
            return serr(p, st, v + 1, "expected tcp or udp, not '%s'", shown(&st->t[v + 1]));
        if (!need(p, st, v + 2, v, "'as NAME'"))
            return false;
        if (!is_word(st, v + 2, "as"))
            return serr(p, st, v + 2, "expected 'as NAME' after 'socket %s'", st->t[v + 1].text);
        s->u.socket.proto = tcp ? NS_SCN_PROTO_TCP : NS_SCN_PROTO_UDP;
        return need(p, st, v + 3, v, "a socket name") &&
               new_sock(p, st, v + 3, h, s->u.socket.proto, &s->u.socket.sock) &&
               no_more(p, st, v + 4, v);
    }
    if (!need(p, st, v + 1, v, "a socket name") || !tok_sock(p, st, v + 1, h, &sock))
        return false;
    uint32_t a = v + 2; /* the first argument after the socket */
    switch (s->verb.sock) {
    case NS_SCN_SOCK_VERB_BIND:
    case NS_SCN_SOCK_VERB_CONNECT: {
        bool bind = s->verb.sock == NS_SCN_SOCK_VERB_BIND;
        s->u.addr.sock = sock;
        return need(p, st, a, v,
                    bind ? "an endpoint like :8080 or 10.0.0.2:8080"
                         : "an endpoint like 10.0.0.2:80") &&
               tok_endpoint6(p, st, a, bind, &s->u.addr.ep, "socket") &&
               no_more(p, st, a + 1, v);
    }
    case NS_SCN_SOCK_VERB_LISTEN: {
        s->u.listen.sock = sock;
        s->u.listen.backlog = 128;
        if (a >= st->n)
            return true;
        uint64_t n;
        if (!is_word(st, a, "backlog"))
            return no_more(p, st, a, v);
        if (!need(p, st, a + 1, a, "a number") ||
            !parse_count(p, st, a + 1, "backlog", 0, 65535, &n))
            return false;
        s->u.listen.backlog = (uint32_t)n;
        s->u.listen.has_backlog = true;
        return no_more(p, st, a + 2, v);
    }
    case NS_SCN_SOCK_VERB_ACCEPT:
        s->u.accept.sock = sock;
        if (!need(p, st, a, v, "'as NAME'"))
            return false;
        if (!is_word(st, a, "as"))
            return serr(p, st, a, "expected 'as NAME' after 'accept %s'", st->t[v + 1].text);
        return need(p, st, a + 1, v, "a name for the new socket") &&
               new_sock(p, st, a + 1, h, NS_SCN_PROTO_TCP, &s->u.accept.new_sock) &&
               no_more(p, st, a + 2, v);
    case NS_SCN_SOCK_VERB_SEND:
        s->u.send.sock = sock;
        return need(p, st, a, v, "a payload: a quoted string or a size") &&
               tok_payload(p, st, a, ns_scn_socket(p->scn, sock)->proto == NS_SCN_PROTO_UDP,
                           NULL, &s->u.send.payload) &&
               no_more(p, st, a + 1, v);
    case NS_SCN_SOCK_VERB_SENDTO:
        s->u.send.sock = sock;
        return need(p, st, a, v, "an endpoint like 10.0.0.2:53") &&
               tok_endpoint6(p, st, a, false, &s->u.send.to, "sendto") &&
               need(p, st, a + 1, v, "a payload: a quoted string or a size") &&
               tok_payload(p, st, a + 1, true, &s->u.send.to, &s->u.send.payload) && no_more(p, st, a + 2, v);
    case NS_SCN_SOCK_VERB_RECV:
    case NS_SCN_SOCK_VERB_RECVFROM:
        s->u.recv.sock = sock;
        if (a >= st->n)
            return true;
        s->u.recv.has_size = true;
        return tok_size(p, st, a, &s->u.recv.size) && no_more(p, st, a + 1, v);
    case NS_SCN_SOCK_VERB_SHUTDOWN: {
        static const char *const hows[] = {"read", "write", "both", NULL};
        static const NsScnShutHow how_values[] = {NS_SCN_SHUT_READ, NS_SCN_SHUT_WRITE,
                                                  NS_SCN_SHUT_BOTH};
        s->u.shutdown.sock = sock;
        if (!need(p, st, a, v, "read, write or both"))
            return false;
        int k = st->t[a].quoted ? -1 : pick(st->t[a].text, hows);
        if (k < 0)
            return serr(p, st, a, "expected read, write or both, not '%s'", shown(&st->t[a]));
        s->u.shutdown.how = how_values[k];
        return no_more(p, st, a + 1, v);
    }
    case NS_SCN_SOCK_VERB_CLOSE:
        s->u.close.sock = sock;
        if (!no_more(p, st, a, v))
            return false;
        g_array_index(p->sock_closed, bool, sock) = true;
        return true;
    case NS_SCN_SOCK_VERB_SETSOCKOPT:
        s->u.sockopt.sock = sock;
        return sockopt_value(p, st, a, v, s);
    case NS_SCN_SOCK_VERB_SOCKET:
        break;
    }
    g_assert_not_reached();
}

/* `at T link A B ...`, `at T network N ...`, `at T host H crash|restart` */
static bool step_fault(NsScnParser *p, NsScnStmt *st, NsScnStep *s)
{
    s->kind = NS_SCN_STEP_FAULT;
    const char *what = st->t[2].text;
    if (strcmp(what, "host") == 0) {
        uint32_t h;
        if (!need(p, st, 3, 2, "a host name") || !tok_host(p, st, 3, &h) ||
            !need(p, st, 4, 2, "crash or restart"))
            return false;
        s->host = (int32_t)h;
        if (is_word(st, 4, "crash"))
            s->verb.fault = NS_SCN_FAULT_VERB_HOST_CRASH;
        else if (is_word(st, 4, "restart"))
            s->verb.fault = NS_SCN_FAULT_VERB_HOST_RESTART;
        else
            return serr(p, st, 4, "expected crash or restart, not '%s'", shown(&st->t[4]));
        return no_more(p, st, 5, 2);
    }
    bool link = strcmp(what, "link") == 0;
    uint32_t v; /* the first word after the link's or network's name */
    if (link) {
        uint32_t a, b;
        if (!need(p, st, 3, 2, "two host names") || !tok_host(p, st, 3, &a) ||
            !need(p, st, 4, 2, "a second host name") || !tok_host(p, st, 4, &b))
            return false;
        g_autofree char *key = pair_key(a, b);
        gpointer l = g_hash_table_lookup(p->link_by_pair, key);
        if (!l)
            return serr(p, st, 3, "no link joins '%s' and '%s' (declare 'link %s %s')",
                        st->t[3].text, st->t[4].text, st->t[3].text, st->t[4].text);
        s->u.link.link = idx_of(l);
        v = 5;
    } else {
        if (!need(p, st, 3, 2, "a network name") || !tok_network(p, st, 3, &s->u.network.network))
            return false;
        v = 4;
    }
    if (!need(p, st, v, 2, "down, up or link options"))
        return false;
    if (is_word(st, v, "down") || is_word(st, v, "up")) {
        bool down = is_word(st, v, "down");
        s->verb.fault = link ? (down ? NS_SCN_FAULT_VERB_LINK_DOWN : NS_SCN_FAULT_VERB_LINK_UP)
                             : (down ? NS_SCN_FAULT_VERB_NETWORK_DOWN : NS_SCN_FAULT_VERB_NETWORK_UP);
        return no_more(p, st, v + 1, 2);
    }
    s->verb.fault = link ? NS_SCN_FAULT_VERB_LINK_SET : NS_SCN_FAULT_VERB_NETWORK_SET;
    return parse_link_opts(p, st, v, link ? &s->u.link.opts : &s->u.network.opts);
}

/* `at T HOST VERB ...` for an application verb (token 3). */
static bool step_app_verb(NsScnParser *p, NsScnStmt *st, uint32_t h, NsScnStep *s)
{
    bool ok = false;
    switch (s->verb.app) {
    case NS_SCN_APP_VERB_FETCH:
        ok = step_fetch(p, st, 3, s);
        break;
    case NS_SCN_APP_VERB_RESOLVE:
        ok = need(p, st, 4, 3, "a name to resolve");
        if (ok && (st->t[4].quoted || !valid_dns_name(st->t[4].text)))
            ok = serr(p, st, 4, "'%s' is not a valid DNS name", shown(&st->t[4]));
        if (ok) {
            s->u.resolve.name = intern(p, st->t[4].text);
            if (is_word(st, 5, "aaaa") || is_word(st, 5, "a")) {
                s->u.resolve.aaaa = is_word(st, 5, "aaaa");
                ok = no_more(p, st, 6, 3);
            } else {
                ok = no_more(p, st, 5, 3);
            }
        }
        break;
    case NS_SCN_APP_VERB_PING:
        ok = step_ping(p, st, 3, s);
        break;
    case NS_SCN_APP_VERB_TRACEROUTE:
        ok = step_traceroute(p, st, 3, s);
        break;
    case NS_SCN_APP_VERB_UDP_SEND:
    case NS_SCN_APP_VERB_MAIL: {
        bool mail = s->verb.app == NS_SCN_APP_VERB_MAIL;
        ok = need(p, st, 4, 3, mail ? "the mail server's endpoint, like mail.example.com:25"
                                    : "an endpoint like 10.0.0.2:9") &&
             tok_endpoint6(p, st, 4, false, &s->u.send_to.to, mail ? "mail" : "udp-send") &&
             need(p, st, 5, 3, mail ? "the message: a quoted string or a size"
                                    : "a payload: a quoted string or a size") &&
             tok_payload(p, st, 5, !mail, &s->u.send_to.to, &s->u.send_to.payload) && no_more(p, st, 6, 3);
        if (ok && mail)
            remember_step(p, "mail", h, st->t[4].text);
        break;
    }
    }
    return ok;
}

static void stmt_at(NsScnParser *p, NsScnStmt *st)
{
    NsScnStep s = {.loc = stmt_loc(p, st), .host = -1, .program = -1};
    if (!need(p, st, 1, 0, "a time") || !tok_time(p, st, 1, &s.at) ||
        !need(p, st, 2, 0, "a host name (or link, network, host)"))
        return;
    bool ok = false;
    const char *who = st->t[2].text;
    if (!st->t[2].quoted &&
        (strcmp(who, "link") == 0 || strcmp(who, "network") == 0 || strcmp(who, "host") == 0)) {
        ok = step_fault(p, st, &s);
    } else if (!st->t[2].quoted && strcmp(who, "filter") == 0) {
        NsScnFilter f = {.loc = stmt_loc(p, st), .on_timeline = true};
        f.loc.col = st->t[2].col;
        ok = parse_filter(p, st, 3, &f);
        if (ok) {
            s.kind = NS_SCN_STEP_FAULT;
            s.verb.fault = NS_SCN_FAULT_VERB_FILTER;
            s.host = (int32_t)f.host;
            s.u.filter.filter = p->scn->filters->len;
            g_array_append_val(p->scn->filters, f);
        }
    } else if (!st->t[2].quoted && strcmp(who, "route") == 0) {
        NsScnRoute r = {.loc = stmt_loc(p, st), .on_timeline = true};
        r.loc.col = st->t[2].col;
        ok = parse_route(p, st, 3, &r);
        if (ok) {
            s.kind = NS_SCN_STEP_FAULT;
            s.verb.fault = NS_SCN_FAULT_VERB_ROUTE;
            s.host = (int32_t)r.host;
            s.u.route.route = p->scn->routes->len;
            g_array_append_val(p->scn->routes, r);
        }
    } else if (!st->t[2].quoted && strcmp(who, "unroute") == 0) {
        uint32_t h;
        s.kind = NS_SCN_STEP_FAULT;
        s.verb.fault = NS_SCN_FAULT_VERB_UNROUTE;
        ok = need(p, st, 3, 2, "a host name") && tok_host(p, st, 3, &h) &&
             need(p, st, 4, 2, "the route's network like 10.0.2.0/24, or default");
        /* IPv6's default route is written ::/0 (`default` is IPv4's) */
        if (ok && looks_v6(st, 4)) {
            s.u.route.v6 = true;
            ok = route_prefix6(p, st, 4, s.u.route.net6, &s.u.route.prefix);
        } else if (ok) {
            ok = tok_prefix(p, st, 4, &s.u.route.net, &s.u.route.prefix);
        }
        ok = ok && no_more(p, st, 5, 2);
        if (ok)
            s.host = (int32_t)h;
    } else if (!st->t[2].quoted && strcmp(who, "unfilter") == 0) {
        s.kind = NS_SCN_STEP_FAULT;
        s.verb.fault = NS_SCN_FAULT_VERB_UNFILTER;
        ok = step_unfilter(p, st, &s);
    } else {
        uint32_t h;
        if (!tok_actor(p, st, 2, &h, &s.program))
            return;
        s.host = (int32_t)h;
        if (!need(p, st, 3, 2, "a verb (fetch, ping, socket, connect, ...)"))
            return;
        const NsScnTok *vt = &st->t[3];
        int app = vt->quoted ? -1 : pick(vt->text, app_verb_names);
        int sock = vt->quoted || app >= 0 ? -1 : pick(vt->text, sock_verb_names);
        if (app < 0 && sock < 0) {
            char hint[HINT_SIZE];
            const char *hs = vt->quoted ? "" : list_hint(vt->text, verb_names, hint, sizeof hint);
            serr(p, st, 3, "unknown verb '%s'%s", shown(vt), *hs ? hs : " (see the verbs in "
                 "scenarios/README.md)");
            return;
        }
        if (sock >= 0) {
            s.kind = NS_SCN_STEP_SOCKET;
            s.verb.sock = (NsScnSockVerb)sock; /* sock_verb_names follows the enum */
            ok = step_socket_verb(p, st, 3, &s);
        } else if (s.program >= 0) {
            serr(p, st, 3, "'%s' is not a socket call: it runs at its time on the host, "
                 "outside programs (write 'at T %s %s ...')", vt->text,
                 ns_scn_host(p->scn, h)->name, vt->text);
            return;
        } else {
            s.kind = NS_SCN_STEP_APP;
            s.verb.app = (NsScnAppVerb)app; /* app_verb_names follows the enum */
            ok = step_app_verb(p, st, h, &s);
        }
    }
    if (ok)
        ns_scn_list_append(p->scn->steps, &s, sizeof s);
}

/* ---- Expectations ---- */

static const char *const state_names[] = {
    "closed",     "listen",     "syn-sent",   "syn-received", "established", "fin-wait-1",
    "fin-wait-2", "close-wait", "closing",    "last-ack",     "time-wait",   NULL,
};

static bool tok_state(NsScnParser *p, const NsScnStmt *st, uint32_t i, NsScnTcpState *out)
{
    const NsScnTok *t = &st->t[i];
    g_autofree char *lower = g_ascii_strdown(t->text, -1);
    int k = t->quoted ? -1 : pick(lower, state_names);
    if (k < 0) {
        char hint[HINT_SIZE];
        const char *hs = t->quoted ? "" : list_hint(lower, state_names, hint, sizeof hint);
        return serr(p, st, i, "unknown TCP state '%s'%s", shown(t),
                    *hs ? hs : " (states: closed, listen, syn-sent, syn-received, "
                               "established, fin-wait-1, fin-wait-2, close-wait, closing, "
                               "last-ack, time-wait)");
    }
    *out = (NsScnTcpState)k;
    return true;
}

typedef struct {
    const char *name;
    int value;
} ErrnoName;

/* The errors a socket call can report in netsim, as on Linux. */
static const ErrnoName errno_names[] = {
    {"EACCES", EACCES},           {"EADDRINUSE", EADDRINUSE},
    {"EADDRNOTAVAIL", EADDRNOTAVAIL}, {"EAGAIN", EAGAIN},
    {"EALREADY", EALREADY},       {"EBADF", EBADF},
    {"ECONNABORTED", ECONNABORTED}, {"ECONNREFUSED", ECONNREFUSED},
    {"ECONNRESET", ECONNRESET},   {"EDESTADDRREQ", EDESTADDRREQ},
    {"EHOSTDOWN", EHOSTDOWN},     {"EHOSTUNREACH", EHOSTUNREACH},
    {"EINPROGRESS", EINPROGRESS}, {"EINVAL", EINVAL},
    {"EISCONN", EISCONN},         {"EMFILE", EMFILE},
    {"EMSGSIZE", EMSGSIZE},       {"ENETDOWN", ENETDOWN},
    {"ENETUNREACH", ENETUNREACH}, {"ENOBUFS", ENOBUFS},
    {"ENOTCONN", ENOTCONN},       {"ENOTSOCK", ENOTSOCK},
    {"EOPNOTSUPP", EOPNOTSUPP},   {"EPERM", EPERM},
    {"EPIPE", EPIPE},
    {"ESHUTDOWN", ESHUTDOWN},     {"ETIMEDOUT", ETIMEDOUT},
    {"EWOULDBLOCK", EWOULDBLOCK},
};

static bool expect_step(NsScnParser *p, const NsScnStmt *st, uint32_t i, const char *verb,
                        uint32_t host, const char *text, uint32_t *out)
{
    g_autofree char *key = step_key(verb, host, text);
    gpointer v = g_hash_table_lookup(p->step_key, key);
    if (v) {
        *out = idx_of(v);
        return true;
    }
    return serr(p, st, i, "host '%s' has no '%s %s' step to check (write it the same way as "
                "in the timeline)", ns_scn_host(p->scn, host)->name, verb, text);
}

static bool expect_on_sock(NsScnParser *p, NsScnStmt *st, uint32_t h, NsScnExpect *e)
{
    uint32_t sock;
    if (!tok_sock(p, st, 2, h, &sock))
        return false;
    static const char *const what[] = {"state", "error", "received", "port", NULL};
    if (!need(p, st, 3, 2, "state, error, received or port"))
        return false;
    int k = st->t[3].quoted ? -1 : pick(st->t[3].text, what);
    if (k < 0) {
        char hint[HINT_SIZE];
        const char *hs = st->t[3].quoted ? "" : list_hint(st->t[3].text, what, hint, sizeof hint);
        return serr(p, st, 3, "unknown socket expectation '%s'%s", shown(&st->t[3]),
                    *hs ? hs : " (expect a socket's state, error, received or port)");
    }
    if (k == 0) {
        e->kind = NS_SCN_EXPECT_STATE;
        e->u.state.sock = sock;
        if (!need(p, st, 4, 2, "a TCP state like established") ||
            !tok_state(p, st, 4, &e->u.state.state))
            return false;
        if (is_word(st, 5, "at")) {
            if (!need(p, st, 6, 5, "a time") || !tok_time(p, st, 6, &e->u.state.at))
                return false;
            e->u.state.has_at = true;
            return no_more(p, st, 7, 2);
        }
        return no_more(p, st, 5, 2);
    }
    if (k == 1) {
        e->kind = NS_SCN_EXPECT_ERROR;
        e->u.error.sock = sock;
        if (!need(p, st, 4, 2, "an errno name like ECONNREFUSED, or none"))
            return false;
        const NsScnTok *t = &st->t[4];
        if (!is_word(st, 4, "none")) {
            const ErrnoName *found = NULL;
            NsScnSuggest sg;
            ns_scn_suggest_init(&sg, t->text);
            for (size_t n = 0; n < G_N_ELEMENTS(errno_names); n++) {
                if (!t->quoted && strcmp(t->text, errno_names[n].name) == 0)
                    found = &errno_names[n];
                ns_scn_suggest_add(&sg, errno_names[n].name);
            }
            if (!found) {
                char hint[HINT_SIZE];
                const char *hs = t->quoted ? "" : ns_scn_suggest_hint(&sg, hint, sizeof hint);
                return serr(p, st, 4, "unknown error '%s'%s", shown(t),
                            *hs ? hs : " (use an errno name like ECONNREFUSED, or none)");
            }
            e->u.error.errno_name = found->name;
            e->u.error.errnum = found->value;
        }
        return no_more(p, st, 5, 2);
    }
    if (k == 3) {
        uint64_t n;
        e->kind = NS_SCN_EXPECT_PORT;
        e->u.port.sock = sock;
        if (!need(p, st, 4, 2, "a port number") ||
            !parse_count(p, st, 4, "a port", 0, 65535, &n))
            return false;
        e->u.port.port = (uint16_t)n;
        return no_more(p, st, 5, 2);
    }
    e->kind = NS_SCN_EXPECT_RECEIVED;
    e->u.received.sock = sock;
    return need(p, st, 4, 2, "a size like 5B") && tok_bytes(p, st, 4, &e->u.received.bytes) &&
           no_more(p, st, 5, 2);
}

static bool expect_fetch(NsScnParser *p, NsScnStmt *st, uint32_t h, NsScnExpect *e)
{
    e->kind = NS_SCN_EXPECT_FETCH;
    /* Parsed for its errors; kept as written (the step has it parsed). */
    NsScnUrl url;
    if (!need(p, st, 3, 2, "the URL of a fetch step") || !tok_url(p, st, 3, &url) ||
        !expect_step(p, st, 3, "fetch", h, url.text, &e->u.fetch.step))
        return false;
    e->u.fetch.url = url.text;
    for (uint32_t i = 4; i < st->n; i += 2) {
        if (is_word(st, i, "status") && !e->u.fetch.has_status) {
            uint64_t n;
            if (!need(p, st, i + 1, i, "an HTTP status like 200") ||
                !parse_count(p, st, i + 1, "status", 100, 999, &n))
                return false;
            e->u.fetch.status = (uint32_t)n;
            e->u.fetch.has_status = true;
        } else if (is_word(st, i, "bytes") && !e->u.fetch.has_bytes) {
            if (!need(p, st, i + 1, i, "a number of bytes") ||
                !tok_bytes(p, st, i + 1, &e->u.fetch.bytes))
                return false;
            e->u.fetch.has_bytes = true;
        } else if (is_word(st, i, "status") || is_word(st, i, "bytes")) {
            return serr(p, st, i, "'%s' given twice", st->t[i].text);
        } else {
            g_autofree char *after = phrase(st, 0, i);
            return serr(p, st, i, "unexpected '%s' after '%s' (expected status N or bytes N)",
                        shown(&st->t[i]), after);
        }
    }
    if (!e->u.fetch.has_status && !e->u.fetch.has_bytes)
        return need(p, st, st->n, 0, "status N or bytes N");
    return true;
}

static bool expect_sockets(NsScnParser *p, NsScnStmt *st, NsScnExpect *e)
{
    e->kind = NS_SCN_EXPECT_SOCKETS;
    for (int k = 0; k < NS_SCN_TCP_N_STATES; k++)
        e->u.sockets.count[k] = -1;
    e->u.sockets.udp = -1;
    if (!need(p, st, 3, 2, "'at TIME'"))
        return false;
    if (!is_word(st, 3, "at"))
        return serr(p, st, 3, "expected 'at TIME' after 'sockets', not '%s'", shown(&st->t[3]));
    if (!need(p, st, 4, 3, "a time") || !tok_time(p, st, 4, &e->u.sockets.at) ||
        !need(p, st, 5, 2, "a state and a count, like established 3"))
        return false;
    for (uint32_t i = 5; i < st->n; i += 2) {
        NsScnTcpState s = NS_SCN_TCP_CLOSED;
        uint64_t n;
        bool udp = !st->t[i].quoted && g_ascii_strcasecmp(st->t[i].text, "udp") == 0;
        if (!udp && !tok_state(p, st, i, &s))
            return false;
        if (udp ? e->u.sockets.udp >= 0 : e->u.sockets.count[s] >= 0)
            return serr(p, st, i, "%s '%s' given twice", udp ? "count" : "state", st->t[i].text);
        if (!need(p, st, i + 1, i, "a count") ||
            !parse_count(p, st, i + 1, "a socket count", 0, 10000000, &n))
            return false;
        if (udp)
            e->u.sockets.udp = (int32_t)n;
        else
            e->u.sockets.count[s] = (int32_t)n;
    }
    return true;
}

/* The words of an expectation after its keyword, into *e. */
static bool parse_expect(NsScnParser *p, NsScnStmt *st, NsScnExpect *e_out)
{
    NsScnExpect e = {.loc = stmt_loc(p, st), .host = -1};
    if (!need(p, st, 1, 0, "a host name (or delivered all)"))
        return false;
    bool ok;
    if (is_word(st, 1, "delivered")) {
        e.kind = NS_SCN_EXPECT_DELIVERED_ALL;
        if (!need(p, st, 2, 0, "'all'"))
            return false;
        if (!is_word(st, 2, "all")) {
            serr(p, st, 2, "expected 'all' after 'expect delivered', not '%s'", shown(&st->t[2]));
            return false;
        }
        ok = no_more(p, st, 3, 0);
    } else {
        uint32_t h;
        if (!tok_host(p, st, 1, &h) ||
            !need(p, st, 2, 0, "fetch, sockets, mail, ping, route, nat or a socket name"))
            return false;
        e.host = (int32_t)h;
        if (is_word(st, 2, "fetch")) {
            ok = expect_fetch(p, st, h, &e);
        } else if (is_word(st, 2, "sockets")) {
            ok = expect_sockets(p, st, &e);
        } else if (is_word(st, 2, "mail")) {
            e.kind = NS_SCN_EXPECT_MAIL;
            ok = need(p, st, 3, 2, "the mail server's endpoint") &&
                 tok_endpoint6(p, st, 3, false, &e.u.mail.to, "mail") &&
                 expect_step(p, st, 3, "mail", h, st->t[3].text, &e.u.mail.step) &&
                 need(p, st, 4, 2, "'ok'");
            if (ok && !is_word(st, 4, "ok"))
                ok = serr(p, st, 4, "expected 'ok', not '%s'", shown(&st->t[4]));
            ok = ok && no_more(p, st, 5, 2);
        } else if (is_word(st, 2, "route")) {
            e.kind = NS_SCN_EXPECT_ROUTE;
            ok = need(p, st, 3, 2, "an address or a host name") &&
                 tok_target(p, st, 3, &e.u.route.target) &&
                 need(p, st, 4, 2, "'via ADDR'");
            if (ok && !is_word(st, 4, "via"))
                ok = serr(p, st, 4, "expected 'via ADDR', not '%s'", shown(&st->t[4]));
            ok = ok && need(p, st, 5, 2, "the next hop's address");
            NsIpv6Addr via6;
            if (ok && e.u.route.target.is_v6) {
                if (st->t[5].quoted || !ns_ipv6_parse_addr(st->t[5].text, &via6))
                    ok = serr(p, st, 5, "'%s' is not an IPv6 address (the target is IPv6)",
                              shown(&st->t[5]));
                else
                    memcpy(e.u.route.via6, via6.b, 16);
            } else if (ok && (st->t[5].quoted ||
                              !ns_scn_parse_addr(st->t[5].text, &e.u.route.via))) {
                ok = serr(p, st, 5, "'%s' is not an IPv4 address", shown(&st->t[5]));
            }
            ok = ok && no_more(p, st, 6, 2);
        } else if (is_word(st, 2, "nat")) {
            uint64_t n;
            e.kind = NS_SCN_EXPECT_NAT_MAPPINGS;
            ok = need(p, st, 3, 2, "'mappings N'");
            if (ok && !is_word(st, 3, "mappings"))
                ok = serr(p, st, 3, "expected 'mappings N', not '%s'", shown(&st->t[3]));
            ok = ok && need(p, st, 4, 2, "a count") &&
                 parse_count(p, st, 4, "mappings", 0, 100000000, &n) && no_more(p, st, 5, 2);
            e.u.nat.count = ok ? (uint32_t)n : 0;
        } else if (is_word(st, 2, "ping")) {
            uint64_t n;
            e.kind = NS_SCN_EXPECT_PING;
            ok = need(p, st, 3, 2, "the ping's target") &&
                 tok_target(p, st, 3, &e.u.ping.target) &&
                 expect_step(p, st, 3, "ping", h, st->t[3].text, &e.u.ping.step) &&
                 need(p, st, 4, 2, "'received N'");
            if (ok && !is_word(st, 4, "received"))
                ok = serr(p, st, 4, "expected 'received N', not '%s'", shown(&st->t[4]));
            ok = ok && need(p, st, 5, 2, "a count") &&
                 parse_count(p, st, 5, "received", 0, 1000000, &n) && no_more(p, st, 6, 2);
            e.u.ping.received = ok ? (uint32_t)n : 0;
        } else {
            ok = expect_on_sock(p, st, h, &e);
        }
    }
    *e_out = e;
    return ok;
}

static void stmt_expect(NsScnParser *p, NsScnStmt *st)
{
    NsScnExpect e;
    if (parse_expect(p, st, &e))
        ns_scn_list_append(p->scn->expects, &e, sizeof e);
}

/* `question "TEXT" H S state ? [at T]`, `... error ?`, `... received ?`,
 * `... port ?`, `question "TEXT" H sockets at T STATE ?`: the words of an
 * expectation with '?' where its value would be. They are parsed as that
 * expectation (with a placeholder for the '?'), so a question can ask
 * whatever an expectation of that shape can check. */
static void stmt_question(NsScnParser *p, NsScnStmt *st)
{
    static const char usage[] =
        " (as in: question \"Which port did cli use?\" cli S port ?)";
    if (!need(p, st, 1, 0, "the question in double quotes"))
        return;
    if (!st->t[1].quoted) {
        serr(p, st, 1, "expected the question in double quotes, not '%s'%s", st->t[1].text, usage);
        return;
    }
    if (st->t[1].len == 0) {
        serr(p, st, 1, "the question is empty");
        return;
    }
    if (!need(p, st, 2, 0, "what the question asks about: HOST SOCKET state|error|received|port ?"))
        return;
    uint32_t q = 0;
    for (uint32_t i = 2; i < st->n; i++) {
        if (st->t[i].quoted || strcmp(st->t[i].text, "?") != 0)
            continue;
        if (q) {
            serr(p, st, i, "a question asks one thing: one '?' only");
            return;
        }
        q = i;
    }
    if (!q) {
        serr(p, st, st->n - 1, "a question needs '?' where its answer goes%s", usage);
        return;
    }
    /* The statement from the question's text on reads as an expectation
     * (the text standing where `expect` stands). */
    g_autofree NsScnTok *toks = g_memdup2(st->t + 1, (st->n - 1) * sizeof *toks);
    NsScnStmt view = {st->line, st->ctx, toks, st->n - 1};
    uint32_t vq = q - 1;
    const char *before = vq >= 3 && !toks[vq - 1].quoted ? toks[vq - 1].text : "";
    bool sockets = view.n > 2 && !toks[2].quoted && strcmp(toks[2].text, "sockets") == 0;
    NsScnQuestion qn = {.loc = stmt_loc(p, st), .state = -1};
    const char *placeholder;
    if (sockets && vq >= 5) {
        qn.ask = NS_SCN_ASK_SOCKETS;
        placeholder = "0";
    } else if (!sockets && vq == 4 && strcmp(before, "state") == 0) {
        qn.ask = NS_SCN_ASK_STATE;
        placeholder = "closed";
    } else if (!sockets && vq == 4 && strcmp(before, "error") == 0) {
        qn.ask = NS_SCN_ASK_ERROR;
        placeholder = "none";
    } else if (!sockets && vq == 4 && strcmp(before, "received") == 0) {
        qn.ask = NS_SCN_ASK_RECEIVED;
        placeholder = "0B";
    } else if (!sockets && vq == 4 && strcmp(before, "port") == 0) {
        qn.ask = NS_SCN_ASK_PORT;
        placeholder = "0";
    } else {
        serr(p, st, q, "'?' stands for the answer: after a socket's state, error, received or "
             "port, or after a state of 'sockets at T'%s", usage);
        return;
    }
    toks[vq].text = placeholder;
    toks[vq].len = (uint32_t)strlen(placeholder);
    if (!parse_expect(p, &view, &qn.subject))
        return;
    if (qn.ask == NS_SCN_ASK_SOCKETS) {
        if (view.n != vq + 1 || vq != 6) {
            serr(p, st, vq == 6 ? q + 1 : 6, "a question about sockets counts one state: "
                 "HOST sockets at T STATE ?");
            return;
        }
        for (int k = 0; k < NS_SCN_TCP_N_STATES; k++)
            if (qn.subject.u.sockets.count[k] >= 0)
                qn.state = k;
    }
    qn.text = g_string_chunk_insert(p->scn->strings, st->t[1].text);
    g_array_append_val(p->scn->questions, qn);
}

/* ---- Dispatch ---- */

typedef struct {
    const char *keyword;
    int pass;
    void (*parse)(NsScnParser *p, NsScnStmt *st);
} StmtKind;

static const StmtKind stmt_kinds[] = {
    {"scenario", NS_SCN_PASS_HEADER, stmt_scenario},
    {"seed", NS_SCN_PASS_HEADER, stmt_seed},
    {"stop", NS_SCN_PASS_HEADER, stmt_stop},
    {"network", NS_SCN_PASS_HEADER, stmt_network},
    {"host", NS_SCN_PASS_HOSTS, stmt_host},
    {"router", NS_SCN_PASS_HOSTS, stmt_host},
    {"link", NS_SCN_PASS_WIRING, stmt_link},
    {"service", NS_SCN_PASS_WIRING, stmt_service},
    {"drop", NS_SCN_PASS_WIRING, stmt_fault},
    {"delay", NS_SCN_PASS_WIRING, stmt_fault},
    {"duplicate", NS_SCN_PASS_WIRING, stmt_fault},
    {"program", NS_SCN_PASS_WIRING, stmt_program},
    {"filter", NS_SCN_PASS_WIRING, stmt_filter},
    {"nat", NS_SCN_PASS_WIRING, stmt_nat},
    {"routing", NS_SCN_PASS_HEADER, stmt_routing},
    {"switch", NS_SCN_PASS_HEADER, stmt_switch},
    {"route", NS_SCN_PASS_STEPS, stmt_route}, /* after every link: next hops may be on them */
    {"at", NS_SCN_PASS_STEPS, stmt_at},
    {"expect", NS_SCN_PASS_EXPECTS, stmt_expect},
    {"question", NS_SCN_PASS_EXPECTS, stmt_question},
};

int ns_scn_stmt_pass(const char *keyword)
{
    for (size_t k = 0; k < G_N_ELEMENTS(stmt_kinds); k++)
        if (strcmp(keyword, stmt_kinds[k].keyword) == 0)
            return stmt_kinds[k].pass;
    return 0;
}

void ns_scn_parse_stmt(NsScnParser *p, NsScnStmt *st)
{
    for (size_t k = 0; k < G_N_ELEMENTS(stmt_kinds); k++) {
        if (strcmp(st->t[0].text, stmt_kinds[k].keyword) == 0) {
            stmt_kinds[k].parse(p, st);
            return;
        }
    }
    g_assert_not_reached();
}

void ns_scn_unknown_stmt(NsScnParser *p, NsScnStmt *st)
{
    static const char *const keywords[] = {
        "scenario", "seed", "stop", "network", "host", "router", "link", "service", "drop",
        "delay", "duplicate", "program", "filter", "nat", "routing", "route", "switch", "at",
        "expect", "question", "repeat", "end", NULL,
    };
    if (st->t[0].quoted) {
        serr(p, st, 0, "a line starts with a keyword, not a quoted string");
        return;
    }
    char hint[HINT_SIZE];
    const char *hs = list_hint(st->t[0].text, keywords, hint, sizeof hint);
    serr(p, st, 0, "unknown statement '%s'%s", st->t[0].text, hs);
}
