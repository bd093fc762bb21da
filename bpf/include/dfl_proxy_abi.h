/* The contract between the datapath and the L7 proxy: packet marks and
 * policy routing (DESIGN.md "L7 redirect", docs/datapath.md).
 *
 * Marks live in bits 8-11 (mask 0x0f00), as Cilium's MARK_MAGIC_* do:
 *   DFL_MARK_TO_PROXY     set by the datapath on packets it assigned to a
 *                         proxy socket; the proxy port is in bits 16-31. The
 *                         node routes them locally:
 *                           ip rule add pref 9 fwmark 0x200/0xf00 lookup 2004
 *                           ip route add local default dev lo table 2004
 *   DFL_MARK_PROXY_EGRESS the proxy sets it (SO_MARK) on upstream sockets of
 *                         connections redirected by an EGRESS rule: the
 *                         destination's ingress policy still applies.
 *   DFL_MARK_PROXY_INGRESS the proxy sets it on upstream sockets of
 *                         connections redirected by an INGRESS rule: the
 *                         destination's ingress policy was already applied,
 *                         so the datapath passes them without a second
 *                         decision or a second redirect.
 * Pods cannot forge marks: veth clears skb->mark when a packet changes
 * network namespace.
 */
#ifndef DFL_PROXY_ABI_H
#define DFL_PROXY_ABI_H

#define DFL_MARK_MAGIC_MASK 0x0f00
#define DFL_MARK_TO_PROXY 0x0200
#define DFL_MARK_PROXY_INGRESS 0x0a00
#define DFL_MARK_PROXY_EGRESS 0x0b00
#define DFL_MARK_PORT_SHIFT 16

#define DFL_PROXY_ROUTE_TABLE 2004
#define DFL_PROXY_RULE_PRIORITY 9

#endif
