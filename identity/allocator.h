/* Numeric identities for label sets (§6): reserved identities 1-10, the
 * well-known cluster components 100-115, cluster-scope identities
 * 256-65535 and node-local CIDR/FQDN identities 0x01000001-0x01ffffff.
 *
 * Numbers are derived from a hash of the label set, probing linearly on
 * collision, so the same label set mostly gets the same number in every run
 * and on every node; callers that allocate a batch in sorted order get the
 * same numbers whatever order the label sets arrived in. Once allocated, a
 * number never changes while it is referenced, and the table can be saved
 * and restored. */
#ifndef DFL_IDENTITY_ALLOCATOR_H
#define DFL_IDENTITY_ALLOCATOR_H

#include <stdio.h>

#include "identity/identity-t.h"

struct dfl_idalloc;

/* <cluster> is the local cluster name (well-known identities carry it);
 * <cilium_ns> the namespace of the Cilium-like components ("kube-system").
 * Both are copied. NULL with errno set on failure. */
struct dfl_idalloc *dfl_idalloc__new(const char *cluster, const char *cilium_ns);
void dfl_idalloc__free(struct dfl_idalloc *a);

/* Returns the identity for <ls>, allocating it (refs = 1) or taking one more
 * reference. *<created> (may be NULL) tells whether it is new. Returns 0,
 * -ENOSPC when the scope is exhausted, or -ENOMEM. The identity pointer stays
 * valid until its last reference is released. */
int dfl_idalloc__acquire(struct dfl_idalloc *a, const struct dfl_labels *ls,
			 const struct dfl_identity **out, bool *created);
/* Drops one reference; the identity is freed at zero (never reserved ones).
 * Returns true when it was freed. */
bool dfl_idalloc__release(struct dfl_idalloc *a, uint32_t id);
/* Inserts a persisted or externally allocated identity (refs = 1). Returns
 * -EEXIST when <id> or the label set is taken by something else. */
int dfl_idalloc__insert(struct dfl_idalloc *a, uint32_t id,
			const struct dfl_labels *ls);

const struct dfl_identity *dfl_idalloc__get(const struct dfl_idalloc *a,
					    uint32_t id);
const struct dfl_identity *dfl_idalloc__lookup(const struct dfl_idalloc *a,
					       const struct dfl_labels *ls);
/* Number of identities and the i-th in ascending numeric order (the order
 * is rebuilt lazily after changes). */
size_t dfl_idalloc__count(struct dfl_idalloc *a);
const struct dfl_identity *dfl_idalloc__at(struct dfl_idalloc *a, size_t i);

/* Writes non-reserved identities, one per line "ID<TAB>labels;...", and
 * reads them back (dfl_idalloc__insert each; lines for identities already
 * present with the same labels are accepted). Return 0 or a negative errno;
 * load reports -EINVAL with the line number in *<bad_line>. */
int dfl_idalloc__save(struct dfl_idalloc *a, FILE *f);
int dfl_idalloc__load(struct dfl_idalloc *a, FILE *f, size_t *bad_line);

/* "host", "world", "kube-dns", ... for reserved numbers, else NULL. */
const char *dfl_identity_reserved_name(uint32_t id);
/* The reserved number of "host", "world", "remote-node", ... or 0. */
uint32_t dfl_identity_reserved_by_name(const char *name);

#endif
