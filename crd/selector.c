/* Label selectors: Kubernetes LabelSelector and Cilium EndpointSelector.
 * Sanitize side effects (cilium-policy.md §2.1, §7): keys without a source
 * get "any:" (or the caller's default), matchLabels become In requirements,
 * requirements are sorted by key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crd/decoders.h"
#include "crd/names.h"
#include "util/strbuf.h"

const struct dfl_sel_opts dfl_sel_cilium = {.default_source = "any"};

static const char *const selector_fields[] = {"matchLabels", "matchExpressions",
					      NULL};
static const char *const expr_fields[] = {"key", "operator", "values", NULL};

int dfl_selector__add(struct dfl_selector *s, const char *key,
		      enum dfl_sel_op op, const char *const *values,
		      size_t n_values, struct dfl_pos pos)
{
	struct dfl_sel_req *reqs, *r;

	reqs = realloc(s->reqs, (s->n_reqs + 1) * sizeof(*reqs));
	if (!reqs)
		return -ENOMEM;
	s->reqs = reqs;
	r = &reqs[s->n_reqs];
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->pos = pos;
	r->key = strdup(key);
	if (!r->key)
		return -ENOMEM;
	s->n_reqs++;
	if (!n_values)
		return 0;
	r->values = calloc(n_values, sizeof(*r->values));
	if (!r->values)
		return -ENOMEM;
	for (size_t i = 0; i < n_values; i++) {
		r->values[i] = strdup(values[i]);
		if (!r->values[i])
			return -ENOMEM;
		r->n_values++;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_req(const void *pa, const void *pb)
{
	const struct dfl_sel_req *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c)
		return c;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	for (size_t i = 0; i < a->n_values && i < b->n_values; i++) {
		c = strcmp(a->values[i], b->values[i]);
		if (c)
			return c;
	}
	return a->n_values < b->n_values ? -1 : a->n_values > b->n_values;
}

void dfl_selector__sort(struct dfl_selector *s)
{
	for (size_t i = 0; i < s->n_reqs; i++)
		if (s->reqs[i].n_values > 1)
			qsort(s->reqs[i].values, s->reqs[i].n_values,
			      sizeof(*s->reqs[i].values), cmp_str);
	if (s->n_reqs > 1)
		qsort(s->reqs, s->n_reqs, sizeof(*s->reqs), cmp_req);
}

/* The key as stored: source and prefix applied. NULL on ENOMEM. */
static char *final_key(const struct dfl_sel_opts *o, const char *key)
{
	struct dfl_strbuf sb = {0};

	if (o->forced_source)
		dfl_strbuf__printf(&sb, "%s:", o->forced_source);
	else if (o->default_source && !strchr(key, ':'))
		dfl_strbuf__printf(&sb, "%s:", o->default_source);
	if (o->key_prefix)
		dfl_strbuf__puts(&sb, o->key_prefix);
	dfl_strbuf__puts(&sb, key);
	return dfl_strbuf__detach(&sb);
}

/* Validates a key as written; reports at <pos> for the current path. */
static bool check_key(struct dfl_dc *dc, struct dfl_pos pos,
		      const struct dfl_sel_opts *o, const char *key)
{
	const char *why = o->default_source && !o->forced_source
			      ? dfl_check_cilium_label_key(key)
			      : dfl_check_label_key(key);

	if (!why)
		return true;
	dc_report(dc, DFL_SEV_ERROR, pos, "invalid-label-key",
		  "invalid label selector: key \"%s\": %s", key, why);
	return false;
}

static bool check_value(struct dfl_dc *dc, const json_t *node, const char *v)
{
	const char *why = dfl_check_label_value(v);

	if (!why)
		return true;
	dc_error(dc, node, "invalid-label-value",
		 "invalid label selector: value \"%s\": %s", v, why);
	return false;
}

static int add_req(struct dfl_dc *dc, struct dfl_selector *out,
		   const struct dfl_sel_opts *o, const char *key,
		   enum dfl_sel_op op, const char *const *values, size_t n,
		   struct dfl_pos pos)
{
	char *k = final_key(o, key);
	int err = k ? dfl_selector__add(out, k, op, values, n, pos) : -ENOMEM;

	free(k);
	if (err)
		dc->nomem = true;
	return err ? -1 : 0;
}

static int match_labels(struct dfl_dc *dc, const json_t *map,
			const struct dfl_sel_opts *o, struct dfl_selector *out)
{
	const char *key;
	size_t klen;
	json_t *v;
	int ret = 0;

	json_object_keylen_foreach((json_t *)map, key, klen, v)
	{
		size_t mark = dc_enter(dc, key);
		struct dfl_pos kpos = dc_key_pos(dc, v);
		char *val = NULL;

		if (klen != strlen(key)) {
			dc_report(dc, DFL_SEV_ERROR, kpos, "invalid-string",
				  "key contains a NUL character");
			ret = -1;
		} else if (!json_is_null(v) && dc_string(dc, v, &val) < 0) {
			ret = -1;
		} else {
			const char *value = val ? val : "";

			if (!check_key(dc, kpos, o, key) ||
			    !check_value(dc, v, value) ||
			    add_req(dc, out, o, key, DFL_SEL_IN, &value, 1,
				    kpos))
				ret = -1;
		}
		free(val);
		dc_leave(dc, mark);
	}
	return ret;
}

static int expression(struct dfl_dc *dc, const json_t *e,
		      const struct dfl_sel_opts *o, struct dfl_selector *out)
{
	static const char *const ops[] = {"In", "NotIn", "Exists",
					  "DoesNotExist"};
	char *key = NULL, *op = NULL, **values = NULL;
	size_t n_values = 0;
	const json_t *arr = NULL;
	int op_idx = -1, ret = -1;

	if (!dc_expect(dc, e, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, e, expr_fields);
	if (dc_str(dc, e, "key", &key) < 0 ||
	    dc_str(dc, e, "operator", &op) < 0 ||
	    dc_strs(dc, e, "values", &values, &n_values, NULL) < 0)
		goto out;
	if (!key) {
		dc_report_field(dc, DFL_SEV_ERROR, e, "key",
				"invalid-label-key",
				"invalid label selector: key: Required value");
		goto out;
	}
	for (int i = 0; op && i < 4; i++)
		if (!strcmp(op, ops[i]))
			op_idx = i;
	if (op_idx < 0) {
		dc_report_field(
		    dc, DFL_SEV_ERROR,
		    dc_get(e, "operator") ? dc_get(e, "operator") : e,
		    "operator", "invalid-selector",
		    "invalid label selector: Invalid value: \"%s\": not a "
		    "valid selector operator (In, NotIn, Exists, DoesNotExist)",
		    op ? op : "");
		goto out;
	}
	arr = dc_get(e, "values");
	if (op_idx <= 1 && !n_values) {
		dc_report_field(
		    dc, DFL_SEV_ERROR, arr ? arr : e, "values",
		    "invalid-selector",
		    "invalid label selector: Required value: must be specified "
		    "when `operator` is 'In' or 'NotIn'");
		goto out;
	}
	if (op_idx >= 2 && n_values) {
		dc_report_field(
		    dc, DFL_SEV_ERROR, arr, "values", "invalid-selector",
		    "invalid label selector: Forbidden: may not be specified "
		    "when `operator` is 'Exists' or 'DoesNotExist'");
		goto out;
	}
	{
		size_t mark = dc_enter(dc, "key");
		bool ok = check_key(dc, dc_pos(dc, dc_get(e, "key")), o, key);

		dc_leave(dc, mark);
		if (!ok)
			goto out;
	}
	ret = 0;
	for (size_t i = 0; i < n_values; i++) {
		size_t mark = dc_enter(dc, "values");

		dc_enter_index(dc, i);
		if (!check_value(dc, json_array_get(arr, i), values[i]))
			ret = -1;
		dc_leave(dc, mark);
	}
	if (!ret)
		ret = add_req(dc, out, o, key, (enum dfl_sel_op)op_idx,
			      (const char *const *)values, n_values,
			      dc_pos(dc, e));
out:
	free(key);
	free(op);
	dfl_strv__free(values, n_values);
	return ret;
}

int dfl_decode_selector(struct dfl_dc *dc, const json_t *v,
			const struct dfl_sel_opts *o, struct dfl_selector *out)
{
	const json_t *ml, *me;
	int ret = 0;

	if (!out->pos.file)
		out->pos = dc_pos(dc, v);
	if (!v)
		return 0; /* null: an empty selector */
	if (!dc_expect(dc, v, JSON_OBJECT, "a label selector (a mapping)"))
		return -1;
	dc_known(dc, v, selector_fields);
	if (dc_obj(dc, v, "matchLabels", &ml) < 0 ||
	    dc_arr(dc, v, "matchExpressions", &me) < 0)
		return -1;
	if (ml) {
		size_t mark = dc_enter(dc, "matchLabels");

		ret |= match_labels(dc, ml, o, out);
		dc_leave(dc, mark);
	}
	for (size_t i = 0; me && i < json_array_size(me); i++) {
		size_t mark = dc_enter(dc, "matchExpressions");

		dc_enter_index(dc, i);
		ret |= expression(dc, json_array_get(me, i), o, out);
		dc_leave(dc, mark);
	}
	dfl_selector__sort(out);
	return ret ? -1 : 0;
}

int dfl_decode_selector_list(struct dfl_dc *dc, const json_t *obj,
			     const char *key, const struct dfl_sel_opts *o,
			     struct dfl_selector_list *out)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	memset(out, 0, sizeof(*out));
	if (ret <= 0)
		return ret;
	out->present = true;
	out->pos = dc_pos(dc, arr);
	out->items = dc_calloc(dc, json_array_size(arr), sizeof(*out->items));
	if (!out->items)
		return -1;
	out->n = json_array_size(arr);
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < out->n; i++) {
		size_t m2 = dc_enter_index(dc, i);
		const json_t *v = json_array_get(arr, i);

		out->items[i].pos = dc_pos(dc, v ? v : arr);
		if (dfl_decode_selector(dc, json_is_null(v) ? NULL : v, o,
					&out->items[i]))
			ret = -1;
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

int dfl_decode_selector_ptr(struct dfl_dc *dc, const json_t *obj,
			    const char *key, const struct dfl_sel_opts *o,
			    struct dfl_selector **out)
{
	const json_t *v = dc_get(obj, key);
	size_t mark;
	int ret;

	*out = NULL;
	if (!v)
		return 0;
	*out = dc_calloc(dc, 1, sizeof(**out));
	if (!*out)
		return -1;
	mark = dc_enter(dc, key);
	ret = dfl_decode_selector(dc, v, o, *out);
	dc_leave(dc, mark);
	return ret ? -1 : 1;
}
