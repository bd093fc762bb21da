/* The CLI's client of the agent's control socket (agent/api.h has the
 * protocol): one JSON request per line, one JSON response per line, and
 * streams for followers. Every online command goes through it. */
#ifndef DFL_CLI_CLIENT_H
#define DFL_CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/strbuf.h"

struct dfl_client {
	int fd;
	char *path;
	struct dfl_strbuf in; /* bytes received, not yet returned */
};

/* $DEFLECTOR_SOCKET, else /run/deflector/agent.sock. */
const char *dfl_client__default_socket(void);

/* Connects to <path> (NULL: the default). On failure returns -errno with a
 * message in <err> that says whether the agent runs:
 * "cannot reach the agent at PATH: No such file or directory (is the agent
 * running? start it with `deflector agent`)". */
int dfl_client__connect(struct dfl_client *c, const char *path, char *err,
			size_t errlen);
void dfl_client__close(struct dfl_client *c);

/* Sends <req> (not stolen) and waits for its response. Returns 0 with the
 * "result" value in *result (owned by the caller), -EREMOTEIO with the
 * agent's {"error": ...} message in <err>, or another -errno (transport,
 * timeout after 120 s, bad response) with a message. */
int dfl_client__call(struct dfl_client *c, const json_t *req, json_t **result,
		     char *err, size_t errlen);
/* Next message of a stream (after a "subscribe"). Returns 1 with *msg,
 * 0 when the agent closed the connection, or -errno. Blocks. */
int dfl_client__next(struct dfl_client *c, json_t **msg, char *err,
		     size_t errlen);

/* obj[key] as a string, or "" when absent or not a string (for printing). */
const char *dfl_json_str(const json_t *obj, const char *key);

/* Connect + call + close for one-shot commands. On failure prints
 * "deflector: <cmd>: <message>" (or {"error": ...} on stdout when <json>)
 * and returns the exit code (1); else 0 with *result. */
int dfl_client__request(const char *socket, const char *cmd, bool json,
			const json_t *req, json_t **result);

#endif
