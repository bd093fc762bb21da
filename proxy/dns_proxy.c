/* The DNS side of the proxy: queries arrive on transparent UDP and TCP
 * listeners; Question[0] is checked against the rules; denied queries get
 * REFUSED (or NXDOMAIN) with the query's id and question; allowed ones go to
 * the original resolver and the answer is relayed once its names and IPs
 * have been reported (opts.on_dns, opts.fqdn_cache).
 *
 * UDP queries share one upstream socket per (source address, resolver,
 * mark): each forwarded query gets a fresh random id on it, mapped back to
 * the client's id when the answer comes, and an answer is only accepted if
 * its question is the one asked. Answers to a UDP client leave from the
 * original destination (a transparent socket bound to it), so that the
 * client sees its resolver answer. Datagrams are received and sent in
 * batches (recvmmsg/sendmmsg). TCP lives in dns_tcp.c. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "policy/l7_match.h"
#include "proxy/dns_int.h"
#include "proxy/fqdn_cache.h"
#include "proxy/sock.h"
#include "util/log.h"

#define UP_TAB		1024  /* id hash buckets per upstream socket */
#define UP_MAX_INFLIGHT 16384 /* per upstream socket */
#define ROUNDS		4     /* recvmmsg calls per wake-up before yielding */
#define DNS_POOL	4096  /* transactions kept for reuse */

struct dns_upstream {
	struct dfl_ev_io io;
	struct dns_state *d;
	struct dfl_sockaddr addr, bind;
	uint32_t mark;
	struct dns_txn *tab[UP_TAB];
	size_t inflight;
	struct dfl_ev_defer again;
	struct dns_upstream *next;
};

/* A socket bound (transparently) to an original destination, to answer
 * UDP clients from the address they asked. */
struct reply_sock {
	struct dfl_sockaddr addr;
	int fd;
	struct reply_sock *next;
};

/* ---- small helpers ------------------------------------------------------ */

static uint16_t rand16(struct dns_state *d)
{
	/* xorshift64*, seeded from the kernel: ids must be unguessable by an
	 * off-path attacker. */
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return (uint16_t)((d->rng * 2685821657736338717ull) >> 48);
}

static uint64_t wall_s(void)
{
	return (uint64_t)time(NULL);
}

/* Allowed? Sets *sel and *reason. */
static bool decide(const struct dfl_proxy_policy *pol,
		   const struct dfl_dns_query *q, int *sel, const char **reason)
{
	int r;

	*sel = -1;
	*reason = NULL;
	if (!pol->known) {
		*reason = "no policy for this connection";
		return false;
	}
	if (!pol->dns)
		return true; /* redirected without DNS rules */
	r = dfl_dns_matcher__match(pol->dns, q->name, q->name_len);
	if (r >= 0)
		*sel = r;
	if (r >= 0 || r == DFL_DNS_MATCH_EMPTY)
		return true;
	*reason = "no DNS rule matched";
	return false;
}

static void emit_query(struct dfl_proxy *p,
		       const struct dfl_proxy_conn_info *ci,
		       const struct dfl_proxy_policy *pol,
		       const struct dfl_dns_query *q, enum dfl_l7_verdict v,
		       int sel, const char *reason)
{
	char tbuf[16];
	const char *qtype = dfl_dns_type__name(q->qtype, tbuf, sizeof(tbuf));
	struct dfl_l7_event ev = {
	    .type = DFL_L7_REQUEST,
	    .proto = DFL_L7_PROTO_DNS,
	    .verdict = v,
	    .rule = sel,
	    .reason = reason,
	};

	ev.dns.query = q->name;
	ev.dns.qtypes = &qtype;
	ev.dns.n_qtypes = 1;
	dfl_proxy__emit(p, &ev, ci, pol);
}

static void emit_answer(struct dns_txn *t, const struct dfl_dns_answer *a,
			enum dfl_l7_verdict v, const char *reason)
{
	char tbuf[16], rbuf[DFL_DNS_MAX_TYPES][16];
	const char *qtype = dfl_dns_type__name(t->q.qtype, tbuf, sizeof(tbuf));
	const char *cnames[DFL_DNS_MAX_CNAMES], *rrtypes[DFL_DNS_MAX_TYPES];
	struct dfl_l7_event ev = {
	    .type = DFL_L7_RESPONSE,
	    .proto = DFL_L7_PROTO_DNS,
	    .verdict = v,
	    .rule = t->selector,
	    .reason = reason,
	};
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ev.latency_ns = (uint64_t)(now.tv_sec - t->t0.tv_sec) * 1000000000u +
			(uint64_t)(now.tv_nsec - t->t0.tv_nsec);
	ev.dns.query = t->q.name;
	ev.dns.qtypes = &qtype;
	ev.dns.n_qtypes = 1;
	if (a) {
		for (size_t i = 0; i < a->n_cnames; i++)
			cnames[i] = a->cnames[i];
		for (size_t i = 0; i < a->n_rrtypes; i++)
			rrtypes[i] = dfl_dns_type__name(a->rrtypes[i], rbuf[i],
							sizeof(rbuf[i]));
		ev.dns.rcode = a->rcode;
		ev.dns.ips = a->ips;
		ev.dns.n_ips = a->n_ips;
		ev.dns.ttl = a->ttl;
		ev.dns.cnames = cnames;
		ev.dns.n_cnames = a->n_cnames;
		ev.dns.rrtypes = rrtypes;
		ev.dns.n_rrtypes = a->n_rrtypes;
	} else {
		ev.dns.rcode = DFL_DNS_RCODE_SERVFAIL;
	}
	dfl_proxy__emit(t->d->p, &ev, &t->ci, &t->pol);
}

/* Reports what an allowed answer taught us, before the client sees it. */
static void learn(struct dns_txn *t, const struct dfl_dns_answer *a)
{
	struct dfl_proxy *p = t->d->p;
	const char *cnames[DFL_DNS_MAX_CNAMES];
	struct dfl_dns_learned l = {
	    .name = t->q.name,
	    .ips = a->ips,
	    .n_ips = a->n_ips,
	    .ttl = a->ttl < p->o.dns_min_ttl ? p->o.dns_min_ttl : a->ttl,
	    .cnames = cnames,
	    .n_cnames = a->n_cnames,
	    .endpoint_id = t->pol.endpoint_id,
	    .src_identity = t->pol.src_identity,
	    .cookie = t->pol.cookie,
	    .selector = t->selector,
	};
	int err;

	if (a->rcode != DFL_DNS_RCODE_NOERROR || !a->n_ips)
		return;
	for (size_t i = 0; i < a->n_cnames; i++)
		cnames[i] = a->cnames[i];
	if (p->o.fqdn_cache &&
	    dfl_fqdn_cache__update(p->o.fqdn_cache, l.endpoint_id, l.name,
				   l.ips, l.n_ips, l.ttl, wall_s()))
		pr_warn("proxy: no memory to record %s\n", l.name);
	if (p->o.on_dns) {
		err = p->o.on_dns(p->o.dns_ctx, &l);
		if (err)
			pr_warn("proxy: DNS answer for %s not applied: %s\n",
				l.name, strerror(-err));
	}
}

/* ---- sending: batched ------------------------------------------------------
 */

void dns_flush(struct dns_state *d)
{
	struct mmsghdr mh[DNS_VEC];
	struct iovec iov[DNS_VEC];
	size_t i = 0;

	while (i < d->n_pending) {
		size_t k = i, n;
		int sent;

		/* one sendmmsg() per run of datagrams for the same socket */
		while (k < d->n_pending &&
		       d->pending[k].fd == d->pending[i].fd) {
			struct dns_out *o = &d->pending[k];

			iov[k] = (struct iovec){(void *)o->data, o->len};
			mh[k] = (struct mmsghdr){
			    .msg_hdr = {
				.msg_name = o->to.sa.sa_family ? &o->to : NULL,
				.msg_namelen = o->to.sa.sa_family
						   ? dfl_sockaddr__len(&o->to)
						   : 0,
				.msg_iov = &iov[k],
				.msg_iovlen = 1}};
			k++;
		}
		n = k - i;
		sent = sendmmsg(d->pending[i].fd, &mh[i], (unsigned int)n,
				MSG_NOSIGNAL);
		/* UDP: what the socket cannot take now is lost, as on the
		 * wire; clients retry. */
		if (sent < (int)n)
			pr_debug("proxy: %zu DNS datagrams not sent: %s\n",
				 n - (size_t)(sent > 0 ? sent : 0),
				 strerror(sent < 0 ? errno : EAGAIN));
		i = k;
	}
	d->n_pending = 0;
	d->n_store = 0;
}

/* Queues <msg> for <fd> (to <to>, or NULL on a connected socket). <msg>
 * must stay valid until dns_flush(), unless <copy>. */
static void queue_send(struct dns_state *d, int fd,
		       const struct dfl_sockaddr *to, const uint8_t *msg,
		       size_t len, bool copy)
{
	struct dns_out *o;

	if (copy && len > sizeof(d->store[0])) {
		/* rare (a long question): not worth batching */
		if (to)
			sendto(fd, msg, len, MSG_NOSIGNAL, &to->sa,
			       dfl_sockaddr__len(to));
		else
			send(fd, msg, len, MSG_NOSIGNAL);
		return;
	}
	if (d->n_pending == DNS_VEC)
		dns_flush(d);
	if (copy) {
		memcpy(d->store[d->n_store], msg, len);
		msg = d->store[d->n_store++];
	}
	o = &d->pending[d->n_pending++];
	o->fd = fd;
	o->data = msg;
	o->len = len;
	if (to)
		o->to = *to;
	else
		o->to.sa.sa_family = AF_UNSPEC;
}

static int reply_fd(struct dns_state *d, struct listener *l,
		    const struct dfl_sockaddr *from)
{
	struct reply_sock *r;
	int fd, one = 1, small = 4096;

	/* Not redirected (sent to the listener's own port): answer from the
	 * listener. A second socket on that port would steal its queries. */
	if (dfl_sockaddr__port(from) == dfl_sockaddr__port(&l->addr))
		return l->io.fd;
	for (r = d->replies; r; r = r->next)
		if (dfl_sockaddr__equal(&r->addr, from))
			return r->fd;
	fd = socket(from->sa.sa_family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (from->sa.sa_family == AF_INET6)
		setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
	else
		setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
	if (bind(fd, &from->sa, dfl_sockaddr__len(from))) {
		int err = -errno;

		close(fd);
		return err;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->addr = *from;
	r->fd = fd;
	r->next = d->replies;
	d->replies = r;
	return fd;
}

static void udp_send(struct dns_state *d, struct listener *l,
		     const struct dfl_proxy_conn_info *ci, const uint8_t *msg,
		     size_t len, bool copy)
{
	int fd = reply_fd(d, l, &ci->orig_dst);
	char a[64];

	if (fd < 0) {
		pr_debug(
		    "proxy: cannot answer %s from its resolver's address: %s\n",
		    dfl_sockaddr__fmt(&ci->client, a, sizeof(a)),
		    strerror(-fd));
		return;
	}
	queue_send(d, fd, &ci->client, msg, len, copy);
}

/* ---- transactions -------------------------------------------------------- */

static void fifo_expire(struct dfl_ev_timer *tm)
{
	struct dns_state *d =
	    dfl_container_of(tm, struct dns_state, fifo_timer);
	uint64_t now = dfl_proxy_loop__now_ms(d->p->loop);

	while (d->fifo_head && d->fifo_head->deadline_ms <= now)
		dns_txn_fail(d->fifo_head, "upstream DNS timeout");
	if (d->fifo_head)
		dfl_proxy_loop__timer_arm(d->p->loop, tm,
					  d->fifo_head->deadline_ms - now);
	dns_flush(d);
}

void dns_fifo_add(struct dns_state *d, struct dns_txn *t)
{
	t->deadline_ms =
	    dfl_proxy_loop__now_ms(d->p->loop) + d->p->o.dns_timeout_ms;
	t->fnext = NULL;
	t->fprev = d->fifo_tail;
	if (d->fifo_tail)
		d->fifo_tail->fnext = t;
	else
		d->fifo_head = t;
	d->fifo_tail = t;
	/* Deadlines only grow along the FIFO: the timer set for the head
	 * stays right; it re-arms itself for the next head. */
	if (!d->fifo_timer.idx)
		dfl_proxy_loop__timer_arm(d->p->loop, &d->fifo_timer,
					  d->p->o.dns_timeout_ms);
}

static void fifo_unlink(struct dns_state *d, struct dns_txn *t)
{
	if (t->deadline_ms == 0)
		return; /* never queued */
	if (t->fprev)
		t->fprev->fnext = t->fnext;
	else
		d->fifo_head = t->fnext;
	if (t->fnext)
		t->fnext->fprev = t->fprev;
	else
		d->fifo_tail = t->fprev;
	t->deadline_ms = 0;
}

void dns_txn_free(struct dns_txn *t)
{
	struct dns_state *d = t->d;
	struct dns_txn **pp = NULL;

	if (t->up) {
		pp = &t->up->tab[t->up_id % UP_TAB];
		t->up->inflight--;
	} else if (t->tc) {
		pp = &t->tc->txns;
	}
	for (; pp && *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	fifo_unlink(d, t);
	if (d->n_free < DNS_POOL) {
		t->next = d->free_txns;
		d->free_txns = t;
		d->n_free++;
	} else {
		free(t);
	}
}

/* Sends <msg> (already carrying the client's id) to the client of <t>;
 * <copy> when <msg> is a scratch buffer. */
static void txn_reply(struct dns_txn *t, const uint8_t *msg, size_t len,
		      bool copy)
{
	if (t->tc)
		dns_tcp_answer(t->tc, msg, len);
	else
		udp_send(t->d, t->l, &t->ci, msg, len, copy);
}

void dns_txn_fail(struct dns_txn *t, const char *why)
{
	struct dns_state *d = t->d;

	d->p->stats.dns_errors++;
	emit_answer(t, NULL, DFL_L7_ERROR, why);
	if (t->q_len) {
		/* SERVFAIL with the question we kept: the query is gone. */
		memset(d->out, 0, 12);
		dfl_dns__set_id(d->out, t->client_id);
		d->out[2] = 0x81; /* QR, RD */
		d->out[3] = 0x80 | DFL_DNS_RCODE_SERVFAIL;
		d->out[5] = 1;
		memcpy(d->out + 12, t->question, t->q_len);
		txn_reply(t, d->out, 12 + t->q_len, true);
	}
	dns_txn_free(t);
}

void dns_txn_answer(struct dns_txn *t, uint8_t *msg, size_t len,
		    const struct dfl_dns_answer *a)
{
	learn(t, a);
	emit_answer(t, a, DFL_L7_FORWARDED, NULL);
	dfl_dns__set_id(msg, t->client_id);
	txn_reply(t, msg, len, false);
	dns_txn_free(t);
}

struct dns_txn *dns_match_answer(struct dns_txn *list, uint16_t id,
				 const uint8_t *msg, size_t len,
				 struct dfl_dns_answer *a, bool *bad)
{
	bool parsed = false;

	for (struct dns_txn *t = list; t; t = t->next) {
		if (t->up_id != id)
			continue;
		if (!parsed) {
			*bad = dfl_dns_answer__parse(msg, len, a) != 0;
			parsed = true;
		}
		if (*bad)
			return t;
		if (a->qtype == t->q.qtype && !strcmp(a->name, t->q.name))
			return t;
	}
	return NULL;
}

/* A new transaction for an allowed query. */
static struct dns_txn *txn_new(struct dns_state *d,
			       const struct dfl_proxy_conn_info *ci,
			       const struct dfl_proxy_policy *pol, int sel,
			       const struct dfl_dns_query *q,
			       const uint8_t *wire)
{
	struct dns_txn *t = d->free_txns;
	size_t qlen = q->question_end - 12;

	if (t) {
		d->free_txns = t->next;
		d->n_free--;
	} else {
		t = malloc(sizeof(*t));
		if (!t)
			return NULL;
	}
	t->d = d;
	t->up = NULL;
	t->l = NULL;
	t->tc = NULL;
	t->next = t->fprev = t->fnext = NULL;
	t->deadline_ms = 0;
	t->ci = *ci;
	t->pol = *pol;
	t->pol.http = NULL;
	t->pol.dns = NULL;
	t->pol.release = NULL;
	t->selector = sel;
	t->client_id = q->id;
	t->up_id = 0;
	memcpy(&t->q, q,
	       offsetof(struct dfl_dns_query, name) + q->name_len + 1);
	t->q.name_len = q->name_len;
	t->q.question_end = q->question_end;
	t->q_len = qlen <= sizeof(t->question) ? qlen : 0;
	memcpy(t->question, wire + 12, t->q_len);
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	return t;
}

/* ---- upstream UDP sockets ------------------------------------------------ */

static void up_ready(struct dfl_ev_io *io, uint32_t events);

static void up_again(struct dfl_ev_defer *df)
{
	struct dns_upstream *up =
	    dfl_container_of(df, struct dns_upstream, again);

	up_ready(&up->io, EPOLLIN);
}

static struct dns_upstream *upstream_get(struct dns_state *d,
					 const struct dfl_proxy_policy *pol,
					 uint32_t mark)
{
	const struct dfl_sockaddr *bind =
	    pol->bind.sa.sa_family != AF_UNSPEC ? &pol->bind : NULL;
	struct dns_upstream *up;
	int fd;

	for (up = d->ups; up; up = up->next)
		if (dfl_sockaddr__equal(&up->addr, &pol->upstream) &&
		    up->mark == mark && up->inflight < UP_MAX_INFLIGHT &&
		    (bind ? dfl_sockaddr__same_ip(&up->bind, bind)
			  : up->bind.sa.sa_family == AF_UNSPEC))
			return up;
	fd = dfl_sock__connect(SOCK_DGRAM, &pol->upstream, bind, mark);
	if (fd < 0)
		return NULL;
	up = calloc(1, sizeof(*up));
	if (!up) {
		close(fd);
		return NULL;
	}
	up->io = (struct dfl_ev_io){fd, up_ready};
	up->d = d;
	up->addr = pol->upstream;
	if (bind)
		up->bind = *bind;
	up->mark = mark;
	up->again.fn = up_again;
	if (dfl_proxy_loop__add(d->p->loop, &up->io, EPOLLIN)) {
		close(fd);
		free(up);
		return NULL;
	}
	up->next = d->ups;
	d->ups = up;
	return up;
}

/* Answers from a resolver, a batch at a time. */
static void up_ready(struct dfl_ev_io *io, uint32_t events)
{
	struct dns_upstream *up = dfl_container_of(io, struct dns_upstream, io);
	struct dns_state *d = up->d;
	struct mmsghdr mh[DNS_VEC];
	struct iovec iov[DNS_VEC];
	struct dfl_dns_answer a;

	(void)events;
	for (int round = 0; round < ROUNDS; round++) {
		int n;

		for (int i = 0; i < DNS_VEC; i++) {
			iov[i] = (struct iovec){d->rx[i], sizeof(d->rx[i])};
			mh[i] = (struct mmsghdr){
			    .msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		n = recvmmsg(io->fd, mh, DNS_VEC, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			/* EAGAIN: done. ECONNREFUSED and friends: the
			 * timeouts answer those queries. */
			if (n < 0 && errno != EAGAIN)
				continue;
			dns_flush(d);
			return;
		}
		for (int i = 0; i < n; i++) {
			uint8_t *msg = d->rx[i];
			size_t len = mh[i].msg_len;
			struct dns_txn *t;
			bool bad = false;

			if (len < 12)
				continue;
			t = dns_match_answer(up->tab[dfl_dns__id(msg) % UP_TAB],
					     dfl_dns__id(msg), msg, len, &a,
					     &bad);
			if (t && bad)
				dns_txn_fail(t,
					     "malformed upstream DNS answer");
			else if (t)
				dns_txn_answer(t, msg, len, &a);
		}
		/* The batch points into d->rx: out before the next read. */
		dns_flush(d);
		if (n < DNS_VEC)
			return;
	}
	dfl_proxy_loop__defer(d->p->loop, &up->again);
}

static void forward_udp(struct dns_state *d, struct dns_txn *t, uint8_t *wire,
			size_t len, uint32_t mark,
			const struct dfl_proxy_policy *pol)
{
	struct dns_upstream *up = upstream_get(d, pol, mark);
	struct dns_txn *o;
	uint16_t id;

	if (!up) {
		dns_txn_fail(t, "cannot reach the upstream DNS server");
		return;
	}
	/* A fresh id not already waiting on this socket. */
	do {
		id = rand16(d);
		for (o = up->tab[id % UP_TAB]; o && o->up_id != id; o = o->next)
			;
	} while (o);
	t->up = up;
	t->up_id = id;
	t->next = up->tab[id % UP_TAB];
	up->tab[id % UP_TAB] = t;
	up->inflight++;
	dfl_dns__set_id(wire, id);
	dns_fifo_add(d, t);
	queue_send(d, up->io.fd, NULL, wire, len, false);
}

static void reply_local(struct dns_state *d, struct listener *l,
			struct dns_tcp *tc,
			const struct dfl_proxy_conn_info *ci,
			const uint8_t *msg, size_t len)
{
	if (tc)
		dns_tcp_answer(tc, msg, len);
	else
		udp_send(d, l, ci, msg, len, true);
}

/* One query from a client (UDP: <l>, TCP: <tc>); <wire> may be changed
 * and must stay valid until dns_flush(). */
void dns_handle_query(struct dns_state *d, struct listener *l,
		      struct dns_tcp *tc, const struct dfl_proxy_conn_info *ci,
		      uint8_t *wire, size_t len)
{
	struct dfl_proxy *p = d->p;
	struct dfl_proxy_policy pol;
	struct dfl_dns_query q;
	const char *reason;
	struct dns_txn *t;
	uint32_t mark;
	int sel, n;

	if (dfl_dns_query__parse(wire, len, &q)) {
		p->stats.dns_errors++;
		n = dfl_dns__reply_formerr(wire, len, d->out, sizeof(d->out));
		if (n > 0)
			reply_local(d, l, tc, ci, d->out, (size_t)n);
		return;
	}
	p->stats.dns_queries++;
	dfl_proxy__resolve(p, ci, &pol);
	if (!decide(&pol, &q, &sel, &reason)) {
		p->stats.dns_denied++;
		emit_query(p, ci, &pol, &q, DFL_L7_DROPPED, sel, reason);
		n = dfl_dns__reply_rcode(wire, &q,
					 p->o.dns_deny_nxdomain
					     ? DFL_DNS_RCODE_NXDOMAIN
					     : DFL_DNS_RCODE_REFUSED,
					 d->out, sizeof(d->out));
		if (n > 0)
			reply_local(d, l, tc, ci, d->out, (size_t)n);
		dfl_proxy__release(&pol);
		return;
	}
	emit_query(p, ci, &pol, &q, DFL_L7_FORWARDED, sel, NULL);
	mark = dfl_proxy__pol_mark(p, &pol);
	/* Only the matchers go: addresses and identities stay in <pol>. */
	dfl_proxy__release(&pol);
	t = txn_new(d, ci, &pol, sel, &q, wire);
	if (!t) {
		p->stats.dns_errors++;
		n = dfl_dns__reply_rcode(wire, &q, DFL_DNS_RCODE_SERVFAIL,
					 d->out, sizeof(d->out));
		if (n > 0)
			reply_local(d, l, tc, ci, d->out, (size_t)n);
		return;
	}
	t->l = l;
	if (tc)
		dns_tcp_forward(tc, t, wire, len, mark, &pol);
	else
		forward_udp(d, t, wire, len, mark, &pol);
}

/* ---- UDP listener ---------------------------------------------------------
 */

/* The original destination of a datagram (IP_ORIGDSTADDR), or the
 * listener's own address when not redirected. */
static void orig_dst(struct msghdr *mh, const struct listener *l,
		     struct dfl_sockaddr *out)
{
	*out = l->addr;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n = c->cmsg_len - CMSG_LEN(0);

		if ((c->cmsg_level == SOL_IP &&
		     c->cmsg_type == IP_ORIGDSTADDR) ||
		    (c->cmsg_level == SOL_IPV6 &&
		     c->cmsg_type == IPV6_ORIGDSTADDR))
			memcpy(out, CMSG_DATA(c),
			       n < sizeof(*out) ? n : sizeof(*out));
	}
}

void dfl_dns_proxy__udp_ready(struct listener *l)
{
	struct dns_state *d = l->p->dns;
	union {
		char buf[CMSG_SPACE(sizeof(struct sockaddr_in6))];
		struct cmsghdr align;
	} ctl[DNS_VEC];
	struct dfl_sockaddr from[DNS_VEC];
	struct mmsghdr mh[DNS_VEC];
	struct iovec iov[DNS_VEC];

	for (int round = 0; round < ROUNDS; round++) {
		int n;

		for (int i = 0; i < DNS_VEC; i++) {
			iov[i] = (struct iovec){d->rx[i], sizeof(d->rx[i])};
			mh[i] = (struct mmsghdr){
			    .msg_hdr = {.msg_name = &from[i],
					.msg_namelen = sizeof(from[i]),
					.msg_iov = &iov[i],
					.msg_iovlen = 1,
					.msg_control = ctl[i].buf,
					.msg_controllen = sizeof(ctl[i].buf)}};
		}
		n = recvmmsg(l->io.fd, mh, DNS_VEC, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct dfl_proxy_conn_info ci = {
			    .ip_proto = IPPROTO_UDP,
			    .l7 = DFL_L7_PROTO_DNS,
			    .listener_port = dfl_sockaddr__port(&l->addr),
			};

			ci.client = from[i];
			orig_dst(&mh[i].msg_hdr, l, &ci.orig_dst);
			dfl_sockaddr__unmap(&ci.client);
			dfl_sockaddr__unmap(&ci.orig_dst);
			dns_handle_query(d, l, NULL, &ci, d->rx[i],
					 mh[i].msg_len);
		}
		/* Forwarded queries point into d->rx: out before reusing it. */
		dns_flush(d);
		if (n < DNS_VEC)
			return;
	}
	dfl_proxy_loop__defer(l->p->loop, &l->again);
}

void dfl_dns_proxy__udp_again(struct dfl_ev_defer *df)
{
	dfl_dns_proxy__udp_ready(dfl_container_of(df, struct listener, again));
}

/* ---- life cycle
 * -------------------------------------------------------------- */

int dfl_dns_proxy__init(struct dfl_proxy *p)
{
	struct dns_state *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->rx = calloc(DNS_VEC, sizeof(*d->rx));
	if (!d->rx) {
		free(d);
		return -ENOMEM;
	}
	d->p = p;
	d->fifo_timer.fn = fifo_expire;
	if (getrandom(&d->rng, sizeof(d->rng), 0) != sizeof(d->rng) || !d->rng)
		d->rng = (uint64_t)time(NULL) * 6364136223846793005ull + 1;
	p->dns = d;
	return 0;
}

void dfl_dns_proxy__free(struct dfl_proxy *p)
{
	struct dns_state *d = p->dns;

	if (!d)
		return;
	dns_tcp_close_all(d);
	while (d->ups) {
		struct dns_upstream *up = d->ups;

		d->ups = up->next;
		for (size_t i = 0; i < UP_TAB; i++)
			while (up->tab[i])
				dns_txn_free(up->tab[i]);
		dfl_proxy_loop__undefer(p->loop, &up->again);
		dfl_proxy_loop__close(p->loop, &up->io);
		free(up);
	}
	while (d->free_txns) {
		struct dns_txn *t = d->free_txns;

		d->free_txns = t->next;
		free(t);
	}
	while (d->replies) {
		struct reply_sock *r = d->replies;

		d->replies = r->next;
		close(r->fd);
		free(r);
	}
	dfl_proxy_loop__timer_cancel(p->loop, &d->fifo_timer);
	free(d->rx);
	free(d);
	p->dns = NULL;
}
