#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "agent/idpool.h"

int dfl_idpool__init(struct dfl_idpool *p, uint32_t lo, uint32_t hi)
{
	uint64_t n = (uint64_t)hi - lo + 1;

	*p = (struct dfl_idpool){ .lo = lo, .hi = hi };
	if (lo > hi)
		return -EINVAL;
	p->bits = calloc((n + 63) / 64, sizeof(*p->bits));
	return p->bits ? 0 : -ENOMEM;
}

void dfl_idpool__release(struct dfl_idpool *p)
{
	if (!p)
		return;
	free(p->bits);
	*p = (struct dfl_idpool){ 0 };
}

static bool bit(const struct dfl_idpool *p, uint32_t off)
{
	return p->bits[off / 64] >> (off % 64) & 1;
}

static void set_bit(struct dfl_idpool *p, uint32_t off, bool on)
{
	if (on)
		p->bits[off / 64] |= 1ull << (off % 64);
	else
		p->bits[off / 64] &= ~(1ull << (off % 64));
}

static uint64_t pool_size(const struct dfl_idpool *p)
{
	return (uint64_t)p->hi - p->lo + 1;
}

/* First free offset at or after <start>, wrapping; whole words are skipped
 * when full so that a nearly full /8 is still fast. */
static int find_free(const struct dfl_idpool *p, uint32_t start, uint32_t *off)
{
	uint64_t n = pool_size(p);

	if (p->used >= n)
		return -ENOSPC;
	for (uint64_t i = 0; i < n;) {
		uint32_t o = (uint32_t)((start + i) % n);

		if (o % 64 == 0 && p->bits[o / 64] == ~0ull && o + 64 <= n) {
			i += 64;
			continue;
		}
		if (!bit(p, o)) {
			*off = o;
			return 0;
		}
		i++;
	}
	return -ENOSPC;
}

int dfl_idpool__alloc_next(struct dfl_idpool *p, uint32_t *id)
{
	uint32_t off;
	int err = find_free(p, p->cursor, &off);

	if (err)
		return err;
	set_bit(p, off, true);
	p->used++;
	p->cursor = (uint32_t)((off + 1) % pool_size(p));
	*id = p->lo + off;
	return 0;
}

int dfl_idpool__alloc_random(struct dfl_idpool *p, uint32_t *id)
{
	uint32_t r = 0, off;
	int err;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)random();
	err = find_free(p, (uint32_t)(r % pool_size(p)), &off);
	if (err)
		return err;
	set_bit(p, off, true);
	p->used++;
	*id = p->lo + off;
	return 0;
}

int dfl_idpool__claim(struct dfl_idpool *p, uint32_t id)
{
	if (id < p->lo || id > p->hi)
		return -ERANGE;
	if (bit(p, id - p->lo))
		return -EEXIST;
	set_bit(p, id - p->lo, true);
	p->used++;
	return 0;
}

int dfl_idpool__free(struct dfl_idpool *p, uint32_t id)
{
	if (id < p->lo || id > p->hi)
		return -ERANGE;
	if (!bit(p, id - p->lo))
		return -ENOENT;
	set_bit(p, id - p->lo, false);
	p->used--;
	return 0;
}

bool dfl_idpool__taken(const struct dfl_idpool *p, uint32_t id)
{
	return id >= p->lo && id <= p->hi && bit(p, id - p->lo);
}
