/* `deflector status`: is enforcement healthy? The agent's node and endpoints
 * (`deflector agent status` prints the details) plus the engine: policies,
 * identities, whether the datapath was adopted from a previous run, the
 * proxy, and flow records seen and lost. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/commands.h"

static const char usage[] =
	"Usage: deflector status [-o text|json] [--socket PATH]\n"
	"\n"
	"Prints the health of the local agent: node, endpoints, policies,\n"
	"identities, the datapath (adopted from a previous agent or loaded), the\n"
	"L7 proxy, and flow records seen and lost. Exits 1 when the agent cannot\n"
	"be reached or events were lost.\n";

int dfl_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	json_t *req_a = json_pack("{s:s}", "op", "status");
	json_t *req_e = json_pack("{s:s}", "op", "engine.status");
	json_t *agent = NULL, *engine = NULL;
	const char *socket = NULL;
	bool json = false;
	int c, ret = DFL_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			c = dfl_cmd_parse_output("status", optarg,
						 1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);
			if (c < 0)
				goto out;
			json = c == DFL_OUT_JSON;
			break;
		case 's':
			socket = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			ret = DFL_EXIT_OK;
			goto out;
		default:
			fprintf(stderr, "Run 'deflector status --help' for the options.\n");
			goto out;
		}
	}
	ret = dfl_client__request(socket, "status", json, req_a, &agent);
	if (!ret)
		ret = dfl_client__request(socket, "status", json, req_e, &engine);
	if (ret)
		goto out;
	if (json) {
		json_t *both = json_pack("{s:O, s:O}", "agent", agent, "engine", engine);

		json_dumpf(both, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(both);
	} else {
		const json_t *eps = json_object_get(agent, "endpoints");

		printf("Node:        %s\n", json_string_value(json_object_get(agent, "node")));
		printf("Endpoints:   %lld (%lld ready)\n",
		       json_integer_value(json_object_get(eps, "total")),
		       json_integer_value(json_object_get(eps, "ready")));
		printf("Policies:    %lld\n", json_integer_value(json_object_get(engine, "policies")));
		printf("Identities:  %lld\n", json_integer_value(json_object_get(engine, "identities")));
		printf("Datapath:    %s\n",
		       json_is_true(json_object_get(engine, "datapath_adopted")) ?
			       "adopted from the previous agent (enforcement never stopped)" :
			       "loaded by this agent");
		printf("L7 proxy:    %s\n",
		       json_is_true(json_object_get(engine, "proxy")) ? "running" : "not running");
		if (json_object_get(engine, "fqdn"))
			printf("FQDNs:       %lld learned name-address pairs, %lld addresses mapped\n",
			       json_integer_value(json_object_get(json_object_get(engine, "fqdn"),
								  "learned")),
			       json_integer_value(json_object_get(json_object_get(engine, "fqdn"),
								  "addresses")));
		printf("Flows:       %lld seen, %lld datapath events lost\n",
		       json_integer_value(json_object_get(engine, "flows_seen")),
		       json_integer_value(json_object_get(engine, "events_lost")));
	}
	ret = json_integer_value(json_object_get(engine, "events_lost")) ? DFL_EXIT_FAIL :
									  DFL_EXIT_OK;
out:
	json_decref(req_a);
	json_decref(req_e);
	json_decref(agent);
	json_decref(engine);
	return ret;
}
