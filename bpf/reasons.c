/* Names of match types. Drop reasons: util/drop_reason.h; verdicts:
 * flow/flow.h. */
#include <stddef.h>

#include "bpf/datapath.h"

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
