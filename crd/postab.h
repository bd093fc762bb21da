/* Source positions of the nodes of a parsed YAML or JSON tree (internal to
 * crd/). jansson nodes carry no user data, so the loaders record where each
 * node came from in this side table, keyed by the node's address; lookups
 * are O(1). Aliased YAML nodes are shared, so they keep the position of
 * their anchor. */
#ifndef DFL_CRD_POSTAB_H
#define DFL_CRD_POSTAB_H

#include <jansson.h>
#include <stddef.h>

struct dfl_postab_ent {
	const json_t *node;		/* NULL marks a free slot */
	unsigned int line, col;		/* the node itself, 1-based */
	unsigned int key_line, key_col; /* its key, when a mapping value */
	unsigned int end_line, end_col; /* where a mapping/sequence ends */
};

/* A zeroed struct is an empty table. <file> is the interned file name every
 * position of this table refers to. */
struct dfl_postab {
	const char *file;
	struct dfl_postab_ent *slots;
	size_t n, cap; /* cap is 0 or a power of two */
};

/* Records (or overwrites: addresses of freed nodes get reused) the position
 * of <node>. Returns its entry, or NULL on allocation failure. */
struct dfl_postab_ent *dfl_postab__put(struct dfl_postab *pt,
				       const json_t *node, unsigned int line,
				       unsigned int col);
/* The entry of <node>, or NULL when the table does not know it. */
const struct dfl_postab_ent *dfl_postab__get(const struct dfl_postab *pt,
					     const json_t *node);
void dfl_postab__release(struct dfl_postab *pt);

#endif
