/* The L7 proxy on its own thread, inside the node's network namespace, and
 * how it learns the rules of each redirected connection: the compiler's L7
 * set for (endpoint, direction, protocol, port, peer identity), compiled to
 * matchers once and cached until the next policy change. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/engine-priv.h"
#include "agent/netns.h"
#include "identity/ipcache.h"
#include "identity/prefix.h"
#include "policy/l7_match.h"
#include "proxy/proxy.h"
#include "util/log.h"
#include "util/strbuf.h"

/* A compiled L7 set. refs counts the proxy's borrowers; a stale entry (the
 * policy changed) is freed when its last borrower lets go. */
struct l7_entry {
	struct dfl_engine *engine;
	int refs;
	bool stale;
	bool allow_all;
	struct dfl_http_matcher *http;
	struct dfl_dns_matcher *dns;
};

struct l7_cache {
	pthread_mutex_t mu;
	struct dfl_strmap map; /* key -> struct l7_entry */
};

static void entry_free(struct l7_entry *en)
{
	if (!en)
		return;
	dfl_http_matcher__free(en->http);
	dfl_dns_matcher__free(en->dns);
	free(en);
}

void engine_proxy_invalidate(struct dfl_engine *e)
{
	struct l7_cache *c = e->l7;
	const char *key;
	void *v;
	size_t it = 0;

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	while (dfl_strmap__next(&c->map, &it, &key, &v)) {
		struct l7_entry *en = v;

		if (en->refs)
			en->stale = true;
		else
			entry_free(en);
	}
	dfl_strmap__release(&c->map);
	pthread_mutex_unlock(&c->mu);
}

/* What one request borrowed from the cache: its rule set, and the other
 * side's when both endpoints have HTTP rules for the connection. */
struct l7_borrow {
	struct l7_entry *first, *also;
};

/* Drops a reference; the lock of the cache held. */
static void entry_put(struct l7_entry *en)
{
	if (en && --en->refs == 0 && en->stale)
		entry_free(en);
}

/* <ctx> is the struct l7_borrow of the request (release_ctx). */
static void release_policy(void *ctx, struct dfl_proxy_policy *p)
{
	struct l7_borrow *b = ctx;
	struct dfl_engine *e = b->first->engine;

	(void)p;
	pthread_mutex_lock(&e->l7->mu);
	entry_put(b->first);
	entry_put(b->also);
	pthread_mutex_unlock(&e->l7->mu);
	free(b);
}

/* Compiles the L7 set of <set>; NULL on error (the connection is then
 * denied: never fail open). */
static struct l7_entry *compile_set(const struct dfl_l7_set *set)
{
	struct l7_entry *en = calloc(1, sizeof(*en));
	struct dfl_http_rule *http = NULL;
	struct dfl_fqdn_selector *dns = NULL;
	size_t n_http = 0, n_dns = 0;

	if (!en)
		return NULL;
	en->allow_all = set->allow_all;
	if (set->allow_all)
		return en;
	http = calloc(set->n_rules + 1, sizeof(*http));
	dns = calloc(set->n_rules + 1, sizeof(*dns));
	if (!http || !dns)
		goto fail;
	for (size_t i = 0; i < set->n_rules; i++) {
		if (set->rules[i].http)
			http[n_http++] = *set->rules[i].http;
		else if (set->rules[i].dns)
			dns[n_dns++] = *set->rules[i].dns;
	}
	if (set->parser == DFL_L7_PARSER_HTTP) {
		en->http = dfl_http_matcher__new(http, n_http, NULL);
		if (!en->http)
			goto fail;
	} else if (set->parser == DFL_L7_PARSER_DNS) {
		en->dns = dfl_dns_matcher__new(dns, n_dns, DFL_DNS_MATCH_PROXY, NULL);
		if (!en->dns)
			goto fail;
	}
	free(http);
	free(dns);
	return en;
fail:
	free(http);
	free(dns);
	entry_free(en);
	return NULL;
}

static void ip_prefix(const struct dfl_sockaddr *a, struct dfl_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (a->sa.sa_family == AF_INET) {
		p->family = AF_INET;
		p->len = 32;
		memcpy(p->addr, &a->in4.sin_addr, 4);
	} else {
		p->family = AF_INET6;
		p->len = 128;
		memcpy(p->addr, &a->in6.sin6_addr, 16);
	}
}

static uint16_t sa_port(const struct dfl_sockaddr *a)
{
	return ntohs(a->sa.sa_family == AF_INET ? a->in4.sin_port : a->in6.sin6_port);
}

/* Identity and owning endpoint ("ns/name", NULL when not a local pod) of
 * an address, from the compiler's ipcache. */
static uint32_t lookup_addr(struct dfl_engine *e, const struct dfl_sockaddr *a,
			    const char **owner)
{
	const struct dfl_ipcache_item *it;
	struct dfl_prefix p;

	ip_prefix(a, &p);
	it = dfl_ipcache__lookup(dfl_compiler__ipcache(e->compiler), &p);
	/* The compiler names a pod's address "pod <namespace>/<name>". */
	*owner = it && it->owner && !strncmp(it->owner, "pod ", 4) ? it->owner + 4 : NULL;
	return it ? it->identity : 2 /* world */;
}

/* Finds the L7 set for the connection in one direction; 0 when found. */
static int find_set(struct dfl_engine *e, const char *ep_name, bool egress,
		    uint8_t proto, uint16_t port, uint32_t peer,
		    struct dfl_l7_set *set)
{
	const struct dfl_ep_policy *p = ep_name ? dfl_compiler__policy(e->compiler, ep_name) : NULL;

	if (!p)
		return -ENOENT;
	return dfl_ep_policy__l7(p, egress, proto, port, peer, set);
}

/* The compiled rules of (endpoint, direction, protocol, port, peer) from the
 * cache, compiled on first use, with a reference; NULL when out of memory
 * or the rules do not compile. Read lock held. */
static struct l7_entry *entry_get(struct dfl_engine *e, const char *ep_name, bool egress,
				  uint8_t proto, uint16_t port, uint32_t peer,
				  const struct dfl_l7_set *set)
{
	struct dfl_strbuf key = { 0 };
	struct l7_entry *en = NULL;

	dfl_strbuf__printf(&key, "%s|%d|%u|%u|%u", ep_name, egress, proto, port, peer);
	if (key.err)
		return NULL;
	pthread_mutex_lock(&e->l7->mu);
	en = dfl_strmap__get(&e->l7->map, dfl_strbuf__str(&key));
	if (!en) {
		en = compile_set(set);
		if (en)
			en->engine = e;
		if (en && dfl_strmap__set(&e->l7->map, dfl_strbuf__str(&key), en, NULL)) {
			entry_free(en);
			en = NULL;
		}
	}
	if (en)
		en->refs++;
	pthread_mutex_unlock(&e->l7->mu);
	dfl_strbuf__release(&key);
	return en;
}

static int resolve(void *ctx, const struct dfl_proxy_conn_info *ci,
		   struct dfl_proxy_policy *out)
{
	struct dfl_engine *e = ctx;
	const char *src_ep, *dst_ep;
	struct dfl_l7_set in = { 0 }, eg = { 0 };
	struct l7_borrow *b = calloc(1, sizeof(*b));
	uint16_t port = sa_port(&ci->orig_dst);
	bool has_in, has_eg;

	out->known = false; /* until proven otherwise: denied and reported */
	if (!b)
		return 0;
	pthread_rwlock_rdlock(&e->lock);
	out->src_identity = lookup_addr(e, &ci->client, &src_ep);
	out->dst_identity = lookup_addr(e, &ci->orig_dst, &dst_ep);
	has_in = !find_set(e, dst_ep, false, ci->ip_proto, port, out->src_identity, &in);
	has_eg = !find_set(e, src_ep, true, ci->ip_proto, port, out->dst_identity, &eg);
	/* With rules on both sides the connection was redirected at the
	 * source's egress: its rules first, then the destination's. */
	if (has_eg) {
		b->first = entry_get(e, src_ep, true, ci->ip_proto, port, out->dst_identity, &eg);
		if (has_in && b->first)
			b->also = entry_get(e, dst_ep, false, ci->ip_proto, port,
					    out->src_identity, &in);
	} else if (has_in) {
		b->first = entry_get(e, dst_ep, false, ci->ip_proto, port, out->src_identity, &in);
	}
	dfl_l7_set__release(&in);
	dfl_l7_set__release(&eg);
	if (!b->first || (has_eg && has_in && !b->also)) {
		pthread_rwlock_unlock(&e->lock);
		if (b->first) {
			out->release_ctx = b;
			release_policy(b, out);
		} else {
			free(b);
		}
		return 0;
	}
	out->endpoint_id = (uint32_t)(uintptr_t)dfl_strmap__get(&e->ep_ids, has_eg ? src_ep : dst_ep);
	out->direction = has_eg ? DFL_DIR_EGRESS : DFL_DIR_INGRESS;
	if (b->also) {
		out->also_endpoint_id = (uint32_t)(uintptr_t)dfl_strmap__get(&e->ep_ids, dst_ep);
		out->also_direction = DFL_DIR_INGRESS;
		out->http_also = b->also->http;
	}
	/* The client's address is kept upstream only towards a pod of this
	 * node, whose replies pass its veth's program and come back to the
	 * proxy. Anything else is reached from the node's own address, as
	 * Cilium's masquerading does for traffic leaving the cluster: replies
	 * from the network must not be routed to the client pod itself. */
	if (!dst_ep || !dfl_strmap__has(&e->ep_ids, dst_ep))
		memset(&out->bind, 0, sizeof(out->bind));
	pthread_rwlock_unlock(&e->lock);
	out->known = true;
	out->http = b->first->http;
	out->dns = b->first->dns;
	out->release = release_policy;
	out->release_ctx = b;
	return 0;
}

static void on_l7_event(void *ctx, const struct dfl_l7_event *ev)
{
	engine_l7_enqueue(ctx, ev);
}

static void *proxy_main(void *arg)
{
	struct dfl_engine *e = arg;
	int err = dfl_proxy__run(e->proxy);

	if (err)
		pr_warn("proxy: stopped: %s; redirected traffic is dropped until the agent restarts\n",
			strerror(-err));
	return NULL;
}

int engine_proxy_start(struct dfl_engine *e, char *err, size_t errlen)
{
	const struct dfl_node *node = dfl_agent__node(e->agent);
	struct dfl_proxy_opts opts = {
		.resolve = resolve, .resolve_ctx = e,
		.on_event = on_l7_event, .event_ctx = e,
		.on_dns = engine_fqdn_learned, .dns_ctx = e,
		.dns_min_ttl = e->cfg.dns_min_ttl,
		.max_header_bytes = e->cfg.proxy_max_header_bytes,
		.max_headers = e->cfg.proxy_max_headers,
		.idle_timeout_ms = e->cfg.proxy_idle_timeout_ms,
		.http_403_body = e->cfg.http_403_body,
		.dns_deny_nxdomain = e->cfg.dns_deny_nxdomain,
	};
	struct dfl_sockaddr http = { 0 }, dns = { 0 };
	int saved = -1, ret;

	e->l7 = calloc(1, sizeof(*e->l7));
	if (!e->l7)
		return -ENOMEM;
	pthread_mutex_init(&e->l7->mu, NULL);
	http.in4.sin_family = dns.in4.sin_family = AF_INET;
	http.in4.sin_port = htons(e->cfg.http_proxy_port ? e->cfg.http_proxy_port : 15001);
	dns.in4.sin_port = htons(e->cfg.dns_proxy_port ? e->cfg.dns_proxy_port : 15053);
	/* Listeners and the thread are made inside the node's namespace: the
	 * thread keeps it, the agent's own thread goes back. */
	if (node->netns) {
		ret = dfl_netns__switch(node->netns_fd, &saved);
		if (ret) {
			snprintf(err, errlen, "proxy: cannot enter the node namespace: %s",
				 strerror(-ret));
			return ret;
		}
	}
	/* Marked packets the datapath assigned to a proxy socket must be
	 * delivered locally (DESIGN.md, L7 redirect). */
	ret = dfl_node__proxy_setup();
	if (ret) {
		snprintf(err, errlen, "proxy: cannot prepare the node for L7 redirect: %s",
			 strerror(-ret));
		goto back;
	}
	e->proxy = dfl_proxy__new(&opts);
	if (!e->proxy) {
		ret = -errno;
		snprintf(err, errlen, "proxy: %s", strerror(errno));
		goto back;
	}
	ret = dfl_proxy__listen(e->proxy, DFL_L7_PROTO_HTTP, &http);
	if (!ret)
		ret = dfl_proxy__listen(e->proxy, DFL_L7_PROTO_DNS, &dns);
	if (ret) {
		snprintf(err, errlen, "proxy: cannot listen on ports %u/%u: %s",
			 ntohs(http.in4.sin_port), ntohs(dns.in4.sin_port), strerror(-ret));
		goto back;
	}
	ret = -pthread_create(&e->proxy_thread, NULL, proxy_main, e);
	if (!ret)
		e->proxy_running = true;
	else
		snprintf(err, errlen, "proxy: cannot start its thread: %s", strerror(-ret));
back:
	if (saved >= 0)
		dfl_netns__restore(saved);
	return ret;
}

void engine_proxy_stop(struct dfl_engine *e)
{
	if (e->proxy_running) {
		dfl_proxy__stop(e->proxy);
		pthread_join(e->proxy_thread, NULL);
		e->proxy_running = false;
	}
	dfl_proxy__free(e->proxy);
	e->proxy = NULL;
	if (e->l7) {
		engine_proxy_invalidate(e);
		pthread_mutex_destroy(&e->l7->mu);
		free(e->l7);
		e->l7 = NULL;
	}
}
