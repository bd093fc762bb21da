#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "identity/podlabels.h"
#include "identity/prefix.h"
#include "identity/selector.h"
#include "policy/scope.h"
#include "util/mem.h"

int dfl_scope_subject(struct dfl_sel *sel, enum dfl_kind kind, const char *ns)
{
	if (kind == DFL_KIND_CCNP || !ns)
		return 0;
	return dfl_sel__set_match(sel, "k8s", DFL_LBL_NAMESPACE, ns);
}

static int add_cluster_filter(struct dfl_sel *sel, const char *cluster)
{
	if (!cluster || !cluster[0] ||
	    dfl_sel__has_key(sel, "k8s", DFL_LBL_CLUSTER) ||
	    dfl_sel__has_key(sel, "any", DFL_LBL_CLUSTER))
		return 0;
	return dfl_sel__set_match(sel, "k8s", DFL_LBL_CLUSTER, cluster);
}

int dfl_scope_peer(struct dfl_sel *sel, enum dfl_kind kind, const char *ns,
		   const char *cluster, bool subject_init)
{
	int err = 0;

	if (dfl_sel__has_source(sel, "reserved"))
		return 0;
	/* A NetworkPolicy element with no from/to is the wildcard peer {}:
	 * Cilium's parser scopes it neither to a namespace nor to the cluster,
	 * so that such a rule also admits traffic from outside the cluster. */
	if (kind == DFL_KIND_KNP && !sel->n)
		return 0;
	/* NetworkPolicy peers arrive with their namespace terms (crd/ builds
	 * them as Cilium's parser does); only the cluster filter is ours. */
	if (kind != DFL_KIND_KNP &&
	    !dfl_sel__has_key(sel, "k8s", DFL_LBL_NAMESPACE) &&
	    !dfl_sel__has_key(sel, "any", DFL_LBL_NAMESPACE)) {
		if (kind == DFL_KIND_CNP) {
			if (!dfl_sel__has_key_prefix(sel, "k8s",
						     DFL_LBL_NS_LABELS) &&
			    !dfl_sel__has_key_prefix(sel, "any",
						     DFL_LBL_NS_LABELS))
				err = dfl_sel__set_match(sel, "k8s",
							 DFL_LBL_NAMESPACE, ns);
		} else if (!subject_init) {
			err = dfl_sel__add(sel, "k8s", DFL_LBL_NAMESPACE,
					   DFL_TERM_EXISTS, NULL, 0);
		}
	}
	return err ? err : add_cluster_filter(sel, cluster);
}

int dfl_scope_node(struct dfl_sel *sel, const char *cluster)
{
	int err = dfl_sel__add(sel, "reserved", "remote-node", DFL_TERM_EXISTS,
			       NULL, 0);

	return err ? err : add_cluster_filter(sel, cluster);
}

static int push_sel(struct dfl_sel **out, size_t *n, size_t *cap,
		    struct dfl_sel **slot)
{
	*slot = DFL_PUSH(*out, *n, *cap);
	return *slot ? 0 : -ENOMEM;
}

static int push_reserved(struct dfl_sel **out, size_t *n, size_t *cap,
			 const char *name)
{
	struct dfl_sel *s;
	int err = push_sel(out, n, cap, &s);

	return err ? err :
		     dfl_sel__add(s, "reserved", name, DFL_TERM_EXISTS, NULL,
				  0);
}

int dfl_entity_selectors(uint32_t mask, const char *cluster,
			 struct dfl_sel **out, size_t *n, size_t *cap)
{
	static const char *const cluster_members[] = {
		"host",	   "remote-node", "init",	    "ingress",
		"health",  "unmanaged",	  "kube-apiserver",
	};
	static const struct {
		uint32_t bit;
		const char *name;
	} singles[] = {
		{ DFL_ENTITY_HOST, "host" },
		{ DFL_ENTITY_REMOTE_NODE, "remote-node" },
		{ DFL_ENTITY_KUBE_APISERVER, "kube-apiserver" },
		{ DFL_ENTITY_INIT, "init" },
		{ DFL_ENTITY_INGRESS, "ingress" },
		{ DFL_ENTITY_HEALTH, "health" },
		{ DFL_ENTITY_UNMANAGED, "unmanaged" },
		{ DFL_ENTITY_NONE, "none" },
		{ DFL_ENTITY_WORLD_IPV4, "world-ipv4" },
		{ DFL_ENTITY_WORLD_IPV6, "world-ipv6" },
	};
	struct dfl_sel *s;
	int err = 0;

	if (mask & DFL_ENTITY_ALL)
		return push_sel(out, n, cap, &s);
	if (mask & DFL_ENTITY_WORLD) {
		err = push_reserved(out, n, cap, "world");
		if (!err)
			err = push_reserved(out, n, cap, "world-ipv4");
		if (!err)
			err = push_reserved(out, n, cap, "world-ipv6");
	}
	if (mask & (DFL_ENTITY_CLUSTER | DFL_ENTITY_CLUSTER_MESH)) {
		for (size_t i = 0; i < DFL_ARRAY_SIZE(cluster_members) && !err;
		     i++)
			err = push_reserved(out, n, cap, cluster_members[i]);
		if (!err)
			err = push_sel(out, n, cap, &s);
		if (!err && (mask & DFL_ENTITY_CLUSTER_MESH))
			err = dfl_sel__add(s, "k8s", DFL_LBL_CLUSTER,
					   DFL_TERM_EXISTS, NULL, 0);
		else if (!err)
			err = dfl_sel__add(s, "k8s", DFL_LBL_CLUSTER,
					   DFL_TERM_IN, &cluster, 1);
	}
	for (size_t i = 0; i < DFL_ARRAY_SIZE(singles) && !err; i++)
		if (mask & singles[i].bit)
			err = push_reserved(out, n, cap, singles[i].name);
	return err;
}

int dfl_cidr_selector(const struct dfl_prefix *prefix,
		      const struct dfl_prefix *except, size_t n_except,
		      struct dfl_sel *out)
{
	char key[DFL_PREFIX_STRLEN];
	int err;

	if (prefix->len == 0)
		err = dfl_sel__add(out, "reserved", "world", DFL_TERM_EXISTS,
				   NULL, 0);
	else
		err = dfl_sel__add(out, "cidr",
				   dfl_prefix__label_key(prefix, key,
							 sizeof(key)),
				   DFL_TERM_EXISTS, NULL, 0);
	for (size_t i = 0; i < n_except && !err; i++)
		err = dfl_sel__add(out, "cidr",
				   dfl_prefix__label_key(&except[i], key,
							 sizeof(key)),
				   DFL_TERM_DOES_NOT_EXIST, NULL, 0);
	return err;
}

int dfl_fqdn_peer_selector(const struct dfl_fqdn_selector *f,
			   struct dfl_sel *out)
{
	const char *v = f->match_name ? f->match_name : f->match_pattern;

	if (!v)
		return -EINVAL;
	return dfl_sel__add(out, "fqdn", v, DFL_TERM_EXISTS, NULL, 0);
}

void dfl_prefix_from_cidr(const struct dfl_cidr *c, struct dfl_prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->family = c->family;
	out->len = c->prefix_len;
	memcpy(out->addr, c->addr, c->family == AF_INET ? 4 : 16);
	dfl_prefix__mask(out);
}
