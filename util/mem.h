/* Small memory helpers shared by every component. */
#ifndef DFL_UTIL_MEM_H
#define DFL_UTIL_MEM_H

#include <stddef.h>

#define DFL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Makes room for at least <need> elements of <elem_size> bytes in the array
 * *<items> of capacity *<cap>, growing it geometrically. Returns 0, or -ENOMEM
 * with the array untouched. */
int dfl_grow(void **items, size_t *cap, size_t need, size_t elem_size);

/* Appends one element: grows *<items> (of *<n> used, *<cap> allocated) and
 * returns a pointer to the new zeroed slot, or NULL with errno = ENOMEM. */
void *dfl_push(void **items, size_t *n, size_t *cap, size_t elem_size);

#define DFL_PUSH(arr, n, cap) \
	((__typeof__(arr))dfl_push((void **)&(arr), &(n), &(cap), sizeof(*(arr))))

/* strdup that accepts NULL (returns NULL without setting errno). */
char *dfl_strdup(const char *s);

#endif
