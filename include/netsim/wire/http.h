/* HTTP/1.1 message heads (RFC 9112): request line, status line and the
 * header fields netsim acts on (Host, Connection, Content-Length), plus an
 * incremental response parser for bytes arriving in pieces. Parsers keep
 * views into the caller's buffer and never allocate. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/result.h"

/* Longest head (start line and header fields) accepted, as many servers
 * limit it (nginx: 8 KiB per buffer). */
#define NS_HTTP_HEAD_MAX 8192

/* A view of bytes inside a parsed buffer (not NUL-terminated). */
typedef struct {
    const char *ptr;
    size_t len;
} NsHttpStr;

typedef enum {
    NS_HTTP_CONN_DEFAULT,    /* no Connection field: HTTP/1.1 keeps the connection */
    NS_HTTP_CONN_CLOSE,      /* "close" among its options */
    NS_HTTP_CONN_KEEP_ALIVE, /* "keep-alive" among its options (and no "close") */
} NsHttpConnection;

typedef struct {
    NsHttpStr method, target;
    uint8_t version_minor; /* HTTP/1.x */
    NsHttpStr host;        /* empty when absent */
    NsHttpConnection connection;
    bool has_content_length;
    uint64_t content_length;
    size_t head_len; /* bytes up to and including the empty line */
} NsHttpRequest;

typedef struct {
    uint8_t version_minor;
    uint16_t status;  /* 100..999 */
    NsHttpStr reason; /* may be empty */
    NsHttpConnection connection;
    bool has_content_length;
    uint64_t content_length;
    size_t head_len;
} NsHttpResponse;

/* Parse a request head at the start of buf. TRUNCATED while the empty line
 * that ends the head has not arrived (and nothing seen so far is wrong);
 * MALFORMED for a bad request line, a header line without a colon or with
 * blanks before it, a bad or repeated-and-different Content-Length, bare
 * CR, or a head over NS_HTTP_HEAD_MAX; UNSUPPORTED for an HTTP version
 * other than 1.0/1.1 or any Transfer-Encoding (netsim speaks
 * Content-Length only). Views in *out point into buf. */
NsWireResult ns_http_request_parse(const uint8_t *buf, size_t len, NsHttpRequest *out);

/* The same for a response head ("HTTP/1.1 200 OK\r\n..."). */
NsWireResult ns_http_response_parse(const uint8_t *buf, size_t len, NsHttpResponse *out);

/* Write "METHOD TARGET HTTP/1.x\r\nHost: ...\r\n[Connection: ...]\r\n
 * [Content-Length: N\r\n]" followed by `extra` (NULL or raw "Name:
 * value\r\n" lines) and the empty line. Returns the length, or 0 if buf is
 * too small or method/target are empty or hold blanks or control bytes. */
size_t ns_http_request_emit(const NsHttpRequest *req, const char *extra, uint8_t *buf,
                            size_t len);

/* Write "HTTP/1.x STATUS REASON\r\n" + Content-Length (when set) +
 * Connection (unless DEFAULT) + extra + empty line. Returns the length, or
 * 0 when buf is too small or the status is outside 100..999. */
size_t ns_http_response_emit(const NsHttpResponse *resp, const char *extra, uint8_t *buf,
                             size_t len);

/* The standard reason phrase of a status ("OK", "Not Found"), or "". */
const char *ns_http_reason(uint16_t status);

/* Incremental response reader: feed it bytes as they arrive; it keeps the
 * head (at most NS_HTTP_HEAD_MAX bytes) in storage of the head's own size,
 * then counts the body by Content-Length (or to the end of the stream when
 * there is none). A head that arrives whole is parsed where it lies and
 * copied once; one that arrives in pieces is gathered in storage that
 * doubles from 256 bytes. ns_http_reader_clear frees that storage. */
typedef enum {
    NS_HTTP_READ_MORE,  /* needs more bytes */
    NS_HTTP_READ_DONE,  /* one whole response has been read */
    NS_HTTP_READ_ERROR, /* the head does not parse: see `error` */
} NsHttpReadStatus;

typedef struct {
    uint8_t *head;        /* NULL until the first byte; head_cap bytes */
    size_t head_cap;
    size_t head_fill;
    bool in_body;
    NsHttpResponse resp;  /* valid once in_body; its views point into head */
    uint64_t body_read;   /* body bytes seen so far */
    NsWireResult error;
} NsHttpReader;

/* Start a reader (r may hold anything). */
void ns_http_reader_init(NsHttpReader *r);
/* Free the head's storage and start again for the next response (r must
 * have been started by ns_http_reader_init). */
void ns_http_reader_clear(NsHttpReader *r);
/* Consume up to len bytes; *used says how many (a body's end or an error
 * may leave some for the next response). */
NsHttpReadStatus ns_http_reader_feed(NsHttpReader *r, const uint8_t *data, size_t len,
                                     size_t *used);
/* Body bytes the reader would take next without looking at them: what is
 * left of a Content-Length body, UINT64_MAX for a body that runs to the
 * end of the stream, 0 while the head is being read, after an error and
 * for a response without a body. */
uint64_t ns_http_reader_body_left(const NsHttpReader *r);
/* Count n body bytes that were read and not kept (n <= body_left): as
 * ns_http_reader_feed of those bytes, without them. */
NsHttpReadStatus ns_http_reader_skip(NsHttpReader *r, uint64_t n);
/* The stream ended: DONE when the response was being read to the end of
 * the stream (no Content-Length), ERROR with TRUNCATED otherwise. */
NsHttpReadStatus ns_http_reader_eof(NsHttpReader *r);

/* One-line summary for traces: "HTTP GET /index.html", "HTTP 200 OK
 * (1200B)" (the Content-Length), "HTTP 404 Not Found (153B)". Only the
 * start line must be complete; the size is shown when the head holds a
 * Content-Length. Returns false (out[0] = 0) when buf does not start with
 * an HTTP request or status line. */
bool ns_http_summary(const uint8_t *buf, size_t len, char *out, size_t outlen);

/* True when buf starts like an HTTP/1.x message ("GET ", "HTTP/1.1 ", ...):
 * the cheap test a payload decoder makes on any port. */
bool ns_http_looks_like(const uint8_t *buf, size_t len);
