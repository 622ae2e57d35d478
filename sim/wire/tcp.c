/* TCP header and options: RFC 9293 section 3.1 and 3.2 (header, EOL, NOP,
 * MSS), RFC 7323 section 2.2 and 3.2 (window scale, timestamps), RFC 2018
 * section 2 and 3 (SACK-permitted, SACK), checksum per RFC 9293 3.1. */
#include "netsim/wire/tcp.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/checksum.h"
#include "netsim/wire/decimal.h"
#include "netsim/wire/ipv4.h"

/* Option lengths, kind and length bytes included. */
#define OPTLEN_MSS 4
#define OPTLEN_WSCALE 3
#define OPTLEN_SACK_PERM 2
#define OPTLEN_TS 10
#define OPTLEN_SACK_BASE 2
#define OPTLEN_SACK_BLOCK 8

/* NOP, NOP, kind 8, length 10: timestamps aligned on a 32-bit word. */
#define TS_ALIGNED 0x0101080au

/* Parse the options area p[0..n) into `out`: RFC 9293 3.2 says every kind
 * other than EOL and NOP has a length byte covering kind and length, which
 * is what lets a receiver skip kinds it does not know. */
static NsWireResult parse_options(const uint8_t *p, size_t n, NsTcpRepr *out)
{
    size_t i = 0;
    while (i < n) {
        uint8_t kind = p[i];
        /* Each option takes at least one byte, so this never overflows. */
        out->opt_order[out->n_opts++] = kind;
        if (kind == NS_TCP_OPT_EOL)
            break;
        if (kind == NS_TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (n - i < 2)
            return NS_WIRE_MALFORMED;
        size_t olen = p[i + 1];
        /* A length below 2 would never advance: the classic option-loop hang. */
        if (olen < 2 || olen > n - i)
            return NS_WIRE_MALFORMED;
        const uint8_t *v = p + i + 2;
        switch (kind) {
        case NS_TCP_OPT_MSS:
            if (olen != OPTLEN_MSS)
                return NS_WIRE_MALFORMED;
            out->has_mss = true;
            out->mss = ns_read_be16(v);
            break;
        case NS_TCP_OPT_WSCALE:
            if (olen != OPTLEN_WSCALE)
                return NS_WIRE_MALFORMED;
            out->has_wscale = true;
            out->wscale = v[0];
            break;
        case NS_TCP_OPT_SACK_PERM:
            if (olen != OPTLEN_SACK_PERM)
                return NS_WIRE_MALFORMED;
            out->sack_permitted = true;
            break;
        case NS_TCP_OPT_SACK: {
            size_t body = olen - OPTLEN_SACK_BASE;
            /* olen <= 40 bounds the count at 4 (RFC 2018 section 3). */
            if (body == 0 || body % OPTLEN_SACK_BLOCK != 0)
                return NS_WIRE_MALFORMED;
            out->n_sack = (uint8_t)(body / OPTLEN_SACK_BLOCK);
            for (size_t b = 0; b < out->n_sack; b++) {
                out->sack[b].left = ns_read_be32(v + b * OPTLEN_SACK_BLOCK);
                out->sack[b].right = ns_read_be32(v + b * OPTLEN_SACK_BLOCK + 4);
            }
            break;
        }
        case NS_TCP_OPT_TS:
            if (olen != OPTLEN_TS)
                return NS_WIRE_MALFORMED;
            out->has_ts = true;
            out->ts_val = ns_read_be32(v);
            out->ts_ecr = ns_read_be32(v + 4);
            break;
        default:
            /* Unknown kind (MPTCP, TFO, MD5, ...): skipped, listed. */
            break;
        }
        i += olen;
    }
    return NS_WIRE_OK;
}

static NsWireResult parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                          bool verify, NsTcpRepr *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    if (buf == NULL || len < NS_TCP_HLEN)
        return NS_WIRE_TRUNCATED;
    size_t hlen = (size_t)(buf[12] >> 4) * 4;
    if (hlen < NS_TCP_HLEN)
        return NS_WIRE_MALFORMED;
    if (len < hlen)
        return NS_WIRE_TRUNCATED;
    /* The pseudo header carries the length in 16 bits. */
    if (len > UINT16_MAX)
        return NS_WIRE_MALFORMED;
    if (verify) {
        uint32_t sum = ns_csum_pseudo(src, dst, NS_IPPROTO_TCP, (uint16_t)len);
        if (ns_csum_fold(ns_csum_partial(sum, buf, len)) != 0)
            return NS_WIRE_BAD_CHECKSUM;
    }

    memset(out, 0, sizeof(*out));
    out->src_port = ns_read_be16(buf);
    out->dst_port = ns_read_be16(buf + 2);
    out->seq = ns_read_be32(buf + 4);
    out->ack = ns_read_be32(buf + 8);
    out->flags = buf[13];
    out->window = ns_read_be16(buf + 14);
    out->urgent = ns_read_be16(buf + 18);
    out->header_len = (uint8_t)hlen;
    /* Linux's tcp_parse_aligned_timestamp() shortcut: after the handshake
     * most segments carry NOP, NOP, TS and nothing else. The result is what
     * parse_options() gives for those 12 bytes. */
    if (hlen == NS_TCP_HLEN + 12 && ns_read_be32(buf + NS_TCP_HLEN) == TS_ALIGNED) {
        out->has_ts = true;
        out->ts_val = ns_read_be32(buf + NS_TCP_HLEN + 4);
        out->ts_ecr = ns_read_be32(buf + NS_TCP_HLEN + 8);
        out->n_opts = 3;
        out->opt_order[0] = out->opt_order[1] = NS_TCP_OPT_NOP;
        out->opt_order[2] = NS_TCP_OPT_TS;
        return NS_WIRE_OK;
    }
    return parse_options(buf + NS_TCP_HLEN, hlen - NS_TCP_HLEN, out);
}

NsWireResult ns_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                          NsTcpRepr *out)
{
    return parse(buf, len, src, dst, true, out);
}

NsWireResult ns_tcp_parse_verified(const uint8_t *buf, size_t len, NsTcpRepr *out)
{
    return parse(buf, len, 0, 0, false, out);
}

/* The order NS_TCP_OPTS_LINUX gives the options present in `r`. */
static uint8_t linux_order(const NsTcpRepr *r, uint8_t order[NS_TCP_MAX_OPTS])
{
    uint8_t n = 0;
    if (r->has_mss)
        order[n++] = NS_TCP_OPT_MSS;
    if (r->has_ts) {
        /* SACK_PERM (2 bytes) stands in for the two NOPs that align TS. */
        if (r->sack_permitted) {
            order[n++] = NS_TCP_OPT_SACK_PERM;
        } else {
            order[n++] = NS_TCP_OPT_NOP;
            order[n++] = NS_TCP_OPT_NOP;
        }
        order[n++] = NS_TCP_OPT_TS;
    } else if (r->sack_permitted) {
        order[n++] = NS_TCP_OPT_NOP;
        order[n++] = NS_TCP_OPT_NOP;
        order[n++] = NS_TCP_OPT_SACK_PERM;
    }
    if (r->has_wscale) {
        order[n++] = NS_TCP_OPT_NOP;
        order[n++] = NS_TCP_OPT_WSCALE;
    }
    if (r->n_sack > 0) {
        order[n++] = NS_TCP_OPT_NOP;
        order[n++] = NS_TCP_OPT_NOP;
        order[n++] = NS_TCP_OPT_SACK;
    }
    return n;
}

/* The option order emit uses: the repr's own (not copied), else Linux's,
 * written to `buf`. Sets *n to its length. */
static const uint8_t *effective_order(const NsTcpRepr *r, uint8_t buf[NS_TCP_MAX_OPTS],
                                      uint8_t *n)
{
    if (r->n_opts == 0) {
        *n = linux_order(r, buf);
        return buf;
    }
    *n = r->n_opts <= NS_TCP_MAX_OPTS ? r->n_opts : NS_TCP_MAX_OPTS;
    return r->opt_order;
}

/* Bytes each kind emit can write takes (kind and length bytes included),
 * 0 for a kind it cannot (no value to write for a kind netsim does not
 * model); SACK's blocks come on top. */
static const uint8_t opt_wire_len[NS_TCP_OPT_TS + 1] = {
    [NS_TCP_OPT_EOL] = 1,
    [NS_TCP_OPT_NOP] = 1,
    [NS_TCP_OPT_MSS] = OPTLEN_MSS,
    [NS_TCP_OPT_WSCALE] = OPTLEN_WSCALE,
    [NS_TCP_OPT_SACK_PERM] = OPTLEN_SACK_PERM,
    [NS_TCP_OPT_SACK] = OPTLEN_SACK_BASE,
    [NS_TCP_OPT_TS] = OPTLEN_TS,
};

#define KIND_BIT(k) (1u << (k))

/* The kinds the repr has a value for, one bit each (EOL and NOP have none). */
static uint32_t present_kinds(const NsTcpRepr *r)
{
    return (uint32_t)r->has_mss << NS_TCP_OPT_MSS | (uint32_t)r->has_wscale << NS_TCP_OPT_WSCALE |
           (uint32_t)r->sack_permitted << NS_TCP_OPT_SACK_PERM |
           (uint32_t)(r->n_sack > 0) << NS_TCP_OPT_SACK | (uint32_t)r->has_ts << NS_TCP_OPT_TS;
}

/* Whether order[0..n) is NOP, NOP, TS and the repr has timestamps and no
 * other option: the layout of nearly every segment after a handshake that
 * agreed on timestamps, which emit writes as three words (the first is
 * TS_ALIGNED, as Linux's tcp_options_write() writes it) without the
 * general check. */
static bool aligned_ts_only(const NsTcpRepr *r, const uint8_t *order, uint8_t n)
{
    return n == 3 && order[0] == NS_TCP_OPT_NOP && order[1] == NS_TCP_OPT_NOP &&
           order[2] == NS_TCP_OPT_TS && present_kinds(r) == KIND_BIT(NS_TCP_OPT_TS);
}

/* Bytes the options in order[0..n) take, padded to a multiple of 4, or -1
 * when emit must refuse them (see ns_tcp_emit() in tcp.h). */
static int options_len(const NsTcpRepr *r, const uint8_t *order, uint8_t n)
{
    if (r->n_sack > NS_TCP_MAX_SACK)
        return -1;
    uint32_t seen = 0;
    size_t total = 0;
    for (uint8_t i = 0; i < n; i++) {
        uint8_t kind = order[i];
        if (kind >= sizeof opt_wire_len || opt_wire_len[kind] == 0)
            return -1;
        seen |= KIND_BIT(kind);
        total += opt_wire_len[kind];
        if (kind == NS_TCP_OPT_SACK)
            total += (size_t)r->n_sack * OPTLEN_SACK_BLOCK;
    }
    /* EOL ends the list: only the last entry may be one. */
    if ((seen & KIND_BIT(NS_TCP_OPT_EOL)) && memchr(order, NS_TCP_OPT_EOL, n - 1u))
        return -1;
    /* Every kind named has a value, and every value is named: a present
     * option missing from the order is a stale layout. */
    if ((seen & ~(KIND_BIT(NS_TCP_OPT_EOL) | KIND_BIT(NS_TCP_OPT_NOP))) != present_kinds(r))
        return -1;
    if (total > NS_TCP_MAX_OPT_LEN)
        return -1;
    /* Padding to 4 cannot pass 40: 40 is itself a multiple of 4. */
    return (int)((total + 3) & ~(size_t)3);
}

size_t ns_tcp_header_len(const NsTcpRepr *repr)
{
    g_return_val_if_fail(repr != NULL, 0);
    uint8_t obuf[NS_TCP_MAX_OPTS], n;
    const uint8_t *order = effective_order(repr, obuf, &n);
    if (aligned_ts_only(repr, order, n))
        return NS_TCP_HLEN + 12;
    int olen = options_len(repr, order, n);
    return olen < 0 ? 0 : NS_TCP_HLEN + (size_t)olen;
}

/* Write the options in order[0..n), which options_len() accepted, at p,
 * then the zeros that pad them to hlen (RFC 9293 3.1). */
static void write_options(const NsTcpRepr *r, const uint8_t *order, uint8_t n, uint8_t *p,
                          size_t olen)
{
    size_t o = 0;
    for (uint8_t i = 0; i < n; i++) {
        uint8_t kind = order[i];
        switch (kind) {
        case NS_TCP_OPT_EOL:
        case NS_TCP_OPT_NOP:
            p[o++] = kind;
            break;
        case NS_TCP_OPT_MSS:
            p[o] = kind;
            p[o + 1] = OPTLEN_MSS;
            ns_write_be16(p + o + 2, r->mss);
            o += OPTLEN_MSS;
            break;
        case NS_TCP_OPT_WSCALE:
            p[o] = kind;
            p[o + 1] = OPTLEN_WSCALE;
            p[o + 2] = r->wscale;
            o += OPTLEN_WSCALE;
            break;
        case NS_TCP_OPT_SACK_PERM:
            p[o] = kind;
            p[o + 1] = OPTLEN_SACK_PERM;
            o += OPTLEN_SACK_PERM;
            break;
        case NS_TCP_OPT_SACK:
            p[o] = kind;
            p[o + 1] = (uint8_t)(OPTLEN_SACK_BASE + r->n_sack * OPTLEN_SACK_BLOCK);
            o += OPTLEN_SACK_BASE;
            for (uint8_t b = 0; b < r->n_sack; b++) {
                ns_write_be32(p + o, r->sack[b].left);
                ns_write_be32(p + o + 4, r->sack[b].right);
                o += OPTLEN_SACK_BLOCK;
            }
            break;
        case NS_TCP_OPT_TS:
            p[o] = kind;
            p[o + 1] = OPTLEN_TS;
            ns_write_be32(p + o + 2, r->ts_val);
            ns_write_be32(p + o + 6, r->ts_ecr);
            o += OPTLEN_TS;
            break;
        default:
            g_assert_not_reached(); /* options_len() refused it */
        }
    }
    /* At most 3 bytes: a loop, not a call to memset. */
    while (o < olen)
        p[o++] = 0;
}

/* Write the header of `repr` at buf with a zero checksum field; returns
 * its length, or 0 (nothing written). */
static size_t emit_header(const NsTcpRepr *repr, uint8_t *buf, size_t seg_len)
{
    g_return_val_if_fail(repr != NULL, 0);
    uint8_t obuf[NS_TCP_MAX_OPTS], n;
    const uint8_t *order = effective_order(repr, obuf, &n);
    bool ts_only = aligned_ts_only(repr, order, n);
    int olen = ts_only ? 12 : options_len(repr, order, n);
    if (olen < 0)
        return 0;
    size_t hlen = NS_TCP_HLEN + (size_t)olen;
    if (buf == NULL || seg_len < hlen || seg_len > UINT16_MAX)
        return 0;

    ns_write_be16(buf, repr->src_port);
    ns_write_be16(buf + 2, repr->dst_port);
    ns_write_be32(buf + 4, repr->seq);
    ns_write_be32(buf + 8, repr->ack);
    buf[12] = (uint8_t)(hlen / 4) << 4;
    buf[13] = repr->flags;
    ns_write_be16(buf + 14, repr->window);
    ns_write_be16(buf + 16, 0);
    ns_write_be16(buf + 18, repr->urgent);
    if (ts_only) {
        ns_write_be32(buf + NS_TCP_HLEN, TS_ALIGNED);
        ns_write_be32(buf + NS_TCP_HLEN + 4, repr->ts_val);
        ns_write_be32(buf + NS_TCP_HLEN + 8, repr->ts_ecr);
    } else {
        write_options(repr, order, n, buf + NS_TCP_HLEN, (size_t)olen);
    }
    return hlen;
}

size_t ns_tcp_emit_pseudo(const NsTcpRepr *repr, uint32_t pseudo, uint8_t *buf, size_t seg_len)
{
    size_t hlen = emit_header(repr, buf, seg_len);
    if (hlen == 0)
        return 0;
    ns_write_be16(buf + 16, ns_csum_fold(ns_csum_partial(pseudo, buf, seg_len)));
    return hlen;
}

size_t ns_tcp_emit_pseudo_summed(const NsTcpRepr *repr, uint32_t pseudo, uint8_t *buf,
                                 size_t seg_len, uint32_t payload_sum)
{
    size_t hlen = emit_header(repr, buf, seg_len);
    if (hlen == 0)
        return 0;
    /* The header's length is a multiple of 4, so the payload starts on a
     * word: its sum adds as it is (ns_csum_add_at() at an even offset),
     * here with the pseudo header's, both below 65536. */
    uint32_t sum = ns_csum_partial(pseudo + payload_sum, buf, hlen);
    ns_write_be16(buf + 16, ns_csum_fold(sum));
    return hlen;
}

size_t ns_tcp_emit(const NsTcpRepr *repr, uint32_t src, uint32_t dst, uint8_t *buf, size_t seg_len)
{
    return ns_tcp_emit_pseudo(repr, ns_csum_pseudo(src, dst, NS_IPPROTO_TCP, (uint16_t)seg_len),
                              buf, seg_len);
}

size_t ns_tcp_emit_summed(const NsTcpRepr *repr, uint32_t src, uint32_t dst, uint8_t *buf,
                          size_t seg_len, uint32_t payload_sum)
{
    return ns_tcp_emit_pseudo_summed(
        repr, ns_csum_pseudo(src, dst, NS_IPPROTO_TCP, (uint16_t)seg_len), buf, seg_len,
        payload_sum);
}

void ns_tcp_opts_layout(NsTcpRepr *repr, NsTcpOptLayout layout)
{
    g_return_if_fail(repr != NULL);
    switch (layout) {
    case NS_TCP_OPTS_LINUX:
        repr->n_opts = linux_order(repr, repr->opt_order);
        return;
    case NS_TCP_OPTS_MINIMAL:
        repr->has_mss = repr->has_mss && (repr->flags & NS_TCP_SYN);
        repr->has_wscale = false;
        repr->sack_permitted = false;
        repr->has_ts = false;
        repr->n_sack = 0;
        repr->n_opts = 0;
        if (repr->has_mss)
            repr->opt_order[repr->n_opts++] = NS_TCP_OPT_MSS;
        return;
    }
    g_return_if_reached();
}

/* tcpdump's letters and Wireshark's names, indexed by flag bit. */
static const char flag_letters[8] = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W'};
static const char *const flag_names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

void ns_tcp_flags_format(uint8_t flags, char out[NS_TCP_FLAGS_STRLEN])
{
    if (flags == 0) {
        strcpy(out, "none");
        return;
    }
    char *o = out;
    for (int bit = 0; bit < 8; bit++)
        if (flags & (1u << bit))
            *o++ = flag_letters[bit];
    *o = '\0';
}

void ns_tcp_flags_format_long(uint8_t flags, char out[NS_TCP_FLAGS_LONG_STRLEN])
{
    if (flags == 0) {
        strcpy(out, "[none]");
        return;
    }
    char *o = out;
    *o++ = '[';
    for (int bit = 0; bit < 8; bit++) {
        if (!(flags & (1u << bit)))
            continue;
        if (o > out + 1)
            *o++ = ',';
        memcpy(o, flag_names[bit], 3);
        o += 3;
    }
    *o++ = ']';
    *o = '\0';
}

/* Append n bytes at out[*pos] as snprintf would (cut so that the text
 * stays NUL-terminated inside `size`) and keep counting past `size`, so
 * the caller learns the length the whole text needs. Without printf: a
 * trace formats the options of every segment. */
static void put(char *out, size_t size, size_t *pos, const char *p, size_t n)
{
    if (*pos < size) {
        size_t room = size - *pos - 1;
        size_t k = n < room ? n : room;
        memcpy(out + *pos, p, k);
        out[*pos + k] = '\0';
    }
    *pos += n;
}

#define put_lit(out, size, pos, lit) put((out), (size), (pos), "" lit, sizeof(lit) - 1)

static void put_u32(char *out, size_t size, size_t *pos, uint32_t v)
{
    char d[NS_DECIMAL_U64_LEN];
    put(out, size, pos, d, ns_decimal_u64(d, v));
}

size_t ns_tcp_opts_format(const NsTcpRepr *repr, char *out, size_t size)
{
    g_return_val_if_fail(repr != NULL && (out != NULL || size == 0), 0);
    uint8_t obuf[NS_TCP_MAX_OPTS], n;
    const uint8_t *order = effective_order(repr, obuf, &n);
    size_t pos = 0;
    if (size > 0)
        out[0] = '\0';
    for (uint8_t i = 0; i < n; i++) {
        if (i > 0)
            put_lit(out, size, &pos, ",");
        switch (order[i]) {
        case NS_TCP_OPT_EOL:
            put_lit(out, size, &pos, "eol");
            break;
        case NS_TCP_OPT_NOP:
            put_lit(out, size, &pos, "nop");
            break;
        case NS_TCP_OPT_MSS:
            put_lit(out, size, &pos, "mss ");
            put_u32(out, size, &pos, repr->mss);
            break;
        case NS_TCP_OPT_WSCALE:
            put_lit(out, size, &pos, "wscale ");
            put_u32(out, size, &pos, repr->wscale);
            break;
        case NS_TCP_OPT_SACK_PERM:
            put_lit(out, size, &pos, "sackOK");
            break;
        case NS_TCP_OPT_SACK:
            put_lit(out, size, &pos, "sack ");
            put_u32(out, size, &pos, repr->n_sack);
            put_lit(out, size, &pos, " ");
            for (uint8_t b = 0; b < repr->n_sack && b < NS_TCP_MAX_SACK; b++) {
                put_lit(out, size, &pos, "{");
                put_u32(out, size, &pos, repr->sack[b].left);
                put_lit(out, size, &pos, ":");
                put_u32(out, size, &pos, repr->sack[b].right);
                put_lit(out, size, &pos, "}");
            }
            break;
        case NS_TCP_OPT_TS:
            put_lit(out, size, &pos, "TS val ");
            put_u32(out, size, &pos, repr->ts_val);
            put_lit(out, size, &pos, " ecr ");
            put_u32(out, size, &pos, repr->ts_ecr);
            break;
        default:
            put_lit(out, size, &pos, "opt-");
            put_u32(out, size, &pos, order[i]);
            break;
        }
    }
    return pos;
}
