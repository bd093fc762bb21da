/* Hubble's JSON for flow records: the exporter's and `hubble observe -o json`'s
 * line format, one protojson-encoded observer.ExportEvent per line
 * ({"flow":{...},"node_name":"...","time":"..."}), byte for byte: proto field
 * names in declaration order, zero values omitted, enums by name, uint64 as
 * strings, HTML characters escaped as encoding/json does, timestamps in UTC
 * with 0, 3, 6 or 9 fractional digits. See docs/flows.md. */
#ifndef DFL_FLOW_JSON_H
#define DFL_FLOW_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow-t.h"
#include "util/strbuf.h"

struct dfl_fieldmask;

/* The longest line (without its newline) that `hubble observe --input-file`
 * reads: bufio.Scanner's 64 KiB token limit. */
#define DFL_FLOW_LINE_MAX 65535

/* Appends one export line for <f>, newline included, to <out>. <mask> (may be
 * NULL) keeps only the selected fields of the flow; the envelope's time and
 * node_name are always written. A record that would exceed
 * DFL_FLOW_LINE_MAX sheds bulk (HTTP headers, labels, names) and then
 * truncates strings until it fits. Returns 0 or -ENOMEM. */
int dfl_flow__to_json_line(const struct dfl_flow *f,
			   const struct dfl_fieldmask *mask,
			   struct dfl_strbuf *out);
/* Appends a lost-events line:
 * {"lost_events":{"source":...,"num_events_lost":"N"},"node_name":...,"time":...} */
int dfl_lost_events__to_json_line(const struct dfl_lost_events *l,
				  int64_t time_ns, const char *node_name,
				  struct dfl_strbuf *out);

/* Appends <ns> (since the epoch) as protojson writes a Timestamp, quoted:
 * "2026-07-24T15:03:54.062417Z". */
void dfl_json__put_time(struct dfl_strbuf *out, int64_t ns);
/* Appends <s> as a JSON string with encoding/json's escaping (HTML
 * characters, U+2028/2029); invalid UTF-8 becomes U+FFFD. */
void dfl_json__put_string(struct dfl_strbuf *out, const char *s);
/* Parses an RFC 3339 timestamp ("2026-07-24T15:03:54.062417Z", any offset,
 * 0-9 fractional digits) into ns since the epoch. Returns 0 or -EINVAL. */
int dfl_json__parse_time(const char *s, int64_t *ns);

/* Where a line failed to decode. */
struct dfl_json_error {
	size_t offset;	/* byte offset in the line (0-based) */
	char path[128]; /* "flow.l4.TCP.source_port", or "" */
	char text[200];
};

/* Decodes one line (no newline needed; <len> bytes, need not be
 * NUL-terminated) into <rec>, which the caller releases with
 * dfl_flow_record__release(). Proto and lowerCamel field names are both
 * accepted, enums as names or numbers, uint64 as strings or numbers; unknown
 * fields are skipped (as `hubble observe --input-file` does on its retry).
 * Returns 0, -EINVAL with <err> filled (syntax error, wrong type, value out
 * of range), or -ENOMEM. Never reads past <len>. */
int dfl_flow_record__from_json(const char *line, size_t len,
			       struct dfl_flow_record *rec,
			       struct dfl_json_error *err);
void dfl_flow_record__release(struct dfl_flow_record *rec);

#endif
