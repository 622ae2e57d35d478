/* ARP packets for IPv4 over Ethernet (RFC 826 "Packet format"). */
#include "netsim/wire/arp.h"

#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"

#define ARP_HTYPE_ETHERNET 1
#define ARP_PTYPE_IPV4 0x0800

NsWireResult ns_arp_parse(const uint8_t *buf, size_t len, NsArpRepr *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    if (buf == NULL || len < NS_ARP_LEN)
        return NS_WIRE_TRUNCATED;
    if (ns_read_be16(buf) != ARP_HTYPE_ETHERNET || ns_read_be16(buf + 2) != ARP_PTYPE_IPV4 ||
        buf[4] != NS_ETH_ALEN || buf[5] != 4)
        return NS_WIRE_UNSUPPORTED;
    uint16_t op = ns_read_be16(buf + 6);
    if (op != NS_ARP_OP_REQUEST && op != NS_ARP_OP_REPLY)
        return NS_WIRE_UNSUPPORTED;
    out->op = (NsArpOp)op;
    memcpy(out->sha, buf + 8, NS_ETH_ALEN);
    out->spa = ns_read_be32(buf + 14);
    memcpy(out->tha, buf + 18, NS_ETH_ALEN);
    out->tpa = ns_read_be32(buf + 24);
    return NS_WIRE_OK;
}

size_t ns_arp_emit(const NsArpRepr *repr, uint8_t *buf, size_t len)
{
    g_return_val_if_fail(repr != NULL, 0);
    if (buf == NULL || len < NS_ARP_LEN)
        return 0;
    switch (repr->op) {
    case NS_ARP_OP_REQUEST:
    case NS_ARP_OP_REPLY:
        break;
    default:
        /* A value cast into the enum; -Wswitch-enum still checks the names. */
        return 0;
    }
    ns_write_be16(buf, ARP_HTYPE_ETHERNET);
    ns_write_be16(buf + 2, ARP_PTYPE_IPV4);
    buf[4] = NS_ETH_ALEN;
    buf[5] = 4;
    ns_write_be16(buf + 6, (uint16_t)repr->op);
    memcpy(buf + 8, repr->sha, NS_ETH_ALEN);
    ns_write_be32(buf + 14, repr->spa);
    memcpy(buf + 18, repr->tha, NS_ETH_ALEN);
    ns_write_be32(buf + 24, repr->tpa);
    return NS_ARP_LEN;
}
