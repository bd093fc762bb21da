#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/allocator.h"
#include "identity/hash.h"
#include "identity/labels.h"
#include "identity/podlabels.h"
#include "util/mem.h"
#include "util/strbuf.h"

struct dfl_idalloc {
	struct dfl_u64map by_id;   /* id -> struct dfl_identity * */
	struct dfl_hmap by_labels; /* canonical labels -> struct dfl_identity * */
	struct dfl_identity **sorted; /* by id; rebuilt when dirty */
	size_t n_sorted, cap_sorted;
	bool dirty;
	char *cluster;
	char *cilium_ns;
};

static const struct {
	uint32_t id;
	const char *name;
} reserved_names[] = {
	{ DFL_ID_HOST, "host" },
	{ DFL_ID_WORLD, "world" },
	{ DFL_ID_UNMANAGED, "unmanaged" },
	{ DFL_ID_HEALTH, "health" },
	{ DFL_ID_INIT, "init" },
	{ DFL_ID_REMOTE_NODE, "remote-node" },
	{ DFL_ID_KUBE_APISERVER, "kube-apiserver" },
	{ DFL_ID_INGRESS, "ingress" },
	{ DFL_ID_WORLD_IPV4, "world-ipv4" },
	{ DFL_ID_WORLD_IPV6, "world-ipv6" },
	{ DFL_ID_ETCD_OPERATOR, "etcd-operator" },
	{ DFL_ID_CILIUM_KVSTORE, "cilium-kvstore" },
	{ DFL_ID_KUBE_DNS, "kube-dns" },
	{ DFL_ID_EKS_KUBE_DNS, "eks-kube-dns" },
	{ DFL_ID_CORE_DNS, "core-dns" },
	{ DFL_ID_CILIUM_OPERATOR, "cilium-operator" },
	{ DFL_ID_EKS_CORE_DNS, "eks-core-dns" },
	{ DFL_ID_CILIUM_ETCD_OPERATOR, "cilium-etcd-operator" },
};

const char *dfl_identity_reserved_name(uint32_t id)
{
	if (id >= 108 && id <= 115)
		id -= 8;
	for (size_t i = 0; i < DFL_ARRAY_SIZE(reserved_names); i++)
		if (reserved_names[i].id == id)
			return reserved_names[i].name;
	return NULL;
}

uint32_t dfl_identity_reserved_by_name(const char *name)
{
	for (size_t i = 0; i < DFL_ARRAY_SIZE(reserved_names); i++)
		if (!strcmp(reserved_names[i].name, name))
			return reserved_names[i].id;
	return 0;
}

static void identity_free(struct dfl_identity *id)
{
	if (!id)
		return;
	dfl_labels__release(&id->labels);
	free(id->canon);
	free(id);
}

/* Adds <id> with a copy of <ls>; no checks. */
static int put_identity(struct dfl_idalloc *a, uint32_t id,
			const struct dfl_labels *ls, bool reserved,
			struct dfl_identity **out)
{
	struct dfl_identity *ident = calloc(1, sizeof(*ident));
	struct dfl_hmap_slot *s;

	if (!ident)
		return -ENOMEM;
	ident->id = id;
	ident->refs = 1;
	ident->reserved = reserved;
	if (dfl_labels__copy(&ident->labels, ls))
		goto nomem;
	ident->canon = dfl_labels__canonical(ls);
	if (!ident->canon)
		goto nomem;
	s = dfl_hmap__upsert(&a->by_labels, ident->canon, strlen(ident->canon),
			     NULL);
	if (!s)
		goto nomem;
	if (dfl_u64map__put(&a->by_id, id, (uint64_t)(uintptr_t)ident)) {
		dfl_hmap__remove(&a->by_labels, ident->canon,
				 strlen(ident->canon));
		goto nomem;
	}
	s->val.ptr = ident;
	a->dirty = true;
	if (out)
		*out = ident;
	return 0;
nomem:
	identity_free(ident);
	return -ENOMEM;
}

static int add_reserved(struct dfl_idalloc *a, uint32_t id,
			const char *const *labels, size_t n)
{
	struct dfl_labels ls = { 0 };
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct dfl_label l;

		err = dfl_label__parse(labels[i], "k8s", &l);
		if (!err) {
			err = dfl_labels__set(&ls, l.source, l.key, l.value);
			dfl_label__release(&l);
		}
	}
	if (!err)
		err = put_identity(a, id, &ls, true, NULL);
	dfl_labels__release(&ls);
	return err;
}

/* The well-known identities (pkg/identity/numericidentity.go
 * InitWellKnownIdentities): exact label sets, each twice, the second with
 * the namespace's kubernetes.io/metadata.name label. V20 no longer
 * registers the etcd ones (100, 101, 107 and their pairs). */
static int add_well_known(struct dfl_idalloc *a)
{
	const char *cns = a->cilium_ns, *cl = a->cluster;
	char ns_c[256], ns_ks[128], cluster[256], nsname_c[256],
		nsname_ks[160];
	struct {
		uint32_t id;
		const char *l[8];
		const char *ns_name;
	} wk[] = {
		{ DFL_ID_KUBE_DNS,
		  { "k8s:k8s-app=kube-dns", ns_ks,
		    "k8s:" DFL_LBL_SERVICEACCOUNT "=kube-dns", cluster },
		  nsname_ks },
		{ DFL_ID_EKS_KUBE_DNS,
		  { "k8s:k8s-app=kube-dns",
		    "k8s:eks.amazonaws.com/component=kube-dns", ns_ks,
		    "k8s:" DFL_LBL_SERVICEACCOUNT "=kube-dns", cluster },
		  nsname_ks },
		{ DFL_ID_CORE_DNS,
		  { "k8s:k8s-app=kube-dns", ns_ks,
		    "k8s:" DFL_LBL_SERVICEACCOUNT "=coredns", cluster },
		  nsname_ks },
		{ DFL_ID_CILIUM_OPERATOR,
		  { "k8s:name=cilium-operator", "k8s:io.cilium/app=operator",
		    "k8s:app.kubernetes.io/part-of=cilium",
		    "k8s:app.kubernetes.io/name=cilium-operator", ns_c,
		    "k8s:" DFL_LBL_SERVICEACCOUNT "=cilium-operator", cluster },
		  nsname_c },
		{ DFL_ID_EKS_CORE_DNS,
		  { "k8s:k8s-app=kube-dns",
		    "k8s:eks.amazonaws.com/component=coredns", ns_ks,
		    "k8s:" DFL_LBL_SERVICEACCOUNT "=coredns", cluster },
		  nsname_ks },
	};
	int err = 0;

	snprintf(ns_c, sizeof(ns_c), "k8s:" DFL_LBL_NAMESPACE "=%s", cns);
	snprintf(ns_ks, sizeof(ns_ks), "k8s:" DFL_LBL_NAMESPACE "=kube-system");
	snprintf(cluster, sizeof(cluster), "k8s:" DFL_LBL_CLUSTER "=%s", cl);
	snprintf(nsname_c, sizeof(nsname_c), "k8s:" DFL_LBL_NS_NAME "=%s", cns);
	snprintf(nsname_ks, sizeof(nsname_ks),
		 "k8s:" DFL_LBL_NS_NAME "=kube-system");
	for (size_t i = 0; i < DFL_ARRAY_SIZE(wk) && !err; i++) {
		size_t n = 0;

		while (n < 7 && wk[i].l[n])
			n++;
		err = add_reserved(a, wk[i].id, wk[i].l, n);
		wk[i].l[n] = wk[i].ns_name;
		if (!err)
			err = add_reserved(a, wk[i].id + 8, wk[i].l, n + 1);
	}
	return err;
}

struct dfl_idalloc *dfl_idalloc__new(const char *cluster, const char *cilium_ns)
{
	static const struct {
		uint32_t id;
		const char *l[2];
		size_t n;
	} reserved[] = {
		{ DFL_ID_HOST, { "reserved:host" }, 1 },
		{ DFL_ID_WORLD, { "reserved:world" }, 1 },
		{ DFL_ID_UNMANAGED, { "reserved:unmanaged" }, 1 },
		{ DFL_ID_HEALTH, { "reserved:health" }, 1 },
		{ DFL_ID_INIT, { "reserved:init" }, 1 },
		{ DFL_ID_REMOTE_NODE, { "reserved:remote-node" }, 1 },
		{ DFL_ID_KUBE_APISERVER,
		  { "reserved:kube-apiserver", "reserved:remote-node" },
		  2 },
		{ DFL_ID_INGRESS, { "reserved:ingress" }, 1 },
	};
	struct dfl_idalloc *a = calloc(1, sizeof(*a));
	int err = -ENOMEM;

	if (!a)
		goto fail;
	a->cluster = strdup(cluster ? cluster : "default");
	a->cilium_ns = strdup(cilium_ns ? cilium_ns : "kube-system");
	if (!a->cluster || !a->cilium_ns)
		goto fail;
	for (size_t i = 0; i < DFL_ARRAY_SIZE(reserved); i++) {
		err = add_reserved(a, reserved[i].id, reserved[i].l,
				   reserved[i].n);
		if (err)
			goto fail;
	}
	err = add_well_known(a);
	if (err)
		goto fail;
	return a;
fail:
	dfl_idalloc__free(a);
	errno = -err;
	return NULL;
}

void dfl_idalloc__free(struct dfl_idalloc *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->by_id.cap; i++)
		if (a->by_id.slots[i].used)
			identity_free((struct dfl_identity *)(uintptr_t)
					      a->by_id.slots[i].val);
	dfl_u64map__release(&a->by_id);
	dfl_hmap__release(&a->by_labels);
	free(a->sorted);
	free(a->cluster);
	free(a->cilium_ns);
	free(a);
}

const struct dfl_identity *dfl_idalloc__get(const struct dfl_idalloc *a,
					    uint32_t id)
{
	uint64_t v;

	if (!dfl_u64map__get(&a->by_id, id, &v))
		return NULL;
	return (const struct dfl_identity *)(uintptr_t)v;
}

static struct dfl_identity *lookup_canon(const struct dfl_idalloc *a,
					 const char *canon)
{
	struct dfl_hmap_slot *s =
		dfl_hmap__find(&a->by_labels, canon, strlen(canon));

	return s ? s->val.ptr : NULL;
}

const struct dfl_identity *dfl_idalloc__lookup(const struct dfl_idalloc *a,
					       const struct dfl_labels *ls)
{
	char *canon = dfl_labels__canonical(ls);
	const struct dfl_identity *id;

	if (!canon)
		return NULL;
	id = lookup_canon(a, canon);
	free(canon);
	return id;
}

/* §6.3 step 1: a reserved number for label sets with reserved labels that
 * are not an exact reserved label set; 0 when none applies. */
static uint32_t reserved_for(const struct dfl_labels *ls)
{
	if (dfl_labels__value(ls, "reserved", "host"))
		return DFL_ID_HOST;
	if (dfl_labels__value(ls, "reserved", "remote-node"))
		return dfl_labels__value(ls, "reserved", "kube-apiserver") ?
			       DFL_ID_KUBE_APISERVER :
			       DFL_ID_REMOTE_NODE;
	return 0;
}

/* §6.3 step 2: label sets made only of cidr/fqdn/reserved/cidrgroup labels
 * are node-local. */
static bool is_local_scope(const struct dfl_labels *ls)
{
	if (!ls->n)
		return false;
	for (size_t i = 0; i < ls->n; i++) {
		const char *s = ls->items[i].source;

		if (strcmp(s, "cidr") && strcmp(s, "fqdn") &&
		    strcmp(s, "reserved") && strcmp(s, "cidrgroup"))
			return false;
	}
	return true;
}

int dfl_idalloc__acquire(struct dfl_idalloc *a, const struct dfl_labels *ls,
			 const struct dfl_identity **out, bool *created)
{
	struct dfl_identity *ident;
	uint32_t lo, span, start, rid;
	char *canon;
	int err;

	if (created)
		*created = false;
	canon = dfl_labels__canonical(ls);
	if (!canon)
		return -ENOMEM;
	ident = lookup_canon(a, canon);
	if (!ident && (rid = reserved_for(ls)))
		ident = (struct dfl_identity *)dfl_idalloc__get(a, rid);
	if (ident) {
		free(canon);
		ident->refs++;
		*out = ident;
		return 0;
	}
	if (is_local_scope(ls)) {
		lo = DFL_ID_LOCAL_MIN;
		span = DFL_ID_LOCAL_MAX - DFL_ID_LOCAL_MIN + 1;
	} else {
		lo = DFL_ID_CLUSTER_MIN;
		span = DFL_ID_CLUSTER_MAX - DFL_ID_CLUSTER_MIN + 1;
	}
	start = (uint32_t)(dfl_hash_bytes(canon, strlen(canon)) % span);
	free(canon);
	for (uint32_t i = 0; i < span; i++) {
		uint32_t id = lo + (start + i) % span;

		if (dfl_idalloc__get(a, id))
			continue;
		err = put_identity(a, id, ls, false, &ident);
		if (err)
			return err;
		*out = ident;
		if (created)
			*created = true;
		return 0;
	}
	return -ENOSPC;
}

bool dfl_idalloc__release(struct dfl_idalloc *a, uint32_t id)
{
	struct dfl_identity *ident =
		(struct dfl_identity *)dfl_idalloc__get(a, id);

	if (!ident || ident->reserved)
		return false;
	if (ident->refs > 1) {
		ident->refs--;
		return false;
	}
	dfl_hmap__remove(&a->by_labels, ident->canon, strlen(ident->canon));
	dfl_u64map__remove(&a->by_id, id);
	identity_free(ident);
	a->dirty = true;
	return true;
}

int dfl_idalloc__insert(struct dfl_idalloc *a, uint32_t id,
			const struct dfl_labels *ls)
{
	const struct dfl_identity *by_id = dfl_idalloc__get(a, id);
	const struct dfl_identity *by_ls = dfl_idalloc__lookup(a, ls);

	if (by_id || by_ls)
		return by_id && by_id == by_ls ? 0 : -EEXIST;
	if (id < DFL_ID_CLUSTER_MIN ||
	    (id > DFL_ID_CLUSTER_MAX &&
	     (id < DFL_ID_LOCAL_MIN || id > DFL_ID_LOCAL_MAX)))
		return -ERANGE;
	return put_identity(a, id, ls, false, NULL);
}

static int cmp_ident(const void *x, const void *y)
{
	const struct dfl_identity *a = *(struct dfl_identity *const *)x;
	const struct dfl_identity *b = *(struct dfl_identity *const *)y;

	return a->id < b->id ? -1 : a->id > b->id;
}

static int rebuild_sorted(struct dfl_idalloc *a)
{
	void *items = a->sorted;

	if (!a->dirty)
		return 0;
	if (dfl_grow(&items, &a->cap_sorted, a->by_id.n + 1, sizeof(*a->sorted)))
		return -ENOMEM;
	a->sorted = items;
	a->n_sorted = 0;
	for (size_t i = 0; i < a->by_id.cap; i++)
		if (a->by_id.slots[i].used)
			a->sorted[a->n_sorted++] =
				(struct dfl_identity *)(uintptr_t)a->by_id
					.slots[i]
					.val;
	qsort(a->sorted, a->n_sorted, sizeof(*a->sorted), cmp_ident);
	a->dirty = false;
	return 0;
}

size_t dfl_idalloc__count(struct dfl_idalloc *a)
{
	return rebuild_sorted(a) ? 0 : a->n_sorted;
}

const struct dfl_identity *dfl_idalloc__at(struct dfl_idalloc *a, size_t i)
{
	if (rebuild_sorted(a) || i >= a->n_sorted)
		return NULL;
	return a->sorted[i];
}

int dfl_idalloc__save(struct dfl_idalloc *a, FILE *f)
{
	size_t n = dfl_idalloc__count(a);

	for (size_t i = 0; i < n; i++) {
		const struct dfl_identity *id = a->sorted[i];

		if (id->reserved)
			continue;
		if (fprintf(f, "%u\t%s\n", id->id, id->canon) < 0)
			return -EIO;
	}
	return fflush(f) ? -errno : 0;
}

int dfl_idalloc__load(struct dfl_idalloc *a, FILE *f, size_t *bad_line)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int err = 0;

	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		struct dfl_labels ls = { 0 };
		unsigned long id;
		char *end, *tok, *save = NULL;

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		errno = 0;
		id = strtoul(line, &end, 10);
		if (errno || *end != '\t' || id > UINT32_MAX) {
			err = -EINVAL;
			break;
		}
		for (tok = strtok_r(end + 1, ";", &save); tok && !err;
		     tok = strtok_r(NULL, ";", &save)) {
			struct dfl_label l;

			err = dfl_label__parse(tok, "k8s", &l);
			if (!err) {
				err = dfl_labels__set(&ls, l.source, l.key,
						      l.value);
				dfl_label__release(&l);
			}
		}
		if (!err)
			err = dfl_idalloc__insert(a, (uint32_t)id, &ls);
		dfl_labels__release(&ls);
	}
	free(line);
	if (err && bad_line)
		*bad_line = lineno;
	return err;
}
