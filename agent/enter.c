#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent/enter.h"
#include "agent/netns.h"

/* Kubernetes cuts a pod's host name to 63 characters and trims trailing
 * '-' and '.'. */
static size_t hostname_len(const char *name)
{
	size_t len = strnlen(name, 63);

	while (len && (name[len - 1] == '-' || name[len - 1] == '.'))
		len--;
	return len;
}

int dfl_pod__enter(const struct dfl_pod_enter *e, char *err, size_t errlen)
{
	struct statvfs sys;
	int fd, ret;

	fd = dfl_netns__open(e->netns);
	if (fd < 0) {
		snprintf(err, errlen, "network namespace %s: %s", e->netns,
			 strerror(-fd));
		return fd;
	}
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	if (ret) {
		snprintf(err, errlen, "cannot enter network namespace %s: %s%s",
			 e->netns, strerror(-ret),
			 ret == -EPERM ? " (needs root: CAP_SYS_ADMIN)" : "");
		return ret;
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS)) {
		ret = -errno;
		snprintf(err, errlen, "unshare: %s", strerror(errno));
		return ret;
	}
	/* Our mounts must not propagate back to the host's namespace. */
	if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL)) {
		ret = -errno;
		snprintf(err, errlen, "making / a slave mount: %s", strerror(errno));
		return ret;
	}
	if (e->hosts_path &&
	    mount(e->hosts_path, "/etc/hosts", "none", MS_BIND, NULL)) {
		ret = -errno;
		snprintf(err, errlen, "bind-mounting %s on /etc/hosts: %s",
			 e->hosts_path, strerror(errno));
		return ret;
	}
	/* Best effort: a host without /etc/resolv.conf keeps its resolver. */
	if (e->resolv_path)
		mount(e->resolv_path, "/etc/resolv.conf", "none", MS_BIND, NULL);
	/* A sysfs mounted now shows the namespace we are in (ip netns exec
	 * does the same); keep it read-only if the host's was. */
	if (statvfs("/sys", &sys) == 0 && umount2("/sys", MNT_DETACH) == 0)
		mount("sysfs", "/sys", "sysfs",
		      sys.f_flag & ST_RDONLY ? MS_RDONLY : 0, NULL);
	if (e->hostname && sethostname(e->hostname, hostname_len(e->hostname))) {
		ret = -errno;
		snprintf(err, errlen, "sethostname %s: %s", e->hostname,
			 strerror(errno));
		return ret;
	}
	return 0;
}
