/* Flow statistics for the end-of-run summary: a trace sink on the SEND and
 * DROP events that counts packets and payload bytes each way per pair of
 * endpoints, retransmissions and drops. */
#include "world-private.h"

#include <inttypes.h>
#include <string.h>

#include "netsim/wire/ipv4.h"

static void flow_key(char key[64], uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
                     uint16_t dport)
{
    bool fwd = src < dst || (src == dst && sport <= dport);
    g_snprintf(key, 64, "%u|%08x:%u|%08x:%u", proto, fwd ? src : dst, fwd ? sport : dport,
               fwd ? dst : src, fwd ? dport : sport);
}

static void flow_write(void *self, const NsTraceEvent *ev)
{
    NsWorld *w = self;
    if (!ev->proto || ev->proto == NS_IPPROTO_ICMP)
        return;
    /* One flow per unordered pair of endpoints. */
    char key[64];
    flow_key(key, ev->proto, ev->src, ev->sport, ev->dst, ev->dport);
    guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(w->flow_idx, key));
    if (ev->kind == NS_TRACE_NAT) {
        /* The far side of a NAT sees the flow under its translated tuple:
         * the same flow. */
        char after[64];
        flow_key(after, ev->proto, ev->nat_src, ev->nat_sport, ev->nat_dst, ev->nat_dport);
        if (idx && !g_hash_table_lookup(w->flow_idx, after))
            g_hash_table_insert(w->flow_idx, g_strdup(after), GUINT_TO_POINTER(idx));
        return;
    }
    if (!idx) {
        Flow f = {.proto = ev->proto, .a = ev->src, .pa = ev->sport, .b = ev->dst,
                  .pb = ev->dport};
        g_array_append_val(w->flows, f);
        idx = w->flows->len;
        g_hash_table_insert(w->flow_idx, g_strdup(key), GUINT_TO_POINTER(idx));
    }
    Flow *f = &g_array_index(w->flows, Flow, idx - 1);
    int dir = (ev->src == f->a && ev->sport == f->pa) ? 0 : 1;
    if (ev->kind == NS_TRACE_DROP) {
        f->drops++;
    } else {
        /* A delayed datagram is traced once, when it leaves; a duplicated
         * one really is sent twice. */
        f->pkts[dir]++;
        f->bytes[dir] += ev->payload_len;
        if (ev->send_why == NS_SEND_RTO || ev->send_why == NS_SEND_FAST_RETRANSMIT ||
            ev->send_why == NS_SEND_SACK_RETRANSMIT)
            f->retrans++;
    }
}

static const NsTraceSinkOps flow_ops = {"flows", flow_write, NULL, NULL};

void ns_world_flows_init(NsWorld *w)
{
    w->flows = g_array_new(FALSE, TRUE, sizeof(Flow));
    w->flow_idx = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (w->opts.summary && w->ctx->tracer)
        ns_tracer_add_sink(w->ctx->tracer, &flow_ops, w,
                           NS_TRACE_MASK(NS_TRACE_SEND) | NS_TRACE_MASK(NS_TRACE_DROP) |
                               NS_TRACE_MASK(NS_TRACE_NAT));
}

void ns_world_flows_summary(const NsWorld *w, GString *s)
{
    if (!w->flows->len)
        return;
    g_string_append(s, "# flows (packets/payload bytes each way)\n");
    for (guint i = 0; i < w->flows->len; i++) {
        const Flow *f = &g_array_index(w->flows, Flow, i);
        char a[32], b[32];
        ns_world_fmt_ep(a, sizeof a, f->a, f->pa);
        ns_world_fmt_ep(b, sizeof b, f->b, f->pb);
        g_string_append_printf(s,
                               "#   %s %s -> %s  %" PRIu64 " pkts %" PRIu64 "B,  back %" PRIu64
                               " pkts %" PRIu64 "B",
                               f->proto == NS_IPPROTO_UDP ? "udp" : "tcp", a, b, f->pkts[0],
                               f->bytes[0], f->pkts[1], f->bytes[1]);
        if (f->retrans)
            g_string_append_printf(s, ",  %" PRIu64 " retransmitted", f->retrans);
        if (f->drops)
            g_string_append_printf(s, ",  %" PRIu64 " dropped", f->drops);
        g_string_append_c(s, '\n');
    }
}

void ns_world_flows_free(NsWorld *w)
{
    g_array_free(w->flows, TRUE);
    g_hash_table_destroy(w->flow_idx);
}
