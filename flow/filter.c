/* Hubble's flow filters (flow/filter.h), field by field as in
 * pkg/hubble/filters. Values are parsed and compiled once, when added. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <pcre2.h>

#include "flow/filter.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "util/mem.h"

enum kind {
	K_UUID,
	K_IP,
	K_POD,
	K_SERVICE,
	K_FQDN,
	K_LABEL,
	K_IDENTITY,
	K_WORKLOAD,
	K_PORT,
	K_VERDICT,
	K_DROP_REASON,
	K_EVENT_TYPE,
	K_HTTP_STATUS,
	K_PROTOCOL,
	K_REPLY,
	K_DNS_QUERY,
	K_HTTP_METHOD,
	K_HTTP_PATH,
	K_HTTP_URL,
	K_HTTP_HEADER,
	K_TCP_FLAGS,
	K_NODE_NAME,
	K_IP_VERSION,
	K_DIRECTION,
};

enum side { NONE = 0, SRC, DST };

static const struct field_def {
	const char *name;
	enum kind kind;
	enum side side;
} fields[] = {
	{ "uuid", K_UUID, NONE },
	{ "source_ip", K_IP, SRC },
	{ "source_pod", K_POD, SRC },
	{ "source_fqdn", K_FQDN, SRC },
	{ "source_label", K_LABEL, SRC },
	{ "source_service", K_SERVICE, SRC },
	{ "source_workload", K_WORKLOAD, SRC },
	{ "source_identity", K_IDENTITY, SRC },
	{ "source_port", K_PORT, SRC },
	{ "destination_ip", K_IP, DST },
	{ "destination_pod", K_POD, DST },
	{ "destination_fqdn", K_FQDN, DST },
	{ "destination_label", K_LABEL, DST },
	{ "destination_service", K_SERVICE, DST },
	{ "destination_workload", K_WORKLOAD, DST },
	{ "destination_identity", K_IDENTITY, DST },
	{ "destination_port", K_PORT, DST },
	{ "verdict", K_VERDICT, NONE },
	{ "drop_reason_desc", K_DROP_REASON, NONE },
	{ "event_type", K_EVENT_TYPE, NONE },
	{ "http_status_code", K_HTTP_STATUS, NONE },
	{ "protocol", K_PROTOCOL, NONE },
	{ "reply", K_REPLY, NONE },
	{ "dns_query", K_DNS_QUERY, NONE },
	{ "http_method", K_HTTP_METHOD, NONE },
	{ "http_path", K_HTTP_PATH, NONE },
	{ "http_url", K_HTTP_URL, NONE },
	{ "http_header", K_HTTP_HEADER, NONE },
	{ "tcp_flags", K_TCP_FLAGS, NONE },
	{ "node_name", K_NODE_NAME, NONE },
	{ "ip_version", K_IP_VERSION, NONE },
	{ "traffic_direction", K_DIRECTION, NONE },
};

#define N_FIELDS DFL_ARRAY_SIZE(fields)

enum label_op { L_IN, L_NOT_IN, L_EXISTS, L_NOT_EXISTS };

struct label_req {
	char *source; /* "any" matches every source */
	char *key;
	enum label_op op;
	char **values;
	size_t n, cap;
};

struct label_sel {
	struct label_req *reqs;
	size_t n, cap;
};

struct value {
	char *text; /* as given, for equality and printing */
	union {
		struct {
			uint8_t addr[16];
			int version;
			int prefix;
		} ip;
		struct {
			char *ns; /* "" matches any namespace */
			char *name;
		} pod;
		struct {
			char *kind;
			char *name;
		} wl;
		struct {
			int32_t type;
			bool match_sub;
			int32_t sub;
		} et;
		pcre2_code *re;
		struct label_sel *sel;
		uint32_t num;
		char *str; /* owned copy for method, header key... */
	} u;
	char *str2; /* header value */
};

struct values {
	struct value *items;
	size_t n, cap;
};

struct dfl_flow_filter {
	struct values f[N_FIELDS];
};

static int __attribute__((format(printf, 3, 4)))
ferr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct field_def *field_find(const char *name, size_t *idx)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		if (!strcmp(fields[i].name, name)) {
			*idx = i;
			return &fields[i];
		}
	}
	return NULL;
}

/* ---- values ------------------------------------------------------------- */

static void sel_free(struct label_sel *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->reqs[i].n; j++)
			free(s->reqs[i].values[j]);
		free(s->reqs[i].values);
		free(s->reqs[i].source);
		free(s->reqs[i].key);
	}
	free(s->reqs);
	free(s);
}

static void value_release(enum kind k, struct value *v)
{
	switch (k) {
	case K_POD:
	case K_SERVICE:
		free(v->u.pod.ns);
		free(v->u.pod.name);
		break;
	case K_WORKLOAD:
		free(v->u.wl.kind);
		free(v->u.wl.name);
		break;
	case K_FQDN:
	case K_DNS_QUERY:
	case K_HTTP_PATH:
	case K_HTTP_URL:
		pcre2_code_free(v->u.re);
		break;
	case K_LABEL:
		sel_free(v->u.sel);
		break;
	case K_HTTP_METHOD:
	case K_HTTP_HEADER:
	case K_NODE_NAME:
	case K_HTTP_STATUS:
	case K_UUID:
		free(v->u.str);
		break;
	default:
		break;
	}
	free(v->str2);
	free(v->text);
}

/* Regexes are RE2-style in Hubble; PCRE2 with match limits keeps any input
 * from making a match super-linear. */
static pcre2_code *re_compile(const char *pattern, char *err, size_t errlen,
			      const char *field)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
				       &code, &off, NULL);

	if (!re) {
		PCRE2_UCHAR msg[120];

		pcre2_get_error_message(code, msg, sizeof(msg));
		ferr(err, errlen, "%s: invalid regular expression '%s' at %zu: %s",
		     field, pattern, (size_t)off, (const char *)msg);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* optional speed-up */
	return re;
}

static bool re_match(const pcre2_code *re, const char *s, size_t len)
{
	static _Thread_local pcre2_match_context *mctx;
	pcre2_match_data *md;
	int rc;

	if (!mctx) {
		mctx = pcre2_match_context_create(NULL);
		if (!mctx)
			return false;
		pcre2_set_match_limit(mctx, 100000);
		pcre2_set_depth_limit(mctx, 1000);
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (!md)
		return false;
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mctx);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Hubble's FQDN filter: '*' is [-.0-9a-z]*, everything else literal, the
 * whole name must match, case-insensitively, one trailing dot ignored. */
static pcre2_code *fqdn_compile(const char *pat, char *err, size_t errlen,
				const char *field)
{
	struct dfl_strbuf re = { 0 };
	size_t n = strlen(pat);
	pcre2_code *code;

	if (n && pat[n - 1] == '.')
		n--;
	dfl_strbuf__puts(&re, "^");
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)pat[i]);

		if (c == '*')
			dfl_strbuf__puts(&re, "[-.0-9a-z]*");
		else if (isalnum((unsigned char)c) || c == '-' || c == '_')
			dfl_strbuf__putc(&re, c);
		else
			dfl_strbuf__printf(&re, "\\x{%x}", (unsigned char)c);
	}
	dfl_strbuf__puts(&re, "$");
	code = re.err ? NULL : re_compile(dfl_strbuf__str(&re), err, errlen, field);
	dfl_strbuf__release(&re);
	return code;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "app" -> any source, "k8s:app" -> the k8s source (Hubble's labelparser
 * rewrites them to "any.app" and "k8s.app"). */
static int label_key(struct label_req *r, const char *key)
{
	const char *colon = strchr(key, ':');

	r->source = colon ? strndup(key, (size_t)(colon - key)) : strdup("any");
	r->key = strdup(colon ? colon + 1 : key);
	return r->source && r->key ? 0 : -ENOMEM;
}

static int push_str(char ***v, size_t *n, size_t *cap, const char *s)
{
	char **slot = DFL_PUSH(*v, *n, *cap);

	if (!slot)
		return -ENOMEM;
	*slot = strdup(s);
	return *slot ? 0 : -ENOMEM;
}

/* Kubernetes label selector syntax: requirements separated by commas:
 * "k", "!k", "k=v", "k==v", "k!=v", "k in (a,b)", "k notin (a,b)". */
static struct label_sel *sel_parse(const char *text, char *err, size_t errlen,
				   const char *field)
{
	struct label_sel *s = calloc(1, sizeof(*s));
	char *copy = strdup(text), *p = copy;
	int ret = 0;

	if (!s || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	while (*p && !ret) {
		char *end = p, *req, *op;
		int depth = 0;
		struct label_req *r;

		for (; *end && (depth || *end != ','); end++)
			depth += *end == '(' ? 1 : *end == ')' ? -1 : 0;
		if (*end)
			*end++ = '\0';
		req = trim(p);
		p = end;
		if (!*req) {
			ret = ferr(err, errlen, "%s: empty requirement in '%s'",
				   field, text);
			break;
		}
		r = DFL_PUSH(s->reqs, s->n, s->cap);
		if (!r) {
			ret = -ENOMEM;
			break;
		}
		if (*req == '!') {
			r->op = L_NOT_EXISTS;
			ret = label_key(r, trim(req + 1));
		} else if ((op = strstr(req, "!="))) {
			*op = '\0';
			r->op = L_NOT_IN;
			ret = label_key(r, trim(req));
			if (!ret)
				ret = push_str(&r->values, &r->n, &r->cap,
					       trim(op + 2));
		} else if ((op = strchr(req, '='))) {
			*op = '\0';
			r->op = L_IN;
			ret = label_key(r, trim(req));
			if (!ret)
				ret = push_str(&r->values, &r->n, &r->cap,
					       trim(op + (op[1] == '=' ? 2 : 1)));
		} else if ((op = strstr(req, " in ")) ||
			   (op = strstr(req, " notin "))) {
			bool notin = op[1] == 'n';
			char *open = strchr(op, '('), *close = strrchr(op, ')');

			*op = '\0';
			r->op = notin ? L_NOT_IN : L_IN;
			if (!open || !close || close < open || trim(close + 1)[0]) {
				ret = ferr(err, errlen,
					   "%s: expected a (list) in '%s'", field,
					   text);
				break;
			}
			*close = '\0';
			ret = label_key(r, trim(req));
			for (char *v = strtok(open + 1, ","); v && !ret;
			     v = strtok(NULL, ","))
				ret = push_str(&r->values, &r->n, &r->cap, trim(v));
		} else {
			r->op = L_EXISTS;
			ret = label_key(r, req);
		}
		if (!ret && (!*r->key || strpbrk(r->key, " ()!=")))
			ret = ferr(err, errlen, "%s: invalid label key in '%s'",
				   field, text);
	}
out:
	free(copy);
	if (ret) {
		sel_free(s);
		errno = -ret;
		return NULL;
	}
	return s;
}

/* An endpoint label "source:key=value"; Has/Get as Cilium's LabelArray:
 * the first label with the key (and a matching source) wins. */
static const char *label_get(const struct dfl_flow_endpoint *ep,
			     const struct label_req *r, bool *found)
{
	size_t klen = strlen(r->key), slen = strlen(r->source);
	bool any = !strcmp(r->source, "any");

	*found = false;
	for (size_t i = 0; i < ep->n_labels; i++) {
		const char *l = ep->labels[i], *colon, *key, *eq;

		if (!l)
			continue;
		colon = strchr(l, ':');
		eq = strchr(l, '=');
		if (colon && eq && colon > eq)
			colon = NULL;
		key = colon ? colon + 1 : l;
		if (!any && (!colon || (size_t)(colon - l) != slen ||
			     strncmp(l, r->source, slen)))
			continue;
		if (eq ? (size_t)(eq - key) != klen : strlen(key) != klen)
			continue;
		if (strncmp(key, r->key, klen))
			continue;
		*found = true;
		return eq ? eq + 1 : "";
	}
	return NULL;
}

static bool sel_match(const struct label_sel *s,
		      const struct dfl_flow_endpoint *ep)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct label_req *r = &s->reqs[i];
		bool found, in = false;
		const char *v = label_get(ep, r, &found);

		for (size_t j = 0; found && j < r->n; j++)
			in |= !strcmp(v, r->values[j]);
		switch (r->op) {
		case L_EXISTS:
			if (!found)
				return false;
			break;
		case L_NOT_EXISTS:
			if (found)
				return false;
			break;
		case L_IN:
			if (!found || !in)
				return false;
			break;
		case L_NOT_IN:
			if (found && in)
				return false;
			break;
		}
	}
	return true;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int upper_enum(const char *s, int (*parse)(const char *))
{
	char buf[64];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(buf); i++)
		buf[i] = (char)toupper((unsigned char)s[i]);
	buf[i] = '\0';
	return s[i] ? -1 : parse(buf);
}

static int parse_tcp_flags(const char *s, uint16_t *out)
{
	static const struct {
		const char *name;
		uint16_t bit;
	} names[] = {
		{ "FIN", DFL_TCP_FIN }, { "SYN", DFL_TCP_SYN },
		{ "RST", DFL_TCP_RST }, { "PSH", DFL_TCP_PSH },
		{ "ACK", DFL_TCP_ACK }, { "URG", DFL_TCP_URG },
		{ "ECE", DFL_TCP_ECE }, { "CWR", DFL_TCP_CWR },
		{ "NS", DFL_TCP_NS },
	};
	char *copy = strdup(s), *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*out = 0;
	for (char *t = strtok_r(copy, ",", &save); t && !ret;
	     t = strtok_r(NULL, ",", &save)) {
		size_t i;

		t = trim(t);
		for (i = 0; i < DFL_ARRAY_SIZE(names); i++)
			if (!strcasecmp(t, names[i].name))
				break;
		if (i == DFL_ARRAY_SIZE(names))
			ret = -EINVAL;
		else
			*out |= names[i].bit;
	}
	free(copy);
	return ret ? ret : *out ? 0 : -EINVAL;
}

static const char *const protocols[] = { "tcp",	   "udp",  "sctp", "icmp",
					  "icmpv4", "icmpv6", "http", "dns",
					  "kafka",  "vrrp", "igmp" };

/* Parses <text> into <v> for a field of kind <k>. */
static int value_parse(const struct field_def *def, const char *text,
		       struct value *v, char *err, size_t errlen)
{
	const char *field = def->name;
	const char *slash, *colon;
	int x;

	switch (def->kind) {
	case K_IP: {
		char addr[64];
		const char *pfx = strchr(text, '/');
		size_t alen = pfx ? (size_t)(pfx - text) : strlen(text);
		uint32_t plen;

		if (alen >= sizeof(addr))
			goto bad;
		memcpy(addr, text, alen);
		addr[alen] = '\0';
		v->u.ip.version = strchr(addr, ':') ? 6 : 4;
		if (inet_pton(v->u.ip.version == 6 ? AF_INET6 : AF_INET, addr,
			      v->u.ip.addr) != 1)
			goto bad;
		v->u.ip.prefix = v->u.ip.version == 6 ? 128 : 32;
		if (pfx) {
			if (parse_u32(pfx + 1, (uint32_t)v->u.ip.prefix, &plen))
				goto bad;
			v->u.ip.prefix = (int)plen;
		}
		return 0;
	}
	case K_POD:
	case K_SERVICE:
		slash = strchr(text, '/');
		/* no namespace: Hubble's server reads it as "default/" */
		v->u.pod.ns = slash ? strndup(text, (size_t)(slash - text)) :
				      strdup("default");
		v->u.pod.name = strdup(slash ? slash + 1 : text);
		return v->u.pod.ns && v->u.pod.name ? 0 : -ENOMEM;
	case K_WORKLOAD:
		slash = strchr(text, '/');
		v->u.wl.kind = slash ? strndup(text, (size_t)(slash - text)) :
				       strdup("");
		v->u.wl.name = strdup(slash ? slash + 1 : text);
		return v->u.wl.kind && v->u.wl.name ? 0 : -ENOMEM;
	case K_FQDN:
		v->u.re = fqdn_compile(text, err, errlen, field);
		return v->u.re ? 0 : -EINVAL;
	case K_DNS_QUERY:
	case K_HTTP_PATH:
	case K_HTTP_URL:
		v->u.re = re_compile(text, err, errlen, field);
		return v->u.re ? 0 : -EINVAL;
	case K_LABEL:
		v->u.sel = sel_parse(text, err, errlen, field);
		return v->u.sel ? 0 : -errno;
	case K_IDENTITY: {
		int64_t r = dfl_identity__parse_reserved(text);

		if (r >= 0) {
			v->u.num = (uint32_t)r;
			return 0;
		}
		if (parse_u32(text, UINT32_MAX, &v->u.num))
			goto bad;
		return 0;
	}
	case K_PORT:
		if (parse_u32(text, 65535, &v->u.num))
			goto bad;
		return 0;
	case K_VERDICT:
		x = upper_enum(text, dfl_verdict__parse);
		if (x <= 0)
			goto bad;
		v->u.num = (uint32_t)x;
		return 0;
	case K_DROP_REASON:
		x = upper_enum(text, dfl_drop_reason__parse);
		if (x < 0)
			goto bad;
		v->u.num = (uint32_t)x;
		return 0;
	case K_DIRECTION:
		x = upper_enum(text, dfl_direction__parse);
		if (x < 0)
			goto bad;
		v->u.num = (uint32_t)x;
		return 0;
	case K_EVENT_TYPE: {
		char type[32];
		uint32_t n;

		colon = strchr(text, ':');
		snprintf(type, sizeof(type), "%.*s",
			 (int)(colon ? colon - text : (long)strlen(text)), text);
		x = dfl_event_type__parse(type);
		if (x < 0 && parse_u32(type, INT32_MAX, &n) == 0)
			x = (int)n;
		if (x < 0)
			goto bad;
		v->u.et.type = x;
		if (colon) {
			v->u.et.match_sub = true;
			if (x == DFL_EVENT_TRACE &&
			    (x = dfl_trace_sub_type__parse(colon + 1)) >= 0)
				v->u.et.sub = x;
			else if (parse_u32(colon + 1, INT32_MAX, &n) == 0)
				v->u.et.sub = (int32_t)n;
			else
				goto bad;
		}
		return 0;
	}
	case K_HTTP_STATUS: {
		size_t n = strlen(text);
		bool plus = n && text[n - 1] == '+';

		if (!n || n - plus > 3 || (plus && n == 1))
			goto bad;
		for (size_t i = 0; i < n - plus; i++)
			if (!isdigit((unsigned char)text[i]))
				goto bad;
		if (!plus && n != 3)
			goto bad;
		v->u.str = strndup(text, n - plus);
		v->str2 = plus ? strdup("+") : NULL;
		return v->u.str ? 0 : -ENOMEM;
	}
	case K_PROTOCOL:
		for (size_t i = 0; i < DFL_ARRAY_SIZE(protocols); i++) {
			if (!strcasecmp(text, protocols[i])) {
				v->u.num = (uint32_t)i;
				return 0;
			}
		}
		goto bad;
	case K_REPLY:
		if (!strcasecmp(text, "true"))
			v->u.num = 1;
		else if (!strcasecmp(text, "false"))
			v->u.num = 0;
		else
			goto bad;
		return 0;
	case K_HTTP_HEADER:
		colon = strchr(text, ':');
		if (!colon || colon == text)
			goto bad;
		v->u.str = strndup(text, (size_t)(colon - text));
		v->str2 = strdup(colon + 1);
		return v->u.str && v->str2 ? 0 : -ENOMEM;
	case K_TCP_FLAGS: {
		uint16_t fl;

		if (parse_tcp_flags(text, &fl))
			goto bad;
		v->u.num = fl;
		return 0;
	}
	case K_IP_VERSION:
		if (!strcasecmp(text, "IPv4") || !strcasecmp(text, "v4") ||
		    !strcmp(text, "4"))
			v->u.num = 4;
		else if (!strcasecmp(text, "IPv6") || !strcasecmp(text, "v6") ||
			 !strcmp(text, "6"))
			v->u.num = 6;
		else if (!strcasecmp(text, "IP_NOT_USED") ||
			 !strcasecmp(text, "none"))
			v->u.num = 0;
		else
			goto bad;
		return 0;
	case K_HTTP_METHOD:
	case K_NODE_NAME:
	case K_UUID:
		v->u.str = strdup(text);
		return v->u.str ? 0 : -ENOMEM;
	}
bad:
	return ferr(err, errlen, "%s: invalid value '%s'", field, text);
}

struct dfl_flow_filter *dfl_flow_filter__new(void)
{
	return calloc(1, sizeof(struct dfl_flow_filter));
}

void dfl_flow_filter__free(struct dfl_flow_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < N_FIELDS; i++) {
		for (size_t j = 0; j < f->f[i].n; j++)
			value_release(fields[i].kind, &f->f[i].items[j]);
		free(f->f[i].items);
	}
	free(f);
}

int dfl_flow_filter__add(struct dfl_flow_filter *f, const char *field,
			 const char *value, char *err, size_t errlen)
{
	const struct field_def *def;
	struct value v = { 0 }, *slot;
	size_t idx;
	int ret;

	def = field_find(field, &idx);
	if (!def)
		return ferr(err, errlen, "unknown flow filter field '%s'", field);
	v.text = strdup(value);
	if (!v.text)
		return -ENOMEM;
	ret = value_parse(def, value, &v, err, errlen);
	if (!ret) {
		slot = DFL_PUSH(f->f[idx].items, f->f[idx].n, f->f[idx].cap);
		if (slot)
			*slot = v;
		else
			ret = -ENOMEM;
	}
	if (ret)
		value_release(def->kind, &v);
	return ret;
}

bool dfl_flow_filter__is_empty(const struct dfl_flow_filter *f)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (f->f[i].n)
			return false;
	return true;
}

bool dfl_flow_filter__has(const struct dfl_flow_filter *f, const char *field)
{
	size_t idx;

	return field_find(field, &idx) && f->f[idx].n;
}

bool dfl_flow_filter__equal(const struct dfl_flow_filter *a,
			    const struct dfl_flow_filter *b)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		if (a->f[i].n != b->f[i].n)
			return false;
		for (size_t j = 0; j < a->f[i].n; j++)
			if (strcmp(a->f[i].items[j].text, b->f[i].items[j].text))
				return false;
	}
	return true;
}

/* ---- matching ----------------------------------------------------------- */

static bool ip_match(const struct value *v, const struct dfl_flow *f,
		     enum side side)
{
	const uint8_t *a = side == SRC ? f->ip.source : f->ip.destination;
	int bits = v->u.ip.prefix;

	if (f->ip.version != v->u.ip.version)
		return false;
	if (memcmp(a, v->u.ip.addr, (size_t)(bits / 8)))
		return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		return (a[bits / 8] & mask) == (v->u.ip.addr[bits / 8] & mask);
	}
	return true;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s ? s : "", prefix, strlen(prefix));
}

static bool pod_match(const struct value *v, const char *ns, const char *name)
{
	if ((!ns || !*ns) && (!name || !*name))
		return false;
	if (*v->u.pod.ns && strcmp(v->u.pod.ns, ns ? ns : ""))
		return false;
	return has_prefix(name, v->u.pod.name);
}

static bool l4_ports(const struct dfl_flow *f)
{
	return f->l4.proto == DFL_L4_TCP || f->l4.proto == DFL_L4_UDP ||
	       f->l4.proto == DFL_L4_SCTP;
}

static bool protocol_match(uint32_t idx, const struct dfl_flow *f)
{
	const char *p = protocols[idx];

	if (!strcmp(p, "tcp"))
		return f->l4.proto == DFL_L4_TCP;
	if (!strcmp(p, "udp"))
		return f->l4.proto == DFL_L4_UDP;
	if (!strcmp(p, "sctp"))
		return f->l4.proto == DFL_L4_SCTP;
	if (!strcmp(p, "icmp"))
		return f->l4.proto == DFL_L4_ICMPV4 || f->l4.proto == DFL_L4_ICMPV6;
	if (!strcmp(p, "icmpv4"))
		return f->l4.proto == DFL_L4_ICMPV4;
	if (!strcmp(p, "icmpv6"))
		return f->l4.proto == DFL_L4_ICMPV6;
	if (!strcmp(p, "http"))
		return f->l7.proto == DFL_L7_PROTO_HTTP;
	if (!strcmp(p, "dns"))
		return f->l7.proto == DFL_L7_PROTO_DNS;
	return false; /* kafka, vrrp, igmp: never produced by deflector */
}

/* The path of an HTTP URL as url.ParseRequestURI gives it: after the
 * authority, before '?' and '#', percent-decoded. */
static size_t url_path(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://"), *end;
	size_t n = 0;

	p = p ? strchr(p + 3, '/') : url;
	if (!p)
		p = "";
	end = p + strcspn(p, "?#");
	for (; p < end && n + 1 < cap; p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], 0 };

			out[n++] = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return n;
}

static bool value_match(const struct field_def *def, const struct value *v,
			const struct dfl_flow *f)
{
	const struct dfl_flow_endpoint *ep =
		def->side == DST ? &f->destination : &f->source;
	const struct dfl_flow_service *svc =
		def->side == DST ? &f->destination_service : &f->source_service;

	switch (def->kind) {
	case K_UUID:
		return !strcmp(f->uuid, v->u.str);
	case K_IP:
		return ip_match(v, f, def->side);
	case K_POD:
		return pod_match(v, ep->namespace, ep->pod_name);
	case K_SERVICE:
		return pod_match(v, svc->namespace, svc->name);
	case K_FQDN: {
		const char **names = def->side == DST ? f->destination_names :
							 f->source_names;
		size_t n = def->side == DST ? f->n_destination_names :
					      f->n_source_names;

		for (size_t i = 0; i < n; i++)
			if (names[i] && re_match(v->u.re, names[i], strlen(names[i])))
				return true;
		return false;
	}
	case K_LABEL:
		return sel_match(v->u.sel, ep);
	case K_IDENTITY:
		return ep->identity == v->u.num;
	case K_WORKLOAD:
		for (size_t i = 0; i < ep->n_workloads; i++) {
			const struct dfl_flow_workload *w = &ep->workloads[i];

			if ((!*v->u.wl.kind ||
			     !strcmp(v->u.wl.kind, w->kind ? w->kind : "")) &&
			    (!*v->u.wl.name ||
			     !strcmp(v->u.wl.name, w->name ? w->name : "")))
				return true;
		}
		return false;
	case K_PORT:
		return l4_ports(f) &&
		       (def->side == DST ? f->l4.destination_port :
					   f->l4.source_port) == v->u.num;
	case K_VERDICT:
		return f->verdict == v->u.num;
	case K_DROP_REASON:
		return f->verdict == DFL_VERDICT_DROPPED &&
		       f->drop_reason == v->u.num;
	case K_DIRECTION:
		return f->traffic_direction == v->u.num;
	case K_EVENT_TYPE:
		return f->event_type == v->u.et.type &&
		       (!v->u.et.match_sub || f->event_sub_type == v->u.et.sub);
	case K_HTTP_STATUS: {
		char code[16];

		if (f->l7.proto != DFL_L7_PROTO_HTTP || !f->l7.http.code)
			return false;
		snprintf(code, sizeof(code), "%u", f->l7.http.code);
		return v->str2 ? has_prefix(code, v->u.str) :
				 !strcmp(code, v->u.str);
	}
	case K_PROTOCOL:
		return protocol_match(v->u.num, f);
	case K_REPLY:
		if (f->is_reply == DFL_REPLY_UNKNOWN)
			/* drops are never replies */
			return f->verdict == DFL_VERDICT_DROPPED && !v->u.num;
		return (f->is_reply == DFL_REPLY_YES) == (v->u.num == 1);
	case K_DNS_QUERY:
		return f->l7.proto == DFL_L7_PROTO_DNS && f->l7.dns.query &&
		       re_match(v->u.re, f->l7.dns.query, strlen(f->l7.dns.query));
	case K_HTTP_METHOD:
		return f->l7.proto == DFL_L7_PROTO_HTTP && f->l7.http.method &&
		       !strcasecmp(f->l7.http.method, v->u.str);
	case K_HTTP_PATH: {
		char path[4096];
		size_t n;

		if (f->l7.proto != DFL_L7_PROTO_HTTP || !f->l7.http.url)
			return false;
		n = url_path(f->l7.http.url, path, sizeof(path));
		return re_match(v->u.re, path, n);
	}
	case K_HTTP_URL:
		return f->l7.proto == DFL_L7_PROTO_HTTP && f->l7.http.url &&
		       re_match(v->u.re, f->l7.http.url, strlen(f->l7.http.url));
	case K_HTTP_HEADER:
		if (f->l7.proto != DFL_L7_PROTO_HTTP)
			return false;
		for (size_t i = 0; i < f->l7.http.n_headers; i++) {
			const struct dfl_flow_http_header *h = &f->l7.http.headers[i];

			if (h->key && h->value && !strcmp(h->key, v->u.str) &&
			    !strcmp(h->value, v->str2))
				return true;
		}
		return false;
	case K_TCP_FLAGS:
		return f->l4.proto == DFL_L4_TCP &&
		       (f->l4.tcp_flags & v->u.num) == v->u.num;
	case K_NODE_NAME: {
		const char *node = f->node_name ? f->node_name : "";
		const char *slash = strrchr(node, '/');

		if (!fnmatch(v->u.str, node, 0))
			return true;
		/* a pattern without a cluster matches the node part */
		return !strchr(v->u.str, '/') && slash &&
		       !fnmatch(v->u.str, slash + 1, 0);
	}
	case K_IP_VERSION:
		return f->ip.version == v->u.num;
	}
	return false;
}

bool dfl_flow_filter__match(const struct dfl_flow_filter *flt,
			    const struct dfl_flow *flow)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct values *vs = &flt->f[i];
		bool any = false;

		if (!vs->n)
			continue;
		for (size_t j = 0; j < vs->n && !any; j++)
			any = value_match(&fields[i], &vs->items[j], flow);
		if (!any)
			return false;
	}
	return true;
}

/* ---- lists -------------------------------------------------------------- */

int dfl_flow_filters__push(struct dfl_flow_filters *l,
			   struct dfl_flow_filter *f)
{
	struct dfl_flow_filter **slot = DFL_PUSH(l->items, l->n, l->cap);

	if (!slot) {
		dfl_flow_filter__free(f);
		return -ENOMEM;
	}
	*slot = f;
	return 0;
}

bool dfl_flow_filters__apply(const struct dfl_flow_filters *allow,
			     const struct dfl_flow_filters *deny,
			     const struct dfl_flow *flow)
{
	bool ok = !allow || !allow->n;

	for (size_t i = 0; !ok && i < allow->n; i++)
		ok = dfl_flow_filter__match(allow->items[i], flow);
	for (size_t i = 0; ok && deny && i < deny->n; i++)
		if (dfl_flow_filter__match(deny->items[i], flow))
			return false;
	return ok;
}

void dfl_flow_filters__release(struct dfl_flow_filters *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		dfl_flow_filter__free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* ---- JSON --------------------------------------------------------------- */

/* One JSON list element of a FlowFilter field as the text form add() takes. */
static int json_item_text(const struct field_def *def, json_t *item,
			  struct dfl_strbuf *out)
{
	json_t *a, *b;

	switch (def->kind) {
	case K_EVENT_TYPE:
		if (!json_is_object(item))
			return -EINVAL;
		a = json_object_get(item, "type");
		if (a && !json_is_integer(a))
			return -EINVAL;
		dfl_strbuf__printf(out, "%lld", a ? json_integer_value(a) : 0LL);
		b = json_object_get(item, "match_sub_type");
		if (!b)
			b = json_object_get(item, "matchSubType");
		if (b && json_is_true(b)) {
			a = json_object_get(item, "sub_type");
			if (!a)
				a = json_object_get(item, "subType");
			if (a && !json_is_integer(a))
				return -EINVAL;
			dfl_strbuf__printf(out, ":%lld",
					   a ? json_integer_value(a) : 0LL);
		}
		return 0;
	case K_TCP_FLAGS: {
		const char *k;
		json_t *v;
		bool first = true;

		if (!json_is_object(item))
			return -EINVAL;
		json_object_foreach(item, k, v) {
			if (!json_is_boolean(v))
				return -EINVAL;
			if (json_is_true(v)) {
				dfl_strbuf__printf(out, "%s%s", first ? "" : ",", k);
				first = false;
			}
		}
		return 0;
	}
	case K_WORKLOAD:
	case K_HTTP_HEADER:
		if (!json_is_object(item))
			return -EINVAL;
		a = json_object_get(item, def->kind == K_WORKLOAD ? "kind" : "key");
		b = json_object_get(item, def->kind == K_WORKLOAD ? "name" : "value");
		if ((a && !json_is_string(a)) || (b && !json_is_string(b)))
			return -EINVAL;
		dfl_strbuf__printf(out, "%s%s%s", a ? json_string_value(a) : "",
				   def->kind == K_WORKLOAD ? "/" : ":",
				   b ? json_string_value(b) : "");
		return 0;
	case K_REPLY:
		if (!json_is_boolean(item))
			return -EINVAL;
		dfl_strbuf__puts(out, json_is_true(item) ? "true" : "false");
		return 0;
	default:
		if (json_is_string(item))
			dfl_strbuf__puts(out, json_string_value(item));
		else if (json_is_integer(item))
			dfl_strbuf__printf(out, "%lld", json_integer_value(item));
		else
			return -EINVAL;
		return 0;
	}
}

/* lowerCamel JSON names are accepted as protojson does */
static const struct field_def *field_find_json(const char *k, size_t *idx)
{
	char proto[64];
	size_t n = 0;

	for (const char *c = k; *c && n + 2 < sizeof(proto); c++) {
		if (*c >= 'A' && *c <= 'Z') {
			proto[n++] = '_';
			proto[n++] = (char)(*c + 32);
		} else {
			proto[n++] = *c;
		}
	}
	proto[n] = '\0';
	return field_find(proto, idx);
}

static int filter_from_json(json_t *obj, struct dfl_flow_filter **out,
			    char *err, size_t errlen)
{
	struct dfl_flow_filter *f = dfl_flow_filter__new();
	const char *k;
	json_t *v, *item;
	size_t i;
	int ret = 0;

	if (!f)
		return -ENOMEM;
	json_object_foreach(obj, k, v) {
		const struct field_def *def;
		size_t idx;

		def = field_find_json(k, &idx);
		if (!def) {
			ret = ferr(err, errlen, "unknown flow filter field '%s'", k);
			break;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_array(v)) {
			ret = ferr(err, errlen, "%s: expected a list", def->name);
			break;
		}
		json_array_foreach(v, i, item) {
			struct dfl_strbuf text = { 0 };

			ret = json_item_text(def, item, &text);
			if (ret)
				ret = ferr(err, errlen, "%s: item %zu has the wrong type",
					   def->name, i);
			else
				ret = dfl_flow_filter__add(f, def->name,
							   dfl_strbuf__str(&text),
							   err, errlen);
			dfl_strbuf__release(&text);
			if (ret)
				break;
		}
		if (ret)
			break;
	}
	if (ret) {
		dfl_flow_filter__free(f);
		return ret;
	}
	*out = f;
	return 0;
}

int dfl_flow_filters__parse_json(struct dfl_flow_filters *l, const char *text,
				 char *err, size_t errlen)
{
	size_t off = 0, len = strlen(text);

	while (off < len) {
		json_error_t jerr;
		json_t *obj;
		struct dfl_flow_filter *f = NULL;
		int ret;

		while (off < len && isspace((unsigned char)text[off]))
			off++;
		if (off == len)
			break;
		obj = json_loadb(text + off, len - off,
				 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
				 &jerr);
		if (!obj)
			return ferr(err, errlen, "flow filter at byte %zu: %s",
				    off + (jerr.position > 0 ? (size_t)jerr.position - 1 : 0),
				    jerr.text);
		off += (size_t)jerr.position;
		if (!json_is_object(obj)) {
			json_decref(obj);
			return ferr(err, errlen, "flow filter: expected a JSON object");
		}
		ret = filter_from_json(obj, &f, err, errlen);
		json_decref(obj);
		if (!ret)
			ret = dfl_flow_filters__push(l, f);
		if (ret)
			return ret;
	}
	return 0;
}

int dfl_flow_filter__to_json(const struct dfl_flow_filter *f,
			     struct dfl_strbuf *out)
{
	bool first = true;

	dfl_strbuf__putc(out, '{');
	for (size_t i = 0; i < N_FIELDS; i++) {
		if (!f->f[i].n)
			continue;
		dfl_strbuf__printf(out, "%s\"%s\":[", first ? "" : ",",
				   fields[i].name);
		first = false;
		for (size_t j = 0; j < f->f[i].n; j++) {
			if (j)
				dfl_strbuf__putc(out, ',');
			dfl_json__put_string(out, f->f[i].items[j].text);
		}
		dfl_strbuf__putc(out, ']');
	}
	dfl_strbuf__putc(out, '}');
	return out->err;
}
