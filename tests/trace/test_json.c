/* The JSON Lines sink: field names and order, omitted fields, escaping, a
 * TCP state change and segment, and one line per event; json-glib loaded
 * at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This file is linked with json-glib and calls it directly: the table's
 * slots keep their names (see netsim/json-lib.h). */
#define NS_JSON_LIB_TABLE
#include "netsim/json-lib.h"
#include "netsim/trace-json.h"
#include "trace-private.h"
#include "trace-tests.h"

/* The line the sink writes for `ev` (transfer full). */
static char *line_of(const NsTraceEvent *ev)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    g_autoptr(NsTracer) tr = ns_tracer_new();
    ns_tracer_set_kinds(tr, NS_TRACE_MASK_ALL); /* congestion samples too */
    ns_json_sink_attach(ns_json_sink_new(f, NULL, NULL), tr);
    ns_trace_emit(tr, ev);
    fclose(f);
    return buf;
}

static JsonObject *parse(JsonParser *p, const char *line)
{
    CU_ASSERT_FATAL(json_parser_load_from_data(p, line, -1, NULL));
    return json_node_get_object(json_parser_get_root(p));
}

static void test_json_udp_send_fields(void)
{
    NsTraceEvent ev = DGRAM(.time = 2000000, .summary = "DNS A? www.example.com");
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(line,
                           "{\"t_ns\":2000000,\"host\":\"cli\",\"kind\":\"send\",\"proto\":\"udp\","
                           "\"src\":\"10.0.0.1:49152\",\"dst\":\"10.0.0.80:53\",\"ttl\":64,"
                           "\"ip_len\":61,\"len\":33,\"summary\":\"DNS A? www.example.com\"}\n");
}

static void test_json_tcp_segment_has_flags_seq_ack_win_options(void)
{
    NsTraceEvent ev = SEG(.tcp_flags = 0x12, .seq = 0, .ack = 1, .win = 65160);
    g_autofree char *line = line_of(&ev);
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = parse(p, line);
    CU_ASSERT_STRING_EQUAL(json_object_get_string_member(o, "flags"), "S.");
    CU_ASSERT_EQUAL(json_object_get_int_member(o, "seq"), 0);
    CU_ASSERT_EQUAL(json_object_get_int_member(o, "ack"), 1);
    CU_ASSERT_EQUAL(json_object_get_int_member(o, "win"), 65160);
    CU_ASSERT_STRING_EQUAL(json_object_get_string_member(o, "options"), "mss 1460");
    CU_ASSERT_EQUAL(json_object_get_int_member(o, "len"), 0);
}

static void test_json_tcp_without_ack_flag_omits_ack(void)
{
    NsTraceEvent ev = SEG(.tcp_flags = 0x02);
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_NULL(strstr(line, "\"ack\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"seq\":0"));
}

static void test_json_tcp_state_change(void)
{
    NsTraceEvent ev = {.time = 4000000, .kind = NS_TRACE_TCP, .host = "browser", .proto = 6,
                       .src = CLI, .sport = 49153, .dst = SRV, .dport = 80, .sock_id = 3,
                       .tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_SYN_SENT,
                       .cause = NS_CAUSE_APP_CONNECT};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_STRING_EQUAL(line,
                           "{\"t_ns\":4000000,\"host\":\"browser\",\"kind\":\"tcp\",\"sock\":{"
                           "\"id\":3,\"proto\":\"tcp\",\"local\":\"10.0.0.1:49153\",\"remote\":"
                           "\"10.0.0.80:80\"},\"from\":\"CLOSED\",\"to\":\"SYN-SENT\",\"what\":"
                           "\"state\",\"cause\":\"app connect\"}\n");
}

static void test_json_escapes_quotes_backslashes_and_controls(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_APP, .host = "h", .what = "send",
                       .text = "S \"a\\b\"\n\t\x01"};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_EQUAL(strchr(line, '\n'), line + strlen(line) - 1);
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = parse(p, line);
    CU_ASSERT_STRING_EQUAL(json_object_get_string_member(o, "text"), "S \"a\\b\"\n\t\x01");
}

static void test_json_errno_is_a_name_and_absent_fields_are_omitted(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_APP, .host = "cli", .what = "recv", .text = "C failed:",
                       .err = ns_errno_from_name("ECONNREFUSED")};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"errno\":\"ECONNREFUSED\""));
    CU_ASSERT_PTR_NULL(strstr(line, "null"));
    CU_ASSERT_PTR_NULL(strstr(line, "\"sock\""));
    CU_ASSERT_PTR_NULL(strstr(line, "\"cause\""));
}

static void test_json_icmp_echo_has_id_and_seq(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_RECV, .host = "srv", .proto = 1, .src = CLI, .dst = SRV,
                       .ttl = 63, .icmp_type = 8, .icmp_id = 7, .icmp_seq = 2, .payload_len = 56};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.80\""));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(line, "\"icmp\":{\"type\":8,\"code\":0,\"name\":\"echo request\",\"id\":7,\"seq\":2}"));
}

static void test_json_expect_has_ok(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_EXPECT, .host = "cli", .text = "U error none",
                       .verdict = NS_VERDICT_FAIL};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"ok\":false"));
}

static void test_json_one_line_per_event(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    g_autoptr(NsTracer) tr = ns_tracer_new();
    ns_json_sink_attach(ns_json_sink_new(f, NULL, NULL), tr);
    for (int i = 0; i < 5; i++) {
        NsTraceEvent ev = DGRAM(.time = i);
        ns_trace_emit(tr, &ev);
    }
    NsTraceEvent frame = {.kind = NS_TRACE_FRAME, .host = "cli", .dir = NS_TRACE_DIR_OUT};
    if (ns_tracer_wants(tr, NS_TRACE_FRAME))
        ns_trace_emit(tr, &frame);
    fclose(f);
    int lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    CU_ASSERT_EQUAL(lines, 5);
    free(buf);
}

static void test_json_accepted_socket_carries_its_listener(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_TCP, .host = "srv", .proto = 6, .src = SRV, .sport = 80,
                       .dst = CLI, .dport = 49153, .sock_id = 6, .parent_id = 2,
                       .tcp_from = NS_TCP_STATE_CLOSED, .tcp_to = NS_TCP_STATE_SYN_RECEIVED,
                       .cause = NS_CAUSE_RCV_SYN_LISTENER};
    g_autofree char *line = line_of(&ev);
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = parse(p, line);
    JsonObject *sock = json_object_get_object_member(o, "sock");
    CU_ASSERT_EQUAL(json_object_get_int_member(sock, "id"), 6);
    CU_ASSERT_EQUAL(json_object_get_int_member(sock, "parent"), 2);
    CU_ASSERT_STRING_EQUAL(json_object_get_string_member(o, "to"), "SYN-RECEIVED");
    CU_ASSERT_STRING_EQUAL(json_object_get_string_member(o, "cause"), "rcv SYN on a listener");
}

static void test_json_timer_has_socket_kind_and_duration(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_TIMER, .host = "cli", .proto = 6, .src = CLI,
                       .sport = 49153, .dst = SRV, .dport = 80, .sock_id = 3,
                       .timer = NS_TIMER_FIN_WAIT_2, .timer_op = NS_TIMER_ARMED,
                       .duration = 60000000000};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"sock\":{\"id\":3,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"timer\":\"FIN-WAIT-2 timeout\",\"duration_ns\":"
                                        "60000000000,\"what\":\"armed\""));
}

static void test_json_congestion_sample_is_numbers(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_CC, .host = "cli", .proto = 6, .src = CLI, .sport = 49153,
                       .dst = SRV, .dport = 80, .sock_id = 3, .cwnd = 14480, .ssthresh = 7240,
                       .mss = 1448, .in_flight = 2896, .srtt = 21000000, .rto = 221000000};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"kind\":\"cc\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"cwnd\":14480,\"ssthresh\":7240,\"mss\":1448,"
                                        "\"in_flight\":2896,\"srtt_ns\":21000000,"
                                        "\"rto_ns\":221000000"));
}

static void test_json_expect_has_file_and_line(void)
{
    NsTraceEvent ev = {.kind = NS_TRACE_EXPECT, .host = "cli", .text = "S state CLOSED",
                       .verdict = NS_VERDICT_PASS, .loc = {"s.scn", 12}};
    g_autofree char *line = line_of(&ev);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"file\":\"s.scn\",\"line\":12,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"ok\":true"));
}

/* Bytes that are not UTF-8 in a string become U+FFFD: the line stays
 * valid JSON Lines for any reader. */
static void test_json_line_is_utf8_whatever_the_bytes(void)
{
    CU_ASSERT_FATAL(ns_json_lib_load(NULL));
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "summary");
    json_builder_add_string_value(b, "GET /\xff\xfe x");
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ns_json_write_line(f, root);
    fclose(f);
    CU_ASSERT_TRUE(g_utf8_validate(buf, (gssize)len, NULL));
    CU_ASSERT_STRING_EQUAL(buf, "{\"summary\":\"GET /\xef\xbf\xbd\xef\xbf\xbd x\"}\n");
    free(buf);
}

/* ---- loading json-glib ---- */

static void test_json_lib_loads_the_functions_json_glib_has(void)
{
    NsJsonLib lib = {0};
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE_FATAL(ns_json_lib_open(NS_JSON_LIB_SONAME, &lib, &error));
    CU_ASSERT_PTR_NULL(error);
    /* The library this test is linked with: the same functions. */
    CU_ASSERT_PTR_EQUAL(lib.json_builder_new, json_builder_new);
    CU_ASSERT_PTR_EQUAL(lib.json_object_iter_next_ordered, json_object_iter_next_ordered);
    CU_ASSERT_PTR_EQUAL(lib.g_object_unref, g_object_unref);
    CU_ASSERT_PTR_EQUAL(lib.g_converter_convert, g_converter_convert);
}

/* The library's text comes back in netsim's memory: appended to a string
 * of netsim's (after what it held), or a copy to g_free. */
static void test_json_lib_text_comes_back_as_netsim_memory(void)
{
    CU_ASSERT_FATAL(ns_json_lib_load(NULL));
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "n");
    json_builder_add_int_value(b, 7);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    g_autoptr(GString) s = g_string_new("x");
    ns_json_lib_generate(gen, s);
    CU_ASSERT_STRING_EQUAL(s->str, "x{\"n\":7}");
    CU_ASSERT_EQUAL(s->len, 8);
    g_autofree char *text = ns_json_lib_to_string(root);
    CU_ASSERT_STRING_EQUAL(text, "{\"n\":7}");
}

/* A GError that a GIO function set is freed by the library's GLib; NULL is
 * nothing to free. */
static void test_json_lib_frees_its_errors(void)
{
    CU_ASSERT_FATAL(ns_json_lib_load(NULL));
    ns_json_lib_error_free(NULL);
    GError *error = NULL;
    GConverter *z = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, -1));
    char out[64];
    gsize read = 0, written = 0;
    /* The stream's header, then nothing more to do without input. */
    CU_ASSERT_EQUAL(g_converter_convert(z, "", 0, out, sizeof out, G_CONVERTER_NO_FLAGS,
                                        &read, &written, &error),
                    G_CONVERTER_CONVERTED);
    CU_ASSERT_EQUAL(g_converter_convert(z, "", 0, out, sizeof out, G_CONVERTER_NO_FLAGS,
                                        &read, &written, &error),
                    G_CONVERTER_ERROR);
    CU_ASSERT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT));
    ns_json_lib_error_free(error);
    g_object_unref(z);
}

static void test_json_lib_missing_library_is_an_error(void)
{
    NsJsonLib lib = {0};
    g_autoptr(GError) error = NULL;
    CU_ASSERT_FALSE(ns_json_lib_open("libnetsim-no-such-library.so.0", &lib, &error));
    CU_ASSERT_TRUE_FATAL(g_error_matches(error, NS_JSON_LIB_ERROR, NS_JSON_LIB_ERROR_MISSING));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "cannot load json-glib: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "libnetsim-no-such-library.so.0"));
    CU_ASSERT_PTR_NULL(lib.json_builder_new);
}

/* GLib loads, but is not json-glib: the first function it lacks is named
 * and the table is left as it was. */
static void test_json_lib_missing_function_is_an_error(void)
{
    NsJsonLib lib = {0};
    g_autoptr(GError) error = NULL;
    CU_ASSERT_FALSE(ns_json_lib_open("libglib-2.0.so.0", &lib, &error));
    CU_ASSERT_TRUE_FATAL(g_error_matches(error, NS_JSON_LIB_ERROR, NS_JSON_LIB_ERROR_MISSING));
    CU_ASSERT_STRING_EQUAL(error->message,
                           "cannot load json-glib: libglib-2.0.so.0 has no function json_builder_new");
    CU_ASSERT_PTR_NULL(lib.json_builder_new);
    CU_ASSERT_PTR_NULL(lib.g_object_unref);
}

CU_TestInfo ns_json_tests[] = {
    {"lib_loads_the_functions_json_glib_has", test_json_lib_loads_the_functions_json_glib_has},
    {"lib_text_comes_back_as_netsim_memory", test_json_lib_text_comes_back_as_netsim_memory},
    {"lib_frees_its_errors", test_json_lib_frees_its_errors},
    {"lib_missing_library_is_an_error", test_json_lib_missing_library_is_an_error},
    {"lib_missing_function_is_an_error", test_json_lib_missing_function_is_an_error},
    {"line_is_utf8_whatever_the_bytes", test_json_line_is_utf8_whatever_the_bytes},
    {"accepted_socket_carries_its_listener", test_json_accepted_socket_carries_its_listener},
    {"timer_has_socket_kind_and_duration", test_json_timer_has_socket_kind_and_duration},
    {"congestion_sample_is_numbers", test_json_congestion_sample_is_numbers},
    {"expect_has_file_and_line", test_json_expect_has_file_and_line},
    {"udp_send_fields", test_json_udp_send_fields},
    {"tcp_segment_has_flags_seq_ack_win_options",
     test_json_tcp_segment_has_flags_seq_ack_win_options},
    {"tcp_without_ack_flag_omits_ack", test_json_tcp_without_ack_flag_omits_ack},
    {"tcp_state_change", test_json_tcp_state_change},
    {"escapes_quotes_backslashes_and_controls", test_json_escapes_quotes_backslashes_and_controls},
    {"errno_is_a_name_and_absent_fields_are_omitted",
     test_json_errno_is_a_name_and_absent_fields_are_omitted},
    {"icmp_echo_has_id_and_seq", test_json_icmp_echo_has_id_and_seq},
    {"expect_has_ok", test_json_expect_has_ok},
    {"one_line_per_event", test_json_one_line_per_event},
    CU_TEST_INFO_NULL,
};
