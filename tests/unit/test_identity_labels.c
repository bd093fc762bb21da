/* identity/: labels, the identity label filter (§6.4) and pod identity
 * labels (§2.4). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/podlabels.h"
#include "tests/unit/helpers/th.h"

START_TEST(parse_and_canonical)
{
	struct dfl_label l;
	struct dfl_labels ls = { 0 };
	char *s;

	ck_assert_int_eq(dfl_label__parse("k8s:app=web", "any", &l), 0);
	ck_assert_str_eq(l.source, "k8s");
	ck_assert_str_eq(l.key, "app");
	ck_assert_str_eq(l.value, "web");
	dfl_label__release(&l);
	ck_assert_int_eq(dfl_label__parse("reserved:host", "any", &l), 0);
	ck_assert_str_eq(l.value, "");
	dfl_label__release(&l);
	ck_assert_int_eq(dfl_label__parse("role=db", "k8s", &l), 0);
	ck_assert_str_eq(l.source, "k8s");
	dfl_label__release(&l);
	ck_assert_int_eq(dfl_label__parse("k8s:=x", "any", &l), -EINVAL);

	/* One label per key, kept sorted; canonical text is the allocation
	 * key. */
	ck_assert_int_eq(dfl_labels__parse_list(&ls, "zeta=1,k8s:alpha=2,"
						     "cidr:10.0.0.0/8",
						"k8s"),
			 0);
	ck_assert_int_eq(dfl_labels__set(&ls, "container", "zeta", "3"), 0);
	s = dfl_labels__canonical(&ls);
	ck_assert_str_eq(s, "cidr:10.0.0.0/8;k8s:alpha=2;container:zeta=3");
	free(s);
	ck_assert_str_eq(dfl_labels__value(&ls, "k8s", "alpha"), "2");
	ck_assert_ptr_null(dfl_labels__value(&ls, "k8s", "zeta"));
	ck_assert(dfl_labels__remove(&ls, "alpha"));
	ck_assert_uint_eq(ls.n, 2);
	dfl_labels__release(&ls);
}
END_TEST

/* Cilium's default label filter: kept, dropped, and the longest-include
 * versus shortest-exclude rule. */
START_TEST(identity_relevant_filter)
{
	static const struct {
		const char *key;
		bool kept;
	} cases[] = {
		{ "app", true },
		{ "io.kubernetes.pod.namespace", true },
		{ "io.kubernetes.container.name", false },
		{ "kubernetes.io/hostname", false },
		{ "app.kubernetes.io/name", true },
		{ "pod-template-hash", false },
		{ "controller-revision-hash", false },
		{ "statefulset.kubernetes.io/pod-name", false },
		{ "failure-domain.beta.kubernetes.io/zone", false },
		{ "annotation.foo", false },
		{ "io.cilium.k8s.namespace.labels.team", true },
		{ "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name",
		  true },
		{ "io.cilium.k8s.policy.serviceaccount", true },
		{ "io.cilium.k8s.policy.cluster", true },
		{ "k8s.io/foo", false },
		{ "topology.kubernetes.io/zone", false },
		{ "etcd_node", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(dfl_label_is_identity_relevant("k8s",
							     cases[i].key) ==
				      cases[i].kept,
			      "%s", cases[i].key);
	ck_assert(dfl_label_is_identity_relevant("reserved", "host"));
}
END_TEST

START_TEST(pod_identity_labels)
{
	struct th *t = th_new();
	struct dfl_pod *pod = th_pod(t, "prod", "web-1",
				     "app=web,pod-template-hash=abc,"
				     "io.cilium.k8s.policy.cluster=spoofed",
				     NULL);
	struct dfl_namespace *ns = th_ns(t, "prod", "team=a");
	struct dfl_labels ls = { 0 };

	ck_assert_int_eq(dfl_pod_identity_labels(&pod->spec.labels, "prod",
						 &ns->meta.labels, "websa",
						 "c1", &ls),
			 0);
	ck_assert_str_eq(dfl_labels__value(&ls, "k8s", "app"), "web");
	ck_assert_ptr_null(dfl_labels__find(&ls, "pod-template-hash"));
	ck_assert_str_eq(dfl_labels__value(&ls, "k8s", DFL_LBL_CLUSTER), "c1");
	ck_assert_str_eq(dfl_labels__value(&ls, "k8s", DFL_LBL_NAMESPACE),
			 "prod");
	ck_assert_str_eq(dfl_labels__value(&ls, "k8s", DFL_LBL_SERVICEACCOUNT),
			 "websa");
	ck_assert_str_eq(dfl_labels__value(&ls, "k8s",
					   DFL_LBL_NS_LABELS "team"),
			 "a");
	ck_assert_str_eq(dfl_labels__value(&ls, "k8s", DFL_LBL_NS_NAME),
			 "prod");
	ck_assert_uint_eq(ls.n, 6);
	dfl_labels__release(&ls);
	th_free(t);
}
END_TEST

static Suite *labels_suite(void)
{
	Suite *s = suite_create("identity_labels");
	TCase *tc = tcase_create("labels");

	tcase_add_test(tc, parse_and_canonical);
	tcase_add_test(tc, identity_relevant_filter);
	tcase_add_test(tc, pod_identity_labels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(labels_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
