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

/* Name tables indexed by value; NULL holes are values without a name. */
static int parse_in(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

#define NAME_OF(tab, v) \
	((size_t)(v) < DFL_ARRAY_SIZE(tab) ? (tab)[(size_t)(v)] : NULL)

static const char *const verdicts[] = {
	"VERDICT_UNKNOWN", "FORWARDED",	 "DROPPED", "ERROR",
	"AUDIT",	   "REDIRECTED", "TRACED",  "TRANSLATED",
};

const char *dfl_verdict__name(enum dfl_verdict v)
{
	return NAME_OF(verdicts, v);
}

int dfl_verdict__parse(const char *name)
{
	return parse_in(verdicts, DFL_ARRAY_SIZE(verdicts), name);
}

static const char *const flow_types[] = { "UNKNOWN_TYPE", "L3_L4", "L7", "SOCK" };

const char *dfl_flow_type__name(enum dfl_flow_type t)
{
	return NAME_OF(flow_types, t);
}

int dfl_flow_type__parse(const char *name)
{
	return parse_in(flow_types, DFL_ARRAY_SIZE(flow_types), name);
}

static const char *const directions[] = { "TRAFFIC_DIRECTION_UNKNOWN",
					  "INGRESS", "EGRESS" };

const char *dfl_direction__name(enum dfl_traffic_direction d)
{
	return NAME_OF(directions, d);
}

int dfl_direction__parse(const char *name)
{
	return parse_in(directions, DFL_ARRAY_SIZE(directions), name);
}

static const char *const trace_points[] = {
	"UNKNOWN_POINT", "TO_PROXY",	  "TO_HOST",	  "TO_STACK",
	"TO_OVERLAY",	 "FROM_ENDPOINT", "FROM_PROXY",	  "FROM_HOST",
	"FROM_STACK",	 "FROM_OVERLAY",  "FROM_NETWORK", "TO_NETWORK",
	"FROM_CRYPTO",	 "TO_CRYPTO",
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
	return sub_type > 0 && sub_type <= DFL_TRACE_TO_CRYPTO ?
		       (uint32_t)sub_type :
		       DFL_TRACE_UNKNOWN_POINT;
}

int32_t dfl_trace_point__to_sub_type(uint32_t point)
{
	return point == DFL_TRACE_TO_ENDPOINT ? 0 : (int32_t)point;
}

static const char *const trace_texts[] = {
	"to-endpoint",	"to-proxy",	"to-host",	"to-stack",
	"to-overlay",	"from-endpoint", "from-proxy",	"from-host",
	"from-stack",	"from-overlay", "from-network", "to-network",
	"from-crypto",	"to-crypto",
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
	"TRACE_REASON_UNKNOWN", "NEW",	      "ESTABLISHED",
	"REPLY",		"RELATED",    "REOPENED",
	"SRV6_ENCAP",		"SRV6_DECAP", "ENCRYPT_OVERLAY",
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

static const char *const auth_types[] = { "DISABLED", "SPIRE",
					  "TEST_ALWAYS_FAIL" };

const char *dfl_auth_type__name(enum dfl_auth_type a)
{
	return NAME_OF(auth_types, a);
}

int dfl_auth_type__parse(const char *name)
{
	return parse_in(auth_types, DFL_ARRAY_SIZE(auth_types), name);
}

static const char *const l7_types[] = { "UNKNOWN_L7_TYPE", "REQUEST",
					"RESPONSE", "SAMPLE" };

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
	"unknown",     "host",		 "world",	   "unmanaged",
	"health",      "init",		 "remote-node",	   "kube-apiserver",
	"ingress",     "world-ipv4",	 "world-ipv6",
};

const char *dfl_identity__reserved_name(uint32_t id)
{
	return NAME_OF(reserved_identities, id);
}

int64_t dfl_identity__parse_reserved(const char *name)
{
	if (!strncmp(name, "reserved:", 9))
		name += 9;
	return parse_in(reserved_identities, DFL_ARRAY_SIZE(reserved_identities),
			name);
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
	"Net",	       "Host",		 "Protocol",
	"Port",	       "FragmentationNeeded", "SourceRoutingFailed",
	"NetUnknown",  "HostUnknown",	 "SourceIsolated",
	"NetAdminProhibited", "HostAdminProhibited", "NetTOS",
	"HostTOS",     "CommAdminProhibited", "HostPrecedence",
	"PrecedenceCutoff",
};
static const char *const v4_time[] = { "TTLExceeded",
				       "FragmentReassemblyTimeExceeded" };
static const char *const v4_param[] = { "PointerIndicatesError",
					"MissingOption", "BadLength" };
static const char *const v4_redirect[] = { "Net", "Host", "TOS+Net",
					   "TOS+Host" };

#define CODES(a) a, DFL_ARRAY_SIZE(a)
static const struct icmp_type icmpv4_types[] = {
	{ 0, "EchoReply", NULL, 0 },
	{ 3, "DestinationUnreachable", CODES(v4_unreach) },
	{ 4, "SourceQuench", NULL, 0 },
	{ 5, "Redirect", CODES(v4_redirect) },
	{ 8, "EchoRequest", NULL, 0 },
	{ 9, "RouterAdvertisement", NULL, 0 },
	{ 10, "RouterSolicitation", NULL, 0 },
	{ 11, "TimeExceeded", CODES(v4_time) },
	{ 12, "ParameterProblem", CODES(v4_param) },
	{ 13, "TimestampRequest", NULL, 0 },
	{ 14, "TimestampReply", NULL, 0 },
	{ 15, "InfoRequest", NULL, 0 },
	{ 16, "InfoReply", NULL, 0 },
	{ 17, "AddressMaskRequest", NULL, 0 },
	{ 18, "AddressMaskReply", NULL, 0 },
};

static const char *const v6_unreach[] = {
	"NoRouteToDst",	      "AdminProhibited",	"BeyondScopeOfSrc",
	"AddressUnreachable", "PortUnreachable",	"SrcAddressFailedPolicy",
	"RejectRouteToDst",
};
static const char *const v6_time[] = { "HopLimitExceeded",
				       "FragmentReassemblyTimeExceeded" };
static const char *const v6_param[] = { "ErroneousHeaderField",
					"UnrecognizedNextHeader",
					"UnrecognizedIPv6Option" };

static const struct icmp_type icmpv6_types[] = {
	{ 1, "DestinationUnreachable", CODES(v6_unreach) },
	{ 2, "PacketTooBig", NULL, 0 },
	{ 3, "TimeExceeded", CODES(v6_time) },
	{ 4, "ParameterProblem", CODES(v6_param) },
	{ 128, "EchoRequest", NULL, 0 },
	{ 129, "EchoReply", NULL, 0 },
	{ 133, "RouterSolicitation", NULL, 0 },
	{ 134, "RouterAdvertisement", NULL, 0 },
	{ 135, "NeighborSolicitation", NULL, 0 },
	{ 136, "NeighborAdvertisement", NULL, 0 },
	{ 137, "Redirect", NULL, 0 },
};

const char *dfl_icmp__text(int v6, uint8_t type, uint8_t code, char *buf,
			   size_t len)
{
	const struct icmp_type *tab = v6 ? icmpv6_types : icmpv4_types;
	size_t n = v6 ? DFL_ARRAY_SIZE(icmpv6_types) :
			DFL_ARRAY_SIZE(icmpv4_types);

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
		{ "drop", DFL_EVENT_DROP },
		{ "debug", DFL_EVENT_DEBUG },
		{ "capture", DFL_EVENT_CAPTURE },
		{ "trace", DFL_EVENT_TRACE },
		{ "policy-verdict", DFL_EVENT_POLICY_VERDICT },
		{ "recorder", DFL_EVENT_RECORD_CAPTURE },
		{ "trace-sock", DFL_EVENT_TRACE_SOCK },
		{ "l7", DFL_EVENT_L7 },
		{ "agent", DFL_EVENT_AGENT },
	};

	for (size_t i = 0; i < DFL_ARRAY_SIZE(types); i++)
		if (!strcmp(types[i].name, name))
			return types[i].type;
	return -1;
}
