/* flow/: Hubble's filter semantics: allowlist any-of, AND inside a filter,
 * denylist, --not, either-direction flags. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "flow/filter.h"
#include "flow/flow.h"

static const char *xwing_labels[] = { "k8s:class=xwing", "k8s:org=alliance",
				      "k8s:io.kubernetes.pod.namespace=default" };
static const char *ds_labels[] = { "k8s:class=deathstar", "k8s:org=empire",
				   "k8s:io.kubernetes.pod.namespace=default" };

/* xwing -> deathstar:80, dropped by default deny at deathstar's ingress */
static struct dfl_flow xwing_drop(void)
{
	struct dfl_flow f = { 0 };

	f.verdict = DFL_VERDICT_DROPPED;
	f.drop_reason = DFL_DROP_POLICY;
	f.ip.version = 4;
	inet_pton(AF_INET, "10.244.1.23", f.ip.source);
	inet_pton(AF_INET, "10.244.1.77", f.ip.destination);
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_TCP, .source_port = 45706,
				     .destination_port = 80,
				     .tcp_flags = DFL_TCP_SYN };
	f.source = (struct dfl_flow_endpoint){ .identity = 63406,
					       .namespace = "default",
					       .pod_name = "xwing",
					       .labels = xwing_labels,
					       .n_labels = 3 };
	f.destination = (struct dfl_flow_endpoint){
		.identity = 14731, .namespace = "default",
		.pod_name = "deathstar-8c4c77fb7-h59s2", .labels = ds_labels,
		.n_labels = 3 };
	f.event_type = DFL_EVENT_DROP;
	f.event_sub_type = 133;
	f.traffic_direction = DFL_TRAFFIC_INGRESS;
	f.node_name = "kind/worker";
	return f;
}

static struct dfl_flow_http_header hdrs[] = { { "X-Id", "42" } };

/* tiefighter's PUT denied at L7 */
static struct dfl_flow tie_put(void)
{
	struct dfl_flow f = xwing_drop();

	f.drop_reason = 0;
	f.l4.tcp_flags = 0;
	f.source.pod_name = "tiefighter";
	f.source.identity = 50046;
	f.type = DFL_FLOW_TYPE_L7;
	f.event_type = DFL_EVENT_L7;
	f.event_sub_type = 0;
	f.is_reply = DFL_REPLY_NO;
	f.l7.type = DFL_L7_REQUEST;
	f.l7.proto = DFL_L7_PROTO_HTTP;
	f.l7.http = (struct dfl_flow_http){
		.method = "PUT", .protocol = "HTTP/1.1",
		.url = "http://deathstar/v1/exhaust-port?x=%2F",
		.headers = hdrs, .n_headers = 1 };
	return f;
}

static bool match1(const char *field, const char *value,
		   const struct dfl_flow *f)
{
	struct dfl_flow_filter *flt = dfl_flow_filter__new();
	char err[256];
	bool m;

	ck_assert_msg(!dfl_flow_filter__add(flt, field, value, err, sizeof(err)),
		      "%s=%s: %s", field, value, err);
	m = dfl_flow_filter__match(flt, f);
	dfl_flow_filter__free(flt);
	return m;
}

START_TEST(fields_match_as_hubble_does)
{
	struct dfl_flow d = xwing_drop(), h = tie_put();

	ck_assert(match1("source_pod", "default/xw", &d));	/* prefix */
	ck_assert(match1("source_pod", "xwing", &d));	/* default ns */
	ck_assert(match1("source_pod", "default/", &d));	/* namespace */
	ck_assert(!match1("source_pod", "kube-system/", &d));
	ck_assert(!match1("destination_pod", "default/xwing", &d));
	ck_assert(match1("source_ip", "10.244.0.0/16", &d));
	ck_assert(match1("destination_ip", "10.244.1.77", &d));
	ck_assert(!match1("source_ip", "10.244.1.77", &d));
	ck_assert(!match1("source_ip", "fd00::/8", &d));
	ck_assert(match1("source_label", "class=xwing", &d));
	ck_assert(match1("source_label", "k8s:org in (alliance, rebels)", &d));
	ck_assert(match1("source_label", "org!=empire,!missing", &d));
	ck_assert(!match1("source_label", "org=empire", &d));
	ck_assert(!match1("source_label", "reserved:org=alliance", &d));
	ck_assert(match1("destination_identity", "14731", &d));
	ck_assert(!match1("destination_identity", "world", &d));
	ck_assert(match1("destination_port", "80", &d));
	ck_assert(match1("verdict", "DROPPED", &d));
	ck_assert(match1("drop_reason_desc", "POLICY_DENIED", &d));
	ck_assert(!match1("drop_reason_desc", "POLICY_DENY", &d));
	ck_assert(match1("event_type", "drop", &d));
	ck_assert(match1("event_type", "drop:133", &d));
	ck_assert(!match1("event_type", "drop:181", &d));
	ck_assert(!match1("event_type", "policy-verdict", &d));
	ck_assert(match1("protocol", "TCP", &d));
	ck_assert(!match1("protocol", "http", &d));
	ck_assert(match1("protocol", "http", &h));
	ck_assert(match1("tcp_flags", "syn", &d));
	ck_assert(!match1("tcp_flags", "syn,ack", &d));
	ck_assert(match1("traffic_direction", "ingress", &d));
	ck_assert(match1("reply", "false", &d)); /* drops are not replies */
	ck_assert(match1("node_name", "kind/*", &d));
	ck_assert(match1("node_name", "work*", &d));
	ck_assert(match1("http_method", "put", &h));
	ck_assert(match1("http_path", "^/v1/exhaust", &h));
	ck_assert(!match1("http_path", "x=", &h)); /* the query is not the path */
	ck_assert(match1("http_url", "exhaust-port\\?x", &h));
	ck_assert(match1("http_header", "X-Id:42", &h));
	ck_assert(!match1("http_status_code", "4+", &h)); /* requests have no code */
	h.l7.type = DFL_L7_RESPONSE;
	h.l7.http.code = 403;
	ck_assert(match1("http_status_code", "4+", &h));
	ck_assert(match1("http_status_code", "40+", &h));
	ck_assert(match1("http_status_code", "403", &h));
	ck_assert(!match1("http_status_code", "404", &h));
}
END_TEST

START_TEST(bad_values_are_rejected_with_the_field_named)
{
	struct dfl_flow_filter *f = dfl_flow_filter__new();
	char err[256];

	ck_assert_int_eq(dfl_flow_filter__add(f, "source_ip", "10.0.0.0/33", err,
					      sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "source_ip: invalid value '10.0.0.0/33'");
	ck_assert_int_eq(dfl_flow_filter__add(f, "verdict", "MAYBE", err,
					      sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_flow_filter__add(f, "http_path", "(", err,
					      sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "http_path: invalid regular expression"));
	ck_assert_int_eq(dfl_flow_filter__add(f, "source_label", "a in (b", err,
					      sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_flow_filter__add(f, "no_such", "x", err,
					      sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_flow_filter__add(f, "http_status_code", "4", err,
					      sizeof(err)), -EINVAL);
	ck_assert(dfl_flow_filter__is_empty(f));
	dfl_flow_filter__free(f);
}
END_TEST

/* Builds filters from observe-style flags ("--flag", "value", ...). */
static int build(const char *const *argv, struct dfl_flow_filters *allow,
		 struct dfl_flow_filters *deny, char *err)
{
	struct dfl_filter_builder *b = dfl_filter_builder__new();
	int ret = 0;

	for (size_t i = 0; argv[i] && !ret; i++) {
		const char *flag = argv[i] + 2;

		if (!strcmp(flag, "not"))
			ret = dfl_filter_builder__flag(b, "not", NULL, err, 256);
		else
			ret = dfl_filter_builder__flag(b, flag, argv[++i], err, 256);
	}
	if (!ret)
		ret = dfl_filter_builder__finish(b, allow, deny, err, 256);
	dfl_filter_builder__free(b);
	return ret;
}

static char *dump(const struct dfl_flow_filters *l)
{
	struct dfl_strbuf sb = { 0 };

	for (size_t i = 0; i < l->n; i++)
		dfl_flow_filter__to_json(l->items[i], &sb);
	return dfl_strbuf__detach(&sb);
}

static void expect(const char *const *argv, const char *allow_json,
		   const char *deny_json)
{
	struct dfl_flow_filters a = { 0 }, d = { 0 };
	char err[256] = "";
	char *s;

	ck_assert_msg(!build(argv, &a, &d, err), "%s", err);
	s = dump(&a);
	ck_assert_str_eq(s, allow_json);
	free(s);
	s = dump(&d);
	ck_assert_str_eq(s, deny_json);
	free(s);
	dfl_flow_filters__release(&a);
	dfl_flow_filters__release(&d);
}

START_TEST(flags_build_hubbles_filters)
{
	/* either-direction: two filters, ORed, non-directional in both */
	expect((const char *[]){ "--pod", "default/a", "--verdict", "DROPPED", NULL },
	       "{\"source_pod\":[\"default/a\"],\"verdict\":[\"DROPPED\"]}"
	       "{\"destination_pod\":[\"default/a\"],\"verdict\":[\"DROPPED\"]}",
	       "");
	/* one side: a single filter */
	expect((const char *[]){ "--from-pod", "default/a", "--to-port", "80", NULL },
	       "{\"source_pod\":[\"default/a\"],\"destination_port\":[\"80\"]}", "");
	/* repeated flags OR their values */
	expect((const char *[]){ "--http-method", "put", "--http-method", "get", NULL },
	       "{\"http_method\":[\"put\",\"get\"]}", "");
	/* --not applies to the next flag only */
	expect((const char *[]){ "--not", "--http-method", "put", "--not",
				 "--http-method", "get", NULL },
	       "", "{\"http_method\":[\"put\",\"get\"]}");
	expect((const char *[]){ "--not", "--http-method", "put", "--not",
				 "--to-namespace", "foo", "--verdict", "DROPPED",
				 NULL },
	       "{\"verdict\":[\"DROPPED\"]}",
	       "{\"destination_pod\":[\"foo/\"],\"http_method\":[\"put\"]}");
	/* namespaces stand for their pods, or fold into pod names */
	expect((const char *[]){ "--namespace", "kube-system", NULL },
	       "{\"source_pod\":[\"kube-system/\"]}"
	       "{\"destination_pod\":[\"kube-system/\"]}", "");
	expect((const char *[]){ "--pod", "xwing", "--namespace", "default", NULL },
	       "{\"source_pod\":[\"default/xwing\"]}"
	       "{\"destination_pod\":[\"default/xwing\"]}", "");
	expect((const char *[]){ "--from-namespace", "a", "--to-namespace", "b", NULL },
	       "{\"source_pod\":[\"a/\"],\"destination_pod\":[\"b/\"]}", "");
	expect((const char *[]){ "--http-status", "4+", "--type", "l7", NULL },
	       "{\"event_type\":[\"l7\"],\"http_status_code\":[\"4+\"]}", "");
}
END_TEST

START_TEST(flag_misuse_is_reported)
{
	struct dfl_flow_filters a = { 0 }, d = { 0 };
	char err[256];

	ck_assert_int_eq(build((const char *[]){ "--ip", "1.1.1.1", "--from-ip",
						 "2.2.2.2", NULL }, &a, &d, err),
			 -EINVAL);
	ck_assert_str_eq(err, "--from-ip cannot be combined with --ip");
	ck_assert_int_eq(build((const char *[]){ "--verdict", "DROPPED", "--not",
						 NULL }, &a, &d, err), -EINVAL);
	ck_assert_str_eq(err, "--not must be followed by a filter flag");
	ck_assert_int_eq(build((const char *[]){ "--not", "--not", NULL }, &a,
			       &d, err), -EINVAL);
	ck_assert_int_eq(build((const char *[]){ "--http-method", "get", "--type",
						 "drop", NULL }, &a, &d, err),
			 -EINVAL);
	ck_assert_str_eq(err, "--http-method requires --type to be unset or to include l7");
	ck_assert_int_eq(build((const char *[]){ "--port", "http", NULL }, &a,
			       &d, err), -EINVAL);
	ck_assert_str_eq(err, "--port: source_port: invalid value 'http'");
	ck_assert_uint_eq(a.n + d.n, 0);
}
END_TEST

START_TEST(allowlist_is_any_of_and_denylist_none_of)
{
	struct dfl_flow d = xwing_drop(), h = tie_put();
	struct dfl_flow_filters allow = { 0 }, deny = { 0 };
	char err[256];

	/* empty lists let everything through */
	ck_assert(dfl_flow_filters__apply(&allow, &deny, &d));
	ck_assert_int_eq(dfl_flow_filters__parse_json(
				 &allow,
				 "{\"verdict\":[\"FORWARDED\"]}\n"
				 " {\"source_pod\":[\"default/tie\"],\"protocol\":[\"http\"]}",
				 err, sizeof(err)), 0);
	ck_assert_uint_eq(allow.n, 2);
	ck_assert(!dfl_flow_filters__apply(&allow, &deny, &d)); /* neither */
	ck_assert(dfl_flow_filters__apply(&allow, &deny, &h));	/* the second */
	ck_assert_int_eq(dfl_flow_filters__parse_json(
				 &deny, "{\"http_method\":[\"PUT\"]}", err,
				 sizeof(err)), 0);
	ck_assert(!dfl_flow_filters__apply(&allow, &deny, &h));
	dfl_flow_filters__release(&allow);
	dfl_flow_filters__release(&deny);

	/* AND inside one filter: both fields must match */
	ck_assert_int_eq(dfl_flow_filters__parse_json(
				 &allow,
				 "{\"source_pod\":[\"default/xwing\"],"
				 "\"event_type\":[{\"type\":1,\"match_sub_type\":true,"
				 "\"sub_type\":181}]}",
				 err, sizeof(err)), 0);
	ck_assert(!dfl_flow_filters__apply(&allow, NULL, &d));
	d.event_sub_type = 181;
	ck_assert(dfl_flow_filters__apply(&allow, NULL, &d));
	dfl_flow_filters__release(&allow);
}
END_TEST

START_TEST(either_direction_flags_match_source_or_destination)
{
	struct dfl_flow d = xwing_drop();
	struct dfl_flow_filters a = { 0 }, n = { 0 };
	char err[256];

	ck_assert_int_eq(build((const char *[]){ "--pod", "default/deathstar",
						 NULL }, &a, &n, err), 0);
	ck_assert(dfl_flow_filters__apply(&a, &n, &d)); /* the destination */
	dfl_flow_filters__release(&a);
	ck_assert_int_eq(build((const char *[]){ "--from-pod", "default/deathstar",
						 NULL }, &a, &n, err), 0);
	ck_assert(!dfl_flow_filters__apply(&a, &n, &d));
	dfl_flow_filters__release(&a);
	ck_assert_int_eq(build((const char *[]){ "--label", "org=empire",
						 "--identity", "63406", NULL },
			       &a, &n, err), 0);
	/* left: source org=empire AND source identity: no; right: no */
	ck_assert(!dfl_flow_filters__apply(&a, &n, &d));
	dfl_flow_filters__release(&a);
	ck_assert_int_eq(build((const char *[]){ "--ip", "10.244.1.77", "--not",
						 "--from-pod", "default/xwing",
						 NULL }, &a, &n, err), 0);
	ck_assert(!dfl_flow_filters__apply(&a, &n, &d)); /* excluded */
	dfl_flow_filters__release(&a);
	dfl_flow_filters__release(&n);
}
END_TEST

START_TEST(audit_verdicts_are_filtered_like_any_other)
{
	struct dfl_flow d = xwing_drop();

	d.verdict = DFL_VERDICT_AUDIT;
	d.event_type = DFL_EVENT_POLICY_VERDICT;
	ck_assert(match1("verdict", "AUDIT", &d));
	ck_assert(!match1("verdict", "DROPPED", &d));
	ck_assert(!match1("drop_reason_desc", "POLICY_DENIED", &d));
	ck_assert(match1("event_type", "policy-verdict", &d));
}
END_TEST

START_TEST(json_filters_reject_unknown_fields)
{
	struct dfl_flow_filters l = { 0 };
	char err[256];

	ck_assert_int_eq(dfl_flow_filters__parse_json(&l, "{\"verdicts\":[\"DROPPED\"]}",
						      err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "unknown flow filter field 'verdicts'");
	ck_assert_int_eq(dfl_flow_filters__parse_json(&l, "{\"verdict\":\"DROPPED\"}",
						      err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_flow_filters__parse_json(&l, "{\"verdict\":[\"DR",
						      err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_flow_filters__parse_json(&l, "{\"sourcePod\":[\"a/\"]}",
						      err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 1);
	dfl_flow_filters__release(&l);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_filter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, fields_match_as_hubble_does);
	tcase_add_test(tc, bad_values_are_rejected_with_the_field_named);
	tcase_add_test(tc, flags_build_hubbles_filters);
	tcase_add_test(tc, flag_misuse_is_reported);
	tcase_add_test(tc, allowlist_is_any_of_and_denylist_none_of);
	tcase_add_test(tc, either_direction_flags_match_source_or_destination);
	tcase_add_test(tc, audit_verdicts_are_filtered_like_any_other);
	tcase_add_test(tc, json_filters_reject_unknown_fields);
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
