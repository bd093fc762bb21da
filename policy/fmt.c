/* Names and texts of policy values, shared by the CLI, trace and lint. */
#include <stdio.h>

#include "policy/compiler.h"

const char *dfl_proto__name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 0:
		return "ANY";
	case DFL_PROTO_TCP:
		return "TCP";
	case DFL_PROTO_UDP:
		return "UDP";
	case DFL_PROTO_SCTP:
		return "SCTP";
	case DFL_PROTO_ICMP:
		return "ICMP";
	case DFL_PROTO_ICMPV6:
		return "ICMPv6";
	case DFL_PROTO_VRRP:
		return "VRRP";
	case DFL_PROTO_IGMP:
		return "IGMP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

const char *dfl_map_entry__port_proto(const struct dfl_map_entry *e,
				      char *buf, size_t len)
{
	char pb[8];
	const char *p = dfl_proto__name(e->proto, pb, sizeof(pb));

	if (!e->proto)
		snprintf(buf, len, "ANY");
	else if (!e->port_prefix_len)
		snprintf(buf, len, "%s", p);
	else if (e->port_prefix_len < 16)
		snprintf(buf, len, "%u-%u/%s", e->port,
			 e->port | (0xffffu >> e->port_prefix_len), p);
	else
		snprintf(buf, len, "%u/%s", e->port, p);
	return buf;
}
