/* The socket layer: one table of sockets per host, dispatch to the
 * transport by type, and deferred readiness notifications. */
#include "netsim/socket.h"

#include <errno.h>
#include <string.h>

#include "netsim/ip.h"
#include "netsim/tcp.h"
#include "netsim/udp.h"
#include "netsim-private/ctx.h"
#include "netsim-private/host.h"
#include "netsim-private/pcb.h"

struct NsSocket {
    NsHost *host;
    NsSockType type;
    uint32_t fd;
    NsUdpSock *udp; /* exactly one of udp and tcp */
    NsTcpSock *tcp;
    NsSocketWatchFn watch;
    void *watch_data;
    NsEventId notify_ev; /* pending deferred notification */
    bool closed;
};

/* A host's sockets, in creation order: an array sized by doubling from
 * one, that one slot in the layer itself (a client with one socket at a
 * time needs no array of its own: a GPtrArray cost 80 bytes a host). */
typedef struct {
    NsHost *host;
    NsSocket **socks; /* &sock_one until a second socket is open */
    NsSocket *sock_one;
    uint32_t n_socks, cap_socks;
    uint32_t next_fd;
    const NsStreamObserver *obs; /* NULL: nobody watches the streams */
    void *obs_data;
} Layer;

static Layer *layer_of(const NsHost *host)
{
    return ns_host_slot(host, NS_HOST_SLOT_SOCKET);
}

static void socks_add(Layer *l, NsSocket *s)
{
    NS_ONE_SLOT_RESERVE(l->socks, l->sock_one, l->n_socks, l->cap_socks);
    l->socks[l->n_socks++] = s;
}

/* Remove s, keeping the others in creation order (socket tables list them
 * so). */
static void socks_remove(Layer *l, const NsSocket *s)
{
    for (uint32_t i = 0; i < l->n_socks; i++) {
        if (l->socks[i] == s) {
            memmove(&l->socks[i], &l->socks[i + 1], (l->n_socks - i - 1) * sizeof(NsSocket *));
            l->n_socks--;
            return;
        }
    }
}

void ns_socket_layer_init(NsHost *host)
{
    Layer *l = ns_ctx_alloc0(ns_host_ctx(host), sizeof(Layer));
    l->host = host;
    l->socks = &l->sock_one;
    l->cap_socks = 1;
    l->next_fd = 3; /* 0-2 are the standard streams on a real host */
    ns_host_set_slot(host, NS_HOST_SLOT_SOCKET, l);
    ns_udp_new(host);
    ns_tcp_new(host);
}

/* Free the wrapper; UDP endpoints go with it, TCP ones are the TCP
 * layer's to free (after a crash, or when a closed connection finishes). */
static void sock_free(NsSocket *s)
{
    ns_sim_cancel(ns_host_ctx(s->host)->sim, &s->notify_ev);
    if (s->udp)
        ns_udp_sock_free(s->udp);
    g_free(s);
}

void ns_socket_layer_crash(NsHost *host)
{
    Layer *l = layer_of(host);
    for (uint32_t i = 0; i < l->n_socks; i++)
        sock_free(l->socks[i]);
    l->n_socks = 0;
    ns_tcp_crash(ns_tcp_of(host));
}

void ns_socket_layer_free(NsHost *host)
{
    Layer *l = layer_of(host);
    if (!l)
        return;
    ns_socket_layer_crash(host);
    if (l->socks != &l->sock_one)
        g_free(l->socks);
    ns_udp_free(ns_udp_of(host));
    ns_tcp_free(ns_tcp_of(host));
    ns_host_set_slot(host, NS_HOST_SLOT_UDP, NULL);
    ns_host_set_slot(host, NS_HOST_SLOT_TCP, NULL);
    ns_host_set_slot(host, NS_HOST_SLOT_SOCKET, NULL);
    ns_ctx_release(ns_host_ctx(host), l);
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

static NsSocket *wrap(NsHost *host, NsSockType type)
{
    Layer *l = layer_of(host);
    NsSocket *s = g_new0(NsSocket, 1);
    s->host = host;
    s->type = type;
    s->fd = l->next_fd++;
    socks_add(l, s);
    return s;
}

NsSocket *ns_socket_new(NsHost *host, NsSockType type, int *err)
{
    NsSocket *s = wrap(host, type);
    if (type == NS_SOCK_UDP)
        s->udp = ns_udp_sock_new(ns_udp_of(host), transport_notify, s);
    else
        s->tcp = ns_tcp_sock_new(ns_tcp_of(host), transport_notify, s);
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

static const NsPcb *pcb_of(const NsSocket *sock)
{
    return sock->udp ? ns_udp_sock_pcb(sock->udp) : ns_tcp_sock_pcb(sock->tcp);
}

int ns_socket_bind(NsSocket *sock, uint32_t addr, uint16_t port)
{
    return -(sock->tcp ? ns_tcp_bind(sock->tcp, addr, port) : ns_udp_bind(sock->udp, addr, port));
}

int ns_socket_connect(NsSocket *sock, uint32_t addr, uint16_t port)
{
    return -(sock->tcp ? ns_tcp_connect(sock->tcp, addr, port)
                       : ns_udp_connect(sock->udp, addr, port));
}

int ns_socket_bind6(NsSocket *sock, const NsIpv6Addr *addr, uint16_t port)
{
    return -(sock->tcp ? ns_tcp_bind6(sock->tcp, addr, port)
                       : ns_udp_bind6(sock->udp, addr, port));
}

int ns_socket_connect6(NsSocket *sock, const NsIpv6Addr *addr, uint16_t port)
{
    return -(sock->tcp ? ns_tcp_connect6(sock->tcp, addr, port)
                       : ns_udp_connect6(sock->udp, addr, port));
}

bool ns_socket_is_v6(const NsSocket *sock)
{
    return pcb_of(sock)->af6;
}

/* An IPv6-family socket keeps its ends as IPv6 addresses (IPv4 ones
 * already mapped); an IPv4 one has them mapped here, 0.0.0.0 as ::. */
static NsIpv6Addr end6(const NsPcb *p, const NsIpv6Addr *a6, uint32_t a4)
{
    if (p->af6 || a4 == 0)
        return p->af6 ? *a6 : (NsIpv6Addr){{0}};
    return ns_ipv6_map_v4(a4);
}

void ns_socket_local6(const NsSocket *sock, NsIpv6Addr *addr, uint16_t *port)
{
    const NsPcb *p = pcb_of(sock);
    *addr = end6(p, &p->laddr6, p->laddr);
    *port = p->lport;
}

void ns_socket_peer6(const NsSocket *sock, NsIpv6Addr *addr, uint16_t *port)
{
    const NsPcb *p = pcb_of(sock);
    *addr = end6(p, &p->raddr6, p->raddr);
    *port = p->rport;
}

int ns_socket_listen(NsSocket *sock, uint32_t backlog)
{
    if (!sock->tcp)
        return -EOPNOTSUPP;
    return -ns_tcp_listen(sock->tcp, backlog);
}

NsSocket *ns_socket_accept(NsSocket *listener, int *err)
{
    if (!listener->tcp) {
        *err = -EOPNOTSUPP;
        return NULL;
    }
    NsTcpSock *t = ns_tcp_accept(listener->tcp, err);
    if (!t) {
        *err = -*err;
        return NULL;
    }
    NsSocket *s = wrap(listener->host, NS_SOCK_TCP);
    s->tcp = t;
    ns_tcp_sock_set_notify(t, transport_notify, s);
    *err = 0;
    return s;
}

void ns_socket_set_stream_observer(NsHost *host, const NsStreamObserver *obs, void *data)
{
    Layer *l = layer_of(host);
    l->obs = obs;
    l->obs_data = data;
}

static long tcp_write(NsSocket *sock, const uint8_t *data, size_t len)
{
    long n = ns_tcp_send(sock->tcp, data, len);
    const Layer *l = layer_of(sock->host);
    if (n > 0 && l->obs)
        l->obs->wrote(l->obs_data, sock, data, (size_t)n);
    return n;
}

long ns_socket_write(NsSocket *sock, const uint8_t *data, size_t len)
{
    if (sock->tcp)
        return tcp_write(sock, data, len);
    int err = ns_udp_sendto(sock->udp, data, len, 0, 0);
    return err ? -err : (long)len;
}

long ns_socket_write_pattern(NsSocket *sock, const uint8_t *head, size_t head_len, uint64_t off,
                             size_t len)
{
    if (!sock->tcp)
        return -EOPNOTSUPP;
    long n = ns_tcp_send_pattern(sock->tcp, head, head_len, off, len);
    const Layer *l = layer_of(sock->host);
    if (n > 0 && l->obs) {
        size_t h = (size_t)n < head_len ? (size_t)n : head_len;
        if (h)
            l->obs->wrote(l->obs_data, sock, head, h);
        if ((size_t)n > h)
            l->obs->wrote_pattern(l->obs_data, sock, off, (size_t)n - h);
    }
    return n;
}

int ns_socket_sendto(NsSocket *sock, const uint8_t *data, size_t len, uint32_t addr,
                     uint16_t port)
{
    if (sock->tcp) /* as Linux: the address of a stream socket's sendto is ignored */
        return ns_socket_send(sock, data, len);
    if (port == 0)
        return -EINVAL;
    return -ns_udp_sendto(sock->udp, data, len, addr, port);
}

int ns_socket_sendto6(NsSocket *sock, const uint8_t *data, size_t len, const NsIpv6Addr *addr,
                      uint16_t port)
{
    if (sock->tcp)
        return ns_socket_send(sock, data, len);
    if (port == 0)
        return -EINVAL;
    return -ns_udp_sendto6(sock->udp, data, len, addr, port);
}

int ns_socket_send(NsSocket *sock, const uint8_t *data, size_t len)
{
    if (sock->tcp) {
        long n = tcp_write(sock, data, len);
        return n < 0 ? (int)n : (size_t)n == len ? 0 : -EAGAIN;
    }
    return -ns_udp_sendto(sock->udp, data, len, 0, 0);
}

long ns_socket_recvfrom(NsSocket *sock, uint8_t *buf, size_t cap, uint32_t *addr,
                        uint16_t *port)
{
    if (sock->tcp) {
        const NsPcb *p = ns_tcp_sock_pcb(sock->tcp);
        if (addr)
            *addr = p->raddr;
        if (port)
            *port = p->rport;
        long n = ns_tcp_recv(sock->tcp, buf, cap);
        const Layer *l = layer_of(sock->host);
        if (n > 0 && l->obs)
            l->obs->read(l->obs_data, sock, buf, (size_t)n);
        return n;
    }
    return ns_udp_recvfrom(sock->udp, buf, cap, addr, port);
}

long ns_socket_skip(NsSocket *sock, size_t cap)
{
    if (!sock->tcp)
        return -EOPNOTSUPP;
    const Layer *l = layer_of(sock->host);
    if (!l->obs)
        return ns_tcp_recv(sock->tcp, NULL, cap);
    /* The observer hears the bytes: they are made, in one read as big. */
    uint8_t small[16384];
    uint8_t *buf = cap <= sizeof small ? small : g_malloc(cap);
    long n = ns_socket_recvfrom(sock, buf, cap, NULL, NULL);
    if (buf != small)
        g_free(buf);
    return n;
}

long ns_socket_recvfrom6(NsSocket *sock, uint8_t *buf, size_t cap, NsIpv6Addr *addr,
                         uint16_t *port)
{
    if (sock->tcp) {
        if (addr)
            *addr = ns_tcp_sock_pcb(sock->tcp)->raddr6;
        return ns_socket_recvfrom(sock, buf, cap, NULL, port);
    }
    return ns_udp_recvfrom6(sock->udp, buf, cap, addr, port);
}

int ns_socket_shutdown(NsSocket *sock, NsShutHow how)
{
    if (sock->tcp)
        return -ns_tcp_shutdown(sock->tcp, (how & NS_SHUT_RD) != 0, (how & NS_SHUT_WR) != 0);
    /* Datagram sockets have no connection to half-close; Linux accepts the
     * call on a connected UDP socket and refuses it otherwise. */
    return ns_udp_sock_pcb(sock->udp)->rport ? 0 : -ENOTCONN;
}

int ns_socket_set_nodelay(NsSocket *sock, bool on)
{
    if (!sock->tcp)
        return -ENOPROTOOPT;
    ns_tcp_set_nodelay(sock->tcp, on);
    return 0;
}

int ns_socket_state(const NsSocket *sock)
{
    return sock->tcp ? (int)ns_tcp_state(sock->tcp) : -1;
}

int ns_socket_close(NsSocket *sock)
{
    Layer *l = layer_of(sock->host);
    if (sock->tcp) {
        /* The connection may live on (FIN-WAIT, TIME-WAIT): TCP traces it. */
        int err = ns_tcp_close(sock->tcp);
        socks_remove(l, sock);
        sock_free(sock);
        return -err;
    }
    const NsPcb *pcb = ns_udp_sock_pcb(sock->udp);
    NsCtx *ctx = ns_host_ctx(sock->host);
    if (pcb->lport && ns_tracer_wants(ctx->tracer, NS_TRACE_SOCK)) {
        NsTraceEvent ev = {.time = ns_sim_now(ctx->sim), .kind = NS_TRACE_SOCK,
                           .host = ns_host_name(sock->host), .sock_op = NS_SOCK_OP_CLOSED,
                           .sock_id = pcb->id, .proto = 17};
        ns_pcb_trace_ends(pcb, &ev);
        ns_trace_emit(ctx->tracer, &ev);
    }
    socks_remove(l, sock);
    sock_free(sock);
    return 0;
}

int ns_socket_take_error(NsSocket *sock)
{
    if (sock->tcp)
        return ns_tcp_take_error(sock->tcp);
    return ns_udp_take_error(sock->udp);
}

long ns_socket_peek(NsSocket *sock, uint8_t *buf, size_t cap)
{
    if (!sock->tcp)
        return -EOPNOTSUPP;
    return ns_tcp_peek(sock->tcp, buf, cap);
}

uint32_t ns_socket_poll(const NsSocket *sock)
{
    if (sock->tcp)
        return ns_tcp_poll(sock->tcp);
    /* a datagram socket can always send; readable with a datagram queued */
    uint32_t mask = NS_POLLOUT | NS_POLLWRNORM;
    if (ns_udp_queued(sock->udp, NULL) > 0)
        mask |= NS_POLLIN | NS_POLLRDNORM;
    return mask;
}

int ns_socket_setopt(NsSocket *sock, NsSockOpt opt, int64_t value)
{
    if (!sock->tcp)
        return -ENOPROTOOPT;
    return ns_tcp_setsockopt(sock->tcp, opt, value);
}

int ns_socket_getopt(const NsSocket *sock, NsSockOpt opt, int64_t *value)
{
    if (!sock->tcp)
        return -ENOPROTOOPT;
    return ns_tcp_getsockopt(sock->tcp, opt, value);
}

int ns_socket_tcp_info(const NsSocket *sock, NsTcpInfo *out)
{
    if (!sock->tcp)
        return -ENOPROTOOPT;
    ns_tcp_info(sock->tcp, out);
    return 0;
}

bool ns_socket_readable(const NsSocket *sock)
{
    if (sock->tcp)
        return ns_tcp_readable(sock->tcp) > 0 || ns_tcp_at_eof(sock->tcp) ||
               ns_tcp_has_error(sock->tcp) || ns_tcp_accept_pending(sock->tcp) > 0;
    return ns_udp_queued(sock->udp, NULL) > 0;
}

uint32_t ns_socket_id(const NsSocket *sock)
{
    return sock->tcp ? ns_tcp_sock_pcb(sock->tcp)->id : 0;
}

bool ns_socket_isns(const NsSocket *sock, uint32_t *iss, uint32_t *irs)
{
    return sock->tcp && ns_tcp_isns(sock->tcp, iss, irs);
}

void ns_socket_local(const NsSocket *sock, uint32_t *addr, uint16_t *port)
{
    const NsPcb *p = pcb_of(sock);
    *addr = p->laddr;
    *port = p->lport;
}

void ns_socket_peer(const NsSocket *sock, uint32_t *addr, uint16_t *port)
{
    const NsPcb *p = pcb_of(sock);
    *addr = p->raddr;
    *port = p->rport;
}

/* ss's short names for the TCP states (iproute2's sstate_name: a closed
 * socket, TCP's or UDP's, is UNCONN). */
static const char *ss_state(NsTcpState st)
{
    switch (st) {
    case NS_TCP_STATE_CLOSED:
        return "UNCONN";
    case NS_TCP_STATE_LISTEN:
        return "LISTEN";
    case NS_TCP_STATE_SYN_SENT:
        return "SYN-SENT";
    case NS_TCP_STATE_SYN_RECEIVED:
        return "SYN-RECV";
    case NS_TCP_STATE_ESTABLISHED:
        return "ESTAB";
    case NS_TCP_STATE_FIN_WAIT_1:
        return "FIN-WAIT-1";
    case NS_TCP_STATE_FIN_WAIT_2:
        return "FIN-WAIT-2";
    case NS_TCP_STATE_CLOSE_WAIT:
        return "CLOSE-WAIT";
    case NS_TCP_STATE_CLOSING:
        return "CLOSING";
    case NS_TCP_STATE_LAST_ACK:
        return "LAST-ACK";
    case NS_TCP_STATE_TIME_WAIT:
        return "TIME-WAIT";
    }
    return "?";
}

typedef struct {
    GArray *rows;
    const Layer *layer;
} TcpRows;

static void tcp_row(const NsTcpSock *t, bool orphan, void *data)
{
    TcpRows *tr = data;
    const NsPcb *p = ns_tcp_sock_pcb(t);
    NsTcpInfo info;
    ns_tcp_info(t, &info);
    uint32_t fd = 0;
    for (uint32_t i = 0; i < tr->layer->n_socks && !orphan; i++) {
        const NsSocket *s = tr->layer->socks[i];
        if (s->tcp == t)
            fd = s->fd;
    }
    NsTcpState st = ns_tcp_state(t);
    NsSocketRow r = {.proto = "tcp", .state = ss_state(st), .tcp_state = (int)st,
                     .orphan = orphan, .recv_q = info.recv_q, .send_q = info.send_q,
                     .laddr = p->laddr, .lport = p->lport, .raddr = p->raddr,
                     .rport = p->rport, .fd = fd, .af6 = p->af6, .laddr6 = p->laddr6,
                     .raddr6 = p->raddr6};
    g_array_append_val(tr->rows, r);
}

void ns_socket_row_ends(const NsSocketRow *row, char local[NS_SOCKET_END_STRLEN],
                        char peer[NS_SOCKET_END_STRLEN])
{
    char a[NS_IPV6_STRLEN];
    if (row->af6 ? ns_ipv6_is_unspecified(&row->laddr6) : row->laddr == 0)
        g_snprintf(local, NS_SOCKET_END_STRLEN, "*:%u", row->lport);
    else if (row->af6)
        g_snprintf(local, NS_SOCKET_END_STRLEN, "[%s]:%u", ns_ipv6_format(&row->laddr6, a),
                   row->lport);
    else {
        ns_ipv4_format(row->laddr, a);
        g_snprintf(local, NS_SOCKET_END_STRLEN, "%s:%u", a, row->lport);
    }
    if (row->af6 ? row->rport == 0 : row->raddr == 0)
        g_snprintf(peer, NS_SOCKET_END_STRLEN, "*:*");
    else if (row->af6)
        g_snprintf(peer, NS_SOCKET_END_STRLEN, "[%s]:%u", ns_ipv6_format(&row->raddr6, a),
                   row->rport);
    else {
        ns_ipv4_format(row->raddr, a);
        g_snprintf(peer, NS_SOCKET_END_STRLEN, "%s:%u", a, row->rport);
    }
}

GArray *ns_socket_table(const NsHost *host)
{
    Layer *l = layer_of(host);
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(NsSocketRow));
    for (uint32_t i = 0; l && i < l->n_socks; i++) {
        NsSocket *s = l->socks[i];
        if (!s->udp)
            continue;
        const NsPcb *p = ns_udp_sock_pcb(s->udp);
        size_t bytes;
        ns_udp_queued(s->udp, &bytes);
        NsSocketRow r = {.proto = "udp", .state = p->rport ? "ESTAB" : "UNCONN",
                         .tcp_state = -1, .recv_q = (uint32_t)bytes, .laddr = p->laddr,
                         .lport = p->lport, .raddr = p->raddr, .rport = p->rport, .fd = s->fd,
                         .af6 = p->af6, .laddr6 = p->laddr6, .raddr6 = p->raddr6};
        g_array_append_val(rows, r);
    }
    if (l && ns_tcp_of(host)) {
        TcpRows tr = {rows, l};
        ns_tcp_foreach(ns_tcp_of(host), tcp_row, &tr);
    }
    return rows;
}

uint32_t ns_socket_count(const NsHost *host)
{
    Layer *l = layer_of(host);
    return l ? l->n_socks : 0;
}
