/* Watching a directory of policy files with inotify: reports each file
 * ending in .yaml, .yml or .json (hidden files skipped: editors' swap files)
 * as added, changed (written and closed, or renamed over) or removed. Not
 * recursive. Drive it from an event loop: dfl_dirwatch__fd() becomes
 * readable, then call dfl_dirwatch__process(). */
#ifndef DFL_AGENT_DIRWATCH_H
#define DFL_AGENT_DIRWATCH_H

#include <stddef.h>

#include "agent/agent-t.h"

struct dfl_dirwatch;

/* <path> is "<dir>/<name>", valid during the call. */
typedef void (*dfl_dirwatch_fn)(void *ctx, const char *path,
				enum dfl_file_event ev);

/* Starts watching <dir>. NULL with errno set and a message in <err>. */
struct dfl_dirwatch *dfl_dirwatch__new(const char *dir, dfl_dirwatch_fn fn,
				       void *ctx, char *err, size_t errlen);
void dfl_dirwatch__free(struct dfl_dirwatch *w);
int dfl_dirwatch__fd(const struct dfl_dirwatch *w);
/* Reports every policy file now in the directory as added, in name order.
 * Returns how many, or -errno. */
int dfl_dirwatch__scan(struct dfl_dirwatch *w);
/* Reads pending inotify events and reports them. Returns how many were
 * reported, or -errno. Never blocks. */
int dfl_dirwatch__process(struct dfl_dirwatch *w);

#endif
