/* Shared by the wire tests, the fuzz entry point and its smoke driver:
 * known-answer frames (vectors.c), checksum fix-ups for hand-mutated
 * packets (helpers.c), and the libFuzzer entry point (fuzz_wire.c).
 * Every vector is a whole Ethernet frame with a 20-byte IPv4 header. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "netsim/wire/eth.h"
#include "netsim/wire/ipv4.h"

/* The two hosts of the reference captures. */
#define NS_TEST_CLI 0x0a000001u /* 10.0.0.1 */
#define NS_TEST_SRV 0x0a000002u /* 10.0.0.2 */

/* Offsets into a vector frame. */
#define NS_TEST_IP_OFF NS_ETH_HLEN
#define NS_TEST_L4_OFF (NS_ETH_HLEN + NS_IPV4_HLEN)

extern const uint8_t ns_vec_syn[74];
extern const size_t ns_vec_syn_len;
extern const uint8_t ns_vec_synack[74];
extern const size_t ns_vec_synack_len;
extern const uint8_t ns_vec_ack[66];
extern const size_t ns_vec_ack_len;
extern const uint8_t ns_vec_data[148];
extern const size_t ns_vec_data_len;
extern const uint8_t ns_vec_rst[54];
extern const size_t ns_vec_rst_len;
extern const uint8_t ns_vec_udp_closed[58];
extern const size_t ns_vec_udp_closed_len;
extern const uint8_t ns_vec_icmp_unreach[86];
extern const size_t ns_vec_icmp_unreach_len;
extern const uint8_t ns_vec_udp_query[49];
extern const size_t ns_vec_udp_query_len;
extern const uint8_t ns_vec_udp_answer[49];
extern const size_t ns_vec_udp_answer_len;
extern const uint8_t ns_vec_arp_request[42];
extern const size_t ns_vec_arp_request_len;
extern const uint8_t ns_vec_arp_reply[42];
extern const size_t ns_vec_arp_reply_len;
extern const uint8_t ns_vec_echo_request[58];
extern const size_t ns_vec_echo_request_len;
extern const uint8_t ns_vec_echo_reply[58];
extern const size_t ns_vec_echo_reply_len;
extern const uint8_t ns_vec_sack[78];
extern const size_t ns_vec_sack_len;

typedef struct {
    const char *name;
    const uint8_t *frame;
    size_t len;
} NsTestVector;

/* All vectors above, ended by a NULL name (seeds for the fuzz smoke run). */
extern const NsTestVector ns_test_vectors[];

/* A heap copy of p[0..n) of exactly n bytes (1 if n is 0), so that
 * AddressSanitizer flags any read past the end. Free with g_free(). */
uint8_t *ns_test_dup(const uint8_t *p, size_t n);

/* Recompute the checksum of a mutated packet in place, with sim/wire's own
 * code: for rejection tests that must get past the checksum check. */
void ns_test_fix_ipv4_csum(uint8_t *hdr, size_t hlen);
void ns_test_fix_icmp_csum(uint8_t *msg, size_t len);
void ns_test_fix_udp_csum(uint8_t *dgram, size_t len, uint32_t src, uint32_t dst);
void ns_test_fix_tcp_csum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst);

/* libFuzzer's entry point (fuzz_wire.c): feeds `data` to every parser. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
