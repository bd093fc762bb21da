/* A minimal Kubernetes API client over libcurl: GET, streaming GET for
 * watches, and PATCH. One client per thread (curl easy handles are not shared
 * across threads). */
#ifndef DFL_AGENT_K8S_CLIENT_H
#define DFL_AGENT_K8S_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "agent/k8s_config.h"
#include "util/strbuf.h"

struct dfl_k8s_client;

/* Returns a client for <creds> (copied), or NULL with errno set. */
struct dfl_k8s_client *dfl_k8s_client__new(const struct dfl_k8s_creds *creds);
void dfl_k8s_client__free(struct dfl_k8s_client *c);

/* Aborts any transfer of <c> in progress as soon as *<stop> becomes true, and
 * refuses new ones. */
void dfl_k8s_client__set_stop(struct dfl_k8s_client *c, atomic_bool *stop);

/* GET <path> (e.g. "/api/v1/pods?limit=500"). On return *<status> holds the
 * HTTP status (0 when no response) and <body> the response body. Returns 0
 * when a response arrived (any status), or a negative errno with a message in
 * <err> (connection refused, TLS failure, aborted). */
int dfl_k8s_client__get(struct dfl_k8s_client *c, const char *path,
			long *status, struct dfl_strbuf *body,
			struct dfl_strbuf *err);

/* Streams GET <path>, calling <on_line> for each complete newline-terminated
 * line of a 2xx body (the line without its newline, NUL-terminated). A
 * non-zero return from <on_line> ends the stream. For non-2xx statuses the
 * body is collected into <body> instead. Returns as dfl_k8s_client__get;
 * a connection that ends in the middle of the stream is an error (-EPIPE). */
int dfl_k8s_client__stream(struct dfl_k8s_client *c, const char *path,
			   int (*on_line)(const char *line, size_t len, void *ctx),
			   void *ctx, long *status, struct dfl_strbuf *body,
			   struct dfl_strbuf *err);

/* PATCH <path> with <content_type> ("application/merge-patch+json"). */
int dfl_k8s_client__patch(struct dfl_k8s_client *c, const char *path,
			  const char *content_type, const char *payload,
			  long *status, struct dfl_strbuf *body,
			  struct dfl_strbuf *err);

#endif
