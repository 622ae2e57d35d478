/* The suites of tests/trace, for tests/runner.c. */
#include "trace-tests.h"

CU_SuiteInfo ns_test_suites[] = {
    {.pName = "json", .pTests = ns_json_tests},
    {.pName = "pcap", .pTests = ns_pcap_tests},
    {.pName = "diagram", .pTests = ns_diagram_tests},
    {.pName = "explain", .pTests = ns_explain_tests},
    {.pName = "console", .pTests = ns_console_tests},
    {.pName = "text", .pTests = ns_text_tests},
    {.pName = "filter", .pTests = ns_filter_tests},
    {.pName = "student", .pTests = ns_student_tests},
    {.pName = "page", .pTests = ns_page_tests},
    CU_SUITE_INFO_NULL,
};
