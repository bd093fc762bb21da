/* Flow records: deep copies into one block, Summary text, UUIDs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "flow/flow.h"

/* ---- copying into one block ------------------------------------------- */

/* Two passes over the same code: the first (base == NULL) measures, the
 * second copies into the block. */
struct packer {
	char *base;
	size_t off;
};

static void *pk_alloc(struct packer *p, size_t size, size_t align)
{
	void *r;

	p->off = (p->off + align - 1) & ~(align - 1);
	r = p->base ? p->base + p->off : NULL;
	p->off += size;
	return r;
}

static const char *pk_str(struct packer *p, const char *s)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	d = pk_alloc(p, n, 1);
	if (d)
		memcpy(d, s, n);
	return d;
}

static const char **pk_strv(struct packer *p, const char **v, size_t n)
{
	const char **d;

	if (!n)
		return NULL;
	d = pk_alloc(p, n * sizeof(*d), alignof(const char *));
	for (size_t i = 0; i < n; i++) {
		const char *s = pk_str(p, v[i]);

		if (d)
			d[i] = s;
	}
	return d;
}

static void pk_endpoint(struct packer *p, struct dfl_flow_endpoint *d,
			const struct dfl_flow_endpoint *s)
{
	struct dfl_flow_workload *w = NULL;

	d->cluster_name = pk_str(p, s->cluster_name);
	d->namespace = pk_str(p, s->namespace);
	d->pod_name = pk_str(p, s->pod_name);
	d->labels = pk_strv(p, s->labels, s->n_labels);
	if (s->n_workloads)
		w = pk_alloc(p, s->n_workloads * sizeof(*w), alignof(*w));
	for (size_t i = 0; i < s->n_workloads; i++) {
		const char *name = pk_str(p, s->workloads[i].name);
		const char *kind = pk_str(p, s->workloads[i].kind);

		if (w)
			w[i] = (struct dfl_flow_workload){ name, kind };
	}
	d->workloads = w;
}

static void pk_policies(struct packer *p, struct dfl_flow_policies *d,
			const struct dfl_flow_policies *s)
{
	struct dfl_flow_policy *items = NULL;

	if (s->n)
		items = pk_alloc(p, s->n * sizeof(*items), alignof(*items));
	for (size_t i = 0; i < s->n; i++) {
		struct dfl_flow_policy tmp = s->items[i];

		tmp.name = pk_str(p, tmp.name);
		tmp.namespace = pk_str(p, tmp.namespace);
		tmp.kind = pk_str(p, tmp.kind);
		tmp.labels = pk_strv(p, tmp.labels, tmp.n_labels);
		tmp.rule = pk_str(p, tmp.rule);
		if (items)
			items[i] = tmp;
	}
	d->items = items;
}

static void pk_flow(struct packer *p, struct dfl_flow *d,
		    const struct dfl_flow *s)
{
	struct dfl_flow_http_header *h = NULL;

	pk_endpoint(p, &d->source, &s->source);
	pk_endpoint(p, &d->destination, &s->destination);
	d->node_name = pk_str(p, s->node_name);
	d->source_names = pk_strv(p, s->source_names, s->n_source_names);
	d->destination_names =
		pk_strv(p, s->destination_names, s->n_destination_names);

	d->l7.http.method = pk_str(p, s->l7.http.method);
	d->l7.http.url = pk_str(p, s->l7.http.url);
	d->l7.http.protocol = pk_str(p, s->l7.http.protocol);
	if (s->l7.http.n_headers)
		h = pk_alloc(p, s->l7.http.n_headers * sizeof(*h), alignof(*h));
	for (size_t i = 0; i < s->l7.http.n_headers; i++) {
		const char *k = pk_str(p, s->l7.http.headers[i].key);
		const char *v = pk_str(p, s->l7.http.headers[i].value);

		if (h)
			h[i] = (struct dfl_flow_http_header){ k, v };
	}
	d->l7.http.headers = h;
	d->l7.dns.query = pk_str(p, s->l7.dns.query);
	d->l7.dns.ips = pk_strv(p, s->l7.dns.ips, s->l7.dns.n_ips);
	d->l7.dns.cnames = pk_strv(p, s->l7.dns.cnames, s->l7.dns.n_cnames);
	d->l7.dns.observation_source = pk_str(p, s->l7.dns.observation_source);
	d->l7.dns.qtypes = pk_strv(p, s->l7.dns.qtypes, s->l7.dns.n_qtypes);
	d->l7.dns.rrtypes = pk_strv(p, s->l7.dns.rrtypes, s->l7.dns.n_rrtypes);

	d->source_service.name = pk_str(p, s->source_service.name);
	d->source_service.namespace = pk_str(p, s->source_service.namespace);
	d->destination_service.name = pk_str(p, s->destination_service.name);
	d->destination_service.namespace =
		pk_str(p, s->destination_service.namespace);
	d->file_name = pk_str(p, s->file_name);
	d->interface_name = pk_str(p, s->interface_name);
	d->trace_id = pk_str(p, s->trace_id);
	d->summary = pk_str(p, s->summary);
	pk_policies(p, &d->egress_allowed_by, &s->egress_allowed_by);
	pk_policies(p, &d->ingress_allowed_by, &s->ingress_allowed_by);
	pk_policies(p, &d->egress_denied_by, &s->egress_denied_by);
	pk_policies(p, &d->ingress_denied_by, &s->ingress_denied_by);
}

struct dfl_flow *dfl_flow__pack(const struct dfl_flow *f, size_t headroom)
{
	struct packer p = { .off = headroom + sizeof(*f) };
	struct dfl_flow scratch = *f, *d;
	char *block;

	pk_flow(&p, &scratch, f);
	block = malloc(p.off);
	if (!block)
		return NULL;
	d = (struct dfl_flow *)(block + headroom);
	*d = *f;
	p = (struct packer){ .base = block, .off = headroom + sizeof(*f) };
	pk_flow(&p, d, f);
	return d;
}

struct dfl_flow *dfl_flow__dup(const struct dfl_flow *f)
{
	return dfl_flow__pack(f, 0);
}

void dfl_flow__free(struct dfl_flow *f)
{
	free(f);
}

/* ---- Summary ------------------------------------------------------------ */

static void put_join(struct dfl_strbuf *out, const char **v, size_t n,
		     const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			dfl_strbuf__puts(out, sep);
		dfl_strbuf__puts(out, v[i] ? v[i] : "");
	}
}

/* Go's %q of a plain string: quotes, with \" and \\ escaped and control
 * bytes as \x.. (names and addresses never hold other characters). */
static void put_quoted_join(struct dfl_strbuf *out, const char **v, size_t n)
{
	dfl_strbuf__putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (i)
			dfl_strbuf__putc(out, ',');
		for (const char *c = v[i] ? v[i] : ""; *c; c++) {
			if (*c == '"' || *c == '\\')
				dfl_strbuf__putc(out, '\\');
			if ((unsigned char)*c < 0x20)
				dfl_strbuf__printf(out, "\\x%02x",
						   (unsigned char)*c);
			else
				dfl_strbuf__putc(out, *c);
		}
	}
	dfl_strbuf__putc(out, '"');
}

static const char *s_or_empty(const char *s)
{
	return s ? s : "";
}

static void summary_http(const struct dfl_flow_l7 *l7, struct dfl_strbuf *out)
{
	const struct dfl_flow_http *h = &l7->http;

	if (l7->type == DFL_L7_RESPONSE)
		dfl_strbuf__printf(out, "%s %u %llums (%s %s)",
				   s_or_empty(h->protocol), h->code,
				   (unsigned long long)(l7->latency_ns / 1000000),
				   s_or_empty(h->method), s_or_empty(h->url));
	else
		dfl_strbuf__printf(out, "%s %s %s", s_or_empty(h->protocol),
				   s_or_empty(h->method), s_or_empty(h->url));
}

static void summary_dns(const struct dfl_flow_l7 *l7, struct dfl_strbuf *out)
{
	const struct dfl_flow_dns *d = &l7->dns;

	if (l7->type != DFL_L7_RESPONSE) {
		dfl_strbuf__printf(out, "DNS Query %s ", s_or_empty(d->query));
		put_join(out, d->qtypes, d->n_qtypes, ",");
		return;
	}
	dfl_strbuf__puts(out, "DNS Answer ");
	if (d->rcode) {
		const char *t = dfl_dns_rcode__text(d->rcode);

		if (t)
			dfl_strbuf__printf(out, "RCode: %s", t);
		else
			dfl_strbuf__printf(out, "RCode: %u", d->rcode);
	} else if (d->n_ips) {
		put_quoted_join(out, d->ips, d->n_ips);
		if (d->n_cnames) {
			dfl_strbuf__puts(out, " CNAMEs: ");
			put_quoted_join(out, d->cnames, d->n_cnames);
		}
	}
	dfl_strbuf__printf(out, " TTL: %u (%s %s ", d->ttl,
			   d->observation_source &&
					   !strcmp(d->observation_source, "proxy") ?
				   "Proxy" :
				   "Query",
			   s_or_empty(d->query));
	put_join(out, d->qtypes, d->n_qtypes, ",");
	dfl_strbuf__putc(out, ')');
}

static void summary_tcp(uint16_t flags, struct dfl_strbuf *out)
{
	/* Hubble's order, not the header's bit order. */
	static const struct {
		uint16_t bit;
		const char *name;
	} order[] = {
		{ DFL_TCP_SYN, "SYN" }, { DFL_TCP_ACK, "ACK" },
		{ DFL_TCP_RST, "RST" }, { DFL_TCP_FIN, "FIN" },
		{ DFL_TCP_PSH, "PSH" }, { DFL_TCP_URG, "URG" },
		{ DFL_TCP_ECE, "ECE" }, { DFL_TCP_CWR, "CWR" },
		{ DFL_TCP_NS, "NS" },
	};
	bool first = true;

	dfl_strbuf__puts(out, "TCP Flags: ");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(flags & order[i].bit))
			continue;
		dfl_strbuf__printf(out, "%s%s", first ? "" : ", ",
				   order[i].name);
		first = false;
	}
}

int dfl_flow__summary(const struct dfl_flow *f, struct dfl_strbuf *out)
{
	char icmp[64];

	if (f->l7.proto == DFL_L7_PROTO_HTTP) {
		summary_http(&f->l7, out);
		return out->err;
	}
	if (f->l7.proto == DFL_L7_PROTO_DNS) {
		summary_dns(&f->l7, out);
		return out->err;
	}
	switch (f->l4.proto) {
	case DFL_L4_TCP:
		summary_tcp(f->l4.tcp_flags, out);
		break;
	case DFL_L4_UDP:
		dfl_strbuf__puts(out, "UDP");
		break;
	case DFL_L4_SCTP:
		dfl_strbuf__puts(out, "SCTP");
		break;
	case DFL_L4_ICMPV4:
	case DFL_L4_ICMPV6:
		dfl_strbuf__printf(out, "ICMPv%c %s",
				   f->l4.proto == DFL_L4_ICMPV6 ? '6' : '4',
				   dfl_icmp__text(f->l4.proto == DFL_L4_ICMPV6,
						  f->l4.icmp_type,
						  f->l4.icmp_code, icmp,
						  sizeof(icmp)));
		break;
	case DFL_L4_NONE:
		if (f->l7.type != DFL_L7_UNKNOWN)
			break;
		if (f->ip.version)
			dfl_strbuf__printf(out, "IPv%u", f->ip.version);
		else if (f->has_ethernet)
			dfl_strbuf__puts(out, "Ethernet");
		break;
	}
	return out->err;
}

const char *dfl_flow__summary_str(const struct dfl_flow *f,
				  struct dfl_strbuf *scratch)
{
	if (f->summary)
		return f->summary;
	dfl_strbuf__reset(scratch);
	dfl_flow__summary(f, scratch);
	return dfl_strbuf__str(scratch);
}

/* ---- UUIDs, time, addresses -------------------------------------------- */

/* UUIDs need to be unique, not secret: a per-thread splitmix64 seeded once
 * from getrandom() keeps them off the syscall path. */
static uint64_t next_random(void)
{
	static _Thread_local uint64_t state;
	static _Thread_local bool seeded;
	uint64_t z;

	if (!seeded) {
		if (getrandom(&state, sizeof(state), 0) != sizeof(state))
			state = (uint64_t)dfl_time_now_ns() ^
				(uint64_t)(uintptr_t)&state;
		seeded = true;
	}
	z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void dfl_flow__set_uuid(struct dfl_flow *f)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	uint64_t r0 = next_random(), r1 = next_random();
	char *o = f->uuid;

	memcpy(b, &r0, 8);
	memcpy(b + 8, &r1, 8);
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o = '\0';
}

int64_t dfl_time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *dfl_flow_ip__str(const struct dfl_flow_ip *ip, const uint8_t *addr,
			     char *buf, size_t len)
{
	if (!inet_ntop(ip->version == 6 ? AF_INET6 : AF_INET, addr, buf,
		       (socklen_t)len))
		buf[0] = '\0';
	return buf;
}
