#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/decode.h"
#include "util/diag.h"

void dfl_dc__release(struct dfl_dc *dc)
{
	free(dc->object);
	dc->object = NULL;
	dfl_strbuf__release(&dc->path);
}

struct dfl_pos dc_pos(const struct dfl_dc *dc, const json_t *node)
{
	const struct dfl_postab_ent *e = dfl_postab__get(dc->pt, node);

	if (!e)
		return (struct dfl_pos){dc->file, 0, 0};
	return (struct dfl_pos){dc->file, e->line, e->col};
}

struct dfl_pos dc_key_pos(const struct dfl_dc *dc, const json_t *node)
{
	const struct dfl_postab_ent *e = dfl_postab__get(dc->pt, node);

	if (e && e->key_line)
		return (struct dfl_pos){dc->file, e->key_line, e->key_col};
	return dc_pos(dc, node);
}

size_t dc_enter(struct dfl_dc *dc, const char *key)
{
	size_t mark = dc->path.len;

	if (mark)
		dfl_strbuf__putc(&dc->path, '.');
	dfl_strbuf__puts(&dc->path, key);
	return mark;
}

size_t dc_enter_index(struct dfl_dc *dc, size_t i)
{
	size_t mark = dc->path.len;

	dfl_strbuf__printf(&dc->path, "[%zu]", i);
	return mark;
}

void dc_leave(struct dfl_dc *dc, size_t mark)
{
	if (dc->path.buf && mark <= dc->path.len) {
		dc->path.len = mark;
		dc->path.buf[mark] = '\0';
	}
}

static void report_v(struct dfl_dc *dc, enum dfl_severity sev,
		     struct dfl_pos pos, const char *check, const char *fmt,
		     va_list ap) __attribute__((format(printf, 5, 0)));

static void report_v(struct dfl_dc *dc, enum dfl_severity sev,
		     struct dfl_pos pos, const char *check, const char *fmt,
		     va_list ap)
{
	const char *path = dc->path.len ? dfl_strbuf__str(&dc->path) : NULL;

	if (sev == DFL_SEV_ERROR)
		dc->errors++;
	if (dc->path.err || dfl_diags__addv(dc->diags, sev, pos, path, check,
					    dc->object, fmt, ap))
		dc->nomem = true;
}

void dc_report(struct dfl_dc *dc, enum dfl_severity sev, struct dfl_pos pos,
	       const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(dc, sev, pos, check, fmt, ap);
	va_end(ap);
}

void dc_report_field(struct dfl_dc *dc, enum dfl_severity sev,
		     const json_t *node, const char *key, const char *check,
		     const char *fmt, ...)
{
	size_t mark = dc_enter(dc, key);
	va_list ap;

	va_start(ap, fmt);
	report_v(dc, sev, dc_pos(dc, node), check, fmt, ap);
	va_end(ap);
	dc_leave(dc, mark);
}

const json_t *dc_get(const json_t *obj, const char *key)
{
	const json_t *v;

	if (!json_is_object(obj))
		return NULL;
	v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

void dc_known(struct dfl_dc *dc, const json_t *obj, const char *const *known)
{
	const char *key;
	size_t klen;
	json_t *v;

	if (!json_is_object(obj))
		return;
	json_object_keylen_foreach((json_t *)obj, key, klen, v)
	{
		const char *const *k;

		for (k = known; *k; k++)
			if (strlen(*k) == klen && !memcmp(*k, key, klen))
				break;
		if (!*k) {
			size_t mark = dc_enter(dc, key);

			dc_report(dc, DFL_SEV_ERROR, dc_key_pos(dc, v),
				  "unknown-field", "unknown field \"%s\"", key);
			dc_leave(dc, mark);
		}
	}
}

void dc_reject(struct dfl_dc *dc, const json_t *obj, const char *key,
	       const char *check, const char *why)
{
	const json_t *v =
	    json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (v)
		dc_report_field(dc, DFL_SEV_ERROR, v, key, check, "%s", why);
}

const char *dc_describe(const json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		snprintf(buf, len, "the string \"%.40s\"",
			 json_string_value(v));
		return buf;
	case JSON_INTEGER:
		snprintf(buf, len, "the number %" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "the number %g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "the boolean true";
	case JSON_FALSE:
		return "the boolean false";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

bool dc_expect(struct dfl_dc *dc, const json_t *v, json_type type,
	       const char *what)
{
	char buf[96];

	if (json_typeof(v) == type ||
	    (type == JSON_TRUE && json_is_boolean(v)) ||
	    (type == JSON_INTEGER && json_is_number(v)))
		return true;
	if (type == JSON_STRING && json_is_boolean(v))
		dc_error(
		    dc, v, "wrong-type",
		    "expected %s, got %s (unquoted y, n, yes, no, on, off, "
		    "true and false are booleans in YAML 1.1; quote the value)",
		    what, dc_describe(v, buf, sizeof(buf)));
	else if (type == JSON_STRING && json_is_number(v))
		dc_error(
		    dc, v, "wrong-type",
		    "expected %s, got %s (quote the value to make it a string)",
		    what, dc_describe(v, buf, sizeof(buf)));
	else
		dc_error(dc, v, "wrong-type", "expected %s, got %s", what,
			 dc_describe(v, buf, sizeof(buf)));
	return false;
}

void *dc_calloc(struct dfl_dc *dc, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		dc->nomem = true;
	return p;
}

char *dc_strdup(struct dfl_dc *dc, const char *s)
{
	char *p = s ? strdup(s) : NULL;

	if (s && !p)
		dc->nomem = true;
	return p;
}

int dc_string(struct dfl_dc *dc, const json_t *v, char **out)
{
	*out = NULL;
	if (!v)
		return 0;
	if (!dc_expect(dc, v, JSON_STRING, "a string"))
		return -1;
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		dc_error(dc, v, "invalid-string",
			 "string contains a NUL character");
		return -1;
	}
	*out = dc_strdup(dc, json_string_value(v));
	return *out ? 1 : -1;
}

int dc_str(struct dfl_dc *dc, const json_t *obj, const char *key, char **out)
{
	const json_t *v = dc_get(obj, key);
	size_t mark;
	int ret;

	*out = NULL;
	if (!v)
		return 0;
	mark = dc_enter(dc, key);
	ret = dc_string(dc, v, out);
	dc_leave(dc, mark);
	return ret;
}

int dc_bool(struct dfl_dc *dc, const json_t *obj, const char *key, bool *out)
{
	const json_t *v = dc_get(obj, key);
	size_t mark;
	bool ok;

	if (!v)
		return 0;
	mark = dc_enter(dc, key);
	ok = dc_expect(dc, v, JSON_TRUE, "a boolean");
	dc_leave(dc, mark);
	if (!ok)
		return -1;
	*out = json_is_true(v);
	return 1;
}

int dc_int(struct dfl_dc *dc, const json_t *obj, const char *key, long long min,
	   long long max, long long *out)
{
	const json_t *v = dc_get(obj, key);
	size_t mark;
	int ret = -1;
	double f;

	if (!v)
		return 0;
	mark = dc_enter(dc, key);
	if (!dc_expect(dc, v, JSON_INTEGER, "an integer"))
		goto out;
	if (json_is_real(v)) {
		/* YAML 80.0 reaches the API server as 80: accept integral
		 * floats, as the YAML-to-JSON step would. */
		f = json_real_value(v);
		if (f != floor(f) || f < (double)min || f > (double)max) {
			dc_error(dc, v, "out-of-range",
				 "%g is not an integer in %lld..%lld", f, min,
				 max);
			goto out;
		}
		*out = (long long)f;
	} else {
		*out = json_integer_value(v);
		if (*out < min || *out > max) {
			dc_error(dc, v, "out-of-range",
				 "%lld is out of range %lld..%lld", *out, min,
				 max);
			goto out;
		}
	}
	ret = 1;
out:
	dc_leave(dc, mark);
	return ret;
}

static int typed(struct dfl_dc *dc, const json_t *obj, const char *key,
		 const json_t **out, json_type type, const char *what)
{
	const json_t *v = dc_get(obj, key);
	size_t mark;
	bool ok;

	*out = NULL;
	if (!v)
		return 0;
	mark = dc_enter(dc, key);
	ok = dc_expect(dc, v, type, what);
	dc_leave(dc, mark);
	if (!ok)
		return -1;
	*out = v;
	return 1;
}

int dc_obj(struct dfl_dc *dc, const json_t *obj, const char *key,
	   const json_t **out)
{
	return typed(dc, obj, key, out, JSON_OBJECT, "a mapping");
}

int dc_arr(struct dfl_dc *dc, const json_t *obj, const char *key,
	   const json_t **out)
{
	return typed(dc, obj, key, out, JSON_ARRAY, "a list");
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct dfl_kv *)a)->key,
		      ((const struct dfl_kv *)b)->key);
}

int dc_kvs(struct dfl_dc *dc, const json_t *obj, const char *key,
	   struct dfl_kvs *out)
{
	const json_t *map;
	const char *k;
	size_t klen;
	json_t *v;
	size_t mark;
	int ret = dc_obj(dc, obj, key, &map);

	memset(out, 0, sizeof(*out));
	if (ret <= 0)
		return ret;
	out->items = dc_calloc(dc, json_object_size(map), sizeof(*out->items));
	if (!out->items)
		return -1;
	mark = dc_enter(dc, key);
	json_object_keylen_foreach((json_t *)map, k, klen, v)
	{
		struct dfl_kv *kv = &out->items[out->n];
		size_t m2 = dc_enter(dc, k);

		if (klen != strlen(k)) {
			dc_report(dc, DFL_SEV_ERROR, dc_key_pos(dc, v),
				  "invalid-string",
				  "key contains a NUL character");
			ret = -1;
		} else if (json_is_null(v)) {
			/* Go decodes null into a map[string]string as "". */
			kv->key = dc_strdup(dc, k);
			kv->value = dc_strdup(dc, "");
			kv->pos = dc_key_pos(dc, v);
			out->n++;
		} else if (dc_string(dc, v, &kv->value) > 0) {
			kv->key = dc_strdup(dc, k);
			kv->pos = dc_key_pos(dc, v);
			out->n++;
		} else {
			ret = -1;
		}
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	if (dc->nomem)
		return -1;
	qsort(out->items, out->n, sizeof(*out->items), cmp_kv);
	return ret;
}

int dc_strs(struct dfl_dc *dc, const json_t *obj, const char *key, char ***out,
	    size_t *n, struct dfl_pos **pos)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	*out = NULL;
	*n = 0;
	if (pos)
		*pos = NULL;
	if (ret <= 0)
		return ret;
	*out = dc_calloc(dc, json_array_size(arr), sizeof(**out));
	if (pos)
		*pos = dc_calloc(dc, json_array_size(arr), sizeof(**pos));
	if (!*out || (pos && !*pos))
		return -1;
	mark = dc_enter(dc, key);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *v = json_array_get(arr, i);
		size_t m2 = dc_enter_index(dc, i);

		if (json_is_null(v)) {
			(*out)[i] = dc_strdup(dc, "");
		} else if (dc_string(dc, v, &(*out)[i]) <= 0) {
			ret = -1;
			(*out)[i] = dc_strdup(dc, "");
		}
		if (pos)
			(*pos)[i] = dc_pos(dc, v ? v : arr);
		(*n)++;
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return dc->nomem ? -1 : ret;
}

void dfl_kvs__free(struct dfl_kvs *kvs)
{
	if (!kvs)
		return;
	for (size_t i = 0; i < kvs->n; i++) {
		free(kvs->items[i].key);
		free(kvs->items[i].value);
	}
	free(kvs->items);
	memset(kvs, 0, sizeof(*kvs));
}

void dfl_strv__free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
