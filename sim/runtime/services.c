/* The echo and discard services (RFC 862, RFC 863) over UDP and TCP,
 * written against the socket layer like any program. */
#include <errno.h>

#include "world-private.h"

static const char *app_name(int app)
{
    return app == NS_SCN_APP_ECHO ? "echo" : "discard";
}

static void udp_readable(void *data, NsSocket *sock)
{
    ServiceRt *svc = data;
    uint8_t buf[65536];
    for (;;) {
        uint32_t from;
        uint16_t port;
        long n = ns_socket_recvfrom(sock, buf, sizeof buf, &from, &port);
        if (n < 0)
            break;
        if (svc->app == NS_SCN_APP_ECHO)
            ns_socket_sendto(sock, buf, (size_t)n, from, port);
    }
}

static void conn_free(ServiceConn *c)
{
    if (c->pending)
        g_byte_array_free(c->pending, TRUE);
    g_free(c);
}

static void conn_close(ServiceConn *c)
{
    ServiceRt *svc = c->svc;
    ns_socket_close(c->sock);
    g_ptr_array_remove(svc->conns, c);
    conn_free(c);
}

/* Read what is there; echo writes it back as the send buffer allows; the
 * connection is closed once the client has closed and all is written. */
static void conn_ready(void *data, NsSocket *sock)
{
    ServiceConn *c = data;
    NsWorld *w = c->svc->w;
    uint8_t buf[16384];
    for (;;) {
        if (c->pending && c->pending->len) {
            long n = ns_socket_write(sock, c->pending->data, c->pending->len);
            if (n > 0) {
                ns_world_stream_wrote(w, sock, c->pending->data, (size_t)n);
                g_byte_array_remove_range(c->pending, 0, (guint)n);
            } else if (n != -EAGAIN) {
                conn_close(c); /* reset or closed under us */
                return;
            }
            if (c->pending->len)
                return; /* wait for room */
        }
        if (c->eof)
            break;
        long n = ns_socket_recvfrom(sock, buf, sizeof buf, NULL, NULL);
        if (n == -EAGAIN)
            return;
        if (n <= 0) {
            c->eof = true;
            continue;
        }
        ns_world_stream_read(w, sock, buf, (size_t)n);
        if (c->svc->app == NS_SCN_APP_ECHO)
            g_byte_array_append(c->pending, buf, (guint)n);
    }
    conn_close(c);
}

static void listener_ready(void *data, NsSocket *sock)
{
    ServiceRt *svc = data;
    for (;;) {
        int err;
        NsSocket *a = ns_socket_accept(sock, &err);
        if (!a)
            return;
        ServiceConn *c = g_new0(ServiceConn, 1);
        c->svc = svc;
        c->sock = a;
        if (svc->app == NS_SCN_APP_ECHO)
            c->pending = g_byte_array_new();
        g_ptr_array_add(svc->conns, c);
        ns_socket_set_watch(a, conn_ready, c);
        conn_ready(c, a);
    }
}

void ns_world_service_start(NsWorld *w, ServiceRt *svc)
{
    const NsScnService *s = ns_scn_service(w->scn, svc->index);
    NsHost *host = w->hosts[s->host].host;
    int err;
    svc->w = w;
    svc->app = s->app;
    if (ns_world_app_service_start(w, svc))
        return;
    svc->tcp = s->proto == NS_SCN_PROTO_TCP;
    if (!svc->conns)
        svc->conns = g_ptr_array_new();
    svc->sock = ns_socket_new(host, svc->tcp ? NS_SOCK_TCP : NS_SOCK_UDP, &err);
    if (svc->sock)
        err = ns_socket_bind(svc->sock, 0, s->port);
    if (!err && svc->tcp)
        err = ns_socket_listen(svc->sock, 128);
    const char *proto = svc->tcp ? "tcp" : "udp";
    g_autofree char *text = g_strdup_printf("%s %s on %s port %u%s", app_name(s->app),
                                            err ? "failed to start" : "listening", proto,
                                            s->port, err ? ":" : "");
    ns_world_trace_app(w, s->host, "service", text, err);
    if (err) {
        if (svc->sock)
            ns_socket_close(svc->sock);
        svc->sock = NULL;
        return;
    }
    ns_socket_set_watch(svc->sock, svc->tcp ? listener_ready : udp_readable, svc);
}

void ns_world_service_forget(ServiceRt *svc)
{
    if (svc->w)
        ns_world_app_service_stop(svc->w, svc, true);
    svc->sock = NULL;
    if (!svc->conns)
        return;
    for (guint i = 0; i < svc->conns->len; i++)
        conn_free(g_ptr_array_index(svc->conns, i));
    g_ptr_array_set_size(svc->conns, 0);
}

void ns_world_service_free(ServiceRt *svc)
{
    if (svc->w)
        ns_world_app_service_stop(svc->w, svc, false);
    ns_world_service_forget(svc);
    if (svc->conns)
        g_ptr_array_free(svc->conns, TRUE);
    g_free(svc);
}

void ns_world_services_start_host(NsWorld *w, uint32_t host)
{
    for (guint i = 0; i < w->services->len; i++) {
        ServiceRt *svc = g_ptr_array_index(w->services, i);
        if (ns_scn_service(w->scn, svc->index)->host == host)
            ns_world_service_start(w, svc);
    }
}

void ns_world_services_start_all(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsWorld *w = obj;
    for (guint i = 0; i < w->services->len; i++)
        ns_world_service_start(w, g_ptr_array_index(w->services, i));
}
