#include <stdarg.h>
#include <stdio.h>

#include "util/log.h"

static enum dfl_log_level log_level = DFL_LOG_WARN;
static const char *log_prefix;

void dfl_log_set_level(enum dfl_log_level level)
{
	log_level = level;
}

enum dfl_log_level dfl_log_get_level(void)
{
	return log_level;
}

void dfl_log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

void dfl_log(enum dfl_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	if (log_prefix)
		fprintf(stderr, "%s: ", log_prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
