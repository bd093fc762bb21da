/* policy/: resolution semantics (cilium-policy.md §3), starting with the
 * worked example of §3.10. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/prefix.h"
#include "policy/compiler.h"
#include "policy/origin.h"
#include "util/diag.h"
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
		const struct dfl_ipcache_item *ie;
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
		ck_assert_int_eq(l7.parser, DFL_L7_PARSER_HTTP);
		ck_assert(!l7.allow_all);
		ck_assert_uint_eq(l7.n_rules, 1);
		ck_assert_str_eq(l7.rules[0].http->path, "/api/.*");
		dfl_l7_set__release(&l7);
		ck_assert_int_eq(dfl_ep_policy__l7(pol, OUT, UDP, 53, dns, &l7),
				 0);
		ck_assert_int_eq(l7.parser, DFL_L7_PARSER_DNS);
		ck_assert_str_eq(l7.rules[0].dns->match_pattern,
				 "*.example.com");
		dfl_l7_set__release(&l7);
	}
}
END_TEST


/* §11.1: an L4-only rule allows from every identity, world and other
 * namespaces included, even in a namespaced CNP. */
START_TEST(l4_only_rule_is_global)
{
	struct dfl_policy *p = th_cnp(t, "app", "l4");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	const struct dfl_ep_policy *pol;

	th_ports(t, th_ingress(t, r), "80/TCP", NULL);
	add_pod("app", "web", "app=web", NULL);
	add_pod("other", "client", "app=client", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	ck_assert_ptr_nonnull(tp_entry(pol, IN, 0, TCP, 80, 16));
	ck_assert_int_eq(tp_verdict(pol, IN, 2, TCP, 80), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, tp_identity(c, "other/client"),
				    TCP, 80),
			 0);
	ck_assert_int_eq(tp_verdict(pol, IN, 2, TCP, 81), 133);
	ck_assert_int_eq(tp_verdict(pol, IN, 2, UDP, 80), 133);
}
END_TEST

/* §2.5 / §11.2: fromEndpoints: [] selects nothing but still enables
 * default deny; ingress: [{}] denies all ingress. */
START_TEST(nil_versus_empty)
{
	struct dfl_policy *p = th_cnp(t, "app", "empty");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe = th_ingress(t, r);
	const struct dfl_ep_policy *pol;
	uint32_t client;

	th_endpoints(t, pe, NULL);
	th_ports(t, pe, "80/TCP", NULL);
	(void)th_egress(t, r); /* egress: [{}] */
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "client", "app=client", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	client = tp_identity(c, "app/client");
	ck_assert(pol->dir[0].enforced && pol->dir[0].default_deny);
	ck_assert(pol->dir[1].enforced && pol->dir[1].default_deny);
	ck_assert_int_eq(tp_verdict(pol, IN, client, TCP, 80), 133);
	ck_assert_int_eq(tp_verdict(pol, OUT, client, TCP, 80), 133);
	/* Only allow-localhost remains. */
	ck_assert_uint_eq(pol->n_entries, 1);
	ck_assert_int_eq(tp_verdict(pol, IN, 1, TCP, 80), 0);
	/* The client is not selected: nothing enforced there. */
	pol = tp_policy(c, "app/client");
	ck_assert(!pol->dir[0].enforced && !pol->dir[1].enforced);
	ck_assert_int_eq(tp_verdict(pol, IN, 2, TCP, 22), 0);
	ck_assert_str_eq(tp_decider(c, pol, IN, 2, TCP, 22),
			 "no-policy-ingress");
}
END_TEST

/* §3.2 / §11.3 (TestSanitizeDefaultDeny, connectivity test 3): a deny-only
 * policy puts its direction into default deny, and the deny wins with 181
 * over the 133 everything else gets. */
START_TEST(deny_only_policy_default_denies)
{
	struct dfl_policy *p = th_ccnp(t, "deny-all-entities");
	struct dfl_rule *r = th_rule(t, p, "");
	const struct dfl_ep_policy *pol;
	uint32_t other;

	th_entities(th_egress_deny(t, r), DFL_ENTITY_ALL);
	add_pod("app", "a", "app=a", NULL);
	add_pod("app", "b", "app=b", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/a");
	other = tp_identity(c, "app/b");
	ck_assert(pol->dir[1].enforced && pol->dir[1].default_deny);
	ck_assert(!pol->dir[0].enforced);
	ck_assert_uint_eq(pol->dir[1].n_dd, 1);
	ck_assert_str_eq(dfl_compiler__origin(c, pol->dir[1].dd_cookies[0])->name,
			 "deny-all-entities");
	ck_assert_int_eq(tp_verdict(pol, OUT, other, TCP, 80), 181);
	ck_assert_int_eq(tp_verdict(pol, OUT, 2, UDP, 53), 181);
	ck_assert_int_eq(tp_verdict(pol, IN, other, TCP, 80), 0);
}
END_TEST

/* enableDefaultDeny.egress: false keeps the direction open: a synthetic
 * lowest-tier allow-all, explicit denies still apply. */
START_TEST(default_deny_disabled_keeps_allow_all)
{
	struct dfl_policy *p = th_cnp(t, "app", "deny-metadata");
	struct dfl_rule *r = th_rule(t, p, "");
	const struct dfl_ep_policy *pol;
	const struct dfl_ipcache_item *ie;
	struct dfl_prefix a;

	th_cidr(t, th_egress_deny(t, r), "169.254.169.254/32");
	th_default_deny(r, -1, 0);
	add_pod("app", "a", "app=a", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/a");
	ck_assert(pol->dir[1].enforced && !pol->dir[1].default_deny);
	ck_assert_int_eq(dfl_prefix__parse("169.254.169.254", &a), 0);
	ie = dfl_ipcache__lookup(dfl_compiler__ipcache(c), &a);
	ck_assert_ptr_nonnull(ie);
	ck_assert_int_eq(tp_verdict(pol, OUT, ie->identity, TCP, 80), 181);
	ck_assert_int_eq(tp_verdict(pol, OUT, 2, TCP, 80), 0);
	ck_assert_str_eq(tp_decider(c, pol, OUT, 2, TCP, 80),
			 "allow-any-egress");
	ck_assert_uint_eq(tp_entry(pol, OUT, 0, 0, 0, 0)->precedence,
			  DFL_PREC_SYNTHETIC);
}
END_TEST

/* §3.5: deny (foo, ANY) + allow (foo, TCP/80): the allow must not stay in
 * the map, or LPM would return it for port 80. */
START_TEST(deny_prunes_covered_allow)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	const struct dfl_ep_policy *pol;
	uint32_t foo;

	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=foo");
	th_ports(t, pe, "80/TCP", NULL);
	th_endpoints(t, th_ingress_deny(t, r), "app=foo");
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "foo", "app=foo", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	foo = tp_identity(c, "app/foo");
	ck_assert_ptr_null(tp_entry(pol, IN, foo, TCP, 80, 16));
	ck_assert(tp_entry(pol, IN, foo, 0, 0, 0)->deny);
	ck_assert_int_eq(tp_verdict(pol, IN, foo, TCP, 80), 181);
}
END_TEST

/* docs.cilium.io deny table (§9 item 37): allow L3 client + L4 80,81 with
 * L7, deny L4 80: :81 allowed, :80 denied, ping allowed. */
START_TEST(deny_table_column_two)
{
	struct dfl_policy *p = th_cnp(t, "default", "p");
	struct dfl_rule *r = th_rule(t, p, "app=server");
	struct dfl_peer_rule *pe;
	struct dfl_port_rule *pr;
	const struct dfl_ep_policy *pol;
	uint32_t client;

	th_endpoints(t, th_ingress(t, r), "app=client");
	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=client");
	pr = th_ports(t, pe, "80/TCP", "81/TCP", NULL);
	th_http(t, pr, "GET", "/");
	th_ports(t, th_ingress_deny(t, r), "80/TCP", NULL);
	add_pod("default", "server", "app=server", NULL);
	add_pod("default", "client", "app=client", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "default/server");
	client = tp_identity(c, "default/client");
	ck_assert_int_eq(tp_verdict(pol, IN, client, TCP, 80), 181);
	ck_assert_int_eq(tp_verdict(pol, IN, client, TCP, 81), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, client, ICMP, 8), 0);
	/* The deny is identity 0; the client's TCP/80 redirect is pruned. */
	ck_assert_ptr_null(tp_entry(pol, IN, client, TCP, 80, 16));
	ck_assert_uint_eq(tp_entry(pol, IN, client, TCP, 81, 16)->proxy_port,
			  15001);
}
END_TEST

/* §3.3 / §11.5: protocol ANY is TCP, UDP and SCTP, never ICMP; an L3-only
 * rule allows every protocol including ICMP. */
START_TEST(any_protocol_excludes_icmp)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	const struct dfl_ep_policy *pol;
	uint32_t a, b;

	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=a");
	th_ports(t, pe, "0/ANY", NULL);
	th_endpoints(t, th_ingress(t, r), "app=b");
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "a", "app=a", NULL);
	add_pod("app", "b", "app=b", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	a = tp_identity(c, "app/a");
	b = tp_identity(c, "app/b");
	ck_assert_ptr_nonnull(tp_entry(pol, IN, a, TCP, 0, 0));
	ck_assert_ptr_nonnull(tp_entry(pol, IN, a, UDP, 0, 0));
	ck_assert_ptr_nonnull(tp_entry(pol, IN, a, SCTP, 0, 0));
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 1234), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, ICMP, 8), 133);
	ck_assert_int_eq(tp_verdict(pol, IN, b, ICMP, 8), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, b, 47, 0), 0);
}
END_TEST

/* §8.8: ranges as masked ports in the map. */
START_TEST(port_ranges_in_map)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe = th_ingress(t, r);
	const struct dfl_ep_policy *pol;
	uint32_t a;
	size_t n = 0;

	th_endpoints(t, pe, "app=a");
	th_ports(t, pe, "8080-8095/TCP", "80-83/TCP", "1000-1999/UDP", NULL);
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "a", "app=a", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	a = tp_identity(c, "app/a");
	ck_assert_ptr_nonnull(tp_entry(pol, IN, a, TCP, 8080, 12));
	ck_assert_ptr_nonnull(tp_entry(pol, IN, a, TCP, 80, 14));
	for (size_t i = 0; i < pol->n_entries; i++)
		n += pol->entries[i].proto == UDP;
	ck_assert_uint_gt(n, 2);
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 8090), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 8096), 133);
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 83), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 84), 133);
	ck_assert_int_eq(tp_verdict(pol, IN, a, UDP, 999), 133);
	ck_assert_int_eq(tp_verdict(pol, IN, a, UDP, 1000), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, UDP, 1500), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, UDP, 1999), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, UDP, 2000), 133);
}
END_TEST

/* §3.6 / §11.11: ICMP type 0 is a wildcard (Cilium #41304, kept); type 8
 * is exactly echo request. */
START_TEST(icmp_types)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	const struct dfl_ep_policy *pol;
	uint32_t a, b;

	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=a");
	th_icmp(t, pe, 4, 8);
	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=b");
	th_icmp(t, pe, 4, 0);
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "a", "app=a", NULL);
	add_pod("app", "b", "app=b", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	a = tp_identity(c, "app/a");
	b = tp_identity(c, "app/b");
	ck_assert_ptr_nonnull(tp_entry(pol, IN, a, ICMP, 8, 16));
	ck_assert_int_eq(tp_verdict(pol, IN, a, ICMP, 8), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, ICMP, 13), 133);
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 80), 133);
	ck_assert_ptr_nonnull(tp_entry(pol, IN, b, ICMP, 0, 0));
	ck_assert_int_eq(tp_verdict(pol, IN, b, ICMP, 8), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, b, ICMP, 13), 0);
	{
		struct dfl_policy_verdict v;

		dfl_ep_policy__lookup(pol, IN, b, ICMP, 8, &v);
		ck_assert_int_eq(v.match, DFL_MATCH_L3_PROTO);
	}
}
END_TEST

/* §3.3: ingress named ports resolve against the subject's container
 * ports; egress ones against each destination's. Unresolvable names
 * insert nothing. */
START_TEST(named_ports)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	const struct dfl_ep_policy *pol;
	struct dfl_pod *web, *db1, *db2;
	uint32_t a, db;

	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=a");
	th_ports(t, pe, "http/TCP", "nope/TCP", NULL);
	pe = th_egress(t, r);
	th_endpoints(t, pe, "app=db");
	th_ports(t, pe, "sql/TCP", NULL);
	web = th_pod(t, "app", "web", "app=web", NULL);
	th_pod_port(t, web, "http", 8080, TCP);
	db1 = th_pod(t, "app", "db1", "app=db", NULL);
	th_pod_port(t, db1, "sql", 5432, TCP);
	db2 = th_pod(t, "app", "db2", "app=db", NULL);
	th_pod_port(t, db2, "sql", 5433, TCP);
	ck_assert_int_eq(dfl_compiler__upsert_pod(c, web), 0);
	ck_assert_int_eq(dfl_compiler__upsert_pod(c, db1), 0);
	ck_assert_int_eq(dfl_compiler__upsert_pod(c, db2), 0);
	add_pod("app", "a", "app=a", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	a = tp_identity(c, "app/a");
	db = tp_identity(c, "app/db1");
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 8080), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, a, TCP, 80), 133);
	ck_assert_int_eq(tp_verdict(pol, OUT, db, TCP, 5432), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, db, TCP, 5433), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, db, TCP, 5434), 133);
	/* in: a/8080, host; out: db/5432, db/5433 */
	ck_assert_uint_eq(pol->n_entries, 4);
}
END_TEST

/* §3.4 / §11.7: a plain allow for the same peer and port makes L7 a
 * wildcard (still redirected); an L3-only allow for the peer too. */
START_TEST(l7_union)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	struct dfl_port_rule *pr;
	const struct dfl_ep_policy *pol;
	struct dfl_l7_set l7;
	uint32_t a, b, other;

	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=a");
	pr = th_ports(t, pe, "80/TCP", NULL);
	th_http(t, pr, "GET", "/public");
	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=a");
	th_ports(t, pe, "80/TCP", NULL);
	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=b");
	pr = th_ports(t, pe, "80/TCP", NULL);
	th_http(t, pr, "GET", "/b");
	th_endpoints(t, th_ingress(t, r), "app=b");
	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=other");
	pr = th_ports(t, pe, "80/TCP", NULL);
	th_http(t, pr, "POST", "/x");
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "a", "app=a", NULL);
	add_pod("app", "b", "app=b", NULL);
	add_pod("app", "other", "app=other", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	a = tp_identity(c, "app/a");
	b = tp_identity(c, "app/b");
	other = tp_identity(c, "app/other");

	ck_assert_uint_eq(tp_entry(pol, IN, a, TCP, 80, 16)->proxy_port, 15001);
	ck_assert_int_eq(dfl_ep_policy__l7(pol, IN, TCP, 80, a, &l7), 0);
	ck_assert(l7.allow_all);
	dfl_l7_set__release(&l7);

	/* b: L3 allow (prec 01) and a redirect on 80 (prec 9a): redirected,
	 * and the L3 allow makes its L7 rules moot. */
	ck_assert_uint_eq(tp_entry(pol, IN, b, TCP, 80, 16)->proxy_port, 15001);
	ck_assert_int_eq(dfl_ep_policy__l7(pol, IN, TCP, 80, b, &l7), 0);
	ck_assert(l7.allow_all);
	dfl_l7_set__release(&l7);

	ck_assert_int_eq(dfl_ep_policy__l7(pol, IN, TCP, 80, other, &l7), 0);
	ck_assert(!l7.allow_all);
	ck_assert_uint_eq(l7.n_rules, 1);
	ck_assert_str_eq(l7.rules[0].http->method, "POST");
	dfl_l7_set__release(&l7);
	ck_assert_int_eq(dfl_ep_policy__l7(pol, IN, TCP, 81, other, &l7),
			 -ENOENT);
}
END_TEST

/* §3.4: two allows on the same peer and port with different L7 parsers
 * cannot merge; the endpoint's resolution fails closed. */
START_TEST(l7_parser_conflict)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	const struct dfl_ep_policy *pol;
	struct dfl_diags d = { 0 };

	pe = th_egress(t, r);
	th_endpoints(t, pe, "app=a");
	th_http(t, th_ports(t, pe, "53/TCP", NULL), "GET", "/");
	pe = th_egress(t, r);
	th_endpoints(t, pe, "app=a");
	th_dns(t, th_ports(t, pe, "53/TCP", NULL), NULL, "*");
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "a", "app=a", NULL);
	add_policy(p);
	ck_assert_int_eq(dfl_compiler__resolve(c, NULL, &d), 0);
	pol = tp_policy(c, "app/web");
	ck_assert_ptr_nonnull(pol->error);
	ck_assert_ptr_nonnull(strstr(pol->error,
				     "cannot merge conflicting L7 parsers"));
	ck_assert_uint_eq(pol->n_entries, 0);
	ck_assert_uint_eq(dfl_diags__count(&d, DFL_SEV_ERROR), 1);
	ck_assert_int_eq(tp_verdict(pol, OUT, tp_identity(c, "app/a"), TCP,
				    53),
			 133);
	dfl_diags__release(&d);
}
END_TEST

/* §3.2 step 5 / §11.12: host->pod ingress is allowed under default deny,
 * but a deny from the host wins; not added when the direction is open. */
START_TEST(allow_localhost)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	const struct dfl_ep_policy *pol;

	th_endpoints(t, th_ingress(t, r), "app=a");
	pe = th_ingress_deny(t, r);
	th_entities(pe, DFL_ENTITY_HOST);
	th_ports(t, pe, "22/TCP", NULL);
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "a", "app=a", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	ck_assert_int_eq(tp_verdict(pol, IN, 1, TCP, 80), 0);
	ck_assert_int_eq(tp_verdict(pol, IN, 1, TCP, 22), 181);
	ck_assert_int_eq(tp_verdict(pol, IN, 6, TCP, 80), 133);
	/* egress is not selected: no allow-localhost there either */
	ck_assert_ptr_null(tp_entry(pol, OUT, 1, 0, 0, 0));
}
END_TEST

START_TEST(enforcement_modes)
{
	struct dfl_policy_config cfg = { .enforcement = DFL_ENFORCE_ALWAYS };
	struct dfl_compiler *always = dfl_compiler__new(&cfg), *never;
	struct dfl_policy *p = th_cnp(t, "app", "p");
	const struct dfl_ep_policy *pol;

	th_endpoints(t, th_ingress(t, th_rule(t, p, "app=web")), "app=a");
	th_finish(p);
	cfg.enforcement = DFL_ENFORCE_NEVER;
	never = dfl_compiler__new(&cfg);
	ck_assert_int_eq(dfl_compiler__upsert_pod(always, th_pod(t, "app",
							       "lonely",
							       "app=x", NULL)),
			 0);
	ck_assert_int_eq(dfl_compiler__upsert_pod(never, th_pod(t, "app", "web",
							      "app=web", NULL)),
			 0);
	ck_assert_int_eq(dfl_compiler__upsert_policy(never, p, NULL), 0);
	tp_resolve(always);
	tp_resolve(never);
	/* always, no rule: default deny both ways, without allow-localhost */
	pol = tp_policy(always, "app/lonely");
	ck_assert(pol->dir[0].default_deny && pol->dir[1].default_deny);
	ck_assert_uint_eq(pol->n_entries, 0);
	ck_assert_int_eq(tp_verdict(pol, IN, 1, TCP, 80), 133);
	/* never: a selected endpoint still allows everything */
	pol = tp_policy(never, "app/web");
	ck_assert(!pol->dir[0].enforced);
	ck_assert_int_eq(tp_verdict(pol, IN, 2, TCP, 80), 0);
	dfl_compiler__free(always);
	dfl_compiler__free(never);
}
END_TEST

/* Connectivity test 5: allow-all egress + egressDeny toCIDRSet 1.0.0.0/8
 * except 1.1.1.1/32: 1.0.0.1 denied (181), 1.1.1.1 allowed. */
START_TEST(cidr_except_carves_hole_in_deny)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "kind=client");
	const struct dfl_ep_policy *pol;
	const struct dfl_ipcache_item *e1, *e2;
	struct dfl_prefix a1, a2;

	th_cidr(t, th_egress(t, r), "0.0.0.0/0");
	th_cidr_set(t, th_egress_deny(t, r), "1.0.0.0/8", "1.1.1.1/32", NULL);
	add_pod("app", "client", "kind=client", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/client");
	dfl_prefix__parse("1.0.0.1", &a1);
	dfl_prefix__parse("1.1.1.1", &a2);
	e1 = dfl_ipcache__lookup(dfl_compiler__ipcache(c), &a1);
	e2 = dfl_ipcache__lookup(dfl_compiler__ipcache(c), &a2);
	ck_assert_ptr_nonnull(e1);
	ck_assert_ptr_nonnull(e2);
	ck_assert_uint_ne(e1->identity, e2->identity);
	ck_assert_int_eq(tp_verdict(pol, OUT, e1->identity, TCP, 443), 181);
	ck_assert_int_eq(tp_verdict(pol, OUT, e2->identity, TCP, 443), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, 2, TCP, 443), 0);
	/* toCIDR 0.0.0.0/0 is the world label: never in-cluster pods. */
	add_pod("app", "server", "app=server", NULL);
	tp_resolve(c);
	pol = tp_policy(c, "app/client");
	ck_assert_int_eq(tp_verdict(pol, OUT, tp_identity(c, "app/server"),
				    TCP, 443),
			 133);
}
END_TEST

/* §1.7: the cluster entity selects pods of every namespace of the local
 * cluster (connectivity test 12) and reserved cluster identities, not
 * world; "all" is identity 0. */
START_TEST(entities)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "kind=client");
	const struct dfl_ep_policy *pol;
	uint32_t echo;

	th_entities(th_egress(t, r), DFL_ENTITY_CLUSTER);
	th_entities(th_ingress(t, r), DFL_ENTITY_ALL);
	add_pod("app", "client", "kind=client", NULL);
	add_pod("echo", "echo", "kind=echo", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/client");
	echo = tp_identity(c, "echo/echo");
	ck_assert_int_eq(tp_verdict(pol, OUT, echo, TCP, 8080), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, 1, TCP, 8080), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, 6, TCP, 8080), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, 7, TCP, 443), 0);
	ck_assert_int_eq(tp_verdict(pol, OUT, 2, TCP, 443), 133);
	ck_assert_ptr_nonnull(tp_entry(pol, IN, 0, 0, 0, 0));
	ck_assert_int_eq(tp_verdict(pol, IN, 2, UDP, 9), 0);
}
END_TEST

/* §3.8: required authentication marks entries spire + explicit; two
 * different modes for the same peer and port cannot merge. */
START_TEST(authentication)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "app=web");
	struct dfl_peer_rule *pe;
	const struct dfl_ep_policy *pol;
	const struct dfl_map_entry *e;
	uint32_t a;

	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=a");
	th_ports(t, pe, "80/TCP", NULL);
	pe->auth = DFL_AUTH_REQUIRED;
	add_pod("app", "web", "app=web", NULL);
	add_pod("app", "a", "app=a", NULL);
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	a = tp_identity(c, "app/a");
	e = tp_entry(pol, IN, a, TCP, 80, 16);
	ck_assert_uint_eq(e->auth_type, DFL_AUTH_TYPE_SPIRE);
	ck_assert_uint_eq(e->explicit_auth, 1);
	pe = th_ingress(t, r);
	th_endpoints(t, pe, "app=a");
	th_ports(t, pe, "80/TCP", NULL);
	pe->auth = DFL_AUTH_TEST_ALWAYS_FAIL;
	add_policy(p);
	tp_resolve(c);
	pol = tp_policy(c, "app/web");
	ck_assert_ptr_nonnull(pol->error);
	ck_assert_ptr_nonnull(strstr(pol->error, "authentication types"));
	/* the last good entries stay */
	ck_assert_ptr_nonnull(tp_entry(pol, IN, a, TCP, 80, 16));
}
END_TEST

/* §2.3: a CNP never applies outside its namespace, even with a subject
 * selector naming another namespace. */
START_TEST(cnp_stays_in_namespace)
{
	struct dfl_policy *p = th_cnp(t, "app", "p");
	struct dfl_rule *r = th_rule(t, p, "io.kubernetes.pod.namespace=other");

	th_endpoints(t, th_ingress(t, r), "app=a");
	add_pod("other", "x", "app=x", NULL);
	add_pod("app", "y", "app=y", NULL);
	add_policy(p);
	tp_resolve(c);
	ck_assert(!tp_policy(c, "other/x")->dir[0].enforced);
	ck_assert(!tp_policy(c, "app/y")->dir[0].enforced);
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("policy_resolve");
	TCase *tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, worked_example);
	tcase_add_test(tc, l4_only_rule_is_global);
	tcase_add_test(tc, nil_versus_empty);
	tcase_add_test(tc, deny_only_policy_default_denies);
	tcase_add_test(tc, default_deny_disabled_keeps_allow_all);
	tcase_add_test(tc, deny_prunes_covered_allow);
	tcase_add_test(tc, deny_table_column_two);
	tcase_add_test(tc, any_protocol_excludes_icmp);
	tcase_add_test(tc, port_ranges_in_map);
	tcase_add_test(tc, icmp_types);
	tcase_add_test(tc, named_ports);
	tcase_add_test(tc, l7_union);
	tcase_add_test(tc, l7_parser_conflict);
	tcase_add_test(tc, allow_localhost);
	tcase_add_test(tc, enforcement_modes);
	tcase_add_test(tc, cidr_except_carves_hole_in_deny);
	tcase_add_test(tc, entities);
	tcase_add_test(tc, authentication);
	tcase_add_test(tc, cnp_stays_in_namespace);
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
