/* The agent's event loop: epoll over file descriptors, each with a callback.
 * Signals come in through a signalfd and timers through timerfds registered
 * like any other fd, so everything runs on one thread, one callback at a
 * time. Other components (proxy listeners, flow readers) add their fds here. */
#ifndef DFL_AGENT_LOOP_H
#define DFL_AGENT_LOOP_H

#include <stdint.h>

struct dfl_loop;

/* <events> are the EPOLL* bits that fired. */
typedef void (*dfl_loop_fn)(void *ctx, int fd, uint32_t events);

struct dfl_loop *dfl_loop__new(void);
/* Closes nothing but the epoll fd; the owners of registered fds close them. */
void dfl_loop__free(struct dfl_loop *loop);
/* Watches <fd> for <events> (EPOLLIN, EPOLLOUT, ...). Returns 0 or -errno
 * (-EEXIST when <fd> is already watched). */
int dfl_loop__add(struct dfl_loop *loop, int fd, uint32_t events,
		  dfl_loop_fn fn, void *ctx);
int dfl_loop__mod(struct dfl_loop *loop, int fd, uint32_t events);
/* Stops watching <fd>; safe from inside any callback, including <fd>'s own:
 * no callback for <fd> runs after this returns. */
int dfl_loop__del(struct dfl_loop *loop, int fd);
/* Runs callbacks until dfl_loop__stop(). Returns 0 or -errno. */
int dfl_loop__run(struct dfl_loop *loop);
void dfl_loop__stop(struct dfl_loop *loop);
/* Waits up to <timeout_ms> (-1: forever) and runs the callbacks of one
 * round. Returns the number of events, 0 on timeout, or -errno. */
int dfl_loop__run_once(struct dfl_loop *loop, int timeout_ms);
/* A periodic timer calling <fn> every <ms> milliseconds. Returns its fd (for
 * dfl_loop__del and close) or -errno. */
int dfl_loop__add_timer(struct dfl_loop *loop, unsigned int ms, dfl_loop_fn fn,
			void *ctx);

#endif
