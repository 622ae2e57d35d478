/* The packetdrill front end (sim/drill/pkt.c): what each construct parses
 * to, and the FILE:LINE:COL of what it refuses. The runner's behaviour is
 * checked by the scripts under tests/drill (check.py). */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>

#include "drill-private.h"

static NsPkt *parse(const char *text, char **err)
{
    GError *e = NULL;
    NsPkt *p = ns_pkt_parse("t.pkt", text, strlen(text), &e);
    *err = e ? g_strdup(e->message) : NULL;
    g_clear_error(&e);
    return p;
}

static const PktEvent *ev_at(const NsPkt *p, guint i)
{
    return g_ptr_array_index(p->events, i);
}

#define ERROR_IS(text, want)                                                                  \
    do {                                                                                      \
        g_autofree char *e_ = NULL;                                                           \
        NsPkt *p_ = parse((text), &e_);                                                       \
        CU_ASSERT_PTR_NULL(p_);                                                               \
        ns_pkt_free(p_);                                                                      \
        CU_ASSERT_STRING_EQUAL(e_ ? e_ : "", (want));                                         \
    } while (0)

static void test_pkt_times_absolute_relative_any_range_blocking(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) p = parse("0.100 close(3) = 0\n+.5 close(3) = 0\n* > . 1:1(0) ack 1\n"
                               "+0~+0.2 > . 1:1(0) ack 1\n0.1...0.3 read(4, ..., 10) = 10\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(ns_pkt_event_count(p), 5);
    CU_ASSERT_EQUAL(ev_at(p, 0)->tkind, PKT_T_ABS);
    CU_ASSERT_EQUAL(ev_at(p, 0)->t_us, 100000);
    CU_ASSERT_EQUAL(ev_at(p, 1)->tkind, PKT_T_REL);
    CU_ASSERT_EQUAL(ev_at(p, 1)->t_us, 500000);
    CU_ASSERT_EQUAL(ev_at(p, 2)->tkind, PKT_T_ANY);
    CU_ASSERT_TRUE(ev_at(p, 3)->range);
    CU_ASSERT_EQUAL(ev_at(p, 3)->end_us, 200000);
    CU_ASSERT_TRUE(ev_at(p, 4)->blocking);
    CU_ASSERT_EQUAL(ev_at(p, 4)->end_us, 300000);
    /* blanks around ... and ~, as packetdrill's lexer allows */
    g_autoptr(NsPkt) q = parse("+.002 ... 0.004 read(4, ..., 10) = 10\n+0 ~ +.1 > . 1:1(0) ack 1\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    CU_ASSERT_TRUE(ev_at(q, 0)->blocking);
    CU_ASSERT_EQUAL(ev_at(q, 0)->t_us, 2000);
    CU_ASSERT_EQUAL(ev_at(q, 0)->end_us, 4000);
    CU_ASSERT_TRUE(ev_at(q, 1)->range);
    CU_ASSERT_EQUAL(ev_at(q, 1)->end_us, 100000);
}

static void test_pkt_tcp_packet_fields_and_options(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) p = parse("0 < S. 10:20(10) ack 5 win 257 <mss 1000,sackOK,TS val 7 ecr 9,"
                               "nop,wscale 7,sack 1:2 3:4,eol>\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const PktEvent *ev = ev_at(p, 0);
    CU_ASSERT_FALSE(ev->outbound);
    CU_ASSERT_EQUAL(ev->flags, NS_TCP_SYN | NS_TCP_ACK);
    CU_ASSERT_EQUAL(ev->seq, 10);
    CU_ASSERT_EQUAL(ev->len, 10);
    CU_ASSERT_EQUAL(ev->ack, 5);
    CU_ASSERT_EQUAL(ev->win, 257);
    CU_ASSERT_EQUAL(ev->n_opts, 7);
    CU_ASSERT_EQUAL(ev->opts[2].kind, NS_TCP_OPT_TS);
    CU_ASSERT_EQUAL(ev->opts[2].a, 7);
    CU_ASSERT_EQUAL(ev->opts[2].b, 9);
    CU_ASSERT_EQUAL(ev->opts[5].n_sack, 2);
    CU_ASSERT_EQUAL(ev->opts[5].sack[1].right, 4);
    CU_ASSERT_EQUAL(ev->opts[6].kind, NS_TCP_OPT_EOL);
}

static void test_pkt_udp_and_icmp_packets(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) p = parse("0 < udp (100)\n"
                               "+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
                               "+0 < icmp unreachable port_unreachable [udp (50)] // why\n"
                               "+0 < icmp type_11 code_1\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(ev_at(p, 0)->proto, 17);
    CU_ASSERT_EQUAL(ev_at(p, 0)->len, 100);
    const PktEvent *fn = ev_at(p, 1);
    CU_ASSERT_EQUAL(fn->proto, 1);
    CU_ASSERT_EQUAL(fn->icmp_type, 3);
    CU_ASSERT_EQUAL(fn->icmp_code, 4);
    CU_ASSERT_EQUAL(fn->icmp_mtu, 1200);
    CU_ASSERT_EQUAL(fn->echoed_proto, 6);
    CU_ASSERT_EQUAL(fn->seq, 1);
    CU_ASSERT_EQUAL(fn->len, 1460);
    const PktEvent *pu = ev_at(p, 2);
    CU_ASSERT_EQUAL(pu->icmp_code, 3);
    CU_ASSERT_EQUAL(pu->icmp_mtu, 0);
    CU_ASSERT_EQUAL(pu->echoed_proto, 17);
    CU_ASSERT_EQUAL(pu->len, 50);
    CU_ASSERT_STRING_EQUAL(pu->icmp_text, "unreachable port_unreachable [udp (50)]");
    const PktEvent *te = ev_at(p, 3);
    CU_ASSERT_EQUAL(te->icmp_type, 11);
    CU_ASSERT_EQUAL(te->icmp_code, 1);
    CU_ASSERT_EQUAL(te->echoed_proto, 6);
    CU_ASSERT_EQUAL(te->len, 0);
    ERROR_IS("0 < icmp unreachable frag_needed mtu 40\n",
             "t.pkt:1:38: error: the MTU must be 68 to 65535, not 40");
    ERROR_IS("0 < icmp unreachable bogus\n",
             "t.pkt:1:22: error: 'bogus' is no code of ICMP unreachable");
    ERROR_IS("0 < icmp unreachable [1:2(5)]\n", "t.pkt:1:23: error: 1:2 is 1 bytes, not 5");
}

static void test_pkt_outbound_any_options(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) p = parse("0 > P. 1:1001(1000) ack 1 <...>\n", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_TRUE(ev_at(p, 0)->outbound);
    CU_ASSERT_TRUE(ev_at(p, 0)->any_opts);
    CU_ASSERT_FALSE(ev_at(p, 0)->has_win);
}

static void test_pkt_syscall_arguments_and_errno(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) p = parse("0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
                               "+0 connect(3, {sa_family=AF_INET, sin_port=htons(8080),\n"
                               "     sin_addr=inet_addr(\"192.0.2.1\")}, 16) = -1 EINPROGRESS "
                               "(Operation now in progress)\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const PktEvent *a = ev_at(p, 0), *b = ev_at(p, 1);
    CU_ASSERT_STRING_EQUAL(a->name, "fcntl");
    CU_ASSERT_EQUAL(((PktExpr *)g_ptr_array_index(a->args, 2))->kind, PKT_E_OR);
    CU_ASSERT_EQUAL(b->ret, -1);
    CU_ASSERT_EQUAL(b->err, EINPROGRESS);
    CU_ASSERT_EQUAL(((PktExpr *)g_ptr_array_index(b->args, 1))->kind, PKT_E_STRUCT);
    CU_ASSERT_EQUAL(b->line, 2);
}

/* --ip_version: the three flavours; after ipv6, ICMP lines are ICMPv6
 * (RFC 4443's numbers under packetdrill's names), its MTU packet too
 * big's (32 bits). */
static void test_pkt_ip_version_and_icmpv6(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) v4 = parse("0 < udp (1)\n", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v4);
    CU_ASSERT_EQUAL(v4->ip_version, PKT_IPV4);
    g_autoptr(NsPkt) m = parse("--ip_version=ipv4-mapped-ipv6\n"
                               "0 < icmp unreachable frag_needed mtu 1200\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->ip_version, PKT_IPV4_MAPPED);
    CU_ASSERT_EQUAL(ev_at(m, 0)->icmp_type, 3); /* IPv4 on the wire: ICMPv4 */
    CU_ASSERT_EQUAL(ev_at(m, 0)->icmp_code, 4);
    g_autoptr(NsPkt) p = parse("--ip_version=ipv6\n"
                               "0 < icmp unreachable port_unreachable [udp (50)]\n"
                               "+0 < icmp packet_too_big mtu 70000 [1:1441(1440)]\n"
                               "+0 < icmp time_exceeded exceeded_hop_limit\n"
                               "+0 < icmp unreachable no_route\n"
                               "+0 < icmp unreachable admin_prohibited\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(p->ip_version, PKT_IPV6);
    CU_ASSERT_EQUAL(ev_at(p, 0)->icmp_type, 1);
    CU_ASSERT_EQUAL(ev_at(p, 0)->icmp_code, 4);
    CU_ASSERT_EQUAL(ev_at(p, 0)->echoed_proto, 17);
    CU_ASSERT_EQUAL(ev_at(p, 1)->icmp_type, 2);
    CU_ASSERT_EQUAL(ev_at(p, 1)->icmp_code, 0);
    CU_ASSERT_EQUAL(ev_at(p, 1)->icmp_mtu, 70000);
    CU_ASSERT_EQUAL(ev_at(p, 1)->seq, 1);
    CU_ASSERT_EQUAL(ev_at(p, 1)->len, 1440);
    CU_ASSERT_EQUAL(ev_at(p, 2)->icmp_type, 3);
    CU_ASSERT_EQUAL(ev_at(p, 2)->icmp_code, 0);
    CU_ASSERT_EQUAL(ev_at(p, 3)->icmp_code, 0);
    CU_ASSERT_EQUAL(ev_at(p, 4)->icmp_code, 1);
    /* the names written back (export, messages) */
    CU_ASSERT_STRING_EQUAL(pkt_icmp_type_name(true, 2), "packet_too_big");
    CU_ASSERT_STRING_EQUAL(pkt_icmp_code_name(true, 1, 4), "port_unreachable");
    CU_ASSERT_STRING_EQUAL(pkt_icmp_code_name(true, 1, 0), "no_route");
    CU_ASSERT_STRING_EQUAL(pkt_icmp_code_name(false, 3, 4), "frag_needed");
    CU_ASSERT_PTR_NULL(pkt_icmp_type_name(true, 11));
    CU_ASSERT_PTR_NULL(pkt_icmp_code_name(true, 2, 0));
    ERROR_IS("--ip_version=ipv6\n0 < icmp unreachable frag_needed\n",
             "t.pkt:2:22: error: 'frag_needed' is no code of ICMPv6 unreachable");
    ERROR_IS("--ip_version=ipv6\n0 < icmp unreachable port_unreachable mtu 1280\n",
             "t.pkt:2:43: error: an MTU is only for packet_too_big");
    ERROR_IS("--ip_version=ipv6\n0 < icmp source_quench\n",
             "t.pkt:2:10: error: 'source_quench' is no ICMPv6 type netsim knows (unreachable, "
             "packet_too_big, time_exceeded, ..., type_N)");
    ERROR_IS("--ip_version=ipv5\n", "t.pkt:1:1: error: --ip_version is ipv4, ipv6 or "
                                     "ipv4-mapped-ipv6");
    /* the flavour of the command line (ns_pkt_parse_ip), unless the
     * script's own line says otherwise */
    const char *t6 = "0 < icmp packet_too_big mtu 1280\n";
    GError *e = NULL;
    g_autoptr(NsPkt) c6 = ns_pkt_parse_ip("t.pkt", t6, strlen(t6), NS_DRILL_IPV6, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c6);
    CU_ASSERT_EQUAL(c6->ip_version, PKT_IPV6);
    CU_ASSERT_EQUAL(ev_at(c6, 0)->icmp_type, 2);
    CU_ASSERT_EQUAL(ev_at(c6, 0)->icmp_mtu, 1280);
    const char *t4 = "--ip_version=ipv4\n0 < icmp unreachable frag_needed mtu 1200\n";
    g_autoptr(NsPkt) c4 = ns_pkt_parse_ip("t.pkt", t4, strlen(t4), NS_DRILL_IPV6, &e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c4);
    CU_ASSERT_EQUAL(c4->ip_version, PKT_IPV4);
    CU_ASSERT_EQUAL(ev_at(c4, 0)->icmp_type, 3);
    CU_ASSERT_PTR_NULL(ns_pkt_parse_ip("t.pkt", t6, strlen(t6), NS_DRILL_IPV4, &e));
    CU_ASSERT_STRING_EQUAL(e ? e->message : "", "t.pkt:1:10: error: 'packet_too_big' is no ICMP "
                                                "type netsim knows (unreachable, time_exceeded, "
                                                "echo_request, ..., type_N)");
    g_clear_error(&e);
}

/* --local_ip and --remote_ip: an address of either family (the remote
 * one with packetdrill's /prefix); anything else refused where it is. */
static void test_pkt_local_remote_ip(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) p = parse("--local_ip=fd3d:fa7b:d17d::99\n--remote_ip=2001:DB8::1/32\n"
                               "0 < udp (1)\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT(p->local_ip.given && p->local_ip.v6);
    CU_ASSERT_EQUAL(p->local_ip.line, 1);
    CU_ASSERT_EQUAL(p->local_ip.a6.b[15], 0x99);
    CU_ASSERT(p->remote_ip.given && p->remote_ip.v6);
    CU_ASSERT_EQUAL(p->remote_ip.a6.b[0], 0x20);
    CU_ASSERT_EQUAL(p->remote_ip.a6.b[15], 1);
    g_autoptr(NsPkt) v4 = parse("--local_ip=192.168.7.7\n0 < udp (1)\n", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v4);
    CU_ASSERT(v4->local_ip.given && !v4->local_ip.v6);
    CU_ASSERT_EQUAL(v4->local_ip.v4, 0xc0a80707u);
    CU_ASSERT(!v4->remote_ip.given);
    ERROR_IS("--local_ip=fd3d::1::2\n", "t.pkt:1:1: error: --local_ip: 'fd3d::1::2' is no IPv6 "
                                         "address");
    ERROR_IS("--local_ip=10.0.0.1/8\n", "t.pkt:1:1: error: --local_ip takes an IPv4 or IPv6 "
                                        "unicast address, not '10.0.0.1/8'");
    ERROR_IS("--remote_ip=ff02::1\n", "t.pkt:1:1: error: --remote_ip takes a unicast address, "
                                      "not ff02::1");
    ERROR_IS("--remote_ip=224.0.0.1\n", "t.pkt:1:1: error: --remote_ip takes an IPv4 or IPv6 "
                                        "unicast address, not '224.0.0.1'");
}

static void test_pkt_comments_flags_shell_and_code(void)
{
    g_autofree char *err = NULL;
    g_autoptr(NsPkt) p = parse("// c\n/* a\n b */ --tolerance_usecs=10000\n"
                               "0 `sysctl -q net.ipv4.tcp_sack=1`\n"
                               "+0 %{ assert tcpi_ca_state == 0 }%\n",
                               &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(p->tolerance_us, 10000);
    CU_ASSERT_EQUAL(ev_at(p, 0)->kind, PKT_EV_SHELL);
    CU_ASSERT_STRING_EQUAL(ev_at(p, 0)->text, "sysctl -q net.ipv4.tcp_sack=1");
    CU_ASSERT_EQUAL(ev_at(p, 1)->kind, PKT_EV_CODE);
    CU_ASSERT_EQUAL(ev_at(p, 1)->line, 5);
}

static void test_pkt_errors_name_line_and_column(void)
{
    ERROR_IS("0 socket(..., SOCK_STREAM) = 3 /* open", "t.pkt:1:32: error: comment not closed "
                                                       "(missing */)");
    ERROR_IS("\n  0 < Z 0:0(0) win 1\n", "t.pkt:2:7: error: expected TCP flags (S, S., ., P., F., "
                                         "R, R., ...)");
    ERROR_IS("0 > S 0:0(0) <fo abc>\n", "t.pkt:1:15: error: TCP option 'fo' is not supported "
                                        "(supported: mss, sackOK, TS val ecr, nop, wscale, sack, "
                                        "eol)");
    ERROR_IS("0 close(3) = -1\n", "t.pkt:1:16: error: a result of -1 needs its errno (= -1 ENAME "
                                  "(text))");
    ERROR_IS("0 < . 1:1(0) ack 1 win 70000\n", "t.pkt:1:29: error: the window field holds 16 bits "
                                               "(at most 65535)");
    ERROR_IS("0 < . 1:1(0) win 1 <...>\n", "t.pkt:1:5: error: <...> (any options) is for outbound "
                                           "packets only");
    ERROR_IS("0 < . 1:1(0) win 1 extra\n", "t.pkt:1:20: error: unexpected 'extra' in a TCP packet "
                                           "(ack, win or <options>)");
    ERROR_IS("0.5...0.1 read(3, ..., 1) = 1\n", "t.pkt:1:10: error: the end of a time range comes "
                                                "before its start");
    ERROR_IS("0 > . 1:1(0) ack 1\n+\n", "t.pkt:2:2: error: expected a time in seconds");
}

static void test_pkt_nesting_is_limited(void)
{
    GString *s = g_string_new("0 f(");
    for (int i = 0; i < 40; i++)
        g_string_append_c(s, '[');
    g_autofree char *err = NULL;
    NsPkt *p = parse(s->str, &err);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nest deeper than 32"));
    g_string_free(s, TRUE);
}

static void test_pkt_nul_byte_refused(void)
{
    GError *e = NULL;
    NsPkt *p = ns_pkt_parse("t.pkt", "0 close(3) = 0\0", 15, &e);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_STRING_EQUAL(e->message, "t.pkt: error: the script holds a NUL byte (not a text "
                                       "file)");
    g_clear_error(&e);
}

static CU_TestInfo pkt_tests[] = {
    {"times_absolute_relative_any_range_blocking",
     test_pkt_times_absolute_relative_any_range_blocking},
    {"tcp_packet_fields_and_options", test_pkt_tcp_packet_fields_and_options},
    {"outbound_any_options", test_pkt_outbound_any_options},
    {"udp_and_icmp_packets", test_pkt_udp_and_icmp_packets},
    {"ip_version_and_icmpv6", test_pkt_ip_version_and_icmpv6},
    {"local_remote_ip", test_pkt_local_remote_ip},
    {"syscall_arguments_and_errno", test_pkt_syscall_arguments_and_errno},
    {"comments_flags_shell_and_code", test_pkt_comments_flags_shell_and_code},
    {"errors_name_line_and_column", test_pkt_errors_name_line_and_column},
    {"nesting_is_limited", test_pkt_nesting_is_limited},
    {"nul_byte_refused", test_pkt_nul_byte_refused},
    CU_TEST_INFO_NULL,
};

/* ---- %{ }% blocks (code.c) ---- */

static NsTcpInfo info_established(void)
{
    NsTcpInfo i = {0};
    i.state = NS_TCP_STATE_ESTABLISHED;
    i.ca_state = NS_TCP_CA_RECOVERY;
    i.cwnd = 10 * 1448;
    i.mss = 1448;
    i.ssthresh = 7 * 1448;
    i.rto = NS_MS(304);
    i.srtt = NS_US(100320);
    i.opt_ts = i.opt_sack = true;
    return i;
}

/* The verdict and message of one block against `i`. */
static bool eval(const char *code, const NsTcpInfo *i, uint32_t *line, char **msg)
{
    g_autoptr(GString) m = g_string_new(NULL);
    *line = 99;
    bool ok = pkt_code_eval(code, i, line, m);
    *msg = g_strdup(m->str);
    return ok;
}

static void test_code_linux_units_and_names(void)
{
    NsTcpInfo i = info_established();
    uint32_t line;
    g_autofree char *msg = NULL;
    CU_ASSERT_TRUE(eval("assert tcpi_state == TCP_ESTABLISHED == 1\n"
                        "assert tcpi_ca_state == TCP_CA_Recovery == 3\n"
                        "assert tcpi_snd_cwnd == 10 and tcpi_snd_ssthresh == 7\n"
                        "assert tcpi_rto == 304000 and tcpi_rtt == 100320\n"
                        "assert tcpi_options == TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK\n",
                        &i, &line, &msg));
    CU_ASSERT_STRING_EQUAL(msg, "");
}

static void test_code_infinite_ssthresh_as_linux(void)
{
    NsTcpInfo i = info_established();
    i.ssthresh_initial = true;
    i.ssthresh = 0x7fffffff;
    uint32_t line;
    g_autofree char *msg = NULL;
    CU_ASSERT_TRUE(eval("assert tcpi_snd_ssthresh == 2147483647", &i, &line, &msg));
}

static void test_code_python_operators(void)
{
    uint32_t line;
    g_autofree char *msg = NULL;
    CU_ASSERT_TRUE(eval("x = 7 // 2; y = -7 % 3\nassert x == 3 and y == 2\n"
                        "assert 1 < 2 <= 2 and not 2 < 1 < 3\n"
                        "assert (1 << 4 | 1) & 0x11 == 17 and 2 ** 3 == 8 and 7 / 2 == 3.5\n"
                        "assert False or True  # a comment\npass\nprint(x)\n",
                        NULL, &line, &msg));
    CU_ASSERT_STRING_EQUAL(msg, "");
}

static void test_code_power_takes_integer_exponents(void)
{
    uint32_t line;
    g_autofree char *ok = NULL, *frac = NULL;
    CU_ASSERT_TRUE(eval("assert 2 ** 10 == 1024 and 2 ** -2 == 0.25 and 3 ** 0 == 1\n"
                        "assert 2 ** 3 ** 2 == 512 and 2 ** 62 == 4611686018427387904\n",
                        NULL, &line, &ok));
    CU_ASSERT_STRING_EQUAL(ok, "");
    CU_ASSERT_FALSE(eval("assert 2 ** 0.5 > 1", NULL, &line, &frac));
    CU_ASSERT_STRING_EQUAL(frac, "%{ }%: assert 2 ** 0.5 > 1: '**' with an exponent that is not "
                                 "an integer is not evaluated by netsim");
}

static void test_code_failed_assertion_names_line_and_values(void)
{
    NsTcpInfo i = info_established();
    uint32_t line;
    g_autofree char *msg = NULL;
    CU_ASSERT_FALSE(eval("\nassert tcpi_rto > 0\nassert tcpi_snd_cwnd == 11, tcpi_snd_cwnd\n"
                         "assert False\n",
                         &i, &line, &msg));
    CU_ASSERT_EQUAL(line, 2);
    CU_ASSERT_STRING_EQUAL(msg, "%{ }% assertion failed: assert tcpi_snd_cwnd == 11 (netsim: "
                                "tcpi_snd_cwnd is 10)");
}

static void test_code_unmodelled_refused_by_name(void)
{
    NsTcpInfo i = info_established();
    uint32_t line;
    g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    CU_ASSERT_FALSE(eval("assert tcpi_pacing_rate > 0", &i, &line, &a));
    CU_ASSERT_STRING_EQUAL(a, "%{ }%: assert tcpi_pacing_rate > 0: tcpi_pacing_rate is not "
                              "modelled by netsim");
    CU_ASSERT_FALSE(eval("import os", &i, &line, &b));
    CU_ASSERT_STRING_EQUAL(b, "%{ }%: import os: netsim evaluates only assert, NAME = EXPR, "
                              "print and pass statements");
    CU_ASSERT_FALSE(eval("assert len(x) == 1", &i, &line, &c));
    CU_ASSERT_STRING_EQUAL(c, "%{ }%: assert len(x) == 1: the name len is not known to "
                              "netsim's %{ }% evaluator");
    CU_ASSERT_FALSE(eval("assert tcpi_state == 1", NULL, &line, &d));
    CU_ASSERT_STRING_EQUAL(d, "%{ }%: assert tcpi_state == 1: tcpi_state: no TCP socket to "
                              "read TCP_INFO from");
}

static void test_code_division_by_zero_is_an_error(void)
{
    uint32_t line;
    g_autofree char *msg = NULL;
    CU_ASSERT_FALSE(eval("assert 1 // 0 == 0", NULL, &line, &msg));
    CU_ASSERT_STRING_EQUAL(msg, "%{ }%: assert 1 // 0 == 0: division by zero");
}

static CU_TestInfo code_tests[] = {
    {"linux_units_and_names", test_code_linux_units_and_names},
    {"infinite_ssthresh_as_linux", test_code_infinite_ssthresh_as_linux},
    {"python_operators", test_code_python_operators},
    {"power_takes_integer_exponents", test_code_power_takes_integer_exponents},
    {"failed_assertion_names_line_and_values", test_code_failed_assertion_names_line_and_values},
    {"unmodelled_refused_by_name", test_code_unmodelled_refused_by_name},
    {"division_by_zero_is_an_error", test_code_division_by_zero_is_an_error},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo ns_test_suites[] = {
    {.pName = "pkt", .pTests = pkt_tests},
    {.pName = "code", .pTests = code_tests},
    CU_SUITE_INFO_NULL,
};
