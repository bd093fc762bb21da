/* Scalar typing of go-yaml v2 (YAML 1.1 rules), which sigs.k8s.io/yaml v1.4
 * uses under kubectl: plain yes/no/on/off/y/n are booleans, integers take Go
 * base prefixes (0x, 0o, 0b, leading 0 = octal) and underscores, and what
 * fails to parse stays a string. See docs/crd.md "YAML typing". */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/load.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

struct word {
	const char *s;
	enum dfl_yaml_kind kind;
	int val; /* bool value, or sign of an infinity (0 = NaN) */
};

/* go-yaml v2's resolve table: exact spellings only. */
static const struct word words[] = {
    {"y", DFL_YK_BOOL, 1},
    {"Y", DFL_YK_BOOL, 1},
    {"yes", DFL_YK_BOOL, 1},
    {"Yes", DFL_YK_BOOL, 1},
    {"YES", DFL_YK_BOOL, 1},
    {"true", DFL_YK_BOOL, 1},
    {"True", DFL_YK_BOOL, 1},
    {"TRUE", DFL_YK_BOOL, 1},
    {"on", DFL_YK_BOOL, 1},
    {"On", DFL_YK_BOOL, 1},
    {"ON", DFL_YK_BOOL, 1},
    {"n", DFL_YK_BOOL, 0},
    {"N", DFL_YK_BOOL, 0},
    {"no", DFL_YK_BOOL, 0},
    {"No", DFL_YK_BOOL, 0},
    {"NO", DFL_YK_BOOL, 0},
    {"false", DFL_YK_BOOL, 0},
    {"False", DFL_YK_BOOL, 0},
    {"FALSE", DFL_YK_BOOL, 0},
    {"off", DFL_YK_BOOL, 0},
    {"Off", DFL_YK_BOOL, 0},
    {"OFF", DFL_YK_BOOL, 0},
    {"", DFL_YK_NULL, 0},
    {"~", DFL_YK_NULL, 0},
    {"null", DFL_YK_NULL, 0},
    {"Null", DFL_YK_NULL, 0},
    {"NULL", DFL_YK_NULL, 0},
    {".nan", DFL_YK_NONFINITE, 0},
    {".NaN", DFL_YK_NONFINITE, 0},
    {".NAN", DFL_YK_NONFINITE, 0},
    {".inf", DFL_YK_NONFINITE, 1},
    {".Inf", DFL_YK_NONFINITE, 1},
    {".INF", DFL_YK_NONFINITE, 1},
    {"+.inf", DFL_YK_NONFINITE, 1},
    {"+.Inf", DFL_YK_NONFINITE, 1},
    {"+.INF", DFL_YK_NONFINITE, 1},
    {"-.inf", DFL_YK_NONFINITE, -1},
    {"-.Inf", DFL_YK_NONFINITE, -1},
    {"-.INF", DFL_YK_NONFINITE, -1},
};

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* strconv.ParseUint(s, 0, 64) without sign: 0 on success, -ERANGE when the
 * syntax is right but the value too big, -EINVAL otherwise. */
static int parse_go_uint(const char *s, unsigned long long *out)
{
	unsigned base = 10;
	unsigned long long v = 0;
	int err = 0;

	if (!*s)
		return -EINVAL;
	if (s[0] == '0') {
		size_t n = strlen(s);
		char c = n >= 3 ? (char)(s[1] | 0x20) : 0;

		if (c == 'b' || c == 'o' || c == 'x') {
			base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
			s += 2;
		} else {
			base = 8;
			s += 1;
		}
	}
	for (; *s; s++) {
		unsigned d = (unsigned)digit_val(*s);

		if (d >= base)
			return -EINVAL;
		if (v > (ULLONG_MAX - d) / base)
			err = -ERANGE; /* keep scanning: syntax errors win */
		else
			v = v * base + d;
	}
	*out = v;
	return err;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (go-yaml's
 * yamlStyleFloat); with <dot_start>, only the \.[0-9]+ alternative. */
static bool yaml_style_float(const char *s, bool dot_start)
{
	size_t digits = 0;

	if (!dot_start && (*s == '-' || *s == '+'))
		s++;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9')
			s++, digits++;
		if (!digits)
			return false;
	} else {
		if (dot_start)
			return false;
		while (*s >= '0' && *s <= '9')
			s++, digits++;
		if (!digits)
			return false;
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		digits = 0;
		while (*s >= '0' && *s <= '9')
			s++, digits++;
		if (!digits)
			return false;
	}
	return *s == '\0';
}

static bool set_float(const char *s, struct dfl_yaml_scalar *out)
{
	double f = strtod(s, NULL);

	if (isinf(f))
		return false; /* Go's ParseFloat fails on overflow */
	out->kind = DFL_YK_FLOAT;
	out->f = f;
	return true;
}

/* The 'D' and 'S' branches of go-yaml v2's resolve(). */
static void resolve_number(const char *in, size_t len,
			   struct dfl_yaml_scalar *out)
{
	char stack[128], *plain = stack;
	const char *digits;
	unsigned long long u;
	bool neg = false;
	size_t j = 0;
	int err;

	if (len >= sizeof(stack)) {
		plain = malloc(len + 1);
		if (!plain)
			return; /* stays a string */
	}
	for (size_t i = 0; i < len; i++)
		if (in[i] != '_')
			plain[j++] = in[i];
	plain[j] = '\0';

	digits = plain;
	if (*digits == '+' || *digits == '-')
		neg = *digits++ == '-';
	/* strconv.ParseInt(plain, 0, 64) */
	err = parse_go_uint(digits, &u);
	if (!err &&
	    (neg ? u <= (1ull << 63) : u <= (unsigned long long)INT64_MAX)) {
		out->kind = DFL_YK_INT;
		out->i = neg ? (long long)(0 - u) : (long long)u;
		goto out;
	}
	/* strconv.ParseUint(plain, 0, 64): no sign allowed */
	if (!err && plain[0] != '+' && plain[0] != '-') {
		out->kind = DFL_YK_UINT;
		out->u = u;
		goto out;
	}
	if (yaml_style_float(plain, false) && set_float(plain, out))
		goto out;
	/* "0b..." and "-0b..." are handled by ParseInt(base 0) already. When
	 * ParseUint failed on range only (so no sign), go-yaml makes a big.Int.
	 */
	if (err == -ERANGE && plain[0] != '+' && plain[0] != '-')
		out->kind = DFL_YK_BIGINT;
out:
	if (plain != stack)
		free(plain);
}

static void resolve_plain(const char *s, size_t len,
			  struct dfl_yaml_scalar *out)
{
	char c = len ? s[0] : 'N';

	out->kind = DFL_YK_STRING;
	if (strchr("yYnNtTfFoO~.+-0123456789N", c) == NULL || c == '\0')
		return;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].s) == len && !memcmp(words[i].s, s, len)) {
			out->kind = words[i].kind;
			out->b = words[i].val == 1;
			out->f =
			    words[i].kind == DFL_YK_NONFINITE
				? (words[i].val ? words[i].val * INFINITY : NAN)
				: 0;
			return;
		}
	}
	if (c == '.') {
		if (memchr(s, '\0', len) == NULL && len < 128) {
			char buf[128];

			memcpy(buf, s, len);
			buf[len] = '\0';
			if (yaml_style_float(buf, true))
				set_float(buf, out);
		}
		return;
	}
	if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
		if (memchr(s, '\0', len) == NULL)
			resolve_number(s, len, out);
	}
}

void dfl_yaml__resolve(const char *s, size_t len, bool plain, const char *tag,
		       struct dfl_yaml_scalar *out)
{
	const char *t;

	memset(out, 0, sizeof(*out));
	if (!tag || !strcmp(tag, "")) {
		/* go-yaml's isMerge looks at the raw text of plain scalars. */
		if (plain && len == 2 && !memcmp(s, "<<", 2))
			out->kind = DFL_YK_MERGE;
		else if (plain)
			resolve_plain(s, len, out);
		return;
	}
	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
		return; /* "!" and local tags: the text, as a string */
	t = tag + strlen(TAG_PREFIX);
	if (!strcmp(t, "str") || !strcmp(t, "binary"))
		return;
	if (strcmp(t, "int") && strcmp(t, "float") && strcmp(t, "bool") &&
	    strcmp(t, "null") && strcmp(t, "timestamp"))
		return; /* not resolvable: kept as written */
	resolve_plain(s, len, out);
	/* The value must be of the tag's type; !!float also takes integers. */
	if (!strcmp(t, "int") &&
	    (out->kind == DFL_YK_INT || out->kind == DFL_YK_UINT ||
	     out->kind == DFL_YK_BIGINT))
		return;
	if (!strcmp(t, "float")) {
		if (out->kind == DFL_YK_INT) {
			out->kind = DFL_YK_FLOAT;
			out->f = (double)out->i;
			return;
		}
		if (out->kind == DFL_YK_FLOAT || out->kind == DFL_YK_NONFINITE)
			return;
	}
	if (!strcmp(t, "bool") && out->kind == DFL_YK_BOOL)
		return;
	if (!strcmp(t, "null") && out->kind == DFL_YK_NULL)
		return;
	if (!strcmp(t, "timestamp") && out->kind == DFL_YK_STRING)
		return; /* go-yaml v2 hands timestamps over as their text */
	out->kind = DFL_YK_BAD_TAG;
}

void dfl_yaml__format_key_float(double f, char *buf, size_t len)
{
	float v = (float)f;
	char tmp[64];
	int prec, exp10;

	if (isnan(f)) {
		snprintf(buf, len, ".nan");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? ".inf" : "-.inf");
		return;
	}
	if (v == 0) {
		snprintf(buf, len, signbit(v) ? "-0" : "0");
		return;
	}
	/* Shortest digit count that reads back as the same float32. */
	for (prec = 1; prec < 9; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, (double)v);
		if (strtof(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, (double)v);
	exp10 = atoi(strchr(tmp, 'e') + 1);
	/* Go's 'g' with shortest digits switches to %e when the exponent is
	 * below -4 or at least 6 (not the digit count, as C's %g does). */
	if (exp10 < -4 || exp10 >= 6) {
		snprintf(buf, len, "%s", tmp);
		return;
	}
	snprintf(buf, len, "%.*f", prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0,
		 (double)v);
}
