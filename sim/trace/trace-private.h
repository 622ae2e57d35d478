/* Helpers shared by the sinks of sim/trace (layer-private): the small
 * renderings every sink needs. Output files: netsim/atomic-file.h. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

#include "netsim/atomic-file.h"
#include "netsim/trace.h"

/* "10.0.0.1:49152", or "10.0.0.1" when !with_port. */
void trace_append_endpoint(GString *s, uint32_t addr, uint16_t port, bool with_port);
/* True when the event's packet has ports (UDP or TCP). */
bool trace_has_ports(uint8_t proto);
/* "udp", "tcp", "icmp", or NULL for another protocol. */
const char *trace_proto_name(uint8_t proto);
/* "echo request", "port unreachable", ... */
const char *trace_icmp_name(uint8_t type, uint8_t code);
/* " [S.] seq 0 ack 1 win 65535 <mss 1460>": a TCP segment's flags and, when
 * the TCP layer reported them, its relative numbers, window and options. */
void trace_append_tcp(GString *s, const NsTraceEvent *ev);
/* The errno's symbolic name, or "errno N" in `buf`. */
const char *trace_errno_text(int err, char buf[24]);
