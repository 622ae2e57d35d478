/* The ping and udp-send steps (steps.c): their own type, the runs of
 * each step, found by step for expectations and by ICMP id for replies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/ipv6.h"

typedef struct NsWorld NsWorld;
typedef struct NsSteps NsSteps;

/* (transfer full) no step run yet; the world gives hosts and traces. */
NsSteps *ns_steps_new(NsWorld *w, uint32_t n_hosts);
void ns_steps_free(NsSteps *s);

/* The host's echo-reply handler (ns_ip_set_echo_handler; data: its HostRt). */
void ns_steps_ping_echo(void *data, uint32_t from, uint16_t id, uint16_t seq, uint8_t ttl,
                        size_t len, int err);
/* The same for IPv6 pings (ns_ip6_set_echo_handler). */
void ns_steps_ping_echo6(void *data, const NsIpv6Addr *from, uint16_t id, uint16_t seq,
                         uint8_t hops, size_t len, int err);
/* Replies the ping of `step` got (0 if it never ran: then false). */
bool ns_steps_ping_received(const NsSteps *s, uint32_t step, uint32_t *received);
/* A new ICMP echo identifier for the host: pings and ICMP traceroutes
 * count up from 1 per host, as processes do with their ids. */
uint16_t ns_steps_icmp_id(NsSteps *s, uint32_t host);
/* The host crashed: its udp-send sockets are gone with it. */
void ns_steps_host_crashed(NsSteps *s, uint32_t host);
