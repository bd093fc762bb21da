/* agent/: the names the agent makes up and Kubernetes' name rules. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/naming.h"
#include "agent/pod.h"

START_TEST(endpoint_names_are_short_deterministic_and_per_node)
{
	char ns1[DFL_NETNS_NAME_MAX], if1[DFL_IFNAME_MAX];
	char ns2[DFL_NETNS_NAME_MAX], if2[DFL_IFNAME_MAX];

	dfl_endpoint__names("node-a", "default", "tiefighter", 0, ns1, if1);
	ck_assert_uint_eq(strlen(if1), 15); /* IFNAMSIZ - 1 */
	ck_assert_int_eq(strncmp(if1, "lxc", 3), 0);
	ck_assert_int_eq(strncmp(ns1, "dfl-", 4), 0);
	ck_assert_str_eq(ns1 + 4, if1 + 3); /* same hash: easy to correlate */
	ck_assert_uint_eq(strspn(if1 + 3, "0123456789abcdef"), 12);

	dfl_endpoint__names("node-a", "default", "tiefighter", 0, ns2, if2);
	ck_assert_str_eq(ns1, ns2);
	dfl_endpoint__names("node-b", "default", "tiefighter", 0, ns2, if2);
	ck_assert_str_ne(ns1, ns2);
	dfl_endpoint__names("node-a", "default", "tiefighter", 1, ns2, if2);
	ck_assert_str_ne(ns1, ns2);
	/* The separator is hashed: ("de","fault/x") is not ("default","x"). */
	dfl_endpoint__names("node-a", "defaul", "ttiefighter", 0, ns2, if2);
	ck_assert_str_ne(ns1, ns2);
}
END_TEST

START_TEST(template_hash_looks_like_kubernetes)
{
	struct dfl_kv labels[] = { { "class", "deathstar", { 0 } },
				   { "org", "empire", { 0 } } };
	struct dfl_pod_desc t = { .labels = { labels, 2 },
				  .image = "docker.io/cilium/starwars" };
	char h1[11], h2[11];

	dfl_pod_template__hash(&t, h1);
	ck_assert_uint_ge(strlen(h1), 1);
	ck_assert_uint_le(strlen(h1), 10);
	/* Digits 0-9 map to these through SafeEncodeString's alphabet. */
	ck_assert_uint_eq(strspn(h1, "456789bcdf"), strlen(h1));
	dfl_pod_template__hash(&t, h2);
	ck_assert_str_eq(h1, h2);
	t.image = "docker.io/cilium/starwars:v2";
	dfl_pod_template__hash(&t, h2);
	ck_assert_str_ne(h1, h2);
}
END_TEST

START_TEST(replica_names)
{
	char name[64], suffix[6], other[6];
	char long_name[80];

	dfl_name__random_suffix(suffix);
	ck_assert_uint_eq(strlen(suffix), 5);
	ck_assert_uint_eq(strspn(suffix, "bcdfghjklmnpqrstvwxz2456789"), 5);
	dfl_name__random_suffix(other);
	ck_assert_int_eq(dfl_replica__name(name, sizeof(name), "deathstar",
					   "8c4c77fb7", "h59s2"), 0);
	ck_assert_str_eq(name, "deathstar-8c4c77fb7-h59s2");
	memset(long_name, 'a', 70);
	long_name[70] = '\0';
	ck_assert_int_eq(dfl_replica__name(name, sizeof(name), long_name,
					   "8c4c77fb7", "h59s2"), 0);
	ck_assert_uint_eq(strlen(name), 63);
	ck_assert_str_eq(name + 58, "h59s2");
	ck_assert_int_eq(dfl_replica__name(name, 10, "deathstar", "8c4c77fb7",
					   "h59s2"), -ENAMETOOLONG);
}
END_TEST

START_TEST(kubernetes_name_rules)
{
	ck_assert_ptr_null(dfl_k8s__check_label("default"));
	ck_assert_ptr_null(dfl_k8s__check_label("kube-system"));
	ck_assert_str_eq(dfl_k8s__check_label("Default"), "must be lower case");
	ck_assert_ptr_nonnull(dfl_k8s__check_label("-a"));
	ck_assert_ptr_nonnull(dfl_k8s__check_label("a.b"));
	ck_assert_ptr_nonnull(dfl_k8s__check_label(""));
	ck_assert_ptr_nonnull(dfl_k8s__check_label(
		"a234567890123456789012345678901234567890123456789012345678901234"));
	ck_assert_ptr_null(dfl_k8s__check_subdomain("deathstar-8c4c77fb7-h59s2"));
	ck_assert_ptr_null(dfl_k8s__check_subdomain("a.b.c"));
	ck_assert_ptr_nonnull(dfl_k8s__check_subdomain("a..b"));
	ck_assert_ptr_nonnull(dfl_k8s__check_subdomain("a_b"));
	ck_assert_ptr_nonnull(dfl_k8s__check_subdomain("../etc"));
	ck_assert_ptr_null(dfl_k8s__check_label_key("app.kubernetes.io/name"));
	ck_assert_ptr_null(dfl_k8s__check_label_key("Class"));
	ck_assert_ptr_nonnull(dfl_k8s__check_label_key("a/b/c"));
	ck_assert_ptr_nonnull(dfl_k8s__check_label_key("/x"));
	ck_assert_ptr_null(dfl_k8s__check_label_value(""));
	ck_assert_ptr_null(dfl_k8s__check_label_value("empire"));
	ck_assert_ptr_nonnull(dfl_k8s__check_label_value("em pire"));
	ck_assert_ptr_nonnull(dfl_k8s__check_label_value("-x"));
}
END_TEST

static Suite *naming_suite(void)
{
	Suite *s = suite_create("agent_naming");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, endpoint_names_are_short_deterministic_and_per_node);
	tcase_add_test(tc, template_hash_looks_like_kubernetes);
	tcase_add_test(tc, replica_names);
	tcase_add_test(tc, kubernetes_name_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(naming_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
