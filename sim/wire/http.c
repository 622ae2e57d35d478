/* HTTP/1.1 heads (RFC 9112 2-6, RFC 9110 7.2 Host, 7.6.1 Connection, 8.6
 * Content-Length): strict CRLF line parsing, the fields netsim acts on,
 * emitters for the heads its applications send, and an incremental
 * response reader. Lines are checked as soon as they are complete, so a
 * message is rejected early, while every prefix of a valid head is merely
 * TRUNCATED. */
#include "netsim/wire/http.h"

#include <glib.h>
#include <string.h>

#include "netsim/wire/decimal.h"

/* ---- lines and fields ---- */

typedef struct {
    NsHttpStr host;
    bool has_host;
    NsHttpConnection connection;
    bool has_content_length;
    uint64_t content_length;
} Fields;

/* The end (index of its CR) of the line starting at pos. */
static NsWireResult find_line(const uint8_t *buf, size_t len, size_t pos, size_t *eol)
{
    size_t cap = len < NS_HTTP_HEAD_MAX ? len : NS_HTTP_HEAD_MAX;
    for (size_t i = pos; i < cap; i++) {
        uint8_t c = buf[i];
        if (c == '\r') {
            if (i + 1 >= cap)
                return len > cap ? NS_WIRE_MALFORMED : NS_WIRE_TRUNCATED;
            if (buf[i + 1] != '\n')
                return NS_WIRE_MALFORMED;
            *eol = i;
            return NS_WIRE_OK;
        }
        if (c == '\n' || c == 0)
            return NS_WIRE_MALFORMED;
    }
    return len >= NS_HTTP_HEAD_MAX ? NS_WIRE_MALFORMED : NS_WIRE_TRUNCATED;
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(uint8_t c)
{
    return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static bool str_ieq(NsHttpStr s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && g_ascii_strncasecmp(s.ptr, lit, n) == 0;
}

static NsWireResult parse_uint(NsHttpStr s, uint64_t *out)
{
    if (s.len == 0 || s.len > 18)
        return NS_WIRE_MALFORMED;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (!g_ascii_isdigit(s.ptr[i]))
            return NS_WIRE_MALFORMED;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    *out = v;
    return NS_WIRE_OK;
}

/* Connection options (RFC 9110 7.6.1): a comma-separated list of tokens. */
static NsHttpConnection connection_options(NsHttpStr v, NsHttpConnection prev)
{
    NsHttpConnection c = prev;
    size_t i = 0;
    while (i < v.len) {
        while (i < v.len && (is_ows((uint8_t)v.ptr[i]) || v.ptr[i] == ','))
            i++;
        size_t start = i;
        while (i < v.len && v.ptr[i] != ',' && !is_ows((uint8_t)v.ptr[i]))
            i++;
        NsHttpStr tok = {v.ptr + start, i - start};
        if (str_ieq(tok, "close"))
            c = NS_HTTP_CONN_CLOSE;
        else if (str_ieq(tok, "keep-alive") && c != NS_HTTP_CONN_CLOSE)
            c = NS_HTTP_CONN_KEEP_ALIVE;
    }
    return c;
}

static NsWireResult parse_field(const uint8_t *line, size_t n, Fields *f)
{
    const char *s = (const char *)line;
    size_t colon = 0;
    while (colon < n && s[colon] != ':') {
        /* RFC 9112 5.1: no whitespace between name and colon; a line
         * starting with a blank is the obsolete line folding, rejected. */
        if (!is_tchar((uint8_t)s[colon]))
            return NS_WIRE_MALFORMED;
        colon++;
    }
    if (colon == 0 || colon == n)
        return NS_WIRE_MALFORMED;
    NsHttpStr name = {s, colon};
    size_t b = colon + 1, e = n;
    while (b < e && is_ows((uint8_t)s[b]))
        b++;
    while (e > b && is_ows((uint8_t)s[e - 1]))
        e--;
    for (size_t i = b; i < e; i++)
        if ((uint8_t)s[i] < 0x20 && s[i] != '\t')
            return NS_WIRE_MALFORMED;
    NsHttpStr value = {s + b, e - b};
    if (str_ieq(name, "content-length")) {
        uint64_t v;
        if (parse_uint(value, &v) != NS_WIRE_OK)
            return NS_WIRE_MALFORMED;
        if (f->has_content_length && f->content_length != v)
            return NS_WIRE_MALFORMED; /* RFC 9112 6.3 item 5 */
        f->has_content_length = true;
        f->content_length = v;
    } else if (str_ieq(name, "transfer-encoding")) {
        return NS_WIRE_UNSUPPORTED;
    } else if (str_ieq(name, "connection")) {
        f->connection = connection_options(value, f->connection);
    } else if (str_ieq(name, "host")) {
        if (f->has_host)
            return NS_WIRE_MALFORMED; /* RFC 9112 3.2: more than one Host */
        f->has_host = true;
        f->host = value;
    }
    return NS_WIRE_OK;
}

/* "HTTP/1.x": OK with the minor version, UNSUPPORTED for other digits. */
static NsWireResult parse_version(const char *s, size_t n, uint8_t *minor)
{
    if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || !g_ascii_isdigit(s[5]) || s[6] != '.' ||
        !g_ascii_isdigit(s[7]))
        return NS_WIRE_MALFORMED;
    if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
        return NS_WIRE_UNSUPPORTED;
    *minor = (uint8_t)(s[7] - '0');
    return NS_WIRE_OK;
}

/* ---- start lines ---- */

static NsWireResult parse_request_line(const char *s, size_t n, NsHttpRequest *out)
{
    size_t i = 0;
    while (i < n && is_tchar((uint8_t)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ' ')
        return NS_WIRE_MALFORMED;
    out->method = (NsHttpStr){s, i};
    size_t t = ++i;
    while (i < n && (uint8_t)s[i] > 0x20 && (uint8_t)s[i] < 0x7f)
        i++;
    if (i == t || i >= n || s[i] != ' ')
        return NS_WIRE_MALFORMED;
    out->target = (NsHttpStr){s + t, i - t};
    i++;
    return parse_version(s + i, n - i, &out->version_minor);
}

static NsWireResult parse_status_line(const char *s, size_t n, NsHttpResponse *out)
{
    if (n < 12) {
        if (n >= 8) {
            NsWireResult r = parse_version(s, 8, &out->version_minor);
            if (r != NS_WIRE_OK)
                return r;
        }
        return NS_WIRE_MALFORMED;
    }
    NsWireResult r = parse_version(s, 8, &out->version_minor);
    if (r != NS_WIRE_OK)
        return r;
    if (s[8] != ' ' || !g_ascii_isdigit(s[9]) || !g_ascii_isdigit(s[10]) ||
        !g_ascii_isdigit(s[11]) || s[9] == '0')
        return NS_WIRE_MALFORMED;
    out->status = (uint16_t)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
    if (n == 12) {
        out->reason = (NsHttpStr){s + 12, 0};
        return NS_WIRE_OK;
    }
    if (s[12] != ' ')
        return NS_WIRE_MALFORMED;
    for (size_t i = 13; i < n; i++)
        if ((uint8_t)s[i] < 0x20 && s[i] != '\t')
            return NS_WIRE_MALFORMED;
    out->reason = (NsHttpStr){s + 13, n - 13};
    return NS_WIRE_OK;
}

/* Parse a head: start line through `start` (request or response), then
 * fields until the empty line. *started says the start line parsed, for
 * callers that can use a partial head. */
static NsWireResult parse_head(const uint8_t *buf, size_t len, bool response,
                               NsHttpRequest *req, NsHttpResponse *resp, Fields *f,
                               size_t *head_len, bool *started)
{
    *started = false;
    memset(f, 0, sizeof *f);
    if (buf == NULL)
        return NS_WIRE_TRUNCATED;
    size_t eol;
    NsWireResult r = find_line(buf, len, 0, &eol);
    if (r != NS_WIRE_OK)
        return r;
    r = response ? parse_status_line((const char *)buf, eol, resp)
                 : parse_request_line((const char *)buf, eol, req);
    if (r != NS_WIRE_OK)
        return r;
    *started = true;
    size_t pos = eol + 2;
    for (;;) {
        r = find_line(buf, len, pos, &eol);
        if (r != NS_WIRE_OK)
            return r;
        if (eol == pos) {
            *head_len = pos + 2;
            return NS_WIRE_OK;
        }
        r = parse_field(buf + pos, eol - pos, f);
        if (r != NS_WIRE_OK)
            return r;
        pos = eol + 2;
    }
}

NsWireResult ns_http_request_parse(const uint8_t *buf, size_t len, NsHttpRequest *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    memset(out, 0, sizeof *out);
    Fields f;
    bool started;
    size_t head_len = 0;
    NsWireResult r = parse_head(buf, len, false, out, NULL, &f, &head_len, &started);
    if (r != NS_WIRE_OK)
        return r;
    out->host = f.host;
    out->connection = f.connection;
    out->has_content_length = f.has_content_length;
    out->content_length = f.content_length;
    out->head_len = head_len;
    return NS_WIRE_OK;
}

NsWireResult ns_http_response_parse(const uint8_t *buf, size_t len, NsHttpResponse *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    memset(out, 0, sizeof *out);
    Fields f;
    bool started;
    size_t head_len = 0;
    NsWireResult r = parse_head(buf, len, true, NULL, out, &f, &head_len, &started);
    if (r != NS_WIRE_OK)
        return r;
    out->connection = f.connection;
    out->has_content_length = f.has_content_length;
    out->content_length = f.content_length;
    out->head_len = head_len;
    return NS_WIRE_OK;
}

/* ---- emit ---- */

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    bool full;
} Out;

static void put(Out *o, const char *s, size_t n)
{
    if (o->full || o->len + n > o->cap) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void puts_(Out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(Out *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void putf(Out *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = g_vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(o, tmp, (size_t)n);
}

static bool str_clean(NsHttpStr s)
{
    if (!s.ptr || s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if ((uint8_t)s.ptr[i] <= 0x20 || (uint8_t)s.ptr[i] >= 0x7f)
            return false;
    return true;
}

static void put_common(Out *o, NsHttpConnection conn, bool has_cl, uint64_t cl, const char *extra)
{
    switch (conn) {
    case NS_HTTP_CONN_DEFAULT:
        break;
    case NS_HTTP_CONN_CLOSE:
        puts_(o, "Connection: close\r\n");
        break;
    case NS_HTTP_CONN_KEEP_ALIVE:
        puts_(o, "Connection: keep-alive\r\n");
        break;
    }
    if (has_cl)
        putf(o, "Content-Length: %" G_GUINT64_FORMAT "\r\n", cl);
    if (extra)
        puts_(o, extra);
    puts_(o, "\r\n");
}

size_t ns_http_request_emit(const NsHttpRequest *req, const char *extra, uint8_t *buf,
                            size_t len)
{
    g_return_val_if_fail(req != NULL, 0);
    if (!buf || !str_clean(req->method) || !str_clean(req->target) || req->version_minor > 1)
        return 0;
    Out o = {buf, len, 0, false};
    put(&o, req->method.ptr, req->method.len);
    puts_(&o, " ");
    put(&o, req->target.ptr, req->target.len);
    putf(&o, " HTTP/1.%u\r\n", req->version_minor);
    if (req->host.len) {
        if (!str_clean(req->host))
            return 0;
        puts_(&o, "Host: ");
        put(&o, req->host.ptr, req->host.len);
        puts_(&o, "\r\n");
    }
    put_common(&o, req->connection, req->has_content_length, req->content_length, extra);
    return o.full ? 0 : o.len;
}

size_t ns_http_response_emit(const NsHttpResponse *resp, const char *extra, uint8_t *buf,
                             size_t len)
{
    g_return_val_if_fail(resp != NULL, 0);
    if (!buf || resp->status < 100 || resp->status > 999 || resp->version_minor > 1)
        return 0;
    Out o = {buf, len, 0, false};
    putf(&o, "HTTP/1.%u %u ", resp->version_minor, resp->status);
    if (resp->reason.len)
        put(&o, resp->reason.ptr, resp->reason.len);
    puts_(&o, "\r\n");
    put_common(&o, resp->connection, resp->has_content_length, resp->content_length, extra);
    return o.full ? 0 : o.len;
}

const char *ns_http_reason(uint16_t status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

/* ---- incremental response reader ---- */

void ns_http_reader_init(NsHttpReader *r)
{
    g_return_if_fail(r != NULL);
    r->head = NULL;
    r->head_cap = 0;
    r->head_fill = 0;
    r->in_body = false;
    memset(&r->resp, 0, sizeof r->resp);
    r->body_read = 0;
    r->error = NS_WIRE_OK;
}

void ns_http_reader_clear(NsHttpReader *r)
{
    g_return_if_fail(r != NULL);
    g_free(r->head);
    ns_http_reader_init(r);
}

/* Append to the head, its storage doubling from 256 bytes (the caller keeps
 * head_fill + len within NS_HTTP_HEAD_MAX). */
static void head_append(NsHttpReader *r, const uint8_t *data, size_t len)
{
    size_t need = r->head_fill + len;
    if (need > r->head_cap) {
        size_t cap = r->head_cap ? r->head_cap : 256;
        while (cap < need)
            cap *= 2;
        if (cap > NS_HTTP_HEAD_MAX)
            cap = NS_HTTP_HEAD_MAX;
        r->head = g_realloc(r->head, cap);
        r->head_cap = cap;
    }
    if (len)
        memcpy(r->head + r->head_fill, data, len);
    r->head_fill = need;
}

/* RFC 9112 6.3 items 1 (1xx, 204, 304: no body). */
static bool has_no_body(uint16_t status)
{
    return status / 100 == 1 || status == 204 || status == 304;
}

NsHttpReadStatus ns_http_reader_feed(NsHttpReader *r, const uint8_t *data, size_t len,
                                     size_t *used)
{
    g_return_val_if_fail(r != NULL && used != NULL, NS_HTTP_READ_ERROR);
    *used = 0;
    if (r->error != NS_WIRE_OK)
        return NS_HTTP_READ_ERROR;
    if (!r->in_body) {
        size_t room = NS_HTTP_HEAD_MAX - r->head_fill;
        size_t take = len < room ? len : room;
        size_t before = r->head_fill;
        NsWireResult res;
        if (before == 0) {
            /* Usually the whole head comes in one piece: parse it there. */
            res = ns_http_response_parse(data, take, &r->resp);
            if (res == NS_WIRE_TRUNCATED)
                head_append(r, data, take);
        } else {
            head_append(r, data, take);
            res = ns_http_response_parse(r->head, r->head_fill, &r->resp);
        }
        if (res == NS_WIRE_TRUNCATED) {
            *used = take;
            return NS_HTTP_READ_MORE;
        }
        if (res != NS_WIRE_OK) {
            r->error = res;
            *used = take;
            return NS_HTTP_READ_ERROR;
        }
        /* Keep the head alone, in storage of its size (bytes past it were
         * gathered but belong to the body), and point the views into it. */
        size_t head_len = r->resp.head_len;
        if (r->head_cap != head_len) {
            r->head = g_realloc(r->head, head_len);
            r->head_cap = head_len;
        }
        if (before == 0)
            memcpy(r->head, data, head_len);
        r->head_fill = head_len;
        res = ns_http_response_parse(r->head, head_len, &r->resp);
        if (res != NS_WIRE_OK) { /* the same bytes: cannot happen */
            r->error = res;
            *used = take;
            return NS_HTTP_READ_ERROR;
        }
        *used = head_len - before;
        r->in_body = true;
        data += *used;
        len -= *used;
    }
    const NsHttpResponse *h = &r->resp;
    if (has_no_body(h->status))
        return NS_HTTP_READ_DONE;
    if (!h->has_content_length) {
        r->body_read += len;
        *used += len;
        return NS_HTTP_READ_MORE;
    }
    uint64_t need = h->content_length - r->body_read;
    size_t take = need < len ? (size_t)need : len;
    r->body_read += take;
    *used += take;
    return r->body_read == h->content_length ? NS_HTTP_READ_DONE : NS_HTTP_READ_MORE;
}

uint64_t ns_http_reader_body_left(const NsHttpReader *r)
{
    g_return_val_if_fail(r != NULL, 0);
    if (r->error != NS_WIRE_OK || !r->in_body || has_no_body(r->resp.status))
        return 0;
    if (!r->resp.has_content_length)
        return UINT64_MAX;
    return r->resp.content_length - r->body_read;
}

NsHttpReadStatus ns_http_reader_skip(NsHttpReader *r, uint64_t n)
{
    g_return_val_if_fail(r != NULL && n <= ns_http_reader_body_left(r), NS_HTTP_READ_ERROR);
    r->body_read += n;
    if (r->resp.has_content_length && r->body_read == r->resp.content_length)
        return NS_HTTP_READ_DONE;
    return NS_HTTP_READ_MORE;
}

NsHttpReadStatus ns_http_reader_eof(NsHttpReader *r)
{
    g_return_val_if_fail(r != NULL, NS_HTTP_READ_ERROR);
    if (r->error == NS_WIRE_OK && r->in_body && !r->resp.has_content_length)
        return NS_HTTP_READ_DONE;
    if (r->error == NS_WIRE_OK)
        r->error = NS_WIRE_TRUNCATED;
    return NS_HTTP_READ_ERROR;
}

/* ---- summaries ---- */

bool ns_http_looks_like(const uint8_t *buf, size_t len)
{
    static const char *const starts[] = {"HTTP/1.", "GET ", "HEAD ", "POST ", "PUT ",
                                         "DELETE ", "OPTIONS ", "CONNECT ", "TRACE ",
                                         "PATCH "};
    if (!buf || len == 0)
        return false;
    /* Every start is upper case: most payloads (a body, the pattern) are
     * told apart by their first byte. */
    if (buf[0] < 'C' || buf[0] > 'T')
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(starts); i++) {
        size_t n = strlen(starts[i]);
        if (len >= n && memcmp(buf, starts[i], n) == 0)
            return true;
    }
    return false;
}

/* A summary written into out[size] as g_snprintf would (cut at size - 1,
 * a string stopping at a NUL as %.*s does), without its format parsing:
 * the trace summarises every HTTP message. */
typedef struct {
    char *out;
    size_t size, len;
} Summary;

static void summary_put(Summary *b, const char *p, size_t n)
{
    if (n == 0)
        return;
    const char *nul = memchr(p, '\0', n);
    if (nul)
        n = (size_t)(nul - p);
    size_t room = b->size - 1 - b->len;
    if (n > room)
        n = room;
    memcpy(b->out + b->len, p, n);
    b->len += n;
    b->out[b->len] = '\0';
}

static void summary_u64(Summary *b, uint64_t v)
{
    char d[NS_DECIMAL_U64_LEN];
    summary_put(b, d, ns_decimal_u64(d, v));
}

bool ns_http_summary(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return false;
    out[0] = 0;
    if (!ns_http_looks_like(buf, len))
        return false;
    bool response = len >= 5 && memcmp(buf, "HTTP/", 5) == 0;
    NsHttpRequest req = {0};
    NsHttpResponse resp = {0};
    Fields f;
    bool started;
    size_t head_len;
    NsWireResult r = parse_head(buf, len, response, &req, &resp, &f, &head_len, &started);
    if (!started || (r != NS_WIRE_OK && r != NS_WIRE_TRUNCATED))
        return false;
    Summary b = {out, outlen, 0};
    summary_put(&b, "HTTP ", 5);
    if (!response) {
        summary_put(&b, req.method.ptr, req.method.len);
        summary_put(&b, " ", 1);
        summary_put(&b, req.target.ptr, req.target.len);
        return true;
    }
    summary_u64(&b, resp.status);
    if (resp.reason.len) {
        summary_put(&b, " ", 1);
        summary_put(&b, resp.reason.ptr, resp.reason.len);
    }
    if (f.has_content_length) {
        summary_put(&b, " (", 2);
        summary_u64(&b, f.content_length);
        summary_put(&b, "B)", 2);
    }
    return true;
}
