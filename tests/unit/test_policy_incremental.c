/* policy/: incremental resolution and diffs: a change re-resolves only the
 * endpoints it can affect and reports what changed in their maps. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "policy/compiler.h"
#include "tests/unit/helpers/th.h"
#include "tests/unit/helpers/tp.h"

static struct th *t;
static struct dfl_compiler *c;

static void setup(void)
{
	t = th_new();
	c = tp_compiler();
}

static void teardown(void)
{
	dfl_compiler__free(c);
	th_free(t);
}

static const struct dfl_ep_diff *diff_for(const struct dfl_diffs *d,
					  const char *ep)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->items[i].endpoint, ep))
			return &d->items[i];
	return NULL;
}

static struct dfl_policy *allow_from(const char *name, const char *subject,
				     const char *peer, const char *port)
{
	struct dfl_policy *p = th_cnp(t, "app", name);
	struct dfl_peer_rule *pe = th_ingress(t, th_rule(t, p, subject));

	th_endpoints(t, pe, peer);
	if (port)
		th_ports(t, pe, port, NULL);
	th_finish(p);
	return p;
}

static void add_pods(void)
{
	static const char *const pods[][2] = {
		{ "web-1", "app=web" }, { "web-2", "app=web" },
		{ "db", "app=db" },	{ "cache", "app=cache" },
	};

	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(dfl_compiler__upsert_pod(
					 c, th_pod(t, "app", pods[i][0],
						   pods[i][1], NULL)),
				 0);
}

START_TEST(first_resolution_creates_every_endpoint)
{
	struct dfl_diffs d = { 0 };

	add_pods();
	ck_assert_int_eq(dfl_compiler__resolve(c, &d, NULL), 0);
	ck_assert_uint_eq(d.n, 4);
	for (size_t i = 0; i < d.n; i++) {
		ck_assert(d.items[i].created);
		/* allow-all in both directions */
		ck_assert_uint_eq(d.items[i].n_changes, 2);
	}
	dfl_diffs__release(&d);
	/* Nothing changed: nothing to do. */
	ck_assert_int_eq(dfl_compiler__resolve(c, &d, NULL), 0);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(policy_change_touches_only_its_subjects)
{
	struct dfl_policy *p1 = allow_from("p", "app=web", "app=db", "80/TCP");
	struct dfl_policy *p2 = allow_from("p", "app=web", "app=db", "443/TCP");
	struct dfl_diffs d = { 0 };
	const struct dfl_ep_diff *w;
	uint32_t db;
	size_t adds = 0, removes = 0;

	add_pods();
	ck_assert_int_eq(dfl_compiler__upsert_policy(c, p1, NULL), 0);
	ck_assert_int_eq(dfl_compiler__resolve(c, NULL, NULL), 0);
	db = tp_identity(c, "app/db");
	ck_assert_int_eq(tp_verdict(tp_policy(c, "app/web-1"), false, db, 6,
				    80),
			 0);

	ck_assert_int_eq(dfl_compiler__upsert_policy(c, p2, NULL), 0);
	ck_assert_int_eq(dfl_compiler__resolve(c, &d, NULL), 0);
	ck_assert_uint_eq(d.n, 2); /* web-1 and web-2 only */
	w = diff_for(&d, "app/web-1");
	ck_assert_ptr_nonnull(w);
	ck_assert(!w->created && !w->dir_changed);
	for (size_t i = 0; i < w->n_changes; i++) {
		const struct dfl_entry_change *ch = &w->changes[i];

		ck_assert_uint_eq(ch->entry.identity, db);
		if (ch->kind == DFL_CHANGE_ADD) {
			ck_assert_uint_eq(ch->entry.port, 443);
			adds++;
		} else {
			ck_assert_int_eq(ch->kind, DFL_CHANGE_REMOVE);
			ck_assert_uint_eq(ch->entry.port, 80);
			removes++;
		}
	}
	ck_assert_uint_eq(adds, 1);
	ck_assert_uint_eq(removes, 1);
	ck_assert_ptr_null(diff_for(&d, "app/db"));
	dfl_diffs__release(&d);
	ck_assert_int_eq(tp_verdict(tp_policy(c, "app/web-2"), false, db, 6,
				    80),
			 133);
}
END_TEST

START_TEST(removing_a_policy_restores_allow_all)
{
	struct dfl_policy *p = allow_from("p", "app=web", "app=db", NULL);
	struct dfl_diffs d = { 0 };
	const struct dfl_ep_diff *w;

	add_pods();
	ck_assert_int_eq(dfl_compiler__upsert_policy(c, p, NULL), 0);
	ck_assert_int_eq(dfl_compiler__resolve(c, NULL, NULL), 0);
	ck_assert(tp_policy(c, "app/web-1")->dir[0].default_deny);
	ck_assert_int_eq(dfl_compiler__remove_policy(c, DFL_KIND_CNP, "app",
						     "p"),
			 0);
	ck_assert_int_eq(dfl_compiler__remove_policy(c, DFL_KIND_CNP, "app",
						     "p"),
			 -ENOENT);
	ck_assert_int_eq(dfl_compiler__resolve(c, &d, NULL), 0);
	ck_assert_uint_eq(d.n, 2);
	w = diff_for(&d, "app/web-2");
	ck_assert(w->dir_changed);
	ck_assert(!tp_policy(c, "app/web-2")->dir[0].enforced);
	dfl_diffs__release(&d);
}
END_TEST

/* A new pod matching a peer selector updates the endpoints that use that
 * selector, and only those. */
START_TEST(new_peer_identity_updates_users)
{
	struct dfl_policy *p = allow_from("p", "app=web", "role=client", NULL);
	struct dfl_diffs d = { 0 };
	const struct dfl_ep_diff *w;
	uint32_t client;

	add_pods();
	ck_assert_int_eq(dfl_compiler__upsert_policy(c, p, NULL), 0);
	ck_assert_int_eq(dfl_compiler__resolve(c, NULL, NULL), 0);
	ck_assert_int_eq(dfl_compiler__upsert_pod(
				 c, th_pod(t, "app", "client", "role=client",
					   "10.200.0.9")),
			 0);
	ck_assert_int_eq(dfl_compiler__resolve(c, &d, NULL), 0);
	client = tp_identity(c, "app/client");
	ck_assert_uint_eq(d.n, 3); /* client (created), web-1, web-2 */
	w = diff_for(&d, "app/web-1");
	ck_assert_uint_eq(w->n_changes, 1);
	ck_assert_int_eq(w->changes[0].kind, DFL_CHANGE_ADD);
	ck_assert_uint_eq(w->changes[0].entry.identity, client);
	ck_assert(diff_for(&d, "app/client")->created);
	dfl_diffs__release(&d);

	/* Relabel the client: the old identity goes, the entry with it. */
	ck_assert_int_eq(dfl_compiler__upsert_pod(
				 c, th_pod(t, "app", "client", "role=other",
					   "10.200.0.9")),
			 0);
	ck_assert_int_eq(dfl_compiler__resolve(c, &d, NULL), 0);
	w = diff_for(&d, "app/web-2");
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(w->n_changes, 1);
	ck_assert_int_eq(w->changes[0].kind, DFL_CHANGE_REMOVE);
	ck_assert_ptr_null(dfl_idalloc__get(dfl_compiler__identities(c),
					    client));
	dfl_diffs__release(&d);

	/* Removing the pod: its own map goes (every entry removed); nobody
	 * selected its new identity, so nothing else changes. */
	ck_assert_int_eq(dfl_compiler__remove_endpoint(c, "app/client"), 0);
	ck_assert_int_eq(dfl_compiler__remove_endpoint(c, "app/client"),
			 -ENOENT);
	ck_assert_int_eq(dfl_compiler__resolve(c, &d, NULL), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert(d.items[0].deleted);
	ck_assert_str_eq(d.items[0].endpoint, "app/client");
	ck_assert_uint_eq(d.items[0].n_changes, 2);
	ck_assert_int_eq(d.items[0].changes[0].kind, DFL_CHANGE_REMOVE);
	ck_assert_ptr_null(dfl_compiler__policy(c, "app/client"));
	dfl_diffs__release(&d);
}
END_TEST

/* The same inputs in another order give the same identities and the same
 * entries. */
START_TEST(deterministic_across_arrival_order)
{
	struct dfl_compiler *c2 = tp_compiler();
	struct dfl_policy *p = allow_from("p", "app=web", "app=db", "80/TCP");
	const char *const names[] = { "web-1", "db", "cache", "x1", "x2",
				      "x3", "x4", "x5" };
	const char *const labels[] = { "app=web", "app=db", "app=cache",
				       "app=x1",  "app=x2", "app=x3",
				       "app=x4",  "app=x5" };
	const struct dfl_ep_policy *a, *b;

	for (size_t i = 0; i < 8; i++) {
		size_t j = 7 - i;

		ck_assert_int_eq(dfl_compiler__upsert_pod(
					 c, th_pod(t, "app", names[i],
						   labels[i], NULL)),
				 0);
		ck_assert_int_eq(dfl_compiler__upsert_pod(
					 c2, th_pod(t, "app", names[j],
						    labels[j], NULL)),
				 0);
	}
	ck_assert_int_eq(dfl_compiler__upsert_policy(c, p, NULL), 0);
	ck_assert_int_eq(dfl_compiler__upsert_policy(c2, p, NULL), 0);
	tp_resolve(c);
	tp_resolve(c2);
	for (size_t i = 0; i < 8; i++) {
		char name[32];

		snprintf(name, sizeof(name), "app/%s", names[i]);
		ck_assert_uint_eq(tp_identity(c, name), tp_identity(c2, name));
	}
	a = tp_policy(c, "app/web-1");
	b = tp_policy(c2, "app/web-1");
	ck_assert_uint_eq(a->n_entries, b->n_entries);
	ck_assert(!memcmp(a->entries, b->entries,
			  a->n_entries * sizeof(*a->entries)));
	dfl_compiler__free(c2);
}
END_TEST

/* A namespace's labels are part of its pods' identities. */
START_TEST(namespace_labels_change_identity)
{
	struct dfl_policy *p = th_ccnp(t, "team-a");
	struct dfl_peer_rule *pe = th_ingress(t, th_rule(t, p, "app=web"));
	uint32_t before;

	th_endpoints(t, pe, "io.cilium.k8s.namespace.labels.team=a");
	th_finish(p);
	ck_assert_int_eq(dfl_compiler__upsert_namespace(c, th_ns(t, "app", "")),
			 0);
	ck_assert_int_eq(dfl_compiler__upsert_namespace(c, th_ns(t, "ns2", "")),
			 0);
	ck_assert_int_eq(dfl_compiler__upsert_pod(c, th_pod(t, "app", "web",
							  "app=web", NULL)),
			 0);
	ck_assert_int_eq(dfl_compiler__upsert_pod(c, th_pod(t, "ns2", "cli",
							  "app=cli", NULL)),
			 0);
	ck_assert_int_eq(dfl_compiler__upsert_policy(c, p, NULL), 0);
	tp_resolve(c);
	before = tp_identity(c, "ns2/cli");
	ck_assert_int_eq(tp_verdict(tp_policy(c, "app/web"), false, before, 6,
				    80),
			 133);
	ck_assert_int_eq(dfl_compiler__upsert_namespace(c, th_ns(t, "ns2",
							       "team=a")),
			 0);
	tp_resolve(c);
	ck_assert_uint_ne(tp_identity(c, "ns2/cli"), before);
	ck_assert_int_eq(tp_verdict(tp_policy(c, "app/web"), false,
				    tp_identity(c, "ns2/cli"), 6, 80),
			 0);
}
END_TEST

static Suite *incremental_suite(void)
{
	Suite *s = suite_create("policy_incremental");
	TCase *tc = tcase_create("incremental");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, first_resolution_creates_every_endpoint);
	tcase_add_test(tc, policy_change_touches_only_its_subjects);
	tcase_add_test(tc, removing_a_policy_restores_allow_all);
	tcase_add_test(tc, new_peer_identity_updates_users);
	tcase_add_test(tc, deterministic_across_arrival_order);
	tcase_add_test(tc, namespace_labels_change_identity);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(incremental_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
