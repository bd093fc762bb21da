/* Building one endpoint's map entries (§3.5): entries for the same key are
 * merged by precedence, then entries a higher-precedence entry makes
 * unreachable are pruned, because the LPM trie returns the longest match,
 * not the highest precedence. The datapath arbitrates only between the
 * lookup for the remote identity and the lookup for identity 0 (§8.4). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "util/mem.h"

static uint64_t pack_key(const struct dfl_map_entry *e)
{
	return (uint64_t)e->identity << 32 | (uint64_t)(e->egress & 1) << 31 |
	       (uint64_t)e->proto << 23 | (uint64_t)e->port << 7 |
	       (e->port_prefix_len & 0x1f);
}

int dfl_map_entry_cmp(const struct dfl_map_entry *a,
		      const struct dfl_map_entry *b)
{
	if (a->egress != b->egress)
		return a->egress < b->egress ? -1 : 1;
	if (a->identity != b->identity)
		return a->identity < b->identity ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->port_prefix_len != b->port_prefix_len)
		return a->port_prefix_len < b->port_prefix_len ? -1 : 1;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return dfl_map_entry_cmp(a, b);
}

bool dfl_map_key_covers(const struct dfl_map_entry *a,
			const struct dfl_map_entry *b)
{
	uint16_t mask;

	if (!a->proto)
		return true;
	if (a->proto != b->proto || a->port_prefix_len > b->port_prefix_len)
		return false;
	mask = a->port_prefix_len ?
		       (uint16_t)(0xffffu << (16 - a->port_prefix_len)) :
		       0;
	return (b->port & mask) == a->port;
}

/* Two entries for the same key: the higher precedence wins; at equal
 * precedence the values are the same kind (deny, same redirect, or plain
 * allow) and merge: the lowest cookie names the entry, and the strongest
 * authentication requirement is kept. */
static void merge_same_key(struct dfl_map_entry *old,
			   const struct dfl_map_entry *e)
{
	if (e->precedence > old->precedence) {
		*old = *e;
		return;
	}
	if (e->precedence < old->precedence)
		return;
	if (e->cookie && (!old->cookie || e->cookie < old->cookie))
		old->cookie = e->cookie;
	if (e->auth_type > old->auth_type)
		old->auth_type = e->auth_type;
	old->explicit_auth |= e->explicit_auth;
}

int dfl_mapstate_add(struct mapstate *ms, const struct dfl_map_entry *e)
{
	uint64_t key = pack_key(e), pos;
	struct dfl_map_entry *slot;

	if (dfl_u64map__get(&ms->index, key, &pos)) {
		merge_same_key(&ms->items[pos], e);
		return 0;
	}
	slot = DFL_PUSH(ms->items, ms->n, ms->cap);
	if (!slot)
		return -ENOMEM;
	*slot = *e;
	if (dfl_u64map__put(&ms->index, key, ms->n - 1)) {
		ms->n--;
		return -ENOMEM;
	}
	return 0;
}

/* Is <b> unreachable or redundant given <a> (a != b, same direction)? */
static bool shadows(const struct dfl_map_entry *a, const struct dfl_map_entry *b)
{
	if (!dfl_map_key_covers(a, b))
		return false;
	if (a->precedence > b->precedence)
		return true;
	/* A narrower deny under a broader deny adds nothing. */
	return a->deny && b->deny;
}

int dfl_mapstate_finish(struct mapstate *ms)
{
	struct dfl_map_entry *it = ms->items;
	bool *drop;
	size_t out = 0;
	/* Identity-0 denies per direction: they win over every identity's
	 * entries they cover (the datapath's second lookup picks the higher
	 * precedence), so covered entries of other identities are dropped as
	 * Cilium does. [w0, w0e) is the identity-0 group of a direction. */
	size_t w0[2] = { 0, 0 }, w0e[2] = { 0, 0 };

	dfl_u64map__clear(&ms->index);
	if (!ms->n)
		return 0;
	qsort(it, ms->n, sizeof(*it), cmp_entry);
	drop = calloc(ms->n, sizeof(*drop));
	if (!drop)
		return -ENOMEM;
	for (size_t i = 0; i < ms->n;) {
		size_t j = i;
		uint32_t lo = it[i].precedence, hi = it[i].precedence;
		bool any_deny = false;

		while (j < ms->n && it[j].egress == it[i].egress &&
		       it[j].identity == it[i].identity) {
			lo = it[j].precedence < lo ? it[j].precedence : lo;
			hi = it[j].precedence > hi ? it[j].precedence : hi;
			any_deny |= it[j].deny;
			j++;
		}
		if (it[i].identity == 0) {
			w0[it[i].egress] = i;
			w0e[it[i].egress] = j;
		}
		if (lo != hi || any_deny)
			for (size_t b = i; b < j; b++)
				for (size_t a = i; a < j && !drop[b]; a++)
					if (a != b && shadows(&it[a], &it[b]))
						drop[b] = true;
		i = j;
	}
	for (size_t b = 0; b < ms->n; b++) {
		uint8_t d = it[b].egress;

		if (!it[b].identity || drop[b])
			continue;
		for (size_t a = w0[d]; a < w0e[d] && !drop[b]; a++)
			if (it[a].deny && !drop[a] &&
			    dfl_map_key_covers(&it[a], &it[b]))
				drop[b] = true;
	}
	for (size_t i = 0; i < ms->n; i++)
		if (!drop[i])
			it[out++] = it[i];
	ms->n = out;
	free(drop);
	return 0;
}

void dfl_mapstate_release(struct mapstate *ms)
{
	free(ms->items);
	dfl_u64map__release(&ms->index);
	memset(ms, 0, sizeof(*ms));
}
