/* The decoding context shared by crd/'s decoders (internal): where the tree
 * came from, the field path being decoded, and typed accessors that report
 * wrong types and unknown fields as diagnostics with file:line:col.
 *
 * Getters of a member return 1 when it is present and well-typed, 0 when it
 * is absent (missing or JSON null, which Kubernetes treats alike) and -1
 * when it is invalid (already reported). */
#ifndef DFL_CRD_DECODE_H
#define DFL_CRD_DECODE_H

#include <jansson.h>
#include <stdbool.h>

#include "crd/crd-t.h"
#include "crd/postab.h"
#include "util/diag-t.h"
#include "util/strbuf.h"

struct dfl_dc {
	const struct dfl_postab *pt; /* NULL for API objects: no lines */
	const char *file;	     /* interned file name or origin */
	struct dfl_diags *diags;
	char *object;		/* "CiliumNetworkPolicy default/rule1", owned */
	struct dfl_strbuf path; /* field path of the node being decoded */
	unsigned int errors;	/* errors reported for the current object */
	enum dfl_kind kind;	/* kind of the object being decoded */
	bool host_policy;	/* the rule being decoded has a nodeSelector */
	bool nomem;
};

void dfl_dc__release(struct dfl_dc *dc);

struct dfl_pos dc_pos(const struct dfl_dc *dc, const json_t *node);
/* The position of the key whose value is <node> (its own when unknown). */
struct dfl_pos dc_key_pos(const struct dfl_dc *dc, const json_t *node);

/* Field path: enter returns a mark that leave restores. */
size_t dc_enter(struct dfl_dc *dc, const char *key);
size_t dc_enter_index(struct dfl_dc *dc, size_t i);
void dc_leave(struct dfl_dc *dc, size_t mark);

/* Diagnostics at <node> (or <pos>) for the current path. Errors make the
 * current object invalid. */
void dc_report(struct dfl_dc *dc, enum dfl_severity sev, struct dfl_pos pos,
	       const char *check, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define dc_error(dc, node, check, ...)                                         \
	dc_report(dc, DFL_SEV_ERROR, dc_pos(dc, node), check, __VA_ARGS__)
#define dc_warn(dc, node, check, ...)                                          \
	dc_report(dc, DFL_SEV_WARNING, dc_pos(dc, node), check, __VA_ARGS__)
/* Same, with <key> appended to the path for this one message. */
void dc_report_field(struct dfl_dc *dc, enum dfl_severity sev,
		     const json_t *node, const char *key, const char *check,
		     const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The member <key> of <obj>; NULL when <obj> is not an object, or the member
 * is absent or null. */
const json_t *dc_get(const json_t *obj, const char *key);
/* Reports every member of <obj> not in the NULL-terminated <known>. */
void dc_known(struct dfl_dc *dc, const json_t *obj, const char *const *known);
/* Reports a member that Kubernetes accepts but we reject, with <why>. */
void dc_reject(struct dfl_dc *dc, const json_t *obj, const char *key,
	       const char *check, const char *why);

/* Checks <v>'s type; reports "expected <what>, got ..." at <v>. */
bool dc_expect(struct dfl_dc *dc, const json_t *v, json_type type,
	       const char *what);
/* A copy of string node <v> (NULL when <v> is NULL); reports wrong types and
 * embedded NUL bytes. */
int dc_string(struct dfl_dc *dc, const json_t *v, char **out);

int dc_str(struct dfl_dc *dc, const json_t *obj, const char *key, char **out);
int dc_bool(struct dfl_dc *dc, const json_t *obj, const char *key, bool *out);
/* Integers; integral floats are taken as YAML→JSON conversion does. */
int dc_int(struct dfl_dc *dc, const json_t *obj, const char *key, long long min,
	   long long max, long long *out);
int dc_obj(struct dfl_dc *dc, const json_t *obj, const char *key,
	   const json_t **out);
int dc_arr(struct dfl_dc *dc, const json_t *obj, const char *key,
	   const json_t **out);
/* A map of strings (labels, annotations, a selector): sorted by key. */
int dc_kvs(struct dfl_dc *dc, const json_t *obj, const char *key,
	   struct dfl_kvs *out);
/* A list of strings; <pos> (may be NULL) gets each element's position. */
int dc_strs(struct dfl_dc *dc, const json_t *obj, const char *key, char ***out,
	    size_t *n, struct dfl_pos **pos);

/* calloc that records allocation failure in <dc>. */
void *dc_calloc(struct dfl_dc *dc, size_t n, size_t size);
char *dc_strdup(struct dfl_dc *dc, const char *s);
/* "a", "an integer 80", "the boolean true", ... for messages. */
const char *dc_describe(const json_t *v, char *buf, size_t len);

void dfl_kvs__free(struct dfl_kvs *kvs);
void dfl_strv__free(char **v, size_t n);

#endif
