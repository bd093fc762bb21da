#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/sock.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

socklen_t dfl_sockaddr__len(const struct dfl_sockaddr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in4);
}

uint16_t dfl_sockaddr__port(const struct dfl_sockaddr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port
						 : a->in4.sin_port);
}

void dfl_sockaddr__set_port(struct dfl_sockaddr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
	else
		a->in4.sin_port = htons(port);
}

bool dfl_sockaddr__same_ip(const struct dfl_sockaddr *a,
			   const struct dfl_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
	return a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
}

bool dfl_sockaddr__equal(const struct dfl_sockaddr *a,
			 const struct dfl_sockaddr *b)
{
	return dfl_sockaddr__same_ip(a, b) &&
	       dfl_sockaddr__port(a) == dfl_sockaddr__port(b);
}

const char *dfl_sockaddr__fmt(const struct dfl_sockaddr *a, char *buf,
			      size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, dfl_sockaddr__port(a));
	} else {
		inet_ntop(AF_INET, &a->in4.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, dfl_sockaddr__port(a));
	}
	return buf;
}

int dfl_sockaddr__parse(const char *s, struct dfl_sockaddr *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	size_t n;
	char *end;
	long p = 0;

	memset(out, 0, sizeof(*out));
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		n = (size_t)(close - s - 1);
		port = close[1] ? close + 2 : NULL;
		s++;
	} else {
		const char *colon = strrchr(s, ':');

		n = colon ? (size_t)(colon - s) : strlen(s);
		port = colon ? colon + 1 : NULL;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (port) {
		p = strtol(port, &end, 10);
		if (!*port || *end || p < 0 || p > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &out->in4.sin_addr) == 1) {
		out->in4.sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &out->in6.sin6_addr) == 1) {
		out->in6.sin6_family = AF_INET6;
	} else {
		return -EINVAL;
	}
	dfl_sockaddr__set_port(out, (uint16_t)p);
	return 0;
}

static int set_transparent(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one,
				  sizeof(one));
	return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
}

int dfl_sock__listen(int type, struct dfl_sockaddr *addr, bool transparent)
{
	int family = addr->sa.sa_family, one = 1, fd, err;
	socklen_t len = sizeof(*addr);

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (transparent && set_transparent(fd, family))
		goto fail;
	if (type == SOCK_DGRAM) {
		/* The original destination and the address to answer from. */
		if (family == AF_INET6
			? setsockopt(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &one,
				     sizeof(one))
			: setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &one,
				     sizeof(one)))
			goto fail;
	}
	if (bind(fd, &addr->sa, dfl_sockaddr__len(addr)))
		goto fail;
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN))
		goto fail;
	if (getsockname(fd, &addr->sa, &len))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int dfl_sock__connect(int type, const struct dfl_sockaddr *dst,
		      const struct dfl_sockaddr *bind_addr, uint32_t mark)
{
	int family = dst->sa.sa_family, one = 1, fd, err;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		goto fail;
	if (type == SOCK_STREAM &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		goto fail;
	if (bind_addr && bind_addr->sa.sa_family == family) {
		/* Binding the client's address needs IP_TRANSPARENT when it is
		 * not one of ours; the port is chosen at connect() so that many
		 * connections can share the address. */
		if (set_transparent(fd, family) && errno != EPERM)
			goto fail;
		if (type == SOCK_STREAM && family == AF_INET &&
		    dfl_sockaddr__port(bind_addr) == 0)
			setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one,
				   sizeof(one));
		if (bind(fd, &bind_addr->sa, dfl_sockaddr__len(bind_addr)))
			goto fail;
	}
	if (connect(fd, &dst->sa, dfl_sockaddr__len(dst)) &&
	    errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}
