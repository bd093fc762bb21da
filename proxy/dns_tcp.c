/* DNS over TCP (RFC 7766): length-prefixed messages both ways, one upstream
 * TCP connection per client connection (opened with the first allowed
 * query), answers in whatever order the resolver gives them. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "proxy/dns_int.h"
#include "proxy/sock.h"

void dns_tcp_forward(struct dns_tcp *tc, struct dns_txn *t, const uint8_t *wire,
		     size_t len, uint32_t mark,
		     const struct dfl_proxy_policy *pol)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	t->tc = tc;
	t->up_id = t->client_id; /* one upstream connection per client */
	t->next = tc->txns;
	tc->txns = t;
	if (tc->uio.fd < 0) {
		tc->up_addr = pol->upstream;
		tc->up_bind = pol->bind;
		tc->up_mark = mark;
	}
	if (dfl_buf__append(&tc->uout, hdr, 2) ||
	    dfl_buf__append(&tc->uout, wire, len)) {
		dns_txn_fail(t, "out of memory");
		return;
	}
	dns_fifo_add(tc->d, t);
}

static void tcp_reap(struct dfl_ev_defer *df)
{
	struct dns_tcp *tc = dfl_container_of(df, struct dns_tcp, reap);

	dfl_buf__release(&tc->cin);
	dfl_buf__release(&tc->cout);
	dfl_buf__release(&tc->uin);
	dfl_buf__release(&tc->uout);
	free(tc);
}

static void tcp_close(struct dns_tcp *tc)
{
	struct dfl_proxy *p = tc->d->p;

	if (tc->dead)
		return;
	tc->dead = true;
	while (tc->txns)
		dns_txn_free(tc->txns); /* nobody to answer any more */
	dfl_proxy_loop__close(p->loop, &tc->cio);
	dfl_proxy_loop__close(p->loop, &tc->uio);
	dfl_proxy_loop__timer_cancel(p->loop, &tc->timer);
	dfl_proxy_loop__undefer(p->loop, &tc->kick);
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		tc->d->tcps = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	p->stats.conns_open--;
	dfl_proxy_loop__defer(p->loop, &tc->reap);
}

void dns_tcp_answer(struct dns_tcp *tc, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (dfl_buf__append(&tc->cout, hdr, 2) ||
	    dfl_buf__append(&tc->cout, msg, len)) {
		tcp_close(tc);
		return;
	}
	/* From a timeout, outside tcp_run(): get it written. */
	if (!tc->running)
		dfl_proxy_loop__defer(tc->d->p->loop, &tc->kick);
}

/* The upstream connection is gone: every pending query gets SERVFAIL. */
static void tcp_upstream_lost(struct dns_tcp *tc, const char *why)
{
	dfl_proxy_loop__close(tc->d->p->loop, &tc->uio);
	tc->u_rd = tc->u_wr = tc->u_connecting = false;
	dfl_buf__clear(&tc->uin);
	dfl_buf__clear(&tc->uout);
	while (tc->txns)
		dns_txn_fail(tc->txns, why);
}

static ssize_t tcp_fill(int fd, struct dfl_buf *b)
{
	char *dst = dfl_buf__reserve(b, 16384);
	ssize_t n;

	if (!dst)
		return -ENOMEM;
	n = read(fd, dst, 16384);
	if (n < 0)
		return -errno;
	dfl_buf__commit(b, (size_t)n);
	return n;
}

static ssize_t tcp_flush(int fd, struct dfl_buf *b)
{
	ssize_t n = send(fd, dfl_buf__data(b), dfl_buf__len(b), MSG_NOSIGNAL);

	if (n < 0)
		return -errno;
	dfl_buf__consume(b, (size_t)n);
	return n;
}

/* Takes one length-prefixed message out of <b> into <out>: its length, 0
 * when incomplete, -1 when malformed. */
static int tcp_frame(struct dfl_buf *b, uint8_t *out)
{
	const uint8_t *p = (const uint8_t *)dfl_buf__data(b);
	size_t len;

	if (dfl_buf__len(b) < 2)
		return 0;
	len = (size_t)p[0] << 8 | p[1];
	if (len < 12)
		return -1;
	if (dfl_buf__len(b) < 2 + len)
		return 0;
	memcpy(out, p + 2, len);
	dfl_buf__consume(b, 2 + len);
	return (int)len;
}

static bool tcp_client(struct dns_tcp *tc, bool *progress)
{
	struct dns_state *d = tc->d;
	ssize_t n;
	int len = 0;

	if (tc->c_rd && dfl_buf__len(&tc->cout) < 4 * DNS_MSG_MAX) {
		n = tcp_fill(tc->cio.fd, &tc->cin);
		if (n > 0) {
			*progress = true;
		} else if (n == 0) {
			tc->c_eof = true;
			tc->c_rd = false;
		} else if (n == -EAGAIN || n == -EINTR) {
			tc->c_rd = false;
		} else {
			return false;
		}
	}
	while (!tc->dead && (len = tcp_frame(&tc->cin, d->buf)) > 0) {
		dns_handle_query(d, NULL, tc, &tc->ci, d->buf, (size_t)len);
		*progress = true;
	}
	if (len < 0)
		return false;
	if (tc->c_wr && dfl_buf__len(&tc->cout)) {
		n = tcp_flush(tc->cio.fd, &tc->cout);
		if (n > 0)
			*progress = true;
		else if (n == -EAGAIN || n == -EINTR)
			tc->c_wr = false;
		else
			return false;
	}
	return true;
}

static void tcp_upstream(struct dns_tcp *tc, bool *progress)
{
	struct dns_state *d = tc->d;
	struct dfl_dns_answer a;
	ssize_t n;
	int len;

	if (dfl_buf__len(&tc->uout) && tc->uio.fd < 0) {
		const struct dfl_sockaddr *bind =
		    tc->up_bind.sa.sa_family != AF_UNSPEC ? &tc->up_bind : NULL;
		int fd = dfl_sock__connect(SOCK_STREAM, &tc->up_addr, bind,
					   tc->up_mark);

		*progress = true;
		if (fd < 0 ||
		    (tc->uio.fd = fd,
		     dfl_proxy_loop__add(d->p->loop, &tc->uio,
					 EPOLLIN | EPOLLOUT | EPOLLRDHUP))) {
			tcp_upstream_lost(
			    tc, "cannot reach the upstream DNS server");
			return;
		}
		tc->u_connecting = true;
	}
	if (tc->uio.fd < 0 || tc->u_connecting)
		return;
	if (tc->u_wr && dfl_buf__len(&tc->uout)) {
		n = tcp_flush(tc->uio.fd, &tc->uout);
		if (n > 0) {
			*progress = true;
		} else if (n == -EAGAIN || n == -EINTR) {
			tc->u_wr = false;
		} else {
			tcp_upstream_lost(tc, "upstream DNS connection failed");
			*progress = true;
			return;
		}
	}
	if (tc->u_rd) {
		n = tcp_fill(tc->uio.fd, &tc->uin);
		if (n > 0) {
			*progress = true;
		} else if (n == -EAGAIN || n == -EINTR) {
			tc->u_rd = false;
		} else {
			tcp_upstream_lost(tc, "upstream DNS connection closed");
			*progress = true;
			return;
		}
	}
	while ((len = tcp_frame(&tc->uin, d->buf)) > 0) {
		struct dns_txn *t;
		bool bad;

		t = dns_match_answer(tc->txns, dfl_dns__id(d->buf), d->buf,
				     (size_t)len, &a, &bad);
		*progress = true;
		if (t && bad)
			dns_txn_fail(t, "malformed upstream DNS answer");
		else if (t)
			dns_txn_answer(t, d->buf, (size_t)len, &a);
	}
	if (len < 0)
		tcp_upstream_lost(tc, "malformed upstream DNS stream");
}

static void tcp_run(struct dns_tcp *tc)
{
	tc->running = true;
	for (int round = 0; round < 32 && !tc->dead; round++) {
		bool progress = false;

		if (!tcp_client(tc, &progress)) {
			tcp_close(tc);
			break;
		}
		tcp_upstream(tc, &progress);
		if (tc->c_eof && !tc->txns && !dfl_buf__len(&tc->cout)) {
			tcp_close(tc);
			break;
		}
		if (!progress)
			break;
	}
	tc->running = false;
	if (!tc->dead)
		dfl_proxy_loop__timer_arm(tc->d->p->loop, &tc->timer,
					  tc->d->p->o.idle_timeout_ms);
}

static void tcp_idle(struct dfl_ev_timer *tm)
{
	tcp_close(dfl_container_of(tm, struct dns_tcp, timer));
}

static void tcp_kick(struct dfl_ev_defer *df)
{
	tcp_run(dfl_container_of(df, struct dns_tcp, kick));
}

static void tcp_client_io(struct dfl_ev_io *io, uint32_t events)
{
	struct dns_tcp *tc = dfl_container_of(io, struct dns_tcp, cio);

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		tc->c_rd = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		tc->c_wr = true;
	tcp_run(tc);
}

static void tcp_upstream_io(struct dfl_ev_io *io, uint32_t events)
{
	struct dns_tcp *tc = dfl_container_of(io, struct dns_tcp, uio);

	if (tc->u_connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) ||
		    err) {
			tcp_upstream_lost(
			    tc, "cannot reach the upstream DNS server");
			tcp_run(tc);
			return;
		}
		tc->u_connecting = false;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		tc->u_rd = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		tc->u_wr = true;
	tcp_run(tc);
}

void dfl_dns_proxy__accept(struct dfl_proxy *p, struct listener *l, int fd)
{
	struct dns_tcp *tc = calloc(1, sizeof(*tc));

	if (!tc) {
		close(fd);
		return;
	}
	tc->d = p->dns;
	tc->cio = (struct dfl_ev_io){fd, tcp_client_io};
	tc->uio = (struct dfl_ev_io){-1, tcp_upstream_io};
	tc->timer.fn = tcp_idle;
	tc->reap.fn = tcp_reap;
	tc->kick.fn = tcp_kick;
	tc->ci.ip_proto = IPPROTO_TCP;
	tc->ci.l7 = DFL_L7_PROTO_DNS;
	tc->ci.listener_port = dfl_sockaddr__port(&l->addr);
	if (dfl_proxy__conn_addrs(fd, &tc->ci) ||
	    dfl_proxy_loop__add(p->loop, &tc->cio,
				EPOLLIN | EPOLLOUT | EPOLLRDHUP)) {
		close(fd);
		free(tc);
		return;
	}
	tc->next = p->dns->tcps;
	if (tc->next)
		tc->next->prev = tc;
	p->dns->tcps = tc;
	p->stats.conns_open++;
	dfl_proxy_loop__timer_arm(p->loop, &tc->timer, p->o.idle_timeout_ms);
}

void dns_tcp_close_all(struct dns_state *d)
{
	while (d->tcps) {
		struct dns_tcp *tc = d->tcps;

		tcp_close(tc);
		dfl_proxy_loop__undefer(d->p->loop, &tc->reap);
		tcp_reap(&tc->reap);
	}
}
