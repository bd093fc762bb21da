/* Services: ClusterIPs, the pods they select, and the hosts files through
 * which pods resolve their names. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent-priv.h"
#include "agent/agent.h"
#include "agent/hosts.h"
#include "agent/naming.h"
#include "agent/pod.h"
#include "util/log.h"
#include "util/mem.h"

static bool namespace_used(const struct dfl_agent *a, const char *ns,
			   size_t before)
{
	for (size_t i = 0; i < before && i < a->n_eps; i++)
		if (!strcmp(a->eps[i]->pod.namespace, ns))
			return true;
	return false;
}

static void write_file(const char *path, struct dfl_strbuf *sb, int ret)
{
	if (!ret)
		ret = dfl_hosts__write(path, sb->buf, sb->len);
	if (ret)
		pr_warn("cannot write %s: %s\n", path, strerror(-ret));
}

/* Removes <state>/ns/<ns>/ of namespaces without pods. */
static void remove_unused(struct dfl_agent *a)
{
	char dir[4200], path[8600];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/ns", a->state_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || namespace_used(a, de->d_name, a->n_eps))
			continue;
		snprintf(path, sizeof(path), "%s/%s/hosts", dir, de->d_name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s/resolv.conf", dir, de->d_name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rmdir(path);
	}
	closedir(d);
}

void dfl_agent__refresh_hosts(struct dfl_agent *a)
{
	struct dfl_strbuf sb = { 0 };
	char path[4400];

	for (size_t i = 0; i < a->n_eps; i++) {
		const char *ns = a->eps[i]->pod.namespace;

		if (namespace_used(a, ns, i))
			continue; /* done with an earlier pod */
		if (dfl_agent__namespace_dir(a, ns, path, sizeof(path)))
			continue;
		dfl_strbuf__reset(&sb);
		strcat(path, "/hosts");
		write_file(path, &sb, dfl_hosts__render(&sb, ns, a->eps, a->n_eps,
							a->svcs, a->n_svcs));
		dfl_strbuf__reset(&sb);
		strcpy(strrchr(path, '/'), "/resolv.conf");
		write_file(path, &sb, dfl_resolv__render(&sb, ns, a->pod_ipam.gateway));
	}
	dfl_strbuf__release(&sb);
	remove_unused(a);
}

int dfl_agent__namespace_dir(struct dfl_agent *a, const char *ns, char *buf,
			     size_t len)
{
	snprintf(buf, len, "%s/ns", a->state_dir);
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	snprintf(buf, len, "%s/ns/%s", a->state_dir, ns);
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static ssize_t find_service(const struct dfl_agent *a, const char *ns,
			    const char *name)
{
	for (size_t i = 0; i < a->n_svcs; i++)
		if (!strcmp(a->svcs[i]->namespace, ns) &&
		    !strcmp(a->svcs[i]->name, name))
			return (ssize_t)i;
	return -1;
}

static int cmp_service(const void *x, const void *y)
{
	const struct dfl_service_desc *a = *(struct dfl_service_desc *const *)x;
	const struct dfl_service_desc *b = *(struct dfl_service_desc *const *)y;
	int c = strcmp(a->namespace, b->namespace);

	return c ? c : strcmp(a->name, b->name);
}

/* A deep copy through the JSON form, which every field round-trips. */
static struct dfl_service_desc *service_copy(const struct dfl_service_desc *svc)
{
	struct dfl_service_desc *copy = calloc(1, sizeof(*copy));
	json_t *j = dfl_service_desc__to_json(svc);
	char err[256];

	if (!copy || !j ||
	    dfl_service_desc__from_json(copy, j, "service", err, sizeof(err))) {
		dfl_service_desc__release(copy);
		free(copy);
		copy = NULL;
	}
	json_decref(j);
	return copy;
}

int dfl_agent__service_apply(struct dfl_agent *a,
			     const struct dfl_service_desc *svc,
			     const struct dfl_service_desc **out, char *err,
			     size_t errlen)
{
	struct dfl_service_desc *copy, *old = NULL;
	ssize_t idx;
	const char *msg;
	char ip[16];
	bool claimed = false;
	int ret;

	if ((msg = dfl_k8s__check_label(svc->namespace)) ||
	    (msg = dfl_k8s__check_label(svc->name))) {
		snprintf(err, errlen, "service %s/%s: %s",
			 svc->namespace ? svc->namespace : "",
			 svc->name ? svc->name : "", msg);
		return -EINVAL;
	}
	idx = find_service(a, svc->namespace, svc->name);
	if (idx >= 0)
		old = a->svcs[idx];
	copy = service_copy(svc);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (old && (old->headless != copy->headless ||
		    (copy->cluster_ip && copy->cluster_ip != old->cluster_ip))) {
		snprintf(err, errlen,
			 "service %s/%s: clusterIP is immutable (it is %s)",
			 svc->namespace, svc->name,
			 old->headless ? "None"
				       : dfl_ip4__fmt(old->cluster_ip, ip, sizeof(ip)));
		ret = -EINVAL;
		goto fail;
	}
	if (old) {
		copy->cluster_ip = old->cluster_ip;
	} else if (!copy->headless && !copy->cluster_ip) {
		if (dfl_ipam__alloc(&a->svc_ipam, &copy->cluster_ip)) {
			snprintf(err, errlen, "service CIDR %s is full",
				 a->service_cidr);
			ret = -ENOSPC;
			goto fail;
		}
		claimed = true;
	} else if (!copy->headless) {
		ret = dfl_ipam__claim(&a->svc_ipam, copy->cluster_ip);
		if (ret == -EEXIST) {
			snprintf(err, errlen,
				 "service %s/%s: ClusterIP %s is already allocated",
				 svc->namespace, svc->name,
				 dfl_ip4__fmt(copy->cluster_ip, ip, sizeof(ip)));
			goto fail;
		}
		claimed = ret == 0;
	}
	if (old) {
		dfl_service_desc__release(old);
		free(old);
		a->svcs[idx] = copy;
	} else {
		struct dfl_service_desc **slot =
			DFL_PUSH(a->svcs, a->n_svcs, a->cap_svcs);

		if (!slot) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto fail;
		}
		*slot = copy;
		qsort(a->svcs, a->n_svcs, sizeof(*a->svcs), cmp_service);
	}
	dfl_agent__refresh_hosts(a);
	dfl_agent__persist(a);
	pr_info("service %s/%s: %s %s\n", copy->namespace, copy->name,
		old ? "updated," : "created,",
		copy->headless ? "headless"
			       : dfl_ip4__fmt(copy->cluster_ip, ip, sizeof(ip)));
	if (a->hooks.service_changed)
		a->hooks.service_changed(a->hooks.ctx, a, copy, false);
	dfl_agent__event(a, old ? "service-updated" : "service-created",
			 "service", dfl_service_desc__to_json(copy));
	if (out)
		*out = copy;
	return 0;
fail:
	if (claimed)
		dfl_ipam__free(&a->svc_ipam, copy->cluster_ip);
	dfl_service_desc__release(copy);
	free(copy);
	return ret;
}

int dfl_agent__service_delete(struct dfl_agent *a, const char *ns,
			      const char *name, char *err, size_t errlen)
{
	ssize_t idx = find_service(a, ns, name);
	struct dfl_service_desc *svc;

	if (idx < 0) {
		snprintf(err, errlen, "service %s/%s not found", ns, name);
		return -ENOENT;
	}
	svc = a->svcs[idx];
	memmove(&a->svcs[idx], &a->svcs[idx + 1],
		(a->n_svcs - (size_t)idx - 1) * sizeof(*a->svcs));
	a->n_svcs--;
	if (!svc->headless)
		dfl_ipam__free(&a->svc_ipam, svc->cluster_ip);
	dfl_agent__refresh_hosts(a);
	dfl_agent__persist(a);
	pr_info("service %s/%s: deleted\n", ns, name);
	if (a->hooks.service_changed)
		a->hooks.service_changed(a->hooks.ctx, a, svc, true);
	dfl_agent__event(a, "service-deleted", "service",
			 dfl_service_desc__to_json(svc));
	dfl_service_desc__release(svc);
	free(svc);
	return 0;
}

size_t dfl_agent__service_backends(struct dfl_agent *a,
				   const struct dfl_service_desc *svc,
				   struct dfl_endpoint **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_eps; i++) {
		struct dfl_endpoint *ep = a->eps[i];

		if (ep->state != DFL_EP_READY ||
		    strcmp(ep->pod.namespace, svc->namespace) ||
		    !dfl_pod_desc__selected_by(&ep->pod, &svc->selector))
			continue;
		if (n < max)
			out[n] = ep;
		n++;
	}
	return n;
}

size_t dfl_agent__services(struct dfl_agent *a,
			   struct dfl_service_desc *const **svcs)
{
	*svcs = a->svcs;
	return a->n_svcs;
}

void dfl_agent__free_services(struct dfl_agent *a)
{
	for (size_t i = 0; i < a->n_svcs; i++) {
		dfl_service_desc__release(a->svcs[i]);
		free(a->svcs[i]);
	}
	free(a->svcs);
	a->svcs = NULL;
	a->n_svcs = a->cap_svcs = 0;
}
