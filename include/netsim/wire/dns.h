/* DNS messages (RFC 1035 4.1): header, questions and resource records,
 * with name compression on emit (4.1.4) and pointer-loop-safe
 * decompression on parse. Names are dotted text in the repr structs; only
 * the first question and the first NS_DNS_MAX_RRS answers are kept. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/result.h"

#define NS_DNS_PORT 53
#define NS_DNS_HLEN 12
/* Longest name as text, without a trailing dot (RFC 1035 2.3.4: 255 bytes
 * on the wire). */
#define NS_DNS_NAME_MAX 253
#define NS_DNS_LABEL_MAX 63
/* Largest message over UDP without EDNS (RFC 1035 4.2.1). */
#define NS_DNS_UDP_MAX 512
/* Answers kept by the parser; more are counted, skipped and checked. */
#define NS_DNS_MAX_RRS 8

/* RFC 1035 3.2.2/3.2.4 and RFC 3596 (AAAA). */
enum { NS_DNS_TYPE_A = 1, NS_DNS_TYPE_NS = 2, NS_DNS_TYPE_CNAME = 5, NS_DNS_TYPE_SOA = 6,
       NS_DNS_TYPE_PTR = 12, NS_DNS_TYPE_MX = 15, NS_DNS_TYPE_TXT = 16,
       NS_DNS_TYPE_AAAA = 28, NS_DNS_TYPE_ANY = 255 };
enum { NS_DNS_CLASS_IN = 1 };
/* RFC 1035 4.1.1 RCODE. */
enum { NS_DNS_RCODE_NOERROR = 0, NS_DNS_RCODE_FORMERR = 1, NS_DNS_RCODE_SERVFAIL = 2,
       NS_DNS_RCODE_NXDOMAIN = 3, NS_DNS_RCODE_NOTIMP = 4, NS_DNS_RCODE_REFUSED = 5 };

typedef struct {
    uint16_t id;
    bool qr; /* response */
    uint8_t opcode; /* 0 = QUERY */
    bool aa, tc, rd, ra;
    uint8_t rcode;
    uint16_t qdcount, ancount, nscount, arcount;
} NsDnsHeader;

typedef struct {
    char name[NS_DNS_NAME_MAX + 1]; /* "www.example.com", "" for the root */
    uint16_t type, klass;
} NsDnsQuestion;

typedef struct {
    char name[NS_DNS_NAME_MAX + 1];
    uint16_t type, klass;
    uint32_t ttl;
    uint16_t rdlength;
    uint32_t addr; /* type A class IN: the address, host order; else 0 */
    uint8_t addr6[16]; /* type AAAA class IN (RFC 3596): the address; else zeros */
} NsDnsRr;

typedef struct {
    NsDnsHeader hdr;
    bool has_question; /* qdcount >= 1: `question` is the first one */
    NsDnsQuestion question;
    uint16_t n_answers; /* answers kept, <= NS_DNS_MAX_RRS (hdr.ancount may be more) */
    NsDnsRr answers[NS_DNS_MAX_RRS];
} NsDnsMessage;

/* Parse the 12-byte header only. TRUNCATED when len < 12. */
NsWireResult ns_dns_header_parse(const uint8_t *buf, size_t len, NsDnsHeader *out);

/* Parse a whole message: header, every question (the first kept), every
 * answer (the first NS_DNS_MAX_RRS kept), and the authority and additional
 * records (checked and skipped). TRUNCATED when a field runs past len;
 * MALFORMED for a compression pointer that does not point strictly
 * backwards (so loops are impossible), a name over 255 bytes, reserved
 * label types, or an A record whose RDLENGTH is not 4; UNSUPPORTED for a
 * label holding '.' or bytes outside printable ASCII (valid DNS, but not
 * representable as our dotted text). Bytes after the last record are
 * ignored. Never allocates. */
NsWireResult ns_dns_parse(const uint8_t *buf, size_t len, NsDnsMessage *out);

/* Write `msg` (header counts taken from has_question and n_answers; the
 * nscount/arcount of msg->hdr are written as 0) into buf, compressing
 * names against those already written. Returns the length, or 0 if buf
 * is too small or a name is invalid (empty label, label over 63 bytes,
 * name over NS_DNS_NAME_MAX). */
size_t ns_dns_emit(const NsDnsMessage *msg, uint8_t *buf, size_t len);

/* True when `name` is a valid dotted name to emit (a trailing dot is
 * allowed; "" and "." are the root). */
bool ns_dns_name_valid(const char *name);
/* Case-insensitive comparison of two dotted names, ignoring one trailing
 * dot on either (RFC 1035 2.3.3). */
bool ns_dns_name_equal(const char *a, const char *b);

/* "A", "AAAA", "MX", ... or NULL for a type without a name here. */
const char *ns_dns_type_name(uint16_t type);
/* "NOERROR", "NXDOMAIN", ... or NULL. */
const char *ns_dns_rcode_name(uint8_t rcode);

/* A one-line summary for traces, written into out (always NUL-terminated
 * when outlen > 0): "DNS A? www.example.com", "DNS www.example.com A
 * 10.0.0.80", "DNS www.example.com NXDOMAIN", "DNS (malformed)". Returns
 * false, writing "DNS (malformed)" or "DNS (truncated)", when buf does
 * not parse. */
bool ns_dns_summary(const uint8_t *buf, size_t len, char *out, size_t outlen);
