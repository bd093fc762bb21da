/* Test helpers around the policy compiler: building one from th_* objects
 * and finding entries and verdicts. */
#ifndef DFL_TESTS_TP_H
#define DFL_TESTS_TP_H

#include "policy/compiler.h"
#include "tests/unit/helpers/th.h"

/* A compiler with default settings (cluster "default"). */
struct dfl_compiler *tp_compiler(void);
/* Adds pods/policies (NULL-terminated lists may be NULL), resolves, and
 * fails the test on any error. */
void tp_resolve(struct dfl_compiler *c);
uint32_t tp_identity(struct dfl_compiler *c, const char *ep);
const struct dfl_ep_policy *tp_policy(struct dfl_compiler *c, const char *ep);
/* The entry with exactly this key, or NULL. */
const struct dfl_map_entry *tp_entry(const struct dfl_ep_policy *p,
				     bool egress, uint32_t id, uint8_t proto,
				     uint16_t port, uint8_t plen);
/* Verdict shortcut: 0 allowed, else the drop reason. */
int tp_verdict(const struct dfl_ep_policy *p, bool egress, uint32_t remote,
	       uint8_t proto, uint16_t port);
/* The origin's field ("ingress[0]") of the entry deciding a packet, or
 * "(none)". */
const char *tp_decider(struct dfl_compiler *c, const struct dfl_ep_policy *p,
		       bool egress, uint32_t remote, uint8_t proto,
		       uint16_t port);
/* Prints an endpoint's entries (debugging aid for failing tests). */
void tp_dump(struct dfl_compiler *c, const struct dfl_ep_policy *p);

#endif
