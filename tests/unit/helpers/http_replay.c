#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/helpers/http_replay.h"
#include "util/strbuf.h"

struct dfl_replay {
	const struct dfl_replay_step *steps;
	size_t n_steps;
	int lfd;
	int stop_pipe[2];
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	size_t served;
	size_t mismatches;
	char **requests;
	int held[64];
	size_t n_held;
};

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static bool matches(const char *req, const char *expect)
{
	char *copy = strdup(expect), *save = NULL;
	bool ok = copy != NULL;

	for (char *part = strtok_r(copy, "|", &save); ok && part;
	     part = strtok_r(NULL, "|", &save))
		ok = strstr(req, part) != NULL;
	free(copy);
	return ok;
}

static void respond(struct dfl_replay *r, int fd, const struct dfl_replay_step *st)
{
	struct dfl_strbuf out = { 0 };
	const char *body = st->body ? st->body : "";

	dfl_strbuf__printf(&out, "HTTP/1.1 %d Replay\r\nContent-Type: application/json\r\n"
				 "Connection: close\r\n", st->status);
	if (!st->chunked) {
		dfl_strbuf__printf(&out, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
		send_all(fd, out.buf, out.len);
	} else {
		dfl_strbuf__puts(&out, "Transfer-Encoding: chunked\r\n\r\n");
		send_all(fd, out.buf, out.len);
		for (const char *p = body; *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

			dfl_strbuf__reset(&out);
			dfl_strbuf__printf(&out, "%zx\r\n", len);
			dfl_strbuf__append(&out, p, len);
			dfl_strbuf__puts(&out, "\r\n");
			send_all(fd, out.buf, out.len);
			p += len;
		}
		if (st->end != DFL_REPLAY_DROP && st->end != DFL_REPLAY_HOLD)
			send_all(fd, "0\r\n\r\n", 5);
	}
	dfl_strbuf__release(&out);
	if (st->end == DFL_REPLAY_HOLD && r->n_held < 64) {
		r->held[r->n_held++] = fd;
		return;
	}
	close(fd);
}

static void serve(struct dfl_replay *r, int fd)
{
	static const struct dfl_replay_step hold = { "", 200, "", true, DFL_REPLAY_HOLD };
	struct dfl_strbuf req = { 0 };
	const struct dfl_replay_step *st;
	char buf[4096];

	while (!strstr(dfl_strbuf__str(&req), "\r\n\r\n")) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		dfl_strbuf__append(&req, buf, (size_t)n);
	}
	/* Requests with a body (PATCH) are kept whole for the test to read. */
	{
		const char *hdr_end = strstr(dfl_strbuf__str(&req), "\r\n\r\n");
		const char *cl = strcasestr(dfl_strbuf__str(&req), "\r\nContent-Length:");
		size_t want = cl && hdr_end && cl < hdr_end ? strtoul(cl + 17, NULL, 10) : 0;

		while (hdr_end && req.len - (size_t)(hdr_end + 4 - req.buf) < want) {
			struct pollfd p = { fd, POLLIN, 0 };
			ssize_t n;
			size_t off = (size_t)(hdr_end - req.buf);

			if (poll(&p, 1, 2000) <= 0)
				break;
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			dfl_strbuf__append(&req, buf, (size_t)n);
			hdr_end = req.buf + off;
		}
	}
	pthread_mutex_lock(&r->lock);
	if (r->served < r->n_steps) {
		st = &r->steps[r->served];
		r->requests[r->served] = dfl_strbuf__detach(&req);
		if (!matches(r->requests[r->served], st->expect)) {
			fprintf(stderr, "replay: step %zu expected \"%s\", got:\n%s\n",
				r->served, st->expect, r->requests[r->served]);
			r->mismatches++;
		}
		r->served++;
	} else {
		st = &hold; /* past the script: a quiet watch */
	}
	pthread_mutex_unlock(&r->lock);
	dfl_strbuf__release(&req);
	respond(r, fd, st);
}

static void *replay_main(void *arg)
{
	struct dfl_replay *r = arg;

	for (;;) {
		struct pollfd p[2] = { { r->lfd, POLLIN, 0 }, { r->stop_pipe[0], POLLIN, 0 } };
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept(r->lfd, NULL, NULL);
		if (fd >= 0)
			serve(r, fd);
	}
	return NULL;
}

struct dfl_replay *dfl_replay__start(const struct dfl_replay_step *steps, size_t n)
{
	struct dfl_replay *r = calloc(1, sizeof(*r));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	if (!r)
		return NULL;
	r->steps = steps;
	r->n_steps = n;
	r->requests = calloc(n + 1, sizeof(*r->requests));
	pthread_mutex_init(&r->lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(r->lfd, 16) || getsockname(r->lfd, (struct sockaddr *)&sa, &len) ||
	    pipe(r->stop_pipe) || !r->requests)
		abort(); /* a test fixture that cannot start is a broken test */
	r->port = ntohs(sa.sin_port);
	pthread_create(&r->thread, NULL, replay_main, r);
	return r;
}

int dfl_replay__port(const struct dfl_replay *r)
{
	return r->port;
}

size_t dfl_replay__served(struct dfl_replay *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->served;
	pthread_mutex_unlock(&r->lock);
	return n;
}

const char *dfl_replay__request(struct dfl_replay *r, size_t i)
{
	const char *s;

	pthread_mutex_lock(&r->lock);
	s = i < r->served ? r->requests[i] : NULL;
	pthread_mutex_unlock(&r->lock);
	return s;
}

size_t dfl_replay__mismatches(struct dfl_replay *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->mismatches;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void dfl_replay__stop(struct dfl_replay *r)
{
	if (!r)
		return;
	if (write(r->stop_pipe[1], "x", 1) != 1)
		abort();
	pthread_join(r->thread, NULL);
	for (size_t i = 0; i < r->n_held; i++)
		close(r->held[i]);
	for (size_t i = 0; i < r->n_steps; i++)
		free(r->requests[i]);
	free(r->requests);
	close(r->lfd);
	close(r->stop_pipe[0]);
	close(r->stop_pipe[1]);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
