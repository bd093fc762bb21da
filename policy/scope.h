/* Turning a rule's written selectors into the selectors Cilium evaluates
 * (§2.3, §1.7, §2.6): namespace and cluster injection, entities, CIDR and
 * node selectors. Pure functions over struct dfl_sel, for the compiler and
 * for tests. */
#ifndef DFL_POLICY_SCOPE_H
#define DFL_POLICY_SCOPE_H

#include "crd/crd-t.h"
#include "identity/identity-t.h"

/* Subject (endpointSelector) of a CNP or KNP in <ns>: sets
 * k8s:io.kubernetes.pod.namespace=<ns>, replacing a matchLabels value for
 * that key. CCNP subjects are left alone. */
int dfl_scope_subject(struct dfl_sel *sel, enum dfl_kind kind, const char *ns);

/* A peer endpoint selector (fromEndpoints/toEndpoints) of a policy of <kind>
 * in <ns> (NULL for CCNP). <subject_init>: the rule's subject mentions
 * reserved:init. <cluster> "" disables the cluster filter. */
int dfl_scope_peer(struct dfl_sel *sel, enum dfl_kind kind, const char *ns,
		   const char *cluster, bool subject_init);

/* A fromNodes/toNodes selector: reserved:remote-node Exists + cluster. */
int dfl_scope_node(struct dfl_sel *sel, const char *cluster);

/* The selectors an entity bit set stands for, appended to *<out> (array of
 * *<n>, grown with dfl_grow). "all" is the empty selector. */
int dfl_entity_selectors(uint32_t mask, const char *cluster,
			 struct dfl_sel **out, size_t *n, size_t *cap);

/* A CIDR peer: cidr:<prefix> Exists and cidr:<except> DoesNotExist for each
 * except; a /0 prefix is reserved:world. */
int dfl_cidr_selector(const struct dfl_prefix *prefix,
		      const struct dfl_prefix *except, size_t n_except,
		      struct dfl_sel *out);

/* The selector of a toFQDNs element: fqdn:<matchName or matchPattern as
 * written> Exists. */
int dfl_fqdn_peer_selector(const struct dfl_fqdn_selector *f,
			   struct dfl_sel *out);

/* Converts a decoded CIDR. */
void dfl_prefix_from_cidr(const struct dfl_cidr *c, struct dfl_prefix *out);

#endif
