/* flow/: `audit verify` names deleted, reordered and edited records and
 * missing segments; `audit report` counts drops. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "flow/audit.h"
#include "flow/chain.h"
#include "flow/exporter.h"
#include "flow/flow.h"
#include "flow/json.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dflt-flow-audit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.log", dir);
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static struct dfl_flow drop(uint64_t seq, const char *src_pod, uint16_t port)
{
	struct dfl_flow f = { 0 };

	f.time_ns = 1784905434000000000LL + (int64_t)seq * 1000000000;
	snprintf(f.uuid, sizeof(f.uuid), "00000000-0000-4000-8000-%012llx",
		 (unsigned long long)seq);
	f.verdict = DFL_VERDICT_DROPPED;
	f.drop_reason = DFL_DROP_POLICY;
	f.ip.version = 4;
	inet_pton(AF_INET, "10.0.0.1", f.ip.source);
	inet_pton(AF_INET, "10.0.0.2", f.ip.destination);
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_TCP, .source_port = 40000,
				     .destination_port = port,
				     .tcp_flags = DFL_TCP_SYN };
	f.source = (struct dfl_flow_endpoint){ .identity = 1000,
					       .namespace = "default",
					       .pod_name = src_pod };
	f.destination = (struct dfl_flow_endpoint){ .identity = 2000,
						    .namespace = "default",
						    .pod_name = "deathstar" };
	f.node_name = "node1";
	f.event_type = DFL_EVENT_DROP;
	f.event_sub_type = 133;
	f.traffic_direction = DFL_TRAFFIC_INGRESS;
	return f;
}

/* Exports <n> records; segments hold about <per_segment> each. */
static void export_n(int n, int per_segment, const char *key_file)
{
	struct dfl_exporter_config cfg = {
		.file_path = path,
		.max_size_bytes = (uint64_t)per_segment * 700,
		.max_backups = 100,
		.chain_key_file = key_file,
	};
	char err[256];
	struct dfl_exporter *e = dfl_exporter__new(&cfg, err, sizeof(err));

	ck_assert_msg(e, "%s", err);
	for (int i = 0; i < n; i++) {
		struct dfl_flow f = drop((uint64_t)i, "xwing", 80);

		ck_assert_int_eq(dfl_exporter__export(e, &f), 0);
	}
	dfl_exporter__free(e);
}

struct findings {
	char text[4096];
	int problems;
};

static void collect(void *ctx, bool problem, const char *msg)
{
	struct findings *f = ctx;

	if (!problem)
		return;
	f->problems++;
	strncat(f->text, msg, sizeof(f->text) - strlen(f->text) - 2);
	strcat(f->text, "\n");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Verifies every segment in the directory (in scrambled order). */
static struct findings verify(const char *key, size_t key_len,
			      struct dfl_verify_result *res)
{
	static char names[64][512];
	const char *files[64];
	DIR *d = opendir(dir);
	struct dirent *de;
	struct findings f = { "", 0 };
	size_t n = 0;

	while ((de = readdir(d)) && n < 64) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(names[n], sizeof(names[n]), "%s/%s", dir, de->d_name);
		files[n] = names[n];
		n++;
	}
	closedir(d);
	qsort(files, n, sizeof(*files), cmp);
	/* reverse: verify must not depend on the order given */
	for (size_t i = 0; i < n / 2; i++) {
		const char *t = files[i];

		files[i] = files[n - 1 - i];
		files[n - 1 - i] = t;
	}
	ck_assert_int_eq(dfl_audit__verify(files, n, (const uint8_t *)key,
					   key_len, collect, &f, res), 0);
	return f;
}

/* Rewrites <file>'s lines through <edit> (which may reorder or drop). */
static void rewrite(const char *file, void (*edit)(char **lines, size_t *n))
{
	char *lines[4096];
	size_t n = 0, cap = 0;
	char *line = NULL;
	FILE *in = fopen(file, "r"), *out;

	ck_assert_ptr_nonnull(in);
	while (getline(&line, &cap, in) > 0 && n < 4096)
		lines[n++] = strdup(line);
	fclose(in);
	free(line);
	edit(lines, &n);
	out = fopen(file, "w");
	for (size_t i = 0; i < n; i++) {
		fputs(lines[i], out);
		free(lines[i]);
	}
	fclose(out);
}

static void delete_line_5(char **lines, size_t *n)
{
	free(lines[4]);
	memmove(lines + 4, lines + 5, (*n - 5) * sizeof(*lines));
	(*n)--;
}

static void swap_lines_7_8(char **lines, size_t *n)
{
	char *t = lines[6];

	(void)n;
	lines[6] = lines[7];
	lines[7] = t;
}

static void edit_line_3(char **lines, size_t *n)
{
	char *p = strstr(lines[2], "\"destination_port\":80");

	(void)n;
	ck_assert_ptr_nonnull(p);
	p[strlen("\"destination_port\":") + 1] = '1'; /* port 81 */
}

START_TEST(intact_logs_verify)
{
	struct dfl_verify_result res;
	struct findings f;

	export_n(100, 30, NULL);
	f = verify(NULL, 0, &res);
	ck_assert_msg(f.problems == 0, "%s", f.text);
	ck_assert_uint_eq(res.records, 100);
	ck_assert_uint_ge(res.segments, 3);
	ck_assert(res.has_head);
}
END_TEST

START_TEST(deleted_record_is_named)
{
	struct dfl_verify_result res;
	struct findings f;

	export_n(20, 1000, NULL);
	rewrite(path, delete_line_5);
	f = verify(NULL, 0, &res);
	ck_assert_int_eq(f.problems, 1);
	ck_assert_ptr_nonnull(strstr(f.text, "events.log: record 5 was deleted "
					     "(it belonged before line 5)"));
}
END_TEST

START_TEST(reordered_records_are_named)
{
	struct dfl_verify_result res;
	struct findings f;

	export_n(20, 1000, NULL);
	rewrite(path, swap_lines_7_8);
	f = verify(NULL, 0, &res);
	ck_assert_int_eq(f.problems, 1);
	ck_assert_ptr_nonnull(strstr(f.text, "events.log: record 7 (line 8) "
					     "comes after record 8: reordered"));
}
END_TEST

START_TEST(edited_record_is_named)
{
	struct dfl_verify_result res;
	struct findings f;

	export_n(20, 1000, NULL);
	rewrite(path, edit_line_3);
	f = verify(NULL, 0, &res);
	ck_assert_int_eq(f.problems, 1);
	ck_assert_ptr_nonnull(strstr(f.text, "events.log: record 3 (line 3) was "
					     "edited"));
}
END_TEST

/* An edit that also rewrites the record's manifest entry is caught by the
 * chain values of the checkpoints. */
START_TEST(edited_manifest_is_caught_by_the_chain)
{
	char chain[256], *text = NULL, *line = NULL;
	size_t cap = 0, len = 0;
	struct dfl_verify_result res;
	struct dfl_chain c;
	uint8_t d[DFL_CHAIN_LEN];
	char hex[65];
	struct findings f;
	FILE *in;
	int no = 0;

	export_n(20, 1000, NULL);
	rewrite(path, edit_line_3);
	/* recompute the digest of the edited line into the manifest */
	in = fopen(path, "r");
	for (int i = 0; i < 3; i++)
		ck_assert_int_gt(getline(&line, &cap, in), 0);
	fclose(in);
	dfl_chain__init(&c, NULL, NULL, 0);
	dfl_chain__digest(&c, line, strlen(line) - 1, d);
	dfl_hex(d, DFL_CHAIN_REC_LEN, hex);
	snprintf(chain, sizeof(chain), "%s.chain", path);
	in = fopen(chain, "r");
	{
		FILE *out = open_memstream(&text, &len);

		while (getline(&line, &cap, in) > 0) {
			if (!strncmp(line, "r ", 2) && ++no == 3)
				fprintf(out, "r %s\n", hex);
			else
				fputs(line, out);
		}
		fclose(out);
	}
	fclose(in);
	in = fopen(chain, "w");
	fputs(text, in);
	fclose(in);
	f = verify(NULL, 0, &res);
	ck_assert_int_ge(f.problems, 1);
	ck_assert_ptr_nonnull(strstr(f.text, "the manifest was altered"));
	free(text);
	free(line);
}
END_TEST

START_TEST(missing_segment_is_named)
{
	DIR *d;
	struct dirent *de;
	char *names[64], p[512];
	size_t n = 0;
	struct dfl_verify_result res;
	struct findings f;

	export_n(100, 20, NULL);
	d = opendir(dir);
	while ((de = readdir(d)))
		if (strstr(de->d_name, "events-") && !strstr(de->d_name, ".chain"))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	ck_assert_uint_ge(n, 3);
	/* remove the second rotated segment and its manifest */
	snprintf(p, sizeof(p), "%s/%s", dir, names[1]);
	unlink(p);
	strcat(p, ".chain");
	unlink(p);
	f = verify(NULL, 0, &res);
	ck_assert_int_eq(f.problems, 1);
	ck_assert_msg(strstr(f.text, names[2]), "%s / %s", f.text, names[2]);
	ck_assert_ptr_nonnull(strstr(f.text, "does not continue any segment given"));
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}
END_TEST

START_TEST(keyed_chain_needs_its_key)
{
	char key_path[256];
	struct dfl_verify_result res;
	struct findings f;
	int fd;

	snprintf(key_path, sizeof(key_path), "%s/key", dir);
	fd = open(key_path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "s3cret", 6), 6);
	close(fd);
	export_n(10, 1000, key_path);
	unlink(key_path);
	f = verify("s3cret", 6, &res);
	ck_assert_msg(f.problems == 0, "%s", f.text);
	f = verify(NULL, 0, &res);
	ck_assert_int_eq(f.problems, 1);
	ck_assert_ptr_nonnull(strstr(f.text, "give its key with --key FILE"));
	f = verify("wrong", 5, &res);
	ck_assert_ptr_nonnull(strstr(f.text, "wrong key?"));
}
END_TEST

START_TEST(report_counts_drops_per_dimension)
{
	struct dfl_report_opts o = { .since = 1784905434000000000LL + 1000000000LL };
	struct dfl_report *r = dfl_report__new(&o);
	struct dfl_strbuf out = { 0 };
	struct dfl_flow flows[6];
	struct dfl_flow_policy dd = { .name = "rule1", .namespace = "default",
				      .kind = "CiliumNetworkPolicy",
				      .default_deny = true };

	flows[0] = drop(0, "xwing", 80); /* before --since */
	flows[1] = drop(1, "xwing", 80);
	flows[2] = drop(2, "xwing", 443);
	flows[3] = drop(3, "tiefighter", 80);
	flows[3].drop_reason = DFL_DROP_POLICY_DENY;
	flows[4] = drop(4, "xwing", 80); /* its policy-verdict twin: not counted */
	flows[4].event_type = DFL_EVENT_POLICY_VERDICT;
	flows[5] = drop(5, "xwing", 80);
	for (int i = 1; i < 6; i++)
		flows[i].ingress_denied_by = (struct dfl_flow_policies){ &dd, 1 };
	for (int i = 0; i < 6; i++) {
		struct dfl_flow_record rec = { .kind = DFL_RECORD_FLOW,
					       .flow = &flows[i],
					       .time_ns = flows[i].time_ns };

		dfl_report__add(r, &rec);
	}
	ck_assert_uint_eq(dfl_report__total(r), 4);
	ck_assert_int_eq(dfl_report__render(r, "csv", &out), 0);
	ck_assert_str_eq(dfl_strbuf__str(&out),
			 "dimension,key,count\n"
			 "source,\"default/xwing\",3\n"
			 "source,\"default/tiefighter\",1\n"
			 "destination,\"default/deathstar\",4\n"
			 "port,\"TCP/80\",3\n"
			 "port,\"TCP/443\",1\n"
			 "reason,\"POLICY_DENIED\",3\n"
			 "reason,\"POLICY_DENY\",1\n"
			 "policy,\"default/rule1 (CiliumNetworkPolicy) default deny\",4\n");
	dfl_strbuf__reset(&out);
	ck_assert_int_eq(dfl_report__render(r, "json", &out), 0);
	ck_assert_ptr_nonnull(strstr(dfl_strbuf__str(&out),
				     "\"total\":4,\"by_source\":[{\"key\":\"default/xwing\","
				     "\"count\":3},"));
	ck_assert_int_eq(dfl_report__render(r, "yaml", &out), -EINVAL);
	dfl_strbuf__release(&out);
	dfl_report__free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_audit");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, intact_logs_verify);
	tcase_add_test(tc, deleted_record_is_named);
	tcase_add_test(tc, reordered_records_are_named);
	tcase_add_test(tc, edited_record_is_named);
	tcase_add_test(tc, edited_manifest_is_caught_by_the_chain);
	tcase_add_test(tc, missing_segment_is_named);
	tcase_add_test(tc, keyed_chain_needs_its_key);
	tcase_add_test(tc, report_counts_drops_per_dimension);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
