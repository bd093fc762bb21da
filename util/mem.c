#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

int dfl_grow(void **items, size_t *cap, size_t need, size_t elem_size)
{
	size_t ncap = *cap ? *cap : 4;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (elem_size && ncap > SIZE_MAX / elem_size)
		return -ENOMEM;
	p = realloc(*items, ncap * elem_size);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = ncap;
	return 0;
}

void *dfl_push(void **items, size_t *n, size_t *cap, size_t elem_size)
{
	char *slot;

	if (dfl_grow(items, cap, *n + 1, elem_size)) {
		errno = ENOMEM;
		return NULL;
	}
	slot = (char *)*items + *n * elem_size;
	memset(slot, 0, elem_size);
	(*n)++;
	return slot;
}

char *dfl_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}
