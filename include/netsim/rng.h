/* Seeded pseudo-random numbers with independent streams.
 *
 * Every consumer (each link's loss model, each host's ISN generator, ...)
 * owns its own stream derived from (seed, stream name, index), so one extra
 * draw in one module never shifts the numbers any other module sees. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} NsRng;

/* Derive the stream identified by `name` and `index` from `seed`. */
void ns_rng_init(NsRng *rng, uint64_t seed, const char *name, uint64_t index);

uint64_t ns_rng_next(NsRng *rng);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t ns_rng_below(NsRng *rng, uint64_t bound);
/* Uniform in [lo, hi], lo <= hi. */
int64_t ns_rng_range(NsRng *rng, int64_t lo, int64_t hi);
/* True with probability ppm / 1,000,000 (integer ratios keep runs exact). */
bool ns_rng_chance_ppm(NsRng *rng, uint32_t ppm);
