/* libFuzzer target for what reads exported flow files: the line reader and
 * record decoder (observe --input-file, audit report), the chain manifest
 * parser (audit verify, exporter restart), and what consumes decoded
 * records (compact printer, filters, metrics, re-encoding).
 *
 * Properties checked beyond "no crash": a decoded record re-encodes to a
 * line that decodes again and re-encodes to the same bytes, and every
 * encoded line stays within Hubble's 64 KiB line limit. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/filter.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/manifest.h"
#include "flow/metrics.h"
#include "flow/printer.h"
#include "flow/reader.h"

static struct dfl_flow_filters allow, deny;
static struct dfl_metrics *metrics;

static void init(void)
{
	static unsigned int runs;
	char err[256];

	/* a fresh registry now and then: series accumulate across inputs */
	if (metrics && ++runs % 256 == 0) {
		dfl_metrics__free(metrics);
		metrics = NULL;
	}
	if (metrics)
		return;
	metrics =
	    dfl_metrics__new("flow drop tcp dns httpV2 policy "
			     "port-distribution icmp "
			     "flow:labelsContext=source_pod,traffic_direction",
			     err, sizeof(err));
	if (!metrics)
		metrics = dfl_metrics__new(NULL, err, sizeof(err));
	if (allow.n)
		return;
	dfl_flow_filters__parse_json(
	    &allow,
	    "{\"source_pod\":[\"default/\"],\"http_path\":[\"^/v1\"]}"
	    "{\"source_label\":[\"k8s:app in "
	    "(a,b),!c\"],\"destination_ip\":[\"10.0.0.0/8\"]}"
	    "{\"event_type\":[{\"type\":1,\"match_sub_type\":true,\"sub_type\":"
	    "133}]}",
	    err, sizeof(err));
	dfl_flow_filters__parse_json(
	    &deny, "{\"destination_fqdn\":[\"*.example.com\"]}", err,
	    sizeof(err));
}

static void check_record(const struct dfl_flow *f)
{
	static const struct dfl_printer_opts opts[] = {
	    {.format = DFL_PRINT_COMPACT, .node_name = true},
	    {.format = DFL_PRINT_COMPACT,
	     .numeric = true,
	     .time_format = DFL_TIME_RFC3339_NANO},
	};
	struct dfl_strbuf a = {0}, b = {0}, text = {0};
	struct dfl_flow_record rec;
	struct dfl_json_error err;

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		dfl_flow__format_compact(f, &opts[i], &text);
	dfl_flow_filters__apply(&allow, &deny, f);
	dfl_metrics__observe(metrics, f);

	if (dfl_flow__to_json_line(f, NULL, &a))
		abort();
	if (a.len - 1 > DFL_FLOW_LINE_MAX)
		abort(); /* Hubble could not read it */
	if (dfl_flow_record__from_json(a.buf, a.len - 1, &rec, &err)) {
		fprintf(stderr, "own line does not decode: %s: %s\n%s",
			err.path, err.text, a.buf);
		abort();
	}
	if (dfl_flow__to_json_line(rec.flow, NULL, &b) ||
	    strcmp(a.buf, b.buf)) {
		fprintf(stderr, "re-encoding differs:\n%s%s", a.buf, b.buf);
		abort();
	}
	dfl_flow_record__release(&rec);
	dfl_strbuf__release(&a);
	dfl_strbuf__release(&b);
	dfl_strbuf__release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfl_manifest m;
	char err[256];
	int fds[2];

	init();
	/* the manifest parser sees the same bytes */
	if (!dfl_manifest__parse(&m, (const char *)data, size, err,
				 sizeof(err)))
		dfl_manifest__release(&m);

	/* the line reader and decoder, through a pipe as stdin would be */
	if (size > 60000 || pipe(fds))
		return 0;
	if (write(fds[1], data, size) != (ssize_t)size) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	close(fds[1]);
	{
		struct dfl_flow_source *src =
		    dfl_flow_source__from_fd(fds[0], "fuzz");
		struct dfl_flow_record rec;
		const char *raw;
		size_t len;
		int ret;

		while (src &&
		       (ret = dfl_flow_source__next(src, &rec, &raw, &len))) {
			if (ret == -EINVAL)
				continue; /* reported, skipped: as observe does
					   */
			if (ret < 0)
				break;
			if (rec.kind == DFL_RECORD_FLOW)
				check_record(rec.flow);
			dfl_flow_record__release(&rec);
		}
		dfl_flow_source__close(src);
	}
	return 0;
}
