#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ipam.h"

int dfl_ip4__parse(const char *s, uint32_t *addr)
{
	struct in_addr in;

	/* inet_pton accepts exactly four decimal octets, no leading zeros
	 * tricks (unlike inet_aton). */
	if (!s || inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*addr = ntohl(in.s_addr);
	return 0;
}

const char *dfl_ip4__fmt(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}

static uint32_t mask_of(uint8_t plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

int dfl_cidr4__parse(const char *s, uint32_t *net, uint8_t *plen, char *err,
		     size_t errlen)
{
	char addr[INET_ADDRSTRLEN + 1], fixed[INET_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	char *end;
	unsigned long len;
	uint32_t a;

	if (!slash || (size_t)(slash - s) >= sizeof(addr)) {
		snprintf(err, errlen, "'%s' is not a CIDR (want a.b.c.d/len)",
			 s ? s : "");
		return -EINVAL;
	}
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (dfl_ip4__parse(addr, &a)) {
		snprintf(err, errlen, "'%s': '%s' is not an IPv4 address", s,
			 addr);
		return -EINVAL;
	}
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || len > 32 || slash[1] == '+' ||
	    slash[1] == '-') {
		snprintf(err, errlen, "'%s': prefix length '%s' is not 0-32", s,
			 slash + 1);
		return -EINVAL;
	}
	if (a & ~mask_of((uint8_t)len)) {
		snprintf(err, errlen, "'%s' has host bits set (did you mean %s/%lu?)",
			 s, dfl_ip4__fmt(a & mask_of((uint8_t)len), fixed,
					 sizeof(fixed)), len);
		return -EINVAL;
	}
	*net = a;
	*plen = (uint8_t)len;
	return 0;
}

int dfl_ipam__init(struct dfl_ipam *ipam, const char *cidr,
		   bool reserve_gateway, char *err, size_t errlen)
{
	uint32_t net, bcast;
	uint8_t plen;
	int ret;

	memset(ipam, 0, sizeof(*ipam));
	ret = dfl_cidr4__parse(cidr, &net, &plen, err, errlen);
	if (ret)
		return ret;
	if (plen < 8 || plen > 30) {
		snprintf(err, errlen,
			 "'%s': prefix length must be 8-30 (room for a gateway and pods)",
			 cidr);
		return -EINVAL;
	}
	bcast = net | ~mask_of(plen);
	ret = dfl_idpool__init(&ipam->pool, net + 1, bcast - 1);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	ipam->net = net;
	ipam->plen = plen;
	if (reserve_gateway) {
		ipam->gateway = net + 1;
		dfl_idpool__claim(&ipam->pool, ipam->gateway);
		ipam->pool.cursor = 1;
	}
	return 0;
}

void dfl_ipam__release(struct dfl_ipam *ipam)
{
	if (!ipam)
		return;
	dfl_idpool__release(&ipam->pool);
	memset(ipam, 0, sizeof(*ipam));
}

int dfl_ipam__alloc(struct dfl_ipam *ipam, uint32_t *addr)
{
	return dfl_idpool__alloc_next(&ipam->pool, addr);
}

int dfl_ipam__claim(struct dfl_ipam *ipam, uint32_t addr)
{
	if (ipam->gateway && addr == ipam->gateway)
		return -ERANGE;
	return dfl_idpool__claim(&ipam->pool, addr);
}

int dfl_ipam__free(struct dfl_ipam *ipam, uint32_t addr)
{
	if (ipam->gateway && addr == ipam->gateway)
		return -ERANGE;
	return dfl_idpool__free(&ipam->pool, addr);
}

uint32_t dfl_ipam__used(const struct dfl_ipam *ipam)
{
	return ipam->pool.used - (ipam->gateway ? 1 : 0);
}

uint32_t dfl_ipam__capacity(const struct dfl_ipam *ipam)
{
	return ipam->pool.hi - ipam->pool.lo + 1 - (ipam->gateway ? 1 : 0);
}
