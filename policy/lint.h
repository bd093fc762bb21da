/* `policy lint`: semantic checks of CiliumNetworkPolicy files beyond
 * Cilium's validation (which crd/ reports while loading), each tied to a
 * real-world pitfall (user-needs §5.1, cilium-policy.md §11), and the
 * report formats (text, JSON, SARIF 2.1.0). */
#ifndef DFL_POLICY_LINT_H
#define DFL_POLICY_LINT_H

#include <jansson.h>
#include <stdio.h>

#include "identity/identity-t.h"
#include "policy/policy-t.h"
#include "util/diag-t.h"

struct dfl_objects;

struct dfl_lint_config {
	struct dfl_policy_config policy;
	/* Pod CIDRs (default 10.200.0.0/16) and node addresses: CIDR rules
	 * covering them never match pods or nodes. */
	const struct dfl_prefix *pod_cidrs;
	size_t n_pod_cidrs;
	const struct dfl_prefix *node_ips;
	size_t n_node_ips;
};

struct dfl_lint_check {
	const char *id;
	enum dfl_severity severity;
	const char *summary; /* one line, for SARIF rules and --help */
};

/* The checks lint adds to crd/'s validation, in a fixed order. */
const struct dfl_lint_check *dfl_lint__checks(size_t *n);

/* Runs every check over <objs> (already loaded; their load diagnostics are
 * not repeated) and appends findings to <out>. When pods or deployments
 * are present, the policies are compiled for them and the checks use the
 * resolved maps; otherwise rule-level heuristics apply. 0 or -ENOMEM. */
int dfl_lint__run(const struct dfl_lint_config *cfg,
		  const struct dfl_objects *objs, struct dfl_diags *out);

/* Reports. JSON: {"findings":[{...}],"summary":{...}}; SARIF 2.1.0 with a
 * rule for every check id that occurs. New references. */
json_t *dfl_lint__to_json(const struct dfl_diags *d);
json_t *dfl_lint__to_sarif(const struct dfl_diags *d, const char *version);

#endif
