/* The HTTP/1.x filter of one client connection, without I/O: bytes from the
 * client and from the server go in, bytes for the server and for the client
 * come out, and each request is decided through a callback before any of it
 * reaches the server. The socket glue (proxy/http_conn.c) and the fuzzer
 * drive it the same way.
 *
 * Requests are handled one at a time: a pipelined request is parsed once
 * the previous response has been relayed, which keeps responses (relayed or
 * local 403s) in request order without a queue. Bodies are streamed: only a
 * request head is ever buffered whole (up to max_header_bytes).
 *
 * Parsing is strict (llhttp without lenient flags, plus the checks llhttp
 * leaves out): Content-Length with Transfer-Encoding, repeated or invalid
 * lengths, bad chunking, obs-fold, whitespace before a colon, control bytes,
 * non-ASCII request targets, a missing or repeated Host (HTTP/1.1) and
 * Transfer-Encoding on HTTP/1.0 all get 400 and the connection closes. */
#ifndef DFL_PROXY_HTTP_FILTER_H
#define DFL_PROXY_HTTP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/l7_match.h"
#include "proxy/buf.h"
#include "proxy/proxy-t.h"

/* The four byte streams. The caller appends what it reads to client_in /
 * server_in and writes to_client / to_server out, consuming what was
 * written. */
struct dfl_http_io {
	struct dfl_buf client_in;
	struct dfl_buf server_in;
	struct dfl_buf to_client;
	struct dfl_buf to_server;
};

/* The decision on one request head, filled by ops->decide. <actions>
 * stays valid until ops->done is called. */
struct dfl_http_decision {
	bool allowed;
	int rule;	    /* see dfl_l7_event.rule */
	const char *reason; /* static string for denials, or NULL */
	const struct dfl_http_header_action *actions;
	size_t n_actions;
};

struct dfl_http_filter_ops {
	void (*decide)(void *ctx, const struct dfl_http_request_view *req,
		       struct dfl_http_decision *out);
	/* The filter no longer needs what decide() returned. */
	void (*done)(void *ctx);
	/* An event with type, verdict, rule, reason, latency and the http part
	 * filled; the callee adds addresses, identities and time. */
	void (*event)(void *ctx, struct dfl_l7_event *ev);
};

struct dfl_http_filter_limits {
	size_t max_header_bytes;
	size_t max_headers;
	const char *body_403; /* body of denials, "\r\n" included */
};

/* What the caller should do next (bit set). */
enum dfl_http_status {
	/* to_server holds bytes and needs a connection (open one if none). */
	DFL_HTTP_WANT_UPSTREAM = 1u << 0,
	/* Close the upstream connection, then call __upstream_closed(). */
	DFL_HTTP_CLOSE_UPSTREAM = 1u << 1,
	/* Close the client once to_client is flushed; read nothing more. */
	DFL_HTTP_CLOSE_CLIENT = 1u << 2,
	/* Close everything now (nothing more to send). */
	DFL_HTTP_ABORT = 1u << 3,
};

/* Which timer applies (the caller owns the clocks). */
enum dfl_http_phase {
	DFL_HTTP_IDLE = 0, /* between requests: idle timeout */
	DFL_HTTP_HEAD,	   /* part of a head received: head timeout */
	DFL_HTTP_WAIT,	   /* request forwarded, response pending */
	DFL_HTTP_BODY,	   /* response done, request body still arriving */
	DFL_HTTP_TUNNEL,   /* after an upgrade: idle timeout */
};

enum dfl_http_timeout {
	DFL_HTTP_TIMEOUT_HEAD,	   /* 408 and close */
	DFL_HTTP_TIMEOUT_RESPONSE, /* 504 and close */
};

struct dfl_http_filter;

/* <default_authority> names the server in URLs when a request has no Host
 * ("10.0.0.1:80"). Returns NULL with errno set. */
struct dfl_http_filter *
dfl_http_filter__new(const struct dfl_http_filter_ops *ops, void *ctx,
		     const struct dfl_http_filter_limits *lim,
		     const char *default_authority);
void dfl_http_filter__free(struct dfl_http_filter *f);

struct dfl_http_io *dfl_http_filter__io(struct dfl_http_filter *f);

/* Process what was appended to client_in / server_in. */
void dfl_http_filter__client_data(struct dfl_http_filter *f);
void dfl_http_filter__server_data(struct dfl_http_filter *f);
/* The client or the server closed its sending side. */
void dfl_http_filter__client_eof(struct dfl_http_filter *f);
void dfl_http_filter__server_eof(struct dfl_http_filter *f);
/* The upstream connection failed (refused, reset, connect timeout): 503 if
 * nothing of the response was relayed yet, else the client is closed. */
void dfl_http_filter__upstream_error(struct dfl_http_filter *f,
				     const char *reason);
void dfl_http_filter__upstream_closed(struct dfl_http_filter *f);
void dfl_http_filter__timeout(struct dfl_http_filter *f,
			      enum dfl_http_timeout which);

unsigned int dfl_http_filter__status(const struct dfl_http_filter *f);
enum dfl_http_phase dfl_http_filter__phase(const struct dfl_http_filter *f);
/* False while the filter cannot take more client bytes (it waits for a
 * response, or its output is large): stop reading the client. */
bool dfl_http_filter__wants_client_data(const struct dfl_http_filter *f);

#endif
