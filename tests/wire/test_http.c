/* Tests of HTTP/1.1 heads (RFC 9112): request and status lines, the
 * Host/Connection/Content-Length fields, rejection of malformed and
 * truncated heads, emitters, and the incremental response reader fed in
 * pieces. */
#include "netsim/wire/http.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "wire-tests.h"

static const char req_text[] = "GET /index.html HTTP/1.1\r\n"
                               "Host: www.example.com\r\n"
                               "Connection: close\r\n"
                               "\r\n";
static const char resp_text[] = "HTTP/1.1 200 OK\r\n"
                                "Content-Length: 5\r\n"
                                "Content-Type: text/html\r\n"
                                "\r\n"
                                "hello";
#define RESP_HEAD_LEN (sizeof resp_text - 1 - 5)

#define U8(s) ((const uint8_t *)(s))

static NsWireResult req_parse(const char *s, NsHttpRequest *r)
{
    return ns_http_request_parse(U8(s), strlen(s), r);
}

static bool str_is(NsHttpStr s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* ---- requests ---- */

static void test_http_request_parse_fields(void)
{
    NsHttpRequest r;
    CU_ASSERT_EQUAL_FATAL(req_parse(req_text, &r), NS_WIRE_OK);
    CU_ASSERT_TRUE(str_is(r.method, "GET"));
    CU_ASSERT_TRUE(str_is(r.target, "/index.html"));
    CU_ASSERT_EQUAL(r.version_minor, 1);
    CU_ASSERT_TRUE(str_is(r.host, "www.example.com"));
    CU_ASSERT_EQUAL(r.connection, NS_HTTP_CONN_CLOSE);
    CU_ASSERT_FALSE(r.has_content_length);
    CU_ASSERT_EQUAL(r.head_len, strlen(req_text));
}

static void test_http_request_every_prefix_truncated(void)
{
    size_t len = strlen(req_text);
    for (size_t n = 0; n < len; n++) {
        g_autofree uint8_t *b = ns_test_dup(U8(req_text), n);
        NsHttpRequest r;
        CU_ASSERT_EQUAL(ns_http_request_parse(b, n, &r), NS_WIRE_TRUNCATED);
    }
}

static void test_http_request_malformed(void)
{
    static const char *const bad[] = {
        "GET /index.html HTTP/1.1\nHost: x\r\n\r\n",   /* bare LF */
        "GET /index.html HTTP/1.1\r\nHost : x\r\n\r\n", /* blank before colon */
        "GET /index.html HTTP/1.1\r\nHost x\r\n\r\n",   /* no colon */
        "GET  /index.html HTTP/1.1\r\n\r\n",            /* two blanks */
        "GET /index.html\r\n\r\n",                      /* no version */
        "GET /index.html HTTP/1.1\r\n folded\r\n\r\n",  /* obsolete folding */
        "GET / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\rX\r\n\r\n", /* bare CR */
        "GET / HTTQ/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        NsHttpRequest r;
        CU_ASSERT_EQUAL(req_parse(bad[i], &r), NS_WIRE_MALFORMED);
    }
}

static void test_http_request_rejected_early(void)
{
    /* A bad request line is refused before the head is complete. */
    NsHttpRequest r;
    CU_ASSERT_EQUAL(req_parse("GET / HTTP/1.1 x\r\nHost", &r), NS_WIRE_MALFORMED);
}

static void test_http_request_unsupported(void)
{
    NsHttpRequest r;
    CU_ASSERT_EQUAL(req_parse("GET / HTTP/2.0\r\n\r\n", &r), NS_WIRE_UNSUPPORTED);
    CU_ASSERT_EQUAL(req_parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &r),
                    NS_WIRE_UNSUPPORTED);
}

static void test_http_request_head_too_long_malformed(void)
{
    GString *s = g_string_new("GET / HTTP/1.1\r\n");
    while (s->len < NS_HTTP_HEAD_MAX + 10)
        g_string_append(s, "X-Filler: 0123456789abcdef\r\n");
    NsHttpRequest r;
    CU_ASSERT_EQUAL(ns_http_request_parse(U8(s->str), s->len, &r), NS_WIRE_MALFORMED);
    g_string_free(s, TRUE);
}

static void test_http_request_connection_list_and_case(void)
{
    NsHttpRequest r;
    CU_ASSERT_EQUAL_FATAL(req_parse("GET / HTTP/1.0\r\nCONNECTION: Keep-Alive, Upgrade\r\n"
                                    "content-length:  7 \r\n\r\n", &r), NS_WIRE_OK);
    CU_ASSERT_EQUAL(r.version_minor, 0);
    CU_ASSERT_EQUAL(r.connection, NS_HTTP_CONN_KEEP_ALIVE);
    CU_ASSERT_TRUE(r.has_content_length);
    CU_ASSERT_EQUAL(r.content_length, 7);
}

static void test_http_request_emit_matches_text(void)
{
    NsHttpRequest r = {.method = {"GET", 3}, .target = {"/index.html", 11},
                       .version_minor = 1, .host = {"www.example.com", 15},
                       .connection = NS_HTTP_CONN_CLOSE};
    uint8_t b[256];
    size_t n = ns_http_request_emit(&r, NULL, b, sizeof b);
    CU_ASSERT_EQUAL_FATAL(n, strlen(req_text));
    CU_ASSERT_EQUAL(memcmp(b, req_text, n), 0);
    for (size_t k = 0; k < n; k++)
        CU_ASSERT_EQUAL(ns_http_request_emit(&r, NULL, b, k), 0);
}

static void test_http_request_emit_rejects_blank_target(void)
{
    NsHttpRequest r = {.method = {"GET", 3}, .target = {"/a b", 4}, .version_minor = 1};
    uint8_t b[256];
    CU_ASSERT_EQUAL(ns_http_request_emit(&r, NULL, b, sizeof b), 0);
}

/* ---- responses ---- */

static void test_http_response_parse_fields(void)
{
    NsHttpResponse r;
    CU_ASSERT_EQUAL_FATAL(ns_http_response_parse(U8(resp_text), strlen(resp_text), &r),
                          NS_WIRE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_TRUE(str_is(r.reason, "OK"));
    CU_ASSERT_TRUE(r.has_content_length);
    CU_ASSERT_EQUAL(r.content_length, 5);
    CU_ASSERT_EQUAL(r.head_len, RESP_HEAD_LEN);
}

static void test_http_response_every_prefix_truncated(void)
{
    for (size_t n = 0; n < RESP_HEAD_LEN; n++) {
        g_autofree uint8_t *b = ns_test_dup(U8(resp_text), n);
        NsHttpResponse r;
        CU_ASSERT_EQUAL(ns_http_response_parse(b, n, &r), NS_WIRE_TRUNCATED);
    }
}

static void test_http_response_malformed(void)
{
    static const char *const bad[] = {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n",
                                      "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1\r\n\r\n",
                                      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        NsHttpResponse r;
        CU_ASSERT_EQUAL(ns_http_response_parse(U8(bad[i]), strlen(bad[i]), &r),
                        NS_WIRE_MALFORMED);
    }
}

static void test_http_response_emit_round_trip(void)
{
    NsHttpResponse r = {.version_minor = 1, .status = 404, .reason = {"Not Found", 9},
                        .connection = NS_HTTP_CONN_CLOSE, .has_content_length = true,
                        .content_length = 153};
    uint8_t b[256];
    size_t n = ns_http_response_emit(&r, "Server: netsim\r\n", b, sizeof b);
    CU_ASSERT_FATAL(n > 0);
    NsHttpResponse back;
    CU_ASSERT_EQUAL_FATAL(ns_http_response_parse(b, n, &back), NS_WIRE_OK);
    CU_ASSERT_EQUAL(back.status, 404);
    CU_ASSERT_TRUE(str_is(back.reason, "Not Found"));
    CU_ASSERT_EQUAL(back.connection, NS_HTTP_CONN_CLOSE);
    CU_ASSERT_EQUAL(back.content_length, 153);
    CU_ASSERT_EQUAL(back.head_len, n);
}

/* ---- reader ---- */

static void test_http_reader_byte_by_byte(void)
{
    NsHttpReader *r = g_new(NsHttpReader, 1);
    ns_http_reader_init(r);
    size_t len = strlen(resp_text);
    for (size_t i = 0; i < len; i++) {
        size_t used;
        NsHttpReadStatus st = ns_http_reader_feed(r, U8(resp_text) + i, 1, &used);
        CU_ASSERT_EQUAL(used, 1);
        CU_ASSERT_EQUAL(st, i + 1 == len ? NS_HTTP_READ_DONE : NS_HTTP_READ_MORE);
    }
    CU_ASSERT_EQUAL(r->resp.status, 200);
    CU_ASSERT_EQUAL(r->body_read, 5);
    ns_http_reader_clear(r);
    g_free(r);
}

static void test_http_reader_two_responses_in_one_piece(void)
{
    g_autofree char *two = g_strconcat(resp_text, resp_text, NULL);
    size_t len = strlen(two), one = strlen(resp_text), used;
    NsHttpReader *r = g_new(NsHttpReader, 1);
    ns_http_reader_init(r);
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(two), len, &used), NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(used, one);
    ns_http_reader_clear(r);
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(two) + one, len - one, &used), NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(used, one);
    ns_http_reader_clear(r);
    g_free(r);
}

static void test_http_reader_garbage_error(void)
{
    NsHttpReader *r = g_new(NsHttpReader, 1);
    ns_http_reader_init(r);
    size_t used;
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8("SSH-2.0-OpenSSH\r\n"), 17, &used),
                    NS_HTTP_READ_ERROR);
    CU_ASSERT_EQUAL(r->error, NS_WIRE_MALFORMED);
    ns_http_reader_clear(r);
    g_free(r);
}

/* The reader keeps the head alone, in storage of the head's size, whether
 * it came whole or in pieces with body bytes behind it; the reason points
 * into that storage. */
static void test_http_reader_keeps_head_alone(void)
{
    size_t head = strlen(resp_text) - 5, used;
    NsHttpReader *r = g_new(NsHttpReader, 1);
    ns_http_reader_init(r);
    CU_ASSERT_PTR_NULL(r->head);
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(resp_text), strlen(resp_text), &used),
                    NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(used, strlen(resp_text));
    CU_ASSERT_EQUAL(r->head_cap, head);
    CU_ASSERT_EQUAL(memcmp(r->head, resp_text, head), 0);
    CU_ASSERT_PTR_EQUAL(r->resp.reason.ptr, (const char *)r->head + 13);
    ns_http_reader_clear(r);
    CU_ASSERT_PTR_NULL(r->head);
    CU_ASSERT_EQUAL(r->head_cap, 0);
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(resp_text), 10, &used), NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(r->head_cap, 256);
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(resp_text) + 10, strlen(resp_text) - 10, &used),
                    NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(used, strlen(resp_text) - 10);
    CU_ASSERT_EQUAL(r->head_cap, head);
    CU_ASSERT_EQUAL(memcmp(r->head, resp_text, head), 0);
    CU_ASSERT_PTR_EQUAL(r->resp.reason.ptr, (const char *)r->head + 13);
    CU_ASSERT_EQUAL(r->resp.reason.len, 2);
    CU_ASSERT_EQUAL(r->body_read, 5);
    ns_http_reader_clear(r);
    g_free(r);
}

static void test_http_reader_eof(void)
{
    NsHttpReader *r = g_new(NsHttpReader, 1);
    size_t used;
    ns_http_reader_init(r);
    static const char no_len[] = "HTTP/1.0 200 OK\r\n\r\nbody until close";
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(no_len), strlen(no_len), &used), NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(ns_http_reader_eof(r), NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(r->body_read, 16);
    ns_http_reader_clear(r);
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(resp_text), strlen(resp_text) - 1, &used),
                    NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(ns_http_reader_eof(r), NS_HTTP_READ_ERROR);
    CU_ASSERT_EQUAL(r->error, NS_WIRE_TRUNCATED);
    ns_http_reader_clear(r);
    g_free(r);
}

/* What is left of the body is counted without the bytes: none while the
 * head is read, the rest of a Content-Length body (DONE at its end), all
 * of a body that runs to the end of the stream, none without a body. */
static void test_http_reader_body_left_and_skip(void)
{
    NsHttpReader *r = g_new(NsHttpReader, 1);
    size_t used;
    ns_http_reader_init(r);
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nab";
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(head), 10, &used), NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(ns_http_reader_body_left(r), 0);
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(head) + 10, strlen(head) - 10, &used),
                    NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(ns_http_reader_body_left(r), 99998);
    CU_ASSERT_EQUAL(ns_http_reader_skip(r, 99997), NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(ns_http_reader_body_left(r), 1);
    CU_ASSERT_EQUAL(ns_http_reader_skip(r, 1), NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(r->body_read, 100000);
    CU_ASSERT_EQUAL(ns_http_reader_body_left(r), 0);
    ns_http_reader_clear(r);
    static const char no_len[] = "HTTP/1.0 200 OK\r\n\r\n";
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(no_len), strlen(no_len), &used), NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(ns_http_reader_body_left(r), UINT64_MAX);
    CU_ASSERT_EQUAL(ns_http_reader_skip(r, 70000), NS_HTTP_READ_MORE);
    CU_ASSERT_EQUAL(ns_http_reader_eof(r), NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(r->body_read, 70000);
    ns_http_reader_clear(r);
    static const char none[] = "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n";
    CU_ASSERT_EQUAL(ns_http_reader_feed(r, U8(none), strlen(none), &used), NS_HTTP_READ_DONE);
    CU_ASSERT_EQUAL(ns_http_reader_body_left(r), 0);
    ns_http_reader_clear(r);
    g_free(r);
}

/* ---- summaries ---- */

static void test_http_summary(void)
{
    char s[128];
    CU_ASSERT_TRUE(ns_http_summary(U8(req_text), strlen(req_text), s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "HTTP GET /index.html");
    static const char r1200[] = "HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n";
    CU_ASSERT_TRUE(ns_http_summary(U8(r1200), strlen(r1200), s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "HTTP 200 OK (1200B)");
    /* A segment cut inside the head still gets its start line. */
    CU_ASSERT_TRUE(ns_http_summary(U8(r1200), 20, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "HTTP 200 OK");
    CU_ASSERT_FALSE(ns_http_summary(U8("hello"), 5, s, sizeof s));
    CU_ASSERT_FALSE(ns_http_summary(U8("GET /x"), 6, s, sizeof s));
}

/* The four bytes "GET " alone, in a buffer of exactly four bytes (so that
 * ASan sees any read past them): a request cut before its target. */
static void test_http_summary_four_bytes(void)
{
    g_autofree uint8_t *get = g_memdup2("GET ", 4);
    char s[128];
    CU_ASSERT_FALSE(ns_http_summary(get, 4, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "");
}

CU_TestInfo ns_wire_http_tests[] = {
    {"request_parse_fields", test_http_request_parse_fields},
    {"request_every_prefix_truncated", test_http_request_every_prefix_truncated},
    {"request_malformed", test_http_request_malformed},
    {"request_rejected_early", test_http_request_rejected_early},
    {"request_unsupported", test_http_request_unsupported},
    {"request_head_too_long_malformed", test_http_request_head_too_long_malformed},
    {"request_connection_list_and_case", test_http_request_connection_list_and_case},
    {"request_emit_matches_text", test_http_request_emit_matches_text},
    {"request_emit_rejects_blank_target", test_http_request_emit_rejects_blank_target},
    {"response_parse_fields", test_http_response_parse_fields},
    {"response_every_prefix_truncated", test_http_response_every_prefix_truncated},
    {"response_malformed", test_http_response_malformed},
    {"response_emit_round_trip", test_http_response_emit_round_trip},
    {"reader_byte_by_byte", test_http_reader_byte_by_byte},
    {"reader_two_responses_in_one_piece", test_http_reader_two_responses_in_one_piece},
    {"reader_garbage_error", test_http_reader_garbage_error},
    {"reader_keeps_head_alone", test_http_reader_keeps_head_alone},
    {"reader_eof", test_http_reader_eof},
    {"reader_body_left_and_skip", test_http_reader_body_left_and_skip},
    {"summary", test_http_summary},
    {"summary_four_bytes", test_http_summary_four_bytes},
    CU_TEST_INFO_NULL,
};
