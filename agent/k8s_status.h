/* The validity condition deflector writes back on each CNP/CCNP, as Cilium
 * does (status.conditions[type=Valid]), so `kubectl get cnp` shows VALID. */
#ifndef DFL_AGENT_K8S_STATUS_H
#define DFL_AGENT_K8S_STATUS_H

#include <jansson.h>
#include <stdbool.h>

/* Cilium's message for a policy that passed validation. */
#define DFL_POLICY_VALID_MESSAGE "Policy validation succeeded"

/* Builds the merge-patch body for the /status subresource of <object> (the
 * policy as last seen, whose status.conditions are kept apart from the Valid
 * one). Returns NULL when the Valid condition already says the same (nothing
 * to write), else a new JSON string (free()). lastTransitionTime is <now>
 * (RFC 3339) when the status changes, else the previous one. */
char *dfl_k8s_status__valid_patch(const json_t *object, bool valid,
				  const char *message, const char *now);

/* The API path of the status subresource of a CNP (<ns> set) or CCNP. */
char *dfl_k8s_status__path(const char *ns, const char *name);

#endif
