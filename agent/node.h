/* The node: the network namespace that holds every pod's host-side veth and
 * routes between pods. Either the host's own namespace, or a namespace of its
 * own (--node-netns NAME) so that tests never touch the host's routes and
 * several agents can run side by side.
 *
 * The node owns a veth pair dfl_host/dfl_net (Cilium's cilium_host and
 * cilium_net) whose dfl_host end carries the pod CIDR's gateway address as a
 * /32: pods route everything via that address, the node answers ARP for it
 * on every pod veth (it is local), and forwards between the per-pod /32
 * routes. (A veth rather than a dummy link: not every kernel has dummy.) */
#ifndef DFL_AGENT_NODE_H
#define DFL_AGENT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/netlink.h"

#define DFL_NODE_HOST_LINK    "dfl_host"
#define DFL_NODE_NET_LINK     "dfl_net"
#define DFL_LINK_ALIAS_PREFIX "deflector:"

struct dfl_node {
	char *name;	    /* node name: hash input of endpoint names, alias */
	char *netns;	    /* NULL: the host's namespace */
	int netns_fd;	    /* the node's namespace (host's too), -1 closed */
	struct dfl_nl nl;   /* netlink socket bound to that namespace */
	uint32_t gateway;   /* host order */
	int host_ifindex;   /* dfl_host (holds the gateway address) */
	char alias[64];	    /* "deflector:<name>" on every link we create */
	bool created_netns; /* we created the node netns (cleanup removes it) */
	char prev_forward[8]; /* ip_forward before we set it, "" unknown */
};

/* Opens or creates the node namespace (loopback up, ip_forward = 1, IPv6
 * off by default for new links), and creates or checks dfl_host/dfl_net with
 * <gateway>/32. Idempotent: an agent restart finds everything in place.
 * <prev_forward> is what a previous run recorded ("" when none). Returns 0 or
 * a negative errno with a message in <err>. */
int dfl_node__setup(struct dfl_node *node, const char *name, const char *netns,
		    uint32_t gateway, const char *prev_forward, char *err,
		    size_t errlen);
/* Opens (or creates) the node namespace and a netlink socket in it, and
 * changes nothing else: the Kubernetes chaining mode, where another CNI
 * owns the node's links. 0 or -errno with a message in <err>. */
int dfl_node__open(struct dfl_node *node, const char *name, const char *netns,
		   char *err, size_t errlen);
/* Closes fds and frees names; leaves the kernel objects in place. */
void dfl_node__close(struct dfl_node *node);
/* Removes what dfl_node__setup made: dfl_host/dfl_net, every
 * link carrying our alias, the node netns when we created it (a node netns
 * named by the user but found existing is kept), and restores ip_forward.
 * Then closes the node. */
int dfl_node__teardown(struct dfl_node *node);

#endif
