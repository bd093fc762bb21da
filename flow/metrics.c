/* Hubble's flow metrics and the agent's datapath counters (flow/metrics.h),
 * after pkg/hubble/metrics/{flow,drop,tcp,port-distribution,icmp,dns,http,
 * policy}/handler.go and pkg/hubble/metrics/api/context.go. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/metrics.h"
#include "util/mem.h"

#define MAX_LABELS 20

/* Prometheus's default buckets, as Hubble's HTTP duration histogram uses. */
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				  0.5,	 1,    2.5,   5,    10 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
	char *key; /* label values joined with '\x1f' */
	uint64_t count;
	double sum;
	uint64_t bucket[N_BUCKETS];
};

struct family {
	const char *name;
	const char *help;
	bool histogram;
	const char *labels[MAX_LABELS];
	size_t n_labels;
	struct series *series;
	size_t n, cap;
};

/* labelsContext names, in Hubble's fixed order */
static const char *const ctx_labels[] = {
	"source_ip",	       "source_pod",	       "source_namespace",
	"source_workload",     "source_app",	       "destination_ip",
	"destination_pod",     "destination_namespace", "destination_workload",
	"destination_app",     "traffic_direction",
};
#define N_CTX_LABELS (sizeof(ctx_labels) / sizeof(ctx_labels[0]))

/* sourceContext / destinationContext identifiers */
static const char *const ctx_ids[] = { "identity",	    "namespace",
				       "pod",		    "pod-short",
				       "pod-name",	    "dns",
				       "ip",		    "reserved-identity",
				       "workload-name",	    "app" };
#define N_CTX_IDS (sizeof(ctx_ids) / sizeof(ctx_ids[0]))

struct context {
	unsigned int labels; /* bit i: ctx_labels[i] */
	int src[N_CTX_IDS], dst[N_CTX_IDS]; /* identifier indexes, -1 ends */
	size_t n_src, n_dst;
};

enum handler {
	H_FLOW,
	H_DROP,
	H_TCP,
	H_PORT,
	H_ICMP,
	H_DNS,
	H_HTTP,
	H_HTTPV2,
	H_POLICY,
	H_N,
};

static const char *const handler_names[] = {
	"flow", "drop", "tcp", "port-distribution", "icmp",
	"dns",	"http", "httpV2", "policy",
};

enum fam {
	F_FLOWS,
	F_DROP,
	F_TCP,
	F_PORT,
	F_ICMP,
	F_DNS_Q,
	F_DNS_R,
	F_DNS_T,
	F_HTTP_REQ,
	F_HTTP_RESP,
	F_HTTP_DUR,
	F_POLICY,
	F_CIL_DROP,
	F_CIL_DROP_BYTES,
	F_CIL_FWD,
	F_CIL_FWD_BYTES,
	F_N,
};

struct dfl_metrics {
	pthread_mutex_t lock;
	bool on[H_N];
	struct context ctx[H_N];
	bool dns_query, dns_ignore_aaaa;
	struct family fam[F_N];
};

/* ---- configuration ------------------------------------------------------ */

static int __attribute__((format(printf, 3, 4)))
merr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_ids(const char *handler, const char *v, int *ids, size_t *n,
		     char *err, size_t errlen)
{
	char *copy = strdup(v), *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*n = 0;
	for (char *t = strtok_r(copy, "|", &save); t && !ret;
	     t = strtok_r(NULL, "|", &save)) {
		size_t i;

		for (i = 0; i < N_CTX_IDS && strcmp(ctx_ids[i], t); i++)
			;
		if (i == N_CTX_IDS)
			ret = merr(err, errlen, "metrics: %s: unknown context "
				   "identifier '%s'", handler, t);
		else
			ids[(*n)++] = (int)i;
	}
	free(copy);
	return ret;
}

static int parse_option(struct dfl_metrics *m, enum handler h, char *opt,
			char *err, size_t errlen)
{
	char *eq = strchr(opt, '='), *v = eq ? eq + 1 : "";
	struct context *c = &m->ctx[h];

	if (eq)
		*eq = '\0';
	if (!strcmp(opt, "labelsContext")) {
		char *save = NULL;

		for (char *t = strtok_r(v, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			size_t i;

			for (i = 0; i < N_CTX_LABELS && strcmp(ctx_labels[i], t);
			     i++)
				;
			if (i == N_CTX_LABELS)
				return merr(err, errlen, "metrics: %s: unknown "
					    "labelsContext label '%s'",
					    handler_names[h], t);
			c->labels |= 1u << i;
		}
		return 0;
	}
	if (!strcmp(opt, "sourceContext"))
		return parse_ids(handler_names[h], v, c->src, &c->n_src, err,
				 errlen);
	if (!strcmp(opt, "destinationContext"))
		return parse_ids(handler_names[h], v, c->dst, &c->n_dst, err,
				 errlen);
	if (h == H_DNS && !strcmp(opt, "query")) {
		m->dns_query = true;
		return 0;
	}
	if (h == H_DNS && !strcmp(opt, "ignoreAAAA")) {
		m->dns_ignore_aaaa = true;
		return 0;
	}
	/* exemplars need OpenMetrics, which this exposition does not speak */
	if (h == H_HTTPV2 && !strcmp(opt, "exemplars"))
		return 0;
	return merr(err, errlen, "metrics: %s: unknown option '%s'",
		    handler_names[h], opt);
}

static int parse_spec(struct dfl_metrics *m, const char *spec, char *err,
		      size_t errlen)
{
	char *copy = strdup(spec), *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, " \t\n", &save); t && !ret;
	     t = strtok_r(NULL, " \t\n", &save)) {
		char *colon = strchr(t, ':'), *save2 = NULL;
		size_t h;

		if (colon)
			*colon = '\0';
		for (h = 0; h < H_N && strcmp(handler_names[h], t); h++)
			;
		if (h == H_N) {
			ret = merr(err, errlen, "metrics: unknown metric '%s' "
				   "(one of flow, drop, tcp, port-distribution, "
				   "icmp, dns, http, httpV2, policy)", t);
			break;
		}
		m->on[h] = true;
		for (char *o = colon ? strtok_r(colon + 1, ";", &save2) : NULL;
		     o && !ret; o = strtok_r(NULL, ";", &save2))
			ret = parse_option(m, (enum handler)h, o, err, errlen);
	}
	if (!ret && m->on[H_HTTP] && m->on[H_HTTPV2])
		ret = merr(err, errlen, "metrics: http and httpV2 both define "
			   "hubble_http_requests_total; enable one");
	free(copy);
	return ret;
}

/* Declares a family with its handler's own labels, then the context's. */
static void family(struct dfl_metrics *m, enum fam f, enum handler h,
		   const char *name, const char *help, bool histogram, ...)
{
	struct family *fa = &m->fam[f];
	const struct context *c = h < H_N ? &m->ctx[h] : NULL;
	const char *l;
	va_list ap;

	fa->name = name;
	fa->help = help;
	fa->histogram = histogram;
	va_start(ap, histogram);
	while ((l = va_arg(ap, const char *)))
		fa->labels[fa->n_labels++] = l;
	va_end(ap);
	for (size_t i = 0; c && i < N_CTX_LABELS; i++)
		if (c->labels & (1u << i))
			fa->labels[fa->n_labels++] = ctx_labels[i];
	if (c && c->n_src)
		fa->labels[fa->n_labels++] = "source";
	if (c && c->n_dst)
		fa->labels[fa->n_labels++] = "destination";
}

struct dfl_metrics *dfl_metrics__new(const char *spec, char *err,
				     size_t errlen)
{
	struct dfl_metrics *m = calloc(1, sizeof(*m));
	int ret;

	if (!m)
		return NULL;
	ret = parse_spec(m, spec ? spec : DFL_METRICS_DEFAULT, err, errlen);
	if (ret) {
		free(m);
		errno = -ret;
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	family(m, F_FLOWS, H_FLOW, "hubble_flows_processed_total",
	       "Total number of flows processed", false, "protocol", "type",
	       "subtype", "verdict", NULL);
	family(m, F_DROP, H_DROP, "hubble_drop_total", "Number of drops",
	       false, "reason", "protocol", NULL);
	family(m, F_TCP, H_TCP, "hubble_tcp_flags_total",
	       "TCP flag occurrences", false, "flag", "family", NULL);
	family(m, F_PORT, H_PORT, "hubble_port_distribution_total",
	       "Numbers of packets distributed by destination port", false,
	       "protocol", "port", NULL);
	family(m, F_ICMP, H_ICMP, "hubble_icmp_total",
	       "Number of ICMP messages", false, "family", "type", NULL);
	/* without the "query" option, its NULL ends the label lists early */
	family(m, F_DNS_Q, H_DNS, "hubble_dns_queries_total",
	       "Number of DNS queries observed", false, "rcode", "qtypes",
	       "ips_returned", m->dns_query ? "query" : NULL, NULL);
	family(m, F_DNS_R, H_DNS, "hubble_dns_responses_total",
	       "Number of DNS responses observed", false, "rcode", "qtypes",
	       "ips_returned", m->dns_query ? "query" : NULL, NULL);
	family(m, F_DNS_T, H_DNS, "hubble_dns_response_types_total",
	       "Number of DNS response types", false, "type", "qtypes",
	       m->dns_query ? "query" : NULL, NULL);
	if (m->on[H_HTTPV2]) {
		family(m, F_HTTP_REQ, H_HTTPV2, "hubble_http_requests_total",
		       "Count of HTTP requests", false, "method", "protocol",
		       "status", "reporter", NULL);
		family(m, F_HTTP_DUR, H_HTTPV2,
		       "hubble_http_request_duration_seconds",
		       "Quantiles of HTTP request duration in seconds", true,
		       "method", "reporter", NULL);
	} else {
		family(m, F_HTTP_REQ, H_HTTP, "hubble_http_requests_total",
		       "Count of HTTP requests", false, "method", "protocol",
		       "reporter", NULL);
		family(m, F_HTTP_RESP, H_HTTP, "hubble_http_responses_total",
		       "Count of HTTP responses", false, "method", "protocol",
		       "status", "reporter", NULL);
		family(m, F_HTTP_DUR, H_HTTP,
		       "hubble_http_request_duration_seconds",
		       "Quantiles of HTTP request duration in seconds", true,
		       "method", "reporter", NULL);
	}
	family(m, F_POLICY, H_POLICY, "hubble_policy_verdicts_total",
	       "Total number of Cilium network policy verdicts", false,
	       "direction", "match", "action", NULL);
	family(m, F_CIL_DROP, H_N, "cilium_drop_count_total",
	       "Total dropped packets, tagged by drop reason and ingress/egress direction",
	       false, "reason", "direction", NULL);
	family(m, F_CIL_DROP_BYTES, H_N, "cilium_drop_bytes_total",
	       "Total dropped bytes, tagged by drop reason and ingress/egress direction",
	       false, "reason", "direction", NULL);
	family(m, F_CIL_FWD, H_N, "cilium_forward_count_total",
	       "Total forwarded packets, tagged by ingress/egress direction",
	       false, "direction", NULL);
	family(m, F_CIL_FWD_BYTES, H_N, "cilium_forward_bytes_total",
	       "Total forwarded bytes, tagged by ingress/egress direction",
	       false, "direction", NULL);
	return m;
}

void dfl_metrics__free(struct dfl_metrics *m)
{
	if (!m)
		return;
	for (int f = 0; f < F_N; f++) {
		for (size_t i = 0; i < m->fam[f].n; i++)
			free(m->fam[f].series[i].key);
		free(m->fam[f].series);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* ---- series ------------------------------------------------------------- */

/* Finds or adds the series with these values (caller holds the lock).
 * Families are small (bounded label values), so a linear scan over a
 * sorted array is enough; insertion keeps the rendering order stable. */
static struct series *get(struct family *fa, const char *const *values)
{
	struct dfl_strbuf key = { 0 };
	struct series *s = NULL;
	size_t lo = 0, hi;

	for (size_t i = 0; i < fa->n_labels; i++) {
		if (i)
			dfl_strbuf__putc(&key, '\x1f');
		dfl_strbuf__puts(&key, values[i] ? values[i] : "");
	}
	if (key.err)
		goto out;
	hi = fa->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(fa->series[mid].key, dfl_strbuf__str(&key));

		if (!c) {
			s = &fa->series[mid];
			goto out;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (dfl_grow((void **)&fa->series, &fa->cap, fa->n + 1,
		     sizeof(*fa->series)))
		goto out;
	memmove(&fa->series[lo + 1], &fa->series[lo],
		(fa->n - lo) * sizeof(*fa->series));
	fa->n++;
	s = &fa->series[lo];
	memset(s, 0, sizeof(*s));
	s->key = dfl_strbuf__detach(&key);
out:
	dfl_strbuf__release(&key);
	return s;
}

static void inc(struct family *fa, const char *const *values)
{
	struct series *s = get(fa, values);

	if (s)
		s->count++;
}

static void observe_hist(struct family *fa, const char *const *values,
			 double v)
{
	struct series *s = get(fa, values);

	if (!s)
		return;
	s->count++;
	s->sum += v;
	for (size_t b = 0; b < N_BUCKETS; b++)
		if (v <= buckets[b])
			s->bucket[b]++;
}

/* ---- context labels ----------------------------------------------------- */

static const char *app_of(const struct dfl_flow_endpoint *ep, char *buf,
			  size_t len)
{
	static const char *const keys[] = { "k8s:app.kubernetes.io/name=",
					    "k8s:k8s-app=", "k8s:app=" };

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < ep->n_labels; i++)
			if (ep->labels[i] &&
			    !strncmp(ep->labels[i], keys[k], strlen(keys[k])) &&
			    ep->labels[i][strlen(keys[k])]) {
				snprintf(buf, len, "%s",
					 ep->labels[i] + strlen(keys[k]));
				return buf;
			}
	return "";
}

static bool present(const char *s)
{
	return s && *s;
}

/* The value of one sourceContext/destinationContext identifier. */
static void ctx_value(const struct dfl_flow *f, bool src, int id,
		      struct dfl_strbuf *out)
{
	const struct dfl_flow_endpoint *ep = src ? &f->source : &f->destination;
	const char **names = src ? f->source_names : f->destination_names;
	size_t n_names = src ? f->n_source_names : f->n_destination_names;
	char buf[256];

	switch (id) {
	case 0: /* identity: the labels */
		for (size_t i = 0; i < ep->n_labels; i++)
			dfl_strbuf__printf(out, "%s%s", i ? "," : "",
					   ep->labels[i] ? ep->labels[i] : "");
		break;
	case 1:
		dfl_strbuf__puts(out, present(ep->namespace) ? ep->namespace : "");
		break;
	case 2:
		if (present(ep->pod_name))
			dfl_strbuf__printf(out, "%s/%s",
					   ep->namespace ? ep->namespace : "",
					   ep->pod_name);
		break;
	case 3: { /* pod-short: without the ReplicaSet and pod hash */
		const char *p = ep->pod_name;
		const char *last = p ? strrchr(p, '-') : NULL;

		if (!present(p))
			break;
		if (last) {
			const char *prev = last;

			while (prev > p && prev[-1] != '-')
				prev--;
			if (prev > p)
				last = prev - 1;
		}
		dfl_strbuf__printf(out, "%s/%.*s",
				   ep->namespace ? ep->namespace : "",
				   (int)(last ? last - p : (long)strlen(p)), p);
		break;
	}
	case 4:
		dfl_strbuf__puts(out, present(ep->pod_name) ? ep->pod_name : "");
		break;
	case 5:
		for (size_t i = 0; i < n_names; i++)
			dfl_strbuf__printf(out, "%s%s", i ? "," : "",
					   names[i] ? names[i] : "");
		break;
	case 6:
		if (f->ip.version)
			dfl_strbuf__puts(out, dfl_flow_ip__str(
						      &f->ip,
						      src ? f->ip.source :
							    f->ip.destination,
						      buf, sizeof(buf)));
		break;
	case 7: /* reserved-identity */
		for (size_t i = 0; i < ep->n_labels; i++)
			if (ep->labels[i] &&
			    !strcmp(ep->labels[i], "reserved:kube-apiserver")) {
				dfl_strbuf__puts(out, ep->labels[i]);
				return;
			}
		for (size_t i = 0; i < ep->n_labels; i++)
			if (ep->labels[i] && !strncmp(ep->labels[i], "reserved:", 9)) {
				dfl_strbuf__puts(out, ep->labels[i]);
				return;
			}
		break;
	case 8:
		if (ep->n_workloads && ep->workloads[0].name)
			dfl_strbuf__puts(out, ep->workloads[0].name);
		break;
	case 9:
		dfl_strbuf__puts(out, app_of(ep, buf, sizeof(buf)));
		break;
	}
}

/* Appends the context label values of handler <h> to values[*n...];
 * strings live in <store> (an array of strbufs with room for them).
 * <invert> swaps source and destination (httpV2 counts responses from
 * the client's side). */
static void ctx_values(const struct dfl_metrics *m, enum handler h,
		       const struct dfl_flow *f, bool invert,
		       const char **values, size_t *n,
		       struct dfl_strbuf *store)
{
	const struct context *c = &m->ctx[h];
	char buf[256];
	size_t k = 0;

	for (size_t i = 0; i < N_CTX_LABELS; i++) {
		bool src = i < 5;
		const struct dfl_flow_endpoint *ep;
		struct dfl_strbuf *sb = &store[k++];

		if (!(c->labels & (1u << i)))
			continue;
		if (invert && i < 10)
			src = !src;
		ep = src ? &f->source : &f->destination;
		dfl_strbuf__reset(sb);
		switch (i % 5 + (i == 10 ? 100 : 0)) {
		case 0:
			if (f->ip.version)
				dfl_strbuf__puts(sb, dfl_flow_ip__str(
							     &f->ip,
							     src ? f->ip.source :
								   f->ip.destination,
							     buf, sizeof(buf)));
			break;
		case 1:
			dfl_strbuf__puts(sb, present(ep->pod_name) ? ep->pod_name : "");
			break;
		case 2:
			dfl_strbuf__puts(sb, present(ep->namespace) ? ep->namespace : "");
			break;
		case 3:
			if (ep->n_workloads && ep->workloads[0].name)
				dfl_strbuf__puts(sb, ep->workloads[0].name);
			break;
		case 4:
			dfl_strbuf__puts(sb, app_of(ep, buf, sizeof(buf)));
			break;
		default: /* traffic_direction */
			dfl_strbuf__puts(sb, f->traffic_direction == DFL_TRAFFIC_INGRESS ? "ingress" :
					 f->traffic_direction == DFL_TRAFFIC_EGRESS ? "egress" :
										  "unknown");
		}
		values[(*n)++] = dfl_strbuf__str(sb);
	}
	for (int side = 0; side < 2; side++) {
		const int *ids = side ? c->dst : c->src;
		size_t nids = side ? c->n_dst : c->n_src;
		struct dfl_strbuf *sb = &store[k++];
		bool src = (side == 0) != invert;

		if (!nids)
			continue;
		dfl_strbuf__reset(sb);
		for (size_t i = 0; i < nids && !sb->len; i++)
			ctx_value(f, src, ids[i], sb);
		values[(*n)++] = dfl_strbuf__str(sb);
	}
}

/* ---- handlers ----------------------------------------------------------- */

static const char *l4_protocol(const struct dfl_flow *f)
{
	switch (f->l4.proto) {
	case DFL_L4_TCP:
		return "TCP";
	case DFL_L4_UDP:
		return "UDP";
	case DFL_L4_ICMPV4:
		return "ICMPv4";
	case DFL_L4_ICMPV6:
		return "ICMPv6";
	case DFL_L4_SCTP:
		return "SCTP";
	default:
		return NULL;
	}
}

/* Hubble's v1.FlowProtocol */
static const char *flow_protocol(const struct dfl_flow *f)
{
	const char *p;

	switch (f->event_type) {
	case DFL_EVENT_L7:
		return f->l7.proto == DFL_L7_PROTO_DNS	? "DNS" :
		       f->l7.proto == DFL_L7_PROTO_HTTP ? "HTTP" :
							  "Unknown L7";
	case DFL_EVENT_DROP:
	case DFL_EVENT_TRACE:
	case DFL_EVENT_POLICY_VERDICT:
	case DFL_EVENT_CAPTURE:
		p = l4_protocol(f);
		return p ? p : "Unknown L4";
	default:
		return "Unknown flow";
	}
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 32;
}

/* Adds handler-specific values then the handler's context values, and
 * counts (or observes <v> when the family is a histogram). */
struct labels {
	const char *v[MAX_LABELS];
	size_t n;
	struct dfl_strbuf store[N_CTX_LABELS + 2];
};

static void emit(struct dfl_metrics *m, enum fam fam, enum handler h,
		 const struct dfl_flow *f, bool invert, struct labels *l,
		 double v)
{
	size_t n = l->n;

	ctx_values(m, h, f, invert, l->v, &n, l->store);
	if (m->fam[fam].histogram)
		observe_hist(&m->fam[fam], l->v, v);
	else
		inc(&m->fam[fam], l->v);
}

static void h_flow(struct dfl_metrics *m, const struct dfl_flow *f,
		   struct labels *l)
{
	const char *type, *sub = "";
	char num[16];

	switch (f->event_type) {
	case DFL_EVENT_L7:
		type = "L7";
		sub = f->l7.proto == DFL_L7_PROTO_DNS	? "DNS" :
		      f->l7.proto == DFL_L7_PROTO_HTTP ? "HTTP" :
							 "";
		break;
	case DFL_EVENT_DROP:
		type = "Drop";
		break;
	case DFL_EVENT_CAPTURE:
		type = "Capture";
		break;
	case DFL_EVENT_TRACE:
		type = "Trace";
		sub = dfl_trace_sub_type__text((uint8_t)f->event_sub_type);
		if (!sub)
			sub = "";
		break;
	case DFL_EVENT_POLICY_VERDICT:
		type = "PolicyVerdict";
		break;
	default:
		type = "Unknown";
		snprintf(num, sizeof(num), "%d", f->event_type);
		sub = num;
	}
	l->n = 0;
	l->v[l->n++] = flow_protocol(f);
	l->v[l->n++] = type;
	l->v[l->n++] = sub;
	l->v[l->n++] = dfl_verdict__name(f->verdict) ? dfl_verdict__name(f->verdict) :
						       "VERDICT_UNKNOWN";
	emit(m, F_FLOWS, H_FLOW, f, false, l, 0);
}

static void h_drop(struct dfl_metrics *m, const struct dfl_flow *f,
		   struct labels *l)
{
	char num[16];
	const char *reason = dfl_drop_reason__name(f->drop_reason);

	if (f->verdict != DFL_VERDICT_DROPPED)
		return;
	if (!reason) {
		snprintf(num, sizeof(num), "%u", f->drop_reason);
		reason = num;
	}
	l->n = 0;
	l->v[l->n++] = reason;
	l->v[l->n++] = flow_protocol(f);
	emit(m, F_DROP, H_DROP, f, false, l, 0);
}

static bool forwarded(const struct dfl_flow *f)
{
	return f->verdict == DFL_VERDICT_FORWARDED ||
	       f->verdict == DFL_VERDICT_REDIRECTED;
}

static void h_tcp(struct dfl_metrics *m, const struct dfl_flow *f,
		  struct labels *l)
{
	uint16_t fl = f->l4.tcp_flags;
	const char *flags[3];
	size_t n = 0;

	if (!forwarded(f) || f->l4.proto != DFL_L4_TCP || !fl)
		return;
	if (fl & DFL_TCP_SYN)
		flags[n++] = fl & DFL_TCP_ACK ? "SYN-ACK" : "SYN";
	if (fl & DFL_TCP_FIN)
		flags[n++] = "FIN";
	if (fl & DFL_TCP_RST)
		flags[n++] = "RST";
	for (size_t i = 0; i < n; i++) {
		l->n = 0;
		l->v[l->n++] = flags[i];
		l->v[l->n++] = f->ip.version == 6 ? "IPv6" : "IPv4";
		emit(m, F_TCP, H_TCP, f, false, l, 0);
	}
}

static void h_port(struct dfl_metrics *m, const struct dfl_flow *f,
		   struct labels *l)
{
	char port[8];
	const char *p = l4_protocol(f);

	if (!forwarded(f) || f->is_reply != DFL_REPLY_NO || !p)
		return;
	snprintf(port, sizeof(port), "%u",
		 f->l4.proto == DFL_L4_ICMPV4 || f->l4.proto == DFL_L4_ICMPV6 ?
			 0 :
			 f->l4.destination_port);
	l->n = 0;
	l->v[l->n++] = p;
	l->v[l->n++] = port;
	emit(m, F_PORT, H_PORT, f, false, l, 0);
}

static void h_icmp(struct dfl_metrics *m, const struct dfl_flow *f,
		   struct labels *l)
{
	char text[64];

	if (f->l4.proto != DFL_L4_ICMPV4 && f->l4.proto != DFL_L4_ICMPV6)
		return;
	l->n = 0;
	/* Hubble labels ICMPv6 with family "IPv4" too; dashboards built on it
	 * expect that, so it is kept */
	l->v[l->n++] = "IPv4";
	l->v[l->n++] = dfl_icmp__text(f->l4.proto == DFL_L4_ICMPV6,
				      f->l4.icmp_type, f->l4.icmp_code, text,
				      sizeof(text));
	emit(m, F_ICMP, H_ICMP, f, false, l, 0);
}

static void h_dns(struct dfl_metrics *m, const struct dfl_flow *f,
		  struct labels *l)
{
	const struct dfl_flow_dns *d = &f->l7.dns;
	struct dfl_strbuf qt = { 0 };
	char ips[16], rcode[32];
	bool response = f->is_reply == DFL_REPLY_YES;
	bool aaaa = true;

	if (f->l7.proto != DFL_L7_PROTO_DNS)
		return;
	for (size_t i = 0; i < d->n_qtypes; i++) {
		dfl_strbuf__printf(&qt, "%s%s", i ? "," : "",
				   d->qtypes[i] ? d->qtypes[i] : "");
		aaaa &= d->qtypes[i] && !strcmp(d->qtypes[i], "AAAA");
	}
	if (m->dns_ignore_aaaa && d->n_qtypes && aaaa)
		goto out;
	snprintf(ips, sizeof(ips), "%zu", d->n_ips);
	if (f->verdict == DFL_VERDICT_DROPPED)
		snprintf(rcode, sizeof(rcode), "Policy denied");
	else if (!response)
		rcode[0] = '\0';
	else if (dfl_dns_rcode__text(d->rcode))
		snprintf(rcode, sizeof(rcode), "%s", dfl_dns_rcode__text(d->rcode));
	else
		snprintf(rcode, sizeof(rcode), "%u", d->rcode);
	l->n = 0;
	l->v[l->n++] = rcode;
	l->v[l->n++] = dfl_strbuf__str(&qt);
	l->v[l->n++] = ips;
	if (m->dns_query)
		l->v[l->n++] = d->query ? d->query : "";
	if (f->verdict == DFL_VERDICT_DROPPED || !response)
		emit(m, F_DNS_Q, H_DNS, f, false, l, 0);
	else
		emit(m, F_DNS_R, H_DNS, f, false, l, 0);
	for (size_t i = 0; response && i < d->n_rrtypes; i++) {
		l->n = 0;
		l->v[l->n++] = d->rrtypes[i] ? d->rrtypes[i] : "";
		l->v[l->n++] = dfl_strbuf__str(&qt);
		if (m->dns_query)
			l->v[l->n++] = d->query ? d->query : "";
		emit(m, F_DNS_T, H_DNS, f, false, l, 0);
	}
out:
	dfl_strbuf__release(&qt);
}

static void h_http(struct dfl_metrics *m, bool v2, const struct dfl_flow *f,
		   struct labels *l)
{
	const struct dfl_flow_http *h = &f->l7.http;
	const char *reporter = f->traffic_direction == DFL_TRAFFIC_EGRESS ? "client" :
			       f->traffic_direction == DFL_TRAFFIC_INGRESS ? "server" :
									  "unknown";
	enum handler hd = v2 ? H_HTTPV2 : H_HTTP;
	char status[16];

	if (f->l7.proto != DFL_L7_PROTO_HTTP)
		return;
	snprintf(status, sizeof(status), "%u", h->code);
	if (f->l7.type == DFL_L7_REQUEST && !v2) {
		l->n = 0;
		l->v[l->n++] = h->method ? h->method : "";
		l->v[l->n++] = h->protocol ? h->protocol : "";
		l->v[l->n++] = reporter;
		emit(m, F_HTTP_REQ, hd, f, false, l, 0);
		return;
	}
	if (f->l7.type != DFL_L7_RESPONSE)
		return;
	l->n = 0;
	l->v[l->n++] = h->method ? h->method : "";
	l->v[l->n++] = h->protocol ? h->protocol : "";
	l->v[l->n++] = status;
	l->v[l->n++] = reporter;
	/* httpV2 counts requests on their responses, from the client's side */
	emit(m, v2 ? F_HTTP_REQ : F_HTTP_RESP, hd, f, v2, l, 0);
	l->n = 0;
	l->v[l->n++] = h->method ? h->method : "";
	l->v[l->n++] = reporter;
	emit(m, F_HTTP_DUR, hd, f, v2, l, (double)f->l7.latency_ns / 1e9);
}

static void h_policy(struct dfl_metrics *m, const struct dfl_flow *f,
		     struct labels *l)
{
	char direction[32], match[32], action[32];
	const char *v = dfl_verdict__name(f->verdict);

	if (f->event_type == DFL_EVENT_POLICY_VERDICT) {
		/* Hubble leaves out verdicts of the host and of health checks */
		if (f->source.identity == 1 || f->source.identity == 4 ||
		    f->destination.identity == 4)
			return;
		snprintf(match, sizeof(match), "%s",
			 dfl_policy_match__text(f->policy_match_type));
	} else if (f->event_type == DFL_EVENT_L7 && f->l7.type == DFL_L7_REQUEST) {
		/* an L7 decision is made on the request */
		snprintf(match, sizeof(match), "l7/%s",
			 f->l7.proto == DFL_L7_PROTO_HTTP ? "http" :
			 f->l7.proto == DFL_L7_PROTO_DNS  ? "dns" :
							    "unknown");
	} else {
		return;
	}
	snprintf(direction, sizeof(direction), "%s",
		 dfl_direction__name(f->traffic_direction) ?
			 dfl_direction__name(f->traffic_direction) :
			 "TRAFFIC_DIRECTION_UNKNOWN");
	snprintf(action, sizeof(action), "%s", v ? v : "VERDICT_UNKNOWN");
	lower(direction);
	lower(match);
	lower(action);
	l->n = 0;
	l->v[l->n++] = direction;
	l->v[l->n++] = match;
	l->v[l->n++] = action;
	emit(m, F_POLICY, H_POLICY, f, false, l, 0);
}

void dfl_metrics__observe(struct dfl_metrics *m, const struct dfl_flow *f)
{
	struct labels l = { .n = 0 };

	pthread_mutex_lock(&m->lock);
	if (m->on[H_FLOW])
		h_flow(m, f, &l);
	if (m->on[H_DROP])
		h_drop(m, f, &l);
	if (m->on[H_TCP])
		h_tcp(m, f, &l);
	if (m->on[H_PORT])
		h_port(m, f, &l);
	if (m->on[H_ICMP])
		h_icmp(m, f, &l);
	if (m->on[H_DNS])
		h_dns(m, f, &l);
	if (m->on[H_HTTP] || m->on[H_HTTPV2])
		h_http(m, m->on[H_HTTPV2], f, &l);
	if (m->on[H_POLICY])
		h_policy(m, f, &l);
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < sizeof(l.store) / sizeof(l.store[0]); i++)
		dfl_strbuf__release(&l.store[i]);
}

void dfl_metrics__datapath_add(struct dfl_metrics *m, bool drop,
			       uint32_t reason,
			       enum dfl_traffic_direction direction,
			       uint64_t packets, uint64_t bytes)
{
	const char *dir = direction == DFL_TRAFFIC_INGRESS ? "INGRESS" :
			  direction == DFL_TRAFFIC_EGRESS  ? "EGRESS" :
							 "UNKNOWN";
	const char *text = dfl_drop_reason__text(reason);
	char num[16];
	const char *v[2];
	struct series *s;

	if (!text) {
		snprintf(num, sizeof(num), "%u", reason);
		text = num;
	}
	pthread_mutex_lock(&m->lock);
	if (drop) {
		v[0] = text;
		v[1] = dir;
		if ((s = get(&m->fam[F_CIL_DROP], v)))
			s->count += packets;
		if ((s = get(&m->fam[F_CIL_DROP_BYTES], v)))
			s->count += bytes;
	} else {
		v[0] = dir;
		if ((s = get(&m->fam[F_CIL_FWD], v)))
			s->count += packets;
		if ((s = get(&m->fam[F_CIL_FWD_BYTES], v)))
			s->count += bytes;
	}
	pthread_mutex_unlock(&m->lock);
}

/* ---- exposition --------------------------------------------------------- */

static void put_labels(struct dfl_strbuf *out, const struct family *fa,
		       const char *key, const char *extra_name,
		       const char *extra_value)
{
	const char *p = key;
	bool any = fa->n_labels || extra_name;

	if (!any)
		return;
	dfl_strbuf__putc(out, '{');
	for (size_t i = 0; i < fa->n_labels; i++) {
		const char *end = strchr(p, '\x1f');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		dfl_strbuf__printf(out, "%s%s=\"", i ? "," : "", fa->labels[i]);
		for (size_t j = 0; j < n; j++) {
			if (p[j] == '\\' || p[j] == '"')
				dfl_strbuf__putc(out, '\\');
			if (p[j] == '\n')
				dfl_strbuf__puts(out, "\\n");
			else
				dfl_strbuf__putc(out, p[j]);
		}
		dfl_strbuf__putc(out, '"');
		p = end ? end + 1 : p + n;
	}
	if (extra_name)
		dfl_strbuf__printf(out, "%s%s=\"%s\"", fa->n_labels ? "," : "",
				   extra_name, extra_value);
	dfl_strbuf__putc(out, '}');
}

int dfl_metrics__render(struct dfl_metrics *m, struct dfl_strbuf *out)
{
	pthread_mutex_lock(&m->lock);
	for (int f = 0; f < F_N; f++) {
		const struct family *fa = &m->fam[f];

		if (!fa->name || !fa->n)
			continue;
		dfl_strbuf__printf(out, "# HELP %s %s\n# TYPE %s %s\n", fa->name,
				   fa->help, fa->name,
				   fa->histogram ? "histogram" : "counter");
		for (size_t i = 0; i < fa->n; i++) {
			const struct series *s = &fa->series[i];

			if (!fa->histogram) {
				dfl_strbuf__puts(out, fa->name);
				put_labels(out, fa, s->key, NULL, NULL);
				dfl_strbuf__printf(out, " %" PRIu64 "\n", s->count);
				continue;
			}
			for (size_t b = 0; b <= N_BUCKETS; b++) {
				char le[32];

				if (b < N_BUCKETS)
					snprintf(le, sizeof(le), "%g", buckets[b]);
				else
					snprintf(le, sizeof(le), "+Inf");
				dfl_strbuf__printf(out, "%s_bucket", fa->name);
				put_labels(out, fa, s->key, "le", le);
				dfl_strbuf__printf(out, " %" PRIu64 "\n",
						   b < N_BUCKETS ? s->bucket[b] :
								   s->count);
			}
			dfl_strbuf__printf(out, "%s_sum", fa->name);
			put_labels(out, fa, s->key, NULL, NULL);
			dfl_strbuf__printf(out, " %.9g\n", s->sum);
			dfl_strbuf__printf(out, "%s_count", fa->name);
			put_labels(out, fa, s->key, NULL, NULL);
			dfl_strbuf__printf(out, " %" PRIu64 "\n", s->count);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return out->err;
}
