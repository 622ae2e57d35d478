/* Test helpers: exact-size heap copies and checksum fix-ups (wire-tests.h). */
#include "wire-tests.h"

#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"

uint8_t *ns_test_dup(const uint8_t *p, size_t n)
{
    uint8_t *copy = g_malloc(n > 0 ? n : 1);
    if (n > 0)
        memcpy(copy, p, n);
    return copy;
}

void ns_test_fix_ipv4_csum(uint8_t *hdr, size_t hlen)
{
    ns_write_be16(hdr + 10, 0);
    ns_write_be16(hdr + 10, ns_inet_checksum(hdr, hlen));
}

void ns_test_fix_icmp_csum(uint8_t *msg, size_t len)
{
    ns_write_be16(msg + 2, 0);
    ns_write_be16(msg + 2, ns_inet_checksum(msg, len));
}

void ns_test_fix_udp_csum(uint8_t *dgram, size_t len, uint32_t src, uint32_t dst)
{
    ns_write_be16(dgram + 6, 0);
    uint32_t sum = ns_csum_pseudo(src, dst, NS_IPPROTO_UDP, (uint16_t)len);
    uint16_t c = ns_csum_fold(ns_csum_partial(sum, dgram, len));
    ns_write_be16(dgram + 6, c == 0 ? 0xffff : c);
}

void ns_test_fix_tcp_csum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
    ns_write_be16(seg + 16, 0);
    uint32_t sum = ns_csum_pseudo(src, dst, NS_IPPROTO_TCP, (uint16_t)len);
    ns_write_be16(seg + 16, ns_csum_fold(ns_csum_partial(sum, seg, len)));
}
