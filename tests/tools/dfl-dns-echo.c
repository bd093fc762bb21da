/* dfl-dns-echo: an authoritative-for-everything DNS server for the proxy
 * tests and benchmarks, UDP and TCP on one port.
 *   A    -> 192.0.2.1, TTL 60        AAAA -> 2001:db8::1, TTL 60
 *   names starting "nx."     -> NXDOMAIN
 *   names starting "cname."  -> CNAME target.example. (TTL 10) + A (TTL 60)
 *
 *   dfl-dns-echo ADDR [A-ADDRESS [TTL]]
 *
 * A-ADDRESS and TTL replace 192.0.2.1 and 60 in the answers to A queries
 * (the toFQDNs tests point a name at an address they serve); a name whose
 * first label is "ttlN" gets TTL N.
 *
 * Prints "ready port=PORT"; runs until killed. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "proxy/sock.h"

static uint8_t a[4] = {192, 0, 2, 1};
static uint32_t a_ttl = 60;

static size_t put_rr(uint8_t *p, const uint8_t *name, size_t nlen,
		     uint16_t type, uint32_t ttl, const uint8_t *rd,
		     size_t rdlen)
{
	size_t n = 0;

	memcpy(p, name, nlen);
	n += nlen;
	p[n++] = (uint8_t)(type >> 8);
	p[n++] = (uint8_t)type;
	p[n++] = 0;
	p[n++] = 1;
	p[n++] = (uint8_t)(ttl >> 24);
	p[n++] = (uint8_t)(ttl >> 16);
	p[n++] = (uint8_t)(ttl >> 8);
	p[n++] = (uint8_t)ttl;
	p[n++] = (uint8_t)(rdlen >> 8);
	p[n++] = (uint8_t)rdlen;
	memcpy(p + n, rd, rdlen);
	return n + rdlen;
}

/* N for a name whose first label is "ttlN", else the configured TTL. */
static uint32_t name_ttl(const uint8_t *qname)
{
	char label[64];

	memcpy(label, qname + 1, qname[0] & 0x3f);
	label[qname[0] & 0x3f] = '\0';
	if (!strncasecmp(label, "ttl", 3) && label[3] >= '0' && label[3] <= '9')
		return (uint32_t)strtoul(label + 3, NULL, 10);
	return a_ttl;
}

/* Builds the answer to <q> in <out>; returns its length or 0. */
static size_t answer(const uint8_t *q, size_t len, uint8_t *out)
{
	static const uint8_t ptr[2] = {0xc0, 0x0c};
	static const uint8_t target[] = "\x06target\x07"
					"example";
	static const uint8_t aaaa[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	size_t off = 12, n;
	uint16_t type;

	if (len < 17 || (q[2] & 0x80) || q[5] != 1)
		return 0;
	while (off < len && q[off]) {
		if (q[off] & 0xc0)
			return 0;
		off += 1 + q[off];
	}
	if (off + 5 > len)
		return 0;
	off++;
	type = (uint16_t)(q[off] << 8 | q[off + 1]);
	off += 4;
	memcpy(out, q, off);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01)); /* QR, RD */
	out[3] = 0x80;				  /* RA */
	memset(out + 6, 0, 6);
	n = off;
	if (q[12] == 2 && !strncasecmp((const char *)q + 13, "nx", 2)) {
		out[3] |= 3;
		return n;
	}
	if (q[12] == 5 && !strncasecmp((const char *)q + 13, "cname", 5)) {
		n += put_rr(out + n, ptr, 2, 5, 10, target, sizeof(target));
		n += put_rr(out + n, target, sizeof(target), 1, a_ttl, a, 4);
		out[7] = 2;
		return n;
	}
	if (type == 1)
		n += put_rr(out + n, ptr, 2, 1, name_ttl(q + 12), a, 4);
	else if (type == 28)
		n += put_rr(out + n, ptr, 2, 28, 60, aaaa, 16);
	out[7] = type == 1 || type == 28;
	return n;
}

static void tcp_client(int fd)
{
	uint8_t in[65536], out[65536 + 2];
	size_t have = 0;

	for (;;) {
		ssize_t r = read(fd, in + have, sizeof(in) - have);
		size_t len, n;

		if (r <= 0)
			break;
		have += (size_t)r;
		while (have >= 2 &&
		       have >= 2 + (len = (size_t)in[0] << 8 | in[1])) {
			n = answer(in + 2, len, out + 2);
			out[0] = (uint8_t)(n >> 8);
			out[1] = (uint8_t)n;
			if (n && write(fd, out, n + 2) < 0)
				goto done;
			memmove(in, in + 2 + len, have - 2 - len);
			have -= 2 + len;
		}
	}
done:
	close(fd);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct dfl_sockaddr addr;
	int ufd, tfd;

	if (argc < 2 || argc > 4 || dfl_sockaddr__parse(argv[1], &addr) ||
	    (argc > 2 && inet_pton(AF_INET, argv[2], a) != 1)) {
		fprintf(stderr, "usage: dfl-dns-echo ADDR [A-ADDRESS [TTL]]\n");
		return 2;
	}
	if (argc > 3)
		a_ttl = (uint32_t)strtoul(argv[3], NULL, 10);
	signal(SIGCHLD, SIG_IGN);
	tfd = dfl_sock__listen(SOCK_STREAM, &addr, false);
	ufd = tfd < 0 ? -1 : dfl_sock__listen(SOCK_DGRAM, &addr, false);
	if (tfd < 0 || ufd < 0) {
		fprintf(stderr, "dfl-dns-echo: cannot listen\n");
		return 1;
	}
	printf("ready port=%u\n", dfl_sockaddr__port(&addr));
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {{ufd, POLLIN, 0}, {tfd, POLLIN, 0}};
		uint8_t in[4096], out[4096];

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < 256 && (p[0].revents & POLLIN); i++) {
			struct dfl_sockaddr from;
			socklen_t fl = sizeof(from);
			ssize_t r =
			    recvfrom(ufd, in, sizeof(in), 0, &from.sa, &fl);
			size_t n;

			if (r < 0)
				break;
			n = answer(in, (size_t)r, out);
			if (n)
				sendto(ufd, out, n, 0, &from.sa, fl);
		}
		if (p[1].revents & POLLIN) {
			int fd = accept(tfd, NULL, NULL);

			/* accept() does not inherit O_NONBLOCK: the child
			 * reads blocking. */
			if (fd >= 0 && fork() == 0)
				tcp_client(fd);
			if (fd >= 0)
				close(fd);
		}
	}
}
