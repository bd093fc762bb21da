/* A growable NUL-terminated string. A zeroed struct is an empty buffer. */
#ifndef DFL_UTIL_STRBUF_H
#define DFL_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct dfl_strbuf {
	char *buf; /* NULL until the first append */
	size_t len;
	size_t cap;
	int err; /* first error (-ENOMEM); appends after it do nothing */
};

int dfl_strbuf__append(struct dfl_strbuf *sb, const char *s, size_t len);
int dfl_strbuf__puts(struct dfl_strbuf *sb, const char *s);
int dfl_strbuf__putc(struct dfl_strbuf *sb, char c);
int dfl_strbuf__printf(struct dfl_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dfl_strbuf__vprintf(struct dfl_strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Returns the string ("" when empty); valid until the next append or reset. */
const char *dfl_strbuf__str(const struct dfl_strbuf *sb);
/* Hands the buffer to the caller (free()) and empties <sb>. NULL on error. */
char *dfl_strbuf__detach(struct dfl_strbuf *sb);
void dfl_strbuf__reset(struct dfl_strbuf *sb);
void dfl_strbuf__release(struct dfl_strbuf *sb);

#endif
