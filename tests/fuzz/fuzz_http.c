/* libFuzzer target: proxy/http_filter fed an arbitrary client byte stream,
 * cut into arbitrary pieces, against rules with every kind of field, while a
 * fake server answers each forwarded request (or fails, or sends garbage).
 *
 * Input: byte 0 picks the server's behaviour, then records of
 * [1 byte: piece length][piece]. Checks: no crash, no leak, no hang, and
 * nothing reaches the server unless a request was allowed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/l7_match.h"
#include "proxy/http_filter.h"

struct ctx {
	struct dfl_http_matcher *m;
	struct dfl_http_verdict v;
	int allowed;
};

static void decide(void *c, const struct dfl_http_request_view *req,
		   struct dfl_http_decision *out)
{
	struct ctx *x = c;

	dfl_http_matcher__match(x->m, req, &x->v);
	out->allowed = x->v.allowed;
	out->rule = x->v.rule;
	out->actions = x->v.actions;
	out->n_actions = x->v.n_actions;
	x->allowed += out->allowed;
}

static void done(void *c)
{
	(void)c;
}

static void event(void *c, struct dfl_l7_event *ev)
{
	(void)c;
	/* touch every string the filter hands out */
	if (strlen(ev->http.method) + strlen(ev->http.url) +
		strlen(ev->http.protocol) ==
	    (size_t)-1)
		abort();
}

static const struct dfl_http_filter_ops ops = {decide, done, event};

static struct dfl_http_matcher *matcher(void)
{
	static struct dfl_header_match hm[] = {
	    {.name = "X-Token", .value = "abc", .mismatch = DFL_MISMATCH_ADD},
	    {.name = "X-Drop", .value = "1", .mismatch = DFL_MISMATCH_DELETE},
	    {.name = "Content-Length",
	     .value = "5",
	     .mismatch = DFL_MISMATCH_REPLACE},
	};
	static char *hdrs[] = {"X-Need", "X-Val: v"};
	static const struct dfl_http_rule rules[] = {
	    {.method = "POST", .path = "/v1/request-landing"},
	    {.method = "GET|HEAD", .path = "/v1/.*", .host = "d(:[0-9]+)?"},
	    {.path = "/h", .headers = hdrs, .n_headers = 2},
	    {.method = "PUT|CONNECT",
	     .header_matches = hm,
	     .n_header_matches = 3},
	    {.method = "GET", .path = "/ws"},
	};

	return dfl_http_matcher__new(rules, sizeof(rules) / sizeof(rules[0]),
				     NULL);
}

static void serve(struct dfl_http_filter *f, struct dfl_http_io *io,
		  uint8_t mode, struct ctx *x)
{
	static const char *const replies[] = {
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	    ("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
	     "Upgrade: websocket\r\n\r\nraw"),
	    "HTTP/1.0 200 OK\r\n\r\nuntil-eof",
	    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
	    "garbage\r\n\r\n",
	};
	unsigned int st = dfl_http_filter__status(f);

	if (st & DFL_HTTP_CLOSE_UPSTREAM)
		dfl_http_filter__upstream_closed(f);
	if (!(dfl_http_filter__status(f) & DFL_HTTP_WANT_UPSTREAM))
		return;
	if (!x->allowed)
		abort(); /* bytes for a server nobody allowed */
	dfl_buf__clear(&io->to_server);
	switch (mode % 10) {
	case 7:
		dfl_http_filter__upstream_error(f, "refused");
		return;
	case 8:
		dfl_http_filter__server_eof(f);
		return;
	case 9:
		dfl_http_filter__timeout(f, DFL_HTTP_TIMEOUT_RESPONSE);
		return;
	default: {
		const char *r = replies[mode % 7];

		dfl_buf__append(&io->server_in, r, strlen(r));
		dfl_http_filter__server_data(f);
		if (mode % 7 == 4)
			dfl_http_filter__server_eof(f);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dfl_http_matcher *m;
	struct dfl_http_filter_limits lim = {2048, 16, "Access denied\r\n"};
	struct ctx x = {0};
	struct dfl_http_filter *f;
	struct dfl_http_io *io;
	uint8_t mode;

	if (!m)
		m = matcher();
	if (!size)
		return 0;
	mode = data[0];
	data++, size--;
	x.m = m;
	f = dfl_http_filter__new(&ops, &x, &lim, "10.0.0.1:80");
	if (!f)
		return 0;
	io = dfl_http_filter__io(f);
	while (size && !(dfl_http_filter__status(f) &
			 (DFL_HTTP_ABORT | DFL_HTTP_CLOSE_CLIENT))) {
		size_t n = data[0] ? data[0] : 1;

		data++, size--;
		if (n > size)
			n = size;
		dfl_buf__append(&io->client_in, data, n);
		data += n, size -= n;
		dfl_http_filter__client_data(f);
		serve(f, io, mode, &x);
		dfl_buf__clear(&io->to_client);
		if (mode & 0x80)
			dfl_http_filter__timeout(f, DFL_HTTP_TIMEOUT_HEAD);
	}
	dfl_http_filter__client_eof(f);
	serve(f, io, mode, &x);
	dfl_http_filter__phase(f);
	dfl_http_filter__free(f);
	return 0;
}
