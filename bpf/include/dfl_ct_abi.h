/* Connection tracking ("dfl_ct", BPF_MAP_TYPE_LRU_HASH), scoped per
 * endpoint: each endpoint keeps its own view of its connections, so the two
 * hooks a pod-to-pod packet crosses (source's egress, destination's ingress)
 * never share or fight over an entry.
 *
 * An entry is keyed by the tuple of the connection's FIRST packet, as seen in
 * the direction that packet travelled relative to the endpoint
 * (DFL_CT_F_EGRESS set: the endpoint opened it). A packet is
 *   - established when its own tuple is found with its own direction,
 *   - a reply when its reversed tuple is found with the other direction,
 *   - related (ICMP error) when the tuple it quotes is found either way,
 *   - new otherwise.
 * Service connections have a second entry (DFL_CT_F_SERVICE) keyed by the
 * tuple towards the service address, which remembers the chosen backend.
 */
#ifndef DFL_CT_ABI_H
#define DFL_CT_ABI_H

#include <linux/types.h>

/* Key, 40 bytes:
 *
 *   0              16             32      34      36    37    38      40
 *   +--------------+--------------+-------+-------+-----+-----+-------+
 *   | saddr        | daddr        | sport | dport |proto|flags| ep_id |
 *   +--------------+--------------+-------+-------+-----+-----+-------+
 * Addresses and ports in network order, IPv4 in word 0 (words 1-3 zero).
 * ICMP echo: sport = identifier on requests, dport = identifier on replies
 * (so that a reply's reversed tuple is its request's tuple); other ICMP
 * messages carry no ports.
 */
struct dfl_ct_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 flags;
	__u16 ep_id;
};

#define DFL_CT_F_EGRESS 0x01  /* opened by the endpoint */
#define DFL_CT_F_SERVICE 0x02 /* service entry: tuple towards the VIP */
#define DFL_CT_F_IPV6 0x04

/* Value, 48 bytes. expires is in seconds of CLOCK_MONOTONIC
 * (bpf_ktime_get_coarse_ns() / 1e9). For a service entry, nat_addr/nat_port is the
 * chosen backend and svc_gen the service generation it was chosen from. For
 * a translated connection's entry (DFL_CT_E_DNAT), nat_addr/nat_port is the
 * service address that replies must appear to come from.
 */
struct dfl_ct_entry {
	__u32 expires;
	__u16 flags;
	__be16 proxy_port;    /* redirect target of the forward direction */
	__u32 remote_identity; /* peer identity when the entry was created */
	__u32 cookie;         /* policy entry that admitted the connection */
	__u32 nat_addr[4];
	__be16 nat_port;
	__u8 match_type;
	__u8 pad;
	__u32 svc_gen;
	__u64 created_ns;
};

#define DFL_CT_E_SEEN_REPLY 0x0001
#define DFL_CT_E_TX_CLOSING 0x0002 /* FIN/RST seen in the forward direction */
#define DFL_CT_E_RX_CLOSING 0x0004 /* FIN/RST seen in the reply direction */
#define DFL_CT_E_PROXY_REDIRECT 0x0008 /* forward packets go to proxy_port */
#define DFL_CT_E_FROM_PROXY 0x0010 /* opened by the L7 proxy's upstream */
#define DFL_CT_E_DNAT 0x0020       /* destination was a service address */
#define DFL_CT_E_AUDITED 0x0040    /* admitted only because of audit mode */

/* Per-packet conntrack result, reported in events (Cilium CT_* order). */
#define DFL_CT_NEW 0
#define DFL_CT_ESTABLISHED 1
#define DFL_CT_REPLY 2
#define DFL_CT_RELATED 3

/* IPv4 fragments ("dfl_frag4", LRU_HASH): the ports of a datagram's first
 * fragment, so that later fragments are matched like the first one. */
struct dfl_frag4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 id;
	__u8 proto;
	__u8 pad;
};

struct dfl_frag4_entry {
	__be16 sport;
	__be16 dport;
};

_Static_assert(sizeof(struct dfl_ct_key) == 40, "ABI");
_Static_assert(sizeof(struct dfl_ct_entry) == 48, "ABI");
_Static_assert(sizeof(struct dfl_frag4_key) == 12, "ABI");
_Static_assert(sizeof(struct dfl_frag4_entry) == 4, "ABI");

#endif
