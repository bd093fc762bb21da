/* A pool of integer ids [lo, hi] backed by a bitmap: the endpoint-id
 * allocator (random picks, like Cilium's idpool) and the base of the IPv4
 * allocator (next-fit picks, so that a freed address is not handed out again
 * at once while conntrack entries for it may still live). */
#ifndef DFL_AGENT_IDPOOL_H
#define DFL_AGENT_IDPOOL_H

#include <stdbool.h>
#include <stdint.h>

struct dfl_idpool {
	uint32_t lo, hi;   /* inclusive range */
	uint32_t used;	   /* ids taken */
	uint32_t cursor;   /* next-fit position, an offset from lo */
	uint64_t *bits;	   /* bit i set: id lo + i taken */
};

/* Sets up an empty pool for [lo, hi] (lo <= hi). Returns 0 or -ENOMEM,
 * -EINVAL. */
int dfl_idpool__init(struct dfl_idpool *p, uint32_t lo, uint32_t hi);
void dfl_idpool__release(struct dfl_idpool *p);

/* Takes the first free id at or after the cursor (wrapping around) and moves
 * the cursor past it. Returns 0 and sets *id, or -ENOSPC. */
int dfl_idpool__alloc_next(struct dfl_idpool *p, uint32_t *id);
/* Takes a free id chosen at random. Returns 0 or -ENOSPC. */
int dfl_idpool__alloc_random(struct dfl_idpool *p, uint32_t *id);
/* Takes <id> itself (restoring state). -ERANGE outside the pool, -EEXIST
 * when taken. */
int dfl_idpool__claim(struct dfl_idpool *p, uint32_t id);
/* Gives <id> back. -ERANGE outside the pool, -ENOENT when it was free. */
int dfl_idpool__free(struct dfl_idpool *p, uint32_t id);
bool dfl_idpool__taken(const struct dfl_idpool *p, uint32_t id);

#endif
