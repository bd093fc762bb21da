/* IP prefixes: parsing, formatting, containment, and Cilium's cidr: label
 * form (§2.6). */
#ifndef DFL_IDENTITY_PREFIX_H
#define DFL_IDENTITY_PREFIX_H

#include <stddef.h>

#include "identity/identity-t.h"

#define DFL_PREFIX_STRLEN 64

/* Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a host prefix).
 * Host bits are cleared. Returns 0 or -EINVAL. */
int dfl_prefix__parse(const char *s, struct dfl_prefix *out);
/* Parses the key of a cidr: label ("10.0.0.0/8", "2001-db8--/32"). */
int dfl_prefix__parse_label(const char *s, struct dfl_prefix *out);
/* "10.0.0.0/8" into <buf> (DFL_PREFIX_STRLEN bytes); returns <buf>. */
const char *dfl_prefix__fmt(const struct dfl_prefix *p, char *buf, size_t len);
/* The key of the cidr: label for <p>: IPv6 ':' become '-', with a leading or
 * trailing '-' padded with '0' ("0--0/0", "2001-db8--0/32"). */
const char *dfl_prefix__label_key(const struct dfl_prefix *p, char *buf,
				  size_t len);
/* True when <outer> contains <inner> (same family, outer not longer). */
bool dfl_prefix__contains(const struct dfl_prefix *outer,
			  const struct dfl_prefix *inner);
bool dfl_prefix__equal(const struct dfl_prefix *a, const struct dfl_prefix *b);
/* Clears the bits after <p>->len. */
void dfl_prefix__mask(struct dfl_prefix *p);
/* Address width of the family: 32 or 128. */
unsigned int dfl_prefix__bits(const struct dfl_prefix *p);

#endif
