/* util/: diagnostics, string builder, interning. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/intern.h"
#include "util/mem.h"
#include "util/strbuf.h"

START_TEST(strbuf_appends_and_formats)
{
	struct dfl_strbuf sb = { 0 };

	ck_assert_str_eq(dfl_strbuf__str(&sb), "");
	dfl_strbuf__puts(&sb, "port ");
	dfl_strbuf__printf(&sb, "%d/%s", 80, "TCP");
	ck_assert_str_eq(dfl_strbuf__str(&sb), "port 80/TCP");
	ck_assert_uint_eq(sb.len, 11);
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(diags_sort_by_position_then_severity)
{
	struct dfl_diags d = { 0 };
	const char *f = dfl_intern("sw.yaml");
	char buf[64];

	dfl_diags__add(&d, DFL_SEV_WARNING, (struct dfl_pos){ f, 14, 9 }, NULL,
		       "w", NULL, "second");
	dfl_diags__add(&d, DFL_SEV_ERROR, (struct dfl_pos){ f, 3, 1 },
		       "spec.ingress[0]", "e", NULL, "first %d", 1);
	dfl_diags__add(&d, DFL_SEV_ERROR, (struct dfl_pos){ f, 14, 9 }, NULL,
		       "e2", NULL, "error before warning");
	dfl_diags__sort(&d);
	ck_assert_str_eq(d.items[0].message, "first 1");
	ck_assert_str_eq(d.items[1].message, "error before warning");
	ck_assert_str_eq(d.items[2].message, "second");
	ck_assert_uint_eq(dfl_diags__count(&d, DFL_SEV_ERROR), 2);
	ck_assert_str_eq(dfl_pos__fmt(d.items[0].pos, buf, sizeof(buf)),
			 "sw.yaml:3:1");
	dfl_diags__release(&d);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(intern_returns_stable_pointers)
{
	const char *a = dfl_intern("a.yaml");
	const char *b = dfl_intern("b.yaml");

	ck_assert_ptr_eq(dfl_intern("a.yaml"), a);
	ck_assert_ptr_ne(a, b);
	ck_assert_str_eq(b, "b.yaml");
}
END_TEST

START_TEST(push_grows_and_zeroes)
{
	int *arr = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 100; i++) {
		int *slot = DFL_PUSH(arr, n, cap);

		ck_assert_ptr_nonnull(slot);
		ck_assert_int_eq(*slot, 0);
		*slot = i;
	}
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(arr[99], 99);
	free(arr);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, strbuf_appends_and_formats);
	tcase_add_test(tc, diags_sort_by_position_then_severity);
	tcase_add_test(tc, intern_returns_stable_pointers);
	tcase_add_test(tc, push_grows_and_zeroes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
