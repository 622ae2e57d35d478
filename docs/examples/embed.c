/* netsim as a library: a network built in code, without a scenario file.
 *
 * Two hosts on a 10 Mbit/s LAN with 5 ms of delay; an HTTP server on one,
 * a `fetch` of a 5000-byte page from the other. The run is traced as text
 * on standard output, then the program prints what it measured: the
 * fetch's outcome, each host's IP counters and the LAN's frame count.
 *
 * Build: it is built with netsim (build/tools/netsim-embed-example)
 * and run by the test suite. */
#include <inttypes.h>
#include <stdio.h>

#include "netsim/app.h"
#include "netsim/ip.h"
#include "netsim/net.h"
#include "netsim/trace-text.h"

#define ADDR(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

static void fetched(void *data, const NsFetchResult *res)
{
    (void)data;
    printf("# callback: fetch %s, status %u, %" PRIu64 " body bytes\n", res->ok ? "ok" : "failed",
           res->status, res->bytes);
}

int main(void)
{
    g_autoptr(NsTracer) tracer = ns_tracer_new();
    ns_text_sink_attach(ns_text_sink_new(stdout, 6), tracer);

    /* Build: a network, two hosts with an address on it, then start. */
    g_autoptr(NsNet) net = ns_net_new(1, tracer);
    NsLinkOpts lan_opts;
    ns_link_opts_init(&lan_opts);
    lan_opts.delay = NS_MS(5);
    lan_opts.rate_bps = 10000000;
    NsSegment *lan = ns_net_add_network(net, "lan", &lan_opts);
    NsHost *client = ns_net_add_host(net, "client", NS_PROFILE_LINUX, false);
    NsHost *server = ns_net_add_host(net, "server", NS_PROFILE_LINUX, false);
    ns_net_attach(net, client, lan, ADDR(10, 0, 0, 1), 24);
    ns_net_attach(net, server, lan, ADDR(10, 0, 0, 80), 24);
    ns_net_start(net);

    /* Applications on the hosts: they use the hosts' sockets. */
    const NsHttpPage page = {"/index.html", 5000};
    NsHttpServer *http = ns_http_server_start(server, 80, &page, 1);
    NsFetchSpec spec = {.url = "http://10.0.0.80/index.html", .host = "10.0.0.80",
                        .addr = ADDR(10, 0, 0, 80), .path = "/index.html"};
    NsFetch *fetch = ns_fetch_start(client, &spec, fetched, NULL);

    /* Run ten simulated seconds (the run ends sooner when nothing is left). */
    NsSimResult how = ns_net_run_until(net, NS_S(10), 0);

    /* Read the results. */
    const NsFetchResult *res = ns_fetch_result(fetch);
    printf("# stopped: %s at %" PRId64 " ns after %" PRIu64 " events\n",
           how == NS_SIM_EMPTY ? "no event left" : "time limit", ns_net_now(net),
           ns_net_events(net));
    printf("# fetch: %s, status %u, %" PRIu64 " body bytes\n", res && res->ok ? "ok" : "failed",
           res ? res->status : 0, res ? res->bytes : 0);
    for (uint32_t i = 0; i < ns_net_host_count(net); i++) {
        NsHost *h = ns_net_host(net, i);
        const NsIpStats *st = ns_ip_stats(ns_ip_of(h));
        printf("# %s: %" PRIu64 " datagrams sent, %" PRIu64 " received\n", ns_host_name(h),
               st->sent, st->received);
    }
    printf("# %s: %" PRIu64 " frames\n", ns_segment_name(lan), ns_segment_frames(lan));

    /* The result belongs to the fetch: judge it before freeing. Applications
     * go before the network that carries their sockets. */
    bool ok = res && res->ok && res->status == 200 && res->bytes == 5000;
    ns_fetch_free(fetch);
    ns_http_server_free(http);
    return ok ? 0 : 1;
}
