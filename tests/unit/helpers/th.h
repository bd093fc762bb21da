/* Test helpers: decoded policies, pods and namespaces built by hand (the
 * structs crd/ produces), with every allocation owned by a struct th arena
 * freed by th_free(). Selector text: "app=web,k8s:tier=db,env,!debug,
 * role!=x" (In, Exists, DoesNotExist, NotIn; keys without a source get
 * "any:", as crd/ does). */
#ifndef DFL_TESTS_TH_H
#define DFL_TESTS_TH_H

#include "crd/crd-t.h"

struct th;

struct th *th_new(void);
void th_free(struct th *t);
void *th_alloc(struct th *t, size_t size);
char *th_strdup(struct th *t, const char *s);

struct dfl_selector *th_sel(struct th *t, const char *text);

struct dfl_policy *th_cnp(struct th *t, const char *ns, const char *name);
struct dfl_policy *th_ccnp(struct th *t, const char *name);
/* A rule with <subject> as endpointSelector ("" = {}), or a nodeSelector
 * rule when <subject> is NULL. */
struct dfl_rule *th_rule(struct th *t, struct dfl_policy *p,
			 const char *subject);
struct dfl_peer_rule *th_ingress(struct th *t, struct dfl_rule *r);
struct dfl_peer_rule *th_egress(struct th *t, struct dfl_rule *r);
struct dfl_peer_rule *th_ingress_deny(struct th *t, struct dfl_rule *r);
struct dfl_peer_rule *th_egress_deny(struct th *t, struct dfl_rule *r);
/* enableDefaultDeny written explicitly (-1 = not written). */
void th_default_deny(struct dfl_rule *r, int ingress, int egress);

/* Peers. th_endpoints(t, pe, NULL) writes an empty list ([]). */
void th_endpoints(struct th *t, struct dfl_peer_rule *pe, const char *sel);
void th_nodes(struct th *t, struct dfl_peer_rule *pe, const char *sel);
void th_cidr(struct th *t, struct dfl_peer_rule *pe, const char *cidr);
/* toCIDRSet element with excepts, NULL-terminated. */
void th_cidr_set(struct th *t, struct dfl_peer_rule *pe, const char *cidr,
		 ...);
void th_entities(struct dfl_peer_rule *pe, uint32_t mask);
void th_fqdn(struct th *t, struct dfl_peer_rule *pe, const char *name,
	     const char *pattern);
void th_service(struct th *t, struct dfl_peer_rule *pe, const char *ns,
		const char *name);

/* A toPorts element with ports "80/TCP", "53" (ANY), "8080-8095/TCP",
 * "http/TCP" (named), NULL-terminated. */
struct dfl_port_rule *th_ports(struct th *t, struct dfl_peer_rule *pe, ...);
void th_http(struct th *t, struct dfl_port_rule *pr, const char *method,
	     const char *path);
void th_dns(struct th *t, struct dfl_port_rule *pr, const char *name,
	    const char *pattern);
void th_icmp(struct th *t, struct dfl_peer_rule *pe, int family, int type);

struct dfl_pod *th_pod(struct th *t, const char *ns, const char *name,
		       const char *labels, const char *ip);
void th_pod_port(struct th *t, struct dfl_pod *pod, const char *name,
		 unsigned int port, unsigned int proto);
struct dfl_namespace *th_ns(struct th *t, const char *name,
			    const char *labels);
struct dfl_service *th_svc(struct th *t, const char *ns, const char *name,
			   const char *selector);

/* Fills enableDefaultDeny defaults as crd/'s sanitize step does; call once
 * a policy is complete (th_* rule builders keep them current anyway). */
void th_finish(struct dfl_policy *p);

#endif
