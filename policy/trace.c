#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "crd/objects.h"
#include "identity/labels.h"
#include "identity/podlabels.h"
#include "identity/prefix.h"
#include "policy/origin.h"
#include "policy/trace.h"
#include "util/drop_reason.h"
#include "util/diag.h"
#include "util/mem.h"
#include "util/strbuf.h"

#if __has_include("policy/l7_match.h")
extern const struct dfl_trace_l7_ops dfl_trace_l7_match_ops;
static const struct dfl_trace_l7_ops *l7_ops = &dfl_trace_l7_match_ops;
#else
static const struct dfl_trace_l7_ops *l7_ops;
#endif

void dfl_trace_set_l7_ops(const struct dfl_trace_l7_ops *ops)
{
	l7_ops = ops;
}

const struct dfl_trace_l7_ops *dfl_trace_l7_ops(void)
{
	return l7_ops;
}

void dfl_trace_peer__release(struct dfl_trace_peer *p)
{
	if (!p)
		return;
	free(p->text);
	free(p->desc);
	free(p->endpoint);
	free(p->fqdn);
	memset(p, 0, sizeof(*p));
}

__attribute__((format(printf, 2, 3))) static int fail(char **err,
						      const char *fmt, ...)
{
	struct dfl_strbuf sb = { 0 };
	va_list ap;

	va_start(ap, fmt);
	dfl_strbuf__vprintf(&sb, fmt, ap);
	va_end(ap);
	*err = dfl_strbuf__detach(&sb);
	return -EINVAL;
}

__attribute__((format(printf, 2, 3))) static int set_desc(
	struct dfl_trace_peer *p, const char *fmt, ...)
{
	struct dfl_strbuf sb = { 0 };
	va_list ap;

	va_start(ap, fmt);
	dfl_strbuf__vprintf(&sb, fmt, ap);
	va_end(ap);
	free(p->desc);
	p->desc = dfl_strbuf__detach(&sb);
	return p->desc ? 0 : -ENOMEM;
}

static int as_endpoint(struct dfl_compiler *c, struct dfl_trace_peer *out,
		       const char *name, const char *what)
{
	struct dfl_compiler_endpoint info;

	if (dfl_compiler__endpoint_info(c, name, &info))
		return -ENOENT;
	out->endpoint = strdup(name);
	if (!out->endpoint)
		return -ENOMEM;
	return set_desc(out, "%s %s", what, name);
}

static int from_address(struct dfl_compiler *c, struct dfl_trace_peer *out,
			const struct dfl_prefix *a, const char *text)
{
	const struct dfl_ipcache_item *e =
		dfl_ipcache__lookup(dfl_compiler__ipcache(c), a);
	char pb[DFL_PREFIX_STRLEN];

	if (e && e->owner && !strncmp(e->owner, "pod ", 4) &&
	    !as_endpoint(c, out, e->owner + 4, "pod"))
		return 0;
	if (!e) {
		out->identity = DFL_ID_WORLD;
		return set_desc(out, "%s (not in the ipcache: world)", text);
	}
	out->identity = e->identity;
	return set_desc(out, "%s (ipcache %s: %s)", text,
			dfl_prefix__fmt(&e->prefix, pb, sizeof(pb)),
			e->owner ? e->owner : "identity");
}

static bool looks_like_dns_name(const char *s)
{
	if (!strchr(s, '.') || strlen(s) > 253)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return false;
	return true;
}

/* Lower-cased and dot-terminated, as Cilium compares matchName. */
static void fqdn_norm(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 2 < len; in++)
		out[n++] = (char)tolower((unsigned char)*in);
	if (!n || out[n - 1] != '.')
		out[n++] = '.';
	out[n] = '\0';
}

/* The identity an address learned for <name> would get (§2.7, §5.3): the
 * fqdn: label of every toFQDNs selector matching the name, plus world. */
static int from_fqdn(struct dfl_compiler *c, struct dfl_trace_peer *out,
		     const char *name)
{
	size_t n = dfl_compiler__fqdn_selectors(c, NULL, 0);
	const struct dfl_fqdn_selector **sels = calloc(n + 1, sizeof(*sels));
	struct dfl_labels ls = { 0 };
	char want[300], have[300];
	size_t matched = 0, unevaluated = 0;
	int err = 0;

	if (!sels)
		return -ENOMEM;
	dfl_compiler__fqdn_selectors(c, sels, n);
	fqdn_norm(name, want, sizeof(want));
	for (size_t i = 0; i < n && !err; i++) {
		const struct dfl_fqdn_selector *s = sels[i];
		bool hit = false;

		if (s->match_name) {
			fqdn_norm(s->match_name, have, sizeof(have));
			hit = !strcmp(have, want);
		} else if (s->match_pattern && l7_ops && l7_ops->dns) {
			hit = l7_ops->dns(&sels[i], 1, name, false,
					  l7_ops->arg) == 0;
		} else if (s->match_pattern) {
			unevaluated++;
		}
		if (hit) {
			matched++;
			err = dfl_labels__set(&ls, "fqdn",
					      s->match_name ? s->match_name :
							      s->match_pattern,
					      "");
		}
	}
	free(sels);
	out->fqdn = strdup(name);
	if (err || !out->fqdn)
		goto nomem;
	if (!matched) {
		out->identity = DFL_ID_WORLD;
		dfl_labels__release(&ls);
		return set_desc(out,
				"%s (no toFQDNs selector matches%s: world)",
				name,
				unevaluated ? " by name; matchPattern not "
					      "evaluated without an L7 matcher" :
					      "");
	}
	if (dfl_labels__set(&ls, "reserved", "world", "") ||
	    dfl_compiler__acquire_identity(c, &ls, &out->identity))
		goto nomem;
	dfl_labels__release(&ls);
	return set_desc(out, "%s (addresses learned for it: %zu toFQDNs "
			     "selector%s match)",
			name, matched, matched == 1 ? "" : "s");
nomem:
	dfl_labels__release(&ls);
	return -ENOMEM;
}

static int from_labels(struct dfl_compiler *c, struct dfl_trace_peer *out,
		       const char *text, char **err)
{
	struct dfl_labels ls = { 0 };
	char *canon = NULL, name[600];
	int ret;

	ret = dfl_labels__parse_list(&ls, text, "k8s");
	if (ret == -EINVAL) {
		dfl_labels__release(&ls);
		return fail(err, "'%s' is not a valid label set", text);
	}
	if (!ret && !dfl_labels__has_source(&ls, "reserved") &&
	    !dfl_labels__find(&ls, DFL_LBL_CLUSTER))
		ret = dfl_labels__set(&ls, "k8s", DFL_LBL_CLUSTER,
				      dfl_compiler__cluster(c)[0] ?
					      dfl_compiler__cluster(c) :
					      DFL_DEFAULT_CLUSTER);
	if (!ret && !(canon = dfl_labels__join(&ls, ",")))
		ret = -ENOMEM;
	if (!ret) {
		snprintf(name, sizeof(name), "labels:%s", canon);
		ret = dfl_compiler__upsert_label_endpoint(c, name, &ls);
	}
	if (!ret) {
		out->endpoint = strdup(name);
		ret = out->endpoint ? set_desc(out, "label set %s", canon) :
				      -ENOMEM;
	}
	free(canon);
	dfl_labels__release(&ls);
	return ret;
}

int dfl_trace_peer__resolve(struct dfl_compiler *c, const char *text,
			    bool destination, struct dfl_trace_peer *out,
			    char **err)
{
	struct dfl_prefix a;
	char name[512];
	uint32_t rid;
	int ret;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	out->text = strdup(text);
	if (!out->text)
		return -ENOMEM;
	if (!text[0])
		return fail(err, "an empty peer");
	if (strchr(text, '/') && !strchr(text, '=')) {
		ret = as_endpoint(c, out, text, "endpoint");
		if (ret != -ENOENT)
			return ret;
		if (!dfl_prefix__parse(text, &a))
			return from_address(c, out, &a, text);
		return fail(err, "no pod or deployment '%s' in the input", text);
	}
	if (!dfl_prefix__parse(text, &a))
		return from_address(c, out, &a, text);
	if ((rid = dfl_identity_reserved_by_name(text)) && rid < 100) {
		out->identity = rid;
		return set_desc(out, "entity %s", text);
	}
	if (strchr(text, '=') || strchr(text, ':'))
		return from_labels(c, out, text, err);
	snprintf(name, sizeof(name), "default/%s", text);
	ret = as_endpoint(c, out, name, "endpoint");
	if (ret != -ENOENT)
		return ret;
	if (destination && looks_like_dns_name(text))
		return from_fqdn(c, out, text);
	return fail(err,
		    "cannot resolve '%s': not a pod or deployment (ns/name), "
		    "label set, IP address, CIDR, entity%s",
		    text, destination ? " or DNS name" : "");
}

static uint32_t peer_identity(struct dfl_compiler *c,
			      const struct dfl_trace_peer *p)
{
	struct dfl_compiler_endpoint info;

	if (p->endpoint && !dfl_compiler__endpoint_info(c, p->endpoint, &info))
		return info.identity;
	return p->identity;
}

static int eval_l7(struct dfl_trace_dir *d, const struct dfl_trace_request *req)
{
	const void **arr;
	int idx;

	d->l7_rule = -1;
	d->l7_eval = DFL_L7_NOT_EVALUATED;
	if (d->l7.parser == DFL_L7_PARSER_HTTP) {
		if (!req->http_method && !req->http_path && !req->http_host)
			return 0;
		if (d->l7.allow_all) {
			d->l7_eval = DFL_L7_ALLOWED;
			return 0;
		}
		if (!l7_ops || !l7_ops->http)
			return 0;
	} else {
		if (!req->dns_name)
			return 0;
		if (d->l7.allow_all) {
			d->l7_eval = DFL_L7_ALLOWED;
			return 0;
		}
		if (!l7_ops || !l7_ops->dns)
			return 0;
	}
	arr = calloc(d->l7.n_rules + 1, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < d->l7.n_rules; i++)
		arr[i] = d->l7.parser == DFL_L7_PARSER_HTTP ?
				 (const void *)d->l7.rules[i].http :
				 (const void *)d->l7.rules[i].dns;
	if (d->l7.parser == DFL_L7_PARSER_HTTP)
		idx = l7_ops->http((const struct dfl_http_rule *const *)arr,
				   d->l7.n_rules,
				   req->http_method ? req->http_method : "GET",
				   req->http_path ? req->http_path : "/",
				   req->http_host, l7_ops->arg);
	else
		idx = l7_ops->dns((const struct dfl_fqdn_selector *const *)arr,
				  d->l7.n_rules, req->dns_name, true,
				  l7_ops->arg);
	free(arr);
	if (idx < -1)
		return 0; /* the matcher refused: left unevaluated */
	d->l7_rule = idx;
	d->l7_eval = idx >= 0 ? DFL_L7_ALLOWED : DFL_L7_DENIED;
	return 0;
}

static int trace_dir(struct dfl_compiler *c, const char *endpoint,
		     bool egress, uint32_t remote,
		     const struct dfl_trace_request *req,
		     struct dfl_trace_dir *d)
{
	int err;

	d->l7_rule = -1;
	if (!endpoint)
		return 0;
	d->pol = dfl_compiler__policy(c, endpoint);
	if (!d->pol)
		return 0;
	d->applies = true;
	d->enforced = d->pol->dir[egress].enforced;
	d->default_deny = d->pol->dir[egress].default_deny;
	dfl_ep_policy__lookup(d->pol, egress, remote, req->proto, req->dport,
			      &d->v);
	if (!d->v.allowed || !d->v.proxy_port)
		return 0;
	d->redirected = true;
	err = dfl_ep_policy__l7(d->pol, egress, req->proto, req->dport, remote,
				&d->l7);
	if (err == -ENOENT) {
		/* Redirected with no filter (cannot happen with our entries):
		 * the proxy would allow nothing. */
		d->l7_eval = DFL_L7_DENIED;
		return 0;
	}
	return err ? err : eval_l7(d, req);
}

int dfl_trace__run(struct dfl_compiler *c, const struct dfl_trace_peer *from,
		   const struct dfl_trace_peer *to,
		   const struct dfl_trace_request *req,
		   struct dfl_trace_result *out)
{
	uint32_t src = peer_identity(c, from), dst = peer_identity(c, to);
	int err;

	memset(out, 0, sizeof(*out));
	err = trace_dir(c, from->endpoint, true, dst, req, &out->egress);
	if (!err)
		err = trace_dir(c, to->endpoint, false, src, req, &out->ingress);
	if (err)
		return err;
	out->allowed = true;
	if (out->egress.applies && !out->egress.v.allowed) {
		out->allowed = false;
		out->drop_reason = out->egress.v.drop_reason;
	} else if (out->ingress.applies && !out->ingress.v.allowed) {
		out->allowed = false;
		out->drop_reason = out->ingress.v.drop_reason;
	} else if (out->egress.l7_eval == DFL_L7_DENIED ||
		   out->ingress.l7_eval == DFL_L7_DENIED) {
		out->allowed = false;
		out->l7_denied = true;
	}
	return 0;
}

void dfl_trace_result__release(struct dfl_trace_result *r)
{
	if (!r)
		return;
	dfl_l7_set__release(&r->egress.l7);
	dfl_l7_set__release(&r->ingress.l7);
}

/* ---- text -------------------------------------------------------------- */

static void print_origin(FILE *out, struct dfl_compiler *c, const char *lead,
			 uint32_t cookie)
{
	const struct dfl_origin *og = dfl_compiler__origin(c, cookie);
	struct dfl_strbuf sb = { 0 };

	if (!og)
		return;
	dfl_origin__fmt(og, &sb);
	fprintf(out, "%s%s\n", lead, dfl_strbuf__str(&sb));
	dfl_strbuf__release(&sb);
}

static const char *identity_text(struct dfl_compiler *c, uint32_t id,
				 struct dfl_strbuf *sb)
{
	const struct dfl_identity *ident =
		dfl_idalloc__get(dfl_compiler__identities(c), id);
	char *labels;

	dfl_strbuf__reset(sb);
	if (!id) {
		dfl_strbuf__puts(sb, "any identity");
		return dfl_strbuf__str(sb);
	}
	dfl_strbuf__printf(sb, "identity %u", id);
	if (ident && (labels = dfl_labels__join(&ident->labels, ", "))) {
		dfl_strbuf__printf(sb, " (%s)", labels);
		free(labels);
	}
	return dfl_strbuf__str(sb);
}

static void print_entry(FILE *out, struct dfl_compiler *c,
			const struct dfl_map_entry *e, enum dfl_policy_match m)
{
	static const char *const match_names[] = {
		"none", "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto",
		"Proto-Only",
	};
	struct dfl_strbuf sb = { 0 };
	char pp[32];

	const char *rn = dfl_identity_reserved_name(e->identity);

	if (!e->identity)
		dfl_strbuf__puts(&sb, "any identity");
	else if (rn)
		dfl_strbuf__printf(&sb, "identity %u (%s)", e->identity, rn);
	else
		dfl_strbuf__printf(&sb, "identity %u", e->identity);
	fprintf(out, "    entry:  %s %s %s", e->deny ? "deny" : "allow",
		dfl_strbuf__str(&sb),
		dfl_map_entry__port_proto(e, pp, sizeof(pp)));
	if (e->proxy_port)
		fprintf(out, " proxy-port %u", e->proxy_port);
	fprintf(out, " [match %s]\n", match_names[m]);
	print_origin(out, c, "    rule:   ", e->cookie);
	dfl_strbuf__release(&sb);
}

static void print_dir(FILE *out, struct dfl_compiler *c, bool egress,
		      const char *who, const struct dfl_trace_dir *d,
		      const struct dfl_trace_request *req)
{
	const char *title = egress ? "Egress" : "Ingress";
	static const char *const l7_eval[] = { "", "not evaluated", "allowed",
					       "denied" };
	struct dfl_strbuf sb = { 0 };

	if (!d->applies) {
		fprintf(out, "%s: not enforced here (%s is not a local "
			     "endpoint)\n",
			title, who);
		return;
	}
	fprintf(out, "%s of %s: %s", title, d->pol->name,
		d->v.allowed ? "ALLOWED" : "DENIED");
	if (!d->v.allowed)
		fprintf(out, " (%d %s)", d->v.drop_reason,
			dfl_drop_reason__text(d->v.drop_reason));
	fprintf(out, "\n    policy: %s%s\n",
		d->enforced ? "enforced" : "not enforced (no rule selects it)",
		d->enforced ? (d->default_deny ? ", default deny" :
						 ", default allow") :
			      "");
	if (d->pol->error)
		fprintf(out, "    error:  %s\n", d->pol->error);
	if (d->v.entry) {
		print_entry(out, c, d->v.entry, d->v.match);
	} else if (d->v.drop_reason == DFL_DROP_POLICY) {
		fprintf(out, "    no entry allows this peer and port\n");
	}
	if (!d->v.allowed && d->v.drop_reason == DFL_DROP_POLICY) {
		const struct dfl_dir_policy *dp = &d->pol->dir[egress];

		for (size_t i = 0; i < dp->n_dd; i++)
			print_origin(out, c,
				     i ? "            " :
					 "    default deny set by: ",
				     dp->dd_cookies[i]);
	}
	if (d->redirected) {
		fprintf(out, "    L7 %s: ",
			d->l7.parser == DFL_L7_PARSER_DNS ? "DNS" : "HTTP");
		if (d->l7.allow_all)
			fprintf(out, "every request allowed (a plain allow "
				     "for this peer makes L7 visibility only)");
		else
			fprintf(out, "%zu rule%s", d->l7.n_rules,
				d->l7.n_rules == 1 ? " applies" : "s apply");
		if (d->l7_eval)
			fprintf(out, "; request %s", l7_eval[d->l7_eval]);
		fputc('\n', out);
		if (d->l7.allow_all)
			print_origin(out, c, "      by ", d->l7.allow_all_cookie);
		for (size_t i = 0; i < d->l7.n_rules; i++) {
			const struct dfl_l7_rule_ref *r = &d->l7.rules[i];

			dfl_strbuf__reset(&sb);
			if (r->http)
				dfl_strbuf__printf(&sb, "method=%s path=%s%s%s",
						   r->http->method ?
							   r->http->method :
							   "*",
						   r->http->path ?
							   r->http->path :
							   "*",
						   r->http->host ? " host=" : "",
						   r->http->host ?
							   r->http->host :
							   "");
			else
				dfl_strbuf__printf(&sb, "%s=%s",
						   r->dns->match_name ?
							   "matchName" :
							   "matchPattern",
						   r->dns->match_name ?
							   r->dns->match_name :
							   r->dns->match_pattern);
			fprintf(out, "      %s %s\n",
				(int)i == d->l7_rule ? "*" : "-",
				dfl_strbuf__str(&sb));
			print_origin(out, c, "        from ", r->cookie);
		}
		if (d->l7_eval == DFL_L7_NOT_EVALUATED &&
		    (req->http_method || req->http_path || req->dns_name))
			fprintf(out, "    (no L7 matcher is linked into this "
				     "build: rules listed, not matched)\n");
	}
	dfl_strbuf__release(&sb);
}

void dfl_trace__print(FILE *out, struct dfl_compiler *c,
		      const struct dfl_trace_peer *from,
		      const struct dfl_trace_peer *to,
		      const struct dfl_trace_request *req,
		      const struct dfl_trace_result *r)
{
	struct dfl_strbuf sb = { 0 };
	char pb[8];

	fprintf(out, "From: %s, %s\n", from->desc,
		identity_text(c, peer_identity(c, from), &sb));
	fprintf(out, "To:   %s, %s\n", to->desc,
		identity_text(c, peer_identity(c, to), &sb));
	fprintf(out, "Port: %u/%s", req->dport,
		dfl_proto__name(req->proto, pb, sizeof(pb)));
	if (req->http_method || req->http_path)
		fprintf(out, ", HTTP %s %s", req->http_method ? req->http_method : "GET",
			req->http_path ? req->http_path : "/");
	if (req->dns_name)
		fprintf(out, ", DNS %s", req->dns_name);
	fprintf(out, "\n\n");
	print_dir(out, c, true, from->desc, &r->egress, req);
	print_dir(out, c, false, to->desc, &r->ingress, req);
	fprintf(out, "\nVerdict: %s", r->allowed ? "ALLOWED" : "DENIED");
	if (r->drop_reason)
		fprintf(out, " (drop reason %d: %s)", r->drop_reason,
			dfl_drop_reason__text(r->drop_reason));
	else if (r->l7_denied)
		fprintf(out, " (by the L7 proxy)");
	fputc('\n', out);
	dfl_strbuf__release(&sb);
}

/* ---- JSON -------------------------------------------------------------- */

json_t *dfl_origin__to_json(const struct dfl_origin *og)
{
	json_t *o;

	if (!og)
		return json_null();
	if (og->origin == DFL_ORIGIN_SYNTHETIC)
		return json_pack("{s:s}", "synthetic", og->name ? og->name : "");
	o = json_pack("{s:s,s:s?,s:s,s:s?,s:s,s:s?}", "kind",
		      dfl_kind__name(og->kind), "namespace", og->namespace,
		      "name", og->name ? og->name : "", "uid", og->uid, "rule",
		      og->rule_field ? og->rule_field : "spec", "field",
		      og->field);
	if (o && og->pos.file) {
		json_object_set_new(o, "file", json_string(og->pos.file));
		json_object_set_new(o, "line", json_integer(og->pos.line));
		json_object_set_new(o, "column", json_integer(og->pos.col));
	}
	return o;
}

static json_t *entry_json(struct dfl_compiler *c, const struct dfl_map_entry *e)
{
	char pp[32];

	return json_pack("{s:I,s:s,s:s,s:i,s:i,s:I,s:i,s:o}", "identity",
			 (json_int_t)e->identity, "action",
			 e->deny ? "deny" : "allow", "port_proto",
			 dfl_map_entry__port_proto(e, pp, sizeof(pp)),
			 "prefix_len", dfl_map_entry__prefixlen(e),
			 "proxy_port", e->proxy_port, "precedence",
			 (json_int_t)e->precedence, "auth_type", e->auth_type,
			 "policy",
			 dfl_origin__to_json(dfl_compiler__origin(c, e->cookie)));
}

static json_t *l7_json(struct dfl_compiler *c, const struct dfl_trace_dir *d)
{
	static const char *const evals[] = { "NOT_REDIRECTED", "NOT_EVALUATED",
					     "ALLOWED", "DENIED" };
	json_t *rules = json_array(), *o;

	if (!d->redirected) {
		json_decref(rules);
		return json_null();
	}
	for (size_t i = 0; i < d->l7.n_rules; i++) {
		const struct dfl_l7_rule_ref *r = &d->l7.rules[i];
		json_t *j = r->http ? json_pack("{s:s?,s:s?,s:s?}", "method",
						r->http->method, "path",
						r->http->path, "host",
						r->http->host) :
				      json_pack("{s:s?,s:s?}", "matchName",
						r->dns->match_name,
						"matchPattern",
						r->dns->match_pattern);

		if (j)
			json_object_set_new(j, "policy",
					    dfl_origin__to_json(dfl_compiler__origin(
						    c, r->cookie)));
		json_array_append_new(rules, j);
	}
	o = json_pack("{s:s,s:i,s:b,s:o,s:s}", "parser",
		      d->l7.parser == DFL_L7_PARSER_DNS ? "dns" : "http", "proxy_port",
		      d->v.proxy_port, "allow_all", d->l7.allow_all, "rules",
		      rules, "verdict", evals[d->l7_eval]);
	if (o && d->l7_rule >= 0)
		json_object_set_new(o, "matched_rule", json_integer(d->l7_rule));
	return o;
}

static json_t *dir_json(struct dfl_compiler *c, const struct dfl_trace_dir *d,
			bool egress)
{
	json_t *o, *dd;

	if (!d->applies)
		return json_pack("{s:b,s:s}", "applies", 0, "reason",
				 egress ? "the source is not a local endpoint" :
					  "the destination is not a local "
					  "endpoint");
	dd = json_array();
	for (size_t i = 0; i < d->pol->dir[egress].n_dd; i++)
		json_array_append_new(
			dd, dfl_origin__to_json(dfl_compiler__origin(
				    c, d->pol->dir[egress].dd_cookies[i])));
	o = json_pack("{s:b,s:s,s:b,s:b,s:s,s:o,s:o,s:o}", "applies", 1,
		      "endpoint", d->pol->name, "enforced", d->enforced,
		      "default_deny", d->default_deny, "verdict",
		      d->v.allowed ? "ALLOWED" : "DENIED", "drop_reason",
		      d->v.allowed ? json_null() :
				     json_integer(d->v.drop_reason),
		      "entry", d->v.entry ? entry_json(c, d->v.entry) :
					    json_null(),
		      "default_deny_by", dd);
	if (o && d->pol->error)
		json_object_set_new(o, "error", json_string(d->pol->error));
	if (o)
		json_object_set_new(o, "l7", l7_json(c, d));
	return o;
}

static json_t *peer_json(struct dfl_compiler *c, const struct dfl_trace_peer *p)
{
	uint32_t id = peer_identity(c, p);
	const struct dfl_identity *ident =
		dfl_idalloc__get(dfl_compiler__identities(c), id);
	json_t *labels = json_array();

	for (size_t i = 0; ident && i < ident->labels.n; i++) {
		const struct dfl_label *l = &ident->labels.items[i];
		char buf[600];

		snprintf(buf, sizeof(buf), "%s:%s%s%s", l->source, l->key,
			 l->value[0] ? "=" : "", l->value);
		json_array_append_new(labels, json_string(buf));
	}
	return json_pack("{s:s,s:s,s:s?,s:I,s:o}", "input", p->text,
			 "description", p->desc ? p->desc : "", "endpoint",
			 p->endpoint, "identity", (json_int_t)id, "labels",
			 labels);
}

json_t *dfl_trace__to_json(struct dfl_compiler *c,
			   const struct dfl_trace_peer *from,
			   const struct dfl_trace_peer *to,
			   const struct dfl_trace_request *req,
			   const struct dfl_trace_result *r)
{
	const struct dfl_trace_dir *l7d = r->egress.redirected ? &r->egress :
							      &r->ingress;
	char pb[8];
	json_t *l7;

	l7 = json_pack("{s:o,s:o}", "egress", l7_json(c, &r->egress),
		       "ingress", l7_json(c, &r->ingress));
	if (l7)
		json_object_set_new(l7, "verdict",
				    json_string(r->l7_denied ? "DENIED" :
						l7d->redirected ?
							(l7d->l7_eval ==
									 DFL_L7_ALLOWED ?
								 "ALLOWED" :
								 "NOT_EVALUATED") :
							"NOT_REDIRECTED"));
	return json_pack("{s:s,s:o,s:o,s:o,s:{s:i,s:s},s:o,s:o,s:o}", "verdict",
			 r->allowed ? "ALLOWED" : "DENIED", "drop_reason",
			 r->drop_reason ? json_integer(r->drop_reason) :
					  json_null(),
			 "from", peer_json(c, from), "to", peer_json(c, to),
			 "port", "number", req->dport, "protocol",
			 dfl_proto__name(req->proto, pb, sizeof(pb)), "egress",
			 dir_json(c, &r->egress, true), "ingress",
			 dir_json(c, &r->ingress, false), "l7", l7);
}
