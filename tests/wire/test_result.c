/* Tests of the wire layer's result names (result.h). */
#include "netsim/wire/result.h"

#include <CUnit/CUnit.h>

static void test_result_names(void)
{
    CU_ASSERT_STRING_EQUAL(ns_wire_result_name(NS_WIRE_OK), "ok");
    CU_ASSERT_STRING_EQUAL(ns_wire_result_name(NS_WIRE_TRUNCATED), "truncated");
    CU_ASSERT_STRING_EQUAL(ns_wire_result_name(NS_WIRE_MALFORMED), "malformed");
    CU_ASSERT_STRING_EQUAL(ns_wire_result_name(NS_WIRE_BAD_CHECKSUM), "bad-checksum");
    CU_ASSERT_STRING_EQUAL(ns_wire_result_name(NS_WIRE_UNSUPPORTED), "unsupported");
}

static void test_result_name_out_of_range_is_invalid(void)
{
    CU_ASSERT_STRING_EQUAL(ns_wire_result_name((NsWireResult)99), "invalid");
}

CU_TestInfo ns_wire_result_tests[] = {
    {"result_names", test_result_names},
    {"result_name_out_of_range_is_invalid", test_result_name_out_of_range_is_invalid},
    CU_TEST_INFO_NULL,
};
