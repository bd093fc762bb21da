/* toPorts (PortRule / PortDenyRule), L7 rules, TLS, listeners and ICMP
 * rules, with PortRule.sanitize's checks in Cilium's order
 * (cilium-policy.md §1.4-1.5, §7 items 20-28). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crd/decoders.h"
#include "crd/names.h"

#define MAX_PORTS	40
#define MAX_ICMP_FIELDS 40

static const struct {
	const char *name;
	uint8_t proto;
	bool extended;
} protos[] = {
    {"ANY", DFL_PROTO_ANY, false},  {"TCP", DFL_PROTO_TCP, false},
    {"UDP", DFL_PROTO_UDP, false},  {"SCTP", DFL_PROTO_SCTP, false},
    {"VRRP", DFL_PROTO_VRRP, true}, {"IGMP", DFL_PROTO_IGMP, true},
    {"GRE", DFL_PROTO_GRE, true},   {"IPIP", DFL_PROTO_IPIP, true},
    {"IPV6", DFL_PROTO_IPV6, true}, {"ESP", DFL_PROTO_ESP, true},
    {"AH", DFL_PROTO_AH, true},
};

bool dfl_proto__parse(const char *s, uint8_t *out, bool *extended)
{
	if (!*s) {
		*out = DFL_PROTO_ANY;
		*extended = false;
		return true;
	}
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(s, protos[i].name)) {
			*out = protos[i].proto;
			*extended = protos[i].extended;
			return true;
		}
	return false;
}

static const char *proto_name(uint8_t p)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	return "?";
}

/* strconv.ParseUint(s, 0, 16) for what is not an IANA service name: decimal,
 * leading-0 octal, underscores between digits. Returns false on syntax. */
static bool parse_port_number(const char *s, unsigned long *out)
{
	unsigned base = 10;
	unsigned long v = 0;
	bool digit = false;

	if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
		digit = true; /* "0_1" is octal 1 for Go */
	}
	for (; *s; s++) {
		if (*s == '_') {
			if (!digit || !s[1] || s[1] == '_')
				return false;
			continue;
		}
		if (*s < '0' || *s >= '0' + (int)base)
			return false;
		v = v * base + (unsigned long)(*s - '0');
		if (v > 1000000)
			v = 1000000; /* saturate: only the range matters */
		digit = true;
	}
	*out = v;
	return true;
}

static const char *const port_fields[] = {"port", "endPort", "protocol", NULL};

/* One PortProtocol; *zero tells whether the port is 0 (all ports). */
static int port_protocol(struct dfl_dc *dc, const json_t *v, bool dns_rules,
			 struct dfl_port_protocol *out, bool *zero)
{
	char *port = NULL, *proto = NULL;
	long long end_port = 0;
	bool extended = false;
	int ret = -1;

	*zero = false;
	out->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, port_fields);
	if (dc_str(dc, v, "port", &port) < 0 ||
	    dc_str(dc, v, "protocol", &proto) < 0 ||
	    dc_int(dc, v, "endPort", 0, 65535, &end_port) < 0)
		goto out;
	if (proto && !dfl_proto__parse(proto, &out->proto, &extended)) {
		dc_report_field(
		    dc, DFL_SEV_ERROR, dc_get(v, "protocol"), "protocol",
		    "invalid-protocol",
		    "invalid protocol \"%s\", must be { tcp | udp | sctp | "
		    "vrrp | igmp | gre | ipip | ipv6 | esp | ah | any }%s",
		    proto,
		    !strcasecmp(proto, "ICMP") || !strcasecmp(proto, "ICMPv6")
			? " (ICMP is written with icmps, not toPorts)"
			: "");
		goto out;
	}
	if (proto && strcmp(proto, proto_name(out->proto)))
		dc_report_field(
		    dc, DFL_SEV_WARNING, dc_get(v, "protocol"), "protocol",
		    "protocol-case",
		    "protocol \"%s\" is taken as %s, but the CRD schema only "
		    "accepts upper case: kubectl apply rejects it",
		    proto, proto_name(out->proto));
	if (extended)
		dc_report_field(
		    dc, DFL_SEV_WARNING, dc_get(v, "protocol"), "protocol",
		    "extended-protocol",
		    "protocol %s needs Cilium's --enable-extended-ip-protocols",
		    proto_name(out->proto));
	if (!port || !*port) {
		if (!extended) {
			dc_report_field(dc, DFL_SEV_ERROR, v, "port",
					"missing-port",
					"port must be specified");
			goto out;
		}
		*zero = true;
	} else if (dfl_is_svc_name(port)) {
		if (extended) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(v, "port"), "port",
			    "invalid-port",
			    "port must be empty or 0 for protocol %s",
			    proto_name(out->proto));
			goto out;
		}
		for (char *c = port; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		out->name = port;
		port = NULL;
		if (end_port)
			dc_report_field(dc, DFL_SEV_WARNING,
					dc_get(v, "endPort"), "endPort",
					"ignored-end-port",
					"endPort is ignored with a named port");
	} else {
		unsigned long n;

		if (!parse_port_number(port, &n) || n > 65535) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(v, "port"), "port",
			    "invalid-port", "\"%s\" is not a port (0-65535)%s",
			    port,
			    parse_port_number(port, &n) ? ""
							: " nor a port name");
			goto out;
		}
		if (extended && n) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(v, "port"), "port",
			    "invalid-port",
			    "port must be empty or 0 for protocol %s",
			    proto_name(out->proto));
			goto out;
		}
		out->port = (uint16_t)n;
		*zero = n == 0;
		if (dns_rules && end_port > (long long)n) {
			dc_report_field(dc, DFL_SEV_ERROR, dc_get(v, "endPort"),
					"endPort", "dns-port-range",
					"DNS rules do not support port ranges");
			goto out;
		}
		if (end_port && (n == 0 || end_port < (long long)n))
			dc_report_field(dc, DFL_SEV_WARNING,
					dc_get(v, "endPort"), "endPort",
					"ignored-end-port",
					"endPort %lld is ignored: a range "
					"needs port > 0 and endPort >= port",
					end_port);
		else if (end_port > (long long)n)
			out->end_port = (uint16_t)end_port;
	}
	ret = 0;
out:
	free(port);
	free(proto);
	return ret;
}

static const char *const secret_fields[] = {"namespace", "name", NULL};
static const char *const tls_fields[] = {"secret", "trustedCA", "certificate",
					 "privateKey", NULL};

static int tls_context(struct dfl_dc *dc, const json_t *obj, const char *key,
		       struct dfl_tls_context **out)
{
	const json_t *v, *secret;
	size_t mark;
	int ret = dc_obj(dc, obj, key, &v);

	*out = NULL;
	if (ret <= 0)
		return ret;
	*out = dc_calloc(dc, 1, sizeof(**out));
	if (!*out)
		return -1;
	(*out)->pos = dc_pos(dc, v);
	mark = dc_enter(dc, key);
	ret = 0;
	dc_known(dc, v, tls_fields);
	if (dc_str(dc, v, "trustedCA", &(*out)->trusted_ca) < 0 ||
	    dc_str(dc, v, "certificate", &(*out)->certificate) < 0 ||
	    dc_str(dc, v, "privateKey", &(*out)->private_key) < 0 ||
	    dc_obj(dc, v, "secret", &secret) < 0) {
		ret = -1;
	} else if (!secret) {
		dc_error(dc, v, "invalid-tls", "secret is required");
		ret = -1;
	} else {
		size_t m2 = dc_enter(dc, "secret");

		dc_known(dc, secret, secret_fields);
		if (dc_str(dc, secret, "namespace", &(*out)->secret_namespace) <
			0 ||
		    dc_str(dc, secret, "name", &(*out)->secret_name) < 0)
			ret = -1;
		else if (!(*out)->secret_name || !*(*out)->secret_name) {
			dc_error(dc, secret, "invalid-tls",
				 "secret name is required");
			ret = -1;
		}
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

static const char *const listener_fields[] = {"envoyConfig", "name", "priority",
					      NULL};
static const char *const envoy_fields[] = {"kind", "name", NULL};

static int listener(struct dfl_dc *dc, const json_t *obj,
		    struct dfl_listener **out)
{
	const json_t *v, *ec;
	long long prio = 0;
	size_t mark;
	int ret = dc_obj(dc, obj, "listener", &v);

	*out = NULL;
	if (ret <= 0)
		return ret;
	*out = dc_calloc(dc, 1, sizeof(**out));
	if (!*out)
		return -1;
	(*out)->pos = dc_pos(dc, v);
	mark = dc_enter(dc, "listener");
	ret = 0;
	dc_known(dc, v, listener_fields);
	if (dc_str(dc, v, "name", &(*out)->name) < 0 ||
	    dc_int(dc, v, "priority", 0, 100, &prio) < 0 ||
	    dc_obj(dc, v, "envoyConfig", &ec) < 0) {
		ret = -1;
		goto out;
	}
	(*out)->priority = (int)prio;
	if (!(*out)->name || !*(*out)->name) {
		dc_error(dc, v, "invalid-listener",
			 "listener name is required");
		ret = -1;
	}
	if (!ec) {
		dc_error(dc, v, "invalid-listener", "envoyConfig is required");
		ret = -1;
		goto out;
	}
	{
		size_t m2 = dc_enter(dc, "envoyConfig");

		dc_known(dc, ec, envoy_fields);
		if (dc_str(dc, ec, "kind", &(*out)->envoy_kind) < 0 ||
		    dc_str(dc, ec, "name", &(*out)->envoy_name) < 0) {
			ret = -1;
		} else if (!(*out)->envoy_name || !*(*out)->envoy_name) {
			dc_error(dc, ec, "invalid-listener",
				 "envoyConfig name is required");
			ret = -1;
		} else if (!(*out)->envoy_kind ||
			   (strcmp((*out)->envoy_kind, "CiliumEnvoyConfig") &&
			    strcmp((*out)->envoy_kind,
				   "CiliumClusterwideEnvoyConfig"))) {
			dc_error(dc, ec, "invalid-listener",
				 "envoyConfig kind must be CiliumEnvoyConfig "
				 "or CiliumClusterwideEnvoyConfig");
			ret = -1;
		} else if (dc->kind == DFL_KIND_CCNP &&
			   !strcmp((*out)->envoy_kind, "CiliumEnvoyConfig")) {
			dc_error(dc, ec, "invalid-listener",
				 "Listener \"%s\" in CCNP can not use Kind "
				 "CiliumEnvoyConfig",
				 (*out)->name ? (*out)->name : "");
			ret = -1;
		}
		dc_leave(dc, m2);
	}
out:
	dc_leave(dc, mark);
	return ret;
}

static const char *const header_match_fields[] = {"name", "value", "secret",
						  "mismatch", NULL};

static int header_match(struct dfl_dc *dc, const json_t *v,
			struct dfl_header_match *out)
{
	static const char *const actions[] = {"", "LOG", "ADD", "DELETE",
					      "REPLACE"};
	const json_t *secret;
	char *mismatch = NULL;
	int ret = 0;

	out->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, header_match_fields);
	if (dc_str(dc, v, "name", &out->name) < 0 ||
	    dc_str(dc, v, "value", &out->value) < 0 ||
	    dc_obj(dc, v, "secret", &secret) < 0 ||
	    dc_str(dc, v, "mismatch", &mismatch) < 0)
		return -1; /* mismatch, read last, is NULL on every way here */
	if (!out->name || !*out->name) {
		dc_error(dc, v, "invalid-header-match", "Header name missing");
		ret = -1;
	}
	if (mismatch) {
		size_t i;

		for (i = 0; i < 5; i++)
			if (!strcmp(mismatch, actions[i]))
				break;
		if (i == 5) {
			dc_report_field(dc, DFL_SEV_ERROR,
					dc_get(v, "mismatch"), "mismatch",
					"invalid-header-match",
					"Invalid header action: %s (one of "
					"LOG, ADD, DELETE, REPLACE, or empty)",
					mismatch);
			ret = -1;
		} else {
			out->mismatch = (enum dfl_header_mismatch)i;
		}
		free(mismatch);
	}
	if (secret) {
		size_t mark = dc_enter(dc, "secret");

		dc_known(dc, secret, secret_fields);
		if (dc_str(dc, secret, "namespace", &out->secret_namespace) <
			0 ||
		    dc_str(dc, secret, "name", &out->secret_name) < 0) {
			ret = -1;
		} else if (!out->secret_name || !*out->secret_name) {
			dc_error(dc, secret, "invalid-header-match",
				 "Secret name missing");
			ret = -1;
		}
		dc_leave(dc, mark);
		if (out->value) {
			dc_report_field(
			    dc, DFL_SEV_WARNING, dc_get(v, "value"), "value",
			    "ignored-field",
			    "value is ignored: the secret provides it");
			free(out->value);
			out->value = NULL;
		}
	}
	return ret;
}

static const char *const http_fields[] = {"path",    "method",	      "host",
					  "headers", "headerMatches", NULL};

static int http_regex(struct dfl_dc *dc, const json_t *rule, const char *key,
		      const char *re)
{
	char buf[256];
	const char *why =
	    re ? dfl_check_http_regex(re, buf, sizeof(buf)) : NULL;

	if (!why)
		return 0;
	dc_report_field(dc, DFL_SEV_ERROR, dc_get(rule, key), key,
			"invalid-http-regex",
			"error parsing regexp \"%.100s\": %s (HTTP fields are "
			"full-match regular expressions, not globs)",
			re, why);
	return -1;
}

static int http_rule(struct dfl_dc *dc, const json_t *v,
		     struct dfl_http_rule *out)
{
	const json_t *hm;
	int ret = 0;

	out->pos = dc_pos(dc, v);
	if (!v)
		return 0; /* null: a rule without constraints */
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, http_fields);
	if (dc_str(dc, v, "path", &out->path) < 0 ||
	    dc_str(dc, v, "method", &out->method) < 0 ||
	    dc_str(dc, v, "host", &out->host) < 0 ||
	    dc_strs(dc, v, "headers", &out->headers, &out->n_headers,
		    &out->header_pos) < 0 ||
	    dc_arr(dc, v, "headerMatches", &hm) < 0)
		return -1;
	ret |= http_regex(dc, v, "path", out->path);
	ret |= http_regex(dc, v, "method", out->method);
	/* Cilium leaves host unchecked, but Envoy refuses a bad regex. */
	ret |= http_regex(dc, v, "host", out->host);
	if (hm) {
		size_t mark = dc_enter(dc, "headerMatches");

		out->header_matches = dc_calloc(dc, json_array_size(hm),
						sizeof(*out->header_matches));
		if (!out->header_matches)
			ret = -1;
		else
			out->n_header_matches = json_array_size(hm);
		for (size_t i = 0; i < out->n_header_matches; i++) {
			size_t m2 = dc_enter_index(dc, i);

			ret |= header_match(dc, json_array_get(hm, i),
					    &out->header_matches[i]);
			dc_leave(dc, m2);
		}
		dc_leave(dc, mark);
	}
	return ret ? -1 : 0;
}

static int l7_rules(struct dfl_dc *dc, const json_t *pr,
		    struct dfl_l7_rules *out)
{
	const json_t *v, *http;
	size_t mark;
	int ret = dc_obj(dc, pr, "rules", &v);

	if (ret <= 0)
		return ret;
	out->present = true;
	out->pos = dc_pos(dc, v);
	mark = dc_enter(dc, "rules");
	ret = 0;
	/* Cilium 1.20 removed the Kafka and generic L7 parsers. */
	dc_reject(
	    dc, v, "kafka", "unsupported-l7",
	    "Kafka rules were removed in Cilium 1.20 and are not supported");
	dc_reject(dc, v, "l7proto", "unsupported-l7",
		  "generic L7 rules (l7proto) were removed in Cilium 1.20 and "
		  "are not supported");
	dc_reject(dc, v, "l7", "unsupported-l7",
		  "generic L7 rules (l7) were removed in Cilium 1.20 and are "
		  "not supported");
	{
		static const char *const all[] = {"http",    "dns", "kafka",
						  "l7proto", "l7",  NULL};

		dc_known(dc, v, all);
	}
	if (dc_arr(dc, v, "http", &http) < 0)
		ret = -1;
	if (http) {
		size_t m2 = dc_enter(dc, "http");

		out->http_present = true;
		out->http =
		    dc_calloc(dc, json_array_size(http), sizeof(*out->http));
		if (!out->http)
			ret = -1;
		else
			out->n_http = json_array_size(http);
		for (size_t i = 0; i < out->n_http; i++) {
			size_t m3 = dc_enter_index(dc, i);
			const json_t *e = json_array_get(http, i);

			if (http_rule(dc, json_is_null(e) ? NULL : e,
				      &out->http[i]))
				ret = -1;
			if (json_is_null(e))
				out->http[i].pos = dc_pos(dc, http);
			dc_leave(dc, m3);
		}
		dc_leave(dc, m2);
	}
	if (dfl_decode_fqdns(dc, v, "dns", &out->dns, &out->n_dns) < 0)
		ret = -1;
	out->dns_present = dc_get(v, "dns") != NULL;
	dc_leave(dc, mark);
	return ret;
}

static bool server_name_ok(const char *s)
{
	/* ^([-a-zA-Z0-9_*]+[.]?)+$ and at most 255 characters */
	bool in_label = false;

	if (!*s || strlen(s) > 255)
		return false;
	for (; *s; s++) {
		char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '*') {
			in_label = true;
		} else if (c == '.' && in_label) {
			in_label = false;
		} else {
			return false;
		}
	}
	return true;
}

static const char *const port_rule_fields[] = {
    "ports",	   "terminatingTLS", "originatingTLS",
    "serverNames", "listener",	     "rules",
    NULL};
static const char *const port_deny_rule_fields[] = {"ports", NULL};

static int port_rule(struct dfl_dc *dc, const json_t *v, enum dfl_direction dir,
		     bool deny, struct dfl_port_rule *out)
{
	bool ingress = dir == DFL_DIR_INGRESS, zero_port = false, has_dns;
	bool l7_nonempty;
	const json_t *ports;
	int ret = 0;

	out->pos = dc_pos(dc, v);
	if (!v)
		return 0;
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, deny ? port_deny_rule_fields : port_rule_fields);
	if (dc_arr(dc, v, "ports", &ports) < 0)
		return -1;
	if (!deny) {
		if (l7_rules(dc, v, &out->rules) < 0 ||
		    tls_context(dc, v, "terminatingTLS",
				&out->terminating_tls) < 0 ||
		    tls_context(dc, v, "originatingTLS",
				&out->originating_tls) < 0 ||
		    listener(dc, v, &out->listener) < 0 ||
		    dc_strs(dc, v, "serverNames", &out->server_names,
			    &out->n_server_names, NULL) < 0)
			ret = -1;
	}
	has_dns = out->rules.n_dns > 0;
	/* Cilium's L7Rules.IsEmpty: "http: []" still counts as rules. */
	l7_nonempty = out->rules.http_present || out->rules.dns_present;
	if (ingress && has_dns) {
		dc_report_field(dc, DFL_SEV_ERROR,
				dc_get(dc_get(v, "rules"), "dns"), "rules.dns",
				"dns-on-ingress",
				"DNS rules are not allowed on ingress");
		ret = -1;
	}
	if (out->n_server_names && l7_nonempty && !out->terminating_tls) {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(v, "serverNames"),
				"serverNames", "server-names-without-tls",
				"ServerNames are not allowed with L7 rules "
				"without TLS termination");
		ret = -1;
	}
	if (dc_get(v, "serverNames") && !out->n_server_names) {
		dc_report_field(dc, DFL_SEV_ERROR, dc_get(v, "serverNames"),
				"serverNames", "invalid-server-name",
				"serverNames must list at least one name");
		ret = -1;
	}
	for (size_t i = 0; i < out->n_server_names; i++) {
		const json_t *sn = json_array_get(dc_get(v, "serverNames"), i);
		size_t mark = dc_enter(dc, "serverNames");

		dc_enter_index(dc, i);
		if (!*out->server_names[i]) {
			dc_error(dc, sn, "empty-server-name",
				 "empty server name is not allowed");
			ret = -1;
		} else if (!server_name_ok(out->server_names[i])) {
			dc_error(dc, sn, "invalid-server-name",
				 "\"%s\" is not a server name (DNS characters, "
				 "'*' wildcards, at most 255)",
				 out->server_names[i]);
			ret = -1;
		}
		dc_leave(dc, mark);
	}
	if (ports && json_array_size(ports) > MAX_PORTS) {
		dc_report_field(dc, DFL_SEV_ERROR, ports, "ports",
				"too-many-ports",
				"too many ports, the max is %d", MAX_PORTS);
		ret = -1;
	} else if (ports) {
		size_t mark = dc_enter(dc, "ports");

		out->ports =
		    dc_calloc(dc, json_array_size(ports), sizeof(*out->ports));
		for (size_t i = 0; out->ports && i < json_array_size(ports);
		     i++) {
			struct dfl_port_protocol *pp =
			    &out->ports[out->n_ports];
			size_t m2 = dc_enter_index(dc, i);
			bool zero;

			if (port_protocol(dc, json_array_get(ports, i), has_dns,
					  pp, &zero)) {
				free(pp->name);
				memset(pp, 0, sizeof(*pp));
				ret = -1;
			} else {
				zero_port |= zero;
				out->n_ports++;
				if (l7_nonempty && !has_dns &&
				    pp->proto != DFL_PROTO_TCP) {
					dc_error(
					    dc, json_array_get(ports, i),
					    "l7-requires-tcp",
					    "L7 rules can only apply to TCP "
					    "(not %s) except for DNS rules",
					    proto_name(pp->proto));
					ret = -1;
				}
			}
			dc_leave(dc, m2);
		}
		dc_leave(dc, mark);
	}
	if (out->listener) {
		if (ingress) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(v, "listener"),
			    "listener", "listener-on-ingress",
			    "Listener is not allowed on ingress (%s)",
			    out->listener->name ? out->listener->name : "");
			ret = -1;
		}
		if (l7_nonempty) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, dc_get(v, "listener"),
			    "listener", "listener-with-l7",
			    "Listener is not allowed with L7 rules (%s)",
			    out->listener->name ? out->listener->name : "");
			ret = -1;
		}
	}
	if (l7_nonempty) {
		const json_t *rules = dc_get(v, "rules");

		if (zero_port) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, rules, "rules",
			    "l7-on-port-zero",
			    "L7 rules can not be used when a port is 0");
			ret = -1;
		}
		if (out->rules.dns_present && !json_array_size(ports)) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, rules, "rules.dns",
			    "dns-without-ports",
			    "port 53 must be specified for DNS rules");
			ret = -1;
		}
		if (out->rules.http_present && out->rules.dns_present) {
			dc_report_field(dc, DFL_SEV_ERROR, rules, "rules",
					"multiple-l7-types",
					"multiple L7 protocol rule types "
					"specified in single rule");
			ret = -1;
		}
		if (dc->host_policy && ingress) {
			dc_report_field(
			    dc, DFL_SEV_ERROR, rules, "rules", "l7-on-host",
			    "L7 policy is not supported on host ingress yet");
			ret = -1;
		} else if (dc->host_policy && out->rules.http_present) {
			dc_report_field(dc, DFL_SEV_ERROR, rules, "rules",
					"l7-on-host",
					"L7 protocol HTTP is not supported on "
					"host egress yet");
			ret = -1;
		}
	}
	return ret;
}

int dfl_decode_port_rules(struct dfl_dc *dc, const json_t *obj, const char *key,
			  enum dfl_direction dir, bool deny,
			  struct dfl_port_rule_list *out)
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
		const json_t *v = json_array_get(arr, i);
		size_t m2 = dc_enter_index(dc, i);

		if (port_rule(dc, json_is_null(v) ? NULL : v, dir, deny,
			      &out->items[i]))
			ret = -1;
		if (json_is_null(v))
			out->items[i].pos = dc_pos(dc, arr);
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}

struct icmp_name {
	const char *name;
	uint8_t type;
};

static const struct icmp_name icmp4[] = {
    {"EchoReply", 0},
    {"DestinationUnreachable", 3},
    {"Redirect", 5},
    {"Echo", 8},
    {"EchoRequest", 8},
    {"RouterAdvertisement", 9},
    {"RouterSelection", 10},
    {"TimeExceeded", 11},
    {"ParameterProblem", 12},
    {"Timestamp", 13},
    {"TimestampReply", 14},
    {"Photuris", 40},
    {"ExtendedEchoRequest", 42},
    {"ExtendedEchoReply", 43},
    {NULL, 0},
};

static const struct icmp_name icmp6[] = {
    {"DestinationUnreachable", 1},
    {"PacketTooBig", 2},
    {"TimeExceeded", 3},
    {"ParameterProblem", 4},
    {"EchoRequest", 128},
    {"EchoReply", 129},
    {"MulticastListenerQuery", 130},
    {"MulticastListenerReport", 131},
    {"MulticastListenerDone", 132},
    {"RouterSolicitation", 133},
    {"RouterAdvertisement", 134},
    {"NeighborSolicitation", 135},
    {"NeighborAdvertisement", 136},
    {"RedirectMessage", 137},
    {"RouterRenumbering", 138},
    {"ICMPNodeInformationQuery", 139},
    {"ICMPNodeInformationResponse", 140},
    {"InverseNeighborDiscoverySolicitation", 141},
    {"InverseNeighborDiscoveryAdvertisement", 142},
    {"HomeAgentAddressDiscoveryRequest", 144},
    {"HomeAgentAddressDiscoveryReply", 145},
    {"MobilePrefixSolicitation", 146},
    {"MobilePrefixAdvertisement", 147},
    {"DuplicateAddressRequestCodeSuffix", 157},
    {"DuplicateAddressConfirmationCodeSuffix", 158},
    {"ExtendedEchoRequest", 160},
    {"ExtendedEchoReply", 161},
    {NULL, 0},
};

static const char *const icmp_field_fields[] = {"family", "type", NULL};

static int icmp_field(struct dfl_dc *dc, const json_t *v,
		      struct dfl_icmp_field *out)
{
	const json_t *type = dc_get(v, "type");
	char *family = NULL;
	int ret = -1;

	out->pos = dc_pos(dc, v);
	if (!dc_expect(dc, v, JSON_OBJECT, "a mapping"))
		return -1;
	dc_known(dc, v, icmp_field_fields);
	if (dc_str(dc, v, "family", &family) < 0)
		return -1;
	out->family = 4;
	if (family && *family && strcmp(family, "IPv4")) {
		if (strcmp(family, "IPv6")) {
			dc_report_field(dc, DFL_SEV_ERROR, dc_get(v, "family"),
					"family", "invalid-icmp",
					"wrong family: %s (IPv4 or IPv6)",
					family);
			goto out;
		}
		out->family = 6;
	}
	if (!type) {
		dc_report_field(dc, DFL_SEV_ERROR, v, "type", "invalid-icmp",
				"type is required");
		goto out;
	}
	if (json_is_string(type)) {
		const char *s = json_string_value(type);
		const struct icmp_name *t = out->family == 6 ? icmp6 : icmp4;
		char *end;
		long n = strtol(s, &end, 10);

		/* intstr.IntValue: numeric strings count as numbers. */
		if (*s && !*end && n >= 0 && n <= 255) {
			out->type = (uint8_t)n;
			ret = 0;
			goto out;
		}
		for (; t->name; t++)
			if (!strcmp(t->name, s))
				break;
		if (!t->name) {
			dc_report_field(dc, DFL_SEV_ERROR, type, "type",
					"invalid-icmp",
					"ICMP type %s not found in %s", s,
					out->family == 6 ? "IPv6" : "IPv4");
			goto out;
		}
		out->type = t->type;
	} else {
		long long n = 0;

		if (dc_int(dc, v, "type", 0, 255, &n) < 0)
			goto out;
		out->type = (uint8_t)n;
	}
	ret = 0;
out:
	free(family);
	return ret;
}

static const char *const icmp_rule_fields[] = {"fields", NULL};

int dfl_decode_icmps(struct dfl_dc *dc, const json_t *obj, const char *key,
		     struct dfl_icmp_rule_list *out)
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
		const json_t *v = json_array_get(arr, i), *fields;
		struct dfl_icmp_rule *r = &out->items[i];
		size_t m2 = dc_enter_index(dc, i);

		r->pos = dc_pos(dc, v ? v : arr);
		if (json_is_null(v))
			goto next;
		if (!dc_expect(dc, v, JSON_OBJECT, "a mapping") ||
		    dc_arr(dc, v, "fields", &fields) < 0) {
			ret = -1;
			goto next;
		}
		dc_known(dc, v, icmp_rule_fields);
		if (!fields)
			goto next;
		if (json_array_size(fields) > MAX_ICMP_FIELDS) {
			dc_report_field(dc, DFL_SEV_ERROR, fields, "fields",
					"too-many-icmp-fields",
					"too many types, the max is %d",
					MAX_ICMP_FIELDS);
			ret = -1;
			goto next;
		}
		r->fields =
		    dc_calloc(dc, json_array_size(fields), sizeof(*r->fields));
		if (!r->fields) {
			ret = -1;
			goto next;
		}
		for (size_t j = 0; j < json_array_size(fields); j++) {
			size_t m3 = dc_enter(dc, "fields");

			dc_enter_index(dc, j);
			if (icmp_field(dc, json_array_get(fields, j),
				       &r->fields[r->n_fields]))
				ret = -1;
			else
				r->n_fields++;
			dc_leave(dc, m3);
		}
	next:
		dc_leave(dc, m2);
	}
	dc_leave(dc, mark);
	return ret;
}
