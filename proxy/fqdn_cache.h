/* Names learned from DNS answers: (endpoint, name) -> IPs, each with an
 * absolute expiry (wall-clock seconds), so that the agent can rebuild its
 * toFQDNs identities after a restart before the TTLs run out. Saved as one
 * JSON document, written atomically (temporary file + rename). Not
 * thread-safe. */
#ifndef DFL_PROXY_FQDN_CACHE_H
#define DFL_PROXY_FQDN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy-t.h"

struct dfl_fqdn_cache;

struct dfl_fqdn_entry {
	uint32_t endpoint_id;
	const char *name; /* lower-case, dot-terminated */
	struct dfl_ip ip;
	uint64_t expires; /* wall-clock seconds */
};

struct dfl_fqdn_cache *dfl_fqdn_cache__new(void);
void dfl_fqdn_cache__free(struct dfl_fqdn_cache *c);

/* Records that <name> resolved to <ips> for <endpoint_id> at <now> with
 * <ttl> seconds to live. An IP already known keeps the later expiry.
 * Returns 0 or -ENOMEM. */
int dfl_fqdn_cache__update(struct dfl_fqdn_cache *c, uint32_t endpoint_id,
			   const char *name, const struct dfl_ip *ips,
			   size_t n_ips, uint32_t ttl, uint64_t now);

/* Copies up to <cap> live IPs of (endpoint, name) into <out>; returns how
 * many are live (may exceed <cap>). */
size_t dfl_fqdn_cache__lookup(const struct dfl_fqdn_cache *c,
			      uint32_t endpoint_id, const char *name,
			      uint64_t now, struct dfl_ip *out, size_t cap);

/* Drops entries expired at <now>; returns how many. */
size_t dfl_fqdn_cache__expire(struct dfl_fqdn_cache *c, uint64_t now);

size_t dfl_fqdn_cache__count(const struct dfl_fqdn_cache *c);

/* Calls <fn> for every entry (borrowed); stops when it returns non-zero
 * and returns that value. */
int dfl_fqdn_cache__foreach(const struct dfl_fqdn_cache *c,
			    int (*fn)(void *ctx,
				      const struct dfl_fqdn_entry *e),
			    void *ctx);

/* Writes the cache to <path> atomically. Returns 0 or a negative errno. */
int dfl_fqdn_cache__save(const struct dfl_fqdn_cache *c, const char *path);

/* Adds the entries of <path> still live at <now>. A missing file is not an
 * error (nothing to restore). Malformed content gives -EINVAL with a
 * message naming the file and the entry on stderr. */
int dfl_fqdn_cache__load(struct dfl_fqdn_cache *c, const char *path,
			 uint64_t now);

#endif
