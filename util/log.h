/* Logging for the whole tree: pr_warn/pr_info/pr_debug with printf checking.
 * Messages go to stderr; the level is process-wide. */
#ifndef DFL_UTIL_LOG_H
#define DFL_UTIL_LOG_H

enum dfl_log_level {
	DFL_LOG_WARN = 0,
	DFL_LOG_INFO = 1,
	DFL_LOG_DEBUG = 2,
};

void dfl_log_set_level(enum dfl_log_level level);
enum dfl_log_level dfl_log_get_level(void);
/* Prefix every line with <prefix> ("deflector-agent"), or nothing when NULL. */
void dfl_log_set_prefix(const char *prefix);
void dfl_log(enum dfl_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(fmt, ...) dfl_log(DFL_LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) dfl_log(DFL_LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) dfl_log(DFL_LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif
