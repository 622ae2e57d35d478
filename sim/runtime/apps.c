/* The scenario's applications: DNS, HTTP and SMTP servers, and the
 * `fetch`, `resolve` and `mail` steps, started from the AST through the
 * application layer (sim/app), and their outcomes for expectations. */
#include <string.h>

#include "netsim/app.h"
#include "netsim/wire/ipv4.h"
#include "apps-private.h"
#include "world-private.h"

/* A fetch, resolve, mail or traceroute step and its application object.
 * A fetch that has finished keeps only its result here: its NsFetch (URL,
 * connections, name lookups) is freed at once, not at the end of the run
 * (W1's 10,000 finished fetches each kept about 450 bytes: the record
 * and four copies of the URL's parts; now these 40 bytes, in one array
 * with the others'). */
typedef struct {
    void *obj;     /* NsFetch, NsResolve, NsMail or NsTraceroute; NULL after a crash
                      and once a fetch has finished */
    /* A finished fetch: what its expectations read of its result. */
    const char *why;
    uint64_t bytes;
    uint32_t host;
    uint16_t status;
    uint8_t verb; /* NsScnAppVerb */
    bool crashed, finished, ok;
} AppRt;

struct NsApps {
    NsWorld *w;           /* the scenario, the hosts */
    /* One AppRt for each application step of the scenario, given out in
     * the order the steps start (so apps[0..n_apps) is that order): held
     * at exactly their number, without a pointer or an allocation each. */
    AppRt *apps;
    uint32_t n_apps, cap_apps;
    uint32_t *by_step;    /* per step of the scenario: its AppRt's index + 1, or 0 */
    NsDnsTable names;     /* every `name` of the scenario */
    int32_t dns_host;     /* the first dns service's host, or -1 */
};

/* Every `name` declared on a host line, answering with that host's first
 * address: what the DNS servers serve and, without one, what hosts look up
 * directly. */
NsApps *ns_apps_new(NsWorld *w)
{
    NsApps *apps = g_new0(NsApps, 1);
    apps->w = w;
    const NsScenario *scn = w->scn;
    for (guint i = 0; i < scn->steps->len; i++) {
        const NsScnStep *st = ns_scn_step(scn, i);
        if (st->kind == NS_SCN_STEP_APP && st->verb.app != NS_SCN_APP_VERB_PING &&
            st->verb.app != NS_SCN_APP_VERB_UDP_SEND)
            apps->cap_apps++;
    }
    apps->apps = g_new0(AppRt, apps->cap_apps);
    apps->by_step = g_new0(uint32_t, scn->steps->len);
    apps->dns_host = -1;
    GArray *entries = g_array_new(FALSE, TRUE, sizeof(NsDnsEntry));
    for (guint i = 0; i < scn->hosts->len; i++) {
        const NsScnHost *h = ns_scn_host(scn, i);
        for (uint32_t k = 0; k < h->n_dns_names; k++) {
            NsDnsEntry e = {.name = h->dns_names[k], .addr = h->n_addrs ? h->addrs[0].addr : 0,
                            .has6 = h->n_addrs6 > 0};
            if (e.has6)
                memcpy(e.addr6.b, h->addrs6[0].addr, 16);
            g_array_append_val(entries, e);
        }
    }
    apps->names.n = entries->len;
    apps->names.entries = (NsDnsEntry *)(void *)g_array_free(entries, FALSE);
    /* The first dns service of the file is everybody's resolver. */
    for (guint i = 0; i < scn->services->len; i++) {
        const NsScnService *s = ns_scn_service(scn, i);
        if (s->app == NS_SCN_APP_DNS) {
            apps->dns_host = (int32_t)s->host;
            break;
        }
    }
    return apps;
}

/* The DNS server a host asks: its own `resolver`, else the file's first dns
 * service, else none (names resolve from the declarations). The service's
 * IPv4 address, or its IPv6 one for an IPv6-only host or a server without
 * IPv4 (a host without IPv4 given a server without IPv6 cannot reach it:
 * its queries fail with ENETUNREACH, as they would). */
static NsDnsServerAddr resolver_of(const NsApps *apps, uint32_t host)
{
    const NsScnHost *h = ns_scn_host(apps->w->scn, host);
    NsDnsServerAddr s = {0};
    if (h->has_resolver) {
        s.addr = h->resolver;
    } else if (apps->dns_host >= 0) {
        const NsScnHost *d = ns_scn_host(apps->w->scn, (uint32_t)apps->dns_host);
        if (d->n_addrs6 && (d->n_addrs == 0 || (h->n_addrs == 0 && h->n_addrs6))) {
            s.v6 = true;
            memcpy(s.addr6.b, d->addrs6[0].addr, 16);
        } else {
            s.addr = d->addrs[0].addr;
        }
    }
    return s;
}

static bool is_dns_name(const NsApps *apps, const char *name)
{
    uint32_t addr;
    return ns_dns_table_lookup(&apps->names, name, &addr);
}

/* Where a step's server is: a DNS name is looked up (addr 0), a host's
 * own name or an address is used as it is. */
/* Where an application step goes: a name, or an address also written
 * into buf (an IPv6 one in brackets, as in a URL; *addr6 then points to it). */
static void target_of(const NsApps *apps, const NsScnEndpoint *ep, char buf[NS_IPV6_STRLEN + 2],
                      const char **host, uint32_t *addr, const NsIpv6Addr **addr6,
                      NsIpv6Addr *a6)
{
    *addr6 = NULL;
    if (ep->kind == NS_SCN_TARGET_NAME && is_dns_name(apps, ep->name)) {
        *host = ep->name; /* looked up at run time, in the families the host has */
        *addr = 0;
    } else if (ep->is_v6) {
        memcpy(a6->b, ep->addr6, 16);
        char t[NS_IPV6_STRLEN];
        g_snprintf(buf, NS_IPV6_STRLEN + 2, "[%s]", ns_ipv6_format(a6, t));
        *host = buf;
        *addr = 0;
        *addr6 = a6;
    } else if (ep->kind == NS_SCN_TARGET_NAME) {
        *host = ep->name;
        *addr = ep->addr;
    } else {
        ns_ipv4_format(ep->addr, buf);
        *host = buf;
        *addr = ep->addr;
    }
}

void *ns_apps_server_start(NsApps *apps, uint32_t service)
{
    const NsWorld *w = apps->w;
    const NsScnService *s = ns_scn_service(w->scn, service);
    NsHost *h = w->hosts[s->host].host;
    switch (s->app) {
    case NS_SCN_APP_DNS:
        return ns_dns_server_start(h, s->port, &apps->names);
    case NS_SCN_APP_HTTP:
        return ns_http_server_start(h, s->port, (const NsHttpPage *)(void *)s->pages,
                                    s->n_pages);
    case NS_SCN_APP_SMTP:
        return ns_smtp_server_start(h, s->port);
    case NS_SCN_APP_ECHO:
    case NS_SCN_APP_DISCARD:
        return ns_echo_server_start(h, s->port, s->proto == NS_SCN_PROTO_TCP,
                                    s->app == NS_SCN_APP_ECHO);
    }
    g_assert_not_reached();
}

/* Drop an application server: after a crash (its sockets are gone) or at
 * the end of the run. */
void ns_apps_server_stop(NsScnApp app, void *server, bool crashed)
{
    switch (app) {
    case NS_SCN_APP_DNS:
        if (crashed)
            ns_dns_server_crash(server);
        ns_dns_server_free(server);
        return;
    case NS_SCN_APP_HTTP:
        if (crashed)
            ns_http_server_crash(server);
        ns_http_server_free(server);
        return;
    case NS_SCN_APP_SMTP:
        if (crashed)
            ns_smtp_server_crash(server);
        ns_smtp_server_free(server);
        return;
    case NS_SCN_APP_ECHO:
    case NS_SCN_APP_DISCARD:
        if (crashed)
            ns_echo_server_crash(server);
        ns_echo_server_free(server);
        return;
    }
}

/* traceroute's names: the scenario's name of the host holding the
 * address, as an /etc/hosts listing every host would give (no DNS query
 * is sent for them). */
static const char *host_name6_of(void *data, const NsIpv6Addr *addr)
{
    const NsWorld *w = data;
    for (guint i = 0; i < w->scn->hosts->len; i++) {
        const NsScnHost *h = ns_scn_host(w->scn, i);
        for (uint32_t k = 0; k < h->n_addrs6; k++)
            if (memcmp(h->addrs6[k].addr, addr->b, 16) == 0)
                return h->name;
    }
    return NULL;
}

static const char *host_name_of(void *data, uint32_t addr)
{
    const NsWorld *w = data;
    for (guint i = 0; i < w->scn->hosts->len; i++) {
        const NsScnHost *h = ns_scn_host(w->scn, i);
        for (uint32_t k = 0; k < h->n_addrs; k++)
            if (h->addrs[k].addr == addr)
                return h->name;
    }
    return NULL;
}

static NsTracerouteMethod trace_method(NsScnTraceMethod m)
{
    switch (m) {
    case NS_SCN_TRACE_UDP:
        return NS_TRACEROUTE_UDP;
    case NS_SCN_TRACE_ICMP:
        return NS_TRACEROUTE_ICMP;
    case NS_SCN_TRACE_TCP:
        return NS_TRACEROUTE_TCP;
    }
    return NS_TRACEROUTE_UDP;
}

/* A fetch has finished (its last event): keep its result, free the rest. */
static void fetch_done(void *data, const NsFetchResult *res)
{
    AppRt *a = data;
    a->finished = true;
    a->ok = res->ok;
    a->status = res->status;
    a->bytes = res->bytes;
    a->why = res->why;
    ns_fetch_free(a->obj);
    a->obj = NULL;
}

void ns_apps_step(NsApps *apps, uint32_t step)
{
    NsWorld *w = apps->w;
    const NsScnStep *st = ns_scn_step(w->scn, step);
    HostRt *h = &w->hosts[st->host];
    g_assert(apps->n_apps < apps->cap_apps && !apps->by_step[step]);
    AppRt *a = &apps->apps[apps->n_apps++];
    apps->by_step[step] = apps->n_apps;
    a->host = (uint32_t)st->host;
    a->verb = (uint8_t)st->verb.app;
    char buf[NS_IPV6_STRLEN + 2];
    NsIpv6Addr a6;
    switch (st->verb.app) {
    case NS_SCN_APP_VERB_FETCH: {
        NsFetchSpec spec = {
            .url = st->u.fetch.url.text,
            .port = st->u.fetch.url.server.port,
            .path = st->u.fetch.url.path,
            .requests = st->u.fetch.keep_alive ? st->u.fetch.requests : 1,
            .parallel = st->u.fetch.parallel,
            .dns_server = resolver_of(apps, a->host),
            .names = &apps->names,
        };
        target_of(apps, &st->u.fetch.url.server, buf, &spec.host, &spec.addr, &spec.addr6, &a6);
        a->obj = ns_fetch_start(h->host, &spec, fetch_done, a);
        break;
    }
    case NS_SCN_APP_VERB_RESOLVE: {
        NsDnsServerAddr srv = resolver_of(apps, a->host);
        a->obj = ns_dns_resolve_via(h->host, &srv, st->u.resolve.aaaa, st->u.resolve.name,
                                    &apps->names, NULL, NULL);
        break;
    }
    case NS_SCN_APP_VERB_MAIL: {
        NsMailSpec spec = {
            .port = st->u.send_to.to.port,
            .message = st->u.send_to.payload.data, /* NULL: the pattern */
            .len = st->u.send_to.payload.len,
            .dns_server = resolver_of(apps, a->host),
            .names = &apps->names,
        };
        target_of(apps, &st->u.send_to.to, buf, &spec.server, &spec.addr, &spec.addr6, &a6);
        a->obj = ns_mail_start(h->host, &spec, NULL, NULL);
        break;
    }
    case NS_SCN_APP_VERB_TRACEROUTE: {
        const NsScnEndpoint *tg = &st->u.traceroute.target;
        NsTracerouteSpec spec = {
            .dst = tg->addr,
            .target = tg->kind == NS_SCN_TARGET_NAME ? tg->name : NULL,
            .method = trace_method(st->u.traceroute.method),
            .port = st->u.traceroute.port,
            .max_hops = st->u.traceroute.max_hops,
            .queries = st->u.traceroute.queries,
            .ident = ns_steps_icmp_id(w->steps, h->idx),
            .name_of = host_name_of,
            .name6_of = host_name6_of,
            .name_data = w,
        };
        if (tg->is_v6) {
            spec.v6 = true;
            memcpy(spec.dst6.b, tg->addr6, 16);
        }
        a->obj = ns_traceroute_start(h->host, &spec);
        break;
    }
    case NS_SCN_APP_VERB_PING:
    case NS_SCN_APP_VERB_UDP_SEND:
        g_assert_not_reached(); /* steps.c runs them */
    }
}

/* Crash (when `crashed`) and free one step's application object. */
static void app_drop(AppRt *a, bool crashed)
{
    if (!a->obj)
        return;
    switch ((NsScnAppVerb)a->verb) {
    case NS_SCN_APP_VERB_FETCH:
        if (crashed)
            ns_fetch_crash(a->obj);
        ns_fetch_free(a->obj);
        break;
    case NS_SCN_APP_VERB_RESOLVE:
        if (crashed)
            ns_resolve_crash(a->obj);
        ns_resolve_free(a->obj);
        break;
    case NS_SCN_APP_VERB_MAIL:
        if (crashed)
            ns_mail_crash(a->obj);
        ns_mail_free(a->obj);
        break;
    case NS_SCN_APP_VERB_TRACEROUTE:
        if (crashed)
            ns_traceroute_crash(a->obj);
        ns_traceroute_free(a->obj);
        break;
    case NS_SCN_APP_VERB_PING:
    case NS_SCN_APP_VERB_UDP_SEND:
        g_assert_not_reached(); /* they have no application object */
    }
    a->obj = NULL;
}

void ns_apps_host_crashed(NsApps *apps, uint32_t host)
{
    for (uint32_t i = 0; i < apps->n_apps; i++) {
        AppRt *a = &apps->apps[i];
        if (a->host == host) {
            a->crashed = true;
            app_drop(a, true);
        }
    }
}

void ns_apps_stop(NsApps *apps)
{
    for (uint32_t i = 0; i < apps->n_apps; i++)
        app_drop(&apps->apps[i], false);
}

void ns_apps_free(NsApps *apps)
{
    if (!apps)
        return;
    for (uint32_t i = 0; i < apps->n_apps; i++)
        app_drop(&apps->apps[i], false);
    g_free(apps->apps);
    g_free(apps->by_step);
    g_free((void *)apps->names.entries);
    g_free(apps);
}

static const AppRt *app_of_step(const NsApps *apps, uint32_t step)
{
    uint32_t k = step < apps->w->scn->steps->len ? apps->by_step[step] : 0;
    return k ? &apps->apps[k - 1] : NULL;
}

/* `expect H fetch URL [status N] [bytes N]`: "" when it holds, else what
 * was seen. */
char *ns_apps_check_fetch(const NsApps *apps, const NsScnExpect *e)
{
    const AppRt *a = app_of_step(apps, e->u.fetch.step);
    /* A crash loses the result, as it loses the application's memory. */
    if (!a || !a->finished || a->crashed)
        return g_strdup(a && a->crashed ? "the host crashed before it finished"
                                        : "the fetch never finished");
    GString *s = g_string_new(NULL);
    if (e->u.fetch.has_status && a->status != e->u.fetch.status)
        g_string_append_printf(s, "status %u", a->status);
    if (e->u.fetch.has_bytes && a->bytes != e->u.fetch.bytes)
        g_string_append_printf(s, "%s%" G_GUINT64_FORMAT " bytes", s->len ? ", " : "",
                               a->bytes);
    if (s->len == 0 && !a->ok)
        g_string_append(s, a->why ? a->why : "it failed");
    return g_string_free(s, FALSE);
}

char *ns_apps_check_mail(const NsApps *apps, const NsScnExpect *e)
{
    const AppRt *a = app_of_step(apps, e->u.mail.step);
    const NsMailResult *r = a && a->obj ? ns_mail_result(a->obj) : NULL;
    if (!r)
        return g_strdup(a && a->crashed ? "the host crashed before it finished"
                                        : "the mail was never finished");
    if (r->ok)
        return g_strdup("");
    return g_strdup_printf("%s (last reply %u)", r->why ? r->why : "refused", r->code);
}
