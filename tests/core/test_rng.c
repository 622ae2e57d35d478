/* Tests for the random streams (sim/core/rng.c): reproducibility, stream
 * independence, a pinned known answer, bounded draws without bias, ranges,
 * and integer probabilities. */
#include "netsim/rng.h"

#include <CUnit/CUnit.h>
#include <stdint.h>

#define DRAWS 100000

static NsRng stream(uint64_t seed, const char *name, uint64_t index)
{
    NsRng r;
    ns_rng_init(&r, seed, name, index);
    return r;
}

/* Number of the first n outputs on which two streams agree. */
static int agreements(NsRng a, NsRng b, int n)
{
    int same = 0;
    for (int i = 0; i < n; i++)
        same += ns_rng_next(&a) == ns_rng_next(&b);
    return same;
}

/* ==== Streams ============================================================ */

static void test_same_seed_name_index_give_same_sequence(void)
{
    CU_ASSERT_EQUAL(agreements(stream(42, "link", 3), stream(42, "link", 3), 1000), 1000);
}

static void test_different_names_give_different_sequences(void)
{
    CU_ASSERT_EQUAL(agreements(stream(42, "link", 0), stream(42, "host", 0), 1000), 0);
}

static void test_names_differing_in_one_letter_give_different_sequences(void)
{
    CU_ASSERT_EQUAL(agreements(stream(42, "link-a", 0), stream(42, "link-b", 0), 1000), 0);
}

static void test_different_indices_give_different_sequences(void)
{
    CU_ASSERT_EQUAL(agreements(stream(42, "link", 0), stream(42, "link", 1), 1000), 0);
}

static void test_different_seeds_give_different_sequences(void)
{
    CU_ASSERT_EQUAL(agreements(stream(1, "link", 0), stream(2, "link", 0), 1000), 0);
}

/* Swapping values between fields must not collide (the inputs are chained
 * through a mixer, not XOR-ed side by side). */
static void test_seed_and_index_are_not_interchangeable(void)
{
    CU_ASSERT_EQUAL(agreements(stream(1, "x", 2), stream(2, "x", 1), 1000), 0);
}

static void test_null_name_is_empty_name(void)
{
    CU_ASSERT_EQUAL(agreements(stream(9, NULL, 0), stream(9, "", 0), 100), 100);
}

/* Pinned when the generator was written: a change here changes every
 * simulation result and every golden trace. */
static void test_known_answer_for_seed_42_test_0(void)
{
    static const uint64_t expected[] = {
        UINT64_C(0x4be295749aa6c3ee),
        UINT64_C(0x761a06c14678dd3a),
        UINT64_C(0xf7309e0017c0be43),
        UINT64_C(0xc300b79880e0c90e),
    };
    NsRng r = stream(42, "test", 0);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(ns_rng_next(&r), expected[i]);
}

/* xoshiro256** from state {1, 2, 3, 4}, as computed by the authors'
 * reference code. */
static void test_generator_matches_xoshiro256starstar_reference(void)
{
    NsRng r = {.s = {1, 2, 3, 4}};
    CU_ASSERT_EQUAL(ns_rng_next(&r), UINT64_C(11520));
    CU_ASSERT_EQUAL(ns_rng_next(&r), UINT64_C(0));
    CU_ASSERT_EQUAL(ns_rng_next(&r), UINT64_C(1509978240));
    CU_ASSERT_EQUAL(ns_rng_next(&r), UINT64_C(1215971899390074240));
}

static void test_output_bits_are_balanced(void)
{
    NsRng r = stream(5, "bits", 0);
    int ones[64] = {0};
    for (int i = 0; i < 10000; i++) {
        const uint64_t x = ns_rng_next(&r);
        for (int b = 0; b < 64; b++)
            ones[b] += (int)((x >> b) & 1);
    }
    for (int b = 0; b < 64; b++)
        CU_ASSERT_TRUE(ones[b] > 4700 && ones[b] < 5300);
}

/* ==== Bounded draws ====================================================== */

static void test_below_one_is_always_zero(void)
{
    NsRng r = stream(1, "below", 0);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL(ns_rng_below(&r, 1), 0);
}

static void test_below_stays_in_range(void)
{
    static const uint64_t bounds[] = {2, 3, 7, 1000, (UINT64_C(1) << 32) + 1,
                                      (UINT64_C(1) << 63) + 1, UINT64_MAX};
    NsRng r = stream(1, "below", 1);
    for (unsigned k = 0; k < sizeof bounds / sizeof bounds[0]; k++)
        for (int i = 0; i < 10000; i++)
            CU_ASSERT_TRUE(ns_rng_below(&r, bounds[k]) < bounds[k]);
}

static void test_below_ten_is_roughly_uniform(void)
{
    NsRng r = stream(1, "uniform", 0);
    int count[10] = {0};
    for (int i = 0; i < DRAWS; i++)
        count[ns_rng_below(&r, 10)]++;
    for (int v = 0; v < 10; v++)
        CU_ASSERT_TRUE(count[v] > DRAWS / 10 * 9 / 10 && count[v] < DRAWS / 10 * 11 / 10);
}

/* For bound = 3 * 2^62, x % bound would give [0, 2^62) twice the weight of
 * the rest: the top third would get 1/4 of the draws instead of 1/3. */
static void test_below_large_bound_has_no_modulo_bias(void)
{
    const uint64_t bound = UINT64_C(3) << 62;
    NsRng r = stream(1, "bias", 0);
    int top = 0;
    for (int i = 0; i < DRAWS; i++)
        top += ns_rng_below(&r, bound) >= (UINT64_C(1) << 63);
    CU_ASSERT_TRUE(top > DRAWS * 31 / 100 && top < DRAWS * 35 / 100);
}

/* ==== Ranges ============================================================= */

static void test_range_covers_both_ends_and_nothing_outside(void)
{
    NsRng r = stream(1, "range", 0);
    int seen[5] = {0};
    for (int i = 0; i < 1000; i++) {
        const int64_t v = ns_rng_range(&r, -2, 2);
        CU_ASSERT_TRUE(v >= -2 && v <= 2);
        if (v >= -2 && v <= 2)
            seen[v + 2]++;
    }
    for (int v = 0; v < 5; v++)
        CU_ASSERT_TRUE(seen[v] > 0);
}

static void test_range_of_one_value_returns_it(void)
{
    NsRng r = stream(1, "range", 1);
    CU_ASSERT_EQUAL(ns_rng_range(&r, -7, -7), -7);
    CU_ASSERT_EQUAL(ns_rng_range(&r, INT64_MAX, INT64_MAX), INT64_MAX);
}

static void test_full_int64_range_gives_both_signs(void)
{
    NsRng r = stream(1, "range", 2);
    int negative = 0;
    for (int i = 0; i < 1000; i++)
        negative += ns_rng_range(&r, INT64_MIN, INT64_MAX) < 0;
    CU_ASSERT_TRUE(negative > 400 && negative < 600);
}

static void test_range_wider_than_int64_max_stays_in_bounds(void)
{
    NsRng r = stream(1, "range", 3);
    const int64_t lo = INT64_MIN + 5, hi = INT64_MAX - 5;
    for (int i = 0; i < 10000; i++) {
        const int64_t v = ns_rng_range(&r, lo, hi);
        CU_ASSERT_TRUE(v >= lo && v <= hi);
    }
}

/* ==== Probabilities ====================================================== */

static void test_chance_zero_ppm_never_happens(void)
{
    NsRng r = stream(1, "chance", 0);
    int hits = 0;
    for (int i = 0; i < DRAWS; i++)
        hits += ns_rng_chance_ppm(&r, 0);
    CU_ASSERT_EQUAL(hits, 0);
}

static void test_chance_million_ppm_always_happens(void)
{
    NsRng r = stream(1, "chance", 1);
    int hits = 0;
    for (int i = 0; i < DRAWS; i++)
        hits += ns_rng_chance_ppm(&r, 1000000);
    CU_ASSERT_EQUAL(hits, DRAWS);
}

static void test_chance_ten_percent_is_roughly_ten_percent(void)
{
    NsRng r = stream(1, "chance", 2);
    int hits = 0;
    for (int i = 0; i < DRAWS; i++)
        hits += ns_rng_chance_ppm(&r, 100000);
    CU_ASSERT_TRUE(hits > DRAWS / 10 * 9 / 10 && hits < DRAWS / 10 * 11 / 10);
}

/* Changing a loss rate must not shift what the stream gives afterwards. */
static void test_chance_consumes_same_draws_whatever_the_probability(void)
{
    NsRng a = stream(1, "chance", 3), b = a;
    ns_rng_chance_ppm(&a, 0);
    ns_rng_chance_ppm(&b, 1000000);
    CU_ASSERT_EQUAL(ns_rng_next(&a), ns_rng_next(&b));
}

CU_TestInfo ns_rng_tests[] = {
    {"same_seed_name_index_give_same_sequence", test_same_seed_name_index_give_same_sequence},
    {"different_names_give_different_sequences", test_different_names_give_different_sequences},
    {"names_differing_in_one_letter_give_different_sequences",
     test_names_differing_in_one_letter_give_different_sequences},
    {"different_indices_give_different_sequences",
     test_different_indices_give_different_sequences},
    {"different_seeds_give_different_sequences", test_different_seeds_give_different_sequences},
    {"seed_and_index_are_not_interchangeable", test_seed_and_index_are_not_interchangeable},
    {"null_name_is_empty_name", test_null_name_is_empty_name},
    {"known_answer_for_seed_42_test_0", test_known_answer_for_seed_42_test_0},
    {"generator_matches_xoshiro256starstar_reference",
     test_generator_matches_xoshiro256starstar_reference},
    {"output_bits_are_balanced", test_output_bits_are_balanced},
    {"below_one_is_always_zero", test_below_one_is_always_zero},
    {"below_stays_in_range", test_below_stays_in_range},
    {"below_ten_is_roughly_uniform", test_below_ten_is_roughly_uniform},
    {"below_large_bound_has_no_modulo_bias", test_below_large_bound_has_no_modulo_bias},
    {"range_covers_both_ends_and_nothing_outside",
     test_range_covers_both_ends_and_nothing_outside},
    {"range_of_one_value_returns_it", test_range_of_one_value_returns_it},
    {"full_int64_range_gives_both_signs", test_full_int64_range_gives_both_signs},
    {"range_wider_than_int64_max_stays_in_bounds",
     test_range_wider_than_int64_max_stays_in_bounds},
    {"chance_zero_ppm_never_happens", test_chance_zero_ppm_never_happens},
    {"chance_million_ppm_always_happens", test_chance_million_ppm_always_happens},
    {"chance_ten_percent_is_roughly_ten_percent", test_chance_ten_percent_is_roughly_ten_percent},
    {"chance_consumes_same_draws_whatever_the_probability",
     test_chance_consumes_same_draws_whatever_the_probability},
    CU_TEST_INFO_NULL,
};
