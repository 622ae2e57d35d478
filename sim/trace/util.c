/* Helpers shared by the trace sinks: the small renderings (endpoints,
 * protocol and ICMP names) that sinks agree on. */
#include "trace-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/wire/eth.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/tcp.h"

/* Two digits at a time from a table: a trace line has a dozen numbers, and
 * a long run millions of lines. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* The number of decimal digits of v. */
static inline unsigned digits_u32(uint32_t v)
{
    unsigned n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Writes the n digits of v (n = digits_u32(v)) ending at `end`, two at a
 * time: 32-bit division by 100 is a multiplication. */
static inline void put_digits_u32(char *end, uint32_t v)
{
    while (v >= 100) {
        unsigned r = v % 100;
        v /= 100;
        end -= 2;
        memcpy(end, digit_pairs + 2 * r, 2);
    }
    if (v >= 10)
        memcpy(end - 2, digit_pairs + 2 * v, 2);
    else
        end[-1] = (char)('0' + v);
}

size_t trace_format_u64(char *out, uint64_t v, int width, char pad)
{
    char d[20];
    unsigned len;
    if (v > UINT32_MAX) {
        int n = 20;
        while (v > UINT32_MAX) {
            unsigned r = (unsigned)(v % 100);
            v /= 100;
            n -= 2;
            memcpy(d + n, digit_pairs + 2 * r, 2);
        }
        unsigned low = digits_u32((uint32_t)v);
        put_digits_u32(d + n, (uint32_t)v);
        len = 20u - (unsigned)n + low;
        size_t k = 0;
        for (int i = (int)len; i < width; i++)
            out[k++] = pad;
        memcpy(out + k, d + 20 - len, len);
        return k + len;
    }
    /* Most numbers (ports, sequence numbers, windows, lengths) fit in 32
     * bits: written in place. */
    len = digits_u32((uint32_t)v);
    size_t k = 0;
    for (int i = (int)len; i < width; i++)
        out[k++] = pad;
    put_digits_u32(out + k + len, (uint32_t)v);
    return k + len;
}

void trace_append_u64(GString *s, uint64_t v)
{
    char *p = trace_room(s, 20);
    trace_grow(s, trace_format_u64(p, v, 0, ' '));
}

void trace_append_padded(GString *s, const char *str, int width)
{
    static const char blanks[] = "                                ";
    size_t n = strlen(str);
    trace_put(s, str, n);
    while ((int)n < width) {
        size_t m = (size_t)width - n < sizeof blanks - 1 ? (size_t)width - n : sizeof blanks - 1;
        trace_put(s, blanks, m);
        n += m;
    }
}

/* "10.0.0.1" (or with ":49152") at `a`; returns its length (at most 21). */
static size_t format_endpoint(char *a, uint32_t addr, uint16_t port, bool with_port)
{
    size_t k = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned v = (addr >> shift) & 0xffu;
        if (v >= 100) {
            a[k] = (char)('0' + v / 100);
            memcpy(a + k + 1, digit_pairs + 2 * (v % 100), 2);
            k += 3;
        } else if (v >= 10) {
            memcpy(a + k, digit_pairs + 2 * v, 2);
            k += 2;
        } else {
            a[k++] = (char)('0' + v);
        }
        a[k++] = '.';
    }
    k--; /* the last dot */
    if (with_port) {
        a[k++] = ':';
        unsigned n = digits_u32(port);
        put_digits_u32(a + k + n, port);
        k += n;
    }
    return k;
}

void trace_append_endpoint(GString *s, uint32_t addr, uint16_t port, bool with_port)
{
    char *p = trace_room(s, 24);
    trace_grow(s, format_endpoint(p, addr, port, with_port));
}

void trace_append_end(GString *s, const NsTraceEvent *ev, bool remote, bool with_port)
{
    const uint8_t *a6 = remote ? ev->dst6 : ev->src6;
    uint16_t port = remote ? ev->dport : ev->sport;
    if (!a6) {
        trace_append_endpoint(s, remote ? ev->dst : ev->src, port, with_port);
        return;
    }
    char a[NS_IPV6_STRLEN];
    ns_ipv6_format((const NsIpv6Addr *)(const void *)a6, a);
    if (with_port)
        g_string_append_printf(s, "[%s]:%u", a, port); /* RFC 5952 section 6 */
    else
        trace_put_str(s, a);
}

bool trace_has_ends(const NsTraceEvent *ev, bool remote)
{
    return remote ? (ev->dst6 || ev->dst || ev->dport) : (ev->src6 || ev->src || ev->sport);
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
    case NS_IPPROTO_ICMPV6:
        return "icmp6";
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
        return code == NS_ICMP_EXC_FRAGTIME ? "reassembly time exceeded" : "time exceeded";
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
        case NS_ICMP_UNREACH_ADMIN_PROHIBITED:
            return "administratively prohibited";
        default:
            return "destination unreachable";
        }
    default:
        return "message";
    }
}

const char *trace_icmp6_name(uint8_t type, uint8_t code)
{
    switch (type) {
    case NS_ICMP6_ECHO_REQUEST:
        return "echo request";
    case NS_ICMP6_ECHO_REPLY:
        return "echo reply";
    case NS_ICMP6_TIME_EXCEEDED:
        /* RFC 4443 3.3: code 1 is "fragment reassembly time exceeded" */
        return code == 1 ? "reassembly time exceeded" : "time exceeded";
    case NS_ICMP6_PACKET_TOO_BIG:
        return "packet too big";
    case NS_ICMP6_PARAM_PROBLEM:
        return "parameter problem";
    case NS_ICMP6_NEIGHBOR_SOLICIT:
        return "neighbor solicitation";
    case NS_ICMP6_NEIGHBOR_ADVERT:
        return "neighbor advertisement";
    case NS_ICMP6_ROUTER_SOLICIT:
        return "router solicitation";
    case NS_ICMP6_ROUTER_ADVERT:
        return "router advertisement";
    case NS_ICMP6_DEST_UNREACH:
        switch (code) {
        case NS_ICMP6_UNREACH_NO_ROUTE:
            return "no route";
        case NS_ICMP6_UNREACH_ADMIN:
            return "administratively prohibited";
        case NS_ICMP6_UNREACH_BEYOND_SCOPE:
            return "beyond scope";
        case NS_ICMP6_UNREACH_ADDRESS:
            return "address unreachable";
        case NS_ICMP6_UNREACH_PORT:
            return "port unreachable";
        default:
            return "destination unreachable";
        }
    default:
        return "message";
    }
}

const char *trace_ndp_ev_text(NsNdpEvent ev)
{
    switch (ev) {
    case NS_NDP_EV_SOLICIT:
        return "solicit";
    case NS_NDP_EV_ADVERT:
        return "advert";
    case NS_NDP_EV_RESOLVED:
        return "resolved";
    case NS_NDP_EV_STATE:
        return "state";
    case NS_NDP_EV_FAILED:
        return "failed";
    }
    return NULL;
}

void trace_append_ndp(GString *s, const NsTraceEvent *ev)
{
    static const uint8_t zero[16];
    char a[NS_IPV6_STRLEN], b[NS_IPV6_STRLEN], m[NS_MAC_STRLEN];
    ns_ipv6_format((const NsIpv6Addr *)(const void *)(ev->target6 ? ev->target6 : zero), a);
    ns_ipv6_format((const NsIpv6Addr *)(const void *)(ev->dst6 ? ev->dst6 : zero), b);
    ns_mac_format(ev->mac, m);
    switch (ev->ndp_ev) {
    case NS_NDP_EV_SOLICIT:
        g_string_append_printf(s, "who-has %s (to %s)%s", a, b,
                               ev->unicast ? " (unicast: confirming the entry)" : "");
        break;
    case NS_NDP_EV_ADVERT:
        g_string_append_printf(s, "%s is-at %s (to %s)", a, m, b);
        break;
    case NS_NDP_EV_RESOLVED:
        g_string_append_printf(s, "%s is-at %s (%" PRIu32 " datagram%s released)", a, m,
                               ev->count, ev->count == 1 ? "" : "s");
        break;
    case NS_NDP_EV_STATE:
        g_string_append_printf(s, "%s %s -> %s", a, ns_neigh_state_name(ev->neigh_from),
                               ns_neigh_state_name(ev->neigh_to));
        break;
    case NS_NDP_EV_FAILED:
        g_string_append_printf(s,
                               "no advertisement for %s after %" PRIu32
                               " solicitations: address unreachable",
                               a, ev->count);
        break;
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
    trace_put_lit(s, " [");
    trace_put_str(s, f);
    g_string_append_c(s, ']');
    if (!ev->has_seq)
        return;
    trace_put_lit(s, " seq ");
    trace_append_u64(s, ev->seq);
    if (ev->tcp_flags & NS_TCP_ACK) {
        trace_put_lit(s, " ack ");
        trace_append_u64(s, ev->ack);
    }
    trace_put_lit(s, " win ");
    trace_append_u64(s, ev->win);
    if (ev->options && ev->options[0]) {
        trace_put_lit(s, " <");
        trace_put_str(s, ev->options);
        g_string_append_c(s, '>');
    }
}

/* ---- the words for the typed facts ---- */

const char *trace_sock_op_text(NsSockOp op)
{
    switch (op) {
    case NS_SOCK_OP_NONE:
        return NULL;
    case NS_SOCK_OP_BOUND:
        return "bound";
    case NS_SOCK_OP_CONNECTED:
        return "connected";
    case NS_SOCK_OP_CLOSED:
        return "closed";
    }
    return NULL;
}

const char *trace_sock_why_text(const NsTraceEvent *ev)
{
    switch (ev->sock_op) {
    case NS_SOCK_OP_BOUND:
        return ev->ephemeral ? "ephemeral port" : NULL;
    case NS_SOCK_OP_CONNECTED:
        return ev->proto == NS_IPPROTO_UDP ? "peer fixed; no packet sent" : NULL;
    case NS_SOCK_OP_CLOSED:
        return "port free again";
    case NS_SOCK_OP_NONE:
        break;
    }
    return NULL;
}

const char *trace_tcp_ev_text(NsTcpEvent ev)
{
    switch (ev) {
    case NS_TCP_EV_STATE:
        return "state";
    case NS_TCP_EV_CWND:
        return "cwnd";
    case NS_TCP_EV_CONGESTION:
        return "congestion";
    case NS_TCP_EV_NAGLE:
        return "nagle";
    }
    return NULL;
}

const char *trace_cause_text(NsTraceCause c)
{
    switch (c) {
    case NS_CAUSE_NONE:
        return NULL;
    case NS_CAUSE_APP_CONNECT:
        return "app connect";
    case NS_CAUSE_APP_LISTEN:
        return "app listen";
    case NS_CAUSE_APP_CLOSE:
        return "app close";
    case NS_CAUSE_APP_CLOSE_UNREAD:
        return "app close with unread data";
    case NS_CAUSE_APP_SHUTDOWN:
        return "app shutdown";
    case NS_CAUSE_APP_ABORT:
        return "app abort";
    case NS_CAUSE_LISTENER_CLOSED:
        return "listener closed";
    case NS_CAUSE_HOST_CRASH:
        return "host crash";
    case NS_CAUSE_ICMP_ERROR:
        return "ICMP error";
    case NS_CAUSE_RCV_SYN_LISTENER:
        return "rcv SYN on a listener";
    case NS_CAUSE_RCV_SYN_ACK:
        return "rcv SYN,ACK";
    case NS_CAUSE_RCV_SYN_SIMULTANEOUS:
        return "rcv SYN (simultaneous open)";
    case NS_CAUSE_RCV_ACK_OF_SYN:
        return "rcv ACK of SYN";
    case NS_CAUSE_RCV_ACK_OF_FIN:
        return "rcv ACK of FIN";
    case NS_CAUSE_RCV_FIN:
        return "rcv FIN";
    case NS_CAUSE_RCV_FIN_SIMULTANEOUS:
        return "rcv FIN (simultaneous close)";
    case NS_CAUSE_RCV_RST:
        return "rcv RST";
    case NS_CAUSE_RCV_SYN:
        return "rcv SYN";
    case NS_CAUSE_RCV_SYN_IN_WINDOW:
        return "rcv SYN in window";
    case NS_CAUSE_SYN_RETRIES:
        return "SYN retries exhausted";
    case NS_CAUSE_SYN_ACK_RETRIES:
        return "SYN-ACK retries exhausted";
    case NS_CAUSE_RETRANSMISSIONS:
        return "retransmissions exhausted";
    case NS_CAUSE_TIME_WAIT_DONE:
        return "2MSL timer";
    case NS_CAUSE_FIN_WAIT_2_TIMEOUT:
        return "FIN-WAIT-2 timeout";
    case NS_CAUSE_KEEPALIVE_TIMEOUT:
        return "keepalive probes unanswered";
    case NS_CAUSE_USER_TIMEOUT:
        return "user timeout";
    case NS_CAUSE_CONNECTED:
        return "connected";
    case NS_CAUSE_ACK:
        return "ACK";
    case NS_CAUSE_DUP_ACK:
        return "dup ACK";
    case NS_CAUSE_DUP_ACKS:
        return "3 dup ACKs";
    case NS_CAUSE_DUP_ACKS_FAST_RETRANSMIT:
        return "3 dup ACKs: fast retransmit";
    case NS_CAUSE_SACK:
        return "SACK";
    case NS_CAUSE_SACK_BEYOND_LOSS:
        return "SACKed beyond a loss";
    case NS_CAUSE_SACK_BEYOND_LOSS_FAST_RETRANSMIT:
        return "SACKed beyond a loss: fast retransmit";
    case NS_CAUSE_RECOVERY_DONE:
        return "recovery done";
    case NS_CAUSE_LOSS_REPAIRED:
        return "loss repaired";
    case NS_CAUSE_SYN_TIMEOUT:
        return "SYN timeout";
    case NS_CAUSE_RTO:
        return "RTO";
    case NS_CAUSE_TLP_REPAIRED:
        return "tail loss probe repaired a loss";
    case NS_CAUSE_HYSTART_ACK_TRAIN:
        return "HyStart: ACK train";
    case NS_CAUSE_HYSTART_DELAY:
        return "HyStart: RTT increase";
    case NS_CAUSE_RACK_TIMEOUT:
        return "RACK: reordering timer";
    case NS_CAUSE_PACKET_TOO_BIG:
        return "packet too big";
    }
    return NULL;
}

const char *trace_send_why_text(NsSendWhy why)
{
    switch (why) {
    case NS_SEND_NORMAL:
    case NS_SEND_FAULT: /* trace_append_fault() says it */
        return NULL;
    case NS_SEND_RTO:
        return "retransmission";
    case NS_SEND_FAST_RETRANSMIT:
        return "fast retransmit";
    case NS_SEND_SACK_RETRANSMIT:
        return "SACK retransmission";
    case NS_SEND_TLP:
        return "tail loss probe";
    case NS_SEND_PROBE:
        return "persist probe";
    case NS_SEND_WINDOW_UPDATE:
        return "window update";
    case NS_SEND_DELAYED_ACK:
        return "delayed ACK";
    case NS_SEND_CHALLENGE_ACK:
        return "challenge ACK";
    case NS_SEND_KEEPALIVE:
        return "keepalive probe";
    case NS_SEND_PMTU:
        return "path MTU: sent again smaller";
    }
    return NULL;
}

const char *trace_drop_text(const NsTraceEvent *ev)
{
    switch (ev->drop) {
    case NS_DROP_NONE:
    case NS_DROP_FAULT: /* trace_append_fault() says it */
    case NS_DROP_FILTER: /* trace_append_rule() says it */
        return NULL;
    case NS_DROP_NO_SOCKET:
        return "no socket";
    case NS_DROP_LISTEN_QUEUE_FULL:
        return "listen queue full";
    case NS_DROP_ACCEPT_QUEUE_FULL:
        return "accept queue full";
    case NS_DROP_RCVBUF_FULL:
        return "receive buffer full";
    case NS_DROP_CHECKSUM:
        return "checksum";
    case NS_DROP_MALFORMED:
        return ev->proto == NS_IPPROTO_TCP   ? "malformed TCP"
               : ev->proto == NS_IPPROTO_UDP ? "malformed UDP"
                                             : "malformed ICMP";
    case NS_DROP_MALFORMED_IP:
        return "malformed IPv4";
    case NS_DROP_NO_ROUTE:
        return "no route";
    case NS_DROP_NOT_FOR_HOST:
        return "not for this host (hosts do not forward)";
    case NS_DROP_FRAG_TIMEOUT:
        return "reassembly timed out";
    case NS_DROP_FRAG_DUPLICATE:
        return "duplicate fragment";
    case NS_DROP_FRAG_OVERLAP:
        return "overlapping fragments: datagram discarded";
    case NS_DROP_FRAG_INVALID:
        return "inconsistent fragments: datagram discarded";
    case NS_DROP_FRAG_MEMORY:
        return "reassembly memory full";
    case NS_DROP_NO_PROTOCOL:
        return "no such protocol";
    case NS_DROP_TTL_EXCEEDED:
        return ev->src6 ? "hop limit exceeded" : "TTL exceeded"; /* IPv6's name for it */
    case NS_DROP_TOO_BIG:
        return "larger than the next link's MTU";
    case NS_DROP_ARP_FAILED: /* IPv6 resolves with Neighbor Discovery */
        return ev->src6 ? "next hop did not answer neighbor solicitation"
                        : "next hop did not answer ARP";
    case NS_DROP_ARP_QUEUE_FULL:
        return ev->src6 ? "neighbor queue full" : "ARP queue full";
    case NS_DROP_HOST_DOWN:
        return "host down";
    case NS_DROP_LINK_DOWN:
        return "link down";
    case NS_DROP_LINK_LOSS:
        return "link loss";
    case NS_DROP_QUEUE_FULL:
        return "queue full";
    }
    return NULL;
}

const char *trace_fault_text(NsFaultAction a)
{
    switch (a) {
    case NS_FAULT_NONE:
        return NULL;
    case NS_FAULT_DROP:
        return "drop";
    case NS_FAULT_DELAY:
        return "delay";
    case NS_FAULT_DUPLICATE:
        return "duplicate";
    }
    return NULL;
}

void trace_append_fault(GString *s, const NsTraceEvent *ev)
{
    trace_put_lit(s, "targeted fault");
    if (ev->loc.file)
        g_string_append_printf(s, " at %s:%" PRIu32, ev->loc.file, ev->loc.line);
    const char *a = trace_fault_text(ev->fault);
    if (a)
        g_string_append_printf(s, ": %s", a);
    if (ev->fault_rule)
        g_string_append_printf(s, " %s", ev->fault_rule);
}

const char *trace_packet_why_text(const NsTraceEvent *ev)
{
    switch (ev->kind) {
    case NS_TRACE_SEND:
        return trace_send_why_text(ev->send_why);
    case NS_TRACE_DROP:
        return trace_drop_text(ev);
    case NS_TRACE_RECV:
    case NS_TRACE_FWD:
    case NS_TRACE_APP:
    case NS_TRACE_SOCK:
    case NS_TRACE_TCP:
    case NS_TRACE_TIMER:
    case NS_TRACE_ICMP:
    case NS_TRACE_ARP:
    case NS_TRACE_NDP:
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
    case NS_TRACE_EXPECT:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_NAT:
    case NS_TRACE_KIND_COUNT:
        break;
    }
    return NULL;
}

const char *trace_timer_op_text(NsTimerOp op)
{
    switch (op) {
    case NS_TIMER_ARMED:
        return "armed";
    case NS_TIMER_FIRED:
        return "fired";
    case NS_TIMER_CANCELLED:
        return "cancelled";
    }
    return NULL;
}

const char *trace_timer_text(NsTimerKind k)
{
    switch (k) {
    case NS_TIMER_RTO:
        return "RTO";
    case NS_TIMER_PERSIST:
        return "persist";
    case NS_TIMER_KEEPALIVE:
        return "keepalive";
    case NS_TIMER_TIME_WAIT:
        return "TIME-WAIT";
    case NS_TIMER_FIN_WAIT_2:
        return "FIN-WAIT-2 timeout";
    case NS_TIMER_DELACK:
        return "delayed ACK";
    case NS_TIMER_TLP:
        return "TLP";
    case NS_TIMER_RACK:
        return "RACK reordering";
    }
    return NULL;
}

const char *trace_arp_ev_text(NsArpEvent ev)
{
    switch (ev) {
    case NS_ARP_EV_REQUEST:
        return "request";
    case NS_ARP_EV_REPLY:
        return "reply";
    case NS_ARP_EV_RESOLVED:
        return "resolved";
    case NS_ARP_EV_EXPIRED:
        return "expire";
    case NS_ARP_EV_FAILED:
        return "failed";
    }
    return NULL;
}

const char *trace_icmp_ev_text(NsIcmpEvent ev)
{
    switch (ev) {
    case NS_ICMP_EV_IGNORED_NO_TRANSPORT:
    case NS_ICMP_EV_IGNORED_UNCONNECTED:
        return "ignored";
    case NS_ICMP_EV_QUEUED:
        return "queued";
    }
    return NULL;
}

const char *trace_icmp_why_text(NsIcmpEvent ev)
{
    switch (ev) {
    case NS_ICMP_EV_IGNORED_NO_TRANSPORT:
        return "no transport to tell";
    case NS_ICMP_EV_IGNORED_UNCONNECTED:
        return "(the socket is not connected: no call can report it)";
    case NS_ICMP_EV_QUEUED:
        return "(connected socket: its next call fails with it)";
    }
    return NULL;
}

const char *trace_link_ev_text(NsLinkEvent ev)
{
    switch (ev) {
    case NS_LINK_EV_UP:
        return "up";
    case NS_LINK_EV_DOWN:
        return "down";
    case NS_LINK_EV_SET:
        return "set";
    case NS_LINK_EV_LEARNED:
        return "learned";
    case NS_LINK_EV_FLOODED:
        return "flooded";
    }
    return NULL;
}

const char *trace_host_ev_text(NsHostEvent ev)
{
    switch (ev) {
    case NS_HOST_EV_CRASH:
        return "crash";
    case NS_HOST_EV_RESTART:
        return "restart";
    case NS_HOST_EV_FILTER_ADDED:
        return "filter added";
    case NS_HOST_EV_FILTER_REMOVED:
        return "filter removed";
    case NS_HOST_EV_ROUTE_ADDED:
        return "route added";
    case NS_HOST_EV_ROUTE_REMOVED:
        return "route removed";
    }
    return NULL;
}

void trace_append_rule(GString *s, const NsTraceEvent *ev)
{
    trace_put_lit(s, "filter");
    if (ev->rule_name)
        g_string_append_printf(s, " %s", ev->rule_name);
    if (ev->loc.file)
        g_string_append_printf(s, " at %s:%" PRIu32, ev->loc.file, ev->loc.line);
}

void trace_append_switch(GString *s, const NsTraceEvent *ev)
{
    const uint8_t *m = ev->mac;
    g_string_append_printf(s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                           m[5]);
    if (ev->link_ev == NS_LINK_EV_LEARNED)
        g_string_append_printf(s, " on port %" PRIu32 " (%s)", ev->ifindex,
                               ev->text ? ev->text : "?");
    else
        g_string_append_printf(s, " (not learnt yet) from port %" PRIu32 " to the %" PRIu32
                                  " other port%s",
                               ev->ifindex, ev->count, ev->count == 1 ? "" : "s");
}

/* A route event's prefix ("default", "10.0.3.0/24", "2001:db8:9::/64";
 * IPv6's default route is "::/0", as `unroute` takes it) and
 * next hop into n and v (v empty when there is none). */
void trace_route_ends(const NsTraceEvent *ev, char n[NS_IPV6_STRLEN + 4],
                      char v[NS_IPV6_STRLEN])
{
    char a[NS_IPV6_STRLEN];
    v[0] = '\0';
    if (ev->route_net6) {
        ns_ipv6_format((const NsIpv6Addr *)(const void *)ev->route_net6, a);
        if (ev->route_via6)
            ns_ipv6_format((const NsIpv6Addr *)(const void *)ev->route_via6, v);
    } else {
        ns_ipv4_format(ev->route_net, a);
        if (ev->route_via)
            ns_ipv4_format(ev->route_via, v);
    }
    if (ev->route_prefix == 0)
        g_strlcpy(n, ev->route_net6 ? "::/0" : "default", NS_IPV6_STRLEN + 4);
    else
        g_snprintf(n, NS_IPV6_STRLEN + 4, "%s/%u", a, ev->route_prefix);
}

void trace_append_route(GString *s, const NsTraceEvent *ev)
{
    char n[NS_IPV6_STRLEN + 4], v[NS_IPV6_STRLEN];
    trace_route_ends(ev, n, v);
    g_string_append(s, n);
    if (v[0])
        g_string_append_printf(s, " via %s", v);
    if (ev->route_missing)
        trace_put_lit(s, " (there was no such route)");
    else if (ev->loc.file)
        g_string_append_printf(s, " (route at %s:%" PRIu32 ")", ev->loc.file, ev->loc.line);
}

const char *trace_nat_ev_text(NsNatEvent ev)
{
    switch (ev) {
    case NS_NAT_EV_MAPPED:
        return NULL;
    case NS_NAT_EV_NEW_MASQUERADE:
        return "new mapping: masquerade";
    case NS_NAT_EV_NEW_FORWARD:
        return "new mapping: port forward";
    case NS_NAT_EV_ICMP_ERROR:
        return "ICMP error: the header it quotes is translated too";
    }
    return NULL;
}

const char *trace_verdict_text(NsVerdict v)
{
    switch (v) {
    case NS_VERDICT_PASS:
        return "ok";
    case NS_VERDICT_FAIL:
        return "FAIL";
    }
    return NULL;
}

void trace_append_duration(GString *s, NsTime d)
{
    if (d < 0) {
        g_string_append_printf(s, "%" PRId64 ".%03" PRId64 "s", d / NS_S(1),
                               (d % NS_S(1)) / NS_MS(1));
        return;
    }
    char b[48];
    size_t k = trace_format_u64(b, (uint64_t)(d / NS_S(1)), 0, ' ');
    b[k++] = '.';
    k += trace_format_u64(b + k, (uint64_t)((d % NS_S(1)) / NS_MS(1)), 3, '0');
    b[k++] = 's';
    g_string_append_len(s, b, (gssize)k);
}

void trace_append_arp(GString *s, const NsTraceEvent *ev)
{
    char a[NS_IPV4_STRLEN], b[NS_IPV4_STRLEN], m[NS_MAC_STRLEN];
    ns_ipv4_format(ev->src, a);
    ns_ipv4_format(ev->dst, b);
    ns_mac_format(ev->mac, m);
    switch (ev->arp_ev) {
    case NS_ARP_EV_REQUEST:
        g_string_append_printf(s, "who-has %s tell %s%s", a, b,
                               ev->unicast ? " (unicast: confirming a stale entry)" : "");
        break;
    case NS_ARP_EV_REPLY:
        g_string_append_printf(s, "%s is-at %s (to %s)", a, m, b);
        break;
    case NS_ARP_EV_RESOLVED:
        g_string_append_printf(s, "%s is-at %s (%" PRIu32 " datagram%s released)", a, m,
                               ev->count, ev->count == 1 ? "" : "s");
        break;
    case NS_ARP_EV_EXPIRED:
        g_string_append_printf(s, "%s stopped answering; entry removed", a);
        break;
    case NS_ARP_EV_FAILED:
        g_string_append_printf(s, "no reply for %s after %" PRIu32 " requests: host unreachable",
                               a, ev->count);
        break;
    }
}
