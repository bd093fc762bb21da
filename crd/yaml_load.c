/* YAML to jansson trees with positions, through libyaml's event API.
 *
 * The tree is what sigs.k8s.io/yaml would hand to the API server: scalars
 * typed by go-yaml v2's rules (yaml_scalar.c), map keys turned into strings,
 * merge keys ("<<") applied, aliases resolved. Aliased nodes are shared (one
 * jansson node, several parents), so an alias costs O(1) memory; the nodes
 * they add are counted and capped per document (alias bombs). Duplicate keys
 * are reported (the later value is kept, as go-yaml does). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "crd/load.h"
#include "util/diag.h"
#include "util/mem.h"

struct frame {
	json_t *node; /* the object or array being built (owned) */
	bool is_map;
	bool want_value; /* a key was read, its value comes next */
	bool key_merge;	 /* that key is "<<" */
	bool key_bad;	 /* that key is unusable: drop its value */
	char *key;	 /* the pending key (owned) */
	size_t key_len;
	unsigned int key_line, key_col;
	json_t *explicit_keys; /* after a merge: the keys written out */
	char *anchor;	       /* registered when the node is complete */
	size_t size;	       /* nodes in the subtree, aliases expanded */
};

struct anchor {
	char *name;
	json_t *node; /* a reference */
	size_t size;
};

struct ystate {
	struct dfl_postab *pt;
	struct dfl_docs *docs;
	struct dfl_diags *diags;
	struct frame *stack;
	size_t depth, cap;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	json_t *root;
	unsigned int doc_line, doc_col;
	size_t alias_nodes;
	bool skip_doc; /* a fatal problem: drop the rest of this document */
	bool abort;    /* stop reading the stream (input libyaml is slow on) */
	int err;       /* -ENOMEM */
};

static struct dfl_pos mark_pos(const struct ystate *st, yaml_mark_t m)
{
	return (struct dfl_pos){st->pt->file, (unsigned int)m.line + 1,
				(unsigned int)m.column + 1};
}

static void report(struct ystate *st, struct dfl_pos pos, bool localized,
		   const char *check, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A problem inside a document. Localized problems keep the document but make
 * the object around <pos> invalid; the others drop the document. */
static void report(struct ystate *st, struct dfl_pos pos, bool localized,
		   const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (dfl_diags__addv(st->diags, DFL_SEV_ERROR, pos, NULL, check, NULL,
			    fmt, ap))
		st->err = -ENOMEM;
	va_end(ap);
	if (localized) {
		if (dfl_docs__mark_bad(st->docs, pos))
			st->err = -ENOMEM;
	} else {
		st->skip_doc = true;
	}
}

static void free_frame(struct frame *f)
{
	json_decref(f->node);
	json_decref(f->explicit_keys);
	free(f->key);
	free(f->anchor);
	memset(f, 0, sizeof(*f));
}

static void reset_doc(struct ystate *st)
{
	while (st->depth)
		free_frame(&st->stack[--st->depth]);
	for (size_t i = 0; i < st->n_anchors; i++) {
		free(st->anchors[i].name);
		json_decref(st->anchors[i].node);
	}
	st->n_anchors = 0;
	json_decref(st->root);
	st->root = NULL;
	st->alias_nodes = 0;
	st->skip_doc = false;
}

static void add_anchor(struct ystate *st, const char *name, json_t *node,
		       size_t size)
{
	struct anchor *a =
	    DFL_PUSH(st->anchors, st->n_anchors, st->cap_anchors);

	if (!a || !(a->name = strdup(name))) {
		if (a)
			st->n_anchors--;
		st->err = -ENOMEM;
		return;
	}
	a->node = json_incref(node);
	a->size = size;
}

static const struct anchor *find_anchor(const struct ystate *st,
					const char *name)
{
	/* Latest definition wins: YAML lets a document redefine an anchor. */
	for (size_t i = st->n_anchors; i-- > 0;)
		if (!strcmp(st->anchors[i].name, name))
			return &st->anchors[i];
	return NULL;
}

/* The JSON object key a scalar map key becomes in sigs.k8s.io/yaml. Returns
 * a malloc'ed string and its length, or NULL with *why set. */
static char *key_string(const json_t *v, size_t *len, const char **why)
{
	char buf[64];
	const char *s = buf;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		s = json_string_value(v);
		break;
	case JSON_INTEGER:
		*len =
		    (size_t)snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
				     json_integer_value(v));
		break;
	case JSON_REAL:
		dfl_yaml__format_key_float(json_real_value(v), buf,
					   sizeof(buf));
		*len = strlen(buf);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		s = json_is_true(v) ? "true" : "false";
		*len = strlen(s);
		break;
	case JSON_NULL:
		*why = "a null map key cannot become a JSON field name";
		return NULL;
	default:
		*why = "a mapping or sequence cannot be a map key";
		return NULL;
	}
	{
		char *out = malloc(*len + 1);

		if (!out) {
			*why = NULL;
			return NULL;
		}
		memcpy(out, s, *len);
		out[*len] = '\0';
		return out;
	}
}

static void merge_into(struct ystate *st, struct frame *f, const json_t *src)
{
	const char *k;
	size_t klen;
	json_t *v;

	json_object_keylen_foreach((json_t *)src, k, klen, v)
	{
		if (json_object_setn(f->node, k, klen, v))
			st->err = -ENOMEM;
	}
}

/* "<<: *base" or "<<: [*a, *b]": copy the keys in. Like go-yaml v2, the
 * merge overwrites keys written before it; earlier maps of a list win. */
static void apply_merge(struct ystate *st, struct frame *f, json_t *value,
			struct dfl_pos pos)
{
	const char *k;
	size_t klen;
	json_t *v;

	if (!f->explicit_keys) {
		f->explicit_keys = json_object();
		if (!f->explicit_keys) {
			st->err = -ENOMEM;
			return;
		}
		json_object_keylen_foreach(f->node, k, klen, v)
		{
			if (json_object_setn_new(f->explicit_keys, k, klen,
						 json_null()))
				st->err = -ENOMEM;
		}
	}
	if (json_is_object(value)) {
		merge_into(st, f, value);
		return;
	}
	if (json_is_array(value)) {
		for (size_t i = json_array_size(value); i-- > 0;)
			if (!json_is_object(json_array_get(value, i)))
				goto bad;
		for (size_t i = json_array_size(value); i-- > 0;)
			merge_into(st, f, json_array_get(value, i));
		return;
	}
bad:
	report(st, pos, true, "yaml-merge",
	       "map merge requires a map or a sequence of maps as the value");
}

static void set_member(struct ystate *st, struct frame *f, json_t *node)
{
	const struct dfl_postab_ent *prev;
	struct dfl_postab_ent *e;
	bool dup;

	if (f->explicit_keys) {
		dup = json_object_getn(f->explicit_keys, f->key, f->key_len);
		if (json_object_setn_new(f->explicit_keys, f->key, f->key_len,
					 json_null()))
			st->err = -ENOMEM;
	} else {
		dup = json_object_getn(f->node, f->key, f->key_len);
	}
	if (dup) {
		struct dfl_pos pos = {st->pt->file, f->key_line, f->key_col};

		prev = dfl_postab__get(
		    st->pt, json_object_getn(f->node, f->key, f->key_len));
		if (prev && prev->key_line)
			report(st, pos, true, "duplicate-key",
			       "duplicate key \"%s\" (first at line %u); the "
			       "last one would win",
			       f->key, prev->key_line);
		else
			report(st, pos, true, "duplicate-key",
			       "duplicate key \"%s\"; the last one would win",
			       f->key);
	}
	if (json_object_setn_new(f->node, f->key, f->key_len,
				 json_incref(node))) {
		json_decref(node);
		st->err = -ENOMEM;
		return;
	}
	/* Shared (aliased) nodes keep the key where they first appeared. */
	e = (struct dfl_postab_ent *)dfl_postab__get(st->pt, node);
	if (e && !e->key_line) {
		e->key_line = f->key_line;
		e->key_col = f->key_col;
	}
	json_decref(node);
}

/* Hands a complete node (a reference the callee consumes) to its parent. */
static void attach(struct ystate *st, json_t *node, size_t size,
		   struct dfl_pos pos, bool merge_key)
{
	struct frame *f;

	if (!st->depth) {
		json_decref(st->root);
		st->root = node;
		return;
	}
	f = &st->stack[st->depth - 1];
	f->size += size;
	if (!f->is_map) {
		if (json_array_append_new(f->node, node))
			st->err = -ENOMEM;
		return;
	}
	if (!f->want_value) {
		const char *why = NULL;

		free(f->key);
		f->key = NULL;
		f->key_bad = f->key_merge = false;
		f->key_line = pos.line;
		f->key_col = pos.col;
		f->want_value = true;
		if (merge_key) {
			f->key_merge = true;
		} else {
			f->key = key_string(node, &f->key_len, &why);
			if (!f->key) {
				f->key_bad = true;
				if (why)
					report(st, pos, true, "unsupported-key",
					       "%s", why);
				else
					st->err = -ENOMEM;
			}
		}
		json_decref(node);
		return;
	}
	f->want_value = false;
	if (f->key_bad)
		json_decref(node);
	else if (f->key_merge) {
		apply_merge(st, f, node, pos);
		json_decref(node);
	} else {
		set_member(st, f, node);
	}
}

/* A scalar event's value as a jansson node; NULL on ENOMEM. */
static json_t *scalar_node(struct ystate *st, const yaml_event_t *ev,
			   struct dfl_pos pos, bool *merge_key)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	struct dfl_yaml_scalar r;
	const char *tag = (const char *)ev->data.scalar.tag;

	/* libyaml resolves "!!int" to the long form; "!" (non-specific)
	 * marks a string. */
	if (tag && !strcmp(tag, "!"))
		plain = false, tag = NULL;
	dfl_yaml__resolve(s, len, plain, tag, &r);
	*merge_key = r.kind == DFL_YK_MERGE;
	switch (r.kind) {
	case DFL_YK_NULL:
		return json_null();
	case DFL_YK_BOOL:
		return json_boolean(r.b);
	case DFL_YK_INT:
		return json_integer(r.i);
	case DFL_YK_UINT:
		return json_real((double)r.u);
	case DFL_YK_FLOAT:
		return json_real(r.f);
	case DFL_YK_NONFINITE:
		report(st, pos, true, "unsupported-value",
		       "\"%.*s\" is not a finite number; JSON (and so the API "
		       "server) cannot hold it",
		       (int)(len > 40 ? 40 : len), s);
		return json_null();
	case DFL_YK_BIGINT:
		report(st, pos, true, "unsupported-value",
		       "number \"%.*s\" is too large for any integer type",
		       (int)(len > 40 ? 40 : len), s);
		return json_null();
	case DFL_YK_BAD_TAG:
		report(st, pos, true, "yaml-tag",
		       "cannot decode \"%.*s\" as %s",
		       (int)(len > 40 ? 40 : len), s, tag);
		return json_null();
	case DFL_YK_MERGE:
	case DFL_YK_STRING:
		break;
	}
	return json_stringn(s, len);
}

static void on_scalar(struct ystate *st, const yaml_event_t *ev)
{
	struct dfl_pos pos = mark_pos(st, ev->start_mark);
	bool merge_key = false;
	json_t *node = scalar_node(st, ev, pos, &merge_key);
	bool is_key = st->depth && st->stack[st->depth - 1].is_map &&
		      !st->stack[st->depth - 1].want_value;

	if (!node) {
		/* libyaml checks the input's UTF-8, but escapes such as
		 * "\uD800" can still produce text jansson refuses. */
		report(st, pos, true, "invalid-utf8",
		       "string is not valid UTF-8 (a lone surrogate escape?)");
		node = json_null();
		if (!node) {
			st->err = -ENOMEM;
			return;
		}
	}
	/* Keys become strings of their parent; only values need positions. */
	if ((!is_key || ev->data.scalar.anchor) &&
	    !dfl_postab__put(st->pt, node, pos.line, pos.col))
		st->err = -ENOMEM;
	if (ev->data.scalar.anchor)
		add_anchor(st, (const char *)ev->data.scalar.anchor, node, 1);
	attach(st, node, 1, pos, merge_key);
}

static void on_start(struct ystate *st, const yaml_event_t *ev, bool is_map)
{
	struct dfl_pos pos = mark_pos(st, ev->start_mark);
	const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor
					   : ev->data.sequence_start.anchor;
	struct frame *f;

	if (st->depth >= DFL_LOAD_MAX_DEPTH) {
		/* libyaml's cost grows with the square of the flow depth:
		 * stop reading here rather than wait for the document end. */
		report(st, pos, false, "nesting-limit",
		       "document nests deeper than %d levels; the rest of the "
		       "file is not read",
		       DFL_LOAD_MAX_DEPTH);
		st->abort = true;
		return;
	}
	f = DFL_PUSH(st->stack, st->depth, st->cap);
	if (!f) {
		st->err = -ENOMEM;
		return;
	}
	f->is_map = is_map;
	f->node = is_map ? json_object() : json_array();
	f->size = 1;
	if (!f->node || !dfl_postab__put(st->pt, f->node, pos.line, pos.col) ||
	    (anchor && !(f->anchor = strdup((const char *)anchor))))
		st->err = -ENOMEM;
}

static void on_end(struct ystate *st, const yaml_event_t *ev)
{
	struct frame f;
	struct dfl_postab_ent *e;
	struct dfl_pos pos;

	if (!st->depth)
		return;
	f = st->stack[--st->depth];
	e = (struct dfl_postab_ent *)dfl_postab__get(st->pt, f.node);
	if (e) {
		e->end_line = (unsigned int)ev->end_mark.line + 1;
		e->end_col = (unsigned int)ev->end_mark.column + 1;
	}
	pos = (struct dfl_pos){st->pt->file, e ? e->line : 0, e ? e->col : 0};
	if (f.anchor)
		add_anchor(st, f.anchor, f.node, f.size);
	attach(st, json_incref(f.node), f.size, pos, false);
	free_frame(&f);
}

static void on_alias(struct ystate *st, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct dfl_pos pos = mark_pos(st, ev->start_mark);
	const struct anchor *a = find_anchor(st, name);

	if (!a) {
		/* Also what an alias inside its own anchor's node gets: the
		 * anchor is registered only once its node is complete. */
		report(st, pos, false, "yaml-alias",
		       "unknown anchor '%s' referenced", name);
		return;
	}
	st->alias_nodes += a->size;
	if (st->alias_nodes > DFL_LOAD_MAX_ALIAS_NODES) {
		report(st, pos, false, "alias-limit",
		       "aliases expand this document by more than %d nodes",
		       DFL_LOAD_MAX_ALIAS_NODES);
		return;
	}
	attach(st, json_incref(a->node), a->size, pos, false);
}

static void end_doc(struct ystate *st)
{
	struct dfl_doc *d;

	if (json_is_null(st->root)) {
		/* "---" followed by nothing (or comments): an empty document.
		 */
		json_decref(st->root);
		st->root = NULL;
	}
	if (!st->skip_doc) {
		d = DFL_PUSH(st->docs->items, st->docs->n, st->docs->cap);
		if (!d) {
			st->err = -ENOMEM;
		} else {
			d->root = st->root;
			d->line = st->doc_line;
			d->col = st->doc_col;
			st->root = NULL;
		}
	}
	reset_doc(st);
}

/* Parses the stream; on a reader error (bytes that are not UTF-8, control
 * characters) stores its offset in *bad_offset and returns -EINVAL. */
static int parse_stream(const char *buf, size_t len, struct ystate *st,
			size_t *bad_offset)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int err = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && !st->err && !st->abort) {
		if (!yaml_parser_parse(&parser, &ev)) {
			struct dfl_pos pos = mark_pos(st, parser.problem_mark);

			if (parser.error == YAML_MEMORY_ERROR) {
				err = -ENOMEM;
			} else if (parser.error == YAML_READER_ERROR) {
				*bad_offset = parser.problem_offset;
				err = -EINVAL;
			} else if (dfl_diags__add(
				       st->diags, DFL_SEV_ERROR, pos, NULL,
				       "yaml-syntax", NULL, "%s%s%s",
				       parser.problem ? parser.problem
						      : "syntax error",
				       parser.context ? " " : "",
				       parser.context ? parser.context : "")) {
				err = -ENOMEM;
			} else {
				err = -EINVAL;
			}
			break;
		}
		if (st->skip_doc && ev.type != YAML_DOCUMENT_END_EVENT &&
		    ev.type != YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			reset_doc(st);
			st->doc_line = (unsigned int)ev.start_mark.line + 1;
			st->doc_col = (unsigned int)ev.start_mark.column + 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			end_doc(st);
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(st, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			on_start(st, &ev, false);
			break;
		case YAML_MAPPING_START_EVENT:
			on_start(st, &ev, true);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(st, &ev);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(st, &ev);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	reset_doc(st);
	yaml_parser_delete(&parser);
	if (!err && st->abort)
		err = -EINVAL;
	return st->err ? st->err : err;
}

/* Undoes what a parse added to <docs> and <diags>. */
static void rollback(struct dfl_docs *docs, size_t n_docs, size_t n_bad,
		     struct dfl_diags *diags, size_t n_diags)
{
	while (docs->n > n_docs)
		json_decref(docs->items[--docs->n].root);
	docs->n_bad = n_bad;
	while (diags->n > n_diags) {
		struct dfl_diag *d = &diags->items[--diags->n];

		free(d->path);
		free(d->message);
		free(d->check_id);
		free(d->object);
	}
}

/* Start of the document holding byte <off>: after the last "---" line
 * before it (0 when there is none). */
static size_t doc_start_before(const char *buf, size_t off)
{
	size_t start = 0;

	for (size_t i = 0; i + 3 <= off; i++) {
		if ((i == 0 || buf[i - 1] == '\n') &&
		    !memcmp(buf + i, "---", 3) &&
		    (i + 3 == off || buf[i + 3] == ' ' || buf[i + 3] == '\t' ||
		     buf[i + 3] == '\n' || buf[i + 3] == '\r'))
			start = i;
	}
	return start;
}

int dfl_yaml__load(const char *buf, size_t len, struct dfl_docs *docs,
		   struct dfl_postab *pt, struct dfl_diags *diags)
{
	struct ystate st = {.pt = pt, .docs = docs, .diags = diags};
	size_t n_docs = docs->n, n_bad = docs->n_bad, n_diags = diags->n;
	size_t bad = SIZE_MAX;
	int err = parse_stream(buf, len, &st, &bad);

	if (err == -EINVAL && bad != SIZE_MAX && bad <= len) {
		struct dfl_pos pos = {pt->file, 1, 1};
		size_t keep = doc_start_before(buf, bad);

		/* libyaml checks the encoding ahead of parsing, so what it
		 * returned before the error is arbitrary: start over with the
		 * documents that end before the bad byte. */
		rollback(docs, n_docs, n_bad, diags, n_diags);
		for (size_t i = 0; i < bad; i++) {
			if (buf[i] == '\n')
				pos.line++, pos.col = 1;
			else if ((buf[i] & 0xC0) != 0x80)
				pos.col++;
		}
		if (dfl_diags__add(diags, DFL_SEV_ERROR, pos, NULL,
				   "invalid-utf8", NULL,
				   "byte 0x%02x: not UTF-8 text, or a control "
				   "character YAML does not allow",
				   (unsigned char)buf[bad]))
			err = -ENOMEM;
		if (keep && err != -ENOMEM) {
			struct ystate st2 = {
			    .pt = pt, .docs = docs, .diags = diags};
			int err2 = parse_stream(buf, keep, &st2, &bad);

			if (err2 == -ENOMEM)
				err = err2;
			free(st2.stack);
			free(st2.anchors);
		}
	}
	free(st.stack);
	free(st.anchors);
	return err;
}

bool dfl_load__looks_like_json(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
		    buf[i] == '\n')
			continue;
		return buf[i] == '{';
	}
	return false;
}

int dfl_docs__mark_bad(struct dfl_docs *docs, struct dfl_pos pos)
{
	struct dfl_pos *p = DFL_PUSH(docs->bad, docs->n_bad, docs->cap_bad);

	if (!p)
		return -ENOMEM;
	*p = pos;
	return 0;
}

void dfl_docs__release(struct dfl_docs *docs)
{
	if (!docs)
		return;
	for (size_t i = 0; i < docs->n; i++)
		json_decref(docs->items[i].root);
	free(docs->items);
	free(docs->bad);
	memset(docs, 0, sizeof(*docs));
}
