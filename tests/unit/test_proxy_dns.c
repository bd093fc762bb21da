/* proxy/ DNS end to end on loopback: an upstream resolver (threads, UDP
 * and TCP), the proxy (its own thread, test resolver) and ldns clients.
 * Also the pure message helpers and the learned-names cache. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy/l7_match.h"
#include "proxy/dns_msg.h"
#include "proxy/fqdn_cache.h"
#include "proxy/proxy.h"
#include "proxy/sock.h"
#include "util/intern.h"

/* ---- the upstream resolver -------------------------------------------- */

/* Answers for the names it knows; NXDOMAIN otherwise. */
static size_t answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap)
{
	static const struct {
		const char *name;
		const char *rrs[3];
	} zone[] = {
	    {"www.cilium.io.",
	     {"www.cilium.io. 60 IN A 1.2.3.4",
	      "www.cilium.io. 30 IN A 1.2.3.5"}},
	    {"alias.cilium.io.",
	     {"alias.cilium.io. 10 IN CNAME www.cilium.io.",
	      "www.cilium.io. 60 IN A 1.2.3.4"}},
	    {"api.github.com.", {"api.github.com. 300 IN AAAA 2001:db8::1"}},
	    {"cilium.io.", {"cilium.io. 5 IN A 9.9.9.9"}},
	};
	ldns_pkt *pkt = NULL, *resp;
	uint8_t *wire = NULL;
	size_t len = 0;
	char *qname;
	bool found = false;

	if (ldns_wire2pkt(&pkt, q, qlen) != LDNS_STATUS_OK)
		return 0;
	resp = ldns_pkt_new();
	ldns_pkt_set_id(resp, ldns_pkt_id(pkt));
	ldns_pkt_set_qr(resp, true);
	ldns_pkt_set_rd(resp, ldns_pkt_rd(pkt));
	ldns_pkt_set_ra(resp, true);
	ldns_pkt_push_rr(
	    resp, LDNS_SECTION_QUESTION,
	    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
	qname = ldns_rdf2str(
	    ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcasecmp(qname, zone[i].name))
			continue;
		found = true;
		for (int k = 0; k < 3 && zone[i].rrs[k]; k++) {
			ldns_rr *rr = NULL;

			ldns_rr_new_frm_str(&rr, zone[i].rrs[k], 0, NULL, NULL);
			ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, rr);
		}
	}
	if (!found)
		ldns_pkt_set_rcode(resp, LDNS_RCODE_NXDOMAIN);
	if (ldns_pkt2wire(&wire, resp, &len) == LDNS_STATUS_OK && len <= cap)
		memcpy(out, wire, len);
	else
		len = 0;
	free(wire);
	free(qname);
	ldns_pkt_free(resp);
	ldns_pkt_free(pkt);
	return len;
}

struct resolver {
	int ufd, tfd;
	struct dfl_sockaddr addr;
	pthread_t ut, tt;
	pthread_mutex_t mu;
	int queries;
};

static void count_query(struct resolver *r)
{
	pthread_mutex_lock(&r->mu);
	r->queries++;
	pthread_mutex_unlock(&r->mu);
}

static void *udp_main(void *arg)
{
	struct resolver *r = arg;
	uint8_t in[4096], out[4096];

	for (;;) {
		struct dfl_sockaddr from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(r->ufd, in, sizeof(in), 0, &from.sa, &fl);
		size_t m;

		if (n <= 0)
			return NULL;
		count_query(r);
		m = answer(in, (size_t)n, out, sizeof(out));
		if (m)
			sendto(r->ufd, out, m, 0, &from.sa, fl);
	}
}

static bool read_full(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static void *tcp_main(void *arg)
{
	struct resolver *r = arg;

	for (;;) {
		int fd = accept(r->tfd, NULL, NULL);
		uint8_t in[4096], out[4098], hdr[2];

		if (fd < 0)
			return NULL;
		while (read_full(fd, hdr, 2)) {
			size_t len = (size_t)hdr[0] << 8 | hdr[1], m;

			if (len > sizeof(in) || !read_full(fd, in, len))
				break;
			count_query(r);
			m = answer(in, len, out + 2, sizeof(out) - 2);
			out[0] = (uint8_t)(m >> 8);
			out[1] = (uint8_t)m;
			if (write(fd, out, m + 2) < 0)
				break;
		}
		close(fd);
	}
}

static int blocking(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

static void resolver_start(struct resolver *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	dfl_sockaddr__parse("127.0.0.1:0", &r->addr);
	r->tfd = dfl_sock__listen(SOCK_STREAM, &r->addr, false);
	r->ufd = dfl_sock__listen(SOCK_DGRAM, &r->addr, false);
	ck_assert_int_ge(r->tfd, 0);
	ck_assert_int_ge(r->ufd, 0);
	blocking(r->tfd);
	blocking(r->ufd);
	pthread_create(&r->ut, NULL, udp_main, r);
	pthread_create(&r->tt, NULL, tcp_main, r);
}

static void resolver_stop(struct resolver *r)
{
	shutdown(r->ufd, SHUT_RDWR);
	shutdown(r->tfd, SHUT_RDWR);
	pthread_join(r->ut, NULL);
	pthread_join(r->tt, NULL);
	close(r->ufd);
	close(r->tfd);
}

static int resolver_queries(struct resolver *r)
{
	int n;

	pthread_mutex_lock(&r->mu);
	n = r->queries;
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* ---- the proxy ------------------------------------------------------------
 */

struct fixture {
	struct dfl_proxy *p;
	pthread_t thread;
	struct dfl_sockaddr addr;
	struct resolver res;
	struct dfl_sockaddr upstream;
	struct dfl_dns_matcher *m;
	struct dfl_fqdn_cache *cache;
	bool unknown;
	pthread_mutex_t mu;
	int n_learned;
	char learned_name[256];
	uint32_t learned_ttl;
	size_t learned_ips;
	int n_evs;
	struct dfl_l7_event evs[32];
	char ev_query[32][256];
	char ev_reason[32][64];
};

static struct fixture fx;

static int resolve(void *ctx, const struct dfl_proxy_conn_info *ci,
		   struct dfl_proxy_policy *out)
{
	struct fixture *f = ctx;

	ck_assert_int_eq(ci->l7, DFL_L7_PROTO_DNS);
	out->known = !f->unknown;
	out->dns = f->m;
	out->src_identity = 50046;
	out->dst_identity = 102;
	out->endpoint_id = 301;
	out->direction = DFL_DIR_EGRESS;
	out->upstream = f->upstream;
	return 0;
}

static int on_dns(void *ctx, const struct dfl_dns_learned *l)
{
	struct fixture *f = ctx;

	pthread_mutex_lock(&f->mu);
	f->n_learned++;
	snprintf(f->learned_name, sizeof(f->learned_name), "%s", l->name);
	f->learned_ttl = l->ttl;
	f->learned_ips = l->n_ips;
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static void on_event(void *ctx, const struct dfl_l7_event *ev)
{
	struct fixture *f = ctx;

	pthread_mutex_lock(&f->mu);
	if (f->n_evs < 32) {
		f->evs[f->n_evs] = *ev;
		snprintf(f->ev_query[f->n_evs], 256, "%s", ev->dns.query);
		snprintf(f->ev_reason[f->n_evs], 64, "%s",
			 ev->reason ? ev->reason : "");
		f->n_evs++;
	}
	pthread_mutex_unlock(&f->mu);
}

static void *proxy_main(void *arg)
{
	dfl_proxy__run(arg);
	return NULL;
}

static const struct dfl_fqdn_selector rules[] = {
    {.match_pattern = "*.cilium.io"},
    {.match_name = "api.github.com"},
};

static void start(bool nxdomain, uint32_t min_ttl, uint32_t timeout_ms)
{
	struct dfl_proxy_opts o = {
	    .resolve = resolve,
	    .resolve_ctx = &fx,
	    .on_event = on_event,
	    .event_ctx = &fx,
	    .on_dns = on_dns,
	    .dns_ctx = &fx,
	    .dns_deny_nxdomain = nxdomain,
	    .dns_min_ttl = min_ttl,
	    .dns_timeout_ms = timeout_ms,
	};
	bool root = geteuid() == 0;

	memset(&fx, 0, sizeof(fx));
	pthread_mutex_init(&fx.mu, NULL);
	o.no_transparent = o.no_mark = o.no_spoof_source = !root;
	resolver_start(&fx.res);
	fx.upstream = fx.res.addr;
	fx.m = dfl_dns_matcher__new(rules, 2, DFL_DNS_MATCH_PROXY, NULL);
	fx.cache = dfl_fqdn_cache__new();
	o.fqdn_cache = fx.cache;
	fx.p = dfl_proxy__new(&o);
	ck_assert_ptr_nonnull(fx.p);
	dfl_sockaddr__parse("127.0.0.1:0", &fx.addr);
	ck_assert_int_eq(dfl_proxy__listen(fx.p, DFL_L7_PROTO_DNS, &fx.addr),
			 0);
	pthread_create(&fx.thread, NULL, proxy_main, fx.p);
}

static void setup(void)
{
	start(false, 0, 5000);
}

static void teardown(void)
{
	dfl_proxy__stop(fx.p);
	pthread_join(fx.thread, NULL);
	dfl_proxy__free(fx.p);
	dfl_dns_matcher__free(fx.m);
	dfl_fqdn_cache__free(fx.cache);
	resolver_stop(&fx.res);
}

/* ---- clients
 * ----------------------------------------------------------------- */

static size_t mkquery(const char *name, ldns_rr_type type, uint16_t id,
		      uint8_t *out)
{
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&q, name, type,
						    LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, id);
	ck_assert_int_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(q);
	return len;
}

/* Asks the proxy over UDP; returns the answer (caller frees) or NULL after
 * <ms> without one. */
static ldns_pkt *ask_udp(const char *name, ldns_rr_type type, uint16_t id,
			 int ms)
{
	uint8_t q[512], r[4096];
	size_t len = mkquery(name, type, id, q);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd pfd = {fd, POLLIN, 0};
	ldns_pkt *pkt = NULL;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, &fx.addr.sa, dfl_sockaddr__len(&fx.addr)),
			 0);
	ck_assert_int_eq(send(fd, q, len, 0), (ssize_t)len);
	if (poll(&pfd, 1, ms) == 1 && (n = recv(fd, r, sizeof(r), 0)) > 0)
		ck_assert_int_eq(ldns_wire2pkt(&pkt, r, (size_t)n),
				 LDNS_STATUS_OK);
	close(fd);
	return pkt;
}

static ldns_pkt *ask_tcp(int fd, const char *name, ldns_rr_type type,
			 uint16_t id)
{
	uint8_t q[514], r[4096], hdr[2];
	size_t len = mkquery(name, type, id, q + 2), rl;
	ldns_pkt *pkt = NULL;

	q[0] = (uint8_t)(len >> 8);
	q[1] = (uint8_t)len;
	ck_assert_int_eq(write(fd, q, len + 2), (ssize_t)len + 2);
	if (!read_full(fd, hdr, 2))
		return NULL;
	rl = (size_t)hdr[0] << 8 | hdr[1];
	ck_assert(read_full(fd, r, rl));
	ck_assert_int_eq(ldns_wire2pkt(&pkt, r, rl), LDNS_STATUS_OK);
	return pkt;
}

static char *qname_of(ldns_pkt *p)
{
	return ldns_rdf2str(
	    ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0)));
}

/* ---- cases
 * -------------------------------------------------------------------- */

START_TEST(allowed_name_is_answered_after_learning)
{
	ldns_pkt *a = ask_udp("www.cilium.io", LDNS_RR_TYPE_A, 4242, 3000);

	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ldns_pkt_id(a), 4242);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_rr_list_rr_count(ldns_pkt_answer(a)), 2);
	/* learned before the answer was released */
	pthread_mutex_lock(&fx.mu);
	ck_assert_int_eq(fx.n_learned, 1);
	ck_assert_str_eq(fx.learned_name, "www.cilium.io.");
	ck_assert_uint_eq(fx.learned_ttl, 30);
	ck_assert_uint_eq(fx.learned_ips, 2);
	ck_assert_int_eq(fx.n_evs, 2);
	ck_assert_int_eq(fx.evs[0].type, DFL_L7_REQUEST);
	ck_assert_int_eq(fx.evs[0].verdict, DFL_L7_FORWARDED);
	ck_assert_int_eq(fx.evs[0].rule, 0);
	ck_assert_str_eq(fx.ev_query[0], "www.cilium.io.");
	ck_assert_uint_eq(fx.evs[0].ip_proto, IPPROTO_UDP);
	ck_assert_int_eq(fx.evs[0].direction, DFL_DIR_EGRESS);
	ck_assert_int_eq(fx.evs[1].type, DFL_L7_RESPONSE);
	ck_assert_uint_eq(fx.evs[1].dns.ttl, 30);
	ck_assert_uint_eq(fx.evs[1].dns.rcode, 0);
	pthread_mutex_unlock(&fx.mu);
	ldns_pkt_free(a);
}
END_TEST

START_TEST(denied_name_gets_refused_with_same_id_and_question)
{
	ldns_pkt *a = ask_udp("cilium.io", LDNS_RR_TYPE_A, 777, 3000);
	char *q;

	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ldns_pkt_id(a), 777);
	ck_assert(ldns_pkt_qr(a));
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ck_assert_uint_eq(ldns_pkt_qdcount(a), 1);
	ck_assert_uint_eq(ldns_pkt_ancount(a), 0);
	q = qname_of(a);
	ck_assert_str_eq(q, "cilium.io.");
	free(q);
	ldns_pkt_free(a);
	ck_assert_int_eq(resolver_queries(&fx.res), 0);
	pthread_mutex_lock(&fx.mu);
	ck_assert_int_eq(fx.n_evs, 1);
	ck_assert_int_eq(fx.evs[0].verdict, DFL_L7_DROPPED);
	ck_assert_str_eq(fx.ev_reason[0], "no DNS rule matched");
	ck_assert_int_eq(fx.n_learned, 0);
	pthread_mutex_unlock(&fx.mu);
}
END_TEST

START_TEST(match_name_and_pattern)
{
	ldns_pkt *a;

	a = ask_udp("API.GitHub.com", LDNS_RR_TYPE_AAAA, 1, 3000);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(a), 1);
	ldns_pkt_free(a);
	a = ask_udp("sub.api.github.com", LDNS_RR_TYPE_A, 2, 3000);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ldns_pkt_free(a);
	a = ask_udp("a.b.cilium.io", LDNS_RR_TYPE_A, 3, 3000);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ldns_pkt_free(a);
	/* allowed but unknown upstream: NXDOMAIN relayed, nothing learned */
	a = ask_udp("nope.cilium.io", LDNS_RR_TYPE_A, 4, 3000);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(a);
	pthread_mutex_lock(&fx.mu);
	ck_assert_int_eq(fx.n_learned, 1);
	pthread_mutex_unlock(&fx.mu);
}
END_TEST

START_TEST(cname_chain_ttl_and_cache)
{
	ldns_pkt *a = ask_udp("alias.cilium.io", LDNS_RR_TYPE_A, 9, 3000);
	struct dfl_ip ips[4];

	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	ldns_pkt_free(a);
	pthread_mutex_lock(&fx.mu);
	ck_assert_uint_eq(fx.learned_ttl, 10); /* lowest of CNAME and A */
	ck_assert_uint_eq(fx.evs[1].dns.n_cnames, 1);
	pthread_mutex_unlock(&fx.mu);
	/* the proxy thread is idle now: the cache can be read */
	ck_assert_uint_eq(dfl_fqdn_cache__lookup(fx.cache, 301,
						 "alias.cilium.io.",
						 (uint64_t)time(NULL), ips, 4),
			  1);
	ck_assert_uint_eq(ips[0].addr[3], 4);
}
END_TEST

START_TEST(tcp_queries)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ldns_pkt *a;

	ck_assert_int_eq(connect(fd, &fx.addr.sa, dfl_sockaddr__len(&fx.addr)),
			 0);
	a = ask_tcp(fd, "www.cilium.io", LDNS_RR_TYPE_A, 11);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ldns_pkt_id(a), 11);
	ck_assert_uint_eq(ldns_pkt_ancount(a), 2);
	ldns_pkt_free(a);
	a = ask_tcp(fd, "evil.example", LDNS_RR_TYPE_A, 12);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ck_assert_uint_eq(ldns_pkt_id(a), 12);
	ldns_pkt_free(a);
	a = ask_tcp(fd, "api.github.com", LDNS_RR_TYPE_AAAA, 13);
	ck_assert_uint_eq(ldns_pkt_ancount(a), 1);
	ldns_pkt_free(a);
	close(fd);
	ck_assert_int_eq(resolver_queries(&fx.res), 2);
}
END_TEST

START_TEST(no_rules_known_refuses)
{
	ldns_pkt *a;

	fx.unknown = true;
	a = ask_udp("www.cilium.io", LDNS_RR_TYPE_A, 5, 3000);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED);
	ldns_pkt_free(a);
	ck_assert_int_eq(resolver_queries(&fx.res), 0);
	pthread_mutex_lock(&fx.mu);
	ck_assert_str_eq(fx.ev_reason[0], "no policy for this connection");
	pthread_mutex_unlock(&fx.mu);
}
END_TEST

START_TEST(malformed_query_gets_formerr)
{
	uint8_t q[16] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63};
	uint8_t r[512];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd pfd = {fd, POLLIN, 0};

	connect(fd, &fx.addr.sa, dfl_sockaddr__len(&fx.addr));
	ck_assert_int_eq(send(fd, q, 13, 0), 13);
	ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
	ck_assert_int_eq(recv(fd, r, sizeof(r), 0), 12);
	ck_assert_uint_eq(r[0], 0x12);
	ck_assert_uint_eq(r[3] & 0xf, LDNS_RCODE_FORMERR);
	close(fd);
}
END_TEST

/* Separate fixtures: NXDOMAIN mode, minimum TTL, dead upstream. */
START_TEST(deny_with_nxdomain_and_min_ttl)
{
	ldns_pkt *a;

	teardown();
	start(true, 120, 5000);
	a = ask_udp("cilium.io", LDNS_RR_TYPE_A, 6, 3000);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(a);
	a = ask_udp("www.cilium.io", LDNS_RR_TYPE_A, 7, 3000);
	ldns_pkt_free(a);
	pthread_mutex_lock(&fx.mu);
	ck_assert_uint_eq(fx.learned_ttl, 120);
	pthread_mutex_unlock(&fx.mu);
}
END_TEST

START_TEST(dead_upstream_gives_servfail)
{
	ldns_pkt *a;
	int fd;

	teardown();
	start(false, 0, 300);
	dfl_sockaddr__parse("127.0.0.1:1", &fx.upstream);
	a = ask_udp("www.cilium.io", LDNS_RR_TYPE_A, 8, 3000);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ldns_pkt_id(a), 8);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(a);
	pthread_mutex_lock(&fx.mu);
	ck_assert_int_eq(fx.evs[1].verdict, DFL_L7_ERROR);
	pthread_mutex_unlock(&fx.mu);

	/* over TCP: the refused upstream connection fails the query at once */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, &fx.addr.sa, dfl_sockaddr__len(&fx.addr)),
			 0);
	a = ask_tcp(fd, "www.cilium.io", LDNS_RR_TYPE_A, 9);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ldns_pkt_id(a), 9);
	ck_assert_int_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(a);
	close(fd);
}
END_TEST

/* ---- pure parts
 * ------------------------------------------------------------------ */

START_TEST(refusal_copies_question0_only)
{
	uint8_t q[512], out[512];
	size_t len = mkquery("Www.Example.COM", LDNS_RR_TYPE_AAAA, 0xbeef, q);
	struct dfl_dns_query pq;
	ldns_pkt *r = NULL;
	int n;

	ck_assert_int_eq(dfl_dns_query__parse(q, len, &pq), 0);
	ck_assert_str_eq(pq.name, "www.example.com.");
	ck_assert_uint_eq(pq.qtype, LDNS_RR_TYPE_AAAA);
	n = dfl_dns__reply_rcode(q, &pq, DFL_DNS_RCODE_REFUSED, out,
				 sizeof(out));
	ck_assert_int_gt(n, 12);
	ck_assert_int_eq(ldns_wire2pkt(&r, out, (size_t)n), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_id(r), 0xbeef);
	ck_assert(ldns_pkt_rd(r));
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
	/* a response is not a query */
	out[2] |= 0x80;
	ck_assert_int_eq(dfl_dns_query__parse(out, (size_t)n, &pq), -EINVAL);
	ck_assert_int_eq(dfl_dns_query__parse(q, 11, &pq), -EINVAL);
}
END_TEST

START_TEST(cache_save_load_expire)
{
	struct dfl_fqdn_cache *c = dfl_fqdn_cache__new(), *d;
	struct dfl_ip ips[2] = {{AF_INET, {1, 2, 3, 4}},
				{AF_INET6, {0x20, 0x01, 0x0d, 0xb8}}};
	struct dfl_ip out[4];
	char path[] = "/tmp/dfl-proxy-fqdn-XXXXXX";
	int fd = mkstemp(path);

	close(fd);
	ck_assert_int_eq(
	    dfl_fqdn_cache__update(c, 7, "a.io.", ips, 2, 60, 1000), 0);
	ck_assert_int_eq(
	    dfl_fqdn_cache__update(c, 7, "b.io.", ips, 1, 10, 1000), 0);
	/* a later answer extends, never shortens */
	ck_assert_int_eq(dfl_fqdn_cache__update(c, 7, "a.io.", ips, 1, 5, 1010),
			 0);
	ck_assert_uint_eq(dfl_fqdn_cache__count(c), 3);
	ck_assert_int_eq(dfl_fqdn_cache__save(c, path), 0);

	d = dfl_fqdn_cache__new();
	/* at t=1020 the b.io. entry has expired: not restored */
	ck_assert_int_eq(dfl_fqdn_cache__load(d, path, 1020), 0);
	ck_assert_uint_eq(dfl_fqdn_cache__count(d), 2);
	ck_assert_uint_eq(dfl_fqdn_cache__lookup(d, 7, "a.io.", 1020, out, 4),
			  2);
	ck_assert_uint_eq(dfl_fqdn_cache__lookup(d, 7, "b.io.", 1020, out, 4),
			  0);
	ck_assert_uint_eq(dfl_fqdn_cache__lookup(d, 8, "a.io.", 1020, out, 4),
			  0);
	ck_assert_uint_eq(dfl_fqdn_cache__expire(d, 1061), 2);
	ck_assert_uint_eq(dfl_fqdn_cache__count(d), 0);

	/* garbage is an error naming the file, a missing file is not */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "{\"version\":1,\"entries\":[{}]}", 28), 28);
	close(fd);
	ck_assert_int_eq(dfl_fqdn_cache__load(d, path, 0), -EINVAL);
	unlink(path);
	ck_assert_int_eq(dfl_fqdn_cache__load(d, path, 0), 0);
	dfl_fqdn_cache__free(c);
	dfl_fqdn_cache__free(d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy_dns");
	TCase *lo = tcase_create("loopback");
	TCase *pure = tcase_create("pure");

	tcase_add_checked_fixture(lo, setup, teardown);
	tcase_set_timeout(lo, 30);
	tcase_add_test(lo, allowed_name_is_answered_after_learning);
	tcase_add_test(lo, denied_name_gets_refused_with_same_id_and_question);
	tcase_add_test(lo, match_name_and_pattern);
	tcase_add_test(lo, cname_chain_ttl_and_cache);
	tcase_add_test(lo, tcp_queries);
	tcase_add_test(lo, no_rules_known_refuses);
	tcase_add_test(lo, malformed_query_gets_formerr);
	tcase_add_test(lo, deny_with_nxdomain_and_min_ttl);
	tcase_add_test(lo, dead_upstream_gives_servfail);
	tcase_add_test(pure, refusal_copies_question0_only);
	tcase_add_test(pure, cache_save_load_expire);
	suite_add_tcase(s, lo);
	suite_add_tcase(s, pure);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
