/* An endpoint's kernel objects: the pod's network namespace, the veth pair
 * (host side lxc<hash> in the node's namespace, eth0 in the pod), the pod's
 * /32 address with a default route via the node's gateway, and the node's
 * /32 route to the pod through the veth.
 *
 * These functions do the plumbing only; ids, addresses, bookkeeping and
 * hooks are the agent's (agent/agent.c). All are idempotent so that an agent
 * restarted at any point can finish or undo what a previous run started. */
#ifndef DFL_AGENT_ENDPOINT_H
#define DFL_AGENT_ENDPOINT_H

#include <stddef.h>

#include "agent/agent-t.h"
#include "agent/node.h"

/* Makes everything for <ep> (ep->netns, ep->ifname and ep->ipv4 set by the
 * caller) and fills ep->ifindex, ep->mac and ep->host_mac. Objects that
 * already exist are reused. On failure returns a negative errno with a
 * message in <err>; what was made stays for dfl_endpoint__unplumb. */
int dfl_endpoint__plumb(struct dfl_node *node, struct dfl_endpoint *ep,
			char *err, size_t errlen);
/* Removes the veth (both ends, and the node's route with it) and the pod's
 * namespace. Missing objects are not an error. Returns 0 or the first
 * error. */
int dfl_endpoint__unplumb(struct dfl_node *node, const struct dfl_endpoint *ep);
/* For a restarted agent: returns 0 when ep's namespace and veth exist (the
 * veth's peer being eth0 in that namespace), after re-applying addresses and
 * routes and refreshing ifindex and MACs; -ENOENT (message in <err>) when
 * something is missing and the endpoint must be plumbed again. */
int dfl_endpoint__verify(struct dfl_node *node, struct dfl_endpoint *ep,
			 char *err, size_t errlen);

/* Cilium-style security labels of <ep>, "k8s:key=value", sorted: the pod's
 * labels (minus pod-template-hash, which Cilium's default label filter
 * drops) plus io.kubernetes.pod.namespace, io.cilium.k8s.policy.cluster and
 * io.cilium.k8s.policy.serviceaccount. The identity component replaces this
 * with its own derivation when integrated. Returns a NULL-terminated array
 * (free each string, then the array) or NULL with errno set. */
char **dfl_endpoint__labels(const struct dfl_endpoint *ep);

const char *dfl_endpoint_state__name(enum dfl_endpoint_state s);
/* Parses a name from dfl_endpoint_state__name; -EINVAL when unknown. */
int dfl_endpoint_state__parse(const char *name);

#endif
