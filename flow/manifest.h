/* Reading a segment's chain manifest (format in flow/chain.h). */
#ifndef DFL_FLOW_MANIFEST_H
#define DFL_FLOW_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/chain.h"

struct dfl_manifest_cp {
	uint64_t n; /* records covered */
	uint8_t head[DFL_CHAIN_LEN];
};

struct dfl_manifest_range {
	uint64_t from, to;
};

struct dfl_manifest {
	char alg[64]; /* "sha256" or "hmac-sha256 <key id>" */
	uint8_t prev[DFL_CHAIN_LEN];
	uint8_t (*recs)[DFL_CHAIN_REC_LEN]; /* record n is recs[n - 1] */
	size_t n_recs, cap_recs;
	struct dfl_manifest_cp *cps;
	size_t n_cps, cap_cps;
	struct dfl_manifest_range *recovered;
	size_t n_recovered, cap_recovered;
	bool sealed;
	struct dfl_manifest_cp seal;
	/* Bytes of whole lines; a torn last line (a crash mid-write) is left
	 * out and counted in torn_bytes. */
	size_t valid_bytes;
	size_t torn_bytes;
};

/* Parses a manifest. Returns 0, or -EINVAL with "line N: what" in <err>
 * (an unknown or malformed line: corruption or tampering). */
int dfl_manifest__parse(struct dfl_manifest *m, const char *text, size_t len,
			char *err, size_t errlen);
/* Reads and parses <path>. Returns 0, -errno, or -EINVAL as above. */
int dfl_manifest__load(struct dfl_manifest *m, const char *path, char *err,
		       size_t errlen);
void dfl_manifest__release(struct dfl_manifest *m);

/* "<log>.chain" for a log path, with a ".gz" suffix removed first. */
void dfl_manifest__path_for(const char *log, char *out, size_t len);

#endif
