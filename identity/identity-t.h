/* Labels, selectors, identities and prefixes: the types identity/ shares with
 * policy/, bpf/, flow/ and agent/. Reference: cilium-policy.md §2, §6. */
#ifndef DFL_IDENTITY_IDENTITY_T_H
#define DFL_IDENTITY_IDENTITY_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A label "source:key=value". Every string is owned by the label. */
struct dfl_label {
	char *source; /* "k8s", "reserved", "cidr", "fqdn", "any", ... */
	char *key;
	char *value; /* "" when the label has no value */
};

/* A label set: sorted by key, at most one label per key (Cilium keys label
 * sets by key only, §2.1). A zeroed struct is the empty set. */
struct dfl_labels {
	struct dfl_label *items;
	size_t n;
	size_t cap;
};

/* An IPv4 or IPv6 prefix with host bits cleared. */
struct dfl_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

enum dfl_sel_term_op {
	DFL_TERM_IN = 0,
	DFL_TERM_NOT_IN,
	DFL_TERM_EXISTS,
	DFL_TERM_DOES_NOT_EXIST,
};

/* One requirement of a compiled selector. <source> "any" matches a label of
 * any source; "cidr" terms match by prefix containment (§2.1). */
struct dfl_sel_term {
	char *source;
	char *key;
	enum dfl_sel_term_op op;
	char **values; /* sorted, In/NotIn only */
	size_t n_values;
	bool is_cidr;
	struct dfl_prefix prefix; /* when is_cidr */
};

/* A compiled endpoint selector: terms ANDed, sorted by (source, key, op);
 * no terms selects every identity. */
struct dfl_sel {
	struct dfl_sel_term *terms;
	size_t n;
	size_t cap;
};

/* Reserved numeric identities (§6.1). Mirrored by bpf/ and flow/. */
enum dfl_reserved_id {
	DFL_ID_UNKNOWN = 0, /* also "any identity" in policy keys */
	DFL_ID_HOST = 1,
	DFL_ID_WORLD = 2,
	DFL_ID_UNMANAGED = 3,
	DFL_ID_HEALTH = 4,
	DFL_ID_INIT = 5,
	DFL_ID_REMOTE_NODE = 6,
	DFL_ID_KUBE_APISERVER = 7,
	DFL_ID_INGRESS = 8,
	DFL_ID_WORLD_IPV4 = 9,
	DFL_ID_WORLD_IPV6 = 10,
	/* well-known cluster components, exact label-set match only */
	DFL_ID_ETCD_OPERATOR = 100,
	DFL_ID_CILIUM_KVSTORE = 101,
	DFL_ID_KUBE_DNS = 102,
	DFL_ID_EKS_KUBE_DNS = 103,
	DFL_ID_CORE_DNS = 104,
	DFL_ID_CILIUM_OPERATOR = 105,
	DFL_ID_EKS_CORE_DNS = 106,
	DFL_ID_CILIUM_ETCD_OPERATOR = 107,
	/* +8: the same with the namespace's kubernetes.io/metadata.name */
	DFL_ID_USER_RESERVED_MIN = 128,
	DFL_ID_CLUSTER_MIN = 256,
	DFL_ID_CLUSTER_MAX = 65535,
};

#define DFL_ID_LOCAL_FLAG 0x01000000u /* CIDR / FQDN identities */
#define DFL_ID_LOCAL_MIN 0x01000001u
#define DFL_ID_LOCAL_MAX 0x01ffffffu
#define DFL_ID_SCOPE(id) ((id) >> 24)

/* An allocated identity. Labels are the identity-relevant ones (§6.4). */
struct dfl_identity {
	uint32_t id;
	struct dfl_labels labels;
	char *canon;   /* "k8s:a=b;k8s:c=d", the allocation key */
	uint32_t refs; /* reserved identities are never freed */
	bool reserved; /* 1..255 */
};

#endif
