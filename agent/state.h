/* The agent's state directory: <state_dir>/state.json holds the node's
 * settings, every endpoint (id, pod, names, address, program PID), Service
 * and Deployment, so that a restarted agent adopts what exists and removes
 * only what is stale. <state_dir>/pods/<netns>/ holds each pod's program
 * log, <state_dir>/ns/<namespace>/ the hosts file and resolv.conf its pods
 * share. The file is replaced atomically (write a temporary, rename) after
 * every change; endpoints are recorded before their kernel objects are made
 * and removed from it only after those are gone. No fsync: what the file
 * describes (namespaces, links, processes) does not survive a reboot either,
 * and rename is atomic against an agent crash. */
#ifndef DFL_AGENT_STATE_H
#define DFL_AGENT_STATE_H

#include <stddef.h>

#include <jansson.h>

#include "agent/agent-priv-t.h"

#define DFL_STATE_VERSION 1

/* Writes a's state. Returns 0 or -errno. */
int dfl_state__save(const struct dfl_agent *a);
/* Reads <state_dir>/state.json into <a> (whose configuration and allocators
 * are set up): checks that it was written for the same node, node netns and
 * CIDRs, then fills a->eps (claiming their ids and addresses), a->svcs and
 * a->deps. A missing file is a fresh start (returns 0, a->loaded false).
 * Errors return -errno with a message in <err>. */
int dfl_state__load(struct dfl_agent *a, char *err, size_t errlen);

/* Endpoint <-> its persisted JSON form. from_json fills a zeroed <ep>;
 * release with dfl_endpoint__free's contents rules (agent.c). */
json_t *dfl_state__endpoint_to_json(const struct dfl_endpoint *ep);
int dfl_state__endpoint_from_json(struct dfl_endpoint *ep, const json_t *j,
				  const char *path, char *err, size_t errlen);

/* "<state_dir>/pods/<netns>" into <buf>. */
const char *dfl_state__pod_dir(const char *state_dir, const char *netns,
			       char *buf, size_t len);

#endif
