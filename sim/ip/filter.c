/* Filter rules as iptables' filter table holds them: three chains (in,
 * out, forward as INPUT, OUTPUT, FORWARD), first match wins, default
 * accept; a rule matches protocol, source and destination (a network or
 * an address, with a port for TCP and UDP) and the flow's conntrack state
 * (NEW, or ESTABLISHED, which here includes what iptables calls RELATED:
 * ICMP and ICMPv6 errors about a tracked flow). A rule naming addresses is
 * for their family, one naming none for both, as in an nftables inet
 * table. Each rule counts its hits. */
#include "netfilter-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim-private/packet.h"

void ns_nf_rule_add(NsNetfilter *nf, const NsNfRule *rule)
{
    NfRule r = {.rule = *rule};
    r.rule.name = g_strdup(rule->name);
    r.rule.file = g_strdup(rule->file);
    g_array_append_val(nf->rules[rule->chain], r);
}

bool ns_nf_rule_remove(NsNetfilter *nf, uint32_t id)
{
    bool found = false;
    for (int c = 0; c < 3; c++) {
        GArray *a = nf->rules[c];
        for (guint i = a->len; i-- > 0;) {
            NfRule *r = &g_array_index(a, NfRule, i);
            if (r->rule.id != id)
                continue;
            g_free((char *)r->rule.name);
            g_free((char *)r->rule.file);
            g_array_remove_index(a, i);
            found = true;
        }
    }
    return found;
}

static bool addr_match(const NsNfAddrMatch *m, uint32_t addr, uint16_t port, bool has_ports)
{
    if (!m->set)
        return true;
    if (!ns_ipv4_in_subnet(addr, m->net, m->prefix))
        return false;
    return m->port == 0 || (has_ports && m->port == port);
}

static bool state_match(NsNfStateMatch want, const NfInfo *info)
{
    switch (want) {
    case NS_NF_MATCH_ANY_STATE:
        return true;
    case NS_NF_MATCH_NEW:
        return info->conn && !info->related && info->dir == NF_ORIG && !info->conn->seen_reply;
    case NS_NF_MATCH_ESTABLISHED:
        return info->conn &&
               (info->related || info->dir == NF_REPLY || info->conn->seen_reply);
    }
    return false;
}

const NsNfRule *nf_filter(NsNetfilter *nf, NsNfChain chain, const NsPacket *pkt,
                          const NfInfo *info)
{
    GArray *a = nf->rules[chain];
    if (a->len == 0)
        return NULL;
    NsIpv4Repr h;
    if (ns_ipv4_parse_header(pkt->data, pkt->len, &h) != NS_WIRE_OK)
        return NULL;
    bool ports = (h.proto == NS_IPPROTO_TCP || h.proto == NS_IPPROTO_UDP) && !h.frag_offset &&
                 pkt->len >= h.header_len + 4u;
    uint16_t sport = ports ? ns_read_be16(pkt->data + h.header_len) : 0;
    uint16_t dport = ports ? ns_read_be16(pkt->data + h.header_len + 2) : 0;
    for (guint i = 0; i < a->len; i++) {
        NfRule *r = &g_array_index(a, NfRule, i);
        const NsNfRule *m = &r->rule;
        if (m->family == 6 || (m->proto && m->proto != h.proto) ||
            !addr_match(&m->from, h.src, sport, ports) ||
            !addr_match(&m->to, h.dst, dport, ports) || !state_match(m->state, info))
            continue;
        r->pkts++;
        r->bytes += pkt->len;
        return m;
    }
    return NULL;
}

static bool addr_match6(const NsNfAddrMatch *m, const NsIpv6Addr *addr, uint16_t port,
                        bool has_ports)
{
    if (!m->set)
        return true;
    if (m->v6 && !ns_ipv6_in_prefix(addr, (const NsIpv6Addr *)(const void *)m->net6, m->prefix))
        return false;
    return m->port == 0 || (has_ports && m->port == port);
}

const NsNfRule *nf_filter6(NsNetfilter *nf, NsNfChain chain, const NsPacket *pkt,
                           const NfInfo *info)
{
    GArray *a = nf->rules[chain];
    if (a->len == 0)
        return NULL;
    NsIpv6Repr h;
    if (ns_ipv6_parse(pkt->data, pkt->len, &h) != NS_WIRE_OK)
        return NULL;
    /* The transport right after the fixed header (netsim sends no
     * extension headers); ICMPv6 is what `icmp` names here. */
    uint8_t proto = h.next_header == NS_IPPROTO_ICMPV6 ? NS_IPPROTO_ICMP : h.next_header;
    bool ports = (proto == NS_IPPROTO_TCP || proto == NS_IPPROTO_UDP) &&
                 pkt->len >= NS_IPV6_HLEN + 4u;
    uint16_t sport = ports ? ns_read_be16(pkt->data + NS_IPV6_HLEN) : 0;
    uint16_t dport = ports ? ns_read_be16(pkt->data + NS_IPV6_HLEN + 2) : 0;
    for (guint i = 0; i < a->len; i++) {
        NfRule *r = &g_array_index(a, NfRule, i);
        const NsNfRule *m = &r->rule;
        if (m->family == 4 || (m->proto && m->proto != proto) ||
            !addr_match6(&m->from, &h.src, sport, ports) ||
            !addr_match6(&m->to, &h.dst, dport, ports) || !state_match(m->state, info))
            continue;
        r->pkts++;
        r->bytes += pkt->len;
        return m;
    }
    return NULL;
}

void ns_nf_rules_foreach(const NsNetfilter *nf, NsNfRuleFn fn, void *data)
{
    for (int c = 0; c < 3; c++) {
        for (guint i = 0; i < nf->rules[c]->len; i++) {
            const NfRule *r = &g_array_index(nf->rules[c], NfRule, i);
            NsNfRuleRow row = {&r->rule, r->pkts, r->bytes};
            fn(&row, data);
        }
    }
}

const char *ns_nf_chain_name(NsNfChain chain)
{
    switch (chain) {
    case NS_NF_CHAIN_IN:
        return "in";
    case NS_NF_CHAIN_OUT:
        return "out";
    case NS_NF_CHAIN_FORWARD:
        return "forward";
    }
    return "?";
}

static const char *action_name(NsNfAction a)
{
    switch (a) {
    case NS_NF_ACCEPT:
        return "accept";
    case NS_NF_DROP:
        return "drop";
    case NS_NF_REJECT:
        return "reject";
    case NS_NF_REJECT_RST:
        return "reject with tcp-reset";
    case NS_NF_REJECT_ADMIN:
        return "reject with admin-prohibited";
    }
    return "?";
}

static void append_match(GString *s, const char *word, const NsNfAddrMatch *m)
{
    if (!m->set)
        return;
    g_string_append_printf(s, " %s ", word);
    if (m->v6) {
        char a6[NS_IPV6_STRLEN];
        ns_ipv6_format((const NsIpv6Addr *)(const void *)m->net6, a6);
        if (m->prefix != 128)
            g_string_append_printf(s, "%s/%u", a6, m->prefix);
        else if (m->port)
            g_string_append_printf(s, "[%s]:%u", a6, m->port);
        else
            g_string_append(s, a6);
        return;
    }
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(m->net, a);
    if (m->prefix == 0 && m->port) {
        g_string_append_printf(s, ":%u", m->port); /* any address, one port */
        return;
    }
    g_string_append(s, a);
    if (m->prefix != 32)
        g_string_append_printf(s, "/%u", m->prefix);
    if (m->port)
        g_string_append_printf(s, ":%u", m->port);
}

/* "in drop tcp to 10.0.0.2:23  hits 3 pkts 180B  (filter at a.scn:7)": the
 * rule in the scenario's words with its counters, as `iptables -L -v`. */
char *ns_nf_rule_format(const NsNfRuleRow *row)
{
    const NsNfRule *r = row->rule;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%-7s %8" PRIu64 " %10" PRIu64 "B  %s",
                           ns_nf_chain_name(r->chain), row->pkts, row->bytes,
                           action_name(r->action));
    if (r->proto)
        g_string_append_printf(s, " %s", r->proto == NS_IPPROTO_TCP   ? "tcp"
                                         : r->proto == NS_IPPROTO_UDP ? "udp"
                                                                      : "icmp");
    append_match(s, "from", &r->from);
    append_match(s, "to", &r->to);
    if (r->state != NS_NF_MATCH_ANY_STATE)
        g_string_append_printf(s, " state %s", r->state == NS_NF_MATCH_NEW ? "new" : "established");
    g_string_append(s, "  (filter");
    if (r->name)
        g_string_append_printf(s, " %s", r->name);
    if (r->file)
        g_string_append_printf(s, " at %s:%u", r->file, r->line);
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}
