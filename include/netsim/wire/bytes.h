/* Big-endian (network order) loads and stores on unaligned byte buffers.
 *
 * The wire layer reads fields byte by byte rather than through packed
 * overlay structs, so it never depends on alignment or host endianness. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Read the 16-bit big-endian value at p[0..1]. */
static inline uint16_t ns_read_be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

/* Read the 32-bit big-endian value at p[0..3]. */
static inline uint32_t ns_read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Store `v` big-endian at p[0..1]. */
static inline void ns_write_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Store `v` big-endian at p[0..3]. */
static inline void ns_write_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* FNV-1a (32-bit) over `n` bytes: the hash of the tables keyed by raw bytes
 * (addresses, fragment and flow keys without padding). */
static inline uint32_t ns_bytes_hash(const void *key, size_t n)
{
    const uint8_t *b = key;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}
