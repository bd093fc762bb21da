/* The engine's state, shared by its files (agent/engine*.c) only. */
#ifndef DFL_AGENT_ENGINE_PRIV_H
#define DFL_AGENT_ENGINE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "agent/agent.h"
#include "agent/engine.h"
#include "bpf/datapath.h"
#include "crd/objects.h"
#include "flow/redact.h"
#include "flow/ring.h"
#include "policy/compiler.h"
#include "util/strmap.h"

struct dfl_proxy;
struct dfl_k8s_creds;
struct engine_k8s;
struct dfl_flow;

/* An object applied through the API (or the policy directory). */
struct stored_obj {
	struct dfl_object obj; /* owned; policies are borrowed by the compiler */
	long long applied_at;  /* CLOCK_REALTIME seconds */
	char *file;	       /* the manifest it came from, kept to restore it */
	char *content;
};

struct dfl_engine {
	struct dfl_engine_config cfg;
	struct dfl_agent *agent;
	struct dfl_datapath *dp;
	struct dfl_compiler *compiler;
	/* Held for writing while the compiler changes (agent thread), for
	 * reading by the proxy thread while it resolves a connection. */
	pthread_rwlock_t lock;
	struct dfl_strmap objects;   /* "Kind/ns/name" -> struct stored_obj */
	struct dfl_strmap ipcache;   /* "prefix" -> identity+1, as synced */
	struct dfl_strmap services;  /* "ip:port/proto" frontends synced */
	/* "ns/name" -> endpoint id of local endpoints; written under the
	 * write lock, read by the proxy thread under the read lock. */
	struct dfl_strmap ep_ids;
	uint64_t generation;	      /* bumped on every compiler change */

	/* flows */
	struct dfl_ring *ring;
	struct dfl_exporter *exporter;
	struct dfl_metrics *metrics;
	struct dfl_metrics_server *metrics_server;
	/* The datapath's per-reason counters as last fed to the metrics
	 * (they are totals; the metrics take increments). [reason][dir] */
	uint64_t counted_packets[256][3];
	uint64_t counted_bytes[256][3];
	int counters_timer;
	struct dfl_redact_config redact;
	uint64_t flows_seen;
	/* Flow records made on the proxy thread, waiting for the agent
	 * thread (the ring has one producer). */
	pthread_mutex_t queue_lock;
	struct queued_l7 *queue_head, **queue_tail;
	int queue_fd;

	/* proxy */
	struct dfl_proxy *proxy;
	pthread_t proxy_thread;
	bool proxy_running;
	struct l7_cache *l7;

	/* toFQDNs state (engine_fqdn.c). */
	struct engine_fqdn *fqdn;

	/* Kubernetes mode (cfg.k8s set), else NULL. */
	struct engine_k8s *k8s;
};

/* engine.c */
int engine_resolve_and_sync(struct dfl_engine *e, char *err, size_t errlen);
void engine_pod_from_endpoint(const struct dfl_endpoint *ep, struct dfl_pod *out,
			      char *ip, size_t iplen);
struct dfl_endpoint *engine_local_endpoint(struct dfl_engine *e, const char *name);

/* engine_objects.c */
int engine_objects_register(struct dfl_engine *e);
/* Reloads the objects of a previous run into the compiler and the store.
 * Returns 0 (nothing kept is fine) or -errno with a message in <err>. */
int engine_objects_restore(struct dfl_engine *e, char *err, size_t errlen);
void engine_objects_release(struct dfl_engine *e);
/* Applies <obj> (taken: stored, or released on failure) to the component
 * owning its kind and keeps it in the store, replacing an object of the same
 * kind, namespace and name. <file> names its origin; <content> (taken, may
 * be NULL) is its text, kept to restore it. *<verb> says what happened
 * ("created", "configured", "unchanged"). Returns 0 or -errno with a message
 * in <err>. The caller then calls engine_resolve_and_sync(). */
int engine_object_put(struct dfl_engine *e, struct dfl_object *obj,
		      const char *file, char *content, const char **verb,
		      char *err, size_t errlen);
/* Undoes and forgets the stored object "Kind/ns/name" (cluster-scoped:
 * "Kind//name"). -ENOENT when absent. */
int engine_object_remove(struct dfl_engine *e, const char *key, char *err,
			 size_t errlen);

/* engine_k8s.c */
int engine_k8s_new(struct dfl_engine *e, const struct dfl_k8s_creds *creds);
/* Starts the watches and the status writer; needs e->agent. */
int engine_k8s_start(struct dfl_engine *e, char *err, size_t errlen);
void engine_k8s_free(struct dfl_engine *e);
/* A pod of the cluster changed: an endpoint when it runs on this node
 * behind its own veth, else an identity for the others. */
int engine_k8s_pod_upsert(struct dfl_engine *e, const struct dfl_pod *pod,
			  char *err, size_t errlen);
void engine_k8s_pod_delete(struct dfl_engine *e, const char *ns, const char *name);
/* Iterates the CNPs/CCNPs that failed validation ("Kind/ns/name" and the
 * message written to their status); <it> starts at 0. */
bool engine_k8s_next_invalid(struct dfl_engine *e, size_t *it, const char **key,
			     const char **message);
/* Watch and status-write counters, or NULL when not in Kubernetes mode. */
json_t *engine_k8s_status(struct dfl_engine *e);

/* Memory that lives while one flow record is built (flows borrow strings). */
struct flow_scratch {
	void *blocks[256];
	size_t n;
};
/* Zeroed memory owned by <s>; NULL when out of room or memory. */
void *flow_scratch_alloc(struct flow_scratch *s, size_t size);
const char *flow_scratch_printf(struct flow_scratch *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void flow_scratch_release(struct flow_scratch *s);

/* engine_flows.c */
int engine_flows_start(struct dfl_engine *e, char *err, size_t errlen);
void engine_flows_stop(struct dfl_engine *e);
/* Publishes one finished record (agent thread only). */
void engine_flow_publish(struct dfl_engine *e, const struct dfl_flow *f);
/* Queues a proxy event from the proxy thread; the agent thread turns it
 * into a flow record. */
struct dfl_l7_event;
void engine_l7_enqueue(struct dfl_engine *e, const struct dfl_l7_event *ev);
/* Fills <ep> for the endpoint with identity <id> (and IPv4 address <ip>,
 * network order, 0 when unknown). Strings point into the engine's data and
 * <s>; valid until the next compiler change. Call with e->lock held. */
void engine_flow_endpoint(struct dfl_engine *e, uint32_t id, uint32_t ip,
			  struct dfl_flow_endpoint *ep, struct flow_scratch *s);

/* engine_fqdn.c */
/* Restores the names learned by a previous run (<state_dir>/fqdn.json) and
 * maps their addresses in the compiler; before any endpoint is resolved. */
int engine_fqdn_new(struct dfl_engine *e, char *err, size_t errlen);
/* Watches the proxy's answers and the TTLs on the agent's loop. */
int engine_fqdn_start(struct dfl_engine *e, char *err, size_t errlen);
void engine_fqdn_free(struct dfl_engine *e);
/* The proxy's on_dns callback (proxy thread): queues the answer for the
 * agent thread and waits, at most cfg.dns_max_delay_ms, until its addresses
 * are in the ipcache. */
struct dfl_dns_learned;
int engine_fqdn_learned(void *ctx, const struct dfl_dns_learned *l);
/* Re-derives the identities of learned addresses when the set of toFQDNs
 * selectors changed. Called with the write lock held, before resolving. */
int engine_fqdn_policy_changed_locked(struct dfl_engine *e);
/* {"learned": pairs, "addresses": mapped} for engine.status. */
json_t *engine_fqdn_status(struct dfl_engine *e);

/* engine_proxy.c */
int engine_proxy_start(struct dfl_engine *e, char *err, size_t errlen);
void engine_proxy_stop(struct dfl_engine *e);
/* Forgets compiled L7 matchers after a policy change. */
void engine_proxy_invalidate(struct dfl_engine *e);

#endif
