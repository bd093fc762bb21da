/* Reading YAML and JSON text into jansson trees with positions (internal to
 * crd/). The trees have the shape the Kubernetes API returns as JSON; every
 * node's position is in a struct dfl_postab. */
#ifndef DFL_CRD_LOAD_H
#define DFL_CRD_LOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "crd/postab.h"
#include "util/diag-t.h"

/* Limits that keep hostile input bounded. */
#define DFL_LOAD_MAX_DEPTH 512 /* nested mappings/sequences */
#define DFL_LOAD_MAX_ALIAS_NODES                                               \
	100000 /* nodes added by YAML aliases, per document */

/* One YAML document or JSON value of a file. <root> is NULL for an empty
 * document (a lone "---" or only comments). */
struct dfl_doc {
	json_t *root;
	unsigned int line, col;
};

/* The documents of one file, in file order, plus the positions of errors the
 * loader reported inside documents it still returned (a duplicate key, an
 * unusable map key or value): an object whose text contains one of them is
 * invalid. */
struct dfl_docs {
	struct dfl_doc *items;
	size_t n, cap;
	struct dfl_pos *bad;
	size_t n_bad, cap_bad;
};

/* Parse <buf> of <len> bytes. <pt->file> must be set (interned) and names the
 * input in diagnostics. Documents are appended to <docs>, positions recorded
 * in <pt>, problems added to <diags>.
 * Returns 0, -EINVAL when the text is not valid YAML/JSON (documents
 * complete before the error are kept), or -ENOMEM. */
int dfl_yaml__load(const char *buf, size_t len, struct dfl_docs *docs,
		   struct dfl_postab *pt, struct dfl_diags *diags);
int dfl_json__load(const char *buf, size_t len, struct dfl_docs *docs,
		   struct dfl_postab *pt, struct dfl_diags *diags);
/* Kubernetes' rule (apimachinery's YAMLOrJSONDecoder): JSON when the first
 * non-blank byte is '{'. */
bool dfl_load__looks_like_json(const char *buf, size_t len);
/* Records a localized loader error position. Returns 0 or -ENOMEM. */
int dfl_docs__mark_bad(struct dfl_docs *docs, struct dfl_pos pos);
void dfl_docs__release(struct dfl_docs *docs);

/* How go-yaml v2 (the parser behind sigs.k8s.io/yaml, which kubectl uses)
 * types a scalar. */
enum dfl_yaml_kind {
	DFL_YK_STRING = 0,
	DFL_YK_NULL,
	DFL_YK_BOOL,
	DFL_YK_INT,	  /* fits int64 */
	DFL_YK_UINT,	  /* above INT64_MAX, fits uint64 */
	DFL_YK_FLOAT,	  /* finite */
	DFL_YK_NONFINITE, /* .inf, -.inf, .nan: JSON cannot hold them */
	DFL_YK_BIGINT,	  /* an integer beyond every Go type */
	DFL_YK_MERGE,	  /* the merge key "<<" */
	DFL_YK_BAD_TAG,	  /* explicit tag that does not fit the value */
};

struct dfl_yaml_scalar {
	enum dfl_yaml_kind kind;
	bool b;
	long long i;
	unsigned long long u;
	double f;
};

/* Types the scalar <s> (<len> bytes). <plain> is false for quoted and block
 * scalars; <tag> is libyaml's resolved tag or NULL. */
void dfl_yaml__resolve(const char *s, size_t len, bool plain, const char *tag,
		       struct dfl_yaml_scalar *out);
/* Formats a float64 the way Go's strconv.FormatFloat(f, 'g', -1, 32) does
 * (how sigs.k8s.io/yaml turns a float map key into a string). */
void dfl_yaml__format_key_float(double f, char *buf, size_t len);

#endif
