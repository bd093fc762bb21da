#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/endpoint.h"
#include "agent/ipam.h"
#include "agent/netns.h"
#include "util/log.h"
#include "util/mem.h"

#define POD_IFNAME "eth0"

struct link_info {
	int ifindex;
	uint8_t mac[6];
};

static void take_link(void *ctx, const struct dfl_nl_link *l)
{
	struct link_info *li = ctx;

	li->ifindex = l->ifindex;
	memcpy(li->mac, l->mac, 6);
}

static int get_link(struct dfl_nl *nl, const char *name, struct link_info *li)
{
	int err;

	li->ifindex = -ENODEV;
	err = dfl_nl__link_get(nl, name, take_link, li);
	return err ? err : (li->ifindex < 0 ? -ENODEV : 0);
}

/* eth0 inside the pod: up, <ip>/32, a scope-link route to the gateway and
 * the default route via it (the way Cilium configures pods). */
static int configure_pod_side(struct dfl_node *node, struct dfl_endpoint *ep,
			      int podns, char *err, size_t errlen)
{
	struct dfl_nl nl = { .fd = -1 };
	struct link_info eth0;
	char ip[16];
	int ret;

	ret = dfl_nl__open_in(&nl, podns);
	if (ret) {
		snprintf(err, errlen, "netlink in %s: %s", ep->netns, strerror(-ret));
		return ret;
	}
	ret = get_link(&nl, POD_IFNAME, &eth0);
	if (ret) {
		snprintf(err, errlen, "%s has no %s: %s", ep->netns, POD_IFNAME,
			 strerror(-ret));
		goto out;
	}
	memcpy(ep->mac, eth0.mac, 6);
	ret = dfl_nl__link_up(&nl, eth0.ifindex);
	if (!ret)
		ret = dfl_nl__addr_add(&nl, eth0.ifindex, ep->ipv4, 32);
	if (!ret)
		ret = dfl_nl__route_replace(&nl, node->gateway, 32, 0, eth0.ifindex);
	if (!ret)
		ret = dfl_nl__route_replace(&nl, 0, 0, node->gateway, eth0.ifindex);
	if (ret)
		snprintf(err, errlen, "configuring %s %s in %s: %s",
			 POD_IFNAME, dfl_ip4__fmt(ep->ipv4, ip, sizeof(ip)),
			 ep->netns, dfl_nl__strerror(&nl, ret));
out:
	dfl_nl__close(&nl);
	return ret;
}

static int configure_host_side(struct dfl_node *node, struct dfl_endpoint *ep,
			       char *err, size_t errlen)
{
	struct link_info host;
	char key[96], ip[16];
	int ret;

	ret = get_link(&node->nl, ep->ifname, &host);
	if (ret) {
		snprintf(err, errlen, "link %s: %s", ep->ifname, strerror(-ret));
		return ret;
	}
	ep->ifindex = host.ifindex;
	memcpy(ep->host_mac, host.mac, 6);
	/* No IPv6 on the veth: no router solicitations or DAD in the flows. */
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", ep->ifname);
	dfl_netns__sysctl(node->netns_fd, key, "1", NULL, 0);
	ret = dfl_nl__link_up(&node->nl, host.ifindex);
	if (!ret)
		ret = dfl_nl__route_replace(&node->nl, ep->ipv4, 32, 0, host.ifindex);
	if (ret)
		snprintf(err, errlen, "routing %s to %s: %s",
			 dfl_ip4__fmt(ep->ipv4, ip, sizeof(ip)), ep->ifname,
			 dfl_nl__strerror(&node->nl, ret));
	return ret;
}

int dfl_endpoint__plumb(struct dfl_node *node, struct dfl_endpoint *ep,
			char *err, size_t errlen)
{
	int podns, ret;

	podns = dfl_netns__open(ep->netns);
	if (podns == -ENOENT) {
		podns = dfl_netns__create(ep->netns);
		if (podns >= 0)
			dfl_netns__sysctl(podns, "net/ipv6/conf/default/disable_ipv6",
					  "1", NULL, 0);
	}
	if (podns < 0) {
		snprintf(err, errlen, "network namespace %s: %s", ep->netns,
			 strerror(-podns));
		return podns;
	}
	ret = dfl_nl__link_index(&node->nl, ep->ifname);
	if (ret == -ENODEV) {
		ret = dfl_nl__veth_add(&node->nl, ep->ifname, node->alias,
				       POD_IFNAME, podns);
		if (ret) {
			snprintf(err, errlen, "veth %s/%s: %s", ep->ifname,
				 POD_IFNAME, dfl_nl__strerror(&node->nl, ret));
			goto out;
		}
	} else if (ret < 0) {
		snprintf(err, errlen, "link %s: %s", ep->ifname, strerror(-ret));
		goto out;
	}
	ret = configure_pod_side(node, ep, podns, err, errlen);
	if (!ret)
		ret = configure_host_side(node, ep, err, errlen);
out:
	close(podns);
	return ret;
}

int dfl_endpoint__unplumb(struct dfl_node *node, const struct dfl_endpoint *ep)
{
	int ifindex, ret = 0, err;

	ifindex = dfl_nl__link_index(&node->nl, ep->ifname);
	if (ifindex >= 0) {
		err = dfl_nl__link_del(&node->nl, ifindex);
		if (err && err != -ENODEV) {
			pr_warn("endpoint %u: cannot delete %s: %s\n", ep->id,
				ep->ifname, dfl_nl__strerror(&node->nl, err));
			ret = err;
		}
	}
	err = dfl_netns__delete(ep->netns);
	if (err && err != -ENOENT) {
		pr_warn("endpoint %u: cannot delete network namespace %s: %s\n",
			ep->id, ep->netns, strerror(-err));
		ret = ret ? ret : err;
	}
	return ret;
}

int dfl_endpoint__verify(struct dfl_node *node, struct dfl_endpoint *ep,
			 char *err, size_t errlen)
{
	struct dfl_nl nl = { .fd = -1 };
	struct link_info eth0;
	int podns, ret;

	podns = dfl_netns__open(ep->netns);
	if (podns < 0) {
		snprintf(err, errlen, "network namespace %s is gone", ep->netns);
		return -ENOENT;
	}
	ret = dfl_nl__link_index(&node->nl, ep->ifname);
	if (ret < 0) {
		snprintf(err, errlen, "link %s is gone", ep->ifname);
		ret = -ENOENT;
		goto out;
	}
	ret = dfl_nl__open_in(&nl, podns);
	if (!ret)
		ret = get_link(&nl, POD_IFNAME, &eth0);
	dfl_nl__close(&nl);
	if (ret) {
		snprintf(err, errlen, "%s has no %s", ep->netns, POD_IFNAME);
		ret = -ENOENT;
		goto out;
	}
	ret = configure_pod_side(node, ep, podns, err, errlen);
	if (!ret)
		ret = configure_host_side(node, ep, err, errlen);
out:
	close(podns);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **dfl_endpoint__labels(const struct dfl_endpoint *ep)
{
	const struct dfl_pod_desc *pod = &ep->pod;
	size_t n = 0, cap = pod->labels.n + 4;
	char **out = calloc(cap, sizeof(*out));

	if (!out)
		return NULL;
	for (size_t i = 0; i < pod->labels.n; i++) {
		if (!strcmp(pod->labels.items[i].key, "pod-template-hash"))
			continue;
		if (asprintf(&out[n], "k8s:%s=%s", pod->labels.items[i].key,
			     pod->labels.items[i].value) < 0)
			goto nomem;
		n++;
	}
	if (asprintf(&out[n], "k8s:io.cilium.k8s.policy.cluster=default") < 0)
		goto nomem;
	n++;
	if (asprintf(&out[n], "k8s:io.cilium.k8s.policy.serviceaccount=%s",
		     pod->service_account ? pod->service_account : "default") < 0)
		goto nomem;
	n++;
	if (asprintf(&out[n], "k8s:io.kubernetes.pod.namespace=%s",
		     pod->namespace) < 0)
		goto nomem;
	n++;
	qsort(out, n, sizeof(*out), cmp_str);
	return out;
nomem:
	out[n] = NULL;
	for (size_t i = 0; i < n; i++)
		free(out[i]);
	free(out);
	errno = ENOMEM;
	return NULL;
}

static const char *const state_names[] = {
	[DFL_EP_CREATING] = "waiting-to-regenerate",
	[DFL_EP_READY] = "ready",
	[DFL_EP_RESTORING] = "restoring",
	[DFL_EP_NOT_READY] = "not-ready",
	[DFL_EP_DISCONNECTING] = "disconnecting",
};

const char *dfl_endpoint_state__name(enum dfl_endpoint_state s)
{
	if ((size_t)s < DFL_ARRAY_SIZE(state_names))
		return state_names[s];
	return "invalid";
}

int dfl_endpoint_state__parse(const char *name)
{
	for (size_t i = 0; i < DFL_ARRAY_SIZE(state_names); i++)
		if (!strcmp(state_names[i], name))
			return (int)i;
	return -EINVAL;
}
