/* Seeded random streams (netsim/rng.h): xoshiro256** (Blackman and Vigna,
 * 2018) whose state is filled by splitmix64 from a key mixed out of
 * (seed, FNV-1a 64 hash of the stream name, index). Bounded draws use
 * Lemire's multiply-and-reject method, so there is no modulo bias and no
 * floating point: every platform sees the same numbers. */
#include "netsim/rng.h"

#include <glib.h>

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME  UINT64_C(0x100000001b3)

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = FNV64_OFFSET;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= FNV64_PRIME;
    }
    return h;
}

/* splitmix64's output function: a bijection with full avalanche, so keys
 * that differ in one bit give unrelated states. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x)
{
    *x += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(*x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void ns_rng_init(NsRng *rng, uint64_t seed, const char *name, uint64_t index)
{
    g_return_if_fail(rng != NULL);
    /* Chaining the three inputs through the bijective mixer (rather than
     * XOR-ing them side by side) keeps (seed, name, index) triples that only
     * swap bits between fields from colliding. A NULL name is the empty name. */
    uint64_t key = mix64(seed ^ UINT64_C(0x6e657473696d2d31)); /* "netsim-1" */
    key = mix64(key ^ fnv1a64(name ? name : ""));
    key = mix64(key ^ index);
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&key);
    /* Four consecutive splitmix64 outputs cannot all be zero, but the all-zero
     * state is xoshiro's one fixed point, so say so where it would matter. */
    g_assert((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0);
}

uint64_t ns_rng_next(NsRng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* 64 x 64 -> 128-bit product as (high, low) words. */
static inline uint64_t mul128(uint64_t a, uint64_t b, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 p = (u128)a * b;
    *lo = (uint64_t)p;
    return (uint64_t)(p >> 64);
#else
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32;
    uint64_t b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    *lo = (mid << 32) | (uint32_t)ll;
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

/* Lemire, "Fast Random Integer Generation in an Interval" (2019): the high
 * word of x * bound is uniform once the low words below 2^64 mod bound are
 * rejected; the division that computes that threshold is only needed when
 * the low word is small enough to possibly be rejected. */
uint64_t ns_rng_below(NsRng *rng, uint64_t bound)
{
    g_return_val_if_fail(bound > 0, 0);
    uint64_t lo;
    uint64_t hi = mul128(ns_rng_next(rng), bound, &lo);
    if (lo < bound) {
        const uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
        while (lo < threshold)
            hi = mul128(ns_rng_next(rng), bound, &lo);
    }
    return hi;
}

int64_t ns_rng_range(NsRng *rng, int64_t lo, int64_t hi)
{
    g_return_val_if_fail(lo <= hi, lo);
    /* Two's-complement arithmetic in uint64_t: hi - lo fits in 64 bits
     * unsigned even when it overflows int64_t. */
    const uint64_t span = (uint64_t)hi - (uint64_t)lo;
    const uint64_t r = span == UINT64_MAX ? ns_rng_next(rng) : ns_rng_below(rng, span + 1);
    const uint64_t u = (uint64_t)lo + r;
    /* Convert back without relying on implementation-defined narrowing. */
    if (u <= (uint64_t)INT64_MAX)
        return (int64_t)u;
    return -(int64_t)(UINT64_MAX - u) - 1;
}

bool ns_rng_chance_ppm(NsRng *rng, uint32_t ppm)
{
    /* Always draw, even for 0 and 1,000,000, so that changing a probability
     * in a scenario does not shift the stream for later draws. */
    return ns_rng_below(rng, 1000000) < ppm;
}
