/* identity/: numeric identities (§6) and the ipcache. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/allocator.h"
#include "identity/ipcache.h"
#include "identity/labels.h"
#include "identity/prefix.h"

static uint32_t acquire(struct dfl_idalloc *a, const char *labels)
{
	struct dfl_labels ls = { 0 };
	const struct dfl_identity *id;

	ck_assert_int_eq(dfl_labels__parse_list(&ls, labels, "k8s"), 0);
	ck_assert_int_eq(dfl_idalloc__acquire(a, &ls, &id, NULL), 0);
	dfl_labels__release(&ls);
	return id->id;
}

START_TEST(reserved_and_well_known)
{
	struct dfl_idalloc *a = dfl_idalloc__new("default", "kube-system");

	ck_assert_uint_eq(acquire(a, "reserved:host"), 1);
	ck_assert_uint_eq(acquire(a, "reserved:world"), 2);
	ck_assert_uint_eq(acquire(a, "reserved:health"), 4);
	ck_assert_uint_eq(acquire(a, "reserved:kube-apiserver,"
				     "reserved:remote-node"),
			  7);
	/* host with node labels is still the host */
	ck_assert_uint_eq(acquire(a, "reserved:host,k8s:node=a"), 1);
	ck_assert_uint_eq(acquire(a, "k8s:k8s-app=kube-dns,"
				     "k8s:io.kubernetes.pod.namespace=kube-system,"
				     "k8s:io.cilium.k8s.policy.serviceaccount=kube-dns,"
				     "k8s:io.cilium.k8s.policy.cluster=default"),
			  102);
	ck_assert_uint_eq(acquire(a, "k8s:k8s-app=kube-dns,"
				     "k8s:io.kubernetes.pod.namespace=kube-system,"
				     "k8s:io.cilium.k8s.policy.serviceaccount=coredns,"
				     "k8s:io.cilium.k8s.policy.cluster=default,"
				     "k8s:io.cilium.k8s.namespace.labels."
				     "kubernetes.io/metadata.name=kube-system"),
			  112);
	ck_assert_str_eq(dfl_identity_reserved_name(112), "core-dns");
	ck_assert_uint_eq(dfl_identity_reserved_by_name("remote-node"), 6);
	/* Reserved identities are never freed. */
	ck_assert(!dfl_idalloc__release(a, 1));
	ck_assert_ptr_nonnull(dfl_idalloc__get(a, 1));
	dfl_idalloc__free(a);
}
END_TEST

START_TEST(scopes_and_refcounts)
{
	struct dfl_idalloc *a = dfl_idalloc__new("default", "kube-system");
	uint32_t pod = acquire(a, "k8s:app=web");
	uint32_t cidr = acquire(a, "cidr:10.0.0.0/8,reserved:world");
	uint32_t fqdn = acquire(a, "fqdn:api.example.com,reserved:world");

	ck_assert_uint_ge(pod, 256);
	ck_assert_uint_le(pod, 65535);
	ck_assert_uint_eq(cidr >> 24, 1);
	ck_assert_uint_eq(fqdn >> 24, 1);
	ck_assert_uint_ne(cidr, fqdn);
	ck_assert_uint_eq(acquire(a, "k8s:app=web"), pod);
	ck_assert(!dfl_idalloc__release(a, pod));
	ck_assert(dfl_idalloc__release(a, pod));
	ck_assert_ptr_null(dfl_idalloc__get(a, pod));
	dfl_idalloc__free(a);
}
END_TEST

/* The same label sets allocated in opposite orders get the same numbers
 * when allocated in sorted order (what the compiler does per batch); a
 * saved table restores exactly. */
START_TEST(stable_and_persistent)
{
	struct dfl_idalloc *a = dfl_idalloc__new("default", "kube-system");
	struct dfl_idalloc *b = dfl_idalloc__new("default", "kube-system");
	struct dfl_idalloc *r = dfl_idalloc__new("default", "kube-system");
	char sets[200][32];
	uint32_t ids[200];
	char *buf = NULL;
	size_t len = 0, bad = 0;
	FILE *f;

	for (int i = 0; i < 200; i++) {
		snprintf(sets[i], sizeof(sets[i]), "k8s:app=a%03d", i);
		ids[i] = acquire(a, sets[i]);
	}
	for (int i = 0; i < 200; i++)
		ck_assert_uint_eq(acquire(b, sets[i]), ids[i]);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(dfl_idalloc__save(a, f), 0);
	fclose(f);
	f = fmemopen(buf, len, "r");
	ck_assert_int_eq(dfl_idalloc__load(r, f, &bad), 0);
	fclose(f);
	for (int i = 0; i < 200; i++)
		ck_assert_uint_eq(acquire(r, sets[i]), ids[i]);
	f = fmemopen("300\tk8s:app=x\nnot a line\n", 26, "r");
	ck_assert_int_eq(dfl_idalloc__load(r, f, &bad), -EINVAL);
	ck_assert_uint_eq(bad, 2);
	fclose(f);
	free(buf);
	dfl_idalloc__free(a);
	dfl_idalloc__free(b);
	dfl_idalloc__free(r);
}
END_TEST

START_TEST(ipcache_longest_prefix)
{
	struct dfl_ipcache *c = dfl_ipcache__new();
	struct dfl_prefix p, a;
	const struct dfl_ipcache_item *e;

	dfl_prefix__parse("10.0.0.0/8", &p);
	ck_assert_int_eq(dfl_ipcache__upsert(c, &p, 100, "cidr"), 0);
	dfl_prefix__parse("10.1.0.0/16", &p);
	ck_assert_int_eq(dfl_ipcache__upsert(c, &p, 200, NULL), 0);
	dfl_prefix__parse("10.1.2.3", &p);
	ck_assert_int_eq(dfl_ipcache__upsert(c, &p, 300, "pod a/b"), 0);
	dfl_prefix__parse("2001:db8::/32", &p);
	ck_assert_int_eq(dfl_ipcache__upsert(c, &p, 400, NULL), 0);
	dfl_prefix__parse("10.1.2.3", &a);
	ck_assert_uint_eq(dfl_ipcache__lookup(c, &a)->identity, 300);
	dfl_prefix__parse("10.1.2.4", &a);
	ck_assert_uint_eq(dfl_ipcache__lookup(c, &a)->identity, 200);
	dfl_prefix__parse("10.2.0.1", &a);
	e = dfl_ipcache__lookup(c, &a);
	ck_assert_uint_eq(e->identity, 100);
	ck_assert_str_eq(e->owner, "cidr");
	dfl_prefix__parse("11.0.0.1", &a);
	ck_assert_ptr_null(dfl_ipcache__lookup(c, &a));
	dfl_prefix__parse("2001:db8::1", &a);
	ck_assert_uint_eq(dfl_ipcache__lookup(c, &a)->identity, 400);
	dfl_prefix__parse("10.1.0.0/16", &p);
	ck_assert(dfl_ipcache__delete(c, &p));
	dfl_prefix__parse("10.1.2.4", &a);
	ck_assert_uint_eq(dfl_ipcache__lookup(c, &a)->identity, 100);
	ck_assert_uint_eq(dfl_ipcache__count(c), 3);
	dfl_ipcache__free(c);
}
END_TEST

START_TEST(prefixes)
{
	struct dfl_prefix p, q;
	char buf[DFL_PREFIX_STRLEN];

	ck_assert_int_eq(dfl_prefix__parse("10.1.2.3/8", &p), 0);
	ck_assert_str_eq(dfl_prefix__fmt(&p, buf, sizeof(buf)), "10.0.0.0/8");
	ck_assert_int_eq(dfl_prefix__parse("10.0.0.0/33", &p), -EINVAL);
	ck_assert_int_eq(dfl_prefix__parse("10.0.0/8", &p), -EINVAL);
	ck_assert_int_eq(dfl_prefix__parse("::/0", &p), 0);
	ck_assert_str_eq(dfl_prefix__label_key(&p, buf, sizeof(buf)), "0--0/0");
	ck_assert_int_eq(dfl_prefix__parse("2001:db8::/32", &p), 0);
	ck_assert_str_eq(dfl_prefix__label_key(&p, buf, sizeof(buf)),
			 "2001-db8--0/32");
	ck_assert_int_eq(dfl_prefix__parse_label("2001-db8--0/32", &q), 0);
	ck_assert(dfl_prefix__equal(&p, &q));
	ck_assert_int_eq(dfl_prefix__parse("10.0.0.0/7", &p), 0);
	ck_assert_int_eq(dfl_prefix__parse("11.255.0.0/16", &q), 0);
	ck_assert(dfl_prefix__contains(&p, &q));
	ck_assert(!dfl_prefix__contains(&q, &p));
}
END_TEST

static Suite *alloc_suite(void)
{
	Suite *s = suite_create("identity_alloc");
	TCase *tc = tcase_create("alloc");

	tcase_add_test(tc, reserved_and_well_known);
	tcase_add_test(tc, scopes_and_refcounts);
	tcase_add_test(tc, stable_and_persistent);
	tcase_add_test(tc, ipcache_longest_prefix);
	tcase_add_test(tc, prefixes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(alloc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
