#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/hosts.h"
#include "agent/ipam.h"
#include "agent/pod.h"

static void service_line(struct dfl_strbuf *out, uint32_t ip,
			 const struct dfl_service_desc *svc, bool same_ns)
{
	char buf[16];

	dfl_strbuf__printf(out, "%s\t%s.%s.svc." DFL_CLUSTER_DOMAIN " %s.%s.svc %s.%s",
			   dfl_ip4__fmt(ip, buf, sizeof(buf)), svc->name,
			   svc->namespace, svc->name, svc->namespace, svc->name,
			   svc->namespace);
	if (same_ns)
		dfl_strbuf__printf(out, " %s", svc->name);
	dfl_strbuf__putc(out, '\n');
}

int dfl_hosts__render(struct dfl_strbuf *out, const char *ns,
		      struct dfl_endpoint *const *eps, size_t n_eps,
		      struct dfl_service_desc *const *svcs, size_t n_svcs)
{
	char ip[16];

	dfl_strbuf__printf(out,
			   "# Kubernetes-managed hosts file (deflector, namespace %s).\n"
			   "127.0.0.1\tlocalhost\n"
			   "::1\tlocalhost ip6-localhost ip6-loopback\n"
			   "fe00::0\tip6-localnet\n"
			   "fe00::0\tip6-mcastprefix\n"
			   "fe00::1\tip6-allnodes\n"
			   "fe00::2\tip6-allrouters\n",
			   ns);
	if (n_svcs)
		dfl_strbuf__puts(out, "# Services\n");
	for (size_t i = 0; i < n_svcs; i++) {
		const struct dfl_service_desc *svc = svcs[i];
		bool same = !strcmp(svc->namespace, ns);

		if (!svc->headless) {
			service_line(out, svc->cluster_ip, svc, same);
			continue;
		}
		for (size_t j = 0; j < n_eps; j++)
			if (!strcmp(eps[j]->pod.namespace, svc->namespace) &&
			    dfl_pod_desc__selected_by(&eps[j]->pod, &svc->selector))
				service_line(out, eps[j]->ipv4, svc, same);
	}
	if (n_eps)
		dfl_strbuf__puts(out, "# Pods\n");
	for (size_t i = 0; i < n_eps; i++) {
		const struct dfl_endpoint *ep = eps[i];
		char dashed[16];
		bool shadowed = false;

		/* A Service of the same name owns name.ns and name. */
		for (size_t k = 0; k < n_svcs && !shadowed; k++)
			shadowed = !strcmp(svcs[k]->name, ep->pod.name) &&
				   !strcmp(svcs[k]->namespace, ep->pod.namespace);

		dfl_ip4__fmt(ep->ipv4, ip, sizeof(ip));
		memcpy(dashed, ip, sizeof(ip));
		for (char *p = dashed; *p; p++)
			if (*p == '.')
				*p = '-';
		dfl_strbuf__printf(out, "%s\t%s.%s.pod." DFL_CLUSTER_DOMAIN, ip,
				   dashed, ep->pod.namespace);
		if (!shadowed)
			dfl_strbuf__printf(out, " %s.%s", ep->pod.name,
					   ep->pod.namespace);
		if (!shadowed && !strcmp(ep->pod.namespace, ns))
			dfl_strbuf__printf(out, " %s", ep->pod.name);
		dfl_strbuf__putc(out, '\n');
	}
	return out->err;
}

int dfl_resolv__render(struct dfl_strbuf *out, const char *ns, uint32_t nameserver)
{
	char ip[16];

	dfl_strbuf__printf(out,
			   "search %s.svc." DFL_CLUSTER_DOMAIN " svc." DFL_CLUSTER_DOMAIN
			   " " DFL_CLUSTER_DOMAIN "\nnameserver %s\noptions ndots:5\n",
			   ns, dfl_ip4__fmt(nameserver, ip, sizeof(ip)));
	return out->err;
}

int dfl_hosts__write(const char *path, const char *content, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, content, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		content += n;
		len -= (size_t)n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}
