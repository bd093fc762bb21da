#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "proxy/loop.h"
#include "util/mem.h"

#define MAX_EVENTS 256

struct dfl_proxy_loop {
	int epfd;
	struct dfl_ev_io wake;
	/* Mirrors the earliest deadline, so that the epoll fd turns readable
	 * when a timer is due (for owners that poll it from their own loop). */
	struct dfl_ev_io tfd;
	uint64_t programmed_ms; /* 0: disarmed */
	uint64_t now_ms;
	struct dfl_ev_timer **heap;
	size_t n_heap, cap_heap;
	struct dfl_ev_defer *defer_head, **defer_tail;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void drain(struct dfl_ev_io *io, uint32_t events)
{
	uint64_t v;

	(void)events;
	while (read(io->fd, &v, sizeof(v)) > 0)
		;
}

/* Programs the timerfd for the earliest deadline when it moved. */
static void program(struct dfl_proxy_loop *l)
{
	uint64_t due = l->n_heap ? l->heap[0]->deadline_ms : 0;
	struct itimerspec its = {0};

	if (due == l->programmed_ms)
		return;
	l->programmed_ms = due;
	its.it_value.tv_sec = (time_t)(due / 1000);
	its.it_value.tv_nsec = (long)(due % 1000) * 1000000;
	timerfd_settime(l->tfd.fd, TFD_TIMER_ABSTIME, &its, NULL);
}

struct dfl_proxy_loop *dfl_proxy_loop__new(void)
{
	struct dfl_proxy_loop *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return NULL;
	l->wake.fd = -1;
	l->tfd.fd = -1;
	l->defer_tail = &l->defer_head;
	l->now_ms = mono_ms();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto fail;
	l->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake.fd < 0)
		goto fail;
	l->wake.fn = drain;
	l->tfd.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd.fd < 0)
		goto fail;
	l->tfd.fn = drain;
	err = dfl_proxy_loop__add(l, &l->wake, EPOLLIN);
	if (!err)
		err = dfl_proxy_loop__add(l, &l->tfd, EPOLLIN);
	if (err) {
		errno = -err;
		goto fail;
	}
	return l;
fail:
	err = errno;
	dfl_proxy_loop__free(l);
	errno = err;
	return NULL;
}

void dfl_proxy_loop__free(struct dfl_proxy_loop *l)
{
	if (!l)
		return;
	if (l->wake.fd >= 0)
		close(l->wake.fd);
	if (l->tfd.fd >= 0)
		close(l->tfd.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->heap);
	free(l);
}

int dfl_proxy_loop__add(struct dfl_proxy_loop *l, struct dfl_ev_io *io,
			uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLET, .data.ptr = io};

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev))
		return -errno;
	return 0;
}

void dfl_proxy_loop__close(struct dfl_proxy_loop *l, struct dfl_ev_io *io)
{
	if (io->fd < 0)
		return;
	/* close() drops the registration; the explicit DEL keeps it correct
	 * should the fd ever be shared (dup). */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	close(io->fd);
	io->fd = -1;
}

/* ---- timers: binary min-heap on deadline ---- */

static void heap_set(struct dfl_proxy_loop *l, size_t i, struct dfl_ev_timer *t)
{
	l->heap[i] = t;
	t->idx = i + 1;
}

static void heap_up(struct dfl_proxy_loop *l, size_t i)
{
	struct dfl_ev_timer *t = l->heap[i];

	while (i) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->deadline_ms <= t->deadline_ms)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void heap_down(struct dfl_proxy_loop *l, size_t i)
{
	struct dfl_ev_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap &&
		    l->heap[c + 1]->deadline_ms < l->heap[c]->deadline_ms)
			c++;
		if (t->deadline_ms <= l->heap[c]->deadline_ms)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void dfl_proxy_loop__timer_cancel(struct dfl_proxy_loop *l,
				  struct dfl_ev_timer *t)
{
	size_t i;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	l->n_heap--;
	if (i == l->n_heap)
		return;
	{
		struct dfl_ev_timer *last = l->heap[l->n_heap];

		heap_set(l, i, last);
		heap_up(l, i);
		heap_down(l, last->idx - 1);
	}
}

int dfl_proxy_loop__timer_arm(struct dfl_proxy_loop *l, struct dfl_ev_timer *t,
			      uint64_t ms)
{
	dfl_proxy_loop__timer_cancel(l, t);
	if (dfl_grow((void **)&l->heap, &l->cap_heap, l->n_heap + 1,
		     sizeof(*l->heap)))
		return -ENOMEM;
	t->deadline_ms = l->now_ms + ms;
	heap_set(l, l->n_heap++, t);
	heap_up(l, l->n_heap - 1);
	if (l->heap[0] == t &&
	    (!l->programmed_ms || t->deadline_ms < l->programmed_ms))
		program(l);
	return 0;
}

static void run_timers(struct dfl_proxy_loop *l)
{
	while (l->n_heap && l->heap[0]->deadline_ms <= l->now_ms) {
		struct dfl_ev_timer *t = l->heap[0];

		dfl_proxy_loop__timer_cancel(l, t);
		t->fn(t);
	}
	program(l);
}

/* ---- deferred callbacks ---- */

void dfl_proxy_loop__defer(struct dfl_proxy_loop *l, struct dfl_ev_defer *d)
{
	if (d->queued)
		return;
	d->queued = true;
	d->next = NULL;
	*l->defer_tail = d;
	l->defer_tail = &d->next;
}

void dfl_proxy_loop__undefer(struct dfl_proxy_loop *l, struct dfl_ev_defer *d)
{
	struct dfl_ev_defer **pp;

	if (!d->queued)
		return;
	for (pp = &l->defer_head; *pp; pp = &(*pp)->next) {
		if (*pp != d)
			continue;
		*pp = d->next;
		if (l->defer_tail == &d->next)
			l->defer_tail = pp;
		break;
	}
	d->queued = false;
}

static void run_deferred(struct dfl_proxy_loop *l)
{
	/* Callbacks may queue more work: that runs in the next iteration. */
	struct dfl_ev_defer *d = l->defer_head;

	l->defer_head = NULL;
	l->defer_tail = &l->defer_head;
	while (d) {
		struct dfl_ev_defer *next = d->next;

		d->queued = false;
		d->fn(d);
		d = next;
	}
}

uint64_t dfl_proxy_loop__now_ms(const struct dfl_proxy_loop *l)
{
	return l->now_ms;
}

int dfl_proxy_loop__run_once(struct dfl_proxy_loop *l, int max_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int timeout = max_ms, n;

	if (l->defer_head) {
		timeout = 0;
	} else if (l->n_heap) {
		uint64_t due = l->heap[0]->deadline_ms;
		uint64_t now = mono_ms();
		int t = due <= now
			    ? 0
			    : (int)(due - now > 3600000 ? 3600000 : due - now);

		if (timeout < 0 || t < timeout)
			timeout = t;
	}
	n = epoll_wait(l->epfd, evs, MAX_EVENTS, timeout);
	if (n < 0)
		return -errno;
	l->now_ms = mono_ms();
	for (int i = 0; i < n; i++) {
		struct dfl_ev_io *io = evs[i].data.ptr;

		if (io->fd >= 0)
			io->fn(io, evs[i].events);
	}
	run_timers(l);
	run_deferred(l);
	/* Work queued by deferred callbacks: keep the epoll fd readable. */
	if (l->defer_head)
		dfl_proxy_loop__wake(l);
	return 0;
}

int dfl_proxy_loop__fd(const struct dfl_proxy_loop *l)
{
	return l->epfd;
}

void dfl_proxy_loop__wake(struct dfl_proxy_loop *l)
{
	uint64_t one = 1;
	ssize_t r = write(l->wake.fd, &one, sizeof(one));

	(void)r;
}
