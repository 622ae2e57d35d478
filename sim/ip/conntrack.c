/* Connection tracking as Linux's nf_conntrack does it: a flow per 5-tuple
 * of either family (IPv4 or IPv6, as nf_conntrack's l3 protocols), found
 * from either direction, with a TCP state machine (simplified from
 * nf_conntrack_proto_tcp.c: SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT,
 * LAST_ACK, TIME_WAIT, CLOSE) and a timeout per state. Flows expire lazily:
 * a flow whose time is up is not found, and is swept when dead flows pile
 * up, so tracking arms no timer. */
#include "netfilter-private.h"

#include <stdio.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim/wire/tcp.h"
#include "netsim-private/packet.h"

/* ---- tuples ---- */

static guint tuple_hash(gconstpointer p)
{
    const NfTuple *t = p;
    uint32_t src = t->src, dst = t->dst;
    if (t->v6) {
        /* the interface identifier varies most; the prefix too, a little */
        src = ns_read_be32(t->src6 + 12) ^ ns_read_be32(t->src6 + 4);
        dst = ns_read_be32(t->dst6 + 12) ^ ns_read_be32(t->dst6 + 4);
    }
    uint32_t h = src * 2654435761u;
    h ^= dst + 0x9e3779b9u + (h << 6) + (h >> 2);
    h ^= ((uint32_t)t->sport << 16 | t->dport) + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h ^ t->proto;
}

static gboolean tuple_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(NfTuple)) == 0;
}

NfTuple nf_tuple_invert(const NfTuple *t)
{
    NfTuple r = {.src = t->dst, .dst = t->src, .sport = t->dport, .dport = t->sport,
                 .proto = t->proto, .v6 = t->v6};
    memcpy(r.src6, t->dst6, 16);
    memcpy(r.dst6, t->src6, 16);
    return r;
}

/* IPv6's Fragment header (RFC 8200 4.5) */
#define IPV6_NH_FRAGMENT 44

/* The ports of a TCP or UDP flow, or an ICMP echo's id as both; an ICMP
 * error is related to a flow, not one of its own, so it has no tuple. */
static bool l4_ports(uint8_t icmp, uint8_t echo_request, uint8_t echo_reply, const uint8_t *l4,
                     size_t l4len, NfTuple *out)
{
    if (out->proto == NS_IPPROTO_TCP || out->proto == NS_IPPROTO_UDP) {
        if (l4len < 4)
            return false;
        out->sport = ns_read_be16(l4);
        out->dport = ns_read_be16(l4 + 2);
        return true;
    }
    if (out->proto != icmp)
        return true;
    if (l4len < 8 || (l4[0] != echo_request && l4[0] != echo_reply))
        return false;
    out->sport = out->dport = ns_read_be16(l4 + 4);
    return true;
}

/* IPv6: the transport right after the fixed header (netsim sends no
 * other extension headers; a fragment is not tracked, as an IPv4 one). */
static bool tuple_of6(const uint8_t *data, size_t len, NfTuple *out)
{
    NsIpv6Repr h;
    if (ns_ipv6_parse(data, len, &h) != NS_WIRE_OK)
        return false;
    *out = (NfTuple){.proto = h.next_header, .v6 = 1};
    memcpy(out->src6, h.src.b, 16);
    memcpy(out->dst6, h.dst.b, 16);
    if (h.next_header == IPV6_NH_FRAGMENT)
        return false;
    /* Neighbor Discovery is no flow at all (Linux leaves it untracked) */
    return l4_ports(NS_IPPROTO_ICMPV6, NS_ICMP6_ECHO_REQUEST, NS_ICMP6_ECHO_REPLY,
                    data + NS_IPV6_HLEN, len - NS_IPV6_HLEN, out);
}

bool nf_tuple_of(const uint8_t *data, size_t len, NfTuple *out)
{
    if (len >= 1 && data[0] >> 4 == 6)
        return tuple_of6(data, len, out);
    NsIpv4Repr h;
    if (ns_ipv4_parse_header(data, len, &h) != NS_WIRE_OK || h.mf || h.frag_offset)
        return false;
    *out = (NfTuple){.src = h.src, .dst = h.dst, .proto = h.proto};
    return l4_ports(NS_IPPROTO_ICMP, NS_ICMP_ECHO_REQUEST, NS_ICMP_ECHO_REPLY,
                    data + h.header_len, len - h.header_len, out);
}

/* ---- the table ---- */

NsNetfilter *ns_netfilter_of(NsIp *ip)
{
    NsNetfilter *nf = ns_netfilter_peek(ip);
    if (nf)
        return nf;
    nf = g_new0(NsNetfilter, 1);
    nf->ip = ip;
    nf->ctx = ns_host_ctx(ns_ip_host(ip));
    for (int c = 0; c < 3; c++)
        nf->rules[c] = g_array_new(FALSE, TRUE, sizeof(NfRule));
    nf->masq = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    nf->forwards = g_array_new(FALSE, FALSE, sizeof(NfForward));
    nf->table = g_hash_table_new(tuple_hash, tuple_equal);
    nf->conns = g_ptr_array_new();
    ns_ip_attach_netfilter(ip, nf);
    return nf;
}

void ns_netfilter_free(NsNetfilter *nf)
{
    if (!nf)
        return;
    for (int c = 0; c < 3; c++) {
        for (guint i = 0; i < nf->rules[c]->len; i++) {
            NfRule *r = &g_array_index(nf->rules[c], NfRule, i);
            g_free((char *)r->rule.name);
            g_free((char *)r->rule.file);
        }
        g_array_free(nf->rules[c], TRUE);
    }
    g_array_free(nf->masq, TRUE);
    g_array_free(nf->forwards, TRUE);
    g_hash_table_destroy(nf->table);
    for (guint i = 0; i < nf->conns->len; i++)
        g_free(g_ptr_array_index(nf->conns, i));
    g_ptr_array_free(nf->conns, TRUE);
    g_free(nf);
}

static NsTime now_of(const NsNetfilter *nf)
{
    return ns_sim_now(nf->ctx->sim);
}

static void conn_kill(NsNetfilter *nf, NfConn *c)
{
    if (c->dead)
        return;
    g_hash_table_remove(nf->table, &c->t[NF_ORIG]);
    if (!tuple_equal(&c->t[NF_ORIG], &c->t[NF_REPLY]))
        g_hash_table_remove(nf->table, &c->t[NF_REPLY]);
    c->dead = true;
    nf->dead++;
}

/* Drop expired and dead flows once they are as many as the live ones. */
static void sweep(NsNetfilter *nf)
{
    NsTime now = now_of(nf);
    for (guint i = 0; i < nf->conns->len; i++) {
        NfConn *c = g_ptr_array_index(nf->conns, i);
        if (!c->dead && c->expires <= now)
            conn_kill(nf, c);
    }
    guint j = 0;
    for (guint i = 0; i < nf->conns->len; i++) {
        NfConn *c = g_ptr_array_index(nf->conns, i);
        if (c->dead)
            g_free(c);
        else
            nf->conns->pdata[j++] = c;
    }
    g_ptr_array_set_size(nf->conns, j); /* no free function: only pointers go */
    nf->dead = 0;
}

NfConn *nf_conn_find(NsNetfilter *nf, const NfTuple *t, uint8_t *dir)
{
    NfConn *c = g_hash_table_lookup(nf->table, t);
    if (!c)
        return NULL;
    if (c->expires <= now_of(nf)) {
        conn_kill(nf, c);
        return NULL;
    }
    *dir = tuple_equal(t, &c->t[NF_ORIG]) ? NF_ORIG : NF_REPLY;
    return c;
}

void nf_conn_rehash_reply(NsNetfilter *nf, NfConn *c, const NfTuple *reply)
{
    if (!tuple_equal(&c->t[NF_ORIG], &c->t[NF_REPLY]))
        g_hash_table_remove(nf->table, &c->t[NF_REPLY]);
    c->t[NF_REPLY] = *reply;
    g_hash_table_insert(nf->table, &c->t[NF_REPLY], c);
}

static NfConn *conn_new(NsNetfilter *nf, const NfTuple *t)
{
    if (nf->dead * 2 > nf->conns->len + 64)
        sweep(nf);
    NfConn *c = g_new0(NfConn, 1);
    c->t[NF_ORIG] = *t;
    c->t[NF_REPLY] = nf_tuple_invert(t);
    c->seq = nf->next_seq++;
    g_ptr_array_add(nf->conns, c);
    g_hash_table_insert(nf->table, &c->t[NF_ORIG], c);
    if (!tuple_equal(&c->t[NF_ORIG], &c->t[NF_REPLY]))
        g_hash_table_insert(nf->table, &c->t[NF_REPLY], c);
    return c;
}

/* ---- state and timeouts ---- */

static NsTime tcp_timeout(NsCtTcpState s)
{
    switch (s) {
    case NS_CT_TCP_STATE_SYN_SENT:
        return NS_CT_TCP_SYN_SENT;
    case NS_CT_TCP_STATE_SYN_RECV:
        return NS_CT_TCP_SYN_RECV;
    case NS_CT_TCP_STATE_ESTABLISHED:
        return NS_CT_TCP_ESTABLISHED;
    case NS_CT_TCP_STATE_FIN_WAIT:
        return NS_CT_TCP_FIN_WAIT;
    case NS_CT_TCP_STATE_LAST_ACK:
        return NS_CT_TCP_LAST_ACK;
    case NS_CT_TCP_STATE_TIME_WAIT:
        return NS_CT_TCP_TIME_WAIT;
    case NS_CT_TCP_STATE_CLOSE:
        return NS_CT_TCP_CLOSE;
    case NS_CT_TCP_NONE:
        break;
    }
    return NS_CT_TCP_CLOSE;
}

static void tcp_track(NfConn *c, uint8_t dir, uint8_t flags)
{
    NsCtTcpState s = c->tcp_state;
    if (flags & NS_TCP_RST) {
        s = NS_CT_TCP_STATE_CLOSE;
    } else if ((flags & NS_TCP_SYN) && !(flags & NS_TCP_ACK)) {
        if (dir == NF_ORIG && (s == NS_CT_TCP_NONE || s == NS_CT_TCP_STATE_CLOSE ||
                               s == NS_CT_TCP_STATE_TIME_WAIT))
            s = NS_CT_TCP_STATE_SYN_SENT;
    } else if ((flags & NS_TCP_SYN) && (flags & NS_TCP_ACK)) {
        if (dir == NF_REPLY && s == NS_CT_TCP_STATE_SYN_SENT)
            s = NS_CT_TCP_STATE_SYN_RECV;
    } else if (flags & NS_TCP_FIN) {
        c->fin[dir] = true;
        if (s == NS_CT_TCP_STATE_ESTABLISHED || s == NS_CT_TCP_STATE_SYN_RECV ||
            s == NS_CT_TCP_STATE_FIN_WAIT || s == NS_CT_TCP_NONE)
            s = c->fin[!dir] ? NS_CT_TCP_STATE_LAST_ACK : NS_CT_TCP_STATE_FIN_WAIT;
    } else if (flags & NS_TCP_ACK) {
        if (s == NS_CT_TCP_STATE_SYN_RECV && dir == NF_ORIG)
            s = NS_CT_TCP_STATE_ESTABLISHED;
        else if (s == NS_CT_TCP_STATE_LAST_ACK)
            s = NS_CT_TCP_STATE_TIME_WAIT;
        else if (s == NS_CT_TCP_NONE)
            s = NS_CT_TCP_STATE_ESTABLISHED; /* picked up mid-stream, as Linux's tcp_loose */
    }
    c->tcp_state = (uint8_t)s;
}

static void refresh(NsNetfilter *nf, NfConn *c, uint8_t dir, const NsPacket *pkt)
{
    NsTime now = now_of(nf);
    if (dir == NF_REPLY)
        c->seen_reply = true;
    switch (c->t[NF_ORIG].proto) {
    case NS_IPPROTO_TCP: {
        size_t hl = NS_IPV6_HLEN;
        if (!c->t[NF_ORIG].v6) {
            NsIpv4Repr h;
            ns_ipv4_parse_header(pkt->data, pkt->len, &h);
            hl = h.header_len;
        }
        uint8_t flags = pkt->len >= hl + 14u ? pkt->data[hl + 13] : 0;
        tcp_track(c, dir, flags);
        c->expires = now + tcp_timeout(c->tcp_state);
        break;
    }
    case NS_IPPROTO_UDP:
        c->expires = now + (c->seen_reply ? NS_CT_UDP_STREAM_TIMEOUT : NS_CT_UDP_TIMEOUT);
        break;
    case NS_IPPROTO_ICMP:
    case NS_IPPROTO_ICMPV6: /* Linux's icmpv6 timeout is ICMP's, 30 s */
        c->expires = now + NS_CT_ICMP_TIMEOUT;
        break;
    default:
        c->expires = now + NS_CT_UDP_TIMEOUT; /* Linux's generic timeout is 600 s; rare here */
        break;
    }
}

/* An ICMPv6 error (destination unreachable, packet too big, time exceeded,
 * parameter problem: RFC 4443 2.1's error types) about a tracked flow. */
static NfConn *related_flow6(NsNetfilter *nf, const NsPacket *pkt, uint8_t *dir)
{
    NsIpv6Repr h;
    if (ns_ipv6_parse(pkt->data, pkt->len, &h) != NS_WIRE_OK ||
        h.next_header != NS_IPPROTO_ICMPV6 || pkt->len < NS_IPV6_HLEN + 8u + NS_IPV6_HLEN)
        return NULL;
    uint8_t type = pkt->data[NS_IPV6_HLEN];
    if (type != NS_ICMP6_DEST_UNREACH && type != NS_ICMP6_PACKET_TOO_BIG &&
        type != NS_ICMP6_TIME_EXCEEDED && type != NS_ICMP6_PARAM_PROBLEM)
        return NULL;
    NfTuple q;
    const uint8_t *quote = pkt->data + NS_IPV6_HLEN + 8;
    if (!nf_tuple_of(quote, pkt->len - NS_IPV6_HLEN - 8u, &q) || !q.v6)
        return NULL;
    NfTuple back = nf_tuple_invert(&q);
    return nf_conn_find(nf, &back, dir);
}

/* An ICMP error quotes a datagram of a flow: that flow, in the direction
 * the error travels (the opposite of the quoted datagram's). */
static NfConn *related_flow(NsNetfilter *nf, const NsPacket *pkt, uint8_t *dir)
{
    if (pkt->len >= 1 && pkt->data[0] >> 4 == 6)
        return related_flow6(nf, pkt, dir);
    NsIpv4Repr h;
    if (ns_ipv4_parse_header(pkt->data, pkt->len, &h) != NS_WIRE_OK ||
        h.proto != NS_IPPROTO_ICMP || pkt->len < h.header_len + 8u + NS_IPV4_HLEN)
        return NULL;
    uint8_t type = pkt->data[h.header_len];
    if (type != NS_ICMP_DEST_UNREACH && type != NS_ICMP_TIME_EXCEEDED)
        return NULL;
    NfTuple q;
    const uint8_t *quote = pkt->data + h.header_len + 8;
    if (!nf_tuple_of(quote, pkt->len - h.header_len - 8u, &q) || q.v6)
        return NULL;
    NfTuple back = nf_tuple_invert(&q);
    return nf_conn_find(nf, &back, dir);
}

void nf_conntrack(NsNetfilter *nf, const NsPacket *pkt, NfInfo *info)
{
    *info = (NfInfo){0};
    NfTuple t;
    if (!nf_tuple_of(pkt->data, pkt->len, &t)) {
        uint8_t dir;
        NfConn *c = related_flow(nf, pkt, &dir);
        if (c) {
            info->conn = c;
            info->dir = dir;
            info->related = true;
        }
        return;
    }
    uint8_t dir = NF_ORIG;
    NfConn *c = nf_conn_find(nf, &t, &dir);
    if (!c) {
        c = conn_new(nf, &t);
        info->fresh = true;
    }
    info->conn = c;
    info->dir = dir;
    refresh(nf, c, dir, pkt);
}

void nf_conntrack_unconfirm(NsNetfilter *nf, NfInfo *info)
{
    if (info->conn && info->fresh)
        conn_kill(nf, info->conn);
    info->conn = NULL;
}

/* ---- tables ---- */

const char *ns_ct_tcp_state_name(NsCtTcpState state)
{
    switch (state) {
    case NS_CT_TCP_NONE:
        return "";
    case NS_CT_TCP_STATE_SYN_SENT:
        return "SYN_SENT";
    case NS_CT_TCP_STATE_SYN_RECV:
        return "SYN_RECV";
    case NS_CT_TCP_STATE_ESTABLISHED:
        return "ESTABLISHED";
    case NS_CT_TCP_STATE_FIN_WAIT:
        return "FIN_WAIT";
    case NS_CT_TCP_STATE_LAST_ACK:
        return "LAST_ACK";
    case NS_CT_TCP_STATE_TIME_WAIT:
        return "TIME_WAIT";
    case NS_CT_TCP_STATE_CLOSE:
        return "CLOSE";
    }
    return "?";
}

static bool translated(const NfConn *c)
{
    NfTuple back = nf_tuple_invert(&c->t[NF_ORIG]);
    return !tuple_equal(&back, &c->t[NF_REPLY]);
}

void ns_nf_conntrack_foreach(const NsNetfilter *nf, NsTime now, NsCtRowFn fn, void *data)
{
    for (guint i = 0; i < nf->conns->len; i++) {
        const NfConn *c = g_ptr_array_index(nf->conns, i);
        if (c->dead || c->expires <= now)
            continue;
        const NfTuple *o = &c->t[NF_ORIG], *r = &c->t[NF_REPLY];
        NsCtRow row = {.proto = o->proto, .src = o->src, .dst = o->dst, .sport = o->sport,
                       .dport = o->dport, .rsrc = r->src, .rdst = r->dst, .rsport = r->sport,
                       .rdport = r->dport, .tcp_state = c->tcp_state,
                       .seen_reply = c->seen_reply, .translated = translated(c),
                       .expires_in = c->expires - now, .v6 = o->v6};
        memcpy(row.src6.b, o->src6, 16);
        memcpy(row.dst6.b, o->dst6, 16);
        memcpy(row.rsrc6.b, r->src6, 16);
        memcpy(row.rdst6.b, r->dst6, 16);
        fn(&row, data);
    }
}

static void count_translated(const NsCtRow *row, void *data)
{
    if (row->translated)
        (*(uint32_t *)data)++;
}

uint32_t ns_nf_mapping_count(const NsNetfilter *nf, NsTime now)
{
    uint32_t n = 0;
    ns_nf_conntrack_foreach(nf, now, count_translated, &n);
    return n;
}

static const char *proto_word(uint8_t proto)
{
    switch (proto) {
    case NS_IPPROTO_TCP:
        return "tcp";
    case NS_IPPROTO_UDP:
        return "udp";
    case NS_IPPROTO_ICMP:
        return "icmp";
    case NS_IPPROTO_ICMPV6:
        return "icmpv6";
    default:
        return "unknown";
    }
}

/* As `conntrack -L`: "tcp 6 431999 ESTABLISHED src=... dst=... sport=...
 * dport=... src=... dst=... sport=... dport=... [ASSURED]" (IPv6 flows with
 * their addresses as RFC 5952 writes them, as `conntrack -L -f ipv6`). */
char *ns_ct_row_format(const NsCtRow *row)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%-4s %-2u %" G_GINT64_FORMAT " ", proto_word(row->proto),
                           row->proto, (gint64)(row->expires_in / NS_S(1)));
    if (row->tcp_state != NS_CT_TCP_NONE)
        g_string_append_printf(s, "%s ", ns_ct_tcp_state_name(row->tcp_state));
    char a[NS_IPV6_STRLEN], b[NS_IPV6_STRLEN];
    const uint32_t ad[4] = {row->src, row->dst, row->rsrc, row->rdst};
    const NsIpv6Addr *ad6[4] = {&row->src6, &row->dst6, &row->rsrc6, &row->rdst6};
    const uint16_t pt[4] = {row->sport, row->dport, row->rsport, row->rdport};
    for (int d = 0; d < 2; d++) {
        if (row->v6) {
            ns_ipv6_format(ad6[2 * d], a);
            ns_ipv6_format(ad6[2 * d + 1], b);
        } else {
            ns_ipv4_format(ad[2 * d], a);
            ns_ipv4_format(ad[2 * d + 1], b);
        }
        g_string_append_printf(s, "%ssrc=%s dst=%s", d ? " " : "", a, b);
        if (row->proto == NS_IPPROTO_ICMP || row->proto == NS_IPPROTO_ICMPV6)
            g_string_append_printf(s, " id=%u", pt[2 * d]);
        else if (row->proto == NS_IPPROTO_TCP || row->proto == NS_IPPROTO_UDP)
            g_string_append_printf(s, " sport=%u dport=%u", pt[2 * d], pt[2 * d + 1]);
        if (d == 0 && !row->seen_reply)
            g_string_append(s, " [UNREPLIED]");
    }
    if (row->seen_reply && row->proto == NS_IPPROTO_TCP &&
        row->tcp_state != NS_CT_TCP_STATE_SYN_SENT && row->tcp_state != NS_CT_TCP_STATE_SYN_RECV)
        g_string_append(s, " [ASSURED]");
    return g_string_free(s, FALSE);
}
