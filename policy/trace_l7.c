/* `policy trace` evaluates L7 rules with proxy/'s matchers (policy/l7_match)
 * when they are part of the build; the policy component has no matcher of
 * its own. Built only when that header exists (the matchers live on their
 * own branch until the integrator merges it). */
#if __has_include("policy/l7_match.h")
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/l7_match.h"
#include "policy/trace.h"

/* Each call compiles the rules once: trace matches one request. */
static int http_match(const struct dfl_http_rule *const *rules, size_t n,
		      const char *method, const char *path, const char *host,
		      void *arg)
{
	struct dfl_http_rule *arr = calloc(n ? n : 1, sizeof(*arr));
	struct dfl_http_request_view req = { 0 };
	struct dfl_http_matcher *m;
	struct dfl_http_verdict v;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		arr[i] = *rules[i]; /* shallow: borrowed during __new */
	m = dfl_http_matcher__new(arr, n, NULL);
	free(arr);
	if (!m)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	req.method = method;
	req.method_len = strlen(method);
	req.path = path;
	req.path_len = strlen(path);
	req.host = host;
	req.host_len = host ? strlen(host) : 0;
	dfl_http_matcher__match(m, &req, &v);
	dfl_http_matcher__free(m);
	if (!v.allowed)
		return -1;
	return v.rule >= 0 ? v.rule : 0;
}

static int dns_match(const struct dfl_fqdn_selector *const *sels, size_t n,
		     const char *qname, bool proxy, void *arg)
{
	struct dfl_fqdn_selector *arr = calloc(n ? n : 1, sizeof(*arr));
	struct dfl_dns_matcher *m;
	int r;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		arr[i] = *sels[i];
	m = dfl_dns_matcher__new(arr, n, proxy ? DFL_DNS_MATCH_PROXY : 0, NULL);
	free(arr);
	if (!m)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	r = dfl_dns_matcher__match(m, qname, strlen(qname));
	dfl_dns_matcher__free(m);
	if (r == DFL_DNS_MATCH_EMPTY)
		return 0;
	return r >= 0 ? r : -1;
}

const struct dfl_trace_l7_ops dfl_trace_l7_match_ops = {
	.http = http_match,
	.dns = dns_match,
};
#endif
