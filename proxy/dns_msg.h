/* DNS messages as the proxy needs them: the question of a query, a refusal
 * built from a query, the useful content of an answer (ldns does the
 * parsing). Pure functions, fuzzed by tests/fuzz/fuzz_dns.c. */
#ifndef DFL_PROXY_DNS_MSG_H
#define DFL_PROXY_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy-t.h"

/* Presentation form of a name: 255 octets, each possibly \DDD, plus dot. */
#define DFL_DNS_NAME_LEN 1028

enum {
	DFL_DNS_RCODE_NOERROR = 0,
	DFL_DNS_RCODE_FORMERR = 1,
	DFL_DNS_RCODE_SERVFAIL = 2,
	DFL_DNS_RCODE_NXDOMAIN = 3,
	DFL_DNS_RCODE_REFUSED = 5,
};

/* Question[0] of a query; other questions are ignored, as in Cilium. */
struct dfl_dns_query {
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	/* Lower-case, dot-terminated, escaped as in zone files. */
	char name[DFL_DNS_NAME_LEN];
	size_t name_len;
	size_t question_end; /* wire offset just past Question[0] */
};

/* Parses a query (QR clear, at least one question). Returns 0, or -EINVAL
 * when the message is not a well-formed query. */
int dfl_dns_query__parse(const uint8_t *wire, size_t len,
			 struct dfl_dns_query *q);

/* Writes to <out> the answer to <query> (parsed into <q>) that carries only
 * <rcode>: same id, opcode, RD and CD, QR and RA set, Question[0] copied, no
 * records. Returns its length, or -ENOSPC. */
int dfl_dns__reply_rcode(const uint8_t *query, const struct dfl_dns_query *q,
			 uint8_t rcode, uint8_t *out, size_t cap);

/* Writes a FORMERR answer for a message that is not a usable query but has
 * a header (12 bytes); returns its length, or -EINVAL. */
int dfl_dns__reply_formerr(const uint8_t *msg, size_t len, uint8_t *out,
			   size_t cap);

/* What an answer says. */
struct dfl_dns_answer {
	uint16_t id;
	uint8_t rcode;
	uint16_t qtype;
	char name[DFL_DNS_NAME_LEN];	    /* Question[0], as in the query */
	struct dfl_ip ips[DFL_DNS_MAX_IPS]; /* answer-section A and AAAA */
	size_t n_ips;
	char cnames[DFL_DNS_MAX_CNAMES][DFL_DNS_NAME_LEN]; /* CNAME targets */
	size_t n_cnames;
	/* Lowest TTL of the answer's A, AAAA and CNAME records (0 if none). */
	uint32_t ttl;
	uint16_t rrtypes[DFL_DNS_MAX_TYPES]; /* distinct answer types */
	size_t n_rrtypes;
};

/* Parses a response (QR set, one question). Returns 0 or -EINVAL. */
int dfl_dns_answer__parse(const uint8_t *wire, size_t len,
			  struct dfl_dns_answer *a);

/* "A", "AAAA", ... or "TYPE65280" in <buf> (16 bytes); returns the name. */
const char *dfl_dns_type__name(uint16_t type, char *buf, size_t len);

static inline uint16_t dfl_dns__id(const uint8_t *wire)
{
	return (uint16_t)(wire[0] << 8 | wire[1]);
}

static inline void dfl_dns__set_id(uint8_t *wire, uint16_t id)
{
	wire[0] = (uint8_t)(id >> 8);
	wire[1] = (uint8_t)id;
}

#endif
