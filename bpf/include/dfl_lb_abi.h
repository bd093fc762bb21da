/* ClusterIP services ("dfl_services", HASH): service address:port:protocol
 * -> its backends, inline, so that one map update replaces a service
 * atomically. The datapath picks a backend per connection from a hash of the
 * 5-tuple, records it in conntrack and translates replies back.
 */
#ifndef DFL_LB_ABI_H
#define DFL_LB_ABI_H

#include <linux/types.h>

/* Key, 20 bytes: address (network order, IPv4 in word 0), port (network
 * order), IP protocol (6 or 17), family (4 or 6). */
struct dfl_lb_key {
	__u32 addr[4];
	__be16 port;
	__u8 proto;
	__u8 family;
};

struct dfl_lb_backend {
	__u32 addr[4];
	__be16 port;
	__u16 pad;
};

#define DFL_LB_MAX_BACKENDS 64

/* Value, 1288 bytes. generation changes on every update of the service so
 * that conntrack notices when a connection's backend may have gone. A
 * service with count 0 drops new connections (SERVICE_BACKEND_NOT_FOUND). */
struct dfl_lb_service {
	__u32 generation;
	__u16 count;
	__u16 flags;
	struct dfl_lb_backend backends[DFL_LB_MAX_BACKENDS];
};

/* "dfl_lb_state" (ARRAY, one entry): how many services exist, kept by
 * userspace, so that pods on a node without services skip the service
 * lookup (array lookups are inlined by the verifier, hash lookups are
 * not). */
struct dfl_lb_state {
	__u32 services;
	__u32 pad;
};

_Static_assert(sizeof(struct dfl_lb_key) == 20, "ABI");
_Static_assert(sizeof(struct dfl_lb_state) == 8, "ABI");
_Static_assert(sizeof(struct dfl_lb_backend) == 20, "ABI");
_Static_assert(sizeof(struct dfl_lb_service) == 8 + 20 * DFL_LB_MAX_BACKENDS,
	       "ABI");

#endif
