/* crd/: loading objects (files, directories, stdin, buffers, Lists), the
 * API-server path, NetworkPolicy translation, Pods, Deployments, Services
 * and Namespaces. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crd/objects.h"
#include "util/diag.h"
#include "util/intern.h"

#define FIX "tests/fixtures/crd/"

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
	l->err = dfl_objects__load_buffer(l->objs, "o.yaml", text, strlen(text),
					  &l->diags, &l->stats);
}

static void load_path(struct loaded *l, const char *path)
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

static const struct dfl_diag *diag(const struct loaded *l, const char *check)
{
	for (size_t i = 0; i < l->diags.n; i++)
		if (l->diags.items[i].check_id &&
		    !strcmp(l->diags.items[i].check_id, check))
			return &l->diags.items[i];
	return NULL;
}

static void assert_req(const struct dfl_sel_req *r, const char *key,
		       enum dfl_sel_op op, const char *v0)
{
	ck_assert_str_eq(r->key, key);
	ck_assert_int_eq(r->op, op);
	if (v0)
		ck_assert_str_eq(r->values[0], v0);
	else
		ck_assert_uint_eq(r->n_values, 0);
}

START_TEST(directory_recursive_sorted_filtered)
{
	struct loaded l;

	load_path(&l, FIX "tree");
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(l.diags.n, 0);
	/* a.yaml, b/c.yml, b/d.json, e/nested/f.yaml; not .hidden, not .txt */
	ck_assert_uint_eq(l.stats.files, 4);
	ck_assert_uint_eq(l.objs->n_policies, 3);
	ck_assert_str_eq(l.objs->policies[0]->meta.name, "a");
	ck_assert_str_eq(l.objs->policies[1]->meta.name, "d");
	ck_assert_str_eq(l.objs->policies[1]->meta.pos.file,
			 FIX "tree/b/d.json");
	ck_assert_uint_eq(l.objs->policies[1]->rules[0].pos.line, 5);
	ck_assert_str_eq(l.objs->policies[2]->meta.name, "f");
	ck_assert_int_eq(l.objs->policies[2]->meta.kind, DFL_KIND_CCNP);
	ck_assert_ptr_nonnull(dfl_objects__find_namespace(l.objs, "team-c"));
	ck_assert_str_eq(l.objs->namespaces[0]->meta.labels.items[0].value,
			 "c");
	unload(&l);
}
END_TEST

START_TEST(invalid_object_keeps_its_neighbours)
{
	struct loaded l;
	const struct dfl_diag *d;

	load_path(&l, FIX "mixed.yaml");
	ck_assert_int_eq(l.err, 0); /* readable and parsed: 0 */
	ck_assert_uint_eq(l.stats.documents, 4);
	ck_assert_uint_eq(l.stats.objects, 2);
	ck_assert_uint_eq(l.stats.invalid, 1);
	ck_assert_uint_eq(l.stats.skipped, 1);
	ck_assert_uint_eq(l.objs->n_policies, 2);
	ck_assert_str_eq(l.objs->policies[0]->meta.name, "first");
	ck_assert_str_eq(l.objs->policies[1]->meta.name, "third");
	d = diag(&l, "invalid-port");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->pos.line, 20);
	ck_assert_str_eq(d->object, "CiliumNetworkPolicy default/broken");
	d = diag(&l, "skipped-kind");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->severity, DFL_SEV_NOTE);
	ck_assert_ptr_nonnull(strstr(d->message, "CustomResourceDefinition"));
	ck_assert_uint_eq(dfl_diags__count(&l.diags, DFL_SEV_ERROR), 1);

	/* Objects already in the set are kept when more files are loaded. */
	ck_assert_int_eq(dfl_objects__load_path(l.objs, FIX "tree/a.yaml",
						&l.diags, &l.stats),
			 0);
	ck_assert_uint_eq(l.objs->n_policies, 3);
	unload(&l);
}
END_TEST

START_TEST(syntax_error_keeps_earlier_documents)
{
	struct loaded l;
	const struct dfl_diag *d;

	load_path(&l, FIX "syntax-error.yaml");
	ck_assert_int_eq(l.err, -EINVAL);
	ck_assert_uint_eq(l.stats.unreadable, 1);
	ck_assert_ptr_nonnull(
	    dfl_objects__find_namespace(l.objs, "before-the-error"));
	ck_assert_uint_eq(l.objs->n_namespaces, 1);
	d = diag(&l, "yaml-syntax");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->pos.line, 10);
	ck_assert_uint_eq(d->pos.col, 10);
	unload(&l);
}
END_TEST

START_TEST(unreadable_paths)
{
	struct loaded l;

	load_path(&l, FIX "does-not-exist.yaml");
	ck_assert_int_eq(l.err, -ENOENT);
	ck_assert_ptr_nonnull(diag(&l, "read-error"));
	ck_assert_str_eq(l.diags.items[0].pos.file, FIX "does-not-exist.yaml");
	ck_assert_uint_eq(l.stats.unreadable, 1);
	unload(&l);
}
END_TEST

START_TEST(lists_are_expanded)
{
	struct loaded l;
	struct dfl_policy *p;
	struct dfl_pod *pod;

	load_path(&l, FIX "list.yaml");
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(l.stats.objects, 2);
	ck_assert_uint_eq(l.stats.skipped, 1);
	p = dfl_objects__find_policy(l.objs, DFL_KIND_CNP, "prod", "from-list");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->meta.uid, "0b6b1b52-5a1e-4a47-9c39-1c8e1e0d6f0f");
	ck_assert_str_eq(p->meta.resource_version, "4711");
	ck_assert_uint_eq(p->meta.generation, 3);
	ck_assert_str_eq(p->meta.creation_timestamp, "2024-05-01T10:00:00Z");
	pod = dfl_objects__find_pod(l.objs, "prod", "web-7d4b9c-x2x8z");
	ck_assert_ptr_nonnull(pod);
	ck_assert_str_eq(pod->workload_kind, "Deployment");
	ck_assert_str_eq(pod->workload_name, "web");
	ck_assert_str_eq(pod->spec.service_account, "web");
	ck_assert_str_eq(pod->spec.node_name, "node-1");
	ck_assert_str_eq(pod->spec.image, "nginx:1.27");
	ck_assert_uint_eq(pod->spec.n_command, 3);
	ck_assert_str_eq(pod->spec.command[2], "daemon off;");
	ck_assert_uint_eq(pod->spec.n_ports, 2);
	ck_assert_str_eq(pod->spec.ports[0].name, "http");
	ck_assert_uint_eq(pod->spec.ports[0].port, 8080);
	ck_assert_uint_eq(pod->spec.ports[0].proto, DFL_PROTO_TCP);
	ck_assert_uint_eq(pod->spec.ports[1].proto, DFL_PROTO_UDP);
	ck_assert_str_eq(pod->phase, "Running");
	ck_assert_str_eq(pod->pod_ip, "10.0.1.23");
	ck_assert_str_eq(pod->host_ip, "192.168.1.10");
	ck_assert_uint_eq(pod->spec.labels.n, 2);
	unload(&l);

	/* Items of a typed list take its kind and apiVersion. */
	load_path(&l, FIX "podlist.json");
	ck_assert_uint_eq(l.objs->n_pods, 1);
	ck_assert_str_eq(l.objs->pods[0]->meta.name, "p1");
	ck_assert_ptr_nonnull(diag(&l, "missing-containers"));
	ck_assert_uint_eq(diag(&l, "missing-containers")->pos.line, 9);
	unload(&l);
}
END_TEST

START_TEST(stdin_is_read_for_dash)
{
	static const char text[] =
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: from-stdin}\n";
	struct loaded l;
	int fds[2], saved = dup(STDIN_FILENO);

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], text, strlen(text)),
			 (ssize_t)strlen(text));
	close(fds[1]);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	load_path(&l, "-");
	dup2(saved, STDIN_FILENO);
	close(saved);
	ck_assert_int_eq(l.err, 0);
	ck_assert_ptr_nonnull(
	    dfl_objects__find_namespace(l.objs, "from-stdin"));
	ck_assert_str_eq(l.objs->namespaces[0]->meta.pos.file, "<stdin>");
	unload(&l);
}
END_TEST

START_TEST(api_objects_decode_from_json)
{
	struct dfl_object obj;
	struct dfl_diags d = {0};
	json_error_t jerr;
	json_t *root =
	    json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
		       "\"name\":\"api-pod\","
		       "\"namespace\":\"ns\",\"labels\":{\"app\":\"x\"}},"
		       "\"spec\":{\"containers\":"
		       "[{\"name\":\"c\",\"ports\":[{\"containerPort\":80}]}]},"
		       "\"status\":{\"podIP\":\"10.0.0.5\"}}",
		       0, &jerr);

	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(dfl_object__decode_json(root, "apiserver", &obj, &d),
			 0);
	ck_assert_int_eq(obj.kind, DFL_KIND_POD);
	ck_assert_str_eq(obj.pod->meta.name, "api-pod");
	ck_assert_str_eq(obj.pod->meta.pos.file, "apiserver");
	ck_assert_uint_eq(obj.pod->meta.pos.line, 0);
	ck_assert_str_eq(obj.pod->pod_ip, "10.0.0.5");
	ck_assert_uint_eq(obj.pod->spec.ports[0].port, 80);
	dfl_object__release(&obj);
	json_decref(root);

	root = json_loads(
	    "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumNetworkPolicy\","
	    "\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"},\"spec\":"
	    "{\"endpointSelector\":{},\"ingress\":[{\"fromCIDR\":[\"x\"]}]}}",
	    0, &jerr);
	ck_assert_int_eq(dfl_object__decode_json(root, "apiserver", &obj, &d),
			 -EINVAL);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.items[0].pos.file, "apiserver");
	ck_assert_uint_eq(d.items[0].pos.line, 0);
	ck_assert_str_eq(d.items[0].path, "spec.ingress[0].fromCIDR[0]");
	ck_assert_str_eq(d.items[0].object, "CiliumNetworkPolicy ns/p");
	json_decref(root);

	root = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
			  "\"metadata\":{\"name\":\"s\"}}",
			  0, &jerr);
	ck_assert_int_eq(dfl_object__decode_json(root, "apiserver", &obj, &d),
			 -ENOTSUP);
	ck_assert_int_eq(d.items[d.n - 1].severity, DFL_SEV_NOTE);
	json_decref(root);
	dfl_diags__release(&d);
}
END_TEST

START_TEST(same_name_replaces_like_kubectl_apply)
{
	struct loaded l;

	load_text(&l, "apiVersion: v1\nkind: Service\nmetadata: {name: "
		      "s}\nspec: {ports: [{port: 80}]}\n"
		      "---\napiVersion: v1\nkind: Service\nmetadata: {name: "
		      "s}\nspec: {ports: [{port: 81}]}\n"
		      "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, "
		      "namespace: other}\n"
		      "spec: {ports: [{port: 82}]}\n");
	ck_assert_uint_eq(l.objs->n_services, 2);
	ck_assert_uint_eq(
	    dfl_objects__find_service(l.objs, "default", "s")->ports[0].port,
	    81);
	ck_assert_uint_eq(
	    dfl_objects__find_service(l.objs, "other", "s")->ports[0].port, 82);
	ck_assert_ptr_nonnull(diag(&l, "duplicate-object"));
	ck_assert_uint_eq(diag(&l, "duplicate-object")->pos.line, 6);
	ck_assert_ptr_null(dfl_objects__find_service(l.objs, "default", "t"));
	unload(&l);
}
END_TEST

START_TEST(services)
{
	struct loaded l;
	struct dfl_service *s;

	load_text(
	    &l, "apiVersion: v1\nkind: Service\nmetadata: {name: web, "
		"namespace: web-ns}\n"
		"spec:\n  clusterIP: None\n  selector: {app: web}\n  ports:\n"
		"  - {name: http, port: 80, targetPort: http}\n"
		"  - {name: alt, port: 8080, targetPort: 9090}\n"
		"  - {name: str, port: 8443, targetPort: 9443, protocol: UDP}\n"
		"  - {name: def, port: 53}\n");
	ck_assert_uint_eq(l.diags.n, 0);
	s = l.objs->services[0];
	ck_assert_str_eq(s->type, "ClusterIP");
	ck_assert_str_eq(s->cluster_ip, "None");
	ck_assert_str_eq(s->ports[0].target_port_name, "http");
	ck_assert_uint_eq(s->ports[0].target_port, 0);
	ck_assert_uint_eq(s->ports[1].target_port, 9090);
	ck_assert_uint_eq(s->ports[2].target_port, 9443);
	ck_assert_uint_eq(s->ports[2].proto, DFL_PROTO_UDP);
	ck_assert_uint_eq(s->ports[3].target_port, 53);
	ck_assert_uint_eq(s->ports[3].pos.line, 11);
	unload(&l);

	load_text(&l, "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\n"
		      "spec: {type: ExternalName}\n");
	ck_assert_uint_eq(l.diags.n, 0);
	ck_assert(!l.objs->services[0]->has_selector);
	unload(&l);

	static const char *const bad[] = {
	    "spec: {type: Weird, ports: [{port: 80}]}",
	    "spec: {ports: [{port: 80}, {port: 81}]}",
	    "spec: {ports: [{port: 0}]}",
	    "spec: {ports: [{port: 80, targetPort: \"bad name!\"}]}",
	    "spec: {ports: [{port: 80, targetPort: \"8080\"}]}",
	    "spec: {ports: [{port: 80, protocol: tcp}]}",
	    "spec: {selector: {app: \"-x\"}, ports: [{port: 80}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];

		snprintf(
		    text, sizeof(text),
		    "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n%s\n",
		    bad[i]);
		load_text(&l, text);
		ck_assert_msg(l.objs->n_services == 0,
			      "bad service %zu accepted", i);
		ck_assert_uint_ge(dfl_diags__count(&l.diags, DFL_SEV_ERROR), 1);
		unload(&l);
	}
}
END_TEST

START_TEST(deployments)
{
	struct loaded l;
	struct dfl_deployment *d;

	load_text(
	    &l,
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n"
	    "spec:\n  selector:\n    matchExpressions: [{key: app, operator: "
	    "In, values: [w]}]\n"
	    "  template:\n    metadata: {labels: {app: w}}\n"
	    "    spec: {serviceAccount: legacy, containers: [{name: c}]}\n");
	ck_assert_uint_eq(l.diags.n, 0);
	d = l.objs->deployments[0];
	ck_assert_uint_eq(d->replicas, 1);
	assert_req(&d->selector->reqs[0], "app", DFL_SEL_IN, "w");
	ck_assert_str_eq(d->template_spec.service_account, "legacy");
	unload(&l);

	static const char *const bad[] = {
	    "spec: {selector: {matchLabels: {app: a}}, template: {metadata: "
	    "{labels: {app: b}}, spec: {containers: [{name: c}]}}}",
	    "spec: {selector: {}, template: {metadata: {labels: {app: b}}, "
	    "spec: {containers: [{name: c}]}}}",
	    "spec: {template: {metadata: {labels: {app: b}}, spec: "
	    "{containers: [{name: c}]}}}",
	    "spec: {replicas: -1, selector: {matchLabels: {app: b}}, template: "
	    "{metadata: {labels: {app: b}}, spec: {containers: [{name: c}]}}}",
	    "spec: {replicas: 99999999999999999999, selector: {matchLabels: "
	    "{app: b}}, template: {metadata: {labels: {app: b}}, spec: "
	    "{containers: [{name: c}]}}}",
	    "spec: {replicas: 1.5, selector: {matchLabels: {app: b}}, "
	    "template: {metadata: {labels: {app: b}}, spec: {containers: "
	    "[{name: c}]}}}",
	    "spec: {selector: {matchLabels: {app: b}}, template: {metadata: "
	    "{labels: {app: b}}, spec: {containers: [{name: c, ports: "
	    "[{containerPort: 70000}]}]}}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text),
			 "apiVersion: apps/v1\nkind: Deployment\nmetadata: "
			 "{name: d}\n%s\n",
			 bad[i]);
		load_text(&l, text);
		ck_assert_msg(l.objs->n_deployments == 0,
			      "bad deployment %zu accepted", i);
		ck_assert_msg(dfl_diags__count(&l.diags, DFL_SEV_ERROR) == 1,
			      "bad deployment %zu: %zu errors", i,
			      dfl_diags__count(&l.diags, DFL_SEV_ERROR));
		unload(&l);
	}

	/* Integral floats are integers after YAML-to-JSON: 1e1 replicas. */
	load_text(&l,
		  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n"
		  "spec: {replicas: 1e1, selector: {matchLabels: {a: b}},\n"
		  "  template: {metadata: {labels: {a: b}}, spec: {containers: "
		  "[{name: c}]}}}\n");
	ck_assert_uint_eq(l.objs->deployments[0]->replicas, 10);
	unload(&l);
}
END_TEST

START_TEST(namespaces_are_cluster_scoped)
{
	struct loaded l;

	load_text(&l,
		  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n  "
		  "namespace: x\n"
		  "  labels: {kubernetes.io/metadata.name: ns1, env: prod}\n"
		  "  annotations: {note: \"anything, even spaces\"}\n");
	ck_assert_uint_eq(l.objs->n_namespaces, 1);
	ck_assert_ptr_null(l.objs->namespaces[0]->meta.namespace);
	ck_assert_uint_eq(l.objs->namespaces[0]->meta.labels.n, 2);
	ck_assert_str_eq(l.objs->namespaces[0]->meta.labels.items[0].key,
			 "env");
	ck_assert_uint_eq(l.objs->namespaces[0]->meta.annotations.n, 1);
	ck_assert_ptr_nonnull(diag(&l, "ignored-field"));
	unload(&l);
	load_text(
	    &l,
	    "apiVersion: v1\nkind: Namespace\nmetadata: {name: Has.Dots}\n");
	ck_assert_ptr_nonnull(diag(&l, "invalid-name"));
	unload(&l);
}
END_TEST

static const struct dfl_rule *knp_rule(struct loaded *l, const char *name)
{
	const struct dfl_policy *p =
	    dfl_objects__find_policy(l->objs, DFL_KIND_KNP, "shop", name);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->n_rules, 1);
	return &p->rules[0];
}

START_TEST(network_policy_translation)
{
	struct loaded l;
	const struct dfl_rule *r;
	const struct dfl_peer_rule *pr;
	const struct dfl_selector *s;

	load_path(&l, "examples/policies/18-knp-frontend-backend.yaml");
	ck_assert_uint_eq(dfl_diags__count(&l.diags, DFL_SEV_ERROR), 0);
	r = knp_rule(&l, "backend");
	s = r->endpoint_selector;
	ck_assert_uint_eq(s->n_reqs, 2);
	assert_req(&s->reqs[0], "k8s:app", DFL_SEL_IN, "backend");
	assert_req(&s->reqs[1], "k8s:io.kubernetes.pod.namespace", DFL_SEL_IN,
		   "shop");
	/* from: [podSelector, namespaceSelector+podSelector] then [ipBlock]. */
	ck_assert_uint_eq(r->n_ingress, 3);
	pr = &r->ingress[0];
	ck_assert_uint_eq(pr->endpoints.n, 1);
	s = &pr->endpoints.items[0];
	ck_assert_uint_eq(s->n_reqs, 2);
	assert_req(&s->reqs[0], "k8s:app", DFL_SEL_IN, "frontend");
	assert_req(&s->reqs[1], "k8s:io.kubernetes.pod.namespace", DFL_SEL_IN,
		   "shop");
	ck_assert_uint_eq(pr->to_ports.n, 2);
	ck_assert_uint_eq(pr->to_ports.items[0].ports[0].port, 8080);
	ck_assert_uint_eq(pr->to_ports.items[0].ports[0].proto, DFL_PROTO_TCP);
	ck_assert_uint_eq(pr->to_ports.items[1].ports[0].port, 9100);
	ck_assert_uint_eq(pr->to_ports.items[1].ports[0].end_port, 9110);
	pr = &r->ingress[1];
	s = &pr->endpoints.items[0];
	ck_assert_uint_eq(s->n_reqs, 2);
	assert_req(&s->reqs[0], "k8s:app", DFL_SEL_IN, "grafana");
	ck_assert_str_eq(s->reqs[0].values[1], "prometheus");
	assert_req(&s->reqs[1], "k8s:io.cilium.k8s.namespace.labels.team",
		   DFL_SEL_IN, "observability");
	ck_assert_uint_eq(pr->to_ports.n, 2); /* the same ports, copied */
	pr = &r->ingress[2];
	ck_assert(!pr->endpoints.present);
	ck_assert_uint_eq(pr->cidr_set.n, 1);
	ck_assert_uint_eq(pr->cidr_set.items[0].cidr.prefix_len, 16);
	ck_assert_uint_eq(pr->cidr_set.items[0].n_except, 1);
	ck_assert_uint_eq(pr->cidr_set.items[0].except[0].prefix_len, 32);
	ck_assert(!pr->to_ports.present);
	ck_assert_uint_eq(r->n_egress, 1);
	pr = &r->egress[0];
	ck_assert_str_eq(pr->to_ports.items[0].ports[0].name, "postgresql");
	ck_assert_uint_eq(pr->to_ports.items[0].ports[0].proto, DFL_PROTO_TCP);
	ck_assert(r->default_deny_ingress && r->default_deny_egress);
	ck_assert(!r->default_deny_ingress_explicit);
	unload(&l);

	load_path(&l, "examples/policies/19-knp-default-deny.yaml");
	r = knp_rule(&l, "default-deny-all");
	ck_assert_uint_eq(r->n_ingress, 1);
	ck_assert_uint_eq(r->n_egress, 1);
	ck_assert(!r->ingress[0].endpoints.present &&
		  !r->ingress[0].to_ports.present);
	ck_assert(r->default_deny_ingress && r->default_deny_egress);
	r = knp_rule(&l, "allow-all-ingress-to-web");
	ck_assert_uint_eq(r->n_ingress, 1);
	ck_assert_uint_eq(r->ingress[0].endpoints.n, 1);
	ck_assert_uint_eq(r->ingress[0].endpoints.items[0].n_reqs,
			  0); /* anywhere */
	ck_assert_uint_eq(r->n_egress, 0);
	ck_assert(!r->default_deny_egress);
	unload(&l);
}
END_TEST

START_TEST(network_policy_edges)
{
	struct loaded l;
	const struct dfl_rule *r;

	/* An empty namespaceSelector selects all namespaces; egress-only
	 * policyTypes leave ingress alone; no namespace means default. */
	load_text(&l, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		      "metadata: {name: e}\nspec:\n  podSelector: {}\n  "
		      "policyTypes: [Egress]\n"
		      "  egress:\n  - to: [{namespaceSelector: {}}]\n    "
		      "ports: [{protocol: UDP}]\n");
	ck_assert_uint_eq(dfl_diags__count(&l.diags, DFL_SEV_ERROR), 0);
	r = &dfl_objects__find_policy(l.objs, DFL_KIND_KNP, "default", "e")
		 ->rules[0];
	ck_assert_uint_eq(r->n_ingress, 0);
	ck_assert_uint_eq(r->n_egress, 1);
	assert_req(&r->egress[0].endpoints.items[0].reqs[0],
		   "k8s:io.kubernetes.pod.namespace", DFL_SEL_EXISTS, NULL);
	ck_assert_uint_eq(r->egress[0].to_ports.items[0].ports[0].port, 0);
	ck_assert_uint_eq(r->egress[0].to_ports.items[0].ports[0].proto,
			  DFL_PROTO_UDP);
	assert_req(&r->endpoint_selector->reqs[0],
		   "k8s:io.kubernetes.pod.namespace", DFL_SEL_IN, "default");
	unload(&l);

	static const struct {
		const char *spec, *check;
	} bad[] = {
	    {"ingress: [{from: [{podSelector: {}, ipBlock: {cidr: "
	     "10.0.0.0/8}}]}]",
	     "invalid-knp-peer"},
	    {"ingress: [{from: [{}]}]", "invalid-knp-peer"},
	    {"ingress: [{ports: [{protocol: tcp, port: 80}]}]",
	     "invalid-protocol"},
	    {"ingress: [{ports: [{port: 80, endPort: 70}]}]", "invalid-port"},
	    {"ingress: [{ports: [{port: http, endPort: 90}]}]", "invalid-port"},
	    {"ingress: [{ports: [{port: HTTP}]}]", "invalid-port"},
	    {"ingress: [{ports: [{port: 0}]}]", "out-of-range"},
	    {"policyTypes: [Both]", "invalid-policy-type"},
	    {"ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
	     "[10.0.0.0/8]}}]}]",
	     "except-outside-cidr"},
	    {"ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
	     "[11.0.0.0/8]}}]}]",
	     "except-outside-cidr"},
	    {"ingress: [{from: [{ipBlock: {except: [11.0.0.0/8]}}]}]",
	     "invalid-cidr"},
	    {"podSelector: {matchLabels: {\"a:b\": c}}", "invalid-label-key"},
	    {"ingress: [{from: [{podSelector: {}}], bogus: 1}]",
	     "unknown-field"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];

		snprintf(
		    text, sizeof(text),
		    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		    "metadata: {name: b}\nspec: {%s}\n",
		    bad[i].spec);
		/* "spec: {policyTypes: ...}" etc.: strip the list brackets. */
		load_text(&l, text);
		ck_assert_msg(diag(&l, bad[i].check), "knp case %zu: no [%s]",
			      i, bad[i].check);
		ck_assert_msg(l.objs->n_policies == 0, "knp case %zu accepted",
			      i);
		unload(&l);
	}
}
END_TEST

START_TEST(stats_and_empty_documents)
{
	struct loaded l;

	load_text(&l, "---\n---\n# nothing\n---\napiVersion: v1\nkind: "
		      "Namespace\nmetadata: {name: x}\n");
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(l.stats.files, 1);
	ck_assert_uint_eq(l.stats.documents, 3);
	ck_assert_uint_eq(l.stats.objects, 1);
	ck_assert_uint_eq(l.diags.n, 0);
	unload(&l);

	load_text(&l, "");
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(l.stats.documents, 0);
	unload(&l);

	/* "{...}" that is not JSON is read as YAML. */
	load_text(&l,
		  "{apiVersion: v1, kind: Namespace, metadata: {name: flow}}");
	ck_assert_int_eq(l.err, 0);
	ck_assert_uint_eq(l.objs->n_namespaces, 1);
	unload(&l);
	load_text(&l, "{\"apiVersion\": \"v1\", \"kind\": }");
	ck_assert_int_eq(l.err, -EINVAL);
	ck_assert_ptr_nonnull(diag(&l, "json-syntax"));
	unload(&l);
}
END_TEST

START_TEST(duplicate_key_invalidates_only_its_object)
{
	struct loaded l;

	load_text(&l,
		  "apiVersion: v1\nkind: List\nitems:\n"
		  "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
		  "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b, "
		  "name: c}\n"
		  "- {apiVersion: v1, kind: Namespace, metadata: {name: d}}\n");
	ck_assert_uint_eq(l.objs->n_namespaces, 2);
	ck_assert_ptr_nonnull(dfl_objects__find_namespace(l.objs, "a"));
	ck_assert_ptr_nonnull(dfl_objects__find_namespace(l.objs, "d"));
	ck_assert_uint_eq(l.stats.invalid, 1);
	ck_assert_uint_eq(diag(&l, "duplicate-key")->pos.line, 7);
	unload(&l);
}
END_TEST

/* Inputs the fuzzer once found a crash or leak with. */
START_TEST(fuzz_regressions)
{
	static const char *const files[] = {FIX "fuzz-knp-leak.yaml",
					    FIX "fuzz-header-match-leak.yaml"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct loaded l;

		load_path(&l, files[i]);
		ck_assert_uint_eq(l.stats.files, 1);
		ck_assert_uint_ge(l.diags.n, 1);
		unload(&l);
	}
}
END_TEST

START_TEST(kind_names)
{
	ck_assert_str_eq(dfl_kind__name(DFL_KIND_CNP), "CiliumNetworkPolicy");
	ck_assert_str_eq(dfl_kind__name(DFL_KIND_CCNP),
			 "CiliumClusterwideNetworkPolicy");
	ck_assert_str_eq(dfl_kind__resource(DFL_KIND_CNP),
			 "ciliumnetworkpolicy.cilium.io");
	ck_assert_str_eq(dfl_kind__resource(DFL_KIND_DEPLOYMENT),
			 "deployment.apps");
	ck_assert_str_eq(dfl_kind__resource(DFL_KIND_POD), "pod");
	ck_assert_str_eq(dfl_kind__name(DFL_KIND__COUNT), "Unknown");
	/* Destructors take NULL. */
	dfl_policy__free(NULL);
	dfl_pod__free(NULL);
	dfl_deployment__free(NULL);
	dfl_service__free(NULL);
	dfl_namespace__free(NULL);
	dfl_objects__free(NULL);
	dfl_object__release(NULL);
}
END_TEST

static Suite *objects_suite(void)
{
	Suite *s = suite_create("crd-objects");
	TCase *tc = tcase_create("objects");

	tcase_add_test(tc, directory_recursive_sorted_filtered);
	tcase_add_test(tc, invalid_object_keeps_its_neighbours);
	tcase_add_test(tc, syntax_error_keeps_earlier_documents);
	tcase_add_test(tc, unreadable_paths);
	tcase_add_test(tc, lists_are_expanded);
	tcase_add_test(tc, stdin_is_read_for_dash);
	tcase_add_test(tc, api_objects_decode_from_json);
	tcase_add_test(tc, same_name_replaces_like_kubectl_apply);
	tcase_add_test(tc, services);
	tcase_add_test(tc, deployments);
	tcase_add_test(tc, namespaces_are_cluster_scoped);
	tcase_add_test(tc, network_policy_translation);
	tcase_add_test(tc, network_policy_edges);
	tcase_add_test(tc, stats_and_empty_documents);
	tcase_add_test(tc, duplicate_key_invalidates_only_its_object);
	tcase_add_test(tc, fuzz_regressions);
	tcase_add_test(tc, kind_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(objects_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
