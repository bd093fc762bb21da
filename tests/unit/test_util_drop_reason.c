/* The drop reasons the datapath emits (bpf/include/dfl_drop_reasons.h) and
 * the userspace table of names and texts (util/drop_reason.c) agree. */
#include <check.h>
#include <stdlib.h>

#include "bpf/include/dfl_drop_reasons.h"
#include "util/drop_reason.h"

START_TEST(every_datapath_reason_has_the_same_name_and_text)
{
#define CHECK_REASON(sym, num, name, desc)                                     \
	ck_assert_str_eq(dfl_drop_reason__name(num), name);                    \
	ck_assert_str_eq(dfl_drop_reason__text(num), desc);                    \
	ck_assert_int_eq(dfl_drop_reason__parse(name), num);
	DFL_DROP_REASON_TABLE(CHECK_REASON)
#undef CHECK_REASON
}
END_TEST

START_TEST(policy_reasons_and_unknown_codes)
{
	ck_assert_str_eq(dfl_drop_reason__text(DFL_DROP_POLICY), "Policy denied");
	ck_assert_str_eq(dfl_drop_reason__text(DFL_DROP_POLICY_DENY),
			 "Policy denied by denylist");
	ck_assert_str_eq(dfl_drop_reason__name(0), "DROP_REASON_UNKNOWN");
	ck_assert_ptr_null(dfl_drop_reason__name(129));
	ck_assert_ptr_null(dfl_drop_reason__text(255));
	ck_assert_int_eq(dfl_drop_reason__parse("NOT_A_REASON"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util_drop_reason");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_datapath_reason_has_the_same_name_and_text);
	tcase_add_test(tc, policy_reasons_and_unknown_codes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
