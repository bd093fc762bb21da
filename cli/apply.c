/* `deflector apply -f`, `deflector delete -f` and `deflector get`: kubectl's
 * verbs against the local-node agent. The manifests are read here and sent
 * whole, so errors name the user's file, line and column. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "util/strbuf.h"

static int read_stream(FILE *f, struct dfl_strbuf *out)
{
	char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (dfl_strbuf__append(out, buf, n))
			return -ENOMEM;
	return ferror(f) ? -EIO : 0;
}

static int add_file(json_t *files, const char *path, FILE *f)
{
	struct dfl_strbuf content = { 0 };
	int err = read_stream(f, &content);

	if (!err)
		err = json_array_append_new(files, json_pack("{s:s, s:s%}", "name", path,
							     "content", dfl_strbuf__str(&content),
							     content.len)) ? -ENOMEM : 0;
	dfl_strbuf__release(&content);
	return err;
}

static bool manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Adds <path>: "-" (stdin), a file, or a directory's manifests (recursively,
 * in sorted order, hidden entries skipped), as kubectl apply -f does. */
static int add_path(json_t *files, const char *path, const char *cmd, int depth)
{
	struct dirent **ents;
	struct stat st;
	int n, err = 0;

	if (!strcmp(path, "-"))
		return add_file(files, "<stdin>", stdin);
	if (stat(path, &st)) {
		fprintf(stderr, "deflector: %s: %s: %s\n", cmd, path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		FILE *f = fopen(path, "r");

		if (!f) {
			fprintf(stderr, "deflector: %s: %s: %s\n", cmd, path, strerror(errno));
			return -errno;
		}
		err = add_file(files, path, f);
		fclose(f);
		return err;
	}
	if (depth > 32)
		return 0;
	n = scandir(path, &ents, NULL, cmp_names);
	if (n < 0) {
		fprintf(stderr, "deflector: %s: %s: %s\n", cmd, path, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		struct dfl_strbuf sub = { 0 };
		struct stat sst;

		if (!err && ents[i]->d_name[0] != '.') {
			dfl_strbuf__printf(&sub, "%s/%s", path, ents[i]->d_name);
			if (!stat(sub.buf, &sst) &&
			    (S_ISDIR(sst.st_mode) || manifest_name(ents[i]->d_name)))
				err = add_path(files, sub.buf, cmd, depth + 1);
		}
		dfl_strbuf__release(&sub);
		free(ents[i]);
	}
	free(ents);
	return err;
}

/* apply and delete share everything but the op and the help. */
static int apply_or_delete(int argc, char **argv, const char *op, const char *usage)
{
	static const struct option opts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	json_t *files = json_array(), *req = NULL, *res = NULL, *lines, *errors;
	const char *socket = NULL;
	bool json = false;
	int c, ret = DFL_EXIT_USAGE;
	size_t i;
	json_t *v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (add_path(files, optarg, op, 0))
				goto out;
			break;
		case 'o':
			c = dfl_cmd_parse_output(op, optarg, 1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);
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
			fprintf(stderr, "Run 'deflector %s --help' for the options.\n", op);
			goto out;
		}
	}
	if (optind < argc || !json_array_size(files)) {
		fprintf(stderr, "deflector: %s: %s\n", op,
			optind < argc ? "unexpected argument (manifests go after -f)" :
					"give manifests with -f FILE|DIR|-");
		goto out;
	}
	req = json_pack("{s:s, s:O}", "op", op, "files", files);
	ret = dfl_client__request(socket, op, json, req, &res);
	if (ret)
		goto out;
	if (json) {
		json_dumpf(res, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	lines = json_object_get(res, "lines");
	errors = json_object_get(res, "errors");
	json_array_foreach(json ? NULL : lines, i, v)
		printf("%s\n", json_string_value(v));
	json_array_foreach(json ? NULL : errors, i, v)
		fprintf(stderr, "error: %s\n", json_string_value(v));
	/* kubectl applies what it can and fails when anything failed. */
	ret = json_array_size(errors) ? DFL_EXIT_FAIL : DFL_EXIT_OK;
out:
	json_decref(files);
	json_decref(req);
	json_decref(res);
	return ret;
}

int dfl_cmd_apply(int argc, char **argv)
{
	static const char usage[] =
		"Usage: deflector apply -f FILE|DIR|- [-f ...] [-o text|json] [--socket PATH]\n"
		"\n"
		"Applies Kubernetes manifests to the local-node agent, as kubectl apply\n"
		"does: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy,\n"
		"NetworkPolicy, Pod, Deployment, Service and Namespace objects, in file\n"
		"order. Prints \"<resource>/<name> created|configured|unchanged\" per\n"
		"object. Invalid objects are refused with file:line:col errors while\n"
		"the valid ones are applied; the exit code is then 1.\n";

	return apply_or_delete(argc, argv, "apply", usage);
}

int dfl_cmd_delete(int argc, char **argv)
{
	static const char usage[] =
		"Usage: deflector delete -f FILE|DIR|- [-f ...] [-o text|json] [--socket PATH]\n"
		"\n"
		"Deletes the objects named in the manifests from the local-node agent:\n"
		"pods and deployments lose their network namespaces, policies stop\n"
		"applying. Prints \"<resource> \\\"<name>\\\" deleted\" per object.\n";

	return apply_or_delete(argc, argv, "delete", usage);
}

static void print_age(long long created)
{
	long long age = (long long)time(NULL) - created;

	if (age < 0)
		age = 0;
	if (age < 120)
		printf("%llds", age);
	else if (age < 3600 * 3)
		printf("%lldm", age / 60);
	else if (age < 86400 * 2)
		printf("%lldh", age / 3600);
	else
		printf("%lldd", age / 86400);
}

int dfl_cmd_get(int argc, char **argv)
{
	static const char usage[] =
		"Usage: deflector get KIND [-n NAMESPACE | -A] [-o text|json] [--socket PATH]\n"
		"\n"
		"Lists the objects of KIND applied to the local-node agent, as kubectl get\n"
		"does. KIND: cnp, ccnp, netpol, pods, deployments, services, namespaces (and\n"
		"their long names). For policies the columns are NAME, AGE and VALID.\n"
		"\n"
		"Options:\n"
		"  -n, --namespace NS   only this namespace (default: default)\n"
		"  -A, --all-namespaces every namespace\n";
	static const struct option opts[] = {
		{ "namespace", required_argument, NULL, 'n' },
		{ "all-namespaces", no_argument, NULL, 'A' },
		{ "output", required_argument, NULL, 'o' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *socket = NULL, *ns = "default";
	bool json = false, all = false, policies;
	json_t *req, *res = NULL, *items, *it;
	int c, ret;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:Ao:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'A':
			all = true;
			break;
		case 'o':
			c = dfl_cmd_parse_output("get", optarg, 1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);
			if (c < 0)
				return DFL_EXIT_USAGE;
			json = c == DFL_OUT_JSON;
			break;
		case 's':
			socket = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return DFL_EXIT_OK;
		default:
			fprintf(stderr, "Run 'deflector get --help' for the options.\n");
			return DFL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "deflector: get: give one KIND (cnp, ccnp, netpol, pods, ...)\n");
		return DFL_EXIT_USAGE;
	}
	req = json_pack("{s:s, s:s}", "op", "get", "kind", argv[optind]);
	ret = dfl_client__request(socket, "get", json, req, &res);
	json_decref(req);
	if (ret)
		return ret;
	items = json_object_get(res, "items");
	if (json) {
		json_dumpf(res, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(res);
		return DFL_EXIT_OK;
	}
	policies = json_array_size(items) &&
		   strstr(json_string_value(json_object_get(json_array_get(items, 0), "kind")),
			  "Policy");
	if (all)
		printf("%-20s ", "NAMESPACE");
	printf("%-32s %-6s%s\n", "NAME", "AGE", policies ? " VALID" : "");
	json_array_foreach(items, i, it) {
		const char *ins = json_string_value(json_object_get(it, "namespace"));

		if (!all && ins && strcmp(ins, ns))
			continue;
		if (all)
			printf("%-20s ", ins ? ins : "");
		printf("%-32s ", json_string_value(json_object_get(it, "name")));
		print_age(json_integer_value(json_object_get(it, "created")));
		if (policies)
			printf("%*s%s", 4, "",
			       json_is_true(json_object_get(it, "valid")) ? "True" : "False");
		printf("\n");
	}
	json_decref(res);
	return DFL_EXIT_OK;
}
