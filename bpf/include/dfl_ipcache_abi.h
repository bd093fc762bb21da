/* ipcache: IP prefix -> security identity, one LPM trie for both families
 * ("dfl_ipcache"). An address missing from it is the world (identity 2, or
 * the datapath's configured world identities in dual-stack clusters).
 */
#ifndef DFL_IPCACHE_ABI_H
#define DFL_IPCACHE_ABI_H

#include <linux/types.h>

/* Key, 24 bytes; the LPM prefix covers everything after prefixlen:
 *
 *   0               4       5               8                      24
 *   +---------------+-------+---------------+----------------------+
 *   | prefixlen u32 |family | pad[3] (0)    | addr (network order) |
 *   +---------------+-------+---------------+----------------------+
 *                   |<------- 32 bits ----->|<-- 0..32 / 0..128 -->|
 *
 * prefixlen = 32 + the address prefix length; family is 4 or 6; an IPv4
 * address sits in addr[0], addr[1..3] are zero.
 */
struct dfl_ipcache_key {
	__u32 prefixlen;
	__u8 family;
	__u8 pad[3];
	__u32 addr[4];
};

#define DFL_IPCACHE_STATIC_PREFIX 32

/* Value, 8 bytes. ep_id is the local endpoint owning the address (0 when
 * none); the datapath does not need it, tools print it. */
struct dfl_ipcache_entry {
	__u32 identity;
	__u16 ep_id;
	__u8 flags;
	__u8 pad;
};

#define DFL_IPCACHE_F_LOCAL_EP 0x01 /* address of a pod on this node */
#define DFL_IPCACHE_F_HOST 0x02     /* address of this node */

/* Reserved identities the datapath itself relies on (§6.1). */
#define DFL_DP_ID_UNKNOWN 0
#define DFL_DP_ID_HOST 1
#define DFL_DP_ID_WORLD 2
#define DFL_DP_ID_WORLD_IPV4 9
#define DFL_DP_ID_WORLD_IPV6 10
/* V20 aggregates (policy keys only, never carried by traffic). */
#define DFL_DP_ID_AGG_CLUSTER 11
#define DFL_DP_ID_AGG_CLUSTER_MESH 12
#define DFL_DP_ID_AGG_WORLD 13
#define DFL_DP_ID_AGG_REMOTE_NODE 14

_Static_assert(sizeof(struct dfl_ipcache_key) == 24, "ABI");
_Static_assert(sizeof(struct dfl_ipcache_entry) == 8, "ABI");

#endif
