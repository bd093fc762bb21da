/* The proxy object: options, listeners, the loop, resolution and events.
 * HTTP connections live in http_conn.c, DNS in dns_proxy.c. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "proxy/internal.h"
#include "proxy/sock.h"
#include "util/log.h"

uint32_t dfl_proxy__mark(const struct dfl_proxy_opts *opts,
			 enum dfl_direction dir, uint32_t identity)
{
	uint32_t mark =
	    dir == DFL_DIR_INGRESS ? opts->mark_ingress : opts->mark_egress;

	if (identity)
		mark |= ((identity >> 16) & 0xff) | ((identity & 0xffff) << 16);
	return mark;
}

uint32_t dfl_proxy__pol_mark(const struct dfl_proxy *p,
			     const struct dfl_proxy_policy *pol)
{
	if (p->o.no_mark)
		return 0;
	return pol->mark
		   ? pol->mark
		   : dfl_proxy__mark(&p->o, pol->direction, pol->src_identity);
}

static void apply_defaults(struct dfl_proxy_opts *o)
{
	if (!o->max_header_bytes)
		o->max_header_bytes = 60 * 1024;
	if (!o->max_headers)
		o->max_headers = 100;
	if (!o->idle_timeout_ms)
		o->idle_timeout_ms = 60000;
	if (!o->head_timeout_ms)
		o->head_timeout_ms = 10000;
	if (!o->connect_timeout_ms)
		o->connect_timeout_ms = 5000;
	if (!o->dns_timeout_ms)
		o->dns_timeout_ms = 5000;
	if (!o->http_403_body)
		o->http_403_body = "Access denied";
	if (!o->mark_ingress)
		o->mark_ingress = DFL_PROXY_MARK_INGRESS;
	if (!o->mark_egress)
		o->mark_egress = DFL_PROXY_MARK_EGRESS;
}

struct dfl_proxy *dfl_proxy__new(const struct dfl_proxy_opts *opts)
{
	struct dfl_proxy *p;
	size_t n;
	int err;

	if (!opts || !opts->resolve) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->o = *opts;
	apply_defaults(&p->o);
	/* Envoy appends "\r\n" to the 403 body unless it ends with one. */
	n = strlen(p->o.http_403_body);
	p->body_403 = malloc(n + 3);
	if (!p->body_403)
		goto fail;
	snprintf(p->body_403, n + 3, "%s%s", p->o.http_403_body,
		 n >= 2 && !strcmp(p->o.http_403_body + n - 2, "\r\n")
		     ? ""
		     : "\r\n");
	p->loop = dfl_proxy_loop__new();
	if (!p->loop)
		goto fail;
	err = dfl_dns_proxy__init(p);
	if (err) {
		errno = -err;
		goto fail;
	}
	return p;
fail:
	err = errno;
	dfl_proxy__free(p);
	errno = err;
	return NULL;
}

void dfl_proxy__free(struct dfl_proxy *p)
{
	if (!p)
		return;
	dfl_http_conn__close_all(p);
	dfl_dns_proxy__free(p);
	while (p->listeners) {
		struct listener *l = p->listeners;

		p->listeners = l->next;
		dfl_proxy_loop__close(p->loop, &l->io);
		free(l);
	}
	dfl_proxy_loop__free(p->loop);
	free(p->body_403);
	free(p);
}

static void listener_ready(struct dfl_ev_io *io, uint32_t events)
{
	struct listener *l = (struct listener *)io;
	struct dfl_proxy *p = l->p;

	(void)events;
	if (l->type == SOCK_DGRAM) {
		dfl_dns_proxy__udp_ready(l);
		return;
	}
	for (;;) {
		int fd =
		    accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				pr_warn("proxy: accept on port %u: %s\n",
					dfl_sockaddr__port(&l->addr),
					strerror(errno));
			return;
		}
		p->stats.conns_accepted++;
		if (l->l7 == DFL_L7_PROTO_HTTP)
			dfl_http_conn__accept(p, l, fd);
		else
			dfl_dns_proxy__accept(p, l, fd);
	}
}

static int add_listener(struct dfl_proxy *p, enum dfl_l7_proto l7, int type,
			struct dfl_sockaddr *addr)
{
	struct listener *l = calloc(1, sizeof(*l));
	int fd, err;

	if (!l)
		return -ENOMEM;
	fd = dfl_sock__listen(type, addr, !p->o.no_transparent);
	if (fd < 0) {
		free(l);
		return fd;
	}
	l->io.fd = fd;
	l->io.fn = listener_ready;
	l->p = p;
	l->l7 = l7;
	l->type = type;
	l->addr = *addr;
	l->again.fn = dfl_dns_proxy__udp_again;
	err = dfl_proxy_loop__add(p->loop, &l->io, EPOLLIN);
	if (err) {
		close(fd);
		free(l);
		return err;
	}
	l->next = p->listeners;
	p->listeners = l;
	return 0;
}

int dfl_proxy__listen(struct dfl_proxy *p, enum dfl_l7_proto l7,
		      struct dfl_sockaddr *addr)
{
	int err;

	err = add_listener(p, l7, SOCK_STREAM, addr);
	if (err) {
		char a[64];

		pr_warn("proxy: cannot listen on %s: %s\n",
			dfl_sockaddr__fmt(addr, a, sizeof(a)), strerror(-err));
		return err;
	}
	/* DNS speaks UDP and TCP on the same port. */
	if (l7 == DFL_L7_PROTO_DNS)
		err = add_listener(p, l7, SOCK_DGRAM, addr);
	return err;
}

int dfl_proxy__run_once(struct dfl_proxy *p, int timeout_ms)
{
	int err = dfl_proxy_loop__run_once(p->loop, timeout_ms);

	return err == -EINTR ? 0 : err;
}

int dfl_proxy__run(struct dfl_proxy *p)
{
	while (!atomic_load(&p->stop)) {
		int err = dfl_proxy__run_once(p, -1);

		if (err)
			return err;
	}
	atomic_store(&p->stop, false);
	return 0;
}

void dfl_proxy__stop(struct dfl_proxy *p)
{
	atomic_store(&p->stop, true);
	dfl_proxy_loop__wake(p->loop);
}

int dfl_proxy__fd(const struct dfl_proxy *p)
{
	return dfl_proxy_loop__fd(p->loop);
}

void dfl_proxy__get_stats(const struct dfl_proxy *p,
			  struct dfl_proxy_stats *out)
{
	*out = p->stats;
}

void dfl_proxy__resolve(struct dfl_proxy *p,
			const struct dfl_proxy_conn_info *ci,
			struct dfl_proxy_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->upstream = ci->orig_dst;
	if (!p->o.no_spoof_source) {
		pol->bind = ci->client;
		dfl_sockaddr__set_port(&pol->bind, 0);
	}
	if (p->o.resolve(p->o.resolve_ctx, ci, pol))
		pol->known = false;
}

void dfl_proxy__release(struct dfl_proxy_policy *pol)
{
	if (pol->release)
		pol->release(pol->release_ctx, pol);
	pol->release = NULL;
	pol->http = NULL;
	pol->http_also = NULL;
	pol->dns = NULL;
}

void dfl_proxy__emit(struct dfl_proxy *p, struct dfl_l7_event *ev,
		     const struct dfl_proxy_conn_info *ci,
		     const struct dfl_proxy_policy *pol)
{
	struct timespec ts;

	if (!p->o.on_event)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ev->time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	ev->client = ci->client;
	ev->server = ci->orig_dst;
	ev->ip_proto = ci->ip_proto;
	if (pol) {
		ev->src_identity = pol->src_identity;
		ev->dst_identity = pol->dst_identity;
		ev->endpoint_id = pol->endpoint_id;
		ev->direction = pol->direction;
		ev->cookie = pol->cookie;
	}
	p->o.on_event(p->o.event_ctx, ev);
}

void dfl_sockaddr__unmap(struct dfl_sockaddr *a)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET};

	if (a->sa.sa_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr))
		return;
	in4.sin_port = a->in6.sin6_port;
	memcpy(&in4.sin_addr, &a->in6.sin6_addr.s6_addr[12], 4);
	memset(a, 0, sizeof(*a));
	a->in4 = in4;
}

int dfl_proxy__conn_addrs(int fd, struct dfl_proxy_conn_info *ci)
{
	socklen_t len = sizeof(ci->client);

	if (getpeername(fd, &ci->client.sa, &len))
		return -errno;
	len = sizeof(ci->orig_dst);
	/* With bpf_sk_assign() the local address is the original one. */
	if (getsockname(fd, &ci->orig_dst.sa, &len))
		return -errno;
	dfl_sockaddr__unmap(&ci->client);
	dfl_sockaddr__unmap(&ci->orig_dst);
	return 0;
}
