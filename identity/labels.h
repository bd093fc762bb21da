/* Labels and label sets (§2.1). */
#ifndef DFL_IDENTITY_LABELS_H
#define DFL_IDENTITY_LABELS_H

#include "identity/identity-t.h"

/* Parses "source:key=value", "source:key" or "key=value" (source
 * <default_source>). Returns 0, -EINVAL for an empty key, or -ENOMEM. The
 * label owns copies (dfl_label__release). */
int dfl_label__parse(const char *s, const char *default_source,
		     struct dfl_label *out);
void dfl_label__release(struct dfl_label *l);

/* Inserts or replaces the label for <key>. Returns 0 or -ENOMEM. */
int dfl_labels__set(struct dfl_labels *ls, const char *source, const char *key,
		    const char *value);
/* Removes the label for <key>; true when there was one. */
bool dfl_labels__remove(struct dfl_labels *ls, const char *key);
const struct dfl_label *dfl_labels__find(const struct dfl_labels *ls,
					 const char *key);
/* Value of <source>:<key>, or NULL when absent or of another source. */
const char *dfl_labels__value(const struct dfl_labels *ls, const char *source,
			      const char *key);
bool dfl_labels__has_source(const struct dfl_labels *ls, const char *source);
int dfl_labels__copy(struct dfl_labels *dst, const struct dfl_labels *src);
bool dfl_labels__equal(const struct dfl_labels *a, const struct dfl_labels *b);
void dfl_labels__release(struct dfl_labels *ls);

/* Parses a comma-separated list "k8s:app=web,env=prod" into <ls> (added to
 * what it holds). Returns 0, -EINVAL or -ENOMEM. */
int dfl_labels__parse_list(struct dfl_labels *ls, const char *s,
			   const char *default_source);

/* "source:key=value;..." in key order (value omitted when empty), malloc'd;
 * the identity allocation key. NULL with errno = ENOMEM. */
char *dfl_labels__canonical(const struct dfl_labels *ls);
/* The same with a custom separator (", " for humans). */
char *dfl_labels__join(const struct dfl_labels *ls, const char *sep);

#endif
