/* The TCP server skeleton of every server application: listen, accept
 * each connection as it comes, hand its socket's changes to the
 * application, close, forget everything after a crash, free. */
#include "app-private.h"

#include "netsim/ip6.h"

struct AppServer {
    NsHost *host;
    NsSocket *sock; /* the listener; NULL after a crash */
    const AppServerOps *ops;
    void *app;
    GPtrArray *conns; /* AppConn* (the application's structs), accept order */
};

static void conn_ready(void *data, NsSocket *sock)
{
    (void)sock;
    AppConn *c = data;
    c->srv->ops->ready(c);
}

static void listener_ready(void *data, NsSocket *sock)
{
    AppServer *s = data;
    for (;;) {
        int err;
        NsSocket *a = ns_socket_accept(sock, &err);
        if (!a)
            return;
        AppConn *c = g_malloc0(s->ops->conn_size);
        c->srv = s;
        c->sock = a;
        g_ptr_array_add(s->conns, c);
        if (s->ops->opened)
            s->ops->opened(c);
        ns_socket_set_watch(a, conn_ready, c);
        s->ops->ready(c);
    }
}

AppServer *ns_app_server_listen(NsHost *h, uint16_t port, const AppServerOps *ops, void *app,
                                int *err)
{
    g_return_val_if_fail(h && ops && ops->conn_size >= sizeof(AppConn) && ops->ready, NULL);
    NsSocket *sock = ns_socket_new(h, NS_SOCK_TCP, err);
    /* A host with an IPv6 address listens on [::], which takes IPv4 too,
     * as servers on a dual-stack Linux host do; others on 0.0.0.0. */
    static const NsIpv6Addr any6;
    NsIpv6Addr mine;
    if (sock && ns_host_first_addr6(h, &mine))
        *err = ns_socket_bind6(sock, &any6, port);
    else if (sock)
        *err = ns_socket_bind(sock, 0, port);
    if (!*err)
        *err = ns_socket_listen(sock, 128);
    if (*err) {
        *err = -*err; /* the trace's errno, for the application */
        if (sock)
            ns_socket_close(sock);
        return NULL;
    }
    AppServer *s = g_new0(AppServer, 1);
    s->host = h;
    s->sock = sock;
    s->ops = ops;
    s->app = app;
    s->conns = g_ptr_array_new();
    ns_socket_set_watch(sock, listener_ready, s);
    return s;
}

void *ns_app_server_app(const AppServer *s) { return s->app; }
NsHost *ns_app_server_host(const AppServer *s) { return s->host; }
uint32_t ns_app_server_conns(const AppServer *s) { return s ? s->conns->len : 0; }

void ns_app_conn_close(AppConn *c)
{
    AppServer *s = c->srv;
    if (c->sock)
        ns_socket_close(c->sock);
    g_ptr_array_remove(s->conns, c);
    if (s->ops->closed)
        s->ops->closed(c);
    g_free(c);
}

void ns_app_server_crash(AppServer *s)
{
    if (!s)
        return;
    s->sock = NULL;
    for (guint i = 0; i < s->conns->len; i++)
        ((AppConn *)g_ptr_array_index(s->conns, i))->sock = NULL;
}

void ns_app_server_free(AppServer *s)
{
    if (!s)
        return;
    while (s->conns->len)
        ns_app_conn_close(g_ptr_array_index(s->conns, s->conns->len - 1));
    g_ptr_array_free(s->conns, TRUE);
    if (s->sock)
        ns_socket_close(s->sock);
    g_free(s);
}
