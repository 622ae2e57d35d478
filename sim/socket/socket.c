/* The socket layer: one table of sockets per host, dispatch to the
 * transport by type, and deferred readiness notifications. */
#include "netsim/socket.h"

#include <errno.h>

#include "netsim/ip.h"
#include "netsim/udp.h"

struct NsSocket {
    NsHost *host;
    NsSockType type;
    uint32_t fd;
    NsUdpSock *udp;
    NsSocketWatchFn watch;
    void *watch_data;
    NsEventId notify_ev; /* pending deferred notification */
    bool closed;
};

typedef struct {
    NsHost *host;
    GPtrArray *socks; /* NsSocket*, creation order */
    uint32_t next_fd;
} Layer;

static Layer *layer_of(const NsHost *host)
{
    return ns_host_slot(host, NS_HOST_SLOT_SOCKET);
}

void ns_socket_layer_init(NsHost *host)
{
    Layer *l = g_new0(Layer, 1);
    l->host = host;
    l->socks = g_ptr_array_new();
    l->next_fd = 3; /* 0-2 are the standard streams on a real host */
    ns_host_set_slot(host, NS_HOST_SLOT_SOCKET, l);
    ns_udp_new(host);
}

static void sock_free(NsSocket *s)
{
    ns_sim_cancel(ns_host_ctx(s->host)->sim, &s->notify_ev);
    ns_udp_sock_free(s->udp);
    g_free(s);
}

void ns_socket_layer_crash(NsHost *host)
{
    Layer *l = layer_of(host);
    for (guint i = 0; i < l->socks->len; i++)
        sock_free(g_ptr_array_index(l->socks, i));
    g_ptr_array_set_size(l->socks, 0);
}

void ns_socket_layer_free(NsHost *host)
{
    Layer *l = layer_of(host);
    if (!l)
        return;
    ns_socket_layer_crash(host);
    g_ptr_array_free(l->socks, TRUE);
    ns_udp_free(ns_udp_of(host));
    ns_host_set_slot(host, NS_HOST_SLOT_UDP, NULL);
    ns_host_set_slot(host, NS_HOST_SLOT_SOCKET, NULL);
    g_free(l);
}

static void notify_now(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    NsSocket *s = obj;
    s->notify_ev = NS_EVENT_NONE;
    if (s->watch)
        s->watch(s->watch_data, s);
}

/* Transports call this synchronously; the owner hears of it in an event of
 * its own, coalesced while one is pending. */
static void transport_notify(void *owner)
{
    NsSocket *s = owner;
    NsSim *sim = ns_host_ctx(s->host)->sim;
    if (!ns_sim_is_pending(sim, s->notify_ev))
        s->notify_ev = ns_sim_schedule(sim, 0, notify_now, s, NULL);
}

NsSocket *ns_socket_new(NsHost *host, NsSockType type, int *err)
{
    Layer *l = layer_of(host);
    if (type != NS_SOCK_UDP) {
        *err = EPROTONOSUPPORT;
        return NULL;
    }
    NsSocket *s = g_new0(NsSocket, 1);
    s->host = host;
    s->type = type;
    s->fd = l->next_fd++;
    s->udp = ns_udp_sock_new(ns_udp_of(host), transport_notify, s);
    g_ptr_array_add(l->socks, s);
    *err = 0;
    return s;
}

NsSockType ns_socket_type(const NsSocket *sock) { return sock->type; }
NsHost *ns_socket_host(const NsSocket *sock) { return sock->host; }
uint32_t ns_socket_fd(const NsSocket *sock) { return sock->fd; }

void ns_socket_set_watch(NsSocket *sock, NsSocketWatchFn fn, void *data)
{
    sock->watch = fn;
    sock->watch_data = data;
}

int ns_socket_bind(NsSocket *sock, uint32_t addr, uint16_t port)
{
    return ns_udp_bind(sock->udp, addr, port);
}

int ns_socket_connect(NsSocket *sock, uint32_t addr, uint16_t port)
{
    return ns_udp_connect(sock->udp, addr, port);
}

int ns_socket_sendto(NsSocket *sock, const uint8_t *data, size_t len, uint32_t addr,
                     uint16_t port, const NsIpTraceInfo *info)
{
    if (port == 0)
        return EINVAL;
    return ns_udp_sendto(sock->udp, data, len, addr, port, info);
}

int ns_socket_send(NsSocket *sock, const uint8_t *data, size_t len, const NsIpTraceInfo *info)
{
    return ns_udp_sendto(sock->udp, data, len, 0, 0, info);
}

long ns_socket_recvfrom(NsSocket *sock, uint8_t *buf, size_t cap, uint32_t *addr,
                        uint16_t *port)
{
    return ns_udp_recvfrom(sock->udp, buf, cap, addr, port);
}

int ns_socket_shutdown(NsSocket *sock, NsShutHow how)
{
    (void)how;
    /* Datagram sockets have no connection to half-close; Linux accepts the
     * call on a connected UDP socket and refuses it otherwise. */
    return ns_udp_sock_pcb(sock->udp)->raddr ? 0 : ENOTCONN;
}

int ns_socket_close(NsSocket *sock)
{
    Layer *l = layer_of(sock->host);
    const NsPcb *pcb = ns_udp_sock_pcb(sock->udp);
    NsCtx *ctx = ns_host_ctx(sock->host);
    if (pcb->lport && ns_tracer_wants(ctx->tracer, NS_TRACE_SOCK)) {
        NsTraceEvent ev = {.time = ns_sim_now(ctx->sim), .kind = NS_TRACE_SOCK,
                           .host = ns_host_name(sock->host), .what = "closed",
                           .cause = "port free again", .proto = 17, .src = pcb->laddr,
                           .sport = pcb->lport, .dst = pcb->raddr, .dport = pcb->rport};
        ns_trace_emit(ctx->tracer, &ev);
    }
    g_ptr_array_remove(l->socks, sock);
    sock_free(sock);
    return 0;
}

int ns_socket_take_error(NsSocket *sock)
{
    return ns_udp_take_error(sock->udp);
}

bool ns_socket_readable(const NsSocket *sock)
{
    return ns_udp_queued(sock->udp, NULL) > 0;
}

void ns_socket_local(const NsSocket *sock, uint32_t *addr, uint16_t *port)
{
    const NsPcb *p = ns_udp_sock_pcb(sock->udp);
    *addr = p->laddr;
    *port = p->lport;
}

void ns_socket_peer(const NsSocket *sock, uint32_t *addr, uint16_t *port)
{
    const NsPcb *p = ns_udp_sock_pcb(sock->udp);
    *addr = p->raddr;
    *port = p->rport;
}

GArray *ns_socket_table(const NsHost *host)
{
    Layer *l = layer_of(host);
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(NsSocketRow));
    for (guint i = 0; l && i < l->socks->len; i++) {
        NsSocket *s = g_ptr_array_index(l->socks, i);
        const NsPcb *p = ns_udp_sock_pcb(s->udp);
        size_t bytes;
        ns_udp_queued(s->udp, &bytes);
        NsSocketRow r = {.proto = "udp", .state = p->raddr ? "ESTAB" : "UNCONN",
                         .recv_q = (uint32_t)bytes, .laddr = p->laddr, .lport = p->lport,
                         .raddr = p->raddr, .rport = p->rport, .fd = s->fd};
        g_array_append_val(rows, r);
    }
    return rows;
}

uint32_t ns_socket_count(const NsHost *host)
{
    Layer *l = layer_of(host);
    return l ? l->socks->len : 0;
}
