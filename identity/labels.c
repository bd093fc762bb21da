#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "util/mem.h"
#include "util/strbuf.h"

void dfl_label__release(struct dfl_label *l)
{
	if (!l)
		return;
	free(l->source);
	free(l->key);
	free(l->value);
	memset(l, 0, sizeof(*l));
}

int dfl_label__parse(const char *s, const char *default_source,
		     struct dfl_label *out)
{
	const char *eq = strchr(s, '='), *colon;
	size_t klen = eq ? (size_t)(eq - s) : strlen(s);

	memset(out, 0, sizeof(*out));
	colon = memchr(s, ':', klen);
	if (colon) {
		out->source = strndup(s, (size_t)(colon - s));
		out->key = strndup(colon + 1, klen - (size_t)(colon - s) - 1);
	} else {
		out->source = strdup(default_source);
		out->key = strndup(s, klen);
	}
	out->value = strdup(eq ? eq + 1 : "");
	if (!out->source || !out->key || !out->value) {
		dfl_label__release(out);
		return -ENOMEM;
	}
	if (!out->key[0] || !out->source[0]) {
		dfl_label__release(out);
		return -EINVAL;
	}
	return 0;
}

/* Index of <key>, or of where it would go (then *found = false). */
static size_t labels_bsearch(const struct dfl_labels *ls, const char *key,
			     bool *found)
{
	size_t lo = 0, hi = ls->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ls->items[mid].key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int dfl_labels__set(struct dfl_labels *ls, const char *source, const char *key,
		    const char *value)
{
	struct dfl_label l = { 0 };
	bool found;
	size_t i;
	void *items = ls->items;

	l.source = strdup(source);
	l.key = strdup(key);
	l.value = strdup(value ? value : "");
	if (!l.source || !l.key || !l.value)
		goto nomem;
	i = labels_bsearch(ls, key, &found);
	if (found) {
		dfl_label__release(&ls->items[i]);
		ls->items[i] = l;
		return 0;
	}
	if (dfl_grow(&items, &ls->cap, ls->n + 1, sizeof(*ls->items)))
		goto nomem;
	ls->items = items;
	memmove(&ls->items[i + 1], &ls->items[i],
		(ls->n - i) * sizeof(*ls->items));
	ls->items[i] = l;
	ls->n++;
	return 0;
nomem:
	dfl_label__release(&l);
	return -ENOMEM;
}

bool dfl_labels__remove(struct dfl_labels *ls, const char *key)
{
	bool found;
	size_t i = labels_bsearch(ls, key, &found);

	if (!found)
		return false;
	dfl_label__release(&ls->items[i]);
	memmove(&ls->items[i], &ls->items[i + 1],
		(ls->n - i - 1) * sizeof(*ls->items));
	ls->n--;
	return true;
}

const struct dfl_label *dfl_labels__find(const struct dfl_labels *ls,
					 const char *key)
{
	bool found;
	size_t i = labels_bsearch(ls, key, &found);

	return found ? &ls->items[i] : NULL;
}

const char *dfl_labels__value(const struct dfl_labels *ls, const char *source,
			      const char *key)
{
	const struct dfl_label *l = dfl_labels__find(ls, key);

	return l && !strcmp(l->source, source) ? l->value : NULL;
}

bool dfl_labels__has_source(const struct dfl_labels *ls, const char *source)
{
	for (size_t i = 0; i < ls->n; i++)
		if (!strcmp(ls->items[i].source, source))
			return true;
	return false;
}

int dfl_labels__copy(struct dfl_labels *dst, const struct dfl_labels *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct dfl_label *l = &src->items[i];

		if (dfl_labels__set(dst, l->source, l->key, l->value))
			return -ENOMEM;
	}
	return 0;
}

bool dfl_labels__equal(const struct dfl_labels *a, const struct dfl_labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct dfl_label *x = &a->items[i], *y = &b->items[i];

		if (strcmp(x->key, y->key) || strcmp(x->source, y->source) ||
		    strcmp(x->value, y->value))
			return false;
	}
	return true;
}

void dfl_labels__release(struct dfl_labels *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->n; i++)
		dfl_label__release(&ls->items[i]);
	free(ls->items);
	memset(ls, 0, sizeof(*ls));
}

int dfl_labels__parse_list(struct dfl_labels *ls, const char *s,
			   const char *default_source)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		struct dfl_label l;

		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		err = dfl_label__parse(tok, default_source, &l);
		if (err)
			break;
		err = dfl_labels__set(ls, l.source, l.key, l.value);
		dfl_label__release(&l);
	}
	free(copy);
	return err;
}

char *dfl_labels__join(const struct dfl_labels *ls, const char *sep)
{
	struct dfl_strbuf sb = { 0 };

	for (size_t i = 0; i < ls->n; i++) {
		const struct dfl_label *l = &ls->items[i];

		dfl_strbuf__printf(&sb, "%s%s:%s", i ? sep : "", l->source,
				   l->key);
		if (l->value[0])
			dfl_strbuf__printf(&sb, "=%s", l->value);
	}
	return dfl_strbuf__detach(&sb);
}

char *dfl_labels__canonical(const struct dfl_labels *ls)
{
	return dfl_labels__join(ls, ";");
}
