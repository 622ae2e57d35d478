/* Ethernet II (DIX) frame header: destination, source, EtherType.
 *
 * No 802.1Q tags and no 802.3 length/LLC frames: netsim links carry only
 * IPv4 and ARP, as the Linux reference captures do. The 4-byte FCS is not
 * part of the frame here (pcap DLT_EN10MB leaves it out too). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/result.h"

#define NS_ETH_ALEN 6
#define NS_ETH_HLEN 14
/* Shortest frame without FCS; senders pad shorter ones with zeros. */
#define NS_ETH_ZLEN 60

#define NS_ETHERTYPE_IPV4 0x0800
#define NS_ETHERTYPE_ARP 0x0806

/* Length of the text ns_mac_format() writes, NUL included. */
#define NS_MAC_STRLEN 18

/* ff:ff:ff:ff:ff:ff */
extern const uint8_t ns_eth_broadcast[NS_ETH_ALEN];

typedef struct {
    uint8_t dst[NS_ETH_ALEN];
    uint8_t src[NS_ETH_ALEN];
    uint16_t ethertype;
} NsEthRepr;

/* Parse the header of the frame buf[0..len) into `out`; the payload is
 * buf[NS_ETH_HLEN..len) (it may include padding beyond the IP total
 * length). TRUNCATED below 14 bytes; UNSUPPORTED when the type field is an
 * 802.3 length (< 0x0600) rather than an EtherType. */
NsWireResult ns_eth_parse(const uint8_t *buf, size_t len, NsEthRepr *out);

/* Write the 14-byte header of `repr` at buf[0..14). Returns NS_ETH_HLEN, or
 * 0 (nothing written) if `len` is smaller. */
size_t ns_eth_emit(const NsEthRepr *repr, uint8_t *buf, size_t len);

/* True if `mac` is ff:ff:ff:ff:ff:ff. */
bool ns_mac_is_broadcast(const uint8_t mac[NS_ETH_ALEN]);

/* Write `mac` as lowercase "02:00:00:00:00:01" (as tcpdump and Wireshark)
 * into out[0..18), NUL-terminated. */
void ns_mac_format(const uint8_t mac[NS_ETH_ALEN], char out[NS_MAC_STRLEN]);
