/* Pods, Deployments, Services and Namespaces: the fields deflector uses,
 * type-checked and validated as the API server does. Other fields of these
 * large schemas (volumes, probes, resources, ...) are not checked. */
#include <stdlib.h>
#include <string.h>

#include "crd/decoders.h"
#include "crd/names.h"

static const char *const object_fields[] = {"apiVersion", "kind",   "metadata",
					    "spec",	  "status", NULL};
static const char *const container_port_fields[] = {
    "name", "containerPort", "protocol", "hostPort", "hostIP", NULL};

/* "TCP" (default), "UDP" or "SCTP", exact case as the API server wants. */
static int k8s_protocol(struct dfl_dc *dc, const json_t *obj, uint8_t *out)
{
	char *p = NULL;
	int ret = dc_str(dc, obj, "protocol", &p);

	*out = DFL_PROTO_TCP;
	if (ret < 0)
		return -1;
	if (!p || !strcmp(p, "TCP"))
		ret = 0;
	else if (!strcmp(p, "UDP"))
		*out = DFL_PROTO_UDP, ret = 0;
	else if (!strcmp(p, "SCTP"))
		*out = DFL_PROTO_SCTP, ret = 0;
	else {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(obj, "protocol"),
				"protocol", "invalid-protocol",
				"Unsupported value: \"%s\": supported values: "
				"\"TCP\", \"UDP\", \"SCTP\"",
				p);
		ret = -1;
	}
	free(p);
	return ret;
}

static int container_ports(struct dfl_dc *dc, const json_t *c,
			   struct dfl_pod_spec *s)
{
	const json_t *arr;
	size_t mark;
	struct dfl_container_port *ports;
	int ret = dc_arr(dc, c, "ports", &arr);

	if (ret <= 0)
		return ret;
	ports = realloc(s->ports,
			(s->n_ports + json_array_size(arr)) * sizeof(*ports));
	if (!ports && json_array_size(arr)) {
		dc->nomem = true;
		return -1;
	}
	s->ports = ports;
	mark = dc_enter(dc, "ports");
	ret = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *v = json_array_get(arr, i);
		struct dfl_container_port *p = &s->ports[s->n_ports];
		size_t m2 = dc_enter_index(dc, i);
		long long port = 0;

		memset(p, 0, sizeof(*p));
		p->pos = dc_pos(dc, v);
		if (!dc_expect(dc, v, JSON_OBJECT, "a mapping")) {
			ret = -1;
			goto next;
		}
		dc_known(dc, v, container_port_fields);
		if (dc_str(dc, v, "name", &p->name) < 0 ||
		    dc_int(dc, v, "containerPort", 1, 65535, &port) < 0 ||
		    k8s_protocol(dc, v, &p->proto) < 0) {
			free(p->name);
			ret = -1;
			goto next;
		}
		if (!port) {
			dc_report_field(dc, DFL_SEV_ERROR, v, "containerPort",
					"invalid-port",
					"containerPort: Required value");
			free(p->name);
			ret = -1;
			goto next;
		}
		if (p->name && !dfl_is_svc_name(p->name)) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(v, "name"), "name",
			    "invalid-port",
			    "\"%s\" is not a port name (1-15 letters, digits "
			    "and '-', with a letter)",
			    p->name);
			free(p->name);
			ret = -1;
			goto next;
		}
		for (char *q = p->name; q && *q; q++)
			*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
		p->port = (uint16_t)port;
		s->n_ports++;
	next:
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

/* PodSpec fields deflector needs; <labels> become the spec's labels. */
static int pod_spec(struct dfl_dc *dc, const json_t *spec,
		    struct dfl_pod_spec *s)
{
	const json_t *containers;
	int ret = 0;

	if (dc_str(dc, spec, "serviceAccountName", &s->service_account) < 0 ||
	    dc_str(dc, spec, "nodeName", &s->node_name) < 0 ||
	    dc_arr(dc, spec, "containers", &containers) < 0)
		return -1;
	if (!s->service_account &&
	    dc_str(dc, spec, "serviceAccount", &s->service_account) < 0)
		return -1;
	if (!s->service_account || !*s->service_account) {
		free(s->service_account);
		s->service_account = dc_strdup(dc, "default");
	}
	if (!containers || !json_array_size(containers)) {
		dc_report_field(dc, DFL_SEV_ERROR,
				containers ? containers : spec, "containers",
				"missing-containers",
				"containers: Required value");
		return -1;
	}
	for (size_t i = 0; i < json_array_size(containers); i++) {
		const json_t *c = json_array_get(containers, i);
		size_t mark = dc_enter(dc, "containers");
		char *name = NULL;

		dc_enter_index(dc, i);
		if (!dc_expect(dc, c, JSON_OBJECT, "a container (a mapping)")) {
			ret = -1;
		} else {
			if (dc_str(dc, c, "name", &name) < 0)
				ret = -1;
			else if (!name || !*name) {
				dc_report_field(dc, DFL_SEV_ERROR, c, "name",
						"missing-name",
						"name: Required value");
				ret = -1;
			}
			free(name);
			if (container_ports(dc, c, s) < 0)
				ret = -1;
			if (i == 0 && (dc_str(dc, c, "image", &s->image) < 0 ||
				       dc_strs(dc, c, "command", &s->command,
					       &s->n_command, NULL) < 0))
				ret = -1;
		}
		dc_leave(dc, mark);
	}
	return ret;
}

/* Owner workload of a Pod: a ReplicaSet "web-7d4b9" stands for its
 * Deployment "web" (the pod-template-hash suffix dropped). */
static int owner(struct dfl_dc *dc, const json_t *md, struct dfl_pod *p)
{
	const json_t *refs = dc_get(md, "ownerReferences");

	for (size_t i = 0; json_is_array(refs) && i < json_array_size(refs);
	     i++) {
		const json_t *r = json_array_get(refs, i);
		const char *kind = json_string_value(dc_get(r, "kind"));
		const char *name = json_string_value(dc_get(r, "name"));
		const char *dash;

		if (!json_is_true(dc_get(r, "controller")) || !kind || !name)
			continue;
		dash = strrchr(name, '-');
		if (!strcmp(kind, "ReplicaSet") && dash) {
			p->workload_kind = dc_strdup(dc, "Deployment");
			p->workload_name = strndup(name, (size_t)(dash - name));
			if (!p->workload_name)
				dc->nomem = true;
		} else {
			p->workload_kind = dc_strdup(dc, kind);
			p->workload_name = dc_strdup(dc, name);
		}
		break;
	}
	return 0;
}

int dfl_decode_pod(struct dfl_dc *dc, const json_t *root, struct dfl_pod *p)
{
	const json_t *spec, *status;
	size_t mark;
	int ret = 0;

	dc_known(dc, root, object_fields);
	if (dc_obj(dc, root, "spec", &spec) < 0 ||
	    dc_obj(dc, root, "status", &status) < 0)
		return -1;
	if (!spec) {
		dc_error(dc, root, "missing-spec", "spec: Required value");
		return -1;
	}
	mark = dc_enter(dc, "spec");
	ret = pod_spec(dc, spec, &p->spec);
	dc_leave(dc, mark);
	/* The identity of a pod comes from its labels. */
	for (size_t i = 0; i < p->meta.labels.n; i++) {
		struct dfl_kv *kv = &p->meta.labels.items[i];
		struct dfl_kv *copy;

		if (!p->spec.labels.items) {
			p->spec.labels.items =
			    dc_calloc(dc, p->meta.labels.n, sizeof(*copy));
			if (!p->spec.labels.items)
				return -1;
		}
		copy = &p->spec.labels.items[p->spec.labels.n++];
		copy->key = dc_strdup(dc, kv->key);
		copy->value = dc_strdup(dc, kv->value);
		copy->pos = kv->pos;
	}
	mark = dc_enter(dc, "status");
	if (dc_str(dc, status, "podIP", &p->pod_ip) < 0 ||
	    dc_str(dc, status, "hostIP", &p->host_ip) < 0 ||
	    dc_str(dc, status, "phase", &p->phase) < 0)
		ret = -1;
	dc_leave(dc, mark);
	owner(dc, dc_get(root, "metadata"), p);
	return ret;
}

static const char *const template_fields[] = {"metadata", "spec", NULL};

static bool selector_matches(const struct dfl_selector *s,
			     const struct dfl_kvs *labels)
{
	for (size_t i = 0; i < s->n_reqs; i++) {
		const struct dfl_sel_req *r = &s->reqs[i];
		const char *v = NULL;
		bool in = false;

		for (size_t j = 0; j < labels->n; j++)
			if (!strcmp(labels->items[j].key, r->key))
				v = labels->items[j].value;
		for (size_t j = 0; v && j < r->n_values; j++)
			in |= !strcmp(r->values[j], v);
		if ((r->op == DFL_SEL_IN && !in) ||
		    (r->op == DFL_SEL_NOT_IN && in) ||
		    (r->op == DFL_SEL_EXISTS && !v) ||
		    (r->op == DFL_SEL_DOES_NOT_EXIST && v))
			return false;
	}
	return true;
}

int dfl_decode_deployment(struct dfl_dc *dc, const json_t *root,
			  struct dfl_deployment *d)
{
	static const struct dfl_sel_opts plain = {0};
	const json_t *spec, *tmpl = NULL, *tmd = NULL, *tspec = NULL;
	long long replicas = 1;
	size_t mark;
	int ret = 0;

	dc_known(dc, root, object_fields);
	if (dc_obj(dc, root, "spec", &spec) < 0)
		return -1;
	if (!spec) {
		dc_error(dc, root, "missing-spec", "spec: Required value");
		return -1;
	}
	mark = dc_enter(dc, "spec");
	if (dc_int(dc, spec, "replicas", 0, INT32_MAX, &replicas) < 0 ||
	    dfl_decode_selector_ptr(dc, spec, "selector", &plain,
				    &d->selector) < 0 ||
	    dc_obj(dc, spec, "template", &tmpl) < 0)
		ret = -1;
	d->replicas = (uint32_t)replicas;
	if (!d->selector && !ret) {
		dc_report_field(dc, DFL_SEV_ERROR, spec, "selector",
				"missing-selector", "selector: Required value");
		ret = -1;
	} else if (d->selector && !d->selector->n_reqs) {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(spec, "selector"),
				"selector", "missing-selector",
				"selector: Invalid value: empty selector is "
				"invalid for deployment");
		ret = -1;
	}
	if (!tmpl) {
		if (!ret)
			dc_report_field(dc, DFL_SEV_ERROR, spec, "template",
					"missing-spec",
					"template: Required value");
		dc_leave(dc, mark);
		return -1;
	}
	{
		size_t m2 = dc_enter(dc, "template");

		dc_known(dc, tmpl, template_fields);
		if (dc_obj(dc, tmpl, "metadata", &tmd) < 0 ||
		    dc_obj(dc, tmpl, "spec", &tspec) < 0) {
			ret = -1;
		} else {
			size_t m3 = dc_enter(dc, "metadata");

			if (dc_kvs(dc, tmd, "labels",
				   &d->template_spec.labels) < 0)
				ret = -1;
			dc_leave(dc, m3);
			if (!tspec) {
				dc_report_field(dc, DFL_SEV_ERROR, tmpl, "spec",
						"missing-spec",
						"spec: Required value");
				ret = -1;
			} else {
				m3 = dc_enter(dc, "spec");
				if (pod_spec(dc, tspec, &d->template_spec))
					ret = -1;
				dc_leave(dc, m3);
			}
		}
		if (!ret && d->selector &&
		    !selector_matches(d->selector, &d->template_spec.labels)) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, tmd ? tmd : tmpl,
			    "metadata.labels", "selector-mismatch",
			    "`selector` does not match template `labels`");
			ret = -1;
		}
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

static const char *const service_port_fields[] = {
    "name", "port", "protocol", "targetPort", "nodePort", "appProtocol", NULL};

static int service_port(struct dfl_dc *dc, const json_t *v,
			struct dfl_service_port *p)
{
	const json_t *tp;
	long long port = 0;

	p->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, service_port_fields);
	if (dc_str(dc, v, "name", &p->name) < 0 ||
	    dc_int(dc, v, "port", 1, 65535, &port) < 0 ||
	    k8s_protocol(dc, v, &p->proto) < 0)
		return -1;
	if (!port) {
		dc_report_field(dc, DFL_SEV_ERROR, v, "port", "invalid-port",
				"port: Required value");
		return -1;
	}
	p->port = (uint16_t)port;
	tp = dc_get(v, "targetPort");
	if (json_is_string(tp)) {
		const char *s = json_string_value(tp);

		/* A string is a port name for the API server, even "8080". */
		if (!dfl_is_svc_name(s)) {
			dc_report_field(dc, DFL_SEV_ERROR, tp, "targetPort",
					"invalid-port",
					"\"%s\" is not a port name (a port "
					"number is written without quotes)",
					s);
			return -1;
		} else {
			p->target_port_name = dc_strdup(dc, s);
			for (char *q = p->target_port_name; q && *q; q++)
				*q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32
								   : *q);
		}
	} else if (tp) {
		long long n = 0;

		if (dc_int(dc, v, "targetPort", 1, 65535, &n) < 0)
			return -1;
		p->target_port = (uint16_t)n;
	} else {
		p->target_port = p->port; /* the API server's default */
	}
	return 0;
}

int dfl_decode_service(struct dfl_dc *dc, const json_t *root,
		       struct dfl_service *s)
{
	static const char *const types[] = {"ClusterIP", "NodePort",
					    "LoadBalancer", "ExternalName"};
	const json_t *spec, *ports;
	size_t mark;
	int ret = 0, t;

	dc_known(dc, root, object_fields);
	if (dc_obj(dc, root, "spec", &spec) < 0)
		return -1;
	mark = dc_enter(dc, "spec");
	if (dc_str(dc, spec, "type", &s->type) < 0 ||
	    dc_str(dc, spec, "clusterIP", &s->cluster_ip) < 0 ||
	    dc_kvs(dc, spec, "selector", &s->selector) < 0 ||
	    dc_arr(dc, spec, "ports", &ports) < 0) {
		dc_leave(dc, mark);
		return -1;
	}
	if (!s->type)
		s->type = dc_strdup(dc, "ClusterIP");
	for (t = 0; s->type && t < 4; t++)
		if (!strcmp(s->type, types[t]))
			break;
	if (s->type && t == 4) {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(spec, "type"), "type",
				"invalid-service-type",
				"Unsupported value: \"%s\": supported values: "
				"\"ClusterIP\", \"ExternalName\", "
				"\"LoadBalancer\", \"NodePort\"",
				s->type);
		ret = -1;
	}
	s->has_selector = s->selector.n > 0;
	for (size_t i = 0; i < s->selector.n; i++) {
		const struct dfl_kv *kv = &s->selector.items[i];
		const char *kwhy = dfl_check_label_key(kv->key);
		const char *vwhy =
		    kwhy ? NULL : dfl_check_label_value(kv->value);
		size_t m2 = dc_enter(dc, "selector");

		dc_enter(dc, kv->key);
		if (kwhy || vwhy) {
			dc_report(
			    dc, DFL_SEV_ERROR, kv->pos,
			    kwhy ? "invalid-label-key" : "invalid-label-value",
			    "invalid %s \"%s\": %s", kwhy ? "key" : "value",
			    kwhy ? kv->key : kv->value, kwhy ? kwhy : vwhy);
			ret = -1;
		}
		dc_leave(dc, m2);
	}
	if (ports) {
		size_t m2 = dc_enter(dc, "ports");

		s->ports =
		    dc_calloc(dc, json_array_size(ports), sizeof(*s->ports));
		if (!s->ports)
			ret = -1;
		else
			s->n_ports = json_array_size(ports);
		for (size_t i = 0; i < s->n_ports; i++) {
			size_t m3 = dc_enter_index(dc, i);

			if (service_port(dc, json_array_get(ports, i),
					 &s->ports[i]))
				ret = -1;
			else if (s->n_ports > 1 &&
				 (!s->ports[i].name || !*s->ports[i].name)) {
				dc_report_field(
				    dc, DFL_SEV_ERROR, json_array_get(ports, i),
				    "name", "invalid-port",
				    "name: Required value (a Service with "
				    "several ports must name each)");
				ret = -1;
			}
			dc_leave(dc, m3);
		}
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

int dfl_decode_namespace(struct dfl_dc *dc, const json_t *root,
			 struct dfl_namespace *ns)
{
	(void)ns;
	dc_known(dc, root, object_fields);
	return 0;
}
