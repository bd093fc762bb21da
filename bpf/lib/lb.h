/* ClusterIP services: backend selection per connection, destination
 * translation on the way out of the client, source translation of replies
 * on the way back in. Same-node backends only; no hairpin (a pod reaching
 * itself through its own service). */
#ifndef DFL_BPF_LB_H
#define DFL_BPF_LB_H

#include "common.h"
#include "conntrack.h"
#include "maps.h"
#include "nat.h"

/* Stable hash of the 5-tuple: a retransmitted SYN whose service entry was
 * evicted still lands on the same backend. */
static __always_inline __u32 dfl_lb_hash(const struct dfl_pkt *pkt)
{
	__u32 h = pkt->saddr[0] ^ pkt->saddr[1] ^ pkt->saddr[2] ^
		  pkt->saddr[3];

	h = h * 31 + (pkt->daddr[0] ^ pkt->daddr[1] ^ pkt->daddr[2] ^
		      pkt->daddr[3]);
	h = h * 31 + (((__u32)pkt->sport << 16) | pkt->dport);
	h = h * 31 + pkt->proto;
	/* murmur3 finaliser */
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline bool dfl_lb_has_backend(const struct dfl_lb_service *svc,
					       const __u32 *addr, __be16 port)
{
	const struct dfl_lb_backend *b;
	int i;

	for (i = 0; i < DFL_LB_MAX_BACKENDS; i++) {
		if (i >= svc->count)
			break;
		b = &svc->backends[i];
		if (b->port == port && b->addr[0] == addr[0] &&
		    b->addr[1] == addr[1] && b->addr[2] == addr[2] &&
		    b->addr[3] == addr[3])
			return true;
	}
	return false;
}

/* If <c>'s packet goes to a service address, picks (or recalls) the
 * connection's backend and rewrites the destination to it, remembering the
 * service address in c->orig_daddr/orig_dport. Returns 0 or a drop reason. */
DFL_GLOBAL int dfl_lb_translate(struct __sk_buff *skb, struct dfl_ctx *c,
				__u32 now)
{
	struct dfl_pkt *pkt = &c->pkt;
	struct dfl_lb_key lkey = {};
	struct dfl_lb_service *svc;
	struct dfl_lb_state *state;
	struct dfl_ct_entry *e, ne = {};
	struct dfl_ct_key key;
	__u32 backend[4];
	__be16 bport;
	__u32 idx, zero = 0;
	int ret;

	if (!c)
		return -DFL_DROP_INVALID;
	state = bpf_map_lookup_elem(&dfl_lb_state, &zero);
	if (!state || !state->services)
		return 0;
	if ((pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP) ||
	    !pkt->l4_off)
		return 0;
	__builtin_memcpy(lkey.addr, pkt->daddr, 16);
	lkey.port = pkt->dport;
	lkey.proto = pkt->proto;
	lkey.family = pkt->family;
	svc = bpf_map_lookup_elem(&dfl_services, &lkey);
	if (!svc)
		return 0;

	dfl_ct_key_init(&key, pkt, c->ep.ep_id,
			DFL_CT_F_EGRESS | DFL_CT_F_SERVICE);
	e = bpf_map_lookup_elem(&dfl_ct, &key);
	if (dfl_ct_alive(e, now) &&
	    (e->svc_gen == svc->generation ||
	     dfl_lb_has_backend(svc, e->nat_addr, e->nat_port))) {
		if (e->svc_gen != svc->generation)
			e->svc_gen = svc->generation;
		dfl_ct_refresh(e, pkt, false, now);
		__builtin_memcpy(backend, e->nat_addr, 16);
		bport = e->nat_port;
	} else {
		if (svc->count == 0)
			return -DFL_DROP_NO_SERVICE;
		idx = dfl_lb_hash(pkt) % svc->count;
		if (idx >= DFL_LB_MAX_BACKENDS)
			return -DFL_DROP_NO_SERVICE;
		__builtin_memcpy(backend, svc->backends[idx].addr, 16);
		bport = svc->backends[idx].port;
		__builtin_memcpy(ne.nat_addr, backend, 16);
		ne.nat_port = bport;
		ne.svc_gen = svc->generation;
		/* Service entries never see replies; give them the
		 * established lifetime from the start. */
		ne.flags = DFL_CT_E_SEEN_REPLY;
		ret = dfl_ct_create(&key, &ne, pkt, now);
		if (ret < 0)
			return ret;
	}

	__builtin_memcpy(c->orig_daddr, pkt->daddr, 16);
	c->orig_dport = pkt->dport;
	c->ev_flags |= DFL_EV_F_TRANSLATED;
	ret = dfl_nat_rewrite(skb, pkt, true, backend, bport);
	pkt->policy_dport = pkt->dport;
	return ret;
}

/* Replies of a translated connection must come from the service address
 * the client talked to. */
static __always_inline int dfl_lb_reverse(struct __sk_buff *skb,
					  struct dfl_ctx *c)
{
	__u32 vip[4];

	if (!(c->ct.flags & DFL_CT_E_DNAT) || !c->pkt.l4_off)
		return 0;
	__builtin_memcpy(vip, c->ct.nat_addr, 16);
	return dfl_nat_rewrite(skb, &c->pkt, false, vip, c->ct.nat_port);
}

#endif
