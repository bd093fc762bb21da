/* Pod, Service and Deployment descriptions (agent/agent-t.h): decoding from
 * and encoding to the JSON of the control socket and of the state file,
 * copying, and conversion from crd's decoded objects.
 *
 * JSON shapes (docs/agent.md has the full reference):
 *   pod:        {"namespace", "name", "labels": {k: v}, "ports": [{"port",
 *                "protocol", "name"}], "image", "command": [..],
 *                "serviceAccount", "workload": {"name", "kind"}}
 *   service:    {"namespace", "name", "clusterIP", "selector": {k: v},
 *                "ports": [{"name", "port", "protocol", "targetPort"}]}
 *   deployment: {"namespace", "name", "replicas", "template": <pod without
 *                name and namespace>}
 *
 * Decoders validate like the API server (names, label syntax, port ranges)
 * and on error return -EINVAL with a message naming the field path
 * ("pod.labels.org: must be a string") in <err>. Outputs are owned by the
 * caller and released with the matching __release (also after a failure).
 */
#ifndef DFL_AGENT_POD_H
#define DFL_AGENT_POD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "agent/agent-t.h"

int dfl_pod_desc__from_json(struct dfl_pod_desc *pod, const json_t *j,
			    const char *path, char *err, size_t errlen);
json_t *dfl_pod_desc__to_json(const struct dfl_pod_desc *pod);
/* Deep copy; returns 0 or -ENOMEM (dst is then released). */
int dfl_pod_desc__copy(struct dfl_pod_desc *dst, const struct dfl_pod_desc *src);
void dfl_pod_desc__release(struct dfl_pod_desc *pod);
/* From crd's decoded Pod (deep copy). Returns 0 or -ENOMEM. */
int dfl_pod_desc__from_pod(struct dfl_pod_desc *dst, const struct dfl_pod *pod);
/* True when every key=value of <selector> is among <pod>'s labels (a
 * Service's selector; an empty selector matches nothing, as Kubernetes
 * creates no endpoints for a Service without selector). */
bool dfl_pod_desc__selected_by(const struct dfl_pod_desc *pod,
			       const struct dfl_kvs *selector);
/* Value of label <key>, or NULL. */
const char *dfl_kvs__get(const struct dfl_kvs *kvs, const char *key);

int dfl_service_desc__from_json(struct dfl_service_desc *svc, const json_t *j,
				const char *path, char *err, size_t errlen);
json_t *dfl_service_desc__to_json(const struct dfl_service_desc *svc);
int dfl_service_desc__from_service(struct dfl_service_desc *dst,
				   const struct dfl_service *svc, char *err,
				   size_t errlen);
void dfl_service_desc__release(struct dfl_service_desc *svc);

int dfl_deployment_desc__from_json(struct dfl_deployment_desc *d,
				   const json_t *j, const char *path,
				   char *err, size_t errlen);
json_t *dfl_deployment_desc__to_json(const struct dfl_deployment_desc *d);
int dfl_deployment_desc__from_deployment(struct dfl_deployment_desc *dst,
					 const struct dfl_deployment *d);
void dfl_deployment_desc__release(struct dfl_deployment_desc *d);

/* "TCP", "UDP", "SCTP" (upper-case, as Kubernetes writes them). */
const char *dfl_l4proto__name(uint8_t proto);
/* Case-insensitive; returns the IP protocol number or -EINVAL. */
int dfl_l4proto__parse(const char *name);

#endif
