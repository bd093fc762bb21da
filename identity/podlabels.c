#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/podlabels.h"
#include "util/mem.h"

/* Cilium's default label prefixes (pkg/labelsfilter defaultLabelPrefixCfg,
 * V20). Each is a regular expression anchored at the start of the key; ours
 * are the three shapes that list uses: a literal prefix, ".*literal" (match
 * ends after the last occurrence) and "literal.*" (match takes the whole
 * key). A label is kept when no exclusion matches, or when the longest
 * inclusion is longer than the shortest exclusion. */
enum prefix_shape { LITERAL, ANY_THEN_LITERAL, LITERAL_THEN_ANY };

struct label_prefix {
	bool ignore;
	const char *source; /* NULL = any source */
	enum prefix_shape shape;
	const char *lit;
};

static const struct label_prefix default_prefixes[] = {
	{ false, "reserved", LITERAL_THEN_ANY, "" },
	{ false, NULL, LITERAL, "io.kubernetes.pod.namespace" },
	{ false, NULL, LITERAL, "io.cilium.k8s.namespace.labels" },
	{ false, NULL, LITERAL, "app.kubernetes.io" },
	{ false, NULL, LITERAL, "io.cilium.k8s.policy.cluster" },
	{ false, NULL, LITERAL, "io.cilium.k8s.policy.serviceaccount" },
	{ true, NULL, LITERAL, "io.kubernetes" },
	{ true, NULL, LITERAL, "kubernetes.io" },
	{ true, NULL, LITERAL, "statefulset.kubernetes.io/pod-name" },
	{ true, NULL, LITERAL, "apps.kubernetes.io/pod-index" },
	{ true, NULL, LITERAL, "batch.kubernetes.io/job-completion-index" },
	{ true, NULL, LITERAL, "batch.kubernetes.io/controller-uid" },
	{ true, NULL, ANY_THEN_LITERAL, "beta.kubernetes.io" },
	{ true, NULL, LITERAL, "k8s.io" },
	{ true, NULL, LITERAL, "pod-template-generation" },
	{ true, NULL, LITERAL, "pod-template-hash" },
	{ true, NULL, LITERAL, "controller-revision-hash" },
	{ true, NULL, LITERAL, "controller-uid" },
	{ true, NULL, LITERAL_THEN_ANY, "annotation" },
	{ true, NULL, LITERAL, "etcd_node" },
	{ true, NULL, LITERAL, "topology.kubernetes.io" },
};

/* Length of the matched start of <key>, or 0 when <p> does not match. A
 * match of length 0 cannot happen except for the reserved "" prefix, which
 * we count as 1 so that it is an inclusion. */
static size_t prefix_match(const struct label_prefix *p, const char *source,
			   const char *key)
{
	size_t n = strlen(p->lit);

	if (p->source && strcmp(p->source, source))
		return 0;
	switch (p->shape) {
	case LITERAL:
		return strncmp(key, p->lit, n) ? 0 : n;
	case LITERAL_THEN_ANY:
		if (strncmp(key, p->lit, n))
			return 0;
		return strlen(key) ? strlen(key) : 1;
	default: {
		const char *last = NULL;

		for (const char *s = strstr(key, p->lit); s;
		     s = strstr(s + 1, p->lit))
			last = s;
		return last ? (size_t)(last - key) + n : 0;
	}
	}
}

bool dfl_label_is_identity_relevant(const char *source, const char *key)
{
	size_t included = 0, ignored = 0;

	for (size_t i = 0; i < DFL_ARRAY_SIZE(default_prefixes); i++) {
		const struct label_prefix *p = &default_prefixes[i];
		size_t len = prefix_match(p, source, key);

		if (!len)
			continue;
		if (p->ignore) {
			if (!ignored || len < ignored)
				ignored = len;
		} else if (len > included) {
			included = len;
		}
	}
	/* The default list is not an allow-list (no user --labels), so a
	 * label no prefix mentions is kept. */
	return !ignored || included > ignored;
}

static int add_filtered(struct dfl_labels *out, const char *key,
			const char *value)
{
	if (!dfl_label_is_identity_relevant("k8s", key))
		return 0;
	return dfl_labels__set(out, "k8s", key, value);
}

int dfl_pod_identity_labels(const struct dfl_kvs *pod_labels, const char *ns,
			    const struct dfl_kvs *ns_labels,
			    const char *service_account, const char *cluster,
			    struct dfl_labels *out)
{
	char key[512];
	int err = 0;

	for (size_t i = 0; pod_labels && i < pod_labels->n && !err; i++) {
		const struct dfl_kv *kv = &pod_labels->items[i];

		if (!strncmp(kv->key, "io.cilium.k8s", 13))
			continue;
		err = add_filtered(out, kv->key, kv->value ? kv->value : "");
	}
	for (size_t i = 0; ns_labels && i < ns_labels->n && !err; i++) {
		const struct dfl_kv *kv = &ns_labels->items[i];

		snprintf(key, sizeof(key), DFL_LBL_NS_LABELS "%s", kv->key);
		err = add_filtered(out, key, kv->value ? kv->value : "");
	}
	if (!err)
		err = add_filtered(out, DFL_LBL_NS_NAME, ns);
	if (!err)
		err = add_filtered(out, DFL_LBL_NAMESPACE, ns);
	if (!err && service_account && service_account[0])
		err = add_filtered(out, DFL_LBL_SERVICEACCOUNT, service_account);
	if (!err && cluster && cluster[0])
		err = add_filtered(out, DFL_LBL_CLUSTER, cluster);
	return err;
}
