/* apply_latency: `deflector apply` of a policy to enforced in the kernel.
 *   build/bench/apply_latency [PODS [APPLIES [APPLIES_ALL]]]
 *   (default 1000 pods, 100 applies, 5 applies of the all-pods policy: each
 *   rewrites every pod's map, which takes seconds with 1000 pods)
 * Starts an agent in a node netns of its own with PODS pods (no programs),
 * then applies a CNP APPLIES times, each time with a new port, and measures
 * from the moment `deflector apply` is started until the new entry is in
 * the pinned policy map of every selected endpoint (read with the datapath
 * API, maps only, polled every 100 us). Two cases: the policy selects one
 * pod, and the policy selects all of them. Prints p50 and p99 of each.
 * Needs root; everything it made is removed on exit (agent --cleanup). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>

#include <jansson.h>

#include "bpf/datapath.h"

#define BASE_PORT 20000

struct run {
	char dir[64];
	char node[48];
	char sock[128];
	char bin[256];
	pid_t agent;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Runs the deflector CLI with <args> (NULL-terminated), output to
 * /dev/null; returns its pid without waiting. */
static pid_t spawn(const struct run *r, const char *const *args)
{
	const char *argv[16] = { r->bin };
	pid_t pid;
	int i;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(127);
		setenv("DEFLECTOR_SOCKET", r->sock, 1);
		execv(r->bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int run_wait(const struct run *r, const char *const *args)
{
	int st;
	pid_t pid = spawn(r, args);

	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* The policy: selects pod bench-0 (one) or every pod (all), and admits
 * app=bench on <port>. */
static int write_policy(const char *path, bool all, unsigned int port)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "apiVersion: cilium.io/v2\n"
		 "kind: CiliumNetworkPolicy\n"
		 "metadata: {name: bench-%s}\n"
		 "spec:\n"
		 "  endpointSelector: {matchLabels: {%s}}\n"
		 "  ingress:\n"
		 "    - fromEndpoints: [{matchLabels: {app: bench}}]\n"
		 "      toPorts: [{ports: [{port: \"%u\", protocol: TCP}]}]\n",
		 all ? "all" : "one", all ? "app: bench" : "name: bench-0",
		 port);
	return write_file(path, buf);
}

struct want {
	__u16 dport; /* network order */
	bool found;
};

static int find_port(void *ctx, const struct dfl_policy_key *k,
		     const struct dfl_policy_entry *v)
{
	struct want *w = ctx;

	if (!k->egress && k->dport == w->dport)
		w->found = true;
	return 0;
}

static bool has_port(struct dfl_datapath *dp, __u16 ep_id, unsigned int port)
{
	struct want w = { .dport = htons(port) };

	dfl_datapath__policy_foreach(dp, ep_id, find_port, &w);
	return w.found;
}

/* Endpoint ids of the pods, from `deflector endpoint list -o json`. */
static size_t endpoint_ids(const struct run *r, __u16 *ids, size_t max,
			   __u16 *first)
{
	char cmd[512];
	json_error_t jerr;
	json_t *list, *ep;
	size_t i, n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "DEFLECTOR_SOCKET=%s %s endpoint list -o json",
		 r->sock, r->bin);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	list = json_loadf(p, 0, &jerr);
	pclose(p);
	json_array_foreach(list, i, ep)
	{
		const char *name = json_string_value(json_object_get(ep, "name"));

		if (n < max)
			ids[n++] = json_integer_value(json_object_get(ep, "id"));
		if (name && !strcmp(name, "bench-0"))
			*first = json_integer_value(json_object_get(ep, "id"));
	}
	json_decref(list);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p)
{
	int i = (int)(p / 100.0 * n + 0.999999) - 1;

	return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* APPLIES applies of the one-pod or all-pods policy; returns 0 and prints
 * the percentiles, or -1 when a change was not seen within 60 s. */
static int measure(const struct run *r, struct dfl_datapath *dp, bool all,
		   const __u16 *ids, size_t nids, int applies)
{
	char path[128];
	double *lat = calloc(applies, sizeof(*lat));
	int i, ret = -1, st;

	snprintf(path, sizeof(path), "%s/policy-%s.yaml", r->dir,
		 all ? "all" : "one");
	for (i = 0; lat && i < applies; i++) {
		unsigned int port = BASE_PORT + i + (all ? 10000 : 0);
		const char *args[] = { "apply", "-f", path, NULL };
		double t0, deadline;
		size_t seen = 0;
		pid_t pid;

		if (write_policy(path, all, port))
			goto out;
		t0 = now_ms();
		deadline = t0 + 60000;
		pid = spawn(r, args);
		/* Endpoints are checked in turn; one that has the entry
		 * stays counted (a later policy never removes it here). */
		while (seen < nids && now_ms() < deadline) {
			if (has_port(dp, ids[seen], port))
				seen++;
			else
				usleep(100);
		}
		lat[i] = now_ms() - t0;
		waitpid(pid, &st, 0);
		if (seen < nids) {
			fprintf(stderr, "apply_latency: port %u not in %zu of %zu maps after 60 s\n",
				port, nids - seen, nids);
			goto out;
		}
	}
	qsort(lat, applies, sizeof(*lat), cmp_double);
	printf("  policy selecting %-9s p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (%d applies)\n",
	       all ? "all pods:" : "one pod:", pct(lat, applies, 50),
	       pct(lat, applies, 99), lat[applies - 1], applies);
	ret = 0;
out:
	free(lat);
	return ret;
}

int main(int argc, char **argv)
{
	int pods = argc > 1 ? atoi(argv[1]) : 1000;
	int applies = argc > 2 ? atoi(argv[2]) : 100;
	int applies_all = argc > 3 ? atoi(argv[3]) : 5;
	struct run r = { .agent = -1 };
	struct dfl_datapath *dp = NULL;
	char path[128], pin[128], *exe;
	__u16 *ids = NULL, first = 0;
	size_t nids;
	double t0;
	FILE *f;
	int ret = 1, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pods < 1 || pods > 1000 || applies < 1 || applies_all < 1) {
		fprintf(stderr, "usage: apply_latency [PODS (1-1000) [APPLIES [APPLIES_ALL]]]\n");
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "apply_latency: needs root\n");
		return 1;
	}
	/* build/bench/apply_latency -> build/deflector */
	exe = realpath("/proc/self/exe", NULL);
	if (!exe)
		return 1;
	*strrchr(exe, '/') = '\0';
	snprintf(r.bin, sizeof(r.bin), "%s/../deflector", exe);
	free(exe);
	snprintf(r.dir, sizeof(r.dir), "/tmp/dflb-e2e-apply.XXXXXX");
	if (!mkdtemp(r.dir))
		return 1;
	snprintf(r.node, sizeof(r.node), "dflb-e2e-%d", getpid());
	snprintf(r.sock, sizeof(r.sock), "%s/agent.sock", r.dir);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/deflector-%s", r.node);
	snprintf(path, sizeof(path), "%s/state", r.dir);

	r.agent = fork();
	if (r.agent == 0) {
		char log[128];

		snprintf(log, sizeof(log), "%s/agent.log", r.dir);
		if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
			_exit(127);
		execl(r.bin, r.bin, "agent", "--node-netns", r.node,
		      "--state-dir", path, "--socket", r.sock,
		      "--metrics-address", "", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		const char *args[] = { "agent", "status", NULL };

		if (!run_wait(&r, args))
			break;
		usleep(100000);
	}
	if (i == 100) {
		fprintf(stderr, "apply_latency: the agent did not start (%s/agent.log)\n",
			r.dir);
		goto out;
	}

	/* In applies of 100 pods: one apply waits for all its pods, and the
	 * CLI gives up after 120 s. */
	t0 = now_ms();
	for (int b = 0; b < pods; b += 100) {
		char cmd[1024];

		snprintf(path, sizeof(path), "%s/pods-%d.yaml", r.dir, b);
		f = fopen(path, "w");
		if (!f)
			goto out;
		for (i = b; i < pods && i < b + 100; i++)
			fprintf(f, "---\napiVersion: v1\nkind: Pod\n"
				   "metadata: {name: bench-%d, labels: {app: bench, name: bench-%d}}\n"
				   "spec: {containers: [{name: c, image: busybox}]}\n",
				i, i);
		fclose(f);
		/* system(): the CLI's errors reach our stderr. */
		snprintf(cmd, sizeof(cmd), "DEFLECTOR_SOCKET=%s %s apply -f %s >/dev/null",
			 r.sock, r.bin, path);
		if (system(cmd)) {
			fprintf(stderr, "apply_latency: creating pods %d.. failed\n", b);
			goto out;
		}
	}
	t0 = now_ms() - t0;
	printf("apply_latency: %d pods created in %.1f s (%.1f ms per pod)\n",
	       pods, t0 / 1e3, t0 / pods);

	ids = calloc(pods, sizeof(*ids));
	nids = ids ? endpoint_ids(&r, ids, pods, &first) : 0;
	if (nids != (size_t)pods || !first) {
		fprintf(stderr, "apply_latency: %zu endpoints listed, %d expected\n",
			nids, pods);
		goto out;
	}
	DFL_DATAPATH_OPTS(opts, .pin_root = pin, .maps_only = true);
	dp = dfl_datapath__open(&opts);
	if (!dp) {
		fprintf(stderr, "apply_latency: pinned maps in %s: %s\n", pin,
			strerror(errno));
		goto out;
	}
	if (measure(&r, dp, false, &first, 1, applies) ||
	    measure(&r, dp, true, ids, nids, applies_all))
		goto out;
	ret = 0;
out:
	dfl_datapath__close(dp);
	free(ids);
	if (r.agent > 0) {
		const char *args[] = { "agent", "--cleanup", "--node-netns", r.node,
				       "--state-dir", path, NULL };

		snprintf(path, sizeof(path), "%s/state", r.dir);
		kill(r.agent, SIGTERM);
		waitpid(r.agent, NULL, 0);
		run_wait(&r, args);
	}
	snprintf(path, sizeof(path), "rm -rf %s", r.dir);
	if (system(path))
		ret = 1;
	return ret;
}
