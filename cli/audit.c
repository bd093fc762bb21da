/* `deflector audit verify|report`: tamper evidence and drop statistics over
 * exported flow logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "cli/commands.h"
#include "flow/audit.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/reader.h"

static const char usage[] =
	"Usage: deflector audit COMMAND [OPTIONS] FILE...\n"
	"\n"
	"Checks and summarises flow logs written by deflector's exporter.\n"
	"\n";

static const char verify_usage[] =
	"Usage: deflector audit verify [--key FILE] [--head HEX] [-o text|json] FILE...\n"
	"\n"
	"Checks export segments (plain or .gz) against the hash-chain manifest\n"
	"beside each (FILE.chain) and names every record that was deleted,\n"
	"reordered, edited or inserted, and every segment missing between those\n"
	"given. Segments may be given in any order; .chain files are skipped.\n"
	"\n"
	"  --key FILE     the HMAC key the exporter used (chainKeyFile)\n"
	"  --head HEX     the chain value recorded elsewhere earlier: the newest\n"
	"                 segment must end with it (or continue past it)\n"
	"  -o FORMAT      text (default) or json\n"
	"\n"
	"Exit status: 0 intact, 1 problems found, 2 unreadable input.\n";

static const char report_usage[] =
	"Usage: deflector audit report [OPTIONS] FILE...\n"
	"\n"
	"Counts dropped flows per source, destination, port, reason and policy\n"
	"over a time range. Each datapath drop counts once (its drop event, not\n"
	"the policy verdict before it); L7 denials count by their L7 record.\n"
	"\n"
	"  --since T, --until T   RFC 3339 time (2026-07-24T15:00:00Z, 2026-07-24)\n"
	"                         or a duration before now (24h)\n"
	"  --namespace NS         only flows with either side in NS\n"
	"  --verdict V            DROPPED (default) or AUDIT (would-be drops in\n"
	"                         audit mode); repeat for both\n"
	"  -o FORMAT              text (default), json or csv\n";

/* Parses "--name value" or "--name=value" at argv[*i]; returns the value or
 * NULL when argv[*i] is not <name>. */
static const char *opt(int argc, char **argv, int *i, const char *name,
		       const char *alias, bool *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if ((!strncmp(a, name, n) && a[n] == '=') ||
	    (alias && !strncmp(a, alias, strlen(alias)) &&
	     a[strlen(alias)] == '='))
		return strchr(a, '=') + 1;
	if (strcmp(a, name) && (!alias || strcmp(a, alias)))
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

struct verify_out {
	bool json;
	json_t *problems, *notes;
};

static void on_finding(void *ctx, bool problem, const char *msg)
{
	struct verify_out *o = ctx;

	if (o->json)
		json_array_append_new(problem ? o->problems : o->notes,
				      json_string(msg));
	else
		printf("%s: %s\n", problem ? "PROBLEM" : "note", msg);
}

static int read_key(const char *path, uint8_t *key, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, key, 64);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EINVAL;
	*len = (size_t)n;
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	const char *key_file = NULL, *head = NULL, *v;
	struct verify_out out = { 0 };
	struct dfl_verify_result res;
	uint8_t key[64], want[DFL_CHAIN_LEN];
	size_t key_len = 0, n = 0;
	const char **files = calloc((size_t)argc, sizeof(*files));
	char hex[65];
	int ret, i, exit_code;

	if (!files)
		return DFL_EXIT_USAGE;
	for (i = 1; i < argc; i++) {
		bool missing = false;

		if (dfl_cmd_is_help(argv[i])) {
			fputs(verify_usage, stdout);
			free(files);
			return DFL_EXIT_OK;
		}
		if ((v = opt(argc, argv, &i, "--key", NULL, &missing))) {
			key_file = v;
		} else if ((v = opt(argc, argv, &i, "--head", NULL, &missing))) {
			head = v;
		} else if ((v = opt(argc, argv, &i, "--output", "-o", &missing))) {
			int fmt = dfl_cmd_parse_output("audit verify", v,
						       1u << DFL_OUT_TEXT |
							       1u << DFL_OUT_JSON);

			if (fmt < 0) {
				free(files);
				return DFL_EXIT_USAGE;
			}
			out.json = fmt == DFL_OUT_JSON;
		} else if (missing || (argv[i][0] == '-' && argv[i][1])) {
			dfl_cmd_error(false, "audit verify", "%s '%s'; run "
				      "'deflector audit verify --help'",
				      missing ? "missing value for" : "unknown option",
				      argv[i]);
			free(files);
			return DFL_EXIT_USAGE;
		} else {
			files[n++] = argv[i];
		}
	}
	if (!n) {
		dfl_cmd_error(out.json, "audit verify", "no FILE given");
		free(files);
		return DFL_EXIT_USAGE;
	}
	if (head && (strlen(head) != 64 || dfl_unhex(head, want, DFL_CHAIN_LEN))) {
		dfl_cmd_error(out.json, "audit verify",
			      "--head: expected 64 hex digits");
		free(files);
		return DFL_EXIT_USAGE;
	}
	if (key_file && (ret = read_key(key_file, key, &key_len))) {
		dfl_cmd_error(out.json, "audit verify", "--key %s: %s", key_file,
			      strerror(-ret));
		free(files);
		return DFL_EXIT_USAGE;
	}
	out.problems = json_array();
	out.notes = json_array();
	ret = dfl_audit__verify(files, n, key_file ? key : NULL, key_len,
				on_finding, &out, &res);
	if (!ret && head && (!res.has_head || memcmp(res.head, want, DFL_CHAIN_LEN)))
		on_finding(&out, true,
			   "the newest segment does not end with the --head "
			   "value: records after it were removed or rewritten"),
			res.problems++;
	dfl_hex(res.head, DFL_CHAIN_LEN, hex);
	if (out.json) {
		json_t *o = json_pack("{s:I,s:I,s:O,s:O,s:s?}", "segments",
				      (json_int_t)res.segments, "records",
				      (json_int_t)res.records, "problems",
				      out.problems, "notes", out.notes, "head",
				      res.has_head ? hex : NULL);

		if (o) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(o);
		}
	} else {
		printf("%s: %llu records in %llu segments, %llu problems%s%s\n",
		       res.problems ? "FAILED" : "OK",
		       (unsigned long long)res.records,
		       (unsigned long long)res.segments,
		       (unsigned long long)res.problems,
		       res.has_head ? "; head " : "", res.has_head ? hex : "");
	}
	json_decref(out.problems);
	json_decref(out.notes);
	free(files);
	if (ret)
		exit_code = DFL_EXIT_USAGE;
	else
		exit_code = res.problems ? DFL_EXIT_FAIL : DFL_EXIT_OK;
	return exit_code;
}

static int bad_time(const char *v)
{
	dfl_cmd_error(false, "audit report",
		      "'%s' is neither a time nor a duration", v);
	return DFL_EXIT_USAGE;
}

static int cmd_report(int argc, char **argv)
{
	struct dfl_report_opts ro = { 0 };
	struct dfl_report *r = NULL;
	struct dfl_strbuf out = { 0 };
	const char *format = "text", *v;
	int64_t now = dfl_time_now_ns();
	bool bad = false;
	int ret = DFL_EXIT_OK, nfiles = 0;
	char **files = calloc((size_t)argc, sizeof(*files));

	if (!files)
		return DFL_EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		bool missing = false;

		if (dfl_cmd_is_help(argv[i])) {
			fputs(report_usage, stdout);
			free(files);
			return DFL_EXIT_OK;
		}
		if ((v = opt(argc, argv, &i, "--since", NULL, &missing))) {
			if (dfl_time__parse_arg(v, now, &ro.since))
				ret = bad_time(v);
		} else if ((v = opt(argc, argv, &i, "--until", NULL, &missing))) {
			if (dfl_time__parse_arg(v, now, &ro.until))
				ret = bad_time(v);
		} else if ((v = opt(argc, argv, &i, "--namespace", "-n", &missing))) {
			ro.namespace = v;
		} else if ((v = opt(argc, argv, &i, "--verdict", NULL, &missing))) {
			if (!strcasecmp(v, "DROPPED"))
				ro.verdict_dropped = true;
			else if (!strcasecmp(v, "AUDIT"))
				ro.verdict_audit = true;
			else {
				dfl_cmd_error(false, "audit report",
					      "--verdict: DROPPED or AUDIT, not '%s'", v);
				ret = DFL_EXIT_USAGE;
			}
		} else if ((v = opt(argc, argv, &i, "--output", "-o", &missing))) {
			int fmt = dfl_cmd_parse_output("audit report", v,
						       1u << DFL_OUT_TEXT |
							       1u << DFL_OUT_JSON |
							       1u << DFL_OUT_CSV);

			if (fmt < 0)
				ret = DFL_EXIT_USAGE;
			format = v;
		} else if (missing || (argv[i][0] == '-' && argv[i][1])) {
			dfl_cmd_error(false, "audit report", "%s '%s'; run "
				      "'deflector audit report --help'",
				      missing ? "missing value for" : "unknown option",
				      argv[i]);
			ret = DFL_EXIT_USAGE;
		} else {
			files[nfiles++] = argv[i];
		}
		if (ret)
			goto out;
	}
	if (!nfiles) {
		dfl_cmd_error(false, "audit report", "no FILE given");
		ret = DFL_EXIT_USAGE;
		goto out;
	}
	r = dfl_report__new(&ro);
	if (!r) {
		ret = DFL_EXIT_USAGE;
		goto out;
	}
	for (int f = 0; f < nfiles; f++) {
		struct dfl_flow_source *src;
		struct dfl_flow_record rec;
		const char *raw;
		size_t raw_len;
		int got;

		if (dfl_flow_file__is_sidecar(files[f]))
			continue;
		src = dfl_flow_source__open(files[f]);
		if (!src) {
			dfl_cmd_error(false, "audit report", "%s: %s", files[f],
				      strerror(errno));
			bad = true;
			continue;
		}
		while ((got = dfl_flow_source__next(src, &rec, &raw, &raw_len))) {
			if (got < 0) {
				fprintf(stderr, "deflector: audit report: %s\n",
					dfl_flow_source__error(src));
				bad = true;
				if (got != -EINVAL)
					break;
				continue;
			}
			dfl_report__add(r, &rec);
			dfl_flow_record__release(&rec);
		}
		dfl_flow_source__close(src);
	}
	if (dfl_report__render(r, format, &out)) {
		dfl_cmd_error(false, "audit report", "out of memory");
		ret = DFL_EXIT_USAGE;
		goto out;
	}
	fputs(dfl_strbuf__str(&out), stdout);
	ret = bad ? DFL_EXIT_USAGE : DFL_EXIT_OK;
out:
	dfl_strbuf__release(&out);
	dfl_report__free(r);
	free(files);
	return ret;
}

static const struct dfl_cmd cmds[] = {
	{ "verify", cmd_verify, "check segments against their hash chains" },
	{ "report", cmd_report, "count drops per source, destination, port, reason, policy" },
	{ 0 },
};

int dfl_cmd_audit(int argc, char **argv)
{
	return dfl_cmd_dispatch("deflector audit", cmds, usage, argc - 1,
				argv + 1);
}
