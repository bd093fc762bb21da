/* Flows: datapath events and proxy records become Hubble flow records, kept
 * in the ring (`observe --last`), streamed to followers (`observe -f`) and
 * exported. Every verdict is attributed, default-deny drops included: the
 * policies that put the endpoint into default deny are listed with
 * default_deny set (docs/flows.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent/engine-priv.h"
#include "flow/flow.h"
#include "flow/exporter.h"
#include "flow/json.h"
#include "flow/metrics.h"
#include "identity/allocator.h"
#include "policy/l7_match.h"
#include "proxy/proxy-t.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

void *flow_scratch_alloc(struct flow_scratch *s, size_t size)
{
	void *p;

	if (s->n >= DFL_ARRAY_SIZE(s->blocks))
		return NULL;
	p = calloc(1, size ? size : 1);
	if (p)
		s->blocks[s->n++] = p;
	return p;
}

const char *flow_scratch_printf(struct flow_scratch *s, const char *fmt, ...)
{
	struct dfl_strbuf sb = { 0 };
	va_list ap;
	char *str;

	if (s->n >= DFL_ARRAY_SIZE(s->blocks))
		return "";
	va_start(ap, fmt);
	dfl_strbuf__vprintf(&sb, fmt, ap);
	va_end(ap);
	str = dfl_strbuf__detach(&sb);
	if (!str)
		return "";
	s->blocks[s->n++] = str;
	return str;
}

void flow_scratch_release(struct flow_scratch *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->blocks[i]);
	s->n = 0;
}

/* A proxy event copied off the proxy thread: everything the flow needs. */
struct queued_l7 {
	struct queued_l7 *next;
	struct dfl_l7_event ev;	   /* pointers below point into strs */
	struct flow_scratch strs;  /* owns every string of ev */
};

static const char *keep(struct flow_scratch *s, const char *str)
{
	return str ? flow_scratch_printf(s, "%s", str) : NULL;
}

static const char *const *keep_list(struct flow_scratch *s,
				    const char *const *list, size_t n)
{
	const char **out = n ? flow_scratch_alloc(s, n * sizeof(*out)) : NULL;

	for (size_t i = 0; out && i < n; i++)
		out[i] = keep(s, list[i]);
	return out;
}

void engine_l7_enqueue(struct dfl_engine *e, const struct dfl_l7_event *ev)
{
	struct queued_l7 *q = calloc(1, sizeof(*q));
	struct flow_scratch *s;
	uint64_t one = 1;

	if (!q)
		return; /* counted by the proxy's own stats; nothing to free */
	s = &q->strs;
	q->ev = *ev;
	q->ev.reason = keep(s, ev->reason);
	if (ev->proto == DFL_L7_PROTO_HTTP) {
		struct dfl_http_header_view *h = NULL;

		q->ev.http.method = keep(s, ev->http.method);
		q->ev.http.url = keep(s, ev->http.url);
		q->ev.http.protocol = keep(s, ev->http.protocol);
		if (ev->http.n_headers)
			h = flow_scratch_alloc(s, ev->http.n_headers * sizeof(*h));
		for (size_t i = 0; h && i < ev->http.n_headers; i++) {
			const struct dfl_http_header_view *v = &ev->http.headers[i];
			char *name = flow_scratch_alloc(s, v->name_len + 1);
			char *value = flow_scratch_alloc(s, v->value_len + 1);

			if (!name || !value)
				break;
			memcpy(name, v->name, v->name_len);
			memcpy(value, v->value, v->value_len);
			h[i] = (struct dfl_http_header_view){ name, v->name_len, value,
							      v->value_len };
		}
		q->ev.http.headers = h;
		q->ev.http.n_headers = h ? ev->http.n_headers : 0;
	} else if (ev->proto == DFL_L7_PROTO_DNS) {
		struct dfl_ip *ips = ev->dns.n_ips ?
			flow_scratch_alloc(s, ev->dns.n_ips * sizeof(*ips)) : NULL;

		q->ev.dns.query = keep(s, ev->dns.query);
		q->ev.dns.qtypes = keep_list(s, ev->dns.qtypes, ev->dns.n_qtypes);
		q->ev.dns.cnames = keep_list(s, ev->dns.cnames, ev->dns.n_cnames);
		q->ev.dns.rrtypes = keep_list(s, ev->dns.rrtypes, ev->dns.n_rrtypes);
		if (ips)
			memcpy(ips, ev->dns.ips, ev->dns.n_ips * sizeof(*ips));
		q->ev.dns.ips = ips;
		q->ev.dns.n_ips = ips ? ev->dns.n_ips : 0;
	}
	pthread_mutex_lock(&e->queue_lock);
	*e->queue_tail = q;
	e->queue_tail = &q->next;
	pthread_mutex_unlock(&e->queue_lock);
	if (write(e->queue_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("flows: queue wake-up failed: %s\n", strerror(errno));
}

static void l7_to_flow(struct dfl_engine *e, const struct dfl_l7_event *ev);

void engine_flow_publish(struct dfl_engine *e, const struct dfl_flow *f)
{
	struct dfl_api *api = e->agent ? dfl_agent__api(e->agent) : NULL;

	e->flows_seen++;
	if (dfl_ring__push(e->ring, f))
		pr_warn("flows: out of memory: a record was not kept\n");
	if (e->exporter)
		dfl_exporter__export(e->exporter, f); /* counts its own losses */
	if (e->metrics)
		dfl_metrics__observe(e->metrics, f);
	if (api && dfl_api__followers(api, "flows")) {
		struct dfl_strbuf line = { 0 };
		json_t *msg;

		if (!dfl_flow__to_json_line(f, NULL, &line)) {
			msg = json_loadb(line.buf, line.len, 0, NULL);
			if (msg)
				dfl_api__publish(api, "flows", msg);
			json_decref(msg);
		}
		dfl_strbuf__release(&line);
	}
}

static void on_queue(void *ctx, int fd, uint32_t events)
{
	struct dfl_engine *e = ctx;
	struct queued_l7 *q;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&e->queue_lock);
	q = e->queue_head;
	e->queue_head = NULL;
	e->queue_tail = &e->queue_head;
	pthread_mutex_unlock(&e->queue_lock);
	while (q) {
		struct queued_l7 *next = q->next;

		l7_to_flow(e, &q->ev);
		flow_scratch_release(&q->strs);
		free(q);
		q = next;
	}
}

/* ---- enrichment -------------------------------------------------------- */

void engine_flow_endpoint(struct dfl_engine *e, uint32_t id, uint32_t ip,
			  struct dfl_flow_endpoint *out, struct flow_scratch *s)
{
	const struct dfl_identity *ident =
		dfl_idalloc__get(dfl_compiler__identities(e->compiler), id);
	struct dfl_endpoint *ep = ip && e->agent ?
					  dfl_agent__endpoint_by_ip(e->agent, ntohl(ip)) :
					  NULL;
	const char **labels;

	memset(out, 0, sizeof(*out));
	out->identity = id;
	if (ep) {
		out->id = ep->id;
		out->namespace = ep->pod.namespace;
		out->pod_name = ep->pod.name;
		out->cluster_name = e->cfg.cluster ? e->cfg.cluster : "default";
		if (ep->pod.workload_name) {
			struct dfl_flow_workload *wl = flow_scratch_alloc(s, sizeof(*wl));

			if (wl) {
				wl->name = ep->pod.workload_name;
				wl->kind = ep->pod.workload_kind ? ep->pod.workload_kind :
								   "Deployment";
				out->workloads = wl;
				out->n_workloads = 1;
			}
		}
	}
	if (!ident || !ident->labels.n)
		return;
	labels = flow_scratch_alloc(s, ident->labels.n * sizeof(*labels));
	if (!labels)
		return;
	/* The allocator keeps labels sorted by key, which is Hubble's order. */
	for (size_t i = 0; i < ident->labels.n; i++) {
		const struct dfl_label *l = &ident->labels.items[i];

		labels[out->n_labels++] = *l->value ?
			flow_scratch_printf(s, "%s:%s=%s", l->source, l->key, l->value) :
			flow_scratch_printf(s, "%s:%s", l->source, l->key);
	}
	out->labels = labels;
}

static void fill_policy(const struct dfl_origin *og, bool default_deny,
			struct dfl_flow_policy *p, struct flow_scratch *s)
{
	static const char *const kind_names[] = {
		[DFL_KIND_CNP] = "CiliumNetworkPolicy",
		[DFL_KIND_CCNP] = "CiliumClusterwideNetworkPolicy",
		[DFL_KIND_KNP] = "NetworkPolicy",
	};
	const char **labels = flow_scratch_alloc(s, 4 * sizeof(*labels));

	memset(p, 0, sizeof(*p));
	p->name = og->name;
	p->namespace = og->namespace;
	p->default_deny = default_deny;
	p->rule = og->field;
	if (og->origin != DFL_ORIGIN_POLICY) {
		p->kind = "";
		return;
	}
	p->kind = og->kind < DFL_KIND_POD ? kind_names[og->kind] : "";
	if (!labels)
		return;
	/* Cilium's derived-from labels, in its sorted order. */
	labels[p->n_labels++] = flow_scratch_printf(s, "k8s:io.cilium.k8s.policy.derived-from=%s", p->kind);
	labels[p->n_labels++] = flow_scratch_printf(s, "k8s:io.cilium.k8s.policy.name=%s", og->name);
	if (og->namespace)
		labels[p->n_labels++] = flow_scratch_printf(s, "k8s:io.cilium.k8s.policy.namespace=%s",
						     og->namespace);
	if (og->uid)
		labels[p->n_labels++] = flow_scratch_printf(s, "k8s:io.cilium.k8s.policy.uid=%s", og->uid);
	p->labels = labels;
}

/* The attribution of a datapath verdict, into the field its direction and
 * outcome select. */
static void attribute(struct dfl_engine *e, const struct dfl_event *ev,
		      struct dfl_flow *f, struct dfl_flow_policy *pols,
		      size_t max, struct flow_scratch *s)
{
	bool egress = ev->dir == DFL_TRAFFIC_EGRESS;
	bool denied = f->verdict == DFL_VERDICT_DROPPED ||
		      f->verdict == DFL_VERDICT_AUDIT;
	struct dfl_flow_policies *dst =
		denied ? (egress ? &f->egress_denied_by : &f->ingress_denied_by) :
			 (egress ? &f->egress_allowed_by : &f->ingress_allowed_by);
	size_t n = 0;

	if (denied && ev->drop_reason == DFL_DROP_POLICY) {
		/* Default deny: name the policies that enabled it. */
		struct dfl_endpoint *ep = dfl_agent__endpoint_by_id(e->agent, ev->ep_id);
		char name[512];
		const struct dfl_ep_policy *p;

		if (!ep)
			return;
		snprintf(name, sizeof(name), "%s/%s", ep->pod.namespace, ep->pod.name);
		p = dfl_compiler__policy(e->compiler, name);
		for (size_t i = 0; p && i < p->dir[egress].n_dd && n < max; i++) {
			const struct dfl_origin *og =
				dfl_compiler__origin(e->compiler, p->dir[egress].dd_cookies[i]);

			if (og)
				fill_policy(og, true, &pols[n++], s);
		}
	} else if (ev->cookie) {
		const struct dfl_origin *og = dfl_compiler__origin(e->compiler, ev->cookie);

		if (og)
			fill_policy(og, false, &pols[n++], s);
	}
	dst->items = pols;
	dst->n = n;
}

static void set_addr(uint8_t *dst, const __u32 *src, bool v6)
{
	memcpy(dst, src, v6 ? 16 : 4);
}

static const struct dfl_service_desc *service_by_ip(struct dfl_engine *e,
						    uint32_t ip_net)
{
	struct dfl_service_desc *const *svcs;
	size_t n = dfl_agent__services(e->agent, &svcs);

	for (size_t i = 0; i < n; i++)
		if (svcs[i]->cluster_ip == ntohl(ip_net))
			return svcs[i];
	return NULL;
}

static int on_datapath_event(void *ctx, const struct dfl_event *ev)
{
	struct dfl_engine *e = ctx;
	bool v6 = ev->flags & DFL_EV_F_IPV6;
	bool ingress = ev->dir == DFL_TRAFFIC_INGRESS;
	struct dfl_flow_endpoint local, remote;
	struct dfl_flow_policy pols[16];
	struct flow_scratch s = { 0 };
	struct dfl_flow f = { 0 };

	if (ev->type == DFL_EV_POLICY_OVERFLOW) {
		pr_warn("endpoint %u: policy does not fit its map (%u entries asked, capacity %u): the endpoint is in deny-all\n",
			ev->ep_id, ev->pkt_len, ev->aux);
		return 0;
	}
	pthread_rwlock_rdlock(&e->lock);
	f.time_ns = (int64_t)ev->ts_ns; /* the poller converted it to CLOCK_REALTIME */
	dfl_flow__set_uuid(&f);
	f.verdict = (enum dfl_verdict)ev->verdict;
	f.type = DFL_FLOW_TYPE_L3_L4;
	f.node_name = e->cfg.node_name ? e->cfg.node_name : "deflector";
	f.traffic_direction = (enum dfl_traffic_direction)ev->dir;
	if (ev->type == DFL_EV_DROP) {
		f.event_type = DFL_EVENT_DROP;
		f.event_sub_type = ev->drop_reason;
		f.drop_reason = ev->drop_reason;
	} else {
		f.event_type = DFL_EVENT_POLICY_VERDICT;
		f.policy_match_type = ev->match_type;
		f.is_reply = DFL_REPLY_NO;
		if (f.verdict == DFL_VERDICT_DROPPED || f.verdict == DFL_VERDICT_AUDIT)
			f.drop_reason = ev->drop_reason;
	}
	f.auth_type = (enum dfl_auth_type)ev->auth_type;
	f.ip.version = v6 ? 6 : 4;
	set_addr(f.ip.source, ev->saddr, v6);
	set_addr(f.ip.destination, ev->daddr, v6);
	switch (ev->proto) {
	case IPPROTO_TCP:
		f.l4.proto = DFL_L4_TCP;
		f.l4.tcp_flags = ev->tcp_flags;
		break;
	case IPPROTO_UDP:
		f.l4.proto = DFL_L4_UDP;
		break;
	case IPPROTO_SCTP:
		f.l4.proto = DFL_L4_SCTP;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		f.l4.proto = ev->proto == IPPROTO_ICMP ? DFL_L4_ICMPV4 : DFL_L4_ICMPV6;
		f.l4.icmp_type = ev->icmp_type;
		f.l4.icmp_code = ev->icmp_code;
		break;
	}
	if (f.l4.proto == DFL_L4_TCP || f.l4.proto == DFL_L4_UDP ||
	    f.l4.proto == DFL_L4_SCTP) {
		f.l4.source_port = ev->sport;
		f.l4.destination_port = ev->dport;
	}
	/* The local endpoint is the destination of ingress traffic and the
	 * source of egress traffic. */
	engine_flow_endpoint(e, ev->local_identity, v6 ? 0 : (ingress ? ev->daddr[0] : ev->saddr[0]),
			     &local, &s);
	engine_flow_endpoint(e, ev->remote_identity, v6 ? 0 : (ingress ? ev->saddr[0] : ev->daddr[0]),
			     &remote, &s);
	f.source = ingress ? remote : local;
	f.destination = ingress ? local : remote;
	if ((ev->flags & DFL_EV_F_TRANSLATED) && !v6) {
		const struct dfl_service_desc *svc = service_by_ip(e, ev->orig_daddr[0]);

		if (svc) {
			f.destination_service.name = svc->name;
			f.destination_service.namespace = svc->namespace;
		}
	}
	attribute(e, ev, &f, pols, DFL_ARRAY_SIZE(pols), &s);
	engine_flow_publish(e, &f);
	pthread_rwlock_unlock(&e->lock);
	flow_scratch_release(&s);
	return 0;
}

/* Attribution of an L7 record: the rule that allowed the request, or the
 * policies whose L7 rules the request failed. */
static void attribute_l7(struct dfl_engine *e, const struct dfl_l7_event *ev,
			 uint16_t port, struct dfl_flow *f,
			 struct dfl_flow_policy *pols, size_t max,
			 struct flow_scratch *s)
{
	bool egress = ev->direction == DFL_DIR_EGRESS;
	bool denied = ev->verdict == DFL_L7_DROPPED;
	struct dfl_endpoint *ep = dfl_agent__endpoint_by_id(e->agent, (uint16_t)ev->endpoint_id);
	struct dfl_flow_policies *dst =
		denied ? (egress ? &f->egress_denied_by : &f->ingress_denied_by) :
			 (egress ? &f->egress_allowed_by : &f->ingress_allowed_by);
	const struct dfl_ep_policy *p;
	struct dfl_l7_set set = { 0 };
	char name[512];
	size_t n = 0;

	if (!ep)
		return;
	snprintf(name, sizeof(name), "%s/%s", ep->pod.namespace, ep->pod.name);
	p = dfl_compiler__policy(e->compiler, name);
	if (!p || dfl_ep_policy__l7(p, egress, ev->ip_proto, port,
				    egress ? ev->dst_identity : ev->src_identity, &set))
		goto out;
	if (!denied && ev->rule >= 0 && (size_t)ev->rule < set.n_rules) {
		const struct dfl_origin *og =
			dfl_compiler__origin(e->compiler, set.rules[ev->rule].cookie);

		if (og)
			fill_policy(og, false, &pols[n++], s);
	} else if (!denied && set.allow_all) {
		const struct dfl_origin *og =
			dfl_compiler__origin(e->compiler, set.allow_all_cookie);

		if (og)
			fill_policy(og, false, &pols[n++], s);
	} else if (denied) {
		for (size_t i = 0; i < set.n_rules && n < max; i++) {
			const struct dfl_origin *og =
				dfl_compiler__origin(e->compiler, set.rules[i].cookie);
			bool dup = false;

			for (size_t j = 0; og && j < n; j++)
				dup |= !strcmp(pols[j].name, og->name) &&
				       (pols[j].namespace == og->namespace ||
					(pols[j].namespace && og->namespace &&
					 !strcmp(pols[j].namespace, og->namespace)));
			if (og && !dup)
				fill_policy(og, false, &pols[n++], s);
		}
	}
	dst->items = pols;
	dst->n = n;
out:
	dfl_l7_set__release(&set);
}

static void sockaddr_ip(const struct dfl_sockaddr *a, uint8_t *dst, uint16_t *port)
{
	if (a->sa.sa_family == AF_INET) {
		memcpy(dst, &a->in4.sin_addr, 4);
		*port = ntohs(a->in4.sin_port);
	} else {
		memcpy(dst, &a->in6.sin6_addr, 16);
		*port = ntohs(a->in6.sin6_port);
	}
}

static void l7_to_flow(struct dfl_engine *e, const struct dfl_l7_event *ev)
{
	bool response = ev->type == DFL_L7_RESPONSE;
	bool v6 = ev->client.sa.sa_family == AF_INET6;
	struct dfl_flow_endpoint client, server;
	struct dfl_flow_policy pols[16];
	struct flow_scratch s = { 0 };
	struct dfl_flow f = { 0 };
	uint8_t caddr[16] = { 0 }, saddr[16] = { 0 };
	uint16_t cport, sport;
	uint32_t c4, s4;

	sockaddr_ip(&ev->client, caddr, &cport);
	sockaddr_ip(&ev->server, saddr, &sport);
	memcpy(&c4, caddr, 4);
	memcpy(&s4, saddr, 4);
	pthread_rwlock_rdlock(&e->lock);
	f.time_ns = (int64_t)ev->time_ns;
	dfl_flow__set_uuid(&f);
	f.verdict = ev->verdict == DFL_L7_DROPPED ? DFL_VERDICT_DROPPED :
		    ev->verdict == DFL_L7_ERROR	  ? DFL_VERDICT_ERROR :
						    DFL_VERDICT_FORWARDED;
	f.type = DFL_FLOW_TYPE_L7;
	f.event_type = DFL_EVENT_L7;
	f.node_name = e->cfg.node_name ? e->cfg.node_name : "deflector";
	f.traffic_direction = ev->direction == DFL_DIR_EGRESS ? DFL_TRAFFIC_EGRESS :
								DFL_TRAFFIC_INGRESS;
	f.is_reply = response ? DFL_REPLY_YES : DFL_REPLY_NO;
	f.ip.version = v6 ? 6 : 4;
	/* Responses travel from the server to the client, as in Hubble. */
	memcpy(f.ip.source, response ? saddr : caddr, 16);
	memcpy(f.ip.destination, response ? caddr : saddr, 16);
	f.l4.proto = ev->ip_proto == IPPROTO_UDP ? DFL_L4_UDP : DFL_L4_TCP;
	f.l4.source_port = response ? sport : cport;
	f.l4.destination_port = response ? cport : sport;
	engine_flow_endpoint(e, ev->src_identity, v6 ? 0 : c4, &client, &s);
	engine_flow_endpoint(e, ev->dst_identity, v6 ? 0 : s4, &server, &s);
	f.source = response ? server : client;
	f.destination = response ? client : server;
	f.l7.type = ev->type;
	f.l7.latency_ns = ev->latency_ns;
	f.l7.proto = ev->proto;
	if (ev->proto == DFL_L7_PROTO_HTTP) {
		struct dfl_flow_http_header *h = NULL;

		f.l7.http.method = ev->http.method;
		f.l7.http.url = ev->http.url;
		f.l7.http.protocol = ev->http.protocol;
		f.l7.http.code = response ? ev->http.code : 0;
		if (ev->http.n_headers)
			h = flow_scratch_alloc(&s, ev->http.n_headers * sizeof(*h));
		for (size_t i = 0; h && i < ev->http.n_headers; i++) {
			const struct dfl_http_header_view *v = &ev->http.headers[i];

			h[i].key = flow_scratch_printf(&s, "%.*s", (int)v->name_len, v->name);
			h[i].value = flow_scratch_printf(&s, "%.*s", (int)v->value_len, v->value);
		}
		/* Hubble lists headers sorted by key. */
		for (size_t i = 1; h && i < ev->http.n_headers; i++)
			for (size_t j = i; j > 0 && strcmp(h[j - 1].key, h[j].key) > 0; j--) {
				struct dfl_flow_http_header t = h[j];

				h[j] = h[j - 1];
				h[j - 1] = t;
			}
		f.l7.http.headers = h;
		f.l7.http.n_headers = h ? ev->http.n_headers : 0;
	} else if (ev->proto == DFL_L7_PROTO_DNS) {
		const char **ips = ev->dns.n_ips ?
			flow_scratch_alloc(&s, ev->dns.n_ips * sizeof(*ips)) : NULL;

		f.l7.dns.query = ev->dns.query;
		f.l7.dns.observation_source = "proxy";
		f.l7.dns.qtypes = (const char **)ev->dns.qtypes;
		f.l7.dns.n_qtypes = ev->dns.n_qtypes;
		if (response) {
			f.l7.dns.rcode = ev->dns.rcode;
			f.l7.dns.ttl = ev->dns.ttl;
			f.l7.dns.cnames = (const char **)ev->dns.cnames;
			f.l7.dns.n_cnames = ev->dns.n_cnames;
			f.l7.dns.rrtypes = (const char **)ev->dns.rrtypes;
			f.l7.dns.n_rrtypes = ev->dns.n_rrtypes;
			for (size_t i = 0; ips && i < ev->dns.n_ips; i++) {
				char buf[INET6_ADDRSTRLEN];

				inet_ntop(ev->dns.ips[i].family, ev->dns.ips[i].addr, buf,
					  sizeof(buf));
				ips[i] = flow_scratch_printf(&s, "%s", buf);
			}
			f.l7.dns.ips = ips;
			f.l7.dns.n_ips = ips ? ev->dns.n_ips : 0;
		}
	}
	if (!response)
		attribute_l7(e, ev, sport, &f, pols, DFL_ARRAY_SIZE(pols), &s);
	{
		/* Redaction happens before the record is kept anywhere. */
		struct dfl_strbuf url = { 0 };

		dfl_redact__flow(&e->redact, &f, &url);
		engine_flow_publish(e, &f);
		dfl_strbuf__release(&url);
	}
	pthread_rwlock_unlock(&e->lock);
	flow_scratch_release(&s);
}

static void on_datapath_fd(void *ctx, int fd, uint32_t events)
{
	struct dfl_engine *e = ctx;
	int n = dfl_datapath__events_poll(e->dp, 0, on_datapath_event, e);

	if (n < 0 && n != -EINTR)
		pr_warn("flows: reading datapath events failed: %s\n", strerror(-n));
}

/* ---- datapath counters -> cilium_drop_count_total & co ----------------- */

static int on_counter(void *ctx, const struct dfl_counter *c)
{
	struct dfl_engine *e = ctx;
	unsigned int dir = c->dir < 3 ? c->dir : 0;
	uint64_t *lp = &e->counted_packets[c->reason][dir];
	uint64_t *lb = &e->counted_bytes[c->reason][dir];
	/* A total below the last one means the maps are new: count it all. */
	uint64_t dp = c->packets >= *lp ? c->packets - *lp : c->packets;
	uint64_t db = c->bytes >= *lb ? c->bytes - *lb : c->bytes;

	*lp = c->packets;
	*lb = c->bytes;
	if (dp || db)
		dfl_metrics__datapath_add(e->metrics, c->reason != 0, c->reason,
					  (enum dfl_traffic_direction)dir, dp, db);
	return 0;
}

static void on_counters_timer(void *ctx, int fd, uint32_t events)
{
	struct dfl_engine *e = ctx;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (e->metrics)
		dfl_datapath__counters_foreach(e->dp, on_counter, e);
}

/* ---- observe ----------------------------------------------------------- */

/* {"op":"observe","follow":bool} -> {"flows":[records in the ring]}; with
 * follow, every later record arrives as one line. Filtering and printing
 * happen in the client (`deflector observe`), as they do in hubble. */
static int op_observe(void *ctx, struct dfl_api_call *call)
{
	struct dfl_engine *e = ctx;
	struct dfl_ring_reader *rd = dfl_ring_reader__new(e->ring, DFL_RING_OLDEST, 0);
	json_t *flows = json_array();
	const struct dfl_flow *f;
	uint64_t lost;
	int ret;

	if (!rd || !flows) {
		dfl_ring_reader__free(rd);
		json_decref(flows);
		return dfl_api_call__fail(call, -ENOMEM, "observe: out of memory");
	}
	while ((ret = dfl_ring_reader__next(rd, &f, &lost, 0)) == 1) {
		struct dfl_strbuf line = { 0 };

		if (!dfl_flow__to_json_line(f, NULL, &line)) {
			json_t *o = json_loadb(line.buf, line.len, 0, NULL);

			if (o)
				json_array_append_new(flows, o);
		}
		dfl_strbuf__release(&line);
	}
	dfl_ring_reader__free(rd);
	call->result = json_pack("{s:o}", "flows", flows);
	if (json_is_true(json_object_get(call->req, "follow")))
		return dfl_api_conn__follow(call->conn, "flows");
	return 0;
}

int engine_flows_start(struct dfl_engine *e, char *err, size_t errlen)
{
	struct dfl_evloop *loop = dfl_agent__loop(e->agent);
	int fd, ret;

	dfl_redact_config__defaults(&e->redact);
	if (e->cfg.flow_log) {
		struct dfl_exporter_config xc = {
			.name = "flow-log", .file_path = e->cfg.flow_log,
			.node_name = e->cfg.node_name,
		};

		e->exporter = dfl_exporter__new(&xc, err, errlen);
		if (!e->exporter)
			return -EINVAL;
	}
	e->metrics = dfl_metrics__new(NULL, err, errlen);
	if (!e->metrics)
		return -ENOMEM;
	if (!e->cfg.metrics_addr || *e->cfg.metrics_addr) {
		char merr[256];

		e->metrics_server = dfl_metrics_server__start(e->metrics, e->cfg.metrics_addr,
							      merr, sizeof(merr));
		/* Metrics are worth a warning, not an agent that will not start. */
		if (!e->metrics_server)
			pr_warn("metrics: not served: %s\n", merr);
	}
	e->ring = dfl_ring__new(e->cfg.flow_ring);
	e->queue_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!e->ring || e->queue_fd < 0) {
		snprintf(err, errlen, "flows: %s", strerror(errno));
		return -ENOMEM;
	}
	ret = dfl_evloop__add(loop, e->queue_fd, EPOLLIN, on_queue, e);
	fd = dfl_datapath__events_fd(e->dp);
	if (!ret && fd >= 0)
		ret = dfl_evloop__add(loop, fd, EPOLLIN, on_datapath_fd, e);
	if (!ret) {
		/* Prometheus scrapes every 15 s or so: 5 s is fresh enough. */
		e->counters_timer = dfl_evloop__add_timer(loop, 5000, on_counters_timer, e);
		if (e->counters_timer < 0)
			ret = e->counters_timer;
	}
	if (!ret)
		ret = dfl_api__register(dfl_agent__api(e->agent), "observe",
					"flow records, then follow (hubble observe)",
					op_observe, e);
	if (ret)
		snprintf(err, errlen, "flows: cannot watch datapath events: %s",
			 strerror(-ret));
	return ret;
}

void engine_flows_stop(struct dfl_engine *e)
{
	struct queued_l7 *q = e->queue_head;

	while (q) {
		struct queued_l7 *next = q->next;

		flow_scratch_release(&q->strs);
		free(q);
		q = next;
	}
	e->queue_head = NULL;
	if (e->queue_fd >= 0)
		close(e->queue_fd);
	e->queue_fd = -1;
	if (e->counters_timer > 0)
		close(e->counters_timer);
	e->counters_timer = -1;
	dfl_ring__free(e->ring);
	e->ring = NULL;
	dfl_metrics_server__stop(e->metrics_server);
	e->metrics_server = NULL;
	dfl_metrics__free(e->metrics);
	e->metrics = NULL;
	dfl_exporter__free(e->exporter); /* flushes and seals the chain */
	e->exporter = NULL;
}
