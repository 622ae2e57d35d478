/* ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet that follows an
 * Ethernet header with EtherType 0x0806.
 *
 * Only hardware type 1 (Ethernet, 6-byte addresses) with protocol type
 * 0x0800 (IPv4, 4-byte addresses) and the request/reply operations exist
 * here; RARP and other pairings parse as UNSUPPORTED. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/eth.h"
#include "netsim/wire/result.h"

#define NS_ARP_LEN 28

typedef enum {
    NS_ARP_OP_REQUEST = 1,
    NS_ARP_OP_REPLY = 2,
} NsArpOp;

typedef struct {
    NsArpOp op;
    uint8_t sha[NS_ETH_ALEN]; /* sender hardware address */
    uint32_t spa;             /* sender protocol address, host order */
    uint8_t tha[NS_ETH_ALEN]; /* target hardware address (zero in requests) */
    uint32_t tpa;             /* target protocol address, host order */
} NsArpRepr;

/* Parse the ARP packet at buf[0..len) into `out`; bytes past the 28 (the
 * Ethernet padding) are ignored. TRUNCATED below 28 bytes; UNSUPPORTED for
 * another hardware/protocol type or address length, or an operation other
 * than request or reply. */
NsWireResult ns_arp_parse(const uint8_t *buf, size_t len, NsArpRepr *out);

/* Write the 28-byte packet of `repr` at buf[0..28). Returns NS_ARP_LEN, or 0
 * (nothing written) if `len` is smaller or `repr->op` is not an NsArpOp. */
size_t ns_arp_emit(const NsArpRepr *repr, uint8_t *buf, size_t len);
