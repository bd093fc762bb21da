/* Two small open-addressing hash tables used by identity/ and policy/:
 *   dfl_hmap   byte-string key (copied, owned by the map) -> pointer or u64
 *   dfl_u64map u64 key -> u64 value
 * Linear probing with backward-shift deletion, so there are no tombstones and
 * lookups stay short after many deletions. Neither table is thread-safe. */
#ifndef DFL_IDENTITY_HASH_H
#define DFL_IDENTITY_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dfl_hmap_slot {
	uint64_t hash;
	char *key; /* NULL = empty slot; owned copy, NUL-terminated too */
	size_t klen;
	union {
		void *ptr;
		uint64_t u64;
	} val;
};

/* A zeroed struct is an empty map. */
struct dfl_hmap {
	struct dfl_hmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

uint64_t dfl_hash_bytes(const void *data, size_t len);

/* Returns the slot holding <key>, or NULL. The slot stays valid until the
 * next insertion or deletion. */
struct dfl_hmap_slot *dfl_hmap__find(const struct dfl_hmap *m, const void *key,
				     size_t klen);
/* Returns the slot for <key>, inserting a zeroed value when absent (*created
 * tells which). NULL with errno = ENOMEM. */
struct dfl_hmap_slot *dfl_hmap__upsert(struct dfl_hmap *m, const void *key,
				       size_t klen, bool *created);
/* Removes <key>; returns true when it was present. */
bool dfl_hmap__remove(struct dfl_hmap *m, const void *key, size_t klen);
/* Frees the key copies and the table (not the values). */
void dfl_hmap__release(struct dfl_hmap *m);

/* String-key conveniences. */
void *dfl_hmap__get(const struct dfl_hmap *m, const char *key);
int dfl_hmap__put(struct dfl_hmap *m, const char *key, void *val);

#define dfl_hmap_for_each(m, s)                                            \
	for ((s) = (m)->slots; (m)->slots && (s) < (m)->slots + (m)->cap; \
	     (s)++)                                                       \
		if ((s)->key)

struct dfl_u64map_slot {
	uint64_t key;
	uint64_t val;
	bool used;
};

struct dfl_u64map {
	struct dfl_u64map_slot *slots;
	size_t cap;
	size_t n;
};

/* Returns true and sets *val when <key> is present. */
bool dfl_u64map__get(const struct dfl_u64map *m, uint64_t key, uint64_t *val);
/* Inserts or replaces. Returns 0 or -ENOMEM. */
int dfl_u64map__put(struct dfl_u64map *m, uint64_t key, uint64_t val);
bool dfl_u64map__remove(struct dfl_u64map *m, uint64_t key);
void dfl_u64map__clear(struct dfl_u64map *m);
void dfl_u64map__release(struct dfl_u64map *m);

#endif
