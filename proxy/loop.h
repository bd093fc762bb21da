/* The proxy's event loop: epoll (edge-triggered), one-shot timers on a
 * min-heap, and deferred callbacks that run after the events of an
 * iteration (used to free objects that events of the same batch may still
 * point to). Single-threaded: only dfl_proxy_loop__wake() may be called from
 * another thread. */
#ifndef DFL_PROXY_LOOP_H
#define DFL_PROXY_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dfl_proxy_loop;

struct dfl_ev_io;
typedef void (*dfl_ev_io_fn)(struct dfl_ev_io *io, uint32_t events);

/* Embedded in the owner; fd -1 means closed (late events are ignored). */
struct dfl_ev_io {
	int fd;
	dfl_ev_io_fn fn;
};

struct dfl_ev_timer;
typedef void (*dfl_ev_timer_fn)(struct dfl_ev_timer *t);

struct dfl_ev_timer {
	uint64_t deadline_ms;
	size_t idx; /* position in the heap + 1; 0 when not armed */
	dfl_ev_timer_fn fn;
};

struct dfl_ev_defer;
typedef void (*dfl_ev_defer_fn)(struct dfl_ev_defer *d);

struct dfl_ev_defer {
	struct dfl_ev_defer *next;
	bool queued;
	dfl_ev_defer_fn fn;
};

struct dfl_proxy_loop *dfl_proxy_loop__new(void);
/* Frees the loop; objects registered with it are the owners' business. */
void dfl_proxy_loop__free(struct dfl_proxy_loop *l);

/* Registers <io> (fd and fn set) for <events> (EPOLLIN, EPOLLOUT, ...;
 * edge-triggered is added). Returns 0 or a negative errno. */
int dfl_proxy_loop__add(struct dfl_proxy_loop *l, struct dfl_ev_io *io,
			uint32_t events);
/* Unregisters and closes io->fd, setting it to -1. */
void dfl_proxy_loop__close(struct dfl_proxy_loop *l, struct dfl_ev_io *io);

/* Arms <t> to fire <ms> milliseconds from now (re-arming moves it). */
int dfl_proxy_loop__timer_arm(struct dfl_proxy_loop *l, struct dfl_ev_timer *t,
			      uint64_t ms);
void dfl_proxy_loop__timer_cancel(struct dfl_proxy_loop *l,
				  struct dfl_ev_timer *t);

/* Runs d->fn at the end of this iteration (once, however often queued). */
void dfl_proxy_loop__defer(struct dfl_proxy_loop *l, struct dfl_ev_defer *d);
/* Removes <d> from the queue if queued (before freeing its owner). */
void dfl_proxy_loop__undefer(struct dfl_proxy_loop *l, struct dfl_ev_defer *d);

/* Monotonic milliseconds, as of the last wake-up. */
uint64_t dfl_proxy_loop__now_ms(const struct dfl_proxy_loop *l);

/* Waits up to <max_ms> (-1: until something happens) and runs what is
 * due. Returns 0, or a negative errno from epoll_wait (-EINTR included). */
int dfl_proxy_loop__run_once(struct dfl_proxy_loop *l, int max_ms);

/* The epoll fd: readable whenever an event, a due timer or deferred work
 * is pending, so that another loop can poll it and call
 * dfl_proxy_loop__run_once(l, 0). */
int dfl_proxy_loop__fd(const struct dfl_proxy_loop *l);

/* Makes a blocked dfl_proxy_loop__run_once() return; thread- and signal-safe.
 */
void dfl_proxy_loop__wake(struct dfl_proxy_loop *l);

#endif
