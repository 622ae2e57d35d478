/* The pcap sink: FRAME events to a capture file (DLT_EN10MB, nanosecond
 * timestamps). Without a filter each frame is captured once, on the OUT side
 * (when the sender puts it on the link), so frames the link later loses are
 * in the capture, as a tap at the sender would see them. At one host, both
 * directions of its interfaces are captured (OUT when sent, IN on arrival),
 * as tcpdump on that host; at one network, the frames sent on it. */
#include "netsim/trace-pcap.h"

#include <string.h>

#include "trace-private.h"

/* The classic capture file format that libpcap, tcpdump, tshark and
 * Wireshark read (the IETF's draft-ietf-opsawg-pcap): a 24-byte file header,
 * then per frame a 16-byte record header and the frame's bytes. Written here
 * directly, always little-endian (readers take either order, and the same run
 * gives the same bytes on every machine), with the magic number that says
 * the second field of each timestamp counts nanoseconds. */
#define SNAPLEN 65535
#define PCAP_MAGIC_NANO 0xa1b23c4du
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define LINKTYPE_ETHERNET 1

struct NsPcapSink {
    NsAtomicFile file;
    NsPcapAt at;
    char *name;
    uint64_t frames;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

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
    if (ev->kind != NS_TRACE_FRAME || !ev->bytes || !sink->file.f || !wanted(sink, ev))
        return;
    NsTime t = ev->time < 0 ? 0 : ev->time;
    uint32_t caplen = ev->bytes_len > SNAPLEN ? SNAPLEN : (uint32_t)ev->bytes_len;
    uint8_t h[16];
    put32(h, (uint32_t)(t / 1000000000));
    put32(h + 4, (uint32_t)(t % 1000000000));
    put32(h + 8, caplen);
    put32(h + 12, (uint32_t)ev->bytes_len);
    fwrite(h, 1, sizeof h, sink->file.f); /* errors are seen by ferror at the close */
    fwrite(ev->bytes, 1, caplen, sink->file.f);
    sink->frames++;
}

static bool pcap_close_sink(void *self, GError **error)
{
    NsPcapSink *sink = self;
    if (!sink->file.f)
        return true;
    return ns_atomic_file_commit(&sink->file, false, error); /* a failed write says so here */
}

static void pcap_free_sink(void *self)
{
    NsPcapSink *sink = self;
    ns_atomic_file_abort(&sink->file); /* nothing left when the sink was closed */
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
    if (!ns_atomic_file_open(&sink->file, path, error)) {
        pcap_free_sink(sink);
        return NULL;
    }
    uint8_t h[24] = {0}; /* this zone and the timestamps' accuracy: 0, as libpcap writes */
    put32(h, PCAP_MAGIC_NANO);
    put16(h + 4, PCAP_VERSION_MAJOR);
    put16(h + 6, PCAP_VERSION_MINOR);
    put32(h + 16, SNAPLEN);
    put32(h + 20, LINKTYPE_ETHERNET);
    fwrite(h, 1, sizeof h, sink->file.f);
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
