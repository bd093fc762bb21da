/* The agent's own state, shared by agent/agent.c (lifecycle, pods, Services,
 * Deployments), agent/state.c (persistence) and agent/handlers.c (socket
 * ops). Other components use the functions of agent/agent.h instead. */
#ifndef DFL_AGENT_AGENT_PRIV_T_H
#define DFL_AGENT_AGENT_PRIV_T_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/agent-t.h"
#include "agent/idpool.h"
#include "agent/ipam.h"
#include "agent/node.h"

struct dfl_evloop;
struct dfl_api;
struct dfl_dirwatch;

struct dfl_agent {
	/* Configuration (owned copies; defaults filled in). */
	char *node_name;
	char *node_netns; /* NULL: the host */
	char *socket_path;
	char *state_dir;
	char *pod_cidr;
	char *service_cidr;
	char *image_dir;  /* NULL: dfl_image__default_dir() */
	char *policy_dir; /* NULL: no watch */
	bool chaining;	  /* see struct dfl_agent_config */
	struct dfl_agent_hooks hooks;

	struct dfl_node node;
	bool node_netns_created; /* recorded across restarts */
	char prev_forward[8];	 /* ip_forward before our first run */
	struct dfl_ipam pod_ipam;
	struct dfl_ipam svc_ipam;
	struct dfl_idpool ep_ids; /* 1..4095 */

	struct dfl_endpoint **eps; /* sorted by id */
	size_t n_eps, cap_eps;
	struct dfl_service_desc **svcs; /* sorted by namespace/name */
	size_t n_svcs, cap_svcs;
	struct dfl_deployment_desc **deps;
	size_t n_deps, cap_deps;

	struct dfl_evloop *loop;
	struct dfl_api *api;
	int lock_fd; /* flock on <state_dir>/lock */
	int signal_fd;
	int timer_fd;
	struct dfl_dirwatch *policy_watch; /* --policy-dir, or NULL */
	long long started_at_ms;	   /* CLOCK_MONOTONIC */
	bool loaded;			   /* state file read (restart) */
};

#endif
