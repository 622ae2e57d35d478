/* Shared CUnit runner: each test binary defines ns_test_suites[] (ended by
 * CU_SUITE_INFO_NULL) and links runner.c, which runs all suites or the one
 * named by `--suite NAME`, and exits non-zero if any assertion failed
 * (CU_get_error() alone stays 0 on failed assertions). */
#pragma once

#include <CUnit/CUnit.h>

extern CU_SuiteInfo ns_test_suites[];
