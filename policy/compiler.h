/* The policy compiler: policies, pods, namespaces and services in;
 * per-endpoint policy-map entries, default-deny state, L7 rule sets and
 * attribution out (cilium-policy.md §3.9). Incremental: every change marks
 * only the endpoints it can affect, and dfl_compiler__resolve() re-resolves
 * those and reports what changed in their maps.
 *
 * Datapath generation: the V20 entry layout (precedence, deny bit, cookie)
 * with the pre-aggregate second lookup: the datapath looks up the remote
 * identity, then identity 0 (§8.4). No aggregate identities (11-14) are
 * written; "any identity" is identity 0.
 *
 * Threading: none; callers serialise. Results are valid until the next call
 * that changes an input or resolves. */
#ifndef DFL_POLICY_COMPILER_H
#define DFL_POLICY_COMPILER_H

#include "crd/crd-t.h"
#include "identity/allocator.h"
#include "identity/identity-t.h"
#include "identity/ipcache.h"
#include "policy/policy-t.h"
#include "bpf/include/dfl_drop_reasons.h"

struct dfl_compiler;
struct dfl_objects;

/* <cfg> may be NULL for defaults; strings are copied. NULL with errno. */
struct dfl_compiler *dfl_compiler__new(const struct dfl_policy_config *cfg);
void dfl_compiler__free(struct dfl_compiler *c);

/* ---- inputs ------------------------------------------------------------ */

/* Adds or replaces a CNP, CCNP or NetworkPolicy (matched by kind, namespace
 * and name). <p> is borrowed: it must stay valid and unchanged until it is
 * replaced, removed, or the compiler is freed. Problems that are not
 * Cilium validation errors (unsupported fields, unresolvable references)
 * are reported in <diags> (may be NULL). Returns 0 or -ENOMEM. */
int dfl_compiler__upsert_policy(struct dfl_compiler *c,
				const struct dfl_policy *p,
				struct dfl_diags *diags);
/* Returns -ENOENT when no such policy is loaded. */
int dfl_compiler__remove_policy(struct dfl_compiler *c, enum dfl_kind kind,
				const char *ns, const char *name);

/* Namespaces, pods, deployments and services are copied. */
int dfl_compiler__upsert_namespace(struct dfl_compiler *c,
				   const struct dfl_namespace *ns);
int dfl_compiler__upsert_pod(struct dfl_compiler *c, const struct dfl_pod *pod);
/* A Deployment is one endpoint "ns/name" standing for all its replicas. */
int dfl_compiler__upsert_deployment(struct dfl_compiler *c,
				    const struct dfl_deployment *d);
/* An endpoint whose identity labels are given as they are (trace's
 * "--from k8s:app=x"). */
int dfl_compiler__upsert_label_endpoint(struct dfl_compiler *c,
					const char *name,
					const struct dfl_labels *ls);
/* Removes a pod, deployment or label endpoint; -ENOENT when unknown. */
int dfl_compiler__remove_endpoint(struct dfl_compiler *c, const char *name);
int dfl_compiler__upsert_service(struct dfl_compiler *c,
				 const struct dfl_service *svc);
int dfl_compiler__remove_service(struct dfl_compiler *c, const char *ns,
				 const char *name);
/* Loads every namespace, service, pod, deployment and policy of <objs>
 * (borrowing the policies, see __upsert_policy). */
int dfl_compiler__add_objects(struct dfl_compiler *c,
			      const struct dfl_objects *objs,
			      struct dfl_diags *diags);

/* An identity of pods on other nodes (or any label set): taken with a
 * reference, released with __release_identity. */
int dfl_compiler__acquire_identity(struct dfl_compiler *c,
				   const struct dfl_labels *ls, uint32_t *id);
void dfl_compiler__release_identity(struct dfl_compiler *c, uint32_t id);
/* A node address: the local node is identity host (1), others
 * remote-node (6). */
int dfl_compiler__add_node(struct dfl_compiler *c, const struct dfl_prefix *ip,
			   bool local);

/* ---- resolution -------------------------------------------------------- */

/* Resolves every endpoint an input change may have affected. When <diffs>
 * is not NULL, appends one dfl_ep_diff per endpoint whose entries or
 * direction state changed (and per removed endpoint). Merge errors go to
 * <diags> (may be NULL) and the endpoint's error field. 0 or -ENOMEM. */
int dfl_compiler__resolve(struct dfl_compiler *c, struct dfl_diffs *diffs,
			  struct dfl_diags *diags);
void dfl_diffs__release(struct dfl_diffs *d);

/* ---- results ----------------------------------------------------------- */

/* By "namespace/name"; NULL when unknown or not yet resolved. */
const struct dfl_ep_policy *dfl_compiler__policy(const struct dfl_compiler *c,
						 const char *name);
/* Resolved endpoints in name order. */
size_t dfl_compiler__n_endpoints(struct dfl_compiler *c);
const struct dfl_ep_policy *dfl_compiler__policy_at(struct dfl_compiler *c,
						    size_t i);

struct dfl_compiler_endpoint {
	const char *name;
	const char *ns;
	uint32_t identity;
	const struct dfl_labels *labels; /* identity labels, NULL if none yet */
};

/* Fills <out> for endpoint <name>; -ENOENT when unknown. */
int dfl_compiler__endpoint_info(const struct dfl_compiler *c, const char *name,
				struct dfl_compiler_endpoint *out);

const struct dfl_origin *dfl_compiler__origin(const struct dfl_compiler *c,
					      uint32_t cookie);
struct dfl_idalloc *dfl_compiler__identities(struct dfl_compiler *c);
struct dfl_ipcache *dfl_compiler__ipcache(struct dfl_compiler *c);
const char *dfl_compiler__cluster(const struct dfl_compiler *c);

/* Every toFQDNs selector of the loaded policies, in policy order; for
 * identities of names (trace). Writes at most <max> and returns how many
 * there are (call with max 0 to size the array). */
size_t dfl_compiler__fqdn_selectors(struct dfl_compiler *c,
				    const struct dfl_fqdn_selector **out,
				    size_t max);

/* ---- datapath emulation (§8.4) ----------------------------------------- */


struct dfl_policy_verdict {
	bool allowed;
	int drop_reason; /* 0 when allowed */
	const struct dfl_map_entry *entry; /* deciding entry; NULL: none */
	uint16_t proxy_port;
	uint8_t auth_type; /* after inheritance from the other lookup */
	enum dfl_policy_match match;
};

/* What the datapath decides for a packet from/to <remote_id> with <proto>
 * and <dport> (the ICMP type for ICMP) in a direction of an endpoint. An
 * auth type of spire counts as allowed (the auth map decides at run time);
 * always-fail is a drop with 189. */
void dfl_ep_policy__lookup(const struct dfl_ep_policy *p, bool egress,
			   uint32_t remote_id, uint8_t proto, uint16_t dport,
			   struct dfl_policy_verdict *out);

/* The L7 rules that apply to a redirected connection (§3.4): the union
 * over every allow filter covering (proto, port) whose peer selects
 * <remote_id>. */
struct dfl_l7_set {
	enum dfl_l7_parser parser;
	bool allow_all;		   /* a plain allow or empty rule merged in */
	uint32_t allow_all_cookie; /* who made it so */
	struct dfl_l7_rule_ref *rules; /* malloc'd */
	size_t n_rules;
};

/* Returns 0, -ENOENT when no L7 filter applies, or -ENOMEM. */
int dfl_ep_policy__l7(const struct dfl_ep_policy *p, bool egress,
		      uint8_t proto, uint16_t port, uint32_t remote_id,
		      struct dfl_l7_set *out);
void dfl_l7_set__release(struct dfl_l7_set *s);

/* BPF key prefix length of an entry: 40 + (proto ? 8 : 0) + port bits. */
unsigned int dfl_map_entry__prefixlen(const struct dfl_map_entry *e);
/* An entry's port/protocol as Cilium prints it: "80/TCP", "8080-8095/TCP",
 * "TCP" (every port), "ANY". Returns <buf>. */
const char *dfl_map_entry__port_proto(const struct dfl_map_entry *e,
				      char *buf, size_t len);
/* "TCP", "UDP", "ICMP", "ANY" (0), or the number in <buf>. */
const char *dfl_proto__name(uint8_t proto, char *buf, size_t len);


#endif
