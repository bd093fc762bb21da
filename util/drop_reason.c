/* The one table of drop reasons in userspace: Cilium's numbers, the names of
 * flow.proto's DropReason enum and the texts of pkg/monitor/api/drop.go.
 * The numbers the datapath emits are bpf/include/dfl_drop_reasons.h (an
 * X-macro shared with the BPF programs); every one of them is in this table
 * (tests/unit/test_util_drop_reason.c checks it), which also knows the codes
 * only other Cilium datapaths emit, so that any Hubble record decodes. */
#include <stdint.h>
#include <string.h>

#include "util/drop_reason.h"
#include "util/mem.h"

struct code_name {
	uint32_t code;
	const char *name;
	const char *text;
};

/* flow.proto DropReason and monitor/api/drop.go texts. 136 and 161 disagree
 * upstream between name and text; both are copied as they are. */
static const struct code_name drop_reasons[] = {
	{ 130, "INVALID_SOURCE_MAC", "Invalid source mac" },
	{ 131, "INVALID_DESTINATION_MAC", "Invalid destination mac" },
	{ 132, "INVALID_SOURCE_IP", "Invalid source ip" },
	{ 133, "POLICY_DENIED", "Policy denied" },
	{ 134, "INVALID_PACKET_DROPPED", "Invalid packet" },
	{ 135, "CT_TRUNCATED_OR_INVALID_HEADER", "CT: Truncated or invalid header" },
	{ 136, "CT_MISSING_TCP_ACK_FLAG", "Fragmentation needed" },
	{ 137, "CT_UNKNOWN_L4_PROTOCOL", "CT: Unknown L4 protocol" },
	{ 138, "CT_CANNOT_CREATE_ENTRY_FROM_PACKET", "CT: Can't create entry from packet" },
	{ 139, "UNSUPPORTED_L3_PROTOCOL", "Unsupported L3 protocol" },
	{ 140, "MISSED_TAIL_CALL", "Missed tail call" },
	{ 141, "ERROR_WRITING_TO_PACKET", "Error writing to packet" },
	{ 142, "UNKNOWN_L4_PROTOCOL", "Unknown L4 protocol" },
	{ 143, "UNKNOWN_ICMPV4_CODE", "Unknown ICMPv4 code" },
	{ 144, "UNKNOWN_ICMPV4_TYPE", "Unknown ICMPv4 type" },
	{ 145, "UNKNOWN_ICMPV6_CODE", "Unknown ICMPv6 code" },
	{ 146, "UNKNOWN_ICMPV6_TYPE", "Unknown ICMPv6 type" },
	{ 147, "ERROR_RETRIEVING_TUNNEL_KEY", "Error retrieving tunnel key" },
	{ 148, "ERROR_RETRIEVING_TUNNEL_OPTIONS", "Error retrieving tunnel options" },
	{ 149, "INVALID_GENEVE_OPTION", "Invalid Geneve option" },
	{ 150, "UNKNOWN_L3_TARGET_ADDRESS", "Unknown L3 target address" },
	{ 151, "STALE_OR_UNROUTABLE_IP", "Stale or unroutable IP" },
	{ 152, "NO_MATCHING_LOCAL_CONTAINER_FOUND", "No matching local container found" },
	{ 153, "ERROR_WHILE_CORRECTING_L3_CHECKSUM", "Error while correcting L3 checksum" },
	{ 154, "ERROR_WHILE_CORRECTING_L4_CHECKSUM", "Error while correcting L4 checksum" },
	{ 155, "CT_MAP_INSERTION_FAILED", "CT: Map insertion failed" },
	{ 156, "INVALID_IPV6_EXTENSION_HEADER", "Invalid IPv6 extension header" },
	{ 157, "IP_FRAGMENTATION_NOT_SUPPORTED", "IP fragmentation not supported" },
	{ 158, "SERVICE_BACKEND_NOT_FOUND", "Service backend not found" },
	{ 160, "NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT", "No tunnel/encapsulation endpoint (datapath BUG!)" },
	{ 161, "FAILED_TO_INSERT_INTO_PROXYMAP", "NAT 46/64 not enabled" },
	{ 162, "REACHED_EDT_RATE_LIMITING_DROP_HORIZON", "Reached EDT rate-limiting drop horizon" },
	{ 163, "UNKNOWN_CONNECTION_TRACKING_STATE", "Unknown connection tracking state" },
	{ 164, "LOCAL_HOST_IS_UNREACHABLE", "Local host is unreachable" },
	{ 165, "NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION", "No configuration available to perform policy decision" },
	{ 166, "UNSUPPORTED_L2_PROTOCOL", "Unsupported L2 protocol" },
	{ 167, "NO_MAPPING_FOR_NAT_MASQUERADE", "No mapping for NAT masquerade" },
	{ 168, "UNSUPPORTED_PROTOCOL_FOR_NAT_MASQUERADE", "Unsupported protocol for NAT masquerade" },
	{ 169, "FIB_LOOKUP_FAILED", "FIB lookup failed" },
	{ 170, "ENCAPSULATION_TRAFFIC_IS_PROHIBITED", "Encapsulation traffic is prohibited" },
	{ 171, "INVALID_IDENTITY", "Invalid identity" },
	{ 172, "UNKNOWN_SENDER", "Unknown sender" },
	{ 173, "NAT_NOT_NEEDED", "NAT not needed" },
	{ 174, "IS_A_CLUSTERIP", "Is a ClusterIP" },
	{ 175, "FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND", "First logical datagram fragment not found" },
	{ 176, "FORBIDDEN_ICMPV6_MESSAGE", "Forbidden ICMPv6 message" },
	{ 177, "DENIED_BY_LB_SRC_RANGE_CHECK", "Denied by LB src range check" },
	{ 178, "SOCKET_LOOKUP_FAILED", "Socket lookup failed" },
	{ 179, "SOCKET_ASSIGN_FAILED", "Socket assign failed" },
	{ 180, "PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL", "Proxy redirection not supported for protocol" },
	{ 181, "POLICY_DENY", "Policy denied by denylist" },
	{ 182, "VLAN_FILTERED", "VLAN traffic disallowed by VLAN filter" },
	{ 183, "INVALID_VNI", "Incorrect VNI from VTEP" },
	{ 184, "INVALID_TC_BUFFER", "Failed to update or lookup TC buffer" },
	{ 185, "NO_SID", "No SID was found for the IP address" },
	{ 186, "MISSING_SRV6_STATE", "SRv6 state was removed during tail call" },
	{ 187, "NAT46", "L3 translation from IPv4 to IPv6 failed (NAT46)" },
	{ 188, "NAT64", "L3 translation from IPv6 to IPv4 failed (NAT64)" },
	{ 189, "AUTH_REQUIRED", "Authentication required" },
	{ 190, "CT_NO_MAP_FOUND", "No conntrack map found" },
	{ 191, "SNAT_NO_MAP_FOUND", "No nat map found" },
	{ 192, "INVALID_CLUSTER_ID", "Invalid ClusterID" },
	{ 193, "UNSUPPORTED_PROTOCOL_FOR_DSR_ENCAP", "Unsupported packet protocol for DSR encapsulation" },
	{ 194, "NO_EGRESS_GATEWAY", "No egress gateway found" },
	{ 195, "UNENCRYPTED_TRAFFIC", "Traffic is unencrypted" },
	{ 196, "TTL_EXCEEDED", "TTL exceeded" },
	{ 197, "NO_NODE_ID", "No node ID found" },
	{ 198, "DROP_RATE_LIMITED", "Rate limited" },
	{ 199, "IGMP_HANDLED", "IGMP handled" },
	{ 200, "IGMP_SUBSCRIBED", "IGMP subscribed" },
	{ 201, "MULTICAST_HANDLED", "Multicast handled" },
	{ 202, "DROP_HOST_NOT_READY", "Host datapath not ready" },
	{ 203, "DROP_EP_NOT_READY", "Endpoint policy program not available" },
	{ 204, "DROP_NO_EGRESS_IP", "No Egress IP configured" },
	{ 205, "DROP_PUNT_PROXY", "Punt to proxy" },
	{ 206, NULL, "No device" },
	{ 207, "DROP_FRAG_NOT_FOUND_WORLD", "First logical datagram fragment not found from world" },
};

/* Binary search: the table is sorted by code. */
static const struct code_name *drop_lookup(unsigned int code)
{
	size_t lo = 0, hi = DFL_ARRAY_SIZE(drop_reasons);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (drop_reasons[mid].code == code)
			return &drop_reasons[mid];
		if (drop_reasons[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *dfl_drop_reason__name(unsigned int code)
{
	const struct code_name *c = drop_lookup(code);

	if (code == 0)
		return "DROP_REASON_UNKNOWN";
	return c ? c->name : NULL;
}

const char *dfl_drop_reason__text(unsigned int code)
{
	const struct code_name *c = drop_lookup(code);

	return c ? c->text : NULL;
}

int dfl_drop_reason__parse(const char *name)
{
	if (!strcmp(name, "DROP_REASON_UNKNOWN"))
		return 0;
	for (size_t i = 0; i < DFL_ARRAY_SIZE(drop_reasons); i++)
		if (drop_reasons[i].name && !strcmp(drop_reasons[i].name, name))
			return (int)drop_reasons[i].code;
	return -1;
}

