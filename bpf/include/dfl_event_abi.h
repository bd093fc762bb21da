/* Datapath events ("dfl_events", BPF_MAP_TYPE_RINGBUF) and counters
 * ("dfl_metrics", PERCPU_ARRAY).
 *
 * One dfl_event per policy decision on a new connection
 * (DFL_EV_POLICY_VERDICT: allowed, redirected, audited or denied) and one
 * per dropped packet (DFL_EV_DROP), the way Cilium sends a policy-verdict
 * notification and a drop notification. A denied new connection therefore
 * yields both. Userspace adds DFL_EV_POLICY_OVERFLOW when an endpoint's
 * policy did not fit and the endpoint was put into deny-all.
 */
#ifndef DFL_EVENT_ABI_H
#define DFL_EVENT_ABI_H

#include <linux/types.h>

#define DFL_EV_POLICY_VERDICT 1
#define DFL_EV_DROP 2
#define DFL_EV_POLICY_OVERFLOW 3 /* userspace only, see above */

/* flags */
#define DFL_EV_F_AUDITED 0x0001   /* a drop turned into an allow (audit) */
#define DFL_EV_F_IPV6 0x0002
#define DFL_EV_F_TRANSLATED 0x0004 /* orig_daddr/orig_dport are valid */
#define DFL_EV_F_FROM_PROXY 0x0008 /* sent by the L7 proxy's upstream */
#define DFL_EV_F_TO_PROXY 0x0010   /* handed to the L7 proxy */
#define DFL_EV_F_ICMP_ERROR 0x0020

/* 104 bytes. Numbers are host order except addresses (network order, IPv4
 * in word 0). ts_ns is CLOCK_BOOTTIME as written by BPF; the userspace
 * poller hands callbacks a copy whose ts_ns is CLOCK_REALTIME.
 * dir/verdict/drop_reason use dfl_drop_reasons.h; match_type uses
 * DFL_POLICY_MATCH_*; ct_state uses DFL_CT_*. For ICMP, sport/dport are 0
 * and icmp_type/icmp_code are set. cookie/match_type/proxy_port describe
 * the policy entry that decided (0 when no entry matched).
 * DFL_EV_POLICY_OVERFLOW fills ep_id, pkt_len (entries asked for) and
 * aux (entries that fit) only.
 */
struct dfl_event {
	__u64 ts_ns;
	__u8 type;
	__u8 dir;
	__u8 verdict;
	__u8 drop_reason;
	__u8 match_type;
	__u8 ct_state;
	__u8 proto;
	__u8 tcp_flags;
	__u16 flags;
	__u16 ep_id;
	__u32 ifindex;
	__u32 local_identity;  /* the endpoint's own identity */
	__u32 remote_identity; /* the peer's identity (ipcache) */
	__u32 cookie;
	__u16 proxy_port;
	__u16 sport;
	__u16 dport;
	__u16 orig_dport; /* service port before translation */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 auth_type;
	__u8 pad;
	__u32 pkt_len;
	__u32 aux; /* POLICY_OVERFLOW: the policy map's capacity */
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 orig_daddr[4]; /* service address before translation */
};

/* TCP flags as in the header's byte 13. */
#define DFL_EV_TCP_FIN 0x01
#define DFL_EV_TCP_SYN 0x02
#define DFL_EV_TCP_RST 0x04
#define DFL_EV_TCP_PSH 0x08
#define DFL_EV_TCP_ACK 0x10
#define DFL_EV_TCP_URG 0x20

/* Counters: index = reason << 1 | (dir - 1) with reason 0 = forwarded, so
 * the map answers cilium_forward_count_total{direction} and
 * cilium_drop_count_total{reason,direction}. Value summed over CPUs. */
#define DFL_METRICS_MAX (256 * 2)
#define DFL_METRICS_INDEX(reason, dir) (((reason) << 1) | ((dir) - 1))

struct dfl_metrics_value {
	__u64 packets;
	__u64 bytes;
};

_Static_assert(sizeof(struct dfl_event) == 104, "ABI");
_Static_assert(sizeof(struct dfl_metrics_value) == 16, "ABI");

#endif
