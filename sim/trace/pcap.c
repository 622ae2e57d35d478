/* The pcap sink: FRAME events to a libpcap savefile (DLT_EN10MB, nanosecond
 * timestamps). Without a filter each frame is captured once, on the OUT side
 * (when the sender puts it on the link), so frames the link later loses are
 * in the capture, as a tap at the sender would see them. At one host, both
 * directions of its interfaces are captured (OUT when sent, IN on arrival),
 * as tcpdump on that host; at one network, the frames sent on it. */
/* libpcap's headers use the BSD types (u_int, u_char), which glibc declares
 * only beyond strict POSIX. */
#define _DEFAULT_SOURCE 1

#include "netsim/trace-pcap.h"

#include <string.h>

#include <pcap/pcap.h>

#include "trace-private.h"

#define SNAPLEN 65535

struct NsPcapSink {
    NsAtomicFile file;
    pcap_t *dead;
    pcap_dumper_t *dumper;
    NsPcapAt at;
    char *name;
    uint64_t frames;
};

static bool wanted(const NsPcapSink *sink, const NsTraceEvent *ev)
{
    switch (sink->at) {
    case NS_PCAP_AT_ALL:
        return ev->dir == NS_TRACE_DIR_OUT;
    case NS_PCAP_AT_HOST:
        return ev->host && strcmp(ev->host, sink->name) == 0 && ev->dir != NS_TRACE_DIR_NONE;
    case NS_PCAP_AT_NETWORK:
        return ev->dir == NS_TRACE_DIR_OUT && ev->where && strcmp(ev->where, sink->name) == 0;
    }
    return false;
}

static void pcap_write(void *self, const NsTraceEvent *ev)
{
    NsPcapSink *sink = self;
    if (ev->kind != NS_TRACE_FRAME || !ev->bytes || !sink->dumper || !wanted(sink, ev))
        return;
    struct pcap_pkthdr h = {0};
    NsTime t = ev->time < 0 ? 0 : ev->time;
    h.ts.tv_sec = (time_t)(t / 1000000000);
    h.ts.tv_usec = (suseconds_t)(t % 1000000000); /* nanoseconds: the dead handle says so */
    h.len = (bpf_u_int32)ev->bytes_len;
    h.caplen = ev->bytes_len > SNAPLEN ? SNAPLEN : (bpf_u_int32)ev->bytes_len;
    pcap_dump((u_char *)sink->dumper, &h, ev->bytes);
    sink->frames++;
}

static bool pcap_close_sink(void *self, GError **error)
{
    NsPcapSink *sink = self;
    if (!sink->dumper)
        return true;
    bool ok = pcap_dump_flush(sink->dumper) == 0;
    FILE *f = pcap_dump_file(sink->dumper);
    ok = ok && !ferror(f);
    pcap_dump_close(sink->dumper); /* closes the stream */
    sink->dumper = NULL;
    sink->file.f = NULL;
    if (!ok) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: writing the capture failed",
                    sink->file.path);
        ns_atomic_file_abort(&sink->file);
        return false;
    }
    return ns_atomic_file_commit(&sink->file, true, error);
}

static void pcap_free_sink(void *self)
{
    NsPcapSink *sink = self;
    if (sink->dumper) {
        pcap_dump_close(sink->dumper);
        sink->file.f = NULL;
    }
    ns_atomic_file_abort(&sink->file); /* nothing left when the sink was closed */
    if (sink->dead)
        pcap_close(sink->dead);
    g_free(sink->name);
    g_free(sink);
}

static const NsTraceSinkOps pcap_ops = {"pcap", pcap_write, pcap_close_sink, pcap_free_sink};

NsPcapSink *ns_pcap_sink_new(const char *path, NsPcapAt at, const char *name, GError **error)
{
    g_return_val_if_fail(at == NS_PCAP_AT_ALL || name, NULL);
    NsPcapSink *sink = g_new0(NsPcapSink, 1);
    sink->at = at;
    sink->name = g_strdup(name);
    sink->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAPLEN,
                                                      PCAP_TSTAMP_PRECISION_NANO);
    if (!sink->dead || !ns_atomic_file_open(&sink->file, path, error)) {
        if (sink->dead && error && !*error)
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot start a capture",
                        path);
        pcap_free_sink(sink);
        return NULL;
    }
    sink->dumper = pcap_dump_fopen(sink->dead, sink->file.f);
    if (!sink->dumper) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", path,
                    pcap_geterr(sink->dead));
        pcap_free_sink(sink);
        return NULL;
    }
    return sink;
}

void ns_pcap_sink_attach(NsPcapSink *sink, NsTracer *tracer)
{
    ns_tracer_add_sink(tracer, &pcap_ops, sink, NS_TRACE_MASK(NS_TRACE_FRAME));
}

uint64_t ns_pcap_sink_frames(const NsPcapSink *sink)
{
    return sink->frames;
}
