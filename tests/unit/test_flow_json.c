/* flow/: Hubble JSON lines, encoded from records the integrator builds and
 * decoded back, against the reference examples (hubble-flows.md §1.4). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "flow/fieldmask.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/printer.h"

#define FIXTURES "tests/fixtures/flow/"

/* Line <n> (1-based) of a fixture file, without its newline; caller frees. */
static char *fixture_line(const char *file, int n)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = -1;

	ck_assert_msg(f, "%s: %s", file, strerror(errno));
	for (int i = 0; i < n; i++)
		len = getline(&line, &cap, f);
	fclose(f);
	ck_assert_int_gt(len, 0);
	if (line[len - 1] == '\n')
		line[len - 1] = '\0';
	return line;
}

static void set_ip4(struct dfl_flow *f, const char *src, const char *dst)
{
	f->ip.version = 4;
	inet_pton(AF_INET, src, f->ip.source);
	inet_pton(AF_INET, dst, f->ip.destination);
}

static const char *xwing_labels[] = {
	"k8s:app.kubernetes.io/name=xwing",
	"k8s:class=xwing",
	"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=default",
	"k8s:io.cilium.k8s.policy.cluster=default",
	"k8s:io.cilium.k8s.policy.serviceaccount=default",
	"k8s:io.kubernetes.pod.namespace=default",
	"k8s:org=alliance",
};
static const char *deathstar_labels[] = {
	"k8s:app.kubernetes.io/name=deathstar",
	"k8s:class=deathstar",
	"k8s:io.cilium.k8s.policy.cluster=default",
	"k8s:io.cilium.k8s.policy.serviceaccount=default",
	"k8s:io.kubernetes.pod.namespace=default",
	"k8s:org=empire",
};
static const struct dfl_flow_workload deathstar_wl[] = { { "deathstar",
							   "Deployment" } };

/* Example (a): the datapath drop of xwing -> deathstar:80, default deny. */
static struct dfl_flow example_drop(void)
{
	struct dfl_flow f = { 0 };
	const uint8_t smac[] = { 0x9a, 0x3c, 0x11, 0x22, 0x33, 0x44 };
	const uint8_t dmac[] = { 0xbe, 0xef, 0x55, 0x66, 0x77, 0x88 };

	dfl_json__parse_time("2026-07-24T15:03:55.120112233Z", &f.time_ns);
	strcpy(f.uuid, "5f0c2c8e-5a3e-4a8e-9d0e-1f2a3b4c5d6e");
	f.verdict = DFL_VERDICT_DROPPED;
	f.drop_reason = DFL_DROP_POLICY;
	f.has_ethernet = true;
	memcpy(f.ethernet_source, smac, 6);
	memcpy(f.ethernet_destination, dmac, 6);
	set_ip4(&f, "10.244.1.23", "10.244.1.77");
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_TCP,
				     .source_port = 45706,
				     .destination_port = 80,
				     .tcp_flags = DFL_TCP_SYN };
	f.source = (struct dfl_flow_endpoint){
		.identity = 63406,
		.cluster_name = "default",
		.namespace = "default",
		.labels = xwing_labels,
		.n_labels = 7,
		.pod_name = "xwing",
	};
	f.destination = (struct dfl_flow_endpoint){
		.id = 1234,
		.identity = 14731,
		.cluster_name = "default",
		.namespace = "default",
		.labels = deathstar_labels,
		.n_labels = 6,
		.pod_name = "deathstar-8c4c77fb7-h59s2",
		.workloads = deathstar_wl,
		.n_workloads = 1,
	};
	f.type = DFL_FLOW_TYPE_L3_L4;
	f.node_name = "kind-kind/kind-worker";
	f.event_type = DFL_EVENT_DROP;
	f.event_sub_type = DFL_DROP_POLICY;
	f.traffic_direction = DFL_TRAFFIC_INGRESS;
	f.file_name = "bpf_lxc.c";
	f.file_line = 2036;
	return f;
}

static const char *tie_labels[] = { "k8s:class=tiefighter",
				    "k8s:io.kubernetes.pod.namespace=default",
				    "k8s:org=empire" };
static const char *ds_short_labels[] = { "k8s:class=deathstar",
					 "k8s:io.kubernetes.pod.namespace=default",
					 "k8s:org=empire" };

static const struct dfl_flow_endpoint tiefighter = {
	.id = 301,
	.identity = 50046,
	.namespace = "default",
	.labels = tie_labels,
	.n_labels = 3,
	.pod_name = "tiefighter",
};
static const struct dfl_flow_endpoint deathstar = {
	.id = 1234,
	.identity = 14731,
	.namespace = "default",
	.labels = ds_short_labels,
	.n_labels = 3,
	.pod_name = "deathstar-8c4c77fb7-h59s2",
	.workloads = deathstar_wl,
	.n_workloads = 1,
};

static struct dfl_flow_http_header req_headers[] = {
	{ ":scheme", "http" },
	{ "Accept", "*/*" },
	{ "User-Agent", "curl/7.88.1" },
	{ "X-Envoy-Internal", "true" },
	{ "X-Request-Id", "8c2a6d5e-0f0e-4c1b-9a2b-6c1f7d0e4a11" },
};
static struct dfl_flow_http_header resp_headers[] = {
	{ "X-Request-Id", "8c2a6d5e-0f0e-4c1b-9a2b-6c1f7d0e4a11" },
};

/* Example (b): tiefighter's PUT denied by the L7 rule. */
static struct dfl_flow example_http_request(void)
{
	struct dfl_flow f = { 0 };

	dfl_json__parse_time("2026-07-24T15:03:54.062417Z", &f.time_ns);
	strcpy(f.uuid, "0d7b6f1e-3c55-4f7c-a6a1-2b7a41c0e9f3");
	f.verdict = DFL_VERDICT_DROPPED;
	set_ip4(&f, "10.244.1.45", "10.244.1.77");
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_TCP,
				     .source_port = 53884,
				     .destination_port = 80 };
	f.source = tiefighter;
	f.destination = deathstar;
	f.type = DFL_FLOW_TYPE_L7;
	f.node_name = "kind-kind/kind-worker";
	f.l7.type = DFL_L7_REQUEST;
	f.l7.proto = DFL_L7_PROTO_HTTP;
	f.l7.http = (struct dfl_flow_http){
		.method = "PUT",
		.url = "http://deathstar.default.svc.cluster.local/v1/exhaust-port",
		.protocol = "HTTP/1.1",
		.headers = req_headers,
		.n_headers = 5,
	};
	f.event_type = DFL_EVENT_L7;
	f.traffic_direction = DFL_TRAFFIC_INGRESS;
	f.is_reply = DFL_REPLY_NO;
	return f;
}

/* Example (c): its 403, source and destination swapped. */
static struct dfl_flow example_http_response(void)
{
	struct dfl_flow f = example_http_request();

	dfl_json__parse_time("2026-07-24T15:03:54.062829Z", &f.time_ns);
	strcpy(f.uuid, "6a1d9c3b-77e2-4c55-8a0f-3b5e2d1c4f60");
	f.verdict = DFL_VERDICT_FORWARDED;
	set_ip4(&f, "10.244.1.77", "10.244.1.45");
	f.l4.source_port = 80;
	f.l4.destination_port = 53884;
	f.source = deathstar;
	f.destination = tiefighter;
	f.l7.type = DFL_L7_RESPONSE;
	f.l7.latency_ns = 412000;
	f.l7.http.code = 403;
	f.l7.http.headers = resp_headers;
	f.l7.http.n_headers = 1;
	f.is_reply = DFL_REPLY_YES;
	return f;
}

static const char *tie_dns_labels[] = { "k8s:class=tiefighter", "k8s:org=empire" };
static const char *dns_labels[] = { "k8s:io.kubernetes.pod.namespace=kube-system",
				    "k8s:k8s-app=kube-dns" };
static const char *qtypes[] = { "A" };
static const char *ips[] = { "10.96.184.22" };

/* Examples (d): a DNS query through the proxy and its answer. */
static struct dfl_flow example_dns(bool response)
{
	struct dfl_flow f = { 0 };
	struct dfl_flow_endpoint tie = {
		.id = 301,
		.identity = 50046,
		.namespace = "default",
		.labels = tie_dns_labels,
		.n_labels = 2,
		.pod_name = "tiefighter",
	};
	struct dfl_flow_endpoint dns = {
		.identity = 102,
		.namespace = "kube-system",
		.labels = dns_labels,
		.n_labels = 2,
		.pod_name = "coredns-787d4945fb-bdmdq",
	};

	dfl_json__parse_time(response ? "2026-07-24T15:03:50.003Z" :
					"2026-07-24T15:03:50.001Z",
			     &f.time_ns);
	strcpy(f.uuid, response ? "1b2c3d4e-0000-4000-8000-00000000d002" :
				  "1b2c3d4e-0000-4000-8000-00000000d001");
	f.verdict = DFL_VERDICT_FORWARDED;
	f.l4.proto = DFL_L4_UDP;
	if (response) {
		set_ip4(&f, "10.244.0.12", "10.244.1.45");
		f.l4.source_port = 53;
		f.l4.destination_port = 45240;
		f.source = dns;
		f.destination = tie;
	} else {
		set_ip4(&f, "10.244.1.45", "10.244.0.12");
		f.l4.source_port = 45240;
		f.l4.destination_port = 53;
		f.source = tie;
		f.destination = dns;
	}
	f.type = DFL_FLOW_TYPE_L7;
	f.node_name = "kind-kind/kind-worker";
	f.l7.type = response ? DFL_L7_RESPONSE : DFL_L7_REQUEST;
	f.l7.proto = DFL_L7_PROTO_DNS;
	f.l7.dns.query = "deathstar.default.svc.cluster.local.";
	f.l7.dns.observation_source = "proxy";
	f.l7.dns.qtypes = qtypes;
	f.l7.dns.n_qtypes = 1;
	if (response) {
		f.l7.dns.ips = ips;
		f.l7.dns.n_ips = 1;
		f.l7.dns.ttl = 30;
		f.l7.dns.rrtypes = qtypes;
		f.l7.dns.n_rrtypes = 1;
	}
	f.event_type = DFL_EVENT_L7;
	f.traffic_direction = DFL_TRAFFIC_EGRESS;
	f.is_reply = response ? DFL_REPLY_YES : DFL_REPLY_NO;
	return f;
}

static struct dfl_flow example(int i)
{
	switch (i) {
	case 1:
		return example_drop();
	case 2:
		return example_http_request();
	case 3:
		return example_http_response();
	default:
		return example_dns(i == 5);
	}
}

static char *encode(const struct dfl_flow *f)
{
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_flow__to_json_line(f, NULL, &sb), 0);
	ck_assert(sb.len > 0 && sb.buf[sb.len - 1] == '\n');
	sb.buf[--sb.len] = '\0';
	return dfl_strbuf__detach(&sb);
}

START_TEST(encodes_reference_examples_byte_for_byte)
{
	int i = _i + 1;
	struct dfl_flow f = example(i);
	char *want = fixture_line(FIXTURES "hubble-examples.jsonl", i);
	char *got = encode(&f);

	ck_assert_str_eq(got, want);
	free(got);
	free(want);
}
END_TEST

START_TEST(decodes_and_reencodes_reference_examples)
{
	int i = _i + 1;
	char *line = fixture_line(FIXTURES "hubble-examples.jsonl", i);
	struct dfl_flow_record rec;
	struct dfl_json_error err;
	char *again;

	ck_assert_int_eq(dfl_flow_record__from_json(line, strlen(line), &rec,
						     &err), 0);
	ck_assert_int_eq(rec.kind, DFL_RECORD_FLOW);
	ck_assert_str_eq(rec.node_name, "kind-kind/kind-worker");
	ck_assert_int_eq(rec.time_ns, rec.flow->time_ns);
	again = encode(rec.flow);
	ck_assert_str_eq(again, line);
	free(again);
	dfl_flow_record__release(&rec);
	free(line);
}
END_TEST

START_TEST(compact_matches_hubble_for_reference_examples)
{
	int i = _i + 1;
	char *line = fixture_line(FIXTURES "hubble-examples.jsonl", i);
	char *want = fixture_line(FIXTURES "hubble-examples.compact", i);
	struct dfl_printer_opts o = { 0 };
	struct dfl_flow_record rec;
	struct dfl_json_error err;
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_flow_record__from_json(line, strlen(line), &rec,
						     &err), 0);
	ck_assert_int_eq(dfl_flow__format_compact(rec.flow, &o, &sb), 0);
	ck_assert_str_eq(dfl_strbuf__str(&sb), strcat(want, "\n"));
	/* the same record built in C prints the same line */
	{
		struct dfl_flow f = example(i);
		struct dfl_strbuf sb2 = { 0 };

		dfl_flow__format_compact(&f, &o, &sb2);
		ck_assert_str_eq(dfl_strbuf__str(&sb2), dfl_strbuf__str(&sb));
		dfl_strbuf__release(&sb2);
	}
	dfl_strbuf__release(&sb);
	dfl_flow_record__release(&rec);
	free(line);
	free(want);
}
END_TEST

/* Writes the five examples to a temporary file; returns its path. */
static char *write_examples(void)
{
	char *path = strdup("/tmp/dflt-flow-jq-XXXXXX");
	int fd = mkstemp(path);
	FILE *out = fdopen(fd, "w");

	for (int i = 1; i <= 5; i++) {
		struct dfl_flow f = example(i);
		char *line = encode(&f);

		fprintf(out, "%s\n", line);
		free(line);
	}
	fclose(out);
	return path;
}

static char *run_jq(const char *filter, const char *path)
{
	char cmd[512];
	char buf[4096];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "jq -r '%s' %s 2>&1", filter, path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	ck_assert_msg(pclose(p) == 0, "jq failed (is jq installed?): %s", buf);
	return strdup(buf);
}

START_TEST(lines_parse_with_jq_and_select_drops)
{
	char *path = write_examples();
	char *out = run_jq(".flow | select(.verdict == \"DROPPED\") | "
			   "\"\\(.time) \\(.source.pod_name) -> "
			   "\\(.destination.pod_name)\"",
			   path);

	ck_assert_str_eq(out,
			 "2026-07-24T15:03:55.120112233Z xwing -> deathstar-8c4c77fb7-h59s2\n"
			 "2026-07-24T15:03:54.062417Z tiefighter -> deathstar-8c4c77fb7-h59s2\n");
	free(out);
	out = run_jq("[.time, .node_name, .flow.l7.latency_ns // \"-\"] | @tsv",
		     path);
	ck_assert_str_eq(out,
			 "2026-07-24T15:03:55.120112233Z\tkind-kind/kind-worker\t-\n"
			 "2026-07-24T15:03:54.062417Z\tkind-kind/kind-worker\t-\n"
			 "2026-07-24T15:03:54.062829Z\tkind-kind/kind-worker\t412000\n"
			 "2026-07-24T15:03:50.001Z\tkind-kind/kind-worker\t-\n"
			 "2026-07-24T15:03:50.003Z\tkind-kind/kind-worker\t-\n");
	free(out);
	unlink(path);
	free(path);
}
END_TEST

static char *encode_time(int64_t ns)
{
	struct dfl_strbuf sb = { 0 };

	dfl_json__put_time(&sb, ns);
	return dfl_strbuf__detach(&sb);
}

START_TEST(timestamps_use_0_3_6_or_9_digits)
{
	const int64_t base = 1784905434LL * 1000000000; /* 2026-07-24T15:03:54Z */
	struct {
		int64_t frac;
		const char *want;
	} cases[] = {
		{ 0, "\"2026-07-24T15:03:54Z\"" },
		{ 62000000, "\"2026-07-24T15:03:54.062Z\"" },
		{ 62417000, "\"2026-07-24T15:03:54.062417Z\"" },
		{ 62417001, "\"2026-07-24T15:03:54.062417001Z\"" },
		{ 100, "\"2026-07-24T15:03:54.000000100Z\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = encode_time(base + cases[i].frac);
		int64_t back;

		ck_assert_str_eq(s, cases[i].want);
		s[strlen(s) - 1] = '\0';
		ck_assert_int_eq(dfl_json__parse_time(s + 1, &back), 0);
		ck_assert_int_eq(back, base + cases[i].frac);
		free(s);
	}
	/* offsets and lower precision parse too; nonsense does not */
	int64_t t;

	ck_assert_int_eq(dfl_json__parse_time("2026-07-24T17:03:54+02:00", &t), 0);
	ck_assert_int_eq(t, base);
	ck_assert_int_eq(dfl_json__parse_time("2026-02-30T00:00:00Z", &t), -EINVAL);
	ck_assert_int_eq(dfl_json__parse_time("2026-07-24 15:03:54Z", &t), -EINVAL);
	ck_assert_int_eq(dfl_json__parse_time("2026-07-24T15:03:54.1234567891Z", &t),
			 -EINVAL);
}
END_TEST

START_TEST(strings_are_escaped_as_encoding_json_does)
{
	struct dfl_strbuf sb = { 0 };

	dfl_json__put_string(&sb, "<a href=\"x\">&\\\n\t\x01\x7f"
				  "\xe2\x80\xa8\xc3\xa9\xff");
	ck_assert_str_eq(dfl_strbuf__str(&sb),
			 "\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\\\\\n\\t\\u0001\x7f"
			 "\\u2028\xc3\xa9\\ufffd\"");
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(zero_values_are_omitted_and_uint64_quoted)
{
	struct dfl_flow f = { 0 };
	struct dfl_flow_policy pol = { .name = "rule1",
				       .namespace = "default",
				       .kind = "CiliumNetworkPolicy",
				       .revision = 18446744073709551615ULL };
	char *line;

	f.verdict = DFL_VERDICT_FORWARDED;
	f.event_type = DFL_EVENT_POLICY_VERDICT;
	f.is_reply = DFL_REPLY_NO;
	f.policy_match_type = DFL_MATCH_L3_L4;
	f.ingress_allowed_by = (struct dfl_flow_policies){ &pol, 1 };
	line = encode(&f);
	ck_assert_str_eq(line,
			 "{\"flow\":{\"verdict\":\"FORWARDED\",\"event_type\":{\"type\":5},"
			 "\"policy_match_type\":2,\"is_reply\":false,"
			 "\"ingress_allowed_by\":[{\"name\":\"rule1\",\"namespace\":\"default\","
			 "\"revision\":\"18446744073709551615\",\"kind\":\"CiliumNetworkPolicy\"}]}}");
	free(line);
}
END_TEST

START_TEST(default_deny_attribution_round_trips_as_labels)
{
	const char *labels[] = { "k8s:io.cilium.k8s.policy.name=rule1" };
	struct dfl_flow_policy pols[] = {
		{ .name = "rule1", .namespace = "default",
		  .kind = "CiliumNetworkPolicy", .labels = labels, .n_labels = 1,
		  .revision = 7, .default_deny = true },
		{ .name = "deny-db", .namespace = "default",
		  .kind = "CiliumNetworkPolicy", .revision = 7,
		  .rule = "ingressDeny[0]" },
	};
	struct dfl_flow f = example_drop();
	struct dfl_flow_record rec;
	struct dfl_json_error err;
	char *line;

	f.ingress_denied_by = (struct dfl_flow_policies){ pols, 2 };
	line = encode(&f);
	ck_assert_ptr_nonnull(strstr(line,
		"\"ingress_denied_by\":[{\"name\":\"rule1\",\"namespace\":\"default\","
		"\"labels\":[\"k8s:io.cilium.k8s.policy.name=rule1\","
		"\"deflector:attribution=default-deny\"],\"revision\":\"7\","
		"\"kind\":\"CiliumNetworkPolicy\"},{\"name\":\"deny-db\","
		"\"namespace\":\"default\",\"labels\":[\"deflector:rule=ingressDeny[0]\"],"
		"\"revision\":\"7\",\"kind\":\"CiliumNetworkPolicy\"}]"));
	ck_assert_int_eq(dfl_flow_record__from_json(line, strlen(line), &rec, &err), 0);
	ck_assert_uint_eq(rec.flow->ingress_denied_by.n, 2);
	ck_assert(rec.flow->ingress_denied_by.items[0].default_deny);
	ck_assert_uint_eq(rec.flow->ingress_denied_by.items[0].n_labels, 1);
	ck_assert_ptr_null(rec.flow->ingress_denied_by.items[0].rule);
	ck_assert(!rec.flow->ingress_denied_by.items[1].default_deny);
	ck_assert_str_eq(rec.flow->ingress_denied_by.items[1].rule, "ingressDeny[0]");
	dfl_flow_record__release(&rec);
	free(line);
}
END_TEST

START_TEST(oversized_records_shrink_below_64k)
{
	enum { N = 2000 };
	struct dfl_flow_http_header *h = calloc(N, sizeof(*h));
	char *big = malloc(100001);
	struct dfl_flow f = example_http_request();
	struct dfl_flow_record rec;
	struct dfl_json_error err;
	struct dfl_strbuf sb = { 0 };

	memset(big, 'a', 100000);
	big[100000] = '\0';
	for (int i = 0; i < N; i++)
		h[i] = (struct dfl_flow_http_header){ "X-Big", "0123456789abcdef0123456789" };
	f.l7.http.headers = h;
	f.l7.http.n_headers = N;
	ck_assert_int_eq(dfl_flow__to_json_line(&f, NULL, &sb), 0);
	ck_assert_uint_le(sb.len - 1, DFL_FLOW_LINE_MAX);
	ck_assert_ptr_null(strstr(sb.buf, "X-Big")); /* headers shed first */
	ck_assert_ptr_nonnull(strstr(sb.buf, "exhaust-port"));
	dfl_strbuf__reset(&sb);
	f.l7.http.url = big; /* one string alone over the limit */
	ck_assert_int_eq(dfl_flow__to_json_line(&f, NULL, &sb), 0);
	ck_assert_uint_le(sb.len - 1, DFL_FLOW_LINE_MAX);
	ck_assert_int_eq(dfl_flow_record__from_json(sb.buf, sb.len - 1, &rec, &err), 0);
	ck_assert_str_eq(rec.flow->l7.http.method, "PUT");
	dfl_flow_record__release(&rec);
	dfl_strbuf__release(&sb);
	free(big);
	free(h);
}
END_TEST

START_TEST(field_mask_keeps_selected_fields)
{
	const char *paths[] = { "time", "verdict", "source.pod_name", "l4.TCP",
				"source" /* wins over source.pod_name */,
				"destination.namespace", "drop_reason_desc" };
	char err[256];
	struct dfl_fieldmask *m = dfl_fieldmask__new(paths, 7, err, sizeof(err));
	struct dfl_flow f = example_drop();
	struct dfl_strbuf sb = { 0 };

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(dfl_flow__to_json_line(&f, m, &sb), 0);
	ck_assert_str_eq(dfl_strbuf__str(&sb),
		"{\"flow\":{\"time\":\"2026-07-24T15:03:55.120112233Z\","
		"\"verdict\":\"DROPPED\",\"l4\":{\"TCP\":{\"source_port\":45706,"
		"\"destination_port\":80,\"flags\":{\"SYN\":true}}},\"source\":{"
		"\"identity\":63406,\"cluster_name\":\"default\",\"namespace\":\"default\","
		"\"labels\":[\"k8s:app.kubernetes.io/name=xwing\",\"k8s:class=xwing\","
		"\"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=default\","
		"\"k8s:io.cilium.k8s.policy.cluster=default\","
		"\"k8s:io.cilium.k8s.policy.serviceaccount=default\","
		"\"k8s:io.kubernetes.pod.namespace=default\",\"k8s:org=alliance\"],"
		"\"pod_name\":\"xwing\"},\"destination\":{\"namespace\":\"default\"},"
		"\"drop_reason_desc\":\"POLICY_DENIED\"},"
		"\"node_name\":\"kind-kind/kind-worker\","
		"\"time\":\"2026-07-24T15:03:55.120112233Z\"}\n");
	dfl_strbuf__release(&sb);
	dfl_fieldmask__free(m);

	const char *bad[] = { "source.no_such_field" };
	ck_assert_ptr_null(dfl_fieldmask__new(bad, 1, err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, "field mask path 'source.no_such_field': no field "
			      "'no_such_field' in this message");
	const char *through_list[] = { "egress_allowed_by.name" };
	ck_assert_ptr_null(dfl_fieldmask__new(through_list, 1, err, sizeof(err)));
}
END_TEST

static int decode_err(const char *line, struct dfl_json_error *err)
{
	struct dfl_flow_record rec;
	int ret = dfl_flow_record__from_json(line, strlen(line), &rec, err);

	dfl_flow_record__release(&rec);
	return ret;
}

START_TEST(decoder_names_field_and_offset_of_bad_input)
{
	struct dfl_json_error err;

	ck_assert_int_eq(decode_err("{\"flow\":{\"verdict\":\"DROPPED\",}", &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.text, "invalid JSON"));
	ck_assert_uint_eq(err.offset, 29); /* the stray } */

	ck_assert_int_eq(decode_err("{\"flow\":{\"l4\":{\"TCP\":{\"source_port\":\"x\"}}}}",
				    &err), -EINVAL);
	ck_assert_str_eq(err.path, "flow.l4.source_port");
	ck_assert_uint_eq(err.offset, 22);

	ck_assert_int_eq(decode_err("{\"flow\":{\"IP\":{\"source\":\"10.0.0.300\"}}}",
				    &err), -EINVAL);
	ck_assert_str_eq(err.path, "flow.IP.source");
	ck_assert_int_eq(decode_err("{\"flow\":{\"source\":{\"identity\":4294967296}}}",
				    &err), -EINVAL);
	ck_assert_str_eq(err.text, "4294967296 is out of range");
	ck_assert_int_eq(decode_err("[1,2]", &err), -EINVAL);
	ck_assert_int_eq(decode_err("{\"flow\":[]}", &err), -EINVAL);
	ck_assert_int_eq(decode_err("{\"flow\":{\"time\":\"yesterday\"}}", &err),
			 -EINVAL);
	ck_assert_str_eq(err.path, "flow.time");
}
END_TEST

START_TEST(decoder_takes_camel_names_numbers_and_lost_events)
{
	const char *line =
		"{\"flow\":{\"verdict\":2,\"dropReasonDesc\":\"POLICY_DENY\","
		"\"trafficDirection\":\"EGRESS\",\"isReply\":true,"
		"\"l7\":{\"type\":\"RESPONSE\",\"latencyNs\":\"5000000\","
		"\"http\":{\"code\":200}},\"unknown_field\":{\"a\":[1]},"
		"\"source\":{\"podName\":\"a\",\"namespace\":null}},"
		"\"nodeName\":\"n1\"}";
	struct dfl_flow_record rec;
	struct dfl_json_error err;

	ck_assert_int_eq(dfl_flow_record__from_json(line, strlen(line), &rec, &err), 0);
	ck_assert_int_eq(rec.flow->verdict, DFL_VERDICT_DROPPED);
	ck_assert_uint_eq(rec.flow->drop_reason, 181);
	ck_assert_int_eq(rec.flow->traffic_direction, DFL_TRAFFIC_EGRESS);
	ck_assert_int_eq(rec.flow->is_reply, DFL_REPLY_YES);
	ck_assert_uint_eq(rec.flow->l7.latency_ns, 5000000);
	ck_assert_str_eq(rec.flow->source.pod_name, "a");
	ck_assert_ptr_null(rec.flow->source.namespace);
	ck_assert_str_eq(rec.node_name, "n1");
	dfl_flow_record__release(&rec);

	line = "{\"lost_events\":{\"source\":\"HUBBLE_RING_BUFFER\","
	       "\"num_events_lost\":\"42\",\"cpu\":3},\"time\":\"2026-07-24T15:03:54Z\"}";
	ck_assert_int_eq(dfl_flow_record__from_json(line, strlen(line), &rec, &err), 0);
	ck_assert_int_eq(rec.kind, DFL_RECORD_LOST);
	ck_assert_int_eq(rec.lost.source, DFL_LOST_HUBBLE_RING_BUFFER);
	ck_assert_uint_eq(rec.lost.num_events_lost, 42);
	ck_assert_int_eq(rec.lost.cpu, 3);
	dfl_flow_record__release(&rec);

	line = "{\"agent_event\":{\"type\":\"AGENT_STARTED\"}}";
	ck_assert_int_eq(dfl_flow_record__from_json(line, strlen(line), &rec, &err), 0);
	ck_assert_int_eq(rec.kind, DFL_RECORD_OTHER);
	dfl_flow_record__release(&rec);
}
END_TEST

START_TEST(lost_events_line_has_hubble_shape)
{
	struct dfl_lost_events l = { DFL_LOST_OBSERVER_EVENTS_QUEUE, 17, false, 0 };
	struct dfl_strbuf sb = { 0 };

	dfl_lost_events__to_json_line(&l, 1784905434LL * 1000000000, "node1", &sb);
	ck_assert_str_eq(dfl_strbuf__str(&sb),
			 "{\"lost_events\":{\"source\":\"OBSERVER_EVENTS_QUEUE\","
			 "\"num_events_lost\":\"17\"},\"node_name\":\"node1\","
			 "\"time\":\"2026-07-24T15:03:54Z\"}\n");
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(dup_copies_everything_into_one_block)
{
	struct dfl_flow f = example_http_request();
	struct dfl_flow *d;
	char *a, *b;

	f.summary = "custom";
	d = dfl_flow__dup(&f);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_ne(d->l7.http.headers, f.l7.http.headers);
	ck_assert_ptr_ne(d->source.labels[0], f.source.labels[0]);
	ck_assert_str_eq(d->summary, "custom");
	a = encode(&f);
	b = encode(d);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	dfl_flow__free(d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_json");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, encodes_reference_examples_byte_for_byte, 0, 5);
	tcase_add_loop_test(tc, decodes_and_reencodes_reference_examples, 0, 5);
	tcase_add_loop_test(tc, compact_matches_hubble_for_reference_examples, 0, 5);
	tcase_add_test(tc, lines_parse_with_jq_and_select_drops);
	tcase_add_test(tc, timestamps_use_0_3_6_or_9_digits);
	tcase_add_test(tc, strings_are_escaped_as_encoding_json_does);
	tcase_add_test(tc, zero_values_are_omitted_and_uint64_quoted);
	tcase_add_test(tc, default_deny_attribution_round_trips_as_labels);
	tcase_add_test(tc, oversized_records_shrink_below_64k);
	tcase_add_test(tc, field_mask_keeps_selected_fields);
	tcase_add_test(tc, decoder_names_field_and_offset_of_bad_input);
	tcase_add_test(tc, decoder_takes_camel_names_numbers_and_lost_events);
	tcase_add_test(tc, lost_events_line_has_hubble_shape);
	tcase_add_test(tc, dup_copies_everything_into_one_block);
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
