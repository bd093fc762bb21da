/* The Valid condition written back on policies. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent/k8s_status.h"

static json_t *policy_with(const char *conditions)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"rule1\"},\"status\":{\"conditions\":%s}}",
		 conditions);
	return json_loads(buf, 0, NULL);
}

START_TEST(first_status_is_written_with_now)
{
	json_t *p = json_loads("{\"metadata\":{\"name\":\"rule1\"}}", 0, NULL);
	char *body = dfl_k8s_status__valid_patch(p, true, NULL, "2026-11-23T10:00:00Z");

	ck_assert_str_eq(body, "{\"status\":{\"conditions\":[{\"type\":\"Valid\",\"status\":\"True\","
			       "\"lastTransitionTime\":\"2026-11-23T10:00:00Z\","
			       "\"message\":\"Policy validation succeeded\"}]}}");
	free(body);
	json_decref(p);
}
END_TEST

START_TEST(unchanged_status_writes_nothing)
{
	json_t *p = policy_with("[{\"type\":\"Valid\",\"status\":\"True\",\"message\":\"Policy validation succeeded\","
				"\"lastTransitionTime\":\"t0\"}]");

	ck_assert_ptr_null(dfl_k8s_status__valid_patch(p, true, NULL, "t1"));
	json_decref(p);
}
END_TEST

START_TEST(message_change_keeps_transition_time_status_change_bumps_it)
{
	json_t *p = policy_with("[{\"type\":\"Other\",\"status\":\"True\"},"
				"{\"type\":\"Valid\",\"status\":\"False\",\"message\":\"old\","
				"\"lastTransitionTime\":\"t0\"}]");
	char *body = dfl_k8s_status__valid_patch(p, false, "new error", "t1");

	ck_assert_ptr_nonnull(strstr(body, "\"lastTransitionTime\":\"t0\""));
	ck_assert_ptr_nonnull(strstr(body, "\"message\":\"new error\""));
	ck_assert_ptr_nonnull(strstr(body, "{\"type\":\"Other\",\"status\":\"True\"}"));
	free(body);
	body = dfl_k8s_status__valid_patch(p, true, NULL, "t2");
	ck_assert_ptr_nonnull(strstr(body, "\"status\":\"True\",\"lastTransitionTime\":\"t2\""));
	free(body);
	json_decref(p);
}
END_TEST

START_TEST(status_paths)
{
	char *a = dfl_k8s_status__path("default", "rule1");
	char *b = dfl_k8s_status__path(NULL, "cw");

	ck_assert_str_eq(a, "/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/rule1/status");
	ck_assert_str_eq(b, "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/cw/status");
	free(a);
	free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent_k8s_status");
	TCase *tc = tcase_create("status");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, first_status_is_written_with_now);
	tcase_add_test(tc, unchanged_status_writes_nothing);
	tcase_add_test(tc, message_change_keeps_transition_time_status_change_bumps_it);
	tcase_add_test(tc, status_paths);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
