/* TCP benchmarks (report figures, never fail on speed):
 *   bench-tcp memory N   N idle established connections from 8 client hosts
 *                        to one server; peak RSS per connection (both ends)
 *   bench-tcp timewait N N connections as above, closed by the clients
 *                        first: heap bytes per connection while every
 *                        client waits in TIME-WAIT and the servers' ends
 *                        are gone
 *   bench-tcp bulk MB    MB megabytes over a 1 Gbps, 10 ms link (linux
 *                        profile, no trace sink); simulated segments per
 *                        wall-clock second */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netsim/host.h"
#include "netsim/ip.h"
#include "netsim/link.h"
#include "netsim/tcp.h"
#include "netsim-private/ctx.h"

#define SRV_ADDR 0x0a000001u

typedef struct {
    NsSim *sim;
    NsPacketPool *pool;
    NsTracer *tracer;
    NsCtx ctx;
    NsSegment *lan;
    GPtrArray *hosts;
} World;

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0)
            v = atol(line + kl + 1);
    fclose(f);
    return v;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static World *world_new(uint32_t n_hosts, NsProfile prof, const NsLinkOpts *o)
{
    World *w = g_new0(World, 1);
    w->sim = ns_sim_new();
    w->pool = ns_packet_pool_new();
    w->tracer = ns_tracer_new();
    w->ctx = (NsCtx){.sim = w->sim, .tracer = w->tracer, .pool = w->pool, .seed = 1};
    w->lan = ns_segment_new(&w->ctx, "lan", true, o, 0);
    w->hosts = g_ptr_array_new();
    for (uint32_t i = 0; i < n_hosts; i++) {
        char name[16];
        snprintf(name, sizeof name, "h%u", i);
        NsHost *h = ns_host_new(&w->ctx, name, i, false, prof);
        ns_ip_new(h);
        ns_host_add_iface(h, SRV_ADDR + i, 16, w->lan);
        ns_tcp_new(h);
        g_ptr_array_add(w->hosts, h);
    }
    ns_routing_compute(w->hosts);
    return w;
}

/* ---- memory: idle established connections ---- */

typedef struct {
    World *w;
    uint32_t n, made, clients;
    NsTcpSock **cli;
} Mem;

static void connect_one(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    Mem *m = obj;
    uint32_t i = m->made++;
    NsHost *h = g_ptr_array_index(m->w->hosts, 1 + i % m->clients);
    m->cli[i] = ns_tcp_sock_new(ns_tcp_of(h), NULL, NULL);
    int err = ns_tcp_connect(m->cli[i], SRV_ADDR, 80);
    if (err)
        fprintf(stderr, "connect %u: %s\n", i, ns_errno_name(err));
}

static int bench_memory(uint32_t n)
{
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    Mem m = {.n = n, .clients = 8};
    m.w = world_new(1 + m.clients, NS_PROFILE_MINIMAL, &o);
    m.cli = g_new0(NsTcpSock *, n);
    NsTcpSock **acc = g_new0(NsTcpSock *, n);
    NsTcp *srv = ns_tcp_of(g_ptr_array_index(m.w->hosts, 0));
    NsTcpSock *l = ns_tcp_sock_new(srv, NULL, NULL);
    ns_tcp_bind(l, SRV_ADDR, 80);
    ns_tcp_listen(l, n + 1);
    /* Warm ARP and the packet pool, then take the baseline. */
    for (uint32_t i = 0; i < 100; i++)
        ns_sim_schedule(m.w->sim, NS_US(10) * i, connect_one, &m, NULL);
    ns_sim_run(m.w->sim, NS_S(1), 0);
    long base = status_kb("VmRSS:");
    for (uint32_t i = 100; i < n; i++)
        ns_sim_schedule(m.w->sim, NS_S(1) + NS_US(10) * i, connect_one, &m, NULL);
    ns_sim_run(m.w->sim, NS_S(30), 0);
    uint32_t got = 0, est = 0;
    int err;
    while (got < n && (acc[got] = ns_tcp_accept(l, &err)))
        got++;
    for (uint32_t i = 0; i < n; i++)
        if (m.cli[i] && ns_tcp_state(m.cli[i]) == NS_TCP_STATE_ESTABLISHED)
            est++;
    long rss = status_kb("VmRSS:"), hwm = status_kb("VmHWM:");
    printf("tcp-memory: %u connections, %u established clients, %u accepted\n", n, est, got);
    printf("tcp-memory: RSS %ld KiB -> %ld KiB (peak %ld KiB): %.0f bytes per connection "
           "(both ends, current), %.0f at peak\n",
           base, rss, hwm, (double)(rss - base) * 1024.0 / n, (double)(hwm - base) * 1024.0 / n);
    printf("tcp-memory: packet pool in use %zu\n", ns_packet_pool_in_use(m.w->pool));
    return 0;
}

/* ---- memory: connections in TIME-WAIT ---- */

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void close_one(NsSim *sim, void *obj, void *arg)
{
    (void)sim;
    (void)arg;
    ns_tcp_close(obj);
}

static void count_tw(const NsTcpSock *s, bool orphan, void *data)
{
    (void)orphan;
    if (ns_tcp_state(s) == NS_TCP_STATE_TIME_WAIT)
        (*(uint32_t *)data)++;
}

static int bench_timewait(uint32_t n)
{
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(1);
    Mem m = {.n = n, .clients = 8};
    m.w = world_new(1 + m.clients, NS_PROFILE_LINUX, &o);
    m.cli = g_new0(NsTcpSock *, n);
    NsTcpSock **acc = g_new0(NsTcpSock *, n);
    NsTcp *srv = ns_tcp_of(g_ptr_array_index(m.w->hosts, 0));
    NsTcpSock *l = ns_tcp_sock_new(srv, NULL, NULL);
    ns_tcp_bind(l, SRV_ADDR, 80);
    ns_tcp_listen(l, n + 1);
    /* Warm ARP and the packet pool, then take the baseline. */
    for (uint32_t i = 0; i < 100; i++)
        ns_sim_schedule(m.w->sim, NS_US(10) * i, connect_one, &m, NULL);
    ns_sim_run(m.w->sim, NS_S(1), 0);
    uint32_t got = 0;
    int err;
    while (got < n && (acc[got] = ns_tcp_accept(l, &err)))
        got++;
    size_t base = heap_in_use();
    for (uint32_t i = 100; i < n; i++)
        ns_sim_schedule(m.w->sim, NS_S(1) + NS_US(10) * i, connect_one, &m, NULL);
    ns_sim_run(m.w->sim, NS_S(10), 0);
    while (got < n && (acc[got] = ns_tcp_accept(l, &err)))
        got++;
    /* The clients close first (TIME-WAIT is theirs), then the servers,
     * 10 us apart as they connected: few packets in flight at once. */
    for (uint32_t i = 0; i < n; i++)
        if (m.cli[i])
            ns_sim_schedule_at(m.w->sim, NS_S(10) + NS_US(10) * i, close_one, m.cli[i], NULL);
    for (uint32_t i = 0; i < got; i++)
        ns_sim_schedule_at(m.w->sim, NS_S(15) + NS_US(10) * i, close_one, acc[i], NULL);
    ns_sim_run(m.w->sim, NS_S(30), 0); /* well within the 60 s of TIME-WAIT */
    size_t now = heap_in_use();
    /* The clients' sockets were closed: they are counted in their layers
     * (a closed socket's pointer is not the application's any more). */
    uint32_t tw = 0;
    for (uint32_t h = 1; h <= m.clients; h++)
        ns_tcp_foreach(ns_tcp_of(g_ptr_array_index(m.w->hosts, h)), count_tw, &tw);
    printf("tcp-timewait: %u connections, %u accepted, %u clients in TIME-WAIT\n", n, got, tw);
    printf("tcp-timewait: heap in use %zu KiB -> %zu KiB: %.0f bytes per TIME-WAIT connection "
           "(the server's end gone)\n",
           base / 1024, now / 1024, ((double)now - (double)base) / (n - 100));
    return 0;
}

/* ---- bulk transfer ---- */

typedef struct {
    World *w;
    NsTcpSock *l, *tx, *rx;
    uint64_t total, sent, received;
    bool done;
    double t_done;
} Bulk;

static uint8_t chunk[65536];

static void bulk_pump(Bulk *b)
{
    while (b->tx && b->sent < b->total) {
        uint64_t n = b->total - b->sent;
        long r = ns_tcp_send(b->tx, chunk, n > sizeof chunk ? sizeof chunk : (size_t)n);
        if (r <= 0)
            break;
        b->sent += (uint64_t)r;
    }
    if (b->tx && b->sent == b->total && ns_tcp_state(b->tx) == NS_TCP_STATE_ESTABLISHED)
        ns_tcp_shutdown(b->tx, false, true);
}

static void tx_notify(void *owner)
{
    bulk_pump(owner);
}

static void rx_notify(void *owner)
{
    Bulk *b = owner;
    if (!b->rx) {
        int err;
        b->rx = ns_tcp_accept(b->l, &err);
        if (!b->rx)
            return;
        ns_tcp_sock_set_notify(b->rx, rx_notify, b);
    }
    long r;
    while ((r = ns_tcp_recv(b->rx, NULL, 1u << 20)) > 0)
        b->received += (uint64_t)r;
    if (r == 0 && !b->done) {
        b->done = true;
        b->t_done = (double)ns_sim_now(b->w->sim) / 1e9;
        ns_tcp_close(b->rx);
        b->rx = NULL;
    }
}

static int bench_bulk(uint64_t mb)
{
    NsLinkOpts o;
    ns_link_opts_init(&o);
    o.delay = NS_MS(10);
    o.rate_bps = 1000000000ull;
    o.queue = 1000;
    Bulk b = {.total = mb * 1000000ull};
    b.w = world_new(2, NS_PROFILE_LINUX, &o);
    NsTcp *srv = ns_tcp_of(g_ptr_array_index(b.w->hosts, 0));
    NsTcp *cli = ns_tcp_of(g_ptr_array_index(b.w->hosts, 1));
    b.l = ns_tcp_sock_new(srv, rx_notify, &b);
    ns_tcp_bind(b.l, SRV_ADDR, 80);
    ns_tcp_listen(b.l, 16);
    b.tx = ns_tcp_sock_new(cli, tx_notify, &b);
    ns_tcp_connect(b.tx, SRV_ADDR, 80);
    double t0 = wall();
    uint64_t ev0 = ns_sim_events_run(b.w->sim);
    ns_sim_run(b.w->sim, NS_S(600), 0);
    double dt = wall() - t0;
    NsTcpInfo ti;
    ns_tcp_info(b.tx, &ti);
    /* The receiver was freed when it closed: count its segments as the
     * sender received them (one ACK per segment it got). */
    uint64_t segs = ti.segs_sent + ti.segs_received;
    printf("tcp-bulk: %llu MB in %.3f s simulated (%.1f Mbit/s), %llu retransmits\n",
           (unsigned long long)mb, b.t_done, b.t_done > 0 ? b.total * 8 / b.t_done / 1e6 : 0.0,
           (unsigned long long)ti.retransmits);
    printf("tcp-bulk: received %llu bytes; %llu segments (%llu data-side + %llu ACK-side), "
           "%llu events, %.3f s wall\n",
           (unsigned long long)b.received, (unsigned long long)segs,
           (unsigned long long)ti.segs_sent, (unsigned long long)ti.segs_received,
           (unsigned long long)(ns_sim_events_run(b.w->sim) - ev0), dt);
    printf("tcp-bulk: %.2f M simulated segments per wall-clock second\n", segs / dt / 1e6);
    return b.received == b.total ? 0 : 1;
}

int main(int argc, char **argv)
{
    memset(chunk, 'x', sizeof chunk);
    if (argc >= 2 && strcmp(argv[1], "memory") == 0)
        return bench_memory(argc >= 3 ? (uint32_t)atoi(argv[2]) : 100000);
    if (argc >= 2 && strcmp(argv[1], "timewait") == 0)
        return bench_timewait(argc >= 3 ? (uint32_t)atoi(argv[2]) : 100000);
    if (argc >= 2 && strcmp(argv[1], "bulk") == 0)
        return bench_bulk(argc >= 3 ? (uint64_t)atoll(argv[2]) : 100);
    fprintf(stderr, "usage: %s memory N | timewait N | bulk MB\n", argv[0]);
    return 2;
}
