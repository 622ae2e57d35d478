/* UDP (RFC 768) endpoints over the shared PCB table: datagram receive
 * queues, implicit ephemeral binding on first send, ICMP port unreachable
 * for datagrams to closed ports, and errors reported to connected sockets
 * only, as Linux does without IP_RECVERR. The socket layer wraps these. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/host.h"
#include "netsim/ip.h"

typedef struct NsUdp NsUdp;
typedef struct NsUdpSock NsUdpSock;

/* Receive buffer per socket, bytes of payload (Linux rmem_default). */
#define NS_UDP_RCVBUF 212992

/* (transfer full) the UDP layer of a host with IP; registers with IP. */
NsUdp *ns_udp_new(NsHost *host);
void ns_udp_free(NsUdp *udp);
NsUdp *ns_udp_of(const NsHost *host);

/* Called (synchronously; the socket layer defers) when data or an error
 * arrives for the endpoint. */
typedef void (*NsUdpNotifyFn)(void *owner);

/* (transfer full) an unbound endpoint. */
NsUdpSock *ns_udp_sock_new(NsUdp *udp, NsUdpNotifyFn notify, void *owner);
/* Unbind and free, dropping queued datagrams. */
void ns_udp_sock_free(NsUdpSock *s);

int ns_udp_bind(NsUdpSock *s, uint32_t addr, uint16_t port);
/* With IPv6 socket addresses (the socket becomes of the IPv6 family; an
 * IPv4-mapped address means IPv4, :: both families): as bind, connect,
 * sendto and recvfrom, an IPv4 sender given as ::ffff:a.b.c.d. */
int ns_udp_bind6(NsUdpSock *s, const NsIpv6Addr *addr, uint16_t port);
int ns_udp_connect6(NsUdpSock *s, const NsIpv6Addr *addr, uint16_t port);
int ns_udp_sendto6(NsUdpSock *s, const uint8_t *data, size_t len, const NsIpv6Addr *addr,
                   uint16_t port);
long ns_udp_recvfrom6(NsUdpSock *s, uint8_t *buf, size_t cap, NsIpv6Addr *addr,
                      uint16_t *port);
/* Fix the peer (and the local address and port, if unbound). */
int ns_udp_connect(NsUdpSock *s, uint32_t addr, uint16_t port);
/* Send one datagram; to 0:0 means the connected peer. A pending error of a
 * connected socket is returned (and cleared) first, as Linux. */
int ns_udp_sendto(NsUdpSock *s, const uint8_t *data, size_t len, uint32_t addr, uint16_t port);
/* Take the next datagram: its length (the copy is cut at cap), sender and
 * payload; -EAGAIN when none, -errno for a pending error. */
long ns_udp_recvfrom(NsUdpSock *s, uint8_t *buf, size_t cap, uint32_t *addr, uint16_t *port);
/* Datagrams and bytes waiting. */
uint32_t ns_udp_queued(const NsUdpSock *s, size_t *bytes);
/* The pending error (SO_ERROR), cleared by reading. */
int ns_udp_take_error(NsUdpSock *s);
