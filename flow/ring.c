/* In-memory ring of flows with followers (flow/ring.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "flow/flow.h"
#include "flow/ring.h"

/* Lives in the headroom in front of each packed flow. */
struct entry {
	atomic_uint refs;
	char pad[16 - sizeof(atomic_uint)];
};

_Static_assert(sizeof(struct entry) == 16, "headroom must keep alignment");

struct dfl_ring {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dfl_flow **slots;
	size_t cap;
	uint64_t written; /* sequence number of the next record */
	unsigned int waiters;
	bool shutdown;
	bool efd_armed;
	int efd;
};

static struct entry *entry_of(const struct dfl_flow *f)
{
	return (struct entry *)((char *)f - sizeof(struct entry));
}

static void put(struct dfl_flow *f)
{
	if (f && atomic_fetch_sub(&entry_of(f)->refs, 1) == 1)
		free(entry_of(f));
}

struct dfl_ring *dfl_ring__new(size_t capacity)
{
	struct dfl_ring *r = calloc(1, sizeof(*r));
	pthread_condattr_t attr;

	if (!r)
		return NULL;
	r->cap = capacity ? capacity : DFL_RING_DEFAULT_CAPACITY;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->efd = -1;
	pthread_mutex_init(&r->lock, NULL);
	/* timed waits measure against the monotonic clock */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &attr);
	pthread_condattr_destroy(&attr);
	return r;
}

void dfl_ring__free(struct dfl_ring *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->cap; i++)
		put(r->slots[i]);
	if (r->efd >= 0)
		close(r->efd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	free(r);
}

int dfl_ring__push(struct dfl_ring *r, const struct dfl_flow *f)
{
	struct dfl_flow *copy = dfl_flow__pack(f, sizeof(struct entry)), *old;
	bool notify;

	if (!copy)
		return -ENOMEM;
	atomic_init(&entry_of(copy)->refs, 1);
	pthread_mutex_lock(&r->lock);
	old = r->slots[r->written % r->cap];
	r->slots[r->written % r->cap] = copy;
	r->written++;
	if (r->waiters)
		pthread_cond_broadcast(&r->cond);
	notify = r->efd_armed;
	r->efd_armed = false;
	pthread_mutex_unlock(&r->lock);
	if (notify) {
		uint64_t one = 1;

		if (write(r->efd, &one, sizeof(one)) < 0) {
			/* the counter is saturated: readable anyway */
		}
	}
	put(old);
	return 0;
}

uint64_t dfl_ring__written(struct dfl_ring *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->written;
	pthread_mutex_unlock(&r->lock);
	return n;
}

size_t dfl_ring__capacity(const struct dfl_ring *r)
{
	return r->cap;
}

void dfl_ring__shutdown(struct dfl_ring *r)
{
	uint64_t one = 1;
	bool notify;

	pthread_mutex_lock(&r->lock);
	r->shutdown = true;
	pthread_cond_broadcast(&r->cond);
	notify = r->efd >= 0;
	pthread_mutex_unlock(&r->lock);
	if (notify && write(r->efd, &one, sizeof(one)) < 0) {
		/* saturated: already readable */
	}
}

int dfl_ring__event_fd(struct dfl_ring *r)
{
	int fd;

	pthread_mutex_lock(&r->lock);
	if (r->efd < 0)
		r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd = r->efd < 0 ? -errno : r->efd;
	pthread_mutex_unlock(&r->lock);
	return fd;
}

struct dfl_ring_reader {
	struct dfl_ring *ring;
	uint64_t next; /* sequence number of the next record to read */
	struct dfl_flow *held;
};

struct dfl_ring_reader *dfl_ring_reader__new(struct dfl_ring *r,
					     enum dfl_ring_start start,
					     size_t n)
{
	struct dfl_ring_reader *rd = calloc(1, sizeof(*rd));
	uint64_t oldest;

	if (!rd)
		return NULL;
	rd->ring = r;
	pthread_mutex_lock(&r->lock);
	oldest = r->written > r->cap ? r->written - r->cap : 0;
	switch (start) {
	case DFL_RING_OLDEST:
		rd->next = oldest;
		break;
	case DFL_RING_NEWEST:
		rd->next = r->written;
		break;
	case DFL_RING_LAST:
		rd->next = r->written > n ? r->written - n : 0;
		if (rd->next < oldest)
			rd->next = oldest;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return rd;
}

static void deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int dfl_ring_reader__next(struct dfl_ring_reader *rd,
			  const struct dfl_flow **flow, uint64_t *lost,
			  int timeout_ms)
{
	struct dfl_ring *r = rd->ring;
	struct dfl_flow *f = NULL, *prev = rd->held;
	struct timespec ts;
	int ret = 1;

	*lost = 0;
	*flow = NULL;
	rd->held = NULL;
	if (timeout_ms > 0)
		deadline(&ts, timeout_ms);
	pthread_mutex_lock(&r->lock);
	while (rd->next >= r->written) {
		if (r->shutdown) {
			ret = -ESHUTDOWN;
			goto out;
		}
		if (timeout_ms == 0) {
			r->efd_armed = r->efd >= 0;
			ret = 0;
			goto out;
		}
		r->waiters++;
		if (timeout_ms < 0) {
			pthread_cond_wait(&r->cond, &r->lock);
		} else if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) ==
			   ETIMEDOUT) {
			r->waiters--;
			if (rd->next >= r->written) {
				ret = 0;
				goto out;
			}
			break;
		}
		r->waiters--;
	}
	if (r->written - rd->next > r->cap) {
		*lost = r->written - r->cap - rd->next;
		rd->next = r->written - r->cap;
	}
	f = r->slots[rd->next % r->cap];
	atomic_fetch_add(&entry_of(f)->refs, 1);
	rd->next++;
out:
	pthread_mutex_unlock(&r->lock);
	put(prev);
	rd->held = f;
	*flow = f;
	return ret;
}

void dfl_ring_reader__free(struct dfl_ring_reader *rd)
{
	if (!rd)
		return;
	put(rd->held);
	free(rd);
}
