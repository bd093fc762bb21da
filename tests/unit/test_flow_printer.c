/* flow/: `hubble observe` text output, byte for byte (hubble-flows.md §2). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "flow/flow.h"
#include "flow/json.h"
#include "flow/printer.h"

static int64_t at(const char *rfc3339)
{
	int64_t ns;

	ck_assert_int_eq(dfl_json__parse_time(rfc3339, &ns), 0);
	return ns;
}

static struct dfl_flow xwing_to_deathstar(void)
{
	struct dfl_flow f = { 0 };

	f.time_ns = at("2026-07-24T14:51:15.461913Z");
	f.ip.version = 4;
	inet_pton(AF_INET, "10.0.0.12", f.ip.source);
	inet_pton(AF_INET, "10.0.0.99", f.ip.destination);
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_TCP, .source_port = 50548,
				     .destination_port = 80,
				     .tcp_flags = DFL_TCP_SYN };
	f.source = (struct dfl_flow_endpoint){ .identity = 7904,
					       .namespace = "default",
					       .pod_name = "xwing" };
	f.destination = (struct dfl_flow_endpoint){
		.identity = 14731, .namespace = "default",
		.pod_name = "deathstar-8c4c77fb7-2wlfr" };
	f.verdict = DFL_VERDICT_DROPPED;
	f.drop_reason = DFL_DROP_POLICY;
	f.event_type = DFL_EVENT_DROP;
	f.event_sub_type = DFL_DROP_POLICY;
	f.traffic_direction = DFL_TRAFFIC_INGRESS;
	f.type = DFL_FLOW_TYPE_L3_L4;
	f.node_name = "kind-kind/kind-worker";
	return f;
}

static char *compact(const struct dfl_flow *f, const struct dfl_printer_opts *o)
{
	static const struct dfl_printer_opts defaults;
	struct dfl_strbuf sb = { 0 };

	ck_assert_int_eq(dfl_flow__format_compact(f, o ? o : &defaults, &sb), 0);
	return dfl_strbuf__detach(&sb);
}

#define ASSERT_COMPACT(f, o, want)                \
	do {                                      \
		char *got_ = compact((f), (o));   \
		ck_assert_str_eq(got_, want "\n"); \
		free(got_);                       \
	} while (0)

START_TEST(datapath_drop_prints_as_hubble)
{
	struct dfl_flow f = xwing_to_deathstar();

	ASSERT_COMPACT(&f, NULL,
		       "Jul 24 14:51:15.461: default/xwing:50548 (ID:7904) <> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "Policy denied DROPPED (TCP Flags: SYN)");
	f.drop_reason = f.event_sub_type = DFL_DROP_POLICY_DENY;
	ASSERT_COMPACT(&f, NULL,
		       "Jul 24 14:51:15.461: default/xwing:50548 (ID:7904) <> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "Policy denied by denylist DROPPED (TCP Flags: SYN)");
}
END_TEST

START_TEST(http_request_prints_as_hubble)
{
	struct dfl_flow f = xwing_to_deathstar();

	f.source.pod_name = "tiefighter";
	f.l4.tcp_flags = 0;
	f.drop_reason = 0;
	f.event_type = DFL_EVENT_L7;
	f.event_sub_type = 0;
	f.type = DFL_FLOW_TYPE_L7;
	f.is_reply = DFL_REPLY_NO;
	f.l7.type = DFL_L7_REQUEST;
	f.l7.proto = DFL_L7_PROTO_HTTP;
	f.l7.http.method = "PUT";
	f.l7.http.protocol = "HTTP/1.1";
	f.l7.http.url = "http://deathstar.default.svc.cluster.local/v1/exhaust-port";
	ASSERT_COMPACT(&f, NULL,
		       "Jul 24 14:51:15.461: default/tiefighter:50548 (ID:7904) -> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) http-request "
		       "DROPPED (HTTP/1.1 PUT http://deathstar.default.svc.cluster.local"
		       "/v1/exhaust-port)");
}
END_TEST

START_TEST(policy_verdicts_say_allowed_denied_audited)
{
	struct dfl_flow f = xwing_to_deathstar();

	f.time_ns = at("2026-04-05T21:03:18.803Z"); /* one-digit day */
	f.event_type = DFL_EVENT_POLICY_VERDICT;
	f.event_sub_type = 0;
	ASSERT_COMPACT(&f, NULL,
		       "Apr  5 21:03:18.803: default/xwing:50548 (ID:7904) <> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "policy-verdict:none INGRESS DENIED (TCP Flags: SYN)");
	f.verdict = DFL_VERDICT_FORWARDED;
	f.drop_reason = 0;
	f.is_reply = DFL_REPLY_NO;
	f.policy_match_type = DFL_MATCH_L3_L4;
	f.traffic_direction = DFL_TRAFFIC_EGRESS;
	ASSERT_COMPACT(&f, NULL,
		       "Apr  5 21:03:18.803: default/xwing:50548 (ID:7904) -> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "policy-verdict:L3-L4 EGRESS ALLOWED (TCP Flags: SYN)");
	f.verdict = DFL_VERDICT_AUDIT;
	f.policy_match_type = DFL_MATCH_NONE;
	ASSERT_COMPACT(&f, NULL,
		       "Apr  5 21:03:18.803: default/xwing:50548 (ID:7904) -> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "policy-verdict:none EGRESS AUDITED (TCP Flags: SYN)");
	f.event_type = DFL_EVENT_TRACE;
	f.verdict = DFL_VERDICT_AUDIT; /* outside policy-verdicts: the name */
	ASSERT_COMPACT(&f, NULL,
		       "Apr  5 21:03:18.803: default/xwing:50548 (ID:7904) -> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "to-endpoint AUDIT (TCP Flags: SYN)");
}
END_TEST

START_TEST(hosts_identities_and_node_names)
{
	struct dfl_flow f = xwing_to_deathstar();
	struct dfl_printer_opts o = { .node_name = true };
	const char *names[] = { "api.github.com" };

	f.destination = (struct dfl_flow_endpoint){ .identity = 16777217 };
	f.destination_names = names;
	f.n_destination_names = 1;
	f.source.identity = 2;
	f.l4.destination_port = 443;
	f.is_reply = DFL_REPLY_YES; /* swapped, arrow reversed */
	ASSERT_COMPACT(&f, &o,
		       "Jul 24 14:51:15.461 [kind-kind/kind-worker]: "
		       "api.github.com:443 (ID:16777217) <- default/xwing:50548 "
		       "(world) Policy denied DROPPED (TCP Flags: SYN)");
	o.numeric = true;
	o.node_name = false;
	f.is_reply = DFL_REPLY_UNKNOWN;
	ASSERT_COMPACT(&f, &o,
		       "Jul 24 14:51:15.461: 10.0.0.12:50548 (world) <> "
		       "10.0.0.99:443 (ID:16777217) Policy denied DROPPED "
		       "(TCP Flags: SYN)");
	/* IPv6 needs brackets; ICMP has no port */
	f = xwing_to_deathstar();
	f.source.pod_name = NULL;
	f.source.namespace = NULL;
	f.ip.version = 6;
	inet_pton(AF_INET6, "fd00::1", f.ip.source);
	inet_pton(AF_INET6, "fd00::2", f.ip.destination);
	ASSERT_COMPACT(&f, NULL,
		       "Jul 24 14:51:15.461: [fd00::1]:50548 (ID:7904) <> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "Policy denied DROPPED (TCP Flags: SYN)");
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_ICMPV6, .icmp_type = 128 };
	ASSERT_COMPACT(&f, NULL,
		       "Jul 24 14:51:15.461: fd00::1 (ID:7904) <> "
		       "default/deathstar-8c4c77fb7-2wlfr (ID:14731) "
		       "Policy denied DROPPED (ICMPv6 EchoRequest)");
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_ICMPV4, .icmp_type = 3,
				     .icmp_code = 3 };
	f.time_ns = 0;
	ASSERT_COMPACT(&f, NULL,
		       "N/A: fd00::1 (ID:7904) <> "
		       "default/deathstar-8c4c77fb7-2wlfr (ID:14731) "
		       "Policy denied DROPPED (ICMPv4 DestinationUnreachable(Port))");
}
END_TEST

START_TEST(dns_summaries)
{
	struct dfl_flow f = xwing_to_deathstar();
	const char *qt[] = { "AAAA" };

	f.time_ns = 0;
	f.verdict = DFL_VERDICT_FORWARDED;
	f.event_type = DFL_EVENT_L7;
	f.is_reply = DFL_REPLY_YES;
	f.l4 = (struct dfl_flow_l4){ .proto = DFL_L4_UDP, .source_port = 40000,
				     .destination_port = 53 };
	f.l7.type = DFL_L7_RESPONSE;
	f.l7.proto = DFL_L7_PROTO_DNS;
	f.l7.dns = (struct dfl_flow_dns){ .query = "nwt.se.", .ttl = 4294967295u,
					  .observation_source = "proxy",
					  .qtypes = qt, .n_qtypes = 1 };
	ASSERT_COMPACT(&f, NULL,
		       "N/A: default/deathstar-8c4c77fb7-2wlfr:53 (ID:14731) <- "
		       "default/xwing:40000 (ID:7904) dns-response proxy FORWARDED "
		       "(DNS Answer  TTL: 4294967295 (Proxy nwt.se. AAAA))");
	f.l7.dns.rcode = 3;
	f.l7.dns.observation_source = NULL;
	ASSERT_COMPACT(&f, NULL,
		       "N/A: default/deathstar-8c4c77fb7-2wlfr:53 (ID:14731) <- "
		       "default/xwing:40000 (ID:7904) dns-response  FORWARDED "
		       "(DNS Answer RCode: Non-Existent Domain TTL: 4294967295 "
		       "(Query nwt.se. AAAA))");
}
END_TEST

START_TEST(terminal_escapes_are_neutralised)
{
	struct dfl_flow f = xwing_to_deathstar();

	f.source.pod_name = "evil\x1b[31m\rpod";
	ASSERT_COMPACT(&f, NULL,
		       "Jul 24 14:51:15.461: default/evil^[[31m\\rpod:50548 (ID:7904) <> "
		       "default/deathstar-8c4c77fb7-2wlfr:80 (ID:14731) "
		       "Policy denied DROPPED (TCP Flags: SYN)");
}
END_TEST

/* Runs a printer over <n> flows into a string. */
static char *print_all(const struct dfl_printer_opts *o,
		       const struct dfl_flow_record *recs, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct dfl_printer *p = dfl_printer__new(out, o);

	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(dfl_printer__record(p, &recs[i], NULL, 0), 0);
	ck_assert_int_eq(dfl_printer__close(p), 0);
	fclose(out);
	return buf;
}

START_TEST(dict_and_table_formats)
{
	struct dfl_flow a = xwing_to_deathstar(), b = xwing_to_deathstar();
	struct dfl_flow_record recs[3] = {
		{ .kind = DFL_RECORD_FLOW, .flow = &a },
		{ .kind = DFL_RECORD_FLOW, .flow = &b },
		{ .kind = DFL_RECORD_LOST,
		  .lost = { DFL_LOST_HUBBLE_RING_BUFFER, 12, false, 0 } },
	};
	struct dfl_printer_opts o = { .format = DFL_PRINT_DICT };
	char *s;

	b.source.pod_name = "x";
	s = print_all(&o, recs, 2);
	ck_assert_str_eq(s,
			 "  TIMESTAMP: Jul 24 14:51:15.461\n"
			 "     SOURCE: default/xwing:50548\n"
			 "DESTINATION: default/deathstar-8c4c77fb7-2wlfr:80\n"
			 "       TYPE: Policy denied\n"
			 "    VERDICT: DROPPED\n"
			 "    SUMMARY: TCP Flags: SYN\n"
			 "------------\n"
			 "  TIMESTAMP: Jul 24 14:51:15.461\n"
			 "     SOURCE: default/x:50548\n"
			 "DESTINATION: default/deathstar-8c4c77fb7-2wlfr:80\n"
			 "       TYPE: Policy denied\n"
			 "    VERDICT: DROPPED\n"
			 "    SUMMARY: TCP Flags: SYN\n");
	free(s);
	o.format = DFL_PRINT_TABLE;
	s = print_all(&o, recs, 3);
	ck_assert_str_eq(s,
			 "TIMESTAMP             SOURCE                DESTINATION                            TYPE            VERDICT   SUMMARY\n"
			 "Jul 24 14:51:15.461   default/xwing:50548   default/deathstar-8c4c77fb7-2wlfr:80   Policy denied   DROPPED   TCP Flags: SYN\n"
			 "Jul 24 14:51:15.461   default/x:50548       default/deathstar-8c4c77fb7-2wlfr:80   Policy denied   DROPPED   TCP Flags: SYN\n"
			 "                      HUBBLE_RING_BUFFER                                           EVENTS LOST               CPU(0) - 12\n");
	free(s);
	o.format = DFL_PRINT_COMPACT;
	s = print_all(&o, recs + 2, 1);
	ck_assert_str_eq(s, "EVENTS LOST: HUBBLE_RING_BUFFER CPU(0) 12\n");
	free(s);
}
END_TEST

START_TEST(time_formats)
{
	struct dfl_strbuf sb = { 0 };
	int64_t t = at("2026-07-24T14:51:15.461900Z");

	dfl_format_time(t, DFL_TIME_RFC3339, &sb);
	ck_assert_str_eq(dfl_strbuf__str(&sb), "2026-07-24T14:51:15Z");
	dfl_strbuf__reset(&sb);
	dfl_format_time(t, DFL_TIME_RFC3339_MILLI, &sb);
	ck_assert_str_eq(dfl_strbuf__str(&sb), "2026-07-24T14:51:15.461Z");
	dfl_strbuf__reset(&sb);
	dfl_format_time(t, DFL_TIME_RFC3339_MICRO, &sb);
	ck_assert_str_eq(dfl_strbuf__str(&sb), "2026-07-24T14:51:15.461900Z");
	dfl_strbuf__reset(&sb);
	dfl_format_time(t, DFL_TIME_RFC3339_NANO, &sb);
	ck_assert_str_eq(dfl_strbuf__str(&sb), "2026-07-24T14:51:15.4619Z");
	dfl_strbuf__release(&sb);
}
END_TEST

START_TEST(time_arguments)
{
	int64_t now = at("2026-07-24T15:00:00Z"), t;

	ck_assert_int_eq(dfl_time__parse_arg("5m", now, &t), 0);
	ck_assert_int_eq(t, at("2026-07-24T14:55:00Z"));
	ck_assert_int_eq(dfl_time__parse_arg("1h30m", now, &t), 0);
	ck_assert_int_eq(t, at("2026-07-24T13:30:00Z"));
	ck_assert_int_eq(dfl_time__parse_arg("2026-07-24", now, &t), 0);
	ck_assert_int_eq(t, at("2026-07-24T00:00:00Z"));
	ck_assert_int_eq(dfl_time__parse_arg("2026-07-24T15:04Z", now, &t), 0);
	ck_assert_int_eq(t, at("2026-07-24T15:04:00Z"));
	ck_assert_int_eq(dfl_time__parse_arg("2026-07-24T15+02:00", now, &t), 0);
	ck_assert_int_eq(t, at("2026-07-24T13:00:00Z"));
	ck_assert_int_eq(dfl_time__parse_arg("yesterday", now, &t), -EINVAL);
	ck_assert_int_eq(dfl_time__parse_arg("-5m", now, &t), -EINVAL);
	ck_assert_int_eq(dfl_time__parse_arg("5", now, &t), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_printer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, datapath_drop_prints_as_hubble);
	tcase_add_test(tc, http_request_prints_as_hubble);
	tcase_add_test(tc, policy_verdicts_say_allowed_denied_audited);
	tcase_add_test(tc, hosts_identities_and_node_names);
	tcase_add_test(tc, dns_summaries);
	tcase_add_test(tc, terminal_escapes_are_neutralised);
	tcase_add_test(tc, dict_and_table_formats);
	tcase_add_test(tc, time_formats);
	tcase_add_test(tc, time_arguments);
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
