/* `policy trace`: would traffic from A to B be allowed, and why (the
 * successor of Cilium's removed `cilium policy trace`, user-needs §1.7,
 * §5.2). Works on a resolved compiler: the source's egress and the
 * destination's ingress are looked up the way the datapath does, and the
 * L7 rules that apply to a redirected connection are listed (and matched
 * when an L7 matcher is wired in, see struct dfl_trace_l7_ops). */
#ifndef DFL_POLICY_TRACE_H
#define DFL_POLICY_TRACE_H

#include <jansson.h>
#include <stdio.h>

#include "policy/compiler.h"

struct dfl_objects;

/* One end of the traced connection. */
struct dfl_trace_peer {
	char *text;	/* as given */
	char *desc;	/* "pod default/xwing", "entity world", "10.1.2.3" */
	char *endpoint; /* local endpoint whose policy applies, or NULL */
	uint32_t identity;
	char *fqdn; /* the name, for an FQDN destination */
};

/* Resolves a --from/--to argument against the loaded objects and adds what
 * it needs to <c> (a label endpoint, an FQDN identity); resolve <c> after
 * all peers are added. Accepted: "ns/pod" (also a Deployment "ns/name" and
 * "pod" for namespace default), a label set "k8s:app=x,..." (label sources
 * default to k8s; io.cilium.k8s.policy.cluster is added unless given), an
 * IP address or CIDR (ipcache), an entity (world, host, remote-node,
 * kube-apiserver, health, init, unmanaged, ingress) and, as destination, a
 * DNS name. Returns 0, or -EINVAL with a message in <err> (malloc'd). */
int dfl_trace_peer__resolve(struct dfl_compiler *c, const char *text,
			    bool destination, struct dfl_trace_peer *out,
			    char **err);
void dfl_trace_peer__release(struct dfl_trace_peer *p);

/* L7 matching hooks (proxy/'s matchers; the policy component has none of its
 * own). Each returns the index of the first matching rule or selector, -1
 * for no match, or a negative errno below -1 on error. */
struct dfl_trace_l7_ops {
	int (*http)(const struct dfl_http_rule *const *rules, size_t n,
		    const char *method, const char *path, const char *host,
		    void *arg);
	int (*dns)(const struct dfl_fqdn_selector *const *sels, size_t n,
		   const char *qname, bool proxy, void *arg);
	void *arg;
};

/* The hooks `policy trace` uses. The default is proxy/'s matchers
 * (policy/l7_match.h) when the build has them (policy/trace_l7.c); NULL ops
 * mean L7 rules are listed but not evaluated and toFQDNs matchPattern
 * selectors are not matched against a traced name. Not thread-safe: set
 * once at start-up. */
void dfl_trace_set_l7_ops(const struct dfl_trace_l7_ops *ops);
const struct dfl_trace_l7_ops *dfl_trace_l7_ops(void);

struct dfl_trace_request {
	uint8_t proto;	/* IPPROTO_*; ICMP uses dport as the type */
	uint16_t dport;
	const char *http_method; /* NULL when not given */
	const char *http_path;
	const char *http_host;
	const char *dns_name;
};

enum dfl_l7_eval {
	DFL_L7_NOT_REDIRECTED = 0,
	DFL_L7_NOT_EVALUATED, /* no request fields or no matcher */
	DFL_L7_ALLOWED,
	DFL_L7_DENIED,
};

struct dfl_trace_dir {
	bool applies;	/* the side is a local endpoint */
	bool enforced, default_deny;
	struct dfl_policy_verdict v;
	const struct dfl_ep_policy *pol;
	/* L7 */
	bool redirected;
	struct dfl_l7_set l7;
	enum dfl_l7_eval l7_eval;
	int l7_rule; /* index in l7.rules of the matching rule, or -1 */
};

struct dfl_trace_result {
	bool allowed;
	int drop_reason; /* 0, 133, 181, 189; 0 also for an L7 denial */
	bool l7_denied;
	struct dfl_trace_dir egress, ingress;
};

/* Traces <req> from <from> to <to>. 0 or -ENOMEM. */
int dfl_trace__run(struct dfl_compiler *c, const struct dfl_trace_peer *from,
		   const struct dfl_trace_peer *to,
		   const struct dfl_trace_request *req,
		   struct dfl_trace_result *out);
void dfl_trace_result__release(struct dfl_trace_result *r);

void dfl_trace__print(FILE *out, struct dfl_compiler *c,
		      const struct dfl_trace_peer *from,
		      const struct dfl_trace_peer *to,
		      const struct dfl_trace_request *req,
		      const struct dfl_trace_result *r);
/* {"verdict":"ALLOWED"|"DENIED","drop_reason":N|null,"from":..,"to":..,
 *  "egress":{..},"ingress":{..},"l7":{..}}; a new reference. */
json_t *dfl_trace__to_json(struct dfl_compiler *c,
			   const struct dfl_trace_peer *from,
			   const struct dfl_trace_peer *to,
			   const struct dfl_trace_request *req,
			   const struct dfl_trace_result *r);

/* Shared with `policy map`: an origin as JSON ({"kind","namespace","name",
 * "rule","field","file","line","column"} or {"synthetic": name}). */
json_t *dfl_origin__to_json(const struct dfl_origin *og);

#endif
