/* Helpers shared by the sinks of sim/trace (layer-private): the small
 * renderings every sink needs. Output files: netsim/atomic-file.h. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "netsim/atomic-file.h"
#include "netsim/trace.h"
#include "netsim/wire/ipv6.h"

/* Decimal numbers and padded words appended without printf: the text
 * trace formats every event, and GLib's printf allocates a string per
 * call. */
/* Append n bytes; while the string has room (the sinks reuse one line),
 * without a call into GLib. */
static inline void trace_put(GString *s, const char *p, size_t n)
{
    if (s->len + n < s->allocated_len) {
        memcpy(s->str + s->len, p, n);
        s->len += n;
        s->str[s->len] = '\0';
    } else {
        g_string_append_len(s, p, (gssize)n);
    }
}
/* Room for n more bytes (and the NUL) at the end of s: write them at the
 * pointer returned, then trace_grow(s, k) for the k written (k <= n). */
static inline char *trace_room(GString *s, size_t n)
{
    if (s->len + n >= s->allocated_len) {
        size_t len = s->len;
        g_string_set_size(s, len + n);
        g_string_truncate(s, len);
    }
    return s->str + s->len;
}
static inline void trace_grow(GString *s, size_t k)
{
    s->len += k;
    s->str[s->len] = '\0';
}
/* The same for a string literal, its length known when compiled. */
#define trace_put_lit(s, lit) trace_put((s), "" lit, sizeof(lit) - 1)
static inline void trace_put_str(GString *s, const char *str)
{
    trace_put(s, str, strlen(str));
}

void trace_append_u64(GString *s, uint64_t v);
/* Left-aligned in `width` columns (as %-*s). */
void trace_append_padded(GString *s, const char *str, int width);
/* Writes v right-aligned in `width` columns, padded with `pad` (as %4 or
 * %09); returns the length written (at most 20 + width). */
size_t trace_format_u64(char *out, uint64_t v, int width, char pad);

/* "10.0.0.1:49152", or "10.0.0.1" when !with_port. */
void trace_append_endpoint(GString *s, uint32_t addr, uint16_t port, bool with_port);
/* The event's source (or, when remote, destination) end: its IPv6 address
 * when it has one ("[2001:db8::1]:80", "2001:db8::1"), else the IPv4. */
void trace_append_end(GString *s, const NsTraceEvent *ev, bool remote, bool with_port);
/* Whether the event has that end at all (an address or a port). */
bool trace_has_ends(const NsTraceEvent *ev, bool remote);
/* True when the event's packet has ports (UDP or TCP). */
bool trace_has_ports(uint8_t proto);
/* "udp", "tcp", "icmp", or NULL for another protocol. */
const char *trace_proto_name(uint8_t proto);
/* "echo request", "port unreachable", ... */
const char *trace_icmp_name(uint8_t type, uint8_t code);
/* ICMPv6's: "echo request", "neighbor solicitation", "packet too big"... */
const char *trace_icmp6_name(uint8_t type, uint8_t code);
/* " [S.] seq 0 ack 1 win 65535 <mss 1460>": a TCP segment's flags and, when
 * the TCP layer reported them, its relative numbers, window and options. */
void trace_append_tcp(GString *s, const NsTraceEvent *ev);
/* The errno's symbolic name, or "errno N" in `buf`. */
const char *trace_errno_text(int err, char buf[24]);
/* "filter NAME at FILE:LINE" of a DROP by a filter or a HOST filter event. */
void trace_append_rule(GString *s, const NsTraceEvent *ev);
/* "10.0.3.0/24 via 10.0.9.2 (route at loop.scn:14)", "default", ... */
void trace_route_ends(const NsTraceEvent *ev, char n[NS_IPV6_STRLEN + 4],
                      char v[NS_IPV6_STRLEN]);
void trace_append_route(GString *s, const NsTraceEvent *ev);
/* A switch's LINK event: "02:00:00:00:01:01 on port 1 (a)" (learned),
 * "02:00:00:00:02:01 (not learnt yet) from port 1 to the 2 other ports". */
void trace_append_switch(GString *s, const NsTraceEvent *ev);
/* "new mapping: masquerade", ...; NULL for a plain translation. */
const char *trace_nat_ev_text(NsNatEvent ev);

/* The words for the typed facts of an event (NULL: nothing to say). */
const char *trace_sock_op_text(NsSockOp op);     /* "bound" */
const char *trace_sock_why_text(const NsTraceEvent *ev); /* "ephemeral port" */
const char *trace_tcp_ev_text(NsTcpEvent ev);    /* "state", "cwnd", "congestion" */
const char *trace_cause_text(NsTraceCause c);    /* "app connect", "rcv FIN" */
const char *trace_send_why_text(NsSendWhy why);  /* "fast retransmit" */
const char *trace_drop_text(const NsTraceEvent *ev); /* "link loss" */
const char *trace_fault_text(NsFaultAction a);   /* "drop", "delay", "duplicate" */
/* "targeted fault at FILE:LINE: drop tcp syn#1" */
void trace_append_fault(GString *s, const NsTraceEvent *ev);
/* Why a SEND was sent or a DROP lost, except a targeted fault. */
const char *trace_packet_why_text(const NsTraceEvent *ev);
const char *trace_timer_op_text(NsTimerOp op);   /* "armed" */
const char *trace_timer_text(NsTimerKind k);     /* "RTO", "FIN-WAIT-2 timeout" */
const char *trace_arp_ev_text(NsArpEvent ev);    /* "request" */
const char *trace_icmp_ev_text(NsIcmpEvent ev);  /* "ignored", "queued" */
const char *trace_icmp_why_text(NsIcmpEvent ev); /* "(connected socket: ...)" */
const char *trace_link_ev_text(NsLinkEvent ev);  /* "up", "down", "set" */
const char *trace_host_ev_text(NsHostEvent ev);  /* "crash", "restart" */
const char *trace_verdict_text(NsVerdict v);     /* "ok", "FAIL" */
/* "1.000s": a timer's duration, to the millisecond. */
void trace_append_duration(GString *s, NsTime d);
const char *trace_ndp_ev_text(NsNdpEvent ev);    /* "solicit", "advert" */
/* "who-has 2001:db8::2 (to ff02::1:ff00:2)", "2001:db8::2 STALE -> DELAY" */
void trace_append_ndp(GString *s, const NsTraceEvent *ev);
/* "who-has 10.0.0.2 tell 10.0.0.1", "10.0.0.2 is-at 02:00:..." */
void trace_append_arp(GString *s, const NsTraceEvent *ev);

/* The page's events in binary form (page-events.c, read by the page's
 * model.js): an event's fields are given between begin and end, named
 * "name" or, inside an object, "prefix.name"; end appends the event (and
 * its shape, the first time) to `out`. */
typedef struct NsPageEncoder NsPageEncoder;
NsPageEncoder *ns_page_encoder_new(void);
void ns_page_encoder_free(NsPageEncoder *e);
void ns_page_encoder_begin(NsPageEncoder *e);
void ns_page_encoder_int(NsPageEncoder *e, const char *prefix, const char *name, int64_t v);
void ns_page_encoder_string(NsPageEncoder *e, const char *prefix, const char *name,
                            const char *s);
void ns_page_encoder_bool(NsPageEncoder *e, const char *prefix, const char *name, bool v);
/* `len` bytes of JSON text, which the page parses (an array...). */
void ns_page_encoder_json(NsPageEncoder *e, const char *prefix, const char *name,
                          const char *json, size_t len);
/* Every member of `o`, in order: integers, strings and booleans as such,
 * an object's members with its name as prefix, anything else as JSON. */
void ns_page_encoder_object(NsPageEncoder *e, JsonObject *o);
void ns_page_encoder_end(NsPageEncoder *e, GString *out);

/* Load json-glib's functions from `soname` into `lib` (json-lib.c; the
 * tests give other names). False with an error when the library or one of
 * the functions is not there; `lib` is then unchanged. */
typedef struct NsJsonLib NsJsonLib;
bool ns_json_lib_open(const char *soname, NsJsonLib *lib, GError **error);
