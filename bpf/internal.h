/* Private to the loader (bpf/ userspace files): the datapath handle. */
#ifndef DFL_BPF_INTERNAL_H
#define DFL_BPF_INTERNAL_H

#include <bpf/libbpf.h>

#include "bpf/datapath.h"

struct datapath_bpf;

struct dfl_datapath {
	struct datapath_bpf *skel;
	char *pin_root;
	struct dfl_datapath_opts opts; /* defaults resolved */
	bool adopted;
	int ncpus;
	/* map fds, owned by skel */
	int policy_fd;
	int endpoints_fd;
	int ipcache_fd;
	int ct_fd;
	int services_fd;
	int lb_state_fd;
	int metrics_fd;
	int ev_lost_fd;
	/* events: the ring buffer calls back into events.c, which forwards
	 * to the caller's function of the poll in progress. */
	struct ring_buffer *rb;
	dfl_event_fn ev_fn;
	void *ev_ctx;
	int ev_ret;
	int ev_count;
	__s64 ev_clock_offset; /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
	struct dfl_event *pending; /* userspace events for the next poll */
	size_t n_pending;
	size_t cap_pending;
};

/* Queues a userspace event (policy overflow) for the next poll. */
void dfl_datapath__queue_event(struct dfl_datapath *dp,
			       const struct dfl_event *ev);

/* Creates an empty inner policy map; returns its fd or a negative errno. */
int dfl_policy_map_create(struct dfl_datapath *dp, __u16 ep_id);

/* Deletes endpoint <ep_id>'s conntrack entries. */
int dfl_ct_flush_endpoint(struct dfl_datapath *dp, __u16 ep_id);

/* strerror of a negative errno, for messages. */
const char *dfl_errstr(int err);

#endif
