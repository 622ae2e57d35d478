/* The page's events in binary form (sim/trace/page-events.c): shapes
 * defined once, values as zigzag varints and numbered strings, the string
 * table's limit. The page's model.js and tests/e2e/pagedata.py read it. */
#include <string.h>

/* Linked with json-glib: its calls here go to it directly. */
#define NS_JSON_LIB_TABLE
#include "netsim/json-lib.h"
#include "netsim/trace-page.h"
#include "trace-private.h"
#include "trace-tests.h"

/* `out` is exactly the `n` bytes `want`. */
#define ASSERT_BYTES(out, ...)                                                      \
    do {                                                                           \
        const uint8_t want_[] = {__VA_ARGS__};                                     \
        CU_ASSERT_EQUAL_FATAL((out)->len, sizeof want_);                           \
        CU_ASSERT_EQUAL(memcmp((out)->str, want_, sizeof want_), 0);               \
    } while (0)

static GString *encode(NsPageEncoder *e, void (*fill)(NsPageEncoder *))
{
    GString *out = g_string_new(NULL);
    ns_page_encoder_begin(e);
    fill(e);
    ns_page_encoder_end(e, out);
    return out;
}

static void time_and_kind(NsPageEncoder *e)
{
    ns_page_encoder_int(e, NULL, "t", 300);
    ns_page_encoder_string(e, NULL, "k", "ab");
}

static void test_first_event_defines_its_shape(void)
{
    NsPageEncoder *e = ns_page_encoder_new();
    g_autoptr(GString) out = encode(e, time_and_kind);
    /* shape 0 (a definition) of 2 fields: "t" 'i', "k" 's'; then the event
     * of shape 1: 300 zigzagged (600 = 0xd8 0x04), a new string "ab". */
    ASSERT_BYTES(out, 0, 2, 1, 't', 'i', 1, 'k', 's', 1, 0xd8, 0x04, 0, 2, 'a', 'b');
    ns_page_encoder_free(e);
}

static void test_same_shape_and_string_are_referred_to(void)
{
    NsPageEncoder *e = ns_page_encoder_new();
    g_autoptr(GString) first = encode(e, time_and_kind);
    g_autoptr(GString) out = encode(e, time_and_kind);
    /* shape 1, 600, the table's string 0 (written 2 + 0). */
    ASSERT_BYTES(out, 1, 0xd8, 0x04, 2);
    ns_page_encoder_free(e);
}

static void negative_and_bool(NsPageEncoder *e)
{
    ns_page_encoder_int(e, NULL, "d", -3);
    ns_page_encoder_bool(e, NULL, "ok", true);
    ns_page_encoder_bool(e, NULL, "no", false);
}

static void test_negative_zigzag_bools_in_shape(void)
{
    NsPageEncoder *e = ns_page_encoder_new();
    g_autoptr(GString) out = encode(e, negative_and_bool);
    /* -3 zigzags to 5; true and false are their fields' types, no value. */
    ASSERT_BYTES(out, 0, 3, 1, 'd', 'i', 2, 'o', 'k', 't', 2, 'n', 'o', 'f', 1, 5);
    ns_page_encoder_free(e);
}

static void test_object_members_are_prefixed(void)
{
    /* The encoder reads the object through json-glib's table. */
    CU_ASSERT_TRUE_FATAL(ns_json_lib_load(NULL));
    NsPageEncoder *e = ns_page_encoder_new();
    g_autoptr(JsonParser) p = json_parser_new();
    CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(p, "{\"s\":{\"id\":2},\"r\":[1]}", -1, NULL));
    g_autoptr(GString) out = g_string_new(NULL);
    ns_page_encoder_begin(e);
    ns_page_encoder_object(e, json_node_get_object(json_parser_get_root(p)));
    ns_page_encoder_end(e, out);
    /* "s.id" an integer; the array is JSON text "[1]". */
    ASSERT_BYTES(out, 0, 2, 4, 's', '.', 'i', 'd', 'i', 1, 'r', 'j', 1, 4, 0, 3, '[', '1', ']');
    ns_page_encoder_free(e);
}

static void test_a_different_shape_gets_the_next_number(void)
{
    NsPageEncoder *e = ns_page_encoder_new();
    g_autoptr(GString) a = encode(e, time_and_kind);
    g_autoptr(GString) b = encode(e, negative_and_bool);
    g_autoptr(GString) c = encode(e, negative_and_bool);
    ASSERT_BYTES(c, 2, 5);
    ns_page_encoder_free(e);
}

/* 64 KiB strings, each new. */
static char big[64 * 1024 + 1];
static int big_n;

static void big_string(NsPageEncoder *e)
{
    memset(big, 'a' + big_n % 26, sizeof big - 1);
    big[0] = (char)('A' + big_n / 26 % 26);
    big[1] = (char)('A' + big_n / 676 % 26);
    big_n++;
    ns_page_encoder_string(e, NULL, "x", big);
}

static void test_strings_past_the_limit_are_not_kept(void)
{
    NsPageEncoder *e = ns_page_encoder_new();
    size_t n = NS_PAGE_STRINGS_MAX / (sizeof big - 1);
    big_n = 0;
    for (size_t i = 0; i < n; i++) {
        g_autoptr(GString) out = encode(e, big_string);
        /* [shape def: 0 1 1 'x' 's'] shape 1, then 0: a new string kept */
        CU_ASSERT_EQUAL(out->str[i ? 1 : 6], 0);
    }
    g_autoptr(GString) past = encode(e, big_string);
    /* shape 1, 1: written in full and not kept, its length (65536 = 0x80
     * 0x80 0x04), then its bytes. */
    CU_ASSERT_EQUAL_FATAL(past->len, 1 + 1 + 3 + sizeof big - 1);
    CU_ASSERT_EQUAL(memcmp(past->str, "\x01\x01\x80\x80\x04", 5), 0);
    /* The strings kept before are still referred to. */
    big_n = 0;
    g_autoptr(GString) again = encode(e, big_string);
    ASSERT_BYTES(again, 1, 2);
    ns_page_encoder_free(e);
}

CU_TestInfo ns_page_tests[] = {
    {"first_event_defines_its_shape", test_first_event_defines_its_shape},
    {"same_shape_and_string_are_referred_to", test_same_shape_and_string_are_referred_to},
    {"negative_zigzag_bools_in_shape", test_negative_zigzag_bools_in_shape},
    {"object_members_are_prefixed", test_object_members_are_prefixed},
    {"a_different_shape_gets_the_next_number", test_a_different_shape_gets_the_next_number},
    {"strings_past_the_limit_are_not_kept", test_strings_past_the_limit_are_not_kept},
    CU_TEST_INFO_NULL,
};
