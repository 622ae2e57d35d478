/* Fixtures of the TCP suites: the connection-core harness (states,
 * segment templates, expectations) and a two-host network. */
#include "tcp-test.h"
#include "netsim-private/packet.h"

#include <stdio.h>
#include <string.h>

Harness *H;

static uint8_t pattern[65536];

void h_setup(NsProfile profile)
{
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)('a' + i % 26);
    H = g_new0(Harness, 1);
    H->sim = ns_sim_new();
    H->pool = ns_packet_pool_new();
    H->ctx = (NsCtx){.sim = H->sim, .tracer = NULL, .pool = H->pool, .seed = 1};
    ns_tcp_env_init(&H->env, &H->ctx, "test", profile, 42, 1, 0);
    /* The suites check the core's logic at exact times; the jiffies clock
     * and its timer wheel have tests of their own. */
    H->cfg = *H->env.cfg;
    H->cfg.jiffy = 0;
    H->env.cfg = &H->cfg;
    H->env.fixed_iss = true;
    H->env.iss = LOCAL_SEQ;
    tcp_conn_init(&H->c, &H->env);
    H->c.pcb.laddr = LOCAL_ADDR;
    H->c.pcb.lport = LOCAL_PORT;
    H->c.pcb.raddr = REMOTE_ADDR;
    H->c.pcb.rport = REMOTE_PORT;
    H->c.adv_mss = 1460;
    H->now = NS_S(1);
}

static void rec_write(void *self, const NsTraceEvent *ev)
{
    NsTraceEvent copy = *ev;
    copy.host = copy.where = copy.what = copy.text = copy.summary = copy.options = NULL;
    copy.bytes = NULL;
    g_array_append_val((GArray *)self, copy);
}

static void rec_free(void *self)
{
    (void)self; /* the harness owns the array */
}

static const NsTraceSinkOps rec_ops = {.name = "record", .write = rec_write, .free = rec_free};

void h_record(void)
{
    H->events = g_array_new(FALSE, TRUE, sizeof(NsTraceEvent));
    H->tracer = ns_tracer_new();
    ns_tracer_add_sink(H->tracer, &rec_ops, H->events,
                       NS_TRACE_MASK(NS_TRACE_TCP) | NS_TRACE_MASK(NS_TRACE_TIMER));
    H->ctx.tracer = H->tracer;
}

const NsTraceEvent *h_event(NsTraceKind kind, int timer, uint32_t i)
{
    for (guint k = 0; H->events && k < H->events->len; k++) {
        const NsTraceEvent *ev = &g_array_index(H->events, NsTraceEvent, k);
        if (ev->kind != kind || (kind == NS_TRACE_TIMER && (int)ev->timer != timer))
            continue;
        if (i-- == 0)
            return ev;
    }
    return NULL;
}

uint32_t h_count(NsTraceKind kind, int timer)
{
    uint32_t n = 0;
    while (h_event(kind, timer, n))
        n++;
    return n;
}

void h_teardown(void)
{
    tcp_conn_release(&H->c);
    if (H->tracer)
        ns_tracer_free(H->tracer);
    if (H->events)
        g_array_free(H->events, TRUE);
    CU_ASSERT_EQUAL(ns_packet_pool_in_use(H->pool), 0);
    ns_packet_pool_free(H->pool);
    ns_sim_free(H->sim);
    g_free(H);
    H = NULL;
}

void peer_sends(TSeg t)
{
    NsTcpSeg seg;
    memset(&seg, 0, sizeof seg);
    NsTcpRepr *r = &seg.h;
    r->src_port = REMOTE_PORT;
    r->dst_port = LOCAL_PORT;
    r->seq = t.seq == UNSET ? REMOTE_SEQ + 1 : (uint32_t)t.seq;
    r->ack = t.ack == UNSET ? LOCAL_SEQ + 1 : (uint32_t)t.ack;
    if (!(t.flags & ACK))
        r->ack = 0;
    r->flags = t.flags;
    r->window = (uint16_t)(t.win == UNSET ? 65535 : t.win);
    if (t.mss) {
        r->has_mss = true;
        r->mss = (uint16_t)t.mss;
    }
    if (t.ts) {
        r->has_ts = true;
        r->ts_val = t.ts_val;
        r->ts_ecr = t.ts_ecr;
    }
    if (t.wscale >= 0) {
        r->has_wscale = true;
        r->wscale = (uint8_t)t.wscale;
    }
    r->sack_permitted = t.sack_perm;
    for (int i = 0; i < 4; i++)
        if (t.sack[i].left != t.sack[i].right)
            r->sack[r->n_sack++] = t.sack[i];
    seg.len = t.data ? (uint32_t)strlen(t.data) : t.len;
    seg.data = t.data ? (const uint8_t *)t.data : pattern;
    tcp_conn_input(&H->c, &seg, H->now);
}

void advance(NsTime dt)
{
    NsTime target = H->now + dt;
    NsTime nt;
    while (H->c.state != NS_TCP_STATE_CLOSED && (nt = tcp_conn_next_timer(&H->c)) <= target) {
        H->now = nt;
        tcp_conn_timers(&H->c, nt);
    }
    H->now = target;
}

bool pop_sent(NsTcpRepr *out, uint32_t *len)
{
    NsPacket *p = ns_packet_queue_pop(&H->c.outq);
    if (!p)
        return false;
    /* A segment of pattern bytes is lazy: made here, its checksum checked. */
    NsWireResult r = ns_tcp_parse(ns_packet_bytes(p), p->len, LOCAL_ADDR, REMOTE_ADDR, out);
    CU_ASSERT_EQUAL(r, NS_WIRE_OK);
    if (len)
        *len = p->len - out->header_len;
    ns_packet_free(p);
    return true;
}

void drain_sent(void)
{
    ns_packet_queue_clear(&H->c.outq);
}

bool expect_sent(TSeg want, const char *file, int line)
{
    NsPacket *p = ns_packet_queue_pop(&H->c.outq);
    if (!p) {
        fprintf(stderr, "%s:%d: nothing was sent\n", file, line);
        return false;
    }
    NsTcpRepr r;
    bool ok = ns_tcp_parse(ns_packet_bytes(p), p->len, LOCAL_ADDR, REMOTE_ADDR, &r) == NS_WIRE_OK;
    uint32_t len = p->len - r.header_len;
    uint32_t why = p->meta;
    ns_packet_free(p);
    uint32_t seq = want.seq == UNSET ? LOCAL_SEQ + 1 : (uint32_t)want.seq;
    uint32_t ack = want.ack == UNSET ? REMOTE_SEQ + 1 : (uint32_t)want.ack;
    uint32_t wlen = want.data ? (uint32_t)strlen(want.data) : want.len;
    ok = ok && r.flags == want.flags && r.seq == seq && len == wlen;
    if (want.flags & ACK)
        ok = ok && r.ack == ack;
    if (want.win != UNSET)
        ok = ok && r.window == want.win;
    if (want.mss)
        ok = ok && r.has_mss && r.mss == want.mss;
    if (want.why)
        ok = ok && why == (uint32_t)want.why;
    if (!ok) {
        char f[NS_TCP_FLAGS_STRLEN], wf[NS_TCP_FLAGS_STRLEN];
        ns_tcp_flags_format(r.flags, f);
        ns_tcp_flags_format(want.flags, wf);
        fprintf(stderr,
                "%s:%d: sent [%s] seq %u ack %u win %u len %u why %u; wanted [%s] seq %u ack %u "
                "win %lld len %u why %u\n",
                file, line, f, r.seq, r.ack, r.window, len,
                why, wf, seq, ack, (long long)want.win, wlen, (unsigned)want.why);
    }
    return ok;
}

uint32_t app_write(uint32_t len)
{
    return tcp_conn_write(&H->c, pattern, len, H->now);
}

static void to_established(void)
{
    tcp_conn_connect(&H->c, H->now);
    drain_sent();
    bool linux = H->env.cfg->profile == NS_PROFILE_LINUX;
    peer_sends(SEG(.flags = SYN | ACK, .seq = REMOTE_SEQ, .mss = 1460, .ts = linux,
                   .ts_val = 500, .wscale = linux ? 7 : -1, .sack_perm = linux));
    drain_sent();
}

void conn_in_state(NsTcpState state)
{
    switch (state) {
    case NS_TCP_STATE_CLOSED:
        return;
    case NS_TCP_STATE_LISTEN:
        H->c.state = NS_TCP_STATE_LISTEN;
        return;
    case NS_TCP_STATE_SYN_SENT:
        tcp_conn_connect(&H->c, H->now);
        break;
    case NS_TCP_STATE_SYN_RECEIVED: {
        H->c.state = NS_TCP_STATE_LISTEN;
        NsTcpSeg seg;
        memset(&seg, 0, sizeof seg);
        seg.h.src_port = REMOTE_PORT;
        seg.h.dst_port = LOCAL_PORT;
        seg.h.seq = REMOTE_SEQ;
        seg.h.flags = SYN;
        seg.h.window = 65535;
        seg.h.has_mss = true;
        seg.h.mss = 1460;
        tcp_conn_accept_syn(&H->c, &seg, H->now);
        break;
    }
    case NS_TCP_STATE_ESTABLISHED:
        to_established();
        break;
    case NS_TCP_STATE_FIN_WAIT_1:
        to_established();
        tcp_conn_shutdown_write(&H->c, H->now, NS_CAUSE_APP_CLOSE);
        break;
    case NS_TCP_STATE_FIN_WAIT_2:
        conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
        peer_sends(SEG(.ack = LOCAL_SEQ + 2));
        break;
    case NS_TCP_STATE_CLOSE_WAIT:
        to_established();
        peer_sends(SEG(.flags = FIN | ACK));
        advance(NS_MS(200));
        break;
    case NS_TCP_STATE_CLOSING:
        conn_in_state(NS_TCP_STATE_FIN_WAIT_1);
        peer_sends(SEG(.flags = FIN | ACK));
        break;
    case NS_TCP_STATE_LAST_ACK:
        conn_in_state(NS_TCP_STATE_CLOSE_WAIT);
        tcp_conn_shutdown_write(&H->c, H->now, NS_CAUSE_APP_CLOSE);
        break;
    case NS_TCP_STATE_TIME_WAIT:
        conn_in_state(NS_TCP_STATE_FIN_WAIT_2);
        peer_sends(SEG(.flags = FIN | ACK, .ack = LOCAL_SEQ + 2));
        break;
    }
    drain_sent();
    CU_ASSERT_EQUAL(H->c.state, state);
}

/* ---- the two-host network ---- */

Net *net_new(uint64_t seed, NsProfile p0, NsProfile p1, const NsLinkOpts *opts)
{
    Net *n = g_new0(Net, 1);
    n->sim = ns_sim_new();
    n->pool = ns_packet_pool_new();
    n->tracer = ns_tracer_new();
    n->ctx = (NsCtx){.sim = n->sim, .tracer = n->tracer, .pool = n->pool, .seed = seed};
    NsLinkOpts o;
    ns_link_opts_init(&o);
    if (opts)
        o = *opts;
    n->link = ns_segment_new(&n->ctx, "lan", true, &o, 0);
    n->hosts = g_ptr_array_new();
    const char *names[2] = {"cli", "srv"};
    NsProfile prof[2] = {p0, p1};
    for (int i = 0; i < 2; i++) {
        n->host[i] = ns_host_new(&n->ctx, names[i], (uint32_t)i, false, prof[i]);
        ns_ip_new(n->host[i]);
        ns_host_add_iface(n->host[i], i == 0 ? LOCAL_ADDR : REMOTE_ADDR, 24, n->link);
        n->tcp[i] = ns_tcp_new(n->host[i]);
        g_ptr_array_add(n->hosts, n->host[i]);
    }
    ns_routing_compute(n->hosts);
    return n;
}

void net_free(Net *n)
{
    for (int i = 0; i < 2; i++) {
        ns_tcp_free(n->tcp[i]);
        ns_ip_free(ns_ip_of(n->host[i]));
    }
    ns_sim_free(n->sim); /* before the hosts: pending events are dropped */
    for (int i = 0; i < 2; i++)
        ns_host_free(n->host[i]);
    ns_segment_free(n->link);
    ns_packet_pool_free(n->pool);
    ns_tracer_free(n->tracer);
    g_ptr_array_free(n->hosts, TRUE);
    g_free(n);
}

void net_run(Net *n, NsTime until)
{
    ns_sim_run(n->sim, until, 0);
}
