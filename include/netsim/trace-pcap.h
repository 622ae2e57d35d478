/* The capture sink (`--pcap FILE`): the Ethernet frames the links carry,
 * as a pcap file (nanosecond timestamps = simulated time from epoch 0)
 * that tcpdump, tshark and Wireshark read. */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "netsim/trace.h"

typedef struct NsPcapSink NsPcapSink;

typedef enum {
    NS_PCAP_AT_ALL,     /* every frame once, when its sender puts it on a link */
    NS_PCAP_AT_HOST,    /* as tcpdump on one host: its frames out and in */
    NS_PCAP_AT_NETWORK, /* every frame sent on one network or link */
} NsPcapAt;

/* (transfer full) a sink capturing into `path`, or NULL and an error when
 * the file cannot be created. `name` is the host or network for AT_HOST and
 * AT_NETWORK. The capture is written to a temporary file beside `path` and
 * renamed over it when the tracer closes the sink; a sink freed without
 * closing (a failed run) removes it, so `path` is never half-written. */
NsPcapSink *ns_pcap_sink_new(const char *path, NsPcapAt at, const char *name, GError **error);
/* Hand the sink to a tracer (it subscribes to FRAME events). */
void ns_pcap_sink_attach(NsPcapSink *sink, NsTracer *tracer);
/* Frames written so far. */
uint64_t ns_pcap_sink_frames(const NsPcapSink *sink);
