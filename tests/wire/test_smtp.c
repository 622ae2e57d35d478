/* Tests of SMTP lines (RFC 5321 4.1.1, 4.2, 4.5.2): command and reply
 * parsing, rejection of malformed and truncated lines, emitters, DATA
 * transparency and trace summaries. */
#include "netsim/wire/smtp.h"

#include <CUnit/CUnit.h>
#include <glib.h>
#include <string.h>

#include "wire-tests.h"

#define U8(s) ((const uint8_t *)(s))

static NsWireResult cmd(const char *s, NsSmtpCommand *c)
{
    return ns_smtp_command_parse(U8(s), strlen(s), c);
}

static NsWireResult rep(const char *s, NsSmtpReply *r)
{
    return ns_smtp_reply_parse(U8(s), strlen(s), r);
}

static bool arg_is(const NsSmtpCommand *c, const char *lit)
{
    return c->arg_len == strlen(lit) && memcmp(c->arg, lit, c->arg_len) == 0;
}

/* ---- commands ---- */

static void test_smtp_command_ehlo(void)
{
    NsSmtpCommand c;
    CU_ASSERT_EQUAL_FATAL(cmd("EHLO pc\r\nMAIL", &c), NS_WIRE_OK);
    CU_ASSERT_EQUAL(c.verb, NS_SMTP_CMD_EHLO);
    CU_ASSERT_TRUE(arg_is(&c, "pc"));
    CU_ASSERT_EQUAL(c.line_len, 9);
}

static void test_smtp_command_mail_rcpt_paths(void)
{
    NsSmtpCommand c;
    CU_ASSERT_EQUAL_FATAL(cmd("MAIL FROM:<alice@pc.example>\r\n", &c), NS_WIRE_OK);
    CU_ASSERT_EQUAL(c.verb, NS_SMTP_CMD_MAIL);
    CU_ASSERT_TRUE(arg_is(&c, "alice@pc.example"));
    CU_ASSERT_EQUAL_FATAL(cmd("rcpt to:<> SIZE=10\r\n", &c), NS_WIRE_OK);
    CU_ASSERT_EQUAL(c.verb, NS_SMTP_CMD_RCPT);
    CU_ASSERT_TRUE(arg_is(&c, ""));
}

static void test_smtp_command_bare_verbs(void)
{
    NsSmtpCommand c;
    CU_ASSERT_EQUAL_FATAL(cmd("data\r\n", &c), NS_WIRE_OK);
    CU_ASSERT_EQUAL(c.verb, NS_SMTP_CMD_DATA);
    CU_ASSERT_EQUAL(c.arg_len, 0);
    CU_ASSERT_EQUAL_FATAL(cmd("QUIT\r\n", &c), NS_WIRE_OK);
    CU_ASSERT_EQUAL(c.verb, NS_SMTP_CMD_QUIT);
    CU_ASSERT_EQUAL_FATAL(cmd("XYZW now\r\n", &c), NS_WIRE_OK);
    CU_ASSERT_EQUAL(c.verb, NS_SMTP_CMD_UNKNOWN);
}

static void test_smtp_command_every_prefix_truncated(void)
{
    static const char line[] = "MAIL FROM:<alice@pc.example>\r\n";
    for (size_t n = 0; n < strlen(line); n++) {
        g_autofree uint8_t *b = ns_test_dup(U8(line), n);
        NsSmtpCommand c;
        CU_ASSERT_EQUAL(ns_smtp_command_parse(b, n, &c), NS_WIRE_TRUNCATED);
    }
}

static void test_smtp_command_malformed(void)
{
    static const char *const bad[] = {"EHLO pc\n", "EHL pc\r\n", "EHLOpc\r\n",
                                      "MAIL FROM:alice\r\n", "RCPT TO:<a\r\n",
                                      "EHLO p\rc\r\n", "EHLO \x01\r\n", "Subject: hi\r\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        NsSmtpCommand c;
        CU_ASSERT_EQUAL(cmd(bad[i], &c), NS_WIRE_MALFORMED);
    }
}

static void test_smtp_command_too_long_malformed(void)
{
    char line[NS_SMTP_LINE_MAX + 20];
    memcpy(line, "NOOP ", 5);
    memset(line + 5, 'x', sizeof line - 5);
    NsSmtpCommand c;
    CU_ASSERT_EQUAL(ns_smtp_command_parse(U8(line), sizeof line, &c), NS_WIRE_MALFORMED);
}

static void test_smtp_command_emit_round_trip(void)
{
    uint8_t b[NS_SMTP_LINE_MAX];
    size_t n = ns_smtp_command_emit(NS_SMTP_CMD_RCPT, "bob@mail.example", b, sizeof b);
    CU_ASSERT_EQUAL_FATAL(n, strlen("RCPT TO:<bob@mail.example>\r\n"));
    CU_ASSERT_EQUAL(memcmp(b, "RCPT TO:<bob@mail.example>\r\n", n), 0);
    NsSmtpCommand c;
    CU_ASSERT_EQUAL_FATAL(ns_smtp_command_parse(b, n, &c), NS_WIRE_OK);
    CU_ASSERT_TRUE(arg_is(&c, "bob@mail.example"));
    CU_ASSERT_EQUAL(ns_smtp_command_emit(NS_SMTP_CMD_QUIT, NULL, b, 5), 0);
    CU_ASSERT_EQUAL(ns_smtp_command_emit(NS_SMTP_CMD_QUIT, NULL, b, 6), 6);
    CU_ASSERT_EQUAL(ns_smtp_command_emit(NS_SMTP_CMD_EHLO, "a\r\nQUIT", b, sizeof b), 0);
    CU_ASSERT_EQUAL(ns_smtp_command_emit(NS_SMTP_CMD_UNKNOWN, "x", b, sizeof b), 0);
}

/* ---- replies ---- */

static void test_smtp_reply_parse(void)
{
    NsSmtpReply r;
    CU_ASSERT_EQUAL_FATAL(rep("250 OK\r\n", &r), NS_WIRE_OK);
    CU_ASSERT_EQUAL(r.code, 250);
    CU_ASSERT_FALSE(r.more);
    CU_ASSERT_EQUAL(r.text_len, 2);
    CU_ASSERT_EQUAL_FATAL(rep("250-mail.example\r\n250 8BITMIME\r\n", &r), NS_WIRE_OK);
    CU_ASSERT_TRUE(r.more);
    CU_ASSERT_EQUAL(r.line_len, 18);
    CU_ASSERT_EQUAL_FATAL(rep("354\r\n", &r), NS_WIRE_OK);
    CU_ASSERT_EQUAL(r.code, 354);
}

static void test_smtp_reply_malformed_and_truncated(void)
{
    static const char *const bad[] = {"600 no\r\n", "25 x\r\n", "250x\r\n", "2a0 x\r\n",
                                      "250 OK\n"};
    NsSmtpReply r;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        CU_ASSERT_EQUAL(rep(bad[i], &r), NS_WIRE_MALFORMED);
    static const char line[] = "220 mail.example ESMTP\r\n";
    for (size_t n = 0; n < strlen(line); n++) {
        g_autofree uint8_t *b = ns_test_dup(U8(line), n);
        CU_ASSERT_EQUAL(ns_smtp_reply_parse(b, n, &r), NS_WIRE_TRUNCATED);
    }
}

static void test_smtp_reply_emit(void)
{
    uint8_t b[64];
    size_t n = ns_smtp_reply_emit(250, true, "mail.example", b, sizeof b);
    CU_ASSERT_EQUAL_FATAL(n, 18);
    CU_ASSERT_EQUAL(memcmp(b, "250-mail.example\r\n", n), 0);
    CU_ASSERT_EQUAL(ns_smtp_reply_emit(199, false, "x", b, sizeof b), 0);
    CU_ASSERT_EQUAL(ns_smtp_reply_emit(250, false, "a\nb", b, sizeof b), 0);
}

/* ---- DATA and summaries ---- */

static void test_smtp_data_encode_dot_stuffing(void)
{
    static const char text[] = "Subject: hi\n\n.hidden\r\nend";
    static const char want[] = "Subject: hi\r\n\r\n..hidden\r\nend\r\n.\r\n";
    size_t need = ns_smtp_data_encode(U8(text), strlen(text), NULL);
    CU_ASSERT_EQUAL_FATAL(need, strlen(want));
    g_autofree uint8_t *b = g_malloc(need);
    CU_ASSERT_EQUAL(ns_smtp_data_encode(U8(text), strlen(text), b), need);
    CU_ASSERT_EQUAL(memcmp(b, want, need), 0);
    uint8_t e[8];
    CU_ASSERT_EQUAL(ns_smtp_data_encode(U8(""), 0, e), 3);
    CU_ASSERT_EQUAL(memcmp(e, ".\r\n", 3), 0);
}

/* Cut anywhere (between CR and LF, before a '.' that starts a line), the
 * piecewise encoder writes what the whole-message encoder writes. */
static void test_smtp_data_encode_in_pieces(void)
{
    static const char text[] = ".a\r\n.b\nc\r\r\n\n.";
    const size_t len = strlen(text);
    uint8_t whole[64], pieces[64];
    size_t need = ns_smtp_data_encode(U8(text), len, whole);
    for (size_t cut = 0; cut <= len; cut++) {
        NsSmtpDataEnc e = NS_SMTP_DATA_ENC_INIT;
        size_t o = ns_smtp_data_encode_part(&e, U8(text), cut, pieces);
        o += ns_smtp_data_encode_part(&e, U8(text) + cut, len - cut, pieces + o);
        o += ns_smtp_data_encode_end(&e, pieces + o);
        CU_ASSERT_EQUAL(o, need);
        CU_ASSERT_EQUAL(memcmp(pieces, whole, need), 0);
    }
}

static void test_smtp_summary(void)
{
    char s[64];
    CU_ASSERT_TRUE(ns_smtp_summary(U8("EHLO pc\r\n"), 9, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "SMTP EHLO pc");
    CU_ASSERT_TRUE(ns_smtp_summary(U8("250 OK\r\n"), 8, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "SMTP 250 OK");
    CU_ASSERT_TRUE(ns_smtp_summary(U8("250-mail\r\n250 OK\r\n"), 18, s, sizeof s));
    CU_ASSERT_STRING_EQUAL(s, "SMTP 250 mail");
    CU_ASSERT_FALSE(ns_smtp_summary(U8("Subject: hi\r\n"), 13, s, sizeof s));
    CU_ASSERT_FALSE(ns_smtp_summary(U8("EHLO"), 4, s, sizeof s));
}

CU_TestInfo ns_wire_smtp_tests[] = {
    {"command_ehlo", test_smtp_command_ehlo},
    {"command_mail_rcpt_paths", test_smtp_command_mail_rcpt_paths},
    {"command_bare_verbs", test_smtp_command_bare_verbs},
    {"command_every_prefix_truncated", test_smtp_command_every_prefix_truncated},
    {"command_malformed", test_smtp_command_malformed},
    {"command_too_long_malformed", test_smtp_command_too_long_malformed},
    {"command_emit_round_trip", test_smtp_command_emit_round_trip},
    {"reply_parse", test_smtp_reply_parse},
    {"reply_malformed_and_truncated", test_smtp_reply_malformed_and_truncated},
    {"reply_emit", test_smtp_reply_emit},
    {"data_encode_dot_stuffing", test_smtp_data_encode_dot_stuffing},
    {"data_encode_in_pieces", test_smtp_data_encode_in_pieces},
    {"summary", test_smtp_summary},
    CU_TEST_INFO_NULL,
};
