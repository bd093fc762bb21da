/* The long-running program of a pod. Pods have container images the node
 * cannot run; a small table maps the images we know to programs that play
 * them (docs/agent.md):
 *
 *   cilium/starwars (any registry, tag or digest)  ->  deathstar --port P
 *
 * where P is the pod's first TCP container port (80 when none). Programs are
 * looked up in the image directory: --image-dir, else the directory
 * examples/starwars/ next to the deflector binary (build/ in a source tree),
 * else /usr/local/libexec/deflector. Pods with other images run nothing: the
 * namespace alone is the pod, like a pause container.
 *
 * A program runs in the pod (agent/enter.h), in a session of its own, with
 * stdin from /dev/null and stdout/stderr appended to its log file. It
 * outlives an agent restart; the restarted agent adopts it by PID and start
 * time. */
#ifndef DFL_AGENT_PROCESS_H
#define DFL_AGENT_PROCESS_H

#include <stddef.h>

#include "agent/agent-t.h"

/* Finds the program for <image>. Returns 0 with the absolute path in
 * <path>; -ENOENT when the image maps to no program; -ENOEXEC when it maps
 * to one that is not found (message in <err>). */
int dfl_image__resolve(const char *image_dir, const char *image, char *path,
		       size_t len, char *err, size_t errlen);

/* The directory programs are looked up in when --image-dir is not given. */
const char *dfl_image__default_dir(char *buf, size_t len);

/* Starts ep->proc.program in <ep>'s pod. Returns 0 once the program is
 * executing (an exec failure is reported synchronously), else a negative
 * errno with a message in <err>. Fills ep->proc pid, pidfd, start time. */
int dfl_pod_process__start(struct dfl_endpoint *ep, const char *log_path,
			   char *err, size_t errlen);
/* SIGTERM, then SIGKILL after <timeout_ms>; waits for the exit. */
void dfl_pod_process__stop(struct dfl_pod_process *p, unsigned int timeout_ms);
/* Re-attaches to p->pid after an agent restart: 0 when it is still the
 * process that was started (same start time), else -ESRCH and p->pid = 0. */
int dfl_pod_process__adopt(struct dfl_pod_process *p);
/* The pidfd became readable: collects the exit status (when the process is
 * our child), closes the pidfd and clears pid. Returns the wait status, or
 * -1 when unknown (an adopted process). */
int dfl_pod_process__reap(struct dfl_pod_process *p);

/* "exited with code 2", "killed by signal 9", "exited" (status -1). */
const char *dfl_wait_status__fmt(int status, char *buf, size_t len);

#endif
