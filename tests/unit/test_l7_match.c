/* policy/l7_match: HTTP rules (reference §4.4), RE2 dialect, DNS patterns
 * (reference §5.1). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/l7_match.h"
#include "util/diag.h"
#include "util/intern.h"

/* ---- helpers ------------------------------------------------------------ */

/* A request: "METHOD PATH" plus optional host and "Name: value" headers. */
struct req {
	struct dfl_http_request_view v;
	struct dfl_http_header_view h[8];
};

static const struct dfl_http_request_view *
mkreq(struct req *r, const char *method, const char *path, const char *host,
      const char *const *headers)
{
	memset(r, 0, sizeof(*r));
	r->v.method = method;
	r->v.method_len = strlen(method);
	r->v.path = path;
	r->v.path_len = strlen(path);
	r->v.host = host;
	r->v.host_len = host ? strlen(host) : 0;
	for (size_t i = 0; headers && headers[i]; i++) {
		const char *colon = strchr(headers[i], ':');

		r->h[i].name = headers[i];
		r->h[i].name_len = (size_t)(colon - headers[i]);
		r->h[i].value = colon + 2;
		r->h[i].value_len = strlen(colon + 2);
		r->v.n_headers = i + 1;
	}
	r->v.headers = r->h;
	return &r->v;
}

/* Verdict of <rules> for one request; -2 = denied, else the rule index
 * (-1 for allowed by an empty list). */
static int verdict(const struct dfl_http_rule *rules, size_t n,
		   const char *method, const char *path, const char *host,
		   const char *const *headers)
{
	struct dfl_http_matcher *m = dfl_http_matcher__new(rules, n, NULL);
	struct dfl_http_verdict v;
	struct req r;

	ck_assert_ptr_nonnull(m);
	dfl_http_matcher__match(m, mkreq(&r, method, path, host, headers), &v);
	dfl_http_matcher__free(m);
	return v.allowed ? v.rule : -2;
}

#define DENIED (-2)

/* ---- §4.4 HTTP table, one test per row ---------------------------------- */

START_TEST(http_path_full_match)
{
	struct dfl_http_rule r = {.path = "/public"};

	ck_assert_int_eq(verdict(&r, 1, "GET", "/public", NULL, NULL), 0);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/public/", NULL, NULL), DENIED);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/public/a", NULL, NULL),
			 DENIED);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/public?x=1", NULL, NULL),
			 DENIED);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/xpublic", NULL, NULL), DENIED);
}
END_TEST

START_TEST(http_path_regex_with_query)
{
	struct dfl_http_rule r = {.path = "/public.*"};

	ck_assert_int_eq(verdict(&r, 1, "GET", "/public?x=1", NULL, NULL), 0);
	ck_assert_int_eq(
	    verdict(&r, 1, "GET", "/private?x=/public", NULL, NULL), DENIED);
}
END_TEST

START_TEST(http_method_case_sensitive)
{
	struct dfl_http_rule r = {.method = "GET"};

	ck_assert_int_eq(verdict(&r, 1, "get", "/", NULL, NULL), DENIED);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, NULL), 0);
	ck_assert_int_eq(verdict(&r, 1, "GETX", "/", NULL, NULL), DENIED);
}
END_TEST

START_TEST(http_method_alternation)
{
	struct dfl_http_rule r = {.method = "GET|HEAD"};

	ck_assert_int_eq(verdict(&r, 1, "HEAD", "/", NULL, NULL), 0);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, NULL), 0);
	/* full match binds around the alternation: not "GET" or "HEAD..." */
	ck_assert_int_eq(verdict(&r, 1, "HEADX", "/", NULL, NULL), DENIED);
	ck_assert_int_eq(verdict(&r, 1, "XGET", "/", NULL, NULL), DENIED);
}
END_TEST

START_TEST(http_host_dot_is_wildcard)
{
	struct dfl_http_rule r = {.host = "foo.bar.com"};

	ck_assert_int_eq(verdict(&r, 1, "GET", "/", "fooXbar.com", NULL), 0);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", "foo.bar.com", NULL), 0);
}
END_TEST

START_TEST(http_host_port_is_part_of_authority)
{
	struct dfl_http_rule r = {.host = "foo\\.bar\\.com"};

	ck_assert_int_eq(verdict(&r, 1, "GET", "/", "foo.bar.com:8080", NULL),
			 DENIED);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", "foo.bar.com", NULL), 0);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", "fooXbar.com", NULL),
			 DENIED);
	/* no Host at all never matches a host rule */
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, NULL), DENIED);
}
END_TEST

START_TEST(http_header_presence)
{
	char *hdrs[] = {"X-Token"};
	struct dfl_http_rule r = {.headers = hdrs, .n_headers = 1};
	const char *const with[] = {"x-token: anything", NULL};
	const char *const without[] = {"X-Other: abc", NULL};

	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, without), DENIED);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, NULL), DENIED);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, with), 0);
}
END_TEST

START_TEST(http_header_exact_value)
{
	char *hdrs[] = {"X-Token: abc"};
	char *hdrs2[] = {"X-Token abc"};
	struct dfl_http_rule r = {.headers = hdrs, .n_headers = 1};
	struct dfl_http_rule r2 = {.headers = hdrs2, .n_headers = 1};
	const char *const good[] = {"X-Token: abc", NULL};
	const char *const bad[] = {"X-Token: abcd", NULL};
	const char *const twice[] = {"X-Token: abc", "X-Token: abc", NULL};

	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, good), 0);
	ck_assert_int_eq(verdict(&r2, 1, "GET", "/", NULL, good), 0);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, bad), DENIED);
	/* repeated headers are compared joined: "abc,abc" */
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, twice), DENIED);
}
END_TEST

START_TEST(http_header_match_add_on_mismatch)
{
	struct dfl_header_match hm = {
	    .name = "X-Token", .value = "abc", .mismatch = DFL_MISMATCH_ADD};
	struct dfl_http_rule r = {.header_matches = &hm, .n_header_matches = 1};
	struct dfl_http_matcher *m = dfl_http_matcher__new(&r, 1, NULL);
	const char *const good[] = {"X-Token: abc", NULL};
	struct dfl_http_verdict v;
	struct req q;

	ck_assert_ptr_nonnull(m);
	dfl_http_matcher__match(m, mkreq(&q, "GET", "/", NULL, NULL), &v);
	ck_assert(v.allowed);
	ck_assert_int_eq(v.rule, 0);
	ck_assert_uint_eq(v.n_actions, 1);
	ck_assert_int_eq(v.actions[0].action, DFL_MISMATCH_ADD);
	ck_assert_str_eq(v.actions[0].name, "X-Token");
	ck_assert_str_eq(v.actions[0].value, "abc");
	ck_assert_ptr_null(v.actions[0].present);

	dfl_http_matcher__match(m, mkreq(&q, "GET", "/", NULL, good), &v);
	ck_assert(v.allowed);
	ck_assert_uint_eq(v.n_actions, 0);
	dfl_http_matcher__free(m);
}
END_TEST

START_TEST(http_header_match_actions)
{
	struct dfl_header_match hms[] = {
	    {.name = "A", .value = "1", .mismatch = DFL_MISMATCH_LOG},
	    {.name = "B", .value = "2", .mismatch = DFL_MISMATCH_DELETE},
	    {.name = "C", .value = "3", .mismatch = DFL_MISMATCH_REPLACE},
	    {.name = "D", .value = "4", .mismatch = DFL_MISMATCH_DELETE},
	};
	struct dfl_http_rule r = {.header_matches = hms, .n_header_matches = 4};
	struct dfl_http_matcher *m = dfl_http_matcher__new(&r, 1, NULL);
	const char *const hdrs[] = {"A: 0", "B: 0", "C: 0", NULL};
	struct dfl_http_verdict v;
	struct req q;

	ck_assert_ptr_nonnull(m);
	dfl_http_matcher__match(m, mkreq(&q, "GET", "/", NULL, hdrs), &v);
	ck_assert(v.allowed);
	/* D is absent: nothing to delete */
	ck_assert_uint_eq(v.n_actions, 3);
	ck_assert_int_eq(v.actions[0].action, DFL_MISMATCH_LOG);
	ck_assert_int_eq(v.actions[1].action, DFL_MISMATCH_DELETE);
	ck_assert_str_eq(v.actions[1].name, "B");
	ck_assert_uint_eq(v.actions[1].present_len, 1);
	ck_assert_int_eq(v.actions[2].action, DFL_MISMATCH_REPLACE);
	ck_assert_uint_eq(v.actions[2].match, 2);
	dfl_http_matcher__free(m);
}
END_TEST

START_TEST(http_header_match_fail_is_plain_match)
{
	struct dfl_header_match hm = {.name = "X-Token", .value = "abc"};
	struct dfl_header_match hp = {.name = "X-Present"};
	struct dfl_http_rule r = {.header_matches = &hm, .n_header_matches = 1};
	struct dfl_http_rule rp = {.header_matches = &hp,
				   .n_header_matches = 1};
	const char *const good[] = {"X-Token: abc", "X-Present: 1", NULL};
	const char *const bad[] = {"X-Token: abd", NULL};

	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, good), 0);
	ck_assert_int_eq(verdict(&r, 1, "GET", "/", NULL, bad), DENIED);
	ck_assert_int_eq(verdict(&rp, 1, "GET", "/", NULL, good), 0);
	ck_assert_int_eq(verdict(&rp, 1, "GET", "/", NULL, bad), DENIED);
}
END_TEST

START_TEST(http_header_match_secret_never_matches)
{
	struct dfl_header_match hm = {
	    .name = "X-Token", .secret_namespace = "ns", .secret_name = "tok"};
	struct dfl_http_rule r = {.header_matches = &hm, .n_header_matches = 1};
	struct dfl_diags d = {0};
	struct dfl_http_matcher *m = dfl_http_matcher__new(&r, 1, &d);
	const char *const h[] = {"X-Token: abc", NULL};
	struct dfl_http_verdict v;
	struct req q;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(dfl_diags__count(&d, DFL_SEV_WARNING), 1);
	dfl_http_matcher__match(m, mkreq(&q, "GET", "/", NULL, h), &v);
	ck_assert(!v.allowed);
	dfl_http_matcher__free(m);
	dfl_diags__release(&d);
}
END_TEST

START_TEST(http_empty_rule_matches_everything)
{
	struct dfl_http_rule r = {0};

	ck_assert_int_eq(verdict(&r, 1, "DELETE", "/anything?x", "h", NULL), 0);
	/* an empty list allows too, with no rule to name */
	ck_assert_int_eq(verdict(NULL, 0, "PUT", "/", NULL, NULL), -1);
}
END_TEST

START_TEST(http_rules_or_fields_and)
{
	struct dfl_http_rule rules[] = {
	    {.method = "GET"},
	    {.path = "/admin"},
	};
	struct dfl_http_rule both = {.method = "GET", .path = "/admin"};

	ck_assert_int_eq(verdict(rules, 2, "POST", "/admin", NULL, NULL), 1);
	ck_assert_int_eq(verdict(rules, 2, "GET", "/admin", NULL, NULL), 0);
	ck_assert_int_eq(verdict(rules, 2, "POST", "/x", NULL, NULL), DENIED);
	ck_assert_int_eq(verdict(&both, 1, "POST", "/admin", NULL, NULL),
			 DENIED);
	ck_assert_int_eq(verdict(&both, 1, "GET", "/admin", NULL, NULL), 0);
}
END_TEST

START_TEST(http_starwars_policy)
{
	struct dfl_http_rule r = {.method = "POST",
				  .path = "/v1/request-landing"};

	ck_assert_int_eq(
	    verdict(&r, 1, "POST", "/v1/request-landing", NULL, NULL), 0);
	ck_assert_int_eq(verdict(&r, 1, "PUT", "/v1/exhaust-port", NULL, NULL),
			 DENIED);
}
END_TEST

/* Plain-string paths are found by binary search; the first matching rule in
 * list order must still win over regex rules before and after it. */
START_TEST(http_many_rules_first_match_in_order)
{
	enum { N = 1000 };
	struct dfl_http_rule *rules = calloc(N, sizeof(*rules));
	static char paths[N][32];
	struct dfl_http_matcher *m;
	struct dfl_http_verdict v;
	struct req q;

	for (int i = 0; i < N; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/api/v1/item%d", i);
		rules[i].path = paths[i];
		rules[i].method = i % 2 ? "GET" : "PUT";
	}
	rules[10].path = "/api/v1/item5.*"; /* regex before the literal 500 */
	rules[10].method = "GET";
	m = dfl_http_matcher__new(rules, N, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(dfl_http_matcher__n_rules(m), N);
	dfl_http_matcher__match(
	    m, mkreq(&q, "GET", "/api/v1/item999", NULL, NULL), &v);
	ck_assert_int_eq(v.rule, 999);
	dfl_http_matcher__match(
	    m, mkreq(&q, "PUT", "/api/v1/item998", NULL, NULL), &v);
	ck_assert_int_eq(v.rule, 998);
	dfl_http_matcher__match(
	    m, mkreq(&q, "GET", "/api/v1/item998", NULL, NULL), &v);
	ck_assert(!v.allowed);
	dfl_http_matcher__match(
	    m, mkreq(&q, "GET", "/api/v1/item501", NULL, NULL), &v);
	ck_assert_int_eq(v.rule, 10);
	dfl_http_matcher__match(
	    m, mkreq(&q, "PUT", "/api/v1/item500", NULL, NULL), &v);
	ck_assert_int_eq(v.rule, 500);
	dfl_http_matcher__free(m);
	free(rules);
}
END_TEST

/* The prefix index must never change an answer: quantified last
 * characters, flags, alternations, escapes and anchors. */
START_TEST(http_prefix_index_keeps_semantics)
{
	static const struct {
		const char *rule, *path;
		int want; /* 1 allowed, 0 denied */
	} cases[] = {
	    {"/ab*c", "/ac", 1},
	    {"/ab*c", "/abbc", 1},
	    {"/ab?c", "/ac", 1},
	    {"/ab{0,2}c", "/ac", 1},
	    {"/ab+c", "/ac", 0},
	    {"(?i)/API/.*", "/api/x", 1},
	    {"/x|/y.*", "/yz", 1},
	    {"^/v1/.*", "/v1/a", 1},
	    {"/a\\.b.*", "/a.bc", 1},
	    {"/a\\.b.*", "/aXbc", 0},
	    {"/caf\xc3\xa9*", "/caf", 1},
	    {"/caf\xc3\xa9.*", "/caf\xc3\xa9s", 1},
	    {"/v1/items/[0-9]+", "/v1/items/42", 1},
	    {"/v1/items/[0-9]+", "/v1/items/", 0},
	    {"/v1/items", "/v1/items", 1},
	    {"/v1/items", "/v1/item", 0},
	    {"/v1/items", "/v1/itemsx", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* behind 300 other prefixed rules, to use the index */
		struct dfl_http_rule rules[301];
		static char paths[300][32];

		for (int k = 0; k < 300; k++) {
			snprintf(paths[k], sizeof(paths[k]), "/v1/other%d/.*",
				 k);
			rules[k] = (struct dfl_http_rule){.path = paths[k]};
		}
		rules[300] =
		    (struct dfl_http_rule){.path = (char *)cases[i].rule};
		ck_assert_msg(verdict(rules, 301, "GET", cases[i].path, NULL,
				      NULL) == (cases[i].want ? 300 : DENIED),
			      "rule %s path %s", cases[i].rule, cases[i].path);
	}
}
END_TEST

START_TEST(http_invalid_regex_reports_rule_and_field)
{
	struct dfl_http_rule r[] = {
	    {.path = "/ok"},
	    {.path = "(a)\\1", .pos = {"p.yaml", 12, 9}},
	    {.method = "*"},
	};
	struct dfl_diags d = {0};
	struct dfl_http_matcher *m = dfl_http_matcher__new(r, 3, &d);

	ck_assert_ptr_null(m);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(dfl_diags__count(&d, DFL_SEV_ERROR), 2);
	ck_assert_str_eq(d.items[0].path, "http[1].path");
	ck_assert_uint_eq(d.items[0].pos.line, 12);
	ck_assert_ptr_nonnull(strstr(d.items[0].message, "backreference"));
	ck_assert_str_eq(d.items[1].path, "http[2].method");
	dfl_diags__release(&d);
}
END_TEST

/* ---- RE2 dialect -------------------------------------------------------- */

START_TEST(re2_rejects_pcre_only_constructs)
{
	static const char *const bad[] = {
	    "(a)\\1",	 "a(?=b)",  "a(?!b)", "(?<=a)b", "(?<!a)b",
	    "a*+",	 "a++",	    "a?+",    "a{2}+",	 "(?>a)",
	    "a**",	 "a{2}{3}", "(?x)a",  "(?|a)",	 "(*ACCEPT)a",
	    "\\Z",	 "\\G",	    "\\K",    "\\h",	 "a{1001}",
	    "*",	 "(a",	    "a)",     "[a",	 "\\",
	    "(?R)",	 "(?1)",    "(?P=n)", "\\k<n>",	 "\\g1",
	    "[[:foo:]]", "(?)",	    "(?i-)",  "\\C",	 "+a",
	};
	char msg[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		ck_assert_msg(dfl_re2__check(bad[i], msg, sizeof(msg)) ==
				  -EINVAL,
			      "accepted %s", bad[i]);
		ck_assert_msg(strstr(msg, "offset"), "no offset for %s: %s",
			      bad[i], msg);
	}
}
END_TEST

START_TEST(re2_accepts_re2_syntax)
{
	static const char *const good[] = {
	    "/public",	       "/v1/.*",
	    "GET|HEAD",	       "(?i)get",
	    "(?P<x>a)b",       "(?<y>a)",
	    "[[:alpha:]]+",    "\\pL+",
	    "\\p{Greek}",      "a{2,5}?",
	    "a{3,}",	       "\\x41\\x{263a}",
	    "\\Qa.b\\E",       "[^/]+/[a-z0-9-]*",
	    "\\d\\w\\s\\S\\b", "(?s:.)",
	    "a{,5}",	       "{}",
	    "/a\\?b=1",	       "\\A/x\\z",
	    "(?U)a+",
	};
	char msg[200];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(dfl_re2__check(good[i], msg, sizeof(msg)) == 0,
			      "rejected %s: %s", good[i], msg);
}
END_TEST

START_TEST(re2_semantics_on_pcre2)
{
	/* $ is the end of the text only (no final-newline slack) */
	ck_assert_int_eq(dfl_http_regex__full_match("/a$", "/a\n", 3), 0);
	/* \v is the VT character, not vertical space */
	ck_assert_int_eq(dfl_http_regex__full_match("\\v", "\n", 1), 0);
	ck_assert_int_eq(dfl_http_regex__full_match("\\v", "\v", 1), 1);
	/* \s has no VT */
	ck_assert_int_eq(dfl_http_regex__full_match("\\s", "\v", 1), 0);
	/* a brace that starts no repeat is literal */
	ck_assert_int_eq(dfl_http_regex__full_match("a{,5}", "a{,5}", 5), 1);
	ck_assert_int_eq(dfl_http_regex__full_match("\\Qa.b\\E", "a.b", 3), 1);
	ck_assert_int_eq(dfl_http_regex__full_match("\\Qa.b\\E", "axb", 3), 0);
	ck_assert_int_eq(dfl_http_regex__full_match("(?i)get", "GeT", 3), 1);
	ck_assert_int_eq(dfl_http_regex__full_match(".", "\xc3\xa9", 2), 1);
	/* invalid UTF-8 never matches */
	ck_assert_int_eq(dfl_http_regex__full_match(".*", "\xff", 1), 0);
	ck_assert_int_eq(dfl_http_regex__full_match("a(", "a", 1), -EINVAL);
}
END_TEST

/* A pattern with catastrophic backtracking on a long input must give up
 * (no match, limit_hit) quickly instead of running for ages. */
START_TEST(http_regex_budget_is_linear)
{
	struct dfl_http_rule r[] = {
	    {.path = "/(a|aa)*(a|aa)*\\d"},
	    {.path = "/(\\w|a)*(\\w|a)*[.!]"},
	    {.path = "/(.*a){20}x?."},
	};
	struct dfl_http_matcher *m = dfl_http_matcher__new(r, 3, NULL);
	static char path[8192];
	struct dfl_http_verdict v;
	struct timespec t0, t1;
	struct req q;
	double ms;

	ck_assert_ptr_nonnull(m);
	path[0] = '/';
	memset(path + 1, 'a', sizeof(path) - 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dfl_http_matcher__match(m, mkreq(&q, "GET", path, NULL, NULL), &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert(!v.allowed);
	ck_assert(v.limit_hit);
	ck_assert_msg(ms < 500, "took %.1f ms", ms);
	dfl_http_matcher__free(m);
}
END_TEST

/* ---- §5.1 DNS table ----------------------------------------------------- */

static int dns(const char *pattern, bool is_pattern, const char *name)
{
	struct dfl_fqdn_selector s = {0};
	struct dfl_dns_matcher *m;
	int r;

	if (is_pattern)
		s.match_pattern = (char *)pattern;
	else
		s.match_name = (char *)pattern;
	m = dfl_dns_matcher__new(&s, 1, 0, NULL);
	ck_assert_msg(m != NULL, "rejected %s", pattern);
	r = dfl_dns_matcher__match(m, name, strlen(name));
	dfl_dns_matcher__free(m);
	return r == 0;
}

START_TEST(dns_exact_name_and_case)
{
	static const char *const pats[] = {"cilium.io", "cilium.io.",
					   "CILIUM.IO"};

	for (int i = 0; i < 3; i++) {
		ck_assert(dns(pats[i], true, "cilium.io."));
		ck_assert(dns(pats[i], false, "cilium.io."));
		ck_assert(dns(pats[i], true, "Cilium.IO"));
		ck_assert(!dns(pats[i], true, "sub.cilium.io."));
	}
}
END_TEST

START_TEST(dns_star_label)
{
	ck_assert(dns("*.cilium.io", true, "www.cilium.io."));
	ck_assert(dns("*.cilium.io", true, ".cilium.io."));
	ck_assert(!dns("*.cilium.io", true, "cilium.io."));
	ck_assert(!dns("*.cilium.io", true, "a.b.cilium.io."));
	ck_assert(dns("*.cilium.io.", true, "anysub.cilium.io."));
	ck_assert(dns("*.*.cilium.io.", true, "_foobar._tcp.cilium.io."));
}
END_TEST

START_TEST(dns_star_prefix_in_label)
{
	ck_assert(dns("*cilium.io", true, "cilium.io."));
	ck_assert(dns("*cilium.io", true, "subcilium.io."));
	ck_assert(!dns("*cilium.io", true, "www.cilium.io."));
	ck_assert(dns("sub*.cilium.io", true, "sub.cilium.io."));
	ck_assert(dns("sub*.cilium.io", true, "subdomain.cilium.io."));
	ck_assert(!dns("sub*.cilium.io", true, "www.cilium.io."));
}
END_TEST

START_TEST(dns_double_star)
{
	ck_assert(dns("**.cilium.io", true, "a.cilium.io."));
	ck_assert(dns("**.cilium.io", true, "a.b.cilium.io."));
	ck_assert(!dns("**.cilium.io", true, "cilium.io."));
	/* V20: mid-pattern ** is one label, like * */
	ck_assert(dns("cilium.**.io", true, "cilium.a.io."));
	ck_assert(!dns("cilium.**.io", true, "cilium.a.b.io."));
}
END_TEST

START_TEST(dns_match_all)
{
	static const char *const pats[] = {"*", "**", "*.", "**."};

	for (int i = 0; i < 4; i++) {
		ck_assert(dns(pats[i], true, "."));
		ck_assert(dns(pats[i], true, "io."));
		ck_assert(dns(pats[i], true, "a.b.c.example.com"));
		ck_assert(dns(pats[i], true, "_foobar._tcp.cilium.io."));
		ck_assert(!dns(pats[i], true, ".io."));
	}
}
END_TEST

START_TEST(dns_proxy_star_allows_any_query)
{
	struct dfl_fqdn_selector s = {.match_pattern = "*"};
	struct dfl_dns_matcher *proxy =
	    dfl_dns_matcher__new(&s, 1, DFL_DNS_MATCH_PROXY, NULL);
	struct dfl_dns_matcher *strict = dfl_dns_matcher__new(&s, 1, 0, NULL);

	ck_assert_int_eq(dfl_dns_matcher__match(proxy, "a\\032b.io", 9), 0);
	ck_assert_int_eq(dfl_dns_matcher__match(strict, "a\\032b.io", 9),
			 DFL_DNS_NO_MATCH);
	dfl_dns_matcher__free(proxy);
	dfl_dns_matcher__free(strict);
}
END_TEST

START_TEST(dns_first_selector_wins_and_empty_allows)
{
	struct dfl_fqdn_selector s[] = {
	    {.match_pattern = "*.cilium.io"},
	    {.match_name = "api.github.com"},
	    {.match_name = "www.cilium.io"},
	};
	struct dfl_dns_matcher *m = dfl_dns_matcher__new(s, 3, 0, NULL);
	struct dfl_dns_matcher *empty = dfl_dns_matcher__new(NULL, 0, 0, NULL);

	ck_assert_int_eq(dfl_dns_matcher__match(m, "www.cilium.io", 13), 0);
	ck_assert_int_eq(dfl_dns_matcher__match(m, "API.github.com.", 15), 1);
	ck_assert_int_eq(dfl_dns_matcher__match(m, "github.com", 10),
			 DFL_DNS_NO_MATCH);
	ck_assert_int_eq(dfl_dns_matcher__match(empty, "x", 1),
			 DFL_DNS_MATCH_EMPTY);
	dfl_dns_matcher__free(m);
	dfl_dns_matcher__free(empty);
}
END_TEST

START_TEST(dns_invalid_selectors)
{
	struct dfl_fqdn_selector s[] = {
	    {.match_name = "a*.io"},
	    {.match_pattern = "a[b].io"},
	    {0},
	    {.match_name = "ok.io", .match_pattern = "ok.io"},
	};
	struct dfl_diags d = {0};

	ck_assert_ptr_null(dfl_dns_matcher__new(s, 4, 0, &d));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(d.n, 4);
	ck_assert_str_eq(d.items[0].path, "dns[0].matchName");
	ck_assert_str_eq(d.items[1].path, "dns[1].matchPattern");
	dfl_diags__release(&d);
}
END_TEST

START_TEST(dns_regex_strings)
{
	char buf[256];

	ck_assert_int_gt(
	    dfl_fqdn__to_regex("*.cilium.io", true, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "^[-a-zA-Z0-9_]*[.]cilium[.]io[.]$");
	dfl_fqdn__to_regex("**.cilium.io", true, buf, sizeof(buf));
	ck_assert_str_eq(
	    buf, "^([-a-zA-Z0-9_]+([.][-a-zA-Z0-9_]+){0,})[.]cilium[.]io[.]$");
	dfl_fqdn__to_regex("*", true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "(^([-a-zA-Z0-9_]+[.])+$)|(^[.]$)");
	dfl_fqdn__to_regex("CILIUM.io", false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "^cilium[.]io[.]$");
	ck_assert_int_eq(dfl_fqdn__to_regex("cilium.io", false, buf, 5),
			 -ENOSPC);
}
END_TEST

static Suite *l7_suite(void)
{
	Suite *s = suite_create("l7_match");
	TCase *http = tcase_create("http");
	TCase *re2 = tcase_create("re2");
	TCase *dnsc = tcase_create("dns");

	tcase_add_test(http, http_path_full_match);
	tcase_add_test(http, http_path_regex_with_query);
	tcase_add_test(http, http_method_case_sensitive);
	tcase_add_test(http, http_method_alternation);
	tcase_add_test(http, http_host_dot_is_wildcard);
	tcase_add_test(http, http_host_port_is_part_of_authority);
	tcase_add_test(http, http_header_presence);
	tcase_add_test(http, http_header_exact_value);
	tcase_add_test(http, http_header_match_add_on_mismatch);
	tcase_add_test(http, http_header_match_actions);
	tcase_add_test(http, http_header_match_fail_is_plain_match);
	tcase_add_test(http, http_header_match_secret_never_matches);
	tcase_add_test(http, http_empty_rule_matches_everything);
	tcase_add_test(http, http_rules_or_fields_and);
	tcase_add_test(http, http_starwars_policy);
	tcase_add_test(http, http_many_rules_first_match_in_order);
	tcase_add_test(http, http_prefix_index_keeps_semantics);
	tcase_add_test(http, http_invalid_regex_reports_rule_and_field);
	tcase_add_test(http, http_regex_budget_is_linear);
	tcase_add_test(re2, re2_rejects_pcre_only_constructs);
	tcase_add_test(re2, re2_accepts_re2_syntax);
	tcase_add_test(re2, re2_semantics_on_pcre2);
	tcase_add_test(dnsc, dns_exact_name_and_case);
	tcase_add_test(dnsc, dns_star_label);
	tcase_add_test(dnsc, dns_star_prefix_in_label);
	tcase_add_test(dnsc, dns_double_star);
	tcase_add_test(dnsc, dns_match_all);
	tcase_add_test(dnsc, dns_proxy_star_allows_any_query);
	tcase_add_test(dnsc, dns_first_selector_wins_and_empty_allows);
	tcase_add_test(dnsc, dns_invalid_selectors);
	tcase_add_test(dnsc, dns_regex_strings);
	suite_add_tcase(s, http);
	suite_add_tcase(s, re2);
	suite_add_tcase(s, dnsc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(l7_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
