/* Decoded Kubernetes objects: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy,
 * NetworkPolicy (translated to the same rule model, as Cilium does), Pod,
 * Deployment, Service and Namespace.
 *
 * crd/ fills these from YAML or JSON after Cilium's sanitize step
 * (../shared/reference/cilium-policy.md §1 and §7), so consumers see:
 *   - selector keys with a source prefix ("any:app", "k8s:app", "reserved:host"),
 *     matchLabels turned into In requirements, requirements sorted by key;
 *   - protocols upper-cased and defaulted to ANY, named ports lower-cased;
 *   - enableDefaultDeny filled in (never "unset" after decoding);
 *   - NO namespace or cluster injection: that is policy/'s job (§2.3), because
 *     it depends on the policy kind and the agent's cluster name.
 *
 * Every struct carries the position of the YAML/JSON node it came from.
 * "present" flags keep Cilium's nil-versus-empty distinction (§2.5): a list
 * that is absent and a list that is written as [] mean different things.
 *
 * Ownership: every pointer is owned by the enclosing object and freed by the
 * object's destructor in crd/objects.h. Strings are NUL-terminated UTF-8.
 */
#ifndef DFL_CRD_CRD_T_H
#define DFL_CRD_CRD_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag-t.h"

/* ---- generic pieces ---------------------------------------------------- */

/* One key/value pair of a plain string map (labels, annotations, a
 * Service's selector). Arrays of these are sorted by key, keys unique. */
struct dfl_kv {
	char *key;
	char *value;
	struct dfl_pos pos;
};

struct dfl_kvs {
	struct dfl_kv *items;
	size_t n;
};

/* ---- label selectors (k8s LabelSelector, Cilium EndpointSelector) ------ */

enum dfl_sel_op {
	DFL_SEL_IN = 0,
	DFL_SEL_NOT_IN,
	DFL_SEL_EXISTS,
	DFL_SEL_DOES_NOT_EXIST,
};

struct dfl_sel_req {
	char *key;	/* "source:key" after sanitize, e.g. "any:app" */
	enum dfl_sel_op op;
	char **values;	/* sorted, for In / NotIn; NULL otherwise */
	size_t n_values;
	struct dfl_pos pos;
};

/* All requirements ANDed; zero requirements ({}) selects everything. */
struct dfl_selector {
	struct dfl_sel_req *reqs; /* sorted by key, then op */
	size_t n_reqs;
	struct dfl_pos pos;
};

/* A list of selectors that may be absent (present = false), present but
 * empty ([]: selects nothing), or non-empty. */
struct dfl_selector_list {
	bool present;
	struct dfl_selector *items;
	size_t n;
	struct dfl_pos pos;
};

/* ---- L3 peers ---------------------------------------------------------- */

/* An IPv4 or IPv6 prefix, host bits cleared. */
struct dfl_cidr {
	uint8_t family;	/* AF_INET or AF_INET6 */
	uint8_t prefix_len;
	uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
	struct dfl_pos pos;
};

struct dfl_cidr_list {
	bool present;
	struct dfl_cidr *items;
	size_t n;
	struct dfl_pos pos;
};

/* fromCIDRSet / toCIDRSet element: exactly one of cidr, group_ref and
 * group_selector is set (validation guarantees it). */
struct dfl_cidr_rule {
	bool has_cidr;
	struct dfl_cidr cidr;
	char *group_ref;		      /* cidrGroupRef, or NULL */
	struct dfl_selector *group_selector; /* keys prefixed "cidrgroup:" */
	struct dfl_cidr *except;
	size_t n_except;
	struct dfl_pos pos;
};

struct dfl_cidr_rule_list {
	bool present;
	struct dfl_cidr_rule *items;
	size_t n;
	struct dfl_pos pos;
};

/* Entities (§1.7), as a bit set. */
enum dfl_entity {
	DFL_ENTITY_ALL = 1u << 0,
	DFL_ENTITY_WORLD = 1u << 1,
	DFL_ENTITY_WORLD_IPV4 = 1u << 2,
	DFL_ENTITY_WORLD_IPV6 = 1u << 3,
	DFL_ENTITY_CLUSTER = 1u << 4,
	DFL_ENTITY_CLUSTER_MESH = 1u << 5,
	DFL_ENTITY_HOST = 1u << 6,
	DFL_ENTITY_INIT = 1u << 7,
	DFL_ENTITY_INGRESS = 1u << 8,
	DFL_ENTITY_UNMANAGED = 1u << 9,
	DFL_ENTITY_REMOTE_NODE = 1u << 10,
	DFL_ENTITY_HEALTH = 1u << 11,
	DFL_ENTITY_NONE = 1u << 12,
	DFL_ENTITY_KUBE_APISERVER = 1u << 13,
};

struct dfl_entity_list {
	bool present;
	uint32_t mask;		/* OR of enum dfl_entity */
	struct dfl_pos *item_pos; /* position of each listed entity, n of them */
	uint32_t *items;	/* each listed entity, in file order */
	size_t n;
	struct dfl_pos pos;
};

/* toServices element: k8sService or k8sServiceSelector. */
struct dfl_service_ref {
	char *name;		 /* k8sService.serviceName, or NULL */
	char *namespace;	 /* NULL or "" = any namespace */
	struct dfl_selector *selector; /* k8sServiceSelector.selector, or NULL */
	struct dfl_pos pos;
};

/* toFQDNs element and rules.dns element: exactly one field set. */
struct dfl_fqdn_selector {
	char *match_name;	/* as written (case and trailing dot kept) */
	char *match_pattern;	/* as written */
	struct dfl_pos pos;
};

/* ---- L4 ---------------------------------------------------------------- */

/* IP protocol numbers; ANY (0) is what an omitted protocol means. */
enum dfl_proto {
	DFL_PROTO_ANY = 0,
	DFL_PROTO_ICMP = 1,
	DFL_PROTO_IGMP = 2,
	DFL_PROTO_IPIP = 4,
	DFL_PROTO_TCP = 6,
	DFL_PROTO_UDP = 17,
	DFL_PROTO_IPV6 = 41,
	DFL_PROTO_GRE = 47,
	DFL_PROTO_ESP = 50,
	DFL_PROTO_AH = 51,
	DFL_PROTO_ICMPV6 = 58,
	DFL_PROTO_VRRP = 112,
	DFL_PROTO_SCTP = 132,
};

struct dfl_port_protocol {
	uint16_t port;	   /* 0 = all ports; meaningless when name is set */
	uint16_t end_port; /* 0 = no range */
	char *name;	   /* named port, lower-cased, or NULL */
	uint8_t proto;	   /* enum dfl_proto */
	struct dfl_pos pos;
};

enum dfl_header_mismatch {
	DFL_MISMATCH_NONE = 0, /* "": the request is denied */
	DFL_MISMATCH_LOG,
	DFL_MISMATCH_ADD,
	DFL_MISMATCH_DELETE,
	DFL_MISMATCH_REPLACE,
};

struct dfl_header_match {
	char *name;
	char *value;		/* NULL when taken from a secret */
	char *secret_namespace; /* NULL when no secret */
	char *secret_name;
	enum dfl_header_mismatch mismatch;
	struct dfl_pos pos;
};

/* One rules.http element; every set field must match (AND). Regex fields are
 * NULL when absent; they are full-match RE2-style regexes (§4.1). */
struct dfl_http_rule {
	char *method;
	char *path;
	char *host;
	char **headers; /* "Name" (presence) or "Name: value" / "Name value" */
	struct dfl_pos *header_pos;
	size_t n_headers;
	struct dfl_header_match *header_matches;
	size_t n_header_matches;
	struct dfl_pos pos;
};

struct dfl_l7_rules {
	bool present;	   /* a `rules:` key was written */
	bool http_present; /* `http:` written (possibly []) */
	struct dfl_http_rule *http;
	size_t n_http;
	bool dns_present;
	struct dfl_fqdn_selector *dns;
	size_t n_dns;
	struct dfl_pos pos;
};

struct dfl_tls_context {
	char *secret_namespace;
	char *secret_name;
	char *trusted_ca;
	char *certificate;
	char *private_key;
	struct dfl_pos pos;
};

struct dfl_listener {
	char *envoy_kind; /* CiliumEnvoyConfig | CiliumClusterwideEnvoyConfig */
	char *envoy_name;
	char *name;
	int priority; /* 0 = unset, else 1..100 */
	struct dfl_pos pos;
};

/* A toPorts element (PortRule). Deny rules only ever have ports. */
struct dfl_port_rule {
	struct dfl_port_protocol *ports;
	size_t n_ports;
	struct dfl_l7_rules rules;
	char **server_names;
	size_t n_server_names;
	struct dfl_tls_context *terminating_tls; /* NULL when absent */
	struct dfl_tls_context *originating_tls;
	struct dfl_listener *listener;
	struct dfl_pos pos;
};

struct dfl_port_rule_list {
	bool present;
	struct dfl_port_rule *items;
	size_t n;
	struct dfl_pos pos;
};

struct dfl_icmp_field {
	uint8_t family; /* 4 or 6 */
	uint8_t type;
	struct dfl_pos pos;
};

struct dfl_icmp_rule {
	struct dfl_icmp_field *fields;
	size_t n_fields;
	struct dfl_pos pos;
};

struct dfl_icmp_rule_list {
	bool present;
	struct dfl_icmp_rule *items;
	size_t n;
	struct dfl_pos pos;
};

enum dfl_auth_mode {
	DFL_AUTH_NONE = 0, /* field absent */
	DFL_AUTH_DISABLED,
	DFL_AUTH_REQUIRED,
	DFL_AUTH_TEST_ALWAYS_FAIL,
};

/* ---- rules ------------------------------------------------------------- */

enum dfl_direction {
	DFL_DIR_INGRESS = 0,
	DFL_DIR_EGRESS = 1,
};

/* One element of ingress, ingressDeny, egress or egressDeny. For ingress the
 * peer fields are the from* ones, for egress the to* ones; fields that do not
 * exist in a direction stay absent. */
struct dfl_peer_rule {
	enum dfl_direction dir;
	bool deny;
	size_t index; /* position in its list: ingress[index] */

	struct dfl_selector_list endpoints; /* fromEndpoints / toEndpoints */
	struct dfl_cidr_list cidr;	    /* fromCIDR / toCIDR */
	struct dfl_cidr_rule_list cidr_set; /* fromCIDRSet / toCIDRSet */
	struct dfl_entity_list entities;    /* fromEntities / toEntities */
	struct dfl_selector_list nodes;	    /* fromNodes / toNodes */
	bool groups_present;		    /* fromGroups / toGroups (unsupported) */
	struct dfl_service_ref *services;   /* toServices (egress only) */
	size_t n_services;
	bool services_present;
	struct dfl_fqdn_selector *fqdns;    /* toFQDNs (egress allow only) */
	size_t n_fqdns;
	bool fqdns_present;

	struct dfl_port_rule_list to_ports;
	struct dfl_icmp_rule_list icmps;
	enum dfl_auth_mode auth;
	struct dfl_pos pos;
};

/* One Cilium Rule: `spec`, or one element of `specs`. */
struct dfl_rule {
	size_t index;	/* 0 for spec; specs[i] is i + (has spec ? 1 : 0) */
	const char *field; /* "spec" or "specs[2]", for messages */
	struct dfl_selector *endpoint_selector; /* NULL when absent */
	struct dfl_selector *node_selector;	/* NULL when absent */

	struct dfl_peer_rule *ingress;
	size_t n_ingress;
	struct dfl_peer_rule *ingress_deny;
	size_t n_ingress_deny;
	struct dfl_peer_rule *egress;
	size_t n_egress;
	struct dfl_peer_rule *egress_deny;
	size_t n_egress_deny;

	/* enableDefaultDeny after sanitize: explicit value, or true iff the rule
	 * has entries (allow or deny) in that direction. */
	bool default_deny_ingress;
	bool default_deny_egress;
	bool default_deny_ingress_explicit; /* written by the user */
	bool default_deny_egress_explicit;

	struct dfl_kvs labels; /* rule `labels` as "source:key" -> value */
	char *description;
	char *log_value;
	struct dfl_pos pos;
};

/* ---- objects ----------------------------------------------------------- */

enum dfl_kind {
	DFL_KIND_CNP = 0,  /* cilium.io/v2 CiliumNetworkPolicy */
	DFL_KIND_CCNP,	   /* cilium.io/v2 CiliumClusterwideNetworkPolicy */
	DFL_KIND_KNP,	   /* networking.k8s.io/v1 NetworkPolicy */
	DFL_KIND_POD,	   /* v1 Pod */
	DFL_KIND_DEPLOYMENT, /* apps/v1 Deployment */
	DFL_KIND_SERVICE,  /* v1 Service */
	DFL_KIND_NAMESPACE, /* v1 Namespace */
	DFL_KIND__COUNT,
};

/* What every object has. */
struct dfl_meta {
	enum dfl_kind kind;
	char *name;
	char *namespace; /* NULL for cluster-scoped kinds */
	char *uid;	 /* NULL when absent */
	char *resource_version; /* NULL when absent */
	uint64_t generation;
	char *creation_timestamp; /* RFC 3339, or NULL */
	struct dfl_kvs labels;
	struct dfl_kvs annotations;
	struct dfl_pos pos; /* the object's first line */
	/* Hash of the object's content without status and server-set
	 * metadata: equal digests mean `kubectl apply` would say
	 * "unchanged". */
	uint64_t content_digest;
};

/* CNP, CCNP or NetworkPolicy. A NetworkPolicy is translated to one rule with
 * Cilium's semantics (pkg/k8s/network_policy.go); its selectors already carry
 * the namespace requirements Cilium adds for KNPs. */
struct dfl_policy {
	struct dfl_meta meta;
	struct dfl_rule *rules; /* spec first, then specs[] */
	size_t n_rules;
};

struct dfl_container_port {
	char *name; /* lower-cased, or NULL */
	uint16_t port;
	uint8_t proto; /* TCP when omitted */
	struct dfl_pos pos;
};

/* A Pod, or the pod template of a Deployment. */
struct dfl_pod_spec {
	struct dfl_kvs labels;
	char *service_account; /* "default" when omitted, as Kubernetes does */
	char *node_name;       /* NULL when unscheduled */
	struct dfl_container_port *ports;
	size_t n_ports;
	/* The first container's image and command, used by the local-node
	 * agent to decide what runs in the pod (see docs/). May be NULL. */
	char *image;
	char **command;
	size_t n_command;
};

struct dfl_pod {
	struct dfl_meta meta;
	struct dfl_pod_spec spec;
	char *pod_ip;  /* status.podIP, or NULL */
	char *host_ip; /* status.hostIP, or NULL */
	char *phase;   /* status.phase, or NULL */
	/* Owner workload (Deployment name and kind) when known. */
	char *workload_name;
	char *workload_kind;
};

struct dfl_deployment {
	struct dfl_meta meta;
	uint32_t replicas;	       /* 1 when omitted */
	struct dfl_selector *selector; /* spec.selector (k8s form, no sources) */
	struct dfl_pod_spec template_spec; /* labels = template labels */
};

struct dfl_service_port {
	char *name;
	uint16_t port;
	uint8_t proto;		/* TCP when omitted */
	uint16_t target_port;	/* 0 when target_port_name is set */
	char *target_port_name; /* named target port, or NULL */
	struct dfl_pos pos;
};

struct dfl_service {
	struct dfl_meta meta;
	char *type;	     /* ClusterIP when omitted */
	char *cluster_ip;    /* NULL, "None" or an address */
	struct dfl_kvs selector; /* plain map; empty = no selector */
	bool has_selector;
	struct dfl_service_port *ports;
	size_t n_ports;
};

struct dfl_namespace {
	struct dfl_meta meta;
};

#endif
