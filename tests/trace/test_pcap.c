/* The pcap sink: the file header and records read back byte by byte, the
 * capture points (all, one host, one network), and no file after a run
 * that never closed the sink. */
#include <string.h>

#include <glib/gstdio.h>

#include "netsim/trace-pcap.h"
#include "trace-tests.h"

static const uint8_t FRAME_BYTES[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 1, 1,
                                        0x08, 0x06};

static NsTraceEvent frame(NsTime t, const char *host, const char *where, NsTraceDir dir,
                          size_t len)
{
    return (NsTraceEvent){.time = t, .kind = NS_TRACE_FRAME, .host = host, .where = where,
                          .dir = dir, .bytes = FRAME_BYTES, .bytes_len = len};
}

/* Capture the standard little exchange with `at`/`name`; returns the file's
 * bytes (transfer full). */
static GBytes *capture(NsPcapAt at, const char *name)
{
    g_autofree char *dir = g_dir_make_tmp("netsim-pcap-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "cap.pcap", NULL);
    g_autoptr(NsTracer) tr = ns_tracer_new();
    NsPcapSink *s = ns_pcap_sink_new(path, at, name, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    ns_pcap_sink_attach(s, tr);
    NsTraceEvent evs[] = {
        frame(1500000000, "cli", "lan", NS_TRACE_DIR_OUT, 42),
        frame(1501000000, "srv", "lan", NS_TRACE_DIR_IN, 42),
        frame(1502000001, "srv", "lan", NS_TRACE_DIR_OUT, 60),
        frame(1503000000, "cli", "lan", NS_TRACE_DIR_IN, 60),
        frame(1504000000, "gw", "wan", NS_TRACE_DIR_OUT, 50),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(evs); i++)
        ns_trace_emit(tr, &evs[i]);
    CU_ASSERT_TRUE(ns_tracer_close(tr, NULL));
    gchar *data = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE(g_file_get_contents(path, &data, &len, NULL));
    g_unlink(path);
    g_rmdir(dir);
    return g_bytes_new_take(data, len);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Number of records, checking each header's lengths against the file. */
static int records(GBytes *b, uint32_t *first_sec, uint32_t *first_nsec)
{
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    size_t off = 24;
    int n = 0;
    while (off + 16 <= len) {
        if (n == 0) {
            *first_sec = le32(p + off);
            *first_nsec = le32(p + off + 4);
        }
        uint32_t caplen = le32(p + off + 8);
        CU_ASSERT_EQUAL(caplen, le32(p + off + 12));
        off += 16 + caplen;
        n++;
    }
    CU_ASSERT_EQUAL(off, len);
    return n;
}

static void test_pcap_header_is_nanosecond_ethernet(void)
{
    g_autoptr(GBytes) b = capture(NS_PCAP_AT_ALL, NULL);
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    CU_ASSERT_FATAL(len >= 24);
    CU_ASSERT_EQUAL(le32(p), 0xa1b23c4du); /* nanosecond-resolution magic */
    CU_ASSERT_EQUAL(p[4] | p[5] << 8, 2);   /* version 2.4 */
    CU_ASSERT_EQUAL(p[6] | p[7] << 8, 4);
    CU_ASSERT_EQUAL(le32(p + 16), 65535u); /* snaplen */
    CU_ASSERT_EQUAL(le32(p + 20), 1u);     /* LINKTYPE_ETHERNET */
}

static void test_pcap_all_captures_each_frame_once_on_the_out_side(void)
{
    g_autoptr(GBytes) b = capture(NS_PCAP_AT_ALL, NULL);
    uint32_t sec = 0, nsec = 0;
    CU_ASSERT_EQUAL(records(b, &sec, &nsec), 3);
    CU_ASSERT_EQUAL(sec, 1);
    CU_ASSERT_EQUAL(nsec, 500000000);
}

static void test_pcap_record_holds_the_frame_bytes(void)
{
    g_autoptr(GBytes) b = capture(NS_PCAP_AT_ALL, NULL);
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    CU_ASSERT_EQUAL(le32(p + 24 + 8), 42u);
    CU_ASSERT_EQUAL(memcmp(p + 24 + 16, FRAME_BYTES, 42), 0);
}

static void test_pcap_frame_beyond_snaplen_is_cut_and_keeps_its_length(void)
{
    g_autofree char *dir = g_dir_make_tmp("netsim-pcap-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "cap.pcap", NULL);
    g_autoptr(NsTracer) tr = ns_tracer_new();
    NsPcapSink *s = ns_pcap_sink_new(path, NS_PCAP_AT_ALL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    ns_pcap_sink_attach(s, tr);
    g_autofree uint8_t *big = g_malloc0(70000);
    big[65534] = 0xab;
    big[65535] = 0xcd;
    NsTraceEvent ev = {.time = 4294967296000000007, .kind = NS_TRACE_FRAME, .host = "cli",
                       .where = "lan", .dir = NS_TRACE_DIR_OUT, .bytes = big, .bytes_len = 70000};
    ns_trace_emit(tr, &ev);
    CU_ASSERT_TRUE(ns_tracer_close(tr, NULL));
    CU_ASSERT_EQUAL(ns_pcap_sink_frames(s), 1);
    gchar *data = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &data, &len, NULL));
    CU_ASSERT_EQUAL_FATAL(len, 24 + 16 + 65535);
    const uint8_t *p = (const uint8_t *)data;
    CU_ASSERT_EQUAL(le32(p + 24), 0u); /* 2^32 s: the 32-bit field wraps, as libpcap's did */
    CU_ASSERT_EQUAL(le32(p + 24 + 4), 7u);
    CU_ASSERT_EQUAL(le32(p + 24 + 8), 65535u); /* captured */
    CU_ASSERT_EQUAL(le32(p + 24 + 12), 70000u); /* on the wire */
    CU_ASSERT_EQUAL(p[len - 1], 0xab);           /* the last byte kept is the snaplen's */
    g_free(data);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_pcap_at_host_sees_both_directions(void)
{
    g_autoptr(GBytes) b = capture(NS_PCAP_AT_HOST, "srv");
    uint32_t sec = 0, nsec = 0;
    CU_ASSERT_EQUAL(records(b, &sec, &nsec), 2);
    CU_ASSERT_EQUAL(nsec, 501000000); /* the IN side: when it reached srv */
}

static void test_pcap_at_network_sees_what_is_sent_on_it(void)
{
    g_autoptr(GBytes) b = capture(NS_PCAP_AT_NETWORK, "wan");
    uint32_t sec = 0, nsec = 0;
    CU_ASSERT_EQUAL(records(b, &sec, &nsec), 1);
    CU_ASSERT_EQUAL(nsec, 504000000);
}

static void test_pcap_unclosed_sink_leaves_no_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("netsim-pcap-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "cap.pcap", NULL);
    NsTracer *tr = ns_tracer_new();
    NsPcapSink *s = ns_pcap_sink_new(path, NS_PCAP_AT_ALL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    ns_pcap_sink_attach(s, tr);
    NsTraceEvent ev = frame(0, "cli", "lan", NS_TRACE_DIR_OUT, 42);
    ns_trace_emit(tr, &ev);
    ns_tracer_free(tr); /* a failed run: never closed */
    CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    CU_ASSERT_PTR_NULL(g_dir_read_name(d)); /* no temporary file either */
    g_rmdir(dir);
}

static void test_pcap_unwritable_path_is_an_error(void)
{
    g_autoptr(GError) err = NULL;
    NsPcapSink *s = ns_pcap_sink_new("/nonexistent-dir/x.pcap", NS_PCAP_AT_ALL, NULL, &err);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(err);
}

CU_TestInfo ns_pcap_tests[] = {
    {"header_is_nanosecond_ethernet", test_pcap_header_is_nanosecond_ethernet},
    {"all_captures_each_frame_once_on_the_out_side",
     test_pcap_all_captures_each_frame_once_on_the_out_side},
    {"record_holds_the_frame_bytes", test_pcap_record_holds_the_frame_bytes},
    {"frame_beyond_snaplen_is_cut_and_keeps_its_length",
     test_pcap_frame_beyond_snaplen_is_cut_and_keeps_its_length},
    {"at_host_sees_both_directions", test_pcap_at_host_sees_both_directions},
    {"at_network_sees_what_is_sent_on_it", test_pcap_at_network_sees_what_is_sent_on_it},
    {"unclosed_sink_leaves_no_file", test_pcap_unclosed_sink_leaves_no_file},
    {"unwritable_path_is_an_error", test_pcap_unwritable_path_is_an_error},
    CU_TEST_INFO_NULL,
};
