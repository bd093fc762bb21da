/* Policy compiler benchmark: a generated cluster of 1,000 pods, 5,000
 * identities and 10,000 rule elements (L3, L4, port ranges, CIDR, L7),
 * compiled from scratch; one rule changed and re-resolved with its diff;
 * 1,000 policy files linted. Prints one figure per line:
 *   <name> <value> <unit> (target <value>)
 * Usage: compile [-q]   (-q: figures only) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crd/objects.h"
#include "identity/labels.h"
#include "policy/compiler.h"
#include "policy/lint.h"
#include "util/diag.h"
#include "util/strbuf.h"

#define N_NS 50
#define PODS_PER_NS 20
#define APPS_PER_NS 10
#define REMOTE_IDS 4000
#define N_POLICIES 1000
#define ELEMENTS 10
#define LINT_FILES 1000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

static void gen_pods(struct dfl_strbuf *sb)
{
	for (int ns = 0; ns < N_NS; ns++)
		for (int p = 0; p < PODS_PER_NS; p++)
			dfl_strbuf__printf(
				sb,
				"---\napiVersion: v1\nkind: Pod\nmetadata:\n"
				"  name: pod-%d\n  namespace: ns-%d\n"
				"  labels: {app: app-%d, tier: t%d, version: v%d}\n"
				"spec:\n  containers:\n  - name: c\n    image: x\n"
				"    ports: [{name: http, containerPort: 8080}]\n"
				"status: {podIP: 10.200.%d.%d}\n",
				p, ns, p % APPS_PER_NS, p % 3, p % 2, ns,
				p + 10);
}

/* One rule element of kind <k> (0..9) of policy <i>. */
static void gen_element(struct dfl_strbuf *sb, int i, int k)
{
	int peer = (i + k) % APPS_PER_NS, port = 1000 + (i * 7 + k) % 5000;

	switch (k % 5) {
	case 0: /* L3 */
		dfl_strbuf__printf(sb, "  - fromEndpoints: [{matchLabels: "
				       "{app: app-%d}}]\n",
				   peer);
		break;
	case 1: /* L4 */
		dfl_strbuf__printf(sb,
				   "  - fromEndpoints: [{matchLabels: {app: "
				   "app-%d, tier: t%d}}]\n"
				   "    toPorts: [{ports: [{port: \"%d\", "
				   "protocol: TCP}, {port: \"%d\", protocol: "
				   "UDP}]}]\n",
				   peer, k % 3, port, port + 1);
		break;
	case 2: /* range */
		dfl_strbuf__printf(sb,
				   "  - fromEndpoints: [{matchLabels: {app: "
				   "app-%d}}]\n"
				   "    toPorts: [{ports: [{port: \"%d\", endPort: "
				   "%d, protocol: TCP}]}]\n",
				   peer, port, port + 37);
		break;
	case 3: /* CIDR */
		dfl_strbuf__printf(sb,
				   "  - fromCIDRSet: [{cidr: 172.%d.%d.0/24, "
				   "except: [172.%d.%d.128/25]}]\n"
				   "    toPorts: [{ports: [{port: \"443\", "
				   "protocol: TCP}]}]\n",
				   16 + i % 16, (i * 10 + k) % 256, 16 + i % 16,
				   (i * 10 + k) % 256);
		break;
	default: /* L7 */
		dfl_strbuf__printf(sb,
				   "  - fromEndpoints: [{matchLabels: {app: "
				   "app-%d}}]\n"
				   "    toPorts:\n    - ports: [{port: \"80\", "
				   "protocol: TCP}]\n"
				   "      rules: {http: [{method: GET, path: "
				   "\"/api/v%d/.*\"}]}\n",
				   peer, k);
		break;
	}
}

static void gen_policy(struct dfl_strbuf *sb, int i, int variant)
{
	dfl_strbuf__printf(sb,
			   "---\napiVersion: cilium.io/v2\n"
			   "kind: CiliumNetworkPolicy\nmetadata:\n"
			   "  name: pol-%d\n  namespace: ns-%d\nspec:\n"
			   "  endpointSelector: {matchLabels: {app: app-%d}}\n"
			   "  ingress:\n",
			   i, i % N_NS, (i / N_NS) % APPS_PER_NS);
	for (int k = 0; k < ELEMENTS - 2; k++)
		gen_element(sb, i + variant, k);
	dfl_strbuf__printf(sb,
			   "  egress:\n  - toEndpoints: [{matchLabels: "
			   "{io.kubernetes.pod.namespace: kube-system, "
			   "k8s-app: kube-dns}}]\n"
			   "    toPorts:\n    - ports: [{port: \"53\", protocol: "
			   "ANY}]\n      rules: {dns: [{matchPattern: \"*\"}]}\n"
			   "  - toEndpoints: [{matchLabels: {app: app-%d}}]\n"
			   "    toPorts: [{ports: [{port: \"%d\", protocol: "
			   "TCP}]}]\n",
			   (i + 1) % APPS_PER_NS, 5432 + variant);
}

static void load(struct dfl_objects *objs, const char *name,
		 struct dfl_strbuf *sb)
{
	struct dfl_diags d = { 0 };

	if (sb->err || dfl_objects__load_buffer(objs, name, sb->buf, sb->len,
						&d, NULL))
		die("generated input does not load");
	if (dfl_diags__count(&d, DFL_SEV_ERROR)) {
		dfl_diag__print(stderr, &d.items[0]);
		die("generated input is invalid");
	}
	dfl_diags__release(&d);
}

static int add_remote_identities(struct dfl_compiler *c)
{
	for (int i = 0; i < REMOTE_IDS; i++) {
		struct dfl_labels ls = { 0 };
		char v[64];
		uint32_t id;
		int err;

		snprintf(v, sizeof(v), "ns-%d", i % N_NS);
		err = dfl_labels__set(&ls, "k8s", "io.kubernetes.pod.namespace",
				      v);
		snprintf(v, sizeof(v), "app-%d", i % APPS_PER_NS);
		err = err ? err : dfl_labels__set(&ls, "k8s", "app", v);
		snprintf(v, sizeof(v), "remote-%d", i);
		err = err ? err : dfl_labels__set(&ls, "k8s", "instance", v);
		err = err ? err :
			    dfl_labels__set(&ls, "k8s",
					    "io.cilium.k8s.policy.cluster",
					    "default");
		err = err ? err : dfl_compiler__acquire_identity(c, &ls, &id);
		dfl_labels__release(&ls);
		if (err)
			return err;
	}
	return 0;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double lint_files(size_t *n_findings, double *t_load, double *cpu)
{
	char dir[] = "/tmp/dfl-bench-lint-XXXXXX", path[128];
	struct dfl_objects *objs = dfl_objects__new();
	struct dfl_diags d = { 0 };
	struct dfl_lint_config cfg = { 0 };
	double t0, t;

	if (!mkdtemp(dir) || !objs)
		die("cannot create the lint directory");
	for (int i = 0; i < LINT_FILES; i++) {
		struct dfl_strbuf sb = { 0 };
		FILE *f;

		gen_policy(&sb, i, 0);
		snprintf(path, sizeof(path), "%s/policy-%04d.yaml", dir, i);
		f = fopen(path, "w");
		if (!f || sb.err || fwrite(sb.buf, 1, sb.len, f) != sb.len)
			die("cannot write a lint input");
		fclose(f);
		dfl_strbuf__release(&sb);
	}
	t0 = now();
	*cpu = cpu_seconds();
	if (dfl_objects__load_path(objs, dir, &d, NULL))
		die("lint inputs do not load");
	*t_load = now() - t0;
	if (dfl_lint__run(&cfg, objs, &d))
		die("lint failed");
	t = now() - t0;
	*cpu = cpu_seconds() - *cpu;
	*n_findings = d.n;
	for (int i = 0; i < LINT_FILES; i++) {
		snprintf(path, sizeof(path), "%s/policy-%04d.yaml", dir, i);
		unlink(path);
	}
	rmdir(dir);
	dfl_diags__release(&d);
	dfl_objects__free(objs);
	return t;
}

int main(int argc, char **argv)
{
	bool quiet = argc > 1 && !strcmp(argv[1], "-q");
	struct dfl_strbuf pods = { 0 }, pols = { 0 }, one = { 0 };
	struct dfl_objects *objs = dfl_objects__new(), *changed;
	struct dfl_diffs diffs = { 0 };
	struct dfl_compiler *c;
	double t0, c0, t_load, t_compile, c_compile, t_change, c_change,
		t_lint_load;
	size_t entries = 0, max_entries = 0, n_ids, changes = 0, findings;
	long rss;

	if (!objs)
		die("out of memory");
	gen_pods(&pods);
	for (int i = 0; i < N_POLICIES; i++)
		gen_policy(&pols, i, 0);
	t0 = now();
	load(objs, "pods.yaml", &pods);
	load(objs, "policies.yaml", &pols);
	t_load = now() - t0;

	t0 = now();
	c0 = cpu_seconds();
	c = dfl_compiler__new(NULL);
	if (!c || add_remote_identities(c) ||
	    dfl_compiler__add_objects(c, objs, NULL) ||
	    dfl_compiler__resolve(c, NULL, NULL))
		die("compile failed");
	t_compile = now() - t0;
	c_compile = cpu_seconds() - c0;
	rss = peak_rss_kib();
	for (size_t i = 0; i < dfl_compiler__n_endpoints(c); i++) {
		const struct dfl_ep_policy *p = dfl_compiler__policy_at(c, i);

		entries += p->n_entries;
		if (p->n_entries > max_entries)
			max_entries = p->n_entries;
	}
	n_ids = dfl_idalloc__count(dfl_compiler__identities(c));

	/* One policy changes: its ports and peers move. */
	changed = dfl_objects__new();
	gen_policy(&one, 7, 3);
	load(changed, "changed.yaml", &one);
	t0 = now();
	c0 = cpu_seconds();
	if (dfl_compiler__upsert_policy(c, changed->policies[0], NULL) ||
	    dfl_compiler__resolve(c, &diffs, NULL))
		die("incremental update failed");
	t_change = now() - t0;
	c_change = cpu_seconds() - c0;
	for (size_t i = 0; i < diffs.n; i++)
		changes += diffs.items[i].n_changes;

	if (!quiet)
		printf("cluster: %zu endpoints, %zu identities, %d rule "
		       "elements in %d policies; %zu map entries (max %zu per "
		       "endpoint)\n",
		       dfl_compiler__n_endpoints(c), n_ids,
		       N_POLICIES * ELEMENTS, N_POLICIES, entries,
		       max_entries);
	printf("load_yaml %.3f s\n", t_load);
	printf("compile_full %.3f s wall, %.3f s CPU (target < 2)\n",
	       t_compile, c_compile);
	printf("peak_rss %.1f MiB (target < 1024)\n", (double)rss / 1024.0);
	printf("change_one_rule %.2f ms wall, %.2f ms CPU, %zu endpoints, %zu "
	       "entry changes (target < 10)\n",
	       t_change * 1e3, c_change * 1e3, diffs.n, changes);
	dfl_diffs__release(&diffs);
	dfl_compiler__free(c);
	t0 = lint_files(&findings, &t_lint_load, &c0);
	printf("lint_1000_files %.3f s wall (%.3f s reading YAML), %.3f s CPU, "
	       "%zu findings (target < 1)\n",
	       t0, t_lint_load, c0, findings);
	dfl_objects__free(objs);
	dfl_objects__free(changed);
	dfl_strbuf__release(&pods);
	dfl_strbuf__release(&pols);
	dfl_strbuf__release(&one);
	return 0;
}
