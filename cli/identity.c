/* `deflector identity list`: security identities and their labels, as
 * `cilium identity list` prints them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/commands.h"

static const char list_usage[] =
	"Usage: deflector identity list [-o text|json] [--socket PATH]\n"
	"\n"
	"Lists the security identities the agent knows: reserved ones (host,\n"
	"world, ...), one per distinct label set of pods, and local identities of\n"
	"CIDRs and FQDNs, with their labels.\n";

static int identity_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *socket = NULL;
	json_t *req, *res = NULL, *it, *label;
	bool json = false;
	int c, ret;
	size_t i, j;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			c = dfl_cmd_parse_output("identity list", optarg,
						 1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);
			if (c < 0)
				return DFL_EXIT_USAGE;
			json = c == DFL_OUT_JSON;
			break;
		case 's':
			socket = optarg;
			break;
		case 'h':
			fputs(list_usage, stdout);
			return DFL_EXIT_OK;
		default:
			fprintf(stderr, "Run 'deflector identity list --help' for the options.\n");
			return DFL_EXIT_USAGE;
		}
	}
	req = json_pack("{s:s}", "op", "identity.list");
	ret = dfl_client__request(socket, "identity list", json, req, &res);
	json_decref(req);
	if (ret)
		return ret;
	if (json) {
		json_dumpf(json_object_get(res, "items"), stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		printf("%-10s %s\n", "ID", "LABELS");
		json_array_foreach(json_object_get(res, "items"), i, it) {
			printf("%-10lld ", json_integer_value(json_object_get(it, "id")));
			json_array_foreach(json_object_get(it, "labels"), j, label)
				printf("%s%s\n", j ? "           " : "",
				       json_string_value(label));
			if (!json_array_size(json_object_get(it, "labels")))
				printf("\n");
		}
	}
	json_decref(res);
	return DFL_EXIT_OK;
}

int dfl_cmd_identity(int argc, char **argv)
{
	static const struct dfl_cmd verbs[] = {
		{ "list", identity_list, "list security identities and their labels" },
		{ 0 },
	};

	return dfl_cmd_dispatch("deflector identity", verbs,
				"Usage: deflector identity COMMAND [OPTIONS]\n\n", argc - 1,
				argv + 1);
}
