/* Lists then watches Kubernetes resources and delivers their changes to the
 * agent's event loop.
 *
 * One thread per resource runs LIST (paged) then WATCH from the list's
 * resourceVersion with bookmarks; a watch that ends is resumed from the last
 * resourceVersion seen, `410 Gone` (HTTP status or ERROR event) relists, and
 * failures back off exponentially. After a relist, objects that vanished are
 * delivered as deletions, so the consumer's store always converges on the
 * server's. Events queue up and an eventfd becomes readable; the consumer
 * drains them on its own thread. */
#ifndef DFL_AGENT_K8S_SOURCE_H
#define DFL_AGENT_K8S_SOURCE_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/k8s_config.h"

enum dfl_k8s_resource {
	DFL_K8S_CNP = 0,
	DFL_K8S_CCNP,
	DFL_K8S_KNP,
	DFL_K8S_POD,
	DFL_K8S_NAMESPACE,
	DFL_K8S_SERVICE,
	DFL_K8S__COUNT,
};

enum dfl_k8s_event_type {
	DFL_K8S_UPSERT = 0, /* added or modified */
	DFL_K8S_DELETE,
	DFL_K8S_SYNCED,	    /* a (re)list of the resource was delivered whole */
};

struct dfl_k8s_event {
	enum dfl_k8s_event_type type;
	enum dfl_k8s_resource resource;
	/* The object with kind and apiVersion set (list items lack them), or
	 * NULL for SYNCED. Borrowed for the duration of the callback. */
	json_t *object;
	const char *key; /* "namespace/name" or "name"; NULL for SYNCED */
};

struct dfl_k8s_source_opts {
	unsigned int resources;	     /* bit set of 1 << dfl_k8s_resource; 0 = all */
	unsigned int page_size;	     /* LIST limit; 0 = 500 */
	unsigned int watch_timeout_s; /* server-side timeoutSeconds; 0 = 300 */
	unsigned int backoff_min_ms; /* 0 = 500 */
	unsigned int backoff_max_ms; /* 0 = 30000 */
	const char *pod_field_selector; /* e.g. "spec.nodeName=node1", or NULL */
};

struct dfl_k8s_source;

/* Starts watching with <creds> (copied). Returns NULL with errno set. */
struct dfl_k8s_source *dfl_k8s_source__start(const struct dfl_k8s_creds *creds,
					     const struct dfl_k8s_source_opts *opts);
/* Stops the threads (aborting watches in progress) and frees everything. */
void dfl_k8s_source__stop(struct dfl_k8s_source *src);

/* An eventfd that is readable while events are queued. */
int dfl_k8s_source__fd(const struct dfl_k8s_source *src);

/* Calls <cb> for every queued event, in arrival order per resource. Returns
 * the number of events delivered. */
size_t dfl_k8s_source__drain(struct dfl_k8s_source *src,
			     void (*cb)(const struct dfl_k8s_event *ev, void *ctx),
			     void *ctx);

/* Counters for `deflector status`: lists, watches, relists, errors. */
struct dfl_k8s_source_stats {
	unsigned long lists;
	unsigned long watches;
	unsigned long relists; /* after 410 Gone */
	unsigned long errors;  /* failed requests, dropped connections */
	unsigned long events;
};
void dfl_k8s_source__stats(struct dfl_k8s_source *src,
			   struct dfl_k8s_source_stats *out);

/* "ciliumnetworkpolicies", ... and the API path that lists them. */
const char *dfl_k8s_resource__name(enum dfl_k8s_resource r);
const char *dfl_k8s_resource__path(enum dfl_k8s_resource r);

#endif
