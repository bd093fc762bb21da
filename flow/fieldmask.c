/* Field masks over the Flow message (flow/fieldmask.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fieldmask.h"
#include "util/mem.h"

/* The part of flow.proto that deflector writes, for validating paths. A
 * field with children is a message; "leaf" fields (scalars, lists) end a
 * path, as fieldmaskpb allows no path through a repeated field. */
struct schema {
	const char *name;
	const struct schema *children; /* NULL-name terminated */
};

#define END { NULL, NULL }
static const struct schema s_ethernet[] = { { "source", NULL },
					    { "destination", NULL }, END };
static const struct schema s_ip[] = { { "source", NULL },
				      { "source_xlated", NULL },
				      { "destination", NULL },
				      { "ipVersion", NULL },
				      { "encrypted", NULL }, END };
static const struct schema s_ports[] = { { "source_port", NULL },
					 { "destination_port", NULL }, END };
static const struct schema s_tcp_flags[] = {
	{ "FIN", NULL }, { "SYN", NULL }, { "RST", NULL },
	{ "PSH", NULL }, { "ACK", NULL }, { "URG", NULL },
	{ "ECE", NULL }, { "CWR", NULL }, { "NS", NULL }, END
};
static const struct schema s_tcp[] = { { "source_port", NULL },
				       { "destination_port", NULL },
				       { "flags", s_tcp_flags }, END };
static const struct schema s_icmp[] = { { "type", NULL }, { "code", NULL },
					END };
static const struct schema s_l4[] = { { "TCP", s_tcp },	      { "UDP", s_ports },
				      { "ICMPv4", s_icmp },   { "ICMPv6", s_icmp },
				      { "SCTP", s_ports }, END };
static const struct schema s_endpoint[] = {
	{ "ID", NULL },	      { "identity", NULL }, { "cluster_name", NULL },
	{ "namespace", NULL }, { "labels", NULL },   { "pod_name", NULL },
	{ "workloads", NULL }, END
};
static const struct schema s_dns[] = {
	{ "query", NULL },  { "ips", NULL },
	{ "ttl", NULL },    { "cnames", NULL },
	{ "observation_source", NULL },
	{ "rcode", NULL },  { "qtypes", NULL },
	{ "rrtypes", NULL }, END
};
static const struct schema s_http[] = { { "code", NULL },     { "method", NULL },
					{ "url", NULL },      { "protocol", NULL },
					{ "headers", NULL }, END };
static const struct schema s_l7[] = { { "type", NULL }, { "latency_ns", NULL },
				      { "dns", s_dns }, { "http", s_http }, END };
static const struct schema s_event_type[] = { { "type", NULL },
					      { "sub_type", NULL }, END };
static const struct schema s_service[] = { { "name", NULL },
					   { "namespace", NULL }, END };
static const struct schema s_file[] = { { "name", NULL }, { "line", NULL },
					END };
static const struct schema s_interface[] = { { "index", NULL },
					     { "name", NULL }, END };
static const struct schema s_parent[] = { { "trace_id", NULL }, END };
static const struct schema s_trace_context[] = { { "parent", s_parent }, END };
static const struct schema s_flow[] = {
	{ "time", NULL },
	{ "uuid", NULL },
	{ "verdict", NULL },
	{ "drop_reason", NULL },
	{ "auth_type", NULL },
	{ "ethernet", s_ethernet },
	{ "IP", s_ip },
	{ "l4", s_l4 },
	{ "source", s_endpoint },
	{ "destination", s_endpoint },
	{ "Type", NULL },
	{ "node_name", NULL },
	{ "source_names", NULL },
	{ "destination_names", NULL },
	{ "l7", s_l7 },
	{ "reply", NULL },
	{ "event_type", s_event_type },
	{ "source_service", s_service },
	{ "destination_service", s_service },
	{ "traffic_direction", NULL },
	{ "policy_match_type", NULL },
	{ "trace_observation_point", NULL },
	{ "trace_reason", NULL },
	{ "file", s_file },
	{ "drop_reason_desc", NULL },
	{ "is_reply", NULL },
	{ "interface", s_interface },
	{ "proxy_port", NULL },
	{ "trace_context", s_trace_context },
	{ "Summary", NULL },
	{ "egress_allowed_by", NULL },
	{ "ingress_allowed_by", NULL },
	{ "egress_denied_by", NULL },
	{ "ingress_denied_by", NULL },
	END
};

static const struct schema *schema_find(const struct schema *s,
					const char *name, size_t len)
{
	for (; s && s->name; s++)
		if (strlen(s->name) == len && !strncmp(s->name, name, len))
			return s;
	return NULL;
}

static struct dfl_fieldmask *child_find(struct dfl_fieldmask *m,
					const char *name, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (strlen(m->children[i].name) == len &&
		    !strncmp(m->children[i].name, name, len))
			return &m->children[i];
	return NULL;
}

static void node_release(struct dfl_fieldmask *m)
{
	for (size_t i = 0; i < m->n; i++)
		node_release(&m->children[i]);
	free(m->children);
	free(m->name);
}

void dfl_fieldmask__free(struct dfl_fieldmask *m)
{
	if (!m)
		return;
	node_release(m);
	free(m);
}

/* Adds one path. A path that selects a whole subtree ("source") wins over
 * longer ones below it ("source.namespace"), in whichever order they come. */
static int add_path(struct dfl_fieldmask *root, const char *path, char *err,
		    size_t errlen)
{
	const struct schema *level = s_flow, *field = NULL;
	struct dfl_fieldmask *node = root;
	const char *p = path;
	bool created = false;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		struct dfl_fieldmask *child;

		field = schema_find(level, p, len);
		if (!field) {
			snprintf(err, errlen,
				 "field mask path '%s': no field '%.*s' in %s",
				 path, (int)len, p,
				 level == s_flow ? "Flow" : "this message");
			return -EINVAL;
		}
		if (!created && node != root && node->n == 0)
			return 0; /* an ancestor already selects everything */
		child = child_find(node, p, len);
		if (!child) {
			child = DFL_PUSH(node->children, node->n, node->cap);
			if (!child)
				return -ENOMEM;
			child->name = strndup(p, len);
			if (!child->name)
				return -ENOMEM;
			created = true;
		}
		node = child;
		if (!dot)
			break;
		if (!field->children) {
			snprintf(err, errlen,
				 "field mask path '%s': '%s' has no subfields",
				 path, field->name);
			return -EINVAL;
		}
		level = field->children;
		p = dot + 1;
	}
	/* the full path selects this node entirely */
	for (size_t i = 0; i < node->n; i++)
		node_release(&node->children[i]);
	free(node->children);
	node->children = NULL;
	node->n = node->cap = 0;
	return 0;
}

struct dfl_fieldmask *dfl_fieldmask__new(const char *const *paths, size_t n,
					 char *err, size_t errlen)
{
	struct dfl_fieldmask *m;
	int ret;

	if (!n) {
		errno = 0;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		ret = add_path(m, paths[i], err, errlen);
		if (ret) {
			dfl_fieldmask__free(m);
			errno = -ret;
			return NULL;
		}
	}
	return m;
}

bool dfl_fieldmask__select(const struct dfl_fieldmask *m, const char *name,
			   const struct dfl_fieldmask **sub)
{
	*sub = NULL;
	if (!m)
		return true;
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->children[i].name, name)) {
			*sub = m->children[i].n ? &m->children[i] : NULL;
			return true;
		}
	}
	return false;
}
