/* The agent's control socket: a unix stream socket speaking JSON, one
 * message per line (JSON text never contains a raw newline).
 *
 *   request:  {"op": "endpoint.list", "id": <any, optional>, ...arguments}
 *   response: {"result": <value>, "id": ...}  or  {"error": "<sentence>", "id": ...}
 *
 * A connection may carry any number of requests, answered in order. A
 * handler may turn its connection into a follower of a topic
 * (dfl_api_conn__follow): after the response, every message published to the
 * topic is written to it, one per line, until the client closes. A follower
 * that reads too slowly loses messages; it is then sent
 * {"lost_events": {"source": "DEFLECTOR_AGENT", "num_events_lost": N}}
 * once it has caught up. docs/agent.md documents the ops. */
#ifndef DFL_AGENT_API_H
#define DFL_AGENT_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "agent/evloop.h"

/* Longest request line accepted; longer ones get an error and the
 * connection is closed. */
#define DFL_API_MAX_LINE (16u << 20)
/* Bytes a follower may have pending before messages are dropped. */
#define DFL_API_MAX_PENDING (8u << 20)

struct dfl_api;
struct dfl_api_conn;

/* One request being answered. */
struct dfl_api_call {
	struct dfl_api_conn *conn;
	const char *op;
	const json_t *req; /* the whole request object, borrowed */
	json_t *result;	   /* set by the handler; owned by the call */
	char *error;	   /* set through dfl_api_call__fail */
};

/* Returns 0 (the result is call->result, or {} when NULL) or a negative
 * errno; the error sent is the message given to dfl_api_call__fail, else
 * strerror. */
typedef int (*dfl_api_fn)(void *ctx, struct dfl_api_call *call);

/* Listens on <path> (its directory is created; a stale socket left by a dead
 * agent is replaced; a live one is an error: "another agent is serving
 * PATH"). Returns NULL with errno set and a message in <err>. */
struct dfl_api *dfl_api__new(struct dfl_evloop *loop, const char *path,
			     char *err, size_t errlen);
/* Closes every connection and the socket, and removes the socket file. */
void dfl_api__free(struct dfl_api *api);

/* Adds op <op> (copied). <summary> (static) is listed by the built-in
 * "help" op. Returns 0, -EEXIST or -ENOMEM. */
int dfl_api__register(struct dfl_api *api, const char *op, const char *summary,
		      dfl_api_fn fn, void *ctx);

/* Records the error message for <call> and returns <err> (negative). */
int dfl_api_call__fail(struct dfl_api_call *call, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Makes <conn> a follower of <topic> once the current response is sent. */
int dfl_api_conn__follow(struct dfl_api_conn *conn, const char *topic);

/* Sends <msg> to every follower of <topic>. Returns the number of followers
 * it was queued for. */
size_t dfl_api__publish(struct dfl_api *api, const char *topic,
			const json_t *msg);
size_t dfl_api__followers(const struct dfl_api *api, const char *topic);

#endif
