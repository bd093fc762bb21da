/* The flow exporter: Hubble's flow logs (--hubble-export-file-path and the
 * flowLogs configuration), written so that nothing is lost silently and no
 * crash leaves a line readers choke on.
 *
 * - One JSON line per record (flow/json.h), appended with O_APPEND. Each
 *   write() carries whole lines only; on open, a torn last line left by a
 *   crash or power loss is cut off (and reported).
 * - Rotation by size to "<name>-<UTC 2006-01-02T15-04-05.000><ext>", keeping
 *   max_backups rotated files, optionally gzipped (lumberjack's scheme).
 * - Filters (include = allowlist, exclude = denylist) and a field mask.
 * - dfl_exporter__export() encodes in the caller's thread and queues the line
 *   for a writer thread; it never waits for the disk. When the queue is full
 *   the record is dropped and counted, and the writer puts a lost_events
 *   line (source OBSERVER_EVENTS_QUEUE) in the file at that point.
 * - Each segment has a hash-chain manifest beside it (flow/chain.h) that
 *   `deflector audit verify` checks.
 *
 * Thread safety: export(), report_lost(), flush() and stats() may be called
 * from any threads at once. */
#ifndef DFL_FLOW_EXPORTER_H
#define DFL_FLOW_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/filter.h"
#include "flow/flow-t.h"

struct dfl_exporter_config {
	const char *name;      /* for messages ("drops"); may be NULL */
	const char *file_path; /* or "stdout": no rotation, no chain */
	unsigned int max_size_mb; /* 0: 10 */
	unsigned int max_backups; /* 0: 5 */
	bool compress;	      /* gzip rotated files */
	const char *const *field_mask; /* Flow field paths; NULL: all */
	size_t n_field_mask;
	/* Borrowed: the exporter copies them with dfl_flow_filters__parse_json
	 * semantics when given as JSON, or takes these (see below). */
	const char *include_json; /* '{"verdict":["DROPPED"]}...' or NULL */
	const char *exclude_json;
	int64_t end_ns;	       /* stop exporting after this time; 0: never */
	const char *node_name; /* for lost_events lines */
	/* deflector's additions */
	bool no_chain;		    /* do not write chain manifests */
	const char *chain_key_file; /* HMAC key (first 64 bytes); NULL: none */
	unsigned int fsync_interval_ms; /* 0: fsync at rotation and close only */
	size_t queue_bytes;		/* writer queue size; 0: 64 MiB */
	uint64_t max_size_bytes; /* overrides max_size_mb when set (tests) */
};

struct dfl_exporter_stats {
	uint64_t exported; /* lines written (flows and lost_events) */
	uint64_t filtered; /* records the filters or the end time left out */
	uint64_t lost;	   /* records dropped (queue full, write errors) */
	uint64_t bytes;
	uint64_t rotations;
	uint64_t torn_bytes_repaired;
};

struct dfl_exporter;

/* Opens (and repairs) the file and starts the writer thread. Returns NULL
 * with errno set and a message naming the file or filter in <err>. */
struct dfl_exporter *dfl_exporter__new(const struct dfl_exporter_config *cfg,
				       char *err, size_t errlen);
/* Takes additional filters (ownership moves; the lists are emptied):
 * for flowLogs configurations, whose filters come from YAML. Call before the
 * first export. */
void dfl_exporter__add_filters(struct dfl_exporter *e,
			       struct dfl_flow_filters *include,
			       struct dfl_flow_filters *exclude);
/* Exports one flow. Returns 0 when queued, 1 when filtered out, -ENOBUFS
 * when dropped because the writer is behind (counted and reported in the
 * file), -ENOMEM. */
int dfl_exporter__export(struct dfl_exporter *e, const struct dfl_flow *f);
/* Records lost before they reached the exporter (perf ring overruns...):
 * written as a lost_events line of <source>. */
void dfl_exporter__report_lost(struct dfl_exporter *e,
			       enum dfl_lost_source source, uint64_t n);
/* Waits until everything queued so far is written (not fsynced). */
int dfl_exporter__flush(struct dfl_exporter *e);
void dfl_exporter__stats(struct dfl_exporter *e, struct dfl_exporter_stats *s);
/* Flushes, seals the chain, fsyncs, stops the threads and frees. */
void dfl_exporter__free(struct dfl_exporter *e);

#endif
