/* L7 redirect by socket assignment (DESIGN.md "L7 redirect"). Only valid at
 * tc ingress: bpf_sk_assign() refuses egress. The packet keeps its original
 * destination; the mark makes the node route it locally (dfl_proxy_abi.h),
 * where the stack delivers it to the assigned socket. */
#ifndef DFL_BPF_PROXY_H
#define DFL_BPF_PROXY_H

#include "common.h"

static __always_inline __u32 dfl_sock_tuple(const struct dfl_pkt *pkt,
					    struct bpf_sock_tuple *t)
{
	if (pkt->family == 4) {
		t->ipv4.saddr = pkt->saddr[0];
		t->ipv4.daddr = pkt->daddr[0];
		t->ipv4.sport = pkt->sport;
		t->ipv4.dport = pkt->dport;
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, pkt->saddr, 16);
	__builtin_memcpy(t->ipv6.daddr, pkt->daddr, 16);
	t->ipv6.sport = pkt->sport;
	t->ipv6.dport = pkt->dport;
	return sizeof(t->ipv6);
}

/* Points the tuple at the proxy listener: loopback address, proxy port.
 * A listener bound to the wildcard address or to loopback both match. */
static __always_inline void dfl_sock_tuple_to_listener(const struct dfl_pkt *pkt,
						       struct bpf_sock_tuple *t,
						       __u16 proxy_port)
{
	if (pkt->family == 4) {
		t->ipv4.daddr = bpf_htonl(0x7f000001);
		t->ipv4.dport = bpf_htons(proxy_port);
		return;
	}
	t->ipv6.daddr[0] = 0;
	t->ipv6.daddr[1] = 0;
	t->ipv6.daddr[2] = 0;
	t->ipv6.daddr[3] = bpf_htonl(1);
	t->ipv6.dport = bpf_htons(proxy_port);
}

static __always_inline int dfl_sk_assign(struct __sk_buff *skb,
					 struct bpf_sock *sk, __u16 proxy_port)
{
	long err = bpf_sk_assign(skb, sk, 0);

	bpf_sk_release(sk);
	if (err)
		return -DFL_DROP_PROXY_SET_FAILED;
	skb->mark = ((__u32)proxy_port << DFL_MARK_PORT_SHIFT) |
		    DFL_MARK_TO_PROXY;
	return 0;
}

/* Hands <pkt> to the proxy: to the proxy's socket of this very connection
 * if one exists (TCP: accepted with the original destination as local
 * address), else to the transparent listener on <proxy_port>. Returns 0, or
 * SOCKET_LOOKUP_FAILED when the proxy is not listening (the packet must not
 * pass unfiltered), SOCKET_ASSIGN_FAILED, or PROXY_UNKNOWN_PROTO. */
static __always_inline int dfl_proxy_redirect(struct __sk_buff *skb,
					      const struct dfl_pkt *pkt,
					      __u16 proxy_port)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 len;

	if (!pkt->l4_off)
		return -DFL_DROP_PROXY_UNKNOWN_PROTO;
	len = dfl_sock_tuple(pkt, &t);
	if (pkt->proto == IPPROTO_TCP) {
		sk = bpf_skc_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
		if (sk) {
			if (sk->state != BPF_TCP_LISTEN &&
			    sk->state != BPF_TCP_TIME_WAIT)
				return dfl_sk_assign(skb, sk, proxy_port);
			bpf_sk_release(sk);
		}
		dfl_sock_tuple_to_listener(pkt, &t, proxy_port);
		sk = bpf_skc_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
		if (!sk)
			return -DFL_DROP_PROXY_LOOKUP_FAILED;
		if (sk->state != BPF_TCP_LISTEN) {
			bpf_sk_release(sk);
			return -DFL_DROP_PROXY_LOOKUP_FAILED;
		}
		return dfl_sk_assign(skb, sk, proxy_port);
	}
	if (pkt->proto == IPPROTO_UDP) {
		dfl_sock_tuple_to_listener(pkt, &t, proxy_port);
		sk = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
		if (!sk)
			return -DFL_DROP_PROXY_LOOKUP_FAILED;
		return dfl_sk_assign(skb, sk, proxy_port);
	}
	return -DFL_DROP_PROXY_UNKNOWN_PROTO;
}

/* Delivers a reply of a connection the proxy opened upstream (transparently,
 * from the client's address) to that upstream socket instead of routing it
 * to the client pod. Returns 0 or SOCKET_LOOKUP_FAILED when the proxy's
 * socket is gone. */
static __always_inline int dfl_proxy_reply(struct __sk_buff *skb,
					   const struct dfl_pkt *pkt)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = NULL;
	__u32 len;

	if (!pkt->l4_off)
		return -DFL_DROP_PROXY_LOOKUP_FAILED;
	len = dfl_sock_tuple(pkt, &t);
	if (pkt->proto == IPPROTO_TCP) {
		sk = bpf_skc_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
		if (sk && sk->state == BPF_TCP_LISTEN) {
			bpf_sk_release(sk);
			sk = NULL;
		}
	} else if (pkt->proto == IPPROTO_UDP) {
		sk = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	}
	if (!sk)
		return -DFL_DROP_PROXY_LOOKUP_FAILED;
	return dfl_sk_assign(skb, sk, 0);
}

#endif
