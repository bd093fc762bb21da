/* Named network namespaces, interoperable with `ip netns`: a namespace NAME
 * is kept alive by a bind mount of its nsfs inode on /run/netns/NAME (a
 * shared mount point, so that other mount namespaces see it too).
 *
 * Switching namespaces affects the calling thread only; the agent is single
 * threaded and always switches back before returning to its loop. */
#ifndef DFL_AGENT_NETNS_H
#define DFL_AGENT_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#define DFL_NETNS_RUN_DIR "/run/netns"

/* "/run/netns/<name>" into <buf>; returns <buf>. */
const char *dfl_netns__path(const char *name, char *buf, size_t len);
bool dfl_netns__exists(const char *name);
/* Creates namespace <name> with its loopback up, like `ip netns add` +
 * `ip link set lo up`. Returns an O_CLOEXEC fd for it (caller closes), or
 * -EEXIST when the name is taken, or another negative errno. */
int dfl_netns__create(const char *name);
/* Opens an existing namespace: fd or -errno (-ENOENT when absent). */
int dfl_netns__open(const char *name);
/* Unmounts and removes /run/netns/<name>; the namespace itself goes away
 * with its last user. -ENOENT when absent. */
int dfl_netns__delete(const char *name);

/* fd of the calling thread's current netns, or -errno. */
int dfl_netns__current(void);
/* Moves the calling thread into <fd>'s netns; *<saved> receives an fd for
 * the namespace it came from. Returns 0 or -errno. */
int dfl_netns__switch(int fd, int *saved);
/* Returns to <saved> and closes it. A failure here would leave the agent in
 * the wrong namespace: it is reported and the process exits. */
void dfl_netns__restore(int saved);

/* Writes <value> to /proc/sys/<key> (key "net/ipv4/ip_forward") as seen from
 * netns <fd>. Returns 0 or -errno. With <old> (of <oldlen> bytes), the
 * previous value is stored there first. */
int dfl_netns__sysctl(int fd, const char *key, const char *value, char *old,
		      size_t oldlen);

#endif
