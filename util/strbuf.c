#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strbuf.h"

static int reserve(struct dfl_strbuf *sb, size_t extra)
{
	void *buf = sb->buf;

	if (sb->err)
		return sb->err;
	if (dfl_grow(&buf, &sb->cap, sb->len + extra + 1, 1)) {
		sb->err = -ENOMEM;
		return sb->err;
	}
	sb->buf = buf;
	return 0;
}

int dfl_strbuf__append(struct dfl_strbuf *sb, const char *s, size_t len)
{
	int err = reserve(sb, len);

	if (err)
		return err;
	memcpy(sb->buf + sb->len, s, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int dfl_strbuf__puts(struct dfl_strbuf *sb, const char *s)
{
	return dfl_strbuf__append(sb, s, strlen(s));
}

int dfl_strbuf__putc(struct dfl_strbuf *sb, char c)
{
	return dfl_strbuf__append(sb, &c, 1);
}

int dfl_strbuf__vprintf(struct dfl_strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, err;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return sb->err = -EINVAL;
	err = reserve(sb, (size_t)n);
	if (err)
		return err;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int dfl_strbuf__printf(struct dfl_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = dfl_strbuf__vprintf(sb, fmt, ap);
	va_end(ap);
	return err;
}

const char *dfl_strbuf__str(const struct dfl_strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *dfl_strbuf__detach(struct dfl_strbuf *sb)
{
	char *s;

	if (sb->err) {
		dfl_strbuf__release(sb);
		return NULL;
	}
	s = sb->buf ? sb->buf : strdup("");
	memset(sb, 0, sizeof(*sb));
	return s;
}

void dfl_strbuf__reset(struct dfl_strbuf *sb)
{
	sb->len = 0;
	sb->err = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void dfl_strbuf__release(struct dfl_strbuf *sb)
{
	free(sb->buf);
	memset(sb, 0, sizeof(*sb));
}
