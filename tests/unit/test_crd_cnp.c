/* crd/: CiliumNetworkPolicy decoding: the Star Wars files, the example
 * policies (all of §1 of the reference, zero errors), Cilium's sanitize side
 * effects, and nil-versus-empty lists. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crd/objects.h"
#include "util/diag.h"
#include "util/intern.h"
#include "util/strbuf.h"

struct loaded {
	struct dfl_objects *objs;
	struct dfl_diags diags;
	struct dfl_load_stats stats;
	int err;
};

static void load_text(struct loaded *l, const char *text)
{
	memset(l, 0, sizeof(*l));
	l->objs = dfl_objects__new();
	ck_assert_ptr_nonnull(l->objs);
	l->err = dfl_objects__load_buffer(l->objs, "p.yaml", text, strlen(text),
					  &l->diags, &l->stats);
}

static void load_file(struct loaded *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->objs = dfl_objects__new();
	ck_assert_ptr_nonnull(l->objs);
	l->err = dfl_objects__load_path(l->objs, path, &l->diags, &l->stats);
}

static void unload(struct loaded *l)
{
	dfl_diags__release(&l->diags);
	dfl_objects__free(l->objs);
}

static size_t errors(const struct loaded *l)
{
	return dfl_diags__count(&l->diags, DFL_SEV_ERROR);
}

/* The only rule of the only policy, after a clean load of a CNP whose spec
 * is <spec> (indented two spaces). */
static struct dfl_rule *rule_of(struct loaded *l, const char *spec)
{
	struct dfl_strbuf sb = {0};

	dfl_strbuf__puts(&sb,
			 "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
			 "metadata:\n  name: t\n  namespace: ns1\nspec:\n");
	for (const char *p = spec; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		dfl_strbuf__puts(&sb, "  ");
		dfl_strbuf__append(&sb, p, n);
		dfl_strbuf__putc(&sb, '\n');
		p += n + (nl ? 1 : 0);
	}
	load_text(l, dfl_strbuf__str(&sb));
	dfl_strbuf__release(&sb);
	for (size_t i = 0; i < l->diags.n; i++)
		if (l->diags.items[i].severity == DFL_SEV_ERROR)
			ck_abort_msg("unexpected error: %s",
				     l->diags.items[i].message);
	ck_assert_uint_eq(l->objs->n_policies, 1);
	ck_assert_uint_eq(l->objs->policies[0]->n_rules, 1);
	return &l->objs->policies[0]->rules[0];
}

static void assert_req(const struct dfl_sel_req *r, const char *key,
		       enum dfl_sel_op op, const char *v0)
{
	ck_assert_str_eq(r->key, key);
	ck_assert_int_eq(r->op, op);
	if (v0) {
		ck_assert_uint_ge(r->n_values, 1);
		ck_assert_str_eq(r->values[0], v0);
	} else {
		ck_assert_uint_eq(r->n_values, 0);
	}
}

START_TEST(star_wars_l3_l4)
{
	struct loaded l;
	struct dfl_policy *p;
	struct dfl_rule *r;
	struct dfl_peer_rule *in;

	load_file(&l, "examples/starwars/sw_l3_l4_policy.yaml");
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(errors(&l), 0);
	ck_assert_uint_eq(l.objs->n_policies, 1);
	p = dfl_objects__find_policy(l.objs, DFL_KIND_CNP, "default", "rule1");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->meta.pos.line, 1);
	ck_assert_uint_eq(p->n_rules, 1);
	r = &p->rules[0];
	ck_assert_str_eq(r->field, "spec");
	ck_assert_uint_eq(r->endpoint_selector->n_reqs, 2);
	assert_req(&r->endpoint_selector->reqs[0], "any:class", DFL_SEL_IN,
		   "deathstar");
	assert_req(&r->endpoint_selector->reqs[1], "any:org", DFL_SEL_IN,
		   "empire");
	ck_assert_ptr_null(r->node_selector);
	ck_assert_uint_eq(r->n_ingress, 1);
	ck_assert_uint_eq(r->n_egress + r->n_ingress_deny + r->n_egress_deny,
			  0);
	ck_assert(r->default_deny_ingress && !r->default_deny_ingress_explicit);
	ck_assert(!r->default_deny_egress);
	in = &r->ingress[0];
	ck_assert_int_eq(in->dir, DFL_DIR_INGRESS);
	ck_assert(!in->deny);
	ck_assert(in->endpoints.present);
	ck_assert_uint_eq(in->endpoints.n, 1);
	assert_req(&in->endpoints.items[0].reqs[0], "any:org", DFL_SEL_IN,
		   "empire");
	ck_assert_uint_eq(in->to_ports.n, 1);
	ck_assert_uint_eq(in->to_ports.items[0].n_ports, 1);
	ck_assert_uint_eq(in->to_ports.items[0].ports[0].port, 80);
	ck_assert_uint_eq(in->to_ports.items[0].ports[0].proto, DFL_PROTO_TCP);
	ck_assert_uint_eq(in->to_ports.items[0].ports[0].pos.line, 17);
	ck_assert(!in->to_ports.items[0].rules.present);
	ck_assert(!in->cidr.present && !in->entities.present &&
		  !in->icmps.present);
	ck_assert_int_eq(in->auth, DFL_AUTH_NONE);
	unload(&l);
}
END_TEST

START_TEST(star_wars_l7)
{
	struct loaded l;
	struct dfl_port_rule *pr;

	load_file(&l, "examples/starwars/sw_l3_l4_l7_policy.yaml");
	ck_assert_uint_eq(errors(&l), 0);
	pr = &l.objs->policies[0]->rules[0].ingress[0].to_ports.items[0];
	ck_assert(pr->rules.present && pr->rules.http_present &&
		  !pr->rules.dns_present);
	ck_assert_uint_eq(pr->rules.n_http, 1);
	ck_assert_str_eq(pr->rules.http[0].method, "POST");
	ck_assert_str_eq(pr->rules.http[0].path, "/v1/request-landing");
	ck_assert_ptr_null(pr->rules.http[0].host);
	unload(&l);
}
END_TEST

START_TEST(star_wars_app)
{
	struct loaded l;
	struct dfl_service *s;
	struct dfl_deployment *d;
	struct dfl_pod *tie, *xw;

	load_file(&l, "examples/starwars/http-sw-app.yaml");
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(l.diags.n, 0);
	ck_assert_uint_eq(l.stats.objects, 4);
	s = dfl_objects__find_service(l.objs, "default", "deathstar");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->type, "ClusterIP");
	ck_assert(s->has_selector);
	ck_assert_uint_eq(s->selector.n, 2);
	ck_assert_str_eq(s->selector.items[0].key, "class");
	ck_assert_str_eq(s->selector.items[0].value, "deathstar");
	ck_assert_str_eq(s->selector.items[1].key, "org");
	ck_assert_str_eq(s->selector.items[1].value, "empire");
	ck_assert_uint_eq(s->n_ports, 1);
	ck_assert_uint_eq(s->ports[0].port, 80);
	ck_assert_uint_eq(s->ports[0].target_port, 80);
	ck_assert_uint_eq(s->ports[0].proto, DFL_PROTO_TCP);
	ck_assert_uint_eq(l.objs->n_deployments, 1);
	d = l.objs->deployments[0];
	ck_assert_str_eq(d->meta.name, "deathstar");
	ck_assert_uint_eq(d->replicas, 2);
	ck_assert_uint_eq(d->selector->n_reqs, 2);
	assert_req(&d->selector->reqs[0], "class", DFL_SEL_IN, "deathstar");
	assert_req(&d->selector->reqs[1], "org", DFL_SEL_IN, "empire");
	ck_assert_uint_eq(d->template_spec.labels.n, 2);
	ck_assert_uint_eq(d->template_spec.n_ports, 1);
	ck_assert_uint_eq(d->template_spec.ports[0].port, 80);
	ck_assert_str_eq(d->template_spec.image, "docker.io/cilium/starwars");
	ck_assert_str_eq(d->template_spec.service_account, "default");
	tie = dfl_objects__find_pod(l.objs, "default", "tiefighter");
	xw = dfl_objects__find_pod(l.objs, "default", "xwing");
	ck_assert_ptr_nonnull(tie);
	ck_assert_ptr_nonnull(xw);
	ck_assert_str_eq(tie->spec.labels.items[1].key, "org");
	ck_assert_str_eq(tie->spec.labels.items[1].value, "empire");
	ck_assert_str_eq(xw->spec.labels.items[1].value, "alliance");
	ck_assert_str_eq(xw->spec.image, "docker.io/tgraf/netperf");
	ck_assert_ptr_null(xw->pod_ip);
	unload(&l);
}
END_TEST

/* Which parts of the rule schema the example policies use. */
enum feature {
	F_ENDPOINT_SELECTOR,
	F_NODE_SELECTOR,
	F_INGRESS,
	F_INGRESS_DENY,
	F_EGRESS,
	F_EGRESS_DENY,
	F_LABELS,
	F_DEFAULT_DENY,
	F_DESCRIPTION,
	F_LOG,
	F_SPECS,
	F_MATCH_EXPRESSIONS,
	F_ENDPOINTS,
	F_CIDR,
	F_CIDR_SET,
	F_EXCEPT,
	F_GROUP_REF,
	F_GROUP_SELECTOR,
	F_ENTITIES,
	F_NODES,
	F_GROUPS,
	F_SERVICE_NAME,
	F_SERVICE_SELECTOR,
	F_FQDN_NAME,
	F_FQDN_PATTERN,
	F_PORT,
	F_END_PORT,
	F_NAMED_PORT,
	F_TCP,
	F_UDP,
	F_SCTP,
	F_ANY,
	F_HTTP_METHOD,
	F_HTTP_PATH,
	F_HTTP_HOST,
	F_HTTP_HEADERS,
	F_HEADER_SECRET,
	F_HEADER_VALUE,
	F_HEADER_MISMATCH,
	F_DNS_NAME,
	F_DNS_PATTERN,
	F_SERVER_NAMES,
	F_TERMINATING_TLS,
	F_ORIGINATING_TLS,
	F_LISTENER,
	F_ICMP4,
	F_ICMP6,
	F_AUTH,
	F_CCNP,
	F_KNP,
	F__COUNT,
};

static const char *const feature_names[F__COUNT] = {
    "endpointSelector",
    "nodeSelector",
    "ingress",
    "ingressDeny",
    "egress",
    "egressDeny",
    "labels",
    "enableDefaultDeny",
    "description",
    "log",
    "specs",
    "matchExpressions",
    "from/toEndpoints",
    "from/toCIDR",
    "from/toCIDRSet",
    "except",
    "cidrGroupRef",
    "cidrGroupSelector",
    "entities",
    "from/toNodes",
    "from/toGroups",
    "k8sService",
    "k8sServiceSelector",
    "toFQDNs matchName",
    "toFQDNs matchPattern",
    "port",
    "endPort",
    "named port",
    "TCP",
    "UDP",
    "SCTP",
    "ANY",
    "http method",
    "http path",
    "http host",
    "http headers",
    "headerMatches secret",
    "headerMatches value",
    "headerMatches mismatch",
    "dns matchName",
    "dns matchPattern",
    "serverNames",
    "terminatingTLS",
    "originatingTLS",
    "listener",
    "icmps IPv4",
    "icmps IPv6",
    "authentication",
    "CCNP",
    "NetworkPolicy",
};

static void peer_features(const struct dfl_peer_rule *p, bool *f)
{
	f[p->deny ? (p->dir == DFL_DIR_INGRESS ? F_INGRESS_DENY : F_EGRESS_DENY)
		  : (p->dir == DFL_DIR_INGRESS ? F_INGRESS : F_EGRESS)] = true;
	f[F_ENDPOINTS] |= p->endpoints.n > 0;
	f[F_CIDR] |= p->cidr.n > 0;
	f[F_CIDR_SET] |= p->cidr_set.n > 0;
	for (size_t i = 0; i < p->cidr_set.n; i++) {
		f[F_EXCEPT] |= p->cidr_set.items[i].n_except > 0;
		f[F_GROUP_REF] |= p->cidr_set.items[i].group_ref != NULL;
		f[F_GROUP_SELECTOR] |=
		    p->cidr_set.items[i].group_selector != NULL;
	}
	f[F_ENTITIES] |= p->entities.n > 0;
	f[F_NODES] |= p->nodes.n > 0;
	f[F_GROUPS] |= p->groups_present;
	for (size_t i = 0; i < p->n_services; i++) {
		f[F_SERVICE_NAME] |= p->services[i].name != NULL;
		f[F_SERVICE_SELECTOR] |= p->services[i].selector != NULL;
	}
	for (size_t i = 0; i < p->n_fqdns; i++) {
		f[F_FQDN_NAME] |= p->fqdns[i].match_name != NULL;
		f[F_FQDN_PATTERN] |= p->fqdns[i].match_pattern != NULL;
	}
	for (size_t i = 0; i < p->to_ports.n; i++) {
		const struct dfl_port_rule *pr = &p->to_ports.items[i];

		for (size_t j = 0; j < pr->n_ports; j++) {
			f[F_PORT] |= pr->ports[j].port > 0;
			f[F_END_PORT] |= pr->ports[j].end_port > 0;
			f[F_NAMED_PORT] |= pr->ports[j].name != NULL;
			f[F_TCP] |= pr->ports[j].proto == DFL_PROTO_TCP;
			f[F_UDP] |= pr->ports[j].proto == DFL_PROTO_UDP;
			f[F_SCTP] |= pr->ports[j].proto == DFL_PROTO_SCTP;
			f[F_ANY] |= pr->ports[j].proto == DFL_PROTO_ANY;
		}
		for (size_t j = 0; j < pr->rules.n_http; j++) {
			const struct dfl_http_rule *h = &pr->rules.http[j];

			f[F_HTTP_METHOD] |= h->method != NULL;
			f[F_HTTP_PATH] |= h->path != NULL;
			f[F_HTTP_HOST] |= h->host != NULL;
			f[F_HTTP_HEADERS] |= h->n_headers > 0;
			for (size_t k = 0; k < h->n_header_matches; k++) {
				f[F_HEADER_SECRET] |=
				    h->header_matches[k].secret_name != NULL;
				f[F_HEADER_VALUE] |=
				    h->header_matches[k].value != NULL;
				f[F_HEADER_MISMATCH] |=
				    h->header_matches[k].mismatch !=
				    DFL_MISMATCH_NONE;
			}
		}
		for (size_t j = 0; j < pr->rules.n_dns; j++) {
			f[F_DNS_NAME] |= pr->rules.dns[j].match_name != NULL;
			f[F_DNS_PATTERN] |=
			    pr->rules.dns[j].match_pattern != NULL;
		}
		f[F_SERVER_NAMES] |= pr->n_server_names > 0;
		f[F_TERMINATING_TLS] |= pr->terminating_tls != NULL;
		f[F_ORIGINATING_TLS] |= pr->originating_tls != NULL;
		f[F_LISTENER] |= pr->listener != NULL;
	}
	for (size_t i = 0; i < p->icmps.n; i++)
		for (size_t j = 0; j < p->icmps.items[i].n_fields; j++) {
			f[F_ICMP4] |= p->icmps.items[i].fields[j].family == 4;
			f[F_ICMP6] |= p->icmps.items[i].fields[j].family == 6;
		}
	f[F_AUTH] |= p->auth != DFL_AUTH_NONE;
}

START_TEST(examples_decode_cleanly_and_cover_the_schema)
{
	bool f[F__COUNT] = {0};
	struct loaded l;

	load_file(&l, "examples/policies");
	ck_assert_int_eq(l.err, 0);
	for (size_t i = 0; i < l.diags.n; i++)
		if (l.diags.items[i].severity == DFL_SEV_ERROR)
			ck_abort_msg("%s:%u: %s", l.diags.items[i].pos.file,
				     l.diags.items[i].pos.line,
				     l.diags.items[i].message);
	ck_assert_uint_ge(l.stats.files, 20);
	ck_assert_uint_eq(l.stats.invalid, 0);
	ck_assert_uint_eq(l.objs->n_policies, l.stats.documents);
	for (size_t i = 0; i < l.objs->n_policies; i++) {
		const struct dfl_policy *p = l.objs->policies[i];

		f[F_CCNP] |= p->meta.kind == DFL_KIND_CCNP;
		f[F_KNP] |= p->meta.kind == DFL_KIND_KNP;
		for (size_t r = 0; r < p->n_rules; r++) {
			const struct dfl_rule *ru = &p->rules[r];
			const struct {
				struct dfl_peer_rule *v;
				size_t n;
			} lists[] = {{ru->ingress, ru->n_ingress},
				     {ru->ingress_deny, ru->n_ingress_deny},
				     {ru->egress, ru->n_egress},
				     {ru->egress_deny, ru->n_egress_deny}};

			f[F_ENDPOINT_SELECTOR] |= ru->endpoint_selector != NULL;
			f[F_NODE_SELECTOR] |= ru->node_selector != NULL;
			for (size_t k = 0; ru->endpoint_selector &&
					   k < ru->endpoint_selector->n_reqs;
			     k++)
				f[F_MATCH_EXPRESSIONS] |=
				    ru->endpoint_selector->reqs[k].op !=
				    DFL_SEL_IN;
			f[F_LABELS] |= ru->labels.n > 0;
			f[F_DEFAULT_DENY] |=
			    ru->default_deny_ingress_explicit ||
			    ru->default_deny_egress_explicit;
			f[F_DESCRIPTION] |= ru->description != NULL;
			f[F_LOG] |= ru->log_value != NULL;
			f[F_SPECS] |= !strncmp(ru->field, "specs[", 6);
			for (size_t k = 0; k < 4; k++)
				for (size_t m = 0; m < lists[k].n; m++)
					peer_features(&lists[k].v[m], f);
		}
	}
	for (int i = 0; i < F__COUNT; i++)
		ck_assert_msg(f[i], "no example policy uses %s",
			      feature_names[i]);
	unload(&l);
}
END_TEST

START_TEST(selector_sanitize)
{
	struct loaded l;
	struct dfl_rule *r = rule_of(
	    &l, "endpointSelector:\n"
		"  matchLabels: {zone: b, k8s:app: web, reserved:host: \"\"}\n"
		"  matchExpressions:\n"
		"  - {key: tier, operator: NotIn, values: [z, a, m]}\n"
		"  - {key: app, operator: Exists}\n"
		"  - {key: any:zone, operator: DoesNotExist}\n"
		"ingress: [{}]\n");
	struct dfl_selector *s = r->endpoint_selector;

	ck_assert_uint_eq(s->n_reqs, 6);
	assert_req(&s->reqs[0], "any:app", DFL_SEL_EXISTS, NULL);
	assert_req(&s->reqs[1], "any:tier", DFL_SEL_NOT_IN, "a");
	ck_assert_str_eq(s->reqs[1].values[1], "m");
	ck_assert_str_eq(s->reqs[1].values[2], "z");
	/* Sorted by key, then operator: In before DoesNotExist. */
	assert_req(&s->reqs[2], "any:zone", DFL_SEL_IN, "b");
	assert_req(&s->reqs[3], "any:zone", DFL_SEL_DOES_NOT_EXIST, NULL);
	assert_req(&s->reqs[4], "k8s:app", DFL_SEL_IN, "web");
	assert_req(&s->reqs[5], "reserved:host", DFL_SEL_IN, "");
	/* No namespace injection: that is policy/'s job. */
	for (size_t i = 0; i < s->n_reqs; i++)
		ck_assert_ptr_null(
		    strstr(s->reqs[i].key, "io.kubernetes.pod.namespace"));
	ck_assert_uint_eq(s->reqs[0].pos.line, 11);
	unload(&l);
}
END_TEST

START_TEST(ports_protocols_and_names)
{
	struct loaded l;
	struct dfl_rule *r = rule_of(&l, "endpointSelector: {}\n"
					 "ingress:\n"
					 "- toPorts:\n"
					 "  - ports:\n"
					 "    - port: \"53\"\n"
					 "      protocol: udp\n"
					 "    - port: \"8080\"\n"
					 "    - port: HTTP-Alt\n"
					 "      protocol: TCP\n"
					 "    - port: \"010\"\n"
					 "    - port: \"1_000\"\n"
					 "      endPort: 1100\n"
					 "      protocol: SCTP\n"
					 "    - port: \"0\"\n"
					 "      protocol: ANY\n");
	struct dfl_port_rule *pr = &r->ingress[0].to_ports.items[0];

	ck_assert_uint_eq(pr->n_ports, 6);
	ck_assert_uint_eq(pr->ports[0].proto, DFL_PROTO_UDP); /* upper-cased */
	ck_assert_uint_eq(pr->ports[1].proto, DFL_PROTO_ANY); /* defaulted */
	ck_assert_str_eq(pr->ports[2].name, "http-alt");      /* lower-cased */
	ck_assert_uint_eq(pr->ports[3].port, 8); /* Go base prefix */
	ck_assert_uint_eq(pr->ports[4].port, 1000);
	ck_assert_uint_eq(pr->ports[4].end_port, 1100);
	ck_assert_uint_eq(pr->ports[4].proto, DFL_PROTO_SCTP);
	ck_assert_uint_eq(pr->ports[5].port, 0);
	ck_assert_uint_eq(pr->ports[5].end_port, 0);
	ck_assert_uint_eq(pr->ports[0].pos.line, 11);
	ck_assert_uint_eq(pr->ports[0].pos.col, 9);
	ck_assert_uint_eq(dfl_diags__count(&l.diags, DFL_SEV_WARNING), 1);
	unload(&l);
}
END_TEST

START_TEST(default_deny_is_filled_in)
{
	struct loaded l;
	struct dfl_rule *r;

	r = rule_of(
	    &l,
	    "endpointSelector: {}\ningressDeny: [{fromEntities: [world]}]\n");
	ck_assert(r->default_deny_ingress && !r->default_deny_egress);
	ck_assert(!r->default_deny_ingress_explicit &&
		  !r->default_deny_egress_explicit);
	unload(&l);
	r = rule_of(&l, "endpointSelector: {}\negress: [{}]\n"
			"enableDefaultDeny: {egress: false}\n");
	ck_assert(!r->default_deny_egress && r->default_deny_egress_explicit);
	ck_assert(!r->default_deny_ingress &&
		  !r->default_deny_ingress_explicit);
	unload(&l);
	r = rule_of(&l, "endpointSelector: {}\negress: [{}]\n"
			"enableDefaultDeny: {ingress: true}\n");
	ck_assert(r->default_deny_ingress && r->default_deny_ingress_explicit);
	ck_assert(r->default_deny_egress && !r->default_deny_egress_explicit);
	unload(&l);
}
END_TEST

START_TEST(l3_values)
{
	struct loaded l;
	struct dfl_rule *r = rule_of(
	    &l, "endpointSelector: {}\n"
		"egress:\n"
		"- toCIDRSet:\n"
		"  - cidr: 10.0.0.0/8\n"
		"    except: [10.1.0.0/16]\n"
		"  - cidrGroupSelector: {matchLabels: {team: a, any:x: v}}\n"
		"- toCIDR: [\"2001:db8::/32\"]\n"
		"- toEntities: [world, cluster, kube-apiserver]\n"
		"- toServices:\n"
		"  - k8sService: {serviceName: db}\n"
		"- icmps: [{fields: [{type: EchoRequest, family: IPv6}, {type: "
		"\"3\"}]}]\n"
		"- toFQDNs: [{matchName: API.Example.com.}]\n"
		"ingress:\n"
		"- fromCIDR: [192.0.2.0/24]\n"
		"  authentication: {mode: test-always-fail}\n");
	struct dfl_peer_rule *e = r->egress;
	const struct dfl_cidr_rule *cr = &e[0].cidr_set.items[0];
	static const uint8_t ten[4] = {10, 0, 0, 0}, ten1[4] = {10, 1, 0, 0};

	ck_assert(cr->has_cidr);
	ck_assert_uint_eq(cr->cidr.family, AF_INET);
	ck_assert_uint_eq(cr->cidr.prefix_len, 8);
	ck_assert(!memcmp(cr->cidr.addr, ten, 4));
	ck_assert_uint_eq(cr->n_except, 1);
	ck_assert(!memcmp(cr->except[0].addr, ten1, 4));
	ck_assert_uint_eq(cr->except[0].prefix_len, 16);
	cr = &e[0].cidr_set.items[1];
	ck_assert(!cr->has_cidr);
	assert_req(&cr->group_selector->reqs[0], "any:x", DFL_SEL_IN, "v");
	assert_req(&cr->group_selector->reqs[1], "cidrgroup:team", DFL_SEL_IN,
		   "a");
	ck_assert_uint_eq(e[1].cidr.items[0].family, AF_INET6);
	ck_assert_uint_eq(e[1].cidr.items[0].prefix_len, 32);
	ck_assert_uint_eq(e[2].entities.mask, DFL_ENTITY_WORLD |
						  DFL_ENTITY_CLUSTER |
						  DFL_ENTITY_KUBE_APISERVER);
	ck_assert_uint_eq(e[2].entities.n, 3);
	ck_assert_uint_eq(e[2].entities.items[2], DFL_ENTITY_KUBE_APISERVER);
	ck_assert_uint_eq(e[2].entities.item_pos[0].line, 14);
	ck_assert_str_eq(e[3].services[0].name, "db");
	ck_assert_ptr_null(e[3].services[0].namespace);
	ck_assert_uint_eq(e[4].icmps.items[0].n_fields, 2);
	ck_assert_uint_eq(e[4].icmps.items[0].fields[0].family, 6);
	ck_assert_uint_eq(e[4].icmps.items[0].fields[0].type, 128);
	ck_assert_uint_eq(e[4].icmps.items[0].fields[1].family, 4);
	ck_assert_uint_eq(e[4].icmps.items[0].fields[1].type, 3);
	/* FQDN selectors are kept as written. */
	ck_assert_str_eq(e[5].fqdns[0].match_name, "API.Example.com.");
	ck_assert_int_eq(r->ingress[0].auth, DFL_AUTH_TEST_ALWAYS_FAIL);
	unload(&l);
}
END_TEST

START_TEST(nil_versus_empty)
{
	struct loaded l;
	struct dfl_rule *r = rule_of(
	    &l,
	    "endpointSelector: {}\n"
	    "ingress:\n"
	    "- {}\n"
	    "- fromEndpoints: []\n"
	    "- fromEndpoints: [{}]\n"
	    "  toPorts: []\n"
	    "- fromEndpoints:\n"
	    "  toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: "
	    "{http: []}}]\n"
	    "- fromCIDRSet: []\n"
	    "  fromEntities: []\n"
	    "  icmps: []\n"
	    "- toPorts: [{ports: [{port: \"81\", protocol: TCP}], rules: {}}]\n"
	    "egress:\n"
	    "- toFQDNs: []\n"
	    "  toServices: []\n");
	struct dfl_peer_rule *in = r->ingress;

	ck_assert_uint_eq(r->n_ingress, 6);
	/* ingress: [{}] - nothing present. */
	ck_assert(!in[0].endpoints.present && !in[0].to_ports.present &&
		  !in[0].cidr.present && !in[0].cidr_set.present &&
		  !in[0].entities.present && !in[0].icmps.present);
	/* fromEndpoints: [] - present, empty: selects nothing. */
	ck_assert(in[1].endpoints.present);
	ck_assert_uint_eq(in[1].endpoints.n, 0);
	/* [{}] - one selector without requirements. */
	ck_assert(in[2].endpoints.present);
	ck_assert_uint_eq(in[2].endpoints.n, 1);
	ck_assert_uint_eq(in[2].endpoints.items[0].n_reqs, 0);
	ck_assert(in[2].to_ports.present);
	ck_assert_uint_eq(in[2].to_ports.n, 0);
	/* A null value is absent, as Go decodes it. */
	ck_assert(!in[3].endpoints.present);
	ck_assert(in[3].to_ports.items[0].rules.present);
	ck_assert(in[3].to_ports.items[0].rules.http_present);
	ck_assert_uint_eq(in[3].to_ports.items[0].rules.n_http, 0);
	ck_assert(in[4].cidr_set.present && in[4].entities.present &&
		  in[4].icmps.present);
	ck_assert_uint_eq(in[4].cidr_set.n + in[4].entities.n + in[4].icmps.n,
			  0);
	ck_assert(in[5].to_ports.items[0].rules.present);
	ck_assert(!in[5].to_ports.items[0].rules.http_present);
	ck_assert(!in[5].to_ports.items[0].rules.dns_present);
	ck_assert(r->egress[0].fqdns_present && r->egress[0].services_present);
	ck_assert_uint_eq(r->egress[0].n_fqdns + r->egress[0].n_services, 0);
	ck_assert(!r->egress[0].endpoints.present);
	unload(&l);
}
END_TEST

START_TEST(spec_and_specs)
{
	struct loaded l;
	struct dfl_policy *p;

	load_text(
	    &l,
	    "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\n"
	    "metadata: {name: two, namespace: ignored}\n"
	    "spec: {endpointSelector: {}, ingress: [{}]}\n"
	    "specs:\n"
	    "- {nodeSelector: {}, egress: [{}]}\n"
	    "- {endpointSelector: {}, egressDeny: [{toEntities: [all]}]}\n");
	ck_assert_uint_eq(errors(&l), 0);
	p = l.objs->policies[0];
	ck_assert_ptr_null(p->meta.namespace); /* cluster-scoped */
	ck_assert_uint_eq(p->n_rules, 3);
	ck_assert_str_eq(p->rules[0].field, "spec");
	ck_assert_uint_eq(p->rules[0].index, 0);
	ck_assert_str_eq(p->rules[1].field, "specs[0]");
	ck_assert_uint_eq(p->rules[1].index, 1);
	ck_assert_ptr_nonnull(p->rules[1].node_selector);
	ck_assert_str_eq(p->rules[2].field, "specs[1]");
	ck_assert_uint_eq(p->rules[2].index, 2);
	ck_assert(p->rules[2].egress_deny[0].deny);
	ck_assert_uint_eq(p->rules[2].pos.line, 7);
	unload(&l);
}
END_TEST

START_TEST(rule_labels_both_forms)
{
	struct loaded l;
	struct dfl_rule *r =
	    rule_of(&l, "endpointSelector: {}\n"
			"ingress: [{}]\n"
			"description: d\n"
			"log: {value: audit-me}\n"
			"labels:\n"
			"- \"k8s:team=web=x\"\n"
			"- plain\n"
			"- {key: ticket, value: OPS-1, source: custom}\n"
			"- {key: owner}\n");

	ck_assert_uint_eq(r->labels.n, 4);
	ck_assert_str_eq(r->labels.items[0].key, "custom:ticket");
	ck_assert_str_eq(r->labels.items[0].value, "OPS-1");
	ck_assert_str_eq(r->labels.items[1].key, "k8s:team");
	ck_assert_str_eq(r->labels.items[1].value, "web=x");
	ck_assert_str_eq(r->labels.items[2].key, "unspec:owner");
	ck_assert_str_eq(r->labels.items[3].key, "unspec:plain");
	ck_assert_str_eq(r->labels.items[3].value, "");
	ck_assert_str_eq(r->description, "d");
	ck_assert_str_eq(r->log_value, "audit-me");
	unload(&l);
}
END_TEST

START_TEST(json_policy_with_positions)
{
	static const char text[] =
	    "{\n"
	    "  \"apiVersion\": \"cilium.io/v2\",\n"
	    "  \"kind\": \"CiliumNetworkPolicy\",\n"
	    "  \"metadata\": {\"name\": \"j\", \"namespace\": \"x\"},\n"
	    "  \"spec\": {\n"
	    "    \"endpointSelector\": {\"matchLabels\": {\"app\": \"a\"}},\n"
	    "    \"ingress\": [{\"toPorts\": [{\"ports\": [{\"port\": \"80\", "
	    "\"protocol\": \"TCP\"},\n"
	    "                                        {\"port\": "
	    "\"70000\"}]}]}]\n"
	    "  }\n"
	    "}\n";
	struct loaded l;

	load_text(&l, text);
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(l.diags.n, 1);
	ck_assert_str_eq(l.diags.items[0].check_id, "invalid-port");
	ck_assert_uint_eq(l.diags.items[0].pos.line, 8);
	ck_assert_uint_eq(l.diags.items[0].pos.col, 50);
	ck_assert_str_eq(l.diags.items[0].path,
			 "spec.ingress[0].toPorts[0].ports[1].port");
	ck_assert_uint_eq(l.objs->n_policies, 0);
	unload(&l);
}
END_TEST

static Suite *cnp_suite(void)
{
	Suite *s = suite_create("crd-cnp");
	TCase *tc = tcase_create("cnp");

	tcase_add_test(tc, star_wars_l3_l4);
	tcase_add_test(tc, star_wars_l7);
	tcase_add_test(tc, star_wars_app);
	tcase_add_test(tc, examples_decode_cleanly_and_cover_the_schema);
	tcase_add_test(tc, selector_sanitize);
	tcase_add_test(tc, ports_protocols_and_names);
	tcase_add_test(tc, default_deny_is_filled_in);
	tcase_add_test(tc, l3_values);
	tcase_add_test(tc, nil_versus_empty);
	tcase_add_test(tc, spec_and_specs);
	tcase_add_test(tc, rule_labels_both_forms);
	tcase_add_test(tc, json_policy_with_positions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cnp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
