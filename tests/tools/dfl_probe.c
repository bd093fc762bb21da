/* dfl_probe: clients for netns tests, with curl's exit code for timeouts.
 *   dfl_probe udp HOST PORT [TIMEOUT_MS]
 *       sends one datagram, exit 0 when it is echoed, 28 on timeout.
 *   dfl_probe stream HOST PORT COUNT INTERVAL_MS
 *       one TCP connection, COUNT lines echoed INTERVAL_MS apart; exit 0 if
 *       all came back, 28 when the connection stalls (a reply missing for
 *       1 s) or could not be opened in 2 s, 7 when refused or reset.
 *   dfl_probe icmp HOST TYPE [TIMEOUT_MS]
 *       one ICMPv4 echo (8) or timestamp (13) request; exit 0 when the
 *       matching reply arrives, 28 on timeout. (No ping in the image, and
 *       this one also sends other types.) */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int open_to(const char *host, const char *port, int type)
{
	struct addrinfo hints = { .ai_socktype = type }, *ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai)) {
		fprintf(stderr, "dfl_probe: bad address %s:%s\n", host, port);
		exit(2);
	}
	fd = socket(ai->ai_family, type | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) &&
		       errno != EINPROGRESS)) {
		perror("dfl_probe: connect");
		exit(7);
	}
	freeaddrinfo(ai);
	return fd;
}

/* Waits for <fd> to become readable (or writable); 0 on timeout. */
static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) > 0 ? p.revents : 0;
}

static int probe_udp(const char *host, const char *port, int ms)
{
	int fd = open_to(host, port, SOCK_DGRAM);
	char buf[64];

	if (send(fd, "probe", 5, 0) != 5)
		return 7;
	if (!wait_fd(fd, POLLIN, ms))
		return 28;
	return recv(fd, buf, sizeof(buf), 0) == 5 ? 0 : 7;
}

static int probe_stream(const char *host, const char *port, int count,
			int interval)
{
	int fd = open_to(host, port, SOCK_STREAM), err = 0, one = 1;
	socklen_t el = sizeof(err);
	char line[64], back[64];

	if (!(wait_fd(fd, POLLOUT, 2000) & POLLOUT))
		return 28;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err)
		return 7;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < count; i++) {
		int n = snprintf(line, sizeof(line), "line %04d\n", i), got = 0;

		if (send(fd, line, n, MSG_NOSIGNAL) != n)
			return 7;
		while (got < n) {
			ssize_t r;

			if (!wait_fd(fd, POLLIN, 1000)) {
				fprintf(stderr, "stalled after %d lines\n", i);
				return 28;
			}
			r = recv(fd, back + got, n - got, 0);
			if (r <= 0)
				return 7;
			got += r;
		}
		usleep(interval * 1000);
	}
	return 0;
}

static __u16 icmp_csum(const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned int sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static int probe_icmp(const char *host, int type, int ms)
{
	unsigned char req[20] = { 0 }, buf[256];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	__u16 id = getpid() & 0xffff, c;
	struct timespec t0, t;
	int want = type == 8 ? 0 : type + 1;
	size_t len = type == 13 ? 20 : 8;

	if (fd < 0 || inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
		perror("dfl_probe: icmp");
		return 2;
	}
	req[0] = type;
	memcpy(req + 4, &(__u16){ htons(id) }, 2);
	req[7] = 1;
	c = icmp_csum(req, len);
	memcpy(req + 2, &c, 2);
	if (sendto(fd, req, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return 7;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 +
			     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || !wait_fd(fd, POLLIN, left))
			return 28;
		n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fl);
		if (n < 28 || from.sin_addr.s_addr != dst.sin_addr.s_addr)
			continue;
		/* Raw sockets see the IP header first. */
		unsigned char *ic = buf + (buf[0] & 0xf) * 4;

		if (ic[0] == want && !memcmp(ic + 4, req + 4, 2))
			return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "icmp"))
		return probe_icmp(argv[2], atoi(argv[3]),
				  argc > 4 ? atoi(argv[4]) : 2000);
	if (argc >= 4 && !strcmp(argv[1], "udp"))
		return probe_udp(argv[2], argv[3],
				 argc > 4 ? atoi(argv[4]) : 2000);
	if (argc >= 6 && !strcmp(argv[1], "stream"))
		return probe_stream(argv[2], argv[3], atoi(argv[4]),
				    atoi(argv[5]));
	fprintf(stderr, "usage: dfl_probe udp HOST PORT [MS] | "
			"stream HOST PORT COUNT INTERVAL_MS | "
			"icmp HOST TYPE [MS]\n");
	return 2;
}
