/* libFuzzer target: any bytes through crd/'s loader (YAML or JSON sniffing,
 * decoding, validation), then everything freed. ASan and UBSan report
 * crashes, leaks and undefined behaviour; libFuzzer reports hangs. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crd/objects.h"
#include "util/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfl_objects *objs = dfl_objects__new();
	struct dfl_diags diags = {0};
	struct dfl_load_stats stats = {0};
	FILE *null = fopen("/dev/null", "w");

	if (!objs)
		return 0;
	dfl_objects__load_buffer(objs, "fuzz.yaml", (const char *)data, size,
				 &diags, &stats);
	/* Printing walks every message, path and position. */
	for (size_t i = 0; null && i < diags.n; i++)
		dfl_diag__print(null, &diags.items[i]);
	if (null)
		fclose(null);
	dfl_diags__release(&diags);
	dfl_objects__free(objs);
	return 0;
}
