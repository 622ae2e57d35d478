/* Ethernet II header parse/emit and MAC address text (IEEE 802.3 clause 3.2
 * field layout, DIX EtherType semantics). */
#include "netsim/wire/eth.h"

#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"

/* Type field values below this are 802.3 lengths, not EtherTypes. */
#define ETHERTYPE_MIN 0x0600

const uint8_t ns_eth_broadcast[NS_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

NsWireResult ns_eth_parse(const uint8_t *buf, size_t len, NsEthRepr *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    if (buf == NULL || len < NS_ETH_HLEN)
        return NS_WIRE_TRUNCATED;
    uint16_t type = ns_read_be16(buf + 12);
    if (type < ETHERTYPE_MIN)
        return NS_WIRE_UNSUPPORTED;
    memcpy(out->dst, buf, NS_ETH_ALEN);
    memcpy(out->src, buf + 6, NS_ETH_ALEN);
    out->ethertype = type;
    return NS_WIRE_OK;
}

size_t ns_eth_emit(const NsEthRepr *repr, uint8_t *buf, size_t len)
{
    g_return_val_if_fail(repr != NULL, 0);
    if (buf == NULL || len < NS_ETH_HLEN)
        return 0;
    memcpy(buf, repr->dst, NS_ETH_ALEN);
    memcpy(buf + 6, repr->src, NS_ETH_ALEN);
    ns_write_be16(buf + 12, repr->ethertype);
    return NS_ETH_HLEN;
}

bool ns_mac_is_broadcast(const uint8_t mac[NS_ETH_ALEN])
{
    return memcmp(mac, ns_eth_broadcast, NS_ETH_ALEN) == 0;
}

void ns_mac_format(const uint8_t mac[NS_ETH_ALEN], char out[NS_MAC_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < NS_ETH_ALEN; i++) {
        if (i > 0)
            *o++ = ':';
        *o++ = hex[mac[i] >> 4];
        *o++ = hex[mac[i] & 0xf];
    }
    *o = '\0';
}
