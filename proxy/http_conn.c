/* One redirected HTTP connection: the client socket, the upstream socket
 * and the filter between them (proxy/http_filter.h). Sockets are
 * edge-triggered: readiness is remembered in flags and cleared on EAGAIN. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/http_filter.h"
#include "proxy/internal.h"
#include "proxy/sock.h"
#include "util/log.h"

#define LINGER_MS 2000
/* Rounds of run() per wake-up before yielding to other connections. */
#define MAX_ROUNDS 32

enum timer_kind {
	T_NONE = 0,
	T_IDLE,	    /* inactivity: close */
	T_HEAD,	    /* a head must be complete: 408 */
	T_CONNECT,  /* upstream connect: 503 */
	T_RESPONSE, /* upstream inactivity while a response is due: 504 */
	T_LINGER,   /* draining a closed client */
};

struct http_conn {
	struct dfl_proxy *p;
	struct dfl_ev_io cio, uio; /* client, upstream */
	struct http_conn *prev, *next;
	struct dfl_http_filter *f;
	struct dfl_proxy_conn_info ci;
	/* The resolution of the latest request: matchers held from decide
	 * to done; identities kept for the events that follow. */
	struct dfl_proxy_policy pol;
	struct dfl_http_verdict verdict;
	struct dfl_http_verdict verdict_also; /* of pol.http_also */
	/* Where the next upstream connection goes. */
	struct dfl_sockaddr up_addr, up_bind;
	uint32_t up_mark;
	bool c_rd, c_wr, u_rd, u_wr, u_connecting;
	/* The peer's FIN (or an error) was signalled: read until EOF even
	 * after a short read. */
	bool c_hup, u_hup;
	bool lingering, dead;
	struct dfl_ev_timer timer;
	enum timer_kind tkind;
	uint64_t last_active;
	struct dfl_ev_defer again; /* run() yielded: continue next iteration */
	struct dfl_ev_defer reap;  /* free after the current batch of events */
};

static void run(struct http_conn *c);

/* ---- filter callbacks --------------------------------------------------- */

/* The second rule set of a connection between two endpoints with HTTP
 * rules: a request the first set allowed must pass it too. */
static void decide_also(struct http_conn *c, const struct dfl_http_request_view *req,
			struct dfl_http_decision *d)
{
	struct dfl_http_verdict *v = &c->verdict_also;

	dfl_http_matcher__match(c->pol.http_also, req, v);
	if (!v->allowed) {
		d->allowed = false;
		d->rule = v->rule;
		d->actions = NULL;
		d->n_actions = 0;
		if (v->limit_hit)
			d->reason = "L7 rule evaluation exceeded its budget";
		/* Reported by the endpoint whose rules denied it. */
		c->pol.endpoint_id = c->pol.also_endpoint_id;
		c->pol.direction = c->pol.also_direction;
		return;
	}
	if (!c->pol.http)
		c->verdict.n_actions = 0; /* the first set had no rules to run */
	for (size_t i = 0; i < v->n_actions && c->verdict.n_actions < DFL_HTTP_MAX_ACTIONS; i++)
		c->verdict.actions[c->verdict.n_actions++] = v->actions[i];
	d->actions = c->verdict.actions;
	d->n_actions = c->verdict.n_actions;
}

static void conn_decide(void *ctx, const struct dfl_http_request_view *req,
			struct dfl_http_decision *d)
{
	struct http_conn *c = ctx;
	struct dfl_proxy *p = c->p;

	p->stats.http_requests++;
	dfl_proxy__resolve(p, &c->ci, &c->pol);
	d->rule = -1;
	if (!c->pol.known) {
		d->reason = "no policy for this connection";
	} else if (!c->pol.http) {
		d->allowed = true; /* redirected without HTTP rules */
	} else {
		dfl_http_matcher__match(c->pol.http, req, &c->verdict);
		d->allowed = c->verdict.allowed;
		d->rule = c->verdict.rule;
		d->actions = c->verdict.actions;
		d->n_actions = c->verdict.n_actions;
		if (!d->allowed && c->verdict.limit_hit)
			d->reason = "L7 rule evaluation exceeded its budget";
	}
	if (d->allowed && c->pol.known && c->pol.http_also)
		decide_also(c, req, d);
	if (!d->allowed) {
		p->stats.http_denied++;
		return;
	}
	if (c->uio.fd < 0) {
		c->up_addr = c->pol.upstream;
		c->up_bind = c->pol.bind;
		c->up_mark = dfl_proxy__pol_mark(p, &c->pol);
	}
}

static void conn_done(void *ctx)
{
	struct http_conn *c = ctx;

	dfl_proxy__release(&c->pol);
}

static void conn_event(void *ctx, struct dfl_l7_event *ev)
{
	struct http_conn *c = ctx;

	if (ev->type == DFL_L7_REQUEST && ev->verdict == DFL_L7_ERROR)
		c->p->stats.http_errors++;
	dfl_proxy__emit(c->p, ev, &c->ci, &c->pol);
}

static const struct dfl_http_filter_ops filter_ops = {
    .decide = conn_decide,
    .done = conn_done,
    .event = conn_event,
};

/* ---- life cycle ------------------------------------------------------------
 */

static void reap(struct dfl_ev_defer *d)
{
	struct http_conn *c = dfl_container_of(d, struct http_conn, reap);

	dfl_http_filter__free(c->f);
	free(c);
}

static void close_upstream(struct http_conn *c)
{
	dfl_proxy_loop__close(c->p->loop, &c->uio);
	c->u_rd = c->u_wr = c->u_connecting = c->u_hup = false;
}

static void close_conn(struct http_conn *c)
{
	struct dfl_proxy *p = c->p;

	if (c->dead)
		return;
	c->dead = true;
	dfl_proxy_loop__close(p->loop, &c->cio);
	close_upstream(c);
	dfl_proxy_loop__timer_cancel(p->loop, &c->timer);
	dfl_proxy_loop__undefer(p->loop, &c->again);
	dfl_proxy__release(&c->pol);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->http_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	p->stats.conns_open--;
	dfl_proxy_loop__defer(p->loop, &c->reap);
}

void dfl_http_conn__close_all(struct dfl_proxy *p)
{
	while (p->http_conns) {
		struct http_conn *c = p->http_conns;

		close_conn(c);
		dfl_proxy_loop__undefer(p->loop, &c->reap);
		reap(&c->reap);
	}
}

/* The response (or error) is out: stop sending, drain what the client still
 * sends so that closing does not reset the connection under its last
 * response. */
static void start_linger(struct http_conn *c)
{
	close_upstream(c);
	shutdown(c->cio.fd, SHUT_WR);
	c->lingering = true;
}

static void upstream_failed(struct http_conn *c, const char *why)
{
	char a[64];

	pr_debug("proxy: upstream %s: %s\n",
		 dfl_sockaddr__fmt(&c->up_addr, a, sizeof(a)), why);
	c->p->stats.http_errors++;
	close_upstream(c);
	dfl_http_filter__upstream_error(c->f, why);
}

static void connect_upstream(struct http_conn *c)
{
	const struct dfl_sockaddr *bind =
	    c->up_bind.sa.sa_family != AF_UNSPEC ? &c->up_bind : NULL;
	int fd, err;

	fd = dfl_sock__connect(SOCK_STREAM, &c->up_addr, bind, c->up_mark);
	if (fd < 0) {
		upstream_failed(c, strerror(-fd));
		return;
	}
	c->uio.fd = fd;
	err = dfl_proxy_loop__add(c->p->loop, &c->uio,
				  EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	if (err) {
		upstream_failed(c, strerror(-err));
		return;
	}
	c->u_connecting = true;
}

/* ---- I/O -------------------------------------------------------------------
 */

/* read() into <b>: >0 bytes, 0 EOF, -EAGAIN, or another negative errno. */
static ssize_t fill(struct http_conn *c, int fd, struct dfl_buf *b)
{
	ssize_t n;

	do
		n = read(fd, c->p->scratch, sizeof(c->p->scratch));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (dfl_buf__append(b, c->p->scratch, (size_t)n))
		return -ENOMEM;
	return n;
}

static ssize_t flush(int fd, struct dfl_buf *b)
{
	ssize_t n;

	do
		n = send(fd, dfl_buf__data(b), dfl_buf__len(b), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	dfl_buf__consume(b, (size_t)n);
	return n;
}

static void drain_lingering(struct http_conn *c)
{
	char sink[4096];
	ssize_t n;

	while ((n = read(c->cio.fd, sink, sizeof(sink))) > 0)
		;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		close_conn(c);
	c->c_rd = false;
}

static bool client_side(struct http_conn *c, bool *progress)
{
	struct dfl_http_io *io = dfl_http_filter__io(c->f);
	ssize_t n;

	if (c->c_rd && dfl_http_filter__wants_client_data(c->f)) {
		n = fill(c, c->cio.fd, &io->client_in);
		if (n > 0) {
			/* A short read drained the socket: the next edge says
			 * when there is more, no need for a read to fail. */
			if ((size_t)n < sizeof(c->p->scratch) && !c->c_hup)
				c->c_rd = false;
			dfl_http_filter__client_data(c->f);
			*progress = true;
		} else if (n == 0) {
			c->c_rd = false;
			dfl_http_filter__client_eof(c->f);
			*progress = true;
		} else if (n == -EAGAIN) {
			c->c_rd = false;
		} else {
			return false;
		}
	}
	if (c->c_wr && dfl_buf__len(&io->to_client)) {
		n = flush(c->cio.fd, &io->to_client);
		if (n > 0)
			*progress = true;
		else if (n == -EAGAIN)
			c->c_wr = false;
		else
			return false;
	}
	return true;
}

static void upstream_side(struct http_conn *c, bool *progress)
{
	struct dfl_http_io *io = dfl_http_filter__io(c->f);
	ssize_t n;

	if (c->uio.fd < 0 || c->u_connecting)
		return;
	if (c->u_wr && dfl_buf__len(&io->to_server)) {
		n = flush(c->uio.fd, &io->to_server);
		if (n > 0) {
			*progress = true;
			/* Room again: the filter may take more body. */
			dfl_http_filter__client_data(c->f);
		} else if (n == -EAGAIN) {
			c->u_wr = false;
		} else {
			upstream_failed(c, strerror((int)-n));
			*progress = true;
			return;
		}
	}
	if (c->u_rd &&
	    dfl_buf__len(&io->to_client) < 4 * sizeof(c->p->scratch)) {
		n = fill(c, c->uio.fd, &io->server_in);
		if (n > 0) {
			if ((size_t)n < sizeof(c->p->scratch) && !c->u_hup)
				c->u_rd = false;
			dfl_http_filter__server_data(c->f);
			*progress = true;
		} else if (n == 0) {
			c->u_rd = false;
			dfl_http_filter__server_eof(c->f);
			*progress = true;
		} else if (n == -EAGAIN) {
			c->u_rd = false;
		} else {
			upstream_failed(c, strerror((int)-n));
			*progress = true;
		}
	}
}

/* Picks the timer the connection's state calls for. Inactivity timers are
 * not moved on every byte: they check last_active when they fire. */
static void update_timer(struct http_conn *c)
{
	const struct dfl_proxy_opts *o = &c->p->o;
	enum timer_kind want;
	uint64_t ms;

	if (c->lingering) {
		want = T_LINGER, ms = LINGER_MS;
	} else if (c->u_connecting) {
		want = T_CONNECT, ms = o->connect_timeout_ms;
	} else {
		switch (dfl_http_filter__phase(c->f)) {
		case DFL_HTTP_HEAD:
			want = T_HEAD, ms = o->head_timeout_ms;
			break;
		case DFL_HTTP_WAIT:
			if (o->response_timeout_ms) {
				want = T_RESPONSE, ms = o->response_timeout_ms;
				break;
			}
			/* fall through */
		default:
			want = T_IDLE, ms = o->idle_timeout_ms;
			break;
		}
	}
	if (want == c->tkind)
		return;
	c->tkind = want;
	dfl_proxy_loop__timer_arm(c->p->loop, &c->timer, ms);
}

static void on_timer(struct dfl_ev_timer *t)
{
	struct http_conn *c = dfl_container_of(t, struct http_conn, timer);
	const struct dfl_proxy_opts *o = &c->p->o;
	uint64_t now = dfl_proxy_loop__now_ms(c->p->loop), limit = 0;
	enum timer_kind kind = c->tkind;

	if (kind == T_IDLE)
		limit = o->idle_timeout_ms;
	else if (kind == T_RESPONSE)
		limit = o->response_timeout_ms;
	if (limit && now - c->last_active < limit) {
		dfl_proxy_loop__timer_arm(c->p->loop, t,
					  limit - (now - c->last_active));
		return;
	}
	c->tkind = T_NONE;
	switch (kind) {
	case T_HEAD:
		dfl_http_filter__timeout(c->f, DFL_HTTP_TIMEOUT_HEAD);
		break;
	case T_RESPONSE:
		c->p->stats.http_errors++;
		dfl_http_filter__timeout(c->f, DFL_HTTP_TIMEOUT_RESPONSE);
		break;
	case T_CONNECT:
		upstream_failed(c, "connect timeout");
		break;
	default:
		close_conn(c);
		return;
	}
	run(c);
}

static void run(struct http_conn *c)
{
	int round;

	for (round = 0; round < MAX_ROUNDS && !c->dead; round++) {
		struct dfl_http_io *io = dfl_http_filter__io(c->f);
		bool progress = false;
		unsigned int st;

		if (c->lingering) {
			if (c->c_rd)
				drain_lingering(c);
			break; /* the linger timer still has to be set */
		}
		if (!client_side(c, &progress)) {
			close_conn(c);
			return;
		}
		st = dfl_http_filter__status(c->f);
		if (st & DFL_HTTP_ABORT) {
			close_conn(c);
			return;
		}
		if (st & DFL_HTTP_CLOSE_UPSTREAM) {
			close_upstream(c);
			dfl_http_filter__upstream_closed(c->f);
			progress = true;
		}
		if ((dfl_http_filter__status(c->f) & DFL_HTTP_WANT_UPSTREAM) &&
		    c->uio.fd < 0) {
			connect_upstream(c);
			progress = true;
		}
		upstream_side(c, &progress);
		st = dfl_http_filter__status(c->f);
		if ((st & DFL_HTTP_CLOSE_CLIENT) &&
		    !dfl_buf__len(&io->to_client)) {
			start_linger(c);
			progress = true;
		}
		if (progress)
			c->last_active = dfl_proxy_loop__now_ms(c->p->loop);
		else
			break;
	}
	if (c->dead)
		return;
	if (round == MAX_ROUNDS)
		dfl_proxy_loop__defer(c->p->loop, &c->again);
	update_timer(c);
}

static void run_again(struct dfl_ev_defer *d)
{
	run(dfl_container_of(d, struct http_conn, again));
}

static void client_io(struct dfl_ev_io *io, uint32_t events)
{
	struct http_conn *c = dfl_container_of(io, struct http_conn, cio);

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->c_rd = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->c_hup = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->c_wr = true;
	run(c);
}

static void upstream_io(struct dfl_ev_io *io, uint32_t events)
{
	struct http_conn *c = dfl_container_of(io, struct http_conn, uio);

	if (c->u_connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) ||
		    err) {
			upstream_failed(c, strerror(err ? err : errno));
			run(c);
			return;
		}
		c->u_connecting = false;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->u_rd = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->u_hup = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->u_wr = true;
	run(c);
}

void dfl_http_conn__accept(struct dfl_proxy *p, struct listener *l, int fd)
{
	struct dfl_http_filter_limits lim = {
	    .max_header_bytes = p->o.max_header_bytes,
	    .max_headers = p->o.max_headers,
	    .body_403 = p->body_403,
	};
	struct http_conn *c = calloc(1, sizeof(*c));
	char authority[64];
	int err;

	if (!c)
		goto fail;
	c->p = p;
	c->cio = (struct dfl_ev_io){fd, client_io};
	c->uio = (struct dfl_ev_io){-1, upstream_io};
	c->timer.fn = on_timer;
	c->again.fn = run_again;
	c->reap.fn = reap;
	c->ci.ip_proto = IPPROTO_TCP;
	c->ci.l7 = DFL_L7_PROTO_HTTP;
	c->ci.listener_port = dfl_sockaddr__port(&l->addr);
	if (dfl_proxy__conn_addrs(fd, &c->ci))
		goto fail;
	/* Responses go out in one send: no reason to let Nagle hold them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	c->f = dfl_http_filter__new(
	    &filter_ops, c, &lim,
	    dfl_sockaddr__fmt(&c->ci.orig_dst, authority, sizeof(authority)));
	if (!c->f)
		goto fail;
	err = dfl_proxy_loop__add(p->loop, &c->cio,
				  EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	if (err)
		goto fail;
	c->next = p->http_conns;
	if (c->next)
		c->next->prev = c;
	p->http_conns = c;
	p->stats.conns_open++;
	c->last_active = dfl_proxy_loop__now_ms(p->loop);
	update_timer(c);
	return;
fail:
	pr_warn("proxy: dropping connection: %s\n",
		strerror(errno ? errno : ENOMEM));
	if (c)
		dfl_http_filter__free(c->f);
	free(c);
	close(fd);
}
