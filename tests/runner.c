/* Runs the CUnit suites of one test binary; see runner.h. */
#include "runner.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--suite NAME]\n", argv[0]);
            return 2;
        }
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (only) {
        CU_SuiteInfo one[2] = {{0}, CU_SUITE_INFO_NULL};
        for (CU_SuiteInfo *s = ns_test_suites; s->pName; s++)
            if (strcmp(s->pName, only) == 0)
                one[0] = *s;
        if (!one[0].pName) {
            fprintf(stderr, "no suite named '%s'\n", only);
            CU_cleanup_registry();
            return 2;
        }
        if (CU_register_suites(one) != CUE_SUCCESS)
            return 2;
    } else if (CU_register_suites(ns_test_suites) != CUE_SUCCESS) {
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    unsigned run = CU_get_number_of_tests_run();
    unsigned tests_failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    if (run == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return (failed != 0 || tests_failed != 0) ? 1 : 0;
}
