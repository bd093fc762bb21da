/* What the datapath would do with a packet, given one endpoint's entries
 * (§8.4, the precedence datapath with identity 0 as the second lookup),
 * and which L7 rules the proxy would apply (§3.4). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compiler.h"
#include "policy/internal.h"
#include "util/mem.h"

unsigned int dfl_map_entry__prefixlen(const struct dfl_map_entry *e)
{
	return 40 + (e->proto ? 8 : 0) + (e->proto ? e->port_prefix_len : 0);
}

/* Longest-prefix match among the entries of (egress, identity). */
static const struct dfl_map_entry *lpm(const struct dfl_ep_policy *p,
				       bool egress, uint32_t id, uint8_t proto,
				       uint16_t port)
{
	struct dfl_map_entry key = { .identity = id, .egress = egress };
	const struct dfl_map_entry *best = NULL;
	struct dfl_map_entry pkt = { .identity = id,
				     .egress = egress,
				     .proto = proto,
				     .port = port,
				     .port_prefix_len = 16 };
	size_t lo = 0, hi = p->n_entries;

	/* First entry of the group: entries are sorted by (egress, id). */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (dfl_map_entry_cmp(&p->entries[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < p->n_entries; i++) {
		const struct dfl_map_entry *e = &p->entries[i];

		if (e->egress != egress || e->identity != id)
			break;
		if (!dfl_map_key_covers(e, &pkt))
			continue;
		if (!best ||
		    dfl_map_entry__prefixlen(e) > dfl_map_entry__prefixlen(best))
			best = e;
	}
	return best;
}

static enum dfl_policy_match match_type(const struct dfl_map_entry *e)
{
	if (e->identity)
		return !e->proto ? DFL_MATCH_L3_ONLY :
		       !e->port_prefix_len ? DFL_MATCH_L3_PROTO :
					     DFL_MATCH_L3_L4;
	return !e->proto ? DFL_MATCH_ALL :
	       !e->port_prefix_len ? DFL_MATCH_PROTO_ONLY :
				     DFL_MATCH_L4_ONLY;
}

static void decide(const struct dfl_map_entry *e,
		   const struct dfl_map_entry *other, struct dfl_policy_verdict *out)
{
	out->entry = e;
	out->match = match_type(e);
	if (e->deny) {
		out->allowed = false;
		out->drop_reason = DFL_DROP_POLICY_DENY;
		return;
	}
	out->proxy_port = e->proxy_port;
	out->auth_type = e->auth_type;
	/* An entry without an explicit auth type inherits a stronger one
	 * from the other lookup's entry of equal precedence (§3.8). */
	if (other && other->precedence == e->precedence && !e->explicit_auth &&
	    other->auth_type > out->auth_type)
		out->auth_type = other->auth_type;
	if (out->auth_type == DFL_AUTH_TYPE_ALWAYS_FAIL) {
		out->allowed = false;
		out->drop_reason = DFL_DROP_POLICY_AUTH_REQUIRED;
		return;
	}
	out->allowed = true;
	out->drop_reason = 0;
}

void dfl_ep_policy__lookup(const struct dfl_ep_policy *p, bool egress,
			   uint32_t remote_id, uint8_t proto, uint16_t dport,
			   struct dfl_policy_verdict *out)
{
	const struct dfl_map_entry *sp, *wp;

	memset(out, 0, sizeof(*out));
	sp = remote_id ? lpm(p, egress, remote_id, proto, dport) : NULL;
	if (sp && sp->precedence == DFL_PREC_DENY) {
		decide(sp, NULL, out);
		return;
	}
	wp = lpm(p, egress, 0, proto, dport);
	if (wp && (!sp || wp->precedence > sp->precedence ||
		   (wp->precedence == sp->precedence &&
		    dfl_map_entry__prefixlen(wp) >
			    dfl_map_entry__prefixlen(sp)))) {
		decide(wp, sp, out);
		return;
	}
	if (sp) {
		decide(sp, wp, out);
		return;
	}
	out->allowed = false;
	out->drop_reason = DFL_DROP_POLICY;
}

static bool l7_covers(const struct dfl_l7_filter *f, uint8_t proto,
		      uint16_t port)
{
	if (f->proto && f->proto != proto)
		return false;
	if (!f->proto || !f->port)
		return true;
	return port >= f->port && port <= f->end_port;
}

int dfl_ep_policy__l7(const struct dfl_ep_policy *p, bool egress,
		      uint8_t proto, uint16_t port, uint32_t remote_id,
		      struct dfl_l7_set *out)
{
	size_t cap = 0;
	bool found = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < p->n_l7; i++) {
		const struct dfl_l7_filter *f = &p->l7[i];

		if (f->egress != egress || !l7_covers(f, proto, port) ||
		    (f->peer && !dfl_cached_sel__selects(f->peer, remote_id)))
			continue;
		found = true;
		if (f->parser != DFL_L7_PARSER_NONE)
			out->parser = f->parser;
		if (f->wildcard && !out->allow_all) {
			out->allow_all = true;
			out->allow_all_cookie = f->cookie;
		}
		for (size_t r = 0; r < f->n_rules; r++) {
			struct dfl_l7_rule_ref *slot =
				DFL_PUSH(out->rules, out->n_rules, cap);

			if (!slot) {
				dfl_l7_set__release(out);
				return -ENOMEM;
			}
			*slot = f->rules[r];
		}
	}
	if (!found || out->parser == DFL_L7_PARSER_NONE) {
		dfl_l7_set__release(out);
		return -ENOENT;
	}
	return 0;
}

void dfl_l7_set__release(struct dfl_l7_set *s)
{
	if (!s)
		return;
	free(s->rules);
	memset(s, 0, sizeof(*s));
}
