/* Functions shared by the agent's own files (agent.c, pods.c, services.c,
 * deployments.c, handlers.c); not for other components. */
#ifndef DFL_AGENT_AGENT_PRIV_H
#define DFL_AGENT_AGENT_PRIV_H

#include <jansson.h>

#include "agent/agent-priv-t.h"

/* CLOCK_MONOTONIC and CLOCK_REALTIME in milliseconds. */
long long dfl_now_ms(void);
long long dfl_wall_ms(void);

/* Saves the state; a failure is logged (the change itself stands). */
void dfl_agent__persist(struct dfl_agent *a);
/* Sends {"event": <event>, <key>: <obj>, "time": ...} to followers of the
 * "agent" topic; steals <obj>. */
void dfl_agent__event(struct dfl_agent *a, const char *event, const char *key,
		      json_t *obj);

/* pods.c: restores the endpoints loaded from the state file (adopting,
 * repairing or removing each), then removes veths carrying our alias that
 * no endpoint owns and pod directories nobody uses. */
void dfl_agent__restore_endpoints(struct dfl_agent *a);
/* pods.c: starts due program restarts (called every second). */
void dfl_agent__tick(struct dfl_agent *a);
/* pods.c: stops programs and unplumbs every endpoint (cleanup). */
void dfl_agent__remove_all_endpoints(struct dfl_agent *a);
/* pods.c: creates an endpoint for <pod> (a deep copy is kept). */
int dfl_agent__endpoint_create(struct dfl_agent *a,
			       const struct dfl_pod_desc *pod,
			       struct dfl_endpoint **out, char *err,
			       size_t errlen);
void dfl_endpoint__free(struct dfl_endpoint *ep);

/* services.c: rewrites the hosts file and resolv.conf of every namespace
 * with pods, and removes those of namespaces without. */
void dfl_agent__refresh_hosts(struct dfl_agent *a);
/* services.c: creates <state>/ns/<ns>/ and writes its path to <buf>. */
int dfl_agent__namespace_dir(struct dfl_agent *a, const char *ns, char *buf,
			     size_t len);
/* services.c: frees every Service. */
void dfl_agent__free_services(struct dfl_agent *a);
/* deployments.c */
void dfl_agent__free_deployments(struct dfl_agent *a);

/* handlers.c: registers the socket ops. Returns 0 or -errno. */
int dfl_agent__register_handlers(struct dfl_agent *a);

/* policy_dir.c: watches a->policy_dir, reporting files through
 * hooks.policy_file. Returns 0 or -errno (message in <err>). */
int dfl_agent__watch_policy_dir(struct dfl_agent *a, char *err, size_t errlen);

#endif
