/* Field masks for exported flows (Hubble's --hubble-export-fieldmask and the
 * flowLogs fieldMask): a list of Flow field paths ("time", "source.namespace",
 * "l7.http.url"); the exporter writes only the selected fields. */
#ifndef DFL_FLOW_FIELDMASK_H
#define DFL_FLOW_FIELDMASK_H

#include <stdbool.h>
#include <stddef.h>

/* A tree of selected field names. A node without children selects its whole
 * subtree. Owned by whoever parsed it. */
struct dfl_fieldmask {
	char *name; /* NULL at the root */
	struct dfl_fieldmask *children;
	size_t n;
	size_t cap;
};

/* Builds a mask from <n> paths, each checked against the Flow message as
 * fieldmaskpb.New(&Flow{}) does (unknown fields and paths through lists are
 * errors). Returns the mask, or NULL with errno = EINVAL (message naming the
 * path in <err>) or ENOMEM. An empty list gives NULL with errno = 0: no mask. */
struct dfl_fieldmask *dfl_fieldmask__new(const char *const *paths, size_t n,
					 char *err, size_t errlen);
void dfl_fieldmask__free(struct dfl_fieldmask *m);

/* The encoder's question: is field <name> of the message masked by <m>
 * selected? <m> NULL means everything is. Returns false when not selected;
 * else true with *<sub> set to the mask for the field's own fields (NULL:
 * all of them). */
bool dfl_fieldmask__select(const struct dfl_fieldmask *m, const char *name,
			   const struct dfl_fieldmask **sub);

#endif
