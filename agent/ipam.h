/* IPv4 address management for one CIDR: the pod CIDR (the first address
 * after the network address is the node's gateway, the broadcast address is
 * never used) and the service CIDR (ClusterIPs). Addresses are in host byte
 * order throughout. */
#ifndef DFL_AGENT_IPAM_H
#define DFL_AGENT_IPAM_H

#include <stddef.h>
#include <stdint.h>

#include "agent/idpool.h"

struct dfl_ipam {
	uint32_t net;	  /* network address */
	uint8_t plen;	  /* prefix length, 8..30 */
	uint32_t gateway; /* reserved first host address, or 0 */
	struct dfl_idpool pool; /* host addresses net+1 .. broadcast-1 */
};

/* Parses "a.b.c.d/len" strictly: four decimal octets, a prefix length, no
 * host bits set. On error returns -EINVAL and writes a sentence naming the
 * problem into <err> (of <errlen> bytes). */
int dfl_cidr4__parse(const char *s, uint32_t *net, uint8_t *plen, char *err,
		     size_t errlen);

/* Sets up an allocator for <cidr> (prefix 8..30). With <reserve_gateway>, the
 * first host address is taken for the node and stored in ->gateway.
 * Returns 0, -EINVAL (message in <err>) or -ENOMEM. */
int dfl_ipam__init(struct dfl_ipam *ipam, const char *cidr,
		   bool reserve_gateway, char *err, size_t errlen);
void dfl_ipam__release(struct dfl_ipam *ipam);

/* Next free address (next-fit). Returns 0 or -ENOSPC. */
int dfl_ipam__alloc(struct dfl_ipam *ipam, uint32_t *addr);
/* Takes <addr> itself. -ERANGE when outside the usable range (network,
 * broadcast or gateway address included), -EEXIST when taken. */
int dfl_ipam__claim(struct dfl_ipam *ipam, uint32_t addr);
/* Gives <addr> back. -ERANGE or -ENOENT as for claim. */
int dfl_ipam__free(struct dfl_ipam *ipam, uint32_t addr);
/* Addresses handed out, the gateway not counted. */
uint32_t dfl_ipam__used(const struct dfl_ipam *ipam);
/* Usable addresses in total, the gateway not counted. */
uint32_t dfl_ipam__capacity(const struct dfl_ipam *ipam);

/* "10.200.0.5" into <buf> (16 bytes are enough); returns <buf>. */
const char *dfl_ip4__fmt(uint32_t addr, char *buf, size_t len);
/* Parses a dotted quad; returns 0 or -EINVAL. */
int dfl_ip4__parse(const char *s, uint32_t *addr);

#endif
