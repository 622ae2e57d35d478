/* Netfilter inside sim/ip (layer-private): the connection table shared by
 * the filter and NAT, and the hooks ip.c calls on a datagram's way. */
#pragma once

#include "netsim-private/ctx.h"
#include "netsim/ip.h"
#include "netsim/netfilter.h"
#include "netsim/packet.h"

/* A flow's identity in one direction, host byte order: IPv4 addresses in
 * src and dst, or (v6) IPv6 ones in src6 and dst6 (src and dst 0), so that
 * the two families never meet in the table. ICMP and ICMPv6 echo put the
 * id in both ports. Compared as a whole: keep the padding zero. */
typedef struct {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto; /* an IPv6 flow's ICMPv6 is NS_IPPROTO_ICMPV6 */
    uint8_t v6;
    uint8_t pad[2];
    uint8_t src6[16], dst6[16];
} NfTuple;

enum { NF_ORIG = 0, NF_REPLY = 1 };

typedef struct {
    NfTuple t[2]; /* original and reply tuples, each as it arrives here */
    NsTime expires;
    uint32_t seq;  /* creation order */
    uint8_t tcp_state; /* NsCtTcpState */
    bool seen_reply;
    bool fin[2];
    bool nat_bound; /* NAT decided for it (at its first packet) */
    bool dead;
} NfConn;

typedef struct {
    NsNfRule rule; /* label owned */
    uint64_t pkts, bytes;
} NfRule;

typedef struct {
    uint8_t proto;
    uint32_t addr, to_addr;
    uint16_t port, to_port;
} NfForward;

struct NsNetfilter {
    NsIp *ip;
    NsCtx *ctx;
    GArray *rules[3];   /* NfRule per chain */
    GArray *masq;       /* uint32_t addresses */
    GArray *forwards;   /* NfForward */
    GHashTable *table;  /* NfTuple* (inside a conn) -> NfConn* */
    GPtrArray *conns;   /* NfConn*, creation order; dead ones until a sweep */
    uint32_t next_seq;
    uint32_t dead;
};

/* ip.c: the IP layer owns its netfilter. */
void ns_ip_attach_netfilter(NsIp *ip, NsNetfilter *nf);

/* What the hooks learned about one datagram. */
typedef struct {
    NfConn *conn;  /* NULL: untracked (not parseable, or an ICMP error) */
    uint8_t dir;   /* NF_ORIG or NF_REPLY */
    bool fresh;    /* this datagram created the flow */
    bool related;  /* an ICMP error about a tracked flow */
} NfInfo;

/* Tuple of the datagram at data[0..len) (an IPv4 or IPv6 header first, as
 * its version says); false if it has none (fragment, truncated, ICMP or
 * ICMPv6 error, Neighbor Discovery). */
bool nf_tuple_of(const uint8_t *data, size_t len, NfTuple *out);
NfTuple nf_tuple_invert(const NfTuple *t);

/* Conntrack: find or create the flow of a datagram (IPv4 or IPv6) and
 * update its state and timeout (PREROUTING and LOCAL_OUT). */
void nf_conntrack(NsNetfilter *nf, const NsPacket *pkt, NfInfo *info);
/* Forget a flow this datagram created when the datagram is dropped. */
void nf_conntrack_unconfirm(NsNetfilter *nf, NfInfo *info);
NfConn *nf_conn_find(NsNetfilter *nf, const NfTuple *t, uint8_t *dir);
void nf_conn_rehash_reply(NsNetfilter *nf, NfConn *c, const NfTuple *reply);

/* NAT at PREROUTING: destination translation (port forwards for new flows,
 * the way back of masqueraded flows, ICMP errors about them). */
void nf_nat_pre(NsNetfilter *nf, NsPacket *pkt, NfInfo *info);
/* NAT at POSTROUTING, `out_addr` being the outgoing interface's address:
 * source translation (masquerade for new flows, the way back of forwarded
 * ones). */
void nf_nat_post(NsNetfilter *nf, NsPacket *pkt, NfInfo *info, uint32_t out_addr);

/* The first rule of `chain` matching the datagram, counted; NULL if none
 * (accept). */
const NsNfRule *nf_filter(NsNetfilter *nf, NsNfChain chain, const NsPacket *pkt,
                          const NfInfo *info);
/* The same for an IPv6 datagram (its header first), with its flow as
 * nf_conntrack() found it. */
const NsNfRule *nf_filter6(NsNetfilter *nf, NsNfChain chain, const NsPacket *pkt,
                           const NfInfo *info);
