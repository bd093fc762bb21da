#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

/* FNV-1a: short keys (object names), no adversarial input worth SipHash. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static struct dfl_strmap_slot *find(const struct dfl_strmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = hash_str(key) & (m->cap - 1);
	for (;;) {
		struct dfl_strmap_slot *s = &m->slots[i];

		if (!s->key && !s->tombstone)
			return NULL;
		if (s->key && !strcmp(s->key, key))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static int rehash(struct dfl_strmap *m, size_t ncap)
{
	struct dfl_strmap_slot *old = m->slots;
	size_t ocap = m->cap;

	m->slots = calloc(ncap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	m->cap = ncap;
	m->used = m->n;
	for (size_t j = 0; j < ocap; j++) {
		size_t i;

		if (!old[j].key)
			continue;
		i = hash_str(old[j].key) & (ncap - 1);
		while (m->slots[i].key)
			i = (i + 1) & (ncap - 1);
		m->slots[i].key = old[j].key;
		m->slots[i].value = old[j].value;
	}
	free(old);
	return 0;
}

int dfl_strmap__set(struct dfl_strmap *m, const char *key, void *value,
		    void **old)
{
	struct dfl_strmap_slot *s = find(m, key);
	size_t i;

	if (old)
		*old = s ? s->value : NULL;
	if (s) {
		s->value = value;
		return 0;
	}
	/* Keep the load (tombstones included) under 3/4. */
	if ((m->used + 1) * 4 >= m->cap * 3) {
		size_t ncap = m->cap ? m->cap : 8;

		while ((m->n + 1) * 2 >= ncap)
			ncap *= 2;
		if (rehash(m, ncap))
			return -ENOMEM;
	}
	i = hash_str(key) & (m->cap - 1);
	while (m->slots[i].key)
		i = (i + 1) & (m->cap - 1);
	s = &m->slots[i];
	s->key = strdup(key);
	if (!s->key)
		return -ENOMEM;
	if (!s->tombstone)
		m->used++;
	s->tombstone = false;
	s->value = value;
	m->n++;
	return 0;
}

void *dfl_strmap__get(const struct dfl_strmap *m, const char *key)
{
	struct dfl_strmap_slot *s = find(m, key);

	return s ? s->value : NULL;
}

bool dfl_strmap__has(const struct dfl_strmap *m, const char *key)
{
	return find(m, key) != NULL;
}

void *dfl_strmap__del(struct dfl_strmap *m, const char *key)
{
	struct dfl_strmap_slot *s = find(m, key);
	void *v;

	if (!s)
		return NULL;
	v = s->value;
	free(s->key);
	s->key = NULL;
	s->value = NULL;
	s->tombstone = true;
	m->n--;
	return v;
}

bool dfl_strmap__next(const struct dfl_strmap *m, size_t *iter,
		      const char **key, void **value)
{
	for (; *iter < m->cap; (*iter)++) {
		if (m->slots[*iter].key) {
			*key = m->slots[*iter].key;
			if (value)
				*value = m->slots[*iter].value;
			(*iter)++;
			return true;
		}
	}
	return false;
}

void dfl_strmap__release(struct dfl_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
