/* Drop reason names and texts (Cilium's numbers). The numbers themselves are
 * bpf/include/dfl_drop_reasons.h, shared with the BPF programs. */
#ifndef DFL_UTIL_DROP_REASON_H
#define DFL_UTIL_DROP_REASON_H

/* Codes below this are not drop reasons (0 means "not dropped"). */
#define DFL_DROP_MIN 130

/* flow.proto enum name ("POLICY_DENIED"); "DROP_REASON_UNKNOWN" for 0; NULL
 * for a code without a name. */
const char *dfl_drop_reason__name(unsigned int code);
/* Cilium's text ("Policy denied"), or NULL for an unknown code. */
const char *dfl_drop_reason__text(unsigned int code);
/* The code of an enum name, or -1. */
int dfl_drop_reason__parse(const char *name);

#endif
