/* SMTP over TCP (RFC 5321 subset: 3.1 greeting, 3.3 mail transactions,
 * 4.1.1 commands, 4.5.2 transparency, 4.3.2 reply codes): a server that
 * accepts one message per connection, and the `mail` client. */
#include "app-private.h"

#include <errno.h>
#include <string.h>

#include "netsim/tcp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/smtp.h"
#include "netsim-private/ctx.h"

#define IO_CHUNK 16384
#define IN_MAX 65536

/* Write out[] as the socket takes it; false when the connection failed. */
static bool flush_out(NsSocket *sock, GByteArray *out, bool *blocked)
{
    *blocked = false;
    while (out->len) {
        long n = ns_socket_write(sock, out->data, out->len);
        if (n == -EAGAIN) {
            *blocked = true;
            return true;
        }
        if (n < 0)
            return false;
        g_byte_array_remove_range(out, 0, (guint)n);
    }
    return true;
}

/* Read into in[] (up to IN_MAX); 0 ok, -1 at end of stream, or an errno. */
static int read_in(NsSocket *sock, GByteArray *in)
{
    uint8_t buf[IO_CHUNK];
    while (in->len < IN_MAX) {
        long n = ns_socket_recvfrom(sock, buf, sizeof buf, NULL, NULL);
        if (n == -EAGAIN)
            return 0;
        if (n < 0)
            return (int)-n;
        if (n == 0)
            return -1;
        g_byte_array_append(in, buf, (guint)n);
    }
    return 0;
}

static void reply(GByteArray *out, uint16_t code, bool more, const char *text)
{
    uint8_t line[NS_SMTP_LINE_MAX];
    size_t n = ns_smtp_reply_emit(code, more, text, line, sizeof line);
    g_assert(n > 0);
    g_byte_array_append(out, line, (guint)n);
}

/* ======== server ======== */

typedef struct SmtpConn SmtpConn;

struct NsSmtpServer {
    NsHost *host;
    AppServer *srv; /* the listener and the connections */
    uint16_t port;
    uint64_t messages;
};

struct SmtpConn {
    AppConn base;      /* first: the skeleton's part */
    NsSmtpServer *srv;
    GByteArray *in, *out;
    bool helo, has_mail, has_rcpt, in_data, got_message, quit, eof;
    char from[128], to[128];
    uint64_t data_bytes;
};

static void sconn_close(SmtpConn *c)
{
    ns_app_conn_close(&c->base);
}

/* A new connection: the server speaks first (RFC 5321 3.1). */
static void sconn_opened(AppConn *base)
{
    SmtpConn *c = (SmtpConn *)base;
    c->srv = ns_app_server_app(base->srv);
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    char text[300];
    g_snprintf(text, sizeof text, "%s ESMTP netsim", ns_host_name(c->srv->host));
    reply(c->out, 220, false, text);
}

static void sconn_closed(AppConn *base)
{
    SmtpConn *c = (SmtpConn *)base;
    g_byte_array_free(c->in, TRUE);
    g_byte_array_free(c->out, TRUE);
}

static void copy_arg(char *dst, size_t cap, const char *p, size_t n)
{
    g_snprintf(dst, cap, "%.*s", (int)MIN(n, cap - 1), p);
}

static void command(SmtpConn *c, const NsSmtpCommand *cmd)
{
    const char *name = ns_host_name(c->srv->host);
    char text[NS_SMTP_LINE_MAX];
    switch (cmd->verb) {
    case NS_SMTP_CMD_HELO:
    case NS_SMTP_CMD_EHLO:
        if (cmd->arg_len == 0) {
            reply(c->out, 501, false, "Syntax: HELO hostname");
            return;
        }
        c->helo = true;
        c->has_mail = c->has_rcpt = false;
        g_snprintf(text, sizeof text, "%s greets %.*s", name, (int)MIN(cmd->arg_len, 200),
                   cmd->arg);
        reply(c->out, 250, cmd->verb == NS_SMTP_CMD_EHLO, text);
        if (cmd->verb == NS_SMTP_CMD_EHLO)
            reply(c->out, 250, false, "8BITMIME");
        return;
    case NS_SMTP_CMD_MAIL:
        if (!c->helo)
            reply(c->out, 503, false, "Send HELO/EHLO first");
        else if (c->got_message)
            reply(c->out, 503, false, "One message per connection");
        else if (c->has_mail)
            reply(c->out, 503, false, "Nested MAIL command");
        else {
            c->has_mail = true;
            copy_arg(c->from, sizeof c->from, cmd->arg, cmd->arg_len);
            reply(c->out, 250, false, "OK");
        }
        return;
    case NS_SMTP_CMD_RCPT:
        if (!c->has_mail) {
            reply(c->out, 503, false, "Need MAIL first");
            return;
        }
        if (!c->has_rcpt)
            copy_arg(c->to, sizeof c->to, cmd->arg, cmd->arg_len);
        c->has_rcpt = true;
        reply(c->out, 250, false, "OK");
        return;
    case NS_SMTP_CMD_DATA:
        if (!c->has_rcpt) {
            reply(c->out, 503, false, "Need RCPT first");
            return;
        }
        c->in_data = true;
        c->data_bytes = 0;
        reply(c->out, 354, false, "End data with <CR><LF>.<CR><LF>");
        return;
    case NS_SMTP_CMD_RSET:
        c->has_mail = c->has_rcpt = false;
        reply(c->out, 250, false, "OK");
        return;
    case NS_SMTP_CMD_NOOP:
        reply(c->out, 250, false, "OK");
        return;
    case NS_SMTP_CMD_VRFY:
        reply(c->out, 252, false, "Cannot VRFY user");
        return;
    case NS_SMTP_CMD_QUIT:
        c->quit = true;
        reply(c->out, 221, false, "Bye");
        return;
    case NS_SMTP_CMD_UNKNOWN:
        reply(c->out, 500, false, "Command unrecognized");
        return;
    }
}

/* The end of the first CRLF line in in[], or -1. */
static long line_end(const GByteArray *in)
{
    for (guint i = 0; i + 1 < in->len; i++)
        if (in->data[i] == '\r' && in->data[i + 1] == '\n')
            return (long)i;
    return -1;
}

/* Handle what in[] holds; false when nothing could be done. */
static bool process(SmtpConn *c)
{
    bool progress = false;
    while (c->in->len && !c->quit) {
        if (c->in_data) {
            long e = line_end(c->in);
            if (e < 0) {
                if (c->in->len < NS_SMTP_TEXT_LINE_MAX * 4)
                    break;
                e = (long)c->in->len - 2; /* an over-long line: count it and go on */
            }
            if (e == 1 && c->in->data[0] == '.') {
                c->in_data = false;
                c->got_message = true;
                c->has_mail = c->has_rcpt = false;
                c->srv->messages++;
                reply(c->out, 250, false, "OK: message accepted");
                ns_app_trace(c->srv->host, "smtp", 0, "message from <%s> to <%s>: %" G_GUINT64_FORMAT
                             "B accepted", c->from, c->to, c->data_bytes);
            } else {
                /* RFC 5321 4.5.2: a leading dot was doubled by the sender. */
                bool stuffed = e > 0 && c->in->data[0] == '.';
                c->data_bytes += (uint64_t)e + 2 - (stuffed ? 1 : 0);
            }
            g_byte_array_remove_range(c->in, 0, (guint)e + 2);
            progress = true;
            continue;
        }
        NsSmtpCommand cmd;
        NsWireResult r = ns_smtp_command_parse(c->in->data, c->in->len, &cmd);
        if (r == NS_WIRE_TRUNCATED)
            break;
        progress = true;
        if (r != NS_WIRE_OK) {
            long e = line_end(c->in);
            reply(c->out, 500, false, e < 0 ? "Line too long" : "Syntax error");
            g_byte_array_remove_range(c->in, 0, e < 0 ? c->in->len : (guint)e + 2);
            continue;
        }
        command(c, &cmd);
        g_byte_array_remove_range(c->in, 0, (guint)cmd.line_len);
    }
    return progress;
}

static void sconn_ready(AppConn *base)
{
    SmtpConn *c = (SmtpConn *)base;
    NsSocket *sock = base->sock;
    for (;;) {
        bool blocked;
        if (!flush_out(sock, c->out, &blocked)) {
            sconn_close(c);
            return;
        }
        if (blocked)
            return;
        if (c->quit) {
            sconn_close(c); /* RFC 5321 4.1.1.10: close after the 221 */
            return;
        }
        int r = read_in(sock, c->in);
        if (r > 0) {
            sconn_close(c);
            return;
        }
        if (r < 0)
            c->eof = true;
        if (!process(c)) {
            if (c->eof)
                sconn_close(c);
            return;
        }
    }
}

static const AppServerOps smtp_ops = {sizeof(SmtpConn), sconn_opened, sconn_ready,
                                      sconn_closed};

NsSmtpServer *ns_smtp_server_start(NsHost *h, uint16_t port)
{
    g_return_val_if_fail(h != NULL, NULL);
    NsSmtpServer *s = g_new0(NsSmtpServer, 1);
    s->host = h;
    s->port = port;
    int err;
    s->srv = ns_app_server_listen(h, port, &smtp_ops, s, &err);
    if (!s->srv) {
        ns_app_trace(h, "service", err, "smtp on tcp port %u failed to start:", port);
        g_free(s);
        return NULL;
    }
    ns_app_trace(h, "service", 0, "smtp listening on tcp port %u", port);
    return s;
}

void ns_smtp_server_crash(NsSmtpServer *s)
{
    if (s)
        ns_app_server_crash(s->srv);
}

void ns_smtp_server_free(NsSmtpServer *s)
{
    if (!s)
        return;
    ns_app_server_free(s->srv);
    g_free(s);
}

uint64_t ns_smtp_server_messages(const NsSmtpServer *s)
{
    return s ? s->messages : 0;
}

/* ======== mail ======== */

/* What the client waits for, in dialogue order. */
typedef enum {
    MS_START,      /* resolving, or about to connect */
    MS_CONNECTING,
    MS_GREETING,   /* 220 */
    MS_EHLO,       /* 250 */
    MS_MAIL,       /* 250 */
    MS_RCPT,       /* 250 */
    MS_DATA,       /* 354 */
    MS_TEXT,       /* 250: accepted */
    MS_QUIT,       /* 221 */
    MS_DONE,
} MailState;

struct NsMail {
    NsHost *host;
    char *server, *from, *to;
    uint32_t addr;
    bool v6; /* the server was given as an IPv6 address: addr6 */
    NsIpv6Addr addr6;
    uint16_t port;
    uint8_t *msg;  /* the message as given; NULL: msg_len bytes of the pattern */
    size_t msg_len;
    size_t msg_off;    /* bytes of it already encoded into out[] */
    NsSmtpDataEnc enc; /* dot-stuffing state at msg_off */
    bool text_done;    /* CRLF.CRLF is in out[] */
    NsDnsServerAddr dns_server;
    const NsDnsTable *names;
    NsMailDone cb;
    void *data;
    NsResolve *resolve;
    NsSocket *sock;
    GByteArray *in, *out;
    MailState st;
    bool accepted;
    const char *fail; /* why, once the dialogue went wrong */
    int err;
    NsMailResult res;
    NsTime started;
    NsEventId ev;
    bool finished, inert;
};

static void mail_finish(NsMail *m)
{
    m->inert = m->finished = true;
    m->st = MS_DONE;
    ns_sim_cancel(ns_host_ctx(m->host)->sim, &m->ev);
    if (m->sock)
        ns_socket_close(m->sock);
    m->sock = NULL;
    m->res.ok = m->accepted;
    m->res.err = m->accepted ? 0 : m->err;
    m->res.why = m->accepted ? NULL : m->fail ? m->fail : "the dialogue ended early";
    m->res.elapsed = ns_app_now(m->host) - m->started;
    char d[32];
    ns_app_duration(m->res.elapsed, d, sizeof d);
    if (m->accepted)
        ns_app_trace(m->host, "mail", 0, "%s:%u: message accepted (%zuB) in %s", m->server,
                     m->port, m->msg_len, d);
    else if (m->res.code && !m->res.err)
        ns_app_trace(m->host, "mail", 0, "%s:%u: %s (last reply %u) in %s", m->server, m->port,
                     m->res.why, m->res.code, d);
    else
        ns_app_trace(m->host, "mail", m->res.err, "%s:%u: %s%s", m->server, m->port, m->res.why,
                     m->res.err ? ":" : "");
    NsMailResult copy = m->res;
    if (m->cb)
        m->cb(m->data, &copy); /* last: the callback may free m */
}

static void mail_fail(NsMail *m, int err, const char *why)
{
    if (!m->fail) {
        m->fail = why;
        m->err = err;
    }
    mail_finish(m);
}

static void send_cmd(NsMail *m, NsSmtpVerb verb, const char *arg, MailState next)
{
    uint8_t line[NS_SMTP_LINE_MAX];
    size_t n = ns_smtp_command_emit(verb, arg, line, sizeof line);
    if (n)
        g_byte_array_append(m->out, line, (guint)n);
    m->st = next;
}

/* One whole reply (its last line) arrived while in state m->st. */
static void on_reply(NsMail *m, uint16_t code)
{
    static const uint16_t want[] = {[MS_GREETING] = 220, [MS_EHLO] = 250, [MS_MAIL] = 250,
                                    [MS_RCPT] = 250, [MS_DATA] = 354, [MS_TEXT] = 250,
                                    [MS_QUIT] = 221};
    m->res.code = code;
    if (m->st == MS_QUIT) {
        m->st = MS_DONE;
        return;
    }
    if (code != want[m->st]) {
        m->fail = m->st == MS_GREETING ? "the server did not greet us"
                  : m->st == MS_TEXT   ? "the server refused the message"
                                       : "the server refused a command";
        send_cmd(m, NS_SMTP_CMD_QUIT, NULL, MS_QUIT);
        return;
    }
    switch (m->st) {
    case MS_GREETING:
        send_cmd(m, NS_SMTP_CMD_EHLO, ns_host_name(m->host), MS_EHLO);
        break;
    case MS_EHLO:
        send_cmd(m, NS_SMTP_CMD_MAIL, m->from, MS_MAIL);
        break;
    case MS_MAIL:
        send_cmd(m, NS_SMTP_CMD_RCPT, m->to, MS_RCPT);
        break;
    case MS_RCPT:
        send_cmd(m, NS_SMTP_CMD_DATA, NULL, MS_DATA);
        break;
    case MS_DATA:
        m->st = MS_TEXT; /* mail_ready() feeds the text as the socket takes it */
        break;
    case MS_TEXT:
        m->accepted = true;
        send_cmd(m, NS_SMTP_CMD_QUIT, NULL, MS_QUIT);
        break;
    case MS_START:
    case MS_CONNECTING:
    case MS_QUIT:
    case MS_DONE:
        break;
    }
}

/* Parse whole reply lines from in[]; false on a malformed reply. */
static bool read_replies(NsMail *m)
{
    while (m->in->len && m->st != MS_DONE) {
        NsSmtpReply r;
        NsWireResult res = ns_smtp_reply_parse(m->in->data, m->in->len, &r);
        if (res == NS_WIRE_TRUNCATED)
            return true;
        if (res != NS_WIRE_OK)
            return false;
        g_byte_array_remove_range(m->in, 0, (guint)r.line_len);
        if (!r.more)
            on_reply(m, r.code);
    }
    return true;
}

/* Encode the next piece of the message into out[] while out[] is short,
 * so that a message of any size costs no more than a piece; true when
 * something was added. */
static bool feed_text(NsMail *m)
{
    if (m->st != MS_TEXT || m->text_done || m->out->len >= IO_CHUNK)
        return false;
    uint8_t piece[IO_CHUNK / 2], enc[IO_CHUNK + 8];
    size_t n = MIN(sizeof piece, m->msg_len - m->msg_off);
    const uint8_t *src = m->msg ? m->msg + m->msg_off : piece;
    if (!m->msg)
        ns_app_pattern(m->msg_off, piece, n);
    size_t k = ns_smtp_data_encode_part(&m->enc, src, n, enc);
    m->msg_off += n;
    if (m->msg_off == m->msg_len) { /* the end goes with the last piece */
        k += ns_smtp_data_encode_end(&m->enc, enc + k);
        m->text_done = true;
    }
    g_byte_array_append(m->out, enc, (guint)k);
    return true;
}

static void mail_ready(void *data, NsSocket *sock)
{
    NsMail *m = data;
    if (m->st == MS_CONNECTING) {
        int err = ns_socket_take_error(sock);
        int st = ns_socket_state(sock);
        if (err || st == NS_TCP_STATE_CLOSED) {
            mail_fail(m, err ? err : ECONNREFUSED, "could not connect");
            return;
        }
        if (st == NS_TCP_STATE_SYN_SENT)
            return;
        m->st = MS_GREETING;
    }
    for (;;) {
        bool blocked;
        if (!flush_out(sock, m->out, &blocked)) {
            mail_fail(m, ns_socket_take_error(sock), "connection lost");
            return;
        }
        if (feed_text(m))
            continue;
        int r = read_in(sock, m->in);
        if (r > 0) {
            mail_fail(m, r, "connection lost");
            return;
        }
        guint before = m->out->len;
        MailState st = m->st;
        if (!read_replies(m)) {
            mail_fail(m, 0, "the server's reply does not parse");
            return;
        }
        if (m->st == MS_DONE) { /* 221 read: close */
            mail_finish(m);
            return;
        }
        if (r < 0) { /* end of stream: fine once the message was accepted */
            if (m->accepted)
                mail_finish(m);
            else
                mail_fail(m, 0, "the server closed the connection");
            return;
        }
        if (blocked || (m->out->len == before && m->st == st))
            return;
    }
}

static void mail_connect(NsMail *m)
{
    int err = 0;
    m->sock = ns_socket_new(m->host, NS_SOCK_TCP, &err);
    if (m->sock)
        err = m->v6 ? ns_socket_connect6(m->sock, &m->addr6, m->port)
                    : ns_socket_connect(m->sock, m->addr, m->port);
    if (err) {
        mail_fail(m, -err, "could not connect");
        return;
    }
    m->st = MS_CONNECTING;
    ns_socket_set_watch(m->sock, mail_ready, m);
}

static void mail_resolved(void *data, const NsResolveResult *res)
{
    NsMail *m = data;
    NsResolve *r = m->resolve;
    m->resolve = NULL;
    ns_resolve_free(r);
    if (res->status == NS_RESOLVE_OK) {
        m->addr = res->addr;
        m->v6 = res->v6;
        m->addr6 = res->addr6;
        mail_connect(m);
    } else {
        mail_fail(m, res->err, "could not resolve the server's name");
    }
}

static void mail_begin(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsMail *m = obj;
    m->ev = NS_EVENT_NONE;
    mail_connect(m);
}

NsMail *ns_mail_start(NsHost *h, const NsMailSpec *spec, NsMailDone cb, void *data)
{
    g_return_val_if_fail(h != NULL && spec != NULL, NULL);
    g_return_val_if_fail(spec->server != NULL || spec->addr != 0 || spec->addr6, NULL);
    NsMail *m = g_new0(NsMail, 1);
    m->host = h;
    char a[NS_IPV6_STRLEN + 2], b[NS_IPV6_STRLEN];
    if (spec->addr6) {
        m->v6 = true;
        m->addr6 = *spec->addr6;
        g_snprintf(a, sizeof a, "[%s]", ns_ipv6_format(&m->addr6, b));
    } else {
        ns_ipv4_format(spec->addr, a);
    }
    m->server = g_strdup(spec->server ? spec->server : a);
    m->addr = spec->addr;
    m->port = spec->port ? spec->port : NS_SMTP_PORT;
    m->from = spec->from ? g_strdup(spec->from)
                         : g_strdup_printf("%s@%s", ns_host_name(h), ns_host_name(h));
    /* A mailbox at an IPv6 address is written <user@[IPv6:ADDR]> (RFC 5321
     * 4.1.3's address literal). */
    if (spec->to)
        m->to = g_strdup(spec->to);
    else if (m->v6)
        m->to = g_strdup_printf("postmaster@[IPv6:%s]", b);
    else
        m->to = g_strdup_printf("postmaster@%s", m->server);
    m->msg_len = spec->len;
    m->msg = spec->message ? g_memdup2(spec->message, spec->len) : NULL;
    m->enc = NS_SMTP_DATA_ENC_INIT;
    m->dns_server = spec->dns_server;
    m->names = spec->names;
    m->cb = cb;
    m->data = data;
    m->in = g_byte_array_new();
    m->out = g_byte_array_new();
    m->started = ns_app_now(h);
    ns_app_trace(h, "mail", 0, "%s:%u: %zuB message from <%s> to <%s>", m->server, m->port,
                 m->msg_len, m->from, m->to);
    if (!m->v6 && m->addr == 0 && !ns_ipv4_parse_addr(m->server, &m->addr))
        /* an IPv6-only host asks for the server's IPv6 address */
        m->resolve = ns_dns_resolve_via(h, &m->dns_server, !ns_app_host_has_ipv4(h), m->server,
                                        m->names, mail_resolved, m);
    else
        m->ev = ns_sim_schedule(ns_host_ctx(h)->sim, 0, mail_begin, m, NULL);
    return m;
}

const NsMailResult *ns_mail_result(const NsMail *m)
{
    return m && m->finished ? &m->res : NULL;
}

void ns_mail_crash(NsMail *m)
{
    if (!m)
        return;
    ns_resolve_crash(m->resolve);
    ns_sim_cancel(ns_host_ctx(m->host)->sim, &m->ev);
    m->sock = NULL;
    m->inert = true;
}

void ns_mail_free(NsMail *m)
{
    if (!m)
        return;
    ns_resolve_free(m->resolve);
    ns_sim_cancel(ns_host_ctx(m->host)->sim, &m->ev);
    if (m->sock)
        ns_socket_close(m->sock);
    g_byte_array_free(m->in, TRUE);
    g_byte_array_free(m->out, TRUE);
    g_free(m->msg);
    g_free(m->server);
    g_free(m->from);
    g_free(m->to);
    g_free(m);
}
