/* flow/: Hubble metrics from flows, the agent's datapath counters, the
 * /metrics endpoint; the exposition passes `promtool check metrics`. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "flow/flow.h"
#include "flow/metrics.h"

static const char *xw_labels[] = { "k8s:app=xwing", "k8s:org=alliance" };
static const struct dfl_flow_workload ds_wl[] = { { "deathstar", "Deployment" } };
static const char *qt[] = { "A" };
static const char *ips[] = { "10.96.0.1" };

static struct dfl_flow base(void)
{
	struct dfl_flow f = { 0 };

	f.ip.version = 4;
	inet_pton(AF_INET, "10.0.0.1", f.ip.source);
	inet_pton(AF_INET, "10.0.0.2", f.ip.destination);
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_TCP, .source_port = 40000,
				     .destination_port = 80,
				     .tcp_flags = DFL_TCP_SYN };
	f.source = (struct dfl_flow_endpoint){ .identity = 1000,
					       .namespace = "default",
					       .pod_name = "xwing",
					       .labels = xw_labels, .n_labels = 2 };
	f.destination = (struct dfl_flow_endpoint){
		.identity = 2000, .namespace = "default",
		.pod_name = "deathstar-5b8c-x1", .workloads = ds_wl,
		.n_workloads = 1 };
	f.traffic_direction = DFL_TRAFFIC_INGRESS;
	return f;
}

/* The flows of the Star Wars walkthrough, one of each kind. */
static void observe_walkthrough(struct dfl_metrics *m)
{
	struct dfl_flow f;

	f = base(); /* default-deny drop and its policy verdict */
	f.verdict = DFL_VERDICT_DROPPED;
	f.drop_reason = 133;
	f.event_type = DFL_EVENT_DROP;
	f.event_sub_type = 133;
	dfl_metrics__observe(m, &f);
	f.event_type = DFL_EVENT_POLICY_VERDICT;
	f.event_sub_type = 0;
	dfl_metrics__observe(m, &f);
	f = base(); /* allowed verdict and the forwarded SYN */
	f.verdict = DFL_VERDICT_FORWARDED;
	f.event_type = DFL_EVENT_POLICY_VERDICT;
	f.policy_match_type = DFL_MATCH_L3_L4;
	f.is_reply = DFL_REPLY_NO;
	dfl_metrics__observe(m, &f);
	f.event_type = DFL_EVENT_TRACE;
	f.event_sub_type = 0;
	dfl_metrics__observe(m, &f);
	f.verdict = DFL_VERDICT_AUDIT; /* audit mode would-deny */
	f.event_type = DFL_EVENT_POLICY_VERDICT;
	f.policy_match_type = DFL_MATCH_NONE;
	dfl_metrics__observe(m, &f);
	f = base(); /* L7: denied PUT, its 403 */
	f.l4.tcp_flags = 0;
	f.verdict = DFL_VERDICT_DROPPED;
	f.event_type = DFL_EVENT_L7;
	f.is_reply = DFL_REPLY_NO;
	f.l7.type = DFL_L7_REQUEST;
	f.l7.proto = DFL_L7_PROTO_HTTP;
	f.l7.http = (struct dfl_flow_http){ .method = "PUT",
					    .protocol = "HTTP/1.1",
					    .url = "http://deathstar/v1/exhaust-port" };
	dfl_metrics__observe(m, &f);
	f.verdict = DFL_VERDICT_FORWARDED;
	f.is_reply = DFL_REPLY_YES;
	f.l7.type = DFL_L7_RESPONSE;
	f.l7.http.code = 403;
	f.l7.latency_ns = 412000;
	{
		struct dfl_flow_endpoint t = f.source;

		f.source = f.destination;
		f.destination = t;
	}
	dfl_metrics__observe(m, &f);
	f = base(); /* DNS query denied, another answered */
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_UDP, .source_port = 5353,
				     .destination_port = 53 };
	f.traffic_direction = DFL_TRAFFIC_EGRESS;
	f.verdict = DFL_VERDICT_DROPPED;
	f.event_type = DFL_EVENT_L7;
	f.is_reply = DFL_REPLY_NO;
	f.l7.type = DFL_L7_REQUEST;
	f.l7.proto = DFL_L7_PROTO_DNS;
	f.l7.dns = (struct dfl_flow_dns){ .query = "evil.com.", .qtypes = qt,
					  .n_qtypes = 1,
					  .observation_source = "proxy" };
	dfl_metrics__observe(m, &f);
	f.verdict = DFL_VERDICT_FORWARDED;
	f.is_reply = DFL_REPLY_YES;
	f.l7.type = DFL_L7_RESPONSE;
	f.l7.dns.ips = ips;
	f.l7.dns.n_ips = 1;
	f.l7.dns.rrtypes = qt;
	f.l7.dns.n_rrtypes = 1;
	dfl_metrics__observe(m, &f);
	f = base(); /* ping */
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_ICMPV4, .icmp_type = 8 };
	f.verdict = DFL_VERDICT_FORWARDED;
	f.event_type = DFL_EVENT_TRACE;
	f.is_reply = DFL_REPLY_NO;
	dfl_metrics__observe(m, &f);
}

static char *render(struct dfl_metrics *m)
{
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_metrics__render(m, &sb), 0);
	return dfl_strbuf__detach(&sb);
}

#define HAS(text, line) \
	ck_assert_msg(strstr(text, line "\n"), "missing: %s\n%s", line, text)

static void promtool_ok(const char *text)
{
	char path[] = "/tmp/dflt-flow-metrics-XXXXXX", cmd[128], out[4096];
	int fd = mkstemp(path);
	FILE *p;
	size_t n;

	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_msg(pclose(p) == 0, "promtool (from Debian's prometheus "
		      "package) rejected the exposition: %s", out);
	unlink(path);
}

START_TEST(hubble_metrics_have_hubbles_names_and_labels)
{
	char err[256];
	struct dfl_metrics *m = dfl_metrics__new(NULL, err, sizeof(err));
	char *t;

	ck_assert_msg(m, "%s", err);
	observe_walkthrough(m);
	dfl_metrics__datapath_add(m, true, 133, DFL_TRAFFIC_INGRESS, 3, 180);
	dfl_metrics__datapath_add(m, false, 0, DFL_TRAFFIC_EGRESS, 10, 1000);
	t = render(m);
	HAS(t, "# TYPE hubble_flows_processed_total counter");
	HAS(t, "hubble_flows_processed_total{protocol=\"TCP\",type=\"Drop\",subtype=\"\",verdict=\"DROPPED\"} 1");
	HAS(t, "hubble_flows_processed_total{protocol=\"TCP\",type=\"Trace\",subtype=\"to-endpoint\",verdict=\"FORWARDED\"} 1");
	HAS(t, "hubble_flows_processed_total{protocol=\"HTTP\",type=\"L7\",subtype=\"HTTP\",verdict=\"DROPPED\"} 1");
	HAS(t, "hubble_drop_total{reason=\"POLICY_DENIED\",protocol=\"TCP\"} 2");
	HAS(t, "hubble_drop_total{reason=\"DROP_REASON_UNKNOWN\",protocol=\"HTTP\"} 1");
	HAS(t, "hubble_drop_total{reason=\"DROP_REASON_UNKNOWN\",protocol=\"DNS\"} 1");
	HAS(t, "hubble_tcp_flags_total{flag=\"SYN\",family=\"IPv4\"} 2");
	HAS(t, "hubble_port_distribution_total{protocol=\"TCP\",port=\"80\"} 2");
	HAS(t, "hubble_port_distribution_total{protocol=\"ICMPv4\",port=\"0\"} 1");
	HAS(t, "hubble_icmp_total{family=\"IPv4\",type=\"EchoRequest\"} 1");
	HAS(t, "hubble_dns_queries_total{rcode=\"Policy denied\",qtypes=\"A\",ips_returned=\"0\"} 1");
	HAS(t, "hubble_dns_responses_total{rcode=\"No Error\",qtypes=\"A\",ips_returned=\"1\"} 1");
	HAS(t, "hubble_dns_response_types_total{type=\"A\",qtypes=\"A\"} 1");
	HAS(t, "hubble_http_requests_total{method=\"PUT\",protocol=\"HTTP/1.1\",status=\"403\",reporter=\"server\"} 1");
	HAS(t, "hubble_http_request_duration_seconds_bucket{method=\"PUT\",reporter=\"server\",le=\"0.005\"} 1");
	HAS(t, "hubble_http_request_duration_seconds_count{method=\"PUT\",reporter=\"server\"} 1");
	HAS(t, "hubble_policy_verdicts_total{direction=\"ingress\",match=\"none\",action=\"dropped\"} 1");
	HAS(t, "hubble_policy_verdicts_total{direction=\"ingress\",match=\"l3-l4\",action=\"forwarded\"} 1");
	HAS(t, "hubble_policy_verdicts_total{direction=\"ingress\",match=\"none\",action=\"audit\"} 1");
	HAS(t, "hubble_policy_verdicts_total{direction=\"ingress\",match=\"l7/http\",action=\"dropped\"} 1");
	HAS(t, "hubble_policy_verdicts_total{direction=\"egress\",match=\"l7/dns\",action=\"dropped\"} 1");
	HAS(t, "cilium_drop_count_total{reason=\"Policy denied\",direction=\"INGRESS\"} 3");
	HAS(t, "cilium_drop_bytes_total{reason=\"Policy denied\",direction=\"INGRESS\"} 180");
	HAS(t, "cilium_forward_count_total{direction=\"EGRESS\"} 10");
	promtool_ok(t);
	free(t);
	dfl_metrics__free(m);
}
END_TEST

START_TEST(context_options_add_labels)
{
	char err[256];
	struct dfl_metrics *m = dfl_metrics__new(
		"drop:labelsContext=source_namespace,destination_workload,traffic_direction"
		" httpV2:sourceContext=workload-name|pod;destinationContext=app|ip",
		err, sizeof(err));
	char *t;

	ck_assert_msg(m, "%s", err);
	observe_walkthrough(m);
	t = render(m);
	HAS(t, "hubble_drop_total{reason=\"POLICY_DENIED\",protocol=\"TCP\","
	       "source_namespace=\"default\",destination_workload=\"deathstar\","
	       "traffic_direction=\"ingress\"} 2");
	/* httpV2 counts from the client's side: source is the client again */
	HAS(t, "hubble_http_requests_total{method=\"PUT\",protocol=\"HTTP/1.1\","
	       "status=\"403\",reporter=\"server\",source=\"default/xwing\","
	       "destination=\"10.0.0.1\"} 1");
	ck_assert_ptr_null(strstr(t, "hubble_flows_processed_total"));
	promtool_ok(t);
	free(t);
	dfl_metrics__free(m);
}
END_TEST

START_TEST(bad_specs_are_rejected)
{
	char err[256];

	ck_assert_ptr_null(dfl_metrics__new("flows", err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown metric 'flows'"));
	ck_assert_ptr_null(dfl_metrics__new("drop:labelsContext=pod", err, sizeof(err)));
	ck_assert_str_eq(err, "metrics: drop: unknown labelsContext label 'pod'");
	ck_assert_ptr_null(dfl_metrics__new("drop:sourceContext=pods", err, sizeof(err)));
	ck_assert_ptr_null(dfl_metrics__new("tcp:exemplars=true", err, sizeof(err)));
	ck_assert_ptr_null(dfl_metrics__new("http httpV2", err, sizeof(err)));
}
END_TEST

static char *http_get(int port, const char *request)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *buf = calloc(1, 1 << 20);
	size_t got = 0;
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while ((n = read(fd, buf + got, (1 << 20) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	return buf;
}

START_TEST(metrics_endpoint_serves_the_exposition)
{
	char err[256];
	struct dfl_metrics *m = dfl_metrics__new(NULL, err, sizeof(err));
	struct dfl_metrics_server *s;
	char *r;

	observe_walkthrough(m);
	s = dfl_metrics_server__start(m, "127.0.0.1:0", err, sizeof(err));
	ck_assert_msg(s, "%s", err);
	r = http_get(dfl_metrics_server__port(s),
		     "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 200 OK\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/plain; version=0.0.4"));
	ck_assert_ptr_nonnull(strstr(r, "\r\n\r\n# HELP hubble_flows_processed_total"));
	free(r);
	r = http_get(dfl_metrics_server__port(s), "GET / HTTP/1.1\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 404 Not Found"));
	free(r);
	r = http_get(dfl_metrics_server__port(s), "POST /metrics HTTP/1.1\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 405"));
	free(r);
	r = http_get(dfl_metrics_server__port(s), "garbage\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 400"));
	free(r);
	dfl_metrics_server__stop(s);
	ck_assert_ptr_null(dfl_metrics_server__start(m, "nonsense", err, sizeof(err)));
	ck_assert_str_eq(err, "metrics: address 'nonsense': expected host:port");
	dfl_metrics__free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hubble_metrics_have_hubbles_names_and_labels);
	tcase_add_test(tc, context_options_add_labels);
	tcase_add_test(tc, bad_specs_are_rejected);
	tcase_add_test(tc, metrics_endpoint_serves_the_exposition);
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
