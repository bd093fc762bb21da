#include <stdlib.h>
#include <string.h>

#include "agent/k8s_status.h"
#include "util/strbuf.h"

char *dfl_k8s_status__valid_patch(const json_t *object, bool valid,
				  const char *message, const char *now)
{
	const json_t *conds = json_object_get(json_object_get(object, "status"),
					      "conditions");
	const char *want = valid ? "True" : "False";
	const char *since = now;
	json_t *out_conds = json_array(), *cond, *patch;
	const json_t *c;
	char *body;
	size_t i;

	if (!message)
		message = valid ? DFL_POLICY_VALID_MESSAGE : "";
	json_array_foreach(conds, i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *status = json_string_value(json_object_get(c, "status"));
		const char *msg = json_string_value(json_object_get(c, "message"));

		if (!type || strcmp(type, "Valid")) {
			json_array_append(out_conds, (json_t *)c);
			continue;
		}
		if (status && !strcmp(status, want)) {
			if (msg && !strcmp(msg, message)) {
				json_decref(out_conds);
				return NULL; /* already says so */
			}
			/* Only the message changed: keep the transition time. */
			since = json_string_value(json_object_get(c, "lastTransitionTime"));
			if (!since)
				since = now;
		}
	}
	cond = json_pack("{s:s, s:s, s:s, s:s}", "type", "Valid", "status", want,
			 "lastTransitionTime", since, "message", message);
	json_array_append_new(out_conds, cond);
	patch = json_pack("{s:{s:o}}", "status", "conditions", out_conds);
	body = patch ? json_dumps(patch, JSON_COMPACT) : NULL;
	json_decref(patch);
	return body;
}

char *dfl_k8s_status__path(const char *ns, const char *name)
{
	struct dfl_strbuf sb = { 0 };

	if (ns && *ns)
		dfl_strbuf__printf(&sb, "/apis/cilium.io/v2/namespaces/%s/ciliumnetworkpolicies/%s/status",
				   ns, name);
	else
		dfl_strbuf__printf(&sb, "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/%s/status",
				   name);
	return dfl_strbuf__detach(&sb);
}
