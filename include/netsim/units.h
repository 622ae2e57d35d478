/* Quantities with units, as written in scenario files and on the command
 * line: times, rates, sizes and ratios. Decimals are converted exactly with
 * integer arithmetic (no floating point), so "1.5s" is exactly 1500000000 ns;
 * a value that cannot be represented exactly is rejected, never rounded. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netsim/time.h"

/* Each parser reads the whole of `s` (no blanks, no trailing text) and on
 * success stores the value in `*out` and returns true. On failure it
 * returns false, leaves `*out` alone and, if `err` is not NULL, sets `*err`
 * to a newly allocated message (transfer full, g_free() it) that quotes the
 * input, e.g. "missing unit in '5' (time needs one: ns, us, ms, s, m)".
 * A bare number needs a unit unless it is zero ("0"). */

/* Time: ns, us, ms, s, m (minutes) -> nanoseconds. Negative times, values
 * of NS_TIME_NEVER or more and fractions of a nanosecond are rejected. */
bool ns_parse_time(const char *s, NsTime *out, char **err);

/* Rate: bps, kbps, Mbps, Gbps (powers of 1000) -> bits per second, > 0. */
bool ns_parse_rate(const char *s, uint64_t *out, char **err);

/* Size: B, KB, MB, GB (powers of 1000) and KiB, MiB, GiB (powers of 1024)
 * -> whole bytes. */
bool ns_parse_size(const char *s, uint64_t *out, char **err);

/* Ratio: a percentage, "1%" or "0.5%", -> parts per million (0.5% = 5000),
 * at most 100% and no finer than 1 ppm (0.0001%). */
bool ns_parse_ratio(const char *s, uint32_t *out_ppm, char **err);
