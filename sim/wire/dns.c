/* DNS message parse/emit (RFC 1035 4.1): header (4.1.1), questions
 * (4.1.2), resource records (4.1.3), name compression (4.1.4). Parsing
 * follows compression pointers only strictly backwards, which bounds every
 * name walk without a hop counter and makes pointer loops impossible. */
#include "netsim/wire/dns.h"

#include <glib.h>
#include <string.h>

#include "netsim/wire/bytes.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/ipv6.h"

/* ---- names ---- */

static bool label_byte_ok(uint8_t c)
{
    return c > 0x20 && c < 0x7f && c != '.';
}

/* Read the (possibly compressed) name at *pos into out (NS_DNS_NAME_MAX+1
 * bytes); *pos moves past the bytes the name occupies in place. */
static NsWireResult read_name(const uint8_t *buf, size_t len, size_t *pos, char *out)
{
    size_t p = *pos, end = 0, wire = 0, o = 0;
    size_t limit = *pos; /* a pointer must land before where this run began */
    bool jumped = false;
    for (;;) {
        if (p >= len)
            return NS_WIRE_TRUNCATED;
        uint8_t l = buf[p];
        if ((l & 0xc0) == 0xc0) {
            if (p + 1 >= len)
                return NS_WIRE_TRUNCATED;
            size_t target = (size_t)(l & 0x3f) << 8 | buf[p + 1];
            if (target >= limit)
                return NS_WIRE_MALFORMED;
            if (!jumped)
                end = p + 2;
            jumped = true;
            limit = target;
            p = target;
            continue;
        }
        if (l & 0xc0) /* 01 (RFC 6891 extended) and 10 are not label types we accept */
            return NS_WIRE_MALFORMED;
        if (l == 0) {
            if (!jumped)
                end = p + 1;
            break;
        }
        if (p + 1 + l > len)
            return NS_WIRE_TRUNCATED;
        wire += 1u + l;
        if (wire + 1 > 255)
            return NS_WIRE_MALFORMED;
        if (o)
            out[o++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t c = buf[p + 1 + i];
            if (!label_byte_ok(c))
                return NS_WIRE_UNSUPPORTED;
            out[o++] = (char)c;
        }
        p += 1u + l;
    }
    out[o] = 0;
    *pos = end;
    return NS_WIRE_OK;
}

/* Length of the name text without one trailing dot. */
static size_t name_len(const char *n)
{
    size_t l = strlen(n);
    return l && n[l - 1] == '.' ? l - 1 : l;
}

bool ns_dns_name_valid(const char *name)
{
    if (!name)
        return false;
    size_t n = name_len(name);
    if (n > NS_DNS_NAME_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (!label_byte_ok((uint8_t)name[i]) || ++label > NS_DNS_LABEL_MAX) {
            return false;
        }
    }
    return n == 0 || label > 0;
}

bool ns_dns_name_equal(const char *a, const char *b)
{
    size_t la = name_len(a), lb = name_len(b);
    return la == lb && g_ascii_strncasecmp(a, b, la) == 0;
}

/* Names written so far, for compression: each label start's offset and
 * the text suffix it begins. */
typedef struct {
    uint16_t off[64];
    const char *suffix[64];
    size_t n;
} CompressTable;

static bool suffix_equal(const char *a, const char *b)
{
    return ns_dns_name_equal(a, b);
}

static size_t write_name(const char *name, uint8_t *buf, size_t len, size_t pos,
                         CompressTable *ct)
{
    if (!ns_dns_name_valid(name))
        return 0;
    size_t n = name_len(name), i = 0;
    while (i < n) {
        const char *suffix = name + i;
        for (size_t k = 0; k < ct->n; k++) {
            if (suffix_equal(suffix, ct->suffix[k])) {
                if (pos + 2 > len)
                    return 0;
                ns_write_be16(buf + pos, (uint16_t)(0xc000 | ct->off[k]));
                return pos + 2;
            }
        }
        size_t l = 0;
        while (i + l < n && name[i + l] != '.')
            l++;
        if (pos + 1 + l > len)
            return 0;
        if (pos < 0x4000 && ct->n < G_N_ELEMENTS(ct->off)) {
            ct->off[ct->n] = (uint16_t)pos;
            ct->suffix[ct->n++] = suffix;
        }
        buf[pos] = (uint8_t)l;
        memcpy(buf + pos + 1, name + i, l);
        pos += 1 + l;
        i += l + 1;
    }
    if (pos + 1 > len)
        return 0;
    buf[pos++] = 0;
    return pos;
}

/* ---- header ---- */

NsWireResult ns_dns_header_parse(const uint8_t *buf, size_t len, NsDnsHeader *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    if (buf == NULL || len < NS_DNS_HLEN)
        return NS_WIRE_TRUNCATED;
    uint16_t flags = ns_read_be16(buf + 2);
    *out = (NsDnsHeader){
        .id = ns_read_be16(buf), .qr = (flags >> 15) & 1, .opcode = (flags >> 11) & 0xf,
        .aa = (flags >> 10) & 1, .tc = (flags >> 9) & 1, .rd = (flags >> 8) & 1,
        .ra = (flags >> 7) & 1, .rcode = flags & 0xf, .qdcount = ns_read_be16(buf + 4),
        .ancount = ns_read_be16(buf + 6), .nscount = ns_read_be16(buf + 8),
        .arcount = ns_read_be16(buf + 10)};
    return NS_WIRE_OK;
}

/* ---- records ---- */

static NsWireResult read_rr(const uint8_t *buf, size_t len, size_t *pos, NsDnsRr *rr)
{
    NsWireResult r = read_name(buf, len, pos, rr->name);
    if (r != NS_WIRE_OK)
        return r;
    size_t p = *pos;
    if (p + 10 > len)
        return NS_WIRE_TRUNCATED;
    rr->type = ns_read_be16(buf + p);
    rr->klass = ns_read_be16(buf + p + 2);
    rr->ttl = ns_read_be32(buf + p + 4);
    rr->rdlength = ns_read_be16(buf + p + 8);
    rr->addr = 0;
    p += 10;
    if (p + rr->rdlength > len)
        return NS_WIRE_TRUNCATED;
    memset(rr->addr6, 0, sizeof rr->addr6);
    if (rr->type == NS_DNS_TYPE_A && rr->klass == NS_DNS_CLASS_IN) {
        if (rr->rdlength != 4)
            return NS_WIRE_MALFORMED;
        rr->addr = ns_read_be32(buf + p);
    }
    if (rr->type == NS_DNS_TYPE_AAAA && rr->klass == NS_DNS_CLASS_IN) {
        if (rr->rdlength != 16)
            return NS_WIRE_MALFORMED;
        memcpy(rr->addr6, buf + p, 16);
    }
    *pos = p + rr->rdlength;
    return NS_WIRE_OK;
}

NsWireResult ns_dns_parse(const uint8_t *buf, size_t len, NsDnsMessage *out)
{
    g_return_val_if_fail(out != NULL, NS_WIRE_MALFORMED);
    memset(out, 0, sizeof *out);
    NsWireResult r = ns_dns_header_parse(buf, len, &out->hdr);
    if (r != NS_WIRE_OK)
        return r;
    size_t pos = NS_DNS_HLEN;
    for (uint32_t i = 0; i < out->hdr.qdcount; i++) {
        NsDnsQuestion q;
        r = read_name(buf, len, &pos, q.name);
        if (r != NS_WIRE_OK)
            return r;
        if (pos + 4 > len)
            return NS_WIRE_TRUNCATED;
        q.type = ns_read_be16(buf + pos);
        q.klass = ns_read_be16(buf + pos + 2);
        pos += 4;
        if (i == 0) {
            out->question = q;
            out->has_question = true;
        }
    }
    uint32_t records = (uint32_t)out->hdr.ancount + out->hdr.nscount + out->hdr.arcount;
    for (uint32_t i = 0; i < records; i++) {
        NsDnsRr rr;
        r = read_rr(buf, len, &pos, &rr);
        if (r != NS_WIRE_OK)
            return r;
        if (i < out->hdr.ancount && out->n_answers < NS_DNS_MAX_RRS)
            out->answers[out->n_answers++] = rr;
    }
    return NS_WIRE_OK;
}

size_t ns_dns_emit(const NsDnsMessage *msg, uint8_t *buf, size_t len)
{
    g_return_val_if_fail(msg != NULL, 0);
    if (buf == NULL || len < NS_DNS_HLEN || msg->n_answers > NS_DNS_MAX_RRS)
        return 0;
    const NsDnsHeader *h = &msg->hdr;
    uint16_t flags = (uint16_t)((h->qr ? 0x8000 : 0) | (h->opcode & 0xf) << 11 |
                                (h->aa ? 0x400 : 0) | (h->tc ? 0x200 : 0) |
                                (h->rd ? 0x100 : 0) | (h->ra ? 0x80 : 0) | (h->rcode & 0xf));
    ns_write_be16(buf, h->id);
    ns_write_be16(buf + 2, flags);
    ns_write_be16(buf + 4, msg->has_question ? 1 : 0);
    ns_write_be16(buf + 6, msg->n_answers);
    ns_write_be16(buf + 8, 0);
    ns_write_be16(buf + 10, 0);
    CompressTable ct = {.n = 0};
    size_t pos = NS_DNS_HLEN;
    if (msg->has_question) {
        pos = write_name(msg->question.name, buf, len, pos, &ct);
        if (pos == 0 || pos + 4 > len)
            return 0;
        ns_write_be16(buf + pos, msg->question.type);
        ns_write_be16(buf + pos + 2, msg->question.klass);
        pos += 4;
    }
    for (uint16_t i = 0; i < msg->n_answers; i++) {
        const NsDnsRr *rr = &msg->answers[i];
        bool v6 = rr->type == NS_DNS_TYPE_AAAA;
        if ((rr->type != NS_DNS_TYPE_A && !v6) || rr->klass != NS_DNS_CLASS_IN)
            return 0; /* the only RDATA this emitter knows how to write */
        size_t rdlen = v6 ? 16 : 4;
        pos = write_name(rr->name, buf, len, pos, &ct);
        if (pos == 0 || pos + 10 + rdlen > len)
            return 0;
        ns_write_be16(buf + pos, rr->type);
        ns_write_be16(buf + pos + 2, rr->klass);
        ns_write_be32(buf + pos + 4, rr->ttl);
        ns_write_be16(buf + pos + 8, (uint16_t)rdlen);
        if (v6)
            memcpy(buf + pos + 10, rr->addr6, 16);
        else
            ns_write_be32(buf + pos + 10, rr->addr);
        pos += 10 + rdlen;
    }
    return pos;
}

/* ---- names of values, summaries ---- */

const char *ns_dns_type_name(uint16_t type)
{
    switch (type) {
    case NS_DNS_TYPE_A: return "A";
    case NS_DNS_TYPE_NS: return "NS";
    case NS_DNS_TYPE_CNAME: return "CNAME";
    case NS_DNS_TYPE_SOA: return "SOA";
    case NS_DNS_TYPE_PTR: return "PTR";
    case NS_DNS_TYPE_MX: return "MX";
    case NS_DNS_TYPE_TXT: return "TXT";
    case NS_DNS_TYPE_AAAA: return "AAAA";
    case NS_DNS_TYPE_ANY: return "ANY";
    default: return NULL;
    }
}

const char *ns_dns_rcode_name(uint8_t rcode)
{
    switch (rcode) {
    case NS_DNS_RCODE_NOERROR: return "NOERROR";
    case NS_DNS_RCODE_FORMERR: return "FORMERR";
    case NS_DNS_RCODE_SERVFAIL: return "SERVFAIL";
    case NS_DNS_RCODE_NXDOMAIN: return "NXDOMAIN";
    case NS_DNS_RCODE_NOTIMP: return "NOTIMP";
    case NS_DNS_RCODE_REFUSED: return "REFUSED";
    default: return NULL;
    }
}

static void type_text(uint16_t type, char *buf, size_t n)
{
    const char *t = ns_dns_type_name(type);
    if (t)
        g_strlcpy(buf, t, n);
    else
        g_snprintf(buf, n, "TYPE%u", type);
}

bool ns_dns_summary(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return false;
    NsDnsMessage m;
    NsWireResult r = ns_dns_parse(buf, len, &m);
    if (r != NS_WIRE_OK) {
        g_snprintf(out, outlen, "DNS (%s)", ns_wire_result_name(r));
        return false;
    }
    const char *name = m.has_question ? m.question.name : "";
    if (!name[0])
        name = "<root>";
    char type[16];
    type_text(m.has_question ? m.question.type : 0, type, sizeof type);
    if (!m.hdr.qr) {
        if (m.has_question)
            g_snprintf(out, outlen, "DNS %s? %s", type, name);
        else
            g_snprintf(out, outlen, "DNS query (no question)");
        return true;
    }
    if (m.hdr.rcode != NS_DNS_RCODE_NOERROR) {
        const char *rc = ns_dns_rcode_name(m.hdr.rcode);
        if (rc)
            g_snprintf(out, outlen, "DNS %s %s", name, rc);
        else
            g_snprintf(out, outlen, "DNS %s RCODE%u", name, m.hdr.rcode);
        return true;
    }
    for (uint16_t i = 0; i < m.n_answers; i++) {
        const NsDnsRr *rr = &m.answers[i];
        bool v6 = rr->type == NS_DNS_TYPE_AAAA;
        if ((rr->type == NS_DNS_TYPE_A || v6) && rr->klass == NS_DNS_CLASS_IN) {
            char a[NS_IPV6_STRLEN];
            if (v6)
                ns_ipv6_format((const NsIpv6Addr *)(const void *)rr->addr6, a);
            else
                ns_ipv4_format(rr->addr, a);
            const char *rn = rr->name[0] ? rr->name : "<root>";
            const char *tn = v6 ? "AAAA" : "A";
            if (m.hdr.ancount > 1)
                g_snprintf(out, outlen, "DNS %s %s %s (+%u more)", rn, tn, a, m.hdr.ancount - 1u);
            else
                g_snprintf(out, outlen, "DNS %s %s %s", rn, tn, a);
            return true;
        }
    }
    if (m.hdr.ancount == 0)
        g_snprintf(out, outlen, "DNS %s %s (no answer)", name, type);
    else
        g_snprintf(out, outlen, "DNS %s %s (%u answers)", name, type, m.hdr.ancount);
    return true;
}
