/* The JSON Lines sink: each event becomes one compact object whose members
 * come in a fixed order (time, host, kind, then the event's own fields), so
 * the same run gives the same bytes. Absent fields are left out rather than
 * written as null. docs/json-trace.md is the reference for the names. */
#include "netsim/trace-json.h"

#include <inttypes.h>

#include "netsim/json-lib.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/tcp.h"
#include "trace-private.h"

struct NsJsonSink {
    FILE *out;
    NsExplainer *explainer;
    GString *why;
    JsonGenerator *gen;
};

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
    if (!value)
        return;
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *name, int64_t value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static void add_endpoint(JsonBuilder *b, const char *name, uint32_t addr, uint16_t port,
                         bool with_port)
{
    g_autoptr(GString) s = g_string_new(NULL);
    trace_append_endpoint(s, addr, port, with_port);
    add_string(b, name, s->str);
}

static void add_end(JsonBuilder *b, const char *name, const NsTraceEvent *ev, bool remote,
                    bool with_port)
{
    g_autoptr(GString) s = g_string_new(NULL);
    trace_append_end(s, ev, remote, with_port);
    add_string(b, name, s->str);
}

static void add_proto(JsonBuilder *b, uint8_t proto)
{
    const char *name = trace_proto_name(proto);
    if (name) {
        add_string(b, "proto", name);
    } else {
        json_builder_set_member_name(b, "proto");
        json_builder_add_int_value(b, proto);
    }
}

/* "sock": {"id", "parent", "proto", "local", "remote"} for socket-centred
 * events. */
static void add_sock(JsonBuilder *b, const NsTraceEvent *ev)
{
    json_builder_set_member_name(b, "sock");
    json_builder_begin_object(b);
    if (ev->sock_id)
        add_int(b, "id", ev->sock_id);
    if (ev->parent_id)
        add_int(b, "parent", ev->parent_id);
    add_proto(b, ev->proto);
    add_end(b, "local", ev, false, true);
    if (trace_has_ends(ev, true))
        add_end(b, "remote", ev, true, true);
    json_builder_end_object(b);
}

/* "route": {"dst": "10.0.3.0/24" or "default", "via", "missing"} */
static void add_route(JsonBuilder *b, const NsTraceEvent *ev)
{
    json_builder_set_member_name(b, "route");
    json_builder_begin_object(b);
    char n[NS_IPV6_STRLEN + 4], v[NS_IPV6_STRLEN];
    trace_route_ends(ev, n, v);
    add_string(b, "dst", n);
    if (v[0])
        add_string(b, "via", v);
    if (ev->route_missing) {
        json_builder_set_member_name(b, "missing");
        json_builder_add_boolean_value(b, true);
    }
    json_builder_end_object(b);
}

static void add_packet(JsonBuilder *b, const NsTraceEvent *ev)
{
    /* A fragment other than the first holds no transport header. */
    bool l4 = !ev->frag || ev->frag_off == 0;
    bool ports = l4 && trace_has_ports(ev->proto);
    if (ev->sock_id) { /* the socket that sends or receives it */
        json_builder_set_member_name(b, "sock");
        json_builder_begin_object(b);
        add_int(b, "id", ev->sock_id);
        if (ev->parent_id)
            add_int(b, "parent", ev->parent_id);
        json_builder_end_object(b);
    }
    add_proto(b, ev->proto);
    add_end(b, "src", ev, false, ports);
    add_end(b, "dst", ev, true, ports);
    if (ev->ttl)
        add_int(b, "ttl", ev->ttl);
    if (ev->ip_len)
        add_int(b, "ip_len", ev->ip_len);
    if (ev->frag) { /* "frag": {"id", "off", "mf"} */
        json_builder_set_member_name(b, "frag");
        json_builder_begin_object(b);
        add_int(b, "id", ev->ip_id);
        add_int(b, "off", ev->frag_off);
        json_builder_set_member_name(b, "mf");
        json_builder_add_boolean_value(b, ev->frag_mf);
        json_builder_end_object(b);
    }
    if (ev->proto == NS_IPPROTO_ICMP && l4) {
        json_builder_set_member_name(b, "icmp");
        json_builder_begin_object(b);
        add_int(b, "type", ev->icmp_type);
        add_int(b, "code", ev->icmp_code);
        add_string(b, "name", trace_icmp_name(ev->icmp_type, ev->icmp_code));
        if (ev->icmp_type == NS_ICMP_ECHO_REQUEST || ev->icmp_type == NS_ICMP_ECHO_REPLY) {
            add_int(b, "id", ev->icmp_id);
            add_int(b, "seq", ev->icmp_seq);
        }
        json_builder_end_object(b);
    }
    if (ev->proto == NS_IPPROTO_ICMPV6 && l4) {
        json_builder_set_member_name(b, "icmp6");
        json_builder_begin_object(b);
        add_int(b, "type", ev->icmp_type);
        add_int(b, "code", ev->icmp_code);
        add_string(b, "name", trace_icmp6_name(ev->icmp_type, ev->icmp_code));
        if (ev->icmp_type == NS_ICMP6_ECHO_REQUEST || ev->icmp_type == NS_ICMP6_ECHO_REPLY) {
            add_int(b, "id", ev->icmp_id);
            add_int(b, "seq", ev->icmp_seq);
        }
        json_builder_end_object(b);
    }
    if (ev->proto == NS_IPPROTO_TCP && l4) {
        char f[NS_TCP_FLAGS_STRLEN];
        ns_tcp_flags_format(ev->tcp_flags, f);
        add_string(b, "flags", f);
        if (ev->has_seq) {
            add_int(b, "seq", ev->seq);
            if (ev->tcp_flags & NS_TCP_ACK)
                add_int(b, "ack", ev->ack);
            add_int(b, "win", ev->win);
            if (ev->options && ev->options[0])
                add_string(b, "options", ev->options);
        }
    }
    if (ev->proto)
        add_int(b, "len", ev->payload_len);
}

JsonNode *ns_json_event_node(const NsTraceEvent *ev, const char *explain)
{
    g_return_val_if_fail(ns_json_lib_loaded(), NULL);
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    add_int(b, "t_ns", ev->time);
    add_string(b, "host", ev->host);
    add_string(b, "kind", ns_trace_kind_name(ev->kind));
    const char *what = NULL, *txt = NULL, *cause = NULL;
    g_autoptr(GString) text = g_string_new(NULL);
    switch (ev->kind) {
    case NS_TRACE_SEND:
    case NS_TRACE_RECV:
    case NS_TRACE_FWD:
    case NS_TRACE_DROP:
        if (ev->proto || ev->src || ev->dst || ev->src6)
            add_packet(b, ev);
        cause = trace_packet_why_text(ev);
        if (!cause && ev->fault) {
            trace_append_fault(text, ev);
            cause = text->str;
        } else if (!cause && ev->kind == NS_TRACE_DROP && ev->drop == NS_DROP_FILTER) {
            trace_append_rule(text, ev);
            cause = text->str;
        }
        break;
    case NS_TRACE_SOCK:
        add_sock(b, ev);
        what = trace_sock_op_text(ev->sock_op);
        cause = trace_sock_why_text(ev);
        break;
    case NS_TRACE_TCP:
        add_sock(b, ev);
        what = trace_tcp_ev_text(ev->tcp_ev);
        cause = trace_cause_text(ev->cause);
        switch (ev->tcp_ev) {
        case NS_TCP_EV_STATE:
            add_string(b, "from", ns_tcp_state_name(ev->tcp_from));
            add_string(b, "to", ns_tcp_state_name(ev->tcp_to));
            break;
        case NS_TCP_EV_CWND:
            add_int(b, "cwnd", ev->cwnd);
            add_int(b, "ssthresh", ev->ssthresh);
            add_int(b, "mss", ev->mss);
            break;
        case NS_TCP_EV_CONGESTION:
            add_string(b, "from", ns_tcp_ca_name(ev->ca_from));
            add_string(b, "to", ns_tcp_ca_name(ev->ca_to));
            break;
        case NS_TCP_EV_NAGLE:
            add_int(b, "held", ev->payload_len);
            add_int(b, "unacked", ev->in_flight);
            break;
        }
        break;
    case NS_TRACE_ICMP:
        if (ev->proto)
            add_sock(b, ev);
        what = trace_icmp_ev_text(ev->icmp_ev);
        txt = trace_icmp_why_text(ev->icmp_ev);
        break;
    case NS_TRACE_TIMER:
        if (ev->proto)
            add_sock(b, ev);
        what = trace_timer_op_text(ev->timer_op);
        add_string(b, "timer", trace_timer_text(ev->timer));
        if (ev->timer_op == NS_TIMER_ARMED)
            add_int(b, "duration_ns", ev->duration);
        break;
    case NS_TRACE_ARP:
        what = trace_arp_ev_text(ev->arp_ev);
        trace_append_arp(text, ev);
        txt = text->str;
        break;
    case NS_TRACE_NDP:
        what = trace_ndp_ev_text(ev->ndp_ev);
        trace_append_ndp(text, ev);
        txt = text->str;
        break;
    case NS_TRACE_LINK:
        what = trace_link_ev_text(ev->link_ev);
        txt = ev->text;
        if (ev->link_ev == NS_LINK_EV_LEARNED || ev->link_ev == NS_LINK_EV_FLOODED) {
            trace_append_switch(text, ev);
            txt = text->str;
        }
        break;
    case NS_TRACE_HOST:
        what = trace_host_ev_text(ev->host_ev);
        if (ev->host_ev == NS_HOST_EV_CRASH)
            add_int(b, "sockets", ev->count);
        if (ev->host_ev == NS_HOST_EV_FILTER_ADDED || ev->host_ev == NS_HOST_EV_FILTER_REMOVED) {
            trace_append_rule(text, ev);
            txt = text->str;
        }
        if (ev->host_ev == NS_HOST_EV_ROUTE_ADDED || ev->host_ev == NS_HOST_EV_ROUTE_REMOVED) {
            add_route(b, ev);
            trace_append_route(text, ev);
            txt = text->str;
        }
        break;
    case NS_TRACE_EXPECT:
        txt = ev->text;
        if (ev->loc.file) {
            add_string(b, "file", ev->loc.file);
            add_int(b, "line", ev->loc.line);
            g_string_printf(text, "%s:%" PRIu32, ev->loc.file, ev->loc.line);
            cause = text->str;
        }
        break;
    case NS_TRACE_CC:
        add_sock(b, ev);
        add_int(b, "cwnd", ev->cwnd);
        add_int(b, "ssthresh", ev->ssthresh);
        add_int(b, "mss", ev->mss);
        add_int(b, "in_flight", ev->in_flight);
        add_int(b, "srtt_ns", ev->srtt);
        add_int(b, "rto_ns", ev->rto);
        break;
    case NS_TRACE_NAT: {
        bool ports = trace_has_ports(ev->proto);
        add_proto(b, ev->proto);
        add_endpoint(b, "src", ev->src, ev->sport, ports);
        add_endpoint(b, "dst", ev->dst, ev->dport, ports);
        add_endpoint(b, "nat_src", ev->nat_src, ev->nat_sport, ports);
        add_endpoint(b, "nat_dst", ev->nat_dst, ev->nat_dport, ports);
        cause = trace_nat_ev_text(ev->nat_ev);
        break;
    }
    case NS_TRACE_FRAME:
        add_string(b, "dir", ev->dir == NS_TRACE_DIR_OUT ? "out"
                             : ev->dir == NS_TRACE_DIR_IN ? "in"
                                                          : NULL);
        add_int(b, "ifindex", ev->ifindex);
        add_int(b, "frame_len", (int64_t)ev->bytes_len);
        break;
    case NS_TRACE_APP:
        what = ev->what;
        txt = ev->text;
        break;
    case NS_TRACE_KIND_COUNT:
        break;
    }
    add_string(b, "what", what);
    add_string(b, "text", txt);
    add_string(b, "summary", ev->summary);
    add_string(b, "cause", cause);
    add_string(b, "where", ev->where);
    if (ev->err) {
        char buf[24];
        add_string(b, "errno", trace_errno_text(ev->err, buf));
    }
    if (ev->kind == NS_TRACE_EXPECT) {
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, ev->verdict == NS_VERDICT_PASS);
    }
    add_string(b, "explain", explain);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

static void write_node(JsonGenerator *gen, FILE *out, JsonNode *node)
{
    json_generator_set_root(gen, node);
    g_autoptr(GString) s = g_string_sized_new(256);
    ns_json_lib_generate(gen, s);
    g_string_append_c(s, '\n');
    /* Strings from packets (an HTTP target, a DNS name) may hold any bytes;
     * JSON is UTF-8: invalid sequences become U+FFFD. */
    if (!g_utf8_validate(s->str, (gssize)s->len, NULL)) {
        g_autofree char *valid = g_utf8_make_valid(s->str, (gssize)s->len);
        fputs(valid, out);
        return;
    }
    fwrite(s->str, 1, s->len, out);
}

void ns_json_write_line(FILE *out, JsonNode *node)
{
    g_return_if_fail(ns_json_lib_loaded());
    JsonGenerator *gen = json_generator_new();
    write_node(gen, out, node);
    g_object_unref(gen);
}

static void json_write(void *self, const NsTraceEvent *ev)
{
    NsJsonSink *sink = self;
    const char *why = NULL;
    if (sink->explainer) {
        g_string_truncate(sink->why, 0);
        if (ns_explainer_explain(sink->explainer, ev, sink->why))
            why = sink->why->str;
    }
    JsonNode *node = ns_json_event_node(ev, why);
    write_node(sink->gen, sink->out, node);
    json_node_unref(node);
}

static void json_free(void *self)
{
    NsJsonSink *sink = self;
    ns_explainer_free(sink->explainer);
    g_string_free(sink->why, TRUE);
    g_object_unref(sink->gen);
    g_free(sink);
}

static const NsTraceSinkOps json_ops = {"json", json_write, NULL, json_free};

NsJsonSink *ns_json_sink_new(FILE *out, NsExplainer *explainer, GError **error)
{
    if (!ns_json_lib_load(error)) {
        ns_explainer_free(explainer);
        return NULL;
    }
    NsJsonSink *sink = g_new0(NsJsonSink, 1);
    sink->out = out;
    sink->explainer = explainer;
    sink->why = g_string_new(NULL);
    sink->gen = json_generator_new();
    return sink;
}

void ns_json_sink_attach(NsJsonSink *sink, NsTracer *tracer)
{
    ns_tracer_add_header_sink(tracer, &json_ops, sink, NS_JSON_SINK_MASK);
}
