/* The agent's lifecycle: configuration, state directory lock, node set-up,
 * restoring endpoints, the event loop with its signals and timer, shutdown
 * and --cleanup. Pods are in pods.c, Services in services.c, Deployments in
 * deployments.c, socket ops in handlers.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent-priv.h"
#include "agent/agent.h"
#include "agent/api.h"
#include "agent/dirwatch.h"
#include "agent/endpoint.h"
#include "agent/evloop.h"
#include "agent/netns.h"
#include "agent/state.h"
#include "util/log.h"

long long dfl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long dfl_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dfl_agent__persist(struct dfl_agent *a)
{
	int err = dfl_state__save(a);

	if (err)
		pr_warn("cannot write %s/state.json: %s\n", a->state_dir,
			strerror(-err));
}

void dfl_agent__event(struct dfl_agent *a, const char *event, const char *key,
		      json_t *obj)
{
	char ts[40];
	time_t now = time(NULL);
	struct tm tm;
	json_t *msg;

	if (!a->api || !dfl_api__followers(a->api, "agent")) {
		json_decref(obj);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	msg =
	    json_pack("{s:s, s:o, s:s}", "event", event, key, obj, "time", ts);
	if (msg)
		dfl_api__publish(a->api, "agent", msg);
	json_decref(msg);
}

static char *dup_or(const char *s, const char *fallback)
{
	return strdup(s ? s : fallback);
}

static int copy_config(struct dfl_agent *a, const struct dfl_agent_config *cfg,
		       char *err, size_t errlen)
{
	char host[256] = "localhost";

	if (cfg->node_netns &&
	    (!*cfg->node_netns || strchr(cfg->node_netns, '/') ||
	     cfg->node_netns[0] == '.' || strlen(cfg->node_netns) > 64)) {
		snprintf(err, errlen,
			 "--node-netns '%s': want a name for /run/netns (no "
			 "'/', at most 64 characters)",
			 cfg->node_netns);
		return -EINVAL;
	}
	gethostname(host, sizeof(host) - 1);
	a->node_netns = cfg->node_netns ? strdup(cfg->node_netns) : NULL;
	a->node_name =
	    dup_or(cfg->node_name, cfg->node_netns ? cfg->node_netns : host);
	a->socket_path = dup_or(cfg->socket_path, DFL_AGENT_SOCKET);
	a->state_dir = dup_or(cfg->state_dir, DFL_AGENT_STATE_DIR);
	a->pod_cidr = dup_or(cfg->pod_cidr, DFL_AGENT_POD_CIDR);
	a->service_cidr = dup_or(cfg->service_cidr, DFL_AGENT_SERVICE_CIDR);
	a->image_dir = cfg->image_dir ? strdup(cfg->image_dir) : NULL;
	a->policy_dir = cfg->policy_dir ? strdup(cfg->policy_dir) : NULL;
	a->chaining = cfg->chaining;
	if (!a->node_name || !a->socket_path || !a->state_dir || !a->pod_cidr ||
	    !a->service_cidr || (cfg->node_netns && !a->node_netns) ||
	    (cfg->image_dir && !a->image_dir) ||
	    (cfg->policy_dir && !a->policy_dir)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int setup_allocators(struct dfl_agent *a, char *err, size_t errlen)
{
	char msg[256];
	int ret;

	ret = dfl_ipam__init(&a->pod_ipam, a->pod_cidr, true, msg, sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "--pod-cidr: %s", msg);
		return ret;
	}
	ret = dfl_ipam__init(&a->svc_ipam, a->service_cidr, false, msg,
			     sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "--service-cidr: %s", msg);
		return ret;
	}
	/* Overlapping ranges would route ClusterIPs into pods. */
	{
		uint8_t p = a->pod_ipam.plen < a->svc_ipam.plen
				? a->pod_ipam.plen
				: a->svc_ipam.plen;
		uint32_t mask = ~0u << (32 - p);

		if ((a->pod_ipam.net & mask) == (a->svc_ipam.net & mask)) {
			snprintf(err, errlen,
				 "pod CIDR %s and service CIDR %s overlap",
				 a->pod_cidr, a->service_cidr);
			return -EINVAL;
		}
	}
	/* Endpoint ids 1-4095, as Cilium's endpoint id allocator. */
	ret = dfl_idpool__init(&a->ep_ids, 1, 4095);
	if (ret)
		snprintf(err, errlen, "out of memory");
	return ret;
}

static int mkdirs(const char *dir, mode_t mode)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* One agent per state directory: an flock held for the agent's life, with
 * the holder's PID in the file for the message. */
static int lock_state_dir(struct dfl_agent *a, char *err, size_t errlen)
{
	char path[4200], pid[32] = "";
	ssize_t n;
	int ret;

	ret = mkdirs(a->state_dir, 0700);
	if (!ret) {
		snprintf(path, sizeof(path), "%s/pods", a->state_dir);
		ret = mkdirs(path, 0755);
	}
	if (ret) {
		snprintf(err, errlen, "cannot create state directory %s: %s",
			 a->state_dir, strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/lock", a->state_dir);
	a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (a->lock_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (flock(a->lock_fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		n = pread(a->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen,
			 "an agent (pid %s) already uses state directory %s",
			 pid[0] ? pid : "?", a->state_dir);
		return ret == -EWOULDBLOCK ? -EBUSY : ret;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(a->lock_fd, 0) ||
	    pwrite(a->lock_fd, pid, (size_t)n, 0) != n)
		pr_warn("cannot write %s: %s\n", path, strerror(errno));
	return 0;
}

/* The agent's memory, configuration, locked state directory and loaded
 * state; nothing in the kernel yet. */
static int agent_alloc(const struct dfl_agent_config *cfg,
		       struct dfl_agent **out, char *err, size_t errlen)
{
	struct dfl_agent *a = calloc(1, sizeof(*a));
	int ret;

	*out = NULL;
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->lock_fd = a->signal_fd = a->timer_fd = -1;
	a->node.netns_fd = -1;
	a->node.nl.fd = -1;
	a->started_at_ms = dfl_now_ms();
	ret = copy_config(a, cfg, err, errlen);
	if (!ret)
		ret = setup_allocators(a, err, errlen);
	if (!ret)
		ret = lock_state_dir(a, err, errlen);
	/* In chaining mode the cluster is the state: nothing to load. */
	if (!ret && !a->chaining)
		ret = dfl_state__load(a, err, errlen);
	if (ret) {
		dfl_agent__free(a);
		return ret;
	}
	*out = a;
	return 0;
}

static int setup_node(struct dfl_agent *a, char *err, size_t errlen)
{
	int ret;

	/* Another CNI owns the node's links and routes: only look. */
	if (a->chaining)
		return dfl_node__open(&a->node, a->node_name, a->node_netns, err,
				      errlen);
	ret = dfl_node__setup(&a->node, a->node_name, a->node_netns,
			      a->pod_ipam.gateway, a->prev_forward, err, errlen);
	if (ret)
		return ret;
	a->node.created_netns |= a->node_netns_created;
	a->node_netns_created = a->node.created_netns;
	snprintf(a->prev_forward, sizeof(a->prev_forward), "%s",
		 a->node.prev_forward);
	/* Recorded now, so that a --cleanup after a crash knows whether the
	 * node namespace is ours to delete. */
	dfl_agent__persist(a);
	return 0;
}

static void on_signal(void *ctx, int fd, uint32_t events)
{
	struct dfl_agent *a = ctx;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			pr_info("received %s, stopping (endpoints stay)\n",
				strsignal((int)si.ssi_signo));
			dfl_evloop__stop(a->loop);
		}
	}
}

static void on_tick(void *ctx, int fd, uint32_t events)
{
	dfl_agent__tick(ctx);
}

static int setup_loop(struct dfl_agent *a, char *err, size_t errlen)
{
	sigset_t set;
	int ret;

	a->loop = dfl_evloop__new();
	if (!a->loop) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -errno;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	a->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->signal_fd < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -errno;
	}
	ret = dfl_evloop__add(a->loop, a->signal_fd, EPOLLIN, on_signal, a);
	if (!ret) {
		a->timer_fd = dfl_evloop__add_timer(a->loop, 1000, on_tick, a);
		ret = a->timer_fd < 0 ? a->timer_fd : 0;
	}
	if (ret)
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
	return ret;
}

struct dfl_agent *dfl_agent__new(const struct dfl_agent_config *cfg,
				 const struct dfl_agent_hooks *hooks, char *err,
				 size_t errlen)
{
	struct dfl_agent *a;
	char gw[16];
	int ret = agent_alloc(cfg, &a, err, errlen);

	if (ret) {
		errno = -ret;
		return NULL;
	}
	if (hooks)
		a->hooks = *hooks;
	ret = setup_loop(a, err, errlen);
	if (ret)
		goto fail;
	/* The socket first: a clash with another agent must fail before
	 * anything is made. Requests wait in the backlog until run(). */
	a->api = dfl_api__new(a->loop, a->socket_path, err, errlen);
	if (!a->api) {
		ret = -errno;
		goto fail;
	}
	ret = dfl_agent__register_handlers(a);
	if (ret) {
		snprintf(err, errlen, "registering socket ops: %s",
			 strerror(-ret));
		goto fail;
	}
	/* Policy files before endpoints, so that restored endpoints meet
	 * their policies (and a bad --policy-dir fails before anything is
	 * made). */
	if (a->policy_dir) {
		ret = dfl_agent__watch_policy_dir(a, err, errlen);
		if (ret)
			goto fail;
	}
	ret = setup_node(a, err, errlen);
	if (ret)
		goto fail;
	if (a->chaining) {
		pr_info("node %s%s%s: Kubernetes chaining mode, serving %s\n",
			a->node_name, a->node_netns ? " in netns " : " (host)",
			a->node_netns ? a->node_netns : "", a->socket_path);
		return a;
	}
	dfl_agent__restore_endpoints(a);
	pr_info("node %s%s%s: pod CIDR %s (gateway %s on %s), service CIDR %s; "
		"%zu endpoint(s) %s; serving %s (ready in %lld ms)\n",
		a->node_name, a->node_netns ? " in netns " : " (host)",
		a->node_netns ? a->node_netns : "", a->pod_cidr,
		dfl_ip4__fmt(a->pod_ipam.gateway, gw, sizeof(gw)),
		DFL_NODE_HOST_LINK, a->service_cidr, a->n_eps,
		a->loaded ? "restored" : "(fresh state)", a->socket_path,
		dfl_now_ms() - a->started_at_ms);
	return a;
fail:
	dfl_agent__free(a);
	errno = -ret;
	return NULL;
}

int dfl_agent__run(struct dfl_agent *a)
{
	int ret = dfl_evloop__run(a->loop);

	if (a->hooks.shutdown)
		a->hooks.shutdown(a->hooks.ctx, a);
	dfl_agent__persist(a);
	pr_info("stopped; %zu endpoint(s) keep running and are adopted on "
		"restart\n",
		a->n_eps);
	return ret;
}

void dfl_agent__free(struct dfl_agent *a)
{
	if (!a)
		return;
	dfl_api__free(a->api);
	for (size_t i = 0; i < a->n_eps; i++) {
		/* Programs keep running; only our handles go. */
		if (a->eps[i]->proc.pidfd >= 0) {
			if (a->loop)
				dfl_evloop__del(a->loop, a->eps[i]->proc.pidfd);
			close(a->eps[i]->proc.pidfd);
		}
		dfl_endpoint__free(a->eps[i]);
	}
	free(a->eps);
	dfl_agent__free_services(a);
	dfl_agent__free_deployments(a);
	if (a->loop) {
		if (a->signal_fd >= 0)
			dfl_evloop__del(a->loop, a->signal_fd);
		if (a->timer_fd >= 0)
			dfl_evloop__del(a->loop, a->timer_fd);
		if (a->policy_watch)
			dfl_evloop__del(a->loop,
					dfl_dirwatch__fd(a->policy_watch));
	}
	dfl_dirwatch__free(a->policy_watch);
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	if (a->timer_fd >= 0)
		close(a->timer_fd);
	dfl_evloop__free(a->loop);
	dfl_node__close(&a->node);
	dfl_ipam__release(&a->pod_ipam);
	dfl_ipam__release(&a->svc_ipam);
	dfl_idpool__release(&a->ep_ids);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	free(a->node_name);
	free(a->node_netns);
	free(a->socket_path);
	free(a->state_dir);
	free(a->pod_cidr);
	free(a->service_cidr);
	free(a->image_dir);
	free(a->policy_dir);
	free(a);
}

/* Opens the node without creating anything: --cleanup must not make a
 * namespace just to delete it. Returns -ENOENT when the node netns is
 * gone. */
static int open_node(struct dfl_agent *a)
{
	struct dfl_node *node = &a->node;
	int fd = a->node_netns ? dfl_netns__open(a->node_netns)
			       : dfl_netns__current();
	int ret;

	if (fd < 0)
		return fd;
	node->netns_fd = fd;
	node->gateway = a->pod_ipam.gateway;
	node->created_netns = a->node_netns_created;
	snprintf(node->prev_forward, sizeof(node->prev_forward), "%s",
		 a->prev_forward);
	snprintf(node->alias, sizeof(node->alias),
		 DFL_LINK_ALIAS_PREFIX "%.50s", a->node_name);
	node->name = strdup(a->node_name);
	node->netns = a->node_netns ? strdup(a->node_netns) : NULL;
	if (!node->name || (a->node_netns && !node->netns))
		return -ENOMEM;
	ret = dfl_nl__open_in(&node->nl, fd);
	return ret;
}

static void remove_state_files(struct dfl_agent *a)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/state.json", a->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pods", a->state_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/ns", a->state_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/lock", a->state_dir);
	unlink(path);
	if (rmdir(a->state_dir) && errno != ENOENT)
		pr_warn("kept %s: %s\n", a->state_dir, strerror(errno));
}

int dfl_agent__cleanup(const struct dfl_agent_config *cfg, char *err,
		       size_t errlen)
{
	struct dfl_agent *a;
	struct stat st;
	size_t n;
	int ret = agent_alloc(cfg, &a, err, errlen);

	if (ret)
		return ret;
	if (a->node_netns && !a->loaded && !dfl_netns__exists(a->node_netns)) {
		/* Nothing was ever made for this node (or it is gone). */
		remove_state_files(a);
		dfl_agent__free(a);
		return 0;
	}
	ret = open_node(a);
	if (ret && ret != -ENOENT) {
		snprintf(err, errlen, "node %s: %s", a->node_name,
			 strerror(-ret));
		dfl_agent__free(a);
		return ret;
	}
	n = a->n_eps;
	if (ret == -ENOENT) {
		/* The node netns is gone, and the veths with it; the pods'
		 * namespaces and programs may remain. */
		a->node.nl.fd = -1;
	}
	dfl_agent__remove_all_endpoints(a);
	dfl_agent__refresh_hosts(a);
	if (!ret)
		ret = dfl_node__teardown(&a->node);
	else
		ret = 0;
	/* A socket left by an agent killed with SIGKILL. */
	if (!lstat(a->socket_path, &st) && S_ISSOCK(st.st_mode))
		unlink(a->socket_path);
	remove_state_files(a);
	pr_info("cleanup: removed %zu endpoint(s) of node %s\n", n,
		a->node_name);
	dfl_agent__free(a);
	if (ret)
		snprintf(err, errlen,
			 "some objects could not be removed (see above)");
	return ret;
}

struct dfl_evloop *dfl_agent__loop(struct dfl_agent *a)
{
	return a->loop;
}

struct dfl_api *dfl_agent__api(struct dfl_agent *a)
{
	return a->api;
}

const struct dfl_node *dfl_agent__node(const struct dfl_agent *a)
{
	return &a->node;
}

int dfl_agent__save(struct dfl_agent *a)
{
	return dfl_state__save(a);
}

int dfl_agent__endpoint_changed(struct dfl_agent *a, struct dfl_endpoint *ep)
{
	int ret = dfl_state__save(a);

	/* A change made while the endpoint is being created is part of its
	 * "endpoint-created" event, which follows. */
	if (ep->state != DFL_EP_CREATING)
		dfl_agent__event(a, "endpoint-updated", "endpoint",
				 dfl_agent__endpoint_json(a, ep));
	return ret;
}

struct dfl_endpoint *dfl_agent__endpoint_by_id(struct dfl_agent *a, uint16_t id)
{
	size_t lo = 0, hi = a->n_eps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (a->eps[mid]->id == id)
			return a->eps[mid];
		if (a->eps[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct dfl_endpoint *dfl_agent__endpoint_by_name(struct dfl_agent *a,
						 const char *ns,
						 const char *name)
{
	for (size_t i = 0; i < a->n_eps; i++)
		if (!strcmp(a->eps[i]->pod.namespace, ns) &&
		    !strcmp(a->eps[i]->pod.name, name))
			return a->eps[i];
	return NULL;
}

struct dfl_endpoint *dfl_agent__endpoint_by_ip(struct dfl_agent *a,
					       uint32_t ipv4)
{
	for (size_t i = 0; i < a->n_eps; i++)
		if (a->eps[i]->ipv4 == ipv4)
			return a->eps[i];
	return NULL;
}

struct dfl_endpoint *dfl_agent__endpoint_lookup(struct dfl_agent *a,
						const char *ref,
						const char *default_ns)
{
	const char *slash = strchr(ref, '/');
	char ns[64], *end;
	unsigned long id;

	if (*ref >= '0' && *ref <= '9') {
		errno = 0;
		id = strtoul(ref, &end, 10);
		if (!*end && !errno && id <= 65535)
			return dfl_agent__endpoint_by_id(a, (uint16_t)id);
	}
	if (slash) {
		if ((size_t)(slash - ref) >= sizeof(ns))
			return NULL;
		memcpy(ns, ref, (size_t)(slash - ref));
		ns[slash - ref] = '\0';
		return dfl_agent__endpoint_by_name(a, ns, slash + 1);
	}
	return dfl_agent__endpoint_by_name(
	    a, default_ns ? default_ns : "default", ref);
}

size_t dfl_agent__endpoints(struct dfl_agent *a,
			    struct dfl_endpoint *const **eps)
{
	*eps = a->eps;
	return a->n_eps;
}
