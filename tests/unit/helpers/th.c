#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/helpers/th.h"

struct th {
	void **ptrs;
	size_t n, cap;
};

static void die(const char *what)
{
	fprintf(stderr, "test helper: %s\n", what);
	abort();
}

struct th *th_new(void)
{
	struct th *t = calloc(1, sizeof(*t));

	if (!t)
		die("out of memory");
	return t;
}

void th_free(struct th *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->ptrs[i]);
	free(t->ptrs);
	free(t);
}

static void *track(struct th *t, void *p)
{
	if (!p)
		die("out of memory");
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->ptrs = realloc(t->ptrs, t->cap * sizeof(*t->ptrs));
		if (!t->ptrs)
			die("out of memory");
	}
	t->ptrs[t->n++] = p;
	return p;
}

void *th_alloc(struct th *t, size_t size)
{
	return track(t, calloc(1, size ? size : 1));
}

char *th_strdup(struct th *t, const char *s)
{
	return s ? track(t, strdup(s)) : NULL;
}

/* Appends one zeroed element to an arena-owned array. Arrays get room for
 * TH_MAX elements at once and never move, so pointers handed out earlier
 * (a rule, then its second ingress element) stay valid. */
#define TH_MAX 64

static void *grow(struct th *t, void *arr, size_t *n, size_t elem)
{
	if (*n >= TH_MAX)
		die("too many elements for a test");
	if (!arr)
		arr = th_alloc(t, TH_MAX * elem);
	(*n)++;
	return arr;
}

#define GROW(t, arr, n) \
	((arr) = grow((t), (arr), &(n), sizeof(*(arr))), &(arr)[(n) - 1])

static char *with_source(struct th *t, const char *key)
{
	char buf[512];

	if (strchr(key, ':'))
		return th_strdup(t, key);
	snprintf(buf, sizeof(buf), "any:%s", key);
	return th_strdup(t, buf);
}

struct dfl_selector *th_sel(struct th *t, const char *text)
{
	struct dfl_selector *s = th_alloc(t, sizeof(*s));
	char *copy = th_strdup(t, text), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct dfl_sel_req *r = GROW(t, s->reqs, s->n_reqs);
		char *eq = strchr(tok, '=');

		if (tok[0] == '!') {
			r->key = with_source(t, tok + 1);
			r->op = DFL_SEL_DOES_NOT_EXIST;
		} else if (eq) {
			bool neg = eq > tok && eq[-1] == '!';

			*(neg ? eq - 1 : eq) = '\0';
			r->key = with_source(t, tok);
			r->op = neg ? DFL_SEL_NOT_IN : DFL_SEL_IN;
			r->values = th_alloc(t, sizeof(char *));
			r->values[0] = th_strdup(t, eq + 1);
			r->n_values = 1;
		} else {
			r->key = with_source(t, tok);
			r->op = DFL_SEL_EXISTS;
		}
	}
	return s;
}

static struct dfl_policy *policy(struct th *t, enum dfl_kind kind,
				 const char *ns, const char *name)
{
	struct dfl_policy *p = th_alloc(t, sizeof(*p));

	p->meta.kind = kind;
	p->meta.namespace = th_strdup(t, ns);
	p->meta.name = th_strdup(t, name);
	p->meta.pos.file = "test.yaml";
	p->meta.pos.line = 1;
	p->meta.pos.col = 1;
	return p;
}

struct dfl_policy *th_cnp(struct th *t, const char *ns, const char *name)
{
	return policy(t, DFL_KIND_CNP, ns, name);
}

struct dfl_policy *th_ccnp(struct th *t, const char *name)
{
	return policy(t, DFL_KIND_CCNP, NULL, name);
}

struct dfl_rule *th_rule(struct th *t, struct dfl_policy *p,
			 const char *subject)
{
	struct dfl_rule *r = GROW(t, p->rules, p->n_rules);
	char field[32];

	r->index = p->n_rules - 1;
	snprintf(field, sizeof(field), r->index ? "specs[%zu]" : "spec",
		 r->index - 1);
	r->field = th_strdup(t, field);
	if (subject)
		r->endpoint_selector = th_sel(t, subject);
	else
		r->node_selector = th_sel(t, "");
	r->pos = (struct dfl_pos){ "test.yaml", (unsigned int)(10 * p->n_rules), 3 };
	return r;
}

static void fill_defaults(struct dfl_rule *r)
{
	if (!r->default_deny_ingress_explicit)
		r->default_deny_ingress = r->n_ingress || r->n_ingress_deny;
	if (!r->default_deny_egress_explicit)
		r->default_deny_egress = r->n_egress || r->n_egress_deny;
}

void th_finish(struct dfl_policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++)
		fill_defaults(&p->rules[i]);
}

static unsigned int line_no = 100;

static struct dfl_peer_rule *peer(struct th *t, struct dfl_rule *r,
				  struct dfl_peer_rule **arr, size_t *n,
				  enum dfl_direction dir, bool deny)
{
	struct dfl_peer_rule *pe = GROW(t, *arr, *n);

	pe->dir = dir;
	pe->deny = deny;
	pe->index = *n - 1;
	pe->pos = (struct dfl_pos){ "test.yaml", line_no++, 5 };
	fill_defaults(r);
	return pe;
}

struct dfl_peer_rule *th_ingress(struct th *t, struct dfl_rule *r)
{
	return peer(t, r, &r->ingress, &r->n_ingress, DFL_DIR_INGRESS, false);
}

struct dfl_peer_rule *th_egress(struct th *t, struct dfl_rule *r)
{
	return peer(t, r, &r->egress, &r->n_egress, DFL_DIR_EGRESS, false);
}

struct dfl_peer_rule *th_ingress_deny(struct th *t, struct dfl_rule *r)
{
	return peer(t, r, &r->ingress_deny, &r->n_ingress_deny,
		    DFL_DIR_INGRESS, true);
}

struct dfl_peer_rule *th_egress_deny(struct th *t, struct dfl_rule *r)
{
	return peer(t, r, &r->egress_deny, &r->n_egress_deny, DFL_DIR_EGRESS,
		    true);
}

void th_default_deny(struct dfl_rule *r, int ingress, int egress)
{
	if (ingress >= 0) {
		r->default_deny_ingress = ingress;
		r->default_deny_ingress_explicit = true;
	}
	if (egress >= 0) {
		r->default_deny_egress = egress;
		r->default_deny_egress_explicit = true;
	}
	fill_defaults(r);
}

void th_endpoints(struct th *t, struct dfl_peer_rule *pe, const char *sel)
{
	pe->endpoints.present = true;
	if (sel)
		*GROW(t, pe->endpoints.items, pe->endpoints.n) = *th_sel(t, sel);
}

void th_nodes(struct th *t, struct dfl_peer_rule *pe, const char *sel)
{
	pe->nodes.present = true;
	if (sel)
		*GROW(t, pe->nodes.items, pe->nodes.n) = *th_sel(t, sel);
}

static void parse_cidr(const char *s, struct dfl_cidr *c)
{
	char buf[64];
	const char *slash = strchr(s, '/');

	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - s), s);
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = AF_INET6;
	else
		die("bad cidr");
	c->prefix_len = (uint8_t)atoi(slash + 1);
}

void th_cidr(struct th *t, struct dfl_peer_rule *pe, const char *cidr)
{
	pe->cidr.present = true;
	parse_cidr(cidr, GROW(t, pe->cidr.items, pe->cidr.n));
}

void th_cidr_set(struct th *t, struct dfl_peer_rule *pe, const char *cidr,
		 ...)
{
	struct dfl_cidr_rule *cr;
	const char *ex;
	va_list ap;

	pe->cidr_set.present = true;
	cr = GROW(t, pe->cidr_set.items, pe->cidr_set.n);
	cr->has_cidr = true;
	parse_cidr(cidr, &cr->cidr);
	va_start(ap, cidr);
	while ((ex = va_arg(ap, const char *)))
		parse_cidr(ex, GROW(t, cr->except, cr->n_except));
	va_end(ap);
}

void th_entities(struct dfl_peer_rule *pe, uint32_t mask)
{
	pe->entities.present = true;
	pe->entities.mask |= mask;
	pe->entities.n++;
}

void th_fqdn(struct th *t, struct dfl_peer_rule *pe, const char *name,
	     const char *pattern)
{
	struct dfl_fqdn_selector *f = GROW(t, pe->fqdns, pe->n_fqdns);

	pe->fqdns_present = true;
	f->match_name = th_strdup(t, name);
	f->match_pattern = th_strdup(t, pattern);
}

void th_service(struct th *t, struct dfl_peer_rule *pe, const char *ns,
		const char *name)
{
	struct dfl_service_ref *s = GROW(t, pe->services, pe->n_services);

	pe->services_present = true;
	s->namespace = th_strdup(t, ns);
	s->name = th_strdup(t, name);
}

static uint8_t proto_of(const char *s)
{
	if (!s || !strcmp(s, "ANY"))
		return DFL_PROTO_ANY;
	if (!strcmp(s, "TCP"))
		return DFL_PROTO_TCP;
	if (!strcmp(s, "UDP"))
		return DFL_PROTO_UDP;
	if (!strcmp(s, "SCTP"))
		return DFL_PROTO_SCTP;
	die("bad protocol");
	return 0;
}

struct dfl_port_rule *th_ports(struct th *t, struct dfl_peer_rule *pe, ...)
{
	struct dfl_port_rule *pr;
	const char *spec;
	va_list ap;

	pe->to_ports.present = true;
	pr = GROW(t, pe->to_ports.items, pe->to_ports.n);
	pr->pos = (struct dfl_pos){ "test.yaml", line_no++, 7 };
	va_start(ap, pe);
	while ((spec = va_arg(ap, const char *))) {
		struct dfl_port_protocol *pp = GROW(t, pr->ports, pr->n_ports);
		char buf[64], *slash, *dash;

		snprintf(buf, sizeof(buf), "%s", spec);
		slash = strchr(buf, '/');
		if (slash)
			*slash++ = '\0';
		pp->proto = proto_of(slash);
		dash = strchr(buf, '-');
		if (buf[0] >= '0' && buf[0] <= '9') {
			pp->port = (uint16_t)atoi(buf);
			if (dash)
				pp->end_port = (uint16_t)atoi(dash + 1);
		} else {
			pp->name = th_strdup(t, buf);
		}
	}
	va_end(ap);
	return pr;
}

void th_http(struct th *t, struct dfl_port_rule *pr, const char *method,
	     const char *path)
{
	struct dfl_http_rule *h;

	pr->rules.present = pr->rules.http_present = true;
	h = GROW(t, pr->rules.http, pr->rules.n_http);
	h->method = th_strdup(t, method);
	h->path = th_strdup(t, path);
	h->pos = (struct dfl_pos){ "test.yaml", line_no++, 9 };
}

void th_dns(struct th *t, struct dfl_port_rule *pr, const char *name,
	    const char *pattern)
{
	struct dfl_fqdn_selector *d;

	pr->rules.present = pr->rules.dns_present = true;
	d = GROW(t, pr->rules.dns, pr->rules.n_dns);
	d->match_name = th_strdup(t, name);
	d->match_pattern = th_strdup(t, pattern);
}

void th_icmp(struct th *t, struct dfl_peer_rule *pe, int family, int type)
{
	struct dfl_icmp_rule *ir;
	struct dfl_icmp_field *f;

	pe->icmps.present = true;
	if (!pe->icmps.n)
		(void)GROW(t, pe->icmps.items, pe->icmps.n);
	ir = &pe->icmps.items[pe->icmps.n - 1];
	f = GROW(t, ir->fields, ir->n_fields);
	f->family = (uint8_t)family;
	f->type = (uint8_t)type;
}

static void parse_kvs(struct th *t, const char *text, struct dfl_kvs *out)
{
	char *copy = th_strdup(t, text ? text : ""), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct dfl_kv *kv = GROW(t, out->items, out->n);
		char *eq = strchr(tok, '=');

		if (eq)
			*eq = '\0';
		kv->key = th_strdup(t, tok);
		kv->value = th_strdup(t, eq ? eq + 1 : "");
	}
}

struct dfl_pod *th_pod(struct th *t, const char *ns, const char *name,
		       const char *labels, const char *ip)
{
	struct dfl_pod *p = th_alloc(t, sizeof(*p));

	p->meta.kind = DFL_KIND_POD;
	p->meta.namespace = th_strdup(t, ns);
	p->meta.name = th_strdup(t, name);
	parse_kvs(t, labels, &p->spec.labels);
	p->meta.labels = p->spec.labels;
	p->spec.service_account = th_strdup(t, "default");
	p->pod_ip = th_strdup(t, ip);
	return p;
}

void th_pod_port(struct th *t, struct dfl_pod *pod, const char *name,
		 unsigned int port, unsigned int proto)
{
	struct dfl_container_port *cp =
		GROW(t, pod->spec.ports, pod->spec.n_ports);

	cp->name = th_strdup(t, name);
	cp->port = (uint16_t)port;
	cp->proto = (uint8_t)proto;
}

struct dfl_namespace *th_ns(struct th *t, const char *name, const char *labels)
{
	struct dfl_namespace *ns = th_alloc(t, sizeof(*ns));

	ns->meta.kind = DFL_KIND_NAMESPACE;
	ns->meta.name = th_strdup(t, name);
	parse_kvs(t, labels, &ns->meta.labels);
	return ns;
}

struct dfl_service *th_svc(struct th *t, const char *ns, const char *name,
			   const char *selector)
{
	struct dfl_service *s = th_alloc(t, sizeof(*s));

	s->meta.kind = DFL_KIND_SERVICE;
	s->meta.namespace = th_strdup(t, ns);
	s->meta.name = th_strdup(t, name);
	parse_kvs(t, selector, &s->selector);
	s->has_selector = s->selector.n > 0;
	return s;
}
