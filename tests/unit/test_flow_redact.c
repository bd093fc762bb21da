/* flow/: L7 redaction, on by default, with Hubble's switches. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/json.h"
#include "flow/redact.h"

static struct dfl_flow_http_header headers[4];

static struct dfl_flow request(const char *url)
{
	struct dfl_flow f = { 0 };

	headers[0] = (struct dfl_flow_http_header){ "Accept", "*/*" };
	headers[1] = (struct dfl_flow_http_header){ "Authorization", "Bearer x" };
	headers[2] = (struct dfl_flow_http_header){ "Cookie", "session=42" };
	headers[3] = (struct dfl_flow_http_header){ "X-Request-Id", "abc" };
	f.verdict = DFL_VERDICT_FORWARDED;
	f.event_type = DFL_EVENT_L7;
	f.l7.type = DFL_L7_REQUEST;
	f.l7.proto = DFL_L7_PROTO_HTTP;
	f.l7.http = (struct dfl_flow_http){ .method = "GET",
					    .protocol = "HTTP/1.1",
					    .url = url,
					    .headers = headers,
					    .n_headers = 4 };
	f.summary = "HTTP/1.1 GET raw";
	return f;
}

START_TEST(defaults_redact_query_userinfo_and_credentials)
{
	struct dfl_redact_config c;
	struct dfl_strbuf scratch = { 0 }, line = { 0 };
	struct dfl_flow f = request("http://alice:pw@deathstar/v1/x?token=s3cret#frag");

	dfl_redact_config__defaults(&c);
	ck_assert_int_eq(dfl_redact__flow(&c, &f, &scratch), 0);
	ck_assert_str_eq(f.l7.http.url, "http://alice:HUBBLE_REDACTED@deathstar/v1/x");
	ck_assert_str_eq(headers[0].value, "*/*");
	ck_assert_str_eq(headers[1].value, "HUBBLE_REDACTED");
	ck_assert_str_eq(headers[2].value, "HUBBLE_REDACTED");
	ck_assert_str_eq(headers[3].value, "abc");
	ck_assert_ptr_null(f.summary);
	/* nothing of the secrets reaches the exported line */
	dfl_flow__to_json_line(&f, NULL, &line);
	ck_assert_ptr_null(strstr(line.buf, "s3cret"));
	ck_assert_ptr_null(strstr(line.buf, ":pw@"));
	ck_assert_ptr_null(strstr(line.buf, "session=42"));
	ck_assert_ptr_nonnull(strstr(line.buf, "\"Summary\":\"HTTP/1.1 GET "
					      "http://alice:HUBBLE_REDACTED@deathstar/v1/x\""));
	dfl_strbuf__release(&scratch);
	dfl_strbuf__release(&line);
}
END_TEST

START_TEST(hubble_rules_for_header_lists)
{
	struct dfl_redact_config c = { .enabled = true, .http_userinfo = true };
	struct dfl_strbuf scratch = { 0 };
	const char *allow[] = { "accept" };
	struct dfl_flow f = request("http://user@h/p?q=1");
	char err[128];

	/* both lists empty: every value goes; a user without password stays */
	ck_assert_int_eq(dfl_redact__flow(&c, &f, &scratch), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(headers[i].value, "HUBBLE_REDACTED");
	ck_assert_str_eq(f.l7.http.url, "http://user@h/p?q=1");
	/* an allow list keeps only what it names */
	f = request("http://h/p");
	c.headers_allow = allow;
	c.n_headers_allow = 1;
	dfl_redact__flow(&c, &f, &scratch);
	ck_assert_str_eq(headers[0].value, "*/*");
	ck_assert_str_eq(headers[3].value, "HUBBLE_REDACTED");
	/* both lists: Hubble refuses the configuration */
	c.headers_deny = allow;
	c.n_headers_deny = 1;
	ck_assert_int_eq(dfl_redact_config__check(&c, err, sizeof(err)), -EINVAL);
	/* disabled: untouched */
	f = request("http://a:b@h/p?q=1");
	c = (struct dfl_redact_config){ .enabled = false, .http_urlquery = true };
	dfl_redact__flow(&c, &f, &scratch);
	ck_assert_str_eq(f.l7.http.url, "http://a:b@h/p?q=1");
	ck_assert_str_eq(headers[1].value, "Bearer x");
	ck_assert_str_eq(f.summary, "HTTP/1.1 GET raw");
	dfl_strbuf__release(&scratch);
}
END_TEST

START_TEST(dns_and_l3_records_are_left_alone)
{
	struct dfl_redact_config c;
	struct dfl_strbuf scratch = { 0 };
	struct dfl_flow f = { 0 };

	dfl_redact_config__defaults(&c);
	f.l7.proto = DFL_L7_PROTO_DNS;
	f.l7.dns.query = "secret.example.com.";
	f.summary = "DNS Query secret.example.com. A";
	ck_assert_int_eq(dfl_redact__flow(&c, &f, &scratch), 0);
	ck_assert_str_eq(f.l7.dns.query, "secret.example.com.");
	ck_assert_str_eq(f.summary, "DNS Query secret.example.com. A");
	dfl_strbuf__release(&scratch);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_redact");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults_redact_query_userinfo_and_credentials);
	tcase_add_test(tc, hubble_rules_for_header_lists);
	tcase_add_test(tc, dns_and_l3_records_are_left_alone);
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
