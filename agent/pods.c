/* Endpoints: creating, deleting and restoring pods, and running their
 * programs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent-priv.h"
#include "agent/agent.h"
#include "agent/endpoint.h"
#include "agent/evloop.h"
#include "agent/naming.h"
#include "agent/netns.h"
#include "agent/pod.h"
#include "agent/process.h"
#include "agent/state.h"
#include "util/log.h"
#include "util/mem.h"

#define RESTART_MIN_MS	1000
#define RESTART_MAX_MS	60000
#define STOP_TIMEOUT_MS 3000

void dfl_endpoint__free(struct dfl_endpoint *ep)
{
	if (!ep)
		return;
	dfl_pod_desc__release(&ep->pod);
	free(ep->reason);
	free(ep->hosts_path);
	free(ep->resolv_path);
	free(ep->policy_ingress);
	free(ep->policy_egress);
	free(ep->proc.program);
	free(ep);
}

static void set_reason(struct dfl_endpoint *ep, enum dfl_endpoint_state st,
		       const char *reason)
{
	ep->state = st;
	free(ep->reason);
	ep->reason = reason ? strdup(reason) : NULL;
}

static const char *pod_ref(const struct dfl_endpoint *ep, char *buf, size_t len)
{
	snprintf(buf, len, "endpoint %u %s/%s", ep->id, ep->pod.namespace,
		 ep->pod.name);
	return buf;
}

static int insert_sorted(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	size_t i;

	if (dfl_grow((void **)&a->eps, &a->cap_eps, a->n_eps + 1,
		     sizeof(*a->eps)))
		return -ENOMEM;
	for (i = a->n_eps; i > 0 && a->eps[i - 1]->id > ep->id; i--)
		a->eps[i] = a->eps[i - 1];
	a->eps[i] = ep;
	a->n_eps++;
	return 0;
}

static void remove_from_list(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	for (size_t i = 0; i < a->n_eps; i++) {
		if (a->eps[i] == ep) {
			memmove(&a->eps[i], &a->eps[i + 1],
				(a->n_eps - i - 1) * sizeof(*a->eps));
			a->n_eps--;
			return;
		}
	}
}

/* ---- programs ---------------------------------------------------------- */

static void on_process_exit(void *ctx, int fd, uint32_t events);

static const char *log_path(const struct dfl_agent *a,
			    const struct dfl_endpoint *ep, char *buf,
			    size_t len)
{
	const char *slash = strrchr(ep->proc.program, '/');
	char dir[4096];

	snprintf(buf, len, "%s/%s.log",
		 dfl_state__pod_dir(a->state_dir, ep->netns, dir, sizeof(dir)),
		 slash ? slash + 1 : ep->proc.program);
	return buf;
}

static int watch_process(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	return dfl_evloop__add(a->loop, ep->proc.pidfd, EPOLLIN,
			       on_process_exit, a);
}

/* Schedules the next start of ep's program after the current back-off
 * (1 s, doubling up to 60 s; a run longer than 60 s starts over). */
static void schedule_restart(struct dfl_endpoint *ep, long long ran_ms)
{
	if (ran_ms > RESTART_MAX_MS || !ep->proc.backoff_ms)
		ep->proc.backoff_ms = RESTART_MIN_MS;
	ep->proc.restart_at_ms = dfl_now_ms() + ep->proc.backoff_ms;
	ep->proc.backoff_ms = ep->proc.backoff_ms * 2 > RESTART_MAX_MS
				  ? RESTART_MAX_MS
				  : ep->proc.backoff_ms * 2;
}

/* A program that cannot start leaves its endpoint not-ready (with the
 * reason); one that starts makes it ready again. */
static int start_process(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	char err[512], path[4200], ref[320];
	int ret;

	ret = dfl_pod_process__start(ep, log_path(a, ep, path, sizeof(path)),
				     err, sizeof(err));
	if (!ret) {
		ret = watch_process(a, ep);
		if (ret) {
			snprintf(err, sizeof(err), "watching pid %d: %s",
				 ep->proc.pid, strerror(-ret));
			dfl_pod_process__stop(&ep->proc, STOP_TIMEOUT_MS);
		}
	}
	if (ret) {
		pr_warn("%s: cannot start %s: %s\n",
			pod_ref(ep, ref, sizeof(ref)), ep->proc.program, err);
		set_reason(ep, DFL_EP_NOT_READY, err);
		return ret;
	}
	if (ep->state == DFL_EP_NOT_READY)
		set_reason(ep, DFL_EP_READY, NULL);
	pr_info("%s: started %s (pid %d)\n", pod_ref(ep, ref, sizeof(ref)),
		ep->proc.program, ep->proc.pid);
	return 0;
}

static void stop_process(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	if (ep->proc.pid <= 0)
		return;
	dfl_evloop__del(a->loop, ep->proc.pidfd);
	dfl_pod_process__stop(&ep->proc, STOP_TIMEOUT_MS);
}

static void on_process_exit(void *ctx, int fd, uint32_t events)
{
	struct dfl_agent *a = ctx;
	struct dfl_endpoint *ep = NULL;
	char how[96], ref[320];
	long long ran;
	int status;

	dfl_evloop__del(a->loop, fd);
	for (size_t i = 0; i < a->n_eps && !ep; i++)
		if (a->eps[i]->proc.pidfd == fd)
			ep = a->eps[i];
	if (!ep)
		return;
	ran = dfl_now_ms() - ep->proc.started_at_ms;
	status = dfl_pod_process__reap(&ep->proc);
	schedule_restart(ep, ran);
	pr_info("%s: %s %s; restarting in %lld ms\n",
		pod_ref(ep, ref, sizeof(ref)), ep->proc.program,
		dfl_wait_status__fmt(status, how, sizeof(how)),
		ep->proc.restart_at_ms - dfl_now_ms());
	dfl_agent__event(a, "process-exited", "endpoint",
			 dfl_agent__endpoint_json(a, ep));
}

void dfl_agent__tick(struct dfl_agent *a)
{
	long long now = dfl_now_ms();

	for (size_t i = 0; i < a->n_eps; i++) {
		struct dfl_endpoint *ep = a->eps[i];

		if (!ep->proc.restart_at_ms || ep->proc.restart_at_ms > now ||
		    ep->state == DFL_EP_DISCONNECTING)
			continue;
		ep->proc.restart_at_ms = 0;
		ep->proc.restarts++;
		if (start_process(a, ep))
			schedule_restart(ep, 0);
		dfl_agent__persist(a);
	}
}

/* Resolves the pod's image to a program and starts it. An image we cannot
 * run is not an error of the pod; one we should run but cannot find leaves
 * the endpoint not-ready with the reason. */
static void launch(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	char path[4096], err[512], ref[320];
	int ret;

	if (!ep->proc.program) {
		ret = dfl_image__resolve(a->image_dir, ep->pod.image, path,
					 sizeof(path), err, sizeof(err));
		if (ret == -ENOENT)
			return;
		if (ret) {
			pr_warn("%s: %s\n", pod_ref(ep, ref, sizeof(ref)), err);
			set_reason(ep, DFL_EP_NOT_READY, err);
			return;
		}
		ep->proc.program = strdup(path);
		if (!ep->proc.program)
			return;
	}
	start_process(a, ep);
}

/* ---- create / delete ------------------------------------------------- */

static bool names_taken(struct dfl_agent *a, const char *netns,
			const char *ifname)
{
	for (size_t i = 0; i < a->n_eps; i++)
		if (!strcmp(a->eps[i]->netns, netns) ||
		    !strcmp(a->eps[i]->ifname, ifname))
			return true;
	return dfl_netns__exists(netns) ||
	       dfl_nl__link_index(&a->node.nl, ifname) >= 0;
}

static int pick_names(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	for (unsigned int attempt = 0; attempt < 64; attempt++) {
		dfl_endpoint__names(a->node_name, ep->pod.namespace,
				    ep->pod.name, attempt, ep->netns,
				    ep->ifname);
		if (!names_taken(a, ep->netns, ep->ifname))
			return 0;
	}
	return -EEXIST;
}

/* <state>/pods/<netns>/ for the program's log, and the paths of the files
 * the pod sees as /etc/hosts and /etc/resolv.conf: its namespace's, which
 * exist (possibly empty until the next dfl_agent__refresh_hosts) when this
 * returns, so that a program started before the refresh can mount them. */
static int make_pod_dir(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	char dir[4096], path[4400];
	int ret;

	dfl_state__pod_dir(a->state_dir, ep->netns, dir, sizeof(dir));
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	ret = dfl_agent__namespace_dir(a, ep->pod.namespace, dir, sizeof(dir));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/hosts", dir);
	free(ep->hosts_path);
	ep->hosts_path = strdup(path);
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	free(ep->resolv_path);
	ep->resolv_path = strdup(path);
	if (!ep->hosts_path || !ep->resolv_path)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		int fd = open(i ? ep->resolv_path : ep->hosts_path,
			      O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			return -errno;
		close(fd);
	}
	return 0;
}

static void remove_pod_dir(struct dfl_agent *a, const struct dfl_endpoint *ep)
{
	char dir[4096], path[8400];
	struct dirent *de;
	DIR *d;

	dfl_state__pod_dir(a->state_dir, ep->netns, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Frees the endpoint's id and address and forgets it. */
static void forget(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	remove_from_list(a, ep);
	dfl_idpool__free(&a->ep_ids, ep->id);
	dfl_ipam__free(&a->pod_ipam, ep->ipv4);
	dfl_endpoint__free(ep);
}

int dfl_agent__endpoint_create(struct dfl_agent *a,
			       const struct dfl_pod_desc *pod,
			       struct dfl_endpoint **out, char *err,
			       size_t errlen)
{
	struct dfl_endpoint *ep = calloc(1, sizeof(*ep));
	char ip[16], ref[320];
	long long t0 = dfl_now_ms();
	uint32_t id;
	int ret;

	if (!ep || dfl_pod_desc__copy(&ep->pod, pod)) {
		free(ep);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ep->proc.pidfd = -1;
	ep->proc.last_status = -1;
	ep->state = DFL_EP_CREATING;
	ep->created_at_ms = dfl_wall_ms();
	if (dfl_idpool__alloc_random(&a->ep_ids, &id)) {
		snprintf(err, errlen,
			 "no free endpoint id (4095 endpoints exist)");
		dfl_endpoint__free(ep);
		return -ENOSPC;
	}
	ep->id = (uint16_t)id;
	if (dfl_ipam__alloc(&a->pod_ipam, &ep->ipv4)) {
		snprintf(err, errlen,
			 "pod CIDR %s is full (%u addresses in use)",
			 a->pod_cidr, dfl_ipam__used(&a->pod_ipam));
		dfl_idpool__free(&a->ep_ids, id);
		dfl_endpoint__free(ep);
		return -ENOSPC;
	}
	ret = pick_names(a, ep);
	if (!ret)
		ret = make_pod_dir(a, ep);
	if (!ret)
		ret = insert_sorted(a, ep);
	if (ret) {
		snprintf(err, errlen, "%s",
			 ret == -EEXIST ? "no free namespace name"
					: strerror(-ret));
		dfl_idpool__free(&a->ep_ids, id);
		dfl_ipam__free(&a->pod_ipam, ep->ipv4);
		remove_pod_dir(a, ep);
		dfl_endpoint__free(ep);
		return ret;
	}
	/* Recorded before anything exists in the kernel, so that a crash
	 * at any point leaves a trace the next run can clean up. */
	dfl_agent__persist(a);

	ret = dfl_endpoint__plumb(&a->node, ep, err, errlen);
	if (!ret) {
		dfl_agent__refresh_hosts(a);
		if (a->hooks.endpoint_created) {
			ret = a->hooks.endpoint_created(a->hooks.ctx, a, ep,
							false);
			if (ret)
				snprintf(err, errlen,
					 "endpoint hook failed: %s",
					 strerror(-ret));
		}
	}
	if (ret) {
		pr_warn("%s: %s; removing it\n", pod_ref(ep, ref, sizeof(ref)),
			err);
		dfl_endpoint__unplumb(&a->node, ep);
		remove_pod_dir(a, ep);
		forget(a, ep);
		dfl_agent__refresh_hosts(a);
		dfl_agent__persist(a);
		return ret;
	}
	ep->state = DFL_EP_READY;
	launch(a, ep);
	dfl_agent__persist(a);
	if (ep->state == DFL_EP_READY)
		dfl_agent__backends_changed(a, ep->pod.namespace, &ep->pod,
					    NULL);
	pr_info("%s: created, %s on %s (netns %s) in %lld ms%s%s\n",
		pod_ref(ep, ref, sizeof(ref)),
		dfl_ip4__fmt(ep->ipv4, ip, sizeof(ip)), ep->ifname, ep->netns,
		dfl_now_ms() - t0, ep->reason ? "; not ready: " : "",
		ep->reason ? ep->reason : "");
	dfl_agent__event(a, "endpoint-created", "endpoint",
			 dfl_agent__endpoint_json(a, ep));
	if (out)
		*out = ep;
	return 0;
}

int dfl_agent__endpoint_delete(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	char ref[320];
	json_t *gone;
	int ret;

	ep->state = DFL_EP_DISCONNECTING;
	dfl_agent__persist(a);
	/* Out of its Services first: no new connection goes to it. */
	dfl_agent__backends_changed(a, ep->pod.namespace, &ep->pod, NULL);
	gone = dfl_agent__endpoint_json(a, ep);
	if (a->hooks.endpoint_deleted)
		a->hooks.endpoint_deleted(a->hooks.ctx, a, ep);
	stop_process(a, ep);
	ret = dfl_endpoint__unplumb(&a->node, ep);
	remove_pod_dir(a, ep);
	pod_ref(ep, ref, sizeof(ref));
	forget(a, ep);
	dfl_agent__refresh_hosts(a);
	dfl_agent__persist(a);
	pr_info("%s: deleted\n", ref);
	dfl_agent__event(a, "endpoint-deleted", "endpoint", gone);
	return ret;
}

static bool same_spec(const struct dfl_pod_desc *x,
		      const struct dfl_pod_desc *y)
{
	if (strcmp(x->image ? x->image : "", y->image ? y->image : "") ||
	    strcmp(x->service_account ? x->service_account : "",
		   y->service_account ? y->service_account : "") ||
	    x->n_ports != y->n_ports || x->n_command != y->n_command)
		return false;
	for (size_t i = 0; i < x->n_ports; i++)
		if (x->ports[i].port != y->ports[i].port ||
		    x->ports[i].proto != y->ports[i].proto ||
		    strcmp(x->ports[i].name ? x->ports[i].name : "",
			   y->ports[i].name ? y->ports[i].name : ""))
			return false;
	for (size_t i = 0; i < x->n_command; i++)
		if (strcmp(x->command[i], y->command[i]))
			return false;
	return true;
}

static bool same_labels(const struct dfl_kvs *x, const struct dfl_kvs *y)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->items[i].key, y->items[i].key) ||
		    strcmp(x->items[i].value, y->items[i].value))
			return false;
	return true;
}

int dfl_agent__pod_apply(struct dfl_agent *a, const struct dfl_pod_desc *pod,
			 struct dfl_endpoint **out, char *err, size_t errlen)
{
	struct dfl_endpoint *ep;
	struct dfl_pod_desc copy, old;
	const char *msg = NULL;
	char ref[320];

	if (!pod->namespace || (msg = dfl_k8s__check_label(pod->namespace))) {
		snprintf(err, errlen, "pod namespace '%s': %s",
			 pod->namespace ? pod->namespace : "",
			 msg ? msg : "missing");
		return -EINVAL;
	}
	if ((msg = dfl_k8s__check_subdomain(pod->name))) {
		snprintf(err, errlen, "pod name '%s': %s",
			 pod->name ? pod->name : "", msg);
		return -EINVAL;
	}
	ep = dfl_agent__endpoint_by_name(a, pod->namespace, pod->name);
	if (!ep)
		return dfl_agent__endpoint_create(a, pod, out, err, errlen);
	if (out)
		*out = ep;
	if (ep->state == DFL_EP_DISCONNECTING) {
		snprintf(err, errlen, "pod %s/%s is being deleted",
			 pod->namespace, pod->name);
		return -EBUSY;
	}
	if (!same_spec(&ep->pod, pod)) {
		snprintf(err, errlen,
			 "pod %s/%s exists with another image, ports or "
			 "command (a pod's spec is immutable: delete it first)",
			 pod->namespace, pod->name);
		return -EEXIST;
	}
	if (same_labels(&ep->pod.labels, &pod->labels))
		return 0;
	if (dfl_pod_desc__copy(&copy, pod)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Keep the workload the agent recorded (a Deployment's replica). */
	if (!copy.workload_name) {
		copy.workload_name = ep->pod.workload_name;
		copy.workload_kind = ep->pod.workload_kind;
		ep->pod.workload_name = ep->pod.workload_kind = NULL;
	}
	old = ep->pod;
	ep->pod = copy;
	if (a->hooks.endpoint_updated)
		a->hooks.endpoint_updated(a->hooks.ctx, a, ep);
	if (ep->state == DFL_EP_READY)
		dfl_agent__backends_changed(a, ep->pod.namespace, &old,
					    &ep->pod);
	dfl_pod_desc__release(&old);
	dfl_agent__refresh_hosts(a);
	dfl_agent__persist(a);
	pr_info("%s: labels updated\n", pod_ref(ep, ref, sizeof(ref)));
	dfl_agent__event(a, "endpoint-updated", "endpoint",
			 dfl_agent__endpoint_json(a, ep));
	return 0;
}

/* ---- restore after a restart -------------------------------------------- */

static void restore_one(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	char err[512], ref[320];
	int ret;

	pod_ref(ep, ref, sizeof(ref));
	if (make_pod_dir(a, ep)) {
		set_reason(ep, DFL_EP_NOT_READY,
			   "cannot create its state directory");
		return;
	}
	ep->state = DFL_EP_RESTORING;
	ret = dfl_endpoint__verify(&a->node, ep, err, sizeof(err));
	if (ret == -ENOENT) {
		pr_info("%s: %s; recreating it\n", ref, err);
		dfl_endpoint__unplumb(&a->node, ep);
		ret = dfl_endpoint__plumb(&a->node, ep, err, sizeof(err));
	}
	if (ret) {
		pr_warn("%s: cannot restore: %s\n", ref, err);
		set_reason(ep, DFL_EP_NOT_READY, err);
		return;
	}
	if (a->hooks.endpoint_created) {
		ret = a->hooks.endpoint_created(a->hooks.ctx, a, ep, true);
		if (ret) {
			snprintf(err, sizeof(err), "endpoint hook failed: %s",
				 strerror(-ret));
			set_reason(ep, DFL_EP_NOT_READY, err);
			return;
		}
	}
	set_reason(ep, DFL_EP_READY, NULL);
	if (ep->proc.program && dfl_pod_process__adopt(&ep->proc) == 0 &&
	    watch_process(a, ep) == 0) {
		pr_info("%s: restored; %s still runs (pid %d)\n", ref,
			ep->proc.program, ep->proc.pid);
		return;
	}
	pr_info("%s: restored\n", ref);
	launch(a, ep);
}

struct stale_links {
	struct dfl_agent *a;
	int ifindex[256];
	char names[256][16];
	size_t n;
};

static void collect_stale(void *ctx, const struct dfl_nl_link *l)
{
	struct stale_links *s = ctx;

	if (!l->alias || strcmp(l->alias, s->a->node.alias) || !l->kind ||
	    strcmp(l->kind, "veth") || strncmp(l->name, "lxc", 3) ||
	    s->n == 256)
		return;
	for (size_t i = 0; i < s->a->n_eps; i++)
		if (!strcmp(s->a->eps[i]->ifname, l->name))
			return;
	s->ifindex[s->n] = l->ifindex;
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", l->name);
	s->n++;
}

static void remove_stale(struct dfl_agent *a)
{
	struct stale_links s = {.a = a};
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;

	dfl_nl__links(&a->node.nl, collect_stale, &s);
	for (size_t i = 0; i < s.n; i++) {
		pr_info("removing stale link %s (no endpoint owns it)\n",
			s.names[i]);
		dfl_nl__link_del(&a->node.nl, s.ifindex[i]);
	}
	snprintf(dir, sizeof(dir), "%s/pods", a->state_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct dfl_endpoint fake = {0};
		bool used = false;

		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= sizeof(fake.netns))
			continue;
		for (size_t i = 0; i < a->n_eps && !used; i++)
			used = !strcmp(a->eps[i]->netns, de->d_name);
		if (used)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		pr_info("removing stale pod directory %s\n", path);
		memcpy(fake.netns, de->d_name, strlen(de->d_name) + 1);
		remove_pod_dir(a, &fake);
	}
	closedir(d);
}

void dfl_agent__restore_endpoints(struct dfl_agent *a)
{
	char ref[320];

	for (size_t i = 0; i < a->n_eps;) {
		struct dfl_endpoint *ep = a->eps[i];

		/* Half-created (the client never got an answer) or
		 * half-deleted: finish the removal. */
		if (ep->state == DFL_EP_CREATING ||
		    ep->state == DFL_EP_DISCONNECTING) {
			pr_info("%s: removing (left %s by the previous run)\n",
				pod_ref(ep, ref, sizeof(ref)),
				dfl_endpoint_state__name(ep->state));
			if (ep->proc.program &&
			    dfl_pod_process__adopt(&ep->proc) == 0)
				dfl_pod_process__stop(&ep->proc,
						      STOP_TIMEOUT_MS);
			dfl_endpoint__unplumb(&a->node, ep);
			remove_pod_dir(a, ep);
			forget(a, ep);
			continue;
		}
		restore_one(a, ep);
		i++;
	}
	remove_stale(a);
	dfl_agent__refresh_hosts(a);
	dfl_agent__persist(a);
	for (size_t i = 0; i < a->n_svcs && a->hooks.service_changed; i++)
		a->hooks.service_changed(a->hooks.ctx, a, a->svcs[i], false);
}

void dfl_agent__remove_all_endpoints(struct dfl_agent *a)
{
	char ref[320];

	while (a->n_eps) {
		struct dfl_endpoint *ep = a->eps[a->n_eps - 1];

		if (ep->proc.program && dfl_pod_process__adopt(&ep->proc) == 0)
			dfl_pod_process__stop(&ep->proc, STOP_TIMEOUT_MS);
		dfl_endpoint__unplumb(&a->node, ep);
		remove_pod_dir(a, ep);
		pr_info("%s: removed\n", pod_ref(ep, ref, sizeof(ref)));
		forget(a, ep);
	}
}

/* ---- chaining mode: endpoints made by another CNI ---------------------- */

int dfl_agent__endpoint_adopt(struct dfl_agent *a, uint16_t id,
			      const struct dfl_pod_desc *pod, uint32_t ipv4,
			      int ifindex, const char *ifname,
			      struct dfl_endpoint **out, char *err, size_t errlen)
{
	struct dfl_endpoint *ep;
	char ref[320], ip[16];
	int ret;

	snprintf(ref, sizeof(ref), "endpoint %u %s/%s", id, pod->namespace, pod->name);
	if (!id || id > 4095 || dfl_agent__endpoint_by_id(a, id) ||
	    dfl_agent__endpoint_by_name(a, pod->namespace, pod->name)) {
		snprintf(err, errlen, "%s: id or name already in use", ref);
		return -EEXIST;
	}
	ep = calloc(1, sizeof(*ep));
	if (!ep || dfl_pod_desc__copy(&ep->pod, pod)) {
		free(ep);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ep->id = id;
	ep->ipv4 = ipv4;
	ep->ifindex = ifindex;
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifname);
	ep->proc.pidfd = -1;
	ep->proc.last_status = -1;
	ep->state = DFL_EP_CREATING;
	ep->created_at_ms = dfl_wall_ms();
	ret = insert_sorted(a, ep);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		dfl_endpoint__free(ep);
		return ret;
	}
	if (a->hooks.endpoint_created) {
		ret = a->hooks.endpoint_created(a->hooks.ctx, a, ep, false);
		if (ret) {
			snprintf(err, errlen, "%s: %s", ref, strerror(-ret));
			remove_from_list(a, ep);
			dfl_endpoint__free(ep);
			return ret;
		}
	}
	ep->state = DFL_EP_READY;
	pr_info("%s: attached to %s (ifindex %d), %s\n", ref, ep->ifname,
		ep->ifindex, dfl_ip4__fmt(ep->ipv4, ip, sizeof(ip)));
	dfl_agent__event(a, "endpoint-created", "endpoint",
			 dfl_agent__endpoint_json(a, ep));
	if (out)
		*out = ep;
	return 0;
}

void dfl_agent__endpoint_relabel(struct dfl_agent *a, struct dfl_endpoint *ep,
				 const struct dfl_pod_desc *pod)
{
	struct dfl_pod_desc copy = { 0 };

	if (same_labels(&ep->pod.labels, &pod->labels) ||
	    dfl_pod_desc__copy(&copy, pod))
		return;
	dfl_pod_desc__release(&ep->pod);
	ep->pod = copy;
	if (a->hooks.endpoint_updated)
		a->hooks.endpoint_updated(a->hooks.ctx, a, ep);
	dfl_agent__event(a, "endpoint-updated", "endpoint",
			 dfl_agent__endpoint_json(a, ep));
}

void dfl_agent__endpoint_release(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	char ref[320];
	json_t *gone;

	ep->state = DFL_EP_DISCONNECTING;
	gone = dfl_agent__endpoint_json(a, ep);
	if (a->hooks.endpoint_deleted)
		a->hooks.endpoint_deleted(a->hooks.ctx, a, ep);
	pr_info("%s: detached\n", pod_ref(ep, ref, sizeof(ref)));
	remove_from_list(a, ep);
	dfl_endpoint__free(ep);
	dfl_agent__event(a, "endpoint-deleted", "endpoint", gone);
}
