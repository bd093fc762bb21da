/* Resolution of one endpoint's policy (§3.2-§3.5, §3.9): which rules select
 * it, whether each direction is enforced and in default deny, the L4
 * filters with their per-peer policies merged (deny over allow, L7 as a
 * union), and the map entries they expand to. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/podlabels.h"
#include "identity/selector.h"
#include "policy/compiler.h"
#include "policy/internal.h"
#include "policy/portrange.h"
#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* One (direction, protocol, port, peer selector) and its merged policy,
 * Cilium's PerSelectorPolicy inside an L4Filter. */
struct fsp {
	uint8_t egress, proto;
	uint16_t port, end_port;
	const char *name;	    /* named port, or NULL */
	struct dfl_cached_sel *sel; /* NULL = any identity */
	bool deny;
	enum dfl_l7_parser parser;
	bool l7_wild; /* a plain allow merged in */
	struct dfl_l7_rule_ref *rules;
	size_t n_rules, cap_rules;
	enum dfl_auth_mode auth;
	uint32_t cookie;
	uint32_t precedence_base; /* DFL_PREC_ALLOW or DFL_PREC_SYNTHETIC */
};

struct rctx {
	struct dfl_compiler *c;
	struct endpoint *ep;
	struct fsp *f;
	size_t n, cap;
	struct dfl_hmap index; /* fsp key -> position + 1 */
	struct dfl_strbuf error;
	struct dfl_diags *diags;
	struct mapstate ms;
	bool egress_named_ports;
};

static const char *parser_name(enum dfl_l7_parser p)
{
	return p == DFL_L7_PARSER_HTTP ? "http" : p == DFL_L7_PARSER_DNS ? "dns" : "none";
}

static const char *auth_name(enum dfl_auth_mode m)
{
	static const char *const names[] = { "", "disabled", "required",
					     "test-always-fail" };

	return (unsigned int)m < DFL_ARRAY_SIZE(names) ? names[m] : "?";
}

__attribute__((format(printf, 3, 4))) static void
merge_error(struct rctx *x, const struct fsp *f, const char *fmt, ...)
{
	struct dfl_strbuf who = { 0 };
	const struct dfl_origin *og = dfl_origins__get(x->c->origins, f->cookie);
	char pb[8];
	va_list ap;

	if (x->error.len)
		return; /* the first error is enough */
	va_start(ap, fmt);
	dfl_strbuf__vprintf(&x->error, fmt, ap);
	va_end(ap);
	if (og)
		dfl_origin__fmt(og, &who);
	dfl_strbuf__printf(&x->error, " on %s %u/%s (%s)",
			   f->egress ? "egress" : "ingress", f->port,
			   dfl_proto__name(f->proto, pb, sizeof(pb)),
			   dfl_strbuf__str(&who));
	if (x->diags)
		dfl_diags__add(x->diags, DFL_SEV_ERROR,
			       og ? og->pos : (struct dfl_pos){ 0 }, NULL,
			       "merge-conflict", x->ep->name,
			       "endpoint %s: %s", x->ep->name,
			       dfl_strbuf__str(&x->error));
	dfl_strbuf__release(&who);
}

static int add_rule_ref(struct fsp *f, const struct dfl_l7_rule_ref *r)
{
	struct dfl_l7_rule_ref *slot;

	for (size_t i = 0; i < f->n_rules; i++)
		if (f->rules[i].http == r->http && f->rules[i].dns == r->dns)
			return 0;
	slot = DFL_PUSH(f->rules, f->n_rules, f->cap_rules);
	if (!slot)
		return -ENOMEM;
	*slot = *r;
	return 0;
}

static int add_port_rules(struct fsp *f, const struct dfl_port_rule *pr,
			  uint32_t cookie)
{
	int err = 0;

	if (f->parser == DFL_L7_PARSER_HTTP)
		for (size_t i = 0; i < pr->rules.n_http && !err; i++)
			err = add_rule_ref(f, &(struct dfl_l7_rule_ref){
						      .http = &pr->rules.http[i],
						      .cookie = cookie });
	if (f->parser == DFL_L7_PARSER_DNS)
		for (size_t i = 0; i < pr->rules.n_dns && !err; i++)
			err = add_rule_ref(f, &(struct dfl_l7_rule_ref){
						      .dns = &pr->rules.dns[i],
						      .cookie = cookie });
	return err;
}

static enum dfl_l7_parser parser_for(const struct dfl_port_rule *pr,
				     uint8_t proto)
{
	if (!pr)
		return DFL_L7_PARSER_NONE;
	if (pr->rules.n_dns)
		return DFL_L7_PARSER_DNS;
	if (pr->rules.n_http && proto == DFL_PROTO_TCP)
		return DFL_L7_PARSER_HTTP;
	return DFL_L7_PARSER_NONE;
}

struct fsp_key {
	uint32_t sel_serial;
	uint16_t port, end_port;
	uint8_t egress, proto;
	char name[32];
};

/* Adds (or merges into) the policy of one filter and selector (§3.4). */
static int fsp_add(struct rctx *x, const struct fsp *in,
		   const struct dfl_port_rule *pr)
{
	struct fsp_key k = { 0 };
	struct dfl_hmap_slot *s;
	struct fsp *f;
	bool created;

	k.sel_serial = in->sel ? in->sel->serial : 0;
	k.port = in->port;
	k.end_port = in->end_port;
	k.egress = in->egress;
	k.proto = in->proto;
	if (in->name)
		snprintf(k.name, sizeof(k.name), "%s", in->name);
	s = dfl_hmap__upsert(&x->index, &k, sizeof(k), &created);
	if (!s)
		return -ENOMEM;
	if (created) {
		f = DFL_PUSH(x->f, x->n, x->cap);
		if (!f)
			return -ENOMEM;
		*f = *in;
		f->rules = NULL;
		f->n_rules = f->cap_rules = 0;
		s->val.u64 = x->n;
		return pr && !in->deny ? add_port_rules(f, pr, in->cookie) : 0;
	}
	f = &x->f[s->val.u64 - 1];
	if (in->cookie && in->cookie < f->cookie)
		f->cookie = in->cookie;
	if (f->deny || in->deny) {
		/* Deny has precedence over allow for the same selector. */
		if (in->deny && !f->deny) {
			free(f->rules);
			*f = *in;
			f->rules = NULL;
			f->n_rules = f->cap_rules = 0;
		}
		return 0;
	}
	if (in->precedence_base > f->precedence_base)
		f->precedence_base = in->precedence_base;
	if (in->parser != DFL_L7_PARSER_NONE && f->parser != DFL_L7_PARSER_NONE &&
	    in->parser != f->parser) {
		merge_error(x, in, "cannot merge conflicting L7 parsers (%s/%s)",
			    parser_name(f->parser), parser_name(in->parser));
		return 0;
	}
	if (in->parser == DFL_L7_PARSER_NONE) {
		f->l7_wild = true;
	} else {
		if (f->parser == DFL_L7_PARSER_NONE)
			f->l7_wild = true;
		f->parser = in->parser;
		if (add_port_rules(f, pr, in->cookie))
			return -ENOMEM;
	}
	if (in->auth != DFL_AUTH_NONE) {
		if (f->auth == DFL_AUTH_NONE)
			f->auth = in->auth;
		else if (f->auth != in->auth)
			merge_error(x, in,
				    "cannot merge conflicting authentication "
				    "types (%s/%s)",
				    auth_name(f->auth), auth_name(in->auth));
	}
	return 0;
}

static int add_entry_filters(struct rctx *x, const struct pentry *e)
{
	static const uint8_t any_protos[] = { DFL_PROTO_TCP, DFL_PROTO_UDP,
					      DFL_PROTO_SCTP };
	size_t n_sels = e->l3 == L3_WILDCARD ? 1 : e->n_peers;
	int err = 0;

	for (size_t s = 0; s < n_sels && !err; s++) {
		struct fsp f = {
			.egress = e->dir == DFL_DIR_EGRESS,
			.sel = e->l3 == L3_WILDCARD ? NULL : e->peers[s],
			.deny = e->deny,
			.auth = e->deny ? DFL_AUTH_NONE : e->auth,
			.cookie = e->cookie,
			.precedence_base = DFL_PREC_ALLOW,
		};

		if (f.sel && f.sel->wildcard)
			f.sel = NULL;
		if (!e->n_ports) { /* L3 only: every protocol, ICMP too */
			err = fsp_add(x, &f, NULL);
			continue;
		}
		for (size_t p = 0; p < e->n_ports && !err; p++) {
			const struct l4port *lp = &e->ports[p];
			const uint8_t *protos = &lp->proto;
			size_t n_protos = 1;

			if (lp->proto == DFL_PROTO_ANY) {
				protos = any_protos;
				n_protos = DFL_ARRAY_SIZE(any_protos);
			}
			for (size_t i = 0; i < n_protos && !err; i++) {
				f.proto = protos[i];
				f.port = lp->name ? 0 : lp->port;
				f.end_port = lp->name ? 0 : lp->end_port;
				f.name = lp->name;
				f.parser = e->deny ? DFL_L7_PARSER_NONE :
						     parser_for(lp->pr, f.proto);
				err = fsp_add(x, &f, e->deny ? NULL : lp->pr);
			}
		}
	}
	return err;
}

static uint8_t auth_type_of(enum dfl_auth_mode m, uint8_t *explicit_auth)
{
	*explicit_auth = m != DFL_AUTH_NONE;
	switch (m) {
	case DFL_AUTH_REQUIRED:
		return DFL_AUTH_TYPE_SPIRE;
	case DFL_AUTH_TEST_ALWAYS_FAIL:
		return DFL_AUTH_TYPE_ALWAYS_FAIL;
	default:
		return DFL_AUTH_TYPE_DISABLED;
	}
}

static int emit_ports(struct rctx *x, const struct fsp *f,
		      struct dfl_map_entry *tmpl, uint16_t port,
		      uint16_t end_port)
{
	struct dfl_masked_port mp[32];
	size_t n;
	int err = 0;

	if (!f->proto) {
		tmpl->port = 0;
		tmpl->port_prefix_len = 0;
		return dfl_mapstate_add(&x->ms, tmpl);
	}
	if (!port) {
		mp[0] = (struct dfl_masked_port){ 0, 0 };
		n = 1;
	} else {
		n = dfl_port_range_mask(port, end_port, mp);
	}
	for (size_t i = 0; i < n && !err; i++) {
		tmpl->port = mp[i].port;
		tmpl->port_prefix_len = mp[i].prefix_len;
		err = dfl_mapstate_add(&x->ms, tmpl);
	}
	return err;
}

/* Named ports of pods with identity <id> (0: any pod), for egress. */
static int emit_egress_named(struct rctx *x, const struct fsp *f,
			     struct dfl_map_entry *tmpl, uint32_t id)
{
	struct dfl_compiler *c = x->c;
	int err = 0;

	x->egress_named_ports = true;
	for (size_t i = 0; i < c->n_ep_sorted && !err; i++) {
		const struct endpoint *dst = c->ep_sorted[i];

		if (!dst->identity || (id && dst->identity != id))
			continue;
		for (size_t p = 0; p < dst->n_ports && !err; p++)
			if (dst->ports[p].name && dst->ports[p].port &&
			    dst->ports[p].proto == f->proto &&
			    !strcmp(dst->ports[p].name, f->name))
				err = emit_ports(x, f, tmpl, dst->ports[p].port,
						 0);
	}
	return err;
}

static int emit_fsp(struct rctx *x, const struct fsp *f)
{
	struct dfl_map_entry t = { 0 };
	const uint32_t *ids = NULL;
	size_t n_ids = 1;
	uint32_t zero = 0;
	int err = 0;

	t.egress = f->egress;
	t.proto = f->proto;
	t.cookie = f->cookie;
	t.deny = f->deny;
	if (f->deny) {
		t.precedence = DFL_PREC_DENY;
	} else if (f->parser == DFL_L7_PARSER_HTTP) {
		t.precedence = DFL_PREC_REDIRECT_HTTP;
		t.proxy_port = x->c->http_port;
	} else if (f->parser == DFL_L7_PARSER_DNS) {
		/* Only TCP and UDP have a DNS proxy listener; Cilium skips
		 * entries whose redirect is not realized (SCTP/53). */
		if (f->proto != DFL_PROTO_TCP && f->proto != DFL_PROTO_UDP)
			return 0;
		t.precedence = DFL_PREC_REDIRECT_DNS;
		t.proxy_port = x->c->dns_port;
	} else {
		t.precedence = f->precedence_base;
	}
	if (!f->deny)
		t.auth_type = auth_type_of(f->auth, &t.explicit_auth);
	if (f->sel) {
		ids = f->sel->ids;
		n_ids = f->sel->n_ids;
	} else {
		ids = &zero;
	}
	for (size_t i = 0; i < n_ids && !err; i++) {
		t.identity = ids[i];
		if (!f->name) {
			err = emit_ports(x, f, &t, f->port, f->end_port);
		} else if (f->egress) {
			err = emit_egress_named(x, f, &t, ids[i]);
		} else {
			/* Ingress named ports: the subject's container ports;
			 * unresolvable names insert nothing (§3.3). */
			const struct endpoint *ep = x->ep;

			for (size_t p = 0; p < ep->n_ports && !err; p++)
				if (ep->ports[p].name && ep->ports[p].port &&
				    ep->ports[p].proto == f->proto &&
				    !strcmp(ep->ports[p].name, f->name))
					err = emit_ports(x, f, &t,
							 ep->ports[p].port, 0);
		}
	}
	return err;
}

static int add_synthetic(struct rctx *x, enum dfl_direction dir,
			 struct dfl_cached_sel *sel, const char *name)
{
	struct fsp f = {
		.egress = dir == DFL_DIR_EGRESS,
		.sel = sel,
		.cookie = dfl_origins__synthetic(x->c->origins, name, dir),
		.precedence_base = DFL_PREC_SYNTHETIC,
	};

	return fsp_add(x, &f, NULL);
}

static int push_dd(struct dfl_dir_policy *d, uint32_t cookie, size_t *cap)
{
	uint32_t *slot;

	for (size_t i = 0; i < d->n_dd; i++)
		if (d->dd_cookies[i] == cookie)
			return 0;
	slot = DFL_PUSH(d->dd_cookies, d->n_dd, *cap);
	if (!slot)
		return -ENOMEM;
	*slot = cookie;
	return 0;
}

static const struct rulevec *rules_for(const struct dfl_compiler *c,
				       uint32_t id)
{
	uint64_t pos;

	if (!dfl_u64map__get(&c->rules_by_id, id, &pos))
		return NULL;
	return &c->rulevecs[pos];
}

/* The host identity in this endpoint's selectors, for allow-localhost. */
static struct dfl_cached_sel *host_selector(struct dfl_compiler *c)
{
	struct dfl_sel sel = { 0 };
	struct dfl_cached_sel *cs = NULL;

	if (!dfl_sel__add(&sel, "reserved", "host", DFL_TERM_EXISTS, NULL, 0))
		cs = dfl_selcache__get(c->sels, &sel);
	dfl_sel__release(&sel);
	return cs;
}

static int resolve_dir(struct rctx *x, const struct rulevec *rv,
		       enum dfl_direction dir, struct dfl_dir_policy *out,
		       struct dfl_cached_sel **host_sel)
{
	struct dfl_compiler *c = x->c;
	size_t n_in_dir = 0, dd_cap = 0;
	bool default_deny = c->enforcement == DFL_ENFORCE_ALWAYS;
	int err = 0;

	for (size_t i = 0; rv && i < rv->n; i++) {
		const struct prule *pr = rv->items[i].pr;

		for (size_t j = 0; j < pr->n_entries; j++) {
			const struct pentry *e = &pr->entries[j];

			if (e->dir != dir)
				continue;
			n_in_dir++;
			if (e->default_deny) {
				default_deny = true;
				if (push_dd(out, e->rule_cookie, &dd_cap))
					return -ENOMEM;
			}
		}
	}
	if (c->enforcement == DFL_ENFORCE_NEVER ||
	    (!n_in_dir && c->enforcement != DFL_ENFORCE_ALWAYS)) {
		out->enforced = false;
		out->default_deny = false;
		return add_synthetic(x, dir, NULL,
				     dir == DFL_DIR_INGRESS ?
					     DFL_SYNTH_NOT_ENFORCED_INGRESS :
					     DFL_SYNTH_NOT_ENFORCED_EGRESS);
	}
	out->enforced = true;
	out->default_deny = default_deny;
	for (size_t i = 0; rv && i < rv->n && !err; i++) {
		const struct prule *pr = rv->items[i].pr;

		for (size_t j = 0; j < pr->n_entries && !err; j++) {
			const struct pentry *e = &pr->entries[j];

			if (e->dir == dir && e->l3 != L3_NONE)
				err = add_entry_filters(x, e);
		}
	}
	if (err)
		return err;
	if (n_in_dir && !default_deny)
		err = add_synthetic(x, dir, NULL,
				    dir == DFL_DIR_INGRESS ?
					    DFL_SYNTH_ALLOW_ANY_INGRESS :
					    DFL_SYNTH_ALLOW_ANY_EGRESS);
	if (!err && n_in_dir && default_deny && dir == DFL_DIR_INGRESS &&
	    c->allow_localhost) {
		if (!*host_sel && !(*host_sel = host_selector(c)))
			return -ENOMEM;
		err = add_synthetic(x, dir, *host_sel,
				    DFL_SYNTH_ALLOW_LOCALHOST);
	}
	return err;
}

void dfl_ep_policy_release(struct dfl_compiler *c, struct dfl_ep_policy *p)
{
	if (!p)
		return;
	free(p->entries);
	for (int d = 0; d < 2; d++)
		free(p->dir[d].dd_cookies);
	for (size_t i = 0; i < p->n_l7; i++) {
		free(p->l7[i].rules);
		dfl_selcache__put(c->sels, (struct dfl_cached_sel *)p->l7[i].peer);
	}
	free(p->l7);
	free(p->error);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

static int push_l7(struct dfl_ep_policy *p, size_t *cap, const struct fsp *f,
		   uint16_t port, uint16_t end_port)
{
	struct dfl_l7_filter *l = DFL_PUSH(p->l7, p->n_l7, *cap);

	if (!l)
		return -ENOMEM;
	l->egress = f->egress;
	l->proto = f->proto;
	l->port = port;
	l->end_port = end_port > port ? end_port : port;
	l->peer = f->sel;
	if (f->sel)
		dfl_selcache__ref(f->sel);
	l->parser = f->parser;
	l->wildcard = f->parser == DFL_L7_PARSER_NONE || f->l7_wild;
	l->cookie = f->cookie;
	if (f->n_rules) {
		l->rules = malloc(f->n_rules * sizeof(*l->rules));
		if (!l->rules)
			return -ENOMEM;
		memcpy(l->rules, f->rules, f->n_rules * sizeof(*l->rules));
		l->n_rules = f->n_rules;
	}
	return 0;
}

/* The proxy's view (§3.4): every allow filter of a direction that has at
 * least one L7 filter, so that plain allows for the same peer make L7 a
 * wildcard. Named ports are expanded to the ports they resolved to. */
static int build_l7(struct rctx *x, struct dfl_ep_policy *p)
{
	size_t cap = 0;
	bool has_l7[2] = { false, false };
	int err = 0;

	for (size_t i = 0; i < x->n; i++)
		if (!x->f[i].deny && x->f[i].parser != DFL_L7_PARSER_NONE)
			has_l7[x->f[i].egress] = true;
	for (size_t i = 0; i < x->n && !err; i++) {
		const struct fsp *f = &x->f[i];

		if (f->deny || !has_l7[f->egress])
			continue;
		if (!f->name) {
			err = push_l7(p, &cap, f, f->port, f->end_port);
			continue;
		}
		for (size_t m = 0; m < x->ms.n && !err; m++) {
			const struct dfl_map_entry *e = &x->ms.items[m];

			if (e->cookie == f->cookie && e->egress == f->egress &&
			    e->proto == f->proto && e->port &&
			    e->port_prefix_len == 16)
				err = push_l7(p, &cap, f, e->port, e->port);
		}
	}
	return err;
}

static void unregister_users(struct dfl_compiler *c, struct endpoint *ep)
{
	for (size_t i = 0; i < ep->n_used; i++) {
		dfl_u64map__remove(&ep->used[i]->users, ep->serial);
		dfl_selcache__put(c->sels, ep->used[i]);
	}
	free(ep->used);
	ep->used = NULL;
	ep->n_used = 0;
}

/* Remembers the peer selectors this resolution used, so that identity
 * changes in them mark the endpoint dirty. */
static int register_users(struct rctx *x)
{
	struct endpoint *ep = x->ep;
	struct dfl_u64map seen = { 0 };
	int err = 0;

	ep->used = calloc(x->n + 1, sizeof(*ep->used));
	if (!ep->used)
		return -ENOMEM;
	for (size_t i = 0; i < x->n && !err; i++) {
		struct dfl_cached_sel *cs = x->f[i].sel;

		if (!cs || dfl_u64map__get(&seen, cs->serial, NULL))
			continue;
		err = dfl_u64map__put(&seen, cs->serial, 1);
		if (!err)
			err = dfl_u64map__put(&cs->users, ep->serial, 1);
		if (!err) {
			dfl_selcache__ref(cs);
			ep->used[ep->n_used++] = cs;
		}
	}
	dfl_u64map__release(&seen);
	return err;
}

static void rctx_release(struct rctx *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->f[i].rules);
	free(x->f);
	dfl_hmap__release(&x->index);
	dfl_strbuf__release(&x->error);
	dfl_mapstate_release(&x->ms);
}

int dfl_resolve_endpoint(struct dfl_compiler *c, struct endpoint *ep,
			 struct dfl_diags *diags)
{
	struct rctx x = { .c = c, .ep = ep, .diags = diags };
	struct dfl_ep_policy np = { 0 };
	struct dfl_cached_sel *host_sel = NULL;
	const struct rulevec *rv = rules_for(c, ep->identity);
	int err;

	np.identity = ep->identity;
	np.name = strdup(ep->name);
	err = np.name ? 0 : -ENOMEM;
	for (int d = 0; d < 2 && !err; d++)
		err = resolve_dir(&x, rv, (enum dfl_direction)d, &np.dir[d],
				  &host_sel);
	if (!err && x.error.len) {
		/* Like a failed endpoint regeneration: the previous entries
		 * stay; a first resolution enforces deny-all. */
		np.error = dfl_strbuf__detach(&x.error);
		if (ep->resolved_once && !ep->pol.error) {
			np.n_entries = ep->pol.n_entries;
			np.entries = ep->pol.entries;
			ep->pol.entries = NULL;
		} else {
			for (int d = 0; d < 2; d++)
				np.dir[d].enforced = np.dir[d].default_deny =
					true;
		}
		goto done;
	}
	for (size_t i = 0; i < x.n && !err; i++)
		err = emit_fsp(&x, &x.f[i]);
	if (!err)
		err = dfl_mapstate_finish(&x.ms);
	if (!err)
		err = build_l7(&x, &np);
	if (err)
		goto fail;
	np.entries = x.ms.items;
	np.n_entries = x.ms.n;
	x.ms.items = NULL;
	x.ms.n = x.ms.cap = 0;
	np.over_limit = np.n_entries > c->map_max;
done:
	unregister_users(c, ep);
	err = register_users(&x);
	if (err)
		goto fail;
	ep->egress_named_ports = x.egress_named_ports;
	np.revision = ++c->revision;
	dfl_ep_policy_release(c, &ep->pol);
	ep->pol = np;
	ep->resolved_once = true;
	ep->dirty = false;
	dfl_selcache__put(c->sels, host_sel);
	rctx_release(&x);
	return 0;
fail:
	dfl_selcache__put(c->sels, host_sel);
	dfl_ep_policy_release(c, &np);
	rctx_release(&x);
	return err;
}

static int rulevec_push(struct dfl_compiler *c, uint32_t id,
			const struct rpolicy *rp, const struct prule *pr)
{
	struct rule_ref *slot;
	struct rulevec *rv;
	uint64_t pos;

	if (!dfl_u64map__get(&c->rules_by_id, id, &pos)) {
		rv = DFL_PUSH(c->rulevecs, c->n_rulevecs, c->cap_rulevecs);
		if (!rv)
			return -ENOMEM;
		pos = c->n_rulevecs - 1;
		if (dfl_u64map__put(&c->rules_by_id, id, pos))
			return -ENOMEM;
	}
	rv = &c->rulevecs[pos];
	slot = DFL_PUSH(rv->items, rv->n, rv->cap);
	if (!slot)
		return -ENOMEM;
	slot->rp = rp;
	slot->pr = pr;
	return 0;
}

/* A subject selecting everything (a CCNP's {}): every identity that has a
 * local endpoint, except the host. */
static int index_wildcard(struct dfl_compiler *c, const struct rpolicy *rp,
			  const struct prule *pr)
{
	for (size_t i = 0; i < c->ep_ids.cap; i++) {
		uint32_t id = (uint32_t)c->ep_ids.slots[i].key;

		if (c->ep_ids.slots[i].used && id != DFL_ID_HOST &&
		    rulevec_push(c, id, rp, pr))
			return -ENOMEM;
	}
	return 0;
}

/* identity -> rules whose subject selects it, for identities that have
 * local endpoints, in policy-key order. A CNP or NetworkPolicy only applies
 * to identities of its namespace (§2.3). */
int dfl_build_rule_index(struct dfl_compiler *c)
{
	for (size_t i = 0; i < c->n_rulevecs; i++)
		free(c->rulevecs[i].items);
	c->n_rulevecs = 0;
	dfl_u64map__clear(&c->rules_by_id);
	for (size_t i = 0; i < c->n_pol_sorted; i++) {
		const struct rpolicy *rp = c->pol_sorted[i];

		for (size_t r = 0; r < rp->n_rules; r++) {
			const struct prule *pr = &rp->rules[r];
			const struct dfl_cached_sel *s = pr->subject;

			if (s && s->wildcard) {
				if (index_wildcard(c, rp, pr))
					return -ENOMEM;
				continue;
			}
			for (size_t k = 0; s && k < s->n_ids; k++) {
				uint32_t id = s->ids[k];
				const struct dfl_identity *ident;

				if (id == DFL_ID_HOST ||
				    !dfl_u64map__get(&c->ep_ids, id, NULL))
					continue;
				if (rp->ns) {
					const char *ns = NULL;

					ident = dfl_idalloc__get(c->ids, id);
					if (ident)
						ns = dfl_labels__value(
							&ident->labels, "k8s",
							DFL_LBL_NAMESPACE);
					if (!ns || strcmp(ns, rp->ns))
						continue;
				}
				if (rulevec_push(c, id, rp, pr))
					return -ENOMEM;
			}
		}
	}
	c->index_dirty = false;
	return 0;
}
