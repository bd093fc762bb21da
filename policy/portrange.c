#include <stdlib.h>

#include "policy/portrange.h"

static struct dfl_masked_port masked(uint16_t port, unsigned int wild_bits)
{
	uint16_t mask = (uint16_t)(0xffffu << wild_bits);

	return (struct dfl_masked_port){ (uint16_t)(port & mask),
					 (uint8_t)(16 - wild_bits) };
}

static int cmp_mp(const void *a, const void *b)
{
	const struct dfl_masked_port *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->prefix_len < y->prefix_len ? -1 : x->prefix_len > y->prefix_len;
}

static unsigned int ctz16(unsigned int v)
{
	return v ? (unsigned int)__builtin_ctz(v) : 16;
}

size_t dfl_port_range_mask(uint16_t start, uint16_t end,
			   struct dfl_masked_port out[32])
{
	unsigned int common, middle_bit, bit;
	uint16_t tail;
	size_t n = 0;

	if (end <= start) {
		out[0] = (struct dfl_masked_port){ start, start ? 16 : 0 };
		return 1;
	}
	common = (unsigned int)__builtin_clz((unsigned int)(start ^ end)) - 16;
	tail = (uint16_t)(0xffffu >> common);
	/* start = ...0000, end = ...1111 below the common bits: one block. */
	if (!(start & tail) && (end & tail) == tail) {
		out[0] = masked(start, 16 - common);
		return 1;
	}
	middle_bit = 15 - common;
	/* From the start up to the middle: the start's trailing zeros are
	 * wildcards, then every zero bit below the middle opens a block. */
	bit = ctz16(start | (1u << middle_bit));
	out[n++] = masked(start, bit);
	for (bit++; bit < middle_bit; bit++)
		if (!(start & (1u << bit)))
			out[n++] = masked((uint16_t)(start + (1u << bit)), bit);
	/* From the end down to the middle, symmetrically with the ones. */
	bit = ctz16((uint16_t)~end | (1u << middle_bit));
	out[n++] = masked(end, bit);
	for (bit++; bit < middle_bit; bit++)
		if (end & (1u << bit))
			out[n++] = masked((uint16_t)(end - (1u << bit)), bit);
	qsort(out, n, sizeof(*out), cmp_mp);
	return n;
}
