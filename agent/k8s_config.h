/* Credentials for the Kubernetes API server: from a kubeconfig file or from
 * the pod's service account (in-cluster). */
#ifndef DFL_AGENT_K8S_CONFIG_H
#define DFL_AGENT_K8S_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

struct dfl_k8s_creds {
	char *server;	  /* "https://10.96.0.1:443" */
	char *token;	  /* bearer token, or NULL */
	char *token_file; /* re-read on every request (bound tokens rotate) */
	char *ca_file;	  /* PEM file, or NULL */
	char *ca_pem;	  /* PEM data (certificate-authority-data), or NULL */
	char *cert_file;  /* client certificate, PEM */
	char *cert_pem;
	char *key_file; /* client key, PEM */
	char *key_pem;
	bool insecure; /* insecure-skip-tls-verify */
};

/* Reads <path> (kubeconfig) and fills <c> from <context>, or from
 * current-context when <context> is NULL. Returns 0, or a negative errno with
 * a message naming the file and the missing or bad field in <err>. */
int dfl_k8s_creds__from_kubeconfig(struct dfl_k8s_creds *c, const char *path,
				   const char *context, struct dfl_strbuf *err);

/* Fills <c> from KUBERNETES_SERVICE_HOST/PORT and the service-account files
 * under <sa_dir> (NULL: /var/run/secrets/kubernetes.io/serviceaccount). */
int dfl_k8s_creds__in_cluster(struct dfl_k8s_creds *c, const char *sa_dir,
			      struct dfl_strbuf *err);

void dfl_k8s_creds__release(struct dfl_k8s_creds *c);

/* Decodes base64 <in> into a new NUL-terminated buffer (*<out>, length in
 * *<len>). Returns 0 or -EINVAL / -ENOMEM. */
int dfl_base64_decode(const char *in, char **out, size_t *len);

#endif
