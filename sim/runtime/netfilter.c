/* The scenario's filter rules and NAT, handed to the hosts' netfilters:
 * rules and NAT declared in the file from the start, rules added and
 * removed by `at T filter` / `at T unfilter` steps. */
#include "world-private.h"

#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/netfilter.h"

static uint8_t proto_number(NsScnProto p)
{
    switch (p) {
    case NS_SCN_PROTO_TCP:
        return NS_IPPROTO_TCP;
    case NS_SCN_PROTO_UDP:
        return NS_IPPROTO_UDP;
    case NS_SCN_PROTO_ICMP:
        return NS_IPPROTO_ICMP;
    }
    return 0;
}

static NsNfAddrMatch addr_match(const NsScnAddrMatch *m)
{
    NsNfAddrMatch r = {.set = m->set, .net = m->net, .prefix = (uint8_t)m->prefix,
                       .port = m->port, .v6 = m->v6};
    memcpy(r.net6, m->net6, 16);
    return r;
}

static NsNfChain chain_of(NsScnChain c)
{
    switch (c) {
    case NS_SCN_CHAIN_IN:
        return NS_NF_CHAIN_IN;
    case NS_SCN_CHAIN_OUT:
        return NS_NF_CHAIN_OUT;
    case NS_SCN_CHAIN_FORWARD:
        return NS_NF_CHAIN_FORWARD;
    }
    return NS_NF_CHAIN_IN;
}

static NsNfAction action_of(NsScnFilterAction a)
{
    switch (a) {
    case NS_SCN_FILTER_ACCEPT:
        return NS_NF_ACCEPT;
    case NS_SCN_FILTER_DROP:
        return NS_NF_DROP;
    case NS_SCN_FILTER_REJECT:
        return NS_NF_REJECT;
    case NS_SCN_FILTER_REJECT_RST:
        return NS_NF_REJECT_RST;
    case NS_SCN_FILTER_REJECT_ADMIN:
        return NS_NF_REJECT_ADMIN;
    }
    return NS_NF_ACCEPT;
}

static NsNfStateMatch state_of(NsScnFilterState s)
{
    switch (s) {
    case NS_SCN_STATE_ANY:
        return NS_NF_MATCH_ANY_STATE;
    case NS_SCN_STATE_NEW:
        return NS_NF_MATCH_NEW;
    case NS_SCN_STATE_ESTABLISHED:
        return NS_NF_MATCH_ESTABLISHED;
    }
    return NS_NF_MATCH_ANY_STATE;
}

static void add_filter(NsWorld *w, uint32_t index)
{
    const NsScnFilter *f = ns_scn_filter(w->scn, index);
    NsNfRule r = {.id = index, .chain = chain_of(f->chain), .action = action_of(f->action),
                  .proto = f->has_proto ? proto_number(f->proto) : 0, .family = f->family,
                  .from = addr_match(&f->from), .to = addr_match(&f->to),
                  .state = state_of(f->state), .name = f->name, .file = ns_world_file_name(f->loc.file),
                  .line = f->loc.line};
    ns_nf_rule_add(ns_netfilter_of(ns_ip_of(w->hosts[f->host].host)), &r);
}

void ns_world_netfilter_setup(NsWorld *w)
{
    const NsScenario *scn = w->scn;
    for (guint i = 0; i < scn->nats->len; i++) {
        const NsScnNat *n = ns_scn_nat(scn, i);
        NsNetfilter *nf = ns_netfilter_of(ns_ip_of(w->hosts[n->host].host));
        switch (n->kind) {
        case NS_SCN_NAT_MASQUERADE:
            ns_nf_masquerade(nf, n->addr);
            break;
        case NS_SCN_NAT_FORWARD:
            ns_nf_forward(nf, proto_number(n->proto), n->addr, n->port, n->to_addr, n->to_port);
            break;
        }
    }
    for (guint i = 0; i < scn->filters->len; i++)
        if (!ns_scn_filter(scn, i)->on_timeline)
            add_filter(w, i);
}

void ns_world_filter_step(NsWorld *w, const NsScnStep *st)
{
    uint32_t index = st->u.filter.filter;
    const NsScnFilter *f = ns_scn_filter(w->scn, index);
    NsHost *host = w->hosts[f->host].host;
    bool add = st->verb.fault == NS_SCN_FAULT_VERB_FILTER;
    if (add)
        add_filter(w, index);
    else if (!ns_nf_rule_remove(ns_netfilter_of(ns_ip_of(host)), index))
        return; /* removed already, or never added yet: nothing changes */
    if (!ns_tracer_wants(w->ctx->tracer, NS_TRACE_HOST))
        return;
    NsTraceEvent ev = {.time = ns_sim_now(w->ctx->sim), .kind = NS_TRACE_HOST,
                       .host = ns_host_name(host),
                       .host_ev = add ? NS_HOST_EV_FILTER_ADDED : NS_HOST_EV_FILTER_REMOVED,
                       .rule_name = f->name, .loc = {ns_world_file_name(f->loc.file), f->loc.line}};
    ns_trace_emit(w->ctx->tracer, &ev);
}

/* expect HOST route ADDR6 via ADDR6: the next hop the IPv6 table gives. */
static bool check_route6(NsWorld *w, const NsScnExpect *e, char **text)
{
    NsIpv6Addr dst, via, hop;
    memcpy(dst.b, e->u.route.target.addr6, 16);
    memcpy(via.b, e->u.route.via6, 16);
    char t[NS_IPV6_STRLEN], v[NS_IPV6_STRLEN], g[NS_IPV6_STRLEN];
    ns_ipv6_format(&dst, t);
    ns_ipv6_format(&via, v);
    NsIface *iface;
    if (!ns_ip6_route(ns_ip6_of(w->hosts[e->host].host), &dst, &iface, &hop)) {
        *text = g_strdup_printf("route %s via %s (got no route)", t, v);
        return false;
    }
    bool ok = ns_ipv6_addr_equal(&hop, &via);
    *text = ok ? g_strdup_printf("route %s via %s", t, v)
               : ns_ipv6_addr_equal(&hop, &dst)
                     ? g_strdup_printf("route %s via %s (got: directly attached)", t, v)
                     : g_strdup_printf("route %s via %s (got via %s)", t, v,
                                       ns_ipv6_format(&hop, g));
    return ok;
}

bool ns_world_check_tables(NsWorld *w, const NsScnExpect *e, char **text)
{
    NsIp *ip = ns_ip_of(w->hosts[e->host].host);
    NsTime now = ns_sim_now(w->ctx->sim);
    switch (e->kind) {
    case NS_SCN_EXPECT_ROUTE: {
        if (e->u.route.target.is_v6)
            return check_route6(w, e, text);
        char t[NS_IPV4_STRLEN], v[NS_IPV4_STRLEN], g[NS_IPV4_STRLEN];
        ns_ipv4_format(e->u.route.target.addr, t);
        ns_ipv4_format(e->u.route.via, v);
        NsIface *iface;
        uint32_t hop;
        if (!ns_ip_route(ip, e->u.route.target.addr, &iface, &hop)) {
            *text = g_strdup_printf("route %s via %s (got no route)", t, v);
            return false;
        }
        bool ok = hop == e->u.route.via;
        ns_ipv4_format(hop, g);
        *text = ok ? g_strdup_printf("route %s via %s", t, v)
                   : hop == e->u.route.target.addr
                         ? g_strdup_printf("route %s via %s (got: directly attached)", t, v)
                         : g_strdup_printf("route %s via %s (got via %s)", t, v, g);
        return ok;
    }
    case NS_SCN_EXPECT_NAT_MAPPINGS: {
        const NsNetfilter *nf = ns_netfilter_peek(ip);
        uint32_t got = nf ? ns_nf_mapping_count(nf, now) : 0;
        bool ok = got == e->u.nat.count;
        *text = ok ? g_strdup_printf("nat mappings %u", got)
                   : g_strdup_printf("nat mappings %u (got %u)", e->u.nat.count, got);
        return ok;
    }
    case NS_SCN_EXPECT_FETCH:
    case NS_SCN_EXPECT_STATE:
    case NS_SCN_EXPECT_ERROR:
    case NS_SCN_EXPECT_SOCKETS:
    case NS_SCN_EXPECT_DELIVERED_ALL:
    case NS_SCN_EXPECT_MAIL:
    case NS_SCN_EXPECT_PING:
    case NS_SCN_EXPECT_RECEIVED:
    case NS_SCN_EXPECT_PORT:
        break;
    }
    *text = g_strdup("?");
    return false;
}

typedef struct {
    GString *s;
    const char *indent;
} TableOut;

static void rule_line(const NsNfRuleRow *row, void *data)
{
    TableOut *o = data;
    g_autofree char *l = ns_nf_rule_format(row);
    g_string_append_printf(o->s, "%s  %s\n", o->indent, l);
}

static void ct_line(const NsCtRow *row, void *data)
{
    TableOut *o = data;
    g_autofree char *l = ns_ct_row_format(row);
    g_string_append_printf(o->s, "%s  %s\n", o->indent, l);
}

static void count_row(const NsCtRow *row, void *data)
{
    (void)row;
    (*(uint32_t *)data)++;
}

static void count_rule(const NsNfRuleRow *row, void *data)
{
    (void)row;
    (*(uint32_t *)data)++;
}

char *ns_world_netfilter_tables(const NsWorld *w, const char *indent)
{
    GString *s = g_string_new(NULL);
    NsTime now = ns_sim_now(w->ctx->sim);
    for (uint32_t i = 0; i < w->n_hosts; i++) {
        const NsNetfilter *nf = ns_netfilter_peek(ns_ip_of(w->hosts[i].host));
        if (!nf)
            continue;
        uint32_t nrules = 0, nflows = 0;
        ns_nf_rules_foreach(nf, count_rule, &nrules);
        ns_nf_conntrack_foreach(nf, now, count_row, &nflows);
        g_string_append_printf(s, "%s%s: %u filter rule%s, %u tracked flow%s (%u translated)\n",
                               indent, ns_host_name(w->hosts[i].host), nrules,
                               nrules == 1 ? "" : "s", nflows, nflows == 1 ? "" : "s",
                               ns_nf_mapping_count(nf, now));
        TableOut o = {s, indent};
        if (nrules) {
            g_string_append_printf(s, "%s  %-7s %8s %11s  %s\n", indent, "chain", "hits",
                                   "bytes", "rule");
            ns_nf_rules_foreach(nf, rule_line, &o);
        }
        ns_nf_conntrack_foreach(nf, now, ct_line, &o);
    }
    return g_string_free(s, FALSE);
}
