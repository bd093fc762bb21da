/* policy/: resolution semantics (cilium-policy.md §3), starting with the
 * worked example of §3.10. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/prefix.h"
#include "policy/compiler.h"
#include "policy/origin.h"
#include "tests/unit/helpers/th.h"
#include "tests/unit/helpers/tp.h"

#define TCP DFL_PROTO_TCP
#define UDP DFL_PROTO_UDP
#define SCTP DFL_PROTO_SCTP
#define ICMP DFL_PROTO_ICMP
#define IN false
#define OUT true

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

static void add_pod(const char *ns, const char *name, const char *labels,
		    const char *ip)
{
	ck_assert_int_eq(dfl_compiler__upsert_pod(c, th_pod(t, ns, name, labels,
							  ip)),
			 0);
}

static void add_policy(struct dfl_policy *p)
{
	th_finish(p);
	ck_assert_int_eq(dfl_compiler__upsert_policy(c, p, NULL), 0);
}

static uint32_t label_identity(const char *labels)
{
	struct dfl_labels ls = { 0 };
	uint32_t id;

	ck_assert_int_eq(dfl_labels__parse_list(&ls, labels, "k8s"), 0);
	ck_assert_int_eq(dfl_compiler__acquire_identity(c, &ls, &id), 0);
	dfl_labels__release(&ls);
	return id;
}

START_TEST(worked_example)
{
	struct dfl_policy *p = th_cnp(t, "app", "web");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	struct dfl_port_rule *pr;
	const struct dfl_ep_policy *pol;
	const struct dfl_map_entry *e;
	uint32_t web, fe, dns, fqdn, cidr;
	struct dfl_pod *dnspod;

	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=frontend");
	pr = th_ports(t, pe, "8080/TCP", NULL);
	th_http(t, pr, "GET", "/api/.*");
	pe = th_ingress(t, r);
	th_entities(pe, DFL_ENTITY_WORLD);
	th_ports(t, pe, "443/TCP", NULL);
	pe = th_ingress_deny(t, r);
	th_cidr_set(t, pe, "203.0.113.0/24", NULL);
	pe = th_egress(t, r);
	th_endpoints(t, pe,
		     "io.kubernetes.pod.namespace=kube-system,k8s-app=kube-dns");
	pr = th_ports(t, pe, "53/ANY", NULL);
	th_dns(t, pr, NULL, "*.example.com");
	pe = th_egress(t, r);
	th_fqdn(t, pe, "api.example.com", NULL);
	th_ports(t, pe, "443/TCP", NULL);

	add_pod("app", "web-1", "app=web", "10.200.0.10");
	add_pod("app", "frontend-1", "app=frontend", "10.200.0.11");
	dnspod = th_pod(t, "kube-system", "coredns-1", "k8s-app=kube-dns",
			"10.200.0.2");
	dnspod->spec.service_account = "kube-dns";
	ck_assert_int_eq(dfl_compiler__upsert_pod(c, dnspod), 0);
	add_policy(p);
	fqdn = label_identity("fqdn:api.example.com,reserved:world");
	tp_resolve(c);

	web = tp_identity(c, "app/web-1");
	fe = tp_identity(c, "app/frontend-1");
	dns = tp_identity(c, "kube-system/coredns-1");
	/* kube-dns with the namespace name label: the second well-known. */
	ck_assert_uint_eq(dns, 110);
	ck_assert_uint_ge(web, 256);
	ck_assert_uint_le(web, 65535);
	ck_assert_uint_eq(fqdn >> 24, 1);
	pol = tp_policy(c, "app/web-1");
	ck_assert_ptr_null(pol->error);

	e = tp_entry(pol, IN, fe, TCP, 8080, 16);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->proxy_port, 15001);
	ck_assert_uint_eq(e->precedence, 0xffffff9a);
	ck_assert(!e->deny);
	e = tp_entry(pol, IN, 2, TCP, 443, 16);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->precedence, 0xffffff01);
	ck_assert_uint_eq(e->proxy_port, 0);
	/* The world entity selects every world-labelled identity. */
	ck_assert_ptr_nonnull(tp_entry(pol, IN, fqdn, TCP, 443, 16));

	/* The CIDR identity: a deny on everything, and no allow under it. */
	{
		const struct dfl_ipcache_entry *ie;
		struct dfl_prefix a;

		ck_assert_int_eq(dfl_prefix__parse("203.0.113.9", &a), 0);
		ie = dfl_ipcache__lookup(dfl_compiler__ipcache(c), &a);
		ck_assert_ptr_nonnull(ie);
		cidr = ie->identity;
	}
	ck_assert_uint_eq(cidr >> 24, 1);
	e = tp_entry(pol, IN, cidr, 0, 0, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->deny);
	ck_assert_uint_eq(e->precedence, 0xffffffff);
	ck_assert_ptr_null(tp_entry(pol, IN, cidr, TCP, 443, 16));
	/* allow-localhost */
	e = tp_entry(pol, IN, 1, 0, 0, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(dfl_compiler__origin(c, e->cookie)->name,
			 "allow-localhost-ingress");

	e = tp_entry(pol, OUT, dns, UDP, 53, 16);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->proxy_port, 15053);
	ck_assert_uint_eq(e->precedence, 0xffffff86);
	ck_assert_ptr_nonnull(tp_entry(pol, OUT, dns, TCP, 53, 16));
	ck_assert_ptr_null(tp_entry(pol, OUT, dns, SCTP, 53, 16));
	ck_assert_ptr_nonnull(tp_entry(pol, OUT, fqdn, TCP, 443, 16));

	/* Exactly these entries, nothing else: 5 ingress; egress TCP/53 and
	 * UDP/53 for each of the 8 well-known kube-dns identities the
	 * selector matches (they are in the identity cache, as in Cilium),
	 * plus the FQDN entry. */
	if (pol->n_entries != 22)
		tp_dump(c, pol);
	ck_assert_uint_eq(pol->n_entries, 22);
	ck_assert_ptr_nonnull(tp_entry(pol, OUT, 102, UDP, 53, 16));

	/* Packets. */
	ck_assert_int_eq(tp_verdict(pol, IN, fe, TCP, 8080), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, fe, TCP, 9090), 133);
	ck_assert_int_eq(tp_verdict(pol, IN, cidr, TCP, 443), 181);
	ck_assert_str_eq(tp_decider(c, pol, IN, cidr, TCP, 443),
			 "ingressDeny[0]");
	ck_assert_int_eq(tp_verdict(pol, IN, 2, TCP, 443), 0);
	ck_assert_str_eq(tp_decider(c, pol, IN, 2, TCP, 443), "ingress[1]");
	ck_assert_int_eq(tp_verdict(pol, OUT, dns, UDP, 53), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, fqdn, TCP, 443), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, 2, TCP, 443), 133);
	ck_assert(pol->dir[0].enforced && pol->dir[0].default_deny);
	ck_assert(pol->dir[1].enforced && pol->dir[1].default_deny);
	ck_assert_uint_eq(pol->dir[0].n_dd, 1);

	/* The L7 view: GET /api/.* for the frontend on 8080. */
	{
		struct dfl_l7_set l7;

		ck_assert_int_eq(dfl_ep_policy__l7(pol, IN, TCP, 8080, fe, &l7),
				 0);
		ck_assert_int_eq(l7.parser, DFL_L7_HTTP);
		ck_assert(!l7.allow_all);
		ck_assert_uint_eq(l7.n_rules, 1);
		ck_assert_str_eq(l7.rules[0].http->path, "/api/.*");
		dfl_l7_set__release(&l7);
		ck_assert_int_eq(dfl_ep_policy__l7(pol, OUT, UDP, 53, dns, &l7),
				 0);
		ck_assert_int_eq(l7.parser, DFL_L7_DNS);
		ck_assert_str_eq(l7.rules[0].dns->match_pattern,
				 "*.example.com");
		dfl_l7_set__release(&l7);
	}
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("policy_resolve");
	TCase *tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, worked_example);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(resolve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
