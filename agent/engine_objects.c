/* Objects applied to the node: `deflector apply -f`, `delete -f`, `get`, and
 * the files of --policy-dir. Answers as kubectl does ("pod/xwing created",
 * "ciliumnetworkpolicy.cilium.io/rule1 configured"); objects that fail
 * validation are refused with the loader's file:line:col errors while the
 * valid ones of the same request are applied (nothing accepted is lost). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/engine-priv.h"
#include "agent/pod.h"
#include "identity/allocator.h"
#include "identity/labels.h"
#include "util/diag.h"
#include "util/log.h"
#include "util/strbuf.h"

static char *object_key(const struct dfl_meta *m)
{
	struct dfl_strbuf sb = { 0 };

	dfl_strbuf__printf(&sb, "%s/%s/%s", dfl_kind__name(m->kind),
			   m->namespace ? m->namespace : "", m->name);
	return dfl_strbuf__detach(&sb);
}

static void stored_free(struct stored_obj *s)
{
	if (!s)
		return;
	dfl_object__release(&s->obj);
	free(s->file);
	free(s->content);
	free(s);
}

static bool namespaced(enum dfl_kind k)
{
	return k != DFL_KIND_CCNP && k != DFL_KIND_NAMESPACE;
}

/* Hands <obj> to the component that owns its kind. The engine's write lock
 * is not held: agent calls run hooks that take it. */
static int apply_one(struct dfl_engine *e, struct dfl_object *obj, char *err,
		     size_t errlen)
{
	int ret = 0;

	if (namespaced(obj->kind) && !obj->meta->namespace) {
		obj->meta->namespace = strdup("default");
		if (!obj->meta->namespace)
			return -ENOMEM;
	}
	switch (obj->kind) {
	case DFL_KIND_CNP:
	case DFL_KIND_CCNP:
	case DFL_KIND_KNP: {
		struct dfl_diags diags = { 0 };

		pthread_rwlock_wrlock(&e->lock);
		ret = dfl_compiler__upsert_policy(e->compiler, obj->policy, &diags);
		pthread_rwlock_unlock(&e->lock);
		for (size_t i = 0; i < diags.n; i++)
			pr_warn("%s\n", diags.items[i].message);
		dfl_diags__release(&diags);
		break;
	}
	case DFL_KIND_NAMESPACE:
		pthread_rwlock_wrlock(&e->lock);
		ret = dfl_compiler__upsert_namespace(e->compiler, obj->ns);
		pthread_rwlock_unlock(&e->lock);
		break;
	case DFL_KIND_SERVICE: {
		struct dfl_service_desc d = { 0 };

		/* Chained to a CNI, kube-proxy translates ClusterIPs: the
		 * Service only feeds the policy (toServices). */
		if (!e->k8s) {
			ret = dfl_service_desc__from_service(&d, obj->service, err,
							     errlen);
			if (!ret)
				ret = dfl_agent__service_apply(e->agent, &d, NULL, err,
							       errlen);
			dfl_service_desc__release(&d);
		}
		if (!ret) {
			pthread_rwlock_wrlock(&e->lock);
			ret = dfl_compiler__upsert_service(e->compiler, obj->service);
			pthread_rwlock_unlock(&e->lock);
		}
		break;
	}
	case DFL_KIND_DEPLOYMENT: {
		struct dfl_deployment_desc d = { 0 };

		ret = dfl_deployment_desc__from_deployment(&d, obj->deployment);
		if (!ret)
			ret = dfl_agent__deployment_apply(e->agent, &d, err, errlen);
		dfl_deployment_desc__release(&d);
		break;
	}
	case DFL_KIND_POD: {
		struct dfl_pod_desc d = { 0 };

		if (e->k8s) {
			ret = engine_k8s_pod_upsert(e, obj->pod, err, errlen);
			break;
		}
		ret = dfl_pod_desc__from_pod(&d, obj->pod);
		if (!ret)
			ret = dfl_agent__pod_apply(e->agent, &d, NULL, err, errlen);
		dfl_pod_desc__release(&d);
		break;
	}
	default:
		ret = -ENOTSUP;
	}
	if (ret && !*err)
		snprintf(err, errlen, "%s", strerror(-ret));
	return ret;
}

/* Removes what <s> made; the caller frees <s> afterwards. */
static int delete_one(struct dfl_engine *e, struct stored_obj *s, char *err,
		      size_t errlen)
{
	const struct dfl_meta *m = s->obj.meta;
	int ret = 0;

	switch (s->obj.kind) {
	case DFL_KIND_CNP:
	case DFL_KIND_CCNP:
	case DFL_KIND_KNP:
		pthread_rwlock_wrlock(&e->lock);
		ret = dfl_compiler__remove_policy(e->compiler, m->kind, m->namespace,
						  m->name);
		pthread_rwlock_unlock(&e->lock);
		break;
	case DFL_KIND_SERVICE:
		if (!e->k8s)
			ret = dfl_agent__service_delete(e->agent, m->namespace,
							m->name, err, errlen);
		pthread_rwlock_wrlock(&e->lock);
		dfl_compiler__remove_service(e->compiler, m->namespace, m->name);
		pthread_rwlock_unlock(&e->lock);
		break;
	case DFL_KIND_DEPLOYMENT:
		ret = dfl_agent__deployment_delete(e->agent, m->namespace, m->name,
						   err, errlen);
		break;
	case DFL_KIND_POD: {
		struct dfl_endpoint *ep =
			dfl_agent__endpoint_by_name(e->agent, m->namespace, m->name);

		if (e->k8s) {
			engine_k8s_pod_delete(e, m->namespace, m->name);
			break;
		}
		ret = ep ? dfl_agent__endpoint_delete(e->agent, ep) : 0;
		break;
	}
	case DFL_KIND_NAMESPACE:
		/* Its labels stay known until a new Namespace replaces them:
		 * pods of a deleted namespace are deleted with it in
		 * Kubernetes, and here by their own manifests. */
		break;
	default:
		ret = -ENOTSUP;
	}
	if (ret && !*err)
		snprintf(err, errlen, "%s", strerror(-ret));
	return ret;
}

/* Every object of <objs>, in the order they were written: kubectl answers
 * in file order. Ownership moves to the returned array (free() it and each
 * object); <objs> is left empty. */
static struct dfl_object *take_in_file_order(struct dfl_objects *objs, size_t *n)
{
	size_t total = objs->n_policies + objs->n_pods + objs->n_deployments +
		       objs->n_services + objs->n_namespaces, k = 0;
	struct dfl_object *out = calloc(total + 1, sizeof(*out));

	if (!out)
		return NULL;
#define TAKE(arr, cnt, kindexpr, member)                                        \
	for (size_t i = 0; i < objs->cnt; i++) {                                \
		out[k].kind = kindexpr;                                         \
		out[k++].member = objs->arr[i];                                 \
	}                                                                       \
	objs->cnt = 0;
	TAKE(namespaces, n_namespaces, DFL_KIND_NAMESPACE, ns)
	TAKE(services, n_services, DFL_KIND_SERVICE, service)
	TAKE(deployments, n_deployments, DFL_KIND_DEPLOYMENT, deployment)
	TAKE(pods, n_pods, DFL_KIND_POD, pod)
	TAKE(policies, n_policies, objs->policies[i]->meta.kind, policy)
#undef TAKE
	/* Insertion sort by (file, line, column): stable and n is small. */
	for (size_t i = 1; i < k; i++) {
		struct dfl_object tmp = out[i];
		size_t j = i;

		while (j > 0) {
			const struct dfl_pos *a = &out[j - 1].meta->pos, *b = &tmp.meta->pos;
			int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

			if (c < 0 || (!c && (a->line < b->line ||
					     (a->line == b->line && a->col <= b->col))))
				break;
			out[j] = out[j - 1];
			j--;
		}
		out[j] = tmp;
	}
	*n = k;
	return out;
}

static void add_diags(json_t *errors, const struct dfl_diags *d,
		      enum dfl_severity min)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct dfl_diag *g = &d->items[i];
		char where[512];
		struct dfl_strbuf sb = { 0 };

		if (g->severity < min)
			continue;
		dfl_strbuf__printf(&sb, "%s: %s%s%s",
				   dfl_pos__fmt(g->pos, where, sizeof(where)),
				   g->path ? g->path : "", g->path ? ": " : "",
				   g->message);
		json_array_append_new(errors, json_string(dfl_strbuf__str(&sb)));
		dfl_strbuf__release(&sb);
	}
}

/* The text of file <name> of an apply request (a copy), or NULL. */
static char *file_content(const json_t *req, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(req, "files"), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "name")) ?: "", name))
			return strdup(json_string_value(json_object_get(f, "content")));
	return NULL;
}

/* Decodes the "files" of a request ([{"name","content"}]) into <objs>;
 * syntax and validation errors go to <errors>. */
static int decode_files(const json_t *files, struct dfl_objects *objs,
			json_t *errors)
{
	const json_t *f;
	size_t i;

	if (!json_is_array(files))
		return -EINVAL;
	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const json_t *content = json_object_get(f, "content");
		struct dfl_diags diags = { 0 };
		int err;

		if (!name || !json_is_string(content))
			return -EINVAL;
		err = dfl_objects__load_buffer(objs, name, json_string_value(content),
					       json_string_length(content), &diags,
					       NULL);
		add_diags(errors, &diags, DFL_SEV_ERROR);
		dfl_diags__release(&diags);
		if (err == -ENOMEM)
			return err;
	}
	return 0;
}

/* ---- persistence ------------------------------------------------------ */

static char *objects_path(const struct dfl_engine *e)
{
	struct dfl_strbuf sb = { 0 };

	if (!e->cfg.state_dir)
		return NULL;
	dfl_strbuf__printf(&sb, "%s/objects.json", e->cfg.state_dir);
	return dfl_strbuf__detach(&sb);
}

/* FNV-1a of a manifest's text: the key that lets the state file hold each
 * text once however many objects came from it. */
static uint64_t text_hash(const char *t)
{
	uint64_t h = 1469598103934665603ull;

	for (; *t; t++) {
		h ^= (unsigned char)*t;
		h *= 1099511628211ull;
	}
	return h;
}

/* Writes the applied objects, atomically (a crash leaves the old file or the
 * new one):
 *   {"version": 2, "texts": [{"file", "content"}],
 *    "objects": [{"key", "text": index into texts, "applied_at"}]}
 * Each manifest text is written once, however many objects it holds. */
static int persist(struct dfl_engine *e)
{
	char *path = objects_path(e), *tmp = NULL;
	json_t *texts = json_array(), *objs = json_array(), *doc = NULL;
	struct dfl_strmap index = { 0 }; /* "hash" -> text index + 1 */
	const char *key;
	void *v;
	size_t it = 0;
	int ret = 0;

	if (!path)
		goto out;
	while (dfl_strmap__next(&e->objects, &it, &key, &v)) {
		const struct stored_obj *s = v;
		const char *content = s->content ? s->content : "";
		char h[32];
		size_t ti;

		snprintf(h, sizeof(h), "%016llx", (unsigned long long)text_hash(content));
		ti = (size_t)(uintptr_t)dfl_strmap__get(&index, h);
		if (ti && strcmp(json_string_value(json_object_get(
				 json_array_get(texts, ti - 1), "content")), content))
			ti = 0; /* a hash collision: keep both texts */
		if (!ti) {
			json_array_append_new(texts, json_pack("{s:s, s:s}", "file", s->file,
							       "content", content));
			ti = json_array_size(texts);
			dfl_strmap__set(&index, h, (void *)(uintptr_t)ti, NULL);
		}
		json_array_append_new(objs, json_pack("{s:s, s:I, s:I}", "key", key, "text",
						      (json_int_t)(ti - 1), "applied_at",
						      (json_int_t)s->applied_at));
	}
	doc = json_pack("{s:i, s:O, s:O}", "version", 2, "texts", texts, "objects", objs);
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		tmp = NULL;
		ret = -ENOMEM;
	} else if (!doc || json_dump_file(doc, tmp, JSON_COMPACT) || rename(tmp, path)) {
		ret = -errno ? -errno : -EIO;
		pr_warn("engine: cannot save applied objects to %s: %s\n", path,
			strerror(-ret));
		unlink(tmp);
	}
out:
	dfl_strmap__release(&index);
	json_decref(doc);
	json_decref(texts);
	json_decref(objs);
	free(tmp);
	free(path);
	return ret;
}

/* Puts <obj> into the compiler without the agent (which restores its own
 * pods, deployments and services). */
static int restore_one(struct dfl_engine *e, struct dfl_object *obj)
{
	switch (obj->kind) {
	case DFL_KIND_CNP:
	case DFL_KIND_CCNP:
	case DFL_KIND_KNP:
		return dfl_compiler__upsert_policy(e->compiler, obj->policy, NULL);
	case DFL_KIND_NAMESPACE:
		return dfl_compiler__upsert_namespace(e->compiler, obj->ns);
	case DFL_KIND_SERVICE:
		return dfl_compiler__upsert_service(e->compiler, obj->service);
	default:
		return 0;
	}
}

int engine_objects_restore(struct dfl_engine *e, char *err, size_t errlen)
{
	char *path = objects_path(e);
	struct dfl_strmap wanted = { 0 }; /* key -> applied_at + 1 */
	json_error_t jerr;
	json_t *doc, *ent, *texts;
	size_t i, restored = 0;

	if (!path)
		return 0;
	doc = json_load_file(path, 0, &jerr);
	if (!doc || json_integer_value(json_object_get(doc, "version")) != 2) {
		int missing = !doc && access(path, F_OK) != 0;

		if (!missing)
			snprintf(err, errlen,
				 "%s: %s: refusing to start without the policies it holds; fix or remove it",
				 path, doc ? "not a version 2 state file" : jerr.text);
		json_decref(doc);
		free(path);
		return missing ? 0 : -EINVAL;
	}
	json_array_foreach(json_object_get(doc, "objects"), i, ent) {
		const char *key = json_string_value(json_object_get(ent, "key"));

		if (key)
			dfl_strmap__set(&wanted, key,
					(void *)(uintptr_t)(json_integer_value(
						json_object_get(ent, "applied_at")) + 1), NULL);
	}
	/* Each text is parsed once; its objects that were applied come back. */
	texts = json_object_get(doc, "texts");
	json_array_foreach(texts, i, ent) {
		const char *file = json_string_value(json_object_get(ent, "file"));
		const json_t *content = json_object_get(ent, "content");
		struct dfl_objects *objs = dfl_objects__new();
		struct dfl_diags diags = { 0 };
		struct dfl_object *list = NULL;
		size_t n = 0;

		if (!file || !json_is_string(content) || !objs) {
			dfl_objects__free(objs);
			continue;
		}
		dfl_objects__load_buffer(objs, file, json_string_value(content),
					 json_string_length(content), &diags, NULL);
		for (size_t d = 0; d < diags.n; d++)
			if (diags.items[d].severity == DFL_SEV_ERROR)
				pr_warn("engine: restoring %s: %s\n", file, diags.items[d].message);
		dfl_diags__release(&diags);
		list = take_in_file_order(objs, &n);
		for (size_t j = 0; list && j < n; j++) {
			struct stored_obj *s = NULL;
			uintptr_t at;
			char *k;

			if (namespaced(list[j].kind) && !list[j].meta->namespace)
				list[j].meta->namespace = strdup("default");
			k = object_key(list[j].meta);
			at = k ? (uintptr_t)dfl_strmap__get(&wanted, k) : 0;
			if (at && !dfl_strmap__has(&e->objects, k))
				s = calloc(1, sizeof(*s));
			if (s && !restore_one(e, &list[j])) {
				s->obj = list[j];
				s->applied_at = (long long)(at - 1);
				s->file = strdup(file);
				s->content = strdup(json_string_value(content));
				dfl_strmap__set(&e->objects, k, s, NULL);
				restored++;
			} else {
				free(s);
				dfl_object__release(&list[j]);
			}
			free(k);
		}
		free(list);
		dfl_objects__free(objs);
	}
	json_decref(doc);
	dfl_strmap__release(&wanted);
	if (restored)
		pr_info("engine: restored %zu applied object(s) from %s\n", restored, path);
	free(path);
	return 0;
}

int engine_object_put(struct dfl_engine *e, struct dfl_object *obj,
		      const char *file, char *content, const char **verb,
		      char *err, size_t errlen)
{
	char *key;
	struct stored_obj *old, *s;
	int ret;

	if (namespaced(obj->kind) && !obj->meta->namespace) {
		obj->meta->namespace = strdup("default");
		if (!obj->meta->namespace)
			goto nomem;
	}
	key = object_key(obj->meta);
	if (!key)
		goto nomem;
	old = dfl_strmap__get(&e->objects, key);
	/* A pod's address is in its status, which the digest leaves out. */
	if (old && old->obj.meta->content_digest == obj->meta->content_digest &&
	    !(e->k8s && obj->kind == DFL_KIND_POD)) {
		*verb = "unchanged";
		dfl_object__release(obj);
		free(content);
		free(key);
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		free(key);
		goto nomem;
	}
	ret = apply_one(e, obj, err, errlen);
	if (ret) {
		free(s);
		free(key);
		dfl_object__release(obj);
		free(content);
		return ret;
	}
	*verb = old ? "configured" : "created";
	s->obj = *obj;
	s->applied_at = old ? old->applied_at : (long long)time(NULL);
	s->file = strdup(file);
	s->content = content;
	dfl_strmap__set(&e->objects, key, s, NULL);
	/* The compiler now points at the new policy: the old one may go. */
	stored_free(old);
	pr_info("%s/%s %s\n", dfl_kind__resource(s->obj.kind), s->obj.meta->name,
		*verb);
	free(key);
	return 0;
nomem:
	dfl_object__release(obj);
	free(content);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int engine_object_remove(struct dfl_engine *e, const char *key, char *err,
			 size_t errlen)
{
	struct stored_obj *s = dfl_strmap__get(&e->objects, key);
	int ret;

	if (!s)
		return -ENOENT;
	ret = delete_one(e, s, err, errlen);
	if (ret)
		return ret;
	dfl_strmap__del(&e->objects, key);
	stored_free(s);
	return 0;
}

/* The objects of an apply or delete request, in file order (owned by the
 * caller: release each, then free the array). Decoding errors go to
 * <errors>. Returns NULL with *<ret> set when the request is malformed
 * (the call's error is set) or memory runs out; NULL with *<ret> 0 when the
 * files hold no object. */
static struct dfl_object *decode_request(struct dfl_api_call *call, const char *op,
					 json_t *errors, size_t *n, int *ret)
{
	struct dfl_objects *objs = dfl_objects__new();
	struct dfl_object *list = NULL;

	*n = 0;
	*ret = objs ? decode_files(json_object_get(call->req, "files"), objs, errors) :
		      -ENOMEM;
	if (*ret == -EINVAL)
		*ret = dfl_api_call__fail(call, *ret,
					  "%s takes {\"files\": [{\"name\", \"content\"}]}", op);
	if (!*ret) {
		list = take_in_file_order(objs, n);
		if (!list && *n)
			*ret = -ENOMEM;
	}
	dfl_objects__free(objs);
	return list;
}

static int op_apply(void *ctx, struct dfl_api_call *call)
{
	struct dfl_engine *e = ctx;
	json_t *lines = json_array(), *errors = json_array();
	struct dfl_object *list = NULL;
	size_t n = 0;
	char err[512];
	int ret = -ENOMEM;

	if (!lines || !errors)
		goto out;
	list = decode_request(call, "apply", errors, &n, &ret);
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct dfl_object *obj = &list[i];
		enum dfl_kind kind = obj->kind;
		char *name = strdup(obj->meta->name);
		const char *file = obj->meta->pos.file ? obj->meta->pos.file : "<stdin>";
		const char *verb;

		if (!name) {
			dfl_object__release(obj);
			ret = -ENOMEM;
			break;
		}
		err[0] = '\0';
		ret = engine_object_put(e, obj, file, file_content(call->req, file),
					&verb, err, sizeof(err));
		if (ret == -ENOMEM) {
			free(name);
			break;
		}
		if (ret)
			json_array_append_new(errors, json_sprintf(
				"%s \"%s\": %s", dfl_kind__resource(kind), name, err));
		else
			json_array_append_new(lines, json_sprintf(
				"%s/%s %s", dfl_kind__resource(kind), name, verb));
		ret = 0;
		free(name);
	}
	if (!ret && engine_resolve_and_sync(e, err, sizeof(err)))
		json_array_append_new(errors, json_string(err));
	if (!ret && persist(e))
		json_array_append_new(errors, json_string(
			"the objects were applied but could not be saved: a restarted agent would not have them"));
	if (!ret)
		call->result = json_pack("{s:O, s:O}", "lines", lines, "errors", errors);
out:
	free(list);
	json_decref(lines);
	json_decref(errors);
	return ret < 0 && !call->error ? dfl_api_call__fail(call, ret, "apply: %s",
							    strerror(-ret)) : ret;
}

static int op_delete(void *ctx, struct dfl_api_call *call)
{
	struct dfl_engine *e = ctx;
	json_t *lines = json_array(), *errors = json_array();
	struct dfl_object *list = NULL;
	size_t n = 0;
	int ret = -ENOMEM;

	if (!lines || !errors)
		goto out;
	list = decode_request(call, "delete", errors, &n, &ret);
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct dfl_object *obj = &list[i];
		char *key, err[512] = "";
		int rc;

		if (namespaced(obj->kind) && !obj->meta->namespace)
			obj->meta->namespace = strdup("default");
		key = object_key(obj->meta);
		rc = key ? engine_object_remove(e, key, err, sizeof(err)) : -ENOMEM;
		if (rc == -ENOENT)
			json_array_append_new(errors, json_sprintf(
				"%s \"%s\" not found", dfl_kind__resource(obj->kind),
				obj->meta->name));
		else if (rc)
			json_array_append_new(errors, json_sprintf(
				"%s \"%s\": %s", dfl_kind__resource(obj->kind),
				obj->meta->name, err));
		else
			json_array_append_new(lines, json_sprintf(
				"%s \"%s\" deleted", dfl_kind__resource(obj->kind),
				obj->meta->name));
		dfl_object__release(obj);
		free(key);
	}
	{
		char err[512];

		if (engine_resolve_and_sync(e, err, sizeof(err)))
			json_array_append_new(errors, json_string(err));
		persist(e);
	}
	call->result = json_pack("{s:O, s:O}", "lines", lines, "errors", errors);
out:
	free(list);
	json_decref(lines);
	json_decref(errors);
	return ret;
}

/* kubectl's names for kinds: "cnp", "ciliumnetworkpolicies", ... */
static int parse_kind(const char *s)
{
	static const struct {
		const char *name;
		enum dfl_kind kind;
	} names[] = {
		{ "cnp", DFL_KIND_CNP },
		{ "ciliumnp", DFL_KIND_CNP },
		{ "ciliumnetworkpolicy", DFL_KIND_CNP },
		{ "ciliumnetworkpolicies", DFL_KIND_CNP },
		{ "ccnp", DFL_KIND_CCNP },
		{ "ciliumclusterwidenetworkpolicy", DFL_KIND_CCNP },
		{ "ciliumclusterwidenetworkpolicies", DFL_KIND_CCNP },
		{ "netpol", DFL_KIND_KNP },
		{ "networkpolicy", DFL_KIND_KNP },
		{ "networkpolicies", DFL_KIND_KNP },
		{ "svc", DFL_KIND_SERVICE },
		{ "service", DFL_KIND_SERVICE },
		{ "services", DFL_KIND_SERVICE },
		{ "deploy", DFL_KIND_DEPLOYMENT },
		{ "deployment", DFL_KIND_DEPLOYMENT },
		{ "deployments", DFL_KIND_DEPLOYMENT },
		{ "po", DFL_KIND_POD },
		{ "pod", DFL_KIND_POD },
		{ "pods", DFL_KIND_POD },
		{ "ns", DFL_KIND_NAMESPACE },
		{ "namespace", DFL_KIND_NAMESPACE },
		{ "namespaces", DFL_KIND_NAMESPACE },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcasecmp(names[i].name, s))
			return names[i].kind;
	return -1;
}

/* {"kind": "cnp"} -> {"items": [{"kind", "namespace", "name", "created",
 * "valid", "message"}]} sorted by namespace and name. */
static int op_get(void *ctx, struct dfl_api_call *call)
{
	struct dfl_engine *e = ctx;
	const char *kind_s = json_string_value(json_object_get(call->req, "kind"));
	int kind = kind_s ? parse_kind(kind_s) : -1;
	json_t *items = json_array();
	const char *key;
	void *v;
	size_t it = 0;

	if (kind < 0) {
		json_decref(items);
		return dfl_api_call__fail(call, -EINVAL,
					  "get: unknown resource type \"%s\" (cnp, ccnp, netpol, pods, deployments, services, namespaces)",
					  kind_s ? kind_s : "");
	}
	while (dfl_strmap__next(&e->objects, &it, &key, &v)) {
		struct stored_obj *s = v;
		const struct dfl_meta *m = s->obj.meta;

		if ((int)m->kind != kind)
			continue;
		json_array_append_new(items, json_pack(
			"{s:s, s:s?, s:s, s:I, s:b, s:s}", "kind", dfl_kind__name(m->kind),
			"namespace", m->namespace, "name", m->name, "created",
			(json_int_t)s->applied_at, "valid", 1, "message",
			"Policy validation succeeded"));
	}
	/* Kubernetes mode: policies of the cluster that failed validation. */
	it = 0;
	{
		const char *msg;
		char prefix[128];

		snprintf(prefix, sizeof(prefix), "%s/", dfl_kind__name((enum dfl_kind)kind));
		while (engine_k8s_next_invalid(e, &it, &key, &msg)) {
			const char *ns = key + strlen(prefix), *slash = strchr(ns, '/');

			if (strncmp(key, prefix, strlen(prefix)) || !slash)
				continue;
			json_array_append_new(items, json_pack(
				"{s:s, s:o, s:s, s:I, s:b, s:s}", "kind",
				dfl_kind__name((enum dfl_kind)kind), "namespace",
				slash > ns ? json_stringn(ns, (size_t)(slash - ns)) : json_null(),
				"name", slash + 1, "created", (json_int_t)0, "valid", 0,
				"message", msg));
		}
	}
	/* The store is a hash: sort for a stable listing. */
	{
		size_t n = json_array_size(items);

		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0; j--) {
				json_t *a = json_array_get(items, j - 1), *b = json_array_get(items, j);
				char ka[512], kb[512];

				snprintf(ka, sizeof(ka), "%s/%s",
					 json_string_value(json_object_get(a, "namespace")) ?: "",
					 json_string_value(json_object_get(a, "name")));
				snprintf(kb, sizeof(kb), "%s/%s",
					 json_string_value(json_object_get(b, "namespace")) ?: "",
					 json_string_value(json_object_get(b, "name")));
				if (strcmp(ka, kb) <= 0)
					break;
				json_incref(a);
				json_array_set(items, j - 1, b);
				json_array_set_new(items, j, a);
			}
	}
	call->result = json_pack("{s:o}", "items", items);
	return 0;
}

static int op_identity_list(void *ctx, struct dfl_api_call *call)
{
	struct dfl_engine *e = ctx;
	struct dfl_idalloc *ids;
	json_t *items = json_array();

	pthread_rwlock_rdlock(&e->lock);
	ids = dfl_compiler__identities(e->compiler);
	for (size_t i = 0; i < dfl_idalloc__count(ids); i++) {
		const struct dfl_identity *id = dfl_idalloc__at(ids, i);
		json_t *labels = json_array();

		for (size_t l = 0; l < id->labels.n; l++) {
			const struct dfl_label *lb = &id->labels.items[l];

			json_array_append_new(labels, *lb->value ?
				json_sprintf("%s:%s=%s", lb->source, lb->key, lb->value) :
				json_sprintf("%s:%s", lb->source, lb->key));
		}
		json_array_append_new(items, json_pack("{s:I, s:o}", "id",
						       (json_int_t)id->id, "labels", labels));
	}
	pthread_rwlock_unlock(&e->lock);
	call->result = json_pack("{s:o}", "items", items);
	return 0;
}

static int op_status(void *ctx, struct dfl_api_call *call)
{
	struct dfl_engine *e = ctx;
	struct dfl_endpoint *const *eps;
	size_t n_eps = dfl_agent__endpoints(e->agent, &eps), n_pol = 0;
	const char *key;
	void *v;
	size_t it = 0;
	__u64 lost = 0;

	while (dfl_strmap__next(&e->objects, &it, &key, &v)) {
		const struct stored_obj *s = v;

		n_pol += s->obj.kind == DFL_KIND_CNP || s->obj.kind == DFL_KIND_CCNP ||
			 s->obj.kind == DFL_KIND_KNP;
	}
	dfl_datapath__events_lost(e->dp, &lost);
	pthread_rwlock_rdlock(&e->lock);
	call->result = json_pack(
		"{s:I, s:I, s:I, s:b, s:b, s:I, s:I, s:I}", "endpoints",
		(json_int_t)n_eps, "policies", (json_int_t)n_pol, "identities",
		(json_int_t)dfl_idalloc__count(dfl_compiler__identities(e->compiler)),
		"datapath_adopted", dfl_datapath__adopted(e->dp), "proxy",
		e->proxy_running, "flows_seen", (json_int_t)e->flows_seen,
		"events_lost", (json_int_t)lost, "policy_generation",
		(json_int_t)e->generation);
	if (call->result && e->k8s)
		json_object_set_new(call->result, "kubernetes", engine_k8s_status(e));
	if (call->result && e->fqdn)
		json_object_set_new(call->result, "fqdn", engine_fqdn_status(e));
	pthread_rwlock_unlock(&e->lock);
	return 0;
}

int engine_objects_register(struct dfl_engine *e)
{
	struct dfl_api *api = dfl_agent__api(e->agent);
	int err = 0;

	/* In Kubernetes mode the API server is the only source of objects. */
	if (!e->k8s)
		err = dfl_api__register(api, "apply", "apply manifests (kubectl apply)",
					op_apply, e);
	if (!err && !e->k8s)
		err = dfl_api__register(api, "delete", "delete the objects of manifests",
					op_delete, e);
	if (!err)
		err = dfl_api__register(api, "get", "list applied objects of a kind", op_get, e);
	if (!err)
		err = dfl_api__register(api, "identity.list", "list security identities",
					op_identity_list, e);
	if (!err)
		err = dfl_api__register(api, "engine.status",
					"policy engine, datapath and proxy status",
					op_status, e);
	return err;
}

void engine_objects_release(struct dfl_engine *e)
{
	const char *key;
	void *v;
	size_t it = 0;

	/* The compiler borrows the policies: it goes first (dfl_engine__free
	 * frees it after this), so only free what it no longer needs. */
	while (dfl_strmap__next(&e->objects, &it, &key, &v))
		stored_free(v);
	dfl_strmap__release(&e->objects);
}
