/* Per-endpoint policy maps: Cilium's cilium_policy_v2 layout, byte for byte
 * (reference/cilium-policy.md §8.1-§8.3), so a compiler that produces Cilium
 * map state converts to it without thinking.
 *
 * One BPF_MAP_TYPE_LPM_TRIE per endpoint, held in the outer map
 * "dfl_policy" (HASH_OF_MAPS, key = __u32 endpoint id). Userspace fills a new
 * inner map aside and swaps it in with one update of the outer map, so a
 * packet sees either the whole old policy or the whole new one.
 */
#ifndef DFL_POLICY_ABI_H
#define DFL_POLICY_ABI_H

#include <linux/types.h>

/* Key, 12 bytes; the LPM prefix covers the 8 bytes after prefixlen:
 *
 *   0               4               8       9       10             12
 *   +---------------+---------------+-------+-------+---------------+
 *   | prefixlen u32 | sec_label u32 |egress | proto | dport (be16)  |
 *   +---------------+---------------+-------+-------+---------------+
 *                   |<-- 32 bits -->|<- 8 ->|<- 8 ->|<-- 0..16 ---->|
 *                   |<------ always matched: 40 ------>|
 *
 * prefixlen = 40 (identity + direction; proto and port wildcarded),
 *             48 (protocol, any port), 48 + n (first n bits of dport),
 *             64 (exact port). Lookups always use DFL_POLICY_FULL_PREFIX.
 * sec_label is host order (0 = any identity); egress is bit 0 of its byte
 * (1 = egress, 0 = ingress, the rest must be zero); dport is network order
 * and holds the ICMP type (htons(type)) for ICMP and ICMPv6.
 */
struct dfl_policy_key {
	__u32 prefixlen;
	__u32 sec_label;
	__u8 egress;
	__u8 protocol;
	__be16 dport;
};

#define DFL_POLICY_STATIC_PREFIX 40
#define DFL_POLICY_FULL_PREFIX                                                 \
	(8 * (sizeof(struct dfl_policy_key) - sizeof(__u32)))

/* Value, 12 bytes:
 *
 *   0               2       3       4               8              12
 *   +---------------+-------+-------+---------------+---------------+
 *   | proxy_port be16 | flags | auth  | precedence u32| cookie u32    |
 *   +---------------+-------+-------+---------------+---------------+
 *   flags: bit 0 deny, bits 1-2 reserved (0), bits 3-7 lpm_prefix_length
 *          (= key prefixlen - 40, 0..24)
 *   auth:  bits 0-6 auth_type, bit 7 has_explicit_auth_type
 * precedence: higher wins (Cilium V20 encoding, §8.3); deny entries written
 * by a CNP/CCNP carry DFL_POLICY_MAX_PRECEDENCE. cookie attributes the
 * entry to the rule that produced it and is echoed in every event.
 */
struct dfl_policy_entry {
	__be16 proxy_port;
	__u8 flags;
	__u8 auth;
	__u32 precedence;
	__u32 cookie;
};

#define DFL_POLICY_F_DENY 0x01
#define DFL_POLICY_LPM_SHIFT 3
#define DFL_POLICY_AUTH_TYPE_MASK 0x7f
#define DFL_POLICY_AUTH_EXPLICIT 0x80
#define DFL_POLICY_MAX_PRECEDENCE 0xffffffffu

/* Which entry decided, as Cilium's POLICY_MATCH_* (§8.4) reports it. */
#define DFL_POLICY_MATCH_NONE 0
#define DFL_POLICY_MATCH_L3_ONLY 1    /* id / ANY / ANY */
#define DFL_POLICY_MATCH_L3_L4 2      /* id / proto / port */
#define DFL_POLICY_MATCH_L4_ONLY 3    /* ANY / proto / port */
#define DFL_POLICY_MATCH_ALL 4        /* ANY / ANY / ANY */
#define DFL_POLICY_MATCH_L3_PROTO 5   /* id / proto / ANY */
#define DFL_POLICY_MATCH_PROTO_ONLY 6 /* ANY / proto / ANY */

_Static_assert(sizeof(struct dfl_policy_key) == 12, "ABI");
_Static_assert(sizeof(struct dfl_policy_entry) == 12, "ABI");
_Static_assert(DFL_POLICY_FULL_PREFIX == 64, "ABI");

#endif
