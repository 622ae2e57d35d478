/* Suite "units": times, rates, sizes and ratios convert exactly, and every
 * malformed quantity is refused with a message quoting it. */
#include <glib.h>
#include <string.h>

#include "netsim/units.h"
#include "scn-test.h"

static NsTime time_of(const char *s)
{
    NsTime t = -1;
    CU_ASSERT_TRUE(ns_parse_time(s, &t, NULL));
    return t;
}

/* Asserts that parsing fails with exactly `expected`. */
static void time_rejects(const char *s, const char *expected)
{
    NsTime t = 77;
    char *err = NULL;
    CU_ASSERT_FALSE(ns_parse_time(s, &t, &err));
    CU_ASSERT_EQUAL(t, 77);
    CU_ASSERT_STRING_EQUAL(err ? err : "", expected);
    g_free(err);
}

static void test_time_each_unit(void)
{
    CU_ASSERT_EQUAL(time_of("250ns"), 250);
    CU_ASSERT_EQUAL(time_of("10us"), NS_US(10));
    CU_ASSERT_EQUAL(time_of("5ms"), NS_MS(5));
    CU_ASSERT_EQUAL(time_of("3s"), NS_S(3));
    CU_ASSERT_EQUAL(time_of("2m"), NS_S(120));
}

static void test_time_decimals_exact(void)
{
    CU_ASSERT_EQUAL(time_of("1.5s"), INT64_C(1500000000));
    CU_ASSERT_EQUAL(time_of("0.25ms"), 250000);
    CU_ASSERT_EQUAL(time_of("1.500000000000s"), INT64_C(1500000000));
    CU_ASSERT_EQUAL(time_of("0.000000001s"), 1);
    CU_ASSERT_EQUAL(time_of("0.1m"), NS_S(6));
    CU_ASSERT_EQUAL(time_of("1.0000000001m"), INT64_C(60000000006));
}

static void test_time_zero_may_be_bare(void)
{
    CU_ASSERT_EQUAL(time_of("0"), 0);
    CU_ASSERT_EQUAL(time_of("0s"), 0);
    CU_ASSERT_EQUAL(time_of("0.0"), 0);
}

static void test_time_largest(void)
{
    CU_ASSERT_EQUAL(time_of("1000000000s"), NS_TIME_MAX_INPUT);
    CU_ASSERT_EQUAL(time_of("16666666m"), INT64_C(999999960000000000));
    time_rejects("1000000000000000001ns",
                 "time '1000000000000000001ns' is over the limit of 1000000000s (about 31 years)");
    time_rejects("9223372036854775806ns",
                 "time '9223372036854775806ns' is over the limit of 1000000000s (about 31 years)");
    time_rejects("99999999999999999999s",
                 "time '99999999999999999999s' is over the limit of 1000000000s (about 31 years)");
    time_rejects("16666667m", "time '16666667m' is over the limit of 1000000000s (about 31 years)");
}

static void test_time_rejections(void)
{
    time_rejects("5", "missing unit in '5' (time needs one: ns, us, ms, s, m)");
    time_rejects("1.5", "missing unit in '1.5' (time needs one: ns, us, ms, s, m)");
    time_rejects("-5ms", "negative time '-5ms'");
    time_rejects("5sec", "unknown time unit 'sec' in '5sec' (use ns, us, ms, s, m)");
    time_rejects("5 ms", "unknown time unit ' ms' in '5 ms' (use ns, us, ms, s, m)");
    time_rejects("5MS", "unknown time unit 'MS' in '5MS' (use ns, us, ms, s, m)");
    time_rejects("1.5ns", "time '1.5ns' is more precise than 1 ns");
    time_rejects("0.0000000001s", "time '0.0000000001s' is more precise than 1 ns");
    time_rejects("1.s", "'1.s' is not a time (expected digits after '.')");
    time_rejects(".5s", "'.5s' is not a time (expected a number with a unit, e.g. 5ms)");
    time_rejects("ms", "'ms' is not a time (expected a number with a unit, e.g. 5ms)");
    time_rejects("", "empty time (expected a number with a unit, e.g. 5ms)");
}

static void test_rate_units_are_decimal(void)
{
    uint64_t r = 0;
    CU_ASSERT_TRUE(ns_parse_rate("9600bps", &r, NULL));
    CU_ASSERT_EQUAL(r, 9600);
    CU_ASSERT_TRUE(ns_parse_rate("56kbps", &r, NULL));
    CU_ASSERT_EQUAL(r, 56000);
    CU_ASSERT_TRUE(ns_parse_rate("10Mbps", &r, NULL));
    CU_ASSERT_EQUAL(r, 10000000);
    CU_ASSERT_TRUE(ns_parse_rate("1Gbps", &r, NULL));
    CU_ASSERT_EQUAL(r, 1000000000);
    CU_ASSERT_TRUE(ns_parse_rate("1.5Mbps", &r, NULL));
    CU_ASSERT_EQUAL(r, 1500000);
}

static void test_rate_rejections(void)
{
    uint64_t r = 0;
    char *err = NULL;
    CU_ASSERT_FALSE(ns_parse_rate("0", &r, &err));
    CU_ASSERT_STRING_EQUAL(err, "rate '0' must be more than 0");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_rate("10MBps", &r, &err));
    CU_ASSERT_STRING_EQUAL(err, "unknown rate unit 'MBps' in '10MBps' (use bps, kbps, Mbps, Gbps)");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_rate("0.5bps", &r, &err));
    CU_ASSERT_STRING_EQUAL(err, "rate '0.5bps' is not a whole number of bits per second");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_rate("100", &r, &err));
    CU_ASSERT_STRING_EQUAL(err, "missing unit in '100' (rate needs one: bps, kbps, Mbps, Gbps)");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_rate("99999999999Gbps", &r, &err));
    CU_ASSERT_STRING_EQUAL(err, "rate '99999999999Gbps' is too large");
    g_free(err);
}

static void test_size_decimal_and_binary(void)
{
    uint64_t s = 0;
    CU_ASSERT_TRUE(ns_parse_size("512B", &s, NULL));
    CU_ASSERT_EQUAL(s, 512);
    CU_ASSERT_TRUE(ns_parse_size("10KB", &s, NULL));
    CU_ASSERT_EQUAL(s, 10000);
    CU_ASSERT_TRUE(ns_parse_size("64KiB", &s, NULL));
    CU_ASSERT_EQUAL(s, 65536);
    CU_ASSERT_TRUE(ns_parse_size("1MB", &s, NULL));
    CU_ASSERT_EQUAL(s, 1000000);
    CU_ASSERT_TRUE(ns_parse_size("1MiB", &s, NULL));
    CU_ASSERT_EQUAL(s, 1048576);
    CU_ASSERT_TRUE(ns_parse_size("2GiB", &s, NULL));
    CU_ASSERT_EQUAL(s, UINT64_C(2147483648));
    CU_ASSERT_TRUE(ns_parse_size("1.5KB", &s, NULL));
    CU_ASSERT_EQUAL(s, 1500);
    CU_ASSERT_TRUE(ns_parse_size("0.5KiB", &s, NULL));
    CU_ASSERT_EQUAL(s, 512);
    CU_ASSERT_TRUE(ns_parse_size("0", &s, NULL));
    CU_ASSERT_EQUAL(s, 0);
}

static void test_size_rejections(void)
{
    uint64_t s = 0;
    char *err = NULL;
    CU_ASSERT_FALSE(ns_parse_size("1500", &s, &err));
    CU_ASSERT_STRING_EQUAL(err, "missing unit in '1500' (size needs one: B, KB, MB, GB, KiB, "
                                "MiB, GiB)");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_size("1.5B", &s, &err));
    CU_ASSERT_STRING_EQUAL(err, "size '1.5B' is not a whole number of bytes");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_size("1kb", &s, &err));
    CU_ASSERT_STRING_EQUAL(err, "unknown size unit 'kb' in '1kb' (use B, KB, MB, GB, KiB, MiB, "
                                "GiB)");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_size("-1B", &s, &err));
    CU_ASSERT_STRING_EQUAL(err, "negative size '-1B'");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_size("20000000000GB", &s, &err));
    CU_ASSERT_STRING_EQUAL(err, "size '20000000000GB' is too large");
    g_free(err);
}

static void test_ratio_to_ppm(void)
{
    uint32_t ppm = 0;
    CU_ASSERT_TRUE(ns_parse_ratio("1%", &ppm, NULL));
    CU_ASSERT_EQUAL(ppm, 10000);
    CU_ASSERT_TRUE(ns_parse_ratio("0.5%", &ppm, NULL));
    CU_ASSERT_EQUAL(ppm, 5000);
    CU_ASSERT_TRUE(ns_parse_ratio("0.0001%", &ppm, NULL));
    CU_ASSERT_EQUAL(ppm, 1);
    CU_ASSERT_TRUE(ns_parse_ratio("100%", &ppm, NULL));
    CU_ASSERT_EQUAL(ppm, 1000000);
    CU_ASSERT_TRUE(ns_parse_ratio("0", &ppm, NULL));
    CU_ASSERT_EQUAL(ppm, 0);
}

static void test_ratio_rejections(void)
{
    uint32_t ppm = 0;
    char *err = NULL;
    CU_ASSERT_FALSE(ns_parse_ratio("100.5%", &ppm, &err));
    CU_ASSERT_STRING_EQUAL(err, "ratio '100.5%' is over 100%");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_ratio("0.00001%", &ppm, &err));
    CU_ASSERT_STRING_EQUAL(err, "ratio '0.00001%' is more precise than 0.0001% (1 ppm)");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_ratio("5", &ppm, &err));
    CU_ASSERT_STRING_EQUAL(err, "missing unit in '5' (ratio needs one: %)");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_ratio("5pct", &ppm, &err));
    CU_ASSERT_STRING_EQUAL(err, "unknown ratio unit 'pct' in '5pct' (use %)");
    g_free(err);
    CU_ASSERT_FALSE(ns_parse_ratio("-1%", &ppm, NULL)); /* err may be NULL */
}

CU_TestInfo ns_units_tests[] = {
    {"time_each_unit", test_time_each_unit},
    {"time_decimals_exact", test_time_decimals_exact},
    {"time_zero_may_be_bare", test_time_zero_may_be_bare},
    {"time_largest", test_time_largest},
    {"time_rejections", test_time_rejections},
    {"rate_units_are_decimal", test_rate_units_are_decimal},
    {"rate_rejections", test_rate_rejections},
    {"size_decimal_and_binary", test_size_decimal_and_binary},
    {"size_rejections", test_size_rejections},
    {"ratio_to_ppm", test_ratio_to_ppm},
    {"ratio_rejections", test_ratio_rejections},
    CU_TEST_INFO_NULL,
};
