/* crd/: reading YAML and JSON into trees with positions (crd/load.h):
 * go-yaml v2 scalar typing, keys, merges, aliases and their limits, syntax
 * errors with line:col, the JSON reader. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crd/load.h"
#include "util/diag.h"
#include "util/intern.h"

struct parsed {
	struct dfl_postab pt;
	struct dfl_docs docs;
	struct dfl_diags diags;
	int err;
};

static void parse_yaml(struct parsed *p, const char *text)
{
	memset(p, 0, sizeof(*p));
	p->pt.file = dfl_intern("t.yaml");
	p->err =
	    dfl_yaml__load(text, strlen(text), &p->docs, &p->pt, &p->diags);
}

static void parse_json(struct parsed *p, const char *text)
{
	memset(p, 0, sizeof(*p));
	p->pt.file = dfl_intern("t.json");
	p->err =
	    dfl_json__load(text, strlen(text), &p->docs, &p->pt, &p->diags);
}

static void release(struct parsed *p)
{
	dfl_docs__release(&p->docs);
	dfl_postab__release(&p->pt);
	dfl_diags__release(&p->diags);
}

/* The root of the only document. */
static json_t *root(struct parsed *p)
{
	ck_assert_int_eq(p->err, 0);
	ck_assert_uint_eq(p->docs.n, 1);
	return p->docs.items[0].root;
}

static const struct dfl_diag *diag_with(const struct parsed *p,
					const char *check)
{
	for (size_t i = 0; i < p->diags.n; i++)
		if (p->diags.items[i].check_id &&
		    !strcmp(p->diags.items[i].check_id, check))
			return &p->diags.items[i];
	return NULL;
}

START_TEST(yaml11_booleans_as_kubectl_sees_them)
{
	struct parsed p;
	json_t *r;

	parse_yaml(&p, "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: 'yes'\n"
		       "h: True\ni: tRUE\nj: \"on\"\nk: false\n");
	r = root(&p);
	ck_assert(json_is_true(json_object_get(r, "a")));
	ck_assert(json_is_false(json_object_get(r, "b")));
	ck_assert(json_is_true(json_object_get(r, "c")));
	ck_assert(json_is_false(json_object_get(r, "d")));
	ck_assert(json_is_true(json_object_get(r, "e")));
	ck_assert(json_is_false(json_object_get(r, "f")));
	ck_assert_str_eq(json_string_value(json_object_get(r, "g")), "yes");
	ck_assert(json_is_true(json_object_get(r, "h")));
	ck_assert_str_eq(json_string_value(json_object_get(r, "i")), "tRUE");
	ck_assert_str_eq(json_string_value(json_object_get(r, "j")), "on");
	ck_assert(json_is_false(json_object_get(r, "k")));
	release(&p);
}
END_TEST

static json_int_t int_of(json_t *r, const char *k)
{
	json_t *v = json_object_get(r, k);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", k);
	return json_integer_value(v);
}

static double real_of(json_t *r, const char *k)
{
	json_t *v = json_object_get(r, k);

	ck_assert_msg(json_is_real(v), "%s is not a float", k);
	return json_real_value(v);
}

static const char *str_of(json_t *r, const char *k)
{
	json_t *v = json_object_get(r, k);

	ck_assert_msg(json_is_string(v), "%s is not a string", k);
	return json_string_value(v);
}

START_TEST(numbers_follow_go_parse_rules)
{
	struct parsed p;
	json_t *r;

	parse_yaml(&p,
		   "n1: 80\nn2: '80'\nn3: 0x50\nn4: 010\nn5: 0o17\n"
		   "n6: 0b101\nn7: 1_000\nn8: +12\nn9: -0\nn10: 08\n"
		   "n11: 1.5\nn12: .5\nn13: 1e3\nn14: 9223372036854775807\n"
		   "n15: 9223372036854775808\nn16: 99999999999999999999999\n"
		   "n17: 1e400\nn18: 0x\nn19: -0x10\nn20: 1:20\n"
		   "n21: 2024-01-01\nn22: 2024-01-01T10:00:00Z\nn23: +\n");
	r = root(&p);
	ck_assert_int_eq(int_of(r, "n1"), 80);
	ck_assert_str_eq(str_of(r, "n2"), "80");
	ck_assert_int_eq(int_of(r, "n3"), 80);
	ck_assert_int_eq(int_of(r, "n4"), 8); /* leading 0: octal */
	ck_assert_int_eq(int_of(r, "n5"), 15);
	ck_assert_int_eq(int_of(r, "n6"), 5);
	ck_assert_int_eq(int_of(r, "n7"), 1000);
	ck_assert_int_eq(int_of(r, "n8"), 12);
	ck_assert_int_eq(int_of(r, "n9"), 0);
	ck_assert(real_of(r, "n10") == 8.0); /* bad octal, good float */
	ck_assert(real_of(r, "n11") == 1.5);
	ck_assert(real_of(r, "n12") == 0.5);
	ck_assert(real_of(r, "n13") == 1000.0);
	ck_assert(int_of(r, "n14") == INT64_MAX);
	ck_assert(real_of(r, "n15") == 9223372036854775808.0);
	ck_assert(real_of(r, "n16") == 1e23);
	ck_assert_str_eq(str_of(r, "n17"), "1e400");
	ck_assert_str_eq(str_of(r, "n18"), "0x");
	ck_assert_int_eq(int_of(r, "n19"), -16);
	ck_assert_str_eq(str_of(r, "n20"), "1:20"); /* no base 60 */
	ck_assert_str_eq(str_of(r, "n21"), "2024-01-01");
	ck_assert_str_eq(str_of(r, "n22"), "2024-01-01T10:00:00Z");
	ck_assert_str_eq(str_of(r, "n23"), "+");
	ck_assert_uint_eq(p.diags.n, 0);
	release(&p);
}
END_TEST

START_TEST(nulls_tags_and_non_finite_numbers)
{
	struct parsed p;
	json_t *r;

	parse_yaml(&p,
		   "a: ~\nb:\nc: null\nd: Null\ne: !!str 80\nf: !!int '80'\n"
		   "g: !!float 1\nh: !custom 80\ni: ! 80\nj: |\n  80\n");
	r = root(&p);
	ck_assert(json_is_null(json_object_get(r, "a")));
	ck_assert(json_is_null(json_object_get(r, "b")));
	ck_assert(json_is_null(json_object_get(r, "c")));
	ck_assert(json_is_null(json_object_get(r, "d")));
	ck_assert_str_eq(str_of(r, "e"), "80");
	ck_assert_int_eq(int_of(r, "f"), 80);
	ck_assert(real_of(r, "g") == 1.0);
	ck_assert_str_eq(str_of(r, "h"), "80");
	ck_assert_str_eq(str_of(r, "i"), "80");
	ck_assert_str_eq(str_of(r, "j"), "80\n");
	release(&p);

	parse_yaml(&p, "a: 1\nb: .inf\nc: !!int abc\nd: -.NaN\n");
	ck_assert_int_eq(p.err, 0);
	ck_assert_ptr_nonnull(diag_with(&p, "unsupported-value"));
	ck_assert_uint_eq(diag_with(&p, "unsupported-value")->pos.line, 2);
	ck_assert_ptr_nonnull(diag_with(&p, "yaml-tag"));
	ck_assert_uint_eq(diag_with(&p, "yaml-tag")->pos.line, 3);
	/* Localized: the document stays, the positions are marked bad. */
	ck_assert_uint_eq(p.docs.n, 1);
	ck_assert_uint_eq(p.docs.n_bad, 2);
	release(&p);
}
END_TEST

START_TEST(map_keys_become_strings)
{
	struct parsed p;
	json_t *r;

	parse_yaml(&p,
		   "1: a\nyes: b\n1.5: c\n0x10: d\n1000000: e\n0.00001: f\n");
	r = root(&p);
	ck_assert_str_eq(str_of(r, "1"), "a");
	ck_assert_str_eq(str_of(r, "true"), "b");
	ck_assert_str_eq(str_of(r, "1.5"), "c");
	ck_assert_str_eq(str_of(r, "16"), "d");
	ck_assert_str_eq(str_of(r, "1000000"), "e");
	ck_assert_str_eq(str_of(r, "1e-05"), "f");
	release(&p);

	parse_yaml(&p, "a: 1\n~: 2\n? [x]\n: 3\n");
	ck_assert_int_eq(p.err, 0);
	ck_assert_ptr_nonnull(diag_with(&p, "unsupported-key"));
	ck_assert_uint_eq(diag_with(&p, "unsupported-key")->pos.line, 2);
	ck_assert_uint_eq(p.docs.n_bad, 2);
	ck_assert_int_eq(json_object_size(p.docs.items[0].root), 1);
	release(&p);
}
END_TEST

START_TEST(key_float_format_matches_go)
{
	char buf[64];

	dfl_yaml__format_key_float(1e36, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1e+36");
	dfl_yaml__format_key_float(0.1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.1");
	dfl_yaml__format_key_float(123456.0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "123456");
	dfl_yaml__format_key_float(1234567.0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.234567e+06");
	dfl_yaml__format_key_float(-2.5, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-2.5");
}
END_TEST

START_TEST(merge_keys_follow_go_yaml_v2)
{
	struct parsed p;
	json_t *r, *m;

	parse_yaml(&p, "base: &b {a: 1, b: 2}\n"
		       "other: &o {b: 20, c: 30}\n"
		       "m1:\n  <<: *b\n  b: 3\n"
		       "m2:\n  b: 3\n  <<: *b\n"
		       "m3:\n  <<: [*b, *o]\n");
	r = root(&p);
	m = json_object_get(r, "m1");
	ck_assert_int_eq(int_of(m, "a"), 1);
	ck_assert_int_eq(int_of(m, "b"), 3);
	/* A merge overwrites keys written before it (go-yaml v2 order). */
	m = json_object_get(r, "m2");
	ck_assert_int_eq(int_of(m, "b"), 2);
	/* Earlier maps of a merge list win. */
	m = json_object_get(r, "m3");
	ck_assert_int_eq(int_of(m, "b"), 2);
	ck_assert_int_eq(int_of(m, "c"), 30);
	ck_assert_uint_eq(p.diags.n, 0);
	release(&p);

	parse_yaml(&p, "m:\n  <<: 5\n  a: 1\n");
	ck_assert_ptr_nonnull(diag_with(&p, "yaml-merge"));
	release(&p);
}
END_TEST

START_TEST(aliases_share_nodes_and_positions)
{
	struct parsed p;
	const struct dfl_postab_ent *e;
	json_t *r;

	parse_yaml(&p, "a: &x\n  - 1\n  - 2\nb: *x\nc: &s hello\nd: *s\n");
	r = root(&p);
	ck_assert_ptr_eq(json_object_get(r, "a"), json_object_get(r, "b"));
	ck_assert_str_eq(str_of(r, "d"), "hello");
	e = dfl_postab__get(&p.pt, json_object_get(r, "b"));
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->line, 1); /* the anchor of the shared node */
	ck_assert_uint_eq(e->col, 4);
	release(&p);

	/* An alias inside its own anchor, and one to nothing. */
	parse_yaml(&p, "a: &a [*a]\n---\nb: *nope\n---\nc: 1\n");
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(p.docs.n, 1);
	ck_assert_int_eq(int_of(p.docs.items[0].root, "c"), 1);
	ck_assert_ptr_nonnull(diag_with(&p, "yaml-alias"));
	release(&p);
}
END_TEST

START_TEST(alias_bomb_is_stopped_quickly)
{
	static const char bomb[] =
	    "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
	    "---\nok: 1\n";
	struct parsed p;
	clock_t t0 = clock();
	const struct dfl_diag *d;

	parse_yaml(&p, bomb);
	ck_assert(clock() - t0 < CLOCKS_PER_SEC);
	d = diag_with(&p, "alias-limit");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->pos.line, 5); /* where the limit is crossed */
	ck_assert_uint_eq(p.docs.n, 1);	   /* the next document survives */
	ck_assert_int_eq(int_of(p.docs.items[0].root, "ok"), 1);
	release(&p);
}
END_TEST

START_TEST(duplicate_keys_are_errors_the_last_wins)
{
	struct parsed p;
	const struct dfl_diag *d;

	parse_yaml(&p, "a: 1\nb:\n  c: 1\n  c: 2\n");
	ck_assert_int_eq(p.err, 0);
	d = diag_with(&p, "duplicate-key");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->pos.line, 4);
	ck_assert_uint_eq(d->pos.col, 3);
	ck_assert_ptr_nonnull(strstr(d->message, "first at line 3"));
	ck_assert_int_eq(
	    int_of(json_object_get(p.docs.items[0].root, "b"), "c"), 2);
	ck_assert_uint_eq(p.docs.n_bad, 1);
	release(&p);

	parse_json(&p, "{\"a\": 1,\n \"a\": 2}");
	d = diag_with(&p, "duplicate-key");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->pos.line, 2);
	ck_assert_uint_eq(d->pos.col, 2);
	release(&p);
}
END_TEST

START_TEST(deep_nesting_is_refused_without_crashing)
{
	size_t n = 100000;
	char *text = malloc(2 * n + 16);
	struct parsed p;

	ck_assert_ptr_nonnull(text);
	memset(text, '[', n);
	memset(text + n, ']', n);
	text[2 * n] = '\0';
	parse_yaml(&p, text);
	ck_assert_ptr_nonnull(diag_with(&p, "nesting-limit"));
	ck_assert_uint_eq(p.docs.n, 0);
	release(&p);
	parse_json(&p, text);
	ck_assert_int_eq(p.err, -EINVAL);
	ck_assert_ptr_nonnull(diag_with(&p, "nesting-limit"));
	release(&p);
	free(text);
}
END_TEST

START_TEST(syntax_errors_name_line_and_column)
{
	struct parsed p;
	const struct dfl_diag *d;

	parse_yaml(&p, "a: 1\n---\nkey: value\n  bad: indent\n");
	ck_assert_int_eq(p.err, -EINVAL);
	d = diag_with(&p, "yaml-syntax");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->pos.line, 4);
	ck_assert_uint_eq(d->pos.col, 6);
	ck_assert_ptr_nonnull(
	    strstr(d->message, "mapping values are not allowed"));
	/* The document before the error is kept. */
	ck_assert_uint_eq(p.docs.n, 1);
	release(&p);

	parse_yaml(&p, "a: [1, 2\nb: 3\n");
	ck_assert_int_eq(p.err, -EINVAL);
	ck_assert_uint_eq(diag_with(&p, "yaml-syntax")->pos.line, 2);
	release(&p);
}
END_TEST

START_TEST(non_utf8_bytes_are_errors)
{
	struct parsed p;

	parse_yaml(&p, "a: ok\nb: \xff\xfe\n");
	ck_assert_int_eq(p.err, -EINVAL);
	ck_assert_uint_eq(p.diags.n, 1);
	ck_assert_uint_eq(p.diags.items[0].pos.line, 2);
	release(&p);

	/* Documents before the one with the bad byte are kept. */
	parse_yaml(&p, "a: 1\n---\nb: 2\n---\nc: \x01\n---\nd: 4\n");
	ck_assert_int_eq(p.err, -EINVAL);
	ck_assert_uint_eq(p.docs.n, 2);
	ck_assert_int_eq(int_of(p.docs.items[1].root, "b"), 2);
	ck_assert_uint_eq(p.diags.n, 1);
	ck_assert_uint_eq(p.diags.items[0].pos.line, 5);
	ck_assert_uint_eq(p.diags.items[0].pos.col, 4);
	release(&p);

	parse_json(&p, "{\"a\": \"\xc3\x28\"}");
	ck_assert_int_eq(p.err, -EINVAL);
	ck_assert_ptr_nonnull(diag_with(&p, "invalid-utf8"));
	ck_assert_uint_eq(diag_with(&p, "invalid-utf8")->pos.col, 8);
	release(&p);

	/* Overlong encodings and surrogates are not UTF-8 either. */
	parse_json(&p, "{\"a\": \"\xc0\xaf\"}");
	ck_assert_ptr_nonnull(diag_with(&p, "invalid-utf8"));
	release(&p);
	parse_json(&p, "{\"a\": \"\xed\xa0\x80\"}");
	ck_assert_ptr_nonnull(diag_with(&p, "invalid-utf8"));
	release(&p);
}
END_TEST

START_TEST(multi_document_streams)
{
	struct parsed p;

	parse_yaml(&p,
		   "a: 1\n---\nb: 2\n---\n# only a comment\n---\n- x\n...\n");
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(p.docs.n, 4);
	ck_assert_int_eq(int_of(p.docs.items[0].root, "a"), 1);
	ck_assert_int_eq(int_of(p.docs.items[1].root, "b"), 2);
	ck_assert_ptr_null(p.docs.items[2].root); /* empty document */
	ck_assert(json_is_array(p.docs.items[3].root));
	ck_assert_uint_eq(p.docs.items[1].line, 2);
	release(&p);

	parse_yaml(&p, "");
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(p.docs.n, 0);
	release(&p);
}
END_TEST

START_TEST(json_values_and_positions)
{
	struct parsed p;
	const struct dfl_postab_ent *e;
	json_t *r, *a, *b;

	parse_json(&p, "{\n  \"a\": {\n    \"b\": [1, \"x\", 1.0, 1e2, -0,"
		       " 12345678901234567890, true, null]\n  },\n"
		       "  \"s\": \"\\u00e9\\ud83d\\ude00\\ud800\\/\\n\"\n}\n");
	r = root(&p);
	a = json_object_get(r, "a");
	b = json_object_get(a, "b");
	e = dfl_postab__get(&p.pt, a);
	ck_assert_uint_eq(e->line, 2);
	ck_assert_uint_eq(e->col, 8);
	ck_assert_uint_eq(e->key_line, 2);
	ck_assert_uint_eq(e->key_col, 3);
	ck_assert_uint_eq(e->end_line, 4);
	e = dfl_postab__get(&p.pt, json_array_get(b, 1));
	ck_assert_uint_eq(e->line, 3);
	ck_assert_uint_eq(e->col, 14);
	ck_assert(json_is_integer(json_array_get(b, 0)));
	ck_assert(json_is_real(json_array_get(b, 2)));
	ck_assert(json_is_real(json_array_get(b, 3)));
	ck_assert(json_is_integer(json_array_get(b, 4)));
	ck_assert(json_is_real(json_array_get(b, 5)));
	ck_assert(json_is_true(json_array_get(b, 6)));
	ck_assert(json_is_null(json_array_get(b, 7)));
	/* é, an emoji from a surrogate pair, a lone surrogate as U+FFFD. */
	ck_assert_str_eq(str_of(r, "s"),
			 "\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd/\n");
	release(&p);

	/* Several values in a row, as kubectl accepts. */
	parse_json(&p, "{\"a\":1} {\"b\":2}\n[3]");
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(p.docs.n, 3);
	release(&p);
}
END_TEST

START_TEST(json_syntax_errors)
{
	static const struct {
		const char *text;
		unsigned line, col;
	} cases[] = {
	    {"{\"a\":1,}", 1, 8},      {"{\"a\":01}", 1, 7},
	    {"{\"a\" 1}", 1, 6},       {"{\"a\":[1 2]}", 1, 9},
	    {"{\n\"a\":tru}", 2, 5},   {"{\"a\":\"x\n\"}", 1, 8},
	    {"{\"a\":\"\\q\"}", 1, 8}, {"{\"a\":-}", 1, 7},
	    {"{\"a\":1", 1, 7},	       {"{\"a\":1e}", 1, 8},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed p;

		parse_json(&p, cases[i].text);
		ck_assert_msg(p.err == -EINVAL, "case %zu accepted", i);
		ck_assert_uint_eq(p.diags.n, 1);
		ck_assert_msg(p.diags.items[0].pos.line == cases[i].line &&
				  p.diags.items[0].pos.col == cases[i].col,
			      "case %zu: error at %u:%u", i,
			      p.diags.items[0].pos.line,
			      p.diags.items[0].pos.col);
		release(&p);
	}
}
END_TEST

START_TEST(json_sniffing)
{
	ck_assert(dfl_load__looks_like_json("  \n{\"a\":1}", 10));
	ck_assert(!dfl_load__looks_like_json("a: {}", 5));
	ck_assert(!dfl_load__looks_like_json("[1]", 3));
	ck_assert(!dfl_load__looks_like_json("", 0));
}
END_TEST

START_TEST(resolve_edge_cases)
{
	struct dfl_yaml_scalar s;

	dfl_yaml__resolve("<<", 2, true, NULL, &s);
	ck_assert_int_eq(s.kind, DFL_YK_MERGE);
	dfl_yaml__resolve("<<", 2, false, NULL, &s);
	ck_assert_int_eq(s.kind, DFL_YK_STRING);
	dfl_yaml__resolve("18446744073709551615", 20, true, NULL, &s);
	ck_assert_int_eq(s.kind, DFL_YK_UINT);
	dfl_yaml__resolve("18446744073709551616", 20, true, NULL, &s);
	ck_assert_int_eq(s.kind, DFL_YK_FLOAT);
	dfl_yaml__resolve("-9223372036854775808", 20, true, NULL, &s);
	ck_assert_int_eq(s.kind, DFL_YK_INT);
	ck_assert(s.i == INT64_MIN);
	dfl_yaml__resolve("1_", 2, true, NULL, &s);
	ck_assert_int_eq(s.kind,
			 DFL_YK_INT); /* underscores are dropped first */
	dfl_yaml__resolve("_1", 2, true, NULL, &s);
	ck_assert_int_eq(s.kind, DFL_YK_STRING);
	dfl_yaml__resolve("1\0002", 3, true, NULL, &s);
	ck_assert_int_eq(s.kind, DFL_YK_STRING);
}
END_TEST

static Suite *load_suite(void)
{
	Suite *s = suite_create("crd-load");
	TCase *y = tcase_create("yaml"), *j = tcase_create("json");

	tcase_set_timeout(y, 30);
	tcase_add_test(y, yaml11_booleans_as_kubectl_sees_them);
	tcase_add_test(y, numbers_follow_go_parse_rules);
	tcase_add_test(y, nulls_tags_and_non_finite_numbers);
	tcase_add_test(y, map_keys_become_strings);
	tcase_add_test(y, key_float_format_matches_go);
	tcase_add_test(y, merge_keys_follow_go_yaml_v2);
	tcase_add_test(y, aliases_share_nodes_and_positions);
	tcase_add_test(y, alias_bomb_is_stopped_quickly);
	tcase_add_test(y, duplicate_keys_are_errors_the_last_wins);
	tcase_add_test(y, deep_nesting_is_refused_without_crashing);
	tcase_add_test(y, syntax_errors_name_line_and_column);
	tcase_add_test(y, non_utf8_bytes_are_errors);
	tcase_add_test(y, multi_document_streams);
	tcase_add_test(y, resolve_edge_cases);
	tcase_add_test(j, json_values_and_positions);
	tcase_add_test(j, json_syntax_errors);
	tcase_add_test(j, json_sniffing);
	suite_add_tcase(s, y);
	suite_add_tcase(s, j);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(load_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dfl_intern_release();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
