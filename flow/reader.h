/* Reading export lines back: a line reader over files (plain or gzip),
 * stdin or a stream socket, and the record sources `deflector observe` and
 * `deflector audit` consume.
 *
 * Errors name the place: "events.log:17: byte 2345: flow.l4.TCP.source_port:
 * 70000 is out of range". A bad line is reported and skipped; reading goes
 * on with the next one. */
#ifndef DFL_FLOW_READER_H
#define DFL_FLOW_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow-t.h"

/* Longest line the reader accepts (Hubble stops at 64 KiB; we read more,
 * so that an over-long line is reported and skipped, not fatal). */
#define DFL_READER_LINE_MAX (1024 * 1024)

struct dfl_line_reader;

/* Opens <path> ("-" for stdin); gzip files are decompressed transparently.
 * Returns NULL with errno set. */
struct dfl_line_reader *dfl_line_reader__open(const char *path);
/* Reads from <fd> (a pipe or stream socket), which the reader owns and
 * closes. <name> labels messages. */
struct dfl_line_reader *dfl_line_reader__fdopen(int fd, const char *name);
/* Next line without its newline in *line (valid until the next call).
 * Returns 1, 0 at the end, -E2BIG for a line over DFL_READER_LINE_MAX (it is
 * skipped; the next call goes on after it), or another negative errno on a
 * read error. A last line without a newline is returned with
 * dfl_line_reader__unterminated() true: a torn write. */
int dfl_line_reader__next(struct dfl_line_reader *r, const char **line,
			  size_t *len);
/* 1-based number and 0-based byte offset (in the decompressed stream) of
 * the line last returned. */
uint64_t dfl_line_reader__line_no(const struct dfl_line_reader *r);
uint64_t dfl_line_reader__offset(const struct dfl_line_reader *r);
bool dfl_line_reader__unterminated(const struct dfl_line_reader *r);
const char *dfl_line_reader__name(const struct dfl_line_reader *r);
void dfl_line_reader__close(struct dfl_line_reader *r);

/* True for the files an exporter keeps beside its segments (".chain"
 * manifests, ".tmp" files of a compression under way): globs like
 * "events*" catch them, and readers of records skip them. */
bool dfl_flow_file__is_sidecar(const char *path);

/* A stream of records. Today: export files and stdin; the agent's control
 * socket streams the same lines and is wrapped with
 * dfl_flow_source__from_fd() once connected. */
struct dfl_flow_source;

struct dfl_flow_source *dfl_flow_source__open(const char *path);
struct dfl_flow_source *dfl_flow_source__from_fd(int fd, const char *name);
/* Next record. Returns 1 with *rec filled (release it with
 * dfl_flow_record__release()) and *raw and *raw_len the line it came from
 * (valid until the next call); 0 at the end; -EINVAL for a line that did
 * not decode (message from dfl_flow_source__error(); call again to go on);
 * another negative errno when reading failed for good. */
int dfl_flow_source__next(struct dfl_flow_source *s,
			  struct dfl_flow_record *rec, const char **raw,
			  size_t *raw_len);
/* "FILE:LINE: byte OFFSET: [path: ]message" of the last failure. */
const char *dfl_flow_source__error(const struct dfl_flow_source *s);
void dfl_flow_source__close(struct dfl_flow_source *s);

#endif
