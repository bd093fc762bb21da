/* Deployments: each keeps <replicas> pods named like Kubernetes names them,
 * <deployment>-<pod-template-hash>-<5 random characters>, labelled
 * pod-template-hash=<hash>. A changed template replaces every pod. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-priv.h"
#include "agent/agent.h"
#include "agent/naming.h"
#include "agent/pod.h"
#include "util/log.h"
#include "util/mem.h"

static ssize_t find_deployment(const struct dfl_agent *a, const char *ns,
			       const char *name)
{
	for (size_t i = 0; i < a->n_deps; i++)
		if (!strcmp(a->deps[i]->namespace, ns) &&
		    !strcmp(a->deps[i]->name, name))
			return (ssize_t)i;
	return -1;
}

static bool owned_by(const struct dfl_endpoint *ep, const char *ns,
		     const char *name)
{
	return ep->pod.workload_kind && ep->pod.workload_name &&
	       !strcmp(ep->pod.workload_kind, "Deployment") &&
	       !strcmp(ep->pod.workload_name, name) &&
	       !strcmp(ep->pod.namespace, ns);
}

/* Deletes the pods of <ns>/<name> whose template hash is not <keep> (NULL:
 * all), and <excess> of those whose hash is <keep> (highest ids first). */
static void delete_replicas(struct dfl_agent *a, const char *ns,
			    const char *name, const char *keep, size_t excess)
{
	for (size_t i = a->n_eps; i-- > 0;) {
		struct dfl_endpoint *ep = a->eps[i];
		const char *hash;

		if (i >= a->n_eps || !owned_by(ep, ns, name))
			continue;
		hash = dfl_kvs__get(&ep->pod.labels, "pod-template-hash");
		if (keep && hash && !strcmp(hash, keep)) {
			if (!excess)
				continue;
			excess--;
		}
		dfl_agent__endpoint_delete(a, ep);
	}
}

static size_t count_replicas(struct dfl_agent *a, const char *ns,
			     const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_eps; i++)
		n += owned_by(a->eps[i], ns, name);
	return n;
}

/* The template's pod with its generated name and the pod-template-hash
 * label. */
static int replica_pod(struct dfl_agent *a, const struct dfl_deployment_desc *d,
		       const char *hash, struct dfl_pod_desc *pod)
{
	struct dfl_kv *kv;
	char name[64], suffix[6];
	size_t n;

	if (dfl_pod_desc__copy(pod, &d->template))
		return -ENOMEM;
	do {
		dfl_name__random_suffix(suffix);
		dfl_replica__name(name, sizeof(name), d->name, hash, suffix);
	} while (dfl_agent__endpoint_by_name(a, d->namespace, name));
	free(pod->namespace);
	free(pod->name);
	free(pod->workload_name);
	free(pod->workload_kind);
	pod->namespace = strdup(d->namespace);
	pod->name = strdup(name);
	pod->workload_name = strdup(d->name);
	pod->workload_kind = strdup("Deployment");
	n = pod->labels.n;
	kv = realloc(pod->labels.items, (n + 1) * sizeof(*kv));
	if (kv) {
		pod->labels.items = kv;
		if (!dfl_kvs__get(&pod->labels, "pod-template-hash")) {
			kv[n].key = strdup("pod-template-hash");
			kv[n].value = strdup(hash);
			pod->labels.n++;
			/* Keep the labels sorted by key. */
			for (size_t i = n; i > 0 &&
			     strcmp(kv[i - 1].key ? kv[i - 1].key : "",
				    kv[i].key ? kv[i].key : "") > 0; i--) {
				struct dfl_kv t = kv[i];

				kv[i] = kv[i - 1];
				kv[i - 1] = t;
			}
		}
	}
	if (!kv || !pod->namespace || !pod->name || !pod->workload_name ||
	    !pod->workload_kind || !dfl_kvs__get(&pod->labels, "pod-template-hash")) {
		dfl_pod_desc__release(pod);
		return -ENOMEM;
	}
	return 0;
}

/* A deep copy through the JSON form, which also validates the template. */
static struct dfl_deployment_desc *
deployment_copy(const struct dfl_deployment_desc *d, char *err, size_t errlen)
{
	struct dfl_deployment_desc *copy = calloc(1, sizeof(*copy));
	json_t *j = dfl_deployment_desc__to_json(d);

	snprintf(err, errlen, "out of memory");
	if (!copy || !j ||
	    dfl_deployment_desc__from_json(copy, j, "deployment", err, errlen)) {
		dfl_deployment_desc__release(copy);
		free(copy);
		copy = NULL;
	}
	json_decref(j);
	return copy;
}

int dfl_agent__deployment_apply(struct dfl_agent *a,
				const struct dfl_deployment_desc *d, char *err,
				size_t errlen)
{
	struct dfl_deployment_desc *copy;
	ssize_t idx;
	const char *msg;
	char hash[11];
	size_t have;
	int ret = 0;

	if ((msg = dfl_k8s__check_label(d->namespace)) ||
	    (msg = dfl_k8s__check_subdomain(d->name))) {
		snprintf(err, errlen, "deployment %s/%s: %s",
			 d->namespace ? d->namespace : "", d->name ? d->name : "",
			 msg);
		return -EINVAL;
	}
	copy = deployment_copy(d, err, errlen);
	if (!copy)
		return -EINVAL;
	idx = find_deployment(a, d->namespace, d->name);
	if (idx >= 0) {
		dfl_deployment_desc__release(a->deps[idx]);
		free(a->deps[idx]);
		a->deps[idx] = copy;
	} else {
		struct dfl_deployment_desc **slot =
			DFL_PUSH(a->deps, a->n_deps, a->cap_deps);

		if (!slot) {
			dfl_deployment_desc__release(copy);
			free(copy);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		*slot = copy;
	}
	dfl_pod_template__hash(&copy->template, hash);
	delete_replicas(a, copy->namespace, copy->name, hash, 0);
	have = count_replicas(a, copy->namespace, copy->name);
	if (have > copy->replicas)
		delete_replicas(a, copy->namespace, copy->name, hash,
				have - copy->replicas);
	for (; have < copy->replicas; have++) {
		struct dfl_pod_desc pod;

		ret = replica_pod(a, copy, hash, &pod);
		if (ret) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		ret = dfl_agent__endpoint_create(a, &pod, NULL, err, errlen);
		dfl_pod_desc__release(&pod);
		if (ret)
			break;
	}
	dfl_agent__persist(a);
	pr_info("deployment %s/%s: %u replica(s), template %s\n", copy->namespace,
		copy->name, copy->replicas, hash);
	dfl_agent__event(a, idx >= 0 ? "deployment-updated" : "deployment-created",
			 "deployment", dfl_deployment_desc__to_json(copy));
	return ret;
}

int dfl_agent__deployment_delete(struct dfl_agent *a, const char *ns,
				 const char *name, char *err, size_t errlen)
{
	ssize_t idx = find_deployment(a, ns, name);
	struct dfl_deployment_desc *d;

	if (idx < 0) {
		snprintf(err, errlen, "deployment %s/%s not found", ns, name);
		return -ENOENT;
	}
	d = a->deps[idx];
	memmove(&a->deps[idx], &a->deps[idx + 1],
		(a->n_deps - (size_t)idx - 1) * sizeof(*a->deps));
	a->n_deps--;
	delete_replicas(a, ns, name, NULL, 0);
	dfl_agent__persist(a);
	pr_info("deployment %s/%s: deleted\n", ns, name);
	dfl_agent__event(a, "deployment-deleted", "deployment",
			 dfl_deployment_desc__to_json(d));
	dfl_deployment_desc__release(d);
	free(d);
	return 0;
}

size_t dfl_agent__deployments(struct dfl_agent *a,
			      struct dfl_deployment_desc *const **deps)
{
	*deps = a->deps;
	return a->n_deps;
}

void dfl_agent__free_deployments(struct dfl_agent *a)
{
	for (size_t i = 0; i < a->n_deps; i++) {
		dfl_deployment_desc__release(a->deps[i]);
		free(a->deps[i]);
	}
	free(a->deps);
	a->deps = NULL;
	a->n_deps = a->cap_deps = 0;
}
