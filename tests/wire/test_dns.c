/* Tests of DNS messages (RFC 1035 4.1) against hand-assembled byte
 * vectors: an A query for www.example.com and its compressed answer,
 * NXDOMAIN, and malformed or truncated messages (pointer loops, forward
 * pointers, long names, bad RDLENGTH). */
#include "netsim/wire/dns.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "wire-tests.h"

#define QNAME 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0

/* id 0x1234, RD, one question: www.example.com A IN. */
static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                QNAME, 0, 1, 0, 1};
/* Its answer: QR AA RD, one A record 10.0.0.80 TTL 300, name by pointer. */
static const uint8_t answer[] = {0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
                                 QNAME, 0, 1, 0, 1,
                                 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4,
                                 10, 0, 0, 80};
/* NXDOMAIN for www.example.com. */
static const uint8_t nxdomain[] = {0x12, 0x34, 0x85, 0x03, 0, 1, 0, 0, 0, 0, 0, 0,
                                   QNAME, 0, 1, 0, 1};

static NsDnsMessage query_msg(void)
{
    NsDnsMessage m = {.hdr = {.id = 0x1234, .rd = true}, .has_question = true,
                      .question = {.name = "www.example.com", .type = NS_DNS_TYPE_A,
                                   .klass = NS_DNS_CLASS_IN}};
    return m;
}

static NsDnsMessage answer_msg(void)
{
    NsDnsMessage m = query_msg();
    m.hdr.qr = m.hdr.aa = true;
    m.n_answers = 1;
    m.answers[0] = (NsDnsRr){.name = "www.example.com", .type = NS_DNS_TYPE_A,
                             .klass = NS_DNS_CLASS_IN, .ttl = 300, .rdlength = 4,
                             .addr = 0x0a000050};
    return m;
}

/* ---- parse ---- */

static void test_dns_parse_query(void)
{
    NsDnsMessage m;
    CU_ASSERT_EQUAL_FATAL(ns_dns_parse(query, sizeof query, &m), NS_WIRE_OK);
    CU_ASSERT_EQUAL(m.hdr.id, 0x1234);
    CU_ASSERT_FALSE(m.hdr.qr);
    CU_ASSERT_TRUE(m.hdr.rd);
    CU_ASSERT_TRUE(m.has_question);
    CU_ASSERT_STRING_EQUAL(m.question.name, "www.example.com");
    CU_ASSERT_EQUAL(m.question.type, NS_DNS_TYPE_A);
    CU_ASSERT_EQUAL(m.question.klass, NS_DNS_CLASS_IN);
    CU_ASSERT_EQUAL(m.n_answers, 0);
}

static void test_dns_parse_answer_follows_pointer(void)
{
    NsDnsMessage m;
    CU_ASSERT_EQUAL_FATAL(ns_dns_parse(answer, sizeof answer, &m), NS_WIRE_OK);
    CU_ASSERT_TRUE(m.hdr.qr);
    CU_ASSERT_TRUE(m.hdr.aa);
    CU_ASSERT_EQUAL(m.hdr.rcode, NS_DNS_RCODE_NOERROR);
    CU_ASSERT_EQUAL_FATAL(m.n_answers, 1);
    CU_ASSERT_STRING_EQUAL(m.answers[0].name, "www.example.com");
    CU_ASSERT_EQUAL(m.answers[0].ttl, 300);
    CU_ASSERT_EQUAL(m.answers[0].addr, 0x0a000050u);
}

static void test_dns_parse_nxdomain(void)
{
    NsDnsMessage m;
    CU_ASSERT_EQUAL_FATAL(ns_dns_parse(nxdomain, sizeof nxdomain, &m), NS_WIRE_OK);
    CU_ASSERT_EQUAL(m.hdr.rcode, NS_DNS_RCODE_NXDOMAIN);
    CU_ASSERT_EQUAL(m.n_answers, 0);
}

static void test_dns_parse_every_prefix_truncated(void)
{
    for (size_t n = 0; n < sizeof answer; n++) {
        g_autofree uint8_t *b = ns_test_dup(answer, n);
        NsDnsMessage m;
        CU_ASSERT_EQUAL(ns_dns_parse(b, n, &m), NS_WIRE_TRUNCATED);
    }
}

static void test_dns_parse_self_pointer_malformed(void)
{
    uint8_t b[sizeof answer];
    memcpy(b, answer, sizeof b);
    b[33] = 0xc0; /* the answer's name points at itself: 0xc0 0x21 */
    b[34] = 33;
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_MALFORMED);
}

static void test_dns_parse_pointer_loop_malformed(void)
{
    /* Question name "a" + pointer to offset 12 (back to its own start):
     * a two-step loop a real parser would follow forever. */
    static const uint8_t b[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                1, 'a', 0xc0, 12, 0, 1, 0, 1};
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_MALFORMED);
}

static void test_dns_parse_forward_pointer_malformed(void)
{
    static const uint8_t b[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                0xc0, 18, 0, 1, 0, 1, 1, 'a', 0};
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_MALFORMED);
}

static void test_dns_parse_reserved_label_type_malformed(void)
{
    uint8_t b[sizeof query];
    memcpy(b, query, sizeof b);
    b[12] = 0x43; /* 01xxxxxx: the extended label type */
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_MALFORMED);
}

static void test_dns_parse_name_over_255_malformed(void)
{
    /* Five 63-byte labels: 320 bytes on the wire. */
    uint8_t b[NS_DNS_HLEN + 5 * 64 + 1 + 4] = {0, 1, 0, 0, 0, 1};
    size_t p = NS_DNS_HLEN;
    for (int i = 0; i < 5; i++) {
        b[p++] = 63;
        memset(b + p, 'x', 63);
        p += 63;
    }
    b[p++] = 0;
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_MALFORMED);
}

static void test_dns_parse_a_rdlength_5_malformed(void)
{
    uint8_t b[sizeof answer + 1];
    memcpy(b, answer, sizeof answer);
    b[sizeof answer] = 0;
    b[44] = 5; /* RDLENGTH */
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_MALFORMED);
}

static void test_dns_parse_dot_in_label_unsupported(void)
{
    uint8_t b[sizeof query];
    memcpy(b, query, sizeof b);
    b[14] = '.'; /* "w.w" as one label */
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_UNSUPPORTED);
}

static void test_dns_parse_count_beyond_data_truncated(void)
{
    uint8_t b[sizeof answer];
    memcpy(b, answer, sizeof b);
    ns_write_be16(b + 6, 2); /* two answers announced, one present */
    NsDnsMessage m;
    CU_ASSERT_EQUAL(ns_dns_parse(b, sizeof b, &m), NS_WIRE_TRUNCATED);
}

/* ---- emit ---- */

static void test_dns_emit_query_matches_vector(void)
{
    NsDnsMessage m = query_msg();
    uint8_t b[NS_DNS_UDP_MAX];
    CU_ASSERT_EQUAL_FATAL(ns_dns_emit(&m, b, sizeof b), sizeof query);
    CU_ASSERT_EQUAL(memcmp(b, query, sizeof query), 0);
}

static void test_dns_emit_answer_compresses_name(void)
{
    NsDnsMessage m = answer_msg();
    uint8_t b[NS_DNS_UDP_MAX];
    CU_ASSERT_EQUAL_FATAL(ns_dns_emit(&m, b, sizeof b), sizeof answer);
    CU_ASSERT_EQUAL(memcmp(b, answer, sizeof answer), 0);
}

static void test_dns_emit_suffix_compression_round_trip(void)
{
    NsDnsMessage m = answer_msg();
    m.n_answers = 2;
    m.answers[1] = m.answers[0];
    g_strlcpy(m.answers[1].name, "mail.EXAMPLE.com", sizeof m.answers[1].name);
    uint8_t b[NS_DNS_UDP_MAX];
    size_t n = ns_dns_emit(&m, b, sizeof b);
    /* "mail" label (5 bytes) + pointer to "example.com" at offset 16. */
    CU_ASSERT_EQUAL_FATAL(n, sizeof answer + 5 + 2 + 14);
    CU_ASSERT_EQUAL(b[sizeof answer + 5], 0xc0);
    CU_ASSERT_EQUAL(b[sizeof answer + 6], 16);
    NsDnsMessage back;
    CU_ASSERT_EQUAL_FATAL(ns_dns_parse(b, n, &back), NS_WIRE_OK);
    CU_ASSERT_STRING_EQUAL(back.answers[1].name, "mail.example.com");
}

static void test_dns_emit_small_buffer_zero(void)
{
    NsDnsMessage m = answer_msg();
    uint8_t b[sizeof answer];
    for (size_t n = 0; n < sizeof answer; n++)
        CU_ASSERT_EQUAL(ns_dns_emit(&m, b, n), 0);
}

static void test_dns_emit_invalid_name_zero(void)
{
    NsDnsMessage m = query_msg();
    g_strlcpy(m.question.name, "www..com", sizeof m.question.name);
    uint8_t b[NS_DNS_UDP_MAX];
    CU_ASSERT_EQUAL(ns_dns_emit(&m, b, sizeof b), 0);
}

static void test_dns_emit_nxdomain_matches_vector(void)
{
    NsDnsMessage m = query_msg();
    m.hdr.qr = m.hdr.aa = true;
    m.hdr.rcode = NS_DNS_RCODE_NXDOMAIN;
    uint8_t b[NS_DNS_UDP_MAX];
    CU_ASSERT_EQUAL_FATAL(ns_dns_emit(&m, b, sizeof b), sizeof nxdomain);
    CU_ASSERT_EQUAL(memcmp(b, nxdomain, sizeof nxdomain), 0);
}

/* ---- names and summaries ---- */

static void test_dns_name_valid_and_equal(void)
{
    CU_ASSERT_TRUE(ns_dns_name_valid("www.example.com."));
    CU_ASSERT_TRUE(ns_dns_name_valid(""));
    CU_ASSERT_FALSE(ns_dns_name_valid(".com"));
    CU_ASSERT_FALSE(ns_dns_name_valid("a b.com"));
    char label64[70];
    memset(label64, 'x', 64);
    label64[64] = 0;
    CU_ASSERT_FALSE(ns_dns_name_valid(label64));
    CU_ASSERT_TRUE(ns_dns_name_equal("WWW.Example.com", "www.example.com."));
    CU_ASSERT_FALSE(ns_dns_name_equal("www.example.co", "www.example.com"));
}

static void test_dns_summary_query_answer_nxdomain(void)
{
    char s[128];
    CU_ASSERT_TRUE(ns_dns_summary(query, sizeof query, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "DNS A? www.example.com");
    CU_ASSERT_TRUE(ns_dns_summary(answer, sizeof answer, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "DNS www.example.com A 10.0.0.80");
    CU_ASSERT_TRUE(ns_dns_summary(nxdomain, sizeof nxdomain, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "DNS www.example.com NXDOMAIN");
}

/* RFC 3596 2.2: an AAAA record's RDATA is the 16-byte address; it
 * round-trips and the summary writes it as RFC 5952 does. */
static void test_dns_aaaa_answer_round_trip_and_summary(void)
{
    NsDnsMessage m = answer_msg();
    m.question.type = NS_DNS_TYPE_AAAA;
    NsDnsRr *rr = &m.answers[0];
    rr->type = NS_DNS_TYPE_AAAA;
    rr->rdlength = 16;
    rr->addr = 0;
    static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 3, [15] = 0x80};
    memcpy(rr->addr6, a6, 16);
    uint8_t b[NS_DNS_UDP_MAX];
    size_t n = ns_dns_emit(&m, b, sizeof b);
    CU_ASSERT_EQUAL_FATAL(n, sizeof answer + 12); /* 16 bytes of RDATA instead of 4 */
    CU_ASSERT_EQUAL(b[n - 17], 16); /* RDLENGTH */
    NsDnsMessage back;
    CU_ASSERT_EQUAL_FATAL(ns_dns_parse(b, n, &back), NS_WIRE_OK);
    CU_ASSERT_EQUAL(back.answers[0].type, NS_DNS_TYPE_AAAA);
    CU_ASSERT_EQUAL(memcmp(back.answers[0].addr6, a6, 16), 0);
    char s[128];
    CU_ASSERT_TRUE(ns_dns_summary(b, n, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "DNS www.example.com AAAA 2001:db8:3::80");
    b[n - 17] = 4; /* an AAAA record of 4 bytes is malformed */
    CU_ASSERT_EQUAL(ns_dns_parse(b, n - 12, &back), NS_WIRE_MALFORMED);
}

static void test_dns_summary_malformed(void)
{
    char s[64];
    CU_ASSERT_FALSE(ns_dns_summary((const uint8_t *)"?", 1, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "DNS (truncated)");
    char tiny[8];
    CU_ASSERT_TRUE(ns_dns_summary(query, sizeof query, tiny, sizeof tiny));
    CU_ASSERT_EQUAL(strlen(tiny), 7);
}

CU_TestInfo ns_wire_dns_tests[] = {
    {"parse_query", test_dns_parse_query},
    {"parse_answer_follows_pointer", test_dns_parse_answer_follows_pointer},
    {"parse_nxdomain", test_dns_parse_nxdomain},
    {"parse_every_prefix_truncated", test_dns_parse_every_prefix_truncated},
    {"parse_self_pointer_malformed", test_dns_parse_self_pointer_malformed},
    {"parse_pointer_loop_malformed", test_dns_parse_pointer_loop_malformed},
    {"parse_forward_pointer_malformed", test_dns_parse_forward_pointer_malformed},
    {"parse_reserved_label_type_malformed", test_dns_parse_reserved_label_type_malformed},
    {"parse_name_over_255_malformed", test_dns_parse_name_over_255_malformed},
    {"parse_a_rdlength_5_malformed", test_dns_parse_a_rdlength_5_malformed},
    {"parse_dot_in_label_unsupported", test_dns_parse_dot_in_label_unsupported},
    {"parse_count_beyond_data_truncated", test_dns_parse_count_beyond_data_truncated},
    {"emit_query_matches_vector", test_dns_emit_query_matches_vector},
    {"emit_answer_compresses_name", test_dns_emit_answer_compresses_name},
    {"emit_suffix_compression_round_trip", test_dns_emit_suffix_compression_round_trip},
    {"emit_small_buffer_zero", test_dns_emit_small_buffer_zero},
    {"emit_invalid_name_zero", test_dns_emit_invalid_name_zero},
    {"emit_nxdomain_matches_vector", test_dns_emit_nxdomain_matches_vector},
    {"name_valid_and_equal", test_dns_name_valid_and_equal},
    {"summary_query_answer_nxdomain", test_dns_summary_query_answer_nxdomain},
    {"summary_malformed", test_dns_summary_malformed},
    {"dns_aaaa_answer_round_trip_and_summary", test_dns_aaaa_answer_round_trip_and_summary},
    CU_TEST_INFO_NULL,
};
