/* The payload pattern (see pattern.h): a table of whole periods, copied in
 * runs of several kilobytes. */
#include "netsim/pattern.h"

#include <glib.h>
#include <string.h>

static const char period[] = "abcdefghijklmnopqrstuvwxyz0123456789\n";

/* 232 periods: 8,584 bytes, so that any phase leaves over 8 KiB. */
#define RUN (NS_PATTERN_PERIOD * 232u)
static uint8_t run[RUN];
static gsize run_ready;

const uint8_t *ns_pattern_at(uint64_t offset, size_t *avail)
{
    if (g_once_init_enter(&run_ready)) {
        for (uint32_t i = 0; i < RUN; i += NS_PATTERN_PERIOD)
            memcpy(run + i, period, NS_PATTERN_PERIOD);
        g_once_init_leave(&run_ready, 1);
    }
    uint32_t phase = (uint32_t)(offset % NS_PATTERN_PERIOD);
    *avail = RUN - phase;
    return run + phase;
}

void ns_pattern_fill(uint64_t offset, uint8_t *buf, size_t n)
{
    while (n) {
        size_t avail;
        const uint8_t *src = ns_pattern_at(offset, &avail);
        size_t k = n < avail ? n : avail;
        memcpy(buf, src, k);
        buf += k;
        offset += k;
        n -= k;
    }
}

bool ns_pattern_equal(uint64_t offset, const uint8_t *buf, size_t n)
{
    while (n) {
        size_t avail;
        const uint8_t *src = ns_pattern_at(offset, &avail);
        size_t k = n < avail ? n : avail;
        if (memcmp(buf, src, k) != 0)
            return false;
        buf += k;
        offset += k;
        n -= k;
    }
    return true;
}
