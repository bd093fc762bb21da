/* dfl-http-echo: a small, fast HTTP/1.1 origin server for the proxy tests
 * and benchmarks. Every request gets 200 with the body
 * "ok METHOD TARGET BODY-BYTES PEER-IP\n"; Expect: 100-continue is
 * honoured; keep-alive follows the request.
 *
 *   dfl-http-echo ADDR [--workers N]
 *
 * Prints "ready port=PORT" once listening; runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <llhttp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proxy/buf.h"
#include "proxy/sock.h"

struct conn {
	int fd;
	llhttp_t parser;
	struct dfl_buf out;
	char url[512];
	size_t url_len, body;
	bool expect, close_after;
	char peer[INET6_ADDRSTRLEN];
};

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	size_t room = sizeof(c->url) - 1 - c->url_len;

	n = n < room ? n : room;
	memcpy(c->url + c->url_len, at, n);
	c->url_len += n;
	c->url[c->url_len] = '\0';
	return 0;
}

static int on_value(llhttp_t *p, const char *at, size_t n)
{
	if (n == 12 && !strncasecmp(at, "100-continue", 12))
		((struct conn *)p->data)->expect = true;
	return 0;
}

static int on_headers(llhttp_t *p)
{
	struct conn *c = p->data;
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (c->expect)
		dfl_buf__append(&c->out, cont, sizeof(cont) - 1);
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	(void)at;
	((struct conn *)p->data)->body += n;
	return 0;
}

static int on_done(llhttp_t *p)
{
	struct conn *c = p->data;
	char body[700], head[128];
	int bn, hn;

	bn = snprintf(body, sizeof(body), "ok %s %s %zu %s\n",
		      llhttp_method_name(llhttp_get_method(p)), c->url, c->body,
		      c->peer);
	hn = snprintf(
	    head, sizeof(head),
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: %d\r\n%s\r\n",
	    bn, llhttp_should_keep_alive(p) ? "" : "Connection: close\r\n");
	dfl_buf__append(&c->out, head, (size_t)hn);
	dfl_buf__append(&c->out, body, (size_t)bn);
	c->close_after = !llhttp_should_keep_alive(p);
	c->url_len = c->body = 0;
	c->url[0] = '\0';
	c->expect = false;
	return 0;
}

static llhttp_settings_t settings;

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	dfl_buf__release(&c->out);
	free(c);
}

static void serve(int lfd)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct epoll_event evs[128];
	char buf[65536];

	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 128, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;

			if (!c) {
				struct dfl_sockaddr peer;
				socklen_t len = sizeof(peer);
				int fd =
				    accept4(lfd, &peer.sa, &len, SOCK_NONBLOCK);

				if (fd < 0)
					continue;
				c = calloc(1, sizeof(*c));
				c->fd = fd;
				llhttp_init(&c->parser, HTTP_REQUEST,
					    &settings);
				c->parser.data = c;
				if (peer.sa.sa_family == AF_INET6)
					inet_ntop(AF_INET6, &peer.in6.sin6_addr,
						  c->peer, sizeof(c->peer));
				else
					inet_ntop(AF_INET, &peer.in4.sin_addr,
						  c->peer, sizeof(c->peer));
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			r = read(c->fd, buf, sizeof(buf));
			if (r <= 0 ||
			    llhttp_execute(&c->parser, buf, (size_t)r)) {
				drop(ep, c);
				continue;
			}
			/* Small responses: a blocking-style write loop is fine.
			 */
			while (dfl_buf__len(&c->out)) {
				ssize_t w = write(c->fd, dfl_buf__data(&c->out),
						  dfl_buf__len(&c->out));

				if (w < 0 && errno == EAGAIN)
					continue;
				if (w <= 0)
					break;
				dfl_buf__consume(&c->out, (size_t)w);
			}
			if (c->close_after)
				drop(ep, c);
		}
	}
}

int main(int argc, char **argv)
{
	struct dfl_sockaddr addr;
	int workers = 1, fd, one = 1;

	if (argc < 2 || dfl_sockaddr__parse(argv[1], &addr)) {
		fprintf(stderr, "usage: dfl-http-echo ADDR [--workers N]\n");
		return 2;
	}
	if (argc == 4 && !strcmp(argv[2], "--workers"))
		workers = atoi(argv[3]);
	llhttp_settings_init(&settings);
	settings.on_url = on_url;
	settings.on_header_value = on_value;
	settings.on_headers_complete = on_headers;
	settings.on_body = on_body;
	settings.on_message_complete = on_done;
	signal(SIGPIPE, SIG_IGN);
	fd = socket(addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, &addr.sa, dfl_sockaddr__len(&addr)) ||
	    listen(fd, 4096)) {
		perror("dfl-http-echo");
		return 1;
	}
	{
		socklen_t len = sizeof(addr);

		getsockname(fd, &addr.sa, &len);
	}
	printf("ready port=%u\n", dfl_sockaddr__port(&addr));
	fflush(stdout);
	for (int i = 1; i < workers; i++)
		if (fork() == 0)
			break;
	serve(fd);
	return 0;
}
