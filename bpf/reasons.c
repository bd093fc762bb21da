/* Names of drop reasons, verdicts and match types (the table itself is
 * bpf/include/dfl_drop_reasons.h, shared with BPF). */
#include <stddef.h>

#include "bpf/datapath.h"

const char *dfl_drop_reason__str(unsigned int reason)
{
	switch (reason) {
#define DFL_REASON_STR(sym, num, name, desc)                                   \
	case num:                                                              \
		return desc;
		DFL_DROP_REASON_TABLE(DFL_REASON_STR)
#undef DFL_REASON_STR
	default:
		return NULL;
	}
}

const char *dfl_drop_reason__name(unsigned int reason)
{
	switch (reason) {
#define DFL_REASON_NAME(sym, num, name, desc)                                  \
	case num:                                                              \
		return name;
		DFL_DROP_REASON_TABLE(DFL_REASON_NAME)
#undef DFL_REASON_NAME
	default:
		return NULL;
	}
}

const char *dfl_verdict__name(unsigned int verdict)
{
	static const char *const names[] = {
		[DFL_VERDICT_UNKNOWN] = "VERDICT_UNKNOWN",
		[DFL_VERDICT_FORWARDED] = "FORWARDED",
		[DFL_VERDICT_DROPPED] = "DROPPED",
		[DFL_VERDICT_ERROR] = "ERROR",
		[DFL_VERDICT_AUDIT] = "AUDIT",
		[DFL_VERDICT_REDIRECTED] = "REDIRECTED",
		[DFL_VERDICT_TRACED] = "TRACED",
		[DFL_VERDICT_TRANSLATED] = "TRANSLATED",
	};

	return verdict < sizeof(names) / sizeof(names[0]) ? names[verdict] :
							     NULL;
}

const char *dfl_policy_match__str(unsigned int match_type)
{
	static const char *const names[] = {
		[DFL_POLICY_MATCH_NONE] = "none",
		[DFL_POLICY_MATCH_L3_ONLY] = "L3-Only",
		[DFL_POLICY_MATCH_L3_L4] = "L3-L4",
		[DFL_POLICY_MATCH_L4_ONLY] = "L4-Only",
		[DFL_POLICY_MATCH_ALL] = "all",
		[DFL_POLICY_MATCH_L3_PROTO] = "L3-Proto",
		[DFL_POLICY_MATCH_PROTO_ONLY] = "Proto-Only",
	};

	return match_type < sizeof(names) / sizeof(names[0]) ?
		       names[match_type] :
		       NULL;
}
