/* The text trace: fixed columns (time, host, kind), then what happened in
 * words, addresses as ADDR:PORT, sizes with units, causes in parentheses. */
#define _DEFAULT_SOURCE 1 /* fwrite_unlocked */
#include "netsim/trace-text.h"

#include <inttypes.h>

#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/tcp.h"
#include "trace-private.h"

struct NsTextSink {
    FILE *out;
    int host_width;
    GString *line;
    /* The time and host columns of the last line: the lines of one
     * moment on one host (a segment's send, its timer, the state it
     * changes) share them. */
    NsTime last_time;
    const char *last_host;
    bool have_prefix;
    GString *prefix;
};

void ns_trace_format_time(NsTime t, char out[32])
{
    /* As "%s%4" PRIu64 ".%09" PRIu64 with the sign, without printf. */
    uint64_t u = t < 0 ? (uint64_t)(-(t + 1)) + 1 : (uint64_t)t;
    size_t k = 0;
    if (t < 0)
        out[k++] = '-';
    k += trace_format_u64(out + k, u / 1000000000u, 4, ' ');
    out[k++] = '.';
    k += trace_format_u64(out + k, u % 1000000000u, 9, '0');
    out[k] = '\0';
}

/* An IPv4 fragment: "10.0.1.10 > 10.0.2.20 ICMP echo request id 1 seq 1
 * frag ipid 4660 off 0 1480B MF". The first one names what its transport
 * header says (ports, the ICMP message); the others hold only data. */
static void append_fragment(GString *s, const NsTraceEvent *ev)
{
    bool first = ev->frag_off == 0;
    bool ports = first && (ev->proto == NS_IPPROTO_UDP || ev->proto == NS_IPPROTO_TCP);
    trace_append_end(s, ev, false, ports);
    trace_put_lit(s, " > ");
    trace_append_end(s, ev, true, ports);
    switch (ev->proto) {
    case NS_IPPROTO_UDP:
        trace_put_lit(s, " UDP");
        break;
    case NS_IPPROTO_TCP:
        trace_put_lit(s, " TCP");
        if (first)
            trace_append_tcp(s, ev);
        break;
    case NS_IPPROTO_ICMP:
        trace_put_lit(s, " ICMP");
        if (first) {
            g_string_append_printf(s, " %s", trace_icmp_name(ev->icmp_type, ev->icmp_code));
            if (ev->icmp_type == NS_ICMP_ECHO_REQUEST || ev->icmp_type == NS_ICMP_ECHO_REPLY)
                g_string_append_printf(s, " id %u seq %u", ev->icmp_id, ev->icmp_seq);
        }
        break;
    case NS_IPPROTO_ICMPV6:
        trace_put_lit(s, " ICMPv6");
        if (first) {
            g_string_append_printf(s, " %s", trace_icmp6_name(ev->icmp_type, ev->icmp_code));
            if (ev->icmp_type == NS_ICMP6_ECHO_REQUEST || ev->icmp_type == NS_ICMP6_ECHO_REPLY)
                g_string_append_printf(s, " id %u seq %u", ev->icmp_id, ev->icmp_seq);
        }
        break;
    default:
        g_string_append_printf(s, " proto %u", ev->proto);
        break;
    }
    g_string_append_printf(s, " frag ipid %" PRIu32 " off %u %" PRIu32 "B%s", ev->ip_id, ev->frag_off,
                           ev->payload_len, ev->frag_mf ? " MF" : "");
}

/* "10.0.0.1:49152 > 10.0.0.53:53 UDP 33B" and its ICMP/TCP cousins. */
static void append_packet(GString *s, const NsTraceEvent *ev)
{
    if (ev->frag) {
        append_fragment(s, ev);
        return;
    }
    bool ports = ev->proto == NS_IPPROTO_UDP || ev->proto == NS_IPPROTO_TCP;
    trace_append_end(s, ev, false, ports);
    trace_put_lit(s, " > ");
    trace_append_end(s, ev, true, ports);
    switch (ev->proto) {
    case NS_IPPROTO_UDP:
        trace_put_lit(s, " UDP ");
        trace_append_u64(s, ev->payload_len);
        g_string_append_c(s, 'B');
        break;
    case NS_IPPROTO_ICMP:
        g_string_append_printf(s, " ICMP %s", trace_icmp_name(ev->icmp_type, ev->icmp_code));
        if (ev->icmp_type == NS_ICMP_ECHO_REQUEST || ev->icmp_type == NS_ICMP_ECHO_REPLY)
            g_string_append_printf(s, " id %u seq %u %" PRIu32 "B", ev->icmp_id, ev->icmp_seq,
                                   ev->payload_len);
        break;
    case NS_IPPROTO_ICMPV6:
        g_string_append_printf(s, " ICMPv6 %s", trace_icmp6_name(ev->icmp_type, ev->icmp_code));
        if (ev->icmp_type == NS_ICMP6_ECHO_REQUEST || ev->icmp_type == NS_ICMP6_ECHO_REPLY)
            g_string_append_printf(s, " id %u seq %u %" PRIu32 "B", ev->icmp_id, ev->icmp_seq,
                                   ev->payload_len);
        break;
    case NS_IPPROTO_TCP:
        trace_put_lit(s, " TCP");
        trace_append_tcp(s, ev);
        trace_put_lit(s, " len ");
        trace_append_u64(s, ev->payload_len);
        break;
    case 0:
        break;
    default:
        g_string_append_printf(s, " proto %u", ev->proto);
        break;
    }
}

/* "10.0.0.1:49152-10.0.0.2:80": the socket's local end, then its peer. */
static void append_tuple(GString *s, const NsTraceEvent *ev)
{
    trace_append_end(s, ev, false, true);
    if (trace_has_ends(ev, true)) {
        g_string_append_c(s, '-');
        trace_append_end(s, ev, true, true);
    }
}

/* "#3 tcp 10.0.0.1:49152-10.0.0.2:80": the socket's id, protocol and ends. */
static void append_sock(GString *s, const NsTraceEvent *ev)
{
    const char *pn = trace_proto_name(ev->proto);
    if (ev->sock_id) {
        g_string_append_c(s, '#');
        trace_append_u64(s, ev->sock_id);
        g_string_append_c(s, ' ');
    }
    trace_put_str(s, pn ? pn : "ip");
    g_string_append_c(s, ' ');
    append_tuple(s, ev);
}

static void append_errno(GString *s, int err)
{
    char buf[24];
    trace_put_str(s, trace_errno_text(err, buf));
}

static void append_cause(GString *s, const char *cause)
{
    if (cause) {
        trace_put_lit(s, " (");
        trace_put_str(s, cause);
        g_string_append_c(s, ')');
    }
}

static void append_tcp_event(GString *s, const NsTraceEvent *ev)
{
    append_tuple(s, ev);
    switch (ev->tcp_ev) {
    case NS_TCP_EV_STATE:
        if (ev->cause == NS_CAUSE_RCV_SYN_LISTENER) {
            /* The connection is a new socket, not the listener changing. */
            g_string_append_c(s, ' ');
            trace_put_str(s, ns_tcp_state_name(ev->tcp_to));
            trace_put_lit(s, " (rcv SYN: new socket #");
            trace_append_u64(s, ev->sock_id);
            trace_put_lit(s, " from listener #");
            trace_append_u64(s, ev->parent_id);
            g_string_append_c(s, ')');
            return;
        }
        g_string_append_c(s, ' ');
        trace_put_str(s, ns_tcp_state_name(ev->tcp_from));
        trace_put_lit(s, " -> ");
        trace_put_str(s, ns_tcp_state_name(ev->tcp_to));
        break;
    case NS_TCP_EV_CWND:
        g_string_append_printf(s, " cwnd %" PRIu32 " ssthresh %" PRIu32 " (%" PRIu32 "/%" PRIu32
                                  " segments)",
                               ev->cwnd, ev->ssthresh, ev->mss ? ev->cwnd / ev->mss : 0,
                               ev->mss ? ev->ssthresh / ev->mss : 0);
        break;
    case NS_TCP_EV_CONGESTION:
        g_string_append_printf(s, " congestion %s -> %s", ns_tcp_ca_name(ev->ca_from),
                               ns_tcp_ca_name(ev->ca_to));
        break;
    case NS_TCP_EV_NAGLE:
        g_string_append_printf(s, " Nagle holds %" PRIu32 " byte%s until an ACK (%" PRIu32
                                  " byte%s unacknowledged)",
                               ev->payload_len, ev->payload_len == 1 ? "" : "s", ev->in_flight,
                               ev->in_flight == 1 ? "" : "s");
        break;
    }
    append_cause(s, trace_cause_text(ev->cause));
}

static void format_body(GString *s, const NsTraceEvent *ev);

/* "   0.001000000 cli1 ": the time and host columns. */
static void format_prefix(GString *s, const NsTraceEvent *ev, int host_width)
{
    char t[32];
    ns_trace_format_time(ev->time, t);
    trace_put_str(s, t);
    g_string_append_c(s, ' ');
    trace_append_padded(s, ev->host ? ev->host : "-", host_width);
    g_string_append_c(s, ' ');
}

/* "send   ": the kind column (the longest name has 6 letters). */
static void append_kind(GString *s, NsTraceKind kind)
{
    static const char blanks[] = "      ";
    const char *name = ns_trace_kind_name(kind);
    size_t n = strlen(name);
    trace_put(s, name, n);
    trace_put(s, blanks, n < 6 ? 7 - n : 1);
}

void ns_text_format_event(GString *s, const NsTraceEvent *ev, int host_width)
{
    format_prefix(s, ev, host_width);
    append_kind(s, ev->kind);
    format_body(s, ev);
}

static void format_body(GString *s, const NsTraceEvent *ev)
{
    switch (ev->kind) {
    case NS_TRACE_SEND:
    case NS_TRACE_RECV:
    case NS_TRACE_FWD:
    case NS_TRACE_DROP: {
        if (ev->proto || ev->src || ev->dst || ev->src6)
            append_packet(s, ev);
        /* A datagram sent with a TTL other than the default (ping ttl N,
         * traceroute's probes) shows it too. */
        if (ev->kind == NS_TRACE_FWD ||
            ((ev->kind == NS_TRACE_RECV || ev->kind == NS_TRACE_SEND) && ev->ttl &&
             ev->ttl != 64 && ev->ttl != 255))
            g_string_append_printf(s, " ttl %u", ev->ttl);
        if (ev->summary) {
            if (ev->proto || ev->src)
                trace_put_lit(s, "  ");
            trace_put_str(s, ev->summary);
        }
        const char *why = trace_packet_why_text(ev);
        bool rule = ev->kind == NS_TRACE_DROP && ev->drop == NS_DROP_FILTER;
        if (why || ev->fault || ev->where || rule) {
            trace_put_lit(s, " (");
            if (why)
                trace_put_str(s, why);
            else if (ev->fault)
                trace_append_fault(s, ev);
            else if (rule)
                trace_append_rule(s, ev);
            if (ev->where)
                g_string_append_printf(s, "%son %s", why || ev->fault || rule ? " " : "",
                                       ev->where);
            g_string_append_c(s, ')');
        }
        break;
    }
    case NS_TRACE_SOCK:
        append_sock(s, ev);
        if (trace_sock_op_text(ev->sock_op)) {
            g_string_append_c(s, ' ');
            trace_put_str(s, trace_sock_op_text(ev->sock_op));
        }
        append_cause(s, trace_sock_why_text(ev));
        break;
    case NS_TRACE_TCP:
        append_tcp_event(s, ev);
        break;
    case NS_TRACE_ICMP:
        if (ev->proto) {
            append_sock(s, ev);
            trace_put_lit(s, ": ");
        }
        if (ev->err) {
            append_errno(s, ev->err);
            g_string_append_c(s, ' ');
        }
        g_string_append_printf(s, "%s %s", trace_icmp_ev_text(ev->icmp_ev),
                               trace_icmp_why_text(ev->icmp_ev));
        break;
    case NS_TRACE_TIMER:
        if (ev->proto) {
            append_tuple(s, ev);
            g_string_append_c(s, ' ');
        }
        trace_put_str(s, trace_timer_op_text(ev->timer_op));
        g_string_append_c(s, ' ');
        trace_put_str(s, trace_timer_text(ev->timer));
        if (ev->timer_op == NS_TIMER_ARMED) {
            g_string_append_c(s, ' ');
            trace_append_duration(s, ev->duration);
        }
        break;
    case NS_TRACE_ARP:
        g_string_append_printf(s, "%s ", trace_arp_ev_text(ev->arp_ev));
        trace_append_arp(s, ev);
        break;
    case NS_TRACE_NDP:
        if (ev->ndp_ev != NS_NDP_EV_STATE)
            g_string_append_printf(s, "%s ", trace_ndp_ev_text(ev->ndp_ev));
        trace_append_ndp(s, ev);
        break;
    case NS_TRACE_LINK:
        if (ev->where)
            g_string_append_printf(s, "%s ", ev->where);
        trace_put_str(s, trace_link_ev_text(ev->link_ev));
        if (ev->link_ev == NS_LINK_EV_DOWN)
            trace_put_lit(s, " (frames on it are lost)");
        if (ev->link_ev == NS_LINK_EV_LEARNED || ev->link_ev == NS_LINK_EV_FLOODED) {
            g_string_append_c(s, ' ');
            trace_append_switch(s, ev);
        } else if (ev->text) {
            g_string_append_printf(s, " %s", ev->text);
        }
        break;
    case NS_TRACE_HOST:
        trace_put_str(s, trace_host_ev_text(ev->host_ev));
        switch (ev->host_ev) {
        case NS_HOST_EV_CRASH:
            g_string_append_printf(s, " %" PRIu32 " socket%s vanished without a packet; ARP cache lost",
                                   ev->count, ev->count == 1 ? "" : "s");
            break;
        case NS_HOST_EV_RESTART:
            trace_put_lit(s, " services start again");
            break;
        case NS_HOST_EV_FILTER_ADDED:
        case NS_HOST_EV_FILTER_REMOVED:
            trace_put_lit(s, " (");
            trace_append_rule(s, ev);
            g_string_append_c(s, ')');
            break;
        case NS_HOST_EV_ROUTE_ADDED:
        case NS_HOST_EV_ROUTE_REMOVED:
            g_string_append_c(s, ' ');
            trace_append_route(s, ev);
            break;
        }
        break;
    case NS_TRACE_EXPECT:
        trace_append_padded(s, trace_verdict_text(ev->verdict), 4);
        if (ev->text) {
            g_string_append_c(s, ' ');
            trace_put_str(s, ev->text);
        }
        if (ev->loc.file) {
            trace_put_lit(s, " (");
            trace_put_str(s, ev->loc.file);
            g_string_append_c(s, ':');
            trace_append_u64(s, ev->loc.line);
            g_string_append_c(s, ')');
        }
        break;
    case NS_TRACE_CC:
        append_tuple(s, ev);
        g_string_append_printf(s, " cwnd %" PRIu32 " ssthresh %" PRIu32 " in flight %" PRIu32
                                  " srtt ",
                               ev->cwnd, ev->ssthresh, ev->in_flight);
        trace_append_duration(s, ev->srtt);
        trace_put_lit(s, " rto ");
        trace_append_duration(s, ev->rto);
        break;
    case NS_TRACE_NAT: {
        /* "tcp 192.168.1.2:49152 > 198.51.100.80:80 -> 203.0.113.1:49152 >
         * 198.51.100.80:80": one datagram's tuple before and after. */
        bool ports = trace_has_ports(ev->proto);
        const char *pn = trace_proto_name(ev->proto);
        g_string_append_printf(s, "%s ", pn ? pn : "ip");
        trace_append_endpoint(s, ev->src, ev->sport, ports);
        trace_put_lit(s, " > ");
        trace_append_endpoint(s, ev->dst, ev->dport, ports);
        trace_put_lit(s, " -> ");
        trace_append_endpoint(s, ev->nat_src, ev->nat_sport, ports);
        trace_put_lit(s, " > ");
        trace_append_endpoint(s, ev->nat_dst, ev->nat_dport, ports);
        if (ev->proto == NS_IPPROTO_ICMP && ev->sport)
            g_string_append_printf(s, " (echo id %u -> %u)", ev->sport, ev->nat_sport);
        if (trace_nat_ev_text(ev->nat_ev))
            g_string_append_printf(s, " (%s)", trace_nat_ev_text(ev->nat_ev));
        break;
    }
    case NS_TRACE_APP:
    case NS_TRACE_FRAME:
    case NS_TRACE_KIND_COUNT:
        if (ev->kind == NS_TRACE_APP && ev->where)
            g_string_append_printf(s, "%s: ", ev->where); /* a named program */
        if (ev->what)
            trace_put_str(s, ev->what);
        if (ev->text) {
            if (ev->what)
                g_string_append_c(s, ' ');
            trace_put_str(s, ev->text);
        }
        if (ev->err) {
            g_string_append_c(s, ' ');
            append_errno(s, ev->err);
        }
        break;
    }
    /* Keep lines free of trailing blanks, whatever the kind. */
    while (s->len && s->str[s->len - 1] == ' ')
        g_string_truncate(s, s->len - 1);
}

static void text_write(void *self, const NsTraceEvent *ev)
{
    NsTextSink *sink = self;
    if (ev->time != sink->last_time || ev->host != sink->last_host || !sink->have_prefix) {
        g_string_truncate(sink->prefix, 0);
        format_prefix(sink->prefix, ev, sink->host_width);
        sink->last_time = ev->time;
        sink->last_host = ev->host;
        sink->have_prefix = true;
    }
    g_string_truncate(sink->line, 0);
    trace_put(sink->line, sink->prefix->str, sink->prefix->len);
    append_kind(sink->line, ev->kind);
    format_body(sink->line, ev);
    g_string_append_c(sink->line, '\n');
    /* One thread writes the trace: stdio's lock per line is not needed. */
    fwrite_unlocked(sink->line->str, 1, sink->line->len, sink->out);
}

static void text_free(void *self)
{
    NsTextSink *sink = self;
    g_string_free(sink->line, TRUE);
    g_string_free(sink->prefix, TRUE);
    g_free(sink);
}

static const NsTraceSinkOps text_ops = {"text", text_write, NULL, text_free};

NsTextSink *ns_text_sink_new(FILE *out, int host_width)
{
    NsTextSink *sink = g_new0(NsTextSink, 1);
    sink->out = out;
    sink->host_width = host_width;
    sink->line = g_string_sized_new(160);
    sink->prefix = g_string_sized_new(64);
    return sink;
}

void ns_text_sink_attach(NsTextSink *sink, NsTracer *tracer)
{
    ns_tracer_add_header_sink(tracer, &text_ops, sink, NS_TEXT_SINK_MASK);
}
