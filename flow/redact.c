/* L7 redaction (flow/redact.h), after Hubble's seven/http.go filteredURL
 * and filterHeader. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flow/redact.h"

static const char *const default_deny[] = {
	"authorization",
	"proxy-authorization",
	"cookie",
	"set-cookie",
};

void dfl_redact_config__defaults(struct dfl_redact_config *c)
{
	*c = (struct dfl_redact_config){
		.enabled = true,
		.http_urlquery = true,
		.http_userinfo = true,
		.headers_deny = default_deny,
		.n_headers_deny = sizeof(default_deny) / sizeof(default_deny[0]),
	};
}

int dfl_redact_config__check(const struct dfl_redact_config *c, char *err,
			     size_t errlen)
{
	if (c->n_headers_allow && c->n_headers_deny) {
		snprintf(err, errlen, "redaction: headers allow and deny lists "
			 "cannot both be set");
		return -EINVAL;
	}
	return 0;
}

static bool listed(const char *const *list, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(list[i], key))
			return true;
	return false;
}

/* Hubble's filterHeader rules, in order. */
static bool keep_header(const struct dfl_redact_config *c, const char *key)
{
	if (!c->n_headers_allow && !c->n_headers_deny)
		return false;
	if (listed(c->headers_allow, c->n_headers_allow, key))
		return true;
	if (listed(c->headers_deny, c->n_headers_deny, key))
		return false;
	return !c->n_headers_allow;
}

/* Rewrites <url> into <out>: the query and fragment dropped (urlquery), the
 * password of "user:password@" replaced (userinfo). Returns true when the
 * URL changed. */
static bool redact_url(const struct dfl_redact_config *c, const char *url,
		       struct dfl_strbuf *out)
{
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : url;
	const char *path = auth + strcspn(auth, "/?#");
	const char *at = NULL, *colon, *cut;
	size_t end = strlen(url);
	bool changed = false;

	/* userinfo ends at the last '@' of the authority */
	for (const char *p = auth; scheme && p < path; p++)
		if (*p == '@')
			at = p;
	cut = path + strcspn(path, "?#");
	if (c->http_urlquery && *cut) {
		end = (size_t)(cut - url);
		changed = true;
	}
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (c->http_userinfo && colon) {
		dfl_strbuf__append(out, url, (size_t)(colon + 1 - url));
		dfl_strbuf__puts(out, DFL_REDACTED);
		dfl_strbuf__append(out, at, end - (size_t)(at - url));
		return true;
	}
	dfl_strbuf__append(out, url, end);
	return changed;
}

int dfl_redact__flow(const struct dfl_redact_config *c, struct dfl_flow *f,
		     struct dfl_strbuf *scratch)
{
	struct dfl_flow_http *h = &f->l7.http;

	if (!c->enabled || f->l7.proto != DFL_L7_PROTO_HTTP)
		return 0;
	for (size_t i = 0; i < h->n_headers; i++)
		if (h->headers[i].key && !keep_header(c, h->headers[i].key))
			h->headers[i].value = DFL_REDACTED;
	if (h->url) {
		dfl_strbuf__reset(scratch);
		if (redact_url(c, h->url, scratch)) {
			if (scratch->err)
				return scratch->err;
			h->url = dfl_strbuf__str(scratch);
		}
	}
	f->summary = NULL;
	return 0;
}
