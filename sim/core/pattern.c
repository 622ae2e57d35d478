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

/* Prefix sums over four periods of the pattern, weighted as big-endian
 * words: psum[q][i] adds bytes j < i, a byte j being the high one of its
 * word when j % 2 == q. Two periods (74 bytes) sum to 257 times one
 * period's bytes whatever the phase, so a sum needs at most 73 more. */
#define PAIR (2u * NS_PATTERN_PERIOD)
static uint32_t psum[2][2 * PAIR + 1];
static uint64_t pair_sum;
static gsize psum_ready;

uint32_t ns_pattern_sum(uint64_t offset, size_t n)
{
    if (g_once_init_enter(&psum_ready)) {
        for (uint32_t q = 0; q < 2; q++)
            for (uint32_t j = 0; j < 2 * PAIR; j++) {
                uint32_t b = (uint8_t)period[j % NS_PATTERN_PERIOD];
                psum[q][j + 1] = psum[q][j] + (j % 2 == q ? b << 8 : b);
            }
        pair_sum = psum[0][PAIR];
        g_once_init_leave(&psum_ready, 1);
    }
    uint32_t s = (uint32_t)(offset % NS_PATTERN_PERIOD), r = (uint32_t)(n % PAIR);
    uint64_t sum = (uint64_t)(n / PAIR) * pair_sum + (psum[s % 2][s + r] - psum[s % 2][s]);
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16); /* end-around carry */
    return (uint32_t)sum;
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

bool ns_pattern_match(const uint8_t *buf, size_t n, uint32_t *phase)
{
    if (n == 0)
        return false;
    uint8_t b = buf[0];
    uint32_t ph;
    if (b >= 'a' && b <= 'z')
        ph = (uint32_t)(b - 'a');
    else if (b >= '0' && b <= '9')
        ph = 26u + (uint32_t)(b - '0');
    else if (b == '\n')
        ph = NS_PATTERN_PERIOD - 1u;
    else
        return false;
    if (!ns_pattern_equal(ph, buf, n))
        return false;
    *phase = ph;
    return true;
}
