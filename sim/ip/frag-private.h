/* IP fragmentation: IPv4's (RFC 791 2.3 and 3.2; RFC 1812 5.2.6 for
 * routers) and IPv6's at the source (RFC 8200 4.5), and one reassembler
 * for both (RFC 791 3.2 and RFC 8200 4.5, holes as RFC 815 describes,
 * overlaps as RFC 5722) with Linux's limits (net.ipv4.ipfrag_time,
 * net.ipv6.ip6frag_time, ipfrag_high_thresh). Shared by ip.c, ip6.c and
 * the frag test suite. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/sim.h"
#include "netsim/trace.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"
#include "netsim-private/packet.h"

/* Linux's defaults: an incomplete datagram is given up 30 s after its
 * first fragment arrived (net.ipv4.ipfrag_time); fragments are refused
 * while the held ones take more than 4 MiB (net.ipv4.ipfrag_high_thresh,
 * 4194304 since Linux 4.17). */
#define NS_IPFRAG_TIME NS_S(30)
#define NS_IPFRAG_HIGH_THRESH ((size_t)4 << 20)

/* One fragment made by ns_ipv4_fragment() (transfer full). */
typedef void (*NsFragOutFn)(void *data, NsPacket *frag);

/* Cut `dgram` (its IPv4 header first; transfer full) into fragments of at
 * most `mtu` bytes, as Linux's ip_do_fragment: each fragment but the last
 * carries (mtu - header) rounded down to 8 bytes of data, all keep the ID,
 * TTL and protocol, DF is cleared, MF is set on all but the last (and on
 * the last too if `dgram` was itself a non-last fragment); the header of
 * each is 20 bytes (netsim sends no options) with its checksum. The
 * fragments go to `out` in order of offset, each with `headroom` bytes in
 * front. Returns the number of fragments, 0 (dgram untouched) when the MTU
 * leaves no 8 bytes of data (below 28) or dgram is not a valid header. */
uint32_t ns_ipv4_fragment(NsPacket *dgram, uint32_t mtu, size_t headroom, NsFragOutFn out,
                          void *data);

/* IPv6 (RFC 8200 4.5): cut `dgram` (its 40-byte header first, no
 * extension header; transfer full) into fragments of at most `mtu` bytes,
 * each the header (Next Header 44, its payload length) and a Fragment
 * header (the datagram's next header, the offset, M on all but the last,
 * `id`) before (mtu - 48) rounded down to 8 bytes of data. Returns the
 * number of fragments, 0 (dgram untouched) if the MTU leaves no 8 bytes
 * of data. */
uint32_t ns_ipv6_fragment(NsPacket *dgram, uint32_t mtu, uint32_t id, size_t headroom,
                          NsFragOutFn out, void *data);
/* IPv6 reassembly gives a datagram 60 s (net.ipv6.ip6frag_time); its
 * memory limit is IPv4's (ip6frag_high_thresh, 4 MiB). */
#define NS_IP6FRAG_TIME NS_S(60)

/* Reassembly of the datagrams addressed to one host. */
typedef struct NsIpReasm NsIpReasm;

typedef struct {
    /* A fragment is given up (the reassembler frees it after the call). */
    void (*drop)(void *data, const NsPacket *frag, NsDropReason why);
    /* A datagram timed out with its first fragment (offset 0) in hand:
     * `head` is that fragment, for the ICMP time exceeded (code 1) that
     * RFC 792 and Linux's ip_expire send. */
    void (*expired)(void *data, const NsPacket *head);
} NsIpReasmOps;

/* (transfer full) an empty reassembler; timers run on `sim`, datagrams are
 * built from `pool`. */
NsIpReasm *ns_ip_reasm_new(NsSim *sim, NsPacketPool *pool, const NsIpReasmOps *ops, void *data);
/* Frees every held fragment silently and cancels the timers. */
void ns_ip_reasm_free(NsIpReasm *r);
/* Forget every held fragment without a trace (a host crash). */
void ns_ip_reasm_clear(NsIpReasm *r);

/* Take a fragment (`h` is its parsed header, MF set or offset non-zero;
 * transfer full). Returns the whole datagram (its header from the first
 * fragment, MF and offset cleared, total length and checksum set; transfer
 * full) when this fragment completed it, else NULL: the fragment is held,
 * or was dropped through ops->drop, as Linux does:
 *  - a duplicate (its bytes all held already): that fragment only;
 *  - an overlap (RFC 5722 for IPv6; Linux does the same for IPv4 since
 *    4.19), a last fragment that disagrees with the known end, data past
 *    the end, an empty fragment, or a datagram over 65535 bytes: the whole
 *    datagram, every held fragment with it;
 *  - over the memory limit: that fragment. */
NsPacket *ns_ip_reasm_input(NsIpReasm *r, NsPacket *frag, const NsIpv4Repr *h);
/* The same for an IPv6 fragment: `h` its header, `fh` its Fragment header
 * (right after it); the datagram comes back with the 40-byte header of the
 * first fragment, the Fragment header gone, its Next Header and payload
 * length set, and *max_frag (unless NULL) the length of its largest
 * fragment, for a router that cuts it again as Linux does (frag_max_size).
 * The same rules, overlaps included (RFC 5722). */
NsPacket *ns_ip6_reasm_input(NsIpReasm *r, NsPacket *frag, const NsIpv6Repr *h,
                             const NsIpv6FragRepr *fh, uint32_t *max_frag);

/* Limits (tests; the defaults are Linux's above). */
void ns_ip_reasm_set_limits(NsIpReasm *r, NsTime timeout, size_t high_thresh);
/* Bytes held (the fragments' lengths) and datagrams waiting. */
size_t ns_ip_reasm_mem(const NsIpReasm *r);
uint32_t ns_ip_reasm_pending(const NsIpReasm *r);
