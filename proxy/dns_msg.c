#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <string.h>

#include "proxy/dns_msg.h"

#define HDR 12

/* The end of the name at <off>, or 0 when it runs off the message. A
 * compression pointer ends it. */
static size_t name_end(const uint8_t *w, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = w[off];

		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		off += 1 + (size_t)l;
	}
	return 0;
}

/* Presentation form of <rdf>, lower-cased, into <out>. */
static int dname_str(const ldns_rdf *rdf, char *out, size_t cap, size_t *len)
{
	char *s = ldns_rdf2str(rdf);
	size_t n;

	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (n + 1 > cap) {
		free(s);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	free(s);
	if (len)
		*len = n;
	return 0;
}

int dfl_dns_query__parse(const uint8_t *wire, size_t len,
			 struct dfl_dns_query *q)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *rr;
	int err = -EINVAL;
	size_t end;

	memset(q, 0, offsetof(struct dfl_dns_query, name) + 1);
	if (len < HDR || (wire[2] & 0x80) || !(wire[4] | wire[5]))
		return -EINVAL;
	end = name_end(wire, len, HDR);
	if (!end || end + 4 > len)
		return -EINVAL;
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return -EINVAL;
	rr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	if (!rr || !ldns_rr_owner(rr))
		goto out;
	err = dname_str(ldns_rr_owner(rr), q->name, sizeof(q->name),
			&q->name_len);
	if (err)
		goto out;
	q->id = dfl_dns__id(wire);
	q->qtype = (uint16_t)ldns_rr_get_type(rr);
	q->qclass = (uint16_t)ldns_rr_get_class(rr);
	q->question_end = end + 4;
out:
	ldns_pkt_free(pkt);
	return err;
}

static void reply_header(uint8_t *out, const uint8_t *msg, uint8_t rcode)
{
	memcpy(out, msg, 4);
	/* QR, opcode and RD kept; AA and TC clear */
	out[2] = (uint8_t)(0x80 | (msg[2] & 0x79));
	/* RA, CD kept, rcode */
	out[3] = (uint8_t)(0x80 | (msg[3] & 0x10) | (rcode & 0x0f));
	memset(out + 4, 0, HDR - 4);
}

int dfl_dns__reply_rcode(const uint8_t *query, const struct dfl_dns_query *q,
			 uint8_t rcode, uint8_t *out, size_t cap)
{
	size_t qlen = q->question_end - HDR;

	if (cap < q->question_end)
		return -ENOSPC;
	reply_header(out, query, rcode);
	out[5] = 1; /* QDCOUNT */
	memcpy(out + HDR, query + HDR, qlen);
	return (int)q->question_end;
}

int dfl_dns__reply_formerr(const uint8_t *msg, size_t len, uint8_t *out,
			   size_t cap)
{
	if (len < HDR || cap < HDR || (msg[2] & 0x80))
		return -EINVAL;
	reply_header(out, msg, DFL_DNS_RCODE_FORMERR);
	return HDR;
}

static void add_type(struct dfl_dns_answer *a, uint16_t t)
{
	for (size_t i = 0; i < a->n_rrtypes; i++)
		if (a->rrtypes[i] == t)
			return;
	if (a->n_rrtypes < DFL_DNS_MAX_TYPES)
		a->rrtypes[a->n_rrtypes++] = t;
}

static void lower_ttl(struct dfl_dns_answer *a, uint32_t ttl, bool *seen)
{
	if (!*seen || ttl < a->ttl)
		a->ttl = ttl;
	*seen = true;
}

int dfl_dns_answer__parse(const uint8_t *wire, size_t len,
			  struct dfl_dns_answer *a)
{
	ldns_pkt *pkt = NULL;
	ldns_rr_list *ans;
	ldns_rr *q;
	bool seen = false;
	int err = -EINVAL;

	memset(a, 0, offsetof(struct dfl_dns_answer, cnames));
	a->n_cnames = a->n_rrtypes = 0;
	a->ttl = 0;
	if (len < HDR || !(wire[2] & 0x80))
		return -EINVAL;
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return -EINVAL;
	q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	if (!q || !ldns_rr_owner(q) ||
	    dname_str(ldns_rr_owner(q), a->name, sizeof(a->name), NULL))
		goto out;
	a->id = ldns_pkt_id(pkt);
	a->rcode = (uint8_t)ldns_pkt_get_rcode(pkt);
	a->qtype = (uint16_t)ldns_rr_get_type(q);
	ans = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);

		add_type(a, t);
		if (!rd)
			continue;
		if (t == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
			lower_ttl(a, ldns_rr_ttl(rr), &seen);
			if (a->n_ips < DFL_DNS_MAX_IPS) {
				a->ips[a->n_ips].family = AF_INET;
				memcpy(a->ips[a->n_ips++].addr, ldns_rdf_data(rd), 4);
			}
		} else if (t == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
			lower_ttl(a, ldns_rr_ttl(rr), &seen);
			if (a->n_ips < DFL_DNS_MAX_IPS) {
				a->ips[a->n_ips].family = AF_INET6;
				memcpy(a->ips[a->n_ips++].addr, ldns_rdf_data(rd), 16);
			}
		} else if (t == LDNS_RR_TYPE_CNAME) {
			lower_ttl(a, ldns_rr_ttl(rr), &seen);
			if (a->n_cnames < DFL_DNS_MAX_CNAMES &&
			    !dname_str(rd, a->cnames[a->n_cnames],
				       sizeof(a->cnames[0]), NULL))
				a->n_cnames++;
		}
	}
	err = 0;
out:
	ldns_pkt_free(pkt);
	return err;
}

const char *dfl_dns_type__name(uint16_t type, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
		{ 1, "A" },	  { 2, "NS" },	     { 5, "CNAME" },  { 6, "SOA" },
		{ 12, "PTR" },	  { 13, "HINFO" },   { 15, "MX" },    { 16, "TXT" },
		{ 28, "AAAA" },	  { 33, "SRV" },     { 35, "NAPTR" }, { 41, "OPT" },
		{ 43, "DS" },	  { 46, "RRSIG" },   { 47, "NSEC" },  { 48, "DNSKEY" },
		{ 50, "NSEC3" },  { 64, "SVCB" },    { 65, "HTTPS" }, { 99, "SPF" },
		{ 252, "AXFR" },  { 255, "ANY" },    { 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == type)
			return names[i].n;
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}
