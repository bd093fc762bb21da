#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/hash.h"

uint64_t dfl_hash_bytes(const void *data, size_t len)
{
	/* FNV-1a, then a final avalanche so that low bits are usable as an
	 * index for keys that differ only in their last bytes. */
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static struct dfl_hmap_slot *hmap_probe(const struct dfl_hmap *m, uint64_t h,
					const void *key, size_t klen)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct dfl_hmap_slot *s = &m->slots[i];

		if (!s->key)
			return s;
		if (s->hash == h && s->klen == klen && !memcmp(s->key, key, klen))
			return s;
	}
}

static int hmap_grow(struct dfl_hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct dfl_hmap_slot *old = m->slots, *slots;
	size_t ocap = m->cap;

	slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	m->slots = slots;
	m->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].key)
			*hmap_probe(m, old[i].hash, old[i].key, old[i].klen) =
				old[i];
	}
	free(old);
	return 0;
}

struct dfl_hmap_slot *dfl_hmap__find(const struct dfl_hmap *m, const void *key,
				     size_t klen)
{
	struct dfl_hmap_slot *s;

	if (!m->cap)
		return NULL;
	s = hmap_probe(m, dfl_hash_bytes(key, klen), key, klen);
	return s->key ? s : NULL;
}

struct dfl_hmap_slot *dfl_hmap__upsert(struct dfl_hmap *m, const void *key,
				       size_t klen, bool *created)
{
	uint64_t h = dfl_hash_bytes(key, klen);
	struct dfl_hmap_slot *s;
	char *copy;

	if (created)
		*created = false;
	if ((m->n + 1) * 4 > m->cap * 3 && hmap_grow(m)) {
		errno = ENOMEM;
		return NULL;
	}
	s = hmap_probe(m, h, key, klen);
	if (s->key)
		return s;
	copy = malloc(klen + 1);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, key, klen);
	copy[klen] = '\0';
	s->hash = h;
	s->key = copy;
	s->klen = klen;
	s->val.u64 = 0;
	m->n++;
	if (created)
		*created = true;
	return s;
}

bool dfl_hmap__remove(struct dfl_hmap *m, const void *key, size_t klen)
{
	struct dfl_hmap_slot *s = dfl_hmap__find(m, key, klen);
	size_t mask = m->cap - 1, i, j;

	if (!s)
		return false;
	free(s->key);
	s->key = NULL;
	m->n--;
	/* Backward-shift: move later members of the probe run into the hole
	 * when their home slot is not between the hole and themselves. */
	i = (size_t)(s - m->slots);
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;

		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return true;
}

void dfl_hmap__release(struct dfl_hmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

void *dfl_hmap__get(const struct dfl_hmap *m, const char *key)
{
	struct dfl_hmap_slot *s = dfl_hmap__find(m, key, strlen(key));

	return s ? s->val.ptr : NULL;
}

int dfl_hmap__put(struct dfl_hmap *m, const char *key, void *val)
{
	struct dfl_hmap_slot *s = dfl_hmap__upsert(m, key, strlen(key), NULL);

	if (!s)
		return -ENOMEM;
	s->val.ptr = val;
	return 0;
}

static struct dfl_u64map_slot *u64_probe(const struct dfl_u64map *m,
					 uint64_t key)
{
	size_t mask = m->cap - 1;

	for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
		struct dfl_u64map_slot *s = &m->slots[i];

		if (!s->used || s->key == key)
			return s;
	}
}

bool dfl_u64map__get(const struct dfl_u64map *m, uint64_t key, uint64_t *val)
{
	struct dfl_u64map_slot *s;

	if (!m->cap)
		return false;
	s = u64_probe(m, key);
	if (!s->used)
		return false;
	if (val)
		*val = s->val;
	return true;
}

int dfl_u64map__put(struct dfl_u64map *m, uint64_t key, uint64_t val)
{
	struct dfl_u64map_slot *s;

	if ((m->n + 1) * 4 > m->cap * 3) {
		size_t ncap = m->cap ? m->cap * 2 : 16, ocap = m->cap;
		struct dfl_u64map_slot *old = m->slots;

		m->slots = calloc(ncap, sizeof(*m->slots));
		if (!m->slots) {
			m->slots = old;
			return -ENOMEM;
		}
		m->cap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].used)
				*u64_probe(m, old[i].key) = old[i];
		free(old);
	}
	s = u64_probe(m, key);
	if (!s->used) {
		s->used = true;
		s->key = key;
		m->n++;
	}
	s->val = val;
	return 0;
}

bool dfl_u64map__remove(struct dfl_u64map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i, j;
	struct dfl_u64map_slot *s;

	if (!m->cap)
		return false;
	s = u64_probe(m, key);
	if (!s->used)
		return false;
	s->used = false;
	m->n--;
	i = (size_t)(s - m->slots);
	for (j = (i + 1) & mask; m->slots[j].used; j = (j + 1) & mask) {
		size_t home = mix64(m->slots[j].key) & mask;

		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].used = false;
			i = j;
		}
	}
	return true;
}

void dfl_u64map__clear(struct dfl_u64map *m)
{
	if (m->cap)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->n = 0;
}

void dfl_u64map__release(struct dfl_u64map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
