/* What the policy compiler produces and the knobs it takes. Shared with
 * bpf/ (map sync), proxy/ (L7 rule sets), flow/ (attribution), agent/ and
 * cli/. Reference: cilium-policy.md §3, §8. */
#ifndef DFL_POLICY_POLICY_T_H
#define DFL_POLICY_POLICY_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/include/dfl_drop_reasons.h"
#include "crd/crd-t.h"
#include "util/diag-t.h"

enum dfl_enforcement {
	DFL_ENFORCE_DEFAULT = 0, /* a direction is enforced once selected */
	DFL_ENFORCE_ALWAYS,	 /* every endpoint is default deny */
	DFL_ENFORCE_NEVER,	 /* nothing is enforced */
};

struct dfl_policy_config {
	const char *cluster;   /* local cluster name; NULL = "default";
				* "" = no cluster filter in peer selectors */
	const char *cilium_ns; /* namespace of well-known components */
	enum dfl_enforcement enforcement;
	bool no_allow_localhost; /* true: host->pod ingress not implied */
	uint16_t http_proxy_port; /* 0 = 15001 */
	uint16_t dns_proxy_port;  /* 0 = 15053 */
	size_t map_max;		  /* 0 = 16384 (bpf-policy-map-max) */
};

#define DFL_DEFAULT_CLUSTER "default"
#define DFL_DEFAULT_HTTP_PROXY_PORT 15001
#define DFL_DEFAULT_DNS_PROXY_PORT 15053
#define DFL_DEFAULT_MAP_MAX 16384

/* Precedence of map entries (§8.3, priority 0): higher wins in the
 * datapath. Synthetic rules (allow-localhost, allow-all when a direction is
 * not in default deny or not enforced) sit in the lowest tier. */
#define DFL_PREC_DENY 0xffffffffu	   /* MAX_PRECEDENCE */
#define DFL_PREC_REDIRECT_HTTP 0xffffff9au /* listener priority 101 */
#define DFL_PREC_REDIRECT_DNS 0xffffff86u  /* listener priority 121 */
#define DFL_PREC_ALLOW 0xffffff01u
#define DFL_PREC_SYNTHETIC 0x00000001u

/* One policy-map entry, host order. The BPF key is
 * {prefixlen = 40 + (proto ? 8 : 0) + port_prefix_len, identity, egress,
 *  proto, htons(port)}; port_prefix_len is 0 when proto is 0 or port 0. */
struct dfl_map_entry {
	uint32_t identity; /* 0 = any identity */
	uint32_t precedence;
	uint32_t cookie; /* attribution: dfl_origins__get() */
	uint16_t port;	 /* masked port, or ICMP type */
	uint16_t proxy_port;
	uint8_t egress;
	uint8_t proto; /* 0 = any protocol */
	uint8_t port_prefix_len; /* 0..16 */
	uint8_t deny;
	uint8_t auth_type; /* enum dfl_auth_type */
	uint8_t explicit_auth;
	uint8_t pad[2];
};

/* Where a map entry came from. Cookies are stable for the same (kind,
 * namespace, name, uid, rule, field) for the life of the process. */
enum dfl_origin_kind {
	DFL_ORIGIN_POLICY = 0,	/* a rule of a CNP/CCNP/KNP */
	DFL_ORIGIN_SYNTHETIC,	/* allow-localhost-ingress, ... */
};

struct dfl_origin {
	uint32_t cookie;
	enum dfl_origin_kind origin;
	enum dfl_kind kind; /* policy kind */
	char *namespace;    /* NULL for CCNP and synthetic */
	char *name;	    /* policy name or synthetic rule name */
	char *uid;	    /* may be NULL */
	size_t rule_index;  /* spec = 0, specs[i] = i + has_spec */
	char *rule_field;   /* "spec", "specs[1]" */
	char *field;	    /* "ingress[0]", "egressDeny[1]"; NULL for synthetic */
	struct dfl_pos pos; /* the rule element's position */
	enum dfl_direction dir;
	bool deny;
};

/* Synthetic origins, one cookie each. */
#define DFL_SYNTH_ALLOW_LOCALHOST "allow-localhost-ingress"
#define DFL_SYNTH_ALLOW_ANY_INGRESS "allow-any-ingress"
#define DFL_SYNTH_ALLOW_ANY_EGRESS "allow-any-egress"
#define DFL_SYNTH_NOT_ENFORCED_INGRESS "no-policy-ingress"
#define DFL_SYNTH_NOT_ENFORCED_EGRESS "no-policy-egress"

struct dfl_dir_policy {
	bool enforced;	   /* some rule selects the endpoint, or always */
	bool default_deny; /* traffic no entry allows is dropped (133) */
	/* The rules (cookies, one per policy rule) that put this direction
	 * into default deny; empty with enforcement=always. */
	uint32_t *dd_cookies;
	size_t n_dd;
};

enum dfl_l7_parser {
	DFL_L7_PARSER_NONE = 0,
	DFL_L7_PARSER_HTTP,
	DFL_L7_PARSER_DNS,
};

/* One L7 rule and the rule element that contributed it. */
struct dfl_l7_rule_ref {
	const struct dfl_http_rule *http; /* exactly one of http, dns */
	const struct dfl_fqdn_selector *dns;
	uint32_t cookie;
};

struct dfl_cached_sel; /* policy/selcache.h */

/* The allow policy of one (direction, protocol, port range, peer selector)
 * of an endpoint, as the proxy needs it (§3.4): parser NONE is a plain
 * allow, which makes L7 a wildcard for the peers it selects. */
struct dfl_l7_filter {
	uint8_t egress;
	uint8_t proto;	   /* 0 = any */
	uint16_t port;	   /* 0 = any */
	uint16_t end_port; /* inclusive; == port for one port */
	const struct dfl_cached_sel *peer; /* NULL = any identity */
	enum dfl_l7_parser parser;
	bool wildcard; /* a plain allow merged in: everything is allowed */
	struct dfl_l7_rule_ref *rules;
	size_t n_rules;
	uint32_t cookie;
};

/* The resolved policy of one endpoint. Owned by the compiler; valid until
 * the next call that changes the compiler's inputs. */
struct dfl_ep_policy {
	char *name; /* "namespace/pod" */
	uint32_t identity;
	struct dfl_map_entry *entries; /* sorted: egress, identity, proto,
					* port, prefix length */
	size_t n_entries;
	struct dfl_dir_policy dir[2]; /* by enum dfl_direction */
	struct dfl_l7_filter *l7;
	size_t n_l7;
	bool over_limit; /* n_entries > map_max */
	char *error; /* resolution failed (merge error): entries are those of
		      * the last good resolution, or none */
	uint64_t revision;
};

/* Changes of one endpoint's entries between two resolutions. */
enum dfl_change_kind { DFL_CHANGE_ADD, DFL_CHANGE_REMOVE, DFL_CHANGE_UPDATE };

struct dfl_entry_change {
	enum dfl_change_kind kind;
	struct dfl_map_entry entry; /* new value (old one for REMOVE) */
	struct dfl_map_entry old;   /* for UPDATE */
};

struct dfl_ep_diff {
	char *endpoint; /* "namespace/pod" */
	uint32_t identity;
	bool created; /* first resolution */
	bool deleted; /* endpoint removed: every entry is a REMOVE */
	struct dfl_entry_change *changes;
	size_t n_changes;
	bool dir_changed; /* enforcement or default-deny flipped */
};

struct dfl_diffs {
	struct dfl_ep_diff *items;
	size_t n;
	size_t cap;
};

#endif
