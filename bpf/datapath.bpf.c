/* deflector's datapath: two tc programs shared by every pod, attached to
 * each pod's host-side veth. Helpers live in bpf/lib/, map layouts in
 * bpf/include/dfl_*_abi.h, the contract in docs/datapath.md.
 *
 * A pod-to-pod packet crosses both programs: the source's egress policy at
 * the source veth's tc ingress, the destination's ingress policy at the
 * destination veth's tc egress. Each endpoint tracks its own connections.
 */
#include "lib/common.h"
#include "lib/conntrack.h"
#include "lib/events.h"
#include "lib/ipcache.h"
#include "lib/lb.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/policy.h"
#include "lib/proxy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Evaluates the endpoint's policy for c's packet (new and established
 * connections alike: a new deny cuts established flows) and reports the
 * decision of a new connection. Audit mode turns policy drops into allows
 * flagged DFL_EV_F_AUDITED. Returns 0 or a drop reason. */
DFL_GLOBAL int dfl_policy_decide(struct __sk_buff *skb, struct dfl_ctx *c,
				 __u32 egress)
{
	struct dfl_policy_result res = {};
	__u8 verdict, reason = 0;
	int ret;

	if (!c)
		return -DFL_DROP_INVALID;
	ret = dfl_policy_can_access(c->ep.ep_id, c->remote_identity, egress,
				    &c->pkt, &res);
	if (ret == -DFL_DROP_EP_NOT_READY)
		return ret;
	c->cookie = res.cookie;
	c->match_type = res.match_type;
	c->auth_type = res.auth_type;
	c->proxy_port = res.proxy_port;
	if (ret < 0) {
		reason = -ret;
		if ((c->ep.flags & DFL_EP_F_AUDIT) &&
		    (reason == DFL_DROP_POLICY || reason == DFL_DROP_POLICY_DENY ||
		     reason == DFL_DROP_POLICY_AUTH_REQUIRED)) {
			c->ev_flags |= DFL_EV_F_AUDITED;
			ret = 0;
		}
	}
	if (c->ct_state != DFL_CT_NEW)
		return ret;
	if (ret < 0)
		verdict = DFL_VERDICT_DROPPED;
	else if (c->ev_flags & DFL_EV_F_AUDITED)
		verdict = DFL_VERDICT_AUDIT;
	else if (c->proxy_port)
		verdict = DFL_VERDICT_REDIRECTED;
	else if (cfg_report_allowed)
		verdict = DFL_VERDICT_FORWARDED;
	else
		return ret;
	dfl_emit(skb, c, DFL_EV_POLICY_VERDICT, verdict, reason);
	return ret;
}

/* Records a newly admitted connection, or keeps an established one's
 * redirect in step with the policy it was just re-evaluated against. */
static __always_inline int dfl_ct_commit(struct dfl_ctx *c,
					 const struct dfl_ct_key *key,
					 __u16 extra, __u32 now)
{
	struct dfl_ct_entry ne = {}, *e;
	__be16 pport = bpf_htons(c->proxy_port);

	if (c->ct_state != DFL_CT_NEW) {
		if (c->ct.proxy_port == pport)
			return 0;
		e = bpf_map_lookup_elem(&dfl_ct, key);
		if (e) {
			e->proxy_port = pport;
			e->flags = (e->flags & ~DFL_CT_E_PROXY_REDIRECT) |
				   (pport ? DFL_CT_E_PROXY_REDIRECT : 0);
		}
		return 0;
	}
	ne.flags = extra | (pport ? DFL_CT_E_PROXY_REDIRECT : 0) |
		   (c->ev_flags & DFL_EV_F_AUDITED ? DFL_CT_E_AUDITED : 0);
	ne.proxy_port = pport;
	ne.remote_identity = c->remote_identity;
	ne.cookie = c->cookie;
	ne.match_type = c->match_type;
	if (c->ev_flags & DFL_EV_F_TRANSLATED) {
		ne.flags |= DFL_CT_E_DNAT;
		__builtin_memcpy(ne.nat_addr, c->orig_daddr, 16);
		ne.nat_port = c->orig_dport;
	}
	return dfl_ct_create(key, &ne, &c->pkt, now);
}

/* Anti-spoofing: a pod sends from its own addresses (IPv6 link-local
 * excepted, neighbour discovery needs it). */
static __always_inline int dfl_check_source(const struct dfl_ctx *c)
{
	const struct dfl_pkt *pkt = &c->pkt;

	if (pkt->family == 4)
		return c->ep.ipv4 && pkt->saddr[0] != c->ep.ipv4 ?
			       -DFL_DROP_INVALID_SIP :
			       0;
	if (!(c->ep.ipv6[0] | c->ep.ipv6[1] | c->ep.ipv6[2] | c->ep.ipv6[3]))
		return 0;
	if ((pkt->saddr[0] & bpf_htonl(0xffc00000)) == bpf_htonl(0xfe800000))
		return 0;
	if (pkt->saddr[0] != c->ep.ipv6[0] || pkt->saddr[1] != c->ep.ipv6[1] ||
	    pkt->saddr[2] != c->ep.ipv6[2] || pkt->saddr[3] != c->ep.ipv6[3])
		return -DFL_DROP_INVALID_SIP;
	return 0;
}

/* Parses the packet and finds the endpoint of the interface it is on.
 * Returns 0, 1 for frames that pass undecided (ARP), or a drop reason. */
static __always_inline int dfl_prologue(struct __sk_buff *skb,
					struct dfl_ctx *c)
{
	__u32 ifindex = skb->ifindex;
	struct dfl_endpoint_info *ep;
	int ret;

	ret = dfl_parse(skb, &c->pkt);
	if (ret)
		return ret;
	ep = bpf_map_lookup_elem(&dfl_endpoints, &ifindex);
	if (!ep)
		return -DFL_DROP_EP_NOT_READY;
	c->ep = *ep;
	return 0;
}

static __always_inline int dfl_exit(struct __sk_buff *skb, struct dfl_ctx *c,
				    int ret)
{
	__u8 reason;

	if (ret < 0) {
		reason = -ret;
		dfl_emit(skb, c, DFL_EV_DROP, DFL_VERDICT_DROPPED, reason);
		dfl_count(c->dir, reason, skb->len);
		return TC_ACT_SHOT;
	}
	if (!c->no_count)
		dfl_count(c->dir, 0, skb->len);
	return ret;
}

static __always_inline int dfl_handle_from_endpoint(struct __sk_buff *skb,
						    struct dfl_ctx *c)
{
	struct dfl_ct_key key = {};
	__u32 now;
	int ret;

	ret = dfl_prologue(skb, c);
	if (ret)
		return ret > 0 ? TC_ACT_OK : ret;

	if ((skb->mark & DFL_MARK_MAGIC_MASK) == DFL_MARK_TO_PROXY) {
		/* Bounced here by dfl_to_endpoint: the endpoint's ingress
		 * policy redirected this packet, and only tc ingress may
		 * assign sockets. Already decided and counted there. */
		c->dir = DFL_TRAFFIC_INGRESS;
		c->no_count = 1;
		c->proxy_port = skb->mark >> DFL_MARK_PORT_SHIFT;
		c->ev_flags |= DFL_EV_F_TO_PROXY;
		return dfl_proxy_redirect(skb, &c->pkt, c->proxy_port);
	}
	if (c->pkt.icmp_kind == DFL_ICMP_ND)
		return TC_ACT_OK;
	ret = dfl_check_source(c);
	if (ret < 0)
		return ret;

	now = dfl_now_sec();
	ret = dfl_lb_translate(skb, c, now);
	if (ret < 0)
		return ret;

	c->ct_state = dfl_ct_classify(skb, c, &key, 1, now);
	if (c->ct_state == DFL_CT_REPLY) {
		if (c->ct.flags & DFL_CT_E_FROM_PROXY) {
			c->ev_flags |= DFL_EV_F_TO_PROXY;
			return dfl_proxy_reply(skb, &c->pkt);
		}
		return TC_ACT_OK;
	}
	if (c->ct_state == DFL_CT_RELATED)
		return TC_ACT_OK;

	c->remote_identity = dfl_ipcache_identity(c->pkt.daddr, c->pkt.family);
	ret = dfl_policy_decide(skb, c, 1);
	if (ret < 0)
		return ret;
	ret = dfl_ct_commit(c, &key, 0, now);
	if (ret < 0)
		return ret;
	if (c->proxy_port) {
		c->ev_flags |= DFL_EV_F_TO_PROXY;
		return dfl_proxy_redirect(skb, &c->pkt, c->proxy_port);
	}
	return TC_ACT_OK;
}

/* Sends a packet leaving towards the pod back into the host side's tc
 * ingress (dfl_from_endpoint), marked with the proxy port, so that it can be
 * assigned to the proxy's socket there. The MACs are swapped so that the
 * host side accepts the frame as its own. */
static __always_inline int dfl_bounce_to_proxy(struct __sk_buff *skb,
					       struct dfl_ctx *c)
{
	__u8 macs[12], swapped[12];

	if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)))
		return -DFL_DROP_INVALID;
	__builtin_memcpy(swapped, macs + 6, 6);
	__builtin_memcpy(swapped + 6, macs, 6);
	if (bpf_skb_store_bytes(skb, 0, swapped, sizeof(swapped), 0))
		return -DFL_DROP_WRITE_ERROR;
	skb->mark = ((__u32)c->proxy_port << DFL_MARK_PORT_SHIFT) |
		    DFL_MARK_TO_PROXY;
	c->ev_flags |= DFL_EV_F_TO_PROXY;
	return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
}

static __always_inline int dfl_handle_to_endpoint(struct __sk_buff *skb,
						  struct dfl_ctx *c)
{
	__u32 mark = skb->mark & DFL_MARK_MAGIC_MASK;
	struct dfl_ct_key key = {};
	__u16 extra = 0;
	__u32 now;
	int ret;

	ret = dfl_prologue(skb, c);
	if (ret)
		return ret > 0 ? TC_ACT_OK : ret;
	if (c->pkt.icmp_kind == DFL_ICMP_ND)
		return TC_ACT_OK;

	now = dfl_now_sec();
	c->ct_state = dfl_ct_classify(skb, c, &key, 0, now);
	if (c->ct_state == DFL_CT_REPLY) {
		ret = dfl_lb_reverse(skb, c);
		return ret < 0 ? ret : TC_ACT_OK;
	}
	if (c->ct_state == DFL_CT_RELATED)
		return TC_ACT_OK;

	c->remote_identity = dfl_ipcache_identity(c->pkt.saddr, c->pkt.family);
	if (mark == DFL_MARK_PROXY_INGRESS || mark == DFL_MARK_PROXY_EGRESS) {
		c->ev_flags |= DFL_EV_F_FROM_PROXY;
		extra = DFL_CT_E_FROM_PROXY;
	}
	if (mark == DFL_MARK_PROXY_INGRESS) {
		/* The proxy forwards a connection it took over at this
		 * endpoint's ingress: decided already, do not decide or
		 * redirect again. */
		return dfl_ct_commit(c, &key, extra, now);
	}
	ret = dfl_policy_decide(skb, c, 0);
	if (ret < 0)
		return ret;
	/* From the proxy after an egress redirect: the proxy applied this
	 * endpoint's ingress L7 rules in the same pass (docs/proxy.md), so
	 * the L3/L4 verdict above is all that is left to decide. */
	if (mark == DFL_MARK_PROXY_EGRESS)
		c->proxy_port = 0;
	ret = dfl_ct_commit(c, &key, extra, now);
	if (ret < 0)
		return ret;
	if (c->proxy_port)
		return dfl_bounce_to_proxy(skb, c);
	return TC_ACT_OK;
}

/* Attached to tc ingress of a pod's host-side veth: packets leaving the pod.
 * Service translation, the pod's egress policy, egress L7 redirect. */
SEC("tc")
int dfl_from_endpoint(struct __sk_buff *skb)
{
	struct dfl_ctx c = { .dir = DFL_TRAFFIC_EGRESS };

	return dfl_exit(skb, &c, dfl_handle_from_endpoint(skb, &c));
}

/* Attached to tc egress of a pod's host-side veth: packets entering the pod.
 * Reverse service translation of replies, the pod's ingress policy, ingress
 * L7 redirect (via dfl_from_endpoint). */
SEC("tc")
int dfl_to_endpoint(struct __sk_buff *skb)
{
	struct dfl_ctx c = { .dir = DFL_TRAFFIC_INGRESS };

	return dfl_exit(skb, &c, dfl_handle_to_endpoint(skb, &c));
}
