/* Reading the datapath's events (ring buffer) and userspace-queued ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/datapath.skel.h"
#include "bpf/internal.h"
#include "util/log.h"
#include "util/mem.h"

static __s64 dfl_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__s64)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void dfl_datapath__queue_event(struct dfl_datapath *dp,
			       const struct dfl_event *ev)
{
	struct dfl_event *slot = DFL_PUSH(dp->pending, dp->n_pending,
					  dp->cap_pending);

	if (slot)
		*slot = *ev;
}

static int dfl_deliver(struct dfl_datapath *dp, const struct dfl_event *raw)
{
	struct dfl_event ev = *raw;
	int ret;

	ev.ts_ns = (__u64)((__s64)raw->ts_ns + dp->ev_clock_offset);
	ret = dp->ev_fn(dp->ev_ctx, &ev);
	dp->ev_count++;
	if (ret < 0)
		dp->ev_ret = ret;
	return ret;
}

static int dfl_rb_sample(void *ctx, void *data, size_t size)
{
	struct dfl_datapath *dp = ctx;

	if (size < sizeof(struct dfl_event))
		return 0;
	return dfl_deliver(dp, data);
}

static int dfl_events_open(struct dfl_datapath *dp)
{
	int err;

	if (dp->rb)
		return 0;
	dp->rb = ring_buffer__new(bpf_map__fd(dp->skel->maps.dfl_events),
				  dfl_rb_sample, dp, NULL);
	if (!dp->rb) {
		err = -errno;
		pr_warn("datapath: cannot read the events ring buffer: %s\n",
			dfl_errstr(err));
		return err;
	}
	return 0;
}

int dfl_datapath__events_fd(struct dfl_datapath *dp)
{
	int err = dfl_events_open(dp);

	return err ? err : ring_buffer__epoll_fd(dp->rb);
}

int dfl_datapath__events_poll(struct dfl_datapath *dp, int timeout_ms,
			      dfl_event_fn fn, void *ctx)
{
	size_t i;
	int err;

	err = dfl_events_open(dp);
	if (err)
		return err;
	dp->ev_fn = fn;
	dp->ev_ctx = ctx;
	dp->ev_ret = 0;
	dp->ev_count = 0;
	dp->ev_clock_offset =
		dfl_clock_ns(CLOCK_REALTIME) - dfl_clock_ns(CLOCK_BOOTTIME);

	for (i = 0; i < dp->n_pending && dp->ev_ret >= 0; i++)
		dfl_deliver(dp, &dp->pending[i]);
	memmove(dp->pending, dp->pending + i,
		(dp->n_pending - i) * sizeof(*dp->pending));
	dp->n_pending -= i;
	if (dp->ev_ret < 0)
		return dp->ev_ret;
	if (dp->ev_count)
		timeout_ms = 0;

	err = ring_buffer__poll(dp->rb, timeout_ms);
	if (dp->ev_ret < 0)
		return dp->ev_ret;
	if (err < 0 && err != -EINTR)
		return err;
	return dp->ev_count;
}

int dfl_datapath__events_lost(struct dfl_datapath *dp, __u64 *lost)
{
	__u64 *vals;
	__u32 zero = 0;
	int err = 0;

	vals = calloc(dp->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	*lost = 0;
	if (bpf_map_lookup_elem(dp->ev_lost_fd, &zero, vals))
		err = -errno;
	for (int i = 0; !err && i < dp->ncpus; i++)
		*lost += vals[i];
	free(vals);
	return err;
}
