/* Address -> security identity. */
#ifndef DFL_BPF_IPCACHE_H
#define DFL_BPF_IPCACHE_H

#include "common.h"
#include "maps.h"

/* Identity of <addr> (network order, family 4 or 6); the world identity of
 * that family when no prefix covers it. */
static __always_inline __u32 dfl_ipcache_identity(const __u32 *addr,
						  __u8 family)
{
	struct dfl_ipcache_key key = { .family = family };
	struct dfl_ipcache_entry *e;

	if (family == 4) {
		key.prefixlen = DFL_IPCACHE_STATIC_PREFIX + 32;
		key.addr[0] = addr[0];
	} else {
		key.prefixlen = DFL_IPCACHE_STATIC_PREFIX + 128;
		key.addr[0] = addr[0];
		key.addr[1] = addr[1];
		key.addr[2] = addr[2];
		key.addr[3] = addr[3];
	}
	e = bpf_map_lookup_elem(&dfl_ipcache, &key);
	if (e)
		return e->identity;
	return family == 4 ? cfg_world_id4 : cfg_world_id6;
}

#endif
