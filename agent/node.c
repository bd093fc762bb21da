#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/ipam.h"
#include "agent/netns.h"
#include "agent/node.h"
#include "util/log.h"

static int setup_netns(struct dfl_node *node, char *err, size_t errlen)
{
	int fd;

	if (!node->netns) {
		fd = dfl_netns__current();
		if (fd < 0)
			snprintf(err, errlen,
				 "cannot open the host's network namespace: %s",
				 strerror(-fd));
		node->netns_fd = fd;
		return fd < 0 ? fd : 0;
	}
	fd = dfl_netns__open(node->netns);
	if (fd == -ENOENT) {
		fd = dfl_netns__create(node->netns);
		if (fd >= 0) {
			node->created_netns = true;
			pr_info("node: created network namespace %s\n",
				node->netns);
		}
	}
	if (fd < 0) {
		snprintf(err, errlen, "node network namespace %s: %s%s",
			 node->netns, strerror(-fd),
			 fd == -EPERM ? " (run as root)" : "");
		return fd;
	}
	node->netns_fd = fd;
	return 0;
}

int dfl_node__open(struct dfl_node *node, const char *name, const char *netns,
		   char *err, size_t errlen)
{
	int ret;

	memset(node, 0, sizeof(*node));
	node->netns_fd = -1;
	node->nl.fd = -1;
	node->name = strdup(name);
	node->netns = netns ? strdup(netns) : NULL;
	if (!node->name || (netns && !node->netns)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(node->alias, sizeof(node->alias),
		 DFL_LINK_ALIAS_PREFIX "%.50s", name);
	ret = setup_netns(node, err, errlen);
	if (ret)
		return ret;
	ret = dfl_nl__open_in(&node->nl, node->netns_fd);
	if (ret) {
		snprintf(err, errlen,
			 "netlink socket in the node namespace: %s",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

int dfl_node__setup(struct dfl_node *node, const char *name, const char *netns,
		    uint32_t gateway, const char *prev_forward, char *err,
		    size_t errlen)
{
	char ip[16], old[8] = "";
	int ret = dfl_node__open(node, name, netns, err, errlen);

	if (ret)
		return ret;
	node->gateway = gateway;
	ret = dfl_netns__sysctl(node->netns_fd, "net/ipv4/ip_forward", "1", old,
				sizeof(old));
	if (ret) {
		snprintf(err, errlen,
			 "cannot enable ip_forward on the node: %s",
			 strerror(-ret));
		return ret;
	}
	/* Keep the value found before our first run, not our own "1". */
	snprintf(node->prev_forward, sizeof(node->prev_forward), "%s",
		 prev_forward && *prev_forward ? prev_forward : old);
	if (node->created_netns)
		dfl_netns__sysctl(node->netns_fd,
				  "net/ipv6/conf/default/disable_ipv6", "1",
				  NULL, 0);
	/* Pods' DNS goes to the gateway (agent/hosts.h); until something
	 * serves it, the node's port-unreachable answers make lookups fail at
	 * once. The default rate limit (6, then 1 per second per pod) would
	 * turn most of them into 5 s timeouts. Not changed on the host. */
	if (node->netns)
		dfl_netns__sysctl(node->netns_fd, "net/ipv4/icmp_ratelimit",
				  "0", NULL, 0);

	node->host_ifindex = dfl_nl__link_index(&node->nl, DFL_NODE_HOST_LINK);
	if (node->host_ifindex == -ENODEV) {
		ret =
		    dfl_nl__veth_add(&node->nl, DFL_NODE_HOST_LINK, node->alias,
				     DFL_NODE_NET_LINK, node->netns_fd);
		if (ret && ret != -EEXIST) {
			snprintf(err, errlen, "cannot create link %s: %s",
				 DFL_NODE_HOST_LINK,
				 dfl_nl__strerror(&node->nl, ret));
			return ret;
		}
		node->host_ifindex =
		    dfl_nl__link_index(&node->nl, DFL_NODE_HOST_LINK);
	}
	if (node->host_ifindex < 0) {
		snprintf(err, errlen, "link %s: %s", DFL_NODE_HOST_LINK,
			 strerror(-node->host_ifindex));
		return node->host_ifindex;
	}
	ret = dfl_nl__link_up(&node->nl, node->host_ifindex);
	if (!ret) {
		int net = dfl_nl__link_index(&node->nl, DFL_NODE_NET_LINK);

		ret = net < 0 ? net : dfl_nl__link_up(&node->nl, net);
	}
	if (!ret)
		ret = dfl_nl__addr_add(&node->nl, node->host_ifindex, gateway,
				       32);
	if (ret) {
		snprintf(
		    err, errlen, "cannot give %s the gateway address %s: %s",
		    DFL_NODE_HOST_LINK, dfl_ip4__fmt(gateway, ip, sizeof(ip)),
		    dfl_nl__strerror(&node->nl, ret));
		return ret;
	}
	return 0;
}

void dfl_node__close(struct dfl_node *node)
{
	if (!node)
		return;
	dfl_nl__close(&node->nl);
	if (node->netns_fd >= 0)
		close(node->netns_fd);
	node->netns_fd = -1;
	free(node->name);
	free(node->netns);
	node->name = node->netns = NULL;
}

struct marked {
	const char *alias;
	int ifindex[256];
	size_t n;
};

static void collect_marked(void *ctx, const struct dfl_nl_link *l)
{
	struct marked *m = ctx;

	if (l->alias && !strcmp(l->alias, m->alias) &&
	    m->n < sizeof(m->ifindex) / sizeof(m->ifindex[0]))
		m->ifindex[m->n++] = l->ifindex;
}

int dfl_node__teardown(struct dfl_node *node)
{
	struct marked m = {.alias = node->alias};
	int ret = 0, err;

	/* Links carrying our alias: dfl_host and any veth left behind. Done in
	 * rounds because a dump holds at most 256 of them. */
	do {
		m.n = 0;
		err = dfl_nl__links(&node->nl, collect_marked, &m);
		if (err) {
			ret = err;
			break;
		}
		for (size_t i = 0; i < m.n; i++) {
			err = dfl_nl__link_del(&node->nl, m.ifindex[i]);
			if (err && err != -ENODEV) {
				pr_warn("node: cannot delete link %d: %s\n",
					m.ifindex[i], strerror(-err));
				ret = err;
			}
		}
	} while (m.n == sizeof(m.ifindex) / sizeof(m.ifindex[0]) && !ret);

	if (!node->netns && node->prev_forward[0] &&
	    strcmp(node->prev_forward, "1"))
		dfl_netns__sysctl(node->netns_fd, "net/ipv4/ip_forward",
				  node->prev_forward, NULL, 0);
	dfl_nl__close(&node->nl);
	if (node->netns && node->created_netns) {
		err = dfl_netns__delete(node->netns);
		if (err && err != -ENOENT) {
			pr_warn(
			    "node: cannot delete network namespace %s: %s\n",
			    node->netns, strerror(-err));
			ret = err;
		} else {
			pr_info("node: deleted network namespace %s\n",
				node->netns);
		}
	}
	dfl_node__close(node);
	return ret;
}
