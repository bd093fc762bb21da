/* Socket helpers of the proxy: transparent listeners, marked and
 * source-spoofing upstream sockets, address formatting. All sockets are
 * non-blocking and close-on-exec. */
#ifndef DFL_PROXY_SOCK_H
#define DFL_PROXY_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy-t.h"

socklen_t dfl_sockaddr__len(const struct dfl_sockaddr *a);
uint16_t dfl_sockaddr__port(const struct dfl_sockaddr *a);
void dfl_sockaddr__set_port(struct dfl_sockaddr *a, uint16_t port);
bool dfl_sockaddr__same_ip(const struct dfl_sockaddr *a,
			   const struct dfl_sockaddr *b);
bool dfl_sockaddr__equal(const struct dfl_sockaddr *a,
			 const struct dfl_sockaddr *b);
/* "10.0.0.1:80" or "[::1]:80" into <buf>; returns <buf>. */
const char *dfl_sockaddr__fmt(const struct dfl_sockaddr *a, char *buf,
			      size_t len);
/* Parses "1.2.3.4:80", "[::1]:53" or "1.2.3.4" (port 0). */
int dfl_sockaddr__parse(const char *s, struct dfl_sockaddr *out);

/* A listening TCP socket or a bound UDP socket on <addr> (port 0 picks
 * one; the bound address is written back). <transparent> sets
 * IP_TRANSPARENT so that the datapath can bpf_sk_assign() connections for
 * other addresses to it; UDP sockets also report each datagram's original
 * destination (IP_RECVORIGDSTADDR). Returns the fd or a negative errno. */
int dfl_sock__listen(int type, struct dfl_sockaddr *addr, bool transparent);

/* A socket connecting to <dst> (connect() in progress for TCP, done for
 * UDP). <bind> (family AF_UNSPEC: none) is the source address, set with
 * IP_TRANSPARENT when it is not ours; <mark> (0: none) is the SO_MARK.
 * Returns the fd or a negative errno. */
int dfl_sock__connect(int type, const struct dfl_sockaddr *dst,
		      const struct dfl_sockaddr *bind, uint32_t mark);

#endif
