/* libFuzzer target: the DNS proxy's message handling. The input is used
 * both as a client's query (question, refusal, rule matching) and as an
 * upstream answer (what gets learned). Checks: no crash, no leak,
 * refusals that carry the query's id and a single question, and — with
 * ldns as the oracle — that the proxy's wire-level reader finds the same
 * question name and type, rcode, IPs, CNAMEs and TTL as a full ldns parse
 * whenever both accept the message (answers: see check_answer). */
#include <ctype.h>
#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/l7_match.h"
#include "proxy/dns_msg.h"
#include "proxy/fqdn_cache.h"

static char *lower(char *s)
{
	for (char *p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static void check_question(ldns_pkt *pkt, const char *name, uint16_t type)
{
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	char *s;

	if (!q || !ldns_rr_owner(q))
		return;
	s = lower(ldns_rdf2str(ldns_rr_owner(q)));
	if (s && strcmp(s, name))
		abort(); /* a different name than ldns reads */
	if ((uint16_t)ldns_rr_get_type(q) != type)
		abort();
	free(s);
}

/* The answer section, compared both ways. Only for answers made of A,
 * AAAA and CNAME records: their sizes are fixed (the proxy also demands
 * exact RDLENGTHs, as miekg/dns does in Cilium), so both readers see the
 * same record boundaries. ldns reads the data of many other types field by
 * field, past or short of RDLENGTH, where the proxy skips RDLENGTH bytes. */
static void check_answer(ldns_pkt *pkt, const struct dfl_dns_answer *a)
{
	ldns_rr_list *ans = ldns_pkt_answer(pkt);
	size_t n_ips = 0, n_cn = 0;
	uint32_t ttl = 0;
	bool seen = false;

	check_question(pkt, a->name, a->qtype);
	if ((uint8_t)ldns_pkt_get_rcode(pkt) != a->rcode)
		abort();
	if (a->n_rrtypes == DFL_DNS_MAX_TYPES)
		return;
	for (size_t k = 0; k < a->n_rrtypes; k++)
		if (a->rrtypes[k] != 1 && a->rrtypes[k] != 28 &&
		    a->rrtypes[k] != 5)
			return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);

		if (!rd)
			abort();
		if (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) {
			if (n_ips < DFL_DNS_MAX_IPS &&
			    (n_ips >= a->n_ips ||
			     memcmp(a->ips[n_ips].addr, ldns_rdf_data(rd),
				    ldns_rdf_size(rd))))
				abort();
			n_ips++;
		} else if (t == LDNS_RR_TYPE_CNAME) {
			char *s = lower(ldns_rdf2str(rd));

			if (s && n_cn < DFL_DNS_MAX_CNAMES &&
			    (n_cn >= a->n_cnames || strcmp(s, a->cnames[n_cn])))
				abort();
			free(s);
			n_cn++;
		} else {
			abort(); /* a record the proxy did not see */
		}
		if (!seen || ldns_rr_ttl(rr) < ttl)
			ttl = ldns_rr_ttl(rr);
		seen = true;
	}
	if ((n_ips < DFL_DNS_MAX_IPS && n_ips != a->n_ips) ||
	    (n_cn < DFL_DNS_MAX_CNAMES && n_cn != a->n_cnames) || ttl != a->ttl)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dfl_fqdn_selector sels[] = {
	    {.match_pattern = "*.cilium.io"},
	    {.match_pattern = "**.example.com"},
	    {.match_name = "api.github.com"},
	    {.match_pattern = "sub*.x.io"},
	};
	static struct dfl_dns_matcher *m;
	static struct dfl_dns_answer a;
	static struct dfl_dns_query q;
	static uint8_t out[65536];
	ldns_pkt *pkt = NULL;
	bool oracle;
	int n;

	if (!m)
		m = dfl_dns_matcher__new(sels, 4, DFL_DNS_MATCH_PROXY, NULL);
	oracle = ldns_wire2pkt(&pkt, data, size) == LDNS_STATUS_OK;

	if (!dfl_dns_query__parse(data, size, &q)) {
		if (q.name_len != strlen(q.name) || q.question_end > size)
			abort();
		if (oracle)
			check_question(pkt, q.name, q.qtype);
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

		if (a.n_ips > DFL_DNS_MAX_IPS ||
		    a.n_cnames > DFL_DNS_MAX_CNAMES ||
		    a.n_rrtypes > DFL_DNS_MAX_TYPES)
			abort();
		if (oracle)
			check_answer(pkt, &a);
		if (c &&
		    !dfl_fqdn_cache__update(c, 1, a.name, a.ips, a.n_ips, a.ttl,
					    100) &&
		    dfl_fqdn_cache__lookup(c, 1, a.name, 99, ips,
					   DFL_DNS_MAX_IPS) > a.n_ips)
			abort();
		dfl_fqdn_cache__free(c);
	}
	ldns_pkt_free(pkt);
	return 0;
}
