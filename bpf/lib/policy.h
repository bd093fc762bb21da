/* Policy lookup with Cilium's precedence rules (reference/cilium-policy.md
 * §8.4, §8.5):
 *
 *   0. ICMPv4 fragmentation-needed passes (cfg_allow_icmp_frag_needed).
 *   1. Look up (remote identity, dir, proto, port). A hit with
 *      MAX_PRECEDENCE is a CNP deny: it decides, no second lookup.
 *   2. Look up the wildcard: identity 0 (default), or with
 *      cfg_aggregate_lookup the identity's aggregate (11-14), falling back to
 *      identity 0 only when neither lookup matched.
 *   3. The wildcard entry wins if it has a higher precedence, or the same
 *      precedence and a longer L4 prefix; otherwise the specific entry wins.
 *   4. No entry: POLICY_DENIED (133), or FRAG_NOSUPPORT (157) for a later
 *      fragment whose ports are unknown.
 * The winner: deny -> POLICY_DENY (181); an auth type (own, or inherited
 * from the other entry at equal precedence when not explicit) ->
 * AUTH_REQUIRED (189; no auth map exists here, so the drop stands);
 * otherwise allowed, redirected when proxy_port is set.
 */
#ifndef DFL_BPF_POLICY_H
#define DFL_BPF_POLICY_H

#include "common.h"
#include "maps.h"

struct dfl_policy_result {
	__u32 cookie;
	__u16 proxy_port; /* host order, 0 = no redirect */
	__u8 match_type;  /* DFL_POLICY_MATCH_* */
	__u8 auth_type;
};

static __always_inline __u8 dfl_policy_lpm_len(const struct dfl_policy_entry *e)
{
	return e->flags >> DFL_POLICY_LPM_SHIFT;
}

static __always_inline __u8
dfl_policy_match_type(const struct dfl_policy_entry *e, bool wildcard_id)
{
	__u8 l4 = dfl_policy_lpm_len(e);

	if (l4 == 0)
		return wildcard_id ? DFL_POLICY_MATCH_ALL :
				     DFL_POLICY_MATCH_L3_ONLY;
	if (l4 == 8)
		return wildcard_id ? DFL_POLICY_MATCH_PROTO_ONLY :
				     DFL_POLICY_MATCH_L3_PROTO;
	return wildcard_id ? DFL_POLICY_MATCH_L4_ONLY : DFL_POLICY_MATCH_L3_L4;
}

/* V20 aggregateFor() (§6.2): reserved ids map to 0, local-scope ids to
 * aggregate-world, remote-node scope to aggregate-remote-node, cluster ids
 * of this cluster (id 0) to aggregate-cluster, others to cluster-mesh. */
static __always_inline __u32 dfl_policy_aggregate(__u32 id)
{
	__u32 scope = id >> 24;

	if (id < 100)
		return 0;
	if (scope == 0x01)
		return DFL_DP_ID_AGG_WORLD;
	if (scope == 0x02)
		return DFL_DP_ID_AGG_REMOTE_NODE;
	if (id <= 0xffff)
		return DFL_DP_ID_AGG_CLUSTER;
	return DFL_DP_ID_AGG_CLUSTER_MESH;
}

static __always_inline int dfl_policy_verdict(const struct dfl_policy_entry *e,
					      const struct dfl_policy_entry *other,
					      bool wildcard_id,
					      struct dfl_policy_result *res)
{
	__u8 auth = e->auth & DFL_POLICY_AUTH_TYPE_MASK;

	res->cookie = e->cookie;
	res->match_type = dfl_policy_match_type(e, wildcard_id);
	if (e->flags & DFL_POLICY_F_DENY)
		return -DFL_DROP_POLICY_DENY;
	if (other && other->precedence == e->precedence &&
	    !(e->auth & DFL_POLICY_AUTH_EXPLICIT) &&
	    (other->auth & DFL_POLICY_AUTH_TYPE_MASK) > auth)
		auth = other->auth & DFL_POLICY_AUTH_TYPE_MASK;
	res->auth_type = auth;
	if (auth)
		return -DFL_DROP_POLICY_AUTH_REQUIRED;
	res->proxy_port = bpf_ntohs(e->proxy_port);
	return 0;
}

/* Decides a packet of <pkt> against the policy of endpoint <ep_id> in
 * direction <egress>. Returns 0 (allowed; res->proxy_port may ask for a
 * redirect) or a drop reason; res describes the deciding entry. */
static __always_inline int dfl_policy_can_access(__u32 ep_id, __u32 remote_id,
						 __u8 egress,
						 const struct dfl_pkt *pkt,
						 struct dfl_policy_result *res)
{
	struct dfl_policy_key key = {
		.prefixlen = DFL_POLICY_FULL_PREFIX,
		.sec_label = remote_id,
		.egress = egress,
		.protocol = pkt->proto,
		.dport = pkt->policy_dport,
	};
	const struct dfl_policy_entry *p, *q = NULL;
	void *map;

	map = bpf_map_lookup_elem(&dfl_policy, &ep_id);
	if (!map)
		return -DFL_DROP_EP_NOT_READY;

	if (cfg_allow_icmp_frag_needed && pkt->proto == IPPROTO_ICMP &&
	    pkt->icmp_type == ICMP_DEST_UNREACH &&
	    pkt->icmp_code == ICMP_FRAG_NEEDED)
		return 0;

	p = bpf_map_lookup_elem(map, &key);
	if (p && p->precedence == DFL_POLICY_MAX_PRECEDENCE)
		return dfl_policy_verdict(p, NULL, false, res);

	/* Reserved identities aggregate to 0, so for them both schemes
	 * consult identity 0 directly. */
	key.sec_label = cfg_aggregate_lookup ? dfl_policy_aggregate(remote_id) :
					       0;
	q = bpf_map_lookup_elem(map, &key);
	if (key.sec_label && !p && !q) {
		key.sec_label = 0;
		q = bpf_map_lookup_elem(map, &key);
	}

	if (q && (!p || q->precedence > p->precedence ||
		  (q->precedence == p->precedence &&
		   dfl_policy_lpm_len(q) > dfl_policy_lpm_len(p))))
		return dfl_policy_verdict(q, p, true, res);
	if (p)
		return dfl_policy_verdict(p, q, false, res);
	return pkt->frag == DFL_FRAG_UNTRACKED ? -DFL_DROP_FRAG_NOSUPPORT :
						 -DFL_DROP_POLICY;
}

#endif
