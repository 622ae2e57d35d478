/* Fill a trace event's packet fields from the bytes of a frame or datagram,
 * for the producers that hold only bytes (a link dropping a frame). Runs
 * only when a sink asked for the event. */
#include "netsim/link.h"

#include <stdio.h>

#include "netsim/wire/arp.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/eth.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/tcp.h"
#include "netsim/wire/udp.h"

/* An IPv6 datagram: addresses point into buf (the event borrows them). */
static void describe_ip6(NsTraceEvent *ev, const uint8_t *buf, size_t len)
{
    NsIpv6Repr ip;
    if (ns_ipv6_parse(buf, len, &ip) != NS_WIRE_OK)
        return;
    ev->proto = ip.next_header;
    ev->src6 = buf + 8;
    ev->dst6 = buf + 24;
    ev->ttl = ip.hop_limit;
    ev->ip_len = NS_IPV6_HLEN + ip.payload_len;
    const uint8_t *l4 = buf + NS_IPV6_HLEN;
    size_t l4len = ip.payload_len;
    NsIpv6FragRepr fh;
    if (ip.next_header == NS_IPPROTO_FRAGMENT &&
        ns_ipv6_frag_parse(l4, l4len, &fh) == NS_WIRE_OK) {
        ev->frag = true;
        ev->frag_mf = fh.m;
        ev->frag_off = fh.offset;
        ev->ip_id = fh.id;
        ev->proto = ip.next_header = fh.next_header;
        l4 += NS_IPV6_FRAG_HLEN;
        l4len -= NS_IPV6_FRAG_HLEN;
        ev->payload_len = (uint32_t)l4len;
        if (fh.offset)
            return;
    }
    switch (ip.next_header) {
    case NS_IPPROTO_UDP:
        if (l4len >= NS_UDP_HLEN) {
            ev->sport = ns_read_be16(l4);
            ev->dport = ns_read_be16(l4 + 2);
            ev->payload_len = (uint32_t)(l4len - NS_UDP_HLEN);
        }
        break;
    case NS_IPPROTO_TCP:
        if (l4len >= 20) {
            ev->sport = ns_read_be16(l4);
            ev->dport = ns_read_be16(l4 + 2);
            ev->tcp_flags = l4[13];
            uint32_t off = (uint32_t)(l4[12] >> 4) * 4u;
            ev->payload_len = off <= l4len ? (uint32_t)(l4len - off) : 0;
        }
        break;
    case NS_IPPROTO_ICMPV6:
        if (l4len >= NS_ICMP6_HLEN) {
            ev->icmp_type = l4[0];
            ev->icmp_code = l4[1];
            if (l4[0] == NS_ICMP6_ECHO_REQUEST || l4[0] == NS_ICMP6_ECHO_REPLY) {
                ev->icmp_id = ns_read_be16(l4 + 4);
                ev->icmp_seq = ns_read_be16(l4 + 6);
            }
            if ((l4[0] == NS_ICMP6_NEIGHBOR_SOLICIT || l4[0] == NS_ICMP6_NEIGHBOR_ADVERT) &&
                l4len >= NS_ND_NS_LEN)
                ev->target6 = l4 + 8;
            ev->payload_len = (uint32_t)(l4len - NS_ICMP6_HLEN);
        }
        break;
    default:
        break;
    }
    if (ev->frag) /* the fragment's bytes, its transport header's too */
        ev->payload_len = (uint32_t)l4len;
}

void ns_trace_describe_ip(NsTraceEvent *ev, const uint8_t *buf, size_t len)
{
    if (len >= 1 && buf[0] >> 4 == 6) {
        describe_ip6(ev, buf, len);
        return;
    }
    NsIpv4Repr ip;
    if (ns_ipv4_parse_header(buf, len, &ip) != NS_WIRE_OK)
        return;
    ev->proto = ip.proto;
    ev->src = ip.src;
    ev->dst = ip.dst;
    ev->ttl = ip.ttl;
    ev->ip_len = ip.total_len;
    if (ip.mf || ip.frag_offset) {
        ev->frag = true;
        ev->frag_mf = ip.mf;
        ev->ip_id = ip.id;
        ev->frag_off = ip.frag_offset;
    }
    /* A first fragment quoted in an ICMP error is cut short: its
     * transport header is still there. */
    if ((ip.total_len > len && !ev->frag) || ip.frag_offset != 0) {
        if (ev->frag)
            ev->payload_len = (uint32_t)(ip.total_len - ip.header_len);
        return;
    }
    const uint8_t *l4 = buf + ip.header_len;
    size_t l4len = (ip.total_len < len ? ip.total_len : len) - ip.header_len;
    switch (ip.proto) {
    case NS_IPPROTO_UDP:
        if (l4len >= NS_UDP_HLEN) {
            ev->sport = ns_read_be16(l4);
            ev->dport = ns_read_be16(l4 + 2);
            ev->payload_len = (uint32_t)(l4len - NS_UDP_HLEN);
        }
        break;
    case NS_IPPROTO_TCP:
        if (l4len >= 20) {
            ev->sport = ns_read_be16(l4);
            ev->dport = ns_read_be16(l4 + 2);
            ev->tcp_flags = l4[13];
            uint32_t off = (uint32_t)(l4[12] >> 4) * 4u;
            ev->payload_len = off <= l4len ? (uint32_t)(l4len - off) : 0;
        }
        break;
    case NS_IPPROTO_ICMP:
        if (l4len >= NS_ICMP_HLEN) {
            ev->icmp_type = l4[0];
            ev->icmp_code = l4[1];
            if (l4[0] == NS_ICMP_ECHO_REQUEST || l4[0] == NS_ICMP_ECHO_REPLY) {
                ev->icmp_id = ns_read_be16(l4 + 4);
                ev->icmp_seq = ns_read_be16(l4 + 6);
            }
            ev->payload_len = (uint32_t)(l4len - NS_ICMP_HLEN);
        }
        break;
    default:
        break;
    }
    if (ev->frag) /* the fragment's bytes, its transport header's too */
        ev->payload_len = (uint32_t)(ip.total_len - ip.header_len);
}

void ns_trace_describe_frame(NsTraceEvent *ev, const uint8_t *frame, size_t len,
                             char *summary_buf, size_t summary_len)
{
    NsEthRepr eth;
    if (ns_eth_parse(frame, len, &eth) != NS_WIRE_OK)
        return;
    const uint8_t *pl = frame + NS_ETH_HLEN;
    size_t plen = len - NS_ETH_HLEN;
    if (eth.ethertype == NS_ETHERTYPE_IPV4 || eth.ethertype == NS_ETHERTYPE_IPV6) {
        ns_trace_describe_ip(ev, pl, plen);
        return;
    }
    NsArpRepr arp;
    if (eth.ethertype == NS_ETHERTYPE_ARP && ns_arp_parse(pl, plen, &arp) == NS_WIRE_OK &&
        summary_buf && summary_len) {
        char a[NS_IPV4_STRLEN], b[NS_IPV4_STRLEN], m[NS_MAC_STRLEN];
        ns_ipv4_format(arp.tpa, a);
        ns_ipv4_format(arp.spa, b);
        ns_mac_format(arp.sha, m);
        if (arp.op == NS_ARP_OP_REQUEST)
            snprintf(summary_buf, summary_len, "ARP who-has %s tell %s", a, b);
        else
            snprintf(summary_buf, summary_len, "ARP %s is-at %s", b, m);
        ev->summary = summary_buf;
    }
}
