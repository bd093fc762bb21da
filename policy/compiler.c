/* The compiler object: inputs, identities, and which endpoints to
 * re-resolve. Resolution itself is resolve.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crd/objects.h"
#include "identity/labels.h"
#include "identity/podlabels.h"
#include "identity/prefix.h"
#include "policy/compiler.h"
#include "policy/internal.h"
#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

struct dfl_compiler *dfl_compiler__new(const struct dfl_policy_config *cfg)
{
	struct dfl_policy_config def = { 0 };
	struct dfl_compiler *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (!cfg)
		cfg = &def;
	c->cluster = strdup(cfg->cluster ? cfg->cluster : DFL_DEFAULT_CLUSTER);
	c->cilium_ns = strdup(cfg->cilium_ns ? cfg->cilium_ns : "kube-system");
	c->enforcement = cfg->enforcement;
	c->allow_localhost = !cfg->no_allow_localhost;
	c->http_port = cfg->http_proxy_port ? cfg->http_proxy_port :
					      DFL_DEFAULT_HTTP_PROXY_PORT;
	c->dns_port = cfg->dns_proxy_port ? cfg->dns_proxy_port :
					    DFL_DEFAULT_DNS_PROXY_PORT;
	c->map_max = cfg->map_max ? cfg->map_max : DFL_DEFAULT_MAP_MAX;
	if (!c->cluster || !c->cilium_ns)
		goto fail;
	c->ids = dfl_idalloc__new(c->cluster[0] ? c->cluster :
						  DFL_DEFAULT_CLUSTER,
				  c->cilium_ns);
	c->ipc = dfl_ipcache__new();
	c->sels = c->ids ? dfl_selcache__new(c->ids) : NULL;
	c->origins = dfl_origins__new();
	if (!c->ids || !c->ipc || !c->sels || !c->origins)
		goto fail;
	/* The reserved identities are in the allocator from the start. */
	for (size_t i = 0, n = dfl_idalloc__count(c->ids); i < n; i++)
		if (dfl_selcache__identity_added(c->sels,
						 dfl_idalloc__at(c->ids, i),
						 NULL, NULL))
			goto fail;
	return c;
fail:
	dfl_compiler__free(c);
	errno = ENOMEM;
	return NULL;
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

static int kvs_copy(struct dfl_kvs *dst, const struct dfl_kvs *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src || !src->n)
		return 0;
	dst->items = calloc(src->n, sizeof(*dst->items));
	if (!dst->items)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		dst->items[i].key = strdup(src->items[i].key);
		dst->items[i].value = strdup(src->items[i].value ?
						     src->items[i].value :
						     "");
		dst->items[i].pos = src->items[i].pos;
		dst->n++;
		if (!dst->items[i].key || !dst->items[i].value)
			return -ENOMEM;
	}
	return 0;
}

static bool kvs_equal(const struct dfl_kvs *a, const struct dfl_kvs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].key, b->items[i].key) ||
		    strcmp(a->items[i].value, b->items[i].value))
			return false;
	return true;
}

static void ep_free(struct dfl_compiler *c, struct endpoint *ep)
{
	if (!ep)
		return;
	for (size_t i = 0; i < ep->n_used; i++) {
		dfl_u64map__remove(&ep->used[i]->users, ep->serial);
		dfl_selcache__put(c->sels, ep->used[i]);
	}
	free(ep->used);
	dfl_ep_policy_release(c, &ep->pol);
	free(ep->name);
	free(ep->ns);
	kvs_release(&ep->pod_labels);
	free(ep->service_account);
	dfl_labels__release(&ep->raw_labels);
	for (size_t i = 0; i < ep->n_ports; i++)
		free(ep->ports[i].name);
	free(ep->ports);
	free(ep);
}

static void svc_free(struct svcrec *s)
{
	if (!s)
		return;
	free(s->ns);
	free(s->name);
	kvs_release(&s->labels);
	kvs_release(&s->selector);
	free(s);
}

void dfl_compiler__free(struct dfl_compiler *c)
{
	struct dfl_hmap_slot *s;

	if (!c)
		return;
	dfl_hmap_for_each(&c->endpoints, s)
		ep_free(c, s->val.ptr);
	dfl_hmap_for_each(&c->policies, s)
	{
		struct rpolicy *rp = s->val.ptr;

		dfl_rpolicy_release(c, rp);
		free(rp->key);
		free(rp->ns);
		free(rp);
	}
	dfl_hmap_for_each(&c->namespaces, s)
	{
		struct nsrec *ns = s->val.ptr;

		kvs_release(&ns->labels);
		free(ns);
	}
	dfl_hmap_for_each(&c->services, s)
		svc_free(s->val.ptr);
	dfl_hmap__release(&c->endpoints);
	dfl_hmap__release(&c->policies);
	dfl_hmap__release(&c->namespaces);
	dfl_hmap__release(&c->services);
	dfl_diffs__release(&c->removed);
	dfl_u64map__release(&c->ep_serial);
	dfl_u64map__release(&c->ep_ids);
	dfl_u64map__release(&c->rules_by_id);
	for (size_t i = 0; i < c->n_rulevecs; i++)
		free(c->rulevecs[i].items);
	free(c->rulevecs);
	free(c->pol_sorted);
	free(c->ep_sorted);
	dfl_selcache__free(c->sels);
	dfl_origins__free(c->origins);
	dfl_ipcache__free(c->ipc);
	dfl_idalloc__free(c->ids);
	free(c->cluster);
	free(c->cilium_ns);
	free(c);
}

/* ---- identities -------------------------------------------------------- */

static void mark_users_dirty(struct dfl_cached_sel *cs, void *arg)
{
	struct dfl_compiler *c = arg;

	for (size_t i = 0; i < cs->users.cap; i++) {
		uint64_t v;

		if (!cs->users.slots[i].used ||
		    !dfl_u64map__get(&c->ep_serial, cs->users.slots[i].key, &v))
			continue;
		((struct endpoint *)(uintptr_t)v)->dirty = true;
	}
	/* Subject selectors decide which rules apply to which identity. */
	c->index_dirty = true;
}

int dfl_compiler_acquire_identity(struct dfl_compiler *c,
				  const struct dfl_labels *ls, uint32_t *id)
{
	const struct dfl_identity *ident;
	bool created;
	int err = dfl_idalloc__acquire(c->ids, ls, &ident, &created);

	if (err)
		return err;
	if (created) {
		err = dfl_selcache__identity_added(c->sels, ident,
						   mark_users_dirty, c);
		if (err) {
			dfl_selcache__identity_removed(c->sels, ident, NULL,
						       NULL);
			dfl_idalloc__release(c->ids, ident->id);
			return err;
		}
	}
	*id = ident->id;
	return 0;
}

void dfl_compiler_release_identity(struct dfl_compiler *c, uint32_t id)
{
	const struct dfl_identity *ident = dfl_idalloc__get(c->ids, id);

	if (!ident || ident->reserved)
		return;
	if (ident->refs == 1) {
		dfl_selcache__identity_removed(c->sels, ident, mark_users_dirty,
					       c);
		/* A CIDR identity leaves the ipcache with its last user. */
		for (size_t i = 0; i < ident->labels.n; i++) {
			const struct dfl_label *l = &ident->labels.items[i];
			const struct dfl_ipcache_item *e;
			struct dfl_prefix p;

			if (strcmp(l->source, "cidr") ||
			    dfl_prefix__parse_label(l->key, &p))
				continue;
			e = dfl_ipcache__get(c->ipc, &p);
			if (e && e->identity == id)
				dfl_ipcache__delete(c->ipc, &p);
		}
	}
	dfl_idalloc__release(c->ids, id);
}

int dfl_compiler_acquire_cidr(struct dfl_compiler *c,
			      const struct dfl_prefix *p, uint32_t *id)
{
	struct dfl_labels ls = { 0 };
	const struct dfl_ipcache_item *e;
	char key[DFL_PREFIX_STRLEN], owner[DFL_PREFIX_STRLEN + 8];
	int err;

	err = dfl_labels__set(&ls, "cidr",
			      dfl_prefix__label_key(p, key, sizeof(key)), "");
	if (!err)
		err = dfl_labels__set(&ls, "reserved", "world", "");
	if (!err)
		err = dfl_compiler_acquire_identity(c, &ls, id);
	dfl_labels__release(&ls);
	if (err)
		return err;
	e = dfl_ipcache__get(c->ipc, p);
	if (!e) {
		snprintf(owner, sizeof(owner), "cidr %s",
			 dfl_prefix__fmt(p, key, sizeof(key)));
		err = dfl_ipcache__upsert(c->ipc, p, *id, owner);
		if (err)
			dfl_compiler_release_identity(c, *id);
	}
	return err;
}

int dfl_compiler__acquire_identity(struct dfl_compiler *c,
				   const struct dfl_labels *ls, uint32_t *id)
{
	return dfl_compiler_acquire_identity(c, ls, id);
}

void dfl_compiler__release_identity(struct dfl_compiler *c, uint32_t id)
{
	dfl_compiler_release_identity(c, id);
}

int dfl_compiler__add_node(struct dfl_compiler *c, const struct dfl_prefix *ip,
			   bool local)
{
	return dfl_ipcache__upsert(c->ipc, ip,
				   local ? DFL_ID_HOST : DFL_ID_REMOTE_NODE,
				   local ? "node (local)" : "node");
}

/* ---- endpoints --------------------------------------------------------- */

static struct endpoint *ep_find(const struct dfl_compiler *c, const char *name)
{
	return dfl_hmap__get(&c->endpoints, name);
}

static struct endpoint *ep_get(struct dfl_compiler *c, const char *ns,
			       const char *name, bool *created)
{
	struct dfl_strbuf key = { 0 };
	struct endpoint *ep = NULL;
	struct dfl_hmap_slot *s;

	*created = false;
	if (ns)
		dfl_strbuf__printf(&key, "%s/%s", ns, name);
	else
		dfl_strbuf__puts(&key, name);
	if (key.err)
		goto out;
	s = dfl_hmap__upsert(&c->endpoints, key.buf, key.len, created);
	if (!s)
		goto out;
	if (!*created) {
		ep = s->val.ptr;
		goto out;
	}
	ep = calloc(1, sizeof(*ep));
	if (ep) {
		ep->serial = ++c->next_ep_serial;
		ep->name = strdup(key.buf);
		ep->ns = dfl_strdup(ns);
	}
	if (!ep || !ep->name || (ns && !ep->ns) ||
	    dfl_u64map__put(&c->ep_serial, ep->serial, (uintptr_t)ep)) {
		dfl_hmap__remove(&c->endpoints, key.buf, key.len);
		if (ep) {
			free(ep->name);
			free(ep->ns);
			free(ep);
		}
		ep = NULL;
		goto out;
	}
	s = dfl_hmap__find(&c->endpoints, key.buf, key.len);
	s->val.ptr = ep;
	free(c->ep_sorted);
	c->ep_sorted = NULL;
out:
	dfl_strbuf__release(&key);
	return ep;
}

static void mark_named_port_users(struct dfl_compiler *c)
{
	struct dfl_hmap_slot *s;

	dfl_hmap_for_each(&c->endpoints, s)
	{
		struct endpoint *ep = s->val.ptr;

		if (ep->egress_named_ports)
			ep->dirty = true;
	}
}

static bool ports_equal(const struct endpoint *ep,
			const struct dfl_container_port *p, size_t n)
{
	if (ep->n_ports != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ep->ports[i].port != p[i].port ||
		    ep->ports[i].proto != p[i].proto ||
		    strcmp(ep->ports[i].name ? ep->ports[i].name : "",
			   p[i].name ? p[i].name : ""))
			return false;
	return true;
}

static int set_ports(struct dfl_compiler *c, struct endpoint *ep,
		     const struct dfl_container_port *p, size_t n)
{
	if (ports_equal(ep, p, n))
		return 0;
	for (size_t i = 0; i < ep->n_ports; i++)
		free(ep->ports[i].name);
	free(ep->ports);
	ep->ports = NULL;
	ep->n_ports = 0;
	mark_named_port_users(c);
	ep->dirty = true;
	if (!n)
		return 0;
	ep->ports = calloc(n, sizeof(*ep->ports));
	if (!ep->ports)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ep->ports[i].port = p[i].port;
		ep->ports[i].proto = p[i].proto ? p[i].proto : DFL_PROTO_TCP;
		ep->ports[i].name = dfl_strdup(p[i].name);
		ep->n_ports++;
		if (p[i].name && !ep->ports[i].name)
			return -ENOMEM;
	}
	return 0;
}

static int set_pod_spec(struct dfl_compiler *c, struct endpoint *ep,
			const struct dfl_pod_spec *spec)
{
	const char *sa = spec->service_account ? spec->service_account :
						 "default";

	if (!kvs_equal(&ep->pod_labels, &spec->labels) ||
	    strcmp(ep->service_account ? ep->service_account : "", sa)) {
		kvs_release(&ep->pod_labels);
		free(ep->service_account);
		ep->service_account = strdup(sa);
		if (!ep->service_account ||
		    kvs_copy(&ep->pod_labels, &spec->labels))
			return -ENOMEM;
		ep->labels_dirty = true;
	}
	return set_ports(c, ep, spec->ports, spec->n_ports);
}

int dfl_compiler__upsert_pod(struct dfl_compiler *c, const struct dfl_pod *pod)
{
	bool created;
	struct endpoint *ep = ep_get(c, pod->meta.namespace ?
						 pod->meta.namespace :
						 "default",
				     pod->meta.name, &created);
	struct dfl_prefix ip;
	int err;

	if (!ep)
		return -ENOMEM;
	if (created)
		ep->labels_dirty = ep->dirty = true;
	err = set_pod_spec(c, ep, &pod->spec);
	if (err)
		return err;
	if (pod->pod_ip && !dfl_prefix__parse(pod->pod_ip, &ip) &&
	    ip.len == dfl_prefix__bits(&ip)) {
		if (ep->has_ip && !dfl_prefix__equal(&ep->ip, &ip))
			dfl_ipcache__delete(c->ipc, &ep->ip);
		ep->has_ip = true;
		ep->ip = ip;
		ep->labels_dirty = true; /* re-publishes the ipcache entry */
	}
	return 0;
}

int dfl_compiler__upsert_deployment(struct dfl_compiler *c,
				    const struct dfl_deployment *d)
{
	bool created;
	struct endpoint *ep = ep_get(c, d->meta.namespace ? d->meta.namespace :
							    "default",
				     d->meta.name, &created);

	if (!ep)
		return -ENOMEM;
	if (created)
		ep->labels_dirty = ep->dirty = true;
	return set_pod_spec(c, ep, &d->template_spec);
}

int dfl_compiler__upsert_label_endpoint(struct dfl_compiler *c,
					const char *name,
					const struct dfl_labels *ls)
{
	bool created;
	struct endpoint *ep = ep_get(c, NULL, name, &created);

	if (!ep)
		return -ENOMEM;
	ep->raw = true;
	if (!created && dfl_labels__equal(&ep->raw_labels, ls))
		return 0;
	dfl_labels__release(&ep->raw_labels);
	ep->labels_dirty = ep->dirty = true;
	return dfl_labels__copy(&ep->raw_labels, ls);
}

static void ep_ids_inc(struct dfl_compiler *c, uint32_t id)
{
	uint64_t n = 0;

	dfl_u64map__get(&c->ep_ids, id, &n);
	if (!n)
		c->index_dirty = true;
	dfl_u64map__put(&c->ep_ids, id, n + 1);
}

static void ep_ids_dec(struct dfl_compiler *c, uint32_t id)
{
	uint64_t n = 0;

	if (!dfl_u64map__get(&c->ep_ids, id, &n))
		return;
	if (n <= 1) {
		dfl_u64map__remove(&c->ep_ids, id);
		c->index_dirty = true;
	} else {
		dfl_u64map__put(&c->ep_ids, id, n - 1);
	}
}

int dfl_compiler__remove_endpoint(struct dfl_compiler *c, const char *name)
{
	struct endpoint *ep = ep_find(c, name);
	int err = 0;

	if (!ep)
		return -ENOENT;
	dfl_hmap__remove(&c->endpoints, name, strlen(name));
	dfl_u64map__remove(&c->ep_serial, ep->serial);
	if (ep->has_ip) {
		const struct dfl_ipcache_item *e = dfl_ipcache__get(c->ipc,
								     &ep->ip);

		if (e && e->identity == ep->identity)
			dfl_ipcache__delete(c->ipc, &ep->ip);
	}
	if (ep->n_ports)
		mark_named_port_users(c);
	if (ep->identity) {
		ep_ids_dec(c, ep->identity);
		dfl_compiler_release_identity(c, ep->identity);
	}
	free(c->ep_sorted);
	c->ep_sorted = NULL;
	/* The next resolve reports the endpoint's entries as removed. */
	if (ep->resolved_once &&
	    dfl_diff_append(&c->removed, ep->name, ep->identity, false,
			    ep->pol.entries, ep->pol.n_entries, NULL, 0, true))
		err = -ENOMEM;
	else if (ep->resolved_once)
		c->removed.items[c->removed.n - 1].deleted = true;
	ep_free(c, ep);
	return err;
}

/* The identity labels of an endpoint from its pod labels and namespace. */
static int ep_identity_labels(struct dfl_compiler *c, const struct endpoint *ep,
			      struct dfl_labels *out)
{
	struct nsrec *ns;

	if (ep->raw)
		return dfl_labels__copy(out, &ep->raw_labels);
	ns = dfl_hmap__get(&c->namespaces, ep->ns);
	return dfl_pod_identity_labels(&ep->pod_labels, ep->ns,
				       ns ? &ns->labels : NULL,
				       ep->service_account, c->cluster, out);
}

struct relabel {
	struct endpoint *ep;
	struct dfl_labels labels;
	char *canon;
};

static int cmp_relabel(const void *a, const void *b)
{
	const struct relabel *x = a, *y = b;
	int d = strcmp(x->canon, y->canon);

	return d ? d : strcmp(x->ep->name, y->ep->name);
}

/* Gives endpoints with changed labels their identity. New label sets are
 * allocated in label order, so a batch gets the same numbers whatever
 * order its objects arrived in; old identities are released afterwards so
 * that an unchanged label set keeps its number. */
static int update_identities(struct dfl_compiler *c)
{
	struct relabel *rl = NULL;
	size_t n = 0, cap = 0;
	struct dfl_hmap_slot *s;
	int err = 0;

	dfl_hmap_for_each(&c->endpoints, s)
	{
		struct endpoint *ep = s->val.ptr;
		struct relabel *r;

		if (!ep->labels_dirty)
			continue;
		r = DFL_PUSH(rl, n, cap);
		if (!r) {
			err = -ENOMEM;
			goto out;
		}
		r->ep = ep;
		err = ep_identity_labels(c, ep, &r->labels);
		if (err)
			goto out;
		r->canon = dfl_labels__canonical(&r->labels);
		if (!r->canon) {
			err = -ENOMEM;
			goto out;
		}
	}
	if (n > 1)
		qsort(rl, n, sizeof(*rl), cmp_relabel);
	for (size_t i = 0; i < n && !err; i++) {
		struct endpoint *ep = rl[i].ep;
		uint32_t old = ep->identity, id;
		char owner[512];

		err = dfl_compiler_acquire_identity(c, &rl[i].labels, &id);
		if (err)
			break;
		ep->identity = id;
		ep->labels_dirty = false;
		if (old != id) {
			ep->dirty = true;
			ep_ids_inc(c, id);
			if (ep->n_ports)
				mark_named_port_users(c);
		}
		if (ep->has_ip) {
			snprintf(owner, sizeof(owner), "pod %s", ep->name);
			err = dfl_ipcache__upsert(c->ipc, &ep->ip, id, owner);
		}
		if (old) {
			if (old != id)
				ep_ids_dec(c, old);
			dfl_compiler_release_identity(c, old);
		}
	}
out:
	for (size_t i = 0; i < n; i++) {
		dfl_labels__release(&rl[i].labels);
		free(rl[i].canon);
	}
	free(rl);
	return err;
}

/* ---- namespaces and services ------------------------------------------- */

int dfl_compiler__upsert_namespace(struct dfl_compiler *c,
				   const struct dfl_namespace *ns)
{
	struct dfl_hmap_slot *s;
	struct nsrec *rec;
	bool created;

	s = dfl_hmap__upsert(&c->namespaces, ns->meta.name,
			     strlen(ns->meta.name), &created);
	if (!s)
		return -ENOMEM;
	if (created && !(s->val.ptr = calloc(1, sizeof(*rec)))) {
		dfl_hmap__remove(&c->namespaces, ns->meta.name,
				 strlen(ns->meta.name));
		return -ENOMEM;
	}
	rec = s->val.ptr;
	if (!created && kvs_equal(&rec->labels, &ns->meta.labels))
		return 0;
	kvs_release(&rec->labels);
	if (kvs_copy(&rec->labels, &ns->meta.labels))
		return -ENOMEM;
	dfl_hmap_for_each(&c->endpoints, s)
	{
		struct endpoint *ep = s->val.ptr;

		if (!ep->raw && ep->ns && !strcmp(ep->ns, ns->meta.name))
			ep->labels_dirty = true;
	}
	return 0;
}

static void mark_policy_subjects(struct dfl_compiler *c,
				 const struct rpolicy *rp);
static int retranslate(struct dfl_compiler *c, struct rpolicy *rp);

static int services_changed(struct dfl_compiler *c)
{
	struct dfl_hmap_slot *s;
	int err = 0;

	dfl_hmap_for_each(&c->policies, s)
	{
		struct rpolicy *rp = s->val.ptr;

		if (rp->uses_services && !err)
			err = retranslate(c, rp);
	}
	return err;
}

int dfl_compiler__upsert_service(struct dfl_compiler *c,
				 const struct dfl_service *svc)
{
	struct dfl_strbuf key = { 0 };
	struct dfl_hmap_slot *s;
	struct svcrec *rec = calloc(1, sizeof(*rec));
	const char *ns = svc->meta.namespace ? svc->meta.namespace : "default";
	int err = -ENOMEM;

	if (!rec)
		return -ENOMEM;
	rec->ns = strdup(ns);
	rec->name = strdup(svc->meta.name);
	if (!rec->ns || !rec->name || kvs_copy(&rec->labels, &svc->meta.labels))
		goto fail;
	if (svc->has_selector && kvs_copy(&rec->selector, &svc->selector))
		goto fail;
	dfl_strbuf__printf(&key, "%s/%s", ns, svc->meta.name);
	s = key.err ? NULL : dfl_hmap__upsert(&c->services, key.buf, key.len, NULL);
	dfl_strbuf__release(&key);
	if (!s)
		goto fail;
	svc_free(s->val.ptr);
	s->val.ptr = rec;
	return services_changed(c);
fail:
	svc_free(rec);
	return err;
}

int dfl_compiler__remove_service(struct dfl_compiler *c, const char *ns,
				 const char *name)
{
	struct dfl_strbuf key = { 0 };
	struct svcrec *rec;

	dfl_strbuf__printf(&key, "%s/%s", ns, name);
	if (key.err)
		return -ENOMEM;
	rec = dfl_hmap__get(&c->services, key.buf);
	if (rec)
		dfl_hmap__remove(&c->services, key.buf, key.len);
	dfl_strbuf__release(&key);
	if (!rec)
		return -ENOENT;
	svc_free(rec);
	return services_changed(c);
}

/* ---- policies ---------------------------------------------------------- */

static char *policy_key(enum dfl_kind kind, const char *ns, const char *name)
{
	struct dfl_strbuf key = { 0 };

	dfl_strbuf__printf(&key, "%d\x1f%s\x1f%s", kind,
			   kind == DFL_KIND_CCNP || !ns ? "" : ns, name);
	return dfl_strbuf__detach(&key);
}

/* Endpoints a policy's rules select must be re-resolved when it changes. */
static void mark_policy_subjects(struct dfl_compiler *c,
				 const struct rpolicy *rp)
{
	struct dfl_hmap_slot *s;

	dfl_hmap_for_each(&c->endpoints, s)
	{
		struct endpoint *ep = s->val.ptr;

		if (!ep->identity || ep->dirty)
			continue;
		if (rp->ns && (!ep->ns || strcmp(ep->ns, rp->ns)) && !ep->raw)
			continue;
		for (size_t r = 0; r < rp->n_rules; r++) {
			const struct dfl_cached_sel *sub = rp->rules[r].subject;

			if (sub && dfl_cached_sel__selects(sub, ep->identity)) {
				ep->dirty = true;
				break;
			}
		}
	}
	c->index_dirty = true;
}

static int retranslate(struct dfl_compiler *c, struct rpolicy *rp)
{
	struct rpolicy old = *rp;
	int err;

	/* Translate first and release after, so that shared selectors and
	 * CIDR identities keep their numbers across the update. */
	mark_policy_subjects(c, rp);
	rp->rules = NULL;
	rp->n_rules = 0;
	rp->cidr_ids = NULL;
	rp->n_cidr_ids = rp->cap_cidr_ids = 0;
	rp->uses_services = false;
	err = dfl_translate_policy(c, rp);
	mark_policy_subjects(c, rp);
	dfl_rpolicy_release(c, &old);
	return err;
}

int dfl_compiler__upsert_policy(struct dfl_compiler *c,
				const struct dfl_policy *p,
				struct dfl_diags *diags)
{
	char *key = policy_key(p->meta.kind, p->meta.namespace, p->meta.name);
	struct dfl_hmap_slot *s;
	struct rpolicy *rp;
	bool created;
	int err;

	if (!key)
		return -ENOMEM;
	if (p->meta.kind != DFL_KIND_CNP && p->meta.kind != DFL_KIND_CCNP &&
	    p->meta.kind != DFL_KIND_KNP) {
		free(key);
		return -EINVAL;
	}
	s = dfl_hmap__upsert(&c->policies, key, strlen(key), &created);
	if (!s) {
		free(key);
		return -ENOMEM;
	}
	if (created) {
		rp = calloc(1, sizeof(*rp));
		if (rp) {
			rp->kind = p->meta.kind;
			rp->ns = p->meta.kind == DFL_KIND_CCNP ?
					 NULL :
					 strdup(p->meta.namespace ?
							p->meta.namespace :
							"default");
		}
		if (!rp || (p->meta.kind != DFL_KIND_CCNP && !rp->ns)) {
			if (rp)
				free(rp);
			dfl_hmap__remove(&c->policies, key, strlen(key));
			free(key);
			return -ENOMEM;
		}
		rp->key = key;
		s->val.ptr = rp;
		free(c->pol_sorted);
		c->pol_sorted = NULL;
	} else {
		free(key);
		rp = s->val.ptr;
	}
	rp->pol = p;
	c->diags = diags;
	err = retranslate(c, rp);
	c->diags = NULL;
	return err;
}

int dfl_compiler__remove_policy(struct dfl_compiler *c, enum dfl_kind kind,
				const char *ns, const char *name)
{
	char *key = policy_key(kind, ns, name);
	struct rpolicy *rp;

	if (!key)
		return -ENOMEM;
	rp = dfl_hmap__get(&c->policies, key);
	if (!rp) {
		free(key);
		return -ENOENT;
	}
	mark_policy_subjects(c, rp);
	dfl_hmap__remove(&c->policies, key, strlen(key));
	free(key);
	dfl_rpolicy_release(c, rp);
	free(rp->key);
	free(rp->ns);
	free(rp);
	free(c->pol_sorted);
	c->pol_sorted = NULL;
	return 0;
}

int dfl_compiler__add_objects(struct dfl_compiler *c,
			      const struct dfl_objects *objs,
			      struct dfl_diags *diags)
{
	int err = 0;

	for (size_t i = 0; i < objs->n_namespaces && !err; i++)
		err = dfl_compiler__upsert_namespace(c, objs->namespaces[i]);
	for (size_t i = 0; i < objs->n_services && !err; i++)
		err = dfl_compiler__upsert_service(c, objs->services[i]);
	for (size_t i = 0; i < objs->n_pods && !err; i++)
		err = dfl_compiler__upsert_pod(c, objs->pods[i]);
	for (size_t i = 0; i < objs->n_deployments && !err; i++)
		err = dfl_compiler__upsert_deployment(c, objs->deployments[i]);
	for (size_t i = 0; i < objs->n_policies && !err; i++)
		err = dfl_compiler__upsert_policy(c, objs->policies[i], diags);
	return err;
}

/* ---- resolution -------------------------------------------------------- */

static int cmp_rpolicy(const void *a, const void *b)
{
	return strcmp((*(struct rpolicy *const *)a)->key,
		      (*(struct rpolicy *const *)b)->key);
}

static int cmp_ep(const void *a, const void *b)
{
	return strcmp((*(struct endpoint *const *)a)->name,
		      (*(struct endpoint *const *)b)->name);
}

static int sort_inputs(struct dfl_compiler *c)
{
	struct dfl_hmap_slot *s;

	if (!c->pol_sorted) {
		c->pol_sorted = calloc(c->policies.n + 1, sizeof(*c->pol_sorted));
		if (!c->pol_sorted)
			return -ENOMEM;
		c->n_pol_sorted = 0;
		dfl_hmap_for_each(&c->policies, s)
			c->pol_sorted[c->n_pol_sorted++] = s->val.ptr;
		qsort(c->pol_sorted, c->n_pol_sorted, sizeof(*c->pol_sorted),
		      cmp_rpolicy);
		c->index_dirty = true;
	}
	if (!c->ep_sorted) {
		c->ep_sorted = calloc(c->endpoints.n + 1, sizeof(*c->ep_sorted));
		if (!c->ep_sorted)
			return -ENOMEM;
		c->n_ep_sorted = 0;
		dfl_hmap_for_each(&c->endpoints, s)
			c->ep_sorted[c->n_ep_sorted++] = s->val.ptr;
		qsort(c->ep_sorted, c->n_ep_sorted, sizeof(*c->ep_sorted),
		      cmp_ep);
	}
	return 0;
}

int dfl_compiler__resolve(struct dfl_compiler *c, struct dfl_diffs *diffs,
			  struct dfl_diags *diags)
{
	int err = update_identities(c);

	/* Removed endpoints first: their map goes away whatever else did. */
	if (diffs && c->removed.n) {
		void *items = diffs->items;

		if (dfl_grow(&items, &diffs->cap, diffs->n + c->removed.n,
			     sizeof(*diffs->items)))
			return -ENOMEM;
		diffs->items = items;
		memcpy(diffs->items + diffs->n, c->removed.items,
		       c->removed.n * sizeof(*c->removed.items));
		diffs->n += c->removed.n;
		free(c->removed.items);
		memset(&c->removed, 0, sizeof(c->removed));
	} else {
		dfl_diffs__release(&c->removed);
	}

	if (!err)
		err = sort_inputs(c);
	if (!err && c->index_dirty)
		err = dfl_build_rule_index(c);
	for (size_t i = 0; i < c->n_ep_sorted && !err; i++) {
		struct endpoint *ep = c->ep_sorted[i];
		struct dfl_map_entry *old = NULL;
		struct dfl_dir_policy od[2];
		size_t n_old = 0;
		bool first = !ep->resolved_once;

		if (!ep->dirty || !ep->identity)
			continue;
		if (diffs && !first && ep->pol.n_entries) {
			n_old = ep->pol.n_entries;
			old = malloc(n_old * sizeof(*old));
			if (!old)
				return -ENOMEM;
			memcpy(old, ep->pol.entries, n_old * sizeof(*old));
		}
		od[0] = ep->pol.dir[0];
		od[1] = ep->pol.dir[1];
		err = dfl_resolve_endpoint(c, ep, diags);
		if (!err && diffs) {
			bool dir_changed = false;

			for (int d = 0; d < 2; d++)
				dir_changed |=
					od[d].enforced != ep->pol.dir[d].enforced ||
					od[d].default_deny !=
						ep->pol.dir[d].default_deny;
			err = dfl_diff_append(diffs, ep->name, ep->identity,
					      first, old, n_old,
					      ep->pol.entries,
					      ep->pol.n_entries, dir_changed);
		}
		free(old);
	}
	return err;
}

/* ---- results ----------------------------------------------------------- */

const struct dfl_ep_policy *dfl_compiler__policy(const struct dfl_compiler *c,
						 const char *name)
{
	struct endpoint *ep = ep_find(c, name);

	return ep && ep->resolved_once ? &ep->pol : NULL;
}

size_t dfl_compiler__n_endpoints(struct dfl_compiler *c)
{
	return sort_inputs(c) ? 0 : c->n_ep_sorted;
}

const struct dfl_ep_policy *dfl_compiler__policy_at(struct dfl_compiler *c,
						    size_t i)
{
	if (sort_inputs(c) || i >= c->n_ep_sorted ||
	    !c->ep_sorted[i]->resolved_once)
		return NULL;
	return &c->ep_sorted[i]->pol;
}

int dfl_compiler__endpoint_info(const struct dfl_compiler *c, const char *name,
				struct dfl_compiler_endpoint *out)
{
	struct endpoint *ep = ep_find(c, name);
	const struct dfl_identity *id;

	if (!ep)
		return -ENOENT;
	id = ep->identity ? dfl_idalloc__get(c->ids, ep->identity) : NULL;
	out->name = ep->name;
	out->ns = ep->ns;
	out->identity = ep->identity;
	out->labels = id ? &id->labels : NULL;
	return 0;
}

const struct dfl_origin *dfl_compiler__origin(const struct dfl_compiler *c,
					      uint32_t cookie)
{
	return dfl_origins__get(c->origins, cookie);
}

struct dfl_idalloc *dfl_compiler__identities(struct dfl_compiler *c)
{
	return c->ids;
}

struct dfl_ipcache *dfl_compiler__ipcache(struct dfl_compiler *c)
{
	return c->ipc;
}

const char *dfl_compiler__cluster(const struct dfl_compiler *c)
{
	return c->cluster;
}

size_t dfl_compiler__fqdn_selectors(struct dfl_compiler *c,
				    const struct dfl_fqdn_selector **out,
				    size_t max)
{
	size_t n = 0;

	if (sort_inputs(c))
		return 0;
	for (size_t i = 0; i < c->n_pol_sorted; i++) {
		const struct dfl_policy *p = c->pol_sorted[i]->pol;

		for (size_t r = 0; r < p->n_rules; r++)
			for (size_t e = 0; e < p->rules[r].n_egress; e++) {
				const struct dfl_peer_rule *pe =
					&p->rules[r].egress[e];

				for (size_t f = 0; f < pe->n_fqdns; f++, n++)
					if (n < max)
						out[n] = &pe->fqdns[f];
			}
	}
	return n;
}
