/* The engine: what turns the local-node agent into an enforcing node. It
 * plugs into the agent's hooks (agent/agent-t.h) and wires
 *
 *   applied objects (crd/) ─► policy compiler (policy/) ─► datapath maps (bpf/)
 *   datapath events and proxy L7 events ─► Hubble flows (flow/)
 *   redirected connections ─► the L7 proxy (proxy/), on its own thread
 *
 * and serves the control-socket ops that need all of them: apply, delete,
 * get, identity.list, policy.get, observe, status.
 *
 * Threads: everything runs on the agent's event-loop thread except the
 * proxy, which reads the compiler under e->lock (a read lock per request)
 * and hands its flow records back through a queue. */
#ifndef DFL_AGENT_ENGINE_H
#define DFL_AGENT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent-t.h"

struct dfl_engine_config {
	const char *pin_root;	/* NULL: /sys/fs/bpf/deflector */
	const char *cluster;	/* NULL: "default" */
	const char *node_name;	/* for flows' node_name; NULL: "deflector" */
	bool audit;		/* agent-wide audit mode */
	uint16_t http_proxy_port; /* 0: 15001 */
	uint16_t dns_proxy_port;  /* 0: 15053 */
	bool no_proxy;		  /* run without the L7 proxy */
	/* toFQDNs: floor of learned TTLs in seconds (tofqdns-min-ttl, 0), and
	 * how long a DNS answer waits for its addresses to be mapped
	 * (tofqdns-proxy-response-max-delay; 0: 100 ms). */
	uint32_t dns_min_ttl;
	uint32_t dns_max_delay_ms;
	/* L7 proxy limits and answers; 0/NULL/false: the proxy's defaults
	 * (docs/proxy.md). */
	size_t proxy_max_header_bytes;
	size_t proxy_max_headers;
	uint32_t proxy_idle_timeout_ms;
	const char *http_403_body;
	bool dns_deny_nxdomain;
	size_t flow_ring;	  /* flows kept in memory; 0: 4095 */
	const char *flow_log;	  /* export flows to this file, or NULL */
	const char *metrics_addr; /* /metrics address; NULL: ":9965"; "": off */
	size_t policy_map_max;	  /* 0: 16384 */
	/* Applied objects are kept in <state_dir>/objects.json and reloaded
	 * before the agent restores endpoints, so that a restarted agent
	 * never resolves an endpoint without its policies. NULL: not kept. */
	const char *state_dir;
	/* Kubernetes mode: objects come from this API server (copied) and
	 * the agent must run with cfg.chaining; node_name picks the pods to
	 * attach. Applied objects are then neither accepted from the control
	 * socket nor kept in state_dir. NULL: local-node mode. */
	const struct dfl_k8s_creds *k8s;
};

struct dfl_engine;
struct dfl_agent;
struct dfl_k8s_creds;

/* Loads or adopts the datapath. Returns NULL with a message in <err>. */
struct dfl_engine *dfl_engine__new(const struct dfl_engine_config *cfg,
				   char *err, size_t errlen);
/* The hooks to give dfl_agent__new(); their ctx is <e>. */
void dfl_engine__hooks(struct dfl_engine *e, struct dfl_agent_hooks *out);
/* Once the agent exists: registers the control-socket ops, watches the
 * datapath's events and starts the proxy. Returns 0 or -errno (<err>). */
int dfl_engine__start(struct dfl_engine *e, struct dfl_agent *agent,
		      char *err, size_t errlen);
/* Stops the proxy and frees memory. Pinned maps and attached programs stay,
 * so enforcement continues while no agent runs. NULL-safe. */
void dfl_engine__free(struct dfl_engine *e);

/* `deflector agent --cleanup`: detaches the programs and removes the pinned
 * maps under <pin_root> (NULL: default). Call inside the node's netns. */
int dfl_engine__purge(const char *pin_root);

#endif
