/* Hosts and their interfaces: the Ethernet side of a node, with ARP
 * (RFC 826) resolving next hops into MAC addresses as a real host does.
 *
 * The host layer knows nothing of IP beyond addresses: the IP layer above
 * registers itself (ns_host_set_l3) and receives every IPv4 datagram that
 * arrives, and is told when a next hop could not be resolved. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/ctx.h"
#include "netsim/link.h"
#include "netsim/rng.h"
#include "netsim/wire/ipv6.h"

typedef struct NsHost NsHost;
typedef struct NsIface NsIface;

/* Behaviour profiles of the transport layers (`tcp PROFILE` in a scenario). */
typedef enum {
    NS_PROFILE_MINIMAL, /* RFC behaviour only; sequential ephemeral ports */
    NS_PROFILE_LINUX,   /* what a current Linux host does */
} NsProfile;

const char *ns_profile_name(NsProfile profile);

/* Called with every IPv4 datagram that reaches the host (transfer full). */
typedef void (*NsL3InputFn)(void *l3, NsIface *iface, NsPacket *datagram);
/* Called with a datagram whose next hop did not answer ARP (transfer full). */
typedef void (*NsL3UnreachFn)(void *l3, NsIface *iface, NsPacket *datagram);

/* ARP timing (Linux defaults: 3 requests one second apart; entries stay
 * reachable about 30 s, then are confirmed again with a unicast request). */
#define NS_ARP_RETRIES 3
#define NS_ARP_RETRY_INTERVAL NS_S(1)
#define NS_ARP_REACHABLE_TIME NS_S(30)
/* Datagrams held per unresolved neighbour, the oldest dropped when more
 * arrive: on `minimal` at most 3 datagrams; on `linux` at most 212992
 * bytes of them, whatever their number (net.ipv4.neigh.default.
 * unres_qlen_bytes). */
#define NS_ARP_QUEUE_LEN 3
#define NS_ARP_QUEUE_BYTES_LINUX 212992u

/* (transfer full) a host. `index` is its declaration order (from 0): it
 * derives the MAC addresses and the random streams, so they do not depend
 * on the seed or on other hosts. */
NsHost *ns_host_new(NsCtx *ctx, const char *name, uint32_t index, bool is_router,
                    NsProfile profile);
void ns_host_free(NsHost *host);

const char *ns_host_name(const NsHost *host);
uint32_t ns_host_index(const NsHost *host);
bool ns_host_is_router(const NsHost *host);
NsProfile ns_host_profile(const NsHost *host);
NsCtx *ns_host_ctx(const NsHost *host);
/* The host's own random stream (ISNs, ephemeral ports, DNS ids). */
NsRng *ns_host_rng(NsHost *host);

/* Add an interface with address/prefix attached to `seg`. Its MAC is
 * 02:00:HH:HH:HH:II from the host index (HHHHHH, from 1) and interface
 * number (II, from 1): locally administered and stable. */
NsIface *ns_host_add_iface(NsHost *host, uint32_t addr, uint8_t prefix_len, NsSegment *seg);
uint32_t ns_host_iface_count(const NsHost *host);
NsIface *ns_host_iface(const NsHost *host, uint32_t i);
/* The interface holding `addr`, or NULL. */
NsIface *ns_host_iface_by_addr(const NsHost *host, uint32_t addr);
bool ns_host_has_addr(const NsHost *host, uint32_t addr);
/* True when `addr` is the directed broadcast address of a subnet attached
 * to one of the host's interfaces (none for /31 and /32). */
bool ns_host_is_directed_broadcast(const NsHost *host, uint32_t addr);

void ns_host_set_l3(NsHost *host, NsL3InputFn input, NsL3UnreachFn unreach, void *l3);
/* The IPv6 layer: every IPv6 datagram that reaches the host, unicast to
 * the interface's MAC or multicast (33:33:...), goes to `input`. */
void ns_host_set_l3_v6(NsHost *host, NsL3InputFn input, void *l3);

/* A crashed host neither sends nor receives; its ARP cache is lost. */
void ns_host_set_up(NsHost *host, bool up);
bool ns_host_is_up(const NsHost *host);
/* Whether an unresolved neighbour's queue, holding `count` datagrams of
 * `bytes` bytes in all, has no room for one more of `adding` bytes on this
 * host's profile (NS_ARP_QUEUE_LEN, NS_ARP_QUEUE_BYTES_LINUX): ARP and
 * Neighbor Discovery alike, as Linux's neighbour tables share it. */
bool ns_host_neigh_queue_full(const NsHost *host, uint32_t count, uint32_t bytes,
                              uint32_t adding);

NsHost *ns_iface_host(const NsIface *iface);
uint32_t ns_iface_index(const NsIface *iface); /* from 0 */
uint32_t ns_iface_addr(const NsIface *iface);
uint8_t ns_iface_prefix_len(const NsIface *iface);
const uint8_t *ns_iface_mac(const NsIface *iface);
NsSegment *ns_iface_segment(const NsIface *iface);
uint32_t ns_iface_mtu(const NsIface *iface);
/* False for an interface on an IPv6-only network (its IPv4 address is 0). */
bool ns_iface_has_ipv4(const NsIface *iface);

/* IPv6 addresses of an interface: its link-local address (fe80::/64 with
 * the modified EUI-64 identifier of its MAC: 02:00:00:00:01:01 gives
 * fe80::ff:fe00:101), which every interface has, and up to
 * NS_IFACE_MAX_ADDR6 others given by the scenario. */
#define NS_IFACE_MAX_ADDR6 4
const NsIpv6Addr *ns_iface_link_local(const NsIface *iface);
bool ns_iface_add_addr6(NsIface *iface, const NsIpv6Addr *addr, uint8_t prefix_len);
uint32_t ns_iface_addr6_count(const NsIface *iface);
const NsIpv6Addr *ns_iface_addr6(const NsIface *iface, uint32_t i, uint8_t *prefix_len);
/* Whether addr is the interface's link-local or one of its addresses. */
bool ns_iface_owns_addr6(const NsIface *iface, const NsIpv6Addr *addr);
/* Frame `datagram` (transfer full) for dst_mac with the given ethertype
 * and put it on the interface's segment: for a layer that resolved the
 * neighbour itself (IPv6's Neighbor Discovery). */
void ns_iface_send_frame(NsIface *iface, NsPacket *datagram, const uint8_t dst_mac[6],
                         uint16_t ethertype);

/* Send an IPv4 datagram out of `iface` to the neighbour `next_hop`
 * (transfer full). Resolves next_hop with ARP first when needed; datagrams
 * wait in the neighbour's queue meanwhile. */
void ns_iface_output(NsIface *iface, NsPacket *datagram, uint32_t next_hop);

/* The ARP cache's states are NsNeighState (netsim/trace.h), named by
 * ns_neigh_state_name(): INCOMPLETE while a request is unanswered,
 * REACHABLE for 30 s after a reply, STALE after that until a datagram needs
 * it, PROBE while a unicast request confirms it (ARP sends that request at
 * once: it has no DELAY state; IPv6's Neighbor Discovery has). */

typedef struct {
    uint32_t addr;
    uint8_t mac[6];   /* zero while INCOMPLETE */
    uint32_t ifindex; /* from 0: eth0, eth1, ... */
    NsNeighState state;
} NsNeighRow;
typedef void (*NsNeighRowFn)(const NsNeighRow *row, void *data);
/* Every entry, interface by interface, by address. */
void ns_host_neigh_foreach(const NsHost *host, NsNeighRowFn fn, void *data);
/* "10.0.0.1 dev eth0 lladdr 02:00:00:00:01:01 REACHABLE" (transfer full) */
char *ns_neigh_row_format(const NsNeighRow *row);

/* Number of ARP cache entries (resolved or not), for tests. */
uint32_t ns_iface_arp_entries(const NsIface *iface);
/* True and the MAC when `addr` is resolved in the cache. */
bool ns_iface_arp_lookup(const NsIface *iface, uint32_t addr, uint8_t mac_out[6]);
