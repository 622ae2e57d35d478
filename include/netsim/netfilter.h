/* Packet filtering and address translation on a host, as Linux's netfilter
 * does them: connection tracking (a table of flows, each with its original
 * and reply 5-tuples, a state and a timeout), filter rules on the in, out
 * and forward paths (first match wins, default accept), and NAT (source
 * NAT with port translation out of one interface, "masquerade", and
 * destination NAT of one address and port, "port forwarding"), ICMP errors
 * translated back with the headers they quote (RFC 5508 section 4). A
 * host without rules nor NAT has no netfilter and pays nothing. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "netsim/time.h"
#include "netsim/wire/ipv6.h"

typedef struct NsIp NsIp;
typedef struct NsNetfilter NsNetfilter;

/* Where a rule applies: datagrams for this host, datagrams it sends,
 * datagrams it forwards (routers). */
typedef enum {
    NS_NF_CHAIN_IN,
    NS_NF_CHAIN_OUT,
    NS_NF_CHAIN_FORWARD,
} NsNfChain;

typedef enum {
    NS_NF_ACCEPT,
    NS_NF_DROP,
    NS_NF_REJECT,     /* ICMP port unreachable, as iptables' REJECT by default */
    NS_NF_REJECT_RST, /* `reject with tcp-reset`: a TCP RST */
    NS_NF_REJECT_ADMIN, /* `reject with admin-prohibited`: ICMP destination
                         * unreachable, administratively prohibited (IPv4
                         * code 13, RFC 1812; ICMPv6 code 1, RFC 4443) */
} NsNfAction;

typedef enum {
    NS_NF_MATCH_ANY_STATE,
    NS_NF_MATCH_NEW,         /* the first packets of a flow, before any reply */
    NS_NF_MATCH_ESTABLISHED, /* a flow that saw a reply, and ICMP errors about it */
} NsNfStateMatch;

/* An address match: net/prefix (prefix 0 with set false: any) and a port
 * (0: any); v6: net6/prefix instead (network order). */
typedef struct {
    bool set;
    uint32_t net;
    uint8_t prefix;
    uint16_t port;
    bool v6;
    uint8_t net6[16];
} NsNfAddrMatch;

typedef struct {
    uint32_t id; /* the caller's handle, for ns_nf_rule_remove() */
    NsNfChain chain;
    NsNfAction action;
    uint8_t proto; /* IP protocol number, 0 for any; ICMP matches ICMPv6 in IPv6 */
    uint8_t family; /* 4 or 6: that family's datagrams only; 0: both (a rule
                     * with a state matches IPv4 only: IPv6 flows are not
                     * tracked) */
    NsNfAddrMatch from, to;
    NsNfStateMatch state;
    /* Where the rule comes from, for traces and tables (copied; each may
     * be NULL/0): its name (`as NAME`), file and line. */
    const char *name;
    const char *file;
    uint32_t line;
} NsNfRule;

/* Connection-tracking timeouts (Linux's defaults, nf_conntrack sysctls). */
#define NS_CT_UDP_TIMEOUT NS_S(30)         /* udp_timeout: no reply seen */
#define NS_CT_UDP_STREAM_TIMEOUT NS_S(120) /* udp_timeout_stream: replied */
#define NS_CT_ICMP_TIMEOUT NS_S(30)
#define NS_CT_TCP_SYN_SENT NS_S(120)
#define NS_CT_TCP_SYN_RECV NS_S(60)
#define NS_CT_TCP_ESTABLISHED NS_S(432000) /* five days */
#define NS_CT_TCP_FIN_WAIT NS_S(120)
#define NS_CT_TCP_LAST_ACK NS_S(30)
#define NS_CT_TCP_TIME_WAIT NS_S(120)
#define NS_CT_TCP_CLOSE NS_S(10)

/* Conntrack's TCP states (the names `conntrack -L` prints). */
typedef enum {
    NS_CT_TCP_NONE, /* not TCP */
    NS_CT_TCP_STATE_SYN_SENT,
    NS_CT_TCP_STATE_SYN_RECV,
    NS_CT_TCP_STATE_ESTABLISHED,
    NS_CT_TCP_STATE_FIN_WAIT,
    NS_CT_TCP_STATE_LAST_ACK,
    NS_CT_TCP_STATE_TIME_WAIT,
    NS_CT_TCP_STATE_CLOSE,
} NsCtTcpState;

const char *ns_ct_tcp_state_name(NsCtTcpState state);

/* The netfilter of the host of `ip`, created on first use (the IP layer
 * owns it and frees it). */
NsNetfilter *ns_netfilter_of(NsIp *ip);
/* The host's netfilter, or NULL if it has none. */
NsNetfilter *ns_netfilter_peek(const NsIp *ip);
void ns_netfilter_free(NsNetfilter *nf);

/* Append a rule to its chain. */
void ns_nf_rule_add(NsNetfilter *nf, const NsNfRule *rule);
/* Remove the rules with this id; false if there was none. */
bool ns_nf_rule_remove(NsNetfilter *nf, uint32_t id);

/* Source NAT out of the interface holding `addr`: flows forwarded out of it
 * leave with `addr` as their source, keeping their source port (or ICMP
 * echo id) when no other flow to the same peer uses it, else the next free
 * one (ports below 1024 stay below 1024). */
void ns_nf_masquerade(NsNetfilter *nf, uint32_t addr);
/* Destination NAT: new flows of `proto` arriving for addr:port go to
 * to_addr:to_port. */
void ns_nf_forward(NsNetfilter *nf, uint8_t proto, uint32_t addr, uint16_t port,
                   uint32_t to_addr, uint16_t to_port);

/* One tracked flow as a table shows it. */
typedef struct {
    uint8_t proto;
    uint32_t src, dst;        /* original direction, as it arrived */
    uint16_t sport, dport;    /* ICMP: the echo id in both */
    uint32_t rsrc, rdst;      /* reply direction, as it will arrive */
    uint16_t rsport, rdport;
    NsCtTcpState tcp_state;
    bool seen_reply;
    bool translated;          /* NAT changed it */
    NsTime expires_in;        /* from `now` */
    bool v6;                  /* an IPv6 flow: the addresses are these */
    NsIpv6Addr src6, dst6, rsrc6, rdst6;
} NsCtRow;

typedef void (*NsCtRowFn)(const NsCtRow *row, void *data);
/* Call fn for every flow alive at `now`, oldest first. */
void ns_nf_conntrack_foreach(const NsNetfilter *nf, NsTime now, NsCtRowFn fn, void *data);
/* Flows alive at `now` that NAT translated. */
uint32_t ns_nf_mapping_count(const NsNetfilter *nf, NsTime now);

/* One rule with its hit counters. */
typedef struct {
    const NsNfRule *rule;
    uint64_t pkts, bytes;
} NsNfRuleRow;
typedef void (*NsNfRuleFn)(const NsNfRuleRow *row, void *data);
/* Rules in chain order (in, out, forward), each chain in match order. */
void ns_nf_rules_foreach(const NsNetfilter *nf, NsNfRuleFn fn, void *data);

/* `conntrack -L` style line of a flow, and `iptables -L -v` style line of a
 * rule (no newline; transfer full). */
char *ns_ct_row_format(const NsCtRow *row);
char *ns_nf_rule_format(const NsNfRuleRow *row);
const char *ns_nf_chain_name(NsNfChain chain);
