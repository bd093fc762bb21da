/* deathstar: the HTTP API of the Star Wars demo's Death Star, answering as the
 * docker.io/cilium/starwars image does (github.com/cilium/starwars-docker,
 * restapi/configure_deathstar.go):
 *
 *   GET  /v1                   200, the station's description (text/plain JSON)
 *   POST /v1/request-landing   200 "Ship landed\n"
 *   PUT  /v1/exhaust-port      503, a Go panic backtrace; 2 s later the
 *                              server itself panics and exits with code 2
 *                              (--no-explode keeps it running)
 *   anything else              404 or 405 with go-openapi's JSON error body
 *
 * HTTP/1.1 with keep-alive and pipelining, parsed by llhttp; one thread, one
 * epoll loop; SIGTERM or SIGINT closes the listener, finishes the responses
 * being written and exits 0. The local-node agent runs it for pods whose
 * image is cilium/starwars (agent/process.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/evloop.h"
#include "util/strbuf.h"

#define MAX_URL 8192
#define MAX_PENDING (1u << 20) /* unsent response bytes before we stop reading */

static const char backtrace_text[] =
	"Panic: deathstar exploded\n"
	"\n"
	"goroutine 1 [running]:\n"
	"main.HandleGarbage(0x2080c3f50, 0x2, 0x4, 0x425c0, 0x5, 0xa)\n"
	"        /code/src/github.com/empire/deathstar/\n"
	"        temp/main.go:9 +0x64\n"
	"main.main()\n"
	"        /code/src/github.com/empire/deathstar/\n"
	"        temp/main.go:5 +0x85\n";

static const char info_format[] =
	"{\n"
	"\t\"name\": \"Death Star\",\n"
	"\t\"hostname\": \"%s\",\n"
	"\t\"model\": \"DS-1 Orbital Battle Station\",\n"
	"\t\"manufacturer\": \"Imperial Department of Military Research, Sienar Fleet Systems\",\n"
	"\t\"cost_in_credits\": \"1000000000000\",\n"
	"\t\"length\": \"120000\",\n"
	"\t\"crew\": \"342953\",\n"
	"\t\"passengers\": \"843342\",\n"
	"\t\"cargo_capacity\": \"1000000000000\",\n"
	"\t\"hyperdrive_rating\": \"4.0\",\n"
	"\t\"starship_class\": \"Deep Space Mobile Battlestation\",\n"
	"\t\"api\": [\n"
	"\t\t\"GET   /v1\",\n"
	"\t\t\"GET   /v1/healthz\",\n"
	"\t\t\"POST  /v1/request-landing\",\n"
	"\t\t\"PUT   /v1/cargobay\",\n"
	"\t\t\"GET   /v1/hyper-matter-reactor/status\",\n"
	"\t\t\"PUT   /v1/exhaust-port\"\n"
	"\t]\n"
	"}\n";

struct server {
	struct dfl_evloop *loop;
	int listen_fd;
	int signal_fd;
	int explode_fd; /* timerfd armed by PUT /v1/exhaust-port, or -1 */
	bool explode;
	bool stopping;
	unsigned int n_conns;
	struct conn *conns;
	char info[2048];
	llhttp_settings_t settings;
};

struct conn {
	struct server *srv;
	struct conn *next;
	int fd;
	llhttp_t parser;
	struct dfl_strbuf url;
	struct dfl_strbuf out;
	size_t out_off;
	bool close_after; /* close once <out> is written */
};

static void conn_close(struct conn *c)
{
	for (struct conn **pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	dfl_evloop__del(c->srv->loop, c->fd);
	close(c->fd);
	dfl_strbuf__release(&c->url);
	dfl_strbuf__release(&c->out);
	c->srv->n_conns--;
	if (c->srv->stopping && !c->srv->n_conns)
		dfl_evloop__stop(c->srv->loop);
	free(c);
}

static void respond(struct conn *c, int code, const char *reason,
		    const char *type, const char *extra, const char *body,
		    bool keep_alive)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	dfl_strbuf__printf(&c->out,
			   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%sDate: %s\r\n"
			   "Content-Length: %zu\r\n%s\r\n%s",
			   code, reason, type, extra ? extra : "", date,
			   strlen(body), keep_alive ? "" : "Connection: close\r\n",
			   body);
	if (!keep_alive)
		c->close_after = true;
}

static void on_explode(void *ctx, int fd, uint32_t events)
{
	/* What the Go runtime prints when the real deathstar panics. */
	fputs("panic: deathstar exploded\n\ngoroutine 7 [running]:\n"
	      "restapi.configureAPI.func2.1()\n"
	      "\t/go/src/github.com/cilium/starwars-docker/restapi/configure_deathstar.go:63 +0x39\n"
	      "created by restapi.configureAPI.func2\n",
	      stderr);
	exit(2);
}

static void arm_explosion(struct server *srv)
{
	struct itimerspec its = { .it_value = { 2, 0 } };

	if (!srv->explode || srv->explode_fd >= 0)
		return;
	srv->explode_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (srv->explode_fd >= 0 &&
	    (timerfd_settime(srv->explode_fd, 0, &its, NULL) ||
	     dfl_evloop__add(srv->loop, srv->explode_fd, EPOLLIN, on_explode, srv)))
		on_explode(srv, srv->explode_fd, 0);
}

/* go-openapi's router: a known path with another method is 405 with the
 * allowed methods, an unknown path 404. */
static void route(struct conn *c, const char *method, const char *path,
		  bool keep_alive)
{
	static const struct {
		const char *path, *method;
	} routes[] = {
		{ "/v1", "GET" },
		{ "/v1/", "GET" },
		{ "/v1/request-landing", "POST" },
		{ "/v1/exhaust-port", "PUT" },
	};
	char body[MAX_URL + 128], allow[64];

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(path, routes[i].path))
			continue;
		if (strcmp(method, routes[i].method)) {
			snprintf(body, sizeof(body),
				 "{\"code\":405,\"message\":\"method %s is not allowed, but [%s] are\"}",
				 method, routes[i].method);
			snprintf(allow, sizeof(allow), "Allow: %s\r\n", routes[i].method);
			respond(c, 405, "Method Not Allowed", "application/json",
				allow, body, keep_alive);
		} else if (routes[i].method[0] == 'G') {
			respond(c, 200, "OK", "text/plain", NULL, c->srv->info,
				keep_alive);
		} else if (routes[i].method[0] == 'P' && routes[i].method[1] == 'O') {
			respond(c, 200, "OK", "text/plain", NULL, "Ship landed\n",
				keep_alive);
		} else {
			respond(c, 503, "Service Unavailable", "text/plain", NULL,
				backtrace_text, keep_alive);
			arm_explosion(c->srv);
		}
		return;
	}
	snprintf(body, sizeof(body),
		 "{\"code\":404,\"message\":\"path %s was not found\"}", path);
	respond(c, 404, "Not Found", "application/json", NULL, body, keep_alive);
}

static int on_message_begin(llhttp_t *p)
{
	struct conn *c = p->data;

	dfl_strbuf__reset(&c->url);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (c->url.len + len > MAX_URL)
		return -1; /* llhttp reports HPE_USER: answered with 414 */
	dfl_strbuf__append(&c->url, at, len);
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	char path[MAX_URL + 1];
	const char *url = dfl_strbuf__str(&c->url);

	snprintf(path, sizeof(path), "%.*s", (int)strcspn(url, "?#"), url);
	route(c, llhttp_method_name((llhttp_method_t)p->method), path,
	      llhttp_should_keep_alive(p) && !c->srv->stopping);
	/* Stop after a response that closes; pipelined requests behind it
	 * are not answered, as Go's server does. */
	return c->close_after ? HPE_PAUSED : 0;
}

/* Writes what the socket takes. Returns false when the connection closed. */
static bool flush(struct conn *c)
{
	while (c->out_off < c->out.len) {
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
		if (c->close_after) {
			conn_close(c);
			return false;
		}
	}
	dfl_evloop__mod(c->srv->loop, c->fd,
		      (c->out.len ? EPOLLOUT : 0) |
			      (c->out.len > MAX_PENDING || c->close_after ? 0 : EPOLLIN));
	return true;
}

static void on_conn(void *ctx, int fd, uint32_t events)
{
	struct conn *c = ctx;
	char buf[16384];
	ssize_t n;
	llhttp_errno_t err;

	if (events & EPOLLOUT && !flush(c))
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->close_after)
		return;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n == 0 && c->out.len) {
			c->close_after = true; /* finish writing, then close */
			flush(c);
		} else {
			conn_close(c);
		}
		return;
	}
	err = llhttp_execute(&c->parser, buf, (size_t)n);
	if (err == HPE_USER)
		respond(c, 414, "Request URI Too Long", "text/plain", NULL,
			"414 Request URI Too Long\n", false);
	else if (err != HPE_OK && err != HPE_PAUSED)
		respond(c, 400, "Bad Request", "text/plain; charset=utf-8", NULL,
			"400 Bad Request", false);
	flush(c);
}

static void on_accept(void *ctx, int fd, uint32_t events)
{
	struct server *srv = ctx;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (cfd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c || dfl_evloop__add(srv->loop, cfd, EPOLLIN, on_conn, c)) {
			free(c);
			close(cfd);
			continue;
		}
		c->srv = srv;
		c->fd = cfd;
		c->next = srv->conns;
		srv->conns = c;
		llhttp_init(&c->parser, HTTP_REQUEST, &srv->settings);
		c->parser.data = c;
		srv->n_conns++;
	}
}

static void on_signal(void *ctx, int fd, uint32_t events)
{
	struct server *srv = ctx;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si) || srv->stopping)
		return;
	srv->stopping = true;
	dfl_evloop__del(srv->loop, srv->listen_fd);
	close(srv->listen_fd);
	srv->listen_fd = -1;
	/* Idle keep-alive connections close now; busy ones once written. */
	for (struct conn *c = srv->conns, *next; c; c = next) {
		next = c->next;
		c->close_after = true;
		flush(c);
	}
	if (!srv->n_conns)
		dfl_evloop__stop(srv->loop);
}

static int listen_on(const char *addr, unsigned int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, one = 1;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "deathstar: --bind %s is not an IPv4 address\n", addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		fprintf(stderr, "deathstar: cannot listen on %s:%u: %s\n", addr, port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static const char usage[] =
	"Usage: deathstar [--port PORT] [--bind ADDR] [--no-explode]\n"
	"\n"
	"Serves the Death Star API of the Star Wars demo (cilium/starwars) on\n"
	"ADDR:PORT (default 0.0.0.0:80). PUT /v1/exhaust-port makes it exit with\n"
	"code 2 two seconds later, as the original does, unless --no-explode.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "no-explode", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct server srv = { .listen_fd = -1, .explode_fd = -1, .explode = true };
	const char *addr = "0.0.0.0";
	unsigned long port = 80;
	char host[256] = "", *end;
	sigset_t set;
	int c;

	while ((c = getopt_long(argc, argv, "p:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = strtoul(optarg, &end, 10);
			if (*end || !*optarg || port < 1 || port > 65535) {
				fprintf(stderr, "deathstar: --port %s is not 1-65535\n", optarg);
				return 2;
			}
			break;
		case 'b':
			addr = optarg;
			break;
		case 'n':
			srv.explode = false;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(srv.info, sizeof(srv.info), info_format, host);
	llhttp_settings_init(&srv.settings);
	srv.settings.on_message_begin = on_message_begin;
	srv.settings.on_url = on_url;
	srv.settings.on_message_complete = on_message_complete;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	srv.signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	srv.loop = dfl_evloop__new();
	srv.listen_fd = listen_on(addr, (unsigned int)port);
	if (srv.listen_fd < 0 || srv.signal_fd < 0 || !srv.loop ||
	    dfl_evloop__add(srv.loop, srv.listen_fd, EPOLLIN, on_accept, &srv) ||
	    dfl_evloop__add(srv.loop, srv.signal_fd, EPOLLIN, on_signal, &srv))
		return 1;
	fprintf(stderr, "deathstar: serving on %s:%lu\n", addr, port);
	dfl_evloop__run(srv.loop);
	dfl_evloop__free(srv.loop);
	close(srv.signal_fd);
	return 0;
}
