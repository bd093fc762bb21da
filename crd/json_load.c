/* JSON to jansson trees with positions. jansson's own parser reports no
 * positions per node, and libyaml does not accept every JSON text, so this is
 * a small recursive-descent parser (RFC 8259, as strict as Go's
 * encoding/json) that records where every value and key starts. A file may
 * hold several JSON values one after another, as kubectl accepts. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/load.h"
#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

struct jstate {
	const unsigned char *p, *end;
	unsigned int line, col;
	struct dfl_postab *pt;
	struct dfl_docs *docs;
	struct dfl_diags *diags;
	unsigned int depth;
	int err; /* -EINVAL after a syntax error, -ENOMEM */
	struct dfl_strbuf sb;
};

static struct dfl_pos here(const struct jstate *st)
{
	return (struct dfl_pos){st->pt->file, st->line, st->col};
}

static void syntax(struct jstate *st, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void syntax(struct jstate *st, const char *check, const char *fmt, ...)
{
	va_list ap;

	if (st->err)
		return;
	va_start(ap, fmt);
	st->err = dfl_diags__addv(st->diags, DFL_SEV_ERROR, here(st), NULL,
				  check, NULL, fmt, ap)
		      ? -ENOMEM
		      : -EINVAL;
	va_end(ap);
}

/* Columns count characters, not bytes, like libyaml's. */
static void adv(struct jstate *st)
{
	if (*st->p == '\n') {
		st->line++;
		st->col = 1;
	} else if ((*st->p & 0xC0) != 0x80) {
		st->col++;
	}
	st->p++;
}

static void skip_ws(struct jstate *st)
{
	while (st->p < st->end && (*st->p == ' ' || *st->p == '\t' ||
				   *st->p == '\n' || *st->p == '\r'))
		adv(st);
}

static const char *describe(const struct jstate *st)
{
	static __thread char buf[16];

	if (st->p >= st->end)
		return "end of input";
	if (*st->p >= 0x20 && *st->p < 0x7f)
		snprintf(buf, sizeof(buf), "'%c'", *st->p);
	else
		snprintf(buf, sizeof(buf), "byte 0x%02x", *st->p);
	return buf;
}

/* Length of the UTF-8 sequence at p (1..4), or 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], need, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) <= need)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need + 1;
}

static void put_utf8(struct dfl_strbuf *sb, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6)), n = 2;
		b[1] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12)), n = 3;
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
	} else {
		b[0] = (char)(0xF0 | (cp >> 18)), n = 4;
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
	}
	dfl_strbuf__append(sb, b, n);
}

static int hex4(const unsigned char *p, const unsigned char *end)
{
	int v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0'
			: (p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f'
			    ? (p[i] | 0x20) - 'a' + 10
			    : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Reads a string at '"' into st->sb. Returns 0 or sets st->err. */
static int parse_string(struct jstate *st)
{
	dfl_strbuf__reset(&st->sb);
	adv(st); /* the opening quote */
	while (st->p < st->end && *st->p != '"') {
		unsigned c = *st->p;

		if (c < 0x20) {
			syntax(st, "json-syntax",
			       "invalid character %s in string literal",
			       describe(st));
			return st->err;
		}
		if (c == '\\') {
			int cp;

			if (st->end - st->p < 2) {
				adv(st);
				break;
			}
			switch (st->p[1]) {
			case '"':
			case '\\':
			case '/':
				dfl_strbuf__putc(&st->sb, (char)st->p[1]);
				break;
			case 'b':
				dfl_strbuf__putc(&st->sb, '\b');
				break;
			case 'f':
				dfl_strbuf__putc(&st->sb, '\f');
				break;
			case 'n':
				dfl_strbuf__putc(&st->sb, '\n');
				break;
			case 'r':
				dfl_strbuf__putc(&st->sb, '\r');
				break;
			case 't':
				dfl_strbuf__putc(&st->sb, '\t');
				break;
			case 'u':
				cp = hex4(st->p + 2, st->end);
				if (cp < 0) {
					adv(st);
					syntax(st, "json-syntax",
					       "invalid \\u escape in string "
					       "literal");
					return st->err;
				}
				for (int i = 0; i < 4; i++)
					adv(st);
				if (cp >= 0xD800 && cp <= 0xDBFF &&
				    st->end - st->p >= 8 && st->p[2] == '\\' &&
				    st->p[3] == 'u') {
					int lo = hex4(st->p + 4, st->end);

					if (lo >= 0xDC00 && lo <= 0xDFFF) {
						cp = 0x10000 +
						     ((cp - 0xD800) << 10) +
						     (lo - 0xDC00);
						for (int i = 0; i < 6; i++)
							adv(st);
					}
				}
				/* Like Go: a lone surrogate becomes U+FFFD. */
				if (cp >= 0xD800 && cp <= 0xDFFF)
					cp = 0xFFFD;
				put_utf8(&st->sb, (unsigned)cp);
				break;
			default:
				adv(st);
				syntax(st, "json-syntax",
				       "invalid escape %s in string literal",
				       describe(st));
				return st->err;
			}
			adv(st);
			adv(st);
			continue;
		}
		{
			size_t n = utf8_len(st->p, st->end);

			if (!n) {
				syntax(st, "invalid-utf8",
				       "invalid UTF-8 (%s) in string literal",
				       describe(st));
				return st->err;
			}
			dfl_strbuf__append(&st->sb, (const char *)st->p, n);
			while (n--)
				adv(st);
		}
	}
	if (st->p >= st->end) {
		syntax(st, "json-syntax",
		       "unexpected end of input in string literal");
		return st->err;
	}
	adv(st); /* the closing quote */
	if (st->sb.err)
		st->err = -ENOMEM;
	return st->err;
}

static bool is_digit(const struct jstate *st)
{
	return st->p < st->end && *st->p >= '0' && *st->p <= '9';
}

static json_t *parse_number(struct jstate *st)
{
	const unsigned char *start = st->p;
	bool integral = true;
	char buf[512];
	size_t len;
	json_t *v;

	if (*st->p == '-')
		adv(st);
	if (!is_digit(st))
		goto bad;
	if (*st->p == '0') {
		adv(st);
	} else {
		while (is_digit(st))
			adv(st);
	}
	if (st->p < st->end && *st->p == '.') {
		integral = false;
		adv(st);
		if (!is_digit(st))
			goto bad;
		while (is_digit(st))
			adv(st);
	}
	if (st->p < st->end && (*st->p == 'e' || *st->p == 'E')) {
		integral = false;
		adv(st);
		if (st->p < st->end && (*st->p == '+' || *st->p == '-'))
			adv(st);
		if (!is_digit(st))
			goto bad;
		while (is_digit(st))
			adv(st);
	}
	len = (size_t)(st->p - start);
	if (len >= sizeof(buf)) {
		syntax(st, "unsupported-value", "number literal is too long");
		return NULL;
	}
	memcpy(buf, start, len);
	buf[len] = '\0';
	if (integral) {
		long long i;

		errno = 0;
		i = strtoll(buf, NULL, 10);
		if (!errno) {
			v = json_integer(i);
			goto out;
		}
	}
	{
		double f = strtod(buf, NULL);

		if (isinf(f)) {
			syntax(st, "unsupported-value",
			       "number %s is out of range",
			       len > 40 ? "literal" : buf);
			return NULL;
		}
		/* Integers beyond int64 are kept as floats (precision lost). */
		v = json_real(f);
	}
out:
	if (!v)
		st->err = -ENOMEM;
	return v;
bad:
	syntax(st, "json-syntax", "invalid character %s in numeric literal",
	       describe(st));
	return NULL;
}

static bool literal(struct jstate *st, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(st->end - st->p) < n || memcmp(st->p, word, n))
		return false;
	for (size_t i = 0; i < n; i++)
		adv(st);
	return true;
}

static json_t *parse_value(struct jstate *st);

static json_t *parse_object(struct jstate *st, json_t *obj)
{
	adv(st); /* '{' */
	skip_ws(st);
	if (st->p < st->end && *st->p == '}') {
		adv(st);
		return obj;
	}
	for (;;) {
		struct dfl_pos kpos;
		struct dfl_postab_ent *e;
		json_t *v, *prev;
		char *key;
		size_t klen;

		skip_ws(st);
		if (st->p >= st->end || *st->p != '"') {
			syntax(st, "json-syntax",
			       "invalid character %s looking for beginning of "
			       "object key string",
			       describe(st));
			return obj;
		}
		kpos = here(st);
		if (parse_string(st))
			return obj;
		klen = st->sb.len;
		key = dfl_strbuf__detach(&st->sb);
		if (!key) {
			st->err = -ENOMEM;
			return obj;
		}
		skip_ws(st);
		if (st->p >= st->end || *st->p != ':') {
			syntax(st, "json-syntax",
			       "invalid character %s after object key",
			       describe(st));
			free(key);
			return obj;
		}
		adv(st);
		v = parse_value(st);
		if (!v) {
			free(key);
			return obj;
		}
		prev = json_object_getn(obj, key, klen);
		if (prev) {
			const struct dfl_postab_ent *pe =
			    dfl_postab__get(st->pt, prev);

			if (dfl_diags__add(st->diags, DFL_SEV_ERROR, kpos, NULL,
					   "duplicate-key", NULL,
					   "duplicate key \"%s\" (first at "
					   "line %u); the last one would win",
					   key, pe ? pe->key_line : 0) ||
			    dfl_docs__mark_bad(st->docs, kpos))
				st->err = -ENOMEM;
		}
		e = (struct dfl_postab_ent *)dfl_postab__get(st->pt, v);
		if (e) {
			e->key_line = kpos.line;
			e->key_col = kpos.col;
		}
		if (json_object_setn_new(obj, key, klen, v))
			st->err = -ENOMEM;
		free(key);
		if (st->err)
			return obj;
		skip_ws(st);
		if (st->p < st->end && *st->p == ',') {
			adv(st);
			continue;
		}
		if (st->p < st->end && *st->p == '}') {
			adv(st);
			return obj;
		}
		syntax(st, "json-syntax",
		       "invalid character %s after object key:value pair",
		       describe(st));
		return obj;
	}
}

static json_t *parse_array(struct jstate *st, json_t *arr)
{
	adv(st); /* '[' */
	skip_ws(st);
	if (st->p < st->end && *st->p == ']') {
		adv(st);
		return arr;
	}
	for (;;) {
		json_t *v = parse_value(st);

		if (!v)
			return arr;
		if (json_array_append_new(arr, v)) {
			st->err = -ENOMEM;
			return arr;
		}
		skip_ws(st);
		if (st->p < st->end && *st->p == ',') {
			adv(st);
			continue;
		}
		if (st->p < st->end && *st->p == ']') {
			adv(st);
			return arr;
		}
		syntax(st, "json-syntax",
		       "invalid character %s after array element",
		       describe(st));
		return arr;
	}
}

/* Returns a new reference, or NULL with st->err set. */
static json_t *parse_value(struct jstate *st)
{
	struct dfl_pos pos;
	struct dfl_postab_ent *e;
	json_t *v = NULL;

	skip_ws(st);
	pos = here(st);
	if (st->p >= st->end) {
		syntax(st, "json-syntax", "unexpected end of JSON input");
		return NULL;
	}
	switch (*st->p) {
	case '{':
	case '[':
		if (st->depth >= DFL_LOAD_MAX_DEPTH) {
			syntax(st, "nesting-limit",
			       "JSON nests deeper than %d levels",
			       DFL_LOAD_MAX_DEPTH);
			return NULL;
		}
		v = *st->p == '{' ? json_object() : json_array();
		if (!v ||
		    !(e = dfl_postab__put(st->pt, v, pos.line, pos.col))) {
			json_decref(v);
			st->err = -ENOMEM;
			return NULL;
		}
		st->depth++;
		if (*st->p == '{')
			parse_object(st, v);
		else
			parse_array(st, v);
		st->depth--;
		if (st->err) {
			json_decref(v);
			return NULL;
		}
		/* The table may have grown: look the entry up again. */
		e = (struct dfl_postab_ent *)dfl_postab__get(st->pt, v);
		e->end_line = st->line;
		e->end_col = st->col;
		return v;
	case '"':
		if (parse_string(st))
			return NULL;
		v = json_stringn(st->sb.buf ? st->sb.buf : "", st->sb.len);
		break;
	case 't':
		if (literal(st, "true"))
			v = json_true();
		break;
	case 'f':
		if (literal(st, "false"))
			v = json_false();
		break;
	case 'n':
		if (literal(st, "null"))
			v = json_null();
		break;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		v = parse_number(st);
		if (!v)
			return NULL;
		break;
	default:
		break;
	}
	if (!v) {
		if (!st->err)
			syntax(st, "json-syntax",
			       "invalid character %s looking for beginning of "
			       "value",
			       describe(st));
		return NULL;
	}
	if (!dfl_postab__put(st->pt, v, pos.line, pos.col)) {
		json_decref(v);
		st->err = -ENOMEM;
		return NULL;
	}
	return v;
}

int dfl_json__load(const char *buf, size_t len, struct dfl_docs *docs,
		   struct dfl_postab *pt, struct dfl_diags *diags)
{
	struct jstate st = {
	    .p = (const unsigned char *)buf,
	    .end = (const unsigned char *)buf + len,
	    .line = 1,
	    .col = 1,
	    .pt = pt,
	    .docs = docs,
	    .diags = diags,
	};

	for (;;) {
		struct dfl_doc *d;
		struct dfl_pos pos;
		json_t *v;

		skip_ws(&st);
		if (st.p >= st.end)
			break;
		pos = here(&st);
		v = parse_value(&st);
		if (!v)
			break;
		d = DFL_PUSH(docs->items, docs->n, docs->cap);
		if (!d) {
			json_decref(v);
			st.err = -ENOMEM;
			break;
		}
		d->root = v;
		d->line = pos.line;
		d->col = pos.col;
	}
	dfl_strbuf__release(&st.sb);
	return st.err;
}
