/* The Internet checksum (RFC 1071) and the IPv4 pseudo-header sum
 * (RFC 9293 section 3.1, RFC 768). The sum loop reads 8 bytes at a time in
 * host order (RFC 1071 section 2(B): the sum is byte-order independent)
 * into 64-bit sums, added with end-around carry (section 4.1: 64-bit one's
 * complement addition folds to the same 16-bit sum, 2^64-1 being a
 * multiple of 0xFFFF); the result is swapped back to big-endian order. */
#include "netsim/wire/checksum.h"

#include <string.h>

/* End-around carry down to 16 bits, in four fixed steps rather than a loop
 * (64 -> 33 -> 32 -> 17 -> 16 bits): one's complement addition keeps the
 * sum's value modulo 0xFFFF, and a nonzero sum never folds to 0, so the
 * result is the same as folding until the value fits. */
static inline uint32_t fold16(uint64_t sum)
{
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint32_t)sum;
}

/* a + b in 64-bit one's complement arithmetic (the carry wraps around). */
static inline uint64_t add1c(uint64_t a, uint64_t b)
{
    a += b;
    return a + (a < b);
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v); /* unaligned-safe; compiles to one load */
    return v;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

/* Add `sum` (a running sum as the API keeps it: big-endian words, any
 * 32-bit value) to `s`, a sum of the data's words as loaded in host order,
 * and fold the total to the API's form. On a little-endian machine `sum` is
 * byte-swapped into the loaded words' order first: a 32-bit swap exchanges
 * its halves too, which one's complement addition does not see (RFC 1071
 * section 2(B)); so there is one fold and one swap at the end, not two. */
static inline uint32_t finish(uint64_t s, uint32_t sum)
{
    s = add1c(s, HOST_BIG_ENDIAN ? sum : __builtin_bswap32(sum));
    uint32_t r = fold16(s);
    return HOST_BIG_ENDIAN ? r : (uint32_t)__builtin_bswap16((uint16_t)r);
}

/* The sum of data[0..len), and a copy of it to `dst` when dst is not NULL:
 * one pass over the bytes for the two jobs (Linux's csum_partial_copy). */
static uint32_t csum_core(uint32_t sum, const void *data, size_t len, uint8_t *dst)
{
    const uint8_t *p = data;
    /* The main loop adds the 32-bit halves of each 8-byte word into four
     * 64-bit sums: no carry to propagate, so the four chains run in
     * parallel; each grows by less than 2^34 per 32 bytes, so none can
     * overflow below 2^30 iterations (32 GiB: a packet is at most 64 KiB). */
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    while (len >= 32) {
        uint64_t w0 = load64(p), w1 = load64(p + 8), w2 = load64(p + 16), w3 = load64(p + 24);
        if (dst) {
            /* Store what was just loaded: the copy costs no second read. */
            memcpy(dst, &w0, 8);
            memcpy(dst + 8, &w1, 8);
            memcpy(dst + 16, &w2, 8);
            memcpy(dst + 24, &w3, 8);
            dst += 32;
        }
        s0 += (w0 & 0xffffffffu) + (w0 >> 32);
        s1 += (w1 & 0xffffffffu) + (w1 >> 32);
        s2 += (w2 & 0xffffffffu) + (w2 >> 32);
        s3 += (w3 & 0xffffffffu) + (w3 >> 32);
        p += 32;
        len -= 32;
    }
    uint64_t a = add1c(s0, s1), b = add1c(s2, s3);
    if (dst && len) {
        memcpy(dst, p, len); /* the last 31 bytes at most */
        p = dst;
    }
    while (len >= 8) {
        a = add1c(a, load64(p));
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        b = add1c(b, v);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t v;
        memcpy(&v, p, sizeof v);
        b = add1c(b, v);
        p += 2;
        len -= 2;
    }
    if (len) {
        /* The odd last byte is the high byte of a zero-padded word: in
         * host order that is the low byte on a little-endian machine. */
        b = add1c(b, HOST_BIG_ENDIAN ? (uint64_t)p[0] << 8 : p[0]);
    }
    return finish(add1c(a, b), sum);
}

/* The sum of a header: len a multiple of 4 and at most 64, as IPv4's and
 * TCP's headers are. The 32-bit halves of 8-byte words are added into a
 * 64-bit sum, which cannot overflow here, so no carry is handled before
 * the end. */
static uint32_t csum_words(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t s = 0;
    if (len & 4) {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        s = v;
        p += 4;
        len -= 4;
    }
    for (; len; len -= 8, p += 8) {
        uint64_t w = load64(p);
        s += (w & 0xffffffffu) + (w >> 32);
    }
    return finish(s, sum);
}

uint32_t ns_csum_partial(uint32_t sum, const void *data, size_t len)
{
    /* Most calls sum a 20- to 60-byte header: no copy, no tail bytes. */
    if (len <= 64 && len % 4 == 0)
        return csum_words(sum, data, len);
    return csum_core(sum, data, len, NULL);
}

uint32_t ns_csum_copy(uint32_t sum, void *dst, const void *src, size_t len)
{
    return csum_core(sum, src, len, dst);
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
