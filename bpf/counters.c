/* Reading the per-CPU counters and the conntrack table. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>

#include "bpf/internal.h"
#include "util/log.h"

int dfl_datapath__counters_foreach(struct dfl_datapath *dp, dfl_counter_fn fn,
				   void *ctx)
{
	struct dfl_metrics_value *vals;
	struct dfl_counter c;
	int ret = 0;

	vals = calloc(dp->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 idx = 0; idx < DFL_METRICS_MAX; idx++) {
		if (bpf_map_lookup_elem(dp->metrics_fd, &idx, vals)) {
			ret = -errno;
			break;
		}
		c.reason = idx >> 1;
		c.dir = (idx & 1) + 1;
		c.packets = 0;
		c.bytes = 0;
		for (int cpu = 0; cpu < dp->ncpus; cpu++) {
			c.packets += vals[cpu].packets;
			c.bytes += vals[cpu].bytes;
		}
		if (!c.packets)
			continue;
		ret = fn(ctx, &c);
		if (ret < 0)
			break;
	}
	free(vals);
	return ret < 0 ? ret : 0;
}

/* Calls <fn> for every entry that has not expired. */
static int dfl_ct_walk(struct dfl_datapath *dp, dfl_ct_fn fn, void *ctx)
{
	struct dfl_ct_key key, next, *prev = NULL;
	struct dfl_ct_entry val;
	struct timespec now;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	while (!bpf_map_get_next_key(dp->ct_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(dp->ct_fd, &key, &val))
			continue;
		if (val.expires <= (__u32)now.tv_sec)
			continue;
		ret = fn(ctx, &key, &val);
		if (ret < 0)
			break;
	}
	return ret < 0 ? ret : 0;
}

int dfl_datapath__ct_foreach(struct dfl_datapath *dp, dfl_ct_fn fn, void *ctx)
{
	return dfl_ct_walk(dp, fn, ctx);
}

int dfl_ct_flush_endpoint(struct dfl_datapath *dp, __u16 ep_id)
{
	struct dfl_ct_key key, next, *prev = NULL;
	int n = 0;

	/* After deleting <next>, asking again for the key after <prev>
	 * yields the one that followed it: the walk goes on. */
	while (!bpf_map_get_next_key(dp->ct_fd, prev, &next)) {
		if (next.ep_id == ep_id) {
			bpf_map_delete_elem(dp->ct_fd, &next);
			n++;
			continue;
		}
		key = next;
		prev = &key;
	}
	return n;
}
