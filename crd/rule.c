/* Cilium Rule decoding: the spec / specs[i] of a CNP or CCNP with its
 * ingress, ingressDeny, egress and egressDeny elements, validated in the
 * order of Cilium's Rule.Sanitize (cilium-policy.md §1.2-1.3, §7 items 1-19)
 * and sanitized (enableDefaultDeny filled in, §3.2 rule 3). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/decoders.h"
#include "crd/names.h"
#include "util/strbuf.h"

static const char *const ingress_fields[] = {
    "fromEndpoints", "fromRequires",   "fromCIDR",  "fromCIDRSet",
    "fromEntities",  "fromGroups",     "fromNodes", "toPorts",
    "icmps",	     "authentication", NULL,
};
static const char *const ingress_deny_fields[] = {
    "fromEndpoints", "fromRequires", "fromCIDR", "fromCIDRSet", "fromEntities",
    "fromGroups",    "fromNodes",    "toPorts",	 "icmps",	NULL,
};
static const char *const egress_fields[] = {
    "toEndpoints", "toRequires",     "toCIDR",	"toCIDRSet", "toEntities",
    "toServices",  "toGroups",	     "toNodes", "toPorts",   "toFQDNs",
    "icmps",	   "authentication", NULL,
};
static const char *const egress_deny_fields[] = {
    "toEndpoints", "toRequires", "toCIDR",   "toCIDRSet",
    "toEntities",  "toServices", "toGroups", "toNodes",
    "toPorts",	   "icmps",	 NULL,
};

static const char *const group_fields[] = {"aws", NULL};
static const char *const aws_fields[] = {"labels", "securityGroupsIds",
					 "securityGroupsNames", "region", NULL};

/* fromGroups/toGroups: checked for shape; deflector has no cloud provider
 * integration to resolve them. */
static int groups(struct dfl_dc *dc, const json_t *obj, const char *key,
		  bool *present)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	if (ret <= 0)
		return ret;
	*present = true;
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *g = json_array_get(arr, i), *aws;
		size_t m2 = dc_enter_index(dc, i);

		if (!dc_expect(dc, g, JSON_OBJECT, "a mapping") ||
		    dc_obj(dc, g, "aws", &aws) < 0) {
			ret = -1;
		} else {
			struct dfl_kvs labels;
			char **v = NULL, *region = NULL;
			size_t n = 0;
			size_t m3 = dc_enter(dc, "aws");

			dc_known(dc, g, group_fields);
			dc_known(dc, aws, aws_fields);
			if (dc_kvs(dc, aws, "labels", &labels) < 0)
				ret = -1;
			dfl_kvs__free(&labels);
			if (dc_strs(dc, aws, "securityGroupsIds", &v, &n,
				    NULL) < 0)
				ret = -1;
			dfl_strv__free(v, n);
			if (dc_strs(dc, aws, "securityGroupsNames", &v, &n,
				    NULL) < 0)
				ret = -1;
			dfl_strv__free(v, n);
			if (dc_str(dc, aws, "region", &region) < 0)
				ret = -1;
			free(region);
			dc_leave(dc, m3);
		}
		dc_leave(dc, m2);
	}
	dc_warn(dc, arr, "groups-unsupported",
		"%s needs Cilium's cloud-provider integration; deflector does "
		"not resolve groups, so this peer selects nothing",
		key);
	dc_leave(dc, mark);
	return ret;
}

static const char *const auth_fields[] = {"mode", NULL};

static int authentication(struct dfl_dc *dc, const json_t *obj,
			  enum dfl_auth_mode *out)
{
	static const char *const modes[] = {"disabled", "required",
					    "test-always-fail"};
	const json_t *v;
	char *mode = NULL;
	size_t mark;
	int ret = dc_obj(dc, obj, "authentication", &v);

	if (ret <= 0)
		return ret;
	mark = dc_enter(dc, "authentication");
	dc_known(dc, v, auth_fields);
	ret = -1;
	if (dc_str(dc, v, "mode", &mode) < 0)
		goto out;
	for (int i = 0; mode && i < 3; i++)
		if (!strcmp(mode, modes[i])) {
			*out = (enum dfl_auth_mode)(DFL_AUTH_DISABLED + i);
			ret = 0;
		}
	if (ret)
		dc_report_field(dc, DFL_SEV_ERROR,
				dc_get(v, "mode") ? dc_get(v, "mode") : v,
				"mode", "invalid-auth",
				"authentication mode must be disabled, "
				"required or test-always-fail");
out:
	free(mode);
	dc_leave(dc, mark);
	return ret;
}

/* Cilium's "only one peer kind per element" rule (§1.3, §7 items 5, 14). */
static int check_combination(struct dfl_dc *dc, const json_t *v,
			     const struct dfl_peer_rule *r)
{
	bool in = r->dir == DFL_DIR_INGRESS;
	const struct {
		const char *name;
		bool set;
	} members[] = {
	    {in ? "FromEndpoints" : "ToEndpoints", r->endpoints.n > 0},
	    {in ? "FromCIDR" : "ToCIDR", r->cidr.n > 0},
	    {in ? "FromCIDRSet" : "ToCIDRSet", r->cidr_set.n > 0},
	    {in ? "FromEntities" : "ToEntities", r->entities.n > 0},
	    {in ? "FromNodes" : "ToNodes", r->nodes.n > 0},
	    {in ? "FromGroups" : "ToGroups", false},
	    {"ToServices", r->n_services > 0},
	    {"ToFQDNs", r->n_fqdns > 0},
	};
	const char *first = NULL;
	const json_t *g = dc_get(v, in ? "fromGroups" : "toGroups");
	bool groups_set = json_is_array(g) && json_array_size(g) > 0;

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		bool set = members[i].set || (i == 5 && groups_set);

		if (!set)
			continue;
		if (first) {
			dc_error(dc, v, "peer-combination",
				 "combining %s and %s is not supported yet: "
				 "write one rule per peer kind",
				 first, members[i].name);
			return -1;
		}
		first = members[i].name;
	}
	return 0;
}

static int peer_rule(struct dfl_dc *dc, const json_t *v, enum dfl_direction dir,
		     bool deny, struct dfl_peer_rule *r)
{
	bool in = dir == DFL_DIR_INGRESS;
	const json_t *req;
	int ret = 0;

	r->dir = dir;
	r->deny = deny;
	r->pos = dc_pos(dc, v);
	if (!v)
		return 0; /* null element: Go decodes it as {} */
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v,
		 in ? (deny ? ingress_deny_fields : ingress_fields)
		    : (deny ? egress_deny_fields : egress_fields));
	ret |= dfl_decode_selector_list(dc, v,
					in ? "fromEndpoints" : "toEndpoints",
					&dfl_sel_cilium, &r->endpoints);
	ret |=
	    dfl_decode_cidr_list(dc, v, in ? "fromCIDR" : "toCIDR", &r->cidr);
	ret |= dfl_decode_cidr_rules(dc, v, in ? "fromCIDRSet" : "toCIDRSet",
				     &r->cidr_set);
	ret |= dfl_decode_entities(dc, v, in ? "fromEntities" : "toEntities",
				   &r->entities);
	ret |= dfl_decode_selector_list(dc, v, in ? "fromNodes" : "toNodes",
					&dfl_sel_cilium, &r->nodes);
	ret |=
	    groups(dc, v, in ? "fromGroups" : "toGroups", &r->groups_present);
	if (!in) {
		ret |= dfl_decode_services(dc, v, "toServices", r);
		if (!deny) {
			ret |= dfl_decode_fqdns(dc, v, "toFQDNs", &r->fqdns,
						&r->n_fqdns) < 0;
			r->fqdns_present = dc_get(v, "toFQDNs") != NULL;
		}
	}
	ret |= dfl_decode_port_rules(dc, v, "toPorts", dir, deny, &r->to_ports);
	ret |= dfl_decode_icmps(dc, v, "icmps", &r->icmps);
	if (!deny)
		ret |= authentication(dc, v, &r->auth);
	if (ret)
		ret = -1;

	req = dc_get(v, in ? "fromRequires" : "toRequires");
	if (req && (!json_is_array(req) || json_array_size(req))) {
		dc_report_field(dc, DFL_SEV_ERROR, req,
				in ? "fromRequires" : "toRequires",
				"requires-not-supported",
				"%s is deprecated and ignored by Cilium; the "
				"CRD allows no items",
				in ? "fromRequires" : "toRequires");
		ret = -1;
	}
	if (check_combination(dc, v, r))
		ret = -1;
	if (r->nodes.n)
		dc_report_field(
		    dc, DFL_SEV_WARNING,
		    dc_get(v, in ? "fromNodes" : "toNodes"),
		    in ? "fromNodes" : "toNodes", "nodes-need-flag",
		    "FromNodes/ToNodes rules can only be applied when the "
		    "\"enable-node-selector-labels\" flag is set");
	if (r->icmps.n && r->to_ports.n) {
		dc_report_field(
		    dc, DFL_SEV_ERROR, dc_get(v, "icmps"), "icmps",
		    "icmp-with-ports",
		    "the ICMPs block may only be present without ToPorts. "
		    "Define a separate rule to use ToPorts");
		ret = -1;
	}
	return ret;
}

static int peer_rules(struct dfl_dc *dc, const json_t *spec, const char *key,
		      enum dfl_direction dir, bool deny,
		      struct dfl_peer_rule **out, size_t *n)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, spec, key, &arr);

	*out = NULL;
	*n = 0;
	if (ret <= 0)
		return ret;
	*out = dc_calloc(dc, json_array_size(arr), sizeof(**out));
	if (!*out)
		return -1;
	*n = json_array_size(arr);
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < *n; i++) {
		const json_t *v = json_array_get(arr, i);
		size_t m2 = dc_enter_index(dc, i);

		(*out)[i].index = i;
		if (peer_rule(dc, json_is_null(v) ? NULL : v, dir, deny,
			      &(*out)[i]))
			ret = -1;
		if (json_is_null(v))
			(*out)[i].pos = dc_pos(dc, arr);
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

static const char *const label_fields[] = {"key", "value", "source", NULL};

/* One rule label: "[source:]key[=value]" or {key, value, source}. */
static int rule_label(struct dfl_dc *dc, const json_t *v, struct dfl_kv *out)
{
	char *src = NULL, *key = NULL, *value = NULL;
	struct dfl_strbuf sb = {0};
	int ret = -1;

	out->pos = dc_pos(dc, v);
	if (json_is_string(v)) {
		char *s, *colon, *eq;

		if (dc_string(dc, v, &s) < 0)
			return -1;
		if (!*s) {
			dc_error(dc, v, "invalid-rule-label",
				 "invalid Label: empty string");
			free(s);
			return -1;
		}
		colon = strchr(s, ':');
		if (colon)
			*colon = '\0';
		key = colon ? colon + 1 : s;
		eq = strchr(key, '=');
		if (eq)
			*eq = '\0';
		dfl_strbuf__printf(&sb, "%s:%s", colon && *s ? s : "unspec",
				   key);
		out->value = dc_strdup(dc, eq ? eq + 1 : "");
		free(s);
		key = NULL;
	} else if (json_is_object(v)) {
		dc_known(dc, v, label_fields);
		if (dc_str(dc, v, "key", &key) < 0 ||
		    dc_str(dc, v, "value", &value) < 0 ||
		    dc_str(dc, v, "source", &src) < 0)
			goto out;
		if (!key || !*key) {
			dc_error(
			    dc, v, "invalid-rule-label",
			    "invalid Label: it does not contain a label key");
			goto out;
		}
		dfl_strbuf__printf(&sb, "%s:%s", src && *src ? src : "unspec",
				   key);
		out->value = value ? value : dc_strdup(dc, "");
		value = NULL;
	} else {
		dc_expect(
		    dc, v, JSON_STRING,
		    "a label (\"source:key=value\" or {key, value, source})");
		goto out;
	}
	out->key = dfl_strbuf__detach(&sb);
	if (!out->key || !out->value) {
		dc->nomem = true;
		free(out->key);
		free(out->value);
		out->key = out->value = NULL;
	} else {
		ret = 0;
	}
out:
	dfl_strbuf__release(&sb);
	free(src);
	free(key);
	free(value);
	return ret;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct dfl_kv *)a)->key,
		      ((const struct dfl_kv *)b)->key);
}

static int rule_labels(struct dfl_dc *dc, const json_t *spec,
		       struct dfl_kvs *out)
{
	const json_t *arr;
	json_t *seen;
	size_t mark;
	int ret = dc_arr(dc, spec, "labels", &arr);

	if (ret <= 0)
		return ret;
	out->items = dc_calloc(dc, json_array_size(arr), sizeof(*out->items));
	seen = json_object(); /* final key -> index in out->items */
	if (!out->items || !seen) {
		json_decref(seen);
		dc->nomem = true;
		return -1;
	}
	mark = dc_enter(dc, "labels");
	ret = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct dfl_kv kv = {0};
		size_t m2 = dc_enter_index(dc, i);
		const json_t *prev;

		if (rule_label(dc, json_array_get(arr, i), &kv)) {
			ret = -1;
		} else if ((prev = json_object_get(seen, kv.key))) {
			/* Keys are unique: the later label wins. */
			struct dfl_kv *old =
			    &out->items[json_integer_value(prev)];

			dc_report(dc, DFL_SEV_WARNING, kv.pos,
				  "duplicate-label",
				  "rule label \"%s\" is given twice; the later "
				  "value wins",
				  kv.key);
			free(old->key);
			free(old->value);
			*old = kv;
		} else if (json_object_set_new(
			       seen, kv.key,
			       json_integer((json_int_t)out->n))) {
			free(kv.key);
			free(kv.value);
			dc->nomem = true;
			ret = -1;
		} else {
			out->items[out->n++] = kv;
		}
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	json_decref(seen);
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), cmp_kv);
	return ret;
}

static const char *const default_deny_fields[] = {"ingress", "egress", NULL};
static const char *const log_fields[] = {"value", NULL};

/* log.value: at most 32 printable characters (CRD: ^\PC*$). */
static int log_value(struct dfl_dc *dc, const json_t *spec, char **out)
{
	const json_t *v;
	size_t mark, chars = 0;
	int ret = dc_obj(dc, spec, "log", &v);

	if (ret <= 0)
		return ret;
	mark = dc_enter(dc, "log");
	dc_known(dc, v, log_fields);
	ret = dc_str(dc, v, "value", out);
	for (const unsigned char *p = (const unsigned char *)(*out ? *out : "");
	     ret > 0 && *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			dc_report_field(dc, DFL_SEV_ERROR, dc_get(v, "value"),
					"value", "invalid-log",
					"log value must be printable (no "
					"control characters)");
			ret = -1;
		}
		chars += (*p & 0xC0) != 0x80;
	}
	if (ret > 0 && chars > 32) {
		dc_report_field(
		    dc, DFL_SEV_ERROR, dc_get(v, "value"), "value",
		    "invalid-log",
		    "log value is %zu characters long; at most 32 are allowed",
		    chars);
		ret = -1;
	}
	dc_leave(dc, mark);
	return ret;
}

static const char *const rule_fields[] = {
    "endpointSelector", "nodeSelector", "ingress", "ingressDeny",
    "egress",		"egressDeny",	"labels",  "enableDefaultDeny",
    "description",	"log",		NULL,
};

int dfl_decode_rule(struct dfl_dc *dc, const json_t *spec, enum dfl_kind kind,
		    struct dfl_rule *r)
{
	const json_t *dd = NULL;
	int ret = 0;

	r->pos = dc_pos(dc, spec);
	if (!dc_expect(dc, spec, JSON_OBJECT, "a rule (a mapping)"))
		return -1;
	dc_known(dc, spec, rule_fields);
	ret |=
	    dfl_decode_selector_ptr(dc, spec, "endpointSelector",
				    &dfl_sel_cilium, &r->endpoint_selector) < 0;
	ret |= dfl_decode_selector_ptr(dc, spec, "nodeSelector",
				       &dfl_sel_cilium, &r->node_selector) < 0;
	dc->host_policy = r->node_selector != NULL;
	ret |= peer_rules(dc, spec, "ingress", DFL_DIR_INGRESS, false,
			  &r->ingress, &r->n_ingress) < 0;
	ret |= peer_rules(dc, spec, "ingressDeny", DFL_DIR_INGRESS, true,
			  &r->ingress_deny, &r->n_ingress_deny) < 0;
	ret |= peer_rules(dc, spec, "egress", DFL_DIR_EGRESS, false, &r->egress,
			  &r->n_egress) < 0;
	ret |= peer_rules(dc, spec, "egressDeny", DFL_DIR_EGRESS, true,
			  &r->egress_deny, &r->n_egress_deny) < 0;
	ret |= rule_labels(dc, spec, &r->labels) < 0;
	ret |= dc_str(dc, spec, "description", &r->description) < 0;
	ret |= log_value(dc, spec, &r->log_value) < 0;
	if (dc_obj(dc, spec, "enableDefaultDeny", &dd) < 0) {
		ret = 1;
	} else if (dd) {
		size_t mark = dc_enter(dc, "enableDefaultDeny");
		int in, eg;

		dc_known(dc, dd, default_deny_fields);
		in = dc_bool(dc, dd, "ingress", &r->default_deny_ingress);
		eg = dc_bool(dc, dd, "egress", &r->default_deny_egress);
		ret |= in < 0 || eg < 0;
		r->default_deny_ingress_explicit = in > 0;
		r->default_deny_egress_explicit = eg > 0;
		dc_leave(dc, mark);
	}
	/* Sanitize: a direction without an explicit value is default-deny
	 * iff the rule has entries (allow or deny) in it. */
	if (!r->default_deny_ingress_explicit)
		r->default_deny_ingress = r->n_ingress + r->n_ingress_deny > 0;
	if (!r->default_deny_egress_explicit)
		r->default_deny_egress = r->n_egress + r->n_egress_deny > 0;

	if (!r->n_ingress && !r->n_ingress_deny && !r->n_egress &&
	    !r->n_egress_deny) {
		dc_error(dc, spec, "empty-rule",
			 "rule must have at least one of Ingress, IngressDeny, "
			 "Egress, EgressDeny");
		ret = 1;
	}
	if (!r->endpoint_selector && !r->node_selector) {
		dc_error(
		    dc, spec, "missing-subject",
		    "rule must have one of EndpointSelector or NodeSelector");
		ret = 1;
	} else if (r->endpoint_selector && r->node_selector) {
		dc_error(
		    dc, spec, "both-subjects",
		    "rule cannot have both EndpointSelector and NodeSelector");
		ret = 1;
	} else if (r->node_selector && kind == DFL_KIND_CNP) {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(spec, "nodeSelector"),
				"nodeSelector", "node-selector-in-cnp",
				"Invalid CiliumNetworkPolicy spec: rule cannot "
				"have NodeSelector (host policies need a "
				"CiliumClusterwideNetworkPolicy)");
		ret = 1;
	}
	dc->host_policy = false;
	return ret ? -1 : 0;
}

static const char *const policy_fields[] = {
    "apiVersion", "kind", "metadata", "spec", "specs", "status", NULL};

int dfl_decode_cilium_policy(struct dfl_dc *dc, const json_t *root,
			     struct dfl_policy *p)
{
	const json_t *spec = dc_get(root, "spec"), *specs = NULL;
	size_t n, k = 0;
	int ret = 0;

	if (json_object_get(root, "description")) {
		/* Cilium's own Star Wars examples carry this; the API server
		 * prunes it. */
		size_t mark = dc_enter(dc, "description");
		json_t *copy;

		dc_report(dc, DFL_SEV_WARNING,
			  dc_key_pos(dc, json_object_get(root, "description")),
			  "ignored-field",
			  "a top-level description is dropped by the API "
			  "server; use spec.description");
		dc_leave(dc, mark);
		copy = json_copy((json_t *)root);

		if (!copy) {
			dc->nomem = true;
			return -1;
		}
		json_object_del(copy, "description");
		dc_known(dc, copy, policy_fields);
		json_decref(copy);
	} else {
		dc_known(dc, root, policy_fields);
	}
	if (dc_arr(dc, root, "specs", &specs) < 0)
		return -1;
	n = (spec ? 1 : 0) + (specs ? json_array_size(specs) : 0);
	if (!n) {
		dc_error(dc, root, "empty-policy",
			 "spec or specs must be provided (Invalid %s spec(s): "
			 "empty policy)",
			 dfl_kind__name(dc->kind));
		return -1;
	}
	p->rules = dc_calloc(dc, n, sizeof(*p->rules));
	if (!p->rules)
		return -1;
	p->n_rules = n;
	if (spec) {
		size_t mark = dc_enter(dc, "spec");

		p->rules[0].field = dc_strdup(dc, "spec");
		ret |= dfl_decode_rule(dc, spec, dc->kind, &p->rules[0]);
		dc_leave(dc, mark);
		k = 1;
	}
	for (size_t i = 0; specs && i < json_array_size(specs); i++, k++) {
		size_t mark = dc_enter(dc, "specs");
		char field[32];

		dc_enter_index(dc, i);
		snprintf(field, sizeof(field), "specs[%zu]", i);
		p->rules[k].index = k;
		p->rules[k].field = dc_strdup(dc, field);
		ret |= dfl_decode_rule(dc, json_array_get(specs, i), dc->kind,
				       &p->rules[k]);
		dc_leave(dc, mark);
	}
	return ret ? -1 : 0;
}
