/* Types shared by the proxy and its users (agent, flow builder, tests).
 *
 * The proxy reports each L7 request and response as a struct dfl_l7_event
 * through a callback; the flow builder turns it into a Hubble flow
 * (hubble-flows.md §1.2, §1.4 (b)-(d)). It learns what it enforces from a
 * resolver callback, called for every HTTP request and every DNS query, so
 * that policy changes apply to open keep-alive connections at once. */
#ifndef DFL_PROXY_PROXY_T_H
#define DFL_PROXY_PROXY_T_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bpf/include/dfl_drop_reasons.h"
#include "crd/crd-t.h"

struct dfl_http_matcher;
struct dfl_dns_matcher;
struct dfl_http_header_view;

/* An IPv4 or IPv6 socket address. */
struct dfl_sockaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	};
};

/* Hubble's Verdict numbers (flow.proto). */
enum dfl_l7_verdict {
	DFL_L7_FORWARDED = 1,
	DFL_L7_DROPPED = 2,
	DFL_L7_ERROR = 3,
};

/* Cilium's proxy marks (pkg/datapath/linux/linux_defaults/mark.go): bits
 * 8-11 say which proxy sent the packet, the source identity sits in bits
 * 16-31 (low 16 bits) and 0-7 (bits 16-23). The datapath must neither
 * redirect packets carrying these again nor route them with the to-proxy
 * rule (mark 0x200/0xf00). */
#define DFL_PROXY_MARK_INGRESS 0x0A00u
#define DFL_PROXY_MARK_EGRESS  0x0B00u
#define DFL_PROXY_MARK_MASK    0x0F00u

/* What the proxy knows about a redirected connection or datagram. */
struct dfl_proxy_conn_info {
	struct dfl_sockaddr client;   /* the peer: the pod or remote client */
	struct dfl_sockaddr orig_dst; /* where the client was going */
	uint8_t ip_proto;	      /* IPPROTO_TCP or IPPROTO_UDP */
	enum dfl_l7_proto l7;
	uint16_t listener_port; /* the proxy port it arrived on */
};

/* The resolver's answer. The proxy pre-fills upstream = orig_dst, bind =
 * client address with port 0 (unless source spoofing is off) and mark = 0
 * (meaning: the Cilium mark for <direction> and <src_identity>). */
struct dfl_proxy_policy {
	/* false: no rules are known for this traffic: the proxy denies it
	 * (403 / REFUSED) and reports why. Never fails open. */
	bool known;
	/* The rules; NULL with known = true means "no L7 rules": everything
	 * allowed (visibility only). Borrowed until release() returns. */
	const struct dfl_http_matcher *http;
	const struct dfl_dns_matcher *dns;

	uint32_t src_identity;
	uint32_t dst_identity;
	uint32_t endpoint_id; /* the local endpoint the policy belongs to */
	enum dfl_direction direction;
	/* A connection between two endpoints that both have HTTP rules for it
	 * (Cilium passes it through its proxy twice: the source's egress
	 * rules, then the destination's ingress rules): the second set, which
	 * every request must pass as well; a request it denies is reported
	 * for also_endpoint_id and also_direction. NULL otherwise. */
	const struct dfl_http_matcher *http_also;
	uint32_t also_endpoint_id;
	enum dfl_direction also_direction;
	/* Opaque to the proxy; copied into every event (e.g. to name the
	 * policies behind rule indexes). */
	uint64_t cookie;

	struct dfl_sockaddr upstream; /* where to forward */
	struct dfl_sockaddr bind;     /* upstream source; AF_UNSPEC: kernel's */
	uint32_t mark;		      /* SO_MARK of upstream sockets */

	/* Called once the proxy is done with http/dns (before the event
	 * loop runs again); may be NULL. */
	void (*release)(void *ctx, struct dfl_proxy_policy *p);
	void *release_ctx;
};

/* Fills <out> for <ci>. Return 0, or a negative errno: the request is then
 * denied as if known were false. */
typedef int (*dfl_proxy_resolve_fn)(void *ctx,
				    const struct dfl_proxy_conn_info *ci,
				    struct dfl_proxy_policy *out);

/* An IP address (DNS answers, learned names). */
struct dfl_ip {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

#define DFL_DNS_MAX_IPS	   64
#define DFL_DNS_MAX_CNAMES 16
#define DFL_DNS_MAX_TYPES  8

struct dfl_l7_http {
	const char *method;
	const char *url;      /* "http://host/path?query", as Hubble prints */
	const char *protocol; /* "HTTP/1.1" */
	uint16_t code;	      /* responses only */
	/* Request headers as received (requests only). */
	const struct dfl_http_header_view *headers;
	size_t n_headers;
};

struct dfl_l7_dns {
	const char *query;	   /* lower-case, dot-terminated */
	const char *const *qtypes; /* "A", "AAAA", ... */
	size_t n_qtypes;
	/* responses only: */
	uint8_t rcode;
	const struct dfl_ip *ips;
	size_t n_ips;
	uint32_t ttl;
	const char *const *cnames;
	size_t n_cnames;
	const char *const *rrtypes;
	size_t n_rrtypes;
};

/* One L7 request or response. Everything is borrowed for the duration of
 * the callback. <client>/<server> name the connection as the client opened
 * it, whatever the event's type: a flow builder swaps them for responses,
 * as Hubble does. */
struct dfl_l7_event {
	enum dfl_l7_type type;
	enum dfl_l7_proto proto;
	enum dfl_l7_verdict verdict;
	enum dfl_direction direction;
	uint64_t time_ns;    /* CLOCK_REALTIME */
	uint64_t latency_ns; /* responses: since the request was decided */
	struct dfl_sockaddr client;
	struct dfl_sockaddr server; /* the original destination */
	uint8_t ip_proto;
	uint32_t src_identity; /* the client's */
	uint32_t dst_identity;
	uint32_t endpoint_id;
	uint64_t cookie;
	/* Index of the L7 rule that allowed the request (HTTP rule or DNS
	 * selector, in the list the matcher was built from), or -1: denied, or
	 * allowed without rules. */
	int rule;
	/* Why the request was dropped or failed ("no L7 rule matched", "no
	 * policy for this connection", "malformed request: ..."), or NULL. */
	const char *reason;
	union {
		struct dfl_l7_http http;
		struct dfl_l7_dns dns;
	};
};

typedef void (*dfl_proxy_event_fn)(void *ctx, const struct dfl_l7_event *ev);

/* A DNS answer for an allowed name, reported before the answer is released
 * to the client so that the agent can map the IPs to toFQDNs identities
 * first (reference §5.3). */
struct dfl_dns_learned {
	const char *name; /* the query, lower-case, dot-terminated */
	const struct dfl_ip *ips;
	size_t n_ips;
	/* Lowest TTL of the answer's A, AAAA and CNAME records, raised to the
	 * configured minimum. */
	uint32_t ttl;
	const char *const *cnames;
	size_t n_cnames;
	uint32_t endpoint_id;
	uint32_t src_identity;
	uint64_t cookie;
	int selector; /* the DNS selector that allowed the query, or -1 */
};

/* Returns 0, or a negative errno (logged; the answer is still released: an
 * IP the datapath does not know is denied there). */
typedef int (*dfl_proxy_dns_fn)(void *ctx, const struct dfl_dns_learned *l);

struct dfl_fqdn_cache;

/* Proxy configuration; zero fields take the defaults in brackets. */
struct dfl_proxy_opts {
	dfl_proxy_resolve_fn resolve; /* required */
	void *resolve_ctx;
	dfl_proxy_event_fn on_event; /* may be NULL */
	void *event_ctx;
	dfl_proxy_dns_fn on_dns; /* may be NULL */
	void *dns_ctx;
	/* Learned names are also recorded here when set (borrowed). */
	struct dfl_fqdn_cache *fqdn_cache;

	size_t max_header_bytes;  /* request head limit [61440]: 431 */
	size_t max_headers;	  /* header count limit [100]: 431 */
	uint32_t idle_timeout_ms; /* idle client connections [60000] */
	uint32_t head_timeout_ms; /* a request head must arrive [10000]: 408 */
	uint32_t connect_timeout_ms;  /* upstream connect [5000]: 503 */
	uint32_t response_timeout_ms; /* upstream response [0 = none]: 504 */
	uint32_t dns_timeout_ms;      /* upstream DNS answer [5000]: SERVFAIL */
	uint32_t dns_min_ttl;	      /* seconds, tofqdns-min-ttl [0] */
	bool dns_deny_nxdomain;	      /* deny with NXDOMAIN, not REFUSED */
	const char *http_403_body;    /* ["Access denied"]; "\r\n" appended */
	uint32_t mark_ingress;	      /* [DFL_PROXY_MARK_INGRESS] */
	uint32_t mark_egress;	      /* [DFL_PROXY_MARK_EGRESS] */
	/* For tests without CAP_NET_ADMIN: plain listeners, upstream from the
	 * host's own address, no SO_MARK. */
	bool no_transparent;
	bool no_spoof_source;
	bool no_mark;
};

/* Counters, for status and tests. */
struct dfl_proxy_stats {
	uint64_t conns_accepted;
	uint64_t conns_open;
	uint64_t http_requests;
	uint64_t http_denied;
	uint64_t http_errors; /* 400, 408, 431, 503, 504 sent */
	uint64_t dns_queries;
	uint64_t dns_denied;
	uint64_t dns_errors;
};

#endif
