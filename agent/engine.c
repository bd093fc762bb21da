/* The engine's lifecycle, the agent hooks, and keeping the datapath's maps
 * equal to what the compiler resolved. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/engine-priv.h"
#include "agent/netns.h"
#include "agent/pod.h"
#include "identity/ipcache.h"
#include "identity/prefix.h"
#include "util/log.h"
#include "util/strbuf.h"

#define DFL_FRONTEND_KEY_MAX 64

/* Loads or adopts the datapath. Deferred until the agent has passed its own
 * checks (its lock on the state directory, its socket), so that an agent
 * that refuses to start never touches the pinned maps of one that runs. */
static int open_datapath(struct dfl_engine *e)
{
	struct dfl_datapath_opts dopts = { .sz = sizeof(dopts) };

	if (e->dp)
		return 0;
	dopts.pin_root = e->cfg.pin_root;
	dopts.policy_map_max = (__u32)e->cfg.policy_map_max;
	e->dp = dfl_datapath__open(&dopts);
	if (!e->dp) {
		int err = -errno;

		pr_warn("engine: cannot load the datapath: %s (deflector needs root, bpffs and a kernel with BPF and tc)\n",
			strerror(-err));
		return err;
	}
	if (dfl_datapath__adopted(e->dp))
		pr_info("engine: adopted the pinned maps of a previous agent: enforcement never stopped\n");
	return 0;
}

struct dfl_engine *dfl_engine__new(const struct dfl_engine_config *cfg,
				   char *err, size_t errlen)
{
	struct dfl_policy_config pcfg = { 0 };
	struct dfl_engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (cfg)
		e->cfg = *cfg;
	e->queue_fd = -1;
	e->counters_timer = -1;
	e->queue_tail = &e->queue_head;
	pthread_rwlock_init(&e->lock, NULL);
	pthread_mutex_init(&e->queue_lock, NULL);
	if (e->cfg.k8s) {
		/* The cluster holds the objects: nothing is kept locally. */
		e->cfg.state_dir = NULL;
		if (engine_k8s_new(e, e->cfg.k8s)) {
			snprintf(err, errlen, "out of memory");
			e->cfg.k8s = NULL;
			goto fail;
		}
		e->cfg.k8s = NULL; /* copied into e->k8s */
	}

	pcfg.cluster = e->cfg.cluster;
	pcfg.http_proxy_port = e->cfg.http_proxy_port;
	pcfg.dns_proxy_port = e->cfg.dns_proxy_port;
	pcfg.map_max = e->cfg.policy_map_max;
	e->compiler = dfl_compiler__new(&pcfg);
	if (!e->compiler) {
		snprintf(err, errlen, "policy compiler: %s", strerror(errno));
		goto fail;
	}
	if (engine_objects_restore(e, err, errlen))
		goto fail;
	if (engine_fqdn_new(e, err, errlen))
		goto fail;
	return e;
fail:
	dfl_engine__free(e);
	return NULL;
}

void dfl_engine__free(struct dfl_engine *e)
{
	if (!e)
		return;
	engine_k8s_free(e);
	engine_proxy_stop(e);
	engine_fqdn_free(e);
	engine_flows_stop(e);
	/* The compiler borrows the stored policies: it goes first. */
	dfl_compiler__free(e->compiler);
	engine_objects_release(e);
	dfl_datapath__close(e->dp);
	dfl_strmap__release(&e->ipcache);
	dfl_strmap__release(&e->services);
	dfl_strmap__release(&e->ep_ids);
	pthread_rwlock_destroy(&e->lock);
	pthread_mutex_destroy(&e->queue_lock);
	free(e);
}

int dfl_engine__purge(const char *pin_root)
{
	return dfl_datapath__purge(pin_root);
}

/* ---- helpers ----------------------------------------------------------- */

void engine_pod_from_endpoint(const struct dfl_endpoint *ep, struct dfl_pod *out,
			      char *ip, size_t iplen)
{
	struct in_addr a = { htonl(ep->ipv4) };

	memset(out, 0, sizeof(*out));
	out->meta.kind = DFL_KIND_POD;
	out->meta.name = ep->pod.name;
	out->meta.namespace = ep->pod.namespace;
	out->meta.labels = ep->pod.labels;
	out->spec.labels = ep->pod.labels;
	out->spec.service_account = ep->pod.service_account;
	out->spec.ports = ep->pod.ports;
	out->spec.n_ports = ep->pod.n_ports;
	out->workload_name = ep->pod.workload_name;
	out->workload_kind = ep->pod.workload_kind;
	inet_ntop(AF_INET, &a, ip, (socklen_t)iplen);
	out->pod_ip = ip;
}

struct dfl_endpoint *engine_local_endpoint(struct dfl_engine *e, const char *name)
{
	char ns[256];
	const char *slash = strchr(name, '/');

	if (!e->agent || !slash || (size_t)(slash - name) >= sizeof(ns))
		return NULL;
	memcpy(ns, name, (size_t)(slash - name));
	ns[slash - name] = '\0';
	return dfl_agent__endpoint_by_name(e->agent, ns, slash + 1);
}

static void to_dp_prefix(const struct dfl_prefix *in, struct dfl_dp_prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family == AF_INET ? 4 : 6;
	out->len = in->len;
	memcpy(out->addr, in->addr, in->family == AF_INET ? 4 : 16);
}

/* Runs <fn> inside the node's network namespace, where the pods' host-side
 * veths are (tc attach and detach address them by ifindex). */
static int in_node_netns(struct dfl_engine *e, int (*fn)(struct dfl_engine *, void *),
			 void *arg)
{
	const struct dfl_node *node = dfl_agent__node(e->agent);
	int saved = -1, err, ret;

	if (!node->netns)
		return fn(e, arg);
	err = dfl_netns__switch(node->netns_fd, &saved);
	if (err)
		return err;
	ret = fn(e, arg);
	dfl_netns__restore(saved);
	return ret;
}

static int attach_fn(struct dfl_engine *e, void *arg)
{
	return dfl_datapath__endpoint_attach(e->dp, arg);
}

static int detach_fn(struct dfl_engine *e, void *arg)
{
	return dfl_datapath__endpoint_detach(e->dp, *(__u32 *)arg);
}

static int attach_endpoint(struct dfl_engine *e, const struct dfl_endpoint *ep)
{
	struct dfl_endpoint_cfg cfg = {
		.ifindex = (__u32)ep->ifindex,
		.ep_id = ep->id,
		.identity = ep->identity,
		.audit = e->cfg.audit,
		.ipv4 = htonl(ep->ipv4),
	};

	return in_node_netns(e, attach_fn, &cfg);
}

/* ---- compiler -> datapath ---------------------------------------------- */

static int write_policy(struct dfl_engine *e, struct dfl_endpoint *ep,
			const struct dfl_ep_policy *p)
{
	struct dfl_policy_spec *specs = calloc(p->n_entries + 1, sizeof(*specs));
	int err;

	if (!specs)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct dfl_map_entry *m = &p->entries[i];

		specs[i] = (struct dfl_policy_spec){
			.identity = m->identity, .egress = m->egress,
			.proto = m->proto, .port = m->port,
			.port_prefix_len = m->port_prefix_len, .deny = m->deny,
			.proxy_port = m->proxy_port, .precedence = m->precedence,
			.auth_type = m->auth_type, .explicit_auth = m->explicit_auth,
			.cookie = m->cookie,
		};
	}
	/* Over the limit, or a merge error: the datapath gets what it can be
	 * trusted with. policy_replace itself turns an oversized policy into
	 * deny-all and says so; a failed resolution keeps the last good one. */
	err = dfl_datapath__policy_replace(e->dp, ep->id, specs, p->n_entries);
	free(specs);
	if (err == -E2BIG)
		pr_warn("endpoint %u (%s/%s): %zu policy entries exceed the map size; the endpoint is in deny-all until policies shrink\n",
			ep->id, ep->pod.namespace, ep->pod.name, p->n_entries);
	else if (err)
		pr_warn("endpoint %u (%s/%s): cannot write its policy: %s\n", ep->id,
			ep->pod.namespace, ep->pod.name, strerror(-err));
	return err;
}

/* Returns true when <field> changed. */
static bool set_status(char **field, const char *value)
{
	if (*field && !strcmp(*field, value))
		return false;
	free(*field);
	*field = strdup(value);
	return true;
}

/* Copies the resolved state of a local endpoint into the datapath and into
 * the endpoint record (`endpoint list`). */
static int sync_endpoint(struct dfl_engine *e, struct dfl_endpoint *ep)
{
	char name[512];
	const struct dfl_ep_policy *p;
	uint32_t old_identity = ep->identity;
	bool changed = false;
	int err;

	snprintf(name, sizeof(name), "%s/%s", ep->pod.namespace, ep->pod.name);
	p = dfl_compiler__policy(e->compiler, name);
	if (!p)
		return -ENOENT;
	err = write_policy(e, ep, p);
	ep->identity = p->identity;
	if (dfl_strmap__set(&e->ep_ids, name, (void *)(uintptr_t)ep->id, NULL) && !err)
		err = -ENOMEM;
	for (int d = 0; d < 2; d++) {
		const char *s = !p->dir[d].enforced ? "Disabled" :
				e->cfg.audit	    ? "Enabled (Audit)" :
						      "Enabled";

		changed |= set_status(d == DFL_DIR_INGRESS ? &ep->policy_ingress :
							     &ep->policy_egress, s);
	}
	if (ep->identity != old_identity && ep->ifindex > 0) {
		/* The program's record carries the local identity. */
		int aerr = attach_endpoint(e, ep);

		if (aerr && !err)
			err = aerr;
	}
	/* The agent persists and announces endpoint changes: only real ones,
	 * not every policy write (a policy change touching a thousand pods
	 * must not rewrite the agent's state file a thousand times). */
	if (changed || ep->identity != old_identity)
		dfl_agent__endpoint_changed(e->agent, ep);
	return err;
}

struct ipc_sync {
	struct dfl_engine *e;
	struct dfl_strmap seen;
	int err;
};

static int ipc_item(const struct dfl_ipcache_item *it, void *arg)
{
	struct ipc_sync *s = arg;
	struct dfl_engine *e = s->e;
	char key[DFL_PREFIX_STRLEN];
	struct dfl_ipcache_entry val = { .identity = it->identity };
	struct dfl_dp_prefix pfx;
	uintptr_t old;

	dfl_prefix__fmt(&it->prefix, key, sizeof(key));
	if (it->prefix.family == AF_INET && it->prefix.len == 32 && e->agent) {
		uint32_t ip;
		struct dfl_endpoint *ep;

		memcpy(&ip, it->prefix.addr, 4);
		ep = dfl_agent__endpoint_by_ip(e->agent, ntohl(ip));
		if (ep) {
			val.flags |= DFL_IPCACHE_F_LOCAL_EP;
			val.ep_id = ep->id;
		} else if (ntohl(ip) == dfl_agent__node(e->agent)->gateway) {
			val.flags |= DFL_IPCACHE_F_HOST;
		}
	}
	dfl_strmap__set(&s->seen, key, NULL, NULL);
	/* Remember identity, flags and endpoint in one word. */
	old = (uintptr_t)dfl_strmap__get(&e->ipcache, key);
	{
		uintptr_t now = ((uintptr_t)val.identity << 24 | (uintptr_t)val.ep_id << 8 |
				 val.flags) + 1;

		if (old == now)
			return 0;
		to_dp_prefix(&it->prefix, &pfx);
		s->err = dfl_datapath__ipcache_upsert(e->dp, &pfx, &val);
		if (!s->err)
			s->err = dfl_strmap__set(&e->ipcache, key, (void *)now, NULL);
	}
	return s->err;
}

static int sync_ipcache(struct dfl_engine *e)
{
	struct ipc_sync s = { .e = e };
	const char *key;
	size_t it = 0, n_gone = 0;
	char **gone;
	int err;

	err = dfl_ipcache__foreach(dfl_compiler__ipcache(e->compiler), ipc_item, &s);
	if (!err)
		err = s.err;
	gone = calloc(e->ipcache.n + 1, sizeof(*gone));
	while (gone && dfl_strmap__next(&e->ipcache, &it, &key, NULL))
		if (!dfl_strmap__has(&s.seen, key))
			gone[n_gone++] = strdup(key);
	for (size_t i = 0; i < n_gone; i++) {
		struct dfl_prefix p;
		struct dfl_dp_prefix pfx;

		if (gone[i] && !dfl_prefix__parse(gone[i], &p)) {
			to_dp_prefix(&p, &pfx);
			dfl_datapath__ipcache_delete(e->dp, &pfx);
			dfl_strmap__del(&e->ipcache, gone[i]);
		}
		free(gone[i]);
	}
	free(gone);
	dfl_strmap__release(&s.seen);
	return err;
}

/* Target port of <sp> on backend <ep>: a number, or a named container port. */
static uint16_t target_port(const struct dfl_service_port *sp,
			    const struct dfl_endpoint *ep)
{
	if (!sp->target_port_name)
		return sp->target_port ? sp->target_port : sp->port;
	for (size_t i = 0; i < ep->pod.n_ports; i++)
		if (ep->pod.ports[i].name &&
		    !strcmp(ep->pod.ports[i].name, sp->target_port_name))
			return ep->pod.ports[i].port;
	return 0;
}

static void frontend_of(const struct dfl_service_desc *svc,
			const struct dfl_service_port *sp,
			struct dfl_dp_sockaddr *fe, char *key, size_t keylen)
{
	struct in_addr a = { htonl(svc->cluster_ip) };
	char ip[INET_ADDRSTRLEN], addr[INET_ADDRSTRLEN + 8];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(addr, sizeof(addr), "%s:%u", ip, sp->port);
	snprintf(key, keylen, "%s/%u", addr, sp->proto ? sp->proto : IPPROTO_TCP);
	dfl_dp_sockaddr__parse(addr, fe);
}

/* Makes the datapath's services equal to the agent's, with the current
 * backends (ready endpoints selected by each service). */
static int sync_services(struct dfl_engine *e)
{
	struct dfl_service_desc *const *svcs;
	size_t n = dfl_agent__services(e->agent, &svcs);
	struct dfl_strmap now = { 0 };
	const char *key;
	size_t it = 0;
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dfl_service_desc *svc = svcs[i];
		struct dfl_endpoint *eps[DFL_LB_MAX_BACKENDS];
		size_t n_eps;

		if (svc->headless || !svc->cluster_ip)
			continue;
		n_eps = dfl_agent__service_backends(e->agent, svc, eps,
						    DFL_LB_MAX_BACKENDS);
		if (n_eps > DFL_LB_MAX_BACKENDS)
			n_eps = DFL_LB_MAX_BACKENDS;
		for (size_t p = 0; p < svc->n_ports; p++) {
			const struct dfl_service_port *sp = &svc->ports[p];
			struct dfl_dp_sockaddr fe, be[DFL_LB_MAX_BACKENDS];
			char fkey[DFL_FRONTEND_KEY_MAX];
			size_t n_be = 0;
			int rc;

			frontend_of(svc, sp, &fe, fkey, sizeof(fkey));
			for (size_t b = 0; b < n_eps; b++) {
				uint16_t port = target_port(sp, eps[b]);
				struct in_addr a = { htonl(eps[b]->ipv4) };
				char s[INET_ADDRSTRLEN + 8];

				if (!port)
					continue;
				inet_ntop(AF_INET, &a, s, sizeof(s));
				snprintf(s + strlen(s), sizeof(s) - strlen(s), ":%u", port);
				if (!dfl_dp_sockaddr__parse(s, &be[n_be]))
					n_be++;
			}
			rc = dfl_datapath__service_upsert(e->dp, &fe,
							  sp->proto ? sp->proto : 6, be, n_be);
			if (rc && !err)
				err = rc;
			dfl_strmap__set(&now, fkey, NULL, NULL);
		}
	}
	while (dfl_strmap__next(&e->services, &it, &key, NULL)) {
		struct dfl_dp_sockaddr fe;
		char addr[DFL_FRONTEND_KEY_MAX];
		char *slash;

		if (dfl_strmap__has(&now, key))
			continue;
		snprintf(addr, sizeof(addr), "%s", key);
		slash = strrchr(addr, '/');
		if (!slash)
			continue;
		*slash = '\0';
		if (!dfl_dp_sockaddr__parse(addr, &fe))
			dfl_datapath__service_delete(e->dp, &fe, (__u8)atoi(slash + 1));
	}
	dfl_strmap__release(&e->services);
	e->services = now;
	return err;
}

/* Resolves what changed and writes it to the datapath. Called with the
 * write lock held. */
static int resolve_locked(struct dfl_engine *e)
{
	struct dfl_diffs diffs = { 0 };
	int err, ret = 0;

	err = dfl_compiler__resolve(e->compiler, &diffs, NULL);
	if (err)
		return err;
	e->generation++;
	/* The ipcache first: a policy entry for a new identity is useless
	 * until its addresses map to it, and harmless before. */
	ret = sync_ipcache(e);
	for (size_t i = 0; i < diffs.n; i++) {
		struct dfl_endpoint *ep;

		if (diffs.items[i].deleted)
			continue;
		ep = engine_local_endpoint(e, diffs.items[i].endpoint);
		if (!ep)
			continue; /* a pod of another node, or a trace-only endpoint */
		err = sync_endpoint(e, ep);
		if (err && !ret)
			ret = err;
	}
	dfl_diffs__release(&diffs);
	engine_proxy_invalidate(e);
	return ret;
}

int engine_resolve_and_sync(struct dfl_engine *e, char *err, size_t errlen)
{
	int ret;

	pthread_rwlock_wrlock(&e->lock);
	ret = engine_fqdn_policy_changed_locked(e);
	if (!ret)
		ret = resolve_locked(e);
	if (!ret && e->agent)
		ret = sync_services(e);
	pthread_rwlock_unlock(&e->lock);
	if (ret && err)
		snprintf(err, errlen, "cannot apply the policy to the datapath: %s",
			 strerror(-ret));
	return ret;
}

/* ---- hooks ------------------------------------------------------------- */

/* Chained to another CNI, the node has no gateway of ours: every IPv4
 * address of its interfaces is the host identity (kubelet's probes come
 * from one of them), as Cilium gives the host identity to all local node
 * addresses. Runs in the node's network namespace; write lock held. */
static int register_node_addresses(struct dfl_engine *e, void *arg)
{
	struct ifaddrs *ifs, *i;
	int n = 0;

	(void)arg;
	if (getifaddrs(&ifs))
		return -errno;
	for (i = ifs; i; i = i->ifa_next) {
		struct dfl_prefix p = { .family = AF_INET, .len = 32 };

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		memcpy(p.addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		if (dfl_compiler__add_node(e->compiler, &p, true)) {
			freeifaddrs(ifs);
			return -ENOMEM;
		}
		n++;
	}
	freeifaddrs(ifs);
	return n;
}

/* The first call from the agent (a hook, or start): the agent is set up,
 * so the datapath may be loaded and the node's address registered. */
static int ensure_node(struct dfl_engine *e, struct dfl_agent *agent)
{
	struct dfl_prefix gw = { .family = AF_INET, .len = 32 };
	uint32_t ip;
	int err;

	if (e->agent)
		return 0;
	err = open_datapath(e);
	if (err)
		return err;
	e->agent = agent;
	if (!dfl_agent__node(agent)->gateway) {
		pthread_rwlock_wrlock(&e->lock);
		err = in_node_netns(e, register_node_addresses, NULL);
		pthread_rwlock_unlock(&e->lock);
		if (err < 0)
			pr_warn("engine: cannot list the node's addresses (they stay world, not host): %s\n",
				strerror(-err));
		else
			pr_info("engine: %d node address%s registered as the host identity\n", err,
				err == 1 ? "" : "es");
		return 0;
	}
	ip = htonl(dfl_agent__node(agent)->gateway);
	memcpy(gw.addr, &ip, 4);
	pthread_rwlock_wrlock(&e->lock);
	if (dfl_compiler__add_node(e->compiler, &gw, true))
		pr_warn("engine: cannot register the node address\n");
	pthread_rwlock_unlock(&e->lock);
	return 0;
}

static int on_endpoint_created(void *ctx, struct dfl_agent *agent,
			       struct dfl_endpoint *ep, bool restored)
{
	struct dfl_engine *e = ctx;
	struct dfl_pod pod;
	char ip[INET_ADDRSTRLEN];
	int err;

	err = ensure_node(e, agent);
	if (err)
		return err;
	engine_pod_from_endpoint(ep, &pod, ip, sizeof(ip));
	pthread_rwlock_wrlock(&e->lock);
	err = dfl_compiler__upsert_pod(e->compiler, &pod);
	if (!err)
		err = resolve_locked(e);
	/* A pod the compiler already knew (a chained pod seen before it
	 * could attach) resolves to no change: write its policy anyway. */
	if (!err && !ep->identity)
		err = sync_endpoint(e, ep);
	pthread_rwlock_unlock(&e->lock);
	/* The policy is written before the programs attach (the datapath
	 * denies everything for an endpoint without one): no packet of the
	 * new pod is ever judged by a missing policy. */
	if (!err)
		err = attach_endpoint(e, ep);
	if (err) {
		pr_warn("endpoint %u (%s/%s): cannot enforce policy: %s\n", ep->id,
			ep->pod.namespace, ep->pod.name, strerror(-err));
		return err;
	}
	pthread_rwlock_wrlock(&e->lock);
	sync_services(e);
	pthread_rwlock_unlock(&e->lock);
	pr_info("endpoint %u (%s/%s): identity %u, policy enforced in the datapath%s\n",
		ep->id, ep->pod.namespace, ep->pod.name, ep->identity,
		restored ? " (restored)" : "");
	return 0;
}

static void on_endpoint_updated(void *ctx, struct dfl_agent *agent,
				struct dfl_endpoint *ep)
{
	struct dfl_engine *e = ctx;
	struct dfl_pod pod;
	char ip[INET_ADDRSTRLEN];
	int err;

	if (ensure_node(e, agent))
		return;
	engine_pod_from_endpoint(ep, &pod, ip, sizeof(ip));
	pthread_rwlock_wrlock(&e->lock);
	err = dfl_compiler__upsert_pod(e->compiler, &pod);
	if (!err)
		err = resolve_locked(e);
	if (!err)
		err = sync_services(e);
	pthread_rwlock_unlock(&e->lock);
	if (err)
		pr_warn("endpoint %u (%s/%s): labels changed but the policy could not follow: %s\n",
			ep->id, ep->pod.namespace, ep->pod.name, strerror(-err));
}

static void on_endpoint_deleted(void *ctx, struct dfl_agent *agent,
				const struct dfl_endpoint *ep)
{
	struct dfl_engine *e = ctx;
	char name[512];
	__u32 ifindex = (__u32)ep->ifindex;

	if (ensure_node(e, agent))
		return;
	snprintf(name, sizeof(name), "%s/%s", ep->pod.namespace, ep->pod.name);
	in_node_netns(e, detach_fn, &ifindex);
	pthread_rwlock_wrlock(&e->lock);
	dfl_strmap__del(&e->ep_ids, name);
	dfl_compiler__remove_endpoint(e->compiler, name);
	resolve_locked(e);
	pthread_rwlock_unlock(&e->lock);
}

static void on_service_changed(void *ctx, struct dfl_agent *agent,
			       const struct dfl_service_desc *svc, bool deleted)
{
	struct dfl_engine *e = ctx;
	int err;

	if (ensure_node(e, agent))
		return;
	pthread_rwlock_wrlock(&e->lock);
	err = sync_services(e);
	pthread_rwlock_unlock(&e->lock);
	if (err)
		pr_warn("service %s/%s: cannot program the datapath: %s\n",
			svc->namespace, svc->name, strerror(-err));
}

void dfl_engine__hooks(struct dfl_engine *e, struct dfl_agent_hooks *out)
{
	memset(out, 0, sizeof(*out));
	out->ctx = e;
	out->endpoint_created = on_endpoint_created;
	out->endpoint_updated = on_endpoint_updated;
	out->endpoint_deleted = on_endpoint_deleted;
	out->service_changed = on_service_changed;
}

int dfl_engine__start(struct dfl_engine *e, struct dfl_agent *agent, char *err,
		      size_t errlen)
{
	int ret;

	ret = ensure_node(e, agent);
	if (ret) {
		snprintf(err, errlen, "cannot load the datapath: %s (deflector needs root, bpffs and a kernel with BPF and tc)",
			 strerror(-ret));
		return ret;
	}
	ret = engine_flows_start(e, err, errlen);
	if (!ret)
		ret = engine_objects_register(e);
	if (!ret)
		ret = engine_fqdn_start(e, err, errlen);
	if (!ret && !e->cfg.no_proxy)
		ret = engine_proxy_start(e, err, errlen);
	if (!ret)
		ret = engine_resolve_and_sync(e, err, errlen);
	if (!ret && e->k8s)
		ret = engine_k8s_start(e, err, errlen);
	return ret;
}
