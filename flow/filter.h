/* Hubble's flow filters (observer.proto FlowFilter, pkg/hubble/filters).
 *
 * A filter is a set of fields; a flow matches it when every field that is set
 * matches (AND), and a field matches when any of its values does (OR). Lists
 * of filters combine as Hubble's filters.Apply does: a flow passes when it
 * matches at least one allowlist filter (or the allowlist is empty) and no
 * denylist filter. The same filters serve `deflector observe`, the exporter's
 * includeFilters/excludeFilters and --allowlist/--denylist JSON.
 *
 * Filters are immutable once built, so any number of threads may match
 * against them at once. */
#ifndef DFL_FLOW_FILTER_H
#define DFL_FLOW_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "flow/flow-t.h"
#include "util/strbuf.h"

struct dfl_flow_filter;

struct dfl_flow_filters {
	struct dfl_flow_filter **items;
	size_t n;
	size_t cap;
};

struct dfl_flow_filter *dfl_flow_filter__new(void);
void dfl_flow_filter__free(struct dfl_flow_filter *f);

/* Adds one value to the FlowFilter field named <field> (proto name:
 * "source_pod", "verdict", "event_type", ...), given as text:
 *   source_pod/destination_pod, *_service  "[namespace/]pod-prefix"
 *   *_ip          "10.0.0.1" or "10.0.0.0/8"
 *   *_label       a label selector: "app=x", "k8s:app in (a,b)", "!k"
 *   *_identity    a number or a reserved name ("world")
 *   *_fqdn        a pattern with '*'
 *   *_workload    "[Kind/]name"
 *   *_port        a port number
 *   verdict, drop_reason_desc, traffic_direction, ip_version  enum names
 *   event_type    "drop", "trace:to-endpoint", "drop:133", "5"
 *   protocol      tcp udp sctp icmp icmpv4 icmpv6 http dns
 *   http_status_code "404", "4+", "40+";  http_method; http_path and
 *   http_url and dns_query regular expressions; http_header "key:value"
 *   tcp_flags     "syn,ack";  reply "true"/"false";  node_name a glob;
 *   uuid
 * Returns 0, or -EINVAL with a message naming the field and value in <err>. */
int dfl_flow_filter__add(struct dfl_flow_filter *f, const char *field,
			 const char *value, char *err, size_t errlen);
bool dfl_flow_filter__is_empty(const struct dfl_flow_filter *f);
/* True when <a> and <b> hold the same values (Hubble sends one filter
 * instead of two equal ones). */
bool dfl_flow_filter__equal(const struct dfl_flow_filter *a,
			    const struct dfl_flow_filter *b);
bool dfl_flow_filter__match(const struct dfl_flow_filter *f,
			    const struct dfl_flow *flow);
/* True if the filter has a field of the given name set. */
bool dfl_flow_filter__has(const struct dfl_flow_filter *f, const char *field);
/* Appends the filter as JSON, each field a list of the values as add() took
 * them ({"source_pod":["default/"],"event_type":["drop"]}): for
 * --print-raw-filters and tests. */
int dfl_flow_filter__to_json(const struct dfl_flow_filter *f,
			     struct dfl_strbuf *out);

/* Takes ownership of <f> (freed on failure too). */
int dfl_flow_filters__push(struct dfl_flow_filters *l,
			   struct dfl_flow_filter *f);
/* Parses concatenated protojson FlowFilter objects, as the exporter flags and
 * --allowlist take them: '{"verdict":["DROPPED"]}{"source_pod":["a/"]}'.
 * Unknown fields are errors: a filter silently widened would export or show
 * what it should not. Returns 0 or -EINVAL (message in <err>). */
int dfl_flow_filters__parse_json(struct dfl_flow_filters *l, const char *text,
				 char *err, size_t errlen);
/* Hubble's filters.Apply(allow, deny, flow). */
bool dfl_flow_filters__apply(const struct dfl_flow_filters *allow,
			     const struct dfl_flow_filters *deny,
			     const struct dfl_flow *flow);
void dfl_flow_filters__release(struct dfl_flow_filters *l);

/* ---- command-line flags to filters (flow/filter_flags.c) ----------------
 * Hubble's observe flag semantics: --from-X/--to-X and non-directional flags
 * go into every filter; the either-direction flags (--pod, --ip, --label,
 * --identity, --port, --namespace, --fqdn, --service, --workload) put
 * source_X into one filter and destination_X into another, ORed; --not sends
 * the next flag to the denylist. */
struct dfl_filter_builder;

struct dfl_filter_builder *dfl_filter_builder__new(void);
/* <flag> without dashes ("pod", "from-ip", "verdict", "http-method", "type",
 * "protocol", "not" with <value> NULL, ...). Returns 0, or -EINVAL with a
 * message (unknown flag, conflict, bad value, misplaced --not). */
int dfl_filter_builder__flag(struct dfl_filter_builder *b, const char *flag,
			     const char *value, char *err, size_t errlen);
/* True if <flag> is one the builder takes (and whether it needs a value). */
bool dfl_filter_builder__knows(const char *flag, bool *takes_value);
/* Moves the built filters into <allow> and <deny>; the builder stays
 * usable only for dfl_filter_builder__free(). Returns 0 or -EINVAL (a
 * trailing --not, --http-* without l7 type). */
int dfl_filter_builder__finish(struct dfl_filter_builder *b,
			       struct dfl_flow_filters *allow,
			       struct dfl_flow_filters *deny, char *err,
			       size_t errlen);
void dfl_filter_builder__free(struct dfl_filter_builder *b);

#endif
