/* The suites of the test-tcp binary. */
#include "runner.h"
#include "tcp-test.h"

CU_SuiteInfo ns_test_suites[] = {
    {"conn", NULL, NULL, NULL, NULL, conn_tests},
    {"layer", NULL, NULL, NULL, NULL, layer_tests},
    {"fidelity", NULL, NULL, NULL, NULL, fidelity_tests},
    {"property", NULL, NULL, NULL, NULL, property_tests},
    {"sack", NULL, NULL, NULL, NULL, sack_tests},
    {"tlp", NULL, NULL, NULL, NULL, tlp_tests},
    {"cubic", NULL, NULL, NULL, NULL, cubic_tests},
    {"rack", NULL, NULL, NULL, NULL, rack_tests},
    {"opts", NULL, NULL, NULL, NULL, opts_tests},
    {"rcvq", NULL, NULL, NULL, NULL, rcvq_tests},
    CU_SUITE_INFO_NULL,
};
