/* Names the agent makes up: pod network namespaces, host-side veths,
 * Deployment replica names, and the checks Kubernetes applies to names. */
#ifndef DFL_AGENT_NAMING_H
#define DFL_AGENT_NAMING_H

#include <stddef.h>
#include <stdint.h>

#include "agent/agent-t.h"

/* 64-bit FNV-1a of <len> bytes, continuing from <h> (start with
 * DFL_FNV64_INIT). */
#define DFL_FNV64_INIT 0xcbf29ce484222325ull
uint64_t dfl_fnv1a64(uint64_t h, const void *data, size_t len);

/* The names of a pod's network namespace ("dfl-" + 12 hex digits) and of its
 * host-side veth ("lxc" + the same 12 hex digits: 15 characters). Both are a
 * hash of node, namespace, name and <attempt>: deterministic, different on
 * different nodes, and a caller that finds a name taken retries with
 * attempt + 1. */
void dfl_endpoint__names(const char *node, const char *ns, const char *name,
			 unsigned int attempt, char netns[DFL_NETNS_NAME_MAX],
			 char ifname[DFL_IFNAME_MAX]);

/* The pod-template-hash of a Deployment's template, shaped as Kubernetes
 * shapes it: FNV-32a of the template, printed in decimal, each digit mapped
 * through the "bcdfghjklmnpqrstvwxz2456789" alphabet (SafeEncodeString), so
 * 1-10 characters from "4-9bcdf". The input is our own canonical form of the
 * template (labels, image, command, ports), so the value differs from the one
 * a real cluster computes. <out> must hold 11 bytes. */
void dfl_pod_template__hash(const struct dfl_pod_desc *tmpl, char out[11]);

/* 5 random characters from the same alphabet, as Kubernetes' name
 * generator appends to "<replicaset>-". <out> must hold 6 bytes. */
void dfl_name__random_suffix(char out[6]);

/* "<deployment>-<hash>-<suffix>", with the "<deployment>-<hash>-" base cut
 * to 58 characters as Kubernetes does, so the result has at most 63.
 * Returns 0 or -ENAMETOOLONG when <len> is too small. */
int dfl_replica__name(char *out, size_t len, const char *deployment,
		      const char *hash, const char *suffix);

/* Kubernetes name rules. Returns NULL when <s> is valid, else a sentence
 * saying what is wrong (static storage). A DNS-1123 label (namespaces,
 * Service names) has at most 63 characters [a-z0-9-], starting and ending
 * alphanumeric; a subdomain (Pod, Deployment names) has at most 253 and
 * may also contain dots between labels. */
const char *dfl_k8s__check_label(const char *s);
const char *dfl_k8s__check_subdomain(const char *s);
/* Label keys: an optional DNS subdomain prefix and '/', then a name of at
 * most 63 characters [A-Za-z0-9-_.] starting and ending alphanumeric. Label
 * values: empty, or the same rule as the name. */
const char *dfl_k8s__check_label_key(const char *s);
const char *dfl_k8s__check_label_value(const char *s);

#endif
