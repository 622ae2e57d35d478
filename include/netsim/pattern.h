/* The recognisable payload pattern: byte i of a generated payload (`send S
 * 1MB`, an HTTP page body, a `discard` test) is "abcdefghijklmnopqrstuvwxyz0123456789\n"
 * [i % 37]. Bytes are made in bulk by copying from a precomputed run of
 * whole periods, never one at a time, so that a sender can keep "pattern
 * from offset X, N bytes" instead of the bytes themselves. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_PATTERN_PERIOD 37u

/* Write n bytes of the pattern, starting at pattern offset `offset`. */
void ns_pattern_fill(uint64_t offset, uint8_t *buf, size_t n);

/* A pointer into a contiguous run of the pattern starting at `offset`'s
 * phase; *avail gets its length (over 8 KiB). The bytes are constant. */
const uint8_t *ns_pattern_at(uint64_t offset, size_t *avail);

/* The Internet checksum's one's complement sum (RFC 1071) of n bytes of
 * the pattern from `offset`, as 16-bit big-endian words starting at the
 * first byte, folded to 16 bits: what summing the bytes would give, from
 * a table (two periods hold each byte once high, once low: 257 times the
 * period's sum), so a segment of pattern bytes is copied, not summed. */
uint32_t ns_pattern_sum(uint64_t offset, size_t n);

/* Whether buf holds n bytes of the pattern from `offset`. */
bool ns_pattern_equal(uint64_t offset, const uint8_t *buf, size_t n);

/* Whether buf (n > 0) holds n bytes of the pattern from some offset; if so
 * *phase gets that offset modulo the period (each byte of a period is
 * different, so the first byte names it). A receiver that finds pattern
 * bytes may keep (phase, length) and make them again with ns_pattern_fill. */
bool ns_pattern_match(const uint8_t *buf, size_t n, uint32_t *phase);
