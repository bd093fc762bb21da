/* `deflector policy`: offline analysis of policy files (lint, trace, map).
 * Grammar and help conventions: cli/cmd.h. Reference: docs/cli-policy.md. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/commands.h"
#include "crd/objects.h"
#include "identity/labels.h"
#include "identity/prefix.h"
#include "policy/compiler.h"
#include "policy/lint.h"
#include "policy/origin.h"
#include "policy/trace.h"
#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

#ifndef DFL_VERSION
#define DFL_VERSION "0.1.0"
#endif
#define DFL_VERSION_STRING DFL_VERSION

/* Options every verb shares: inputs and the compiler's configuration. */
struct common {
	const char **inputs;
	size_t n_inputs, cap_inputs;
	struct dfl_policy_config cfg;
	struct dfl_prefix *nodes; /* --node-ip; the first is the local node */
	size_t n_nodes, cap_nodes;
	enum dfl_output out;
	bool json;
};

enum {
	OPT_CLUSTER = 1000,
	OPT_ENFORCEMENT,
	OPT_HTTP_PORT,
	OPT_DNS_PORT,
	OPT_MAP_MAX,
	OPT_NODE_IP,
	OPT_NO_ALLOW_LOCALHOST,
	OPT_FAIL_ON,
	OPT_POD_CIDR,
	OPT_EXPECT,
	OPT_HTTP_METHOD,
	OPT_HTTP_PATH,
	OPT_HTTP_HOST,
	OPT_DNS_NAME,
	OPT_DPORT,
	OPT_ALL,
};

#define COMMON_LONGOPTS                                                      \
	{ "file", required_argument, NULL, 'f' },                            \
		{ "output", required_argument, NULL, 'o' },                  \
		{ "cluster", required_argument, NULL, OPT_CLUSTER },         \
		{ "enforcement", required_argument, NULL, OPT_ENFORCEMENT }, \
		{ "http-proxy-port", required_argument, NULL, OPT_HTTP_PORT }, \
		{ "dns-proxy-port", required_argument, NULL, OPT_DNS_PORT },   \
		{ "map-max", required_argument, NULL, OPT_MAP_MAX },           \
		{ "node-ip", required_argument, NULL, OPT_NODE_IP },           \
		{ "no-allow-localhost", no_argument, NULL,                     \
		  OPT_NO_ALLOW_LOCALHOST },                                    \
		{ "help", no_argument, NULL, 'h' }

static const char common_help[] =
	"Inputs and settings:\n"
	"  -f, --file PATH          a YAML/JSON file or a directory (repeatable)\n"
	"      --cluster NAME       local cluster name (default: default)\n"
	"      --enforcement MODE   default | always | never (default: default)\n"
	"      --no-allow-localhost host->pod ingress is not implied under\n"
	"                           default deny\n"
	"      --http-proxy-port N  HTTP proxy port in map entries (15001)\n"
	"      --dns-proxy-port N   DNS proxy port in map entries (15053)\n"
	"      --map-max N          policy map size per endpoint (16384)\n"
	"      --node-ip IP         a node address (repeatable; the first is\n"
	"                           the local node, identity host)\n";

static int parse_uint(const char *cmd, const char *opt, const char *s,
		      unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || !*s || *out > max || s[0] == '-') {
		fprintf(stderr, "deflector: %s: %s '%s' is not a number in "
				"0-%lu\n",
			cmd, opt, s, max);
		return -EINVAL;
	}
	return 0;
}

/* Handles one shared option; returns 1 when <c> is not one, 0 on success,
 * -1 on a bad value (message printed). */
static int common_opt(struct common *co, const char *cmd, int c,
		      const char *arg, unsigned int outputs)
{
	unsigned long v;
	const char **slot;

	switch (c) {
	case 'f':
		slot = DFL_PUSH(co->inputs, co->n_inputs, co->cap_inputs);
		if (!slot)
			return -1;
		*slot = arg;
		return 0;
	case 'o': {
		int o = dfl_cmd_parse_output(cmd, arg, outputs);

		if (o < 0)
			return -1;
		co->out = (enum dfl_output)o;
		co->json = o == DFL_OUT_JSON;
		return 0;
	}
	case OPT_CLUSTER:
		co->cfg.cluster = arg;
		return 0;
	case OPT_ENFORCEMENT:
		if (!strcmp(arg, "default"))
			co->cfg.enforcement = DFL_ENFORCE_DEFAULT;
		else if (!strcmp(arg, "always"))
			co->cfg.enforcement = DFL_ENFORCE_ALWAYS;
		else if (!strcmp(arg, "never"))
			co->cfg.enforcement = DFL_ENFORCE_NEVER;
		else {
			fprintf(stderr, "deflector: %s: --enforcement must be "
					"default, always or never\n",
				cmd);
			return -1;
		}
		return 0;
	case OPT_NO_ALLOW_LOCALHOST:
		co->cfg.no_allow_localhost = true;
		return 0;
	case OPT_HTTP_PORT:
	case OPT_DNS_PORT:
		if (parse_uint(cmd, c == OPT_HTTP_PORT ? "--http-proxy-port" :
							 "--dns-proxy-port",
			       arg, 65535, &v) ||
		    !v) {
			if (!v)
				fprintf(stderr, "deflector: %s: a proxy port "
						"cannot be 0\n",
					cmd);
			return -1;
		}
		if (c == OPT_HTTP_PORT)
			co->cfg.http_proxy_port = (uint16_t)v;
		else
			co->cfg.dns_proxy_port = (uint16_t)v;
		return 0;
	case OPT_MAP_MAX:
		if (parse_uint(cmd, "--map-max", arg, 1u << 24, &v) || !v)
			return -1;
		co->cfg.map_max = v;
		return 0;
	case OPT_NODE_IP: {
		struct dfl_prefix *p = DFL_PUSH(co->nodes, co->n_nodes,
						co->cap_nodes);

		if (!p)
			return -1;
		if (dfl_prefix__parse(arg, p) || p->len != dfl_prefix__bits(p)) {
			fprintf(stderr, "deflector: %s: --node-ip '%s' is not "
					"an IP address\n",
				cmd, arg);
			return -1;
		}
		return 0;
	}
	default:
		return 1;
	}
}

static void common_release(struct common *co)
{
	free(co->inputs);
	free(co->nodes);
}

/* Loads every input. Diagnostics go to <diags>. Returns 0, or -EIO when an
 * input could not be read or parsed (diagnostics say which). */
static int load_inputs(const struct common *co, struct dfl_objects *objs,
		       struct dfl_diags *diags)
{
	int ret = 0;

	for (size_t i = 0; i < co->n_inputs; i++) {
		int err = dfl_objects__load_path(objs, co->inputs[i], diags,
						 NULL);

		if (err == -ENOMEM)
			return err;
		if (err)
			ret = -EIO;
	}
	return ret;
}

static void print_diags(FILE *out, struct dfl_diags *d, enum dfl_severity min)
{
	dfl_diags__sort(d);
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity >= min)
			dfl_diag__print(out, &d->items[i]);
}

/* Builds and resolves a compiler from the loaded objects. */
static struct dfl_compiler *build(const struct common *co,
				  const struct dfl_objects *objs,
				  struct dfl_diags *diags)
{
	struct dfl_compiler *c = dfl_compiler__new(&co->cfg);

	if (!c)
		return NULL;
	for (size_t i = 0; i < co->n_nodes; i++)
		if (dfl_compiler__add_node(c, &co->nodes[i], i == 0))
			goto fail;
	if (dfl_compiler__add_objects(c, objs, diags))
		goto fail;
	return c;
fail:
	dfl_compiler__free(c);
	return NULL;
}

static void print_json(json_t *o)
{
	if (!o) {
		fprintf(stderr, "deflector: out of memory\n");
		return;
	}
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
}

/* ---- trace ------------------------------------------------------------- */

static const char trace_usage[] =
	"Usage: deflector policy trace -f FILE|DIR... --from X --to Y\n"
	"                              --dport PORT[/PROTO] [OPTIONS]\n"
	"\n"
	"Decides, offline, whether traffic from X to Y is allowed: the source's\n"
	"egress and the destination's ingress are looked up the way the datapath\n"
	"does, with the deciding entry, its policy, rule and file:line, the drop\n"
	"reason (133 default deny, 181 explicit deny) and the policies that put a\n"
	"direction into default deny. For connections redirected to the proxy,\n"
	"the L7 rules that apply are listed.\n"
	"\n"
	"X and Y: a pod or deployment 'namespace/name' (or 'name' in default), a\n"
	"label set 'k8s:app=x,env=prod', an IP address or CIDR, an entity (world,\n"
	"host, remote-node, kube-apiserver, health, init, unmanaged, ingress) or,\n"
	"for --to, a DNS name (toFQDNs).\n"
	"\n"
	"Options:\n"
	"      --from X             the source\n"
	"      --to Y               the destination\n"
	"      --dport PORT[/PROTO] destination port and protocol (TCP, UDP,\n"
	"                           SCTP; ICMP/ICMPv6 take the type): 80/TCP\n"
	"      --http-method M      HTTP method of the request\n"
	"      --http-path P        HTTP path (with query) of the request\n"
	"      --http-host H        HTTP authority of the request\n"
	"      --dns-name N         DNS query name (for port 53)\n"
	"      --expect allowed|denied\n"
	"                           exit 0 when the verdict matches, 1 if not\n"
	"  -o, --output FORMAT      text (default) or json\n"
	"  -h, --help               this help\n";

static int parse_dport(const char *s, struct dfl_trace_request *req)
{
	char buf[64], *slash, *end;
	unsigned long port;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	errno = 0;
	port = strtoul(buf, &end, 10);
	if (errno || *end || !buf[0] || port > 65535)
		return -EINVAL;
	req->dport = (uint16_t)port;
	req->proto = DFL_PROTO_TCP;
	if (!slash)
		return 0;
	if (!strcasecmp(slash, "TCP"))
		req->proto = DFL_PROTO_TCP;
	else if (!strcasecmp(slash, "UDP"))
		req->proto = DFL_PROTO_UDP;
	else if (!strcasecmp(slash, "SCTP"))
		req->proto = DFL_PROTO_SCTP;
	else if (!strcasecmp(slash, "ICMP"))
		req->proto = DFL_PROTO_ICMP;
	else if (!strcasecmp(slash, "ICMPv6"))
		req->proto = DFL_PROTO_ICMPV6;
	else
		return -EINVAL;
	if ((req->proto == DFL_PROTO_ICMP || req->proto == DFL_PROTO_ICMPV6) &&
	    port > 255)
		return -EINVAL;
	return 0;
}

static int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "dport", required_argument, NULL, OPT_DPORT },
		{ "http-method", required_argument, NULL, OPT_HTTP_METHOD },
		{ "http-path", required_argument, NULL, OPT_HTTP_PATH },
		{ "http-host", required_argument, NULL, OPT_HTTP_HOST },
		{ "dns-name", required_argument, NULL, OPT_DNS_NAME },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ 0 },
	};
	const char *cmd = "policy trace", *from = NULL, *to = NULL;
	struct common co = { 0 };
	struct dfl_trace_request req = { 0 };
	struct dfl_trace_peer pf = { 0 }, pt = { 0 };
	struct dfl_trace_result res = { 0 };
	struct dfl_objects *objs = NULL;
	struct dfl_compiler *c = NULL;
	struct dfl_diags diags = { 0 };
	int expect = -1, ret = DFL_EXIT_USAGE, opt;
	bool have_port = false;
	char *err = NULL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:o:h", longopts, NULL)) != -1) {
		int r = common_opt(&co, cmd, opt, optarg,
				   1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);

		if (r < 0)
			goto out;
		if (!r)
			continue;
		switch (opt) {
		case 'h':
			fputs(trace_usage, stdout);
			putchar('\n');
			fputs(common_help, stdout);
			ret = DFL_EXIT_OK;
			goto out;
		case 'F':
			from = optarg;
			break;
		case 'T':
			to = optarg;
			break;
		case OPT_DPORT:
			if (parse_dport(optarg, &req)) {
				fprintf(stderr, "deflector: %s: --dport '%s' is "
						"not PORT[/TCP|UDP|SCTP|ICMP|"
						"ICMPv6]\n",
					cmd, optarg);
				goto out;
			}
			have_port = true;
			break;
		case OPT_HTTP_METHOD:
			req.http_method = optarg;
			break;
		case OPT_HTTP_PATH:
			req.http_path = optarg;
			break;
		case OPT_HTTP_HOST:
			req.http_host = optarg;
			break;
		case OPT_DNS_NAME:
			req.dns_name = optarg;
			break;
		case OPT_EXPECT:
			if (!strcasecmp(optarg, "allowed"))
				expect = 1;
			else if (!strcasecmp(optarg, "denied"))
				expect = 0;
			else {
				fprintf(stderr, "deflector: %s: --expect takes "
						"allowed or denied\n",
					cmd);
				goto out;
			}
			break;
		default:
			fprintf(stderr, "Run 'deflector %s --help'.\n", cmd);
			goto out;
		}
	}
	if (optind < argc) {
		dfl_cmd_error(co.json, cmd, "unexpected argument '%s'",
			      argv[optind]);
		goto out;
	}
	if (!co.n_inputs || !from || !to || !have_port) {
		dfl_cmd_error(co.json, cmd,
			      "-f, --from, --to and --dport are required; run "
			      "'deflector %s --help'",
			      cmd);
		goto out;
	}
	objs = dfl_objects__new();
	if (!objs)
		goto nomem;
	ret = load_inputs(&co, objs, &diags);
	if (ret == -ENOMEM)
		goto nomem;
	/* Invalid objects are not applied, as Cilium rejects them; say so. */
	print_diags(stderr, &diags, DFL_SEV_WARNING);
	if (ret) {
		ret = DFL_EXIT_USAGE;
		goto out;
	}
	ret = DFL_EXIT_USAGE;
	c = build(&co, objs, NULL);
	/* Identities and the ipcache first: peers may be pod addresses. */
	if (!c || dfl_compiler__resolve(c, NULL, NULL))
		goto nomem;
	if (dfl_trace_peer__resolve(c, from, false, &pf, &err) ||
	    dfl_trace_peer__resolve(c, to, true, &pt, &err)) {
		dfl_cmd_error(co.json, cmd, "%s", err ? err : "out of memory");
		goto out;
	}
	if (dfl_compiler__resolve(c, NULL, NULL) ||
	    dfl_trace__run(c, &pf, &pt, &req, &res))
		goto nomem;
	if (co.json)
		print_json(dfl_trace__to_json(c, &pf, &pt, &req, &res));
	else
		dfl_trace__print(stdout, c, &pf, &pt, &req, &res);
	ret = expect < 0 || expect == (int)res.allowed ? DFL_EXIT_OK :
							  DFL_EXIT_FAIL;
	goto out;
nomem:
	dfl_cmd_error(co.json, cmd, "out of memory");
	ret = DFL_EXIT_FAIL;
out:
	free(err);
	dfl_trace_result__release(&res);
	dfl_trace_peer__release(&pf);
	dfl_trace_peer__release(&pt);
	dfl_compiler__free(c);
	dfl_objects__free(objs);
	dfl_diags__release(&diags);
	common_release(&co);
	return ret;
}

/* ---- map --------------------------------------------------------------- */

static const char map_usage[] =
	"Usage: deflector policy map -f FILE|DIR... [--endpoint NS/POD] [OPTIONS]\n"
	"\n"
	"Prints the policy-map entries an endpoint gets, the way 'cilium bpf\n"
	"policy get' prints a map, with the rule that produced each entry.\n"
	"Without --endpoint, every pod and deployment of the input is printed.\n"
	"\n"
	"Options:\n"
	"      --endpoint NS/POD    the pod or deployment\n"
	"  -n, --numeric            identities as numbers, not labels\n"
	"  -o, --output FORMAT      text (default) or json\n"
	"  -h, --help               this help\n";

static const char *auth_name(uint8_t t)
{
	return t == DFL_AUTH_TYPE_SPIRE	      ? "spire" :
	       t == DFL_AUTH_TYPE_ALWAYS_FAIL ? "test-always-fail" :
						"disabled";
}

/* Rows of a tab-separated table, aligned at print time like Go's
 * tabwriter (minwidth 5, padding 3) that cilium-dbg uses. */
struct table {
	char ***rows;
	size_t n, cap, ncol;
};

static int table_row(struct table *t, const char *const *cells)
{
	char ***slot = DFL_PUSH(t->rows, t->n, t->cap);

	if (!slot)
		return -ENOMEM;
	*slot = calloc(t->ncol, sizeof(char *));
	if (!*slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->ncol; i++)
		if (!((*slot)[i] = strdup(cells[i] ? cells[i] : "")))
			return -ENOMEM;
	return 0;
}

static void table_print(FILE *out, struct table *t)
{
	size_t width[16] = { 0 };

	for (size_t r = 0; r < t->n; r++)
		for (size_t i = 0; i < t->ncol; i++) {
			size_t w = strlen(t->rows[r][i]);

			width[i] = w > width[i] ? w : width[i];
		}
	for (size_t r = 0; r < t->n; r++) {
		size_t last = t->ncol;

		while (last > 1 && !t->rows[r][last - 1][0])
			last--;
		for (size_t i = 0; i < last; i++) {
			size_t w = width[i] < 5 ? 5 : width[i];

			if (i + 1 == last)
				fprintf(out, "%s", t->rows[r][i]);
			else
				fprintf(out, "%-*s", (int)(w + 3),
					t->rows[r][i]);
		}
		fputc('\n', out);
	}
}

static void table_release(struct table *t)
{
	for (size_t r = 0; r < t->n; r++) {
		for (size_t i = 0; t->rows[r] && i < t->ncol; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

static void print_dir_state(struct dfl_compiler *c,
			    const struct dfl_ep_policy *p, int d)
{
	const struct dfl_dir_policy *dp = &p->dir[d];

	printf("%s: %s", d ? "Egress" : "Ingress",
	       !dp->enforced	   ? "not enforced" :
	       dp->default_deny ? "enforced, default deny" :
				  "enforced, default allow");
	for (size_t i = 0; i < dp->n_dd; i++) {
		struct dfl_strbuf sb = { 0 };
		const struct dfl_origin *og = dfl_compiler__origin(c,
								   dp->dd_cookies[i]);

		if (og)
			dfl_origin__fmt(og, &sb);
		printf("%s%s", i ? "; " : " by ", dfl_strbuf__str(&sb));
		dfl_strbuf__release(&sb);
	}
	putchar('\n');
}

static int print_map_text(struct dfl_compiler *c, const struct dfl_ep_policy *p,
			  bool numeric, size_t map_max)
{
	static const char *const head[] = {
		"POLICY",     "DIRECTION", "LABELS (source:key[=value])",
		"PORT/PROTO", "PROXY PORT", "AUTH TYPE",
		"BYTES",      "PACKETS",   "PREFIX",
		"COOKIE",     "RULE",
	};
	struct table t = { .ncol = DFL_ARRAY_SIZE(head) };
	int err;

	printf("Endpoint %s, identity %u: %zu entries (map size %zu)%s\n",
	       p->name, p->identity, p->n_entries, map_max,
	       p->over_limit ? " OVER THE LIMIT" : "");
	print_dir_state(c, p, 0);
	print_dir_state(c, p, 1);
	if (p->error)
		printf("Error: %s\n", p->error);
	putchar('\n');
	{
		const char *h[DFL_ARRAY_SIZE(head)];

		memcpy(h, head, sizeof(h));
		if (numeric)
			h[2] = "IDENTITY";
		err = table_row(&t, h);
	}
	for (size_t i = 0; i < p->n_entries && !err; i++) {
		const struct dfl_map_entry *e = &p->entries[i];
		const struct dfl_identity *ident = dfl_idalloc__get(
			dfl_compiler__identities(c), e->identity);
		const struct dfl_origin *og = dfl_compiler__origin(c, e->cookie);
		char pp[32], proxy[8], prefix[8], cookie[16], idbuf[16];
		struct dfl_strbuf rule = { 0 }, lbl = { 0 };
		const char *cells[DFL_ARRAY_SIZE(head)];
		size_t nl = 0;

		if (og)
			dfl_origin__fmt(og, &rule);
		snprintf(proxy, sizeof(proxy), "%u", e->proxy_port);
		snprintf(prefix, sizeof(prefix), "%u",
			 dfl_map_entry__prefixlen(e));
		snprintf(cookie, sizeof(cookie), "%u", e->cookie);
		snprintf(idbuf, sizeof(idbuf), "%u", e->identity);
		cells[0] = e->deny ? "Deny" : "Allow";
		cells[1] = e->egress ? "Egress" : "Ingress";
		cells[3] = dfl_map_entry__port_proto(e, pp, sizeof(pp));
		cells[4] = e->proxy_port ? proxy : "NONE";
		cells[5] = auth_name(e->auth_type);
		cells[6] = "-";
		cells[7] = "-";
		cells[8] = prefix;
		cells[9] = cookie;
		cells[10] = dfl_strbuf__str(&rule);
		if (numeric || !e->identity || !ident || !ident->labels.n) {
			cells[2] = numeric ? idbuf : e->identity ? idbuf : "ANY";
			err = table_row(&t, cells);
		} else {
			/* One label per line, as cilium-dbg prints them. */
			for (nl = 0; nl < ident->labels.n && !err; nl++) {
				const struct dfl_label *l = &ident->labels.items[nl];
				const char *blank[DFL_ARRAY_SIZE(head)] = { 0 };

				dfl_strbuf__reset(&lbl);
				dfl_strbuf__printf(&lbl, "%s:%s%s%s", l->source,
						   l->key, l->value[0] ? "=" : "",
						   l->value);
				if (!nl) {
					cells[2] = dfl_strbuf__str(&lbl);
					err = table_row(&t, cells);
				} else {
					blank[2] = dfl_strbuf__str(&lbl);
					err = table_row(&t, blank);
				}
			}
		}
		dfl_strbuf__release(&rule);
		dfl_strbuf__release(&lbl);
	}
	if (!err)
		table_print(stdout, &t);
	if (!p->n_entries)
		printf("Policy stats empty. Every packet is dropped.\n");
	table_release(&t);
	return err;
}

static json_t *dir_state_json(struct dfl_compiler *c,
			      const struct dfl_ep_policy *p, int d)
{
	json_t *dd = json_array();

	for (size_t i = 0; i < p->dir[d].n_dd; i++)
		json_array_append_new(dd, dfl_origin__to_json(dfl_compiler__origin(
						  c, p->dir[d].dd_cookies[i])));
	return json_pack("{s:b,s:b,s:o}", "enforced", p->dir[d].enforced,
			 "default_deny", p->dir[d].default_deny,
			 "default_deny_by", dd);
}

static json_t *map_json(struct dfl_compiler *c, const struct dfl_ep_policy *p,
			size_t map_max)
{
	json_t *entries = json_array(), *o;

	for (size_t i = 0; i < p->n_entries; i++) {
		const struct dfl_map_entry *e = &p->entries[i];
		const struct dfl_identity *ident = dfl_idalloc__get(
			dfl_compiler__identities(c), e->identity);
		json_t *labels = json_array();
		char pp[32];

		for (size_t l = 0; ident && e->identity && l < ident->labels.n;
		     l++) {
			const struct dfl_label *lb = &ident->labels.items[l];
			char buf[600];

			snprintf(buf, sizeof(buf), "%s:%s%s%s", lb->source,
				 lb->key, lb->value[0] ? "=" : "", lb->value);
			json_array_append_new(labels, json_string(buf));
		}
		json_array_append_new(
			entries,
			json_pack("{s:s,s:s,s:I,s:o,s:s,s:i,s:i,s:i,s:i,s:s,s:b,"
				  "s:I,s:I,s:o}",
				  "policy", e->deny ? "Deny" : "Allow",
				  "direction", e->egress ? "Egress" : "Ingress",
				  "identity", (json_int_t)e->identity, "labels",
				  labels, "port_proto",
				  dfl_map_entry__port_proto(e, pp, sizeof(pp)),
				  "proto", e->proto, "port", e->port,
				  "port_prefix_len", e->port_prefix_len,
				  "proxy_port", e->proxy_port, "auth_type",
				  auth_name(e->auth_type), "explicit_auth",
				  e->explicit_auth, "precedence",
				  (json_int_t)e->precedence, "cookie",
				  (json_int_t)e->cookie, "rule",
				  dfl_origin__to_json(
					  dfl_compiler__origin(c, e->cookie))));
	}
	o = json_pack("{s:s,s:I,s:o,s:o,s:I,s:I,s:b,s:o}", "endpoint", p->name,
		      "identity", (json_int_t)p->identity, "ingress",
		      dir_state_json(c, p, 0), "egress",
		      dir_state_json(c, p, 1), "count",
		      (json_int_t)p->n_entries, "map_max", (json_int_t)map_max,
		      "over_limit", p->over_limit, "entries", entries);
	if (o && p->error)
		json_object_set_new(o, "error", json_string(p->error));
	return o;
}

static int cmd_map(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "endpoint", required_argument, NULL, 'e' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ 0 },
	};
	const char *cmd = "policy map", *endpoint = NULL;
	struct common co = { 0 };
	struct dfl_objects *objs = NULL;
	struct dfl_compiler *c = NULL;
	struct dfl_diags diags = { 0 };
	bool numeric = false;
	int ret = DFL_EXIT_USAGE, opt;
	json_t *all = NULL;
	size_t map_max;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:o:hn", longopts, NULL)) !=
	       -1) {
		int r = common_opt(&co, cmd, opt, optarg,
				   1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);

		if (r < 0)
			goto out;
		if (!r)
			continue;
		switch (opt) {
		case 'h':
			fputs(map_usage, stdout);
			putchar('\n');
			fputs(common_help, stdout);
			ret = DFL_EXIT_OK;
			goto out;
		case 'e':
			endpoint = optarg;
			break;
		case 'n':
			numeric = true;
			break;
		case OPT_ALL:
			endpoint = NULL;
			break;
		default:
			fprintf(stderr, "Run 'deflector %s --help'.\n", cmd);
			goto out;
		}
	}
	if (optind < argc) {
		dfl_cmd_error(co.json, cmd, "unexpected argument '%s'",
			      argv[optind]);
		goto out;
	}
	if (!co.n_inputs) {
		dfl_cmd_error(co.json, cmd,
			      "-f is required; run 'deflector %s --help'", cmd);
		goto out;
	}
	map_max = co.cfg.map_max ? co.cfg.map_max : DFL_DEFAULT_MAP_MAX;
	objs = dfl_objects__new();
	if (!objs)
		goto nomem;
	ret = load_inputs(&co, objs, &diags);
	if (ret == -ENOMEM)
		goto nomem;
	print_diags(stderr, &diags, DFL_SEV_WARNING);
	if (ret) {
		ret = DFL_EXIT_USAGE;
		goto out;
	}
	ret = DFL_EXIT_USAGE;
	c = build(&co, objs, NULL);
	if (!c || dfl_compiler__resolve(c, NULL, NULL))
		goto nomem;
	if (endpoint) {
		const struct dfl_ep_policy *p = dfl_compiler__policy(c, endpoint);
		char alt[512];

		if (!p && !strchr(endpoint, '/')) {
			snprintf(alt, sizeof(alt), "default/%s", endpoint);
			p = dfl_compiler__policy(c, alt);
		}
		if (!p) {
			dfl_cmd_error(co.json, cmd,
				      "no pod or deployment '%s' in the input",
				      endpoint);
			goto out;
		}
		if (co.json)
			print_json(map_json(c, p, map_max));
		else if (print_map_text(c, p, numeric, map_max))
			goto nomem;
		ret = DFL_EXIT_OK;
		goto out;
	}
	if (co.json && !(all = json_array()))
		goto nomem;
	for (size_t i = 0, n = dfl_compiler__n_endpoints(c); i < n; i++) {
		const struct dfl_ep_policy *p = dfl_compiler__policy_at(c, i);

		if (!p)
			continue;
		if (all)
			json_array_append_new(all, map_json(c, p, map_max));
		else if ((i && !putchar('\n')) ||
			 print_map_text(c, p, numeric, map_max))
			goto nomem;
	}
	if (all) {
		print_json(all);
		all = NULL;
	}
	ret = DFL_EXIT_OK;
	goto out;
nomem:
	dfl_cmd_error(co.json, cmd, "out of memory");
	ret = DFL_EXIT_FAIL;
out:
	json_decref(all);
	dfl_compiler__free(c);
	dfl_objects__free(objs);
	dfl_diags__release(&diags);
	common_release(&co);
	return ret;
}


/* ---- lint -------------------------------------------------------------- */

static const char lint_usage[] =
	"Usage: deflector policy lint [OPTIONS] FILE|DIR...\n"
	"\n"
	"Checks CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and\n"
	"NetworkPolicy files: Cilium's validation errors (what the API server\n"
	"and the agent reject), then semantic checks for known pitfalls. With\n"
	"Pods or Deployments in the input, the policies are compiled for them\n"
	"and the checks use the resulting policy maps (DNS reachability, shadowed\n"
	"rules, predicted map size).\n"
	"\n"
	"Options:\n"
	"  -o, --output FORMAT      text (default), json or sarif (SARIF 2.1.0)\n"
	"      --fail-on LEVEL      error (default) or warning: exit 1 when a\n"
	"                           finding at that level or above exists\n"
	"      --pod-cidr CIDR      the cluster's pod CIDR (repeatable; default\n"
	"                           10.200.0.0/16)\n"
	"  -h, --help               this help\n"
	"\n"
	"Exit status: 0 nothing at the fail level, 1 something is, 2 an input\n"
	"cannot be read or parsed.\n"
	"\n"
	"Checks:\n";

static void print_checks(FILE *out)
{
	size_t n;
	const struct dfl_lint_check *ck = dfl_lint__checks(&n);

	for (size_t i = 0; i < n; i++) {
		const char *s = ck[i].summary;
		int col = fprintf(out, "  %-25s %-8s", ck[i].id,
				  dfl_severity__name(ck[i].severity));

		/* The summary wrapped at 79 columns under itself. */
		while (*s) {
			size_t len = strcspn(s, " ");

			if (col + 1 + (int)len > 79) {
				fprintf(out, "\n%36s", "");
				col = 36;
			}
			col += fprintf(out, " %.*s", (int)len, s);
			s += len;
			s += strspn(s, " ");
		}
		fputc('\n', out);
	}
}

static int cmd_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "pod-cidr", required_argument, NULL, OPT_POD_CIDR },
		{ 0 },
	};
	const char *cmd = "policy lint";
	struct common co = { 0 };
	struct dfl_lint_config lc = { 0 };
	struct dfl_prefix *cidrs = NULL;
	size_t n_cidrs = 0, cap_cidrs = 0;
	struct dfl_objects *objs = NULL;
	struct dfl_diags diags = { 0 };
	enum dfl_severity fail_on = DFL_SEV_ERROR;
	int ret = DFL_EXIT_USAGE, opt, load;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:o:h", longopts, NULL)) != -1) {
		int r = common_opt(&co, cmd, opt, optarg,
				   1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON |
					   1u << DFL_OUT_SARIF);

		if (r < 0)
			goto out;
		if (!r)
			continue;
		switch (opt) {
		case 'h':
			fputs(lint_usage, stdout);
			print_checks(stdout);
			putchar('\n');
			fputs(common_help, stdout);
			ret = DFL_EXIT_OK;
			goto out;
		case OPT_FAIL_ON:
			if (!strcmp(optarg, "error"))
				fail_on = DFL_SEV_ERROR;
			else if (!strcmp(optarg, "warning"))
				fail_on = DFL_SEV_WARNING;
			else {
				fprintf(stderr, "deflector: %s: --fail-on takes "
						"error or warning\n",
					cmd);
				goto out;
			}
			break;
		case OPT_POD_CIDR: {
			struct dfl_prefix *pc = DFL_PUSH(cidrs, n_cidrs,
							 cap_cidrs);

			if (!pc || dfl_prefix__parse(optarg, pc)) {
				fprintf(stderr, "deflector: %s: --pod-cidr '%s' "
						"is not a CIDR\n",
					cmd, optarg);
				goto out;
			}
			break;
		}
		default:
			fprintf(stderr, "Run 'deflector %s --help'.\n", cmd);
			goto out;
		}
	}
	for (; optind < argc; optind++) {
		const char **slot = DFL_PUSH(co.inputs, co.n_inputs,
					     co.cap_inputs);

		if (!slot)
			goto nomem;
		*slot = argv[optind];
	}
	if (!co.n_inputs) {
		dfl_cmd_error(co.json, cmd,
			      "no input; run 'deflector %s --help'", cmd);
		goto out;
	}
	objs = dfl_objects__new();
	if (!objs)
		goto nomem;
	load = load_inputs(&co, objs, &diags);
	if (load == -ENOMEM)
		goto nomem;
	lc.policy = co.cfg;
	lc.pod_cidrs = cidrs;
	lc.n_pod_cidrs = n_cidrs;
	lc.node_ips = co.nodes;
	lc.n_node_ips = co.n_nodes;
	if (dfl_lint__run(&lc, objs, &diags))
		goto nomem;
	dfl_diags__sort(&diags);
	if (co.out == DFL_OUT_JSON) {
		print_json(dfl_lint__to_json(&diags));
	} else if (co.out == DFL_OUT_SARIF) {
		print_json(dfl_lint__to_sarif(&diags, DFL_VERSION_STRING));
	} else {
		for (size_t i = 0; i < diags.n; i++)
			dfl_diag__print(stdout, &diags.items[i]);
		printf("%zu error%s, %zu warning%s, %zu note%s\n",
		       dfl_diags__count(&diags, DFL_SEV_ERROR),
		       dfl_diags__count(&diags, DFL_SEV_ERROR) == 1 ? "" : "s",
		       dfl_diags__count(&diags, DFL_SEV_WARNING),
		       dfl_diags__count(&diags, DFL_SEV_WARNING) == 1 ? "" : "s",
		       dfl_diags__count(&diags, DFL_SEV_NOTE),
		       dfl_diags__count(&diags, DFL_SEV_NOTE) == 1 ? "" : "s");
	}
	if (load) {
		ret = DFL_EXIT_USAGE;
		goto out;
	}
	ret = DFL_EXIT_OK;
	for (size_t i = 0; i < diags.n; i++)
		if (diags.items[i].severity >= fail_on)
			ret = DFL_EXIT_FAIL;
	goto out;
nomem:
	dfl_cmd_error(co.json, cmd, "out of memory");
	ret = DFL_EXIT_FAIL;
out:
	free(cidrs);
	dfl_objects__free(objs);
	dfl_diags__release(&diags);
	common_release(&co);
	return ret;
}

/* ---- the object -------------------------------------------------------- */

static const char policy_usage[] =
	"Usage: deflector policy COMMAND [OPTIONS]\n"
	"\n"
	"Offline analysis of CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy\n"
	"and NetworkPolicy files, with the Pods, Deployments, Services and\n"
	"Namespaces they apply to. No kernel and no agent needed.\n"
	"\n";

static const struct dfl_cmd policy_cmds[] = {
	{ "lint", cmd_lint, "check policy files for errors and pitfalls" },
	{ "trace", cmd_trace, "would traffic from A to B be allowed, and why" },
	{ "map", cmd_map, "the policy-map entries of an endpoint" },
	{ 0 },
};

int dfl_cmd_policy(int argc, char **argv)
{
	return dfl_cmd_dispatch("deflector policy", policy_cmds, policy_usage,
				argc - 1, argv + 1);
}
