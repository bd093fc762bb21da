/* The flow record: one decision of the datapath or the proxy, shaped as
 * Hubble's flow.Flow (api/v1/flow/flow.proto) so that it encodes to the same
 * JSON (flow/json.h) and prints as `hubble observe` does (flow/printer.h).
 * Only the fields a policy engine fills are modelled; docs/flows.md lists them.
 *
 * Ownership. Every pointer in these structs is borrowed: a producer (the
 * integrator's event converter, the proxy, a test) fills a struct dfl_flow on
 * its stack with pointers into its own buffers and hands it to a consumer
 * (ring, exporter, metrics), which copies what it keeps with dfl_flow__dup().
 * A duplicated flow is one malloc'd block holding the struct, its arrays and
 * its strings; free() or dfl_flow__free() releases everything at once.
 *
 * Absence. Zero means "absent" and is omitted from JSON, as in protojson: a
 * NULL or "" string, a 0 number, an empty list, an enum's 0 value. The few
 * fields whose zero is meaningful carry an explicit flag (is_reply, ethernet,
 * the IP version).
 */
#ifndef DFL_FLOW_FLOW_T_H
#define DFL_FLOW_FLOW_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/include/dfl_drop_reasons.h"

/* Monitor message types (event_type.type), Cilium's numbers. */
enum dfl_event_type {
	DFL_EVENT_UNKNOWN = 0,
	DFL_EVENT_DROP = 1,
	DFL_EVENT_DEBUG = 2,
	DFL_EVENT_CAPTURE = 3,
	DFL_EVENT_TRACE = 4,
	DFL_EVENT_POLICY_VERDICT = 5,
	DFL_EVENT_RECORD_CAPTURE = 6,
	DFL_EVENT_TRACE_SOCK = 7,
	DFL_EVENT_L7 = 129, /* proxy access log */
	DFL_EVENT_AGENT = 130,
};

/* enum dfl_verdict is bpf/include/dfl_drop_reasons.h (flow.proto Verdict). */
#define DFL_VERDICT_MAX 7

enum dfl_flow_type {
	DFL_FLOW_TYPE_UNKNOWN = 0,
	DFL_FLOW_TYPE_L3_L4 = 1,
	DFL_FLOW_TYPE_L7 = 2,
	DFL_FLOW_TYPE_SOCK = 3,
};

/* enum dfl_traffic_direction (DFL_TRAFFIC_*) is in
 * bpf/include/dfl_drop_reasons.h. */

/* flow.proto TraceObservationPoint (note TO_ENDPOINT = 101). The datapath's
 * trace sub_type numbering differs (0 is to-endpoint): see
 * dfl_trace_point__from_sub_type(). */
enum dfl_trace_point {
	DFL_TRACE_UNKNOWN_POINT = 0,
	DFL_TRACE_TO_PROXY = 1,
	DFL_TRACE_TO_HOST = 2,
	DFL_TRACE_TO_STACK = 3,
	DFL_TRACE_TO_OVERLAY = 4,
	DFL_TRACE_FROM_ENDPOINT = 5,
	DFL_TRACE_FROM_PROXY = 6,
	DFL_TRACE_FROM_HOST = 7,
	DFL_TRACE_FROM_STACK = 8,
	DFL_TRACE_FROM_OVERLAY = 9,
	DFL_TRACE_FROM_NETWORK = 10,
	DFL_TRACE_TO_NETWORK = 11,
	DFL_TRACE_FROM_CRYPTO = 12,
	DFL_TRACE_TO_CRYPTO = 13,
	DFL_TRACE_TO_ENDPOINT = 101,
};

enum dfl_trace_reason {
	DFL_TRACE_REASON_UNKNOWN = 0,
	DFL_TRACE_REASON_NEW = 1,
	DFL_TRACE_REASON_ESTABLISHED = 2,
	DFL_TRACE_REASON_REPLY = 3,
	DFL_TRACE_REASON_RELATED = 4,
	DFL_TRACE_REASON_REOPENED = 5,
	DFL_TRACE_REASON_SRV6_ENCAP = 6,
	DFL_TRACE_REASON_SRV6_DECAP = 7,
	DFL_TRACE_REASON_ENCRYPT_OVERLAY = 8,
};

/* is_reply is a google.protobuf.BoolValue: absent is not false. */
enum dfl_reply {
	DFL_REPLY_UNKNOWN = 0, /* prints "<>" */
	DFL_REPLY_NO = 1,      /* prints "->" */
	DFL_REPLY_YES = 2,     /* prints "<-", endpoints swapped */
};

enum dfl_l4_proto {
	DFL_L4_NONE = 0,
	DFL_L4_TCP,
	DFL_L4_UDP,
	DFL_L4_ICMPV4,
	DFL_L4_ICMPV6,
	DFL_L4_SCTP,
};

/* TCP flags, with the bit values of the TCP header (NS is bit 8). */
enum dfl_tcp_flag {
	DFL_TCP_FIN = 0x001,
	DFL_TCP_SYN = 0x002,
	DFL_TCP_RST = 0x004,
	DFL_TCP_PSH = 0x008,
	DFL_TCP_ACK = 0x010,
	DFL_TCP_URG = 0x020,
	DFL_TCP_ECE = 0x040,
	DFL_TCP_CWR = 0x080,
	DFL_TCP_NS = 0x100,
};

enum dfl_lost_source {
	DFL_LOST_UNKNOWN = 0,
	DFL_LOST_PERF_EVENT_RING_BUFFER = 1,
	/* our exporter's queue overflowed (the writer fell behind) */
	DFL_LOST_OBSERVER_EVENTS_QUEUE = 2,
	/* a ring follower was overtaken by the producer */
	DFL_LOST_HUBBLE_RING_BUFFER = 3,
};

struct dfl_flow_workload {
	const char *name; /* "deathstar" */
	const char *kind; /* "Deployment" */
};

struct dfl_flow_endpoint {
	uint32_t id;	   /* local endpoint ID, 0 when not on this node */
	uint32_t identity; /* security identity; 0 prints "(unknown)" */
	const char *cluster_name;
	const char *namespace;
	const char *pod_name;
	const char **labels; /* "source:key=value", sorted */
	size_t n_labels;
	const struct dfl_flow_workload *workloads;
	size_t n_workloads;
};

struct dfl_flow_service {
	const char *name;
	const char *namespace;
};

/* One entry of the *_allowed_by / *_denied_by lists (flow.proto Policy).
 * default_deny and rule are deflector's attribution; they travel in JSON as
 * extra "deflector:" labels so that Hubble still parses the record (see
 * docs/flows.md, "Attribution of default-deny drops"). */
struct dfl_flow_policy {
	const char *name;
	const char *namespace; /* NULL for cluster-wide policies */
	const char *kind;      /* "CiliumNetworkPolicy", ... */
	const char **labels;   /* derived-from labels "k8s:io.cilium.k8s.policy.name=x" */
	size_t n_labels;
	uint64_t revision;
	/* This policy selects the endpoint in the flow's direction, which put
	 * the endpoint into default deny; none of its rules matched the flow.
	 * Only on DROPPED/AUDIT records with drop reason 133. */
	bool default_deny;
	/* The rule of the policy that matched, e.g. "ingress[0]" or
	 * "egressDeny[1]", or NULL when unknown or default_deny. */
	const char *rule;
};

struct dfl_flow_policies {
	const struct dfl_flow_policy *items;
	size_t n;
};

struct dfl_flow_http_header {
	const char *key;
	const char *value;
};

struct dfl_flow_http {
	uint32_t code; /* responses only */
	const char *method;
	const char *url;      /* full URL "http://host/path?query" */
	const char *protocol; /* "HTTP/1.1" */
	/* sorted by key; non-const so that redaction can swap values */
	struct dfl_flow_http_header *headers;
	size_t n_headers;
};

struct dfl_flow_dns {
	const char *query; /* FQDN with trailing dot */
	const char **ips;
	size_t n_ips;
	uint32_t ttl;
	const char **cnames;
	size_t n_cnames;
	const char *observation_source; /* "proxy" */
	uint32_t rcode;
	const char **qtypes; /* "A", "AAAA", ... */
	size_t n_qtypes;
	const char **rrtypes;
	size_t n_rrtypes;
};

/* Present when type != DFL_L7_UNKNOWN or proto != DFL_L7_PROTO_NONE. */
struct dfl_flow_l7 {
	enum dfl_l7_type type;
	uint64_t latency_ns;
	enum dfl_l7_proto proto; /* which of http/dns is set */
	struct dfl_flow_http http;
	struct dfl_flow_dns dns;
};

struct dfl_flow_l4 {
	enum dfl_l4_proto proto;
	uint16_t source_port; /* TCP, UDP, SCTP */
	uint16_t destination_port;
	uint16_t tcp_flags; /* OR of enum dfl_tcp_flag */
	uint8_t icmp_type;  /* ICMPv4, ICMPv6 */
	uint8_t icmp_code;
};

struct dfl_flow_ip {
	uint8_t version; /* 0 (no IP layer), 4 or 6 */
	bool encrypted;
	bool has_source_xlated;
	uint8_t source[16]; /* network order; IPv4 in the first 4 bytes */
	uint8_t destination[16];
	uint8_t source_xlated[16];
};

struct dfl_flow {
	int64_t time_ns; /* ns since the epoch, UTC; 0 = absent */
	char uuid[37];	 /* "" or a UUID */
	enum dfl_verdict verdict;
	/* Drop code (enum dfl_drop_reason, or below 130 for non-drop codes);
	 * encoded as both drop_reason and drop_reason_desc. */
	uint32_t drop_reason;
	enum dfl_auth_type auth_type;
	bool has_ethernet;
	uint8_t ethernet_source[6];
	uint8_t ethernet_destination[6];
	struct dfl_flow_ip ip;
	struct dfl_flow_l4 l4;
	struct dfl_flow_endpoint source;
	struct dfl_flow_endpoint destination;
	enum dfl_flow_type type;
	const char *node_name; /* "<cluster>/<node>" or "<node>" */
	const char **source_names; /* FQDNs of the source IP, no trailing dot */
	size_t n_source_names;
	const char **destination_names;
	size_t n_destination_names;
	struct dfl_flow_l7 l7;
	int32_t event_type; /* enum dfl_event_type; 0 = absent */
	int32_t event_sub_type;
	struct dfl_flow_service source_service;
	struct dfl_flow_service destination_service;
	enum dfl_traffic_direction traffic_direction;
	uint32_t policy_match_type; /* enum dfl_policy_match */
	uint32_t trace_observation_point; /* enum dfl_trace_point */
	uint32_t trace_reason;		  /* enum dfl_trace_reason */
	const char *file_name;		  /* datapath source of a drop */
	uint32_t file_line;
	enum dfl_reply is_reply;
	uint32_t interface_index;
	const char *interface_name;
	uint32_t proxy_port;
	const char *trace_id; /* trace_context.parent.trace_id */
	/* Hubble's Summary column. NULL: computed from the fields by
	 * dfl_flow__summary() whenever the record is encoded or printed. */
	const char *summary;
	struct dfl_flow_policies egress_allowed_by;
	struct dfl_flow_policies ingress_allowed_by;
	struct dfl_flow_policies egress_denied_by;
	struct dfl_flow_policies ingress_denied_by;
};

/* A "lost_events" record: the number of records a consumer did not get. */
struct dfl_lost_events {
	enum dfl_lost_source source;
	uint64_t num_events_lost;
	bool has_cpu;
	int32_t cpu;
};

/* One line of an export file or of `observe -o json`: a flow, a lost-events
 * notice, or something else Hubble may write (agent or debug events), which
 * readers skip. */
enum dfl_record_kind {
	DFL_RECORD_NONE = 0,
	DFL_RECORD_FLOW,
	DFL_RECORD_LOST,
	DFL_RECORD_OTHER,
};

struct dfl_flow_record {
	enum dfl_record_kind kind;
	struct dfl_flow *flow; /* owned (dfl_flow__dup layout), FLOW only */
	struct dfl_lost_events lost;
	int64_t time_ns; /* the envelope's "time"; 0 = absent */
	char *node_name; /* the envelope's "node_name", owned, or NULL */
};

#endif
