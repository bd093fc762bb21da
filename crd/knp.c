/* networking.k8s.io/v1 NetworkPolicy, validated as the API server does and
 * translated into one Cilium rule the way Cilium's ParseNetworkPolicy
 * (pkg/k8s/network_policy.go) does; see docs/crd.md "NetworkPolicy". */
#include <stdlib.h>
#include <string.h>

#include "crd/decoders.h"
#include "crd/names.h"

#define POD_NAMESPACE_LABEL	"k8s:io.kubernetes.pod.namespace"
#define NAMESPACE_LABELS_PREFIX "io.cilium.k8s.namespace.labels."

static const struct dfl_sel_opts pod_opts = {.forced_source = "k8s"};
static const struct dfl_sel_opts ns_opts = {
    .forced_source = "k8s", .key_prefix = NAMESPACE_LABELS_PREFIX};

static const char *const knp_fields[] = {"apiVersion", "kind",	 "metadata",
					 "spec",       "status", NULL};
static const char *const spec_fields[] = {"podSelector", "ingress", "egress",
					  "policyTypes", NULL};
static const char *const ingress_fields[] = {"from", "ports", NULL};
static const char *const egress_fields[] = {"to", "ports", NULL};
static const char *const peer_fields[] = {"podSelector", "namespaceSelector",
					  "ipBlock", NULL};
static const char *const port_fields[] = {"protocol", "port", "endPort", NULL};

/* k8s IsValidPortName: 1-15 of [a-z0-9-], a letter, no leading, trailing
 * or double '-'. */
static bool k8s_port_name(const char *s)
{
	if (!dfl_is_svc_name(s))
		return false;
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return false;
	return true;
}

/* A NetworkPolicyPeer into the peer rule <r> (endpoints or cidr_set). */
static int peer(struct dfl_dc *dc, const json_t *v, const char *ns,
		struct dfl_peer_rule *r)
{
	const json_t *pod = NULL, *nsel = NULL, *ipb = NULL;
	int ret = 0;

	r->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, peer_fields);
	if (dc_obj(dc, v, "podSelector", &pod) < 0 ||
	    dc_obj(dc, v, "namespaceSelector", &nsel) < 0 ||
	    dc_obj(dc, v, "ipBlock", &ipb) < 0)
		return -1;
	if (!pod && !nsel && !ipb) {
		dc_error(dc, v, "invalid-knp-peer",
			 "must specify a peer: podSelector, namespaceSelector "
			 "or ipBlock");
		return -1;
	}
	if (ipb && (pod || nsel)) {
		dc_error(dc, v, "invalid-knp-peer",
			 "may not specify both podSelector/namespaceSelector "
			 "and ipBlock");
		return -1;
	}
	if (ipb) {
		size_t mark = dc_enter(dc, "ipBlock");

		r->cidr_set.present = true;
		r->cidr_set.pos = dc_pos(dc, ipb);
		r->cidr_set.items =
		    dc_calloc(dc, 1, sizeof(*r->cidr_set.items));
		if (!r->cidr_set.items)
			return -1;
		r->cidr_set.n =
		    1; /* so that release frees a half-decoded rule */
		ret = dfl_decode_cidr_rule(dc, ipb, true, r->cidr_set.items);
		dc_leave(dc, mark);
		return ret;
	}
	r->endpoints.present = true;
	r->endpoints.pos = dc_pos(dc, v);
	r->endpoints.items = dc_calloc(dc, 1, sizeof(*r->endpoints.items));
	if (!r->endpoints.items)
		return -1;
	r->endpoints.n = 1;
	{
		struct dfl_selector *s = r->endpoints.items;
		size_t mark;

		s->pos = dc_pos(dc, v);
		if (nsel) {
			mark = dc_enter(dc, "namespaceSelector");
			ret |= dfl_decode_selector(dc, nsel, &ns_opts, s);
			dc_leave(dc, mark);
			/* An empty namespaceSelector selects every namespace.
			 */
			if (!s->n_reqs &&
			    dfl_selector__add(s, POD_NAMESPACE_LABEL,
					      DFL_SEL_EXISTS, NULL, 0,
					      dc_pos(dc, nsel)))
				dc->nomem = true;
		}
		if (pod) {
			mark = dc_enter(dc, "podSelector");
			ret |= dfl_decode_selector(dc, pod, &pod_opts, s);
			dc_leave(dc, mark);
		}
		/* Without a namespaceSelector, pods of the policy's own
		 * namespace only. */
		if (!nsel &&
		    dfl_selector__add(s, POD_NAMESPACE_LABEL, DFL_SEL_IN, &ns,
				      1, dc_pos(dc, pod ? pod : v)))
			dc->nomem = true;
		dfl_selector__sort(s);
	}
	return ret ? -1 : 0;
}

static int ports(struct dfl_dc *dc, const json_t *arr,
		 struct dfl_port_rule_list *out)
{
	int ret = 0;

	out->present = true;
	out->pos = dc_pos(dc, arr);
	out->items = dc_calloc(dc, json_array_size(arr), sizeof(*out->items));
	if (!out->items)
		return -1;
	out->n = json_array_size(arr);
	for (size_t i = 0; i < out->n; i++) {
		const json_t *v = json_array_get(arr, i), *port;
		struct dfl_port_rule *pr = &out->items[i];
		struct dfl_port_protocol *pp;
		char *proto = NULL;
		long long end_port = 0;
		size_t mark = dc_enter_index(dc, i);

		pr->pos = dc_pos(dc, v);
		pr->ports = pp = dc_calloc(dc, 1, sizeof(*pr->ports));
		if (!pp || !dc_expect(dc, v, JSON_OBJECT, "a mapping"))
			goto bad;
		pr->n_ports = 1;
		pp->pos = pr->pos;
		pp->proto = DFL_PROTO_TCP;
		dc_known(dc, v, port_fields);
		if (dc_str(dc, v, "protocol", &proto) < 0 ||
		    dc_int(dc, v, "endPort", 1, 65535, &end_port) < 0)
			goto bad;
		if (proto) {
			if (!strcmp(proto, "UDP"))
				pp->proto = DFL_PROTO_UDP;
			else if (!strcmp(proto, "SCTP"))
				pp->proto = DFL_PROTO_SCTP;
			else if (strcmp(proto, "TCP")) {
				dc_report_field(
				    dc, DFL_SEV_ERROR, dc_get(v, "protocol"),
				    "protocol", "invalid-protocol",
				    "Unsupported value: \"%s\": supported "
				    "values: \"TCP\", \"UDP\", \"SCTP\"",
				    proto);
				goto bad;
			}
		}
		port = dc_get(v, "port");
		if (json_is_string(port)) {
			const char *s = json_string_value(port);

			if (!k8s_port_name(s)) {
				dc_report_field(
				    dc, DFL_SEV_ERROR, port, "port",
				    "invalid-port",
				    "\"%s\" is not a port name (1-15 lower "
				    "case letters, digits and '-', with a "
				    "letter)",
				    s);
				goto bad;
			}
			pp->name = dc_strdup(dc, s);
			if (end_port) {
				dc_report_field(dc, DFL_SEV_ERROR,
						dc_get(v, "endPort"), "endPort",
						"invalid-port",
						"may not be specified when "
						"port is non-numeric");
				goto bad;
			}
		} else if (port) {
			long long n = 0;

			if (dc_int(dc, v, "port", 1, 65535, &n) < 0)
				goto bad;
			pp->port = (uint16_t)n;
			if (end_port && end_port < n) {
				dc_report_field(
				    dc, DFL_SEV_ERROR, dc_get(v, "endPort"),
				    "endPort", "invalid-port",
				    "must be greater than or equal to port");
				goto bad;
			}
			if (end_port > n)
				pp->end_port = (uint16_t)end_port;
		} else if (end_port) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(v, "endPort"), "endPort",
			    "invalid-port",
			    "may not be specified when port is not specified");
			goto bad;
		}
		free(proto);
		dc_leave(dc, mark);
		continue;
	bad:
		free(proto);
		ret = -1;
		dc_leave(dc, mark);
	}
	return ret;
}

static int copy_ports(struct dfl_dc *dc, const struct dfl_port_rule_list *src,
		      struct dfl_port_rule_list *dst)
{
	*dst = *src;
	dst->items = dc_calloc(dc, src->n, sizeof(*dst->items));
	if (!dst->items) {
		dst->n = 0;
		return -1;
	}
	for (size_t i = 0; i < src->n; i++) {
		dst->items[i].pos = src->items[i].pos;
		dst->items[i].ports =
		    dc_calloc(dc, 1, sizeof(*dst->items[i].ports));
		if (!dst->items[i].ports)
			return -1;
		dst->items[i].n_ports = 1;
		dst->items[i].ports[0] = src->items[i].ports[0];
		dst->items[i].ports[0].name =
		    dc_strdup(dc, src->items[i].ports[0].name);
	}
	return dc->nomem ? -1 : 0;
}

/* spec.ingress or spec.egress into Cilium peer rules: one per peer (or one
 * wildcard when from/to is empty), each with all the element's ports. */
static int direction(struct dfl_dc *dc, const json_t *spec, const char *ns,
		     enum dfl_direction dir, struct dfl_peer_rule **out,
		     size_t *n)
{
	bool in = dir == DFL_DIR_INGRESS;
	const char *key = in ? "ingress" : "egress";
	const char *peers_key = in ? "from" : "to";
	const json_t *arr;
	size_t total = 0, mark;
	int ret = dc_arr(dc, spec, key, &arr);

	if (ret <= 0)
		return ret;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *p = dc_get(json_array_get(arr, i), peers_key);

		total += json_is_array(p) && json_array_size(p)
			     ? json_array_size(p)
			     : 1;
	}
	*out = dc_calloc(dc, total, sizeof(**out));
	if (!*out)
		return -1;
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *e = json_array_get(arr, i), *peers = NULL,
			     *port_arr = NULL;
		size_t m2 = dc_enter_index(dc, i), first = *n;

		if (json_is_null(e))
			e = NULL;
		if (e && !dc_expect(dc, e, JSON_OBJECT, "a mapping")) {
			ret = -1;
			goto next;
		}
		dc_known(dc, e, in ? ingress_fields : egress_fields);
		if (dc_arr(dc, e, peers_key, &peers) < 0 ||
		    dc_arr(dc, e, "ports", &port_arr) < 0) {
			ret = -1;
			goto next;
		}
		if (peers && json_array_size(peers)) {
			size_t m3 = dc_enter(dc, peers_key);

			for (size_t j = 0; j < json_array_size(peers); j++) {
				struct dfl_peer_rule *r = &(*out)[(*n)++];
				size_t m4 = dc_enter_index(dc, j);

				r->dir = dir;
				r->index = *n - 1;
				if (peer(dc, json_array_get(peers, j), ns, r))
					ret = -1;
				dc_leave(dc, m4);
			}
			dc_leave(dc, m3);
		} else {
			/* No peers: traffic from/to anywhere (the wildcard
			 * selector {}, not scoped to a namespace). */
			struct dfl_peer_rule *r = &(*out)[(*n)++];

			r->dir = dir;
			r->index = *n - 1;
			r->pos = dc_pos(dc, e ? e : arr);
			r->endpoints.present = true;
			r->endpoints.pos = r->pos;
			r->endpoints.items =
			    dc_calloc(dc, 1, sizeof(*r->endpoints.items));
			if (!r->endpoints.items) {
				ret = -1;
				goto next;
			}
			r->endpoints.items[0].pos = r->pos;
			r->endpoints.n = 1;
		}
		if (port_arr && json_array_size(port_arr)) {
			size_t m3 = dc_enter(dc, "ports");

			/* Every peer rule of this element gets its own copy. */
			if (ports(dc, port_arr, &(*out)[first].to_ports))
				ret = -1;
			for (size_t j = first + 1; !ret && j < *n; j++)
				if (copy_ports(dc, &(*out)[first].to_ports,
					       &(*out)[j].to_ports))
					ret = -1;
			dc_leave(dc, m3);
		}
	next:
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

int dfl_decode_knp(struct dfl_dc *dc, const json_t *root, struct dfl_policy *p)
{
	const char *ns = p->meta.namespace ? p->meta.namespace : "default";
	const json_t *spec, *types;
	bool has_ingress_type = false, has_egress_type = false;
	struct dfl_rule *r;
	size_t mark;
	int ret = 0;

	dc_known(dc, root, knp_fields);
	if (dc_obj(dc, root, "spec", &spec) < 0)
		return -1;
	r = p->rules = dc_calloc(dc, 1, sizeof(*p->rules));
	if (!r)
		return -1;
	p->n_rules = 1;
	r->field = dc_strdup(dc, "spec");
	r->pos = dc_pos(dc, spec ? spec : root);
	mark = dc_enter(dc, "spec");
	dc_known(dc, spec, spec_fields);
	if (dc_arr(dc, spec, "policyTypes", &types) < 0)
		ret = -1;
	for (size_t i = 0; types && i < json_array_size(types); i++) {
		const json_t *t = json_array_get(types, i);
		size_t m2 = dc_enter(dc, "policyTypes");

		dc_enter_index(dc, i);
		if (json_is_string(t) &&
		    !strcmp(json_string_value(t), "Ingress"))
			has_ingress_type = true;
		else if (json_is_string(t) &&
			 !strcmp(json_string_value(t), "Egress"))
			has_egress_type = true;
		else {
			dc_error(dc, t, "invalid-policy-type",
				 "Unsupported value: supported values: "
				 "\"Ingress\", \"Egress\"");
			ret = -1;
		}
		dc_leave(dc, m2);
	}

	/* Subject: podSelector, in the policy's namespace. */
	r->endpoint_selector = dc_calloc(dc, 1, sizeof(*r->endpoint_selector));
	if (!r->endpoint_selector) {
		ret = -1;
	} else {
		const json_t *ps = dc_get(spec, "podSelector");
		size_t m2 = dc_enter(dc, "podSelector");

		r->endpoint_selector->pos = dc_pos(dc, ps     ? ps
						       : spec ? spec
							      : root);
		if (dfl_decode_selector(dc, ps, &pod_opts,
					r->endpoint_selector))
			ret = -1;
		if (dfl_selector__add(r->endpoint_selector, POD_NAMESPACE_LABEL,
				      DFL_SEL_IN, &ns, 1,
				      r->endpoint_selector->pos))
			dc->nomem = true;
		dfl_selector__sort(r->endpoint_selector);
		dc_leave(dc, m2);
	}
	if (direction(dc, spec, ns, DFL_DIR_INGRESS, &r->ingress,
		      &r->n_ingress) < 0 ||
	    direction(dc, spec, ns, DFL_DIR_EGRESS, &r->egress, &r->n_egress) <
		0)
		ret = -1;
	dc_leave(dc, mark);

	/* Kubernetes' default-deny model in Cilium's terms: no ingress rule
	 * but the policy is about ingress (Ingress listed, or no Egress
	 * listed) -> one empty ingress rule, which allows nothing. */
	if (!r->n_ingress && (has_ingress_type || !has_egress_type)) {
		free(r->ingress); /* allocated for elements that all failed */
		r->ingress = dc_calloc(dc, 1, sizeof(*r->ingress));
		if (r->ingress) {
			r->n_ingress = 1;
			r->ingress->dir = DFL_DIR_INGRESS;
			r->ingress->pos = r->pos;
		}
	}
	if (!r->n_egress && has_egress_type) {
		free(r->egress);
		r->egress = dc_calloc(dc, 1, sizeof(*r->egress));
		if (r->egress) {
			r->n_egress = 1;
			r->egress->dir = DFL_DIR_EGRESS;
			r->egress->pos = r->pos;
		}
	}
	/* Every entry of a NetworkPolicy is default-deny. */
	r->default_deny_ingress = r->n_ingress > 0;
	r->default_deny_egress = r->n_egress > 0;
	return ret;
}
