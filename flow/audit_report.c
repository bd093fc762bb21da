/* `deflector audit report` (flow/audit.h): drop counts per dimension. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/audit.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/printer.h"
#include "util/mem.h"

struct count {
	char *key;
	uint64_t n;
};

/* A string -> count table (open addressing, grows at half full). */
struct counts {
	struct count *slots;
	size_t cap, used;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int counts_add(struct counts *c, const char *key)
{
	size_t i;

	if (2 * (c->used + 1) > c->cap) {
		struct counts bigger = { 0 };

		bigger.cap = c->cap ? 2 * c->cap : 64;
		bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
		if (!bigger.slots)
			return -ENOMEM;
		for (size_t j = 0; j < c->cap; j++) {
			if (!c->slots[j].key)
				continue;
			i = hash(c->slots[j].key) & (bigger.cap - 1);
			while (bigger.slots[i].key)
				i = (i + 1) & (bigger.cap - 1);
			bigger.slots[i] = c->slots[j];
		}
		bigger.used = c->used;
		free(c->slots);
		*c = bigger;
	}
	i = hash(key) & (c->cap - 1);
	while (c->slots[i].key && strcmp(c->slots[i].key, key))
		i = (i + 1) & (c->cap - 1);
	if (!c->slots[i].key) {
		c->slots[i].key = strdup(key);
		if (!c->slots[i].key)
			return -ENOMEM;
		c->used++;
	}
	c->slots[i].n++;
	return 0;
}

static void counts_release(struct counts *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].key);
	free(c->slots);
}

struct dfl_report {
	struct dfl_report_opts opts;
	struct counts dims[DFL_REPORT_DIMS];
	uint64_t total;
	int64_t first, last; /* times of the counted records */
	int err;
};

static const char *const dim_names[] = { "source", "destination", "port",
					 "reason", "policy" };

struct dfl_report *dfl_report__new(const struct dfl_report_opts *opts)
{
	struct dfl_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->opts = *opts;
	if (!r->opts.verdict_dropped && !r->opts.verdict_audit)
		r->opts.verdict_dropped = true;
	return r;
}

static void endpoint_key(const struct dfl_flow *f, bool src,
			 struct dfl_strbuf *out)
{
	const struct dfl_flow_endpoint *ep = src ? &f->source : &f->destination;
	char ip[64];

	if (ep->pod_name && *ep->pod_name) {
		dfl_strbuf__printf(out, "%s%s%s",
				   ep->namespace ? ep->namespace : "",
				   ep->namespace ? "/" : "", ep->pod_name);
		return;
	}
	if (f->ip.version) {
		dfl_flow_ip__str(&f->ip, src ? f->ip.source : f->ip.destination,
				 ip, sizeof(ip));
		dfl_strbuf__puts(out, ip);
	}
	if (dfl_identity__reserved_name(ep->identity))
		dfl_strbuf__printf(out, "%s(%s)", f->ip.version ? " " : "",
				   dfl_identity__reserved_name(ep->identity));
	else if (!f->ip.version)
		dfl_strbuf__printf(out, "identity %u", ep->identity);
}

static void port_key(const struct dfl_flow *f, struct dfl_strbuf *out)
{
	switch (f->l4.proto) {
	case DFL_L4_TCP:
		dfl_strbuf__printf(out, "TCP/%u", f->l4.destination_port);
		break;
	case DFL_L4_UDP:
		dfl_strbuf__printf(out, "UDP/%u", f->l4.destination_port);
		break;
	case DFL_L4_SCTP:
		dfl_strbuf__printf(out, "SCTP/%u", f->l4.destination_port);
		break;
	case DFL_L4_ICMPV4:
		dfl_strbuf__puts(out, "ICMPv4");
		break;
	case DFL_L4_ICMPV6:
		dfl_strbuf__puts(out, "ICMPv6");
		break;
	default:
		dfl_strbuf__puts(out, "-");
	}
}

static void reason_key(const struct dfl_flow *f, struct dfl_strbuf *out)
{
	const char *name = dfl_drop_reason__name(f->drop_reason);

	if (f->verdict == DFL_VERDICT_AUDIT)
		dfl_strbuf__puts(out, "AUDIT ");
	if (f->l7.proto == DFL_L7_PROTO_HTTP)
		dfl_strbuf__puts(out, "l7/http");
	else if (f->l7.proto == DFL_L7_PROTO_DNS)
		dfl_strbuf__puts(out, "l7/dns");
	else if (f->drop_reason && name)
		dfl_strbuf__puts(out, name);
	else if (f->drop_reason)
		dfl_strbuf__printf(out, "%u", f->drop_reason);
	else
		dfl_strbuf__puts(out, "POLICY_DENIED");
}

static bool in_namespace(const struct dfl_flow *f, const char *ns)
{
	return (f->source.namespace && !strcmp(f->source.namespace, ns)) ||
	       (f->destination.namespace &&
		!strcmp(f->destination.namespace, ns));
}

static void add_policies(struct dfl_report *r, const struct dfl_flow *f)
{
	const struct dfl_flow_policies *lists[] = { &f->ingress_denied_by,
						    &f->egress_denied_by };
	struct dfl_strbuf key = { 0 };
	bool any = false;

	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct dfl_flow_policy *p = &lists[l]->items[i];

			dfl_strbuf__reset(&key);
			dfl_strbuf__printf(&key, "%s%s%s (%s)%s",
					   p->namespace ? p->namespace : "",
					   p->namespace ? "/" : "",
					   p->name ? p->name : "?",
					   p->kind ? p->kind : "?",
					   p->default_deny ? " default deny" : "");
			if (!r->err)
				r->err = counts_add(&r->dims[DFL_REPORT_POLICY],
						    dfl_strbuf__str(&key));
			any = true;
		}
	}
	if (!any && !r->err)
		r->err = counts_add(&r->dims[DFL_REPORT_POLICY], "(none)");
	dfl_strbuf__release(&key);
}

void dfl_report__add(struct dfl_report *r, const struct dfl_flow_record *rec)
{
	const struct dfl_flow *f = rec->flow;
	int64_t t = rec->time_ns ? rec->time_ns : f ? f->time_ns : 0;
	struct dfl_strbuf key = { 0 };

	if (rec->kind != DFL_RECORD_FLOW || !f)
		return;
	if ((r->opts.since && t < r->opts.since) ||
	    (r->opts.until && t > r->opts.until))
		return;
	if (r->opts.namespace && !in_namespace(f, r->opts.namespace))
		return;
	if (f->verdict == DFL_VERDICT_DROPPED) {
		/* one count per drop: the drop event, not its verdict */
		if (!r->opts.verdict_dropped ||
		    f->event_type == DFL_EVENT_POLICY_VERDICT)
			return;
	} else if (f->verdict != DFL_VERDICT_AUDIT || !r->opts.verdict_audit) {
		return;
	}
	r->total++;
	if (!r->first || t < r->first)
		r->first = t;
	if (t > r->last)
		r->last = t;
	for (int d = 0; d < DFL_REPORT_POLICY && !r->err; d++) {
		dfl_strbuf__reset(&key);
		switch (d) {
		case DFL_REPORT_SOURCE:
			endpoint_key(f, true, &key);
			break;
		case DFL_REPORT_DESTINATION:
			endpoint_key(f, false, &key);
			break;
		case DFL_REPORT_PORT:
			port_key(f, &key);
			break;
		case DFL_REPORT_REASON:
			reason_key(f, &key);
			break;
		}
		r->err = key.err ? key.err :
				   counts_add(&r->dims[d], dfl_strbuf__str(&key));
	}
	add_policies(r, f);
	dfl_strbuf__release(&key);
}

uint64_t dfl_report__total(const struct dfl_report *r)
{
	return r->total;
}

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The entries of one dimension, largest first; caller frees the array. */
static struct count *sorted(const struct counts *c)
{
	struct count *v = calloc(c->used ? c->used : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].key)
			v[n++] = c->slots[i];
	qsort(v, n, sizeof(*v), by_count);
	return v;
}

static void csv_field(struct dfl_strbuf *out, const char *s)
{
	dfl_strbuf__putc(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			dfl_strbuf__putc(out, '"');
		dfl_strbuf__putc(out, *s);
	}
	dfl_strbuf__putc(out, '"');
}

int dfl_report__render(const struct dfl_report *r, const char *format,
		       struct dfl_strbuf *out)
{
	bool json = !strcmp(format, "json"), csv = !strcmp(format, "csv");

	if (r->err)
		return r->err;
	if (!json && !csv && strcmp(format, "text"))
		return -EINVAL;
	if (json) {
		dfl_strbuf__puts(out, "{\"since\":");
		if (r->opts.since)
			dfl_json__put_time(out, r->opts.since);
		else
			dfl_strbuf__puts(out, "null");
		dfl_strbuf__puts(out, ",\"until\":");
		if (r->opts.until)
			dfl_json__put_time(out, r->opts.until);
		else
			dfl_strbuf__puts(out, "null");
		dfl_strbuf__printf(out, ",\"total\":%" PRIu64, r->total);
	} else if (csv) {
		dfl_strbuf__puts(out, "dimension,key,count\n");
	} else {
		struct dfl_strbuf a = { 0 }, b = { 0 };

		dfl_format_time(r->first, DFL_TIME_RFC3339_NANO, &a);
		dfl_format_time(r->last, DFL_TIME_RFC3339_NANO, &b);
		dfl_strbuf__printf(out, "%" PRIu64 " %s", r->total,
				   r->opts.verdict_audit && !r->opts.verdict_dropped ?
					   "audited (would-be) drops" :
				   r->opts.verdict_audit ? "drops and audited drops" :
							   "drops");
		if (r->total)
			dfl_strbuf__printf(out, " between %s and %s",
					   dfl_strbuf__str(&a), dfl_strbuf__str(&b));
		dfl_strbuf__puts(out, "\n");
		dfl_strbuf__release(&a);
		dfl_strbuf__release(&b);
	}
	for (int d = 0; d < DFL_REPORT_DIMS; d++) {
		struct count *v = sorted(&r->dims[d]);

		if (!v)
			return -ENOMEM;
		if (json)
			dfl_strbuf__printf(out, ",\"by_%s\":[", dim_names[d]);
		else if (!csv)
			dfl_strbuf__printf(out, "\nBY %s\n%10s  %s\n",
					   dim_names[d], "COUNT",
					   dim_names[d]);
		for (size_t i = 0; i < r->dims[d].used; i++) {
			if (json) {
				dfl_strbuf__printf(out, "%s{\"key\":", i ? "," : "");
				dfl_json__put_string(out, v[i].key);
				dfl_strbuf__printf(out, ",\"count\":%" PRIu64 "}",
						   v[i].n);
			} else if (csv) {
				dfl_strbuf__printf(out, "%s,", dim_names[d]);
				csv_field(out, v[i].key);
				dfl_strbuf__printf(out, ",%" PRIu64 "\n", v[i].n);
			} else {
				dfl_strbuf__printf(out, "%10" PRIu64 "  %s\n",
						   v[i].n, v[i].key);
			}
		}
		if (json)
			dfl_strbuf__putc(out, ']');
		free(v);
	}
	if (json)
		dfl_strbuf__puts(out, "}\n");
	return out->err;
}

void dfl_report__free(struct dfl_report *r)
{
	if (!r)
		return;
	for (int d = 0; d < DFL_REPORT_DIMS; d++)
		counts_release(&r->dims[d]);
	free(r);
}
