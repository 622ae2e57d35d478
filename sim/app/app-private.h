/* Shared inside sim/app: trace helpers, durations as text, and the body
 * pattern of generated pages. */
#pragma once

#include <glib.h>

#include "netsim/app.h"
#include "netsim/socket.h"

/* Emit an NS_TRACE_APP event on h: what ("fetch", "resolve", ...), the
 * formatted text, and err (0 for none; the sinks print its name). */
void ns_app_trace(NsHost *h, const char *what, int err, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* "42.1 ms" (under 10 s) or "12.345 s", into buf. */
const char *ns_app_duration(NsTime t, char *buf, size_t n);

/* "10.0.0.1:80" into buf (at least 22 bytes). */
const char *ns_app_endpoint(uint32_t addr, uint16_t port, char *buf, size_t n);

/* Bytes [offset, offset + n) of the pattern that page bodies are made of
 * (the runtime's generated payloads use the same one). */
void ns_app_pattern(uint64_t offset, uint8_t *buf, size_t n);

/* Now, on h's engine. */
NsTime ns_app_now(NsHost *h);
