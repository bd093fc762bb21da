/* Drop reasons, verdicts and the other numbers every component shares:
 * one table, Cilium's and Hubble's numbers and names.
 *
 * Used verbatim by the BPF datapath (bpf/datapath.bpf.c) and by everything
 * that reports a drop: util/drop_reason.c names the reasons from this
 * table, and the proxy (proxy/), flow records and metrics (flow/) include
 * it rather than keeping a copy, so a Hubble flow's
 * drop_reason / drop_reason_desc and the cilium_drop_count_total{reason=...}
 * label always agree with what the kernel counted.
 *
 * Numbers: Cilium bpf/lib/common.h DROP_* (BPF returns them negated),
 * strings: pkg/monitor/api/drop.go, names: api/v1/flow/flow.proto DropReason.
 * The datapath returns -DFL_DROP_x internally; a reason always fits a u8.
 * 0 is not a drop: it is the "forwarded" row of the counters map.
 */
#ifndef DFL_DROP_REASONS_H
#define DFL_DROP_REASONS_H

/* X(symbol, number, flow.proto name, Cilium's description) */
#define DFL_DROP_REASON_TABLE(X)                                               \
	X(INVALID_SIP, 132, "INVALID_SOURCE_IP", "Invalid source ip")          \
	X(POLICY, 133, "POLICY_DENIED", "Policy denied")                        \
	X(INVALID, 134, "INVALID_PACKET_DROPPED", "Invalid packet")            \
	X(CT_INVALID_HDR, 135, "CT_TRUNCATED_OR_INVALID_HEADER",               \
	  "CT: Truncated or invalid header")                                   \
	X(UNKNOWN_L3, 139, "UNSUPPORTED_L3_PROTOCOL", "Unsupported L3 protocol") \
	X(WRITE_ERROR, 141, "ERROR_WRITING_TO_PACKET",                         \
	  "Error writing to packet")                                           \
	X(CSUM_L3, 153, "ERROR_WHILE_CORRECTING_L3_CHECKSUM",                  \
	  "Error while correcting L3 checksum")                                \
	X(CSUM_L4, 154, "ERROR_WHILE_CORRECTING_L4_CHECKSUM",                  \
	  "Error while correcting L4 checksum")                                \
	X(CT_CREATE_FAILED, 155, "CT_MAP_INSERTION_FAILED",                    \
	  "CT: Map insertion failed")                                          \
	X(INVALID_EXTHDR, 156, "INVALID_IPV6_EXTENSION_HEADER",                \
	  "Invalid IPv6 extension header")                                     \
	X(FRAG_NOSUPPORT, 157, "IP_FRAGMENTATION_NOT_SUPPORTED",               \
	  "IP fragmentation not supported")                                    \
	X(NO_SERVICE, 158, "SERVICE_BACKEND_NOT_FOUND",                        \
	  "Service backend not found")                                         \
	X(UNKNOWN_CT, 163, "UNKNOWN_CONNECTION_TRACKING_STATE",                \
	  "Unknown connection tracking state")                                 \
	X(PROXY_LOOKUP_FAILED, 178, "SOCKET_LOOKUP_FAILED",                    \
	  "Socket lookup failed")                                              \
	X(PROXY_SET_FAILED, 179, "SOCKET_ASSIGN_FAILED",                       \
	  "Socket assign failed")                                              \
	X(PROXY_UNKNOWN_PROTO, 180,                                            \
	  "PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL",                      \
	  "Proxy redirection not supported for protocol")                      \
	X(POLICY_DENY, 181, "POLICY_DENY", "Policy denied by denylist")        \
	X(POLICY_AUTH_REQUIRED, 189, "AUTH_REQUIRED", "Authentication required") \
	X(EP_NOT_READY, 203, "DROP_EP_NOT_READY",                              \
	  "Endpoint policy program not available")

#define DFL_DROP_ENUM_ENTRY(sym, num, name, desc) DFL_DROP_##sym = num,
enum dfl_drop_reason {
	DFL_DROP_NONE = 0,
	DFL_DROP_REASON_TABLE(DFL_DROP_ENUM_ENTRY)
};
#undef DFL_DROP_ENUM_ENTRY

/* Hubble verdicts (flow.proto Verdict), carried in events. */
enum dfl_verdict {
	DFL_VERDICT_UNKNOWN = 0,
	DFL_VERDICT_FORWARDED = 1,
	DFL_VERDICT_DROPPED = 2,
	DFL_VERDICT_ERROR = 3,
	DFL_VERDICT_AUDIT = 4,
	DFL_VERDICT_REDIRECTED = 5,
	DFL_VERDICT_TRACED = 6,
	DFL_VERDICT_TRANSLATED = 7,
};

/* Traffic direction as Hubble and Cilium's metrics number it
 * (flow.proto TrafficDirection, bpf METRIC_INGRESS/EGRESS), always seen
 * from the endpoint: INGRESS = entering the pod, EGRESS = leaving it. */
enum dfl_traffic_direction {
	DFL_TRAFFIC_UNKNOWN = 0,
	DFL_TRAFFIC_INGRESS = 1,
	DFL_TRAFFIC_EGRESS = 2,
};

/* How a policy decision matched (Cilium's POLICY_MATCH_*, Hubble's
 * policy_match_type): which of the identity and L4 fields the deciding
 * entry had. */
enum dfl_policy_match {
	DFL_MATCH_NONE = 0,
	DFL_MATCH_L3_ONLY = 1,	  /* identity / any / any */
	DFL_MATCH_L3_L4 = 2,	  /* identity / proto / port */
	DFL_MATCH_L4_ONLY = 3,	  /* any / proto / port */
	DFL_MATCH_ALL = 4,	  /* any / any / any */
	DFL_MATCH_L3_PROTO = 5,	  /* identity / proto / any */
	DFL_MATCH_PROTO_ONLY = 6, /* any / proto / any */
};

/* Authentication a policy entry requires (policy-map auth_type, flow.proto
 * AuthType). */
enum dfl_auth_type {
	DFL_AUTH_TYPE_DISABLED = 0,
	DFL_AUTH_TYPE_SPIRE = 1,
	DFL_AUTH_TYPE_ALWAYS_FAIL = 2,
};

/* L7 records (flow.proto L7FlowType) and their protocol. */
enum dfl_l7_type {
	DFL_L7_UNKNOWN = 0,
	DFL_L7_REQUEST = 1,
	DFL_L7_RESPONSE = 2,
	DFL_L7_SAMPLE = 3,
};

enum dfl_l7_proto {
	DFL_L7_PROTO_NONE = 0,
	DFL_L7_PROTO_DNS = 1,
	DFL_L7_PROTO_HTTP = 2,
};

#endif
