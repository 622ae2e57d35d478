/* The console sink (text lines with colour and explanations) and the
 * progress line. Colour is ANSI SGR: dim time, bold host, one colour per
 * kind; explanations dim. Plain output is byte-identical to the text sink's,
 * so golden traces never depend on where they were written. */
#include "netsim/trace-console.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netsim/trace-text.h"

#define SGR_RESET "\033[0m"
#define SGR_DIM "\033[2m"
#define SGR_BOLD "\033[1m"

struct NsConsoleSink {
    FILE *out;
    int host_width;
    bool colour;
    NsExplainer *explainer;
    GString *line, *why, *buf;
};

bool ns_console_wants_colour(FILE *f)
{
    const char *no = getenv("NO_COLOR");
    if (no && no[0])
        return false;
    return f && isatty(fileno(f));
}

static const char *kind_colour(const NsTraceEvent *ev)
{
    switch (ev->kind) {
    case NS_TRACE_SEND:
        return "\033[32m"; /* green */
    case NS_TRACE_RECV:
        return "\033[36m"; /* cyan */
    case NS_TRACE_FWD:
        return "\033[34m"; /* blue */
    case NS_TRACE_DROP:
        return "\033[1;31m"; /* bold red */
    case NS_TRACE_TCP:
        return "\033[35m"; /* magenta */
    case NS_TRACE_SOCK:
        return "\033[33m"; /* yellow */
    case NS_TRACE_ICMP:
    case NS_TRACE_NAT:
        return "\033[1;33m";
    case NS_TRACE_EXPECT:
        return ev->verdict == NS_VERDICT_PASS ? "\033[1;32m" : "\033[1;31m";
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
        return "\033[1;35m";
    case NS_TRACE_APP:
        return "\033[1m";
    case NS_TRACE_TIMER:
    case NS_TRACE_ARP:
    case NS_TRACE_NDP:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_KIND_COUNT:
        return "\033[2m";
    }
    return "";
}

/* Column where the description starts: after time, host and kind. */
static size_t description_column(const NsConsoleSink *sink, const NsTraceEvent *ev, size_t *time_len,
                                 size_t *host_len)
{
    char t[32];
    ns_trace_format_time(ev->time, t);
    *time_len = strlen(t);
    size_t h = ev->host ? strlen(ev->host) : 1;
    *host_len = h > (size_t)sink->host_width ? h : (size_t)sink->host_width;
    return *time_len + 1 + *host_len + 1 + 6 + 1;
}

/* Append `text` to out, wrapped to NS_CONSOLE_WIDTH, every line indented. */
static void append_wrapped(GString *out, const char *text, size_t indent)
{
    size_t width = NS_CONSOLE_WIDTH > indent + 30 ? NS_CONSOLE_WIDTH - indent : 30;
    const char *p = text;
    bool first = true;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strlen(p);
        size_t take = n;
        if (n > width) {
            take = width;
            while (take > 0 && p[take] != ' ')
                take--;
            if (take == 0) { /* one long word: let it overflow */
                take = width;
                while (p[take] && p[take] != ' ')
                    take++;
            }
        }
        if (!first || out->len)
            g_string_append_c(out, '\n');
        first = false;
        for (size_t i = 0; i < indent; i++)
            g_string_append_c(out, ' ');
        g_string_append_len(out, p, (gssize)take);
        p += take;
    }
}

void ns_console_format(NsConsoleSink *sink, const NsTraceEvent *ev, GString *out)
{
    g_string_truncate(sink->line, 0);
    ns_text_format_event(sink->line, ev, sink->host_width);
    size_t tl, hl;
    size_t col = description_column(sink, ev, &tl, &hl);
    if (!sink->colour || sink->line->len < col - 1) {
        g_string_append_len(out, sink->line->str, (gssize)sink->line->len);
    } else {
        const char *s = sink->line->str;
        g_string_append_printf(out, SGR_DIM "%.*s" SGR_RESET " " SGR_BOLD "%.*s" SGR_RESET " ",
                               (int)tl, s, (int)hl, s + tl + 1);
        const char *kc = kind_colour(ev);
        g_string_append_printf(out, "%s%.*s" SGR_RESET, kc, 6, s + tl + 1 + hl + 1);
        const char *rest = s + col - 1;
        if (ev->kind == NS_TRACE_DROP || ev->kind == NS_TRACE_EXPECT)
            g_string_append_printf(out, "%s%s" SGR_RESET, kc, rest);
        else
            g_string_append(out, rest);
    }
    if (!sink->explainer)
        return;
    g_string_truncate(sink->why, 0);
    if (!ns_explainer_explain(sink->explainer, ev, sink->why))
        return;
    g_string_truncate(sink->buf, 0);
    append_wrapped(sink->buf, sink->why->str, col + 2);
    g_string_append_c(out, '\n');
    if (sink->colour)
        g_string_append_printf(out, SGR_DIM "%s" SGR_RESET, sink->buf->str);
    else
        g_string_append(out, sink->buf->str);
}

static void console_write(void *self, const NsTraceEvent *ev)
{
    NsConsoleSink *sink = self;
    g_autoptr(GString) s = g_string_sized_new(256);
    ns_console_format(sink, ev, s);
    g_string_append_c(s, '\n');
    fwrite(s->str, 1, s->len, sink->out);
}

static void console_free(void *self)
{
    NsConsoleSink *sink = self;
    ns_explainer_free(sink->explainer);
    g_string_free(sink->line, TRUE);
    g_string_free(sink->why, TRUE);
    g_string_free(sink->buf, TRUE);
    g_free(sink);
}

static const NsTraceSinkOps console_ops = {"console", console_write, NULL, console_free};

NsConsoleSink *ns_console_sink_new(FILE *out, int host_width, bool colour,
                                   NsExplainer *explainer)
{
    NsConsoleSink *sink = g_new0(NsConsoleSink, 1);
    sink->out = out;
    sink->host_width = host_width;
    sink->colour = colour;
    sink->explainer = explainer;
    sink->line = g_string_sized_new(160);
    sink->why = g_string_sized_new(160);
    sink->buf = g_string_sized_new(160);
    return sink;
}

void ns_console_sink_attach(NsConsoleSink *sink, NsTracer *tracer)
{
    ns_tracer_add_header_sink(tracer, &console_ops, sink,
                              NS_TRACE_MASK_ALL & ~NS_TRACE_MASK(NS_TRACE_FRAME));
}

/* ---- progress ---- */

typedef struct {
    FILE *err;
    int64_t start, next; /* monotonic microseconds */
    uint64_t events;
    bool shown;
} Progress;

#define PROGRESS_AFTER_US G_USEC_PER_SEC
#define PROGRESS_EVERY_US (G_USEC_PER_SEC / 5)

static void progress_write(void *self, const NsTraceEvent *ev)
{
    Progress *p = self;
    p->events++;
    if ((p->events & 63) != 0)
        return;
    int64_t now = g_get_monotonic_time();
    if (now < p->next)
        return;
    p->next = now + PROGRESS_EVERY_US;
    char t[32];
    ns_trace_format_time(ev->time, t);
    fprintf(p->err, "\rnetsim: simulated %s s, %" G_GUINT64_FORMAT " events, %.1f s\033[K",
            g_strstrip(t), p->events, (double)(now - p->start) / G_USEC_PER_SEC);
    fflush(p->err);
    p->shown = true;
}

static void progress_erase(Progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", p->err);
        fflush(p->err);
        p->shown = false;
    }
}

static bool progress_close(void *self, GError **error)
{
    (void)error;
    progress_erase(self);
    return true;
}

static void progress_free(void *self)
{
    progress_erase(self);
    g_free(self);
}

static const NsTraceSinkOps progress_ops = {"progress", progress_write, progress_close,
                                            progress_free};

void ns_progress_attach(FILE *err, NsTracer *tracer)
{
    Progress *p = g_new0(Progress, 1);
    p->err = err;
    p->start = g_get_monotonic_time();
    p->next = p->start + PROGRESS_AFTER_US;
    ns_tracer_add_header_sink(tracer, &progress_ops, p,
                              NS_TRACE_MASK_ALL & ~NS_TRACE_MASK(NS_TRACE_FRAME));
}
