/* Names of the flow enums, as Hubble spells them (flow.proto enum names,
 * pkg/monitor/api texts, gopacket's ICMP and DNS texts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "util/mem.h"

struct code_name {
	uint32_t code;
	const char *name;
	const char *text;
};

/* flow.proto DropReason and monitor/api/drop.go texts. 136 and 161 disagree
 * upstream between name and text; both are copied as they are. */
static const struct code_name drop_reasons[] = {
    {130, "INVALID_SOURCE_MAC", "Invalid source mac"},
    {131, "INVALID_DESTINATION_MAC", "Invalid destination mac"},
    {132, "INVALID_SOURCE_IP", "Invalid source ip"},
    {133, "POLICY_DENIED", "Policy denied"},
    {134, "INVALID_PACKET_DROPPED", "Invalid packet"},
    {135, "CT_TRUNCATED_OR_INVALID_HEADER", "CT: Truncated or invalid header"},
    {136, "CT_MISSING_TCP_ACK_FLAG", "Fragmentation needed"},
    {137, "CT_UNKNOWN_L4_PROTOCOL", "CT: Unknown L4 protocol"},
    {138, "CT_CANNOT_CREATE_ENTRY_FROM_PACKET",
     "CT: Can't create entry from packet"},
    {139, "UNSUPPORTED_L3_PROTOCOL", "Unsupported L3 protocol"},
    {140, "MISSED_TAIL_CALL", "Missed tail call"},
    {141, "ERROR_WRITING_TO_PACKET", "Error writing to packet"},
    {142, "UNKNOWN_L4_PROTOCOL", "Unknown L4 protocol"},
    {143, "UNKNOWN_ICMPV4_CODE", "Unknown ICMPv4 code"},
    {144, "UNKNOWN_ICMPV4_TYPE", "Unknown ICMPv4 type"},
    {145, "UNKNOWN_ICMPV6_CODE", "Unknown ICMPv6 code"},
    {146, "UNKNOWN_ICMPV6_TYPE", "Unknown ICMPv6 type"},
    {147, "ERROR_RETRIEVING_TUNNEL_KEY", "Error retrieving tunnel key"},
    {148, "ERROR_RETRIEVING_TUNNEL_OPTIONS", "Error retrieving tunnel options"},
    {149, "INVALID_GENEVE_OPTION", "Invalid Geneve option"},
    {150, "UNKNOWN_L3_TARGET_ADDRESS", "Unknown L3 target address"},
    {151, "STALE_OR_UNROUTABLE_IP", "Stale or unroutable IP"},
    {152, "NO_MATCHING_LOCAL_CONTAINER_FOUND",
     "No matching local container found"},
    {153, "ERROR_WHILE_CORRECTING_L3_CHECKSUM",
     "Error while correcting L3 checksum"},
    {154, "ERROR_WHILE_CORRECTING_L4_CHECKSUM",
     "Error while correcting L4 checksum"},
    {155, "CT_MAP_INSERTION_FAILED", "CT: Map insertion failed"},
    {156, "INVALID_IPV6_EXTENSION_HEADER", "Invalid IPv6 extension header"},
    {157, "IP_FRAGMENTATION_NOT_SUPPORTED", "IP fragmentation not supported"},
    {158, "SERVICE_BACKEND_NOT_FOUND", "Service backend not found"},
    {160, "NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT",
     "No tunnel/encapsulation endpoint (datapath BUG!)"},
    {161, "FAILED_TO_INSERT_INTO_PROXYMAP", "NAT 46/64 not enabled"},
    {162, "REACHED_EDT_RATE_LIMITING_DROP_HORIZON",
     "Reached EDT rate-limiting drop horizon"},
    {163, "UNKNOWN_CONNECTION_TRACKING_STATE",
     "Unknown connection tracking state"},
    {164, "LOCAL_HOST_IS_UNREACHABLE", "Local host is unreachable"},
    {165, "NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION",
     "No configuration available to perform policy decision"},
    {166, "UNSUPPORTED_L2_PROTOCOL", "Unsupported L2 protocol"},
    {167, "NO_MAPPING_FOR_NAT_MASQUERADE", "No mapping for NAT masquerade"},
    {168, "UNSUPPORTED_PROTOCOL_FOR_NAT_MASQUERADE",
     "Unsupported protocol for NAT masquerade"},
    {169, "FIB_LOOKUP_FAILED", "FIB lookup failed"},
    {170, "ENCAPSULATION_TRAFFIC_IS_PROHIBITED",
     "Encapsulation traffic is prohibited"},
    {171, "INVALID_IDENTITY", "Invalid identity"},
    {172, "UNKNOWN_SENDER", "Unknown sender"},
    {173, "NAT_NOT_NEEDED", "NAT not needed"},
    {174, "IS_A_CLUSTERIP", "Is a ClusterIP"},
    {175, "FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND",
     "First logical datagram fragment not found"},
    {176, "FORBIDDEN_ICMPV6_MESSAGE", "Forbidden ICMPv6 message"},
    {177, "DENIED_BY_LB_SRC_RANGE_CHECK", "Denied by LB src range check"},
    {178, "SOCKET_LOOKUP_FAILED", "Socket lookup failed"},
    {179, "SOCKET_ASSIGN_FAILED", "Socket assign failed"},
    {180, "PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL",
     "Proxy redirection not supported for protocol"},
    {181, "POLICY_DENY", "Policy denied by denylist"},
    {182, "VLAN_FILTERED", "VLAN traffic disallowed by VLAN filter"},
    {183, "INVALID_VNI", "Incorrect VNI from VTEP"},
    {184, "INVALID_TC_BUFFER", "Failed to update or lookup TC buffer"},
    {185, "NO_SID", "No SID was found for the IP address"},
    {186, "MISSING_SRV6_STATE", "SRv6 state was removed during tail call"},
    {187, "NAT46", "L3 translation from IPv4 to IPv6 failed (NAT46)"},
    {188, "NAT64", "L3 translation from IPv6 to IPv4 failed (NAT64)"},
    {189, "AUTH_REQUIRED", "Authentication required"},
    {190, "CT_NO_MAP_FOUND", "No conntrack map found"},
    {191, "SNAT_NO_MAP_FOUND", "No nat map found"},
    {192, "INVALID_CLUSTER_ID", "Invalid ClusterID"},
    {193, "UNSUPPORTED_PROTOCOL_FOR_DSR_ENCAP",
     "Unsupported packet protocol for DSR encapsulation"},
    {194, "NO_EGRESS_GATEWAY", "No egress gateway found"},
    {195, "UNENCRYPTED_TRAFFIC", "Traffic is unencrypted"},
    {196, "TTL_EXCEEDED", "TTL exceeded"},
    {197, "NO_NODE_ID", "No node ID found"},
    {198, "DROP_RATE_LIMITED", "Rate limited"},
    {199, "IGMP_HANDLED", "IGMP handled"},
    {200, "IGMP_SUBSCRIBED", "IGMP subscribed"},
    {201, "MULTICAST_HANDLED", "Multicast handled"},
    {202, "DROP_HOST_NOT_READY", "Host datapath not ready"},
    {203, "DROP_EP_NOT_READY", "Endpoint policy program not available"},
    {204, "DROP_NO_EGRESS_IP", "No Egress IP configured"},
    {205, "DROP_PUNT_PROXY", "Punt to proxy"},
    {206, NULL, "No device"},
    {207, "DROP_FRAG_NOT_FOUND_WORLD",
     "First logical datagram fragment not found from world"},
};

/* Binary search: the table is sorted by code. */
static const struct code_name *drop_lookup(uint32_t code)
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

const char *dfl_drop_reason__name(uint32_t code)
{
	const struct code_name *c = drop_lookup(code);

	if (code == 0)
		return "DROP_REASON_UNKNOWN";
	return c ? c->name : NULL;
}

const char *dfl_drop_reason__text(uint32_t code)
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

/* Name tables indexed by value; NULL holes are values without a name. */
static int parse_in(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

#define NAME_OF(tab, v)                                                        \
	((size_t)(v) < DFL_ARRAY_SIZE(tab) ? (tab)[(size_t)(v)] : NULL)

static const char *const verdicts[] = {
    "VERDICT_UNKNOWN", "FORWARDED",  "DROPPED", "ERROR",
    "AUDIT",	       "REDIRECTED", "TRACED",	"TRANSLATED",
};

const char *dfl_verdict__name(enum dfl_verdict v)
{
	return NAME_OF(verdicts, v);
}

int dfl_verdict__parse(const char *name)
{
	return parse_in(verdicts, DFL_ARRAY_SIZE(verdicts), name);
}

static const char *const flow_types[] = {"UNKNOWN_TYPE", "L3_L4", "L7", "SOCK"};

const char *dfl_flow_type__name(enum dfl_flow_type t)
{
	return NAME_OF(flow_types, t);
}

int dfl_flow_type__parse(const char *name)
{
	return parse_in(flow_types, DFL_ARRAY_SIZE(flow_types), name);
}

static const char *const directions[] = {"TRAFFIC_DIRECTION_UNKNOWN", "INGRESS",
					 "EGRESS"};

const char *dfl_direction__name(enum dfl_traffic_direction d)
{
	return NAME_OF(directions, d);
}

int dfl_direction__parse(const char *name)
{
	return parse_in(directions, DFL_ARRAY_SIZE(directions), name);
}

static const char *const trace_points[] = {
    "UNKNOWN_POINT", "TO_PROXY",   "TO_HOST",	  "TO_STACK",	"TO_OVERLAY",
    "FROM_ENDPOINT", "FROM_PROXY", "FROM_HOST",	  "FROM_STACK", "FROM_OVERLAY",
    "FROM_NETWORK",  "TO_NETWORK", "FROM_CRYPTO", "TO_CRYPTO",
};

const char *dfl_trace_point__name(uint32_t p)
{
	if (p == DFL_TRACE_TO_ENDPOINT)
		return "TO_ENDPOINT";
	return NAME_OF(trace_points, p);
}

int dfl_trace_point__parse(const char *name)
{
	if (!strcmp(name, "TO_ENDPOINT"))
		return DFL_TRACE_TO_ENDPOINT;
	return parse_in(trace_points, DFL_ARRAY_SIZE(trace_points), name);
}

uint32_t dfl_trace_point__from_sub_type(int32_t sub_type)
{
	if (sub_type == 0)
		return DFL_TRACE_TO_ENDPOINT;
	return sub_type > 0 && sub_type <= DFL_TRACE_TO_CRYPTO
		   ? (uint32_t)sub_type
		   : DFL_TRACE_UNKNOWN_POINT;
}

int32_t dfl_trace_point__to_sub_type(uint32_t point)
{
	return point == DFL_TRACE_TO_ENDPOINT ? 0 : (int32_t)point;
}

static const char *const trace_texts[] = {
    "to-endpoint",   "to-proxy",   "to-host",	  "to-stack",	"to-overlay",
    "from-endpoint", "from-proxy", "from-host",	  "from-stack", "from-overlay",
    "from-network",  "to-network", "from-crypto", "to-crypto",
};

const char *dfl_trace_sub_type__text(int32_t sub_type)
{
	return sub_type < 0 ? NULL : NAME_OF(trace_texts, sub_type);
}

int dfl_trace_sub_type__parse(const char *text)
{
	return parse_in(trace_texts, DFL_ARRAY_SIZE(trace_texts), text);
}

static const char *const trace_reasons[] = {
    "TRACE_REASON_UNKNOWN",
    "NEW",
    "ESTABLISHED",
    "REPLY",
    "RELATED",
    "REOPENED",
    "SRV6_ENCAP",
    "SRV6_DECAP",
    "ENCRYPT_OVERLAY",
};

const char *dfl_trace_reason__name(uint32_t r)
{
	return NAME_OF(trace_reasons, r);
}

int dfl_trace_reason__parse(const char *name)
{
	return parse_in(trace_reasons, DFL_ARRAY_SIZE(trace_reasons), name);
}

static const char *const match_texts[] = {
    "none", "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto", "Proto-Only",
};

const char *dfl_policy_match__text(uint32_t m)
{
	const char *s = NAME_OF(match_texts, m);

	return s ? s : "unknown";
}

static const char *const auth_types[] = {"DISABLED", "SPIRE",
					 "TEST_ALWAYS_FAIL"};

const char *dfl_auth_type__name(enum dfl_auth_type a)
{
	return NAME_OF(auth_types, a);
}

int dfl_auth_type__parse(const char *name)
{
	return parse_in(auth_types, DFL_ARRAY_SIZE(auth_types), name);
}

static const char *const l7_types[] = {"UNKNOWN_L7_TYPE", "REQUEST", "RESPONSE",
				       "SAMPLE"};

const char *dfl_l7_type__name(enum dfl_l7_type t)
{
	return NAME_OF(l7_types, t);
}

int dfl_l7_type__parse(const char *name)
{
	return parse_in(l7_types, DFL_ARRAY_SIZE(l7_types), name);
}

static const char *const lost_sources[] = {
    "UNKNOWN_LOST_EVENT_SOURCE",
    "PERF_EVENT_RING_BUFFER",
    "OBSERVER_EVENTS_QUEUE",
    "HUBBLE_RING_BUFFER",
};

const char *dfl_lost_source__name(enum dfl_lost_source s)
{
	return NAME_OF(lost_sources, s);
}

int dfl_lost_source__parse(const char *name)
{
	return parse_in(lost_sources, DFL_ARRAY_SIZE(lost_sources), name);
}

/* pkg/identity/numericidentity.go reservedIdentityNames */
static const char *const reserved_identities[] = {
    "unknown", "host",	     "world",	    "unmanaged",
    "health",  "init",	     "remote-node", "kube-apiserver",
    "ingress", "world-ipv4", "world-ipv6",
};

const char *dfl_identity__reserved_name(uint32_t id)
{
	return NAME_OF(reserved_identities, id);
}

int64_t dfl_identity__parse_reserved(const char *name)
{
	if (!strncmp(name, "reserved:", 9))
		name += 9;
	return parse_in(reserved_identities,
			DFL_ARRAY_SIZE(reserved_identities), name);
}

/* pkg/hubble/metrics/dns/rcode.go */
static const char *const rcodes[] = {
    [0] = "No Error",
    [1] = "Format Error",
    [2] = "Server Failure",
    [3] = "Non-Existent Domain",
    [4] = "Not Implemented",
    [5] = "Query Refused",
    [6] = "Name Exists when it should not",
    [7] = "RR Set Exists when it should not",
    [8] = "RR Set that should exist does not",
    [9] = "Not Authorized",
    [10] = "Name not contained in zone",
    [11] = "DSO-TYPE Not Implemented",
    [16] = "Bad OPT Version",
    [17] = "Key not recognized",
    [18] = "Signature out of time window",
    [19] = "Bad TKEY Mode",
    [20] = "Duplicate key name",
    [21] = "Algorithm not supported",
    [22] = "Bad Truncation",
    [23] = "Bad/missing Server Cookie",
};

const char *dfl_dns_rcode__text(uint32_t rcode)
{
	return NAME_OF(rcodes, rcode);
}

/* gopacket layers.ICMPv4TypeCode / ICMPv6TypeCode String(). */
struct icmp_type {
	uint8_t type;
	const char *name;
	const char *const *codes; /* NULL: the type has no codes */
	size_t n_codes;
};

static const char *const v4_unreach[] = {
    "Net",
    "Host",
    "Protocol",
    "Port",
    "FragmentationNeeded",
    "SourceRoutingFailed",
    "NetUnknown",
    "HostUnknown",
    "SourceIsolated",
    "NetAdminProhibited",
    "HostAdminProhibited",
    "NetTOS",
    "HostTOS",
    "CommAdminProhibited",
    "HostPrecedence",
    "PrecedenceCutoff",
};
static const char *const v4_time[] = {"TTLExceeded",
				      "FragmentReassemblyTimeExceeded"};
static const char *const v4_param[] = {"PointerIndicatesError", "MissingOption",
				       "BadLength"};
static const char *const v4_redirect[] = {"Net", "Host", "TOS+Net", "TOS+Host"};

#define CODES(a) a, DFL_ARRAY_SIZE(a)
static const struct icmp_type icmpv4_types[] = {
    {0, "EchoReply", NULL, 0},
    {3, "DestinationUnreachable", CODES(v4_unreach)},
    {4, "SourceQuench", NULL, 0},
    {5, "Redirect", CODES(v4_redirect)},
    {8, "EchoRequest", NULL, 0},
    {9, "RouterAdvertisement", NULL, 0},
    {10, "RouterSolicitation", NULL, 0},
    {11, "TimeExceeded", CODES(v4_time)},
    {12, "ParameterProblem", CODES(v4_param)},
    {13, "TimestampRequest", NULL, 0},
    {14, "TimestampReply", NULL, 0},
    {15, "InfoRequest", NULL, 0},
    {16, "InfoReply", NULL, 0},
    {17, "AddressMaskRequest", NULL, 0},
    {18, "AddressMaskReply", NULL, 0},
};

static const char *const v6_unreach[] = {
    "NoRouteToDst",	  "AdminProhibited", "BeyondScopeOfSrc",
    "AddressUnreachable", "PortUnreachable", "SrcAddressFailedPolicy",
    "RejectRouteToDst",
};
static const char *const v6_time[] = {"HopLimitExceeded",
				      "FragmentReassemblyTimeExceeded"};
static const char *const v6_param[] = {
    "ErroneousHeaderField", "UnrecognizedNextHeader", "UnrecognizedIPv6Option"};

static const struct icmp_type icmpv6_types[] = {
    {1, "DestinationUnreachable", CODES(v6_unreach)},
    {2, "PacketTooBig", NULL, 0},
    {3, "TimeExceeded", CODES(v6_time)},
    {4, "ParameterProblem", CODES(v6_param)},
    {128, "EchoRequest", NULL, 0},
    {129, "EchoReply", NULL, 0},
    {133, "RouterSolicitation", NULL, 0},
    {134, "RouterAdvertisement", NULL, 0},
    {135, "NeighborSolicitation", NULL, 0},
    {136, "NeighborAdvertisement", NULL, 0},
    {137, "Redirect", NULL, 0},
};

const char *dfl_icmp__text(int v6, uint8_t type, uint8_t code, char *buf,
			   size_t len)
{
	const struct icmp_type *tab = v6 ? icmpv6_types : icmpv4_types;
	size_t n =
	    v6 ? DFL_ARRAY_SIZE(icmpv6_types) : DFL_ARRAY_SIZE(icmpv4_types);

	for (size_t i = 0; i < n; i++) {
		if (tab[i].type != type)
			continue;
		if (!tab[i].codes && code == 0)
			snprintf(buf, len, "%s", tab[i].name);
		else if (tab[i].codes && code < tab[i].n_codes)
			snprintf(buf, len, "%s(%s)", tab[i].name,
				 tab[i].codes[code]);
		else
			snprintf(buf, len, "%s(Code: %u)", tab[i].name, code);
		return buf;
	}
	snprintf(buf, len, "%u(%u)", type, code);
	return buf;
}

int dfl_event_type__parse(const char *name)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
	    {"drop", DFL_EVENT_DROP},
	    {"debug", DFL_EVENT_DEBUG},
	    {"capture", DFL_EVENT_CAPTURE},
	    {"trace", DFL_EVENT_TRACE},
	    {"policy-verdict", DFL_EVENT_POLICY_VERDICT},
	    {"recorder", DFL_EVENT_RECORD_CAPTURE},
	    {"trace-sock", DFL_EVENT_TRACE_SOCK},
	    {"l7", DFL_EVENT_L7},
	    {"agent", DFL_EVENT_AGENT},
	};

	for (size_t i = 0; i < DFL_ARRAY_SIZE(types); i++)
		if (!strcmp(types[i].name, name))
			return types[i].type;
	return -1;
}
