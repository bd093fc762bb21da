/* flow_export: feeds export lines (from a file or stdin) through deflector's
 * exporter, as the agent would feed records: for tests and demos of
 * rotation, compression, chains and `deflector audit`.
 *
 * Usage: flow_export [--max-size BYTES] [--compress] [--repeat N] OUT IN|- */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/exporter.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/reader.h"

int main(int argc, char **argv)
{
	struct dfl_exporter_config cfg = {.max_backups = 1000};
	struct dfl_exporter_stats st;
	struct dfl_exporter *e;
	long repeat = 1;
	char err[512];
	int i, bad = 0;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--max-size") && i + 1 < argc)
			cfg.max_size_bytes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--compress"))
			cfg.compress = true;
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: flow_export [--max-size BYTES] "
				"[--compress] [--repeat N] OUT IN|-\n");
		return 2;
	}
	cfg.file_path = argv[i];
	e = dfl_exporter__new(&cfg, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "flow_export: %s\n", err);
		return 2;
	}
	for (long r = 0; r < repeat && !bad; r++) {
		struct dfl_flow_source *src =
		    dfl_flow_source__open(argv[i + 1]);
		struct dfl_flow_record rec;
		const char *raw;
		size_t len;
		int ret;

		if (!src) {
			fprintf(stderr, "flow_export: %s: %s\n", argv[i + 1],
				strerror(errno));
			bad = 1;
			break;
		}
		while ((ret = dfl_flow_source__next(src, &rec, &raw, &len))) {
			if (ret < 0) {
				fprintf(stderr, "flow_export: %s\n",
					dfl_flow_source__error(src));
				bad = 1;
				break;
			}
			if (rec.kind == DFL_RECORD_FLOW) {
				dfl_flow__set_uuid(
				    rec.flow); /* each copy unique */
				dfl_exporter__export(e, rec.flow);
			}
			dfl_flow_record__release(&rec);
		}
		dfl_flow_source__close(src);
	}
	dfl_exporter__flush(e);
	dfl_exporter__stats(e, &st);
	dfl_exporter__free(e);
	fprintf(stderr, "flow_export: %llu lines, %llu lost, %llu rotations\n",
		(unsigned long long)st.exported, (unsigned long long)st.lost,
		(unsigned long long)st.rotations);
	return bad ? 2 : 0;
}
