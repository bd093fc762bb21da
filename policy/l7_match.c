/* L7 matchers: the RE2 dialect on PCRE2, HTTP rules and DNS patterns.
 * Contract in policy/l7_match.h; Cilium's semantics in docs/proxy.md. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/l7_match.h"
#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* RE2 rejects repeat counts above this (re2/parse.cc, Go regexp/syntax). */
#define RE2_MAX_REPEAT 1000
/* Step budget of one regex match: fixed part plus this many per subject
 * byte, so that matching time is linear in the input whatever the pattern.
 * Once a match of a request ran out of budget, the request's remaining
 * matches get the fixed part only, so that many rules cannot multiply the
 * worst case. */
#define MATCH_LIMIT_BASE     2000
#define MATCH_LIMIT_PER_BYTE 100
#define JIT_STACK_MAX	     (512 * 1024)
/* Longest DNS name in presentation form we look at (255 octets, each
 * possibly escaped as \DDD). */
#define DNS_NAME_MAX 1024

/* ---- RE2 dialect: check and translate to PCRE2 ------------------------ */

enum re_prev {
	PREV_NONE = 0, /* start, after '(' or '|': nothing to repeat */
	PREV_ATOM,
	PREV_QUANT,
};

struct re_scan {
	const char *p;
	size_t n;
	size_t i;
	struct dfl_strbuf *out; /* the PCRE2 pattern */
	struct dfl_strbuf lit;	/* the literal text while the pattern is one */
	bool literal;		/* nothing but plain characters so far */
	char *msg;
	size_t msg_len;
};

__attribute__((format(printf, 3, 4))) static int
re_fail(struct re_scan *s, size_t off, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (s->msg && s->msg_len)
		snprintf(s->msg, s->msg_len, "%s at offset %zu", what, off);
	return -EINVAL;
}

static void re_emit(struct re_scan *s, const char *str, size_t len)
{
	dfl_strbuf__append(s->out, str, len);
}

/* Plain character (or a UTF-8 sequence): literal in both dialects. */
static void re_plain(struct re_scan *s)
{
	size_t len = 1;
	unsigned char c = (unsigned char)s->p[s->i];

	if (c >= 0x80) {
		while (s->i + len < s->n &&
		       ((unsigned char)s->p[s->i + len] & 0xc0) == 0x80)
			len++;
	}
	re_emit(s, s->p + s->i, len);
	if (s->literal)
		dfl_strbuf__append(&s->lit, s->p + s->i, len);
	s->i += len;
}

static bool is_hex(char c)
{
	return isxdigit((unsigned char)c) != 0;
}

/* \x.. and \p.. / \P.. operands: validates and copies them. */
static int re_escape_operand(struct re_scan *s, size_t start, char kind)
{
	size_t j = s->i;

	if (j < s->n && s->p[j] == '{') {
		size_t k = j + 1;

		while (k < s->n && s->p[k] != '}')
			k++;
		if (k >= s->n || k == j + 1)
			return re_fail(s, start, "unterminated \\%c{...}",
				       kind);
		if (kind == 'x') {
			for (size_t t = j + 1; t < k; t++)
				if (!is_hex(s->p[t]))
					return re_fail(s, start,
						       "invalid hex escape");
			if (k - j - 1 > 6 ||
			    strtoul(s->p + j + 1, NULL, 16) > 0x10ffff)
				return re_fail(s, start,
					       "hex escape out of range");
		}
		s->i = k + 1;
	} else if (kind == 'x') {
		if (j + 2 > s->n || !is_hex(s->p[j]) || !is_hex(s->p[j + 1]))
			return re_fail(s, start,
				       "\\x needs two hex digits or {...}");
		s->i = j + 2;
	} else {
		if (j >= s->n || !isalpha((unsigned char)s->p[j]))
			return re_fail(s, start, "invalid \\%c class", kind);
		s->i = j + 1;
	}
	re_emit(s, s->p + start, s->i - start);
	return 0;
}

/* One escape sequence starting at s->i (the backslash). */
static int re_escape(struct re_scan *s, bool in_class)
{
	size_t start = s->i;
	char d;

	if (s->i + 1 >= s->n)
		return re_fail(s, start, "trailing backslash");
	d = s->p[s->i + 1];
	s->i += 2;

	if (d >= '1' && d <= '9')
		return re_fail(s, start,
			       "backreference \\%c is not supported by RE2", d);
	if (ispunct((unsigned char)d)) {
		re_emit(s, s->p + start, 2);
		if (s->literal)
			dfl_strbuf__putc(&s->lit, d);
		return 0;
	}
	s->literal = false;
	switch (d) {
	case '0': {
		/* Octal: \0 and up to two more octal digits, as RE2. */
		size_t k = 0;

		while (k < 2 && s->i < s->n && s->p[s->i] >= '0' &&
		       s->p[s->i] <= '7') {
			s->i++;
			k++;
		}
		re_emit(s, s->p + start, s->i - start);
		return 0;
	}
	case 'x':
		return re_escape_operand(s, start, 'x');
	case 'p':
	case 'P':
		return re_escape_operand(s, start, d);
	case 'd':
	case 'D':
	case 'w':
	case 'W':
	case 'f':
	case 't':
	case 'n':
	case 'r':
		re_emit(s, s->p + start, 2);
		return 0;
	case 'a':
		re_emit(s, "\\x07", 4);
		return 0;
	case 'v': /* RE2: the VT character; PCRE2: vertical space class */
		re_emit(s, "\\x0B", 4);
		return 0;
	case 's': /* RE2's \s has no VT; PCRE2's has */
		if (in_class)
			re_emit(s, "\\t\\n\\f\\r ", 9);
		else
			re_emit(s, "[\\t\\n\\f\\r ]", 11);
		return 0;
	case 'S':
		if (in_class)
			re_emit(s, "\\S", 2);
		else
			re_emit(s, "[^\\t\\n\\f\\r ]", 12);
		return 0;
	case 'A':
	case 'z':
	case 'b':
	case 'B':
		if (in_class)
			return re_fail(
			    s, start,
			    "\\%c is not allowed in a character class", d);
		re_emit(s, s->p + start, 2);
		return 0;
	case 'Q': {
		/* Quoted literal text up to \E or the end. */
		const char *end = NULL;

		if (in_class)
			return re_fail(
			    s, start,
			    "\\Q is not allowed in a character class");
		for (size_t k = s->i; k + 1 < s->n; k++)
			if (s->p[k] == '\\' && s->p[k + 1] == 'E') {
				end = s->p + k;
				break;
			}
		if (!end)
			end = s->p + s->n;
		for (const char *q = s->p + s->i; q < end; q++) {
			char esc[5];

			snprintf(esc, sizeof(esc), "\\x%02X",
				 (unsigned char)*q);
			re_emit(s, esc, 4);
		}
		s->i = (size_t)(end - s->p) + (end < s->p + s->n ? 2 : 0);
		return 0;
	}
	default:
		return re_fail(s, start, "escape \\%c is not supported by RE2",
			       d);
	}
}

static const char *const posix_classes[] = {
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
    "lower", "print", "punct", "space", "upper", "word",  "xdigit",
};

static int re_class(struct re_scan *s)
{
	size_t start = s->i;
	bool first = true;

	s->literal = false;
	re_emit(s, "[", 1);
	s->i++;
	if (s->i < s->n && s->p[s->i] == '^') {
		re_emit(s, "^", 1);
		s->i++;
	}
	for (;;) {
		int err;

		if (s->i >= s->n)
			return re_fail(s, start, "missing closing ]");
		if (s->p[s->i] == ']' && !first)
			break;
		first = false;
		if (s->p[s->i] == ']') {
			re_emit(s, "\\]", 2);
			s->i++;
		} else if (s->p[s->i] == '[' && s->i + 1 < s->n &&
			   s->p[s->i + 1] == ':') {
			const char *end = strstr(s->p + s->i + 2, ":]");
			const char *name = s->p + s->i + 2;
			bool known = false;

			if (!end)
				return re_fail(s, s->i,
					       "unterminated [: class");
			if (*name == '^')
				name++;
			for (size_t k = 0; k < DFL_ARRAY_SIZE(posix_classes);
			     k++)
				if (strlen(posix_classes[k]) ==
					(size_t)(end - name) &&
				    !memcmp(posix_classes[k], name,
					    (size_t)(end - name)))
					known = true;
			if (!known)
				return re_fail(s, s->i,
					       "unknown class [:%.*s:]",
					       (int)(end - name), name);
			re_emit(s, s->p + s->i,
				(size_t)(end + 2 - (s->p + s->i)));
			s->i = (size_t)(end + 2 - s->p);
		} else if (s->p[s->i] == '\\') {
			err = re_escape(s, true);
			if (err)
				return err;
		} else if (s->p[s->i] == '[') {
			re_emit(s, "\\[", 2);
			s->i++;
		} else {
			re_plain(s);
		}
	}
	re_emit(s, "]", 1);
	s->i++;
	return 0;
}

/* "(?" at s->i: flags, named groups; everything PCRE-only is refused. */
static int re_group_ext(struct re_scan *s, int *depth, enum re_prev *prev)
{
	size_t start = s->i, j = s->i + 2;
	char c = j < s->n ? s->p[j] : '\0';

	s->literal = false;
	if (c == ':') {
		re_emit(s, "(?:", 3);
		s->i = j + 1;
		(*depth)++;
		*prev = PREV_NONE;
		return 0;
	}
	if (c == 'P' || c == '<') {
		size_t k = j + (c == 'P' ? 1 : 0), name_start;

		if (c == 'P' && (k >= s->n || s->p[k] != '<'))
			return re_fail(s, start,
				       "(?P%c is not supported by RE2",
				       k < s->n ? s->p[k] : ' ');
		if (c == '<' && k + 1 < s->n &&
		    (s->p[k + 1] == '=' || s->p[k + 1] == '!'))
			return re_fail(s, start,
				       "lookbehind is not supported by RE2");
		name_start = ++k;
		while (k < s->n &&
		       (isalnum((unsigned char)s->p[k]) || s->p[k] == '_'))
			k++;
		if (k == name_start || k >= s->n || s->p[k] != '>')
			return re_fail(s, start, "invalid named capture group");
		re_emit(s, "(?<", 3);
		re_emit(s, s->p + name_start, k - name_start + 1);
		s->i = k + 1;
		(*depth)++;
		*prev = PREV_NONE;
		return 0;
	}
	if (c == '=' || c == '!')
		return re_fail(s, start, "lookahead is not supported by RE2");
	if (c == '>')
		return re_fail(s, start,
			       "atomic groups are not supported by RE2");

	/* Flags: (?flags) or (?flags:re) with i, m, s, U and one '-'. */
	{
		bool saw_flag = false, neg = false, flag_after_neg = false;
		size_t k = j;

		for (; k < s->n; k++) {
			char f = s->p[k];

			if (f == 'i' || f == 'm' || f == 's' || f == 'U') {
				saw_flag = true;
				if (neg)
					flag_after_neg = true;
			} else if (f == '-' && !neg) {
				neg = true;
			} else if (f == ':' || f == ')') {
				break;
			} else {
				return re_fail(s, start,
					       "(?%c is not supported by RE2",
					       f);
			}
		}
		if (k >= s->n)
			return re_fail(s, start, "missing closing )");
		if (!saw_flag || (neg && !flag_after_neg))
			return re_fail(s, start, "missing flags in (?");
		re_emit(s, s->p + start, k + 1 - start);
		s->i = k + 1;
		if (s->p[k] == ':')
			(*depth)++;
		*prev = PREV_NONE;
	}
	return 0;
}

/* {n}, {n,} or {n,m} at s->i: returns its length, or 0 when the brace is a
 * literal (as in RE2). */
static size_t re_repeat_len(const struct re_scan *s, long *min, long *max)
{
	size_t k = s->i + 1;
	const char *q;
	char *end;

	if (k >= s->n || !isdigit((unsigned char)s->p[k]))
		return 0;
	q = s->p + k;
	*min = strtol(q, &end, 10);
	if (*end == '}') {
		*max = *min;
		return (size_t)(end + 1 - (s->p + s->i));
	}
	if (*end != ',')
		return 0;
	q = end + 1;
	if (*q == '}') {
		*max = -1;
		return (size_t)(q + 1 - (s->p + s->i));
	}
	if (!isdigit((unsigned char)*q))
		return 0;
	*max = strtol(q, &end, 10);
	if (*end != '}')
		return 0;
	return (size_t)(end + 1 - (s->p + s->i));
}

static int re_quantifier(struct re_scan *s, size_t len, enum re_prev *prev)
{
	size_t start = s->i;

	if (*prev == PREV_NONE)
		return re_fail(s, start,
			       "missing argument to repetition operator");
	if (*prev == PREV_QUANT)
		return re_fail(
		    s, start,
		    "nested repetition operator is not supported by RE2");
	s->literal = false;
	re_emit(s, s->p + s->i, len);
	s->i += len;
	if (s->i < s->n && s->p[s->i] == '+')
		return re_fail(s, start,
			       "possessive quantifier is not supported by RE2");
	if (s->i < s->n && s->p[s->i] == '?') {
		re_emit(s, "?", 1);
		s->i++;
	}
	*prev = PREV_QUANT;
	return 0;
}

/* Checks <pattern> and writes its PCRE2 equivalent to <out>. <literal>
 * receives the unescaped text when the pattern is a plain string (NULL
 * otherwise; caller frees). */
static int re2_translate(const char *pattern, struct dfl_strbuf *out,
			 char **literal, char *msg, size_t msg_len)
{
	struct re_scan s = {
	    .p = pattern,
	    .n = strlen(pattern),
	    .out = out,
	    .literal = true,
	    .msg = msg,
	    .msg_len = msg_len,
	};
	enum re_prev prev = PREV_NONE;
	int depth = 0, err = 0;

	if (literal)
		*literal = NULL;
	while (s.i < s.n && !err) {
		char c = s.p[s.i];
		long min = 0, max = 0;
		size_t len;

		switch (c) {
		case '\\':
			err = re_escape(&s, false);
			prev = PREV_ATOM;
			break;
		case '[':
			err = re_class(&s);
			prev = PREV_ATOM;
			break;
		case '(':
			if (s.i + 1 < s.n && s.p[s.i + 1] == '*') {
				err = re_fail(
				    &s, s.i,
				    "(* verbs are not supported by RE2");
			} else if (s.i + 1 < s.n && s.p[s.i + 1] == '?') {
				err = re_group_ext(&s, &depth, &prev);
			} else {
				s.literal = false;
				re_emit(&s, "(", 1);
				s.i++;
				depth++;
				prev = PREV_NONE;
			}
			break;
		case ')':
			if (depth == 0) {
				err = re_fail(&s, s.i, "unexpected )");
				break;
			}
			depth--;
			re_emit(&s, ")", 1);
			s.i++;
			prev = PREV_ATOM;
			break;
		case '|':
			s.literal = false;
			re_emit(&s, "|", 1);
			s.i++;
			prev = PREV_NONE;
			break;
		case '*':
		case '+':
		case '?':
			err = re_quantifier(&s, 1, &prev);
			break;
		case '{':
			len = re_repeat_len(&s, &min, &max);
			if (len) {
				if (min > RE2_MAX_REPEAT ||
				    max > RE2_MAX_REPEAT ||
				    (max >= 0 && max < min)) {
					err = re_fail(&s, s.i,
						      "invalid repeat count");
					break;
				}
				err = re_quantifier(&s, len, &prev);
				break;
			}
			/* A brace that starts no repeat is a literal. */
			re_emit(&s, "\\{", 2);
			if (s.literal)
				dfl_strbuf__putc(&s.lit, '{');
			s.i++;
			prev = PREV_ATOM;
			break;
		case '}':
			re_emit(&s, "\\}", 2);
			if (s.literal)
				dfl_strbuf__putc(&s.lit, '}');
			s.i++;
			prev = PREV_ATOM;
			break;
		case '^':
		case '$':
		case '.':
			s.literal = false;
			re_emit(&s, &c, 1);
			s.i++;
			prev = PREV_ATOM;
			break;
		default:
			re_plain(&s);
			prev = PREV_ATOM;
			break;
		}
	}
	if (!err && depth)
		err = re_fail(&s, s.n, "missing closing )");
	if (!err && out->err)
		err = out->err;
	if (!err && s.lit.err)
		err = s.lit.err;
	if (!err && literal && s.literal)
		*literal = dfl_strbuf__detach(&s.lit);
	dfl_strbuf__release(&s.lit);
	return err;
}

int dfl_re2__check(const char *pattern, char *msg, size_t msg_len)
{
	struct dfl_strbuf out = {0};
	int err = re2_translate(pattern, &out, NULL, msg, msg_len);

	dfl_strbuf__release(&out);
	return err;
}

/* ---- compiled regexes --------------------------------------------------- */

/* One compiled field. A plain-string pattern is compared with memcmp; the
 * rest goes through PCRE2 (JIT when available). */
struct l7_re {
	bool set;
	pcre2_code *code;
	char *literal;
	size_t literal_len;
};

struct re_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
};

static int re_ctx_init(struct re_ctx *c)
{
	c->md = pcre2_match_data_create(1, NULL);
	c->mctx = pcre2_match_context_create(NULL);
	c->jit_stack = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX, NULL);
	if (!c->md || !c->mctx || !c->jit_stack)
		return -ENOMEM;
	pcre2_jit_stack_assign(c->mctx, NULL, c->jit_stack);
	pcre2_set_depth_limit(c->mctx, 10000);
	pcre2_set_heap_limit(c->mctx, 4096); /* KiB, interpreter only */
	return 0;
}

static void re_ctx_release(struct re_ctx *c)
{
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	pcre2_jit_stack_free(c->jit_stack);
}

static void l7_re_release(struct l7_re *re)
{
	pcre2_code_free(re->code);
	free(re->literal);
	memset(re, 0, sizeof(*re));
}

/* Compiles a regex given in RE2 syntax (<re2> true) or in PCRE2 syntax built
 * by us. On error returns -EINVAL with the reason in <msg>. */
static int l7_re_compile(struct l7_re *re, const char *pattern, bool re2,
			 char *msg, size_t msg_len)
{
	struct dfl_strbuf pcre = {0};
	char *literal = NULL;
	int err = 0, code_err;
	PCRE2_SIZE off;

	if (re2) {
		err = re2_translate(pattern, &pcre, &literal, msg, msg_len);
		if (err)
			goto out;
	} else {
		dfl_strbuf__puts(&pcre, pattern);
	}
	re->set = true;
	if (literal) {
		re->literal = literal;
		re->literal_len = strlen(literal);
		literal = NULL;
		goto out;
	}
	if (pcre.err) {
		err = pcre.err;
		goto out;
	}
	re->code =
	    pcre2_compile((PCRE2_SPTR)dfl_strbuf__str(&pcre), pcre.len,
			  PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ANCHORED |
			      PCRE2_ENDANCHORED | PCRE2_NEVER_BACKSLASH_C,
			  &code_err, &off, NULL);
	if (!re->code) {
		PCRE2_UCHAR buf[120];

		pcre2_get_error_message(code_err, buf, sizeof(buf));
		snprintf(msg, msg_len, "%s", (const char *)buf);
		err = -EINVAL;
		goto out;
	}
	/* JIT is an optimisation: the interpreter gives the same answers. */
	pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
out:
	free(literal);
	dfl_strbuf__release(&pcre);
	return err;
}

/* 1 match, 0 no match; sets *limit_hit when the budget ran out. <s> must be
 * valid UTF-8 (the caller checks once per request). */
static int l7_re_match(const struct re_ctx *c, const struct l7_re *re,
		       const char *s, size_t len, bool *limit_hit)
{
	int rc;

	if (re->literal)
		return re->literal_len == len && !memcmp(re->literal, s, len);
	pcre2_set_match_limit(
	    c->mctx,
	    MATCH_LIMIT_BASE +
		(*limit_hit ? 0 : MATCH_LIMIT_PER_BYTE * (uint32_t)len));
	rc = pcre2_match(re->code, (PCRE2_SPTR)(s ? s : ""), len, 0,
			 PCRE2_NO_UTF_CHECK, c->md, c->mctx);
	if (rc >= 0)
		return 1;
	if (rc != PCRE2_ERROR_NOMATCH)
		*limit_hit = true;
	return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF), as
 * PCRE2 requires of its subjects. */
static bool utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += n + 1;
	}
	return true;
}

int dfl_http_regex__full_match(const char *pattern, const char *subject,
			       size_t len)
{
	struct l7_re re = {0};
	struct re_ctx c = {0};
	bool limit = false;
	char msg[200];
	int ret;

	ret = l7_re_compile(&re, pattern, true, msg, sizeof(msg));
	if (!ret)
		ret = re_ctx_init(&c);
	if (!ret)
		ret = utf8_valid(subject, len) &&
		      l7_re_match(&c, &re, subject, len, &limit);
	re_ctx_release(&c);
	l7_re_release(&re);
	return ret;
}

/* ---- HTTP --------------------------------------------------------------- */

/* A header that must be present (value NULL) or have an exact value. */
struct hdr_req {
	char *name;
	char *value;
};

/* A headerMatches entry with a side effect on mismatch. */
struct hdr_act {
	char *name;
	char *value; /* "" = presence */
	enum dfl_header_mismatch action;
	size_t index;
};

struct http_rule {
	struct l7_re method, path, host;
	struct hdr_req *reqs;
	size_t n_reqs;
	struct hdr_act *acts;
	size_t n_acts;
	bool never; /* depends on a Secret we cannot read */
};

/* Rules indexed by the literal text their path starts with (or is): a
 * byte trie whose nodes list the rules whose path regex starts with the
 * node's string (<pre>) or is exactly it (<exact>). A request walks its
 * path down the trie and only tries the rules it meets, so a thousand
 * path rules cost a few dozen steps, not a thousand regex runs. */
struct trie_node {
	size_t *pre, n_pre, cap_pre;
	size_t *exact, n_exact, cap_exact;
};

struct trie {
	struct trie_node *nodes; /* [0] is the root */
	size_t n_nodes, cap_nodes;
	uint64_t *keys; /* (parent << 8 | byte) + 1; 0 = empty slot */
	uint32_t *child;
	size_t n_slots, n_edges;
};

/* Candidates of one request kept on the stack; more fall back to trying
 * every rule. */
#define MAX_CANDIDATES 256

struct dfl_http_matcher {
	struct http_rule *rules;
	size_t n;
	bool short_circuit; /* no rule has side effects */
	size_t *general;    /* rules without a literal path prefix, in order */
	size_t n_general;
	struct trie trie;
	struct re_ctx re;
};

static void http_rule_release(struct http_rule *r)
{
	l7_re_release(&r->method);
	l7_re_release(&r->path);
	l7_re_release(&r->host);
	for (size_t i = 0; i < r->n_reqs; i++) {
		free(r->reqs[i].name);
		free(r->reqs[i].value);
	}
	free(r->reqs);
	for (size_t i = 0; i < r->n_acts; i++) {
		free(r->acts[i].name);
		free(r->acts[i].value);
	}
	free(r->acts);
}

void dfl_http_matcher__free(struct dfl_http_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		http_rule_release(&m->rules[i]);
	free(m->rules);
	free(m->general);
	for (size_t i = 0; i < m->trie.n_nodes; i++) {
		free(m->trie.nodes[i].pre);
		free(m->trie.nodes[i].exact);
	}
	free(m->trie.nodes);
	free(m->trie.keys);
	free(m->trie.child);
	re_ctx_release(&m->re);
	free(m);
}

size_t dfl_http_matcher__n_rules(const struct dfl_http_matcher *m)
{
	return m ? m->n : 0;
}

static int diag_field(struct dfl_diags *diags, enum dfl_severity sev,
		      struct dfl_pos pos, size_t rule, const char *field,
		      const char *check, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int diag_field(struct dfl_diags *diags, enum dfl_severity sev,
		      struct dfl_pos pos, size_t rule, const char *field,
		      const char *check, const char *fmt, ...)
{
	char path[96], msg[400];
	va_list ap;

	if (!diags)
		return 0;
	snprintf(path, sizeof(path), "http[%zu].%s", rule, field);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dfl_diags__add(diags, sev, pos, path, check, NULL, "%s", msg);
}

static int compile_field(struct l7_re *re, const char *pattern,
			 const char *field, size_t idx, struct dfl_pos pos,
			 struct dfl_diags *diags, bool *invalid)
{
	char msg[200] = "";
	int err;

	if (!pattern || !*pattern)
		return 0; /* absent or "": no constraint, as in Cilium */
	err = l7_re_compile(re, pattern, true, msg, sizeof(msg));
	if (err == -EINVAL) {
		*invalid = true;
		return diag_field(
		    diags, DFL_SEV_ERROR, pos, idx, field, "invalid-http-regex",
		    "%s regex \"%s\" is invalid: %s", field, pattern, msg);
	}
	return err;
}

static int add_req(struct http_rule *r, const char *name, size_t name_len,
		   const char *value)
{
	struct hdr_req *req;
	size_t cap = r->n_reqs;

	req = DFL_PUSH(r->reqs, r->n_reqs, cap);
	if (!req)
		return -ENOMEM;
	req->name = strndup(name, name_len);
	req->value = value ? strdup(value) : NULL;
	if (!req->name || (value && !req->value))
		return -ENOMEM;
	return 0;
}

/* headers: "Name" is presence; "Name value" or "Name: value" is an exact
 * value (split at the first space, trailing colons cut from the name, as
 * Cilium's envoy_l7_rules_translator.go does). */
static int compile_headers(struct http_rule *r, const struct dfl_http_rule *in)
{
	for (size_t i = 0; i < in->n_headers; i++) {
		const char *h = in->headers[i];
		const char *sp = strchr(h, ' ');
		size_t name_len;
		int err;

		if (!sp) {
			err = add_req(r, h, strlen(h), NULL);
		} else {
			name_len = (size_t)(sp - h);
			while (name_len && h[name_len - 1] == ':')
				name_len--;
			err = add_req(r, h, name_len, sp + 1);
		}
		if (err)
			return err;
	}
	return 0;
}

static int compile_header_matches(struct http_rule *r,
				  const struct dfl_http_rule *in, size_t idx,
				  struct dfl_diags *diags)
{
	size_t cap = 0;

	for (size_t i = 0; i < in->n_header_matches; i++) {
		const struct dfl_header_match *hm = &in->header_matches[i];
		const char *value = hm->value ? hm->value : "";
		struct hdr_act *act;
		int err;

		if (!hm->name || !*hm->name)
			continue; /* crd/ rejects these; nothing to match */
		if (!*value && hm->secret_name) {
			/* Cilium: a secret it cannot read makes the rule
			 * never match. We read no secrets. */
			r->never = true;
			err = diag_field(
			    diags, DFL_SEV_WARNING, hm->pos, idx,
			    "headerMatches", "secret-not-supported",
			    "header \"%s\" takes its value from secret %s/%s, "
			    "which deflector cannot read: this rule never "
			    "matches",
			    hm->name,
			    hm->secret_namespace ? hm->secret_namespace : "",
			    hm->secret_name);
			if (err)
				return err;
			continue;
		}
		if (hm->mismatch == DFL_MISMATCH_NONE) {
			err = add_req(r, hm->name, strlen(hm->name),
				      *value ? value : NULL);
			if (err)
				return err;
			continue;
		}
		act = DFL_PUSH(r->acts, r->n_acts, cap);
		if (!act)
			return -ENOMEM;
		act->name = strdup(hm->name);
		act->value = strdup(value);
		act->action = hm->mismatch;
		act->index = i;
		if (!act->name || !act->value)
			return -ENOMEM;
	}
	return 0;
}

static uint64_t edge_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	return key ^ (key >> 33);
}

/* The child of <node> along <byte>, or 0 (the root is never a child). */
static uint32_t trie_child(const struct trie *t, uint32_t node, uint8_t byte)
{
	uint64_t key = ((uint64_t)node << 8 | byte) + 1;

	if (!t->n_slots)
		return 0;
	for (size_t i = edge_hash(key) & (t->n_slots - 1);;
	     i = (i + 1) & (t->n_slots - 1)) {
		if (t->keys[i] == key)
			return t->child[i];
		if (!t->keys[i])
			return 0;
	}
}

static int trie_put_edge(struct trie *t, uint64_t key, uint32_t child)
{
	size_t i = edge_hash(key) & (t->n_slots - 1);

	while (t->keys[i])
		i = (i + 1) & (t->n_slots - 1);
	t->keys[i] = key;
	t->child[i] = child;
	return 0;
}

static int trie_grow_edges(struct trie *t)
{
	struct trie old = *t;
	size_t n = t->n_slots ? t->n_slots * 2 : 64;

	t->keys = calloc(n, sizeof(*t->keys));
	t->child = calloc(n, sizeof(*t->child));
	if (!t->keys || !t->child) {
		free(t->keys);
		free(t->child);
		t->keys = old.keys;
		t->child = old.child;
		return -ENOMEM;
	}
	t->n_slots = n;
	for (size_t i = 0; i < old.n_slots; i++)
		if (old.keys[i])
			trie_put_edge(t, old.keys[i], old.child[i]);
	free(old.keys);
	free(old.child);
	return 0;
}

/* Adds rule <rule> under <text>: exactly that path, or any path starting
 * with it. */
static int trie_add(struct trie *t, const char *text, size_t len, size_t rule,
		    bool exact)
{
	uint32_t node = 0;
	struct trie_node *tn;
	size_t *slot;

	if (!t->n_nodes && !DFL_PUSH(t->nodes, t->n_nodes, t->cap_nodes))
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = (uint8_t)text[i];
		uint32_t next = trie_child(t, node, b);

		if (!next) {
			if (2 * (t->n_edges + 1) > t->n_slots &&
			    trie_grow_edges(t))
				return -ENOMEM;
			if (!DFL_PUSH(t->nodes, t->n_nodes, t->cap_nodes))
				return -ENOMEM;
			next = (uint32_t)(t->n_nodes - 1);
			trie_put_edge(t, ((uint64_t)node << 8 | b) + 1, next);
			t->n_edges++;
		}
		node = next;
	}
	tn = &t->nodes[node];
	slot = exact ? DFL_PUSH(tn->exact, tn->n_exact, tn->cap_exact)
		     : DFL_PUSH(tn->pre, tn->n_pre, tn->cap_pre);
	if (!slot)
		return -ENOMEM;
	*slot = rule;
	return 0;
}

/* The literal text every subject of <pattern> starts with (RE2 syntax):
 * plain and escaped punctuation characters up to the first operator, minus
 * a last character that a quantifier applies to. Nothing when the pattern
 * has an alternation or starts with flags. Returns the length written. */
static size_t literal_prefix(const char *p, char *out, size_t cap)
{
	size_t i = 0, n = 0, plen = strlen(p);

	if (strchr(p, '|') || !strncmp(p, "(?", 2))
		return 0;
	if (p[0] == '^')
		i = 1; /* start of text: adds nothing to a full match */
	while (i < plen && n < cap) {
		size_t w = 1, j;
		char c = p[i];
		struct re_scan rs = {.p = p, .n = plen};
		long min, max;

		if (c == '\\') {
			if (i + 1 >= plen || !ispunct((unsigned char)p[i + 1]))
				break;
			c = p[i + 1];
			w = 2;
		} else if (strchr(".[](){}*+?^$", c)) {
			break;
		} else if ((unsigned char)c >= 0x80) {
			while (i + w < plen &&
			       ((unsigned char)p[i + w] & 0xc0) == 0x80)
				w++;
		}
		j = i + w;
		rs.i = j;
		if (j < plen &&
		    (strchr("*+?", p[j]) ||
		     (p[j] == '{' && re_repeat_len(&rs, &min, &max))))
			break; /* the character is repeated: not a fixed prefix
				*/
		if (w == 2) {
			out[n++] = c;
		} else {
			if (n + w > cap)
				break;
			memcpy(out + n, p + i, w);
			n += w;
		}
		i = j;
	}
	return n;
}

struct dfl_http_matcher *
dfl_http_matcher__new(const struct dfl_http_rule *rules, size_t n,
		      struct dfl_diags *diags)
{
	struct dfl_http_matcher *m;
	bool invalid = false;
	int err = 0;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->short_circuit = true;
	if (n) {
		m->rules = calloc(n, sizeof(*m->rules));
		m->general = calloc(n, sizeof(*m->general));
		if (!m->rules || !m->general) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = re_ctx_init(&m->re);
	for (size_t i = 0; i < n && !err; i++) {
		const struct dfl_http_rule *in = &rules[i];
		struct http_rule *r = &m->rules[i];

		m->n = i + 1;
		err = compile_field(&r->method, in->method, "method", i,
				    in->pos, diags, &invalid);
		if (!err)
			err = compile_field(&r->path, in->path, "path", i,
					    in->pos, diags, &invalid);
		if (!err)
			err = compile_field(&r->host, in->host, "host", i,
					    in->pos, diags, &invalid);
		if (!err)
			err = compile_headers(r, in);
		if (!err)
			err = compile_header_matches(r, in, i, diags);
		if (err)
			break;
		if (r->n_acts)
			m->short_circuit = false;
		if (r->path.literal) {
			err = trie_add(&m->trie, r->path.literal,
				       r->path.literal_len, i, true);
		} else {
			char pre[256];
			size_t len =
			    in->path && *in->path
				? literal_prefix(in->path, pre, sizeof(pre))
				: 0;

			if (len)
				err = trie_add(&m->trie, pre, len, i, false);
			else
				m->general[m->n_general++] = i;
		}
	}
	if (!err && invalid)
		err = -EINVAL;
out:
	if (err) {
		dfl_http_matcher__free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	return alen == blen && !strncasecmp(a, b, alen);
}

/* Constant-time comparison for equal lengths (header values may be
 * secrets, as in Cilium's CRYPTO_memcmp use). */
static bool ct_eq(const char *a, const char *b, size_t len)
{
	unsigned char d = 0;

	for (size_t i = 0; i < len; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* The values of every <name> header joined with "," (Envoy's
 * getAllOfHeaderAsString) compared with <want>; *first gets the first value
 * (NULL when the header is absent). */
static bool header_equals(const struct dfl_http_request_view *req,
			  const char *name, const char *want,
			  const struct dfl_http_header_view **first)
{
	size_t wlen = strlen(want), pos = 0;
	bool equal = true;

	*first = NULL;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct dfl_http_header_view *h = &req->headers[i];

		if (!name_eq(h->name, h->name_len, name))
			continue;
		if (*first) {
			if (pos >= wlen || want[pos] != ',')
				equal = false;
			pos++;
		} else {
			*first = h;
		}
		if (equal && pos + h->value_len <= wlen &&
		    ct_eq(want + pos, h->value, h->value_len))
			pos += h->value_len;
		else
			equal = false;
	}
	return *first && equal && pos == wlen;
}

static bool rule_matches_fixed(const struct dfl_http_matcher *m,
			       const struct http_rule *r,
			       const struct dfl_http_request_view *req,
			       const bool valid[3], bool path_known,
			       bool *limit_hit)
{
	const struct dfl_http_header_view *first;

	if (r->never)
		return false;
	if (r->method.set &&
	    (!valid[0] || !l7_re_match(&m->re, &r->method, req->method,
				       req->method_len, limit_hit)))
		return false;
	if (r->path.set && !path_known &&
	    (!valid[1] || !l7_re_match(&m->re, &r->path, req->path,
				       req->path_len, limit_hit)))
		return false;
	if (r->host.set && (!req->host || !valid[2] ||
			    !l7_re_match(&m->re, &r->host, req->host,
					 req->host_len, limit_hit)))
		return false;
	for (size_t i = 0; i < r->n_reqs; i++) {
		const struct hdr_req *h = &r->reqs[i];

		if (!h->value) {
			header_equals(req, h->name, "", &first);
			if (!first)
				return false;
		} else if (!header_equals(req, h->name, h->value, &first)) {
			return false;
		}
	}
	return true;
}

/* Records the side effects of a matching rule's headerMatches (all of them
 * have a non-failing mismatch action). Returns false when <out> is full. */
static bool rule_actions(const struct http_rule *r, size_t idx,
			 const struct dfl_http_request_view *req,
			 struct dfl_http_verdict *out)
{
	for (size_t i = 0; i < r->n_acts; i++) {
		const struct hdr_act *a = &r->acts[i];
		const struct dfl_http_header_view *first;
		struct dfl_http_header_action *o;
		bool match;

		if (!*a->value) {
			header_equals(req, a->name, "", &first);
			match = first != NULL;
		} else {
			match = header_equals(req, a->name, a->value, &first);
		}
		if (match)
			continue;
		/* DELETE has nothing to remove when the header is absent or
		 * only its presence was asked for. */
		if (a->action == DFL_MISMATCH_DELETE && (!first || !*a->value))
			continue;
		if (out->n_actions == DFL_HTTP_MAX_ACTIONS)
			return false;
		o = &out->actions[out->n_actions++];
		*o = (struct dfl_http_header_action){
		    .action = a->action,
		    .rule = idx,
		    .match = a->index,
		    .name = a->name,
		    .value = a->value,
		    .present = first ? first->value : NULL,
		    .present_len = first ? first->value_len : 0,
		};
	}
	return true;
}

/* Collects the trie's candidates for <path> as rule * 2 + exact, sorted.
 * Returns their number, or -1 when there are too many for <out>. */
static int path_candidates(const struct trie *t, const char *path, size_t len,
			   uint32_t *out)
{
	uint32_t node = 0;
	size_t n = 0, k;

	if (!path || !t->n_nodes)
		return 0;
	for (k = 0; k < len; k++) {
		const struct trie_node *tn;

		node = trie_child(t, node, (uint8_t)path[k]);
		if (!node)
			break;
		tn = &t->nodes[node];
		if (n + tn->n_pre + tn->n_exact > MAX_CANDIDATES)
			return -1;
		for (size_t i = 0; i < tn->n_pre; i++)
			out[n++] = (uint32_t)(tn->pre[i] * 2);
		if (k + 1 == len)
			for (size_t i = 0; i < tn->n_exact; i++)
				out[n++] = (uint32_t)(tn->exact[i] * 2 + 1);
	}
	/* insertion sort: a handful of entries, mostly in order already */
	for (size_t i = 1; i < n; i++) {
		uint32_t v = out[i];
		size_t j = i;

		while (j && out[j - 1] > v) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = v;
	}
	return (int)n;
}

/* Tries rule <idx>; returns false when matching must stop (fail closed on
 * too many actions, or the first match when nothing has side effects). */
static bool try_rule(const struct dfl_http_matcher *m, size_t idx,
		     const struct dfl_http_request_view *req,
		     const bool valid[3], bool path_known,
		     struct dfl_http_verdict *out)
{
	const struct http_rule *r = &m->rules[idx];

	if (!rule_matches_fixed(m, r, req, valid, path_known, &out->limit_hit))
		return true;
	if (!rule_actions(r, idx, req, out)) {
		/* Too many side effects to report: fail closed. */
		out->allowed = false;
		out->rule = -1;
		out->limit_hit = true;
		return false;
	}
	if (!out->allowed) {
		out->allowed = true;
		out->rule = (int)idx;
	}
	return !m->short_circuit;
}

void dfl_http_matcher__match(const struct dfl_http_matcher *m,
			     const struct dfl_http_request_view *req,
			     struct dfl_http_verdict *out)
{
	uint32_t cand[MAX_CANDIDATES];
	size_t gi = 0, ci = 0;
	bool valid[3];
	int n_cand;

	memset(out, 0, offsetof(struct dfl_http_verdict, actions));
	out->n_actions = 0;
	out->rule = -1;
	if (!m->n) {
		out->allowed = true;
		return;
	}
	valid[0] = utf8_valid(req->method, req->method_len);
	/* No path at all (CONNECT) never matches a path rule. */
	valid[1] = req->path && utf8_valid(req->path, req->path_len);
	valid[2] = !req->host || utf8_valid(req->host, req->host_len);
	n_cand = path_candidates(&m->trie, req->path, req->path_len, cand);
	if (n_cand < 0) {
		/* Pathological overlap of prefixes: try every rule in order. */
		for (size_t i = 0; i < m->n; i++)
			if (!try_rule(m, i, req, valid, false, out))
				return;
		return;
	}
	/* Visit candidate rules in index order: the general ones merged with
	 * those the path's prefixes selected. */
	while (gi < m->n_general || ci < (size_t)n_cand) {
		bool from_trie =
		    gi >= m->n_general ||
		    (ci < (size_t)n_cand && cand[ci] / 2 < m->general[gi]);
		size_t idx = from_trie ? cand[ci] / 2 : m->general[gi];
		bool exact = from_trie && (cand[ci] & 1);

		if (from_trie)
			ci++;
		else
			gi++;
		if (!try_rule(m, idx, req, valid, exact, out))
			return;
	}
}

/* ---- DNS ---------------------------------------------------------------- */

#define DNS_CHARS "[-a-zA-Z0-9_]"

enum dns_kind {
	DNS_EXACT = 0, /* no wildcard: string equality */
	DNS_REGEX,
	DNS_ALL, /* "*" under DFL_DNS_MATCH_PROXY */
};

struct dns_sel {
	enum dns_kind kind;
	char *name; /* normalised, DNS_EXACT */
	struct l7_re re;
};

struct exact_ent {
	const char *name;
	size_t sel;
};

struct dfl_dns_matcher {
	struct dns_sel *sels;
	size_t n;
	struct exact_ent *exact; /* sorted by (name, sel) */
	size_t n_exact;
	size_t *others; /* regex and match-all selectors, in order */
	size_t n_others;
	struct re_ctx re;
};

static bool dns_pattern_char(char c, bool star_ok)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' ||
	       (star_ok && c == '*');
}

/* Go's strings.TrimSpace, for ASCII. */
static void trim_space(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* matchpattern.go's isDNSWildcard: "*", "**", "*.", "**." ... */
static bool dns_is_wildcard(const char *p, size_t len)
{
	if (len && p[len - 1] == '.')
		len--;
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (p[i] != '*')
			return false;
	return true;
}

static int put(char *buf, size_t cap, size_t *at, const char *s, size_t len)
{
	if (*at + len + 1 > cap)
		return -ENOSPC;
	memcpy(buf + *at, s, len);
	*at += len;
	buf[*at] = '\0';
	return 0;
}

int dfl_fqdn__to_regex(const char *pattern, bool is_pattern, char *buf,
		       size_t len)
{
	const char *p = pattern;
	size_t n = strlen(pattern), at = 0, stars = 0, i = 0;
	char low[DNS_NAME_MAX];
	int err = 0;

	if (len)
		buf[0] = '\0';
	/* Sanitize: wildcards stay as written, the rest becomes an FQDN. */
	if (!(is_pattern && dns_is_wildcard(p, n))) {
		if (n + 2 > sizeof(low))
			return -ENAMETOOLONG;
		memcpy(low, p, n);
		if (!n || low[n - 1] != '.')
			low[n++] = '.';
		low[n] = '\0';
		p = low;
	}
	/* ToAnchoredRegexp: trim, lower-case, then convert. */
	trim_space(&p, &n);
	if (is_pattern && dns_is_wildcard(p, n)) {
		static const char all[] = "(^(" DNS_CHARS "+[.])+$)|(^[.]$)";

		err = put(buf, len, &at, all, strlen(all));
		return err ? err : (int)at;
	}
	err = put(buf, len, &at, "^", 1);
	while (stars < n && p[stars] == '*')
		stars++;
	if (!err && stars >= 2 && stars < n && p[stars] == '.') {
		static const char multi[] =
		    "(" DNS_CHARS "+([.]" DNS_CHARS "+){0,})[.]";

		err = put(buf, len, &at, multi, strlen(multi));
		i = stars + 1;
	}
	for (; i < n && !err; i++) {
		char c = (char)tolower((unsigned char)p[i]);

		if (c == '.') {
			err = put(buf, len, &at, "[.]", 3);
		} else if (c == '*') {
			while (i + 1 < n && p[i + 1] == '*')
				i++;
			err = put(buf, len, &at, DNS_CHARS "*",
				  strlen(DNS_CHARS "*"));
		} else {
			err = put(buf, len, &at, &c, 1);
		}
	}
	if (!err)
		err = put(buf, len, &at, "$", 1);
	return err ? err : (int)at;
}

/* Lower-cases <name> and appends the root dot (dns.FQDN + ToLower). Returns
 * the length, or -1 when it does not fit. */
static int dns_normalize(const char *name, size_t len, char *out, size_t cap)
{
	if (len + 2 > cap)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	if (!len || out[len - 1] != '.')
		out[len++] = '.';
	out[len] = '\0';
	return (int)len;
}

static int diag_dns(struct dfl_diags *diags, struct dfl_pos pos, size_t idx,
		    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int diag_dns(struct dfl_diags *diags, struct dfl_pos pos, size_t idx,
		    const char *field, const char *fmt, ...)
{
	char path[64], msg[400];
	va_list ap;

	if (!diags)
		return 0;
	snprintf(path, sizeof(path), "dns[%zu]%s%s", idx, *field ? "." : "",
		 field);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dfl_diags__add(diags, DFL_SEV_ERROR, pos, path,
			      "invalid-fqdn-selector", NULL, "%s", msg);
}

/* Checks one selector as Cilium's validation and matchpattern.prevalidate do.
 * Returns 1 when valid, 0 when a diagnostic was added, or -ENOMEM. */
static int dns_sel_valid(const struct dfl_fqdn_selector *s, size_t idx,
			 struct dfl_diags *diags)
{
	bool is_pattern = s->match_pattern != NULL;
	const char *v = is_pattern ? s->match_pattern : s->match_name;
	const char *field = is_pattern ? "matchPattern" : "matchName";
	const char *t = v;
	size_t len;
	int err;

	if ((s->match_name != NULL) == (s->match_pattern != NULL)) {
		err = diag_dns(
		    diags, s->pos, idx, "",
		    "exactly one of matchName and matchPattern must be set");
		return err ? err : 0;
	}
	len = strlen(v);
	trim_space(&t, &len);
	if (!len || len > 255) {
		err = diag_dns(diags, s->pos, idx, field,
			       "%s \"%s\" must be 1 to 255 characters long",
			       field, v);
		return err ? err : 0;
	}
	for (size_t i = 0; i < strlen(v); i++) {
		if (!dns_pattern_char(v[i], is_pattern)) {
			err = diag_dns(
			    diags, s->pos, idx, field,
			    "invalid character '%c' in %s \"%s\": only 0-9, "
			    "a-z, A-Z, '.', '-', '_'%s are allowed",
			    v[i], field, v, is_pattern ? " and '*'" : "");
			return err ? err : 0;
		}
	}
	return 1;
}

void dfl_dns_matcher__free(struct dfl_dns_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->sels[i].name);
		l7_re_release(&m->sels[i].re);
	}
	free(m->sels);
	free(m->exact);
	free(m->others);
	re_ctx_release(&m->re);
	free(m);
}

static int cmp_exact(const void *a, const void *b)
{
	const struct exact_ent *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->sel < y->sel ? -1 : x->sel > y->sel);
}

static int dns_sel_compile(struct dfl_dns_matcher *m, size_t i,
			   const struct dfl_fqdn_selector *in,
			   unsigned int flags)
{
	struct dns_sel *s = &m->sels[i];
	bool is_pattern = in->match_pattern != NULL;
	const char *v = is_pattern ? in->match_pattern : in->match_name;
	char buf[64 + 16 * 260], msg[160];
	int len;

	if (is_pattern && (flags & DFL_DNS_MATCH_PROXY) && !strcmp(v, "*")) {
		s->kind = DNS_ALL;
		m->others[m->n_others++] = i;
		return 0;
	}
	if (!strchr(v, '*')) {
		const char *t = v;
		size_t tlen = strlen(v);
		char norm[300];

		/* Without stars the anchored regex is the name itself. */
		trim_space(&t, &tlen);
		len = dns_normalize(t, tlen, norm, sizeof(norm));
		if (len < 0)
			return -ENAMETOOLONG;
		s->kind = DNS_EXACT;
		s->name = strdup(norm);
		if (!s->name)
			return -ENOMEM;
		m->exact[m->n_exact++] = (struct exact_ent){s->name, i};
		return 0;
	}
	len = dfl_fqdn__to_regex(v, is_pattern, buf, sizeof(buf));
	if (len < 0)
		return len;
	s->kind = DNS_REGEX;
	m->others[m->n_others++] = i;
	return l7_re_compile(&s->re, buf, false, msg, sizeof(msg));
}

struct dfl_dns_matcher *
dfl_dns_matcher__new(const struct dfl_fqdn_selector *sels, size_t n,
		     unsigned int flags, struct dfl_diags *diags)
{
	struct dfl_dns_matcher *m;
	bool invalid = false;
	int err = 0;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (n) {
		m->sels = calloc(n, sizeof(*m->sels));
		m->exact = calloc(n, sizeof(*m->exact));
		m->others = calloc(n, sizeof(*m->others));
		if (!m->sels || !m->exact || !m->others) {
			err = -ENOMEM;
			goto out;
		}
	}
	m->n = n;
	err = re_ctx_init(&m->re);
	for (size_t i = 0; i < n && !err; i++) {
		int ok = dns_sel_valid(&sels[i], i, diags);

		if (ok < 0)
			err = ok;
		else if (!ok)
			invalid = true;
		else
			err = dns_sel_compile(m, i, &sels[i], flags);
	}
	if (!err && invalid)
		err = -EINVAL;
	if (!err && m->n_exact)
		qsort(m->exact, m->n_exact, sizeof(*m->exact), cmp_exact);
out:
	if (err) {
		dfl_dns_matcher__free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

int dfl_dns_matcher__match(const struct dfl_dns_matcher *m, const char *name,
			   size_t len)
{
	char norm[DNS_NAME_MAX + 2];
	int nlen, best = DFL_DNS_NO_MATCH;
	size_t lo = 0, hi;
	bool limit = false;

	if (!m->n)
		return DFL_DNS_MATCH_EMPTY;
	nlen = dns_normalize(name, len, norm, sizeof(norm));
	if (nlen < 0)
		return DFL_DNS_NO_MATCH;

	hi = m->n_exact;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->exact[mid].name, norm) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->n_exact && !strcmp(m->exact[lo].name, norm))
		best = (int)m->exact[lo].sel;

	for (size_t k = 0; k < m->n_others; k++) {
		size_t i = m->others[k];
		const struct dns_sel *s = &m->sels[i];

		if (best >= 0 && i > (size_t)best)
			break;
		if (s->kind == DNS_ALL ||
		    (utf8_valid(norm, (size_t)nlen) &&
		     l7_re_match(&m->re, &s->re, norm, (size_t)nlen, &limit)))
			return (int)i;
	}
	return best;
}
