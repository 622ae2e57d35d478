/* TCP header and options: RFC 9293 section 3.1 (header, MSS, NOP, EOL),
 * RFC 7323 section 2.2 and 3.2 (window scale, timestamps), RFC 2018
 * section 2 and 3 (SACK-permitted, SACK blocks).
 *
 * The repr records the option kinds in wire order so traces can list them as
 * tcpdump and Wireshark do, and so emit can reproduce a given stack's layout
 * (ns_tcp_opts_layout()) byte for byte. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/result.h"

#define NS_TCP_HLEN 20     /* header without options */
#define NS_TCP_MAX_HLEN 60 /* data offset is 4 bits of 32-bit words */
#define NS_TCP_MAX_OPT_LEN (NS_TCP_MAX_HLEN - NS_TCP_HLEN)

/* Flag bits of header byte 13 (RFC 9293 section 3.1, RFC 3168 for ECE/CWR). */
#define NS_TCP_FIN 0x01
#define NS_TCP_SYN 0x02
#define NS_TCP_RST 0x04
#define NS_TCP_PSH 0x08
#define NS_TCP_ACK 0x10
#define NS_TCP_URG 0x20
#define NS_TCP_ECE 0x40
#define NS_TCP_CWR 0x80

/* Option kinds (IANA "TCP Option Kind Numbers"). */
typedef enum {
    NS_TCP_OPT_EOL = 0,
    NS_TCP_OPT_NOP = 1,
    NS_TCP_OPT_MSS = 2,
    NS_TCP_OPT_WSCALE = 3,
    NS_TCP_OPT_SACK_PERM = 4,
    NS_TCP_OPT_SACK = 5,
    NS_TCP_OPT_TS = 8,
} NsTcpOptKind;

/* Four blocks fill 34 of the 40 option bytes; with timestamps only three
 * fit (RFC 2018 section 3). */
#define NS_TCP_MAX_SACK 4
/* Every option takes at least one byte, so 40 entries cover any header. */
#define NS_TCP_MAX_OPTS NS_TCP_MAX_OPT_LEN

/* Text lengths, NUL included, of ns_tcp_flags_format() ("FSRP.UEW") and
 * ns_tcp_flags_format_long() ("[FIN,SYN,RST,PSH,ACK,URG,ECE,CWR]"). */
#define NS_TCP_FLAGS_STRLEN 16
#define NS_TCP_FLAGS_LONG_STRLEN 40

typedef struct {
    uint32_t left, right; /* first sequence number in the block, first after it */
} NsTcpSackBlock;

typedef struct {
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint8_t flags;   /* NS_TCP_FIN | ...; the AE/NS bit is not kept */
    uint16_t window; /* raw field, before window scaling */
    uint16_t urgent;
    uint8_t header_len; /* bytes, 20..60; set by parse, ignored by emit */

    bool has_mss;
    uint16_t mss;
    bool has_wscale;
    uint8_t wscale; /* shift as sent; RFC 7323 2.3 clamping to 14 is TCP's job */
    bool sack_permitted;
    bool has_ts;
    uint32_t ts_val, ts_ecr;
    uint8_t n_sack;
    NsTcpSackBlock sack[NS_TCP_MAX_SACK];

    /* Option kinds in wire order, NOP and EOL included (an NsTcpOptKind, or
     * any other kind parse skipped over). Parse fills it; emit follows it
     * when n_opts > 0. */
    uint8_t n_opts;
    uint8_t opt_order[NS_TCP_MAX_OPTS];
} NsTcpRepr;

/* Option layouts for ns_tcp_opts_layout(). */
typedef enum {
    /* As Linux's tcp_options_write(): MSS; SACK_PERM+TS together, or
     * NOP,NOP,TS, or NOP,NOP,SACK_PERM; NOP,WS; NOP,NOP,SACK. A Linux SYN is
     * 02 04 05 b4 04 02 08 0a <tsval> <tsecr> 01 03 03 0a. */
    NS_TCP_OPTS_LINUX,
    /* A minimal stack: MSS on SYN segments only. The other options are
     * cleared from the repr so it describes exactly what is sent. */
    NS_TCP_OPTS_MINIMAL,
} NsTcpOptLayout;

/* Parse the TCP segment buf[0..len) (the whole IP payload, which the
 * checksum covers) sent from `src` to `dst` (host order) into `out`; the
 * payload is buf[header_len..len). TRUNCATED when len < 20 or below the data
 * offset; MALFORMED for a data offset < 5 or a bad option (length byte
 * missing, below 2, past the header, or wrong for its kind, e.g. MSS not 4,
 * SACK not 2 + 8n); BAD_CHECKSUM. Unknown option kinds with a sane length
 * are skipped and listed in opt_order; option bytes after EOL are ignored. */
NsWireResult ns_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                          NsTcpRepr *out);

/* As ns_tcp_parse(), for a segment whose checksum the receiving interface
 * already verified (receive checksum offload): everything but the checksum
 * is checked. */
NsWireResult ns_tcp_parse_verified(const uint8_t *buf, size_t len, NsTcpRepr *out);

/* Header length in bytes (20 + options padded to 4) that ns_tcp_emit() will
 * write for `repr`, or 0 if its options cannot be emitted (see there). */
size_t ns_tcp_header_len(const NsTcpRepr *repr);

/* Write the header of `repr` with its options at buf[0..hlen), hlen being
 * ns_tcp_header_len(repr), and the checksum over the pseudo header and the
 * whole segment buf[0..seg_len), whose payload must already be in place at
 * buf[hlen..seg_len). Options follow repr->opt_order when n_opts > 0, else
 * the NS_TCP_OPTS_LINUX layout; padding to 4 bytes is zeros (EOL). Returns
 * hlen, or 0 (nothing written) if seg_len < hlen, seg_len > 65535, or the
 * options are inconsistent: opt_order names an option the repr does not
 * have, or an unknown kind, or EOL before the end; a present option is
 * missing from it; n_sack > 4; or they exceed 40 bytes. */
size_t ns_tcp_emit(const NsTcpRepr *repr, uint32_t src, uint32_t dst, uint8_t *buf, size_t seg_len);

/* As ns_tcp_emit(), when the payload's ns_csum_partial() is already known
 * (summed while it was copied in, see ns_csum_copy()): only the header is
 * read again. */
size_t ns_tcp_emit_summed(const NsTcpRepr *repr, uint32_t src, uint32_t dst, uint8_t *buf,
                          size_t seg_len, uint32_t payload_sum);

/* As ns_tcp_emit() and ns_tcp_emit_summed(), given the pseudo header's
 * sum for seg_len bytes: IPv4's ns_csum_pseudo() or IPv6's
 * ns_csum_pseudo6() (RFC 8200 section 8.1). */
size_t ns_tcp_emit_pseudo(const NsTcpRepr *repr, uint32_t pseudo, uint8_t *buf, size_t seg_len);
size_t ns_tcp_emit_pseudo_summed(const NsTcpRepr *repr, uint32_t pseudo, uint8_t *buf,
                                 size_t seg_len, uint32_t payload_sum);

/* Fill repr->opt_order from the options present in `repr` (has_mss, ...)
 * and its flags, in `layout`'s order. */
void ns_tcp_opts_layout(NsTcpRepr *repr, NsTcpOptLayout layout);

/* Write `flags` as tcpdump letters into out[0..16): F S R P . U E W in that
 * order ("S", "S.", "P.", "FP.", "R.", "."), or "none" when no flag is set. */
void ns_tcp_flags_format(uint8_t flags, char out[NS_TCP_FLAGS_STRLEN]);

/* Write `flags` as bracketed names in bit order into out[0..40):
 * "[SYN,ACK]", "[FIN,PSH,ACK]", or "[none]" when no flag is set. */
void ns_tcp_flags_format_long(uint8_t flags, char out[NS_TCP_FLAGS_LONG_STRLEN]);

/* Write the options of `repr` in opt_order, as tcpdump prints them, into
 * out[0..size) (snprintf rules: always NUL-terminated when size > 0):
 * "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 10", "nop,nop,sack 1 {l:r}",
 * "eol", "opt-30" for kinds netsim does not model. Returns the length the
 * full text needs, without the NUL. */
size_t ns_tcp_opts_format(const NsTcpRepr *repr, char *out, size_t size);
