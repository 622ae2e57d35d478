/* Simulated time: integer nanoseconds since the start of a run.
 * No floating point ever touches the clock, so runs are reproducible
 * bit for bit on any machine. */
#pragma once

#include <stdint.h>

typedef int64_t NsTime;

#define NS_TIME_NEVER INT64_MAX

/* The largest time a scenario or an option may give (1e9 s, about 31
 * years), and the clock's horizon (2^62 ns, about 146 years): the sum of a
 * time on the clock and any given time fits in an NsTime, and an event due
 * past the horizon ends the run with a limit instead of overflowing. */
#define NS_TIME_MAX_INPUT INT64_C(1000000000000000000)
#define NS_TIME_HORIZON   (INT64_C(1) << 62)

#define NS_NS(x) ((NsTime)(x))
#define NS_US(x) ((NsTime)(x) * INT64_C(1000))
#define NS_MS(x) ((NsTime)(x) * INT64_C(1000000))
#define NS_S(x)  ((NsTime)(x) * INT64_C(1000000000))
