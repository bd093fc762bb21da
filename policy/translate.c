/* From a decoded policy to the repository's rule elements (§3.1): subject
 * and peer selectors scoped (§2.3) and interned in the selector cache,
 * CIDR identities allocated for every referenced prefix (§2.6), services
 * resolved (§1.8), ports collected. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "identity/labels.h"
#include "identity/podlabels.h"
#include "identity/prefix.h"
#include "identity/selector.h"
#include "policy/internal.h"
#include "policy/scope.h"
#include "util/diag.h"
#include "util/mem.h"

/* Selectors being collected for one rule element. */
struct selset {
	struct dfl_sel *items;
	size_t n, cap;
};

static void selset_release(struct selset *s)
{
	for (size_t i = 0; i < s->n; i++)
		dfl_sel__release(&s->items[i]);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static struct dfl_sel *selset_push(struct selset *s)
{
	return DFL_PUSH(s->items, s->n, s->cap);
}

__attribute__((format(printf, 5, 6))) static void
note(struct dfl_compiler *c, enum dfl_severity sev, struct dfl_pos pos,
     const char *check, const char *fmt, ...)
{
	va_list ap;

	if (!c->diags)
		return;
	va_start(ap, fmt);
	dfl_diags__addv(c->diags, sev, pos, NULL, check, NULL, fmt, ap);
	va_end(ap);
}

static int add_cidr_peer(struct dfl_compiler *c, struct rpolicy *rp,
			 struct selset *out, const struct dfl_cidr *cidr,
			 const struct dfl_cidr *except, size_t n_except)
{
	struct dfl_prefix prefix, ex[64];
	struct dfl_sel *sel;
	uint32_t id;
	int err = 0;

	if (n_except > DFL_ARRAY_SIZE(ex))
		return -E2BIG;
	dfl_prefix_from_cidr(cidr, &prefix);
	for (size_t i = 0; i < n_except; i++)
		dfl_prefix_from_cidr(&except[i], &ex[i]);
	/* Every referenced prefix, excepts included, needs an identity so
	 * that the ipcache resolves addresses in it to something the
	 * selector can tell apart (§2.6). /0 is the world identity. */
	for (size_t i = 0; i <= n_except && !err; i++) {
		const struct dfl_prefix *p = i ? &ex[i - 1] : &prefix;
		uint32_t *slot;

		if (!p->len)
			continue;
		err = dfl_compiler_acquire_cidr(c, p, &id);
		if (err)
			break;
		slot = DFL_PUSH(rp->cidr_ids, rp->n_cidr_ids, rp->cap_cidr_ids);
		if (!slot) {
			dfl_compiler_release_identity(c, id);
			return -ENOMEM;
		}
		*slot = id;
	}
	if (err)
		return err;
	sel = selset_push(out);
	return sel ? dfl_cidr_selector(&prefix, ex, n_except, sel) : -ENOMEM;
}

static bool kvs_match_selector(const struct dfl_kvs *labels,
			       const struct dfl_selector *sel)
{
	struct dfl_labels ls = { 0 };
	struct dfl_sel s = { 0 };
	bool ok = false;

	for (size_t i = 0; i < labels->n; i++)
		if (dfl_labels__set(&ls, "k8s", labels->items[i].key,
				    labels->items[i].value))
			goto out;
	if (dfl_sel__add_crd(&s, sel))
		goto out;
	ok = dfl_sel__matches(&s, &ls);
out:
	dfl_labels__release(&ls);
	dfl_sel__release(&s);
	return ok;
}

/* toServices (§1.8): a service with a pod selector becomes a toEndpoints
 * selector for its pods; one without a selector would be its Endpoints'
 * addresses, which deflector does not load. */
static int add_service_peers(struct dfl_compiler *c, struct rpolicy *rp,
			     const struct dfl_peer_rule *pe, struct selset *out)
{
	struct dfl_hmap_slot *s;
	int err = 0;

	rp->uses_services = true;
	for (size_t i = 0; i < pe->n_services && !err; i++) {
		const struct dfl_service_ref *ref = &pe->services[i];
		bool any_ns = !ref->namespace || !ref->namespace[0];
		size_t matched = 0;

		dfl_hmap_for_each(&c->services, s)
		{
			struct svcrec *svc = s->val.ptr;
			struct dfl_sel *sel;

			if (!any_ns && strcmp(ref->namespace, svc->ns))
				continue;
			if (ref->name && strcmp(ref->name, svc->name))
				continue;
			if (!ref->name &&
			    (!ref->selector ||
			     !kvs_match_selector(&svc->labels, ref->selector)))
				continue;
			matched++;
			if (!svc->selector.n) {
				note(c, DFL_SEV_NOTE, ref->pos,
				     "service-without-selector",
				     "service %s has no pod selector; its "
				     "endpoints are not known offline, so this "
				     "toServices entry selects nothing",
				     svc->name);
				continue;
			}
			sel = selset_push(out);
			if (!sel)
				return -ENOMEM;
			for (size_t k = 0; k < svc->selector.n && !err; k++) {
				const char *v = svc->selector.items[k].value;

				err = dfl_sel__add(sel, "any",
						   svc->selector.items[k].key,
						   DFL_TERM_IN, &v, 1);
			}
			if (!err)
				err = dfl_sel__set_match(sel, "k8s",
							 DFL_LBL_NAMESPACE,
							 svc->ns);
		}
		if (!matched)
			note(c, DFL_SEV_NOTE, ref->pos, "service-not-found",
			     "toServices entry %s matches no known service; it "
			     "selects nothing",
			     ref->name ? ref->name : "(selector)");
	}
	return err;
}

static int collect_peers(struct dfl_compiler *c, struct rpolicy *rp,
			 const struct prule *pr,
			 const struct dfl_peer_rule *pe, struct selset *out,
			 bool *present)
{
	const char *ns = rp->ns;
	int err = 0;

	*present = pe->endpoints.present || pe->cidr.present ||
		   pe->cidr_set.present || pe->entities.present ||
		   pe->nodes.present || pe->services_present ||
		   pe->fqdns_present || pe->groups_present;
	for (size_t i = 0; i < pe->endpoints.n && !err; i++) {
		struct dfl_sel *sel = selset_push(out);

		if (!sel)
			return -ENOMEM;
		err = dfl_sel__add_crd(sel, &pe->endpoints.items[i]);
		if (!err)
			err = dfl_scope_peer(sel, rp->kind, ns, c->cluster,
					     pr->subject_init);
	}
	for (size_t i = 0; i < pe->cidr.n && !err; i++)
		err = add_cidr_peer(c, rp, out, &pe->cidr.items[i], NULL, 0);
	for (size_t i = 0; i < pe->cidr_set.n && !err; i++) {
		const struct dfl_cidr_rule *cr = &pe->cidr_set.items[i];

		if (!cr->has_cidr) {
			note(c, DFL_SEV_NOTE, cr->pos, "cidr-group",
			     "%s needs CiliumCIDRGroup objects, which deflector "
			     "does not load; this peer selects nothing",
			     cr->group_ref ? "cidrGroupRef" :
					     "cidrGroupSelector");
			continue;
		}
		err = add_cidr_peer(c, rp, out, &cr->cidr, cr->except,
				    cr->n_except);
	}
	if (pe->entities.present && !err)
		err = dfl_entity_selectors(pe->entities.mask, c->cluster,
					   &out->items, &out->n, &out->cap);
	for (size_t i = 0; i < pe->nodes.n && !err; i++) {
		struct dfl_sel *sel = selset_push(out);

		if (!sel)
			return -ENOMEM;
		err = dfl_sel__add_crd(sel, &pe->nodes.items[i]);
		if (!err)
			err = dfl_scope_node(sel, c->cluster);
	}
	if (pe->services_present && !err)
		err = add_service_peers(c, rp, pe, out);
	for (size_t i = 0; i < pe->n_fqdns && !err; i++) {
		struct dfl_sel *sel = selset_push(out);

		err = sel ? dfl_fqdn_peer_selector(&pe->fqdns[i], sel) :
			    -ENOMEM;
	}
	/* fromGroups/toGroups select nothing; crd/ warns about them. */
	return err;
}

/* TLS interception, SNI filtering and Envoy listeners need a proxy
 * deflector does not have. Such a port rule is not enforced as written:
 * nothing it would allow is allowed (fail closed), and lint says so. */
static const char *unsupported_port_rule(const struct dfl_port_rule *pr)
{
	if (pr->n_server_names)
		return "serverNames";
	if (pr->terminating_tls)
		return "terminatingTLS";
	if (pr->originating_tls)
		return "originatingTLS";
	if (pr->listener)
		return "listener";
	return NULL;
}

static int collect_ports(struct dfl_compiler *c, struct pentry *e,
			 const struct dfl_peer_rule *pe)
{
	size_t n = 0;

	for (size_t i = 0; i < pe->to_ports.n; i++)
		n += pe->to_ports.items[i].n_ports;
	for (size_t i = 0; i < pe->icmps.n; i++)
		n += pe->icmps.items[i].n_fields;
	if (!n) {
		/* toPorts: [{ports: []}] is not "no ports": the element has
		 * L4 rules that allow nothing (toPorts: [] is L3 only). */
		e->l3 = L3_NONE;
		return 0;
	}
	e->ports = calloc(n, sizeof(*e->ports));
	if (!e->ports)
		return -ENOMEM;
	for (size_t i = 0; i < pe->to_ports.n; i++) {
		const struct dfl_port_rule *pr = &pe->to_ports.items[i];
		const char *bad = unsupported_port_rule(pr);

		if (bad) {
			note(c, DFL_SEV_WARNING, pr->pos, "unsupported-l7",
			     "%s is not supported by deflector; traffic this "
			     "port rule would allow is dropped",
			     bad);
			continue;
		}
		for (size_t j = 0; j < pr->n_ports; j++) {
			const struct dfl_port_protocol *pp = &pr->ports[j];
			struct l4port *lp = &e->ports[e->n_ports++];

			lp->proto = pp->proto;
			lp->port = pp->port;
			lp->end_port = pp->end_port;
			lp->name = pp->name;
			lp->pr = pr;
		}
	}
	for (size_t i = 0; i < pe->icmps.n; i++) {
		const struct dfl_icmp_rule *ir = &pe->icmps.items[i];

		for (size_t j = 0; j < ir->n_fields; j++) {
			struct l4port *lp = &e->ports[e->n_ports++];

			lp->proto = ir->fields[j].family == 6 ? DFL_PROTO_ICMPV6 :
								DFL_PROTO_ICMP;
			lp->port = ir->fields[j].type;
		}
	}
	/* Every port rule unsupported: the element allows nothing. */
	if (!e->n_ports)
		e->l3 = L3_NONE;
	return 0;
}

static int translate_entry(struct dfl_compiler *c, struct rpolicy *rp,
			   const struct dfl_rule *r, const struct prule *pr,
			   const struct dfl_peer_rule *pe, struct pentry *e)
{
	struct selset sels = { 0 };
	bool present;
	int err;

	e->dir = pe->dir;
	e->deny = pe->deny;
	e->default_deny = pe->dir == DFL_DIR_INGRESS ? r->default_deny_ingress :
						       r->default_deny_egress;
	e->cookie = dfl_origins__policy(c->origins, rp->pol, r, pe);
	e->rule_cookie = dfl_origins__rule(c->origins, rp->pol, r, pe->dir);
	e->auth = pe->auth;
	e->src = pe;
	err = collect_peers(c, rp, pr, pe, &sels, &present);
	if (err)
		goto out;
	if (!present)
		e->l3 = pe->to_ports.n || pe->icmps.n ? L3_WILDCARD : L3_NONE;
	else
		e->l3 = sels.n ? L3_SELECTORS : L3_NONE;
	if (e->l3 == L3_SELECTORS) {
		e->peers = calloc(sels.n, sizeof(*e->peers));
		if (!e->peers) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < sels.n; i++) {
			e->peers[i] = dfl_selcache__get(c->sels, &sels.items[i]);
			if (!e->peers[i]) {
				err = -errno;
				goto out;
			}
			e->n_peers++;
		}
	}
	if (e->l3 != L3_NONE && (pe->to_ports.n || pe->icmps.n))
		err = collect_ports(c, e, pe);
out:
	selset_release(&sels);
	return err;
}

static int translate_rule(struct dfl_compiler *c, struct rpolicy *rp,
			  const struct dfl_rule *r, struct prule *pr)
{
	const struct {
		const struct dfl_peer_rule *items;
		size_t n;
	} lists[] = {
		{ r->ingress, r->n_ingress },
		{ r->ingress_deny, r->n_ingress_deny },
		{ r->egress, r->n_egress },
		{ r->egress_deny, r->n_egress_deny },
	};
	size_t total = 0;
	int err = 0;

	if (r->endpoint_selector) {
		struct dfl_sel sel = { 0 };

		err = dfl_sel__add_crd(&sel, r->endpoint_selector);
		if (!err)
			err = dfl_scope_subject(&sel, rp->kind, rp->ns);
		if (!err) {
			pr->subject_init = dfl_sel__has_key(&sel, "reserved",
							    "init");
			pr->subject = dfl_selcache__get(c->sels, &sel);
			if (!pr->subject)
				err = -errno;
		}
		dfl_sel__release(&sel);
		if (err)
			return err;
	} else if (r->node_selector) {
		note(c, DFL_SEV_NOTE, r->pos, "host-policy",
		     "%s: host policies (nodeSelector) need the host firewall, "
		     "which deflector does not enforce",
		     r->field ? r->field : "spec");
	}
	for (size_t i = 0; i < DFL_ARRAY_SIZE(lists); i++)
		total += lists[i].n;
	if (!total)
		return 0;
	pr->entries = calloc(total, sizeof(*pr->entries));
	if (!pr->entries)
		return -ENOMEM;
	for (size_t i = 0; i < DFL_ARRAY_SIZE(lists) && !err; i++)
		for (size_t j = 0; j < lists[i].n && !err; j++)
			err = translate_entry(c, rp, r, pr, &lists[i].items[j],
					      &pr->entries[pr->n_entries++]);
	return err;
}

int dfl_translate_policy(struct dfl_compiler *c, struct rpolicy *rp)
{
	const struct dfl_policy *p = rp->pol;
	int err = 0;

	if (!p->n_rules)
		return 0;
	rp->rules = calloc(p->n_rules, sizeof(*rp->rules));
	if (!rp->rules)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_rules && !err; i++) {
		err = translate_rule(c, rp, &p->rules[i], &rp->rules[i]);
		rp->n_rules++;
	}
	return err;
}

void dfl_rpolicy_release(struct dfl_compiler *c, struct rpolicy *rp)
{
	for (size_t i = 0; i < rp->n_rules; i++) {
		struct prule *pr = &rp->rules[i];

		for (size_t j = 0; j < pr->n_entries; j++) {
			struct pentry *e = &pr->entries[j];

			for (size_t k = 0; k < e->n_peers; k++)
				dfl_selcache__put(c->sels, e->peers[k]);
			free(e->peers);
			free(e->ports);
		}
		free(pr->entries);
		dfl_selcache__put(c->sels, pr->subject);
	}
	free(rp->rules);
	rp->rules = NULL;
	rp->n_rules = 0;
	for (size_t i = 0; i < rp->n_cidr_ids; i++)
		dfl_compiler_release_identity(c, rp->cidr_ids[i]);
	free(rp->cidr_ids);
	rp->cidr_ids = NULL;
	rp->n_cidr_ids = rp->cap_cidr_ids = 0;
	rp->uses_services = false;
}
