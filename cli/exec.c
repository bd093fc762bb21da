/* `deflector exec POD -- COMMAND...`: runs COMMAND inside a pod, like
 * `kubectl exec`: in the pod's network namespace, with the pod's hosts file
 * as /etc/hosts and the pod's name as host name (agent/enter.h). stdin,
 * stdout and stderr pass straight through and the exit code is COMMAND's
 * own: deflector replaces itself with it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/enter.h"
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/commands.h"

static const char usage[] =
	"Usage: deflector exec [-n NAMESPACE] [--socket PATH] POD [--] COMMAND [ARG...]\n"
	"\n"
	"Runs COMMAND in pod POD (a name in NAMESPACE, default \"default\";\n"
	"NAMESPACE/NAME; or an endpoint id): in its network namespace, with its\n"
	"hosts file as /etc/hosts (Service and pod names resolve) and its name\n"
	"as host name. Standard input, output and error pass through; the exit\n"
	"code is COMMAND's (127: not found, 126: not executable). Needs root.\n"
	"\n"
	"Options:\n"
	"  -n, --namespace NS  namespace of POD (default \"default\")\n"
	"  --socket PATH       the agent's control socket\n"
	"  -h, --help          this help\n";

int dfl_cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "namespace", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *ns = NULL, *socket = NULL, *pod;
	struct dfl_pod_enter enter;
	json_t *req, *ep = NULL;
	char err[1024];
	int c, ret, dashdash;

	/* With "--", options may come anywhere before it (kubectl's way);
	 * without, they end at POD so that COMMAND's options stay its own. */
	for (dashdash = 1; dashdash < argc && strcmp(argv[dashdash], "--");
	     dashdash++)
		;
	optind = 1;
	while ((c = getopt_long(dashdash < argc ? dashdash : argc, argv,
				dashdash < argc ? "n:h" : "+n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 's':
			socket = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return DFL_EXIT_OK;
		default:
			fputs(usage, stderr);
			return DFL_EXIT_USAGE;
		}
	}
	if (optind >= (dashdash < argc ? dashdash : argc)) {
		fprintf(stderr, "deflector: exec: which pod? (deflector exec POD -- COMMAND)\n");
		return DFL_EXIT_USAGE;
	}
	pod = argv[optind++];
	if (dashdash < argc) {
		if (optind != dashdash) {
			fprintf(stderr, "deflector: exec: unexpected argument '%s' before '--'\n",
				argv[optind]);
			return DFL_EXIT_USAGE;
		}
		optind = dashdash + 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "deflector: exec: no command to run in %s (deflector exec POD -- COMMAND)\n",
			pod);
		return DFL_EXIT_USAGE;
	}
	req = json_pack("{s:s, s:s, s:s?}", "op", "endpoint.get", "endpoint", pod,
			"namespace", ns);
	ret = dfl_client__request(socket, "exec", false, req, &ep);
	json_decref(req);
	if (ret)
		return ret;
	enter = (struct dfl_pod_enter){
		.netns = json_string_value(json_object_get(ep, "netns")),
		.hosts_path = json_string_value(json_object_get(ep, "hostsFile")),
		.resolv_path = json_string_value(json_object_get(ep, "resolvFile")),
		.hostname = json_string_value(json_object_get(ep, "name")),
	};
	if (!enter.netns) {
		fprintf(stderr, "deflector: exec: the agent's answer names no network namespace\n");
		json_decref(ep);
		return DFL_EXIT_FAIL;
	}
	ret = dfl_pod__enter(&enter, err, sizeof(err));
	json_decref(ep);
	if (ret) {
		fprintf(stderr, "deflector: exec: %s\n", err);
		return DFL_EXIT_FAIL;
	}
	execvp(argv[optind], argv + optind);
	ret = errno;
	fprintf(stderr, "deflector: exec: %s: %s\n", argv[optind],
		ret == ENOENT ? "command not found" : strerror(ret));
	return ret == ENOENT ? 127 : 126;
}
