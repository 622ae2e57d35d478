/* Simulated time: integer nanoseconds since the start of a run.
 * No floating point ever touches the clock, so runs are reproducible
 * bit for bit on any machine. */
#pragma once

#include <stdint.h>

typedef int64_t NsTime;

#define NS_TIME_NEVER INT64_MAX

#define NS_NS(x) ((NsTime)(x))
#define NS_US(x) ((NsTime)(x) * INT64_C(1000))
#define NS_MS(x) ((NsTime)(x) * INT64_C(1000000))
#define NS_S(x)  ((NsTime)(x) * INT64_C(1000000000))
