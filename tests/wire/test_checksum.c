/* Tests of the Internet checksum (RFC 1071 sections 1-4) and the IPv4
 * pseudo-header sum (RFC 9293 section 3.1). */
#include "netsim/wire/checksum.h"

#include <CUnit/CUnit.h>
#include <string.h>

#include "wire-tests.h"

/* RFC 1071 section 3's worked example. */
static const uint8_t rfc1071_bytes[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

/* ---- known answers ---- */

static void test_csum_rfc1071_example_sum(void)
{
    CU_ASSERT_EQUAL(ns_csum_partial(0, rfc1071_bytes, 8), 0xddf2);
}

static void test_csum_rfc1071_example_checksum_is_complement(void)
{
    CU_ASSERT_EQUAL(ns_inet_checksum(rfc1071_bytes, 8), 0x220d);
}

static void test_csum_empty_sums_to_zero(void)
{
    CU_ASSERT_EQUAL(ns_csum_partial(0, rfc1071_bytes, 0), 0);
    CU_ASSERT_EQUAL(ns_inet_checksum(rfc1071_bytes, 0), 0xffff);
}

static void test_csum_odd_length_pads_low_byte_with_zero(void)
{
    static const uint8_t b[3] = {0x12, 0x34, 0x56};
    CU_ASSERT_EQUAL(ns_csum_partial(0, b, 3), 0x1234 + 0x5600);
}

static void test_csum_single_byte_is_high_byte(void)
{
    static const uint8_t b[1] = {0xab};
    CU_ASSERT_EQUAL(ns_csum_partial(0, b, 1), 0xab00);
}

static void test_csum_carry_wraps_around(void)
{
    static const uint8_t b[4] = {0xff, 0xff, 0x00, 0x01};
    CU_ASSERT_EQUAL(ns_csum_partial(0, b, 4), 0x0001);
}

static void test_csum_all_ones_stays_all_ones(void)
{
    uint8_t b[1001];
    memset(b, 0xff, sizeof(b));
    /* 500 words of 0xffff plus 0xff00: negative zero plus 0xff00. */
    CU_ASSERT_EQUAL(ns_csum_partial(0, b, 1000), 0xffff);
    CU_ASSERT_EQUAL(ns_csum_partial(0, b, 1001), 0xff00);
}

static void test_csum_partial_result_is_folded(void)
{
    CU_ASSERT(ns_csum_partial(0xfffffff0u, rfc1071_bytes, 8) <= 0xffff);
}

static void test_csum_unaligned_start_same_as_aligned(void)
{
    uint8_t b[9];
    memcpy(b + 1, rfc1071_bytes, 8);
    CU_ASSERT_EQUAL(ns_csum_partial(0, b + 1, 8), 0xddf2);
}

static void test_csum_fold_complements_and_folds(void)
{
    CU_ASSERT_EQUAL(ns_csum_fold(0xddf2), 0x220d);
    /* 0x1ddf1 folds to 0xddf2 first. */
    CU_ASSERT_EQUAL(ns_csum_fold(0x1ddf1), 0x220d);
}

static void test_csum_real_ipv4_header_verifies(void)
{
    CU_ASSERT_EQUAL(ns_inet_checksum(ns_vec_syn + NS_TEST_IP_OFF, NS_IPV4_HLEN), 0);
}

/* ---- chaining ---- */

static void test_csum_chain_even_split_matches_whole(void)
{
    for (size_t k = 0; k <= 8; k += 2) {
        uint32_t s = ns_csum_partial(0, rfc1071_bytes, k);
        CU_ASSERT_EQUAL(ns_csum_partial(s, rfc1071_bytes + k, 8 - k), 0xddf2);
    }
}

static void test_csum_chain_any_split_with_add_at_matches_whole(void)
{
    for (size_t k = 0; k <= 8; k++) {
        uint32_t a = ns_csum_partial(0, rfc1071_bytes, k);
        uint32_t b = ns_csum_partial(0, rfc1071_bytes + k, 8 - k);
        CU_ASSERT_EQUAL(ns_csum_add_at(a, b, k), 0xddf2);
    }
}

static void test_csum_chain_odd_split_of_odd_length_frame(void)
{
    /* 148 bytes of a real frame, split at every point: odd total, odd cuts. */
    const uint8_t *f = ns_vec_data;
    size_t n = ns_vec_data_len - 1;
    uint32_t whole = ns_csum_partial(0, f, n);
    for (size_t k = 0; k <= n; k++) {
        uint32_t s = ns_csum_add_at(ns_csum_partial(0, f, k), ns_csum_partial(0, f + k, n - k), k);
        CU_ASSERT_EQUAL_FATAL(s, whole);
    }
}

static void test_csum_chain_three_chunks_odd_offsets(void)
{
    uint32_t s = ns_csum_partial(0, rfc1071_bytes, 3);
    s = ns_csum_add_at(s, ns_csum_partial(0, rfc1071_bytes + 3, 2), 3);
    s = ns_csum_add_at(s, ns_csum_partial(0, rfc1071_bytes + 5, 3), 5);
    CU_ASSERT_EQUAL(s, 0xddf2);
}

/* ---- pseudo header ---- */

static void test_csum_pseudo_header_sum(void)
{
    /* 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 40 */
    CU_ASSERT_EQUAL(ns_csum_pseudo(NS_TEST_CLI, NS_TEST_SRV, 6, 40), 0x1431);
}

static void test_csum_pseudo_header_folds_carries(void)
{
    /* Five 0xffff words are negative zero; 0xff remains. */
    CU_ASSERT_EQUAL(ns_csum_pseudo(0xffffffffu, 0xffffffffu, 0xff, 0xffff), 0xff);
}

static void test_csum_real_tcp_segment_verifies_with_pseudo(void)
{
    size_t len = ns_vec_syn_len - NS_TEST_L4_OFF;
    uint32_t s = ns_csum_pseudo(NS_TEST_CLI, NS_TEST_SRV, 6, (uint16_t)len);
    CU_ASSERT_EQUAL(ns_csum_fold(ns_csum_partial(s, ns_vec_syn + NS_TEST_L4_OFF, len)), 0);
}

/* ---- the word-at-a-time loop against the RFC 1071 definition ---- */

/* The definition: big-endian 16-bit words, one at a time. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < len)
        acc += (uint32_t)p[i] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
}

static void test_csum_fast_loop_matches_definition(void)
{
    /* Every length to 300 at every alignment, random and all-ones data
     * (where the end-around carries are the most frequent), with start
     * sums that need folding. */
    static uint8_t buf[320];
    uint32_t x = 12345;
    static const uint32_t starts[] = {0, 1, 0xffff, 0xfffffff0u};
    for (int fill = 0; fill < 2; fill++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = fill ? 0xff : (uint8_t)(x >> 16);
        }
        for (size_t off = 0; off < 8; off++)
            for (size_t len = 0; len <= 300; len++)
                for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++)
                    CU_ASSERT_EQUAL_FATAL(ns_csum_partial(starts[k], buf + off, len),
                                          ref_sum(starts[k], buf + off, len));
    }
}

static void test_csum_fast_loop_full_size_frame(void)
{
    static uint8_t buf[65535];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(0xff - (i % 3));
    CU_ASSERT_EQUAL(ns_csum_partial(0, buf, sizeof buf), ref_sum(0, buf, sizeof buf));
    CU_ASSERT_EQUAL(ns_csum_partial(7, buf + 1, sizeof buf - 1),
                    ref_sum(7, buf + 1, sizeof buf - 1));
}

static void test_csum_copy_copies_and_sums_like_partial(void)
{
    static uint8_t src[300], dst[308];
    uint32_t x = 99;
    for (size_t i = 0; i < sizeof src; i++) {
        x = x * 1103515245u + 12345u;
        src[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= sizeof src; len += 7) {
            memset(dst, 0xa5, sizeof dst);
            uint32_t got = ns_csum_copy(3, dst + off, src, len);
            CU_ASSERT_EQUAL_FATAL(got, ns_csum_partial(3, src, len));
            CU_ASSERT_EQUAL_FATAL(memcmp(dst + off, src, len), 0);
            CU_ASSERT_EQUAL_FATAL(dst[off + len], 0xa5); /* nothing past the end */
        }
}

CU_TestInfo ns_wire_checksum_tests[] = {
    {"csum_copy_copies_and_sums_like_partial", test_csum_copy_copies_and_sums_like_partial},
    {"csum_rfc1071_example_sum", test_csum_rfc1071_example_sum},
    {"csum_rfc1071_example_checksum_is_complement",
     test_csum_rfc1071_example_checksum_is_complement},
    {"csum_empty_sums_to_zero", test_csum_empty_sums_to_zero},
    {"csum_odd_length_pads_low_byte_with_zero", test_csum_odd_length_pads_low_byte_with_zero},
    {"csum_single_byte_is_high_byte", test_csum_single_byte_is_high_byte},
    {"csum_carry_wraps_around", test_csum_carry_wraps_around},
    {"csum_all_ones_stays_all_ones", test_csum_all_ones_stays_all_ones},
    {"csum_partial_result_is_folded", test_csum_partial_result_is_folded},
    {"csum_unaligned_start_same_as_aligned", test_csum_unaligned_start_same_as_aligned},
    {"csum_fold_complements_and_folds", test_csum_fold_complements_and_folds},
    {"csum_real_ipv4_header_verifies", test_csum_real_ipv4_header_verifies},
    {"csum_chain_even_split_matches_whole", test_csum_chain_even_split_matches_whole},
    {"csum_chain_any_split_with_add_at_matches_whole",
     test_csum_chain_any_split_with_add_at_matches_whole},
    {"csum_chain_odd_split_of_odd_length_frame", test_csum_chain_odd_split_of_odd_length_frame},
    {"csum_chain_three_chunks_odd_offsets", test_csum_chain_three_chunks_odd_offsets},
    {"csum_pseudo_header_sum", test_csum_pseudo_header_sum},
    {"csum_pseudo_header_folds_carries", test_csum_pseudo_header_folds_carries},
    {"csum_real_tcp_segment_verifies_with_pseudo", test_csum_real_tcp_segment_verifies_with_pseudo},
    {"csum_fast_loop_matches_definition", test_csum_fast_loop_matches_definition},
    {"csum_fast_loop_full_size_frame", test_csum_fast_loop_full_size_frame},
    CU_TEST_INFO_NULL,
};
