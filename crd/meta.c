/* metadata of every object (ObjectMeta), validated as the API server does
 * for the fields deflector reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crd/decoders.h"
#include "crd/names.h"
#include "util/strbuf.h"

static const char *const meta_fields[] = {
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
    NULL,
};

static bool namespaced(enum dfl_kind kind)
{
	return kind != DFL_KIND_CCNP && kind != DFL_KIND_NAMESPACE;
}

static int check_map_keys(struct dfl_dc *dc, const json_t *md, const char *key,
			  const struct dfl_kvs *kvs, bool values)
{
	const json_t *map = dc_get(md, key);
	size_t mark = dc_enter(dc, key);
	int ret = 0;

	for (size_t i = 0; i < kvs->n; i++) {
		const char *why = dfl_check_label_key(kvs->items[i].key);
		const json_t *v = json_object_get(map, kvs->items[i].key);
		size_t m2 = dc_enter(dc, kvs->items[i].key);

		if (why) {
			dc_report(dc, DFL_SEV_ERROR, kvs->items[i].pos,
				  "invalid-label-key", "invalid key \"%s\": %s",
				  kvs->items[i].key, why);
			ret = -1;
		} else if (values &&
			   (why = dfl_check_label_value(kvs->items[i].value))) {
			dc_error(dc, v, "invalid-label-value",
				 "invalid value \"%s\": %s",
				 kvs->items[i].value, why);
			ret = -1;
		}
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

int dfl_decode_meta(struct dfl_dc *dc, const json_t *root, enum dfl_kind kind,
		    struct dfl_meta *m)
{
	const json_t *md;
	long long gen = 0;
	size_t mark;
	int ret = 0;
	const char *why = NULL;

	m->kind = kind;
	m->pos = dc_pos(dc, root);
	if (dc_obj(dc, root, "metadata", &md) < 0)
		return -1;
	mark = dc_enter(dc, "metadata");
	dc_known(dc, md, meta_fields);
	if (dc_str(dc, md, "name", &m->name) < 0 ||
	    dc_str(dc, md, "namespace", &m->namespace) < 0 ||
	    dc_str(dc, md, "uid", &m->uid) < 0 ||
	    dc_str(dc, md, "resourceVersion", &m->resource_version) < 0 ||
	    dc_str(dc, md, "creationTimestamp", &m->creation_timestamp) < 0 ||
	    dc_int(dc, md, "generation", 0, INT64_MAX, &gen) < 0 ||
	    dc_kvs(dc, md, "labels", &m->labels) < 0 ||
	    dc_kvs(dc, md, "annotations", &m->annotations) < 0)
		ret = -1;
	m->generation = (uint64_t)gen;
	if (!m->name || !*m->name) {
		dc_error(dc, md ? md : root, "missing-name",
			 "%s must have name", dfl_kind__name(kind));
		ret = -1;
	} else {
		why = kind == DFL_KIND_SERVICE
			  ? dfl_check_dns1035_label(m->name)
		      : kind == DFL_KIND_NAMESPACE
			  ? dfl_check_dns_label(m->name)
			  : dfl_check_dns_subdomain(m->name);
		if (why) {
			dc_report_field(dc, DFL_SEV_ERROR, dc_get(md, "name"),
					"name", "invalid-name",
					"invalid name \"%s\": %s", m->name,
					why);
			ret = -1;
		}
	}
	if (namespaced(kind)) {
		if (!m->namespace || !*m->namespace) {
			/* What kubectl apply does without -n. */
			free(m->namespace);
			m->namespace = dc_strdup(dc, "default");
		} else if ((why = dfl_check_dns_label(m->namespace))) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(md, "namespace"),
			    "namespace", "invalid-name",
			    "invalid namespace \"%s\": %s", m->namespace, why);
			ret = -1;
		}
	} else if (m->namespace) {
		if (*m->namespace)
			dc_report_field(
			    dc, DFL_SEV_WARNING, dc_get(md, "namespace"),
			    "namespace", "ignored-field",
			    "%s is cluster-scoped: its namespace is ignored",
			    dfl_kind__name(kind));
		free(m->namespace);
		m->namespace = NULL;
	}
	if (check_map_keys(dc, md, "labels", &m->labels, true) ||
	    check_map_keys(dc, md, "annotations", &m->annotations, false))
		ret = -1;
	dc_leave(dc, mark);

	if (m->name && !dc->object) {
		struct dfl_strbuf sb = {0};

		if (m->namespace)
			dfl_strbuf__printf(&sb, "%s %s/%s",
					   dfl_kind__name(kind), m->namespace,
					   m->name);
		else
			dfl_strbuf__printf(&sb, "%s %s", dfl_kind__name(kind),
					   m->name);
		dc->object = dfl_strbuf__detach(&sb);
		if (!dc->object)
			dc->nomem = true;
	}
	return ret;
}
