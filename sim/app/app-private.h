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

/* Whether h has an IPv4 address on some interface (not an IPv6-only host):
 * a lookup asks for A records only then, as getaddrinfo's AI_ADDRCONFIG. */
bool ns_app_host_has_ipv4(NsHost *h);

/* ---- The TCP server skeleton shared by HTTP, SMTP, echo and discard ----
 *
 * A listener on a port (backlog 128) and the connections it accepted. Each
 * connection is an application struct whose first member is an AppConn;
 * the skeleton allocates ops->conn_size bytes for it, calls `opened` (may
 * be NULL) before its first `ready`, and `ready` whenever its socket
 * changes; the application ends it with ns_app_conn_close(), which calls
 * `closed` (may be NULL) to free what the application added. */
typedef struct AppServer AppServer;

typedef struct {
    AppServer *srv;
    NsSocket *sock; /* NULL after a crash */
} AppConn;

typedef struct {
    size_t conn_size;
    void (*opened)(AppConn *c);
    void (*ready)(AppConn *c);
    void (*closed)(AppConn *c);
} AppServerOps;

/* Listen on TCP `port` of h for `app` (borrowed: the server's object,
 * given back by ns_app_server_app()); NULL with *err set when the port
 * cannot be had. */
AppServer *ns_app_server_listen(NsHost *h, uint16_t port, const AppServerOps *ops, void *app,
                                int *err);
void *ns_app_server_app(const AppServer *s);
NsHost *ns_app_server_host(const AppServer *s);
uint32_t ns_app_server_conns(const AppServer *s);
/* The host crashed: forget every socket (they are gone, without a packet). */
void ns_app_server_crash(AppServer *s);
/* Close every connection and the listener, and free the server. */
void ns_app_server_free(AppServer *s);
void ns_app_conn_close(AppConn *c);
