/* The trace sinks' CUnit suites: each file exports its test array, and
 * test_trace.c lists them for the runner. Shared event templates too. */
#pragma once

#include <CUnit/CUnit.h>

#include "netsim/trace.h"

extern CU_TestInfo ns_json_tests[];
extern CU_TestInfo ns_pcap_tests[];
extern CU_TestInfo ns_diagram_tests[];
extern CU_TestInfo ns_explain_tests[];
extern CU_TestInfo ns_console_tests[];
extern CU_TestInfo ns_text_tests[];
extern CU_TestInfo ns_filter_tests[];
extern CU_TestInfo ns_student_tests[];
extern CU_TestInfo ns_page_tests[];

#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define CLI ADDR(10, 0, 0, 1)
#define SRV ADDR(10, 0, 0, 80)

/* A TCP segment from cli:49153 to srv:80, overridable with designated
 * initializers: SEG(.kind = NS_TRACE_RECV, .host = "srv"). */
#define SEG(...)                                                                              \
    ((NsTraceEvent){.kind = NS_TRACE_SEND, .host = "cli", .proto = 6, .src = CLI, .sport = 49153, \
                    .dst = SRV, .dport = 80, .ttl = 64, .ip_len = 44, .tcp_flags = 0x02,       \
                    .has_seq = true, .win = 65535, .options = "mss 1460", __VA_ARGS__})

/* A UDP datagram from cli:49152 to srv:53. */
#define DGRAM(...)                                                                            \
    ((NsTraceEvent){.kind = NS_TRACE_SEND, .host = "cli", .proto = 17, .src = CLI,              \
                    .sport = 49152, .dst = SRV, .dport = 53, .ttl = 64, .ip_len = 61,          \
                    .payload_len = 33, __VA_ARGS__})
