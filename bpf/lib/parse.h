/* Packet parsing: Ethernet, IPv4 (with fragments), IPv6 (with extension
 * headers), TCP/UDP/SCTP ports, ICMP/ICMPv6 type and echo identifier. The
 * result is a copy of the fields (struct dfl_pkt), so later steps never hold
 * packet pointers across helpers that may move the data. */
#ifndef DFL_BPF_PARSE_H
#define DFL_BPF_PARSE_H

#include "common.h"
#include "maps.h"

#define DFL_IP_MF 0x2000
#define DFL_IP_OFFSET 0x1fff
#define DFL_IPV6_MAX_EXTHDRS 4

/* Makes the first <want> bytes (or the whole packet if shorter) directly
 * readable; veth usually delivers them linear already. */
static __always_inline void dfl_pull(struct __sk_buff *skb, __u32 want)
{
	__u32 linear = skb->data_end - skb->data;

	/* Also when the whole (short) packet is linear already: pulling
	 * makes the skb writable, which may copy it. */
	if (linear >= want || linear >= skb->len)
		return;
	bpf_skb_pull_data(skb, want < skb->len ? want : skb->len);
}

static __always_inline void dfl_classify_icmp4(struct dfl_pkt *pkt)
{
	switch (pkt->icmp_type) {
	case ICMP_ECHO:
		pkt->icmp_kind = DFL_ICMP_ECHO_REQUEST;
		break;
	case ICMP_ECHOREPLY:
		pkt->icmp_kind = DFL_ICMP_ECHO_REPLY;
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		pkt->icmp_kind = DFL_ICMP_ERROR;
		break;
	default:
		pkt->icmp_kind = DFL_ICMP_OTHER;
	}
}

static __always_inline void dfl_classify_icmp6(struct dfl_pkt *pkt)
{
	switch (pkt->icmp_type) {
	case ICMPV6_ECHO_REQUEST:
		pkt->icmp_kind = DFL_ICMP_ECHO_REQUEST;
		break;
	case ICMPV6_ECHO_REPLY:
		pkt->icmp_kind = DFL_ICMP_ECHO_REPLY;
		break;
	case ICMPV6_DEST_UNREACH:
	case ICMPV6_PKT_TOOBIG:
	case ICMPV6_TIME_EXCEED:
	case ICMPV6_PARAMPROB:
		pkt->icmp_kind = DFL_ICMP_ERROR;
		break;
	case 130 ... 137: /* MLD, router/neighbour solicitation/advert */
	case 143:         /* MLDv2 report */
		pkt->icmp_kind = DFL_ICMP_ND;
		break;
	default:
		pkt->icmp_kind = DFL_ICMP_OTHER;
	}
}

/* Reads the L4 header at pkt->l4_off. Returns 0 or a drop reason. */
static __always_inline int dfl_parse_l4(struct __sk_buff *skb,
					struct dfl_pkt *pkt)
{
	__u8 buf[14];

	switch (pkt->proto) {
	case IPPROTO_TCP:
		if (bpf_skb_load_bytes(skb, pkt->l4_off, buf, 14))
			return -DFL_DROP_CT_INVALID_HDR;
		pkt->sport = *(__be16 *)&buf[0];
		pkt->dport = *(__be16 *)&buf[2];
		pkt->tcp_flags = buf[13];
		pkt->policy_dport = pkt->dport;
		return 0;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (bpf_skb_load_bytes(skb, pkt->l4_off, buf, 4))
			return -DFL_DROP_CT_INVALID_HDR;
		pkt->sport = *(__be16 *)&buf[0];
		pkt->dport = *(__be16 *)&buf[2];
		pkt->policy_dport = pkt->dport;
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (bpf_skb_load_bytes(skb, pkt->l4_off, buf, 8))
			return -DFL_DROP_INVALID;
		pkt->icmp_type = buf[0];
		pkt->icmp_code = buf[1];
		if (pkt->proto == IPPROTO_ICMP)
			dfl_classify_icmp4(pkt);
		else
			dfl_classify_icmp6(pkt);
		if (pkt->icmp_kind == DFL_ICMP_ECHO_REQUEST)
			pkt->sport = *(__be16 *)&buf[4];
		else if (pkt->icmp_kind == DFL_ICMP_ECHO_REPLY)
			pkt->dport = *(__be16 *)&buf[4];
		if (cfg_enable_icmp_rule)
			pkt->policy_dport = bpf_htons(pkt->icmp_type);
		return 0;
	default:
		/* Other protocols have no ports: only L3 and protocol-only
		 * entries can match them. */
		return 0;
	}
}

static __always_inline int dfl_parse_ipv4(struct __sk_buff *skb,
					  struct dfl_pkt *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + ETH_HLEN;
	struct dfl_frag4_key fkey = {};
	struct dfl_frag4_entry *fent;
	__u16 frag_off;
	__u32 ihl;
	int ret;

	if ((void *)(ip + 1) > data_end)
		return -DFL_DROP_INVALID;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return -DFL_DROP_INVALID;
	pkt->family = 4;
	pkt->saddr[0] = ip->saddr;
	pkt->daddr[0] = ip->daddr;
	pkt->proto = ip->protocol;
	pkt->l4_off = ETH_HLEN + ihl;
	frag_off = bpf_ntohs(ip->frag_off);
	fkey.saddr = ip->saddr;
	fkey.daddr = ip->daddr;
	fkey.id = ip->id;
	fkey.proto = ip->protocol;

	if (frag_off & DFL_IP_OFFSET) {
		/* A later fragment carries no L4 header: take the ports the
		 * first fragment recorded, if it passed here. */
		pkt->l4_off = 0;
		pkt->frag = DFL_FRAG_UNTRACKED;
		fent = bpf_map_lookup_elem(&dfl_frag4, &fkey);
		if (fent) {
			pkt->frag = DFL_FRAG_TRACKED;
			pkt->sport = fent->sport;
			pkt->dport = fent->dport;
			if (pkt->proto != IPPROTO_ICMP)
				pkt->policy_dport = fent->dport;
		}
		return 0;
	}
	if (frag_off & DFL_IP_MF)
		pkt->frag = DFL_FRAG_FIRST;
	ret = dfl_parse_l4(skb, pkt);
	if (ret < 0)
		return ret;
	if (pkt->frag == DFL_FRAG_FIRST && pkt->proto != IPPROTO_ICMP) {
		struct dfl_frag4_entry fe = {
			.sport = pkt->sport,
			.dport = pkt->dport,
		};

		bpf_map_update_elem(&dfl_frag4, &fkey, &fe, BPF_ANY);
	}
	return 0;
}

static __always_inline int dfl_parse_ipv6(struct __sk_buff *skb,
					  struct dfl_pkt *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	__u32 off = ETH_HLEN + sizeof(struct ipv6hdr);
	__u8 nh, buf[4];
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return -DFL_DROP_INVALID;
	pkt->family = 6;
	__builtin_memcpy(pkt->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);
	nh = ip6->nexthdr;

	for (i = 0; i < DFL_IPV6_MAX_EXTHDRS; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT &&
		    nh != IPPROTO_AH)
			break;
		if (bpf_skb_load_bytes(skb, off, buf, 4))
			return -DFL_DROP_INVALID_EXTHDR;
		if (nh == IPPROTO_FRAGMENT) {
			__u16 fo = ((__u16)buf[2] << 8) | buf[3];

			if (fo & 0xfff8) {
				/* Later fragment: no L4 header (IPv6
				 * fragments are not reassembled here). */
				pkt->proto = buf[0];
				pkt->frag = DFL_FRAG_UNTRACKED;
				pkt->l4_off = 0;
				return 0;
			}
			if (fo & 1)
				pkt->frag = DFL_FRAG_FIRST;
			off += 8;
		} else if (nh == IPPROTO_AH) {
			off += ((__u32)buf[1] + 2) * 4;
		} else {
			off += ((__u32)buf[1] + 1) * 8;
		}
		nh = buf[0];
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	    nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT ||
	    nh == IPPROTO_AH)
		return -DFL_DROP_INVALID_EXTHDR;
	pkt->proto = nh;
	pkt->l4_off = off;
	return dfl_parse_l4(skb, pkt);
}

/* Fills <pkt> from the packet. Returns 0 when parsed, 1 for frames that pass
 * without a decision (ARP), or a drop reason. */
static __always_inline int dfl_parse(struct __sk_buff *skb, struct dfl_pkt *pkt)
{
	void *data, *data_end;
	struct ethhdr *eth;

	dfl_pull(skb, ETH_HLEN + sizeof(struct ipv6hdr));
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -DFL_DROP_INVALID;
	pkt->len = skb->len;
	pkt->l3_off = ETH_HLEN;
	switch (eth->h_proto) {
	case bpf_htons(ETH_P_ARP):
		return 1;
	case bpf_htons(ETH_P_IP):
		return dfl_parse_ipv4(skb, pkt);
	case bpf_htons(ETH_P_IPV6):
		return dfl_parse_ipv6(skb, pkt);
	default:
		return -DFL_DROP_UNKNOWN_L3;
	}
}

#endif
