/* libFuzzer target: the DNS proxy's message handling. The input is used
 * both as a client's query (question, refusal, rule matching) and as an
 * upstream answer (what gets learned). Checks: no crash, no leak,
 * refusals that carry the query's id and a single question, and — with
 * ldns as the oracle — that the proxy's wire-level reader finds the same
 * question name and type, the same IPs, CNAMEs, TTL and record types as a
 * full ldns parse whenever both accept the message. */
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

/* ldns is more lenient than the proxy inside the answer section (it reads
 * a name in RDATA past RDLENGTH, takes a 16-byte A record), where the
 * proxy rejects records whose RDATA does not fill RDLENGTH exactly, as
 * miekg/dns (Cilium) does. So the check is one-way: everything the proxy
 * extracts, ldns sees too, in the same order, and the proxy's TTL is one of
 * the TTLs ldns saw. Records with names in their data other than the ones
 * the proxy checks (CNAME, NS, PTR, DNAME, MX, SRV, SOA) may still be read
 * two ways: such answers are not compared. */
static void check_answer(ldns_pkt *pkt, const struct dfl_dns_answer *a)
{
	ldns_rr_list *ans = ldns_pkt_answer(pkt);
	size_t n_ips = 0, n_cn = 0;
	bool ttl_seen = !a->n_ips && !a->n_cnames;

	check_question(pkt, a->name, a->qtype);
	if ((uint8_t)ldns_pkt_get_rcode(pkt) != a->rcode)
		abort();
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);

		for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
			ldns_rr_type t = ldns_rr_get_type(rr);

			if (ldns_rdf_get_type(ldns_rr_rdf(rr, k)) ==
				LDNS_RDF_TYPE_DNAME &&
			    t != LDNS_RR_TYPE_CNAME && t != LDNS_RR_TYPE_NS &&
			    t != LDNS_RR_TYPE_PTR && t != LDNS_RR_TYPE_DNAME &&
			    t != LDNS_RR_TYPE_MX && t != LDNS_RR_TYPE_SRV &&
			    t != LDNS_RR_TYPE_SOA)
				return;
		}
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);

		if (!rd)
			continue;
		if ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
		    n_ips < a->n_ips &&
		    ldns_rdf_size(rd) == (t == LDNS_RR_TYPE_A ? 4u : 16u) &&
		    !memcmp(a->ips[n_ips].addr, ldns_rdf_data(rd),
			    ldns_rdf_size(rd))) {
			n_ips++;
			ttl_seen |= ldns_rr_ttl(rr) == a->ttl;
		} else if (t == LDNS_RR_TYPE_CNAME && n_cn < a->n_cnames) {
			char *s = lower(ldns_rdf2str(rd));

			if (s && !strcmp(s, a->cnames[n_cn])) {
				n_cn++;
				ttl_seen |= ldns_rr_ttl(rr) == a->ttl;
			}
			free(s);
		}
	}
	if (n_ips != a->n_ips || n_cn != a->n_cnames || !ttl_seen)
		abort(); /* the proxy read something ldns did not */
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
