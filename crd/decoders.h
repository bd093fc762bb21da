/* Decoders of the pieces of Kubernetes objects (internal to crd/). Each
 * decodes one JSON node into its struct of crd/crd-t.h, validates it the way
 * Cilium or the API server would, and reports problems through <dc>. On
 * failure the output may be half-filled: free it with its release function
 * (release.c, declared at the end of this file). Decoders return 0 (or 1:
 * present) on success and -1 after reporting. */
#ifndef DFL_CRD_DECODERS_H
#define DFL_CRD_DECODERS_H

#include "crd/decode.h"
#include "crd/objects.h"

/* ---- selectors (selector.c) ---- */

struct dfl_sel_opts {
	/* Source for keys written without one ("any" in Cilium selectors,
	 * "cidrgroup" in cidrGroupSelector); NULL keeps keys as written
	 * (Kubernetes selectors of Deployments). */
	const char *default_source;
	/* Source every key gets ("k8s" for translated NetworkPolicies, whose
	 * keys cannot carry one). */
	const char *forced_source;
	/* Prepended to every key (namespace selectors of NetworkPolicies:
	 * "io.cilium.k8s.namespace.labels."). */
	const char *key_prefix;
};

/* Decodes LabelSelector <v> and appends its requirements to <out> (which
 * keeps its own pos when set). Returns 0 or -1 (reported). */
int dfl_decode_selector(struct dfl_dc *dc, const json_t *v,
			const struct dfl_sel_opts *o, struct dfl_selector *out);
/* Member <key> of <obj> as a selector list (nil vs empty kept). */
int dfl_decode_selector_list(struct dfl_dc *dc, const json_t *obj,
			     const char *key, const struct dfl_sel_opts *o,
			     struct dfl_selector_list *out);
/* Member <key> as one selector, allocated; *out stays NULL when absent. */
int dfl_decode_selector_ptr(struct dfl_dc *dc, const json_t *obj,
			    const char *key, const struct dfl_sel_opts *o,
			    struct dfl_selector **out);
/* Appends a requirement (values copied) to <s>. Returns 0 or -ENOMEM. */
int dfl_selector__add(struct dfl_selector *s, const char *key,
		      enum dfl_sel_op op, const char *const *values,
		      size_t n_values, struct dfl_pos pos);
/* Sorts requirements by key, operator and values (what sanitize promises). */
void dfl_selector__sort(struct dfl_selector *s);

extern const struct dfl_sel_opts dfl_sel_cilium;

/* ---- L3 (l3.c) ---- */

/* Parses "a.b.c.d/n" or "x::y/n" the way Go's netip.ParsePrefix does; host
 * bits are cleared into <out>, *host_bits says whether some were set.
 * Returns NULL or what is wrong. */
const char *dfl_cidr__parse(const char *s, struct dfl_cidr *out,
			    bool *host_bits);
bool dfl_cidr__contains(const struct dfl_cidr *outer,
			const struct dfl_cidr *inner);
int dfl_decode_cidr_list(struct dfl_dc *dc, const json_t *obj, const char *key,
			 struct dfl_cidr_list *out);
int dfl_decode_cidr_rules(struct dfl_dc *dc, const json_t *obj, const char *key,
			  struct dfl_cidr_rule_list *out);
/* One CIDRRule, or with <k8s> a NetworkPolicy ipBlock (only cidr and
 * except, which must lie strictly inside cidr). */
int dfl_decode_cidr_rule(struct dfl_dc *dc, const json_t *v, bool k8s,
			 struct dfl_cidr_rule *out);
int dfl_decode_entities(struct dfl_dc *dc, const json_t *obj, const char *key,
			struct dfl_entity_list *out);
int dfl_decode_services(struct dfl_dc *dc, const json_t *obj, const char *key,
			struct dfl_peer_rule *out);
/* toFQDNs or rules.dns elements. */
int dfl_decode_fqdns(struct dfl_dc *dc, const json_t *obj, const char *key,
		     struct dfl_fqdn_selector **out, size_t *n);
/* matchName / matchPattern text checks (Cilium §5.1); NULL when valid. */
const char *dfl_check_match_name(const char *s, char *buf, size_t len);
const char *dfl_check_match_pattern(const char *s, char *buf, size_t len);

/* ---- L4 and L7 (l4.c) ---- */

/* toPorts of a peer rule: PortRule, or PortDenyRule for <deny>. */
int dfl_decode_port_rules(struct dfl_dc *dc, const json_t *obj, const char *key,
			  enum dfl_direction dir, bool deny,
			  struct dfl_port_rule_list *out);
int dfl_decode_icmps(struct dfl_dc *dc, const json_t *obj, const char *key,
		     struct dfl_icmp_rule_list *out);
/* "TCP", "udp", ... to enum dfl_proto; <extended> tells whether Cilium needs
 * --enable-extended-ip-protocols for it. Returns false when unknown. */
bool dfl_proto__parse(const char *s, uint8_t *out, bool *extended);
/* Full-match RE2 regex check for HTTP fields; NULL or the problem. */
const char *dfl_check_http_regex(const char *re, char *buf, size_t len);

/* ---- rules and objects ---- */

/* One Cilium Rule (spec or specs[i]) of a CNP (<kind> CNP) or CCNP. */
int dfl_decode_rule(struct dfl_dc *dc, const json_t *spec, enum dfl_kind kind,
		    struct dfl_rule *out);
int dfl_decode_cilium_policy(struct dfl_dc *dc, const json_t *root,
			     struct dfl_policy *p);
int dfl_decode_knp(struct dfl_dc *dc, const json_t *root, struct dfl_policy *p);
int dfl_decode_pod(struct dfl_dc *dc, const json_t *root, struct dfl_pod *p);
int dfl_decode_deployment(struct dfl_dc *dc, const json_t *root,
			  struct dfl_deployment *d);
int dfl_decode_service(struct dfl_dc *dc, const json_t *root,
		       struct dfl_service *s);
int dfl_decode_namespace(struct dfl_dc *dc, const json_t *root,
			 struct dfl_namespace *ns);
/* metadata of any object; namespaced kinds get "default" when omitted, and
 * dc->object is set for the diagnostics that follow. */
int dfl_decode_meta(struct dfl_dc *dc, const json_t *root, enum dfl_kind kind,
		    struct dfl_meta *m);

/* ---- releasing half-built pieces (release.c) ---- */

void dfl_selector__release(struct dfl_selector *s);
void dfl_selector_list__release(struct dfl_selector_list *l);
void dfl_cidr_rule__release(struct dfl_cidr_rule *r);
void dfl_peer_rule__release(struct dfl_peer_rule *r);
void dfl_port_rule__release(struct dfl_port_rule *r);
void dfl_rule__release(struct dfl_rule *r);
void dfl_meta__release(struct dfl_meta *m);
void dfl_pod_spec__release(struct dfl_pod_spec *s);
void dfl_fqdn_selectors__free(struct dfl_fqdn_selector *f, size_t n);

#endif
