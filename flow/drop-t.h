/* Drop reasons: Cilium's numbers (bpf/lib/common.h, pkg/monitor/api/drop.go,
 * api/v1/flow/flow.proto enum DropReason). One table for the whole tree: the
 * BPF programs report these codes, the proxy and the flow builder put them in
 * flow records, metrics label drops with their names and texts.
 *
 * This header holds constants only (no includes), so BPF programs include it
 * as it is. The names and texts are in flow/names.c (dfl_drop_reason__name(),
 * dfl_drop_reason__text()); keep the three in step. */
#ifndef DFL_FLOW_DROP_T_H
#define DFL_FLOW_DROP_T_H

enum dfl_drop_reason {
	DFL_DROP_NONE = 0,
	DFL_DROP_MIN = 130, /* codes below are not drop reasons */
	DFL_DROP_INVALID_SOURCE_MAC = 130,
	DFL_DROP_INVALID_DESTINATION_MAC = 131,
	DFL_DROP_INVALID_SOURCE_IP = 132,
	/* Default deny: no rule allowed the packet ("Policy denied"). */
	DFL_DROP_POLICY_DENIED = 133,
	DFL_DROP_INVALID_PACKET = 134,
	DFL_DROP_CT_TRUNCATED_OR_INVALID_HEADER = 135,
	DFL_DROP_CT_MISSING_TCP_ACK_FLAG = 136,
	DFL_DROP_CT_UNKNOWN_L4_PROTOCOL = 137,
	DFL_DROP_UNSUPPORTED_L3_PROTOCOL = 139,
	DFL_DROP_MISSED_TAIL_CALL = 140,
	DFL_DROP_ERROR_WRITING_TO_PACKET = 141,
	DFL_DROP_UNKNOWN_L4_PROTOCOL = 142,
	DFL_DROP_STALE_OR_UNROUTABLE_IP = 151,
	DFL_DROP_CT_MAP_INSERTION_FAILED = 155,
	DFL_DROP_IP_FRAGMENTATION_NOT_SUPPORTED = 157,
	DFL_DROP_SERVICE_BACKEND_NOT_FOUND = 158,
	DFL_DROP_UNKNOWN_CONNECTION_TRACKING_STATE = 163,
	DFL_DROP_NO_CONFIGURATION = 165, /* no policy decision possible */
	DFL_DROP_UNSUPPORTED_L2_PROTOCOL = 166,
	DFL_DROP_INVALID_IDENTITY = 171,
	DFL_DROP_SOCKET_LOOKUP_FAILED = 178,
	DFL_DROP_SOCKET_ASSIGN_FAILED = 179,
	DFL_DROP_PROXY_REDIRECTION_NOT_SUPPORTED = 180,
	/* Explicit deny: an ingressDeny/egressDeny rule matched
	 * ("Policy denied by denylist"). */
	DFL_DROP_POLICY_DENY = 181,
	DFL_DROP_AUTH_REQUIRED = 189,
	DFL_DROP_CT_NO_MAP_FOUND = 190,
	DFL_DROP_TTL_EXCEEDED = 196,
	DFL_DROP_RATE_LIMITED = 198,
	DFL_DROP_HOST_NOT_READY = 202,
	DFL_DROP_EP_NOT_READY = 203,
	DFL_DROP_PUNT_PROXY = 205,
	DFL_DROP_MAX = 255,
};

#endif
