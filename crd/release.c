/* Destructors of decoded objects. All accept NULL and half-built objects
 * (a decoder that failed midway leaves zeroed fields behind). */
#include <stdlib.h>
#include <string.h>

#include "crd/decoders.h"

void dfl_selector__release(struct dfl_selector *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_reqs; i++) {
		free(s->reqs[i].key);
		dfl_strv__free(s->reqs[i].values, s->reqs[i].n_values);
	}
	free(s->reqs);
	memset(s, 0, sizeof(*s));
}

static void selector_free(struct dfl_selector *s)
{
	dfl_selector__release(s);
	free(s);
}

void dfl_selector_list__release(struct dfl_selector_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		dfl_selector__release(&l->items[i]);
	if (l)
		free(l->items);
}

void dfl_cidr_rule__release(struct dfl_cidr_rule *r)
{
	free(r->group_ref);
	selector_free(r->group_selector);
	free(r->except);
}

void dfl_fqdn_selectors__free(struct dfl_fqdn_selector *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].match_name);
		free(f[i].match_pattern);
	}
	free(f);
}

static void tls_free(struct dfl_tls_context *t)
{
	if (!t)
		return;
	free(t->secret_namespace);
	free(t->secret_name);
	free(t->trusted_ca);
	free(t->certificate);
	free(t->private_key);
	free(t);
}

void dfl_port_rule__release(struct dfl_port_rule *r)
{
	for (size_t i = 0; i < r->n_ports; i++)
		free(r->ports[i].name);
	free(r->ports);
	for (size_t i = 0; i < r->rules.n_http; i++) {
		struct dfl_http_rule *h = &r->rules.http[i];

		free(h->method);
		free(h->path);
		free(h->host);
		dfl_strv__free(h->headers, h->n_headers);
		free(h->header_pos);
		for (size_t j = 0; j < h->n_header_matches; j++) {
			free(h->header_matches[j].name);
			free(h->header_matches[j].value);
			free(h->header_matches[j].secret_namespace);
			free(h->header_matches[j].secret_name);
		}
		free(h->header_matches);
	}
	free(r->rules.http);
	dfl_fqdn_selectors__free(r->rules.dns, r->rules.n_dns);
	dfl_strv__free(r->server_names, r->n_server_names);
	tls_free(r->terminating_tls);
	tls_free(r->originating_tls);
	if (r->listener) {
		free(r->listener->envoy_kind);
		free(r->listener->envoy_name);
		free(r->listener->name);
		free(r->listener);
	}
}

void dfl_peer_rule__release(struct dfl_peer_rule *r)
{
	dfl_selector_list__release(&r->endpoints);
	free(r->cidr.items);
	for (size_t i = 0; i < r->cidr_set.n; i++)
		dfl_cidr_rule__release(&r->cidr_set.items[i]);
	free(r->cidr_set.items);
	free(r->entities.items);
	free(r->entities.item_pos);
	dfl_selector_list__release(&r->nodes);
	for (size_t i = 0; i < r->n_services; i++) {
		free(r->services[i].name);
		free(r->services[i].namespace);
		selector_free(r->services[i].selector);
	}
	free(r->services);
	dfl_fqdn_selectors__free(r->fqdns, r->n_fqdns);
	for (size_t i = 0; i < r->to_ports.n; i++)
		dfl_port_rule__release(&r->to_ports.items[i]);
	free(r->to_ports.items);
	for (size_t i = 0; i < r->icmps.n; i++)
		free(r->icmps.items[i].fields);
	free(r->icmps.items);
}

static void peer_rules_free(struct dfl_peer_rule *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		dfl_peer_rule__release(&r[i]);
	free(r);
}

void dfl_rule__release(struct dfl_rule *r)
{
	free((char *)r->field);
	selector_free(r->endpoint_selector);
	selector_free(r->node_selector);
	peer_rules_free(r->ingress, r->n_ingress);
	peer_rules_free(r->ingress_deny, r->n_ingress_deny);
	peer_rules_free(r->egress, r->n_egress);
	peer_rules_free(r->egress_deny, r->n_egress_deny);
	dfl_kvs__free(&r->labels);
	free(r->description);
	free(r->log_value);
}

void dfl_meta__release(struct dfl_meta *m)
{
	free(m->name);
	free(m->namespace);
	free(m->uid);
	free(m->resource_version);
	free(m->creation_timestamp);
	dfl_kvs__free(&m->labels);
	dfl_kvs__free(&m->annotations);
}

void dfl_pod_spec__release(struct dfl_pod_spec *s)
{
	dfl_kvs__free(&s->labels);
	free(s->service_account);
	free(s->node_name);
	for (size_t i = 0; i < s->n_ports; i++)
		free(s->ports[i].name);
	free(s->ports);
	free(s->image);
	dfl_strv__free(s->command, s->n_command);
}

void dfl_policy__free(struct dfl_policy *p)
{
	if (!p)
		return;
	dfl_meta__release(&p->meta);
	for (size_t i = 0; p->rules && i < p->n_rules; i++)
		dfl_rule__release(&p->rules[i]);
	free(p->rules);
	free(p);
}

void dfl_pod__free(struct dfl_pod *p)
{
	if (!p)
		return;
	dfl_meta__release(&p->meta);
	dfl_pod_spec__release(&p->spec);
	free(p->pod_ip);
	free(p->host_ip);
	free(p->phase);
	free(p->workload_name);
	free(p->workload_kind);
	free(p);
}

void dfl_deployment__free(struct dfl_deployment *d)
{
	if (!d)
		return;
	dfl_meta__release(&d->meta);
	selector_free(d->selector);
	dfl_pod_spec__release(&d->template_spec);
	free(d);
}

void dfl_service__free(struct dfl_service *s)
{
	if (!s)
		return;
	dfl_meta__release(&s->meta);
	free(s->type);
	free(s->cluster_ip);
	dfl_kvs__free(&s->selector);
	for (size_t i = 0; i < s->n_ports; i++) {
		free(s->ports[i].name);
		free(s->ports[i].target_port_name);
	}
	free(s->ports);
	free(s);
}

void dfl_namespace__free(struct dfl_namespace *ns)
{
	if (!ns)
		return;
	dfl_meta__release(&ns->meta);
	free(ns);
}

void dfl_object__release(struct dfl_object *obj)
{
	if (!obj || !obj->meta)
		return;
	switch (obj->kind) {
	case DFL_KIND_CNP:
	case DFL_KIND_CCNP:
	case DFL_KIND_KNP:
		dfl_policy__free(obj->policy);
		break;
	case DFL_KIND_POD:
		dfl_pod__free(obj->pod);
		break;
	case DFL_KIND_DEPLOYMENT:
		dfl_deployment__free(obj->deployment);
		break;
	case DFL_KIND_SERVICE:
		dfl_service__free(obj->service);
		break;
	case DFL_KIND_NAMESPACE:
		dfl_namespace__free(obj->ns);
		break;
	case DFL_KIND__COUNT:
		break;
	}
	obj->meta = NULL;
}
