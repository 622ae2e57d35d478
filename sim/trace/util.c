/* Helpers shared by the trace sinks: the small renderings (endpoints,
 * protocol and ICMP names) that sinks agree on. */
#include "trace-private.h"

#include <inttypes.h>

#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"

void trace_append_endpoint(GString *s, uint32_t addr, uint16_t port, bool with_port)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(addr, a);
    if (with_port)
        g_string_append_printf(s, "%s:%u", a, port);
    else
        g_string_append(s, a);
}

bool trace_has_ports(uint8_t proto)
{
    return proto == NS_IPPROTO_UDP || proto == NS_IPPROTO_TCP;
}

const char *trace_proto_name(uint8_t proto)
{
    switch (proto) {
    case NS_IPPROTO_UDP:
        return "udp";
    case NS_IPPROTO_TCP:
        return "tcp";
    case NS_IPPROTO_ICMP:
        return "icmp";
    default:
        return NULL;
    }
}

const char *trace_icmp_name(uint8_t type, uint8_t code)
{
    switch (type) {
    case NS_ICMP_ECHO_REQUEST:
        return "echo request";
    case NS_ICMP_ECHO_REPLY:
        return "echo reply";
    case NS_ICMP_TIME_EXCEEDED:
        return "time exceeded";
    case NS_ICMP_DEST_UNREACH:
        switch (code) {
        case NS_ICMP_UNREACH_NET:
            return "net unreachable";
        case NS_ICMP_UNREACH_HOST:
            return "host unreachable";
        case NS_ICMP_UNREACH_PROTOCOL:
            return "protocol unreachable";
        case NS_ICMP_UNREACH_PORT:
            return "port unreachable";
        case NS_ICMP_UNREACH_FRAG_NEEDED:
            return "fragmentation needed";
        default:
            return "destination unreachable";
        }
    default:
        return "message";
    }
}

const char *trace_errno_text(int err, char buf[24])
{
    const char *n = ns_errno_name(err);
    if (n)
        return n;
    g_snprintf(buf, 24, "errno %d", err);
    return buf;
}

void trace_append_tcp(GString *s, const NsTraceEvent *ev)
{
    char f[NS_TCP_FLAGS_STRLEN];
    ns_tcp_flags_format(ev->tcp_flags, f);
    g_string_append_printf(s, " [%s]", f);
    if (!ev->has_seq)
        return;
    g_string_append_printf(s, " seq %" PRIu32, ev->seq);
    if (ev->tcp_flags & NS_TCP_ACK)
        g_string_append_printf(s, " ack %" PRIu32, ev->ack);
    g_string_append_printf(s, " win %" PRIu32, ev->win);
    if (ev->options && ev->options[0])
        g_string_append_printf(s, " <%s>", ev->options);
}
