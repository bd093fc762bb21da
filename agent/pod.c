#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/ipam.h"
#include "agent/naming.h"
#include "agent/pod.h"
#include "util/mem.h"

/* Writes "<path>.<field>: <message>" into <err>; returns -EINVAL. */
static int __attribute__((format(printf, 5, 6)))
fail(char *err, size_t errlen, const char *path, const char *field,
     const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field)
		snprintf(err, errlen, "%s.%s: %s", path, field, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
	return -EINVAL;
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

/* Rejects keys of <j> that are not in the NULL-terminated <allowed>: a typo
 * ("lables") must not silently produce a pod without labels. */
static int check_keys(const json_t *j, const char *const *allowed,
		      const char *path, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)j, key, v) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (!strcmp(*a, key))
				break;
		if (!*a)
			return fail(err, errlen, path, key, "unknown field");
	}
	return 0;
}

/* Copies the string member <key> into *out (NULL when absent and not
 * <required>). */
static int get_str(const json_t *j, const char *key, bool required, char **out,
		   const char *path, char *err, size_t errlen)
{
	json_t *v = json_object_get(j, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(err, errlen, path, key, "required field is missing");
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, path, key, "must be a string, not %s",
			    json_kind(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(err, errlen, path, key, "must not contain NUL bytes");
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct dfl_kv *)a)->key,
		      ((const struct dfl_kv *)b)->key);
}

static void kvs_release(struct dfl_kvs *kvs)
{
	for (size_t i = 0; i < kvs->n; i++) {
		free(kvs->items[i].key);
		free(kvs->items[i].value);
	}
	free(kvs->items);
	memset(kvs, 0, sizeof(*kvs));
}

/* A string map ({"org": "empire"}) into sorted <kvs>; with <labels>, keys
 * and values are checked against Kubernetes' label syntax. */
static int get_kvs(const json_t *j, const char *key, bool labels,
		   struct dfl_kvs *kvs, const char *path, char *err,
		   size_t errlen)
{
	json_t *obj = json_object_get(j, key), *v;
	char field[512];
	const char *k, *msg;

	memset(kvs, 0, sizeof(*kvs));
	if (!obj || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return fail(err, errlen, path, key, "must be an object, not %s",
			    json_kind(obj));
	kvs->items = calloc(json_object_size(obj) + 1, sizeof(*kvs->items));
	if (!kvs->items)
		return -ENOMEM;
	json_object_foreach(obj, k, v) {
		struct dfl_kv *kv = &kvs->items[kvs->n];

		snprintf(field, sizeof(field), "%s.%s", key, k);
		if (!json_is_string(v))
			return fail(err, errlen, path, field,
				    "must be a string, not %s", json_kind(v));
		if (labels && (msg = dfl_k8s__check_label_key(k)))
			return fail(err, errlen, path, field,
				    "invalid label key: %s", msg);
		if (labels && (msg = dfl_k8s__check_label_value(
				       json_string_value(v))))
			return fail(err, errlen, path, field,
				    "invalid label value '%s': %s",
				    json_string_value(v), msg);
		kv->key = strdup(k);
		kv->value = strdup(json_string_value(v));
		kvs->n++;
		if (!kv->key || !kv->value)
			return -ENOMEM;
	}
	qsort(kvs->items, kvs->n, sizeof(*kvs->items), cmp_kv);
	return 0;
}

static json_t *kvs_to_json(const struct dfl_kvs *kvs)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < kvs->n; i++)
		json_object_set_new(o, kvs->items[i].key,
				    json_string(kvs->items[i].value));
	return o;
}

static int kvs_copy(struct dfl_kvs *dst, const struct dfl_kvs *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->n)
		return 0;
	dst->items = calloc(src->n, sizeof(*dst->items));
	if (!dst->items)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		dst->items[i].key = strdup(src->items[i].key);
		dst->items[i].value = strdup(src->items[i].value ? src->items[i].value : "");
		dst->n++;
		if (!dst->items[i].key || !dst->items[i].value)
			return -ENOMEM;
	}
	return 0;
}

const char *dfl_kvs__get(const struct dfl_kvs *kvs, const char *key)
{
	for (size_t i = 0; i < kvs->n; i++)
		if (!strcmp(kvs->items[i].key, key))
			return kvs->items[i].value;
	return NULL;
}

const char *dfl_l4proto__name(uint8_t proto)
{
	switch (proto) {
	case DFL_PROTO_TCP:
		return "TCP";
	case DFL_PROTO_UDP:
		return "UDP";
	case DFL_PROTO_SCTP:
		return "SCTP";
	}
	return "ANY";
}

int dfl_l4proto__parse(const char *name)
{
	if (!strcasecmp(name, "TCP"))
		return DFL_PROTO_TCP;
	if (!strcasecmp(name, "UDP"))
		return DFL_PROTO_UDP;
	if (!strcasecmp(name, "SCTP"))
		return DFL_PROTO_SCTP;
	return -EINVAL;
}

static int get_port_number(const json_t *p, const char *key, bool required,
			   uint16_t *out, const char *path, char *err,
			   size_t errlen)
{
	json_t *v = json_object_get(p, key);

	*out = 0;
	if (!v) {
		if (required)
			return fail(err, errlen, path, key, "required field is missing");
		return 0;
	}
	if (!json_is_integer(v))
		return fail(err, errlen, path, key, "must be an integer, not %s",
			    json_kind(v));
	if (json_integer_value(v) < 1 || json_integer_value(v) > 65535)
		return fail(err, errlen, path, key,
			    "%lld is out of range 1-65535",
			    (long long)json_integer_value(v));
	*out = (uint16_t)json_integer_value(v);
	return 0;
}

static int get_proto(const json_t *p, uint8_t *out, const char *path,
		     char *err, size_t errlen)
{
	json_t *v = json_object_get(p, "protocol");
	int proto;

	*out = DFL_PROTO_TCP;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return fail(err, errlen, path, "protocol",
			    "must be a string, not %s", json_kind(v));
	proto = dfl_l4proto__parse(json_string_value(v));
	if (proto < 0)
		return fail(err, errlen, path, "protocol",
			    "'%s' is not one of TCP, UDP, SCTP",
			    json_string_value(v));
	*out = (uint8_t)proto;
	return 0;
}

static int get_container_ports(const json_t *j, struct dfl_pod_desc *pod,
			       const char *path, char *err, size_t errlen)
{
	static const char *const keys[] = { "port", "protocol", "name", NULL };
	json_t *arr = json_object_get(j, "ports"), *p;
	char ppath[256];
	size_t i;
	int ret;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return fail(err, errlen, path, "ports", "must be an array, not %s",
			    json_kind(arr));
	pod->ports = calloc(json_array_size(arr) + 1, sizeof(*pod->ports));
	if (!pod->ports)
		return -ENOMEM;
	json_array_foreach(arr, i, p) {
		struct dfl_container_port *cp = &pod->ports[pod->n_ports++];

		snprintf(ppath, sizeof(ppath), "%s.ports[%zu]", path, i);
		if (!json_is_object(p))
			return fail(err, errlen, ppath, NULL,
				    "must be an object, not %s", json_kind(p));
		ret = check_keys(p, keys, ppath, err, errlen);
		if (!ret)
			ret = get_port_number(p, "port", true, &cp->port, ppath,
					      err, errlen);
		if (!ret)
			ret = get_proto(p, &cp->proto, ppath, err, errlen);
		if (!ret)
			ret = get_str(p, "name", false, &cp->name, ppath, err,
				      errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int get_command(const json_t *j, struct dfl_pod_desc *pod,
		       const char *path, char *err, size_t errlen)
{
	json_t *arr = json_object_get(j, "command"), *v;
	size_t i;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return fail(err, errlen, path, "command",
			    "must be an array of strings, not %s", json_kind(arr));
	pod->command = calloc(json_array_size(arr) + 1, sizeof(*pod->command));
	if (!pod->command)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		char field[64];

		snprintf(field, sizeof(field), "command[%zu]", i);
		if (!json_is_string(v))
			return fail(err, errlen, path, field,
				    "must be a string, not %s", json_kind(v));
		pod->command[i] = strdup(json_string_value(v));
		pod->n_command++;
		if (!pod->command[i])
			return -ENOMEM;
	}
	return 0;
}

static int get_workload(const json_t *j, struct dfl_pod_desc *pod,
			const char *path, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "kind", NULL };
	json_t *w = json_object_get(j, "workload");
	char wpath[256];
	int ret;

	if (!w || json_is_null(w))
		return 0;
	snprintf(wpath, sizeof(wpath), "%s.workload", path);
	if (!json_is_object(w))
		return fail(err, errlen, wpath, NULL, "must be an object, not %s",
			    json_kind(w));
	ret = check_keys(w, keys, wpath, err, errlen);
	if (!ret)
		ret = get_str(w, "name", true, &pod->workload_name, wpath, err,
			      errlen);
	if (!ret)
		ret = get_str(w, "kind", true, &pod->workload_kind, wpath, err,
			      errlen);
	return ret;
}

static int get_name(const json_t *j, const char *key, bool subdomain,
		    char **out, const char *path, char *err, size_t errlen)
{
	const char *msg;
	int ret = get_str(j, key, true, out, path, err, errlen);

	if (ret)
		return ret;
	msg = subdomain ? dfl_k8s__check_subdomain(*out)
			: dfl_k8s__check_label(*out);
	if (msg)
		return fail(err, errlen, path, key, "invalid name '%s': %s",
			    *out, msg);
	return 0;
}

static int get_namespace(const json_t *j, char **out, const char *path,
			 char *err, size_t errlen)
{
	const char *msg;
	int ret = get_str(j, "namespace", false, out, path, err, errlen);

	if (ret)
		return ret;
	if (!*out) {
		*out = strdup("default");
		return *out ? 0 : -ENOMEM;
	}
	msg = dfl_k8s__check_label(*out);
	if (msg)
		return fail(err, errlen, path, "namespace",
			    "invalid namespace '%s': %s", *out, msg);
	return 0;
}

/* The pod fields shared by pods and Deployment templates. */
static int get_pod_body(const json_t *j, struct dfl_pod_desc *pod,
			const char *path, char *err, size_t errlen)
{
	int ret = get_kvs(j, "labels", true, &pod->labels, path, err, errlen);

	if (!ret)
		ret = get_container_ports(j, pod, path, err, errlen);
	if (!ret)
		ret = get_str(j, "image", false, &pod->image, path, err, errlen);
	if (!ret)
		ret = get_command(j, pod, path, err, errlen);
	if (!ret)
		ret = get_str(j, "serviceAccount", false, &pod->service_account,
			      path, err, errlen);
	if (!ret && !pod->service_account) {
		pod->service_account = strdup("default");
		if (!pod->service_account)
			ret = -ENOMEM;
	}
	return ret;
}

int dfl_pod_desc__from_json(struct dfl_pod_desc *pod, const json_t *j,
			    const char *path, char *err, size_t errlen)
{
	static const char *const keys[] = { "namespace", "name", "labels",
					    "ports", "image", "command",
					    "serviceAccount", "workload", NULL };
	int ret;

	memset(pod, 0, sizeof(*pod));
	if (!json_is_object(j))
		return fail(err, errlen, path, NULL, "must be an object, not %s",
			    j ? json_kind(j) : "missing");
	ret = check_keys(j, keys, path, err, errlen);
	if (!ret)
		ret = get_namespace(j, &pod->namespace, path, err, errlen);
	if (!ret)
		ret = get_name(j, "name", true, &pod->name, path, err, errlen);
	if (!ret)
		ret = get_pod_body(j, pod, path, err, errlen);
	if (!ret)
		ret = get_workload(j, pod, path, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

static json_t *ports_to_json(const struct dfl_container_port *ports, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *p = json_pack("{s:i, s:s}", "port", ports[i].port,
				      "protocol", dfl_l4proto__name(ports[i].proto));

		if (p && ports[i].name)
			json_object_set_new(p, "name", json_string(ports[i].name));
		json_array_append_new(arr, p);
	}
	return arr;
}

static json_t *strv_to_json(char **v, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

static json_t *pod_body_to_json(const struct dfl_pod_desc *pod, json_t *o)
{
	if (!o)
		return NULL;
	json_object_set_new(o, "labels", kvs_to_json(&pod->labels));
	json_object_set_new(o, "ports", ports_to_json(pod->ports, pod->n_ports));
	if (pod->image)
		json_object_set_new(o, "image", json_string(pod->image));
	if (pod->n_command)
		json_object_set_new(o, "command",
				    strv_to_json(pod->command, pod->n_command));
	if (pod->service_account)
		json_object_set_new(o, "serviceAccount",
				    json_string(pod->service_account));
	return o;
}

json_t *dfl_pod_desc__to_json(const struct dfl_pod_desc *pod)
{
	json_t *o = json_pack("{s:s, s:s}", "namespace", pod->namespace,
			      "name", pod->name);

	o = pod_body_to_json(pod, o);
	if (o && pod->workload_name)
		json_object_set_new(o, "workload",
				    json_pack("{s:s, s:s}", "name",
					      pod->workload_name, "kind",
					      pod->workload_kind ? pod->workload_kind : ""));
	return o;
}

void dfl_pod_desc__release(struct dfl_pod_desc *pod)
{
	if (!pod)
		return;
	free(pod->namespace);
	free(pod->name);
	kvs_release(&pod->labels);
	for (size_t i = 0; i < pod->n_ports; i++)
		free(pod->ports[i].name);
	free(pod->ports);
	free(pod->image);
	for (size_t i = 0; i < pod->n_command; i++)
		free(pod->command[i]);
	free(pod->command);
	free(pod->service_account);
	free(pod->workload_name);
	free(pod->workload_kind);
	memset(pod, 0, sizeof(*pod));
}

static bool dup_ok(char **dst, const char *src)
{
	*dst = dfl_strdup(src);
	return !src || *dst;
}

static int copy_body(struct dfl_pod_desc *dst, const struct dfl_kvs *labels,
		     const struct dfl_container_port *ports, size_t n_ports,
		     const char *image, char *const *command, size_t n_command,
		     const char *service_account)
{
	if (kvs_copy(&dst->labels, labels))
		return -ENOMEM;
	if (n_ports) {
		dst->ports = calloc(n_ports, sizeof(*dst->ports));
		if (!dst->ports)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n_ports; i++) {
		dst->ports[i] = ports[i];
		dst->n_ports++;
		if (!dup_ok(&dst->ports[i].name, ports[i].name))
			return -ENOMEM;
	}
	if (n_command) {
		dst->command = calloc(n_command + 1, sizeof(*dst->command));
		if (!dst->command)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n_command; i++) {
		dst->n_command++;
		if (!dup_ok(&dst->command[i], command[i]))
			return -ENOMEM;
	}
	if (!dup_ok(&dst->image, image) ||
	    !dup_ok(&dst->service_account,
		    service_account ? service_account : "default"))
		return -ENOMEM;
	return 0;
}

int dfl_pod_desc__copy(struct dfl_pod_desc *dst, const struct dfl_pod_desc *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!dup_ok(&dst->namespace, src->namespace) ||
	    !dup_ok(&dst->name, src->name) ||
	    !dup_ok(&dst->workload_name, src->workload_name) ||
	    !dup_ok(&dst->workload_kind, src->workload_kind) ||
	    copy_body(dst, &src->labels, src->ports, src->n_ports, src->image,
		      src->command, src->n_command, src->service_account)) {
		dfl_pod_desc__release(dst);
		return -ENOMEM;
	}
	return 0;
}

int dfl_pod_desc__from_pod(struct dfl_pod_desc *dst, const struct dfl_pod *pod)
{
	const struct dfl_pod_spec *s = &pod->spec;

	memset(dst, 0, sizeof(*dst));
	if (!dup_ok(&dst->namespace,
		    pod->meta.namespace ? pod->meta.namespace : "default") ||
	    !dup_ok(&dst->name, pod->meta.name) ||
	    !dup_ok(&dst->workload_name, pod->workload_name) ||
	    !dup_ok(&dst->workload_kind, pod->workload_kind) ||
	    copy_body(dst, s->labels.n ? &s->labels : &pod->meta.labels,
		      s->ports, s->n_ports, s->image, s->command, s->n_command,
		      s->service_account)) {
		dfl_pod_desc__release(dst);
		return -ENOMEM;
	}
	return 0;
}

bool dfl_pod_desc__selected_by(const struct dfl_pod_desc *pod,
			       const struct dfl_kvs *selector)
{
	if (!selector->n)
		return false;
	for (size_t i = 0; i < selector->n; i++) {
		const char *v = dfl_kvs__get(&pod->labels, selector->items[i].key);

		if (!v || strcmp(v, selector->items[i].value))
			return false;
	}
	return true;
}

/* ---- services ---------------------------------------------------------- */

static int get_service_ports(const json_t *j, struct dfl_service_desc *svc,
			     const char *path, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "port", "protocol",
					    "targetPort", NULL };
	json_t *arr = json_object_get(j, "ports"), *p;
	char ppath[256];
	size_t i;
	int ret;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return fail(err, errlen, path, "ports", "must be an array, not %s",
			    json_kind(arr));
	svc->ports = calloc(json_array_size(arr) + 1, sizeof(*svc->ports));
	if (!svc->ports)
		return -ENOMEM;
	json_array_foreach(arr, i, p) {
		struct dfl_service_port *sp = &svc->ports[svc->n_ports++];
		json_t *tp;

		snprintf(ppath, sizeof(ppath), "%s.ports[%zu]", path, i);
		if (!json_is_object(p))
			return fail(err, errlen, ppath, NULL,
				    "must be an object, not %s", json_kind(p));
		ret = check_keys(p, keys, ppath, err, errlen);
		if (!ret)
			ret = get_port_number(p, "port", true, &sp->port, ppath,
					      err, errlen);
		if (!ret)
			ret = get_proto(p, &sp->proto, ppath, err, errlen);
		if (!ret)
			ret = get_str(p, "name", false, &sp->name, ppath, err,
				      errlen);
		if (ret)
			return ret;
		tp = json_object_get(p, "targetPort");
		if (json_is_string(tp)) {
			sp->target_port_name = strdup(json_string_value(tp));
			if (!sp->target_port_name)
				return -ENOMEM;
		} else if (tp) {
			ret = get_port_number(p, "targetPort", false,
					      &sp->target_port, ppath, err, errlen);
			if (ret)
				return ret;
		} else {
			sp->target_port = sp->port;
		}
	}
	return 0;
}

int dfl_service_desc__from_json(struct dfl_service_desc *svc, const json_t *j,
				const char *path, char *err, size_t errlen)
{
	static const char *const keys[] = { "namespace", "name", "clusterIP",
					    "selector", "ports", NULL };
	char *ip = NULL;
	int ret;

	memset(svc, 0, sizeof(*svc));
	if (!json_is_object(j))
		return fail(err, errlen, path, NULL, "must be an object, not %s",
			    j ? json_kind(j) : "missing");
	ret = check_keys(j, keys, path, err, errlen);
	if (!ret)
		ret = get_namespace(j, &svc->namespace, path, err, errlen);
	if (!ret)
		ret = get_name(j, "name", false, &svc->name, path, err, errlen);
	if (!ret)
		ret = get_kvs(j, "selector", true, &svc->selector, path, err,
			      errlen);
	if (!ret)
		ret = get_service_ports(j, svc, path, err, errlen);
	if (!ret)
		ret = get_str(j, "clusterIP", false, &ip, path, err, errlen);
	if (!ret && ip && *ip) {
		if (!strcmp(ip, "None"))
			svc->headless = true;
		else if (dfl_ip4__parse(ip, &svc->cluster_ip))
			ret = fail(err, errlen, path, "clusterIP",
				   "'%s' is not an IPv4 address or \"None\"", ip);
	}
	free(ip);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

json_t *dfl_service_desc__to_json(const struct dfl_service_desc *svc)
{
	char ip[16];
	json_t *o, *ports;

	o = json_pack("{s:s, s:s, s:s}", "namespace", svc->namespace, "name",
		      svc->name, "clusterIP",
		      svc->headless ? "None"
				    : dfl_ip4__fmt(svc->cluster_ip, ip, sizeof(ip)));
	if (!o)
		return NULL;
	json_object_set_new(o, "selector", kvs_to_json(&svc->selector));
	ports = json_array();
	for (size_t i = 0; ports && i < svc->n_ports; i++) {
		const struct dfl_service_port *sp = &svc->ports[i];
		json_t *p = json_pack("{s:i, s:s}", "port", sp->port, "protocol",
				      dfl_l4proto__name(sp->proto));

		if (!p)
			continue;
		if (sp->name)
			json_object_set_new(p, "name", json_string(sp->name));
		json_object_set_new(p, "targetPort",
				    sp->target_port_name
					    ? json_string(sp->target_port_name)
					    : json_integer(sp->target_port));
		json_array_append_new(ports, p);
	}
	json_object_set_new(o, "ports", ports);
	return o;
}

int dfl_service_desc__from_service(struct dfl_service_desc *dst,
				   const struct dfl_service *svc, char *err,
				   size_t errlen)
{
	memset(dst, 0, sizeof(*dst));
	if (svc->cluster_ip && *svc->cluster_ip) {
		if (!strcmp(svc->cluster_ip, "None"))
			dst->headless = true;
		else if (dfl_ip4__parse(svc->cluster_ip, &dst->cluster_ip))
			return fail(err, errlen, "service", "clusterIP",
				    "'%s' is not an IPv4 address or \"None\"",
				    svc->cluster_ip);
	}
	if (!dup_ok(&dst->namespace,
		    svc->meta.namespace ? svc->meta.namespace : "default") ||
	    !dup_ok(&dst->name, svc->meta.name) ||
	    kvs_copy(&dst->selector, &svc->selector))
		goto nomem;
	if (svc->n_ports) {
		dst->ports = calloc(svc->n_ports, sizeof(*dst->ports));
		if (!dst->ports)
			goto nomem;
	}
	for (size_t i = 0; i < svc->n_ports; i++) {
		dst->ports[i] = svc->ports[i];
		dst->ports[i].name = NULL;
		dst->ports[i].target_port_name = NULL;
		dst->n_ports++;
		if (!dup_ok(&dst->ports[i].name, svc->ports[i].name) ||
		    !dup_ok(&dst->ports[i].target_port_name,
			    svc->ports[i].target_port_name))
			goto nomem;
	}
	return 0;
nomem:
	dfl_service_desc__release(dst);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

void dfl_service_desc__release(struct dfl_service_desc *svc)
{
	if (!svc)
		return;
	free(svc->namespace);
	free(svc->name);
	kvs_release(&svc->selector);
	for (size_t i = 0; i < svc->n_ports; i++) {
		free(svc->ports[i].name);
		free(svc->ports[i].target_port_name);
	}
	free(svc->ports);
	memset(svc, 0, sizeof(*svc));
}

/* ---- deployments ------------------------------------------------------- */

int dfl_deployment_desc__from_json(struct dfl_deployment_desc *d,
				   const json_t *j, const char *path,
				   char *err, size_t errlen)
{
	static const char *const keys[] = { "namespace", "name", "replicas",
					    "template", NULL };
	static const char *const tkeys[] = { "labels", "ports", "image",
					     "command", "serviceAccount", NULL };
	json_t *r, *t;
	char tpath[256];
	int ret;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(j))
		return fail(err, errlen, path, NULL, "must be an object, not %s",
			    j ? json_kind(j) : "missing");
	ret = check_keys(j, keys, path, err, errlen);
	if (!ret)
		ret = get_namespace(j, &d->namespace, path, err, errlen);
	if (!ret)
		ret = get_name(j, "name", true, &d->name, path, err, errlen);
	if (ret)
		goto out;
	d->replicas = 1;
	r = json_object_get(j, "replicas");
	if (r && (!json_is_integer(r) || json_integer_value(r) < 0 ||
		  json_integer_value(r) > 1000)) {
		ret = fail(err, errlen, path, "replicas",
			   "must be an integer in 0-1000");
		goto out;
	}
	if (r)
		d->replicas = (uint32_t)json_integer_value(r);
	t = json_object_get(j, "template");
	snprintf(tpath, sizeof(tpath), "%s.template", path);
	if (!json_is_object(t)) {
		ret = fail(err, errlen, tpath, NULL, "must be an object, not %s",
			   t ? json_kind(t) : "missing");
		goto out;
	}
	ret = check_keys(t, tkeys, tpath, err, errlen);
	if (!ret)
		ret = get_pod_body(t, &d->template, tpath, err, errlen);
	if (!ret && !d->template.labels.n)
		ret = fail(err, errlen, tpath, "labels",
			   "a Deployment's pods need labels (its selector)");
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

json_t *dfl_deployment_desc__to_json(const struct dfl_deployment_desc *d)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "namespace", d->namespace,
			      "name", d->name, "replicas", (int)d->replicas);

	if (o)
		json_object_set_new(o, "template",
				    pod_body_to_json(&d->template, json_object()));
	return o;
}

int dfl_deployment_desc__from_deployment(struct dfl_deployment_desc *dst,
					 const struct dfl_deployment *d)
{
	const struct dfl_pod_spec *s = &d->template_spec;

	memset(dst, 0, sizeof(*dst));
	dst->replicas = d->replicas;
	if (!dup_ok(&dst->namespace,
		    d->meta.namespace ? d->meta.namespace : "default") ||
	    !dup_ok(&dst->name, d->meta.name) ||
	    copy_body(&dst->template, &s->labels, s->ports, s->n_ports,
		      s->image, s->command, s->n_command, s->service_account)) {
		dfl_deployment_desc__release(dst);
		return -ENOMEM;
	}
	return 0;
}

void dfl_deployment_desc__release(struct dfl_deployment_desc *d)
{
	if (!d)
		return;
	free(d->namespace);
	free(d->name);
	dfl_pod_desc__release(&d->template);
	memset(d, 0, sizeof(*d));
}
