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
 * client sees its resolver answer. TCP connections get one upstream TCP
 * connection each. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy/l7_match.h"
#include "proxy/buf.h"
#include "proxy/dns_msg.h"
#include "proxy/fqdn_cache.h"
#include "proxy/internal.h"
#include "proxy/sock.h"
#include "util/log.h"

#define MSG_MAX 65535
#define UP_TAB 1024	      /* id hash buckets per upstream socket */
#define UP_MAX_INFLIGHT 16384 /* per upstream socket */
#define BATCH 64	      /* datagrams per wake-up before yielding */

struct dns_upstream;
struct dns_tcp;

/* A query forwarded upstream, waiting for its answer. */
struct dns_txn {
	struct dns_state *d;
	struct dns_upstream *up; /* UDP: the socket it left on */
	struct listener *l;	 /* UDP: where the client asked */
	struct dns_tcp *tc;	 /* TCP: the client connection */
	struct dns_txn *next;	 /* in up->tab[] or tc->txns */
	uint16_t up_id, client_id;
	struct dfl_proxy_conn_info ci;
	struct dfl_proxy_policy pol; /* identities only (matchers released) */
	int selector;
	struct dfl_dns_query q;
	struct timespec t0;
	struct dfl_ev_timer timer;
};

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

struct dns_tcp {
	struct dns_state *d;
	struct dfl_ev_io cio, uio;
	struct dfl_proxy_conn_info ci;
	struct dfl_buf cin, cout, uin, uout;
	bool c_rd, c_wr, u_rd, u_wr, u_connecting, c_eof, dead;
	struct dfl_sockaddr up_addr, up_bind;
	uint32_t up_mark;
	struct dns_txn *txns;
	struct dfl_ev_timer timer;
	struct dfl_ev_defer reap;
	struct dns_tcp *prev, *next;
};

struct dns_state {
	struct dfl_proxy *p;
	struct dns_upstream *ups;
	struct reply_sock *replies;
	struct dns_tcp *tcps;
	uint64_t rng;
	uint8_t buf[MSG_MAX + 1];
	uint8_t out[MSG_MAX + 1];
};

static void txn_free(struct dns_txn *t);

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

static void emit_query(struct dfl_proxy *p, const struct dfl_proxy_conn_info *ci,
		       const struct dfl_proxy_policy *pol,
		       const struct dfl_dns_query *q, enum dfl_l7_verdict v,
		       int sel, const char *reason)
{
	char tbuf[16];
	const char *qtype = dfl_dns_type__name(q->qtype, tbuf, sizeof(tbuf));
	struct dfl_l7_event ev = {
		.type = DFL_L7_REQUEST, .proto = DFL_L7_PROTO_DNS, .verdict = v,
		.rule = sel, .reason = reason,
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
		.type = DFL_L7_RESPONSE, .proto = DFL_L7_PROTO_DNS, .verdict = v,
		.rule = t->selector, .reason = reason,
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
		.name = t->q.name, .ips = a->ips, .n_ips = a->n_ips,
		.ttl = a->ttl < p->o.dns_min_ttl ? p->o.dns_min_ttl : a->ttl,
		.cnames = cnames, .n_cnames = a->n_cnames,
		.endpoint_id = t->pol.endpoint_id,
		.src_identity = t->pol.src_identity, .cookie = t->pol.cookie,
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

/* ---- answering UDP clients ------------------------------------------- */

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
	fd = socket(from->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
		     size_t len)
{
	int fd = reply_fd(d, l, &ci->orig_dst);
	char a[64];

	if (fd < 0 || sendto(fd, msg, len, MSG_NOSIGNAL, &ci->client.sa,
			     dfl_sockaddr__len(&ci->client)) < 0)
		pr_debug("proxy: DNS reply to %s failed: %s\n",
			 dfl_sockaddr__fmt(&ci->client, a, sizeof(a)),
			 strerror(fd < 0 ? -fd : errno));
}

/* ---- transactions -------------------------------------------------------- */

static void tcp_answer(struct dns_tcp *tc, const uint8_t *msg, size_t len);
static void tcp_run(struct dns_tcp *tc);

/* Sends <msg> (already carrying the client's id) to the client of <t>. */
static void txn_reply(struct dns_txn *t, const uint8_t *msg, size_t len)
{
	if (t->tc)
		tcp_answer(t->tc, msg, len);
	else
		udp_send(t->d, t->l, &t->ci, msg, len);
}

/* The resolver failed us: SERVFAIL, reported as an error. */
static void txn_fail(struct dns_txn *t, const char *why)
{
	struct dns_state *d = t->d;
	int n;

	d->p->stats.dns_errors++;
	emit_answer(t, NULL, DFL_L7_ERROR, why);
	/* Rebuild from the question we kept: the query bytes are gone. */
	memset(d->out, 0, 12);
	dfl_dns__set_id(d->out, t->client_id);
	d->out[2] = 0x81; /* QR, RD */
	d->out[3] = 0x80 | DFL_DNS_RCODE_SERVFAIL;
	n = (int)t->q.question_end - 12;
	if (n > 0 && (size_t)n <= sizeof(t->q.name)) {
		/* the question's wire bytes were stashed after the name */
		memcpy(d->out + 12, t->q.name + t->q.name_len + 1, (size_t)n);
		d->out[5] = 1;
		txn_reply(t, d->out, 12 + (size_t)n);
	}
	txn_free(t);
}

static void txn_timeout(struct dfl_ev_timer *tm)
{
	struct dns_txn *t = dfl_container_of(tm, struct dns_txn, timer);

	txn_fail(t, "upstream DNS timeout");
}

/* Unlinks <t> from wherever it waits and frees it. */
static void txn_free(struct dns_txn *t)
{
	struct dns_txn **pp;

	if (t->up) {
		pp = &t->up->tab[t->up_id % UP_TAB];
		t->up->inflight--;
	} else if (t->tc) {
		pp = &t->tc->txns;
	} else {
		pp = NULL; /* never sent */
	}
	for (; pp && *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	dfl_proxy_loop__timer_cancel(t->d->p->loop, &t->timer);
	free(t);
}

/* An answer for <t>: learn, report, relay with the client's id. */
static void txn_answer(struct dns_txn *t, uint8_t *msg, size_t len,
		       const struct dfl_dns_answer *a)
{
	learn(t, a);
	emit_answer(t, a, DFL_L7_FORWARDED, NULL);
	dfl_dns__set_id(msg, t->client_id);
	txn_reply(t, msg, len);
	txn_free(t);
}

/* Parses <msg> as the answer to one of <list>'s transactions (same id and
 * question). Returns the transaction, or NULL (unknown or forged). */
static struct dns_txn *match_answer(struct dns_txn *list, uint16_t id,
				    const uint8_t *msg, size_t len,
				    struct dfl_dns_answer *a, bool *bad)
{
	*bad = dfl_dns_answer__parse(msg, len, a) != 0;
	for (struct dns_txn *t = list; t; t = t->next) {
		if (t->up_id != id)
			continue;
		if (*bad)
			return t;
		if (a->qtype == t->q.qtype && !strcmp(a->name, t->q.name))
			return t;
	}
	return NULL;
}

/* A new transaction for an allowed query; the question's wire bytes are
 * stashed after the name so that a SERVFAIL can be built later. */
static struct dns_txn *txn_new(struct dns_state *d,
			       const struct dfl_proxy_conn_info *ci,
			       const struct dfl_proxy_policy *pol, int sel,
			       const struct dfl_dns_query *q, const uint8_t *wire)
{
	struct dns_txn *t = calloc(1, sizeof(*t));
	size_t qlen = q->question_end - 12;

	if (!t)
		return NULL;
	t->d = d;
	t->ci = *ci;
	t->pol = *pol;
	t->pol.http = NULL;
	t->pol.dns = NULL;
	t->pol.release = NULL;
	t->selector = sel;
	t->q = *q;
	t->client_id = q->id;
	if (q->name_len + 1 + qlen <= sizeof(t->q.name))
		memcpy(t->q.name + q->name_len + 1, wire + 12, qlen);
	else
		t->q.question_end = 0;
	t->timer.fn = txn_timeout;
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	return t;
}

/* ---- upstream UDP sockets ------------------------------------------------ */

static void up_ready(struct dfl_ev_io *io, uint32_t events);

static void up_again(struct dfl_ev_defer *df)
{
	struct dns_upstream *up = dfl_container_of(df, struct dns_upstream, again);

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
		    (bind ? dfl_sockaddr__same_ip(&up->bind, bind) :
			    up->bind.sa.sa_family == AF_UNSPEC))
			return up;
	fd = dfl_sock__connect(SOCK_DGRAM, &pol->upstream, bind, mark);
	if (fd < 0)
		return NULL;
	up = calloc(1, sizeof(*up));
	if (!up) {
		close(fd);
		return NULL;
	}
	up->io = (struct dfl_ev_io){ fd, up_ready };
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

static void up_ready(struct dfl_ev_io *io, uint32_t events)
{
	struct dns_upstream *up = dfl_container_of(io, struct dns_upstream, io);
	struct dns_state *d = up->d;
	struct dfl_dns_answer a;

	(void)events;
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(io->fd, d->buf, sizeof(d->buf), 0);
		struct dns_txn *t;
		bool bad;

		if (n < 0) {
			/* ECONNREFUSED and friends: the timeout answers */
			if (errno == EAGAIN)
				return;
			continue;
		}
		if (n < 12)
			continue;
		t = match_answer(up->tab[dfl_dns__id(d->buf) % UP_TAB],
				 dfl_dns__id(d->buf), d->buf, (size_t)n, &a, &bad);
		if (!t)
			continue;
		if (bad)
			txn_fail(t, "malformed upstream DNS answer");
		else
			txn_answer(t, d->buf, (size_t)n, &a);
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
		txn_fail(t, "cannot reach the upstream DNS server");
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
	if (send(up->io.fd, wire, len, MSG_NOSIGNAL) < 0) {
		txn_fail(t, "cannot reach the upstream DNS server");
		return;
	}
	dfl_proxy_loop__timer_arm(d->p->loop, &t->timer, d->p->o.dns_timeout_ms);
}

static void forward_tcp(struct dns_tcp *tc, struct dns_txn *t,
			const uint8_t *wire, size_t len, uint32_t mark,
			const struct dfl_proxy_policy *pol)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };

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
		txn_fail(t, "out of memory");
		return;
	}
	dfl_proxy_loop__timer_arm(tc->d->p->loop, &t->timer, tc->d->p->o.dns_timeout_ms);
}

static void reply_local(struct dns_state *d, struct listener *l,
			struct dns_tcp *tc, const struct dfl_proxy_conn_info *ci,
			const uint8_t *msg, size_t len)
{
	if (tc)
		tcp_answer(tc, msg, len);
	else
		udp_send(d, l, ci, msg, len);
}

/* One query from a client (UDP: <l>, TCP: <tc>); <wire> may be changed. */
static void handle_query(struct dns_state *d, struct listener *l,
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
					 p->o.dns_deny_nxdomain ?
						 DFL_DNS_RCODE_NXDOMAIN :
						 DFL_DNS_RCODE_REFUSED,
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
		forward_tcp(tc, t, wire, len, mark, &pol);
	else
		forward_udp(d, t, wire, len, mark, &pol);
}

/* ---- UDP listener --------------------------------------------------------- */

void dfl_dns_proxy__udp_ready(struct listener *l)
{
	struct dns_state *d = l->p->dns;

	for (int i = 0; i < BATCH; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct sockaddr_in6))];
			struct cmsghdr align;
		} ctl;
		struct dfl_proxy_conn_info ci = {
			.ip_proto = IPPROTO_UDP, .l7 = DFL_L7_PROTO_DNS,
			.listener_port = dfl_sockaddr__port(&l->addr),
		};
		struct iovec iov = { d->buf, sizeof(d->buf) };
		struct msghdr mh = {
			.msg_name = &ci.client, .msg_namelen = sizeof(ci.client),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n = recvmsg(l->io.fd, &mh, 0);

		if (n < 0) {
			if (errno == EAGAIN)
				return;
			continue;
		}
		ci.orig_dst = l->addr;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR) ||
			    (c->cmsg_level == SOL_IPV6 &&
			     c->cmsg_type == IPV6_ORIGDSTADDR))
				memcpy(&ci.orig_dst, CMSG_DATA(c),
				       c->cmsg_len - CMSG_LEN(0) < sizeof(ci.orig_dst) ?
					       c->cmsg_len - CMSG_LEN(0) :
					       sizeof(ci.orig_dst));
		}
		dfl_sockaddr__unmap(&ci.client);
		dfl_sockaddr__unmap(&ci.orig_dst);
		handle_query(d, l, NULL, &ci, d->buf, (size_t)n);
	}
	dfl_proxy_loop__defer(l->p->loop, &l->again);
}

void dfl_dns_proxy__udp_again(struct dfl_ev_defer *df)
{
	dfl_dns_proxy__udp_ready(dfl_container_of(df, struct listener, again));
}

/* ---- TCP connections ------------------------------------------------------- */

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
	while (tc->txns) {
		struct dns_txn *t = tc->txns;

		t->tc = NULL; /* nobody to answer */
		tc->txns = t->next;
		dfl_proxy_loop__timer_cancel(p->loop, &t->timer);
		free(t);
	}
	dfl_proxy_loop__close(p->loop, &tc->cio);
	dfl_proxy_loop__close(p->loop, &tc->uio);
	dfl_proxy_loop__timer_cancel(p->loop, &tc->timer);
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		tc->d->tcps = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	p->stats.conns_open--;
	dfl_proxy_loop__defer(p->loop, &tc->reap);
}

static void tcp_answer(struct dns_tcp *tc, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	if (dfl_buf__append(&tc->cout, hdr, 2) ||
	    dfl_buf__append(&tc->cout, msg, len))
		tcp_close(tc);
}

/* The upstream connection is gone: every pending query gets SERVFAIL. */
static void tcp_upstream_lost(struct dns_tcp *tc, const char *why)
{
	dfl_proxy_loop__close(tc->d->p->loop, &tc->uio);
	tc->u_rd = tc->u_wr = tc->u_connecting = false;
	dfl_buf__clear(&tc->uin);
	dfl_buf__clear(&tc->uout);
	while (tc->txns)
		txn_fail(tc->txns, why);
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

	if (tc->c_rd && dfl_buf__len(&tc->cout) < 4 * MSG_MAX) {
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
		handle_query(d, NULL, tc, &tc->ci, d->buf, (size_t)len);
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
		if (fd < 0 || (tc->uio.fd = fd,
			       dfl_proxy_loop__add(d->p->loop, &tc->uio,
					     EPOLLIN | EPOLLOUT | EPOLLRDHUP))) {
			tcp_upstream_lost(tc, "cannot reach the upstream DNS server");
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

		t = match_answer(tc->txns, dfl_dns__id(d->buf), d->buf,
				 (size_t)len, &a, &bad);
		*progress = true;
		if (t && bad)
			txn_fail(t, "malformed upstream DNS answer");
		else if (t)
			txn_answer(t, d->buf, (size_t)len, &a);
	}
	if (len < 0)
		tcp_upstream_lost(tc, "malformed upstream DNS stream");
}

static void tcp_run(struct dns_tcp *tc)
{
	for (int round = 0; round < 32 && !tc->dead; round++) {
		bool progress = false;

		if (!tcp_client(tc, &progress)) {
			tcp_close(tc);
			return;
		}
		tcp_upstream(tc, &progress);
		if (tc->c_eof && !tc->txns && !dfl_buf__len(&tc->cout)) {
			tcp_close(tc);
			return;
		}
		if (!progress)
			break;
	}
	if (!tc->dead)
		dfl_proxy_loop__timer_arm(tc->d->p->loop, &tc->timer,
				    tc->d->p->o.idle_timeout_ms);
}

static void tcp_idle(struct dfl_ev_timer *tm)
{
	tcp_close(dfl_container_of(tm, struct dns_tcp, timer));
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

		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			tcp_upstream_lost(tc, "cannot reach the upstream DNS server");
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
	tc->cio = (struct dfl_ev_io){ fd, tcp_client_io };
	tc->uio = (struct dfl_ev_io){ -1, tcp_upstream_io };
	tc->timer.fn = tcp_idle;
	tc->reap.fn = tcp_reap;
	tc->ci.ip_proto = IPPROTO_TCP;
	tc->ci.l7 = DFL_L7_PROTO_DNS;
	tc->ci.listener_port = dfl_sockaddr__port(&l->addr);
	if (dfl_proxy__conn_addrs(fd, &tc->ci) ||
	    dfl_proxy_loop__add(p->loop, &tc->cio, EPOLLIN | EPOLLOUT | EPOLLRDHUP)) {
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

/* ---- life cycle -------------------------------------------------------------- */

int dfl_dns_proxy__init(struct dfl_proxy *p)
{
	struct dns_state *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->p = p;
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
	while (d->tcps) {
		struct dns_tcp *tc = d->tcps;

		tcp_close(tc);
		dfl_proxy_loop__undefer(p->loop, &tc->reap);
		tcp_reap(&tc->reap);
	}
	while (d->ups) {
		struct dns_upstream *up = d->ups;

		d->ups = up->next;
		for (size_t i = 0; i < UP_TAB; i++) {
			while (up->tab[i]) {
				struct dns_txn *t = up->tab[i];

				up->tab[i] = t->next;
				dfl_proxy_loop__timer_cancel(p->loop, &t->timer);
				free(t);
			}
		}
		dfl_proxy_loop__undefer(p->loop, &up->again);
		dfl_proxy_loop__close(p->loop, &up->io);
		free(up);
	}
	while (d->replies) {
		struct reply_sock *r = d->replies;

		d->replies = r->next;
		close(r->fd);
		free(r);
	}
	free(d);
	p->dns = NULL;
}
