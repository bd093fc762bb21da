/* agent/: hosts files, resolv.conf and the policy-directory watch. */
#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/dirwatch.h"
#include "agent/hosts.h"
#include "agent/ipam.h"

static struct dfl_endpoint make_ep(const char *ns, const char *name,
				   const char *ip, struct dfl_kv *labels, size_t n)
{
	struct dfl_endpoint ep = { 0 };

	ep.pod.namespace = (char *)ns;
	ep.pod.name = (char *)name;
	ep.pod.labels.items = labels;
	ep.pod.labels.n = n;
	dfl_ip4__parse(ip, &ep.ipv4);
	return ep;
}

START_TEST(hosts_name_services_then_pods)
{
	struct dfl_kv ds[] = { { "class", "deathstar", { 0 } }, { "org", "empire", { 0 } } };
	struct dfl_kv sel[] = { { "class", "deathstar", { 0 } } };
	struct dfl_endpoint tie = make_ep("default", "tiefighter", "10.200.0.2", NULL, 0);
	struct dfl_endpoint star = make_ep("default", "deathstar-8c4c77fb7-h59s2",
					   "10.200.0.3", ds, 2);
	struct dfl_endpoint other = make_ep("galaxy", "xwing", "10.200.0.4", NULL, 0);
	struct dfl_endpoint *eps[] = { &tie, &star, &other };
	struct dfl_service_desc svc = { .namespace = "default", .name = "deathstar",
					.selector = { sel, 1 } };
	struct dfl_service_desc headless = { .namespace = "default", .name = "db",
					     .headless = true,
					     .selector = { sel, 1 } };
	struct dfl_service_desc *svcs[] = { &svc, &headless };
	struct dfl_strbuf sb = { 0 };

	dfl_ip4__parse("10.96.0.10", &svc.cluster_ip);
	ck_assert_int_eq(dfl_hosts__render(&sb, "default", eps, 3, svcs, 2), 0);
	ck_assert_str_eq(sb.buf,
		"# Kubernetes-managed hosts file (deflector, namespace default).\n"
		"127.0.0.1\tlocalhost\n"
		"::1\tlocalhost ip6-localhost ip6-loopback\n"
		"fe00::0\tip6-localnet\n"
		"fe00::0\tip6-mcastprefix\n"
		"fe00::1\tip6-allnodes\n"
		"fe00::2\tip6-allrouters\n"
		"# Services\n"
		"10.96.0.10\tdeathstar.default.svc.cluster.local deathstar.default.svc deathstar.default deathstar\n"
		"10.200.0.3\tdb.default.svc.cluster.local db.default.svc db.default db\n"
		"# Pods\n"
		"10.200.0.2\t10-200-0-2.default.pod.cluster.local tiefighter.default tiefighter\n"
		"10.200.0.3\t10-200-0-3.default.pod.cluster.local deathstar-8c4c77fb7-h59s2.default deathstar-8c4c77fb7-h59s2\n"
		"10.200.0.4\t10-200-0-4.galaxy.pod.cluster.local xwing.galaxy\n");
	/* From another namespace, short names are that namespace's. */
	dfl_strbuf__reset(&sb);
	ck_assert_int_eq(dfl_hosts__render(&sb, "galaxy", eps, 3, svcs, 1), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "deathstar.default\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "xwing.galaxy xwing\n"));
	ck_assert_ptr_null(strstr(sb.buf, " tiefighter\n"));
	/* A Service named like a pod takes the pod's short names. */
	svc.name = "tiefighter";
	dfl_strbuf__reset(&sb);
	ck_assert_int_eq(dfl_hosts__render(&sb, "default", eps, 3, svcs, 1), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\n10.200.0.2\t10-200-0-2.default.pod.cluster.local\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "tiefighter.default.svc tiefighter.default tiefighter\n"));
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(resolv_conf_is_kubelets)
{
	struct dfl_strbuf sb = { 0 };
	uint32_t gw;

	dfl_ip4__parse("10.200.0.1", &gw);
	ck_assert_int_eq(dfl_resolv__render(&sb, "galaxy", gw), 0);
	ck_assert_str_eq(sb.buf, "search galaxy.svc.cluster.local svc.cluster.local cluster.local\n"
				 "nameserver 10.200.0.1\noptions ndots:5\n");
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(hosts_file_is_rewritten_in_place)
{
	char path[] = "/tmp/dflt-agent-hosts-XXXXXX", buf[64];
	int fd = mkstemp(path);
	struct stat st1, st2;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	fstat(fd, &st1);
	ck_assert_int_eq(dfl_hosts__write(path, "a long first version\n", 21), 0);
	ck_assert_int_eq(dfl_hosts__write(path, "short\n", 6), 0);
	stat(path, &st2);
	/* Same inode: a bind mount of the file sees the new content. */
	ck_assert_uint_eq(st1.st_ino, st2.st_ino);
	n = pread(fd, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, 6);
	close(fd);
	unlink(path);
}
END_TEST

struct seen {
	char log[1024];
};

static void on_file(void *ctx, const char *path, enum dfl_file_event ev)
{
	static const char *const names[] = { "added", "changed", "removed" };
	struct seen *s = ctx;
	const char *base = strrchr(path, '/') + 1;

	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log),
		 "%s %s;", names[ev], base);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(dirwatch_reports_policy_files)
{
	char dir[] = "/tmp/dflt-agent-dirwatch-XXXXXX", a[256], b[256], err[256];
	struct seen s = { "" };
	struct dfl_dirwatch *w;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "b.yaml", "x");
	write_file(dir, "a.json", "x");
	write_file(dir, "notes.txt", "x");
	write_file(dir, ".a.yaml.swp", "x");
	w = dfl_dirwatch__new(dir, on_file, &s, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(dfl_dirwatch__scan(w), 2);
	ck_assert_str_eq(s.log, "added a.json;added b.yaml;");
	s.log[0] = '\0';
	write_file(dir, "b.yaml", "y");
	write_file(dir, "c.yml", "y");
	write_file(dir, "ignored.txt", "y");
	snprintf(a, sizeof(a), "%s/a.json", dir);
	unlink(a);
	snprintf(a, sizeof(a), "%s/c.yml", dir);
	snprintf(b, sizeof(b), "%s/d.yaml", dir);
	ck_assert_int_eq(rename(a, b), 0);
	ck_assert_int_eq(dfl_dirwatch__process(w), 5);
	ck_assert_str_eq(s.log, "changed b.yaml;added c.yml;removed a.json;removed c.yml;added d.yaml;");
	ck_assert_int_eq(dfl_dirwatch__process(w), 0);
	dfl_dirwatch__free(w);
	ck_assert_ptr_null(dfl_dirwatch__new("/nonexistent/dir", on_file, &s, err, sizeof(err)));
	ck_assert_str_eq(err, "cannot watch directory /nonexistent/dir: No such file or directory");
	for (const char *f = "b.yaml\0d.yaml\0notes.txt\0.a.yaml.swp\0ignored.txt\0"; *f;
	     f += strlen(f) + 1) {
		snprintf(a, sizeof(a), "%s/%s", dir, f);
		unlink(a);
	}
	rmdir(dir);
}
END_TEST

static Suite *hosts_suite(void)
{
	Suite *s = suite_create("agent_hosts");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hosts_name_services_then_pods);
	tcase_add_test(tc, resolv_conf_is_kubelets);
	tcase_add_test(tc, hosts_file_is_rewritten_in_place);
	tcase_add_test(tc, dirwatch_reports_policy_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hosts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
