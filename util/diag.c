#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

int dfl_diags__addv(struct dfl_diags *d, enum dfl_severity sev,
		    struct dfl_pos pos, const char *path, const char *check_id,
		    const char *object, const char *fmt, va_list ap)
{
	struct dfl_strbuf msg = { 0 };
	struct dfl_diag *diag;

	dfl_strbuf__vprintf(&msg, fmt, ap);
	if (msg.err)
		goto nomem;
	diag = DFL_PUSH(d->items, d->n, d->cap);
	if (!diag)
		goto nomem;
	diag->severity = sev;
	diag->pos = pos;
	diag->message = dfl_strbuf__detach(&msg);
	diag->path = dfl_strdup(path);
	diag->check_id = dfl_strdup(check_id);
	diag->object = dfl_strdup(object);
	if (!diag->message || (path && !diag->path) ||
	    (check_id && !diag->check_id) || (object && !diag->object))
		return -ENOMEM; /* kept in the list; freed by release */
	return 0;
nomem:
	dfl_strbuf__release(&msg);
	return -ENOMEM;
}

int dfl_diags__add(struct dfl_diags *d, enum dfl_severity sev,
		   struct dfl_pos pos, const char *path, const char *check_id,
		   const char *object, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = dfl_diags__addv(d, sev, pos, path, check_id, object, fmt, ap);
	va_end(ap);
	return err;
}

int dfl_diags__move(struct dfl_diags *dst, struct dfl_diags *src)
{
	void *items = dst->items;

	if (!src->n)
		return 0;
	if (dfl_grow(&items, &dst->cap, dst->n + src->n, sizeof(*dst->items)))
		return -ENOMEM;
	dst->items = items;
	memcpy(dst->items + dst->n, src->items, src->n * sizeof(*src->items));
	dst->n += src->n;
	free(src->items);
	memset(src, 0, sizeof(*src));
	return 0;
}

static int cmp_diag(const struct dfl_diag *a, const struct dfl_diag *b)
{
	int c = strcmp(a->pos.file ? a->pos.file : "", b->pos.file ? b->pos.file : "");

	if (c)
		return c;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	return 0;
}

void dfl_diags__sort(struct dfl_diags *d)
{
	/* Insertion sort: stable, and lists are short (findings of one run). */
	for (size_t i = 1; i < d->n; i++) {
		struct dfl_diag tmp = d->items[i];
		size_t j = i;

		while (j > 0 && cmp_diag(&d->items[j - 1], &tmp) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = tmp;
	}
}

size_t dfl_diags__count(const struct dfl_diags *d, enum dfl_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += d->items[i].severity == sev;
	return n;
}

void dfl_diags__release(struct dfl_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].path);
		free(d->items[i].message);
		free(d->items[i].check_id);
		free(d->items[i].object);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

const char *dfl_pos__fmt(struct dfl_pos pos, char *buf, size_t len)
{
	const char *file = pos.file ? pos.file : "<unknown>";

	if (pos.line)
		snprintf(buf, len, "%s:%u:%u", file, pos.line, pos.col);
	else
		snprintf(buf, len, "%s", file);
	return buf;
}

const char *dfl_severity__name(enum dfl_severity sev)
{
	switch (sev) {
	case DFL_SEV_ERROR:
		return "error";
	case DFL_SEV_WARNING:
		return "warning";
	case DFL_SEV_NOTE:
		return "note";
	}
	return "unknown";
}

void dfl_diag__print(FILE *out, const struct dfl_diag *diag)
{
	char where[512];

	fprintf(out, "%s: %s: ", dfl_pos__fmt(diag->pos, where, sizeof(where)),
		dfl_severity__name(diag->severity));
	if (diag->path)
		fprintf(out, "%s: ", diag->path);
	fputs(diag->message, out);
	if (diag->check_id)
		fprintf(out, " [%s]", diag->check_id);
	fputc('\n', out);
}
