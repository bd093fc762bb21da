#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/agent-t.h"
#include "cli/client.h"
#include "cli/cmd.h"

#define CALL_TIMEOUT_S 120

const char *dfl_client__default_socket(void)
{
	const char *env = getenv("DEFLECTOR_SOCKET");

	return env && *env ? env : DFL_AGENT_SOCKET;
}

int dfl_client__connect(struct dfl_client *c, const char *path, char *err,
			size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!path)
		path = dfl_client__default_socket();
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	c->path = strdup(path);
	if (!c->path) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return ret;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		snprintf(err, errlen,
			 "cannot reach the agent at %s: %s (is the agent running? start it with `deflector agent`%s)",
			 path, strerror(errno),
			 errno == EACCES ? ", and run this as root" : "");
		close(c->fd);
		c->fd = -1;
		return ret;
	}
	return 0;
}

void dfl_client__close(struct dfl_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->path);
	c->path = NULL;
	dfl_strbuf__release(&c->in);
}

/* Reads until a complete line is buffered; returns its length (without
 * the newline), 0-length lines included, or -1 at EOF, or -errno. */
static ssize_t read_line(struct dfl_client *c, char *err, size_t errlen)
{
	char buf[65536], *nl;
	ssize_t n;

	for (;;) {
		nl = c->in.buf ? memchr(c->in.buf, '\n', c->in.len) : NULL;
		if (nl)
			return nl - c->in.buf;
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			snprintf(err, errlen, "reading from the agent at %s: %s",
				 c->path,
				 errno == EAGAIN ? "no answer within 120 s" : strerror(errno));
			return n;
		}
		if (dfl_strbuf__append(&c->in, buf, (size_t)n)) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
}

static void consume(struct dfl_client *c, size_t len)
{
	memmove(c->in.buf, c->in.buf + len + 1, c->in.len - len - 1);
	c->in.len -= len + 1;
	c->in.buf[c->in.len] = '\0';
}

static int next_json(struct dfl_client *c, json_t **msg, char *err,
		     size_t errlen)
{
	json_error_t jerr;
	ssize_t len;

	do {
		len = read_line(c, err, errlen);
		if (len < 0)
			break;
		if (len == 0)
			consume(c, 0);
	} while (len == 0);
	if (len == -1)
		return 0;
	if (len < 0)
		return (int)len;
	*msg = json_loadb(c->in.buf, (size_t)len, 0, &jerr);
	consume(c, (size_t)len);
	if (!*msg) {
		snprintf(err, errlen, "the agent sent a line that is not JSON: %s",
			 jerr.text);
		return -EPROTO;
	}
	return 1;
}

int dfl_client__call(struct dfl_client *c, const json_t *req, json_t **result,
		     char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = CALL_TIMEOUT_S };
	char *line = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0;
	json_t *resp = NULL, *v;
	int ret;

	*result = NULL;
	if (!line) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	len = strlen(line);
	line[len++] = '\n'; /* json_dumps leaves room: we overwrite the NUL */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (off < len) {
		ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			snprintf(err, errlen, "writing to the agent at %s: %s",
				 c->path, strerror(errno));
			free(line);
			return ret;
		}
		off += (size_t)n;
	}
	free(line);
	ret = next_json(c, &resp, err, errlen);
	if (ret == 0) {
		snprintf(err, errlen, "the agent at %s closed the connection without answering",
			 c->path);
		return -ECONNRESET;
	}
	if (ret < 0)
		return ret;
	v = json_object_get(resp, "error");
	if (v) {
		snprintf(err, errlen, "%s",
			 json_is_string(v) ? json_string_value(v) : "error");
		json_decref(resp);
		return -EREMOTEIO;
	}
	v = json_object_get(resp, "result");
	if (!v) {
		snprintf(err, errlen, "the agent's answer has neither result nor error");
		json_decref(resp);
		return -EPROTO;
	}
	*result = json_incref(v);
	json_decref(resp);
	return 0;
}

int dfl_client__next(struct dfl_client *c, json_t **msg, char *err,
		     size_t errlen)
{
	struct timeval tv = { 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return next_json(c, msg, err, errlen);
}

const char *dfl_json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

int dfl_client__request(const char *socket, const char *cmd, bool json,
			const json_t *req, json_t **result)
{
	struct dfl_client c;
	char err[1024];
	int ret;

	ret = dfl_client__connect(&c, socket, err, sizeof(err));
	if (!ret)
		ret = dfl_client__call(&c, req, result, err, sizeof(err));
	dfl_client__close(&c);
	if (ret) {
		dfl_cmd_error(json, cmd, "%s", err);
		return DFL_EXIT_FAIL;
	}
	return DFL_EXIT_OK;
}
