/* proxy/http_filter: the HTTP state machine fed with byte strings, no
 * sockets: what reaches the server, what the client gets, which events. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/l7_match.h"
#include "proxy/http_filter.h"
#include "util/intern.h"

#define BODY_403 "Access denied\r\n"
#define RESP_403_KEEP                                                          \
	"HTTP/1.1 403 Forbidden\r\ncontent-length: 15\r\n"                     \
	"content-type: text/plain\r\n\r\nAccess denied\r\n"
#define RESP_403_CLOSE                                                         \
	"HTTP/1.1 403 Forbidden\r\ncontent-length: 15\r\n"                     \
	"content-type: text/plain\r\nconnection: close\r\n\r\n"                \
	"Access denied\r\n"

struct ev {
	enum dfl_l7_type type;
	enum dfl_l7_verdict verdict;
	int rule;
	unsigned code;
	char method[16];
	char url[128];
};

struct h {
	struct dfl_http_filter *f;
	struct dfl_http_io *io;
	struct dfl_http_matcher *m;
	struct dfl_http_verdict v;
	struct ev evs[64];
	size_t n_evs;
	int n_done;
};

static void decide(void *ctx, const struct dfl_http_request_view *req,
		   struct dfl_http_decision *out)
{
	struct h *h = ctx;

	dfl_http_matcher__match(h->m, req, &h->v);
	out->allowed = h->v.allowed;
	out->rule = h->v.rule;
	out->actions = h->v.actions;
	out->n_actions = h->v.n_actions;
}

static void done(void *ctx)
{
	((struct h *)ctx)->n_done++;
}

static void event(void *ctx, struct dfl_l7_event *e)
{
	struct h *h = ctx;
	struct ev *o = &h->evs[h->n_evs++];

	ck_assert_uint_lt(h->n_evs, 64);
	o->type = e->type;
	o->verdict = e->verdict;
	o->rule = e->rule;
	o->code = e->http.code;
	snprintf(o->method, sizeof(o->method), "%s", e->http.method);
	snprintf(o->url, sizeof(o->url), "%s", e->http.url);
}

static const struct dfl_http_filter_ops ops = {decide, done, event};

static void setup(struct h *h, const struct dfl_http_rule *rules, size_t n)
{
	struct dfl_http_filter_limits lim = {4096, 20, BODY_403};

	memset(h, 0, sizeof(*h));
	h->m = dfl_http_matcher__new(rules, n, NULL);
	ck_assert_ptr_nonnull(h->m);
	h->f = dfl_http_filter__new(&ops, h, &lim, "10.0.0.1:80");
	ck_assert_ptr_nonnull(h->f);
	h->io = dfl_http_filter__io(h->f);
}

static void teardown(struct h *h)
{
	dfl_http_filter__free(h->f);
	dfl_http_matcher__free(h->m);
}

static void client(struct h *h, const char *s)
{
	dfl_buf__append(&h->io->client_in, s, strlen(s));
	dfl_http_filter__client_data(h->f);
}

static void server(struct h *h, const char *s)
{
	dfl_buf__append(&h->io->server_in, s, strlen(s));
	dfl_http_filter__server_data(h->f);
}

/* Takes everything queued in <b> as a string (static storage). */
static const char *take(struct dfl_buf *b)
{
	static char out[2][16384];
	static int which;
	char *o = out[which ^= 1];
	size_t n = dfl_buf__len(b);

	ck_assert_uint_lt(n, sizeof(out[0]));
	memcpy(o, dfl_buf__data(b), n);
	o[n] = '\0';
	dfl_buf__clear(b);
	return o;
}

static const struct dfl_http_rule starwars[] = {
    {.method = "POST", .path = "/v1/request-landing"},
    {.method = "GET", .path = "/v1/.*"},
};

#define LANDING                                                                \
	"POST /v1/request-landing HTTP/1.1\r\nHost: deathstar\r\n"             \
	"Content-Length: 0\r\n\r\n"
#define EXHAUST                                                                \
	"PUT /v1/exhaust-port HTTP/1.1\r\nHost: deathstar\r\n"                 \
	"Content-Length: 0\r\n\r\n"
#define OK_RESP "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nShip landed\n"

START_TEST(allowed_request_is_forwarded_verbatim)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, LANDING);
	ck_assert_str_eq(take(&h.io->to_server), LANDING);
	ck_assert(dfl_http_filter__status(h.f) == 0);
	ck_assert_int_eq(dfl_http_filter__phase(h.f), DFL_HTTP_WAIT);
	server(&h, OK_RESP);
	ck_assert_str_eq(take(&h.io->to_client), OK_RESP);
	ck_assert_int_eq(dfl_http_filter__phase(h.f), DFL_HTTP_IDLE);

	ck_assert_uint_eq(h.n_evs, 2);
	ck_assert_int_eq(h.evs[0].type, DFL_L7_REQUEST);
	ck_assert_int_eq(h.evs[0].verdict, DFL_L7_FORWARDED);
	ck_assert_int_eq(h.evs[0].rule, 0);
	ck_assert_str_eq(h.evs[0].method, "POST");
	ck_assert_str_eq(h.evs[0].url, "http://deathstar/v1/request-landing");
	ck_assert_int_eq(h.evs[1].type, DFL_L7_RESPONSE);
	ck_assert_uint_eq(h.evs[1].code, 200);
	ck_assert_int_eq(h.evs[1].rule, 0);
	ck_assert_int_eq(h.n_done, 1);
	teardown(&h);
}
END_TEST

START_TEST(denied_request_gets_403_and_connection_stays)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, EXHAUST);
	ck_assert_str_eq(take(&h.io->to_client), RESP_403_KEEP);
	ck_assert_str_eq(take(&h.io->to_server), "");
	ck_assert_uint_eq(h.n_evs, 2);
	ck_assert_int_eq(h.evs[0].verdict, DFL_L7_DROPPED);
	ck_assert_int_eq(h.evs[0].rule, -1);
	ck_assert_str_eq(h.evs[0].url, "http://deathstar/v1/exhaust-port");
	ck_assert_int_eq(h.evs[1].type, DFL_L7_RESPONSE);
	ck_assert_int_eq(h.evs[1].verdict, DFL_L7_FORWARDED);
	ck_assert_uint_eq(h.evs[1].code, 403);
	ck_assert(dfl_http_filter__status(h.f) == 0);
	/* same connection, next request allowed */
	client(&h, LANDING);
	ck_assert_str_eq(take(&h.io->to_server), LANDING);
	teardown(&h);
}
END_TEST

START_TEST(denied_body_is_drained)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, "PUT /v1/exhaust-port HTTP/1.1\r\nHost: d\r\n"
		   "Content-Length: 10\r\n\r\n01234");
	ck_assert_str_eq(take(&h.io->to_client), RESP_403_KEEP);
	client(&h, "56789" LANDING);
	ck_assert_str_eq(take(&h.io->to_server), LANDING);
	/* chunked, denied, with trailers */
	server(&h, OK_RESP);
	take(&h.io->to_client);
	client(
	    &h,
	    "PUT /x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n" LANDING);
	ck_assert_str_eq(take(&h.io->to_client), RESP_403_KEEP);
	ck_assert_str_eq(take(&h.io->to_server), LANDING);
	teardown(&h);
}
END_TEST

START_TEST(pipelined_responses_stay_in_order)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, LANDING EXHAUST LANDING);
	/* only the first request is out; the 403 must wait for its answer */
	ck_assert_str_eq(take(&h.io->to_server), LANDING);
	ck_assert_str_eq(take(&h.io->to_client), "");
	server(&h, OK_RESP);
	ck_assert_str_eq(take(&h.io->to_client), OK_RESP RESP_403_KEEP);
	ck_assert_str_eq(take(&h.io->to_server), LANDING);
	server(&h, OK_RESP);
	ck_assert_str_eq(take(&h.io->to_client), OK_RESP);
	ck_assert_uint_eq(h.n_evs, 6);
	teardown(&h);
}
END_TEST

START_TEST(chunked_body_streams_raw)
{
	struct h h;
	const char *head = "POST /v1/request-landing HTTP/1.1\r\nHost: d\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n";

	setup(&h, starwars, 2);
	client(&h, head);
	ck_assert_str_eq(take(&h.io->to_server), head);
	client(&h, "4\r\nabcd\r\n");
	ck_assert_str_eq(take(&h.io->to_server), "4\r\nabcd\r\n");
	server(
	    &h,
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n");
	client(&h, "0\r\n\r\n");
	ck_assert_str_eq(take(&h.io->to_server), "0\r\n\r\n");
	ck_assert_int_eq(dfl_http_filter__phase(h.f), DFL_HTTP_WAIT);
	server(&h, "0\r\n\r\n");
	ck_assert_str_eq(take(&h.io->to_client),
			 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "2\r\nok\r\n0\r\n\r\n");
	ck_assert_int_eq(dfl_http_filter__phase(h.f), DFL_HTTP_IDLE);
	teardown(&h);
}
END_TEST

START_TEST(expect_continue)
{
	struct h h;
	const char *head = "POST /v1/request-landing HTTP/1.1\r\nHost: d\r\n"
			   "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n";

	setup(&h, starwars, 2);
	client(&h, head);
	ck_assert_str_eq(take(&h.io->to_server), head);
	server(&h, "HTTP/1.1 100 Continue\r\n\r\n");
	ck_assert_str_eq(take(&h.io->to_client),
			 "HTTP/1.1 100 Continue\r\n\r\n");
	client(&h, "abc");
	ck_assert_str_eq(take(&h.io->to_server), "abc");
	server(&h, OK_RESP);
	ck_assert_str_eq(take(&h.io->to_client), OK_RESP);
	/* the interim response is not an event */
	ck_assert_uint_eq(h.n_evs, 2);
	ck_assert_uint_eq(h.evs[1].code, 200);

	/* denied while the client waits for 100: 403 and close */
	client(&h, "PUT /x HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n"
		   "Expect: 100-continue\r\n\r\n");
	ck_assert_str_eq(take(&h.io->to_client), RESP_403_CLOSE);
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_CLIENT);
	teardown(&h);
}
END_TEST

/* Each of these must be refused with 400 and the connection closed, and
 * nothing may reach the server. */
START_TEST(smuggling_and_malformed_requests_get_400)
{
	static const char *const bad[] = {
	    "POST /v1/x HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "POST /v1/x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n0\r\n\r\n",
	    "POST /v1/x HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n"
	    "Content-Length: 3\r\n\r\nabc",
	    "POST /v1/x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "POST /v1/x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked, "
	    "x\r\n\r\n",
	    "GET /v1/x HTTP/1.1\r\nHost: d\r\nX: a\r\n b\r\n\r\n",
	    "GET /v1/x HTTP/1.1\r\nHost : d\r\n\r\n",
	    "GET /v1/x HTTP/1.1\r\nHost: d\r\nX: a\x01z\r\n\r\n",
	    "GET /v1/\xc3\xa9 HTTP/1.1\r\nHost: d\r\n\r\n",
	    "GET /v1/x HTTP/1.1\r\n\r\n",
	    "GET /v1/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	    "POST /v1/x HTTP/1.0\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n0\r\n\r\n",
	    "GET /v1/x HTTP/1.1\nHost: d\n\n",
	    "get /v1/x HTTP/1.1\r\nHost: d\r\n\r\n",
	    "GET /v1/x HTTP/1.1\r\nHost: d\rX: y\r\n\r\n",
	    "POST /v1/x HTTP/1.1\r\nHost: d\r\nContent-Length: -1\r\n\r\n",
	    "GET /v1/x HTTP/9.9\r\nHost: d\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct h h;
		const char *out;

		setup(&h, starwars, 2);
		client(&h, bad[i]);
		out = take(&h.io->to_client);
		ck_assert_msg(!strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26),
			      "case %zu: got %s", i, out);
		ck_assert_msg(strstr(out, "connection: close"), "case %zu", i);
		ck_assert_msg(!dfl_buf__len(&h.io->to_server), "case %zu", i);
		ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_CLIENT);
		ck_assert_int_eq(h.evs[0].verdict, DFL_L7_ERROR);
		teardown(&h);
	}
}
END_TEST

START_TEST(bad_chunk_mid_body_closes_both_sides)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, "POST /v1/request-landing HTTP/1.1\r\nHost: d\r\n"
		   "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
	take(&h.io->to_server);
	client(&h, "zz\r\n");
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_UPSTREAM);
	ck_assert_str_eq(take(&h.io->to_server), "");
	ck_assert(!strncmp(take(&h.io->to_client), "HTTP/1.1 400", 12));
	teardown(&h);
}
END_TEST

START_TEST(head_limits_give_431)
{
	struct h h;
	char big[6000];

	setup(&h, starwars, 2);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /v1/", 8);
	big[sizeof(big) - 1] = '\0';
	client(&h, big);
	ck_assert(!strncmp(take(&h.io->to_client),
			   "HTTP/1.1 431 Request Header Fields Too Large", 44));
	teardown(&h);

	setup(&h, starwars, 2);
	client(&h, "GET /v1/a HTTP/1.1\r\nHost: d\r\n");
	for (int i = 0; i < 25; i++)
		client(&h, "X-A: b\r\n");
	ck_assert(!strncmp(take(&h.io->to_client), "HTTP/1.1 431", 12));
	teardown(&h);
}
END_TEST

START_TEST(upstream_failure_gives_503_and_keeps_client)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, LANDING);
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_WANT_UPSTREAM);
	dfl_http_filter__upstream_error(h.f, "connection refused");
	ck_assert(!strncmp(take(&h.io->to_client),
			   "HTTP/1.1 503 Service Unavailable\r\n", 34));
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_UPSTREAM);
	ck_assert(!(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_CLIENT));
	dfl_http_filter__upstream_closed(h.f);
	ck_assert_str_eq(take(&h.io->to_server), "");
	client(&h, LANDING);
	ck_assert_str_eq(take(&h.io->to_server), LANDING);
	ck_assert_uint_eq(h.evs[1].code, 503);

	/* the server hangs up before answering: 503 as well */
	dfl_http_filter__server_eof(h.f);
	ck_assert(!strncmp(take(&h.io->to_client), "HTTP/1.1 503", 12));
	teardown(&h);
}
END_TEST

START_TEST(response_connection_close_closes_client)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, LANDING);
	server(&h, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: "
		   "0\r\n\r\n");
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_CLIENT);
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_UPSTREAM);
	teardown(&h);

	/* body delimited by the end of the connection */
	setup(&h, starwars, 2);
	client(&h, LANDING);
	server(&h, "HTTP/1.0 200 OK\r\n\r\nsome");
	server(&h, " body");
	dfl_http_filter__server_eof(h.f);
	ck_assert_str_eq(take(&h.io->to_client),
			 "HTTP/1.0 200 OK\r\n\r\nsome body");
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_CLIENT);
	teardown(&h);
}
END_TEST

START_TEST(head_response_has_no_body)
{
	struct dfl_http_rule all = {0};
	struct h h;

	setup(&h, &all, 1);
	client(&h, "HEAD /f HTTP/1.1\r\nHost: d\r\n\r\n");
	take(&h.io->to_server);
	server(&h, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	ck_assert_int_eq(dfl_http_filter__phase(h.f), DFL_HTTP_IDLE);
	client(&h, "GET /g HTTP/1.1\r\nHost: d\r\n\r\n");
	ck_assert(!strncmp(take(&h.io->to_server), "GET /g", 6));
	teardown(&h);
}
END_TEST

START_TEST(http10_and_absolute_form)
{
	struct dfl_http_rule r = {.host = "api\\.example\\.com", .path = "/x"};
	struct h h;

	setup(&h, &r, 1);
	client(&h,
	       "GET http://api.example.com/x HTTP/1.1\r\nHost: other\r\n\r\n");
	ck_assert(!strncmp(take(&h.io->to_server), "GET http://", 11));
	ck_assert_str_eq(h.evs[0].url, "http://api.example.com/x");
	server(&h, "HTTP/1.1 204 No Content\r\n\r\n");
	/* HTTP/1.0 without Host: URL names the original destination; the
	 * rule needs a host, so it is denied and the connection closes */
	client(&h, "GET /x HTTP/1.0\r\n\r\n");
	ck_assert_str_eq(take(&h.io->to_client) +
			     strlen("HTTP/1.1 204 No Content\r\n\r\n"),
			 RESP_403_CLOSE);
	ck_assert_str_eq(h.evs[2].url, "http://10.0.0.1:80/x");
	teardown(&h);
}
END_TEST

START_TEST(header_actions_rewrite_head)
{
	struct dfl_header_match hm[] = {
	    {.name = "X-Token", .value = "abc", .mismatch = DFL_MISMATCH_ADD},
	    {.name = "X-Drop", .value = "ok", .mismatch = DFL_MISMATCH_DELETE},
	    {.name = "X-Set", .value = "v", .mismatch = DFL_MISMATCH_REPLACE},
	    {.name = "Content-Length",
	     .value = "99",
	     .mismatch = DFL_MISMATCH_REPLACE},
	};
	struct dfl_http_rule r = {.header_matches = hm, .n_header_matches = 4};
	struct h h;

	setup(&h, &r, 1);
	client(&h,
	       "POST /a HTTP/1.1\r\nHost: d\r\nX-Drop: bad\r\nX-Set: old\r\n"
	       "Content-Length: 2\r\n\r\nhi");
	ck_assert_str_eq(take(&h.io->to_server),
			 "POST /a HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n"
			 "X-Token: abc\r\nX-Set: v\r\n\r\nhi");
	teardown(&h);
}
END_TEST

START_TEST(upgrade_becomes_tunnel)
{
	struct dfl_http_rule all = {0};
	struct h h;

	setup(&h, &all, 1);
	client(&h, "GET /ws HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\n"
		   "Upgrade: websocket\r\n\r\n");
	take(&h.io->to_server);
	server(&h, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
		   "Upgrade: websocket\r\n\r\nserver-bytes");
	ck_assert_int_eq(dfl_http_filter__phase(h.f), DFL_HTTP_TUNNEL);
	ck_assert(strstr(take(&h.io->to_client), "\r\n\r\nserver-bytes"));
	client(&h, "\x81\x05hello");
	ck_assert_str_eq(take(&h.io->to_server), "\x81\x05hello");
	teardown(&h);
}
END_TEST

START_TEST(client_eof_after_pipelined_requests)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, LANDING EXHAUST);
	dfl_http_filter__client_eof(h.f);
	ck_assert(!(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_CLIENT));
	server(&h, OK_RESP);
	ck_assert_str_eq(take(&h.io->to_client), OK_RESP RESP_403_KEEP);
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_CLIENT);
	teardown(&h);
}
END_TEST

START_TEST(timeouts)
{
	struct h h;

	setup(&h, starwars, 2);
	client(&h, "GET /v1/a HTTP/1.1\r\nHo");
	ck_assert_int_eq(dfl_http_filter__phase(h.f), DFL_HTTP_HEAD);
	dfl_http_filter__timeout(h.f, DFL_HTTP_TIMEOUT_HEAD);
	ck_assert(!strncmp(take(&h.io->to_client), "HTTP/1.1 408", 12));
	teardown(&h);

	setup(&h, starwars, 2);
	client(&h, LANDING);
	dfl_http_filter__timeout(h.f, DFL_HTTP_TIMEOUT_RESPONSE);
	ck_assert(!strncmp(take(&h.io->to_client), "HTTP/1.1 504", 12));
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_UPSTREAM);
	teardown(&h);
}
END_TEST

START_TEST(unsolicited_server_bytes_drop_upstream)
{
	struct h h;

	setup(&h, starwars, 2);
	server(&h, "HTTP/1.1 200 OK\r\n\r\n");
	ck_assert(dfl_http_filter__status(h.f) & DFL_HTTP_CLOSE_UPSTREAM);
	ck_assert_str_eq(take(&h.io->to_client), "");
	teardown(&h);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy_http_filter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, allowed_request_is_forwarded_verbatim);
	tcase_add_test(tc, denied_request_gets_403_and_connection_stays);
	tcase_add_test(tc, denied_body_is_drained);
	tcase_add_test(tc, pipelined_responses_stay_in_order);
	tcase_add_test(tc, chunked_body_streams_raw);
	tcase_add_test(tc, expect_continue);
	tcase_add_test(tc, smuggling_and_malformed_requests_get_400);
	tcase_add_test(tc, bad_chunk_mid_body_closes_both_sides);
	tcase_add_test(tc, head_limits_give_431);
	tcase_add_test(tc, upstream_failure_gives_503_and_keeps_client);
	tcase_add_test(tc, response_connection_close_closes_client);
	tcase_add_test(tc, head_response_has_no_body);
	tcase_add_test(tc, http10_and_absolute_form);
	tcase_add_test(tc, header_actions_rewrite_head);
	tcase_add_test(tc, upgrade_becomes_tunnel);
	tcase_add_test(tc, client_eof_after_pipelined_requests);
	tcase_add_test(tc, timeouts);
	tcase_add_test(tc, unsolicited_server_bytes_drop_upstream);
	suite_add_tcase(s, tc);
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
