#include <check.h>
#include <stdio.h>

#include "policy/origin.h"
#include "tests/unit/helpers/tp.h"
#include "util/diag.h"

struct dfl_compiler *tp_compiler(void)
{
	struct dfl_compiler *c = dfl_compiler__new(NULL);

	ck_assert_ptr_nonnull(c);
	return c;
}

void tp_resolve(struct dfl_compiler *c)
{
	struct dfl_diags d = { 0 };

	ck_assert_int_eq(dfl_compiler__resolve(c, NULL, &d), 0);
	for (size_t i = 0; i < d.n; i++)
		dfl_diag__print(stderr, &d.items[i]);
	dfl_diags__release(&d);
}

uint32_t tp_identity(struct dfl_compiler *c, const char *ep)
{
	struct dfl_compiler_endpoint info;

	ck_assert_msg(!dfl_compiler__endpoint_info(c, ep, &info),
		      "no endpoint %s", ep);
	return info.identity;
}

const struct dfl_ep_policy *tp_policy(struct dfl_compiler *c, const char *ep)
{
	const struct dfl_ep_policy *p = dfl_compiler__policy(c, ep);

	ck_assert_msg(p != NULL, "endpoint %s not resolved", ep);
	return p;
}

const struct dfl_map_entry *tp_entry(const struct dfl_ep_policy *p,
				     bool egress, uint32_t id, uint8_t proto,
				     uint16_t port, uint8_t plen)
{
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct dfl_map_entry *e = &p->entries[i];

		if (e->egress == egress && e->identity == id &&
		    e->proto == proto && e->port == port &&
		    e->port_prefix_len == plen)
			return e;
	}
	return NULL;
}

int tp_verdict(const struct dfl_ep_policy *p, bool egress, uint32_t remote,
	       uint8_t proto, uint16_t port)
{
	struct dfl_policy_verdict v;

	dfl_ep_policy__lookup(p, egress, remote, proto, port, &v);
	return v.allowed ? 0 : v.drop_reason;
}

const char *tp_decider(struct dfl_compiler *c, const struct dfl_ep_policy *p,
		       bool egress, uint32_t remote, uint8_t proto,
		       uint16_t port)
{
	const struct dfl_origin *og;
	struct dfl_policy_verdict v;

	dfl_ep_policy__lookup(p, egress, remote, proto, port, &v);
	if (!v.entry)
		return "(none)";
	og = dfl_compiler__origin(c, v.entry->cookie);
	if (!og)
		return "(no origin)";
	return og->field ? og->field : og->name;
}

void tp_dump(struct dfl_compiler *c, const struct dfl_ep_policy *p)
{
	fprintf(stderr, "endpoint %s identity %u: %zu entries%s%s\n", p->name,
		p->identity, p->n_entries, p->error ? " error: " : "",
		p->error ? p->error : "");
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct dfl_map_entry *e = &p->entries[i];
		const struct dfl_origin *og = dfl_compiler__origin(c, e->cookie);
		struct dfl_strbuf sb = { 0 };

		if (og)
			dfl_origin__fmt(og, &sb);
		fprintf(stderr,
			"  %s id=%u proto=%u port=%u/%u %s proxy=%u prec=%08x auth=%u %s\n",
			e->egress ? "out" : "in", e->identity, e->proto,
			e->port, e->port_prefix_len, e->deny ? "DENY" : "allow",
			e->proxy_port, e->precedence, e->auth_type,
			dfl_strbuf__str(&sb));
		dfl_strbuf__release(&sb);
	}
}
