/* The labels a pod's identity is made of (§2.4) and Cilium's default
 * identity-relevant label filter (§6.4). */
#ifndef DFL_IDENTITY_PODLABELS_H
#define DFL_IDENTITY_PODLABELS_H

#include "crd/crd-t.h"
#include "identity/identity-t.h"

/* Well-known label keys (source k8s). */
#define DFL_LBL_NAMESPACE "io.kubernetes.pod.namespace"
#define DFL_LBL_NS_LABELS "io.cilium.k8s.namespace.labels."
#define DFL_LBL_SERVICEACCOUNT "io.cilium.k8s.policy.serviceaccount"
#define DFL_LBL_CLUSTER "io.cilium.k8s.policy.cluster"
#define DFL_LBL_NS_NAME "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name"

/* Builds the identity labels of a pod in namespace <ns>:
 *   - every pod label with source k8s, minus keys starting "io.cilium.k8s"
 *     (users cannot spoof the special labels);
 *   - io.cilium.k8s.namespace.labels.<k>=<v> for each namespace label
 *     (<ns_labels> may be NULL; kubernetes.io/metadata.name=<ns> is always
 *     added, as Kubernetes sets it on every namespace);
 *   - io.kubernetes.pod.namespace, io.cilium.k8s.policy.serviceaccount (when
 *     not empty) and io.cilium.k8s.policy.cluster=<cluster> (when not empty);
 * then drops the labels the default filter excludes. <out> must be empty.
 * Returns 0 or -ENOMEM. */
int dfl_pod_identity_labels(const struct dfl_kvs *pod_labels, const char *ns,
			    const struct dfl_kvs *ns_labels,
			    const char *service_account, const char *cluster,
			    struct dfl_labels *out);

/* True when the default filter keeps <source>:<key> for identities. */
bool dfl_label_is_identity_relevant(const char *source, const char *key);

#endif
