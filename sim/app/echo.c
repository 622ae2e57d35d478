/* The echo (RFC 862) and discard (RFC 863) servers, over TCP on the shared
 * server skeleton or over UDP: echo sends back every byte it reads,
 * discard reads and drops. A TCP connection is closed once the client
 * has closed its side and everything is written back. */
#include "app-private.h"

#include <errno.h>

#include "netsim/ip6.h"

#define IO_CHUNK 16384

struct NsEchoServer {
    NsHost *host;
    bool echo;      /* else discard */
    AppServer *srv; /* TCP */
    NsSocket *udp;  /* UDP; NULL after a crash */
    bool udp6;      /* the UDP socket is on [::]: datagrams of both families */
};

typedef struct {
    AppConn base;
    NsEchoServer *es;
    GByteArray *pending; /* echo: read, not yet written back */
    bool eof;
} EchoConn;

static void udp_readable(void *data, NsSocket *sock)
{
    NsEchoServer *s = data;
    uint8_t buf[65536];
    for (;;) {
        uint32_t from = 0;
        NsIpv6Addr from6;
        uint16_t port;
        long n = s->udp6 ? ns_socket_recvfrom6(sock, buf, sizeof buf, &from6, &port)
                         : ns_socket_recvfrom(sock, buf, sizeof buf, &from, &port);
        if (n < 0)
            break;
        if (s->echo && s->udp6)
            ns_socket_sendto6(sock, buf, (size_t)n, &from6, port);
        else if (s->echo)
            ns_socket_sendto(sock, buf, (size_t)n, from, port);
    }
}

static void conn_opened(AppConn *base)
{
    EchoConn *c = (EchoConn *)base;
    c->es = ns_app_server_app(base->srv);
    if (c->es->echo)
        c->pending = g_byte_array_new();
}

static void conn_closed(AppConn *base)
{
    EchoConn *c = (EchoConn *)base;
    if (c->pending)
        g_byte_array_free(c->pending, TRUE);
}

/* Read what is there; echo writes it back as the send buffer allows. */
static void conn_ready(AppConn *base)
{
    EchoConn *c = (EchoConn *)base;
    NsEchoServer *s = c->es;
    NsSocket *sock = base->sock;
    uint8_t buf[IO_CHUNK];
    for (;;) {
        if (c->pending && c->pending->len) {
            long n = ns_socket_write(sock, c->pending->data, c->pending->len);
            if (n > 0) {
                g_byte_array_remove_range(c->pending, 0, (guint)n);
            } else if (n != -EAGAIN) {
                ns_app_conn_close(base); /* reset or closed under us */
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
        if (s->echo)
            g_byte_array_append(c->pending, buf, (guint)n);
    }
    ns_app_conn_close(base);
}

static const AppServerOps echo_ops = {sizeof(EchoConn), conn_opened, conn_ready, conn_closed};

NsEchoServer *ns_echo_server_start(NsHost *h, uint16_t port, bool tcp, bool echo)
{
    g_return_val_if_fail(h != NULL, NULL);
    NsEchoServer *s = g_new0(NsEchoServer, 1);
    s->host = h;
    s->echo = echo;
    int err = 0;
    if (tcp) {
        s->srv = ns_app_server_listen(h, port, &echo_ops, s, &err);
    } else {
        /* on [::] when the host has an IPv6 address, as the TCP listener */
        static const NsIpv6Addr any6;
        NsIpv6Addr mine;
        s->udp6 = ns_host_first_addr6(h, &mine);
        s->udp = ns_socket_new(h, NS_SOCK_UDP, &err);
        if (s->udp)
            err = s->udp6 ? ns_socket_bind6(s->udp, &any6, port) : ns_socket_bind(s->udp, 0, port);
        err = -err; /* the trace's errno, as ns_app_server_listen() gives */
        if (err && s->udp) {
            ns_socket_close(s->udp);
            s->udp = NULL;
        }
    }
    const char *name = echo ? "echo" : "discard";
    const char *proto = tcp ? "tcp" : "udp";
    if (err) {
        ns_app_trace(h, "service", err, "%s failed to start on %s port %u:", name, proto, port);
        g_free(s);
        return NULL;
    }
    ns_app_trace(h, "service", 0, "%s listening on %s port %u", name, proto, port);
    if (s->udp)
        ns_socket_set_watch(s->udp, udp_readable, s);
    return s;
}

void ns_echo_server_crash(NsEchoServer *s)
{
    if (!s)
        return;
    ns_app_server_crash(s->srv);
    s->udp = NULL;
}

void ns_echo_server_free(NsEchoServer *s)
{
    if (!s)
        return;
    ns_app_server_free(s->srv);
    if (s->udp)
        ns_socket_close(s->udp);
    g_free(s);
}
