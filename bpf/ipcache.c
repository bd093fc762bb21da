/* ipcache writes, and parsing of the addresses the API takes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "bpf/internal.h"
#include "util/log.h"

static void dfl_ipcache_key(const struct dfl_dp_prefix *pfx,
			    struct dfl_ipcache_key *key)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = DFL_IPCACHE_STATIC_PREFIX + pfx->len;
	key->family = pfx->family;
	memcpy(key->addr, pfx->addr, sizeof(key->addr));
}

static int dfl_prefix_check(const struct dfl_dp_prefix *pfx)
{
	if (pfx->family == 4)
		return pfx->len <= 32 ? 0 : -EINVAL;
	if (pfx->family == 6)
		return pfx->len <= 128 ? 0 : -EINVAL;
	return -EINVAL;
}

int dfl_datapath__ipcache_upsert(struct dfl_datapath *dp,
				 const struct dfl_dp_prefix *pfx,
				 const struct dfl_ipcache_entry *val)
{
	struct dfl_ipcache_key key;
	int err;

	if (dfl_prefix_check(pfx))
		return -EINVAL;
	dfl_ipcache_key(pfx, &key);
	if (bpf_map_update_elem(dp->ipcache_fd, &key, val, BPF_ANY)) {
		err = -errno;
		pr_warn("datapath: ipcache: cannot map a /%u prefix to identity "
			"%u (%u entries max): %s\n",
			pfx->len, val->identity, dp->opts.ipcache_max,
			dfl_errstr(err));
		return err;
	}
	return 0;
}

int dfl_datapath__ipcache_delete(struct dfl_datapath *dp,
				 const struct dfl_dp_prefix *pfx)
{
	struct dfl_ipcache_key key;

	if (dfl_prefix_check(pfx))
		return -EINVAL;
	dfl_ipcache_key(pfx, &key);
	if (bpf_map_delete_elem(dp->ipcache_fd, &key))
		return -errno;
	return 0;
}

/* Parses a bare address into <addr>; returns the family or -EINVAL. */
static int dfl_addr_parse(const char *s, __u32 addr[4])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 6;
	return -EINVAL;
}

int dfl_dp_prefix__parse(const char *s, struct dfl_dp_prefix *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned long len;
	unsigned char *b = (unsigned char *)out->addr;
	char *end;
	int family;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (slash)
		buf[slash - s] = '\0';
	family = dfl_addr_parse(buf, out->addr);
	if (family < 0)
		return family;
	out->family = family;
	len = family == 4 ? 32 : 128;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end ||
		    len > (family == 4 ? 32u : 128u))
			return -EINVAL;
	}
	out->len = len;
	for (unsigned int bit = len; bit < (family == 4 ? 32u : 128u); bit++)
		if (b[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	return 0;
}

int dfl_dp_sockaddr__parse(const char *s, struct dfl_dp_sockaddr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *colon, *host = buf;
	unsigned long port;
	char *end;
	int family;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strrchr(s, ':');
	if (!colon)
		return -EINVAL;
	buf[colon - s] = '\0';
	if (buf[0] == '[') {
		size_t n = strlen(buf);

		if (n < 2 || buf[n - 1] != ']')
			return -EINVAL;
		buf[n - 1] = '\0';
		host = buf + 1;
	}
	family = dfl_addr_parse(host, out->addr);
	if (family < 0 || (family == 6 && buf[0] != '['))
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535)
		return -EINVAL;
	out->family = family;
	out->port = port;
	return 0;
}
