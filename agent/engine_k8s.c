/* Kubernetes mode: the API server is the source of the engine's objects.
 *
 * The k8s source (agent/k8s_source.h) lists and watches on its threads; its
 * eventfd is on the agent's loop, where each event is decoded and applied
 * to the store exactly as `deflector apply` would (engine_object_put), or
 * removed (engine_object_remove). Every CNP and CCNP gets its validity
 * written back (status.conditions[type=Valid]) by a writer thread, so that
 * the loop never waits on the network.
 *
 * Pods of this node (spec.nodeName, an address, not host-network) become
 * endpoints behind the veth another CNI made: the host route to the pod's
 * address names it. Nothing is attached before every resource was listed
 * once, so that a (re)started agent never resolves a pod without the
 * policies that select it. Other pods only feed identities and the ipcache. */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/engine-priv.h"
#include "agent/k8s_client.h"
#include "agent/k8s_source.h"
#include "agent/k8s_status.h"
#include "agent/pod.h"
#include "util/diag.h"
#include "util/log.h"
#include "util/strbuf.h"

#define STATUS_RETRIES 5

struct status_job {
	char *path;
	char *body;
	struct status_job *next;
};

struct engine_k8s {
	struct dfl_k8s_source *src;
	char *node_name;
	unsigned int synced; /* resources listed at least once (bit set) */
	bool ready;	     /* all of them: local pods may be attached */
	/* "Kind/ns/name" -> message (char *) of CNPs/CCNPs that failed
	 * validation: they exist in the cluster, nothing of them is enforced. */
	struct dfl_strmap invalid;

	/* status writer */
	struct dfl_k8s_creds creds;
	struct dfl_k8s_client *client;
	pthread_t writer;
	bool writer_running;
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct status_job *head, **tail;
	unsigned long patches_ok, patches_failed; /* under mu */
};

static const enum dfl_kind resource_kind[DFL_K8S__COUNT] = {
	[DFL_K8S_CNP] = DFL_KIND_CNP,	  [DFL_K8S_CCNP] = DFL_KIND_CCNP,
	[DFL_K8S_KNP] = DFL_KIND_KNP,	  [DFL_K8S_POD] = DFL_KIND_POD,
	[DFL_K8S_NAMESPACE] = DFL_KIND_NAMESPACE,
	[DFL_K8S_SERVICE] = DFL_KIND_SERVICE,
};

/* ---- status writer ------------------------------------------------------ */

static void job_free(struct status_job *j)
{
	if (!j)
		return;
	free(j->path);
	free(j->body);
	free(j);
}

/* Sends one patch, retrying while the server is unreachable or failing.
 * Returns true when the API server took it (or the object is gone). */
static bool send_patch(struct engine_k8s *k, const struct status_job *j)
{
	struct dfl_strbuf body = { 0 }, err = { 0 };
	unsigned int delay_ms = 200;
	bool done = false;

	for (int attempt = 0; attempt < STATUS_RETRIES && !atomic_load(&k->stop);
	     attempt++) {
		long status = 0;
		int ret;

		dfl_strbuf__reset(&body);
		dfl_strbuf__reset(&err);
		ret = dfl_k8s_client__patch(k->client, j->path,
					    "application/merge-patch+json", j->body,
					    &status, &body, &err);
		if (!ret && status >= 200 && status < 300) {
			done = true;
			break;
		}
		if (!ret && status == 404) {
			done = true; /* deleted meanwhile: nothing to mark */
			break;
		}
		pr_warn("k8s: PATCH %s: %s\n", j->path,
			ret ? dfl_strbuf__str(&err) : dfl_strbuf__str(&body));
		if (!ret && status >= 400 && status < 500 && status != 429)
			break; /* refused (RBAC, bad body): retrying changes nothing */
		for (unsigned int t = 0; t < delay_ms / 50 && !atomic_load(&k->stop); t++)
			nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
		delay_ms *= 2;
	}
	dfl_strbuf__release(&body);
	dfl_strbuf__release(&err);
	return done;
}

static void *writer_main(void *arg)
{
	struct engine_k8s *k = arg;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		struct status_job *j;
		bool ok;

		while (!k->head && !atomic_load(&k->stop))
			pthread_cond_wait(&k->cond, &k->mu);
		if (atomic_load(&k->stop))
			break;
		j = k->head;
		k->head = j->next;
		if (!k->head)
			k->tail = &k->head;
		pthread_mutex_unlock(&k->mu);
		ok = send_patch(k, j);
		job_free(j);
		pthread_mutex_lock(&k->mu);
		if (ok)
			k->patches_ok++;
		else
			k->patches_failed++;
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* Queues <body> for <path>; a patch still waiting for the same object is
 * replaced (only the newest validity matters). Takes <path> and <body>. */
static void queue_patch(struct engine_k8s *k, char *path, char *body)
{
	struct status_job *j;

	pthread_mutex_lock(&k->mu);
	for (j = k->head; j; j = j->next)
		if (!strcmp(j->path, path))
			break;
	if (j) {
		free(j->body);
		j->body = body;
		free(path);
	} else if ((j = calloc(1, sizeof(*j)))) {
		j->path = path;
		j->body = body;
		*k->tail = j;
		k->tail = &j->next;
	} else {
		free(path);
		free(body);
	}
	pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->mu);
}

static void write_validity(struct engine_k8s *k, const json_t *object,
			   const char *ns, const char *name, bool valid,
			   const char *message)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	char *body, *path;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	body = dfl_k8s_status__valid_patch(object, valid, message, now);
	if (!body)
		return; /* the cluster already says so */
	path = dfl_k8s_status__path(ns, name);
	if (!path) {
		free(body);
		return;
	}
	queue_patch(k, path, body);
}

/* ---- pods ---------------------------------------------------------------- */

/* Stable per pod across restarts: a hash of "ns/name" in 1..4095, moved to
 * the next free id on a collision. */
static uint16_t pick_id(struct dfl_agent *agent, const char *ns, const char *name)
{
	uint32_t h = 2166136261u;
	uint16_t id;

	for (const char *p = ns; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	id = (uint16_t)(h % 4095 + 1);
	for (int i = 0; i < 4095 && dfl_agent__endpoint_by_id(agent, id); i++)
		id = (uint16_t)(id % 4095 + 1);
	return dfl_agent__endpoint_by_id(agent, id) ? 0 : id;
}

struct link_name {
	int ifindex;
	char *out;
};

static void take_name(void *ctx, const struct dfl_nl_link *l)
{
	struct link_name *ln = ctx;

	if (l->ifindex == ln->ifindex)
		snprintf(ln->out, DFL_IFNAME_MAX, "%s", l->name);
}

/* The name of link <ifindex> of the node (into <out>, DFL_IFNAME_MAX). */
static int link_name(struct dfl_nl *nl, int ifindex, char *out)
{
	struct link_name ln = { ifindex, out };
	int ret = dfl_nl__links(nl, take_name, &ln);

	return ret ? ret : *out ? 0 : -ENODEV;
}

static bool pod_is_local(const struct engine_k8s *k, const struct dfl_pod *pod)
{
	/* A host-network pod has the node's address: nothing to attach. */
	return pod->spec.node_name && !strcmp(pod->spec.node_name, k->node_name) &&
	       pod->pod_ip && !(pod->host_ip && !strcmp(pod->host_ip, pod->pod_ip)) &&
	       !(pod->phase && (!strcmp(pod->phase, "Succeeded") ||
				!strcmp(pod->phase, "Failed")));
}

static int upsert_remote(struct dfl_engine *e, const struct dfl_pod *pod)
{
	int ret;

	pthread_rwlock_wrlock(&e->lock);
	ret = dfl_compiler__upsert_pod(e->compiler, pod);
	pthread_rwlock_unlock(&e->lock);
	return ret;
}

int engine_k8s_pod_upsert(struct dfl_engine *e, const struct dfl_pod *pod,
			  char *err, size_t errlen)
{
	struct engine_k8s *k = e->k8s;
	const char *ns = pod->meta.namespace, *name = pod->meta.name;
	struct dfl_endpoint *ep = dfl_agent__endpoint_by_name(e->agent, ns, name);
	struct dfl_pod_desc desc = { 0 };
	struct dfl_nl *nl = (struct dfl_nl *)&dfl_agent__node(e->agent)->nl;
	char ifname[DFL_IFNAME_MAX] = "";
	struct in_addr addr;
	bool via_gw = false;
	int ifindex, ret;
	uint16_t id;

	if (!k->ready || !pod_is_local(k, pod) || inet_pton(AF_INET, pod->pod_ip, &addr) != 1) {
		if (ep)
			dfl_agent__endpoint_release(e->agent, ep);
		return upsert_remote(e, pod);
	}
	/* `ip route get <pod IP>` in the node: the CNI's /32 to the pod. */
	ifindex = dfl_nl__route_dev(nl, ntohl(addr.s_addr), &via_gw);
	if (ifindex > 0 && !via_gw)
		ret = link_name(nl, ifindex, ifname);
	else
		ret = ifindex < 0 ? ifindex : -ENETUNREACH;
	if (ret) {
		/* Enforcement needs the pod's own link; without it the pod is
		 * still an identity for the others. */
		pr_warn("pod %s/%s (%s): no host-side veth (the route to it %s): not enforced on this node\n",
			ns, name, pod->pod_ip, via_gw ? "goes through a gateway" :
							   strerror(-ret));
		if (ep)
			dfl_agent__endpoint_release(e->agent, ep);
		return upsert_remote(e, pod);
	}
	ret = dfl_pod_desc__from_pod(&desc, pod);
	if (ret)
		return ret;
	if (ep && (ep->ipv4 != ntohl(addr.s_addr) || ep->ifindex != ifindex)) {
		dfl_agent__endpoint_release(e->agent, ep); /* a new sandbox */
		ep = NULL;
	}
	if (ep) {
		dfl_agent__endpoint_relabel(e->agent, ep, &desc);
	} else {
		id = pick_id(e->agent, ns, name);
		ret = id ? dfl_agent__endpoint_adopt(e->agent, id, &desc,
						     ntohl(addr.s_addr), ifindex,
						     ifname, NULL, err, errlen) :
			   -ENOSPC;
		if (ret) {
			/* Still a pod of the cluster: an identity for the
			 * others, and retried on its next change. */
			pr_warn("pod %s/%s: cannot attach: %s\n", ns, name,
				id ? err : "no free endpoint id");
			ret = upsert_remote(e, pod);
		}
	}
	dfl_pod_desc__release(&desc);
	return ret;
}

void engine_k8s_pod_delete(struct dfl_engine *e, const char *ns, const char *name)
{
	struct dfl_endpoint *ep = dfl_agent__endpoint_by_name(e->agent, ns, name);
	char key[512];

	if (ep) {
		dfl_agent__endpoint_release(e->agent, ep);
		return;
	}
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	pthread_rwlock_wrlock(&e->lock);
	dfl_compiler__remove_endpoint(e->compiler, key);
	pthread_rwlock_unlock(&e->lock);
}

/* Every resource was listed once: the pods seen so far may now attach. */
static void become_ready(struct dfl_engine *e)
{
	const char *key;
	void *v;
	size_t it = 0;
	char err[512];

	e->k8s->ready = true;
	pr_info("k8s: every resource listed; attaching this node's pods\n");
	while (dfl_strmap__next(&e->objects, &it, &key, &v)) {
		struct stored_obj *s = v;

		err[0] = '\0';
		if (s->obj.kind == DFL_KIND_POD &&
		    engine_k8s_pod_upsert(e, s->obj.pod, err, sizeof(err)))
			pr_warn("pod %s/%s: %s\n", s->obj.meta->namespace,
				s->obj.meta->name, err);
	}
}

/* ---- events ---------------------------------------------------------------- */

static char *store_key(const struct dfl_k8s_event *ev)
{
	struct dfl_strbuf sb = { 0 };
	enum dfl_kind kind = resource_kind[ev->resource];

	dfl_strbuf__printf(&sb, "%s/%s%s", dfl_kind__name(kind),
			   strchr(ev->key, '/') ? "" : "/", ev->key);
	return dfl_strbuf__detach(&sb);
}

static char *join_errors(const struct dfl_diags *d)
{
	struct dfl_strbuf sb = { 0 };

	for (size_t i = 0; i < d->n; i++) {
		if (d->items[i].severity < DFL_SEV_ERROR)
			continue;
		dfl_strbuf__printf(&sb, "%s%s%s%s", sb.len ? "; " : "",
				   d->items[i].path ? d->items[i].path : "",
				   d->items[i].path ? ": " : "", d->items[i].message);
	}
	if (!sb.len)
		dfl_strbuf__puts(&sb, "invalid policy");
	return dfl_strbuf__detach(&sb);
}

static void on_upsert(struct dfl_engine *e, const struct dfl_k8s_event *ev,
		      const char *key)
{
	struct engine_k8s *k = e->k8s;
	bool policy = ev->resource == DFL_K8S_CNP || ev->resource == DFL_K8S_CCNP;
	json_t *meta = json_object_get(ev->object, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	struct dfl_diags diags = { 0 };
	struct dfl_object obj = { 0 };
	char origin[600], err[512] = "";
	const char *verb;
	int ret;

	snprintf(origin, sizeof(origin), "k8s:%s/%s",
		 dfl_k8s_resource__name(ev->resource), ev->key);
	ret = dfl_object__decode_json(ev->object, origin, &obj, &diags);
	if (ret == -EINVAL && policy) {
		char *msg = join_errors(&diags);
		void *old = NULL;

		pr_warn("%s: invalid, not enforced: %s\n", origin, msg ? msg : "");
		/* What an earlier version allowed goes with it. */
		engine_object_remove(e, key, err, sizeof(err));
		if (msg) {
			write_validity(k, ev->object, ns, name, false, msg);
			if (!dfl_strmap__set(&k->invalid, key, msg, &old))
				free(old);
			else
				free(msg);
		}
	} else if (ret) {
		if (ret != -ENOTSUP)
			pr_warn("%s: ignored: %s\n", origin,
				diags.n ? diags.items[0].message : strerror(-ret));
	} else {
		char *content = json_dumps(ev->object, JSON_COMPACT);

		ret = engine_object_put(e, &obj, origin, content, &verb, err, sizeof(err));
		if (ret)
			pr_warn("%s: %s\n", origin, err);
		if (policy) {
			free(dfl_strmap__del(&k->invalid, key));
			if (!ret)
				write_validity(k, ev->object, ns, name, true,
					       DFL_POLICY_VALID_MESSAGE);
		}
	}
	dfl_diags__release(&diags);
}

static void on_event(const struct dfl_k8s_event *ev, void *ctx)
{
	struct dfl_engine *e = ctx;
	struct engine_k8s *k = e->k8s;
	char err[512] = "", *key;

	if (ev->type == DFL_K8S_SYNCED) {
		k->synced |= 1u << ev->resource;
		if (!k->ready && k->synced == (1u << DFL_K8S__COUNT) - 1)
			become_ready(e);
		return;
	}
	key = store_key(ev);
	if (!key)
		return;
	if (ev->type == DFL_K8S_UPSERT) {
		on_upsert(e, ev, key);
	} else {
		free(dfl_strmap__del(&k->invalid, key));
		if (engine_object_remove(e, key, err, sizeof(err)) &&
		    dfl_strmap__has(&e->objects, key))
			pr_warn("%s: cannot delete: %s\n", key, err);
	}
	free(key);
}

static void on_source(void *ctx, int fd, uint32_t events)
{
	struct dfl_engine *e = ctx;
	char err[512];

	(void)fd;
	(void)events;
	if (!dfl_k8s_source__drain(e->k8s->src, on_event, e))
		return;
	if (engine_resolve_and_sync(e, err, sizeof(err)))
		pr_warn("k8s: %s\n", err);
}

/* ---- lifecycle ------------------------------------------------------------ */

int engine_k8s_start(struct dfl_engine *e, char *err, size_t errlen)
{
	struct engine_k8s *k = e->k8s;
	struct dfl_k8s_source_opts opts = { 0 };
	int ret;

	k->client = dfl_k8s_client__new(&k->creds);
	if (!k->client) {
		snprintf(err, errlen, "Kubernetes client: %s", strerror(errno));
		return -errno;
	}
	dfl_k8s_client__set_stop(k->client, &k->stop);
	ret = pthread_create(&k->writer, NULL, writer_main, k);
	if (ret) {
		snprintf(err, errlen, "status writer thread: %s", strerror(ret));
		return -ret;
	}
	k->writer_running = true;
	k->src = dfl_k8s_source__start(&k->creds, &opts);
	if (!k->src) {
		snprintf(err, errlen, "Kubernetes watches: %s", strerror(errno));
		return -errno;
	}
	ret = dfl_evloop__add(dfl_agent__loop(e->agent), dfl_k8s_source__fd(k->src),
			      EPOLLIN, on_source, e);
	if (ret)
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
	else
		pr_info("k8s: watching %s as node %s\n", k->creds.server, k->node_name);
	return ret;
}

static int copy_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int engine_k8s_new(struct dfl_engine *e, const struct dfl_k8s_creds *creds)
{
	struct engine_k8s *k = calloc(1, sizeof(*k));
	const struct dfl_k8s_creds *c = creds;

	if (!k)
		return -ENOMEM;
	e->k8s = k;
	k->tail = &k->head;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cond, NULL);
	k->creds.insecure = c->insecure;
	if (copy_str(&k->node_name, e->cfg.node_name ? e->cfg.node_name : "") ||
	    copy_str(&k->creds.server, c->server) || copy_str(&k->creds.token, c->token) ||
	    copy_str(&k->creds.token_file, c->token_file) ||
	    copy_str(&k->creds.ca_file, c->ca_file) || copy_str(&k->creds.ca_pem, c->ca_pem) ||
	    copy_str(&k->creds.cert_file, c->cert_file) ||
	    copy_str(&k->creds.cert_pem, c->cert_pem) ||
	    copy_str(&k->creds.key_file, c->key_file) || copy_str(&k->creds.key_pem, c->key_pem))
		return -ENOMEM;
	return 0;
}

void engine_k8s_free(struct dfl_engine *e)
{
	struct engine_k8s *k = e->k8s;
	const char *key;
	void *v;
	size_t it = 0;

	if (!k)
		return;
	if (k->src && e->agent)
		dfl_evloop__del(dfl_agent__loop(e->agent), dfl_k8s_source__fd(k->src));
	dfl_k8s_source__stop(k->src);
	atomic_store(&k->stop, true);
	pthread_mutex_lock(&k->mu);
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->mu);
	if (k->writer_running)
		pthread_join(k->writer, NULL);
	while (k->head) {
		struct status_job *j = k->head;

		k->head = j->next;
		job_free(j);
	}
	dfl_k8s_client__free(k->client);
	dfl_k8s_creds__release(&k->creds);
	while (dfl_strmap__next(&k->invalid, &it, &key, &v))
		free(v);
	dfl_strmap__release(&k->invalid);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cond);
	free(k->node_name);
	free(k);
	e->k8s = NULL;
}

bool engine_k8s_next_invalid(struct dfl_engine *e, size_t *it, const char **key,
			     const char **message)
{
	void *v;

	if (!e->k8s || !dfl_strmap__next(&e->k8s->invalid, it, key, &v))
		return false;
	*message = v;
	return true;
}

json_t *engine_k8s_status(struct dfl_engine *e)
{
	struct engine_k8s *k = e->k8s;
	struct dfl_k8s_source_stats st = { 0 };
	unsigned long ok, failed;

	if (!k)
		return NULL;
	dfl_k8s_source__stats(k->src, &st);
	pthread_mutex_lock(&k->mu);
	ok = k->patches_ok;
	failed = k->patches_failed;
	pthread_mutex_unlock(&k->mu);
	return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "server",
			 k->creds.server, "synced", k->ready, "lists", (json_int_t)st.lists,
			 "watches", (json_int_t)st.watches, "relists",
			 (json_int_t)st.relists, "errors", (json_int_t)st.errors, "events",
			 (json_int_t)st.events, "statusWrites", (json_int_t)ok,
			 "statusWriteFailures", (json_int_t)failed);
}
