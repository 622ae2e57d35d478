/* The Internet checksum (RFC 1071) and the IPv4 pseudo-header sum
 * (RFC 9293 section 3.1, RFC 768). */
#include "netsim/wire/checksum.h"

#include "netsim/wire/bytes.h"

/* End-around carry until the value fits 16 bits: one's complement addition
 * keeps the sum's value modulo 0xFFFF, and a nonzero sum never folds to 0. */
static uint32_t fold16(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

uint32_t ns_csum_partial(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    /* 64 bits cannot overflow: a 64 KiB packet adds at most 2^32. */
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        acc += ns_read_be16(p + i);
    if (i < len)
        acc += (uint32_t)p[i] << 8;
    return fold16(acc);
}

uint32_t ns_csum_add_at(uint32_t sum, uint32_t block_sum, size_t offset)
{
    uint32_t b = fold16(block_sum);
    if (offset & 1)
        b = ((b & 0xff) << 8) | (b >> 8);
    return fold16((uint64_t)sum + b);
}

uint16_t ns_csum_fold(uint32_t sum)
{
    return (uint16_t)~fold16(sum);
}

uint16_t ns_inet_checksum(const void *data, size_t len)
{
    return ns_csum_fold(ns_csum_partial(0, data, len));
}

uint32_t ns_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint64_t acc = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
    acc += proto;
    acc += len;
    return fold16(acc);
}
