/* proxy/ end to end on loopback: a real upstream HTTP server (a thread), the
 * proxy (its own thread, test resolver instead of BPF) and raw socket
 * clients that send exactly the bytes each case needs. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <llhttp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy/l7_match.h"
#include "proxy/proxy.h"
#include "proxy/sock.h"
#include "util/intern.h"

/* ---- upstream server: thread per connection, llhttp framing ----------- */

struct upstream {
	int lfd;
	struct dfl_sockaddr addr;
	pthread_t thread;
	pthread_mutex_t mu;
	int n_requests;
	char last_peer[64];
	char last_head[4096];
	size_t last_body;
};

struct srv_conn {
	struct upstream *u;
	int fd;
	llhttp_t parser;
	char method[16], url[256], head[4096];
	size_t head_len, body;
	bool expect;
	char peer[64];
};

static int srv_url(llhttp_t *p, const char *at, size_t n)
{
	struct srv_conn *c = p->data;

	strncat(c->url, at,
		n < sizeof(c->url) - strlen(c->url) - 1
		    ? n
		    : sizeof(c->url) - strlen(c->url) - 1);
	return 0;
}

static int srv_field(llhttp_t *p, const char *at, size_t n)
{
	struct srv_conn *c = p->data;

	if (c->head_len + n + 4 < sizeof(c->head)) {
		memcpy(c->head + c->head_len, "\n", 1);
		memcpy(c->head + c->head_len + 1, at, n);
		c->head_len += n + 1;
		c->head[c->head_len] = '\0';
	}
	return 0;
}

static int srv_value(llhttp_t *p, const char *at, size_t n)
{
	struct srv_conn *c = p->data;

	if (n == 12 && !strncasecmp(at, "100-continue", 12))
		c->expect = true;
	if (c->head_len + n + 4 < sizeof(c->head)) {
		memcpy(c->head + c->head_len, "=", 1);
		memcpy(c->head + c->head_len + 1, at, n);
		c->head_len += n + 1;
		c->head[c->head_len] = '\0';
	}
	return 0;
}

static int srv_headers_done(llhttp_t *p)
{
	struct srv_conn *c = p->data;
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	snprintf(c->method, sizeof(c->method), "%s",
		 llhttp_method_name(llhttp_get_method(p)));
	if (c->expect && write(c->fd, cont, sizeof(cont) - 1) < 0)
		return -1;
	return 0;
}

static int srv_body(llhttp_t *p, const char *at, size_t n)
{
	(void)at;
	((struct srv_conn *)p->data)->body += n;
	return 0;
}

static int srv_done(llhttp_t *p)
{
	struct srv_conn *c = p->data;
	struct upstream *u = c->u;
	char body[512], resp[1024];
	int n;

	n = snprintf(body, sizeof(body), "ok %s %s %zu\n", c->method, c->url,
		     c->body);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", n,
		     body);
	pthread_mutex_lock(&u->mu);
	u->n_requests++;
	snprintf(u->last_peer, sizeof(u->last_peer), "%s", c->peer);
	snprintf(u->last_head, sizeof(u->last_head), "%s", c->head);
	u->last_body = c->body;
	pthread_mutex_unlock(&u->mu);
	c->url[0] = c->head[0] = '\0';
	c->head_len = c->body = 0;
	c->expect = false;
	return write(c->fd, resp, (size_t)n) == n ? 0 : -1;
}

static const llhttp_settings_t *srv_settings(void)
{
	static llhttp_settings_t s;

	llhttp_settings_init(&s);
	s.on_url = srv_url;
	s.on_header_field = srv_field;
	s.on_header_value = srv_value;
	s.on_headers_complete = srv_headers_done;
	s.on_body = srv_body;
	s.on_message_complete = srv_done;
	return &s;
}

static void *srv_conn_main(void *arg)
{
	struct srv_conn *c = arg;
	char buf[65536];
	ssize_t n;

	llhttp_init(&c->parser, HTTP_REQUEST, srv_settings());
	c->parser.data = c;
	while ((n = read(c->fd, buf, sizeof(buf))) > 0)
		if (llhttp_execute(&c->parser, buf, (size_t)n) != HPE_OK)
			break;
	close(c->fd);
	free(c);
	return NULL;
}

static void *srv_main(void *arg)
{
	struct upstream *u = arg;

	for (;;) {
		struct dfl_sockaddr peer;
		socklen_t len = sizeof(peer);
		int fd = accept(u->lfd, &peer.sa, &len);
		struct srv_conn *c;
		pthread_t t;

		if (fd < 0)
			return NULL;
		c = calloc(1, sizeof(*c));
		c->u = u;
		c->fd = fd;
		inet_ntop(AF_INET, &peer.in4.sin_addr, c->peer,
			  sizeof(c->peer));
		pthread_create(&t, NULL, srv_conn_main, c);
		pthread_detach(t);
	}
}

static int fcntl_clear_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

static void upstream_start(struct upstream *u)
{
	int fd;

	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->mu, NULL);
	dfl_sockaddr__parse("127.0.0.1:0", &u->addr);
	fd = dfl_sock__listen(SOCK_STREAM, &u->addr, false);
	ck_assert_int_ge(fd, 0);
	/* the accept loop blocks */
	u->lfd = fd;
	ck_assert_int_eq(fcntl_clear_nonblock(fd), 0);
	pthread_create(&u->thread, NULL, srv_main, u);
}

static void upstream_stop(struct upstream *u)
{
	shutdown(u->lfd, SHUT_RDWR);
	close(u->lfd);
	pthread_join(u->thread, NULL);
}

static int upstream_requests(struct upstream *u)
{
	int n;

	pthread_mutex_lock(&u->mu);
	n = u->n_requests;
	pthread_mutex_unlock(&u->mu);
	return n;
}

/* ---- the proxy under test ------------------------------------------------ */

struct fixture {
	struct dfl_proxy *p;
	pthread_t thread;
	struct dfl_sockaddr addr; /* the proxy's listener */
	struct upstream up;
	struct dfl_sockaddr upstream; /* where the resolver sends traffic */
	struct dfl_http_matcher *m;
	bool unknown; /* the resolver knows no rules */
	/* checked by teardown once the proxy thread stopped, when set */
	bool check_stats;
	uint64_t want_requests, want_denied;
	pthread_mutex_t mu;
	struct dfl_l7_event evs[64];
	char reasons[64][64];
	char urls[64][128];
	int n_evs;
};

static struct fixture fx;

static int resolve(void *ctx, const struct dfl_proxy_conn_info *ci,
		   struct dfl_proxy_policy *out)
{
	struct fixture *f = ctx;

	ck_assert_int_eq(ci->l7, DFL_L7_PROTO_HTTP);
	out->known = !f->unknown;
	out->http = f->m;
	out->src_identity = 50046;
	out->dst_identity = 14731;
	out->endpoint_id = 1234;
	out->direction = DFL_DIR_INGRESS;
	out->cookie = 7;
	out->upstream = f->upstream;
	return 0;
}

static void on_event(void *ctx, const struct dfl_l7_event *ev)
{
	struct fixture *f = ctx;

	pthread_mutex_lock(&f->mu);
	if (f->n_evs < 64) {
		f->evs[f->n_evs] = *ev;
		snprintf(f->reasons[f->n_evs], 64, "%s",
			 ev->reason ? ev->reason : "");
		snprintf(f->urls[f->n_evs], 128, "%s", ev->http.url);
		f->n_evs++;
	}
	pthread_mutex_unlock(&f->mu);
}

static void *proxy_main(void *arg)
{
	dfl_proxy__run(arg);
	return NULL;
}

/* The proxy driven from someone else's loop: poll its fd, run once. */
static atomic_bool embedded_stop;

static void *proxy_embedded(void *arg)
{
	struct pollfd pfd = {dfl_proxy__fd(arg), POLLIN, 0};

	while (!atomic_load(&embedded_stop))
		if (poll(&pfd, 1, 50) == 1)
			dfl_proxy__run_once(arg, 0);
	return NULL;
}

static const struct dfl_http_rule starwars[] = {
    {.method = "POST", .path = "/v1/request-landing"},
    {.method = "GET", .path = "/v1/.*"},
};

static bool embedded;

static void setup(void)
{
	struct dfl_proxy_opts o = {
	    .resolve = resolve,
	    .resolve_ctx = &fx,
	    .on_event = on_event,
	    .event_ctx = &fx,
	    .max_header_bytes = 8192,
	    .connect_timeout_ms = 1000,
	    .head_timeout_ms = embedded ? 200 : 0,
	};
	bool root = geteuid() == 0;

	memset(&fx, 0, sizeof(fx));
	pthread_mutex_init(&fx.mu, NULL);
	o.no_transparent = o.no_mark = o.no_spoof_source = !root;
	upstream_start(&fx.up);
	fx.upstream = fx.up.addr;
	fx.m = dfl_http_matcher__new(starwars, 2, NULL);
	fx.p = dfl_proxy__new(&o);
	ck_assert_ptr_nonnull(fx.p);
	dfl_sockaddr__parse("127.0.0.1:0", &fx.addr);
	ck_assert_int_eq(dfl_proxy__listen(fx.p, DFL_L7_PROTO_HTTP, &fx.addr),
			 0);
	atomic_store(&embedded_stop, false);
	pthread_create(&fx.thread, NULL, embedded ? proxy_embedded : proxy_main,
		       fx.p);
}

static void setup_embedded(void)
{
	embedded = true;
	setup();
}

static void teardown(void)
{
	dfl_proxy__stop(fx.p);
	atomic_store(&embedded_stop, true);
	pthread_join(fx.thread, NULL);
	if (fx.check_stats) {
		struct dfl_proxy_stats st;

		dfl_proxy__get_stats(fx.p, &st);
		ck_assert_uint_eq(st.http_requests, fx.want_requests);
		ck_assert_uint_eq(st.http_denied, fx.want_denied);
		ck_assert_uint_ge(st.conns_accepted, 1);
	}
	dfl_proxy__free(fx.p);
	dfl_http_matcher__free(fx.m);
	upstream_stop(&fx.up);
}

/* ---- clients ------------------------------------------------------------- */

static int cli(const char *bind_ip)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct dfl_sockaddr b;

	ck_assert_int_ge(fd, 0);
	if (bind_ip) {
		dfl_sockaddr__parse(bind_ip, &b);
		ck_assert_int_eq(bind(fd, &b.sa, dfl_sockaddr__len(&b)), 0);
	}
	ck_assert_int_eq(connect(fd, &fx.addr.sa, dfl_sockaddr__len(&fx.addr)),
			 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		ck_assert_int_gt(w, 0);
		s += w;
		n -= (size_t)w;
	}
}

static int count_msg(llhttp_t *p)
{
	(*(int *)p->data)++;
	return 0;
}

/* Sends <req> and reads until <n> complete final responses arrived or the
 * peer closed (3 s at most). Returns what was read (static storage). */
static const char *xfer(int fd, const char *req, int n)
{
	static char out[1 << 16];
	llhttp_settings_t s;
	llhttp_t p;
	size_t len = 0;
	int done = 0;

	llhttp_settings_init(&s);
	s.on_message_complete = count_msg;
	llhttp_init(&p, HTTP_RESPONSE, &s);
	p.data = &done;
	if (req)
		send_all(fd, req, strlen(req));
	while (done < n) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t r;

		if (poll(&pfd, 1, 3000) <= 0)
			break;
		r = read(fd, out + len, sizeof(out) - 1 - len);
		if (r <= 0)
			break;
		llhttp_execute(&p, out + len, (size_t)r);
		len += (size_t)r;
	}
	out[len] = '\0';
	return out;
}

/* True when the proxy closed the connection (EOF within 3 s). */
static bool peer_closed(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char c;

	return poll(&pfd, 1, 3000) == 1 && read(fd, &c, 1) <= 0;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

#define LANDING                                                                \
	"POST /v1/request-landing HTTP/1.1\r\nHost: deathstar\r\n"             \
	"Content-Length: 0\r\n\r\n"
#define EXHAUST                                                                \
	"PUT /v1/exhaust-port HTTP/1.1\r\nHost: deathstar\r\n"                 \
	"Content-Length: 0\r\n\r\n"
#define RESP_403                                                               \
	"HTTP/1.1 403 Forbidden\r\ncontent-length: 15\r\n"                     \
	"content-type: text/plain\r\n\r\nAccess denied\r\n"

/* ---- cases --------------------------------------------------------------- */

START_TEST(starwars_landing_allowed_exhaust_port_denied)
{
	int fd = cli(NULL);
	const char *r;

	r = xfer(fd, LANDING, 1);
	ck_assert_msg(strstr(r, "200 OK") &&
			  strstr(r, "ok POST /v1/request-landing"),
		      "got %s", r);
	r = xfer(fd, EXHAUST, 1);
	ck_assert_str_eq(r, RESP_403);
	close(fd);
	ck_assert_int_eq(upstream_requests(&fx.up), 1);
	fx.check_stats = true;
	fx.want_requests = 2;
	fx.want_denied = 1;

	pthread_mutex_lock(&fx.mu);
	ck_assert_int_eq(fx.n_evs, 4);
	ck_assert_int_eq(fx.evs[0].verdict, DFL_L7_FORWARDED);
	ck_assert_int_eq(fx.evs[0].rule, 0);
	ck_assert_uint_eq(fx.evs[0].src_identity, 50046);
	ck_assert_uint_eq(fx.evs[0].endpoint_id, 1234);
	ck_assert_int_eq(fx.evs[0].direction, DFL_DIR_INGRESS);
	ck_assert_uint_eq(fx.evs[0].cookie, 7);
	ck_assert_uint_eq(fx.evs[0].ip_proto, IPPROTO_TCP);
	ck_assert_uint_eq(dfl_sockaddr__port(&fx.evs[0].server),
			  dfl_sockaddr__port(&fx.addr));
	ck_assert_int_eq(fx.evs[1].type, DFL_L7_RESPONSE);
	ck_assert_uint_eq(fx.evs[1].http.code, 200);
	ck_assert_int_eq(fx.evs[2].type, DFL_L7_REQUEST);
	ck_assert_int_eq(fx.evs[2].verdict, DFL_L7_DROPPED);
	ck_assert_str_eq(fx.urls[2], "http://deathstar/v1/exhaust-port");
	ck_assert_str_eq(fx.reasons[2], "no L7 rule matched");
	ck_assert_int_eq(fx.evs[3].verdict, DFL_L7_FORWARDED);
	ck_assert_uint_eq(fx.evs[3].http.code, 403);
	pthread_mutex_unlock(&fx.mu);
}
END_TEST

START_TEST(keepalive_mixed_and_pipelined)
{
	int fd = cli(NULL);
	const char *r;

	r = xfer(fd,
		 LANDING EXHAUST
		 "GET /v1/x?y=1 HTTP/1.1\r\nHost: d\r\n\r\n" EXHAUST LANDING,
		 5);
	ck_assert_int_eq(count(r, "HTTP/1.1 200 OK"), 3);
	ck_assert_int_eq(count(r, "HTTP/1.1 403 Forbidden"), 2);
	/* in request order */
	ck_assert(strstr(r, "request-landing 0") < strstr(r, "403"));
	ck_assert(strstr(r, "403") < strstr(r, "/v1/x?y=1"));
	ck_assert_int_eq(upstream_requests(&fx.up), 3);
	close(fd);
}
END_TEST

START_TEST(chunked_and_large_bodies_stream)
{
	static char big[3 * 1024 * 1024 + 200];
	int fd = cli(NULL);
	const char *r;
	int n;

	r = xfer(fd,
		 "POST /v1/request-landing HTTP/1.1\r\nHost: d\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
		 "6\r\n world\r\n0\r\n\r\n",
		 1);
	ck_assert_msg(strstr(r, "ok POST /v1/request-landing 11"), "got %s", r);

	n = snprintf(big, sizeof(big),
		     "POST /v1/request-landing HTTP/1.1\r\n"
		     "Host: d\r\nContent-Length: %d\r\n\r\n",
		     3 * 1024 * 1024);
	memset(big + n, 'x', 3 * 1024 * 1024);
	send_all(fd, big, (size_t)n + 3 * 1024 * 1024);
	r = xfer(fd, NULL, 1);
	ck_assert_msg(strstr(r, "ok POST /v1/request-landing 3145728"),
		      "got %s", r);
	close(fd);
}
END_TEST

START_TEST(expect_100_continue)
{
	int fd = cli(NULL);
	const char *r;
	const char *head = "POST /v1/request-landing HTTP/1.1\r\nHost: d\r\n"
			   "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n";

	send_all(fd, head, strlen(head));
	r = xfer(fd, NULL, 1);
	ck_assert_msg(strstr(r, "HTTP/1.1 100 Continue"), "got %s", r);
	r = xfer(fd, "body", 1);
	ck_assert_msg(strstr(r, "ok POST /v1/request-landing 4"), "got %s", r);
	/* denied: 403 at once, and the proxy closes (the body never came) */
	r = xfer(fd,
		 "PUT /v1/exhaust-port HTTP/1.1\r\nHost: d\r\n"
		 "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n",
		 1);
	ck_assert_msg(strstr(r, "403 Forbidden") &&
			  strstr(r, "connection: close"),
		      "got %s", r);
	ck_assert(peer_closed(fd));
	close(fd);
}
END_TEST

START_TEST(smuggling_gets_400_and_close)
{
	int fd = cli(NULL);
	const char *r;

	r = xfer(fd,
		 "POST /v1/request-landing HTTP/1.1\r\nHost: d\r\n"
		 "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "0\r\n\r\nGET /v1/admin HTTP/1.1\r\nHost: d\r\n\r\n",
		 1);
	ck_assert_msg(!strncmp(r, "HTTP/1.1 400 Bad Request", 24), "got %s", r);
	ck_assert(peer_closed(fd));
	close(fd);
	ck_assert_int_eq(upstream_requests(&fx.up), 0);
}
END_TEST

START_TEST(upstream_down_gives_503)
{
	int fd;
	const char *r;

	/* a port nothing listens on */
	dfl_sockaddr__parse("127.0.0.1:1", &fx.upstream);
	fd = cli(NULL);
	r = xfer(fd, LANDING, 1);
	ck_assert_msg(!strncmp(r, "HTTP/1.1 503 Service Unavailable", 32),
		      "got %s", r);
	/* the connection stays usable */
	r = xfer(fd, EXHAUST, 1);
	ck_assert_str_eq(r, RESP_403);
	close(fd);
}
END_TEST

START_TEST(no_rules_known_denies)
{
	int fd = cli(NULL);
	const char *r;

	fx.unknown = true;
	r = xfer(fd, LANDING, 1);
	ck_assert_str_eq(r, RESP_403);
	close(fd);
	ck_assert_int_eq(upstream_requests(&fx.up), 0);
	pthread_mutex_lock(&fx.mu);
	ck_assert_str_eq(fx.reasons[0], "no policy for this connection");
	pthread_mutex_unlock(&fx.mu);
}
END_TEST

START_TEST(server_sees_client_address)
{
	int fd;
	const char *r;

	if (geteuid() != 0)
		return; /* binding a foreign source needs IP_TRANSPARENT */
	fd = cli("127.0.0.2:0");
	r = xfer(fd, LANDING, 1);
	ck_assert_msg(strstr(r, "200 OK"), "got %s", r);
	pthread_mutex_lock(&fx.up.mu);
	ck_assert_str_eq(fx.up.last_peer, "127.0.0.2");
	pthread_mutex_unlock(&fx.up.mu);
	close(fd);
}
END_TEST

START_TEST(oversized_head_gets_431)
{
	static char req[10000];
	int fd = cli(NULL);
	const char *r;

	strcpy(req, "GET /v1/a HTTP/1.1\r\nHost: d\r\nX-Big: ");
	memset(req + strlen(req), 'a', 9000);
	strcat(req, "\r\n\r\n");
	r = xfer(fd, req, 1);
	ck_assert_msg(!strncmp(r, "HTTP/1.1 431", 12), "got %.40s", r);
	close(fd);
}
END_TEST

/* Run from another loop: I/O and timers (the 408) still happen. */
START_TEST(embedded_in_another_loop)
{
	int fd = cli(NULL);
	const char *r;

	r = xfer(fd, LANDING, 1);
	ck_assert_msg(strstr(r, "200 OK"), "got %s", r);
	r = xfer(fd, "GET /v1/slow HTTP/1.1\r\nHost: d\r\n", 1);
	ck_assert_msg(!strncmp(r, "HTTP/1.1 408 Request Timeout", 28), "got %s",
		      r);
	ck_assert(peer_closed(fd));
	close(fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy_http");
	TCase *tc = tcase_create("loopback");
	TCase *emb = tcase_create("embedded");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, starwars_landing_allowed_exhaust_port_denied);
	tcase_add_test(tc, keepalive_mixed_and_pipelined);
	tcase_add_test(tc, chunked_and_large_bodies_stream);
	tcase_add_test(tc, expect_100_continue);
	tcase_add_test(tc, smuggling_gets_400_and_close);
	tcase_add_test(tc, upstream_down_gives_503);
	tcase_add_test(tc, no_rules_known_denies);
	tcase_add_test(tc, server_sees_client_address);
	tcase_add_test(tc, oversized_head_gets_431);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(emb, setup_embedded, teardown);
	tcase_set_timeout(emb, 30);
	tcase_add_test(emb, embedded_in_another_loop);
	suite_add_tcase(s, emb);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
