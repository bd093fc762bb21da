#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/prefix.h"

unsigned int dfl_prefix__bits(const struct dfl_prefix *p)
{
	return p->family == AF_INET ? 32 : 128;
}

void dfl_prefix__mask(struct dfl_prefix *p)
{
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int bit = i * 8;

		if (bit >= p->len)
			p->addr[i] = 0;
		else if (p->len < bit + 8)
			p->addr[i] &= (uint8_t)(0xff << (bit + 8 - p->len));
	}
}

int dfl_prefix__parse(const char *s, struct dfl_prefix *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	len = dfl_prefix__bits(out);
	if (slash) {
		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return -EINVAL;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > dfl_prefix__bits(out))
			return -EINVAL;
	}
	out->len = (uint8_t)len;
	dfl_prefix__mask(out);
	return 0;
}

int dfl_prefix__parse_label(const char *s, struct dfl_prefix *out)
{
	char buf[DFL_PREFIX_STRLEN];
	size_t n = strlen(s);

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (!strchr(buf, '.')) {
		for (char *p = buf; *p; p++)
			if (*p == '-')
				*p = ':';
	}
	return dfl_prefix__parse(buf, out);
}

const char *dfl_prefix__fmt(const struct dfl_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

const char *dfl_prefix__label_key(const struct dfl_prefix *p, char *buf,
				  size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN + 2];
	size_t n = 0;

	if (p->family == AF_INET)
		return dfl_prefix__fmt(p, buf, len);
	if (!inet_ntop(AF_INET6, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (a[0] == ':')
		b[n++] = '0';
	for (const char *c = a; *c; c++)
		b[n++] = *c == ':' ? '-' : *c;
	if (n && b[n - 1] == '-')
		b[n++] = '0';
	b[n] = '\0';
	snprintf(buf, len, "%s/%u", b, p->len);
	return buf;
}

bool dfl_prefix__contains(const struct dfl_prefix *outer,
			  const struct dfl_prefix *inner)
{
	unsigned int full, rem;

	if (outer->family != inner->family || outer->len > inner->len)
		return false;
	full = outer->len / 8;
	rem = outer->len % 8;
	if (memcmp(outer->addr, inner->addr, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((outer->addr[full] & mask) != (inner->addr[full] & mask))
			return false;
	}
	return true;
}

bool dfl_prefix__equal(const struct dfl_prefix *a, const struct dfl_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, 16);
}
