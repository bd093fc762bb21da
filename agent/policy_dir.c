/* --policy-dir: policy files reach the integrator's hook as they appear,
 * change and go (agent/dirwatch.h does the watching). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "agent/agent-priv.h"
#include "agent/dirwatch.h"
#include "agent/evloop.h"
#include "util/log.h"

static const char *const event_names[] = {
	[DFL_FILE_ADDED] = "added",
	[DFL_FILE_CHANGED] = "changed",
	[DFL_FILE_REMOVED] = "removed",
};

static void on_file(void *ctx, const char *path, enum dfl_file_event ev)
{
	struct dfl_agent *a = ctx;

	pr_info("policy-dir: %s %s\n", path, event_names[ev]);
	if (a->hooks.policy_file)
		a->hooks.policy_file(a->hooks.ctx, a, path, ev);
	dfl_agent__event(a, "policy-file", "file",
			 json_pack("{s:s, s:s}", "path", path, "change",
				   event_names[ev]));
}

static void on_inotify(void *ctx, int fd, uint32_t events)
{
	struct dfl_dirwatch *w = ctx;
	int n = dfl_dirwatch__process(w);

	if (n < 0)
		pr_warn("policy-dir: %s\n", strerror(-n));
}

int dfl_agent__watch_policy_dir(struct dfl_agent *a, char *err, size_t errlen)
{
	struct dfl_dirwatch *w;
	int ret;

	w = dfl_dirwatch__new(a->policy_dir, on_file, a, err, errlen);
	if (!w)
		return -errno;
	a->policy_watch = w;
	ret = dfl_dirwatch__scan(w);
	if (ret >= 0)
		ret = dfl_evloop__add(a->loop, dfl_dirwatch__fd(w), EPOLLIN,
				    on_inotify, w);
	if (ret < 0) {
		snprintf(err, errlen, "--policy-dir %s: %s", a->policy_dir,
			 strerror(-ret));
		return ret;
	}
	return 0;
}
