/* flow/: flowLogs YAML configuration through libcyaml. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow/exporter.h"
#include "flow/flow.h"
#include "flow/flowlogs.h"

#define DIR "/tmp/dflt-flow-flowlogs"

static void cleanup(void)
{
	(void)!system("rm -rf " DIR);
}

static void setup(void)
{
	cleanup();
	ck_assert_int_eq(mkdir(DIR, 0700), 0);
}

static char *write_yaml(const char *text)
{
	static char path[] = DIR "/config.yaml";
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(loads_hubbles_format_and_exports_through_it)
{
	struct dfl_flowlogs *c = NULL;
	struct dfl_exporter *e;
	struct dfl_flow f = { 0 };
	char err[512], line[1024];
	FILE *in;

	ck_assert_msg(!dfl_flowlogs__load("tests/fixtures/flow/flowlogs.yaml", &c,
					  err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(dfl_flowlogs__count(c), 2);
	ck_assert_str_eq(dfl_flowlogs__name(c, 0), "drops");
	ck_assert_str_eq(dfl_flowlogs__name(c, 1), "everything");
	e = dfl_flowlogs__start(c, 0, "node1", err, sizeof(err));
	ck_assert_msg(e, "%s", err);
	f.time_ns = 1784905434000000000LL;
	f.verdict = DFL_VERDICT_DROPPED;
	f.event_type = DFL_EVENT_DROP;
	f.node_name = "node1";
	f.source.pod_name = "xwing";
	f.source.namespace = "kube-system";
	ck_assert_int_eq(dfl_exporter__export(e, &f), 0);
	f.destination.namespace = "ingress";
	f.destination.pod_name = "nginx";
	ck_assert_int_eq(dfl_exporter__export(e, &f), 1); /* excluded */
	f.verdict = DFL_VERDICT_FORWARDED;
	f.destination.namespace = NULL;
	ck_assert_int_eq(dfl_exporter__export(e, &f), 1); /* not included */
	dfl_exporter__free(e);
	in = fopen(DIR "/drops.log", "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), in));
	ck_assert_str_eq(line, "{\"flow\":{\"time\":\"2026-07-24T15:03:54Z\","
			       "\"verdict\":\"DROPPED\",\"source\":{\"namespace\":"
			       "\"kube-system\",\"pod_name\":\"xwing\"},"
			       "\"node_name\":\"node1\"},\"node_name\":\"node1\","
			       "\"time\":\"2026-07-24T15:03:54Z\"}\n");
	ck_assert_ptr_null(fgets(line, sizeof(line), in));
	fclose(in);
	ck_assert_int_eq(access(DIR "/drops.log.chain", F_OK), 0);
	e = dfl_flowlogs__start(c, 1, "node1", err, sizeof(err));
	ck_assert_ptr_nonnull(e);
	dfl_exporter__free(e);
	ck_assert_int_eq(access(DIR "/all.log.chain", F_OK), -1); /* chain: false */
	dfl_flowlogs__free(c);
}
END_TEST

static void expect_error(const char *yaml, const char *needle)
{
	struct dfl_flowlogs *c = NULL;
	char err[512] = "";

	ck_assert_int_lt(dfl_flowlogs__load(write_yaml(yaml), &c, err, sizeof(err)),
			 0);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, needle), "'%s' not in: %s", needle, err);
}

START_TEST(mistakes_are_reported_with_the_flow_log_named)
{
	expect_error("flowLogs:\n- name: a\n  filePath: /tmp/a\n  includeFilter: []\n",
		     "includeFilter");
	expect_error("flowLogs:\n- name: a\n  filePath: /tmp/a\n"
		     "- name: a\n  filePath: /tmp/b\n",
		     "flowLogs[1]: name 'a' is used twice");
	expect_error("flowLogs:\n- name: a\n  filePath: /tmp/a\n"
		     "  includeFilters:\n  - verdict: [MAYBE]\n",
		     "flowLogs[0] (a): verdict: invalid value 'MAYBE'");
	expect_error("flowLogs:\n- name: a\n  filePath: /tmp/a\n  end: tomorrow\n",
		     "end: 'tomorrow' is not an RFC 3339 time");
	expect_error("flowLogs:\n- name: a\n  filePath: /tmp/a\n  fieldMask: [nope]\n",
		     "field mask path 'nope'");
	expect_error("flowLogs:\n- filePath: /tmp/a\n", "name");
	expect_error("flowLogs: [\n", "config.yaml");
	{
		struct dfl_flowlogs *c = NULL;
		char err[256];

		ck_assert_int_eq(dfl_flowlogs__load(DIR "/missing.yaml", &c, err,
						    sizeof(err)), -ENOENT);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_flowlogs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, cleanup);
	tcase_add_test(tc, loads_hubbles_format_and_exports_through_it);
	tcase_add_test(tc, mistakes_are_reported_with_the_flow_log_named);
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
