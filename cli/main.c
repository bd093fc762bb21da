/* deflector: CiliumNetworkPolicy enforcement with eBPF and an L7 proxy.
 * `deflector OBJECT VERB [ARGS]`; every level answers --help. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/commands.h"

#ifndef DFL_VERSION
#define DFL_VERSION "0.1.0"
#endif

static const char usage[] =
	"Usage: deflector OBJECT COMMAND [OPTIONS]\n"
	"\n"
	"deflector enforces CiliumNetworkPolicy with eBPF and an in-process L7 proxy,\n"
	"and reports every decision as a Hubble-compatible flow.\n"
	"\n";

static const struct dfl_cmd objects[] = {
	{ "apply", dfl_cmd_apply, "apply manifests to the agent (kubectl apply -f)" },
	{ "delete", dfl_cmd_delete, "delete the objects of manifests (kubectl delete -f)" },
	{ "get", dfl_cmd_get, "list applied objects: cnp, ccnp, pods, ... (kubectl get)" },
	{ "identity", dfl_cmd_identity, "list security identities" },
	{ "status", dfl_cmd_status, "health of the agent, datapath, proxy and flows" },
	{ "agent", dfl_cmd_agent, "run the local-node agent (pods as network namespaces)" },
	{ "endpoint", dfl_cmd_endpoint, "list, inspect, create and delete endpoints" },
	{ "exec", dfl_cmd_exec, "run a command inside a pod" },
	{ "policy", dfl_cmd_policy, "lint, trace and map policy files offline" },
	{ "observe", dfl_cmd_observe, "print flow records as hubble observe does" },
	{ "audit", dfl_cmd_audit, "verify and report on exported flow logs" },
	{ "version", dfl_cmd_version, "print the version" },
	{ 0 },
};

int dfl_cmd_version(int argc, char **argv)
{
	if (argc > 1 && dfl_cmd_is_help(argv[1])) {
		printf("Usage: deflector version\n\nPrints deflector's version.\n");
		return DFL_EXIT_OK;
	}
	printf("deflector %s\n", DFL_VERSION);
	return DFL_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version"))
		return dfl_cmd_version(1, argv);
	return dfl_cmd_dispatch("deflector", objects, usage, argc - 1, argv + 1);
}
