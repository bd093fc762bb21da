/* Private structures of the policy compiler (compiler.c, translate.c,
 * resolve.c, mapstate.c). Not for other components: they use
 * policy/compiler.h. */
#ifndef DFL_POLICY_INTERNAL_H
#define DFL_POLICY_INTERNAL_H

#include "identity/allocator.h"
#include "identity/hash.h"
#include "identity/ipcache.h"
#include "policy/origin.h"
#include "policy/policy-t.h"
#include "policy/selcache.h"

/* One port of a rule element, protocol not yet expanded. */
struct l4port {
	uint8_t proto; /* enum dfl_proto, ANY = 0 */
	uint16_t port;
	uint16_t end_port;
	const char *name; /* named port (borrowed from the policy), or NULL */
	const struct dfl_port_rule *pr; /* toPorts element; NULL for ICMP */
};

enum l3_kind {
	L3_NONE = 0,  /* selects nothing ([] or an unresolvable peer) */
	L3_WILDCARD,  /* no peer field: every identity */
	L3_SELECTORS,
};

/* One ingress/ingressDeny/egress/egressDeny element after scoping. */
struct pentry {
	enum dfl_direction dir;
	bool deny;
	bool default_deny;     /* the rule's enableDefaultDeny.<dir> */
	uint32_t cookie;       /* this element */
	uint32_t rule_cookie;  /* its rule, for default-deny attribution */
	enum l3_kind l3;
	struct dfl_cached_sel **peers;
	size_t n_peers;
	struct l4port *ports; /* none: L3 only */
	size_t n_ports;
	enum dfl_auth_mode auth;
	const struct dfl_peer_rule *src;
};

struct prule {
	struct dfl_cached_sel *subject; /* NULL for nodeSelector rules */
	bool subject_init;
	struct pentry *entries;
	size_t n_entries;
};

/* A policy in the repository. */
struct rpolicy {
	const struct dfl_policy *pol; /* borrowed */
	char *key;		      /* "kind\x1fns\x1fname" */
	enum dfl_kind kind;
	char *ns; /* NULL for CCNP */
	struct prule *rules;
	size_t n_rules;
	uint32_t *cidr_ids; /* local identities acquired for its prefixes */
	size_t n_cidr_ids, cap_cidr_ids;
	bool uses_services;
};

struct cport {
	char *name;
	uint16_t port;
	uint8_t proto;
};

struct endpoint {
	uint32_t serial;
	char *name; /* "ns/pod" */
	char *ns;
	struct dfl_kvs pod_labels; /* copied */
	char *service_account;
	bool raw; /* identity labels given as they are (raw_labels) */
	struct dfl_labels raw_labels;
	uint32_t identity; /* 0 until resolved */
	struct cport *ports;
	size_t n_ports;
	bool has_ip;
	struct dfl_prefix ip;
	struct dfl_ep_policy pol;
	bool resolved_once;
	bool dirty;
	bool labels_dirty; /* identity must be recomputed */
	struct dfl_cached_sel **used; /* peers of the last resolution */
	size_t n_used;
	bool egress_named_ports;
};

struct nsrec {
	struct dfl_kvs labels;
};

struct svcrec {
	char *ns, *name;
	struct dfl_kvs labels;	 /* metadata labels */
	struct dfl_kvs selector; /* pod selector; n = 0 when none */
};

/* Per-identity list of rules whose subject selects it. */
struct rule_ref {
	const struct rpolicy *rp;
	const struct prule *pr;
};

struct rulevec {
	struct rule_ref *items;
	size_t n, cap;
};

struct dfl_compiler {
	char *cluster;
	char *cilium_ns;
	enum dfl_enforcement enforcement;
	bool allow_localhost;
	uint16_t http_port, dns_port;
	size_t map_max;

	struct dfl_idalloc *ids;
	struct dfl_ipcache *ipc;
	struct dfl_selcache *sels;
	struct dfl_origins *origins;

	struct dfl_hmap policies;     /* key -> struct rpolicy */
	struct rpolicy **pol_sorted;  /* by key; rebuilt when NULL */
	size_t n_pol_sorted;
	struct dfl_hmap endpoints;    /* name -> struct endpoint */
	struct dfl_u64map ep_serial;  /* serial -> struct endpoint */
	struct endpoint **ep_sorted;  /* by name; rebuilt when NULL */
	size_t n_ep_sorted;
	uint32_t next_ep_serial;
	struct dfl_hmap namespaces;   /* name -> struct nsrec */
	struct dfl_hmap services;     /* "ns/name" -> struct svcrec */
	struct dfl_u64map ep_ids;     /* identity -> endpoints holding it */

	struct dfl_u64map rules_by_id; /* identity -> index into rulevecs */
	struct rulevec *rulevecs;
	size_t n_rulevecs, cap_rulevecs;
	bool index_dirty;

	uint64_t revision;
	struct dfl_diags *diags; /* where translation reports, or NULL */
	struct dfl_diffs removed; /* endpoints removed since the last resolve */
};

/* compiler.c: identities that also go to the selector cache and ipcache. */
int dfl_compiler_acquire_identity(struct dfl_compiler *c,
				  const struct dfl_labels *ls, uint32_t *id);
void dfl_compiler_release_identity(struct dfl_compiler *c, uint32_t id);
/* The local identity {cidr:<p>, reserved:world}, also put in the ipcache
 * unless a pod or node owns that exact prefix. */
int dfl_compiler_acquire_cidr(struct dfl_compiler *c,
			      const struct dfl_prefix *p, uint32_t *id);

/* translate.c */
int dfl_translate_policy(struct dfl_compiler *c, struct rpolicy *rp);
void dfl_rpolicy_release(struct dfl_compiler *c, struct rpolicy *rp);

/* resolve.c: recomputes ep->pol; returns 0 or -ENOMEM (merge errors are
 * reported in ep->pol.error and <diags>). */
int dfl_resolve_endpoint(struct dfl_compiler *c, struct endpoint *ep,
			 struct dfl_diags *diags);
void dfl_ep_policy_release(struct dfl_compiler *c, struct dfl_ep_policy *p);
int dfl_build_rule_index(struct dfl_compiler *c);

/* diff.c: appends the diff of one endpoint when anything changed (always
 * for <created>). Both entry arrays are sorted. */
int dfl_diff_append(struct dfl_diffs *d, const char *name, uint32_t identity,
		    bool created, const struct dfl_map_entry *old,
		    size_t n_old, const struct dfl_map_entry *cur, size_t n_cur,
		    bool dir_changed);

/* mapstate.c: a set of map entries being built for one endpoint. */
struct mapstate {
	struct dfl_map_entry *items;
	size_t n, cap;
	struct dfl_u64map index; /* packed key -> position */
};

int dfl_mapstate_add(struct mapstate *ms, const struct dfl_map_entry *e);
/* Applies the precedence pruning of §3.5 and sorts. */
int dfl_mapstate_finish(struct mapstate *ms);
void dfl_mapstate_release(struct mapstate *ms);
int dfl_map_entry_cmp(const struct dfl_map_entry *a,
		      const struct dfl_map_entry *b);
/* True when the key of <a> covers the key of <b> (same direction; the
 * identity is not compared). */
bool dfl_map_key_covers(const struct dfl_map_entry *a,
			const struct dfl_map_entry *b);

#endif
