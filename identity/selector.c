#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/prefix.h"
#include "identity/selector.h"
#include "util/mem.h"

static void term_release(struct dfl_sel_term *t)
{
	free(t->source);
	free(t->key);
	for (size_t i = 0; i < t->n_values; i++)
		free(t->values[i]);
	free(t->values);
	memset(t, 0, sizeof(*t));
}

void dfl_sel__release(struct dfl_sel *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		term_release(&sel->terms[i]);
	free(sel->terms);
	memset(sel, 0, sizeof(*sel));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int term_cmp(const struct dfl_sel_term *a, const struct dfl_sel_term *b)
{
	int c = strcmp(a->source, b->source);

	if (c)
		return c;
	c = strcmp(a->key, b->key);
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

int dfl_sel__add(struct dfl_sel *sel, const char *source, const char *key,
		 enum dfl_sel_term_op op, const char *const *values,
		 size_t n_values)
{
	struct dfl_sel_term t = { 0 };
	void *terms = sel->terms;
	size_t i;

	t.op = op;
	t.source = strdup(source);
	t.key = strdup(key);
	if (!t.source || !t.key)
		goto nomem;
	if (!strcmp(source, "cidr")) {
		if (dfl_prefix__parse_label(key, &t.prefix)) {
			term_release(&t);
			return -EINVAL;
		}
		t.is_cidr = true;
	}
	if (n_values && (op == DFL_TERM_IN || op == DFL_TERM_NOT_IN)) {
		t.values = calloc(n_values, sizeof(*t.values));
		if (!t.values)
			goto nomem;
		for (i = 0; i < n_values; i++) {
			t.values[i] = strdup(values[i]);
			if (!t.values[i])
				goto nomem;
			t.n_values++;
		}
		qsort(t.values, t.n_values, sizeof(*t.values), cmp_str);
	}
	for (i = 0; i < sel->n; i++) {
		int c = term_cmp(&sel->terms[i], &t);

		if (!c) { /* an identical requirement adds nothing */
			term_release(&t);
			return 0;
		}
		if (c > 0)
			break;
	}
	if (dfl_grow(&terms, &sel->cap, sel->n + 1, sizeof(*sel->terms)))
		goto nomem;
	sel->terms = terms;
	memmove(&sel->terms[i + 1], &sel->terms[i],
		(sel->n - i) * sizeof(*sel->terms));
	sel->terms[i] = t;
	sel->n++;
	return 0;
nomem:
	term_release(&t);
	return -ENOMEM;
}

static int split_key(const char *full, char **source, const char **key)
{
	const char *colon = strchr(full, ':');

	*source = colon ? strndup(full, (size_t)(colon - full)) : strdup("any");
	*key = colon ? colon + 1 : full;
	return *source ? 0 : -ENOMEM;
}

int dfl_sel__add_crd(struct dfl_sel *sel, const struct dfl_selector *in)
{
	static const enum dfl_sel_term_op ops[] = {
		[DFL_SEL_IN] = DFL_TERM_IN,
		[DFL_SEL_NOT_IN] = DFL_TERM_NOT_IN,
		[DFL_SEL_EXISTS] = DFL_TERM_EXISTS,
		[DFL_SEL_DOES_NOT_EXIST] = DFL_TERM_DOES_NOT_EXIST,
	};

	for (size_t i = 0; in && i < in->n_reqs; i++) {
		const struct dfl_sel_req *r = &in->reqs[i];
		char *source;
		const char *key;
		int err;

		if ((unsigned int)r->op >= DFL_ARRAY_SIZE(ops))
			return -EINVAL;
		if (split_key(r->key, &source, &key))
			return -ENOMEM;
		err = dfl_sel__add(sel, source, key, ops[r->op],
				   (const char *const *)r->values, r->n_values);
		free(source);
		if (err)
			return err;
	}
	return 0;
}

int dfl_sel__set_match(struct dfl_sel *sel, const char *source,
		       const char *key, const char *value)
{
	for (size_t i = 0; i < sel->n; i++) {
		struct dfl_sel_term *t = &sel->terms[i];

		if (t->op == DFL_TERM_IN && t->n_values == 1 &&
		    !strcmp(t->source, source) && !strcmp(t->key, key)) {
			term_release(t);
			memmove(t, t + 1, (sel->n - i - 1) * sizeof(*t));
			sel->n--;
			break;
		}
	}
	return dfl_sel__add(sel, source, key, DFL_TERM_IN, &value, 1);
}

int dfl_sel__parse(struct dfl_sel *sel, const char *s,
		   const char *default_source)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		enum dfl_sel_term_op op = DFL_TERM_EXISTS;
		struct dfl_label l;
		const char *v;
		char *eq;

		while (*tok == ' ')
			tok++;
		if (*tok == '!') {
			op = DFL_TERM_DOES_NOT_EXIST;
			tok++;
		}
		if (!*tok)
			continue;
		eq = strchr(tok, '=');
		if (eq && eq > tok && eq[-1] == '!') {
			/* "k!=v": NotIn; drop the '!' from the key */
			memmove(eq - 1, eq, strlen(eq) + 1);
			op = DFL_TERM_NOT_IN;
		} else if (eq) {
			op = op == DFL_TERM_EXISTS ? DFL_TERM_IN :
						     DFL_TERM_NOT_IN;
		}
		err = dfl_label__parse(tok, default_source, &l);
		if (err)
			break;
		v = l.value;
		err = dfl_sel__add(sel, l.source, l.key, op, &v,
				   op <= DFL_TERM_NOT_IN ? 1 : 0);
		dfl_label__release(&l);
	}
	free(copy);
	return err;
}

bool dfl_sel__has_key(const struct dfl_sel *sel, const char *source,
		      const char *key)
{
	for (size_t i = 0; i < sel->n; i++)
		if (!strcmp(sel->terms[i].source, source) &&
		    !strcmp(sel->terms[i].key, key))
			return true;
	return false;
}

bool dfl_sel__has_key_prefix(const struct dfl_sel *sel, const char *source,
			     const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < sel->n; i++)
		if (!strcmp(sel->terms[i].source, source) &&
		    !strncmp(sel->terms[i].key, prefix, n))
			return true;
	return false;
}

bool dfl_sel__has_source(const struct dfl_sel *sel, const char *source)
{
	for (size_t i = 0; i < sel->n; i++)
		if (!strcmp(sel->terms[i].source, source))
			return true;
	return false;
}

static bool value_in(const struct dfl_sel_term *t, const char *v)
{
	size_t lo = 0, hi = t->n_values;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(t->values[mid], v);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The label the term is about, or NULL. A cidr: term is satisfied by any
 * cidr: label whose prefix it contains. */
static const struct dfl_label *term_label(const struct dfl_sel_term *t,
					  const struct dfl_labels *ls)
{
	const struct dfl_label *l;

	if (t->is_cidr) {
		for (size_t i = 0; i < ls->n; i++) {
			struct dfl_prefix p;

			l = &ls->items[i];
			if (strcmp(l->source, "cidr") ||
			    dfl_prefix__parse_label(l->key, &p))
				continue;
			if (dfl_prefix__contains(&t->prefix, &p))
				return l;
		}
		return NULL;
	}
	l = dfl_labels__find(ls, t->key);
	if (!l)
		return NULL;
	if (strcmp(t->source, "any") && strcmp(t->source, l->source))
		return NULL;
	return l;
}

bool dfl_sel__matches(const struct dfl_sel *sel, const struct dfl_labels *ls)
{
	for (size_t i = 0; i < sel->n; i++) {
		const struct dfl_sel_term *t = &sel->terms[i];
		const struct dfl_label *l = term_label(t, ls);
		bool ok;

		switch (t->op) {
		case DFL_TERM_IN:
			ok = l && value_in(t, l->value);
			break;
		case DFL_TERM_NOT_IN:
			ok = !l || !value_in(t, l->value);
			break;
		case DFL_TERM_EXISTS:
			ok = l != NULL;
			break;
		default:
			ok = l == NULL;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

int dfl_sel__fmt(const struct dfl_sel *sel, struct dfl_strbuf *out)
{
	static const char *const opnames[] = { "In", "NotIn", "Exists",
					       "DoesNotExist" };

	if (!sel->n)
		return dfl_strbuf__puts(out, "{}");
	for (size_t i = 0; i < sel->n; i++) {
		const struct dfl_sel_term *t = &sel->terms[i];

		dfl_strbuf__printf(out, "%s%s:%s %s", i ? "; " : "", t->source,
				   t->key, opnames[t->op]);
		if (t->op == DFL_TERM_IN || t->op == DFL_TERM_NOT_IN) {
			dfl_strbuf__puts(out, " (");
			for (size_t j = 0; j < t->n_values; j++)
				dfl_strbuf__printf(out, "%s%s", j ? "," : "",
						   t->values[j]);
			dfl_strbuf__putc(out, ')');
		}
	}
	return out->err;
}

int dfl_sel__copy(struct dfl_sel *dst, const struct dfl_sel *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct dfl_sel_term *t = &src->terms[i];
		int err = dfl_sel__add(dst, t->source, t->key, t->op,
				       (const char *const *)t->values,
				       t->n_values);

		if (err)
			return err;
	}
	return 0;
}
