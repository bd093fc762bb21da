#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/netlink.h"
#include "agent/netns.h"
#include "util/log.h"

const char *dfl_netns__path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, DFL_NETNS_RUN_DIR "/%s", name);
	return buf;
}

bool dfl_netns__exists(const char *name)
{
	char path[128];

	return access(dfl_netns__path(name, path, sizeof(path)), F_OK) == 0;
}

int dfl_netns__open(const char *name)
{
	char path[128];
	int fd;

	fd = open(dfl_netns__path(name, path, sizeof(path)), O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int dfl_netns__current(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int dfl_netns__switch(int fd, int *saved)
{
	int err;

	*saved = dfl_netns__current();
	if (*saved < 0)
		return *saved;
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(*saved);
		*saved = -1;
		return err;
	}
	return 0;
}

void dfl_netns__restore(int saved)
{
	if (setns(saved, CLONE_NEWNET)) {
		pr_warn("cannot return to the agent's network namespace: %s; exiting\n",
			strerror(errno));
		_exit(70);
	}
	close(saved);
}

/* iproute2's rule: /run/netns must be a shared mount point so that a
 * namespace mounted from one mount namespace is visible in the others (and
 * unmounted everywhere on delete). */
static int prepare_run_dir(void)
{
	if (mkdir(DFL_NETNS_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (!mount("", DFL_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* Not a mount point yet: bind it onto itself, then share it. */
	if (mount(DFL_NETNS_RUN_DIR, DFL_NETNS_RUN_DIR, "none", MS_BIND | MS_REC,
		  NULL))
		return -errno;
	if (mount("", DFL_NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
		return -errno;
	return 0;
}

static int loopback_up(void)
{
	struct dfl_nl nl;
	int err = dfl_nl__open(&nl);

	if (err)
		return err;
	err = dfl_nl__link_up(&nl, 1); /* lo is always ifindex 1 */
	dfl_nl__close(&nl);
	return err;
}

int dfl_netns__create(const char *name)
{
	char path[128];
	int fd, saved = -1, err, nsfd = -1;

	err = prepare_run_dir();
	if (err)
		return err;
	dfl_netns__path(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	saved = dfl_netns__current();
	if (saved < 0) {
		err = saved;
		goto out_unlink;
	}
	if (unshare(CLONE_NEWNET)) {
		err = -errno;
		close(saved);
		goto out_unlink;
	}
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL))
		err = -errno;
	if (!err)
		err = loopback_up();
	if (!err) {
		nsfd = dfl_netns__current();
		if (nsfd < 0)
			err = nsfd;
	}
	dfl_netns__restore(saved);
	if (!err)
		return nsfd;
	umount2(path, MNT_DETACH);
out_unlink:
	unlink(path);
	return err;
}

int dfl_netns__delete(const char *name)
{
	char path[128];

	dfl_netns__path(name, path, sizeof(path));
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path))
		return -errno;
	return 0;
}

int dfl_netns__sysctl(int fd, const char *key, const char *value, char *old,
		      size_t oldlen)
{
	char path[256];
	int saved, f, err = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	err = dfl_netns__switch(fd, &saved);
	if (err)
		return err;
	/* /proc/sys/net resolves against the opening thread's netns. */
	f = open(path, O_RDWR | O_CLOEXEC);
	dfl_netns__restore(saved);
	if (f < 0)
		return -errno;
	if (old && oldlen) {
		n = read(f, old, oldlen - 1);
		old[n > 0 ? n : 0] = '\0';
		old[strcspn(old, "\n")] = '\0';
		lseek(f, 0, SEEK_SET);
	}
	n = write(f, value, strlen(value));
	if (n < 0)
		err = -errno;
	close(f);
	return err;
}
