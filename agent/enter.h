/* Entering a pod, for `deflector exec` and for the pod processes the agent
 * starts: the calling process joins the pod's network namespace and gets
 * mount and UTS namespaces of its own in which /etc/hosts and
 * /etc/resolv.conf are the pod's (as `ip netns exec` does with
 * /etc/netns/NAME/), /sys shows the pod's interfaces, and the host name is
 * the pod's name.
 *
 * Call it in a single-threaded process (the CLI, or a child after fork):
 * setns and unshare act on the calling thread. */
#ifndef DFL_AGENT_ENTER_H
#define DFL_AGENT_ENTER_H

#include <stddef.h>

struct dfl_pod_enter {
	const char *netns;	/* name under /run/netns */
	const char *hosts_path; /* NULL: keep the host's /etc/hosts */
	const char *resolv_path; /* NULL: keep the host's /etc/resolv.conf */
	const char *hostname;	/* NULL: keep the host name */
};

/* Returns 0, or a negative errno with a message in <err>. Nothing is undone
 * on failure: the caller is expected to exit. */
int dfl_pod__enter(const struct dfl_pod_enter *e, char *err, size_t errlen);

#endif
