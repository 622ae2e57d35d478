/* SMTP lines (RFC 5321 subset): commands (4.1.1) and replies (4.2),
 * one CRLF-terminated line at a time, and the dot-stuffing of message
 * text (4.5.2). Parsers keep views into the caller's buffer and never
 * allocate. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/result.h"

#define NS_SMTP_PORT 25
/* RFC 5321 4.5.3.1.4/4.5.3.1.5: command and reply lines, CRLF included. */
#define NS_SMTP_LINE_MAX 512
/* RFC 5321 4.5.3.1.6: a line of message text, CRLF included. */
#define NS_SMTP_TEXT_LINE_MAX 1000

typedef enum {
    NS_SMTP_CMD_HELO,
    NS_SMTP_CMD_EHLO,
    NS_SMTP_CMD_MAIL, /* MAIL FROM:<path> */
    NS_SMTP_CMD_RCPT, /* RCPT TO:<path> */
    NS_SMTP_CMD_DATA,
    NS_SMTP_CMD_RSET,
    NS_SMTP_CMD_NOOP,
    NS_SMTP_CMD_QUIT,
    NS_SMTP_CMD_VRFY,
    NS_SMTP_CMD_UNKNOWN, /* a well-formed line with a verb netsim does not know */
} NsSmtpVerb;

typedef struct {
    NsSmtpVerb verb;
    const char *verb_text; /* view of the verb as sent */
    size_t verb_len;
    /* The argument after the verb and one blank; for MAIL and RCPT, the
     * path between < and > (may be empty: the null reverse-path "<>"). */
    const char *arg;
    size_t arg_len;
    size_t line_len; /* bytes consumed, CRLF included */
} NsSmtpCommand;

typedef struct {
    uint16_t code;  /* 200..599 */
    bool more;      /* "250-": another line of the same reply follows */
    const char *text;
    size_t text_len;
    size_t line_len;
} NsSmtpReply;

/* Parse the command line at the start of buf. TRUNCATED until CRLF (or
 * MALFORMED once NS_SMTP_LINE_MAX bytes hold none); MALFORMED for a bare
 * CR or LF, control bytes, a verb that is not 4 letters followed by a
 * blank or the line end, or MAIL/RCPT without "FROM:<...>"/"TO:<...>".
 * Verbs are case-insensitive (RFC 5321 2.4). */
NsWireResult ns_smtp_command_parse(const uint8_t *buf, size_t len, NsSmtpCommand *out);

/* Parse one reply line: three digits (2-5 first), then ' ', '-' or the
 * line end, then text. Same TRUNCATED/MALFORMED rules as commands. */
NsWireResult ns_smtp_reply_parse(const uint8_t *buf, size_t len, NsSmtpReply *out);

/* "VERB[ ARG]\r\n"; MAIL and RCPT write "MAIL FROM:<ARG>" and "RCPT
 * TO:<ARG>". Returns the length, or 0 if it does not fit, the line would
 * exceed NS_SMTP_LINE_MAX, the verb is UNKNOWN, or arg holds CR/LF. */
size_t ns_smtp_command_emit(NsSmtpVerb verb, const char *arg, uint8_t *buf, size_t len);

/* "CODE TEXT\r\n", or "CODE-TEXT\r\n" when more. Returns the length, or 0
 * (does not fit, code outside 200..599, text holds CR/LF). */
size_t ns_smtp_reply_emit(uint16_t code, bool more, const char *text, uint8_t *buf, size_t len);

/* The verb's spelling ("EHLO"), "?" for UNKNOWN. */
const char *ns_smtp_verb_name(NsSmtpVerb verb);

/* Copy message text for DATA with RFC 5321 4.5.2 transparency: a line
 * starting with '.' gets another '.', bare LF becomes CRLF, and the text
 * is ended by "\r\n.\r\n" (after adding a CRLF if it lacks one). Returns
 * the bytes written, or the bytes needed when buf is NULL. */
size_t ns_smtp_data_encode(const uint8_t *text, size_t len, uint8_t *buf);

/* The same in pieces, for a message too large to hold: feeding the text
 * through ns_smtp_data_encode_part() in any cut and then calling
 * ns_smtp_data_encode_end() writes exactly what ns_smtp_data_encode()
 * writes. A piece of len bytes needs at most 2 * len bytes of buf (NULL:
 * count only); the end at most 5. Start from NS_SMTP_DATA_ENC_INIT. */
typedef struct {
    bool bol;     /* at the beginning of a line */
    bool prev_cr; /* the last byte was '\r' */
} NsSmtpDataEnc;
#define NS_SMTP_DATA_ENC_INIT ((NsSmtpDataEnc){.bol = true, .prev_cr = false})
size_t ns_smtp_data_encode_part(NsSmtpDataEnc *e, const uint8_t *text, size_t len, uint8_t *buf);
size_t ns_smtp_data_encode_end(const NsSmtpDataEnc *e, uint8_t *buf);

/* Summary for traces: "SMTP EHLO pc", "SMTP MAIL FROM:<a@b>", "SMTP 250
 * OK", "SMTP 354 Start mail input" (the first line of a reply). false
 * (out[0] = 0) when buf does not start with a whole command or reply
 * line. */
bool ns_smtp_summary(const uint8_t *buf, size_t len, char *out, size_t outlen);
