/* dfl_perf: TCP request/response and bulk throughput between two network
 * namespaces, for bench/datapath.sh (netperf TCP_RR / TCP_STREAM in spirit;
 * netperf is not in Debian main).
 *   dfl_perf server PORT
 *   dfl_perf rr HOST PORT SECONDS      1-byte ping-pong on one connection:
 *       "rr trans_per_s=N p50_us=N p99_us=N"
 *   dfl_perf stream HOST PORT SECONDS  one connection sending 64 KiB
 *       writes: "stream gbit_per_s=N"
 * The server echoes each byte of a connection whose first byte is 'r' and
 * discards the data of one whose first byte is 's'. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1 << 22)

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	static char buf[1 << 16];

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16)) {
		perror("dfl_perf: listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			continue;
		if (fork()) {
			close(c);
			continue;
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (read(c, buf, 1) != 1)
			_exit(0);
		if (buf[0] == 'r') {
			while (read(c, buf, 1) == 1)
				if (write(c, buf, 1) != 1)
					break;
		} else {
			while ((n = read(c, buf, sizeof(buf))) > 0)
				;
		}
		_exit(0);
	}
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd, one = 1;

	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		perror("dfl_perf: connect");
		return -1;
	}
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int cmp_f(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static int rr(const char *host, const char *port, double secs)
{
	int fd = dial(host, port);
	float *lat = malloc(MAX_SAMPLES * sizeof(*lat));
	double t0, t1, end;
	long n = 0;
	char c = 'r';

	if (fd < 0 || !lat || write(fd, &c, 1) != 1)
		return 1;
	t0 = now_s();
	end = t0 + secs;
	for (t1 = t0; t1 < end;) {
		double s = t1;

		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
			return 1;
		t1 = now_s();
		if (n < MAX_SAMPLES)
			lat[n] = (t1 - s) * 1e6;
		n++;
	}
	long k = n < MAX_SAMPLES ? n : MAX_SAMPLES;

	qsort(lat, k, sizeof(*lat), cmp_f);
	printf("rr trans_per_s=%.0f p50_us=%.1f p99_us=%.1f\n", n / (t1 - t0),
	       lat[k / 2], lat[k * 99 / 100]);
	return 0;
}

static int stream(const char *host, const char *port, double secs)
{
	static char buf[1 << 16];
	int fd = dial(host, port);
	double t0, t;
	long long bytes = 0;
	ssize_t n;

	if (fd < 0 || write(fd, "s", 1) != 1)
		return 1;
	memset(buf, 'x', sizeof(buf));
	t0 = now_s();
	for (t = t0; t - t0 < secs; t = now_s()) {
		n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			return 1;
		bytes += n;
	}
	printf("stream gbit_per_s=%.2f\n", bytes * 8 / (t - t0) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "rr"))
		return rr(argv[2], argv[3], atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "stream"))
		return stream(argv[2], argv[3], atof(argv[4]));
	fprintf(stderr, "usage: dfl_perf server PORT | rr|stream HOST PORT "
			"SECONDS\n");
	return 2;
}
