/* Content digests: what makes `apply` say configured or unchanged. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crd/objects.h"
#include "util/diag.h"

static uint64_t digest_of(const char *yaml)
{
	struct dfl_objects *objs = dfl_objects__new();
	struct dfl_diags d = { 0 };
	uint64_t h;

	ck_assert_int_eq(dfl_objects__load_buffer(objs, "t.yaml", yaml, strlen(yaml), &d, NULL), 0);
	ck_assert_uint_eq(dfl_diags__count(&d, DFL_SEV_ERROR), 0);
	ck_assert_uint_eq(objs->n_policies, 1);
	h = objs->policies[0]->meta.content_digest;
	dfl_diags__release(&d);
	dfl_objects__free(objs);
	return h;
}

#define CNP_HEAD "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
#define SPEC "spec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n"

START_TEST(same_content_same_digest_despite_key_order_and_server_fields)
{
	uint64_t a = digest_of(CNP_HEAD "metadata: {name: r1, namespace: default}\n" SPEC);
	uint64_t b = digest_of("kind: CiliumNetworkPolicy\napiVersion: cilium.io/v2\n" SPEC
			       "metadata: {namespace: default, name: r1, resourceVersion: \"42\","
			       " uid: abc, generation: 3}\nstatus: {conditions: []}\n");

	ck_assert_uint_ne(a, 0);
	ck_assert_uint_eq(a, b);
}
END_TEST

START_TEST(changed_spec_or_labels_change_the_digest)
{
	uint64_t a = digest_of(CNP_HEAD "metadata: {name: r1, namespace: default}\n" SPEC);
	uint64_t b = digest_of(CNP_HEAD "metadata: {name: r1, namespace: default}\n"
			       "spec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress:\n"
			       "  - toPorts:\n    - ports: [{port: \"81\", protocol: TCP}]\n");
	uint64_t c = digest_of(CNP_HEAD "metadata: {name: r1, namespace: default, labels: {team: blue}}\n" SPEC);

	ck_assert_uint_ne(a, b);
	ck_assert_uint_ne(a, c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crd_digest");
	TCase *tc = tcase_create("digest");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, same_content_same_digest_despite_key_order_and_server_fields);
	tcase_add_test(tc, changed_spec_or_labels_change_the_digest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
