/* `deflector observe`: Hubble's `hubble observe` over deflector's flows, with
 * its filter flags, output formats and --input-file. Records come from a
 * struct dfl_flow_source: an export file or stdin today; the agent's stream
 * plugs in at open_source(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/commands.h"
#include "flow/filter.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/printer.h"
#include "flow/reader.h"

static const char usage[] =
	"Usage: deflector observe [OPTIONS] [--input-file FILE|-]\n"
	"\n"
	"Prints flow records the way `hubble observe` does: from the agent (the\n"
	"records it keeps in memory, then new ones with --follow), or from a file\n"
	"written by the exporter or by `observe -o json` (plain or gzip), or stdin.\n"
	"Records are printed in file order; malformed lines are reported with\n"
	"their line number and byte offset, skipped, and make the exit code 2.\n"
	"\n"
	"Selection:\n"
	"  --input-file FILE|-     read records from FILE, or stdin for -\n"
	"  --socket PATH           the agent's socket (default $DEFLECTOR_SOCKET,\n"
	"                          else /run/deflector/agent.sock)\n"
	"  --last N                print only the last N matching records\n"
	"  --first N               stop after the first N matching records\n"
	"  --since T, --until T    records with a time in [T, T]: RFC 3339\n"
	"                          (2026-07-24T15:03:54Z, 2026-07-24) or a\n"
	"                          duration before now (5m, 1h30m)\n"
	"  -f, --follow            keep printing new records from the agent (ignored\n"
	"                          for files, as in Hubble)\n"
	"\n"
	"Filters (repeat a flag to OR its values; different flags AND):\n"
	"  --verdict V             FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR\n"
	"  --drop-reason-desc R    POLICY_DENIED, POLICY_DENY, ...\n"
	"  -t, --type T[:SUB]      drop, trace, l7, policy-verdict, capture,\n"
	"                          trace-sock (trace:to-endpoint, drop:133)\n"
	"  --pod [NS/]POD          either side's pod name starts with POD\n"
	"  --from-pod, --to-pod    the source's or the destination's\n"
	"  -n, --namespace NS      either side in namespace NS\n"
	"  --from-namespace, --to-namespace\n"
	"  -l, --label SELECTOR    either side's labels match (k8s:app=x, !k)\n"
	"  --from-label, --to-label\n"
	"  --identity ID           either side's identity (number or world,\n"
	"                          host, ...); --from-identity, --to-identity\n"
	"  --ip IP[/LEN]           either side's address; --from-ip, --to-ip\n"
	"  --port N                either side's port; --from-port, --to-port\n"
	"  --fqdn PATTERN          either side's DNS name; --from-fqdn, --to-fqdn\n"
	"  --service [NS/]SVC      either side's service; --from-service,\n"
	"                          --to-service\n"
	"  --workload [KIND/]NAME  either side's workload; --from-workload,\n"
	"                          --to-workload\n"
	"  --protocol P            tcp, udp, sctp, icmp, icmpv4, icmpv6, http, dns\n"
	"  --http-method M         --http-path RE, --http-url RE,\n"
	"  --http-status CODE      404 or a prefix: 4+, 40+; --http-header K:V\n"
	"  --tcp-flags F[,F]       all of the flags set (syn,ack)\n"
	"  --traffic-direction D   ingress or egress\n"
	"  --node-name GLOB        --uuid UUID, --ip-version v4|v6\n"
	"  --not                   the next filter flag excludes instead\n"
	"  --allowlist JSON        raw FlowFilters to include (any may match)\n"
	"  --denylist JSON         raw FlowFilters to exclude\n"
	"  --print-raw-filters     print the resulting filters and exit\n"
	"\n"
	"Output:\n"
	"  -o, --output FORMAT     compact (default), dict, table, json, jsonpb\n"
	"  --print-node-name       add the node name\n"
	"  --time-format F         StampMilli (default), RFC3339, RFC3339Milli,\n"
	"                          RFC3339Micro, RFC3339Nano\n"
	"  --numeric               print IP addresses instead of names\n";

struct opts {
	const char *input;
	const char *socket;
	bool follow;
	long long last, first;
	int64_t since, until;
	bool has_since, has_until, print_raw;
	struct dfl_printer_opts print;
	struct dfl_flow_filters allow, deny;
};

/* Short flags and the long names they stand for. */
static const char *long_name(const char *arg)
{
	static const char *const shorts[][2] = {
		{ "-t", "type" },      { "-n", "namespace" }, { "-l", "label" },
		{ "-f", "follow" },    { "-o", "output" },
	};

	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		if (!strcmp(arg, shorts[i][0]))
			return shorts[i][1];
	return !strncmp(arg, "--", 2) ? arg + 2 : NULL;
}

static int parse_count(const char *flag, const char *v, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || *end || end == v || *out < 0 || *out > 1000000) {
		dfl_cmd_error(false, "observe", "--%s: '%s' is not a count in 0-1000000",
			      flag, v);
		return -EINVAL;
	}
	return 0;
}

static int parse_time_format(const char *v, enum dfl_time_format *out)
{
	static const struct {
		const char *name;
		enum dfl_time_format f;
	} names[] = {
		{ "StampMilli", DFL_TIME_STAMP_MILLI },
		{ "RFC3339", DFL_TIME_RFC3339 },
		{ "RFC3339Milli", DFL_TIME_RFC3339_MILLI },
		{ "RFC3339Micro", DFL_TIME_RFC3339_MICRO },
		{ "RFC3339Nano", DFL_TIME_RFC3339_NANO },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(v, names[i].name)) {
			*out = names[i].f;
			return 0;
		}
	}
	dfl_cmd_error(false, "observe", "--time-format: unknown layout '%s'", v);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	struct dfl_filter_builder *b = dfl_filter_builder__new();
	char err[512];
	int ret = 0, fmt;
	int64_t now = dfl_time_now_ns();

	if (!b)
		return -ENOMEM;
	for (int i = 1; i < argc && !ret; i++) {
		const char *name = long_name(argv[i]);
		char flag[64];
		const char *value = NULL, *eq;
		bool takes;

		if (!name || !*name) {
			dfl_cmd_error(false, "observe", "unexpected argument '%s'; "
				      "run 'deflector observe --help'", argv[i]);
			ret = -EINVAL;
			break;
		}
		eq = strchr(name, '=');
		snprintf(flag, sizeof(flag), "%.*s",
			 (int)(eq ? eq - name : (long)strlen(name)), name);
		if (eq)
			value = eq + 1;
		if (!strcmp(flag, "follow") || !strcmp(flag, "print-node-name") ||
		    !strcmp(flag, "numeric") || !strcmp(flag, "print-raw-filters")) {
			if (value) {
				dfl_cmd_error(false, "observe",
					      "--%s takes no value", flag);
				ret = -EINVAL;
			}
			o->follow |= !strcmp(flag, "follow");
			o->print.node_name |= !strcmp(flag, "print-node-name");
			o->print.numeric |= !strcmp(flag, "numeric");
			o->print_raw |= !strcmp(flag, "print-raw-filters");
			continue;
		}
		if (!strcmp(flag, "not")) {
			ret = dfl_filter_builder__flag(b, "not", NULL, err,
						       sizeof(err));
			if (ret)
				dfl_cmd_error(false, "observe", "%s", err);
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				dfl_cmd_error(false, "observe",
					      "--%s needs a value", flag);
				ret = -EINVAL;
				break;
			}
			value = argv[++i];
		}
		if (!strcmp(flag, "input-file")) {
			o->input = value;
		} else if (!strcmp(flag, "socket")) {
			o->socket = value;
		} else if (!strcmp(flag, "last")) {
			ret = parse_count(flag, value, &o->last);
		} else if (!strcmp(flag, "first")) {
			ret = parse_count(flag, value, &o->first);
		} else if (!strcmp(flag, "since") || !strcmp(flag, "until")) {
			bool since = !strcmp(flag, "since");

			ret = dfl_time__parse_arg(value, now,
						  since ? &o->since : &o->until);
			if (ret)
				dfl_cmd_error(false, "observe",
					      "--%s: '%s' is neither a time nor a duration",
					      flag, value);
			o->has_since |= since;
			o->has_until |= !since;
		} else if (!strcmp(flag, "output")) {
			fmt = dfl_cmd_parse_output(
				"observe", value,
				1u << DFL_OUT_COMPACT | 1u << DFL_OUT_JSON |
					1u << DFL_OUT_JSONPB | 1u << DFL_OUT_DICT |
					1u << DFL_OUT_TABLE);
			if (fmt < 0)
				ret = -EINVAL;
			o->print.format = fmt == DFL_OUT_DICT	? DFL_PRINT_DICT :
					  fmt == DFL_OUT_TABLE	? DFL_PRINT_TABLE :
					  fmt == DFL_OUT_COMPACT ? DFL_PRINT_COMPACT :
								   DFL_PRINT_JSON;
		} else if (!strcmp(flag, "time-format")) {
			ret = parse_time_format(value, &o->print.time_format);
		} else if (!strcmp(flag, "allowlist") || !strcmp(flag, "denylist")) {
			ret = dfl_flow_filters__parse_json(
				flag[0] == 'a' ? &o->allow : &o->deny, value,
				err, sizeof(err));
			if (ret)
				dfl_cmd_error(false, "observe", "--%s: %s", flag,
					      err);
		} else if (dfl_filter_builder__knows(flag, &takes)) {
			ret = dfl_filter_builder__flag(b, flag, value, err,
						       sizeof(err));
			if (ret)
				dfl_cmd_error(false, "observe", "%s", err);
		} else {
			dfl_cmd_error(false, "observe",
				      "unknown option --%s; run 'deflector observe --help'",
				      flag);
			ret = -EINVAL;
		}
	}
	if (!ret) {
		/* flag-built filters come first, raw ones after (Hubble) */
		struct dfl_flow_filters allow = { 0 }, deny = { 0 };

		ret = dfl_filter_builder__finish(b, &allow, &deny, err,
						 sizeof(err));
		if (ret) {
			dfl_cmd_error(false, "observe", "%s", err);
			dfl_flow_filters__release(&allow);
			dfl_flow_filters__release(&deny);
		} else {
			for (size_t i = 0; i < o->allow.n; i++)
				if (dfl_flow_filters__push(&allow, o->allow.items[i]))
					ret = -ENOMEM;
			for (size_t i = 0; i < o->deny.n; i++)
				if (dfl_flow_filters__push(&deny, o->deny.items[i]))
					ret = -ENOMEM;
			free(o->allow.items);
			free(o->deny.items);
			o->allow = allow;
			o->deny = deny;
		}
	}
	dfl_filter_builder__free(b);
	return ret;
}

static void print_raw_filters(const struct opts *o)
{
	const struct dfl_flow_filters *lists[] = { &o->allow, &o->deny };
	const char *names[] = { "allowlist", "denylist" };

	for (int l = 0; l < 2; l++) {
		printf("%s:\n", names[l]);
		for (size_t i = 0; i < lists[l]->n; i++) {
			struct dfl_strbuf sb = { 0 };

			dfl_flow_filter__to_json(lists[l]->items[i], &sb);
			printf("  - '%s'\n", dfl_strbuf__str(&sb));
			dfl_strbuf__release(&sb);
		}
	}
}

/* Records from the agent: a thread writes them as export lines into a pipe
 * (first the agent's history, then with --follow each new one), and the
 * ordinary file reader reads the pipe, so that filters, --last and printing
 * are exactly those of --input-file. */
struct agent_feed {
	struct dfl_client client;
	json_t *history; /* the "flows" array of the response */
	bool follow;
	int wfd;
};

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int feed_line(int fd, const json_t *msg)
{
	char *line = json_dumps(msg, JSON_COMPACT);
	int ret = !line || write_all(fd, line, strlen(line)) || write_all(fd, "\n", 1);

	free(line);
	return ret;
}

static void *agent_feed_main(void *arg)
{
	struct agent_feed *f = arg;
	json_t *msg;
	char err[512];
	size_t i;

	json_array_foreach(f->history, i, msg)
		if (feed_line(f->wfd, msg))
			goto out; /* the reader went away */
	while (f->follow && dfl_client__next(&f->client, &msg, err, sizeof(err)) == 1) {
		int failed = feed_line(f->wfd, msg);

		json_decref(msg);
		if (failed)
			break;
	}
out:
	close(f->wfd);
	dfl_client__close(&f->client);
	json_decref(f->history);
	free(f);
	return NULL;
}

static struct dfl_flow_source *open_agent_source(const struct opts *o)
{
	struct agent_feed *f = calloc(1, sizeof(*f));
	struct dfl_flow_source *src = NULL;
	json_t *req = NULL, *res = NULL;
	int fds[2] = { -1, -1 };
	bool connected = false;
	pthread_t th;
	char err[512];

	if (!f || pipe(fds)) {
		dfl_cmd_error(false, "observe", "%s", strerror(errno));
		goto fail;
	}
	if (dfl_client__connect(&f->client, o->socket, err, sizeof(err))) {
		dfl_cmd_error(false, "observe", "%s (or read a file with --input-file)", err);
		goto fail;
	}
	connected = true;
	req = json_pack("{s:s, s:b}", "op", "observe", "follow", o->follow);
	if (dfl_client__call(&f->client, req, &res, err, sizeof(err))) {
		dfl_cmd_error(false, "observe", "%s", err);
		goto fail;
	}
	src = dfl_flow_source__from_fd(fds[0], "agent");
	if (!src)
		goto fail;
	fds[0] = -1;
	f->history = json_incref(json_object_get(res, "flows"));
	f->follow = o->follow;
	f->wfd = fds[1];
	if (pthread_create(&th, NULL, agent_feed_main, f)) {
		dfl_cmd_error(false, "observe", "cannot start the reader thread");
		json_decref(f->history);
		dfl_flow_source__close(src);
		src = NULL;
		goto fail;
	}
	pthread_detach(th);
	json_decref(req);
	json_decref(res);
	return src;
fail:
	if (connected)
		dfl_client__close(&f->client);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(f);
	json_decref(req);
	json_decref(res);
	return NULL;
}

/* The record source: a file or stdin with --input-file, else the agent. */
static struct dfl_flow_source *open_source(const struct opts *o)
{
	struct dfl_flow_source *src;

	if (!o->input)
		return open_agent_source(o);
	src = dfl_flow_source__open(o->input);
	if (!src)
		dfl_cmd_error(false, "observe", "%s: %s", o->input,
			      strerror(errno));
	return src;
}

static bool wanted(const struct opts *o, const struct dfl_flow_record *rec)
{
	if (o->has_since && rec->time_ns < o->since)
		return false;
	if (o->has_until && rec->time_ns > o->until)
		return false;
	if (rec->kind == DFL_RECORD_LOST)
		return !o->allow.n && !o->deny.n;
	return rec->kind == DFL_RECORD_FLOW &&
	       dfl_flow_filters__apply(&o->allow, &o->deny, rec->flow);
}

/* --last N keeps the last N matching records (and their lines). */
struct kept {
	struct dfl_flow_record rec;
	char *raw;
	size_t raw_len;
};

static int run(struct opts *o)
{
	struct dfl_flow_source *src = open_source(o);
	struct dfl_printer *p = NULL;
	struct kept *ring = NULL;
	long long printed = 0, kept = 0;
	bool bad = false;
	int ret = 0;

	if (!src)
		return DFL_EXIT_USAGE;
	p = dfl_printer__new(stdout, &o->print);
	if (o->last > 0)
		ring = calloc((size_t)o->last, sizeof(*ring));
	if (!p || (o->last > 0 && !ring)) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		struct dfl_flow_record rec;
		const char *raw;
		size_t raw_len;

		ret = dfl_flow_source__next(src, &rec, &raw, &raw_len);
		if (ret == 0)
			break;
		if (ret == -EINVAL) {
			fprintf(stderr, "deflector: observe: %s\n",
				dfl_flow_source__error(src));
			bad = true;
			continue;
		}
		if (ret < 0) {
			fprintf(stderr, "deflector: observe: %s\n",
				dfl_flow_source__error(src));
			goto out;
		}
		if (!wanted(o, &rec)) {
			dfl_flow_record__release(&rec);
			continue;
		}
		if (ring) {
			struct kept *k = &ring[kept++ % o->last];

			dfl_flow_record__release(&k->rec);
			free(k->raw);
			k->rec = rec;
			k->raw = strndup(raw, raw_len);
			k->raw_len = raw_len;
			if (!k->raw) {
				ret = -ENOMEM;
				goto out;
			}
			continue;
		}
		ret = dfl_printer__record(p, &rec, raw, raw_len);
		dfl_flow_record__release(&rec);
		if (ret)
			goto out;
		if (o->first && ++printed >= o->first)
			break;
	}
	ret = 0;
	for (long long i = kept > o->last ? kept - o->last : 0;
	     ring && i < kept && !ret; i++) {
		struct kept *k = &ring[i % o->last];

		ret = dfl_printer__record(p, &k->rec, k->raw, k->raw_len);
	}
out:
	if (ring) {
		for (long long i = 0; i < o->last; i++) {
			dfl_flow_record__release(&ring[i].rec);
			free(ring[i].raw);
		}
		free(ring);
	}
	if (dfl_printer__close(p) && !ret)
		ret = -EIO;
	dfl_flow_source__close(src);
	if (ret) {
		if (ret != -EINVAL)
			dfl_cmd_error(false, "observe", "%s", strerror(-ret));
		return DFL_EXIT_USAGE;
	}
	return bad ? DFL_EXIT_USAGE : DFL_EXIT_OK;
}

int dfl_cmd_observe(int argc, char **argv)
{
	struct opts o = { 0 };
	int ret;

	if (argc > 1 && dfl_cmd_is_help(argv[1])) {
		fputs(usage, stdout);
		return DFL_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return DFL_EXIT_OK;
		}
	}
	if (parse_args(argc, argv, &o)) {
		ret = DFL_EXIT_USAGE;
	} else if (o.print_raw) {
		print_raw_filters(&o);
		ret = DFL_EXIT_OK;
	} else if (o.first && o.last) {
		dfl_cmd_error(false, "observe",
			      "--first cannot be combined with --last");
		ret = DFL_EXIT_USAGE;
	} else {
		ret = run(&o);
	}
	dfl_flow_filters__release(&o.allow);
	dfl_flow_filters__release(&o.deny);
	return ret;
}
