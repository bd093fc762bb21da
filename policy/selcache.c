#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/selector.h"
#include "policy/selcache.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* A growable list of u32 or pointers, the values of the two indexes. */
struct idvec {
	uint32_t *ids;
	size_t n, cap;
};

struct selvec {
	struct dfl_cached_sel **items;
	size_t n, cap;
};

struct dfl_selcache {
	struct dfl_idalloc *idalloc;
	struct dfl_hmap by_key;	    /* canonical text -> cached selector */
	struct dfl_hmap postings;   /* "key\x1fvalue" -> struct idvec */
	struct dfl_hmap by_pivot;   /* "key\x1fvalue" -> struct selvec */
	struct selvec unpivoted;    /* selectors that must see every identity */
	uint32_t next_serial;
};

struct dfl_selcache *dfl_selcache__new(struct dfl_idalloc *ids)
{
	struct dfl_selcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->idalloc = ids;
	return c;
}

static void cs_free(struct dfl_cached_sel *cs)
{
	if (!cs)
		return;
	dfl_sel__release(&cs->sel);
	free(cs->key);
	free(cs->ids);
	free(cs->pivot);
	dfl_u64map__release(&cs->users);
	free(cs);
}

void dfl_selcache__free(struct dfl_selcache *c)
{
	struct dfl_hmap_slot *s;

	if (!c)
		return;
	dfl_hmap_for_each(&c->by_key, s)
		cs_free(s->val.ptr);
	dfl_hmap_for_each(&c->postings, s)
	{
		struct idvec *v = s->val.ptr;

		free(v->ids);
		free(v);
	}
	dfl_hmap_for_each(&c->by_pivot, s)
	{
		struct selvec *v = s->val.ptr;

		free(v->items);
		free(v);
	}
	dfl_hmap__release(&c->by_key);
	dfl_hmap__release(&c->postings);
	dfl_hmap__release(&c->by_pivot);
	free(c->unpivoted.items);
	free(c);
}

size_t dfl_selcache__count(const struct dfl_selcache *c)
{
	return c->by_key.n;
}

static char *kv_key(const char *key, const char *value)
{
	size_t k = strlen(key), v = strlen(value);
	char *s = malloc(k + v + 2);

	if (!s)
		return NULL;
	memcpy(s, key, k);
	s[k] = '\x1f';
	memcpy(s + k + 1, value, v + 1);
	return s;
}

static int ids_insert(uint32_t **ids, size_t *n, size_t *cap, uint32_t id)
{
	size_t lo = 0, hi = *n;
	void *items = *ids;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if ((*ids)[mid] == id)
			return 0;
		if ((*ids)[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (dfl_grow(&items, cap, *n + 1, sizeof(**ids)))
		return -ENOMEM;
	*ids = items;
	memmove(&(*ids)[lo + 1], &(*ids)[lo], (*n - lo) * sizeof(**ids));
	(*ids)[lo] = id;
	(*n)++;
	return 0;
}

static bool ids_remove(uint32_t *ids, size_t *n, uint32_t id)
{
	size_t lo = 0, hi = *n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ids[mid] == id) {
			memmove(&ids[mid], &ids[mid + 1],
				(*n - mid - 1) * sizeof(*ids));
			(*n)--;
			return true;
		}
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool dfl_cached_sel__selects(const struct dfl_cached_sel *cs, uint32_t id)
{
	size_t lo = 0, hi;

	if (cs->wildcard)
		return true;
	hi = cs->n_ids;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cs->ids[mid] == id)
			return true;
		if (cs->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static struct idvec *posting(const struct dfl_selcache *c, const char *kv)
{
	return dfl_hmap__get(&c->postings, kv);
}

/* The single-valued In term on a non-cidr key whose posting list is the
 * shortest: only identities in it can match. */
static const struct dfl_sel_term *pick_pivot(const struct dfl_selcache *c,
					     const struct dfl_sel *sel,
					     size_t *len)
{
	const struct dfl_sel_term *best = NULL;

	*len = SIZE_MAX;
	for (size_t i = 0; i < sel->n; i++) {
		const struct dfl_sel_term *t = &sel->terms[i];
		struct idvec *v;
		char *kv;

		if (t->op != DFL_TERM_IN || t->n_values != 1 || t->is_cidr)
			continue;
		kv = kv_key(t->key, t->values[0]);
		if (!kv)
			continue;
		v = posting(c, kv);
		free(kv);
		if (!best || (v ? v->n : 0) < *len) {
			best = t;
			*len = v ? v->n : 0;
		}
	}
	return best;
}

static int match_all(struct dfl_selcache *c, struct dfl_cached_sel *cs)
{
	size_t plen;
	const struct dfl_sel_term *pivot = pick_pivot(c, &cs->sel, &plen);

	if (pivot) {
		struct idvec *v;

		cs->pivot = kv_key(pivot->key, pivot->values[0]);
		if (!cs->pivot)
			return -ENOMEM;
		v = posting(c, cs->pivot);
		for (size_t i = 0; v && i < v->n; i++) {
			const struct dfl_identity *id =
				dfl_idalloc__get(c->idalloc, v->ids[i]);

			if (id && dfl_sel__matches(&cs->sel, &id->labels) &&
			    ids_insert(&cs->ids, &cs->n_ids, &cs->cap_ids,
				       id->id))
				return -ENOMEM;
		}
		return 0;
	}
	for (size_t i = 0, n = dfl_idalloc__count(c->idalloc); i < n; i++) {
		const struct dfl_identity *id = dfl_idalloc__at(c->idalloc, i);

		if (dfl_sel__matches(&cs->sel, &id->labels) &&
		    ids_insert(&cs->ids, &cs->n_ids, &cs->cap_ids, id->id))
			return -ENOMEM;
	}
	return 0;
}

static int selvec_add(struct selvec *v, struct dfl_cached_sel *cs)
{
	struct dfl_cached_sel **slot = DFL_PUSH(v->items, v->n, v->cap);

	if (!slot)
		return -ENOMEM;
	*slot = cs;
	return 0;
}

static void selvec_del(struct selvec *v, struct dfl_cached_sel *cs)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i] == cs) {
			v->items[i] = v->items[--v->n];
			return;
		}
}

static int index_selector(struct dfl_selcache *c, struct dfl_cached_sel *cs)
{
	struct dfl_hmap_slot *s;

	if (!cs->pivot)
		return selvec_add(&c->unpivoted, cs);
	s = dfl_hmap__upsert(&c->by_pivot, cs->pivot, strlen(cs->pivot), NULL);
	if (!s)
		return -ENOMEM;
	if (!s->val.ptr && !(s->val.ptr = calloc(1, sizeof(struct selvec))))
		return -ENOMEM;
	return selvec_add(s->val.ptr, cs);
}

struct dfl_cached_sel *dfl_selcache__get(struct dfl_selcache *c,
					 const struct dfl_sel *sel)
{
	struct dfl_strbuf key = { 0 };
	struct dfl_cached_sel *cs = NULL;
	struct dfl_hmap_slot *s;
	bool created;
	int err = -ENOMEM;

	if (dfl_sel__fmt(sel, &key))
		goto fail;
	s = dfl_hmap__upsert(&c->by_key, key.buf, key.len, &created);
	if (!s)
		goto fail;
	if (!created) {
		cs = s->val.ptr;
		cs->refs++;
		dfl_strbuf__release(&key);
		return cs;
	}
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		goto unlink;
	s->val.ptr = cs;
	cs->refs = 1;
	cs->serial = ++c->next_serial;
	cs->wildcard = sel->n == 0;
	cs->key = dfl_strbuf__detach(&key);
	if (!cs->key || dfl_sel__copy(&cs->sel, sel))
		goto unlink;
	if (!cs->wildcard) {
		err = match_all(c, cs);
		if (err)
			goto unlink;
		err = index_selector(c, cs);
		if (err) {
			selvec_del(&c->unpivoted, cs);
			goto unlink;
		}
	}
	return cs;
unlink:
	dfl_hmap__remove(&c->by_key, cs && cs->key ? cs->key : key.buf,
			 cs && cs->key ? strlen(cs->key) : key.len);
	cs_free(cs);
fail:
	dfl_strbuf__release(&key);
	errno = -err;
	return NULL;
}

void dfl_selcache__ref(struct dfl_cached_sel *cs)
{
	cs->refs++;
}

void dfl_selcache__put(struct dfl_selcache *c, struct dfl_cached_sel *cs)
{
	if (!cs || --cs->refs)
		return;
	if (!cs->wildcard) {
		if (cs->pivot) {
			struct selvec *v = dfl_hmap__get(&c->by_pivot, cs->pivot);

			if (v)
				selvec_del(v, cs);
		} else {
			selvec_del(&c->unpivoted, cs);
		}
	}
	dfl_hmap__remove(&c->by_key, cs->key, strlen(cs->key));
	cs_free(cs);
}

static int update_postings(struct dfl_selcache *c, const struct dfl_identity *id,
			   bool add)
{
	for (size_t i = 0; i < id->labels.n; i++) {
		const struct dfl_label *l = &id->labels.items[i];
		char *kv = kv_key(l->key, l->value);
		struct dfl_hmap_slot *s;
		struct idvec *v;

		if (!kv)
			return -ENOMEM;
		if (!add) {
			v = posting(c, kv);
			if (v)
				ids_remove(v->ids, &v->n, id->id);
			free(kv);
			continue;
		}
		s = dfl_hmap__upsert(&c->postings, kv, strlen(kv), NULL);
		free(kv);
		if (!s)
			return -ENOMEM;
		if (!s->val.ptr && !(s->val.ptr = calloc(1, sizeof(*v))))
			return -ENOMEM;
		v = s->val.ptr;
		if (ids_insert(&v->ids, &v->n, &v->cap, id->id))
			return -ENOMEM;
	}
	return 0;
}

static int try_add(struct dfl_cached_sel *cs, const struct dfl_identity *id,
		   dfl_selcache_changed_fn fn, void *arg)
{
	if (!dfl_sel__matches(&cs->sel, &id->labels))
		return 0;
	if (ids_insert(&cs->ids, &cs->n_ids, &cs->cap_ids, id->id))
		return -ENOMEM;
	if (fn)
		fn(cs, arg);
	return 0;
}

int dfl_selcache__identity_added(struct dfl_selcache *c,
				 const struct dfl_identity *id,
				 dfl_selcache_changed_fn fn, void *arg)
{
	int err = update_postings(c, id, true);

	for (size_t i = 0; i < c->unpivoted.n && !err; i++)
		err = try_add(c->unpivoted.items[i], id, fn, arg);
	for (size_t i = 0; i < id->labels.n && !err; i++) {
		const struct dfl_label *l = &id->labels.items[i];
		char *kv = kv_key(l->key, l->value);
		struct selvec *v;

		if (!kv)
			return -ENOMEM;
		v = dfl_hmap__get(&c->by_pivot, kv);
		free(kv);
		for (size_t j = 0; v && j < v->n && !err; j++)
			err = try_add(v->items[j], id, fn, arg);
	}
	return err;
}

void dfl_selcache__identity_removed(struct dfl_selcache *c,
				   const struct dfl_identity *id,
				   dfl_selcache_changed_fn fn, void *arg)
{
	struct dfl_hmap_slot *s;

	update_postings(c, id, false);
	dfl_hmap_for_each(&c->by_key, s)
	{
		struct dfl_cached_sel *cs = s->val.ptr;

		if (!cs->wildcard && ids_remove(cs->ids, &cs->n_ids, id->id) &&
		    fn)
			fn(cs, arg);
	}
}
