/* The selector cache: every distinct selector used by a rule, compiled once,
 * with the sorted list of identities it selects kept current as identities
 * come and go (Cilium's SelectorCache). Selectors are shared by value: two
 * rules writing the same requirements get the same cached selector. */
#ifndef DFL_POLICY_SELCACHE_H
#define DFL_POLICY_SELCACHE_H

#include "identity/allocator.h"
#include "identity/hash.h"
#include "identity/identity-t.h"

struct dfl_cached_sel {
	struct dfl_sel sel;
	char *key;	 /* canonical text (dfl_sel__fmt) */
	uint32_t serial; /* unique, never reused */
	bool wildcard;	 /* no terms: every identity, key identity 0 */
	uint32_t *ids;	 /* selected identities, ascending */
	size_t n_ids, cap_ids;
	uint32_t refs;
	struct dfl_u64map users; /* endpoint serial -> 1: who resolved with it */
	char *pivot;		 /* "key\x1fvalue" index term, or NULL */
};

struct dfl_selcache;

/* <ids> is borrowed: the cache matches against its identities and must be
 * told about every identity added or removed (below). */
struct dfl_selcache *dfl_selcache__new(struct dfl_idalloc *ids);
void dfl_selcache__free(struct dfl_selcache *c);

/* Returns the cached selector equal to <sel> (a copy is made when new, and
 * matched against every identity), taking a reference. NULL with errno. */
struct dfl_cached_sel *dfl_selcache__get(struct dfl_selcache *c,
					 const struct dfl_sel *sel);
/* Drops a reference taken by __get or __ref. NULL-safe. */
void dfl_selcache__put(struct dfl_selcache *c, struct dfl_cached_sel *cs);
void dfl_selcache__ref(struct dfl_cached_sel *cs);

typedef void (*dfl_selcache_changed_fn)(struct dfl_cached_sel *cs, void *arg);

/* Matches a new identity against every selector; calls <fn> for each
 * selector that now selects it. 0 or -ENOMEM. */
int dfl_selcache__identity_added(struct dfl_selcache *c,
				 const struct dfl_identity *id,
				 dfl_selcache_changed_fn fn, void *arg);
/* Removes an identity (call before freeing it); <fn> for each selector that
 * selected it. */
void dfl_selcache__identity_removed(struct dfl_selcache *c,
				   const struct dfl_identity *id,
				   dfl_selcache_changed_fn fn, void *arg);

bool dfl_cached_sel__selects(const struct dfl_cached_sel *cs, uint32_t id);
size_t dfl_selcache__count(const struct dfl_selcache *c);

#endif
