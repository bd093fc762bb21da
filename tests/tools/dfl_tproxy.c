/* dfl_tproxy: a minimal transparent L7 proxy for netns tests of the
 * datapath's redirect (DESIGN.md "L7 redirect").
 *   dfl_tproxy PORT [--forward MARK]
 *   dfl_tproxy PORT --udp
 * Listens on 127.0.0.1:PORT with IP_TRANSPARENT. Without --forward it
 * answers each HTTP request with "proxy orig=ADDR:PORT" where ADDR:PORT is
 * getsockname() of the accepted socket: the connection's original
 * destination. With --forward it relays the request to that destination
 * from a transparent socket bound to the client's address (another port)
 * and marked MARK (0xb00 egress, 0xa00 ingress), and returns the answer
 * prefixed with "proxy orig=..." (or "upstream failed" after 1 s).
 * With --udp it receives datagrams on a transparent UDP socket, learns each
 * one's original destination (IP_RECVORIGDSTADDR) and echoes it back from
 * that address, as a DNS proxy answers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

static void fmt(const struct sockaddr_in *a, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
}

static ssize_t read_request(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	return got;
}

/* Relays <req> to <orig> from <client>'s address; returns the answer's
 * length in <out>, or -1. */
static ssize_t forward(const struct sockaddr_in *client,
		       const struct sockaddr_in *orig, unsigned int mark,
		       const char *req, size_t rlen, char *out, size_t olen)
{
	struct sockaddr_in src = *client;
	struct timeval tv = { .tv_sec = 1 }; /* bounds connect() too */
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	size_t got = 0;
	ssize_t n;

	src.sin_port = 0;
	if (fd < 0 ||
	    setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (const struct sockaddr *)orig, sizeof(*orig))) {
		perror("dfl_tproxy: upstream");
		return -1;
	}
	if (write(fd, req, rlen) != (ssize_t)rlen)
		return -1;
	while (got < olen - 1 && (n = read(fd, out + got, olen - 1 - got)) > 0)
		got += n;
	close(fd);
	return got;
}

static void serve(int c, unsigned int mark)
{
	struct sockaddr_in me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	char req[4096], up[4096], body[4500], resp[5000], orig[64];
	ssize_t rlen = read_request(c, req, sizeof(req)), ulen;
	int n;

	getsockname(c, (struct sockaddr *)&me, &ml);
	getpeername(c, (struct sockaddr *)&peer, &pl);
	fmt(&me, orig, sizeof(orig));
	if (!mark) {
		snprintf(body, sizeof(body), "proxy orig=%s\n", orig);
	} else {
		ulen = forward(&peer, &me, mark, req, rlen, up, sizeof(up));
		if (ulen < 0)
			ulen = snprintf(up, sizeof(up), "upstream failed\n");
		up[ulen] = '\0';
		char *b = strstr(up, "\r\n\r\n");

		snprintf(body, sizeof(body), "proxy orig=%s\n%s", orig,
			 b ? b + 4 : up);
	}
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s",
		     strlen(body), body);
	if (write(c, resp, n) != n)
		perror("dfl_tproxy: write");
}

static int serve_udp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("dfl_tproxy: udp");
		return 1;
	}
	for (;;) {
		char buf[2048], cbuf[256];
		struct sockaddr_in from, *orig = NULL;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(fd, &m, 0);
		int out;

		if (n < 0)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c;
		     c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_IP &&
			    c->cmsg_type == IP_ORIGDSTADDR)
				orig = (struct sockaddr_in *)CMSG_DATA(c);
		if (!orig)
			continue;
		/* Answer from the address the client asked. */
		out = socket(AF_INET, SOCK_DGRAM, 0);
		if (out < 0 ||
		    setsockopt(out, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
		    setsockopt(out, SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)) ||
		    bind(out, (struct sockaddr *)orig, sizeof(*orig)) ||
		    sendto(out, buf, n, 0, (struct sockaddr *)&from,
			   sizeof(from)) != n)
			perror("dfl_tproxy: udp answer");
		if (out >= 0)
			close(out);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned int mark = 0;
	int fd, one = 1;

	if (argc < 2) {
		fprintf(stderr,
			"usage: dfl_tproxy PORT [--forward MARK | --udp]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "--udp"))
		return serve_udp(atoi(argv[1]));
	if (argc > 3 && !strcmp(argv[2], "--forward"))
		mark = strtoul(argv[3], NULL, 0);
	signal(SIGCHLD, SIG_IGN);
	a.sin_port = htons(atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		perror("dfl_tproxy: listen");
		return 1;
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (fork() == 0) {
			serve(c, mark);
			_exit(0);
		}
		close(c);
	}
}
