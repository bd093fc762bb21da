/* The attribution table: cookie -> the rule element a map entry came from.
 * Cookies start at 1 (0 = none) and are never reused in a process, so a
 * cookie in an old flow record still names its rule. */
#ifndef DFL_POLICY_ORIGIN_H
#define DFL_POLICY_ORIGIN_H

#include "policy/policy-t.h"
#include "util/strbuf.h"

struct dfl_origins;

struct dfl_origins *dfl_origins__new(void);
void dfl_origins__free(struct dfl_origins *o);

/* The cookie of rule element <field> ("ingress[0]") of rule <rule_index> of
 * a policy. Creates the origin when new; updates its position otherwise.
 * Returns 0 on allocation failure. */
uint32_t dfl_origins__policy(struct dfl_origins *o,
			     const struct dfl_policy *p,
			     const struct dfl_rule *r,
			     const struct dfl_peer_rule *pr);
/* The cookie of a whole rule (field NULL): used for default-deny lists. */
uint32_t dfl_origins__rule(struct dfl_origins *o, const struct dfl_policy *p,
			   const struct dfl_rule *r, enum dfl_direction dir);
/* The cookie of a synthetic rule (DFL_SYNTH_*). */
uint32_t dfl_origins__synthetic(struct dfl_origins *o, const char *name,
				enum dfl_direction dir);

const struct dfl_origin *dfl_origins__get(const struct dfl_origins *o,
					  uint32_t cookie);
size_t dfl_origins__count(const struct dfl_origins *o);

/* "CiliumNetworkPolicy app/web ingress[0] (web.yaml:12:5)" or
 * "allow-localhost-ingress (synthetic)". */
int dfl_origin__fmt(const struct dfl_origin *og, struct dfl_strbuf *out);
/* "CiliumNetworkPolicy app/web" */
int dfl_origin__fmt_policy(const struct dfl_origin *og, struct dfl_strbuf *out);

#endif
