/* Unsigned integers as decimal text without printf, for the formatters
 * that run once per traced packet (TCP options, HTTP summaries, flow
 * lines). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The longest text ns_decimal_u64 writes: 18446744073709551615. */
#define NS_DECIMAL_U64_LEN 20

/* Write `v` in decimal at out[0..], with no NUL; return its length. */
static inline size_t ns_decimal_u64(char out[NS_DECIMAL_U64_LEN], uint64_t v)
{
    char d[NS_DECIMAL_U64_LEN];
    size_t k = sizeof d;
    do {
        d[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, d + k, sizeof d - k);
    return sizeof d - k;
}
