/* Redaction of L7 data in flow records (Hubble's --hubble-redact-* options,
 * docs/flows.md "Redaction"). Unlike Hubble, deflector redacts by default:
 * URL query strings and fragments, passwords in URLs, and the credential
 * headers Authorization, Proxy-Authorization, Cookie and Set-Cookie.
 * The proxy integration calls dfl_redact__flow() on every L7 record before
 * it reaches the ring, the exporter or metrics. DNS records, L3/L4 fields
 * and labels are never redacted (as in Hubble). */
#ifndef DFL_FLOW_REDACT_H
#define DFL_FLOW_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "flow/flow-t.h"
#include "util/strbuf.h"

/* Hubble's replacement text (pkg/hubble/defaults SensitiveValueRedacted). */
#define DFL_REDACTED "HUBBLE_REDACTED"

struct dfl_redact_config {
	bool enabled;	    /* --hubble-redact-enabled */
	bool http_urlquery; /* --hubble-redact-http-urlquery */
	bool http_userinfo; /* --hubble-redact-http-userinfo */
	/* --hubble-redact-http-headers-allow / -deny (lower case or not;
	 * compared case-insensitively). Both set is an error. */
	const char *const *headers_allow;
	size_t n_headers_allow;
	const char *const *headers_deny;
	size_t n_headers_deny;
};

/* deflector's defaults (see above). */
void dfl_redact_config__defaults(struct dfl_redact_config *c);
/* Hubble's validation: allow and deny lists together are an error.
 * Returns 0 or -EINVAL with a message in <err>. */
int dfl_redact_config__check(const struct dfl_redact_config *c, char *err,
			     size_t errlen);

/* Redacts <f>'s HTTP data in place. Header values that must go are pointed
 * at the static DFL_REDACTED; a rewritten URL is written to <scratch>, which
 * the caller keeps alive (and unchanged) until the flow has been handed to
 * the ring/exporter, which copy it. The Summary is reset to NULL so that it
 * is derived from the redacted fields. Returns 0 or -ENOMEM. */
int dfl_redact__flow(const struct dfl_redact_config *c, struct dfl_flow *f,
		     struct dfl_strbuf *scratch);

#endif
