/* flow/: the exporter: rotation under load loses nothing, overload is
 * counted and reported, torn tails are repaired, the chain continues across
 * restarts. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "flow/audit.h"
#include "flow/exporter.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/reader.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dflt-flow-exp-XXXXXX");
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

static const char *labels[] = { "k8s:app=xwing", "k8s:org=alliance" };

/* A drop record whose UUID carries a sequence number. */
static struct dfl_flow seq_flow(uint64_t seq)
{
	struct dfl_flow f = { 0 };

	f.time_ns = 1784905434000000000LL + (int64_t)seq * 1000;
	snprintf(f.uuid, sizeof(f.uuid), "00000000-0000-4000-8000-%012llx",
		 (unsigned long long)seq);
	f.verdict = DFL_VERDICT_DROPPED;
	f.drop_reason = DFL_DROP_POLICY;
	f.ip.version = 4;
	inet_pton(AF_INET, "10.0.0.1", f.ip.source);
	inet_pton(AF_INET, "10.0.0.2", f.ip.destination);
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_TCP, .source_port = 40000,
				     .destination_port = 80,
				     .tcp_flags = DFL_TCP_SYN };
	f.source = (struct dfl_flow_endpoint){ .identity = 1000,
					       .namespace = "default",
					       .pod_name = "xwing",
					       .labels = labels, .n_labels = 2 };
	f.destination = (struct dfl_flow_endpoint){ .identity = 2000,
						    .namespace = "default",
						    .pod_name = "deathstar" };
	f.type = DFL_FLOW_TYPE_L3_L4;
	f.node_name = "node1";
	f.event_type = DFL_EVENT_DROP;
	f.event_sub_type = 133;
	f.traffic_direction = DFL_TRAFFIC_INGRESS;
	return f;
}

/* Every export file in the directory (segments, not manifests), sorted. */
static size_t list_segments(char names[][512], size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) && n < max) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' ||
		    (l > 6 && !strcmp(de->d_name + l - 6, ".chain")))
			continue;
		snprintf(names[n++], 512, "%s/%s", dir, de->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, n, 512, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Reads every record of every segment: counts each sequence number seen
 * and the records reported lost. Returns the number of flow lines. */
static uint64_t collect(uint8_t *seen, uint64_t total, uint64_t *lost)
{
	char names[512][512];
	size_t n = list_segments(names, 512);
	uint64_t flows = 0;

	*lost = 0;
	for (size_t i = 0; i < n; i++) {
		struct dfl_flow_source *src = dfl_flow_source__open(names[i]);
		struct dfl_flow_record rec;
		const char *raw;
		size_t len;
		int ret;

		ck_assert_ptr_nonnull(src);
		while ((ret = dfl_flow_source__next(src, &rec, &raw, &len)) > 0) {
			if (rec.kind == DFL_RECORD_LOST) {
				*lost += rec.lost.num_events_lost;
			} else {
				uint64_t seq = strtoull(rec.flow->uuid + 24, NULL, 16);

				ck_assert_uint_lt(seq, total);
				seen[seq]++;
				flows++;
			}
			ck_assert_uint_le(len, DFL_FLOW_LINE_MAX);
			dfl_flow_record__release(&rec);
		}
		ck_assert_msg(ret == 0, "%s", dfl_flow_source__error(src));
		dfl_flow_source__close(src);
	}
	return flows;
}

static void on_finding(void *ctx, bool problem, const char *msg)
{
	(void)ctx;
	ck_assert_msg(!problem, "verify: %s", msg);
}

static void verify_all(uint64_t want_records)
{
	char names[512][512];
	const char *files[512];
	size_t n = list_segments(names, 512);
	struct dfl_verify_result res;

	for (size_t i = 0; i < n; i++)
		files[i] = names[i];
	ck_assert_int_eq(dfl_audit__verify(files, n, NULL, 0, on_finding, NULL,
					   &res), 0);
	ck_assert_uint_eq(res.problems, 0);
	ck_assert_uint_eq(res.records, want_records);
	ck_assert(res.has_head);
}

static void rotation_run(bool compress)
{
	enum { N = 30000 };
	struct dfl_exporter_config cfg = {
		.file_path = path,
		.max_size_bytes = 256 * 1024,
		.max_backups = 1000,
		.compress = compress,
		.node_name = "node1",
	};
	char err[256] = "";
	struct dfl_exporter *e = dfl_exporter__new(&cfg, err, sizeof(err));
	struct dfl_exporter_stats st;
	uint8_t *seen = calloc(N, 1);
	uint64_t lost;

	ck_assert_msg(e, "%s", err);
	for (uint64_t i = 0; i < N; i++) {
		struct dfl_flow f = seq_flow(i);

		ck_assert_int_eq(dfl_exporter__export(e, &f), 0);
	}
	dfl_exporter__flush(e);
	dfl_exporter__stats(e, &st);
	ck_assert_uint_eq(st.exported, N);
	ck_assert_uint_eq(st.lost, 0);
	ck_assert_uint_gt(st.rotations, 10);
	dfl_exporter__free(e); /* joins the compressor too */
	ck_assert_uint_eq(collect(seen, N, &lost), N);
	ck_assert_uint_eq(lost, 0);
	for (uint64_t i = 0; i < N; i++)
		ck_assert_msg(seen[i] == 1, "record %llu seen %u times",
			      (unsigned long long)i, seen[i]);
	verify_all(N);
	free(seen);
}

START_TEST(rotation_under_load_loses_nothing)
{
	rotation_run(false);
}
END_TEST

START_TEST(rotation_with_gzip_loses_nothing)
{
	char names[512][512];
	size_t n, gz = 0;

	rotation_run(true);
	n = list_segments(names, 512);
	for (size_t i = 0; i < n; i++)
		gz += strstr(names[i], ".log.gz") != NULL;
	ck_assert_uint_eq(gz, n - 1); /* all but the active segment */
}
END_TEST

START_TEST(backups_beyond_the_limit_are_deleted)
{
	struct dfl_exporter_config cfg = { .file_path = path,
					   .max_size_bytes = 16 * 1024,
					   .max_backups = 3 };
	char err[256], names[512][512];
	struct dfl_exporter *e = dfl_exporter__new(&cfg, err, sizeof(err));

	ck_assert_ptr_nonnull(e);
	for (uint64_t i = 0; i < 1000; i++) {
		struct dfl_flow f = seq_flow(i);

		dfl_exporter__export(e, &f);
	}
	dfl_exporter__free(e);
	ck_assert_uint_eq(list_segments(names, 512), 4); /* 3 + active */
}
END_TEST

START_TEST(overload_is_counted_and_reported)
{
	enum { N = 20000 };
	struct dfl_exporter_config cfg = { .file_path = path,
					   .queue_bytes = 8 * 1024,
					   .max_size_bytes = 1 << 20,
					   .max_backups = 1000 };
	char err[256];
	struct dfl_exporter *e = dfl_exporter__new(&cfg, err, sizeof(err));
	struct dfl_exporter_stats st;
	uint8_t *seen = calloc(N, 1);
	uint64_t lost, dropped = 0, flows;

	ck_assert_ptr_nonnull(e);
	for (uint64_t i = 0; i < N; i++) {
		struct dfl_flow f = seq_flow(i);
		int ret = dfl_exporter__export(e, &f);

		ck_assert(ret == 0 || ret == -ENOBUFS);
		dropped += ret == -ENOBUFS;
	}
	dfl_exporter__flush(e);
	dfl_exporter__stats(e, &st);
	dfl_exporter__free(e);
	ck_assert_uint_gt(dropped, 0); /* an 8 KiB queue cannot keep up */
	ck_assert_uint_eq(st.lost, dropped);
	flows = collect(seen, N, &lost);
	/* nothing silently gone: written + reported lost = exported */
	ck_assert_uint_eq(lost, dropped);
	ck_assert_uint_eq(flows + lost, N);
	for (uint64_t i = 0; i < N; i++)
		ck_assert_uint_le(seen[i], 1);
	free(seen);
}
END_TEST

START_TEST(torn_tail_is_cut_and_chain_recovered)
{
	struct dfl_exporter_config cfg = { .file_path = path };
	struct dfl_strbuf sb = { 0 };
	char err[256];
	struct dfl_exporter *e;
	struct dfl_exporter_stats st;
	uint8_t seen[8] = { 0 };
	uint64_t lost;
	FILE *f = fopen(path, "w");

	/* three whole lines and half of a fourth: a crash mid-write */
	for (uint64_t i = 0; i < 4; i++) {
		struct dfl_flow fl = seq_flow(i);

		dfl_flow__to_json_line(&fl, NULL, &sb);
	}
	fwrite(sb.buf, 1, sb.len - 100, f);
	fclose(f);
	e = dfl_exporter__new(&cfg, err, sizeof(err));
	ck_assert_msg(e, "%s", err);
	dfl_exporter__stats(e, &st);
	ck_assert_uint_gt(st.torn_bytes_repaired, 0);
	{
		struct dfl_flow fl = seq_flow(5);

		dfl_exporter__export(e, &fl);
	}
	dfl_exporter__free(e);
	ck_assert_uint_eq(collect(seen, 8, &lost), 4);
	ck_assert(seen[0] && seen[1] && seen[2] && !seen[3] && seen[5]);
	verify_all(4); /* the first three are "recovered": a note, no problem */
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(restart_continues_the_chain)
{
	struct dfl_exporter_config cfg = { .file_path = path };
	char err[256], names[512][512];

	for (int run = 0; run < 3; run++) {
		struct dfl_exporter *e = dfl_exporter__new(&cfg, err, sizeof(err));

		ck_assert_msg(e, "%s", err);
		for (uint64_t i = 0; i < 10; i++) {
			struct dfl_flow f = seq_flow((uint64_t)run * 10 + i);

			dfl_exporter__export(e, &f);
		}
		dfl_exporter__free(e);
	}
	ck_assert_uint_eq(list_segments(names, 512), 1);
	verify_all(30);
}
END_TEST

START_TEST(filters_mask_and_end_time)
{
	const char *mask[] = { "time", "verdict", "source.pod_name" };
	struct dfl_exporter_config cfg = {
		.file_path = path,
		.include_json = "{\"verdict\":[\"DROPPED\"]}",
		.exclude_json = "{\"source_pod\":[\"kube-system/\"]}",
		.field_mask = mask,
		.n_field_mask = 3,
		.end_ns = 1784905434000000000LL + 5000,
		.no_chain = true,
	};
	char err[256], line[512];
	struct dfl_exporter *e = dfl_exporter__new(&cfg, err, sizeof(err));
	struct dfl_flow f = seq_flow(0);
	FILE *in;

	ck_assert_msg(e, "%s", err);
	ck_assert_int_eq(dfl_exporter__export(e, &f), 0);
	f.verdict = DFL_VERDICT_FORWARDED;
	ck_assert_int_eq(dfl_exporter__export(e, &f), 1);
	f = seq_flow(1);
	f.source.namespace = "kube-system";
	ck_assert_int_eq(dfl_exporter__export(e, &f), 1);
	f = seq_flow(9); /* after the end time */
	ck_assert_int_eq(dfl_exporter__export(e, &f), 1);
	dfl_exporter__free(e);
	in = fopen(path, "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), in));
	ck_assert_str_eq(line,
			 "{\"flow\":{\"time\":\"2026-07-24T15:03:54Z\",\"verdict\":"
			 "\"DROPPED\",\"source\":{\"pod_name\":\"xwing\"}},"
			 "\"node_name\":\"node1\",\"time\":\"2026-07-24T15:03:54Z\"}\n");
	ck_assert_ptr_null(fgets(line, sizeof(line), in));
	fclose(in);
	ck_assert_int_ne(access("/dev/null", F_OK), -1);
	snprintf(line, sizeof(line), "%s.chain", path);
	ck_assert_int_eq(access(line, F_OK), -1); /* no_chain */
}
END_TEST

START_TEST(bad_configuration_is_reported)
{
	struct dfl_exporter_config cfg = { .file_path = "/nonexistent-dir/x.log" };
	char err[256] = "";
	const char *mask[] = { "nope" };

	ck_assert_ptr_null(dfl_exporter__new(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.log"));
	cfg.file_path = path;
	cfg.include_json = "{\"verdict\":[\"NOPE\"]}";
	ck_assert_ptr_null(dfl_exporter__new(&cfg, err, sizeof(err)));
	ck_assert_str_eq(err, "verdict: invalid value 'NOPE'");
	cfg.include_json = NULL;
	cfg.field_mask = mask;
	cfg.n_field_mask = 1;
	ck_assert_ptr_null(dfl_exporter__new(&cfg, err, sizeof(err)));
	ck_assert_str_eq(err, "field mask path 'nope': no field 'nope' in Flow");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_exporter");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rotation_under_load_loses_nothing);
	tcase_add_test(tc, rotation_with_gzip_loses_nothing);
	tcase_add_test(tc, backups_beyond_the_limit_are_deleted);
	tcase_add_test(tc, overload_is_counted_and_reported);
	tcase_add_test(tc, torn_tail_is_cut_and_chain_recovered);
	tcase_add_test(tc, restart_continues_the_chain);
	tcase_add_test(tc, filters_mask_and_end_time);
	tcase_add_test(tc, bad_configuration_is_reported);
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
