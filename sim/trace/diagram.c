/* Sequence diagrams from the trace: SEND events become arrows (matched with
 * their RECV to tell delivered from lost), TCP/SOCK/ICMP socket events become
 * notes. Everything is collected during the run and laid out at the end:
 * lifelines are known only then, and so are the long runs to fold. */
#include "netsim/trace-diagram.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/trace-text.h"
#include "netsim/wire/icmp.h"
#include "netsim/wire/ipv4.h"
#include "netsim/wire/tcp.h"
#include "trace-private.h"

typedef struct {
    char *name; /* "10.0.0.1:49152", or "10.0.0.1" for ICMP */
    const char *host; /* interned; NULL until known */
    guint created;
} Lifeline;

typedef enum { ITEM_MSG, ITEM_NOTE } ItemKind;

typedef struct {
    ItemKind kind;
    NsTime time;
    char *label;
    /* MSG: lifeline indices; NOTE: resolved at render time from below. */
    guint from, to;
    bool lost;
    bool foldable;
    uint8_t proto;
    uint32_t bytes;
    /* NOTE: the socket it belongs to. */
    const char *host;
    uint32_t addr;
    uint16_t port;
} Item;

struct NsDiagram {
    char *title;
    GPtrArray *lifelines;  /* Lifeline* */
    GHashTable *by_name;   /* name -> index + 1 */
    GPtrArray *hosts;      /* interned names, first-seen order */
    GArray *items;         /* Item */
    GHashTable *in_flight; /* packet key -> GQueue of item indices */
};

static void lifeline_free(gpointer p)
{
    Lifeline *l = p;
    g_free(l->name);
    g_free(l);
}

static void queue_free(gpointer p)
{
    g_queue_free(p);
}

NsDiagram *ns_diagram_new(const char *title)
{
    NsDiagram *d = g_new0(NsDiagram, 1);
    d->title = g_strdup(title);
    d->lifelines = g_ptr_array_new_with_free_func(lifeline_free);
    d->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    d->hosts = g_ptr_array_new();
    d->items = g_array_new(FALSE, TRUE, sizeof(Item));
    d->in_flight = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, queue_free);
    return d;
}

void ns_diagram_free(NsDiagram *d)
{
    if (!d)
        return;
    for (guint i = 0; i < d->items->len; i++)
        g_free(g_array_index(d->items, Item, i).label);
    g_array_free(d->items, TRUE);
    g_hash_table_destroy(d->by_name);
    g_ptr_array_free(d->lifelines, TRUE);
    g_ptr_array_free(d->hosts, TRUE);
    g_hash_table_destroy(d->in_flight);
    g_free(d->title);
    g_free(d);
}

guint ns_diagram_lifelines(const NsDiagram *d)
{
    return d->lifelines->len;
}

static void see_host(NsDiagram *d, const char *host)
{
    if (!host)
        return;
    for (guint i = 0; i < d->hosts->len; i++)
        if (g_ptr_array_index(d->hosts, i) == host)
            return;
    g_ptr_array_add(d->hosts, (gpointer)host);
}

static guint lifeline(NsDiagram *d, uint32_t addr, uint16_t port, bool with_port,
                      const char *host)
{
    g_autoptr(GString) s = g_string_new(NULL);
    trace_append_endpoint(s, addr, port, with_port);
    host = host ? g_intern_string(host) : NULL;
    see_host(d, host);
    guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(d->by_name, s->str));
    if (idx) {
        Lifeline *l = g_ptr_array_index(d->lifelines, idx - 1);
        if (!l->host)
            l->host = host;
        return idx - 1;
    }
    Lifeline *l = g_new0(Lifeline, 1);
    l->name = g_string_free(g_steal_pointer(&s), FALSE);
    l->host = host;
    l->created = d->lifelines->len;
    g_ptr_array_add(d->lifelines, l);
    g_hash_table_insert(d->by_name, l->name, GUINT_TO_POINTER(d->lifelines->len));
    return d->lifelines->len - 1;
}

/* What identifies one datagram between its SEND and its RECV: addresses,
 * ports and sizes, and the IPv4 identification field when the event carries
 * the datagram's bytes (so a lost datagram is not confused with the next,
 * identical one). Datagrams that still look alike are matched in order. */
static char *packet_key(const NsTraceEvent *ev)
{
    unsigned ip_id = ev->bytes && ev->bytes_len >= 20 ? (unsigned)(ev->bytes[4] << 8 | ev->bytes[5])
                                                       : 0;
    return g_strdup_printf("%u|%08x:%u|%08x:%u|%u|%u|%u|%u|%u", ev->proto, ev->src, ev->sport,
                           ev->dst, ev->dport, ev->ip_len, ev->icmp_type, ev->icmp_seq,
                           ev->tcp_flags, ip_id);
}

static char *message_label(const NsTraceEvent *ev)
{
    GString *s = g_string_new(NULL);
    switch (ev->proto) {
    case NS_IPPROTO_TCP:
        g_string_append(s, "TCP");
        trace_append_tcp(s, ev);
        if (ev->payload_len)
            g_string_append_printf(s, " len %" PRIu32, ev->payload_len);
        break;
    case NS_IPPROTO_UDP:
        g_string_append_printf(s, "UDP %" PRIu32 "B", ev->payload_len);
        break;
    case NS_IPPROTO_ICMP:
        g_string_append_printf(s, "ICMP %s", trace_icmp_name(ev->icmp_type, ev->icmp_code));
        if (ev->icmp_type == NS_ICMP_ECHO_REQUEST || ev->icmp_type == NS_ICMP_ECHO_REPLY)
            g_string_append_printf(s, " seq %u", ev->icmp_seq);
        break;
    default:
        g_string_append_printf(s, "IP proto %u", ev->proto);
        break;
    }
    if (ev->summary)
        g_string_append_printf(s, " \xc2\xb7 %s", ev->summary);
    return g_string_free(s, FALSE);
}

static void add_send(NsDiagram *d, const NsTraceEvent *ev)
{
    bool ports = trace_has_ports(ev->proto);
    Item it = {.kind = ITEM_MSG, .time = ev->time, .lost = true, .proto = ev->proto,
               .bytes = ev->payload_len};
    it.from = lifeline(d, ev->src, ev->sport, ports, ev->host);
    it.to = lifeline(d, ev->dst, ev->dport, ports, NULL);
    it.label = message_label(ev);
    switch (ev->proto) {
    case NS_IPPROTO_TCP:
        it.foldable = !(ev->tcp_flags & (NS_TCP_SYN | NS_TCP_FIN | NS_TCP_RST));
        break;
    case NS_IPPROTO_UDP:
        it.foldable = true;
        break;
    case NS_IPPROTO_ICMP:
        it.foldable = ev->icmp_type == NS_ICMP_ECHO_REQUEST || ev->icmp_type == NS_ICMP_ECHO_REPLY;
        break;
    default:
        break;
    }
    g_array_append_val(d->items, it);
    char *key = packet_key(ev);
    GQueue *q = g_hash_table_lookup(d->in_flight, key);
    if (!q) {
        q = g_queue_new();
        g_hash_table_insert(d->in_flight, key, q);
    } else {
        g_free(key);
    }
    g_queue_push_tail(q, GUINT_TO_POINTER(d->items->len - 1));
}

static void add_recv(NsDiagram *d, const NsTraceEvent *ev)
{
    g_autofree char *key = packet_key(ev);
    GQueue *q = g_hash_table_lookup(d->in_flight, key);
    if (!q || g_queue_is_empty(q))
        return;
    guint idx = GPOINTER_TO_UINT(g_queue_pop_head(q));
    Item *it = &g_array_index(d->items, Item, idx);
    it->lost = false;
    lifeline(d, ev->dst, ev->dport, trace_has_ports(ev->proto), ev->host);
}

static void add_note(NsDiagram *d, const NsTraceEvent *ev)
{
    GString *s = g_string_new(NULL);
    char eb[24];
    const char *cause = NULL;
    switch (ev->kind) {
    case NS_TRACE_TCP:
        switch (ev->tcp_ev) {
        case NS_TCP_EV_STATE:
            g_string_append_printf(s, "%s -> %s", ns_tcp_state_name(ev->tcp_from),
                                   ns_tcp_state_name(ev->tcp_to));
            break;
        case NS_TCP_EV_CWND:
            g_string_append_printf(s, "cwnd %" PRIu32 " ssthresh %" PRIu32, ev->cwnd,
                                   ev->ssthresh);
            break;
        case NS_TCP_EV_CONGESTION:
            g_string_append_printf(s, "congestion %s -> %s", ns_tcp_ca_name(ev->ca_from),
                                   ns_tcp_ca_name(ev->ca_to));
            break;
        }
        cause = trace_cause_text(ev->cause);
        break;
    case NS_TRACE_ICMP:
        if (ev->err)
            g_string_append_printf(s, "%s ", trace_errno_text(ev->err, eb));
        g_string_append(s, trace_icmp_ev_text(ev->icmp_ev));
        break;
    case NS_TRACE_SOCK:
        g_string_append_printf(s, "%s %s", trace_proto_name(ev->proto) ? trace_proto_name(ev->proto)
                                                                         : "ip",
                               trace_sock_op_text(ev->sock_op) ? trace_sock_op_text(ev->sock_op)
                                                               : "socket");
        cause = trace_sock_why_text(ev);
        break;
    case NS_TRACE_APP:
    case NS_TRACE_SEND:
    case NS_TRACE_RECV:
    case NS_TRACE_FWD:
    case NS_TRACE_DROP:
    case NS_TRACE_TIMER:
    case NS_TRACE_ARP:
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
    case NS_TRACE_EXPECT:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_NAT:
    case NS_TRACE_KIND_COUNT:
        break;
    }
    if (cause)
        g_string_append_printf(s, " (%s)", cause);
    see_host(d, ev->host ? g_intern_string(ev->host) : NULL);
    Item it = {.kind = ITEM_NOTE, .time = ev->time, .label = g_string_free(s, FALSE),
               .host = ev->host ? g_intern_string(ev->host) : NULL, .addr = ev->src,
               .port = ev->sport, .proto = ev->proto};
    g_array_append_val(d->items, it);
}

void ns_diagram_add(NsDiagram *d, const NsTraceEvent *ev)
{
    switch (ev->kind) {
    case NS_TRACE_SEND:
        if (ev->proto)
            add_send(d, ev);
        break;
    case NS_TRACE_RECV:
        if (ev->proto)
            add_recv(d, ev);
        break;
    case NS_TRACE_TCP:
    case NS_TRACE_SOCK:
        add_note(d, ev);
        break;
    case NS_TRACE_ICMP:
        if (ev->proto)
            add_note(d, ev);
        break;
    case NS_TRACE_APP:
    case NS_TRACE_FWD:
    case NS_TRACE_DROP:
    case NS_TRACE_TIMER:
    case NS_TRACE_ARP:
    case NS_TRACE_LINK:
    case NS_TRACE_HOST:
    case NS_TRACE_EXPECT:
    case NS_TRACE_FRAME:
    case NS_TRACE_CC:
    case NS_TRACE_NAT:
    case NS_TRACE_KIND_COUNT:
        break;
    }
}

/* ---- layout: the order of lifelines, notes resolved, runs folded ---- */

typedef struct {
    guint n;        /* lifelines */
    guint *column;  /* lifeline index -> column */
    guint *at;      /* column -> lifeline index */
    GPtrArray *groups; /* host name per column group, in order */
    guint *group_of;   /* column -> group */
} Layout;

/* The lifeline a note belongs to, or -1: the exact endpoint, else (for a
 * socket bound to 0.0.0.0) the host's endpoint with that port. */
static int note_lifeline(const NsDiagram *d, const Item *it)
{
    bool ports = trace_has_ports(it->proto);
    g_autoptr(GString) s = g_string_new(NULL);
    trace_append_endpoint(s, it->addr, it->port, ports);
    guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(d->by_name, s->str));
    if (idx && it->addr)
        return (int)idx - 1;
    g_autofree char *suffix = g_strdup_printf(":%u", it->port);
    for (guint i = 0; i < d->lifelines->len; i++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, i);
        if (l->host == it->host && ports && g_str_has_suffix(l->name, suffix))
            return (int)i;
    }
    return -1;
}

/* The host of a lifeline never seen from its own side (its packets all
 * lost): another lifeline with the same address tells. */
static const char *guess_host(const NsDiagram *d, const Lifeline *l)
{
    const char *colon = strchr(l->name, ':');
    size_t alen = colon ? (size_t)(colon - l->name) : strlen(l->name);
    for (guint i = 0; i < d->lifelines->len; i++) {
        const Lifeline *o = g_ptr_array_index(d->lifelines, i);
        if (o->host && strncmp(o->name, l->name, alen) == 0 &&
            (o->name[alen] == ':' || o->name[alen] == '\0'))
            return o->host;
    }
    return NULL;
}

static void layout_init(const NsDiagram *d, Layout *lay)
{
    lay->n = d->lifelines->len;
    lay->column = g_new0(guint, lay->n + 1);
    lay->at = g_new0(guint, lay->n + 1);
    lay->group_of = g_new0(guint, lay->n + 1);
    lay->groups = g_ptr_array_new();
    g_autoptr(GPtrArray) hosts = g_ptr_array_copy(d->hosts, NULL, NULL);
    g_autofree const char **host_of = g_new0(const char *, lay->n + 1);
    for (guint i = 0; i < lay->n; i++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, i);
        host_of[i] = l->host ? l->host : guess_host(d, l);
    }
    g_ptr_array_add(hosts, NULL); /* lifelines of no known host last */
    guint col = 0;
    for (guint h = 0; h < hosts->len; h++) {
        const char *host = g_ptr_array_index(hosts, h);
        bool any = false;
        for (guint i = 0; i < lay->n; i++) {
            if (host_of[i] != host)
                continue;
            if (!any)
                g_ptr_array_add(lay->groups, (gpointer)(host ? host : "elsewhere"));
            any = true;
            lay->column[i] = col;
            lay->at[col] = i;
            lay->group_of[col] = lay->groups->len - 1;
            col++;
        }
    }
}

static void layout_clear(Layout *lay)
{
    g_free(lay->column);
    g_free(lay->at);
    g_free(lay->group_of);
    g_ptr_array_free(lay->groups, TRUE);
}

/* A row of the finished diagram. */
typedef enum { ROW_MSG, ROW_NOTE, ROW_FOLD } RowKind;

typedef struct {
    RowKind kind;
    NsTime time;
    const char *label; /* borrowed from the item, or owned by `owned` */
    char *owned;
    guint a, b; /* columns: MSG from/to; NOTE/FOLD span */
    bool lost;
} Row;

static bool same_run(const Item *x, const Item *y)
{
    guint xa = MIN(x->from, x->to), xb = MAX(x->from, x->to);
    guint ya = MIN(y->from, y->to), yb = MAX(y->from, y->to);
    return y->kind == ITEM_MSG && y->foldable && !y->lost && y->proto == x->proto && xa == ya &&
           xb == yb;
}

static GArray *build_rows(const NsDiagram *d, const Layout *lay)
{
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(Row));
    const Item *items = (const Item *)(const void *)d->items->data;
    guint n = d->items->len;
    for (guint i = 0; i < n;) {
        const Item *it = &items[i];
        if (it->kind == ITEM_NOTE) {
            int l = note_lifeline(d, it);
            if (l >= 0) {
                Row r = {.kind = ROW_NOTE, .time = it->time, .label = it->label,
                         .a = lay->column[l], .b = lay->column[l]};
                g_array_append_val(rows, r);
            }
            i++;
            continue;
        }
        guint j = i + 1;
        if (it->foldable && !it->lost)
            while (j < n && same_run(it, &items[j]))
                j++;
        guint len = j - i;
        for (guint k = i; k < j; k++) {
            if (len > NS_DIAGRAM_FOLD_AFTER && k == i + 3) {
                uint64_t bytes = 0;
                for (guint m = i + 3; m < j - 2; m++)
                    bytes += items[m].bytes;
                const char *what = it->proto == NS_IPPROTO_TCP   ? "segments"
                                   : it->proto == NS_IPPROTO_UDP ? "datagrams"
                                                                 : "messages";
                Row r = {.kind = ROW_FOLD, .time = items[k].time,
                         .owned = g_strdup_printf("... %u %s, %" PRIu64 " bytes of data ...",
                                                  len - 5, what, bytes),
                         .a = MIN(lay->column[it->from], lay->column[it->to]),
                         .b = MAX(lay->column[it->from], lay->column[it->to])};
                r.label = r.owned;
                g_array_append_val(rows, r);
                k = j - 3; /* the loop's k++ lands on the last two */
                continue;
            }
            const Item *m = &items[k];
            Row r = {.kind = ROW_MSG, .time = m->time, .label = m->label,
                     .a = lay->column[m->from], .b = lay->column[m->to], .lost = m->lost};
            g_array_append_val(rows, r);
        }
        i = j;
    }
    return rows;
}

static void rows_free(GArray *rows)
{
    for (guint i = 0; i < rows->len; i++)
        g_free(g_array_index(rows, Row, i).owned);
    g_array_free(rows, TRUE);
}

/* ---- Mermaid ---- */

/* Mermaid reads '#', ';', '<' and '>' specially in text: write them as its
 * numeric entity codes. */
static void mmd_text(GString *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '#':
        case ';':
        case '<':
        case '>':
        case '"':
            g_string_append_printf(s, "#%d;", (unsigned char)*p);
            break;
        case '\n':
        case '\r':
            g_string_append_c(s, ' ');
            break;
        default:
            g_string_append_c(s, *p);
        }
    }
}

static char *render_mermaid(const NsDiagram *d, const Layout *lay, GArray *rows)
{
    GString *s = g_string_new("sequenceDiagram\n");
    if (d->title) {
        g_string_append(s, "    title ");
        mmd_text(s, d->title);
        g_string_append_c(s, '\n');
    }
    if (lay->n == 0)
        g_string_append(s, "    %% no packet crossed the network\n");
    for (guint c = 0; c < lay->n; c++) {
        if (c == 0 || lay->group_of[c] != lay->group_of[c - 1]) {
            g_string_append(s, "    box rgb(245,245,250) ");
            mmd_text(s, g_ptr_array_index(lay->groups, lay->group_of[c]));
            g_string_append_c(s, '\n');
        }
        const Lifeline *l = g_ptr_array_index(d->lifelines, lay->at[c]);
        g_string_append_printf(s, "    participant p%u as %s\n", c, l->name);
        if (c + 1 == lay->n || lay->group_of[c + 1] != lay->group_of[c])
            g_string_append(s, "    end\n");
    }
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        switch (r->kind) {
        case ROW_MSG:
            g_string_append_printf(s, "    p%u%sp%u: ", r->a, r->lost ? "-x" : "->>", r->b);
            mmd_text(s, r->label);
            if (r->lost)
                g_string_append(s, " (lost)");
            break;
        case ROW_NOTE:
        case ROW_FOLD:
            if (r->a == r->b)
                g_string_append_printf(s, "    Note over p%u: ", r->a);
            else
                g_string_append_printf(s, "    Note over p%u,p%u: ", r->a, r->b);
            mmd_text(s, r->label);
            break;
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* ---- SVG ---- */

#define SVG_LEFT 96  /* time column */
#define SVG_COL 190  /* narrowest column of a lifeline */
#define SVG_CHAR 7   /* width of a character at font-size 11, monospace */
#define SVG_TOP 78   /* first row */
#define SVG_ROW 34

static void xml_text(GString *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&':
            g_string_append(s, "&amp;");
            break;
        case '<':
            g_string_append(s, "&lt;");
            break;
        case '>':
            g_string_append(s, "&gt;");
            break;
        case '"':
            g_string_append(s, "&quot;");
            break;
        case '\'':
            g_string_append(s, "&apos;");
            break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n')
                g_string_append_c(s, ' ');
            else
                g_string_append_c(s, *p);
        }
    }
}

static unsigned col_x(unsigned cw, guint c)
{
    return SVG_LEFT + c * cw + cw / 2;
}

/* Columns wide enough for the longest note (notes sit on one lifeline) and
 * the longest lifeline name, so that no text runs out of its box. */
static unsigned column_width(const NsDiagram *d, const Layout *lay, GArray *rows)
{
    size_t longest = 0;
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        if (r->kind != ROW_MSG && r->label) {
            size_t n = g_utf8_strlen(r->label, -1) / (r->b - r->a + 1);
            longest = n > longest ? n : longest;
        }
    }
    for (guint c = 0; c < lay->n; c++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, lay->at[c]);
        size_t n = strlen(l->name);
        longest = n > longest ? n : longest;
    }
    unsigned cw = (unsigned)longest * SVG_CHAR + 28;
    return cw < SVG_COL ? SVG_COL : cw;
}

static char *render_svg(const NsDiagram *d, const Layout *lay, GArray *rows)
{
    const unsigned cw = column_width(d, lay, rows);
    unsigned width = SVG_LEFT + (lay->n ? lay->n : 1) * cw + 16;
    unsigned height = SVG_TOP + rows->len * SVG_ROW + 30;
    GString *s = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append_printf(s,
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
                           "viewBox=\"0 0 %u %u\" font-family=\"monospace\" font-size=\"11\">\n",
                           width, height, width, height);
    if (d->title) {
        g_string_append(s, "<title>");
        xml_text(s, d->title);
        g_string_append(s, "</title>\n");
    }
    g_string_append(s,
                    "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
                    "markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
                    "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#222\"/></marker></defs>\n"
                    "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    /* Host boxes, then lifelines and their heads. */
    for (guint c = 0; c < lay->n;) {
        guint e = c;
        while (e + 1 < lay->n && lay->group_of[e + 1] == lay->group_of[c])
            e++;
        unsigned x = SVG_LEFT + c * cw + 4, w = (e - c + 1) * cw - 8;
        const char *group = g_ptr_array_index(lay->groups, lay->group_of[c]);
        g_string_append(s, "<g class=\"host\" data-host=\"");
        xml_text(s, group);
        g_string_append_printf(s,
                               "\"><rect x=\"%u\" y=\"6\" width=\"%u\" height=\"%u\" "
                               "rx=\"6\" fill=\"#f3f4f8\" stroke=\"#b8bccc\"/>"
                               "<text x=\"%u\" y=\"20\" text-anchor=\"middle\" "
                               "font-weight=\"bold\">",
                               x, w, height - 12, x + w / 2);
        xml_text(s, group);
        g_string_append(s, "</text></g>\n");
        c = e + 1;
    }
    for (guint c = 0; c < lay->n; c++) {
        const Lifeline *l = g_ptr_array_index(d->lifelines, lay->at[c]);
        unsigned x = col_x(cw, c);
        g_string_append(s, "<g class=\"lifeline\" data-host=\"");
        xml_text(s, g_ptr_array_index(lay->groups, lay->group_of[c]));
        g_string_append_printf(s,
                               "\"><line x1=\"%u\" y1=\"56\" x2=\"%u\" y2=\"%u\" "
                               "stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
                               "<rect x=\"%u\" y=\"30\" width=\"%u\" height=\"26\" rx=\"3\" "
                               "fill=\"#e3e8f5\" stroke=\"#6b7794\"/>"
                               "<text x=\"%u\" y=\"47\" text-anchor=\"middle\">",
                               x, x, height - 10, x - cw / 2 + 12, cw - 24, x);
        xml_text(s, l->name);
        g_string_append(s, "</text></g>\n");
    }
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        unsigned y = SVG_TOP + i * SVG_ROW + 20;
        char t[32];
        ns_trace_format_time(r->time, t);
        g_string_append_printf(s, "<text x=\"6\" y=\"%u\" fill=\"#777\">%s</text>\n", y,
                               g_strstrip(t));
        switch (r->kind) {
        case ROW_MSG: {
            unsigned x1 = col_x(cw, r->a), x2 = col_x(cw, r->b);
            const char *colour = r->lost ? "#c0392b" : "#222";
            if (r->a == r->b) {
                g_string_append_printf(s,
                                       "<path class=\"msg\" d=\"M %u %u h 30 v 10 h -30\" "
                                       "fill=\"none\" stroke=\"%s\" marker-end=\"url(#arrow)\"/>\n",
                                       x1, y - 6, colour);
                x2 = x1 + 60;
            } else if (r->lost) {
                /* Crossed out three quarters of the way: it never arrived. */
                int xe = (int)x1 + ((int)x2 - (int)x1) * 3 / 4;
                g_string_append_printf(s,
                                       "<line class=\"msg lost\" x1=\"%u\" y1=\"%u\" x2=\"%d\" "
                                       "y2=\"%u\" stroke=\"%s\" stroke-dasharray=\"6 3\"/>"
                                       "<text x=\"%d\" y=\"%u\" fill=\"%s\" text-anchor=\"middle\" "
                                       "font-size=\"14\">\xc3\x97</text>\n",
                                       x1, y, xe, y, colour, xe, y + 5, colour);
            } else {
                g_string_append_printf(s,
                                       "<line class=\"msg\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
                                       "stroke=\"%s\" marker-end=\"url(#arrow)\"/>\n",
                                       x1, y, x2, y, colour);
            }
            g_string_append_printf(s, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" fill=\"%s\">",
                                   (x1 + x2) / 2, y - 5, colour);
            xml_text(s, r->label);
            if (r->lost)
                g_string_append(s, " (lost)");
            g_string_append(s, "</text>\n");
            break;
        }
        case ROW_NOTE:
        case ROW_FOLD: {
            unsigned xa = col_x(cw, r->a) - cw / 2 + 8, xb = col_x(cw, r->b) + cw / 2 - 8;
            g_string_append_printf(s,
                                   "<g class=\"%s\"><rect x=\"%u\" y=\"%u\" width=\"%u\" "
                                   "height=\"22\" fill=\"%s\" stroke=\"#c9b458\"/>"
                                   "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\"%s>",
                                   r->kind == ROW_NOTE ? "note" : "fold", xa, y - 15, xb - xa,
                                   r->kind == ROW_NOTE ? "#fff8c4" : "#eeeeee", (xa + xb) / 2, y,
                                   r->kind == ROW_FOLD ? " font-style=\"italic\"" : "");
            xml_text(s, r->label);
            g_string_append(s, "</text></g>\n");
            break;
        }
        }
    }
    g_string_append(s, "</svg>\n");
    return g_string_free(s, FALSE);
}

char *ns_diagram_render(NsDiagram *d, NsDiagramFormat format)
{
    Layout lay = {0};
    layout_init(d, &lay);
    GArray *rows = build_rows(d, &lay);
    char *out = NULL;
    switch (format) {
    case NS_DIAGRAM_MERMAID:
        out = render_mermaid(d, &lay, rows);
        break;
    case NS_DIAGRAM_SVG:
        out = render_svg(d, &lay, rows);
        break;
    }
    rows_free(rows);
    layout_clear(&lay);
    return out;
}

bool ns_diagram_format_from_path(const char *path, NsDiagramFormat *format)
{
    g_autofree char *lower = g_ascii_strdown(path, -1);
    if (g_str_has_suffix(lower, ".mmd")) {
        *format = NS_DIAGRAM_MERMAID;
        return true;
    }
    if (g_str_has_suffix(lower, ".svg")) {
        *format = NS_DIAGRAM_SVG;
        return true;
    }
    return false;
}

/* ---- the sink ---- */

struct NsDiagramSink {
    NsDiagram *diagram;
    NsDiagramFormat format;
    NsAtomicFile file;
};

static void diagram_write(void *self, const NsTraceEvent *ev)
{
    NsDiagramSink *sink = self;
    ns_diagram_add(sink->diagram, ev);
}

static bool diagram_close(void *self, GError **error)
{
    NsDiagramSink *sink = self;
    if (!sink->file.f)
        return true;
    g_autofree char *text = ns_diagram_render(sink->diagram, sink->format);
    fputs(text, sink->file.f);
    return ns_atomic_file_commit(&sink->file, false, error);
}

static void diagram_free(void *self)
{
    NsDiagramSink *sink = self;
    ns_atomic_file_abort(&sink->file);
    ns_diagram_free(sink->diagram);
    g_free(sink);
}

static const NsTraceSinkOps diagram_ops = {"diagram", diagram_write, diagram_close, diagram_free};

NsDiagramSink *ns_diagram_sink_new(const char *path, NsDiagramFormat format, const char *title,
                                   GError **error)
{
    NsDiagramSink *sink = g_new0(NsDiagramSink, 1);
    if (!ns_atomic_file_open(&sink->file, path, error)) {
        g_free(sink);
        return NULL;
    }
    sink->format = format;
    sink->diagram = ns_diagram_new(title);
    return sink;
}

void ns_diagram_sink_attach(NsDiagramSink *sink, NsTracer *tracer)
{
    ns_tracer_add_sink(tracer, &diagram_ops, sink, NS_DIAGRAM_MASK);
}
