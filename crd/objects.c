/* The object set, kind dispatch, and loading of files, directories, stdin
 * and buffers (crd/objects.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crd/decoders.h"
#include "crd/digest.h"
#include "crd/load.h"
#include "util/diag.h"
#include "util/intern.h"
#include "util/mem.h"
#include "util/strbuf.h"

static const struct kind_info {
	const char *name;
	const char *api_version;
	const char *resource;
} kinds[DFL_KIND__COUNT] = {
    [DFL_KIND_CNP] = {"CiliumNetworkPolicy", "cilium.io/v2",
		      "ciliumnetworkpolicy.cilium.io"},
    [DFL_KIND_CCNP] = {"CiliumClusterwideNetworkPolicy", "cilium.io/v2",
		       "ciliumclusterwidenetworkpolicy.cilium.io"},
    [DFL_KIND_KNP] = {"NetworkPolicy", "networking.k8s.io/v1",
		      "networkpolicy.networking.k8s.io"},
    [DFL_KIND_POD] = {"Pod", "v1", "pod"},
    [DFL_KIND_DEPLOYMENT] = {"Deployment", "apps/v1", "deployment.apps"},
    [DFL_KIND_SERVICE] = {"Service", "v1", "service"},
    [DFL_KIND_NAMESPACE] = {"Namespace", "v1", "namespace"},
};

const char *dfl_kind__name(enum dfl_kind kind)
{
	return kind < DFL_KIND__COUNT ? kinds[kind].name : "Unknown";
}

const char *dfl_kind__resource(enum dfl_kind kind)
{
	return kind < DFL_KIND__COUNT ? kinds[kind].resource : "unknown";
}

struct dfl_objects *dfl_objects__new(void)
{
	struct dfl_objects *objs = calloc(1, sizeof(*objs));

	if (!objs)
		errno = ENOMEM;
	return objs;
}

void dfl_objects__free(struct dfl_objects *objs)
{
	if (!objs)
		return;
	for (size_t i = 0; i < objs->n_policies; i++)
		dfl_policy__free(objs->policies[i]);
	for (size_t i = 0; i < objs->n_pods; i++)
		dfl_pod__free(objs->pods[i]);
	for (size_t i = 0; i < objs->n_deployments; i++)
		dfl_deployment__free(objs->deployments[i]);
	for (size_t i = 0; i < objs->n_services; i++)
		dfl_service__free(objs->services[i]);
	for (size_t i = 0; i < objs->n_namespaces; i++)
		dfl_namespace__free(objs->namespaces[i]);
	free(objs->policies);
	free(objs->pods);
	free(objs->deployments);
	free(objs->services);
	free(objs->namespaces);
	free(objs);
}

static bool same(const struct dfl_meta *m, enum dfl_kind kind, const char *ns,
		 const char *name)
{
	return m->kind == kind && m->name && !strcmp(m->name, name) &&
	       (!ns ? !m->namespace
		    : m->namespace && !strcmp(m->namespace, ns));
}

/* The slot array of <kind> in <objs>, as generic pointers. */
static void ***slots(struct dfl_objects *objs, enum dfl_kind kind, size_t **n,
		     size_t **cap)
{
	switch (kind) {
	case DFL_KIND_CNP:
	case DFL_KIND_CCNP:
	case DFL_KIND_KNP:
		*n = &objs->n_policies, *cap = &objs->cap_policies;
		return (void ***)&objs->policies;
	case DFL_KIND_POD:
		*n = &objs->n_pods, *cap = &objs->cap_pods;
		return (void ***)&objs->pods;
	case DFL_KIND_DEPLOYMENT:
		*n = &objs->n_deployments, *cap = &objs->cap_deployments;
		return (void ***)&objs->deployments;
	case DFL_KIND_SERVICE:
		*n = &objs->n_services, *cap = &objs->cap_services;
		return (void ***)&objs->services;
	case DFL_KIND_NAMESPACE:
		*n = &objs->n_namespaces, *cap = &objs->cap_namespaces;
		return (void ***)&objs->namespaces;
	case DFL_KIND__COUNT:
		break;
	}
	return NULL;
}

/* Index of the object with <m>'s kind, namespace and name, or -1. */
static ssize_t find_same(struct dfl_objects *objs, const struct dfl_meta *m)
{
	size_t *n, *cap;
	void ***arr = slots(objs, m->kind, &n, &cap);

	for (size_t i = 0; arr && i < *n; i++)
		if (same((const struct dfl_meta *)(*arr)[i], m->kind,
			 m->namespace, m->name))
			return (ssize_t)i;
	return -1;
}

int dfl_objects__add(struct dfl_objects *objs, struct dfl_object *obj)
{
	size_t *n, *cap;
	void ***arr = slots(objs, obj->kind, &n, &cap);
	ssize_t i = arr ? find_same(objs, obj->meta) : -1;

	if (!arr) {
		dfl_object__release(obj);
		return -EINVAL;
	}
	if (i >= 0) {
		/* Same kind, namespace and name: the newer object replaces the
		 * older one, as a later kubectl apply would. */
		struct dfl_object old = {.kind = obj->kind, .meta = (*arr)[i]};

		dfl_object__release(&old);
		(*arr)[i] = obj->meta;
		obj->meta = NULL;
		return 0;
	}
	{
		void *items = *arr;

		if (dfl_grow(&items, cap, *n + 1, sizeof(void *))) {
			dfl_object__release(obj);
			return -ENOMEM;
		}
		*arr = items;
	}
	(*arr)[(*n)++] = obj->meta;
	obj->meta = NULL;
	return 0;
}

struct dfl_policy *dfl_objects__find_policy(const struct dfl_objects *objs,
					    enum dfl_kind kind, const char *ns,
					    const char *name)
{
	for (size_t i = 0; i < objs->n_policies; i++)
		if (same(&objs->policies[i]->meta, kind, ns, name))
			return objs->policies[i];
	return NULL;
}

struct dfl_pod *dfl_objects__find_pod(const struct dfl_objects *objs,
				      const char *ns, const char *name)
{
	for (size_t i = 0; i < objs->n_pods; i++)
		if (same(&objs->pods[i]->meta, DFL_KIND_POD, ns, name))
			return objs->pods[i];
	return NULL;
}

struct dfl_service *dfl_objects__find_service(const struct dfl_objects *objs,
					      const char *ns, const char *name)
{
	for (size_t i = 0; i < objs->n_services; i++)
		if (same(&objs->services[i]->meta, DFL_KIND_SERVICE, ns, name))
			return objs->services[i];
	return NULL;
}

struct dfl_namespace *
dfl_objects__find_namespace(const struct dfl_objects *objs, const char *name)
{
	for (size_t i = 0; i < objs->n_namespaces; i++)
		if (same(&objs->namespaces[i]->meta, DFL_KIND_NAMESPACE, NULL,
			 name))
			return objs->namespaces[i];
	return NULL;
}

/* ---- decoding one object ------------------------------------------------ */

static int alloc_and_decode(struct dfl_dc *dc, const json_t *root,
			    enum dfl_kind kind, struct dfl_object *out)
{
	static const size_t sizes[DFL_KIND__COUNT] = {
	    [DFL_KIND_CNP] = sizeof(struct dfl_policy),
	    [DFL_KIND_CCNP] = sizeof(struct dfl_policy),
	    [DFL_KIND_KNP] = sizeof(struct dfl_policy),
	    [DFL_KIND_POD] = sizeof(struct dfl_pod),
	    [DFL_KIND_DEPLOYMENT] = sizeof(struct dfl_deployment),
	    [DFL_KIND_SERVICE] = sizeof(struct dfl_service),
	    [DFL_KIND_NAMESPACE] = sizeof(struct dfl_namespace),
	};
	int ret;

	out->kind = kind;
	out->meta = calloc(1, sizes[kind]);
	if (!out->meta)
		return -ENOMEM;
	dc->kind = kind;
	ret = dfl_decode_meta(dc, root, kind, out->meta);
	switch (kind) {
	case DFL_KIND_CNP:
	case DFL_KIND_CCNP:
		ret |= dfl_decode_cilium_policy(dc, root, out->policy);
		break;
	case DFL_KIND_KNP:
		/* The translation needs the namespace meta decoded. */
		ret |= dfl_decode_knp(dc, root, out->policy);
		break;
	case DFL_KIND_POD:
		ret |= dfl_decode_pod(dc, root, out->pod);
		break;
	case DFL_KIND_DEPLOYMENT:
		ret |= dfl_decode_deployment(dc, root, out->deployment);
		break;
	case DFL_KIND_SERVICE:
		ret |= dfl_decode_service(dc, root, out->service);
		break;
	case DFL_KIND_NAMESPACE:
		ret |= dfl_decode_namespace(dc, root, out->ns);
		break;
	case DFL_KIND__COUNT:
		break;
	}
	if (dc->nomem) {
		dfl_object__release(out);
		return -ENOMEM;
	}
	if (ret && !dc->errors)
		/* Every rejection must tell the user why; this one did not. */
		dc_error(
		    dc, root, "internal-error",
		    "rejected without a reason (a bug in deflector's decoder)");
	if (dc->errors) {
		dfl_object__release(out);
		return -EINVAL;
	}
	return 0;
}

/* Decodes one object; <kind_hint> and <api_hint> come from a typed list
 * (its items may omit kind and apiVersion). */
static int decode_object(struct dfl_dc *dc, const json_t *root,
			 const char *kind_hint, const char *api_hint,
			 struct dfl_object *out)
{
	char buf[96];
	const json_t *k, *a;
	const char *kind, *api;
	const json_t *md, *name;

	memset(out, 0, sizeof(*out));
	dc->errors = 0;
	if (!json_is_object(root)) {
		dc_error(dc, root, "not-an-object",
			 "a Kubernetes object must be a mapping, got %s",
			 dc_describe(root, buf, sizeof(buf)));
		return -EINVAL;
	}
	k = dc_get(root, "kind");
	a = dc_get(root, "apiVersion");
	if ((k && !json_is_string(k)) || (a && !json_is_string(a))) {
		dc_error(dc, k && !json_is_string(k) ? k : a, "wrong-type",
			 "kind and apiVersion must be strings");
		return -EINVAL;
	}
	kind = k ? json_string_value(k) : kind_hint;
	api = a ? json_string_value(a) : api_hint;
	if (!kind || !*kind) {
		dc_error(dc, root, "missing-kind", "Object 'Kind' is missing");
		return -EINVAL;
	}
	for (int i = 0; i < DFL_KIND__COUNT; i++) {
		if (strcmp(kind, kinds[i].name))
			continue;
		if (!api || strcmp(api, kinds[i].api_version)) {
			dc_error(dc, a ? a : root, "unsupported-api-version",
				 "%s must use apiVersion %s, not \"%s\"", kind,
				 kinds[i].api_version, api ? api : "");
			return -EINVAL;
		}
		return alloc_and_decode(dc, root, (enum dfl_kind)i, out);
	}
	md = dc_get(root, "metadata");
	name = dc_get(md, "name");
	if (dfl_diags__add(dc->diags, DFL_SEV_NOTE, dc_pos(dc, root), NULL,
			   "skipped-kind", NULL,
			   "skipping %s%s%s: kind not handled", kind,
			   json_is_string(name) ? " " : "",
			   json_is_string(name) ? json_string_value(name) : ""))
		return -ENOMEM;
	return -ENOTSUP;
}

int dfl_object__decode_json(const json_t *root, const char *origin,
			    struct dfl_object *out, struct dfl_diags *diags)
{
	struct dfl_dc dc = {.diags = diags};
	int ret;

	dc.file = dfl_intern(origin ? origin : "<api>");
	if (!dc.file)
		return -ENOMEM;
	ret = decode_object(&dc, root, NULL, NULL, out);
	if (!ret)
		out->meta->content_digest = dfl_content_digest(root);
	if (!ret && dc.nomem) {
		dfl_object__release(out);
		ret = -ENOMEM;
	}
	dfl_dc__release(&dc);
	return ret;
}

/* ---- loading ----------------------------------------------------------- */

struct loader {
	struct dfl_objects *objs;
	struct dfl_diags *diags;
	struct dfl_load_stats *stats;
	struct dfl_postab pt;
	struct dfl_docs docs;
};

static bool pos_le(unsigned l1, unsigned c1, unsigned l2, unsigned c2)
{
	return l1 < l2 || (l1 == l2 && c1 <= c2);
}

/* Whether a loader error (duplicate key, ...) lies inside <root>'s text. */
static bool has_bad_text(const struct loader *ld, const json_t *root)
{
	const struct dfl_postab_ent *e = dfl_postab__get(&ld->pt, root);

	for (size_t i = 0; e && i < ld->docs.n_bad; i++) {
		const struct dfl_pos *p = &ld->docs.bad[i];

		if (pos_le(e->line, e->col, p->line, p->col) &&
		    (!e->end_line ||
		     pos_le(p->line, p->col, e->end_line, e->end_col)))
			return true;
	}
	return false;
}

static int load_object(struct loader *ld, const json_t *root,
		       const char *kind_hint, const char *api_hint)
{
	struct dfl_dc dc = {
	    .pt = &ld->pt, .file = ld->pt.file, .diags = ld->diags};
	struct dfl_object obj;
	int ret = decode_object(&dc, root, kind_hint, api_hint, &obj);

	if (!ret && has_bad_text(ld, root)) {
		dfl_object__release(&obj);
		ret = -EINVAL;
	}
	if (!ret)
		obj.meta->content_digest = dfl_content_digest(root);
	if (!ret) {
		ssize_t prev = find_same(ld->objs, obj.meta);

		if (prev >= 0) {
			size_t *n, *cap;
			const struct dfl_meta *old =
			    (*slots(ld->objs, obj.kind, &n, &cap))[prev];
			char where[512];

			if (dfl_diags__add(
				ld->diags, DFL_SEV_WARNING, obj.meta->pos, NULL,
				"duplicate-object", dc.object,
				"replaces the object of the same name from %s",
				dfl_pos__fmt(old->pos, where, sizeof(where))))
				ret = -ENOMEM;
		}
		if (!ret)
			ret = dfl_objects__add(ld->objs, &obj);
		else
			dfl_object__release(&obj);
		if (!ret && ld->stats)
			ld->stats->objects++;
	} else if (ret == -EINVAL && ld->stats) {
		ld->stats->invalid++;
	} else if (ret == -ENOTSUP) {
		if (ld->stats)
			ld->stats->skipped++;
		ret = 0;
	}
	dfl_dc__release(&dc);
	return ret == -EINVAL ? 0 : ret;
}

/* "PodList" -> "Pod"; NULL for "List" and for kinds without the suffix. */
static char *list_item_kind(const char *kind)
{
	size_t n = strlen(kind);

	if (n <= 4 || strcmp(kind + n - 4, "List"))
		return NULL;
	return strndup(kind, n - 4);
}

static int load_doc(struct loader *ld, const json_t *root)
{
	const json_t *kind = dc_get(root, "kind"),
		     *items = dc_get(root, "items");
	const char *k = json_string_value(kind);
	int ret = 0;

	if (!root || json_is_null(root))
		return 0; /* empty document */
	if (k && json_is_array(items) &&
	    (!strcmp(k, "List") ||
	     (strlen(k) > 4 && !strcmp(k + strlen(k) - 4, "List")))) {
		const char *api = json_string_value(dc_get(root, "apiVersion"));
		char *item_kind = list_item_kind(k);

		if (strcmp(k, "List") && !item_kind)
			return -ENOMEM;
		for (size_t i = 0; !ret && i < json_array_size(items); i++)
			ret = load_object(ld, json_array_get(items, i),
					  item_kind, item_kind ? api : NULL);
		free(item_kind);
		return ret;
	}
	return load_object(ld, root, NULL, NULL);
}

/* Whether the first '{' is followed by a quoted key ('{"'), as in JSON. */
static bool quoted_first_key(const char *buf, size_t len)
{
	const char *p = memchr(buf, '{', len);

	for (p = p ? p + 1 : buf + len; p < buf + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return *p == '"';
	return false;
}

/* Parses <buf> into ld->docs: JSON when it looks like JSON, else YAML. A
 * text starting with '{' that fails as JSON and whose first key is not
 * quoted is a YAML flow mapping ("{kind: Pod, ...}"); otherwise the JSON
 * error stands. */
static int parse(struct loader *ld, const char *buf, size_t len)
{
	struct dfl_diags jdiags = {0}, ydiags = {0};
	int err;

	if (!dfl_load__looks_like_json(buf, len))
		return dfl_yaml__load(buf, len, &ld->docs, &ld->pt, ld->diags);
	err = dfl_json__load(buf, len, &ld->docs, &ld->pt, &jdiags);
	if (err == -EINVAL && !ld->docs.n && !quoted_first_key(buf, len)) {
		struct dfl_postab ypt = {.file = ld->pt.file};
		struct dfl_docs ydocs = {0};

		if (!dfl_yaml__load(buf, len, &ydocs, &ypt, &ydiags)) {
			dfl_docs__release(&ld->docs);
			dfl_postab__release(&ld->pt);
			ld->docs = ydocs;
			ld->pt = ypt;
			dfl_diags__release(&jdiags);
			jdiags = ydiags;
			memset(&ydiags, 0, sizeof(ydiags));
			err = 0;
		} else {
			dfl_docs__release(&ydocs);
			dfl_postab__release(&ypt);
		}
	}
	if (dfl_diags__move(ld->diags, &jdiags))
		err = -ENOMEM;
	dfl_diags__release(&jdiags);
	dfl_diags__release(&ydiags);
	return err;
}

int dfl_objects__load_buffer(struct dfl_objects *objs, const char *name,
			     const char *buf, size_t len,
			     struct dfl_diags *diags,
			     struct dfl_load_stats *stats)
{
	struct loader ld = {.objs = objs, .diags = diags, .stats = stats};
	int err, ret = 0;

	ld.pt.file = dfl_intern(name ? name : "<buffer>");
	if (!ld.pt.file)
		return -ENOMEM;
	if (stats)
		stats->files++;
	err = parse(&ld, buf, len);
	if (err == -EINVAL && stats)
		stats->unreadable++;
	if (stats)
		stats->documents += ld.docs.n;
	/* Documents before a syntax error are still used. */
	for (size_t i = 0; !ret && err != -ENOMEM && i < ld.docs.n; i++)
		ret = load_doc(&ld, ld.docs.items[i].root);
	dfl_docs__release(&ld.docs);
	dfl_postab__release(&ld.pt);
	return err ? err : ret;
}

static int read_fd(int fd, char **out, size_t *len)
{
	struct dfl_strbuf sb = {0};
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			dfl_strbuf__release(&sb);
			return err;
		}
		if (!n)
			break;
		if (dfl_strbuf__append(&sb, chunk, (size_t)n)) {
			dfl_strbuf__release(&sb);
			return -ENOMEM;
		}
	}
	*len = sb.len;
	*out = dfl_strbuf__detach(&sb);
	return *out ? 0 : -ENOMEM;
}

static int load_file(struct dfl_objects *objs, const char *path, int fd,
		     struct dfl_diags *diags, struct dfl_load_stats *stats)
{
	char *buf = NULL;
	size_t len = 0;
	int err = read_fd(fd, &buf, &len);

	if (err) {
		dfl_diags__add(diags, DFL_SEV_ERROR,
			       (struct dfl_pos){dfl_intern(path), 0, 0}, NULL,
			       "read-error", NULL, "cannot read: %s",
			       strerror(-err));
		if (stats)
			stats->unreadable++;
		return err;
	}
	err = dfl_objects__load_buffer(objs, path, buf, len, diags, stats);
	free(buf);
	return err;
}

static bool manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int load_any(struct dfl_objects *objs, const char *path,
		    struct dfl_diags *diags, struct dfl_load_stats *stats,
		    unsigned depth);

static int load_dir(struct dfl_objects *objs, const char *path,
		    struct dfl_diags *diags, struct dfl_load_stats *stats,
		    unsigned depth)
{
	struct dirent **ents = NULL;
	int n = scandir(path, &ents, NULL, cmp_names), ret = 0;

	if (n < 0) {
		int err = -errno;

		dfl_diags__add(diags, DFL_SEV_ERROR,
			       (struct dfl_pos){dfl_intern(path), 0, 0}, NULL,
			       "read-error", NULL, "cannot list directory: %s",
			       strerror(-err));
		if (stats)
			stats->unreadable++;
		return err;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct dfl_strbuf sub = {0};
		struct stat st;
		int err = 0;

		/* Hidden entries: "..data" symlinks of mounted ConfigMaps,
		 * editor swap files, .git. */
		if (name[0] == '.')
			goto next;
		dfl_strbuf__printf(&sub, "%s%s%s", path,
				   path[strlen(path) - 1] == '/' ? "" : "/", name);
		if (sub.err) {
			err = -ENOMEM;
		} else if (stat(sub.buf, &st)) {
			err = 0; /* a dangling symlink: not a manifest */
		} else if (S_ISDIR(st.st_mode)) {
			err = load_any(objs, sub.buf, diags, stats, depth + 1);
		} else if (S_ISREG(st.st_mode) && manifest_name(name)) {
			err = load_any(objs, sub.buf, diags, stats, depth + 1);
		}
		if (err && !ret)
			ret = err;
		dfl_strbuf__release(&sub);
	next:
		free(ents[i]);
	}
	free(ents);
	return ret;
}

static int load_any(struct dfl_objects *objs, const char *path,
		    struct dfl_diags *diags, struct dfl_load_stats *stats,
		    unsigned depth)
{
	struct stat st;
	int fd, err;

	if (depth > 32) {
		dfl_diags__add(
		    diags, DFL_SEV_ERROR,
		    (struct dfl_pos){dfl_intern(path), 0, 0}, NULL,
		    "read-error", NULL,
		    "directories nest deeper than 32 levels (a symlink loop?)");
		return -ELOOP;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		dfl_diags__add(diags, DFL_SEV_ERROR,
			       (struct dfl_pos){dfl_intern(path), 0, 0}, NULL,
			       "read-error", NULL, "cannot open: %s",
			       strerror(-err));
		if (stats)
			stats->unreadable++;
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return load_dir(objs, path, diags, stats, depth);
	}
	err = load_file(objs, path, fd, diags, stats);
	close(fd);
	return err;
}

int dfl_objects__load_path(struct dfl_objects *objs, const char *path,
			   struct dfl_diags *diags,
			   struct dfl_load_stats *stats)
{
	if (!strcmp(path, "-"))
		return load_file(objs, "<stdin>", STDIN_FILENO, diags, stats);
	return load_any(objs, path, diags, stats, 0);
}
