/* sim/app helpers: trace events, formatting, the name table, and the
 * payload decoder transports call for trace summaries. */
#include "app-private.h"

#include <stdarg.h>
#include <inttypes.h>

#include "netsim/ip.h"
#include "netsim/pattern.h"
#include "netsim/wire/bytes.h"
#include "netsim/wire/dns.h"
#include "netsim/wire/http.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/smtp.h"
#include "netsim-private/ctx.h"

void ns_app_trace(NsHost *h, const char *what, int err, const char *fmt, ...)
{
    NsCtx *ctx = ns_host_ctx(h);
    if (!ns_tracer_wants(ctx->tracer, NS_TRACE_APP))
        return;
    /* Formatted on the stack (a run has a line per step of every
     * application); only a longer text is allocated. */
    char line[256];
    g_autofree char *longer = NULL;
    const char *text = line;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = g_vsnprintf(line, sizeof line, fmt, ap);
    if (n < 0 || (size_t)n >= sizeof line)
        text = longer = g_strdup_vprintf(fmt, again);
    va_end(again);
    va_end(ap);
    NsTraceEvent ev = {.time = ns_sim_now(ctx->sim), .kind = NS_TRACE_APP,
                       .host = ns_host_name(h), .what = what, .text = text, .err = err};
    ns_trace_emit(ctx->tracer, &ev);
}

NsTime ns_app_now(NsHost *h)
{
    return ns_sim_now(ns_host_ctx(h)->sim);
}

bool ns_app_host_has_ipv4(NsHost *h)
{
    for (uint32_t i = 0; i < ns_host_iface_count(h); i++)
        if (ns_iface_has_ipv4(ns_host_iface(h, i)))
            return true;
    return false;
}

const char *ns_app_duration(NsTime t, char *buf, size_t n)
{
    if (t < NS_S(10))
        g_snprintf(buf, n, "%" PRId64 ".%" PRId64 " ms", t / NS_MS(1), (t / NS_US(100)) % 10);
    else
        g_snprintf(buf, n, "%" PRId64 ".%03" PRId64 " s", t / NS_S(1), (t / NS_MS(1)) % 1000);
    return buf;
}

const char *ns_app_endpoint(uint32_t addr, uint16_t port, char *buf, size_t n)
{
    char a[NS_IPV4_STRLEN];
    ns_ipv4_format(addr, a);
    g_snprintf(buf, n, "%s:%u", a, port);
    return buf;
}

void ns_app_pattern(uint64_t offset, uint8_t *buf, size_t n)
{
    ns_pattern_fill(offset, buf, n);
}

const NsDnsEntry *ns_dns_table_find(const NsDnsTable *t, const char *name)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (ns_dns_name_equal(t->entries[i].name, name))
            return &t->entries[i];
    return NULL;
}

bool ns_dns_table_lookup(const NsDnsTable *t, const char *name, uint32_t *addr)
{
    for (size_t i = 0; t && i < t->n; i++) {
        if (ns_dns_name_equal(t->entries[i].name, name)) {
            *addr = t->entries[i].addr;
            return true;
        }
    }
    return false;
}

bool ns_app_decode(void *data, uint8_t proto, uint16_t sport, uint16_t dport,
                   const uint8_t *payload, size_t len, char *buf, size_t buflen)
{
    (void)data;
    if (!buf || buflen == 0)
        return false;
    buf[0] = 0;
    if (len == 0)
        return false;
    bool dns = sport == NS_DNS_PORT || dport == NS_DNS_PORT;
    if (proto == NS_IPPROTO_UDP) {
        if (!dns)
            return false;
        ns_dns_summary(payload, len, buf, buflen);
        return true; /* "DNS (malformed)" is worth showing too */
    }
    if (proto != NS_IPPROTO_TCP)
        return false;
    if (dns) {
        /* RFC 1035 4.2.2: each message behind a two-byte length. */
        if (len < 2 || ns_read_be16(payload) > len - 2)
            return false;
        ns_dns_summary(payload + 2, ns_read_be16(payload), buf, buflen);
        return true;
    }
    if (sport == NS_SMTP_PORT || dport == NS_SMTP_PORT) {
        if (ns_smtp_summary(payload, len, buf, buflen))
            return true;
        if (dport == NS_SMTP_PORT) {
            g_snprintf(buf, buflen, "SMTP message text (%zuB)", len);
            return true;
        }
        return false;
    }
    return ns_http_summary(payload, len, buf, buflen);
}
