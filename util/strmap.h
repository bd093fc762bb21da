/* A hash map from strings to pointers. Keys are copied; values are borrowed
 * (the map never frees them). A zeroed struct is an empty map. */
#ifndef DFL_UTIL_STRMAP_H
#define DFL_UTIL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct dfl_strmap_slot {
	char *key; /* NULL = empty slot */
	void *value;
	bool tombstone;
};

struct dfl_strmap {
	struct dfl_strmap_slot *slots;
	size_t cap;  /* power of two, or 0 */
	size_t n;    /* live keys */
	size_t used; /* live keys + tombstones */
};

/* Sets <key> to <value>; returns 0 or -ENOMEM. *<old> (may be NULL) receives
 * the previous value, or NULL when the key is new. */
int dfl_strmap__set(struct dfl_strmap *m, const char *key, void *value,
		    void **old);
/* The value of <key>, or NULL. */
void *dfl_strmap__get(const struct dfl_strmap *m, const char *key);
bool dfl_strmap__has(const struct dfl_strmap *m, const char *key);
/* Removes <key>; returns its value, or NULL when absent. */
void *dfl_strmap__del(struct dfl_strmap *m, const char *key);
/* Iteration: for (size_t i = 0; dfl_strmap__next(m, &i, &k, &v);) ... The
 * map must not change during iteration. */
bool dfl_strmap__next(const struct dfl_strmap *m, size_t *iter,
		      const char **key, void **value);
/* Frees the keys and slots (not the values). */
void dfl_strmap__release(struct dfl_strmap *m);

#endif
