/* Validity of the regular expressions of HTTP rules. Cilium compiles path
 * and method with Go's regexp (RE2 syntax) and Envoy matches them as full-
 * string RE2; the proxy of deflector uses PCRE2. A pattern is accepted when
 * PCRE2 compiles it and it uses no construct RE2 lacks (backreferences,
 * lookaround, atomic groups, possessive quantifiers, ...), so that the three
 * agree on what is valid. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "crd/decoders.h"

#define RE2_MAX_REPEAT 1000

static bool is_quant(char c)
{
	return c == '*' || c == '+' || c == '?';
}

/* Reads "{n}", "{n,}" or "{n,m}" at p; returns its length or 0. */
static size_t repeat_len(const char *p, long *max_count)
{
	const char *q = p + 1;
	long n = 0, m = -1;

	if (*q < '0' || *q > '9')
		return 0;
	while (*q >= '0' && *q <= '9')
		n = n * 10 + (*q++ - '0') * (n < 100000);
	if (*q == ',') {
		q++;
		if (*q >= '0' && *q <= '9') {
			m = 0;
			while (*q >= '0' && *q <= '9')
				m = m * 10 + (*q++ - '0') * (m < 100000);
		}
	}
	if (*q != '}')
		return 0;
	*max_count = n > m ? n : m;
	return (size_t)(q - p + 1);
}

/* Constructs of PCRE that RE2 does not have. NULL when none is found. */
static const char *re2_unsupported(const char *re, char *buf, size_t len)
{
	bool in_class = false, after_quant = false;

	for (const char *p = re; *p; p++) {
		char c = *p;

		if (c == '\\') {
			char e = p[1];

			if (!e)
				return NULL; /* PCRE2 reports the trailing '\'
					      */
			if (e >= '1' && e <= '9' &&
			    !(p[2] >= '0' && p[2] <= '7')) {
				snprintf(
				    buf, len,
				    "backreferences (\\%c) are not supported",
				    e);
				return buf;
			}
			if (strchr("gkGKZRXCEhHNVuceo", e)) {
				snprintf(buf, len,
					 "invalid escape sequence: \\%c", e);
				return buf;
			}
			if (e == 'Q') { /* literal text up to \E */
				const char *end = strstr(p + 2, "\\E");

				p = end ? end + 1 : p + strlen(p) - 1;
				after_quant = false;
				continue;
			}
			p++;
			after_quant = false;
			continue;
		}
		if (in_class) {
			if (c == '[' && p[1] == ':') {
				const char *end = strstr(p + 2, ":]");

				if (end)
					p = end + 1;
			} else if (c == ']') {
				in_class = false;
			}
			continue;
		}
		if (c == '[') {
			in_class = true;
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++; /* a leading ']' is literal */
			after_quant = false;
			continue;
		}
		if (c == '(' && p[1] == '?') {
			const char *q = p + 2;

			if (*q == 'P' && q[1] == '<')
				continue;
			if (*q == '<' && q[1] != '=' && q[1] != '!')
				continue;
			while (strchr("imsU-", *q) && *q)
				q++;
			if (q > p + 2 && (*q == ':' || *q == ')'))
				continue;
			if (*q == ':' && q == p + 2)
				continue;
			snprintf(buf, len,
				 "invalid or unsupported Perl syntax: `(?%c` "
				 "(lookaround, atomic groups, recursion and "
				 "conditionals are not supported)",
				 p[2] ? p[2] : ' ');
			return buf;
		}
		if (is_quant(c) || c == '{') {
			long count = 0;
			size_t n = c == '{' ? repeat_len(p, &count) : 1;

			if (!n) {
				after_quant = false;
				continue; /* a literal '{' */
			}
			if (after_quant) {
				snprintf(buf, len,
					 "invalid nested repetition operator: "
					 "`%.*s`",
					 (int)(n + 1), p - 1);
				return buf;
			}
			if (count > RE2_MAX_REPEAT) {
				snprintf(buf, len,
					 "invalid repeat count: `%.*s`", (int)n,
					 p);
				return buf;
			}
			p += n - 1;
			if (p[1] == '?')
				p++; /* lazy */
			after_quant = true;
			continue;
		}
		after_quant = false;
	}
	return NULL;
}

const char *dfl_check_http_regex(const char *re, char *buf, size_t len)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_code *code;
	const char *why;
	int errcode;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errcode,
			     &off, NULL);
	if (!code) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		snprintf(buf, len, "%s at offset %zu", (const char *)msg,
			 (size_t)off);
		return buf;
	}
	pcre2_code_free(code);
	why = re2_unsupported(re, buf, len);
	return why;
}
