/* A tiny HTTP/1.1 server for GET /metrics (flow/metrics.h). One thread,
 * one connection at a time, "Connection: close": Prometheus scrapes every
 * few seconds, nothing more is needed. Requests are bounded in size and
 * time so that a slow or hostile client cannot hold the thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow/metrics.h"
#include "util/log.h"

#define REQUEST_MAX 8192
#define REQUEST_TIMEOUT_MS 2000

struct dfl_metrics_server {
	struct dfl_metrics *m;
	int listen_fd;
	int stop_fd; /* eventfd: written by stop() */
	int port;
	pthread_t thread;
};

/* "host:port", ":port", "[v6]:port" into a bound listening socket. */
static int listen_on(const char *addr, int *port, char *err, size_t errlen)
{
	char host[256] = "", serv[16];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE },
			*res = NULL;
	int fd = -1, one = 1, rc, saved = EADDRNOTAVAIL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(serv)) {
		snprintf(err, errlen, "metrics: address '%s': expected host:port",
			 addr);
		return -EINVAL;
	}
	snprintf(serv, sizeof(serv), "%s", colon + 1);
	if (colon > addr) {
		const char *h = addr;
		size_t n = (size_t)(colon - addr);

		if (*h == '[' && n >= 2 && h[n - 1] == ']')
			h++, n -= 2;
		if (n >= sizeof(host)) {
			snprintf(err, errlen, "metrics: address '%s': host too long",
				 addr);
			return -EINVAL;
		}
		memcpy(host, h, n);
		host[n] = '\0';
	}
	rc = getaddrinfo(*host ? host : NULL, serv, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "metrics: address '%s': %s", addr,
			 gai_strerror(rc));
		return -EINVAL;
	}
	/* without a host, the IPv6 wildcard first: it takes IPv4 too */
	for (int pass = *host ? 1 : 0; pass < 2 && fd < 0; pass++) {
		for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
			if (!pass && ai->ai_family != AF_INET6)
				continue;
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				saved = errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 16))
				break;
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "metrics: cannot listen on '%s': %s", addr,
			 strerror(saved));
		return -saved;
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port = ntohs(ss.ss_family == AF_INET6 ?
			      ((struct sockaddr_in6 *)&ss)->sin6_port :
			      ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void respond(int fd, const char *status, const char *type,
		    const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, type, len);
	struct iovec iov[2] = { { head, (size_t)n }, { (void *)body, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	while (iov[0].iov_len + iov[1].iov_len) {
		ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		for (int i = 0; i < 2 && w; i++) {
			size_t k = (size_t)w < iov[i].iov_len ? (size_t)w :
								 iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			w -= (ssize_t)k;
		}
		if (!iov[0].iov_len) {
			msg.msg_iov = &iov[1];
			msg.msg_iovlen = 1;
		}
	}
}

static void serve(struct dfl_metrics_server *s, int fd)
{
	char req[REQUEST_MAX + 1];
	size_t got = 0;
	char method[16], path[256];

	/* read the request head, within a size and a time limit */
	while (got < REQUEST_MAX) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, REQUEST_TIMEOUT_MS) <= 0)
			return;
		n = recv(fd, req + got, REQUEST_MAX - got, 0);
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = '\0';
	if (sscanf(req, "%15s %255s HTTP/1.", method, path) != 2) {
		respond(fd, "400 Bad Request", "text/plain", "bad request\n", 12);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		respond(fd, "405 Method Not Allowed", "text/plain",
			"method not allowed\n", 19);
		return;
	}
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9)) {
		respond(fd, "404 Not Found", "text/plain", "not found\n", 10);
		return;
	}
	{
		struct dfl_strbuf body = { 0 };

		if (dfl_metrics__render(s->m, &body))
			respond(fd, "500 Internal Server Error", "text/plain",
				"out of memory\n", 14);
		else
			respond(fd, "200 OK",
				"text/plain; version=0.0.4; charset=utf-8",
				dfl_strbuf__str(&body),
				strcmp(method, "HEAD") ? body.len : 0);
		dfl_strbuf__release(&body);
	}
}

static void *server_main(void *arg)
{
	struct dfl_metrics_server *s = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN },
				       { .fd = s->stop_fd, .events = POLLIN } };
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(s, fd);
		close(fd);
	}
	return NULL;
}

struct dfl_metrics_server *dfl_metrics_server__start(struct dfl_metrics *m,
						     const char *addr,
						     char *err, size_t errlen)
{
	struct dfl_metrics_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return NULL;
	s->m = m;
	s->stop_fd = -1;
	s->listen_fd = listen_on(addr ? addr : ":9965", &s->port, err, errlen);
	if (s->listen_fd < 0) {
		ret = s->listen_fd;
		goto fail;
	}
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = -pthread_create(&s->thread, NULL, server_main, s);
	if (ret)
		goto fail;
	return s;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	free(s);
	errno = -ret;
	return NULL;
}

int dfl_metrics_server__port(const struct dfl_metrics_server *s)
{
	return s->port;
}

void dfl_metrics_server__stop(struct dfl_metrics_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(s->thread, NULL);
	close(s->listen_fd);
	close(s->stop_fd);
	free(s);
}
