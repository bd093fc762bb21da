/* Hubble JSON lines back into flow records (flow/json.h). jansson parses the
 * line; this file maps the tree onto struct dfl_flow with protojson's
 * leniency (proto or lowerCamel names, enums by name or number, 64-bit
 * integers as strings, null for absent). Input is untrusted: every value is
 * type- and range-checked, and errors name the field. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow/flow.h"
#include "flow/json.h"

/* Temporary arrays of one decode live in a chunk list, freed together once
 * the flow is packed into its own block. */
struct chunk {
	struct chunk *next;
	max_align_t data[];
};

struct dec {
	struct chunk *chunks;
	const char *line;
	size_t len;
	struct dfl_json_error *err;
	int ret; /* first error */
};

static void *dalloc(struct dec *d, size_t size)
{
	struct chunk *c = calloc(1, sizeof(*c) + size);

	if (!c) {
		if (!d->ret)
			d->ret = -ENOMEM;
		return NULL;
	}
	c->next = d->chunks;
	d->chunks = c;
	return c->data;
}

static void dfree(struct dec *d)
{
	while (d->chunks) {
		struct chunk *c = d->chunks;

		d->chunks = c->next;
		free(c);
	}
}

/* Records the first error, at the field's key when it can be found in the
 * line (jansson keeps no positions for values). */
static void __attribute__((format(printf, 4, 5)))
fail(struct dec *d, const char *path, const char *k, const char *fmt, ...)
{
	char needle[96];
	va_list ap;

	if (d->ret)
		return;
	d->ret = -EINVAL;
	snprintf(d->err->path, sizeof(d->err->path), "%s%s%s", path,
		 *path && k ? "." : "", k ? k : "");
	va_start(ap, fmt);
	vsnprintf(d->err->text, sizeof(d->err->text), fmt, ap);
	va_end(ap);
	d->err->offset = 0;
	if (k) {
		int n = snprintf(needle, sizeof(needle), "\"%s\"", k);
		const char *at = n > 0 && (size_t)n < sizeof(needle) ?
					 memmem(d->line, d->len, needle, (size_t)n) :
					 NULL;

		if (at)
			d->err->offset = (size_t)(at - d->line);
	}
}

/* protojson accepts a field's proto name and its JSON name, which drops the
 * underscores and capitalises the letter after each ("drop_reason_desc" and
 * "dropReasonDesc"). */
static bool key_is(const char *k, const char *proto)
{
	const char *a = k, *b = proto;

	if (!strcmp(k, proto))
		return true;
	while (*b) {
		if (*b == '_') {
			b++;
			if (!*b || *a != (*b >= 'a' && *b <= 'z' ? *b - 32 : *b))
				return false;
		} else if (*a != *b) {
			return false;
		}
		a++, b++;
	}
	return *a == '\0';
}

/* ---- scalar values ------------------------------------------------------ */

static const char *get_str(struct dec *d, const char *path, const char *k,
			   json_t *v)
{
	if (!json_is_string(v)) {
		fail(d, path, k, "expected a string");
		return NULL;
	}
	return json_string_value(v);
}

/* An integer as a JSON number or a decimal string, within [min, max]. */
static bool get_int(struct dec *d, const char *path, const char *k, json_t *v,
		    long long min, unsigned long long max,
		    unsigned long long *uout, long long *sout)
{
	if (json_is_integer(v)) {
		long long x = json_integer_value(v);

		if (x < min || (x >= 0 && (unsigned long long)x > max)) {
			fail(d, path, k, "%lld is out of range", x);
			return false;
		}
		*sout = x;
		*uout = (unsigned long long)x;
		return true;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v);

		if (x != (double)(long long)x || x < (double)min ||
		    x > (double)max) {
			fail(d, path, k, "%g is not an integer in range", x);
			return false;
		}
		*sout = (long long)x;
		*uout = (unsigned long long)*sout;
		return true;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		errno = 0;
		if (*s == '-') {
			long long x = strtoll(s, &end, 10);

			if (errno || *end || end == s || x < min) {
				fail(d, path, k, "'%.40s' is not an integer in range", s);
				return false;
			}
			*sout = x;
			*uout = (unsigned long long)x;
			return true;
		}
		unsigned long long x = strtoull(s, &end, 10);

		if (errno || *end || end == s || x > max ||
		    (*s < '0' || *s > '9')) {
			fail(d, path, k, "'%.40s' is not an integer in range", s);
			return false;
		}
		*uout = x;
		*sout = (long long)x;
		return true;
	}
	fail(d, path, k, "expected a number");
	return false;
}

static uint32_t get_u32(struct dec *d, const char *path, const char *k,
			json_t *v)
{
	unsigned long long u = 0;
	long long s = 0;

	return get_int(d, path, k, v, 0, UINT32_MAX, &u, &s) ? (uint32_t)u : 0;
}

static uint64_t get_u64(struct dec *d, const char *path, const char *k,
			json_t *v)
{
	unsigned long long u = 0;
	long long s = 0;

	return get_int(d, path, k, v, 0, UINT64_MAX, &u, &s) ? (uint64_t)u : 0;
}

static int32_t get_i32(struct dec *d, const char *path, const char *k,
		       json_t *v)
{
	unsigned long long u = 0;
	long long s = 0;

	return get_int(d, path, k, v, INT32_MIN, INT32_MAX, &u, &s) ?
		       (int32_t)s :
		       0;
}

static bool get_bool(struct dec *d, const char *path, const char *k, json_t *v)
{
	if (!json_is_boolean(v)) {
		fail(d, path, k, "expected true or false");
		return false;
	}
	return json_is_true(v);
}

/* An enum by name or number. Unknown names read as 0, as they do in
 * `hubble observe --input-file` (its retry discards unknown values). */
static uint32_t get_enum(struct dec *d, const char *path, const char *k,
			 json_t *v, int (*parse)(const char *))
{
	if (json_is_string(v)) {
		int x = parse(json_string_value(v));

		return x < 0 ? 0 : (uint32_t)x;
	}
	if (json_is_integer(v))
		return get_u32(d, path, k, v);
	fail(d, path, k, "expected an enum name or number");
	return 0;
}

static const char **get_strv(struct dec *d, const char *path, const char *k,
			     json_t *v, size_t *n)
{
	const char **out;
	size_t i;
	json_t *item;

	*n = 0;
	if (!json_is_array(v)) {
		fail(d, path, k, "expected a list of strings");
		return NULL;
	}
	if (!json_array_size(v))
		return NULL;
	out = dalloc(d, json_array_size(v) * sizeof(*out));
	if (!out)
		return NULL;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			fail(d, path, k, "item %zu is not a string", i);
			return NULL;
		}
		out[i] = json_string_value(item);
	}
	*n = json_array_size(v);
	return out;
}

static bool need_object(struct dec *d, const char *path, const char *k,
			json_t *v)
{
	if (json_is_object(v))
		return true;
	fail(d, path, k, "expected an object");
	return false;
}

/* ---- messages ----------------------------------------------------------- */

#define FOREACH_FIELD(obj, k, v) \
	json_object_foreach(obj, k, v) if (!json_is_null(v) && !d->ret)

static int parse_ip_version(const char *name)
{
	return !strcmp(name, "IPv4") ? 1 : !strcmp(name, "IPv6") ? 2 :
	       !strcmp(name, "IP_NOT_USED") ? 0 : -1;
}

static void dec_ip(struct dec *d, json_t *obj, struct dfl_flow_ip *ip)
{
	const char *src = NULL, *dst = NULL, *xl = NULL, *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		if (key_is(k, "source"))
			src = get_str(d, "flow.IP", k, v);
		else if (key_is(k, "destination"))
			dst = get_str(d, "flow.IP", k, v);
		else if (key_is(k, "source_xlated"))
			xl = get_str(d, "flow.IP", k, v);
		else if (key_is(k, "ipVersion"))
			ip->version = get_enum(d, "flow.IP", k, v, parse_ip_version) == 2 ? 6 : 4;
		else if (key_is(k, "encrypted"))
			ip->encrypted = get_bool(d, "flow.IP", k, v);
	}
	if (d->ret)
		return;
	if (!ip->version)
		ip->version = (src && strchr(src, ':')) || (dst && strchr(dst, ':')) ? 6 : 4;
	if (src && *src &&
	    inet_pton(ip->version == 6 ? AF_INET6 : AF_INET, src, ip->source) != 1)
		fail(d, "flow.IP", "source", "'%.64s' is not an IPv%u address",
		     src, ip->version);
	if (dst && *dst &&
	    inet_pton(ip->version == 6 ? AF_INET6 : AF_INET, dst,
		      ip->destination) != 1)
		fail(d, "flow.IP", "destination",
		     "'%.64s' is not an IPv%u address", dst, ip->version);
	if (xl && *xl) {
		ip->has_source_xlated = true;
		if (inet_pton(ip->version == 6 ? AF_INET6 : AF_INET, xl,
			      ip->source_xlated) != 1)
			fail(d, "flow.IP", "source_xlated",
			     "'%.64s' is not an IPv%u address", xl, ip->version);
	}
}

static void dec_mac(struct dec *d, const char *k, json_t *v, uint8_t *mac)
{
	const char *s = get_str(d, "flow.ethernet", k, v);
	unsigned int b[6];
	char tail;

	if (!s)
		return;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6) {
		fail(d, "flow.ethernet", k, "'%.40s' is not a MAC address", s);
		return;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

static void dec_tcp_flags(struct dec *d, json_t *obj, uint16_t *flags)
{
	static const struct {
		const char *name;
		uint16_t bit;
	} names[] = {
		{ "FIN", DFL_TCP_FIN }, { "SYN", DFL_TCP_SYN },
		{ "RST", DFL_TCP_RST }, { "PSH", DFL_TCP_PSH },
		{ "ACK", DFL_TCP_ACK }, { "URG", DFL_TCP_URG },
		{ "ECE", DFL_TCP_ECE }, { "CWR", DFL_TCP_CWR },
		{ "NS", DFL_TCP_NS },
	};
	const char *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(k, names[i].name) &&
			    get_bool(d, "flow.l4.TCP.flags", k, v))
				*flags |= names[i].bit;
	}
}

static void dec_l4(struct dec *d, json_t *obj, struct dfl_flow_l4 *l4)
{
	static const struct {
		const char *name;
		enum dfl_l4_proto proto;
	} protos[] = {
		{ "TCP", DFL_L4_TCP },	     { "UDP", DFL_L4_UDP },
		{ "ICMPv4", DFL_L4_ICMPV4 }, { "ICMPv6", DFL_L4_ICMPV6 },
		{ "SCTP", DFL_L4_SCTP },
	};
	const char *k, *k2;
	json_t *v, *v2;

	FOREACH_FIELD(obj, k, v)
	{
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
			if (strcmp(k, protos[i].name))
				continue;
			if (!need_object(d, "flow.l4", k, v))
				return;
			l4->proto = protos[i].proto;
			FOREACH_FIELD(v, k2, v2)
			{
				if (key_is(k2, "source_port"))
					l4->source_port = (uint16_t)get_u32(d, "flow.l4", k2, v2);
				else if (key_is(k2, "destination_port"))
					l4->destination_port = (uint16_t)get_u32(d, "flow.l4", k2, v2);
				else if (!strcmp(k2, "type"))
					l4->icmp_type = (uint8_t)get_u32(d, "flow.l4", k2, v2);
				else if (!strcmp(k2, "code"))
					l4->icmp_code = (uint8_t)get_u32(d, "flow.l4", k2, v2);
				else if (!strcmp(k2, "flags") &&
					 need_object(d, "flow.l4.TCP", k2, v2))
					dec_tcp_flags(d, v2, &l4->tcp_flags);
			}
		}
	}
}

static void dec_endpoint(struct dec *d, const char *path, json_t *obj,
			 struct dfl_flow_endpoint *ep)
{
	const char *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		if (!strcmp(k, "ID"))
			ep->id = get_u32(d, path, k, v);
		else if (key_is(k, "identity"))
			ep->identity = get_u32(d, path, k, v);
		else if (key_is(k, "cluster_name"))
			ep->cluster_name = get_str(d, path, k, v);
		else if (key_is(k, "namespace"))
			ep->namespace = get_str(d, path, k, v);
		else if (key_is(k, "pod_name"))
			ep->pod_name = get_str(d, path, k, v);
		else if (key_is(k, "labels"))
			ep->labels = get_strv(d, path, k, v, &ep->n_labels);
		else if (key_is(k, "workloads")) {
			struct dfl_flow_workload *w;
			size_t i;
			json_t *item, *f;

			if (!json_is_array(v)) {
				fail(d, path, k, "expected a list");
				return;
			}
			w = dalloc(d, (json_array_size(v) + 1) * sizeof(*w));
			if (!w)
				return;
			json_array_foreach(v, i, item) {
				if (!need_object(d, path, k, item))
					return;
				f = json_object_get(item, "name");
				if (f && !json_is_null(f))
					w[i].name = get_str(d, path, "name", f);
				f = json_object_get(item, "kind");
				if (f && !json_is_null(f))
					w[i].kind = get_str(d, path, "kind", f);
			}
			ep->workloads = w;
			ep->n_workloads = json_array_size(v);
		}
	}
}

static void dec_service(struct dec *d, const char *path, json_t *obj,
			struct dfl_flow_service *svc)
{
	const char *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		if (key_is(k, "name"))
			svc->name = get_str(d, path, k, v);
		else if (key_is(k, "namespace"))
			svc->namespace = get_str(d, path, k, v);
	}
}

static void dec_http(struct dec *d, json_t *obj, struct dfl_flow_http *h)
{
	const char *path = "flow.l7.http", *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		if (key_is(k, "code"))
			h->code = get_u32(d, path, k, v);
		else if (key_is(k, "method"))
			h->method = get_str(d, path, k, v);
		else if (key_is(k, "url"))
			h->url = get_str(d, path, k, v);
		else if (key_is(k, "protocol"))
			h->protocol = get_str(d, path, k, v);
		else if (key_is(k, "headers")) {
			size_t i;
			json_t *item, *f;

			if (!json_is_array(v)) {
				fail(d, path, k, "expected a list");
				return;
			}
			h->headers = dalloc(d, (json_array_size(v) + 1) *
						       sizeof(*h->headers));
			if (!h->headers)
				return;
			json_array_foreach(v, i, item) {
				if (!need_object(d, path, k, item))
					return;
				f = json_object_get(item, "key");
				if (f && !json_is_null(f))
					h->headers[i].key = get_str(d, path, "key", f);
				f = json_object_get(item, "value");
				if (f && !json_is_null(f))
					h->headers[i].value = get_str(d, path, "value", f);
			}
			h->n_headers = json_array_size(v);
		}
	}
}

static void dec_dns(struct dec *d, json_t *obj, struct dfl_flow_dns *dns)
{
	const char *path = "flow.l7.dns", *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		if (key_is(k, "query"))
			dns->query = get_str(d, path, k, v);
		else if (key_is(k, "ips"))
			dns->ips = get_strv(d, path, k, v, &dns->n_ips);
		else if (key_is(k, "ttl"))
			dns->ttl = get_u32(d, path, k, v);
		else if (key_is(k, "cnames"))
			dns->cnames = get_strv(d, path, k, v, &dns->n_cnames);
		else if (key_is(k, "observation_source"))
			dns->observation_source = get_str(d, path, k, v);
		else if (key_is(k, "rcode"))
			dns->rcode = get_u32(d, path, k, v);
		else if (key_is(k, "qtypes"))
			dns->qtypes = get_strv(d, path, k, v, &dns->n_qtypes);
		else if (key_is(k, "rrtypes"))
			dns->rrtypes = get_strv(d, path, k, v, &dns->n_rrtypes);
	}
}

static void dec_l7(struct dec *d, json_t *obj, struct dfl_flow_l7 *l7)
{
	const char *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		if (key_is(k, "type"))
			l7->type = get_enum(d, "flow.l7", k, v, dfl_l7_type__parse);
		else if (key_is(k, "latency_ns"))
			l7->latency_ns = get_u64(d, "flow.l7", k, v);
		else if (!strcmp(k, "http") && need_object(d, "flow.l7", k, v)) {
			l7->proto = DFL_L7_PROTO_HTTP;
			dec_http(d, v, &l7->http);
		} else if (!strcmp(k, "dns") && need_object(d, "flow.l7", k, v)) {
			l7->proto = DFL_L7_PROTO_DNS;
			dec_dns(d, v, &l7->dns);
		}
	}
}

#define LABEL_DEFAULT_DENY "deflector:attribution=default-deny"
#define LABEL_RULE_PREFIX "deflector:rule="

static void dec_policies(struct dec *d, const char *k, json_t *v,
			 struct dfl_flow_policies *pl)
{
	struct dfl_flow_policy *items;
	size_t i;
	json_t *item;

	if (!json_is_array(v)) {
		fail(d, "flow", k, "expected a list of policies");
		return;
	}
	items = dalloc(d, (json_array_size(v) + 1) * sizeof(*items));
	if (!items)
		return;
	json_array_foreach(v, i, item) {
		struct dfl_flow_policy *p = &items[i];
		const char *pk;
		json_t *pv;
		size_t kept = 0;

		if (!need_object(d, "flow", k, item))
			return;
		FOREACH_FIELD(item, pk, pv)
		{
			if (key_is(pk, "name"))
				p->name = get_str(d, k, pk, pv);
			else if (key_is(pk, "namespace"))
				p->namespace = get_str(d, k, pk, pv);
			else if (key_is(pk, "kind"))
				p->kind = get_str(d, k, pk, pv);
			else if (key_is(pk, "revision"))
				p->revision = get_u64(d, k, pk, pv);
			else if (key_is(pk, "labels"))
				p->labels = get_strv(d, k, pk, pv, &p->n_labels);
		}
		/* deflector's attribution labels back into fields */
		for (size_t j = 0; j < p->n_labels; j++) {
			const char *l = p->labels[j];

			if (!strcmp(l, LABEL_DEFAULT_DENY))
				p->default_deny = true;
			else if (!strncmp(l, LABEL_RULE_PREFIX,
					  sizeof(LABEL_RULE_PREFIX) - 1))
				p->rule = l + sizeof(LABEL_RULE_PREFIX) - 1;
			else
				p->labels[kept++] = l;
		}
		p->n_labels = kept;
	}
	pl->items = items;
	pl->n = json_array_size(v);
}

static void dec_time(struct dec *d, const char *path, const char *k, json_t *v,
		     int64_t *ns)
{
	const char *s = get_str(d, path, k, v);

	if (s && dfl_json__parse_time(s, ns))
		fail(d, path, k, "'%.40s' is not an RFC 3339 timestamp", s);
}

static void dec_flow(struct dec *d, json_t *obj, struct dfl_flow *f)
{
	const char *k, *s;
	json_t *v, *v2;
	bool has_desc = false;
	uint32_t desc = 0;

	FOREACH_FIELD(obj, k, v)
	{
		if (key_is(k, "time")) {
			dec_time(d, "flow", k, v, &f->time_ns);
		} else if (key_is(k, "uuid")) {
			s = get_str(d, "flow", k, v);
			if (s && strlen(s) >= sizeof(f->uuid))
				fail(d, "flow", k, "longer than 36 characters");
			else if (s)
				strcpy(f->uuid, s);
		} else if (key_is(k, "verdict")) {
			f->verdict = get_enum(d, "flow", k, v, dfl_verdict__parse);
		} else if (key_is(k, "drop_reason")) {
			f->drop_reason = get_u32(d, "flow", k, v);
		} else if (key_is(k, "drop_reason_desc")) {
			desc = get_enum(d, "flow", k, v, dfl_drop_reason__parse);
			has_desc = true;
		} else if (key_is(k, "auth_type")) {
			f->auth_type = get_enum(d, "flow", k, v, dfl_auth_type__parse);
		} else if (key_is(k, "ethernet")) {
			if (!need_object(d, "flow", k, v))
				break;
			f->has_ethernet = true;
			if ((v2 = json_object_get(v, "source")) && !json_is_null(v2))
				dec_mac(d, "source", v2, f->ethernet_source);
			if ((v2 = json_object_get(v, "destination")) &&
			    !json_is_null(v2))
				dec_mac(d, "destination", v2,
					f->ethernet_destination);
		} else if (!strcmp(k, "IP")) {
			if (need_object(d, "flow", k, v))
				dec_ip(d, v, &f->ip);
		} else if (!strcmp(k, "l4")) {
			if (need_object(d, "flow", k, v))
				dec_l4(d, v, &f->l4);
		} else if (key_is(k, "source")) {
			if (need_object(d, "flow", k, v))
				dec_endpoint(d, "flow.source", v, &f->source);
		} else if (key_is(k, "destination")) {
			if (need_object(d, "flow", k, v))
				dec_endpoint(d, "flow.destination", v,
					     &f->destination);
		} else if (!strcmp(k, "Type")) {
			f->type = get_enum(d, "flow", k, v, dfl_flow_type__parse);
		} else if (key_is(k, "node_name")) {
			f->node_name = get_str(d, "flow", k, v);
		} else if (key_is(k, "source_names")) {
			f->source_names =
				get_strv(d, "flow", k, v, &f->n_source_names);
		} else if (key_is(k, "destination_names")) {
			f->destination_names =
				get_strv(d, "flow", k, v, &f->n_destination_names);
		} else if (!strcmp(k, "l7")) {
			if (need_object(d, "flow", k, v))
				dec_l7(d, v, &f->l7);
		} else if (key_is(k, "event_type")) {
			if (!need_object(d, "flow", k, v))
				break;
			if ((v2 = json_object_get(v, "type")) && !json_is_null(v2))
				f->event_type = get_i32(d, "flow.event_type", "type", v2);
			if (((v2 = json_object_get(v, "sub_type")) ||
			     (v2 = json_object_get(v, "subType"))) &&
			    !json_is_null(v2))
				f->event_sub_type = get_i32(d, "flow.event_type",
							    "sub_type", v2);
		} else if (key_is(k, "source_service")) {
			if (need_object(d, "flow", k, v))
				dec_service(d, "flow.source_service", v,
					    &f->source_service);
		} else if (key_is(k, "destination_service")) {
			if (need_object(d, "flow", k, v))
				dec_service(d, "flow.destination_service", v,
					    &f->destination_service);
		} else if (key_is(k, "traffic_direction")) {
			f->traffic_direction =
				get_enum(d, "flow", k, v, dfl_direction__parse);
		} else if (key_is(k, "policy_match_type")) {
			f->policy_match_type = get_u32(d, "flow", k, v);
		} else if (key_is(k, "trace_observation_point")) {
			f->trace_observation_point =
				get_enum(d, "flow", k, v, dfl_trace_point__parse);
		} else if (key_is(k, "trace_reason")) {
			f->trace_reason =
				get_enum(d, "flow", k, v, dfl_trace_reason__parse);
		} else if (key_is(k, "file")) {
			if (!need_object(d, "flow", k, v))
				break;
			if ((v2 = json_object_get(v, "name")) && !json_is_null(v2))
				f->file_name = get_str(d, "flow.file", "name", v2);
			if ((v2 = json_object_get(v, "line")) && !json_is_null(v2))
				f->file_line = get_u32(d, "flow.file", "line", v2);
		} else if (key_is(k, "is_reply")) {
			/* a BoolValue: bare, or {"value": b} from older writers */
			if (json_is_object(v))
				v = json_object_get(v, "value");
			f->is_reply = v && get_bool(d, "flow", k, v) ?
					      DFL_REPLY_YES :
					      DFL_REPLY_NO;
		} else if (key_is(k, "interface")) {
			if (!need_object(d, "flow", k, v))
				break;
			if ((v2 = json_object_get(v, "index")) && !json_is_null(v2))
				f->interface_index =
					get_u32(d, "flow.interface", "index", v2);
			if ((v2 = json_object_get(v, "name")) && !json_is_null(v2))
				f->interface_name =
					get_str(d, "flow.interface", "name", v2);
		} else if (key_is(k, "proxy_port")) {
			f->proxy_port = get_u32(d, "flow", k, v);
		} else if (key_is(k, "trace_context")) {
			json_t *parent = json_is_object(v) ?
						 json_object_get(v, "parent") :
						 NULL;

			if (!need_object(d, "flow", k, v))
				break;
			if (parent && json_is_object(parent) &&
			    ((v2 = json_object_get(parent, "trace_id")) ||
			     (v2 = json_object_get(parent, "traceId"))) &&
			    !json_is_null(v2))
				f->trace_id = get_str(d, "flow.trace_context.parent",
						      "trace_id", v2);
		} else if (!strcmp(k, "Summary")) {
			f->summary = get_str(d, "flow", k, v);
		} else if (key_is(k, "egress_allowed_by")) {
			dec_policies(d, k, v, &f->egress_allowed_by);
		} else if (key_is(k, "ingress_allowed_by")) {
			dec_policies(d, k, v, &f->ingress_allowed_by);
		} else if (key_is(k, "egress_denied_by")) {
			dec_policies(d, k, v, &f->egress_denied_by);
		} else if (key_is(k, "ingress_denied_by")) {
			dec_policies(d, k, v, &f->ingress_denied_by);
		}
		/* "reply" duplicates is_reply; other fields are not modelled */
	}
	if (has_desc && desc)
		f->drop_reason = desc;
}

static void dec_lost(struct dec *d, json_t *obj, struct dfl_lost_events *l)
{
	const char *k;
	json_t *v;

	FOREACH_FIELD(obj, k, v)
	{
		if (key_is(k, "source"))
			l->source = get_enum(d, "lost_events", k, v,
					     dfl_lost_source__parse);
		else if (key_is(k, "num_events_lost"))
			l->num_events_lost = get_u64(d, "lost_events", k, v);
		else if (key_is(k, "cpu")) {
			if (json_is_object(v))
				v = json_object_get(v, "value");
			l->has_cpu = true;
			l->cpu = v ? get_i32(d, "lost_events", k, v) : 0;
		}
	}
}

int dfl_flow_record__from_json(const char *line, size_t len,
			       struct dfl_flow_record *rec,
			       struct dfl_json_error *err)
{
	struct dec dstate = { .line = line, .len = len, .err = err };
	struct dec *d = &dstate;
	struct dfl_flow f = { 0 };
	json_error_t jerr;
	const char *k, *node_name = NULL;
	json_t *root, *v;

	memset(rec, 0, sizeof(*rec));
	memset(err, 0, sizeof(*err));
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		err->offset = jerr.position > 0 ? (size_t)jerr.position - 1 : 0;
		if (err->offset > len)
			err->offset = len;
		snprintf(err->text, sizeof(err->text), "invalid JSON: %s",
			 jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err->text, sizeof(err->text),
			 "expected a JSON object per line");
		json_decref(root);
		return -EINVAL;
	}
	rec->kind = DFL_RECORD_OTHER;
	FOREACH_FIELD(root, k, v)
	{
		if (!strcmp(k, "flow")) {
			if (!need_object(d, "", k, v))
				break;
			rec->kind = DFL_RECORD_FLOW;
			dec_flow(d, v, &f);
		} else if (key_is(k, "lost_events")) {
			if (!need_object(d, "", k, v))
				break;
			rec->kind = DFL_RECORD_LOST;
			dec_lost(d, v, &rec->lost);
		} else if (key_is(k, "node_name")) {
			node_name = get_str(d, "", k, v);
		} else if (!strcmp(k, "time")) {
			dec_time(d, "", k, v, &rec->time_ns);
		}
	}
	if (!d->ret && node_name && *node_name) {
		rec->node_name = strdup(node_name);
		if (!rec->node_name)
			d->ret = -ENOMEM;
	}
	if (!d->ret && rec->kind == DFL_RECORD_FLOW) {
		rec->flow = dfl_flow__dup(&f);
		if (!rec->flow)
			d->ret = -ENOMEM;
	}
	dfree(d);
	json_decref(root);
	if (d->ret) {
		dfl_flow_record__release(rec);
		if (d->ret == -ENOMEM)
			snprintf(err->text, sizeof(err->text), "out of memory");
	}
	return d->ret;
}

void dfl_flow_record__release(struct dfl_flow_record *rec)
{
	if (!rec)
		return;
	dfl_flow__free(rec->flow);
	free(rec->node_name);
	memset(rec, 0, sizeof(*rec));
}

/* ---- timestamps --------------------------------------------------------- */

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int dfl_json__parse_time(const char *s, int64_t *ns)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, off = 0, oh, om;
	int64_t frac = 0, days, total;
	const char *p;
	int nd = 0;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 59 || y < 1678 || y > 2261)
		return -EINVAL;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -EINVAL;
	p = s + 19;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nd == 9)
				return -EINVAL;
			frac = frac * 10 + (*p++ - '0');
			nd++;
		}
		if (!nd)
			return -EINVAL;
		for (int i = nd; i < 9; i++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) &&
		   p[3] == ':' && digits(p + 4, 2, &om) && oh < 24 && om < 60) {
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	days = days_from_civil(y, mo, d);
	total = ((days * 24 + h) * 60 + mi) * 60 + sec - off;
	*ns = total * 1000000000 + frac;
	return 0;
}
