/* Per-pod hosts files: how pods resolve Service and pod names without a DNS
 * server. `deflector exec` and pod programs see the file as /etc/hosts
 * (agent/enter.h). Kubelet's managed header first, then the pod's own name,
 * then every Service (name.ns.svc.cluster.local, name.ns.svc, name.ns, and
 * the bare name for Services of the pod's own namespace) at its ClusterIP
 * (a headless Service: at each selected pod's IP), then every pod
 * (a-b-c-d.ns.pod.cluster.local, name.ns, and the bare name in the pod's own
 * namespace). The first match wins, so Services shadow pods. */
#ifndef DFL_AGENT_HOSTS_H
#define DFL_AGENT_HOSTS_H

#include <stddef.h>

#include "agent/agent-t.h"
#include "util/strbuf.h"

#define DFL_CLUSTER_DOMAIN "cluster.local"

/* Appends the hosts file of <self> to <out>. <eps> and <svcs> are every
 * endpoint (self included) and Service of the node. Returns 0 or -ENOMEM. */
int dfl_hosts__render(struct dfl_strbuf *out, const struct dfl_endpoint *self,
		      struct dfl_endpoint *const *eps, size_t n_eps,
		      struct dfl_service_desc *const *svcs, size_t n_svcs);

/* Writes <content> to <path> in place (truncate and write, not rename): the
 * file is bind-mounted over /etc/hosts in running pods, and a bind mount
 * keeps pointing at the old inode when the path is replaced. Returns 0 or
 * -errno. */
int dfl_hosts__write(const char *path, const char *content, size_t len);

#endif
