/* Port ranges as LPM keys (§8.8): [start, end] becomes a set of
 * (port, prefix length) pairs, prefix length 16 being one exact port. */
#ifndef DFL_POLICY_PORTRANGE_H
#define DFL_POLICY_PORTRANGE_H

#include <stddef.h>
#include <stdint.h>

struct dfl_masked_port {
	uint16_t port;	  /* low (16 - prefix_len) bits cleared */
	uint8_t prefix_len; /* 0..16 */
};

/* Writes the masked ports covering [start, end] to <out> (room for 32) and
 * returns their number, smallest port first. Follows Cilium's
 * PortRangeToMaskedPorts: end <= start is the single port <start> (prefix
 * 16, or 0 when start is 0: all ports); an aligned power-of-two block is one
 * key; otherwise blocks approach the highest differing bit from both ends. */
size_t dfl_port_range_mask(uint16_t start, uint16_t end,
			   struct dfl_masked_port out[32]);

#endif
