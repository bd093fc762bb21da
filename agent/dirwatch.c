#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent/dirwatch.h"
#include "util/mem.h"

struct dfl_dirwatch {
	int fd;
	char *dir;
	dfl_dirwatch_fn fn;
	void *ctx;
	char **known; /* names reported and not removed: added vs changed */
	size_t n_known, cap_known;
};

static bool is_policy_file(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot &&
	       (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") ||
		!strcmp(dot, ".json"));
}

static ssize_t find_known(const struct dfl_dirwatch *w, const char *name)
{
	for (size_t i = 0; i < w->n_known; i++)
		if (!strcmp(w->known[i], name))
			return (ssize_t)i;
	return -1;
}

static void report(struct dfl_dirwatch *w, const char *name, bool removed)
{
	char path[PATH_MAX];
	ssize_t idx = find_known(w, name);
	enum dfl_file_event ev;

	if (removed) {
		if (idx < 0)
			return;
		free(w->known[idx]);
		w->known[idx] = w->known[--w->n_known];
		ev = DFL_FILE_REMOVED;
	} else if (idx >= 0) {
		ev = DFL_FILE_CHANGED;
	} else {
		char **slot = DFL_PUSH(w->known, w->n_known, w->cap_known);

		if (slot && !(*slot = strdup(name)))
			w->n_known--;
		ev = DFL_FILE_ADDED;
	}
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	w->fn(w->ctx, path, ev);
}

struct dfl_dirwatch *dfl_dirwatch__new(const char *dir, dfl_dirwatch_fn fn,
				       void *ctx, char *err, size_t errlen)
{
	struct dfl_dirwatch *w = calloc(1, sizeof(*w));
	int saved;

	if (!w || !(w->dir = strdup(dir))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->fn = fn;
	w->ctx = ctx;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 ||
	    inotify_add_watch(w->fd, dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
				      IN_DELETE | IN_ONLYDIR) < 0) {
		saved = errno;
		snprintf(err, errlen, "cannot watch directory %s: %s", dir,
			 strerror(saved));
		dfl_dirwatch__free(w);
		errno = saved;
		return NULL;
	}
	return w;
}

void dfl_dirwatch__free(struct dfl_dirwatch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->n_known; i++)
		free(w->known[i]);
	free(w->known);
	free(w->dir);
	free(w);
}

int dfl_dirwatch__fd(const struct dfl_dirwatch *w)
{
	return w->fd;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int dfl_dirwatch__scan(struct dfl_dirwatch *w)
{
	struct dirent **list;
	int n = scandir(w->dir, &list, NULL, cmp_name), count = 0;

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (is_policy_file(list[i]->d_name) &&
		    (list[i]->d_type == DT_REG || list[i]->d_type == DT_LNK ||
		     list[i]->d_type == DT_UNKNOWN)) {
			report(w, list[i]->d_name, false);
			count++;
		}
		free(list[i]);
	}
	free(list);
	return count;
}

int dfl_dirwatch__process(struct dfl_dirwatch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	int count = 0;

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0)
			return errno == EAGAIN ? count : -errno;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			p += sizeof(*ev) + ev->len;
			if (!ev->len || ev->mask & IN_ISDIR ||
			    !is_policy_file(ev->name))
				continue;
			report(w, ev->name, ev->mask & (IN_DELETE | IN_MOVED_FROM));
			count++;
		}
	}
}
