/* Flow records: copying, the Summary text, and the names Hubble gives to the
 * enums (the same names in JSON, in the compact printer, in filters and in
 * metrics). */
#ifndef DFL_FLOW_FLOW_H
#define DFL_FLOW_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow-t.h"
#include "util/drop_reason.h"
#include "util/strbuf.h"

/* Deep copy of <f> into one malloc'd block (struct, arrays and strings).
 * Returns NULL with errno = ENOMEM. Release with dfl_flow__free(). */
struct dfl_flow *dfl_flow__dup(const struct dfl_flow *f);
/* Like dup, with <headroom> bytes (a multiple of 16) reserved in front of the
 * flow for the caller's bookkeeping; the block starts at (char *)f - headroom
 * and is released with free() on that address. */
struct dfl_flow *dfl_flow__pack(const struct dfl_flow *f, size_t headroom);
/* Frees a flow from dfl_flow__dup(); NULL is fine. */
void dfl_flow__free(struct dfl_flow *f);

/* Appends Hubble's Summary of <f> to <out>: "TCP Flags: SYN",
 * "HTTP/1.1 PUT http://...", "DNS Query x. A", ... (f->summary is ignored).
 * Returns 0 or -ENOMEM. */
int dfl_flow__summary(const struct dfl_flow *f, struct dfl_strbuf *out);
/* f->summary if set, else the computed one written to <scratch>. */
const char *dfl_flow__summary_str(const struct dfl_flow *f,
				  struct dfl_strbuf *scratch);

/* Fills f->uuid with a random (version 4) UUID. */
void dfl_flow__set_uuid(struct dfl_flow *f);
/* Current time in ns since the epoch (CLOCK_REALTIME). */
int64_t dfl_time_now_ns(void);
/* A --since/--until argument: a Go duration before <now_ns> ("5m", "1h30m")
 * or an absolute time (RFC 3339, "2026-07-24", "2026-07-24T15:04Z").
 * Returns 0 or -EINVAL. */
int dfl_time__parse_arg(const char *s, int64_t now_ns, int64_t *out);

/* "IPv4" address text of f->ip.source etc. into <buf> (INET6_ADDRSTRLEN). */
const char *dfl_flow_ip__str(const struct dfl_flow_ip *ip, const uint8_t *addr,
			     char *buf, size_t len);

/* ---- names (flow/names.c) ---------------------------------------------- */

/* "FORWARDED", ...; NULL for values without a name. */
const char *dfl_verdict__name(enum dfl_verdict v);
/* Inverse of the name functions: the value, or -1 when unknown. Names are
 * compared case-sensitively, as protojson does. */
int dfl_verdict__parse(const char *name);
/* flow.proto DropReason name ("POLICY_DENIED"), NULL if the code has none. */
/* monitor/api text ("Policy denied"); NULL if the code has none. */
const char *dfl_flow_type__name(enum dfl_flow_type t);
int dfl_flow_type__parse(const char *name);
const char *dfl_direction__name(enum dfl_traffic_direction d);
int dfl_direction__parse(const char *name);
const char *dfl_trace_point__name(uint32_t p); /* "TO_ENDPOINT" */
int dfl_trace_point__parse(const char *name);
/* Datapath trace sub_type (0 = to-endpoint) to the proto enum and back. */
uint32_t dfl_trace_point__from_sub_type(int32_t sub_type);
int32_t dfl_trace_point__to_sub_type(uint32_t point);
/* Text of a datapath trace sub_type: "to-endpoint", NULL when unknown. */
const char *dfl_trace_sub_type__text(int32_t sub_type);
int dfl_trace_sub_type__parse(const char *text);
const char *dfl_trace_reason__name(uint32_t r);
int dfl_trace_reason__parse(const char *name);
/* "none", "L3-Only", "L3-L4", ...; "unknown" for other values. */
const char *dfl_policy_match__text(uint32_t m);
const char *dfl_auth_type__name(enum dfl_auth_type a);
int dfl_auth_type__parse(const char *name);
const char *dfl_l7_type__name(enum dfl_l7_type t);
int dfl_l7_type__parse(const char *name);
const char *dfl_lost_source__name(enum dfl_lost_source s);
int dfl_lost_source__parse(const char *name);
/* Reserved identity names: 0 "unknown", 1 "host", 2 "world", ...; NULL for
 * identities that are not reserved. */
const char *dfl_identity__reserved_name(uint32_t id);
int64_t dfl_identity__parse_reserved(const char *name);
/* DNS rcode text as gopacket and Hubble's metrics print it ("Query
 * Refused"), NULL when unknown. */
const char *dfl_dns_rcode__text(uint32_t rcode);
/* gopacket's ICMP TypeCode text ("EchoRequest", "DestinationUnreachable(Port)",
 * "3(9)") into <buf>. */
const char *dfl_icmp__text(int v6, uint8_t type, uint8_t code, char *buf,
			   size_t len);
/* Event type names of `observe -t`: "drop", "trace", "policy-verdict",
 * "l7", "capture", "trace-sock"; -1 when unknown. */
int dfl_event_type__parse(const char *name);

#endif
