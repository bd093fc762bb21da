#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/k8s_client.h"
#include "agent/k8s_source.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strmap.h"

static const struct {
	const char *name;
	const char *path;
	const char *kind;
	const char *api_version;
} resources[DFL_K8S__COUNT] = {
	[DFL_K8S_CNP] = { "ciliumnetworkpolicies",
			  "/apis/cilium.io/v2/ciliumnetworkpolicies",
			  "CiliumNetworkPolicy", "cilium.io/v2" },
	[DFL_K8S_CCNP] = { "ciliumclusterwidenetworkpolicies",
			   "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies",
			   "CiliumClusterwideNetworkPolicy", "cilium.io/v2" },
	[DFL_K8S_KNP] = { "networkpolicies",
			  "/apis/networking.k8s.io/v1/networkpolicies",
			  "NetworkPolicy", "networking.k8s.io/v1" },
	[DFL_K8S_POD] = { "pods", "/api/v1/pods", "Pod", "v1" },
	[DFL_K8S_NAMESPACE] = { "namespaces", "/api/v1/namespaces", "Namespace", "v1" },
	[DFL_K8S_SERVICE] = { "services", "/api/v1/services", "Service", "v1" },
};

const char *dfl_k8s_resource__name(enum dfl_k8s_resource r)
{
	return r < DFL_K8S__COUNT ? resources[r].name : "unknown";
}

const char *dfl_k8s_resource__path(enum dfl_k8s_resource r)
{
	return r < DFL_K8S__COUNT ? resources[r].path : NULL;
}

struct queued {
	struct dfl_k8s_event ev;
	char *key;
	struct queued *next;
};

struct watcher {
	struct dfl_k8s_source *src;
	enum dfl_k8s_resource resource;
	pthread_t thread;
	bool started;
	struct dfl_k8s_client *client;
	/* key -> resourceVersion (owned strings) of every object delivered
	 * and not deleted: what the consumer's store holds. */
	struct dfl_strmap known;
	char *rv; /* resume point; NULL = list first */
	bool need_list;
};

struct dfl_k8s_source {
	struct dfl_k8s_source_opts opts;
	struct dfl_k8s_creds creds;
	atomic_bool stop;
	int efd;
	pthread_mutex_t lock; /* guards the queue and stats */
	struct queued *head, **tail;
	struct dfl_k8s_source_stats stats;
	struct watcher watchers[DFL_K8S__COUNT];
};

static void count(struct dfl_k8s_source *src, unsigned long *field)
{
	pthread_mutex_lock(&src->lock);
	(*field)++;
	pthread_mutex_unlock(&src->lock);
}

/* Queues one event; takes a reference on <obj>. */
static void emit(struct watcher *w, enum dfl_k8s_event_type type, json_t *obj,
		 const char *key)
{
	struct dfl_k8s_source *src = w->src;
	struct queued *q = calloc(1, sizeof(*q));
	uint64_t one = 1;

	if (!q || (key && !(q->key = strdup(key)))) {
		/* Losing an event would leave the store wrong forever:
		 * relist instead, which re-derives everything. */
		free(q);
		w->need_list = true;
		pr_warn("k8s: %s: out of memory queueing an event; will relist\n",
			resources[w->resource].name);
		return;
	}
	q->ev.type = type;
	q->ev.resource = w->resource;
	q->ev.object = obj ? json_incref(obj) : NULL;
	q->ev.key = q->key;
	pthread_mutex_lock(&src->lock);
	*src->tail = q;
	src->tail = &q->next;
	src->stats.events++;
	pthread_mutex_unlock(&src->lock);
	if (write(src->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("k8s: eventfd write failed: %s\n", strerror(errno));
}

size_t dfl_k8s_source__drain(struct dfl_k8s_source *src,
			     void (*cb)(const struct dfl_k8s_event *ev, void *ctx),
			     void *ctx)
{
	struct queued *list;
	uint64_t n;
	size_t delivered = 0;

	if (read(src->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		pr_warn("k8s: eventfd read failed: %s\n", strerror(errno));
	pthread_mutex_lock(&src->lock);
	list = src->head;
	src->head = NULL;
	src->tail = &src->head;
	pthread_mutex_unlock(&src->lock);
	while (list) {
		struct queued *next = list->next;

		cb(&list->ev, ctx);
		json_decref(list->ev.object);
		free(list->key);
		free(list);
		list = next;
		delivered++;
	}
	return delivered;
}

/* "ns/name" or "name" of an object; NULL when it has no name. */
static char *object_key(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	struct dfl_strbuf sb = { 0 };

	if (!name)
		return NULL;
	if (ns && *ns)
		dfl_strbuf__printf(&sb, "%s/%s", ns, name);
	else
		dfl_strbuf__puts(&sb, name);
	return dfl_strbuf__detach(&sb);
}

static const char *object_rv(const json_t *obj)
{
	const char *rv = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));

	return rv ? rv : "";
}

static void set_rv(struct watcher *w, const char *rv)
{
	char *copy;

	if (!rv || !*rv)
		return;
	copy = strdup(rv);
	if (!copy)
		return; /* keep the older resume point: a relist at worst */
	free(w->rv);
	w->rv = copy;
}

/* Records and emits an upsert, unless the store already has this version. */
static void upsert(struct watcher *w, json_t *obj)
{
	char *key = object_key(obj);
	const char *rv = object_rv(obj);
	char *old = NULL, *copy;

	if (!key)
		return;
	old = dfl_strmap__get(&w->known, key);
	if (old && *rv && !strcmp(old, rv)) {
		free(key);
		return;
	}
	copy = strdup(rv);
	if (!copy || dfl_strmap__set(&w->known, key, copy, (void **)&old)) {
		free(copy);
		free(key);
		w->need_list = true;
		return;
	}
	free(old);
	/* List items carry no kind/apiVersion; the decoder needs them. */
	json_object_set_new(obj, "kind", json_string(resources[w->resource].kind));
	json_object_set_new(obj, "apiVersion",
			    json_string(resources[w->resource].api_version));
	emit(w, DFL_K8S_UPSERT, obj, key);
	free(key);
}

static void delete_key(struct watcher *w, const char *key, json_t *obj)
{
	char *old = dfl_strmap__del(&w->known, key);

	free(old);
	emit(w, DFL_K8S_DELETE, obj, key);
}

static void sleep_ms(struct dfl_k8s_source *src, unsigned int ms)
{
	/* Sleep in short slices so that stop is prompt. */
	while (ms && !atomic_load(&src->stop)) {
		unsigned int slice = ms > 50 ? 50 : ms;
		struct timespec ts = { 0, (long)slice * 1000000L };

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

/* Lists every page; on success replaces the store's content (deleting what
 * vanished) and sets the resume point. Returns 0, or -1 on failure. */
static int list_all(struct watcher *w)
{
	struct dfl_k8s_source *src = w->src;
	struct dfl_strmap seen = { 0 };
	json_t *pages = json_array();
	char *cont = NULL, *list_rv = NULL;
	int ret = -1;

	count(src, &src->stats.lists);
	do {
		struct dfl_strbuf path = { 0 }, body = { 0 }, err = { 0 };
		json_error_t jerr;
		json_t *page;
		long status;
		int rc;

		dfl_strbuf__printf(&path, "%s?limit=%u", resources[w->resource].path,
				   src->opts.page_size);
		if (w->resource == DFL_K8S_POD && src->opts.pod_field_selector)
			dfl_strbuf__printf(&path, "&fieldSelector=%s",
					   src->opts.pod_field_selector);
		if (cont)
			dfl_strbuf__printf(&path, "&continue=%s", cont);
		rc = dfl_k8s_client__get(w->client, dfl_strbuf__str(&path), &status,
					 &body, &err);
		if (rc || status != 200) {
			if (!atomic_load(&src->stop))
				pr_warn("k8s: list %s failed: %s%s (HTTP %ld)\n",
					resources[w->resource].name,
					dfl_strbuf__str(&err), rc ? "" : "", status);
			dfl_strbuf__release(&path);
			dfl_strbuf__release(&body);
			dfl_strbuf__release(&err);
			goto out;
		}
		page = json_loadb(dfl_strbuf__str(&body), body.len, 0, &jerr);
		dfl_strbuf__release(&path);
		dfl_strbuf__release(&body);
		dfl_strbuf__release(&err);
		if (!page || !json_is_array(json_object_get(page, "items"))) {
			pr_warn("k8s: list %s: response is not a list (%s)\n",
				resources[w->resource].name,
				page ? "no items" : jerr.text);
			json_decref(page);
			goto out;
		}
		free(cont);
		cont = NULL;
		{
			const json_t *meta = json_object_get(page, "metadata");
			const char *c = json_string_value(json_object_get(meta, "continue"));
			const char *rv = json_string_value(
				json_object_get(meta, "resourceVersion"));

			if (c && *c)
				cont = strdup(c);
			if (rv) {
				free(list_rv);
				list_rv = strdup(rv);
			}
		}
		json_array_append_new(pages, page);
	} while (cont && !atomic_load(&src->stop));

	/* Only a complete list replaces the store. */
	for (size_t i = 0; i < json_array_size(pages); i++) {
		json_t *items = json_object_get(json_array_get(pages, i), "items");
		json_t *item;
		size_t j;

		json_array_foreach(items, j, item) {
			char *key = object_key(item);

			if (!key)
				continue;
			dfl_strmap__set(&seen, key, NULL, NULL);
			upsert(w, item);
			free(key);
		}
	}
	{
		const char *key;
		size_t it = 0;
		char **gone = NULL;
		size_t n_gone = 0;

		gone = calloc(w->known.n + 1, sizeof(*gone));
		while (gone && dfl_strmap__next(&w->known, &it, &key, NULL))
			if (!dfl_strmap__has(&seen, key))
				gone[n_gone++] = strdup(key);
		for (size_t i = 0; i < n_gone; i++) {
			if (gone[i])
				delete_key(w, gone[i], NULL);
			free(gone[i]);
		}
		free(gone);
	}
	emit(w, DFL_K8S_SYNCED, NULL, NULL);
	set_rv(w, list_rv);
	w->need_list = false;
	ret = 0;
out:
	dfl_strmap__release(&seen);
	json_decref(pages);
	free(cont);
	free(list_rv);
	return ret;
}

struct watch_ctx {
	struct watcher *w;
	bool gone; /* 410: relist */
	bool error;
};

static int on_watch_line(const char *line, size_t len, void *arg)
{
	struct watch_ctx *ctx = arg;
	struct watcher *w = ctx->w;
	json_error_t jerr;
	json_t *ev, *obj;
	const char *type;

	if (!len)
		return 0;
	ev = json_loadb(line, len, 0, &jerr);
	type = json_string_value(json_object_get(ev, "type"));
	obj = json_object_get(ev, "object");
	if (!ev || !type || !json_is_object(obj)) {
		pr_warn("k8s: watch %s: undecodable event (%s); relisting\n",
			resources[w->resource].name, ev ? "no type/object" : jerr.text);
		json_decref(ev);
		ctx->gone = true;
		return 1;
	}
	if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
		upsert(w, obj);
		set_rv(w, object_rv(obj));
	} else if (!strcmp(type, "DELETED")) {
		char *key = object_key(obj);

		if (key && dfl_strmap__has(&w->known, key)) {
			json_object_set_new(obj, "kind",
					    json_string(resources[w->resource].kind));
			json_object_set_new(obj, "apiVersion",
					    json_string(resources[w->resource].api_version));
			delete_key(w, key, obj);
		}
		free(key);
		set_rv(w, object_rv(obj));
	} else if (!strcmp(type, "BOOKMARK")) {
		set_rv(w, object_rv(obj));
	} else if (!strcmp(type, "ERROR")) {
		json_int_t code = json_integer_value(json_object_get(obj, "code"));

		if (code == 410) {
			ctx->gone = true;
		} else {
			pr_warn("k8s: watch %s: error event %lld: %s\n",
				resources[w->resource].name, (long long)code,
				json_string_value(json_object_get(obj, "message")) ?: "");
			ctx->error = true;
		}
		json_decref(ev);
		return 1;
	}
	json_decref(ev);
	return w->need_list; /* an allocation failure asked for a relist */
}

/* Watches from the resume point until the stream ends. Returns 0 when it
 * ended normally (server timeout), -1 on failure. Sets need_list on 410. */
static int watch_once(struct watcher *w)
{
	struct dfl_k8s_source *src = w->src;
	struct dfl_strbuf path = { 0 }, body = { 0 }, err = { 0 };
	struct watch_ctx ctx = { .w = w };
	long status;
	int rc;

	count(src, &src->stats.watches);
	dfl_strbuf__printf(&path,
			   "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%u&resourceVersion=%s",
			   resources[w->resource].path, src->opts.watch_timeout_s,
			   w->rv ? w->rv : "");
	if (w->resource == DFL_K8S_POD && src->opts.pod_field_selector)
		dfl_strbuf__printf(&path, "&fieldSelector=%s",
				   src->opts.pod_field_selector);
	rc = dfl_k8s_client__stream(w->client, dfl_strbuf__str(&path),
				    on_watch_line, &ctx, &status, &body, &err);
	if (status == 410 || ctx.gone) {
		w->need_list = true;
		count(src, &src->stats.relists);
		rc = 0;
	} else if (rc || ctx.error || status < 200 || status > 299) {
		if (!atomic_load(&src->stop))
			pr_warn("k8s: watch %s: %s (HTTP %ld)\n",
				resources[w->resource].name,
				err.len ? dfl_strbuf__str(&err) : "error", status);
		rc = -1;
	}
	dfl_strbuf__release(&path);
	dfl_strbuf__release(&body);
	dfl_strbuf__release(&err);
	return rc;
}

static void *watcher_main(void *arg)
{
	struct watcher *w = arg;
	struct dfl_k8s_source *src = w->src;
	unsigned int backoff = src->opts.backoff_min_ms;

	w->need_list = true;
	while (!atomic_load(&src->stop)) {
		int rc = w->need_list ? list_all(w) : watch_once(w);

		if (atomic_load(&src->stop))
			break;
		if (rc) {
			count(src, &src->stats.errors);
			sleep_ms(src, backoff);
			backoff = backoff * 2 > src->opts.backoff_max_ms
					  ? src->opts.backoff_max_ms
					  : backoff * 2;
		} else {
			backoff = src->opts.backoff_min_ms;
		}
	}
	return NULL;
}

static void watcher_release(struct watcher *w)
{
	const char *key;
	void *rv;
	size_t it = 0;

	while (dfl_strmap__next(&w->known, &it, &key, &rv))
		free(rv);
	dfl_strmap__release(&w->known);
	dfl_k8s_client__free(w->client);
	free(w->rv);
}

struct dfl_k8s_source *dfl_k8s_source__start(const struct dfl_k8s_creds *creds,
					     const struct dfl_k8s_source_opts *opts)
{
	struct dfl_k8s_source *src = calloc(1, sizeof(*src));
	int err = 0;

	if (!src)
		return NULL;
	src->efd = -1;
	pthread_mutex_init(&src->lock, NULL);
	src->tail = &src->head;
	if (opts)
		src->opts = *opts;
	if (!src->opts.resources)
		src->opts.resources = (1u << DFL_K8S__COUNT) - 1;
	if (!src->opts.page_size)
		src->opts.page_size = 500;
	if (!src->opts.watch_timeout_s)
		src->opts.watch_timeout_s = 300;
	if (!src->opts.backoff_min_ms)
		src->opts.backoff_min_ms = 500;
	if (!src->opts.backoff_max_ms)
		src->opts.backoff_max_ms = 30000;
	src->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (src->efd < 0) {
		err = errno;
		goto fail;
	}
	for (int r = 0; r < DFL_K8S__COUNT; r++) {
		struct watcher *w = &src->watchers[r];

		w->src = src;
		w->resource = (enum dfl_k8s_resource)r;
		if (!(src->opts.resources & (1u << r)))
			continue;
		w->client = dfl_k8s_client__new(creds);
		if (!w->client) {
			err = errno;
			goto fail;
		}
		dfl_k8s_client__set_stop(w->client, &src->stop);
	}
	for (int r = 0; r < DFL_K8S__COUNT; r++) {
		struct watcher *w = &src->watchers[r];

		if (!w->client)
			continue;
		err = pthread_create(&w->thread, NULL, watcher_main, w);
		if (err)
			goto fail;
		w->started = true;
	}
	return src;
fail:
	dfl_k8s_source__stop(src);
	errno = err ? err : ENOMEM;
	return NULL;
}

void dfl_k8s_source__stop(struct dfl_k8s_source *src)
{
	struct queued *q;

	if (!src)
		return;
	atomic_store(&src->stop, true);
	for (int r = 0; r < DFL_K8S__COUNT; r++) {
		if (src->watchers[r].started)
			pthread_join(src->watchers[r].thread, NULL);
		watcher_release(&src->watchers[r]);
	}
	while ((q = src->head)) {
		src->head = q->next;
		json_decref(q->ev.object);
		free(q->key);
		free(q);
	}
	if (src->efd >= 0)
		close(src->efd);
	pthread_mutex_destroy(&src->lock);
	free(src);
}

int dfl_k8s_source__fd(const struct dfl_k8s_source *src)
{
	return src->efd;
}

void dfl_k8s_source__stats(struct dfl_k8s_source *src,
			   struct dfl_k8s_source_stats *out)
{
	pthread_mutex_lock(&src->lock);
	*out = src->stats;
	pthread_mutex_unlock(&src->lock);
}
