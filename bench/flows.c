/* Flow pipeline throughput: records per second from the flow struct the
 * integrator fills to (1) an encoded line, (2) a line in the exporter's file
 * (queue, writer thread, rotation, hash chain), (3) a compact line printed
 * by a follower of the in-memory ring (what `observe --follow` does), and
 * CPU time per 100k records. Target: >= 500k records/s on one core.
 *
 * Usage: build/bench/flows [RECORDS]   (default 1000000; files in /tmp) */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "flow/exporter.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/printer.h"
#include "flow/ring.h"

static const char *src_labels[] = {
    "k8s:app.kubernetes.io/name=xwing",
    "k8s:class=xwing",
    "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=default",
    "k8s:io.cilium.k8s.policy.cluster=default",
    "k8s:io.cilium.k8s.policy.serviceaccount=default",
    "k8s:io.kubernetes.pod.namespace=default",
    "k8s:org=alliance",
};
static const char *dst_labels[] = {
    "k8s:app.kubernetes.io/name=deathstar",
    "k8s:class=deathstar",
    "k8s:io.cilium.k8s.policy.cluster=default",
    "k8s:io.kubernetes.pod.namespace=default",
    "k8s:org=empire",
};
static const struct dfl_flow_workload wl[] = {{"deathstar", "Deployment"}};
static const char *pol_labels[] = {
    "k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy",
    "k8s:io.cilium.k8s.policy.name=rule1",
    "k8s:io.cilium.k8s.policy.namespace=default",
};
static const struct dfl_flow_policy pol = {
    .name = "rule1",
    .namespace = "default",
    .kind = "CiliumNetworkPolicy",
    .labels = pol_labels,
    .n_labels = 3,
    .revision = 12,
    .default_deny = true,
};

/* The Star Wars default-deny drop, as the integrator fills it. */
static void fill(struct dfl_flow *f, uint64_t i)
{
	memset(f, 0, sizeof(*f));
	f->time_ns = dfl_time_now_ns();
	dfl_flow__set_uuid(f);
	f->verdict = DFL_VERDICT_DROPPED;
	f->drop_reason = DFL_DROP_POLICY;
	f->ip.version = 4;
	inet_pton(AF_INET, "10.244.1.23", f->ip.source);
	inet_pton(AF_INET, "10.244.1.77", f->ip.destination);
	f->l4 =
	    (struct dfl_flow_l4){.proto = DFL_L4_TCP,
				 .source_port = (uint16_t)(32768 + i % 28000),
				 .destination_port = 80,
				 .tcp_flags = DFL_TCP_SYN};
	f->source = (struct dfl_flow_endpoint){.identity = 63406,
					       .cluster_name = "default",
					       .namespace = "default",
					       .labels = src_labels,
					       .n_labels = 7,
					       .pod_name = "xwing"};
	f->destination =
	    (struct dfl_flow_endpoint){.id = 1234,
				       .identity = 14731,
				       .cluster_name = "default",
				       .namespace = "default",
				       .labels = dst_labels,
				       .n_labels = 5,
				       .pod_name = "deathstar-8c4c77fb7-h59s2",
				       .workloads = wl,
				       .n_workloads = 1};
	f->type = DFL_FLOW_TYPE_L3_L4;
	f->node_name = "kind-kind/kind-worker";
	f->event_type = DFL_EVENT_DROP;
	f->event_sub_type = DFL_DROP_POLICY;
	f->traffic_direction = DFL_TRAFFIC_INGRESS;
	f->ingress_denied_by = (struct dfl_flow_policies){&pol, 1};
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void report(const char *what, uint64_t n, double wall, double cpu,
		   const char *extra)
{
	printf("%-34s %9.0f records/s  %6.1f ms CPU per 100k  %s\n", what,
	       (double)n / wall, cpu / (double)n * 1e5 * 1e3, extra);
}

static void bench_encode(uint64_t n)
{
	struct dfl_strbuf sb = {0};
	struct dfl_flow f;
	double t0 = now_s(), c0 = cpu_s();
	uint64_t bytes = 0;
	char extra[64];

	for (uint64_t i = 0; i < n; i++) {
		fill(&f, i);
		dfl_strbuf__reset(&sb);
		dfl_flow__to_json_line(&f, NULL, &sb);
		bytes += sb.len;
	}
	snprintf(extra, sizeof(extra), "(%.0f bytes/line)",
		 (double)bytes / (double)n);
	report("struct -> JSON line", n, now_s() - t0, cpu_s() - c0, extra);
	dfl_strbuf__release(&sb);
}

static void bench_export(uint64_t n, bool chain)
{
	char dir[] = "/tmp/dflt-flow-bench-XXXXXX", path[128], cmd[160];
	struct dfl_exporter_config cfg = {
	    .file_path = path, .no_chain = !chain, .max_backups = 3};
	struct dfl_exporter_stats st;
	struct dfl_exporter *e;
	struct dfl_flow f;
	char err[256], extra[128];
	double t0, c0;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/events.log", dir);
	e = dfl_exporter__new(&cfg, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "exporter: %s\n", err);
		return;
	}
	t0 = now_s();
	c0 = cpu_s();
	for (uint64_t i = 0; i < n; i++) {
		fill(&f, i);
		dfl_exporter__export(e, &f);
	}
	dfl_exporter__flush(e);
	dfl_exporter__stats(e, &st);
	snprintf(extra, sizeof(extra), "(%llu lost, %llu rotations, %.0f MB/s)",
		 (unsigned long long)st.lost, (unsigned long long)st.rotations,
		 (double)st.bytes / (now_s() - t0) / 1e6);
	report(chain ? "struct -> exported line, chained"
		     : "struct -> exported line, no chain",
	       n, now_s() - t0, cpu_s() - c0, extra);
	dfl_exporter__free(e);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

struct follower {
	struct dfl_ring_reader *rd;
	uint64_t got, lost;
	FILE *out;
};

static void *follow(void *arg)
{
	struct follower *fl = arg;
	struct dfl_printer_opts o = {0};
	struct dfl_strbuf sb = {0};
	const struct dfl_flow *f;
	uint64_t lost;
	int ret;

	while ((ret = dfl_ring_reader__next(fl->rd, &f, &lost, -1)) !=
	       -ESHUTDOWN) {
		if (ret <= 0)
			continue;
		fl->lost += lost;
		fl->got++;
		dfl_strbuf__reset(&sb);
		dfl_flow__format_compact(f, &o, &sb);
		fwrite(sb.buf, 1, sb.len, fl->out);
	}
	dfl_strbuf__release(&sb);
	return NULL;
}

static void bench_follow(uint64_t n)
{
	struct dfl_ring *r = dfl_ring__new(0);
	struct follower fl = {.out = fopen("/dev/null", "w")};
	struct dfl_flow f;
	pthread_t th;
	double t0, c0;
	char extra[96];

	fl.rd = dfl_ring_reader__new(r, DFL_RING_NEWEST, 0);
	pthread_create(&th, NULL, follow, &fl);
	t0 = now_s();
	c0 = cpu_s();
	for (uint64_t i = 0; i < n; i++) {
		fill(&f, i);
		dfl_ring__push(r, &f);
	}
	dfl_ring__shutdown(r);
	pthread_join(th, NULL);
	snprintf(extra, sizeof(extra),
		 "(follower printed %llu, told of %llu lost)",
		 (unsigned long long)fl.got, (unsigned long long)fl.lost);
	report("struct -> ring -> compact follower", n, now_s() - t0,
	       cpu_s() - c0, extra);
	dfl_ring_reader__free(fl.rd);
	dfl_ring__free(r);
	fclose(fl.out);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;

	printf("flows: %llu records each, %ld CPUs online\n",
	       (unsigned long long)n, sysconf(_SC_NPROCESSORS_ONLN));
	bench_encode(n);
	bench_export(n, false);
	bench_export(n, true);
	bench_follow(n);
	return 0;
}
