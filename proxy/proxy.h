/* The in-process transparent L7 proxy: HTTP (llhttp) and DNS (ldns).
 *
 * One event loop on one thread serves every listener and connection: run
 * it on its own thread (dfl_proxy__run) or inside the agent's loop
 * (dfl_proxy__fd + dfl_proxy__run_once); see docs/proxy.md. Redirected
 * connections arrive on transparent listeners, handed over by the datapath
 * with bpf_sk_assign(); the original destination is the accepted socket's
 * local address (TCP) or the datagram's IP_ORIGDSTADDR (UDP). For every
 * HTTP request and DNS query the proxy asks opts->resolve() for the rules
 * and identities, enforces them, forwards allowed traffic itself (from the
 * client's address with IP_TRANSPARENT, marked so that the datapath lets it
 * through) and reports every request and response through opts->on_event.
 *
 * All functions except dfl_proxy__stop() must be called from the thread
 * that runs the loop. */
#ifndef DFL_PROXY_PROXY_H
#define DFL_PROXY_PROXY_H

#include "proxy/proxy-t.h"

struct dfl_proxy;

/* Returns NULL with errno set (EINVAL without opts->resolve). */
struct dfl_proxy *dfl_proxy__new(const struct dfl_proxy_opts *opts);
/* Closes every listener and connection; accepts NULL. */
void dfl_proxy__free(struct dfl_proxy *p);

/* Listens for redirected <l7> traffic on <addr> (TCP for HTTP; UDP and TCP
 * on the same port for DNS). Port 0 picks a free port; the bound address is
 * written back. Returns 0 or a negative errno. */
int dfl_proxy__listen(struct dfl_proxy *p, enum dfl_l7_proto l7,
		      struct dfl_sockaddr *addr);

/* Runs the loop once, waiting at most <timeout_ms> (-1: until something
 * happens). Returns 0 or a negative errno. */
int dfl_proxy__run_once(struct dfl_proxy *p, int timeout_ms);
/* Runs until dfl_proxy__stop(). Returns 0 or a negative errno. */
int dfl_proxy__run(struct dfl_proxy *p);
/* Makes dfl_proxy__run() return; safe from any thread and from signal
 * handlers. */
void dfl_proxy__stop(struct dfl_proxy *p);

/* For running the proxy inside another event loop instead of its own
 * thread: this fd turns readable whenever the proxy has work (I/O, a due
 * timer, deferred work); then call dfl_proxy__run_once(p, 0). */
int dfl_proxy__fd(const struct dfl_proxy *p);

void dfl_proxy__get_stats(const struct dfl_proxy *p,
			  struct dfl_proxy_stats *out);

/* The SO_MARK the proxy puts on upstream sockets when the resolver leaves
 * it 0: the direction's proxy mark with the source identity (Cilium's
 * GetMagicProxyMark layout, proxy-t.h). */
uint32_t dfl_proxy__mark(const struct dfl_proxy_opts *opts,
			 enum dfl_direction dir, uint32_t identity);

#endif
