/* Connection tracking, per endpoint (layout and lookup rules in
 * dfl_ct_abi.h). */
#ifndef DFL_BPF_CONNTRACK_H
#define DFL_BPF_CONNTRACK_H

#include "common.h"
#include "maps.h"

static __always_inline void dfl_ct_key_init(struct dfl_ct_key *key,
					    const struct dfl_pkt *pkt,
					    __u16 ep_id, __u8 flags)
{
	__builtin_memcpy(key->saddr, pkt->saddr, 16);
	__builtin_memcpy(key->daddr, pkt->daddr, 16);
	key->sport = pkt->sport;
	key->dport = pkt->dport;
	key->proto = pkt->proto;
	key->flags = flags | (pkt->family == 6 ? DFL_CT_F_IPV6 : 0);
	key->ep_id = ep_id;
}

/* Turns a connection key into the key of the other direction. */
static __always_inline void dfl_ct_key_reverse(struct dfl_ct_key *key)
{
	__u32 tmp[4];
	__be16 port;

	__builtin_memcpy(tmp, key->saddr, 16);
	__builtin_memcpy(key->saddr, key->daddr, 16);
	__builtin_memcpy(key->daddr, tmp, 16);
	port = key->sport;
	key->sport = key->dport;
	key->dport = port;
	key->flags ^= DFL_CT_F_EGRESS;
}

static __always_inline bool dfl_ct_alive(const struct dfl_ct_entry *e,
					 __u32 now)
{
	return e && e->expires > now;
}

static __always_inline bool dfl_tcp_opens(const struct dfl_pkt *pkt)
{
	return pkt->proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (DFL_EV_TCP_SYN | DFL_EV_TCP_ACK)) == DFL_EV_TCP_SYN;
}

/* Lifetime of a connection after a packet with <flags> state. */
static __always_inline __u32 dfl_ct_lifetime(__u16 flags, __u8 proto)
{
	if (proto != IPPROTO_TCP)
		return cfg_ct_lifetime_other;
	if ((flags & (DFL_CT_E_TX_CLOSING | DFL_CT_E_RX_CLOSING)) ==
	    (DFL_CT_E_TX_CLOSING | DFL_CT_E_RX_CLOSING))
		return cfg_ct_close_timeout;
	if (!(flags & DFL_CT_E_SEEN_REPLY))
		return cfg_ct_syn_timeout;
	return cfg_ct_lifetime_tcp;
}

/* Accounts a packet of the forward (<reply> false) or reply direction. Only
 * writes when something changed, to keep the entry's cache line shared. */
static __always_inline void dfl_ct_refresh(struct dfl_ct_entry *e,
					   const struct dfl_pkt *pkt,
					   bool reply, __u32 now)
{
	__u16 flags = e->flags;
	__u32 expires;

	if (reply)
		flags |= DFL_CT_E_SEEN_REPLY;
	if (pkt->proto == IPPROTO_TCP) {
		if (pkt->tcp_flags & DFL_EV_TCP_RST)
			flags |= DFL_CT_E_TX_CLOSING | DFL_CT_E_RX_CLOSING;
		else if (pkt->tcp_flags & DFL_EV_TCP_FIN)
			flags |= reply ? DFL_CT_E_RX_CLOSING :
					 DFL_CT_E_TX_CLOSING;
	}
	expires = now + dfl_ct_lifetime(flags, pkt->proto);
	if (flags != e->flags)
		e->flags = flags;
	if (expires != e->expires)
		e->expires = expires;
}

/* Whether the ICMP error in <pkt> quotes a packet of a tracked connection
 * of endpoint <ep_id>. The quoted packet travelled opposite to <pkt>: it was
 * either a forward packet of a connection opened the other way, or a reply
 * of a connection opened in <pkt>'s direction. */
static __always_inline bool dfl_ct_related(struct __sk_buff *skb,
					   const struct dfl_pkt *pkt,
					   __u16 ep_id, bool egress, __u32 now)
{
	struct dfl_ct_key key = {};
	__u32 off = pkt->l4_off + 8;
	__u8 l4[8];

	if (pkt->family == 4) {
		struct iphdr ip;
		__u32 ihl;

		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
			return false;
		ihl = ip.ihl * 4;
		if (ihl < sizeof(ip))
			return false;
		key.saddr[0] = ip.saddr;
		key.daddr[0] = ip.daddr;
		key.proto = ip.protocol;
		off += ihl;
	} else {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
			return false;
		__builtin_memcpy(key.saddr, &ip6.saddr, 16);
		__builtin_memcpy(key.daddr, &ip6.daddr, 16);
		key.proto = ip6.nexthdr;
		key.flags = DFL_CT_F_IPV6;
		off += sizeof(ip6);
	}
	/* An error quotes at least 8 bytes of the original L4 header. */
	if (bpf_skb_load_bytes(skb, off, l4, sizeof(l4)))
		return false;
	switch (key.proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		key.sport = *(__be16 *)&l4[0];
		key.dport = *(__be16 *)&l4[2];
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4[0] == ICMP_ECHO || l4[0] == ICMPV6_ECHO_REQUEST)
			key.sport = *(__be16 *)&l4[4];
		else if (l4[0] == ICMP_ECHOREPLY ||
			 l4[0] == ICMPV6_ECHO_REPLY)
			key.dport = *(__be16 *)&l4[4];
		break;
	}
	key.ep_id = ep_id;
	key.flags |= egress ? 0 : DFL_CT_F_EGRESS;
	if (dfl_ct_alive(bpf_map_lookup_elem(&dfl_ct, &key), now))
		return true;
	dfl_ct_key_reverse(&key);
	return dfl_ct_alive(bpf_map_lookup_elem(&dfl_ct, &key), now);
}

/* Classifies c's packet for c's endpoint (<egress>: the packet leaves the
 * endpoint). Returns DFL_CT_*; for ESTABLISHED and REPLY the live entry is
 * refreshed and copied to c->ct. <key> is left as the key the connection
 * has (or a NEW one will be created under) in the packet's direction. */
DFL_GLOBAL int dfl_ct_classify(struct __sk_buff *skb, struct dfl_ctx *c,
			       struct dfl_ct_key *key, __u32 egress, __u32 now)
{
	struct dfl_ct_entry *e;

	if (!c || !key)
		return DFL_CT_NEW;
	dfl_ct_key_init(key, &c->pkt, c->ep.ep_id,
			egress ? DFL_CT_F_EGRESS : 0);
	e = bpf_map_lookup_elem(&dfl_ct, key);
	if (dfl_ct_alive(e, now)) {
		/* A SYN reusing the tuple of a closing connection opens a
		 * new one (and gets a new policy-verdict event). */
		if (dfl_tcp_opens(&c->pkt) &&
		    (e->flags & (DFL_CT_E_TX_CLOSING | DFL_CT_E_RX_CLOSING)))
			return DFL_CT_NEW;
		dfl_ct_refresh(e, &c->pkt, false, now);
		c->ct = *e;
		return DFL_CT_ESTABLISHED;
	}
	dfl_ct_key_reverse(key);
	e = bpf_map_lookup_elem(&dfl_ct, key);
	dfl_ct_key_reverse(key);
	if (dfl_ct_alive(e, now)) {
		dfl_ct_refresh(e, &c->pkt, true, now);
		c->ct = *e;
		return DFL_CT_REPLY;
	}
	if (c->pkt.icmp_kind == DFL_ICMP_ERROR &&
	    dfl_ct_related(skb, &c->pkt, c->ep.ep_id, egress, now))
		return DFL_CT_RELATED;
	return DFL_CT_NEW;
}

/* Records a new connection under <key>; <e> carries the verdict fields.
 * Returns 0 or CT_CREATE_FAILED. */
static __always_inline int dfl_ct_create(const struct dfl_ct_key *key,
					 struct dfl_ct_entry *e,
					 const struct dfl_pkt *pkt, __u32 now)
{
	e->created_ns = bpf_ktime_get_ns();
	e->expires = now + dfl_ct_lifetime(e->flags, pkt->proto);
	if (bpf_map_update_elem(&dfl_ct, key, e, BPF_ANY))
		return -DFL_DROP_CT_CREATE_FAILED;
	return 0;
}

#endif
