/* A BSD-like socket API per host, over UDP and TCP: what the scenario's
 * socket verbs and the applications use. Calls never block; a socket's
 * owner learns that it became readable, connected or failed through its
 * watch callback, which runs as its own event at the current time (never
 * inside the transport code that caused it).
 *
 * Errors, everywhere in this API, are negative errno values, as inside the
 * Linux kernel: a call returns 0 (or a byte count) on success and -EFOO on
 * failure; the two calls that return a socket return NULL and put the
 * -EFOO in *err. The one exception is a value, not a failure:
 * ns_socket_take_error() gives SO_ERROR's positive errno (0 for none). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/tcp.h"

typedef struct NsSocket NsSocket;

typedef enum { NS_SOCK_UDP, NS_SOCK_TCP } NsSockType;

typedef enum { NS_SHUT_RD = 1, NS_SHUT_WR = 2, NS_SHUT_RDWR = 3 } NsShutHow;

typedef void (*NsSocketWatchFn)(void *data, NsSocket *sock);

/* Set up the socket layer (and the transports under it) on a host whose IP
 * layer exists. */
void ns_socket_layer_init(NsHost *host);
void ns_socket_layer_free(NsHost *host);

/* A crash: every socket of the host vanishes, without a packet. */
void ns_socket_layer_crash(NsHost *host);

/* (transfer none: the host's socket table owns it until ns_socket_close)
 * a new socket (*err = 0), or NULL with *err = -errno. */
NsSocket *ns_socket_new(NsHost *host, NsSockType type, int *err);

NsSockType ns_socket_type(const NsSocket *sock);
NsHost *ns_socket_host(const NsSocket *sock);
/* Small per-host number in creation order, like a file descriptor. */
uint32_t ns_socket_fd(const NsSocket *sock);

void ns_socket_set_watch(NsSocket *sock, NsSocketWatchFn fn, void *data);

/* Each returns 0 or -errno. */
int ns_socket_bind(NsSocket *sock, uint32_t addr, uint16_t port);
/* UDP: fixes the peer at once. TCP: sends the SYN and returns 0 while the
 * handshake goes on (the watch hears of the outcome: ns_socket_state()
 * becomes ESTABLISHED, or ns_socket_take_error() gives the errno). */
int ns_socket_connect(NsSocket *sock, uint32_t addr, uint16_t port);
/* The same with IPv6 socket addresses (RFC 3493's sockaddr_in6): the
 * socket becomes one of the IPv6 family. An IPv4-mapped address
 * (::ffff:a.b.c.d) means IPv4; bound to ::, a socket takes both families
 * and sees IPv4 peers as IPv4-mapped addresses (Linux, bindv6only=0). */
int ns_socket_bind6(NsSocket *sock, const NsIpv6Addr *addr, uint16_t port);
int ns_socket_connect6(NsSocket *sock, const NsIpv6Addr *addr, uint16_t port);
int ns_socket_sendto6(NsSocket *sock, const uint8_t *data, size_t len, const NsIpv6Addr *addr,
                      uint16_t port);
long ns_socket_recvfrom6(NsSocket *sock, uint8_t *buf, size_t cap, NsIpv6Addr *addr,
                         uint16_t *port);
/* Whether the socket is of the IPv6 family; its ends as IPv6 addresses
 * (IPv4 ones mapped; :: and port 0 when none). */
bool ns_socket_is_v6(const NsSocket *sock);
void ns_socket_local6(const NsSocket *sock, NsIpv6Addr *addr, uint16_t *port);
void ns_socket_peer6(const NsSocket *sock, NsIpv6Addr *addr, uint16_t *port);

/* TCP only: passive open with a backlog (-EOPNOTSUPP on UDP). */
int ns_socket_listen(NsSocket *sock, uint32_t backlog);
/* TCP only: the next established connection of a listener, in arrival
 * order, as a new socket; NULL with *err = -EAGAIN while none is ready. */
NsSocket *ns_socket_accept(NsSocket *listener, int *err);
/* Stream write: bytes taken (possibly fewer than len), or -errno (-EAGAIN
 * while the send buffer is full). On UDP, one datagram: len or -errno. */
long ns_socket_write(NsSocket *sock, const uint8_t *data, size_t len);
/* TCP: as ns_socket_write() of head_len bytes (may be 0) and then len bytes
 * of the payload pattern from pattern offset `off`, in one write; the send
 * buffer holds the pattern without storing it (netsim/pattern.h). Returns
 * the bytes taken (head first), or -errno; -EOPNOTSUPP on UDP. */
long ns_socket_write_pattern(NsSocket *sock, const uint8_t *head, size_t head_len, uint64_t off,
                             size_t len);
/* One UDP datagram to addr:port, or to the connected peer: 0 or -errno.
 * The trace says what the payload is by itself (the context's decoder).
 * On TCP both are a whole write: 0, -EAGAIN when not all of it was taken,
 * or -errno. */
int ns_socket_sendto(NsSocket *sock, const uint8_t *data, size_t len, uint32_t addr,
                     uint16_t port);
int ns_socket_send(NsSocket *sock, const uint8_t *data, size_t len);
/* Bytes received (>= 0; the datagram's full length for UDP) or -errno
 * (-EAGAIN when nothing is there yet). */
long ns_socket_recvfrom(NsSocket *sock, uint8_t *buf, size_t cap, uint32_t *addr,
                        uint16_t *port);
/* TCP: as ns_socket_recvfrom into a buffer of cap bytes that nobody
 * reads: the bytes taken are counted, not copied (a stream observer still
 * hears them). -EOPNOTSUPP on UDP. */
long ns_socket_skip(NsSocket *sock, size_t cap);
/* 0 or -errno (-ENOTCONN). */
int ns_socket_shutdown(NsSocket *sock, NsShutHow how);
/* Release the socket; the handle is invalid afterwards. Returns 0. */
int ns_socket_close(NsSocket *sock);

/* TCP_NODELAY: send small segments at once instead of waiting, as Nagle's
 * algorithm does, for the ACK of what is outstanding. -ENOPROTOOPT on UDP. */
int ns_socket_set_nodelay(NsSocket *sock, bool on);

/* TCP: the connection state (NS_TCP_STATE_* of netsim/tcp.h); UDP: -1. */
int ns_socket_state(const NsSocket *sock);

/* The pending asynchronous error (SO_ERROR), cleared by reading. */
int ns_socket_take_error(NsSocket *sock);
/* recv with MSG_PEEK: the bytes stay to be read (-EOPNOTSUPP on UDP,
 * where it is not modelled). */
long ns_socket_peek(NsSocket *sock, uint8_t *buf, size_t cap);
/* poll(2): the NS_POLL* events (netsim/tcp.h) the socket has now. */
uint32_t ns_socket_poll(const NsSocket *sock);
/* setsockopt / getsockopt (NsSockOpt, netsim/tcp.h: Linux's meanings and
 * units): 0, -EINVAL for a value out of range; -ENOPROTOOPT on UDP, whose
 * buffers and options are not modelled. SO_LINGER 0 makes close() reset
 * the connection; other linger times close as usual (close never blocks). */
int ns_socket_setopt(NsSocket *sock, NsSockOpt opt, int64_t value);
int ns_socket_getopt(const NsSocket *sock, NsSockOpt opt, int64_t *value);
/* TCP_INFO: the connection's counters and state (netsim/tcp.h), 0; or
 * -ENOPROTOOPT on UDP. */
int ns_socket_tcp_info(const NsSocket *sock, NsTcpInfo *out);
/* True when a recvfrom would not return -EAGAIN. */
bool ns_socket_readable(const NsSocket *sock);

/* TCP: the socket's id for traces; 0 for UDP. */
uint32_t ns_socket_id(const NsSocket *sock);
/* TCP: the ISS, and the peer's ISN once its SYN arrived (else false). Both
 * ends of one connection see the same pair, whatever NAT did to the
 * addresses and ports between them. */
bool ns_socket_isns(const NsSocket *sock, uint32_t *iss, uint32_t *irs);
void ns_socket_local(const NsSocket *sock, uint32_t *addr, uint16_t *port);
void ns_socket_peer(const NsSocket *sock, uint32_t *addr, uint16_t *port);

/* A stream observer hears, on a host, every byte any application hands
 * to a TCP socket (as the send buffer takes it: `head` bytes, then bytes
 * of the payload pattern from `off` without storing them) and every byte
 * any application reads from one. `expect delivered all` checks streams
 * with it, whatever application made them. */
typedef struct {
    void (*wrote)(void *data, NsSocket *sock, const uint8_t *bytes, size_t n);
    void (*wrote_pattern)(void *data, NsSocket *sock, uint64_t off, size_t n);
    void (*read)(void *data, NsSocket *sock, const uint8_t *bytes, size_t n);
} NsStreamObserver;
/* obs NULL: none. obs is borrowed and must outlive the host's sockets. */
void ns_socket_set_stream_observer(NsHost *host, const NsStreamObserver *obs, void *data);

/* One row of a socket table, like `ss -tuan`. */
typedef struct {
    const char *proto; /* "udp", "tcp" */
    const char *state; /* "UNCONN", "ESTAB", "LISTEN", ... as ss prints */
    int tcp_state;     /* NS_TCP_STATE_* for TCP rows, -1 for UDP */
    bool orphan;       /* TCP: closed by its program, still finishing */
    uint32_t recv_q, send_q;
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint32_t fd;
    /* a socket of the IPv6 family: its ends as IPv6 addresses (IPv4 ones
     * mapped), laddr/raddr 0 over IPv6 */
    bool af6;
    NsIpv6Addr laddr6, raddr6;
} NsSocketRow;

/* A row's ends as `ss -tuan` writes them: "10.0.0.1:80", "*:80" (any
 * address), "[2001:db8::1]:80", "[::ffff:10.0.0.1]:49152" (an IPv4 peer
 * of an IPv6 socket), "*:*" (no peer). */
#define NS_SOCKET_END_STRLEN 64
void ns_socket_row_ends(const NsSocketRow *row, char local[NS_SOCKET_END_STRLEN],
                        char peer[NS_SOCKET_END_STRLEN]);

/* The host's sockets: UDP in creation order, then TCP endpoints (listeners,
 * connections, and those the program closed that are still finishing, such
 * as TIME-WAIT) in creation order. Returns an array of NsSocketRow. */
GArray *ns_socket_table(const NsHost *host);
uint32_t ns_socket_count(const NsHost *host);
