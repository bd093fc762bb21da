#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/intern.h"
#include "util/mem.h"

/* File names are few (one per input file), so a linear list is enough; the
 * most recent name is checked first because decoders intern the same file
 * many times in a row. */
static char **interned;
static size_t n_interned, cap_interned;

const char *dfl_intern(const char *s)
{
	char **slot;

	if (!s)
		return NULL;
	for (size_t i = n_interned; i-- > 0;)
		if (!strcmp(interned[i], s))
			return interned[i];
	slot = DFL_PUSH(interned, n_interned, cap_interned);
	if (!slot)
		return NULL;
	*slot = strdup(s);
	if (!*slot) {
		n_interned--;
		errno = ENOMEM;
		return NULL;
	}
	return *slot;
}

void dfl_intern_release(void)
{
	for (size_t i = 0; i < n_interned; i++)
		free(interned[i]);
	free(interned);
	interned = NULL;
	n_interned = cap_interned = 0;
}
