/* Flow records to Hubble's JSON lines (flow/json.h). Written by hand rather
 * than through jansson: the exporter's budget is a few hundred nanoseconds
 * per record, and key order and escaping must match protojson followed by
 * encoding/json byte for byte. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flow/fieldmask.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "util/mem.h"

/* ---- buffer primitives (inline: this is the hot path) ------------------ */

static inline void put(struct dfl_strbuf *sb, const char *s, size_t n)
{
	if (!sb->err && sb->len + n < sb->cap) {
		memcpy(sb->buf + sb->len, s, n);
		sb->len += n;
		sb->buf[sb->len] = '\0';
	} else {
		dfl_strbuf__append(sb, s, n);
	}
}

#define PUTS(sb, lit) put((sb), (lit), sizeof(lit) - 1)

static inline void putc1(struct dfl_strbuf *sb, char c)
{
	put(sb, &c, 1);
}

static void put_u64(struct dfl_strbuf *sb, uint64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(sb, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_i64(struct dfl_strbuf *sb, int64_t v)
{
	if (v < 0) {
		putc1(sb, '-');
		put_u64(sb, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(sb, (uint64_t)v);
	}
}

/* Length of the valid UTF-8 sequence at <s> (at most <n> bytes), or 0 if
 * invalid; *<cp> receives the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c < 0xf0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else {
		len = 4, c &= 0x07, min = 0x10000;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Bytes that need escaping: controls, '"', '\\', and the HTML characters
 * encoding/json escapes; bytes >= 0x80 go through UTF-8 validation. */
static const unsigned char needs_escape[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, ['<'] = 1, ['>'] = 1,
	['&'] = 1,	  [0x80 ... 0xff] = 1,
};

static void put_json_str(struct dfl_strbuf *sb, const char *str, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, run = 0;

	if (n > max) {
		n = max;
		/* never cut inside a UTF-8 sequence */
		while (n && (s[n] & 0xc0) == 0x80)
			n--;
	}
	putc1(sb, '"');
	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;

		if (!needs_escape[c]) {
			i++;
			continue;
		}
		put(sb, (const char *)s + run, i - run);
		if (c >= 0x80) {
			len = utf8_seq(s + i, n - i, &cp);
			if (!len) {
				PUTS(sb, "\\ufffd");
				i++;
			} else if (cp == 0x2028) {
				PUTS(sb, "\\u2028");
				i += len;
			} else if (cp == 0x2029) {
				PUTS(sb, "\\u2029");
				i += len;
			} else {
				put(sb, (const char *)s + i, len);
				i += len;
			}
			run = i;
			continue;
		}
		switch (c) {
		case '"':
			PUTS(sb, "\\\"");
			break;
		case '\\':
			PUTS(sb, "\\\\");
			break;
		case '\b':
			PUTS(sb, "\\b");
			break;
		case '\f':
			PUTS(sb, "\\f");
			break;
		case '\n':
			PUTS(sb, "\\n");
			break;
		case '\r':
			PUTS(sb, "\\r");
			break;
		case '\t':
			PUTS(sb, "\\t");
			break;
		default: { /* controls and <, >, & as \u00XX */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4],
				      hex[c & 15] };

			put(sb, u, 6);
		}
		}
		run = ++i;
	}
	put(sb, (const char *)s + run, n - run);
	putc1(sb, '"');
}

void dfl_json__put_string(struct dfl_strbuf *out, const char *s)
{
	put_json_str(out, s, (size_t)-1);
}

/* Seconds are formatted once per second per thread: records come in bursts
 * with the same second. */
void dfl_json__put_time(struct dfl_strbuf *out, int64_t ns)
{
	static _Thread_local int64_t cached_sec = INT64_MIN;
	static _Thread_local char cached[32];
	int64_t sec = ns / 1000000000;
	int64_t frac = ns % 1000000000;
	char digits[10];
	int n_digits;

	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	if (sec != cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = sec;
	}
	putc1(out, '"');
	put(out, cached, strlen(cached));
	if (frac) {
		n_digits = frac % 1000000 == 0 ? 3 : frac % 1000 == 0 ? 6 : 9;
		snprintf(digits, sizeof(digits), "%09lld", (long long)frac);
		putc1(out, '.');
		put(out, digits, (size_t)n_digits);
	}
	PUTS(out, "Z\"");
}

/* ---- objects ------------------------------------------------------------ */

/* Encoding state: the output, the limits of the current attempt (see
 * encode_line()), and a per-object "first key" flag. */
struct enc {
	struct dfl_strbuf *sb;
	size_t max_str;	 /* strings are cut to this many bytes */
	size_t max_list; /* lists keep this many items */
	bool shed;	 /* leave out headers, labels and names */
};

struct obj {
	struct enc *e;
	const struct dfl_fieldmask *mask;
	bool first;
};

static void key(struct obj *o, const char *k, size_t klen)
{
	struct dfl_strbuf *sb = o->e->sb;

	if (!o->first)
		putc1(sb, ',');
	o->first = false;
	putc1(sb, '"');
	put(sb, k, klen);
	PUTS(sb, "\":");
}

/* Selects field <k> through the object's mask. */
static bool sel(struct obj *o, const char *k, const struct dfl_fieldmask **sub)
{
	if (!o->mask) {
		*sub = NULL;
		return true;
	}
	return dfl_fieldmask__select(o->mask, k, sub);
}

#define KEY(o, k) key((o), (k), sizeof(k) - 1)

static bool want(struct obj *o, const char *k)
{
	const struct dfl_fieldmask *sub;

	return sel(o, k, &sub);
}

static void f_str(struct obj *o, const char *k, size_t klen, const char *v)
{
	if (!v || !*v || (o->mask && !want(o, k)))
		return;
	key(o, k, klen);
	put_json_str(o->e->sb, v, o->e->max_str);
}

static void f_u64(struct obj *o, const char *k, size_t klen, uint64_t v)
{
	if (!v || (o->mask && !want(o, k)))
		return;
	key(o, k, klen);
	put_u64(o->e->sb, v);
}

/* uint64 fields are JSON strings in protojson */
static void f_u64s(struct obj *o, const char *k, size_t klen, uint64_t v)
{
	if (!v || (o->mask && !want(o, k)))
		return;
	key(o, k, klen);
	putc1(o->e->sb, '"');
	put_u64(o->e->sb, v);
	putc1(o->e->sb, '"');
}

static void f_bool(struct obj *o, const char *k, size_t klen, bool v)
{
	if (!v || (o->mask && !want(o, k)))
		return;
	key(o, k, klen);
	PUTS(o->e->sb, "true");
}

/* An enum: its name, or its number when it has none (protojson). */
static void f_enum(struct obj *o, const char *k, size_t klen, uint32_t v,
		   const char *name)
{
	if (!v || (o->mask && !want(o, k)))
		return;
	key(o, k, klen);
	if (name) {
		putc1(o->e->sb, '"');
		put(o->e->sb, name, strlen(name));
		putc1(o->e->sb, '"');
	} else {
		put_u64(o->e->sb, v);
	}
}

static void f_strv(struct obj *o, const char *k, size_t klen, const char **v,
		   size_t n)
{
	struct dfl_strbuf *sb = o->e->sb;

	if (!n || (o->mask && !want(o, k)))
		return;
	if (n > o->e->max_list)
		n = o->e->max_list;
	key(o, k, klen);
	putc1(sb, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			putc1(sb, ',');
		put_json_str(sb, v[i] ? v[i] : "", o->e->max_str);
	}
	putc1(sb, ']');
}

#define F_STR(o, k, v) f_str((o), (k), sizeof(k) - 1, (v))
#define F_U64(o, k, v) f_u64((o), (k), sizeof(k) - 1, (v))
#define F_U64S(o, k, v) f_u64s((o), (k), sizeof(k) - 1, (v))
#define F_BOOL(o, k, v) f_bool((o), (k), sizeof(k) - 1, (v))
#define F_ENUM(o, k, v, name) f_enum((o), (k), sizeof(k) - 1, (v), (name))
#define F_STRV(o, k, v, n) f_strv((o), (k), sizeof(k) - 1, (v), (n))

/* Nested messages: open() writes the key and '{' and remembers where, so
 * that close() can take an object that turned out empty back out (protojson
 * never writes a message whose fields are all default... for our purposes). */
struct nested {
	struct obj o;
	size_t mark;
	size_t body;
	bool parent_first;
};

static bool open_obj(struct obj *parent, const char *k, size_t klen,
		     struct nested *n)
{
	const struct dfl_fieldmask *sub = NULL;

	if (!sel(parent, k, &sub))
		return false;
	n->mark = parent->e->sb->len;
	n->parent_first = parent->first;
	key(parent, k, klen);
	putc1(parent->e->sb, '{');
	n->body = parent->e->sb->len;
	n->o = (struct obj){ parent->e, sub, true };
	return true;
}

static void close_obj(struct obj *parent, struct nested *n)
{
	struct dfl_strbuf *sb = parent->e->sb;

	if (sb->len == n->body && !sb->err) {
		sb->len = n->mark;
		sb->buf[sb->len] = '\0';
		parent->first = n->parent_first;
		return;
	}
	putc1(sb, '}');
}

#define OPEN(parent, k, n) open_obj((parent), (k), sizeof(k) - 1, (n))

static void enc_addr(struct obj *o, const char *k, size_t klen,
		     const struct dfl_flow_ip *ip, const uint8_t *addr)
{
	char buf[64];

	if (o->mask && !want(o, k))
		return;
	key(o, k, klen);
	putc1(o->e->sb, '"');
	dfl_flow_ip__str(ip, addr, buf, sizeof(buf));
	put(o->e->sb, buf, strlen(buf));
	putc1(o->e->sb, '"');
}

static void enc_mac(struct obj *o, const char *k, size_t klen,
		    const uint8_t *mac)
{
	char buf[20];

	if (o->mask && !want(o, k))
		return;
	key(o, k, klen);
	snprintf(buf, sizeof(buf), "\"%02x:%02x:%02x:%02x:%02x:%02x\"", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	put(o->e->sb, buf, strlen(buf));
}

static void enc_l4(struct obj *flow, const struct dfl_flow_l4 *l4)
{
	static const char *const names[] = {
		[DFL_L4_TCP] = "TCP",	    [DFL_L4_UDP] = "UDP",
		[DFL_L4_ICMPV4] = "ICMPv4", [DFL_L4_ICMPV6] = "ICMPv6",
		[DFL_L4_SCTP] = "SCTP",
	};
	struct nested n4, np, nf;
	const char *name;

	if (l4->proto == DFL_L4_NONE || l4->proto > DFL_L4_SCTP)
		return;
	if (!OPEN(flow, "l4", &n4))
		return;
	name = names[l4->proto];
	if (open_obj(&n4.o, name, strlen(name), &np)) {
		if (l4->proto == DFL_L4_ICMPV4 || l4->proto == DFL_L4_ICMPV6) {
			F_U64(&np.o, "type", l4->icmp_type);
			F_U64(&np.o, "code", l4->icmp_code);
		} else {
			F_U64(&np.o, "source_port", l4->source_port);
			F_U64(&np.o, "destination_port", l4->destination_port);
			if (l4->proto == DFL_L4_TCP && l4->tcp_flags &&
			    OPEN(&np.o, "flags", &nf)) {
				uint16_t fl = l4->tcp_flags;

				F_BOOL(&nf.o, "FIN", fl & DFL_TCP_FIN);
				F_BOOL(&nf.o, "SYN", fl & DFL_TCP_SYN);
				F_BOOL(&nf.o, "RST", fl & DFL_TCP_RST);
				F_BOOL(&nf.o, "PSH", fl & DFL_TCP_PSH);
				F_BOOL(&nf.o, "ACK", fl & DFL_TCP_ACK);
				F_BOOL(&nf.o, "URG", fl & DFL_TCP_URG);
				F_BOOL(&nf.o, "ECE", fl & DFL_TCP_ECE);
				F_BOOL(&nf.o, "CWR", fl & DFL_TCP_CWR);
				F_BOOL(&nf.o, "NS", fl & DFL_TCP_NS);
				close_obj(&np.o, &nf);
			}
		}
		close_obj(&n4.o, &np);
	}
	close_obj(flow, &n4);
}

static void enc_endpoint(struct obj *flow, const char *k, size_t klen,
			 const struct dfl_flow_endpoint *ep)
{
	struct enc *e = flow->e;
	struct nested n;

	if (!open_obj(flow, k, klen, &n))
		return;
	F_U64(&n.o, "ID", ep->id);
	F_U64(&n.o, "identity", ep->identity);
	F_STR(&n.o, "cluster_name", ep->cluster_name);
	F_STR(&n.o, "namespace", ep->namespace);
	if (!e->shed)
		F_STRV(&n.o, "labels", ep->labels, ep->n_labels);
	F_STR(&n.o, "pod_name", ep->pod_name);
	if (ep->n_workloads && want(&n.o, "workloads")) {
		size_t cnt = ep->n_workloads < e->max_list ? ep->n_workloads :
							     e->max_list;

		KEY(&n.o, "workloads");
		putc1(e->sb, '[');
		for (size_t i = 0; i < cnt; i++) {
			struct obj w = { e, NULL, true };

			if (i)
				putc1(e->sb, ',');
			putc1(e->sb, '{');
			F_STR(&w, "name", ep->workloads[i].name);
			F_STR(&w, "kind", ep->workloads[i].kind);
			putc1(e->sb, '}');
		}
		putc1(e->sb, ']');
	}
	close_obj(flow, &n);
}

static void enc_service(struct obj *flow, const char *k, size_t klen,
			const struct dfl_flow_service *svc)
{
	struct nested n;

	if ((!svc->name || !*svc->name) && (!svc->namespace || !*svc->namespace))
		return;
	if (!open_obj(flow, k, klen, &n))
		return;
	F_STR(&n.o, "name", svc->name);
	F_STR(&n.o, "namespace", svc->namespace);
	close_obj(flow, &n);
}

static void enc_l7(struct obj *flow, const struct dfl_flow_l7 *l7)
{
	struct enc *e = flow->e;
	struct nested n7, nr;

	if (l7->type == DFL_L7_UNKNOWN && l7->proto == DFL_L7_PROTO_NONE)
		return;
	if (!OPEN(flow, "l7", &n7))
		return;
	F_ENUM(&n7.o, "type", l7->type, dfl_l7_type__name(l7->type));
	F_U64S(&n7.o, "latency_ns", l7->latency_ns);
	if (l7->proto == DFL_L7_PROTO_DNS && OPEN(&n7.o, "dns", &nr)) {
		const struct dfl_flow_dns *d = &l7->dns;

		F_STR(&nr.o, "query", d->query);
		F_STRV(&nr.o, "ips", d->ips, d->n_ips);
		F_U64(&nr.o, "ttl", d->ttl);
		F_STRV(&nr.o, "cnames", d->cnames, d->n_cnames);
		F_STR(&nr.o, "observation_source", d->observation_source);
		F_U64(&nr.o, "rcode", d->rcode);
		F_STRV(&nr.o, "qtypes", d->qtypes, d->n_qtypes);
		F_STRV(&nr.o, "rrtypes", d->rrtypes, d->n_rrtypes);
		close_obj(&n7.o, &nr);
	} else if (l7->proto == DFL_L7_PROTO_HTTP && OPEN(&n7.o, "http", &nr)) {
		const struct dfl_flow_http *h = &l7->http;

		F_U64(&nr.o, "code", h->code);
		F_STR(&nr.o, "method", h->method);
		F_STR(&nr.o, "url", h->url);
		F_STR(&nr.o, "protocol", h->protocol);
		if (h->n_headers && !e->shed && want(&nr.o, "headers")) {
			size_t cnt = h->n_headers < e->max_list ? h->n_headers :
								  e->max_list;

			KEY(&nr.o, "headers");
			putc1(e->sb, '[');
			for (size_t i = 0; i < cnt; i++) {
				struct obj hdr = { e, NULL, true };

				if (i)
					putc1(e->sb, ',');
				putc1(e->sb, '{');
				F_STR(&hdr, "key", h->headers[i].key);
				F_STR(&hdr, "value", h->headers[i].value);
				putc1(e->sb, '}');
			}
			putc1(e->sb, ']');
		}
		close_obj(&n7.o, &nr);
	}
	close_obj(flow, &n7);
}

/* deflector's attribution rides in extra labels (see flow-t.h). */
#define LABEL_DEFAULT_DENY "deflector:attribution=default-deny"
#define LABEL_RULE_PREFIX "deflector:rule="

static void enc_policies(struct obj *flow, const char *k, size_t klen,
			 const struct dfl_flow_policies *pl)
{
	struct enc *e = flow->e;
	size_t cnt = pl->n < e->max_list ? pl->n : e->max_list;

	if (!pl->n || (flow->mask && !want(flow, k)))
		return;
	key(flow, k, klen);
	putc1(e->sb, '[');
	for (size_t i = 0; i < cnt; i++) {
		const struct dfl_flow_policy *p = &pl->items[i];
		struct obj o = { e, NULL, true };
		size_t nl = e->shed ? 0 : p->n_labels;

		if (nl > e->max_list)
			nl = e->max_list;
		if (i)
			putc1(e->sb, ',');
		putc1(e->sb, '{');
		F_STR(&o, "name", p->name);
		F_STR(&o, "namespace", p->namespace);
		if (nl || p->default_deny || p->rule) {
			bool first = true;

			KEY(&o, "labels");
			putc1(e->sb, '[');
			for (size_t j = 0; j < nl; j++, first = false) {
				if (!first)
					putc1(e->sb, ',');
				put_json_str(e->sb, p->labels[j] ? p->labels[j] : "",
					     e->max_str);
			}
			if (p->default_deny) {
				if (!first)
					putc1(e->sb, ',');
				PUTS(e->sb, "\"" LABEL_DEFAULT_DENY "\"");
				first = false;
			}
			if (p->rule) {
				struct dfl_strbuf tmp = { 0 };

				if (!first)
					putc1(e->sb, ',');
				dfl_strbuf__printf(&tmp, "%s%s",
						   LABEL_RULE_PREFIX, p->rule);
				put_json_str(e->sb, dfl_strbuf__str(&tmp),
					     e->max_str);
				dfl_strbuf__release(&tmp);
			}
			putc1(e->sb, ']');
		}
		F_U64S(&o, "revision", p->revision);
		F_STR(&o, "kind", p->kind);
		putc1(e->sb, '}');
	}
	putc1(e->sb, ']');
}

#define ENC_POLICIES(o, k, pl) enc_policies((o), (k), sizeof(k) - 1, (pl))

static void enc_flow(struct enc *e, const struct dfl_flow *f,
		     const struct dfl_fieldmask *mask)
{
	struct obj o = { e, mask, true };
	struct dfl_strbuf summary = { 0 };
	struct nested n;

	if (f->time_ns && want(&o, "time")) {
		KEY(&o, "time");
		dfl_json__put_time(e->sb, f->time_ns);
	}
	F_STR(&o, "uuid", f->uuid);
	F_ENUM(&o, "verdict", f->verdict, dfl_verdict__name(f->verdict));
	F_U64(&o, "drop_reason", f->drop_reason);
	F_ENUM(&o, "auth_type", f->auth_type, dfl_auth_type__name(f->auth_type));
	if (f->has_ethernet && OPEN(&o, "ethernet", &n)) {
		enc_mac(&n.o, "source", 6, f->ethernet_source);
		enc_mac(&n.o, "destination", 11, f->ethernet_destination);
		close_obj(&o, &n);
	}
	if ((f->ip.version == 4 || f->ip.version == 6) && OPEN(&o, "IP", &n)) {
		enc_addr(&n.o, "source", 6, &f->ip, f->ip.source);
		if (f->ip.has_source_xlated)
			enc_addr(&n.o, "source_xlated", 13, &f->ip,
				 f->ip.source_xlated);
		enc_addr(&n.o, "destination", 11, &f->ip, f->ip.destination);
		F_ENUM(&n.o, "ipVersion", f->ip.version == 6 ? 2 : 1,
		       f->ip.version == 6 ? "IPv6" : "IPv4");
		F_BOOL(&n.o, "encrypted", f->ip.encrypted);
		close_obj(&o, &n);
	}
	enc_l4(&o, &f->l4);
	enc_endpoint(&o, "source", 6, &f->source);
	enc_endpoint(&o, "destination", 11, &f->destination);
	F_ENUM(&o, "Type", f->type, dfl_flow_type__name(f->type));
	F_STR(&o, "node_name", f->node_name);
	if (!e->shed) {
		F_STRV(&o, "source_names", f->source_names, f->n_source_names);
		F_STRV(&o, "destination_names", f->destination_names,
		       f->n_destination_names);
	}
	enc_l7(&o, &f->l7);
	F_BOOL(&o, "reply", f->is_reply == DFL_REPLY_YES);
	if ((f->event_type || f->event_sub_type) && OPEN(&o, "event_type", &n)) {
		F_U64(&n.o, "type", (uint32_t)f->event_type);
		if (f->event_sub_type && want(&n.o, "sub_type")) {
			KEY(&n.o, "sub_type");
			put_i64(e->sb, f->event_sub_type);
		}
		close_obj(&o, &n);
	}
	enc_service(&o, "source_service", 14, &f->source_service);
	enc_service(&o, "destination_service", 19, &f->destination_service);
	F_ENUM(&o, "traffic_direction", f->traffic_direction,
	       dfl_direction__name(f->traffic_direction));
	F_U64(&o, "policy_match_type", f->policy_match_type);
	F_ENUM(&o, "trace_observation_point", f->trace_observation_point,
	       dfl_trace_point__name(f->trace_observation_point));
	F_ENUM(&o, "trace_reason", f->trace_reason,
	       dfl_trace_reason__name(f->trace_reason));
	if ((f->file_name || f->file_line) && OPEN(&o, "file", &n)) {
		F_STR(&n.o, "name", f->file_name);
		F_U64(&n.o, "line", f->file_line);
		close_obj(&o, &n);
	}
	F_ENUM(&o, "drop_reason_desc", f->drop_reason,
	       f->drop_reason >= DFL_DROP_MIN ?
		       dfl_drop_reason__name(f->drop_reason) :
		       NULL);
	if (f->is_reply != DFL_REPLY_UNKNOWN && want(&o, "is_reply")) {
		KEY(&o, "is_reply");
		if (f->is_reply == DFL_REPLY_YES)
			PUTS(e->sb, "true");
		else
			PUTS(e->sb, "false");
	}
	if ((f->interface_index || f->interface_name) &&
	    OPEN(&o, "interface", &n)) {
		F_U64(&n.o, "index", f->interface_index);
		F_STR(&n.o, "name", f->interface_name);
		close_obj(&o, &n);
	}
	F_U64(&o, "proxy_port", f->proxy_port);
	if (f->trace_id && *f->trace_id && OPEN(&o, "trace_context", &n)) {
		struct nested np;

		if (OPEN(&n.o, "parent", &np)) {
			F_STR(&np.o, "trace_id", f->trace_id);
			close_obj(&n.o, &np);
		}
		close_obj(&o, &n);
	}
	if (want(&o, "Summary"))
		F_STR(&o, "Summary", dfl_flow__summary_str(f, &summary));
	dfl_strbuf__release(&summary);
	ENC_POLICIES(&o, "egress_allowed_by", &f->egress_allowed_by);
	ENC_POLICIES(&o, "ingress_allowed_by", &f->ingress_allowed_by);
	ENC_POLICIES(&o, "egress_denied_by", &f->egress_denied_by);
	ENC_POLICIES(&o, "ingress_denied_by", &f->ingress_denied_by);
}

static void enc_envelope_tail(struct dfl_strbuf *sb, const char *node_name,
			      int64_t time_ns)
{
	if (node_name && *node_name) {
		PUTS(sb, ",\"node_name\":");
		put_json_str(sb, node_name, (size_t)-1);
	}
	if (time_ns) {
		PUTS(sb, ",\"time\":");
		dfl_json__put_time(sb, time_ns);
	}
	PUTS(sb, "}\n");
}

/* Attempts from full fidelity to heavily trimmed; the first that fits the
 * line limit is kept. */
static const struct {
	size_t max_str, max_list;
	bool shed;
} attempts[] = {
	{ (size_t)-1, (size_t)-1, false },
	{ (size_t)-1, (size_t)-1, true },
	{ 1024, 16, true },
	{ 128, 4, true },
};

int dfl_flow__to_json_line(const struct dfl_flow *f,
			   const struct dfl_fieldmask *mask,
			   struct dfl_strbuf *out)
{
	size_t start = out->len;

	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		struct enc e = { out, attempts[i].max_str, attempts[i].max_list,
				 attempts[i].shed };

		/* one growth up front instead of many small ones */
		if (!out->err && out->cap - out->len < 4096) {
			void *buf = out->buf;

			if (dfl_grow(&buf, &out->cap, out->len + 4096, 1))
				return -ENOMEM;
			out->buf = buf;
		}
		PUTS(out, "{\"flow\":{");
		enc_flow(&e, f, mask);
		putc1(out, '}');
		enc_envelope_tail(out, f->node_name, f->time_ns);
		if (out->err)
			return out->err;
		if (out->len - start - 1 <= DFL_FLOW_LINE_MAX)
			return 0;
		out->len = start;
		out->buf[start] = '\0';
	}
	return -E2BIG; /* unreachable: the last attempt is bounded */
}

int dfl_lost_events__to_json_line(const struct dfl_lost_events *l,
				  int64_t time_ns, const char *node_name,
				  struct dfl_strbuf *out)
{
	struct enc e = { out, (size_t)-1, (size_t)-1, false };
	struct obj o = { &e, NULL, true };

	PUTS(out, "{\"lost_events\":{");
	F_ENUM(&o, "source", l->source, dfl_lost_source__name(l->source));
	F_U64S(&o, "num_events_lost", l->num_events_lost);
	if (l->has_cpu) {
		KEY(&o, "cpu");
		put_i64(out, l->cpu);
	}
	putc1(out, '}');
	enc_envelope_tail(out, node_name, time_ns);
	return out->err;
}
