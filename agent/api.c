#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/api.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

struct op {
	char *name;
	const char *summary;
	dfl_api_fn fn;
	void *ctx;
};

struct dfl_api_conn {
	struct dfl_api *api;
	int fd;
	struct dfl_strbuf in;
	struct dfl_strbuf out;
	size_t out_off;	   /* bytes of <out> already written */
	char *topic;	   /* following this topic, or NULL */
	bool follow_next;  /* becomes a follower after this response */
	bool closing;	   /* close once <out> is written */
	unsigned long long lost;
	struct dfl_api_conn *next;
};

struct dfl_api {
	struct dfl_evloop *loop;
	int fd;
	char *path;
	struct op *ops;
	size_t n_ops, cap_ops;
	struct dfl_api_conn *conns;
};

static void conn_close(struct dfl_api_conn *c)
{
	struct dfl_api_conn **pp;

	for (pp = &c->api->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	dfl_evloop__del(c->api->loop, c->fd);
	close(c->fd);
	dfl_strbuf__release(&c->in);
	dfl_strbuf__release(&c->out);
	free(c->topic);
	free(c);
}

static uint32_t conn_events(const struct dfl_api_conn *c)
{
	uint32_t ev = EPOLLRDHUP;

	if (!c->closing)
		ev |= EPOLLIN;
	if (c->out.len > c->out_off)
		ev |= EPOLLOUT;
	return ev;
}

/* Writes what it can. Returns false when the connection was closed. */
static bool conn_flush(struct dfl_api_conn *c)
{
	while (c->out.len > c->out_off) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off,
				 c->out.len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out.len) {
		dfl_strbuf__reset(&c->out);
		c->out_off = 0;
		if (c->closing) {
			conn_close(c);
			return false;
		}
		if (c->lost) {
			char line[160];

			snprintf(line, sizeof(line),
				 "{\"lost_events\":{\"source\":\"DEFLECTOR_AGENT\",\"num_events_lost\":%llu}}\n",
				 c->lost);
			c->lost = 0;
			dfl_strbuf__puts(&c->out, line);
			return conn_flush(c);
		}
	}
	dfl_evloop__mod(c->api->loop, c->fd, conn_events(c));
	return true;
}

static void queue_json(struct dfl_api_conn *c, const json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);

	if (!s) {
		dfl_strbuf__puts(&c->out, "{\"error\":\"out of memory\"}\n");
		return;
	}
	dfl_strbuf__puts(&c->out, s);
	dfl_strbuf__putc(&c->out, '\n');
	free(s);
}

static void reply_error(struct dfl_api_conn *c, const json_t *id,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reply_error(struct dfl_api_conn *c, const json_t *id,
			const char *fmt, ...)
{
	char msg[512];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s}", "error", msg);
	if (o && id)
		json_object_set(o, "id", (json_t *)id);
	if (o)
		queue_json(c, o);
	json_decref(o);
}

static int op_help(void *ctx, struct dfl_api_call *call)
{
	struct dfl_api *api = ctx;
	json_t *ops = json_object();

	if (!ops)
		return -ENOMEM;
	for (size_t i = 0; i < api->n_ops; i++)
		json_object_set_new(ops, api->ops[i].name,
				    json_string(api->ops[i].summary));
	call->result = json_pack("{s:o}", "ops", ops);
	return call->result ? 0 : -ENOMEM;
}

static const struct op *find_op(const struct dfl_api *api, const char *name)
{
	for (size_t i = 0; i < api->n_ops; i++)
		if (!strcmp(api->ops[i].name, name))
			return &api->ops[i];
	return NULL;
}

static void handle_line(struct dfl_api_conn *c, const char *line, size_t len)
{
	struct dfl_api_call call = { .conn = c };
	json_error_t jerr;
	json_t *req, *id, *resp;
	const struct op *op;
	const char *name;
	int err;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		reply_error(c, NULL, "request is not JSON: %s (column %d)",
			    jerr.text, jerr.column);
		return;
	}
	id = json_object_get(req, "id");
	if (!json_is_object(req)) {
		reply_error(c, NULL, "request must be a JSON object like {\"op\": \"status\"}");
		goto out;
	}
	name = json_string_value(json_object_get(req, "op"));
	if (!name) {
		reply_error(c, id, "request has no \"op\" string; {\"op\": \"help\"} lists the ops");
		goto out;
	}
	op = find_op(c->api, name);
	if (!op) {
		reply_error(c, id, "unknown op '%s'; {\"op\": \"help\"} lists the ops",
			    name);
		goto out;
	}
	call.op = name;
	call.req = req;
	err = op->fn(op->ctx, &call);
	if (err) {
		reply_error(c, id, "%s", call.error ? call.error : strerror(-err));
		free(c->topic);
		c->topic = NULL;
	} else {
		resp = json_pack("{s:o}", "result",
				 call.result ? json_incref(call.result) : json_object());
		if (resp && id)
			json_object_set(resp, "id", id);
		if (resp)
			queue_json(c, resp);
		else
			reply_error(c, id, "out of memory");
		json_decref(resp);
	}
	c->follow_next = false;
	json_decref(call.result);
	free(call.error);
out:
	json_decref(req);
}

/* Answers every complete line of <in>. Returns false when closed. */
static bool handle_input(struct dfl_api_conn *c)
{
	size_t start = 0;
	char *nl;

	while (!c->closing &&
	       (nl = memchr(c->in.buf + start, '\n', c->in.len - start))) {
		size_t len = (size_t)(nl - (c->in.buf + start));

		/* Followers send nothing more; whatever they send is
		 * ignored rather than answered into their stream. */
		if (!c->topic && len &&
		    strspn(c->in.buf + start, " \t\r") < len)
			handle_line(c, c->in.buf + start, len);
		start += len + 1;
	}
	if (start) {
		memmove(c->in.buf, c->in.buf + start, c->in.len - start);
		c->in.len -= start;
		c->in.buf[c->in.len] = '\0';
	}
	if (c->in.len > DFL_API_MAX_LINE) {
		reply_error(c, NULL, "request longer than %u bytes", DFL_API_MAX_LINE);
		c->closing = true;
	}
	return conn_flush(c);
}

static void on_conn(void *ctx, int fd, uint32_t events)
{
	struct dfl_api_conn *c = ctx;
	char buf[65536];
	ssize_t n;

	if (events & EPOLLOUT && !conn_flush(c))
		return;
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (dfl_strbuf__append(&c->in, buf, (size_t)n)) {
				conn_close(c);
				return;
			}
			if (!handle_input(c))
				return;
			if (c->closing)
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF or error: answer what is complete, then close once
		 * written. */
		c->closing = true;
		conn_flush(c);
		return;
	}
}

static void on_accept(void *ctx, int fd, uint32_t events)
{
	struct dfl_api *api = ctx;
	struct dfl_api_conn *c;
	int cfd;

	for (;;) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				pr_warn("control socket: accept: %s\n", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || dfl_evloop__add(api->loop, cfd, EPOLLIN | EPOLLRDHUP,
					on_conn, c)) {
			free(c);
			close(cfd);
			continue;
		}
		c->api = api;
		c->fd = cfd;
		c->next = api->conns;
		api->conns = c;
	}
}

/* A socket file left by a previous agent: replace it when nobody answers. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (!ret) {
		snprintf(err, errlen, "another agent is serving %s", path);
		return -EADDRINUSE;
	}
	return unlink(path) ? -errno : 0;
}

static int mkdir_parents(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

struct dfl_api *dfl_api__new(struct dfl_evloop *loop, const char *path,
			     char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct dfl_api *api;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes",
			 path, sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	api = calloc(1, sizeof(*api));
	if (!api)
		goto nomem;
	api->loop = loop;
	api->fd = -1;
	api->path = strdup(path);
	if (!api->path)
		goto nomem;
	ret = mkdir_parents(path);
	if (ret) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path,
			 strerror(-ret));
		goto fail;
	}
	err[0] = '\0';
	ret = clear_stale(path, err, errlen);
	if (ret) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	api->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (api->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(api->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0660) || listen(api->fd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	ret = dfl_evloop__add(loop, api->fd, EPOLLIN, on_accept, api);
	if (!ret)
		ret = dfl_api__register(api, "help", "list the ops", op_help, api);
	if (ret) {
		snprintf(err, errlen, "control socket: %s", strerror(-ret));
		goto fail;
	}
	return api;
nomem:
	snprintf(err, errlen, "out of memory");
	ret = -ENOMEM;
fail:
	dfl_api__free(api);
	errno = -ret;
	return NULL;
}

void dfl_api__free(struct dfl_api *api)
{
	if (!api)
		return;
	while (api->conns)
		conn_close(api->conns);
	if (api->fd >= 0) {
		dfl_evloop__del(api->loop, api->fd);
		close(api->fd);
		unlink(api->path);
	}
	for (size_t i = 0; i < api->n_ops; i++)
		free(api->ops[i].name);
	free(api->ops);
	free(api->path);
	free(api);
}

int dfl_api__register(struct dfl_api *api, const char *op, const char *summary,
		      dfl_api_fn fn, void *ctx)
{
	struct op *o;

	if (find_op(api, op))
		return -EEXIST;
	o = DFL_PUSH(api->ops, api->n_ops, api->cap_ops);
	if (!o)
		return -ENOMEM;
	*o = (struct op){ .name = strdup(op), .summary = summary, .fn = fn,
			  .ctx = ctx };
	if (!o->name) {
		api->n_ops--;
		return -ENOMEM;
	}
	return 0;
}

int dfl_api_call__fail(struct dfl_api_call *call, int err, const char *fmt, ...)
{
	va_list ap;

	free(call->error);
	call->error = NULL;
	va_start(ap, fmt);
	if (vasprintf(&call->error, fmt, ap) < 0)
		call->error = NULL;
	va_end(ap);
	return err;
}

int dfl_api_conn__follow(struct dfl_api_conn *conn, const char *topic)
{
	char *t = strdup(topic);

	if (!t)
		return -ENOMEM;
	free(conn->topic);
	conn->topic = t;
	conn->follow_next = true;
	return 0;
}

size_t dfl_api__publish(struct dfl_api *api, const char *topic,
			const json_t *msg)
{
	struct dfl_api_conn *c, *next;
	char *line = NULL;
	size_t n = 0, len = 0;

	for (c = api->conns; c; c = next) {
		next = c->next;
		if (!c->topic || c->follow_next || strcmp(c->topic, topic))
			continue;
		if (!line) {
			line = json_dumps(msg, JSON_COMPACT);
			if (!line)
				return 0;
			len = strlen(line);
		}
		if (c->out.len - c->out_off + len > DFL_API_MAX_PENDING) {
			c->lost++;
			continue;
		}
		dfl_strbuf__append(&c->out, line, len);
		dfl_strbuf__putc(&c->out, '\n');
		n++;
		conn_flush(c);
	}
	free(line);
	return n;
}

size_t dfl_api__followers(const struct dfl_api *api, const char *topic)
{
	size_t n = 0;

	for (const struct dfl_api_conn *c = api->conns; c; c = c->next)
		n += c->topic && !c->follow_next && !strcmp(c->topic, topic);
	return n;
}
