/* L3 peers of Cilium rules: CIDRs, CIDR rules, entities, services, FQDN
 * selectors (cilium-policy.md §1.6-1.8, §5.1, §7 items 19, 29-30). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crd/decoders.h"
#include "crd/names.h"

const char *dfl_cidr__parse(const char *s, struct dfl_cidr *out,
			    bool *host_bits)
{
	const char *slash = strchr(s, '/');
	char addr[64];
	size_t alen;
	unsigned long bits = 0;
	unsigned max;

	memset(out, 0, sizeof(*out));
	*host_bits = false;
	if (!slash)
		return "no '/' (a CIDR needs a prefix length, e.g. 10.0.0.0/8 "
		       "or 10.0.0.1/32)";
	alen = (size_t)(slash - s);
	if (!alen || alen >= sizeof(addr))
		return "bad address before '/'";
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (strchr(addr, '%'))
		return "IPv6 zones cannot be present in a prefix";
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (strchr(addr, ':') &&
		   inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return "bad IP address before '/' (IPv4 octets must be decimal "
		       "without leading zeros)";
	}
	/* netip.ParsePrefix: decimal digits, no sign, no leading zero. */
	if (!slash[1] || (slash[1] == '0' && slash[2]))
		return "bad bits after slash";
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return "bad bits after slash";
		bits = bits * 10 + (unsigned long)(*p - '0');
		if (bits > max)
			return "prefix length out of range";
	}
	out->prefix_len = (uint8_t)bits;
	for (unsigned i = 0; i < max / 8; i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8
				: bits > i * 8	    ? bits - i * 8
						    : 0;
		uint8_t mask = (uint8_t)(0xFF00u >> keep);

		if (out->addr[i] & (uint8_t)~mask)
			*host_bits = true;
		out->addr[i] &= mask;
	}
	return NULL;
}

bool dfl_cidr__contains(const struct dfl_cidr *outer,
			const struct dfl_cidr *inner)
{
	unsigned bits = outer->prefix_len;

	if (outer->family != inner->family || inner->prefix_len < bits)
		return false;
	for (unsigned i = 0; bits; i++) {
		unsigned take = bits > 8 ? 8 : bits;
		uint8_t mask = (uint8_t)(0xFF00u >> take);

		if ((outer->addr[i] ^ inner->addr[i]) & mask)
			return false;
		bits -= take;
	}
	return true;
}

/* One CIDR string node into <out>; reports at <v>. */
static int cidr_node(struct dfl_dc *dc, const json_t *v, struct dfl_cidr *out)
{
	char *s = NULL;
	const char *why;
	bool host_bits;
	char buf[64];

	if (dc_string(dc, v, &s) < 0)
		return -1;
	if (!s || !*s) {
		dc_error(dc, v, "invalid-cidr", "IP must be specified");
		free(s);
		return -1;
	}
	why = dfl_cidr__parse(s, out, &host_bits);
	out->pos = dc_pos(dc, v);
	if (why) {
		dc_error(dc, v, "invalid-cidr",
			 "unable to parse CIDR \"%s\": %s", s, why);
		free(s);
		return -1;
	}
	if (host_bits) {
		inet_ntop(out->family, out->addr, buf, sizeof(buf));
		dc_warn(dc, v, "cidr-host-bits",
			"\"%s\" has host bits set; it means %s/%u", s, buf,
			out->prefix_len);
	}
	free(s);
	return 0;
}

int dfl_decode_cidr_list(struct dfl_dc *dc, const json_t *obj, const char *key,
			 struct dfl_cidr_list *out)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	memset(out, 0, sizeof(*out));
	if (ret <= 0)
		return ret;
	out->present = true;
	out->pos = dc_pos(dc, arr);
	out->items = dc_calloc(dc, json_array_size(arr), sizeof(*out->items));
	if (!out->items)
		return -1;
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		size_t m2 = dc_enter_index(dc, i);

		if (cidr_node(dc, json_array_get(arr, i), &out->items[out->n]))
			ret = -1;
		else
			out->n++;
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

static const char *const cidr_rule_fields[] = {
    "cidr", "cidrGroupRef", "cidrGroupSelector", "except", NULL};
static const char *const ip_block_fields[] = {"cidr", "except", NULL};

int dfl_decode_cidr_rule(struct dfl_dc *dc, const json_t *v, bool k8s,
			 struct dfl_cidr_rule *out)
{
	static const struct dfl_sel_opts group_opts = {.default_source =
							   "cidrgroup"};
	const json_t *cidr = dc_get(v, "cidr"), *ex;
	int set = 0, ret = 0;

	out->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, k8s ? ip_block_fields : cidr_rule_fields);
	if (!k8s) {
		if (dc_str(dc, v, "cidrGroupRef", &out->group_ref) < 0 ||
		    dfl_decode_selector_ptr(dc, v, "cidrGroupSelector",
					    &group_opts,
					    &out->group_selector) < 0)
			ret = -1;
		if (out->group_ref) {
			const char *why =
			    dfl_check_dns_subdomain(out->group_ref);

			if (why) {
				dc_report_field(
				    dc, DFL_SEV_ERROR,
				    dc_get(v, "cidrGroupRef"), "cidrGroupRef",
				    "invalid-cidr-group",
				    "\"%s\" is not a CiliumCIDRGroup name: %s",
				    out->group_ref, why);
				ret = -1;
			}
		}
	}
	if (cidr && json_is_string(cidr) && json_string_length(cidr) == 0)
		cidr = NULL; /* "" is how Go sees an absent cidr */
	set = !!cidr + !!out->group_ref + !!out->group_selector;
	if (!k8s && set == 0) {
		dc_error(dc, v, "invalid-cidr-rule",
			 "one of cidr, cidrGroupRef, or cidrGroupSelector is "
			 "required");
		return -1;
	}
	if (set > 1) {
		dc_error(dc, v, "invalid-cidr-rule",
			 "more than one of cidr, cidrGroupRef, or "
			 "cidrGroupSelector may not be set");
		return -1;
	}
	if (k8s && !cidr) {
		dc_report_field(dc, DFL_SEV_ERROR, v, "cidr", "invalid-cidr",
				"ipBlock.cidr: Required value");
		return -1;
	}
	if (cidr) {
		size_t mark = dc_enter(dc, "cidr");

		if (cidr_node(dc, cidr, &out->cidr))
			ret = -1;
		else
			out->has_cidr = true;
		dc_leave(dc, mark);
	}
	if (dc_arr(dc, v, "except", &ex) < 0)
		return -1;
	if (ex && !out->has_cidr && !ret) {
		dc_report_field(
		    dc, DFL_SEV_ERROR, ex, "except", "invalid-cidr-rule",
		    "except needs cidr (it cannot apply to a CIDR group)");
		return -1;
	}
	if (ex) {
		size_t mark = dc_enter(dc, "except");

		out->except =
		    dc_calloc(dc, json_array_size(ex), sizeof(*out->except));
		for (size_t i = 0; out->except && i < json_array_size(ex);
		     i++) {
			const json_t *e = json_array_get(ex, i);
			struct dfl_cidr *c = &out->except[out->n_except];
			size_t m2 = dc_enter_index(dc, i);

			if (cidr_node(dc, e, c)) {
				ret = -1;
			} else if (out->has_cidr &&
				   (!dfl_cidr__contains(&out->cidr, c) ||
				    (k8s &&
				     c->prefix_len == out->cidr.prefix_len))) {
				char a[64], b[64];

				inet_ntop(out->cidr.family, out->cidr.addr, a,
					  sizeof(a));
				inet_ntop(c->family, c->addr, b, sizeof(b));
				dc_error(
				    dc, e, "except-outside-cidr",
				    k8s ? "except %s/%u must be strictly "
					  "within cidr %s/%u"
					: "allow CIDR prefix %s/%u does not "
					  "contain exclude CIDR prefix %s/%u",
				    k8s ? b : a,
				    k8s ? c->prefix_len : out->cidr.prefix_len,
				    k8s ? a : b,
				    k8s ? out->cidr.prefix_len : c->prefix_len);
				ret = -1;
			} else {
				out->n_except++;
			}
			dc_leave(dc, m2);
		}
		dc_leave(dc, mark);
	}
	return ret;
}

int dfl_decode_cidr_rules(struct dfl_dc *dc, const json_t *obj, const char *key,
			  struct dfl_cidr_rule_list *out)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	memset(out, 0, sizeof(*out));
	if (ret <= 0)
		return ret;
	out->present = true;
	out->pos = dc_pos(dc, arr);
	out->items = dc_calloc(dc, json_array_size(arr), sizeof(*out->items));
	if (!out->items)
		return -1;
	out->n = json_array_size(arr);
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < out->n; i++) {
		size_t m2 = dc_enter_index(dc, i);

		if (dfl_decode_cidr_rule(dc, json_array_get(arr, i), false,
					 &out->items[i]))
			ret = -1;
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

static const struct {
	const char *name;
	uint32_t bit;
	bool in_crd; /* listed in the CRD's enum */
} entities[] = {
    {"all", DFL_ENTITY_ALL, true},
    {"world", DFL_ENTITY_WORLD, true},
    {"world-ipv4", DFL_ENTITY_WORLD_IPV4, false},
    {"world-ipv6", DFL_ENTITY_WORLD_IPV6, false},
    {"cluster", DFL_ENTITY_CLUSTER, true},
    {"cluster-mesh", DFL_ENTITY_CLUSTER_MESH, true},
    {"host", DFL_ENTITY_HOST, true},
    {"init", DFL_ENTITY_INIT, true},
    {"ingress", DFL_ENTITY_INGRESS, true},
    {"unmanaged", DFL_ENTITY_UNMANAGED, true},
    {"remote-node", DFL_ENTITY_REMOTE_NODE, true},
    {"health", DFL_ENTITY_HEALTH, true},
    {"none", DFL_ENTITY_NONE, true},
    {"kube-apiserver", DFL_ENTITY_KUBE_APISERVER, true},
};

int dfl_decode_entities(struct dfl_dc *dc, const json_t *obj, const char *key,
			struct dfl_entity_list *out)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	memset(out, 0, sizeof(*out));
	if (ret <= 0)
		return ret;
	out->present = true;
	out->pos = dc_pos(dc, arr);
	out->items = dc_calloc(dc, json_array_size(arr), sizeof(*out->items));
	out->item_pos =
	    dc_calloc(dc, json_array_size(arr), sizeof(*out->item_pos));
	if (!out->items || !out->item_pos)
		return -1;
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *v = json_array_get(arr, i);
		size_t m2 = dc_enter_index(dc, i), e;
		char *name = NULL;

		if (dc_string(dc, v, &name) <= 0) {
			if (!name && json_is_null(v))
				dc_error(dc, arr, "unsupported-entity",
					 "unsupported entity: (null)");
			ret = -1;
			goto next;
		}
		for (e = 0; e < sizeof(entities) / sizeof(entities[0]); e++)
			if (!strcmp(entities[e].name, name))
				break;
		if (e == sizeof(entities) / sizeof(entities[0])) {
			dc_error(dc, v, "unsupported-entity",
				 "unsupported entity: %s (one of all, world, "
				 "cluster, cluster-mesh, host, init, ingress, "
				 "unmanaged, remote-node, health, none, "
				 "kube-apiserver)",
				 name);
			ret = -1;
			goto next;
		}
		if (!entities[e].in_crd)
			dc_warn(
			    dc, v, "entity-not-in-crd",
			    "entity \"%s\" is accepted by Cilium's agent but "
			    "not by the CRD schema: kubectl apply rejects it",
			    name);
		out->mask |= entities[e].bit;
		out->items[out->n] = entities[e].bit;
		out->item_pos[out->n] = dc_pos(dc, v);
		out->n++;
	next:
		free(name);
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

static const char *const service_fields[] = {"k8sService", "k8sServiceSelector",
					     NULL};
static const char *const svc_ref_fields[] = {"serviceName", "namespace", NULL};
static const char *const svc_sel_fields[] = {"selector", "namespace", NULL};

static int service(struct dfl_dc *dc, const json_t *v,
		   struct dfl_service_ref *out)
{
	const json_t *ref = NULL, *sel = NULL;
	int ret = 0;

	out->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, service_fields);
	if (dc_obj(dc, v, "k8sService", &ref) < 0 ||
	    dc_obj(dc, v, "k8sServiceSelector", &sel) < 0)
		return -1;
	if (!!ref == !!sel) {
		dc_error(dc, v, "invalid-service",
			 "a toServices element needs exactly one of k8sService "
			 "or k8sServiceSelector");
		return -1;
	}
	if (ref) {
		size_t mark = dc_enter(dc, "k8sService");

		dc_known(dc, ref, svc_ref_fields);
		if (dc_str(dc, ref, "serviceName", &out->name) < 0 ||
		    dc_str(dc, ref, "namespace", &out->namespace) < 0)
			ret = -1;
		else if (!out->name || !*out->name) {
			dc_error(dc, ref, "invalid-service",
				 "k8sService needs serviceName");
			ret = -1;
		}
		dc_leave(dc, mark);
	} else {
		size_t mark = dc_enter(dc, "k8sServiceSelector");

		dc_known(dc, sel, svc_sel_fields);
		if (dc_str(dc, sel, "namespace", &out->namespace) < 0 ||
		    dfl_decode_selector_ptr(dc, sel, "selector",
					    &dfl_sel_cilium,
					    &out->selector) < 0)
			ret = -1;
		else if (!out->selector) {
			dc_error(dc, sel, "invalid-service",
				 "k8sServiceSelector needs selector");
			ret = -1;
		}
		dc_leave(dc, mark);
	}
	return ret;
}

int dfl_decode_services(struct dfl_dc *dc, const json_t *obj, const char *key,
			struct dfl_peer_rule *out)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	if (ret <= 0)
		return ret;
	out->services_present = true;
	out->services =
	    dc_calloc(dc, json_array_size(arr), sizeof(*out->services));
	if (!out->services)
		return -1;
	out->n_services = json_array_size(arr);
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < out->n_services; i++) {
		size_t m2 = dc_enter_index(dc, i);

		if (service(dc, json_array_get(arr, i), &out->services[i]))
			ret = -1;
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

static bool name_char(char c, bool star)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       (star && c == '*');
}

const char *dfl_check_match_name(const char *s, char *buf, size_t len)
{
	for (const char *p = s; *p; p++)
		if (!name_char(*p, false)) {
			snprintf(
			    buf, len,
			    "Invalid characters in MatchName: \"%.300s\". Only "
			    "0-9, a-z, A-Z and ., -, _ characters are allowed",
			    s);
			return buf;
		}
	if (strlen(s) > 255) {
		snprintf(buf, len,
			 "Invalid MatchName: \"%.40s...\". Must be <= 255 "
			 "characters long.",
			 s);
		return buf;
	}
	return NULL;
}

const char *dfl_check_match_pattern(const char *s, char *buf, size_t len)
{
	if (strlen(s) > 255) {
		snprintf(buf, len,
			 "Invalid MatchPattern: \"%.40s...\". Must be <= 255 "
			 "characters long.",
			 s);
		return buf;
	}
	for (const char *p = s; *p; p++)
		if (!name_char(*p, true)) {
			snprintf(buf, len,
				 "Invalid characters in MatchPattern: \"%s\". "
				 "Only 0-9, a-z, A-Z and ., -, _ and * "
				 "characters are allowed",
				 s);
			return buf;
		}
	return NULL;
}

static const char *const fqdn_fields[] = {"matchName", "matchPattern", NULL};

static int fqdn(struct dfl_dc *dc, const json_t *v,
		struct dfl_fqdn_selector *out)
{
	char buf[512];
	const char *why;
	int ret = 0;

	out->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, fqdn_fields);
	if (dc_str(dc, v, "matchName", &out->match_name) < 0 ||
	    dc_str(dc, v, "matchPattern", &out->match_pattern) < 0)
		return -1;
	/* Go cannot tell "" from absent. */
	if (out->match_name && !*out->match_name) {
		free(out->match_name);
		out->match_name = NULL;
	}
	if (out->match_pattern && !*out->match_pattern) {
		free(out->match_pattern);
		out->match_pattern = NULL;
	}
	if (!out->match_name && !out->match_pattern) {
		dc_error(dc, v, "invalid-fqdn-selector",
			 "one of matchName or matchPattern is required");
		return -1;
	}
	/* Cilium 1.20's PortRuleDNS is an FQDNSelector too: one of the two. */
	if (out->match_name && out->match_pattern) {
		dc_error(dc, v, "invalid-fqdn-selector",
			 "only one of MatchName or MatchPattern is allowed in "
			 "an FQDNSelector");
		return -1;
	}
	if (out->match_name &&
	    (why = dfl_check_match_name(out->match_name, buf, sizeof(buf)))) {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(v, "matchName"),
				"matchName", "invalid-fqdn-selector", "%s",
				why);
		ret = -1;
	}
	if (out->match_pattern && (why = dfl_check_match_pattern(
				       out->match_pattern, buf, sizeof(buf)))) {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(v, "matchPattern"),
				"matchPattern", "invalid-fqdn-selector", "%s",
				why);
		ret = -1;
	}
	return ret;
}

int dfl_decode_fqdns(struct dfl_dc *dc, const json_t *obj, const char *key,
		     struct dfl_fqdn_selector **out, size_t *n)
{
	const json_t *arr;
	size_t mark;
	int ret = dc_arr(dc, obj, key, &arr);

	*out = NULL;
	*n = 0;
	if (ret <= 0)
		return ret;
	*out = dc_calloc(dc, json_array_size(arr), sizeof(**out));
	if (!*out)
		return -1;
	*n = json_array_size(arr);
	mark = dc_enter(dc, key);
	ret = 0;
	for (size_t i = 0; i < *n; i++) {
		size_t m2 = dc_enter_index(dc, i);

		if (fqdn(dc, json_array_get(arr, i), &(*out)[i]))
			ret = -1;
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret < 0 ? -1 : 1;
}
