/* fuzz-wire-smoke: runs the libFuzzer entry point (fuzz_wire.c) without
 * libFuzzer, over a fixed set of inputs: the known vectors, thousands of
 * seeded mutations of them (bit flips, boundary bytes, cuts, growth), and
 * random byte strings. Deterministic: the same inputs on every run. */
#include "wire-tests.h"

#include <stdio.h>
#include <string.h>

#define MUTATIONS 4000
#define RANDOM_INPUTS 1000
#define MAX_INPUT 512

/* splitmix64: a tiny seeded generator, so the smoke run needs no sim/core. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t below(uint64_t *state, size_t bound)
{
    return (size_t)(next_u64(state) % bound);
}

/* Change `buf` (of *len bytes, room MAX_INPUT) in one random way. */
static void mutate(uint64_t *st, uint8_t *buf, size_t *len)
{
    static const uint8_t edge[] = {0x00, 0x01, 0x02, 0x04, 0x05, 0x08, 0x0a,
                                   0x40, 0x45, 0x7f, 0x80, 0xf0, 0xfe, 0xff};
    switch (below(st, 5)) {
    case 0: /* flip a bit */
        if (*len > 0)
            buf[below(st, *len)] ^= (uint8_t)(1u << below(st, 8));
        break;
    case 1: /* a boundary value: lengths, kinds, IHL/offsets */
        if (*len > 0)
            buf[below(st, *len)] = edge[below(st, sizeof(edge))];
        break;
    case 2: /* cut short */
        *len = below(st, *len + 1);
        break;
    case 3: /* grow with random bytes */
        while (*len < MAX_INPUT && below(st, 4) != 0)
            buf[(*len)++] = (uint8_t)next_u64(st);
        break;
    default: /* random byte */
        if (*len > 0)
            buf[below(st, *len)] = (uint8_t)next_u64(st);
        break;
    }
}

/* Feed the frame and its IPv4 and transport parts, each on its own. */
static unsigned run(const uint8_t *buf, size_t len)
{
    LLVMFuzzerTestOneInput(buf, len);
    unsigned n = 1;
    if (len > NS_TEST_IP_OFF) {
        LLVMFuzzerTestOneInput(buf + NS_TEST_IP_OFF, len - NS_TEST_IP_OFF);
        n++;
    }
    if (len > NS_TEST_L4_OFF) {
        LLVMFuzzerTestOneInput(buf + NS_TEST_L4_OFF, len - NS_TEST_L4_OFF);
        n++;
    }
    return n;
}

int main(void)
{
    uint64_t st = 20261125;
    uint8_t buf[MAX_INPUT];
    unsigned inputs = 0, nvec = 0;
    while (ns_test_vectors[nvec].name)
        nvec++;

    for (unsigned v = 0; v < nvec; v++)
        inputs += run(ns_test_vectors[v].frame, ns_test_vectors[v].len);
    for (unsigned i = 0; i < MUTATIONS; i++) {
        const NsTestVector *v = &ns_test_vectors[below(&st, nvec)];
        size_t len = v->len;
        memcpy(buf, v->frame, len);
        for (size_t k = 1 + below(&st, 4); k > 0; k--)
            mutate(&st, buf, &len);
        inputs += run(buf, len);
    }
    for (unsigned i = 0; i < RANDOM_INPUTS; i++) {
        size_t len = below(&st, 200);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)next_u64(&st);
        inputs += run(buf, len);
    }
    static const char *const text[] = {
        "10.0.0.1", "10.0.0.0/24", "255.255.255.255/32", "1.2.3", "01.2.3.4", "0.0.0.0/0", ""};
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        inputs += run((const uint8_t *)text[i], strlen(text[i]));
    printf("fuzz-wire-smoke: %u inputs, no failure\n", inputs);
    return 0;
}
