#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crd/objects.h"
#include "identity/hash.h"
#include "policy/origin.h"
#include "util/diag.h"
#include "util/mem.h"

struct dfl_origins {
	struct dfl_origin **items; /* items[cookie - 1] */
	size_t n, cap;
	struct dfl_hmap index; /* identity key -> cookie */
};

struct dfl_origins *dfl_origins__new(void)
{
	return calloc(1, sizeof(struct dfl_origins));
}

static void origin_free(struct dfl_origin *og)
{
	if (!og)
		return;
	free(og->namespace);
	free(og->name);
	free(og->uid);
	free(og->rule_field);
	free(og->field);
	free(og);
}

void dfl_origins__free(struct dfl_origins *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		origin_free(o->items[i]);
	free(o->items);
	dfl_hmap__release(&o->index);
	free(o);
}

const struct dfl_origin *dfl_origins__get(const struct dfl_origins *o,
					  uint32_t cookie)
{
	if (!o || !cookie || cookie > o->n)
		return NULL;
	return o->items[cookie - 1];
}

size_t dfl_origins__count(const struct dfl_origins *o)
{
	return o->n;
}

/* Finds or creates the origin for <key>; *created tells which. */
static struct dfl_origin *origin_get(struct dfl_origins *o, const char *key,
				     bool *created)
{
	struct dfl_hmap_slot *s;
	struct dfl_origin *og, **slot;

	*created = false;
	s = dfl_hmap__upsert(&o->index, key, strlen(key), created);
	if (!s)
		return NULL;
	if (!*created)
		return o->items[s->val.u64 - 1];
	og = calloc(1, sizeof(*og));
	slot = og ? DFL_PUSH(o->items, o->n, o->cap) : NULL;
	if (!slot) {
		free(og);
		dfl_hmap__remove(&o->index, key, strlen(key));
		return NULL;
	}
	*slot = og;
	og->cookie = (uint32_t)o->n;
	s = dfl_hmap__find(&o->index, key, strlen(key));
	s->val.u64 = og->cookie;
	return og;
}

static uint32_t policy_origin(struct dfl_origins *o, const struct dfl_policy *p,
			      const struct dfl_rule *r, enum dfl_direction dir,
			      const struct dfl_peer_rule *pr)
{
	static const char *const lists[2][2] = {
		{ "ingress", "ingressDeny" },
		{ "egress", "egressDeny" },
	};
	const struct dfl_meta *m = &p->meta;
	struct dfl_strbuf key = { 0 }, field = { 0 };
	struct dfl_origin *og;
	bool created;

	if (pr)
		dfl_strbuf__printf(&field, "%s[%zu]", lists[pr->dir][pr->deny],
				   pr->index);
	dfl_strbuf__printf(&key, "%d\x1f%s\x1f%s\x1f%s\x1f%zu\x1f%d\x1f%s",
			   m->kind, m->namespace ? m->namespace : "", m->name,
			   m->uid ? m->uid : "", r->index, dir,
			   dfl_strbuf__str(&field));
	if (key.err || field.err) {
		og = NULL;
		goto out;
	}
	og = origin_get(o, dfl_strbuf__str(&key), &created);
	if (!og || !created) {
		if (og)
			og->pos = pr ? pr->pos : r->pos;
		goto out;
	}
	og->origin = DFL_ORIGIN_POLICY;
	og->kind = m->kind;
	og->namespace = dfl_strdup(m->namespace);
	og->name = dfl_strdup(m->name);
	og->uid = dfl_strdup(m->uid);
	og->rule_index = r->index;
	og->rule_field = dfl_strdup(r->field ? r->field : "spec");
	og->field = pr ? dfl_strbuf__detach(&field) : NULL;
	og->pos = pr ? pr->pos : r->pos;
	og->dir = dir;
	og->deny = pr ? pr->deny : false;
	/* Allocation failures leave NULL strings; printers cope. */
out:
	dfl_strbuf__release(&key);
	dfl_strbuf__release(&field);
	return og ? og->cookie : 0;
}

uint32_t dfl_origins__policy(struct dfl_origins *o,
			     const struct dfl_policy *p,
			     const struct dfl_rule *r,
			     const struct dfl_peer_rule *pr)
{
	return policy_origin(o, p, r, pr->dir, pr);
}

uint32_t dfl_origins__rule(struct dfl_origins *o, const struct dfl_policy *p,
			   const struct dfl_rule *r, enum dfl_direction dir)
{
	return policy_origin(o, p, r, dir, NULL);
}

uint32_t dfl_origins__synthetic(struct dfl_origins *o, const char *name,
				enum dfl_direction dir)
{
	struct dfl_strbuf key = { 0 };
	struct dfl_origin *og = NULL;
	bool created;

	dfl_strbuf__printf(&key, "synthetic\x1f%s", name);
	if (!key.err)
		og = origin_get(o, dfl_strbuf__str(&key), &created);
	if (og && created) {
		og->origin = DFL_ORIGIN_SYNTHETIC;
		og->name = strdup(name);
		og->dir = dir;
	}
	dfl_strbuf__release(&key);
	return og ? og->cookie : 0;
}

int dfl_origin__fmt_policy(const struct dfl_origin *og, struct dfl_strbuf *out)
{
	if (og->origin == DFL_ORIGIN_SYNTHETIC)
		return dfl_strbuf__printf(out, "%s (synthetic)",
					  og->name ? og->name : "?");
	if (og->namespace)
		return dfl_strbuf__printf(out, "%s %s/%s",
					  dfl_kind__name(og->kind),
					  og->namespace, og->name);
	return dfl_strbuf__printf(out, "%s %s", dfl_kind__name(og->kind),
				  og->name);
}

int dfl_origin__fmt(const struct dfl_origin *og, struct dfl_strbuf *out)
{
	char pos[512];

	dfl_origin__fmt_policy(og, out);
	if (og->origin == DFL_ORIGIN_SYNTHETIC)
		return out->err;
	if (og->rule_index || !og->field)
		dfl_strbuf__printf(out, " %s", og->rule_field);
	if (og->field)
		dfl_strbuf__printf(out, " %s", og->field);
	if (og->pos.file)
		dfl_strbuf__printf(out, " (%s)",
				   dfl_pos__fmt(og->pos, pos, sizeof(pos)));
	return out->err;
}
