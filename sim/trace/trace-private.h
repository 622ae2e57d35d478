/* Helpers shared by the sinks of sim/trace (layer-private): files written
 * in full or not at all, and the small renderings every sink needs. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

#include "netsim/trace.h"

/* An output file that appears only when complete: written to a temporary
 * file beside `path`, renamed over it by trace_file_commit(), removed by
 * trace_file_abort() (a run that fails leaves nothing behind). */
typedef struct {
    char *path, *tmp;
    FILE *f;
} TraceFile;

bool trace_file_open(TraceFile *tf, const char *path, GError **error);
/* Closes the stream (unless the caller already did: pass closed = true),
 * then renames. On failure the temporary file is removed. */
bool trace_file_commit(TraceFile *tf, bool closed, GError **error);
void trace_file_abort(TraceFile *tf);

/* "10.0.0.1:49152", or "10.0.0.1" when !with_port. */
void trace_append_endpoint(GString *s, uint32_t addr, uint16_t port, bool with_port);
/* True when the event's packet has ports (UDP or TCP). */
bool trace_has_ports(uint8_t proto);
/* "udp", "tcp", "icmp", or NULL for another protocol. */
const char *trace_proto_name(uint8_t proto);
/* "echo request", "port unreachable", ... */
const char *trace_icmp_name(uint8_t type, uint8_t code);
/* The errno's symbolic name, or "errno N" in `buf`. */
const char *trace_errno_text(int err, char buf[24]);
