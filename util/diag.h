#ifndef DFL_UTIL_DIAG_H
#define DFL_UTIL_DIAG_H

#include <stdio.h>

#include "util/diag-t.h"

/* Appends a diagnostic; <path>, <check_id> and <object> may be NULL. Strings
 * are copied. Returns 0 or -ENOMEM. */
int dfl_diags__add(struct dfl_diags *d, enum dfl_severity sev,
		   struct dfl_pos pos, const char *path, const char *check_id,
		   const char *object, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
int dfl_diags__addv(struct dfl_diags *d, enum dfl_severity sev,
		    struct dfl_pos pos, const char *path, const char *check_id,
		    const char *object, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));
/* Moves every diagnostic of <src> to the end of <dst>; <src> becomes empty. */
int dfl_diags__move(struct dfl_diags *dst, struct dfl_diags *src);
/* Sorts by file, line, column, then severity (errors first); stable. */
void dfl_diags__sort(struct dfl_diags *d);
size_t dfl_diags__count(const struct dfl_diags *d, enum dfl_severity sev);
void dfl_diags__release(struct dfl_diags *d);

/* "file:line:col" (or "file" / "<unknown>") into <buf> of <len> bytes. */
const char *dfl_pos__fmt(struct dfl_pos pos, char *buf, size_t len);
const char *dfl_severity__name(enum dfl_severity sev);

/* Prints one diagnostic the way compilers do:
 * "file:line:col: error: path: message [check-id]\n". */
void dfl_diag__print(FILE *out, const struct dfl_diag *diag);

#endif
