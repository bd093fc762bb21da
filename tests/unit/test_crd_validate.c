/* crd/: Cilium's validation catalogue (cilium-policy.md §7), one case per
 * check: the check id, severity, position (line:col) and field path of the
 * diagnostic, and that an error rejects the object while a warning keeps it.
 * Case specs are the body of "spec:" in a CNP or CCNP; their line and column
 * are counted within that body. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/objects.h"
#include "util/diag.h"
#include "util/intern.h"
#include "util/strbuf.h"

struct vcase {
	const char *check;
	bool ccnp;
	enum dfl_severity sev;
	unsigned line, col; /* within the spec body */
	const char *path;
	const char *spec;
};

static const struct vcase cases[] = {
    {"invalid-fqdn-selector", false, DFL_SEV_ERROR, 5, 19,
     "spec.egress[0].toPorts[0].rules.dns[0]",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"53\", "
     "protocol: UDP}]\n    rules: {dns: [{matchName: a.com, matchPattern: "
     "\"*.a.com\"}]}\n"},
    {"empty-rule", false, DFL_SEV_ERROR, 1, 1, "spec",
     "endpointSelector: {}\n"},
    {"missing-subject", false, DFL_SEV_ERROR, 1, 1, "spec", "ingress: [{}]\n"},
    {"both-subjects", true, DFL_SEV_ERROR, 1, 1, "spec",
     "endpointSelector: {}\nnodeSelector: {}\ningress: [{}]\n"},
    {"node-selector-in-cnp", false, DFL_SEV_ERROR, 1, 15, "spec.nodeSelector",
     "nodeSelector: {}\ningress: [{}]\n"},
    {"invalid-selector", false, DFL_SEV_ERROR, 4, 15,
     "spec.endpointSelector.matchExpressions[0].operator",
     "endpointSelector:\n  matchExpressions:\n  - key: app\n    operator: "
     "asdfasdfasdf\ningress: [{}]\n"},
    {"invalid-selector", false, DFL_SEV_ERROR, 3, 5,
     "spec.endpointSelector.matchExpressions[0].values",
     "endpointSelector:\n  matchExpressions:\n  - {key: app, operator: "
     "In}\ningress: [{}]\n"},
    {"invalid-selector", false, DFL_SEV_ERROR, 3, 42,
     "spec.endpointSelector.matchExpressions[0].values",
     "endpointSelector:\n  matchExpressions:\n  - {key: app, operator: Exists, "
     "values: [x]}\ningress: [{}]\n"},
    {"invalid-label-key", false, DFL_SEV_ERROR, 3, 5,
     "spec.endpointSelector.matchLabels.a:b:c",
     "endpointSelector:\n  matchLabels:\n    \"a:b:c\": x\ningress: [{}]\n"},
    {"invalid-label-key", false, DFL_SEV_ERROR, 3, 5,
     "spec.endpointSelector.matchLabels.k$s:app",
     "endpointSelector:\n  matchLabels:\n    \"k$s:app\": x\ningress: [{}]\n"},
    {"invalid-label-key", false, DFL_SEV_ERROR, 3, 5,
     "spec.endpointSelector.matchLabels.-app",
     "endpointSelector:\n  matchLabels:\n    \"-app\": x\ningress: [{}]\n"},
    {"invalid-label-value", false, DFL_SEV_ERROR, 3, 10,
     "spec.endpointSelector.matchLabels.app",
     "endpointSelector:\n  matchLabels:\n    app: \"-bad-\"\ningress: [{}]\n"},
    {"peer-combination", false, DFL_SEV_ERROR, 3, 3, "spec.ingress[0]",
     "endpointSelector: {}\ningress:\n- fromEndpoints: [{}]\n  fromCIDR: "
     "[10.0.0.0/8]\n"},
    {"peer-combination", false, DFL_SEV_ERROR, 3, 3, "spec.egress[0]",
     "endpointSelector: {}\negress:\n- toEndpoints: [{}]\n  toFQDNs: "
     "[{matchName: a.com}]\n"},
    {"nodes-need-flag", true, DFL_SEV_WARNING, 3, 14,
     "spec.ingress[0].fromNodes",
     "endpointSelector: {}\ningress:\n- fromNodes: [{}]\n"},
    {"unsupported-entity", false, DFL_SEV_ERROR, 3, 25,
     "spec.ingress[0].fromEntities[1]",
     "endpointSelector: {}\ningress:\n- fromEntities: [world, galaxy]\n"},
    {"invalid-cidr", false, DFL_SEV_ERROR, 3, 12, "spec.egress[0].toCIDR[0]",
     "endpointSelector: {}\negress:\n- toCIDR: [10.0.0.1]\n"},
    {"invalid-cidr", false, DFL_SEV_ERROR, 3, 12, "spec.egress[0].toCIDR[0]",
     "endpointSelector: {}\negress:\n- toCIDR: [\"10.0.0.0/33\"]\n"},
    {"invalid-cidr", false, DFL_SEV_ERROR, 3, 12, "spec.egress[0].toCIDR[0]",
     "endpointSelector: {}\negress:\n- toCIDR: [\"010.0.0.0/8\"]\n"},
    {"invalid-cidr", false, DFL_SEV_ERROR, 3, 12, "spec.egress[0].toCIDR[0]",
     "endpointSelector: {}\negress:\n- toCIDR: [\"10.0.0.0/08\"]\n"},
    {"cidr-host-bits", false, DFL_SEV_WARNING, 3, 12,
     "spec.egress[0].toCIDR[0]",
     "endpointSelector: {}\negress:\n- toCIDR: [\"10.1.2.3/8\"]\n"},
    {"l7-on-host", true, DFL_SEV_ERROR, 5, 12,
     "spec.ingress[0].toPorts[0].rules",
     "nodeSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    rules: {http: [{}]}\n"},
    {"l7-on-host", true, DFL_SEV_ERROR, 5, 12,
     "spec.egress[0].toPorts[0].rules",
     "nodeSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    rules: {http: [{}]}\n"},
    {"dns-on-ingress", false, DFL_SEV_ERROR, 5, 18,
     "spec.ingress[0].toPorts[0].rules.dns",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"53\", "
     "protocol: UDP}]\n    rules: {dns: [{matchPattern: \"*\"}]}\n"},
    {"icmp-with-ports", false, DFL_SEV_ERROR, 3, 10, "spec.ingress[0].icmps",
     "endpointSelector: {}\ningress:\n- icmps: [{fields: [{type: 8}]}]\n  "
     "toPorts: [{ports: [{port: \"80\"}]}]\n"},
    {"invalid-icmp", false, DFL_SEV_ERROR, 3, 39,
     "spec.ingress[0].icmps[0].fields[0].family",
     "endpointSelector: {}\ningress:\n- icmps: [{fields: [{type: 8, family: "
     "ipv4}]}]\n"},
    {"invalid-icmp", false, DFL_SEV_ERROR, 3, 28,
     "spec.ingress[0].icmps[0].fields[0].type",
     "endpointSelector: {}\ningress:\n- icmps: [{fields: [{type: "
     "PacketTooBig}]}]\n"},
    {"out-of-range", false, DFL_SEV_ERROR, 3, 28,
     "spec.ingress[0].icmps[0].fields[0].type",
     "endpointSelector: {}\ningress:\n- icmps: [{fields: [{type: 256}]}]\n"},
    {"invalid-fqdn-selector", false, DFL_SEV_ERROR, 3, 13,
     "spec.egress[0].toFQDNs[0]",
     "endpointSelector: {}\negress:\n- toFQDNs: [{matchName: a.com, "
     "matchPattern: \"*.a.com\"}]\n"},
    {"invalid-fqdn-selector", false, DFL_SEV_ERROR, 3, 28,
     "spec.egress[0].toFQDNs[0].matchPattern",
     "endpointSelector: {}\negress:\n- toFQDNs: [{matchPattern: "
     "\"a.com/x\"}]\n"},
    {"invalid-fqdn-selector", false, DFL_SEV_ERROR, 3, 13,
     "spec.egress[0].toFQDNs[0]",
     "endpointSelector: {}\negress:\n- toFQDNs: [{}]\n"},
    {"server-names-without-tls", false, DFL_SEV_ERROR, 5, 18,
     "spec.egress[0].toPorts[0].serverNames",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"443\", "
     "protocol: TCP}]\n    serverNames: [a.com]\n    rules: {http: [{}]}\n"},
    {"empty-server-name", false, DFL_SEV_ERROR, 5, 19,
     "spec.egress[0].toPorts[0].serverNames[0]",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"443\", "
     "protocol: TCP}]\n    serverNames: [\"\"]\n"},
    {"invalid-server-name", false, DFL_SEV_ERROR, 5, 19,
     "spec.egress[0].toPorts[0].serverNames[0]",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"443\", "
     "protocol: TCP}]\n    serverNames: [\"bad name\"]\n"},
    {"missing-port", false, DFL_SEV_ERROR, 4, 13,
     "spec.ingress[0].toPorts[0].ports[0].port",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{protocol: "
     "TCP}]\n"},
    {"invalid-port", false, DFL_SEV_ERROR, 5, 13,
     "spec.ingress[0].toPorts[0].ports[0].port",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports:\n    - port: "
     "\"99999\"\n"},
    {"invalid-port", false, DFL_SEV_ERROR, 5, 13,
     "spec.ingress[0].toPorts[0].ports[0].port",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports:\n    - port: "
     "\"8x0!\"\n"},
    {"invalid-port", false, DFL_SEV_ERROR, 5, 13,
     "spec.ingress[0].toPorts[0].ports[0].port",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports:\n    - port: "
     "\"80\"\n      protocol: VRRP\n"},
    {"invalid-protocol", false, DFL_SEV_ERROR, 6, 17,
     "spec.ingress[0].toPorts[0].ports[0].protocol",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports:\n    - port: "
     "\"80\"\n      protocol: ICMP\n"},
    {"dns-port-range", false, DFL_SEV_ERROR, 5, 29,
     "spec.egress[0].toPorts[0].ports[0].endPort",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports:\n    - {port: "
     "\"53\", endPort: 60, protocol: UDP}\n    rules: {dns: [{matchName: "
     "a.com}]}\n"},
    {"l7-requires-tcp", false, DFL_SEV_ERROR, 6, 7,
     "spec.ingress[0].toPorts[0].ports[1]",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports:\n    - {port: "
     "\"80\", protocol: TCP}\n    - {port: \"80\", protocol: UDP}\n    rules: "
     "{http: [{}]}\n"},
    {"l7-requires-tcp", false, DFL_SEV_ERROR, 4, 13,
     "spec.ingress[0].toPorts[0].ports[0]",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: "
     "\"80\"}]\n    rules: {http: [{method: GET}]}\n"},
    {"listener-on-ingress", false, DFL_SEV_ERROR, 5, 15,
     "spec.ingress[0].toPorts[0].listener",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    listener: {name: l, envoyConfig: {kind: "
     "CiliumEnvoyConfig, name: e}}\n"},
    {"listener-with-l7", false, DFL_SEV_ERROR, 5, 15,
     "spec.egress[0].toPorts[0].listener",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    listener: {name: l, envoyConfig: {kind: "
     "CiliumEnvoyConfig, name: e}}\n    rules: {http: [{}]}\n"},
    {"l7-on-port-zero", false, DFL_SEV_ERROR, 5, 12,
     "spec.ingress[0].toPorts[0].rules",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"0\", "
     "protocol: TCP}]\n    rules: {http: [{}]}\n"},
    {"invalid-http-regex", false, DFL_SEV_ERROR, 7, 15,
     "spec.ingress[0].toPorts[0].rules.http[0].path",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    rules:\n      http:\n      - path: \"*\"\n"},
    {"invalid-http-regex", false, DFL_SEV_ERROR, 7, 15,
     "spec.ingress[0].toPorts[0].rules.http[0].path",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    rules:\n      http:\n      - path: \"/(a)\\\\1\"\n"},
    {"invalid-header-match", false, DFL_SEV_ERROR, 7, 25,
     "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0]",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    rules:\n      http:\n      - headerMatches: "
     "[{value: x}]\n"},
    {"invalid-header-match", false, DFL_SEV_ERROR, 7, 45,
     "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].mismatch",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    rules:\n      http:\n      - headerMatches: [{name: "
     "X, mismatch: DROP}]\n"},
    {"invalid-header-match", false, DFL_SEV_ERROR, 7, 43,
     "spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].secret",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    rules:\n      http:\n      - headerMatches: [{name: "
     "X, secret: {namespace: a}}]\n"},
    {"dns-without-ports", false, DFL_SEV_ERROR, 4, 12,
     "spec.egress[0].toPorts[0].rules.dns",
     "endpointSelector: {}\negress:\n- toPorts:\n  - rules: {dns: [{matchName: "
     "a.com}]}\n"},
    {"multiple-l7-types", false, DFL_SEV_ERROR, 5, 12,
     "spec.egress[0].toPorts[0].rules",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"53\", "
     "protocol: TCP}]\n    rules: {http: [{}], dns: [{matchName: a.com}]}\n"},
    {"invalid-cidr-rule", false, DFL_SEV_ERROR, 3, 15,
     "spec.egress[0].toCIDRSet[0]",
     "endpointSelector: {}\negress:\n- toCIDRSet: [{}]\n"},
    {"invalid-cidr-rule", false, DFL_SEV_ERROR, 3, 15,
     "spec.egress[0].toCIDRSet[0]",
     "endpointSelector: {}\negress:\n- toCIDRSet: [{cidr: 10.0.0.0/8, "
     "cidrGroupRef: g}]\n"},
    {"except-outside-cidr", false, DFL_SEV_ERROR, 3, 44,
     "spec.egress[0].toCIDRSet[0].except[0]",
     "endpointSelector: {}\negress:\n- toCIDRSet: [{cidr: 10.0.0.0/16, except: "
     "[10.0.0.0/8]}]\n"},
    {"except-outside-cidr", false, DFL_SEV_ERROR, 3, 43,
     "spec.egress[0].toCIDRSet[0].except[0]",
     "endpointSelector: {}\negress:\n- toCIDRSet: [{cidr: 10.0.0.0/8, except: "
     "[\"fd00::/64\"]}]\n"},
    {"invalid-cidr-group", false, DFL_SEV_ERROR, 3, 30,
     "spec.egress[0].toCIDRSet[0].cidrGroupRef",
     "endpointSelector: {}\negress:\n- toCIDRSet: [{cidrGroupRef: "
     "Bad_Name}]\n"},
    {"wrong-type", false, DFL_SEV_ERROR, 5, 13,
     "spec.ingress[0].toPorts[0].ports[0].port",
     "endpointSelector: {}\ningress:\n- toPorts:\n  - ports:\n    - port: "
     "80\n"},
    {"unknown-field", false, DFL_SEV_ERROR, 3, 3,
     "spec.ingress[0].fromEndpoint",
     "endpointSelector: {}\ningress:\n- fromEndpoint: [{}]\n"},
    {"requires-not-supported", false, DFL_SEV_ERROR, 3, 17,
     "spec.ingress[0].fromRequires",
     "endpointSelector: {}\ningress:\n- fromRequires: [{matchLabels: {a: "
     "b}}]\n"},
    {"invalid-auth", false, DFL_SEV_ERROR, 3, 26,
     "spec.ingress[0].authentication.mode",
     "endpointSelector: {}\ningress:\n- authentication: {mode: sometimes}\n"},
    {"invalid-log", false, DFL_SEV_ERROR, 2, 14, "spec.log.value",
     "endpointSelector: {}\nlog: {value: \"this log value is far too long for "
     "cilium\"}\ningress: [{}]\n"},
    {"invalid-rule-label", false, DFL_SEV_ERROR, 2, 10, "spec.labels[0]",
     "endpointSelector: {}\nlabels: [{value: x}]\ningress: [{}]\n"},
    {"invalid-tls", false, DFL_SEV_ERROR, 5, 21,
     "spec.egress[0].toPorts[0].terminatingTLS",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"443\", "
     "protocol: TCP}]\n    terminatingTLS: {certificate: c}\n"},
    {"invalid-listener", true, DFL_SEV_ERROR, 5, 38,
     "spec.egress[0].toPorts[0].listener.envoyConfig",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    listener: {name: l, envoyConfig: {kind: "
     "CiliumEnvoyConfig, name: e}}\n"},
    {"out-of-range", false, DFL_SEV_ERROR, 5, 35,
     "spec.egress[0].toPorts[0].listener.priority",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"80\", "
     "protocol: TCP}]\n    listener: {name: l, priority: 101, envoyConfig: "
     "{kind: Envoy, name: e}}\n"},
    {"invalid-service", false, DFL_SEV_ERROR, 3, 16,
     "spec.egress[0].toServices[0]",
     "endpointSelector: {}\negress:\n- toServices: [{}]\n"},
    {"unsupported-l7", false, DFL_SEV_ERROR, 5, 20,
     "spec.egress[0].toPorts[0].rules.kafka",
     "endpointSelector: {}\negress:\n- toPorts:\n  - ports: [{port: \"9092\", "
     "protocol: TCP}]\n    rules: {kafka: [{topic: t}]}\n"},
    {"protocol-case", false, DFL_SEV_WARNING, 3, 45,
     "spec.ingress[0].toPorts[0].ports[0].protocol",
     "endpointSelector: {}\ningress:\n- toPorts: [{ports: [{port: \"80\", "
     "protocol: tcp}]}]\n"},
    {"entity-not-in-crd", false, DFL_SEV_WARNING, 3, 16,
     "spec.egress[0].toEntities[0]",
     "endpointSelector: {}\negress:\n- toEntities: [world-ipv4]\n"},
    {"ignored-end-port", false, DFL_SEV_WARNING, 3, 44,
     "spec.ingress[0].toPorts[0].ports[0].endPort",
     "endpointSelector: {}\ningress:\n- toPorts: [{ports: [{port: \"80\", "
     "endPort: 70, protocol: TCP}]}]\n"},
    {"extended-protocol", false, DFL_SEV_WARNING, 3, 33,
     "spec.ingress[0].toPorts[0].ports[0].protocol",
     "endpointSelector: {}\ningress:\n- toPorts: [{ports: [{protocol: "
     "VRRP}]}]\n"},
    {"groups-unsupported", false, DFL_SEV_WARNING, 3, 13,
     "spec.egress[0].toGroups",
     "endpointSelector: {}\negress:\n- toGroups: [{aws: {securityGroupsIds: "
     "[sg-1]}}]\n"},
    {"duplicate-label", false, DFL_SEV_WARNING, 2, 17, "spec.labels[1]",
     "endpointSelector: {}\nlabels: [\"a=1\", \"unspec:a=2\"]\ningress: "
     "[{}]\n"},
};

#define HEADER_LINES 5 /* apiVersion, kind, metadata, name, spec */
#define INDENT	     2

/* A CNP/CCNP document with <spec> indented under "spec:". */
static char *wrap(const char *spec, bool ccnp)
{
	struct dfl_strbuf sb = {0};

	dfl_strbuf__printf(&sb,
			   "apiVersion: cilium.io/v2\nkind: %s\nmetadata:\n"
			   "  name: t\nspec:\n",
			   ccnp ? "CiliumClusterwideNetworkPolicy"
				: "CiliumNetworkPolicy");
	for (const char *p = spec; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		dfl_strbuf__puts(&sb, "  ");
		dfl_strbuf__append(&sb, p, n);
		dfl_strbuf__putc(&sb, '\n');
		p += n + (nl ? 1 : 0);
	}
	return dfl_strbuf__detach(&sb);
}

static const struct dfl_diag *find(const struct dfl_diags *d, const char *check)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].check_id &&
		    !strcmp(d->items[i].check_id, check))
			return &d->items[i];
	return NULL;
}

START_TEST(catalogue)
{
	const struct vcase *c = &cases[_i];
	struct dfl_objects *objs = dfl_objects__new();
	struct dfl_diags d = {0};
	struct dfl_load_stats st = {0};
	char *text = wrap(c->spec, c->ccnp);
	const struct dfl_diag *g;

	ck_assert_int_eq(dfl_objects__load_buffer(objs, "v.yaml", text,
						  strlen(text), &d, &st),
			 0);
	g = find(&d, c->check);
	ck_assert_msg(g, "case %d: no [%s] diagnostic", _i, c->check);
	ck_assert_int_eq(g->severity, c->sev);
	ck_assert_str_eq(g->pos.file, "v.yaml");
	ck_assert_msg(g->pos.line == c->line + HEADER_LINES &&
			  g->pos.col == c->col + INDENT,
		      "case %d [%s]: at %u:%u, want %u:%u", _i, c->check,
		      g->pos.line - HEADER_LINES, g->pos.col - INDENT, c->line,
		      c->col);
	ck_assert_str_eq(g->path, c->path);
	ck_assert_str_eq(g->object, c->ccnp ? "CiliumClusterwideNetworkPolicy t"
					    : "CiliumNetworkPolicy default/t");
	if (c->sev == DFL_SEV_ERROR) {
		ck_assert_uint_eq(objs->n_policies, 0);
		ck_assert_uint_eq(st.invalid, 1);
	} else {
		ck_assert_uint_eq(dfl_diags__count(&d, DFL_SEV_ERROR), 0);
		ck_assert_uint_eq(objs->n_policies, 1);
	}
	free(text);
	dfl_diags__release(&d);
	dfl_objects__free(objs);
}
END_TEST

/* Loads <text> and returns how many diagnostics with <check> it produced. */
static size_t count_check(const char *text, const char *check, size_t *policies)
{
	struct dfl_objects *objs = dfl_objects__new();
	struct dfl_diags d = {0};
	size_t n = 0;

	dfl_objects__load_buffer(objs, "x.yaml", text, strlen(text), &d, NULL);
	for (size_t i = 0; i < d.n; i++)
		n += d.items[i].check_id && !strcmp(d.items[i].check_id, check);
	if (policies)
		*policies = objs->n_policies;
	dfl_diags__release(&d);
	dfl_objects__free(objs);
	return n;
}

START_TEST(list_size_limits)
{
	struct dfl_strbuf sb = {0};
	size_t pol;
	char *doc;

	/* 40 ports are fine, 41 are not; same for ICMP fields. */
	for (int n = 40; n <= 41; n++) {
		dfl_strbuf__reset(&sb);
		dfl_strbuf__puts(
		    &sb,
		    "endpointSelector: {}\ningress:\n- toPorts:\n  - ports:\n");
		for (int i = 0; i < n; i++)
			dfl_strbuf__printf(
			    &sb, "    - {port: \"%d\", protocol: TCP}\n",
			    1000 + i);
		doc = wrap(dfl_strbuf__str(&sb), false);
		ck_assert_uint_eq(count_check(doc, "too-many-ports", &pol),
				  n > 40);
		ck_assert_uint_eq(pol, n <= 40);
		free(doc);

		dfl_strbuf__reset(&sb);
		dfl_strbuf__puts(
		    &sb,
		    "endpointSelector: {}\ningress:\n- icmps:\n  - fields:\n");
		for (int i = 0; i < n; i++)
			dfl_strbuf__printf(&sb, "    - {type: %d}\n", i);
		doc = wrap(dfl_strbuf__str(&sb), false);
		ck_assert_uint_eq(
		    count_check(doc, "too-many-icmp-fields", &pol), n > 40);
		ck_assert_uint_eq(pol, n <= 40);
		free(doc);
	}
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(object_level_checks)
{
	static const struct {
		const char *text, *check;
	} objs[] = {
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: a}\n",
	     "empty-policy"},
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: a}\nspecs: []\n",
	     "empty-policy"},
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{}\n"
	     "spec: {endpointSelector: {}, ingress: [{}]}\n",
	     "missing-name"},
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: Bad_Name}\n"
	     "spec: {endpointSelector: {}, ingress: [{}]}\n",
	     "invalid-name"},
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: a, namespace: \"x y\"}\n"
	     "spec: {endpointSelector: {}, ingress: [{}]}\n",
	     "invalid-name"},
	    {"apiVersion: cilium.io/v1\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: a}\n"
	     "spec: {endpointSelector: {}, ingress: [{}]}\n",
	     "unsupported-api-version"},
	    {"apiVersion: networking.k8s.io/v1beta1\nkind: "
	     "NetworkPolicy\nmetadata: {name: a}\n",
	     "unsupported-api-version"},
	    {"apiVersion: v1\nmetadata: {name: a}\n", "missing-kind"},
	    {"- a\n- b\n", "not-an-object"},
	    {"kind: 5\napiVersion: v1\n", "wrong-type"},
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: a}\n"
	     "spec: {endpointSelector: {}, ingress: [{}]}\nextra: 1\n",
	     "unknown-field"},
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: a, labels: {\"a b\": c}}\n"
	     "spec: {endpointSelector: {}, ingress: [{}]}\n",
	     "invalid-label-key"},
	    {"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: "
	     "{name: a}\n"
	     "spec: {endpointSelector: {}, ingress: [{}], description: "
	     "\"x\\0y\"}\n",
	     "invalid-string"},
	};

	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		size_t pol = 99;

		ck_assert_msg(
		    count_check(objs[i].text, objs[i].check, &pol) == 1,
		    "object case %zu: no single [%s]", i, objs[i].check);
		ck_assert_uint_eq(pol, 0);
	}
}
END_TEST

START_TEST(printed_like_a_compiler)
{
	static const char text[] = "apiVersion: cilium.io/v2\n"
				   "kind: CiliumNetworkPolicy\n"
				   "metadata:\n"
				   "  name: rule1\n"
				   "spec:\n"
				   "  endpointSelector:\n"
				   "    matchLabels:\n"
				   "      org: empire\n"
				   "  ingress:\n"
				   "  - fromEndpoints:\n"
				   "    - matchLabels: {org: empire}\n"
				   "    toPorts:\n"
				   "    - ports:\n"
				   "      - port: \"99999\"\n";
	struct dfl_objects *objs = dfl_objects__new();
	struct dfl_diags d = {0};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	dfl_objects__load_buffer(objs, "sw.yaml", text, strlen(text), &d, NULL);
	ck_assert_uint_eq(d.n, 1);
	dfl_diag__print(f, &d.items[0]);
	fclose(f);
	ck_assert_str_eq(out,
			 "sw.yaml:14:15: error: spec.ingress[0].toPorts[0]"
			 ".ports[0].port: \"99999\" is not a port (0-65535) "
			 "[invalid-port]\n");
	free(out);
	dfl_diags__release(&d);
	dfl_objects__free(objs);
}
END_TEST

START_TEST(every_error_is_reported_not_only_the_first)
{
	static const char spec[] = "endpointSelector: {}\n"
				   "ingress:\n"
				   "- toPorts: [{ports: [{port: \"99999\"}]}]\n"
				   "egress:\n"
				   "- toCIDR: [bogus]\n"
				   "- toFQDNs: [{matchName: \"a b\"}]\n";
	char *doc = wrap(spec, false);

	ck_assert_uint_eq(count_check(doc, "invalid-port", NULL), 1);
	ck_assert_uint_eq(count_check(doc, "invalid-cidr", NULL), 1);
	ck_assert_uint_eq(count_check(doc, "invalid-fqdn-selector", NULL), 1);
	free(doc);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("crd-validate");
	TCase *tc = tcase_create("catalogue");

	tcase_add_loop_test(tc, catalogue, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, list_size_limits);
	tcase_add_test(tc, object_level_checks);
	tcase_add_test(tc, printed_like_a_compiler);
	tcase_add_test(tc, every_error_is_reported_not_only_the_first);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(validate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
