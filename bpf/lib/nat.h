/* Address and port rewriting with incremental checksum updates (services). */
#ifndef DFL_BPF_NAT_H
#define DFL_BPF_NAT_H

#include "common.h"

static __always_inline __u32 dfl_l4_csum_off(const struct dfl_pkt *pkt)
{
	return pkt->l4_off + (pkt->proto == IPPROTO_TCP ?
				      offsetof(struct tcphdr, check) :
				      offsetof(struct udphdr, check));
}

/* Rewrites the destination (<dst>) or source address and port of a TCP or
 * UDP packet to <addr>/<port> (network order) and keeps <pkt> in step.
 * Returns 0 or a drop reason. */
static __always_inline int dfl_nat_rewrite(struct __sk_buff *skb,
					   struct dfl_pkt *pkt, bool dst,
					   const __u32 *addr, __be16 port)
{
	__u32 csum_off = dfl_l4_csum_off(pkt);
	/* A zero UDP checksum means "none" in IPv4 and must stay zero. */
	__u64 l4flags = pkt->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u32 *old_addr = dst ? pkt->daddr : pkt->saddr;
	__be16 old_port = dst ? pkt->dport : pkt->sport;
	__u32 port_off = pkt->l4_off + (dst ? 2 : 0);
	__u32 addr_off;
	__s64 diff;

	if (pkt->family == 4) {
		addr_off = ETH_HLEN + (dst ? offsetof(struct iphdr, daddr) :
					     offsetof(struct iphdr, saddr));
		if (old_addr[0] != addr[0]) {
			if (bpf_l4_csum_replace(skb, csum_off, old_addr[0],
						addr[0],
						l4flags | BPF_F_PSEUDO_HDR | 4))
				return -DFL_DROP_CSUM_L4;
			if (bpf_l3_csum_replace(
				    skb, ETH_HLEN + offsetof(struct iphdr, check),
				    old_addr[0], addr[0], 4))
				return -DFL_DROP_CSUM_L3;
			if (bpf_skb_store_bytes(skb, addr_off, &addr[0], 4, 0))
				return -DFL_DROP_WRITE_ERROR;
			old_addr[0] = addr[0];
		}
	} else {
		addr_off = ETH_HLEN + (dst ? offsetof(struct ipv6hdr, daddr) :
					     offsetof(struct ipv6hdr, saddr));
		diff = bpf_csum_diff(old_addr, 16, (__u32 *)addr, 16, 0);
		if (diff < 0)
			return -DFL_DROP_CSUM_L4;
		if (bpf_l4_csum_replace(skb, csum_off, 0, diff,
					l4flags | BPF_F_PSEUDO_HDR))
			return -DFL_DROP_CSUM_L4;
		if (bpf_skb_store_bytes(skb, addr_off, addr, 16, 0))
			return -DFL_DROP_WRITE_ERROR;
		__builtin_memcpy(old_addr, addr, 16);
	}
	if (old_port != port) {
		if (bpf_l4_csum_replace(skb, csum_off, old_port, port,
					l4flags | 2))
			return -DFL_DROP_CSUM_L4;
		if (bpf_skb_store_bytes(skb, port_off, &port, 2, 0))
			return -DFL_DROP_WRITE_ERROR;
		if (dst)
			pkt->dport = port;
		else
			pkt->sport = port;
	}
	return 0;
}

#endif
