#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "util/strbuf.h"

bool dfl_cmd_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help") ||
	       !strcmp(arg, "help");
}

void dfl_cmd_print_table(FILE *out, const struct dfl_cmd *cmds)
{
	fprintf(out, "Commands:\n");
	for (const struct dfl_cmd *c = cmds; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
}

int dfl_cmd_dispatch(const char *path, const struct dfl_cmd *cmds,
		     const char *usage, int argc, char **argv)
{
	const struct dfl_cmd *match = NULL;
	size_t len;
	int n_match = 0;

	if (argc < 1 || dfl_cmd_is_help(argv[0])) {
		FILE *out = argc < 1 ? stderr : stdout;

		fputs(usage, out);
		dfl_cmd_print_table(out, cmds);
		fprintf(out, "\nRun '%s COMMAND --help' for a command's options.\n",
			path);
		return argc < 1 ? DFL_EXIT_USAGE : DFL_EXIT_OK;
	}
	len = strlen(argv[0]);
	for (const struct dfl_cmd *c = cmds; c->name; c++) {
		if (!strcmp(c->name, argv[0]))
			return c->fn(argc, argv);
		if (!strncmp(c->name, argv[0], len)) {
			match = c;
			n_match++;
		}
	}
	if (n_match == 1)
		return match->fn(argc, argv);
	fprintf(stderr, "deflector: %s: %s command '%s'; run '%s --help'\n",
		path, n_match ? "ambiguous" : "unknown", argv[0], path);
	return DFL_EXIT_USAGE;
}

static const char *const output_names[] = {
	[DFL_OUT_TEXT] = "text",   [DFL_OUT_JSON] = "json",
	[DFL_OUT_SARIF] = "sarif", [DFL_OUT_COMPACT] = "compact",
	[DFL_OUT_DICT] = "dict",   [DFL_OUT_TABLE] = "table",
	[DFL_OUT_JSONPB] = "jsonpb", [DFL_OUT_CSV] = "csv",
};

int dfl_cmd_parse_output(const char *cmd, const char *name, unsigned int allowed)
{
	struct dfl_strbuf names = { 0 };

	for (unsigned int i = 0; i < sizeof(output_names) / sizeof(*output_names); i++) {
		if (!(allowed & (1u << i)))
			continue;
		if (!strcmp(name, output_names[i])) {
			dfl_strbuf__release(&names);
			return (int)i;
		}
		dfl_strbuf__printf(&names, "%s%s", names.len ? ", " : "",
				   output_names[i]);
	}
	fprintf(stderr, "deflector: %s: unknown output format '%s' (one of: %s)\n",
		cmd, name, dfl_strbuf__str(&names));
	dfl_strbuf__release(&names);
	return -1;
}

void dfl_cmd_error(bool json, const char *cmd, const char *fmt, ...)
{
	struct dfl_strbuf msg = { 0 };
	va_list ap;

	va_start(ap, fmt);
	dfl_strbuf__vprintf(&msg, fmt, ap);
	va_end(ap);
	if (json) {
		json_t *o = json_pack("{s:s}", "error", dfl_strbuf__str(&msg));

		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(o);
		}
	} else {
		fprintf(stderr, "deflector: %s: %s\n", cmd, dfl_strbuf__str(&msg));
	}
	dfl_strbuf__release(&msg);
}
