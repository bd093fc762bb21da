#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/enter.h"
#include "agent/process.h"

struct image_map {
	const char *repository; /* without registry, tag or digest */
	const char *program;
};

static const struct image_map images[] = {
	{ "cilium/starwars", "deathstar" },
};

/* "docker.io/cilium/starwars:v1.2@sha256:…" -> "cilium/starwars". */
static void image_repository(const char *image, char *out, size_t len)
{
	const char *start = image, *slash = strchr(image, '/');
	char *last, *colon;

	/* A first component with a dot or a colon, or "localhost", names a
	 * registry (the Docker reference grammar). */
	if (slash && (memchr(image, '.', (size_t)(slash - image)) ||
		      memchr(image, ':', (size_t)(slash - image)) ||
		      !strncmp(image, "localhost/", 10)))
		start = slash + 1;
	snprintf(out, len, "%.*s", (int)strcspn(start, "@"), start);
	/* A tag is a colon after the last slash. */
	last = strrchr(out, '/');
	colon = strchr(last ? last : out, ':');
	if (colon)
		*colon = '\0';
}

const char *dfl_image__default_dir(char *buf, size_t len)
{
	char exe[PATH_MAX], try[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(try, sizeof(try), "%s/examples/starwars", exe);
			if (access(try, X_OK) == 0) {
				snprintf(buf, len, "%s", try);
				return buf;
			}
		}
	}
	snprintf(buf, len, "/usr/local/libexec/deflector");
	return buf;
}

int dfl_image__resolve(const char *image_dir, const char *image, char *path,
		       size_t len, char *err, size_t errlen)
{
	char repo[256], dir[PATH_MAX];

	if (!image)
		return -ENOENT;
	image_repository(image, repo, sizeof(repo));
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		if (strcmp(images[i].repository, repo))
			continue;
		if (!image_dir)
			image_dir = dfl_image__default_dir(dir, sizeof(dir));
		snprintf(path, len, "%s/%s", image_dir, images[i].program);
		if (access(path, X_OK)) {
			snprintf(err, errlen,
				 "image %s runs %s, which is not in %s (run `make tools`, or give --image-dir)",
				 image, images[i].program, image_dir);
			return -ENOEXEC;
		}
		return 0;
	}
	return -ENOENT;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* Field 2 (comm) may hold spaces and parentheses: count fields after
	 * the last ')'. starttime is field 22. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((noreturn))
child(const struct dfl_endpoint *ep, const char *log_path, int report)
{
	struct dfl_pod_enter enter = { .netns = ep->netns,
				       .hosts_path = ep->hosts_path,
				       .resolv_path = ep->resolv_path,
				       .hostname = ep->pod.name };
	char err[512], port[8];
	char *argv[4];
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0640);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (dfl_pod__enter(&enter, err, sizeof(err)))
		goto fail;
	snprintf(port, sizeof(port), "80");
	for (size_t i = 0; i < ep->pod.n_ports; i++) {
		if (ep->pod.ports[i].proto == DFL_PROTO_TCP) {
			snprintf(port, sizeof(port), "%u", ep->pod.ports[i].port);
			break;
		}
	}
	argv[0] = ep->proc.program;
	argv[1] = "--port";
	argv[2] = port;
	argv[3] = NULL;
	execv(argv[0], argv);
	snprintf(err, sizeof(err), "exec %s: %s", argv[0], strerror(errno));
fail:
	if (write(report, err, strlen(err)) < 0)
		_exit(126);
	_exit(127);
}

int dfl_pod_process__start(struct dfl_endpoint *ep, const char *log_path,
			   char *err, size_t errlen)
{
	struct dfl_pod_process *p = &ep->proc;
	int pipefd[2], ret = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return ret;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(ep, log_path, pipefd[1]);
	}
	close(pipefd[1]);
	/* EOF: the exec succeeded (the pipe closed on exec). */
	do
		n = read(pipefd[0], err, errlen - 1);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n > 0) {
		err[n] = '\0';
		waitpid(pid, NULL, 0);
		return -ENOEXEC;
	}
	p->pid = pid;
	p->start_time = start_time(pid);
	p->started_at_ms = now_ms();
	p->restart_at_ms = 0;
	p->pidfd = pidfd_open(pid);
	if (p->pidfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "pidfd_open %d: %s", pid, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		p->pid = 0;
		return ret;
	}
	return 0;
}

int dfl_pod_process__adopt(struct dfl_pod_process *p)
{
	if (p->pid <= 0 || !p->start_time || start_time(p->pid) != p->start_time) {
		p->pid = 0;
		return -ESRCH;
	}
	p->pidfd = pidfd_open(p->pid);
	if (p->pidfd < 0) {
		p->pid = 0;
		return -ESRCH;
	}
	p->started_at_ms = now_ms();
	return 0;
}

int dfl_pod_process__reap(struct dfl_pod_process *p)
{
	int status = -1;

	if (p->pid > 0 && waitpid(p->pid, &status, WNOHANG) <= 0)
		status = -1; /* not our child: init reaps it */
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	p->pid = 0;
	p->last_status = status;
	return status;
}

static bool wait_exit(int pidfd, unsigned int timeout_ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0;
}

void dfl_pod_process__stop(struct dfl_pod_process *p, unsigned int timeout_ms)
{
	if (p->pid <= 0 || p->pidfd < 0)
		return;
	/* pidfd_send_signal cannot hit a recycled PID. */
	syscall(SYS_pidfd_send_signal, p->pidfd, SIGTERM, NULL, 0);
	if (!wait_exit(p->pidfd, timeout_ms)) {
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		wait_exit(p->pidfd, 2000);
	}
	dfl_pod_process__reap(p);
}

const char *dfl_wait_status__fmt(int status, char *buf, size_t len)
{
	if (status < 0)
		snprintf(buf, len, "exited");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "stopped (status %#x)", status);
	return buf;
}
