/* `hubble observe` output: compact (default), dict, table and json/jsonpb,
 * byte for byte as Hubble's printer writes them (see docs/flows.md §Output). */
#ifndef DFL_FLOW_PRINTER_H
#define DFL_FLOW_PRINTER_H

#include <stdbool.h>
#include <stdio.h>

#include "flow/flow-t.h"
#include "util/strbuf.h"

enum dfl_print_format {
	DFL_PRINT_COMPACT = 0,
	DFL_PRINT_JSON, /* json and jsonpb: one export line per record */
	DFL_PRINT_DICT,
	DFL_PRINT_TABLE,
};

/* --time-format layouts */
enum dfl_time_format {
	DFL_TIME_STAMP_MILLI = 0, /* "Jan _2 15:04:05.000", the default */
	DFL_TIME_RFC3339,
	DFL_TIME_RFC3339_MILLI,
	DFL_TIME_RFC3339_MICRO,
	DFL_TIME_RFC3339_NANO,
};

struct dfl_printer_opts {
	enum dfl_print_format format;
	enum dfl_time_format time_format;
	bool node_name; /* --print-node-name */
	bool numeric;	/* --numeric: IPs instead of pod/service names */
};

struct dfl_printer;

/* A printer writing to <out> (not owned). Returns NULL with errno set. */
struct dfl_printer *dfl_printer__new(FILE *out,
				     const struct dfl_printer_opts *opts);
/* Prints one record. <raw> and <raw_len> (may be NULL) is the line the record
 * was decoded from: JSON output writes it back verbatim so that fields
 * deflector does not model survive. Returns 0 or a negative errno. */
int dfl_printer__record(struct dfl_printer *p,
			const struct dfl_flow_record *rec, const char *raw,
			size_t raw_len);
int dfl_printer__flow(struct dfl_printer *p, const struct dfl_flow *f);
/* Flushes (the table is aligned over all its rows) and frees; NULL is fine.
 * Returns 0 or the first write error. */
int dfl_printer__close(struct dfl_printer *p);

/* One compact line, newline included, appended to <out>. */
int dfl_flow__format_compact(const struct dfl_flow *f,
			     const struct dfl_printer_opts *opts,
			     struct dfl_strbuf *out);
/* Hubble's TYPE column: "Policy denied", "http-request",
 * "policy-verdict:L3-L4 INGRESS", "to-endpoint", ... */
int dfl_flow__format_type(const struct dfl_flow *f, struct dfl_strbuf *out);
/* Hubble's VERDICT column: the verdict's name, or ALLOWED/DENIED/AUDITED
 * on policy-verdict events. */
const char *dfl_flow__verdict_word(const struct dfl_flow *f);
/* A timestamp in one of the layouts above ("N/A" for 0). */
void dfl_format_time(int64_t ns, enum dfl_time_format layout,
		     struct dfl_strbuf *out);

#endif
