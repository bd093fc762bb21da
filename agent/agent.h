/* The local-node agent: pods as network namespaces on one node, their
 * addresses, Services' ClusterIPs and names, Deployments' replicas, the
 * control socket, and the hooks through which the policy engine, the BPF
 * loader, the proxy and flows plug in (struct dfl_agent_hooks in
 * agent/agent-t.h).
 *
 * Everything runs on one thread: dfl_agent__run() drives the event loop
 * (agent/evloop.h) until SIGTERM or SIGINT. All functions below are meant to
 * be called from that thread (from hooks, API handlers or loop callbacks).
 * Endpoints survive the agent: a restarted agent adopts them from its state
 * directory. docs/agent.md describes the daemon and its socket API. */
#ifndef DFL_AGENT_AGENT_H
#define DFL_AGENT_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/agent-t.h"
#include "agent/api.h"
#include "agent/evloop.h"
#include "agent/node.h"

/* Sets up the node, loads and adopts the state of a previous run (removing
 * what it left half-done), and listens on the control socket. Returns NULL
 * with errno set and a message in <err>. <hooks> (may be NULL) is copied;
 * hooks run for restored endpoints before this returns. */
struct dfl_agent *dfl_agent__new(const struct dfl_agent_config *cfg,
				 const struct dfl_agent_hooks *hooks, char *err,
				 size_t errlen);
/* Serves until SIGTERM/SIGINT. Endpoints and their programs keep running
 * after it returns. Returns 0 or -errno. */
int dfl_agent__run(struct dfl_agent *a);
/* Frees memory, closes the socket; kernel objects stay. NULL-safe. */
void dfl_agent__free(struct dfl_agent *a);

/* `deflector agent --cleanup`: stops the pods' programs and removes every
 * namespace, link, route and file the agent made for <cfg> (its state
 * directory, node netns if the agent created it, socket). Refuses while an
 * agent runs on that state directory. Returns 0 or -errno (message in
 * <err>). */
int dfl_agent__cleanup(const struct dfl_agent_config *cfg, char *err,
		       size_t errlen);

struct dfl_evloop *dfl_agent__loop(struct dfl_agent *a);
struct dfl_api *dfl_agent__api(struct dfl_agent *a);
const struct dfl_node *dfl_agent__node(const struct dfl_agent *a);

/* Pods. apply creates the endpoint (or, for an existing pod whose labels
 * changed, updates them and calls hooks.endpoint_updated); the spec of an
 * existing pod is otherwise immutable, as in Kubernetes. <out> (may be NULL)
 * receives the endpoint. Errors return -errno with a message in <err>. */
int dfl_agent__pod_apply(struct dfl_agent *a, const struct dfl_pod_desc *pod,
			 struct dfl_endpoint **out, char *err, size_t errlen);
int dfl_agent__endpoint_delete(struct dfl_agent *a, struct dfl_endpoint *ep);

/* Chaining mode (cfg.chaining): endpoints whose veth another CNI made.
 * adopt records pod <pod> (copied) as endpoint <id> with address <ipv4>
 * (host order) behind host-side link <ifname>/<ifindex> and runs
 * hooks.endpoint_created; nothing is created in the kernel. -EEXIST when
 * the id or the name is taken, or the hook's error (the endpoint is then
 * forgotten). relabel takes the labels of <pod> and runs
 * hooks.endpoint_updated when they changed. release runs
 * hooks.endpoint_deleted and forgets <ep> (freed), leaving the link. */
int dfl_agent__endpoint_adopt(struct dfl_agent *a, uint16_t id,
			      const struct dfl_pod_desc *pod, uint32_t ipv4,
			      int ifindex, const char *ifname,
			      struct dfl_endpoint **out, char *err, size_t errlen);
void dfl_agent__endpoint_relabel(struct dfl_agent *a, struct dfl_endpoint *ep,
				 const struct dfl_pod_desc *pod);
void dfl_agent__endpoint_release(struct dfl_agent *a, struct dfl_endpoint *ep);

/* Deployments: keeps <replicas> pods named <name>-<hash>-<suffix>; a new
 * template replaces the old pods. */
int dfl_agent__deployment_apply(struct dfl_agent *a,
				const struct dfl_deployment_desc *d, char *err,
				size_t errlen);
int dfl_agent__deployment_delete(struct dfl_agent *a, const char *ns,
				 const char *name, char *err, size_t errlen);

/* Services: a ClusterIP is allocated from the service CIDR unless given;
 * the hosts files are rewritten. <out> receives the stored copy. */
int dfl_agent__service_apply(struct dfl_agent *a,
			     const struct dfl_service_desc *svc,
			     const struct dfl_service_desc **out, char *err,
			     size_t errlen);
int dfl_agent__service_delete(struct dfl_agent *a, const char *ns,
			      const char *name, char *err, size_t errlen);

/* Lookups; NULL when absent. Pointers stay valid until the object is
 * deleted. */
struct dfl_endpoint *dfl_agent__endpoint_by_id(struct dfl_agent *a,
					       uint16_t id);
struct dfl_endpoint *dfl_agent__endpoint_by_name(struct dfl_agent *a,
						 const char *ns,
						 const char *name);
struct dfl_endpoint *dfl_agent__endpoint_by_ip(struct dfl_agent *a,
					       uint32_t ipv4);
/* "1234", "ns/name" or "name" (in <default_ns>, "default" when NULL). */
struct dfl_endpoint *dfl_agent__endpoint_lookup(struct dfl_agent *a,
						const char *ref,
						const char *default_ns);
/* All endpoints, sorted by id; the array is the agent's (do not keep it
 * across calls that add or remove endpoints). */
size_t dfl_agent__endpoints(struct dfl_agent *a,
			    struct dfl_endpoint *const **eps);
size_t dfl_agent__services(struct dfl_agent *a,
			   struct dfl_service_desc *const **svcs);
size_t dfl_agent__deployments(struct dfl_agent *a,
			      struct dfl_deployment_desc *const **deps);
/* The endpoints <svc> selects (same namespace, selector matches), up to
 * <max> of them, in id order. Returns how many matched in total. */
size_t dfl_agent__service_backends(struct dfl_agent *a,
				   const struct dfl_service_desc *svc,
				   struct dfl_endpoint **out, size_t max);

/* The port backend <ep> serves Service port <sp> on: the numeric target
 * port, or the container port of <ep> that a named target port names; 0
 * when <ep> has no such port (it is then no backend for <sp>, as in
 * Kubernetes). */
uint16_t dfl_agent__backend_port(const struct dfl_endpoint *ep,
				 const struct dfl_service_port *sp);

/* Records a change the integrator made to an endpoint (identity, policy
 * status): persists it and notifies followers of the "agent" topic. */
int dfl_agent__endpoint_changed(struct dfl_agent *a, struct dfl_endpoint *ep);
/* Writes the state file now. Returns 0 or -errno. */
int dfl_agent__save(struct dfl_agent *a);

/* Endpoint as JSON, the shape of the endpoint.* ops (docs/agent.md). */
json_t *dfl_agent__endpoint_json(struct dfl_agent *a,
				 const struct dfl_endpoint *ep);

#endif
