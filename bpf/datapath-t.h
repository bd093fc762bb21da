/* Types of the datapath's userspace API (bpf/datapath.h). */
#ifndef DFL_BPF_DATAPATH_T_H
#define DFL_BPF_DATAPATH_T_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpf/include/dfl_ct_abi.h"
#include "bpf/include/dfl_drop_reasons.h"
#include "bpf/include/dfl_endpoint_abi.h"
#include "bpf/include/dfl_event_abi.h"
#include "bpf/include/dfl_ipcache_abi.h"
#include "bpf/include/dfl_lb_abi.h"
#include "bpf/include/dfl_policy_abi.h"
#include "bpf/include/dfl_proxy_abi.h"

#define DFL_PIN_ROOT_DEFAULT "/sys/fs/bpf/deflector"

/* Options of dfl_datapath__open(). Zero means "default" everywhere, so
 * DFL_DATAPATH_OPTS(o) alone gives Cilium's defaults. Sizes must match the
 * pinned maps when adopting them (change them with a purge). */
struct dfl_datapath_opts {
	size_t sz; /* sizeof(struct dfl_datapath_opts) */
	const char *pin_root; /* default DFL_PIN_ROOT_DEFAULT */
	__u32 policy_map_max; /* entries per endpoint, default 16384 */
	__u32 endpoints_max;  /* interfaces, default 1024 (ids: 1..65535) */
	__u32 ipcache_max;    /* default 65536 */
	__u32 ct_max;         /* default 262144 */
	__u32 services_max;   /* default 4096 */
	__u32 events_bytes;   /* ring buffer, power of 2 pages, default 4 MiB */
	__u32 world_id4;      /* default 2 (9 in dual-stack clusters) */
	__u32 world_id6;      /* default 2 (10 in dual-stack clusters) */
	__u32 ct_lifetime_tcp;   /* seconds, default 21600 */
	__u32 ct_lifetime_other; /* default 60 */
	__u32 ct_syn_timeout;    /* default 60 */
	__u32 ct_close_timeout;  /* default 10 */
	bool no_icmp_rules;       /* --enable-icmp-rules=false */
	bool no_icmp_frag_needed; /* --allow-icmp-frag-needed=false */
	bool aggregate_lookup;    /* V20 aggregate second lookup (§8.5) */
	bool quiet_allowed; /* no policy-verdict events for allowed conns */
	/* Create or adopt the maps but load no program: for tools that only
	 * read or edit maps while the agent's programs keep running. */
	bool maps_only;
};

#define DFL_DATAPATH_OPTS(NAME, ...)                                           \
	struct dfl_datapath_opts NAME = {                                      \
		.sz = sizeof(struct dfl_datapath_opts), __VA_ARGS__            \
	}

/* An endpoint (pod) as the datapath knows it. */
struct dfl_endpoint_cfg {
	__u32 ifindex;  /* host-side veth, in the caller's network namespace */
	__u16 ep_id;    /* 1..65535, names its policy map and conntrack scope */
	__u32 identity; /* the pod's security identity */
	bool audit;     /* policy drops become audited allows */
	__u32 ipv4;     /* pod address, network order; 0 = no source check */
	__u32 ipv6[4];  /* pod address, network order; 0 = no source check */
};

/* One policy-map entry as the policy compiler produces it (host order).
 * Encoded by dfl_policy_spec__encode() into Cilium's key/value layout with
 * prefixlen = 40 + (proto ? 8 + port_prefix_len : 0). */
struct dfl_policy_spec {
	__u32 identity;      /* remote identity, 0 = any */
	bool egress;
	__u8 proto;           /* IP protocol, 0 = any (then port must be 0) */
	__u16 port;           /* port or ICMP type; 0 = any */
	__u8 port_prefix_len; /* 0..16 leading bits of port that must match */
	bool deny;
	__u16 proxy_port;     /* L7 redirect target, 0 = none */
	__u32 precedence;     /* Cilium V20 encoding (§8.3) */
	__u8 auth_type;       /* 0..127 */
	bool explicit_auth;
	__u32 cookie;         /* rule attribution, echoed in events */
};

/* An IP prefix; addr is network order, IPv4 in word 0. */
struct dfl_dp_prefix {
	__u8 family; /* 4 or 6 */
	__u8 len;
	__u32 addr[4];
};

/* An address and port; port in host order. */
struct dfl_dp_sockaddr {
	__u8 family; /* 4 or 6 */
	__u16 port;
	__u32 addr[4];
};

/* One row of the counters: packets forwarded (reason 0) or dropped for
 * <reason> in <dir>, summed over CPUs. */
struct dfl_counter {
	__u8 reason;
	__u8 dir; /* DFL_TRAFFIC_INGRESS or DFL_TRAFFIC_EGRESS */
	__u64 packets;
	__u64 bytes;
};

/* Event callback: <ev> is valid during the call only; its ts_ns is
 * CLOCK_REALTIME. A negative return stops the poll and is returned by it. */
typedef int (*dfl_event_fn)(void *ctx, const struct dfl_event *ev);
typedef int (*dfl_counter_fn)(void *ctx, const struct dfl_counter *c);
typedef int (*dfl_endpoint_fn)(void *ctx, __u32 ifindex,
			       const struct dfl_endpoint_info *ep);
typedef int (*dfl_policy_entry_fn)(void *ctx, const struct dfl_policy_key *k,
				   const struct dfl_policy_entry *v);
typedef int (*dfl_ct_fn)(void *ctx, const struct dfl_ct_key *k,
			 const struct dfl_ct_entry *v);

/* The two programs, for BPF_PROG_TEST_RUN and benchmarks. */
enum dfl_prog {
	DFL_PROG_FROM_ENDPOINT, /* tc ingress of the host-side veth */
	DFL_PROG_TO_ENDPOINT,   /* tc egress of the host-side veth */
};

#endif
