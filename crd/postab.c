#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crd/postab.h"

static size_t slot_of(const json_t *node, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)node;

	/* Fibonacci hashing; heap addresses differ mostly in the middle bits.
	 */
	h = (h >> 4) * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & (cap - 1);
}

static int grow(struct dfl_postab *pt)
{
	size_t ncap = pt->cap ? pt->cap * 2 : 256;
	struct dfl_postab_ent *old = pt->slots, *slots;

	if (ncap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < pt->cap; i++) {
		size_t j;

		if (!old[i].node)
			continue;
		j = slot_of(old[i].node, ncap);
		while (slots[j].node)
			j = (j + 1) & (ncap - 1);
		slots[j] = old[i];
	}
	free(old);
	pt->slots = slots;
	pt->cap = ncap;
	return 0;
}

struct dfl_postab_ent *dfl_postab__put(struct dfl_postab *pt,
				       const json_t *node, unsigned int line,
				       unsigned int col)
{
	struct dfl_postab_ent *e;
	size_t i;

	/* Keep the load factor under 1/2 so probe sequences stay short. */
	if ((pt->n + 1) * 2 > pt->cap && grow(pt))
		return NULL;
	i = slot_of(node, pt->cap);
	while (pt->slots[i].node && pt->slots[i].node != node)
		i = (i + 1) & (pt->cap - 1);
	e = &pt->slots[i];
	if (!e->node)
		pt->n++;
	memset(e, 0, sizeof(*e));
	e->node = node;
	e->line = line;
	e->col = col;
	return e;
}

const struct dfl_postab_ent *dfl_postab__get(const struct dfl_postab *pt,
					     const json_t *node)
{
	size_t i;

	if (!pt || !pt->cap || !node)
		return NULL;
	i = slot_of(node, pt->cap);
	while (pt->slots[i].node) {
		if (pt->slots[i].node == node)
			return &pt->slots[i];
		i = (i + 1) & (pt->cap - 1);
	}
	return NULL;
}

void dfl_postab__release(struct dfl_postab *pt)
{
	if (!pt)
		return;
	free(pt->slots);
	memset(pt, 0, sizeof(*pt));
}
