/* Semantic lint checks. Each finding names the file:line:col of the rule
 * element it is about, its field path and the policy. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "crd/objects.h"
#include "identity/labels.h"
#include "identity/podlabels.h"
#include "identity/prefix.h"
#include "policy/compiler.h"
#include "policy/internal.h"
#include "policy/lint.h"
#include "policy/scope.h"
#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

static const struct dfl_lint_check checks[] = {
	{ "fqdn-without-dns", DFL_SEV_WARNING,
	  "toFQDNs without a DNS rule (rules.dns) that sends the pod's DNS "
	  "through the DNS proxy: the names never resolve to allowed "
	  "addresses" },
	{ "dns-default-denied", DFL_SEV_WARNING,
	  "egress is default deny and nothing allows DNS (port 53): name "
	  "resolution fails" },
	{ "deny-only-default-deny", DFL_SEV_WARNING,
	  "a deny-only rule puts the endpoints it selects into default deny "
	  "for that direction" },
	{ "namespace-wide-selector", DFL_SEV_WARNING,
	  "endpointSelector {} in a namespaced policy selects every pod of "
	  "the namespace" },
	{ "http-glob", DFL_SEV_WARNING,
	  "an HTTP path or method that looks like a glob: these fields are "
	  "full-match regular expressions" },
	{ "cidr-matches-cluster", DFL_SEV_WARNING,
	  "a CIDR rule covering the pod CIDR or node addresses: CIDR rules "
	  "never match pods, nodes or the host" },
	{ "duplicate-rule", DFL_SEV_WARNING,
	  "a rule element identical to an earlier one" },
	{ "overlapping-ports", DFL_SEV_WARNING,
	  "ports or port ranges of one rule element overlap" },
	{ "shadowed-rule", DFL_SEV_WARNING,
	  "a rule element that has no effect on any endpoint it selects: "
	  "every entry it would add is overridden by a deny or produced by "
	  "an earlier rule" },
	{ "unknown-named-port", DFL_SEV_WARNING,
	  "a named port that no pod or deployment of the input defines" },
	{ "icmp-type-zero", DFL_SEV_WARNING,
	  "ICMP type 0 allows every ICMP type in Cilium (cilium#41304)" },
	{ "empty-peer-list", DFL_SEV_WARNING,
	  "an empty peer list ([]) selects nothing; the element only puts "
	  "the endpoints into default deny" },
	{ "map-size", DFL_SEV_WARNING,
	  "predicted policy-map entries of an endpoint above the map size "
	  "(bpf-policy-map-max)" },
	{ "map-size-prediction", DFL_SEV_NOTE,
	  "predicted policy-map entries of an endpoint" },
	{ "l7-visibility-only", DFL_SEV_NOTE,
	  "L7 rules under enableDefaultDeny: false only give visibility: "
	  "every request is allowed" },
	{ "merge-conflict", DFL_SEV_ERROR,
	  "rules that Cilium cannot merge for an endpoint (conflicting L7 "
	  "parsers or authentication): the endpoint's policy is not applied" },
	{ "unsupported-l7", DFL_SEV_WARNING,
	  "TLS interception, serverNames or Envoy listeners, which deflector "
	  "does not enforce (fail closed)" },
	{ "cidr-group", DFL_SEV_NOTE,
	  "cidrGroupRef/cidrGroupSelector need CiliumCIDRGroup objects" },
	{ "groups-unsupported", DFL_SEV_WARNING,
	  "fromGroups/toGroups (cloud provider groups) are not supported" },
	{ "service-without-selector", DFL_SEV_NOTE,
	  "toServices to a service without a pod selector" },
	{ "service-not-found", DFL_SEV_NOTE,
	  "toServices matching no service of the input" },
	{ "host-policy", DFL_SEV_NOTE,
	  "host policies (nodeSelector) need the host firewall" },
};

const struct dfl_lint_check *dfl_lint__checks(size_t *n)
{
	*n = DFL_ARRAY_SIZE(checks);
	return checks;
}

static enum dfl_severity severity_of(const char *id)
{
	for (size_t i = 0; i < DFL_ARRAY_SIZE(checks); i++)
		if (!strcmp(checks[i].id, id))
			return checks[i].severity;
	return DFL_SEV_WARNING;
}

struct lint {
	const struct dfl_lint_config *cfg;
	const struct dfl_objects *objs;
	struct dfl_diags *out;
	struct dfl_hmap seen; /* check+position: report once */
	struct dfl_prefix default_pod_cidr;
	int err;
};

static void object_name(const struct dfl_policy *p, char *buf, size_t len)
{
	if (p->meta.namespace && p->meta.kind != DFL_KIND_CCNP)
		snprintf(buf, len, "%s %s/%s", dfl_kind__name(p->meta.kind),
			 p->meta.namespace, p->meta.name);
	else
		snprintf(buf, len, "%s %s", dfl_kind__name(p->meta.kind),
			 p->meta.name);
}

static void vreport(struct lint *l, const char *check, struct dfl_pos pos,
		    const char *path, const char *object, const char *fmt,
		    va_list ap) __attribute__((format(printf, 6, 0)));

static void vreport(struct lint *l, const char *check, struct dfl_pos pos,
		    const char *path, const char *object, const char *fmt,
		    va_list ap)
{
	char key[600];
	bool created = false;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%u\x1f%u\x1f%s\x1f%s", check,
		 pos.file ? pos.file : "", pos.line, pos.col, path ? path : "",
		 object ? object : "");
	if (!dfl_hmap__upsert(&l->seen, key, strlen(key), &created)) {
		l->err = -ENOMEM;
		return;
	}
	if (created && dfl_diags__addv(l->out, severity_of(check), pos, path,
				       check, object, fmt, ap))
		l->err = -ENOMEM;
}

/* Reports once per (check, position, path, object). */
__attribute__((format(printf, 6, 7))) static void
report(struct lint *l, const char *check, struct dfl_pos pos,
       const char *path, const struct dfl_policy *p, const char *fmt, ...)
{
	char obj[512];
	va_list ap;

	if (p)
		object_name(p, obj, sizeof(obj));
	va_start(ap, fmt);
	vreport(l, check, pos, path, p ? obj : NULL, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 5, 6))) static void
report_obj(struct lint *l, const char *check, struct dfl_pos pos,
	   const char *object, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(l, check, pos, NULL, object, fmt, ap);
	va_end(ap);
}

static const char *list_name(const struct dfl_peer_rule *pe)
{
	static const char *const names[2][2] = {
		{ "ingress", "ingressDeny" },
		{ "egress", "egressDeny" },
	};

	return names[pe->dir][pe->deny];
}

static void element_path(const struct dfl_rule *r, const struct dfl_peer_rule *pe,
			 const char *sub, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s[%zu]%s%s", r->field ? r->field : "spec",
		 list_name(pe), pe->index, sub ? "." : "", sub ? sub : "");
}

/* ---- fingerprints for duplicates --------------------------------------- */

static void fp_selector(struct dfl_strbuf *sb, const struct dfl_selector *s)
{
	dfl_strbuf__putc(sb, '{');
	for (size_t i = 0; s && i < s->n_reqs; i++) {
		dfl_strbuf__printf(sb, "%s %d", s->reqs[i].key, s->reqs[i].op);
		for (size_t v = 0; v < s->reqs[i].n_values; v++)
			dfl_strbuf__printf(sb, ",%s", s->reqs[i].values[v]);
		dfl_strbuf__putc(sb, ';');
	}
	dfl_strbuf__putc(sb, '}');
}

static void fp_cidr(struct dfl_strbuf *sb, const struct dfl_cidr *c)
{
	struct dfl_prefix p;
	char buf[DFL_PREFIX_STRLEN];

	dfl_prefix_from_cidr(c, &p);
	dfl_strbuf__printf(sb, "%s;", dfl_prefix__fmt(&p, buf, sizeof(buf)));
}

static char *fingerprint(const struct dfl_peer_rule *pe)
{
	struct dfl_strbuf sb = { 0 };

	dfl_strbuf__printf(&sb, "E%d:%zu:", pe->endpoints.present,
			   pe->endpoints.n);
	for (size_t i = 0; i < pe->endpoints.n; i++)
		fp_selector(&sb, &pe->endpoints.items[i]);
	dfl_strbuf__printf(&sb, "C%d:", pe->cidr.present);
	for (size_t i = 0; i < pe->cidr.n; i++)
		fp_cidr(&sb, &pe->cidr.items[i]);
	dfl_strbuf__printf(&sb, "S%d:", pe->cidr_set.present);
	for (size_t i = 0; i < pe->cidr_set.n; i++) {
		const struct dfl_cidr_rule *cr = &pe->cidr_set.items[i];

		fp_cidr(&sb, &cr->cidr);
		dfl_strbuf__printf(&sb, "%s", cr->group_ref ? cr->group_ref : "");
		for (size_t e = 0; e < cr->n_except; e++)
			fp_cidr(&sb, &cr->except[e]);
	}
	dfl_strbuf__printf(&sb, "N%d:%x:", pe->entities.present,
			   pe->entities.mask);
	dfl_strbuf__printf(&sb, "O%d:", pe->nodes.present);
	for (size_t i = 0; i < pe->nodes.n; i++)
		fp_selector(&sb, &pe->nodes.items[i]);
	dfl_strbuf__printf(&sb, "V%d:", pe->services_present);
	for (size_t i = 0; i < pe->n_services; i++)
		dfl_strbuf__printf(&sb, "%s/%s;",
				   pe->services[i].namespace ?
					   pe->services[i].namespace :
					   "",
				   pe->services[i].name ? pe->services[i].name :
							  "");
	dfl_strbuf__printf(&sb, "F%d:", pe->fqdns_present);
	for (size_t i = 0; i < pe->n_fqdns; i++)
		dfl_strbuf__printf(&sb, "%s|%s;",
				   pe->fqdns[i].match_name ?
					   pe->fqdns[i].match_name :
					   "",
				   pe->fqdns[i].match_pattern ?
					   pe->fqdns[i].match_pattern :
					   "");
	dfl_strbuf__printf(&sb, "G%d:A%d:P", pe->groups_present, pe->auth);
	for (size_t i = 0; i < pe->to_ports.n; i++) {
		const struct dfl_port_rule *pr = &pe->to_ports.items[i];

		dfl_strbuf__putc(&sb, '[');
		for (size_t j = 0; j < pr->n_ports; j++)
			dfl_strbuf__printf(&sb, "%u-%u/%u/%s;",
					   pr->ports[j].port,
					   pr->ports[j].end_port,
					   pr->ports[j].proto,
					   pr->ports[j].name ? pr->ports[j].name :
							       "");
		for (size_t j = 0; j < pr->rules.n_http; j++) {
			const struct dfl_http_rule *h = &pr->rules.http[j];

			dfl_strbuf__printf(&sb, "h%s|%s|%s|%zu|%zu;",
					   h->method ? h->method : "",
					   h->path ? h->path : "",
					   h->host ? h->host : "", h->n_headers,
					   h->n_header_matches);
			for (size_t k = 0; k < h->n_headers; k++)
				dfl_strbuf__printf(&sb, "%s;", h->headers[k]);
		}
		for (size_t j = 0; j < pr->rules.n_dns; j++)
			dfl_strbuf__printf(&sb, "d%s|%s;",
					   pr->rules.dns[j].match_name ?
						   pr->rules.dns[j].match_name :
						   "",
					   pr->rules.dns[j].match_pattern ?
						   pr->rules.dns[j].match_pattern :
						   "");
		dfl_strbuf__printf(&sb, "t%zu%d%d%d]", pr->n_server_names,
				   !!pr->terminating_tls, !!pr->originating_tls,
				   !!pr->listener);
	}
	dfl_strbuf__putc(&sb, 'I');
	for (size_t i = 0; i < pe->icmps.n; i++)
		for (size_t j = 0; j < pe->icmps.items[i].n_fields; j++)
			dfl_strbuf__printf(&sb, "%u/%u;",
					   pe->icmps.items[i].fields[j].family,
					   pe->icmps.items[i].fields[j].type);
	return dfl_strbuf__detach(&sb);
}

/* ---- element checks ---------------------------------------------------- */

static bool proto_overlap(uint8_t a, uint8_t b)
{
	return a == b || a == DFL_PROTO_ANY || b == DFL_PROTO_ANY;
}

static unsigned int port_end(const struct dfl_port_protocol *pp)
{
	return pp->end_port > pp->port ? pp->end_port : pp->port;
}

static const char *port_text(const struct dfl_port_protocol *pp, char *buf,
			     size_t len)
{
	if (!pp->port)
		snprintf(buf, len, "0 (all)");
	else if (port_end(pp) > pp->port)
		snprintf(buf, len, "%u-%u", pp->port, port_end(pp));
	else
		snprintf(buf, len, "%u", pp->port);
	return buf;
}

static void check_ports(struct lint *l, const struct dfl_policy *p,
			const struct dfl_rule *r, const struct dfl_peer_rule *pe)
{
	const struct dfl_port_protocol *all[256];
	size_t n = 0;
	char path[256], sub[64];

	for (size_t i = 0; i < pe->to_ports.n; i++) {
		const struct dfl_port_rule *pr = &pe->to_ports.items[i];

		for (size_t j = 0; j < pr->n_ports && n < DFL_ARRAY_SIZE(all);
		     j++)
			if (!pr->ports[j].name)
				all[n++] = &pr->ports[j];
		for (size_t j = 0; j < pr->rules.n_http; j++) {
			const struct dfl_http_rule *h = &pr->rules.http[j];
			const char *path_re = h->path, *m = h->method;
			bool glob_path = false, glob_method = false;

			/* "/api/ *" (no space) is a valid regex: "/api" then slashes;
			 * it almost always meant "/api/.*". */
			for (const char *s = path_re; s && *s; s++)
				if (*s == '*' &&
				    (s == path_re || s[-1] == '/'))
					glob_path = true;
			for (const char *s = m; s && *s; s++)
				if (*s == '*' && (s == m || s[-1] != '.'))
					glob_method = true;
			snprintf(sub, sizeof(sub), "toPorts[%zu].rules.http[%zu]",
				 i, j);
			element_path(r, pe, sub, path, sizeof(path));
			if (glob_path)
				report(l, "http-glob", h->pos, path, p,
				       "path \"%s\" looks like a glob; HTTP "
				       "fields are full-match regular "
				       "expressions (did you mean \".*\"?)",
				       path_re);
			if (glob_method)
				report(l, "http-glob", h->pos, path, p,
				       "method \"%s\" looks like a glob; use a "
				       "regular expression such as "
				       "\"GET|HEAD\" or omit the method",
				       m);
		}
		if ((pr->rules.n_http || pr->rules.n_dns) &&
		    !(pe->dir == DFL_DIR_EGRESS ? r->default_deny_egress :
						  r->default_deny_ingress)) {
			snprintf(sub, sizeof(sub), "toPorts[%zu].rules", i);
			element_path(r, pe, sub, path, sizeof(path));
			report(l, "l7-visibility-only", pr->rules.pos, path, p,
			       "with enableDefaultDeny.%s: false these L7 "
			       "rules only give visibility: a wildcard L7 "
			       "rule is added and every request is allowed",
			       pe->dir == DFL_DIR_EGRESS ? "egress" :
							   "ingress");
		}
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			const struct dfl_port_protocol *x = all[a], *y = all[b];
			char xs[16], ys[16];

			if (!proto_overlap(x->proto, y->proto))
				continue;
			if (x->port && y->port &&
			    (port_end(x) < y->port || port_end(y) < x->port))
				continue;
			element_path(r, pe, "toPorts", path, sizeof(path));
			report(l, "overlapping-ports", y->pos, path, p,
			       "port %s overlaps port %s of the same rule "
			       "element",
			       port_text(y, ys, sizeof(ys)),
			       port_text(x, xs, sizeof(xs)));
		}
	for (size_t i = 0; i < pe->icmps.n; i++)
		for (size_t j = 0; j < pe->icmps.items[i].n_fields; j++) {
			const struct dfl_icmp_field *f =
				&pe->icmps.items[i].fields[j];

			if (f->type)
				continue;
			snprintf(sub, sizeof(sub), "icmps[%zu].fields[%zu]", i,
				 j);
			element_path(r, pe, sub, path, sizeof(path));
			report(l, "icmp-type-zero", f->pos, path, p,
			       "ICMP type 0 (EchoReply) becomes port 0 in the "
			       "policy map, which %s every ICMP%s type "
			       "(cilium#41304); echo replies already pass as "
			       "replies",
			       pe->deny ? "denies" : "allows",
			       f->family == 6 ? "v6" : "");
		}
}

static void check_cidr(struct lint *l, const struct dfl_policy *p,
		       const struct dfl_rule *r, const struct dfl_peer_rule *pe,
		       const struct dfl_cidr *cidr, const char *field)
{
	const struct dfl_lint_config *cfg = l->cfg;
	const struct dfl_prefix *pods = cfg->n_pod_cidrs ? cfg->pod_cidrs :
							   &l->default_pod_cidr;
	size_t n_pods = cfg->n_pod_cidrs ? cfg->n_pod_cidrs : 1;
	struct dfl_prefix pfx;
	char a[DFL_PREFIX_STRLEN], b[DFL_PREFIX_STRLEN], path[256];

	dfl_prefix_from_cidr(cidr, &pfx);
	element_path(r, pe, field, path, sizeof(path));
	if (!pfx.len) {
		report(l, "cidr-matches-cluster", cidr->pos, path, p,
		       "%s is the world entity: it matches nothing inside the "
		       "cluster (pods, nodes, the host); use toEntities/"
		       "toEndpoints for those",
		       dfl_prefix__fmt(&pfx, a, sizeof(a)));
		return;
	}
	for (size_t i = 0; i < n_pods; i++) {
		const struct dfl_prefix *pc = &pods[i];

		if (dfl_prefix__contains(&pfx, pc) ||
		    dfl_prefix__contains(pc, &pfx)) {
			report(l, "cidr-matches-cluster", cidr->pos, path, p,
			       "%s overlaps the pod CIDR %s: CIDR rules never "
			       "match pods (their addresses have pod "
			       "identities); use %s",
			       dfl_prefix__fmt(&pfx, a, sizeof(a)),
			       dfl_prefix__fmt(pc, b, sizeof(b)),
			       pe->dir == DFL_DIR_EGRESS ? "toEndpoints" :
							   "fromEndpoints");
			return;
		}
	}
	for (size_t i = 0; i < cfg->n_node_ips; i++)
		if (dfl_prefix__contains(&pfx, &cfg->node_ips[i])) {
			report(l, "cidr-matches-cluster", cidr->pos, path, p,
			       "%s contains the node address %s: node "
			       "addresses have the host or remote-node "
			       "identity; use %s host/remote-node",
			       dfl_prefix__fmt(&pfx, a, sizeof(a)),
			       dfl_prefix__fmt(&cfg->node_ips[i], b, sizeof(b)),
			       pe->dir == DFL_DIR_EGRESS ? "toEntities" :
							   "fromEntities");
			return;
		}
}

static void check_element(struct lint *l, const struct dfl_policy *p,
			  const struct dfl_rule *r,
			  const struct dfl_peer_rule *pe)
{
	static const struct {
		size_t off;
		const char *in, *eg;
	} lists[] = {
		{ offsetof(struct dfl_peer_rule, endpoints), "fromEndpoints",
		  "toEndpoints" },
		{ offsetof(struct dfl_peer_rule, nodes), "fromNodes", "toNodes" },
	};
	char path[256], f[64];

	for (size_t i = 0; i < DFL_ARRAY_SIZE(lists); i++) {
		const struct dfl_selector_list *sl =
			(const void *)((const char *)pe + lists[i].off);
		const char *name = pe->dir == DFL_DIR_EGRESS ? lists[i].eg :
							       lists[i].in;

		if (sl->present && !sl->n) {
			element_path(r, pe, name, path, sizeof(path));
			report(l, "empty-peer-list", sl->pos, path, p,
			       "%s: [] selects nothing; this element allows "
			       "nothing and only puts the endpoints into "
			       "default deny (omit the field for \"any "
			       "peer\")",
			       name);
		}
	}
	if ((pe->cidr.present && !pe->cidr.n) ||
	    (pe->cidr_set.present && !pe->cidr_set.n) ||
	    (pe->entities.present && !pe->entities.n)) {
		element_path(r, pe, NULL, path, sizeof(path));
		report(l, "empty-peer-list", pe->pos, path, p,
		       "an empty peer list ([]) selects nothing; this element "
		       "allows nothing and only puts the endpoints into "
		       "default deny");
	}
	for (size_t i = 0; i < pe->cidr.n; i++) {
		snprintf(f, sizeof(f), "%s[%zu]",
			 pe->dir == DFL_DIR_EGRESS ? "toCIDR" : "fromCIDR", i);
		check_cidr(l, p, r, pe, &pe->cidr.items[i], f);
	}
	for (size_t i = 0; i < pe->cidr_set.n; i++) {
		if (!pe->cidr_set.items[i].has_cidr)
			continue;
		snprintf(f, sizeof(f), "%s[%zu]",
			 pe->dir == DFL_DIR_EGRESS ? "toCIDRSet" : "fromCIDRSet",
			 i);
		check_cidr(l, p, r, pe, &pe->cidr_set.items[i].cidr, f);
	}
	check_ports(l, p, r, pe);
}

static void check_duplicates(struct lint *l, const struct dfl_policy *p,
			     const struct dfl_rule *r,
			     const struct dfl_peer_rule *items, size_t n)
{
	char **fps = calloc(n + 1, sizeof(*fps)), path[256];

	if (!fps) {
		l->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		fps[i] = fingerprint(&items[i]);
		if (!fps[i]) {
			l->err = -ENOMEM;
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(fps[i], fps[j])) {
				element_path(r, &items[i], NULL, path,
					     sizeof(path));
				report(l, "duplicate-rule", items[i].pos, path,
				       p, "identical to %s[%zu] of the same "
					  "rule",
				       list_name(&items[j]), j);
				break;
			}
	}
	for (size_t i = 0; i < n; i++)
		free(fps[i]);
	free(fps);
}

static void check_rule(struct lint *l, const struct dfl_policy *p,
		       const struct dfl_rule *r)
{
	const char *rf = r->field ? r->field : "spec";
	char path[256];

	if (p->meta.kind == DFL_KIND_CNP && r->endpoint_selector &&
	    !r->endpoint_selector->n_reqs) {
		snprintf(path, sizeof(path), "%s.endpointSelector", rf);
		report(l, "namespace-wide-selector", r->endpoint_selector->pos,
		       path, p,
		       "endpointSelector {} selects every pod of namespace "
		       "%s, including pods created later",
		       p->meta.namespace ? p->meta.namespace : "default");
	}
	for (int d = 0; d < 2; d++) {
		size_t n_allow = d ? r->n_egress : r->n_ingress;
		size_t n_deny = d ? r->n_egress_deny : r->n_ingress_deny;
		bool dd = d ? r->default_deny_egress : r->default_deny_ingress;
		bool expl = d ? r->default_deny_egress_explicit :
				r->default_deny_ingress_explicit;
		const struct dfl_peer_rule *first = d ? r->egress_deny :
							r->ingress_deny;

		if (n_allow || !n_deny || !dd || expl)
			continue;
		snprintf(path, sizeof(path), "%s.%s", rf,
			 d ? "egressDeny" : "ingressDeny");
		report(l, "deny-only-default-deny", first->pos, path, p,
		       "this rule has only %s rules, yet it puts every "
		       "endpoint it selects into default deny for %s: "
		       "everything no other policy allows is dropped (set "
		       "enableDefaultDeny.%s: false to only subtract)",
		       d ? "egressDeny" : "ingressDeny",
		       d ? "egress" : "ingress", d ? "egress" : "ingress");
	}
	check_duplicates(l, p, r, r->ingress, r->n_ingress);
	check_duplicates(l, p, r, r->ingress_deny, r->n_ingress_deny);
	check_duplicates(l, p, r, r->egress, r->n_egress);
	check_duplicates(l, p, r, r->egress_deny, r->n_egress_deny);
	for (size_t i = 0; i < r->n_ingress; i++)
		check_element(l, p, r, &r->ingress[i]);
	for (size_t i = 0; i < r->n_ingress_deny; i++)
		check_element(l, p, r, &r->ingress_deny[i]);
	for (size_t i = 0; i < r->n_egress; i++)
		check_element(l, p, r, &r->egress[i]);
	for (size_t i = 0; i < r->n_egress_deny; i++)
		check_element(l, p, r, &r->egress_deny[i]);
}

/* ---- rule-level DNS heuristics (no pods in the input) ------------------ */

static bool covers_port(const struct dfl_port_protocol *pp, uint16_t port,
			uint8_t proto)
{
	if (pp->name || !proto_overlap(pp->proto, proto))
		return false;
	return !pp->port || (port >= pp->port && port <= port_end(pp));
}

/* Does an egress allow element possibly let UDP/53 through? */
static bool allows_dns(const struct dfl_peer_rule *pe)
{
	bool has_peer = !pe->endpoints.present || pe->endpoints.n;

	if (pe->deny)
		return false;
	if (!pe->to_ports.n && !pe->icmps.n)
		return has_peer && (pe->endpoints.n || pe->cidr.n ||
				    pe->cidr_set.n || pe->entities.n ||
				    pe->nodes.n || pe->n_services);
	for (size_t i = 0; i < pe->to_ports.n; i++)
		for (size_t j = 0; j < pe->to_ports.items[i].n_ports; j++)
			if (covers_port(&pe->to_ports.items[i].ports[j], 53,
					DFL_PROTO_UDP))
				return true;
	return false;
}

static bool has_dns_rule(const struct dfl_peer_rule *pe)
{
	for (size_t i = 0; i < pe->to_ports.n; i++)
		if (pe->to_ports.items[i].rules.n_dns)
			return true;
	return false;
}

/* What the egress allow rules of one scope (a namespace, or the CCNPs that
 * apply everywhere) offer for DNS. */
struct dns_scope {
	bool dns_rule;	/* some rules.dns */
	bool dns_allow; /* something that may let UDP/53 through */
};

static int scan_scope(struct dfl_hmap *scopes, const struct dfl_policy *q)
{
	const char *key = q->meta.kind == DFL_KIND_CCNP || !q->meta.namespace ?
				  "" :
				  q->meta.namespace;
	struct dfl_hmap_slot *s = dfl_hmap__upsert(scopes, key, strlen(key),
						   NULL);

	if (!s)
		return -ENOMEM;
	for (size_t r = 0; r < q->n_rules; r++)
		for (size_t e = 0; e < q->rules[r].n_egress; e++) {
			s->val.u64 |= has_dns_rule(&q->rules[r].egress[e]);
			s->val.u64 |= (uint64_t)allows_dns(
					      &q->rules[r].egress[e])
				      << 1;
		}
	return 0;
}

/* For policy <p>: the union of its namespace's scope and the CCNPs'. A
 * CCNP may apply to any namespace, so it sees every scope. */
static struct dns_scope scope_of(const struct dfl_hmap *scopes,
				 const struct dfl_policy *p)
{
	struct dns_scope d = { 0 };
	struct dfl_hmap_slot *s;
	uint64_t bits = 0;

	if (p->meta.kind == DFL_KIND_CCNP || !p->meta.namespace) {
		dfl_hmap_for_each(scopes, s)
			bits |= s->val.u64;
	} else {
		s = dfl_hmap__find(scopes, p->meta.namespace,
				   strlen(p->meta.namespace));
		bits = s ? s->val.u64 : 0;
		s = dfl_hmap__find(scopes, "", 0);
		bits |= s ? s->val.u64 : 0;
	}
	d.dns_rule = bits & 1;
	d.dns_allow = bits & 2;
	return d;
}

static void heuristic_dns(struct lint *l)
{
	const struct dfl_objects *objs = l->objs;
	struct dfl_hmap scopes = { 0 };

	for (size_t i = 0; i < objs->n_policies && !l->err; i++)
		if (scan_scope(&scopes, objs->policies[i]))
			l->err = -ENOMEM;
	for (size_t i = 0; i < objs->n_policies && !l->err; i++) {
		const struct dfl_policy *p = objs->policies[i];
		struct dns_scope sc = scope_of(&scopes, p);
		char path[256];

		for (size_t r = 0; r < p->n_rules; r++) {
			const struct dfl_rule *ru = &p->rules[r];

			if (ru->default_deny_egress &&
			    (ru->n_egress || ru->n_egress_deny) &&
			    !sc.dns_allow && !ru->node_selector) {
				const struct dfl_peer_rule *pe =
					ru->n_egress ? ru->egress :
						       ru->egress_deny;

				element_path(ru, pe, NULL, path, sizeof(path));
				report(l, "dns-default-denied", pe->pos, path,
				       p,
				       "egress of the endpoints this rule "
				       "selects is default deny and no policy "
				       "for them allows DNS (port 53): name "
				       "resolution fails");
			}
			for (size_t e = 0; e < ru->n_egress; e++) {
				const struct dfl_peer_rule *pe = &ru->egress[e];

				if (!pe->n_fqdns || sc.dns_rule)
					continue;
				element_path(ru, pe, "toFQDNs", path,
					     sizeof(path));
				report(l, "fqdn-without-dns", pe->fqdns[0].pos,
				       path, p,
				       "toFQDNs learns addresses only from DNS "
				       "answers that pass the DNS proxy, and no "
				       "policy for these endpoints has a "
				       "rules.dns rule on port 53: %s never "
				       "resolves to an allowed address",
				       pe->fqdns[0].match_name ?
					       pe->fqdns[0].match_name :
					       pe->fqdns[0].match_pattern);
			}
		}
	}
	dfl_hmap__release(&scopes);
}

/* ---- checks on the compiled policy (pods in the input) ----------------- */

static const struct dfl_policy *policy_of(const struct dfl_compiler *c,
					  uint32_t cookie, struct dfl_pos *pos)
{
	const struct dfl_origin *og = dfl_compiler__origin(c, cookie);
	struct dfl_hmap_slot *s;

	if (!og || og->origin != DFL_ORIGIN_POLICY)
		return NULL;
	*pos = og->pos;
	dfl_hmap_for_each(&c->policies, s)
	{
		const struct rpolicy *rp = s->val.ptr;
		const struct dfl_meta *m = &rp->pol->meta;

		if (m->kind == og->kind && !strcmp(m->name, og->name) &&
		    (!og->namespace ||
		     (m->namespace && !strcmp(m->namespace, og->namespace))))
			return rp->pol;
	}
	return NULL;
}

/* The identity kube-dns has in the input, or the well-known one. */
static uint32_t kube_dns_identity(const struct dfl_compiler *c)
{
	for (size_t i = 0; i < c->n_ep_sorted; i++) {
		const struct endpoint *ep = c->ep_sorted[i];
		const struct dfl_identity *id =
			dfl_idalloc__get(c->ids, ep->identity);
		const char *app = id ? dfl_labels__value(&id->labels, "k8s",
							 "k8s-app") :
				       NULL;

		if (app && !strcmp(app, "kube-dns"))
			return ep->identity;
	}
	return DFL_ID_KUBE_DNS + 8;
}

static void compiled_dns(struct lint *l, struct dfl_compiler *c,
			 const struct endpoint *ep, uint32_t kdns)
{
	const struct dfl_ep_policy *pol = &ep->pol;
	struct dfl_policy_verdict v;
	const struct rulevec *rv = NULL;
	uint64_t pos;
	char path[256];

	if (!pol->dir[1].enforced)
		return;
	dfl_ep_policy__lookup(pol, true, kdns, DFL_PROTO_UDP, 53, &v);
	if (!v.allowed && pol->dir[1].default_deny && pol->dir[1].n_dd) {
		struct dfl_pos where = { 0 };
		const struct dfl_policy *p =
			policy_of(c, pol->dir[1].dd_cookies[0], &where);
		const struct dfl_origin *og =
			dfl_compiler__origin(c, pol->dir[1].dd_cookies[0]);

		snprintf(path, sizeof(path), "%s",
			 og && og->rule_field ? og->rule_field : "spec");
		report(l, "dns-default-denied", where, path, p,
		       "endpoint %s: egress is default deny (set by this "
		       "rule) and nothing allows DNS to kube-dns (UDP/53): "
		       "name resolution fails",
		       ep->name);
	}
	if (dfl_u64map__get(&c->rules_by_id, ep->identity, &pos))
		rv = &c->rulevecs[pos];
	for (size_t i = 0; rv && i < rv->n; i++) {
		const struct prule *pr = rv->items[i].pr;

		for (size_t j = 0; j < pr->n_entries; j++) {
			const struct pentry *e = &pr->entries[j];
			const struct dfl_rule *ru = NULL;

			if (e->dir != DFL_DIR_EGRESS || !e->src->n_fqdns ||
			    (v.allowed && v.proxy_port == c->dns_port))
				continue;
			for (size_t k = 0; k < rv->items[i].rp->pol->n_rules; k++)
				if (&rv->items[i].rp->rules[k] == pr)
					ru = &rv->items[i].rp->pol->rules[k];
			if (!ru)
				continue;
			element_path(ru, e->src, "toFQDNs", path, sizeof(path));
			report(l, "fqdn-without-dns", e->src->fqdns[0].pos,
			       path, rv->items[i].rp->pol,
			       "endpoint %s: its DNS to kube-dns is %s, so "
			       "toFQDNs never learns addresses for %s; add a "
			       "rules.dns rule for port 53",
			       ep->name,
			       v.allowed ? "allowed but not sent through the "
					   "DNS proxy" :
					   "denied",
			       e->src->fqdns[0].match_name ?
				       e->src->fqdns[0].match_name :
				       e->src->fqdns[0].match_pattern);
		}
	}
}

static int collect_cookies(const struct dfl_compiler *c,
			   struct dfl_u64map *used)
{
	for (size_t i = 0; i < c->n_ep_sorted; i++) {
		const struct dfl_ep_policy *p = &c->ep_sorted[i]->pol;

		for (size_t j = 0; j < p->n_entries; j++)
			if (dfl_u64map__put(used, p->entries[j].cookie, 1))
				return -ENOMEM;
		for (size_t j = 0; j < p->n_l7; j++) {
			if (dfl_u64map__put(used, p->l7[j].cookie, 1))
				return -ENOMEM;
			for (size_t k = 0; k < p->l7[j].n_rules; k++)
				if (dfl_u64map__put(used,
						    p->l7[j].rules[k].cookie, 1))
					return -ENOMEM;
		}
	}
	return 0;
}

/* Rule elements that select endpoints of the input and peers that exist,
 * yet left no entry with their cookie anywhere. */
static void shadowed(struct lint *l, struct dfl_compiler *c)
{
	struct dfl_u64map used = { 0 }, applied = { 0 };
	char path[256];

	if (collect_cookies(c, &used)) {
		l->err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n_rulevecs; i++)
		for (size_t j = 0; j < c->rulevecs[i].n; j++)
			if (dfl_u64map__put(&applied,
					    (uintptr_t)c->rulevecs[i].items[j].pr,
					    1)) {
				l->err = -ENOMEM;
				goto out;
			}
	for (size_t i = 0; i < c->n_pol_sorted; i++) {
		const struct rpolicy *rp = c->pol_sorted[i];

		for (size_t r = 0; r < rp->n_rules; r++) {
			const struct prule *pr = &rp->rules[r];

			if (!dfl_u64map__get(&applied, (uintptr_t)pr, NULL))
				continue;
			for (size_t j = 0; j < pr->n_entries; j++) {
				const struct pentry *e = &pr->entries[j];
				bool selects = e->l3 == L3_WILDCARD;

				for (size_t k = 0; k < e->n_peers; k++)
					selects |= e->peers[k]->wildcard ||
						   e->peers[k]->n_ids;
				if (e->l3 == L3_NONE || !selects ||
				    dfl_u64map__get(&used, e->cookie, NULL))
					continue;
				/* Named ports that resolve nowhere are
				 * reported by unknown-named-port. */
				if (e->n_ports && e->ports[0].name)
					continue;
				element_path(&rp->pol->rules[r], e->src, NULL,
					     path, sizeof(path));
				report(l, "shadowed-rule", e->src->pos, path,
				       rp->pol,
				       "this %s has no effect on the endpoints "
				       "it selects: every entry it adds is "
				       "overridden by a deny or already added "
				       "by an earlier rule",
				       e->deny ? "deny" : "allow");
			}
		}
	}
out:
	dfl_u64map__release(&used);
	dfl_u64map__release(&applied);
}

static bool port_name_defined(const struct dfl_objects *objs, const char *name)
{
	for (size_t i = 0; i < objs->n_pods; i++)
		for (size_t j = 0; j < objs->pods[i]->spec.n_ports; j++)
			if (objs->pods[i]->spec.ports[j].name &&
			    !strcmp(objs->pods[i]->spec.ports[j].name, name))
				return true;
	for (size_t i = 0; i < objs->n_deployments; i++) {
		const struct dfl_pod_spec *ps =
			&objs->deployments[i]->template_spec;

		for (size_t j = 0; j < ps->n_ports; j++)
			if (ps->ports[j].name && !strcmp(ps->ports[j].name, name))
				return true;
	}
	return false;
}

static void named_ports(struct lint *l)
{
	const struct dfl_objects *objs = l->objs;
	char path[256], sub[64];

	for (size_t i = 0; i < objs->n_policies; i++) {
		const struct dfl_policy *p = objs->policies[i];

		for (size_t r = 0; r < p->n_rules; r++) {
			const struct dfl_rule *ru = &p->rules[r];
			const struct {
				const struct dfl_peer_rule *items;
				size_t n;
			} lists[] = {
				{ ru->ingress, ru->n_ingress },
				{ ru->ingress_deny, ru->n_ingress_deny },
				{ ru->egress, ru->n_egress },
				{ ru->egress_deny, ru->n_egress_deny },
			};

			for (size_t k = 0; k < DFL_ARRAY_SIZE(lists); k++)
				for (size_t e = 0; e < lists[k].n; e++) {
					const struct dfl_peer_rule *pe =
						&lists[k].items[e];

					for (size_t t = 0; t < pe->to_ports.n;
					     t++) {
						const struct dfl_port_rule *pr =
							&pe->to_ports.items[t];

						for (size_t q = 0;
						     q < pr->n_ports; q++) {
							const char *nm =
								pr->ports[q].name;

							if (!nm ||
							    port_name_defined(
								    objs, nm))
								continue;
							snprintf(sub,
								 sizeof(sub),
								 "toPorts[%zu]",
								 t);
							element_path(ru, pe,
								     sub, path,
								     sizeof(path));
							report(l,
							       "unknown-named-port",
							       pr->ports[q].pos,
							       path, p,
							       "named port "
							       "\"%s\" is not "
							       "defined by any "
							       "pod or "
							       "deployment of "
							       "the input: it "
							       "matches nothing",
							       nm);
						}
					}
				}
		}
	}
}

/* The Pod or Deployment an endpoint ("ns/name") was made from. */
static const struct dfl_meta *workload_meta(const struct dfl_objects *objs,
					    const char *name)
{
	char buf[600];

	for (size_t i = 0; i < objs->n_pods; i++) {
		const struct dfl_meta *m = &objs->pods[i]->meta;

		snprintf(buf, sizeof(buf), "%s/%s",
			 m->namespace ? m->namespace : "default", m->name);
		if (!strcmp(buf, name))
			return m;
	}
	for (size_t i = 0; i < objs->n_deployments; i++) {
		const struct dfl_meta *m = &objs->deployments[i]->meta;

		snprintf(buf, sizeof(buf), "%s/%s",
			 m->namespace ? m->namespace : "default", m->name);
		if (!strcmp(buf, name))
			return m;
	}
	return NULL;
}

static void compiled_checks(struct lint *l, struct dfl_compiler *c)
{
	size_t map_max = c->map_max;
	uint32_t kdns = kube_dns_identity(c);

	for (size_t i = 0; i < c->n_ep_sorted && !l->err; i++) {
		const struct endpoint *ep = c->ep_sorted[i];
		const struct dfl_ep_policy *pol = &ep->pol;
		const struct dfl_meta *m;
		char obj[512];

		if (!ep->resolved_once || ep->raw)
			continue;
		compiled_dns(l, c, ep, kdns);
		if (!pol->over_limit && !pol->dir[0].enforced &&
		    !pol->dir[1].enforced)
			continue;
		m = workload_meta(l->objs, ep->name);
		snprintf(obj, sizeof(obj), "%s %s",
			 m ? dfl_kind__name(m->kind) : "Endpoint", ep->name);
		report_obj(l, pol->over_limit ? "map-size" :
						"map-size-prediction",
			   m ? m->pos : (struct dfl_pos){ 0 }, obj,
			   "%zu policy-map entries predicted for %s (map "
			   "size %zu)%s",
			   pol->n_entries, ep->name, map_max,
			   pol->over_limit ? ": the map overflows and the "
					     "endpoint's policy cannot be "
					     "applied" :
					     "");
	}
	shadowed(l, c);
	named_ports(l);
}

int dfl_lint__run(const struct dfl_lint_config *cfg,
		  const struct dfl_objects *objs, struct dfl_diags *out)
{
	struct lint l = { .cfg = cfg, .objs = objs, .out = out };
	struct dfl_compiler *c = NULL;

	dfl_prefix__parse("10.200.0.0/16", &l.default_pod_cidr);
	for (size_t i = 0; i < objs->n_policies && !l.err; i++) {
		const struct dfl_policy *p = objs->policies[i];

		for (size_t r = 0; r < p->n_rules && !l.err; r++)
			check_rule(&l, p, &p->rules[r]);
	}
	/* Compiling reports what translation finds (unresolvable services,
	 * unsupported fields) and, with workloads, merge conflicts. */
	c = dfl_compiler__new(&cfg->policy);
	if (!c)
		l.err = -ENOMEM;
	for (size_t i = 0; !l.err && i < cfg->n_node_ips; i++)
		if (dfl_compiler__add_node(c, &cfg->node_ips[i], !i))
			l.err = -ENOMEM;
	if (!l.err && (dfl_compiler__add_objects(c, objs, out) ||
		       dfl_compiler__resolve(c, NULL, out)))
		l.err = -ENOMEM;
	if (!l.err && (objs->n_pods || objs->n_deployments))
		compiled_checks(&l, c);
	else if (!l.err)
		heuristic_dns(&l);
	dfl_compiler__free(c);
	dfl_hmap__release(&l.seen);
	return l.err;
}

/* ---- reports ----------------------------------------------------------- */

json_t *dfl_lint__to_json(const struct dfl_diags *d)
{
	json_t *findings = json_array();

	for (size_t i = 0; i < d->n; i++) {
		const struct dfl_diag *g = &d->items[i];

		json_array_append_new(
			findings,
			json_pack("{s:s?,s:i,s:i,s:s,s:s?,s:s?,s:s?,s:s}",
				  "file", g->pos.file, "line", g->pos.line,
				  "column", g->pos.col, "severity",
				  dfl_severity__name(g->severity), "check",
				  g->check_id, "path", g->path, "object",
				  g->object, "message",
				  g->message ? g->message : ""));
	}
	return json_pack("{s:o,s:{s:I,s:I,s:I}}", "findings", findings,
			 "summary", "errors",
			 (json_int_t)dfl_diags__count(d, DFL_SEV_ERROR),
			 "warnings",
			 (json_int_t)dfl_diags__count(d, DFL_SEV_WARNING),
			 "notes", (json_int_t)dfl_diags__count(d, DFL_SEV_NOTE));
}

static const char *sarif_level(enum dfl_severity s)
{
	return s == DFL_SEV_ERROR ? "error" :
	       s == DFL_SEV_WARNING ? "warning" :
				      "note";
}

json_t *dfl_lint__to_sarif(const struct dfl_diags *d, const char *version)
{
	json_t *rules = json_array(), *results = json_array(), *index;
	struct dfl_hmap ids = { 0 };

	/* Every check we know, then any other id that occurs (crd/'s
	 * validation findings), so that each result's ruleIndex is valid. */
	for (size_t i = 0; i < DFL_ARRAY_SIZE(checks); i++) {
		json_array_append_new(
			rules,
			json_pack("{s:s,s:{s:s},s:{s:s}}", "id", checks[i].id,
				  "shortDescription", "text", checks[i].summary,
				  "defaultConfiguration", "level",
				  sarif_level(checks[i].severity)));
		dfl_hmap__upsert(&ids, checks[i].id, strlen(checks[i].id),
				 NULL)->val.u64 = i;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct dfl_diag *g = &d->items[i];
		const char *id = g->check_id ? g->check_id : "deflector";
		struct dfl_hmap_slot *s;
		bool created;
		json_t *loc, *res;

		s = dfl_hmap__upsert(&ids, id, strlen(id), &created);
		if (!s)
			break;
		if (created) {
			s->val.u64 = json_array_size(rules);
			json_array_append_new(
				rules,
				json_pack("{s:s,s:{s:s}}", "id", id,
					  "shortDescription", "text",
					  "Cilium validation (crd/)"));
		}
		loc = json_pack("{s:{s:{s:s}}}", "physicalLocation",
				"artifactLocation", "uri",
				g->pos.file ? g->pos.file : "<input>");
		if (loc && g->pos.line) {
			json_t *region = json_pack("{s:i}", "startLine",
						   g->pos.line);

			if (region && g->pos.col)
				json_object_set_new(region, "startColumn",
						    json_integer(g->pos.col));
			json_object_set_new(json_object_get(loc,
							    "physicalLocation"),
					    "region", region);
		}
		res = json_pack("{s:s,s:I,s:s,s:{s:s},s:[o]}", "ruleId", id,
				"ruleIndex", (json_int_t)s->val.u64, "level",
				sarif_level(g->severity), "message", "text",
				g->message ? g->message : "", "locations", loc);
		json_array_append_new(results, res);
	}
	dfl_hmap__release(&ids);
	index = json_pack(
		"{s:s,s:s,s:[{s:{s:{s:s,s:s,s:o}},s:o}]}", "$schema",
		"https://json.schemastore.org/sarif-2.1.0.json", "version",
		"2.1.0", "runs", "tool", "driver", "name", "deflector",
		"version", version ? version : "0", "rules", rules, "results",
		results);
	return index;
}
