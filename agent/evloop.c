#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "agent/evloop.h"
#include "util/mem.h"

struct watch {
	int fd;
	dfl_evloop_fn fn;
	void *ctx;
	void *owned; /* freed with the watch (a timer's inner callback) */
};

static void watch_free(struct watch *w)
{
	if (w)
		free(w->owned);
	free(w);
}

struct dfl_evloop {
	int epfd;
	bool stop;
	/* Watches indexed by fd: lookups in O(1) and no dangling pointers in
	 * epoll data (we store the fd, not the watch). */
	struct watch **by_fd;
	size_t cap;
	/* Removed during dispatch; freed when the round ends. */
	struct watch **graveyard;
	size_t n_grave, cap_grave;
};

struct dfl_evloop *dfl_evloop__new(void)
{
	struct dfl_evloop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = errno;

		free(loop);
		errno = err;
		return NULL;
	}
	return loop;
}

void dfl_evloop__free(struct dfl_evloop *loop)
{
	if (!loop)
		return;
	for (size_t i = 0; i < loop->cap; i++)
		watch_free(loop->by_fd[i]);
	for (size_t i = 0; i < loop->n_grave; i++)
		watch_free(loop->graveyard[i]);
	free(loop->by_fd);
	free(loop->graveyard);
	close(loop->epfd);
	free(loop);
}

int dfl_evloop__add(struct dfl_evloop *loop, int fd, uint32_t events,
		  dfl_evloop_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	struct watch *w;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= loop->cap) {
		size_t old = loop->cap;
		void *arr = loop->by_fd;

		if (dfl_grow(&arr, &loop->cap, (size_t)fd + 1, sizeof(*loop->by_fd)))
			return -ENOMEM;
		loop->by_fd = arr;
		for (size_t i = old; i < loop->cap; i++)
			loop->by_fd[i] = NULL;
	}
	if (loop->by_fd[fd])
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .fn = fn, .ctx = ctx };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		free(w);
		return err;
	}
	loop->by_fd[fd] = w;
	return 0;
}

int dfl_evloop__mod(struct dfl_evloop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0 || (size_t)fd >= loop->cap || !loop->by_fd[fd])
		return -ENOENT;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

int dfl_evloop__del(struct dfl_evloop *loop, int fd)
{
	struct watch *w, **slot;

	if (fd < 0 || (size_t)fd >= loop->cap || !loop->by_fd[fd])
		return -ENOENT;
	w = loop->by_fd[fd];
	loop->by_fd[fd] = NULL;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	slot = DFL_PUSH(loop->graveyard, loop->n_grave, loop->cap_grave);
	if (slot)
		*slot = w;
	else
		watch_free(w); /* out of memory: dispatch checks by_fd, not w */
	return 0;
}

void dfl_evloop__stop(struct dfl_evloop *loop)
{
	loop->stop = true;
}

int dfl_evloop__run_once(struct dfl_evloop *loop, int timeout_ms)
{
	struct epoll_event evs[64];
	int n = epoll_wait(loop->epfd, evs, DFL_ARRAY_SIZE(evs), timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n && !loop->stop; i++) {
		int fd = evs[i].data.fd;
		struct watch *w;

		/* An fd closed and re-added during this round gets a new
		 * watch; the old event is then stale but harmless (callbacks
		 * handle spurious wakeups). */
		if ((size_t)fd >= loop->cap || !(w = loop->by_fd[fd]))
			continue;
		w->fn(w->ctx, fd, evs[i].events);
	}
	for (size_t i = 0; i < loop->n_grave; i++)
		watch_free(loop->graveyard[i]);
	loop->n_grave = 0;
	return n;
}

int dfl_evloop__run(struct dfl_evloop *loop)
{
	loop->stop = false;
	while (!loop->stop) {
		int n = dfl_evloop__run_once(loop, -1);

		if (n < 0)
			return n;
	}
	return 0;
}

static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct watch *w = ctx;
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) == sizeof(expirations))
		w->fn(w->ctx, fd, events);
}

int dfl_evloop__add_timer(struct dfl_evloop *loop, unsigned int ms, dfl_evloop_fn fn,
			void *ctx)
{
	struct itimerspec its = {
		.it_interval = { ms / 1000, (long)(ms % 1000) * 1000000 },
		.it_value = { ms / 1000, (long)(ms % 1000) * 1000000 },
	};
	struct watch *inner;
	int fd, err;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	inner = calloc(1, sizeof(*inner));
	if (!inner) {
		close(fd);
		return -ENOMEM;
	}
	*inner = (struct watch){ .fd = fd, .fn = fn, .ctx = ctx };
	if (timerfd_settime(fd, 0, &its, NULL)) {
		err = -errno;
		goto fail;
	}
	err = dfl_evloop__add(loop, fd, EPOLLIN, on_timer, inner);
	if (err)
		goto fail;
	loop->by_fd[fd]->owned = inner;
	return fd;
fail:
	free(inner);
	close(fd);
	return err;
}
