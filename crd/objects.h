/* Loading and owning decoded Kubernetes objects (types in crd/crd-t.h). */
#ifndef DFL_CRD_OBJECTS_H
#define DFL_CRD_OBJECTS_H

#include <jansson.h>

#include "crd/crd-t.h"
#include "util/diag-t.h"

/* One decoded object of any handled kind. */
struct dfl_object {
	enum dfl_kind kind;
	union {
		struct dfl_meta *meta; /* first member of every object */
		struct dfl_policy *policy;  /* CNP, CCNP, KNP */
		struct dfl_pod *pod;
		struct dfl_deployment *deployment;
		struct dfl_service *service;
		struct dfl_namespace *ns;
	};
};

/* A set of objects, as read from files or received from the API server.
 * Arrays hold owned pointers in the order the objects were added. */
struct dfl_objects {
	struct dfl_policy **policies; /* CNP, CCNP and KNP */
	size_t n_policies, cap_policies;
	struct dfl_pod **pods;
	size_t n_pods, cap_pods;
	struct dfl_deployment **deployments;
	size_t n_deployments, cap_deployments;
	struct dfl_service **services;
	size_t n_services, cap_services;
	struct dfl_namespace **namespaces;
	size_t n_namespaces, cap_namespaces;
};

/* Results of loading, beyond the diagnostics. */
struct dfl_load_stats {
	size_t files;	   /* files read */
	size_t documents;  /* YAML documents / JSON values seen */
	size_t objects;	   /* objects decoded and added */
	size_t invalid;	   /* objects rejected by validation */
	size_t skipped;	   /* objects of kinds we do not handle (a note each) */
	size_t unreadable; /* files that could not be read or parsed */
};

struct dfl_objects *dfl_objects__new(void);
void dfl_objects__free(struct dfl_objects *objs);

/* Loads <path>: a YAML file (multi-document), a JSON file, a directory
 * (recursively, files ending in .yaml, .yml or .json, in sorted order) or "-"
 * for standard input. `kind: List` (and `items:` of any *List) is expanded.
 * Valid objects of handled kinds are added to <objs>; every problem becomes a
 * diagnostic in <diags> naming file:line:col and the field path; objects of
 * other kinds are skipped with a note. Objects already in <objs> are kept.
 * Returns 0 when every input could be read and parsed as YAML/JSON (invalid
 * objects are reported in <diags> only), or a negative errno when something
 * could not be read or parsed. <stats> may be NULL; counts are added to it. */
int dfl_objects__load_path(struct dfl_objects *objs, const char *path,
			   struct dfl_diags *diags, struct dfl_load_stats *stats);

/* The same for an in-memory buffer; <name> is used in positions. */
int dfl_objects__load_buffer(struct dfl_objects *objs, const char *name,
			     const char *buf, size_t len,
			     struct dfl_diags *diags,
			     struct dfl_load_stats *stats);

/* Takes ownership of <obj>'s object and adds it; an object of the same kind,
 * namespace and name already in <objs> is replaced (freed), as a later
 * kubectl apply would replace it. Returns 0 or -ENOMEM (the object is then
 * freed). */
int dfl_objects__add(struct dfl_objects *objs, struct dfl_object *obj);

/* Lookups by kind, namespace (NULL for cluster-scoped) and name; NULL when
 * absent. Returned objects stay owned by <objs>. */
struct dfl_policy *dfl_objects__find_policy(const struct dfl_objects *objs,
					    enum dfl_kind kind,
					    const char *ns, const char *name);
struct dfl_pod *dfl_objects__find_pod(const struct dfl_objects *objs,
				      const char *ns, const char *name);
struct dfl_service *dfl_objects__find_service(const struct dfl_objects *objs,
					      const char *ns, const char *name);
struct dfl_namespace *dfl_objects__find_namespace(const struct dfl_objects *objs,
						  const char *name);

/* Decodes one object from a JSON tree (as returned by the Kubernetes API:
 * no line numbers, positions name <origin>). On success returns 0 and fills
 * <out> (owned by the caller: dfl_object__release). Returns -EINVAL when the
 * object is invalid (diagnostics in <diags>), -ENOTSUP when its kind is not
 * handled (a note in <diags>). */
int dfl_object__decode_json(const json_t *root, const char *origin,
			    struct dfl_object *out, struct dfl_diags *diags);
void dfl_object__release(struct dfl_object *obj);

/* Destructors; all accept NULL and half-built objects. */
void dfl_policy__free(struct dfl_policy *p);
void dfl_pod__free(struct dfl_pod *p);
void dfl_deployment__free(struct dfl_deployment *d);
void dfl_service__free(struct dfl_service *s);
void dfl_namespace__free(struct dfl_namespace *ns);

/* "CiliumNetworkPolicy", "Pod", ... */
const char *dfl_kind__name(enum dfl_kind kind);
/* "ciliumnetworkpolicy.cilium.io", "pod", ... as kubectl prints them. */
const char *dfl_kind__resource(enum dfl_kind kind);

#endif
