/* Endpoints ("dfl_endpoints", HASH): which pod a host-side veth belongs to.
 * Both programs are the same for every pod; they find the endpoint by the
 * ifindex the packet is on. A packet on an interface without an entry, or
 * whose endpoint has no policy map, is dropped with DROP_EP_NOT_READY.
 */
#ifndef DFL_ENDPOINT_ABI_H
#define DFL_ENDPOINT_ABI_H

#include <linux/types.h>

/* Key: __u32 ifindex of the host-side veth. Value, 32 bytes.
 * ipv4/ipv6 are the pod's addresses (network order); when non-zero, packets
 * leaving the pod from another source address are dropped (INVALID_SIP). */
struct dfl_endpoint_info {
	__u32 ep_id; /* 1..65535: policy map and conntrack scope */
	__u32 identity;
	__u32 flags;
	__u32 ipv4;
	__u32 ipv6[4];
};

#define DFL_EP_F_AUDIT 0x0001 /* policy drops become audited allows */
/* Userspace bookkeeping, ignored by BPF: the loader created the clsact qdisc
 * and removes it on detach. */
#define DFL_EP_F_OWNS_CLSACT 0x0100

#define DFL_EP_ID_MAX 65535

_Static_assert(sizeof(struct dfl_endpoint_info) == 32, "ABI");

#endif
