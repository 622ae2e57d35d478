/* SMTP command and reply lines (RFC 5321 4.1.1 commands, 4.2 replies,
 * 4.5.2 transparency, 4.5.3.1 size limits). One line per call: the
 * applications keep their own buffers and call these on each line. */
#include "netsim/wire/smtp.h"

#include <glib.h>
#include <string.h>

/* The end (index of its CR) of the first line; limit bytes, CRLF included. */
static NsWireResult find_line(const uint8_t *buf, size_t len, size_t limit, size_t *eol)
{
    if (!buf)
        return NS_WIRE_TRUNCATED;
    size_t cap = len < limit ? len : limit;
    for (size_t i = 0; i < cap; i++) {
        uint8_t c = buf[i];
        if (c == '\r') {
            if (i + 1 >= cap)
                return len > cap ? NS_WIRE_MALFORMED : NS_WIRE_TRUNCATED;
            if (buf[i + 1] != '\n')
                return NS_WIRE_MALFORMED;
            *eol = i;
            return NS_WIRE_OK;
        }
        if (c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f)
            return NS_WIRE_MALFORMED;
    }
    return len >= limit ? NS_WIRE_MALFORMED : NS_WIRE_TRUNCATED;
}

static const char *const verb_names[] = {
    [NS_SMTP_CMD_HELO] = "HELO", [NS_SMTP_CMD_EHLO] = "EHLO", [NS_SMTP_CMD_MAIL] = "MAIL",
    [NS_SMTP_CMD_RCPT] = "RCPT", [NS_SMTP_CMD_DATA] = "DATA", [NS_SMTP_CMD_RSET] = "RSET",
    [NS_SMTP_CMD_NOOP] = "NOOP", [NS_SMTP_CMD_QUIT] = "QUIT", [NS_SMTP_CMD_VRFY] = "VRFY",
};

const char *ns_smtp_verb_name(NsSmtpVerb verb)
{
    if ((size_t)verb < G_N_ELEMENTS(verb_names) && verb_names[verb])
        return verb_names[verb];
    return "?";
}

/* "FROM:<path>" / "TO:<path>" (case-insensitive keyword); the path and
 * any parameters after it (ignored). */
static NsWireResult parse_path(const char *s, size_t n, const char *kw, NsSmtpCommand *out)
{
    size_t k = strlen(kw);
    if (n < k || g_ascii_strncasecmp(s, kw, k) != 0)
        return NS_WIRE_MALFORMED;
    size_t i = k;
    if (i < n && s[i] == ' ') /* a common deviation, accepted as Postfix does */
        i++;
    if (i >= n || s[i] != '<')
        return NS_WIRE_MALFORMED;
    size_t start = ++i;
    while (i < n && s[i] != '>' && s[i] != '<' && s[i] != ' ')
        i++;
    if (i >= n || s[i] != '>')
        return NS_WIRE_MALFORMED;
    out->arg = s + start;
    out->arg_len = i - start;
    return NS_WIRE_OK;
}

NsWireResult ns_smtp_command_parse(const uint8_t *buf, size_t len, NsSmtpCommand *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    memset(out, 0, sizeof *out);
    size_t eol;
    NsWireResult r = find_line(buf, len, NS_SMTP_LINE_MAX, &eol);
    if (r != NS_WIRE_OK)
        return r;
    const char *s = (const char *)buf;
    size_t v = 0;
    while (v < eol && g_ascii_isalpha(s[v]))
        v++;
    if (v != 4 || (v < eol && s[v] != ' '))
        return NS_WIRE_MALFORMED;
    out->verb = NS_SMTP_CMD_UNKNOWN;
    for (size_t i = 0; i < G_N_ELEMENTS(verb_names); i++)
        if (verb_names[i] && g_ascii_strncasecmp(s, verb_names[i], 4) == 0)
            out->verb = (NsSmtpVerb)i;
    out->verb_text = s;
    out->verb_len = 4;
    out->line_len = eol + 2;
    size_t a = v < eol ? v + 1 : eol;
    out->arg = s + a;
    out->arg_len = eol - a;
    switch (out->verb) {
    case NS_SMTP_CMD_MAIL:
        return parse_path(s + a, eol - a, "FROM:", out);
    case NS_SMTP_CMD_RCPT:
        return parse_path(s + a, eol - a, "TO:", out);
    case NS_SMTP_CMD_HELO:
    case NS_SMTP_CMD_EHLO:
    case NS_SMTP_CMD_DATA:
    case NS_SMTP_CMD_RSET:
    case NS_SMTP_CMD_NOOP:
    case NS_SMTP_CMD_QUIT:
    case NS_SMTP_CMD_VRFY:
    case NS_SMTP_CMD_UNKNOWN:
        break;
    }
    return NS_WIRE_OK;
}

NsWireResult ns_smtp_reply_parse(const uint8_t *buf, size_t len, NsSmtpReply *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    memset(out, 0, sizeof *out);
    size_t eol;
    NsWireResult r = find_line(buf, len, NS_SMTP_LINE_MAX, &eol);
    if (r != NS_WIRE_OK)
        return r;
    const char *s = (const char *)buf;
    if (eol < 3 || s[0] < '2' || s[0] > '5' || !g_ascii_isdigit(s[1]) || !g_ascii_isdigit(s[2]))
        return NS_WIRE_MALFORMED;
    out->code = (uint16_t)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
    out->line_len = eol + 2;
    if (eol == 3) {
        out->text = s + 3;
        return NS_WIRE_OK;
    }
    if (s[3] != ' ' && s[3] != '-')
        return NS_WIRE_MALFORMED;
    out->more = s[3] == '-';
    out->text = s + 4;
    out->text_len = eol - 4;
    return NS_WIRE_OK;
}

static bool has_crlf(const char *s)
{
    return s && (strchr(s, '\r') || strchr(s, '\n'));
}

size_t ns_smtp_command_emit(NsSmtpVerb verb, const char *arg, uint8_t *buf, size_t len)
{
    if (!buf || verb == NS_SMTP_CMD_UNKNOWN || (size_t)verb >= G_N_ELEMENTS(verb_names) ||
        has_crlf(arg))
        return 0;
    char line[NS_SMTP_LINE_MAX + 1];
    const char *v = verb_names[verb];
    int n;
    if (verb == NS_SMTP_CMD_MAIL)
        n = g_snprintf(line, sizeof line, "%s FROM:<%s>\r\n", v, arg ? arg : "");
    else if (verb == NS_SMTP_CMD_RCPT)
        n = g_snprintf(line, sizeof line, "%s TO:<%s>\r\n", v, arg ? arg : "");
    else if (arg && arg[0])
        n = g_snprintf(line, sizeof line, "%s %s\r\n", v, arg);
    else
        n = g_snprintf(line, sizeof line, "%s\r\n", v);
    if (n < 0 || (size_t)n > NS_SMTP_LINE_MAX || (size_t)n > len)
        return 0;
    memcpy(buf, line, (size_t)n);
    return (size_t)n;
}

size_t ns_smtp_reply_emit(uint16_t code, bool more, const char *text, uint8_t *buf, size_t len)
{
    if (!buf || code < 200 || code > 599 || has_crlf(text))
        return 0;
    char line[NS_SMTP_LINE_MAX + 1];
    int n = g_snprintf(line, sizeof line, "%u%c%s\r\n", code, more ? '-' : ' ',
                       text ? text : "");
    if (n < 0 || (size_t)n > NS_SMTP_LINE_MAX || (size_t)n > len)
        return 0;
    memcpy(buf, line, (size_t)n);
    return (size_t)n;
}

size_t ns_smtp_data_encode_part(NsSmtpDataEnc *e, const uint8_t *text, size_t len, uint8_t *buf)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = text[i];
        if (e->bol && c == '.') {
            if (buf)
                buf[o] = '.';
            o++;
        }
        if (c == '\n' && !e->prev_cr) {
            if (buf)
                buf[o] = '\r';
            o++;
        }
        if (buf)
            buf[o] = c;
        o++;
        e->bol = c == '\n';
        e->prev_cr = c == '\r';
    }
    return o;
}

size_t ns_smtp_data_encode_end(const NsSmtpDataEnc *e, uint8_t *buf)
{
    static const char end_crlf[] = "\r\n.\r\n";
    const char *end = e->bol ? end_crlf + 2 : end_crlf;
    size_t n = strlen(end);
    if (buf)
        memcpy(buf, end, n);
    return n;
}

size_t ns_smtp_data_encode(const uint8_t *text, size_t len, uint8_t *buf)
{
    NsSmtpDataEnc e = NS_SMTP_DATA_ENC_INIT;
    size_t o = ns_smtp_data_encode_part(&e, text, len, buf);
    return o + ns_smtp_data_encode_end(&e, buf ? buf + o : NULL);
}

bool ns_smtp_summary(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return false;
    out[0] = 0;
    NsSmtpReply rep;
    if (ns_smtp_reply_parse(buf, len, &rep) == NS_WIRE_OK) {
        g_snprintf(out, outlen, "SMTP %u%s%.*s", rep.code, rep.text_len ? " " : "",
                   (int)rep.text_len, rep.text);
        return true;
    }
    NsSmtpCommand cmd;
    if (ns_smtp_command_parse(buf, len, &cmd) == NS_WIRE_OK) {
        g_snprintf(out, outlen, "SMTP %.*s", (int)(cmd.line_len - 2), (const char *)buf);
        return true;
    }
    return false;
}
