/* Helpers shared by the sub-commands: usage errors, atomic output files. */
#include "common.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <inttypes.h>

#include "netsim-config.h"
#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/ip6.h"
#include "netsim/netfilter.h"
#include "netsim/tcp.h"
#include "netsim/trace-console.h"
#include "netsim/trace-diagram.h"
#include "netsim/trace-filter.h"
#include "netsim/trace-json.h"
#include "netsim/trace-page.h"
#include "netsim/trace-pcap.h"
#include "netsim/trace-student.h"
#include "netsim/wire/ipv4.h"
#include "netsim/trace-text.h"

int ns_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("netsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'netsim --help'.\n", stderr);
    return NS_EXIT_USAGE;
}

char **ns_command_argv;

#ifdef NETSIM_FULLY_STATIC
bool ns_json_glib_ready(const char *what)
{
    /* netsim-shared is looked for beside this netsim first (the build
     * tree; a copy of both), then where `meson install` puts it. */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    g_autofree char *beside = NULL;
    if (n > 0) {
        self[n] = '\0';
        g_autofree char *dir = g_path_get_dirname(self);
        beside = g_build_filename(dir, "netsim-shared", NULL);
        fflush(NULL);
        execv(beside, ns_command_argv);
    }
    const char *installed = NETSIM_LIBEXECDIR "/netsim-shared";
    fflush(NULL);
    execv(installed, ns_command_argv);
    fprintf(stderr,
            "netsim: %s needs json-glib, which this netsim (linked statically) leaves to "
            "netsim-shared, and there is none %s%s%s%s: %s\n",
            what, beside ? "at " : "", beside ? beside : "", beside ? " nor at " : "at ",
            installed, g_strerror(errno));
    return false;
}
#else
bool ns_json_glib_ready(const char *what)
{
    (void)what;
    return true;
}
#endif

int ns_host_column_width(const NsScenario *scn)
{
    int w = 4;
    for (guint i = 0; i < scn->hosts->len; i++) {
        int n = (int)strlen(ns_scn_host(scn, i)->name);
        if (n > w)
            w = n;
    }
    return w > 24 ? 24 : w;
}


/* ---- the outputs of a run: sinks, header, socket tables, summary ---- */

static void socket_json_row(const char *host, bool up, const NsSocketRow *row, void *data)
{
    (void)up;
    JsonBuilder *b = data;
    char l[NS_SOCKET_END_STRLEN], p[NS_SOCKET_END_STRLEN];
    ns_socket_row_ends(row, l, p);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "host");
    json_builder_add_string_value(b, host);
    json_builder_set_member_name(b, "proto");
    json_builder_add_string_value(b, row->proto);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, row->state);
    json_builder_set_member_name(b, "recv_q");
    json_builder_add_int_value(b, row->recv_q);
    json_builder_set_member_name(b, "send_q");
    json_builder_add_int_value(b, row->send_q);
    json_builder_set_member_name(b, "local");
    json_builder_add_string_value(b, l);
    json_builder_set_member_name(b, "remote");
    json_builder_add_string_value(b, p);
    json_builder_end_object(b);
}

void ns_add_socket_rows(JsonBuilder *b, NsWorld *w)
{
    json_builder_begin_array(b);
    ns_world_foreach_socket(w, socket_json_row, b);
    json_builder_end_array(b);
}

/* "1.5", "2", "0.000001": seconds without trailing zeros. */
static char *seconds_text(NsTime t)
{
    char buf[32];
    ns_trace_format_time(t, buf);
    char *s = g_strstrip(buf);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[--n] = '\0';
    return g_strdup(s);
}

static void member_int(JsonBuilder *b, const char *name, int64_t v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, v);
}

static void member_str(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, v);
}

/* (transfer full) a JSON Lines record begun: {"t_ns": t, "kind": kind, ...
 * record_write() ends, writes and frees it. */
static JsonBuilder *record_begin(NsTime t, const char *kind)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    member_int(b, "t_ns", (int64_t)t);
    member_str(b, "kind", kind);
    return b;
}

/* The record ended, written as one line, and freed with its builder. */
static void record_write(FILE *out, JsonBuilder *b)
{
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    ns_json_write_line(out, root);
    json_node_unref(root);
    g_object_unref(b);
}

/* A --sockets-at or --tables-at moment: where to print, how, and the
 * world's call at that time. */
typedef struct {
    FILE *out;
    bool json, student;
    NsTime t;
    NsWorldCall call;
} PrintAt;

static void print_sockets_at(NsWorld *w, void *data)
{
    PrintAt *sa = data;
    if (sa->json) {
        JsonBuilder *b = record_begin(ns_world_now(w), "sockets");
        json_builder_set_member_name(b, "sockets");
        ns_add_socket_rows(b, w);
        record_write(sa->out, b);
        return;
    }
    g_autofree char *tables = ns_world_socket_tables(w, "#   ");
    g_autofree char *at = seconds_text(sa->t);
    fprintf(sa->out, "# sockets at %s s\n%s", at, tables[0] ? tables : "#   (none open)\n");
}

/* ---- --tables-at: routes, neighbours, filter rules, tracked flows ---- */

static void route_json(const NsRouteRow *r, void *data)
{
    JsonBuilder *b = data;
    char a[NS_IPV4_STRLEN];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "dst");
    ns_ipv4_format(r->net, a);
    g_autofree char *dst = r->prefix_len ? g_strdup_printf("%s/%u", a, r->prefix_len)
                                         : g_strdup("default");
    json_builder_add_string_value(b, dst);
    if (r->gateway) {
        ns_ipv4_format(r->gateway, a);
        json_builder_set_member_name(b, "via");
        json_builder_add_string_value(b, a);
    }
    g_autofree char *dev = g_strdup_printf("eth%u", r->ifindex);
    json_builder_set_member_name(b, "dev");
    json_builder_add_string_value(b, dev);
    json_builder_set_member_name(b, "proto");
    json_builder_add_string_value(b, ns_route_origin_name(r->origin));
    ns_ipv4_format(r->src, a);
    json_builder_set_member_name(b, "src");
    json_builder_add_string_value(b, a);
    if (r->origin == NS_ROUTE_AUTO) {
        json_builder_set_member_name(b, "metric");
        json_builder_add_int_value(b, r->metric);
    }
    json_builder_end_object(b);
}

static void neigh_json(const NsNeighRow *r, void *data)
{
    JsonBuilder *b = data;
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(r->addr, a);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "dst");
    json_builder_add_string_value(b, a);
    g_autofree char *dev = g_strdup_printf("eth%u", r->ifindex);
    json_builder_set_member_name(b, "dev");
    json_builder_add_string_value(b, dev);
    if (r->state != NS_NEIGH_INCOMPLETE) {
        g_autofree char *mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0],
                                               r->mac[1], r->mac[2], r->mac[3], r->mac[4],
                                               r->mac[5]);
        json_builder_set_member_name(b, "lladdr");
        json_builder_add_string_value(b, mac);
    }
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, ns_neigh_state_name(r->state));
    json_builder_end_object(b);
}

static void rule_json(const NsNfRuleRow *r, void *data)
{
    JsonBuilder *b = data;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "chain");
    json_builder_add_string_value(b, ns_nf_chain_name(r->rule->chain));
    g_autofree char *text = ns_nf_rule_format(r);
    json_builder_set_member_name(b, "text");
    json_builder_add_string_value(b, text);
    json_builder_set_member_name(b, "hits");
    json_builder_add_int_value(b, (int64_t)r->pkts);
    json_builder_set_member_name(b, "bytes");
    json_builder_add_int_value(b, (int64_t)r->bytes);
    if (r->rule->name) {
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, r->rule->name);
    }
    if (r->rule->file) {
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, r->rule->file);
        json_builder_set_member_name(b, "line");
        json_builder_add_int_value(b, r->rule->line);
    }
    json_builder_end_object(b);
}

static void flow_json(const NsCtRow *r, void *data)
{
    JsonBuilder *b = data;
    json_builder_begin_object(b);
    g_autofree char *text = ns_ct_row_format(r);
    json_builder_set_member_name(b, "text");
    json_builder_add_string_value(b, text);
    json_builder_set_member_name(b, "translated");
    json_builder_add_boolean_value(b, r->translated);
    json_builder_set_member_name(b, "expires_ns");
    json_builder_add_int_value(b, r->expires_in);
    json_builder_end_object(b);
}

static void add_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void route6_json(const NsRoute6Row *r, void *data)
{
    JsonBuilder *b = data;
    char a[NS_IPV6_STRLEN];
    json_builder_begin_object(b);
    g_autofree char *dst = r->prefix_len
                               ? g_strdup_printf("%s/%u", ns_ipv6_format(&r->net, a), r->prefix_len)
                               : g_strdup("default");
    add_str(b, "dst", dst);
    if (r->has_gateway)
        add_str(b, "via", ns_ipv6_format(&r->gateway, a));
    g_autofree char *dev = g_strdup_printf("eth%u", r->ifindex);
    add_str(b, "dev", dev);
    add_str(b, "proto", ns_route_origin_name(r->origin));
    if (r->origin == NS_ROUTE_AUTO) {
        json_builder_set_member_name(b, "metric");
        json_builder_add_int_value(b, r->metric);
    }
    json_builder_end_object(b);
}

static void neigh6_json(const NsNeigh6Row *r, void *data)
{
    JsonBuilder *b = data;
    char a[NS_IPV6_STRLEN];
    json_builder_begin_object(b);
    add_str(b, "dst", ns_ipv6_format(&r->addr, a));
    g_autofree char *dev = g_strdup_printf("eth%u", r->ifindex);
    add_str(b, "dev", dev);
    if (r->state != NS_NEIGH_INCOMPLETE) {
        g_autofree char *mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0],
                                               r->mac[1], r->mac[2], r->mac[3], r->mac[4],
                                               r->mac[5]);
        add_str(b, "lladdr", mac);
    }
    if (r->router) {
        json_builder_set_member_name(b, "router");
        json_builder_add_boolean_value(b, true);
    }
    add_str(b, "state", ns_neigh_state_name(r->state));
    json_builder_end_object(b);
}

void ns_add_host_tables(JsonBuilder *b, NsWorld *w, bool student)
{
    json_builder_begin_array(b);
    NsTime now = ns_world_now(w);
    for (size_t i = 0; i < ns_world_host_count(w); i++) {
        NsHost *h = ns_world_host(w, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "host");
        json_builder_add_string_value(b, ns_host_name(h));
        json_builder_set_member_name(b, "routes");
        json_builder_begin_array(b);
        ns_ip_routes_foreach(ns_ip_of(h), route_json, b);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "neigh");
        json_builder_begin_array(b);
        ns_host_neigh_foreach(h, neigh_json, b);
        json_builder_end_array(b);
        NsIpv6Addr any6;
        if (ns_ip6_first_addr(ns_ip6_of(h), &any6)) { /* hosts with IPv6 addresses */
            json_builder_set_member_name(b, "routes6");
            json_builder_begin_array(b);
            ns_ip6_routes_foreach(ns_ip6_of(h), route6_json, b);
            json_builder_end_array(b);
            json_builder_set_member_name(b, "neigh6");
            json_builder_begin_array(b);
            ns_ip6_neigh_foreach(ns_ip6_of(h), neigh6_json, b);
            json_builder_end_array(b);
        }
        const NsNetfilter *nf = student ? NULL : ns_netfilter_peek(ns_ip_of(h));
        if (nf) {
            json_builder_set_member_name(b, "filter");
            json_builder_begin_array(b);
            ns_nf_rules_foreach(nf, rule_json, b);
            json_builder_end_array(b);
            json_builder_set_member_name(b, "conntrack");
            json_builder_begin_array(b);
            ns_nf_conntrack_foreach(nf, now, flow_json, b);
            json_builder_end_array(b);
            json_builder_set_member_name(b, "nat_mappings");
            json_builder_add_int_value(b, ns_nf_mapping_count(nf, now));
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void fdb_json(const NsFdbRow *r, void *data)
{
    JsonBuilder *b = data;
    g_autofree char *mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0], r->mac[1],
                                           r->mac[2], r->mac[3], r->mac[4], r->mac[5]);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "mac");
    json_builder_add_string_value(b, mac);
    json_builder_set_member_name(b, "port");
    json_builder_add_int_value(b, r->port + 1);
    json_builder_set_member_name(b, "host");
    json_builder_add_string_value(b, r->host);
    json_builder_set_member_name(b, "age_ns");
    json_builder_add_int_value(b, r->age);
    json_builder_end_object(b);
}

void ns_add_switch_tables(JsonBuilder *b, NsWorld *w)
{
    json_builder_begin_array(b);
    for (size_t i = 0; i < ns_world_link_count(w); i++) {
        NsSegment *seg = ns_world_segment(w, i);
        if (!ns_segment_is_learning(seg))
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "switch");
        json_builder_add_string_value(b, ns_segment_name(seg));
        json_builder_set_member_name(b, "fdb");
        json_builder_begin_array(b);
        ns_segment_fdb_foreach(seg, fdb_json, b);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void print_tables_at(NsWorld *w, void *data)
{
    PrintAt *ta = data;
    if (ta->json) {
        JsonBuilder *b = record_begin(ns_world_now(w), "tables");
        json_builder_set_member_name(b, "hosts");
        ns_add_host_tables(b, w, ta->student);
        json_builder_set_member_name(b, "switches");
        ns_add_switch_tables(b, w);
        record_write(ta->out, b);
        return;
    }
    g_autofree char *tables = ns_world_host_tables(w, "#   ", true);
    g_autofree char *at = seconds_text(ta->t);
    fprintf(ta->out, "# tables at %s s\n%s", at, tables);
}

static void write_json_header(FILE *out, const NsScenario *scn, uint64_t seed)
{
    JsonBuilder *b = record_begin(0, "run");
    json_builder_set_member_name(b, "netsim");
    json_builder_add_string_value(b, NETSIM_VERSION);
    json_builder_set_member_name(b, "scenario");
    json_builder_add_string_value(b, scn->filename ? scn->filename : "");
    if (scn->title) {
        json_builder_set_member_name(b, "title");
        json_builder_add_string_value(b, scn->title);
    }
    json_builder_set_member_name(b, "seed");
    json_builder_add_int_value(b, (int64_t)seed);
    record_write(out, b);
}

static void member_end(JsonBuilder *b, const char *name, const NsWorldFlow *f, bool b_side)
{
    char s[64];
    ns_world_flow_end(f, b_side, s, sizeof s);
    member_str(b, name, s);
}

/* "flows", "hosts" and "links": the summary's counters as objects. */
static void add_summary_data(JsonBuilder *b, NsWorld *w)
{
    size_t n;
    const NsWorldFlow *flows = ns_world_flows(w, &n);
    json_builder_set_member_name(b, "flows");
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++) {
        const NsWorldFlow *f = &flows[i];
        json_builder_begin_object(b);
        member_str(b, "proto", f->proto == NS_IPPROTO_UDP ? "udp" : "tcp");
        member_end(b, "a", f, false);
        member_end(b, "b", f, true);
        member_int(b, "pkts_ab", (int64_t)f->pkts[0]);
        member_int(b, "bytes_ab", (int64_t)f->bytes[0]);
        member_int(b, "pkts_ba", (int64_t)f->pkts[1]);
        member_int(b, "bytes_ba", (int64_t)f->bytes[1]);
        member_int(b, "retransmitted", (int64_t)f->retrans);
        member_int(b, "dropped", (int64_t)f->drops);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "hosts");
    json_builder_begin_array(b);
    for (size_t i = 0; i < ns_world_host_count(w); i++) {
        NsWorldHostStats h = ns_world_host_stats(w, i);
        json_builder_begin_object(b);
        member_str(b, "name", h.name);
        json_builder_set_member_name(b, "up");
        json_builder_add_boolean_value(b, h.up);
        member_int(b, "sent", (int64_t)h.sent);
        member_int(b, "received", (int64_t)h.received);
        member_int(b, "forwarded", (int64_t)h.forwarded);
        member_int(b, "dropped", (int64_t)h.dropped);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "links");
    json_builder_begin_array(b);
    for (size_t i = 0; i < ns_world_link_count(w); i++) {
        NsWorldLinkStats l = ns_world_link_stats(w, i);
        json_builder_begin_object(b);
        member_str(b, "name", l.name);
        json_builder_set_member_name(b, "up");
        json_builder_add_boolean_value(b, l.up);
        member_int(b, "frames", (int64_t)l.frames);
        member_int(b, "dropped", (int64_t)l.drops);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* "results": every expectation's verdict, in evaluation order. */
static void add_expect_results(JsonBuilder *b, const GArray *expects)
{
    json_builder_set_member_name(b, "results");
    json_builder_begin_array(b);
    for (guint i = 0; expects && i < expects->len; i++) {
        const NsExpectResult *r = &g_array_index(expects, NsExpectResult, i);
        json_builder_begin_object(b);
        member_int(b, "t_ns", r->time);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, r->ok);
        if (r->file) {
            member_str(b, "file", r->file);
            member_int(b, "line", r->line);
        }
        if (r->text)
            member_str(b, "text", r->text);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void write_json_summary(FILE *out, NsWorld *world, const GArray *expects, bool student,
                               bool tables)
{
    g_autofree char *summary = ns_world_summary(world);
    JsonBuilder *b = record_begin(ns_world_now(world), "summary");
    json_builder_set_member_name(b, "events");
    json_builder_add_int_value(b, (int64_t)ns_world_events(world));
    if (!student) { /* the teacher's checks are the answers */
        json_builder_set_member_name(b, "expectations");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "passed");
        json_builder_add_int_value(b, ns_world_expect_count(world) - ns_world_expect_failed(world));
        json_builder_set_member_name(b, "failed");
        json_builder_add_int_value(b, ns_world_expect_failed(world));
        add_expect_results(b, expects);
        json_builder_end_object(b);
    }
    json_builder_set_member_name(b, "sockets");
    ns_add_socket_rows(b, world);
    if (tables) {
        json_builder_set_member_name(b, "tables");
        ns_add_host_tables(b, world, student);
        json_builder_set_member_name(b, "switches");
        ns_add_switch_tables(b, world);
    }
    add_summary_data(b, world);
    /* The text summary, line by line without its "# ": everything the text
     * trace's summary says (flows, hosts, links), for readers of the JSON. */
    json_builder_set_member_name(b, "lines");
    json_builder_begin_array(b);
    g_auto(GStrv) lines = g_strsplit(summary, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l)
            json_builder_add_string_value(b, g_str_has_prefix(*l, "# ") ? *l + 2 : *l);
    json_builder_end_array(b);
    record_write(out, b);
}

/* (transfer full) the explainer of a scenario's hosts, with their profiles. */
static NsExplainer *explainer_for(const NsScenario *scn, bool student)
{
    g_autofree NsExplainHost *hosts = g_new0(NsExplainHost, scn->hosts->len + 1);
    for (guint i = 0; i < scn->hosts->len; i++) {
        const NsScnHost *h = ns_scn_host(scn, i);
        bool linux_profile = h->tcp == NS_SCN_TCP_LINUX;
        hosts[i].name = h->name;
        hosts[i].linux_profile = linux_profile;
        NsProfile profile = linux_profile ? NS_PROFILE_LINUX : NS_PROFILE_MINIMAL;
        ns_ip_ephemeral_range(profile, &hosts[i].eph_lo, &hosts[i].eph_hi);
        hosts[i].time_wait = ns_tcp_time_wait(profile);
    }
    NsExplainer *ex = ns_explainer_new(hosts, scn->hosts->len);
    ns_explainer_set_student(ex, student);
    return ex;
}

/* Is `name` a host, or a network or link, of the scenario? */
static bool scenario_has(const NsScenario *scn, const char *name, bool host)
{
    if (host) {
        for (guint i = 0; i < scn->hosts->len; i++)
            if (strcmp(ns_scn_host(scn, i)->name, name) == 0)
                return true;
        return false;
    }
    for (guint i = 0; i < scn->networks->len; i++)
        if (strcmp(ns_scn_network(scn, i)->name, name) == 0)
            return true;
    for (guint i = 0; i < scn->links->len; i++) {
        /* A link is named "A-B" after its two hosts, as the trace shows it. */
        const NsScnLink *l = ns_scn_link(scn, i);
        g_autofree char *n = g_strdup_printf("%s-%s", ns_scn_host(scn, l->a)->name,
                                             ns_scn_host(scn, l->b)->name);
        if (strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* The tracer the trace, explanation and diagram sinks subscribe to: `tracer`
 * itself, or (*sub) a new one that filter_into() then puts behind a filter
 * when `ro` filters. */
static NsTracer *filtered(NsTracer *tracer, const NsRunOpts *ro, NsTracer **sub)
{
    *sub = NULL;
    if (!ro->only_kinds && !ro->only_host && !ro->only_sock)
        return tracer;
    *sub = ns_tracer_new();
    if (ro->cc_samples)
        ns_tracer_set_kinds(*sub, NS_TRACE_MASK_ALL);
    return *sub;
}

static void filter_into(NsTracer *tracer, const NsRunOpts *ro, const NsScnHost *host,
                        const uint32_t *addrs, NsTracer *sub, bool for_diagram)
{
    if (!sub)
        return;
    NsTraceFilterOpts fo = {.kinds = ro->only_kinds ? ro->only_kinds : NS_TRACE_MASK_ALL,
                            .host = host ? host->name : NULL, .addrs = addrs,
                            .n_addrs = host ? host->n_addrs : 0, .sock = ro->only_sock,
                            .for_diagram = for_diagram};
    ns_trace_filter_attach(tracer, &fo, sub);
}

/* The scenario host named `name`, or NULL. */
static const NsScnHost *scenario_host(const NsScenario *scn, const char *name)
{
    for (guint i = 0; i < scn->hosts->len; i++)
        if (strcmp(ns_scn_host(scn, i)->name, name) == 0)
            return ns_scn_host(scn, i);
    return NULL;
}

/* Subscribe the sinks `ro` asks for. False (error set) when a file cannot
 * be created, or --pcap-at or --host names nothing in the scenario. */
static bool attach_sinks(const NsScenario *scn, const NsRunOpts *ro, FILE *out, NsTracer *tracer,
                         uint32_t **addrs, NsPageSink **page, GError **error)
{
    if (ro->html) {
        *page = ns_page_sink_new(ro->html, explainer_for(scn, ro->student), error);
        if (!*page)
            return false;
        ns_page_sink_attach(*page, tracer);
    }
    const NsScnHost *host = NULL;
    if (ro->only_host) {
        host = scenario_host(scn, ro->only_host);
        if (!host) {
            g_set_error(error, NS_WORLD_ERROR, 0, "netsim: --host %s: %s has no host of that name",
                        ro->only_host, scn->filename);
            return false;
        }
        *addrs = g_new0(uint32_t, host->n_addrs);
        for (uint32_t i = 0; i < host->n_addrs; i++)
            (*addrs)[i] = host->addrs[i].addr;
    }
    if (ro->pcap) {
        NsPcapAt at = NS_PCAP_AT_ALL;
        if (ro->pcap_at) {
            if (scenario_has(scn, ro->pcap_at, true)) {
                at = NS_PCAP_AT_HOST;
            } else if (scenario_has(scn, ro->pcap_at, false)) {
                at = NS_PCAP_AT_NETWORK;
            } else {
                g_set_error(error, NS_WORLD_ERROR, 0,
                            "netsim: --pcap-at %s: %s has no host, network or link of that name",
                            ro->pcap_at, scn->filename);
                return false;
            }
        }
        NsPcapSink *p = ns_pcap_sink_new(ro->pcap, at, ro->pcap_at, error);
        if (!p)
            return false;
        ns_pcap_sink_attach(p, tracer);
    }
    if (ro->diagram) {
        NsDiagramFormat fmt;
        if (!ns_diagram_format_from_path(ro->diagram, &fmt)) {
            g_set_error(error, NS_WORLD_ERROR, 0, "netsim: --diagram %s: use a .mmd or .svg file",
                        ro->diagram);
            return false;
        }
        NsDiagramSink *d = ns_diagram_sink_new(ro->diagram, fmt, scn->title, error);
        if (!d)
            return false;
        NsTracer *sub;
        ns_diagram_sink_attach(d, filtered(tracer, ro, &sub));
        filter_into(tracer, ro, host, *addrs, sub, true);
    }
    if (ro->quiet)
        return true;
    NsExplainer *ex = ro->explain ? explainer_for(scn, ro->student) : NULL;
    NsTracer *sub;
    NsTracer *to = filtered(tracer, ro, &sub);
    if (ro->json) {
        NsJsonSink *j = ns_json_sink_new(out, ex, error);
        if (!j)
            return false;
        ns_json_sink_attach(j, to);
    } else if (ro->explain || ro->colour)
        ns_console_sink_attach(
            ns_console_sink_new(out, ns_host_column_width(scn), ro->colour, ex), to);
    else
        ns_text_sink_attach(ns_text_sink_new(out, ns_host_column_width(scn)), to);
    filter_into(tracer, ro, host, *addrs, sub, false);
    return true;
}

/* The expectations' verdicts as data: a sink after the output sinks, so
 * that the event's trace line is written when it notes the offset. */
typedef struct {
    FILE *out;
    bool quiet;
    GArray *results;
} ExpectCollector;

static void expect_write(void *self, const NsTraceEvent *ev)
{
    ExpectCollector *c = self;
    NsExpectResult r = {.time = ev->time, .ok = ev->verdict == NS_VERDICT_PASS,
                        .file = g_strdup(ev->loc.file), .line = ev->loc.line,
                        .text = g_strdup(ev->text), .out_offset = c->quiet ? -1 : ftell(c->out)};
    g_array_append_val(c->results, r);
}

static void expect_collector_free(void *self)
{
    g_free(self);
}

static const NsTraceSinkOps expect_ops = {"expectations", expect_write, NULL,
                                          expect_collector_free};

void ns_expect_result_clear(void *p)
{
    NsExpectResult *r = p;
    g_free(r->file);
    g_free(r->text);
}

void ns_run_result_clear(NsRunResult *res)
{
    if (res->expects)
        g_array_free(res->expects, TRUE);
    res->expects = NULL;
}

int ns_run_scenario(const NsScenario *scn, const NsRunOpts *ro, FILE *out, NsRunResult *res,
                    GError **error)
{
    *res = (NsRunResult){0};
    /* json-glib is loaded only for the outputs that need it, before the
     * run, so that a machine without it stops here with the reason. */
    if ((ro->json || ro->html) && !ns_json_lib_load(error)) {
        g_prefix_error(error, "netsim: %s needs json-glib (Debian's libjson-glib-1.0-0): ",
                       ro->json ? "--format json" : "--html");
        return NS_EXIT_USAGE;
    }
    res->expects = g_array_new(FALSE, FALSE, sizeof(NsExpectResult));
    g_array_set_clear_func(res->expects, ns_expect_result_clear);
    g_autofree uint32_t *host_addrs = NULL; /* read by the filters until the tracer goes */
    g_autoptr(NsTracer) tracer = ns_tracer_new();
    /* Congestion samples are traced only when asked for: the page plots them. */
    if (ro->cc_samples || ro->html)
        ns_tracer_set_kinds(tracer, NS_TRACE_MASK_ALL);
    NsPageSink *page = NULL; /* owned by the tracer */
    /* --student: the outputs subscribe to a tracer of their own that is
     * handed the student's view of every event. */
    NsTracer *shown = tracer;
    if (ro->student) {
        shown = ns_tracer_new();
        if (ro->cc_samples || ro->html)
            ns_tracer_set_kinds(shown, NS_TRACE_MASK_ALL);
    }
    if (!attach_sinks(scn, ro, out, shown, &host_addrs, &page, error)) {
        if (shown != tracer)
            ns_tracer_free(shown);
        return NS_EXIT_USAGE;
    }
    if (shown != tracer)
        ns_trace_student_attach(tracer, shown);
    if (ro->hooks && ro->hooks->attach)
        ro->hooks->attach(tracer, ro->hooks->data);
    ExpectCollector *ec = g_new0(ExpectCollector, 1);
    *ec = (ExpectCollector){.out = out, .quiet = ro->quiet, .results = res->expects};
    ns_tracer_add_sink(tracer, &expect_ops, ec, NS_TRACE_MASK(NS_TRACE_EXPECT));
    if (ro->progress)
        ns_progress_attach(stderr, tracer);
    NsWorldOpts wo = ro->world;
    wo.summary = !ro->quiet;
    wo.student = ro->student;
    g_autoptr(NsWorld) world = ns_world_new(scn, &wo, tracer, error);
    if (!world)
        return NS_EXIT_USAGE;
    if (ro->hooks && ro->hooks->ready)
        ro->hooks->ready(world, tracer, ro->hooks->data);
    if (page)
        ns_page_sink_set_tables(page, ns_page_tables, world);
    g_autofree PrintAt *at = g_new0(PrintAt, ro->n_sockets_at + 1);
    for (size_t i = 0; i < ro->n_sockets_at && !ro->quiet; i++) {
        at[i] = (PrintAt){.out = out, .json = ro->json, .t = ro->sockets_at[i]};
        at[i].call = (NsWorldCall){print_sockets_at, &at[i]};
        ns_world_at(world, at[i].t, &at[i].call);
    }
    g_autofree PrintAt *tat = g_new0(PrintAt, ro->n_tables_at + 1);
    for (size_t i = 0; i < ro->n_tables_at && !ro->quiet; i++) {
        tat[i] = (PrintAt){.out = out, .json = ro->json, .student = ro->student,
                            .t = ro->tables_at[i]};
        tat[i].call = (NsWorldCall){print_tables_at, &tat[i]};
        ns_world_at(world, tat[i].t, &tat[i].call);
    }
    if (!ro->quiet && ro->json) {
        write_json_header(out, scn, wo.seed);
    } else if (!ro->quiet) {
        fprintf(out, "# netsim %s", NETSIM_VERSION);
        if (scn->title)
            fprintf(out, " \xc2\xb7 \"%s\"", scn->title);
        fprintf(out, " \xc2\xb7 seed %" PRIu64 "\n", wo.seed);
    }
    NsSimResult sr = ns_world_run(world);
    res->events = ns_world_events(world);
    res->end = ns_world_now(world);
    if (sr == NS_SIM_MEMORY) {
        g_set_error(error, NS_WORLD_ERROR, 0,
                    "netsim: %s: resource limit: %" PRIu64 " MiB of memory in use, over the "
                    "limit of %" PRIu64 " MiB (--max-memory), at simulated time %" PRId64
                    ".%09" PRId64 " s; %s",
                    scn->filename, ns_world_memory_seen(world) >> 20, wo.max_memory >> 20,
                    res->end / 1000000000, res->end % 1000000000,
                    out == stdout && !ro->quiet ? "the trace above stops there, no file written"
                                                : "no output written");
        return NS_EXIT_LIMIT;
    }
    if (sr == NS_SIM_HORIZON) {
        g_set_error(error, NS_WORLD_ERROR, 0,
                    "netsim: %s: resource limit: an event was due past the simulated-time "
                    "horizon of 2^62 ns (about 146 years) at simulated time %" PRId64 ".%09" PRId64
                    " s; %s",
                    scn->filename, res->end / 1000000000, res->end % 1000000000,
                    out == stdout && !ro->quiet ? "the trace above stops there, no file written"
                                                : "no output written");
        return NS_EXIT_LIMIT;
    }
    if (sr == NS_SIM_LIMIT) {
        /* A trace streamed to standard output already went out: say that
         * it stops here rather than that nothing was written. */
        g_set_error(error, NS_WORLD_ERROR, 0,
                    "netsim: %s: resource limit: %" PRIu64 " events run by simulated time "
                    "%" PRId64 ".%09" PRId64 " s (--max-events); %s",
                    scn->filename, wo.max_events, res->end / 1000000000, res->end % 1000000000,
                    out == stdout && !ro->quiet ? "the trace above stops there, no file written"
                                                : "no output written");
        return NS_EXIT_LIMIT;
    }
    if (!ro->quiet && ro->json) {
        write_json_summary(out, world, res->expects, ro->student, ro->n_tables_at > 0);
    } else if (!ro->quiet) {
        g_autofree char *summary = ns_world_summary(world);
        fputs(summary, out);
    }
    JsonNode *meta = page ? ns_page_meta(scn, wo.seed, ro->student, world) : NULL;
    if (ro->hooks && ro->hooks->finish &&
        !ro->hooks->finish(world, meta ? json_node_get_object(meta) : NULL, ro->hooks->data,
                           error)) {
        if (meta)
            json_node_unref(meta);
        return NS_EXIT_USAGE;
    }
    if (page)
        ns_page_sink_set_meta(page, meta);
    if (!ns_tracer_close(tracer, error))
        return NS_EXIT_USAGE;
    res->expect_failed = ns_world_expect_failed(world);
    res->expect_count = ns_world_expect_count(world);
    return res->expect_failed ? NS_EXIT_EXPECT : NS_EXIT_OK;
}

uint64_t ns_default_max_memory(void)
{
    /* Three quarters of the machine's memory: a run that needs more would
     * push the machine into swap or the OOM killer; it ends with exit 3. */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return 0;
    return (uint64_t)pages / 4 * 3 * (uint64_t)page;
}
