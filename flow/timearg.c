/* Time arguments of --since/--until, as hubble's hubtime.FromString takes
 * them: a Go duration before now ("5m", "1h30m", "1.5h", "300ms") or an
 * absolute time (RFC 3339 with any fraction, "2026-07-24",
 * "2026-07-24T15Z", "2026-07-24T15:04Z", with Z or an offset). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/json.h"

/* Go's time.ParseDuration for non-negative durations. */
static int parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{ "ns", 1 },	      { "us", 1e3 },	{ "\xc2\xb5s", 1e3 },
		{ "ms", 1e6 },	      { "s", 1e9 },	{ "m", 60e9 },
		{ "h", 3600e9 },
	};
	double total = 0;

	if (!*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t best = 0, i;

		if (end == s || *s == '-' || *s == '+' || v < 0)
			return -EINVAL;
		s = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);

			if (!strncmp(s, units[i].unit, n) &&
			    (!best || n > strlen(units[best - 1].unit)))
				best = i + 1;
		}
		if (!best)
			return -EINVAL;
		total += v * units[best - 1].ns;
		s += strlen(units[best - 1].unit);
	}
	if (total > 9.2e18)
		return -ERANGE;
	*ns = (int64_t)total;
	return 0;
}

int dfl_time__parse_arg(const char *s, int64_t now_ns, int64_t *out)
{
	char buf[64];
	int64_t d;
	size_t n = strlen(s);

	if (!parse_duration(s, &d)) {
		*out = now_ns - d;
		return 0;
	}
	if (!dfl_json__parse_time(s, out))
		return 0;
	if (n >= sizeof(buf) - 8)
		return -EINVAL;
	/* shortened layouts, completed to RFC 3339 */
	if (n == 10) { /* 2006-01-02 */
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		return dfl_json__parse_time(buf, out);
	}
	if (n >= 14 && s[10] == 'T' && s[13] != ':') { /* 2006-01-02T15Z07:00 */
		snprintf(buf, sizeof(buf), "%.13s:00:00%s", s, s + 13);
		return dfl_json__parse_time(buf, out);
	}
	if (n >= 17 && s[10] == 'T' && s[13] == ':' && s[16] != ':') {
		snprintf(buf, sizeof(buf), "%.16s:00%s", s, s + 16);
		return dfl_json__parse_time(buf, out);
	}
	return -EINVAL;
}
