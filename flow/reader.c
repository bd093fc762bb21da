/* Line reader and record sources (flow/reader.h). zlib's gz* functions read
 * plain and gzip files alike, so rotated .gz segments need no special case. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "flow/json.h"
#include "flow/reader.h"

struct dfl_line_reader {
	gzFile gz;
	char *name;
	char *buf;
	size_t cap;   /* allocated */
	size_t start; /* first unread byte */
	size_t end;   /* end of valid data */
	bool eof;
	bool unterminated;
	uint64_t line_no;
	uint64_t consumed; /* stream offset of buf[0] */
	uint64_t line_off;
};

static struct dfl_line_reader *reader_new(gzFile gz, const char *name)
{
	struct dfl_line_reader *r = calloc(1, sizeof(*r));

	if (!r)
		goto fail;
	r->gz = gz;
	r->name = strdup(name);
	r->cap = 64 * 1024;
	r->buf = malloc(r->cap);
	if (!r->name || !r->buf)
		goto fail;
	gzbuffer(gz, 128 * 1024);
	return r;
fail:
	if (r) {
		free(r->name);
		free(r->buf);
		free(r);
	}
	gzclose(gz);
	errno = ENOMEM;
	return NULL;
}

struct dfl_line_reader *dfl_line_reader__open(const char *path)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) :
				     dup(STDIN_FILENO);
	gzFile gz;

	if (fd < 0)
		return NULL;
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	return reader_new(gz, strcmp(path, "-") ? path : "<stdin>");
}

struct dfl_line_reader *dfl_line_reader__fdopen(int fd, const char *name)
{
	gzFile gz = gzdopen(fd, "rb");

	if (!gz) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	return reader_new(gz, name);
}

/* Reads more data after buf[end]; returns bytes read, 0 at EOF, <0 error. */
static int fill(struct dfl_line_reader *r)
{
	int n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->consumed += r->start;
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		size_t ncap = r->cap * 2;
		char *nb;

		if (ncap > DFL_READER_LINE_MAX + 1)
			ncap = DFL_READER_LINE_MAX + 1;
		if (ncap == r->cap)
			return -E2BIG;
		nb = realloc(r->buf, ncap);
		if (!nb)
			return -ENOMEM;
		r->buf = nb;
		r->cap = ncap;
	}
	n = gzread(r->gz, r->buf + r->end, (unsigned int)(r->cap - r->end));
	if (n < 0) {
		int zerr;

		gzerror(r->gz, &zerr);
		return zerr == Z_ERRNO ? -errno : -EIO;
	}
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return n;
}

int dfl_line_reader__next(struct dfl_line_reader *r, const char **line,
			  size_t *len)
{
	size_t scanned = 0;
	bool skipping = false;
	int ret;

	for (;;) {
		char *nl = memchr(r->buf + r->start + scanned, '\n',
				  r->end - r->start - scanned);

		if (nl) {
			size_t n = (size_t)(nl - (r->buf + r->start));

			r->line_no++;
			if (!skipping)
				r->line_off = r->consumed + r->start;
			r->unterminated = false;
			*line = r->buf + r->start;
			*len = n;
			r->start += n + 1;
			if (skipping)
				return -E2BIG;
			return 1;
		}
		scanned = r->end - r->start;
		if (r->eof) {
			if (!scanned && !skipping)
				return 0;
			r->line_no++;
			if (!skipping)
				r->line_off = r->consumed + r->start;
			r->unterminated = true;
			*line = r->buf + r->start;
			*len = scanned;
			r->start = r->end;
			return skipping ? -E2BIG : 1;
		}
		ret = fill(r);
		if (ret == -E2BIG) {
			/* drop what we have of the over-long line, keep
			 * looking for its end */
			if (!skipping)
				r->line_off = r->consumed + r->start;
			skipping = true;
			r->consumed += r->end;
			r->start = r->end = 0;
			scanned = 0;
			continue;
		}
		if (ret < 0)
			return ret;
		/* fill() moved the unread bytes to the front: <scanned>
		 * still counts the ones already searched */
	}
}

uint64_t dfl_line_reader__line_no(const struct dfl_line_reader *r)
{
	return r->line_no;
}

uint64_t dfl_line_reader__offset(const struct dfl_line_reader *r)
{
	return r->line_off;
}

bool dfl_line_reader__unterminated(const struct dfl_line_reader *r)
{
	return r->unterminated;
}

const char *dfl_line_reader__name(const struct dfl_line_reader *r)
{
	return r->name;
}

void dfl_line_reader__close(struct dfl_line_reader *r)
{
	if (!r)
		return;
	gzclose(r->gz);
	free(r->name);
	free(r->buf);
	free(r);
}

bool dfl_flow_file__is_sidecar(const char *path)
{
	size_t n = strlen(path);

	return (n > 6 && !strcmp(path + n - 6, ".chain")) ||
	       (n > 4 && !strcmp(path + n - 4, ".tmp"));
}

/* ---- record sources ----------------------------------------------------- */

struct dfl_flow_source {
	struct dfl_line_reader *lr;
	char error[512];
};

static struct dfl_flow_source *source_new(struct dfl_line_reader *lr)
{
	struct dfl_flow_source *s;

	if (!lr)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		dfl_line_reader__close(lr);
		return NULL;
	}
	s->lr = lr;
	return s;
}

struct dfl_flow_source *dfl_flow_source__open(const char *path)
{
	return source_new(dfl_line_reader__open(path));
}

struct dfl_flow_source *dfl_flow_source__from_fd(int fd, const char *name)
{
	return source_new(dfl_line_reader__fdopen(fd, name));
}

int dfl_flow_source__next(struct dfl_flow_source *s,
			  struct dfl_flow_record *rec, const char **raw,
			  size_t *raw_len)
{
	struct dfl_json_error jerr;
	const char *line;
	size_t len;
	int ret;

	for (;;) {
		ret = dfl_line_reader__next(s->lr, &line, &len);
		if (ret == 0)
			return 0;
		if (ret == -E2BIG) {
			snprintf(s->error, sizeof(s->error),
				 "%s:%llu: byte %llu: line longer than %d bytes",
				 dfl_line_reader__name(s->lr),
				 (unsigned long long)dfl_line_reader__line_no(s->lr),
				 (unsigned long long)dfl_line_reader__offset(s->lr),
				 DFL_READER_LINE_MAX);
			return -EINVAL;
		}
		if (ret < 0) {
			snprintf(s->error, sizeof(s->error), "%s: read error: %s",
				 dfl_line_reader__name(s->lr), strerror(-ret));
			return ret;
		}
		/* blank lines carry nothing (a trailing newline pair) */
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		break;
	}
	ret = dfl_flow_record__from_json(line, len, rec, &jerr);
	if (ret == -EINVAL) {
		snprintf(s->error, sizeof(s->error),
			 "%s:%llu: byte %llu: %s%s%s%s",
			 dfl_line_reader__name(s->lr),
			 (unsigned long long)dfl_line_reader__line_no(s->lr),
			 (unsigned long long)(dfl_line_reader__offset(s->lr) +
					      jerr.offset),
			 jerr.path, *jerr.path ? ": " : "", jerr.text,
			 dfl_line_reader__unterminated(s->lr) ?
				 " (last line has no newline: torn write?)" :
				 "");
		return -EINVAL;
	}
	if (ret < 0) {
		snprintf(s->error, sizeof(s->error), "%s:%llu: %s",
			 dfl_line_reader__name(s->lr),
			 (unsigned long long)dfl_line_reader__line_no(s->lr),
			 strerror(-ret));
		return ret;
	}
	*raw = line;
	*raw_len = len;
	return 1;
}

const char *dfl_flow_source__error(const struct dfl_flow_source *s)
{
	return s->error;
}

void dfl_flow_source__close(struct dfl_flow_source *s)
{
	if (!s)
		return;
	dfl_line_reader__close(s->lr);
	free(s);
}
