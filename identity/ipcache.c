#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/hash.h"
#include "identity/ipcache.h"
#include "identity/prefix.h"

/* One exact-match table per prefix length and family; a lookup tries the
 * lengths in use from the longest down. At most 33 + 129 tables, each
 * holding entries keyed by the (masked) address bytes. */
struct dfl_ipcache {
	struct dfl_hmap tables[2][129];
	size_t n;
};

static int fam_index(const struct dfl_prefix *p)
{
	return p->family == AF_INET6;
}

static size_t key_len(const struct dfl_prefix *p)
{
	return p->family == AF_INET ? 4 : 16;
}

struct dfl_ipcache *dfl_ipcache__new(void)
{
	return calloc(1, sizeof(struct dfl_ipcache));
}

static void entry_free(struct dfl_ipcache_item *e)
{
	if (e)
		free(e->owner);
	free(e);
}

void dfl_ipcache__free(struct dfl_ipcache *c)
{
	struct dfl_hmap_slot *s;

	if (!c)
		return;
	for (int f = 0; f < 2; f++)
		for (int l = 0; l < 129; l++) {
			dfl_hmap_for_each(&c->tables[f][l], s)
				entry_free(s->val.ptr);
			dfl_hmap__release(&c->tables[f][l]);
		}
	free(c);
}

int dfl_ipcache__upsert(struct dfl_ipcache *c, const struct dfl_prefix *p,
			uint32_t identity, const char *owner)
{
	struct dfl_prefix m = *p;
	struct dfl_hmap_slot *s;
	struct dfl_ipcache_item *e;
	char *o = NULL;
	bool created;

	if ((p->family != AF_INET && p->family != AF_INET6) ||
	    p->len > dfl_prefix__bits(p))
		return -EINVAL;
	dfl_prefix__mask(&m);
	if (owner && !(o = strdup(owner)))
		return -ENOMEM;
	s = dfl_hmap__upsert(&c->tables[fam_index(&m)][m.len], m.addr,
			     key_len(&m), &created);
	if (!s)
		goto nomem;
	if (created) {
		s->val.ptr = calloc(1, sizeof(*e));
		if (!s->val.ptr) {
			dfl_hmap__remove(&c->tables[fam_index(&m)][m.len],
					 m.addr, key_len(&m));
			goto nomem;
		}
		c->n++;
	}
	e = s->val.ptr;
	e->prefix = m;
	e->identity = identity;
	free(e->owner);
	e->owner = o;
	return 0;
nomem:
	free(o);
	return -ENOMEM;
}

const struct dfl_ipcache_item *
dfl_ipcache__get(const struct dfl_ipcache *c, const struct dfl_prefix *p)
{
	struct dfl_prefix m = *p;
	struct dfl_hmap_slot *s;

	if (p->len > dfl_prefix__bits(p))
		return NULL;
	dfl_prefix__mask(&m);
	s = dfl_hmap__find(&c->tables[fam_index(&m)][m.len], m.addr,
			   key_len(&m));
	return s ? s->val.ptr : NULL;
}

bool dfl_ipcache__delete(struct dfl_ipcache *c, const struct dfl_prefix *p)
{
	struct dfl_ipcache_item *e =
		(struct dfl_ipcache_item *)dfl_ipcache__get(c, p);

	if (!e)
		return false;
	dfl_hmap__remove(&c->tables[fam_index(&e->prefix)][e->prefix.len],
			 e->prefix.addr, key_len(&e->prefix));
	entry_free(e);
	c->n--;
	return true;
}

const struct dfl_ipcache_item *
dfl_ipcache__lookup(const struct dfl_ipcache *c, const struct dfl_prefix *addr)
{
	int f = fam_index(addr);

	for (int len = addr->len; len >= 0; len--) {
		struct dfl_prefix m = *addr;
		struct dfl_hmap_slot *s;

		if (!c->tables[f][len].n)
			continue;
		m.len = (uint8_t)len;
		dfl_prefix__mask(&m);
		s = dfl_hmap__find(&c->tables[f][len], m.addr, key_len(&m));
		if (s)
			return s->val.ptr;
	}
	return NULL;
}

size_t dfl_ipcache__count(const struct dfl_ipcache *c)
{
	return c->n;
}

static int cmp_entry(const void *x, const void *y)
{
	const struct dfl_ipcache_item *a = *(const struct dfl_ipcache_item *const *)x;
	const struct dfl_ipcache_item *b = *(const struct dfl_ipcache_item *const *)y;
	int d;

	if (a->prefix.family != b->prefix.family)
		return a->prefix.family == AF_INET ? -1 : 1;
	d = memcmp(a->prefix.addr, b->prefix.addr, 16);
	if (d)
		return d;
	return a->prefix.len < b->prefix.len ? -1 : a->prefix.len > b->prefix.len;
}

int dfl_ipcache__foreach(const struct dfl_ipcache *c,
			 int (*fn)(const struct dfl_ipcache_item *e,
				   void *arg),
			 void *arg)
{
	const struct dfl_ipcache_item **all;
	struct dfl_hmap_slot *s;
	size_t n = 0;
	int ret = 0;

	all = calloc(c->n + 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (int f = 0; f < 2; f++)
		for (int l = 0; l < 129; l++)
			dfl_hmap_for_each(&c->tables[f][l], s)
				all[n++] = s->val.ptr;
	qsort(all, n, sizeof(*all), cmp_entry);
	for (size_t i = 0; i < n && !ret; i++)
		ret = fn(all[i], arg);
	free(all);
	return ret;
}
