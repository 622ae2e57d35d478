/* The Internet checksum (RFC 1071) and the IPv4 pseudo-header sum used by
 * UDP (RFC 768) and TCP (RFC 9293 section 3.1).
 *
 * Sums are 16-bit one's complement sums of big-endian words, kept in a
 * uint32_t and returned in host order: store the final value with
 * ns_write_be16(). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Add the bytes data[0..len) to the running sum `sum` (start with 0) and
 * return the new sum, folded so it is always <= 0xFFFF: any number of sums
 * below 65536 can then be added with `+` before ns_csum_fold().
 *
 * Words are taken as if `data` starts at an even offset of the message; an
 * odd final byte counts as the high byte of a word padded with zero
 * (RFC 1071 section 4.1). So chaining calls by passing `sum` along is exact
 * as long as every chunk except the last has an even length. A chunk that
 * starts at an odd offset must be summed on its own (from 0) and merged with
 * ns_csum_add_at(), which swaps its bytes (RFC 1071 section 2(B): the sum is
 * byte-order independent, so a swapped sum is the sum of swapped words). */
uint32_t ns_csum_partial(uint32_t sum, const void *data, size_t len);

/* Copy len bytes from src to dst (not overlapping) and return
 * ns_csum_partial(sum, dst, len): a payload copied into a packet is summed
 * while it is still in cache. */
uint32_t ns_csum_copy(uint32_t sum, void *dst, const void *src, size_t len);

/* Merge `block_sum`, the ns_csum_partial() of a chunk that lies at byte
 * offset `offset` of the message, into `sum`. When `offset` is odd the
 * chunk's bytes sit in the low halves of the message's words, so its sum is
 * byte-swapped first. Returns a sum <= 0xFFFF. */
uint32_t ns_csum_add_at(uint32_t sum, uint32_t block_sum, size_t offset);

/* Fold the carries of `sum` into 16 bits and return its one's complement:
 * the value to store in a checksum field (as Linux's csum_fold()). A message
 * that includes a correct checksum field folds to 0. */
uint16_t ns_csum_fold(uint32_t sum);

/* The checksum field value for data[0..len) on its own:
 * ns_csum_fold(ns_csum_partial(0, data, len)). */
uint16_t ns_inet_checksum(const void *data, size_t len);

/* Sum of the IPv4 pseudo header (source, destination, zero, protocol,
 * transport length; RFC 9293 section 3.1) for addresses in host order.
 * Returns a sum <= 0xFFFF to add to the transport segment's sum. */
uint32_t ns_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
