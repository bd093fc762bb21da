/* Shared by every BPF entry point: kernel headers, the per-packet context
 * that flows from parsing to the single exit, and the knobs userspace sets
 * in .rodata before load (bpf/loader.c). */
#ifndef DFL_BPF_COMMON_H
#define DFL_BPF_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "dfl_ct_abi.h"
#include "dfl_drop_reasons.h"
#include "dfl_endpoint_abi.h"
#include "dfl_event_abi.h"
#include "dfl_ipcache_abi.h"
#include "dfl_lb_abi.h"
#include "dfl_policy_abi.h"
#include "dfl_proxy_abi.h"

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* ICMP message types (linux/icmp.h pulls in libc headers that do not build
 * for the BPF target). */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_FRAG_NEEDED 4 /* code of ICMP_DEST_UNREACH */
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define NSEC_PER_SEC 1000000000ULL

/* ---- knobs (const volatile: fixed at load, folded by the verifier) ---- */

/* Identity of addresses missing from the ipcache (§3.7: 2 single-stack,
 * 9/10 dual-stack). */
const volatile __u32 cfg_world_id4 = DFL_DP_ID_WORLD;
const volatile __u32 cfg_world_id6 = DFL_DP_ID_WORLD;
/* Put the ICMP type in the policy key's dport (--enable-icmp-rules). */
const volatile __u8 cfg_enable_icmp_rule = 1;
/* ICMPv4 fragmentation-needed always passes (--allow-icmp-frag-needed). */
const volatile __u8 cfg_allow_icmp_frag_needed = 1;
/* Second policy lookup: 0 = identity 0 (§8.4), 1 = the remote identity's
 * V20 aggregate (11-14), identity 0 only when nothing matched (§8.5). */
const volatile __u8 cfg_aggregate_lookup = 0;
/* Emit a policy-verdict event for allowed new connections too (drops are
 * always reported). */
const volatile __u8 cfg_report_allowed = 1;
/* Conntrack lifetimes in seconds (Cilium's defaults). */
const volatile __u32 cfg_ct_lifetime_tcp = 21600;
const volatile __u32 cfg_ct_lifetime_other = 60;
const volatile __u32 cfg_ct_syn_timeout = 60;
const volatile __u32 cfg_ct_close_timeout = 10;

/* ---- per-packet state ---- */

/* Fragment position of the packet (IPv4 and IPv6). */
#define DFL_FRAG_NONE 0
#define DFL_FRAG_FIRST 1     /* offset 0, more fragments follow */
#define DFL_FRAG_TRACKED 2   /* later fragment, ports known from the first */
#define DFL_FRAG_UNTRACKED 3 /* later fragment, ports unknown */

/* What kind of ICMP/ICMPv6 message the packet is. */
#define DFL_ICMP_NONE 0
#define DFL_ICMP_ECHO_REQUEST 1
#define DFL_ICMP_ECHO_REPLY 2
#define DFL_ICMP_ERROR 3    /* quotes the packet that caused it */
#define DFL_ICMP_ND 4       /* IPv6 neighbour discovery / MLD: link-local */
#define DFL_ICMP_OTHER 5

struct dfl_pkt {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport; /* conntrack ports, see dfl_ct_abi.h */
	__be16 dport;
	__be16 policy_dport; /* port, or htons(ICMP type), for the policy key */
	__u8 proto;
	__u8 family; /* 4 or 6 */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 icmp_kind; /* DFL_ICMP_* */
	__u8 frag;      /* DFL_FRAG_* */
	__u8 pad;
	__u16 l3_off;
	__u16 l4_off; /* 0 when the packet carries no L4 header */
	__u32 len;
};

/* Everything the single exit and the event writer need to know about the
 * packet's fate. Lives on the entry point's stack. */
struct dfl_ctx {
	struct dfl_pkt pkt;
	struct dfl_endpoint_info ep; /* zero when the endpoint is unknown */
	struct dfl_ct_entry ct;      /* copy of the matched conntrack entry */
	__u32 remote_identity;
	__u32 cookie;
	__u32 orig_daddr[4];
	__be16 orig_dport;
	__u16 proxy_port; /* host order */
	__u16 ev_flags;   /* DFL_EV_F_* */
	__u8 dir;         /* DFL_TRAFFIC_* */
	__u8 match_type;
	__u8 auth_type;
	__u8 ct_state;
	__u8 no_count;   /* already counted by the hook that bounced it here */
	__u8 pad[3];
};

/* Positive returns of the handlers are tc actions; negative ones are
 * -DFL_DROP_* reasons, turned into TC_ACT_SHOT plus a drop event by the
 * entry point's single exit. */

/* A global BPF function: the verifier checks it once on its own instead of
 * once per path of every caller, which keeps dfl_from_endpoint far from the
 * complexity limit. Pointer arguments may be NULL to the verifier and are
 * checked; at most five arguments. */
#define DFL_GLOBAL __attribute__((noinline))

/* Seconds of CLOCK_MONOTONIC for conntrack lifetimes. The coarse clock
 * (a tick's precision) is plenty for lifetimes and avoids a clocksource
 * read on every packet. */
static __always_inline __u32 dfl_now_sec(void)
{
	return bpf_ktime_get_coarse_ns() / NSEC_PER_SEC;
}

#endif
