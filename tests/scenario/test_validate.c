/* Suite "validate": every semantic error, with its exact line:col and
 * message, and the rule that all errors of a file are listed in order. */
#include <glib.h>
#include <string.h>

#include "scn-test.h"

#define LAN "network lan 10.0.0.0/24\n"
#define AB LAN "host a 10.0.0.1\nhost b 10.0.0.2\n"

typedef struct {
    const char *text;
    const char *expected;
} Case;

static void run_cases(const Case *cases, size_t n)
{
    for (size_t k = 0; k < n; k++)
        SCN_EXPECT_ERR(cases[k].text, cases[k].expected);
}

static void test_names(void)
{
    static const Case cases[] = {
        {AB "at 1s wwww ping a\n", "t.scn:4:7: error: unknown host 'wwww'"},
        {LAN "host www 10.0.0.1\nat 1s wwww ping www\n",
         "t.scn:3:7: error: unknown host 'wwww' (did you mean 'www'?)"},
        {AB "host a 10.0.0.3\n", "t.scn:4:6: error: host 'a' already declared on line 2"},
        {AB "network lan 10.1.0.0/24\n",
         "t.scn:4:9: error: network 'lan' already declared on line 1"},
        {AB "at 1s network lna down\n",
         "t.scn:4:15: error: unknown network 'lna' (did you mean 'lan'?)"},
        {LAN "host 9a 10.0.0.1\n",
         "t.scn:2:6: error: '9a' is not a valid host name (a name starts with a letter or '_' "
         "and goes on with letters, digits, '_', '.' or '-')"},
        {LAN "host link 10.0.0.1\n",
         "t.scn:2:6: error: 'link' is a keyword and cannot name a host"},
        {AB "at 1s a socket tcp as S\nat 2s a socket udp as S\n",
         "t.scn:5:23: error: socket 'S' already exists on host 'a' (line 4; close it before "
         "reusing the name)"},
        {AB "at 1s a socket tcp as Sock\nat 2s a close Sokc\n",
         "t.scn:5:15: error: unknown socket 'Sokc' on host 'a' (did you mean 'Sock'?)"},
        {AB "at 1s b socket tcp as S\nat 2s a close S\n",
         "t.scn:5:15: error: unknown socket 'S' on host 'a' (an earlier line must create it: "
         "'at T a socket tcp as S')"},
        {AB "at 1s a socket tcp as ping\n",
         "t.scn:4:23: error: 'ping' cannot name a socket (it is a keyword of 'expect')"},
        {AB "hots c 10.0.0.3\n", "t.scn:4:1: error: unknown statement 'hots' (did you mean "
                                 "'host'?)"},
        {AB "at 1s a pign b\n", "t.scn:4:9: error: unknown verb 'pign' (did you mean 'ping'?)"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_addresses(void)
{
    static const Case cases[] = {
        {LAN "host a 10.0.0.300\n", "t.scn:2:8: error: '10.0.0.300' is not an IPv4 address"},
        {LAN "host a 10.0.0.1/24\n",
         "t.scn:2:8: error: '10.0.0.1/24': a host address takes no prefix (the network line "
         "gives it)"},
        {LAN "host a 10.0.0.1\nhost b 10.0.0.1\n",
         "t.scn:3:8: error: address 10.0.0.1 already belongs to host 'a' (line 2)"},
        {LAN "host a 10.0.0.0\n",
         "t.scn:2:8: error: 10.0.0.0 is the network address of network 'lan' (10.0.0.0/24)"},
        {LAN "host a 10.0.0.255\n",
         "t.scn:2:8: error: 10.0.0.255 is the broadcast address of network 'lan' "
         "(10.0.0.0/24)"},
        {LAN "host a 127.0.0.1\n", "t.scn:2:8: error: 127.0.0.1 cannot be a host address "
                                   "(loopback)"},
        {LAN "host a 10.0.0.1 10.0.0.1\n", "t.scn:2:17: error: address 10.0.0.1 given twice"},
        {LAN "host a\n", "t.scn:2:8: error: expected an address after 'host a'"},
        {LAN "host a 10.9.9.9\n",
         "t.scn:2:8: error: address 10.9.9.9 of 'a' is in no network, and no link joins 'a' "
         "(declare a network holding it, or a link)"},
        {LAN "router r 10.0.0.1\n",
         "t.scn:2:8: error: router 'r' needs at least two addresses (it forwards between "
         "networks)"},
        {LAN "network big 10.0.0.0/8\n",
         "t.scn:2:13: error: network 'big' (10.0.0.0/8) overlaps network 'lan' (10.0.0.0/24, "
         "line 1)"},
        {"network lan 10.0.0.1/24\n",
         "t.scn:1:13: error: '10.0.0.1/24' has host bits set (did you mean 10.0.0.0/24?)"},
        {"network lan 10.0.0.0\n",
         "t.scn:1:13: error: '10.0.0.0' is not a network like 10.0.0.0/24"},
        {AB "host c 10.0.0.3 resolver 10.0.0.99\n",
         "t.scn:4:26: error: resolver 10.0.0.99 is not the address of any host"},
        {AB "host c 10.0.0.3 name b.example.com\nhost d 10.0.0.4 name b.example.com\n",
         "t.scn:5:22: error: DNS name 'b.example.com' already belongs to host 'c' (line 4)"},
        {AB "host c 10.0.0.3 nmae c.example.com\n",
         "t.scn:4:17: error: unknown host option 'nmae' (did you mean 'name'?)"},
        {AB "host c 10.0.0.3 tcp bsd\n",
         "t.scn:4:21: error: unknown TCP profile 'bsd' (profiles: minimal, linux)"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_links_and_options(void)
{
    static const Case cases[] = {
        {AB "link a a\n", "t.scn:4:8: error: a link joins two different hosts, not 'a' to "
                          "itself"},
        {AB "link a c\n", "t.scn:4:8: error: unknown host 'c' (did you mean 'a'?)"},
        {AB "link a b\nlink b a\n",
         "t.scn:5:1: error: hosts 'b' and 'a' are already linked (line 4)"},
        {AB "link a b dealy 5ms\n",
         "t.scn:4:10: error: unknown link option 'dealy' (did you mean 'delay'?)"},
        {AB "link a b delay 5\n",
         "t.scn:4:16: error: missing unit in '5' (time needs one: ns, us, ms, s, m)"},
        {AB "link a b mtu 60\n", "t.scn:4:14: error: mtu 60 is out of range (68..9000 bytes)"},
        {AB "link a b loss 1% loss 2%\n", "t.scn:4:18: error: link option 'loss' given twice"},
        {AB "link a b rate\n", "t.scn:4:15: error: expected a rate after 'rate'"},
        {AB "at 1s link a b down\n",
         "t.scn:4:12: error: no link joins 'a' and 'b' (declare 'link a b')"},
        {AB "link a b\nat 1s link a b sideways\n",
         "t.scn:5:16: error: unknown link option 'sideways' (options: delay, rate, loss, "
         "jitter, duplicate, reorder, queue, mtu)"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_services(void)
{
    static const Case cases[] = {
        {AB "service a htp 80\n",
         "t.scn:4:11: error: unknown application 'htp' (did you mean 'http'?)"},
        {AB "service a http 80 udp\n", "t.scn:4:19: error: http runs over tcp only"},
        {AB "service a http 0\n", "t.scn:4:16: error: port '0' is out of range (1..65535)"},
        {AB "service a http 65536\n",
         "t.scn:4:16: error: port '65536' is out of range (1..65535)"},
        {AB "service c http 80\n", "t.scn:4:9: error: unknown host 'c' (did you mean 'a'?)"},
        {AB "service a echo 7 page /x 1B\n", "t.scn:4:18: error: only http services have "
                                             "pages"},
        {AB "service a http 80 page index.html 1B\n",
         "t.scn:4:24: error: a page path starts with '/', as in /index.html, not 'index.html'"},
        {AB "service a dns 53\nservice a dns 53 udp\n",
         "t.scn:5:15: error: host 'a' already has a service on 53/udp (line 4)"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_arguments(void)
{
    static const Case cases[] = {
        {AB "at 1s a socket tcp as S\nat 1s a connect S\n",
         "t.scn:5:19: error: expected an endpoint like 10.0.0.2:80 after 'connect S'"},
        {AB "at 1s a socket tcp as S\nat 1s a connect S 10.0.0.2\n",
         "t.scn:5:19: error: '10.0.0.2' is not an endpoint (write ADDR:PORT or HOST:PORT, "
         "e.g. 10.0.0.2:80)"},
        {AB "at 1s a socket tcp as S\nat 1s a connect S :80\n",
         "t.scn:5:19: error: ':80' gives no address; only 'bind' takes :PORT alone"},
        {AB "at 1s a socket tcp as S\nat 1s a connect S bb:80\n",
         "t.scn:5:19: error: unknown host 'bb' (did you mean 'b'?)"},
        {AB "at 1s a socket tcp as S\nat 1s a close S now\n",
         "t.scn:5:17: error: unexpected 'now' after 'close S'"},
        {AB "at 1s a socket tcp as S\nat 1s a send S hello\n",
         "t.scn:5:16: error: 'hello' is not a payload: write text in quotes (\"hello\") or a "
         "size (1MB)"},
        {AB "at 1s a socket tcp as S\nat 1s a shutdown S all\n",
         "t.scn:5:20: error: expected read, write or both, not 'all'"},
        {AB "at 1s a socket sctp as S\n", "t.scn:4:16: error: expected tcp or udp, not 'sctp'"},
        {AB "at -1s a ping b\n", "t.scn:4:4: error: negative time '-1s'"},
        {AB "at 1s a fetch https://b/\n",
         "t.scn:4:15: error: 'https://b/' is not an http:// URL (netsim speaks plain HTTP "
         "only)"},
        {AB "at 1s a ping b count 0\n",
         "t.scn:4:22: error: count must be a whole number from 1 to 1000000, not '0'"},
        {AB "at 1s a resolve bad_name!\n",
         "t.scn:4:17: error: 'bad_name!' is not a valid DNS name"},
        {AB "at 1s host a explode\n", "t.scn:4:14: error: expected crash or restart, not "
                                      "'explode'"},
        {AB "drop a b tcp syn#1\n",
         "t.scn:4:8: error: expected '>' between the two hosts, as in 'drop a > b tcp data#1'"},
        {AB "drop a > b udp syn#1\n",
         "t.scn:4:16: error: udp packets are counted with 'any' (syn is a tcp kind)"},
        {AB "drop a > b tcp dat#1\n",
         "t.scn:4:16: error: unknown packet kind 'dat' (did you mean 'data'?)"},
        {AB "drop a > b tcp data#0\n",
         "t.scn:4:16: error: the count after '#' must be a whole number from 1, as in data#1"},
        {AB "delay a > b tcp fin#1\n",
         "t.scn:4:23: error: expected how long to hold the packet (e.g. 300ms) after 'delay a "
         "> b tcp fin#1'"},
        {"scenario untitled\n", "t.scn:1:10: error: the title must be quoted: scenario "
                                "\"untitled ...\""},
        {"seed 1\nseed 2\n", "t.scn:2:1: error: 'seed' given twice (first on line 1)"},
        {"stop 10\n", "t.scn:1:6: error: missing unit in '10' (time needs one: ns, us, ms, s, "
                      "m)"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_expectations(void)
{
    static const Case cases[] = {
        {AB "at 1s a socket tcp as S\nexpect a S state establised\n",
         "t.scn:5:18: error: unknown TCP state 'establised' (did you mean 'established'?)"},
        {AB "at 1s a socket tcp as S\nexpect a S error ECONREFUSED\n",
         "t.scn:5:18: error: unknown error 'ECONREFUSED' (did you mean 'ECONNREFUSED'?)"},
        {AB "expect a fetch http://b/ status 200\n",
         "t.scn:4:16: error: host 'a' has no 'fetch http://b/' step to check (write it the "
         "same way as in the timeline)"},
        {AB "at 0s a fetch http://b/\nexpect a fetch http://b/\n",
         "t.scn:5:26: error: expected status N or bytes N after 'expect a fetch http://b/'"},
        {AB "expect a sockets at 1s listen 1 LISTEN 2\n",
         "t.scn:4:33: error: state 'LISTEN' given twice"},
        {AB "expect delivered most\n",
         "t.scn:4:18: error: expected 'all' after 'expect delivered', not 'most'"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_all_errors_in_line_order(void)
{
    /* The topology pass runs before the timeline pass, but the listing
     * follows the file. */
    SCN_EXPECT_ERR("at 1s x ping y\n"
                   "host a 10.9.9.9\n"
                   "seed -1\n",
                   "t.scn:1:7: error: unknown host 'x' (did you mean 'a'?)\n"
                   "t.scn:2:8: error: address 10.9.9.9 of 'a' is in no network, and no link "
                   "joins 'a' (declare a network holding it, or a link)\n"
                   "t.scn:3:6: error: seed must be a whole number from 0 to "
                   "18446744073709551615, not '-1'");
}

static void test_too_many_errors(void)
{
    GString *s = g_string_new(NULL);
    for (int k = 0; k < 150; k++)
        g_string_append_printf(s, "bogus%d\n", k);
    g_autoptr(GPtrArray) diags = NULL;
    GError *error = NULL;
    NsScenario *scn = ns_scenario_parse_full("t.scn", s->str, s->len, &diags, &error);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT_EQUAL(diags->len, NS_SCN_MAX_DIAGS + 1);
    const NsScnDiag *last = diags->pdata[NS_SCN_MAX_DIAGS];
    CU_ASSERT_STRING_EQUAL(last->text,
                           "t.scn:101:1: error: too many errors (limit 100); stopping here");
    const NsScnDiag *first = diags->pdata[0];
    CU_ASSERT_EQUAL(first->line, 1);
    CU_ASSERT_EQUAL(first->col, 1);
    CU_ASSERT_STRING_EQUAL(first->message, "unknown statement 'bogus0'");
    CU_ASSERT_PTR_NULL(first->ctx);
    g_error_free(error);
    g_string_free(s, TRUE);
}

static void test_io_error(void)
{
    GError *error = NULL;
    NsScenario *scn = ns_scenario_load("/nonexistent/x.scn", &error);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT_TRUE(g_error_matches(error, NS_SCENARIO_ERROR, NS_SCENARIO_ERROR_IO));
    CU_ASSERT_STRING_EQUAL(error->message,
                           "/nonexistent/x.scn: error: cannot open: No such file or directory");
    g_error_free(error);
}

static void test_file_limit(void)
{
    GError *error = NULL;
    NsScenario *scn = ns_scenario_parse("t.scn", "", NS_SCN_MAX_FILE_SIZE + 1, &error);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT_TRUE(g_error_matches(error, NS_SCENARIO_ERROR, NS_SCENARIO_ERROR_LIMIT));
    CU_ASSERT_STRING_EQUAL(error->message,
                           "t.scn:1:1: error: file larger than the limit of 16777216 bytes");
    g_error_free(error);
}

static void test_line_limit(void)
{
    GString *s = g_string_new("seed 1\n# ");
    for (unsigned k = 0; k < NS_SCN_MAX_LINE; k++)
        g_string_append_c(s, 'x');
    g_string_append(s, "\nseed 2\n");
    GError *error = NULL;
    NsScenario *scn = ns_scenario_parse("t.scn", s->str, s->len, &error);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT_TRUE(g_error_matches(error, NS_SCENARIO_ERROR, NS_SCENARIO_ERROR_LIMIT));
    CU_ASSERT_STRING_EQUAL(error->message,
                           "t.scn:2:1: error: line longer than the limit of 65536 bytes\n"
                           "t.scn:3:1: error: 'seed' given twice (first on line 1)");
    g_error_free(error);
    g_string_free(s, TRUE);
}

static void test_overlap_in_repeat_names_values(void)
{
    SCN_EXPECT_ERR("repeat 3 as i\n"
                   "  network n{i} 10.{i / 2}.0.0/16\n"
                   "end\n",
                   "t.scn:2:16: error: network 'n3' (10.1.0.0/16) overlaps network 'n2' "
                   "(10.1.0.0/16, line 2) (in repeat i=3)");
}

CU_TestInfo ns_validate_tests[] = {
    {"line_limit", test_line_limit},
    {"overlap_in_repeat_names_values", test_overlap_in_repeat_names_values},
    {"names", test_names},
    {"addresses", test_addresses},
    {"links_and_options", test_links_and_options},
    {"services", test_services},
    {"arguments", test_arguments},
    {"expectations", test_expectations},
    {"all_errors_in_line_order", test_all_errors_in_line_order},
    {"too_many_errors", test_too_many_errors},
    {"io_error", test_io_error},
    {"file_limit", test_file_limit},
    CU_TEST_INFO_NULL,
};
