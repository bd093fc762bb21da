/* policy/: namespace and cluster scoping of selectors (§2.3, §2.8), the
 * Cilium unit cases of §9 items 15-21, entities and CIDR selectors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/prefix.h"
#include "identity/selector.h"
#include "policy/scope.h"
#include "util/strbuf.h"

/* The scoped form of a peer selector as canonical text. */
static char *peer(const char *sel_text, enum dfl_kind kind, const char *ns,
		  const char *cluster, bool init)
{
	struct dfl_sel s = { 0 };
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_sel__parse(&s, sel_text, "any"), 0);
	ck_assert_int_eq(dfl_scope_peer(&s, kind, ns, cluster, init), 0);
	dfl_sel__fmt(&s, &sb);
	dfl_sel__release(&s);
	return dfl_strbuf__detach(&sb);
}

#define ASSERT_PEER(sel, kind, ns, cluster, want)                    \
	do {                                                         \
		char *got_ = peer(sel, kind, ns, cluster, false);    \
		ck_assert_str_eq(got_, want);                        \
		free(got_);                                          \
	} while (0)

#define NS "k8s:io.kubernetes.pod.namespace"
#define CL "k8s:io.cilium.k8s.policy.cluster"

/* §9 item 16 set-any-source-for-namespace, 17 set-cluster-by-default, 18
 * ns-labels selector, 19 CCNP wildcard, 20 reserved:init. */
START_TEST(cilium_parse_cases)
{
	char *got;

	/* 16: an any: namespace requirement is kept, nothing injected. */
	ASSERT_PEER("any:io.kubernetes.pod.namespace=ns-2", DFL_KIND_CNP,
		    "default", "",
		    "any:io.kubernetes.pod.namespace In (ns-2)");
	/* 17: {} and an explicit other cluster */
	ASSERT_PEER("", DFL_KIND_CNP, "default", "cluster1",
		    CL " In (cluster1); " NS " In (default)");
	ASSERT_PEER("k8s:io.cilium.k8s.policy.cluster=cluster2", DFL_KIND_CNP,
		    "default", "cluster1",
		    CL " In (cluster2); " NS " In (default)");
	/* 18: namespace-label selectors select across namespaces */
	ASSERT_PEER("any:io.cilium.k8s.namespace.labels.team=team-a",
		    DFL_KIND_CNP, "default", "",
		    "any:io.cilium.k8s.namespace.labels.team In (team-a)");
	/* 19: CCNP {} -> namespace Exists */
	ASSERT_PEER("", DFL_KIND_CCNP, NULL, "", NS " Exists");
	/* ... and namespace labels do not suppress it in a CCNP */
	ASSERT_PEER("any:io.cilium.k8s.namespace.labels.team=a", DFL_KIND_CCNP,
		    NULL, "",
		    "any:io.cilium.k8s.namespace.labels.team In (a); " NS
		    " Exists");
	/* 20: a CCNP whose subject is reserved:init adds no namespace */
	got = peer("", DFL_KIND_CCNP, NULL, "", true);
	ck_assert_str_eq(got, "{}");
	free(got);
	/* reserved: selectors are never scoped */
	ASSERT_PEER("reserved:host", DFL_KIND_CNP, "app", "c1",
		    "reserved:host Exists");
}
END_TEST

/* §9 item 15: the subject of a CNP gets the policy namespace, replacing a
 * matchLabels namespace. */
START_TEST(subject_namespace_is_rewritten)
{
	struct dfl_sel s = { 0 };
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_sel__parse(&s, "any:role=backend,"
					    "k8s:io.kubernetes.pod.namespace=foo",
					"any"),
			 0);
	ck_assert_int_eq(dfl_scope_subject(&s, DFL_KIND_CNP, "default"), 0);
	dfl_sel__fmt(&s, &sb);
	ck_assert_str_eq(sb.buf, "any:role In (backend); " NS " In (default)");
	dfl_strbuf__release(&sb);
	dfl_sel__release(&s);
	/* CCNP subjects are untouched */
	ck_assert_int_eq(dfl_sel__parse(&s, "any:role=x", "any"), 0);
	ck_assert_int_eq(dfl_scope_subject(&s, DFL_KIND_CCNP, NULL), 0);
	ck_assert_uint_eq(s.n, 1);
	dfl_sel__release(&s);
}
END_TEST

/* §9 item 21: fromNodes [{}] adds reserved:remote-node Exists. */
START_TEST(nodes_selector)
{
	struct dfl_sel s = { 0 };
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_scope_node(&s, "c1"), 0);
	dfl_sel__fmt(&s, &sb);
	ck_assert_str_eq(sb.buf, CL " In (c1); reserved:remote-node Exists");
	dfl_strbuf__release(&sb);
	dfl_sel__release(&s);
}
END_TEST

static bool scoped_match(const char *sel_text, enum dfl_kind kind,
			 const char *labels)
{
	struct dfl_sel s = { 0 };
	struct dfl_labels ls = { 0 };
	bool ok;

	ck_assert_int_eq(dfl_sel__parse(&s, sel_text, "any"), 0);
	ck_assert_int_eq(dfl_scope_peer(&s, kind, kind == DFL_KIND_CCNP ? NULL :
								    "app",
					"c1", false),
			 0);
	ck_assert_int_eq(dfl_labels__parse_list(&ls, labels, "k8s"), 0);
	ok = dfl_sel__matches(&s, &ls);
	dfl_sel__release(&s);
	dfl_labels__release(&ls);
	return ok;
}

#define POD(ns, extra)                                                     \
	"io.kubernetes.pod.namespace=" ns                                  \
	",io.cilium.k8s.policy.cluster=c1,io.cilium.k8s.policy.serviceaccount=sa1," extra

/* The table of §2.8 (CNP in namespace app, cluster c1). */
START_TEST(selector_table)
{
	const enum dfl_kind cnp = DFL_KIND_CNP;

	ck_assert(scoped_match("", cnp, POD("app", "role=x")));
	ck_assert(!scoped_match("", cnp, POD("other", "role=x")));
	ck_assert(!scoped_match("", cnp, "reserved:world"));
	ck_assert(!scoped_match("", cnp, "reserved:host"));
	ck_assert(scoped_match("role=db", cnp, POD("app", "role=db")));
	ck_assert(!scoped_match("role=db", cnp, POD("other", "role=db")));
	ck_assert(scoped_match("k8s:role=db", cnp, POD("app", "role=db")));
	ck_assert(!scoped_match("k8s:role=db", cnp,
				POD("app", "container:role=db")));
	ck_assert(scoped_match("io.kubernetes.pod.namespace=kube-system,"
			       "k8s-app=kube-dns",
			       cnp, POD("kube-system", "k8s-app=kube-dns")));
	ck_assert(scoped_match("io.kubernetes.pod.namespace!=kube-system",
			       cnp, POD("prod", "a=b")));
	ck_assert(!scoped_match("io.kubernetes.pod.namespace!=kube-system",
				cnp, POD("kube-system", "a=b")));
	ck_assert(scoped_match("io.cilium.k8s.namespace.labels.team=a", cnp,
			       POD("prod", "io.cilium.k8s.namespace.labels."
					   "team=a")));
	ck_assert(scoped_match("reserved:host", cnp, "reserved:host"));
	ck_assert(scoped_match("io.cilium.k8s.policy.serviceaccount=sa1", cnp,
			       POD("app", "x=y")));
	ck_assert(!scoped_match("io.cilium.k8s.policy.serviceaccount=sa1", cnp,
				POD("other", "x=y")));
	/* another cluster: namespace still app */
	ck_assert(scoped_match("io.cilium.k8s.policy.cluster=c2", cnp,
			       "io.kubernetes.pod.namespace=app,"
			       "io.cilium.k8s.policy.cluster=c2"));
	/* CCNP: every namespace, not reserved identities */
	ck_assert(scoped_match("", DFL_KIND_CCNP, POD("other", "x=y")));
	ck_assert(!scoped_match("", DFL_KIND_CCNP, "reserved:world"));
}
END_TEST

static char *entity_text(uint32_t mask)
{
	struct dfl_sel *sels = NULL;
	size_t n = 0, cap = 0;
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_entity_selectors(mask, "c1", &sels, &n, &cap), 0);
	for (size_t i = 0; i < n; i++) {
		dfl_strbuf__puts(&sb, i ? " | " : "");
		dfl_sel__fmt(&sels[i], &sb);
		dfl_sel__release(&sels[i]);
	}
	free(sels);
	return dfl_strbuf__detach(&sb);
}

START_TEST(entity_selectors)
{
	char *s = entity_text(DFL_ENTITY_ALL);

	ck_assert_str_eq(s, "{}");
	free(s);
	s = entity_text(DFL_ENTITY_WORLD);
	ck_assert_str_eq(s, "reserved:world Exists | reserved:world-ipv4 Exists"
			    " | reserved:world-ipv6 Exists");
	free(s);
	s = entity_text(DFL_ENTITY_CLUSTER);
	ck_assert_ptr_nonnull(strstr(s, "reserved:kube-apiserver Exists"));
	ck_assert_ptr_nonnull(strstr(s, CL " In (c1)"));
	ck_assert_ptr_null(strstr(s, "world"));
	free(s);
	s = entity_text(DFL_ENTITY_HOST | DFL_ENTITY_REMOTE_NODE);
	ck_assert_str_eq(s, "reserved:host Exists | reserved:remote-node Exists");
	free(s);
}
END_TEST

START_TEST(cidr_selectors)
{
	struct dfl_prefix p, ex[2];
	struct dfl_sel s = { 0 };
	struct dfl_strbuf sb = { 0 };

	dfl_prefix__parse("10.0.0.0/8", &p);
	dfl_prefix__parse("10.1.0.0/16", &ex[0]);
	dfl_prefix__parse("10.2.0.0/16", &ex[1]);
	ck_assert_int_eq(dfl_cidr_selector(&p, ex, 2, &s), 0);
	dfl_sel__fmt(&s, &sb);
	ck_assert_str_eq(sb.buf, "cidr:10.0.0.0/8 Exists; cidr:10.1.0.0/16 "
				 "DoesNotExist; cidr:10.2.0.0/16 DoesNotExist");
	dfl_sel__release(&s);
	dfl_strbuf__reset(&sb);
	dfl_prefix__parse("0.0.0.0/0", &p);
	ck_assert_int_eq(dfl_cidr_selector(&p, NULL, 0, &s), 0);
	dfl_sel__fmt(&s, &sb);
	ck_assert_str_eq(sb.buf, "reserved:world Exists");
	dfl_sel__release(&s);
	dfl_strbuf__release(&sb);
}
END_TEST

static Suite *scope_suite(void)
{
	Suite *s = suite_create("policy_scope");
	TCase *tc = tcase_create("scope");

	tcase_add_test(tc, cilium_parse_cases);
	tcase_add_test(tc, subject_namespace_is_rewritten);
	tcase_add_test(tc, nodes_selector);
	tcase_add_test(tc, selector_table);
	tcase_add_test(tc, entity_selectors);
	tcase_add_test(tc, cidr_selectors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scope_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
