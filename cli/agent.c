/* `deflector agent`: runs the local-node agent (agent/agent.h), removes
 * what it made (--cleanup), or asks a running one for its status. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/engine.h"
#include "agent/k8s_config.h"
#include "agent/netns.h"
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "util/log.h"

static const char usage[] =
	"Usage: deflector agent [OPTIONS]\n"
	"       deflector agent --cleanup [OPTIONS]\n"
	"       deflector agent status [--socket PATH] [-o text|json]\n"
	"\n"
	"Runs the local-node agent: pods become network namespaces with a veth\n"
	"to the node, an address from the pod CIDR, and a hosts file naming\n"
	"Services and pods; a JSON API is served on a unix socket. The agent\n"
	"stops on SIGTERM or SIGINT; pods keep running and a restarted agent\n"
	"adopts them.\n"
	"\n"
	"Options:\n"
	"  --node-netns NAME    use network namespace NAME as the node (created\n"
	"                       if absent) instead of the host's own\n"
	"  --node-name NAME     node name (default: NAME of --node-netns, else the\n"
	"                       host name)\n"
	"  --socket PATH        control socket (default " DFL_AGENT_SOCKET ")\n"
	"  --state-dir DIR      state directory (default " DFL_AGENT_STATE_DIR ")\n"
	"  --pod-cidr CIDR      pod addresses (default " DFL_AGENT_POD_CIDR ")\n"
	"  --service-cidr CIDR  ClusterIPs (default " DFL_AGENT_SERVICE_CIDR ")\n"
	"  --image-dir DIR      where the programs of known images are\n"
	"  --policy-dir DIR     watch DIR for policy files\n"
	"  --pin-root DIR       pinned BPF maps (default /sys/fs/bpf/deflector, or\n"
	"                       /sys/fs/bpf/deflector-NAME with --node-netns NAME)\n"
	"  --cluster-name NAME  cluster name in identities and flows (default\n"
	"                       \"default\")\n"
	"  --audit              audit mode: would-be drops are allowed and\n"
	"                       reported with verdict AUDIT\n"
	"  --no-proxy           do not run the L7 proxy (L7 rules then deny)\n"
	"  --flow-buffer N      flows kept in memory for observe (default 4095)\n"
	"  --flow-log FILE      export every flow to FILE as Hubble's exporter does\n"
	"                       (JSON lines, rotation, hash-chained for audit verify)\n"
	"  --metrics-address A  serve Prometheus /metrics on A (default :9965;\n"
	"                       \"\" turns it off)\n"
	"  --tofqdns-min-ttl S  addresses learned for toFQDNs live at least S\n"
	"                       seconds, whatever the DNS TTL (default 0)\n"
	"  --tofqdns-proxy-response-max-delay D\n"
	"                       hold a DNS answer at most D (e.g. 100ms, 1s) until\n"
	"                       its addresses are enforced (default 100ms)\n"
	"  --tofqdns-dns-reject-response-code refused|nameError\n"
	"                       answer to denied DNS queries (default refused)\n"
	"  --http-403-msg TEXT  body of the 403 for denied HTTP requests (default\n"
	"                       \"Access denied\")\n"
	"  --proxy-max-header-bytes N  request head limit, else 431 (default 61440)\n"
	"  --proxy-max-headers N       request header count limit, else 431\n"
	"                              (default 100)\n"
	"  --proxy-idle-timeout-seconds S  idle client connections of the L7 proxy\n"
	"                              are closed after S seconds (default 60)\n"
	"\n"
	"Kubernetes mode (docs/kubernetes.md): pods, policies, namespaces and\n"
	"Services come from the API server; the agent attaches to the pods of its\n"
	"node behind the veths of the cluster's CNI and creates no pods itself.\n"
	"  --kubeconfig FILE    API server and credentials from FILE\n"
	"  --context NAME       kubeconfig context (default: current-context)\n"
	"  --k8s                in-cluster: the pod's service account\n"
	"                       (KUBERNETES_SERVICE_HOST/PORT)\n"
	"  --node-name NAME     this node in the cluster (default: $NODE_NAME,\n"
	"                       else the host name): its pods are attached\n"
	"  --cleanup            remove every namespace, link, process, pinned map\n"
	"                       and file the agent made for these options, then exit\n"
	"  -v, --verbose        debug logging\n"
	"  -h, --help           this help\n";

/* <s> as a number times <scale>; -EINVAL unless it is all digits and fits. */
static int parse_u32(const char *s, uint32_t scale, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v * scale > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)(v * scale);
	return 0;
}

/* A Go-style duration in milliseconds or seconds ("100ms", "2s"), at most
 * a minute. */
static int parse_ms(const char *s, uint32_t *out)
{
	size_t n = strlen(s);
	char num[24];
	uint32_t scale = 1;

	if (n > 2 && !strcmp(s + n - 2, "ms")) {
		n -= 2;
	} else if (n > 1 && s[n - 1] == 's') {
		n -= 1;
		scale = 1000;
	} else {
		return -EINVAL;
	}
	if (n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_u32(num, scale, out) || *out > 60000)
		return -EINVAL;
	return 0;
}

static int agent_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *socket = NULL;
	json_t *req, *res = NULL, *eps;
	int out = DFL_OUT_TEXT, c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket = optarg;
			break;
		case 'o':
			out = dfl_cmd_parse_output("agent status", optarg,
						   1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);
			if (out < 0)
				return DFL_EXIT_USAGE;
			break;
		case 'h':
			fputs(usage, stdout);
			return DFL_EXIT_OK;
		default:
			return DFL_EXIT_USAGE;
		}
	}
	req = json_pack("{s:s}", "op", "status");
	ret = dfl_client__request(socket, "agent status", out == DFL_OUT_JSON,
				  req, &res);
	json_decref(req);
	if (ret)
		return ret;
	if (out == DFL_OUT_JSON) {
		json_dumpf(res, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		const char *netns = dfl_json_str(res, "nodeNetns");

		eps = json_object_get(res, "endpoints");
		printf("Node:          %s (%s%s)\n", dfl_json_str(res, "node"),
		       *netns ? "netns " : "host network namespace", netns);
		printf("Pod CIDR:      %s, gateway %s, %lld of %lld addresses used\n",
		       dfl_json_str(res, "podCIDR"),
		       dfl_json_str(res, "gateway"),
		       json_integer_value(json_object_get(res, "ipsUsed")),
		       json_integer_value(json_object_get(res, "ipsTotal")));
		printf("Service CIDR:  %s\n",
		       dfl_json_str(res, "serviceCIDR"));
		printf("Endpoints:     %lld (%lld ready)\n",
		       json_integer_value(json_object_get(eps, "total")),
		       json_integer_value(json_object_get(eps, "ready")));
		printf("Services:      %lld\n",
		       json_integer_value(json_object_get(res, "services")));
		printf("Deployments:   %lld\n",
		       json_integer_value(json_object_get(res, "deployments")));
		printf("State dir:     %s\n",
		       dfl_json_str(res, "stateDir"));
		printf("Socket:        %s\n",
		       dfl_json_str(res, "socket"));
		printf("Uptime:        %.1fs\n",
		       (double)json_integer_value(json_object_get(res, "uptimeMs")) / 1000);
	}
	json_decref(res);
	return DFL_EXIT_OK;
}

/* Detaches the programs and unpins the maps, from inside the node's
 * namespace when it still exists (the veths are there). */
static int purge_datapath(const struct dfl_agent_config *cfg, const char *pin_root)
{
	int fd = -1, saved = -1, ret;

	if (cfg->node_netns && dfl_netns__exists(cfg->node_netns)) {
		fd = dfl_netns__open(cfg->node_netns);
		if (fd < 0 || dfl_netns__switch(fd, &saved)) {
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
	}
	ret = dfl_engine__purge(pin_root);
	if (saved >= 0)
		dfl_netns__restore(saved);
	if (fd >= 0)
		close(fd);
	return ret;
}

int dfl_cmd_agent(int argc, char **argv)
{
	enum { O_NETNS = 256, O_NODE, O_SOCKET, O_STATE, O_POD, O_SVC, O_IMAGE,
	       O_POLICY, O_CLEANUP, O_PIN, O_CLUSTER, O_AUDIT, O_NO_PROXY,
	       O_FLOWBUF, O_FLOWLOG, O_METRICS, O_KUBECONFIG, O_CONTEXT, O_K8S,
	       O_MIN_TTL, O_MAX_DELAY, O_REJECT_CODE, O_403_MSG, O_HDR_BYTES,
	       O_HDR_COUNT, O_IDLE };
	static const struct option opts[] = {
		{ "node-netns", required_argument, NULL, O_NETNS },
		{ "node-name", required_argument, NULL, O_NODE },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "pod-cidr", required_argument, NULL, O_POD },
		{ "service-cidr", required_argument, NULL, O_SVC },
		{ "image-dir", required_argument, NULL, O_IMAGE },
		{ "policy-dir", required_argument, NULL, O_POLICY },
		{ "cleanup", no_argument, NULL, O_CLEANUP },
		{ "pin-root", required_argument, NULL, O_PIN },
		{ "cluster-name", required_argument, NULL, O_CLUSTER },
		{ "audit", no_argument, NULL, O_AUDIT },
		{ "no-proxy", no_argument, NULL, O_NO_PROXY },
		{ "flow-buffer", required_argument, NULL, O_FLOWBUF },
		{ "flow-log", required_argument, NULL, O_FLOWLOG },
		{ "metrics-address", required_argument, NULL, O_METRICS },
		{ "tofqdns-min-ttl", required_argument, NULL, O_MIN_TTL },
		{ "tofqdns-proxy-response-max-delay", required_argument, NULL, O_MAX_DELAY },
		{ "tofqdns-dns-reject-response-code", required_argument, NULL, O_REJECT_CODE },
		{ "http-403-msg", required_argument, NULL, O_403_MSG },
		{ "proxy-max-header-bytes", required_argument, NULL, O_HDR_BYTES },
		{ "proxy-max-headers", required_argument, NULL, O_HDR_COUNT },
		{ "proxy-idle-timeout-seconds", required_argument, NULL, O_IDLE },
		{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
		{ "context", required_argument, NULL, O_CONTEXT },
		{ "k8s", no_argument, NULL, O_K8S },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct dfl_agent_config cfg = { 0 };
	struct dfl_engine_config ecfg = { 0 };
	struct dfl_k8s_creds creds = { 0 };
	const char *kubeconfig = NULL, *context = NULL;
	bool in_cluster = false;
	char host[256] = "";
	struct dfl_agent_hooks hooks;
	struct dfl_engine *engine;
	struct dfl_agent *agent;
	char pin_root[256];
	bool cleanup = false;
	char err[1024];
	int c, ret;

	if (argc > 1 && !strcmp(argv[1], "status"))
		return agent_status(argc - 1, argv + 1);
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_NETNS:
			cfg.node_netns = optarg;
			break;
		case O_NODE:
			cfg.node_name = optarg;
			break;
		case O_SOCKET:
			cfg.socket_path = optarg;
			break;
		case O_STATE:
			cfg.state_dir = optarg;
			break;
		case O_POD:
			cfg.pod_cidr = optarg;
			break;
		case O_SVC:
			cfg.service_cidr = optarg;
			break;
		case O_IMAGE:
			cfg.image_dir = optarg;
			break;
		case O_POLICY:
			cfg.policy_dir = optarg;
			break;
		case O_CLEANUP:
			cleanup = true;
			break;
		case O_PIN:
			ecfg.pin_root = optarg;
			break;
		case O_CLUSTER:
			ecfg.cluster = optarg;
			break;
		case O_AUDIT:
			ecfg.audit = true;
			break;
		case O_NO_PROXY:
			ecfg.no_proxy = true;
			break;
		case O_FLOWLOG:
			ecfg.flow_log = optarg;
			break;
		case O_METRICS:
			ecfg.metrics_addr = optarg;
			break;
		case O_KUBECONFIG:
			kubeconfig = optarg;
			break;
		case O_CONTEXT:
			context = optarg;
			break;
		case O_K8S:
			in_cluster = true;
			break;
		case O_MIN_TTL:
			if (parse_u32(optarg, 1, &ecfg.dns_min_ttl)) {
				fprintf(stderr, "deflector: agent: --tofqdns-min-ttl takes seconds (0..4294967295), not '%s'\n",
					optarg);
				return DFL_EXIT_USAGE;
			}
			break;
		case O_MAX_DELAY:
			if (parse_ms(optarg, &ecfg.dns_max_delay_ms) || !ecfg.dns_max_delay_ms) {
				fprintf(stderr, "deflector: agent: --tofqdns-proxy-response-max-delay takes a duration like 100ms or 2s (at most 60s), not '%s'\n",
					optarg);
				return DFL_EXIT_USAGE;
			}
			break;
		case O_REJECT_CODE:
			if (strcmp(optarg, "refused") && strcmp(optarg, "nameError")) {
				fprintf(stderr, "deflector: agent: --tofqdns-dns-reject-response-code takes refused or nameError, not '%s'\n",
					optarg);
				return DFL_EXIT_USAGE;
			}
			ecfg.dns_deny_nxdomain = !strcmp(optarg, "nameError");
			break;
		case O_403_MSG:
			ecfg.http_403_body = optarg;
			break;
		case O_HDR_BYTES:
		case O_HDR_COUNT:
		case O_IDLE: {
			uint32_t v;

			if (parse_u32(optarg, 1, &v) || !v || (c == O_IDLE && v > UINT32_MAX / 1000)) {
				fprintf(stderr, "deflector: agent: --%s takes a positive number, not '%s'\n",
					c == O_HDR_BYTES ? "proxy-max-header-bytes" :
					c == O_HDR_COUNT ? "proxy-max-headers" :
							   "proxy-idle-timeout-seconds",
					optarg);
				return DFL_EXIT_USAGE;
			}
			if (c == O_HDR_BYTES)
				ecfg.proxy_max_header_bytes = v;
			else if (c == O_HDR_COUNT)
				ecfg.proxy_max_headers = v;
			else
				ecfg.proxy_idle_timeout_ms = v * 1000;
			break;
		}
		case O_FLOWBUF: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (*end || !n || n > 1u << 24) {
				fprintf(stderr, "deflector: agent: --flow-buffer takes 1..16777216, not '%s'\n",
					optarg);
				return DFL_EXIT_USAGE;
			}
			ecfg.flow_ring = n;
			break;
		}
		case 'v':
			dfl_log_set_level(DFL_LOG_DEBUG);
			break;
		case 'h':
			fputs(usage, stdout);
			return DFL_EXIT_OK;
		default:
			fprintf(stderr, "Run 'deflector agent --help' for the options.\n");
			return DFL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "deflector: agent: unexpected argument '%s'\n",
			argv[optind]);
		return DFL_EXIT_USAGE;
	}
	if (kubeconfig && in_cluster) {
		fprintf(stderr, "deflector: agent: --kubeconfig and --k8s exclude each other\n");
		return DFL_EXIT_USAGE;
	}
	if (context && !kubeconfig) {
		fprintf(stderr, "deflector: agent: --context needs --kubeconfig\n");
		return DFL_EXIT_USAGE;
	}
	if ((kubeconfig || in_cluster) && (cfg.pod_cidr || cfg.service_cidr ||
					   cfg.image_dir || cfg.policy_dir)) {
		fprintf(stderr, "deflector: agent: --pod-cidr, --service-cidr, --image-dir and --policy-dir are local-node options; Kubernetes mode takes everything from the API server\n");
		return DFL_EXIT_USAGE;
	}
	if (!cfg.socket_path && getenv("DEFLECTOR_SOCKET"))
		cfg.socket_path = getenv("DEFLECTOR_SOCKET");
	if (dfl_log_get_level() < DFL_LOG_INFO)
		dfl_log_set_level(DFL_LOG_INFO);
	dfl_log_set_prefix("deflector-agent");
	/* Agents side by side (one per --node-netns) keep their maps apart. */
	if (!ecfg.pin_root) {
		if (cfg.node_netns)
			snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/deflector-%s",
				 cfg.node_netns);
		else
			snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/deflector");
		ecfg.pin_root = pin_root;
	}
	ecfg.node_name = cfg.node_name ? cfg.node_name : cfg.node_netns;
	ecfg.state_dir = cfg.state_dir ? cfg.state_dir : DFL_AGENT_STATE_DIR;
	if (cleanup) {
		ret = purge_datapath(&cfg, ecfg.pin_root);
		if (ret)
			fprintf(stderr, "deflector: agent --cleanup: pinned maps under %s: %s\n",
				ecfg.pin_root, strerror(-ret));
		{
			/* The engine's file in the state directory goes too. */
			char objects[4096];

			snprintf(objects, sizeof(objects), "%s/objects.json", ecfg.state_dir);
			unlink(objects);
		}
		ret = dfl_agent__cleanup(&cfg, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "deflector: agent --cleanup: %s\n", err);
			return DFL_EXIT_FAIL;
		}
		return DFL_EXIT_OK;
	}
	if ((kubeconfig || in_cluster) && !cleanup) {
		struct dfl_strbuf kerr = { 0 };

		ret = kubeconfig ? dfl_k8s_creds__from_kubeconfig(&creds, kubeconfig,
								   context, &kerr) :
				   dfl_k8s_creds__in_cluster(&creds, NULL, &kerr);
		if (ret) {
			fprintf(stderr, "deflector: agent: %s\n", dfl_strbuf__str(&kerr));
			dfl_strbuf__release(&kerr);
			dfl_k8s_creds__release(&creds);
			return DFL_EXIT_FAIL;
		}
		dfl_strbuf__release(&kerr);
		if (!cfg.node_name)
			cfg.node_name = getenv("NODE_NAME");
		if (!cfg.node_name && !gethostname(host, sizeof(host) - 1))
			cfg.node_name = host;
		cfg.chaining = true;
		ecfg.k8s = &creds;
		ecfg.node_name = cfg.node_name;
	}
	engine = dfl_engine__new(&ecfg, err, sizeof(err));
	dfl_k8s_creds__release(&creds); /* copied by the engine */
	if (!engine) {
		fprintf(stderr, "deflector: agent: %s\n", err);
		return DFL_EXIT_FAIL;
	}
	dfl_engine__hooks(engine, &hooks);
	agent = dfl_agent__new(&cfg, &hooks, err, sizeof(err));
	if (!agent) {
		fprintf(stderr, "deflector: agent: %s\n", err);
		dfl_engine__free(engine);
		return DFL_EXIT_FAIL;
	}
	ret = dfl_engine__start(engine, agent, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "deflector: agent: %s\n", err);
	} else {
		ret = dfl_agent__run(agent);
	}
	dfl_engine__free(engine);
	dfl_agent__free(agent);
	return ret ? DFL_EXIT_FAIL : DFL_EXIT_OK;
}
