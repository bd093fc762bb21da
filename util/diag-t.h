/* Source positions and diagnostics: what every error and lint finding carries
 * so that users see file:line:col, the field path and a message. */
#ifndef DFL_UTIL_DIAG_T_H
#define DFL_UTIL_DIAG_T_H

#include <stddef.h>

/* Where a decoded node came from. <file> is interned (util/intern.h) and lives
 * until the process exits, so positions can be copied freely. line and col are
 * 1-based; 0 means unknown (objects from the Kubernetes API have no lines). */
struct dfl_pos {
	const char *file;
	unsigned int line;
	unsigned int col;
};

enum dfl_severity {
	DFL_SEV_NOTE = 0, /* informational: skipped kinds, predictions */
	DFL_SEV_WARNING = 1,
	DFL_SEV_ERROR = 2,
};

struct dfl_diag {
	enum dfl_severity severity;
	struct dfl_pos pos;
	char *path;	/* field path "spec.ingress[0].toPorts[0]", or NULL */
	char *message;	/* one sentence, no trailing newline */
	char *check_id; /* stable id: "invalid-port", "fqdn-without-dns", ... */
	char *object;	/* "CiliumNetworkPolicy default/rule1", or NULL */
};

/* An append-only list of diagnostics. A zeroed struct is empty. */
struct dfl_diags {
	struct dfl_diag *items;
	size_t n;
	size_t cap;
};

#endif
