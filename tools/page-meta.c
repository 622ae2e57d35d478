/* What the --html page knows besides the events: the scenario's title and
 * topology (hosts with their addresses, networks, links named as the trace
 * names them), and every host's sockets at the end as the run counts them
 * (the page checks its replayed tables against them). */
#include "common.h"

#include "netsim-config.h"
#include "netsim/socket.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"

#include <string.h>

static void add_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void add_hosts(JsonBuilder *b, const NsScenario *scn)
{
    json_builder_set_member_name(b, "hosts");
    json_builder_begin_array(b);
    for (guint i = 0; i < scn->hosts->len; i++) {
        const NsScnHost *h = ns_scn_host(scn, i);
        json_builder_begin_object(b);
        add_str(b, "name", h->name);
        json_builder_set_member_name(b, "router");
        json_builder_add_boolean_value(b, h->is_router);
        add_str(b, "tcp", h->tcp == NS_SCN_TCP_LINUX ? "linux" : "minimal");
        json_builder_set_member_name(b, "addrs");
        json_builder_begin_array(b);
        for (uint32_t k = 0; k < h->n_addrs; k++) {
            char a[NS_IPV4_STRLEN];
            ns_ipv4_format(h->addrs[k].addr, a);
            json_builder_begin_object(b);
            add_str(b, "addr", a);
            if (h->addrs[k].network >= 0)
                add_str(b, "net", ns_scn_network(scn, (uint32_t)h->addrs[k].network)->name);
            json_builder_end_object(b);
        }
        /* IPv6 addresses after them; one on a network the host already has
         * an IPv4 address on names no network, so that the topology draws
         * one line per network. */
        for (uint32_t k = 0; k < h->n_addrs6; k++) {
            NsIpv6Addr v6;
            char a[NS_IPV6_STRLEN];
            memcpy(v6.b, h->addrs6[k].addr, sizeof v6.b);
            json_builder_begin_object(b);
            add_str(b, "addr", ns_ipv6_format(&v6, a));
            int32_t net = h->addrs6[k].network;
            for (uint32_t j = 0; net >= 0 && j < h->n_addrs; j++)
                if (h->addrs[j].network == net)
                    net = -1;
            if (net >= 0)
                add_str(b, "net", ns_scn_network(scn, (uint32_t)net)->name);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "names");
        json_builder_begin_array(b);
        for (uint32_t k = 0; k < h->n_dns_names; k++)
            json_builder_add_string_value(b, h->dns_names[k]);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void add_networks(JsonBuilder *b, const NsScenario *scn)
{
    json_builder_set_member_name(b, "networks");
    json_builder_begin_array(b);
    for (guint i = 0; i < scn->networks->len; i++) {
        const NsScnNetwork *n = ns_scn_network(scn, i);
        char a[NS_IPV4_STRLEN], a6[NS_IPV6_STRLEN];
        ns_ipv4_format(n->net, a);
        NsIpv6Addr net6;
        memcpy(net6.b, n->net6, sizeof net6.b);
        if (n->has_v6)
            ns_ipv6_format(&net6, a6);
        /* "10.0.1.0/24", "2001:db8:1::/64" or both, as the network line has them */
        g_autofree char *cidr =
            n->has_v4 && n->has_v6 ? g_strdup_printf("%s/%u %s/%u", a, n->prefix, a6, n->prefix6)
            : n->has_v6            ? g_strdup_printf("%s/%u", a6, n->prefix6)
                                   : g_strdup_printf("%s/%u", a, n->prefix);
        json_builder_begin_object(b);
        add_str(b, "name", n->name);
        add_str(b, "cidr", cidr);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "links");
    json_builder_begin_array(b);
    for (guint i = 0; i < scn->links->len; i++) {
        const NsScnLink *l = ns_scn_link(scn, i);
        const char *a = ns_scn_host(scn, l->a)->name, *c = ns_scn_host(scn, l->b)->name;
        g_autofree char *name = g_strdup_printf("%s-%s", a, c);
        json_builder_begin_object(b);
        add_str(b, "name", name);
        add_str(b, "a", a);
        add_str(b, "b", c);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void table_row(const char *host, bool up, const NsSocketRow *row, void *data)
{
    (void)up;
    GString *out = data;
    char local[NS_SOCKET_END_STRLEN], peer[NS_SOCKET_END_STRLEN];
    ns_socket_row_ends(row, local, peer); /* as ss writes them, IPv6 in brackets */
    if (out->len > 1)
        g_string_append_c(out, ',');
    g_string_append_printf(out, "[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]", host, row->proto,
                           row->state, local, peer);
}

void ns_page_tables(void *world, GString *out)
{
    g_string_append_c(out, '[');
    ns_world_foreach_socket(world, table_row, out);
    g_string_append_c(out, ']');
}

JsonNode *ns_page_meta(const NsScenario *scn, uint64_t seed, bool student, NsWorld *world)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    add_str(b, "netsim", NETSIM_VERSION);
    add_str(b, "scenario", scn->filename ? scn->filename : "");
    if (scn->title)
        add_str(b, "title", scn->title);
    json_builder_set_member_name(b, "seed");
    json_builder_add_int_value(b, (int64_t)seed);
    json_builder_set_member_name(b, "student");
    json_builder_add_boolean_value(b, student);
    add_hosts(b, scn);
    add_networks(b, scn);
    json_builder_set_member_name(b, "sockets_end");
    ns_add_socket_rows(b, world);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}
