#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "agent/naming.h"

/* Kubernetes' rand.SafeEncodeString alphabet: no vowels, no confusable
 * characters, so generated names spell no words. */
static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";

uint64_t dfl_fnv1a64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	/* The NUL is hashed too, so ("ab", "c") and ("a", "bc") differ. */
	return dfl_fnv1a64(h, s ? s : "", strlen(s ? s : "") + 1);
}

void dfl_endpoint__names(const char *node, const char *ns, const char *name,
			 unsigned int attempt, char netns[DFL_NETNS_NAME_MAX],
			 char ifname[DFL_IFNAME_MAX])
{
	uint64_t h = DFL_FNV64_INIT;

	h = hash_str(h, node);
	h = hash_str(h, ns);
	h = hash_str(h, name);
	h = dfl_fnv1a64(h, &attempt, sizeof(attempt));
	/* 48 bits: 12 hex digits fill "lxc" up to IFNAMSIZ - 1. */
	snprintf(netns, DFL_NETNS_NAME_MAX, "dfl-%012llx",
		 (unsigned long long)(h >> 16));
	snprintf(ifname, DFL_IFNAME_MAX, "lxc%012llx",
		 (unsigned long long)(h >> 16));
}

static uint32_t fnv1a32(uint32_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : "");; p++) {
		h ^= *p;
		h *= 16777619u;
		if (!*p)
			break;
	}
	return h;
}

void dfl_pod_template__hash(const struct dfl_pod_desc *tmpl, char out[11])
{
	uint32_t h = 2166136261u;
	char num[16];
	size_t i;

	for (i = 0; i < tmpl->labels.n; i++) {
		h = fnv1a32(h, tmpl->labels.items[i].key);
		h = fnv1a32(h, tmpl->labels.items[i].value);
	}
	h = fnv1a32(h, tmpl->image);
	for (i = 0; i < tmpl->n_command; i++)
		h = fnv1a32(h, tmpl->command[i]);
	for (i = 0; i < tmpl->n_ports; i++) {
		snprintf(num, sizeof(num), "%u/%u", tmpl->ports[i].port,
			 tmpl->ports[i].proto);
		h = fnv1a32(h, num);
		h = fnv1a32(h, tmpl->ports[i].name);
	}
	h = fnv1a32(h, tmpl->service_account);
	snprintf(num, sizeof(num), "%u", h);
	for (i = 0; num[i]; i++)
		out[i] = alphanums[(unsigned char)num[i] % (sizeof(alphanums) - 1)];
	out[i] = '\0';
}

void dfl_name__random_suffix(char out[6])
{
	unsigned char r[5];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)random();
	for (size_t i = 0; i < 5; i++)
		out[i] = alphanums[r[i] % (sizeof(alphanums) - 1)];
	out[5] = '\0';
}

int dfl_replica__name(char *out, size_t len, const char *deployment,
		      const char *hash, const char *suffix)
{
	char base[64];
	int n;

	/* names.SimpleNameGenerator: maxGeneratedNameLength = 63 - 5. */
	snprintf(base, sizeof(base), "%s-%s-", deployment, hash);
	base[58] = '\0';
	n = snprintf(out, len, "%s%s", base, suffix);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static const char *check_label(const char *s, size_t len, size_t max)
{
	if (len == 0)
		return "must not be empty";
	if (len > max)
		return "must be no more than 63 characters";
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			return "must be lower case";
		if (!is_alnum(s[i]) && s[i] != '-')
			return "may only contain a-z, 0-9 and '-'";
	}
	if (!is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return "must start and end with a letter or digit";
	return NULL;
}

const char *dfl_k8s__check_label(const char *s)
{
	if (!s)
		return "must not be empty";
	if (strchr(s, '.'))
		return "may only contain a-z, 0-9 and '-'";
	return check_label(s, strlen(s), 63);
}

const char *dfl_k8s__check_subdomain(const char *s)
{
	const char *p, *dot;
	const char *msg;

	if (!s || !*s)
		return "must not be empty";
	if (strlen(s) > 253)
		return "must be no more than 253 characters";
	for (p = s;; p = dot + 1) {
		dot = strchr(p, '.');
		msg = check_label(p, dot ? (size_t)(dot - p) : strlen(p), 253);
		if (msg)
			return msg;
		if (!dot)
			return NULL;
	}
}

static bool is_alnum_any(char c)
{
	return is_alnum(c) || (c >= 'A' && c <= 'Z');
}

static const char *check_qualified(const char *s, size_t len)
{
	if (len > 63)
		return "must be no more than 63 characters";
	for (size_t i = 0; i < len; i++)
		if (!is_alnum_any(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return "may only contain A-Z, a-z, 0-9, '-', '_' and '.'";
	if (len && (!is_alnum_any(s[0]) || !is_alnum_any(s[len - 1])))
		return "must start and end with a letter or digit";
	return NULL;
}

const char *dfl_k8s__check_label_key(const char *s)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	const char *name = slash ? slash + 1 : s;
	char prefix[254];

	if (!s || !*name)
		return "must have a name";
	if (slash) {
		if ((size_t)(slash - s) >= sizeof(prefix))
			return "prefix must be no more than 253 characters";
		memcpy(prefix, s, (size_t)(slash - s));
		prefix[slash - s] = '\0';
		if (dfl_k8s__check_subdomain(prefix))
			return "prefix must be a DNS subdomain (a-z, 0-9, '-', '.')";
	}
	return check_qualified(name, strlen(name));
}

const char *dfl_k8s__check_label_value(const char *s)
{
	return check_qualified(s ? s : "", strlen(s ? s : ""));
}
