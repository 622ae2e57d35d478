/* TCP (RFC 9293) endpoints of one host: connections, listeners with a
 * backlog, reliable flow-controlled transfer (RFC 6298 RTO, RFC 5681/6582
 * NewReno), and the `minimal` and `linux` behaviour profiles. The socket
 * layer wraps these; the connection core underneath does no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/host.h"
#include "netsim/tcp-state.h"
#include "netsim/time.h"
#include "netsim/wire/ipv6.h"

typedef struct NsTcp NsTcp;         /* the TCP layer of one host */
typedef struct NsTcpSock NsTcpSock; /* one endpoint: a listener or a connection */

/* How long a connection of `profile` waits in TIME-WAIT (2MSL). */
NsTime ns_tcp_time_wait(NsProfile profile);

/* Something changed: readable, writable, connected, accept-ready, error,
 * closed. Called at the end of the TCP layer's input or timer processing,
 * never from inside an application call; the socket layer defers it to an
 * event of its own anyway. */
typedef void (*NsTcpNotifyFn)(void *owner);

/* (transfer full) the TCP layer of a host with IP (ns_ip_of()): registers
 * protocol 6 with IP and keeps itself with the host. The profile
 * comes from ns_host_profile(). */
NsTcp *ns_tcp_new(NsHost *host);
/* Frees every endpoint (including ones the application still holds:
 * call it last) and cancels every timer. */
void ns_tcp_free(NsTcp *tcp);
NsTcp *ns_tcp_of(const NsHost *host);

/* Set one of the Linux sysctls the profiles model, for this host's
 * connections opened from now on: net.ipv4.tcp_timestamps, tcp_sack, tcp_dsack,
 * tcp_window_scaling, tcp_syn_retries, tcp_synack_retries, tcp_retries2,
 * tcp_recovery (bit 0: RACK), tcp_early_retrans (3 or 4: tail loss
 * probes), tcp_fin_timeout (seconds), tcp_rmem and tcp_wmem ("MIN DEFAULT
 * MAX": the maximum sizes the buffer, and tcp_rmem's the window scale, as
 * Linux's tcp_select_initial_window), the keepalive ones, and the sizes
 * of TSO packets: tcp_min_tso_segs (1-255), tcp_tso_rtt_log (0-31),
 * tcp_pacing_ss_ratio and tcp_pacing_ca_ratio (0-1000 percent),
 * tcp_tso_win_divisor (0-255). `value` as sysctl takes it. Returns
 * 0, ENOENT (a sysctl netsim does not model) or EINVAL (a bad value). */
int ns_tcp_set_sysctl(NsTcp *tcp, const char *name, const char *value);

/* The congestion control this host's connections use, by Linux's name
 * for it (net.ipv4.tcp_congestion_control, TCP_CONGESTION): "cubic" or
 * "reno" (NewReno, RFC 6582). */
const char *ns_tcp_congestion_control(const NsTcp *tcp);

/* The values of those sysctls this host's TCP runs with, each as
 * `sysctl NAME=VALUE` would set it, in the order above, and the keepalive
 * ones: what a packetdrill script exported from this host sets in its
 * preamble. tcp_rmem and tcp_wmem are not listed: a profile's buffers and
 * window scale are not one tcp_rmem (linux: the scale of Linux's default
 * tcp_rmem maximum, 32 MiB, with 6 MiB buffers). */
void ns_tcp_foreach_sysctl(const NsTcp *tcp,
                           void (*fn)(const char *name, const char *value, void *data),
                           void *data);

/* Host crash: every connection and listener vanishes without sending
 * anything; timers are cancelled. Handles the application holds stay valid
 * (state CLOSED, error 0) until ns_tcp_close(); orphans are freed. */
void ns_tcp_crash(NsTcp *tcp);

/* (transfer none: the handle is valid until ns_tcp_close/ns_tcp_abort) an
 * unbound endpoint in state CLOSED. */
NsTcpSock *ns_tcp_sock_new(NsTcp *tcp, NsTcpNotifyFn notify, void *owner);
/* Set who hears about an accepted socket (accept returns it with none). */
void ns_tcp_sock_set_notify(NsTcpSock *s, NsTcpNotifyFn notify, void *owner);

/* 0, or EADDRINUSE / EADDRNOTAVAIL / EINVAL (already bound). port 0 picks
 * an ephemeral port. */
int ns_tcp_bind(NsTcpSock *s, uint32_t addr, uint16_t port);
/* The same for a socket of the IPv6 family (RFC 3493): an IPv4-mapped
 * address (::ffff:a.b.c.d) binds IPv4; :: takes both families, IPv4 peers
 * seen as IPv4-mapped addresses (Linux with bindv6only=0). */
int ns_tcp_bind6(NsTcpSock *s, const NsIpv6Addr *addr, uint16_t port);
/* Passive open (binds an ephemeral port if unbound). backlog bounds both
 * the SYN queue (children in SYN-RECEIVED) and the accept queue; 0 means 1.
 * Returns 0, EINVAL (connected), EADDRINUSE. Calling it again on a
 * listener changes the backlog. */
int ns_tcp_listen(NsTcpSock *s, uint32_t backlog);
/* (transfer none, as any handle) the next ESTABLISHED (or later: a child
 * that already got the peer's FIN is handed out in CLOSE-WAIT) child in
 * arrival order, or NULL with *err = EAGAIN, or EINVAL if not listening. */
NsTcpSock *ns_tcp_accept(NsTcpSock *listener, int *err);
/* Active open: binds an ephemeral port if needed, sends the SYN and
 * returns 0 (EINPROGRESS-like; completion through notify and the state:
 * ESTABLISHED, or CLOSED with the error in ns_tcp_take_error()), or
 * EISCONN, EALREADY, EINVAL (listening), ENETUNREACH, EADDRINUSE, EAGAIN
 * (no ephemeral port). */
int ns_tcp_connect(NsTcpSock *s, uint32_t addr, uint16_t port);
/* The same to an IPv6 socket address (IPv4-mapped: over IPv4); the MSS
 * offered is the route's MTU less 60 bytes over IPv6 (1440 on 1500).
 * EAFNOSUPPORT on a socket bound to an IPv4 address. */
int ns_tcp_connect6(NsTcpSock *s, const NsIpv6Addr *addr, uint16_t port);
/* Bytes taken into the send buffer (may be < len; data given before the
 * connection is established waits for it), or -EAGAIN (buffer full),
 * -EPIPE (after shutdown write, or the connection is gone), -ENOTCONN,
 * or -error for a pending asynchronous error (which is then cleared). */
long ns_tcp_send(NsTcpSock *s, const uint8_t *data, size_t len);
/* As ns_tcp_send() of head_len bytes from head (may be 0) followed by len
 * bytes of the payload pattern from pattern offset `off` (netsim/pattern.h),
 * in one write: the send buffer keeps (offset, length) for the pattern, not
 * the bytes, which are made when a segment is built. */
long ns_tcp_send_pattern(NsTcpSock *s, const uint8_t *head, size_t head_len, uint64_t off,
                         size_t len);
/* Bytes copied to buf (buf may be NULL to discard), 0 at end of stream
 * (FIN received and every byte read, or after shutdown read), -EAGAIN,
 * -ECONNRESET / -ETIMEDOUT / ... (pending error, cleared), -ENOTCONN. */
long ns_tcp_recv(NsTcpSock *s, uint8_t *buf, size_t cap);
/* Half-close. wr: queue a FIN after the buffered data (ESTABLISHED ->
 * FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK). rd: later recv returns 0 and
 * buffered data is discarded. Returns 0 or ENOTCONN. */
int ns_tcp_shutdown(NsTcpSock *s, bool rd, bool wr);
/* The application lets go: the handle is invalid afterwards. The
 * connection lives on inside NsTcp (FIN-WAIT, TIME-WAIT, LAST-ACK) until
 * CLOSED. Unread received data means RST instead of FIN (RFC 9293 3.10.4,
 * RFC 2525 2.17). A listener's unaccepted children are reset. Returns 0. */
int ns_tcp_close(NsTcpSock *s);
/* SO_LINGER 0: RST if synchronized, then free the handle. */
void ns_tcp_abort(NsTcpSock *s);

/* Socket options, with Linux's meanings and units (setsockopt(2)). */
typedef enum {
    NS_SO_RCVBUF,      /* bytes; kept (and reported) doubled, as Linux */
    NS_SO_SNDBUF,
    NS_SO_KEEPALIVE,   /* 0/1 */
    NS_SO_LINGER,      /* seconds, -1: off; 0: close resets the connection */
    NS_SO_TCP_NODELAY, /* 0/1 */
    NS_SO_TCP_MAXSEG,  /* bytes: the MSS offered and the largest segment sent */
    NS_SO_TCP_KEEPIDLE,  /* seconds idle before the first keepalive probe */
    NS_SO_TCP_KEEPINTVL, /* seconds between probes */
    NS_SO_TCP_KEEPCNT,   /* unanswered probes before the connection is reset */
    NS_SO_TCP_USER_TIMEOUT, /* ms data may stay unacknowledged (RFC 5482), 0: off */
    NS_SO_TCP_CORK,    /* 0/1: hold partial segments until uncorked (or the probe timer) */
} NsSockOpt;
/* 0, or -EINVAL for a value out of Linux's range. */
int ns_tcp_setsockopt(NsTcpSock *s, NsSockOpt opt, int64_t value);
int ns_tcp_getsockopt(const NsTcpSock *s, NsSockOpt opt, int64_t *value);
/* The pending asynchronous error (SO_ERROR), cleared by reading. */
int ns_tcp_take_error(NsTcpSock *s);
NsTcpState ns_tcp_state(const NsTcpSock *s);
void ns_tcp_set_nodelay(NsTcpSock *s, bool on);
/* recv with MSG_PEEK: as ns_tcp_recv, but the bytes stay to be read. */
long ns_tcp_peek(NsTcpSock *s, uint8_t *buf, size_t cap);

/* poll(2) events, Linux's bits. */
#define NS_POLLIN 0x001
#define NS_POLLPRI 0x002
#define NS_POLLOUT 0x004
#define NS_POLLERR 0x008
#define NS_POLLHUP 0x010
#define NS_POLLNVAL 0x020
#define NS_POLLRDNORM 0x040
#define NS_POLLWRNORM 0x100
#define NS_POLLRDHUP 0x2000
/* What poll reports for the endpoint now (Linux tcp_poll): readable data,
 * FIN or shutdown (IN, RDNORM, RDHUP), room to write (OUT, WRNORM: free
 * room of at least half what is queued), closed (HUP), a pending error
 * (ERR); a listener is readable while a connection waits to be accepted.
 * Not writeable, the endpoint notes that its owner waits for room, and
 * tells it when enough is freed, as after a write that found it full. */
uint32_t ns_tcp_poll(NsTcpSock *s);

/* Bytes waiting to be read. The FIN does not count: check
 * ns_tcp_at_eof() for it (a recv then returns 0). */
size_t ns_tcp_readable(const NsTcpSock *s);
/* True when recv would return 0: the peer's FIN has arrived (or read was
 * shut down) and every byte before it has been read. */
bool ns_tcp_at_eof(const NsTcpSock *s);
/* True when recv or send would fail with an error (pending error, or the
 * connection was reset/timed out). */
bool ns_tcp_has_error(const NsTcpSock *s);
/* Free room in the send buffer (0 when send would give -EAGAIN). */
size_t ns_tcp_send_space(const NsTcpSock *s);
/* Children waiting in the accept queue of a listener. */
uint32_t ns_tcp_accept_pending(const NsTcpSock *listener);

typedef struct {
    uint64_t bytes_sent, bytes_acked, bytes_received, segs_sent, segs_received, retransmits;
    NsTime srtt; /* 0 before the first sample */
    uint32_t cwnd, ssthresh, mss; /* bytes */
    uint32_t recv_q, send_q;      /* unread bytes; unacknowledged + unsent bytes */
    /* What Linux's TCP_INFO reports besides (tcpi_* names in comments). */
    NsTcpState state;             /* tcpi_state */
    NsTcpCaState ca_state;        /* tcpi_ca_state */
    NsTime rto, rttvar;           /* tcpi_rto (backed off), tcpi_rttvar */
    uint32_t unacked;             /* tcpi_unacked: segments in flight (listener: accept queue) */
    uint32_t sacked;              /* tcpi_sacked: segments the peer SACKed */
    uint8_t backoff;              /* tcpi_retransmits / tcpi_backoff: timeouts in a row */
    bool opt_ts, opt_sack, opt_wscale; /* tcpi_options */
    uint8_t snd_wscale, rcv_wscale;
    uint32_t rcv_mss, adv_mss;    /* tcpi_rcv_mss, tcpi_advmss */
    uint32_t snd_wnd, rcv_wnd;    /* the peer's window; the one we last offered (bytes) */
    uint32_t rcv_ssthresh;        /* tcpi_rcv_ssthresh */
    uint32_t notsent;             /* tcpi_notsent_bytes */
    bool ssthresh_initial;        /* ssthresh still "infinite" (RFC 5681 3.1) */
    bool syn_acked;               /* our SYN is acknowledged (tcpi_bytes_acked counts it) */
} NsTcpInfo;
void ns_tcp_info(const NsTcpSock *s, NsTcpInfo *out);
/* The connection's initial send sequence number, and the peer's (IRS) once
 * its SYN has arrived; false (irs untouched) before that. */
bool ns_tcp_isns(const NsTcpSock *s, uint32_t *iss, uint32_t *irs);

/* Every endpoint of the host, including orphans (closed by the app, still
 * in FIN-WAIT/TIME-WAIT/LAST-ACK) and listeners and their unaccepted
 * children, in creation order, for `ss`-like tables and `expect sockets`.
 * Endpoints in CLOSED that the application still holds are listed too. */
void ns_tcp_foreach(const NsTcp *tcp, void (*fn)(const NsTcpSock *s, bool orphan, void *data),
                    void *data);
/* Number of endpoints ns_tcp_foreach() would list. */
uint32_t ns_tcp_count(const NsTcp *tcp);
