/* Hosts files: how pods resolve Service and pod names without a DNS server.
 * Every pod of a namespace shares one file, so that a change rewrites one
 * file per namespace, not one per pod; `deflector exec` and pod programs see
 * it as /etc/hosts (agent/enter.h). Kubelet's managed header first, then
 * every Service (name.ns.svc.cluster.local, name.ns.svc, name.ns, and
 * the bare name for Services of the pod's own namespace) at its ClusterIP
 * (a headless Service: at each selected pod's IP), then every pod
 * (a-b-c-d.ns.pod.cluster.local, name.ns, and the bare name in the pod's own
 * namespace; the last two are left out when a Service has the pod's name). */
#ifndef DFL_AGENT_HOSTS_H
#define DFL_AGENT_HOSTS_H

#include <stddef.h>

#include "agent/agent-t.h"
#include "util/strbuf.h"

#define DFL_CLUSTER_DOMAIN "cluster.local"

/* Appends the hosts file of namespace <ns> to <out>. <eps> and <svcs> are
 * every endpoint and Service of the node. Returns 0 or -ENOMEM. */
int dfl_hosts__render(struct dfl_strbuf *out, const char *ns,
		      struct dfl_endpoint *const *eps, size_t n_eps,
		      struct dfl_service_desc *const *svcs, size_t n_svcs);

/* The pod's resolv.conf, as kubelet writes it for ClusterFirst pods: the
 * search path of the pod's namespace, ndots:5, and the node's gateway as
 * name server. Nothing answers DNS there until a component binds port 53
 * on it (the DNS proxy can): until then a name that is not in the hosts file
 * fails at once (the node refuses the query) instead of timing out on the
 * host's resolver, which pods cannot reach. */
int dfl_resolv__render(struct dfl_strbuf *out, const char *ns, uint32_t nameserver);

/* Writes <content> to <path> in place (truncate and write, not rename): the
 * file is bind-mounted over /etc/hosts in running pods, and a bind mount
 * keeps pointing at the old inode when the path is replaced. Returns 0 or
 * -errno. */
int dfl_hosts__write(const char *path, const char *content, size_t len);

#endif
