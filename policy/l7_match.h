/* Pure L7 rule matchers: HTTP (rules.http) and DNS (rules.dns, toFQDNs).
 *
 * Used by the proxy on every request and by the offline `policy trace`; no
 * I/O, no global state. Semantics are Cilium's (reference cilium-policy.md
 * §4 and §5, docs/proxy.md):
 *
 * HTTP: method, path and host are RE2-style regexes matched against the
 * whole value (anchored at both ends); path sees the request target with its
 * query, host sees the authority with its port. Rules OR, fields within a
 * rule AND; `{}` matches everything, and an empty rule list allows every
 * request. Patterns RE2 would reject (backreferences, lookaround, possessive
 * or nested quantifiers, atomic groups, ...) are rejected when the matcher is
 * built. Matching is bounded: a match that exceeds its step budget (linear in
 * the subject's length) counts as "no match", so a request can never be
 * allowed by a runaway regex and never costs more than a fixed number of
 * steps per byte.
 *
 * DNS: matchName and matchPattern with Cilium V20's pattern language:
 * names are lower-cased and dot-terminated, `*` matches the characters of one
 * label, a leading `**.` matches one or more labels.
 *
 * Threading: a matcher owns its PCRE2 scratch space, so one matcher must not
 * be used by two threads at the same time. Building is the slow part; match
 * as often as you like.
 */
#ifndef DFL_POLICY_L7_MATCH_H
#define DFL_POLICY_L7_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "crd/crd-t.h"
#include "util/diag-t.h"

/* ---- RE2 dialect ------------------------------------------------------- */

/* Checks that <pattern> is a regex RE2 (Go's regexp) accepts and that we can
 * run with the same meaning. Returns 0, or -EINVAL with a one-sentence reason
 * naming the offending construct and its byte offset in <msg>. */
int dfl_re2__check(const char *pattern, char *msg, size_t msg_len);

/* ---- HTTP -------------------------------------------------------------- */

/* One request header as received; names compare case-insensitively. */
struct dfl_http_header_view {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* What a rule is matched against. Strings need not be NUL-terminated.
 * <path> is the request target in origin form with its query ("/a?b=1"),
 * NULL when the request has none (CONNECT): path rules then never match;
 * <host> is the authority (Host header or absolute-form target), NULL when
 * the request has none. */
struct dfl_http_request_view {
	const char *method;
	size_t method_len;
	const char *path;
	size_t path_len;
	const char *host;
	size_t host_len;
	const struct dfl_http_header_view *headers;
	size_t n_headers;
};

/* A headerMatches entry whose header was missing or different, with a
 * mismatch action other than "" (which simply fails the rule). The caller
 * applies it to the forwarded request: ADD appends "name: value", DELETE
 * removes every <name> header, REPLACE removes them and adds "name: value",
 * LOG only reports. Strings point into the matcher (name, value) and into the
 * request (present, NULL when the header was absent). */
struct dfl_http_header_action {
	enum dfl_header_mismatch action;
	size_t rule;  /* index of the rule in the list given to __new */
	size_t match; /* index in that rule's headerMatches */
	const char *name;
	const char *value;   /* the expected value ("" = presence) */
	const char *present; /* the value found (joined with ","), or NULL */
	size_t present_len;
};

#define DFL_HTTP_MAX_ACTIONS 32

/* Result of one request. */
struct dfl_http_verdict {
	bool allowed;
	/* Index of the first rule that matched, or -1: denied, or allowed by an
	 * empty rule list. */
	int rule;
	/* A regex ran out of its step budget or saw invalid UTF-8; the rules
	 * involved counted as not matching. For logs. */
	bool limit_hit;
	/* Header actions of every matching rule (Cilium evaluates all rules
	 * when any has headerMatches, to run their side effects). */
	struct dfl_http_header_action actions[DFL_HTTP_MAX_ACTIONS];
	size_t n_actions;
};

struct dfl_http_matcher;

/* Compiles <n> rules (borrowed only during the call). Every invalid regex or
 * header rule becomes an error in <diags> (may be NULL) naming the rule's
 * position and the field; the call then returns NULL with errno = EINVAL.
 * Rules whose headerMatches take their value from a Secret cannot be
 * evaluated here: they never match, and a warning says so. Returns NULL with
 * errno = ENOMEM on allocation failure. */
struct dfl_http_matcher *
dfl_http_matcher__new(const struct dfl_http_rule *rules, size_t n,
		      struct dfl_diags *diags);
void dfl_http_matcher__free(struct dfl_http_matcher *m);

/* Number of rules the matcher was built from. */
size_t dfl_http_matcher__n_rules(const struct dfl_http_matcher *m);

/* Matches one request; fills <out> completely. If the actions would not fit
 * in <out>, the request is denied (fail closed) with limit_hit set. */
void dfl_http_matcher__match(const struct dfl_http_matcher *m,
			     const struct dfl_http_request_view *req,
			     struct dfl_http_verdict *out);

/* Convenience for tests and `policy trace`: matches a single NUL-terminated
 * regex field value the way the matcher does (full match, RE2 dialect).
 * Returns 1 (match), 0 (no match) or a negative errno (invalid pattern). */
int dfl_http_regex__full_match(const char *pattern, const char *subject,
			       size_t len);

/* ---- DNS --------------------------------------------------------------- */

/* Returned by dfl_dns_matcher__match when nothing matched. */
#define DFL_DNS_NO_MATCH (-1)
/* Returned when the matcher has no selectors at all: Cilium lets every name
 * through a DNS rule list that is empty. */
#define DFL_DNS_MATCH_EMPTY (-2)

enum dfl_dns_matcher_flags {
	/* The DNS proxy's shortcut: a matchPattern of exactly "*" allows every
	 * query, even names with characters the pattern language cannot
	 * express. Without it "*" means its regex (any name made of
	 * [-a-zA-Z0-9_] labels, or "."), as toFQDNs selectors use it. */
	DFL_DNS_MATCH_PROXY = 1u << 0,
};

struct dfl_dns_matcher;

/* Compiles <n> selectors (borrowed only during the call). Invalid selectors
 * (both or neither field set, characters outside the pattern language, longer
 * than 255) become errors in <diags>; the call then returns NULL with errno =
 * EINVAL. */
struct dfl_dns_matcher *
dfl_dns_matcher__new(const struct dfl_fqdn_selector *sels, size_t n,
		     unsigned int flags, struct dfl_diags *diags);
void dfl_dns_matcher__free(struct dfl_dns_matcher *m);

/* Matches a query name in presentation form ("www.Cilium.io" or with its
 * trailing dot); it is lower-cased and dot-terminated first, as Cilium's proxy
 * does. Returns the index of the first matching selector, DFL_DNS_NO_MATCH or
 * DFL_DNS_MATCH_EMPTY. */
int dfl_dns_matcher__match(const struct dfl_dns_matcher *m, const char *name,
			   size_t len);

/* The anchored regex Cilium V20 derives from a matchPattern (<is_pattern>) or
 * a matchName, e.g. "*.cilium.io" -> "^[-a-zA-Z0-9_]*[.]cilium[.]io[.]$".
 * Writes a NUL-terminated string to <buf>. Returns the length, or -ENOSPC
 * when <len> is too small (needs at most 64 + 16 * strlen(pattern)). */
int dfl_fqdn__to_regex(const char *pattern, bool is_pattern, char *buf,
		       size_t len);

#endif
