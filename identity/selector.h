/* Compiled endpoint selectors and their matching (§2.1, §2.2, §2.6). */
#ifndef DFL_IDENTITY_SELECTOR_H
#define DFL_IDENTITY_SELECTOR_H

#include "crd/crd-t.h"
#include "identity/identity-t.h"
#include "util/strbuf.h"

/* Appends the requirements of a decoded selector to <sel>. Keys are
 * "source:key" (crd/ adds "any:" to keys written without a source); a key
 * without a source is taken as "any". Returns 0, -EINVAL or -ENOMEM. */
int dfl_sel__add_crd(struct dfl_sel *sel, const struct dfl_selector *in);
/* Adds one requirement; values are copied. A "cidr" term's key must be a
 * prefix. Returns 0, -EINVAL or -ENOMEM. */
int dfl_sel__add(struct dfl_sel *sel, const char *source, const char *key,
		 enum dfl_sel_term_op op, const char *const *values,
		 size_t n_values);
/* Kubernetes' AddMatch: sets <source>:<key> In [<value>], replacing a
 * single-valued In term on the same key (a matchLabels entry). */
int dfl_sel__set_match(struct dfl_sel *sel, const char *source,
		       const char *key, const char *value);
/* Parses "k8s:app=web,any:env" style text: "k=v" is In, "k!=v" NotIn, a
 * bare key Exists, "!k" DoesNotExist. Used by the CLI and tests. */
int dfl_sel__parse(struct dfl_sel *sel, const char *s,
		   const char *default_source);

bool dfl_sel__has_key(const struct dfl_sel *sel, const char *source,
		      const char *key);
/* True when a term's key starts with <prefix> and its source is <source>. */
bool dfl_sel__has_key_prefix(const struct dfl_sel *sel, const char *source,
			     const char *prefix);
bool dfl_sel__has_source(const struct dfl_sel *sel, const char *source);

bool dfl_sel__matches(const struct dfl_sel *sel, const struct dfl_labels *ls);

/* Canonical text, also the selector cache key: terms in order,
 * "k8s:app In (a,b)", "any:x Exists", separated by "; "; "{}" when empty. */
int dfl_sel__fmt(const struct dfl_sel *sel, struct dfl_strbuf *out);
int dfl_sel__copy(struct dfl_sel *dst, const struct dfl_sel *src);
void dfl_sel__release(struct dfl_sel *sel);

#endif
