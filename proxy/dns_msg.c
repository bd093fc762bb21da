#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy/dns_msg.h"

#define HDR 12
/* Compression pointers followed per name at most (a name has at most 127
 * labels; pointers must also go backwards, so loops are impossible). */
#define MAX_HOPS 128

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Appends one label byte in presentation form (as ldns prints names:
 * "\." for special characters, "\DDD" for the unprintable), lower-cased. */
static bool put_label_byte(char *out, size_t cap, size_t *n, uint8_t c)
{
	if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
		if (*n + 2 >= cap)
			return false;
		out[(*n)++] = '\\';
		out[(*n)++] = (char)c;
	} else if (c < 0x21 || c > 0x7e) {
		if (*n + 4 >= cap)
			return false;
		snprintf(out + *n, 5, "\\%03u", c);
		*n += 4;
	} else {
		if (*n + 1 >= cap)
			return false;
		out[(*n)++] = (char)tolower(c);
	}
	return true;
}

/* Reads the name at *off of message <w> (following compression pointers)
 * into <out> in presentation form, lower-case, dot-terminated; *off moves
 * past the name as stored there. <out> may be NULL to skip the name.
 * Returns 0 or -EINVAL. */
static int read_name(const uint8_t *w, size_t len, size_t *off, char *out,
		     size_t cap, size_t *out_len)
{
	size_t pos = *off, n = 0, wire = 1;
	bool jumped = false;
	int hops = 0;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -EINVAL;
		l = w[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= len || ++hops > MAX_HOPS)
				return -EINVAL;
			ptr = (size_t)(l & 0x3f) << 8 | w[pos + 1];
			if (ptr < HDR || ptr >= pos)
				return -EINVAL;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = ptr;
			continue;
		}
		if (l & 0xc0)
			return -EINVAL; /* obsolete label types */
		if (!l)
			break;
		wire += 1u + l;
		if (wire > 255 || pos + 1 + l > len)
			return -EINVAL;
		for (size_t i = 0; out && i < l; i++)
			if (!put_label_byte(out, cap, &n, w[pos + 1 + i]))
				return -EINVAL;
		if (out) {
			if (n + 1 >= cap)
				return -EINVAL;
			out[n++] = '.';
		}
		pos += 1u + l;
	}
	if (!jumped)
		*off = pos + 1;
	if (out) {
		if (!n)
			out[n++] = '.';
		out[n] = '\0';
		if (out_len)
			*out_len = n;
	}
	return 0;
}

int dfl_dns_query__parse(const uint8_t *wire, size_t len,
			 struct dfl_dns_query *q)
{
	size_t off = HDR;

	q->name[0] = '\0';
	if (len < HDR || (wire[2] & 0x80) || !rd16(wire + 4))
		return -EINVAL;
	if (read_name(wire, len, &off, q->name, sizeof(q->name),
		      &q->name_len) ||
	    off + 4 > len)
		return -EINVAL;
	q->id = rd16(wire);
	q->qtype = rd16(wire + off);
	q->qclass = rd16(wire + off + 2);
	q->question_end = off + 4;
	return 0;
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

/* Checks that the RDATA of a record whose data holds domain names has
 * exactly RDLENGTH bytes, as miekg/dns (Cilium) demands: a message that
 * lies about it is rejected whole rather than read two ways. */
static int check_rdata(const uint8_t *w, size_t rd, size_t end, uint16_t type)
{
	size_t p = rd;

	switch (type) {
	case 1:
		return end - rd == 4 ? 0 : -EINVAL;
	case 28:
		return end - rd == 16 ? 0 : -EINVAL;
	case 2:	 /* NS */
	case 5:	 /* CNAME */
	case 12: /* PTR */
	case 39: /* DNAME */
		break;
	case 15: /* MX: preference, exchange */
		p += 2;
		break;
	case 33: /* SRV: priority, weight, port, target */
		p += 6;
		break;
	case 6: /* SOA: two names, five 32-bit numbers */
		if (read_name(w, end, &p, NULL, 0, NULL))
			return -EINVAL;
		if (read_name(w, end, &p, NULL, 0, NULL) || p + 20 != end)
			return -EINVAL;
		return 0;
	default:
		return 0;
	}
	if (p > end || read_name(w, end, &p, NULL, 0, NULL) || p != end)
		return -EINVAL;
	return 0;
}

int dfl_dns_answer__parse(const uint8_t *wire, size_t len,
			  struct dfl_dns_answer *a)
{
	size_t off = HDR;
	uint16_t qd, an;
	bool seen = false;

	a->n_ips = a->n_cnames = a->n_rrtypes = 0;
	a->ttl = 0;
	a->name[0] = '\0';
	if (len < HDR || !(wire[2] & 0x80))
		return -EINVAL;
	qd = rd16(wire + 4);
	an = rd16(wire + 6);
	if (!qd || read_name(wire, len, &off, a->name, sizeof(a->name), NULL) ||
	    off + 4 > len)
		return -EINVAL;
	a->id = rd16(wire);
	a->rcode = wire[3] & 0x0f;
	a->qtype = rd16(wire + off);
	off += 4;
	for (uint16_t i = 1; i < qd; i++) {
		if (read_name(wire, len, &off, NULL, 0, NULL) || off + 4 > len)
			return -EINVAL;
		off += 4;
	}
	for (uint16_t i = 0; i < an; i++) {
		uint16_t type, rdlen;
		uint32_t ttl;
		size_t rd;

		if (read_name(wire, len, &off, NULL, 0, NULL) || off + 10 > len)
			return -EINVAL;
		type = rd16(wire + off);
		ttl = rd32(wire + off + 4);
		rdlen = rd16(wire + off + 8);
		rd = off + 10;
		if (rd + rdlen > len || check_rdata(wire, rd, rd + rdlen, type))
			return -EINVAL;
		off = rd + rdlen;
		add_type(a, type);
		if (type != 1 && type != 28 && type != 5)
			continue;
		if (!seen || ttl < a->ttl)
			a->ttl = ttl;
		seen = true;
		if (type == 5) {
			size_t p = rd;

			if (a->n_cnames < DFL_DNS_MAX_CNAMES &&
			    !read_name(wire, rd + rdlen, &p,
				       a->cnames[a->n_cnames],
				       sizeof(a->cnames[0]), NULL))
				a->n_cnames++;
		} else if (a->n_ips < DFL_DNS_MAX_IPS) {
			a->ips[a->n_ips].family =
			    type == 1 ? AF_INET : AF_INET6;
			memcpy(a->ips[a->n_ips++].addr, wire + rd, rdlen);
		}
	}
	return 0;
}

const char *dfl_dns_type__name(uint16_t type, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
	    {1, "A"},	   {2, "NS"},	  {5, "CNAME"},	 {6, "SOA"},
	    {12, "PTR"},   {13, "HINFO"}, {15, "MX"},	 {16, "TXT"},
	    {28, "AAAA"},  {33, "SRV"},	  {35, "NAPTR"}, {41, "OPT"},
	    {43, "DS"},	   {46, "RRSIG"}, {47, "NSEC"},	 {48, "DNSKEY"},
	    {50, "NSEC3"}, {64, "SVCB"},  {65, "HTTPS"}, {99, "SPF"},
	    {252, "AXFR"}, {255, "ANY"},  {257, "CAA"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == type)
			return names[i].n;
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}
