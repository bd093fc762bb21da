/* Internals shared by the proxy's files; not for other components. */
#ifndef DFL_PROXY_INTERNAL_H
#define DFL_PROXY_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>

#include "proxy/loop.h"
#include "proxy/proxy.h"

#define dfl_container_of(ptr, type, member)                                    \
	((type *)((char *)(ptr)-offsetof(type, member)))

struct http_conn;
struct dns_state;

struct listener {
	struct dfl_ev_io io;
	struct dfl_proxy *p;
	enum dfl_l7_proto l7;
	int type; /* SOCK_STREAM or SOCK_DGRAM */
	struct dfl_sockaddr addr;
	struct dfl_ev_defer again; /* UDP: more datagrams may be waiting */
	struct listener *next;
};

struct dfl_proxy {
	struct dfl_proxy_opts o; /* defaults filled in */
	char *body_403;		 /* with its "\r\n" */
	struct dfl_proxy_loop *loop;
	struct listener *listeners;
	struct dfl_proxy_stats stats;
	atomic_bool stop;
	struct http_conn *http_conns; /* every open HTTP connection */
	struct dns_state *dns;
	/* Reads land here first, so that a connection's buffers grow to what
	 * it holds, not to the read size (idle connections stay small). */
	char scratch[64 * 1024];
};

/* Asks the resolver about <ci> after filling the defaults of <pol>
 * (upstream = original destination, bind = client address unless spoofing
 * is off). A resolver error or unknown rules leave pol->known false.
 * Always pair with dfl_proxy__release(). */
void dfl_proxy__resolve(struct dfl_proxy *p,
			const struct dfl_proxy_conn_info *ci,
			struct dfl_proxy_policy *pol);
void dfl_proxy__release(struct dfl_proxy_policy *pol);
/* The upstream mark for <pol> (its own, or the default one). */
uint32_t dfl_proxy__pol_mark(const struct dfl_proxy *p,
			     const struct dfl_proxy_policy *pol);

/* Completes <ev> with the connection and the resolution (NULL: unknown)
 * and the time, then hands it to opts.on_event. */
void dfl_proxy__emit(struct dfl_proxy *p, struct dfl_l7_event *ev,
		     const struct dfl_proxy_conn_info *ci,
		     const struct dfl_proxy_policy *pol);

/* Fills ci->client and ci->orig_dst from an accepted socket (IPv4-mapped
 * addresses become IPv4). Returns 0 or a negative errno. */
int dfl_proxy__conn_addrs(int fd, struct dfl_proxy_conn_info *ci);
/* An IPv4-mapped IPv6 address becomes plain IPv4. */
void dfl_sockaddr__unmap(struct dfl_sockaddr *a);

/* DNS (dns_proxy.c). */
int dfl_dns_proxy__init(struct dfl_proxy *p);
void dfl_dns_proxy__free(struct dfl_proxy *p);
void dfl_dns_proxy__udp_ready(struct listener *l);
void dfl_dns_proxy__udp_again(struct dfl_ev_defer *d);
void dfl_dns_proxy__accept(struct dfl_proxy *p, struct listener *l, int fd);

/* HTTP connections (http_conn.c). */
void dfl_http_conn__accept(struct dfl_proxy *p, struct listener *l, int fd);
void dfl_http_conn__close_all(struct dfl_proxy *p);

#endif
