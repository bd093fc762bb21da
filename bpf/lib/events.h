/* Events to userspace (ring buffer) and per-CPU counters. */
#ifndef DFL_BPF_EVENTS_H
#define DFL_BPF_EVENTS_H

#include "common.h"
#include "maps.h"

static __always_inline void dfl_count(__u8 dir, __u8 reason, __u32 len)
{
	__u32 idx = DFL_METRICS_INDEX((__u32)reason, dir ? dir : 1);
	struct dfl_metrics_value *v;

	v = bpf_map_lookup_elem(&dfl_metrics, &idx);
	if (v) {
		v->packets++;
		v->bytes += len;
	}
}

/* Writes one event describing <c>'s packet. Never fails the packet: when
 * the ring buffer is full the loss is counted. */
DFL_GLOBAL int dfl_emit(struct __sk_buff *skb, const struct dfl_ctx *c,
			__u32 type, __u32 verdict, __u32 reason)
{
	const struct dfl_pkt *pkt = &c->pkt;
	struct dfl_event *ev;
	__u32 zero = 0;
	__u64 *lost;

	if (!c)
		return 0;
	ev = bpf_ringbuf_reserve(&dfl_events, sizeof(*ev), 0);
	if (!ev) {
		lost = bpf_map_lookup_elem(&dfl_ev_lost, &zero);
		if (lost)
			*lost += 1;
		return 0;
	}
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->type = type;
	ev->dir = c->dir;
	ev->verdict = verdict;
	ev->drop_reason = reason;
	ev->match_type = c->match_type;
	ev->ct_state = c->ct_state;
	ev->proto = pkt->proto;
	ev->tcp_flags = pkt->tcp_flags;
	ev->flags = c->ev_flags | (pkt->family == 6 ? DFL_EV_F_IPV6 : 0) |
		    (pkt->icmp_kind == DFL_ICMP_ERROR ? DFL_EV_F_ICMP_ERROR :
						      0);
	ev->ep_id = c->ep.ep_id;
	ev->ifindex = skb->ifindex;
	ev->local_identity = c->ep.identity;
	ev->remote_identity = c->remote_identity;
	ev->cookie = c->cookie;
	ev->proxy_port = c->proxy_port;
	if (pkt->proto == IPPROTO_ICMP || pkt->proto == IPPROTO_ICMPV6) {
		ev->sport = 0;
		ev->dport = 0;
	} else {
		ev->sport = bpf_ntohs(pkt->sport);
		ev->dport = bpf_ntohs(pkt->dport);
	}
	ev->orig_dport = bpf_ntohs(c->orig_dport);
	ev->icmp_type = pkt->icmp_type;
	ev->icmp_code = pkt->icmp_code;
	ev->auth_type = c->auth_type;
	ev->pad = 0;
	ev->pkt_len = skb->len;
	ev->aux = 0;
	__builtin_memcpy(ev->saddr, pkt->saddr, 16);
	__builtin_memcpy(ev->daddr, pkt->daddr, 16);
	__builtin_memcpy(ev->orig_daddr, c->orig_daddr, 16);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

#endif
