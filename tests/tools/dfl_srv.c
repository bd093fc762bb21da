/* dfl_srv: the pods' server in netns tests and benchmarks.
 *   dfl_srv [--http PORT]... [--echo PORT]... [--udp PORT]...
 * --http answers one HTTP/1.0 request with "server=ADDR:PORT peer=ADDR:PORT"
 * (so tests can see who connected to whom), --echo echoes a TCP stream,
 * --udp echoes datagrams. One process per connection. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MAX_SOCKS 16

enum kind { HTTP, ECHO, UDP };

static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned int port;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		/* IPv4 clients of the dual-stack socket print as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip,
				  sizeof(ip));
		else
			inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
	}
	snprintf(buf, len, "%s:%u", ip, port);
}

static int open_sock(enum kind k, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, k == UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
	int one = 1, zero = 0;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (k != UDP && listen(fd, 128))) {
		perror("dfl_srv: bind/listen");
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_http(int c)
{
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	char req[4096], body[256], resp[512], ms[80], ps[80];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(req) - 1) {
		n = read(c, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			break;
		got += n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	getsockname(c, (struct sockaddr *)&me, &ml);
	getpeername(c, (struct sockaddr *)&peer, &pl);
	addr_str(&me, ms, sizeof(ms));
	addr_str(&peer, ps, sizeof(ps));
	snprintf(body, sizeof(body), "server=%s peer=%s\n", ms, ps);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s",
		     strlen(body), body);
	if (write(c, resp, n) != n)
		perror("dfl_srv: write");
}

static void serve_echo(int c)
{
	char buf[4096];
	ssize_t n;
	int one = 1;

	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, n) != n)
			break;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_SOCKS];
	enum kind kinds[MAX_SOCKS];
	int n = 0;

	signal(SIGCHLD, SIG_IGN);
	for (int i = 1; i + 1 < argc && n < MAX_SOCKS; i += 2) {
		enum kind k = !strcmp(argv[i], "--http") ? HTTP :
			      !strcmp(argv[i], "--echo") ? ECHO :
			      !strcmp(argv[i], "--udp")	 ? UDP :
							   -1;

		if ((int)k < 0) {
			fprintf(stderr, "dfl_srv: unknown option %s\n",
				argv[i]);
			return 2;
		}
		pfd[n].fd = open_sock(k, atoi(argv[i + 1]));
		pfd[n].events = POLLIN;
		kinds[n] = k;
		if (pfd[n++].fd < 0)
			return 1;
	}
	for (;;) {
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (kinds[i] == UDP) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				char buf[2048];
				ssize_t len = recvfrom(pfd[i].fd, buf,
						       sizeof(buf), 0,
						       (void *)&from, &fl);

				if (len > 0)
					sendto(pfd[i].fd, buf, len, 0,
					       (void *)&from, fl);
				continue;
			}
			int c = accept(pfd[i].fd, NULL, NULL);

			if (c < 0)
				continue;
			if (fork() == 0) {
				if (kinds[i] == HTTP)
					serve_http(c);
				else
					serve_echo(c);
				_exit(0);
			}
			close(c);
		}
	}
}
