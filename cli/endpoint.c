/* `deflector endpoint list|get|create|delete`: the agent's endpoints, printed
 * as `cilium endpoint list` prints them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "util/mem.h"

/* ---- a text/tabwriter with Go's semantics ------------------------------ */

/* Cilium prints with tabwriter.NewWriter(os.Stdout, 5, 0, 3, ' ', 0):
 * every tab-terminated cell is padded to its column's width, the maximum
 * over a block of consecutive lines that have that cell, plus 3, at least
 * 5. Blocks of column c+1 nest inside those of column c. */
#define TW_MINWIDTH 5
#define TW_PADDING 3
#define TW_MAXCELLS 8

struct tw_row {
	const char *cell[TW_MAXCELLS]; /* terminated cells */
	size_t n;
	size_t width[TW_MAXCELLS];
};

static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void tw_format(struct tw_row *rows, size_t col, size_t l0, size_t l1)
{
	size_t line = l0;

	while (line < l1) {
		size_t start, width = TW_MINWIDTH;

		if (rows[line].n <= col) {
			line++;
			continue;
		}
		for (start = line; line < l1 && rows[line].n > col; line++) {
			size_t w = text_width(rows[line].cell[col]) + TW_PADDING;

			if (w > width)
				width = w;
		}
		for (size_t i = start; i < line; i++)
			rows[i].width[col] = width;
		tw_format(rows, col + 1, start, line);
	}
}

static void tw_print(struct tw_row *rows, size_t n)
{
	tw_format(rows, 0, 0, n);
	for (size_t r = 0; r < n; r++) {
		for (size_t c = 0; c < rows[r].n; c++)
			printf("%s%*s", rows[r].cell[c],
			       (int)(rows[r].width[c] - text_width(rows[r].cell[c])), "");
		putchar('\n');
	}
}

/* ---- commands ---------------------------------------------------------- */

struct common {
	const char *socket;
	const char *ns;
	int out;
	bool no_headers;
};

static const char list_usage[] =
	"Usage: deflector endpoint list [--no-headers] [-o text|json] [--socket PATH]\n"
	"\n"
	"Lists the agent's endpoints like `cilium endpoint list`: id, policy\n"
	"enforcement per direction, security identity, labels, IPv4 address and\n"
	"state.\n";
static const char get_usage[] =
	"Usage: deflector endpoint get ENDPOINT [-n NAMESPACE] [--socket PATH]\n"
	"\n"
	"Prints one endpoint as JSON. ENDPOINT is an id, NAMESPACE/NAME, or a\n"
	"pod name (in NAMESPACE, default \"default\").\n";
static const char create_usage[] =
	"Usage: deflector endpoint create [NAMESPACE/]NAME [-l KEY=VALUE]...\n"
	"           [-p PORT[/PROTOCOL]]... [--image IMAGE] [-o text|json] [--socket PATH]\n"
	"\n"
	"Creates a pod: a network namespace with a veth to the node and an\n"
	"address from the pod CIDR. Images the agent knows start their program\n"
	"(docker.io/cilium/starwars runs the deathstar server); others run\n"
	"nothing.\n";
static const char delete_usage[] =
	"Usage: deflector endpoint delete ENDPOINT [-n NAMESPACE] [--socket PATH]\n"
	"\n"
	"Stops the pod's program and removes its namespace, veth and address.\n";

/* Parses the options every verb shares plus <extra> ones (handled by <fn>).
 * Returns -1 to continue, else the exit code. */
static int parse_common(int argc, char **argv, const char *cmd,
			const char *help, struct common *o,
			int (*fn)(int c, const char *arg, void *ctx), void *ctx)
{
	enum { O_SOCKET = 256, O_NOHDR, O_IMAGE };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "no-headers", no_argument, NULL, O_NOHDR },
		{ "output", required_argument, NULL, 'o' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "label", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "image", required_argument, NULL, O_IMAGE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:l:p:h", opts, NULL)) != -1) {
		switch (c) {
		case O_SOCKET:
			o->socket = optarg;
			break;
		case O_NOHDR:
			o->no_headers = true;
			break;
		case 'o':
			o->out = dfl_cmd_parse_output(cmd, optarg,
						      1u << DFL_OUT_TEXT | 1u << DFL_OUT_JSON);
			if (o->out < 0)
				return DFL_EXIT_USAGE;
			break;
		case 'n':
			o->ns = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return DFL_EXIT_OK;
		case 'l':
		case 'p':
		case O_IMAGE:
			if (fn && !fn(c == O_IMAGE ? 'i' : c, optarg, ctx))
				break;
			if (!fn)
				fprintf(stderr, "deflector: %s: unknown option\n", cmd);
			return DFL_EXIT_USAGE;
		default:
			fprintf(stderr, "Run 'deflector %s --help' for the options.\n", cmd);
			return DFL_EXIT_USAGE;
		}
	}
	return -1;
}

static void print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

static int endpoint_list(int argc, char **argv)
{
	struct common o = { 0 };
	struct tw_row *rows = NULL;
	size_t n = 0, cap = 0, i;
	json_t *req, *eps = NULL, *ep;
	char **owned = NULL;
	size_t n_owned = 0, cap_owned = 0;
	int ret = parse_common(argc, argv, "endpoint list", list_usage, &o,
			       NULL, NULL);

	if (ret >= 0)
		return ret;
	req = json_pack("{s:s}", "op", "endpoint.list");
	ret = dfl_client__request(o.socket, "endpoint list", o.out == DFL_OUT_JSON,
				  req, &eps);
	json_decref(req);
	if (ret)
		return ret;
	if (o.out == DFL_OUT_JSON) {
		print_json(eps);
		json_decref(eps);
		return DFL_EXIT_OK;
	}
#define ROW() DFL_PUSH(rows, n, cap)
	if (!o.no_headers) {
		struct tw_row *r = ROW();

		if (!r)
			goto nomem;
		*r = (struct tw_row){ .n = 7,
				      .cell = { "ENDPOINT", "POLICY (ingress)",
						"POLICY (egress)", "IDENTITY",
						"LABELS (source:key[=value])",
						"IPv4", "STATUS" } };
		r = ROW();
		if (!r)
			goto nomem;
		*r = (struct tw_row){ .n = 6,
				      .cell = { "", "ENFORCEMENT", "ENFORCEMENT",
						"", "", "" } };
	}
	json_array_foreach(eps, i, ep) {
		json_t *labels = json_object_get(ep, "labels"), *pol, *idv;
		char *id = NULL, *identity = NULL, **slot;
		size_t nl = json_array_size(labels);
		struct tw_row *r;

		pol = json_object_get(ep, "policy");
		idv = json_object_get(ep, "identity");
		if (asprintf(&id, "%lld", json_integer_value(json_object_get(ep, "id"))) < 0)
			goto nomem;
		slot = DFL_PUSH(owned, n_owned, cap_owned);
		if (!slot) {
			free(id);
			goto nomem;
		}
		*slot = id;
		if (json_is_integer(idv)) {
			if (asprintf(&identity, "%lld", json_integer_value(idv)) < 0)
				goto nomem;
			slot = DFL_PUSH(owned, n_owned, cap_owned);
			if (!slot) {
				free(identity);
				goto nomem;
			}
			*slot = identity;
		}
		r = ROW();
		if (!r)
			goto nomem;
		*r = (struct tw_row){
			.n = 7,
			.cell = { id,
				  json_string_value(json_object_get(pol, "ingress")),
				  json_string_value(json_object_get(pol, "egress")),
				  identity ? identity : "<no label id>",
				  nl ? json_string_value(json_array_get(labels, 0))
				     : "no labels",
				  json_string_value(json_object_get(ep, "ipv4")),
				  json_string_value(json_object_get(ep, "state")) },
		};
		for (size_t k = 0; k < 7; k++)
			if (!r->cell[k])
				r->cell[k] = "";
		for (size_t k = 1; k < nl; k++) {
			r = ROW();
			if (!r)
				goto nomem;
			*r = (struct tw_row){
				.n = 7,
				.cell = { "", "", "", "",
					  json_string_value(json_array_get(labels, k)),
					  "", "" },
			};
			if (!r->cell[4])
				r->cell[4] = "";
		}
	}
#undef ROW
	tw_print(rows, n);
	ret = DFL_EXIT_OK;
	goto out;
nomem:
	fprintf(stderr, "deflector: endpoint list: out of memory\n");
	ret = DFL_EXIT_FAIL;
out:
	for (i = 0; i < n_owned; i++)
		free(owned[i]);
	free(owned);
	free(rows);
	json_decref(eps);
	return ret;
}

/* For get and delete: returns -1 with *result set, else the exit code
 * (help printed, usage error, or the request failed). */
static int endpoint_ref(int argc, char **argv, const char *cmd,
			const char *help, const char *op, struct common *o,
			json_t **result)
{
	json_t *req;
	int ret = parse_common(argc, argv, cmd, help, o, NULL, NULL);

	if (ret >= 0)
		return ret;
	if (optind != argc - 1) {
		fprintf(stderr, "deflector: %s: want one ENDPOINT (an id, NAMESPACE/NAME or NAME)\n",
			cmd);
		return DFL_EXIT_USAGE;
	}
	req = json_pack("{s:s, s:s, s:s?}", "op", op, "endpoint", argv[optind],
			"namespace", o->ns);
	ret = dfl_client__request(o->socket, cmd, o->out == DFL_OUT_JSON, req,
				  result);
	json_decref(req);
	return ret ? ret : -1;
}

static int endpoint_get(int argc, char **argv)
{
	struct common o = { 0 };
	json_t *ep = NULL;
	int ret = endpoint_ref(argc, argv, "endpoint get", get_usage,
			       "endpoint.get", &o, &ep);

	if (ret != -1)
		return ret;
	print_json(ep);
	json_decref(ep);
	return DFL_EXIT_OK;
}

static int endpoint_delete(int argc, char **argv)
{
	struct common o = { 0 };
	json_t *gone = NULL;
	int ret = endpoint_ref(argc, argv, "endpoint delete", delete_usage,
			       "endpoint.delete", &o, &gone);

	if (ret != -1)
		return ret;
	if (o.out == DFL_OUT_JSON)
		print_json(gone);
	else
		printf("endpoint %lld %s/%s deleted\n",
		       json_integer_value(json_object_get(gone, "id")),
		       dfl_json_str(gone, "namespace"), dfl_json_str(gone, "name"));
	json_decref(gone);
	return DFL_EXIT_OK;
}

/* Collects -l, -p and --image into the pod object. */
static int create_opt(int c, const char *arg, void *ctx)
{
	json_t *pod = ctx;
	const char *eq, *slash;
	char *end;
	long port;

	switch (c) {
	case 'l':
		eq = strchr(arg, '=');
		if (!eq || eq == arg) {
			fprintf(stderr, "deflector: endpoint create: label '%s' is not KEY=VALUE\n",
				arg);
			return -1;
		}
		{
			char *key = strndup(arg, (size_t)(eq - arg));

			if (!key)
				return -1;
			json_object_set_new(json_object_get(pod, "labels"), key,
					    json_string(eq + 1));
			free(key);
		}
		return 0;
	case 'p':
		port = strtol(arg, &end, 10);
		slash = *end == '/' ? end + 1 : NULL;
		if (end == arg || (*end && !slash) || port < 1 || port > 65535) {
			fprintf(stderr, "deflector: endpoint create: port '%s' is not PORT[/PROTOCOL] with PORT 1-65535\n",
				arg);
			return -1;
		}
		json_array_append_new(json_object_get(pod, "ports"),
				      json_pack("{s:i, s:s}", "port", (int)port,
						"protocol", slash ? slash : "TCP"));
		return 0;
	case 'i':
		json_object_set_new(pod, "image", json_string(arg));
		return 0;
	}
	return -1;
}

static int endpoint_create(int argc, char **argv)
{
	struct common o = { 0 };
	json_t *pod, *req, *ep = NULL;
	const char *ref, *slash;
	int ret;

	pod = json_pack("{s:{}, s:[]}", "labels", "ports");
	if (!pod)
		return DFL_EXIT_FAIL;
	ret = parse_common(argc, argv, "endpoint create", create_usage, &o,
			   create_opt, pod);
	if (ret >= 0) {
		json_decref(pod);
		return ret;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "deflector: endpoint create: want one [NAMESPACE/]NAME\n");
		json_decref(pod);
		return DFL_EXIT_USAGE;
	}
	ref = argv[optind];
	slash = strchr(ref, '/');
	if (slash) {
		json_object_set_new(pod, "namespace",
				    json_stringn(ref, (size_t)(slash - ref)));
		ref = slash + 1;
	} else if (o.ns) {
		json_object_set_new(pod, "namespace", json_string(o.ns));
	}
	json_object_set_new(pod, "name", json_string(ref));
	req = json_pack("{s:s, s:o}", "op", "endpoint.create", "pod", pod);
	ret = dfl_client__request(o.socket, "endpoint create", o.out == DFL_OUT_JSON,
				  req, &ep);
	json_decref(req);
	if (ret)
		return ret;
	if (o.out == DFL_OUT_JSON) {
		print_json(ep);
	} else {
		const char *reason = json_string_value(json_object_get(ep, "reason"));

		printf("endpoint %lld %s/%s created: %s on %s (%s)%s%s\n",
		       json_integer_value(json_object_get(ep, "id")),
		       dfl_json_str(ep, "namespace"), dfl_json_str(ep, "name"),
		       dfl_json_str(ep, "ipv4"), dfl_json_str(ep, "ifname"),
		       dfl_json_str(ep, "state"), reason ? ": " : "",
		       reason ? reason : "");
	}
	json_decref(ep);
	return DFL_EXIT_OK;
}

static const struct dfl_cmd verbs[] = {
	{ "list", endpoint_list, "list endpoints (cilium endpoint list)" },
	{ "get", endpoint_get, "print one endpoint as JSON" },
	{ "create", endpoint_create, "create a pod from a name, labels and ports" },
	{ "delete", endpoint_delete, "delete a pod" },
	{ 0 },
};

int dfl_cmd_endpoint(int argc, char **argv)
{
	return dfl_cmd_dispatch("deflector endpoint", verbs,
				"Usage: deflector endpoint COMMAND [OPTIONS]\n\n"
				"Endpoints are the agent's pods.\n\n",
				argc - 1, argv + 1);
}
