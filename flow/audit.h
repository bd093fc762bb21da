/* Audit of exported flow logs: `deflector audit verify` checks segments
 * against their chain manifests and names what was deleted, reordered,
 * edited or inserted; `deflector audit report` counts drops over a time
 * range per source, destination, port, reason and policy. */
#ifndef DFL_FLOW_AUDIT_H
#define DFL_FLOW_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/chain.h"
#include "flow/flow-t.h"
#include "util/strbuf.h"

/* ---- verify ------------------------------------------------------------- */

/* Called once per finding. <problem> is true for evidence of tampering or
 * loss, false for notes (records recovered after a crash, a first segment
 * whose predecessor was deleted by retention). */
typedef void (*dfl_verify_fn)(void *ctx, bool problem, const char *msg);

struct dfl_verify_result {
	uint64_t segments;
	uint64_t records;
	uint64_t problems;
	uint64_t notes;
	bool has_head;
	uint8_t head[DFL_CHAIN_LEN]; /* chain value after the last record */
};

/* Verifies export segments (plain or .gz; ".chain" and ".tmp" arguments are
 * skipped) in chain order, whatever the order given. <key> is the HMAC key
 * of keyed manifests (NULL: none). Returns 0 when it could read everything
 * (look at res->problems), or a negative errno (message through <fn>). */
int dfl_audit__verify(const char *const *files, size_t n, const uint8_t *key,
		      size_t key_len, dfl_verify_fn fn, void *ctx,
		      struct dfl_verify_result *res);

/* ---- report ------------------------------------------------------------- */

enum dfl_report_dim {
	DFL_REPORT_SOURCE,
	DFL_REPORT_DESTINATION,
	DFL_REPORT_PORT,
	DFL_REPORT_REASON,
	DFL_REPORT_POLICY,
	DFL_REPORT_DIMS,
};

struct dfl_report_opts {
	int64_t since, until;	/* 0: open */
	const char *namespace;	/* either side in it; NULL: all */
	bool verdict_dropped;	/* count DROPPED records (the default) */
	bool verdict_audit;	/* count AUDIT records */
};

struct dfl_report;

struct dfl_report *dfl_report__new(const struct dfl_report_opts *opts);
/* Counts one record if it is in range and of a counted verdict. Datapath
 * drops are counted from drop events (and L7 denials from L7 records), not
 * from the policy-verdict event that precedes each; AUDIT records are
 * policy-verdict events and count as they are. */
void dfl_report__add(struct dfl_report *r, const struct dfl_flow_record *rec);
/* Appends the report as "text", "csv" or "json". */
int dfl_report__render(const struct dfl_report *r, const char *format,
		       struct dfl_strbuf *out);
uint64_t dfl_report__total(const struct dfl_report *r);
void dfl_report__free(struct dfl_report *r);

#endif
