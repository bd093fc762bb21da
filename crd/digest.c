#include <stdlib.h>

#include "crd/digest.h"

uint64_t dfl_content_digest(const json_t *root)
{
	static const char *const server_set[] = {
		"resourceVersion", "generation", "uid", "creationTimestamp",
		"managedFields", "selfLink",
	};
	json_t *copy = json_deep_copy(root), *meta, *ann;
	uint64_t h = 1469598103934665603ull;
	char *text;

	if (!copy)
		return 0;
	json_object_del(copy, "status");
	meta = json_object_get(copy, "metadata");
	for (size_t i = 0; i < sizeof(server_set) / sizeof(*server_set); i++)
		json_object_del(meta, server_set[i]);
	ann = json_object_get(meta, "annotations");
	json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(copy);
	if (!text)
		return 0;
	for (const char *p = text; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	free(text);
	return h ? h : 1;
}
