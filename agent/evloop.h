/* The agent's event loop: epoll over file descriptors, each with a callback.
 * Signals come in through a signalfd and timers through timerfds registered
 * like any other fd, so everything runs on one thread, one callback at a
 * time. Other components (proxy listeners, flow readers) add their fds here. */
#ifndef DFL_AGENT_EVLOOP_H
#define DFL_AGENT_EVLOOP_H

#include <stdint.h>

struct dfl_evloop;

/* <events> are the EPOLL* bits that fired. */
typedef void (*dfl_evloop_fn)(void *ctx, int fd, uint32_t events);

struct dfl_evloop *dfl_evloop__new(void);
/* Closes nothing but the epoll fd; the owners of registered fds close them. */
void dfl_evloop__free(struct dfl_evloop *loop);
/* Watches <fd> for <events> (EPOLLIN, EPOLLOUT, ...). Returns 0 or -errno
 * (-EEXIST when <fd> is already watched). */
int dfl_evloop__add(struct dfl_evloop *loop, int fd, uint32_t events,
		  dfl_evloop_fn fn, void *ctx);
int dfl_evloop__mod(struct dfl_evloop *loop, int fd, uint32_t events);
/* Stops watching <fd>; safe from inside any callback, including <fd>'s own:
 * no callback for <fd> runs after this returns. */
int dfl_evloop__del(struct dfl_evloop *loop, int fd);
/* Runs callbacks until dfl_evloop__stop(). Returns 0 or -errno. */
int dfl_evloop__run(struct dfl_evloop *loop);
void dfl_evloop__stop(struct dfl_evloop *loop);
/* Waits up to <timeout_ms> (-1: forever) and runs the callbacks of one
 * round. Returns the number of events, 0 on timeout, or -errno. */
int dfl_evloop__run_once(struct dfl_evloop *loop, int timeout_ms);
/* A periodic timer calling <fn> every <ms> milliseconds. Returns its fd (for
 * dfl_evloop__del and close) or -errno. */
int dfl_evloop__add_timer(struct dfl_evloop *loop, unsigned int ms, dfl_evloop_fn fn,
			void *ctx);

#endif
