/* The suites of the test-wire binary: one per sim/wire module. */
#include "runner.h"

extern CU_TestInfo ns_wire_result_tests[];
extern CU_TestInfo ns_wire_checksum_tests[];
extern CU_TestInfo ns_wire_eth_tests[];
extern CU_TestInfo ns_wire_arp_tests[];
extern CU_TestInfo ns_wire_ipv4_tests[];
extern CU_TestInfo ns_wire_icmp_tests[];
extern CU_TestInfo ns_wire_udp_tests[];
extern CU_TestInfo ns_wire_tcp_tests[];
extern CU_TestInfo ns_wire_dns_tests[];
extern CU_TestInfo ns_wire_http_tests[];
extern CU_TestInfo ns_wire_smtp_tests[];
extern CU_TestInfo ns_wire_ipv6_tests[];

CU_SuiteInfo ns_test_suites[] = {
    {"result", NULL, NULL, NULL, NULL, ns_wire_result_tests},
    {"checksum", NULL, NULL, NULL, NULL, ns_wire_checksum_tests},
    {"eth", NULL, NULL, NULL, NULL, ns_wire_eth_tests},
    {"arp", NULL, NULL, NULL, NULL, ns_wire_arp_tests},
    {"ipv4", NULL, NULL, NULL, NULL, ns_wire_ipv4_tests},
    {"icmp", NULL, NULL, NULL, NULL, ns_wire_icmp_tests},
    {"udp", NULL, NULL, NULL, NULL, ns_wire_udp_tests},
    {"tcp", NULL, NULL, NULL, NULL, ns_wire_tcp_tests},
    {"dns", NULL, NULL, NULL, NULL, ns_wire_dns_tests},
    {"http", NULL, NULL, NULL, NULL, ns_wire_http_tests},
    {"smtp", NULL, NULL, NULL, NULL, ns_wire_smtp_tests},
    {"ipv6", NULL, NULL, NULL, NULL, ns_wire_ipv6_tests},
    CU_SUITE_INFO_NULL,
};
