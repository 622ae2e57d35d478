/* Semantic checks that need a whole pass of the file done (overlapping
 * networks, resolvers, hosts with no way onto the network), host lookups
 * shared by the statement parsers, and did-you-mean hints by edit distance. */
#include "scenario-private.h"

#include <stdio.h>
#include <string.h>

#include "netsim/wire/ipv6.h"

/* ---- Did you mean ---- */

size_t ns_scn_edit_distance(const char *a, size_t alen, const char *b, size_t blen, size_t max)
{
    if ((alen > blen ? alen - blen : blen - alen) > max)
        return max + 1;
    /* Three rows of the optimal-string-alignment table: an adjacent
     * transposition ("hots" for "host") costs one edit, as a typo does. */
    g_autofree size_t *rows = g_new(size_t, 3 * (blen + 1));
    size_t *pp = rows, *prev = rows + (blen + 1), *cur = rows + 2 * (blen + 1);
    for (size_t j = 0; j <= blen; j++)
        prev[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        cur[0] = i;
        size_t row_min = cur[0];
        for (size_t j = 1; j <= blen; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t d = MIN(MIN(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d = MIN(d, pp[j - 2] + 1);
            cur[j] = d;
            row_min = MIN(row_min, d);
        }
        if (row_min > max)
            return max + 1;
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[blen];
}

void ns_scn_suggest_init(NsScnSuggest *s, const char *word)
{
    s->word = word;
    s->wlen = strlen(word);
    /* One edit in a short word, up to three in a long one: beyond that the
     * "hint" is noise. */
    s->max_dist = MIN(3, MAX(1, s->wlen / 3));
    s->best = NULL;
    s->best_dist = s->max_dist + 1;
}

void ns_scn_suggest_add(NsScnSuggest *s, const char *candidate)
{
    if (!candidate || strcmp(candidate, s->word) == 0)
        return;
    size_t limit = MIN(s->max_dist, s->best_dist - 1);
    size_t clen = strlen(candidate);
    size_t d = ns_scn_edit_distance(s->word, s->wlen, candidate, clen, limit);
    if (d <= limit && d < s->best_dist) {
        s->best = candidate;
        s->best_dist = d;
    }
}

const char *ns_scn_suggest_hint(NsScnSuggest *s, char buf[], size_t size)
{
    if (!s->best)
        return "";
    snprintf(buf, size, " (did you mean '%s'?)", s->best);
    return buf;
}

/* ---- Hosts ---- */

int32_t ns_scn_find_host(NsScnParser *p, const char *name)
{
    gpointer v = g_hash_table_lookup(p->host_by_name, name);
    if (!v)
        v = g_hash_table_lookup(p->dns_by_name, name);
    return v ? (int32_t)GPOINTER_TO_UINT(v) - 1 : -1;
}

const char *ns_scn_host_hint(NsScnParser *p, const char *name, bool dns, char buf[],
                             size_t size)
{
    NsScnSuggest sg;
    ns_scn_suggest_init(&sg, name);
    NsScnList *hosts = p->scn->hosts;
    for (unsigned i = 0; i < hosts->len; i++) {
        const NsScnHost *h = &((NsScnHost *)hosts->data)[i];
        ns_scn_suggest_add(&sg, h->name);
        if (dns)
            for (uint32_t k = 0; k < h->n_dns_names; k++)
                ns_scn_suggest_add(&sg, h->dns_names[k]);
    }
    return ns_scn_suggest_hint(&sg, buf, size);
}

bool ns_scn_parse_addr(const char *s, uint32_t *out)
{
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (!g_ascii_isdigit(*s))
            return false;
        uint32_t v = 0;
        int digits = 0;
        while (g_ascii_isdigit(*s)) {
            v = v * 10 + (uint32_t)(*s++ - '0');
            if (++digits > 3)
                return false;
        }
        if (v > 255)
            return false;
        addr = addr << 8 | v;
        if (part < 3 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *out = addr;
    return true;
}

char *ns_scn_addr_format(uint32_t addr, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
             addr & 255);
    return buf;
}

/* ---- Whole-file checks ---- */

static uint64_t net_last(const NsScnNetwork *n)
{
    return (uint64_t)n->net + ((uint64_t)1 << (32 - n->prefix)) - 1;
}

static int cmp_net_start(gconstpointer a, gconstpointer b, gpointer data)
{
    const NsScnNetwork *nets = data;
    const NsScnNetwork *x = &nets[*(const uint32_t *)a], *y = &nets[*(const uint32_t *)b];
    if (x->net != y->net)
        return x->net < y->net ? -1 : 1;
    /* Equal starts: the earlier declaration first, so the later one is the
     * one reported. */
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

void ns_scn_check_networks(NsScnParser *p)
{
    GArray *nets = p->scn->networks;
    if (nets->len < 2)
        return;
    g_autofree uint32_t *order = g_new(uint32_t, nets->len);
    const NsScnNetwork *base = (const NsScnNetwork *)(void *)nets->data;
    /* IPv4 prefixes only: the parser compares IPv6 prefixes as it reads them. */
    unsigned n4 = 0;
    for (unsigned i = 0; i < nets->len; i++)
        if (base[i].has_v4)
            order[n4++] = i;
    if (n4 < 2)
        return;
    g_qsort_with_data(order, (int)n4, sizeof *order, cmp_net_start, (gpointer)base);
    /* Sorted by start, each network overlaps an earlier one exactly when it
     * starts before the furthest end seen so far. */
    uint32_t widest = order[0];
    for (unsigned k = 1; k < n4; k++) {
        const NsScnNetwork *n = &base[order[k]], *w = &base[widest];
        if (n->net <= net_last(w)) {
            /* Report on whichever of the two comes later in the file. */
            const NsScnNetwork *later = order[k] > widest ? n : w;
            const NsScnNetwork *earlier = later == n ? w : n;
            uint32_t idx = later == n ? order[k] : widest;
            char a[16], b[16];
            p->ctx = later->loc.ctx;
            p->ctx_valid = true;
            ns_scn_error(p, later->loc.line, g_array_index(p->net_cidr_col, uint32_t, idx),
                         "network '%s' (%s/%u) overlaps network '%s' (%s/%u, line %u)",
                         later->name, ns_scn_addr_format(later->net, a), later->prefix,
                         earlier->name, ns_scn_addr_format(earlier->net, b), earlier->prefix,
                         earlier->loc.line);
        }
        if (net_last(n) > net_last(w))
            widest = order[k];
    }
    p->ctx_valid = false;
}

void ns_scn_check_resolvers(NsScnParser *p)
{
    NsScnList *hosts = p->scn->hosts;
    for (unsigned i = 0; i < hosts->len; i++) {
        NsScnHost *h = &((NsScnHost *)hosts->data)[i];
        if (!h->has_resolver)
            continue;
        gpointer v = g_hash_table_lookup(p->addr_owner, GUINT_TO_POINTER(h->resolver));
        if (v) {
            h->resolver_host = (int32_t)GPOINTER_TO_UINT(v) - 1;
            continue;
        }
        char a[16];
        p->ctx = h->loc.ctx;
        p->ctx_valid = true;
        ns_scn_error(p, h->loc.line, g_array_index(p->host_resolver_col, uint32_t, i),
                     "resolver %s is not the address of any host",
                     ns_scn_addr_format(h->resolver, a));
    }
    p->ctx_valid = false;
}

void ns_scn_check_reachable(NsScnParser *p)
{
    NsScnList *hosts = p->scn->hosts;
    g_autofree bool *linked = g_new0(bool, hosts->len ? hosts->len : 1);
    for (unsigned i = 0; i < p->scn->links->len; i++) {
        const NsScnLink *l = &((const NsScnLink *)p->scn->links->data)[i];
        linked[l->a] = linked[l->b] = true;
    }
    for (unsigned i = 0; i < p->scn->switch_ports->len; i++) {
        linked[ns_scn_switch_port(p->scn, i)->host] = true;
    }
    for (unsigned i = 0; i < hosts->len; i++) {
        const NsScnHost *h = &((NsScnHost *)hosts->data)[i];
        if (linked[i])
            continue;
        for (uint32_t k = 0; k < h->n_addrs; k++) {
            if (h->addrs[k].network >= 0)
                continue;
            char a[16];
            p->ctx = h->loc.ctx;
            p->ctx_valid = true;
            ns_scn_error(p, h->loc.line, h->addrs[k].col,
                         "address %s of '%s' is in no network, and no link joins '%s' "
                         "(declare a network holding it, or a link)",
                         ns_scn_addr_format(h->addrs[k].addr, a), h->name, h->name);
            break;
        }
        for (uint32_t k = 0; k < h->n_addrs6; k++) {
            if (h->addrs6[k].network >= 0)
                continue;
            NsIpv6Addr v6;
            char a[NS_IPV6_STRLEN];
            memcpy(v6.b, h->addrs6[k].addr, 16);
            p->ctx = h->loc.ctx;
            p->ctx_valid = true;
            ns_scn_error(p, h->loc.line, h->addrs6[k].col,
                         "address %s of '%s' is in no IPv6 network, and no link joins '%s' "
                         "(declare a network holding it, like 'network lan6 2001:db8:1::/64', "
                         "or a link)",
                         ns_ipv6_format(&v6, a), h->name, h->name);
            break;
        }
    }
    p->ctx_valid = false;
}
