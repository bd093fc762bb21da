#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/fqdn_cache.h"
#include "util/log.h"
#include "util/mem.h"

#define FORMAT_VERSION 1

struct ip_ent {
	struct dfl_ip ip;
	uint64_t expires;
};

/* One (endpoint, name) with its IPs, chained in a hash bucket. */
struct name_ent {
	struct name_ent *next;
	uint32_t endpoint_id;
	char *name;
	struct ip_ent *ips;
	size_t n_ips, cap_ips;
};

struct dfl_fqdn_cache {
	struct name_ent **buckets;
	size_t n_buckets;
	size_t n_names;
	size_t n_entries;
};

static uint64_t hash(uint32_t ep, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ ep;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	return h;
}

struct dfl_fqdn_cache *dfl_fqdn_cache__new(void)
{
	struct dfl_fqdn_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->n_buckets = 256;
	c->buckets = calloc(c->n_buckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	return c;
}

static void name_free(struct name_ent *n)
{
	free(n->name);
	free(n->ips);
	free(n);
}

void dfl_fqdn_cache__free(struct dfl_fqdn_cache *c)
{
	if (!c)
		return;
	for (size_t b = 0; b < c->n_buckets; b++) {
		while (c->buckets[b]) {
			struct name_ent *n = c->buckets[b];

			c->buckets[b] = n->next;
			name_free(n);
		}
	}
	free(c->buckets);
	free(c);
}

static struct name_ent **find(const struct dfl_fqdn_cache *c, uint32_t ep,
			      const char *name)
{
	struct name_ent **pp = &c->buckets[hash(ep, name) % c->n_buckets];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->endpoint_id == ep && !strcmp((*pp)->name, name))
			break;
	return pp;
}

static void grow(struct dfl_fqdn_cache *c)
{
	size_t nb = c->n_buckets * 4;
	struct name_ent **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* stay slower, not wrong */
	for (size_t i = 0; i < c->n_buckets; i++) {
		while (c->buckets[i]) {
			struct name_ent *n = c->buckets[i];
			size_t k = hash(n->endpoint_id, n->name) % nb;

			c->buckets[i] = n->next;
			n->next = b[k];
			b[k] = n;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = nb;
}

static bool ip_eq(const struct dfl_ip *a, const struct dfl_ip *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET6 ? 16 : 4);
}

static int add(struct dfl_fqdn_cache *c, uint32_t ep, const char *name,
	       const struct dfl_ip *ip, uint64_t expires)
{
	struct name_ent **pp = find(c, ep, name), *n = *pp;
	struct ip_ent *e;

	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n || !(n->name = strdup(name))) {
			free(n);
			return -ENOMEM;
		}
		n->endpoint_id = ep;
		*pp = n;
		c->n_names++;
	}
	for (size_t i = 0; i < n->n_ips; i++) {
		if (ip_eq(&n->ips[i].ip, ip)) {
			if (expires > n->ips[i].expires)
				n->ips[i].expires = expires;
			return 0;
		}
	}
	e = DFL_PUSH(n->ips, n->n_ips, n->cap_ips);
	if (!e)
		return -ENOMEM;
	e->ip = *ip;
	e->expires = expires;
	c->n_entries++;
	return 0;
}

int dfl_fqdn_cache__update(struct dfl_fqdn_cache *c, uint32_t endpoint_id,
			   const char *name, const struct dfl_ip *ips,
			   size_t n_ips, uint32_t ttl, uint64_t now)
{
	for (size_t i = 0; i < n_ips; i++) {
		int err = add(c, endpoint_id, name, &ips[i], now + ttl);

		if (err)
			return err;
	}
	if (c->n_names > 2 * c->n_buckets)
		grow(c);
	return 0;
}

size_t dfl_fqdn_cache__lookup(const struct dfl_fqdn_cache *c,
			      uint32_t endpoint_id, const char *name,
			      uint64_t now, struct dfl_ip *out, size_t cap)
{
	const struct name_ent *n = *find(c, endpoint_id, name);
	size_t live = 0;

	for (size_t i = 0; n && i < n->n_ips; i++) {
		if (n->ips[i].expires <= now)
			continue;
		if (live < cap)
			out[live] = n->ips[i].ip;
		live++;
	}
	return live;
}

size_t dfl_fqdn_cache__expire(struct dfl_fqdn_cache *c, uint64_t now)
{
	size_t dropped = 0;

	for (size_t b = 0; b < c->n_buckets; b++) {
		struct name_ent **pp = &c->buckets[b];

		while (*pp) {
			struct name_ent *n = *pp;
			size_t k = 0;

			for (size_t i = 0; i < n->n_ips; i++)
				if (n->ips[i].expires > now)
					n->ips[k++] = n->ips[i];
			dropped += n->n_ips - k;
			c->n_entries -= n->n_ips - k;
			n->n_ips = k;
			if (k) {
				pp = &n->next;
				continue;
			}
			*pp = n->next;
			name_free(n);
			c->n_names--;
		}
	}
	return dropped;
}

size_t dfl_fqdn_cache__count(const struct dfl_fqdn_cache *c)
{
	return c->n_entries;
}

int dfl_fqdn_cache__foreach(const struct dfl_fqdn_cache *c,
			    int (*fn)(void *ctx,
				      const struct dfl_fqdn_entry *e),
			    void *ctx)
{
	for (size_t b = 0; b < c->n_buckets; b++) {
		for (const struct name_ent *n = c->buckets[b]; n; n = n->next) {
			for (size_t i = 0; i < n->n_ips; i++) {
				struct dfl_fqdn_entry e = {
				    n->endpoint_id,
				    n->name,
				    n->ips[i].ip,
				    n->ips[i].expires,
				};
				int r = fn(ctx, &e);

				if (r)
					return r;
			}
		}
	}
	return 0;
}

static int to_json(void *ctx, const struct dfl_fqdn_entry *e)
{
	char ip[INET6_ADDRSTRLEN];
	json_t *o;

	inet_ntop(e->ip.family, e->ip.addr, ip, sizeof(ip));
	o = json_pack("{s:I, s:s, s:s, s:I}", "endpoint",
		      (json_int_t)e->endpoint_id, "name", e->name, "ip", ip,
		      "expires", (json_int_t)e->expires);
	if (!o || json_array_append_new(ctx, o))
		return -ENOMEM;
	return 0;
}

int dfl_fqdn_cache__save(const struct dfl_fqdn_cache *c, const char *path)
{
	json_t *root = json_object(), *arr = json_array();
	char tmp[4096];
	int err = -ENOMEM, fd = -1;
	char *text = NULL;
	size_t len;

	if (!root || !arr ||
	    json_object_set_new(root, "version", json_integer(FORMAT_VERSION)))
		goto out;
	if (json_object_set(root, "entries", arr))
		goto out;
	err = dfl_fqdn_cache__foreach(c, to_json, arr);
	if (err)
		goto out;
	text = json_dumps(root, JSON_COMPACT);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd)) {
		err = errno ? -errno : -EIO;
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		goto out;
	}
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(arr);
	json_decref(root);
	return err;
}

static int parse_ip(const char *s, struct dfl_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->addr) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ip->addr) == 1)
		ip->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

int dfl_fqdn_cache__load(struct dfl_fqdn_cache *c, const char *path,
			 uint64_t now)
{
	json_error_t jerr;
	json_t *root, *entries;
	size_t i;
	int err = 0;

	root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (access(path, F_OK) && errno == ENOENT)
			return 0;
		pr_warn("%s:%d:%d: %s\n", path, jerr.line, jerr.column,
			jerr.text);
		return -EINVAL;
	}
	entries = json_object_get(root, "entries");
	if (json_integer_value(json_object_get(root, "version")) !=
		FORMAT_VERSION ||
	    !json_is_array(entries)) {
		pr_warn("%s: not a deflector FQDN state file (version %d)\n",
			path, FORMAT_VERSION);
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < json_array_size(entries); i++) {
		json_t *e = json_array_get(entries, i);
		json_int_t ep = -1, expires = -1;
		const char *name = NULL, *ips = NULL;
		struct dfl_ip ip;

		if (json_unpack(e, "{s:I, s:s, s:s, s:I}", "endpoint", &ep,
				"name", &name, "ip", &ips, "expires",
				&expires) ||
		    ep < 0 || ep > UINT32_MAX || expires < 0 ||
		    parse_ip(ips, &ip)) {
			pr_warn("%s: entries[%zu]: needs endpoint, name, ip "
				"and expires\n",
				path, i);
			err = -EINVAL;
			goto out;
		}
		if ((uint64_t)expires <= now)
			continue;
		err = add(c, (uint32_t)ep, name, &ip, (uint64_t)expires);
		if (err)
			goto out;
	}
	if (c->n_names > 2 * c->n_buckets)
		grow(c);
out:
	json_decref(root);
	return err;
}
