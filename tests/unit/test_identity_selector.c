/* identity/: selector matching (§2.1, §2.2, §2.6). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "identity/labels.h"
#include "identity/selector.h"
#include "util/strbuf.h"

static bool sel_matches(const char *sel_text, const char *labels)
{
	struct dfl_sel sel = { 0 };
	struct dfl_labels ls = { 0 };
	bool ok;

	ck_assert_int_eq(dfl_sel__parse(&sel, sel_text, "any"), 0);
	ck_assert_int_eq(dfl_labels__parse_list(&ls, labels, "k8s"), 0);
	ok = dfl_sel__matches(&sel, &ls);
	dfl_sel__release(&sel);
	dfl_labels__release(&ls);
	return ok;
}

START_TEST(operators)
{
	ck_assert(sel_matches("", "app=x"));
	ck_assert(sel_matches("", "reserved:world"));
	ck_assert(sel_matches("app=x", "app=x,env=prod"));
	ck_assert(!sel_matches("app=x", "app=y"));
	ck_assert(!sel_matches("app=x", "env=prod"));
	ck_assert(sel_matches("app", "app=y"));
	ck_assert(!sel_matches("app", "env=y"));
	ck_assert(sel_matches("!app", "env=y"));
	ck_assert(!sel_matches("!app", "app=y"));
	/* NotIn matches an absent key: reserved identities too (§2.2). */
	ck_assert(sel_matches("app!=x", "reserved:world"));
	ck_assert(sel_matches("app!=x", "app=y"));
	ck_assert(!sel_matches("app!=x", "app=x"));
	ck_assert(sel_matches("app=x,env=prod", "app=x,env=prod"));
	ck_assert(!sel_matches("app=x,env=prod", "app=x,env=dev"));
}
END_TEST

START_TEST(sources)
{
	/* any: matches every source; a named source only itself. */
	ck_assert(sel_matches("any:role=db", "k8s:role=db"));
	ck_assert(sel_matches("any:role=db", "container:role=db"));
	ck_assert(sel_matches("k8s:role=db", "k8s:role=db"));
	ck_assert(!sel_matches("k8s:role=db", "container:role=db"));
	ck_assert(sel_matches("reserved:host", "reserved:host"));
	ck_assert(!sel_matches("reserved:host", "k8s:host"));
}
END_TEST

START_TEST(cidr_containment)
{
	ck_assert(sel_matches("cidr:10.0.0.0/8", "cidr:10.1.2.3/32,reserved:world"));
	ck_assert(sel_matches("cidr:10.0.0.0/8", "cidr:10.0.0.0/8"));
	ck_assert(!sel_matches("cidr:10.0.0.0/16", "cidr:10.0.0.0/8"));
	ck_assert(!sel_matches("cidr:10.0.0.0/8", "cidr:11.0.0.0/8"));
	/* except: DoesNotExist uses containment too */
	ck_assert(!sel_matches("cidr:10.0.0.0/8,!cidr:10.1.0.0/16",
			       "cidr:10.1.2.0/24"));
	ck_assert(sel_matches("cidr:10.0.0.0/8,!cidr:10.1.0.0/16",
			      "cidr:10.2.2.0/24"));
	ck_assert(sel_matches("cidr:2001-db8--/32", "cidr:2001-db8--1/128"));
	ck_assert(!sel_matches("cidr:2001-db8--/32", "cidr:10.0.0.1/32"));
}
END_TEST

START_TEST(canonical_text_ignores_order)
{
	struct dfl_sel a = { 0 }, b = { 0 };
	struct dfl_strbuf sa = { 0 }, sb = { 0 };

	ck_assert_int_eq(dfl_sel__parse(&a, "b=2,a=1,!c", "any"), 0);
	ck_assert_int_eq(dfl_sel__parse(&b, "!c,a=1,b=2,a=1", "any"), 0);
	dfl_sel__fmt(&a, &sa);
	dfl_sel__fmt(&b, &sb);
	ck_assert_str_eq(sa.buf, sb.buf);
	ck_assert_str_eq(sa.buf,
			 "any:a In (1); any:b In (2); any:c DoesNotExist");
	ck_assert_int_eq(dfl_sel__set_match(&a, "any", "a", "9"), 0);
	dfl_strbuf__reset(&sa);
	dfl_sel__fmt(&a, &sa);
	ck_assert_str_eq(sa.buf,
			 "any:a In (9); any:b In (2); any:c DoesNotExist");
	ck_assert_int_eq(dfl_sel__add(&a, "cidr", "not-a-prefix",
				      DFL_TERM_EXISTS, NULL, 0),
			 -EINVAL);
	dfl_strbuf__release(&sa);
	dfl_strbuf__release(&sb);
	dfl_sel__release(&a);
	dfl_sel__release(&b);
}
END_TEST

static Suite *selector_suite(void)
{
	Suite *s = suite_create("identity_selector");
	TCase *tc = tcase_create("selector");

	tcase_add_test(tc, operators);
	tcase_add_test(tc, sources);
	tcase_add_test(tc, cidr_containment);
	tcase_add_test(tc, canonical_text_ignores_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(selector_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
