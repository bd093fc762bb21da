/* HTTP/1.x request filter; see proxy/http_filter.h for the contract. */
#include <errno.h>
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proxy/http_filter.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Stop taking client bytes while this much waits for either peer. */
#define OUT_HIGH_WATER (256 * 1024)

enum rq_state {
	RQ_IDLE = 0, /* no byte of the next request yet */
	RQ_HEAD,     /* parsing a head */
	RQ_BODY,     /* head decided, body flowing (or being dropped) */
	RQ_DONE,     /* request complete, waiting for its response */
};

enum rs_state {
	RS_NONE = 0, /* no request outstanding */
	RS_WAIT,     /* forwarded; the server's response is pending */
	RS_LOCAL,    /* we answered ourselves */
	RS_DONE,     /* the server's response was relayed */
};

struct span {
	size_t off, len;
};

struct hdr {
	struct span name, value;
};

struct dfl_http_filter {
	struct dfl_http_io io;
	const struct dfl_http_filter_ops *ops;
	void *ctx;
	struct dfl_http_filter_limits lim;
	char *default_authority;
	llhttp_t req, resp;

	enum rq_state rq;
	enum rs_state rs;
	size_t parsed;	   /* head bytes of client_in given to llhttp */
	bool discard_body; /* the current request's body goes nowhere */
	bool resp_started; /* bytes of the current response were relayed */
	bool resp_final;   /* the current response's head is not a 1xx */
	bool resp_upgrade; /* the response switches to a tunnel */
	bool req_upgrade;  /* the request asked for CONNECT or Upgrade */
	bool req_keep_alive;
	bool close_after;    /* close the client after this exchange */
	bool closing;	     /* close the client once to_client is flushed */
	bool abort;	     /* close everything now */
	bool close_upstream; /* the caller must close the upstream */
	bool tunnel;
	bool client_eof; /* the client sends no more */
	int head_error;	 /* 431 when a head limit was hit */

	/* The current request head: strings in <hs>, located by spans. */
	struct dfl_strbuf hs;
	struct span method, url;
	struct hdr *hdrs;
	size_t n_hdrs, cap_hdrs;
	struct dfl_http_header_view *hv; /* the matcher's view of hdrs */
	size_t cap_hv;
	bool last_was_value;
	uint8_t method_id; /* llhttp_method_t */
	char proto[9];	   /* "HTTP/1.1" */
	struct dfl_strbuf ev_url;
	const char *ev_method;
	int rule; /* of the current request, repeated on its response */
	struct timespec t_decided;
};

static const llhttp_settings_t *req_settings(void);
static const llhttp_settings_t *resp_settings(void);

struct dfl_http_io *dfl_http_filter__io(struct dfl_http_filter *f)
{
	return &f->io;
}

struct dfl_http_filter *
dfl_http_filter__new(const struct dfl_http_filter_ops *ops, void *ctx,
		     const struct dfl_http_filter_limits *lim,
		     const char *default_authority)
{
	struct dfl_http_filter *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->ops = ops;
	f->ctx = ctx;
	f->lim = *lim;
	f->default_authority =
	    strdup(default_authority ? default_authority : "");
	if (!f->default_authority) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	llhttp_init(&f->req, HTTP_REQUEST, req_settings());
	llhttp_init(&f->resp, HTTP_RESPONSE, resp_settings());
	f->req.data = f;
	f->resp.data = f;
	return f;
}

void dfl_http_filter__free(struct dfl_http_filter *f)
{
	if (!f)
		return;
	dfl_buf__release(&f->io.client_in);
	dfl_buf__release(&f->io.server_in);
	dfl_buf__release(&f->io.to_client);
	dfl_buf__release(&f->io.to_server);
	dfl_strbuf__release(&f->hs);
	dfl_strbuf__release(&f->ev_url);
	free(f->hdrs);
	free(f->hv);
	free(f->default_authority);
	free(f);
}

/* ---- events and local replies ------------------------------------------- */

static uint64_t ns_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t0->tv_sec) * 1000000000u +
	       (uint64_t)(now.tv_nsec - t0->tv_nsec);
}

static void emit(struct dfl_http_filter *f, enum dfl_l7_type type,
		 enum dfl_l7_verdict verdict, int rule, const char *reason,
		 uint16_t code, const struct dfl_http_request_view *req)
{
	struct dfl_l7_event ev = {
	    .type = type,
	    .proto = DFL_L7_PROTO_HTTP,
	    .verdict = verdict,
	    .rule = rule,
	    .reason = reason,
	};

	if (!f->ops->event)
		return;
	ev.http.method = f->ev_method ? f->ev_method : "";
	ev.http.url = dfl_strbuf__str(&f->ev_url);
	ev.http.protocol = f->proto[0] ? f->proto : "HTTP/1.1";
	ev.http.code = code;
	if (req) {
		ev.http.headers = req->headers;
		ev.http.n_headers = req->n_headers;
	}
	if (type == DFL_L7_RESPONSE)
		ev.latency_ns = ns_since(&f->t_decided);
	f->ops->event(f->ctx, &ev);
}

static const char *status_text(int code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Error";
	}
}

/* Appends a complete response of ours and reports it. <close> adds
 * "connection: close" and closes the client once it is flushed. */
static void local_reply(struct dfl_http_filter *f, int code, const char *body,
			bool close)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\ncontent-length: %zu\r\n"
		     "content-type: text/plain\r\n%s\r\n",
		     code, status_text(code), strlen(body),
		     close ? "connection: close\r\n" : "");
	if (dfl_buf__append(&f->io.to_client, head, (size_t)n) ||
	    dfl_buf__append(&f->io.to_client, body, strlen(body))) {
		f->abort = true;
		return;
	}
	f->rs = RS_LOCAL;
	emit(f, DFL_L7_RESPONSE, DFL_L7_FORWARDED, f->rule, NULL,
	     (uint16_t)code, NULL);
	if (close)
		f->closing = true;
}

/* The upstream connection must go: nothing more of the current request
 * may reach any server (a new connection would see a torn request). */
static void drop_upstream(struct dfl_http_filter *f)
{
	f->close_upstream = true;
	dfl_buf__clear(&f->io.to_server);
	if (f->rq == RQ_BODY)
		f->discard_body = true;
}

/* A request we cannot or will not parse: answer <code>, report the request
 * as an error, close. Mid-response there is no way to answer: abort. */
static void fail_request(struct dfl_http_filter *f, int code, const char *why)
{
	emit(f, DFL_L7_REQUEST, DFL_L7_ERROR, -1, why, 0, NULL);
	if (f->rs == RS_WAIT) {
		/* The server may hold part of this request: drop it. */
		drop_upstream(f);
		if (f->resp_started) {
			f->abort = true;
			return;
		}
	}
	dfl_buf__clear(&f->io.client_in);
	f->parsed = 0;
	local_reply(f, code,
		    code == 431	  ? "Request Header Fields Too Large\r\n"
		    : code == 408 ? "Request Timeout\r\n"
				  : "Bad Request\r\n",
		    true);
}

/* ---- request head callbacks --------------------------------------------- */

static struct dfl_http_filter *F(llhttp_t *p)
{
	return p->data;
}

static int append_span(struct dfl_http_filter *f, struct span *s,
		       const char *at, size_t len, bool start)
{
	if (start)
		*s = (struct span){f->hs.len, 0};
	if (dfl_strbuf__append(&f->hs, at, len))
		return -1;
	s->len += len;
	return 0;
}

static int on_req_begin(llhttp_t *p)
{
	struct dfl_http_filter *f = F(p);

	f->rq = RQ_HEAD;
	dfl_strbuf__reset(&f->hs);
	f->n_hdrs = 0;
	f->last_was_value = true;
	f->method = f->url = (struct span){0, 0};
	f->ev_method = NULL;
	f->rule = -1;
	dfl_strbuf__reset(&f->ev_url);
	return 0;
}

static int on_method(llhttp_t *p, const char *at, size_t len)
{
	struct dfl_http_filter *f = F(p);

	return append_span(f, &f->method, at, len, f->method.len == 0);
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct dfl_http_filter *f = F(p);

	return append_span(f, &f->url, at, len, f->url.len == 0);
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct dfl_http_filter *f = F(p);
	struct hdr *h;

	if (f->rq != RQ_HEAD)
		return 0; /* trailers: forwarded as they are */
	if (f->last_was_value) {
		if (f->n_hdrs >= f->lim.max_headers) {
			f->head_error = 431;
			return -1;
		}
		h = DFL_PUSH(f->hdrs, f->n_hdrs, f->cap_hdrs);
		if (!h)
			return -1;
		f->last_was_value = false;
		h->value = (struct span){0, 0};
		return append_span(f, &h->name, at, len, true);
	}
	return append_span(f, &f->hdrs[f->n_hdrs - 1].name, at, len, false);
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct dfl_http_filter *f = F(p);
	struct hdr *h;

	if (f->rq != RQ_HEAD)
		return 0;
	h = &f->hdrs[f->n_hdrs - 1];
	if (!f->last_was_value) {
		f->last_was_value = true;
		return append_span(f, &h->value, at, len, true);
	}
	return append_span(f, &h->value, at, len, false);
}

static int on_req_headers_complete(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED; /* decided in handle_head() */
}

static int on_req_message_complete(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED;
}

static const llhttp_settings_t *req_settings(void)
{
	static llhttp_settings_t s;
	static bool init;

	if (!init) {
		llhttp_settings_init(&s);
		s.on_message_begin = on_req_begin;
		s.on_method = on_method;
		s.on_url = on_url;
		s.on_header_field = on_header_field;
		s.on_header_value = on_header_value;
		s.on_headers_complete = on_req_headers_complete;
		s.on_message_complete = on_req_message_complete;
		init = true;
	}
	return &s;
}

/* ---- response callbacks ------------------------------------------------- */

static int on_resp_begin(llhttp_t *p)
{
	F(p)->resp_final = false;
	return 0;
}

static int on_resp_headers_complete(llhttp_t *p)
{
	struct dfl_http_filter *f = F(p);
	int code = llhttp_get_status_code(p);

	if (code >= 100 && code < 200 && code != 101)
		return 0; /* interim (100 Continue): relayed, not reported */
	f->resp_final = true;
	emit(f, DFL_L7_RESPONSE, DFL_L7_FORWARDED, f->rule, NULL,
	     (uint16_t)code, NULL);
	if (f->req_upgrade && (code == 101 || (f->method_id == HTTP_CONNECT &&
					       code / 100 == 2))) {
		f->resp_upgrade = true;
		return 2;
	}
	return f->method_id == HTTP_HEAD ? 1 : 0;
}

static int on_resp_message_complete(llhttp_t *p)
{
	struct dfl_http_filter *f = F(p);

	if (!f->resp_final || f->resp_upgrade)
		return 0;
	f->rs = RS_DONE;
	return HPE_PAUSED;
}

static const llhttp_settings_t *resp_settings(void)
{
	static llhttp_settings_t s;
	static bool init;

	if (!init) {
		llhttp_settings_init(&s);
		s.on_message_begin = on_resp_begin;
		s.on_headers_complete = on_resp_headers_complete;
		s.on_message_complete = on_resp_message_complete;
		init = true;
	}
	return &s;
}

/* ---- head checks and decision -------------------------------------------- */

static const char *hs_at(const struct dfl_http_filter *f, struct span s)
{
	return f->hs.buf ? f->hs.buf + s.off : "";
}

static bool span_is(const struct dfl_http_filter *f, struct span s,
		    const char *lit)
{
	return s.len == strlen(lit) && !strncasecmp(hs_at(f, s), lit, s.len);
}

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The checks llhttp 8 leaves to us. Returns a reason, or NULL when fine. */
static const char *check_head(struct dfl_http_filter *f, const char *raw,
			      size_t len, int *n_host)
{
	const char *u = hs_at(f, f->url);

	for (size_t i = 0; i < f->url.len; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return "invalid byte in request target";
	for (size_t i = 0; i + 1 < len; i++)
		if (raw[i] == '\n' && (raw[i + 1] == ' ' || raw[i + 1] == '\t'))
			return "obsolete line folding";
	*n_host = 0;
	for (size_t i = 0; i < f->n_hdrs; i++) {
		const char *n = hs_at(f, f->hdrs[i].name);

		if (!f->hdrs[i].name.len)
			return "empty header name";
		for (size_t k = 0; k < f->hdrs[i].name.len; k++)
			if (!is_tchar((unsigned char)n[k]))
				return "invalid character in header name";
		if (span_is(f, f->hdrs[i].name, "host"))
			(*n_host)++;
		if (span_is(f, f->hdrs[i].name, "transfer-encoding") &&
		    f->req.http_major == 1 && f->req.http_minor == 0)
			return "Transfer-Encoding in an HTTP/1.0 request";
	}
	if ((f->req.flags & F_TRANSFER_ENCODING) && !(f->req.flags & F_CHUNKED))
		return "Transfer-Encoding whose final coding is not chunked";
	if (*n_host > 1)
		return "more than one Host header";
	if (!*n_host && f->req.http_major == 1 && f->req.http_minor == 1 &&
	    f->method_id != HTTP_CONNECT)
		return "HTTP/1.1 request without Host";
	return NULL;
}

/* Fills the matcher's view: method, path with query, authority, headers.
 * An absolute-form target supplies the authority and the path. */
static void build_view(struct dfl_http_filter *f,
		       struct dfl_http_request_view *v,
		       struct dfl_http_header_view *hv)
{
	const char *u = hs_at(f, f->url);
	size_t ulen = f->url.len;

	memset(v, 0, sizeof(*v));
	v->method = hs_at(f, f->method);
	v->method_len = f->method.len;
	for (size_t i = 0; i < f->n_hdrs; i++) {
		hv[i] = (struct dfl_http_header_view){
		    hs_at(f, f->hdrs[i].name),
		    f->hdrs[i].name.len,
		    hs_at(f, f->hdrs[i].value),
		    f->hdrs[i].value.len,
		};
		if (span_is(f, f->hdrs[i].name, "host")) {
			v->host = hv[i].value;
			v->host_len = hv[i].value_len;
		}
	}
	v->headers = hv;
	v->n_headers = f->n_hdrs;

	if (f->method_id == HTTP_CONNECT) {
		/* authority-form: no :path, the target is the authority */
		v->host = u;
		v->host_len = ulen;
		return;
	}
	v->path = u;
	v->path_len = ulen;
	if ((ulen > 7 && !strncasecmp(u, "http://", 7)) ||
	    (ulen > 8 && !strncasecmp(u, "https://", 8))) {
		const char *a = strstr(u, "://") + 3;
		const char *end = u + ulen, *slash = a;

		while (slash < end && *slash != '/' && *slash != '?')
			slash++;
		v->host = a;
		v->host_len = (size_t)(slash - a);
		v->path = slash < end ? slash : "/";
		v->path_len = slash < end ? (size_t)(end - slash) : 1;
	}
}

static bool is_framing_header(const char *name)
{
	return !strcasecmp(name, "content-length") ||
	       !strcasecmp(name, "transfer-encoding");
}

static bool action_removes(const struct dfl_http_decision *d,
			   const struct dfl_http_header_view *h)
{
	for (size_t i = 0; i < d->n_actions; i++) {
		const struct dfl_http_header_action *a = &d->actions[i];

		if ((a->action == DFL_MISMATCH_DELETE ||
		     a->action == DFL_MISMATCH_REPLACE) &&
		    strlen(a->name) == h->name_len &&
		    !strncasecmp(a->name, h->name, h->name_len) &&
		    !is_framing_header(a->name))
			return true;
	}
	return false;
}

static bool needs_rewrite(const struct dfl_http_decision *d)
{
	for (size_t i = 0; i < d->n_actions; i++)
		if (d->actions[i].action != DFL_MISMATCH_LOG &&
		    !is_framing_header(d->actions[i].name))
			return true;
	return false;
}

/* The head with the headerMatches side effects applied: the request line
 * as received, kept headers, then added ones. Framing headers are never
 * touched (that would desynchronise the server). */
static int rewrite_head(struct dfl_http_filter *f, const char *raw,
			const struct dfl_http_request_view *v,
			const struct dfl_http_decision *d)
{
	struct dfl_buf *out = &f->io.to_server;
	const char *eol = memchr(raw, '\n', f->parsed);
	int err;

	err = dfl_buf__append(out, raw, (size_t)(eol - raw) + 1);
	for (size_t i = 0; i < v->n_headers && !err; i++) {
		const struct dfl_http_header_view *h = &v->headers[i];

		if (action_removes(d, h))
			continue;
		err = dfl_buf__append(out, h->name, h->name_len) ?:
		      dfl_buf__append(out, ": ", 2) ?:
		      dfl_buf__append(out, h->value, h->value_len) ?:
		      dfl_buf__append(out, "\r\n", 2);
	}
	for (size_t i = 0; i < d->n_actions && !err; i++) {
		const struct dfl_http_header_action *a = &d->actions[i];

		if ((a->action != DFL_MISMATCH_ADD &&
		     a->action != DFL_MISMATCH_REPLACE) ||
		    is_framing_header(a->name))
			continue;
		err = dfl_buf__append(out, a->name, strlen(a->name)) ?:
		      dfl_buf__append(out, ": ", 2) ?:
		      dfl_buf__append(out, a->value, strlen(a->value)) ?:
		      dfl_buf__append(out, "\r\n", 2);
	}
	return err ?: dfl_buf__append(out, "\r\n", 2);
}

static bool expects_continue(const struct dfl_http_filter *f)
{
	for (size_t i = 0; i < f->n_hdrs; i++)
		if (span_is(f, f->hdrs[i].name, "expect") &&
		    span_is(f, f->hdrs[i].value, "100-continue"))
			return true;
	return false;
}

static bool has_body(const llhttp_t *p)
{
	return (p->flags & F_CHUNKED) ||
	       ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
}

/* The head is complete: its f->parsed bytes lead client_in. */
static void handle_head(struct dfl_http_filter *f)
{
	const char *raw = dfl_buf__data(&f->io.client_in);
	struct dfl_http_request_view v;
	struct dfl_http_decision d = {.rule = -1};
	const char *why;
	int n_host;

	f->rq = RQ_BODY;
	f->method_id = (uint8_t)llhttp_get_method(&f->req);
	f->req_upgrade = f->req.upgrade;
	f->req_keep_alive = llhttp_should_keep_alive(&f->req);
	memcpy(f->proto, "HTTP/1.1", 9);
	f->proto[5] = (char)('0' + f->req.http_major % 10);
	f->proto[7] = (char)('0' + f->req.http_minor % 10);
	f->ev_method = llhttp_method_name(f->method_id);
	dfl_strbuf__reset(&f->ev_url);
	if (f->parsed > f->lim.max_header_bytes) {
		f->head_error = 431;
		fail_request(f, 431, "request head too large");
		return;
	}
	why = check_head(f, raw, f->parsed, &n_host);
	if (why) {
		fail_request(f, 400, why);
		return;
	}
	if (dfl_grow((void **)&f->hv, &f->cap_hv, f->n_hdrs, sizeof(*f->hv))) {
		f->abort = true;
		return;
	}
	build_view(f, &v, f->hv);
	dfl_strbuf__append(&f->ev_url, "http://", 7);
	if (v.host)
		dfl_strbuf__append(&f->ev_url, v.host, v.host_len);
	else
		dfl_strbuf__puts(&f->ev_url, f->default_authority);
	if (v.path)
		dfl_strbuf__append(&f->ev_url, v.path, v.path_len);

	f->ops->decide(f->ctx, &v, &d);
	clock_gettime(CLOCK_MONOTONIC, &f->t_decided);
	f->rule = d.allowed ? d.rule : -1;
	if (d.allowed) {
		int err = needs_rewrite(&d) ? rewrite_head(f, raw, &v, &d)
					    : dfl_buf__append(&f->io.to_server,
							      raw, f->parsed);

		if (err)
			f->abort = true;
		f->rs = RS_WAIT;
		f->resp_started = false;
		f->resp_upgrade = false;
		f->discard_body = false;
		emit(f, DFL_L7_REQUEST, DFL_L7_FORWARDED, d.rule, NULL, 0, &v);
	} else {
		/* A client waiting for 100 Continue sends no body now, but
		 * might later: closing is the only way to stay in sync with it.
		 */
		bool close = !f->req_keep_alive || f->req_upgrade ||
			     (expects_continue(f) && has_body(&f->req));

		f->discard_body = true;
		emit(f, DFL_L7_REQUEST, DFL_L7_DROPPED, d.rule,
		     d.reason ? d.reason : "no L7 rule matched", 0, &v);
		local_reply(f, 403, f->lim.body_403, close);
	}
	f->ops->done(f->ctx);
	dfl_buf__consume(&f->io.client_in, f->parsed);
	f->parsed = 0;
}

/* ---- driving the parsers ------------------------------------------------- */

static void body_bytes(struct dfl_http_filter *f, size_t n)
{
	if (!f->discard_body &&
	    dfl_buf__append(&f->io.to_server, dfl_buf__data(&f->io.client_in),
			    n))
		f->abort = true;
	dfl_buf__consume(&f->io.client_in, n);
}

static void start_tunnel(struct dfl_http_filter *f)
{
	f->tunnel = true;
	if (dfl_buf__append(&f->io.to_client, dfl_buf__data(&f->io.server_in),
			    dfl_buf__len(&f->io.server_in)) ||
	    dfl_buf__append(&f->io.to_server, dfl_buf__data(&f->io.client_in),
			    dfl_buf__len(&f->io.client_in)))
		f->abort = true;
	dfl_buf__clear(&f->io.server_in);
	dfl_buf__clear(&f->io.client_in);
}

/* Both halves of the exchange are over: get ready for the next request.
 * An Upgrade or CONNECT the server turned down leaves llhttp expecting a
 * tunnel: such connections close after the exchange. */
static void exchange_done(struct dfl_http_filter *f)
{
	if (f->close_after || f->req_upgrade) {
		f->closing = true;
		return;
	}
	if (llhttp_get_errno(&f->req) == HPE_PAUSED)
		llhttp_resume(&f->req);
	f->rq = RQ_IDLE;
	f->rs = RS_NONE;
	f->discard_body = false;
	f->resp_started = false;
	f->req_upgrade = false;
}

static bool stopped(const struct dfl_http_filter *f)
{
	return f->abort || f->closing;
}

/* After the client's EOF: close once nothing buffered can make progress. */
static void eof_check(struct dfl_http_filter *f)
{
	if (!f->client_eof || stopped(f))
		return;
	if (f->tunnel || f->rq == RQ_HEAD ||
	    (f->rq == RQ_IDLE && !dfl_buf__len(&f->io.client_in)))
		f->closing = true;
	else if (f->rq == RQ_BODY && f->discard_body)
		f->closing = true; /* the 403 is all the client gets */
	else if (f->rq == RQ_BODY)
		f->abort = true; /* the server got a torn body */
}

static void parse_client(struct dfl_http_filter *f)
{
	struct dfl_buf *in = &f->io.client_in;

	if (f->tunnel) {
		if (dfl_buf__append(&f->io.to_server, dfl_buf__data(in),
				    dfl_buf__len(in)))
			f->abort = true;
		dfl_buf__clear(in);
		return;
	}
	while (!stopped(f)) {
		const char *data = dfl_buf__data(in);
		llhttp_errno_t err;
		size_t n;

		if (f->rq == RQ_DONE) {
			if (f->rs != RS_LOCAL && f->rs != RS_DONE)
				return; /* one request at a time */
			exchange_done(f);
			continue;
		}
		if (f->rq == RQ_BODY) {
			if (dfl_buf__len(&f->io.to_server) > OUT_HIGH_WATER)
				return;
			err = llhttp_execute(&f->req, data, dfl_buf__len(in));
			n = err == HPE_OK
				? dfl_buf__len(in)
				: (size_t)(llhttp_get_error_pos(&f->req) -
					   data);
			if (err != HPE_OK && err != HPE_PAUSED &&
			    err != HPE_PAUSED_UPGRADE) {
				fail_request(f, 400,
					     llhttp_get_error_reason(&f->req));
				return;
			}
			body_bytes(f, n);
			if (err == HPE_OK)
				return;
			f->rq = RQ_DONE;
			if (!f->req_keep_alive)
				f->close_after = true;
			continue;
		}
		/* RQ_IDLE / RQ_HEAD: feed what llhttp has not seen yet. */
		n = dfl_buf__len(in) - f->parsed;
		if (!n)
			return;
		err = llhttp_execute(&f->req, data + f->parsed, n);
		if (err == HPE_OK) {
			f->parsed += n;
			if (f->parsed > f->lim.max_header_bytes)
				fail_request(f, 431, "request head too large");
			return;
		}
		if (err != HPE_PAUSED) {
			fail_request(f, f->head_error ? f->head_error : 400,
				     f->head_error
					 ? "too many headers"
					 : llhttp_get_error_reason(&f->req));
			return;
		}
		f->parsed = (size_t)(llhttp_get_error_pos(&f->req) - data);
		llhttp_resume(&f->req);
		handle_head(f);
	}
}

void dfl_http_filter__client_data(struct dfl_http_filter *f)
{
	parse_client(f);
	eof_check(f);
}

void dfl_http_filter__server_data(struct dfl_http_filter *f)
{
	struct dfl_buf *in = &f->io.server_in;
	const char *data;
	llhttp_errno_t err;
	size_t n;

	if (f->tunnel) {
		if (dfl_buf__append(&f->io.to_client, dfl_buf__data(in),
				    dfl_buf__len(in)))
			f->abort = true;
		dfl_buf__clear(in);
		return;
	}
	if (!dfl_buf__len(in) || f->abort)
		return;
	if (f->rs != RS_WAIT) {
		/* Bytes nobody asked for: the server is out of step. */
		dfl_buf__clear(in);
		drop_upstream(f);
		return;
	}
	data = dfl_buf__data(in);
	err = llhttp_execute(&f->resp, data, dfl_buf__len(in));
	n = err == HPE_OK ? dfl_buf__len(in)
			  : (size_t)(llhttp_get_error_pos(&f->resp) - data);
	if (err != HPE_OK && err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
		dfl_buf__clear(in);
		dfl_http_filter__upstream_error(f, "upstream protocol error");
		return;
	}
	if (n)
		f->resp_started = true;
	if (dfl_buf__append(&f->io.to_client, data, n))
		f->abort = true;
	dfl_buf__consume(in, n);
	if (err == HPE_OK)
		return;
	if (err == HPE_PAUSED_UPGRADE) {
		start_tunnel(f);
		return;
	}
	/* The response is complete (f->rs == RS_DONE). */
	llhttp_resume(&f->resp);
	if (!llhttp_should_keep_alive(&f->resp)) {
		drop_upstream(f);
		f->close_after = true;
	}
	if (dfl_buf__len(in)) {
		dfl_buf__clear(in);
		drop_upstream(f);
	}
	dfl_http_filter__client_data(f);
}

void dfl_http_filter__client_eof(struct dfl_http_filter *f)
{
	/* Requests already buffered are still answered. */
	f->client_eof = true;
	dfl_http_filter__client_data(f);
}

void dfl_http_filter__server_eof(struct dfl_http_filter *f)
{
	if (f->tunnel) {
		f->closing = true;
		return;
	}
	drop_upstream(f);
	if (f->rs != RS_WAIT)
		return;
	if (f->resp_started && llhttp_message_needs_eof(&f->resp)) {
		/* A response delimited by the end of the connection. */
		llhttp_finish(&f->resp);
		f->close_after = true;
		if (f->rs == RS_DONE) {
			dfl_http_filter__client_data(f);
			return;
		}
	}
	dfl_http_filter__upstream_error(f, "upstream closed the connection");
}

void dfl_http_filter__upstream_error(struct dfl_http_filter *f,
				     const char *reason)
{
	(void)reason;
	drop_upstream(f);
	if (f->tunnel || (f->rs == RS_WAIT && f->resp_started)) {
		f->abort = true;
		return;
	}
	if (f->rs != RS_WAIT)
		return;
	local_reply(
	    f, 503,
	    "upstream connect error or disconnect/reset before headers\r\n",
	    !f->req_keep_alive);
	llhttp_reset(&f->resp);
	dfl_http_filter__client_data(f);
}

void dfl_http_filter__upstream_closed(struct dfl_http_filter *f)
{
	f->close_upstream = false;
	dfl_buf__clear(&f->io.server_in);
	/* A fresh connection starts a fresh response stream. */
	if (f->rs != RS_WAIT)
		llhttp_reset(&f->resp);
}

void dfl_http_filter__timeout(struct dfl_http_filter *f,
			      enum dfl_http_timeout which)
{
	if (which == DFL_HTTP_TIMEOUT_HEAD) {
		fail_request(f, 408, "request head timeout");
		return;
	}
	drop_upstream(f);
	if (f->rs != RS_WAIT || f->resp_started) {
		f->abort = true;
		return;
	}
	local_reply(f, 504, "upstream request timeout\r\n", true);
}

unsigned int dfl_http_filter__status(const struct dfl_http_filter *f)
{
	unsigned int s = 0;

	if (f->abort)
		return DFL_HTTP_ABORT | DFL_HTTP_CLOSE_UPSTREAM;
	if (dfl_buf__len(&f->io.to_server))
		s |= DFL_HTTP_WANT_UPSTREAM;
	if (f->close_upstream)
		s |= DFL_HTTP_CLOSE_UPSTREAM;
	if (f->closing)
		s |= DFL_HTTP_CLOSE_CLIENT;
	return s;
}

enum dfl_http_phase dfl_http_filter__phase(const struct dfl_http_filter *f)
{
	if (f->tunnel)
		return DFL_HTTP_TUNNEL;
	if (f->rs == RS_WAIT)
		return DFL_HTTP_WAIT;
	if (f->rq == RQ_BODY)
		return DFL_HTTP_BODY;
	if (f->rq == RQ_HEAD || f->parsed)
		return DFL_HTTP_HEAD;
	return DFL_HTTP_IDLE;
}

bool dfl_http_filter__wants_client_data(const struct dfl_http_filter *f)
{
	if (stopped(f))
		return false;
	if (dfl_buf__len(&f->io.to_server) > OUT_HIGH_WATER ||
	    dfl_buf__len(&f->io.to_client) > OUT_HIGH_WATER)
		return false;
	/* Keep a pipelined request or so buffered while one is in flight,
	 * and never more than a head's worth unparsed. */
	return dfl_buf__len(&f->io.client_in) <= f->lim.max_header_bytes;
}
