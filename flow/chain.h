/* Hash chain over exported flow lines: the tamper evidence of the export
 * files (docs/flows.md, "Tamper evidence").
 *
 * Each record's digest is SHA-256 of its line (without the newline); the
 * chain value after record n is SHA-256(chain[n-1] || digest[n]), starting
 * from the last chain value of the previous segment (zeros for the first).
 * With a key, both are HMAC-SHA-256 under it, so that nobody without the key
 * can forge a consistent manifest.
 *
 * The chain lives beside each export segment in a text manifest
 * "<segment>.chain" (never in the export lines, which stay exactly what
 * Hubble writes):
 *
 *   deflector-flow-chain 1
 *   alg sha256 | alg hmac-sha256 <key id: 16 hex digits>
 *   prev <64 hex>           chain value the segment starts from
 *   r <32 hex>              one per record, in file order: digest, truncated
 *   c <n> <64 hex>          checkpoint: chain value after record n
 *   recovered <a> <b>       records a..b hashed after a crash, from the file
 *   seal <n> <64 hex>       the segment is complete (rotated or closed)
 */
#ifndef DFL_FLOW_CHAIN_H
#define DFL_FLOW_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define DFL_CHAIN_LEN 32     /* bytes of a digest or chain value */
#define DFL_CHAIN_REC_LEN 16 /* bytes of a digest kept per record */
#define DFL_CHAIN_MAGIC "deflector-flow-chain 1"

struct dfl_chain {
	uint8_t head[DFL_CHAIN_LEN];
	uint64_t n; /* records added */
	uint8_t key[64];
	size_t key_len; /* 0: plain SHA-256 */
};

/* Starts a chain from <prev> (NULL: zeros) with an optional HMAC key of at
 * most 64 bytes. Returns 0 or -EINVAL for a longer key. */
int dfl_chain__init(struct dfl_chain *c, const uint8_t *prev, const void *key,
		    size_t key_len);
/* The digest of one line. */
void dfl_chain__digest(const struct dfl_chain *c, const char *line, size_t len,
		       uint8_t digest[DFL_CHAIN_LEN]);
/* Advances the chain by one record's digest. */
void dfl_chain__step(struct dfl_chain *c, const uint8_t digest[DFL_CHAIN_LEN]);
/* The manifest's "alg" value: "sha256" or "hmac-sha256 <key id>". */
void dfl_chain__alg(const struct dfl_chain *c, char *buf, size_t len);

/* Lower-case hex of <n> bytes into <out> (2n+1 bytes). */
void dfl_hex(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2n hex digits. Returns 0 or -EINVAL. */
int dfl_unhex(const char *in, uint8_t *out, size_t n);

#endif
