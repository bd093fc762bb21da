/* Interned strings for values copied into many structs (file names in source
 * positions). An interned pointer stays valid until dfl_intern_release(). */
#ifndef DFL_UTIL_INTERN_H
#define DFL_UTIL_INTERN_H

/* Returns the interned copy of <s>, or NULL with errno = ENOMEM. */
const char *dfl_intern(const char *s);
/* Frees every interned string; for tests and clean exits only. */
void dfl_intern_release(void);

#endif
