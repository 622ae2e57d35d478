/* The parsed form of a packetdrill script, shared by the parser (pkt.c)
 * and the runner (drill.c). */
#pragma once

#include "netsim/drill.h"
#include "netsim/tcp.h"
#include "netsim/wire/tcp.h"

/* ---- expressions: system call arguments ---- */
typedef enum {
    PKT_E_NUM,      /* 42, 0x10, -1 */
    PKT_E_IDENT,    /* SOCK_STREAM, O_NONBLOCK */
    PKT_E_ELLIPSIS, /* ... */
    PKT_E_STRING,   /* "text" */
    PKT_E_LIST,     /* [a, b] (a pointer to values) */
    PKT_E_STRUCT,   /* {name=value, ...} (items are FIELDs) */
    PKT_E_FIELD,    /* name=value (sub[0]) */
    PKT_E_CALL,     /* htons(8080), inet_addr("1.2.3.4") */
    PKT_E_OR,       /* a|b (sub[0], sub[1]) */
} PktExprKind;

typedef struct PktExpr PktExpr;
struct PktExpr {
    PktExprKind kind;
    int64_t num;
    char *str; /* IDENT, STRING, FIELD and CALL names */
    GPtrArray *sub; /* of PktExpr* (owned) */
};

/* --ip_version: packetdrill's three flavours (its config.c's table).
 * IPV4_MAPPED: AF_INET6 sockets with IPv4-mapped addresses, IPv4 on the
 * wire. */
typedef NsDrillIpVersion PktIpVersion;
#define PKT_IPV4 NS_DRILL_IPV4
#define PKT_IPV6 NS_DRILL_IPV6
#define PKT_IPV4_MAPPED NS_DRILL_IPV4_MAPPED_IPV6

/* An address of a --local_ip or --remote_ip line. */
typedef struct {
    bool given, v6;
    uint32_t v4;
    NsIpv6Addr a6;
    uint32_t line; /* where it was given */
} PktAddr;

/* ---- events ---- */
typedef enum { PKT_EV_PACKET, PKT_EV_SYSCALL, PKT_EV_SHELL, PKT_EV_CODE } PktEvKind;
typedef enum { PKT_T_ABS, PKT_T_REL, PKT_T_ANY } PktTimeKind;

/* One TCP option as written. */
typedef struct {
    uint8_t kind; /* NsTcpOptKind */
    uint32_t a, b; /* mss / wscale value / TS val and ecr */
    uint8_t n_sack;
    NsTcpSackBlock sack[NS_TCP_MAX_SACK];
} PktOpt;

typedef struct {
    PktEvKind kind;
    uint32_t line, col;
    /* time: start (ABS or REL to the previous event's end, or ANY), and an
     * end for ranges (t1~t2) and blocking calls (t1...t2); end_rel: the end
     * is relative to the start */
    PktTimeKind tkind;
    int64_t t_us;
    bool range, blocking, end_rel;
    int64_t end_us;

    /* PACKET */
    bool outbound;
    uint8_t proto; /* 6 TCP, 17 UDP, 1 ICMP */
    uint8_t flags;
    uint32_t seq, len; /* start and payload length (end = seq + len) */
    bool has_ack, has_win;
    uint32_t ack, win;
    bool any_opts, has_opts; /* <...>, <list> */
    uint8_t n_opts;
    PktOpt opts[NS_TCP_MAX_OPTS];
    char *icmp_text; /* ICMP: the words after "icmp" */
    /* ICMP (ICMPv6 in an IPv6 script): type and code, the MTU of
     * frag_needed or packet_too_big (0: none), and
     * the datagram it quotes: TCP [SEQ:END(LEN)] (seq, len above; the
     * default [0:0(0)]) or [udp (LEN)] */
    uint8_t icmp_type, icmp_code;
    uint32_t icmp_mtu; /* also packet too big's (ICMPv6) */
    uint8_t echoed_proto; /* 6 or 17 */

    /* SYSCALL */
    char *name;
    GPtrArray *args; /* of PktExpr* */
    bool ret_any;    /* = ... is not allowed; ret always given */
    int64_t ret;
    int err;         /* errno value expected with -1 (0: none) */
    char *err_name;  /* as written */

    /* SHELL (`...`) and CODE (%{ ... }%): the text */
    char *text;
} PktEvent;

struct NsPkt {
    char *name;
    char **lines; /* the script's text, line by line (for --trace) */
    GPtrArray *events; /* of PktEvent* */
    /* --flags of the script's own lines */
    int64_t tolerance_us; /* -1: not given */
    int mss;              /* --mss, 0: not given */
    PktIpVersion ip_version; /* --ip_version */
    /* --local_ip and --remote_ip: the stack's and the peer's addresses
     * (packetdrill's defaults when not given) */
    PktAddr local_ip, remote_ip;
    uint32_t flag_line;   /* where an unsupported --flag was, 0: none */
    char *flag_unsupported;
};

const char *pkt_expr_kind_name(PktExprKind k);

/* A %{ }% block's statements (code.c) against a TCP_INFO snapshot (NULL:
 * no TCP socket): true when every assertion holds; else false with the
 * reason in msg and the failing line's index within the block in *line. */
/* A tcpi_* field of a snapshot in Linux's units; false if not modelled. */
bool pkt_tcpi_value(const NsTcpInfo *info, const char *name, double *out);
bool pkt_code_eval(const char *text, const NsTcpInfo *info, uint32_t *line, GString *msg);

/* packetdrill's names of an ICMPv4 (v6: ICMPv6) type and of one of its
 * codes (NULL: none; a script writes type_N, code_N). */
const char *pkt_icmp_type_name(bool v6, uint8_t type);
const char *pkt_icmp_code_name(bool v6, uint8_t type, uint8_t code);

/* The options of a segment netsim sent, as PktOpts (TS val/ecr, SACK
 * blocks in the peer's numbers as they are on the wire), and one option as
 * a script writes it ("mss 1460", "sack 1:1001"): drill.c's messages and
 * export.c's scripts share them. */
uint8_t pkt_opts_of(const NsTcpRepr *t, PktOpt out[NS_TCP_MAX_OPTS]);
void pkt_opt_text(GString *s, const PktOpt *o);
