/* Entry-level differences between two resolutions of an endpoint: what the
 * agent applies to the BPF map (add, update in place, remove). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compiler.h"
#include "policy/internal.h"
#include "util/mem.h"

static bool same_value(const struct dfl_map_entry *a,
		       const struct dfl_map_entry *b)
{
	return a->precedence == b->precedence && a->cookie == b->cookie &&
	       a->proxy_port == b->proxy_port && a->deny == b->deny &&
	       a->auth_type == b->auth_type &&
	       a->explicit_auth == b->explicit_auth;
}

static int push_change(struct dfl_ep_diff *d, size_t *cap,
		       enum dfl_change_kind kind,
		       const struct dfl_map_entry *entry,
		       const struct dfl_map_entry *old)
{
	struct dfl_entry_change *ch = DFL_PUSH(d->changes, d->n_changes, *cap);

	if (!ch)
		return -ENOMEM;
	ch->kind = kind;
	ch->entry = *entry;
	if (old)
		ch->old = *old;
	return 0;
}

int dfl_diff_append(struct dfl_diffs *diffs, const char *name,
		    uint32_t identity, bool created,
		    const struct dfl_map_entry *old, size_t n_old,
		    const struct dfl_map_entry *cur, size_t n_cur,
		    bool dir_changed)
{
	struct dfl_ep_diff d = { 0 }, *slot;
	size_t i = 0, j = 0, cap = 0;
	int err = 0;

	while (!err && (i < n_old || j < n_cur)) {
		int c = i == n_old ? 1 :
			j == n_cur ? -1 :
				     dfl_map_entry_cmp(&old[i], &cur[j]);

		if (c < 0) {
			err = push_change(&d, &cap, DFL_CHANGE_REMOVE, &old[i++],
					  NULL);
		} else if (c > 0) {
			err = push_change(&d, &cap, DFL_CHANGE_ADD, &cur[j++],
					  NULL);
		} else {
			if (!same_value(&old[i], &cur[j]))
				err = push_change(&d, &cap, DFL_CHANGE_UPDATE,
						  &cur[j], &old[i]);
			i++;
			j++;
		}
	}
	if (err || (!created && !dir_changed && !d.n_changes)) {
		free(d.changes);
		return err;
	}
	d.endpoint = strdup(name);
	d.identity = identity;
	d.created = created;
	d.dir_changed = dir_changed;
	slot = d.endpoint ? DFL_PUSH(diffs->items, diffs->n, diffs->cap) : NULL;
	if (!slot) {
		free(d.endpoint);
		free(d.changes);
		return -ENOMEM;
	}
	*slot = d;
	return 0;
}

void dfl_diffs__release(struct dfl_diffs *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].endpoint);
		free(d->items[i].changes);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}
